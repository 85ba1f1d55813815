/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI address planning after libvirt's rules (see pci-address.h). The
 * libvirt function each step follows is named in its comment; the code is
 * our own.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "macro.h"
#include "pci-address.h"

#define PCI_BUS_MAX 256U

/* Connect flags: what a bus accepts, what a device needs
 * (virDomainPCIConnectFlags). */
enum {
        C_PCI_DEVICE = 1 << 0,
        C_PCIE_DEVICE = 1 << 1,
        C_ROOT_PORT = 1 << 2,
        C_SWITCH_UP = 1 << 3,
        C_SWITCH_DOWN = 1 << 4,
        C_DMI_TO_PCI = 1 << 5,
        C_PCIE_TO_PCI = 1 << 6,
        C_PCI_BRIDGE = 1 << 7,
        C_PXB = 1 << 8,
        C_PXB_PCIE = 1 << 9,
        C_TYPES = (1 << 10) - 1,
        C_ENDPOINT = C_PCI_DEVICE | C_PCIE_DEVICE,
        C_AUTO = 1 << 10,       /* auto-assignment may use it / is asking */
        C_HOTPLUG = 1 << 11,    /* hotpluggable slots / needs one */
        C_AGGREGATE = 1 << 12,  /* several such devices may share a slot (root ports) */
        C_INTEGRATED = 1 << 13, /* bus 0 only */
};

/* One row per controller model: what its bus accepts and how it plugs in
 * itself (virDomainPCIAddressBusSetModel(),
 * virDomainPCIControllerModelToConnectType()). Controllers are always
 * hotplug-capable here (we have no hotplug='off'); the models whose
 * slots are not hotpluggable simply lack C_HOTPLUG. */
static const struct {
        const char *name;
        unsigned accepts;
        unsigned min_slot, max_slot;
        unsigned connect;
        bool supported;
} models[_PCI_MODEL_MAX] = {
        [PCI_MODEL_PCI_ROOT] = { "pci-root", C_AUTO | C_PCI_DEVICE | C_PCI_BRIDGE | C_PXB | C_HOTPLUG, 1,
                                 PCI_SLOT_MAX, 0, true },
        /* No C_AUTO: endpoints land on pcie.0 only when integrated. */
        [PCI_MODEL_PCIE_ROOT] = { "pcie-root", C_PCIE_DEVICE | C_ROOT_PORT | C_DMI_TO_PCI | C_PXB_PCIE, 1,
                                  PCI_SLOT_MAX, 0, true },
        [PCI_MODEL_PCIE_ROOT_PORT] = { "pcie-root-port",
                                       C_AUTO | C_PCIE_DEVICE | C_SWITCH_UP | C_PCIE_TO_PCI | C_HOTPLUG, 0,
                                       0, C_ROOT_PORT | C_AGGREGATE, true },
        [PCI_MODEL_PCI_BRIDGE] = { "pci-bridge", C_AUTO | C_PCI_DEVICE | C_PCI_BRIDGE | C_HOTPLUG, 1,
                                   PCI_SLOT_MAX, C_PCI_BRIDGE, true },
        [PCI_MODEL_DMI_TO_PCI_BRIDGE] = { "dmi-to-pci-bridge", C_PCI_DEVICE | C_PCI_BRIDGE, 0, PCI_SLOT_MAX,
                                          C_DMI_TO_PCI, true },
        /* Slot 0 is taken by the bridge's SHPC. */
        [PCI_MODEL_PCIE_TO_PCI_BRIDGE] = { "pcie-to-pci-bridge",
                                           C_AUTO | C_PCI_DEVICE | C_PCI_BRIDGE | C_HOTPLUG, 1, PCI_SLOT_MAX,
                                           C_PCIE_TO_PCI, true },
        [PCI_MODEL_PCIE_SWITCH_UPSTREAM_PORT] = { "pcie-switch-upstream-port", C_SWITCH_DOWN, 0,
                                                  PCI_SLOT_MAX, C_SWITCH_UP, true },
        [PCI_MODEL_PCIE_SWITCH_DOWNSTREAM_PORT] = { "pcie-switch-downstream-port",
                                                    C_AUTO | C_PCIE_DEVICE | C_SWITCH_UP | C_PCIE_TO_PCI |
                                                            C_HOTPLUG,
                                                    0, 0, C_SWITCH_DOWN, true },
        [PCI_MODEL_PCI_EXPANDER_BUS] = { "pci-expander-bus", 0, 0, 0, C_PXB, false },
        [PCI_MODEL_PCIE_EXPANDER_BUS] = { "pcie-expander-bus", 0, 0, 0, C_PXB_PCIE, false },
};

/* Who holds a function of a slot, for "already in use by ..." messages:
 * 0 nobody, 1 + i device i, OWNER_CTRL + i controller i, negative one of
 * the machine's own devices. */
#define OWNER_CTRL 0x100000
enum {
        OWNER_PIIX3_ISA = -1,
        OWNER_PIIX3_IDE = -2,
        OWNER_PIIX3_PM = -3,
        OWNER_ICH9_LPC = -4,
        OWNER_ICH9_SATA = -5,
        OWNER_ICH9_SMBUS = -6,
        OWNER_DUMMY = -7,
};
static const char *const implicit_names[] = {
        "the PIIX3 ISA bridge",    "the PIIX3 IDE controller", "the PIIX3 power management device",
        "the ICH9 LPC bridge",     "the ICH9 SATA controller", "the ICH9 SMBus controller",
        "a reservation for later",
};

