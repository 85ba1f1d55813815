/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VM's lifecycle as the supervisor sees it: QMP events and replies,
 * signals from systemd or the terminal, QEMU's exit, and the graceful
 * shutdown ladder (ACPI power button -> wait -> quit -> SIGKILL).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "supervisor.h"
#include "vm-bus.h"

#define USEC_PER_SEC 1000000ULL
#define QUIT_GRACE_USEC (3 * USEC_PER_SEC) /* after `quit`, before SIGKILL */

static uint64_t now_usec(Supervisor *s) {
        uint64_t t = 0;

        (void) sd_event_now(s->event, CLOCK_MONOTONIC, &t);
        return t;
}

void lifecycle_set_status(Supervisor *s, const char *fmt, ...) {
        char status[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(status, sizeof(status), fmt, ap);
        va_end(ap);
        (void) sd_notifyf(false, "STATUS=%s", status);
}

static void set_state(Supervisor *s, SupervisorState state, const char *status) {
        if (s->state == state)
                return;
        s->state = state;
        lifecycle_set_status(s, "%s", status);
        log_info("state: %s", status);
        bus_state_changed(s, status); /* D-Bus StateChanged + PropertiesChanged (bus.c) */
}

static int arm_timer(Supervisor *s, uint64_t usec_from_now, sd_event_time_handler_t cb) {
        s->shutdown_timer = sd_event_source_disable_unref(s->shutdown_timer);
        return sd_event_add_time_relative(s->event, &s->shutdown_timer, CLOCK_MONOTONIC, usec_from_now, 0,
                                          cb, s);
}

static int on_kill_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        Supervisor *s = userdata;

        if (s->qemu_pid > 0) {
                log_warning("QEMU did not exit after quit, sending SIGKILL");
                (void) kill(s->qemu_pid, SIGKILL);
        }
        s->state = SUPERVISOR_KILLING;
        return 0;
}

/* Last polite step: ask QEMU to quit (it flushes disks), then SIGKILL if
 * even that does not end it. */
static void force_quit(Supervisor *s, const char *status) {
        if (s->state == SUPERVISOR_QUITTING || s->state == SUPERVISOR_KILLING)
                return;
        set_state(s, SUPERVISOR_QUITTING, status);
        if (!s->qmp || qmp_client_send(s->qmp, "quit", NULL, NULL, NULL) < 0)
                (void) kill(s->qemu_pid, SIGTERM);
        (void) arm_timer(s, QUIT_GRACE_USEC, on_kill_timer);
}

static int on_shutdown_tick(sd_event_source *es, uint64_t usec, void *userdata) {
        Supervisor *s = userdata;
        uint64_t now = now_usec(s);

        if (now >= s->shutdown_deadline_usec) {
                log_warning("guest did not power off within %us, forcing quit",
                            s->config.shutdown_timeout_sec);
                force_quit(s, "stopping (quit)");
                return 0;
        }
        lifecycle_set_status(
                s, "shutting down (ACPI, %llus left)",
                (unsigned long long) ((s->shutdown_deadline_usec - now + USEC_PER_SEC - 1) / USEC_PER_SEC));
        /* Keep systemd's stop timeout ahead of our own deadline. */
        (void) sd_notifyf(
                false, "EXTEND_TIMEOUT_USEC=%llu",
                (unsigned long long) (s->shutdown_deadline_usec - now + QUIT_GRACE_USEC + 2 * USEC_PER_SEC));
        (void) arm_timer(s, USEC_PER_SEC, on_shutdown_tick);
        return 0;
}

static void start_acpi_shutdown(Supervisor *s) {
        int r;

        set_state(s, SUPERVISOR_SHUTTING_DOWN, "shutting down (ACPI)");
        r = qmp_client_send(s->qmp, "system_powerdown", NULL, NULL, NULL);
        if (r < 0) {
                log_warning("could not send the ACPI power button: %s", strerror(-r));
                force_quit(s, "stopping (quit)");
                return;
        }
        s->shutdown_deadline_usec = now_usec(s) + s->config.shutdown_timeout_sec * USEC_PER_SEC;
        (void) on_shutdown_tick(NULL, 0, s);
}

void lifecycle_request_stop(Supervisor *s) {
        (void) sd_notify(false, "STOPPING=1");
        s->stop_requested = true;
        switch (s->state) {
        case SUPERVISOR_RUNNING: start_acpi_shutdown(s); break;
        case SUPERVISOR_STARTING:
        case SUPERVISOR_PAUSED:
        case SUPERVISOR_SHUTTING_DOWN: /* asked twice: stop waiting for the guest */
                force_quit(s, "stopping (quit)");
                break;
        case SUPERVISOR_QUITTING: (void) on_kill_timer(NULL, 0, s); break;
        default: break;
        }
}

