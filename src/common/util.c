/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "macro.h"

int free_and_strdup(char **dst, const char *src) {
        char *copy = NULL;

        if (src) {
                copy = strdup(src);
                if (!copy)
                        return -ENOMEM;
        }
        free(*dst);
        *dst = copy;
        return 0;
}

char *strip_whitespace(char *s) {
        char *end;

        while (isspace((unsigned char) *s))
                s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char) end[-1]))
                *--end = '\0';
        return s;
}

int unhexchar(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

int set_errorf(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        if (!ret_error)
                return r;
        free(*ret_error);
        *ret_error = NULL;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 if there is none:
 * overlong forms, surrogates and code points above U+10FFFF are invalid. */
static size_t utf8_sequence_length(const unsigned char *s, size_t avail) {
        unsigned n, cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (avail < n)
                return 0;
        for (unsigned i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                return 0;
        /* C1 control characters (U+0080..U+009F) are controls too. */
        if (n == 2 && cp < 0xa0)
                return 0;
        return n;
}

char *cescape(const char *s, size_t max) {
        size_t len = strnlen(s, max), cut = s[len] != '\0';
        char *out = malloc(len * 4 + 4), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                const unsigned char *u = (const unsigned char *) s + i;
                size_t n = utf8_sequence_length(u, len - i);

                if (n == 1 && (u[0] < 0x20 || u[0] == 0x7f || u[0] == '\\'))
                        n = 0;
                if (n == 0) {
                        o += sprintf(o, "\\x%02x", u[0]);
                        i++;
                        continue;
                }
                memcpy(o, u, n);
                o += n;
                i += n;
        }
        strcpy(o, cut ? "..." : "");
        return out;
}