typedef struct Slot {
        uint8_t functions; /* bit n: function n is taken */
        bool aggregate;
        int owner[PCI_FUNCTION_MAX + 1];
} Slot;

typedef struct Bus {
        PciControllerModel model;
        unsigned accepts, min_slot, max_slot;
        Slot slot[PCI_SLOT_MAX + 1];
} Bus;

typedef struct Planner {
        bool q35;
        bool dry_run;         /* libvirt's first pass: may add buses, writes no addresses */
        PciController *ctrls; /* ctrls[i].index == i */
        size_t n_ctrls;
        int max_given_index; /* -1: no PCI controller given */
        const PciDevice *devs;
        PciAddress *cur; /* the devices' addresses while planning */
        bool *given;     /* the address came from the caller */
        size_t *order;   /* device indices in libvirt's class order */
        size_t n_devs;
        Bus *buses;
        size_t n_buses;
        char **ret_error;
} Planner;

const char *pci_controller_model_to_string(PciControllerModel m) {
        return (unsigned) m < _PCI_MODEL_MAX ? models[m].name : NULL;
}

static void format_addr(char buf[static 16], const PciAddress *a) {
        snprintf(buf, 16, "%04x:%02x:%02x.%x", a->domain & 0xffffu, a->bus & 0xffu, a->slot & 0xffu,
                 a->function & 0xfu);
}

static const char *device_what(const Planner *p, size_t i, char buf[static 32]) {
        if (p->devs[i].what)
                return p->devs[i].what;
        snprintf(buf, 32, "device %zu", i);
        return buf;
}

static const char *ctrl_what(const Planner *p, size_t i, char buf[static 48]) {
        snprintf(buf, 48, "%s %u", models[p->ctrls[i].model].name, p->ctrls[i].index);
        return buf;
}

static const char *owner_name(const Planner *p, int owner, char buf[static 48]) {
        if (owner < 0 && (size_t) -owner <= ELEMENTSOF(implicit_names))
                return implicit_names[-owner - 1];
        if (owner >= OWNER_CTRL)
                return ctrl_what(p, (size_t) (owner - OWNER_CTRL), buf);
        if (owner > 0)
                return device_what(p, (size_t) owner - 1, buf);
        return "?";
}

static PciAddress addr_on_root(unsigned slot, unsigned function) {
        return (PciAddress){ .slot = slot, .function = function, .set = true };
}

static bool slot_in_use(const Planner *p, unsigned bus, unsigned slot) {
        return p->buses[bus].slot[slot].functions != 0;
}

static void bus_set_model(Bus *b, PciControllerModel m) {
        *b = (Bus){ .model = m, .accepts = models[m].accepts };
        b->min_slot = models[m].min_slot;
        b->max_slot = models[m].max_slot;
}

static bool bus_is_full(const Bus *b) {
        for (unsigned s = b->min_slot; s <= b->max_slot; s++)
                if (!b->slot[s].functions)
                        return false;
        return true;
}

/* Whether a device with connect flags dev may sit at a on a bus that
 * accepts bus_flags (virDomainPCIAddressFlagsCompatible()). An address
 * from the config may put a conventional device into a PCIe slot and the
 * other way round, and a pci-bridge anywhere a PCI device fits; automatic
 * placement must match exactly and use buses that allow it. */
static const char *flags_incompatible(const PciAddress *a, unsigned bus_flags, unsigned dev,
                                      bool from_config) {
        if (dev & C_INTEGRATED) {
                if (a->bus != 0)
                        return "must be an integrated device on bus 0";
                bus_flags |= C_AUTO;
        }
        if (from_config) {
                if (bus_flags & C_ENDPOINT)
                        bus_flags |= C_ENDPOINT;
                if (dev & C_PCI_BRIDGE)
                        dev |= C_PCI_DEVICE;
        } else if ((dev & C_AUTO) && !(bus_flags & C_AUTO))
                return "is on a bus that does not take automatically placed devices";
        if ((dev & C_HOTPLUG) && !(bus_flags & C_HOTPLUG))
                return "needs hotplug, which the bus does not support";
        if (!(dev & bus_flags & C_TYPES))
                return "does not fit the bus type";
        return NULL;
}

/* virDomainPCIAddressValidate(). */
static int validate(Planner *p, const PciAddress *a, unsigned flags, bool from_config, const char *what) {
        char s[16];
        const char *why;

        format_addr(s, a);
        if (a->domain != 0)
                return set_errorf(p->ret_error, -EINVAL, "%s: PCI address %s: only PCI domain 0 exists",
                                  what, s);
        if (a->bus >= p->n_buses)
                return set_errorf(p->ret_error, -EINVAL, "%s: PCI address %s: bus %u has no controller",
                                  what, s, a->bus);
        const Bus *b = &p->buses[a->bus];
        why = flags_incompatible(a, b->accepts, flags, from_config);
        if (why)
                return set_errorf(p->ret_error, -EINVAL, "%s: PCI address %s %s (%s %u)", what, s, why,
                                  models[b->model].name, a->bus);
        if (a->slot < b->min_slot || a->slot > b->max_slot)
                return set_errorf(p->ret_error, -EINVAL,
                                  "%s: PCI address %s: slot must be 0x%02x-0x%02x on %s %u", what, s,
                                  b->min_slot, b->max_slot, models[b->model].name, a->bus);
        if (a->function > PCI_FUNCTION_MAX)
                return set_errorf(p->ret_error, -EINVAL, "%s: PCI address %s: function must be 0-7", what,
                                  s);
        return 0;
}

