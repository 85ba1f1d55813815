/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stddef.h>

#include "domain-xml-internal.h"

/*
 * What every device may have: <alias>, <address>, and for virtio devices
 * the <driver> options of the virtio transport. One flat
 * description of <address> for all its types; which attributes a type
 * takes, and their ranges, is the check below (libvirt's formatdomain
 * "Device Addresses").
 */

/* Types libvirt writes for other architectures or buses are in the
 * table too, past the model's values, so the refusal names them rather
 * than listing the values vmunit takes. */
#define FOREIGN 100

XML_ENUM_DEFINE(domain_xml_address_type, { "pci", DOMAIN_ADDRESS_PCI }, { "drive", DOMAIN_ADDRESS_DRIVE },
                { "usb", DOMAIN_ADDRESS_USB }, { "virtio-serial", DOMAIN_ADDRESS_VIRTIO_SERIAL },
                { "ccid", DOMAIN_ADDRESS_CCID }, { "isa", DOMAIN_ADDRESS_ISA }, { "spapr-vio", FOREIGN },
                { "ccw", FOREIGN + 1 }, { "virtio-mmio", FOREIGN + 2 }, { "s390", FOREIGN + 3 },
                { "unassigned", FOREIGN + 4 }, { "dimm", FOREIGN + 5 });

#define ADDR_NUM(attr, field, fl) \
        { attr, XML_T_NUM, offsetof(DomainAddress, field), (fl) | XML_HEX, NULL, 0, 0, 0 }

static const XmlValue address_values[] = {
        { "type", XML_T_ENUM, offsetof(DomainAddress, type), XML_REQUIRED, &domain_xml_address_type, 0, 0,
          0 },
        { "domain", XML_T_NUM, offsetof(DomainAddress, domain), XML_HEX, NULL, 0, 0, 4 },
        { "bus", XML_T_NUM, offsetof(DomainAddress, bus), XML_HEX, NULL, 0, 0, 2 },
        { "slot", XML_T_NUM, offsetof(DomainAddress, slot), XML_HEX, NULL, 0, 0, 2 },
        { "function", XML_T_NUM, offsetof(DomainAddress, function), XML_HEX, NULL, 0, 0, 1 },
        { "multifunction", XML_T_ENUM, offsetof(DomainAddress, multifunction), 0, &xml_enum_on_off, 0, 0,
          0 },
        ADDR_NUM("controller", controller, 0),
        ADDR_NUM("target", target, 0),
        ADDR_NUM("unit", unit, 0),
        { "port", XML_T_STRING, offsetof(DomainAddress, port), 0, NULL, 0, 0, 0 },
        { "iobase", XML_T_NUM, offsetof(DomainAddress, iobase), XML_HEX, NULL, 0, 0, 4 },
        ADDR_NUM("irq", irq, 0),
        ADDR_NUM("reg", reg, 0),
        ADDR_NUM("cssid", cssid, 0),
        ADDR_NUM("ssid", ssid, 0),
        ADDR_NUM("devno", devno, 0),
};

typedef struct AddressField {
        const char *name;
        size_t offset;
        uint64_t max;
} AddressField;

#define FIELD(n, f, m) \
        { n, offsetof(DomainAddress, f), m }

/* Per type: the numeric fields it takes and their largest values. */
static const AddressField pci_fields[] = { FIELD("domain", domain, 0), FIELD("bus", bus, 255),
                                           FIELD("slot", slot, 31), FIELD("function", function, 7) };
static const AddressField drive_fields[] = { FIELD("controller", controller, 255), FIELD("bus", bus, 255),
                                             FIELD("target", target, 255), FIELD("unit", unit, 255) };
static const AddressField usb_fields[] = { FIELD("bus", bus, 255) };
static const AddressField vserial_fields[] = { FIELD("controller", controller, 255), FIELD("bus", bus, 0) };
static const AddressField ccid_fields[] = { FIELD("controller", controller, 255), FIELD("slot", slot, 255) };
static const AddressField isa_fields[] = { FIELD("iobase", iobase, 0xffff), FIELD("irq", irq, 15) };

static const struct {
        const AddressField *fields;
        size_t n;
        bool port;
} address_rules[] = {
        [DOMAIN_ADDRESS_PCI] = { pci_fields, ELEMENTSOF(pci_fields), false },
        [DOMAIN_ADDRESS_DRIVE] = { drive_fields, ELEMENTSOF(drive_fields), false },
        [DOMAIN_ADDRESS_USB] = { usb_fields, ELEMENTSOF(usb_fields), true },
        [DOMAIN_ADDRESS_VIRTIO_SERIAL] = { vserial_fields, ELEMENTSOF(vserial_fields), true },
        [DOMAIN_ADDRESS_CCID] = { ccid_fields, ELEMENTSOF(ccid_fields), false },
        [DOMAIN_ADDRESS_ISA] = { isa_fields, ELEMENTSOF(isa_fields), false },
};

static const XmlNum *address_num(const DomainAddress *a, size_t offset) {
        return (const XmlNum *) ((const uint8_t *) a + offset);
}

static const AddressField *rule_field(DomainAddressType type, size_t offset) {
        for (size_t i = 0; i < address_rules[type].n; i++)
                if (address_rules[type].fields[i].offset == offset)
                        return &address_rules[type].fields[i];
        return NULL;
}

