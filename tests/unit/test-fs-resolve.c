/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * resolve_path_walk() (fs-util.c): the resolution resolve_path_once()
 * falls back to where openat2() is refused (RestrictSUIDSGID=yes in
 * vm@.service makes it ENOSYS) must end on the same inode openat2 finds,
 * and refuse what openat2 refuses.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "macro.h"

static char dir[] = "/tmp/vmunit-test-fs-resolve-XXXXXX";

static void make_tree(void) {
        char p[256];

        cr_assert_not_null(mkdtemp(dir));
        snprintf(p, sizeof(p), "%s/real", dir);
        cr_assert_eq(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/real/img", dir);
        cr_assert_geq(close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
        snprintf(p, sizeof(p), "%s/link", dir);
        cr_assert_eq(symlink("real", p), 0);
        snprintf(p, sizeof(p), "%s/abs", dir);
        cr_assert_eq(symlink(dir, p), 0);
        snprintf(p, sizeof(p), "%s/loop", dir);
        cr_assert_eq(symlink("loop", p), 0);
}

static void remove_tree(void) {
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(walk, .init = make_tree, .fini = remove_tree);

/* Walk and openat2 end on the same inode (or fail alike). */
static void assert_same(const char *rel, bool no_symlinks) {
        char p[256];
        struct stat a, b;
        int w, o;

        snprintf(p, sizeof(p), "%s/%s", dir, rel);
        w = resolve_path_walk(p, no_symlinks);
        o = resolve_path_once(p, no_symlinks);
        if (o < 0) {
                cr_assert_eq(w, o, "%s: walk %d, openat2 %d", rel, w, o);
                return;
        }
        cr_assert_geq(w, 0, "%s: walk %d", rel, w);
        cr_assert_eq(fstat(w, &a), 0);
        cr_assert_eq(fstat(o, &b), 0);
        cr_assert(stat_same_inode(&a, &b), "%s: another inode", rel);
        cr_assert_eq(fcntl(w, F_GETFL) & O_PATH, O_PATH);
        close(w);
        close(o);
}

Test(walk, same_inode_as_openat2) {
        assert_same("real/img", false);
        assert_same("link/img", false);
        assert_same("abs/link/./img", false);
        assert_same("real/../link/img", false);
        assert_same("real/img", true);
        assert_same("real//img/", false);
}

Test(walk, refuses_what_openat2_refuses) {
        char p[256];

        snprintf(p, sizeof(p), "%s/link/img", dir);
        cr_assert_eq(resolve_path_walk(p, /* no_symlinks= */ true), -ELOOP);
        snprintf(p, sizeof(p), "%s/loop", dir);
        cr_assert_eq(resolve_path_walk(p, false), -ELOOP);
        snprintf(p, sizeof(p), "%s/missing", dir);
        cr_assert_eq(resolve_path_walk(p, false), -ENOENT);
        cr_assert_eq(resolve_path_walk("relative", false), -EINVAL);
}

Test(walk, magic_links_never) {
        char proc[PROC_FD_PATH_MAX];
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        cr_assert_geq(fd, 0);
        cr_assert_eq(resolve_path_walk(proc_fd_path(fd, proc), false), -ELOOP);
        cr_assert_eq(resolve_path_walk("/proc/self/exe", false), -ELOOP);
        close(fd);
}
