/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-argv-internal.h"

#define PVPANIC_ISA_PORT 0x505U /* QEMU's and libvirt's default */

static int build_one(QemuArgvBuilder *b, size_t i, const DomainPanic *p) {
        const DomainAddress *a = p->info.address;

        switch (p->model) {
        case DOMAIN_PANIC_DEFAULT:
        case DOMAIN_PANIC_ISA:
                return qemu_argv_add(b, "-device", "pvpanic,ioport=%u",
                                     a && a->iobase.set ? (unsigned) a->iobase.value : PVPANIC_ISA_PORT);
        case DOMAIN_PANIC_PVPANIC: return qemu_argv_add_device(b, QEMU_PCI_PANIC, i, "%s", "pvpanic-pci");
        case DOMAIN_PANIC_HYPERV:
                /* A CPU property (hv-crash), set with the CPU's. */
                return 0;
        }
        return qemu_argv_fail(b, "unsupported panic model");
}

int qemu_argv_build_panic(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->d->n_panics; i++) {
                r = build_one(b, i, &b->d->panics[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}
