/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VM's D-Bus object: org.vmunit.vm.LABEL, /org/vmunit/vm,
 * org.vmunit.VM1 (DESIGN.md "D-Bus"). Served by the supervisor on its own
 * sd-event loop: on the system bus in system mode, on VMUNIT_BUS_ADDRESS
 * when that is set (tests point it at a private dbus-daemon); embedded mode
 * without VMUNIT_BUS_ADDRESS has no bus at all.
 *
 * Everything here is best effort: a VM runs without its bus object rather
 * than not at all, so failures are logged once and otherwise ignored.
 *
 * Methods that need QEMU's answer (Suspend, Resume, Reset,
 * MonitorCommand) keep a reference to the call and reply from the QMP
 * reply handler; the pending calls are on a list so that a supervisor
 * that exits first can still answer them with an error. Long operations
 * (Reboot, Save, AttachDevice, DetachDevice) are run by their modules
 * (lifecycle.c, save.c, hotplug.c), which complete them through a
 * SupervisorOpDone callback exactly once.
 */
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "bus-access.h"
#include "vm-bus.h"
#include "domain-xml.h"
#include "log.h"
#include "supervisor.h"

typedef struct BusCall BusCall;

struct BusCall {
        struct VmBus *vb;
        sd_bus_message *message; /* the method call we still owe a reply */
        const char *what;        /* QMP command, for error messages */
        bool raw;                /* MonitorCommand: reply with QEMU's JSON */
        bool op;                 /* a SupervisorOpDone call: its module frees it */
        BusCall *prev, *next;
};

typedef struct VmBus {
        sd_bus *bus;
        sd_bus_slot *vtable_slot;
        sd_event_source *exit_source;
        char *service_name;
        char *reason; /* StateReason: the last human status from lifecycle.c */
        BusAccess *access;
        bool tainted_logged;
        BusCall *calls;
} VmBus;

/* --- access control ------------------------------------------------ */

/* Whether the caller of m may do action (bus-access.h): 1 yes, 0 polkit
 * is being asked (the method returns 1; sd-bus runs it again with the
 * answer), <0 no. Every method asks before it acts. */
static int authorize(Supervisor *s, sd_bus_message *m, VmAction action, Caller *ret, sd_bus_error *error) {
        return bus_access_check(s->bus->access, m, action, ret, error);
}

static int check_caller(Supervisor *s, sd_bus_message *m, VmAction action, sd_bus_error *error) {
        _cleanup_(caller_done) Caller c = {};

        return authorize(s, m, action, &c, error);
}

/* What a method returns when authorize() did not say yes: the error, or
 * 1 (handled: the reply comes after polkit's answer). */
static int not_authorized(int r) {
        return r < 0 ? r : 1;
}

/* --- state --------------------------------------------------------- */

/* SupervisorState -> the State values of DESIGN.md. QEMU runs with -S
 * until `cont`, so "starting" is paused (libvirt says "paused, starting
 * up"). A crash that on_crash=preserve keeps is paused in lifecycle.c with
 * a status saying so; here it is "crashed". */
static const char *state_name(const Supervisor *s) {
        switch (s->state) {
        case SUPERVISOR_STARTING: return "paused";
        case SUPERVISOR_RUNNING: return "running";
        case SUPERVISOR_PAUSED:
                return s->bus && s->bus->reason && strncmp(s->bus->reason, "crashed", 7) == 0 ? "crashed"
                                                                                              : "paused";
        case SUPERVISOR_SHUTTING_DOWN:
        case SUPERVISOR_QUITTING:
        case SUPERVISOR_KILLING: return "shutting-down";
        case SUPERVISOR_EXITED:
        default:
                return s->exit_status == VMUNIT_EXIT_GUEST_CRASHED || s->exit_status == VMUNIT_EXIT_QEMU_DIED
                               ? "crashed"
                               : "shutoff";
        }
}

static int emit_state(Supervisor *s) {
        VmBus *vb = s->bus;
        int r;

        r = sd_bus_emit_signal(vb->bus, VMUNIT_BUS_PATH, VMUNIT_BUS_INTERFACE, "StateChanged", "ss",
                               state_name(s), vb->reason ?: "");
        if (r >= 0)
                r = sd_bus_emit_properties_changed(vb->bus, VMUNIT_BUS_PATH, VMUNIT_BUS_INTERFACE, "State",
                                                   "StateReason", NULL);
        return r;
}

