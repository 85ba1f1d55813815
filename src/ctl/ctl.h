/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * vmctl: a thin CLI over the common library. Each command is a function
 * taking its own arguments (after the command word) and returning an exit
 * code; errors are logged once, as one line, where they happen.
 */

#include "paths.h"

typedef struct Ctl {
        const char *root; /* --root, NULL in system mode */
        const char *host; /* -H [USER@]HOST: remote system bus over SSH */
        VmunitPaths paths;
} Ctl;

typedef int (*CtlCommandFn)(Ctl *ctl, int argc, char **argv);

/* cmd-define.c */
int ctl_cmd_define(Ctl *ctl, int argc, char **argv);
int ctl_cmd_undefine(Ctl *ctl, int argc, char **argv);
int ctl_cmd_validate(Ctl *ctl, int argc, char **argv);
int ctl_cmd_dumpxml(Ctl *ctl, int argc, char **argv);
/* cmd-lifecycle.c (system mode: through systemd) */
int ctl_cmd_start(Ctl *ctl, int argc, char **argv);
int ctl_cmd_shutdown(Ctl *ctl, int argc, char **argv);
int ctl_cmd_destroy(Ctl *ctl, int argc, char **argv);
int ctl_cmd_autostart(Ctl *ctl, int argc, char **argv);
/* cmd-vm-bus.c (system mode: the VM's own D-Bus object) */
int ctl_cmd_suspend(Ctl *ctl, int argc, char **argv);
int ctl_cmd_resume(Ctl *ctl, int argc, char **argv);
int ctl_cmd_qemu_monitor_command(Ctl *ctl, int argc, char **argv);
int ctl_cmd_reboot(Ctl *ctl, int argc, char **argv);
/* cmd-save.c */
int ctl_cmd_save(Ctl *ctl, int argc, char **argv);
int ctl_cmd_restore(Ctl *ctl, int argc, char **argv);
/* cmd-hotplug.c */
int ctl_cmd_attach_disk(Ctl *ctl, int argc, char **argv);
int ctl_cmd_detach_disk(Ctl *ctl, int argc, char **argv);
/* cmd-console.c */
int ctl_cmd_console(Ctl *ctl, int argc, char **argv);
/* cmd-edit.c */
int ctl_cmd_edit(Ctl *ctl, int argc, char **argv);
/* cmd-capabilities.c */
int ctl_cmd_capabilities(Ctl *ctl, int argc, char **argv);
/* cmd-list.c */
int ctl_cmd_list(Ctl *ctl, int argc, char **argv);
/* cmd-native.c */
int ctl_cmd_domxml_to_native(Ctl *ctl, int argc, char **argv);
/* cmd-run.c */
int ctl_cmd_run(Ctl *ctl, int argc, char **argv);

/* cmd-vm-bus.c: call METHOD on the running domain NAME's D-Bus object
 * (org.vmunit.vm.LABEL); types and the arguments as for
 * sd_bus_call_method() (types NULL: none). On success *ret_reply (if
 * wanted) holds the reply. Logs the error as one line. */
struct sd_bus_message;
int ctl_vm_call(Ctl *ctl, const char *name, const char *method, struct sd_bus_message **ret_reply,
                const char *types, ...);

/* Shared helpers (ctl-util.c). */
/* Parse and validate a domain file, logging the one-line error. Returns
 * 0 or a negative errno. */
struct Domain;
int ctl_load_domain_file(const char *path, struct Domain **ret);
/* Write the domain's canonical XML to the domains directory atomically.
 * Returns 0 or -errno (logged). */
int ctl_define_domain(Ctl *ctl, const struct Domain *d);
/* Log and return -EINVAL for a name that is not a valid domain name. */
int ctl_check_name(const char *name);
/* Log and fail for a name that cannot become vm@NAME.service. */
int ctl_check_unit_name(const char *name);
/* daemon-reload in system mode when booted with systemd; 0 otherwise. */
int ctl_daemon_reload(Ctl *ctl);
/* A path a remote supervisor is to open itself (-H: root's path
 * variants, SaveToPath and AttachDevice without fds): absolute, and not
 * in /tmp or /var/tmp, which are private to the VM's service. what names
 * it in the one-line error. Returns 0 or -EINVAL (logged). */
int ctl_check_remote_path(const char *what, const char *path);
/* Require exactly n positional arguments; log usage otherwise. */
int ctl_expect_args(int argc, int n, const char *usage);
/* Open RUN/NAME/FILE (pid, domain.xml: what the domain's supervisor
 * records) for reading: never through a symlink, and only a regular file
 * the supervisor can have written (root's, or in embedded mode ours, not
 * writable by group or others). Returns the fd; -ENOENT/-EACCES and the
 * like as open(2) says (not logged: not running, or not ours to read);
 * -EPERM for a file that is refused, logged as one line. */
int ctl_open_runtime_file(Ctl *ctl, const char *name, const char *file);
/* The PID recorded in RUN/NAME/pid when that process is alive, else 0. */
int ctl_domain_running_pid(Ctl *ctl, const char *name);

/* ctl-bus.c: open the system bus vmctl talks to — the local one, or the
 * one of ctl->host over SSH (-H). *ret is the caller's. Returns 0 or
 * -errno (logged). */
struct sd_bus;
int ctl_bus_open(const Ctl *ctl, struct sd_bus **ret);
/* Path of vmunit-supervisor (malloc'd, NULL on OOM): $VMUNIT_SUPERVISOR,
 * the build tree next to this vmctl, or the installed one. */
char *ctl_find_supervisor(void);
