/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stddef.h>

#include "cpuset.h"
#include "domain-xml-internal.h"

/*
 * <cpu mode match check migratable>: <model fallback vendor_id>,
 * <vendor>, <topology>, <cache>, <maxphysaddr>, <feature> (repeated) and
 * <numa><cell><distances><sibling/></distances></cell></numa>.
 */

#define CPU_TOPOLOGY_MAX 4096U

XML_ENUM_DEFINE(domain_xml_cpu_mode, { "custom", DOMAIN_CPU_MODE_CUSTOM },
                { "host-model", DOMAIN_CPU_MODE_HOST_MODEL },
                { "host-passthrough", DOMAIN_CPU_MODE_HOST_PASSTHROUGH },
                { "maximum", DOMAIN_CPU_MODE_MAXIMUM });

/* Kept as written so the file round-trips; QEMU only knows on and off. */
XML_ENUM_DEFINE(domain_xml_cpu_feature_policy, { "force", DOMAIN_CPU_FEATURE_FORCE },
                { "require", DOMAIN_CPU_FEATURE_REQUIRE }, { "optional", DOMAIN_CPU_FEATURE_OPTIONAL },
                { "disable", DOMAIN_CPU_FEATURE_DISABLE }, { "forbid", DOMAIN_CPU_FEATURE_FORBID });

XML_ENUM_DEFINE(domain_xml_cpu_match, { "minimum", DOMAIN_CPU_MATCH_MINIMUM },
                { "exact", DOMAIN_CPU_MATCH_EXACT }, { "strict", DOMAIN_CPU_MATCH_STRICT });

XML_ENUM_DEFINE(domain_xml_cpu_check, { "none", DOMAIN_CPU_CHECK_NONE },
                { "partial", DOMAIN_CPU_CHECK_PARTIAL }, { "full", DOMAIN_CPU_CHECK_FULL });

XML_ENUM_DEFINE_STATIC(cpu_fallback, { "allow", DOMAIN_CPU_FALLBACK_ALLOW },
                       { "forbid", DOMAIN_CPU_FALLBACK_FORBID });

XML_ENUM_DEFINE_STATIC(cpu_cache_mode, { "emulate", DOMAIN_CPU_CACHE_EMULATE },
                       { "passthrough", DOMAIN_CPU_CACHE_PASSTHROUGH },
                       { "disable", DOMAIN_CPU_CACHE_DISABLE });

XML_ENUM_DEFINE_STATIC(cpu_phys_addr_mode, { "passthrough", DOMAIN_CPU_PHYS_ADDR_PASSTHROUGH },
                       { "emulate", DOMAIN_CPU_PHYS_ADDR_EMULATE });

XML_ENUM_DEFINE(domain_xml_mem_access, { "shared", DOMAIN_MEM_ACCESS_SHARED },
                { "private", DOMAIN_MEM_ACCESS_PRIVATE });

/* libvirt's memory unit names (xml_memory_to_kib takes them all). */
XML_ENUM_DEFINE(domain_xml_mem_unit, { "b", 0 }, { "bytes", 0 }, { "KB", 0 }, { "k", 0 }, { "KiB", 0 },
                { "MB", 0 }, { "M", 0 }, { "MiB", 0 }, { "GB", 0 }, { "G", 0 }, { "GiB", 0 }, { "TB", 0 },
                { "T", 0 }, { "TiB", 0 }, { "PB", 0 }, { "P", 0 }, { "PiB", 0 }, { "EB", 0 }, { "E", 0 },
                { "EiB", 0 });

/* Names go into QEMU's -cpu option: keep them to its alphabet. */
static bool cpu_name_valid(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *s))
                        return false;
        return true;
}

/* ---- <model> ---------------------------------------------------------------- */

static const XmlValue model_values[] = {
        { "fallback", XML_T_ENUM, offsetof(DomainCpuModel, fallback), 0, &cpu_fallback, 0, 0, 0 },
        { "vendor_id", XML_T_STRING, offsetof(DomainCpuModel, vendor_id), 0, NULL, 0, 0, 0 },
        { NULL, XML_T_STRING, offsetof(DomainCpuModel, name), 0, NULL, 0, 0, 0 },
};

