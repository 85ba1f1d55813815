/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SELinux sVirt: QEMU runs in the policy's virtual domain (svirt_t) with a
 * category pair no other running VM has, and its exclusive files carry
 * the image type with the same pair. MCS then keeps VM A's QEMU away from
 * VM B's files even though both run as svirt_t: a process may touch a
 * file only when its categories dominate the file's.
 *
 * The decisions (which pair, which context for which file) are pure
 * functions in mcs.c; this file applies them with libselinux. Files are
 * relabelled through their VmFile's fd (getfilecon/setfilecon on
 * /proc/self/fd/N reach the fd's inode without walking a path again),
 * with a journal record and a holder record first (label-hold.h).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "label-hold.h"
#include "label-journal.h"
#include "label.h"
#include "mcs.h"
#include "test-hook.h"
#include "vmunit-config.h"

/* Our LabelContext.data slot (AppArmor uses 2; only one MAC is active). */
#define SELINUX_SLOT 1
/* The policy's virtual context files are one or two lines. */
#define SELINUX_CONTEXT_FILE_MAX 4096

/* The holder record on each relabelled file (holders.h). */
#define SELINUX_HOLDERS_XATTR "trusted.vmunit.secontext"

/* vmunit's policy module (selinux/vmunit.te): a context of a type only it
 * declares (the supervisor's file), and the domain it runs the
 * supervisor in. */
#define SELINUX_MODULE_PROBE_CONTEXT "system_u:object_r:vmunit_supervisor_exec_t:s0"
#define SELINUX_SUPERVISOR_DOMAIN "virtd_t"
/* What files that cannot be relabelled may be turned into by an admin:
 * the policy's image type (writable disks) and its read-only content
 * type (kernels, initrds, firmware, read-only disks). */
#define SELINUX_ADMIN_IMAGE_TYPE "virt_image_t"
#define SELINUX_ADMIN_CONTENT_TYPE "virt_content_t"

typedef struct SelinuxState {
        McsLabels labels;
        char *reservation; /* STATE/labels/mcs/cA,cB; NULL for static/none */
} SelinuxState;