void bus_state_changed(Supervisor *s, const char *reason) {
        char *copy;
        int r;

        if (!s->bus)
                return;
        copy = strdup(reason ?: "");
        if (!copy)
                return;
        free(s->bus->reason);
        s->bus->reason = copy;
        r = emit_state(s);
        if (r < 0)
                log_warning_errno(r, "D-Bus: failed to emit StateChanged: %m");
}

/* --- properties ---------------------------------------------------- */

static int prop_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        const Domain *d = s->domain;

        (void) bus;
        (void) error;
        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", s->name);
        if (streq(property, "UUID"))
                return sd_bus_message_append(reply, "s", s->uuid);
        if (streq(property, "State"))
                return sd_bus_message_append(reply, "s", state_name(s));
        if (streq(property, "StateReason"))
                return sd_bus_message_append(reply, "s", s->bus->reason ?: "");
        if (streq(property, "QemuPID"))
                return sd_bus_message_append(reply, "u", (uint32_t) (s->qemu_pid > 0 ? s->qemu_pid : 0));
        /* What the guest has now: current= and <currentMemory> when given. */
        if (streq(property, "VCPUs"))
                return sd_bus_message_append(reply, "u", (uint32_t) (d->vcpus_current ?: d->vcpus));
        if (streq(property, "MemoryKiB"))
                return sd_bus_message_append(reply, "t", d->current_memory_kib ?: d->memory_kib);
        return -ENOENT;
}

/* --- pending QMP-backed calls -------------------------------------- */

static BusCall *bus_call_free(BusCall *c) {
        if (!c)
                return NULL;
        if (c->prev)
                c->prev->next = c->next;
        else if (c->vb)
                c->vb->calls = c->next;
        if (c->next)
                c->next->prev = c->prev;
        sd_bus_message_unref(c->message);
        free(c);
        return NULL;
}

static void on_qmp_reply(QmpClient *qmp, json_object *reply, const char *eclass, const char *edesc,
                         void *userdata) {
        BusCall *c = userdata;
        int r;

        if (reply && c->raw)
                r = sd_bus_reply_method_return(
                        c->message, "s", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
        else if (reply)
                r = sd_bus_reply_method_return(c->message, "");
        else
                r = sd_bus_reply_method_errorf(c->message, VMUNIT_BUS_ERROR_FAILED, "QEMU refused %s: %s",
                                               c->what, edesc ?: eclass ?: "unknown error");
        if (r < 0)
                log_warning_errno(r, "D-Bus: failed to reply to %s: %m", c->what);
        bus_call_free(c);
}

/* Send a QMP command on behalf of method call m and reply when QEMU does.
 * raw: json is a whole command object (MonitorCommand). */
static int qmp_for_call(Supervisor *s, sd_bus_message *m, const char *what, const char *json, bool raw,
                        sd_bus_error *error) {
        BusCall *c;
        int r;

        if (!s->qmp)
                return sd_bus_error_set(error, VMUNIT_BUS_ERROR_INVALID_STATE, "domain is not running");
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (BusCall){ .vb = s->bus, .message = sd_bus_message_ref(m), .what = what, .raw = raw };
        r = raw ? qmp_client_send_raw(s->qmp, json, on_qmp_reply, c)
                : qmp_client_send(s->qmp, what, NULL, on_qmp_reply, c);
        if (r < 0) {
                c->vb = NULL; /* not on the list yet */
                bus_call_free(c);
                if (r == -EINVAL && raw)
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                                "not a QMP command: want a JSON object with \"execute\"");
                return sd_bus_error_set_errnof(error, r, "cannot talk to QEMU: %m");
        }
        c->next = s->bus->calls;
        if (c->next)
                c->next->prev = c;
        s->bus->calls = c;
        return 1; /* the reply comes from on_qmp_reply() */
}

/* --- methods ------------------------------------------------------- */

static bool is_stopping(const Supervisor *s) {
        return s->state == SUPERVISOR_QUITTING || s->state == SUPERVISOR_KILLING ||
               s->state == SUPERVISOR_EXITED;
}

