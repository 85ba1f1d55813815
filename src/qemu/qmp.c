/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "qmp.h"

/*
 * A single QMP message larger than this is treated as a protocol error.
 * QEMU's biggest reply (query-qmp-schema) is a few hundred KiB; the cap
 * only keeps a misbehaving (possibly guest-compromised) QEMU from making
 * the supervisor buffer without bound.
 */
#define QMP_MESSAGE_MAX (16U * 1024U * 1024U)
#define QMP_READ_CHUNK 4096U
/* Reads per wakeup, so one chatty peer cannot starve the rest of the loop;
 * the fd is level-triggered, so leftover data wakes us again. */
#define QMP_READS_PER_WAKEUP 16
#define QMP_TOKENER_DEPTH 128

typedef enum QmpState {
        QMP_STATE_GREETING,
        QMP_STATE_NEGOTIATING,
        QMP_STATE_READY,
        QMP_STATE_DISCONNECTED,
} QmpState;

typedef struct QmpBuffer {
        char *data;
        size_t size;
        size_t allocated;
} QmpBuffer;

typedef struct QmpPending QmpPending;
struct QmpPending {
        int64_t id;
        QmpReplyHandler cb;
        void *userdata;
        /* send_raw: the reply goes out whole, with the caller's own "id"
         * (caller_id, NULL if it had none) put back in place of ours. */
        bool raw;
        json_object *caller_id;
        QmpPending *next;
};

struct QmpClient {
        unsigned n_ref;
        /* Set by qmp_client_free(): no more callbacks, resources go with
         * the last reference (dispatch code may still hold one). */
        bool freed;
        QmpState state;

        sd_event *event;
        sd_event_source *io;
        int fd;
        uint32_t io_events;

        json_tokener *tokener;
        size_t message_bytes;

        /* out: bytes for the socket; deferred: commands queued before
         * negotiation finished, moved to out once it has. */
        QmpBuffer out;
        QmpBuffer deferred;

        /* One fd to pass with SCM_RIGHTS (getfd, add-fd): it must ride on
         * the first byte of its command, which starts pass_fd_offset bytes
         * into out (or into deferred while pass_fd_deferred). */
        int pass_fd;
        size_t pass_fd_offset;
        bool pass_fd_deferred;

        int64_t next_id;
        int64_t capabilities_id;
        QmpPending *pending_head;
        QmpPending *pending_tail;

        QmpNotifyHandler on_ready;
        QmpEventHandler on_event;
        QmpNotifyHandler on_disconnect;
        void *userdata;
};

static void qmp_buffer_done(QmpBuffer *b) {
        free(b->data);
        *b = (QmpBuffer){};
}

static int qmp_buffer_append(QmpBuffer *b, const char *p, size_t n) {
        if (n == 0)
                return 0;
        if (n > SIZE_MAX - b->size)
                return -ENOMEM;
        if (b->size + n > b->allocated) {
                size_t want = b->allocated ? b->allocated : 256;
                while (want < b->size + n)
                        want *= 2;
                char *data = realloc(b->data, want);
                if (!data)
                        return -ENOMEM;
                b->data = data;
                b->allocated = want;
        }
        memcpy(b->data + b->size, p, n);
        b->size += n;
        return 0;
}

static void qmp_buffer_consume(QmpBuffer *b, size_t n) {
        memmove(b->data, b->data + n, b->size - n);
        b->size -= n;
}

