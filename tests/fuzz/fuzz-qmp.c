/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The QMP reader: whatever QEMU (or a guest that took it over) writes on
 * the monitor socket, fed through qmp_client_feed(), the function the
 * socket reader calls, with commands pending so replies find handlers.
 *
 * Input: byte 0 chooses the commands queued before any byte arrives
 * (bits 0-3), which handler frees the client from inside itself (bits
 * 4-6) and (bit 7) whether the first line of the rest is a caller's raw
 * command, as MonitorCommand() passes it on; byte 1 the size of the
 * pieces the rest arrives in (0 = all at once); the rest is the stream.
 *
 * Promises checked (qmp.h): each command's handler runs at most once;
 * a plain handler gets either a result or an error class, never both; a
 * raw handler always gets the whole reply object, with the caller's own
 * id; ready and disconnect each happen at most once, and nothing runs
 * after disconnect; a feed that fails has disconnected the client and
 * failed every pending command; once disconnected, sends are refused.
 * What the client writes is one JSON command object per line, each with
 * "execute" and an id of ours, so no caller text can add a command.
 * ASan/LSan check that every message, pending entry and queued buffer is
 * released, also when a handler frees the client mid-dispatch.
 */

#include <fcntl.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "qmp.h"

enum {
        FREE_NONE,
        FREE_ON_READY,
        FREE_ON_EVENT,
        FREE_ON_REPLY,
        FREE_ON_DISCONNECT,
};

typedef struct Command {
        int calls;
        bool raw;
        char *want_id; /* raw: the caller's id as JSON text, NULL for none */
} Command;

typedef struct State {
        QmpClient *client;
        int free_on;
        int ready, disconnects, events;
        Command commands[5];
        size_t n_commands;
} State;

static sd_event *event;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        if (sd_event_new(&event) < 0)
                abort();
        return 0;
}

static void maybe_free(State *s, int when) {
        if (s->free_on == when && s->client)
                s->client = qmp_client_free(s->client);
}

static State *state; /* the input being run */

static void on_reply(QmpClient *c, json_object *reply, const char *error_class, const char *error_desc,
                     void *userdata) {
        Command *cmd = userdata;

        fuzz_assert(c && state->disconnects == 0);
        cmd->calls++;
        fuzz_assert(cmd->calls == 1);
        if (error_class)
                fuzz_assert(error_desc);
        if (cmd->raw && reply) {
                json_object *id;

                /* The whole reply, with the caller's id in place of ours. */
                fuzz_assert(json_object_is_type(reply, json_type_object));
                if (!cmd->want_id)
                        fuzz_assert(!json_object_object_get_ex(reply, "id", NULL));
                else {
                        fuzz_assert(json_object_object_get_ex(reply, "id", &id));
                        fuzz_assert(streq(json_object_to_json_string(id), cmd->want_id));
                }
        } else if (cmd->raw)
                fuzz_assert(error_class); /* no reply object: disconnected */
        else
                fuzz_assert(!(reply && error_class));
        maybe_free(state, FREE_ON_REPLY);
}

static void on_ready(QmpClient *c, void *userdata) {
        State *s = userdata;

        fuzz_assert(s->disconnects == 0);
        s->ready++;
        fuzz_assert(s->ready == 1);
        maybe_free(s, FREE_ON_READY);
}

static void on_event(QmpClient *c, const char *name, json_object *data, void *userdata) {
        State *s = userdata;

        fuzz_assert(s->disconnects == 0);
        fuzz_assert(name);
        s->events++;
        maybe_free(s, FREE_ON_EVENT);
}

static void on_disconnect(QmpClient *c, void *userdata) {
        State *s = userdata;

        s->disconnects++;
        fuzz_assert(s->disconnects == 1);
        for (size_t i = 0; i < s->n_commands; i++)
                fuzz_assert(s->commands[i].calls == 1);
        maybe_free(s, FREE_ON_DISCONNECT);
}

static void queue_commands(State *s, unsigned mask, int fd) {
        Command *cmd;

        if (mask & 1) {
                cmd = &s->commands[s->n_commands++];
                fuzz_assert(qmp_client_send(s->client, "query-status", NULL, on_reply, cmd) == 0);
        }
        if (mask & 2) {
                cmd = &s->commands[s->n_commands++];
                cmd->raw = true;
                cmd->want_id = strdup("\"mine\"");
                fuzz_assert(cmd->want_id);
                fuzz_assert(qmp_client_send_raw(s->client, "{\"execute\": \"query-name\", \"id\": \"mine\"}",
                                                on_reply, cmd) == 0);
        }
        if (mask & 4) {
                cmd = &s->commands[s->n_commands++];
                fuzz_assert(qmp_client_send_fd(s->client, "getfd", NULL, fd, on_reply, cmd) == 0);
        }
        if (mask & 8) {
                /* No handler: the reply is dropped. */
                fuzz_assert(qmp_client_send(s->client, "cont", NULL, NULL, NULL) == 0);
        }
}

