/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci-address.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/*
 * Expected layouts are worked out by hand from libvirt's
 * qemuDomainAssignPCIAddresses() (two passes), qemuDomainAssignDevicePCISlots()
 * (class order), qemuDomainValidateDevicePCISlotsPIIX3/Q35() (fixed slots)
 * and virDomainPCIAddressGetNextAddr()/SetGrow() (search and growth), and
 * match what libvirt writes for virt-install guests.
 */

#define NET(w) \
        { .what = w, .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE }
#define DISK(w) \
        { .what = w, .cls = PCI_CLASS_DISK, .flags = PCI_DEV_PCIE }
#define BALLOON \
        { .what = "memballoon", .cls = PCI_CLASS_BALLOON, .flags = PCI_DEV_PCIE }
#define RNG \
        { .what = "rng 0", .cls = PCI_CLASS_RNG, .flags = PCI_DEV_PCIE }
#define VSERIAL                                                                                  \
        {                                                                                        \
                .what = "controller virtio-serial 0", .cls = PCI_CLASS_CONTROLLER_VIRTIO_SERIAL, \
                .flags = PCI_DEV_PCIE                                                            \
        }
#define USB(m, i)                                                                                          \
        {                                                                                                  \
                .what = "controller usb " #i " " m, .cls = PCI_CLASS_CONTROLLER_USB, .flags = PCI_DEV_PCI, \
                .model = m, .index = i                                                                     \
        }
#define XHCI                                                                                        \
        {                                                                                           \
                .what = "controller usb 0", .cls = PCI_CLASS_CONTROLLER_USB, .flags = PCI_DEV_PCIE, \
                .model = "qemu-xhci"                                                                \
        }
#define VIDEO(w, f) \
        { .what = w, .cls = PCI_CLASS_VIDEO, .flags = f }
#define AT(b, s, f) \
        { .bus = b, .slot = s, .function = f, .set = true }

static void assert_addr(const PciDevice *d, unsigned bus, unsigned slot, unsigned fn) {
        cr_assert(d->addr.set, "%s: no address", d->what);
        cr_assert(d->addr.bus == bus && d->addr.slot == slot && d->addr.function == fn,
                  "%s: %02x:%02x.%x, expected %02x:%02x.%x", d->what, d->addr.bus, d->addr.slot,
                  d->addr.function, bus, slot, fn);
}

static void assert_ctrl(const PciPlan *p, unsigned index, PciControllerModel m, unsigned bus, unsigned slot,
                        unsigned fn) {
        cr_assert_lt(index, p->n_controllers);
        const PciController *c = &p->controllers[index];
        cr_assert_eq(c->index, index);
        cr_assert_eq(c->model, m, "controller %u is %s", index, pci_controller_model_to_string(c->model));
        cr_assert(c->addr.set);
        cr_assert(c->addr.bus == bus && c->addr.slot == slot && c->addr.function == fn,
                  "controller %u at %02x:%02x.%x", index, c->addr.bus, c->addr.slot, c->addr.function);
}

static int plan(bool q35, const PciController *c, size_t nc, PciDevice *d, size_t nd, unsigned spare,
                PciPlan *p, char **err) {
        *err = NULL;
        int r = pci_plan(q35, c, nc, d, nd, spare, p, err);
        if (r < 0)
                cr_assert_not_null(*err);
        return r;
}

#define PLAN_OK(q35, c, nc, d, spare, p)                                    \
        do {                                                                \
                char *_e = NULL;                                            \
                int _r = plan(q35, c, nc, d, ELEMENTSOF(d), spare, p, &_e); \
                cr_assert_eq(_r, 0, "pci_plan: %d %s", _r, _e ? _e : "");   \
                free(_e);                                                   \
        } while (0)

