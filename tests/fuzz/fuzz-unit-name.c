/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Domain name -> unit instance and D-Bus name, and unit instance -> name.
 * The input is tried both as a domain name and as an instance string (a
 * unit name typed by a person, or read back from systemd).
 *
 * Promises checked (unit-name.h, vm-bus.h, DESIGN.md "Names and paths"):
 * - unit_instance_escape() accepts exactly the non-empty names without
 *   '/'; its output has only [A-Za-z0-9:_.-] and lowercase \xNN, never
 *   a leading '.', and unit_instance_unescape() gives the name back;
 * - unit_instance_unescape() accepts only canonical spellings: what it
 *   accepts escapes back to the very same instance (one unit per domain);
 * - vm_unit_name() is "vm@" + the escaped instance + ".service" and at
 *   most UNIT_NAME_MAX bytes, else -ENAMETOOLONG;
 * - bus_label_escape() gives [A-Za-z0-9_] only, no leading digit, and is
 *   one-to-one (decoding "_xx" gives the name back); bus_service_name()
 *   is a valid D-Bus well-known name of at most 255 bytes.
 */

#include "fuzz.h"
#include "unit-name.h"
#include "vm-bus.h"

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_lower_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void check_instance_alphabet(const char *instance) {
        fuzz_assert(*instance && instance[0] != '.');
        for (const char *p = instance; *p; p++) {
                if (is_alnum(*p) || strchr(":_.-", *p))
                        continue;
                fuzz_assert(p[0] == '\\' && p[1] == 'x' && is_lower_hex(p[2]) && is_lower_hex(p[3]));
                p += 3;
        }
}

static void check_escape(const char *name) {
        _cleanup_free_ char *instance = NULL, *back = NULL, *unit = NULL;
        bool valid = *name && !strchr(name, '/');
        int r;

        r = unit_instance_escape(name, &instance);
        if (r == -ENOMEM)
                return;
        fuzz_assert(valid ? r == 0 : r == -EINVAL);
        if (r < 0)
                return;
        check_instance_alphabet(instance);
        r = unit_instance_unescape(instance, &back);
        if (r == -ENOMEM)
                return;
        if (r < 0 || strcmp(back, name) != 0)
                fuzz_fail("instance '%s' does not unescape to its name", instance);

        r = vm_unit_name(name, &unit);
        if (r == -ENOMEM)
                return;
        if (strlen("vm@") + strlen(instance) + strlen(".service") > UNIT_NAME_MAX) {
                fuzz_assert(r == -ENAMETOOLONG);
                return;
        }
        fuzz_assert(r == 0);
        fuzz_assert(strlen(unit) <= UNIT_NAME_MAX);
        fuzz_assert(strncmp(unit, "vm@", 3) == 0);
        fuzz_assert(strncmp(unit + 3, instance, strlen(instance)) == 0);
        fuzz_assert(strcmp(unit + 3 + strlen(instance), ".service") == 0);
}

static void check_unescape(const char *instance) {
        _cleanup_free_ char *name = NULL, *again = NULL;
        int r;

        r = unit_instance_unescape(instance, &name);
        if (r == -ENOMEM || r == -EINVAL)
                return;
        fuzz_assert(r == 0);
        fuzz_assert(*name && !strchr(name, '/'));
        r = unit_instance_escape(name, &again);
        if (r == -ENOMEM)
                return;
        fuzz_assert(r == 0);
        if (strcmp(again, instance) != 0)
                fuzz_fail("non-canonical instance '%s' accepted (canonical: '%s')", instance, again);
}

/* The inverse the escaping promises to have. */
static char *bus_label_decode(const char *label) {
        char *out = malloc(strlen(label) + 1), *t = out;

        if (!out)
                abort();
        for (const char *p = label; *p; p++) {
                if (*p != '_') {
                        *t++ = *p;
                        continue;
                }
                fuzz_assert(is_lower_hex(p[1]) && is_lower_hex(p[2]));
                *t++ = (char) (unhexchar(p[1]) << 4 | unhexchar(p[2]));
                p += 2;
        }
        *t = 0;
        return out;
}

static void check_bus_name(const char *name) {
        _cleanup_free_ char *label = NULL, *back = NULL, *service = NULL;
        int r;

        r = bus_label_escape(name, &label);
        if (r == -ENOMEM)
                return;
        fuzz_assert(*name ? r == 0 : r == -EINVAL);
        if (r < 0)
                return;
        fuzz_assert(*label && !(label[0] >= '0' && label[0] <= '9'));
        for (const char *p = label; *p; p++)
                fuzz_assert(is_alnum(*p) || *p == '_');
        back = bus_label_decode(label);
        if (strcmp(back, name) != 0)
                fuzz_fail("bus label '%s' does not decode to its name", label);

        r = bus_service_name(name, &service);
        if (r == -ENOMEM)
                return;
        if (strlen(VMUNIT_BUS_NAME_PREFIX) + strlen(label) > 255) {
                fuzz_assert(r == -ENAMETOOLONG);
                return;
        }
        fuzz_assert(r == 0);
        fuzz_assert(strlen(service) <= 255);
        fuzz_assert(strncmp(service, VMUNIT_BUS_NAME_PREFIX, strlen(VMUNIT_BUS_NAME_PREFIX)) == 0);
        fuzz_assert(strcmp(service + strlen(VMUNIT_BUS_NAME_PREFIX), label) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = fuzz_strndup(data, size);

        check_escape(s);
        check_unescape(s);
        check_bus_name(s);
        return 0;
}
