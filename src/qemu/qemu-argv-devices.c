/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain model -> QEMU 7.2 argv: devices. Device and node names follow
 * libvirt's aliases where libvirt has a convention (virtio-disk0,
 * sata0-0-1, net0, serial0, console1, video0, input0, balloon0), so QMP
 * commands and logs read the same as on a libvirt host.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "paths.h"
#include "qemu-argv-internal.h"
#include "qemu-disk.h"

#define MAX_ISA_SERIAL 4
#define VIRTIO_SERIAL_PORTS 31     /* virtio-serial-pci's default max_ports: 0..30 */
#define CONTROLLER_INDEX_LIMIT 256 /* controller indexes are 0..255 */
#define MAX_SATA_PORTS 6

static bool string_in_serial_charset(const char *s) {
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.+-") == strlen(s);
}

/* ---- lookups ------------------------------------------------------------ */

static bool usb_companion(const DomainController *c);

/* The controller of type and index; UHCI companions share their EHCI
 * master's index and are not the controller of that index. */
static const DomainController *controller_find(const Domain *d, DomainControllerType type, unsigned index) {
        for (size_t i = 0; i < d->n_controllers; i++)
                if (d->controllers[i].type == type && d->controllers[i].index == index &&
                    !usb_companion(&d->controllers[i]))
                        return &d->controllers[i];
        return NULL;
}

static DomainInputBus input_bus(const DomainInput *in) {
        if (in->bus != DOMAIN_INPUT_BUS_DEFAULT)
                return in->bus;
        return in->type == DOMAIN_INPUT_TABLET ? DOMAIN_INPUT_BUS_USB : DOMAIN_INPUT_BUS_PS2;
}

static bool need_disk_bus(const Domain *d, DomainDiskBus bus) {
        for (size_t i = 0; i < d->n_disks; i++)
                if (domain_disk_bus(&d->disks[i]) == bus)
                        return true;
        return false;
}

static bool need_usb(const Domain *d) {
        for (size_t i = 0; i < d->n_inputs; i++)
                if (input_bus(&d->inputs[i]) == DOMAIN_INPUT_BUS_USB)
                        return true;
        if (d->n_redirdevs > 0 || d->n_hubs > 0 || d->n_smartcards > 0)
                return true;
        for (size_t i = 0; i < d->n_sounds; i++)
                if (d->sounds[i].model == DOMAIN_SOUND_USB)
                        return true;
        return need_disk_bus(d, DOMAIN_DISK_BUS_USB);
}

static bool char_is_virtio_console(const DomainChar *c) {
        return c->kind == DOMAIN_CHAR_CONSOLE && c->target_type == DOMAIN_CHAR_TARGET_VIRTIO;
}

/* Virtio consoles and channels sit on the virtio-serial bus. */
static bool need_virtio_serial(const Domain *d) {
        for (size_t i = 0; i < d->n_chars; i++)
                if (char_is_virtio_console(&d->chars[i]) || d->chars[i].kind == DOMAIN_CHAR_CHANNEL)
                        return true;
        return false;
}

/* ---- controllers -------------------------------------------------------- */

const char *qemu_argv_usb_controller_driver(const char *model) {
        static const struct {
                const char *model, *driver;
        } table[] = {
                { "qemu-xhci", "qemu-xhci" },
                { "nec-xhci", "nec-usb-xhci" },
                { "piix3-uhci", "piix3-usb-uhci" },
                { "piix4-uhci", "piix4-usb-uhci" },
                { "ehci", "usb-ehci" },
                { "ich9-ehci1", "ich9-usb-ehci1" },
                { "ich9-uhci1", "ich9-usb-uhci1" },
                { "ich9-uhci2", "ich9-usb-uhci2" },
                { "ich9-uhci3", "ich9-usb-uhci3" },
                { "vt82c686b-uhci", "vt82c686b-usb-uhci" },
                { "pci-ohci", "pci-ohci" },
        };

        /* No model: qemu-xhci, what libvirt picks for modern guests. */
        if (!model)
                return "qemu-xhci";
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(model, table[i].model))
                        return table[i].driver;
        return NULL;
}

static bool usb_companion(const DomainController *c) {
        return c->model && strncmp(c->model, "ich9-uhci", strlen("ich9-uhci")) == 0;
}

/* The QEMU id of USB controller index: "usb" for 0, as libvirt. */
static int usb_id(unsigned index, char buf[static 16]) {
        return index == 0 ? snprintf(buf, 16, "usb") : snprintf(buf, 16, "usb%u", index);
}

/* ICH9's UHCI companions serve the ports of the EHCI controller with the
 * same index: masterbus= names its bus, firstport= the first port (libvirt
 * gives them no id of their own). xHCI's ports= sets both its USB 2 and
 * USB 3 port counts, as libvirt does. */
static int build_controller_usb(QemuArgvBuilder *b, size_t i, const DomainController *c) {
        const char *driver;
        char id[16];

        if (streq_ptr(c->model, "none"))
                return 0;
        driver = qemu_argv_usb_controller_driver(c->model);
        if (!driver)
                return qemu_argv_fail(b, "unsupported USB controller model '%s'", c->model);
        usb_id(c->index, id);
        if (usb_companion(c))
                return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "%s,masterbus=%s.0,firstport=%u",
                                            driver, id, (unsigned) c->master_startport.value);
        if (c->ports.set)
                return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "%s,id=%s,p2=%u,p3=%u", driver, id,
                                            (unsigned) c->ports.value, (unsigned) c->ports.value);
        return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "%s,id=%s", driver, id);
}

static int build_controller_virtio_serial(QemuArgvBuilder *b, size_t i, const DomainController *c) {
        _cleanup_free_ char *dev = NULL;
        char driver[64];
        int r;

        r = qemu_argv_appendf(&dev, "%s,id=virtio-serial%u",
                              qemu_virtio_pci_driver("virtio-serial",
                                                     streq_ptr(c->model, "virtio-transitional")
                                                             ? DOMAIN_VIRTIO_MODEL_TRANSITIONAL
                                                     : streq_ptr(c->model, "virtio-non-transitional")
                                                             ? DOMAIN_VIRTIO_MODEL_NON_TRANSITIONAL
                                                             : DOMAIN_VIRTIO_MODEL_VIRTIO,
                                                     driver),
                              c->index);
        if (r >= 0 && c->ports.set)
                r = qemu_argv_appendf(&dev, "max_ports=%u", (unsigned) c->ports.value);
        if (r >= 0 && c->vectors.set)
                r = qemu_argv_appendf(&dev, "vectors=%u", (unsigned) c->vectors.value);
        if (r < 0)
                return r;
        return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "%s", dev);
}

/* virtio-scsi with its <driver> options (libvirt's mapping:
 * queues -> num_queues, the rest by name); lsilogic is QEMU's
 * lsi53c895a, which has none of them. */
static int build_controller_scsi(QemuArgvBuilder *b, size_t i, const DomainController *c) {
        _cleanup_free_ char *opts = NULL;
        int r = 0;

        if (streq_ptr(c->model, "lsilogic")) {
                if (c->queues || c->iothread || c->cmd_per_lun || c->max_sectors || c->ioeventfd)
                        return qemu_argv_fail(
                                b, "SCSI controller %u: model 'lsilogic' takes no <driver> options",
                                c->index);
                return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "lsi53c895a,id=scsi%u", c->index);
        }
        if (c->model && !streq(c->model, "virtio-scsi"))
                return qemu_argv_fail(b, "unsupported SCSI controller model '%s' (virtio-scsi or lsilogic)",
                                      c->model);
        if (c->iothread && !qemu_argv_iothread_defined(b->d, c->iothread))
                return qemu_argv_fail(b, "SCSI controller %u: iothread %u is not defined in <iothreads>",
                                      c->index, c->iothread);
        if (c->iothread)
                r = qemu_argv_appendf(&opts, "iothread=iothread%u", c->iothread);
        if (r >= 0 && c->queues)
                r = qemu_argv_appendf(&opts, "num_queues=%u", c->queues);
        if (r >= 0 && c->cmd_per_lun)
                r = qemu_argv_appendf(&opts, "cmd_per_lun=%u", c->cmd_per_lun);
        if (r >= 0 && c->max_sectors)
                r = qemu_argv_appendf(&opts, "max_sectors=%u", c->max_sectors);
        if (r >= 0 && c->ioeventfd)
                r = qemu_argv_appendf(&opts, "ioeventfd=%s",
                                      c->ioeventfd == DOMAIN_TRISTATE_ON ? "on" : "off");
        if (r < 0)
                return r;
        return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "virtio-scsi-pci,id=scsi%u%s%s", c->index,
                                    opts ? "," : "", opts ?: "");
}

