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

static const DomainController *controller_find(const Domain *d, DomainControllerType type, unsigned index) {
        for (size_t i = 0; i < d->n_controllers; i++)
                if (d->controllers[i].type == type && d->controllers[i].index == index)
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
        };

        /* No model: qemu-xhci, what libvirt picks for modern guests. */
        if (!model)
                return "qemu-xhci";
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(model, table[i].model))
                        return table[i].driver;
        return NULL;
}

static int build_controller_usb(QemuArgvBuilder *b, size_t i, const DomainController *c) {
        const char *driver;

        if (streq_ptr(c->model, "none"))
                return 0;
        driver = qemu_argv_usb_controller_driver(c->model);
        if (!driver)
                return qemu_argv_fail(b, "unsupported USB controller model '%s'", c->model);
        if (c->index == 0)
                return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "%s,id=usb", driver);
        return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "%s,id=usb%u", driver, c->index);
}

/* PCI controllers are checked by qemu_argv_plan_pci() and emitted from
 * the plan by qemu_argv_build_pci_controllers(), before any device. */
static int build_controller(QemuArgvBuilder *b, size_t i, const DomainController *c) {
        switch (c->type) {
        case DOMAIN_CONTROLLER_USB: return build_controller_usb(b, i, c);
        case DOMAIN_CONTROLLER_PCI: return 0;
        case DOMAIN_CONTROLLER_SCSI:
                if (c->model && !streq(c->model, "virtio-scsi"))
                        return qemu_argv_fail(b, "unsupported SCSI controller model '%s' (only virtio-scsi)",
                                              c->model);
                return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i, "virtio-scsi-pci,id=scsi%u",
                                            c->index);
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
                if (c->index != 0 || c->model)
                        return qemu_argv_fail(
                                b, "only the built-in IDE controller (index 0, no model) is supported");
                return 0;
        case DOMAIN_CONTROLLER_VIRTIO_SERIAL:
                if (c->model)
                        return qemu_argv_fail(b, "virtio-serial controllers take no model");
                return qemu_argv_add_device(b, QEMU_PCI_CONTROLLER, i,
                                            "virtio-serial-pci,id=virtio-serial%u", c->index);
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

                if (controller_find(d, c->type, c->index) != c)
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
        p->storage = put_bool(put_node_cache(o, c), "read-only", ro);
        o = put_str(json_object_new_object(), "driver",
                    disk->format == DOMAIN_DISK_FORMAT_QCOW2 ? "qcow2" : "raw");
        o = put_str(o, "file", p->storage_node);
        o = put_str(o, "node-name", p->format_node);
        p->format = put_bool(put_node_cache(o, c), "read-only", ro);
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
static int disk_device_head(const DomainDisk *disk, DomainDiskBus bus, unsigned idx, bool q35,
                            json_object **ret, char **ret_error) {
        const char *t = disk->target_dev;
        bool cd = disk->device == DOMAIN_DISK_DEVICE_CDROM;
        json_object *o = json_object_new_object();

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
                o = put_str(put_str(o, "driver", cd ? "scsi-cd" : "scsi-hd"), "bus", "scsi0.0");
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
        return 0;
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
        return o;
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
        case json_type_int: return qemu_argv_appendf(s, "%s=%" PRId64, name, json_object_get_int64(v));
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

static const char *nic_driver(const char *model) {
        static const struct {
                const char *model, *driver;
        } table[] = {
                { "virtio", "virtio-net-pci" },
                { "e1000", "e1000" },
                { "e1000e", "e1000e" },
                { "rtl8139", "rtl8139" },
        };

        if (!model)
                return "virtio-net-pci";
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(model, table[i].model))
                        return table[i].driver;
        return NULL;
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
                return qemu_argv_fail(b, "spicevmc channels need SPICE, which vmunit does not offer");
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

/* ---- graphics and video ------------------------------------------------- */

/* VNC display numbers are port - 5900. Without a fixed port, QEMU itself
 * picks the first free display in 0..99 (to=99), which is what autoport
 * means; the supervisor learns the port from query-vnc. */
static int build_vnc(QemuArgvBuilder *b, const DomainGraphics *g) {
        _cleanup_free_ char *esc = NULL;
        const char *listen = g->listen ?: "127.0.0.1";
        bool v6 = strchr(listen, ':');

        if (g->socket) {
                if (strlen(g->socket) > UNIX_PATH_LIMIT)
                        return qemu_argv_fail(
                                b, "VNC socket path %s is longer than the UNIX socket limit of %d bytes",
                                g->socket, UNIX_PATH_LIMIT);
                esc = qemu_opt_escape(g->socket);
                return esc ? qemu_argv_add(b, "-vnc", "unix:%s", esc) : -ENOMEM;
        }
        if (strspn(listen, "0123456789abcdefABCDEF.:") != strlen(listen) || !*listen)
                return qemu_argv_fail(b, "VNC listen address '%s' must be an IPv4 or IPv6 address", listen);
        if (g->autoport || g->port < 0)
                return qemu_argv_add(b, "-vnc", "%s%s%s:0,to=99", v6 ? "[" : "", listen, v6 ? "]" : "");
        if (g->port < 5900 || g->port > 65535)
                return qemu_argv_fail(b, "VNC port %d out of range (5900..65535)", g->port);
        return qemu_argv_add(b, "-vnc", "%s%s%s:%d", v6 ? "[" : "", listen, v6 ? "]" : "", g->port - 5900);
}

static int build_graphics(QemuArgvBuilder *b) {
        const Domain *d = b->d;

        if (d->n_graphics == 0)
                return qemu_argv_add(b, "-display", "%s", "none");
        if (d->n_graphics > 1)
                return qemu_argv_fail(b, "only one <graphics> is supported");
        if (d->graphics[0].type != DOMAIN_GRAPHICS_VNC)
                return qemu_argv_fail(b, "only VNC graphics are supported");
        return build_vnc(b, &d->graphics[0]);
}

/* vram -> the device's video memory size property, where it has one. */
static int video_vram_opt(QemuArgvBuilder *b, const DomainVideo *v, char **dev) {
        unsigned mib = v->vram_kib / 1024;

        if (v->vram_kib == 0)
                return 0;
        switch (v->model) {
        case DOMAIN_VIDEO_VGA:
        case DOMAIN_VIDEO_DEFAULT:
                if (v->vram_kib % 1024 || mib < 1 || mib > 512)
                        return qemu_argv_fail(b, "<video vram> for VGA must be whole MiB, 1..512 MiB");
                return qemu_argv_appendf(dev, "vgamem_mb=%u", mib);
        case DOMAIN_VIDEO_CIRRUS:
                if (v->vram_kib % 1024 || (mib != 4 && mib != 8 && mib != 16))
                        return qemu_argv_fail(b, "<video vram> for cirrus must be 4, 8 or 16 MiB");
                return qemu_argv_appendf(dev, "vgamem_mb=%u", mib);
        case DOMAIN_VIDEO_BOCHS: return qemu_argv_appendf(dev, "vgamem=%uk", v->vram_kib);
        default:
                /* virtio-vga and ramfb size their framebuffer from the
                 * guest's mode; libvirt ignores vram for them too. */
                return 0;
        }
}

bool qemu_argv_video(const Domain *d, DomainVideo *ret) {
        if (d->n_videos >= 1)
                *ret = d->videos[0];
        else if (d->n_graphics == 0)
                return false; /* headless: no video unless asked for */
        else
                *ret = (DomainVideo){ .model = DOMAIN_VIDEO_DEFAULT };
        return ret->model != DOMAIN_VIDEO_NONE;
}

static int build_video(QemuArgvBuilder *b) {
        static const char *const drivers[] = {
                [DOMAIN_VIDEO_DEFAULT] = "VGA",         [DOMAIN_VIDEO_VGA] = "VGA",
                [DOMAIN_VIDEO_CIRRUS] = "cirrus-vga",   [DOMAIN_VIDEO_VIRTIO] = "virtio-vga",
                [DOMAIN_VIDEO_BOCHS] = "bochs-display", [DOMAIN_VIDEO_RAMFB] = "ramfb",
        };
        const Domain *d = b->d;
        _cleanup_free_ char *dev = NULL;
        const char *alias;
        DomainVideo v;
        int r;

        if (d->n_videos > 1)
                return qemu_argv_fail(b, "only one <video> is supported");
        if (!qemu_argv_video(d, &v))
                return 0;
        if ((size_t) v.model >= ELEMENTSOF(drivers) || !drivers[v.model])
                return qemu_argv_fail(b, "unsupported video model");
        r = qemu_argv_user_alias(b, &v.info, &alias);
        if (r >= 0)
                r = qemu_argv_appendf(&dev, "%s,id=%s", drivers[v.model], alias ?: "video0");
        if (r >= 0)
                r = video_vram_opt(b, &v, &dev);
        if (r < 0)
                return r;
        return qemu_argv_add_device(b, QEMU_PCI_VIDEO, 0, "%s", dev);
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
                build_graphics,
                build_video,
                build_inputs,
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