static int method_shutdown(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        int r = check_caller(s, m, VM_ACTION_MANAGE, error);

        if (r <= 0)
                return not_authorized(r);
        /* A second SIGTERM skips the guest's say; a second Shutdown() must
         * not surprise its caller that way: Destroy() is the explicit way. */
        if (s->state == SUPERVISOR_SHUTTING_DOWN)
                return sd_bus_error_set(error, VMUNIT_BUS_ERROR_INVALID_STATE,
                                        "domain is already shutting down; use Destroy() to force it off");
        if (is_stopping(s))
                return sd_bus_error_set(error, VMUNIT_BUS_ERROR_INVALID_STATE, "domain is already stopping");
        log_info("D-Bus: Shutdown() requested");
        lifecycle_request_stop(s);
        return sd_bus_reply_method_return(m, "");
}

static int method_destroy(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        int r = check_caller(s, m, VM_ACTION_MANAGE, error);

        if (r <= 0)
                return not_authorized(r);
        if (is_stopping(s))
                return sd_bus_error_set(error, VMUNIT_BUS_ERROR_INVALID_STATE, "domain is already stopping");
        lifecycle_request_destroy(s);
        return sd_bus_reply_method_return(m, "");
}

/* A method that is one QMP command, in the states that allow it. */
static int qmp_method(sd_bus_message *m, Supervisor *s, sd_bus_error *error, bool allowed,
                      const char *refusal, const char *command) {
        int r = check_caller(s, m, VM_ACTION_MANAGE, error);

        if (r <= 0)
                return not_authorized(r);
        if (!allowed)
                return sd_bus_error_set(error, VMUNIT_BUS_ERROR_INVALID_STATE, refusal);
        log_info("D-Bus: %s() requested", sd_bus_message_get_member(m));
        return qmp_for_call(s, m, command, NULL, /* raw= */ false, error);
}

static int method_reset(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;

        return qmp_method(m, s, error, s->state == SUPERVISOR_RUNNING || s->state == SUPERVISOR_PAUSED,
                          "domain is not running", "system_reset");
}

/* The STOP/RESUME events QEMU sends before its reply move the state (and
 * sd_notify STATUS) in lifecycle.c; by the time we reply, State agrees. */
static int method_suspend(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;

        return qmp_method(m, s, error, s->state == SUPERVISOR_RUNNING, "domain is not running", "stop");
}

static int method_resume(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;

        return qmp_method(m, s, error, s->state == SUPERVISOR_PAUSED, "domain is not paused", "cont");
}

static int method_get_xml(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        _cleanup_free_ char *xml = NULL;
        int r = check_caller(s, m, VM_ACTION_MANAGE, error);

        if (r <= 0)
                return not_authorized(r);
        r = domain_format_xml(s->domain, &xml);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot format the domain XML: %m");
        return sd_bus_reply_method_return(m, "s", xml);
}

/*
 * What members of group vmunit may send through MonitorCommand: QMP
 * queries that only read, and read nothing a member cannot already see
 * (GetXML, State, the console). Raw QMP can add block nodes on any file
 * QEMU may open, cancel a migration under a Save(), write through
 * qemu-io, or `cont` a guest we stopped: that is for root and group
 * vmunit-admin only.
 */
static const char *const member_qmp_allowlist[] = {
        "query-status",              /* run state, as the State property */
        "query-name",                /* the domain name */
        "query-uuid",                /* the UUID, as the UUID property */
        "query-version",             /* QEMU's version */
        "query-kvm",                 /* whether KVM is used */
        "query-commands",            /* the command list: static */
        "query-machines",            /* machine types: static */
        "query-cpu-definitions",     /* CPU models: static */
        "query-cpus-fast",           /* vCPU ids and threads, as QemuPID and VCPUs */
        "query-hotpluggable-cpus",   /* vCPU slots */
        "query-iothreads",           /* I/O thread ids */
        "query-memory-size-summary", /* guest RAM, as MemoryKiB */
        "query-balloon",             /* the balloon's size */
        "query-block",               /* disks and their images, as GetXML */
        "query-named-block-nodes",   /* the same per block node */
        "query-blockstats",          /* I/O counters */
        "query-pci",                 /* the guest's PCI devices */
        "query-chardev",             /* character devices (the console, as OpenConsole) */
        "query-mice",                /* input devices */
        "query-vnc",                 /* VNC listen address (no password) */
        "query-migrate",             /* progress of a Save() */
};

static bool member_may_send(const char *command) {
        for (size_t i = 0; i < ELEMENTSOF(member_qmp_allowlist); i++)
                if (streq(command, member_qmp_allowlist[i]))
                        return true;
        return false;
}

