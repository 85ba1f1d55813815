/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest PCI addresses on the command line: every PCI device gets the
 * "bus=...,addr=..." libvirt would give it (pci-address.c replays
 * libvirt's assignment), given <address type='pci'> elements are kept,
 * and the pcie-root-ports and bridges the plan needs come first.
 *
 * Connect flags follow libvirt's qemuDomainDeviceCalculatePCIConnectFlags():
 * virtio devices are PCIe endpoints on q35 (libvirt's non-transitional
 * semantics; the planner treats them as conventional on pc), e1000 and
 * rtl8139 are conventional PCI, e1000e and the XHCI controllers PCIe.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qemu-argv-internal.h"
#include "qemu-disk.h"

/* Spare pcie-root-ports for hotplug on q35 when the domain lists none:
 * libvirt keeps one free port for a guest whose controllers it chose;
 * a few more leave room to attach NICs and disks later without a
 * restart, at the cost of a few bus numbers (each port takes one of
 * 256). A domain that lists its own root ports chose its layout; it
 * gets only libvirt's one. */
#define SPARE_ROOT_PORTS 4U

static const struct {
        const char *name;
        PciControllerModel model;
} controller_models[] = {
        { "pci-root", PCI_MODEL_PCI_ROOT },
        { "pcie-root", PCI_MODEL_PCIE_ROOT },
        { "pcie-root-port", PCI_MODEL_PCIE_ROOT_PORT },
        { "pci-bridge", PCI_MODEL_PCI_BRIDGE },
        { "dmi-to-pci-bridge", PCI_MODEL_DMI_TO_PCI_BRIDGE },
        { "pcie-to-pci-bridge", PCI_MODEL_PCIE_TO_PCI_BRIDGE },
        { "pcie-switch-upstream-port", PCI_MODEL_PCIE_SWITCH_UPSTREAM_PORT },
        { "pcie-switch-downstream-port", PCI_MODEL_PCIE_SWITCH_DOWNSTREAM_PORT },
        { "pci-expander-bus", PCI_MODEL_PCI_EXPANDER_BUS },
        { "pcie-expander-bus", PCI_MODEL_PCIE_EXPANDER_BUS },
};

int qemu_argv_user_alias(QemuArgvBuilder *b, const DomainDeviceInfo *info, const char **ret) {
        const char *a = info->alias;

        *ret = NULL;
        if (!a || strncmp(a, "ua-", 3) != 0)
                return 0;
        /* libvirt's rule for user aliases, and what QEMU accepts as an id. */
        if (strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(a))
                return qemu_argv_fail(b, "alias '%s' may only contain letters, digits, '_' and '-'", a);
        *ret = a;
        return 0;
}

/* A given <address>: only type pci means something for a PCI device. */
static int given_address(QemuArgvBuilder *b, const char *what, const DomainDeviceInfo *info,
                         PciAddress *ret) {
        const DomainAddress *a = info->address;

        *ret = (PciAddress){};
        if (!a || a->type == DOMAIN_ADDRESS_NONE)
                return 0;
        if (a->type != DOMAIN_ADDRESS_PCI)
                return qemu_argv_fail(b, "%s: a PCI device takes <address type='pci'> only", what);
        if (a->domain.value != 0 || a->bus.value > 255 || a->slot.value > PCI_SLOT_MAX ||
            a->function.value > PCI_FUNCTION_MAX)
                return qemu_argv_fail(b,
                                      "%s: PCI address out of range (domain 0, bus 0..255, slot 0..%u, "
                                      "function 0..%u)",
                                      what, PCI_SLOT_MAX, PCI_FUNCTION_MAX);
        *ret = (PciAddress){
                .bus = (unsigned) a->bus.value,
                .slot = (unsigned) a->slot.value,
                .function = (unsigned) a->function.value,
                .multifunction = a->multifunction == DOMAIN_TRISTATE_ON,
                .set = true,
        };
        return 0;
}

static int push(QemuArgvBuilder *b, QemuPciOwner owner, size_t index, const DomainDeviceInfo *info,
                PciDeviceClass cls, unsigned flags, const char *model, unsigned ctrl_index, const char *fmt,
                ...) _printf_(9, 10);

static int push(QemuArgvBuilder *b, QemuPciOwner owner, size_t index, const DomainDeviceInfo *info,
                PciDeviceClass cls, unsigned flags, const char *model, unsigned ctrl_index, const char *fmt,
                ...) {
        size_t n = b->n_pci_devs;
        QemuPciRef *ref = &b->pci_refs[n];
        PciDevice *dev = &b->pci_devs[n];
        va_list ap;
        int r;

        *ref = (QemuPciRef){ .owner = owner, .index = index };
        va_start(ap, fmt);
        vsnprintf(ref->what, sizeof(ref->what), fmt, ap);
        va_end(ap);
        *dev = (PciDevice){
                .what = ref->what, .cls = cls, .flags = flags, .model = model, .index = ctrl_index
        };
        if (info) {
                r = given_address(b, ref->what, info, &dev->addr);
                if (r < 0)
                        return r;
        }
        b->n_pci_devs++;
        return 0;
}

static int collect_disks_nics(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < d->n_disks; i++)
                if (domain_disk_bus(&d->disks[i]) == DOMAIN_DISK_BUS_VIRTIO)
                        r = push(b, QEMU_PCI_DISK, i, &d->disks[i].info, PCI_CLASS_DISK, PCI_DEV_PCIE, NULL,
                                 0, "disk '%s'", d->disks[i].target_dev ?: "");
        for (size_t i = 0; r >= 0 && i < d->n_interfaces; i++) {
                const QemuNicModel *m = qemu_nic_model(d->interfaces[i].model);

                r = push(b, QEMU_PCI_NET, i, &d->interfaces[i].info, PCI_CLASS_NET,
                         m && m->pcie ? PCI_DEV_PCIE : PCI_DEV_PCI, NULL, 0, "interface %zu", i);
        }
        return r;
}

