/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/*
 * <features>: hypervisor and chipset switches. Most are <NAME state=/>
 * elements; libvirt reads a missing state= as on, and so do we (written
 * back as state='on'). Features of other architectures or hypervisors
 * are refused by name.
 */

static const XmlSub no_subs[] = {};

/* A state element without state= is on. Every struct these checks get
 * starts with its DomainTristate state. */
static int state_default_on(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainTristate *state = obj;

        if (*state == DOMAIN_TRISTATE_ABSENT)
                *state = DOMAIN_TRISTATE_ON;
        return 0;
}

static const XmlValue state_values[] = {
        { "state", XML_T_ENUM, offsetof(DomainFeatureState, state), 0, &xml_enum_on_off, 0, 0, 0 },
};

#define STATE_ELEMENT(var, ename) \
        static XML_ELEMENT(var, ename, DomainFeatureState, state_values, no_subs, state_default_on)
#define STATE_SUB(T, var, field) XML_INLINE(var, T, field)

STATE_ELEMENT(hap_element, "hap");
STATE_ELEMENT(pvspinlock_element, "pvspinlock");
STATE_ELEMENT(pmu_element, "pmu");
STATE_ELEMENT(vmport_element, "vmport");
STATE_ELEMENT(vmcoreinfo_element, "vmcoreinfo");
STATE_ELEMENT(direct_element, "direct");
STATE_ELEMENT(extended_element, "extended");

/* <apic eoi=/> */
static const XmlValue apic_values[] = {
        { "eoi", XML_T_ENUM, offsetof(DomainFeatureApic, eoi), 0, &xml_enum_on_off, 0, 0, 0 },
};
static XML_ELEMENT(apic_element, "apic", DomainFeatureApic, apic_values, no_subs, NULL);

/* <smm state><tseg unit='MiB'>48</tseg></smm> */
static const XmlValue tseg_values[] = {
        { NULL, XML_T_KIB, 0, XML_REQUIRED, NULL, 0, 0, 0 },
};
static XML_ELEMENT(tseg_element, "tseg", uint64_t, tseg_values, no_subs, NULL);

static int smm_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainFeatureSmm *smm = obj;

        state_default_on(c, n, obj, parent);
        if (smm->tseg_kib > 0 && smm->state == DOMAIN_TRISTATE_OFF)
                return xml_fail(c, n, "<tseg> needs SMM on");
        if (smm->tseg_kib % 1024 != 0)
                return xml_fail(c, n, "<tseg> must be a whole number of MiB");
        return 0;
}

static const XmlValue smm_values[] = {
        { "state", XML_T_ENUM, offsetof(DomainFeatureSmm, state), 0, &xml_enum_on_off, 0, 0, 0 },
};
static const XmlSub smm_subs[] = {
        XML_INLINE(tseg_element, DomainFeatureSmm, tseg_kib),
};
static XML_ELEMENT(smm_element, "smm", DomainFeatureSmm, smm_values, smm_subs, smm_check);

/* <ioapic driver='kvm|qemu'/> */
XML_ENUM_DEFINE_STATIC(ioapic_drivers, { "kvm", DOMAIN_IOAPIC_KVM }, { "qemu", DOMAIN_IOAPIC_QEMU });
static const XmlValue ioapic_values[] = {
        { "driver", XML_T_ENUM, offsetof(DomainFeatureIoapic, driver), XML_REQUIRED, &ioapic_drivers, 0, 0,
          0 },
};
static XML_ELEMENT(ioapic_element, "ioapic", DomainFeatureIoapic, ioapic_values, no_subs, NULL);

/* <async-teardown enabled='yes|no'/> */
static const XmlValue async_teardown_values[] = {
        { "enabled", XML_T_ENUM, offsetof(DomainFeatureAsyncTeardown, enabled), 0, &xml_enum_yes_no, 0, 0,
          0 },
};
static XML_ELEMENT(async_teardown_element, "async-teardown", DomainFeatureAsyncTeardown,
                   async_teardown_values, no_subs, state_default_on);

/* <kvm> */
STATE_ELEMENT(kvm_hidden_element, "hidden");
STATE_ELEMENT(kvm_hint_dedicated_element, "hint-dedicated");
STATE_ELEMENT(kvm_poll_control_element, "poll-control");
STATE_ELEMENT(kvm_pv_ipi_element, "pv-ipi");

static int dirty_ring_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainFeatureDirtyRing *ring = obj;

        state_default_on(c, n, obj, parent);
        if (ring->state != DOMAIN_TRISTATE_ON)
                return 0;
        if (ring->size == 0)
                return xml_fail(c, n, "<dirty-ring state='on'> needs a size");
        /* KVM's limits, as libvirt checks them. */
        if (ring->size < 1024 || ring->size > 65536 || (ring->size & (ring->size - 1)))
                return xml_fail(c, n, "dirty-ring size %u is not a power of two from 1024 to 65536",
                                ring->size);
        return 0;
}

