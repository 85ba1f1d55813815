/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save NAME FILE / restore FILE.
 *
 * save creates FILE itself, as the calling user (never over an existing
 * file, never through a symlink), and passes the fd to the running
 * domain's Save(h) on its D-Bus object: the supervisor (root in system
 * mode) writes the guest's state into it and the domain stops. The
 * supervisor never sees the path, so it cannot be made to resolve it;
 * on failure it empties the file and we remove it, as the user. With -H
 * (fds cannot cross SSH) it is root's SaveToPath(s) on that host.
 *
 * restore opens FILE as the calling user, reads its header
 * (src/qemu/save-file.h), and makes the request in the domain's state
 * directory from that fd: a hard link when the file is already ours
 * (root's in system mode) and writable by nobody else, else a copy
 * (ours, 0600). Either way the supervisor gets a file no one else can
 * change between its verification (the MAC over all of it) and QEMU's
 * load. Then the domain is started: through systemd in system mode, or as
 * the foreground supervisor in embedded mode (like `run`). The supervisor
 * picks the request up, removes it, and loads the file instead of booting.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "ctl.h"
#include "domain-xml.h"
#include "fs-util.h"
#include "log.h"
#include "save-file.h"
#include "vmunit-config.h"

#define COPY_CHUNK (1024U * 1024U)

/* A Save() that failed left FILE empty: remove it, but only if FILE is
 * still the file we created (we are the user; this is their own file). */
static void remove_own_file(const char *path, int fd) {
        struct stat a, b;

        if (fstat(fd, &a) >= 0 && lstat(path, &b) >= 0 && stat_same_inode(&a, &b) && b.st_size == 0)
                (void) unlink(path);
}

int ctl_cmd_save(Ctl *ctl, int argc, char **argv) {
        _cleanup_close_ int fd = -EBADF;

        if (ctl_expect_args(argc, 2, "save NAME FILE") < 0)
                return 1;
        /* Writing a large guest's memory takes longer than sd-bus's 25 s
         * default; the supervisor answers once the file is complete. */
        (void) setenv("SYSTEMD_BUS_TIMEOUT", "1h", /* overwrite= */ 0);
        if (ctl->host) {
                if (ctl_check_remote_path("save -H HOST: FILE", argv[1]) < 0 ||
                    ctl_vm_call(ctl, argv[0], "SaveToPath", NULL, "s", argv[1]) < 0)
                        return 1;
                printf("Domain '%s' saved to %s on %s\n", argv[0], argv[1], ctl->host);
                return 0;
        }
        fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0 && errno == EEXIST)
                return log_error("%s already exists; not overwriting it", argv[1]), 1;
        if (fd < 0)
                return log_error_errno(negative_errno(), "%s: cannot create: %m", argv[1]), 1;
        if (ctl_vm_call(ctl, argv[0], "Save", NULL, "h", fd) < 0) {
                remove_own_file(argv[1], fd);
                return 1;
        }
        printf("Domain '%s' saved to %s\n", argv[0], argv[1]);
        return 0;
}

/* The domain FILE (open at fd) was saved from; it must be defined here
 * with the same UUID. Stores its name. */
static int saved_domain(Ctl *ctl, int fd, const char *file, char **ret_name) {
        _cleanup_free_ char *xml = NULL, *err = NULL, *defined_path = NULL;
        _cleanup_domain_ Domain *saved = NULL, *defined = NULL;
        SaveHeader h;
        int r;

        r = save_file_read_header(fd, &h, &xml, &err);
        if (r < 0)
                return log_error("%s: %s", file, err ?: "cannot read it"), r;
        r = domain_parse_buffer(xml, strlen(xml), file, &saved, NULL);
        if (r < 0)
                return log_error("%s: the domain XML in the save file is invalid", file), r;
        defined_path = paths_domain_xml(&ctl->paths, saved->name);
        if (!defined_path)
                return -ENOMEM;
        if (domain_parse_file(defined_path, &defined, NULL) < 0)
                return log_error("%s: saved from domain '%s', which is not defined (define it first)", file,
                                 saved->name),
                       -ENOENT;
        if (memcmp(saved->uuid, defined->uuid, sizeof(saved->uuid)) != 0)
                return log_error("%s: saved from domain '%s' with another UUID than the defined one", file,
                                 saved->name),
                       -EINVAL;
        *ret_name = strdup(saved->name);
        return *ret_name ? 0 : -ENOMEM;
}

/* All of from (from offset 0) into to: copy_file_range, or read/write
 * where the kernel cannot copy between these file systems. */
