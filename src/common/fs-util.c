/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <linux/magic.h>
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

#define RESOLVE_MAX_LINKS 40 /* as the kernel's MAXSYMLINKS */

/* One step of resolve_path_walk(): the component at the head of *rest
 * (cut off it), opened O_PATH relative to *dir_fd, which it replaces. A
 * symlink puts its target in front of what is left, in *rest (a new
 * malloc'd string) and, when absolute, restarts at "/". */
static int walk_step(int *dir_fd, char **rest, bool no_symlinks, unsigned *links) {
        char *p = *rest + strspn(*rest, "/"), *next = strchrnul(p, '/'), target[PATH_MAX];
        _cleanup_close_ int child = -EBADF;
        bool slash = *next == '/'; /* "name/": must be a directory */
        struct statfs sfs;
        struct stat st;
        ssize_t n;

        if (*next)
                *next++ = '\0';
        child = openat(*dir_fd, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0)
                return negative_errno();
        if (fstat(child, &st) < 0)
                return negative_errno();
        if (!S_ISLNK(st.st_mode)) {
                if (slash && !S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                safe_close(*dir_fd);
                *dir_fd = TAKE_FD(child);
                memmove(*rest, next, strlen(next) + 1);
                return 0;
        }
        /* Every link in procfs is refused: the magic ones (/proc/PID/fd/N,
         * exe, cwd, root) are not told apart from the rest here, and
         * refusing more than RESOLVE_NO_MAGICLINKS does is failing closed. */
        if (no_symlinks || ++*links > RESOLVE_MAX_LINKS || fstatfs(*dir_fd, &sfs) < 0 ||
            sfs.f_type == PROC_SUPER_MAGIC)
                return -ELOOP;
        n = readlinkat(child, "", target, sizeof(target) - 1);
        if (n < 0)
                return negative_errno();
        target[n] = '\0';
        char *joined = NULL;
        if (asprintf(&joined, "%s%s%s", target, slash ? "/" : "", next) < 0)
                return -ENOMEM;
        free(*rest);
        *rest = joined;
        if (target[0] == '/') {
                safe_close(*dir_fd);
                *dir_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (*dir_fd < 0)
                        return negative_errno();
        }
        return 0;
}

int resolve_path_walk(const char *path, bool no_symlinks) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *rest = NULL;
        unsigned links = 0;

        if (!path || path[0] != '/')
                return -EINVAL;
        rest = strdup(path);
        if (!rest)
                return -ENOMEM;
        fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        while (rest[strspn(rest, "/")] != '\0') {
                int r = walk_step(&fd, &rest, no_symlinks, &links);
                if (r < 0)
                        return r;
        }
        return TAKE_FD(fd);
}

int resolve_path_once(const char *path, bool no_symlinks) {
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0),
        };
        long fd;

        if (!path || path[0] != '/')
                return -EINVAL;
        fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
        /* ENOSYS: a kernel before 5.6, or systemd's RestrictSUIDSGID=yes
         * (vm@.service), which blocks openat2() whole because seccomp
         * cannot see its flags. Walk the path ourselves, the same way. */
        if (fd < 0 && errno == ENOSYS)
                return resolve_path_walk(path, no_symlinks);
        return fd < 0 ? negative_errno() : (int) fd;
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
