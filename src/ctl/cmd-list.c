/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "ctl.h"
#include "log.h"
#include "strv.h"
#include "systemd-manager.h"
#include "unit-name.h"

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Names of defined domains: every NAME.xml in the domains directory. */
static int collect_defined(Ctl *ctl, Strv *ret) {
        DIR *dir = opendir(ctl->paths.domains_dir);
        struct dirent *de;

        if (!dir)
                return errno == ENOENT ? 0 : negative_errno();
        while ((de = readdir(dir))) {
                size_t n = strlen(de->d_name);
                if (de->d_name[0] == '.' || n <= 4 || strcmp(de->d_name + n - 4, ".xml") != 0)
                        continue;
                if (strv_pushf(ret, "%.*s", (int) (n - 4), de->d_name) < 0) {
                        closedir(dir);
                        return -ENOMEM;
                }
        }
        closedir(dir);
        if (ret->n)
                qsort(ret->items, ret->n, sizeof(char *), cmp_str);
        return 0;
}

/* virsh's words for systemd's ActiveState of vm@NAME.service. */
static const char *state_from_unit(const char *active_state) {
        if (streq(active_state, "active") || streq(active_state, "reloading"))
                return "running";
        if (streq(active_state, "activating"))
                return "starting";
        if (streq(active_state, "deactivating"))
                return "shutting down";
        if (streq(active_state, "failed"))
                return "failed";
        return "shut off";
}

/* System mode asks systemd, so `vmctl list` and `systemctl list-units
 * 'vm@*'` agree; embedded mode looks at the runtime directory. */
static char *domain_state(Ctl *ctl, sd_bus *bus, const char *name) {
        _cleanup_free_ char *unit = NULL, *active = NULL;

        if (!bus)
                return strdup(ctl_domain_running_pid(ctl, name) > 0 ? "running" : "shut off");
        if (vm_unit_name(name, &unit) < 0 || manager_unit_state(bus, unit, &active) < 0)
                return strdup("unknown");
        return strdup(state_from_unit(active));
}

static void print_domain(Ctl *ctl, sd_bus *bus, const char *name, bool all) {
        _cleanup_free_ char *state = domain_state(ctl, bus, name);
        int pid = ctl_domain_running_pid(ctl, name);
        char id[16] = "-";

        if (!state || (!all && streq(state, "shut off")))
                return;
        if (pid > 0)
                snprintf(id, sizeof(id), "%d", pid);
        printf(" %-7s %-30s %s\n", id, name, state);
}

int ctl_cmd_list(Ctl *ctl, int argc, char **argv) {
        static const struct option options[] = { { "all", no_argument, NULL, 'a' }, {} };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_ Strv names = {};
        bool all = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc + 1, argv - 1, "a", options, NULL)) >= 0) {
                if (c != 'a')
                        return log_error("usage: vmctl list [--all]"), 1;
                all = true;
        }
        r = collect_defined(ctl, &names);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", ctl->paths.domains_dir), 1;
        if (!ctl->root && sd_booted() > 0 && manager_open(&bus) < 0)
                return 1;
        printf(" %-7s %-30s %s\n", "Id", "Name", "State");
        printf("------------------------------------------------\n");
        for (size_t i = 0; i < names.n; i++)
                print_domain(ctl, bus, names.items[i], all);
        return 0;
}
