/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <smartcard mode='passthrough' type='spicevmc'>: the SPICE client's
 * card reader, behind a CCID controller. */

enum { SMARTCARD_PASSTHROUGH = 1, SMARTCARD_HOST, SMARTCARD_HOST_CERTIFICATES };

XML_ENUM_DEFINE_STATIC(smartcard_modes, { "passthrough", SMARTCARD_PASSTHROUGH }, { "host", SMARTCARD_HOST },
                       { "host-certificates", SMARTCARD_HOST_CERTIFICATES });
XML_ENUM_DEFINE_STATIC(smartcard_types, { "spicevmc", 1 });

static const XmlValue smartcard_values[] = {
        { "mode", XML_T_ENUM, offsetof(DomainSmartcard, mode), XML_REQUIRED, &smartcard_modes, 0, 0, 0 },
        { "type", XML_T_ENUM, offsetof(DomainSmartcard, type), 0, &smartcard_types, 0, 0, 0 },
};

static const XmlSub smartcard_subs[] = {
        DOMAIN_XML_INFO_SUBS(DomainSmartcard),
        XML_REFUSED("certificate", "host-certificates smartcards are not supported"),
        XML_REFUSED("database", "host-certificates smartcards are not supported"),
        XML_REFUSED("source", "only a spicevmc smartcard is supported"),
        XML_REFUSED("protocol", "only a spicevmc smartcard is supported"),
};

/* host and host-certificates read the host's card reader or NSS
 * database, which a confined system service must not reach. */
static int smartcard_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainSmartcard *s = obj;
        const Domain *d = parent;

        if (s->mode != SMARTCARD_PASSTHROUGH)
                return xml_fail(c, n,
                                "smartcard mode '%s' is not supported: it reads the host's card reader or "
                                "certificates; use mode='passthrough' type='spicevmc'",
                                s->mode == SMARTCARD_HOST ? "host" : "host-certificates");
        if (!s->type)
                return xml_fail(c, n, "missing attribute 'type'");
        if (s != d->smartcards)
                return xml_fail(c, n, "only one smartcard is supported");
        if (s->info.address && s->info.address->type != DOMAIN_ADDRESS_CCID)
                return xml_fail(c, n, "a smartcard takes a CCID address");
        return 0;
}

XML_ELEMENT(domain_xml_smartcard, "smartcard", DomainSmartcard, smartcard_values, smartcard_subs,
            smartcard_check);
