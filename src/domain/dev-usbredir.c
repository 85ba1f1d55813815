/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <redirdev bus='usb' type='spicevmc'>: a USB device of the SPICE
 * client's, and <hub type='usb'>. A redirdev over a TCP chardev is not
 * in the table (its <source> would need the chardev work). */

XML_ENUM_DEFINE_STATIC(usb_bus, { "usb", 1 });
XML_ENUM_DEFINE_STATIC(redirdev_types, { "spicevmc", 1 });

static const XmlValue redirdev_values[] = {
        { "bus", XML_T_ENUM, offsetof(DomainRedirdev, bus), XML_REQUIRED, &usb_bus, 0, 0, 0 },
        { "type", XML_T_ENUM, offsetof(DomainRedirdev, type), XML_REQUIRED, &redirdev_types, 0, 0, 0 },
};

static const XmlSub redirdev_subs[] = {
        DOMAIN_XML_INFO_SUBS(DomainRedirdev),
        XML_REFUSED("boot", "booting from a redirected USB device is not supported"),
};

/* The device sits on the USB bus: a PCI address is a mistake. */
static int usb_check(XmlCtx *c, xmlNode *n, const DomainDeviceInfo *info) {
        if (info->address && info->address->type != DOMAIN_ADDRESS_USB)
                return xml_fail(c, n, "a USB device takes a USB address");
        return 0;
}

static int redirdev_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        return usb_check(c, n, &((const DomainRedirdev *) obj)->info);
}

XML_ELEMENT(domain_xml_redirdev, "redirdev", DomainRedirdev, redirdev_values, redirdev_subs, redirdev_check);

static const XmlValue hub_values[] = {
        { "type", XML_T_ENUM, offsetof(DomainHub, type), XML_REQUIRED, &usb_bus, 0, 0, 0 },
};

static const XmlSub hub_subs[] = {
        DOMAIN_XML_INFO_SUBS(DomainHub),
};

static int hub_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        return usb_check(c, n, &((const DomainHub *) obj)->info);
}

XML_ELEMENT(domain_xml_hub, "hub", DomainHub, hub_values, hub_subs, hub_check);