static QmpPending *qmp_pending_free(QmpPending *p) {
        if (!p)
                return NULL;
        json_object_put(p->caller_id);
        free(p);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(QmpPending *, qmp_pending_free);

static void qmp_pending_append(QmpClient *c, QmpPending *p) {
        if (c->pending_tail)
                c->pending_tail->next = p;
        else
                c->pending_head = p;
        c->pending_tail = p;
}

/* Unlink and return the entry for id (NULL if unknown). */
static QmpPending *qmp_pending_take(QmpClient *c, int64_t id) {
        QmpPending *prev = NULL;

        for (QmpPending *p = c->pending_head; p; prev = p, p = p->next) {
                if (p->id != id)
                        continue;
                if (prev)
                        prev->next = p->next;
                else
                        c->pending_head = p->next;
                if (c->pending_tail == p)
                        c->pending_tail = prev;
                p->next = NULL;
                return p;
        }
        return NULL;
}

static QmpPending *qmp_pending_pop(QmpClient *c) {
        return c->pending_head ? qmp_pending_take(c, c->pending_head->id) : NULL;
}

static void qmp_client_close(QmpClient *c) {
        c->io = sd_event_source_disable_unref(c->io);
        c->fd = safe_close(c->fd);
        c->pass_fd = safe_close(c->pass_fd);
        qmp_buffer_done(&c->out);
        qmp_buffer_done(&c->deferred);
}

static QmpClient *qmp_client_ref(QmpClient *c) {
        c->n_ref++;
        return c;
}

static QmpClient *qmp_client_unref(QmpClient *c) {
        if (!c || --c->n_ref > 0)
                return NULL;

        qmp_client_close(c);
        while (c->pending_head)
                qmp_pending_free(qmp_pending_pop(c));
        if (c->tokener)
                json_tokener_free(c->tokener);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(QmpClient *, qmp_client_unref);

QmpClient *qmp_client_free(QmpClient *c) {
        if (!c || c->freed)
                return NULL;

        /*
         * Callbacks may free the client while we are dispatching on its
         * behalf; the dispatcher holds a reference, so only mark it dead,
         * stop all I/O now, and let the last reference release memory.
         */
        c->freed = true;
        qmp_client_close(c);
        return qmp_client_unref(c);
}

static bool qmp_client_alive(QmpClient *c) {
        return !c->freed && c->state != QMP_STATE_DISCONNECTED;
}

static int qmp_client_update_events(QmpClient *c) {
        uint32_t want = EPOLLIN | (c->out.size > 0 ? EPOLLOUT : 0);
        int r;

        if (!c->io || want == c->io_events)
                return 0;
        r = sd_event_source_set_io_events(c->io, want);
        if (r < 0)
                return r;
        c->io_events = want;
        return 0;
}

/* Send up to n bytes of out; the pending fd goes along when out starts
 * with its command. MSG_NOSIGNAL: a vanished QEMU must be an error, not
 * SIGPIPE. */
static ssize_t qmp_client_send_some(QmpClient *c, size_t n) {
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = c->out.data, .iov_len = n };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *cmsg;
        ssize_t r;

        if (c->pass_fd < 0 || c->pass_fd_deferred || c->pass_fd_offset > 0)
                return send(c->fd, c->out.data, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        cmsg = CMSG_FIRSTHDR(&mh);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &c->pass_fd, sizeof(int));
        r = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r > 0) /* the peer has its copy now */
                c->pass_fd = safe_close(c->pass_fd);
        return r;
}

/* Write what the socket takes without blocking. Returns 0 or -errno for a
 * dead connection. */
static int qmp_client_flush(QmpClient *c) {
        while (c->out.size > 0) {
                /* Bytes before the fd's command go out on their own, so the
                 * fd arrives with its command and no earlier one. */
                bool before_fd = c->pass_fd >= 0 && !c->pass_fd_deferred && c->pass_fd_offset > 0;
                size_t want = before_fd && c->pass_fd_offset < c->out.size ? c->pass_fd_offset : c->out.size;
                ssize_t n = qmp_client_send_some(c, want);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                if (before_fd)
                        c->pass_fd_offset -= (size_t) n;
                qmp_buffer_consume(&c->out, (size_t) n);
        }
        return qmp_client_update_events(c);
}

/*
 * Fail every pending reply with "Disconnected", then tell the owner once.
 * The caller holds a reference; any callback may free the client, after
 * which nothing else is called.
 */
static void qmp_client_disconnect(QmpClient *c) {
        QmpPending *p;

        if (!qmp_client_alive(c))
                return;
        c->state = QMP_STATE_DISCONNECTED;
        qmp_client_close(c);

        while (!c->freed && (p = qmp_pending_pop(c))) {
                _cleanup_(qmp_pending_freep) QmpPending *entry = p;

                if (entry->cb)
                        entry->cb(c, NULL, "Disconnected", "Connection to QEMU monitor lost",
                                  entry->userdata);
                if (c->freed)
                        return;
        }
        if (c->on_disconnect)
                c->on_disconnect(c, c->userdata);
}