static int on_signal(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata) {
        Supervisor *s = userdata;

        log_info("received %s, stopping the VM", strsignal((int) si->ssi_signo));
        lifecycle_request_stop(s);
        return 0;
}

/* Destroy (SIGUSR1 from vmctl destroy, or D-Bus Destroy()). Skip the
 * guest's say and quit now. */
void lifecycle_request_destroy(Supervisor *s) {
        log_info("destroy requested, stopping the VM without ACPI");
        (void) sd_notify(false, "STOPPING=1");
        s->stop_requested = true;
        force_quit(s, "stopping (destroy)");
}

static int on_destroy_signal(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata) {
        lifecycle_request_destroy(userdata);
        return 0;
}

static void on_status_reply(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                            void *userdata) {
        Supervisor *s = userdata;
        json_object *status;
        const char *st;

        if (!reply || !json_object_object_get_ex(reply, "status", &status))
                return;
        st = json_object_get_string(status);
        if (sd_watchdog_enabled(false, NULL) > 0)
                (void) sd_notify(false, "WATCHDOG=1");
        if (s->ready_sent || !streq(st, "running"))
                return;
        s->ready_sent = true;
        set_state(s, SUPERVISOR_RUNNING, "running");
        (void) sd_notify(false, "READY=1");
}

static void on_cont_reply(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                          void *userdata) {
        Supervisor *s = userdata;

        if (!reply) {
                log_error("QEMU refused to start the guest: %s", edesc ?: eclass ?: "unknown error");
                force_quit(s, "stopping (quit)");
                return;
        }
        (void) qmp_client_send(s->qmp, "query-status", NULL, on_status_reply, s);
}

static void on_qmp_ready(QmpClient *c, void *userdata) {
        Supervisor *s = userdata;

        /* QEMU was started with -S: everything that must be in place before
         * the guest runs has been done, so let it go. */
        if (s->stop_requested)
                return;
        console_on_qmp_ready(s);
        (void) qmp_client_send(c, "cont", NULL, on_cont_reply, s);
}

void lifecycle_request_reboot(Supervisor *s, SupervisorOpDone done, void *userdata) {
        done(s, VMUNIT_BUS_ERROR_NOT_SUPPORTED, "Reboot: not implemented yet", userdata);
}

/* Reset and continue: what restart means for a reboot, poweroff or crash
 * that QEMU left paused (see the -action mapping in qemu-argv.c). */
static void restart_guest(Supervisor *s) {
        (void) qmp_client_send(s->qmp, "system_reset", NULL, NULL, NULL);
        (void) qmp_client_send(s->qmp, "cont", NULL, NULL, NULL);
}

/* SHUTDOWN from the guest: a poweroff (reason guest-shutdown) or, with
 * on_reboot != restart, a reboot turned into a shutdown (guest-reset).
 * QEMU exits by itself only for a plain poweroff with destroy; otherwise it
 * is paused and waits for us to apply the domain's action. */
static void on_guest_shutdown(Supervisor *s, const char *reason) {
        bool reboot = streq_ptr(reason, "guest-reset");
        DomainLifecycleAction a = reboot ? domain_on_reboot(s->domain) : domain_on_poweroff(s->domain);
        const char *what = reboot ? "rebooted" : "powered off";

        log_info("guest %s; %s=%s", what, reboot ? "on_reboot" : "on_poweroff",
                 domain_lifecycle_action_to_string(a));
        switch (a) {
        case DOMAIN_ACTION_RESTART: restart_guest(s); break;
        case DOMAIN_ACTION_PRESERVE:
                set_state(s, SUPERVISOR_PAUSED, reboot ? "rebooted (preserved)" : "powered off (preserved)");
                break;
        default:
                /* QEMU may already be exiting by itself; quit is harmless then. */
                s->guest_shutdown = true;
                force_quit(s, what);
                break;
        }
}

static void on_guest_panicked(Supervisor *s) {
        DomainLifecycleAction a = domain_on_crash(s->domain);

        log_error("guest crashed (pvpanic); on_crash=%s", domain_lifecycle_action_to_string(a));
        switch (a) {
        case DOMAIN_ACTION_RESTART: restart_guest(s); break;
        case DOMAIN_ACTION_PRESERVE: set_state(s, SUPERVISOR_PAUSED, "crashed (preserved)"); break;
        default:
                s->guest_crashed = true;
                force_quit(s, "stopping (quit)");
                break;
        }
}

