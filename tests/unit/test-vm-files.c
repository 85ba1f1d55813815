/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resolve-once primitives (fs-util.h), VmFile (vm-files.h) and cescape(). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "macro.h"
#include "vm-files.h"

static char dir[] = "/tmp/vmunit-test-vm-files-XXXXXX";

static void make_tree(void) {
        char p[256];

        cr_assert_not_null(mkdtemp(dir));
        snprintf(p, sizeof(p), "%s/real", dir);
        cr_assert_eq(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/real/img", dir);
        cr_assert_geq(close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
        snprintf(p, sizeof(p), "%s/link", dir);
        cr_assert_eq(symlink("real", p), 0);
}

static void remove_tree(void) {
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(resolve, .init = make_tree, .fini = remove_tree);
TestSuite(collect, .init = make_tree, .fini = remove_tree);

Test(resolve, symlinks_followed_once_and_path_is_canonical) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        char src[256], want[256];

        snprintf(src, sizeof(src), "%s/link/img", dir);
        snprintf(want, sizeof(want), "%s/real/img", dir);
        cr_assert_eq(vm_file_resolve(src, VM_FILE_IMAGE_RW, VM_FILE_BY_FDSET, O_RDWR, &f), 0);
        cr_assert_str_eq(f.path, want);
        cr_assert_str_eq(f.source, src);
        cr_assert(S_ISREG(f.st.st_mode));
        cr_assert_eq(fcntl(f.fd, F_GETFL) & O_PATH, O_PATH);
}

Test(resolve, no_symlinks_refuses_a_link_anywhere) {
        char src[256];

        snprintf(src, sizeof(src), "%s/link/img", dir);
        cr_assert_eq(resolve_path_once(src, /* no_symlinks= */ true), -ELOOP);
        cr_assert_eq(resolve_path_once("relative/path", false), -EINVAL);
}

Test(resolve, magic_links_never) {
        char proc[PROC_FD_PATH_MAX];
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        cr_assert_geq(fd, 0);
        cr_assert_eq(resolve_path_once(proc_fd_path(fd, proc), false), -ELOOP);
        close(fd);
}

/* The walk (for where openat2() is refused, as under systemd's
 * RestrictSUIDSGID=) resolves exactly as openat2() does. */
Test(resolve, the_walk_agrees_with_openat2) {
        const char *links[][2] = {
                { "abs", NULL }, /* -> DIR/real, absolute */
                { "up", "real/../real/img" },
                { "loop1", "loop2" },
                { "loop2", "loop1" },
                { "proc", "/proc/self/fd/0" },
        };
        const struct {
                const char *rel;
                bool no_symlinks;
        } cases[] = {
                { "real/img", false },    { "link/img", false },  { "abs/img", false },
                { "up", false },          { "link/img", true },   { "real/img/", false },
                { "link/", false },       { "link", false },      { "none", false },
                { "link/none/x", false }, { "loop1", false },     { "real/./img", false },
                { "proc", false },        { "real//img", false }, { "link/../link", false },
                { "abs/", true },
        };
        char p[256], target[256];

        snprintf(target, sizeof(target), "%s/real", dir);
        links[0][1] = target;
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                snprintf(p, sizeof(p), "%s/%s", dir, links[i][0]);
                cr_assert_eq(symlink(links[i][1], p), 0);
        }
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_close_ int a = -EBADF, b = -EBADF;
                struct stat sa, sb;

                snprintf(p, sizeof(p), "%s/%s", dir, cases[i].rel);
                a = resolve_path_once(p, cases[i].no_symlinks);
                b = resolve_path_walk(p, cases[i].no_symlinks);
                cr_assert_eq(a < 0, b < 0, "%s: openat2 %d, walk %d", cases[i].rel, a, b);
                if (a < 0) {
                        cr_assert_eq(a, b, "%s: openat2 %d, walk %d", cases[i].rel, a, b);
                        continue;
                }
                cr_assert_eq(fstat(a, &sa), 0);
                cr_assert_eq(fstat(b, &sb), 0);
                cr_assert(stat_same_inode(&sa, &sb), "%s: different inodes", cases[i].rel);
                cr_assert_eq(fcntl(b, F_GETFL) & O_PATH, O_PATH);
        }
}

Test(resolve, the_fd_stays_on_its_inode_after_a_swap) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        char src[256], moved[256], p[256];
        struct stat st;

        snprintf(src, sizeof(src), "%s/real/img", dir);
        cr_assert_eq(vm_file_resolve(src, VM_FILE_IMAGE_RW, VM_FILE_BY_FDSET, O_RDWR, &f), 0);
        snprintf(moved, sizeof(moved), "%s/moved", dir);
        snprintf(p, sizeof(p), "%s/real", dir);
        cr_assert_eq(rename(p, moved), 0);
        cr_assert_eq(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/real/img", dir);
        cr_assert_geq(close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
        cr_assert_eq(fstat(f.fd, &st), 0);
        cr_assert(stat_same_inode(&st, &f.st));
        cr_assert_eq(stat(p, &st), 0);
        cr_assert_not(stat_same_inode(&st, &f.st));
}

Test(resolve, missing_file_and_socket_parent) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL, s = VM_FILE_NULL;
        char src[256], want[256];

        snprintf(src, sizeof(src), "%s/link/none", dir);
        cr_assert_eq(vm_file_resolve(src, VM_FILE_IMAGE_RW, VM_FILE_BY_FDSET, O_RDWR, &f), -ENOENT);
        cr_assert_eq(f.fd, -EBADF);
        cr_assert_eq(vm_file_resolve(src, VM_FILE_SOCKET, VM_FILE_BY_PATH, -1, &s), 0);
        snprintf(want, sizeof(want), "%s/real/none", dir);
        cr_assert(s.parent_only);
        cr_assert_str_eq(s.path, want);
        cr_assert(S_ISDIR(s.st.st_mode));
}

