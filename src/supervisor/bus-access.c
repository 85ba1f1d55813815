/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Authorization of bus calls at call time: root, polkit, or (without
 * polkit) the caller's groups. See bus-access.h.
 *
 * polkit is asked asynchronously, the way systemd's own services do it:
 * the method is left unanswered, the question goes to polkit, and when
 * the answer comes the method call is put back into sd-bus's read queue
 * (sd_bus_enqueue_for_read()), so the method runs again from the start
 * and finds the answer here. The supervisor's loop never blocks on
 * polkit, which may wait for an authentication agent.
 */
#include "bus-access.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "vm-bus.h"

static const char *const action_ids[_VM_ACTION_MAX] = {
        [VM_ACTION_MANAGE] = "org.vmunit.vm.manage",
        [VM_ACTION_CONSOLE] = "org.vmunit.vm.console",
        [VM_ACTION_MONITOR] = "org.vmunit.vm.monitor",
};

const char *vm_action_id(VmAction action) {
        return action >= 0 && action < _VM_ACTION_MAX ? action_ids[action] : NULL;
}

typedef enum QueryState {
        QUERY_PENDING,
        QUERY_ALLOWED,
        QUERY_DENIED,
        QUERY_NO_POLKIT, /* polkit is not on the bus: decide by group */
        QUERY_FAILED,    /* polkit could not answer: error_message says why */
} QueryState;

typedef struct Query {
        sd_bus_message *request; /* the method call, ref'd; the key */
        VmAction action;
        sd_bus_slot *slot; /* the call to polkit, while pending */
        QueryState state;
        bool challenge;      /* QUERY_DENIED: authentication would do */
        char *error_message; /* QUERY_FAILED: why */
        struct Query *next;
        BusAccess *owner;
} Query;

struct BusAccess {
        char *name, *uuid;
        Query *queries;
};

BusAccess *bus_access_new(const char *name, const char *uuid) {
        BusAccess *a = calloc(1, sizeof(*a));

        if (!a)
                return NULL;
        a->name = strdup(name ?: "");
        a->uuid = strdup(uuid ?: "");
        if (!a->name || !a->uuid)
                return bus_access_free(a);
        return a;
}

static void query_free(Query *q) {
        if (!q)
                return;
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        free(q->error_message);
        free(q);
}

static void query_unlink(BusAccess *a, Query *q) {
        for (Query **p = &a->queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        return;
                }
}

BusAccess *bus_access_free(BusAccess *a) {
        if (!a)
                return NULL;
        while (a->queries) {
                Query *q = a->queries;

                a->queries = q->next;
                query_free(q);
        }
        free(a->name);
        free(a->uuid);
        free(a);
        return NULL;
}

/* --- who is calling --------------------------------------------------- */

/* The uid from the bus (dbus-daemon's UnixUserID, the SO_PEERCRED of the
 * connecting process), never anything read from /proc
 * (SD_BUS_CREDS_AUGMENT): a process can exec a setgid program after it
 * connected, and its groups in /proc would then be that program's. The
 * groups are the uid's own, from the user database (caller_from_uid()). */
static int caller_identify(sd_bus_message *m, Caller *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID, &creds);
        if (r >= 0) {
                r = sd_bus_creds_get_euid(creds, &uid);
                if (r < 0)
                        r = sd_bus_creds_get_uid(creds, &uid);
        }
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot determine the caller's identity: %m");
        r = caller_from_uid(uid, ret);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, VMUNIT_BUS_ERROR_ACCESS_DENIED,
                                         "caller uid %u has no user entry", (unsigned) uid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot look up the caller's groups: %m");
        return 0;
}

/* Looked up at each call: a group created after the VM started counts. */
static bool in_group(const Caller *c, const char *name) {
        struct group grp, *result = NULL;
        char buf[4096];

        if (getgrnam_r(name, &grp, buf, sizeof(buf), &result) != 0 || !result)
                return false;
        return caller_is_member(c, result->gr_gid);
}

/* The rule polkit's rules file states, for hosts without polkit. */
static bool group_allows(const Caller *c, VmAction action) {
        if (in_group(c, "vmunit-admin"))
                return true;
        return action != VM_ACTION_MONITOR && in_group(c, "vmunit");
}

/* challenge: polkit would grant it after authentication (an
 * administrator's password through an agent), which the caller did not
 * allow; the standard error name says so to clients that can retry. */