/* virDomainPCIAddressReserveAddrInternal(), without growing: an address
 * naming a bus nobody declared is refused by validate(). */
static int reserve(Planner *p, const PciAddress *a, unsigned flags, int owner, bool from_config,
                   const char *what) {
        char s[16], o[48];
        int r;

        r = validate(p, a, flags, from_config, what);
        if (r < 0)
                return r;
        Slot *slot = &p->buses[a->bus].slot[a->slot];
        if (slot->functions & (1u << a->function)) {
                format_addr(s, a);
                return set_errorf(p->ret_error, -EINVAL, "%s: PCI address %s is already in use by %s", what,
                                  s, owner_name(p, slot->owner[a->function], o));
        }
        if (!slot->functions && (flags & C_AGGREGATE))
                slot->aggregate = true;
        slot->functions |= 1u << a->function;
        slot->owner[a->function] = owner;
        return 0;
}

/* virDomainPCIAddressFindUnusedFunctionOnBus(): a wholly free slot, or
 * for aggregating devices (root ports) a free function of a slot other
 * aggregating devices started. */
static bool find_on_bus(const Bus *b, PciAddress *a, int function, unsigned flags) {
        if (flags_incompatible(a, b->accepts, flags, /* from_config= */ false))
                return false;
        for (; a->slot <= b->max_slot; a->slot++) {
                const Slot *s = &b->slot[a->slot];

                if (!s->functions)
                        return true;
                if (!(flags & C_AGGREGATE) || !s->aggregate)
                        continue;
                if (!(s->functions & (1u << a->function)))
                        return true;
                if (function >= 0)
                        continue;
                for (; a->function <= PCI_FUNCTION_MAX; a->function++)
                        if (!(s->functions & (1u << a->function)))
                                return true;
                a->function = 0;
        }
        return false;
}

static int add_buses(Planner *p, size_t add) {
        if (p->n_buses + add > PCI_BUS_MAX)
                return -EINVAL;
        Bus *n = reallocarray(p->buses, p->n_buses + add, sizeof(Bus));
        if (!n)
                return -ENOMEM;
        p->buses = n;
        p->n_buses += add;
        return 0;
}

/* virDomainPCIAddressSetGrow(), dry run only: a new bus for a device no
 * bus has room for. Conventional devices get a pci-bridge, or on a pure
 * PCIe machine a pcie-root-port holding a pcie-to-pci-bridge (QEMU has
 * pcie-pci-bridge since 2.12, so never libvirt's dmi-to-pci-bridge
 * fallback); PCIe devices a pcie-root-port. */
static int grow(Planner *p, PciAddress *a, unsigned flags, const char *what) {
        size_t first = p->n_buses;
        int r;

        if (flags & C_PCI_DEVICE) {
                bool need_pcie_bridge = true;
                for (size_t i = 0; i < p->n_buses; i++)
                        if (p->buses[i].accepts & C_PCI_BRIDGE)
                                need_pcie_bridge = false;
                r = add_buses(p, need_pcie_bridge ? 2 : 1);
                if (r < 0)
                        return set_errorf(p->ret_error, r, "%s: no free PCI slot and no more buses", what);
                if (need_pcie_bridge) {
                        /* The root port takes only the bridge, so that
                         * the spare port for hotplug is a separate one. */
                        bus_set_model(&p->buses[first], PCI_MODEL_PCIE_ROOT_PORT);
                        p->buses[first].accepts = C_PCIE_TO_PCI;
                        bus_set_model(&p->buses[first + 1], PCI_MODEL_PCIE_TO_PCI_BRIDGE);
                        a->bus = first + 1;
                } else
                        bus_set_model(&p->buses[first], PCI_MODEL_PCI_BRIDGE);
        } else if (flags & (C_PCIE_DEVICE | C_SWITCH_UP)) {
                r = add_buses(p, 1);
                if (r < 0)
                        return set_errorf(p->ret_error, r, "%s: no free PCI slot and no more buses", what);
                bus_set_model(&p->buses[first], PCI_MODEL_PCIE_ROOT_PORT);
        } else
                return set_errorf(p->ret_error, -EINVAL,
                                  "%s: no free PCI slot, and none can be added for it", what);
        a->slot = p->buses[a->bus].min_slot;
        return 0;
}

/* virDomainPCIAddressGetNextAddr() + ReserveNextAddr(): the first
 * suitable slot, bus by bus; function -1 means any. Isolation groups
 * only matter on pSeries, so there is one search. */