/* Serialize cmd into the output buffer (now) or the deferred one. */
static int qmp_client_queue(QmpClient *c, json_object *cmd, bool now) {
        QmpBuffer *b = now ? &c->out : &c->deferred;
        size_t len;
        const char *text = json_object_to_json_string_length(cmd, JSON_C_TO_STRING_PLAIN, &len);
        int r;

        if (!text)
                return -ENOMEM;
        r = qmp_buffer_append(b, text, len);
        if (r < 0)
                return r;
        r = qmp_buffer_append(b, "\n", 1);
        if (r < 0) {
                b->size -= len;
                return r;
        }
        if (!now)
                return 0;

        /*
         * A write error here is not the caller's: the command stays queued
         * and EPOLLOUT goes on, so the loop sees the dead socket and fails
         * it with "Disconnected" like every other pending command. Never
         * disconnect synchronously, which would call handlers from inside
         * qmp_client_send().
         */
        if (qmp_client_flush(c) < 0)
                (void) qmp_client_update_events(c);
        return 0;
}

static int qmp_client_add_id(QmpClient *c, json_object *cmd, int64_t *ret_id) {
        json_object *id = json_object_new_int64(c->next_id);

        if (!id)
                return -ENOMEM;
        if (json_object_object_add(cmd, "id", id) < 0) {
                json_object_put(id);
                return -ENOMEM;
        }
        *ret_id = c->next_id++;
        return 0;
}

/* Track a command object (takes ownership of caller_id) and queue it. */
static int qmp_client_submit(QmpClient *c, json_object *cmd, bool raw, json_object *caller_id,
                             QmpReplyHandler cb, void *userdata, int64_t *ret_id) {
        _cleanup_(qmp_pending_freep) QmpPending *p = NULL;
        int64_t id;
        int r;

        p = calloc(1, sizeof(QmpPending));
        if (!p) {
                json_object_put(caller_id);
                return -ENOMEM;
        }
        p->caller_id = caller_id;
        p->raw = raw;
        p->cb = cb;
        p->userdata = userdata;

        r = qmp_client_add_id(c, cmd, &id);
        if (r < 0)
                return r;
        p->id = id;
        r = qmp_client_queue(c, cmd, /* now= */ c->state == QMP_STATE_READY);
        if (r < 0)
                return r;
        qmp_pending_append(c, TAKE_PTR(p));
        if (ret_id)
                *ret_id = id;
        return 0;
}

static int qmp_client_send_full(QmpClient *c, const char *command, json_object *arguments,
                                QmpReplyHandler cb, void *userdata, int64_t *ret_id) {
        _cleanup_(json_object_putp) json_object *args = arguments;
        _cleanup_(json_object_putp) json_object *cmd = NULL;
        json_object *name;

        if (!c || c->freed || !command || !*command)
                return -EINVAL;
        if (args && !json_object_is_type(args, json_type_object))
                return -EINVAL;
        if (c->state == QMP_STATE_DISCONNECTED)
                return -ENOTCONN;

        cmd = json_object_new_object();
        name = json_object_new_string(command);
        if (!cmd || !name || json_object_object_add(cmd, "execute", name) < 0) {
                json_object_put(name);
                return -ENOMEM;
        }
        if (args && json_object_object_add(cmd, "arguments", args) < 0)
                return -ENOMEM;
        TAKE_PTR(args);

        return qmp_client_submit(c, cmd, /* raw= */ false, /* caller_id= */ NULL, cb, userdata, ret_id);
}

int qmp_client_send(QmpClient *c, const char *command, json_object *arguments, QmpReplyHandler cb,
                    void *userdata) {
        return qmp_client_send_full(c, command, arguments, cb, userdata, NULL);
}

int qmp_client_send_fd(QmpClient *c, const char *command, json_object *arguments, int fd, QmpReplyHandler cb,
                       void *userdata) {
        _cleanup_(json_object_putp) json_object *args = arguments;
        bool now;
        int r;

        if (!c || c->freed || fd < 0)
                return -EINVAL;
        if (c->state == QMP_STATE_DISCONNECTED)
                return -ENOTCONN;
        if (c->pass_fd >= 0)
                return -EBUSY;
        c->pass_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (c->pass_fd < 0)
                return negative_errno();
        now = c->state == QMP_STATE_READY;
        c->pass_fd_deferred = !now;
        c->pass_fd_offset = now ? c->out.size : c->deferred.size;
        r = qmp_client_send_full(c, command, TAKE_PTR(args), cb, userdata, NULL);
        if (r < 0)
                c->pass_fd = safe_close(c->pass_fd);
        return r;
}

/*
 * For qemu-monitor-command: the handler gets the whole reply object, with
 * the caller's own "id" (if it gave one) in place of ours; on an error
 * reply error_class/error_desc are set as well.
 */