/* QEMU's vendor= takes exactly 12 characters (CPUID's three registers). */
static int model_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainCpuModel *m = obj;

        if (m->vendor_id && (strlen(m->vendor_id) != 12 || !cpu_name_valid(m->vendor_id)))
                return xml_fail(c, n, "vendor_id '%s' must be 12 letters, digits, '_', '.' or '-'",
                                m->vendor_id);
        return 0;
}

static XML_ELEMENT(model_element, "model", DomainCpuModel, model_values, (const XmlSub[]){}, model_check);

static const XmlValue vendor_values[] = {
        { NULL, XML_T_STRING, 0, 0, NULL, 0, 0, 0 },
};
static XML_ELEMENT(vendor_element, "vendor", char *, vendor_values, (const XmlSub[]){}, NULL);

/* ---- <topology>, <cache>, <maxphysaddr>, <feature> ---------------------------- */

static const XmlValue topology_values[] = {
        { "sockets", XML_T_UINT, offsetof(DomainCpuTopology, sockets), 0, NULL, 1, CPU_TOPOLOGY_MAX, 0 },
        { "dies", XML_T_UINT, offsetof(DomainCpuTopology, dies), 0, NULL, 1, CPU_TOPOLOGY_MAX, 0 },
        { "clusters", XML_T_UINT, offsetof(DomainCpuTopology, clusters), 0, NULL, 1, CPU_TOPOLOGY_MAX, 0 },
        { "cores", XML_T_UINT, offsetof(DomainCpuTopology, cores), 0, NULL, 1, CPU_TOPOLOGY_MAX, 0 },
        { "threads", XML_T_UINT, offsetof(DomainCpuTopology, threads), 0, NULL, 1, CPU_TOPOLOGY_MAX, 0 },
};
static XML_ELEMENT(topology_element, "topology", DomainCpuTopology, topology_values, (const XmlSub[]){},
                   NULL);

static const XmlValue cache_values[] = {
        { "level", XML_T_UINT, offsetof(DomainCpuCache, level), 0, NULL, 1, 3, 0 },
        { "mode", XML_T_ENUM, offsetof(DomainCpuCache, mode), XML_REQUIRED, &cpu_cache_mode, 0, 0, 0 },
};

/* libvirt's rules: emulation is of the L3 cache only, passthrough
 * passes every level, disable turns off what would be shown. */
static int cache_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainCpuCache *k = obj;

        if (k->mode == DOMAIN_CPU_CACHE_EMULATE && k->level != 3)
                return xml_fail(c, n,
                                "cache mode 'emulate' needs level='3' (QEMU emulates only the L3 cache)");
        if (k->mode != DOMAIN_CPU_CACHE_EMULATE && k->level)
                return xml_fail(c, n, "cache level is only meaningful with mode='emulate'");
        return 0;
}

static XML_ELEMENT(cache_element, "cache", DomainCpuCache, cache_values, (const XmlSub[]){}, cache_check);

static const XmlValue maxphysaddr_values[] = {
        { "mode", XML_T_ENUM, offsetof(DomainCpuMaxPhysAddr, mode), XML_REQUIRED, &cpu_phys_addr_mode, 0, 0,
          0 },
        { "bits", XML_T_UINT, offsetof(DomainCpuMaxPhysAddr, bits), 0, NULL, 1, 64, 0 },
        { "limit", XML_T_UINT, offsetof(DomainCpuMaxPhysAddr, limit), 0, NULL, 1, 64, 0 },
};

static int maxphysaddr_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainCpuMaxPhysAddr *a = obj;

        if (a->mode == DOMAIN_CPU_PHYS_ADDR_PASSTHROUGH && a->bits)
                return xml_fail(c, n, "maxphysaddr mode 'passthrough' takes limit=, not bits=");
        if (a->mode == DOMAIN_CPU_PHYS_ADDR_EMULATE && a->limit)
                return xml_fail(c, n, "maxphysaddr mode 'emulate' takes bits=, not limit=");
        return 0;
}

