/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-argv-internal.h"

/* <pm> and the <features> that are devices or chipset settings rather
 * than -machine options. */

/* The ACPI sleep states are properties of the chipset's power
 * management function: PIIX4 on pc, the ICH9 LPC bridge on q35. */
static int build_pm_state(QemuArgvBuilder *b, const char *state, DomainTristate enabled) {
        if (enabled == DOMAIN_TRISTATE_ABSENT)
                return 0;
        return qemu_argv_add(b, "-global", "%s.disable_%s=%d", b->q35 ? "ICH9-LPC" : "PIIX4_PM", state,
                             enabled == DOMAIN_TRISTATE_OFF);
}

int qemu_argv_build_features(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        int r;

        r = build_pm_state(b, "s3", d->pm.suspend_to_mem);
        if (r >= 0)
                r = build_pm_state(b, "s4", d->pm.suspend_to_disk);
        if (r >= 0 && d->features.vmcoreinfo == DOMAIN_TRISTATE_ON)
                r = qemu_argv_add(b, "-device", "%s", "vmcoreinfo");
        return r;
}
