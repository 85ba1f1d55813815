/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Disk hotplug. Placeholder until implemented.
 */
#include "supervisor.h"
#include "vm-bus.h"

void hotplug_attach(Supervisor *s, const char *xml, SupervisorOpDone done, void *userdata) {
        done(s, VMUNIT_BUS_ERROR_NOT_SUPPORTED, "AttachDevice: not implemented yet", userdata);
}

void hotplug_detach(Supervisor *s, const char *xml, SupervisorOpDone done, void *userdata) {
        done(s, VMUNIT_BUS_ERROR_NOT_SUPPORTED, "DetachDevice: not implemented yet", userdata);
}

void hotplug_on_qmp_event(Supervisor *s, const char *event, json_object *data) {
}

void hotplug_done(Supervisor *s) {
}
