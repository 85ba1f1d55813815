/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "qemu-argv-internal.h"

/* <pm> and the <features> that are devices or chipset settings rather
 * than -machine options. */

/* The ACPI sleep states are properties of the chipset's power
 * management function: PIIX4 on pc, the ICH9 LPC bridge on q35. */
static int build_pm_state(QemuArgvBuilder *b, const char *state, DomainTristate enabled) {
        if (enabled == DOMAIN_TRISTATE_ABSENT)
                return 0;
        return qemu_argv_add(b, "-global", "%s.disable_%s=%d", b->q35 ? "ICH9-LPC" : "PIIX4_PM", state,
                             enabled == DOMAIN_TRISTATE_OFF);
}

/* q35's TSEG (SMRAM) beyond the default 16 MiB, which OVMF with many
 * vCPUs or much RAM needs; i440fx has a fixed one. Async teardown lets
 * a child process free the guest's memory after QEMU exits. */
static int build_chipset_features(QemuArgvBuilder *b) {
        const DomainFeatures *f = &b->d->features;
        int r = 0;

        if (f->smm.tseg_kib > 0) {
                if (!b->q35)
                        return qemu_argv_fail(b, "<smm><tseg> needs a q35 machine");
                r = qemu_argv_add(b, "-global", "mch.extended-tseg-mbytes=%" PRIu64, f->smm.tseg_kib / 1024);
        }
        if (r >= 0 && f->async_teardown.enabled == DOMAIN_TRISTATE_ON)
                r = strv_push(&b->argv, "-async-teardown");
        return r;
}

/* ---- SMBIOS ------------------------------------------------------------- */

/* One -smbios type=N with the block's entries as QEMU's fields (the
 * entry names are QEMU's field names), values comma-escaped. */
static int build_smbios_block(QemuArgvBuilder *b, unsigned type, const DomainSysinfoBlock *blk) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = qemu_argv_appendf(&s, "type=%u", type);
        for (size_t i = 0; r >= 0 && i < blk->n_entries; i++) {
                _cleanup_free_ char *v = NULL;

                if (!blk->entries[i].value)
                        continue;
                v = qemu_opt_escape(blk->entries[i].value);
                if (!v)
                        return -ENOMEM;
                r = qemu_argv_appendf(&s, "%s=%s", blk->entries[i].name, v);
        }
        if (r < 0 || !strchr(s, ','))
                return r;
        return qemu_argv_add(b, "-smbios", "%s", s);
}

/* libvirt hands <sysinfo> to QEMU only with <smbios mode='sysinfo'/>;
 * each OEM string is its own type 11 entry. */
static int build_smbios(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        const DomainSysinfo *si = &d->sysinfo;
        const char *uuid;
        char buf[37];
        int r;

        if (d->os.smbios_mode == DOMAIN_SMBIOS_HOST)
                return qemu_argv_fail(b, "<smbios mode='host'> is not supported: it copies the host's "
                                         "/sys/firmware/dmi tables, which vmunit does not read");
        if (d->os.smbios_mode != DOMAIN_SMBIOS_SYSINFO)
                return 0;
        if (si->type != DOMAIN_SYSINFO_SMBIOS)
                return qemu_argv_fail(b, "<smbios mode='sysinfo'> needs a <sysinfo type='smbios'>");
        uuid = domain_sysinfo_get(&si->system, "uuid");
        domain_uuid_format(d->uuid, buf);
        if (uuid && strcasecmp(uuid, buf) != 0)
                return qemu_argv_fail(b, "<sysinfo> system uuid '%s' differs from the domain's <uuid> %s",
                                      uuid, buf);
        r = build_smbios_block(b, 0, &si->bios);
        if (r >= 0)
                r = build_smbios_block(b, 1, &si->system);
        if (r >= 0)
                r = build_smbios_block(b, 2, &si->base_board);
        if (r >= 0)
                r = build_smbios_block(b, 3, &si->chassis);
        for (size_t i = 0; r >= 0 && i < si->oem_strings.n_entries; i++) {
                _cleanup_free_ char *v = qemu_opt_escape(si->oem_strings.entries[i].value);

                if (!v)
                        return -ENOMEM;
                r = qemu_argv_add(b, "-smbios", "type=11,value=%s", v);
        }
        return r;
}

