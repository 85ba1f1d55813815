/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "cpuset.h"
#include "qemu-argv-internal.h"

/*
 * Guest RAM: -m, the memory backend objects (one for all of RAM, named
 * by -machine memory-backend=, or one per NUMA cell), -overcommit for
 * <locked/>, iothread objects, and the tuning vmunit does not apply.
 */

static uint64_t round_mib(uint64_t kib) {
        return (kib + 1023) / 1024 * 1024;
}

bool qemu_argv_ram_backend(const Domain *d) {
        const DomainMemoryBacking *mb = &d->memory_backing;

        if (d->cpu.numa.n_cells > 0)
                return false; /* one backend per cell instead */
        return mb->hugepages || mb->source || mb->access || mb->allocation.mode || mb->allocation.threads ||
               mb->discard || d->numatune.memory.mode || d->numatune.memory.nodeset;
}

/* The page size for cell (SIZE_MAX: all of RAM, which is guest node 0
 * in a guest without <numa>, as in libvirt): a <page> whose nodeset
 * names the cell, else one without a nodeset; 0 = the host's default. */
static uint64_t huge_page_kib(const DomainHugePages *h, size_t cell) {
        const DomainHugePage *any = NULL;

        if (cell == SIZE_MAX)
                cell = 0;

        for (size_t i = 0; i < h->n_pages; i++) {
                CpuSet set;

                if (!h->pages[i].nodeset)
                        any = &h->pages[i];
                else if (cpuset_parse(h->pages[i].nodeset, DOMAIN_CPUSET_MAX, &set) >= 0 &&
                         cpuset_contains(&set, (unsigned) cell))
                        return h->pages[i].size_kib;
        }
        return any ? any->size_kib : 0;
}

static const char *numatune_policy(DomainNumatuneMode m) {
        switch (m) {
        case DOMAIN_NUMATUNE_PREFERRED: return "preferred";
        case DOMAIN_NUMATUNE_INTERLEAVE: return "interleave";
        default: return "bind"; /* strict, libvirt's default */
        }
}

/* host-nodes and policy from <numatune>: the cell's <memnode>, else
 * <memory>. restrictive and placement='auto' were refused before. */
static int append_host_nodes(QemuArgvBuilder *b, char **s, size_t cell) {
        const DomainNumatune *nt = &b->d->numatune;
        DomainNumatuneMode mode = nt->memory.mode;
        const char *nodeset = nt->memory.nodeset;
        int r;

        for (size_t i = 0; cell != SIZE_MAX && i < nt->n_memnodes; i++)
                if (nt->memnodes[i].cellid.value == cell) {
                        mode = nt->memnodes[i].mode;
                        nodeset = nt->memnodes[i].nodeset;
                }
        if (!nodeset)
                return 0;
        r = qemu_argv_append_set(s, "host-nodes", nodeset, DOMAIN_CPUSET_MAX);
        if (r < 0)
                return r;
        return qemu_argv_appendf(s, "policy=%s", numatune_policy(mode));
}

/* One memory backend object. cell: the NUMA cell it backs, SIZE_MAX for
 * all of RAM; access: the cell's, overriding <memoryBacking>. */
static int build_backend(QemuArgvBuilder *b, const char *id, size_t cell, uint64_t kib,
                         DomainMemAccess access) {
        const DomainMemoryBacking *mb = &b->d->memory_backing;
        _cleanup_free_ char *s = NULL;
        int r;

        if (mb->hugepages || mb->source == DOMAIN_MEM_SOURCE_MEMFD) {
                r = qemu_argv_appendf(&s, "memory-backend-memfd,id=%s,size=%" PRIu64 "k", id, kib);
                /* memfd_create(MFD_HUGETLB) needs no hugetlbfs mount, only
                 * pages reserved on the host (vm.nr_hugepages). */
                if (r >= 0 && mb->hugepages)
                        r = qemu_argv_appendf(&s, "hugetlb=on");
                if (r >= 0 && mb->hugepages && huge_page_kib(mb->hugepages, cell))
                        r = qemu_argv_appendf(&s, "hugetlbsize=%" PRIu64 "k",
                                              huge_page_kib(mb->hugepages, cell));
        } else
                r = qemu_argv_appendf(&s, "memory-backend-ram,id=%s,size=%" PRIu64 "k", id, kib);
        access = access ?: mb->access;
        if (r >= 0 && access)
                r = qemu_argv_appendf(&s, "share=%s", access == DOMAIN_MEM_ACCESS_SHARED ? "on" : "off");
        if (r >= 0 && mb->allocation.mode == DOMAIN_MEM_ALLOC_IMMEDIATE)
                r = qemu_argv_appendf(&s, "prealloc=on");
        if (r >= 0 && mb->allocation.threads)
                r = qemu_argv_appendf(&s, "prealloc-threads=%u", mb->allocation.threads);
        /* <discard/> and a cell's discard= are kept but mean nothing here:
         * QEMU's discard-data exists on file backends only (libvirt sets
         * it on those alone), and vmunit's memory is anonymous or memfd,
         * freed with QEMU anyway. */
        if (r >= 0)
                r = append_host_nodes(b, &s, cell);
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-object", "%s", s);
}

