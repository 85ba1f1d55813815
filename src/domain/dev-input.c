/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <input type bus model><source .../><driver .../><alias/><address/></input>. */

XML_ENUM_DEFINE_STATIC(input_grab, { "all", DOMAIN_XML_STRING });

XML_ENUM_DEFINE_STATIC(input_grab_toggle, { "ctrl-ctrl", DOMAIN_XML_STRING },
                       { "alt-alt", DOMAIN_XML_STRING }, { "shift-shift", DOMAIN_XML_STRING },
                       { "meta-meta", DOMAIN_XML_STRING }, { "scrolllock", DOMAIN_XML_STRING },
                       { "ctrl-scrolllock", DOMAIN_XML_STRING });

static const XmlValue source_values[] = {
        { "dev", XML_T_PATH, offsetof(DomainInputSource, dev), 0, NULL, 0, 0, 0 },
        { "evdev", XML_T_PATH, offsetof(DomainInputSource, evdev), 0, NULL, 0, 0, 0 },
        { "grab", XML_T_TOKEN, offsetof(DomainInputSource, grab), 0, &input_grab, 0, 0, 0 },
        { "repeat", XML_T_ENUM, offsetof(DomainInputSource, repeat), 0, &xml_enum_on_off, 0, 0, 0 },
        { "grabToggle", XML_T_TOKEN, offsetof(DomainInputSource, grab_toggle), 0, &input_grab_toggle, 0, 0,
          0 },
};
static XML_ELEMENT(source_element, "source", DomainInputSource, source_values, (const XmlSub[]){}, NULL);

static const XmlValue input_values[] = {
        { "type", XML_T_ENUM, offsetof(DomainInput, type), XML_REQUIRED, &domain_xml_input_type, 0, 0, 0 },
        { "bus", XML_T_ENUM, offsetof(DomainInput, bus), 0, &domain_xml_input_bus, 0, 0, 0 },
        { "model", XML_T_ENUM, offsetof(DomainInput, model), 0, &domain_xml_virtio_model, 0, 0, 0 },
};

/*
 * evdev and passthrough hand a host /dev/input device to QEMU: a
 * character device that would need its cgroup device rule, DAC and MAC
 * labels and an fd of its own, and the file table and label layer know
 * files, block devices and sockets only. Kept in the model (a file with
 * one still formats), refused here with the reason.
 */
static int input_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainInput *in = obj;
        bool host = in->type == DOMAIN_INPUT_EVDEV || in->type == DOMAIN_INPUT_PASSTHROUGH;

        if (host)
                return xml_fail(
                        c, n,
                        "input type '%s' is not supported: host input devices are character devices, "
                        "which vmunit does not pass to QEMU yet",
                        xml_enum_to_string(&domain_xml_input_type, in->type));
        if (xml_schema_has_content(&source_element, &in->source))
                return xml_fail(c, n, "<source> is only for input types evdev and passthrough");
        if (in->type == DOMAIN_INPUT_TABLET && in->bus == DOMAIN_INPUT_BUS_PS2)
                return xml_fail(c, n, "a tablet cannot be on the ps2 bus");
        if (in->model && in->bus != DOMAIN_INPUT_BUS_VIRTIO)
                return xml_fail(c, n, "an input model is only for bus='virtio'");
        return 0;
}

static const XmlSub input_subs[] = {
        XML_INLINE(source_element, DomainInput, source),
        DOMAIN_XML_VIRTIO_SUB(DomainInput),
        DOMAIN_XML_INFO_SUBS(DomainInput),
};

XML_ELEMENT(domain_xml_input, "input", DomainInput, input_values, input_subs, input_check);
