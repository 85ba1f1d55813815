/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The label journal: RUN/labels/NAME.journal, one record per change, each
 * written and fsync'd BEFORE the change is made. `--cleanup` replays it in
 * reverse to restore ACLs and labels and release the MCS pair even when
 * the supervisor was SIGKILLed; a clean stop replays it too and removes it.
 *
 * A record is (backend, op, path, value): e.g. ("dac", "acl", "/img",
 * "2049:131 UUID held 0600:none") and ("selinux", "setfilecon", "/img",
 * "2049:131 UUID held system_u:...") (holders.h), ("selinux", "mcs",
 * "/var/lib/vmunit/labels/mcs", "UUID"), ("apparmor", "profile", "",
 * "vmunit-UUID"). Fields are escaped on disk so any byte of a path
 * round-trips.
 */

#include <stdbool.h>

#include "macro.h"

typedef struct LabelJournal LabelJournal;

typedef struct LabelRecord {
        const char *backend;
        const char *op;
        const char *path;
        const char *value;
} LabelRecord;

/* Open (create, append) RUN/labels/NAME.journal, creating labels_dir 0700.
 * Returns 0 or -errno. */
int label_journal_open(const char *labels_dir, const char *name, LabelJournal **ret);
LabelJournal *label_journal_free(LabelJournal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(LabelJournal *, label_journal_free);

/* Append one record and fsync before returning. Returns 0 or -errno; on
 * failure the caller must not make the change (fail closed). */
int label_journal_record(LabelJournal *j, const LabelRecord *rec);

/* Call fn for every record, newest first. Stops at the first fn error but
 * returns it only after visiting all (best effort restore). A missing
 * journal is 0 records. */
typedef int (*LabelReplayFn)(const LabelRecord *rec, void *userdata);
int label_journal_replay(const char *labels_dir, const char *name, LabelReplayFn fn, void *userdata);

/* A marker record (backend, LABEL_JOURNAL_OP_UNDONE, path, OP) says that
 * the newest older record (backend, OP, path) is already undone (a restore
 * that succeeded before a crash, a hot-unplugged disk). */
#define LABEL_JOURNAL_OP_UNDONE "undone"

/* Like label_journal_replay, but skips the markers and every record a
 * newer marker cancels: what is still to be undone. */
int label_journal_replay_live(const char *labels_dir, const char *name, LabelReplayFn fn, void *userdata);

/*
 * The one lock for every read-modify-write of a holder record (both
 * backends, every VM): LABELS_DIR/holders.lock, flock'ed. The records
 * live on the files, which VMs share, so a per-VM lock would not do.
 * It serialises the supervisors that share this labels dir, i.e. one
 * vmunit installation (system mode, or one embedded root); two trees
 * labelling the same file do not exclude each other. Returns the fd
 * holding the lock (close it to unlock) or -errno.
 */
int label_registry_lock(const char *labels_dir);

/* Remove the journal once everything is restored. */
int label_journal_remove(const char *labels_dir, const char *name);
