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

static int none_file(LabelContext *c, const VmFile *f) {
        return 0;
}

/* It never writes journal records, so any record naming it is forged or
 * damaged: say so rather than pretend it was undone. */
static int none_undo_record(const char *labels_dir, const struct LabelRecord *rec, char **ret_notice) {
        return -EBADMSG;
}

const LabelBackend label_backend_none = {
        .name = "none",
        .probe = none_probe,
        .generate = none_noop,
        .label_file = none_file,
        .restore_file = none_file,
        .set_exec_label = none_noop,
        .release = none_noop,
        .undo_record = none_undo_record,
};
