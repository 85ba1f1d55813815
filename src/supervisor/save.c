/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Save(path) and restore. Placeholder until implemented.
 */
#include "supervisor.h"
#include "vm-bus.h"

void save_start(Supervisor *s, const char *path, SupervisorOpDone done, void *userdata) {
        done(s, VMUNIT_BUS_ERROR_NOT_SUPPORTED, "Save: not implemented yet", userdata);
}

void save_on_qmp_event(Supervisor *s, const char *event, json_object *data) {
}
