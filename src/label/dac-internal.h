/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The DAC backend's decisions as pure functions, apart from the code that
 * applies them (chown, xattrs), so unit tests can check every decision
 * without root. Only dac.c and the tests include this.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "label.h"

/* The extended attribute on the labelled file itself: it travels with the
 * file, so every supervisor (of any VM) sharing the file sees the same
 * count. trusted.* needs CAP_SYS_ADMIN to read or write: QEMU and users
 * can neither see nor forge it. */
#define DAC_XATTR_NAME "trusted.vmunit.owner"
#define DAC_BOOT_ID_MAX 37

/* The xattr value "UID:GID:MODE:REFCOUNT:BOOTID": the owner before the
 * first VM took the file, how many VMs use it now, and the boot they run
 * in (a count from before a reboot is stale: those VMs are gone). */
typedef struct DacOwner {
        uid_t uid;
        gid_t gid;
        mode_t mode; /* permission bits only (07777) */
        unsigned refcount;
        char boot_id[DAC_BOOT_ID_MAX];
} DacOwner;

/* Returns 0 or -EBADMSG. */
int dac_owner_parse(const char *s, DacOwner *ret);
/* Returns 0 or -ENOBUFS. */
int dac_owner_format(const DacOwner *o, char *buf, size_t size);

/* The journal value of a DAC record:
 * "xattr|plain:ORIG_UID:ORIG_GID:ORIG_MODE:TARGET_UID:TARGET_GID".
 * remembered: the original is (also) in the xattr and refcounted. */
typedef struct DacRecord {
        bool remembered;
        uid_t orig_uid;
        gid_t orig_gid;
        mode_t orig_mode;
        uid_t target_uid;
        gid_t target_gid; /* (gid_t) -1: the group was left alone */
} DacRecord;

int dac_record_parse(const char *s, DacRecord *ret);
int dac_record_format(const DacRecord *rec, char *buf, size_t size);

/* Whether st is owned by uid (and gid, unless it is (gid_t) -1). */
bool dac_owned_by(const struct stat *st, uid_t uid, gid_t gid);

/*
 * The plan for one path: may QEMU have it as kind, and must its owner
 * change? Returns 0 with *ret_change, or -EISDIR / -ENOTDIR / -EINVAL when
 * the file type does not fit the kind (fail closed: never chown a
 * directory because a disk points at it).
 */
int dac_plan_compute(const struct stat *st, LabelPathKind kind, bool *ret_change);

typedef enum DacRememberAction {
        DAC_REMEMBER_NOTHING, /* already QEMU's and no VM counted: no change, no record */
        DAC_REMEMBER_FIRST,   /* first user: store the original, count 1, chown */
        DAC_REMEMBER_SHARE,   /* another VM holds it: count + 1, no chown */
} DacRememberAction;

/* Decide what labelling a file with xattr value cur (NULL = none) and
 * status st does, for target uid:gid in boot boot_id. *ret_next is the
 * xattr value to write (unless NOTHING). Returns the action, or -EBUSY
 * when another VM holds the file under a different owner. */
int dac_remember_decide(const DacOwner *cur, const struct stat *st, uid_t uid, gid_t gid,
                        const char *boot_id, DacOwner *ret_next);
