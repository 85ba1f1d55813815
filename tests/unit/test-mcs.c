/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>

#include "macro.h"
#include "mcs.h"

/*
 * SELinux sVirt's pure logic without SELinux: category pairs (format,
 * parse, allocation with an injected random source and reservation
 * check), context arithmetic, the policy's virtual context files, the
 * labels each seclabel type gives each kind of path, the holder record.
 */

#define DOMAIN_CTX "system_u:system_r:svirt_t:s0"
#define IMAGE_CTX "system_u:object_r:svirt_image_t:s0"
#define CONTENT_CTX "system_u:object_r:virt_content_t:s0"
#define UUID_A "11111111-2222-3333-4444-555555555555"
#define UUID_B "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

Test(mcs, pair_format) {
        char buf[MCS_PAIR_STRLEN];

        cr_assert_eq(mcs_pair_format(&(McsPair){ 12, 345 }, buf), 0);
        cr_assert_str_eq(buf, "c12,c345");
        cr_assert_eq(mcs_pair_format(&(McsPair){ 1022, 1023 }, buf), 0);
        cr_assert_str_eq(buf, "c1022,c1023");
        cr_assert_eq(mcs_pair_format(&(McsPair){ 0, 1 }, buf), 0);
        cr_assert_str_eq(buf, "c0,c1");
        cr_assert_eq(mcs_pair_format(&(McsPair){ 5, 5 }, buf), -EINVAL);
        cr_assert_eq(mcs_pair_format(&(McsPair){ 6, 5 }, buf), -EINVAL);
        cr_assert_eq(mcs_pair_format(&(McsPair){ 5, 1024 }, buf), -EINVAL);
}

Test(mcs, pair_parse) {
        static const char *const bad[] = {
                "",         "c1",     "c1,", "c1,c1",  "c2,c1",  "c01,c2", "c1,c1024", "c-1,c2",
                "c1,c2,c3", "c1, c2", "1,2", "c1,c2 ", "cc1,c2", "c1;c2",  "C1,C2",    "c1,c99999999999",
        };
        McsPair p;

        cr_assert_eq(mcs_pair_parse("c12,c345", &p), 0);
        cr_assert_eq(p.a, 12);
        cr_assert_eq(p.b, 345);
        cr_assert_eq(mcs_pair_parse("c0,c1023", &p), 0);
        cr_assert_eq(p.a, 0);
        cr_assert_eq(p.b, 1023);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                cr_assert_eq(mcs_pair_parse(bad[i], &p), -EINVAL, "'%s' accepted", bad[i]);
        cr_assert_eq(mcs_pair_parse(NULL, &p), -EINVAL);
}

/* Random source replaying a script, then failing. */
typedef struct Script {
        const uint32_t *values;
        size_t n, pos;
        /* reservation set: taken[a][b] */
        bool taken[8][8];
        unsigned max; /* categories 0..max, max < 8 for the table */
        unsigned calls;
        int fail_with; /* reserve error to inject, 0 = none */
} Script;

static int script_random(uint32_t *ret, void *userdata) {
        Script *s = userdata;
        if (s->pos >= s->n)
                return -EIO;
        *ret = s->values[s->pos++];
        return 0;
}

static int counter_random(uint32_t *ret, void *userdata) {
        Script *s = userdata;
        *ret = (uint32_t) (s->pos++ * 2654435761u);
        return 0;
}

static int table_reserve(const McsPair *p, void *userdata) {
        Script *s = userdata;
        s->calls++;
        cr_assert(p->a < p->b, "unordered pair c%u,c%u", p->a, p->b);
        cr_assert(p->b <= s->max, "c%u out of range 0..%u", p->b, s->max);
        if (s->fail_with)
                return s->fail_with;
        if (s->taken[p->a][p->b])
                return -EEXIST;
        s->taken[p->a][p->b] = true;
        return 0;
}

