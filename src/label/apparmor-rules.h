/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pure half of the AppArmor backend: which paths may be written into a
 * rule, the rule text for a path of a given kind, the per-VM rule set
 * (vmunit-UUID.files) and the instantiation of TEMPLATE.qemu. No file
 * system, no kernel: unit tests call these directly.
 *
 * Why the path check is strict: a path goes into the profile as a quoted
 * string, and inside quotes AppArmor still expands globs (* ? [ ] { } ^),
 * variables (@{...}) and escapes (\), and a quote or newline would end the
 * string and let the rest of the path be parsed as more rules: a disk
 * named <x", / r, "y> (quote, comma, a rule, quote) would otherwise
 * give QEMU the whole host.
 * Rather than escape each of these correctly for every parser version, we
 * accept only bytes that mean nothing to the parser and refuse the rest.
 */

#include <stddef.h>

#include "vm-files.h"

#define APPARMOR_PROFILE_PREFIX "vmunit-"
/* "vmunit-" + 36-character UUID + NUL */
#define APPARMOR_PROFILE_NAME_MAX (sizeof(APPARMOR_PROFILE_PREFIX) + 36)
/* Written in TEMPLATE.qemu wherever the profile name goes. */
#define APPARMOR_TEMPLATE_TOKEN "VMUNIT_PROFILE_NAME"
/* The profile template is a short text file; refuse anything huge. */
#define APPARMOR_TEMPLATE_MAX (1024 * 1024)

/* What a path of this kind is, for messages: "disk image", "NVRAM", ... */
const char *apparmor_path_kind_to_string(VmFileKind kind);

/* The permissions a path of this kind gets ("rwk", "rk", ...). */
const char *apparmor_path_kind_perms(VmFileKind kind);

/* Whether path can be written into an AppArmor rule: absolute, canonical
 * (no "//", "." or ".." components), and only [A-Za-z0-9._/+:-] and
 * space. Returns 0, or -EINVAL with a one-line reason in *ret_why
 * (malloc'd, caller frees; may be NULL) naming what (e.g. "disk image"),
 * the path and the first offending character. -ENOMEM on OOM. */
int apparmor_path_check(const char *path, const char *what, char **ret_why);

/* The rule lines giving QEMU access to path as kind: e.g.
 *   "  \"/var/lib/vmunit/images/a.img\" rwk,\n"
 * and for VM_FILE_RUNTIME_DIR the directory and everything below it.
 * Checks path first (see apparmor_path_check). Returns 0 with *ret_rules
 * (malloc'd, caller frees), -EINVAL with *ret_why, or -ENOMEM. */
int apparmor_rules_for_path(const char *path, VmFileKind kind, char **ret_rules, char **ret_why);

/* The rule letting QEMU map its emulator binary: "" when
 * abstractions/vmunit-qemu covers it (/usr/bin/qemu-system-*), else
 * "  \"PATH\" rm,\n". Returns 0 with *ret_rule (malloc'd), -EINVAL with
 * *ret_why, or -ENOMEM. */
int apparmor_emulator_rule(const char *emulator, char **ret_rule, char **ret_why);

/* Profile name for a VM: "vmunit-" + the canonical lower-case UUID. The
 * UUID is checked (36 characters of [0-9a-f-]) because the name ends up
 * in file names and in the profile. Returns 0 or -EINVAL. */
int apparmor_profile_name(const char *uuid, char ret[static APPARMOR_PROFILE_NAME_MAX]);

/* The per-VM profile from the template text: every APPARMOR_TEMPLATE_TOKEN
 * replaced by profile. -EINVAL if the template never names the profile
 * (it would not load as ours). Returns 0 with *ret (malloc'd) or -errno. */
int apparmor_profile_render(const char *template_text, const char *profile, char **ret);

/* The rules of one VM, one entry per path, in the order first added. */
typedef struct ApparmorRuleSet {
        char **paths;
        char **rules;
        size_t n;
} ApparmorRuleSet;

/* Add (or replace, if key is already there) the rules for path as kind,
 * filed under key (the path as the domain names it; path is where it
 * resolves to, which is what the kernel matches). Returns 0, -EINVAL with
 * *ret_why (see apparmor_rules_for_path), -ENOMEM. */
int apparmor_rule_set_add(ApparmorRuleSet *s, const char *key, const char *path, VmFileKind kind,
                          char **ret_why);
/* Drop the rules filed under path. Returns 0, or -ENOENT if there are none. */
int apparmor_rule_set_remove(ApparmorRuleSet *s, const char *path);
void apparmor_rule_set_done(ApparmorRuleSet *s);

/* The text of vmunit-UUID.files: a "generated, do not edit" header and
 * extra (may be NULL; already-checked rule lines, e.g. the emulator's)
 * followed by every rule of s. Returns 0 with *ret (malloc'd) or -ENOMEM. */
int apparmor_rule_set_render(const ApparmorRuleSet *s, const char *profile, const char *extra, char **ret);

/*
 * The one file-system helper, taking its paths as arguments so tests can
 * point it at a scratch tree.
 */

/* Create dir/profile from the template file unless it exists: the admin
 * owns it once created, so it is never overwritten (created beside and
 * link(2)ed into place, so a concurrent start cannot half-write or clobber
 * it). Returns 0 (created or already there) or -errno with *ret_why. */
int apparmor_profile_install(const char *dir, const char *template_path, const char *profile,
                             char **ret_why);