static const XmlValue dirty_ring_values[] = {
        { "state", XML_T_ENUM, offsetof(DomainFeatureDirtyRing, state), 0, &xml_enum_on_off, 0, 0, 0 },
        { "size", XML_T_UINT, offsetof(DomainFeatureDirtyRing, size), 0, NULL, 1, 0, 0 },
};
static XML_ELEMENT(dirty_ring_element, "dirty-ring", DomainFeatureDirtyRing, dirty_ring_values, no_subs,
                   dirty_ring_check);

static const XmlSub kvm_subs[] = {
        STATE_SUB(DomainFeatureKvm, kvm_hidden_element, hidden),
        STATE_SUB(DomainFeatureKvm, kvm_hint_dedicated_element, hint_dedicated),
        STATE_SUB(DomainFeatureKvm, kvm_poll_control_element, poll_control),
        STATE_SUB(DomainFeatureKvm, kvm_pv_ipi_element, pv_ipi),
        XML_INLINE(dirty_ring_element, DomainFeatureKvm, dirty_ring),
};
static const XmlValue no_values[] = {};
static XML_ELEMENT(kvm_element, "kvm", DomainFeatureKvm, no_values, kvm_subs, NULL);

/* <hyperv mode='custom|passthrough'> */
STATE_ELEMENT(hv_relaxed_element, "relaxed");
STATE_ELEMENT(hv_vapic_element, "vapic");
STATE_ELEMENT(hv_vpindex_element, "vpindex");
STATE_ELEMENT(hv_runtime_element, "runtime");
STATE_ELEMENT(hv_synic_element, "synic");
STATE_ELEMENT(hv_reset_element, "reset");
STATE_ELEMENT(hv_frequencies_element, "frequencies");
STATE_ELEMENT(hv_reenlightenment_element, "reenlightenment");
STATE_ELEMENT(hv_ipi_element, "ipi");
STATE_ELEMENT(hv_evmcs_element, "evmcs");
STATE_ELEMENT(hv_avic_element, "avic");
STATE_ELEMENT(hv_emsr_bitmap_element, "emsr_bitmap");
STATE_ELEMENT(hv_xmm_input_element, "xmm_input");

static int spinlocks_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainHypervSpinlocks *s = obj;

        state_default_on(c, n, obj, parent);
        if (s->state == DOMAIN_TRISTATE_ON && s->retries == 0)
                return xml_fail(c, n, "<spinlocks state='on'> needs retries");
        return 0;
}

/* Hyper-V's minimum retry count is 0xfff. */
static const XmlValue spinlocks_values[] = {
        { "state", XML_T_ENUM, offsetof(DomainHypervSpinlocks, state), 0, &xml_enum_on_off, 0, 0, 0 },
        { "retries", XML_T_UINT, offsetof(DomainHypervSpinlocks, retries), 0, NULL, 4095, UINT32_MAX, 0 },
};
static XML_ELEMENT(hv_spinlocks_element, "spinlocks", DomainHypervSpinlocks, spinlocks_values, no_subs,
                   spinlocks_check);

static const XmlValue stimer_values[] = {
        { "state", XML_T_ENUM, offsetof(DomainHypervStimer, state), 0, &xml_enum_on_off, 0, 0, 0 },
};
static const XmlSub stimer_subs[] = {
        STATE_SUB(DomainHypervStimer, direct_element, direct),
};
static XML_ELEMENT(hv_stimer_element, "stimer", DomainHypervStimer, stimer_values, stimer_subs,
                   state_default_on);

static const XmlValue tlbflush_values[] = {
        { "state", XML_T_ENUM, offsetof(DomainHypervTlbflush, state), 0, &xml_enum_on_off, 0, 0, 0 },
};
static const XmlSub tlbflush_subs[] = {
        STATE_SUB(DomainHypervTlbflush, direct_element, direct),
        STATE_SUB(DomainHypervTlbflush, extended_element, extended),
};
static XML_ELEMENT(hv_tlbflush_element, "tlbflush", DomainHypervTlbflush, tlbflush_values, tlbflush_subs,
                   state_default_on);

/* The vendor ID goes into a -cpu option: 12 characters as Hyper-V has
 * them, and no comma (QEMU's separator). */
