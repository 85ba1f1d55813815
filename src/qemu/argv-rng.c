/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-argv-internal.h"

const char *qemu_virtio_pci_driver(const char *base, DomainVirtioModel model, char buf[static 64]) {
        const char *suffix = model == DOMAIN_VIRTIO_MODEL_TRANSITIONAL       ? "-transitional"
                             : model == DOMAIN_VIRTIO_MODEL_NON_TRANSITIONAL ? "-non-transitional"
                                                                             : "";

        snprintf(buf, 64, "%s-pci%s", base, suffix);
        return buf;
}

/* The backend is an -object the device names: rng-random reads the host
 * device (one of those every QEMU may open), rng-builtin asks the kernel
 * with getrandom(). */
static int build_one(QemuArgvBuilder *b, size_t i, const DomainRng *rng) {
        _cleanup_free_ char *dev = NULL, *device = NULL;
        char driver[64];
        int r;

        if (rng->backend.model == DOMAIN_RNG_BACKEND_RANDOM) {
                device = qemu_opt_escape(rng->backend.device);
                if (!device)
                        return -ENOMEM;
                r = qemu_argv_add(b, "-object", "rng-random,id=objrng%zu,filename=%s", i, device);
        } else
                r = qemu_argv_add(b, "-object", "rng-builtin,id=objrng%zu", i);
        if (r < 0)
                return r;
        r = qemu_argv_appendf(&dev, "%s,rng=objrng%zu,id=rng%zu",
                              qemu_virtio_pci_driver("virtio-rng", rng->model, driver), i, i);
        if (r >= 0 && rng->rate.bytes > 0)
                r = qemu_argv_appendf(&dev, "max-bytes=%u,period=%u", rng->rate.bytes,
                                      rng->rate.period ?: 1000);
        if (r >= 0)
                r = qemu_argv_virtio_options(&dev, &rng->virtio);
        if (r < 0)
                return r;
        return qemu_argv_add_device(b, QEMU_PCI_RNG, i, "%s", dev);
}

int qemu_argv_build_rngs(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->d->n_rngs; i++) {
                r = build_one(b, i, &b->d->rngs[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}