static XML_ELEMENT(maxphysaddr_element, "maxphysaddr", DomainCpuMaxPhysAddr, maxphysaddr_values,
                   (const XmlSub[]){}, maxphysaddr_check);

static const XmlValue feature_values[] = {
        { "policy", XML_T_ENUM, offsetof(DomainCpuFeature, policy), 0, &domain_xml_cpu_feature_policy, 0, 0,
          0 },
        { "name", XML_T_STRING, offsetof(DomainCpuFeature, name), XML_REQUIRED, NULL, 0, 0, 0 },
};

static int feature_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainCpuFeature *f = obj;

        if (!cpu_name_valid(f->name))
                return xml_fail(c, n, "invalid CPU feature name '%s'", f->name);
        return 0;
}

static XML_ELEMENT(feature_element, "feature", DomainCpuFeature, feature_values, (const XmlSub[]){},
                   feature_check);

/* ---- <numa> ------------------------------------------------------------------ */

#define NUMA_NODES_MAX 128U /* QEMU's MAX_NODES */

static const XmlValue sibling_values[] = {
        { "id", XML_T_NUM, offsetof(DomainNumaSibling, id), XML_REQUIRED, NULL, 0, NUMA_NODES_MAX - 1, 0 },
        { "value", XML_T_NUM, offsetof(DomainNumaSibling, value), XML_REQUIRED, NULL, 10, 255, 0 },
};
static XML_ELEMENT(sibling_element, "sibling", DomainNumaSibling, sibling_values, (const XmlSub[]){}, NULL);

static const XmlSub distances_subs[] = {
        XML_ARRAY(sibling_element, DomainNumaDistances, siblings, n_siblings),
};
static XML_ELEMENT(distances_element, "distances", DomainNumaDistances, (const XmlValue[]){}, distances_subs,
                   NULL);

static const XmlValue cell_values[] = {
        { "id", XML_T_NUM, offsetof(DomainNumaCell, id), 0, NULL, 0, NUMA_NODES_MAX - 1, 0 },
        { "cpus", XML_T_STRING, offsetof(DomainNumaCell, cpus), 0, NULL, 0, 0, 0 },
        { "memory", XML_T_NUM, offsetof(DomainNumaCell, memory), XML_REQUIRED, NULL, 1, 0, 0 },
        { "unit", XML_T_TOKEN, offsetof(DomainNumaCell, unit), 0, &domain_xml_mem_unit, 0, 0, 0 },
        { "memAccess", XML_T_ENUM, offsetof(DomainNumaCell, mem_access), 0, &domain_xml_mem_access, 0, 0,
          0 },
        { "discard", XML_T_ENUM, offsetof(DomainNumaCell, discard), 0, &xml_enum_yes_no, 0, 0, 0 },
};

static int cell_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainNumaCell *cell = obj;
        const DomainNuma *numa = parent;
        size_t index = numa->n_cells - 1; /* this cell is already counted */
        CpuSet set;

        /* libvirt numbers cells in order and wants ids to say so. */
        if (cell->id.set && cell->id.value != index)
                return xml_fail(c, n, "NUMA cell id %" PRIu64 " out of order (expected %zu)", cell->id.value,
                                index);
        if (cell->cpus && cpuset_parse(cell->cpus, DOMAIN_CPUSET_MAX, &set) < 0)
                return xml_fail(c, n, "invalid cpus '%s'", cell->cpus);
        if (xml_memory_to_kib(cell->memory.value, cell->unit, &cell->memory_kib) < 0)
                return xml_fail(c, n, "NUMA cell memory %" PRIu64 " %s is too large", cell->memory.value,
                                cell->unit ?: "KiB");
        for (size_t i = 0; i < cell->distances.n_siblings; i++)
                if (cell->distances.siblings[i].id.value == index &&
                    cell->distances.siblings[i].value.value != 10)
                        return xml_fail(c, n, "the distance of NUMA cell %zu to itself must be 10", index);
        return 0;
}