static void expect_error(bool q35, const PciController *c, size_t nc, PciDevice *d, size_t nd, int code,
                         const char *msg) {
        PciPlan p = { 0 };
        char *err = NULL;
        int r = plan(q35, c, nc, d, nd, 0, &p, &err);
        cr_assert_eq(r, code, "pci_plan: %d (%s)", r, err ? err : "");
        cr_assert(strstr(err, msg), "message \"%s\" lacks \"%s\"", err, msg);
        cr_assert_null(p.controllers);
        free(err);
}

/* virt-install BIOS guest on pc: PIIX3 at slot 1 (USB at 1.2), the
 * primary video at 2, then net, controllers, disks, balloon from 3. */
Test(pci_address, i440fx_virt_install) {
        PciDevice d[] = { DISK("disk vda"),
                          NET("interface 0"),
                          USB("piix3-uhci", 0),
                          VSERIAL,
                          VIDEO("video 0", PCI_DEV_PCI),
                          BALLOON };
        PciPlan p = { 0 };

        PLAN_OK(false, NULL, 0, d, 0, &p);
        assert_addr(&d[4], 0, 2, 0);
        assert_addr(&d[1], 0, 3, 0);
        assert_addr(&d[2], 0, 1, 2);
        assert_addr(&d[3], 0, 4, 0);
        assert_addr(&d[0], 0, 5, 0);
        assert_addr(&d[5], 0, 6, 0);
        /* Only pci-root: pc keeps its spare slot on pci-root itself. */
        cr_assert_eq(p.n_controllers, 1);
        cr_assert_eq(p.controllers[0].model, PCI_MODEL_PCI_ROOT);
        cr_assert_not(d[2].addr.multifunction);
        pci_plan_done(&p);
}

/* A sound card comes between net and the controllers (the classic
 * libvirt layout: net 3, ich6 4, virtio-serial 5, disk 6, balloon 7). */
Test(pci_address, i440fx_with_sound) {
        PciDevice d[] = {
                DISK("disk vda"),
                NET("interface 0"),
                VSERIAL,
                VIDEO("video 0", PCI_DEV_PCI),
                BALLOON,
                { .what = "sound 0", .cls = PCI_CLASS_SOUND, .flags = PCI_DEV_PCI, .model = "ich6" }
        };
        PciPlan p = { 0 };

        PLAN_OK(false, NULL, 0, d, 0, &p);
        assert_addr(&d[3], 0, 2, 0);
        assert_addr(&d[1], 0, 3, 0);
        assert_addr(&d[5], 0, 4, 0);
        assert_addr(&d[2], 0, 5, 0);
        assert_addr(&d[0], 0, 6, 0);
        assert_addr(&d[4], 0, 7, 0);
        pci_plan_done(&p);
}

/* Filesystems come first of all (qemuDomainAssignDevicePCISlots()). */
Test(pci_address, i440fx_fs_before_net) {
        PciDevice d[] = { NET("interface 0"),
                          { .what = "filesystem 0", .cls = PCI_CLASS_FS, .flags = PCI_DEV_PCIE },
                          VIDEO("video 0", PCI_DEV_PCI) };
        PciPlan p = { 0 };

        PLAN_OK(false, NULL, 0, d, 0, &p);
        assert_addr(&d[1], 0, 3, 0);
        assert_addr(&d[0], 0, 4, 0);
        pci_plan_done(&p);
}

/* virt-install UEFI guest on q35 with no PCI controllers in the XML:
 * every PCIe device gets its own pcie-root-port (index = bus), the ports
 * are packed on 00:02.x in index order with port 0x10 + n and chassis n,
 * and libvirt adds one more empty port for hotplug. Video at 00:01.0. */
