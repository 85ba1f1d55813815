/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stddef.h>

#include "domain-xml-internal.h"

/*
 * <controller type index model ports vectors> with <model name>, <target>,
 * <master>, <driver>, <alias>, <address>. The models each type takes are
 * libvirt's names of what the QEMU command builder can create; a type
 * without a model table takes no model= at all.
 */

#define CONTROLLER_INDEX_MAX 255U
#define INDEX_NOT_GIVEN UINT_MAX

XML_ENUM_DEFINE(domain_xml_controller_type, { "usb", DOMAIN_CONTROLLER_USB },
                { "scsi", DOMAIN_CONTROLLER_SCSI }, { "sata", DOMAIN_CONTROLLER_SATA },
                { "ide", DOMAIN_CONTROLLER_IDE }, { "pci", DOMAIN_CONTROLLER_PCI },
                { "virtio-serial", DOMAIN_CONTROLLER_VIRTIO_SERIAL }, { "ccid", DOMAIN_CONTROLLER_CCID },
                { "fdc", DOMAIN_CONTROLLER_FDC });

XML_ENUM_DEFINE_STATIC(usb_models, { "qemu-xhci", 0 }, { "nec-xhci", 0 }, { "piix3-uhci", 0 },
                       { "piix4-uhci", 0 }, { "ehci", 0 }, { "ich9-ehci1", 0 }, { "ich9-uhci1", 0 },
                       { "ich9-uhci2", 0 }, { "ich9-uhci3", 0 }, { "vt82c686b-uhci", 0 }, { "pci-ohci", 0 },
                       { "none", 0 });
XML_ENUM_DEFINE_STATIC(scsi_models, { "virtio-scsi", 0 }, { "lsilogic", 0 });
XML_ENUM_DEFINE_STATIC(pci_models, { "pci-root", 0 }, { "pcie-root", 0 }, { "pcie-root-port", 0 },
                       { "pci-bridge", 0 }, { "dmi-to-pci-bridge", 0 }, { "pcie-to-pci-bridge", 0 },
                       { "pcie-switch-upstream-port", 0 }, { "pcie-switch-downstream-port", 0 },
                       { "pci-expander-bus", 0 }, { "pcie-expander-bus", 0 });
XML_ENUM_DEFINE_STATIC(ide_models, { "piix3", 0 }, { "piix4", 0 }, { "ich6", 0 });
XML_ENUM_DEFINE_STATIC(virtio_serial_models, { "virtio", 0 }, { "virtio-transitional", 0 },
                       { "virtio-non-transitional", 0 });

/* Indexed by DomainControllerType: the model= values each type accepts. */
const XmlEnum *const domain_xml_controller_models[] = {
        [DOMAIN_CONTROLLER_USB] = &usb_models, [DOMAIN_CONTROLLER_SCSI] = &scsi_models,
        [DOMAIN_CONTROLLER_SATA] = NULL,       [DOMAIN_CONTROLLER_IDE] = &ide_models,
        [DOMAIN_CONTROLLER_PCI] = &pci_models, [DOMAIN_CONTROLLER_VIRTIO_SERIAL] = &virtio_serial_models,
        [DOMAIN_CONTROLLER_CCID] = NULL,       [DOMAIN_CONTROLLER_FDC] = NULL,
};

/* <model name>: QEMU's device name for a PCI controller, as libvirt
 * writes it back (a given one must match the model's). */
XML_ENUM_DEFINE_STATIC(pci_model_names, { "pci-bridge", 0 }, { "i82801b11-bridge", 0 }, { "ioh3420", 0 },
                       { "pcie-root-port", 0 }, { "x3130-upstream", 0 }, { "xio3130-downstream", 0 },
                       { "pxb", 0 }, { "pxb-pcie", 0 }, { "pcie-pci-bridge", 0 });

static const XmlValue model_name_values[] = {
        { "name", XML_T_TOKEN, 0, XML_REQUIRED, &pci_model_names, 0, 0, 0 },
};
static XML_ELEMENT(model_name_element, "model", char *, model_name_values, (const XmlSub[]){}, NULL);

#define TARGET_NUM(attr, field, maxv, hex) \
        { attr, XML_T_NUM, offsetof(DomainControllerTarget, field), (hex) ? XML_HEX : 0, NULL, 0, maxv, 2 }

static const XmlValue target_values[] = {
        TARGET_NUM("chassisNr", chassis_nr, 255, false),
        TARGET_NUM("chassis", chassis, 255, false),
        TARGET_NUM("port", port, 255, true),
        TARGET_NUM("busNr", bus_nr, 254, false),
        TARGET_NUM("index", index, 31, false),
        { "hotplug", XML_T_ENUM, offsetof(DomainControllerTarget, hotplug), 0, &xml_enum_on_off, 0, 0, 0 },
};

/* <node> inside <target> (expander buses): its NUMA node. */
static const XmlValue node_values[] = {
        { NULL, XML_T_NUM, 0, XML_REQUIRED, NULL, 0, 4095, 0 },
};
static XML_ELEMENT(node_element, "node", XmlNum, node_values, (const XmlSub[]){}, NULL);

static const XmlSub target_subs[] = {
        XML_INLINE(node_element, DomainControllerTarget, node),
};
static XML_ELEMENT(target_element, "target", DomainControllerTarget, target_values, target_subs, NULL);

static const XmlValue master_values[] = {
        { "startport", XML_T_NUM, 0, XML_REQUIRED, NULL, 0, 15, 0 },
};
static XML_ELEMENT(master_element, "master", XmlNum, master_values, (const XmlSub[]){}, NULL);

