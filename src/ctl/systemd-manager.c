/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Talking to systemd's manager over D-Bus, so that `vmctl start` and
 * `systemctl start` are the same operation and always agree.
 */
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "ctl.h"
#include "log.h"
#include "systemd-manager.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"

int manager_open(const Ctl *ctl, sd_bus **ret) {
        return ctl_bus_open(ctl, ret);
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

/* ListUnitsByPatterns(states=[], patterns=[pattern]): every unit systemd
 * has loaded that matches, whatever its state — what `systemctl
 * list-units PATTERN --all` shows. Fills two parallel vectors. */
int manager_list_units(sd_bus *bus, const char *pattern, Strv *ret_units, Strv *ret_active_states) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *unit, *active;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]){ NULL });
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]){ (char *) pattern, NULL });
        if (r < 0)
                return log_error_errno(r, "Failed to build the request: %m");
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                log_error("cannot list units %s: %s", pattern, error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r >= 0) {
                r = sd_bus_message_read(reply, "(ssssssouso)", &unit, NULL, NULL, &active, NULL, NULL, NULL,
                                        NULL, NULL, NULL);
                if (r <= 0)
                        break;
                if (strv_push(ret_units, unit) < 0 || strv_push(ret_active_states, active) < 0)
                        r = -ENOMEM;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to read the unit list from systemd: %m");
        return 0;
}

/* Whether unit has a drop-in named dropin (1/0): LoadUnit, then its
 * DropInPaths. The generator gives each defined domain's unit one, so
 * this tells, even on a remote host, whether a domain is defined. */
int manager_unit_has_dropin(sd_bus *bus, const char *unit, const char *dropin) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL, *suffix = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char **paths = NULL;
        const char *p;
        int r, found = 0;

        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &error, &reply, "s", unit);
        if (r < 0) {
                log_error("cannot load %s: %s", unit, error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &p);
        if (r >= 0 && (!(path = strdup(p)) || asprintf(&suffix, "/%s.d/%s", unit, dropin) < 0))
                r = -ENOMEM;
        if (r >= 0)
                r = sd_bus_get_property_strv(bus, SD_DEST, path, SD_UNIT, "DropInPaths", &error, &paths);
        if (r < 0) {
                log_error("cannot read the drop-ins of %s: %s", unit, error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        for (char **i = paths; i && *i; i++) {
                size_t n = strlen(*i), m = strlen(suffix);
                if (n >= m && streq(*i + n - m, suffix))
                        found = 1;
                free(*i);
        }
        free(paths);
        return found;
}
