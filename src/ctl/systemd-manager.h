/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* vmctl's side of systemd's D-Bus API (org.freedesktop.systemd1). Each
 * function logs its own one-line error and returns -errno. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "strv.h"

typedef struct Ctl Ctl;
/* The system bus of this host, or of the -H host (ctl-bus.c). */
int manager_open(const Ctl *ctl, sd_bus **ret);
/* StartUnit / StopUnit / RestartUnit (method) with mode "replace"; waits for
 * the job and stores its result string ("done" on success) in *ret_result. */
int manager_unit_job(sd_bus *bus, const char *method, const char *unit, char **ret_result);
int manager_kill_unit(sd_bus *bus, const char *unit, const char *who, int sig);
int manager_reload(sd_bus *bus);
/* EnableUnitFiles / DisableUnitFiles, then daemon-reload, like systemctl. */
int manager_enable(sd_bus *bus, const char *unit, bool enable);
/* ActiveState ("active", "activating", "failed", ...; "inactive" if unknown). */
int manager_unit_state(sd_bus *bus, const char *unit, char **ret_state);
/* Loaded units matching pattern (any state), with their ActiveState, in
 * two parallel vectors the caller owns. */
int manager_list_units(sd_bus *bus, const char *pattern, Strv *ret_units, Strv *ret_active_states);
/* 1 if unit (loaded on demand) has a drop-in file named dropin, else 0. */
int manager_unit_has_dropin(sd_bus *bus, const char *unit, const char *dropin);
