/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The AppArmor rule writer: paths from the domain XML (and from hotplug
 * callers) into rules of vmunit-UUID.files, the emulator rule, profile
 * names and template instantiation.
 *
 * Input: byte 0 picks the path kind of the first path (then the next
 * kinds in turn); the rest is NUL-separated strings, tried as paths, as
 * emulator paths and as UUIDs; the first is also a profile template.
 *
 * Promises checked (apparmor-rules.h): an accepted path is absolute,
 * canonical and of [A-Za-z0-9._/+:-] and space only, and its rules are
 * exactly `  "PATH" PERMS,` lines (plus one recursive glob rule for the
 * runtime directory) holding the path verbatim, two quotes per line, so
 * nothing in a path can end the string or add a rule; no rule ever
 * covers the whole file system; a refusal is -EINVAL with a one-line
 * reason and no control characters (it is logged, and for hotplug sent
 * back to the caller). The rule set keeps one entry per key, renders
 * them all in order, and profile names are "vmunit-" + 36 [0-9a-f-].
 */

#include "apparmor-rules.h"
#include "fuzz.h"

/* Kinds are tried by number, named only through the module's own
 * strings, so the harness does not depend on the enum's spelling. */
#define KINDS_MAX 16
#define FIELDS_MAX 64

static bool is_runtime_dir(int kind) {
        return streq(apparmor_path_kind_to_string(kind), "runtime directory");
}

static bool rule_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("._/+:- ", c));
}

static bool canonical(const char *path) {
        for (const char *p = path; *p; p++) {
                size_t len;

                if (*p != '/')
                        continue;
                len = strcspn(p + 1, "/");
                if ((len == 0 && p[1] == '/') || (len == 1 && p[1] == '.') ||
                    (len == 2 && p[1] == '.' && p[2] == '.'))
                        return false;
        }
        return true;
}

static void check_why(int r, const char *why) {
        if (r == -ENOMEM)
                return;
        fuzz_assert(r == -EINVAL);
        fuzz_assert(why);
        if (!fuzz_no_control(why))
                fuzz_fail("reason is not one clean line: %s", why);
}

static void check_accepted(const char *path) {
        fuzz_assert(path[0] == '/');
        for (const char *p = path; *p; p++)
                fuzz_assert(rule_char_ok(*p));
        fuzz_assert(canonical(path));
}

/* One rule line: `  "X" PERMS,\n`; returns X's length, checks X and the
 * perms, and moves *p past the line. */
static size_t check_rule_line(const char **p, const char **ret_start) {
        const char *s = *p, *end, *nl;

        fuzz_assert(strncmp(s, "  \"", 3) == 0);
        s += 3;
        end = strchr(s, '"');
        fuzz_assert(end);
        for (const char *c = s; c < end; c++)
                fuzz_assert(rule_char_ok(*c) || *c == '*');
        nl = strchr(end, '\n');
        fuzz_assert(nl && nl > end + 2 && nl[-1] == ',' && end[1] == ' ');
        for (const char *c = end + 2; c < nl - 1; c++)
                fuzz_assert(strchr("rwkm", *c));
        *ret_start = s;
        *p = nl + 1;
        return (size_t) (end - s);
}

static void check_rules(const char *path, int kind, const char *rules) {
        const char *p = rules, *x;
        size_t len = strlen(path), n;

        n = check_rule_line(&p, &x);
        if (!is_runtime_dir(kind)) {
                fuzz_assert(n == len && memcmp(x, path, len) == 0);
                fuzz_assert(*p == 0);
                return;
        }
        /* "DIR/" then DIR with the glob, DIR without trailing slashes. */
        while (len > 1 && path[len - 1] == '/')
                len--;
        fuzz_assert(n == len + 1 && memcmp(x, path, len) == 0 && x[len] == '/');
        n = check_rule_line(&p, &x);
        fuzz_assert(n == len + 3 && memcmp(x, path, len) == 0 && memcmp(x + len, "/**", 3) == 0);
        fuzz_assert(*p == 0);
        if (len == 1)
                fuzz_fail("runtime directory '/' gives QEMU the whole file system: %s", rules);
}

static void check_path(const char *path, int kind) {
        _cleanup_free_ char *why = NULL, *rules = NULL, *why2 = NULL;
        int r;

        if (!apparmor_path_kind_perms(kind)) {
                /* Not a kind at all: refused, whatever the path. */
                fuzz_assert(apparmor_rules_for_path(path, kind, &rules, &why) == -EINVAL);
                return;
        }
        r = apparmor_path_check(path, apparmor_path_kind_to_string(kind), &why);
        if (r < 0) {
                check_why(r, why);
                fuzz_assert(apparmor_rules_for_path(path, kind, &rules, NULL) == -EINVAL || r == -ENOMEM);
                return;
        }
        check_accepted(path);
        r = apparmor_rules_for_path(path, kind, &rules, &why2);
        if (r < 0) {
                /* What may still be refused: a file kind with a trailing
                 * '/', the runtime directory "/". */
                check_why(r, why2);
                fuzz_assert(r == -ENOMEM || (!is_runtime_dir(kind) && path[strlen(path) - 1] == '/') ||
                            (is_runtime_dir(kind) && streq(path, "/")));
                return;
        }
        check_rules(path, kind, rules);
}

