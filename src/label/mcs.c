/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MCS pairs, SELinux context strings and the VM's labels: pure string logic, no libselinux (see mcs.h).
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcs.h"

static bool pair_valid(const McsPair *p) {
        return p->a < p->b && p->b <= MCS_CATEGORY_MAX;
}

int mcs_pair_format(const McsPair *p, char buf[static MCS_PAIR_STRLEN]) {
        if (!pair_valid(p))
                return -EINVAL;
        snprintf(buf, MCS_PAIR_STRLEN, "c%u,c%u", p->a, p->b);
        return 0;
}

/* "cN" with N decimal, no sign, no leading zero, N <= MCS_CATEGORY_MAX;
 * *end is set past the digits. */
static int parse_category(const char *s, unsigned *ret, const char **end) {
        unsigned v = 0;
        const char *p;

        if (s[0] != 'c' || !isdigit((unsigned char) s[1]))
                return -EINVAL;
        if (s[1] == '0' && isdigit((unsigned char) s[2]))
                return -EINVAL;
        for (p = s + 1; isdigit((unsigned char) *p); p++) {
                v = v * 10 + (unsigned) (*p - '0');
                if (v > MCS_CATEGORY_MAX)
                        return -EINVAL;
        }
        *ret = v;
        *end = p;
        return 0;
}

int mcs_pair_parse(const char *s, McsPair *ret) {
        McsPair p;
        const char *e;

        if (!s || parse_category(s, &p.a, &e) < 0 || *e != ',')
                return -EINVAL;
        if (parse_category(e + 1, &p.b, &e) < 0 || *e != '\0')
                return -EINVAL;
        if (!pair_valid(&p))
                return -EINVAL;
        *ret = p;
        return 0;
}

static int random_below(McsRandomFn rnd, void *userdata, unsigned n, unsigned *ret) {
        uint32_t v;
        int r = rnd(&v, userdata);
        if (r < 0)
                return r;
        *ret = v % n;
        return 0;
}

/* Random distinct a, b in [0, n), sorted. */
static int random_pair(McsRandomFn rnd, void *userdata, unsigned n, McsPair *ret) {
        unsigned a, b;
        int r;

        r = random_below(rnd, userdata, n, &a);
        if (r < 0)
                return r;
        r = random_below(rnd, userdata, n - 1, &b);
        if (r < 0)
                return r;
        if (b >= a)
                b++;
        *ret = a < b ? (McsPair){ a, b } : (McsPair){ b, a };
        return 0;
}

/* The pair after p in the order (0,1) (0,2) ... (0,n-1) (1,2) ... (n-2,n-1), wrapping. */
static void pair_next(McsPair *p, unsigned n) {
        if (p->b + 1 < n) {
                p->b++;
                return;
        }
        p->a = p->a + 2 < n ? p->a + 1 : 0;
        p->b = p->a + 1;
}

/* 0 reserved, 1 taken (try another), < 0 fatal. */
static int try_reserve(McsReserveFn reserve, void *userdata, const McsPair *p) {
        int r = reserve(p, userdata);
        if (r == -EEXIST)
                return 1;
        return r;
}

int mcs_allocate(unsigned max_category, McsRandomFn rnd, McsReserveFn reserve, void *userdata,
                 McsPair *ret) {
        unsigned n = max_category + 1;
        size_t total;
        McsPair p;
        int r;

        if (max_category < 1 || max_category > MCS_CATEGORY_MAX || !rnd || !reserve)
                return -EINVAL;

        for (unsigned i = 0; i < MCS_RANDOM_ATTEMPTS; i++) {
                r = random_pair(rnd, userdata, n, &p);
                if (r < 0)
                        return r;
                r = try_reserve(reserve, userdata, &p);
                if (r <= 0) {
                        if (r == 0)
                                *ret = p;
                        return r;
                }
        }

        /* Nearly full: walk every pair once, starting at a random one so
         * concurrent supervisors do not all race for the same gap. */
        r = random_pair(rnd, userdata, n, &p);
        if (r < 0)
                return r;
        total = (size_t) n * (n - 1) / 2;
        for (size_t k = 0; k < total; k++, pair_next(&p, n)) {
                r = try_reserve(reserve, userdata, &p);
                if (r <= 0) {
                        if (r == 0)
                                *ret = p;
                        return r;
                }
        }
        return -ENOSPC;
}

/* Pointer to the range of ctx (after the third ':'), NULL if there is none. */
static const char *context_range(const char *ctx) {
        const char *p = ctx;

        for (int i = 0; i < 3; i++) {
                p = strchr(p, ':');
                if (!p)
                        return NULL;
                p++;
        }
        return p;
}