static int reserve_next(Planner *p, unsigned flags, int function, int owner, PciAddress *out,
                        const char *what) {
        PciAddress a = { .function = function < 0 ? 0 : (unsigned) function, .set = true };
        bool found = false;
        int r;

        for (a.bus = 0; a.bus < p->n_buses && !found; a.bus++) {
                a.slot = p->buses[a.bus].min_slot;
                found = find_on_bus(&p->buses[a.bus], &a, function, flags);
                if (found)
                        break;
        }
        if (!found) {
                if (!p->dry_run)
                        return set_errorf(p->ret_error, -EINVAL, "%s: no free PCI slot", what);
                a.bus = p->n_buses;
                r = grow(p, &a, flags, what);
                if (r < 0)
                        return r;
        }
        r = reserve(p, &a, flags, owner, /* from_config= */ false, what);
        if (r < 0)
                return r;
        if (!p->dry_run && out)
                *out = a;
        return 0;
}

/* The connect flags of a device (qemuDomainDeviceCalculatePCIConnectFlags()
 * is the caller's part: it says PCI or PCIe). Without pcie-root, PCIe
 * devices are conventional ones. */
static unsigned device_flags(const Planner *p, const PciDevice *d) {
        unsigned f = C_AUTO;

        if (d->flags & PCI_DEV_PCI)
                f |= C_PCI_DEVICE;
        if (d->flags & PCI_DEV_PCIE)
                f |= p->q35 ? C_PCIE_DEVICE : C_PCI_DEVICE;
        if (d->flags & PCI_DEV_HOTPLUG)
                f |= C_HOTPLUG;
        if (d->flags & PCI_DEV_INTEGRATED)
                f |= C_INTEGRATED;
        return f;
}

static bool uses_pci(const PciDevice *d) {
        return d->flags & (PCI_DEV_PCI | PCI_DEV_PCIE);
}

static bool model_is(const PciDevice *d, const char *m) {
        return streq_ptr(d->model, m);
}

/* The first controller of the PIIX3/ICH9 that QEMU builds in. */
static bool is_piix3_ide(const Planner *p, const PciDevice *d) {
        return !p->q35 && d->cls == PCI_CLASS_CONTROLLER_IDE && d->index == 0;
}

static bool is_piix3_usb(const Planner *p, const PciDevice *d) {
        return !p->q35 && d->cls == PCI_CLASS_CONTROLLER_USB && d->index == 0 && model_is(d, "piix3-uhci");
}

static bool is_ich9_sata(const Planner *p, const PciDevice *d) {
        return p->q35 && d->cls == PCI_CLASS_CONTROLLER_SATA && d->index == 0;
}

/* libvirt's IS_USB2_CONTROLLER(): the EHCI and its UHCI companions. The
 * function each takes in their shared slot, or -1. */
static int usb2_function(const PciDevice *d) {
        static const char *const m[] = { "ich9-uhci1", "ich9-uhci2", "ich9-uhci3" };

        if (d->cls != PCI_CLASS_CONTROLLER_USB)
                return -1;
        if (model_is(d, "ich9-ehci1"))
                return 7;
        for (size_t i = 0; i < ELEMENTSOF(m); i++)
                if (model_is(d, m[i]))
                        return (int) i;
        return -1;
}

static int device_fixed_addr(Planner *p, size_t i, PciAddress fixed, const char *what) {
        char s[16];

        if (p->cur[i].set) {
                if (p->cur[i].bus != 0 || p->cur[i].slot != fixed.slot ||
                    p->cur[i].function != fixed.function || p->cur[i].domain != 0) {
                        format_addr(s, &fixed);
                        return set_errorf(p->ret_error, -EINVAL, "%s: must have PCI address %s", what, s);
                }
        } else
                p->cur[i] = fixed;
        return reserve(p, &fixed, C_PCI_DEVICE | C_PCIE_DEVICE, 1 + (int) i, /* from_config= */ true, what);
}

/* The machine's own functions: PIIX3 (slot 1) on pc, ICH9 (slot 0x1f) on
 * q35. They are reserved before the config's addresses are collected so a
 * device given one of them is told what holds it. The PIIX3 IDE and USB
 * and the ICH9 SATA take their fixed place when the config lists them
 * (qemuDomainValidateDevicePCISlotsPIIX3/Q35()); the IDE and SATA
 * functions exist in QEMU either way, so they are always reserved. */
static int reserve_chipset(Planner *p) {
        const unsigned any = C_PCI_DEVICE | C_PCIE_DEVICE;
        const unsigned slot = p->q35 ? 0x1f : 1;
        bool have_disk_ctrl = false;
        char w[32];
        int r;

        for (size_t i = 0; i < p->n_devs; i++) {
                const PciDevice *d = &p->devs[i];
                const char *what = device_what(p, i, w);

                if (!uses_pci(d))
                        continue;
                if (is_piix3_ide(p, d) || is_ich9_sata(p, d)) {
                        r = device_fixed_addr(p, i, addr_on_root(slot, p->q35 ? 2 : 1), what);
                        have_disk_ctrl = true;
                } else if (is_piix3_usb(p, d))
                        r = device_fixed_addr(p, i, addr_on_root(1, 2), what);
                else
                        continue;
                if (r < 0)
                        return r;
        }

        PciAddress a = addr_on_root(slot, 0);
        r = reserve(p, &a, any, p->q35 ? OWNER_ICH9_LPC : OWNER_PIIX3_ISA, true, "machine");
        if (r < 0)
                return r;
        if (!have_disk_ctrl) {
                a.function = p->q35 ? 2 : 1;
                r = reserve(p, &a, any, p->q35 ? OWNER_ICH9_SATA : OWNER_PIIX3_IDE, true, "machine");
                if (r < 0)
                        return r;
        }
        a.function = 3;
        return reserve(p, &a, any, p->q35 ? OWNER_ICH9_SMBUS : OWNER_PIIX3_PM, true, "machine");
}

