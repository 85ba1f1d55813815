/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POSIX ACLs as the kernel's xattr bytes (acl-xattr.h).
 */
#include <endian.h>
#include <stdbool.h>

#include "acl-xattr.h"

#define HEADER_SIZE 4
#define ENTRY_SIZE 8
#define PERM_BITS (ACL_XATTR_READ | ACL_XATTR_WRITE | ACL_XATTR_EXECUTE)

void acl_xattr_done(AclXattr *acl) {
        free(acl->entries);
        *acl = (AclXattr){};
}

static bool tag_known(uint16_t tag) {
        switch (tag) {
        case ACL_XATTR_USER_OBJ:
        case ACL_XATTR_USER:
        case ACL_XATTR_GROUP_OBJ:
        case ACL_XATTR_GROUP:
        case ACL_XATTR_MASK:
        case ACL_XATTR_OTHER: return true;
        default: return false;
        }
}

static size_t count_tag(const AclXattr *acl, uint16_t tag) {
        size_t n = 0;

        for (size_t i = 0; i < acl->n; i++)
                n += acl->entries[i].tag == tag;
        return n;
}

/* The kernel's own rules (posix_acl_valid): one of each base entry, and a
 * mask whenever there is a named entry. */
static bool acl_complete(const AclXattr *acl) {
        bool named = count_tag(acl, ACL_XATTR_USER) + count_tag(acl, ACL_XATTR_GROUP) > 0;

        return count_tag(acl, ACL_XATTR_USER_OBJ) == 1 && count_tag(acl, ACL_XATTR_GROUP_OBJ) == 1 &&
               count_tag(acl, ACL_XATTR_OTHER) == 1 && count_tag(acl, ACL_XATTR_MASK) <= 1 &&
               (!named || count_tag(acl, ACL_XATTR_MASK) == 1);
}

int acl_xattr_decode(const void *data, size_t size, AclXattr *ret) {
        const uint8_t *p = data;
        uint32_t version;
        AclXattr acl = {};

        if (size < HEADER_SIZE || (size - HEADER_SIZE) % ENTRY_SIZE != 0)
                return -EBADMSG;
        memcpy(&version, p, sizeof(version));
        if (le32toh(version) != ACL_XATTR_VERSION)
                return -EBADMSG;
        acl.n = (size - HEADER_SIZE) / ENTRY_SIZE;
        acl.entries = calloc(acl.n ?: 1, sizeof(AclXattrEntry));
        if (!acl.entries)
                return -ENOMEM;
        for (size_t i = 0; i < acl.n; i++) {
                const uint8_t *e = p + HEADER_SIZE + i * ENTRY_SIZE;
                uint16_t tag, perm;
                uint32_t id;

                memcpy(&tag, e, 2);
                memcpy(&perm, e + 2, 2);
                memcpy(&id, e + 4, 4);
                acl.entries[i] = (AclXattrEntry){ le16toh(tag), le16toh(perm), le32toh(id) };
                if (!tag_known(acl.entries[i].tag) || (acl.entries[i].perm & ~PERM_BITS)) {
                        acl_xattr_done(&acl);
                        return -EBADMSG;
                }
        }
        if (!acl_complete(&acl)) {
                acl_xattr_done(&acl);
                return -EBADMSG;
        }
        *ret = acl;
        return 0;
}