int mcs_context_check(const char *ctx) {
        const char *range;
        const char *p = ctx;

        if (!ctx || !*ctx)
                return -EINVAL;
        for (const char *c = ctx; *c; c++)
                if (!isgraph((unsigned char) *c))
                        return -EINVAL;
        /* user, role and type must be non-empty and the range present. */
        for (int i = 0; i < 3; i++) {
                const char *colon = strchr(p, ':');
                if (!colon || colon == p)
                        return -EINVAL;
                p = colon + 1;
        }
        range = p;
        if (range[0] != 's')
                return -EINVAL;
        return 0;
}

/* The low sensitivity of ctx's range: "s0" for "s0", "s0:c1,c2" or "s0-s0:c0.c1023". */
static int context_sensitivity(const char *ctx, char **ret) {
        const char *range;
        size_t len;

        if (mcs_context_check(ctx) < 0)
                return -EINVAL;
        range = context_range(ctx);
        len = strcspn(range, ":-");
        *ret = strndup(range, len);
        return *ret ? 0 : -ENOMEM;
}

static int context_with_range(const char *base, const char *range, char **ret) {
        const char *r;

        if (mcs_context_check(base) < 0)
                return -EINVAL;
        r = context_range(base);
        if (asprintf(ret, "%.*s%s", (int) (r - base), base, range) < 0)
                return -ENOMEM;
        return 0;
}

int mcs_context_with_pair(const char *base, const McsPair *p, char **ret) {
        _cleanup_free_ char *sens = NULL, *range = NULL;
        char pair[MCS_PAIR_STRLEN];
        int r;

        r = mcs_pair_format(p, pair);
        if (r < 0)
                return r;
        r = context_sensitivity(base, &sens);
        if (r < 0)
                return r;
        if (asprintf(&range, "%s:%s", sens, pair) < 0)
                return -ENOMEM;
        return context_with_range(base, range, ret);
}

int mcs_context_with_range_of(const char *base, const char *other, char **ret) {
        if (mcs_context_check(other) < 0)
                return -EINVAL;
        return context_with_range(base, context_range(other), ret);
}

int mcs_context_type(const char *ctx, char **ret) {
        const char *type, *end;

        if (mcs_context_check(ctx) < 0)
                return -EINVAL;
        type = strchr(strchr(ctx, ':') + 1, ':') + 1;
        end = strchr(type, ':');
        *ret = strndup(type, (size_t) (end - type));
        return *ret ? 0 : -ENOMEM;
}

int mcs_context_with_type(const char *base, const char *type, char **ret) {
        const char *t, *end;

        if (mcs_context_check(base) < 0 || !type || !*type || strchr(type, ':'))
                return -EINVAL;
        for (const char *c = type; *c; c++)
                if (!isgraph((unsigned char) *c))
                        return -EINVAL;
        t = strchr(strchr(base, ':') + 1, ':') + 1;
        end = strchr(t, ':');
        if (asprintf(ret, "%.*s%s%s", (int) (t - base), base, type, end) < 0)
                return -ENOMEM;
        return 0;
}

int mcs_context_max_category(const char *ctx, unsigned *ret) {
        const char *range, *high, *cats, *e;
        unsigned lo, hi;

        if (mcs_context_check(ctx) < 0)
                return -EINVAL;
        range = context_range(ctx);
        high = strchr(range, '-');
        high = high ? high + 1 : range;
        cats = strchr(high, ':');
        /* Only the contiguous "c0.cN" form bounds the allocator; anything
         * else (no categories, lists) leaves the policy default. */
        if (cats && parse_category(cats + 1, &lo, &e) == 0 && lo == 0 && *e == '.' &&
            parse_category(e + 1, &hi, &e) == 0 && *e == '\0' && hi >= 1) {
                *ret = hi;
                return 0;
        }
        *ret = MCS_CATEGORY_MAX;
        return 0;
}

/* The n-th (0-based) meaningful line of text: blank lines and '#'
 * comments skipped, surrounding whitespace stripped. NULL if absent. */
static int nth_context_line(const char *text, unsigned n, char **ret) {
        const char *p = text;

        *ret = NULL;
        while (p && *p) {
                const char *end = strchrnul(p, '\n');
                const char *s = p, *e = end;

                while (s < e && isspace((unsigned char) *s))
                        s++;
                while (e > s && isspace((unsigned char) e[-1]))
                        e--;
                if (s < e && *s != '#') {
                        if (n == 0) {
                                *ret = strndup(s, (size_t) (e - s));
                                if (!*ret)
                                        return -ENOMEM;
                                return mcs_context_check(*ret) < 0 ? -EINVAL : 0;
                        }
                        n--;
                }
                p = *end ? end + 1 : NULL;
        }
        return 0;
}