/* The command json executes, if it is a QMP command object whose keys are
 * only execute, arguments and id (anything else, e.g. exec-oob, is not
 * for us to judge). Returns 1 and *ret (json's; valid while obj lives),
 * 0 for an object with other keys, -EINVAL for something else. */
static int qmp_command_name(json_object *obj, const char **ret) {
        json_object *execute;

        if (!obj || !json_object_is_type(obj, json_type_object) ||
            !json_object_object_get_ex(obj, "execute", &execute) ||
            !json_object_is_type(execute, json_type_string))
                return -EINVAL;
        json_object_object_foreach(obj, key, value) {
                (void) value;
                if (!streq(key, "execute") && !streq(key, "arguments") && !streq(key, "id"))
                        return 0;
        }
        *ret = json_object_get_string(execute);
        return 1;
}

/* Which action json needs: the allowlisted queries are part of
 * managing the VM; anything else is raw QMP (*ret_raw). */
static int monitor_command_action(const char *json, VmAction *ret, bool *ret_raw, sd_bus_error *error) {
        _cleanup_(json_object_putp) json_object *obj = json_tokener_parse(json);
        const char *command = NULL;
        int r = qmp_command_name(obj, &command);

        if (r < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "not a QMP command: want a JSON object with \"execute\"");
        *ret_raw = !(r > 0 && member_may_send(command));
        *ret = *ret_raw ? VM_ACTION_MONITOR : VM_ACTION_MANAGE;
        return 0;
}

static int method_monitor_command(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        _cleanup_(caller_done) Caller caller = {};
        _cleanup_free_ char *shown = NULL;
        VmAction action = VM_ACTION_MONITOR;
        const char *json;
        bool raw = true;
        int r = sd_bus_message_read(m, "s", &json);

        if (r < 0)
                return r;
        r = monitor_command_action(json, &action, &raw, error);
        if (r < 0)
                return r;
        r = authorize(s, m, action, &caller, error);
        if (r <= 0)
                return not_authorized(r);
        if (is_stopping(s))
                return sd_bus_error_set(error, VMUNIT_BUS_ERROR_INVALID_STATE, "domain is not running");
        /* Like libvirt: raw monitor access can change the VM behind our
         * back, so the log says once that what follows may not be ours. */
        if (raw && !s->bus->tainted_logged) {
                log_warning("tainted: monitor command used");
                s->bus->tainted_logged = true;
        }
        shown = cescape(json, 1024); /* the caller's text: one line, no forged fields */
        log_info("D-Bus: monitor command from uid %u: %s", (unsigned) caller.uid,
                 shown ?: "(out of memory)");
        return qmp_for_call(s, m, "monitor command", json, /* raw= */ true, error);
}

/* --- long operations (save.c, hotplug.c, Reboot) ------------------- */

/* The SupervisorOpDone for a method call: reply, then forget the call. A
 * call orphaned by fail_pending_calls() (already answered) is only freed. */
static void on_op_done(Supervisor *s, const char *error, const char *message, void *userdata) {
        BusCall *c = userdata;
        int r = 0;

        if (c->message && error)
                r = sd_bus_reply_method_errorf(c->message, error, "%s", message ?: "failed");
        else if (c->message)
                r = sd_bus_reply_method_return(c->message, "");
        if (r < 0)
                log_warning_errno(r, "D-Bus: failed to reply to %s: %m", c->what);
        bus_call_free(c);
}

/* A BusCall for long operation `what` of method call m, on the list; its
 * module replies through on_op_done(), possibly before the start returns. */
static BusCall *op_call_new(Supervisor *s, sd_bus_message *m, const char *what) {
        BusCall *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        *c = (BusCall){ .vb = s->bus, .message = sd_bus_message_ref(m), .what = what, .op = true };
        c->next = s->bus->calls;
        if (c->next)
                c->next->prev = c;
        s->bus->calls = c;
        return c;
}

static int method_reboot(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        BusCall *c;
        int r = check_caller(s, m, VM_ACTION_MANAGE, error);

        if (r <= 0)
                return not_authorized(r);
        if (s->state != SUPERVISOR_RUNNING)
                return sd_bus_error_set(error, VMUNIT_BUS_ERROR_INVALID_STATE, "domain is not running");
        log_info("D-Bus: Reboot() requested");
        c = op_call_new(s, m, "Reboot");
        if (!c)
                return -ENOMEM;
        lifecycle_request_reboot(s, on_op_done, c);
        return 1;
}