/* A caller's command text (MonitorCommand): accepted or -EINVAL; when
 * accepted, its reply comes back with the caller's own id. */
static void queue_caller_command(State *s, const char *text) {
        Command *cmd = &s->commands[s->n_commands];
        json_object *parsed = json_tokener_parse(text), *id;
        int r;

        r = qmp_client_send_raw(s->client, text, on_reply, cmd);
        if (r < 0) {
                fuzz_assert(r == -EINVAL || r == -ENOMEM);
                json_object_put(parsed);
                return;
        }
        fuzz_assert(parsed && json_object_is_type(parsed, json_type_object));
        if (json_object_object_get_ex(parsed, "id", &id)) {
                cmd->want_id = strdup(json_object_to_json_string(id));
                fuzz_assert(cmd->want_id);
        }
        cmd->raw = true;
        s->n_commands++;
        json_object_put(parsed);
}

typedef struct Written {
        char *data;
        size_t size;
} Written;

/* Take what the client wrote, so its socket never fills up. */
static void drain(int fd, Written *w) {
        char buf[4096];
        ssize_t n;

        while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
                char *p = realloc(w->data, w->size + (size_t) n + 1);

                if (!p)
                        abort();
                memcpy(p + w->size, buf, (size_t) n);
                w->data = p;
                w->size += (size_t) n;
                w->data[w->size] = 0;
        }
}

/* Every complete line is one command object with "execute" and an id of
 * ours (an integer, never used twice). */
static void check_written(const Written *w) {
        int64_t ids[64];
        size_t n_ids = 0;

        for (char *line = w->data, *nl;
             line && (nl = memchr(line, '\n', w->size - (size_t) (line - w->data))); line = nl + 1) {
                json_object *cmd, *v;

                *nl = 0;
                cmd = json_tokener_parse(line);
                if (!cmd || !json_object_is_type(cmd, json_type_object))
                        fuzz_fail("client wrote a line that is no JSON object: %s", line);
                fuzz_assert(json_object_object_get_ex(cmd, "execute", &v) &&
                            json_object_is_type(v, json_type_string));
                fuzz_assert(json_object_object_get_ex(cmd, "id", &v) &&
                            json_object_is_type(v, json_type_int));
                for (size_t i = 0; i < n_ids; i++)
                        fuzz_assert(ids[i] != json_object_get_int64(v));
                if (n_ids < ELEMENTSOF(ids))
                        ids[n_ids++] = json_object_get_int64(v);
                json_object_put(cmd);
                *nl = '\n';
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        State s = {};
        Written written = {};
        size_t piece, pos;
        int sv[2], devnull, r = 0;

        if (size < 2)
                return 0;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0 || qmp_client_new(event, sv[0], &s.client) < 0)
                abort();
        state = &s;
        s.free_on = ((data[0] >> 4) & 7) % 5;
        qmp_client_set_handlers(s.client, on_ready, on_event, on_disconnect, &s);
        queue_commands(&s, data[0] & 15, devnull);
        piece = data[1] ? data[1] : size;
        if (data[0] & 0x80) {
                const uint8_t *nl = memchr(data + 2, '\n', size - 2);
                size_t len = nl ? (size_t) (nl - data - 2) : size - 2;
                _cleanup_free_ char *text = fuzz_strndup(data + 2, len);

                queue_caller_command(&s, text);
                size -= len + (nl ? 1 : 0);
                data += len + (nl ? 1 : 0);
        }
        data += 2;
        size -= 2;

        for (pos = 0; pos < size && s.client && s.disconnects == 0; pos += piece) {
                size_t n = size - pos < piece ? size - pos : piece;

                r = qmp_client_feed(s.client, data + pos, n);
                drain(sv[1], &written);
                if (r < 0) {
                        fuzz_assert(r == -EBADMSG || r == -EMSGSIZE || r == -ENOMEM);
                        break;
                }
        }

        if (r < 0 || s.disconnects > 0) {
                /* Disconnected: every pending command failed, exactly once. */
                fuzz_assert(s.free_on != FREE_NONE || s.disconnects == 1);
                if (s.disconnects == 1)
                        for (size_t i = 0; i < s.n_commands; i++)
                                fuzz_assert(s.commands[i].calls == 1);
                if (s.client)
                        fuzz_assert(qmp_client_send(s.client, "x", NULL, NULL, NULL) == -ENOTCONN);
        }
        for (size_t i = 0; i < s.n_commands; i++)
                fuzz_assert(s.commands[i].calls <= 1);

        s.client = qmp_client_free(s.client);
        drain(sv[1], &written);
        check_written(&written);
        free(written.data);
        for (size_t i = 0; i < s.n_commands; i++)
                free(s.commands[i].want_id);
        state = NULL;
        close(sv[1]);
        close(devnull);
        return 0;
}