/* qemuDomainPCIAddressSetCreate() collecting the config's addresses
 * (qemuDomainCollectPCIAddress()); the built-in controllers were taken
 * care of by reserve_chipset(). */
static int collect_given(Planner *p) {
        char w[48];
        int r;

        for (size_t i = 1; i < p->n_ctrls; i++) {
                const PciController *c = &p->ctrls[i];

                if (!c->addr.set)
                        continue;
                r = reserve(p, &c->addr, models[c->model].connect, OWNER_CTRL + (int) i, true,
                            ctrl_what(p, i, w));
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < p->n_devs; i++) {
                const PciDevice *d = &p->devs[i];

                if (!uses_pci(d) || !p->cur[i].set || is_piix3_ide(p, d) || is_piix3_usb(p, d) ||
                    is_ich9_sata(p, d))
                        continue;
                r = reserve(p, &p->cur[i], device_flags(p, d), 1 + (int) i, true, device_what(p, i, w));
                if (r < 0)
                        return r;
        }
        return 0;
}

static ssize_t first_video(const Planner *p) {
        for (size_t i = 0; i < p->n_devs; i++)
                if (p->devs[i].cls == PCI_CLASS_VIDEO)
                        return uses_pci(&p->devs[i]) ? (ssize_t) i : -1;
        return -1;
}

/* The primary video goes where QEMU would put the first VGA: the first
 * free slot after the chipset's, 00:02.0 on pc and 00:01.0 on q35; if a
 * given address holds that slot, it is placed like any device
 * (qemuDomainValidateDevicePCISlotsPIIX3/Q35()). */
static int place_primary_video(Planner *p) {
        ssize_t v = first_video(p);
        char w[32];
        int r;

        if (v < 0 || p->cur[v].set)
                return 0;
        const char *what = device_what(p, (size_t) v, w);
        PciAddress a = addr_on_root(p->q35 ? 1 : 2, 0);
        unsigned flags = p->q35 ? C_PCIE_DEVICE : C_PCI_DEVICE | C_AUTO;

        r = validate(p, &a, flags, /* from_config= */ true, what);
        if (r < 0)
                return r;
        if (slot_in_use(p, 0, a.slot))
                return reserve_next(p, device_flags(p, &p->devs[v]), -1, 1 + (int) v, &p->cur[v], what);
        r = reserve(p, &a, flags, 1 + (int) v, true, what);
        if (r < 0)
                return r;
        p->cur[v] = a;
        return 0;
}

/* q35 puts some devices where they sit on real ICH9 boards, if free
 * (qemuDomainValidateDevicePCISlotsQ35()): the first UHCI companion set
 * at 00:1d (else 00:1a), a dmi-to-pci-bridge at 00:1e, ICH9 audio at
 * 00:1b. */
static int place_q35_board_devices(Planner *p) {
        char w[48];
        int r;

        for (size_t i = 0; i < p->n_devs; i++) {
                const PciDevice *d = &p->devs[i];

                if (!uses_pci(d) || p->cur[i].set || !model_is(d, "ich9-uhci1"))
                        continue;
                PciAddress a = addr_on_root(0x1d, 0);
                if (slot_in_use(p, 0, a.slot))
                        a.slot = 0x1a;
                if (slot_in_use(p, 0, a.slot))
                        continue;
                r = reserve(p, &a, C_PCIE_DEVICE, 1 + (int) i, true, device_what(p, i, w));
                if (r < 0)
                        return r;
                a.multifunction = true;
                p->cur[i] = a;
        }
        for (size_t i = 1; i < p->n_ctrls; i++) {
                PciController *c = &p->ctrls[i];
                PciAddress a = addr_on_root(0x1e, 0);

                if (c->model != PCI_MODEL_DMI_TO_PCI_BRIDGE || c->addr.set || slot_in_use(p, 0, a.slot))
                        continue;
                r = reserve(p, &a, C_PCIE_DEVICE, OWNER_CTRL + (int) i, true, ctrl_what(p, i, w));
                if (r < 0)
                        return r;
                c->addr = a;
        }
        if (slot_in_use(p, 0, 0x1b))
                return 0;
        for (size_t i = 0; i < p->n_devs; i++) {
                const PciDevice *d = &p->devs[i];
                PciAddress a = addr_on_root(0x1b, 0);

                if (!uses_pci(d) || p->cur[i].set || d->cls != PCI_CLASS_SOUND || !model_is(d, "ich9"))
                        continue;
                r = reserve(p, &a, C_PCIE_DEVICE, 1 + (int) i, true, device_what(p, i, w));
                if (r < 0)
                        return r;
                p->cur[i] = a;
                break;
        }
        return 0;
}

