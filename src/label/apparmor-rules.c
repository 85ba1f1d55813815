/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "apparmor-rules.h"
#include "fs-util.h"

const char *apparmor_path_kind_to_string(VmFileKind kind) {
        switch (kind) {
        case VM_FILE_IMAGE_RW:
        case VM_FILE_IMAGE_SHARED:
        case VM_FILE_IMAGE_RO: return "disk image";
        case VM_FILE_BOOT: return "kernel/initrd/loader";
        case VM_FILE_NVRAM: return "NVRAM";
        case VM_FILE_SOCKET: return "socket";
        case VM_FILE_LOG: return "log file";
        case VM_FILE_RUNTIME_DIR: return "runtime directory";
        default: return "path";
        }
}

/*
 * k (lock) wherever QEMU opens an image: it takes OFD locks on every image,
 * shared ones on read-only images too. Boot files are read-only for the
 * same reason a <readonly/> disk is: QEMU has no business writing them.
 * Logs need w only (QEMU opens them O_WRONLY, appending or truncating).
 */
const char *apparmor_path_kind_perms(VmFileKind kind) {
        switch (kind) {
        case VM_FILE_IMAGE_RW:
        case VM_FILE_IMAGE_SHARED:
        case VM_FILE_NVRAM: return "rwk";
        case VM_FILE_IMAGE_RO:
        case VM_FILE_BOOT: return "rk";
        case VM_FILE_SOCKET: return "rw";
        case VM_FILE_LOG: return "w";
        case VM_FILE_RUNTIME_DIR: return "rw";
        default: return NULL;
        }
}

/* Bytes that mean nothing to the AppArmor parser inside a quoted string. */
static bool apparmor_path_char_ok(char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               strchr("._/+:- ", ch);
}

static int why_set(char **ret_why, const char *fmt, ...) _printf_(2, 3);
static int why_set(char **ret_why, const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        if (!ret_why)
                return -EINVAL;
        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(*ret_why);
        *ret_why = s;
        return -EINVAL;
}

/*
 * Paths match in the kernel after resolution, so a rule for
 * "/a/../etc/shadow" would match nothing — but refusing it is clearer than
 * a VM that cannot open its disk, and it keeps "what the rule says" equal
 * to "what QEMU gets".
 */
static bool apparmor_path_canonical(const char *path) {
        for (const char *p = path; *p; p++) {
                size_t len;

                if (*p != '/')
                        continue;
                len = strcspn(p + 1, "/");
                if (len == 0 && p[1] == '/')
                        return false; /* "//" */
                if ((len == 1 && p[1] == '.') || (len == 2 && p[1] == '.' && p[2] == '.'))
                        return false;
        }
        return true;
}

int apparmor_path_check(const char *path, const char *what, char **ret_why) {
        /* Bytes that are not printable ASCII first: every later message
         * quotes the path, which must then be one clean line (the reason
         * is logged, and sent back to a hotplug caller). */
        for (const char *p = path ?: ""; *p; p++)
                if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                        return why_set(ret_why,
                                       "%s path contains the byte 0x%02x, which cannot be written into an "
                                       "AppArmor rule",
                                       what, (unsigned char) *p);
        if (!path || path[0] != '/')
                return why_set(ret_why,
                               "%s path '%s' is not absolute, which cannot be written into an AppArmor rule",
                               what, path ? path : "(null)");
        for (const char *p = path; *p; p++)
                if (!apparmor_path_char_ok(*p))
                        return why_set(
                                ret_why,
                                "%s path '%s' contains '%c', which cannot be written into an AppArmor "
                                "rule",
                                what, path, *p);
        if (!apparmor_path_canonical(path))
                return why_set(
                        ret_why,
                        "%s path '%s' is not canonical ('//', '.' or '..' component); give the real path",
                        what, path);
        return 0;
}

