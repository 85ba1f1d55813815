/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"

int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *copy = strdup(path);

        if (!copy)
                return -ENOMEM;
        for (char *p = copy + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *p = '/';
        }
        return mkdir(copy, mode) < 0 && errno != EEXIST ? negative_errno() : 0;
}

int write_file_atomic(const char *path, const char *text, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text);

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (write(fd, text, len) != (ssize_t) len || fchmod(fd, mode) < 0 || fsync(fd) < 0 ||
            rename(tmp, path) < 0) {
                int r = errno ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

ssize_t read_full(int fd, void *buf, size_t n) {
        size_t done = 0;

        while (done < n) {
                ssize_t k = read(fd, (char *) buf + done, n - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                done += (size_t) k;
        }
        return (ssize_t) done;
}

int read_all_fd(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;
        ssize_t k;

        do {
                char *p;

                if (size > max)
                        return -EFBIG;
                size = size ? size * 2 : 64 * 1024;
                p = realloc(buf, size + 1);
                if (!p)
                        return -ENOMEM;
                buf = p;
                k = read_full(fd, buf + len, size - len);
                if (k < 0)
                        return (int) k;
                len += (size_t) k;
        } while (len == size); /* read_full() stops short only at end of file */
        if (len > max)
                return -EFBIG;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_size = len;
        return 0;
}

int write_full(int fd, const void *buf, size_t n) {
        const char *p = buf;

        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int read_small_file(const char *path, size_t max, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        if (fd < 0)
                return negative_errno();
        r = read_all_fd(fd, max, &buf, &size);
        if (r < 0)
                return r;
        /* A NUL inside would silently cut the text short for every reader. */
        if (strlen(buf) != size)
                return -EBADMSG;
        *ret = TAKE_PTR(buf);
        return 0;
}

#define RESOLVE_MAX_LINKS 40

int resolve_path_once(const char *path, bool no_symlinks) {
        static bool no_openat2 = false;
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0),
        };
        long fd;

        if (!path || path[0] != '/')
                return -EINVAL;
        if (!no_openat2) {
                fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
                if (fd >= 0 || errno != ENOSYS)
                        return fd < 0 ? negative_errno() : (int) fd;
                no_openat2 = true; /* the answer will not change in this process */
        }
        return resolve_path_walk(path, no_symlinks);
}

/* The next component of *rest (slashes skipped) as a NUL-terminated
 * string in place; *rest moves past it. NULL when none is left.
 * *ret_dir_wanted: a slash followed it (it must be a directory). */
static char *next_component(char **rest, bool *ret_dir_wanted) {
        char *c = *rest + strspn(*rest, "/"), *end;

        if (!*c)
                return NULL;
        end = c + strcspn(c, "/");
        *ret_dir_wanted = *end == '/';
        *rest = *end ? end + 1 : end;
        *end = '\0';
        return c;
}

/* The symlink link_fd, walked instead of itself: *todo becomes its target
 * followed (when a slash followed the link: more, or a directory wanted)
 * by what was still to walk; an absolute target starts again at the root
 * (*dir_fd). */
static int follow_link(int link_fd, int *dir_fd, char **todo, const char *rest, bool more) {
        char target[PATH_MAX + 1], *joined = NULL;
        struct statfs sfs;
        ssize_t n;

        /* Magic links (/proc/PID/fd/N, .../exe, .../root) jump to what a
         * process holds, not to a path: never, as RESOLVE_NO_MAGICLINKS. */
        if (fstatfs(link_fd, &sfs) < 0)
                return negative_errno();
        if (sfs.f_type == PROC_SUPER_MAGIC)
                return -ELOOP;
        n = readlinkat(link_fd, "", target, sizeof(target) - 1);
        if (n < 0)
                return negative_errno();
        if ((size_t) n >= sizeof(target) - 1)
                return -ENAMETOOLONG;
        target[n] = '\0';
        if (more ? asprintf(&joined, "%s/%s", target, rest) < 0 : !(joined = strdup(target)))
                return -ENOMEM;
        if (target[0] == '/') {
                int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (root < 0) {
                        free(joined);
                        return negative_errno();
                }
                safe_close(*dir_fd);
                *dir_fd = root;
        }
        free(*todo);
        *todo = joined;
        return 0;
}

int resolve_path_walk(const char *path, bool no_symlinks) {
        _cleanup_free_ char *todo = NULL;
        _cleanup_close_ int fd = -EBADF;
        unsigned links = 0;
        char *rest;

        if (!path || path[0] != '/')
                return -EINVAL;
        todo = strdup(path);
        fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (!todo || fd < 0)
                return !todo ? -ENOMEM : negative_errno();
        for (rest = todo;;) {
                _cleanup_close_ int child = -EBADF;
                bool dir_wanted = false;
                char *name = next_component(&rest, &dir_wanted);
                struct stat st;
                int r;

                if (!name)
                        return TAKE_FD(fd);
                if (streq(name, "."))
                        continue;
                child = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0 || fstat(child, &st) < 0)
                        return negative_errno();
                if (!S_ISLNK(st.st_mode)) {
                        if (dir_wanted && !S_ISDIR(st.st_mode))
                                return -ENOTDIR;
                        safe_close(fd);
                        fd = TAKE_FD(child);
                        continue;
                }
                if (no_symlinks || ++links > RESOLVE_MAX_LINKS)
                        return -ELOOP;
                r = follow_link(child, &fd, &todo, rest, dir_wanted);
                if (r < 0)
                        return r;
                rest = todo;
        }
}

const char *proc_fd_path(int fd, char buf[static PROC_FD_PATH_MAX]) {
        snprintf(buf, PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

int fd_get_path(int fd, char **ret) {
        char proc[PROC_FD_PATH_MAX], buf[PATH_MAX + 1];
        ssize_t n = readlink(proc_fd_path(fd, proc), buf, sizeof(buf) - 1);
        struct stat st;

        if (n < 0)
                return negative_errno();
        if ((size_t) n >= sizeof(buf) - 1)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        /* Not a path (pipe:[N], anon_inode:..., /memfd:...) or unlinked. */
        if (buf[0] != '/' || strncmp(buf, "/memfd:", 7) == 0)
                return -ENOENT;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_nlink == 0 && !S_ISDIR(st.st_mode))
                return -ENOENT;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int fd_reopen(int fd, int flags) {
        char proc[PROC_FD_PATH_MAX];
        int r = open(proc_fd_path(fd, proc), flags | O_CLOEXEC | O_NOCTTY);

        return r < 0 ? negative_errno() : r;
}

bool stat_same_inode(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}
