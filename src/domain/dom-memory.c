/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stddef.h>

#include "cpuset.h"
#include "domain-xml-internal.h"

/*
 * Memory and tuning parts of <domain>: <maxMemory>, <memoryBacking>,
 * <iothreads>, <iothreadids>, <cputune>, <numatune>.
 */

static int check_cpuset(XmlCtx *c, xmlNode *n, const char *what, const char *s) {
        CpuSet set;

        if (s && cpuset_parse(s, DOMAIN_CPUSET_MAX, &set) < 0)
                return xml_fail(c, n, "invalid %s '%s'", what, s);
        return 0;
}

/* ---- <maxMemory slots unit> ------------------------------------------------- */

/* The value and its unit are kept as written (the shared KiB text
 * reader allows no attribute besides unit=). */
static const XmlValue max_memory_values[] = {
        { "slots", XML_T_UINT, offsetof(DomainMaxMemory, slots), XML_REQUIRED, NULL, 1, 255, 0 },
        { "unit", XML_T_TOKEN, offsetof(DomainMaxMemory, unit), 0, &domain_xml_mem_unit, 0, 0, 0 },
        { NULL, XML_T_NUM, offsetof(DomainMaxMemory, value), XML_REQUIRED, NULL, 1, 0, 0 },
};

static int max_memory_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainMaxMemory *m = obj;

        if (xml_memory_to_kib(m->value.value, m->unit, &m->kib) < 0)
                return xml_fail(c, n, "maxMemory %" PRIu64 " %s is too large", m->value.value,
                                m->unit ?: "KiB");
        return 0;
}

XML_ELEMENT(domain_xml_max_memory, "maxMemory", DomainMaxMemory, max_memory_values, (const XmlSub[]){},
            max_memory_check);

/* ---- <memoryBacking> ---------------------------------------------------------- */

XML_ENUM_DEFINE_STATIC(mem_source, { "file", DOMAIN_MEM_SOURCE_FILE },
                       { "anonymous", DOMAIN_MEM_SOURCE_ANONYMOUS }, { "memfd", DOMAIN_MEM_SOURCE_MEMFD });

XML_ENUM_DEFINE_STATIC(mem_allocation, { "immediate", DOMAIN_MEM_ALLOC_IMMEDIATE },
                       { "ondemand", DOMAIN_MEM_ALLOC_ONDEMAND });

static const XmlValue page_values[] = {
        { "size", XML_T_NUM, offsetof(DomainHugePage, size), XML_REQUIRED, NULL, 1, 0, 0 },
        { "unit", XML_T_TOKEN, offsetof(DomainHugePage, unit), 0, &domain_xml_mem_unit, 0, 0, 0 },
        { "nodeset", XML_T_STRING, offsetof(DomainHugePage, nodeset), 0, NULL, 0, 0, 0 },
};

static int page_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainHugePage *p = obj;

        if (xml_memory_to_kib(p->size.value, p->unit, &p->size_kib) < 0)
                return xml_fail(c, n, "page size %" PRIu64 " %s is too large", p->size.value,
                                p->unit ?: "KiB");
        return check_cpuset(c, n, "nodeset", p->nodeset);
}

static XML_ELEMENT(page_element, "page", DomainHugePage, page_values, (const XmlSub[]){}, page_check);

static const XmlSub hugepages_subs[] = {
        XML_ARRAY(page_element, DomainHugePages, pages, n_pages),
};
static XML_ELEMENT(hugepages_element, "hugepages", DomainHugePages, (const XmlValue[]){}, hugepages_subs,
                   NULL);

static const XmlValue source_values[] = {
        { "type", XML_T_ENUM, 0, XML_REQUIRED, &mem_source, 0, 0, 0 },
};
static XML_ELEMENT(source_element, "source", DomainMemSource, source_values, (const XmlSub[]){}, NULL);

