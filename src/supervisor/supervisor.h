/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The supervisor: one per VM. It owns the QEMU child, talks QMP to it, and
 * turns what happens into sd_notify states, log lines and an exit code.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "domain.h"
#include "exit-status.h"
#include "caller.h"
#include "identity.h" /* confinement (issue 4) */
#include "paths.h"
#include "qmp.h"
#include "vm-files.h"

/* QEMU's inherited descriptors besides stdio, as its command line names
 * them and qemu-process.c arranges them: the QMP listening socket, then
 * the domain's files (s->files, in table order). */
#define QEMU_CHILD_QMP_FD 3
#define QEMU_CHILD_FIRST_FILE_FD 4

/* RUN/NAME/QEMU_DIR_NAME: the directory QEMU may create files in. */
#define QEMU_DIR_NAME "qemu"

typedef enum SupervisorState {
        SUPERVISOR_STARTING,
        SUPERVISOR_RUNNING,
        SUPERVISOR_PAUSED,
        SUPERVISOR_SHUTTING_DOWN, /* ACPI power button sent, waiting for the guest */
        SUPERVISOR_QUITTING,      /* `quit` sent, waiting for QEMU to exit */
        SUPERVISOR_KILLING,       /* SIGKILL sent */
        SUPERVISOR_EXITED,
} SupervisorState;

typedef struct Supervisor {
        /* Inputs */
        VmunitPaths paths;
        VmunitConfig config;
        char *name;
        char *xml_path;
        Domain *domain;
        char uuid[37];

        /* Runtime */
        char *run_dir;  /* RUN/NAME: the supervisor's, 0755 */
        char *qemu_dir; /* RUN/NAME/qemu: where QEMU may create files; NULL without <qemu:commandline> */
        char *qmp_path;
        char *console_path;
        sd_event *event;
        QmpClient *qmp;
        pid_t qemu_pid;
        sd_event_source *child_source;
        sd_event_source *stderr_source;
        sd_event_source *console_source;
        sd_event_source *shutdown_timer;
        int console_fd;
        char *stderr_buf;  /* partial line from QEMU's stderr */
        char *console_buf; /* partial line from the guest console */

        SupervisorState state;
        bool stop_requested; /* SIGTERM/SIGINT seen: exit 0 whatever QEMU does */
        bool guest_shutdown; /* guest powered off (or rebooted with on_reboot=destroy) */
        bool guest_crashed;  /* GUEST_PANICKED seen and on_crash said destroy */
        bool ready_sent;
        bool machined_registered;
        uint64_t shutdown_deadline_usec;
        int exit_status;

        /* --- Confinement (issue 4), read by qemu-process.c's child checklist.
         * identity is filled by qemu_identity_prepare() (identity.c);
         * cgroup and labels are owned by whoever sets them up; NULL skips
         * that step of the checklist. */
        QemuIdentity identity;
        struct VmCgroup *cgroup;
        struct LabelManager *labels;
        /* Every file of the domain, resolved once (vm-files.h), with
         * QEMU's fds for them until it runs: the one source for the
         * device ACL, the command line and the child's descriptors. */
        VmFiles files;
        /* --- end confinement */

        struct VmBus *bus; /* D-Bus object (bus.c), NULL when not on a bus */

        /* >>> save/restore (save.c), Reboot (lifecycle.c) */
        struct SaveState *save;         /* a Save() or restore in progress, else NULL */
        struct RestoreSource *restore;  /* starting from a save file (save.c), else NULL */
        bool resume_after_migration;    /* a failed Save(): `cont` once QEMU's migration has ended */
        bool reboot_pending;            /* Reboot(): button pressed, guest not yet off */
        bool reboot_resuming;           /* reset+cont sent: the STOP/RESUME that follow are no pause */
        struct RebootCall *reboot_call; /* Reboot() waiting for QEMU's answer */
        /* <<< save/restore */
        /* >>> hotplug (hotplug.c) */
        struct Hotplug *hotplug;
        /* <<< hotplug */
        /* >>> console (console.c) */
        char *console_pty; /* the guest console's pty, once QEMU said which */
        /* <<< console */
} Supervisor;