/* The common head of the long methods with one argument: caller, the
 * argument (of D-Bus type `type`), the state. Returns 1 to go on, or
 * what authorize() or the checks said. */
static int long_op_begin(Supervisor *s, sd_bus_message *m, char type, void *ret_arg, Caller *ret_caller,
                         sd_bus_error *error) {
        int r = authorize(s, m, VM_ACTION_MANAGE, ret_caller, error);

        if (r <= 0)
                return r;
        r = sd_bus_message_read_basic(m, type, ret_arg);
        if (r < 0)
                return r;
        if (is_stopping(s))
                return sd_bus_error_set(error, VMUNIT_BUS_ERROR_INVALID_STATE, "domain is not running");
        log_info("D-Bus: %s() requested by uid %u", sd_bus_message_get_member(m),
                 (unsigned) ret_caller->uid);
        return 1;
}

/* Save(h fd): the caller opened the file (as itself) and passes the fd;
 * no path of theirs is ever resolved here. */
static int method_save(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        _cleanup_(caller_done) Caller caller = {};
        BusCall *c;
        int fd, r = long_op_begin(s, m, 'h', &fd, &caller, error);

        if (r <= 0)
                return not_authorized(r);
        c = op_call_new(s, m, "Save");
        if (!c)
                return -ENOMEM;
        save_start_fd(s, fd, on_op_done, c);
        return 1;
}

/* SaveToPath(s path): for vmctl -H, where fds cannot travel over SSH.
 * Root only: the path is resolved by root, which a member must not be
 * able to point anywhere; members pass an fd with Save(h). */
static int method_save_to_path(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        _cleanup_(caller_done) Caller caller = {};
        const char *path;
        BusCall *c;
        int r = long_op_begin(s, m, 's', &path, &caller, error);

        if (r <= 0)
                return not_authorized(r);
        if (caller.uid != 0)
                return sd_bus_error_set(error, VMUNIT_BUS_ERROR_ACCESS_DENIED,
                                        "SaveToPath() is for root only; open the file yourself and pass it "
                                        "to Save(h) (vmctl save does)");
        c = op_call_new(s, m, "SaveToPath");
        if (!c)
                return -ENOMEM;
        save_start_path(s, path, on_op_done, c);
        return 1;
}

/* The most fds an AttachDevice() takes: one per <source>, and a <disk>
 * has one; a few more leave room for a fragment with more sources. */
#define ATTACH_MAX_FDS 8

/* ah: the fds, borrowed from m (valid while m is). */
static int read_fds(sd_bus_message *m, int fds[static ATTACH_MAX_FDS], size_t *ret_n, sd_bus_error *error) {
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "h");
        if (r < 0)
                return r;
        for (;;) {
                int fd;

                r = sd_bus_message_read_basic(m, 'h', &fd);
                if (r <= 0)
                        break;
                if (n == ATTACH_MAX_FDS)
                        return sd_bus_error_setf(error, VMUNIT_BUS_ERROR_INVALID_ARGS,
                                                 "AttachDevice: more than %d file descriptors",
                                                 ATTACH_MAX_FDS);
                fds[n++] = fd;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret_n = n;
        return 0;
}

/* AttachDevice(s xml, ah fds): each fd a file the caller opened as
 * itself, one per <source> of xml; hotplug.c checks the state, the
 * count (root alone may pass none) and each fd. */
static int method_attach_device(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        _cleanup_(caller_done) Caller caller = {};
        int fds[ATTACH_MAX_FDS];
        const char *xml;
        size_t n_fds = 0;
        BusCall *c;
        int r = long_op_begin(s, m, 's', &xml, &caller, error);

        if (r <= 0)
                return not_authorized(r);
        r = read_fds(m, fds, &n_fds, error);
        if (r < 0)
                return r;
        c = op_call_new(s, m, "AttachDevice");
        if (!c)
                return -ENOMEM;
        hotplug_attach(s, xml, fds, n_fds, &caller, on_op_done, c);
        return 1;
}

/* DetachDevice(s xml): the live disk with the fragment's target. */
static int method_detach_device(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        _cleanup_(caller_done) Caller caller = {};
        const char *xml;
        BusCall *c;
        int r = long_op_begin(s, m, 's', &xml, &caller, error);

        if (r <= 0)
                return not_authorized(r);
        c = op_call_new(s, m, "DetachDevice");
        if (!c)
                return -ENOMEM;
        hotplug_detach(s, xml, on_op_done, c);
        return 1;
}