static const XmlValue access_values[] = {
        { "mode", XML_T_ENUM, 0, XML_REQUIRED, &domain_xml_mem_access, 0, 0, 0 },
};
static XML_ELEMENT(access_element, "access", DomainMemAccess, access_values, (const XmlSub[]){}, NULL);

static const XmlValue allocation_values[] = {
        { "mode", XML_T_ENUM, offsetof(DomainMemAllocationDef, mode), 0, &mem_allocation, 0, 0, 0 },
        { "threads", XML_T_UINT, offsetof(DomainMemAllocationDef, threads), 0, NULL, 1, 1024, 0 },
};
static XML_ELEMENT(allocation_element, "allocation", DomainMemAllocationDef, allocation_values,
                   (const XmlSub[]){}, NULL);

static const XmlSub memory_backing_subs[] = {
        XML_OPTIONAL(hugepages_element, DomainMemoryBacking, hugepages),
        { .name = "nosharepages",
          .kind = XML_SUB_MARKER,
          .offset = offsetof(DomainMemoryBacking, nosharepages) },
        { .name = "locked", .kind = XML_SUB_MARKER, .offset = offsetof(DomainMemoryBacking, locked) },
        XML_INLINE(source_element, DomainMemoryBacking, source),
        XML_INLINE(access_element, DomainMemoryBacking, access),
        XML_INLINE(allocation_element, DomainMemoryBacking, allocation),
        { .name = "discard", .kind = XML_SUB_MARKER, .offset = offsetof(DomainMemoryBacking, discard) },
};

XML_ELEMENT(domain_xml_memory_backing, "memoryBacking", DomainMemoryBacking, (const XmlValue[]){},
            memory_backing_subs, NULL);

/* ---- <iothreads>, <iothreadids> -------------------------------------------------- */

static const XmlValue iothreads_values[] = {
        { NULL, XML_T_UINT, 0, XML_REQUIRED, NULL, 1, 1024, 0 },
};
XML_ELEMENT(domain_xml_iothreads, "iothreads", unsigned, iothreads_values, (const XmlSub[]){}, NULL);

static const XmlValue iothread_values[] = {
        { "id", XML_T_NUM, offsetof(DomainIothreadId, id), XML_REQUIRED, NULL, 1, UINT32_MAX, 0 },
};
static XML_ELEMENT(iothread_element, "iothread", DomainIothreadId, iothread_values, (const XmlSub[]){},
                   NULL);

static const XmlSub iothreadids_subs[] = {
        XML_ARRAY(iothread_element, DomainIothreadIds, ids, n_ids),
};
XML_ELEMENT(domain_xml_iothreadids, "iothreadids", DomainIothreadIds, (const XmlValue[]){}, iothreadids_subs,
            NULL);

/* ---- <cputune> ------------------------------------------------------------------ */

static const XmlValue shares_values[] = {
        { NULL, XML_T_UINT, 0, XML_REQUIRED, NULL, 1, 262144, 0 }, /* cgroup v1 cpu.shares range */
};
static XML_ELEMENT(shares_element, "shares", unsigned, shares_values, (const XmlSub[]){}, NULL);

static const XmlValue period_values[] = {
        { NULL, XML_T_NUM, 0, XML_REQUIRED, NULL, 1000, 1000000, 0 },
};
static XML_ELEMENT(period_element, "period", XmlNum, period_values, (const XmlSub[]){}, NULL);

static const XmlValue quota_values[] = {
        { NULL, XML_T_NUM, 0, XML_REQUIRED, NULL, 1000, 17592186044415ULL, 0 },
};
static XML_ELEMENT(quota_element, "quota", XmlNum, quota_values, (const XmlSub[]){}, NULL);

static int vcpupin_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        return check_cpuset(c, n, "cpuset", ((DomainVcpuPin *) obj)->cpuset);
}

static int emulatorpin_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        return check_cpuset(c, n, "cpuset", *(char **) obj);
}

static int iothreadpin_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        return check_cpuset(c, n, "cpuset", ((DomainIothreadPin *) obj)->cpuset);
}

