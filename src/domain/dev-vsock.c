/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <vsock model='virtio'><cid auto='yes|no' address='N'/><driver/><alias/><address/></vsock>.
 * Kept in the model; the argv builder refuses it (argv-vsock.c says why). */

static const XmlValue cid_values[] = {
        { "auto", XML_T_ENUM, offsetof(DomainVsockCid, auto_), 0, &xml_enum_yes_no, 0, 0, 0 },
        /* 0-2 are the hypervisor's, the reserved one and the host's. */
        { "address", XML_T_UINT, offsetof(DomainVsockCid, address), 0, NULL, 3, UINT32_MAX - 1, 0 },
};

/* libvirt: auto='no' needs the address it fixes. */
static int cid_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainVsockCid *cid = obj;

        if (cid->auto_ == DOMAIN_TRISTATE_OFF && cid->address == 0)
                return xml_fail(c, n, "auto='no' needs a cid address");
        return 0;
}

static XML_ELEMENT(cid_element, "cid", DomainVsockCid, cid_values, (const XmlSub[]){}, cid_check);

static const XmlValue vsock_values[] = {
        { "model", XML_T_ENUM, offsetof(DomainVsock, model), 0, &domain_xml_virtio_model, 0, 0, 0 },
};

static const XmlSub vsock_subs[] = {
        XML_INLINE(cid_element, DomainVsock, cid),
        DOMAIN_XML_VIRTIO_SUB(DomainVsock),
        DOMAIN_XML_INFO_SUBS(DomainVsock),
};

XML_ELEMENT(domain_xml_vsock, "vsock", DomainVsock, vsock_values, vsock_subs, NULL);