/* What vmunit keeps in the model but cannot do yet, or cannot do at all. */
static int check_unsupported(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        const DomainMemoryBacking *mb = &d->memory_backing;
        const DomainNumatune *nt = &d->numatune;

        if (d->cputune.n_vcpupins > 0 || d->cputune.emulatorpin || d->cputune.n_iothreadpins > 0)
                return qemu_argv_fail(b, "CPU pinning (<cputune><vcpupin>, <emulatorpin>, <iothreadpin>) is "
                                         "not supported yet: use <vcpu cpuset=...> to confine the whole VM");
        if (d->cputune.period.set || d->cputune.quota.set)
                return qemu_argv_fail(b, "<cputune><period>/<quota> are not supported yet: libvirt applies "
                                         "them to each vCPU thread's cgroup, which vmunit does not create");
        if (mb->source == DOMAIN_MEM_SOURCE_FILE)
                return qemu_argv_fail(b,
                                      "<memoryBacking><source type='file'/> is not supported: vmunit has no "
                                      "memory backing directory; type='memfd' gives the same shareable "
                                      "memory");
        if (nt->memory.placement == DOMAIN_NUMATUNE_PLACEMENT_AUTO)
                return qemu_argv_fail(b,
                                      "<numatune><memory placement='auto'> needs numad, which vmunit does "
                                      "not use: give a nodeset");
        if (nt->memory.mode == DOMAIN_NUMATUNE_RESTRICTIVE)
                return qemu_argv_fail(b,
                                      "<numatune> mode='restrictive' is enforced through the cgroup cpuset "
                                      "controller, which vmunit does not drive: use strict");
        for (size_t i = 0; i < nt->n_memnodes; i++)
                if (nt->memnodes[i].mode == DOMAIN_NUMATUNE_RESTRICTIVE)
                        return qemu_argv_fail(b, "<numatune><memnode> mode='restrictive' is not supported");
        for (size_t i = 0; mb->hugepages && i < mb->hugepages->n_pages; i++) {
                const DomainHugePage *p = &mb->hugepages->pages[i];
                size_t nodes = d->cpu.numa.n_cells ?: 1;
                CpuSet set;

                if (p->nodeset && cpuset_parse(p->nodeset, nodes, &set) < 0)
                        return qemu_argv_fail(b,
                                              "<hugepages><page nodeset='%s'> names a guest NUMA node the "
                                              "guest does not have (%zu, numbered from 0)",
                                              p->nodeset, nodes);
        }
        return 0;
}

static int build_size(QemuArgvBuilder *b, uint64_t kib) {
        const DomainMaxMemory *m = &b->d->max_memory;

        if (!m->kib)
                return qemu_argv_add(b, "-m", "size=%" PRIu64 "k", kib);
        if (round_mib(m->kib) < kib)
                return qemu_argv_fail(b, "<maxMemory> is smaller than <memory>");
        return qemu_argv_add(b, "-m", "size=%" PRIu64 "k,slots=%u,maxmem=%" PRIu64 "k", kib, m->slots,
                             round_mib(m->kib));
}

/* QEMU wants whole MiB for x86 RAM in practice; like libvirt, round up
 * (each NUMA cell, so that the cells add up to -m). */
int qemu_argv_build_memory(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        const DomainNuma *nu = &d->cpu.numa;
        uint64_t kib = d->memory_kib;
        int r;

        if (kib == 0)
                return qemu_argv_fail(b, "<memory> must be greater than zero");
        if (kib > UINT64_MAX / 4)
                return qemu_argv_fail(b, "<memory> is too large");
        r = check_unsupported(b);
        if (r < 0)
                return r;
        if (nu->n_cells > 0) {
                kib = 0;
                for (size_t i = 0; i < nu->n_cells; i++)
                        kib += round_mib(nu->cells[i].memory_kib);
        } else
                kib = round_mib(kib);
        r = build_size(b, kib);
        if (r >= 0 && qemu_argv_ram_backend(d))
                r = build_backend(b, "pc.ram", SIZE_MAX, kib, 0);
        if (r >= 0 && d->memory_backing.locked)
                r = qemu_argv_add(b, "-overcommit", "mem-lock=on");
        return r;
}

/* After -smp: the cells' backends, then their -numa options. */
int qemu_argv_build_numa_memory(QemuArgvBuilder *b) {
        const DomainNuma *nu = &b->d->cpu.numa;
        char id[32];
        int r;

        for (size_t i = 0; i < nu->n_cells; i++) {
                snprintf(id, sizeof(id), "ram-node%zu", i);
                r = build_backend(b, id, i, round_mib(nu->cells[i].memory_kib), nu->cells[i].mem_access);
                if (r < 0)
                        return r;
        }
        return qemu_argv_build_numa(b);
}

static bool iothread_id_taken(const DomainIothreadIds *ids, uint64_t id) {
        for (size_t i = 0; i < ids->n_ids; i++)
                if (ids->ids[i].id.value == id)
                        return true;
        return false;
}

/* libvirt's ids: those of <iothreadids>, then the lowest free numbers
 * up to the <iothreads> count. The i-th id; *next carries the search. */
static uint64_t iothread_id(const DomainIothreadIds *ids, size_t i, uint64_t *next) {
        if (i < ids->n_ids)
                return ids->ids[i].id.value;
        while (iothread_id_taken(ids, *next))
                (*next)++;
        return (*next)++;
}

static size_t iothread_count(const Domain *d) {
        return d->iothreads > d->iothreadids.n_ids ? d->iothreads : d->iothreadids.n_ids;
}

bool qemu_argv_iothread_defined(const Domain *d, uint64_t id) {
        uint64_t next = 1;

        for (size_t i = 0; i < iothread_count(d); i++)
                if (iothread_id(&d->iothreadids, i, &next) == id)
                        return true;
        return false;
}

int qemu_argv_build_iothreads(QemuArgvBuilder *b) {
        uint64_t next = 1;
        int r;

        for (size_t i = 0; i < iothread_count(b->d); i++) {
                r = qemu_argv_add(b, "-object", "iothread,id=iothread%" PRIu64,
                                  iothread_id(&b->d->iothreadids, i, &next));
                if (r < 0)
                        return r;
        }
        return 0;
}
