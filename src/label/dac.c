/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DAC backend: give QEMU's uid:gid ownership of what it must open, and
 * give it back at stop.
 *
 * Like libvirt's dynamic_ownership. With remember_owner the original owner
 * is kept in an xattr on the file itself with a reference count, so a
 * read-only image shared by two VMs goes back to its owner only when the
 * last of them stops. Every change is journalled (and fsync'd) before it
 * is made; restoring at stop and `--cleanup` after a crash both work from
 * the journal, so they are one code path.
 *
 * Paths are resolved once (realpath) and the result is opened O_PATH
 * without following symlinks: owner and xattr changes go through that fd
 * (fchownat AT_EMPTY_PATH, /proc/self/fd/N), so a symlink swapped in after
 * the checks cannot redirect a chown done as root.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "dac-internal.h"
#include "label-journal.h"
#include "label.h"

#define DAC_BACKEND_NAME "dac"
#define DAC_OP_CHOWN "chown"
/* One lock for every read-modify-write of the owner xattr, host-wide:
 * the xattr lives on the file, which any supervisor (system or embedded,
 * any VM) may share, so a per-VM or per-root lock would not do. The
 * sections are a few syscalls long; /run is root's (no pre-created file
 * by a user can hold it). */
#define DAC_LOCK_PATH "/run/vmunit-dac.lock"
#define PROC_FD_PATH_MAX 32

/* ---- pure decisions (dac-internal.h) ---- */

static int parse_uint(const char *s, int base, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        if (!s || *s < '0' || *s > '9')
                return -EBADMSG;
        errno = 0;
        v = strtoul(s, &end, base);
        if (errno != 0 || *end != '\0' || v > max)
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* Split s at ':' into exactly n fields (in place). */
static int split_fields(char *s, char **fields, size_t n) {
        size_t i = 0;

        for (char *p = s;; p++) {
                if (*p != ':' && *p != '\0')
                        continue;
                if (i == n)
                        return -EBADMSG;
                fields[i++] = s;
                if (*p == '\0')
                        break;
                *p = '\0';
                s = p + 1;
        }
        return i == n ? 0 : -EBADMSG;
}

int dac_owner_parse(const char *s, DacOwner *ret) {
        char buf[128], *f[5];
        unsigned long uid, gid, mode, ref;

        if (!s || strlen(s) >= sizeof(buf))
                return -EBADMSG;
        strcpy(buf, s);
        if (split_fields(buf, f, 5) < 0 || parse_uint(f[0], 10, UINT32_MAX - 1, &uid) < 0 ||
            parse_uint(f[1], 10, UINT32_MAX - 1, &gid) < 0 || parse_uint(f[2], 8, 07777, &mode) < 0 ||
            parse_uint(f[3], 10, UINT_MAX, &ref) < 0 || ref == 0 || strlen(f[4]) >= DAC_BOOT_ID_MAX)
                return -EBADMSG;
        *ret = (DacOwner){ .uid = uid, .gid = gid, .mode = mode, .refcount = ref };
        strcpy(ret->boot_id, f[4]);
        return 0;
}

int dac_owner_format(const DacOwner *o, char *buf, size_t size) {
        int n = snprintf(buf, size, "%u:%u:%o:%u:%s", (unsigned) o->uid, (unsigned) o->gid,
                         (unsigned) (o->mode & 07777), o->refcount, o->boot_id);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}

int dac_record_parse(const char *s, DacRecord *ret) {
        char buf[128], *f[6];
        unsigned long ou, og, om, tu, tg;

        if (!s || strlen(s) >= sizeof(buf))
                return -EBADMSG;
        strcpy(buf, s);
        if (split_fields(buf, f, 6) < 0 || !(streq(f[0], "xattr") || streq(f[0], "plain")) ||
            parse_uint(f[1], 10, UINT32_MAX - 1, &ou) < 0 || parse_uint(f[2], 10, UINT32_MAX - 1, &og) < 0 ||
            parse_uint(f[3], 8, 07777, &om) < 0 || parse_uint(f[4], 10, UINT32_MAX - 1, &tu) < 0 ||
            parse_uint(f[5], 10, UINT32_MAX, &tg) < 0)
                return -EBADMSG;
        *ret = (DacRecord){ .remembered = streq(f[0], "xattr"),
                            .orig_uid = ou,
                            .orig_gid = og,
                            .orig_mode = om,
                            .target_uid = tu,
                            .target_gid = tg };
        return 0;
}

int dac_record_format(const DacRecord *rec, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s:%u:%u:%o:%u:%u", rec->remembered ? "xattr" : "plain",
                         (unsigned) rec->orig_uid, (unsigned) rec->orig_gid,
                         (unsigned) (rec->orig_mode & 07777), (unsigned) rec->target_uid,
                         (unsigned) rec->target_gid);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}

bool dac_owned_by(const struct stat *st, uid_t uid, gid_t gid) {
        return st->st_uid == uid && (gid == (gid_t) -1 || st->st_gid == gid);
}

static int plan_check_type(const struct stat *st, LabelPathKind kind) {
        switch (kind) {
        case LABEL_PATH_RUNTIME_DIR: return S_ISDIR(st->st_mode) ? 0 : -ENOTDIR;
        case LABEL_PATH_SOCKET:
                if (S_ISSOCK(st->st_mode))
                        return 0;
                break;
        case LABEL_PATH_LOG:
                if (S_ISCHR(st->st_mode))
                        return 0; /* e.g. /dev/null as a log: harmless, but see below */
                break;
        default: break;
        }
        if (S_ISDIR(st->st_mode))
                return -EISDIR;
        /* Images, NVRAM, boot files and logs: regular files or block devices
         * (an image on a disk or LV). Anything else (FIFOs, char devices
         * as images) is not something a disk may point at. */
        return S_ISREG(st->st_mode) || S_ISBLK(st->st_mode) ? 0 : -EINVAL;
}

int dac_plan_compute(const struct stat *st, LabelPathKind kind, bool *ret_change) {
        int r = plan_check_type(st, kind);

        if (r < 0)
                return r;
        /* A char device as log (/dev/null) is shared by the whole host:
         * never take it over; QEMU opens it through its mode bits. */
        if (S_ISCHR(st->st_mode)) {
                *ret_change = false;
                return 0;
        }
        /* Boot files (kernel, initrd, firmware) are typically root-owned
         * and world-readable, often shared by many VMs and by the host
         * itself (/boot, /usr/share/OVMF): chowning them would hand them to
         * QEMU's user for no gain. Take them only when others cannot read
         * them (libvirt always chowns). */
        if (kind == LABEL_PATH_BOOT && S_ISREG(st->st_mode) && (st->st_mode & S_IROTH)) {
                *ret_change = false;
                return 0;
        }
        *ret_change = true;
        return 0;
}

static void owner_from_stat(DacOwner *o, const struct stat *st, const char *boot_id) {
        *o = (DacOwner){ .uid = st->st_uid, .gid = st->st_gid, .mode = st->st_mode & 07777, .refcount = 1 };
        snprintf(o->boot_id, sizeof(o->boot_id), "%s", boot_id);
}

int dac_remember_decide(const DacOwner *cur, const struct stat *st, uid_t uid, gid_t gid,
                        const char *boot_id, DacOwner *ret_next) {
        bool ours = dac_owned_by(st, uid, gid);

        if (cur && streq(cur->boot_id, boot_id)) {
                /* Another running VM took the file. Sharing is fine only
                 * under the same owner; otherwise one of the two VMs would
                 * lose access: refuse (fail closed). */
                if (!ours)
                        return -EBUSY;
                *ret_next = *cur;
                ret_next->refcount++;
                return DAC_REMEMBER_SHARE;
        }
        if (cur && ours) {
                /* A count from before a reboot: those VMs are gone, but the
                 * file is still QEMU's because nobody restored it (power
                 * loss; the journal in /run died with the boot). The
                 * stale value still names the real original owner. */
                *ret_next = *cur;
                ret_next->refcount = 1;
                snprintf(ret_next->boot_id, sizeof(ret_next->boot_id), "%s", boot_id);
                return DAC_REMEMBER_FIRST;
        }
        /* No VM counted (or a stale count on a file someone has chowned
         * since: their choice wins). Already QEMU's: the admin made it so;
         * nothing to change and nothing to give back. */
        if (ours)
                return DAC_REMEMBER_NOTHING;
        owner_from_stat(ret_next, st, boot_id);
        return DAC_REMEMBER_FIRST;
}

/* ---- the file being labelled ---- */

typedef struct DacFile {
        int fd; /* O_PATH */
        struct stat st;
        char proc_path[PROC_FD_PATH_MAX]; /* /proc/self/fd/N: xattrs and chmod need a path */
} DacFile;

#define DAC_FILE_NULL ((DacFile){ .fd = -EBADF })

static void dac_file_done(DacFile *f) {
        f->fd = safe_close(f->fd);
}

static int dac_file_open(const char *resolved, DacFile *f) {
        f->fd = open(resolved, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (f->fd < 0)
                return negative_errno();
        if (fstat(f->fd, &f->st) < 0)
                return negative_errno();
        snprintf(f->proc_path, sizeof(f->proc_path), "/proc/self/fd/%d", f->fd);
        return 0;
}

/* Returns 1 with *ret filled, 0 when there is no (valid) value, or
 * -EOPNOTSUPP when the file system has no trusted xattrs. */
static int xattr_read(const DacFile *f, DacOwner *ret) {
        char buf[128];
        ssize_t n = getxattr(f->proc_path, DAC_XATTR_NAME, buf, sizeof(buf) - 1);

        if (n < 0)
                return errno == ENODATA ? 0 : errno == ENOTSUP ? -EOPNOTSUPP : negative_errno();
        buf[n] = '\0';
        /* A value we cannot parse was not written by us (or is damaged):
         * trusting any part of it could hand a file to the wrong owner, so
         * treat it as absent and start over from the file's status. */
        return dac_owner_parse(buf, ret) < 0 ? 0 : 1;
}

static int xattr_write(const DacFile *f, const DacOwner *o) {
        char buf[128];
        int r = dac_owner_format(o, buf, sizeof(buf));

        if (r < 0)
                return r;
        if (setxattr(f->proc_path, DAC_XATTR_NAME, buf, strlen(buf), 0) < 0)
                return errno == ENOTSUP ? -EOPNOTSUPP : negative_errno();
        return 0;
}

static int xattr_remove(const DacFile *f) {
        if (removexattr(f->proc_path, DAC_XATTR_NAME) < 0 && errno != ENODATA)
                return negative_errno();
        return 0;
}

static int file_chown(const DacFile *f, uid_t uid, gid_t gid) {
        return fchownat(f->fd, "", uid, gid, AT_EMPTY_PATH) < 0 ? negative_errno() : 0;
}

/* Give the file back: only when it is still the owner we set. Someone who
 * changed it since (an admin) made a choice that we must not undo. chown
 * clears setuid/setgid bits, so put the mode back too. */
static int file_give_back(DacFile *f, uid_t target_uid, gid_t target_gid, uid_t uid, gid_t gid,
                          mode_t mode) {
        int r;

        if (!dac_owned_by(&f->st, target_uid, target_gid))
                return 0;
        r = file_chown(f, uid, gid);
        if (r < 0)
                return r;
        if (fstat(f->fd, &f->st) < 0)
                return negative_errno();
        if ((f->st.st_mode & 07777) != (mode & 07777) && chmod(f->proc_path, mode & 07777) < 0)
                return negative_errno();
        return 0;
}

static int dac_lock(void) {
        _cleanup_close_ int fd =
                open(DAC_LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);

        if (fd < 0)
                return negative_errno();
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return TAKE_FD(fd);
}

static int read_boot_id(char buf[static DAC_BOOT_ID_MAX]) {
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, DAC_BOOT_ID_MAX - 1);
        if (n <= 0)
                return n < 0 ? negative_errno() : -EIO;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

/* ---- undo: shared by restore at stop and --cleanup ---- */

/* Drop one reference from the xattr; the last one gives the file back
 * from the xattr's original. Returns 1 when done, 0 when there was no
 * xattr (the caller falls back to the journal's original). Lock held. */
static int undo_remembered(DacFile *f, const DacRecord *rec) {
        DacOwner cur;
        int r = xattr_read(f, &cur);

        if (r <= 0)
                return r == -EOPNOTSUPP ? 0 : r;
        if (cur.refcount > 1) {
                cur.refcount--;
                r = xattr_write(f, &cur);
                return r < 0 ? r : 1;
        }
        /* The owner first, the xattr last: a crash in between leaves a
         * count of 1 and the journal record, and a second undo is then
         * harmless (chown to the same owner, remove the xattr). */
        r = file_give_back(f, rec->target_uid, rec->target_gid, cur.uid, cur.gid, cur.mode);
        if (r < 0)
                return r;
        r = xattr_remove(f);
        return r < 0 ? r : 1;
}

static int dac_undo(const char *resolved, const DacRecord *rec) {
        _cleanup_(dac_file_done) DacFile f = DAC_FILE_NULL;
        _cleanup_close_ int lock = -EBADF;
        int r = dac_file_open(resolved, &f);

        /* The file is gone (a deleted image): nothing to give back. */
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        /* The path was a symlink when it was labelled (realpath resolved
         * it) but is one now: someone swapped it. Touch nothing. */
        if (S_ISLNK(f.st.st_mode))
                return -ELOOP;
        if (rec->remembered) {
                lock = dac_lock();
                if (lock < 0)
                        return lock;
                r = undo_remembered(&f, rec);
                if (r != 0)
                        return r < 0 ? r : 0;
                /* No xattr: the supervisor died between the journal record
                 * and the xattr, or the file system lost it; the journal's
                 * original is the one. */
        }
        return file_give_back(&f, rec->target_uid, rec->target_gid, rec->orig_uid, rec->orig_gid,
                              rec->orig_mode);
}

/* ---- label ---- */

static int journal_chown(LabelContext *c, const char *resolved, const DacRecord *rec) {
        char value[128];
        int r = dac_record_format(rec, value, sizeof(value));

        if (r < 0)
                return r;
        return label_journal_record(c->journal,
                                    &(LabelRecord){ DAC_BACKEND_NAME, DAC_OP_CHOWN, resolved, value });
}

static int journal_undone(LabelContext *c, const char *resolved) {
        return label_journal_record(c->journal, &(LabelRecord){ DAC_BACKEND_NAME, LABEL_JOURNAL_OP_UNDONE,
                                                                resolved, DAC_OP_CHOWN });
}

/* A step failed after its record was written: undo what part of it was
 * done and cancel the record, so label_path is all or nothing. */
static int label_failed(LabelContext *c, const char *resolved, const DacRecord *rec, int error) {
        if (dac_undo(resolved, rec) >= 0)
                (void) journal_undone(c, resolved);
        return error;
}

static int label_plain(LabelContext *c, DacFile *f, const char *resolved) {
        DacRecord rec = { .remembered = false,
                          .orig_uid = f->st.st_uid,
                          .orig_gid = f->st.st_gid,
                          .orig_mode = f->st.st_mode & 07777,
                          .target_uid = c->qemu_uid,
                          .target_gid = c->qemu_gid };
        int r;

        if (dac_owned_by(&f->st, c->qemu_uid, c->qemu_gid))
                return 0;
        r = journal_chown(c, resolved, &rec);
        if (r < 0)
                return r;
        r = file_chown(f, c->qemu_uid, c->qemu_gid);
        return r < 0 ? label_failed(c, resolved, &rec, r) : 0;
}

/* Returns 0, -EOPNOTSUPP (no trusted xattrs here: the caller falls back
 * to journal-only, with no count: a second VM sharing the file then finds
 * it already QEMU's and records nothing, and the first VM's stop gives
 * it back), or -errno. */
static int label_remembered(LabelContext *c, DacFile *f, const char *resolved) {
        char boot_id[DAC_BOOT_ID_MAX];
        _cleanup_close_ int lock = -EBADF;
        DacOwner cur, next;
        int r, action;

        r = read_boot_id(boot_id);
        if (r < 0)
                return r;
        lock = dac_lock();
        if (lock < 0)
                return lock;
        r = xattr_read(f, &cur);
        if (r < 0)
                return r;
        action = dac_remember_decide(r > 0 ? &cur : NULL, &f->st, c->qemu_uid, c->qemu_gid, boot_id, &next);
        if (action < 0 || action == DAC_REMEMBER_NOTHING)
                return action < 0 ? action : 0;

        DacRecord rec = { .remembered = true,
                          .orig_uid = next.uid,
                          .orig_gid = next.gid,
                          .orig_mode = next.mode,
                          .target_uid = c->qemu_uid,
                          .target_gid = c->qemu_gid };
        r = journal_chown(c, resolved, &rec);
        if (r < 0)
                return r;
        r = xattr_write(f, &next);
        if (r >= 0 && action == DAC_REMEMBER_FIRST)
                r = file_chown(f, c->qemu_uid, c->qemu_gid);
        if (r < 0) {
                lock = safe_close(lock); /* dac_undo takes it again */
                return label_failed(c, resolved, &rec, r);
        }
        return 0;
}

/* realpath once; everything after works on the result. A log file or
 * socket QEMU creates itself may not exist yet: nothing to label. */
static int dac_resolve(const char *path, LabelPathKind kind, char **ret) {
        char *resolved = realpath(path, NULL);

        if (!resolved) {
                if (errno == ENOENT && (kind == LABEL_PATH_LOG || kind == LABEL_PATH_SOCKET)) {
                        *ret = NULL;
                        return 0;
                }
                return negative_errno();
        }
        *ret = resolved;
        return 0;
}

static int dac_label_path(LabelContext *c, const char *path, LabelPathKind kind) {
        _cleanup_(dac_file_done) DacFile f = DAC_FILE_NULL;
        _cleanup_free_ char *resolved = NULL;
        bool change;
        int r;

        /* QEMU keeps the caller's identity: nothing to hand over. */
        if (c->qemu_uid == (uid_t) -1)
                return 0;
        r = dac_resolve(path, kind, &resolved);
        if (r < 0 || !resolved)
                return r;
        r = dac_file_open(resolved, &f);
        if (r < 0)
                return r;
        r = dac_plan_compute(&f.st, kind, &change);
        if (r < 0 || !change)
                return r;
        if (c->config && c->config->remember_owner) {
                r = label_remembered(c, &f, resolved);
                if (r != -EOPNOTSUPP)
                        return r;
        }
        return label_plain(c, &f, resolved);
}

/* ---- restore ---- */

typedef struct DacFind {
        const char *path;
        char *value; /* the newest live record's value */
} DacFind;

static int find_newest(const LabelRecord *rec, void *userdata) {
        DacFind *f = userdata;

        if (f->value || !streq(rec->backend, DAC_BACKEND_NAME) || !streq(rec->op, DAC_OP_CHOWN) ||
            !streq(rec->path, f->path))
                return 0;
        f->value = strdup(rec->value);
        return f->value ? 0 : -ENOMEM;
}

static int dac_restore_path(LabelContext *c, const char *path) {
        _cleanup_free_ char *resolved = NULL;
        DacFind find = {};
        DacRecord rec;
        int r;

        resolved = realpath(path, NULL);
        if (!resolved)
                return errno == ENOENT ? 0 : negative_errno();
        /* What to give back is what the journal says: the same data
         * --cleanup would use, so a clean stop and a crash end alike. */
        find.path = resolved;
        r = label_journal_replay_live(c->paths->labels_dir, c->name, find_newest, &find);
        _cleanup_free_ char *value = find.value;
        if (r < 0)
                return r;
        if (!value)
                return 0; /* nothing was changed for this path */
        r = dac_record_parse(value, &rec);
        if (r < 0)
                return r;
        r = dac_undo(resolved, &rec);
        if (r < 0)
                return r;
        return journal_undone(c, resolved);
}

static int dac_undo_record(const LabelRecord *rec) {
        DacRecord d;
        int r;

        if (!streq(rec->op, DAC_OP_CHOWN) || rec->path[0] != '/')
                return -EBADMSG;
        r = dac_record_parse(rec->value, &d);
        if (r < 0)
                return r;
        return dac_undo(rec->path, &d);
}

static int dac_probe(const LabelContext *c) {
        /* chown to another user needs CAP_CHOWN: as a normal user (embedded
         * mode) there is nothing DAC can do. */
        return geteuid() == 0;
}

const LabelBackend label_backend_dac = {
        .name = DAC_BACKEND_NAME,
        .probe = dac_probe,
        .label_path = dac_label_path,
        .restore_path = dac_restore_path,
        .undo_record = dac_undo_record,
};
