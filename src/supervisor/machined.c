/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registration with systemd-machined, so `machinectl list` and
 * `machinectl status` show the VM (class vm, leader = QEMU). Best effort:
 * a host without machined, or a name machined will not take, is logged
 * and the VM runs anyway.
 */
#include <ctype.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "supervisor.h"

#define MACHINED_DEST "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_IFACE "org.freedesktop.machine1.Manager"

/* machined accepts hostname-like names only (see machine_name_is_valid()). */
static bool machine_name_ok(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
                return false;
        for (const char *p = name; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '-' && *p != '_' && *p != '.')
                        return false;
        return true;
}

static int register_call(sd_bus *bus, const Supervisor *s, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, MACHINED_DEST, MACHINED_PATH, MACHINED_IFACE,
                                           "RegisterMachine");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", s->name);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', s->domain->uuid, 16);
        if (r >= 0)
                r = sd_bus_message_append(m, "ssus", "vmunit", "vm", (uint32_t) s->qemu_pid, "");
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, 0, error, NULL);
}

/* A supervisor that was SIGKILLed leaves its registration behind until
 * machined notices; drop a stale one of the same name and try again. */
static int register_with_retry(sd_bus *bus, const Supervisor *s) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = register_call(bus, s, &error);

        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.machine1.MachineExists")) {
                sd_bus_error_free(&error);
                log_info("replacing a stale machined registration for '%s'", s->name);
                (void) sd_bus_call_method(bus, MACHINED_DEST, MACHINED_PATH, MACHINED_IFACE,
                                          "UnregisterMachine", NULL, NULL, "s", s->name);
                r = register_call(bus, s, &error);
        }
        if (r < 0)
                log_warning("could not register with systemd-machined: %s", error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        return r;
}

int machined_register(Supervisor *s) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (s->paths.embedded)
                return 0; /* embedded mode: no system bus, no machined */
        if (!machine_name_ok(s->name)) {
                log_info("not registering with systemd-machined: '%s' is not a valid machine name", s->name);
                return 0;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                log_warning("could not reach the system bus for systemd-machined: %s", strerror(-r));
                return 0;
        }
        r = register_with_retry(bus, s);
        if (r >= 0) {
                s->machined_registered = true;
                log_info("registered with systemd-machined as '%s'", s->name);
        }
        return 0;
}

void machined_unregister(Supervisor *s) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

        if (!s->machined_registered || sd_bus_open_system(&bus) < 0)
                return;
        (void) sd_bus_call_method(bus, MACHINED_DEST, MACHINED_PATH, MACHINED_IFACE, "UnregisterMachine",
                                  NULL, NULL, "s", s->name);
        s->machined_registered = false;
}
