/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>

#include "cpuset.h"
#include "macro.h"

/*
 * libvirt's cpuset syntax: what parses and into which set, what is
 * refused (syntax, numbers at or over the limit, sets that end up empty),
 * and the compact list written back. Each test is a table of inputs.
 */

typedef struct ListCase {
        const char *in;
        const char *want; /* cpuset_format_list() of the parsed set */
} ListCase;

static void check_lists(const ListCase *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *got = NULL;
                CpuSet set;

                cr_assert_eq(cpuset_parse(cases[i].in, DOMAIN_CPUSET_MAX, &set), 0, "'%s' refused",
                             cases[i].in);
                cr_assert_eq(cpuset_format_list(&set, &got), 0, "'%s'", cases[i].in);
                cr_assert_str_eq(got, cases[i].want, "'%s'", cases[i].in);
        }
}

static void check_refused(const char *const *bad, size_t n, unsigned max) {
        for (size_t i = 0; i < n; i++) {
                CpuSet set;

                cr_assert_eq(cpuset_parse(bad[i], max, &set), -EINVAL, "'%s' accepted", bad[i]);
        }
}

Test(cpuset, good_syntax) {
        static const ListCase cases[] = {
                { "0", "0" },     { "7", "7" },   { "0,1", "0-1" }, { "5,4,3,1", "1,3-5" },
                { "3,3,3", "3" }, { "007", "7" }, { "2-2", "2" },
        };

        check_lists(cases, ELEMENTSOF(cases));
}

Test(cpuset, ranges) {
        static const ListCase cases[] = {
                { "0-3", "0-3" },     { "0-3,8-11", "0-3,8-11" }, { "0-3,2-5", "0-5" }, /* overlapping */
                { "0-3,4-7", "0-7" },                                                   /* adjacent */
                { "60-70", "60-70" },                           /* across a word of the bitmap */
                { "63,64", "63-64" }, { "0-16383", "0-16383" }, /* the whole bitmap */
                { "16383", "16383" },
        };

        check_lists(cases, ELEMENTSOF(cases));
}

Test(cpuset, exclusions) {
        static const ListCase cases[] = {
                { "0-3,^2,8", "0-1,3,8" }, { "0-7,^0,^7", "1-6" },
                { "^2,0-3", "0-3" }, /* applied left to right, like libvirt */
                { "0-3,^2,2", "0-3" },     { "0-127,^64", "0-63,65-127" },
                { "1,^5", "1" }, /* removing what is not there */
        };

        check_lists(cases, ELEMENTSOF(cases));
}

Test(cpuset, format) {
        static const ListCase cases[] = {
                { "0,2,4,6", "0,2,4,6" },
                { "0-1,16383", "0-1,16383" },
                { "62-65,127-128,191", "62-65,127-128,191" },
                { "0-63", "0-63" }, /* exactly one word */
                { "64-127", "64-127" },
        };
        _cleanup_free_ char *s = NULL;
        CpuSet empty = {};

        check_lists(cases, ELEMENTSOF(cases));
        /* An empty AllowedCPUs= would mean "no restriction" to systemd. */
        cr_assert_eq(cpuset_format_list(&empty, &s), -EINVAL);
        cr_assert_null(s);
}

Test(cpuset, contains) {
        CpuSet set;

        cr_assert_eq(cpuset_parse("0-3,^2,100", DOMAIN_CPUSET_MAX, &set), 0);
        cr_assert(cpuset_contains(&set, 0));
        cr_assert(cpuset_contains(&set, 3));
        cr_assert(!cpuset_contains(&set, 2));
        cr_assert(cpuset_contains(&set, 100));
        cr_assert(!cpuset_contains(&set, 101));
        cr_assert(!cpuset_contains(&set, DOMAIN_CPUSET_MAX));
}

Test(cpuset, bad_syntax) {
        static const char *const bad[] = { "",   ",",     "1,",   ",1",  "1,,2", "1-",   "-1",  "1-2-3",
                                           "^",  "0-3,^", "^1-2", "3-1", "a",    "1a",   "1 2", " 1",
                                           "1 ", "+1",    "0x1",  "1.5", "^^1",  "1-^2", "1;2" };

        check_refused(bad, ELEMENTSOF(bad), DOMAIN_CPUSET_MAX);
}

Test(cpuset, out_of_range) {
        static const char *const bad[] = { "16384", "0-16384", "0,^16384", "4294967296",
                                           "99999999999999999999" };
        static const char *const over_8192[] = { "8192", "0-8192", "0,^8192" };
        CpuSet set;

        check_refused(bad, ELEMENTSOF(bad), DOMAIN_CPUSET_MAX);
        /* A caller's smaller limit (systemd's) applies to every number named. */
        check_refused(over_8192, ELEMENTSOF(over_8192), 8192);
        cr_assert_eq(cpuset_parse("8191", 8192, &set), 0);
        /* A limit above the bitmap's is capped to it. */
        check_refused(bad, ELEMENTSOF(bad), UINT32_MAX);
}

Test(cpuset, empty_after_exclusions) {
        static const char *const empty[] = { "^1", "0-3,^0,^1,^2,^3", "5,^5", "^0,^1" };

        check_refused(empty, ELEMENTSOF(empty), DOMAIN_CPUSET_MAX);
}

Test(cpuset, failure_leaves_result_alone) {
        CpuSet set;

        cr_assert_eq(cpuset_parse("4", DOMAIN_CPUSET_MAX, &set), 0);
        cr_assert_eq(cpuset_parse("1,x", DOMAIN_CPUSET_MAX, &set), -EINVAL);
        cr_assert(cpuset_contains(&set, 4));
        cr_assert(!cpuset_contains(&set, 1));
}
