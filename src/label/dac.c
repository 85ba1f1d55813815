/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DAC backend: let QEMU's uid open what it must open itself, and nothing
 * else, and give nothing away.
 *
 * QEMU receives an fd for every disk, pflash, NVRAM and log (vm-files.h):
 * the fd carries the access, so QEMU's uid needs none on those files. No
 * file's owner ever changes: QEMU's uid is shared by every VM, and
 * handing it a file would hand it to all of them (a read-only image
 * chowned to it became writable through its owner bits). What QEMU opens
 * itself (dac_needed_perms(): kernel/initrd/ROM reopened through
 * /proc/self/fd/N, sockets it connects to, the runtime directory) gets a
 * POSIX ACL entry for QEMU's uid, with only the permissions the kind
 * needs, and only when the mode bits (or an ACL already there) do not
 * already allow it. Every other user keeps exactly the access it had
 * (acl_xattr_grant()).
 *
 * The original (mode and ACL xattr bytes, or none) is journalled first
 * and kept in a holder record on the file (label-hold.h), so a file
 * several VMs use is restored exactly, by the last of them to stop.
 *
 * Every step works on the VmFile's fd, resolved once: the ACL and the
 * record through /proc/self/fd/N, which reaches the fd's inode without
 * walking a path again, so nothing renamed or swapped in since the
 * resolution can be affected.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "dac-internal.h"
#include "fs-util.h"
#include "label-hold.h"
#include "label.h"

#define DAC_BACKEND_NAME "dac"

/* ---- pure decisions (dac-internal.h) ---- */

static int check_type(const VmFile *f) {
        mode_t m = f->st.st_mode;

        switch (f->kind) {
        case VM_FILE_RUNTIME_DIR: return S_ISDIR(m) ? 0 : -ENOTDIR;
        case VM_FILE_SOCKET:
                /* One the supervisor bound (BY_FD): st is the socket node it
                 * made (vm_file_bind_socket()), fd its directory. */
                if (f->delivery == VM_FILE_BY_FD)
                        return S_ISSOCK(m) ? 0 : -EINVAL;
                if (f->parent_only)
                        return S_ISDIR(m) ? 0 : -ENOTDIR;
                return S_ISSOCK(m) ? 0 : -EINVAL;
        case VM_FILE_LOG:
                if (S_ISCHR(m))
                        return 0; /* e.g. /dev/null as a log */
                break;
        default: break;
        }
        if (S_ISDIR(m))
                return -EISDIR;
        /* Images, NVRAM, boot files and logs: regular files or block
         * devices (an image on a disk or LV), nothing else. */
        return S_ISREG(m) || S_ISBLK(m) ? 0 : -EINVAL;
}

int dac_needed_perms(const VmFile *f) {
        int r = check_type(f);

        if (r < 0)
                return r;
        /* A char device (/dev/null as a log) is the whole host's: never ours to open up. */
        if (S_ISCHR(f->st.st_mode))
                return 0;
        switch (f->delivery) {
        case VM_FILE_BY_FDSET:
        case VM_FILE_BY_FD: return 0;
        case VM_FILE_BY_PROC_FD: return ACL_XATTR_READ;
        case VM_FILE_BY_PATH:
                if (f->parent_only)
                        return 0;
                if (f->kind == VM_FILE_RUNTIME_DIR)
                        return ACL_XATTR_READ | ACL_XATTR_WRITE | ACL_XATTR_EXECUTE;
                if (f->kind == VM_FILE_SOCKET)
                        return ACL_XATTR_READ | ACL_XATTR_WRITE;
                return -EINVAL;
        default: return -EINVAL;
        }
}

void dac_original_done(DacOriginal *o) {
        free(o->acl);
        *o = (DacOriginal){};
}

int dac_original_format(const DacOriginal *o, char **ret) {
        char *s = malloc(8 + (o->acl ? o->acl_size * 2 : 4)), *p;

        if (!s)
                return -ENOMEM;
        p = s + sprintf(s, "%04o:", (unsigned) (o->mode & 07777));
        if (!o->acl)
                strcpy(p, "none");
        for (size_t i = 0; o->acl && i < o->acl_size; i++)
                p += sprintf(p, "%02x", ((const unsigned char *) o->acl)[i]);
        *ret = s;
        return 0;
}