int qemu_argv_build_features(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        int r;

        r = build_pm_state(b, "s3", d->pm.suspend_to_mem);
        if (r >= 0)
                r = build_pm_state(b, "s4", d->pm.suspend_to_disk);
        if (r >= 0 && d->features.vmcoreinfo.state == DOMAIN_TRISTATE_ON)
                r = qemu_argv_add(b, "-device", "%s", "vmcoreinfo");
        if (r >= 0 && d->genid.value)
                r = qemu_argv_add(b, "-device", "vmgenid,guid=%s,id=vmgenid0", d->genid.value);
        if (r >= 0)
                r = build_chipset_features(b);
        if (r >= 0)
                r = build_smbios(b);
        return r;
}

/* ---- -cpu flags --------------------------------------------------------- */

static int state_flag(char **s, const char *flag, DomainTristate state) {
        if (state == DOMAIN_TRISTATE_ABSENT)
                return 0;
        return qemu_argv_appendf(s, "%s=%s", flag, state == DOMAIN_TRISTATE_ON ? "on" : "off");
}

/* libvirt's spelling: hv-NAME for every enlightenment that is on, in
 * its order; spinlocks and vendor_id carry their value. In custom mode
 * an enlightenment that is off is simply not asked for; passthrough
 * takes all the host has, so there an 'off' is said out loud. */
static int hyperv_flag(char **s, const DomainFeatureHyperv *h, const char *flag, DomainTristate state) {
        if (state == DOMAIN_TRISTATE_OFF && h->mode != DOMAIN_HYPERV_MODE_PASSTHROUGH)
                return 0;
        return state_flag(s, flag, state);
}

static int hyperv_flags(char **s, const DomainFeatureHyperv *h) {
        const struct {
                const char *flag;
                DomainTristate state;
        } flags[] = {
                { "hv-relaxed", h->relaxed.state },
                { "hv-vapic", h->vapic.state },
                { NULL, h->spinlocks.state },
                { "hv-vpindex", h->vpindex.state },
                { "hv-runtime", h->runtime.state },
                { "hv-synic", h->synic.state },
                { "hv-stimer", h->stimer.state },
                { "hv-stimer-direct", h->stimer.state == DOMAIN_TRISTATE_ON ? h->stimer.direct.state : 0 },
                { "hv-reset", h->reset.state },
                { NULL, h->vendor_id.state },
                { "hv-frequencies", h->frequencies.state },
                { "hv-reenlightenment", h->reenlightenment.state },
                { "hv-tlbflush", h->tlbflush.state },
                { "hv-tlbflush-direct",
                  h->tlbflush.state == DOMAIN_TRISTATE_ON ? h->tlbflush.direct.state : 0 },
                { "hv-tlbflush-ext",
                  h->tlbflush.state == DOMAIN_TRISTATE_ON ? h->tlbflush.extended.state : 0 },
                { "hv-ipi", h->ipi.state },
                { "hv-evmcs", h->evmcs.state },
                { "hv-avic", h->avic.state },
                { "hv-emsr-bitmap", h->emsr_bitmap.state },
                { "hv-xmm-input", h->xmm_input.state },
        };
        int r = 0;

        if (h->mode == DOMAIN_HYPERV_MODE_PASSTHROUGH)
                r = qemu_argv_appendf(s, "hv-passthrough=on");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(flags); i++) {
                if (flags[i].flag)
                        r = hyperv_flag(s, h, flags[i].flag, flags[i].state);
                else if (i == 2 && h->spinlocks.state == DOMAIN_TRISTATE_ON)
                        r = qemu_argv_appendf(s, "hv-spinlocks=0x%x", h->spinlocks.retries);
                else if (i == 9 && h->vendor_id.state == DOMAIN_TRISTATE_ON)
                        r = qemu_argv_appendf(s, "hv-vendor-id=%s", h->vendor_id.value);
        }
        return r;
}

/* <kvm><hidden state='on'/> hides KVM's CPUID signature: kvm=off. */
static int kvm_flags(char **s, const DomainFeatureKvm *k) {
        int r = 0;

        if (k->hidden.state)
                r = qemu_argv_appendf(s, "kvm=%s", k->hidden.state == DOMAIN_TRISTATE_ON ? "off" : "on");
        if (r >= 0)
                r = state_flag(s, "kvm-hint-dedicated", k->hint_dedicated.state);
        if (r >= 0)
                r = state_flag(s, "kvm-poll-control", k->poll_control.state);
        if (r >= 0)
                r = state_flag(s, "kvm-pv-ipi", k->pv_ipi.state);
        return r;
}

