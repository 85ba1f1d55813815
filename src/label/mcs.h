/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pure part of SELinux sVirt: MCS category pairs, context strings,
 * the policy's virtual context files and the labels a VM gets (the
 * record of who holds a file's label is holders.h). No libselinux
 * and no file system here, so all of it is unit-tested on any host
 * (tests/unit/test-mcs.c); selinux.c is the thin edge that applies it.
 */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "vm-files.h"

/* Categories c0..c1023: the MCS policy's default range (mcs_systemhigh). */
#define MCS_CATEGORY_MAX 1023
/* "c1022,c1023" needs 12; sized for any two unsigned so the compiler can prove it fits */
#define MCS_PAIR_STRLEN 24

/* Attempts at a random pair before falling back to a scan: with 523,776
 * pairs a collision streak this long means the space is nearly full. */
#define MCS_RANDOM_ATTEMPTS 64

typedef struct McsPair {
        unsigned a, b; /* a < b <= MCS_CATEGORY_MAX */
} McsPair;

/* "c12,c345" into buf. Returns 0, or -EINVAL when the pair is not
 * a < b <= MCS_CATEGORY_MAX. */
int mcs_pair_format(const McsPair *p, char buf[static MCS_PAIR_STRLEN]);
/* Parse exactly "cA,cB" (decimal, no leading zeros, A < B <= 1023).
 * Returns 0 or -EINVAL. */
int mcs_pair_parse(const char *s, McsPair *ret);

/* Random source: fill *ret with a uniformly random 32-bit value. 0 or -errno. */
typedef int (*McsRandomFn)(uint32_t *ret, void *userdata);
/* Try to reserve p: 0 = now ours, -EEXIST = taken by someone else, any
 * other -errno aborts the allocation. Must be atomic across processes
 * (selinux.c: linkat() of a complete file to STATE/labels/mcs/cA,cB). */
typedef int (*McsReserveFn)(const McsPair *p, void *userdata);

/* Pick and reserve a pair from c0..c{max_category}: random pairs first
 * (so concurrent supervisors rarely contend), then a scan of every pair
 * from a random start so a nearly full space still finds the last free
 * one. Returns 0 with *ret reserved, -ENOSPC when every pair is taken,
 * -EINVAL for max_category < 1 or > MCS_CATEGORY_MAX, or the first
 * fatal error of rnd/reserve. */
int mcs_allocate(unsigned max_category, McsRandomFn rnd, McsReserveFn reserve, void *userdata, McsPair *ret);

/* Highest category a process may hand out, from its own context's range
 * ("...:s0-s0:c0.c1023" -> 1023). A range without a "cX.cY" high level
 * gives MCS_CATEGORY_MAX (policy default). Returns 0 or -EINVAL. */
int mcs_context_max_category(const char *ctx, unsigned *ret);

/* Syntax check of "user:role:type:range" (non-empty fields, no
 * whitespace or control characters). Returns 0 or -EINVAL. */
int mcs_context_check(const char *ctx);
/* base with its range replaced by "SENS:cA,cB", SENS being the low
 * sensitivity of base's range (s0 in "s0" or "s0-s0:c0.c1023").
 * *ret is malloc'd. Returns 0, -EINVAL or -ENOMEM. */
int mcs_context_with_pair(const char *base, const McsPair *p, char **ret);
/* base with its range replaced by the range of other (static labels:
 * image label from the process label). Returns 0, -EINVAL or -ENOMEM. */
int mcs_context_with_range_of(const char *base, const char *other, char **ret);
/* The type field of ctx, malloc'd. Returns 0, -EINVAL or -ENOMEM. */
int mcs_context_type(const char *ctx, char **ret);
/* base with its type replaced by type (a non-empty name without ':' or
 * whitespace). *ret is malloc'd. Returns 0, -EINVAL or -ENOMEM. */
int mcs_context_with_type(const char *base, const char *type, char **ret);

/* The policy's contexts/virtual_domain_context and virtual_image_context
 * (paths from libselinux). Domain file: line 1 the KVM domain
 * (svirt_t:s0), optional line 2 the TCG domain. Image file: line 1 the
 * image context (svirt_image_t:s0; with the VM's pair for exclusive
 * images, as is for <shareable/>), line 2 the read-only content context
 * (virt_content_t:s0). Blank lines and '#' comments are skipped. */
typedef struct McsVirtContexts {
        char *domain;
        char *domain_tcg; /* NULL = same as domain */
        char *image;
        char *content;
} McsVirtContexts;

/* Returns 0, -EINVAL (missing line or bad context) or -ENOMEM. */
int mcs_virt_contexts_parse(const char *domain_text, const char *image_text, McsVirtContexts *ret);

/* The TCG domain vmunit's policy module declares (selinux/vmunit.te) for
 * a policy whose virtual_domain_context names none (Debian's): the KVM
 * domain with execmem added, as libvirt's svirt_tcg_t on Fedora. */
#define MCS_TCG_DOMAIN_TYPE "svirt_tcg_t"
/* A policy without a TCG line gets domain_tcg = its KVM domain with the
 * type MCS_TCG_DOMAIN_TYPE. Returns 1 when it filled it in (the type is
 * then the module's, which the caller must check the policy has), 0
 * when the policy names its own, -ENOMEM. */
int mcs_virt_contexts_default_tcg(McsVirtContexts *v);
void mcs_virt_contexts_done(McsVirtContexts *v);

/* <seclabel> as the domain model will carry it (see the report for the
 * parser): dynamic is libvirt's default. */
typedef enum McsSeclabelType {
        MCS_SECLABEL_DYNAMIC,
        MCS_SECLABEL_STATIC,
        MCS_SECLABEL_NONE,
} McsSeclabelType;

typedef struct McsSeclabel {
        McsSeclabelType type;
        const char *label;      /* static: the process label (required) */
        const char *imagelabel; /* static + relabel: exclusive image label; NULL = derived */
        bool relabel;           /* static only; dynamic always relabels, none never */
} McsSeclabel;

/* What one VM gets. NULL process = no exec label (type none). */
typedef struct McsLabels {
        char *process;
        char *image;   /* exclusive images, NVRAM, runtime dir, sockets, logs */
        char *shared;  /* <shareable/> disks */
        char *content; /* <readonly/> disks, cdroms, kernel/initrd/loader */
        bool relabel;  /* false: leave every file as it is */
} McsLabels;

/* Compute the labels. pair is required for dynamic and ignored otherwise;
 * tcg picks the TCG domain when the policy has one (QEMU without KVM needs
 * execmem, which the KVM domain may not have). Returns 0, -EINVAL (static
 * without a valid label, bad imagelabel, dynamic without pair) or -ENOMEM. */
int mcs_labels_compute(const McsSeclabel *sec, const McsVirtContexts *v, bool tcg, const McsPair *pair,
                       McsLabels *ret);
void mcs_labels_done(McsLabels *l);

/* The context for a path of this kind, NULL when it is not relabelled. */
const char *mcs_labels_for_kind(const McsLabels *l, VmFileKind kind);
/* Whether a path of this kind belongs to one VM alone (a second VM
 * labelling it is refused) or may be shared (refcounted). */
bool mcs_kind_is_exclusive(VmFileKind kind);