/* Load configuration and domain, check the host, prepare the runtime
 * directory. Returns 0 or a VmunitExitStatus > 0 after logging why. */
int supervisor_prepare(Supervisor *s, const char *root, const char *name);
/* Start QEMU and run until it is gone. Returns the exit status. */
int supervisor_run(Supervisor *s);
/* Kill anything left, remove runtime state, free everything. */
void supervisor_done(Supervisor *s);
/* ExecStopPost= step: undo what a supervisor that may have been SIGKILLed
 * left behind (runtime directory; labels and owners as they land). Returns
 * an exit status. */
int supervisor_cleanup(const char *root, const char *name);

/* host-checks.c: everything that must exist before QEMU starts. Returns 0
 * or VMUNIT_EXIT_HOST after logging what is missing. */
int host_checks_run(const Supervisor *s);

/* firmware.c: choose firmware='efi' without a <loader> path from QEMU's
 * descriptors into s->domain, and create the variable store from its
 * template on the first start. Returns 0, or VMUNIT_EXIT_CONFIG /
 * VMUNIT_EXIT_HOST after logging why. */
int supervisor_firmware_prepare(Supervisor *s);

/* qemu-process.c: fork and exec QEMU with the QMP listening socket as
 * QEMU_CHILD_QMP_FD and the QEMU-side fd of each s->files entry as its
 * child_fd. Returns 0 or -errno with *ret_step naming the step that
 * failed; *ret_stderr_fd reads QEMU's stdout+stderr. */
int qemu_process_spawn(Supervisor *s, char **argv, char **extra_env, int qmp_listen_fd, int *ret_stderr_fd,
                       const char **ret_step);

/* identity.c (confinement, issue 4): resolve QEMU's user/group from the
 * configuration into s->identity. Returns 0 or an exit status after
 * logging (1: no such user/group in vmunit.conf; 2: default user missing,
 * or a change of identity needs root). */
int qemu_identity_prepare(Supervisor *s);

/* confinement.c: the domain's files (s->files), the cgroup + device ACL,
 * labels, then QEMU's fds, before QEMU is forked; returns 0 or an exit
 * status after logging the failed step (a file that cannot be had: 2,
 * naming it). Teardown after QEMU has been reaped. */
int confinement_prepare(Supervisor *s);
void confinement_teardown(Supervisor *s);

/* lifecycle.c */
int lifecycle_attach(Supervisor *s);      /* signals, watchdog */
int lifecycle_watch_child(Supervisor *s); /* QEMU's exit and QMP handlers, once spawned */
void lifecycle_set_status(Supervisor *s, const char *fmt, ...) _printf_(2, 3);
void lifecycle_request_stop(Supervisor *s);
void lifecycle_request_destroy(Supervisor *s); /* SIGUSR1, D-Bus Destroy(): quit without ACPI */

/* bus.c: the VM's D-Bus object (org.vmunit.vm.LABEL). bus_attach() logs
 * and returns -errno when no bus is reachable (never fatal); the others
 * do nothing without one. bus_state_changed() emits StateChanged and
 * PropertiesChanged(State) with reason as StateReason. */
int bus_attach(Supervisor *s);
void bus_state_changed(Supervisor *s, const char *reason);
void bus_detach(Supervisor *s);

/* Completion of a long operation started for a caller (a D-Bus method, or
 * the supervisor itself): error is NULL on success, else a D-Bus error
 * name (VMUNIT_BUS_ERROR_* from vm-bus.h) with a message a person can act
 * on. May be called before the starting function returns. */
typedef void (*SupervisorOpDone)(Supervisor *s, const char *error, const char *message, void *userdata);

/* lifecycle.c: Reboot(): ACPI power button, and when the guest powers
 * off, reset and continue instead of stopping. */
void lifecycle_request_reboot(Supervisor *s, SupervisorOpDone done, void *userdata);

