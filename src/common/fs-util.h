/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small file-system helpers shared by the programs. */

#include <stdbool.h>
#include <stddef.h>
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

/* write(2) all n bytes, retrying on EINTR and short writes. Returns 0 or -errno. */
int write_full(int fd, const void *buf, size_t n);

/* The whole of a small file (policy files, templates) at a path only root
 * controls, as a NUL-terminated string (caller frees). Returns 0, -EFBIG
 * when it is larger than max bytes, or -errno. */
int read_small_file(const char *path, size_t max, char **ret);

/*
 * Resolve-once primitives: privileged code turns a path into an fd exactly
 * once and then works on that fd (STYLE.md 13).
 *
 * resolve_path_once() opens path as O_PATH with openat2(): magic links
 * (/proc/PID/fd/N and friends) are never followed; with no_symlinks no
 * symlink in any component is followed either (for paths we wrote
 * ourselves, which are canonical, e.g. journal records). The result names
 * one inode for good: renaming or swapping a directory afterwards cannot
 * redirect it. Returns the fd or -errno (-ELOOP: a symlink where none is
 * allowed, or more than 40 of them). Where openat2() is not to be had
 * (-ENOSYS: a kernel older than 5.6, or a seccomp filter that cannot
 * inspect its flags and so refuses it whole, as systemd's
 * RestrictSUIDSGID= does), resolve_path_walk() does the same.
 */
int resolve_path_once(const char *path, bool no_symlinks);
/* resolve_path_once() by hand, as systemd's chase() does it: one
 * component at a time with openat(O_PATH|O_NOFOLLOW) relative to the
 * directory fd before it, symlinks read with readlinkat() and their
 * target walked the same way, no symlink at all with no_symlinks, and
 * none on procfs (where the magic links are). Returns the fd or -errno. */
int resolve_path_walk(const char *path, bool no_symlinks);
/* Where fd really is, from readlink("/proc/self/fd/N"): a canonical
 * absolute path (caller frees). -ENOENT when the file has been deleted
 * (" (deleted)") or fd is not on a path (pipes, sockets, memfds). */
int fd_get_path(int fd, char **ret);
/* Open the inode fd refers to (any fd, O_PATH included) again with flags
 * (O_CLOEXEC|O_NOCTTY added), through /proc/self/fd/N: permission checks
 * apply as for a new open, but no path is walked. Returns the fd or -errno. */
int fd_reopen(int fd, int flags);
/* "/proc/self/fd/N" for fd, into buf: for the calls that have no f*()
 * variant working on an O_PATH fd (getxattr, setfilecon, chmod). */
#define PROC_FD_PATH_MAX 32
const char *proc_fd_path(int fd, char buf[static PROC_FD_PATH_MAX]);
/* Whether a and b are the same inode. */
struct stat;
bool stat_same_inode(const struct stat *a, const struct stat *b);