int apparmor_rules_for_path(const char *path, VmFileKind kind, char **ret_rules, char **ret_why) {
        const char *perms = apparmor_path_kind_perms(kind);
        const char *what = apparmor_path_kind_to_string(kind);
        size_t len;
        int r;

        if (!perms)
                return -EINVAL;
        r = apparmor_path_check(path, what, ret_why);
        if (r < 0)
                return r;
        len = strlen(path);
        if (kind != VM_FILE_RUNTIME_DIR) {
                /* A trailing '/' would make the rule match a directory. */
                if (len > 1 && path[len - 1] == '/')
                        return why_set(ret_why, "%s path '%s' ends in '/', but must name a file", what,
                                       path);
                return asprintf(ret_rules, "  \"%s\" %s,\n", path, perms) < 0 ? -ENOMEM : 0;
        }
        /* The directory itself (list, create entries) and everything QEMU
         * creates below it (QMP socket, pid file, ...). The glob is ours;
         * the path was checked to contain none. */
        while (len > 1 && path[len - 1] == '/')
                len--;
        /* "/" and its glob would be the whole file system: fail closed. */
        if (len == 1)
                return why_set(ret_why, "%s path '%s' is the root directory", what, path);
        return asprintf(ret_rules, "  \"%.*s/\" %s,\n  \"%.*s/**\" rwk,\n", (int) len, path, perms,
                        (int) len, path) < 0
                       ? -ENOMEM
                       : 0;
}

int apparmor_emulator_rule(const char *emulator, char **ret_rule, char **ret_why) {
        const char *rest;
        int r;

        r = apparmor_path_check(emulator, "emulator", ret_why);
        if (r < 0)
                return r;
        /* abstractions/vmunit-qemu already allows /usr/bin/qemu-system-*
         * (a glob that does not cross '/'). */
        rest = strncmp(emulator, "/usr/bin/qemu-system-", 21) == 0 ? emulator + 21 : NULL;
        if (rest && *rest && !strchr(rest, '/')) {
                *ret_rule = strdup("");
                return *ret_rule ? 0 : -ENOMEM;
        }
        return asprintf(ret_rule, "  \"%s\" rm,\n", emulator) < 0 ? -ENOMEM : 0;
}

int apparmor_profile_name(const char *uuid, char ret[static APPARMOR_PROFILE_NAME_MAX]) {
        if (!uuid || strlen(uuid) != 36 || strspn(uuid, "0123456789abcdef-") != 36)
                return -EINVAL;
        snprintf(ret, APPARMOR_PROFILE_NAME_MAX, APPARMOR_PROFILE_PREFIX "%s", uuid);
        return 0;
}

int apparmor_profile_render(const char *template_text, const char *profile, char **ret) {
        const size_t tlen = strlen(APPARMOR_TEMPLATE_TOKEN);
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        bool found = false;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (const char *p = template_text; *p;) {
                const char *hit = strstr(p, APPARMOR_TEMPLATE_TOKEN);

                if (!hit) {
                        fputs(p, f);
                        break;
                }
                fwrite(p, 1, hit - p, f);
                fputs(profile, f);
                p = hit + tlen;
                found = true;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (!found)
                return -EINVAL;
        *ret = TAKE_PTR(buf);
        return 0;
}

static ssize_t apparmor_rule_set_find(const ApparmorRuleSet *s, const char *path) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->paths[i], path))
                        return (ssize_t) i;
        return -1;
}

