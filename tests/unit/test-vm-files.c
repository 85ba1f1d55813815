/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resolve-once primitives (fs-util.h), VmFile (vm-files.h) and cescape(). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fs-util.h"
#include "macro.h"
#include "qemu-argv.h"
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
        char src[256];
        int p[2], opath;

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        cr_assert_eq(vm_file_adopt_fd(p[0], "/x", VM_FILE_IMAGE_RO, O_RDONLY, &f), -EINVAL);
        /* The type first: a pipe's write end is no disk, whatever its mode. */
        cr_assert_eq(vm_file_adopt_fd(p[1], "/x", VM_FILE_IMAGE_RW, O_RDWR, &f), -EINVAL);
        close(p[0]);
        close(p[1]);
        snprintf(src, sizeof(src), "%s/real", dir);
        opath = open(src, O_PATH | O_CLOEXEC);
        cr_assert_eq(vm_file_adopt_fd(opath, "/x", VM_FILE_IMAGE_RO, O_RDONLY, &f), -EINVAL, "a directory");
        close(opath);
        snprintf(src, sizeof(src), "%s/real/img", dir);
        opath = open(src, O_PATH | O_CLOEXEC);
        cr_assert_eq(vm_file_adopt_fd(opath, "/x", VM_FILE_IMAGE_RO, O_RDONLY, &f), -EBADF,
                     "O_PATH proves no access");
        close(opath);
        cr_assert_eq(f.fd, -EBADF, "nothing kept on failure");
}

/* QEMU never shares a caller's open file description: its fd is a new
 * open of the inode with exactly the disk's mode, even when the caller's
 * fd has that mode already (a log the supervisor opened is passed on as
 * it is). */
Test(resolve, qemu_gets_its_own_open_of_a_callers_fd) {
        _cleanup_(vm_file_done) VmFile rw = VM_FILE_NULL, ro = VM_FILE_NULL, copy = VM_FILE_NULL;
        struct stat a, b;
        char src[256];
        int fd;

        snprintf(src, sizeof(src), "%s/real/img", dir);
        fd = open(src, O_RDWR | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        cr_assert_eq(vm_file_adopt_fd(fd, "/x", VM_FILE_IMAGE_RW, O_RDWR, &rw), 0);
        cr_assert_eq(vm_file_adopt_fd(fd, "/x", VM_FILE_IMAGE_RO, O_RDONLY, &ro), 0);
        cr_assert(rw.from_caller);
        cr_assert_eq(vm_file_prepare_qemu(&rw), 0);
        cr_assert_eq(vm_file_prepare_qemu(&ro), 0);
        cr_assert_eq(fcntl(rw.qemu_fd, F_GETFL) & O_ACCMODE, O_RDWR);
        cr_assert_eq(fcntl(ro.qemu_fd, F_GETFL) & O_ACCMODE, O_RDONLY, "narrowed to the disk's mode");
        /* Another file description: the caller's offset and flags are not QEMU's. */
        cr_assert_eq(lseek(fd, 100, SEEK_SET), 100);
        cr_assert_eq(lseek(rw.qemu_fd, 0, SEEK_CUR), 0);
        cr_assert_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
        cr_assert_eq(fcntl(rw.qemu_fd, F_GETFL) & O_APPEND, 0);
        cr_assert_eq(fstat(rw.qemu_fd, &a), 0);
        cr_assert_eq(fstat(fd, &b), 0);
        cr_assert(stat_same_inode(&a, &b));
        close(fd);
        /* A copy reaches the same inode through an fd of its own. */
        cr_assert_eq(vm_file_copy(&rw, &copy), 0);
        cr_assert_neq(copy.fd, rw.fd);
        cr_assert(copy.from_caller);
        cr_assert_eq(copy.qemu_fd, -EBADF);
        cr_assert_str_eq(copy.path, rw.path);
        cr_assert_eq(fstat(copy.fd, &a), 0);
        cr_assert(stat_same_inode(&a, &b));
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
        cr_assert_eq(vm_file_open_log(src, /* truncate= */ false, &f), 0);
        cr_assert(S_ISREG(f.st.st_mode));
        cr_assert_eq(f.st.st_mode & 07777, 0600);
        cr_assert_eq(fcntl(f.fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK), O_WRONLY | O_APPEND);
        snprintf(fifo, sizeof(fifo), "%s/real/fifo", dir);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        cr_assert_eq(vm_file_open_log(fifo, /* truncate= */ false, &g), -ENXIO);
        snprintf(lnk, sizeof(lnk), "%s/real/lnk", dir);
        cr_assert_eq(symlink("img", lnk), 0);
        cr_assert_eq(vm_file_open_log(lnk, /* truncate= */ false, &g), -ELOOP);
}

/* append='off': the supervisor empties the log (QEMU always appends to
 * its fd); append='on' keeps what is there. */
Test(resolve, log_truncated_only_when_asked) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL, g = VM_FILE_NULL;
        char src[256];
        FILE *w;

        snprintf(src, sizeof(src), "%s/real/old.log", dir);
        w = fopen(src, "we");
        cr_assert_not_null(w);
        fputs("earlier run\n", w);
        cr_assert_eq(fclose(w), 0);
        cr_assert_eq(vm_file_open_log(src, /* truncate= */ false, &f), 0);
        cr_assert_eq(f.st.st_size, 12);
        cr_assert_eq(vm_file_open_log(src, /* truncate= */ true, &g), 0);
        cr_assert_eq(fstat(g.fd, &g.st), 0);
        cr_assert_eq(g.st.st_size, 0);
}

