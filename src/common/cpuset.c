/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cpuset.h"
#include "macro.h"

#define WORD_BITS 64U

bool cpuset_contains(const CpuSet *set, unsigned cpu) {
        return cpu < DOMAIN_CPUSET_MAX && (set->bits[cpu / WORD_BITS] >> (cpu % WORD_BITS)) & 1;
}

static void cpuset_change(CpuSet *set, unsigned cpu, bool on) {
        uint64_t mask = UINT64_C(1) << (cpu % WORD_BITS);

        if (on)
                set->bits[cpu / WORD_BITS] |= mask;
        else
                set->bits[cpu / WORD_BITS] &= ~mask;
}

/* A decimal CPU number below max; returns the rest of the string or NULL.
 * The check after each digit also keeps v from overflowing. */
static const char *cpu_number(const char *p, unsigned max, unsigned *ret) {
        unsigned v = 0;

        if (*p < '0' || *p > '9')
                return NULL;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (unsigned) (*p - '0');
                if (v >= max)
                        return NULL;
        }
        *ret = v;
        return p;
}

/* One item: "N", "N-M" or "^N". Sets or clears bits; returns the rest of
 * the string or NULL. */
static const char *cpuset_item(const char *p, unsigned max, CpuSet *set) {
        bool negate = *p == '^';
        unsigned lo, hi;

        p = cpu_number(p + negate, max, &lo);
        if (!p)
                return NULL;
        hi = lo;
        if (*p == '-' && !negate) {
                p = cpu_number(p + 1, max, &hi);
                if (!p || hi < lo)
                        return NULL;
        }
        for (unsigned i = lo; i <= hi; i++)
                cpuset_change(set, i, !negate);
        if (!negate && hi >= set->end)
                set->end = hi + 1;
        return p;
}

static bool cpuset_is_empty(const CpuSet *set) {
        for (size_t i = 0; i < (set->end + WORD_BITS - 1) / WORD_BITS; i++)
                if (set->bits[i])
                        return false;
        return true;
}

int cpuset_parse(const char *s, unsigned max, CpuSet *ret) {
        CpuSet set = {};
        const char *p = s;

        if (max > DOMAIN_CPUSET_MAX)
                max = DOMAIN_CPUSET_MAX;
        for (;;) {
                p = cpuset_item(p, max, &set);
                if (!p)
                        return -EINVAL;
                if (*p == 0)
                        break;
                if (*p++ != ',')
                        return -EINVAL;
        }
        if (cpuset_is_empty(&set))
                return -EINVAL;
        *ret = set;
        return 0;
}

/* First CPU at or after from that is in the set (on) or not (!on), a
 * word at a time; set->end when there is none. */
static unsigned cpuset_next(const CpuSet *set, unsigned from, bool on) {
        for (; from < set->end; from = (from / WORD_BITS + 1) * WORD_BITS) {
                uint64_t w = set->bits[from / WORD_BITS];

                if (!on)
                        w = ~w;
                w &= ~UINT64_C(0) << (from % WORD_BITS);
                if (w) {
                        from = (from / WORD_BITS) * WORD_BITS + (unsigned) __builtin_ctzll(w);
                        return from < set->end ? from : set->end;
                }
        }
        return set->end;
}

int cpuset_format_list(const CpuSet *set, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        const char *sep = "";
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        for (unsigned lo = cpuset_next(set, 0, true); lo < set->end;) {
                unsigned end = cpuset_next(set, lo, false); /* one past the run */

                if (end - 1 > lo)
                        fprintf(f, "%s%u-%u", sep, lo, end - 1);
                else
                        fprintf(f, "%s%u", sep, lo);
                sep = ",";
                lo = cpuset_next(set, end, true);
        }
        if (fclose(f) != 0 || !buf)
                return -ENOMEM;
        if (!*buf)
                return -EINVAL;
        *ret = TAKE_PTR(buf);
        return 0;
}