static int timer_flags(QemuArgvBuilder *b, char **s) {
        const DomainClock *c = &b->d->clock;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < c->n_timers; i++) {
                const DomainTimer *t = &c->timers[i];

                if (streq(t->name, "kvmclock"))
                        r = state_flag(s, "kvmclock", t->present);
                else if (streq(t->name, "hypervclock"))
                        r = state_flag(s, "hv-time", t->present);
                else if (streq(t->name, "tsc") && t->frequency.set)
                        r = qemu_argv_appendf(s, "tsc-frequency=%" PRIu64, t->frequency.value);
        }
        return r;
}

static int cpu_flags(QemuArgvBuilder *b, char **s) {
        const DomainFeatures *f = &b->d->features;
        int r = 0;

        if (f->apic)
                r = state_flag(s, "kvm-pv-eoi", f->apic->eoi);
        /* Passthrough copies the host's Hyper-V support from KVM: TCG has
         * none to copy. */
        if (r >= 0 && f->hyperv && f->hyperv->mode == DOMAIN_HYPERV_MODE_PASSTHROUGH && !b->kvm)
                return qemu_argv_fail(b, "<hyperv mode='passthrough'> needs <domain type='kvm'>");
        if (r >= 0 && f->hyperv)
                r = hyperv_flags(s, f->hyperv);
        if (r >= 0)
                r = kvm_flags(s, &f->kvm);
        if (r >= 0)
                r = state_flag(s, "kvm-pv-unhalt", f->pvspinlock.state);
        if (r >= 0)
                r = state_flag(s, "pmu", f->pmu.state);
        if (r >= 0)
                r = timer_flags(b, s);
        return r;
}

int qemu_argv_build_cpu_flags(QemuArgvBuilder *b) {
        _cleanup_free_ char *flags = NULL, *cpu = NULL;
        Strv *argv = &b->argv;
        bool i686 = b->d->os.arch && streq(b->d->os.arch, "i686");
        int r;

        r = cpu_flags(b, &flags);
        if (r < 0 || (!flags && !i686))
                return r;
        /* build_cpu() ran just before: its -cpu, if any, is last. */
        if (argv->n >= 2 && streq(argv->items[argv->n - 2], "-cpu")) {
                if (!flags)
                        return 0;
                if (asprintf(&cpu, "%s,%s", argv->items[argv->n - 1], flags) < 0)
                        return -ENOMEM;
                free(argv->items[argv->n - 1]);
                argv->items[argv->n - 1] = TAKE_PTR(cpu);
                return 0;
        }
        /* No <cpu>: QEMU's default model for x86_64, as libvirt names it;
         * an i686 guest gets the 32-bit one, as libvirt gives it on an
         * x86_64 host. */
        return qemu_argv_add(b, "-cpu", "%s%s%s", i686 ? "qemu32" : "qemu64", flags ? "," : "", flags ?: "");
}

/* ---- -machine and -accel ------------------------------------------------ */

/* <ioapic driver='qemu'/> splits the interrupt controller: the local
 * APICs stay in KVM, the IOAPIC moves to QEMU (what IOMMU interrupt
 * remapping needs). Only KVM has an in-kernel irqchip to choose. */
int qemu_argv_machine_features(QemuArgvBuilder *b, char **m) {
        const DomainFeatures *f = &b->d->features;

        if (f->hap.state == DOMAIN_TRISTATE_OFF)
                return qemu_argv_fail(b, "<hap state='off'> is not supported: KVM uses EPT/NPT whenever "
                                         "the host has them, a setting of the kvm module, not of a VM");
        if (!f->ioapic.driver)
                return 0;
        if (!b->kvm)
                return qemu_argv_fail(b, "<ioapic driver=...> needs <domain type='kvm'>");
        return qemu_argv_appendf(m, "kernel-irqchip=%s",
                                 f->ioapic.driver == DOMAIN_IOAPIC_KVM ? "on" : "split");
}

int qemu_argv_accel_features(QemuArgvBuilder *b, char **a) {
        const DomainFeatureDirtyRing *ring = &b->d->features.kvm.dirty_ring;

        if (ring->state != DOMAIN_TRISTATE_ON)
                return 0;
        if (!b->kvm)
                return qemu_argv_fail(b, "<dirty-ring> needs <domain type='kvm'>");
        return qemu_argv_appendf(a, "dirty-ring-size=%u", ring->size);
}
