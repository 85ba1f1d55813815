/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Holder records and file journal values (src/label/holders.c): the
 * record both DAC and SELinux keep on a labelled file, and the one
 * decision labelling makes about it (new, stale boot, join, again).
 */
#include <criterion/criterion.h>

#include "holders.h"

#define BOOT_1 "11111111-1111-4111-8111-111111111111"
#define BOOT_2 "22222222-2222-4222-8222-222222222222"
#define UUID_A "0a0a0a0a-0000-4000-8000-00000000000a"
#define UUID_B "0b0b0b0b-0000-4000-8000-00000000000b"
#define CTX "system_u:object_r:user_home_t:s0"

Test(holders, round_trip) {
        _cleanup_(label_holders_done) LabelHolders h = {};
        _cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL;

        cr_assert_eq(label_holders_parse(BOOT_1 " " CTX, &h), 0);
        cr_assert_str_eq(h.boot_id, BOOT_1);
        cr_assert_str_eq(h.original, CTX);
        cr_assert_eq(h.n_uuids, 0);
        cr_assert_eq(label_holders_add(&h, UUID_A), 0);
        cr_assert_eq(label_holders_add(&h, UUID_B), 0);
        cr_assert_eq(label_holders_add(&h, UUID_A), 0); /* no duplicate */
        cr_assert_eq(h.n_uuids, 2);
        cr_assert_eq(label_holders_format(&h, &s1), 0);
        cr_assert_str_eq(s1, BOOT_1 " " CTX " " UUID_A " " UUID_B);

        cr_assert(label_holders_remove(&h, UUID_A));
        cr_assert_not(label_holders_remove(&h, UUID_A), "removing an absent UUID changes nothing");
        cr_assert_eq(h.n_uuids, 1);
        cr_assert(label_holders_has(&h, UUID_B));
        cr_assert_not(label_holders_has(&h, UUID_A));
        cr_assert_eq(label_holders_format(&h, &s2), 0);
        cr_assert_str_eq(s2, BOOT_1 " " CTX " " UUID_B);

        label_holders_done(&h);
        cr_assert_eq(label_holders_parse(s1, &h), 0);
        cr_assert_eq(label_holders_format(&h, &s3), 0);
        cr_assert_str_eq(s3, s1);
}

Test(holders, refused) {
        static const char *const bad[] = {
                "",
                CTX " " UUID_A, /* the old SELinux record: no boot id */
                BOOT_1,         /* no original */
                BOOT_1 " " CTX " not-a-uuid",
                "1:0:644:1:" BOOT_1, /* the old DAC refcount */
                BOOT_1 " " CTX " " UUID_A "x",
        };
        LabelHolders h = {};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                cr_assert_eq(label_holders_parse(bad[i], &h), -EBADMSG, "accepted '%s'", bad[i]);
        cr_assert_eq(label_holders_add(&h, "short"), -EINVAL);
        cr_assert_null(h.original);
}

Test(holders, decide_new) {
        _cleanup_(label_holders_done) LabelHolders next = {};
        _cleanup_free_ char *s = NULL;

        cr_assert_eq(label_holders_decide(NULL, CTX, BOOT_1, UUID_A, &next), LABEL_HOLD_NEW);
        cr_assert_eq(label_holders_format(&next, &s), 0);
        cr_assert_str_eq(s, BOOT_1 " " CTX " " UUID_A);
}

Test(holders, decide_join_and_again) {
        _cleanup_(label_holders_done) LabelHolders cur = {}, next = {}, again = {};
        _cleanup_free_ char *s = NULL;

        cr_assert_eq(label_holders_parse(BOOT_1 " " CTX " " UUID_A, &cur), 0);
        /* The file's state now (labelled by A) is not the original. */
        cr_assert_eq(label_holders_decide(&cur, "u:r:svirt_image_t:s0", BOOT_1, UUID_B, &next),
                     LABEL_HOLD_JOIN);
        cr_assert_eq(label_holders_format(&next, &s), 0);
        cr_assert_str_eq(s, BOOT_1 " " CTX " " UUID_A " " UUID_B);
        cr_assert_eq(label_holders_decide(&cur, "u:r:x:s0", BOOT_1, UUID_A, &again), LABEL_HOLD_AGAIN);
        cr_assert_eq(again.n_uuids, 1);
}

Test(holders, decide_stale_boot) {
        _cleanup_(label_holders_done) LabelHolders cur = {}, next = {};
        _cleanup_free_ char *s = NULL;

        /* A and B held it when the power went: their original stays, they
         * do not (the same VM starting again included). */
        cr_assert_eq(label_holders_parse(BOOT_1 " " CTX " " UUID_A " " UUID_B, &cur), 0);
        cr_assert_eq(label_holders_decide(&cur, "u:r:svirt_image_t:s0:c1,c2", BOOT_2, UUID_A, &next),
                     LABEL_HOLD_STALE);
        cr_assert_eq(label_holders_format(&next, &s), 0);
        cr_assert_str_eq(s, BOOT_2 " " CTX " " UUID_A);
}

Test(holders, decide_refuses_bad_input) {
        LabelHolders next = {};

        cr_assert_eq(label_holders_decide(NULL, "with space", BOOT_1, UUID_A, &next), -EINVAL);
        cr_assert_eq(label_holders_decide(NULL, CTX, "boot", UUID_A, &next), -EINVAL);
        cr_assert_eq(label_holders_decide(NULL, CTX, BOOT_1, "vm", &next), -EINVAL);
}

Test(holders, file_record_round_trip) {
        _cleanup_(label_file_record_done) LabelFileRecord p = {};
        LabelFileRecord r = {
                .dev = 2049, .ino = 1234567890123ULL, .held = true, .original = (char *) "0600:none"
        };
        _cleanup_free_ char *s = NULL, *s2 = NULL;

        strcpy(r.uuid, UUID_A);
        cr_assert_eq(label_file_record_format(&r, &s), 0);
        cr_assert_str_eq(s, "2049:1234567890123 " UUID_A " held 0600:none");
        cr_assert_eq(label_file_record_parse(s, &p), 0);
        cr_assert_eq(p.dev, 2049);
        cr_assert_eq(p.ino, 1234567890123ULL);
        cr_assert_str_eq(p.uuid, UUID_A);
        cr_assert(p.held);
        cr_assert_str_eq(p.original, "0600:none");
        r.held = false;
        cr_assert_eq(label_file_record_format(&r, &s2), 0);
        cr_assert_str_eq(s2, "2049:1234567890123 " UUID_A " plain 0600:none");
}

Test(holders, file_record_refused) {
        static const char *const bad[] = {
                "",
                UUID_A " " CTX,           /* the old SELinux value: no inode */
                "xattr:0:0:640:107:107",  /* the old DAC value */
                "1:2 " UUID_A " held",    /* no original */
                "1 " UUID_A " held " CTX, /* no inode number */
                "1:2 " UUID_A " maybe " CTX,
                "1:2 " UUID_A " held " CTX " extra",
                "99999999999999999999:2 " UUID_A " held " CTX,
        };
        LabelFileRecord r = {};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                cr_assert_eq(label_file_record_parse(bad[i], &r), -EBADMSG, "accepted '%s'", bad[i]);
        cr_assert_null(r.original);
}
