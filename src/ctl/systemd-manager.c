/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Talking to systemd's manager over D-Bus, so that `vmctl start` and
 * `systemctl start` are the same operation and always agree.
 */
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "systemd-manager.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"

int manager_open(sd_bus **ret) {
        int r = sd_bus_open_system(ret);

        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        return 0;
}

/* Wait for JobRemoved of our job, as `systemctl` does, and hand back its
 * result ("done", "failed", "canceled", "timeout", "dependency", ...). */
typedef struct JobWait {
        const char *path;
        char *result;
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->path && streq(path, w->path) && !w->result)
                w->result = strdup(result);
        return 0;
}

static int job_wait(sd_bus *bus, JobWait *w) {
        while (!w->result) {
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0)
                        return r;
        }
        return 0;
}

int manager_unit_job(sd_bus *bus, const char *method, const char *unit, char **ret_result) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        JobWait w = {};
        int r;

        /* Subscribe before starting the job, or a fast job's JobRemoved
         * could arrive before we listen. */
        r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
        if (r >= 0)
                r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to systemd: %m");
        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, method, &error, &reply, "ss", unit,
                               "replace");
        if (r < 0) {
                log_error("%s %s: %s", method, unit, error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &w.path);
        if (r >= 0)
                r = job_wait(bus, &w);
        if (r < 0) {
                free(w.result);
                return log_error_errno(r, "Failed to wait for the %s job of %s: %m", method, unit);
        }
        *ret_result = w.result;
        return 0;
}

int manager_kill_unit(sd_bus *bus, const char *unit, const char *who, int sig) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "KillUnit", &error, NULL, "ssi", unit,
                                   who, (int32_t) sig);

        if (r < 0)
                log_error("cannot signal %s: %s", unit, error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        return r;
}

int manager_reload(sd_bus *bus) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Reload", &error, NULL, NULL);

        if (r < 0)
                log_error("daemon-reload failed: %s", error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        return r;
}

int manager_enable(sd_bus *bus, const char *unit, bool enable) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                           enable ? "EnableUnitFiles" : "DisableUnitFiles");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]){ (char *) unit, NULL });
        if (r >= 0)
                r = enable ? sd_bus_message_append(m, "bb", false, false)
                           : sd_bus_message_append(m, "b", false);
        if (r < 0)
                return log_error_errno(r, "Failed to build the request: %m");
        r = sd_bus_call(bus, m, 0, &error, NULL);
        if (r < 0)
                log_error("cannot %s %s: %s", enable ? "enable" : "disable", unit,
                          error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        return r < 0 ? r : manager_reload(bus);
}

/* ActiveState of a unit, "inactive" for one systemd has not loaded. */
int manager_unit_state(sd_bus *bus, const char *unit, char **ret_state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        const char *p;
        int r;

        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", NULL, &reply, "s", unit);
        if (r < 0) {
                *ret_state = strdup("inactive");
                return *ret_state ? 0 : -ENOMEM;
        }
        r = sd_bus_message_read(reply, "o", &p);
        if (r < 0)
                return r;
        path = strdup(p);
        if (!path)
                return -ENOMEM;
        return sd_bus_get_property_string(bus, SD_DEST, path, SD_UNIT, "ActiveState", NULL, ret_state);
}
