/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "apparmor-rules.h"
#include "macro.h"

/*
 * The AppArmor backend's pure half: which paths may go into a rule (and
 * the message when not), the rule text per kind, the rule set behind
 * vmunit-UUID.files, template instantiation and the never-overwrite
 * install. When apparmor_parser is installed, the shipped TEMPLATE.qemu and
 * abstraction plus generated rules are compiled with it (no kernel needed).
 */

#define UUID "6f1b0b7e-3c8e-4a43-9d54-0d2f1d1c5a10"
#define PROFILE "vmunit-" UUID

typedef struct RuleCase {
        const char *path;
        VmFileKind kind;
        const char *want;
} RuleCase;

Test(apparmor_rules, rules_per_kind) {
        static const RuleCase cases[] = {
                { "/var/lib/vmunit/images/a.img", VM_FILE_IMAGE_RW,
                  "  \"/var/lib/vmunit/images/a.img\" rwk,\n" },
                { "/var/lib/vmunit/images/s.img", VM_FILE_IMAGE_SHARED,
                  "  \"/var/lib/vmunit/images/s.img\" rwk,\n" },
                { "/srv/iso/debian 12.iso", VM_FILE_IMAGE_RO, "  \"/srv/iso/debian 12.iso\" rk,\n" },
                { "/boot/vmlinuz-6.1.0+1", VM_FILE_BOOT, "  \"/boot/vmlinuz-6.1.0+1\" rk,\n" },
                { "/var/lib/vmunit/web/VARS.fd", VM_FILE_NVRAM, "  \"/var/lib/vmunit/web/VARS.fd\" rwk,\n" },
                { "/run/vmunit/web/console.sock", VM_FILE_SOCKET,
                  "  \"/run/vmunit/web/console.sock\" rw,\n" },
                { "/var/log/vm/web_serial.log", VM_FILE_LOG, "  \"/var/log/vm/web_serial.log\" w,\n" },
                { "/dev/disk/by-id/ata-X:1", VM_FILE_IMAGE_RW, "  \"/dev/disk/by-id/ata-X:1\" rwk,\n" },
                { "/run/vmunit/web", VM_FILE_RUNTIME_DIR,
                  "  \"/run/vmunit/web/\" rw,\n  \"/run/vmunit/web/**\" rwk,\n" },
                { "/run/vmunit/web/", VM_FILE_RUNTIME_DIR,
                  "  \"/run/vmunit/web/\" rw,\n  \"/run/vmunit/web/**\" rwk,\n" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *rules = NULL, *why = NULL;

                cr_assert_eq(apparmor_rules_for_path(cases[i].path, cases[i].kind, &rules, &why), 0,
                             "%s: %s", cases[i].path, why);
                cr_assert_str_eq(rules, cases[i].want);
                cr_assert_null(why);
        }
}

typedef struct BadCase {
        const char *path;
        VmFileKind kind;
        const char *why; /* exact message */
} BadCase;

Test(apparmor_rules, injection_refused) {
        static const BadCase cases[] = {
                { "/img{a,b}", VM_FILE_IMAGE_RW,
                  "disk image path '/img{a,b}' contains '{', which cannot be written into an AppArmor "
                  "rule" },
                { "/img\", / rwk, \"", VM_FILE_IMAGE_RW,
                  "disk image path '/img\", / rwk, \"' contains '\"', which cannot be written into an "
                  "AppArmor rule" },
                { "/img\n/** rwk,", VM_FILE_IMAGE_RO,
                  "disk image path contains the byte 0x0a, which cannot be written into an AppArmor rule" },
                /* The reason is one line: a control byte anywhere is named, never quoted
                 * (found by tests/fuzz/fuzz-apparmor-rules). */
                { "/img\", / rwk,\n\"", VM_FILE_IMAGE_RW,
                  "disk image path contains the byte 0x0a, which cannot be written into an AppArmor rule" },
                { "img\n/** rwk,", VM_FILE_IMAGE_RW,
                  "disk image path contains the byte 0x0a, which cannot be written into an AppArmor rule" },
                { "/var/*.img", VM_FILE_IMAGE_RW,
                  "disk image path '/var/*.img' contains '*', which cannot be written into an AppArmor "
                  "rule" },
                { "/var/?.img", VM_FILE_BOOT,
                  "kernel/initrd/loader path '/var/?.img' contains '?', which cannot be written into an "
                  "AppArmor rule" },
                { "/var/[ab].img", VM_FILE_NVRAM,
                  "NVRAM path '/var/[ab].img' contains '[', which cannot be written into an AppArmor rule" },
                { "/var/a]", VM_FILE_SOCKET,
                  "socket path '/var/a]' contains ']', which cannot be written into an AppArmor rule" },
                { "/@{HOME}/x", VM_FILE_LOG,
                  "log file path '/@{HOME}/x' contains '@', which cannot be written into an AppArmor rule" },
                { "/a\\x", VM_FILE_IMAGE_RW,
                  "disk image path '/a\\x' contains '\\', which cannot be written into an AppArmor rule" },
                { "/a^b", VM_FILE_IMAGE_RW,
                  "disk image path '/a^b' contains '^', which cannot be written into an AppArmor rule" },
                { "/a#b", VM_FILE_IMAGE_RW,
                  "disk image path '/a#b' contains '#', which cannot be written into an AppArmor rule" },
                { "/a,b", VM_FILE_IMAGE_RW,
                  "disk image path '/a,b' contains ',', which cannot be written into an AppArmor rule" },
                { "/a}b", VM_FILE_RUNTIME_DIR,
                  "runtime directory path '/a}b' contains '}', which cannot be written into an AppArmor "
                  "rule" },
                { "/caf\xc3\xa9.img", VM_FILE_IMAGE_RW,
                  "disk image path contains the byte 0xc3, which cannot be written into an AppArmor rule" },
                { "relative.img", VM_FILE_IMAGE_RW,
                  "disk image path 'relative.img' is not absolute, which cannot be written into an AppArmor "
                  "rule" },
                { "", VM_FILE_IMAGE_RW,
                  "disk image path '' is not absolute, which cannot be written into an AppArmor rule" },
                { "/var/lib/../../etc/shadow", VM_FILE_IMAGE_RW,
                  "disk image path '/var/lib/../../etc/shadow' is not canonical ('//', '.' or '..' "
                  "component); give "
                  "the real path" },
                { "/var//a.img", VM_FILE_IMAGE_RW,
                  "disk image path '/var//a.img' is not canonical ('//', '.' or '..' component); give the "
                  "real path" },
                { "/var/./a.img", VM_FILE_IMAGE_RW,
                  "disk image path '/var/./a.img' is not canonical ('//', '.' or '..' component); give the "
                  "real path" },
                { "/var/a/..", VM_FILE_RUNTIME_DIR,
                  "runtime directory path '/var/a/..' is not canonical ('//', '.' or '..' component); give "
                  "the real "
                  "path" },
                { "/var/images/", VM_FILE_IMAGE_RW,
                  "disk image path '/var/images/' ends in '/', but must name a file" },
                /* Its rules would cover everything (found by fuzz-apparmor-rules). */
                { "/", VM_FILE_RUNTIME_DIR, "runtime directory path '/' is the root directory" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *rules = NULL, *why = NULL;

                cr_assert_eq(apparmor_rules_for_path(cases[i].path, cases[i].kind, &rules, &why), -EINVAL,
                             "'%s' accepted", cases[i].path);
                cr_assert_null(rules);
                cr_assert_str_eq(why, cases[i].why);
        }
}

Test(apparmor_rules, dots_inside_names_are_fine) {
        static const char *const ok[] = { "/var/lib/.hidden/a.img", "/a/..b", "/a/b.", "/a/...",
                                          "/a.b/c..d" };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
                cr_assert_eq(apparmor_path_check(ok[i], "disk image", NULL), 0, "'%s' refused", ok[i]);
        cr_assert_eq(apparmor_path_check("/a/{", "disk image", NULL), -EINVAL);
}

Test(apparmor_rules, emulator) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *why = NULL;

        cr_assert_eq(apparmor_emulator_rule("/usr/bin/qemu-system-x86_64", &a, &why), 0);
        cr_assert_str_eq(a, "");
        cr_assert_eq(apparmor_emulator_rule("/opt/qemu/bin/qemu-system-x86_64", &b, &why), 0);
        cr_assert_str_eq(b, "  \"/opt/qemu/bin/qemu-system-x86_64\" rm,\n");
        /* The abstraction's glob does not cross '/'. */
        cr_assert_eq(apparmor_emulator_rule("/usr/bin/qemu-system-x/y", &c, &why), 0);
        cr_assert_str_eq(c, "  \"/usr/bin/qemu-system-x/y\" rm,\n");
        cr_assert_eq(apparmor_emulator_rule("/usr/bin/qemu-system-", &d, &why), 0);
        cr_assert_str_eq(d, "  \"/usr/bin/qemu-system-\" rm,\n");
        cr_assert_eq(apparmor_emulator_rule("/opt/q*", &d, &why), -EINVAL);
        cr_assert_str_eq(
                why, "emulator path '/opt/q*' contains '*', which cannot be written into an AppArmor rule");
}

Test(apparmor_rules, profile_name) {
        char name[APPARMOR_PROFILE_NAME_MAX];

        cr_assert_eq(apparmor_profile_name(UUID, name), 0);
        cr_assert_str_eq(name, PROFILE);
        cr_assert_eq(apparmor_profile_name("6F1B0B7E-3C8E-4A43-9D54-0D2F1D1C5A10", name), -EINVAL);
        cr_assert_eq(apparmor_profile_name("6f1b0b7e-3c8e-4a43-9d54-0d2f1d1c5a1", name), -EINVAL);
        cr_assert_eq(apparmor_profile_name("../../../../etc/apparmor.d/x/yyyyyy", name), -EINVAL);
        cr_assert_eq(apparmor_profile_name(NULL, name), -EINVAL);
}

Test(apparmor_rules, template_render) {
        _cleanup_free_ char *out = NULL, *none = NULL;

        cr_assert_eq(apparmor_profile_render("# VMUNIT_PROFILE_NAME\nprofile VMUNIT_PROFILE_NAME {\n"
                                             "  #include <vmunit/VMUNIT_PROFILE_NAME.files>\n}\n",
                                             PROFILE, &out),
                     0);
        cr_assert_str_eq(out,
                         "# " PROFILE "\nprofile " PROFILE " {\n  #include <vmunit/" PROFILE ".files>\n}\n");
        cr_assert_eq(apparmor_profile_render("profile x {}\n", PROFILE, &none), -EINVAL);
        cr_assert_null(none);
}

Test(apparmor_rules, rule_set) {
        _cleanup_free_ char *text = NULL, *text2 = NULL, *why = NULL;
        ApparmorRuleSet s = {};

        cr_assert_eq(
                apparmor_rule_set_add(&s, "/run/vmunit/web", "/run/vmunit/web", VM_FILE_RUNTIME_DIR, &why),
                0);
        cr_assert_eq(apparmor_rule_set_add(&s, "/img/link.img", "/img/real.img", VM_FILE_IMAGE_RW, &why), 0);
        cr_assert_eq(apparmor_rule_set_add(&s, "/img/ro.iso", "/img/ro.iso", VM_FILE_IMAGE_RO, &why), 0);
        /* Same key again: replaced, not duplicated. */
        cr_assert_eq(apparmor_rule_set_add(&s, "/img/link.img", "/img/real.img", VM_FILE_IMAGE_RO, &why), 0);
        cr_assert_eq(s.n, 3);
        cr_assert_eq(apparmor_rule_set_add(&s, "/img/x", "/img/{x}", VM_FILE_IMAGE_RW, &why), -EINVAL);
        cr_assert_eq(s.n, 3);
        cr_assert_eq(apparmor_rule_set_render(&s, PROFILE, "  \"/opt/qemu\" rm,\n", &text), 0);
        cr_assert_str_eq(text, "# Generated by vmunit for profile " PROFILE
                               " at every start and hotplug of the VM.\n"
                               "# Do not edit: it is rewritten each time. Edit " PROFILE " (this VM) or\n"
                               "# local/vmunit-qemu (every VM) instead.\n"
                               "  \"/opt/qemu\" rm,\n"
                               "  \"/run/vmunit/web/\" rw,\n"
                               "  \"/run/vmunit/web/**\" rwk,\n"
                               "  \"/img/real.img\" rk,\n"
                               "  \"/img/ro.iso\" rk,\n");
        /* Hot-unplug by the path the domain names. */
        cr_assert_eq(apparmor_rule_set_remove(&s, "/img/link.img"), 0);
        cr_assert_eq(apparmor_rule_set_remove(&s, "/img/link.img"), -ENOENT);
        cr_assert_eq(apparmor_rule_set_remove(&s, "/img/real.img"), -ENOENT);
        cr_assert_eq(apparmor_rule_set_render(&s, PROFILE, NULL, &text2), 0);
        cr_assert_null(strstr(text2, "real.img"));
        cr_assert_not_null(strstr(text2, "\"/img/ro.iso\" rk,\n"));
        apparmor_rule_set_done(&s);
        cr_assert_eq(s.n, 0);
}

static char *make_tmpdir(void) {
        char *d = strdup("/tmp/test-apparmor-XXXXXX");

        cr_assert_not_null(d);
        cr_assert_not_null(mkdtemp(d));
        return d;
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        cr_assert_not_null(f, "%s: %m", path);
        fputs(text, f);
        cr_assert_eq(fclose(f), 0);
}

static char *read_text(const char *path) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = fopen(path, "re");
        FILE *m = open_memstream(&buf, &size);
        int ch;

        cr_assert_not_null(f, "%s: %m", path);
        while ((ch = fgetc(f)) != EOF)
                fputc(ch, m);
        fclose(f);
        fclose(m);
        return buf;
}

