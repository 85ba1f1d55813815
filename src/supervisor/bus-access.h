/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who may do what with a VM's bus object, decided when each call arrives
 * (DESIGN.md "D-Bus", README "Access"). Three actions, as polkit names
 * them (polkit/org.vmunit.vm.policy):
 *
 *   org.vmunit.vm.manage   lifecycle, save, hotplug, the XML, query-* QMP
 *   org.vmunit.vm.console  OpenConsole
 *   org.vmunit.vm.monitor  raw QMP through MonitorCommand
 *
 * Root may do everything. Anyone else is asked about through polkit when
 * polkit is on the bus (our rules file grants group vmunit manage and
 * console, group vmunit-admin all three); without polkit the same rule is
 * applied here, with the groups the user database lists for the caller's
 * uid at the time of the call. Either way a change of membership counts
 * at the caller's next call: no answer is kept here (polkit itself keeps
 * only what an administrator's password granted, for auth_admin_keep),
 * and the bus policy does not filter by group (dbus-daemon would
 * evaluate group= from a cache that only a bus reload refreshes).
 */

#include <systemd/sd-bus.h>

#include "caller.h"

typedef enum VmAction {
        VM_ACTION_MANAGE,
        VM_ACTION_CONSOLE,
        VM_ACTION_MONITOR,
        _VM_ACTION_MAX,
} VmAction;

const char *vm_action_id(VmAction action);

typedef struct BusAccess BusAccess;

/* name and uuid identify the VM to polkit rules (action.lookup("name")). */
BusAccess *bus_access_new(const char *name, const char *uuid);
/* Drops the queries still waiting (their calls get no reply from here). */
BusAccess *bus_access_free(BusAccess *a);

/*
 * May the sender of method call m do action? Returns
 *   1   yes; *ret_caller is who asked (caller_done()),
 *   0   polkit is being asked: the method returns 1 (a reply will come)
 *       and sd-bus dispatches m to it again, rewound, once polkit has
 *       answered; this call then returns the answer,
 *   <0  no, or the question could not be asked; *error says which.
 * A method must call this before it acts on anything m carries.
 */
int bus_access_check(BusAccess *a, sd_bus_message *m, VmAction action, Caller *ret_caller,
                     sd_bus_error *error);