int qmp_client_send_raw(QmpClient *c, const char *json_text, QmpReplyHandler cb, void *userdata) {
        _cleanup_(json_object_putp) json_object *cmd = NULL;
        json_object *execute, *caller_id = NULL;

        if (!c || c->freed || !json_text)
                return -EINVAL;
        if (c->state == QMP_STATE_DISCONNECTED)
                return -ENOTCONN;

        cmd = json_tokener_parse(json_text);
        if (!cmd || !json_object_is_type(cmd, json_type_object))
                return -EINVAL;
        /* Only "execute": "exec-oob" would need the OOB capability we
         * never negotiate. */
        if (!json_object_object_get_ex(cmd, "execute", &execute) ||
            !json_object_is_type(execute, json_type_string))
                return -EINVAL;

        /* Our id routes the reply; the caller's goes back in on return. */
        if (json_object_object_get_ex(cmd, "id", &caller_id)) {
                json_object_get(caller_id);
                json_object_object_del(cmd, "id");
        }
        return qmp_client_submit(c, cmd, /* raw= */ true, caller_id, cb, userdata, NULL);
}

static void qmp_client_on_greeting(QmpClient *c) {
        _cleanup_(json_object_putp) json_object *cmd = NULL;
        json_object *name;
        int64_t id;

        if (c->state != QMP_STATE_GREETING)
                return;

        cmd = json_object_new_object();
        name = json_object_new_string("qmp_capabilities");
        if (!cmd || !name || json_object_object_add(cmd, "execute", name) < 0) {
                json_object_put(name);
                qmp_client_disconnect(c);
                return;
        }
        c->state = QMP_STATE_NEGOTIATING;
        if (qmp_client_add_id(c, cmd, &id) < 0) {
                qmp_client_disconnect(c);
                return;
        }
        c->capabilities_id = id;
        /* Straight to the socket, ahead of anything already deferred. */
        if (qmp_client_queue(c, cmd, /* now= */ true) < 0)
                qmp_client_disconnect(c);
}

static void qmp_client_on_negotiated(QmpClient *c, json_object *msg) {
        int r;

        if (!json_object_object_get_ex(msg, "return", NULL)) {
                /* QEMU refused capabilities negotiation: nothing can work. */
                qmp_client_disconnect(c);
                return;
        }

        c->state = QMP_STATE_READY;
        if (c->pass_fd >= 0 && c->pass_fd_deferred) {
                c->pass_fd_offset += c->out.size;
                c->pass_fd_deferred = false;
        }
        r = qmp_buffer_append(&c->out, c->deferred.data, c->deferred.size);
        qmp_buffer_done(&c->deferred);
        if (r < 0) {
                qmp_client_disconnect(c);
                return;
        }
        if (qmp_client_flush(c) < 0) {
                qmp_client_disconnect(c);
                return;
        }
        if (c->on_ready)
                c->on_ready(c, c->userdata);
}

static void qmp_error_info(json_object *msg, const char **ret_class, const char **ret_desc) {
        json_object *error, *v;

        *ret_class = "GenericError";
        *ret_desc = "";
        if (!json_object_object_get_ex(msg, "error", &error) ||
            !json_object_is_type(error, json_type_object))
                return;
        if (json_object_object_get_ex(error, "class", &v) && json_object_is_type(v, json_type_string))
                *ret_class = json_object_get_string(v);
        if (json_object_object_get_ex(error, "desc", &v) && json_object_is_type(v, json_type_string))
                *ret_desc = json_object_get_string(v);
}

static void qmp_client_deliver(QmpClient *c, QmpPending *p, json_object *msg) {
        const char *error_class = NULL, *error_desc = NULL;
        json_object *ret = NULL;
        bool failed = !json_object_object_get_ex(msg, "return", &ret);

        if (!p->cb)
                return;
        if (failed)
                qmp_error_info(msg, &error_class, &error_desc);

        if (p->raw) {
                json_object_object_del(msg, "id");
                if (p->caller_id && json_object_object_add(msg, "id", json_object_get(p->caller_id)) < 0)
                        json_object_put(p->caller_id);
                p->cb(c, msg, error_class, error_desc, p->userdata);
        } else
                p->cb(c, failed ? NULL : ret, error_class, error_desc, p->userdata);
}

