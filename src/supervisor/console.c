/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest console's pty. Placeholder until implemented.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"
#include "vm-bus.h"

void console_on_qmp_ready(Supervisor *s) {
}

int console_open(Supervisor *s, const char **ret_error, char **ret_message) {
        *ret_error = VMUNIT_BUS_ERROR_NOT_SUPPORTED;
        *ret_message = strdup("OpenConsole: not implemented yet");
        return -EOPNOTSUPP;
}

void console_done(Supervisor *s) {
}
