/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-argv-internal.h"

static const char *const actions[] = {
        [DOMAIN_WATCHDOG_ACTION_DEFAULT] = "reset",         [DOMAIN_WATCHDOG_ACTION_RESET] = "reset",
        [DOMAIN_WATCHDOG_ACTION_SHUTDOWN] = "shutdown",     [DOMAIN_WATCHDOG_ACTION_POWEROFF] = "poweroff",
        [DOMAIN_WATCHDOG_ACTION_PAUSE] = "pause",           [DOMAIN_WATCHDOG_ACTION_NONE] = "none",
        [DOMAIN_WATCHDOG_ACTION_INJECT_NMI] = "inject-nmi",
};

/* itco is q35's ICH9 TCO timer: there is no device to add, only the
 * chipset's "no reboot" strap to release, as libvirt does. */
static int build_one(QemuArgvBuilder *b, size_t i, const DomainWatchdog *w) {
        switch (w->model) {
        case DOMAIN_WATCHDOG_I6300ESB:
                return qemu_argv_add_device(b, QEMU_PCI_WATCHDOG, i, "i6300esb,id=watchdog%zu", i);
        case DOMAIN_WATCHDOG_IB700: return qemu_argv_add(b, "-device", "ib700,id=watchdog%zu", i);
        case DOMAIN_WATCHDOG_ITCO:
                if (!b->q35)
                        return qemu_argv_fail(b, "the itco watchdog needs a q35 machine");
                return qemu_argv_add(b, "-global", "%s", "ICH9-LPC.noreboot=off");
        }
        return qemu_argv_fail(b, "unsupported watchdog model");
}

int qemu_argv_build_watchdogs(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->d->n_watchdogs; i++) {
                r = build_one(b, i, &b->d->watchdogs[i]);
                if (r < 0)
                        return r;
        }
        if (b->d->n_watchdogs == 0)
                return 0;
        /* dump is refused when the XML is read: no QEMU action of its own. */
        if ((size_t) b->d->watchdogs[0].action >= ELEMENTSOF(actions) || !actions[b->d->watchdogs[0].action])
                return qemu_argv_fail(b, "watchdog action='dump' is not supported");
        return qemu_argv_add(b, "-action", "watchdog=%s", actions[b->d->watchdogs[0].action]);
}