Test(pci_address, q35_virt_install) {
        PciDevice d[] = { DISK("disk vda"),
                          NET("interface 0"),
                          XHCI,
                          VSERIAL,
                          VIDEO("video 0", PCI_DEV_PCIE),
                          BALLOON,
                          RNG };
        PciPlan p = { 0 };

        PLAN_OK(true, NULL, 0, d, 0, &p);
        assert_addr(&d[4], 0, 1, 0);
        assert_addr(&d[1], 1, 0, 0);
        assert_addr(&d[2], 2, 0, 0);
        assert_addr(&d[3], 3, 0, 0);
        assert_addr(&d[0], 4, 0, 0);
        assert_addr(&d[5], 5, 0, 0);
        assert_addr(&d[6], 6, 0, 0);
        cr_assert_eq(p.n_controllers, 8);
        cr_assert_eq(p.controllers[0].model, PCI_MODEL_PCIE_ROOT);
        for (unsigned i = 1; i <= 7; i++) {
                assert_ctrl(&p, i, PCI_MODEL_PCIE_ROOT_PORT, 0, 2, i - 1);
                cr_assert_eq(p.controllers[i].chassis, i);
                cr_assert_eq(p.controllers[i].port, 0x10 + i - 1);
                cr_assert(p.controllers[i].added);
        }
        cr_assert(p.controllers[1].addr.multifunction);
        cr_assert_not(p.controllers[2].addr.multifunction);
        pci_plan_done(&p);
}

/* Nine ports fill 00:02.0-7 and start 00:03.0; spare ports come on top of
 * libvirt's one. */
Test(pci_address, q35_spare_root_ports) {
        PciDevice d[] = { NET("interface 0"), DISK("disk vda"), BALLOON, VIDEO("video 0", PCI_DEV_PCIE) };
        PciPlan p = { 0 };

        PLAN_OK(true, NULL, 0, d, 5, &p);
        cr_assert_eq(p.n_controllers, 1 + 3 + 1 + 5);
        assert_ctrl(&p, 8, PCI_MODEL_PCIE_ROOT_PORT, 0, 2, 7);
        assert_ctrl(&p, 9, PCI_MODEL_PCIE_ROOT_PORT, 0, 3, 0);
        cr_assert_eq(p.controllers[9].port, 0x18);
        cr_assert_not(p.controllers[9].addr.multifunction); /* alone in its slot */
        pci_plan_done(&p);
}

/* Given root ports without addresses: no extra hotplug port (libvirt
 * only adds it when it chose the controllers), devices fill the given
 * ports in order, the empty ones stay empty. Headless: no primary video
 * holds 00:01.0, so the ports start there. */
Test(pci_address, q35_given_root_ports) {
        PciController c[] = {
                { .model = PCI_MODEL_PCIE_ROOT },
                { .model = PCI_MODEL_PCIE_ROOT_PORT, .index = 1 },
                { .model = PCI_MODEL_PCIE_ROOT_PORT, .index = 2 },
                { .model = PCI_MODEL_PCIE_ROOT_PORT, .index = 3 },
                { .model = PCI_MODEL_PCIE_ROOT_PORT, .index = 4, .chassis = 9, .has_chassis = true }
        };
        PciDevice d[] = { NET("interface 0"), DISK("disk vda") };
        PciPlan p = { 0 };

        PLAN_OK(true, c, ELEMENTSOF(c), d, 0, &p);
        cr_assert_eq(p.n_controllers, 5);
        assert_ctrl(&p, 4, PCI_MODEL_PCIE_ROOT_PORT, 0, 1, 3);
        cr_assert_eq(p.controllers[4].port, 0x0b);
        cr_assert_eq(p.controllers[4].chassis, 9);
        cr_assert_not(p.controllers[4].added);
        assert_addr(&d[0], 1, 0, 0);
        assert_addr(&d[1], 2, 0, 0);
        pci_plan_done(&p);
}

/* A conventional PCI device on q35: libvirt adds a pcie-root-port with a
 * pcie-to-pci-bridge (virDomainPCIAddressSetGrow()). In the second pass
 * the bridge is placed before the devices and so lands in the first root
 * port; the e1000 sits in bridge slot 1, the virtio disk in port 3, and
 * port 4 is the spare. */
