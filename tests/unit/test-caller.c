/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * caller_open(): files opened as a D-Bus caller get the caller's
 * permission checks and ownership, and our own identity comes back
 * afterwards. Needs root (it switches identities); skips otherwise.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller.h"
#include "macro.h"

#define NOBODY 65534

static char dir[] = "/tmp/vmunit-test-caller-XXXXXX";

static void setup(void) {
        if (geteuid() != 0)
                cr_skip_test("needs root");
        cr_assert_not_null(mkdtemp(dir));
        cr_assert_eq(chmod(dir, 0755), 0);
}

static void teardown(void) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (geteuid() == 0 && system(cmd) != 0)
                cr_log_warn("could not remove %s", dir);
}

TestSuite(caller, .init = setup, .fini = teardown);

static char *path_in(const char *sub) {
        char *p;

        cr_assert_geq(asprintf(&p, "%s/%s", dir, sub), 0);
        return p;
}

Test(caller, refused_where_the_caller_may_not_write) {
        Caller nobody = { .uid = NOBODY, .gid = NOBODY };
        _cleanup_free_ char *p = path_in("x");

        cr_assert_eq(caller_open(&nobody, p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), -EACCES);
        cr_assert_neq(access(p, F_OK), 0, "nothing may be created");
}

Test(caller, created_as_the_caller_where_it_may_write) {
        Caller nobody = { .uid = NOBODY, .gid = NOBODY };
        _cleanup_free_ char *sub = path_in("own"), *p = path_in("own/x");
        struct stat st;
        int fd;

        cr_assert_eq(mkdir(sub, 0700), 0);
        cr_assert_eq(chown(sub, NOBODY, NOBODY), 0);
        fd = caller_open(&nobody, p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(stat(p, &st), 0);
        cr_assert_eq(st.st_uid, NOBODY);
        cr_assert_eq(st.st_gid, NOBODY);
}

Test(caller, supplementary_groups_count) {
        gid_t groups[] = { 4242 };
        Caller member = { .uid = NOBODY, .gid = NOBODY, .gids = groups, .n_gids = 1 };
        _cleanup_free_ char *p = path_in("group.img");
        int fd;

        fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0660);
        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(chown(p, 0, 4242), 0);
        cr_assert_eq(chmod(p, 0660), 0); /* not left to the umask */
        fd = caller_open(&member, p, O_RDWR | O_CLOEXEC, 0);
        cr_assert_geq(fd, 0, "group 4242 may read and write it");
        close(fd);
        member.n_gids = 0;
        cr_assert_eq(caller_open(&member, p, O_RDWR | O_CLOEXEC, 0), -EACCES);
}

Test(caller, our_identity_comes_back) {
        Caller nobody = { .uid = NOBODY, .gid = NOBODY };
        _cleanup_free_ char *p = path_in("x"), *q = path_in("y");
        int fd;

        cr_assert_lt(caller_open(&nobody, p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), 0);
        cr_assert_eq((uid_t) setfsuid((uid_t) -1), 0u);
        cr_assert_eq((gid_t) setfsgid((gid_t) -1), getegid());
        fd = caller_open(NULL, q, O_WRONLY | O_CREAT | O_CLOEXEC, 0600); /* as ourselves: root */
        cr_assert_geq(fd, 0);
        close(fd);
}

/* Mode bits as the kernel reads them: one class, never a mix. */
Test(caller_may, classes) {
        gid_t disk_group[] = { 6 };
        Caller member = { .uid = 1000, .gid = 1000, .gids = disk_group, .n_gids = 1 };
        Caller outsider = { .uid = 1001, .gid = 1001 };
        struct stat blk = { .st_mode = S_IFBLK | 0660, .st_uid = 0, .st_gid = 6 };
        struct stat own = { .st_mode = S_IFBLK | 0066, .st_uid = 1000, .st_gid = 6 };

        cr_assert(caller_may(&member, &blk, R_OK | W_OK));
        cr_assert_not(caller_may(&outsider, &blk, R_OK));
        cr_assert_not(caller_may(&member, &own, R_OK), "the owner class decides for the owner");
        cr_assert(caller_may(NULL, &blk, R_OK | W_OK), "no caller: ourselves");
        blk.st_mode = S_IFBLK | 0640;
        cr_assert(caller_may(&member, &blk, R_OK));
        cr_assert_not(caller_may(&member, &blk, W_OK));
}

/* Groups come from the user database for the uid the bus reported, never
 * from the calling process: a setgid exec after connecting gains nothing. */
Test(identity, groups_from_the_user_database) {
        _cleanup_(caller_done) Caller c = {};
        struct passwd *pw = getpwuid(0);
        gid_t want[256];
        int n = 256;

        cr_assert_not_null(pw);
        cr_assert_eq(caller_from_uid(0, &c), 0);
        cr_assert_eq(c.uid, 0);
        cr_assert_eq(c.gid, pw->pw_gid);
        cr_assert_geq(getgrouplist(pw->pw_name, pw->pw_gid, want, &n), 0);
        cr_assert_eq(c.n_gids, n);
        for (int i = 0; i < n; i++)
                cr_assert(caller_is_member(&c, want[i]), "group %u", (unsigned) want[i]);
}

Test(identity, our_process_groups_do_not_count) {
        _cleanup_(caller_done) Caller c = {};
        struct passwd *pw = getpwnam("nobody");
        gid_t extra = 4242; /* a group nobody is not in */

        if (!pw)
                cr_skip_test("no user nobody");
        if (geteuid() == 0)
                cr_assert_eq(setgroups(1, &extra), 0); /* this process has it now... */
        cr_assert_eq(caller_from_uid(pw->pw_uid, &c), 0);
        cr_assert_not(caller_is_member(&c, extra), "...but nobody's identity does not");
}

Test(identity, unknown_uid) {
        Caller c = {};

        cr_assert_eq(caller_from_uid(3999999999u, &c), -ENOENT);
}
