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
#include "qemu-argv.h"
#include "supervisor.h"
#include "vm-bus.h"

#define USEC_PER_SEC 1000000ULL
#define QUIT_GRACE_USEC (3 * USEC_PER_SEC) /* after `quit`, before SIGKILL */

static uint64_t now_usec(Supervisor *s) {
        uint64_t t = 0;

        (void) sd_event_now(s->event, CLOCK_MONOTONIC, &t);
        return t;
}

/* STATUS= texts are fixed strings with numbers; should one ever carry
 * anything else, a newline in it must not become a second assignment of
 * the sd_notify datagram (MAINPID=, READY=1, WATCHDOG=trigger from the
 * unit's root main process): control characters are escaped. */
void lifecycle_set_status(Supervisor *s, const char *fmt, ...) {
        _cleanup_free_ char *safe = NULL;
        char status[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(status, sizeof(status), fmt, ap);
        va_end(ap);
        safe = cescape(status, sizeof(status));
        if (safe)
                (void) sd_notifyf(false, "STATUS=%s", safe);
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

static void reboot_cancel(Supervisor *s);

void lifecycle_request_stop(Supervisor *s) {
        (void) sd_notify(false, "STOPPING=1");
        s->stop_requested = true;
        reboot_cancel(s);
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

        /* on_host_shutdown=save: a host going down keeps the guest's
         * state instead of shutting it down (save.c decides). */
        if (si->ssi_signo == SIGTERM && !s->stop_requested && save_managed_on_host_shutdown(s))
                return 0;
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

/* <memballoon><stats period>: a QOM property of the balloon, which
 * -device cannot set (libvirt sets it the same way, before the guest
 * runs). QMP answers in order, so it is in place before "cont". */
static void set_balloon_stats_period(Supervisor *s) {
        const DomainMemballoon *m = s->domain->memballoon;
        json_object *args;

        if (!m || m->model == DOMAIN_MEMBALLOON_NONE || !m->stats_period.set)
                return;
        args = json_object_new_object();
        if (!args)
                return;
        json_object_object_add(args, "path", json_object_new_string("/machine/peripheral/balloon0"));
        json_object_object_add(args, "property", json_object_new_string("guest-stats-polling-interval"));
        json_object_object_add(args, "value", json_object_new_int64((int64_t) m->stats_period.value));
        if (qmp_client_send(s->qmp, "qom-set", args, NULL, NULL) < 0)
                log_warning("could not set the balloon's stats period");
}

/* A display password never goes on QEMU's command line (any local user
 * could read it there): QEMU starts with password=on (VNC) or ticketing
 * (SPICE) and no password, so nobody gets in, and it is set here, before
 * "cont", as libvirt does. Failing leaves the display locked. */
static void on_password_reply(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                              void *userdata) {
        if (!reply)
                log_warning("QEMU did not take the display password: %s; the display stays locked",
                            edesc ?: eclass ?: "unknown error");
}

static void set_one_password(Supervisor *s, const DomainGraphics *g) {
        static const char *const connected[] = {
                [DOMAIN_GRAPHICS_CONNECTED_KEEP] = "keep",
                [DOMAIN_GRAPHICS_CONNECTED_DISCONNECT] = "disconnect",
                [DOMAIN_GRAPHICS_CONNECTED_FAIL] = "fail",
        };
        const char *protocol = g->type == DOMAIN_GRAPHICS_SPICE ? "spice" : "vnc";
        json_object *args = json_object_new_object();
        char when[32];
        time_t t;

        if (!args)
                return;
        json_object_object_add(args, "protocol", json_object_new_string(protocol));
        json_object_object_add(args, "password", json_object_new_string(g->passwd));
        if (g->connected)
                json_object_object_add(args, "connected", json_object_new_string(connected[g->connected]));
        if (qmp_client_send(s->qmp, "set_password", args, on_password_reply, NULL) < 0) {
                log_warning("could not set the %s password: the display stays locked", protocol);
                return;
        }
        if (!g->passwd_valid_to || domain_graphics_valid_to(g->passwd_valid_to, &t) < 0)
                return;
        args = json_object_new_object();
        if (!args)
                return;
        snprintf(when, sizeof(when), "%lld", (long long) t);
        json_object_object_add(args, "protocol", json_object_new_string(protocol));
        json_object_object_add(args, "time", json_object_new_string(when));
        if (qmp_client_send(s->qmp, "expire_password", args, on_password_reply, NULL) < 0)
                log_warning("could not set when the %s password expires", protocol);
}

static void set_graphics_passwords(Supervisor *s) {
        for (size_t i = 0; i < s->domain->n_graphics; i++)
                if (s->domain->graphics[i].passwd)
                        set_one_password(s, &s->domain->graphics[i]);
}

static void on_qmp_ready(QmpClient *c, void *userdata) {
        Supervisor *s = userdata;

        /* QEMU was started with -S: everything that must be in place before
         * the guest runs has been done, so let it go. */
        if (s->stop_requested)
                return;
        console_on_qmp_ready(s);
        set_balloon_stats_period(s);
        set_graphics_passwords(s);
        if (save_restoring(s)) {
                save_restore_begin(s); /* lifecycle_restored() once loaded */
                return;
        }
        (void) qmp_client_send(c, "cont", NULL, on_cont_reply, s);
}

void lifecycle_restored(Supervisor *s, bool run) {
        if (run) {
                (void) qmp_client_send(s->qmp, "cont", NULL, on_cont_reply, s);
                return;
        }
        /* Saved while paused: it stays paused, and that is "started". */
        s->ready_sent = true;
        set_state(s, SUPERVISOR_PAUSED, "paused");
        (void) sd_notify(false, "READY=1");
}

void lifecycle_quit(Supervisor *s, const char *status) {
        (void) sd_notify(false, "STOPPING=1");
        s->stop_requested = true;
        force_quit(s, status);
}

static void start_acpi_shutdown(Supervisor *s);

void lifecycle_stop_after_failed_save(Supervisor *s, bool was_running) {
        log_info("shutting the guest down instead");
        s->stop_requested = true;
        if (was_running && s->qmp)
                start_acpi_shutdown(s);
        else
                force_quit(s, "stopping (quit)");
}

/* ---- Reboot(): libvirt's "fake reboot" ----
 *
 * QEMU's own reboot would need the guest to reboot itself; the power
 * button only makes it power off. So, for as long as a reboot is asked
 * for, a guest poweroff pauses QEMU (set-action shutdown=pause) and we
 * reset and continue it instead of applying on_poweroff. */

static void set_shutdown_action(Supervisor *s, const char *action) {
        json_object *args = json_object_new_object();

        if (!args)
                return;
        json_object_object_add(args, "shutdown", json_object_new_string(action));
        if (qmp_client_send(s->qmp, "set-action", args, NULL, NULL) < 0)
                log_warning("could not set QEMU's shutdown action back to %s", action);
}

/* A stop comes first: the guest's poweroff is a poweroff again. */
static void reboot_cancel(Supervisor *s) {
        if (!s->reboot_pending)
                return;
        s->reboot_pending = false;
        if (s->qmp)
                set_shutdown_action(s, qemu_shutdown_action(s->domain));
}

typedef struct RebootCall {
        Supervisor *s;
        SupervisorOpDone done;
        void *userdata;
} RebootCall;

/* Answer the Reboot() caller, once. */
static void reboot_call_complete(Supervisor *s, const char *error, const char *message) {
        RebootCall *call = TAKE_PTR(s->reboot_call);

        if (!call)
                return;
        call->done(s, error, message, call->userdata);
        free(call);
}

static void on_reboot_button(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                             void *userdata) {
        Supervisor *s = userdata;

        if (!reply) {
                reboot_cancel(s);
                log_warning("Reboot: QEMU refused: %s", edesc ?: eclass ?: "unknown error");
                reboot_call_complete(s, VMUNIT_BUS_ERROR_FAILED,
                                     "Reboot: QEMU refused the ACPI power button");
        } else
                reboot_call_complete(s, NULL, NULL);
}

static void on_reboot_action(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                             void *userdata) {
        Supervisor *s = userdata;

        if (reply && qmp_client_send(c, "system_powerdown", NULL, on_reboot_button, s) >= 0)
                return;
        s->reboot_pending = false;
        log_warning("Reboot: QEMU refused set-action: %s", edesc ?: eclass ?: "disconnected");
        reboot_call_complete(s, VMUNIT_BUS_ERROR_FAILED,
                             "Reboot: QEMU cannot turn a poweroff into a reboot");
}

void lifecycle_done(Supervisor *s) {
        reboot_call_complete(s, VMUNIT_BUS_ERROR_FAILED, "Reboot: QEMU exited before answering");
}

/* The caller hears back once the power button is pressed (like
 * Shutdown(), not once the guest is up again); a guest that ignores ACPI
 * simply keeps running, as with libvirt. */
void lifecycle_request_reboot(Supervisor *s, SupervisorOpDone done, void *userdata) {
        RebootCall *call;
        json_object *args;

        if (s->state != SUPERVISOR_RUNNING || s->stop_requested || !s->qmp) {
                done(s, VMUNIT_BUS_ERROR_INVALID_STATE, "domain is not running", userdata);
                return;
        }
        if (s->reboot_call || s->save) {
                done(s, VMUNIT_BUS_ERROR_BUSY, "another Reboot() or Save() is in progress", userdata);
                return;
        }
        call = calloc(1, sizeof(*call));
        args = json_object_new_object();
        if (!call || !args) {
                free(call);
                json_object_put(args);
                done(s, VMUNIT_BUS_ERROR_FAILED, "Reboot: out of memory", userdata);
                return;
        }
        *call = (RebootCall){ .s = s, .done = done, .userdata = userdata };
        json_object_object_add(args, "shutdown", json_object_new_string("pause"));
        log_info("reboot requested: ACPI power button, then reset");
        s->reboot_pending = true;
        s->reboot_call = call;
        if (qmp_client_send(s->qmp, "set-action", args, on_reboot_action, s) < 0) {
                s->reboot_pending = false;
                reboot_call_complete(s, VMUNIT_BUS_ERROR_FAILED, "Reboot: QEMU monitor is gone");
        }
}

static void reboot_finish(Supervisor *s) {
        log_info("guest rebooted");
        s->reboot_pending = false;
        s->reboot_resuming = true;
        set_shutdown_action(s, qemu_shutdown_action(s->domain));
        (void) qmp_client_send(s->qmp, "system_reset", NULL, NULL, NULL);
        (void) qmp_client_send(s->qmp, "cont", NULL, NULL, NULL);
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
        if (s->reboot_pending && !s->stop_requested) {
                reboot_finish(s);
                return;
        }
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
        else if (streq(event, "STOP") && s->state == SUPERVISOR_RUNNING && !s->reboot_resuming)
                set_state(s, SUPERVISOR_PAUSED, "paused");
        else if (streq(event, "RESUME")) {
                s->reboot_resuming = false;
                if (s->state == SUPERVISOR_PAUSED)
                        set_state(s, SUPERVISOR_RUNNING, "running");
        } else if (streq(event, "POWERDOWN"))
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
        int r;

        describe_exit(si, how, sizeof(how));
        r = save_restore_failed_exit(s);
        if (r > 0)
                return log_info("QEMU exited (%s)", how), r;
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
