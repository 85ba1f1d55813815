/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small file-system helpers shared by the programs. */

#include <sys/types.h>

/* mkdir -p: create path and its missing parents with mode. Returns 0 or -errno. */
int mkdir_parents(const char *path, mode_t mode);

/* Replace path with text atomically: write a temporary file beside it,
 * fsync, rename over. Readers see the old or the new content, never half.
 * Returns 0 or -errno (the temporary file is removed on failure). */
int write_file_atomic(const char *path, const char *text, mode_t mode);

/* read(2) until n bytes or end of file, retrying on EINTR. Returns the
 * number of bytes read (less than n only at end of file) or -errno. */
ssize_t read_full(int fd, void *buf, size_t n);

/* All of fd, up to max bytes (-EFBIG beyond), in a new NUL-terminated
 * buffer (*ret, always allocated) of *ret_size bytes. Returns 0 or -errno. */
int read_all_fd(int fd, size_t max, char **ret, size_t *ret_size);