/* OpenConsole() -> h: the console pty, opened by us, so that who may use
 * it is decided by the bus policy (root and group vmunit), not by the
 * pty's owner (QEMU's user). */
static int method_open_console(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        _cleanup_free_ char *message = NULL;
        const char *name = NULL;
        int r = check_caller(s, m, VM_ACTION_CONSOLE, error), fd;

        if (r <= 0)
                return not_authorized(r);
        fd = console_open(s, &name, &message);
        if (fd < 0)
                return sd_bus_error_set(error, name ?: VMUNIT_BUS_ERROR_FAILED,
                                        message ?: "cannot open console");
        r = sd_bus_reply_method_return(m, "h", fd);
        safe_close(fd);
        return r;
}

/* Methods are UNPRIVILEGED as far as sd-bus is concerned: its own check
 * (CAP_SYS_ADMIN or our uid) would shut out group vmunit; check_caller()
 * decides instead. */
#define METHOD(name, in, in_names, out, out_names, handler) \
        SD_BUS_METHOD_WITH_NAMES(name, in, in_names, out, out_names, handler, SD_BUS_VTABLE_UNPRIVILEGED)
#define PROPERTY(name, sig, flags) SD_BUS_PROPERTY(name, sig, prop_get, 0, flags)

static const sd_bus_vtable vm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        PROPERTY("Name", "s", SD_BUS_VTABLE_PROPERTY_CONST),
        PROPERTY("UUID", "s", SD_BUS_VTABLE_PROPERTY_CONST),
        PROPERTY("State", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        PROPERTY("StateReason", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        PROPERTY("QemuPID", "u", 0),
        PROPERTY("VCPUs", "u", SD_BUS_VTABLE_PROPERTY_CONST),
        PROPERTY("MemoryKiB", "t", SD_BUS_VTABLE_PROPERTY_CONST),
        METHOD("Shutdown", "", SD_BUS_PARAM(), "", SD_BUS_PARAM(), method_shutdown),
        METHOD("Destroy", "", SD_BUS_PARAM(), "", SD_BUS_PARAM(), method_destroy),
        METHOD("Reboot", "", SD_BUS_PARAM(), "", SD_BUS_PARAM(), method_reboot),
        METHOD("Reset", "", SD_BUS_PARAM(), "", SD_BUS_PARAM(), method_reset),
        METHOD("Suspend", "", SD_BUS_PARAM(), "", SD_BUS_PARAM(), method_suspend),
        METHOD("Resume", "", SD_BUS_PARAM(), "", SD_BUS_PARAM(), method_resume),
        METHOD("Save", "h", SD_BUS_PARAM(fd), "", SD_BUS_PARAM(), method_save),
        METHOD("SaveToPath", "s", SD_BUS_PARAM(path), "", SD_BUS_PARAM(), method_save_to_path),
        METHOD("AttachDevice", "sah", SD_BUS_PARAM(xml) SD_BUS_PARAM(fds), "", SD_BUS_PARAM(),
               method_attach_device),
        METHOD("DetachDevice", "s", SD_BUS_PARAM(xml), "", SD_BUS_PARAM(), method_detach_device),
        METHOD("OpenConsole", "", SD_BUS_PARAM(), "h", SD_BUS_PARAM(pty), method_open_console),
        METHOD("GetXML", "", SD_BUS_PARAM(), "s", SD_BUS_PARAM(xml), method_get_xml),
        METHOD("MonitorCommand", "s", SD_BUS_PARAM(json), "s", SD_BUS_PARAM(reply), method_monitor_command),
        SD_BUS_SIGNAL_WITH_NAMES("StateChanged", "ss", SD_BUS_PARAM(state) SD_BUS_PARAM(reason), 0),
        SD_BUS_VTABLE_END,
};

/* Calls QEMU never answered (it is gone) still get a reply. */
static void fail_pending_calls(VmBus *vb) {
        while (vb->calls) {
                BusCall *c = vb->calls;

                (void) sd_bus_reply_method_errorf(c->message, VMUNIT_BUS_ERROR_FAILED,
                                                  "%s: QEMU exited before answering", c->what);
                if (!c->op) {
                        bus_call_free(c);
                        continue;
                }
                /* Answered; the module still owes on_op_done(), which
                 * then only frees it. */
                vb->calls = c->next;
                if (vb->calls)
                        vb->calls->prev = NULL;
                c->message = sd_bus_message_unref(c->message);
                c->vb = NULL;
                c->prev = c->next = NULL;
        }
}

/* sd-bus flushes and closes its connection from its own exit handler when
 * the loop exits; ours runs first (higher priority) so that the last
 * words still go out: replies owed, and the final StateChanged, which
 * lifecycle.c (setting EXITED directly, without a status) does not send. */
static int on_event_exit(sd_event_source *es, void *userdata) {
        Supervisor *s = userdata;
        VmBus *vb = s->bus;
        char *reason;

        if (!vb)
                return 0;
        fail_pending_calls(vb);
        if (s->state != SUPERVISOR_EXITED)
                return 0;
        /* A saved domain says so to the end: shutoff, because saved. */
        reason = strdup(s->exit_status != 0              ? "QEMU exited"
                        : streq_ptr(vb->reason, "saved") ? "saved"
                                                         : "stopped");
        if (reason) {
                free(vb->reason);
                vb->reason = reason;
        }
        if (emit_state(s) < 0)
                log_warning("D-Bus: failed to emit the final StateChanged");
        return 0;
}

/* --- attach / detach ----------------------------------------------- */

static int bus_open(const char *address, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        if (!address)
                return sd_bus_open_system(ret);
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

static void vm_bus_free(VmBus *vb) {
        if (!vb)
                return;
        sd_event_source_disable_unref(vb->exit_source);
        sd_bus_slot_unref(vb->vtable_slot);
        bus_access_free(vb->access); /* before the bus: its pending polkit calls */
        sd_bus_flush_close_unref(vb->bus);
        free(vb->service_name);
        free(vb->reason);
        free(vb);
}

static int bus_serve(Supervisor *s, VmBus *vb, const char *address) {
        int r;

        r = bus_open(address, &vb->bus);
        if (r < 0)
                return log_warning_errno(r, "D-Bus: cannot connect to %s: %m", address ?: "the system bus");
        r = sd_bus_attach_event(vb->bus, s->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_event_add_exit(s->event, &vb->exit_source, on_event_exit, s);
        if (r >= 0)
                r = sd_event_source_set_priority(vb->exit_source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r >= 0)
                r = sd_bus_add_object_vtable(vb->bus, &vb->vtable_slot, VMUNIT_BUS_PATH,
                                             VMUNIT_BUS_INTERFACE, vm_vtable, s);
        if (r < 0)
                return log_warning_errno(r, "D-Bus: cannot set up the VM object: %m");
        r = sd_bus_request_name(vb->bus, vb->service_name, 0);
        if (r < 0)
                return log_warning_errno(r, "D-Bus: cannot own %s: %m", vb->service_name);
        return 0;
}

int bus_attach(Supervisor *s) {
        const char *address = getenv("VMUNIT_BUS_ADDRESS");
        VmBus *vb;
        int r;

        /* Embedded mode promises no D-Bus unless a test asks for one. */
        if (s->paths.embedded && !address)
                return 0;
        vb = calloc(1, sizeof(*vb));
        if (!vb)
                return log_warning_errno(-ENOMEM, "D-Bus: %m");
        r = bus_service_name(s->name, &vb->service_name);
        vb->reason = strdup("starting");
        if (r >= 0 && !vb->reason)
                r = -ENOMEM;
        if (r < 0) {
                vm_bus_free(vb);
                return log_warning_errno(r, "D-Bus: no bus name for '%s': %m", s->name);
        }
        vb->access = bus_access_new(s->name, s->uuid);
        if (!vb->access) {
                vm_bus_free(vb);
                return log_warning_errno(-ENOMEM, "D-Bus: %m");
        }
        s->bus = vb;
        r = bus_serve(s, vb, address);
        if (r < 0) {
                log_warning("D-Bus: running without a bus object");
                s->bus = NULL;
                vm_bus_free(vb);
                return r;
        }
        log_info("D-Bus: serving %s at %s", vb->service_name, VMUNIT_BUS_PATH);
        return 0;
}

void bus_detach(Supervisor *s) {
        VmBus *vb = s->bus;

        if (!vb)
                return;
        fail_pending_calls(vb); /* the loop may never have run its exit handlers */
        s->bus = NULL;
        vm_bus_free(vb); /* flushes what is queued, then closes: the name goes */
}