Test(resolve, socket_bound_through_its_directory) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL, g = VM_FILE_NULL;
        _cleanup_close_ int c = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        VmFiles files = { .items = &f, .n = 1 };
        char src[256], want[256], plain[256];
        struct stat st;

        /* A stale socket of an earlier run goes; a plain file is refused. */
        snprintf(src, sizeof(src), "%s/link/serial.sock", dir);
        cr_assert_eq(vm_file_bind_socket(src, &f), 0);
        vm_file_done(&f);
        cr_assert_eq(vm_file_bind_socket(src, &f), 0);
        snprintf(want, sizeof(want), "%s/real/serial.sock", dir);
        cr_assert_str_eq(f.path, want);
        cr_assert(f.parent_only);
        cr_assert_eq(f.delivery, VM_FILE_BY_FD);
        cr_assert(S_ISSOCK(f.st.st_mode));
        cr_assert_geq(f.qemu_fd, 0);
        c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_lt(strlen(want), sizeof(sa.sun_path));
        memcpy(sa.sun_path, want, strlen(want) + 1);
        cr_assert_eq(connect(c, (struct sockaddr *) &sa, sizeof(sa)), 0, "connect: %m");
        snprintf(plain, sizeof(plain), "%s/real/img", dir);
        cr_assert_eq(vm_file_bind_socket(plain, &g), -EEXIST);

        /* Only the node it bound is removed: not one swapped in since. */
        cr_assert_eq(rename(want, plain), 0);
        cr_assert_eq(close(open(want, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)), 0);
        vm_files_remove_sockets(&files);
        cr_assert_eq(stat(want, &st), 0);
        cr_assert_eq(unlink(want), 0);
        cr_assert_eq(rename(plain, want), 0);
        vm_files_remove_sockets(&files);
        cr_assert_eq(stat(want, &st), -1);
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

Test(collect, wrong_types_are_named) {
        _cleanup_(vm_files_done) VmFiles files = {};
        _cleanup_free_ char *err = NULL;
        char img[256], sub[256];
        DomainDisk disk = { .source = img,
                            .device = DOMAIN_DISK_DEVICE_DISK,
                            .type = DOMAIN_DISK_TYPE_BLOCK };
        Domain d = { .disks = &disk, .n_disks = 1 };

        snprintf(img, sizeof(img), "%s/real/img", dir);
        cr_assert_eq(vm_files_collect(&d, NULL, NULL, &files, &err), -ENOTBLK);
        cr_assert_not_null(strstr(err, "is not a block device"), "%s", err);
        snprintf(sub, sizeof(sub), "%s/real", dir);
        disk.source = sub;
        disk.type = DOMAIN_DISK_TYPE_FILE;
        cr_assert_eq(vm_files_collect(&d, NULL, NULL, &files, &err), -EISDIR);
        cr_assert_not_null(strstr(err, "disk"), "%s", err);
        cr_assert_eq(vm_files_collect(&d, img, NULL, &files, &err), -EISDIR);
        disk.source = img;
        cr_assert_eq(vm_files_collect(&d, img, NULL, &files, &err), -ENOTDIR);
        cr_assert_not_null(strstr(err, "runtime directory"), "%s", err);
}

