/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/random.h>

#include "domain-xml-internal.h"

/*
 * <devices>: one handler per device element and per child of it, with
 * the children each device accepts listed next to its handler.
 */

#define BOOT_ORDER_MAX 65535U
#define CONTROLLER_INDEX_MAX 255U
#define CHAR_PORT_MAX 255U

/* Boot orders are shared by disks and interfaces; a device's own order
 * was already stored, so it is skipped by address. */
static bool boot_order_taken(const Domain *d, unsigned order, const void *self) {
        for (size_t i = 0; i < d->n_disks; i++)
                if (&d->disks[i] != self && d->disks[i].boot_order == order)
                        return true;
        for (size_t i = 0; i < d->n_interfaces; i++)
                if (&d->interfaces[i] != self && d->interfaces[i].boot_order == order)
                        return true;
        return false;
}

static int parse_boot_order(XmlCtx *c, xmlNode *n, unsigned *ret) {
        int r;

        r = xml_check_attrs(c, n, (const char *const[]){ "order", NULL });
        if (r >= 0)
                r = xml_attr_unsigned(c, n, "order", 1, BOOT_ORDER_MAX, true, ret);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        return r;
}

static int disk_driver(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_schema_parse(c, n, &domain_xml_disk_driver, userdata, userdata);
}

static int disk_refuse(XmlCtx *c, xmlNode *n, const char *reason) {
        return xml_fail_soft(c, n, "element '%s' is not supported: %s", (const char *) n->name, reason);
}

static int source_reservations(XmlCtx *c, xmlNode *n, void *userdata) {
        (void) userdata;
        return disk_refuse(c, n, "persistent reservations need a pr-manager helper vmunit does not run");
}

static int source_slices(XmlCtx *c, xmlNode *n, void *userdata) {
        (void) userdata;
        return disk_refuse(c, n, "storage slices come with the storage work");
}

