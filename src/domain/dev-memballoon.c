/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <memballoon model autodeflate freePageReporting><stats period/>. */

XML_ENUM_DEFINE_STATIC(memballoon_models, { "virtio", DOMAIN_MEMBALLOON_VIRTIO },
                       { "virtio-transitional", DOMAIN_MEMBALLOON_VIRTIO_TRANSITIONAL },
                       { "virtio-non-transitional", DOMAIN_MEMBALLOON_VIRTIO_NON_TRANSITIONAL },
                       { "none", DOMAIN_MEMBALLOON_NONE });

static const XmlValue stats_values[] = {
        { "period", XML_T_NUM, 0, XML_REQUIRED, NULL, 0, 86400 * 365, 0 },
};
static XML_ELEMENT(stats_element, "stats", XmlNum, stats_values, (const XmlSub[]){}, NULL);

static const XmlValue memballoon_values[] = {
        { "model", XML_T_ENUM, offsetof(DomainMemballoon, model), XML_REQUIRED, &memballoon_models, 0, 0,
          0 },
        { "autodeflate", XML_T_ENUM, offsetof(DomainMemballoon, autodeflate), 0, &xml_enum_on_off, 0, 0, 0 },
        { "freePageReporting", XML_T_ENUM, offsetof(DomainMemballoon, free_page_reporting), 0,
          &xml_enum_on_off, 0, 0, 0 },
};

static const XmlSub memballoon_subs[] = {
        XML_INLINE(stats_element, DomainMemballoon, stats_period),
        DOMAIN_XML_INFO_SUBS(DomainMemballoon),
        DOMAIN_XML_VIRTIO_SUB(DomainMemballoon),
};

/* With model='none' there is no device to tune or place. */
static int memballoon_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainMemballoon *m = obj;

        if (m->model == DOMAIN_MEMBALLOON_NONE &&
            (m->autodeflate || m->free_page_reporting || m->stats_period.set || m->info.address))
                return xml_fail(c, n, "memballoon model 'none' takes no options or address");
        return 0;
}

XML_ELEMENT(domain_xml_memballoon, "memballoon", DomainMemballoon, memballoon_values, memballoon_subs,
            memballoon_check);