Test(pci_address, q35_conventional_device) {
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCI, .model = "e1000" },
                DISK("disk vda"),
                VIDEO("video 0", PCI_DEV_PCIE)
        };
        PciPlan p = { 0 };

        PLAN_OK(true, NULL, 0, d, 0, &p);
        cr_assert_eq(p.n_controllers, 5);
        assert_ctrl(&p, 1, PCI_MODEL_PCIE_ROOT_PORT, 0, 2, 0);
        assert_ctrl(&p, 2, PCI_MODEL_PCIE_TO_PCI_BRIDGE, 1, 0, 0);
        assert_ctrl(&p, 3, PCI_MODEL_PCIE_ROOT_PORT, 0, 2, 1);
        assert_ctrl(&p, 4, PCI_MODEL_PCIE_ROOT_PORT, 0, 2, 2);
        assert_addr(&d[0], 2, 1, 0);
        assert_addr(&d[1], 3, 0, 0);
        pci_plan_done(&p);
}

/* ICH9 board places: UHCI companions at 00:1d (EHCI function 7), ICH9
 * audio at 00:1b, the first SATA at 00:1f.2. */
Test(pci_address, q35_ich9_usb_sound_sata) {
        PciDevice d[] = {
                USB("ich9-ehci1", 0),
                USB("ich9-uhci1", 0),
                USB("ich9-uhci2", 0),
                USB("ich9-uhci3", 0),
                { .what = "sound 0", .cls = PCI_CLASS_SOUND, .flags = PCI_DEV_PCI, .model = "ich9" },
                { .what = "controller sata 0", .cls = PCI_CLASS_CONTROLLER_SATA, .flags = PCI_DEV_PCI }
        };
        PciPlan p = { 0 };

        PLAN_OK(true, NULL, 0, d, 0, &p);
        assert_addr(&d[0], 0, 0x1d, 7);
        assert_addr(&d[1], 0, 0x1d, 0);
        assert_addr(&d[2], 0, 0x1d, 1);
        assert_addr(&d[3], 0, 0x1d, 2);
        cr_assert(d[1].addr.multifunction);
        cr_assert_not(d[0].addr.multifunction);
        assert_addr(&d[4], 0, 0x1b, 0);
        assert_addr(&d[5], 0, 0x1f, 2);
        cr_assert_eq(p.n_controllers, 1);
        pci_plan_done(&p);
}

/* On pc the companions take the first free slot together. */
Test(pci_address, i440fx_usb_companions) {
        PciDevice d[] = { NET("interface 0"),           USB("ich9-ehci1", 0), USB("ich9-uhci1", 0),
                          USB("ich9-uhci2", 0),         USB("ich9-uhci3", 0), DISK("disk vda"),
                          VIDEO("video 0", PCI_DEV_PCI) };
        PciPlan p = { 0 };

        PLAN_OK(false, NULL, 0, d, 0, &p);
        assert_addr(&d[0], 0, 3, 0);
        assert_addr(&d[1], 0, 4, 7);
        assert_addr(&d[2], 0, 4, 0);
        assert_addr(&d[3], 0, 4, 1);
        assert_addr(&d[4], 0, 4, 2);
        assert_addr(&d[5], 0, 5, 0);
        cr_assert(d[2].addr.multifunction);
        pci_plan_done(&p);
}

/* 30 devices and a video on pc: the dry run keeps one slot spare, so a pci-bridge is
 * added; in the real pass it takes 00:03.0 (controllers first), devices
 * fill 4-31 and continue on the bridge from slot 1. */