static const XmlValue vcpupin_values[] = {
        { "vcpu", XML_T_NUM, offsetof(DomainVcpuPin, vcpu), XML_REQUIRED, NULL, 0, 4095, 0 },
        { "cpuset", XML_T_STRING, offsetof(DomainVcpuPin, cpuset), XML_REQUIRED, NULL, 0, 0, 0 },
};
static XML_ELEMENT(vcpupin_element, "vcpupin", DomainVcpuPin, vcpupin_values, (const XmlSub[]){},
                   vcpupin_check);

static const XmlValue emulatorpin_values[] = {
        { "cpuset", XML_T_STRING, 0, XML_REQUIRED, NULL, 0, 0, 0 },
};
static XML_ELEMENT(emulatorpin_element, "emulatorpin", char *, emulatorpin_values, (const XmlSub[]){},
                   emulatorpin_check);

static const XmlValue iothreadpin_values[] = {
        { "iothread", XML_T_UINT, offsetof(DomainIothreadPin, iothread), XML_REQUIRED, NULL, 1, UINT32_MAX,
          0 },
        { "cpuset", XML_T_STRING, offsetof(DomainIothreadPin, cpuset), XML_REQUIRED, NULL, 0, 0, 0 },
};
static XML_ELEMENT(iothreadpin_element, "iothreadpin", DomainIothreadPin, iothreadpin_values,
                   (const XmlSub[]){}, iothreadpin_check);

static const XmlSub cputune_subs[] = {
        XML_INLINE(shares_element, DomainCputune, shares),
        XML_INLINE(period_element, DomainCputune, period),
        XML_INLINE(quota_element, DomainCputune, quota),
        XML_ARRAY(vcpupin_element, DomainCputune, vcpupins, n_vcpupins),
        XML_INLINE(emulatorpin_element, DomainCputune, emulatorpin),
        XML_ARRAY(iothreadpin_element, DomainCputune, iothreadpins, n_iothreadpins),
        XML_REFUSED("emulator_period", "per-thread CPU bandwidth limits are not supported yet"),
        XML_REFUSED("emulator_quota", "per-thread CPU bandwidth limits are not supported yet"),
        XML_REFUSED("global_period", "per-thread CPU bandwidth limits are not supported yet"),
        XML_REFUSED("global_quota", "per-thread CPU bandwidth limits are not supported yet"),
        XML_REFUSED("iothread_period", "per-thread CPU bandwidth limits are not supported yet"),
        XML_REFUSED("iothread_quota", "per-thread CPU bandwidth limits are not supported yet"),
        XML_REFUSED("vcpusched", "real-time scheduling of QEMU threads is not supported"),
        XML_REFUSED("iothreadsched", "real-time scheduling of QEMU threads is not supported"),
        XML_REFUSED("emulatorsched", "real-time scheduling of QEMU threads is not supported"),
        XML_REFUSED("cachetune", "resctrl cache allocation is not supported"),
        XML_REFUSED("memorytune", "resctrl memory bandwidth allocation is not supported"),
};

XML_ELEMENT(domain_xml_cputune, "cputune", DomainCputune, (const XmlValue[]){}, cputune_subs, NULL);

/* ---- <numatune> ----------------------------------------------------------------- */

XML_ENUM_DEFINE_STATIC(numatune_mode, { "strict", DOMAIN_NUMATUNE_STRICT },
                       { "preferred", DOMAIN_NUMATUNE_PREFERRED },
                       { "interleave", DOMAIN_NUMATUNE_INTERLEAVE },
                       { "restrictive", DOMAIN_NUMATUNE_RESTRICTIVE });

XML_ENUM_DEFINE_STATIC(numatune_placement, { "static", DOMAIN_NUMATUNE_PLACEMENT_STATIC },
                       { "auto", DOMAIN_NUMATUNE_PLACEMENT_AUTO });