/* The same file for QEMU as a writable disk and as a cdrom: two entries,
 * each reopened with its own access mode; the log duplicated as opened;
 * numbered from 4 with fd sets from 1. */
Test(collect, qemu_fds_have_exactly_their_modes) {
        _cleanup_(vm_files_done) VmFiles files = {};
        _cleanup_free_ char *err = NULL;
        char img[256], log[256];
        DomainDisk disks[2] = {
                { .source = img, .device = DOMAIN_DISK_DEVICE_DISK },
                { .source = img, .device = DOMAIN_DISK_DEVICE_CDROM },
        };
        DomainChar serial = {
                .kind = DOMAIN_CHAR_SERIAL, .type = DOMAIN_CHAR_FILE, .path = log, .append = true
        };
        Domain d = { .disks = disks, .n_disks = 2, .chars = &serial, .n_chars = 1, .os.kernel = img };
        const int want_flags[] = { O_RDONLY, O_RDWR, O_RDONLY, O_WRONLY | O_APPEND };
        const unsigned want_set[] = { 0, 1, 2, 3 };

        snprintf(img, sizeof(img), "%s/real/img", dir);
        snprintf(log, sizeof(log), "%s/real/serial.log", dir);
        cr_assert_eq(vm_files_collect(&d, NULL, NULL, &files, &err), 0, "%s", err);
        cr_assert_eq(files.n, 4);
        cr_assert_eq(files.items[0].delivery, VM_FILE_BY_PROC_FD);
        cr_assert_eq(vm_files_prepare_qemu(&files, 4, &err), 4, "%s", err);
        for (size_t i = 0; i < files.n; i++) {
                const VmFile *f = &files.items[i];
                int fl = fcntl(f->qemu_fd, F_GETFL);
                struct stat st;

                cr_assert_eq(fl & (O_ACCMODE | O_APPEND | O_PATH), want_flags[i], "entry %zu: flags %o", i,
                             fl);
                cr_assert_eq(fcntl(f->qemu_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
                cr_assert_eq(fstat(f->qemu_fd, &st), 0);
                cr_assert(stat_same_inode(&st, &f->st));
                cr_assert_eq(f->child_fd, 4 + (int) i);
                cr_assert_eq(f->fdset, want_set[i]);
        }
        vm_files_close_qemu(&files);
        cr_assert_eq(files.items[0].qemu_fd, -EBADF);
}

/* ---- the walk: which files, how QEMU gets them (no file system) -------- */

typedef struct Seen {
        VmFileSpec specs[16];
        size_t n;
} Seen;

static int remember(const VmFileSpec *spec, void *userdata) {
        Seen *seen = userdata;

        cr_assert_lt(seen->n, ELEMENTSOF(seen->specs));
        seen->specs[seen->n++] = *spec;
        return 0;
}

Test(walk, firmware_as_the_builder_resolves_it) {
        Domain d = { .os.firmware = DOMAIN_FIRMWARE_EFI, .os.nvram = (char *) "/var/lib/vmunit/x/VARS.fd" };
        Seen seen = {};

        /* firmware='efi' without a loader path is chosen from QEMU's
         * descriptors and filled in first (qemu_firmware_fill()): until
         * then there is no loader to open. */
        cr_assert_eq(vm_files_walk(&d, NULL, NULL, remember, &seen), 0);
        cr_assert_eq(seen.n, 1);
        cr_assert_eq(seen.specs[0].kind, VM_FILE_NVRAM);
        seen = (Seen){};
        d.os.loader = (char *) "/usr/share/OVMF/OVMF_CODE_4M.fd";
        cr_assert_eq(vm_files_walk(&d, NULL, NULL, remember, &seen), 0);
        cr_assert_eq(seen.n, 2);
        cr_assert_str_eq(seen.specs[0].source, "/usr/share/OVMF/OVMF_CODE_4M.fd");
        cr_assert_eq(seen.specs[0].kind, VM_FILE_BOOT);
        cr_assert_eq(seen.specs[0].delivery, VM_FILE_BY_FDSET);
        cr_assert_eq(seen.specs[0].qemu_flags, O_RDONLY);
        cr_assert_eq(seen.specs[1].kind, VM_FILE_NVRAM);
        cr_assert_eq(seen.specs[1].qemu_flags, O_RDWR);

        /* A ROM is -bios: reopened by QEMU through /proc/self/fd. */
        seen = (Seen){};
        d = (Domain){ .os.loader = (char *) "/usr/share/seabios/bios.bin" };
        cr_assert_eq(vm_files_walk(&d, NULL, NULL, remember, &seen), 0);
        cr_assert_eq(seen.n, 1);
        cr_assert_eq(seen.specs[0].delivery, VM_FILE_BY_PROC_FD);

        /* A writable pflash loader is a variable store of its own. */
        seen = (Seen){};
        d = (Domain){ .os.loader = (char *) "/l.fd",
                      .os.loader_type = DOMAIN_LOADER_PFLASH,
                      .os.loader_readonly = DOMAIN_TRISTATE_OFF };
        cr_assert_eq(vm_files_walk(&d, NULL, NULL, remember, &seen), 0);
        cr_assert_eq(seen.specs[0].kind, VM_FILE_NVRAM);
        cr_assert_eq(seen.specs[0].qemu_flags, O_RDWR);

        /* Refused firmware (secure boot on pc): no loader; the builder says why. */
        seen = (Seen){};
        d = (Domain){ .os.firmware = DOMAIN_FIRMWARE_EFI,
                      .os.loader_secure = DOMAIN_TRISTATE_ON,
                      .os.nvram = (char *) "/v.fd" };
        cr_assert_eq(vm_files_walk(&d, NULL, NULL, remember, &seen), 0);
        cr_assert_eq(seen.n, 1);
        cr_assert_eq(seen.specs[0].kind, VM_FILE_NVRAM);
}

Test(walk, sockets_logs_and_the_runtime_dir) {
        DomainChar chars[] = {
                { .kind = DOMAIN_CHAR_SERIAL,
                  .type = DOMAIN_CHAR_UNIX,
                  .path = (char *) "/s/bind",
                  .unix_listen = true },
                { .kind = DOMAIN_CHAR_SERIAL, .type = DOMAIN_CHAR_UNIX, .path = (char *) "/s/connect" },
                { .kind = DOMAIN_CHAR_SERIAL, .type = DOMAIN_CHAR_FILE, .path = (char *) "/l/a.log" },
                { .kind = DOMAIN_CHAR_SERIAL,
                  .type = DOMAIN_CHAR_FILE,
                  .path = (char *) "/l/b.log",
                  .append = true },
        };
        DomainGraphics vnc = { .type = DOMAIN_GRAPHICS_VNC, .socket = (char *) "/s/vnc" };
        Domain d = { .chars = chars, .n_chars = ELEMENTSOF(chars), .graphics = &vnc, .n_graphics = 1 };
        Seen seen = {};

        cr_assert_eq(vm_files_walk(&d, "/run/x/qemu", "/run/x/console.log", remember, &seen), 0);
        cr_assert_eq(seen.n, 7);
        cr_assert_eq(seen.specs[0].delivery, VM_FILE_BY_FD);
        cr_assert_eq(seen.specs[1].delivery, VM_FILE_BY_PATH);
        cr_assert_eq(seen.specs[1].qemu_flags, -1);
        cr_assert(seen.specs[2].truncate);
        cr_assert_not(seen.specs[3].truncate);
        cr_assert_eq(seen.specs[4].delivery, VM_FILE_BY_PATH);
        cr_assert_str_eq(seen.specs[5].what, "console log");
        cr_assert_not(seen.specs[5].truncate);
        cr_assert_eq(seen.specs[6].kind, VM_FILE_RUNTIME_DIR);
        cr_assert_eq(seen.specs[6].want_type, S_IFDIR);
}