static const XmlValue controller_values[] = {
        { "type", XML_T_ENUM, offsetof(DomainController, type), XML_REQUIRED, &domain_xml_controller_type, 0,
          0, 0 },
        { "index", XML_T_UINT, offsetof(DomainController, index), XML_ZERO, NULL, 0, CONTROLLER_INDEX_MAX,
          0 },
        { "model", XML_T_STRING, offsetof(DomainController, model), 0, NULL, 0, 0, 0 },
        { "ports", XML_T_NUM, offsetof(DomainController, ports), 0, NULL, 1, 255, 0 },
        { "vectors", XML_T_NUM, offsetof(DomainController, vectors), 0, NULL, 1, 1024, 0 },
};

static const XmlSub controller_subs[] = {
        XML_OPTIONAL(model_name_element, DomainController, pci_model_name),
        XML_INLINE(target_element, DomainController, target),
        XML_INLINE(master_element, DomainController, master_startport),
        { .kind = XML_SUB_INLINE, .elem = &domain_xml_scsi_driver, .offset = 0 },
        DOMAIN_XML_INFO_SUBS(DomainController),
};

static const char *type_name(DomainControllerType t) {
        return xml_enum_to_string(&domain_xml_controller_type, t);
}

/* ICH9's UHCI companions share the index of their EHCI master. */
static bool companion(const DomainController *ctl) {
        return ctl->model && strncmp(ctl->model, "ich9-uhci", strlen("ich9-uhci")) == 0;
}

static bool index_taken(const Domain *d, const DomainController *self, unsigned index) {
        if (companion(self))
                return false;
        for (const DomainController *o = d->controllers; o < d->controllers + d->n_controllers; o++)
                if (o != self && o->type == self->type && o->index == index && !companion(o))
                        return true;
        return false;
}

/* Without index=, libvirt takes the lowest one free for the type; the one
 * picked is written out, so it must be one that parses. */
static int controller_index(XmlCtx *c, xmlNode *n, const Domain *d, DomainController *ctl) {
        if (ctl->index == INDEX_NOT_GIVEN) {
                ctl->index = 0;
                while (index_taken(d, ctl, ctl->index))
                        ctl->index++;
                if (ctl->index > CONTROLLER_INDEX_MAX)
                        return xml_fail(c, n,
                                        "no free index for another controller of type '%s' (at most %u)",
                                        type_name(ctl->type), CONTROLLER_INDEX_MAX);
        }
        if (index_taken(d, ctl, ctl->index))
                return xml_fail(c, n, "duplicate controller type '%s' index %u", type_name(ctl->type),
                                ctl->index);
        return 0;
}

static int controller_model(XmlCtx *c, xmlNode *n, const DomainController *ctl) {
        const XmlEnum *models = domain_xml_controller_models[ctl->type];

        if (!ctl->model)
                return 0;
        if (!models)
                return xml_fail(c, n, "unsupported attribute 'model' for controller type '%s'",
                                type_name(ctl->type));
        if (xml_enum_from_string(models, ctl->model) < 0)
                return xml_fail_enum(c, n, "model", ctl->model, models);
        return 0;
}

/* Which parts a type takes: ports (virtio-serial, xhci), vectors
 * (virtio-serial), <model>/<target> (pci), <master> (UHCI companions),
 * <driver> (scsi). */
static int controller_parts(XmlCtx *c, xmlNode *n, const DomainController *ctl) {
        bool xhci = streq_ptr(ctl->model, "qemu-xhci") || streq_ptr(ctl->model, "nec-xhci");
        const DomainControllerTarget *t = &ctl->target;

        if (ctl->ports.set && !(ctl->type == DOMAIN_CONTROLLER_VIRTIO_SERIAL || xhci))
                return xml_fail(c, n, "ports= applies to virtio-serial and xhci USB controllers only");
        if (ctl->vectors.set && ctl->type != DOMAIN_CONTROLLER_VIRTIO_SERIAL)
                return xml_fail(c, n, "vectors= applies to virtio-serial controllers only");
        if ((ctl->pci_model_name || t->chassis_nr.set || t->chassis.set || t->port.set || t->bus_nr.set ||
             t->index.set || t->node.set || t->hotplug) &&
            ctl->type != DOMAIN_CONTROLLER_PCI)
                return xml_fail(c, n, "<model> and <target> apply to pci controllers only");
        if (ctl->master_startport.set && !companion(ctl))
                return xml_fail(c, n, "<master> applies to ich9-uhci companion controllers only");
        if ((ctl->queues || ctl->iothread || ctl->cmd_per_lun || ctl->max_sectors || ctl->ioeventfd) &&
            ctl->type != DOMAIN_CONTROLLER_SCSI)
                return xml_fail(c, n, "<driver> applies to scsi controllers only");
        return 0;
}

static int controller_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainController *ctl = obj;
        int r;

        r = controller_index(c, n, parent, ctl);
        if (r >= 0)
                r = controller_model(c, n, ctl);
        if (r >= 0)
                r = controller_parts(c, n, ctl);
        return r;
}

static void controller_init(void *obj) {
        ((DomainController *) obj)->index = INDEX_NOT_GIVEN;
}

const XmlElement domain_xml_controller = {
        .name = "controller",
        .size = sizeof(DomainController),
        .values = controller_values,
        .n_values = ELEMENTSOF(controller_values),
        .subs = controller_subs,
        .n_subs = ELEMENTSOF(controller_subs),
        .check = controller_check,
        .init = controller_init,
};
