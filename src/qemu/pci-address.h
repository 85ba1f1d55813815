/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Guest PCI address assignment the way libvirt (9.x) does it, so that a
 * guest defined without <address> elements gets the same slots it would
 * get under libvirt (NIC names such as enp1s0 and disk order depend on
 * them), and so that given addresses are honoured and checked.
 *
 * A pure module: plain structs in, plain structs out, no domain model.
 * The argv builder fills PciController/PciDevice from the domain, calls
 * pci_plan(), then emits the controllers of the plan and each device's
 * "bus=...,addr=..." (pci_format_device_address()).
 *
 * The planner replays libvirt's qemuDomainAssignPCIAddresses(): a dry run
 * that only counts how many buses are needed (adding pcie-root-ports,
 * pci-bridges or a pcie-root-port + pcie-to-pci-bridge pair as libvirt's
 * virDomainPCIAddressSetGrow() does), then the real run over the final
 * set of buses, where controllers are placed before devices. Replaying
 * the algorithm instead of hard-coding layouts keeps the corner cases
 * (which root port the pcie-to-pci-bridge lands in, where the spare
 * hotplug port goes) the same as libvirt's.
 *
 * Deliberate differences from libvirt, each refused instead of guessed:
 * an address naming a bus above the highest controller index (libvirt
 * would invent controllers for it), pci-expander-bus/pcie-expander-bus
 * (they need busNr/NUMA choices). A given address at a non-zero function
 * needs a device at function 0 of that slot (QEMU would start, but the
 * guest never scans the slot's other functions).
 */

#include <stdbool.h>
#include <stddef.h>

#define PCI_SLOT_MAX 31U
#define PCI_FUNCTION_MAX 7U

typedef struct PciAddress {
        unsigned domain, bus, slot, function;
        bool multifunction; /* out: set on function 0 when other functions of the slot are used */
        bool set;           /* in: given in the XML; out: always true for PCI devices */
} PciAddress;

typedef enum PciControllerModel {
        PCI_MODEL_PCI_ROOT,
        PCI_MODEL_PCIE_ROOT,
        PCI_MODEL_PCIE_ROOT_PORT,
        PCI_MODEL_PCI_BRIDGE,
        PCI_MODEL_DMI_TO_PCI_BRIDGE,
        PCI_MODEL_PCIE_TO_PCI_BRIDGE,
        PCI_MODEL_PCIE_SWITCH_UPSTREAM_PORT,
        PCI_MODEL_PCIE_SWITCH_DOWNSTREAM_PORT,
        PCI_MODEL_PCI_EXPANDER_BUS,  /* refused: -EOPNOTSUPP */
        PCI_MODEL_PCIE_EXPANDER_BUS, /* refused: -EOPNOTSUPP */
        _PCI_MODEL_MAX,
} PciControllerModel;

typedef struct PciController {
        PciControllerModel model;
        unsigned index;  /* the bus number its children use */
        PciAddress addr; /* where it plugs in (unset for the roots) */
        /* <target chassis='' port=''>: pcie-root-port and
         * pcie-switch-downstream-port use both, pci-bridge uses chassis
         * (chassisNr). Defaults as libvirt: chassis = index, port =
         * slot << 3 | function (downstream port: slot). */
        unsigned chassis, port;
        bool has_chassis, has_port;
        bool added; /* out: created by the planner */
} PciController;

/* What a device can plug into: libvirt's connect flags. A device with
 * neither PCI_DEV_PCI nor PCI_DEV_PCIE does not use PCI (ramfb, a
 * virtio-mmio device, ...) and is left alone. */
enum {
        PCI_DEV_PCI = 1 << 0,        /* conventional PCI ("pciFlags") */
        PCI_DEV_PCIE = 1 << 1,       /* PCIe endpoint or virtio ("pcieFlags"); conventional on pc */
        PCI_DEV_HOTPLUG = 1 << 2,    /* needs a hotpluggable slot */
        PCI_DEV_INTEGRATED = 1 << 3, /* must sit on bus 0 (pvpanic, virtio-iommu) */
};

/* Device groups in the order qemuDomainAssignDevicePCISlots() hands out
 * slots. All CONTROLLER_* classes are one group (libvirt walks its
 * controller list in document order), so pass controllers in document
 * order among themselves. */
typedef enum PciDeviceClass {
        PCI_CLASS_FS,
        PCI_CLASS_NET,
        PCI_CLASS_SOUND, /* model "ich9" goes to 00:1b.0 on q35 */
        PCI_CLASS_CONTROLLER_USB,
        PCI_CLASS_CONTROLLER_SCSI,
        PCI_CLASS_CONTROLLER_VIRTIO_SERIAL,
        PCI_CLASS_CONTROLLER_SATA, /* index 0 is the ICH9 AHCI at 00:1f.2 on q35 */
        PCI_CLASS_CONTROLLER_IDE,  /* index 0 is the PIIX3 IDE at 00:01.1 on pc */
        PCI_CLASS_DISK,
        PCI_CLASS_HOSTDEV,
        PCI_CLASS_BALLOON,
        PCI_CLASS_RNG,
        PCI_CLASS_WATCHDOG,
        PCI_CLASS_VIDEO, /* the first one is the primary: 00:02.0 on pc, 00:01.0 on q35 */
        PCI_CLASS_SHMEM,
        PCI_CLASS_INPUT,
        PCI_CLASS_SERIAL, /* pci-serial */
        PCI_CLASS_IOMMU,
        PCI_CLASS_VSOCK,
        PCI_CLASS_MEMORY, /* virtio-mem, virtio-pmem */
        PCI_CLASS_CRYPTO,
        PCI_CLASS_PANIC,
        _PCI_CLASS_MAX,
} PciDeviceClass;

typedef struct PciDevice {
        const char *what; /* "interface 2": names it in messages */
        PciDeviceClass cls;
        unsigned flags; /* PCI_DEV_* */
        /* Controllers: the model ("piix3-uhci", "ich9-ehci1", "ich9-uhci1",
         * "qemu-xhci", ...; "ich9" for sound) and the controller index.
         * ich9-ehci1 and ich9-uhci1..3 of one index share a slot
         * (functions 7, 0, 1, 2) as libvirt's companion controllers. */
        const char *model;
        unsigned index;
        PciAddress addr; /* in: given (set) or not; out: the address */
} PciDevice;

typedef struct PciPlan {
        PciController *controllers; /* given plus added, sorted by index */
        size_t n_controllers;
} PciPlan;

/* Assigns a PCI address to every device in devs that uses PCI and has
 * none, and to every given controller without one, adding the
 * controllers libvirt would add. q35: a pcie-root machine; otherwise pc
 * (i440fx, pci-root). given may lack the root controller (index 0),
 * which is then added. spare_root_ports (q35): make sure at least this
 * many more empty pcie-root-ports exist for hotplug, on top of the one
 * libvirt keeps free for a guest whose controllers it chose itself.
 *
 * Returns 0 and fills *ret (free with pci_plan_done()) and devs[].addr;
 * or -EINVAL (a bad or colliding address, no room), -EOPNOTSUPP (an
 * expander bus) or -ENOMEM, with *ret_error = "what: reason" when
 * ret_error is not NULL. On failure devs and *ret are untouched. */
int pci_plan(bool q35, const PciController *given, size_t n_given, PciDevice *devs, size_t n_devs,
             unsigned spare_root_ports, PciPlan *ret, char **ret_error);

void pci_plan_done(PciPlan *p);

/* "pcie-root-port" etc., as libvirt's XML and (for the roots) our names. */
const char *pci_controller_model_to_string(PciControllerModel m);

/* QEMU's id of a bus: "pcie.0" for the root on q35, "pci.0" on pc,
 * "pci.N" for the controller with index N. Returns malloc'd or NULL. */
char *pci_bus_id(bool q35, unsigned bus);

/* "bus=pci.0,addr=0x3" / "bus=pcie.0,addr=0x1d.0x7" with
 * ",multifunction=on" when set: the -device options for an address, as
 * libvirt writes them. Returns 0 and a malloc'd *ret, or -ENOMEM. */
int pci_format_device_address(bool q35, const PciAddress *a, char **ret);
