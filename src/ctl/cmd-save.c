/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder until implemented. */
#include "ctl.h"
#include "log.h"

int ctl_cmd_save(Ctl *ctl, int argc, char **argv) {
        log_error("save: not implemented yet");
        return 1;
}

int ctl_cmd_restore(Ctl *ctl, int argc, char **argv) {
        log_error("restore: not implemented yet");
        return 1;
}
