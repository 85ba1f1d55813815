/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <string.h>

#include "cpuset.h"
#include "qemu-argv-internal.h"

/*
 * <cpu> on QEMU's command line: -cpu (model, features, cache, physical
 * address bits, vendor), -smp (topology) and -numa (cells and
 * distances; their memory backends come from argv-memory.c).
 */

#define DIGITS "0123456789"
#define LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"

static bool string_in_charset(const char *s, const char *charset) {
        return *s && strspn(s, charset) == strlen(s);
}

/* A CPU model name as QEMU spells them ("Skylake-Server-v4", "Opteron_G5",
 * "486"): which names exist is the installed QEMU's to say (caps). */
static bool cpu_model_name_valid(const char *model) {
        return *model && string_in_charset(model, LETTERS DIGITS "-_.") && model[0] != '-';
}

/* Which -cpu name a mode maps to. host-model has no probing here (the
 * builder is pure), so it becomes "host" under KVM — the closest QEMU
 * has — and "max" under TCG, where "host" does not exist. */
static int cpu_base_name(QemuArgvBuilder *b, DomainCpuMode mode, const char **ret) {
        const DomainCpu *cpu = &b->d->cpu;
        const char *model = cpu->model.name;

        if (mode != DOMAIN_CPU_MODE_CUSTOM && model)
                return qemu_argv_fail(b, "<cpu><model> is only supported with mode='custom'");
        switch (mode) {
        case DOMAIN_CPU_MODE_CUSTOM:
                if (!model)
                        return qemu_argv_fail(b, "<cpu mode='custom'> needs a <model>");
                if (!cpu_model_name_valid(model))
                        return qemu_argv_fail(b, "'%s' is not a CPU model name", model);
                if (b->o->caps && !qemu_caps_has_cpu_model(b->o->caps, model))
                        return qemu_argv_fail(b,
                                              "CPU model '%s' is not offered by this host's QEMU "
                                              "(vmctl capabilities lists the ones it has)",
                                              model);
                *ret = model;
                return 0;
        case DOMAIN_CPU_MODE_HOST_PASSTHROUGH:
                if (!b->kvm)
                        return qemu_argv_fail(b, "<cpu mode='host-passthrough'> needs <domain type='kvm'>");
                *ret = "host";
                return 0;
        case DOMAIN_CPU_MODE_HOST_MODEL: *ret = b->kvm ? "host" : "max"; return 0;
        case DOMAIN_CPU_MODE_MAXIMUM: *ret = "max"; return 0;
        default: return qemu_argv_fail(b, "unsupported CPU mode");
        }
}

static bool has_hyperv_panic(const Domain *d) {
        for (size_t i = 0; i < d->n_panics; i++)
                if (d->panics[i].model == DOMAIN_PANIC_HYPERV)
                        return true;
        return false;
}

static bool host_cpu(DomainCpuMode mode) {
        return mode == DOMAIN_CPU_MODE_HOST_PASSTHROUGH || mode == DOMAIN_CPU_MODE_MAXIMUM;
}

/* Modern feature=on|off syntax: unlike legacy +f/-f, later settings win
 * in order, which is what the XML order means. QEMU has no "optional"
 * or "forbid": like libvirt, force/require/optional ask for the feature
 * and disable/forbid take it away. */
static int append_features(QemuArgvBuilder *b, char **s) {
        const DomainCpu *cpu = &b->d->cpu;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < cpu->n_features; i++) {
                const DomainCpuFeature *f = &cpu->features[i];
                bool off = f->policy == DOMAIN_CPU_FEATURE_DISABLE || f->policy == DOMAIN_CPU_FEATURE_FORBID;

                if (!string_in_charset(f->name, LOWER DIGITS "_.-") || !strchr(LOWER DIGITS, f->name[0]))
                        return qemu_argv_fail(b, "invalid CPU feature name '%s'", f->name);
                r = qemu_argv_appendf(s, "%s=%s", f->name, off ? "off" : "on");
        }
        return r;
}

/* libvirt's mapping: emulate shows a made-up L3 cache, passthrough the
 * host's cache descriptions (only a host CPU has them), disable neither. */
