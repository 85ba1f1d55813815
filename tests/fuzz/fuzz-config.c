/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * vmunit.conf through config_parse_text(), as config_load() reads it
 * (the file up to its first NUL byte).
 *
 * Promises checked (config.h, DESIGN.md "Host configuration"): a bad
 * line is -EINVAL with one line "FILE:LINE: ..." naming a line that
 * exists, with no control characters (it goes to the log); an accepted
 * file gives non-empty names without control characters, a shutdown
 * timeout of 1..86400 seconds, known enum values, and a device ACL of
 * absolute paths that stay inside /dev (no "." or ".." component, which
 * would name something outside it).
 */

#include "config.h"
#include "fuzz.h"

static void check_name(const char *s) {
        if (!s)
                return;
        fuzz_assert(*s);
        fuzz_assert(fuzz_no_control(s));
}

static bool dev_path_ok(const char *p) {
        if (strncmp(p, "/dev/", 5) != 0)
                return false;
        for (const char *c = p + 5; *c;) {
                size_t len = strcspn(c, "/");

                if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += len;
                c += *c == '/';
        }
        return true;
}

static void check_config(const VmunitConfig *c) {
        check_name(c->user);
        check_name(c->group);
        check_name(c->emulator);
        fuzz_assert(c->shutdown_timeout_sec >= 1 && c->shutdown_timeout_sec <= 86400);
        fuzz_assert(security_driver_to_string(c->security_driver));
        fuzz_assert(c->on_host_shutdown == HOST_SHUTDOWN_SHUTDOWN ||
                    c->on_host_shutdown == HOST_SHUTDOWN_SAVE);
        fuzz_assert(c->cgroup_device_acl);
        for (char **p = c->cgroup_device_acl; *p; p++)
                if (!dev_path_ok(*p))
                        fuzz_fail("device ACL entry '%s' is not a path inside /dev", *p);
}

static unsigned count_lines(const char *text) {
        unsigned n = 1;

        for (const char *p = text; *p; p++)
                n += *p == '\n';
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_strndup(data, size), *error = NULL;
        VmunitConfig c;
        int r;

        if (config_init_defaults(&c) < 0)
                return 0;
        r = config_parse_text(text, "vmunit.conf", &c, &error);
        if (r == 0)
                check_config(&c);
        else if (r != -ENOMEM) {
                unsigned line;

                fuzz_assert(r == -EINVAL);
                fuzz_assert(error);
                if (sscanf(error, "vmunit.conf:%u:", &line) != 1)
                        fuzz_fail("error does not name the line: %s", error);
                fuzz_assert(line >= 1 && line <= count_lines(text));
                if (!fuzz_no_control(error))
                        fuzz_fail("error message is not one clean line: %s", error);
        }
        config_done(&c);
        return 0;
}