/* PCI controllers are checked by qemu_argv_plan_pci() and emitted from
 * the plan by qemu_argv_build_pci_controllers(), before any device. */
static int build_controller(QemuArgvBuilder *b, size_t i, const DomainController *c) {
        switch (c->type) {
        case DOMAIN_CONTROLLER_USB: return build_controller_usb(b, i, c);
        case DOMAIN_CONTROLLER_PCI: return 0;
        case DOMAIN_CONTROLLER_SCSI: return build_controller_scsi(b, i, c);
        case DOMAIN_CONTROLLER_SATA:
                if (c->model)
                        return qemu_argv_fail(b, "SATA controllers take no model");
                /* q35's ICH9 has its AHCI built in (QEMU calls it "ide"). */
                if (b->q35 && c->index == 0)
                        return 0;
                return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "ich9-ahci,id=sata%u", c->index);
        case DOMAIN_CONTROLLER_IDE:
                if (b->q35)
                        return qemu_argv_fail(
                                b, "IDE controllers are not available on q35 machine types; use bus='sata'");
                /* The pc machine's PIIX3 IDE function is built in. */
                if (c->index != 0 || (c->model && !streq(c->model, "piix3")))
                        return qemu_argv_fail(
                                b, "only the built-in IDE controller (index 0, model piix3) is supported");
                return 0;
        case DOMAIN_CONTROLLER_VIRTIO_SERIAL: return build_controller_virtio_serial(b, i, c);
        /* The smartcard's usb-ccid comes with the <smartcard>; the floppy
         * controller is part of the pc machine. */
        case DOMAIN_CONTROLLER_CCID:
        case DOMAIN_CONTROLLER_FDC: return 0;
        default: return qemu_argv_fail(b, "unsupported controller type");
        }
}

/* Whether the devices need controller type (index 0) that the XML did
 * not list, which libvirt then adds implicitly. */
bool qemu_argv_need_implicit_controller(const Domain *d, bool q35, DomainControllerType type) {
        if (controller_find(d, type, 0))
                return false;
        switch (type) {
        case DOMAIN_CONTROLLER_USB: return need_usb(d);
        case DOMAIN_CONTROLLER_SCSI: return need_disk_bus(d, DOMAIN_DISK_BUS_SCSI);
        case DOMAIN_CONTROLLER_SATA: return !q35 && need_disk_bus(d, DOMAIN_DISK_BUS_SATA);
        case DOMAIN_CONTROLLER_VIRTIO_SERIAL: return need_virtio_serial(d);
        default: return false;
        }
}

static int build_implicit_controllers(QemuArgvBuilder *b) {
        static const struct {
                DomainControllerType type;
                const char *device;
        } table[] = {
                { DOMAIN_CONTROLLER_USB, "qemu-xhci,id=usb" },
                { DOMAIN_CONTROLLER_SCSI, "virtio-scsi-pci,id=scsi0" },
                { DOMAIN_CONTROLLER_SATA, "ich9-ahci,id=sata0" },
                { DOMAIN_CONTROLLER_VIRTIO_SERIAL, "virtio-serial-pci,id=virtio-serial0" },
        };
        const Domain *d = b->d;
        const DomainController *usb = controller_find(d, DOMAIN_CONTROLLER_USB, 0);
        int r;

        if (need_usb(d) && usb && streq_ptr(usb->model, "none"))
                return qemu_argv_fail(b, "USB devices (tablet, usb disks) need a USB controller, "
                                         "but its model is 'none'");
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                if (!qemu_argv_need_implicit_controller(d, b->q35, table[i].type))
                        continue;
                r = qemu_argv_add_device(b, QEMU_PCI_IMPLICIT, table[i].type, "%s", table[i].device);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_controllers(QemuArgvBuilder *b) {
        const Domain *d = b->d;

        for (size_t i = 0; i < d->n_controllers; i++) {
                const DomainController *c = &d->controllers[i];

                if (!usb_companion(c) && controller_find(d, c->type, c->index) != c)
                        return qemu_argv_fail(b, "two controllers of the same type have index %u", c->index);
        }
        return 0;
}

static int build_controllers(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        int r;

        for (size_t i = 0; i < d->n_controllers; i++) {
                r = build_controller(b, i, &d->controllers[i]);
                if (r < 0)
                        return r;
        }
        return build_implicit_controllers(b);
}

/* ---- disks -------------------------------------------------------------- */

int qemu_argv_disk_index(const char *target, unsigned *ret) {
        unsigned idx = 0;
        size_t n;

        if (!target || strlen(target) < 3 || !strchr("vshf", target[0]) || target[1] != 'd')
                return -EINVAL;
        n = strlen(target + 2);
        if (n > 3 || strspn(target + 2, "abcdefghijklmnopqrstuvwxyz") != n)
                return -EINVAL;
        for (const char *c = target + 2; *c; c++)
                idx = idx * 26 + (unsigned) (*c - 'a' + 1);
        *ret = idx - 1;
        return 0;
}

bool qemu_machine_is_q35(const char *machine) {
        return machine && (streq(machine, "q35") || strncmp(machine, "pc-q35-", 7) == 0);
}

/* Cache modes as libvirt maps them: host page cache bypass (cache.direct),
 * ignoring flushes (cache.no-flush) on the nodes, guest-visible write
 * cache on the device. */
typedef struct DiskCache {
        bool set, direct, no_flush, write_cache;
} DiskCache;

static DiskCache disk_cache(DomainDiskCache c) {
        switch (c) {
        case DOMAIN_DISK_CACHE_NONE: return (DiskCache){ true, true, false, true };
        case DOMAIN_DISK_CACHE_WRITETHROUGH: return (DiskCache){ true, false, false, false };
        case DOMAIN_DISK_CACHE_WRITEBACK: return (DiskCache){ true, false, false, true };
        case DOMAIN_DISK_CACHE_DIRECTSYNC: return (DiskCache){ true, true, false, false };
        case DOMAIN_DISK_CACHE_UNSAFE: return (DiskCache){ true, false, true, true };
        default: return (DiskCache){};
        }
}

static bool disk_readonly(const DomainDisk *disk) {
        return disk->readonly || disk->device == DOMAIN_DISK_DEVICE_CDROM;
}

static const char *disk_protocol_driver(const DomainDisk *disk) {
        if (disk->type == DOMAIN_DISK_TYPE_FILE)
                return "file";
        return disk->device == DOMAIN_DISK_DEVICE_CDROM ? "host_cdrom" : "host_device";
}

/* json-c builders for the plan: each takes an object that may be NULL (an
 * earlier step ran out of memory) and returns it, or NULL after freeing
 * it, so an object is built as one chain and checked once at the end. */
static json_object *put_value(json_object *o, const char *key, json_object *v) {
        if (!o || !v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                json_object_put(o);
                return NULL;
        }
        return o;
}

static json_object *put_str(json_object *o, const char *key, const char *value) {
        return o ? put_value(o, key, json_object_new_string(value)) : NULL;
}

_printf_(3, 4) static json_object *put_strf(json_object *o, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                json_object_put(o);
                return NULL;
        }
        return put_str(o, key, s);
}

static json_object *put_bool(json_object *o, const char *key, bool value) {
        return o ? put_value(o, key, json_object_new_boolean(value)) : NULL;
}

static json_object *put_uint(json_object *o, const char *key, unsigned value) {
        return o ? put_value(o, key, json_object_new_int64(value)) : NULL;
}

