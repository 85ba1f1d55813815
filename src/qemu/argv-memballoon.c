/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-argv-internal.h"

/* The supervisor sets the stats period at /machine/peripheral/balloon0. */
static const char qemu_balloon_id[] = "balloon0";

static const char *balloon_driver(DomainMemballoonModel model) {
        switch (model) {
        case DOMAIN_MEMBALLOON_VIRTIO_TRANSITIONAL: return "virtio-balloon-pci-transitional";
        case DOMAIN_MEMBALLOON_VIRTIO_NON_TRANSITIONAL: return "virtio-balloon-pci-non-transitional";
        default: return "virtio-balloon-pci";
        }
}

/* No <memballoon> means a virtio balloon, as in libvirt; model='none'
 * turns it off. */
int qemu_argv_build_memballoon(QemuArgvBuilder *b) {
        const DomainMemballoon *m = b->d->memballoon;
        _cleanup_free_ char *dev = NULL;
        int r;

        if (m && m->model == DOMAIN_MEMBALLOON_NONE)
                return 0;
        r = qemu_argv_appendf(&dev, "%s,id=%s", balloon_driver(m ? m->model : DOMAIN_MEMBALLOON_VIRTIO),
                              qemu_balloon_id);
        if (r >= 0 && m && m->autodeflate)
                r = qemu_argv_appendf(&dev, "deflate-on-oom=%s",
                                      m->autodeflate == DOMAIN_TRISTATE_ON ? "on" : "off");
        if (r >= 0 && m && m->free_page_reporting)
                r = qemu_argv_appendf(&dev, "free-page-reporting=%s",
                                      m->free_page_reporting == DOMAIN_TRISTATE_ON ? "on" : "off");
        if (r >= 0 && m)
                r = qemu_argv_virtio_options(&dev, &m->virtio);
        if (r < 0)
                return r;
        return qemu_argv_add_device(b, QEMU_PCI_BALLOON, 0, "%s", dev);
}
