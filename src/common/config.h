/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Host configuration, vmunit.conf: "key = value" lines, '#' comments.
 * Like libvirt's qemu.conf, but every key is known: an unknown key or a
 * bad value is an error naming the file and line.
 */

#include <stdbool.h>

#include "macro.h"

typedef enum SecurityDriver {
        SECURITY_DRIVER_AUTO,
        SECURITY_DRIVER_SELINUX,
        SECURITY_DRIVER_APPARMOR,
        SECURITY_DRIVER_NONE,
} SecurityDriver;

typedef enum HostShutdownAction {
        HOST_SHUTDOWN_SHUTDOWN,
        HOST_SHUTDOWN_SAVE,
} HostShutdownAction;

#define CONFIG_DEFAULT_SHUTDOWN_TIMEOUT_SEC 60

typedef struct VmunitConfig {
        char *user;  /* NULL = default (system: the vmunit-qemu user; embedded: caller) */
        char *group; /* NULL = the user's primary group */
        bool dynamic_ownership;
        bool remember_owner;
        SecurityDriver security_driver;
        bool security_default_confined;
        bool seccomp_sandbox;
        char **cgroup_device_acl; /* NULL-terminated */
        unsigned shutdown_timeout_sec;
        HostShutdownAction on_host_shutdown;
        char *emulator; /* default QEMU binary; NULL = built-in default */
} VmunitConfig;

/* Fill *c with the built-in defaults. Returns 0 or -ENOMEM. */
int config_init_defaults(VmunitConfig *c);
/* Load path over the defaults. A missing file is not an error (defaults).
 * Returns 0, -EINVAL for a syntax/unknown-key/bad-value error or -errno
 * when the file cannot be read; the message "FILE:LINE: ..." goes to
 * *ret_error (caller frees) when not NULL. */
int config_load(const char *path, VmunitConfig *c, char **ret_error);
/* Parse a whole configuration text (for tests). filename is for messages. */
int config_parse_text(const char *text, const char *filename, VmunitConfig *c, char **ret_error);
void config_done(VmunitConfig *c);

const char *security_driver_to_string(SecurityDriver d);