/* >>> save.c: Save(h) / SaveToPath(s): the guest's state to a file, then
 * the VM stops; and the restore side (start from a save file instead of
 * booting). save_start_fd(): into fd, a caller's (duplicated here; it
 * must be a writable fd to an empty regular file, else InvalidArgs).
 * save_start_path(): a new file at path (root's callers only: the
 * directory is resolved once, the file linked in only when complete). */
void save_start_fd(Supervisor *s, int fd, SupervisorOpDone done, void *userdata);
void save_start_path(Supervisor *s, const char *path, SupervisorOpDone done, void *userdata);
void save_on_qmp_event(Supervisor *s, const char *event, json_object *data);
/* Before QEMU starts: pick up a restore request (vmctl restore) or a
 * managed save, verify it (MAC, and its domain against the defined
 * s->domain, which stays); when there is one, s->restore is set. Returns
 * 0 or an exit status after logging. */
int save_prepare_restore(Supervisor *s);
/* Whether QEMU must be started with -incoming defer. */
bool save_restoring(const Supervisor *s);
/* QMP is up: feed the save file to QEMU; lifecycle_restored() follows. */
void save_restore_begin(Supervisor *s);
/* QEMU exited while loading the save file: the exit status to use (after
 * logging why and dealing with the file), or 0 when not restoring. */
int save_restore_failed_exit(Supervisor *s);
/* SIGTERM with on_host_shutdown=save while the host shuts down: save to
 * the managed save file. Returns true if a save was started (else the
 * caller shuts the guest down as usual). */
bool save_managed_on_host_shutdown(Supervisor *s);
void save_done(Supervisor *s); /* teardown: fail what is pending, free */

/* lifecycle.c, for save.c: the saved state is loaded; run the guest (or
 * keep it paused) and tell systemd we are ready. */
void lifecycle_restored(Supervisor *s, bool run);
/* lifecycle.c, for save.c: the state is in the file (or a restore
 * failed): QEMU may go, the stop counts as requested. */
void lifecycle_quit(Supervisor *s, const char *status);
/* lifecycle.c, for save.c: a managed save failed on the way to a stop;
 * shut the guest down the ordinary way (ACPI if it was running: save.c
 * has already sent `cont`). */
void lifecycle_stop_after_failed_save(Supervisor *s, bool was_running);
/* lifecycle.c: teardown: answer a Reboot() QEMU never answered. */
void lifecycle_done(Supervisor *s);
/* <<< save.c */

/* >>> hotplug.c: AttachDevice/DetachDevice for <disk> fragments.
 * hotplug_attach(): fds[i] (borrowed; duplicated here before it returns)
 * is the file of the fragment's i-th <source>, which the caller opened;
 * n_fds 0 only for root (caller), whose sources are then resolved here,
 * once. */
void hotplug_attach(Supervisor *s, const char *xml, const int *fds, size_t n_fds, const Caller *caller,
                    SupervisorOpDone done, void *userdata);
void hotplug_detach(Supervisor *s, const char *xml, SupervisorOpDone done, void *userdata);
void hotplug_on_qmp_event(Supervisor *s, const char *event, json_object *data);
void hotplug_done(Supervisor *s); /* free what hotplug.c holds */
/* <<< hotplug.c */

/* >>> console.c: the guest console's pty. console_on_qmp_ready() asks
 * QEMU (query-chardev) which pty it is and records it in the runtime
 * directory as the symlink RUN/console -> /dev/pts/N; console_open()
 * opens it for a caller (D-Bus OpenConsole()): returns an fd, or -errno
 * with *ret_error (a VMUNIT_BUS_ERROR_*) and *ret_message (the caller
 * frees) saying why. */
void console_on_qmp_ready(Supervisor *s);
int console_open(Supervisor *s, const char **ret_error, char **ret_message);
void console_done(Supervisor *s);
/* <<< console.c */

/* machined.c: best-effort registration (class vm, leader = QEMU). */
int machined_register(Supervisor *s);
void machined_unregister(Supervisor *s);

/* output.c: QEMU stderr and guest console forwarding into the log. */
int output_watch_stderr(Supervisor *s, int fd);
int output_watch_console(Supervisor *s);
void output_flush(Supervisor *s);