/* Class and flags of a controller that is a PCI device; false for one
 * that is not (PCI controllers, IDE, q35's built-in SATA, USB none). */
static bool controller_device(bool q35, DomainControllerType type, unsigned index, const char *model,
                              PciDeviceClass *ret_cls, unsigned *ret_flags) {
        switch (type) {
        case DOMAIN_CONTROLLER_USB:
                if (streq_ptr(model, "none"))
                        return false;
                *ret_cls = PCI_CLASS_CONTROLLER_USB;
                *ret_flags = !model || strstr(model, "xhci") ? PCI_DEV_PCIE : PCI_DEV_PCI;
                return true;
        case DOMAIN_CONTROLLER_VIRTIO_SERIAL:
                *ret_cls = PCI_CLASS_CONTROLLER_VIRTIO_SERIAL;
                /* a transitional device keeps its legacy I/O BARs: conventional PCI */
                *ret_flags = streq_ptr(model, "virtio-transitional") ? PCI_DEV_PCI : PCI_DEV_PCIE;
                return true;
        case DOMAIN_CONTROLLER_SCSI:
                *ret_cls = PCI_CLASS_CONTROLLER_SCSI;
                /* lsi53c895a is conventional PCI; virtio-scsi is PCIe-native. */
                *ret_flags = streq_ptr(model, "lsilogic") ? PCI_DEV_PCI : PCI_DEV_PCIE;
                return true;
        case DOMAIN_CONTROLLER_SATA:
                /* ICH9 AHCI: not hotplugged, fits a PCI or a PCIe slot. */
                *ret_cls = PCI_CLASS_CONTROLLER_SATA;
                *ret_flags = PCI_DEV_PCI | PCI_DEV_PCIE;
                return !(q35 && index == 0);
        default: return false;
        }
}

static const char *controller_type_name(DomainControllerType t) {
        static const char *const names[] = {
                [DOMAIN_CONTROLLER_USB] = "usb",   [DOMAIN_CONTROLLER_SCSI] = "scsi",
                [DOMAIN_CONTROLLER_SATA] = "sata", [DOMAIN_CONTROLLER_IDE] = "ide",
                [DOMAIN_CONTROLLER_PCI] = "pci",   [DOMAIN_CONTROLLER_VIRTIO_SERIAL] = "virtio-serial",
                [DOMAIN_CONTROLLER_CCID] = "ccid", [DOMAIN_CONTROLLER_FDC] = "fdc",
        };
        return (size_t) t < ELEMENTSOF(names) && names[t] ? names[t] : "?";
}

