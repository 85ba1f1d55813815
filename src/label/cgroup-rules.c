/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pure parts of the VM cgroup: parsing /proc/self/cgroup, turning device
 * nodes into rules, and rules into BPF map entries or devices.allow lines.
 * No files, no syscalls: the unit tests call these directly.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cgroup-internal.h"
#include "cgroup.h"
#include "macro.h"

static bool controller_list_has(const char *list, size_t len, const char *controller) {
        size_t n = strlen(controller);
        const char *p = list, *end = list + len;

        while (p < end) {
                const char *comma = memchr(p, ',', (size_t) (end - p));
                size_t l = comma ? (size_t) (comma - p) : (size_t) (end - p);
                if (l == n && memcmp(p, controller, n) == 0)
                        return true;
                p += l + 1;
        }
        return false;
}

/* One line "ID:CONTROLLERS:PATH" (no newline). Returns 1 and the path
 * span on a match, 0 on no match, -EINVAL when malformed. */
static int match_line(const char *line, size_t len, const char *controller, const char **ret_path,
                      size_t *ret_len) {
        const char *end = line + len;
        const char *c1 = memchr(line, ':', len);
        if (!c1 || c1 == line)
                return -EINVAL;
        const char *c2 = memchr(c1 + 1, ':', (size_t) (end - c1 - 1));
        if (!c2)
                return -EINVAL;
        const char *path = c2 + 1;
        if (path >= end || *path != '/')
                return -EINVAL;

        size_t clen = (size_t) (c2 - c1 - 1);
        bool match;
        if (controller)
                match = controller_list_has(c1 + 1, clen, controller);
        else
                /* The unified hierarchy is "0::" (hierarchy ID 0, no controller list). */
                match = clen == 0 && c1 - line == 1 && line[0] == '0';
        if (!match)
                return 0;

        *ret_path = path;
        *ret_len = (size_t) (end - path);
        return 1;
}

int cgroup_parse_proc_cgroup(const char *text, const char *controller, char **ret_path) {
        const char *p = text;

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                const char *path;
                size_t plen;

                if (len > 0) {
                        int r = match_line(p, len, controller, &path, &plen);
                        if (r < 0)
                                return r;
                        if (r > 0) {
                                char *s = strndup(path, plen);
                                if (!s)
                                        return -ENOMEM;
                                *ret_path = s;
                                return 0;
                        }
                }
                p += len + (nl ? 1 : 0);
        }
        return -ENOENT;
}

int cgroup_rule_from_stat(const struct stat *st, unsigned access, CgroupDeviceRule *ret) {
        const unsigned all = CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE | CGROUP_DEVICE_MKNOD;
        char type;

        if (S_ISCHR(st->st_mode))
                type = 'c';
        else if (S_ISBLK(st->st_mode))
                type = 'b';
        else
                return -EINVAL;
        if (access == 0 || (access & ~all))
                return -EINVAL;

        *ret = (CgroupDeviceRule){
                .type = type,
                .major = major(st->st_rdev),
                .minor = minor(st->st_rdev),
                .access = access,
                .refcount = 1,
        };
        return 0;
}

int cgroup_rule_to_bpf(const CgroupDeviceRule *r, CgroupBpfKey *ret_key, uint32_t *ret_value) {
        uint32_t v = 0;

        if (r->type != 'c' && r->type != 'b')
                return -EINVAL;
        if (r->access & CGROUP_DEVICE_READ)
                v |= BPF_DEVCG_ACC_READ;
        if (r->access & CGROUP_DEVICE_WRITE)
                v |= BPF_DEVCG_ACC_WRITE;
        if (r->access & CGROUP_DEVICE_MKNOD)
                v |= BPF_DEVCG_ACC_MKNOD;

        /* Zero the whole key: it is hashed byte by byte, padding included
         * (there is none today, but the struct may grow). */
        memset(ret_key, 0, sizeof(*ret_key));
        ret_key->type = r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
        ret_key->major = r->major;
        ret_key->minor = r->minor;
        *ret_value = v;
        return 0;
}

int cgroup_rule_format_v1(const CgroupDeviceRule *r, char *buf, size_t size) {
        char minor[16], acc[4];
        size_t n = 0;
        int k;

        if (r->type != 'c' && r->type != 'b')
                return -EINVAL;
        if (r->access & CGROUP_DEVICE_READ)
                acc[n++] = 'r';
        if (r->access & CGROUP_DEVICE_WRITE)
                acc[n++] = 'w';
        if (r->access & CGROUP_DEVICE_MKNOD)
                acc[n++] = 'm';
        acc[n] = 0;
        if (n == 0)
                return -EINVAL;

        if (r->minor == CGROUP_MINOR_ANY)
                strcpy(minor, "*");
        else
                snprintf(minor, sizeof(minor), "%" PRIu32, r->minor);

        k = snprintf(buf, size, "%c %" PRIu32 ":%s %s", r->type, r->major, minor, acc);
        if (k < 0 || (size_t) k >= size)
                return -ENOBUFS;
        return k;
}

char *cgroup_escape_name(const char *name) {
        size_t n = strlen(name);
        char *s;

        if (n == 0 || n > 200)
                return NULL;
        s = strdup(name);
        if (!s)
                return NULL;
        /* The result becomes one directory name below /sys/fs/cgroup: no
         * '/', no "." / "..", nothing a shell or log reader could trip on. */
        for (char *p = s; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-", *p))
                        *p = '_';
        if (s[0] == '.')
                s[0] = '_';
        return s;
}