/* cache.direct / cache.no-flush, on both nodes, when a cache mode is set. */
static json_object *put_node_cache(json_object *o, DiskCache c) {
        if (!o || !c.set)
                return o;
        return put_value(
                o, "cache",
                put_bool(put_bool(json_object_new_object(), "direct", c.direct), "no-flush", c.no_flush));
}

static const char *disk_io_name(DomainDiskIo io) {
        switch (io) {
        case DOMAIN_DISK_IO_NATIVE: return "native";
        case DOMAIN_DISK_IO_URING: return "io_uring";
        default: return "threads";
        }
}

/* libvirt asks for unmap only when discard='unmap' lets it through;
 * otherwise 'unmap' means 'on'. */
static const char *disk_detect_zeroes_name(const DomainDisk *disk) {
        switch (disk->detect_zeroes) {
        case DOMAIN_DISK_DETECT_ZEROES_UNMAP:
                return disk->discard == DOMAIN_DISK_DISCARD_UNMAP ? "unmap" : "on";
        case DOMAIN_DISK_DETECT_ZEROES_ON: return "on";
        default: return "off";
        }
}

/* read-only and discard, on both nodes as libvirt sets them. */
static json_object *put_node_common(json_object *o, const DomainDisk *disk, bool ro) {
        o = put_bool(o, "read-only", ro);
        if (disk->discard)
                o = put_str(o, "discard", disk->discard == DOMAIN_DISK_DISCARD_UNMAP ? "unmap" : "ignore");
        return o;
}

static int disk_plan_nodes(const DomainDisk *disk, size_t node, QemuDiskPlan *p) {
        DiskCache c = disk_cache(disk->cache);
        bool ro = disk_readonly(disk);
        json_object *o;

        if (asprintf(&p->storage_node, "disk%zu-storage", node) < 0 ||
            asprintf(&p->format_node, "disk%zu-format", node) < 0)
                return -ENOMEM;
        o = put_str(json_object_new_object(), "driver", disk_protocol_driver(disk));
        o = put_str(o, "filename", disk->source);
        o = put_str(o, "node-name", p->storage_node);
        if (disk->io)
                o = put_str(o, "aio", disk_io_name(disk->io));
        p->storage = put_node_common(put_node_cache(o, c), disk, ro);
        o = put_str(json_object_new_object(), "driver",
                    disk->format == DOMAIN_DISK_FORMAT_QCOW2 ? "qcow2" : "raw");
        o = put_str(o, "file", p->storage_node);
        o = put_str(o, "node-name", p->format_node);
        o = put_node_common(put_node_cache(o, c), disk, ro);
        if (o && disk->detect_zeroes)
                o = put_str(o, "detect-zeroes", disk_detect_zeroes_name(disk));
        p->format = o;
        return p->storage && p->format ? 0 : -ENOMEM;
}

_printf_(2, 3) static int disk_fail(char **ret_error, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return -ENOMEM;
        if (ret_error)
                *ret_error = s;
        else
                free(s);
        return -EINVAL;
}

/* The device driver and its bus address: driver, bus..., id. */
static const char *disk_scsi_driver(const DomainDisk *disk) {
        switch (disk->device) {
        case DOMAIN_DISK_DEVICE_CDROM: return "scsi-cd";
        case DOMAIN_DISK_DEVICE_LUN: return "scsi-block";
        default: return "scsi-hd";
        }
}

/* A given <address type='drive'> on sata, ide and scsi: the bus and
 * unit QEMU gets, and libvirt's alias built from them. */