Test(pci_address, i440fx_pci_bridge_added) {
        PciDevice d[31];
        char names[30][16];
        PciPlan p = { 0 };

        d[30] = (PciDevice) VIDEO("video 0", PCI_DEV_PCI);
        for (size_t i = 0; i < 30; i++) {
                snprintf(names[i], sizeof(names[i]), "interface %zu", i);
                d[i] = (PciDevice) NET(names[i]);
        }
        PLAN_OK(false, NULL, 0, d, 0, &p);
        cr_assert_eq(p.n_controllers, 2);
        assert_ctrl(&p, 1, PCI_MODEL_PCI_BRIDGE, 0, 3, 0);
        cr_assert_eq(p.controllers[1].chassis, 1);
        assert_addr(&d[0], 0, 4, 0);
        assert_addr(&d[27], 0, 31, 0);
        assert_addr(&d[28], 1, 1, 0);
        assert_addr(&d[29], 1, 2, 0);
        pci_plan_done(&p);
}

/* Given addresses are kept; the primary video moves on when its slot is
 * taken (qemuDomainValidateDevicePCISlotsPIIX3()). */
Test(pci_address, given_addresses_honoured) {
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE, .addr = AT(0, 2, 0) },
                DISK("disk vda"),
                VIDEO("video 0", PCI_DEV_PCI),
                { .what = "disk vdb", .cls = PCI_CLASS_DISK, .flags = PCI_DEV_PCIE, .addr = AT(0, 0x10, 0) }
        };
        PciPlan p = { 0 };

        PLAN_OK(false, NULL, 0, d, 0, &p);
        assert_addr(&d[0], 0, 2, 0);
        assert_addr(&d[2], 0, 3, 0);
        assert_addr(&d[1], 0, 4, 0);
        assert_addr(&d[3], 0, 0x10, 0);
        pci_plan_done(&p);
}

/* A libvirt-exported q35 guest: every controller and address given. */
Test(pci_address, given_q35_layout) {
        PciController c[] = { { .model = PCI_MODEL_PCIE_ROOT },
                              { .model = PCI_MODEL_PCIE_ROOT_PORT, .index = 1, .addr = AT(0, 2, 0) },
                              { .model = PCI_MODEL_PCIE_ROOT_PORT, .index = 2, .addr = AT(0, 2, 1) },
                              { .model = PCI_MODEL_PCIE_TO_PCI_BRIDGE, .index = 3, .addr = AT(2, 0, 0) } };
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE, .addr = AT(1, 0, 0) },
                { .what = "interface 1", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCI, .addr = AT(3, 5, 0) },
                /* given PCIe endpoint on the conventional bridge: allowed from config */
                { .what = "disk vda", .cls = PCI_CLASS_DISK, .flags = PCI_DEV_PCIE, .addr = AT(3, 6, 0) },
                VIDEO("video 0", PCI_DEV_PCIE)
        };
        PciPlan p = { 0 };

        PLAN_OK(true, c, ELEMENTSOF(c), d, 0, &p);
        cr_assert_eq(p.n_controllers, 4);
        assert_addr(&d[1], 3, 5, 0);
        assert_addr(&d[2], 3, 6, 0);
        assert_addr(&d[3], 0, 1, 0);
        cr_assert_eq(p.controllers[2].port, 0x11);
        pci_plan_done(&p);
}

/* The older q35 layout: a dmi-to-pci-bridge without address goes to
 * 00:1e.0 (qemuDomainValidateDevicePCISlotsQ35()), a pci-bridge behind it
 * at 01:00.0 (slot 0 is usable on a DMI bridge), conventional devices on
 * the pci-bridge from slot 1. */
Test(pci_address, q35_dmi_to_pci_bridge) {
        PciController c[] = { { .model = PCI_MODEL_PCIE_ROOT },
                              { .model = PCI_MODEL_DMI_TO_PCI_BRIDGE, .index = 1 },
                              { .model = PCI_MODEL_PCI_BRIDGE, .index = 2 } };
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCI, .model = "e1000" },
                VIDEO("video 0", PCI_DEV_PCI)
        };
        PciPlan p = { 0 };

        PLAN_OK(true, c, ELEMENTSOF(c), d, 0, &p);
        cr_assert_eq(p.n_controllers, 3);
        assert_ctrl(&p, 1, PCI_MODEL_DMI_TO_PCI_BRIDGE, 0, 0x1e, 0);
        assert_ctrl(&p, 2, PCI_MODEL_PCI_BRIDGE, 1, 0, 0);
        cr_assert_eq(p.controllers[2].chassis, 2);
        assert_addr(&d[1], 0, 1, 0);
        assert_addr(&d[0], 2, 1, 0);
        pci_plan_done(&p);
}

