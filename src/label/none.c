/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The no-op backend, last in the loop: what runs when security_driver is
 * "none" or no LSM is available. DAC (when active) still does its part;
 * this one only makes "no MAC" an explicit, named choice.
 */
#include "label.h"

static int none_probe(const LabelContext *c) {
        return 1;
}

static int none_noop(LabelContext *c) {
        return 0;
}

static int none_label_path(LabelContext *c, const char *path, LabelPathKind kind) {
        return 0;
}

static int none_restore_path(LabelContext *c, const char *path) {
        return 0;
}

/* It never writes journal records, so any record naming it is forged or
 * damaged: say so rather than pretend it was undone. */
static int none_undo_record(const struct LabelRecord *rec) {
        return -EBADMSG;
}

const LabelBackend label_backend_none = {
        .name = "none",
        .probe = none_probe,
        .generate = none_noop,
        .label_path = none_label_path,
        .restore_path = none_restore_path,
        .set_exec_label = none_noop,
        .release = none_noop,
        .undo_record = none_undo_record,
};
