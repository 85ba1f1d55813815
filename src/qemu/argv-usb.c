/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-argv-internal.h"

/* USB devices of SPICE desktops: hubs, redirected devices (a spicevmc
 * chardev each) and the smartcard reader. All sit on the first USB
 * controller (usb.0), which the builder adds when the XML lacks it. */

static int build_hubs(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->d->n_hubs; i++) {
                r = qemu_argv_add(b, "-device", "usb-hub,id=hub%zu,bus=usb.0", i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_redirdevs(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->d->n_redirdevs; i++) {
                r = qemu_argv_add(b, "-chardev", "spicevmc,id=charredir%zu,name=usbredir", i);
                if (r >= 0)
                        r = qemu_argv_add(b, "-device",
                                          "usb-redir,chardev=charredir%zu,id=redir%zu,bus=usb.0", i, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* libvirt's layout: a CCID controller (usb-ccid) and the card behind it,
 * fed by the client through a spicevmc chardev named "smartcard". */
static int build_smartcards(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->d->n_smartcards; i++) {
                r = qemu_argv_add(b, "-device", "usb-ccid,id=ccid%zu,bus=usb.0", i);
                if (r >= 0)
                        r = qemu_argv_add(b, "-chardev", "spicevmc,id=charsmartcard%zu,name=smartcard", i);
                if (r >= 0)
                        r = qemu_argv_add(
                                b, "-device",
                                "ccid-card-passthru,chardev=charsmartcard%zu,id=smartcard%zu,bus=ccid%zu.0",
                                i, i, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool qemu_argv_has_spice(const Domain *d) {
        for (size_t i = 0; i < d->n_graphics; i++)
                if (d->graphics[i].type == DOMAIN_GRAPHICS_SPICE)
                        return true;
        return false;
}

int qemu_argv_build_usb_devices(QemuArgvBuilder *b) {
        int r;

        if ((b->d->n_redirdevs > 0 || b->d->n_smartcards > 0) && !qemu_argv_has_spice(b->d))
                return qemu_argv_fail(b, "spicevmc redirdev and smartcard devices need SPICE graphics");
        r = build_hubs(b);
        if (r >= 0)
                r = build_redirdevs(b);
        if (r >= 0)
                r = build_smartcards(b);
        return r;
}