static void qmp_client_on_reply(QmpClient *c, json_object *msg) {
        _cleanup_(qmp_pending_freep) QmpPending *p = NULL;
        json_object *id;
        int64_t n;

        /* Replies without our integer id (e.g. errors QEMU could not tie
         * to a command) have no handler to go to. */
        if (!json_object_object_get_ex(msg, "id", &id) || !json_object_is_type(id, json_type_int))
                return;
        n = json_object_get_int64(id);

        if (c->state == QMP_STATE_NEGOTIATING && n == c->capabilities_id) {
                qmp_client_on_negotiated(c, msg);
                return;
        }
        p = qmp_pending_take(c, n);
        if (p)
                qmp_client_deliver(c, p, msg);
}

static void qmp_client_on_event(QmpClient *c, json_object *msg, json_object *event) {
        json_object *data = NULL;

        if (!c->on_event || !json_object_is_type(event, json_type_string))
                return;
        json_object_object_get_ex(msg, "data", &data);
        c->on_event(c, json_object_get_string(event), data, c->userdata);
}

static void qmp_client_dispatch(QmpClient *c, json_object *msg) {
        json_object *event;

        if (!json_object_is_type(msg, json_type_object)) {
                qmp_client_disconnect(c);
                return;
        }
        if (json_object_object_get_ex(msg, "QMP", NULL))
                qmp_client_on_greeting(c);
        else if (json_object_object_get_ex(msg, "event", &event))
                qmp_client_on_event(c, msg, event);
        else if (json_object_object_get_ex(msg, "return", NULL) ||
                 json_object_object_get_ex(msg, "error", NULL))
                qmp_client_on_reply(c, msg);
}

/*
 * Feed one chunk to the incremental parser. A chunk may end inside a
 * message or hold several; json_tokener keeps partial state between calls
 * and tells us where each complete object ended.
 */
static int qmp_client_parse(QmpClient *c, const char *buf, size_t n) {
        while (n > 0 && qmp_client_alive(c)) {
                _cleanup_(json_object_putp) json_object *msg = NULL;
                enum json_tokener_error err;
                size_t used;

                msg = json_tokener_parse_ex(c->tokener, buf, (int) n);
                err = json_tokener_get_error(c->tokener);
                if (err == json_tokener_continue) {
                        c->message_bytes += n;
                        return c->message_bytes > QMP_MESSAGE_MAX ? -EMSGSIZE : 0;
                }
                if (err != json_tokener_success || !msg)
                        return -EBADMSG;

                used = json_tokener_get_parse_end(c->tokener);
                if (used == 0 || used > n)
                        return -EBADMSG;
                buf += used;
                n -= used;
                c->message_bytes = 0;
                qmp_client_dispatch(c, msg);
        }
        return 0;
}

int qmp_client_feed(QmpClient *c, const void *buf, size_t n) {
        _cleanup_(qmp_client_unrefp) QmpClient *ref = NULL;
        const char *p = buf;

        if (!c || (!buf && n > 0))
                return -EINVAL;
        if (!qmp_client_alive(c))
                return -ENOTCONN;

        /* Handlers may free the client: hold it until we are done. */
        ref = qmp_client_ref(c);
        /* In read-sized pieces, as from the socket (json-c takes an int). */
        while (n > 0 && qmp_client_alive(c)) {
                size_t k = n < QMP_READ_CHUNK ? n : QMP_READ_CHUNK;
                int r = qmp_client_parse(c, p, k);

                if (r < 0) {
                        qmp_client_disconnect(c);
                        return r;
                }
                p += k;
                n -= k;
        }
        return 0;
}