static int append_cache(QemuArgvBuilder *b, DomainCpuMode mode, char **s) {
        switch (b->d->cpu.cache.mode) {
        case DOMAIN_CPU_CACHE_NONE: return 0;
        case DOMAIN_CPU_CACHE_EMULATE:
                if (host_cpu(mode))
                        return qemu_argv_appendf(s, "host-cache-info=off,l3-cache=on");
                return qemu_argv_appendf(s, "l3-cache=on");
        case DOMAIN_CPU_CACHE_PASSTHROUGH:
                if (!host_cpu(mode))
                        return qemu_argv_fail(
                                b, "<cache mode='passthrough'> needs <cpu mode='host-passthrough'> "
                                   "or 'maximum'");
                return qemu_argv_appendf(s, "host-cache-info=on,l3-cache=off");
        case DOMAIN_CPU_CACHE_DISABLE:
                if (host_cpu(mode))
                        return qemu_argv_appendf(s, "host-cache-info=off,l3-cache=off");
                return qemu_argv_appendf(s, "l3-cache=off");
        }
        return 0;
}

static int append_phys_addr(QemuArgvBuilder *b, char **s) {
        const DomainCpuMaxPhysAddr *a = &b->d->cpu.maxphysaddr;
        int r = 0;

        switch (a->mode) {
        case DOMAIN_CPU_PHYS_ADDR_NONE: return 0;
        case DOMAIN_CPU_PHYS_ADDR_PASSTHROUGH:
                r = qemu_argv_appendf(s, "host-phys-bits=on");
                if (r >= 0 && a->limit)
                        r = qemu_argv_appendf(s, "host-phys-bits-limit=%u", a->limit);
                return r;
        case DOMAIN_CPU_PHYS_ADDR_EMULATE:
                if (a->bits)
                        r = qemu_argv_appendf(s, "phys-bits=%u", a->bits);
                return r;
        }
        return 0;
}

int qemu_argv_build_cpu(QemuArgvBuilder *b) {
        const DomainCpu *cpu = &b->d->cpu;
        bool hv_crash = has_hyperv_panic(b->d);
        DomainCpuMode mode = cpu->mode;
        _cleanup_free_ char *s = NULL;
        const char *base = NULL;
        int r;

        if (mode == DOMAIN_CPU_MODE_DEFAULT) {
                if (!cpu->model.name) {
                        /* Only topology (or nothing): QEMU's default model. */
                        if (cpu->n_features > 0)
                                return qemu_argv_fail(b, "<cpu><feature> needs a <model> or a mode");
                        if (cpu->cache.mode || cpu->maxphysaddr.mode)
                                return qemu_argv_fail(
                                        b, "<cpu><cache> and <maxphysaddr> need a <model> or a mode");
                        if (hv_crash)
                                return qemu_argv_fail(b,
                                                      "<panic model='hyperv'> needs a <cpu> model or mode");
                        return 0;
                }
                mode = DOMAIN_CPU_MODE_CUSTOM;
        }
        r = cpu_base_name(b, mode, &base);
        if (r < 0)
                return r;
        r = qemu_argv_appendf(&s, "%s", base);
        /* vendor_id was checked at parse time: 12 characters of QEMU's alphabet. */
        if (r >= 0 && cpu->model.vendor_id)
                r = qemu_argv_appendf(&s, "vendor=%s", cpu->model.vendor_id);
        if (r >= 0)
                r = append_features(b, &s);
        if (r >= 0)
                r = append_cache(b, mode, &s);
        if (r >= 0)
                r = append_phys_addr(b, &s);
        if (r >= 0 && hv_crash)
                r = qemu_argv_appendf(&s, "hv-crash=on");
        /* Only host and max CPUs have the property; libvirt ignores it elsewhere too. */
        if (r >= 0 && cpu->migratable && host_cpu(mode))
                r = qemu_argv_appendf(&s, "migratable=%s",
                                      cpu->migratable == DOMAIN_TRISTATE_ON ? "on" : "off");
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-cpu", "%s", s);
}

/* QEMU starts vCPUs 0 to current-1; libvirt hot-adds other enabled ones
 * right after start, which vmunit does not do. An enabled hotpluggable
 * vCPU among the first ones simply starts present (it cannot be
 * unplugged here anyway). */
static int check_vcpu_list(QemuArgvBuilder *b, unsigned cur) {
        const DomainVcpus *v = &b->d->vcpu_list;

        for (size_t i = 0; i < v->n_vcpus; i++) {
                bool enabled = v->vcpus[i].enabled == DOMAIN_TRISTATE_ON;

                if (enabled != (v->vcpus[i].id.value < cur))
                        return qemu_argv_fail(
                                b,
                                "<vcpus>: vCPU %" PRIu64 " is %s, but only vCPUs 0 to %u can be "
                                "enabled at start (others need CPU hotplug, which vmunit does "
                                "not do yet)",
                                v->vcpus[i].id.value, enabled ? "enabled" : "disabled", cur - 1);
        }
        return 0;
}

