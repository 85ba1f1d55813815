/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * POSIX ACLs in the kernel's xattr format (system.posix_acl_access), so
 * the DAC backend can give QEMU's uid an entry on one inode without
 * libacl: decode, encode, the access a uid/gid gets, and adding an entry.
 * Pure functions, unit-tested in tests/unit/test-acl-xattr.c.
 *
 * The format (linux/posix_acl_xattr.h): a little-endian u32 version (2),
 * then one {u16 tag, u16 perm, u32 id} per entry, sorted by tag and, for
 * named users and groups, by id.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define ACL_XATTR_ACCESS "system.posix_acl_access"
#define ACL_XATTR_VERSION 2
#define ACL_XATTR_UNDEFINED_ID UINT32_MAX

enum {
        ACL_XATTR_USER_OBJ = 0x01,
        ACL_XATTR_USER = 0x02,
        ACL_XATTR_GROUP_OBJ = 0x04,
        ACL_XATTR_GROUP = 0x08,
        ACL_XATTR_MASK = 0x10,
        ACL_XATTR_OTHER = 0x20,
};

/* Permission bits, as in a mode's rwx triplet. */
#define ACL_XATTR_READ 4u
#define ACL_XATTR_WRITE 2u
#define ACL_XATTR_EXECUTE 1u

typedef struct AclXattrEntry {
        uint16_t tag;
        uint16_t perm;
        uint32_t id;
} AclXattrEntry;

typedef struct AclXattr {
        AclXattrEntry *entries;
        size_t n;
} AclXattr;

void acl_xattr_done(AclXattr *acl);
/* Returns 0, -EBADMSG (wrong version, size, tag or permission bits, a
 * base entry missing or twice, named entries without a mask) or -ENOMEM. */
int acl_xattr_decode(const void *data, size_t size, AclXattr *ret);
/* *ret (malloc'd, *ret_size bytes). Returns 0 or -ENOMEM. */
int acl_xattr_encode(const AclXattr *acl, void **ret, size_t *ret_size);
/* The three-entry ACL a file without one has: its mode's rwx bits. */
int acl_xattr_from_mode(mode_t mode, AclXattr *ret);

/* The permission bits a process with uid and (primary) gid gets from acl
 * on a file owned by owner:group, by the POSIX.1e access check. */
unsigned acl_xattr_access(const AclXattr *acl, uid_t owner, gid_t group, uid_t uid, gid_t gid);

/*
 * Give uid at least perms through a named user entry, and nobody anything
 * else: the mask becomes the union of the group-class entries, each of
 * which is first cut to what the old mask let through, so every other
 * user and group keeps exactly the access it had. Returns 0 or -ENOMEM.
 */
int acl_xattr_grant(AclXattr *acl, uid_t uid, unsigned perms);
