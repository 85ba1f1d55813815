/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POSIX ACLs in the kernel's xattr format (src/label/acl-xattr.c): the
 * bytes round-trip exactly, access follows the POSIX.1e check, and a
 * grant gives one uid what it needs and nobody anything else.
 */
#include <criterion/criterion.h>

#include "acl-xattr.h"

#define UNDEF ACL_XATTR_UNDEFINED_ID

static AclXattr acl_of(const AclXattrEntry *e, size_t n) {
        AclXattr a = { calloc(n, sizeof(AclXattrEntry)), n };

        cr_assert_not_null(a.entries);
        memcpy(a.entries, e, n * sizeof(AclXattrEntry));
        return a;
}

static void assert_entries(const AclXattr *a, const AclXattrEntry *want, size_t n) {
        cr_assert_eq(a->n, n, "%zu entries, want %zu", a->n, n);
        for (size_t i = 0; i < n; i++) {
                cr_assert_eq(a->entries[i].tag, want[i].tag, "entry %zu tag %x", i, a->entries[i].tag);
                cr_assert_eq(a->entries[i].perm, want[i].perm, "entry %zu perm %o", i, a->entries[i].perm);
                cr_assert_eq(a->entries[i].id, want[i].id, "entry %zu id %u", i, a->entries[i].id);
        }
}

/* What `setfacl -m u:1000:r` on a 0640 file gives, as the kernel writes it. */
static const unsigned char kernel_bytes[] = {
        0x02, 0x00, 0x00, 0x00,                         /* version 2 */
        0x01, 0x00, 0x06, 0x00, 0xff, 0xff, 0xff, 0xff, /* user::rw- */
        0x02, 0x00, 0x04, 0x00, 0xe8, 0x03, 0x00, 0x00, /* user:1000:r-- */
        0x04, 0x00, 0x04, 0x00, 0xff, 0xff, 0xff, 0xff, /* group::r-- */
        0x10, 0x00, 0x04, 0x00, 0xff, 0xff, 0xff, 0xff, /* mask::r-- */
        0x20, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, /* other::--- */
};

Test(acl_xattr, decode_encode_exact) {
        _cleanup_(acl_xattr_done) AclXattr a = {};
        _cleanup_free_ void *bytes = NULL;
        size_t size;

        cr_assert_eq(acl_xattr_decode(kernel_bytes, sizeof(kernel_bytes), &a), 0);
        assert_entries(&a,
                       (AclXattrEntry[]){ { ACL_XATTR_USER_OBJ, 6, UNDEF },
                                          { ACL_XATTR_USER, 4, 1000 },
                                          { ACL_XATTR_GROUP_OBJ, 4, UNDEF },
                                          { ACL_XATTR_MASK, 4, UNDEF },
                                          { ACL_XATTR_OTHER, 0, UNDEF } },
                       5);
        cr_assert_eq(acl_xattr_encode(&a, &bytes, &size), 0);
        cr_assert_eq(size, sizeof(kernel_bytes));
        cr_assert_eq(memcmp(bytes, kernel_bytes, size), 0, "restored bytes differ");
}

Test(acl_xattr, decode_refuses_junk) {
        unsigned char b[sizeof(kernel_bytes)];
        AclXattr a = {};

        cr_assert_eq(acl_xattr_decode(kernel_bytes, 3, &a), -EBADMSG);
        cr_assert_eq(acl_xattr_decode(kernel_bytes, sizeof(kernel_bytes) - 1, &a), -EBADMSG);
        memcpy(b, kernel_bytes, sizeof(b));
        b[0] = 1; /* version */
        cr_assert_eq(acl_xattr_decode(b, sizeof(b), &a), -EBADMSG);
        memcpy(b, kernel_bytes, sizeof(b));
        b[14] = 0x08; /* a permission bit that does not exist */
        cr_assert_eq(acl_xattr_decode(b, sizeof(b), &a), -EBADMSG);
        memcpy(b, kernel_bytes, sizeof(b));
        b[12] = 0x40; /* an unknown tag */
        cr_assert_eq(acl_xattr_decode(b, sizeof(b), &a), -EBADMSG);
        /* A named entry without a mask. */
        memcpy(b, kernel_bytes, 28);
        memcpy(b + 28, kernel_bytes + 36, 8);
        cr_assert_eq(acl_xattr_decode(b, 36, &a), -EBADMSG);
        cr_assert_null(a.entries);
}

