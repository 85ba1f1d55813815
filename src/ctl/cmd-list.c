/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * list [--all] [--name]: virsh's table (Id = QEMU's pid, Name, State).
 *
 * System mode asks systemd which vm@ units exist and in which state
 * (ListUnitsByPatterns), so `vmctl list --all` and `systemctl list-units
 * 'vm@*' --all` agree; a running VM's own D-Bus object tells paused from
 * running. Domains that are defined but whose unit systemd has not loaded
 * are "shut off". Embedded mode has no systemd: the runtime directory's
 * pid file says what runs.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "ctl.h"
#include "log.h"
#include "strv.h"
#include "systemd-manager.h"
#include "unit-name.h"
#include "vm-bus.h"

typedef struct ListEntry {
        char *name;
        char *state;
        unsigned pid; /* QEMU's, 0 = not known / not running */
} ListEntry;

typedef struct DomainList {
        ListEntry *items;
        size_t n;
} DomainList;

static void domain_list_done(DomainList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].name);
                free(l->items[i].state);
        }
        free(l->items);
}

static ListEntry *domain_list_find(DomainList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].name, name))
                        return &l->items[i];
        return NULL;
}

/* Add (taking name) with a copy of state; -ENOMEM on failure. */
static int domain_list_add(DomainList *l, char *name, const char *state, unsigned pid) {
        ListEntry *items = realloc(l->items, (l->n + 1) * sizeof(*items));
        char *s = strdup(state);

        if (items)
                l->items = items;
        if (!items || !s) {
                free(name);
                free(s);
                return -ENOMEM;
        }
        l->items[l->n++] = (ListEntry){ .name = name, .state = s, .pid = pid };
        return 0;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const ListEntry *) a)->name, ((const ListEntry *) b)->name);
}

/* Every NAME.xml in the domains directory not yet listed, as state. */
static int add_defined(Ctl *ctl, DomainList *l, bool embedded) {
        DIR *dir = opendir(ctl->paths.domains_dir);
        struct dirent *de;
        int r = 0;

        if (!dir)
                return errno == ENOENT ? 0 : negative_errno();
        while (r >= 0 && (de = readdir(dir))) {
                size_t n = strlen(de->d_name);
                char *name;
                int pid;

                if (de->d_name[0] == '.' || n <= 4 || strcmp(de->d_name + n - 4, ".xml") != 0)
                        continue;
                name = strndup(de->d_name, n - 4);
                if (!name) {
                        r = -ENOMEM;
                        break;
                }
                if (domain_list_find(l, name)) {
                        free(name);
                        continue;
                }
                pid = embedded ? ctl_domain_running_pid(ctl, name) : 0;
                r = domain_list_add(l, name, pid > 0 ? "running" : "shut off", (unsigned) pid);
        }
        closedir(dir);
        return r;
}

/* virsh's words for systemd's ActiveState of vm@NAME.service. */
static const char *state_from_unit(const char *active_state) {
        if (streq(active_state, "active") || streq(active_state, "reloading"))
                return "running";
        if (streq(active_state, "activating"))
                return "starting";
        if (streq(active_state, "deactivating"))
                return "in shutdown";
        if (streq(active_state, "failed"))
                return "failed";
        return "shut off";
}

/* virsh's words for the VM object's State property. */
static const char *state_from_vm(const char *vm_state) {
        if (streq(vm_state, "shutting-down"))
                return "in shutdown";
        if (streq(vm_state, "shutoff"))
                return "shut off";
        return vm_state; /* running, paused, crashed */
}

/* A running unit's VM object knows more than systemd: paused, and QEMU's
 * pid (which also works with -H, where the pid file is out of reach). A
 * VM whose object is not (yet) on the bus keeps systemd's word. */
static void refine_from_vm(sd_bus *bus, ListEntry *e) {
        _cleanup_free_ char *service = NULL, *state = NULL;
        uint32_t pid = 0;

        if (bus_service_name(e->name, &service) < 0)
                return;
        if (sd_bus_get_property_string(bus, service, VMUNIT_BUS_PATH, VMUNIT_BUS_INTERFACE, "State", NULL,
                                       &state) >= 0) {
                char *s = strdup(state_from_vm(state));
                if (s) {
                        free(e->state);
                        e->state = s;
                }
        }
        if (sd_bus_get_property_trivial(bus, service, VMUNIT_BUS_PATH, VMUNIT_BUS_INTERFACE, "QemuPID", NULL,
                                        'u', &pid) >= 0 &&
            pid > 0)
                e->pid = pid;
}