static int deny(VmAction action, bool challenge, sd_bus_error *error) {
        return sd_bus_error_setf(
                error,
                challenge ? SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED : VMUNIT_BUS_ERROR_ACCESS_DENIED,
                "not authorized for %s%s (%s)", vm_action_id(action),
                challenge ? " without interactive authentication" : "",
                action == VM_ACTION_MONITOR ? "raw QMP: root and group vmunit-admin by default"
                                            : "root, groups vmunit and vmunit-admin by default");
}

/* --- polkit ----------------------------------------------------------- */

static bool polkit_absent(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

/* CheckAuthorization() -> (bba{ss}): is_authorized, is_challenge, details. */
static QueryState polkit_answer(sd_bus_message *reply, bool *ret_challenge, char **ret_message) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0, r;

        if (e) {
                if (polkit_absent(e))
                        return QUERY_NO_POLKIT;
                (void) asprintf(ret_message, "polkit could not decide: %s", e->message ?: e->name);
                return QUERY_FAILED;
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                *ret_message = strdup("polkit's answer was not (bba{ss})");
                return QUERY_FAILED;
        }
        if (authorized)
                return QUERY_ALLOWED;
        *ret_challenge = challenge;
        return QUERY_DENIED;
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Query *q = userdata;
        int r;

        (void) ret_error;
        q->slot = sd_bus_slot_unref(q->slot);
        q->state = polkit_answer(reply, &q->challenge, &q->error_message);
        /* Run the method again, from its first argument. */
        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
        if (r < 0) {
                log_warning_errno(r, "D-Bus: cannot resume a call after polkit's answer: %m");
                (void) sd_bus_reply_method_errno(q->request, r, NULL);
                query_unlink(q->owner, q);
                query_free(q);
        }
        return 1;
}

/* The subject is the caller's bus name: polkit looks up its process and
 * uid from the bus itself, as for systemd's services. Interaction (a
 * password prompt through an agent) only when the caller allowed it. */
static int polkit_ask(BusAccess *a, sd_bus_message *m, Query *q) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        sd_bus *bus = sd_bus_message_get_bus(m);
        const char *sender = sd_bus_message_get_sender(m);
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(m) > 0 ? 1 : 0;
        int r;

        if (!sender)
                return -EBADMSG;
        r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender,
                                          vm_action_id(q->action));
        if (r >= 0)
                r = sd_bus_message_append(call, "a{ss}us", 2, "name", a->name, "uuid", a->uuid, flags, "");
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, &q->slot, call, on_polkit_reply, q, 0);
}

static Query *query_find(BusAccess *a, sd_bus_message *m, VmAction action) {
        for (Query *q = a->queries; q; q = q->next)
                if (q->request == m && q->action == action)
                        return q;
        return NULL;
}

/* The answer to q, which is then forgotten: the next call asks again. */
static int query_take(BusAccess *a, Query *q, const Caller *c, sd_bus_error *error) {
        QueryState state = q->state;
        int r = 1;

        query_unlink(a, q);
        if (state == QUERY_NO_POLKIT)
                state = group_allows(c, q->action) ? QUERY_ALLOWED : QUERY_DENIED;
        if (state == QUERY_FAILED)
                r = sd_bus_error_setf(error, VMUNIT_BUS_ERROR_ACCESS_DENIED, "%s: %s",
                                      vm_action_id(q->action), q->error_message ?: "polkit failed");
        else if (state == QUERY_DENIED)
                r = deny(q->action, q->challenge, error);
        query_free(q);
        return r;
}

int bus_access_check(BusAccess *a, sd_bus_message *m, VmAction action, Caller *ret_caller,
                     sd_bus_error *error) {
        _cleanup_(caller_done) Caller c = {};
        Query *q;
        int r;

        r = caller_identify(m, &c, error);
        if (r < 0)
                return r;
        q = query_find(a, m, action);
        if (c.uid == 0 || (q && q->state != QUERY_PENDING)) {
                r = c.uid == 0 ? 1 : query_take(a, q, &c, error);
                if (r > 0) {
                        *ret_caller = c;
                        c = (Caller){};
                }
                return r;
        }
        if (q)
                return 0; /* dispatched again before polkit answered: still waiting */
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        *q = (Query){ .request = sd_bus_message_ref(m), .action = action, .owner = a };
        r = polkit_ask(a, m, q);
        if (r < 0) {
                query_free(q);
                return sd_bus_error_set_errnof(error, r, "cannot ask polkit about %s: %m",
                                               vm_action_id(action));
        }
        q->next = a->queries;
        a->queries = q;
        return 0;
}
