/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "unit-name.h"

static bool instance_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
               c == '_' || c == '.' || c == '-';
}

static char *escape_byte(unsigned char c, char *t) {
        static const char hex[] = "0123456789abcdef";

        *t++ = '\\';
        *t++ = 'x';
        *t++ = hex[c >> 4];
        *t++ = hex[c & 15];
        return t;
}

int unit_instance_escape(const char *name, char **ret) {
        char *buf, *t;

        if (!name || !*name || strchr(name, '/'))
                return -EINVAL;

        /* Worst case every byte becomes \xNN. */
        buf = malloc(strlen(name) * 4 + 1);
        if (!buf)
                return -ENOMEM;

        t = buf;
        for (const char *f = name; *f; f++)
                /* A leading '.' would make a hidden-looking unit file name,
                 * so systemd escapes it; we do the same. */
                if (instance_char_ok(*f) && !(f == name && *f == '.'))
                        *t++ = *f;
                else
                        t = escape_byte((unsigned char) *f, t);
        *t = 0;

        *ret = buf;
        return 0;
}

/* Decode \xNN sequences; any other backslash use is malformed. */
static int unescape_raw(const char *instance, char **ret) {
        _cleanup_free_ char *buf = NULL;
        char *t;

        buf = malloc(strlen(instance) + 1);
        if (!buf)
                return -ENOMEM;

        t = buf;
        for (const char *f = instance; *f; f++) {
                int hi, lo;

                if (*f != '\\') {
                        *t++ = *f;
                        continue;
                }
                if (f[1] != 'x')
                        return -EINVAL;
                hi = unhexchar(f[2]);
                lo = hi < 0 ? -EINVAL : unhexchar(f[3]);
                if (lo < 0)
                        return -EINVAL;
                if (hi == 0 && lo == 0)
                        return -EINVAL; /* NUL would truncate the name */
                *t++ = (char) (hi << 4 | lo);
                f += 3;
        }
        *t = 0;

        *ret = TAKE_PTR(buf);
        return 0;
}

int unit_instance_unescape(const char *instance, char **ret) {
        _cleanup_free_ char *name = NULL, *again = NULL;
        int r;

        if (!instance || !*instance)
                return -EINVAL;

        r = unescape_raw(instance, &name);
        if (r < 0)
                return r;

        /* Refuses an empty result and '/' for us. */
        r = unit_instance_escape(name, &again);
        if (r < 0)
                return r;

        /* "vm@a\x2db" and "vm@a-b" would otherwise be two units running one
         * domain at the same time; accept only the spelling we produce. */
        if (!streq(again, instance))
                return -EINVAL;

        *ret = TAKE_PTR(name);
        return 0;
}

int vm_unit_name(const char *domain_name, char **ret) {
        _cleanup_free_ char *instance = NULL;
        char *unit;
        int r;

        r = unit_instance_escape(domain_name, &instance);
        if (r < 0)
                return r;

        if (strlen("vm@") + strlen(instance) + strlen(".service") > UNIT_NAME_MAX)
                return -ENAMETOOLONG;

        if (asprintf(&unit, "vm@%s.service", instance) < 0)
                return -ENOMEM;

        *ret = unit;
        return 0;
}
