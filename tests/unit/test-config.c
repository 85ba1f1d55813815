/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>

#include "config.h"

static VmunitConfig cfg;

static void setup(void) {
        cr_assert_eq(config_init_defaults(&cfg), 0);
}

static void teardown(void) {
        config_done(&cfg);
}

TestSuite(config, .init = setup, .fini = teardown);

Test(config, defaults) {
        cr_assert(cfg.dynamic_ownership);
        cr_assert(cfg.remember_owner);
        cr_assert(cfg.seccomp_sandbox);
        cr_assert_eq(cfg.security_driver, SECURITY_DRIVER_AUTO);
        cr_assert_eq(cfg.shutdown_timeout_sec, 60);
        cr_assert_null(cfg.user);
        cr_assert_str_eq(cfg.cgroup_device_acl[0], "/dev/null");
        cr_assert_str_eq(cfg.cgroup_device_acl[8], "/dev/hpet");
        cr_assert_null(cfg.cgroup_device_acl[9]);
}

Test(config, all_keys) {
        const char *text = "# comment\n"
                           "\n"
                           "user = \"qemu\"\n"
                           "group = kvm   # trailing comment\n"
                           "dynamic_ownership = 0\n"
                           "remember_owner = 0\n"
                           "security_driver = \"apparmor\"\n"
                           "security_default_confined = 0\n"
                           "seccomp_sandbox = 0\n"
                           "cgroup_device_acl = [ \"/dev/null\", \"/dev/kvm\" ]\n"
                           "shutdown_timeout = 5\n"
                           "on_host_shutdown = save\n";
        _cleanup_free_ char *err = NULL;

        cr_assert_eq(config_parse_text(text, "t.conf", &cfg, &err), 0, "%s", err);
        cr_assert_str_eq(cfg.user, "qemu");
        cr_assert_str_eq(cfg.group, "kvm");
        cr_assert_not(cfg.dynamic_ownership);
        cr_assert_not(cfg.remember_owner);
        cr_assert_not(cfg.security_default_confined);
        cr_assert_not(cfg.seccomp_sandbox);
        cr_assert_eq(cfg.security_driver, SECURITY_DRIVER_APPARMOR);
        cr_assert_eq(cfg.shutdown_timeout_sec, 5);
        cr_assert_eq(cfg.on_host_shutdown, HOST_SHUTDOWN_SAVE);
        cr_assert_str_eq(cfg.cgroup_device_acl[0], "/dev/null");
        cr_assert_str_eq(cfg.cgroup_device_acl[1], "/dev/kvm");
        cr_assert_null(cfg.cgroup_device_acl[2]);
}

static void expect_error(const char *text, const char *message) {
        _cleanup_free_ char *err = NULL;

        cr_assert_eq(config_parse_text(text, "vmunit.conf", &cfg, &err), -EINVAL);
        cr_assert_str_eq(err, message);
}

Test(config, unknown_key_names_line) {
        expect_error("user = a\n\n# x\nshutdown_timout = 3\n",
                     "vmunit.conf:4: unknown key 'shutdown_timout'");
}

Test(config, bad_values) {
        expect_error("dynamic_ownership = maybe\n",
                     "vmunit.conf:1: dynamic_ownership: expected 0 or 1, got 'maybe'");
        expect_error("shutdown_timeout = 0\n",
                     "vmunit.conf:1: shutdown_timeout: expected seconds between 1 and 86400, got '0'");
        expect_error("shutdown_timeout = 12x\n",
                     "vmunit.conf:1: shutdown_timeout: expected seconds between 1 and 86400, got '12x'");
        expect_error(
                "security_driver = smack\n",
                "vmunit.conf:1: security_driver: expected auto, selinux, apparmor or none, got 'smack'");
        expect_error("cgroup_device_acl = /etc/shadow\n",
                     "vmunit.conf:1: cgroup_device_acl: '/etc/shadow' is not a /dev path");
        /* A last "." or ".." component leaves /dev too (found by fuzz-config). */
        expect_error("cgroup_device_acl = /dev/null, /dev/..\n",
                     "vmunit.conf:1: cgroup_device_acl: '/dev/..' is not a /dev path");
        expect_error("cgroup_device_acl = [\"/dev/.\"]\n",
                     "vmunit.conf:1: cgroup_device_acl: '/dev/.' is not a /dev path");
        expect_error("user\n", "vmunit.conf:1: expected 'key = value', got 'user'");
        expect_error("user =\n", "vmunit.conf:1: user: empty value");
        expect_error("on_host_shutdown = hibernate\n",
                     "vmunit.conf:1: on_host_shutdown: expected shutdown or save, got 'hibernate'");
}

/* The line is quoted in messages: control characters in it are shown as
 * \xNN, so the error stays one line (found by tests/fuzz/fuzz-config). */
Test(config, control_characters_escaped) {
        expect_error("uesr\x1a = x\n", "vmunit.conf:1: unknown key 'uesr\\x1a'");
        expect_error("user\r\n", "vmunit.conf:1: expected 'key = value', got 'user'");
        expect_error("security_driver = \x1b[31mnone\n",
                     "vmunit.conf:1: security_driver: expected auto, selinux, apparmor or none, got "
                     "'\\x1b[31mnone'");
}

Test(config, missing_file_is_defaults) {
        _cleanup_free_ char *err = NULL;

        cr_assert_eq(config_load("/nonexistent/vmunit.conf", &cfg, &err), 0);
        cr_assert_null(err);
        cr_assert_eq(cfg.shutdown_timeout_sec, 60);
}

Test(config, unreadable_file) {
        _cleanup_free_ char *err = NULL;

        cr_assert_eq(config_load("/", &cfg, &err), -EISDIR);
        cr_assert_str_eq(err, "/: cannot read: Is a directory");
}

Test(config, empty_file_is_defaults) {
        char path[] = "/tmp/vmunit-test-config.XXXXXX";
        _cleanup_free_ char *err = NULL;
        int fd = mkstemp(path);

        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(config_load(path, &cfg, &err), 0, "%s", err);
        unlink(path);
        cr_assert_eq(cfg.shutdown_timeout_sec, 60);
}
