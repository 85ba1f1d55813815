/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one way DAC and SELinux change a file and put it back (holders.h
 * says what the record is). Both backends run the same steps, each a
 * named test_hook() point:
 *
 *   label   lock; read the file's state and holder record; ask the
 *           backend whether to go on; journal (fsync'd) the inode, our
 *           UUID and the original      -> PREFIX-journalled
 *           add our UUID to the record -> PREFIX-holder-added
 *           change the file            -> PREFIX-CHANGED (e.g. dac-acl-set)
 *   undo    lock; remove our UUID: with others left, write the record
 *           without it                 -> restore-PREFIX-holder-removed
 *           the last holder out: put the original back
 *                                      -> restore-PREFIX-RESTORED
 *           and remove the record      -> restore-PREFIX-record-removed
 *
 * A crash after any step leaves a journal record whose undo ends in the
 * original: before the record has our UUID the undo finds nothing of
 * ours and changes nothing; after it, the undo removes our UUID, and the
 * last holder restores (again, if it already had: the same bytes twice).
 * The original is restored before the record goes, so a crash between
 * the two leaves our UUID behind for the next undo to finish.
 *
 * "plain" records (a file system without trusted xattrs, or DAC with
 * remember_owner = 0) have no holder record: journal, change; undo puts
 * the journal's original back. A file two VMs share is then given back
 * by the first VM to stop.
 */

#include <stdbool.h>

#include "holders.h"
#include "label-journal.h"
#include "label.h"

typedef struct LabelHoldOps {
        const char *backend; /* journal backend name: "dac", "selinux" */
        const char *op;      /* journal op of a file record: "acl", "setfilecon" */
        const char *xattr;   /* the holder record: "trusted.vmunit.dac" */
        /* test_hook() step names, in the order above (LABEL_HOLD_STEPS). */
        const char *step_journalled, *step_holder_added, *step_changed;
        const char *step_holder_removed, *step_restored, *step_record_removed;
        /* The file's state now as an original token (malloc'd). */
        int (*get)(int fd, char **ret);
        /* Put an original token back on fd. */
        int (*put)(int fd, const char *original);
} LabelHoldOps;

/* The step names for PREFIX ("dac") and WHAT it changes ("acl"):
 * dac-journalled, dac-holder-added, dac-acl-set, restore-dac-holder-removed,
 * restore-dac-acl-restored, restore-dac-record-removed. */
#define LABEL_HOLD_STEPS(prefix, what)                                                                      \
        .step_journalled = prefix "-journalled", .step_holder_added = prefix "-holder-added",               \
        .step_changed = prefix "-" what "-set", .step_holder_removed = "restore-" prefix "-holder-removed", \
        .step_restored = "restore-" prefix "-" what "-restored",                                            \
        .step_record_removed = "restore-" prefix "-record-removed"

/* Whether to label: 1 go on, 0 nothing to do (nothing is journalled;
 * overruled when the file has a holder record: VMs hold it, or a dead
 * boot's change is on it), < 0 refuse (with a reason in c->error, or not). live is the record
 * when VMs hold the file in this boot (ours among them or not), else
 * NULL; current is the file's state now. */
typedef int (*LabelHoldCheckFn)(LabelContext *c, const VmFile *f, const char *current,
                                const LabelHolders *live, void *userdata);
/* Make the change on f->fd, from current. */
typedef int (*LabelHoldChangeFn)(LabelContext *c, const VmFile *f, const char *current, void *userdata);

/* Label f (see above). held: keep a holder record (false: plain, e.g.
 * remember_owner = 0); a file system without trusted xattrs falls back
 * to plain. All or nothing: a failed step undoes the earlier ones and
 * cancels the journal record. Returns 0 or -errno. */
int label_hold_file(LabelContext *c, const LabelHoldOps *ops, const VmFile *f, bool held,
                    LabelHoldCheckFn check, LabelHoldChangeFn change, void *userdata);

/* Restore at stop: undo the newest live journal record of ops for f (the
 * same path and inode) through f->fd, then mark it undone. No record:
 * nothing was changed, 0. */
int label_hold_restore(LabelContext *c, const LabelHoldOps *ops, const VmFile *f);

/* --cleanup: undo one file record of ops (rec->op == ops->op) with no fd:
 * rec->path resolved once without following any symlink, and acted on
 * only when it is the inode the record names (else *ret_notice says so).
 * A file that is gone needs nothing. Returns 0 or -errno. */
int label_hold_undo_record(const LabelHoldOps *ops, const char *labels_dir, const LabelRecord *rec,
                           char **ret_notice);
