/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Labelling: what QEMU may touch, expressed as DAC ACL entries plus at most one
 * MAC (SELinux or AppArmor). One small interface, one file per backend,
 * called in a loop (DAC first, then the MAC, the no-op backend last) —
 * not a stacking driver.
 *
 * Backends work on VmFiles (vm-files.h): each file of the VM resolved
 * once into an fd, never a path string resolved again. Contexts, ACL
 * entries and holder records go on that fd's inode; the AppArmor rule
 * names the fd's own path.
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
#include "vm-files.h"

typedef struct LabelJournal LabelJournal;
struct LabelRecord;

/* Per-VM labelling state, shared by all backends for one supervisor. */
typedef struct LabelContext {
        const Domain *domain;
        const VmunitConfig *config;
        const VmunitPaths *paths;
        const char *name;
        char uuid[37];
        char boot_id[37]; /* this boot (label_boot_id()), for holder records */
        uid_t qemu_uid;   /* QEMU's identity; (uid_t) -1 = keep the caller's */
        gid_t qemu_gid;
        LabelJournal *journal;
        /* Set before release when some file could not be restored: a
         * backend then keeps what such a file depends on (the MCS pair's
         * reservation) and only frees its memory. */
        bool restore_failed;
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
         * pieces (AppArmor profile). Runs once, before any file. */
        int (*generate)(LabelContext *c);
        /* Give QEMU what it needs of f (its fd, kind and delivery);
         * journal the original first. All or nothing: on failure the
         * backend has undone its own part. */
        int (*label_file)(LabelContext *c, const VmFile *f);
        /* Undo label_file for f (the same inode, through f->fd): a file
         * other VMs still hold stays as they need it. */
        int (*restore_file)(LabelContext *c, const VmFile *f);
        /* In the child, after fork and before execve: arrange the exec
         * label (setexeccon / aa_change_onexec). Must be async-signal-safe
         * in spirit: no locks, no allocation that can deadlock. */
        int (*set_exec_label)(LabelContext *c);
        /* Undo generate (unload profile, release the MCS pair). */
        int (*release)(LabelContext *c);
        /* --cleanup: undo one journal record this backend wrote (the
         * supervisor that wrote it may be dead). No LabelContext exists
         * and no fd: a file record names its inode (dev:ino), and a file
         * found at its path now that is another inode is left alone, with
         * a line saying so in *ret_notice (malloc'd; may stay NULL). */
        int (*undo_record)(const char *labels_dir, const struct LabelRecord *rec, char **ret_notice);
        /* Optional (NULL = nothing to do): called by the manager after a
         * batch of label_file/restore_file calls — the whole domain at
         * start, one disk on hotplug or unplug — so a backend that builds
         * policy from the files (AppArmor: writes vmunit-UUID.files and
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
 * labels the files of a VmFiles table (vm_files_collect()).
 */
typedef struct LabelManager LabelManager;

typedef struct LabelManagerParams {
        const Domain *domain;
        const VmunitConfig *config;
        const VmunitPaths *paths;
        const char *name;
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
/*
 * generate + label exactly the files of the table, in order. The manager
 * keeps its own copy of each (a dup of the fd, path, kind, stat), so the
 * caller's table may change or go; restore works through those fds. On
 * failure everything already changed is restored before returning, and
 * *ret_error (caller frees) names the backend, the file and why.
 */
int label_manager_label_domain(LabelManager *m, const VmFiles *files, char **ret_error);
/* Hotplug: label one more file (all or nothing) / restore one, found by
 * its inode (-ENOENT when the manager labelled no such file). */
int label_manager_label_file(LabelManager *m, const VmFile *f, char **ret_error);
int label_manager_restore_file(LabelManager *m, const VmFile *f);
/* In the child before execve: the MAC's exec label. */
int label_manager_set_exec_label(LabelManager *m);
/* Restore everything, release, remove the journal. Best effort; returns
 * the first error. */
int label_manager_restore_domain(LabelManager *m);
/* --cleanup: replay NAME's journal with no supervisor alive; undoing
 * twice is harmless. *ret_notices (when not NULL; a NULL-terminated
 * array, free with strv_free_array(), NULL when empty) gets one line per
 * record that was deliberately left alone (a different file at the path
 * now), for the caller to log. Returns 0 or the first error (the journal
 * then stays for the next try). */
int label_cleanup_from_journal(const VmunitPaths *paths, const char *name, char ***ret_notices);

/* The SELinux process contexts without categories a VM gets per domain
 * type (vmctl capabilities, as libvirt's <baselabel>): *ret_kvm the
 * policy's virtual domain (svirt_t), *ret_tcg its TCG domain, or the
 * one vmunit's module declares (svirt_tcg_t). Both malloc'd. Returns 0,
 * -ENOENT (no virtual context files), -EINVAL or -ENOMEM. */
int label_selinux_base_labels(char **ret_kvm, char **ret_tcg);

/* This boot's id (/proc/sys/kernel/random/boot_id; a test build may
 * override it, see test-hook.h) into buf. Returns 0 or -errno. */
int label_boot_id(char buf[static 37]);
