/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fd-modes PID PATH: the access modes (r, w, rw) of PID's open fds on
 * PATH's inode (or, for a device node, on that device), each once, one a
 * line; nothing when PID has none. For tests that a process (QEMU) holds
 * a file, or not, and how: /proc/PID/fd and fdinfo, read as root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool same(const struct stat *a, const struct stat *b) {
        if ((S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode)) || (S_ISCHR(a->st_mode) && S_ISCHR(b->st_mode)))
                return a->st_rdev == b->st_rdev;
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The access mode of the fd NAME from its fdinfo (in the directory
 * info_fd): 0, 1, 2 or -1. */
static int access_mode(int info_fd, const char *name) {
        char line[256];
        unsigned flags = 0;
        bool found = false;
        int fd = openat(info_fd, name, O_RDONLY | O_CLOEXEC);
        FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;

        if (!f) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        while (!found && fgets(line, sizeof(line), f))
                found = sscanf(line, "flags: %o", &flags) == 1;
        fclose(f);
        return found ? (int) (flags & O_ACCMODE) : -1;
}

int main(int argc, char **argv) {
        static const char *const names[] = { "r", "w", "rw" };
        bool seen[3] = {};
        char dir[64];
        struct stat want;
        struct dirent *de;
        int info_fd;
        DIR *d;

        if (argc != 3) {
                fprintf(stderr, "usage: %s PID PATH\n", argv[0]);
                return 2;
        }
        if (stat(argv[2], &want) < 0) {
                fprintf(stderr, "fd-modes: %s: %s\n", argv[2], strerror(errno));
                return 1;
        }
        snprintf(dir, sizeof(dir), "/proc/%s/fdinfo", argv[1]);
        info_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        snprintf(dir, sizeof(dir), "/proc/%s/fd", argv[1]);
        d = opendir(dir);
        if (!d || info_fd < 0) {
                fprintf(stderr, "fd-modes: %s: %s\n", dir, strerror(errno));
                return 1;
        }
        while ((de = readdir(d))) {
                struct stat st;
                int mode;

                if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !same(&st, &want))
                        continue;
                mode = access_mode(info_fd, de->d_name);
                if (mode >= 0 && mode <= 2)
                        seen[mode] = true;
        }
        closedir(d);
        close(info_fd);
        for (int i = 0; i < 3; i++)
                if (seen[i])
                        puts(names[i]);
        return 0;
}
