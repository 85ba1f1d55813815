/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * label-race ROOT UID GID ITERATIONS PATH VICTIM FLIP-DIRS A B
 *
 * The privileged path of a caller's file, raced: once VICTIM is open,
 * FLIP-DIRS A B swaps a directory PATH goes through with the one holding
 * VICTIM, in a tight loop, and until ITERATIONS files have been labelled, resolve PATH once (vm_file_resolve()), check the
 * file as a supervisor checks a caller's (here: owned by uid 1000 — the
 * victim is root's), then label it (DAC + SELinux under the shim) and
 * restore it. Whatever the flipping does, the file the check passed must
 * be the one labelled and restored, and VICTIM (opened once before the
 * race) must never get an ACL entry, a holder record or a context.
 * Prints counts; exits 1 at the first violation.
 */
#include <fcntl.h>
#include <selinux/selinux.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "acl-xattr.h"
#include "config.h"
#include "domain.h"
#include "fs-util.h"
#include "label.h"
#include "paths.h"
#include "vm-files.h"

#define CALLER_UID 1000

/* What the label library may leave on an inode, read through its fd. */
typedef struct Marks {
        char acl[256];
        ssize_t acl_size;
        ssize_t dac_record, selinux_record;
        char context[256];
} Marks;

static void marks_of(int fd, Marks *m) {
        char proc[PROC_FD_PATH_MAX], buf[512];
        char *con = NULL;

        proc_fd_path(fd, proc);
        *m = (Marks){};
        m->acl_size = getxattr(proc, ACL_XATTR_ACCESS, m->acl, sizeof(m->acl));
        m->dac_record = getxattr(proc, "trusted.vmunit.dac", buf, sizeof(buf));
        m->selinux_record = getxattr(proc, "trusted.vmunit.secontext", buf, sizeof(buf));
        if (getfilecon(proc, &con) >= 0) {
                snprintf(m->context, sizeof(m->context), "%s", con);
                freecon(con);
        }
}

static bool marks_equal(const Marks *a, const Marks *b) {
        return a->acl_size == b->acl_size &&
               (a->acl_size <= 0 || memcmp(a->acl, b->acl, (size_t) a->acl_size) == 0) &&
               a->dac_record == b->dac_record && a->selinux_record == b->selinux_record &&
               streq(a->context, b->context);
}

static int fail(const char *what, unsigned long i) {
        fprintf(stderr, "label-race: iteration %lu: %s\n", i, what);
        return 1;
}

/* Label and restore f once; 0, or 1 after saying what went wrong. */
static int label_once(const LabelManagerParams *p, const VmFile *f, int victim_fd,
                      const Marks *victim_before, unsigned long i) {
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_free_ char *err = NULL;
        VmFiles files = { .items = (VmFile *) f, .n = 1 };
        Marks before, during, victim, after;
        int r;

        marks_of(f->fd, &before);
        r = label_manager_new(p, &m, &err);
        if (r >= 0)
                r = label_manager_label_domain(m, &files, &err);
        if (r < 0) {
                fprintf(stderr, "label-race: %s\n", err ?: strerror(-r));
                return 1;
        }
        marks_of(f->fd, &during);
        marks_of(victim_fd, &victim);
        if (marks_equal(&before, &during) || during.acl_size <= 0 || during.dac_record <= 0)
                return fail("the file the check passed was not labelled", i);
        if (!marks_equal(&victim, victim_before))
                return fail("the victim was labelled", i);
        r = label_manager_restore_domain(m);
        if (r < 0)
                return fail("restore failed", i);
        marks_of(f->fd, &after);
        if (!marks_equal(&before, &after))
                return fail("restore missed the inode that was labelled", i);
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_close_ int victim_fd = -EBADF;
        VmunitPaths paths = {};
        VmunitConfig config = {};
        Domain d = { .name = (char *) "race", .uuid = { 0x0a, 0x0a, 0x0a, 0x0a, 0, 0, 0x40, 0, 0x80 } };
        unsigned long n, labelled = 0, refused = 0, missing = 0;
        Marks victim_before;

        char *flip_argv[] = { argv[7], argv[8], argv[9], NULL };
        pid_t flipper;
        int status;

        if (argc != 10) {
                fprintf(stderr, "usage: label-race ROOT UID GID ITERATIONS PATH VICTIM FLIP-DIRS A B\n");
                return 2;
        }
        if (paths_init(&paths, argv[1], NULL) < 0 || config_init_defaults(&config) < 0)
                return 2;
        config.security_driver = SECURITY_DRIVER_SELINUX;
        n = strtoul(argv[4], NULL, 10);
        victim_fd = resolve_path_once(argv[6], /* no_symlinks= */ true);
        if (victim_fd < 0)
                return fail("cannot open the victim", 0);
        marks_of(victim_fd, &victim_before);
        posix_spawn_file_actions_t fa;
        if (posix_spawn_file_actions_init(&fa) != 0 ||
            posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0) != 0 ||
            posix_spawn(&flipper, argv[7], &fa, NULL, flip_argv, NULL) != 0)
                return fail("cannot start the flipper", 0);
        posix_spawn_file_actions_destroy(&fa);
        usleep(10000);

        LabelManagerParams p = { .domain = &d,
                                 .config = &config,
                                 .paths = &paths,
                                 .name = "race",
                                 .qemu_uid = (uid_t) strtoul(argv[2], NULL, 10),
                                 .qemu_gid = (gid_t) strtoul(argv[3], NULL, 10) };
        /* n labels (and restores): the refused resolutions come between. */
        for (unsigned long i = 0; labelled < n && i < 1000 * n; i++) {
                _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
                int r = vm_file_resolve(argv[5], VM_FILE_BOOT, VM_FILE_BY_PROC_FD, O_RDONLY, &f);

                if (r == -ENOENT) { /* mid-rename */
                        missing++;
                        continue;
                }
                if (r < 0)
                        return fail("resolve failed", i);
                /* The caller check, on the one resolution. */
                if (f.st.st_uid != CALLER_UID) {
                        refused++;
                        continue;
                }
                if (label_once(&p, &f, victim_fd, &victim_before, i) != 0) {
                        kill(flipper, SIGKILL);
                        return 1;
                }
                labelled++;
        }
        kill(flipper, SIGTERM);
        if (waitpid(flipper, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return fail("the flipper failed", n);
        printf("%lu labelled, %lu refused, %lu missing\n", labelled, refused, missing);
        paths_done(&paths);
        config_done(&config);
        return 0;
}
