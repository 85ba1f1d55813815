/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * list-xattrs PATH: print the names of every extended attribute of PATH
 * (not following a final symlink), one a line, in the kernel's order. Run
 * as root it shows trusted.* too. POSIX ACLs (system.posix_acl_*),
 * SELinux contexts and vmunit's holder records are all xattrs: for tests
 * that a file was left alone, on test hosts without getfattr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

int main(int argc, char **argv) {
        char *buf;
        ssize_t n;

        if (argc != 2) {
                fprintf(stderr, "usage: %s PATH\n", argv[0]);
                return 2;
        }
        n = llistxattr(argv[1], NULL, 0);
        if (n < 0) {
                fprintf(stderr, "list-xattrs: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        buf = malloc((size_t) n + 1);
        if (!buf)
                return 1;
        n = llistxattr(argv[1], buf, (size_t) n);
        if (n < 0) {
                fprintf(stderr, "list-xattrs: %s: %s\n", argv[1], strerror(errno));
                free(buf);
                return 1;
        }
        for (char *p = buf; p < buf + n; p += strlen(p) + 1)
                puts(p);
        free(buf);
        return 0;
}