static const XmlSub cell_subs[] = {
        XML_INLINE(distances_element, DomainNumaCell, distances),
        XML_REFUSED("cache", "NUMA cache (HMAT) descriptions are not supported"),
};
static XML_ELEMENT(cell_element, "cell", DomainNumaCell, cell_values, cell_subs, cell_check);

static const XmlSub numa_subs[] = {
        XML_ARRAY(cell_element, DomainNuma, cells, n_cells),
        XML_REFUSED("interconnects", "NUMA interconnect (HMAT) descriptions are not supported"),
};
static XML_ELEMENT(numa_element, "numa", DomainNuma, (const XmlValue[]){}, numa_subs, NULL);

/* ---- <cpu> ------------------------------------------------------------------- */

static const XmlValue cpu_values[] = {
        { "mode", XML_T_ENUM, offsetof(DomainCpu, mode), 0, &domain_xml_cpu_mode, 0, 0, 0 },
        { "match", XML_T_ENUM, offsetof(DomainCpu, match), 0, &domain_xml_cpu_match, 0, 0, 0 },
        { "check", XML_T_ENUM, offsetof(DomainCpu, check), 0, &domain_xml_cpu_check, 0, 0, 0 },
        { "migratable", XML_T_ENUM, offsetof(DomainCpu, migratable), 0, &xml_enum_on_off, 0, 0, 0 },
};

static const XmlSub cpu_subs[] = {
        XML_INLINE(model_element, DomainCpu, model),
        XML_INLINE(vendor_element, DomainCpu, vendor),
        XML_INLINE(topology_element, DomainCpu, topology),
        XML_INLINE(cache_element, DomainCpu, cache),
        XML_INLINE(maxphysaddr_element, DomainCpu, maxphysaddr),
        XML_ARRAY(feature_element, DomainCpu, features, n_features),
        XML_INLINE(numa_element, DomainCpu, numa),
};

static int cpu_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainCpu *cpu = obj;

        cpu->present = true;
        return 0;
}

XML_ELEMENT(domain_xml_cpu, "cpu", DomainCpu, cpu_values, cpu_subs, cpu_check);

/* The index-th child element called name (n itself when there is none,
 * so an error still points somewhere). */
static xmlNode *child_named(xmlNode *n, const char *name, size_t index) {
        for (xmlNode *ch = n ? n->children : NULL; ch; ch = ch->next)
                if (ch->type == XML_ELEMENT_NODE && !ch->ns && streq((const char *) ch->name, name) &&
                    index-- == 0)
                        return ch;
        return n;
}

/* ---- <vcpus> ----------------------------------------------------------------- */

static const XmlValue vcpu_def_values[] = {
        { "id", XML_T_NUM, offsetof(DomainVcpuDef, id), XML_REQUIRED, NULL, 0, CPU_TOPOLOGY_MAX - 1, 0 },
        { "enabled", XML_T_ENUM, offsetof(DomainVcpuDef, enabled), XML_REQUIRED, &xml_enum_yes_no, 0, 0, 0 },
        { "hotpluggable", XML_T_ENUM, offsetof(DomainVcpuDef, hotpluggable), 0, &xml_enum_yes_no, 0, 0, 0 },
        { "order", XML_T_UINT, offsetof(DomainVcpuDef, order), 0, NULL, 1, CPU_TOPOLOGY_MAX, 0 },
};
static XML_ELEMENT(vcpu_def_element, "vcpu", DomainVcpuDef, vcpu_def_values, (const XmlSub[]){}, NULL);

static const XmlSub vcpus_subs[] = {
        XML_ARRAY(vcpu_def_element, DomainVcpus, vcpus, n_vcpus),
};
XML_ELEMENT(domain_xml_vcpus, "vcpus", DomainVcpus, (const XmlValue[]){}, vcpus_subs, NULL);

/* libvirt's rules: ids within <vcpu>, each once, vCPU 0 enabled, and as
 * many enabled as current= says. */