int mcs_virt_contexts_parse(const char *domain_text, const char *image_text, McsVirtContexts *ret) {
        _cleanup_(mcs_virt_contexts_done) McsVirtContexts v = { 0 };
        int r;

        if (!domain_text || !image_text)
                return -EINVAL;
        r = nth_context_line(domain_text, 0, &v.domain);
        if (r >= 0)
                r = nth_context_line(domain_text, 1, &v.domain_tcg);
        if (r >= 0)
                r = nth_context_line(image_text, 0, &v.image);
        if (r >= 0)
                r = nth_context_line(image_text, 1, &v.content);
        if (r < 0)
                return r;
        /* Fail closed: without all three there is no safe label to give. */
        if (!v.domain || !v.image || !v.content)
                return -EINVAL;
        *ret = v;
        v = (McsVirtContexts){ 0 };
        return 0;
}

int mcs_virt_contexts_default_tcg(McsVirtContexts *v) {
        int r;

        if (!v || !v->domain)
                return -EINVAL;
        if (v->domain_tcg)
                return 0;
        r = mcs_context_with_type(v->domain, MCS_TCG_DOMAIN_TYPE, &v->domain_tcg);
        return r < 0 ? r : 1;
}

void mcs_virt_contexts_done(McsVirtContexts *v) {
        free(v->domain);
        free(v->domain_tcg);
        free(v->image);
        free(v->content);
        *v = (McsVirtContexts){ 0 };
}

static int strdup_to(char **dst, const char *src) {
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

/* Shared and content contexts are the policy's, without categories, so
 * every VM's s0:cA,cB dominates them and they stay readable by all. */
static int labels_shared_content(const McsVirtContexts *v, McsLabels *l) {
        int r = strdup_to(&l->shared, v->image);
        if (r < 0)
                return r;
        return strdup_to(&l->content, v->content);
}

static int labels_dynamic(const McsVirtContexts *v, bool tcg, const McsPair *pair, McsLabels *l) {
        const char *domain = tcg && v->domain_tcg ? v->domain_tcg : v->domain;
        int r;

        if (!pair)
                return -EINVAL;
        r = mcs_context_with_pair(domain, pair, &l->process);
        if (r < 0)
                return r;
        r = mcs_context_with_pair(v->image, pair, &l->image);
        if (r < 0)
                return r;
        l->relabel = true;
        return labels_shared_content(v, l);
}

static int labels_static(const McsSeclabel *sec, const McsVirtContexts *v, McsLabels *l) {
        int r;

        if (!sec->label || mcs_context_check(sec->label) < 0)
                return -EINVAL;
        r = strdup_to(&l->process, sec->label);
        if (r < 0)
                return r;
        /* relabel='no': the admin labelled the files; touch nothing. */
        if (!sec->relabel)
                return 0;
        if (!v)
                return -EINVAL;
        if (sec->imagelabel) {
                if (mcs_context_check(sec->imagelabel) < 0)
                        return -EINVAL;
                r = strdup_to(&l->image, sec->imagelabel);
        } else
                r = mcs_context_with_range_of(v->image, sec->label, &l->image);
        if (r < 0)
                return r;
        l->relabel = true;
        return labels_shared_content(v, l);
}

int mcs_labels_compute(const McsSeclabel *sec, const McsVirtContexts *v, bool tcg, const McsPair *pair,
                       McsLabels *ret) {
        _cleanup_(mcs_labels_done) McsLabels l = { 0 };
        int r;

        switch (sec->type) {
        case MCS_SECLABEL_DYNAMIC:
                if (!v)
                        return -EINVAL;
                r = labels_dynamic(v, tcg, pair, &l);
                break;
        case MCS_SECLABEL_STATIC: r = labels_static(sec, v, &l); break;
        case MCS_SECLABEL_NONE: r = 0; break;
        default: return -EINVAL;
        }
        if (r < 0)
                return r;
        *ret = l;
        l = (McsLabels){ 0 };
        return 0;
}

void mcs_labels_done(McsLabels *l) {
        free(l->process);
        free(l->image);
        free(l->shared);
        free(l->content);
        *l = (McsLabels){ 0 };
}

const char *mcs_labels_for_kind(const McsLabels *l, VmFileKind kind) {
        if (!l->relabel)
                return NULL;
        switch (kind) {
        case VM_FILE_IMAGE_SHARED: return l->shared;
        case VM_FILE_IMAGE_RO:
        case VM_FILE_BOOT: return l->content;
        default: return l->image;
        }
}

bool mcs_kind_is_exclusive(VmFileKind kind) {
        switch (kind) {
        case VM_FILE_IMAGE_SHARED:
        case VM_FILE_IMAGE_RO:
        case VM_FILE_BOOT: return false;
        default: return true;
        }
}