static int disk_drive_head(const DomainDisk *disk, DomainDiskBus bus, const DomainAddress *a, bool q35,
                           json_object **ret, char **ret_error) {
        const char *t = disk->target_dev;
        const char *ide_drv = disk->device == DOMAIN_DISK_DEVICE_CDROM ? "ide-cd" : "ide-hd";
        unsigned ctl = (unsigned) a->controller.value, bs = (unsigned) a->bus.value,
                 tgt = (unsigned) a->target.value, unit = (unsigned) a->unit.value;
        json_object *o = json_object_new_object();

        switch (bus) {
        case DOMAIN_DISK_BUS_SATA:
                if (bs != 0 || tgt != 0 || unit >= MAX_SATA_PORTS) {
                        json_object_put(o);
                        return disk_fail(
                                ret_error,
                                "disk '%s': a SATA drive address has bus 0, target 0 and unit below %d", t,
                                MAX_SATA_PORTS);
                }
                o = put_str(o, "driver", ide_drv);
                if (q35 && ctl == 0)
                        o = put_strf(o, "bus", "ide.%u", unit);
                else
                        o = put_strf(o, "bus", "sata%u.%u", ctl, unit);
                o = put_strf(o, "id", "sata%u-0-%u", ctl, unit);
                break;
        case DOMAIN_DISK_BUS_IDE:
                if (ctl != 0 || bs > 1 || tgt != 0 || unit > 1) {
                        json_object_put(o);
                        return disk_fail(ret_error,
                                         "disk '%s': an IDE drive address is controller 0, bus 0-1, target "
                                         "0, unit 0-1",
                                         t);
                }
                if (q35) {
                        json_object_put(o);
                        return disk_fail(
                                ret_error,
                                "disk '%s': IDE is not available on q35 machine types; use bus='sata'", t);
                }
                o = put_strf(put_str(o, "driver", ide_drv), "bus", "ide.%u", bs);
                o = put_strf(put_uint(o, "unit", unit), "id", "ide0-%u-%u", bs, unit);
                break;
        default: /* scsi */
                if (tgt > 255 || unit > 16383) {
                        json_object_put(o);
                        return disk_fail(ret_error, "disk '%s': SCSI target or unit out of range", t);
                }
                o = put_strf(put_str(o, "driver", disk_scsi_driver(disk)), "bus", "scsi%u.0", ctl);
                o = put_uint(put_uint(put_uint(o, "channel", bs), "scsi-id", tgt), "lun", unit);
                o = put_strf(o, "id", "scsi%u-%u-%u-%u", ctl, bs, tgt, unit);
                break;
        }
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

static int disk_device_head(const DomainDisk *disk, DomainDiskBus bus, unsigned idx, bool q35,
                            json_object **ret, char **ret_error) {
        const char *t = disk->target_dev;
        bool cd = disk->device == DOMAIN_DISK_DEVICE_CDROM;
        const DomainAddress *a = disk->info.address && disk->info.address->type == DOMAIN_ADDRESS_DRIVE
                                         ? disk->info.address
                                         : NULL;
        json_object *o = json_object_new_object();

        if (a &&
            (bus == DOMAIN_DISK_BUS_SATA || bus == DOMAIN_DISK_BUS_IDE || bus == DOMAIN_DISK_BUS_SCSI)) {
                json_object_put(o);
                return disk_drive_head(disk, bus, a, q35, ret, ret_error);
        }
        switch (bus) {
        case DOMAIN_DISK_BUS_VIRTIO:
                o = put_strf(put_str(o, "driver", "virtio-blk-pci"), "id", "virtio-disk%u", idx);
                break;
        case DOMAIN_DISK_BUS_SATA:
                if (idx >= MAX_SATA_PORTS) {
                        json_object_put(o);
                        return disk_fail(ret_error, "disk '%s': the SATA controller has %d ports", t,
                                         MAX_SATA_PORTS);
                }
                o = put_strf(put_str(o, "driver", cd ? "ide-cd" : "ide-hd"), "bus", "%s.%u",
                             q35 ? "ide" : "sata0", idx);
                o = put_strf(o, "id", "sata0-0-%u", idx);
                break;
        case DOMAIN_DISK_BUS_IDE:
                json_object_put(o);
                if (q35)
                        return disk_fail(
                                ret_error,
                                "disk '%s': IDE is not available on q35 machine types; use bus='sata'", t);
                if (idx >= 4)
                        return disk_fail(ret_error, "disk '%s': IDE has 4 units (hda..hdd)", t);
                o = put_strf(put_str(json_object_new_object(), "driver", cd ? "ide-cd" : "ide-hd"), "bus",
                             "ide.%u", idx / 2);
                o = put_strf(put_uint(o, "unit", idx % 2), "id", "ide0-%u-%u", idx / 2, idx % 2);
                break;
        case DOMAIN_DISK_BUS_SCSI:
                if (idx > 16383) {
                        json_object_put(o);
                        return disk_fail(ret_error, "disk '%s': SCSI LUN out of range", t);
                }
                o = put_str(put_str(o, "driver", disk_scsi_driver(disk)), "bus", "scsi0.0");
                o = put_uint(put_uint(put_uint(o, "channel", 0), "scsi-id", 0), "lun", idx);
                o = put_strf(o, "id", "scsi0-0-0-%u", idx);
                break;
        case DOMAIN_DISK_BUS_USB:
                o = put_strf(put_str(put_str(o, "driver", "usb-storage"), "bus", "usb.0"), "id",
                             "usb-disk%u", idx);
                break;
        case DOMAIN_DISK_BUS_FDC:
                json_object_put(o);
                if (q35)
                        return disk_fail(ret_error, "disk '%s': q35 machine types have no floppy controller",
                                         t);
                if (idx >= 2)
                        return disk_fail(ret_error,
                                         "disk '%s': the floppy controller has 2 drives (fda, fdb)", t);
                o = put_uint(put_str(json_object_new_object(), "driver", "floppy"), "unit", idx);
                o = put_strf(o, "id", "fdc0-0-%u", idx);
                break;
        default: json_object_put(o); return disk_fail(ret_error, "disk '%s': unsupported bus", t);
        }
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

/* device='lun': scsi-block on a host block device, as libvirt does. */
static int disk_check_lun(const DomainDisk *disk, DomainDiskBus bus, char **ret_error) {
        const char *t = disk->target_dev;

        if (bus != DOMAIN_DISK_BUS_SCSI)
                return disk_fail(ret_error, "disk '%s': device='lun' needs bus='scsi'", t);
        if (disk->type != DOMAIN_DISK_TYPE_BLOCK)
                return disk_fail(
                        ret_error,
                        "disk '%s': device='lun' needs a host block device (type='block'), not a file", t);
        if (disk->format == DOMAIN_DISK_FORMAT_QCOW2)
                return disk_fail(
                        ret_error,
                        "disk '%s': device='lun' passes the raw device through; type='qcow2' cannot be used",
                        t);
        /* QEMU runs without CAP_SYS_RAWIO, and vmunit does not flip the
         * host's unpriv_sgio switch for the device. */
        if (disk->rawio == DOMAIN_TRISTATE_ON)
                return disk_fail(ret_error,
                                 "disk '%s': rawio='yes' is not supported: QEMU runs without CAP_SYS_RAWIO",
                                 t);
        if (disk->sgio == DOMAIN_DISK_SGIO_UNFILTERED)
                return disk_fail(ret_error,
                                 "disk '%s': sgio='unfiltered' is not supported: vmunit does not change the "
                                 "host's unpriv_sgio setting",
                                 t);
        if (disk->serial || disk->wwn || disk->vendor || disk->product || disk->blockio.logical_block_size ||
            disk->blockio.physical_block_size || disk->blockio.discard_granularity || disk->geometry.cyls)
                return disk_fail(ret_error,
                                 "disk '%s': a passed-through lun reports the host device's own identity "
                                 "and geometry",
                                 t);
        return 0;
}

/* <driver> and identity options against what the chosen QEMU device has. */
static int disk_check_options(const DomainDisk *disk, DomainDiskBus bus, char **ret_error) {
        const char *t = disk->target_dev;
        bool simple = bus == DOMAIN_DISK_BUS_FDC || bus == DOMAIN_DISK_BUS_USB;
        int r;

        if (disk->device == DOMAIN_DISK_DEVICE_LUN) {
                r = disk_check_lun(disk, bus, ret_error);
                if (r < 0)
                        return r;
        }
        if (disk->startup_policy == DOMAIN_DISK_STARTUP_OPTIONAL)
                return disk_fail(ret_error,
                                 "disk '%s': startupPolicy='optional' (dropping a missing medium at start) "
                                 "is not supported",
                                 t);
        if (disk->copy_on_read == DOMAIN_TRISTATE_ON)
                return disk_fail(ret_error,
                                 "disk '%s': copy_on_read='on' needs a copy-on-read filter node, which "
                                 "vmunit does not build",
                                 t);
        /* Only virtio-blk has an iothread property (libvirt: "IOThreads
         * only available for virtio pci and virtio ccw disk"); that the
         * id is one of the domain's is checked in build_disk. */
        if (disk->iothread && bus != DOMAIN_DISK_BUS_VIRTIO)
                return disk_fail(ret_error, "disk '%s': iothread needs bus='virtio'", t);
        if (bus != DOMAIN_DISK_BUS_VIRTIO &&
            (disk->queues || disk->queue_size || disk->virtio.iommu || disk->virtio.ats ||
             disk->virtio.packed || disk->virtio.page_per_vq))
                return disk_fail(ret_error,
                                 "disk '%s': queues, queue_size and the virtio options need bus='virtio'",
                                 t);
        if (disk->queue_size && (disk->queue_size < 2 || (disk->queue_size & (disk->queue_size - 1))))
                return disk_fail(ret_error, "disk '%s': queue_size must be a power of two from 2 to 1024",
                                 t);
        if (bus == DOMAIN_DISK_BUS_FDC && (disk->error_policy || disk->rerror_policy))
                return disk_fail(ret_error, "disk '%s': floppies have no error policy", t);
        if ((disk->vendor || disk->product) && bus != DOMAIN_DISK_BUS_SCSI)
                return disk_fail(ret_error, "disk '%s': <vendor> and <product> need bus='scsi'", t);
        if (disk->wwn && bus != DOMAIN_DISK_BUS_SCSI && bus != DOMAIN_DISK_BUS_SATA &&
            bus != DOMAIN_DISK_BUS_IDE)
                return disk_fail(ret_error, "disk '%s': <wwn> needs bus scsi, sata or ide", t);
        if (disk->geometry.cyls && (simple || disk->device == DOMAIN_DISK_DEVICE_CDROM))
                return disk_fail(ret_error,
                                 "disk '%s': <geometry> needs a virtio, sata, ide or scsi hard disk", t);
        if (disk->rotation_rate &&
            (disk->device != DOMAIN_DISK_DEVICE_DISK ||
             (bus != DOMAIN_DISK_BUS_SATA && bus != DOMAIN_DISK_BUS_IDE && bus != DOMAIN_DISK_BUS_SCSI)))
                return disk_fail(ret_error, "disk '%s': rotation_rate needs a sata, ide or scsi hard disk",
                                 t);
        if (disk->removable && (disk->device != DOMAIN_DISK_DEVICE_DISK ||
                                (bus != DOMAIN_DISK_BUS_USB && bus != DOMAIN_DISK_BUS_SCSI)))
                return disk_fail(ret_error, "disk '%s': removable needs a usb or scsi hard disk", t);
        if (disk->geometry.trans && bus != DOMAIN_DISK_BUS_SATA && bus != DOMAIN_DISK_BUS_IDE)
                return disk_fail(ret_error, "disk '%s': <geometry trans> needs bus sata or ide", t);
        return 0;
}

/* Which device/bus combinations exist, and which device properties the
 * chosen QEMU device has (floppy and usb-storage have no bootindex,
 * serial or write-cache of their own here). */
static int disk_check(const DomainDisk *disk, DomainDiskBus bus, char **ret_error) {
        const char *t = disk->target_dev;
        bool floppy = disk->device == DOMAIN_DISK_DEVICE_FLOPPY;

        if (disk->driver_name && !streq(disk->driver_name, "qemu"))
                return disk_fail(ret_error, "disk '%s': unsupported driver name '%s'", t, disk->driver_name);
        if (floppy != (bus == DOMAIN_DISK_BUS_FDC))
                return disk_fail(ret_error, "disk '%s': floppies go on bus 'fdc' and only floppies do", t);
        if (disk->device == DOMAIN_DISK_DEVICE_CDROM &&
            (bus == DOMAIN_DISK_BUS_VIRTIO || bus == DOMAIN_DISK_BUS_USB))
                return disk_fail(ret_error,
                                 "disk '%s': a cdrom cannot be on bus virtio or usb; use sata, ide or scsi",
                                 t);
        if (!disk->source && disk->device == DOMAIN_DISK_DEVICE_DISK)
                return disk_fail(ret_error, "disk '%s' has no <source>", t);
        if ((floppy || bus == DOMAIN_DISK_BUS_USB) && (disk->boot_order || disk->serial || disk->shareable))
                return disk_fail(ret_error,
                                 "disk '%s': <boot order>, <serial> and <shareable> are not supported on %s",
                                 t, floppy ? "floppies" : "usb disks");
        if (disk->serial && !string_in_serial_charset(disk->serial))
                return disk_fail(ret_error,
                                 "disk '%s': <serial> may only contain letters, digits, space and _ . + -",
                                 t);
        return disk_check_options(disk, bus, ret_error);
}

/* libvirt's names: enospace is QEMU's enospc; without rerror_policy
 * reads follow error_policy (except enospace, which is write-only). */
static const char *disk_error_name(DomainDiskErrorPolicy p) {
        switch (p) {
        case DOMAIN_DISK_ERROR_STOP: return "stop";
        case DOMAIN_DISK_ERROR_REPORT: return "report";
        case DOMAIN_DISK_ERROR_IGNORE: return "ignore";
        case DOMAIN_DISK_ERROR_ENOSPACE: return "enospc";
        default: return NULL;
        }
}

static json_object *put_tristate(json_object *o, const char *key, DomainTristate v) {
        return v ? put_bool(o, key, v == DOMAIN_TRISTATE_ON) : o;
}

static json_object *put_nonzero(json_object *o, const char *key, unsigned v) {
        return v ? put_uint(o, key, v) : o;
}

/* <driver>, <blockio>, <geometry>, <wwn>, <vendor>, <product>: checked
 * against the device by disk_check_options(). */
static json_object *put_device_options(json_object *o, const DomainDisk *disk, DomainDiskBus bus) {
        static const char *const trans[] = { [DOMAIN_DISK_TRANS_NONE] = "none",
                                             [DOMAIN_DISK_TRANS_LBA] = "lba",
                                             [DOMAIN_DISK_TRANS_AUTO] = "auto" };
        DomainDiskErrorPolicy rpolicy = disk->rerror_policy;

        if (!rpolicy && disk->error_policy != DOMAIN_DISK_ERROR_ENOSPACE)
                rpolicy = disk->error_policy;
        if (disk->error_policy)
                o = put_str(o, "werror", disk_error_name(disk->error_policy));
        if (rpolicy)
                o = put_str(o, "rerror", disk_error_name(rpolicy));
        if (bus == DOMAIN_DISK_BUS_VIRTIO) {
                if (disk->iothread)
                        o = put_strf(o, "iothread", "iothread%u", disk->iothread);
                o = put_nonzero(o, "num-queues", disk->queues);
                o = put_nonzero(o, "queue-size", disk->queue_size);
                o = put_tristate(o, "iommu_platform", disk->virtio.iommu);
                o = put_tristate(o, "ats", disk->virtio.ats);
                o = put_tristate(o, "packed", disk->virtio.packed);
                o = put_tristate(o, "page-per-vq", disk->virtio.page_per_vq);
        }
        o = put_nonzero(o, "logical_block_size", disk->blockio.logical_block_size);
        o = put_nonzero(o, "physical_block_size", disk->blockio.physical_block_size);
        o = put_nonzero(o, "discard_granularity", disk->blockio.discard_granularity);
        if (disk->geometry.cyls) {
                o = put_uint(o, "cyls", disk->geometry.cyls);
                o = put_uint(o, "heads", disk->geometry.heads);
                o = put_uint(o, "secs", disk->geometry.secs);
        }
        if (disk->geometry.trans)
                o = put_str(o, "bios-chs-trans", trans[disk->geometry.trans]);
        if (disk->wwn && o)
                o = put_value(o, "wwn", json_object_new_uint64(strtoull(disk->wwn, NULL, 16)));
        o = put_nonzero(o, "rotation_rate", disk->rotation_rate);
        o = put_tristate(o, "removable", disk->removable);
        if (disk->vendor)
                o = put_str(o, "vendor", disk->vendor);
        if (disk->product)
                o = put_str(o, "product", disk->product);
        return o;
}

/* The device's own properties after its address. */
static json_object *put_device_props(json_object *o, const DomainDisk *disk, DomainDiskBus bus,
                                     const QemuDiskPlan *p) {
        DiskCache c = disk_cache(disk->cache);
        bool simple = bus == DOMAIN_DISK_BUS_FDC || bus == DOMAIN_DISK_BUS_USB;

        if (p->format_node)
                o = put_str(o, "drive", p->format_node);
        if (disk->boot_order)
                o = put_uint(o, "bootindex", disk->boot_order);
        if (disk->serial)
                o = put_str(o, "serial", disk->serial);
        if (c.set && !simple)
                o = put_str(o, "write-cache", c.write_cache ? "on" : "off");
        if (disk->shareable)
                o = put_bool(o, "share-rw", true);
        return put_device_options(o, disk, bus);
}

int qemu_disk_plan(const DomainDisk *disk, size_t node, bool q35, QemuDiskPlan *ret, char **ret_error) {
        _cleanup_(qemu_disk_plan_done) QemuDiskPlan p = {};
        DomainDiskBus bus = domain_disk_bus(disk);
        const char *id;
        unsigned idx;
        int r;

        if (qemu_argv_disk_index(disk->target_dev, &idx) < 0)
                return disk_fail(ret_error, "invalid disk target '%s'", disk->target_dev ?: "");
        r = disk_check(disk, bus, ret_error);
        if (r >= 0 && disk->source)
                r = disk_plan_nodes(disk, node, &p);
        if (r >= 0)
                r = disk_device_head(disk, bus, idx, q35, &p.device, ret_error);
        if (r < 0)
                return r;
        p.device = put_device_props(p.device, disk, bus, &p);
        if (!p.device)
                return -ENOMEM;
        id = json_object_get_string(json_object_object_get(p.device, "id"));
        p.device_id = id ? strdup(id) : NULL;
        if (!p.device_id)
                return -ENOMEM;
        *ret = p;
        p = (QemuDiskPlan){};
        return 0;
}

void qemu_disk_plan_done(QemuDiskPlan *p) {
        json_object_put(p->storage);
        json_object_put(p->format);
        json_object_put(p->device);
        free(p->storage_node);
        free(p->format_node);
        free(p->device_id);
        *p = (QemuDiskPlan){};
}

int qemu_disk_plan_set_filename(QemuDiskPlan *p, const char *filename) {
        json_object *v;

        if (!p->storage)
                return -EINVAL;
        v = json_object_new_string(filename);
        /* Replaces the value in place: the key keeps its position. */
        if (!v || json_object_object_add(p->storage, "filename", v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int opt_append(char **s, const char *prefix, const char *key, json_object *v);

static int opt_append_value(char **s, const char *name, json_object *v) {
        _cleanup_free_ char *escaped = NULL;

        switch (json_object_get_type(v)) {
        case json_type_boolean:
                return qemu_argv_appendf(s, "%s=%s", name, json_object_get_boolean(v) ? "on" : "off");
        case json_type_int:
                /* A wwn is a uint64 above INT64_MAX. */
                if (json_object_get_int64(v) < 0)
                        return qemu_argv_appendf(s, "%s=%" PRId64, name, json_object_get_int64(v));
                return qemu_argv_appendf(s, "%s=%" PRIu64, name, json_object_get_uint64(v));
        case json_type_string:
                escaped = qemu_opt_escape(json_object_get_string(v));
                return escaped ? qemu_argv_appendf(s, "%s=%s", name, escaped) : -ENOMEM;
        case json_type_object: {
                /* A block: json_object_object_foreach() declares variables,
                 * which C does not allow straight after a case label. */
                json_object_object_foreach(v, k, sub) {
                        int r = opt_append(s, name, k, sub);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        default: return -EINVAL;
        }
}

static int opt_append(char **s, const char *prefix, const char *key, json_object *v) {
        _cleanup_free_ char *name = NULL;

        if (prefix && asprintf(&name, "%s.%s", prefix, key) < 0)
                return -ENOMEM;
        return opt_append_value(s, name ?: key, v);
}

int qemu_props_to_opt(json_object *o, const char *head_key, char **ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return -EINVAL;
        if (head_key) {
                json_object *head = json_object_object_get(o, head_key);
                if (!json_object_is_type(head, json_type_string))
                        return -EINVAL;
                s = qemu_opt_escape(json_object_get_string(head));
                if (!s)
                        return -ENOMEM;
        }
        json_object_object_foreach(o, k, v) {
                if (head_key && streq(k, head_key))
                        continue;
                r = opt_append(&s, NULL, k, v);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return *ret ? 0 : -EINVAL;
}

static int add_props(QemuArgvBuilder *b, const char *opt, json_object *o, const char *head_key,
                     size_t disk) {
        _cleanup_free_ char *s = NULL;
        int r = qemu_props_to_opt(o, head_key, &s);

        if (r < 0)
                return r;
        if (streq(opt, "-device"))
                return qemu_argv_add_device(b, QEMU_PCI_DISK, disk, "%s", s);
        return qemu_argv_add(b, opt, "%s", s);
}

static int build_disk(QemuArgvBuilder *b, size_t i, const DomainDisk *disk) {
        _cleanup_(qemu_disk_plan_done) QemuDiskPlan p = {};
        _cleanup_free_ char *error = NULL, *file = NULL;
        int r;

        if (disk->iothread && !qemu_argv_iothread_defined(b->d, disk->iothread))
                return qemu_argv_fail(b, "disk '%s': iothread %u is not defined in <iothreads>",
                                      disk->target_dev, disk->iothread);
        r = qemu_disk_plan(disk, i, b->q35, &p, &error);
        if (r == -EINVAL)
                return qemu_argv_fail(b, "%s", error);
        if (r >= 0 && p.storage && b->o->files) {
                r = qemu_argv_file(b, vm_file_kind_of_disk(disk), disk->source, p.storage_node, &file, NULL);
                if (r >= 0)
                        r = qemu_disk_plan_set_filename(&p, file);
        }
        if (r >= 0 && p.storage)
                r = add_props(b, "-blockdev", p.storage, NULL, i);
        if (r >= 0 && p.format)
                r = add_props(b, "-blockdev", p.format, NULL, i);
        if (r >= 0)
                r = add_props(b, "-device", p.device, "driver", i);
        return r;
}

static int build_disks(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        int r;

        for (size_t i = 0; i < d->n_disks; i++) {
                for (size_t j = 0; j < i; j++)
                        if (streq_ptr(d->disks[i].target_dev, d->disks[j].target_dev))
                                return qemu_argv_fail(b, "two disks have target '%s'",
                                                      d->disks[i].target_dev);
                r = build_disk(b, i, &d->disks[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- boot order --------------------------------------------------------- */

/* QEMU refuses two devices with one bootindex; say which instead. */
static int check_boot_orders(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        size_t n = d->n_disks + d->n_interfaces;

        for (size_t i = 0; i < n; i++) {
                unsigned oi =
                        i < d->n_disks ? d->disks[i].boot_order : d->interfaces[i - d->n_disks].boot_order;

                for (size_t j = 0; oi && j < i; j++) {
                        unsigned oj = j < d->n_disks ? d->disks[j].boot_order
                                                     : d->interfaces[j - d->n_disks].boot_order;

                        if (oi == oj)
                                return qemu_argv_fail(b, "two devices have <boot order='%u'>", oi);
                }
        }
        return 0;
}

/* ---- network ------------------------------------------------------------ */

/* libvirt's <model type> is QEMU's device name but for virtio; pcie as
 * in libvirt's qemuDomainDeviceCalculatePCIConnectFlags: the virtio 1.0
 * devices and e1000e are PCI Express endpoints, the rest conventional. */
static const QemuNicModel nic_models[] = {
        { "virtio", "virtio-net-pci", true },
        { "virtio-transitional", "virtio-net-pci-transitional", false },
        { "virtio-non-transitional", "virtio-net-pci-non-transitional", true },
        { "e1000", "e1000", false },
        { "e1000e", "e1000e", true },
        { "rtl8139", "rtl8139", false },
        { "pcnet", "pcnet", false },
        { "ne2k_pci", "ne2k_pci", false },
        { "i82559er", "i82559er", false },
        { "vmxnet3", "vmxnet3", false },
};

const QemuNicModel *qemu_nic_model(const char *model) {
        for (size_t i = 0; i < ELEMENTSOF(nic_models); i++)
                if (streq(model ?: "virtio", nic_models[i].model))
                        return &nic_models[i];
        return NULL;
}

static const char *nic_driver(const char *model) {
        const QemuNicModel *m = qemu_nic_model(model);

        return m ? m->driver : NULL;
}

static int build_interface(QemuArgvBuilder *b, size_t i, const DomainInterface *net) {
        const char *driver = nic_driver(net->model);
        const uint8_t *m = net->mac;
        const char *alias;
        char bootindex[32] = "", id[32];
        int r;

        if (!driver)
                return qemu_argv_fail(
                        b, "unsupported interface model '%s' (use virtio, e1000, e1000e or rtl8139)",
                        net->model);
        if (net->type != DOMAIN_NET_USER)
                return qemu_argv_fail(b, "unsupported interface type");
        if (m[0] & 1)
                return qemu_argv_fail(b, "interface %zu: MAC address is a multicast address", i);
        if (net->boot_order)
                snprintf(bootindex, sizeof(bootindex), ",bootindex=%u", net->boot_order);
        r = qemu_argv_add(b, "-netdev", "user,id=hostnet%zu", i);
        if (r < 0)
                return r;
        r = qemu_argv_user_alias(b, &net->info, &alias);
        if (r < 0)
                return r;
        if (!alias)
                snprintf(id, sizeof(id), "net%zu", i);
        return qemu_argv_add_device(b, QEMU_PCI_NET, i,
                                    "%s,netdev=hostnet%zu,id=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x%s", driver,
                                    i, alias ?: id, m[0], m[1], m[2], m[3], m[4], m[5], bootindex);
}

static int build_interfaces(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->d->n_interfaces; i++) {
                r = build_interface(b, i, &b->d->interfaces[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- serial ports and consoles ------------------------------------------ */

/*
 * libvirt semantics: a <console> with target type serial (or no target
 * type) is the first serial port seen from another angle, not a second
 * device. So it is skipped when a <serial> exists, and becomes serial
 * port 0 when none does. Only the first <console> may be such a console.
 */
typedef struct CharPlan {
        int port;                /* isa-serial index, -1 = not a serial port */
        int console;             /* consoleN alias for virtio consoles, -1 = none */
        int channel;             /* channelN alias for channels, -1 = none */
        unsigned controller, nr; /* channel: virtio-serialC.0, port nr */
        bool skip;               /* console aliasing an existing serial */
} CharPlan;

static int plan_console(QemuArgvBuilder *b, const DomainChar *c, size_t nth, bool have_serial, CharPlan *p) {
        if (char_is_virtio_console(c)) {
                p->console = (int) nth;
                return 0;
        }
        if (nth != 0)
                return qemu_argv_fail(
                        b, "only the first <console> can be a serial console; use target type='virtio'");
        if (have_serial)
                p->skip = true;
        else
                p->port = c->target_port >= 0 ? c->target_port : 0;
        return 0;
}

/* A channel's <address type='virtio-serial' controller bus port>: the
 * controller must exist (index 0 is added when missing), QEMU's
 * virtio-serial has bus 0 only, and port 0 is QEMU's for virtconsole. */
static int channel_given_address(QemuArgvBuilder *b, const DomainChar *c, CharPlan *p) {
        const DomainAddress *a = c->info.address;
        uint64_t port;

        if (!a)
                return 0;
        if (a->type != DOMAIN_ADDRESS_VIRTIO_SERIAL)
                return qemu_argv_fail(b, "a channel's <address> must be of type 'virtio-serial'");
        if (a->bus.set && a->bus.value != 0)
                return qemu_argv_fail(b, "virtio-serial controllers have bus 0 only, not %" PRIu64,
                                      a->bus.value);
        if (a->controller.set && a->controller.value != 0 &&
            !controller_find(b->d, DOMAIN_CONTROLLER_VIRTIO_SERIAL, (unsigned) a->controller.value))
                return qemu_argv_fail(
                        b, "channel on virtio-serial controller %" PRIu64 ", which is not defined",
                        a->controller.value);
        p->controller = a->controller.set ? (unsigned) a->controller.value : 0;
        if (!a->port)
                return 0;
        if (xml_parse_uint64(a->port, &port) < 0 || port < 1 || port >= VIRTIO_SERIAL_PORTS)
                return qemu_argv_fail(b, "virtio-serial port '%s' out of range (1..%d)", a->port,
                                      VIRTIO_SERIAL_PORTS - 1);
        p->nr = (unsigned) port;
        return 0;
}

/* Ports given in <address> are kept; the others get the lowest free port
 * from 1 on their controller, in document order, as libvirt assigns them. */
static int plan_channels(QemuArgvBuilder *b, CharPlan *plan) {
        const Domain *d = b->d;
        _cleanup_free_ uint32_t *used = calloc(CONTROLLER_INDEX_LIMIT, sizeof(uint32_t));
        int r;

        if (!used)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_chars; i++) {
                if (plan[i].channel < 0)
                        continue;
                r = channel_given_address(b, &d->chars[i], &plan[i]);
                if (r < 0)
                        return r;
                if (plan[i].nr == 0)
                        continue;
                if (used[plan[i].controller] & (1u << plan[i].nr))
                        return qemu_argv_fail(b, "two channels use virtio-serial port %u", plan[i].nr);
                used[plan[i].controller] |= 1u << plan[i].nr;
        }
        for (size_t i = 0; i < d->n_chars; i++) {
                uint32_t *u = &used[plan[i].controller];

                if (plan[i].channel < 0 || plan[i].nr > 0)
                        continue;
                for (unsigned nr = 1; nr < VIRTIO_SERIAL_PORTS && plan[i].nr == 0; nr++)
                        if (!(*u & (1u << nr)))
                                plan[i].nr = nr, *u |= 1u << nr;
                if (plan[i].nr == 0)
                        return qemu_argv_fail(b, "more than %d channels on virtio-serial controller %u",
                                              VIRTIO_SERIAL_PORTS - 1, plan[i].controller);
        }
        return 0;
}

static int plan_chars(QemuArgvBuilder *b, CharPlan *plan) {
        const Domain *d = b->d;
        bool have_serial = false, used[MAX_ISA_SERIAL] = {};
        size_t consoles = 0, channels = 0;
        int r;

        for (size_t i = 0; i < d->n_chars; i++)
                have_serial = have_serial || d->chars[i].kind == DOMAIN_CHAR_SERIAL;
        for (size_t i = 0; i < d->n_chars; i++) {
                const DomainChar *c = &d->chars[i];

                plan[i] = (CharPlan){ .port = -1, .console = -1, .channel = -1 };
                if (c->kind == DOMAIN_CHAR_CHANNEL) {
                        plan[i].channel = (int) channels++;
                        continue;
                }
                if (c->kind == DOMAIN_CHAR_CONSOLE) {
                        r = plan_console(b, c, consoles++, have_serial, &plan[i]);
                        if (r < 0)
                                return r;
                } else if (c->target_type != DOMAIN_CHAR_TARGET_DEFAULT &&
                           c->target_type != DOMAIN_CHAR_TARGET_ISA_SERIAL)
                        return qemu_argv_fail(b, "<serial> supports target type isa-serial only");
                else
                        plan[i].port = c->target_port;
                if (plan[i].port >= MAX_ISA_SERIAL)
                        return qemu_argv_fail(b, "serial port %d out of range (0..%d)", plan[i].port,
                                              MAX_ISA_SERIAL - 1);
                if (plan[i].port >= 0) {
                        if (used[plan[i].port])
                                return qemu_argv_fail(b, "two serial ports use port %d", plan[i].port);
                        used[plan[i].port] = true;
                }
        }
        /* Serials without a port get the lowest free one, in order. */
        for (size_t i = 0; i < d->n_chars; i++) {
                if (d->chars[i].kind != DOMAIN_CHAR_SERIAL || plan[i].port >= 0)
                        continue;
                for (int p = 0; p < MAX_ISA_SERIAL && plan[i].port < 0; p++)
                        if (!used[p])
                                plan[i].port = p, used[p] = true;
                if (plan[i].port < 0)
                        return qemu_argv_fail(b, "more than %d serial ports", MAX_ISA_SERIAL);
        }
        return plan_channels(b, plan);
}

static int char_path_checked(QemuArgvBuilder *b, const DomainChar *c, const char *path) {
        if (!path)
                return qemu_argv_fail(b, "a %s character device needs a <source path>",
                                      c->type == DOMAIN_CHAR_FILE ? "file" : "unix");
        if (c->type == DOMAIN_CHAR_UNIX && strlen(path) > UNIX_PATH_LIMIT)
                return qemu_argv_fail(b, "socket path %s is longer than the UNIX socket limit of %d bytes",
                                      path, UNIX_PATH_LIMIT);
        return 0;
}

/* A file backend. Given an fd, QEMU appends: the supervisor opened the
 * file (and truncated it for append='off'), and with append=off QEMU
 * would truncate the fd itself. */
static int char_backend_file(QemuArgvBuilder *b, const DomainChar *c, const char *id, char **ret) {
        _cleanup_free_ char *path = NULL;
        const VmFile *f = NULL;
        int r = qemu_argv_file_opt(b, VM_FILE_LOG, c->path, id, &path, &f);

        if (r < 0)
                return r;
        return qemu_argv_appendf(ret, "file,id=%s,path=%s%s", id, path, c->append || f ? ",append=on" : "");
}

/* A socket QEMU listens on arrives bound (fd=N) with a file table; one it
 * connects to stays a path. */
static int char_backend_unix(QemuArgvBuilder *b, const DomainChar *c, const char *path, const char *id,
                             char **ret) {
        _cleanup_free_ char *name = NULL;
        const VmFile *f = NULL;
        int r = qemu_argv_file_opt(b, VM_FILE_SOCKET, path, id, &name, &f);

        if (r < 0)
                return r;
        return qemu_argv_appendf(ret, "socket,id=%s,%s=%s%s", id,
                                 f && f->delivery == VM_FILE_BY_FD ? "fd" : "path", name,
                                 c->unix_listen ? ",server=on,wait=off" : "");
}

/* The -chardev value for c with id, without the log options. */
static int char_backend(QemuArgvBuilder *b, const DomainChar *c, const char *id, char **ret) {
        _cleanup_free_ char *path = NULL; /* a channel's socket without <source> */
        int r;

        switch (c->type) {
        case DOMAIN_CHAR_PTY: return qemu_argv_appendf(ret, "pty,id=%s", id);
        case DOMAIN_CHAR_NULL: return qemu_argv_appendf(ret, "null,id=%s", id);
        case DOMAIN_CHAR_STDIO:
                /* signal=off: ^C on a foreground `vmctl run` goes to the
                 * guest; stopping QEMU is the supervisor's business. */
                return qemu_argv_appendf(ret, "stdio,id=%s,signal=off", id);
        case DOMAIN_CHAR_FILE:
                r = char_path_checked(b, c, c->path);
                return r < 0 ? r : char_backend_file(b, c, id, ret);
        case DOMAIN_CHAR_UNIX:
                if (!c->path && c->kind == DOMAIN_CHAR_CHANNEL && c->target_name) {
                        path = qemu_channel_socket_path(b->o->runtime_dir, c->target_name);
                        if (!path)
                                return -ENOMEM;
                }
                r = char_path_checked(b, c, path ?: c->path);
                return r < 0 ? r : char_backend_unix(b, c, path ?: c->path, id, ret);
        case DOMAIN_CHAR_SPICEVMC:
                /* The SPICE agent's channel, fed by the SPICE server. */
                if (!qemu_argv_has_spice(b->d))
                        return qemu_argv_fail(b, "a spicevmc channel needs <graphics type='spice'>");
                return qemu_argv_appendf(ret, "spicevmc,id=%s,name=vdagent", id);
        default: return qemu_argv_fail(b, "unsupported character device type");
        }
}

/* The first serial port's copy in the console log (logfile=). */
static int char_console_log(QemuArgvBuilder *b, const char *id, char **chardev) {
        _cleanup_free_ char *logpath = qemu_console_log_path(b->o->runtime_dir), *esc = NULL;
        char opaque[48];
        int r;

        if (!logpath)
                return -ENOMEM;
        snprintf(opaque, sizeof(opaque), "%s-log", id);
        r = qemu_argv_file_opt(b, VM_FILE_LOG, logpath, opaque, &esc, NULL);
        return r < 0 ? r : qemu_argv_appendf(chardev, "logfile=%s,logappend=on", esc);
}

static int build_char_serial(QemuArgvBuilder *b, const DomainChar *c, int port, bool log) {
        _cleanup_free_ char *chardev = NULL;
        char id[32];
        int r;

        snprintf(id, sizeof(id), "charserial%d", port);
        r = char_backend(b, c, id, &chardev);
        if (r >= 0 && log)
                r = char_console_log(b, id, &chardev);
        if (r >= 0)
                r = qemu_argv_add(b, "-chardev", "%s", chardev);
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-device", "isa-serial,chardev=%s,id=serial%d,index=%d", id, port, port);
}

static int build_char_virtio_console(QemuArgvBuilder *b, const DomainChar *c, int n) {
        _cleanup_free_ char *chardev = NULL;
        char id[32];
        int r;

        snprintf(id, sizeof(id), "charconsole%d", n);
        r = char_backend(b, c, id, &chardev);
        if (r >= 0)
                r = qemu_argv_add(b, "-chardev", "%s", chardev);
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-device", "virtconsole,chardev=%s,id=console%d,bus=virtio-serial0.0", id,
                             n);
}

/* -device virtserialport on the virtio-serial bus with the port number
 * planned (nr=, as libvirt always writes it) and the name the guest sees
 * (/dev/virtio-ports/NAME). */
static int build_char_channel(QemuArgvBuilder *b, const DomainChar *c, const CharPlan *p) {
        _cleanup_free_ char *chardev = NULL, *dev = NULL, *name = NULL;
        const char *alias;
        char id[32], devid[32];
        int r;

        snprintf(id, sizeof(id), "charchannel%d", p->channel);
        snprintf(devid, sizeof(devid), "channel%d", p->channel);
        r = qemu_argv_user_alias(b, &c->info, &alias);
        if (r >= 0)
                r = char_backend(b, c, id, &chardev);
        if (r >= 0)
                r = qemu_argv_add(b, "-chardev", "%s", chardev);
        if (r >= 0)
                r = qemu_argv_appendf(&dev, "virtserialport,bus=virtio-serial%u.0,nr=%u,chardev=%s,id=%s",
                                      p->controller, p->nr, id, alias ?: devid);
        if (r >= 0 && c->target_name) {
                name = qemu_opt_escape(c->target_name);
                r = name ? qemu_argv_appendf(&dev, "name=%s", name) : -ENOMEM;
        }
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-device", "%s", dev);
}

static int build_chars(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        _cleanup_free_ CharPlan *plan = calloc(d->n_chars ?: 1, sizeof(CharPlan));
        int log_port = -1, stdio = 0, r;

        if (!plan)
                return -ENOMEM;
        r = plan_chars(b, plan);
        if (r < 0)
                return r;
        for (size_t i = 0; i < d->n_chars; i++) {
                if (plan[i].skip)
                        continue;
                stdio += d->chars[i].type == DOMAIN_CHAR_STDIO;
                if (plan[i].port >= 0 && (log_port < 0 || plan[i].port < log_port))
                        log_port = plan[i].port;
        }
        if (stdio > 1)
                return qemu_argv_fail(b, "only one character device can use stdio");
        for (size_t i = 0; i < d->n_chars; i++) {
                if (plan[i].skip)
                        continue;
                if (plan[i].port >= 0)
                        r = build_char_serial(b, &d->chars[i], plan[i].port,
                                              b->o->console_log && plan[i].port == log_port);
                else if (plan[i].channel >= 0)
                        r = build_char_channel(b, &d->chars[i], &plan[i]);
                else
                        r = build_char_virtio_console(b, &d->chars[i], plan[i].console);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- input, balloon, panic ---------------------------------------------- */

/* virtio-input is virtio 1.0 only: "virtio" and "virtio-non-transitional"
 * are the same device, and there is no transitional one. */
static int build_input_virtio(QemuArgvBuilder *b, size_t i, const DomainInput *in, const char *driver) {
        _cleanup_free_ char *dev = NULL;
        int r;

        if (in->model == DOMAIN_VIRTIO_MODEL_TRANSITIONAL)
                return qemu_argv_fail(b,
                                      "virtio input devices have no transitional model (virtio 1.0 only)");
        r = qemu_argv_appendf(&dev, "%s,id=input%zu", driver, i);
        if (r >= 0)
                r = qemu_argv_virtio_options(&dev, &in->virtio);
        if (r < 0)
                return r;
        return qemu_argv_add_device(b, QEMU_PCI_INPUT, i, "%s", dev);
}

static int build_input(QemuArgvBuilder *b, size_t i, const DomainInput *in) {
        static const char *const usb[] = {
                [DOMAIN_INPUT_MOUSE] = "usb-mouse",
                [DOMAIN_INPUT_KEYBOARD] = "usb-kbd",
                [DOMAIN_INPUT_TABLET] = "usb-tablet",
        };
        static const char *const virtio[] = {
                [DOMAIN_INPUT_MOUSE] = "virtio-mouse-pci",
                [DOMAIN_INPUT_KEYBOARD] = "virtio-keyboard-pci",
                [DOMAIN_INPUT_TABLET] = "virtio-tablet-pci",
        };

        if ((size_t) in->type >= ELEMENTSOF(usb))
                return qemu_argv_fail(b, "unsupported input type");
        switch (input_bus(in)) {
        case DOMAIN_INPUT_BUS_PS2:
                /* The i8042 is part of both machine types. */
                if (in->type == DOMAIN_INPUT_TABLET)
                        return qemu_argv_fail(b, "a tablet cannot be on bus ps2");
                return 0;
        case DOMAIN_INPUT_BUS_USB:
                return qemu_argv_add(b, "-device", "%s,id=input%zu,bus=usb.0", usb[in->type], i);
        case DOMAIN_INPUT_BUS_VIRTIO: return build_input_virtio(b, i, in, virtio[in->type]);
        default: return qemu_argv_fail(b, "unsupported input bus");
        }
}

static int build_inputs(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->d->n_inputs; i++) {
                r = build_input(b, i, &b->d->inputs[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int qemu_argv_build_devices(QemuArgvBuilder *b) {
        int (*const steps[])(QemuArgvBuilder *) = {
                qemu_argv_build_vsock,
                check_boot_orders,
                check_controllers,
                qemu_argv_plan_pci,
                qemu_argv_build_pci_controllers,
                qemu_argv_build_iommu,
                build_controllers,
                build_disks,
                build_interfaces,
                build_chars,
                qemu_argv_build_graphics,
                qemu_argv_build_video,
                build_inputs,
                qemu_argv_build_audio,
                qemu_argv_build_sounds,
                qemu_argv_build_usb_devices,
                qemu_argv_build_watchdogs,
                qemu_argv_build_memballoon,
                qemu_argv_build_rngs,
                qemu_argv_build_panic,
                qemu_argv_build_features,
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                r = steps[i](b);
                if (r < 0)
                        return r;
        }
        return 0;
}