static void check_emulator(const char *path) {
        _cleanup_free_ char *rule = NULL, *why = NULL;
        const char *x, *p;
        int r;

        r = apparmor_emulator_rule(path, &rule, &why);
        if (r < 0) {
                check_why(r, why);
                return;
        }
        check_accepted(path);
        if (!*rule) {
                /* Covered by the abstraction's /usr/bin/qemu-system-* glob. */
                fuzz_assert(strncmp(path, "/usr/bin/qemu-system-", 21) == 0 && path[21] &&
                            !strchr(path + 21, '/'));
                return;
        }
        p = rule;
        fuzz_assert(check_rule_line(&p, &x) == strlen(path) && memcmp(x, path, strlen(path)) == 0);
        fuzz_assert(*p == 0);
}

static void check_profile_name(const char *uuid) {
        char name[APPARMOR_PROFILE_NAME_MAX];

        if (apparmor_profile_name(uuid, name) < 0)
                return;
        fuzz_assert(strlen(name) == strlen(APPARMOR_PROFILE_PREFIX) + 36);
        fuzz_assert(strncmp(name, APPARMOR_PROFILE_PREFIX, strlen(APPARMOR_PROFILE_PREFIX)) == 0);
        fuzz_assert(strspn(name + strlen(APPARMOR_PROFILE_PREFIX), "0123456789abcdef-") == 36);
}

static void check_template(const char *template_text) {
        static const char profile[] = "vmunit-6f1b0b7e-3c8e-4a43-9d54-0d2f1d1c5a10";
        const size_t tlen = strlen(APPARMOR_TEMPLATE_TOKEN);
        _cleanup_free_ char *out = NULL;
        size_t hits = 0;
        int r;

        for (const char *p = template_text; (p = strstr(p, APPARMOR_TEMPLATE_TOKEN)); p += tlen)
                hits++;
        r = apparmor_profile_render(template_text, profile, &out);
        if (r == -ENOMEM)
                return;
        fuzz_assert(hits > 0 ? r == 0 : r == -EINVAL);
        if (r < 0)
                return;
        fuzz_assert(strlen(out) == strlen(template_text) + hits * (strlen(profile) - tlen));
        fuzz_assert(!strstr(out, APPARMOR_TEMPLATE_TOKEN));
}

static void check_rule_set(const ApparmorRuleSet *s) {
        static const char profile[] = "vmunit-6f1b0b7e-3c8e-4a43-9d54-0d2f1d1c5a10";
        _cleanup_free_ char *text = NULL;
        const char *p;

        for (size_t i = 0; i < s->n; i++)
                for (size_t j = 0; j < i; j++)
                        fuzz_assert(strcmp(s->paths[i], s->paths[j]) != 0);
        if (apparmor_rule_set_render(s, profile, "  \"/usr/local/bin/qemu\" rm,\n", &text) < 0)
                return;
        /* The rules follow the comment header in order, nothing else. */
        p = strstr(text, "  \"/usr/local/bin/qemu\" rm,\n");
        fuzz_assert(p);
        p += strlen("  \"/usr/local/bin/qemu\" rm,\n");
        for (const char *h = text; h < p; h = strchr(h, '\n') + 1)
                fuzz_assert(*h == '#' || *h == ' ');
        for (size_t i = 0; i < s->n; i++) {
                fuzz_assert(strncmp(p, s->rules[i], strlen(s->rules[i])) == 0);
                p += strlen(s->rules[i]);
        }
        fuzz_assert(*p == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ApparmorRuleSet set = {};
        const char *field;
        size_t pos = 1, len;
        unsigned kind;
        bool first = true;

        if (size < 1)
                return 0;
        kind = data[0];
        /* A VM has tens of paths, not thousands: more would only make the
         * rule set's linear lookups the whole cost of an input. */
        for (unsigned n = 0; n < FIELDS_MAX && (field = fuzz_next_field(data, size, &pos, &len)); n++) {
                _cleanup_free_ char *s = fuzz_strndup((const uint8_t *) field, len), *why = NULL;
                int k = (int) (kind++ % KINDS_MAX);
                int r;

                if (first)
                        check_template(s);
                first = false;
                check_path(s, k);
                check_emulator(s);
                check_profile_name(s);

                /* Keys repeat when the same string comes twice: replaced,
                 * not added; every third one is removed again. */
                r = apparmor_rule_set_add(&set, s, s, k, &why);
                if (r < 0) {
                        if (apparmor_path_kind_perms(k))
                                check_why(r, why);
                } else if (kind % 3 == 0)
                        fuzz_assert(apparmor_rule_set_remove(&set, s) == 0);
        }
        check_rule_set(&set);
        apparmor_rule_set_done(&set);
        return 0;
}
