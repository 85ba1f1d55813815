/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SELinux sVirt: QEMU runs in the policy's virtual domain (svirt_t) with a
 * category pair no other running VM has, and its exclusive files carry
 * the image type with the same pair. MCS then keeps VM A's QEMU away from
 * VM B's files even though both run as svirt_t: a process may touch a
 * file only when its categories dominate the file's.
 *
 * The decisions (which pair, which context for which file, the holder
 * record) are pure functions in mcs.c; this file applies them with
 * libselinux and records every change in the label journal first.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs-util.h"
#include "label-journal.h"
#include "label.h"
#include "mcs.h"

/* Our LabelContext.data slot (AppArmor uses 2; only one MAC is active). */
#define SELINUX_SLOT 1
/* The policy's virtual context files are one or two lines. */
#define SELINUX_CONTEXT_FILE_MAX 4096

typedef struct SelinuxFile {
        char *path; /* resolved */
        char *original;
} SelinuxFile;

typedef struct SelinuxState {
        McsLabels labels;
        char *reservation; /* RUN/labels/mcs/cA,cB; NULL for static/none */
        SelinuxFile *files;
        size_t n_files;
} SelinuxState;

static SelinuxState *selinux_state_free(SelinuxState *s) {
        if (!s)
                return NULL;
        mcs_labels_done(&s->labels);
        free(s->reservation);
        for (size_t i = 0; i < s->n_files; i++) {
                free(s->files[i].path);
                free(s->files[i].original);
        }
        free(s->files);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(SelinuxState *, selinux_state_free);

static void freeconp(char **p) {
        if (*p)
                freecon(*p);
}
#define _cleanup_freecon_ _cleanup_(freeconp)

static int selinux_probe(const LabelContext *c) {
        return is_selinux_enabled() > 0 ? 1 : 0;
}

/*
 * The domain's <seclabel> as SELinux sees it: one with model='apparmor'
 * is not ours, so the VM gets libvirt's default, a dynamic label. A
 * static label defaults to relabel='no' (the admin labelled the files);
 * type='none' leaves QEMU in the domain the exec transition gives it and
 * every file as it is.
 */
static void selinux_seclabel_of(const Domain *d, McsSeclabel *ret) {
        const DomainSeclabel *sec = domain_seclabel_for(d, "selinux");

        *ret = (McsSeclabel){ .type = MCS_SECLABEL_DYNAMIC };
        if (!sec)
                return;
        switch (sec->type) {
        case DOMAIN_SECLABEL_STATIC:
                *ret = (McsSeclabel){
                        .type = MCS_SECLABEL_STATIC,
                        .label = sec->label,
                        .imagelabel = sec->imagelabel,
                        .relabel = domain_seclabel_relabel(sec),
                };
                return;
        case DOMAIN_SECLABEL_NONE: ret->type = MCS_SECLABEL_NONE; return;
        default: return;
        }
}

static int read_virt_contexts(McsVirtContexts *ret) {
        _cleanup_free_ char *domain = NULL, *image = NULL;
        const char *dp = selinux_virtual_domain_context_path();
        const char *ip = selinux_virtual_image_context_path();
        int r;

        if (!dp || !ip)
                return -ENOENT;
        r = read_small_file(dp, SELINUX_CONTEXT_FILE_MAX, &domain);
        if (r < 0)
                return r;
        r = read_small_file(ip, SELINUX_CONTEXT_FILE_MAX, &image);
        if (r < 0)
                return r;
        return mcs_virt_contexts_parse(domain, image, ret);
}

static int random_u32(uint32_t *ret, void *userdata) {
        ssize_t n = getrandom(ret, sizeof(*ret), 0);
        if (n < 0)
                return negative_errno();
        return n == sizeof(*ret) ? 0 : -EIO;
}

typedef struct ReserveData {
        int dir_fd;
        const char *owner; /* written into the file, for people debugging */
} ReserveData;

/* The reservation is the file itself: O_CREAT|O_EXCL is atomic, so two
 * supervisors picking the same pair at the same moment cannot both win. */
static int reserve_pair_file(const McsPair *p, void *userdata) {
        ReserveData *d = userdata;
        char name[MCS_PAIR_STRLEN];
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(d->owner);
        int r;

        r = mcs_pair_format(p, name);
        if (r < 0)
                return r;
        fd = openat(d->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        if (write(fd, d->owner, len) != (ssize_t) len) {
                r = errno > 0 ? -errno : -EIO;
                (void) unlinkat(d->dir_fd, name, 0);
                return r;
        }
        return 0;
}

/* The categories this supervisor may hand out: bounded by its own range. */
static int own_max_category(unsigned *ret) {
        _cleanup_freecon_ char *con = NULL;

        if (getcon(&con) < 0)
                return negative_errno();
        return mcs_context_max_category(con, ret);
}

/* Reserve a pair, then journal it, then use it: a crash before the
 * journal record leaks one pair until /run is cleared at reboot, which
 * is harmless; journalling first could make --cleanup free a pair that
 * another VM won. */
static int reserve_pair(LabelContext *c, SelinuxState *s, McsPair *ret) {
        _cleanup_free_ char *dir = NULL, *owner = NULL, *path = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        char name[MCS_PAIR_STRLEN];
        unsigned max;
        McsPair pair;
        int r;

        if (asprintf(&dir, "%s/mcs", c->paths->labels_dir) < 0 || asprintf(&owner, "%s\n", c->uuid) < 0)
                return -ENOMEM;
        r = mkdir_parents(dir, 0700);
        if (r < 0)
                return r;
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dir_fd < 0)
                return negative_errno();
        r = own_max_category(&max);
        if (r < 0)
                return r;
        r = mcs_allocate(max, random_u32, reserve_pair_file, &(ReserveData){ dir_fd, owner }, &pair);
        if (r < 0)
                return r;
        (void) mcs_pair_format(&pair, name);
        if (asprintf(&path, "%s/%s", dir, name) < 0) {
                (void) unlinkat(dir_fd, name, 0);
                return -ENOMEM;
        }
        r = label_journal_record(c->journal, &(LabelRecord){ "selinux", "mcs", path, name });
        if (r < 0) {
                (void) unlinkat(dir_fd, name, 0);
                return r;
        }
        s->reservation = TAKE_PTR(path);
        *ret = pair;
        return 0;
}

static int selinux_generate(LabelContext *c) {
        _cleanup_(selinux_state_freep) SelinuxState *s = NULL;
        _cleanup_(mcs_virt_contexts_done) McsVirtContexts v = { 0 };
        McsSeclabel sec;
        McsPair pair = { 0 };
        bool need_virt;
        int r;

        if (!c->journal || c->data[SELINUX_SLOT])
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        selinux_seclabel_of(c->domain, &sec);
        /* A static label without model= may have been written for
         * AppArmor: say so rather than a bare EINVAL. */
        if (sec.type == MCS_SECLABEL_STATIC && (!sec.label || mcs_context_check(sec.label) < 0)) {
                free(c->error);
                if (asprintf(&c->error, "static <seclabel> label '%s' is not an SELinux context",
                             sec.label) < 0)
                        c->error = NULL;
                return -EINVAL;
        }
        need_virt = sec.type == MCS_SECLABEL_DYNAMIC || (sec.type == MCS_SECLABEL_STATIC && sec.relabel);
        if (need_virt) {
                r = read_virt_contexts(&v);
                if (r < 0)
                        return r;
        }
        if (sec.type == MCS_SECLABEL_DYNAMIC) {
                r = reserve_pair(c, s, &pair);
                if (r < 0)
                        return r;
        }
        /* TCG translates guest code into executable memory: give it the
         * policy's TCG domain when there is one. */
        r = mcs_labels_compute(&sec, need_virt ? &v : NULL, c->domain->virt_type == DOMAIN_VIRT_QEMU, &pair,
                               &s->labels);
        if (r < 0) {
                if (s->reservation)
                        (void) unlink(s->reservation);
                return r;
        }
        c->data[SELINUX_SLOT] = TAKE_PTR(s);
        return 0;
}

/* Serialize read-modify-write of the holder xattr between supervisors:
 * an flock on the file itself (QEMU's own image locks are OFD locks, a
 * separate namespace). Only regular files and directories are opened,
 * since opening a device can have side effects. -EBADF: no lock needed. */
static int lock_path(const char *path) {
        struct stat st;
        int fd;

        if (lstat(path, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
                return -EBADF;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (flock(fd, LOCK_EX) < 0) {
                int r = negative_errno();
                safe_close(fd);
                return r;
        }
        return fd;
}

static bool xattr_unsupported(int err) {
        return err == ENOTSUP || err == EOPNOTSUPP;
}

/* 1 and *ret filled when the file has a holder record, 0 when not (or the
 * file system keeps no xattrs: then the journal alone remembers). */
static int holders_read(const char *path, McsHolders *ret) {
        _cleanup_free_ char *buf = NULL;
        ssize_t n;
        int r;

        n = lgetxattr(path, MCS_HOLDERS_XATTR, NULL, 0);
        if (n < 0)
                return errno == ENODATA || xattr_unsupported(errno) ? 0 : negative_errno();
        buf = malloc((size_t) n + 1);
        if (!buf)
                return -ENOMEM;
        n = lgetxattr(path, MCS_HOLDERS_XATTR, buf, (size_t) n);
        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        r = mcs_holders_parse(buf, ret);
        return r < 0 ? r : 1;
}

static int holders_write(const char *path, const McsHolders *h) {
        _cleanup_free_ char *value = NULL;
        int r;

        if (h->n_uuids == 0)
                return lremovexattr(path, MCS_HOLDERS_XATTR) < 0 && errno != ENODATA &&
                                       !xattr_unsupported(errno)
                               ? negative_errno()
                               : 0;
        r = mcs_holders_format(h, &value);
        if (r < 0)
                return r;
        if (lsetxattr(path, MCS_HOLDERS_XATTR, value, strlen(value), 0) < 0)
                return xattr_unsupported(errno) ? 0 : negative_errno();
        return 0;
}

static int set_context(const char *path, const char *ctx) {
        return lsetfilecon(path, ctx) < 0 ? negative_errno() : 0;
}

/*
 * Undo one relabel by VM uuid: drop it from the holders; the last holder
 * out puts the original label back. Safe to run twice (see mcs.h). A
 * holder record without our uuid means another VM holds the file now:
 * leave it alone.
 */
static int unlabel(const char *path, const char *uuid, const char *original) {
        _cleanup_(mcs_holders_done) McsHolders h = { 0 };
        _cleanup_close_ int lock = -EBADF;
        int r;

        lock = lock_path(path);
        if (lock == -ENOENT)
                return 0; /* gone: nothing left to restore */
        if (lock < 0 && lock != -EBADF)
                return lock;
        r = holders_read(path, &h);
        if (r < 0)
                return r;
        if (r == 0)
                return set_context(path, original);
        if (!mcs_holders_has(&h, uuid))
                return 0;
        mcs_holders_remove(&h, uuid);
        if (h.n_uuids > 0)
                return holders_write(path, &h);
        /* Label first, record last: a crash in between leaves our uuid in
         * the record, and the next undo restores again. */
        r = set_context(path, h.original);
        if (r < 0)
                return r;
        return holders_write(path, &h);
}

static int remember_file(SelinuxState *s, const char *path, const char *original) {
        SelinuxFile *n = realloc(s->files, (s->n_files + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->files = n;
        n[s->n_files] = (SelinuxFile){ strdup(path), strdup(original) };
        if (!n[s->n_files].path || !n[s->n_files].original) {
                free(n[s->n_files].path);
                free(n[s->n_files].original);
                return -ENOMEM;
        }
        s->n_files++;
        return 0;
}

/* Refuse what would take a file away from another running VM. */
static int check_conflict(const McsHolders *h, LabelPathKind kind, const char *current,
                          const char *desired) {
        if (h->n_uuids == 0)
                return 0;
        /* An exclusive image relabelled to our pair would lock the other
         * VM out of its own disk. */
        if (mcs_kind_is_exclusive(kind))
                return -EBUSY;
        /* Shared by both, but as different kinds (e.g. <readonly/> in one
         * VM, <shareable/> in the other): one label cannot serve both. */
        if (!streq(current, desired))
                return -EBUSY;
        return 0;
}

/* Journal, then holder record, then label: every crash point leaves a
 * journal record whose undo restores the original. */
static int relabel(LabelContext *c, SelinuxState *s, const char *path, LabelPathKind kind,
                   const char *desired) {
        _cleanup_(mcs_holders_done) McsHolders h = { 0 };
        _cleanup_freecon_ char *current = NULL;
        _cleanup_free_ char *value = NULL;
        _cleanup_close_ int lock = -EBADF;
        const char *original;
        int r, found;

        lock = lock_path(path);
        if (lock < 0 && lock != -EBADF)
                return lock;
        if (lgetfilecon(path, &current) < 0)
                return negative_errno();
        found = holders_read(path, &h);
        if (found < 0)
                return found;
        if (found && mcs_holders_has(&h, c->uuid))
                return set_context(path, desired); /* labelled twice by this VM: already journalled */
        if (found) {
                r = check_conflict(&h, kind, current, desired);
                if (r < 0)
                        return r;
        }
        original = found ? h.original : current;
        r = mcs_journal_value_format(c->uuid, original, &value);
        if (r < 0)
                return r;
        r = label_journal_record(c->journal, &(LabelRecord){ "selinux", "setfilecon", path, value });
        if (r < 0)
                return r;
        r = remember_file(s, path, original);
        if (r < 0)
                return r;
        if (!found) {
                h.original = strdup(current);
                if (!h.original)
                        return -ENOMEM;
        }
        r = mcs_holders_add(&h, c->uuid);
        if (r >= 0)
                r = holders_write(path, &h);
        if (r < 0)
                return r;
        return streq(current, desired) ? 0 : set_context(path, desired);
}

static int selinux_label_path(LabelContext *c, const char *path, LabelPathKind kind) {
        SelinuxState *s = c->data[SELINUX_SLOT];
        _cleanup_free_ char *resolved = NULL;
        const char *desired;

        if (!s)
                return -EINVAL;
        desired = mcs_labels_for_kind(&s->labels, kind);
        if (!desired)
                return 0; /* static relabel='no' or type='none' */
        /* Label what QEMU will really open, not a symlink to it. */
        resolved = realpath(path, NULL);
        if (!resolved) {
                /* A socket QEMU will bind does not exist yet; it is created
                 * in the runtime dir and inherits that dir's label. */
                if (errno == ENOENT && kind == LABEL_PATH_SOCKET)
                        return 0;
                return negative_errno();
        }
        return relabel(c, s, resolved, kind, desired);
}

static int selinux_restore_path(LabelContext *c, const char *path) {
        SelinuxState *s = c->data[SELINUX_SLOT];
        _cleanup_free_ char *resolved = NULL;
        int r;

        if (!s)
                return 0;
        resolved = realpath(path, NULL);
        if (!resolved)
                return errno == ENOENT ? 0 : negative_errno();
        for (size_t i = 0; i < s->n_files; i++) {
                SelinuxFile *f = &s->files[i];
                if (!streq(f->path, resolved))
                        continue;
                r = unlabel(f->path, c->uuid, f->original);
                if (r < 0)
                        return r;
                free(f->path);
                free(f->original);
                s->files[i] = s->files[--s->n_files];
                return 0;
        }
        return 0;
}

static int selinux_set_exec_label(LabelContext *c) {
        SelinuxState *s = c->data[SELINUX_SLOT];

        if (!s)
                return -EINVAL;
        /* type='none': QEMU keeps the supervisor's domain, as asked. */
        if (!s->labels.process)
                return 0;
        return setexeccon(s->labels.process) < 0 ? negative_errno() : 0;
}

static int selinux_release(LabelContext *c) {
        SelinuxState *s = c->data[SELINUX_SLOT];
        int r = 0;

        if (!s)
                return 0;
        if (s->reservation && unlink(s->reservation) < 0 && errno != ENOENT)
                r = negative_errno();
        c->data[SELINUX_SLOT] = selinux_state_free(s);
        return r;
}

/* Only ever unlink RUN/labels/mcs/cA,cB named by a well-formed record. */
static int undo_mcs(const LabelRecord *rec) {
        const char *base;
        McsPair p;
        size_t dlen;

        if (!rec->path || rec->path[0] != '/' || mcs_pair_parse(rec->value, &p) < 0)
                return -EINVAL;
        base = strrchr(rec->path, '/') + 1;
        dlen = (size_t) (base - rec->path);
        if (!streq(base, rec->value) || dlen < 5 || memcmp(base - 5, "/mcs/", 5) != 0)
                return -EINVAL;
        if (unlink(rec->path) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

static int undo_setfilecon(const LabelRecord *rec) {
        _cleanup_free_ char *uuid = NULL, *original = NULL;
        int r;

        if (!rec->path || rec->path[0] != '/')
                return -EINVAL;
        r = mcs_journal_value_parse(rec->value, &uuid, &original);
        if (r < 0)
                return r;
        return unlabel(rec->path, uuid, original);
}

static int selinux_undo_record(const LabelRecord *rec) {
        if (streq_ptr(rec->op, "mcs"))
                return undo_mcs(rec);
        if (streq_ptr(rec->op, "setfilecon"))
                return undo_setfilecon(rec);
        return -EINVAL;
}

const LabelBackend label_backend_selinux = {
        .name = "selinux",
        .probe = selinux_probe,
        .generate = selinux_generate,
        .label_path = selinux_label_path,
        .restore_path = selinux_restore_path,
        .set_exec_label = selinux_set_exec_label,
        .release = selinux_release,
        .undo_record = selinux_undo_record,
};
