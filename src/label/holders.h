/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who holds a labelled file, and what it was before: the record both the
 * DAC and the SELinux backend keep in a trusted.* xattr on the file
 * itself, and the journal value that points at it. Pure string logic (no
 * file system), unit-tested in tests/unit/test-label-holders.c; the code
 * that reads and writes the records is label-hold.c.
 *
 * The record, "BOOTID ORIGINAL UUID...":
 *   BOOTID    the boot in which the holders run. A record from another
 *             boot is stale: its VMs died with that boot (a power loss
 *             runs no ExecStopPost and takes the journal in /run with
 *             it), so the next VM to label the file takes the record's
 *             original and drops its holders.
 *   ORIGINAL  the file's state before the first holder changed it, as
 *             the backend writes it (a token without spaces: an SELinux
 *             context; for DAC the mode and the ACL xattr in hex).
 *   UUID...   every VM holding the file now. A list, not a count, so
 *             undoing the same journal record twice (a clean stop and
 *             then ExecStopPost's cleanup, or a crash between the undo
 *             and its "undone" marker) changes nothing the second time:
 *             removing a UUID that is not there is a no-op.
 */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

/* A UUID or a boot id in canonical text form (8-4-4-4-12 hex). */
#define LABEL_ID_STRLEN 36

typedef struct LabelHolders {
        char boot_id[LABEL_ID_STRLEN + 1];
        char *original;
        char **uuids; /* n_uuids entries, none twice */
        size_t n_uuids;
} LabelHolders;

/* Whether s is 36 characters of hex digits and dashes. */
bool label_id_valid(const char *s);
/* Whether s can be an ORIGINAL: non-empty, printable ASCII, no space. */
bool label_token_valid(const char *s);

/* Returns 0, -EBADMSG (malformed) or -ENOMEM. */
int label_holders_parse(const char *value, LabelHolders *ret);
/* *ret malloc'd. Returns 0, -EINVAL (a field that would not parse back)
 * or -ENOMEM. */
int label_holders_format(const LabelHolders *h, char **ret);
bool label_holders_has(const LabelHolders *h, const char *uuid);
/* Add uuid unless present. Returns 0, -EINVAL or -ENOMEM. */
int label_holders_add(LabelHolders *h, const char *uuid);
/* Remove uuid. Returns whether it was there. */
bool label_holders_remove(LabelHolders *h, const char *uuid);
void label_holders_done(LabelHolders *h);

typedef enum LabelHoldAction {
        LABEL_HOLD_NEW,   /* no record: the file's state now is the original */
        LABEL_HOLD_STALE, /* a record from another boot: its original, its holders dropped */
        LABEL_HOLD_JOIN,  /* other VMs hold it in this boot: their original, plus us */
        LABEL_HOLD_AGAIN, /* we hold it already, in this boot: the record stays as it is */
} LabelHoldAction;

/* What labelling does to the record: cur is the file's record (NULL: it
 * has none), current the file's state now (the original of a new
 * record). *ret_next is the record to write, with uuid among its holders.
 * Returns the action, -EINVAL or -ENOMEM. */
int label_holders_decide(const LabelHolders *cur, const char *current, const char *boot_id, const char *uuid,
                         LabelHolders *ret_next);

/*
 * The journal value of a file record, "DEV:INO UUID held|plain ORIGINAL":
 * the inode that was labelled (so an undo with no fd left, --cleanup,
 * acts only on a file with that device and inode number, not on another
 * file moved to the path since; a new file that reuses the number of a
 * deleted one is not told apart, but a "held" undo also needs our UUID
 * in its holder record), the VM, whether a holder record on the file carries the
 * original ("held") or only this journal does ("plain": a file system
 * without trusted xattrs, or remember_owner = 0), and the original.
 */
typedef struct LabelFileRecord {
        uint64_t dev, ino;
        char uuid[LABEL_ID_STRLEN + 1];
        bool held;
        char *original;
} LabelFileRecord;

/* Returns 0, -EINVAL or -ENOMEM. */
int label_file_record_format(const LabelFileRecord *r, char **ret);
/* Returns 0, -EBADMSG or -ENOMEM. */
int label_file_record_parse(const char *value, LabelFileRecord *ret);
void label_file_record_done(LabelFileRecord *r);