static int qmp_client_read(QmpClient *c) {
        char buf[QMP_READ_CHUNK];

        for (int i = 0; i < QMP_READS_PER_WAKEUP && qmp_client_alive(c); i++) {
                ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
                int r;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                if (n == 0)
                        return -ECONNRESET;
                r = qmp_client_feed(c, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int qmp_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        _cleanup_(qmp_client_unrefp) QmpClient *c = qmp_client_ref(userdata);

        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                if (qmp_client_read(c) < 0) {
                        qmp_client_disconnect(c);
                        return 0;
                }
        }
        if (qmp_client_alive(c) && (revents & EPOLLOUT) && qmp_client_flush(c) < 0)
                qmp_client_disconnect(c);
        return 0;
}

int qmp_client_new(sd_event *event, int fd, QmpClient **ret) {
        _cleanup_close_ int owned_fd = fd;
        _cleanup_(qmp_client_unrefp) QmpClient *c = NULL;
        int flags, r;

        if (fd < 0 || !ret)
                return -EINVAL;

        /* The loop must never block on QEMU; and the fd must not leak
         * into QEMU or any other child we exec. */
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return negative_errno();
        flags = fcntl(fd, F_GETFD);
        if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
                return negative_errno();

        c = calloc(1, sizeof(QmpClient));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        c->fd = -EBADF;
        c->pass_fd = -EBADF;
        c->next_id = 1;
        c->capabilities_id = -1;

        if (event)
                c->event = sd_event_ref(event);
        else {
                r = sd_event_default(&c->event);
                if (r < 0)
                        return r;
        }
        c->tokener = json_tokener_new_ex(QMP_TOKENER_DEPTH);
        if (!c->tokener)
                return -ENOMEM;

        r = sd_event_add_io(c->event, &c->io, fd, EPOLLIN, qmp_client_io, c);
        if (r < 0)
                return r;
        c->io_events = EPOLLIN;
        c->fd = TAKE_FD(owned_fd);
        (void) sd_event_source_set_description(c->io, "qmp-client");

        *ret = TAKE_PTR(c);
        return 0;
}

int qmp_client_connect(sd_event *event, const char *path, QmpClient **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        size_t len;

        if (!path || !*path || !ret)
                return -EINVAL;
        len = strlen(path);
        if (len >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, len);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        /* Blocking connect: a local listener accepts at once (or refuses);
         * qmp_client_new() switches to non-blocking for everything after. */
        if (connect(fd, (struct sockaddr *) &sa, offsetof(struct sockaddr_un, sun_path) + len + 1) < 0)
                return negative_errno();

        return qmp_client_new(event, TAKE_FD(fd), ret);
}

void qmp_client_set_handlers(QmpClient *c, QmpNotifyHandler on_ready, QmpEventHandler on_event,
                             QmpNotifyHandler on_disconnect, void *userdata) {
        if (!c)
                return;
        c->on_ready = on_ready;
        c->on_event = on_event;
        c->on_disconnect = on_disconnect;
        c->userdata = userdata;
}

bool qmp_client_is_ready(QmpClient *c) {
        return c && !c->freed && c->state == QMP_STATE_READY;
}

typedef struct QmpCall {
        bool done;
        int r;
        json_object *reply;
        char *error;
} QmpCall;

static void qmp_call_reply(QmpClient *c, json_object *reply, const char *error_class, const char *error_desc,
                           void *userdata) {
        QmpCall *call = userdata;

        call->done = true;
        if (!error_class) {
                call->reply = json_object_get(reply);
                call->r = 0;
                return;
        }
        if (c->state == QMP_STATE_DISCONNECTED && streq(error_class, "Disconnected")) {
                call->r = -ENOTCONN;
                return;
        }
        call->r = -EIO;
        if (asprintf(&call->error, "%s: %s", error_class, error_desc ? error_desc : "") < 0)
                call->error = NULL;
}

static uint64_t qmp_now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

static int qmp_call_wait(QmpClient *c, QmpCall *call, uint64_t timeout_usec) {
        uint64_t deadline = timeout_usec == UINT64_MAX ? UINT64_MAX : qmp_now_usec() + timeout_usec;

        while (!call->done) {
                uint64_t now = qmp_now_usec();
                int r;

                if (c->freed)
                        return -ENOTCONN;
                if (now >= deadline)
                        return -ETIMEDOUT;
                r = sd_event_run(c->event, deadline == UINT64_MAX ? UINT64_MAX : deadline - now);
                if (r < 0)
                        return r;
        }
        return call->r;
}

int qmp_client_call(QmpClient *c, const char *command, json_object *arguments, uint64_t timeout_usec,
                    json_object **ret_reply, char **ret_error) {
        _cleanup_(qmp_client_unrefp) QmpClient *ref = NULL;
        QmpCall call = {};
        int64_t id;
        int r;

        r = qmp_client_send_full(c, command, arguments, qmp_call_reply, &call, &id);
        if (r < 0)
                return r;
        ref = qmp_client_ref(c);

        r = qmp_call_wait(c, &call, timeout_usec);
        if (!call.done) {
                /* The entry points at our stack frame: a late reply must
                 * be swallowed, not delivered. */
                for (QmpPending *p = c->pending_head; p; p = p->next)
                        if (p->id == id)
                                p->cb = NULL;
                return r;
        }
        if (r == -EIO && ret_error)
                *ret_error = TAKE_PTR(call.error);
        free(call.error);
        if (r < 0)
                return r;
        if (ret_reply)
                *ret_reply = TAKE_PTR(call.reply);
        json_object_put(call.reply);
        return 0;
}