static int vcpus_check(XmlCtx *c, xmlNode *root, const Domain *d) {
        const DomainVcpus *v = &d->vcpu_list;
        xmlNode *vn = child_named(root, "vcpus", 0);
        unsigned enabled = 0, current = d->vcpus_current ?: d->vcpus;

        if (v->n_vcpus == 0)
                return 0;
        for (size_t i = 0; i < v->n_vcpus; i++) {
                xmlNode *n = child_named(vn, "vcpu", i);

                if (v->vcpus[i].id.value >= d->vcpus)
                        return xml_fail(c, n, "vCPU id %" PRIu64 " is beyond the %u of <vcpu>",
                                        v->vcpus[i].id.value, d->vcpus);
                for (size_t j = 0; j < i; j++)
                        if (v->vcpus[j].id.value == v->vcpus[i].id.value)
                                return xml_fail(c, n, "vCPU id %" PRIu64 " is listed twice",
                                                v->vcpus[i].id.value);
                if (v->vcpus[i].id.value == 0 && v->vcpus[i].enabled != DOMAIN_TRISTATE_ON)
                        return xml_fail(c, n, "vCPU 0 must be enabled");
                if (v->vcpus[i].enabled == DOMAIN_TRISTATE_ON)
                        enabled++;
        }
        if (v->n_vcpus == d->vcpus && enabled != current)
                return xml_fail(c, vn, "%u vCPUs are enabled but <vcpu current> says %u", enabled, current);
        return 0;
}

/* ---- checks across elements ---------------------------------------------------- */

/* In 64 bits: five factors of up to 4096 overflow 32. */
static uint64_t topology_vcpus(const DomainCpuTopology *t) {
        return (uint64_t) (t->sockets ?: 1) * (t->dies ?: 1) * (t->clusters ?: 1) * (t->cores ?: 1) *
               (t->threads ?: 1);
}

static int numa_check(XmlCtx *c, xmlNode *numa, const Domain *d) {
        const DomainNuma *nu = &d->cpu.numa;
        uint64_t sum = 0;

        for (size_t i = 0; i < nu->n_cells; i++) {
                const DomainNumaCell *cell = &nu->cells[i];
                xmlNode *cn = child_named(numa, "cell", i);
                CpuSet set;

                if (cell->cpus && cpuset_parse(cell->cpus, d->vcpus, &set) < 0)
                        return xml_fail(c, cn, "NUMA cell cpus '%s' name vCPUs beyond the %u of <vcpu>",
                                        cell->cpus, d->vcpus);
                for (size_t j = 0; j < cell->distances.n_siblings; j++)
                        if (cell->distances.siblings[j].id.value >= nu->n_cells)
                                return xml_fail(c, cn,
                                                "NUMA distance to cell %" PRIu64 ", which does not exist",
                                                cell->distances.siblings[j].id.value);
                sum += cell->memory_kib;
        }
        /* Memory devices (<memory model='dimm'>) would count towards
         * <memory> too; vmunit has none yet. */
        if (nu->n_cells > 0 && sum != d->memory_kib)
                return xml_fail(c, numa,
                                "NUMA cells hold %" PRIu64 " KiB but <memory> is %" PRIu64
                                " KiB: the two must be equal",
                                sum, d->memory_kib);
        return 0;
}

int domain_xml_vcpus_check(XmlCtx *c, xmlNode *root, const Domain *d) {
        return vcpus_check(c, root, d);
}

int domain_xml_cpu_check_domain(XmlCtx *c, xmlNode *cpu, const Domain *d) {
        const DomainCpuTopology *t = &d->cpu.topology;
        xmlNode *tn = child_named(cpu, "topology", 0);

        if (tn != cpu && topology_vcpus(t) != d->vcpus)
                return xml_fail(c, tn, "CPU topology (%" PRIu64 " vCPUs) does not match vcpu count (%u)",
                                topology_vcpus(t), d->vcpus);
        return numa_check(c, child_named(cpu, "numa", 0), d);
}
