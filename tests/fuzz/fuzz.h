/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What every harness shares. A harness calls the library the way the
 * programs do and then checks what the module's header promises; a broken
 * promise is a finding just like a crash, so it aborts (libFuzzer then
 * keeps the input as crash-*). Harnesses are built with
 * -fsanitize=fuzzer on top of the build's ASan+UBSan (meson -Dfuzz=true,
 * README "Fuzzing").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* UBSan's reports are findings too: stop at the first, with a stack. The
 * build's own default is to print and carry on, which libFuzzer would
 * never notice. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) {
        return "halt_on_error=1:print_stacktrace=1";
}

#define fuzz_fail(...)                                                   \
        do {                                                             \
                fprintf(stderr, "%s:%d: finding: ", __FILE__, __LINE__); \
                fprintf(stderr, __VA_ARGS__);                            \
                fputc('\n', stderr);                                     \
                abort();                                                 \
        } while (0)

#define fuzz_assert(expr)                                         \
        do {                                                      \
                if (!(expr))                                      \
                        fuzz_fail("invariant broken: %s", #expr); \
        } while (0)

/* The input as a C string (the library's string APIs stop at a NUL, as
 * the files they read do). Never NULL: out of memory is not a finding. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s = strndup((const char *) data, size);

        if (!s)
                abort();
        return s;
}

/* Whether s holds no control character: what a "one-line" message, a
 * value for a log line or for a unit file must be. */
static inline bool fuzz_no_control(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* A parser's error text: one or more lines, each "FILE:..." with no
 * control character, joined by single newlines (no empty line, no
 * trailing newline). */
static inline bool fuzz_error_lines(const char *s, const char *file) {
        size_t n = strlen(file);

        for (;;) {
                const char *end = strchr(s, '\n');
                size_t len = end ? (size_t) (end - s) : strlen(s);

                if (len <= n || strncmp(s, file, n) != 0 || s[n] != ':')
                        return false;
                for (size_t i = 0; i < len; i++)
                        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                                return false;
                if (!end)
                        return true;
                s = end + 1;
        }
}

/* Split data at NUL bytes: the next field, or NULL when there are none
 * left. *pos moves past the field and its NUL. */
static inline const char *fuzz_next_field(const uint8_t *data, size_t size, size_t *pos, size_t *ret_len) {
        const uint8_t *start = data + *pos, *nul;
        size_t len;

        if (*pos >= size)
                return NULL;
        nul = memchr(start, 0, size - *pos);
        len = nul ? (size_t) (nul - start) : size - *pos;
        *pos += len + 1;
        *ret_len = len;
        return (const char *) start;
}