/* Domain name of "vm@INSTANCE.service"; NULL for anything else. */
static char *domain_of_unit(const char *unit) {
        _cleanup_free_ char *instance = NULL;
        size_t n = strlen(unit);
        char *name = NULL;

        if (strncmp(unit, "vm@", 3) != 0 || n <= 3 + strlen(".service") ||
            !streq(unit + n - strlen(".service"), ".service"))
                return NULL;
        instance = strndup(unit + 3, n - 3 - strlen(".service"));
        if (!instance || unit_instance_unescape(instance, &name) < 0)
                return NULL;
        return name;
}

static int add_unit(Ctl *ctl, sd_bus *bus, DomainList *l, const char *unit, const char *active) {
        char *name = domain_of_unit(unit);
        const char *state = state_from_unit(active);
        int pid, r;

        if (!name)
                return 0; /* the template itself, or a foreign spelling */
        pid = !ctl->host && !streq(state, "shut off") ? ctl_domain_running_pid(ctl, name) : 0;
        r = domain_list_add(l, name, state, (unsigned) pid);
        if (r >= 0 &&
            (streq(active, "active") || streq(active, "reloading") || streq(active, "deactivating")))
                refine_from_vm(bus, &l->items[l->n - 1]);
        return r;
}

static int add_units(Ctl *ctl, sd_bus *bus, DomainList *l) {
        _cleanup_strv_ Strv units = {}, states = {};
        int r;

        r = manager_list_units(bus, "vm@*.service", &units, &states);
        for (size_t i = 0; r >= 0 && i < units.n; i++)
                r = add_unit(ctl, bus, l, units.items[i], states.items[i]);
        return r;
}

static void print_list(const DomainList *l, bool all, bool names_only) {
        if (!names_only) {
                printf(" %-7s %-30s %s\n", "Id", "Name", "State");
                printf("------------------------------------------------\n");
        }
        for (size_t i = 0; i < l->n; i++) {
                const ListEntry *e = &l->items[i];
                char id[16] = "-";

                if (!all && streq(e->state, "shut off"))
                        continue;
                if (names_only) {
                        puts(e->name);
                        continue;
                }
                if (e->pid > 0)
                        snprintf(id, sizeof(id), "%u", e->pid);
                printf(" %-7s %-30s %s\n", id, e->name, e->state);
        }
}

static int parse_list_args(int argc, char **argv, bool *all, bool *names_only) {
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "name", no_argument, NULL, 'n' },
                {},
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc + 1, argv - 1, "a", options, NULL)) >= 0)
                switch (c) {
                case 'a': *all = true; break;
                case 'n': *names_only = true; break;
                default: log_error("usage: vmctl list [--all] [--name]"); return -EINVAL;
                }
        if (optind <= argc)
                return log_error("list takes no arguments: usage: vmctl list [--all] [--name]"), -EINVAL;
        return 0;
}

int ctl_cmd_list(Ctl *ctl, int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(domain_list_done) DomainList list = {};
        bool all = false, names_only = false, systemd;
        int r;

        if (parse_list_args(argc, argv, &all, &names_only) < 0)
                return 1;
        if (ctl->host && all) {
                log_error("list --all reads this host's domain definitions and is not available with -H");
                return 1;
        }
        systemd = ctl->host || (!ctl->root && sd_booted() > 0);
        if (systemd) {
                if (manager_open(ctl, &bus) < 0 || add_units(ctl, bus, &list) < 0)
                        return 1;
        }
        if (!ctl->host) {
                r = add_defined(ctl, &list, /* embedded= */ !systemd);
                if (r < 0)
                        return log_error_errno(r, "Failed to read %s: %m", ctl->paths.domains_dir), 1;
        }
        if (list.n)
                qsort(list.items, list.n, sizeof(ListEntry), cmp_entry);
        print_list(&list, all, names_only);
        return 0;
}