static void on_qmp_event(QmpClient *c, const char *event, json_object *data, void *userdata) {
        Supervisor *s = userdata;
        json_object *v;

        save_on_qmp_event(s, event, data);
        hotplug_on_qmp_event(s, event, data);

        if (streq(event, "SHUTDOWN")) {
                bool guest =
                        data && json_object_object_get_ex(data, "guest", &v) && json_object_get_boolean(v);
                const char *reason = data && json_object_object_get_ex(data, "reason", &v)
                                             ? json_object_get_string(v)
                                             : NULL;
                if (guest)
                        on_guest_shutdown(s, reason);
        } else if (streq(event, "RESET"))
                log_info("guest reset");
        else if (streq(event, "GUEST_PANICKED"))
                on_guest_panicked(s);
        else if (streq(event, "STOP") && s->state == SUPERVISOR_RUNNING)
                set_state(s, SUPERVISOR_PAUSED, "paused");
        else if (streq(event, "RESUME") && s->state == SUPERVISOR_PAUSED)
                set_state(s, SUPERVISOR_RUNNING, "running");
        else if (streq(event, "POWERDOWN"))
                log_info("ACPI power button pressed");
}

static void on_qmp_disconnect(QmpClient *c, void *userdata) {
        log_debug("QMP connection closed");
}

static const char *describe_exit(const siginfo_t *si, char *buf, size_t n) {
        if (si->si_code == CLD_EXITED)
                snprintf(buf, n, "exit status %d", si->si_status);
        else
                snprintf(buf, n, "signal %s", strsignal(si->si_status));
        return buf;
}

static int exit_status_for(Supervisor *s, const siginfo_t *si) {
        char how[64];

        describe_exit(si, how, sizeof(how));
        if (s->guest_crashed)
                return log_error("QEMU exited (%s) after the guest crashed", how), VMUNIT_EXIT_GUEST_CRASHED;
        if (s->stop_requested || s->guest_shutdown) {
                log_info("QEMU exited (%s)", how);
                return VMUNIT_EXIT_OK;
        }
        if (!s->ready_sent)
                log_error("QEMU exited during startup (%s)", how);
        else
                log_error("QEMU exited unexpectedly (%s)", how);
        return VMUNIT_EXIT_QEMU_DIED;
}

static int on_child_exit(sd_event_source *es, const siginfo_t *si, void *userdata) {
        Supervisor *s = userdata;

        output_flush(s);
        s->qemu_pid = 0; /* reaped by sd-event */
        s->exit_status = exit_status_for(s, si);
        s->state = SUPERVISOR_EXITED;
        (void) sd_notify(false, "STOPPING=1\nSTATUS=stopped");
        return sd_event_exit(s->event, 0);
}

static int on_watchdog(sd_event_source *es, uint64_t usec, void *userdata) {
        Supervisor *s = userdata;
        uint64_t wd = 0;
        int r;

        /* WATCHDOG=1 only follows a successful query-status: a hung QEMU
         * (or a stuck monitor) stops the pings and systemd's watchdog fires. */
        if (s->qmp && s->ready_sent)
                (void) qmp_client_send(s->qmp, "query-status", NULL, on_status_reply, s);
        (void) sd_watchdog_enabled(false, &wd);
        r = sd_event_source_set_time_relative(es, wd / 2);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
}

static int attach_watchdog(Supervisor *s) {
        uint64_t wd = 0;

        if (sd_watchdog_enabled(false, &wd) <= 0)
                return 0;
        return sd_event_add_time_relative(s->event, NULL, CLOCK_MONOTONIC, wd / 2, 0, on_watchdog, s);
}

int lifecycle_watch_child(Supervisor *s) {
        int r = sd_event_add_child(s->event, &s->child_source, s->qemu_pid, WEXITED, on_child_exit, s);
        if (r < 0)
                return r;
        qmp_client_set_handlers(s->qmp, on_qmp_ready, on_qmp_event, on_qmp_disconnect, s);
        return 0;
}

int lifecycle_attach(Supervisor *s) {
        sigset_t mask;
        int r;

        /* sd-event needs these blocked to receive them through signalfd. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return negative_errno();
        (void) signal(SIGPIPE, SIG_IGN);
        r = sd_event_add_signal(s->event, NULL, SIGTERM, on_signal, s);
        if (r >= 0)
                r = sd_event_add_signal(s->event, NULL, SIGINT, on_signal, s);
        if (r >= 0)
                r = sd_event_add_signal(s->event, NULL, SIGUSR1, on_destroy_signal, s);
        if (r >= 0)
                r = attach_watchdog(s);
        return r < 0 ? r : 0;
}