/* Controllers in document order, then the implicit ones the devices
 * need (libvirt adds those to its definition at parse time). */
static int collect_controllers(QemuArgvBuilder *b) {
        static const DomainControllerType implicit[] = {
                DOMAIN_CONTROLLER_USB,
                DOMAIN_CONTROLLER_SCSI,
                DOMAIN_CONTROLLER_SATA,
                DOMAIN_CONTROLLER_VIRTIO_SERIAL,
        };
        const Domain *d = b->d;
        PciDeviceClass cls;
        unsigned flags;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < d->n_controllers; i++) {
                const DomainController *c = &d->controllers[i];

                if (controller_device(b->q35, c->type, c->index, c->model, &cls, &flags))
                        r = push(b, QEMU_PCI_CONTROLLER, i, &c->info, cls, flags, c->model, c->index,
                                 "controller %s %u", controller_type_name(c->type), c->index);
        }
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(implicit); i++)
                if (qemu_argv_need_implicit_controller(d, b->q35, implicit[i]) &&
                    controller_device(b->q35, implicit[i], 0, NULL, &cls, &flags))
                        r = push(b, QEMU_PCI_IMPLICIT, implicit[i], NULL, cls, flags,
                                 implicit[i] == DOMAIN_CONTROLLER_USB ? "qemu-xhci" : NULL, 0,
                                 "controller %s 0", controller_type_name(implicit[i]));
        return r;
}

static int collect_others(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        const DomainMemballoon *m = d->memballoon;
        DomainVideo v = {};
        int r = 0;

        if (qemu_argv_video(d, &v) && v.model != DOMAIN_VIDEO_RAMFB)
                r = push(b, QEMU_PCI_VIDEO, 0, &v.info, PCI_CLASS_VIDEO,
                         v.model == DOMAIN_VIDEO_VIRTIO || v.model == DOMAIN_VIDEO_BOCHS ? PCI_DEV_PCIE
                                                                                         : PCI_DEV_PCI,
                         NULL, 0, "video 0");
        /* Secondary videos (qxl, virtio-gpu-pci) after the primary. */
        for (size_t i = 1; r >= 0 && v.model != DOMAIN_VIDEO_NONE && i < d->n_videos; i++)
                r = push(b, QEMU_PCI_VIDEO, i, &d->videos[i].info, PCI_CLASS_VIDEO,
                         d->videos[i].model == DOMAIN_VIDEO_VIRTIO ? PCI_DEV_PCIE : PCI_DEV_PCI, NULL, 0,
                         "video %zu", i);
        /* Conventional PCI cards; the planner puts ich9 at q35's 00:1b.0. */
        for (size_t i = 0; r >= 0 && i < d->n_sounds; i++)
                if (qemu_argv_sound_is_pci(d->sounds[i].model))
                        r = push(b, QEMU_PCI_SOUND, i, &d->sounds[i].info, PCI_CLASS_SOUND, PCI_DEV_PCI,
                                 d->sounds[i].model == DOMAIN_SOUND_ICH9 ? "ich9" : NULL, 0, "sound %zu", i);
        for (size_t i = 0; r >= 0 && i < d->n_inputs; i++)
                if (d->inputs[i].bus == DOMAIN_INPUT_BUS_VIRTIO)
                        r = push(b, QEMU_PCI_INPUT, i, &d->inputs[i].info, PCI_CLASS_INPUT, PCI_DEV_PCIE,
                                 NULL, 0, "input %zu", i);
        if (r >= 0 && (!m || m->model != DOMAIN_MEMBALLOON_NONE))
                /* A transitional device keeps its legacy I/O BARs, which
                 * a PCIe slot does not have: conventional PCI. */
                r = push(b, QEMU_PCI_BALLOON, 0, m ? &m->info : NULL, PCI_CLASS_BALLOON,
                         m && m->model == DOMAIN_MEMBALLOON_VIRTIO_TRANSITIONAL ? PCI_DEV_PCI : PCI_DEV_PCIE,
                         NULL, 0, "memballoon");
        for (size_t i = 0; r >= 0 && i < d->n_rngs; i++)
                r = push(b, QEMU_PCI_RNG, i, &d->rngs[i].info, PCI_CLASS_RNG,
                         d->rngs[i].model == DOMAIN_VIRTIO_MODEL_TRANSITIONAL ? PCI_DEV_PCI : PCI_DEV_PCIE,
                         NULL, 0, "rng %zu", i);
        for (size_t i = 0; r >= 0 && i < d->n_watchdogs; i++)
                if (d->watchdogs[i].model == DOMAIN_WATCHDOG_I6300ESB)
                        r = push(b, QEMU_PCI_WATCHDOG, i, &d->watchdogs[i].info, PCI_CLASS_WATCHDOG,
                                 PCI_DEV_PCI, NULL, 0, "watchdog %zu", i);
        for (size_t i = 0; r >= 0 && i < d->n_panics; i++)
                if (d->panics[i].model == DOMAIN_PANIC_PVPANIC)
                        r = push(b, QEMU_PCI_PANIC, i, &d->panics[i].info, PCI_CLASS_PANIC,
                                 PCI_DEV_PCIE | PCI_DEV_INTEGRATED, NULL, 0, "panic %zu", i);
        if (r >= 0 && d->iommu && d->iommu->model == DOMAIN_IOMMU_VIRTIO)
                r = push(b, QEMU_PCI_IOMMU, 0, &d->iommu->info, PCI_CLASS_IOMMU, PCI_DEV_PCIE, NULL, 0,
                         "iommu");
        return r;
}