static int copy_all(int from, int to) {
        _cleanup_free_ char *buf = NULL;
        off_t off = 0;

        for (;;) {
                ssize_t n = copy_file_range(from, &off, to, NULL, COPY_CHUNK, 0);

                if (n == 0)
                        return 0;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && off == 0 &&
                    (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
                        break;
                if (n < 0)
                        return negative_errno();
        }
        buf = malloc(COPY_CHUNK);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = pread(from, buf, COPY_CHUNK, off);
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? negative_errno() : 0;
                r = write_full(to, buf, (size_t) n);
                if (r < 0)
                        return r;
                off += n;
        }
}

/* A copy of fd as name in dir_fd: ours, 0600, complete before it has a
 * name (O_TMPFILE), so no half-copied request is ever seen or left. */
static int copy_request(int dir_fd, const char *name, int fd) {
        _cleanup_close_ int tmp = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        char proc[PROC_FD_PATH_MAX];
        int r;

        if (tmp < 0)
                return negative_errno();
        r = copy_all(fd, tmp);
        if (r >= 0 && fsync(tmp) < 0)
                r = negative_errno();
        if (r >= 0 && linkat(AT_FDCWD, proc_fd_path(tmp, proc), dir_fd, name, AT_SYMLINK_FOLLOW) < 0)
                r = negative_errno();
        return r;
}

/* The request STATE/NAME/restore from the open file fd (see the top). A
 * stale request is replaced. Returns the state directory's fd. */
static int write_request(Ctl *ctl, const char *name, int fd, const char *file) {
        _cleanup_free_ char *dir = paths_domain_state_dir(&ctl->paths, name);
        _cleanup_close_ int dir_fd = -EBADF;
        char proc[PROC_FD_PATH_MAX];
        struct stat st;
        int r;

        if (!dir)
                return log_error("Out of memory"), -ENOMEM;
        r = mkdir_parents(dir, 0750);
        if (r < 0)
                return log_error_errno(r, "cannot create %s: %m", dir);
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dir_fd < 0 || fstat(fd, &st) < 0)
                return log_error_errno(negative_errno(), "cannot open %s: %m", dir);
        if (unlinkat(dir_fd, SAVE_RESTORE_REQUEST_NAME, 0) < 0 && errno != ENOENT)
                return log_error_errno(negative_errno(), "cannot remove the stale request in %s: %m", dir);
        /* Another owner's file (or one others may write) is copied: the
         * supervisor trusts only what no one else can change. */
        r = -EXDEV;
        if (st.st_uid == geteuid() && !(st.st_mode & 022))
                r = linkat(AT_FDCWD, proc_fd_path(fd, proc), dir_fd, SAVE_RESTORE_REQUEST_NAME,
                           AT_SYMLINK_FOLLOW) < 0
                            ? negative_errno()
                            : 0;
        if (r == -EXDEV || r == -EPERM || r == -EMLINK)
                r = copy_request(dir_fd, SAVE_RESTORE_REQUEST_NAME, fd);
        if (r < 0)
                return log_error_errno(r, "cannot record the restore request for %s in %s: %m", file, dir);
        return TAKE_FD(dir_fd);
}

int ctl_cmd_restore(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *name = NULL, *supervisor = NULL;
        _cleanup_close_ int fd = -EBADF, dir_fd = -EBADF;
        struct stat st;
        int r;

        if (ctl_expect_args(argc, 1, "restore FILE") < 0)
                return 1;
        if (ctl->host)
                return log_error("restore reads FILE on this host; it cannot be used with -H"), 1;
        /* Non-blocking: a FIFO planted as FILE must not hang us. */
        fd = open(argv[0], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0)
                return log_error_errno(negative_errno(), "%s: cannot open: %m", argv[0]), 1;
        if (!S_ISREG(st.st_mode))
                return log_error("%s: not a regular file", argv[0]), 1;
        if (saved_domain(ctl, fd, argv[0], &name) < 0)
                return 1;
        if (ctl_domain_running_pid(ctl, name) > 0)
                return log_error("domain '%s' is running; stop it before restoring it", name), 1;
        dir_fd = write_request(ctl, name, fd, argv[0]);
        if (dir_fd < 0)
                return 1;
        if (!ctl->root) {
                r = ctl_cmd_start(ctl, 1, (char *[]){ name, NULL });
                /* Normally the supervisor consumed it; never leave one
                 * behind for a later plain start. */
                (void) unlinkat(dir_fd, SAVE_RESTORE_REQUEST_NAME, 0);
                if (r == 0)
                        printf("Domain '%s' restored from %s\n", name, argv[0]);
                return r;
        }
        supervisor = ctl_find_supervisor();
        if (!supervisor) {
                (void) unlinkat(dir_fd, SAVE_RESTORE_REQUEST_NAME, 0);
                return 1;
        }
        fflush(stdout);
        execl(supervisor, "vmunit-supervisor", "--root", ctl->paths.root, name, (char *) NULL);
        log_error_errno(negative_errno(), "Failed to execute %s: %m", supervisor);
        (void) unlinkat(dir_fd, SAVE_RESTORE_REQUEST_NAME, 0);
        return 2;
}
