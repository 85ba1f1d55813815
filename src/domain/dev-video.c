/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <video><driver/><model type ram vram vram64 vgamem heads primary>
 * <acceleration accel3d accel2d/></model></video>. */

XML_ENUM_DEFINE(domain_xml_video_model, { "vga", DOMAIN_VIDEO_VGA }, { "cirrus", DOMAIN_VIDEO_CIRRUS },
                { "virtio", DOMAIN_VIDEO_VIRTIO }, { "bochs", DOMAIN_VIDEO_BOCHS },
                { "ramfb", DOMAIN_VIDEO_RAMFB }, { "none", DOMAIN_VIDEO_NONE }, { "qxl", DOMAIN_VIDEO_QXL });

/* 3D needs virgl and a DRM render node opened for QEMU. */
static int accel_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        if (((const DomainVideoAccel *) obj)->accel3d == DOMAIN_TRISTATE_ON)
                return xml_fail(c, n,
                                "accel3d='yes' is not supported: it needs a DRM render node, which vmunit "
                                "does not give QEMU");
        return 0;
}

static const XmlValue accel_values[] = {
        { "accel3d", XML_T_ENUM, offsetof(DomainVideoAccel, accel3d), 0, &xml_enum_yes_no, 0, 0, 0 },
        { "accel2d", XML_T_ENUM, offsetof(DomainVideoAccel, accel2d), 0, &xml_enum_yes_no, 0, 0, 0 },
};
static XML_ELEMENT(accel_element, "acceleration", DomainVideoAccel, accel_values, (const XmlSub[]){},
                   accel_check);

static const XmlValue model_values[] = {
        { "type", XML_T_ENUM, offsetof(DomainVideoModelDef, type), XML_REQUIRED, &domain_xml_video_model, 0,
          0, 0 },
        { "ram", XML_T_UINT, offsetof(DomainVideoModelDef, ram_kib), 0, NULL, 1, UINT32_MAX, 0 },
        { "vram", XML_T_UINT, offsetof(DomainVideoModelDef, vram_kib), 0, NULL, 1, UINT32_MAX, 0 },
        { "vram64", XML_T_UINT, offsetof(DomainVideoModelDef, vram64_kib), 0, NULL, 1, UINT32_MAX, 0 },
        { "vgamem", XML_T_UINT, offsetof(DomainVideoModelDef, vgamem_kib), 0, NULL, 1, UINT32_MAX, 0 },
        { "heads", XML_T_UINT, offsetof(DomainVideoModelDef, heads), 0, NULL, 1, 16, 0 },
        { "primary", XML_T_ENUM, offsetof(DomainVideoModelDef, primary), 0, &xml_enum_yes_no, 0, 0, 0 },
};

static const XmlSub model_subs[] = {
        XML_INLINE(accel_element, DomainVideoModelDef, accel),
};

/* ram, vram64 and vgamem are qxl's (vgamem also VGA-like ones in
 * libvirt, but QEMU sizes those from vram). */
static int model_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainVideoModelDef *m = obj;

        if (m->type != DOMAIN_VIDEO_QXL && (m->ram_kib || m->vram64_kib))
                return xml_fail(c, n, "attributes 'ram' and 'vram64' need model type 'qxl'");
        if (m->type != DOMAIN_VIDEO_QXL && m->vgamem_kib)
                return xml_fail(c, n, "attribute 'vgamem' needs model type 'qxl'");
        if (m->heads > 1 && m->type != DOMAIN_VIDEO_QXL && m->type != DOMAIN_VIDEO_VIRTIO)
                return xml_fail(c, n, "more than one head needs model type 'qxl' or 'virtio'");
        return 0;
}

static XML_ELEMENT(model_element, "model", DomainVideoModelDef, model_values, model_subs, model_check);

static const XmlSub video_subs[] = {
        DOMAIN_XML_VIRTIO_SUB(DomainVideo),
        XML_INLINE(model_element, DomainVideo, m),
        DOMAIN_XML_INFO_SUBS(DomainVideo),
};

/* The primary video is the first one; primary='yes' on another is
 * libvirt's way to move it first, which vmunit does not do. */
static int video_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainVideo *v = obj;
        const Domain *d = parent;
        bool first = v == d->videos;

        if (v->m.primary == DOMAIN_TRISTATE_ON && !first)
                return xml_fail(c, n, "only the first <video> can be primary: list the primary one first");
        if ((v->virtio.iommu || v->virtio.ats || v->virtio.packed || v->virtio.page_per_vq) &&
            v->m.type != DOMAIN_VIDEO_VIRTIO)
                return xml_fail(c, n, "<driver> options need model type 'virtio'");
        v->model = v->m.type;
        v->vram_kib = v->m.vram_kib;
        return 0;
}

XML_ELEMENT(domain_xml_video, "video", DomainVideo, (const XmlValue[]){}, video_subs, video_check);
