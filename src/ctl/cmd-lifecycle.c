/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * start / shutdown / destroy / autostart: in system mode these are systemd
 * jobs and unit-file operations on vm@NAME.service, done through systemd's
 * D-Bus API so vmctl and systemctl never disagree.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "ctl.h"
#include "log.h"
#include "systemd-manager.h"
#include "unit-name.h"

/* The unit for a defined domain; logs and fails for anything else. */
static int unit_for_domain(Ctl *ctl, const char *name, char **ret_unit) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = ctl_check_name(name);
        if (r < 0)
                return r;
        path = paths_domain_xml(&ctl->paths, name);
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0) {
                log_error("domain '%s' is not defined (%s does not exist)", name, path);
                return -ENOENT;
        }
        r = vm_unit_name(name, ret_unit);
        if (r < 0)
                log_error("domain name '%s' cannot be a unit name", name);
        return r;
}

static int require_system_mode(Ctl *ctl, const char *cmd) {
        if (!ctl->root)
                return 0;
        log_error("%s works through systemd (system mode); in embedded mode use 'vmctl --root DIR run FILE'",
                  cmd);
        return -EOPNOTSUPP;
}

/* Run a job and report how it went; the journal has the details. */
static int unit_job(const char *method, const char *unit, const char *name, const char *done_msg) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *result = NULL;
        int r;

        r = manager_open(&bus);
        if (r >= 0)
                r = manager_unit_job(bus, method, unit, &result);
        if (r < 0)
                return 1;
        if (!streq(result, "done")) {
                log_error("%s of domain '%s' %s; see 'systemctl status %s' and 'journalctl -u %s'", method,
                          name, result, unit, unit);
                return 1;
        }
        printf("Domain '%s' %s\n", name, done_msg);
        return 0;
}

int ctl_cmd_start(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *unit = NULL;

        if (ctl_expect_args(argc, 1, "start NAME") < 0 || require_system_mode(ctl, "start") < 0 ||
            unit_for_domain(ctl, argv[0], &unit) < 0)
                return 1;
        return unit_job("StartUnit", unit, argv[0], "started");
}

int ctl_cmd_shutdown(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *unit = NULL;

        if (ctl_expect_args(argc, 1, "shutdown NAME") < 0 || require_system_mode(ctl, "shutdown") < 0 ||
            unit_for_domain(ctl, argv[0], &unit) < 0)
                return 1;
        return unit_job("StopUnit", unit, argv[0], "is shut down");
}

/* SIGUSR1 tells the supervisor to skip the ACPI step and quit QEMU at
 * once (the guest gets no say, as with virsh destroy); the stop job then
 * waits for the unit to be down and its cleanup to have run. */
int ctl_cmd_destroy(Ctl *ctl, int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL, *state = NULL;

        if (ctl_expect_args(argc, 1, "destroy NAME") < 0 || require_system_mode(ctl, "destroy") < 0 ||
            unit_for_domain(ctl, argv[0], &unit) < 0)
                return 1;
        if (manager_open(&bus) < 0 || manager_unit_state(bus, unit, &state) < 0)
                return 1;
        if (!streq(state, "active") && !streq(state, "activating") && !streq(state, "reloading")) {
                log_error("domain '%s' is not running (%s is %s)", argv[0], unit, state);
                return 1;
        }
        if (manager_kill_unit(bus, unit, "main", SIGUSR1) < 0)
                return 1;
        return unit_job("StopUnit", unit, argv[0], "destroyed");
}

int ctl_cmd_autostart(Ctl *ctl, int argc, char **argv) {
        static const struct option options[] = { { "disable", no_argument, NULL, 'd' }, {} };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL;
        bool enable = true;
        int c;

        optind = 0;
        while ((c = getopt_long(argc + 1, argv - 1, "", options, NULL)) >= 0) {
                if (c != 'd')
                        return log_error("usage: vmctl autostart [--disable] NAME"), 1;
                enable = false;
        }
        argc -= optind - 1;
        argv += optind - 1;
        if (ctl_expect_args(argc, 1, "autostart [--disable] NAME") < 0 ||
            require_system_mode(ctl, "autostart") < 0 || unit_for_domain(ctl, argv[0], &unit) < 0)
                return 1;
        if (manager_open(&bus) < 0 || manager_enable(bus, unit, enable) < 0)
                return 1;
        printf("Domain '%s' %s\n", argv[0], enable ? "marked as autostarted" : "unmarked as autostarted");
        return 0;
}
