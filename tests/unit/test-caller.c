/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who a D-Bus caller is: the uid the bus reported, with the groups the
 * user database gives it, never the calling process's own.
 */
#include <criterion/criterion.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "caller.h"
#include "macro.h"

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
