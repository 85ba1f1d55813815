/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <iommu model='intel|virtio|smmuv3'><driver intremap caching_mode eim
 * iotlb aw_bits/><alias/><address/></iommu>. */

XML_ENUM_DEFINE_STATIC(iommu_models, { "intel", DOMAIN_IOMMU_INTEL }, { "virtio", DOMAIN_IOMMU_VIRTIO },
                       { "smmuv3", DOMAIN_IOMMU_SMMUV3 });

static const XmlValue driver_values[] = {
        { "intremap", XML_T_ENUM, offsetof(DomainIommuDriver, intremap), 0, &xml_enum_on_off, 0, 0, 0 },
        { "caching_mode", XML_T_ENUM, offsetof(DomainIommuDriver, caching_mode), 0, &xml_enum_on_off, 0, 0,
          0 },
        { "eim", XML_T_ENUM, offsetof(DomainIommuDriver, eim), 0, &xml_enum_on_off, 0, 0, 0 },
        { "iotlb", XML_T_ENUM, offsetof(DomainIommuDriver, iotlb), 0, &xml_enum_on_off, 0, 0, 0 },
        /* QEMU's intel-iommu takes 39 or 48 address bits. */
        { "aw_bits", XML_T_UINT, offsetof(DomainIommuDriver, aw_bits), 0, NULL, 1, 64, 0 },
};

/* libvirt's rule: extended interrupt mode is part of interrupt remapping. */
static int driver_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainIommuDriver *drv = obj;

        if (drv->eim == DOMAIN_TRISTATE_ON && drv->intremap != DOMAIN_TRISTATE_ON)
                return xml_fail(c, n, "eim='on' needs intremap='on'");
        return 0;
}

static XML_ELEMENT(driver_element, "driver", DomainIommuDriver, driver_values, (const XmlSub[]){},
                   driver_check);

static const XmlValue iommu_values[] = {
        { "model", XML_T_ENUM, offsetof(DomainIommu, model), XML_REQUIRED, &iommu_models, 0, 0, 0 },
};

/* The driver options are intel-iommu's (libvirt refuses them on the
 * others as well). */
static int iommu_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainIommu *io = obj;

        if (io->model != DOMAIN_IOMMU_INTEL && xml_schema_has_content(&driver_element, &io->driver))
                return xml_fail(c, n, "<driver> options are only supported with model='intel'");
        return 0;
}

static const XmlSub iommu_subs[] = {
        XML_INLINE(driver_element, DomainIommu, driver),
        DOMAIN_XML_INFO_SUBS(DomainIommu),
};

XML_ELEMENT(domain_xml_iommu, "iommu", DomainIommu, iommu_values, iommu_subs, iommu_check);
