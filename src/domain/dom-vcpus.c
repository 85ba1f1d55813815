/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/*
 * <vcpus><vcpu id enabled hotpluggable order/></vcpus>: libvirt's record
 * of which vCPUs are plugged in, written for hotplug setups. Kept and
 * written back; QEMU starts the enabled count (-smp N,maxcpus=M), which
 * domain_xml_check_vcpus() holds to <vcpu current>.
 */

static const XmlValue vcpu_values[] = {
        { "id", XML_T_NUM, offsetof(DomainVcpuInfo, id), XML_REQUIRED, NULL, 0, DOMAIN_VCPUS_MAX - 1, 0 },
        { "enabled", XML_T_ENUM, offsetof(DomainVcpuInfo, enabled), XML_REQUIRED, &xml_enum_yes_no, 0, 0,
          0 },
        { "hotpluggable", XML_T_ENUM, offsetof(DomainVcpuInfo, hotpluggable), 0, &xml_enum_yes_no, 0, 0, 0 },
        { "order", XML_T_UINT, offsetof(DomainVcpuInfo, order), 0, NULL, 1, DOMAIN_VCPUS_MAX, 0 },
};

static int vcpu_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainVcpuInfo *v = obj;
        const DomainVcpus *all = parent;

        for (const DomainVcpuInfo *o = all->items; o < v; o++)
                if (o->id.value == v->id.value)
                        return xml_fail(c, n, "duplicate vcpu id %u", (unsigned) v->id.value);
        return 0;
}

static XML_ELEMENT(vcpu_element, "vcpu", DomainVcpuInfo, vcpu_values, (const XmlSub[]){}, vcpu_check);

static const XmlSub vcpus_subs[] = {
        { .kind = XML_SUB_ARRAY,
          .elem = &vcpu_element,
          .offset = offsetof(DomainVcpus, items),
          .count_offset = offsetof(DomainVcpus, n_items) },
};

XML_ELEMENT(domain_xml_vcpus, "vcpus", DomainVcpus, (const XmlValue[]){}, vcpus_subs, NULL);

int domain_xml_check_vcpus(XmlCtx *c, xmlNode *n, const Domain *d) {
        const DomainVcpus *v = &d->vcpu_list;
        unsigned enabled = 0, current = d->vcpus_current ?: d->vcpus;

        if (v->n_items == 0)
                return 0;
        if (v->n_items != d->vcpus)
                return xml_fail(c, n, "<vcpus> lists %zu vCPUs, <vcpu> says %u", v->n_items, d->vcpus);
        for (size_t i = 0; i < v->n_items; i++) {
                if (v->items[i].id.value >= d->vcpus)
                        return xml_fail(c, n, "vcpu id %u is not below <vcpu> %u",
                                        (unsigned) v->items[i].id.value, d->vcpus);
                enabled += v->items[i].enabled == DOMAIN_TRISTATE_ON;
        }
        if (enabled != current)
                return xml_fail(c, n, "<vcpus> enables %u vCPUs, <vcpu current> says %u", enabled, current);
        return 0;
}