Test(mcs, allocate_sorted_and_in_range) {
        /* a = 5 % 8 = 5; b = 2 % 7 = 2 (< a, kept) -> pair (2,5). */
        static const uint32_t v[] = { 5, 2 };
        Script s = { .values = v, .n = ELEMENTSOF(v), .max = 7 };
        McsPair p;

        cr_assert_eq(mcs_allocate(7, script_random, table_reserve, &s, &p), 0);
        cr_assert_eq(p.a, 2);
        cr_assert_eq(p.b, 5);
        cr_assert(s.taken[2][5]);
}

Test(mcs, allocate_never_same_category_twice) {
        /* b drawn from n-1 values and shifted past a: 3,3 -> (3,4). */
        static const uint32_t v[] = { 3, 3 };
        Script s = { .values = v, .n = ELEMENTSOF(v), .max = 7 };
        McsPair p;

        cr_assert_eq(mcs_allocate(7, script_random, table_reserve, &s, &p), 0);
        cr_assert_eq(p.a, 3);
        cr_assert_eq(p.b, 4);
}

Test(mcs, allocate_retries_on_collision) {
        /* First draw (1,2) is taken by another VM; the second (0,6) is free. */
        static const uint32_t v[] = { 1, 1, 6, 0 };
        Script s = { .values = v, .n = ELEMENTSOF(v), .max = 7 };
        McsPair p;

        s.taken[1][2] = true;
        cr_assert_eq(mcs_allocate(7, script_random, table_reserve, &s, &p), 0);
        cr_assert_eq(p.a, 0);
        cr_assert_eq(p.b, 6);
        cr_assert_eq(s.calls, 2);
}

Test(mcs, allocate_unique_until_full) {
        /* 4 categories = 6 pairs: six allocations all differ, the
         * seventh finds the space full through the scan. */
        Script s = { .max = 3 };
        McsPair got[6];

        for (size_t i = 0; i < 6; i++) {
                cr_assert_eq(mcs_allocate(3, counter_random, table_reserve, &s, &got[i]), 0,
                             "allocation %zu", i);
                for (size_t j = 0; j < i; j++)
                        cr_assert(got[i].a != got[j].a || got[i].b != got[j].b, "pair %zu reused", i);
        }
        McsPair p;
        cr_assert_eq(mcs_allocate(3, counter_random, table_reserve, &s, &p), -ENOSPC);
}

Test(mcs, allocate_finds_last_free_pair) {
        Script s = { .max = 7 };
        McsPair p;

        for (unsigned a = 0; a < 8; a++)
                for (unsigned b = a + 1; b < 8; b++)
                        s.taken[a][b] = !(a == 4 && b == 6);
        cr_assert_eq(mcs_allocate(7, counter_random, table_reserve, &s, &p), 0);
        cr_assert_eq(p.a, 4);
        cr_assert_eq(p.b, 6);
}

Test(mcs, allocate_errors) {
        Script s = { .max = 7, .fail_with = -EACCES };
        McsPair p;

        cr_assert_eq(mcs_allocate(7, counter_random, table_reserve, &s, &p), -EACCES);
        s.fail_with = 0;
        cr_assert_eq(mcs_allocate(0, counter_random, table_reserve, &s, &p), -EINVAL);
        cr_assert_eq(mcs_allocate(1024, counter_random, table_reserve, &s, &p), -EINVAL);
        /* A broken random source stops the allocation. */
        Script empty = { .max = 7 };
        cr_assert_eq(mcs_allocate(7, script_random, table_reserve, &empty, &p), -EIO);
}

static int accept_all(const McsPair *p, void *userdata) {
        Script *s = userdata;
        s->calls++;
        return 0;
}

Test(mcs, allocate_full_range) {
        /* c0..c1023: a = 0xffffffff % 1024 = 1023, b = 0xffffffff % 1023 = 3. */
        static const uint32_t v[] = { 0xffffffffu, 0xffffffffu };
        Script s = { .values = v, .n = ELEMENTSOF(v) };
        McsPair p;

        cr_assert_eq(mcs_allocate(MCS_CATEGORY_MAX, script_random, accept_all, &s, &p), 0);
        cr_assert_eq(p.a, 3);
        cr_assert_eq(p.b, 1023);
        cr_assert_eq(s.calls, 1);
}