static const XmlValue numa_memory_values[] = {
        { "mode", XML_T_ENUM, offsetof(DomainNumatuneMemory, mode), 0, &numatune_mode, 0, 0, 0 },
        { "nodeset", XML_T_STRING, offsetof(DomainNumatuneMemory, nodeset), 0, NULL, 0, 0, 0 },
        { "placement", XML_T_ENUM, offsetof(DomainNumatuneMemory, placement), 0, &numatune_placement, 0, 0,
          0 },
};

static int numa_memory_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainNumatuneMemory *m = obj;

        if (m->placement == DOMAIN_NUMATUNE_PLACEMENT_AUTO && m->nodeset)
                return xml_fail(c, n, "placement='auto' takes no nodeset");
        if (m->placement != DOMAIN_NUMATUNE_PLACEMENT_AUTO && !m->nodeset)
                return xml_fail(c, n, "numatune memory needs a nodeset (or placement='auto')");
        return check_cpuset(c, n, "nodeset", m->nodeset);
}

static XML_ELEMENT(numa_memory_element, "memory", DomainNumatuneMemory, numa_memory_values,
                   (const XmlSub[]){}, numa_memory_check);

static const XmlValue memnode_values[] = {
        { "cellid", XML_T_NUM, offsetof(DomainNumatuneMemnode, cellid), XML_REQUIRED, NULL, 0, 127, 0 },
        { "mode", XML_T_ENUM, offsetof(DomainNumatuneMemnode, mode), 0, &numatune_mode, 0, 0, 0 },
        { "nodeset", XML_T_STRING, offsetof(DomainNumatuneMemnode, nodeset), XML_REQUIRED, NULL, 0, 0, 0 },
};

static int memnode_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        return check_cpuset(c, n, "nodeset", ((DomainNumatuneMemnode *) obj)->nodeset);
}

static XML_ELEMENT(memnode_element, "memnode", DomainNumatuneMemnode, memnode_values, (const XmlSub[]){},
                   memnode_check);

static const XmlSub numatune_subs[] = {
        XML_INLINE(numa_memory_element, DomainNumatune, memory),
        XML_ARRAY(memnode_element, DomainNumatune, memnodes, n_memnodes),
};

XML_ELEMENT(domain_xml_numatune, "numatune", DomainNumatune, (const XmlValue[]){}, numatune_subs, NULL);

/* ---- checks across elements ------------------------------------------------------ */

static xmlNode *child_named(xmlNode *n, const char *name, size_t index) {
        for (xmlNode *ch = n ? n->children : NULL; ch; ch = ch->next)
                if (ch->type == XML_ELEMENT_NODE && !ch->ns && streq((const char *) ch->name, name) &&
                    index-- == 0)
                        return ch;
        return n;
}

int domain_xml_tuning_check(XmlCtx *c, xmlNode *root, const Domain *d) {
        xmlNode *n;

        if (d->max_memory.kib && d->max_memory.kib < d->memory_kib)
                return xml_fail(c, child_named(root, "maxMemory", 0), "maxMemory is smaller than memory");
        for (size_t i = 0; i < d->cputune.n_vcpupins; i++)
                if (d->cputune.vcpupins[i].vcpu.value >= d->vcpus) {
                        n = child_named(child_named(root, "cputune", 0), "vcpupin", i);
                        return xml_fail(c, n, "vcpupin names vCPU %" PRIu64 ", beyond the %u of <vcpu>",
                                        d->cputune.vcpupins[i].vcpu.value, d->vcpus);
                }
        for (size_t i = 0; i < d->numatune.n_memnodes; i++)
                if (d->numatune.memnodes[i].cellid.value >= d->cpu.numa.n_cells) {
                        n = child_named(child_named(root, "numatune", 0), "memnode", i);
                        return xml_fail(c, n, "memnode cellid %" PRIu64 " names no <numa> cell",
                                        d->numatune.memnodes[i].cellid.value);
                }
        return 0;
}
