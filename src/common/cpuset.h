/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libvirt's cpuset syntax ("0-3,^2,8"), read once into a bitmap: the
 * parser uses it to validate <vcpu cpuset=...>, the generator to write the
 * set as systemd's AllowedCPUs= list.
 */

#include <stdbool.h>
#include <stdint.h>

/* libvirt's limit: CPUs are numbered 0 to DOMAIN_CPUSET_MAX - 1. */
#define DOMAIN_CPUSET_MAX 16384U

typedef struct CpuSet {
        /* One past the highest CPU ever added: no bit is set from there
         * on, so a set of a few low CPUs is scanned in a word or two. */
        unsigned end;
        uint64_t bits[DOMAIN_CPUSET_MAX / 64];
} CpuSet;

/* Parse s: comma-separated items "N", "N-M" (N <= M) or "^N" (removes N),
 * applied left to right. Every number named, even one only removed, must
 * be below max: callers with a smaller limit than libvirt's (systemd's
 * 8192 for AllowedCPUs=) pass theirs; a larger one is capped to
 * DOMAIN_CPUSET_MAX. Returns 0 and the set in *ret; -EINVAL for bad
 * syntax, a number of max or more, or an empty result (*ret untouched). */
int cpuset_parse(const char *s, unsigned max, CpuSet *ret);

bool cpuset_contains(const CpuSet *set, unsigned cpu);

/* The set as a compact, ascending list of CPUs and ranges ("0-1,3,8"),
 * the form systemd's AllowedCPUs= takes. Returns 0 and a malloc'd string
 * in *ret (caller frees); -EINVAL for an empty set (which would mean "no
 * restriction" to systemd); -ENOMEM. */
int cpuset_format_list(const CpuSet *set, char **ret);
