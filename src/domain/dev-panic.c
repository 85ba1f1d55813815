/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <panic model>: how the guest reports a crash (then on_crash applies). */

XML_ENUM_DEFINE_STATIC(panic_models, { "isa", DOMAIN_PANIC_ISA }, { "pvpanic", DOMAIN_PANIC_PVPANIC },
                       { "hyperv", DOMAIN_PANIC_HYPERV });

static const XmlValue panic_values[] = {
        { "model", XML_T_ENUM, offsetof(DomainPanic, model), 0, &panic_models, 0, 0, 0 },
};

static const XmlSub panic_subs[] = {
        DOMAIN_XML_INFO_SUBS(DomainPanic),
};

/* The ISA device sits at a fixed I/O port; Hyper-V's is no device at
 * all; one of each model at most (QEMU has one of each). */
static int panic_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainPanic *p = obj;
        const Domain *d = parent;
        DomainPanicModel model = p->model ?: DOMAIN_PANIC_ISA;
        const DomainAddress *a = p->info.address;

        if (model == DOMAIN_PANIC_ISA && a && (a->type != DOMAIN_ADDRESS_ISA || a->irq.set))
                return xml_fail(c, n, "an isa panic device takes an isa address with iobase only");
        if (model == DOMAIN_PANIC_PVPANIC && a && a->type != DOMAIN_ADDRESS_PCI)
                return xml_fail(c, n, "a pvpanic device takes a pci address");
        if (model == DOMAIN_PANIC_HYPERV && a)
                return xml_fail(c, n, "a hyperv panic notifier has no address");
        for (const DomainPanic *o = d->panics; o < p; o++)
                if ((o->model ?: DOMAIN_PANIC_ISA) == model)
                        return xml_fail(c, n, "a second panic device of model '%s'",
                                        xml_enum_to_string(&panic_models, model));
        return 0;
}

XML_ELEMENT(domain_xml_panic, "panic", DomainPanic, panic_values, panic_subs, panic_check);