static int controller_model(QemuArgvBuilder *b, const DomainController *c, PciControllerModel *ret) {
        const char *root = b->q35 ? "pcie-root" : "pci-root";
        const char *m = c->model ?: (c->index == 0 ? root : NULL);

        if (!m)
                return qemu_argv_fail(b, "PCI controller %u needs a model", c->index);
        if ((streq(m, "pci-root") || streq(m, "pcie-root")) && (c->index != 0 || !streq(m, root)))
                return qemu_argv_fail(b, "this machine type's PCI root controller is index 0, model '%s'",
                                      root);
        if (c->index > 255)
                return qemu_argv_fail(b, "PCI controller index must be 0..255");
        for (size_t i = 0; i < ELEMENTSOF(controller_models); i++)
                if (streq(m, controller_models[i].name)) {
                        *ret = controller_models[i].model;
                        return 0;
                }
        return qemu_argv_fail(b, "unsupported PCI controller model '%s'", m);
}

static int collect_pci_controllers(QemuArgvBuilder *b, PciController *ret, size_t *ret_n,
                                   bool *ret_has_root_port) {
        const Domain *d = b->d;
        size_t n = 0;
        int r;

        *ret_has_root_port = false;
        for (size_t i = 0; i < d->n_controllers; i++) {
                const DomainController *c = &d->controllers[i];
                PciController *pc = &ret[n];
                char what[48];

                if (c->type != DOMAIN_CONTROLLER_PCI)
                        continue;
                *pc = (PciController){
                        .index = c->index,
                        /* <target>: chassisNr for a pci-bridge, chassis for ports */
                        .chassis = (unsigned) (c->target.chassis_nr.set ? c->target.chassis_nr.value
                                                                        : c->target.chassis.value),
                        .has_chassis = c->target.chassis_nr.set || c->target.chassis.set,
                        .port = (unsigned) c->target.port.value,
                        .has_port = c->target.port.set,
                };
                r = controller_model(b, c, &pc->model);
                if (r >= 0) {
                        snprintf(what, sizeof(what), "controller pci %u", c->index);
                        r = given_address(b, what, &c->info, &pc->addr);
                }
                if (r < 0)
                        return r;
                if (pc->model == PCI_MODEL_PCIE_ROOT_PORT)
                        *ret_has_root_port = true;
                n++;
        }
        *ret_n = n;
        return 0;
}