/* "1", "1.2", "1.2.3": a USB port path of at most 5 levels (a hub chain). */
static bool usb_port_valid(const char *s) {
        unsigned levels = 0;

        for (const char *p = s;; p++) {
                size_t digits = strspn(p, "0123456789");

                if (digits == 0 || digits > 3 || ++levels > 5)
                        return false;
                p += digits;
                if (*p == 0)
                        return true;
                if (*p != '.')
                        return false;
        }
}

static int address_check_port(XmlCtx *c, xmlNode *n, const DomainAddress *a) {
        uint64_t v;

        if (!a->port)
                return 0;
        if (!address_rules[a->type].port)
                return xml_fail(c, n, "attribute 'port' does not apply to a %s address",
                                xml_enum_to_string(&domain_xml_address_type, a->type));
        if (a->type == DOMAIN_ADDRESS_USB ? !usb_port_valid(a->port)
                                          : xml_parse_uint64(a->port, &v) < 0 || v < 1 || v > 31)
                return xml_fail(c, n, "invalid port '%s' for a %s address", a->port,
                                xml_enum_to_string(&domain_xml_address_type, a->type));
        return 0;
}

static int address_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainAddress *a = obj;

        if ((int) a->type >= FOREIGN)
                return xml_fail(c, n, "address type '%s' is not supported: vmunit runs x86 guests",
                                xml_enum_to_string(&domain_xml_address_type, a->type));

        for (size_t i = 0; i < ELEMENTSOF(address_values); i++) {
                const XmlValue *v = &address_values[i];
                const AddressField *f;

                if (v->type != XML_T_NUM || !address_num(a, v->offset)->set)
                        continue;
                f = rule_field(a->type, v->offset);
                if (!f)
                        return xml_fail(c, n, "attribute '%s' does not apply to a %s address", v->name,
                                        xml_enum_to_string(&domain_xml_address_type, a->type));
                if (address_num(a, v->offset)->value > f->max)
                        return xml_fail(c, n,
                                        "%s %" PRIu64 " is out of range for a %s address (at most %" PRIu64
                                        ")",
                                        v->name, address_num(a, v->offset)->value,
                                        xml_enum_to_string(&domain_xml_address_type, a->type), f->max);
        }
        if (a->multifunction && a->type != DOMAIN_ADDRESS_PCI)
                return xml_fail(c, n, "attribute 'multifunction' applies to a pci address only");
        return address_check_port(c, n, a);
}

XML_ELEMENT(domain_xml_address, "address", DomainAddress, address_values, (const XmlSub[]){}, address_check);

static const XmlValue alias_values[] = {
        { "name", XML_T_STRING, 0, XML_REQUIRED, NULL, 0, 0, 0 },
};

/* QEMU takes an id of letters, digits, '-', '.' and '_' starting with a
 * letter; libvirt's user aliases are "ua-" and such characters. */
static int alias_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const char *alias = *(char **) obj;

        if (!alias[0] || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", alias[0]) ||
            alias[strspn(alias, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")])
                return xml_fail(
                        c, n,
                        "invalid alias '%s': letters, digits, '-', '.' and '_', starting with a letter",
                        alias);
        return 0;
}

XML_ELEMENT(domain_xml_alias, "alias", char *, alias_values, (const XmlSub[]){}, alias_check);

int domain_xml_parse_device_address(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainDeviceInfo *info = userdata;
        _cleanup_free_ DomainAddress *a = NULL;
        int r;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        r = xml_schema_parse(c, n, &domain_xml_address, a, info);
        if (r < 0) {
                xml_schema_free(&domain_xml_address, a);
                return r;
        }
        info->address = TAKE_PTR(a);
        return 0;
}

int domain_xml_parse_device_alias(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainDeviceInfo *info = userdata;

        return xml_schema_parse(c, n, &domain_xml_alias, &info->alias, info);
}

void domain_xml_format_device_info(FILE *f, int level, const DomainDeviceInfo *info) {
        xml_schema_format(f, level, &domain_xml_alias, &info->alias);
        if (info->address)
                xml_schema_format(f, level, &domain_xml_address, info->address);
}

void domain_device_info_done(DomainDeviceInfo *info) {
        free(info->alias);
        if (info->address)
                xml_schema_free(&domain_xml_address, info->address);
        free(info->address);
        *info = (DomainDeviceInfo){};
}

static const XmlValue virtio_values[] = {
        { "iommu", XML_T_ENUM, offsetof(DomainVirtioOptions, iommu), 0, &xml_enum_on_off, 0, 0, 0 },
        { "ats", XML_T_ENUM, offsetof(DomainVirtioOptions, ats), 0, &xml_enum_on_off, 0, 0, 0 },
        { "packed", XML_T_ENUM, offsetof(DomainVirtioOptions, packed), 0, &xml_enum_on_off, 0, 0, 0 },
        { "page_per_vq", XML_T_ENUM, offsetof(DomainVirtioOptions, page_per_vq), 0, &xml_enum_on_off, 0, 0,
          0 },
};

XML_ELEMENT(domain_xml_virtio_driver, "driver", DomainVirtioOptions, virtio_values, (const XmlSub[]){},
            NULL);
