/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * An asynchronous QMP client on an sd-event loop.
 *
 * Lifecycle: qmp_client_new() takes a connected stream socket; it reads
 * QEMU's greeting, sends qmp_capabilities and then calls the ready
 * handler. Commands may be queued before that; they go out in order after
 * negotiation. Each reply is matched by an "id" and delivered to its
 * handler; asynchronous events go to the event handler; EOF or an I/O
 * error calls the disconnect handler once (pending replies get an error
 * "Disconnected" first).
 */

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct QmpClient QmpClient;

/* _cleanup_(json_object_putp) for a json_object reference. */
DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* reply: the "return" value on success (borrowed, valid during the call),
 * NULL on error; error_class/error_desc set on error (borrowed). */
typedef void (*QmpReplyHandler)(QmpClient *c, json_object *reply, const char *error_class,
                                const char *error_desc, void *userdata);
/* event: the event name; data: its "data" member or NULL (borrowed). */
typedef void (*QmpEventHandler)(QmpClient *c, const char *event, json_object *data, void *userdata);
typedef void (*QmpNotifyHandler)(QmpClient *c, void *userdata);

/* Takes ownership of fd (closed on failure too). Returns 0 or -errno. */
int qmp_client_new(sd_event *event, int fd, QmpClient **ret);
/* Connect to a UNIX socket path and call qmp_client_new(). Returns 0,
 * -ENAMETOOLONG for a path over 107 bytes, or -errno from connect(). */
int qmp_client_connect(sd_event *event, const char *path, QmpClient **ret);
QmpClient *qmp_client_free(QmpClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(QmpClient *, qmp_client_free);

void qmp_client_set_handlers(QmpClient *c, QmpNotifyHandler on_ready, QmpEventHandler on_event,
                             QmpNotifyHandler on_disconnect, void *userdata);

/* Queue a command. arguments may be NULL; ownership of it is taken. cb may
 * be NULL (reply discarded). Returns 0 or -errno (-ENOTCONN once
 * disconnected). */
int qmp_client_send(QmpClient *c, const char *command, json_object *arguments, QmpReplyHandler cb,
                    void *userdata);

/* As qmp_client_send(), with a duplicate of fd passed along (SCM_RIGHTS)
 * on the command's first byte, for getfd/add-fd. The caller keeps fd.
 * One fd may be in flight at a time: -EBUSY while an earlier one has not
 * gone out yet. */
int qmp_client_send_fd(QmpClient *c, const char *command, json_object *arguments, int fd, QmpReplyHandler cb,
                       void *userdata);

/* Send a raw JSON command object text (for qemu-monitor-command). The
 * reply handler gets the whole reply object as reply (return or error). */
int qmp_client_send_raw(QmpClient *c, const char *json_text, QmpReplyHandler cb, void *userdata);

/* Synchronous helper for tools and tests: send and run the loop until the
 * reply arrives or timeout_usec passes. On success *ret_reply holds a new
 * reference to the return value (may be NULL if not wanted). Returns 0,
 * -EIO on a QMP error (message in *ret_error if not NULL, caller frees),
 * -ETIMEDOUT, or -ENOTCONN. */
int qmp_client_call(QmpClient *c, const char *command, json_object *arguments, uint64_t timeout_usec,
                    json_object **ret_reply, char **ret_error);

/* Whether capabilities negotiation finished. */
bool qmp_client_is_ready(QmpClient *c);

/* Process bytes as if they had just been read from the socket: the
 * reader's own entry point, public so that the fuzz harness and tests can
 * drive it without a peer. Complete messages are dispatched to the
 * handlers at once; a message cut short is kept for the next call. A
 * malformed message, or one over the size cap, disconnects the client
 * (pending replies fail, then the disconnect handler runs) and returns
 * -EBADMSG or -EMSGSIZE; -ENOTCONN once disconnected or freed. Returns 0
 * otherwise. A handler may free the client; the caller must then not use
 * it after this returns. */
int qmp_client_feed(QmpClient *c, const void *buf, size_t n);
