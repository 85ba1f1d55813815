/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xattr-dump PATH...: everything a label may change on each file, one
 * line per item, so that two dumps compare with diff (the system tier's
 * label scenarios; the test host has no getfacl/getfattr):
 *
 *   PATH: absent
 *   PATH: owner UID:GID mode 0MODE inode INO type reg|dir|...
 *   PATH: xattr NAME=VALUE          every xattr, sorted by name
 *
 * The file itself, never a symlink's target (l*xattr, lstat). A VALUE of
 * printable bytes (a trailing NUL allowed, as in security.selinux) is
 * printed as "text"; system.posix_acl_access is decoded entry by entry
 * in its on-disk order ("acl u::rw- u:999:r-- g::--- m::r-- o::---"),
 * which loses nothing; anything else is 0x followed by hex. Exit 0, or 1
 * when a file could not be read.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#define VALUE_MAX (64 * 1024)

static int cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static const char *type_of(mode_t m) {
        return S_ISREG(m)    ? "reg"
               : S_ISDIR(m)  ? "dir"
               : S_ISSOCK(m) ? "sock"
               : S_ISBLK(m)  ? "blk"
               : S_ISCHR(m)  ? "chr"
               : S_ISLNK(m)  ? "lnk"
                             : "other";
}

static void print_hex(const unsigned char *v, size_t n) {
        printf("0x");
        for (size_t i = 0; i < n; i++)
                printf("%02x", v[i]);
}

/* struct posix_acl_xattr_header (u32 version 2) + entries {u16 tag, u16
 * perm, u32 id}, little endian. A first pass checks, the second prints.
 * Returns 0, or -1 (nothing printed) when it is not one. */
static int print_acl(const unsigned char *v, size_t n) {
        static const struct {
                unsigned tag;
                const char *name;
                int has_id;
        } tags[] = { { 0x01, "u:", 0 }, { 0x02, "u:", 1 }, { 0x04, "g:", 0 },
                     { 0x08, "g:", 1 }, { 0x10, "m:", 0 }, { 0x20, "o:", 0 } };
        const size_t n_tags = sizeof(tags) / sizeof(tags[0]);
        uint32_t le32;

        if (n < 4 || (n - 4) % 8 != 0)
                return -1;
        memcpy(&le32, v, 4);
        if (le32toh(le32) != 2)
                return -1;
        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1)
                        printf("acl");
                for (size_t off = 4; off < n; off += 8) {
                        uint16_t tag, perm;
                        uint32_t id;
                        size_t t;

                        memcpy(&tag, v + off, 2);
                        memcpy(&perm, v + off + 2, 2);
                        memcpy(&id, v + off + 4, 4);
                        tag = le16toh(tag);
                        perm = le16toh(perm);
                        id = le32toh(id);
                        for (t = 0; t < n_tags && tags[t].tag != tag; t++)
                                ;
                        if (t == n_tags || perm > 7)
                                return -1;
                        if (pass == 0)
                                continue;
                        printf(" %s", tags[t].name);
                        if (tags[t].has_id)
                                printf("%u", (unsigned) id);
                        printf(":%c%c%c", perm & 4 ? 'r' : '-', perm & 2 ? 'w' : '-', perm & 1 ? 'x' : '-');
                }
        }
        return 0;
}

static void print_value(const char *name, const unsigned char *v, size_t n) {
        size_t len = n;
        int text = n > 0;

        if ((strcmp(name, "system.posix_acl_access") == 0 ||
             strcmp(name, "system.posix_acl_default") == 0) &&
            print_acl(v, n) == 0)
                return;
        if (len > 0 && v[len - 1] == '\0')
                len--;
        for (size_t i = 0; i < len; i++)
                if (v[i] < 0x20 || v[i] >= 0x7f || v[i] == '"' || v[i] == '\\')
                        text = 0;
        if (text)
                printf("\"%.*s\"%s", (int) len, (const char *) v, len < n ? "\\0" : "");
        else
                print_hex(v, n);
}

static int dump(const char *path) {
        struct stat st;
        char *list = NULL, **names = NULL;
        unsigned char *value = malloc(VALUE_MAX);
        ssize_t size;
        size_t n = 0;
        int rc = 0;

        if (!value)
                return 1;
        if (lstat(path, &st) < 0) {
                free(value);
                if (errno == ENOENT || errno == ENOTDIR) {
                        printf("%s: absent\n", path);
                        return 0;
                }
                fprintf(stderr, "xattr-dump: %s: %s\n", path, strerror(errno));
                return 1;
        }
        printf("%s: owner %u:%u mode %04o inode %llu type %s\n", path, (unsigned) st.st_uid,
               (unsigned) st.st_gid, (unsigned) (st.st_mode & 07777), (unsigned long long) st.st_ino,
               type_of(st.st_mode));
        size = llistxattr(path, NULL, 0);
        if (size > 0) {
                list = malloc((size_t) size);
                size = list ? llistxattr(path, list, (size_t) size) : -1;
        }
        if (size < 0) {
                fprintf(stderr, "xattr-dump: %s: listxattr: %s\n", path, strerror(errno));
                rc = 1;
                size = 0;
        }
        for (ssize_t i = 0; i < size; i += (ssize_t) strlen(list + i) + 1)
                n++;
        names = calloc(n + 1, sizeof(char *));
        n = 0;
        for (ssize_t i = 0; names && i < size; i += (ssize_t) strlen(list + i) + 1)
                names[n++] = list + i;
        if (names)
                qsort(names, n, sizeof(char *), cmp);
        for (size_t i = 0; names && i < n; i++) {
                ssize_t len = lgetxattr(path, names[i], value, VALUE_MAX);

                printf("%s: xattr %s=", path, names[i]);
                if (len < 0) {
                        printf("<%s>", strerror(errno));
                        rc = 1;
                } else
                        print_value(names[i], value, (size_t) len);
                printf("\n");
        }
        free(names);
        free(list);
        free(value);
        return rc;
}

int main(int argc, char **argv) {
        int rc = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s PATH...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++)
                rc |= dump(argv[i]);
        return rc;
}