Test(mcs, context_check) {
        static const char *const good[] = {
                DOMAIN_CTX,
                "system_u:system_r:svirt_t:s0:c1,c2",
                "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
        };
        static const char *const bad[] = {
                "",
                "system_u:system_r:svirt_t",
                "system_u:system_r:svirt_t:",
                "system_u::svirt_t:s0",
                ":system_r:svirt_t:s0",
                "system_u:system_r:svirt_t:s0 ",
                "system_u:system_r:svirt_t:s0\nfoo",
                "system_u:system_r:svirt_t:x0",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                cr_assert_eq(mcs_context_check(good[i]), 0, "'%s' refused", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                cr_assert_eq(mcs_context_check(bad[i]), -EINVAL, "'%s' accepted", bad[i]);
        cr_assert_eq(mcs_context_check(NULL), -EINVAL);
}

Test(mcs, context_with_pair) {
        McsPair p = { 12, 345 };
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        cr_assert_eq(mcs_context_with_pair(DOMAIN_CTX, &p, &a), 0);
        cr_assert_str_eq(a, "system_u:system_r:svirt_t:s0:c12,c345");
        /* A range in the base: keep only its low sensitivity. */
        cr_assert_eq(mcs_context_with_pair("u:r:t:s0-s0:c0.c1023", &p, &b), 0);
        cr_assert_str_eq(b, "u:r:t:s0:c12,c345");
        cr_assert_eq(mcs_context_with_pair("u:r:t:s2:c1,c2", &p, &c), 0);
        cr_assert_str_eq(c, "u:r:t:s2:c12,c345");
        char *x = NULL;
        cr_assert_eq(mcs_context_with_pair("u:r:t", &p, &x), -EINVAL);
        cr_assert_eq(mcs_context_with_pair(DOMAIN_CTX, &(McsPair){ 3, 3 }, &x), -EINVAL);
        cr_assert_null(x);
}

Test(mcs, context_range_of_and_type) {
        _cleanup_free_ char *a = NULL, *t = NULL;

        cr_assert_eq(mcs_context_with_range_of(IMAGE_CTX, "system_u:system_r:svirt_t:s0:c1,c2", &a), 0);
        cr_assert_str_eq(a, "system_u:object_r:svirt_image_t:s0:c1,c2");
        cr_assert_eq(mcs_context_type(a, &t), 0);
        cr_assert_str_eq(t, "svirt_image_t");
}

Test(mcs, max_category) {
        unsigned m;

        cr_assert_eq(mcs_context_max_category("u:r:virtd_t:s0-s0:c0.c1023", &m), 0);
        cr_assert_eq(m, 1023);
        cr_assert_eq(mcs_context_max_category("u:r:virtd_t:s0-s0:c0.c255", &m), 0);
        cr_assert_eq(m, 255);
        cr_assert_eq(mcs_context_max_category("u:r:virtd_t:s0", &m), 0);
        cr_assert_eq(m, MCS_CATEGORY_MAX);
        cr_assert_eq(mcs_context_max_category("u:r:virtd_t:s0:c3,c7", &m), 0);
        cr_assert_eq(m, MCS_CATEGORY_MAX);
        cr_assert_eq(mcs_context_max_category("u:r:virtd_t:s0-s0:c0.c0", &m), 0);
        cr_assert_eq(m, MCS_CATEGORY_MAX);
        cr_assert_eq(mcs_context_max_category("nonsense", &m), -EINVAL);
}

Test(mcs, virt_contexts_debian) {
        /* Debian 12 selinux-policy-default's files, verbatim. */
        _cleanup_(mcs_virt_contexts_done) McsVirtContexts v = { 0 };

        cr_assert_eq(mcs_virt_contexts_parse(DOMAIN_CTX "\n", IMAGE_CTX "\n" CONTENT_CTX "\n", &v), 0);
        cr_assert_str_eq(v.domain, DOMAIN_CTX);
        cr_assert_null(v.domain_tcg);
        cr_assert_str_eq(v.image, IMAGE_CTX);
        cr_assert_str_eq(v.content, CONTENT_CTX);
}

Test(mcs, virt_contexts_fedora_style) {
        /* Second domain line (TCG), comments, blanks, stray spaces. */
        _cleanup_(mcs_virt_contexts_done) McsVirtContexts v = { 0 };

        cr_assert_eq(mcs_virt_contexts_parse("# domains\n\n  " DOMAIN_CTX
                                             "  \nsystem_u:system_r:svirt_tcg_t:s0\n",
                                             IMAGE_CTX "\r\n" CONTENT_CTX, &v),
                     0);
        cr_assert_str_eq(v.domain, DOMAIN_CTX);
        cr_assert_str_eq(v.domain_tcg, "system_u:system_r:svirt_tcg_t:s0");
        cr_assert_str_eq(v.content, CONTENT_CTX);
}

Test(mcs, virt_contexts_default_tcg) {
        _cleanup_(mcs_virt_contexts_done) McsVirtContexts v = { 0 }, f = { 0 };

        /* Debian's policy names no TCG domain: vmunit's module's, with the
         * KVM domain's user, role and range. */
        cr_assert_eq(mcs_virt_contexts_parse(DOMAIN_CTX "\n", IMAGE_CTX "\n" CONTENT_CTX "\n", &v), 0);
        cr_assert_eq(mcs_virt_contexts_default_tcg(&v), 1);
        cr_assert_str_eq(v.domain_tcg, "system_u:system_r:" MCS_TCG_DOMAIN_TYPE ":s0");
        cr_assert_str_eq(v.domain, DOMAIN_CTX);
        /* A policy's own line stays. */
        cr_assert_eq(mcs_virt_contexts_parse(DOMAIN_CTX "\nsystem_u:system_r:svirt_prot_exec_t:s0\n",
                                             IMAGE_CTX "\n" CONTENT_CTX "\n", &f),
                     0);
        cr_assert_eq(mcs_virt_contexts_default_tcg(&f), 0);
        cr_assert_str_eq(f.domain_tcg, "system_u:system_r:svirt_prot_exec_t:s0");
        cr_assert_eq(mcs_virt_contexts_default_tcg(NULL), -EINVAL);
}

Test(mcs, context_with_type) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        cr_assert_eq(mcs_context_with_type("u:r:svirt_t:s0-s0:c0.c1023", "svirt_tcg_t", &a), 0);
        cr_assert_str_eq(a, "u:r:svirt_tcg_t:s0-s0:c0.c1023");
        cr_assert_eq(mcs_context_with_type("u:r:t:s0", "x_t", &b), 0);
        cr_assert_str_eq(b, "u:r:x_t:s0");
        cr_assert_eq(mcs_context_with_type("u:r:t:s0", "", &a), -EINVAL);
        cr_assert_eq(mcs_context_with_type("u:r:t:s0", "a:b", &a), -EINVAL);
        cr_assert_eq(mcs_context_with_type("u:r:t:s0", "a b", &a), -EINVAL);
        cr_assert_eq(mcs_context_with_type("nonsense", "x_t", &a), -EINVAL);
}

Test(mcs, virt_contexts_refused) {
        McsVirtContexts v = { 0 };

        /* Missing content line, empty files, garbage: fail closed. */
        cr_assert_eq(mcs_virt_contexts_parse(DOMAIN_CTX, IMAGE_CTX, &v), -EINVAL);
        cr_assert_eq(mcs_virt_contexts_parse("", IMAGE_CTX "\n" CONTENT_CTX, &v), -EINVAL);
        cr_assert_eq(mcs_virt_contexts_parse("svirt_t\n", IMAGE_CTX "\n" CONTENT_CTX, &v), -EINVAL);
        cr_assert_eq(mcs_virt_contexts_parse(DOMAIN_CTX, "a b:c:d:s0\n" CONTENT_CTX, &v), -EINVAL);
        cr_assert_eq(mcs_virt_contexts_parse(NULL, IMAGE_CTX, &v), -EINVAL);
        cr_assert_null(v.domain);
}

static McsVirtContexts debian(void) {
        return (McsVirtContexts){ .domain = (char *) DOMAIN_CTX,
                                  .image = (char *) IMAGE_CTX,
                                  .content = (char *) CONTENT_CTX };
}

Test(mcs, labels_dynamic) {
        _cleanup_(mcs_labels_done) McsLabels l = { 0 };
        McsVirtContexts v = debian();
        McsSeclabel sec = { .type = MCS_SECLABEL_DYNAMIC };

        cr_assert_eq(mcs_labels_compute(&sec, &v, false, &(McsPair){ 12, 345 }, &l), 0);
        cr_assert_str_eq(l.process, "system_u:system_r:svirt_t:s0:c12,c345");
        cr_assert(l.relabel);
        /* Each kind of path: exclusive ones get the VM's pair. */
        cr_assert_str_eq(mcs_labels_for_kind(&l, VM_FILE_IMAGE_RW),
                         "system_u:object_r:svirt_image_t:s0:c12,c345");
        cr_assert_str_eq(mcs_labels_for_kind(&l, VM_FILE_NVRAM),
                         "system_u:object_r:svirt_image_t:s0:c12,c345");
        cr_assert_str_eq(mcs_labels_for_kind(&l, VM_FILE_RUNTIME_DIR),
                         "system_u:object_r:svirt_image_t:s0:c12,c345");
        cr_assert_str_eq(mcs_labels_for_kind(&l, VM_FILE_SOCKET),
                         "system_u:object_r:svirt_image_t:s0:c12,c345");
        cr_assert_str_eq(mcs_labels_for_kind(&l, VM_FILE_LOG),
                         "system_u:object_r:svirt_image_t:s0:c12,c345");
        cr_assert_str_eq(mcs_labels_for_kind(&l, VM_FILE_IMAGE_SHARED), IMAGE_CTX);
        cr_assert_str_eq(mcs_labels_for_kind(&l, VM_FILE_IMAGE_RO), CONTENT_CTX);
        cr_assert_str_eq(mcs_labels_for_kind(&l, VM_FILE_BOOT), CONTENT_CTX);
}

Test(mcs, labels_dynamic_tcg) {
        _cleanup_(mcs_labels_done) McsLabels kvm = { 0 }, tcg = { 0 }, tcg_only_one = { 0 };
        McsVirtContexts v = debian();
        McsSeclabel sec = { .type = MCS_SECLABEL_DYNAMIC };
        McsPair p = { 1, 2 };

        cr_assert_eq(mcs_labels_compute(&sec, &v, true, &p, &tcg_only_one), 0);
        cr_assert_str_eq(tcg_only_one.process, "system_u:system_r:svirt_t:s0:c1,c2");
        v.domain_tcg = (char *) "system_u:system_r:svirt_tcg_t:s0";
        cr_assert_eq(mcs_labels_compute(&sec, &v, true, &p, &tcg), 0);
        cr_assert_str_eq(tcg.process, "system_u:system_r:svirt_tcg_t:s0:c1,c2");
        cr_assert_eq(mcs_labels_compute(&sec, &v, false, &p, &kvm), 0);
        cr_assert_str_eq(kvm.process, "system_u:system_r:svirt_t:s0:c1,c2");
        /* Dynamic without a pair or without the policy files: refused. */
        McsLabels none = { 0 };
        cr_assert_eq(mcs_labels_compute(&sec, &v, false, NULL, &none), -EINVAL);
        cr_assert_eq(mcs_labels_compute(&sec, NULL, false, &p, &none), -EINVAL);
}

Test(mcs, labels_static_no_relabel) {
        _cleanup_(mcs_labels_done) McsLabels l = { 0 };
        McsSeclabel sec = { .type = MCS_SECLABEL_STATIC, .label = "system_u:system_r:svirt_t:s0:c7,c8" };

        cr_assert_eq(mcs_labels_compute(&sec, NULL, false, NULL, &l), 0);
        cr_assert_str_eq(l.process, "system_u:system_r:svirt_t:s0:c7,c8");
        cr_assert_not(l.relabel);
        cr_assert_null(mcs_labels_for_kind(&l, VM_FILE_IMAGE_RW));
        cr_assert_null(mcs_labels_for_kind(&l, VM_FILE_IMAGE_RO));
}

Test(mcs, labels_static_relabel) {
        _cleanup_(mcs_labels_done) McsLabels derived = { 0 }, given = { 0 };
        McsVirtContexts v = debian();
        McsSeclabel sec = { .type = MCS_SECLABEL_STATIC,
                            .label = "system_u:system_r:svirt_t:s0:c7,c8",
                            .relabel = true };

        cr_assert_eq(mcs_labels_compute(&sec, &v, false, NULL, &derived), 0);
        cr_assert_str_eq(mcs_labels_for_kind(&derived, VM_FILE_IMAGE_RW),
                         "system_u:object_r:svirt_image_t:s0:c7,c8");
        sec.imagelabel = "system_u:object_r:my_image_t:s0:c7,c8";
        cr_assert_eq(mcs_labels_compute(&sec, &v, false, NULL, &given), 0);
        cr_assert_str_eq(mcs_labels_for_kind(&given, VM_FILE_IMAGE_RW),
                         "system_u:object_r:my_image_t:s0:c7,c8");
        cr_assert_str_eq(mcs_labels_for_kind(&given, VM_FILE_IMAGE_RO), CONTENT_CTX);
}

Test(mcs, labels_static_refused) {
        McsVirtContexts v = debian();
        McsLabels l = { 0 };
        McsSeclabel sec = { .type = MCS_SECLABEL_STATIC };

        cr_assert_eq(mcs_labels_compute(&sec, &v, false, NULL, &l), -EINVAL); /* no label */
        sec.label = "svirt_t";
        cr_assert_eq(mcs_labels_compute(&sec, &v, false, NULL, &l), -EINVAL);
        sec.label = "system_u:system_r:svirt_t:s0:c1,c2";
        sec.relabel = true;
        sec.imagelabel = "bad label";
        cr_assert_eq(mcs_labels_compute(&sec, &v, false, NULL, &l), -EINVAL);
        sec.imagelabel = NULL;
        cr_assert_eq(mcs_labels_compute(&sec, NULL, false, NULL, &l),
                     -EINVAL); /* relabel needs the policy */
        cr_assert_null(l.process);
}

Test(mcs, labels_none) {
        _cleanup_(mcs_labels_done) McsLabels l = { 0 };
        McsSeclabel sec = { .type = MCS_SECLABEL_NONE };

        cr_assert_eq(mcs_labels_compute(&sec, NULL, false, NULL, &l), 0);
        cr_assert_null(l.process);
        cr_assert_not(l.relabel);
        cr_assert_null(mcs_labels_for_kind(&l, VM_FILE_IMAGE_RW));
}

Test(mcs, kind_exclusive) {
        cr_assert(mcs_kind_is_exclusive(VM_FILE_IMAGE_RW));
        cr_assert(mcs_kind_is_exclusive(VM_FILE_NVRAM));
        cr_assert(mcs_kind_is_exclusive(VM_FILE_RUNTIME_DIR));
        cr_assert_not(mcs_kind_is_exclusive(VM_FILE_IMAGE_SHARED));
        cr_assert_not(mcs_kind_is_exclusive(VM_FILE_IMAGE_RO));
        cr_assert_not(mcs_kind_is_exclusive(VM_FILE_BOOT));
}