/* A lone ich9-ehci1 sits at function 7 of an otherwise empty slot, as
 * libvirt places it; only a given address must not leave function 0
 * empty. */
Test(pci_address, lone_ehci) {
        PciDevice d[] = { USB("ich9-ehci1", 0), VIDEO("video 0", PCI_DEV_PCI) };
        PciPlan p = { 0 };

        PLAN_OK(false, NULL, 0, d, 0, &p);
        assert_addr(&d[0], 0, 3, 7);
        pci_plan_done(&p);
}

Test(pci_address, given_multifunction) {
        PciDevice d[] = {
                { .what = "disk vda", .cls = PCI_CLASS_DISK, .flags = PCI_DEV_PCIE, .addr = AT(0, 5, 0) },
                { .what = "disk vdb", .cls = PCI_CLASS_DISK, .flags = PCI_DEV_PCIE, .addr = AT(0, 5, 1) }
        };
        PciPlan p = { 0 };

        PLAN_OK(false, NULL, 0, d, 0, &p);
        cr_assert(d[0].addr.multifunction);
        cr_assert_not(d[1].addr.multifunction);
        pci_plan_done(&p);
}

/* Devices that do not use PCI are left alone, and a non-PCI first video
 * (ramfb) means no primary video slot, as libvirt's videos[0] check. */
Test(pci_address, non_pci_devices_ignored) {
        PciDevice d[] = { VIDEO("video 0", 0), VIDEO("video 1", PCI_DEV_PCI), NET("interface 0") };
        PciPlan p = { 0 };

        PLAN_OK(false, NULL, 0, d, 0, &p);
        cr_assert_not(d[0].addr.set);
        assert_addr(&d[2], 0, 2, 0);
        assert_addr(&d[1], 0, 3, 0);
        pci_plan_done(&p);
}

Test(pci_address, gap_filled) {
        PciController c[] = { { .model = PCI_MODEL_PCI_ROOT },
                              { .model = PCI_MODEL_PCI_BRIDGE, .index = 2 } };
        PciDevice d[] = { NET("interface 0") };
        PciPlan p = { 0 };

        PLAN_OK(false, c, ELEMENTSOF(c), d, 0, &p);
        cr_assert_eq(p.n_controllers, 3);
        cr_assert(p.controllers[1].added);
        assert_ctrl(&p, 1, PCI_MODEL_PCI_BRIDGE, 0, 2, 0);
        assert_ctrl(&p, 2, PCI_MODEL_PCI_BRIDGE, 0, 3, 0);
        assert_addr(&d[0], 0, 4, 0);
        pci_plan_done(&p);
}

Test(pci_address, error_collision) {
        PciDevice d[] = {
                { .what = "video 0", .cls = PCI_CLASS_VIDEO, .flags = PCI_DEV_PCI, .addr = AT(0, 2, 0) },
                { .what = "interface 1", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE, .addr = AT(0, 2, 0) }
        };
        expect_error(false, NULL, 0, d, ELEMENTSOF(d), -EINVAL,
                     "interface 1: PCI address 0000:00:02.0 is already in use by video 0");
        cr_assert_eq(d[1].addr.slot, 2);
}

Test(pci_address, error_chipset_slot) {
        PciDevice d[] = { { .what = "interface 0",
                            .cls = PCI_CLASS_NET,
                            .flags = PCI_DEV_PCIE,
                            .addr = AT(0, 0x1f, 0) } };
        expect_error(true, NULL, 0, d, ELEMENTSOF(d), -EINVAL,
                     "interface 0: PCI address 0000:00:1f.0 is already in use by the ICH9 LPC bridge");
}