int qemu_argv_plan_pci(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        /* every device that may be PCI, plus the implicit controllers and the video */
        size_t cap = d->n_disks + d->n_interfaces + d->n_controllers + 4 + 1 + d->n_inputs + 1 +
                     d->n_panics + d->n_rngs + d->n_watchdogs + d->n_videos + d->n_sounds + 1 /* iommu */;
        _cleanup_free_ PciController *given = calloc(d->n_controllers ?: 1, sizeof(PciController));
        _cleanup_free_ char *error = NULL;
        bool has_root_port;
        size_t n_given;
        int r;

        b->pci_devs = calloc(cap, sizeof(PciDevice));
        b->pci_refs = calloc(cap, sizeof(QemuPciRef));
        if (!given || !b->pci_devs || !b->pci_refs)
                return -ENOMEM;
        r = collect_pci_controllers(b, given, &n_given, &has_root_port);
        if (r >= 0)
                r = collect_disks_nics(b);
        if (r >= 0)
                r = collect_controllers(b);
        if (r >= 0)
                r = collect_others(b);
        if (r < 0)
                return r;
        r = pci_plan(b->q35, given, n_given, b->pci_devs, b->n_pci_devs,
                     b->q35 && !has_root_port ? SPARE_ROOT_PORTS : 0, &b->pci, &error);
        if (r == -EINVAL || r == -EOPNOTSUPP)
                return qemu_argv_fail(b, "%s", error ?: "PCI address assignment failed");
        return r;
}

void qemu_argv_pci_done(QemuArgvBuilder *b) {
        pci_plan_done(&b->pci);
        free(b->pci_devs);
        free(b->pci_refs);
        b->pci_devs = NULL;
        b->pci_refs = NULL;
        b->n_pci_devs = 0;
}

/* -device for one controller of the plan, as libvirt writes it. */
static int build_pci_controller(QemuArgvBuilder *b, const PciController *c) {
        _cleanup_free_ char *addr = NULL;
        int r;

        r = pci_format_device_address(b->q35, &c->addr, &addr);
        if (r < 0)
                return r;
        switch (c->model) {
        case PCI_MODEL_PCIE_ROOT_PORT:
                return qemu_argv_add(b, "-device", "pcie-root-port,port=0x%x,chassis=%u,id=pci.%u,%s",
                                     c->port, c->chassis, c->index, addr);
        case PCI_MODEL_PCIE_SWITCH_DOWNSTREAM_PORT:
                return qemu_argv_add(b, "-device", "xio3130-downstream,port=0x%x,chassis=%u,id=pci.%u,%s",
                                     c->port, c->chassis, c->index, addr);
        case PCI_MODEL_PCIE_SWITCH_UPSTREAM_PORT:
                return qemu_argv_add(b, "-device", "x3130-upstream,id=pci.%u,%s", c->index, addr);
        case PCI_MODEL_PCIE_TO_PCI_BRIDGE:
                return qemu_argv_add(b, "-device", "pcie-pci-bridge,id=pci.%u,%s", c->index, addr);
        case PCI_MODEL_DMI_TO_PCI_BRIDGE:
                return qemu_argv_add(b, "-device", "i82801b11-bridge,id=pci.%u,%s", c->index, addr);
        case PCI_MODEL_PCI_BRIDGE:
                return qemu_argv_add(b, "-device", "pci-bridge,chassis_nr=%u,id=pci.%u,%s", c->chassis,
                                     c->index, addr);
        default: return qemu_argv_fail(b, "unsupported PCI controller model");
        }
}

/* The plan's controllers are sorted by index; a controller's parent bus
 * always has a lower index (libvirt's rule, kept by the planner), so
 * index order puts each bus before what sits on it. */
