/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Label a file and put it back, with a journal record and a holder
 * record (label-hold.h). Everything acts on the VmFile's fd: the
 * records' xattrs through /proc/self/fd/N (the f*xattr() calls refuse
 * O_PATH fds; the path form follows the magic link to the fd's inode
 * without walking any directory).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fs-util.h"
#include "label-hold.h"
#include "test-hook.h"

#define HOLDERS_MAX (64 * 1024) /* an xattr value cannot be larger */

int label_boot_id(char buf[static 37]) {
        _cleanup_close_ int fd = -EBADF;
        const char *fake = test_hook_boot_id();
        char tmp[64];
        ssize_t n;

        if (fake) {
                if (!label_id_valid(fake))
                        return -EINVAL;
                memcpy(buf, fake, LABEL_ID_STRLEN + 1);
                return 0;
        }
        fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        n = read_full(fd, tmp, sizeof(tmp) - 1);
        if (n < 0)
                return (int) n;
        tmp[n] = '\0';
        tmp[strcspn(tmp, "\n")] = '\0';
        if (!label_id_valid(tmp))
                return -EIO;
        memcpy(buf, tmp, LABEL_ID_STRLEN + 1);
        return 0;
}

static bool xattr_unsupported(int err) {
        return err == ENOTSUP || err == EOPNOTSUPP;
}

/* 1 with *ret, 0 when the file has no record, -EOPNOTSUPP when its file
 * system keeps no trusted xattrs, -EBADMSG for a record we cannot read
 * (never guessed at: it decides what the file is given back as). */
static int holders_read(int fd, const char *xattr, LabelHolders *ret) {
        char proc[PROC_FD_PATH_MAX];
        _cleanup_free_ char *buf = malloc(HOLDERS_MAX + 1);
        ssize_t n;

        if (!buf)
                return -ENOMEM;
        n = getxattr(proc_fd_path(fd, proc), xattr, buf, HOLDERS_MAX);
        if (n < 0)
                return errno == ENODATA ? 0 : xattr_unsupported(errno) ? -EOPNOTSUPP : negative_errno();
        buf[n] = '\0';
        if (strlen(buf) != (size_t) n)
                return -EBADMSG;
        int r = label_holders_parse(buf, ret);
        return r < 0 ? r : 1;
}

static int holders_write(int fd, const char *xattr, const LabelHolders *h) {
        char proc[PROC_FD_PATH_MAX];
        _cleanup_free_ char *value = NULL;
        int r = label_holders_format(h, &value);

        if (r < 0)
                return r;
        if (setxattr(proc_fd_path(fd, proc), xattr, value, strlen(value), 0) < 0)
                return xattr_unsupported(errno) ? -EOPNOTSUPP : negative_errno();
        return 0;
}

static int holders_remove(int fd, const char *xattr) {
        char proc[PROC_FD_PATH_MAX];

        if (removexattr(proc_fd_path(fd, proc), xattr) < 0 && errno != ENODATA)
                return negative_errno();
        return 0;
}

/* The undo, lock held: see label-hold.h for the order and why. */
static int undo_locked(const LabelHoldOps *ops, int fd, const LabelFileRecord *rec) {
        _cleanup_(label_holders_done) LabelHolders cur = {};
        int r;

        if (!rec->held) {
                r = ops->put(fd, rec->original);
                if (r >= 0)
                        test_hook(ops->step_restored);
                return r;
        }
        r = holders_read(fd, ops->xattr, &cur);
        /* No record (or none possible here): nothing of ours is on it. */
        if (r == 0 || r == -EOPNOTSUPP)
                return 0;
        if (r < 0)
                return r;
        if (!label_holders_remove(&cur, rec->uuid))
                return 0;
        if (cur.n_uuids > 0) {
                r = holders_write(fd, ops->xattr, &cur);
                if (r >= 0)
                        test_hook(ops->step_holder_removed);
                return r;
        }
        r = ops->put(fd, cur.original);
        if (r < 0)
                return r;
        test_hook(ops->step_restored);
        r = holders_remove(fd, ops->xattr);
        if (r < 0)
                return r;
        test_hook(ops->step_record_removed);
        return 0;
}

static int journal_file(LabelContext *c, const LabelHoldOps *ops, const VmFile *f,
                        const LabelFileRecord *rec) {
        _cleanup_free_ char *value = NULL;
        int r = label_file_record_format(rec, &value);

        if (r < 0)
                return r;
        return label_journal_record(c->journal, &(LabelRecord){ ops->backend, ops->op, f->path, value });
}

static int journal_undone(LabelJournal *j, const LabelHoldOps *ops, const char *path) {
        return label_journal_record(j,
                                    &(LabelRecord){ ops->backend, LABEL_JOURNAL_OP_UNDONE, path, ops->op });
}

/* The file's record when holder records are kept: 1 found, 0 none;
 * *held turns false on a file system without trusted xattrs. */
static int read_record(const LabelHoldOps *ops, const VmFile *f, bool *held, LabelHolders *ret) {
        int r;

        if (!*held)
                return 0;
        r = holders_read(f->fd, ops->xattr, ret);
        if (r == -EOPNOTSUPP) {
                *held = false;
                return 0;
        }
        return r;
}