static SelinuxState *selinux_state_free(SelinuxState *s) {
        if (!s)
                return NULL;
        mcs_labels_done(&s->labels);
        free(s->reservation);
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

/* The policy's virtual contexts, the TCG domain filled in from vmunit's
 * module when the policy names none (*ret_tcg_ours then true). */
static int read_virt_contexts(McsVirtContexts *ret, bool *ret_tcg_ours) {
        _cleanup_(mcs_virt_contexts_done) McsVirtContexts v = { 0 };
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
        r = mcs_virt_contexts_parse(domain, image, &v);
        if (r < 0)
                return r;
        r = mcs_virt_contexts_default_tcg(&v);
        if (r < 0)
                return r;
        if (ret_tcg_ours)
                *ret_tcg_ours = r > 0;
        *ret = v;
        v = (McsVirtContexts){ 0 };
        return 0;
}

static void set_error(LabelContext *c, char *msg) {
        free(c->error);
        c->error = msg;
}

/* 1 when the loaded policy knows ctx, 0 when it does not (an unknown
 * type: the module that declares it is not loaded), < 0 when it cannot
 * be asked. */
static int policy_knows(const char *ctx) {
        if (security_check_context(ctx) >= 0)
                return 1;
        return errno == EINVAL ? 0 : negative_errno();
}

/* The type of the supervisor's own domain, malloc'd. */
static int own_type(char **ret) {
        _cleanup_freecon_ char *con = NULL;

        if (getcon(&con) < 0)
                return negative_errno();
        return mcs_context_type(con, ret);
}

/*
 * Whether the loaded policy can run this VM, asked before anything is
 * reserved or relabelled. Without vmunit's module (never loaded, or
 * removed) the supervisor runs in the domain init gives an unknown
 * program (initrc_t), every file gets relabelled, and then the exec
 * into svirt_t under no_new_privs fails with a bare EPERM; and a
 * supervisor binary the module's file context never reached (no
 * restorecon after the install) does the same. Each gets one line that
 * names the fix instead. Returns 0, or -ENOPKG/-EPERM with c->error set,
 * or the -errno of a policy that cannot be asked.
 */
static int check_policy(LabelContext *c, const McsSeclabel *sec, const McsVirtContexts *v, bool tcg_ours) {
        bool tcg = c->domain->virt_type == DOMAIN_VIRT_QEMU;
        _cleanup_free_ char *type = NULL, *msg = NULL;
        int r;

        r = policy_knows(SELINUX_MODULE_PROBE_CONTEXT);
        /* An older module, from before it declared the TCG domain. */
        if (r > 0 && sec->type == MCS_SECLABEL_DYNAMIC && tcg && tcg_ours)
                r = policy_knows(v->domain_tcg);
        if (r < 0)
                return r;
        if (r == 0) {
                if (asprintf(&msg,
                             "the SELinux policy module vmunit is not loaded: run " VMUNIT_SETUP_PATH
                             " (semodule -i " VMUNIT_SELINUX_MODULE_PATH ", restorecon; see README)") < 0)
                        return -ENOMEM;
                set_error(c, TAKE_PTR(msg));
                return -ENOPKG;
        }
        /* Embedded mode runs in its caller's domain, and type='none'
         * execs QEMU into no other domain: nothing to check there. */
        if (c->paths->embedded || sec->type == MCS_SECLABEL_NONE)
                return 0;
        r = own_type(&type);
        if (r < 0)
                return r;
        if (streq(type, SELINUX_SUPERVISOR_DOMAIN))
                return 0;
        if (asprintf(&msg,
                     "the supervisor runs as %s, not " SELINUX_SUPERVISOR_DOMAIN
                     ", so the policy will not let it start QEMU: " VMUNIT_SUPERVISOR_PATH
                     " lacks its file context (run " VMUNIT_SETUP_PATH
                     ", which runs restorecon; see README)",
                     type) < 0)
                return -ENOMEM;
        set_error(c, TAKE_PTR(msg));
        return -EPERM;
}

static int random_u32(uint32_t *ret, void *userdata) {
        ssize_t n = getrandom(ret, sizeof(*ret), 0);
        if (n < 0)
                return negative_errno();
        return n == sizeof(*ret) ? 0 : -EIO;
}

/*
 * MCS pair reservations, and why they live in the state dir.
 *
 * A pair is what keeps one VM's QEMU away from another VM's files, so it
 * must never be on two VMs' files at once. A reservation is the file
 * STATE/labels/mcs/cA,cB (/var/lib/vmunit/labels/mcs in system mode),
 * holding "UUID BOOTID" of the VM that drew it. It is removed only after
 * every file of that VM was restored, in the same boot: by its release
 * at a clean stop (not when a file failed to restore), or by --cleanup
 * replaying its journal (the reservation's record is the oldest, and a
 * record that cannot be undone stops the replay), which removes exactly
 * the reservations holding its UUID and this boot's id. After a power
 * loss the journal (in /run) is gone and nothing restored the VM's
 * files, which may still carry the pair; the reservation, on disk,
 * survives with the old boot id and keeps the pair from every new VM for
 * good (the VM itself draws a new pair when it starts again, and
 * relabels the files it still has). That costs one pair of 523,776 per
 * VM running at a power loss; an admin who has checked that no file
 * carries the pair may delete the reservation file.
 */
typedef struct ReserveData {
        int dir_fd;
        const char *owner; /* "UUID BOOTID\n" */
} ReserveData;

static int mcs_dir_path(const LabelContext *c, char **ret) {
        return asprintf(ret, "%s/labels/mcs", c->paths->state_dir) < 0 ? -ENOMEM : 0;
}

/* The reservation is the file itself, made complete before it appears:
 * written as an unnamed O_TMPFILE and linked to its name, which fails
 * with EEXIST when the pair is taken; two supervisors picking the same
 * pair at the same moment cannot both win, and no crash leaves a file
 * without its owner. */
static int reserve_pair_file(const McsPair *p, void *userdata) {
        ReserveData *d = userdata;
        char name[MCS_PAIR_STRLEN], proc[PROC_FD_PATH_MAX];
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = mcs_pair_format(p, name);
        if (r < 0)
                return r;
        fd = openat(d->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        r = write_full(fd, d->owner, strlen(d->owner));
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r < 0)
                return r;
        if (linkat(AT_FDCWD, proc_fd_path(fd, proc), d->dir_fd, name, AT_SYMLINK_FOLLOW) < 0)
                return negative_errno();
        return fsync(d->dir_fd) < 0 ? negative_errno() : 0;
}

/* The categories this supervisor may hand out: bounded by its own range. */
static int own_max_category(unsigned *ret) {
        _cleanup_freecon_ char *con = NULL;

        if (getcon(&con) < 0)
                return negative_errno();
        return mcs_context_max_category(con, ret);
}

static int mcs_dir_open(const char *dir, bool create) {
        int fd;

        if (create) {
                int r = mkdir_parents(dir, 0700);
                if (r < 0)
                        return r;
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? negative_errno() : fd;
}

/* Journal, then reserve: the record ("mcs", DIR, UUID) lets --cleanup
 * find our reservation by its content, so a crash at any point leaves
 * none behind, and a pair another VM won is never ours to free. */
static int reserve_pair(LabelContext *c, SelinuxState *s, McsPair *ret) {
        _cleanup_free_ char *dir = NULL, *owner = NULL, *path = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        char name[MCS_PAIR_STRLEN];
        unsigned max;
        McsPair pair;
        int r;

        r = mcs_dir_path(c, &dir);
        if (r < 0 || asprintf(&owner, "%s %s\n", c->uuid, c->boot_id) < 0)
                return -ENOMEM;
        dir_fd = mcs_dir_open(dir, /* create= */ true);
        if (dir_fd < 0)
                return dir_fd;
        r = own_max_category(&max);
        if (r < 0)
                return r;
        r = label_journal_record(c->journal, &(LabelRecord){ "selinux", "mcs", dir, c->uuid });
        if (r < 0)
                return r;
        test_hook("selinux-mcs-journalled");
        r = mcs_allocate(max, random_u32, reserve_pair_file, &(ReserveData){ dir_fd, owner }, &pair);
        if (r < 0)
                return r;
        test_hook("selinux-mcs-reserved");
        (void) mcs_pair_format(&pair, name);
        if (asprintf(&path, "%s/%s", dir, name) < 0) {
                (void) unlinkat(dir_fd, name, 0);
                return -ENOMEM;
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
        bool need_virt, tcg_ours = false;
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
                r = read_virt_contexts(&v, &tcg_ours);
                if (r < 0)
                        return r;
        }
        r = check_policy(c, &sec, &v, tcg_ours);
        if (r < 0)
                return r;
        if (sec.type == MCS_SECLABEL_DYNAMIC) {
                r = reserve_pair(c, s, &pair);
                if (r < 0)
                        return r;
        }
        /* TCG translates guest code into executable memory: give it the
         * policy's TCG domain, or the module's (svirt_tcg_t); a KVM guest
         * keeps svirt_t, which has no execmem. */
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

static int selinux_get(int fd, char **ret) {
        char proc[PROC_FD_PATH_MAX];
        char *con = NULL;

        if (getfilecon(proc_fd_path(fd, proc), &con) < 0)
                return negative_errno();
        *ret = strdup(con);
        freecon(con);
        return *ret ? 0 : -ENOMEM;
}

static int selinux_put(int fd, const char *ctx) {
        char proc[PROC_FD_PATH_MAX];

        return setfilecon(proc_fd_path(fd, proc), ctx) < 0 ? negative_errno() : 0;
}

static const LabelHoldOps selinux_hold_ops = {
        .backend = "selinux",
        .op = "setfilecon",
        .xattr = SELINUX_HOLDERS_XATTR,
        LABEL_HOLD_STEPS("selinux", "context"),
        .get = selinux_get,
        .put = selinux_put,
};

/* Refuse what would take a file away from another running VM. */
static int selinux_check(LabelContext *c, const VmFile *f, const char *current, const LabelHolders *live,
                         void *userdata) {
        const char *desired = userdata;

        if (!live || label_holders_has(live, c->uuid))
                return 1;
        /* An exclusive image relabelled to our pair would lock the other
         * VM out of its own disk. */
        if (mcs_kind_is_exclusive(f->kind))
                return -EBUSY;
        /* Shared by both, but as different kinds (e.g. <readonly/> in one
         * VM, <shareable/> in the other): one label cannot serve both. */
        if (!streq(current, desired))
                return -EBUSY;
        return 1;
}

static int selinux_change(LabelContext *c, const VmFile *f, const char *current, void *userdata) {
        const char *desired = userdata;

        return streq(current, desired) ? 0 : selinux_put(f->fd, desired);
}

/*
 * A file the policy does not let the supervisor relabel (its type is not
 * one of the virt image types, e.g. var_lib_t or a home directory's), or
 * one on a read-only mount: say where such a file belongs, or how to
 * give it a type the supervisor may change. Read-only content (kernels,
 * initrds, firmware, read-only disks) goes to the boot directory, every
 * other image to the image pool.
 */
static void explain_refusal(LabelContext *c, const VmFile *f, int error) {
        bool content = f->kind == VM_FILE_BOOT || f->kind == VM_FILE_IMAGE_RO;
        const char *dir = content ? "boot" : "images";
        const char *fix_type = content ? SELINUX_ADMIN_CONTENT_TYPE : SELINUX_ADMIN_IMAGE_TYPE;
        _cleanup_free_ char *con = NULL, *type = NULL, *msg = NULL;
        const char *state = c->paths->state_dir;
        int r;

        if (error == -EROFS)
                r = asprintf(&msg,
                             "%s: on a read-only file system, so it cannot be relabelled for the VM; "
                             "copy it to %s/%s",
                             f->path, state, dir);
        else {
                if (selinux_get(f->fd, &con) < 0 || mcs_context_type(con, &type) < 0)
                        type = NULL;
                r = asprintf(&msg,
                             "%s: SELinux type %s cannot be relabelled by vmunit; move the file to %s/%s, "
                             "or chcon -t %s %s",
                             f->path, type ?: "(unknown)", state, dir, fix_type, f->path);
        }
        if (r >= 0)
                set_error(c, TAKE_PTR(msg));
}

/*
 * The console log: the supervisor creates it in the VM's runtime
 * directory (RUN/NAME, the supervisor's, virt_runtime_t) and QEMU gets
 * it only as an fd open for appending, which the module allows every
 * virtual domain on that type, and nothing more: QEMU cannot open it, or
 * any other VM's, by path. It keeps its type; relabelling it (which the
 * policy does not let the supervisor do) would add nothing. A log file
 * the domain names itself (<serial type='file'>) lives elsewhere and is
 * relabelled like an image.
 */
static int selinux_label_file(LabelContext *c, const VmFile *f) {
        SelinuxState *s = c->data[SELINUX_SLOT];
        const char *desired;
        int r;

        if (!s)
                return -EINVAL;
        desired = mcs_labels_for_kind(&s->labels, f->kind);
        if (!desired)
                return 0; /* static relabel='no' or type='none' */
        /* A socket QEMU will bind does not exist yet; it is created in
         * its directory and gets its label from there. The console log
         * keeps the runtime directory's type (vm-files.h; vmunit.te). */
        if (f->parent_only || f->console_log)
                return 0;
        r = label_hold_file(c, &selinux_hold_ops, f, /* held= */ true, selinux_check, selinux_change,
                            (void *) desired);
        /* The policy refused the holder record (setattr) or the relabel
         * itself (relabelfrom): both are the file's type. */
        if (r == -EACCES || r == -EPERM || r == -EROFS)
                explain_refusal(c, f, r);
        return r;
}

static int selinux_restore_file(LabelContext *c, const VmFile *f) {
        return c->data[SELINUX_SLOT] ? label_hold_restore(c, &selinux_hold_ops, f) : 0;
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
        /* A file still labelled with our pair keeps it reserved. */
        if (s->reservation && !c->restore_failed) {
                if (unlink(s->reservation) < 0 && errno != ENOENT)
                        r = negative_errno();
                else
                        test_hook("restore-selinux-mcs-released");
        }
        c->data[SELINUX_SLOT] = selinux_state_free(s);
        return r;
}

/* Whether the reservation name in dir_fd holds exactly owner. */
static bool reservation_is(int dir_fd, const char *name, const char *owner) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        char buf[128];
        ssize_t n;

        if (fd < 0)
                return false;
        n = read_full(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return false;
        buf[n] = '\0';
        return streq(buf, owner);
}

/* Remove the reservations of the record's VM from this boot, and only
 * those, only in a directory STATE/labels/mcs a well-formed record names. */
static int undo_mcs(const LabelRecord *rec) {
        _cleanup_free_ char *owner = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        char boot_id[37];
        struct dirent *de;
        DIR *d;
        int r;

        const char *suffix = "/labels/mcs";
        size_t len = rec->path ? strlen(rec->path) : 0;

        if (!rec->path || rec->path[0] != '/' || !label_id_valid(rec->value) || len < strlen(suffix) ||
            !streq(rec->path + len - strlen(suffix), suffix))
                return -EINVAL;
        r = label_boot_id(boot_id);
        if (r < 0)
                return r;
        if (asprintf(&owner, "%s %s\n", rec->value, boot_id) < 0)
                return -ENOMEM;
        dir_fd = mcs_dir_open(rec->path, /* create= */ false);
        if (dir_fd == -ENOENT)
                return 0;
        if (dir_fd < 0)
                return dir_fd;
        d = fdopendir(fcntl(dir_fd, F_DUPFD_CLOEXEC, 3));
        if (!d)
                return negative_errno();
        r = 0;
        while ((de = readdir(d))) {
                McsPair p;
                if (mcs_pair_parse(de->d_name, &p) < 0 || !reservation_is(dir_fd, de->d_name, owner))
                        continue;
                if (unlinkat(dir_fd, de->d_name, 0) < 0 && errno != ENOENT && r == 0)
                        r = negative_errno();
        }
        closedir(d);
        if (r >= 0)
                test_hook("restore-selinux-mcs-released");
        return r;
}

static int selinux_undo_record(const char *labels_dir, const LabelRecord *rec, char **ret_notice) {
        if (streq_ptr(rec->op, "mcs"))
                return undo_mcs(rec);
        return label_hold_undo_record(&selinux_hold_ops, labels_dir, rec, ret_notice);
}

int label_selinux_base_labels(char **ret_kvm, char **ret_tcg) {
        _cleanup_(mcs_virt_contexts_done) McsVirtContexts v = { 0 };
        _cleanup_free_ char *kvm = NULL;
        int r;

        r = read_virt_contexts(&v, NULL);
        if (r < 0)
                return r;
        kvm = strdup(v.domain);
        if (!kvm)
                return -ENOMEM;
        *ret_tcg = TAKE_PTR(v.domain_tcg);
        *ret_kvm = TAKE_PTR(kvm);
        return 0;
}

const LabelBackend label_backend_selinux = {
        .name = "selinux",
        .probe = selinux_probe,
        .generate = selinux_generate,
        .label_file = selinux_label_file,
        .restore_file = selinux_restore_file,
        .set_exec_label = selinux_set_exec_label,
        .release = selinux_release,
        .undo_record = selinux_undo_record,
};
