/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-argv-internal.h"

/*
 * <iommu>: intel-iommu is a system device of q35's chipset (no PCI
 * address of its own), virtio-iommu-pci an ordinary PCI device placed by
 * the plan. The intel one comes before the devices it translates for, as
 * libvirt writes it.
 */

static int tristate_opt(char **dev, const char *name, DomainTristate v) {
        if (v == DOMAIN_TRISTATE_ABSENT)
                return 0;
        return qemu_argv_appendf(dev, "%s=%s", name, v == DOMAIN_TRISTATE_ON ? "on" : "off");
}

/* Whether the machine needs kernel-irqchip=split: interrupt remapping by
 * an emulated IOMMU needs the IOAPIC in QEMU, not in KVM. */
bool qemu_argv_iommu_needs_split_irqchip(const Domain *d) {
        return d->iommu && d->iommu->model == DOMAIN_IOMMU_INTEL &&
               d->iommu->driver.intremap == DOMAIN_TRISTATE_ON;
}

static int build_intel(QemuArgvBuilder *b, const DomainIommu *io) {
        const DomainIommuDriver *drv = &io->driver;
        _cleanup_free_ char *dev = NULL;
        int r;

        if (!b->q35)
                return qemu_argv_fail(b, "<iommu model='intel'> needs a q35 machine type");
        if (io->info.address)
                return qemu_argv_fail(b,
                                      "<iommu model='intel'> is part of the chipset and takes no <address>");
        if (drv->aw_bits && drv->aw_bits != 39 && drv->aw_bits != 48)
                return qemu_argv_fail(b, "<iommu> aw_bits must be 39 or 48, not %u", drv->aw_bits);
        r = qemu_argv_appendf(&dev, "intel-iommu,id=iommu0");
        if (r >= 0)
                r = tristate_opt(&dev, "intremap", drv->intremap);
        if (r >= 0)
                r = tristate_opt(&dev, "caching-mode", drv->caching_mode);
        if (r >= 0)
                r = tristate_opt(&dev, "eim", drv->eim);
        if (r >= 0)
                r = tristate_opt(&dev, "device-iotlb", drv->iotlb);
        if (r >= 0 && drv->aw_bits)
                r = qemu_argv_appendf(&dev, "aw-bits=%u", drv->aw_bits);
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-device", "%s", dev);
}

int qemu_argv_build_iommu(QemuArgvBuilder *b) {
        const DomainIommu *io = b->d->iommu;

        if (!io)
                return 0;
        switch (io->model) {
        case DOMAIN_IOMMU_INTEL: return build_intel(b, io);
        case DOMAIN_IOMMU_VIRTIO:
                return qemu_argv_add_device(b, QEMU_PCI_IOMMU, 0, "virtio-iommu-pci,id=iommu0");
        default: return qemu_argv_fail(b, "<iommu model='smmuv3'> is an Arm IOMMU: vmunit runs x86 guests");
        }
}

/*
 * <vsock>: vhost-vsock-pci needs /dev/vhost-vsock open in QEMU. QEMU
 * opening it itself would need a device rule in the cgroup, a DAC and a
 * MAC grant on a host device node; the way that keeps the node untouched
 * is the supervisor opening it and passing vhostfd=, and picking a free
 * guest CID for auto='yes' as libvirt does. The file table has no entry
 * kind for a host character device yet (its labels must not be changed),
 * so the device is refused here, by name, rather than half-done.
 */
int qemu_argv_build_vsock(QemuArgvBuilder *b) {
        if (!b->d->vsock)
                return 0;
        return qemu_argv_fail(b, "<vsock> is not supported yet: vhost-vsock needs /dev/vhost-vsock opened "
                                 "by the supervisor and passed to QEMU, which vmunit does not do yet");
}