Test(resolve, adopt_checks_the_access_mode) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        char src[256];
        int ro, rw;

        snprintf(src, sizeof(src), "%s/real/img", dir);
        ro = open(src, O_RDONLY | O_CLOEXEC);
        rw = open(src, O_RDWR | O_CLOEXEC);
        cr_assert_eq(vm_file_adopt_fd(ro, "/x", VM_FILE_IMAGE_RW, O_RDWR, &f), -EBADF);
        cr_assert_eq(vm_file_adopt_fd(ro, "/x", VM_FILE_IMAGE_RO, O_RDONLY, &f), 0);
        vm_file_done(&f);
        cr_assert_eq(vm_file_adopt_fd(rw, "/x", VM_FILE_IMAGE_RW, O_RDWR, &f), 0);
        cr_assert_neq(f.fd, rw);
        cr_assert_eq(f.delivery, VM_FILE_BY_FDSET);
        close(ro);
        close(rw);
}

Test(resolve, adopt_refuses_what_is_not_a_file_or_block_device) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        int p[2];

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        cr_assert_eq(vm_file_adopt_fd(p[0], "/x", VM_FILE_IMAGE_RO, O_RDONLY, &f), -EINVAL);
        close(p[0]);
        close(p[1]);
}

Test(cescape, controls_backslash_and_bad_utf8) {
        const struct {
                const char *in, *out;
        } cases[] = {
                { "plain /path", "plain /path" },    { "a\nMAINPID=1", "a\\x0aMAINPID=1" },
                { "back\\slash", "back\\x5cslash" }, { "caf\xc3\xa9", "caf\xc3\xa9" },
                { "bad\xc3(", "bad\\xc3(" },         { "overlong\xc0\xaf", "overlong\\xc0\\xaf" },
                { "c1\xc2\x85", "c1\\xc2\\x85" },    { "del\x7f", "del\\x7f" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *e = cescape(cases[i].in, 100);
                cr_assert_str_eq(e, cases[i].out, "case %zu", i);
        }
}

Test(cescape, cut_at_max) {
        _cleanup_free_ char *e = cescape("abcdef", 3);

        cr_assert_str_eq(e, "abc...");
}

Test(set_errorf, stores_and_returns) {
        _cleanup_free_ char *msg = NULL;

        cr_assert_eq(set_errorf(&msg, -EINVAL, "disk '%s'", "vda"), -EINVAL);
        cr_assert_str_eq(msg, "disk 'vda'");
        cr_assert_eq(set_errorf(NULL, -ENOENT, "x"), -ENOENT);
}

Test(resolve, log_created_appended_and_fifo_refused) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL, g = VM_FILE_NULL;
        char src[256], fifo[256], lnk[256];

        snprintf(src, sizeof(src), "%s/link/serial.log", dir);
        cr_assert_eq(vm_file_open_log(src, &f), 0);
        cr_assert(S_ISREG(f.st.st_mode));
        cr_assert_eq(f.st.st_mode & 07777, 0600);
        cr_assert_eq(fcntl(f.fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK), O_WRONLY | O_APPEND);
        snprintf(fifo, sizeof(fifo), "%s/real/fifo", dir);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        cr_assert_eq(vm_file_open_log(fifo, &g), -ENXIO);
        snprintf(lnk, sizeof(lnk), "%s/real/lnk", dir);
        cr_assert_eq(symlink("img", lnk), 0);
        cr_assert_eq(vm_file_open_log(lnk, &g), -ELOOP);
}

Test(collect, a_domain_in_one_table) {
        _cleanup_(vm_files_done) VmFiles files = {};
        _cleanup_free_ char *err = NULL;
        char img[256], missing[256];
        DomainDisk disks[2] = {
                { .source = img, .device = DOMAIN_DISK_DEVICE_DISK },
                { .source = img, .device = DOMAIN_DISK_DEVICE_CDROM },
        };
        Domain d = { .disks = disks, .n_disks = 2 };

        snprintf(img, sizeof(img), "%s/real/img", dir);
        cr_assert_eq(vm_files_collect(&d, dir, NULL, &files, &err), 0);
        cr_assert_eq(files.n, 3);
        cr_assert_eq(files.items[0].kind, VM_FILE_IMAGE_RW);
        cr_assert_eq(files.items[0].qemu_flags, O_RDWR);
        cr_assert_eq(files.items[1].kind, VM_FILE_IMAGE_RO);
        cr_assert_eq(files.items[1].qemu_flags, O_RDONLY);
        cr_assert_eq(files.items[2].kind, VM_FILE_RUNTIME_DIR);
        cr_assert_not_null(vm_files_find(&files, VM_FILE_IMAGE_RO, img));
        vm_files_done(&files);

        snprintf(missing, sizeof(missing), "%s/real/none", dir);
        disks[1].source = missing;
        cr_assert_eq(vm_files_collect(&d, NULL, NULL, &files, &err), -ENOENT);
        cr_assert_eq(files.n, 0);
        cr_assert_not_null(strstr(err, missing));
}
