/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place vmctl connects to a bus: the local system bus, or with
 * -H [USER@]HOST the remote host's system bus through sd-bus's SSH
 * transport (`ssh HOST systemd-stdio-bridge`, as `systemctl -H` does), so
 * every command that talks D-Bus works remotely the same way.
 */
#include <systemd/sd-bus.h>

#include "ctl.h"
#include "log.h"

int ctl_bus_open(const Ctl *ctl, sd_bus **ret) {
        int r;

        if (ctl->host) {
                r = sd_bus_open_system_remote(ret, ctl->host);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the system bus of %s over SSH: %m",
                                               ctl->host);
                return 0;
        }
        r = sd_bus_open_system(ret);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        return 0;
}