static int vendor_id_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainHypervVendorId *v = obj;

        state_default_on(c, n, obj, parent);
        if (v->state != DOMAIN_TRISTATE_ON)
                return 0;
        if (!v->value || !*v->value)
                return xml_fail(c, n, "<vendor_id state='on'> needs a value");
        if (strlen(v->value) > 12)
                return xml_fail(c, n, "vendor_id value '%s' is longer than 12 characters", v->value);
        if (v->value[strspn(v->value,
                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.+")])
                return xml_fail(c, n, "vendor_id value '%s' has characters QEMU cannot take", v->value);
        return 0;
}

static const XmlValue vendor_id_values[] = {
        { "state", XML_T_ENUM, offsetof(DomainHypervVendorId, state), 0, &xml_enum_on_off, 0, 0, 0 },
        { "value", XML_T_STRING, offsetof(DomainHypervVendorId, value), 0, NULL, 0, 0, 0 },
};
static XML_ELEMENT(hv_vendor_id_element, "vendor_id", DomainHypervVendorId, vendor_id_values, no_subs,
                   vendor_id_check);

XML_ENUM_DEFINE_STATIC(hyperv_modes, { "custom", DOMAIN_HYPERV_MODE_CUSTOM },
                       { "passthrough", DOMAIN_HYPERV_MODE_PASSTHROUGH });

static int hyperv_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainFeatureHyperv *h = obj;

        if (h->mode == DOMAIN_HYPERV_MODE_DEFAULT)
                h->mode = DOMAIN_HYPERV_MODE_CUSTOM;
        return 0;
}

static const XmlValue hyperv_values[] = {
        { "mode", XML_T_ENUM, offsetof(DomainFeatureHyperv, mode), 0, &hyperv_modes, 0, 0, 0 },
};
#define HV_SUB(var, field) STATE_SUB(DomainFeatureHyperv, var, field)
static const XmlSub hyperv_subs[] = {
        HV_SUB(hv_relaxed_element, relaxed),
        HV_SUB(hv_vapic_element, vapic),
        HV_SUB(hv_spinlocks_element, spinlocks),
        HV_SUB(hv_vpindex_element, vpindex),
        HV_SUB(hv_runtime_element, runtime),
        HV_SUB(hv_synic_element, synic),
        HV_SUB(hv_stimer_element, stimer),
        HV_SUB(hv_reset_element, reset),
        HV_SUB(hv_vendor_id_element, vendor_id),
        HV_SUB(hv_frequencies_element, frequencies),
        HV_SUB(hv_reenlightenment_element, reenlightenment),
        HV_SUB(hv_tlbflush_element, tlbflush),
        HV_SUB(hv_ipi_element, ipi),
        HV_SUB(hv_evmcs_element, evmcs),
        HV_SUB(hv_avic_element, avic),
        HV_SUB(hv_emsr_bitmap_element, emsr_bitmap),
        HV_SUB(hv_xmm_input_element, xmm_input),
};
static XML_ELEMENT(hyperv_element, "hyperv", DomainFeatureHyperv, hyperv_values, hyperv_subs, hyperv_check);

#define NOT_X86 "it is not an x86 feature"
#define NOT_QEMU "it is a Xen or LXC feature, not one of QEMU's"

/* In libvirt's order, which is the order they are written in. */
static const XmlSub features_subs[] = {
        { .name = "acpi", .kind = XML_SUB_MARKER, .offset = offsetof(DomainFeatures, acpi) },
        { .kind = XML_SUB_OPTIONAL,
          .elem = &apic_element,
          .offset = offsetof(DomainFeatures, apic),
          .flags = XML_KEEP_EMPTY },
        { .name = "pae", .kind = XML_SUB_MARKER, .offset = offsetof(DomainFeatures, pae) },
        STATE_SUB(DomainFeatures, hap_element, hap),
        XML_REFUSED("viridian", NOT_QEMU),
        XML_REFUSED("privnet", NOT_QEMU),
        XML_OPTIONAL(hyperv_element, DomainFeatures, hyperv),
        XML_INLINE(kvm_element, DomainFeatures, kvm),
        XML_REFUSED("xen", NOT_QEMU),
        STATE_SUB(DomainFeatures, pvspinlock_element, pvspinlock),
        XML_REFUSED("capabilities", NOT_QEMU),
        STATE_SUB(DomainFeatures, pmu_element, pmu),
        STATE_SUB(DomainFeatures, vmport_element, vmport),
        XML_REFUSED("gic", "the GIC is ARM's interrupt controller, " NOT_X86),
        XML_INLINE(smm_element, DomainFeatures, smm),
        XML_INLINE(ioapic_element, DomainFeatures, ioapic),
        XML_REFUSED("hpt", "POWER's hashed page table: " NOT_X86),
        STATE_SUB(DomainFeatures, vmcoreinfo_element, vmcoreinfo),
        XML_REFUSED("htm", "POWER's transactional memory: " NOT_X86),
        XML_REFUSED("nested-hv", "POWER's nested KVM-HV: " NOT_X86),
        XML_REFUSED("msrs", "it is a bhyve setting: QEMU has no switch for unknown MSRs"),
        XML_REFUSED("ccf-assist", "a POWER feature: " NOT_X86),
        XML_REFUSED("cfpc", "a POWER feature: " NOT_X86),
        XML_REFUSED("sbbc", "a POWER feature: " NOT_X86),
        XML_REFUSED("ibs", "a POWER feature: " NOT_X86),
        XML_REFUSED("tcg", "TCG translation-block cache tuning is not supported"),
        XML_INLINE(async_teardown_element, DomainFeatures, async_teardown),
        XML_REFUSED("ras", "an ARM feature: " NOT_X86),
        XML_REFUSED("ps2", "turning off the PS/2 controller is not supported"),
};

XML_ELEMENT(domain_xml_features, "features", DomainFeatures, no_values, features_subs, NULL);