Test(pci_address, error_piix3_slot) {
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE, .addr = AT(0, 1, 3) }
        };
        expect_error(false, NULL, 0, d, ELEMENTSOF(d), -EINVAL,
                     "in use by the PIIX3 power management device");
}

Test(pci_address, error_slot_range) {
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE, .addr = AT(0, 0, 0) }
        };
        expect_error(false, NULL, 0, d, ELEMENTSOF(d), -EINVAL,
                     "interface 0: PCI address 0000:00:00.0: slot must be 0x01-0x1f");
        d[0].addr.slot = 32;
        expect_error(false, NULL, 0, d, ELEMENTSOF(d), -EINVAL, "slot must be 0x01-0x1f");
}

Test(pci_address, error_function_range) {
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE, .addr = AT(0, 5, 8) }
        };
        expect_error(false, NULL, 0, d, ELEMENTSOF(d), -EINVAL, "function must be 0-7");
}

Test(pci_address, error_no_bus) {
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE, .addr = AT(3, 0, 0) }
        };
        expect_error(true, NULL, 0, d, ELEMENTSOF(d), -EINVAL,
                     "interface 0: PCI address 0000:03:00.0: bus 3 has no controller");
}

Test(pci_address, error_domain) {
        PciDevice d[] = { { .what = "interface 0",
                            .cls = PCI_CLASS_NET,
                            .flags = PCI_DEV_PCIE,
                            .addr = { .domain = 1, .slot = 3, .set = true } } };
        expect_error(false, NULL, 0, d, ELEMENTSOF(d), -EINVAL, "only PCI domain 0");
}

Test(pci_address, error_root_port_slot) {
        PciController c[] = { { .model = PCI_MODEL_PCIE_ROOT },
                              { .model = PCI_MODEL_PCIE_ROOT_PORT, .index = 1 } };
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE, .addr = AT(1, 1, 0) }
        };
        expect_error(true, c, ELEMENTSOF(c), d, ELEMENTSOF(d), -EINVAL,
                     "slot must be 0x00-0x00 on pcie-root-port 1");
}

Test(pci_address, error_bus_type) {
        PciController c[] = {
                { .model = PCI_MODEL_PCIE_ROOT },
                { .model = PCI_MODEL_PCIE_ROOT_PORT, .index = 1 },
                { .model = PCI_MODEL_PCIE_SWITCH_UPSTREAM_PORT, .index = 2, .addr = AT(1, 0, 0) }
        };
        PciDevice d[] = {
                { .what = "interface 0", .cls = PCI_CLASS_NET, .flags = PCI_DEV_PCIE, .addr = AT(2, 0, 0) }
        };
        expect_error(true, c, ELEMENTSOF(c), d, ELEMENTSOF(d), -EINVAL,
                     "interface 0: PCI address 0000:02:00.0 does not fit the bus type "
                     "(pcie-switch-upstream-port 2)");
}

Test(pci_address, error_integrated_off_root) {
        PciController c[] = { { .model = PCI_MODEL_PCIE_ROOT },
                              { .model = PCI_MODEL_PCIE_ROOT_PORT, .index = 1 } };
        PciDevice d[] = { { .what = "iommu",
                            .cls = PCI_CLASS_IOMMU,
                            .flags = PCI_DEV_PCIE | PCI_DEV_INTEGRATED,
                            .addr = AT(1, 0, 0) } };
        expect_error(true, c, ELEMENTSOF(c), d, ELEMENTSOF(d), -EINVAL,
                     "must be an integrated device on bus 0");
}

Test(pci_address, error_hotplug_on_root) {
        PciDevice d[] = { { .what = "interface 0",
                            .cls = PCI_CLASS_NET,
                            .flags = PCI_DEV_PCIE | PCI_DEV_HOTPLUG,
                            .addr = AT(0, 3, 0) } };
        expect_error(true, NULL, 0, d, ELEMENTSOF(d), -EINVAL, "needs hotplug");
}

