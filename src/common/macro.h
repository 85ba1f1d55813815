/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Small helpers every file uses: scope-bound cleanup in the style of
 * systemd's _cleanup_, ownership transfer, array sizes.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Take ownership of *p, leaving NULL behind so cleanup does nothing. */
#define TAKE_PTR(p)                      \
        ({                               \
                __typeof__(p) _p_ = (p); \
                (p) = NULL;              \
                _p_;                     \
        })

#define TAKE_FD(fd)              \
        ({                       \
                int _fd_ = (fd); \
                (fd) = -EBADF;   \
                _fd_;            \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Define a cleanup function for a type that has a plain free function. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p) {   \
                if (*p)                         \
                        func(*p);               \
        }

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

/* -errno from the current errno, never 0 (so callers can rely on r < 0). */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

/* The value of a hex digit (either case), or -EINVAL. */
int unhexchar(char c);

/* Cut leading and trailing whitespace in place; returns the new start. */
char *strip_whitespace(char *s);

/* Replace *dst with a copy of src (NULL allowed). */
int free_and_strdup(char **dst, const char *src);

/* Store a formatted one-line message in *ret_error (when ret_error is not
 * NULL; any previous message is freed; NULL on OOM) and return r: the one
 * way library code hands a reason up with its -errno,
 * `return set_errorf(ret_error, -EINVAL, "disk '%s' ...", t);`. */
int set_errorf(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);

/* s made safe to show in one log line or a STATUS= text: printable ASCII
 * and valid UTF-8 stay, every other byte (control characters, newlines,
 * DEL, invalid UTF-8) and the backslash itself become \xNN, so text from
 * a caller can neither start a new line nor forge a field. At most max
 * bytes of s are used ("..." marks a cut). Returns malloc'd or NULL (OOM). */
char *cescape(const char *s, size_t max);
