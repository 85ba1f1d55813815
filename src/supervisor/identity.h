/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * QEMU's identity: the uid, gid and supplementary groups it runs with.
 * Resolved in the parent (NSS lookups allocate and may talk to daemons:
 * never after fork), applied in the child with raw set*id calls only.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* The explicit supplementary list: the configured group and kvm. */
#define QEMU_IDENTITY_MAX_GROUPS 2

/* The default user in system mode, created by units/vmunit-sysusers.conf. */
#define QEMU_IDENTITY_DEFAULT_USER "vmunit-qemu"

typedef struct QemuIdentity {
        bool change; /* false: QEMU keeps the supervisor's identity */
        uid_t uid;   /* (uid_t) -1 when !change, as LabelManagerParams.qemu_uid wants */
        gid_t gid;   /* (gid_t) -1 when !change */
        gid_t groups[QEMU_IDENTITY_MAX_GROUPS];
        size_t n_groups;
} QemuIdentity;

#define QEMU_IDENTITY_KEEP ((QemuIdentity){ .change = false, .uid = (uid_t) -1, .gid = (gid_t) -1 })

/* Work out QEMU's identity from config->user/group. System mode: the
 * configured user or vmunit-qemu, its primary group unless group is set.
 * Embedded mode: the caller's identity unless user/group are set (like
 * libvirt's session mode). An identity equal to the current one is not
 * changed: then *ret is QEMU_IDENTITY_KEEP (change = false, uid and gid
 * (uid_t) -1, so it can be passed on as LabelManagerParams.qemu_uid/gid).
 * Returns 0; -ENOENT when the configured user or group does not exist,
 * -ESRCH when the default user (system mode) does not exist, -EPERM when a
 * change is needed but the supervisor cannot make it (not root), -ENOMEM;
 * each failure with a one-line reason in *ret_error (caller frees). */
int identity_resolve(const VmunitConfig *config, bool embedded, QemuIdentity *ret, char **ret_error);

/* "uid=… gid=… groups=…" for the log; buf of at least 96 bytes. */
const char *identity_describe(const QemuIdentity *id, char *buf, size_t size);

/* In the child, after fork: setgroups, setresgid, setresuid, then check
 * that root cannot be regained. Raw syscalls only. Returns 0 or -errno
 * (-EPERM also when a way back to the old identity is still open). */
int identity_apply(const QemuIdentity *id);
