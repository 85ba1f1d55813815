/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "strv.h"

int strv_consume(Strv *v, char *s) {
        if (!s)
                return -ENOMEM;
        if (v->n + 2 > v->allocated) {
                size_t want = v->allocated ? v->allocated * 2 : 16;
                char **items = realloc(v->items, want * sizeof(char *));
                if (!items) {
                        free(s);
                        return -ENOMEM;
                }
                v->items = items;
                v->allocated = want;
        }
        v->items[v->n++] = s;
        v->items[v->n] = NULL;
        return 0;
}

int strv_push(Strv *v, const char *s) {
        return strv_consume(v, strdup(s));
}

int strv_pushf(Strv *v, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(v, s);
}

void strv_free_array(char **a) {
        if (!a)
                return;
        for (char **p = a; *p; p++)
                free(*p);
        free(a);
}

void strv_done(Strv *v) {
        for (size_t i = 0; i < v->n; i++)
                free(v->items[i]);
        free(v->items);
        *v = (Strv){};
}

char **strv_steal(Strv *v) {
        char **a = v->items;

        if (!a)
                a = calloc(1, sizeof(char *));
        *v = (Strv){};
        return a;
}