Test(acl_xattr, access_by_mode) {
        _cleanup_(acl_xattr_done) AclXattr a = {};

        cr_assert_eq(acl_xattr_from_mode(0640, &a), 0);
        cr_assert_eq(acl_xattr_access(&a, 0, 100, 0, 0), 6, "owner");
        cr_assert_eq(acl_xattr_access(&a, 0, 100, 42, 100), 4, "group");
        cr_assert_eq(acl_xattr_access(&a, 0, 100, 42, 42), 0, "other");
        acl_xattr_done(&a);
        cr_assert_eq(acl_xattr_from_mode(0644, &a), 0);
        cr_assert_eq(acl_xattr_access(&a, 0, 0, 42, 42), 4, "world-readable");
}

Test(acl_xattr, access_with_named_entry_and_mask) {
        _cleanup_(acl_xattr_done) AclXattr a = {};

        cr_assert_eq(acl_xattr_decode(kernel_bytes, sizeof(kernel_bytes), &a), 0);
        cr_assert_eq(acl_xattr_access(&a, 0, 0, 1000, 1000), 4);
        a.entries[1].perm = 6; /* user:1000:rw-, mask r-- */
        cr_assert_eq(acl_xattr_access(&a, 0, 0, 1000, 1000), 4, "the mask limits named users");
        cr_assert_eq(acl_xattr_access(&a, 0, 0, 7, 0), 4, "group::r through the mask");
}

Test(acl_xattr, grant_on_a_private_file) {
        _cleanup_(acl_xattr_done) AclXattr a = {};

        cr_assert_eq(acl_xattr_from_mode(0600, &a), 0);
        cr_assert_eq(acl_xattr_grant(&a, 4242, ACL_XATTR_READ), 0);
        assert_entries(&a,
                       (AclXattrEntry[]){ { ACL_XATTR_USER_OBJ, 6, UNDEF },
                                          { ACL_XATTR_USER, 4, 4242 },
                                          { ACL_XATTR_GROUP_OBJ, 0, UNDEF },
                                          { ACL_XATTR_MASK, 4, UNDEF },
                                          { ACL_XATTR_OTHER, 0, UNDEF } },
                       5);
        cr_assert_eq(acl_xattr_access(&a, 0, 0, 4242, 4343), 4);
        cr_assert_eq(acl_xattr_access(&a, 0, 0, 1, 0), 0, "the owning group gains nothing");
        cr_assert_eq(acl_xattr_access(&a, 0, 0, 1, 1), 0, "others gain nothing");
}

Test(acl_xattr, grant_keeps_everyone_elses_access) {
        /* bob has rw- but the mask lets only r-- through; group::rw- too. */
        _cleanup_(acl_xattr_done) AclXattr a = acl_of((AclXattrEntry[]){ { ACL_XATTR_USER_OBJ, 6, UNDEF },
                                                                         { ACL_XATTR_USER, 6, 1001 },
                                                                         { ACL_XATTR_GROUP_OBJ, 6, UNDEF },
                                                                         { ACL_XATTR_GROUP, 7, 50 },
                                                                         { ACL_XATTR_MASK, 4, UNDEF },
                                                                         { ACL_XATTR_OTHER, 0, UNDEF } },
                                                      6);
        unsigned before[3] = { acl_xattr_access(&a, 0, 10, 1001, 1001), acl_xattr_access(&a, 0, 10, 7, 10),
                               acl_xattr_access(&a, 0, 10, 8, 50) };

        cr_assert_eq(acl_xattr_grant(&a, 4242, ACL_XATTR_READ | ACL_XATTR_WRITE), 0);
        cr_assert_eq(acl_xattr_access(&a, 0, 10, 4242, 4242), 6);
        cr_assert_eq(acl_xattr_access(&a, 0, 10, 1001, 1001), before[0], "bob");
        cr_assert_eq(acl_xattr_access(&a, 0, 10, 7, 10), before[1], "the owning group");
        cr_assert_eq(acl_xattr_access(&a, 0, 10, 8, 50), before[2], "group 50");
        /* Sorted as the kernel wants it: tag, then id. */
        for (size_t i = 1; i < a.n; i++)
                cr_assert(
                        a.entries[i - 1].tag < a.entries[i].tag ||
                        (a.entries[i - 1].tag == a.entries[i].tag && a.entries[i - 1].id < a.entries[i].id));
}

Test(acl_xattr, grant_widens_an_existing_entry) {
        _cleanup_(acl_xattr_done) AclXattr a = {};

        cr_assert_eq(acl_xattr_decode(kernel_bytes, sizeof(kernel_bytes), &a), 0);
        cr_assert_eq(acl_xattr_grant(&a, 1000, ACL_XATTR_READ | ACL_XATTR_WRITE), 0);
        cr_assert_eq(a.n, 5, "no second entry for the same uid");
        cr_assert_eq(acl_xattr_access(&a, 0, 0, 1000, 1000), 6);
        cr_assert_eq(acl_xattr_access(&a, 0, 0, 5, 0), 4, "group::r stays r");
}
