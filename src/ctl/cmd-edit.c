/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder until implemented. */
#include "ctl.h"
#include "log.h"

int ctl_cmd_edit(Ctl *ctl, int argc, char **argv) {
        log_error("edit: not implemented yet");
        return 1;
}