int dac_original_parse(const char *s, DacOriginal *ret) {
        DacOriginal o = {};
        const char *hex;
        size_t len;
        char *end;
        unsigned long mode;

        if (!s || s[0] < '0' || s[0] > '7')
                return -EBADMSG;
        errno = 0;
        mode = strtoul(s, &end, 8);
        if (errno || *end != ':' || mode > 07777)
                return -EBADMSG;
        o.mode = (mode_t) mode;
        hex = end + 1;
        if (streq(hex, "none")) {
                *ret = o;
                return 0;
        }
        len = strlen(hex);
        if (len == 0 || len % 2 != 0)
                return -EBADMSG;
        o.acl_size = len / 2;
        o.acl = malloc(o.acl_size);
        if (!o.acl)
                return -ENOMEM;
        for (size_t i = 0; i < o.acl_size; i++) {
                int hi = unhexchar(hex[2 * i]), lo = unhexchar(hex[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                        dac_original_done(&o);
                        return -EBADMSG;
                }
                ((unsigned char *) o.acl)[i] = (unsigned char) (hi << 4 | lo);
        }
        *ret = o;
        return 0;
}

int dac_original_acl(const DacOriginal *o, AclXattr *ret) {
        return o->acl ? acl_xattr_decode(o->acl, o->acl_size, ret) : acl_xattr_from_mode(o->mode, ret);
}

int dac_has_access(const DacOriginal *o, uid_t owner, gid_t group, uid_t uid, gid_t gid, unsigned perms) {
        _cleanup_(acl_xattr_done) AclXattr acl = {};
        int r = dac_original_acl(o, &acl);

        if (r < 0)
                return r;
        return (acl_xattr_access(&acl, owner, group, uid, gid) & perms) == perms;
}

/* ---- the file, through its fd ---- */

/* get: the file's mode and ACL xattr now, as an original token. */
static int dac_get(int fd, char **ret) {
        _cleanup_(dac_original_done) DacOriginal o = {};
        char proc[PROC_FD_PATH_MAX];
        struct stat st;
        ssize_t n;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        o.mode = st.st_mode & 07777;
        n = getxattr(proc_fd_path(fd, proc), ACL_XATTR_ACCESS, NULL, 0);
        if (n < 0 && errno != ENODATA && errno != ENOTSUP)
                return negative_errno();
        if (n > 0) {
                o.acl = malloc((size_t) n);
                if (!o.acl)
                        return -ENOMEM;
                n = getxattr(proc, ACL_XATTR_ACCESS, o.acl, (size_t) n);
                if (n < 0)
                        return negative_errno(); /* ERANGE: it changed under us; try again later */
                o.acl_size = (size_t) n;
        }
        return dac_original_format(&o, ret);
}

/* put: the ACL xattr exactly as it was (or none), then the mode (setting
 * an ACL rewrote its group bits to the mask; removing one leaves them). */
static int dac_put(int fd, const char *original) {
        _cleanup_(dac_original_done) DacOriginal o = {};
        char proc[PROC_FD_PATH_MAX];
        struct stat st;
        int r = dac_original_parse(original, &o);

        if (r < 0)
                return r;
        proc_fd_path(fd, proc);
        if (o.acl && setxattr(proc, ACL_XATTR_ACCESS, o.acl, o.acl_size, 0) < 0)
                return negative_errno();
        if (!o.acl && removexattr(proc, ACL_XATTR_ACCESS) < 0 && errno != ENODATA && errno != ENOTSUP)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if ((st.st_mode & 07777) != o.mode && chmod(proc, o.mode) < 0)
                return negative_errno();
        return 0;
}

static const LabelHoldOps dac_hold_ops = {
        .backend = DAC_BACKEND_NAME,
        .op = "acl",
        .xattr = DAC_XATTR_NAME,
        LABEL_HOLD_STEPS("dac", "acl"),
        .get = dac_get,
        .put = dac_put,
};

static int dac_failf(LabelContext *c, int r, const char *fmt, ...) _printf_(3, 4);
static int dac_failf(LabelContext *c, int r, const char *fmt, ...) {
        va_list ap;

        free(c->error);
        c->error = NULL;
        va_start(ap, fmt);
        if (vasprintf(&c->error, fmt, ap) < 0)
                c->error = NULL;
        va_end(ap);
        return r;
}

/* Go on when VMs hold the file in this boot (we must be among its
 * holders, or the first of them to stop would take our access away), or
 * when QEMU's uid cannot yet do what it needs. */
static int dac_check(LabelContext *c, const VmFile *f, const char *current, const LabelHolders *live,
                     void *userdata) {
        _cleanup_(dac_original_done) DacOriginal o = {};
        unsigned perms = *(const unsigned *) userdata;
        int r;

        if (live)
                return 1;
        r = dac_original_parse(current, &o);
        if (r < 0)
                return r;
        r = dac_has_access(&o, f->st.st_uid, f->st.st_gid, c->qemu_uid, c->qemu_gid, perms);
        if (r != 0)
                return r < 0 ? r : 0;
        /* Its owner bits decide for the owner: a named entry cannot help. */
        if (f->st.st_uid == c->qemu_uid)
                return dac_failf(c, -EACCES,
                                 "cannot give QEMU access to %s %s: it is owned by QEMU's user, whose "
                                 "owner bits (mode %04o) do not allow it",
                                 vm_file_kind_to_string(f->kind), f->path,
                                 (unsigned) (f->st.st_mode & 07777));
        return 1;
}

static int dac_change(LabelContext *c, const VmFile *f, const char *current, void *userdata) {
        _cleanup_(dac_original_done) DacOriginal o = {};
        _cleanup_(acl_xattr_done) AclXattr acl = {};
        _cleanup_free_ void *bytes = NULL;
        unsigned perms = *(const unsigned *) userdata;
        char proc[PROC_FD_PATH_MAX];
        size_t size;
        int r;

        r = dac_original_parse(current, &o);
        if (r < 0)
                return r;
        /* Joining holders whose QEMU runs as another user, or a dead boot's
         * entry still there: write nothing QEMU's uid does not need. */
        r = dac_has_access(&o, f->st.st_uid, f->st.st_gid, c->qemu_uid, c->qemu_gid, perms);
        if (r != 0)
                return r < 0 ? r : 0;
        r = dac_original_acl(&o, &acl);
        if (r >= 0)
                r = acl_xattr_grant(&acl, c->qemu_uid, perms);
        if (r >= 0)
                r = acl_xattr_encode(&acl, &bytes, &size);
        if (r < 0)
                return r;
        if (setxattr(proc_fd_path(f->fd, proc), ACL_XATTR_ACCESS, bytes, size, 0) < 0) {
                r = negative_errno();
                if (r == -EOPNOTSUPP)
                        return dac_failf(c, r,
                                         "cannot give QEMU's user access to %s %s: its file system has no "
                                         "POSIX ACLs (make it readable by that user, or use another file "
                                         "system)",
                                         vm_file_kind_to_string(f->kind), f->path);
                return r;
        }
        return 0;
}

static int dac_label_file(LabelContext *c, const VmFile *f) {
        int perms;

        /* QEMU keeps the caller's identity: nothing to hand over. */
        if (c->qemu_uid == (uid_t) -1)
                return 0;
        perms = dac_needed_perms(f);
        if (perms <= 0)
                return perms;
        unsigned p = (unsigned) perms;
        return label_hold_file(c, &dac_hold_ops, f, c->config && c->config->remember_owner, dac_check,
                               dac_change, &p);
}

static int dac_restore_file(LabelContext *c, const VmFile *f) {
        return label_hold_restore(c, &dac_hold_ops, f);
}

static int dac_undo_record(const char *labels_dir, const LabelRecord *rec, char **ret_notice) {
        return label_hold_undo_record(&dac_hold_ops, labels_dir, rec, ret_notice);
}

static int dac_probe(const LabelContext *c) {
        /* ACL entries for another user need root (or the file's owner):
         * as a normal user (embedded mode) there is nothing DAC can do. */
        return geteuid() == 0;
}

const LabelBackend label_backend_dac = {
        .name = DAC_BACKEND_NAME,
        .probe = dac_probe,
        .label_file = dac_label_file,
        .restore_file = dac_restore_file,
        .undo_record = dac_undo_record,
};
