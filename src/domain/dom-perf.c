/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/*
 * <perf><event name='cmt' enabled='no'/></perf>: libvirt opens host perf
 * counters (perf_event_open on the QEMU process) for its own monitoring
 * statistics (virDomainGetStats). They are not a guest feature and QEMU
 * never sees them, so the events are kept and written back and have no
 * effect here: vmunit collects no such statistics.
 *
 * <on_lockfailure>: what libvirt's lock manager (sanlock, lockd) does to
 * the guest when it loses a disk lease. vmunit has no lock manager, so
 * there is no lease to lose: the policy is kept and written back, and
 * never triggers.
 */

XML_ENUM_DEFINE_STATIC(
        perf_event_name, { "cmt", DOMAIN_PERF_CMT }, { "mbmt", DOMAIN_PERF_MBMT },
        { "mbml", DOMAIN_PERF_MBML }, { "cpu_cycles", DOMAIN_PERF_CPU_CYCLES },
        { "instructions", DOMAIN_PERF_INSTRUCTIONS }, { "cache_references", DOMAIN_PERF_CACHE_REFERENCES },
        { "cache_misses", DOMAIN_PERF_CACHE_MISSES },
        { "branch_instructions", DOMAIN_PERF_BRANCH_INSTRUCTIONS },
        { "branch_misses", DOMAIN_PERF_BRANCH_MISSES }, { "bus_cycles", DOMAIN_PERF_BUS_CYCLES },
        { "stalled_cycles_frontend", DOMAIN_PERF_STALLED_CYCLES_FRONTEND },
        { "stalled_cycles_backend", DOMAIN_PERF_STALLED_CYCLES_BACKEND },
        { "ref_cpu_cycles", DOMAIN_PERF_REF_CPU_CYCLES }, { "cpu_clock", DOMAIN_PERF_CPU_CLOCK },
        { "task_clock", DOMAIN_PERF_TASK_CLOCK }, { "page_faults", DOMAIN_PERF_PAGE_FAULTS },
        { "context_switches", DOMAIN_PERF_CONTEXT_SWITCHES },
        { "cpu_migrations", DOMAIN_PERF_CPU_MIGRATIONS }, { "page_faults_min", DOMAIN_PERF_PAGE_FAULTS_MIN },
        { "page_faults_maj", DOMAIN_PERF_PAGE_FAULTS_MAJ },
        { "alignment_faults", DOMAIN_PERF_ALIGNMENT_FAULTS },
        { "emulation_faults", DOMAIN_PERF_EMULATION_FAULTS });

static const XmlValue event_values[] = {
        { "name", XML_T_ENUM, offsetof(DomainPerfEvent, name), XML_REQUIRED, &perf_event_name, 0, 0, 0 },
        { "enabled", XML_T_ENUM, offsetof(DomainPerfEvent, enabled), XML_REQUIRED, &xml_enum_yes_no, 0, 0,
          0 },
};
static XML_ELEMENT(event_element, "event", DomainPerfEvent, event_values, (const XmlSub[]){}, NULL);

/* libvirt refuses an event named twice. */
static int perf_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainPerf *p = obj;

        (void) parent;
        for (size_t i = 0; i < p->n_events; i++)
                for (size_t j = 0; j < i; j++)
                        if (p->events[i].name == p->events[j].name)
                                return xml_fail(c, n, "perf event '%s' is given twice",
                                                xml_enum_to_string(&perf_event_name, p->events[i].name));
        return 0;
}

static const XmlSub perf_subs[] = {
        { .kind = XML_SUB_ARRAY,
          .elem = &event_element,
          .offset = offsetof(DomainPerf, events),
          .count_offset = offsetof(DomainPerf, n_events) },
};

XML_ELEMENT(domain_xml_perf, "perf", DomainPerf, (const XmlValue[]){}, perf_subs, perf_check);

XML_ENUM_DEFINE_STATIC(lock_failure_action, { "poweroff", DOMAIN_LOCK_FAILURE_POWEROFF },
                       { "restart", DOMAIN_LOCK_FAILURE_RESTART }, { "pause", DOMAIN_LOCK_FAILURE_PAUSE },
                       { "ignore", DOMAIN_LOCK_FAILURE_IGNORE });

static const XmlValue lock_failure_values[] = {
        { NULL, XML_T_ENUM, 0, XML_REQUIRED, &lock_failure_action, 0, 0, 0 },
};

XML_ELEMENT(domain_xml_on_lockfailure, "on_lockfailure", DomainLockFailureAction, lock_failure_values,
            (const XmlSub[]){}, NULL);