int label_hold_file(LabelContext *c, const LabelHoldOps *ops, const VmFile *f, bool held,
                    LabelHoldCheckFn check, LabelHoldChangeFn change, void *userdata) {
        _cleanup_(label_holders_done) LabelHolders cur = {}, next = {};
        _cleanup_free_ char *current = NULL;
        _cleanup_close_ int lock = -EBADF;
        LabelFileRecord rec = { .dev = f->st.st_dev, .ino = f->st.st_ino };
        int found, action = LABEL_HOLD_NEW, r;

        lock = label_registry_lock(c->paths->labels_dir);
        if (lock < 0)
                return lock;
        r = ops->get(f->fd, &current);
        if (r < 0)
                return r;
        found = read_record(ops, f, &held, &cur);
        if (found < 0)
                return found;
        r = check(c, f, current, found && strcasecmp(cur.boot_id, c->boot_id) == 0 ? &cur : NULL, userdata);
        if (r < 0)
                return r;
        /* A stale record goes on even when the file already gives QEMU
         * what it needs: that is the dead boot's change, which is now
         * ours to undo at stop. */
        if (r == 0 && !found)
                return 0;
        if (held) {
                action = label_holders_decide(found ? &cur : NULL, current, c->boot_id, c->uuid, &next);
                if (action < 0)
                        return action;
        }
        snprintf(rec.uuid, sizeof(rec.uuid), "%s", c->uuid);
        rec.held = held;
        rec.original = held ? next.original : current;
        r = journal_file(c, ops, f, &rec);
        if (r < 0)
                return r;
        test_hook(ops->step_journalled);
        if (held && action != LABEL_HOLD_AGAIN)
                r = holders_write(f->fd, ops->xattr, &next);
        if (r >= 0) {
                test_hook(ops->step_holder_added);
                r = change(c, f, current, userdata);
        }
        if (r >= 0) {
                test_hook(ops->step_changed);
                return 0;
        }
        /* All or nothing. Held already (AGAIN): our earlier hold stays, only
         * this record goes; otherwise undo what this call did. */
        if (action == LABEL_HOLD_AGAIN || undo_locked(ops, f->fd, &rec) >= 0)
                (void) journal_undone(c->journal, ops, f->path);
        return r;
}

typedef struct FindRecord {
        const LabelHoldOps *ops;
        const VmFile *f;
        LabelFileRecord found; /* original NULL: none yet */
        int error;
} FindRecord;

static int find_newest(const LabelRecord *rec, void *userdata) {
        FindRecord *fr = userdata;
        LabelFileRecord r;

        if (fr->found.original || !streq(rec->backend, fr->ops->backend) || !streq(rec->op, fr->ops->op) ||
            !streq(rec->path, fr->f->path))
                return 0;
        if (label_file_record_parse(rec->value, &r) < 0)
                return -EBADMSG;
        if (r.dev != (uint64_t) fr->f->st.st_dev || r.ino != (uint64_t) fr->f->st.st_ino) {
                label_file_record_done(&r);
                return 0;
        }
        fr->found = r;
        return 0;
}

int label_hold_restore(LabelContext *c, const LabelHoldOps *ops, const VmFile *f) {
        FindRecord fr = { .ops = ops, .f = f };
        _cleanup_close_ int lock = -EBADF;
        int r;

        /* What to undo is what the journal says: the same data --cleanup
         * would use, so a clean stop and a crash end alike. */
        r = label_journal_replay_live(c->paths->labels_dir, c->name, find_newest, &fr);
        if (r >= 0 && !fr.found.original)
                return 0; /* nothing was changed on this file */
        if (r >= 0)
                lock = label_registry_lock(c->paths->labels_dir);
        if (r >= 0 && lock < 0)
                r = lock;
        if (r >= 0)
                r = undo_locked(ops, f->fd, &fr.found);
        label_file_record_done(&fr.found);
        if (r < 0)
                return r;
        lock = safe_close(lock);
        return journal_undone(c->journal, ops, f->path);
}

static int notice(char **ret_notice, const char *path, const char *why) {
        _cleanup_free_ char *p = cescape(path, 512);

        if (!ret_notice)
                return 0;
        free(*ret_notice);
        *ret_notice = NULL;
        if (p && asprintf(ret_notice, "%s: %s", p, why) < 0)
                *ret_notice = NULL;
        return 0;
}

int label_hold_undo_record(const LabelHoldOps *ops, const char *labels_dir, const LabelRecord *rec,
                           char **ret_notice) {
        _cleanup_(label_file_record_done) LabelFileRecord fr = {};
        _cleanup_close_ int fd = -EBADF, lock = -EBADF;
        struct stat st;
        int r;

        if (!streq(rec->op, ops->op) || !rec->path || rec->path[0] != '/')
                return -EBADMSG;
        r = label_file_record_parse(rec->value, &fr);
        if (r < 0)
                return r;
        /* The journal's path is canonical (the fd's own path, which has
         * no symlink in it): a symlink on it now was put there since. */
        fd = resolve_path_once(rec->path, /* no_symlinks= */ true);
        if (fd == -ENOENT || fd == -ENOTDIR)
                return 0; /* gone: nothing to give back */
        if (fd == -ELOOP)
                return notice(ret_notice, rec->path,
                              "left alone, not restored: its path goes through a symlink now, which it "
                              "did not when it was labelled");
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if ((uint64_t) st.st_dev != fr.dev || (uint64_t) st.st_ino != fr.ino)
                return notice(ret_notice, rec->path,
                              "left alone, not restored: the file there now is not the one that was "
                              "labelled (another inode)");
        lock = label_registry_lock(labels_dir);
        if (lock < 0)
                return lock;
        return undo_locked(ops, fd, &fr);
}
