/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * NULL-terminated string vectors (argv, envp). A Strv owns its strings.
 */

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

typedef struct Strv {
        char **items; /* always NULL-terminated once anything was added */
        size_t n;
        size_t allocated;
} Strv;

/* Append a copy of s. Returns 0 or -ENOMEM. */
int strv_push(Strv *v, const char *s);
/* Append the string produced by the format. Returns 0 or -ENOMEM. */
int strv_pushf(Strv *v, const char *fmt, ...) _printf_(2, 3);
/* Append, taking ownership of s (freed on failure). */
int strv_consume(Strv *v, char *s);
void strv_done(Strv *v);
static inline void strv_donep(Strv *v) {
        strv_done(v);
}
#define _cleanup_strv_ _cleanup_(strv_donep)

/* Detach the item array (NULL-terminated), leaving v empty. Caller frees
 * with strv_free_array(). */
char **strv_steal(Strv *v);
void strv_free_array(char **a);