int apparmor_rule_set_add(ApparmorRuleSet *s, const char *key, const char *path, VmFileKind kind,
                          char **ret_why) {
        _cleanup_free_ char *rules = NULL, *copy = NULL;
        ssize_t i;
        char **p;
        int r;

        r = apparmor_rules_for_path(path, kind, &rules, ret_why);
        if (r < 0)
                return r;
        i = apparmor_rule_set_find(s, key);
        if (i >= 0) {
                free(s->rules[i]);
                s->rules[i] = TAKE_PTR(rules);
                return 0;
        }
        copy = strdup(key);
        if (!copy)
                return -ENOMEM;
        p = reallocarray(s->paths, s->n + 1, sizeof(char *));
        if (!p)
                return -ENOMEM;
        s->paths = p;
        p = reallocarray(s->rules, s->n + 1, sizeof(char *));
        if (!p)
                return -ENOMEM;
        s->rules = p;
        s->paths[s->n] = TAKE_PTR(copy);
        s->rules[s->n] = TAKE_PTR(rules);
        s->n++;
        return 0;
}

int apparmor_rule_set_remove(ApparmorRuleSet *s, const char *path) {
        ssize_t i = apparmor_rule_set_find(s, path);

        if (i < 0)
                return -ENOENT;
        free(s->paths[i]);
        free(s->rules[i]);
        memmove(s->paths + i, s->paths + i + 1, (s->n - i - 1) * sizeof(char *));
        memmove(s->rules + i, s->rules + i + 1, (s->n - i - 1) * sizeof(char *));
        s->n--;
        return 0;
}

void apparmor_rule_set_done(ApparmorRuleSet *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->paths[i]);
                free(s->rules[i]);
        }
        free(s->paths);
        free(s->rules);
        *s = (ApparmorRuleSet){};
}

int apparmor_rule_set_render(const ApparmorRuleSet *s, const char *profile, const char *extra, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f,
                "# Generated by vmunit for profile %s at every start and hotplug of the VM.\n"
                "# Do not edit: it is rewritten each time. Edit %s (this VM) or\n"
                "# local/vmunit-qemu (every VM) instead.\n",
                profile, profile);
        if (extra)
                fputs(extra, f);
        for (size_t i = 0; i < s->n; i++)
                fputs(s->rules[i], f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int write_new_file(const char *dir, const char *path, const char *text) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text);
        int r = 0;

        if (asprintf(&tmp, "%s/.vmunit-new.XXXXXX", dir) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (write(fd, text, len) != (ssize_t) len || fchmod(fd, 0644) < 0 || fsync(fd) < 0)
                r = negative_errno();
        /* link(2) fails with EEXIST instead of replacing: a profile that
         * appeared meanwhile (another start, an admin) wins. */
        else if (link(tmp, path) < 0 && errno != EEXIST)
                r = negative_errno();
        (void) unlink(tmp);
        return r;
}

int apparmor_profile_install(const char *dir, const char *template_path, const char *profile,
                             char **ret_why) {
        _cleanup_free_ char *path = NULL, *template_text = NULL, *text = NULL;
        int r;

        if (asprintf(&path, "%s/%s", dir, profile) < 0)
                return -ENOMEM;
        /* The admin's file: whatever is there stays as it is. */
        if (access(path, F_OK) == 0)
                return 0;
        if (errno != ENOENT)
                return negative_errno();
        r = read_small_file(template_path, APPARMOR_TEMPLATE_MAX, &template_text);
        if (r < 0)
                return asprintf(ret_why, "cannot read the AppArmor template %s: %s", template_path,
                                strerror(-r)) < 0
                               ? -ENOMEM
                               : r;
        r = apparmor_profile_render(template_text, profile, &text);
        if (r == -EINVAL)
                return asprintf(ret_why, "AppArmor template %s does not contain %s", template_path,
                                APPARMOR_TEMPLATE_TOKEN) < 0
                               ? -ENOMEM
                               : r;
        if (r < 0)
                return r;
        r = mkdir_parents(dir, 0755);
        if (r < 0)
                return asprintf(ret_why, "cannot create %s: %s", dir, strerror(-r)) < 0 ? -ENOMEM : r;
        r = write_new_file(dir, path, text);
        if (r < 0)
                return asprintf(ret_why, "cannot write %s: %s", path, strerror(-r)) < 0 ? -ENOMEM : r;
        return 0;
}