int acl_xattr_encode(const AclXattr *acl, void **ret, size_t *ret_size) {
        size_t size = HEADER_SIZE + acl->n * ENTRY_SIZE;
        uint8_t *buf = malloc(size);
        uint32_t version = htole32(ACL_XATTR_VERSION);

        if (!buf)
                return -ENOMEM;
        memcpy(buf, &version, sizeof(version));
        for (size_t i = 0; i < acl->n; i++) {
                uint8_t *e = buf + HEADER_SIZE + i * ENTRY_SIZE;
                uint16_t tag = htole16(acl->entries[i].tag), perm = htole16(acl->entries[i].perm);
                uint32_t id = htole32(acl->entries[i].id);

                memcpy(e, &tag, 2);
                memcpy(e + 2, &perm, 2);
                memcpy(e + 4, &id, 4);
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}

int acl_xattr_from_mode(mode_t mode, AclXattr *ret) {
        AclXattrEntry *e = calloc(3, sizeof(AclXattrEntry));

        if (!e)
                return -ENOMEM;
        e[0] = (AclXattrEntry){ ACL_XATTR_USER_OBJ, (mode >> 6) & PERM_BITS, ACL_XATTR_UNDEFINED_ID };
        e[1] = (AclXattrEntry){ ACL_XATTR_GROUP_OBJ, (mode >> 3) & PERM_BITS, ACL_XATTR_UNDEFINED_ID };
        e[2] = (AclXattrEntry){ ACL_XATTR_OTHER, mode & PERM_BITS, ACL_XATTR_UNDEFINED_ID };
        *ret = (AclXattr){ e, 3 };
        return 0;
}

static AclXattrEntry *find(const AclXattr *acl, uint16_t tag, uint32_t id) {
        for (size_t i = 0; i < acl->n; i++)
                if (acl->entries[i].tag == tag &&
                    ((tag != ACL_XATTR_USER && tag != ACL_XATTR_GROUP) || acl->entries[i].id == id))
                        return &acl->entries[i];
        return NULL;
}

unsigned acl_xattr_access(const AclXattr *acl, uid_t owner, gid_t group, uid_t uid, gid_t gid) {
        const AclXattrEntry *mask = find(acl, ACL_XATTR_MASK, 0), *e;
        unsigned m = mask ? mask->perm : PERM_BITS, groups = 0;
        bool group_matched = false;

        if (uid == owner)
                return (e = find(acl, ACL_XATTR_USER_OBJ, 0)) ? e->perm : 0;
        if ((e = find(acl, ACL_XATTR_USER, uid)))
                return e->perm & m;
        /* Every group entry that matches counts (the check grants what
         * any of them grants), each limited by the mask. */
        if (gid == group && (e = find(acl, ACL_XATTR_GROUP_OBJ, 0))) {
                group_matched = true;
                groups |= e->perm;
        }
        if ((e = find(acl, ACL_XATTR_GROUP, gid))) {
                group_matched = true;
                groups |= e->perm;
        }
        if (group_matched)
                return groups & m;
        return (e = find(acl, ACL_XATTR_OTHER, 0)) ? e->perm : 0;
}

static int entry_cmp(const void *a, const void *b) {
        const AclXattrEntry *x = a, *y = b;

        if (x->tag != y->tag)
                return x->tag < y->tag ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

static bool is_group_class(uint16_t tag) {
        return tag == ACL_XATTR_USER || tag == ACL_XATTR_GROUP_OBJ || tag == ACL_XATTR_GROUP;
}

int acl_xattr_grant(AclXattr *acl, uid_t uid, unsigned perms) {
        AclXattrEntry *mask = find(acl, ACL_XATTR_MASK, 0), *mine = find(acl, ACL_XATTR_USER, uid);
        unsigned old_mask = mask ? mask->perm : PERM_BITS, union_perms = 0;
        size_t need = !mask + !mine;

        if (need > 0) {
                AclXattrEntry *n = reallocarray(acl->entries, acl->n + need, sizeof(AclXattrEntry));
                if (!n)
                        return -ENOMEM;
                acl->entries = n;
                if (!find(acl, ACL_XATTR_USER, uid))
                        n[acl->n++] = (AclXattrEntry){ ACL_XATTR_USER, 0, (uint32_t) uid };
                if (!find(acl, ACL_XATTR_MASK, 0))
                        n[acl->n++] = (AclXattrEntry){ ACL_XATTR_MASK, 0, ACL_XATTR_UNDEFINED_ID };
        }
        for (size_t i = 0; i < acl->n; i++) {
                AclXattrEntry *e = &acl->entries[i];
                if (!is_group_class(e->tag))
                        continue;
                /* What the entry really gave (entry & mask) stays what it
                 * gives; ours gains perms. */
                e->perm &= old_mask;
                if (e->tag == ACL_XATTR_USER && e->id == (uint32_t) uid)
                        e->perm |= perms & PERM_BITS;
                union_perms |= e->perm;
        }
        find(acl, ACL_XATTR_MASK, 0)->perm = union_perms;
        qsort(acl->entries, acl->n, sizeof(AclXattrEntry), entry_cmp);
        return 0;
}
