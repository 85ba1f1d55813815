/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain name -> D-Bus well-known name. Pure, so the unit tests (and
 * later vmctl) can link it without the rest of the supervisor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm-bus.h"
#include "macro.h"

#define DBUS_NAME_MAX 255

static bool is_ascii_alnum(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int bus_label_escape(const char *name, char **ret) {
        static const char hex[] = "0123456789abcdef";
        _cleanup_free_ char *out = NULL;
        char *p;

        if (!name || !*name)
                return -EINVAL;
        /* Worst case every byte triples. */
        out = malloc(strlen(name) * 3 + 1);
        if (!out)
                return -ENOMEM;
        p = out;
        for (const unsigned char *c = (const unsigned char *) name; *c; c++) {
                /* A bus name element must not start with a digit. */
                bool keep =
                        is_ascii_alnum(*c) && !(c == (const unsigned char *) name && *c >= '0' && *c <= '9');

                if (keep) {
                        *p++ = (char) *c;
                        continue;
                }
                *p++ = '_';
                *p++ = hex[*c >> 4];
                *p++ = hex[*c & 15];
        }
        *p = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

int bus_service_name(const char *name, char **ret) {
        _cleanup_free_ char *label = NULL;
        char *full;
        int r;

        r = bus_label_escape(name, &label);
        if (r < 0)
                return r;
        if (strlen(VMUNIT_BUS_NAME_PREFIX) + strlen(label) > DBUS_NAME_MAX)
                return -ENAMETOOLONG;
        if (asprintf(&full, "%s%s", VMUNIT_BUS_NAME_PREFIX, label) < 0)
                return -ENOMEM;
        *ret = full;
        return 0;
}