Test(pci_address, error_function_without_zero) {
        PciDevice d[] = {
                { .what = "disk vdb", .cls = PCI_CLASS_DISK, .flags = PCI_DEV_PCIE, .addr = AT(0, 5, 1) }
        };
        expect_error(false, NULL, 0, d, ELEMENTSOF(d), -EINVAL,
                     "disk vdb: PCI address 0000:00:05.1 needs a device at function 0 of its slot");
}

Test(pci_address, error_fixed_chipset_address) {
        PciDevice d[] = { { .what = "controller usb 0",
                            .cls = PCI_CLASS_CONTROLLER_USB,
                            .flags = PCI_DEV_PCI,
                            .model = "piix3-uhci",
                            .addr = AT(0, 5, 0) } };
        expect_error(false, NULL, 0, d, ELEMENTSOF(d), -EINVAL,
                     "controller usb 0: must have PCI address 0000:00:01.2");
}

Test(pci_address, error_controllers) {
        PciController dup[] = { { .model = PCI_MODEL_PCI_ROOT },
                                { .model = PCI_MODEL_PCI_BRIDGE, .index = 1 },
                                { .model = PCI_MODEL_PCI_BRIDGE, .index = 1 } };
        PciController wrong_root[] = { { .model = PCI_MODEL_PCIE_ROOT } };
        PciController expander[] = { { .model = PCI_MODEL_PCIE_ROOT },
                                     { .model = PCI_MODEL_PCIE_EXPANDER_BUS, .index = 1 } };
        PciController bridge_low[] = { { .model = PCI_MODEL_PCI_ROOT },
                                       { .model = PCI_MODEL_PCI_BRIDGE, .index = 1, .addr = AT(1, 1, 0) } };

        expect_error(false, dup, ELEMENTSOF(dup), NULL, 0, -EINVAL, "pci-bridge 1: index 1 is used twice");
        expect_error(false, wrong_root, ELEMENTSOF(wrong_root), NULL, 0, -EINVAL,
                     "the pc machine has pci-root");
        expect_error(true, expander, ELEMENTSOF(expander), NULL, 0, -EOPNOTSUPP,
                     "pcie-expander-bus 1: not supported");
        expect_error(false, bridge_low, ELEMENTSOF(bridge_low), NULL, 0, -EINVAL,
                     "pci-bridge 1: its index must be larger than its bus 0x01");
}

/* An integrated conventional device cannot go anywhere on q35. */
Test(pci_address, error_no_room) {
        PciDevice d[] = {
                { .what = "panic", .cls = PCI_CLASS_PANIC, .flags = PCI_DEV_PCI | PCI_DEV_INTEGRATED }
        };
        expect_error(true, NULL, 0, d, ELEMENTSOF(d), -EINVAL, "panic: ");
}

Test(pci_address, format) {
        char *s = NULL;
        PciAddress a = AT(0, 3, 0);

        cr_assert_eq(pci_format_device_address(false, &a, &s), 0);
        cr_assert_str_eq(s, "bus=pci.0,addr=0x3");
        free(s);
        a = (PciAddress) AT(0, 0x1d, 7);
        cr_assert_eq(pci_format_device_address(true, &a, &s), 0);
        cr_assert_str_eq(s, "bus=pcie.0,addr=0x1d.0x7");
        free(s);
        a = (PciAddress) AT(4, 0, 0);
        a.multifunction = true;
        cr_assert_eq(pci_format_device_address(true, &a, &s), 0);
        cr_assert_str_eq(s, "bus=pci.4,addr=0x0,multifunction=on");
        free(s);
        cr_assert_str_eq(pci_controller_model_to_string(PCI_MODEL_PCIE_TO_PCI_BRIDGE), "pcie-to-pci-bridge");
        cr_assert_null(pci_controller_model_to_string(_PCI_MODEL_MAX));
}