int qemu_argv_build_pci_controllers(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->pci.n_controllers; i++) {
                const PciController *c = &b->pci.controllers[i];

                if (c->model == PCI_MODEL_PCI_ROOT || c->model == PCI_MODEL_PCIE_ROOT)
                        continue; /* built into the machine */
                r = build_pci_controller(b, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const PciDevice *planned(const QemuArgvBuilder *b, QemuPciOwner owner, size_t index) {
        for (size_t i = 0; i < b->n_pci_devs; i++)
                if (b->pci_refs[i].owner == owner && b->pci_refs[i].index == index)
                        return b->pci_devs[i].addr.set ? &b->pci_devs[i] : NULL;
        return NULL;
}

int qemu_argv_add_device(QemuArgvBuilder *b, QemuPciOwner owner, size_t index, const char *fmt, ...) {
        const PciDevice *p = planned(b, owner, index);
        _cleanup_free_ char *dev = NULL, *addr = NULL;
        char *s;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        dev = s;
        if (p) {
                r = pci_format_device_address(b->q35, &p->addr, &addr);
                if (r >= 0)
                        r = qemu_argv_appendf(&dev, "%s", addr);
                if (r < 0)
                        return r;
        }
        return qemu_argv_add(b, "-device", "%s", dev);
}

/* ---- the live XML --------------------------------------------------------- */

/* The <address> element of a device the plan placed. */
static DomainAddress *address_new(const PciAddress *p) {
        DomainAddress *a = calloc(1, sizeof(*a));

        if (!a)
                return NULL;
        a->type = DOMAIN_ADDRESS_PCI;
        a->domain = (XmlNum){ .set = true, .hex = true, .value = 0 };
        a->bus = (XmlNum){ .set = true, .hex = true, .value = p->bus };
        a->slot = (XmlNum){ .set = true, .hex = true, .value = p->slot };
        a->function = (XmlNum){ .set = true, .hex = true, .value = p->function };
        if (p->multifunction)
                a->multifunction = DOMAIN_TRISTATE_ON;
        return a;
}

/* Where the domain keeps the device a plan entry stands for; NULL for
 * what the XML does not list (implicit controllers, a default video or
 * balloon): implicit_append() writes those in. */
static DomainDeviceInfo *owner_info(Domain *d, const QemuPciRef *ref) {
        size_t i = ref->index;

        switch (ref->owner) {
        case QEMU_PCI_DISK: return &d->disks[i].info;
        case QEMU_PCI_NET: return &d->interfaces[i].info;
        case QEMU_PCI_CONTROLLER: return &d->controllers[i].info;
        case QEMU_PCI_INPUT: return &d->inputs[i].info;
        case QEMU_PCI_PANIC: return &d->panics[i].info;
        case QEMU_PCI_RNG: return &d->rngs[i].info;
        case QEMU_PCI_WATCHDOG: return &d->watchdogs[i].info;
        case QEMU_PCI_SOUND: return &d->sounds[i].info;
        case QEMU_PCI_VIDEO: return i < d->n_videos ? &d->videos[i].info : NULL;
        case QEMU_PCI_BALLOON: return d->memballoon ? &d->memballoon->info : NULL;
        case QEMU_PCI_IOMMU: return d->iommu ? &d->iommu->info : NULL;
        case QEMU_PCI_IMPLICIT: return NULL;
        }
        return NULL;
}

/* A controller the plan added (root ports, bridges), as a <controller>. */
static int controller_append(Domain *d, const PciController *c) {
        DomainController *ctl;

        ctl = reallocarray(d->controllers, d->n_controllers + 1, sizeof(*ctl));
        if (!ctl)
                return -ENOMEM;
        d->controllers = ctl;
        ctl = &d->controllers[d->n_controllers];
        *ctl = (DomainController){
                .type = DOMAIN_CONTROLLER_PCI,
                .index = c->index,
                .model = strdup(pci_controller_model_to_string(c->model)),
                /* the root buses have none */
                .info.address = c->addr.set ? address_new(&c->addr) : NULL,
        };
        if (c->has_chassis)
                ctl->target.chassis = (XmlNum){ .set = true, .value = c->chassis };
        if (c->has_port)
                ctl->target.port = (XmlNum){ .set = true, .hex = true, .value = c->port };
        d->n_controllers++;
        return ctl->model && (ctl->info.address || !c->addr.set) ? 0 : -ENOMEM;
}

/* What the devices needed but the XML did not list (a controller, the
 * default balloon, the default video), written in as libvirt's live XML
 * has them: the address of the one the plan placed. */
static int implicit_append(Domain *d, const QemuPciRef *ref, const PciAddress *addr) {
        DomainAddress *a = address_new(addr);
        void *p;

        if (!a)
                return -ENOMEM;
        switch (ref->owner) {
        case QEMU_PCI_BALLOON:
                d->memballoon = calloc(1, sizeof(DomainMemballoon));
                if (!d->memballoon)
                        break;
                *d->memballoon = (DomainMemballoon){ .model = DOMAIN_MEMBALLOON_VIRTIO, .info.address = a };
                return 0;
        case QEMU_PCI_VIDEO:
                p = reallocarray(d->videos, d->n_videos + 1, sizeof(DomainVideo));
                if (!p)
                        break;
                d->videos = p;
                d->videos[d->n_videos++] = (DomainVideo){ .info.address = a };
                return 0;
        case QEMU_PCI_IMPLICIT:
                p = reallocarray(d->controllers, d->n_controllers + 1, sizeof(DomainController));
                if (!p)
                        break;
                d->controllers = p;
                d->controllers[d->n_controllers++] = (DomainController){
                        .type = (DomainControllerType) ref->index,
                        .model = ref->index == DOMAIN_CONTROLLER_USB ? strdup("qemu-xhci") : NULL,
                        .info.address = a,
                };
                return ref->index == DOMAIN_CONTROLLER_USB && !d->controllers[d->n_controllers - 1].model
                               ? -ENOMEM
                               : 0;
        default: free(a); return 0;
        }
        free(a);
        return -ENOMEM;
}

int qemu_pci_fill(Domain *d, const QemuArgvOptions *o, char **ret_error) {
        QemuArgvBuilder b = { .d = d, .o = o, .q35 = qemu_machine_is_q35(d->os.machine) };
        int r;

        r = qemu_argv_plan_pci(&b);
        for (size_t i = 0; r >= 0 && i < b.n_pci_devs; i++) {
                DomainDeviceInfo *info = owner_info(d, &b.pci_refs[i]);

                if (!b.pci_devs[i].addr.set)
                        continue;
                if (!info) {
                        r = implicit_append(d, &b.pci_refs[i], &b.pci_devs[i].addr);
                        continue;
                }
                if (info->address)
                        continue;
                info->address = address_new(&b.pci_devs[i].addr);
                if (!info->address)
                        r = -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < b.pci.n_controllers; i++)
                if (b.pci.controllers[i].added)
                        r = controller_append(d, &b.pci.controllers[i]);
        if (r == -EINVAL && ret_error)
                *ret_error = TAKE_PTR(b.error);
        free(b.error);
        qemu_argv_pci_done(&b);
        return r;
}

/* Whether any device the domain lists has a PCI address on bus. Every
 * device struct begins with its DomainDeviceInfo (domain.h), so one walk
 * over the families serves all. */
static bool bus_used(const Domain *d, unsigned bus) {
        const struct {
                const void *items;
                size_t n, size;
        } families[] = {
                { d->disks, d->n_disks, sizeof(DomainDisk) },
                { d->interfaces, d->n_interfaces, sizeof(DomainInterface) },
                { d->controllers, d->n_controllers, sizeof(DomainController) },
                { d->inputs, d->n_inputs, sizeof(DomainInput) },
                { d->videos, d->n_videos, sizeof(DomainVideo) },
                { d->sounds, d->n_sounds, sizeof(DomainSound) },
                { d->panics, d->n_panics, sizeof(DomainPanic) },
                { d->rngs, d->n_rngs, sizeof(DomainRng) },
                { d->watchdogs, d->n_watchdogs, sizeof(DomainWatchdog) },
                { d->memballoon, d->memballoon ? 1 : 0, sizeof(DomainMemballoon) },
                { d->iommu, d->iommu ? 1 : 0, sizeof(DomainIommu) },
        };

        for (size_t f = 0; f < ELEMENTSOF(families); f++)
                for (size_t i = 0; i < families[f].n; i++) {
                        const DomainDeviceInfo *info =
                                (const void *) ((const uint8_t *) families[f].items + i * families[f].size);
                        const DomainAddress *a = info->address;

                        if (a && a->type == DOMAIN_ADDRESS_PCI && a->bus.value == bus)
                                return true;
                }
        return false;
}

int qemu_pci_free_root_port(const Domain *d, unsigned *ret_bus) {
        for (size_t i = 0; i < d->n_controllers; i++) {
                const DomainController *c = &d->controllers[i];

                if (c->type == DOMAIN_CONTROLLER_PCI && streq_ptr(c->model, "pcie-root-port") &&
                    !bus_used(d, c->index)) {
                        *ret_bus = c->index;
                        return 0;
                }
        }
        return -ENOSPC;
}
