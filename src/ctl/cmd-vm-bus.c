/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * suspend / resume / qemu-monitor-command: calls on the running VM's own
 * D-Bus object (org.vmunit.vm.LABEL, served by its supervisor), so the
 * supervisor stays the only one talking QMP and keeps its state right.
 */
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "ctl.h"
#include "log.h"
#include "polkit-agent.h"
#include "vm-bus.h"

int ctl_vm_call(Ctl *ctl, const char *name, const char *method, sd_bus_message **ret_reply,
                const char *types, ...) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *service = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        pid_t agent = 0;
        va_list ap;
        int r;

        if (ctl->root) {
                log_error("%s talks to the VM's D-Bus object, which exists in system mode only", method);
                return -EOPNOTSUPP;
        }
        if (ctl_check_name(name) < 0)
                return -EINVAL;
        r = bus_service_name(name, &service);
        if (r < 0)
                return log_error_errno(r, "domain name '%s' cannot be a D-Bus name: %m", name);
        r = ctl_bus_open(ctl, &bus);
        if (r < 0)
                return r;
        /* A person at this terminal may be asked for a password by polkit
         * (bus-access.c); over SSH (-H) there is no agent to ask through. */
        if (!ctl->host && polkit_agent_wanted()) {
                (void) sd_bus_set_allow_interactive_authorization(bus, true);
                agent = polkit_agent_start();
        }
        va_start(ap, types);
        r = sd_bus_call_methodv(bus, service, VMUNIT_BUS_PATH, VMUNIT_BUS_INTERFACE, method, &error,
                                ret_reply, types, ap);
        va_end(ap);
        polkit_agent_stop(agent);
        if (r < 0) {
                if (sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                           SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        log_error("domain '%s' is not running", name);
                else if (sd_bus_error_has_names(&error, VMUNIT_BUS_ERROR_ACCESS_DENIED,
                                                SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                        log_error("%s of domain '%s': permission denied: %s", method, name,
                                  error.message ?: "not authorized");
                else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED))
                        /* The bus daemon's refusal lists its policy rules;
                         * the person needs to know whose policy it is. */
                        log_error("%s of domain '%s': permission denied by the bus policy (is "
                                  "org.vmunit.vm.conf installed in dbus-1/system.d?)",
                                  method, name);
                else
                        log_error("%s of domain '%s' failed: %s", method, name,
                                  error.message ?: strerror(-r));
        }
        sd_bus_error_free(&error);
        return r;
}

static int simple_call(Ctl *ctl, int argc, char **argv, const char *usage, const char *method,
                       const char *done) {
        if (ctl_expect_args(argc, 1, usage) < 0)
                return 1;
        if (ctl_vm_call(ctl, argv[0], method, NULL, NULL) < 0)
                return 1;
        printf("Domain '%s' %s\n", argv[0], done);
        return 0;
}

int ctl_cmd_suspend(Ctl *ctl, int argc, char **argv) {
        return simple_call(ctl, argc, argv, "suspend NAME", "Suspend", "suspended");
}

int ctl_cmd_resume(Ctl *ctl, int argc, char **argv) {
        return simple_call(ctl, argc, argv, "resume NAME", "Resume", "resumed");
}

int ctl_cmd_reboot(Ctl *ctl, int argc, char **argv) {
        return simple_call(ctl, argc, argv, "reboot NAME", "Reboot", "is being rebooted");
}

int ctl_cmd_qemu_monitor_command(Ctl *ctl, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *json;

        if (ctl_expect_args(argc, 2, "qemu-monitor-command NAME JSON") < 0)
                return 1;
        if (ctl_vm_call(ctl, argv[0], "MonitorCommand", &reply, "s", argv[1]) < 0)
                return 1;
        if (sd_bus_message_read(reply, "s", &json) < 0)
                return log_error("unexpected reply from domain '%s'", argv[0]), 1;
        puts(json);
        return 0;
}