int qemu_argv_build_smp(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        const DomainCpuTopology *t = &d->cpu.topology;
        unsigned max = d->vcpus ?: 1, cur = d->vcpus_current ?: max;
        _cleanup_free_ char *s = NULL;
        int r;

        if (cur > max)
                return qemu_argv_fail(b, "<vcpu current='%u'> exceeds the maximum %u", cur, max);
        r = check_vcpu_list(b, cur);
        if (r < 0)
                return r;
        /* QEMU 7.2 knows clusters only on ARM's virt machine. */
        if (t->clusters > 1)
                return qemu_argv_fail(b,
                                      "CPU topology clusters='%u' is not supported: QEMU 7.2 has no "
                                      "CPU clusters on x86 machines",
                                      t->clusters);
        if (t->sockets && t->cores && t->threads &&
            (uint64_t) t->sockets * (t->dies ?: 1) * t->cores * t->threads != max)
                return qemu_argv_fail(
                        b, "CPU topology sockets*dies*cores*threads = %u*%u*%u*%u does not match <vcpu> %u",
                        t->sockets, t->dies ?: 1, t->cores, t->threads, max);
        r = cur == max ? qemu_argv_appendf(&s, "%u", max) : qemu_argv_appendf(&s, "%u,maxcpus=%u", cur, max);
        if (r >= 0 && t->sockets)
                r = qemu_argv_appendf(&s, "sockets=%u", t->sockets);
        if (r >= 0 && t->dies)
                r = qemu_argv_appendf(&s, "dies=%u", t->dies);
        if (r >= 0 && t->cores)
                r = qemu_argv_appendf(&s, "cores=%u", t->cores);
        if (r >= 0 && t->threads)
                r = qemu_argv_appendf(&s, "threads=%u", t->threads);
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-smp", "%s", s);
}

/* "0-1,3" as QEMU's repeated list option: "key=0-1,key=3". */
int qemu_argv_append_set(char **s, const char *key, const char *set_string, unsigned max) {
        _cleanup_free_ char *list = NULL;
        CpuSet set;
        int r;

        if (cpuset_parse(set_string, max, &set) < 0)
                return -EINVAL;
        r = cpuset_format_list(&set, &list);
        if (r < 0)
                return r;
        for (char *save = NULL, *item = strtok_r(list, ",", &save); item;
             item = strtok_r(NULL, ",", &save)) {
                r = qemu_argv_appendf(s, "%s=%s", key, item);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* After the cells' memory backends (ram-nodeN): one -numa node each,
 * then the distances. Cell ids were checked to be 0..n-1 in order. */
int qemu_argv_build_numa(QemuArgvBuilder *b) {
        const DomainNuma *nu = &b->d->cpu.numa;
        int r;

        for (size_t i = 0; i < nu->n_cells; i++) {
                const DomainNumaCell *cell = &nu->cells[i];
                _cleanup_free_ char *s = NULL;

                r = qemu_argv_appendf(&s, "node,nodeid=%zu", i);
                if (r >= 0 && cell->cpus) {
                        r = qemu_argv_append_set(&s, "cpus", cell->cpus, b->d->vcpus);
                        if (r == -EINVAL)
                                return qemu_argv_fail(b, "NUMA cell %zu: cpus '%s' name vCPUs beyond <vcpu>",
                                                      i, cell->cpus);
                }
                if (r >= 0)
                        r = qemu_argv_appendf(&s, "memdev=ram-node%zu", i);
                if (r >= 0)
                        r = qemu_argv_add(b, "-numa", "%s", s);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < nu->n_cells; i++)
                for (size_t j = 0; j < nu->cells[i].distances.n_siblings; j++) {
                        const DomainNumaSibling *sib = &nu->cells[i].distances.siblings[j];

                        if (sib->id.value >= nu->n_cells)
                                return qemu_argv_fail(
                                        b, "NUMA distance to cell %" PRIu64 ", which does not exist",
                                        sib->id.value);
                        r = qemu_argv_add(b, "-numa", "dist,src=%zu,dst=%" PRIu64 ",val=%" PRIu64, i,
                                          sib->id.value, sib->value.value);
                        if (r < 0)
                                return r;
                }
        return 0;
}