static int run_cmd(char *const argv[]) {
        pid_t pid = fork();
        int status;

        cr_assert_geq(pid, 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(null, 2);
                execv(argv[0], argv);
                _exit(127);
        }
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

Test(apparmor_rules, install_never_overwrites) {
        _cleanup_free_ char *dir = make_tmpdir(), *vdir = NULL, *tmpl = NULL, *prof = NULL, *text = NULL,
                            *why = NULL, *cmd = NULL;

        cr_assert_geq(asprintf(&vdir, "%s/vmunit", dir), 0);
        cr_assert_geq(asprintf(&tmpl, "%s/TEMPLATE.qemu", dir), 0);
        cr_assert_geq(asprintf(&prof, "%s/" PROFILE, vdir), 0);

        /* No template: a clear error, nothing created. */
        cr_assert_eq(apparmor_profile_install(vdir, tmpl, PROFILE, &why), -ENOENT);
        cr_assert_not_null(strstr(why, "cannot read the AppArmor template"));
        cr_assert_eq(access(prof, F_OK), -1);

        write_text(tmpl, "profile VMUNIT_PROFILE_NAME {}\n");
        cr_assert_eq(apparmor_profile_install(vdir, tmpl, PROFILE, &why), 0);
        text = read_text(prof);
        cr_assert_str_eq(text, "profile " PROFILE " {}\n");
        free(text);

        /* The admin edits it; the next start leaves the edit alone. */
        write_text(prof, "profile " PROFILE " { deny /x r, }\n");
        write_text(tmpl, "profile VMUNIT_PROFILE_NAME { changed }\n");
        cr_assert_eq(apparmor_profile_install(vdir, tmpl, PROFILE, &why), 0);
        text = read_text(prof);
        cr_assert_str_eq(text, "profile " PROFILE " { deny /x r, }\n");

        cr_assert_geq(asprintf(&cmd, "rm -rf '%s'", dir), 0);
        cr_assert_eq(system(cmd), 0);
}

/*
 * The shipped files plus generated rules compile with the real parser
 * (-Q: no kernel load, -K: no cache). Skipped without apparmor_parser.
 */
Test(apparmor_rules, shipped_profile_compiles) {
        const char *src = getenv("VMUNIT_APPARMOR_SRC");
        _cleanup_free_ char *dir = make_tmpdir(), *cmd = NULL, *prof = NULL, *files = NULL, *text = NULL,
                            *tmpl = NULL, *why = NULL, *emu = NULL;
        ApparmorRuleSet s = {};

        if (!src || access("/usr/sbin/apparmor_parser", X_OK) < 0 ||
            access("/etc/apparmor.d/tunables/global", R_OK) < 0)
                cr_skip_test("apparmor_parser, /etc/apparmor.d or VMUNIT_APPARMOR_SRC missing");
        cr_assert_geq(asprintf(&cmd,
                               "mkdir -p '%1$s/vmunit' '%1$s/abstractions' '%1$s/local' && "
                               "cp '%2$s/abstractions/vmunit-qemu' '%1$s/abstractions/' && "
                               "cp '%2$s/local/vmunit-qemu' '%1$s/local/'",
                               dir, src),
                      0);
        cr_assert_eq(system(cmd), 0);
        cr_assert_geq(asprintf(&tmpl, "%s/TEMPLATE.qemu", src), 0);
        cr_assert_geq(asprintf(&prof, "%s/vmunit", dir), 0);
        cr_assert_eq(apparmor_profile_install(prof, tmpl, PROFILE, &why), 0, "%s", why);

        cr_assert_eq(apparmor_rule_set_add(&s, "/run/vmunit/web 1", "/run/vmunit/web 1", VM_FILE_RUNTIME_DIR,
                                           &why),
                     0);
        cr_assert_eq(apparmor_rule_set_add(&s, "/i/a.img", "/i/a.img", VM_FILE_IMAGE_RW, &why), 0);
        cr_assert_eq(apparmor_rule_set_add(&s, "/i/b.iso", "/i/b.iso", VM_FILE_IMAGE_RO, &why), 0);
        cr_assert_eq(apparmor_rule_set_add(&s, "/k/vmlinuz", "/k/vmlinuz", VM_FILE_BOOT, &why), 0);
        cr_assert_eq(apparmor_rule_set_add(&s, "/n/VARS.fd", "/n/VARS.fd", VM_FILE_NVRAM, &why), 0);
        cr_assert_eq(apparmor_rule_set_add(&s, "/r/c.sock", "/r/c.sock", VM_FILE_SOCKET, &why), 0);
        cr_assert_eq(apparmor_rule_set_add(&s, "/l/c.log", "/l/c.log", VM_FILE_LOG, &why), 0);
        cr_assert_eq(apparmor_emulator_rule("/opt/qemu/qemu-system-x86_64", &emu, &why), 0);
        cr_assert_eq(apparmor_rule_set_render(&s, PROFILE, emu, &text), 0);
        apparmor_rule_set_done(&s);
        cr_assert_geq(asprintf(&files, "%s/vmunit/" PROFILE ".files", dir), 0);
        write_text(files, text);

        free(prof);
        cr_assert_geq(asprintf(&prof, "%s/vmunit/" PROFILE, dir), 0);
        {
                char *argv[] = { "/usr/sbin/apparmor_parser", "-Q",     "-K", "-I", dir, "-I",
                                 "/etc/apparmor.d",           "--base", dir,  prof, NULL };
                cr_assert_eq(run_cmd(argv), 0, "apparmor_parser refused %s", prof);
        }
        /* And the parser would have refused a glob we let through: the
         * check above is what stands between a path and the policy. */
        write_text(files, "  \"/x{a\" rw,\n");
        {
                char *argv[] = { "/usr/sbin/apparmor_parser", "-Q",     "-K", "-I", dir, "-I",
                                 "/etc/apparmor.d",           "--base", dir,  prof, NULL };
                cr_assert_neq(run_cmd(argv), 0);
        }
        free(cmd);
        cr_assert_geq(asprintf(&cmd, "rm -rf '%s'", dir), 0);
        cr_assert_eq(system(cmd), 0);
}