/* ich9-ehci1 and ich9-uhci1..3 of one USB index share a slot; the first
 * of them to be placed picks it (qemuDomainAssignDevicePCISlots()). */
static int place_usb2(Planner *p, size_t i, int function, const char *what) {
        const PciDevice *d = &p->devs[i];
        unsigned flags = device_flags(p, d);
        int r;

        for (size_t j = 0; j < p->n_devs; j++) {
                if (!p->cur[j].set || usb2_function(&p->devs[j]) < 0 || p->devs[j].index != d->index)
                        continue;
                PciAddress a = p->cur[j];
                a.function = (unsigned) function;
                a.multifunction = function == 0;
                r = reserve(p, &a, flags, 1 + (int) i, /* from_config= */ true, what);
                if (r < 0)
                        return r;
                /* Written in the dry run too, as libvirt does. */
                p->cur[i] = a;
                return 0;
        }
        r = reserve_next(p, flags, function, 1 + (int) i, &p->cur[i], what);
        if (r >= 0 && !p->dry_run)
                p->cur[i].multifunction = function == 0;
        return r;
}

/* qemuDomainAssignDevicePCISlots(): PCI controllers first (by index),
 * then the devices group by group. */
static int assign_slots(Planner *p) {
        char w[48];
        int r;

        for (size_t i = 1; i < p->n_ctrls; i++) {
                PciController *c = &p->ctrls[i];

                /* In the dry run libvirt has not yet created the
                 * controllers for the gaps between given indices. */
                if (c->addr.set || (p->dry_run && c->added))
                        continue;
                r = reserve_next(p, models[c->model].connect, -1, OWNER_CTRL + (int) i, &c->addr,
                                 ctrl_what(p, i, w));
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < p->n_devs; k++) {
                size_t i = p->order[k];
                const PciDevice *d = &p->devs[i];
                const char *what = device_what(p, i, w);
                int fn = usb2_function(d);

                if (!uses_pci(d) || p->cur[i].set)
                        continue;
                if (fn >= 0)
                        r = place_usb2(p, i, fn, what);
                else
                        r = reserve_next(p, device_flags(p, d), -1, 1 + (int) i, &p->cur[i], what);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int create_buses(Planner *p) {
        free(p->buses);
        p->n_buses = 0;
        p->buses = calloc(p->n_ctrls, sizeof(Bus));
        if (!p->buses)
                return -ENOMEM;
        p->n_buses = p->n_ctrls;
        for (size_t i = 0; i < p->n_ctrls; i++)
                bus_set_model(&p->buses[i], p->ctrls[i].model);
        return 0;
}

static int reserve_dummy(Planner *p, unsigned flags) {
        return reserve_next(p, flags | C_AUTO, -1, OWNER_DUMMY, NULL, "spare slot");
}

static int append_controller(Planner *p, PciControllerModel m) {
        PciController *n = reallocarray(p->ctrls, p->n_ctrls + 1, sizeof(PciController));
        if (!n)
                return -ENOMEM;
        p->ctrls = n;
        p->ctrls[p->n_ctrls] = (PciController){ .model = m, .index = p->n_ctrls, .added = true };
        p->n_ctrls++;
        return 0;
}

/* End of libvirt's dry run (qemuDomainAssignPCIAddresses()): keep room
 * for hotplug, then turn every bus the run added into a controller and
 * give each added controller a slot, which may add buses in turn. */
static int finish_dry_run(Planner *p, unsigned spare_root_ports) {
        char w[48];
        int r;

        /* libvirt keeps one empty pcie-root-port when it chose the PCI
         * controllers itself (none beyond pcie-root given) and had to
         * add any. */
        if (p->q35 && p->max_given_index <= 0 && p->n_buses > p->n_ctrls) {
                r = reserve_dummy(p, C_PCIE_DEVICE);
                if (r < 0)
                        return r;
        }
        for (unsigned k = 0; p->q35 && k < spare_root_ports; k++) {
                r = reserve_dummy(p, C_PCIE_DEVICE | C_HOTPLUG);
                if (r < 0)
                        return r;
        }
        for (size_t i = 1; i < p->n_buses; i++) {
                if (i >= p->n_ctrls) {
                        r = append_controller(p, p->buses[i].model);
                        if (r < 0)
                                return r;
                } else if (!p->ctrls[i].added || p->ctrls[i].addr.set)
                        continue;
                r = reserve_next(p, models[p->ctrls[i].model].connect, -1, OWNER_CTRL + (int) i, NULL,
                                 ctrl_what(p, i, w));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int run_pass(Planner *p, bool dry_run, unsigned spare_root_ports) {
        int r;

        p->dry_run = dry_run;
        r = create_buses(p);
        if (r < 0)
                return r;
        r = reserve_chipset(p);
        if (r < 0)
                return r;
        r = collect_given(p);
        if (r < 0)
                return r;
        if (p->q35)
                r = place_q35_board_devices(p);
        if (r < 0)
                return r;
        r = place_primary_video(p);
        if (r < 0)
                return r;
        /* On pc libvirt keeps one more conventional slot free in the dry
         * run, so that a pci-bridge is added while pci-root can still
         * take it. */
        if (dry_run && !p->q35) {
                bool full = true;
                for (size_t i = 0; i < p->n_buses; i++)
                        full = full && bus_is_full(&p->buses[i]);
                if (!full) {
                        r = reserve_dummy(p, C_PCI_DEVICE);
                        if (r < 0)
                                return r;
                }
        }
        r = assign_slots(p);
        if (r < 0)
                return r;
        return dry_run ? finish_dry_run(p, spare_root_ports) : 0;
}

static void planner_done(Planner *p) {
        free(p->ctrls);
        free(p->cur);
        free(p->given);
        free(p->order);
        free(p->buses);
}

/* The group a class is placed in: all controllers are one. */
static unsigned class_rank(PciDeviceClass c) {
        if (c >= PCI_CLASS_CONTROLLER_USB && c <= PCI_CLASS_CONTROLLER_IDE)
                return PCI_CLASS_CONTROLLER_USB;
        return c;
}

static int check_controller(Planner *p, const PciController *c) {
        bool root = c->model == PCI_MODEL_PCI_ROOT || c->model == PCI_MODEL_PCIE_ROOT;
        const char *name = pci_controller_model_to_string(c->model);

        if (!name)
                return set_errorf(p->ret_error, -EINVAL, "controller pci %u: unknown model %d", c->index,
                                  c->model);
        if (!models[c->model].supported)
                return set_errorf(p->ret_error, -EOPNOTSUPP, "%s %u: not supported", name, c->index);
        if (c->index >= PCI_BUS_MAX)
                return set_errorf(p->ret_error, -EINVAL, "%s %u: index must be below %u", name, c->index,
                                  PCI_BUS_MAX);
        if (root != (c->index == 0))
                return set_errorf(p->ret_error, -EINVAL, "%s %u: only pci-root or pcie-root has index 0",
                                  name, c->index);
        if (root && c->model != (p->q35 ? PCI_MODEL_PCIE_ROOT : PCI_MODEL_PCI_ROOT))
                return set_errorf(p->ret_error, -EINVAL, "%s %u: the %s machine has %s", name, c->index,
                                  p->q35 ? "q35" : "pc", p->q35 ? "pcie-root" : "pci-root");
        if (root && c->addr.set)
                return set_errorf(p->ret_error, -EINVAL, "%s %u: a root bus has no PCI address", name,
                                  c->index);
        return 0;
}

/* The controllers by index, the root and any gap below the highest index
 * filled with what libvirt would put there (qemuDomainPCIAddressSetCreate():
 * pcie-root-port on q35, pci-bridge on pc). */
static int setup_controllers(Planner *p, const PciController *given, size_t n_given) {
        size_t n = 1;
        int r;

        p->max_given_index = -1;
        for (size_t i = 0; i < n_given; i++) {
                r = check_controller(p, &given[i]);
                if (r < 0)
                        return r;
                if ((int) given[i].index > p->max_given_index)
                        p->max_given_index = (int) given[i].index;
        }
        if (p->max_given_index >= 0)
                n = (size_t) p->max_given_index + 1;
        p->ctrls = calloc(n, sizeof(PciController));
        if (!p->ctrls)
                return -ENOMEM;
        p->n_ctrls = n;
        for (size_t i = 0; i < n; i++) {
                PciControllerModel m = i == 0 ? (p->q35 ? PCI_MODEL_PCIE_ROOT : PCI_MODEL_PCI_ROOT)
                                              : (p->q35 ? PCI_MODEL_PCIE_ROOT_PORT : PCI_MODEL_PCI_BRIDGE);
                p->ctrls[i] = (PciController){ .model = m, .index = i, .added = true };
        }
        for (size_t i = 0; i < n_given; i++) {
                PciController *c = &p->ctrls[given[i].index];

                if (!c->added)
                        return set_errorf(p->ret_error, -EINVAL, "%s %u: index %u is used twice",
                                          models[given[i].model].name, given[i].index, given[i].index);
                *c = given[i];
                c->added = false;
                c->addr.multifunction = given[i].addr.set && given[i].addr.multifunction;
        }
        return 0;
}

static int setup_devices(Planner *p, const PciDevice *devs, size_t n_devs) {
        size_t k = 0;

        p->devs = devs;
        p->n_devs = n_devs;
        p->cur = calloc(n_devs ? n_devs : 1, sizeof(PciAddress));
        p->given = calloc(n_devs ? n_devs : 1, sizeof(bool));
        p->order = calloc(n_devs ? n_devs : 1, sizeof(size_t));
        if (!p->cur || !p->given || !p->order)
                return -ENOMEM;
        for (size_t i = 0; i < n_devs; i++) {
                if ((unsigned) devs[i].cls >= _PCI_CLASS_MAX)
                        return set_errorf(p->ret_error, -EINVAL, "device %zu: unknown class %d", i,
                                          devs[i].cls);
                if (!uses_pci(&devs[i]))
                        continue;
                p->given[i] = devs[i].addr.set;
                if (devs[i].addr.set)
                        p->cur[i] = devs[i].addr;
        }
        /* Stable: document order within each group. */
        for (unsigned rank = 0; rank < _PCI_CLASS_MAX; rank++)
                for (size_t i = 0; i < n_devs; i++)
                        if (class_rank(devs[i].cls) == rank)
                                p->order[k++] = i;
        return 0;
}

static PciAddress *owner_addr(Planner *p, int owner) {
        if (owner >= OWNER_CTRL)
                return &p->ctrls[owner - OWNER_CTRL].addr;
        if (owner > 0)
                return &p->cur[owner - 1];
        return NULL;
}

/* Function 0 of a slot with more functions in use is multifunction
 * (virDomainPCIAddressSetAllMulti()); other functions without a function
 * 0 are refused when the config asked for them. */
static int finish_multifunction(Planner *p) {
        char w[48], s[16];

        for (size_t b = 0; b < p->n_buses; b++)
                for (unsigned sl = 0; sl <= PCI_SLOT_MAX; sl++) {
                        const Slot *slot = &p->buses[b].slot[sl];
                        PciAddress *a;

                        if (!(slot->functions & 0xfe))
                                continue;
                        if (slot->functions & 1) {
                                a = owner_addr(p, slot->owner[0]);
                                if (a)
                                        a->multifunction = true;
                                continue;
                        }
                        for (unsigned f = 1; f <= PCI_FUNCTION_MAX; f++) {
                                int o = slot->owner[f];

                                /* Only the config can leave function 0
                                 * empty (or a lone ich9-ehci1 at .7, as
                                 * libvirt places it). */
                                if (!(slot->functions & (1u << f)) || o <= 0 ||
                                    (o < OWNER_CTRL && !p->given[o - 1]))
                                        continue;
                                a = owner_addr(p, o);
                                format_addr(s, a);
                                return set_errorf(
                                        p->ret_error, -EINVAL,
                                        "%s: PCI address %s needs a device at function 0 of its slot",
                                        owner_name(p, o, w), s);
                        }
                }
        return 0;
}

/* libvirt's defaults for the <target> of each controller and its check
 * that a pci-bridge sits on a lower bus than its own
 * (qemuDomainAssignPCIAddresses()). */
static int finish_controllers(Planner *p) {
        char w[48];

        for (size_t i = 1; i < p->n_ctrls; i++) {
                PciController *c = &p->ctrls[i];

                switch (c->model) {
                case PCI_MODEL_PCI_BRIDGE:
                        if (c->addr.bus >= c->index)
                                return set_errorf(p->ret_error, -EINVAL,
                                                  "%s: its index must be larger than its bus 0x%02x",
                                                  ctrl_what(p, i, w), c->addr.bus);
                        if (!c->has_chassis)
                                c->chassis = c->index;
                        break;
                case PCI_MODEL_PCIE_ROOT_PORT:
                case PCI_MODEL_PCIE_SWITCH_DOWNSTREAM_PORT:
                        if (!c->has_chassis)
                                c->chassis = c->index;
                        if (!c->has_port)
                                c->port = c->model == PCI_MODEL_PCIE_ROOT_PORT
                                                  ? (c->addr.slot << 3) + c->addr.function
                                                  : c->addr.slot;
                        break;
                default: continue;
                }
                c->has_chassis = true;
                c->has_port = c->has_port || c->model != PCI_MODEL_PCI_BRIDGE;
        }
        return 0;
}

int pci_plan(bool q35, const PciController *given, size_t n_given, PciDevice *devs, size_t n_devs,
             unsigned spare_root_ports, PciPlan *ret, char **ret_error) {
        _cleanup_(planner_done) Planner p = { .q35 = q35, .ret_error = ret_error };
        int r;

        r = setup_controllers(&p, given, n_given);
        if (r < 0)
                return r;
        r = setup_devices(&p, devs, n_devs);
        if (r < 0)
                return r;
        /* Two runs as libvirt: the first finds out which controllers
         * are needed, the second places everything on them. */
        r = run_pass(&p, /* dry_run= */ true, spare_root_ports);
        if (r < 0)
                return r;
        r = run_pass(&p, /* dry_run= */ false, 0);
        if (r < 0)
                return r;
        r = finish_multifunction(&p);
        if (r < 0)
                return r;
        r = finish_controllers(&p);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_devs; i++)
                if (uses_pci(&devs[i]))
                        devs[i].addr = p.cur[i];
        *ret = (PciPlan){ .controllers = TAKE_PTR(p.ctrls), .n_controllers = p.n_ctrls };
        return 0;
}

void pci_plan_done(PciPlan *p) {
        if (!p)
                return;
        free(p->controllers);
        *p = (PciPlan){ 0 };
}

char *pci_bus_id(bool q35, unsigned bus) {
        char *s = NULL;

        if (bus == 0)
                return strdup(q35 ? "pcie.0" : "pci.0");
        if (asprintf(&s, "pci.%u", bus) < 0)
                return NULL;
        return s;
}

int pci_format_device_address(bool q35, const PciAddress *a, char **ret) {
        _cleanup_free_ char *bus = pci_bus_id(q35, a->bus);
        char fn[8] = "";
        char *s = NULL;

        if (!bus)
                return -ENOMEM;
        if (a->function != 0)
                snprintf(fn, sizeof(fn), ".0x%x", a->function & 0x7u);
        if (asprintf(&s, "bus=%s,addr=0x%x%s%s", bus, a->slot, fn,
                     a->multifunction ? ",multifunction=on" : "") < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}
