/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Labelling: what QEMU may touch, expressed as DAC owners plus at most one
 * MAC (SELinux or AppArmor). One small interface, one file per backend,
 * called in a loop (DAC first, then the MAC, the no-op backend last) —
 * not a stacking driver.
 *
 * Crash safety: every change is first recorded in the VM's label journal
 * (label-journal.h) and only then made, so `vmunit-supervisor --cleanup`
 * can undo everything even after the supervisor was SIGKILLed.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "domain.h"
#include "macro.h"
#include "paths.h"

/* What a path is to the VM: decides owner, mode and MAC label. */
typedef enum LabelPathKind {
        LABEL_PATH_IMAGE_RW,     /* exclusive writable disk: svirt_image_t:MCS, rw in AppArmor */
        LABEL_PATH_IMAGE_SHARED, /* <shareable/>: shared image context, rw */
        LABEL_PATH_IMAGE_RO,     /* <readonly/> disk, cdrom: content context, r */
        LABEL_PATH_BOOT,         /* kernel, initrd, loader: r */
        LABEL_PATH_NVRAM,        /* per-VM variable store: rw, exclusive */
        LABEL_PATH_SOCKET,       /* UNIX sockets QEMU binds or connects: rw */
        LABEL_PATH_LOG,          /* chardev/console log files: append */
        LABEL_PATH_RUNTIME_DIR,  /* RUN/NAME: QEMU creates files here */
} LabelPathKind;

typedef struct LabelJournal LabelJournal;
struct LabelRecord;

/* Per-VM labelling state, shared by all backends for one supervisor. */
typedef struct LabelContext {
        const Domain *domain;
        const VmunitConfig *config;
        const VmunitPaths *paths;
        const char *name;
        char uuid[37];
        const char *run_dir;
        uid_t qemu_uid; /* QEMU's identity; (uid_t) -1 = keep the caller's */
        gid_t qemu_gid;
        LabelJournal *journal;
        /* Backend private state, indexed by backend. */
        void *data[4];
        /* A backend may leave a one-line reason for its last failure here
         * (malloc'd, e.g. "disk image path '/a{b}' contains '{', which
         * cannot be written into an AppArmor rule"); the manager moves it
         * into its ret_error and frees it. NULL: no details. */
        char *error;
} LabelContext;

typedef struct LabelBackend {
        const char *name;
        /* Whether this backend is usable on this host: > 0 yes, 0 no
         * (silently skipped under security_driver=auto), < 0 error. */
        int (*probe)(const LabelContext *c);
        /* Compute the VM's labels (MCS pair, profile name), load policy
         * pieces (AppArmor profile). Runs once, before any path. */
        int (*generate)(LabelContext *c);
        /* Give QEMU access to path as kind; record the original first. */
        int (*label_path)(LabelContext *c, const char *path, LabelPathKind kind);
        /* Put path back as recorded (refcounted for shared read-only images). */
        int (*restore_path)(LabelContext *c, const char *path);
        /* In the child, after fork and before execve: arrange the exec
         * label (setexeccon / aa_change_onexec). Must be async-signal-safe
         * in spirit: no locks, no allocation that can deadlock. */
        int (*set_exec_label)(LabelContext *c);
        /* Undo generate (unload profile, release the MCS pair). */
        int (*release)(LabelContext *c);
        /* --cleanup: undo one journal record this backend wrote (the
         * supervisor that wrote it may be dead). No LabelContext exists. */
        int (*undo_record)(const struct LabelRecord *rec);
        /* Optional (NULL = nothing to do): called by the manager after a
         * batch of label_path/restore_path calls — the whole domain at
         * start, one disk on hotplug or unplug — so a backend that builds
         * policy from the paths (AppArmor: writes vmunit-UUID.files and
         * loads the profile) does it once per batch, in the parent,
         * before QEMU is exec'd or told about the new disk. */
        int (*commit)(LabelContext *c);
} LabelBackend;

extern const LabelBackend label_backend_dac;
extern const LabelBackend label_backend_selinux;
extern const LabelBackend label_backend_apparmor;
extern const LabelBackend label_backend_none;

/*
 * The label manager (label.c): what the supervisor calls. It picks the
 * backends (DAC when dynamic_ownership and running as root; one MAC from
 * security_driver: auto probes SELinux then AppArmor, and a host with
 * neither runs DAC-only, said once in the log), opens the journal, and
 * walks the domain's paths.
 */
typedef struct LabelManager LabelManager;

typedef struct LabelManagerParams {
        const Domain *domain;
        const VmunitConfig *config;
        const VmunitPaths *paths;
        const char *name;
        const char *run_dir;
        uid_t qemu_uid; /* (uid_t) -1: QEMU keeps the caller's identity */
        gid_t qemu_gid;
} LabelManagerParams;

/* Returns 0, or -errno with a one-line reason in *ret_error (caller frees)
 * naming the step that failed (fail closed). */
int label_manager_new(const LabelManagerParams *p, LabelManager **ret, char **ret_error);
LabelManager *label_manager_free(LabelManager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(LabelManager *, label_manager_free);
/* Names of the active backends, e.g. "dac+apparmor", "none". */
const char *label_manager_describe(const LabelManager *m);
/* generate + label every path of the domain (disks by their kind, kernel,
 * initrd, loader, nvram, chardev files/sockets, the runtime dir). On
 * failure everything already changed is restored before returning. */
int label_manager_label_domain(LabelManager *m, char **ret_error);
/* Hotplug: one more disk / one fewer. */
int label_manager_label_disk(LabelManager *m, const DomainDisk *disk, char **ret_error);
int label_manager_restore_disk(LabelManager *m, const DomainDisk *disk);
/* In the child before execve: the MAC's exec label. */
int label_manager_set_exec_label(LabelManager *m);
/* Restore everything, release, remove the journal. Best effort; returns
 * the first error. */
int label_manager_restore_domain(LabelManager *m);
/* --cleanup: replay NAME's journal with no supervisor alive. */
int label_cleanup_from_journal(const VmunitPaths *paths, const char *name);