static int disk_source(XmlCtx *c, xmlNode *n, void *userdata) {
        static const XmlChild children[] = {
                { "reservations", source_reservations, 0 },
                { "slices", source_slices, 0 },
        };
        DomainDisk *disk = userdata;
        const char *attr = disk->type == DOMAIN_DISK_TYPE_BLOCK ? "dev" : "file";
        uint64_t index;
        int r, policy = 0;

        r = xml_check_attrs(c, n, (const char *const[]){ attr, "startupPolicy", "index", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, attr, true, &disk->source);
        /* index=: the node number libvirt gave this image in the running
         * domain's block graph (dumpxml of a live domain writes it). It is
         * run-time state that libvirt itself recomputes at every start, so
         * it is read and forgotten, like a console's pty path. */
        if (r >= 0)
                r = xml_attr_uint(c, n, "index", 0, UINT32_MAX, false, &index);
        if (r >= 0)
                r = xml_attr_enum(c, n, "startupPolicy", &domain_xml_disk_startup_policy, false, &policy);
        if (r >= 0)
                r = XML_PARSE_CHILDREN(c, n, children, disk);
        if (r >= 0)
                r = xml_check_absolute(c, n, "source", disk->source);
        if (r < 0)
                return r;
        /* libvirt: a missing file can only be skipped for removable media
         * ("requisite"), and only file sources have a policy at all. */
        if (policy && disk->type != DOMAIN_DISK_TYPE_FILE)
                return xml_fail(c, n, "startupPolicy is only allowed for disks of type 'file'");
        if (policy == DOMAIN_DISK_STARTUP_REQUISITE && disk->device != DOMAIN_DISK_DEVICE_CDROM &&
            disk->device != DOMAIN_DISK_DEVICE_FLOPPY)
                return xml_fail(c, n, "startupPolicy='requisite' is only allowed for cdrom and floppy");
        disk->startup_policy = policy;
        return 0;
}

/* libvirt writes an empty <backingStore/> for "no backing chain"; one
 * with content describes a chain vmunit does not open. */
static int disk_backing_store(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainDisk *disk = userdata;

        if (n->properties || xmlFirstElementChild(n))
                return disk_refuse(c, n, "backing chains come with the storage work");
        disk->backing_store_none = true;
        return xml_check_empty(c, n);
}

static bool disk_target_valid(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789", *s))
                        return false;
        return true;
}

static int disk_target(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainDisk *disk = userdata;
        int r, bus = disk->bus, tray = 0, removable = 0;

        r = xml_check_attrs(
                c, n, (const char *const[]){ "dev", "bus", "tray", "removable", "rotation_rate", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "dev", true, &disk->target_dev);
        if (r >= 0)
                r = xml_attr_enum(c, n, "bus", &domain_xml_disk_bus, false, &bus);
        if (r >= 0)
                r = xml_attr_enum(c, n, "tray", &domain_xml_disk_tray, false, &tray);
        if (r >= 0)
                r = xml_attr_enum(c, n, "removable", &xml_enum_on_off, false, &removable);
        if (r >= 0)
                r = xml_attr_unsigned(c, n, "rotation_rate", 1, 65535, false, &disk->rotation_rate);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r < 0)
                return r;
        if (!disk_target_valid(disk->target_dev))
                return xml_fail(c, n, "invalid target device name '%s'", disk->target_dev);
        if (tray && disk->device != DOMAIN_DISK_DEVICE_CDROM && disk->device != DOMAIN_DISK_DEVICE_FLOPPY)
                return xml_fail(c, n, "tray is only valid for cdrom and floppy");
        disk->bus = bus;
        disk->tray = tray;
        disk->removable = removable;
        return 0;
}

static int disk_marker(XmlCtx *c, xmlNode *n, bool *ret) {
        int r;

        r = xml_check_empty(c, n);
        if (r >= 0)
                *ret = true;
        return r;
}

static int disk_readonly(XmlCtx *c, xmlNode *n, void *userdata) {
        return disk_marker(c, n, &((DomainDisk *) userdata)->readonly);
}

static int disk_shareable(XmlCtx *c, xmlNode *n, void *userdata) {
        return disk_marker(c, n, &((DomainDisk *) userdata)->shareable);
}

static int disk_boot(XmlCtx *c, xmlNode *n, void *userdata) {
        return parse_boot_order(c, n, &((DomainDisk *) userdata)->boot_order);
}

static int disk_geometry(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_schema_parse(c, n, &domain_xml_disk_geometry, &((DomainDisk *) userdata)->geometry,
                                userdata);
}

static int disk_blockio(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_schema_parse(c, n, &domain_xml_disk_blockio, &((DomainDisk *) userdata)->blockio,
                                userdata);
}

/* libvirt's alphabet for disk serials; it ends up in a QEMU option. */
static int disk_serial(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainDisk *disk = userdata;
        int r;

        r = xml_text_no_attrs(c, n, &disk->serial);
        if (r < 0)
                return r;
        if (!*disk->serial ||
            disk->serial[strspn(disk->serial, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_ .+-")])
                return xml_fail(c, n, "invalid disk serial '%s'", disk->serial);
        return 0;
}

/* libvirt's rule: 16 hex digits, "0x" allowed in front. */
static int disk_wwn(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainDisk *disk = userdata;
        const char *digits;
        int r;

        r = xml_text_no_attrs(c, n, &disk->wwn);
        if (r < 0)
                return r;
        digits = strncmp(disk->wwn, "0x", 2) == 0 ? disk->wwn + 2 : disk->wwn;
        if (strlen(digits) != 16 || strspn(digits, "0123456789abcdefABCDEF") != 16)
                return xml_fail(c, n, "malformed wwn '%s' (16 hex digits)", disk->wwn);
        return 0;
}

/* SCSI INQUIRY strings: printable ASCII, at most max characters. */
static int disk_inquiry_string(XmlCtx *c, xmlNode *n, char **ret, size_t max) {
        int r;

        r = xml_text_no_attrs(c, n, ret);
        if (r < 0)
                return r;
        if (!**ret || strlen(*ret) > max)
                return xml_fail(c, n, "<%s> must be 1 to %zu characters", (const char *) n->name, max);
        for (const char *p = *ret; *p; p++)
                if (*p < 0x20 || *p > 0x7e || *p == ',')
                        return xml_fail(c, n, "<%s> may only contain printable characters other than ','",
                                        (const char *) n->name);
        return 0;
}

static int disk_vendor(XmlCtx *c, xmlNode *n, void *userdata) {
        return disk_inquiry_string(c, n, &((DomainDisk *) userdata)->vendor, 8);
}

static int disk_product(XmlCtx *c, xmlNode *n, void *userdata) {
        return disk_inquiry_string(c, n, &((DomainDisk *) userdata)->product, 16);
}

#define DISK_REFUSED(fn, why)                                  \
        static int fn(XmlCtx *c, xmlNode *n, void *userdata) { \
                (void) userdata;                               \
                return disk_refuse(c, n, why);                 \
        }

DISK_REFUSED(disk_transient,
             "a transient disk needs a temporary overlay image, which comes with the storage work")
DISK_REFUSED(disk_encryption, "encrypted images need secrets, which vmunit does not handle")
DISK_REFUSED(disk_auth, "authentication belongs to network disks, which come with the storage work")
DISK_REFUSED(disk_mirror, "block copy jobs are not supported")
DISK_REFUSED(disk_iotune, "I/O throttling needs throttle groups, which vmunit does not build")

/* Types libvirt knows that vmunit refuses, with why. */
static int disk_type_refused(XmlCtx *c, xmlNode *n) {
        static const struct {
                const char *type, *why;
        } table[] = {
                { "network", "network disks come with the storage work" },
                { "volume", "storage pool volumes come with the storage work" },
                { "nvme", "NVMe passthrough needs a VFIO-bound host controller" },
                { "vhostuser", "vhost-user disks need an external backend and shared memory" },
                { "dir", "directory-backed (vvfat) disks are not supported" },
        };
        _cleanup_free_ char *type = (char *) xmlGetProp(n, (const xmlChar *) "type");

        for (size_t i = 0; type && i < ELEMENTSOF(table); i++)
                if (streq(type, table[i].type))
                        return xml_fail(c, n, "disk type '%s' is not supported: %s", type, table[i].why);
        return 0;
}

static int disk_check(XmlCtx *c, xmlNode *n, const Domain *d, const DomainDisk *disk) {
        if (!disk->source && disk->device == DOMAIN_DISK_DEVICE_DISK)
                return xml_fail(c, n, "missing element 'source'");
        for (const DomainDisk *o = d->disks; o < disk; o++)
                if (streq(o->target_dev, disk->target_dev))
                        return xml_fail(c, n, "duplicate disk target '%s'", disk->target_dev);
        if (disk->boot_order > 0 && boot_order_taken(d, disk->boot_order, disk))
                return xml_fail(c, n, "boot order %u is used twice", disk->boot_order);
        if ((disk->rawio || disk->sgio) && disk->device != DOMAIN_DISK_DEVICE_LUN)
                return xml_fail(c, n, "rawio and sgio can be used only with device='lun'");
        return 0;
}

int domain_xml_parse_disk(XmlCtx *c, xmlNode *n, void *userdata) {
        static const XmlChild children[] = {
                { "driver", disk_driver, 0 },
                { "source", disk_source, 0 },
                { "backingStore", disk_backing_store, 0 },
                { "geometry", disk_geometry, 0 },
                { "blockio", disk_blockio, 0 },
                { "mirror", disk_mirror, 0 },
                { "target", disk_target, XML_CHILD_REQUIRED },
                { "iotune", disk_iotune, 0 },
                { "readonly", disk_readonly, 0 },
                { "shareable", disk_shareable, 0 },
                { "transient", disk_transient, 0 },
                { "serial", disk_serial, 0 },
                { "wwn", disk_wwn, 0 },
                { "vendor", disk_vendor, 0 },
                { "product", disk_product, 0 },
                { "encryption", disk_encryption, 0 },
                { "auth", disk_auth, 0 },
                { "boot", disk_boot, 0 },
                { "alias", domain_xml_parse_device_alias, 0 },
                { "address", domain_xml_parse_device_address, 0 },
        };
        Domain *d = userdata;
        DomainDisk *disk;
        int r, type = DOMAIN_DISK_TYPE_FILE, device = DOMAIN_DISK_DEVICE_DISK, rawio = 0, sgio = 0;

        r = disk_type_refused(c, n);
        if (r < 0)
                return r;
        disk = xml_array_append(&d->disks, &d->n_disks, sizeof(*disk));
        if (!disk)
                return -ENOMEM;
        r = xml_check_attrs(c, n, (const char *const[]){ "type", "device", "rawio", "sgio", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "type", &domain_xml_disk_type, false, &type);
        if (r >= 0)
                r = xml_attr_enum(c, n, "device", &domain_xml_disk_device, false, &device);
        if (r >= 0)
                r = xml_attr_enum(c, n, "rawio", &xml_enum_yes_no, false, &rawio);
        if (r >= 0)
                r = xml_attr_enum(c, n, "sgio", &domain_xml_disk_sgio, false, &sgio);
        if (r < 0)
                return r;
        disk->type = type;
        disk->device = device;
        disk->rawio = rawio;
        disk->sgio = sgio;
        r = XML_PARSE_CHILDREN(c, n, children, disk);
        if (r < 0)
                return r;
        return disk_check(c, n, d, disk);
}

static int hex_value(char ch) {
        static const char digits[] = "0123456789abcdef";
        const char *p;

        if (ch == 0)
                return -EINVAL;
        p = strchr(digits, ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
        return p ? (int) (p - digits) : -EINVAL;
}

/* Exactly "xx:xx:xx:xx:xx:xx". */
static int parse_mac(const char *s, uint8_t mac[6]) {
        uint8_t out[6];

        if (strlen(s) != 17)
                return -EINVAL;
        for (size_t i = 0; i < 6; i++, s += 3) {
                int hi = hex_value(s[0]), lo = hex_value(s[1]);

                if (hi < 0 || lo < 0 || (i < 5 && s[2] != ':'))
                        return -EINVAL;
                out[i] = (uint8_t) (hi << 4 | lo);
        }
        memcpy(mac, out, 6);
        return 0;
}

static int interface_mac(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainInterface *iface = userdata;
        _cleanup_free_ char *s = NULL;
        int r;

        r = xml_check_attrs(c, n, (const char *const[]){ "address", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "address", true, &s);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r < 0)
                return r;
        if (parse_mac(s, iface->mac) < 0)
                return xml_fail(c, n, "invalid MAC address '%s'", s);
        if (iface->mac[0] & 1)
                return xml_fail(c, n, "MAC address '%s' is a multicast address", s);
        iface->mac_given = true;
        return 0;
}

static int interface_model(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainInterface *iface = userdata;
        int r;

        r = xml_check_attrs(c, n, (const char *const[]){ "type", NULL });
        if (r >= 0)
                r = xml_attr_string_in(c, n, "type", &domain_xml_net_model, true, &iface->model);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        return r;
}

static int interface_boot(XmlCtx *c, xmlNode *n, void *userdata) {
        return parse_boot_order(c, n, &((DomainInterface *) userdata)->boot_order);
}

/* libvirt's locally administered range for QEMU guests: 52:54:00 and a
 * random tail. */
static int mac_generate(uint8_t mac[6]) {
        mac[0] = 0x52;
        mac[1] = 0x54;
        mac[2] = 0x00;
        if (getrandom(mac + 3, 3, 0) != 3)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

static int parse_interface(XmlCtx *c, xmlNode *n, void *userdata) {
        static const XmlChild children[] = {
                { "mac", interface_mac, 0 },
                { "model", interface_model, 0 },
                { "boot", interface_boot, 0 },
                { "alias", domain_xml_parse_device_alias, 0 },
                { "address", domain_xml_parse_device_address, 0 },
        };
        Domain *d = userdata;
        DomainInterface *iface;
        int r, type;

        iface = xml_array_append(&d->interfaces, &d->n_interfaces, sizeof(*iface));
        if (!iface)
                return -ENOMEM;
        r = xml_check_attrs(c, n, (const char *const[]){ "type", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "type", &domain_xml_net_type, true, &type);
        if (r >= 0)
                r = XML_PARSE_CHILDREN(c, n, children, iface);
        if (r < 0)
                return r;
        iface->type = type;
        if (iface->boot_order > 0 && boot_order_taken(d, iface->boot_order, iface))
                return xml_fail(c, n, "boot order %u is used twice", iface->boot_order);
        return iface->mac_given ? 0 : mac_generate(iface->mac);
}

static int char_source_file(XmlCtx *c, xmlNode *n, DomainChar *ch) {
        int r, append = DOMAIN_TRISTATE_OFF;

        r = xml_check_attrs(c, n, (const char *const[]){ "path", "append", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "path", true, &ch->path);
        if (r >= 0)
                r = xml_attr_enum(c, n, "append", &xml_enum_on_off, false, &append);
        if (r >= 0)
                ch->append = append == DOMAIN_TRISTATE_ON;
        return r;
}

/* Without mode=, libvirt makes the socket listen: "bind" is the default.
 * A channel's <source mode='bind'/> may leave the path to vmunit, as
 * libvirt writes it for the guest agent. */
static int char_source_unix(XmlCtx *c, xmlNode *n, DomainChar *ch) {
        int r, listen = true;

        r = xml_check_attrs(c, n, (const char *const[]){ "path", "mode", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "path", ch->kind != DOMAIN_CHAR_CHANNEL, &ch->path);
        if (r >= 0)
                r = xml_attr_enum(c, n, "mode", &domain_xml_char_mode, false, &listen);
        if (r >= 0)
                ch->unix_listen = listen;
        return r;
}

/* A running libvirt domain's XML names the pty QEMU allocated (<source
 * path='/dev/pts/N'>, and tty='/dev/pts/N' on <console>): run-time
 * state, as libvirt itself ignores it when it starts the domain. Read and
 * forgotten; each start gets a new pty. */
static int char_source_pty(XmlCtx *c, xmlNode *n) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = xml_check_attrs(c, n, (const char *const[]){ "path", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "path", false, &path);
        return r;
}

static int char_source(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainChar *ch = userdata;
        int r;

        if (ch->type == DOMAIN_CHAR_PTY) {
                r = char_source_pty(c, n);
                return r < 0 ? r : xml_check_no_children(c, n);
        }
        if (ch->type == DOMAIN_CHAR_FILE)
                r = char_source_file(c, n, ch);
        else if (ch->type == DOMAIN_CHAR_UNIX)
                r = char_source_unix(c, n, ch);
        else
                return xml_fail(c, n, "element 'source' is not allowed with type '%s'",
                                xml_enum_to_string(&domain_xml_char_type, ch->type));
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r >= 0)
                r = xml_check_absolute(c, n, "source", ch->path);
        return r;
}

/* <serial><target><model name='isa-serial'/>: virt-install writes it. */
static int char_target_model(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainChar *ch = userdata;
        int r, model;

        r = xml_check_attrs(c, n, (const char *const[]){ "name", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "name", &domain_xml_serial_model, true, &model);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r >= 0)
                ch->target_model = model;
        return r;
}

static int char_target_serial(XmlCtx *c, xmlNode *n, DomainChar *ch) {
        static const XmlChild children[] = {
                { "model", char_target_model, 0 },
        };
        const XmlEnum *types =
                ch->kind == DOMAIN_CHAR_SERIAL ? &domain_xml_serial_target : &domain_xml_console_target;
        unsigned port;
        int r, type = ch->target_type;

        r = xml_check_attrs(c, n, (const char *const[]){ "type", "port", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "type", types, false, &type);
        if (r >= 0)
                r = xml_attr_unsigned(c, n, "port", 0, CHAR_PORT_MAX, false, &port);
        if (r > 0)
                ch->target_port = (int) port;
        if (r >= 0 && ch->kind == DOMAIN_CHAR_SERIAL)
                r = XML_PARSE_CHILDREN(c, n, children, ch);
        else if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r >= 0)
                ch->target_type = type;
        return r;
}

/* <channel><target type='virtio' name state/>: state is what the guest
 * side was doing when libvirt wrote the file; kept, never acted on. A
 * guestfwd channel is QEMU's user-network forwarder, which vmunit's
 * networking does not offer. */
static int char_target_channel(XmlCtx *c, xmlNode *n, DomainChar *ch) {
        _cleanup_free_ char *type_name = NULL;
        int r, type, state = DOMAIN_CHAR_STATE_ABSENT;

        r = xml_attr_string(c, n, "type", true, &type_name);
        if (r >= 0 && streq(type_name, "guestfwd"))
                return xml_fail(c, n,
                                "guestfwd channels are not supported: vmunit has no QEMU user-network "
                                "forwarding");
        if (r >= 0)
                r = xml_check_attrs(c, n, (const char *const[]){ "type", "name", "state", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "type", &domain_xml_channel_target, true, &type);
        if (r >= 0)
                r = xml_attr_string(c, n, "name", false, &ch->target_name);
        if (r >= 0)
                r = xml_attr_enum(c, n, "state", &domain_xml_channel_state, false, &state);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r < 0)
                return r;
        if (ch->target_name && !*ch->target_name)
                return xml_fail(c, n, "empty channel name");
        ch->target_type = type;
        ch->target_state = state;
        return 0;
}

static int char_target(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainChar *ch = userdata;

        if (ch->kind == DOMAIN_CHAR_CHANNEL)
                return char_target_channel(c, n, ch);
        return char_target_serial(c, n, ch);
}

/* The directories libvirt puts the sockets of pathless unix channels in
 * (qemu.conf's channel_target_dir, old and new). A file dumped from a
 * running libvirt domain carries that run-time path; like libvirt, which
 * drops it when it reads the file back, vmunit forgets it and uses its
 * own (RUN/NAME/<target name>), so the VM does not depend on libvirt's
 * directories existing. */
static const char *const libvirt_channel_dirs[] = {
        "/run/libvirt/qemu/channel/",
        "/var/run/libvirt/qemu/channel/",
        "/var/lib/libvirt/qemu/channel/target/",
};

static void channel_drop_libvirt_path(DomainChar *ch) {
        if (ch->type != DOMAIN_CHAR_UNIX || !ch->path || !ch->target_name || !ch->unix_listen)
                return;
        for (size_t i = 0; i < ELEMENTSOF(libvirt_channel_dirs); i++)
                if (strncmp(ch->path, libvirt_channel_dirs[i], strlen(libvirt_channel_dirs[i])) == 0) {
                        free(ch->path);
                        ch->path = NULL;
                        return;
                }
}

/* A serial target's <model> must be the device its type names. */
static int serial_model_check(XmlCtx *c, xmlNode *n, const DomainChar *ch) {
        static const DomainCharTargetModel implied[] = {
                [DOMAIN_CHAR_TARGET_ISA_SERIAL] = DOMAIN_CHAR_MODEL_ISA_SERIAL,
                [DOMAIN_CHAR_TARGET_PCI_SERIAL] = DOMAIN_CHAR_MODEL_PCI_SERIAL,
                [DOMAIN_CHAR_TARGET_USB_SERIAL] = DOMAIN_CHAR_MODEL_USB_SERIAL,
        };
        DomainCharTargetType t = ch->target_type;

        if (ch->target_model == DOMAIN_CHAR_MODEL_DEFAULT || t == DOMAIN_CHAR_TARGET_DEFAULT ||
            (size_t) t >= ELEMENTSOF(implied) || implied[t] == ch->target_model)
                return 0;
        return xml_fail(c, n, "serial target model '%s' does not match target type '%s'",
                        xml_enum_to_string(&domain_xml_serial_model, ch->target_model),
                        xml_enum_to_string(&domain_xml_serial_target, t));
}

static int char_check(XmlCtx *c, xmlNode *n, DomainChar *ch) {
        if (ch->kind == DOMAIN_CHAR_CHANNEL) {
                if (ch->target_type != DOMAIN_CHAR_TARGET_VIRTIO)
                        return xml_fail(c, n, "missing element 'target'");
                channel_drop_libvirt_path(ch);
                /* libvirt makes the path from the name; so does vmunit. */
                if (ch->type == DOMAIN_CHAR_UNIX && !ch->path && !ch->target_name)
                        return xml_fail(c, n, "a unix channel without <source path> needs a target name");
                if (ch->type == DOMAIN_CHAR_UNIX && !ch->path && !ch->unix_listen)
                        return xml_fail(c, n, "a unix channel connecting out needs a <source path>");
                if (ch->type == DOMAIN_CHAR_UNIX && !ch->path && strchr(ch->target_name, '/'))
                        return xml_fail(c, n, "channel name '%s' cannot name a socket file",
                                        ch->target_name);
                return 0;
        }
        if (ch->type == DOMAIN_CHAR_SPICEVMC)
                return xml_fail(c, n, "type 'spicevmc' is only for <channel>");
        if ((ch->type == DOMAIN_CHAR_FILE || ch->type == DOMAIN_CHAR_UNIX) && !ch->path)
                return xml_fail(c, n, "missing element 'source'");
        return ch->kind == DOMAIN_CHAR_SERIAL ? serial_model_check(c, n, ch) : 0;
}

static int parse_char(XmlCtx *c, xmlNode *n, Domain *d, DomainCharKind kind) {
        static const XmlChild children[] = {
                { "source", char_source, 0 },
                { "target", char_target, 0 },
                { "alias", domain_xml_parse_device_alias, 0 },
                { "address", domain_xml_parse_device_address, 0 },
        };
        DomainChar *ch;
        int r, type = DOMAIN_CHAR_PTY;

        ch = xml_array_append(&d->chars, &d->n_chars, sizeof(*ch));
        if (!ch)
                return -ENOMEM;
        ch->kind = kind;
        ch->target_port = -1;
        /* tty=: the live pty of a console, see char_source_pty(). */
        r = xml_check_attrs(c, n,
                            kind == DOMAIN_CHAR_CONSOLE ? (const char *const[]){ "type", "tty", NULL }
                                                        : (const char *const[]){ "type", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "type", &domain_xml_char_type, false, &type);
        if (r < 0)
                return r;
        ch->type = type;
        ch->unix_listen = type == DOMAIN_CHAR_UNIX;
        r = XML_PARSE_CHILDREN(c, n, children, ch);
        if (r < 0)
                return r;
        return char_check(c, n, ch);
}

static int parse_serial(XmlCtx *c, xmlNode *n, void *userdata) {
        return parse_char(c, n, userdata, DOMAIN_CHAR_SERIAL);
}

static int parse_console(XmlCtx *c, xmlNode *n, void *userdata) {
        return parse_char(c, n, userdata, DOMAIN_CHAR_CONSOLE);
}

static int parse_channel(XmlCtx *c, xmlNode *n, void *userdata) {
        return parse_char(c, n, userdata, DOMAIN_CHAR_CHANNEL);
}

/* The device elements in libvirt's order, which is the order they are
 * written in; those still read by hand above are custom children, their
 * count in the Domain says whether there is anything to write. */
#define LEGACY(ename, parse_fn, format_fn, count, multi)                                       \
        {                                                                                      \
                .name = ename, .kind = XML_SUB_CUSTOM, .parse = parse_fn, .format = format_fn, \
                .count_offset = offsetof(Domain, count), .flags = XML_COUNTED | (multi)        \
        }
#define DEVICES(ename, element, array, count)                                               \
        {                                                                                   \
                .kind = XML_SUB_ARRAY, .elem = &element, .offset = offsetof(Domain, array), \
                .count_offset = offsetof(Domain, count)                                     \
        }

static const XmlValue emulator_values[] = {
        { NULL, XML_T_PATH, 0, 0, NULL, 0, 0, 0 },
};
static XML_ELEMENT(emulator_element, "emulator", char *, emulator_values, (const XmlSub[]){}, NULL);

static const XmlSub devices_subs[] = {
        XML_INLINE(emulator_element, Domain, emulator),
        LEGACY("disk", domain_xml_parse_disk, domain_xml_format_disks, n_disks, XML_MULTI),
        DEVICES("controller", domain_xml_controller, controllers, n_controllers),
        LEGACY("interface", parse_interface, domain_xml_format_interfaces, n_interfaces, XML_MULTI),
        DEVICES("smartcard", domain_xml_smartcard, smartcards, n_smartcards),
        LEGACY("serial", parse_serial, domain_xml_format_serials, n_chars, XML_MULTI),
        LEGACY("console", parse_console, domain_xml_format_consoles, n_chars, XML_MULTI),
        LEGACY("channel", parse_channel, domain_xml_format_channels, n_chars, XML_MULTI),
        DEVICES("input", domain_xml_input, inputs, n_inputs),
        DEVICES("graphics", domain_xml_graphics, graphics, n_graphics),
        DEVICES("sound", domain_xml_sound, sounds, n_sounds),
        DEVICES("audio", domain_xml_audio, audios, n_audios),
        DEVICES("video", domain_xml_video, videos, n_videos),
        DEVICES("redirdev", domain_xml_redirdev, redirdevs, n_redirdevs),
        DEVICES("hub", domain_xml_hub, hubs, n_hubs),
        XML_REFUSED("filesystem", "host directory shares need virtiofsd, a daemon vmunit does not run; "
                                  "9p shares are not supported: use virtiofs when it lands"),
        XML_REFUSED("hostdev", "host device passthrough (VFIO) needs the device bound to vfio-pci and its "
                               "IOMMU group given to QEMU, which vmunit does not do yet"),
        XML_REFUSED("lease", "lock leases need a lock manager (sanlock), which vmunit does not run"),
        XML_REFUSED("parallel", "parallel ports are not supported"),
        XML_REFUSED("redirfilter", "USB redirection filters are not supported yet"),
        XML_REFUSED("crypto", "virtio-crypto needs a host crypto backend vmunit does not set up"),
        XML_REFUSED("tpm", "a TPM needs the swtpm emulator running beside QEMU (or a host TPM passed "
                           "through), which vmunit does not manage yet"),
        XML_REFUSED("shmem", "ivshmem needs a shared memory file both sides map, which vmunit does not "
                             "create or label yet"),
        DEVICES("watchdog", domain_xml_watchdog, watchdogs, n_watchdogs),
        XML_OPTIONAL(domain_xml_memballoon, Domain, memballoon),
        DEVICES("rng", domain_xml_rng, rngs, n_rngs),
        DEVICES("panic", domain_xml_panic, panics, n_panics),
        XML_OPTIONAL(domain_xml_iommu, Domain, iommu),
        XML_OPTIONAL(domain_xml_vsock, Domain, vsock),
};

XML_ELEMENT(domain_xml_devices, "devices", Domain, (const XmlValue[]){}, devices_subs, NULL);

int domain_xml_parse_devices(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_schema_parse(c, n, &domain_xml_devices, userdata, userdata);
}
