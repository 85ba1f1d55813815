/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder until implemented. */
#include "ctl.h"
#include "log.h"

int ctl_cmd_attach_disk(Ctl *ctl, int argc, char **argv) {
        log_error("attach_disk: not implemented yet");
        return 1;
}

int ctl_cmd_detach_disk(Ctl *ctl, int argc, char **argv) {
        log_error("detach_disk: not implemented yet");
        return 1;
}
