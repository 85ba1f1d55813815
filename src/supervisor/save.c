/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Save(path), managed save and restore.
 *
 * Saving: stop the vCPUs (a consistent state), write our header (see
 * save-file.h), then let QEMU migrate into a pipe whose other end we copy
 * into the file on the event loop. QEMU never opens the file itself, so no
 * AppArmor/SELinux rule and no change of owner is needed for it, and the
 * file is created by us, O_EXCL, mode 0600: an existing file is never
 * overwritten. Once QEMU says the migration completed and the pipe is
 * drained, the file is fsynced and QEMU quits; the supervisor exits 0.
 * Any failure removes the partial file and the guest carries on as it was.
 *
 * Restoring: a request left by `vmctl restore` (STATE/NAME/restore, a
 * symlink to the file) or a managed save (STATE/NAME/managed.save) makes
 * the supervisor start QEMU with -incoming defer and the domain XML from
 * the file, then feed the file's stream into a pipe QEMU reads
 * (migrate-incoming fd:). The request is one-shot: it is removed when the
 * supervisor picks it up, so a restore that fails never haunts the next
 * start. A managed save is removed once QEMU has loaded it; one QEMU could
 * not load is renamed to managed.save.failed (kept for inspection), so the
 * next start boots afresh.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "domain-xml.h"
#include "fs-util.h"
#include "log.h"
#include "save-file.h"
#include "supervisor.h"
#include "vm-bus.h"

#define USEC_PER_SEC 1000000ULL
#define COPY_CHUNK (128U * 1024U)
#define PIPE_SIZE (1024 * 1024)
#define SAVE_FD_NAME "vmunit-save"
#define RESTORE_FD_NAME "vmunit-restore"
/* While saving for a host shutdown, keep systemd's stop timeout this far
 * ahead of us; renewed every second as long as data keeps flowing. */
#define SAVE_EXTEND_USEC (30 * USEC_PER_SEC)

typedef struct SaveState {
        Supervisor *s;
        SupervisorOpDone done; /* NULL for a managed save */
        void *userdata;
        char *path;
        int file_fd;
        int pipe_fd; /* our (read) end */
        sd_event_source *pipe_source;
        sd_event_source *tick;
        bool was_running;
        bool migrating;       /* `migrate` accepted: cancel it on failure */
        bool completed;       /* MIGRATION completed */
        bool migration_ended; /* MIGRATION completed, failed or cancelled */
        bool eof;             /* QEMU closed its end and we drained the pipe */
        uint64_t bytes;
} SaveState;

typedef struct RestoreSource {
        char *path;
        int file_fd; /* at the start of QEMU's stream */
        bool managed;
        bool running; /* the guest ran when saved */
        bool loaded;
        bool failed; /* we gave up on it (QEMU refused a step) */
        int pipe_fd; /* our (write) end */
        sd_event_source *pipe_source;
        char *buf;
        size_t buf_len, buf_pos;
} RestoreSource;

/* ---- helpers ---- */

static json_object *events_capability(void) {
        json_object *cap = json_object_new_object(), *caps = json_object_new_array(),
                    *args = json_object_new_object();

        json_object_object_add(cap, "capability", json_object_new_string("events"));
        json_object_object_add(cap, "state", json_object_new_boolean(true));
        json_object_array_add(caps, cap);
        json_object_object_add(args, "capabilities", caps);
        return args;
}

static json_object *one_string_arg(const char *key, const char *value) {
        json_object *args = json_object_new_object();

        json_object_object_add(args, key, json_object_new_string(value));
        return args;
}

static int make_pipe(int ret[2], int our_end) {
        if (pipe2(ret, O_CLOEXEC) < 0)
                return negative_errno();
        (void) fcntl(ret[0], F_SETPIPE_SZ, PIPE_SIZE);
        /* Only our end is non-blocking: flags live in each end's own open
         * file description, and QEMU sets up its end as it likes. */
        if (fcntl(ret[our_end], F_SETFL, O_NONBLOCK) < 0) {
                safe_close(ret[0]);
                safe_close(ret[1]);
                return negative_errno();
        }
        return 0;
}

static const char *migration_status(json_object *data) {
        json_object *v;

        return data && json_object_object_get_ex(data, "status", &v) ? json_object_get_string(v) : NULL;
}

/* ---- Save ---- */

static void save_free(SaveState *st) {
        if (!st)
                return;
        sd_event_source_disable_unref(st->pipe_source);
        sd_event_source_disable_unref(st->tick);
        safe_close(st->file_fd);
        safe_close(st->pipe_fd);
        free(st->path);
        free(st);
}

/* The one way a save ends badly: no partial file, the guest as it was,
 * the caller told why. */
static void save_fail(Supervisor *s, const char *error, const char *fmt, ...) _printf_(3, 4);
static void save_fail(Supervisor *s, const char *error, const char *fmt, ...) {
        SaveState *st = TAKE_PTR(s->save);
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (!st)
                return;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        log_error("%s", msg ?: "Save failed");
        st->pipe_fd = safe_close(st->pipe_fd); /* a migration still writing gets EPIPE */
        if (st->file_fd >= 0 && unlink(st->path) < 0 && errno != ENOENT)
                log_warning("could not remove the partial save file %s: %m", st->path);
        if (s->qmp && st->migrating && !st->migration_ended) {
                /* QEMU's migration thread may still stop the guest on its
                 * way out (its completion phase stops the vCPUs): a `cont`
                 * now could be undone, so resume once it has ended. */
                (void) qmp_client_send(s->qmp, "migrate_cancel", NULL, NULL, NULL);
                s->resume_after_migration = st->was_running && !s->stop_requested;
        } else if (s->qmp && st->was_running && !s->stop_requested)
                (void) qmp_client_send(s->qmp, "cont", NULL, NULL, NULL);
        if (st->done)
                st->done(s, error, msg ?: "Save failed", st->userdata);
        else
                lifecycle_stop_after_failed_save(s, st->was_running);
        save_free(st);
}

static void save_finish(Supervisor *s) {
        SaveState *st = s->save;

        if (!st->completed || !st->eof)
                return;
        if (fsync(st->file_fd) < 0 || close(st->file_fd) < 0) {
                st->file_fd = -EBADF;
                save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: cannot write %s: %m", st->path);
                return;
        }
        st->file_fd = -EBADF;
        s->save = NULL;
        log_info("saved the guest's state to %s (%llu KiB)", st->path,
                 (unsigned long long) (st->bytes >> 10));
        if (st->done)
                st->done(s, NULL, NULL, st->userdata);
        save_free(st);
        lifecycle_quit(s, "saved");
}

static int on_save_pipe(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Supervisor *s = userdata;
        SaveState *st = s->save;
        char buf[COPY_CHUNK];

        for (int i = 0; i < 64; i++) {
                ssize_t n = read(fd, buf, sizeof(buf));
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n < 0) {
                        save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: reading QEMU's stream failed: %m");
                        return 0;
                }
                if (n == 0) {
                        st->eof = true;
                        st->pipe_source = sd_event_source_disable_unref(st->pipe_source);
                        st->pipe_fd = safe_close(st->pipe_fd);
                        save_finish(s);
                        return 0;
                }
                r = write_full(st->file_fd, buf, (size_t) n);
                if (r < 0) {
                        errno = -r;
                        save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: cannot write %s: %m", st->path);
                        return 0;
                }
                st->bytes += (uint64_t) n;
        }
        return 0;
}

static int on_save_tick(sd_event_source *es, uint64_t usec, void *userdata) {
        Supervisor *s = userdata;
        SaveState *st = s->save;

        lifecycle_set_status(s, "saving to %s (%llu MiB)", st->path, (unsigned long long) (st->bytes >> 20));
        /* A host shutdown waits for us (TimeoutStopSec= only covers an
         * ACPI shutdown); ignored by systemd when no stop job runs. */
        (void) sd_notifyf(false, "EXTEND_TIMEOUT_USEC=%llu", (unsigned long long) SAVE_EXTEND_USEC);
        (void) sd_event_source_set_time_relative(es, USEC_PER_SEC);
        return sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
}

static void on_migrate_reply(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                             void *userdata) {
        Supervisor *s = userdata;

        if (!s->save)
                return;
        if (!reply) {
                save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: QEMU refused to write its state: %s",
                          edesc ?: eclass ?: "unknown error");
                return;
        }
        s->save->migrating = true;
}

static void on_save_step(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                         void *userdata) {
        Supervisor *s = userdata;

        if (s->save && !reply)
                save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: QEMU refused: %s", edesc ?: eclass ?: "unknown error");
}

/* vCPUs stopped (or were): hand QEMU the pipe and start the migration. */
static void save_migrate(Supervisor *s) {
        SaveState *st = s->save;
        _cleanup_close_ int qemu_end = -EBADF;
        int p[2], r;

        r = make_pipe(p, /* our_end= */ 0);
        if (r < 0) {
                errno = -r;
                save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: cannot create a pipe: %m");
                return;
        }
        st->pipe_fd = p[0];
        qemu_end = p[1];
        r = sd_event_add_io(s->event, &st->pipe_source, st->pipe_fd, EPOLLIN, on_save_pipe, s);
        if (r >= 0)
                r = sd_event_add_time_relative(s->event, &st->tick, CLOCK_MONOTONIC, 0, 0, on_save_tick, s);
        if (r >= 0)
                r = qmp_client_send(s->qmp, "migrate-set-capabilities", events_capability(), on_save_step,
                                    s);
        if (r >= 0)
                r = qmp_client_send_fd(s->qmp, "getfd", one_string_arg("fdname", SAVE_FD_NAME), qemu_end,
                                       on_save_step, s);
        if (r >= 0)
                r = qmp_client_send(s->qmp, "migrate", one_string_arg("uri", "fd:" SAVE_FD_NAME),
                                    on_migrate_reply, s);
        if (r < 0) {
                errno = -r;
                save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: cannot talk to QEMU: %m");
        }
        /* qemu_end closes here: QEMU holds the only write end now, so its
         * close at the end of the migration is our EOF. */
}

static void on_stop_reply(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                          void *userdata) {
        Supervisor *s = userdata;

        if (!s->save)
                return;
        if (!reply) {
                s->save->was_running = false; /* nothing to undo */
                save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: QEMU could not stop the guest: %s",
                          edesc ?: eclass ?: "unknown error");
                return;
        }
        save_migrate(s);
}

/* Create the file (ours alone: never an existing one, never through a
 * symlink) and write the header. Returns the fd or -errno with *ret_msg. */
/* A caller other than root creates the file as themselves (caller.h): only
 * where they may write, and it is theirs afterwards. */
static int save_create_file(Supervisor *s, const char *path, const Caller *caller, bool running,
                            char **ret_msg) {
        _cleanup_free_ char *xml = NULL, *header = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int r;

        fd = caller_open(caller, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = fd;
                errno = -r;
                if (asprintf(ret_msg,
                             r == -EEXIST ? "Save: %s already exists; not overwriting it"
                                          : "Save: cannot create %s: %m",
                             path) < 0)
                        *ret_msg = NULL;
                return r;
        }
        r = domain_format_xml(s->domain, &xml);
        if (r >= 0)
                r = save_header_format(xml, running, &header, &len);
        if (r >= 0)
                r = write_full(fd, header, len);
        if (r < 0) {
                (void) unlink(path);
                errno = -r;
                if (asprintf(ret_msg, "Save: cannot write %s: %m", path) < 0)
                        *ret_msg = NULL;
                return r;
        }
        return TAKE_FD(fd);
}

/* Start a save; done is NULL for a managed save. Returns 0 if started;
 * otherwise done (if any) has been called, or -errno for the managed
 * caller. */
static int save_begin(Supervisor *s, const char *path, const Caller *caller, SupervisorOpDone done,
                      void *userdata) {
        _cleanup_free_ char *msg = NULL, *copy = NULL;
        SaveState *st;
        bool running = s->state == SUPERVISOR_RUNNING;
        int fd;

        fd = save_create_file(s, path, caller, running, &msg);
        if (fd < 0) {
                log_error("%s", msg ?: "Save: cannot create the file");
                if (done)
                        done(s, fd == -EEXIST ? VMUNIT_BUS_ERROR_INVALID_ARGS : VMUNIT_BUS_ERROR_FAILED,
                             msg ?: "Save: cannot create the file", userdata);
                return fd;
        }
        st = calloc(1, sizeof(*st));
        copy = strdup(path);
        if (!st || !copy) {
                free(st);
                (void) unlink(path);
                safe_close(fd);
                if (done)
                        done(s, VMUNIT_BUS_ERROR_FAILED, "Save: out of memory", userdata);
                return -ENOMEM;
        }
        *st = (SaveState){ .s = s,
                           .done = done,
                           .userdata = userdata,
                           .path = TAKE_PTR(copy),
                           .file_fd = fd,
                           .pipe_fd = -EBADF,
                           .was_running = running };
        s->save = st;
        log_info("saving the guest's state to %s", path);
        /* The vCPUs stop first so what lands in the file is one instant. */
        if (!running)
                save_migrate(s);
        else if (qmp_client_send(s->qmp, "stop", NULL, on_stop_reply, s) < 0) {
                st->was_running = false;
                save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: QEMU monitor is gone");
        }
        return 0;
}

void save_start(Supervisor *s, const char *path, const Caller *caller, SupervisorOpDone done,
                void *userdata) {
        _cleanup_free_ char *msg = NULL;

        if (s->state != SUPERVISOR_RUNNING && s->state != SUPERVISOR_PAUSED) {
                done(s, VMUNIT_BUS_ERROR_INVALID_STATE, "Save: domain is not running or paused", userdata);
                return;
        }
        if (s->save || s->reboot_call || s->stop_requested) {
                done(s, VMUNIT_BUS_ERROR_BUSY, "Save: another Save(), Reboot() or stop is in progress",
                     userdata);
                return;
        }
        if (!path || path[0] != '/') {
                if (asprintf(&msg, "Save: '%s' is not an absolute path", path ?: "") < 0)
                        msg = NULL;
                done(s, VMUNIT_BUS_ERROR_INVALID_ARGS, msg ?: "Save: not an absolute path", userdata);
                return;
        }
        (void) save_begin(s, path, caller, done, userdata);
}

static bool migration_over(const char *status) {
        return streq_ptr(status, "completed") || streq_ptr(status, "failed") ||
               streq_ptr(status, "cancelled");
}

static void save_on_migration(Supervisor *s, const char *status) {
        s->save->migration_ended = migration_over(status);
        if (streq_ptr(status, "completed")) {
                s->save->completed = true;
                save_finish(s);
        } else if (streq_ptr(status, "failed") || streq_ptr(status, "cancelled"))
                save_fail(s, VMUNIT_BUS_ERROR_FAILED,
                          "Save: QEMU's migration to %s %s (see QEMU's messages)", s->save->path, status);
}

/* ---- managed save (on_host_shutdown=save) ---- */

static bool is_shutdown_target(const char *unit) {
        static const char *const targets[] = { "shutdown.target", "reboot.target", "poweroff.target",
                                               "halt.target", "kexec.target" };

        for (size_t i = 0; i < ELEMENTSOF(targets); i++)
                if (streq(unit, targets[i]))
                        return true;
        return false;
}

/* systemd over its private socket (works while dbus itself is being
 * stopped), else the system bus. */
static int open_systemd(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, "unix:path=/run/systemd/private");
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0) {
                *ret = TAKE_PTR(bus);
                return 0;
        }
        return sd_bus_open_system(ret);
}

/* Whether a job to start a shutdown target is queued: the host is going
 * down, as opposed to a plain `systemctl stop vm@NAME`. */
static int host_shutting_down(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *unit, *type;
        bool found = false;
        int r;

        r = open_systemd(&bus);
        if (r < 0)
                return r;
        (void) sd_bus_set_method_call_timeout(bus, 5 * USEC_PER_SEC);
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "ListJobs", &error, &reply, NULL);
        sd_bus_error_free(&error);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(usssoo)");
        while (r >= 0 &&
               (r = sd_bus_message_read(reply, "(usssoo)", NULL, &unit, &type, NULL, NULL, NULL)) > 0)
                if (streq(type, "start") && is_shutdown_target(unit))
                        found = true;
        return r < 0 ? r : found;
}

bool save_managed_on_host_shutdown(Supervisor *s) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        int r;

        if (s->config.on_host_shutdown != HOST_SHUTDOWN_SAVE || s->paths.embedded || s->save ||
            (s->state != SUPERVISOR_RUNNING && s->state != SUPERVISOR_PAUSED))
                return false;
        r = host_shutting_down();
        if (r < 0)
                log_warning_errno(
                        r, "on_host_shutdown=save: cannot ask systemd whether the host shuts down: %m");
        if (r <= 0)
                return false;
        dir = paths_domain_state_dir(&s->paths, s->name);
        if (!dir || asprintf(&path, "%s/" SAVE_MANAGED_NAME, dir) < 0)
                return false;
        r = mkdir_parents(dir, 0750);
        if (r < 0) {
                log_error_errno(r, "on_host_shutdown=save: cannot create %s: %m", dir);
                return false;
        }
        log_info("host is shutting down: saving the guest instead of shutting it down "
                 "(on_host_shutdown=save)");
        (void) sd_notify(false, "STOPPING=1");
        /* A stale one would make the O_EXCL create fail; the guest that
         * runs now is newer than it. */
        (void) unlink(path);
        return save_begin(s, path, /* caller= */ NULL, /* done= */ NULL, NULL) >= 0;
}

/* ---- restore ---- */

static RestoreSource *restore_free(RestoreSource *rs) {
        if (!rs)
                return NULL;
        sd_event_source_disable_unref(rs->pipe_source);
        safe_close(rs->pipe_fd);
        safe_close(rs->file_fd);
        free(rs->buf);
        free(rs->path);
        free(rs);
        return NULL;
}

/* The managed save QEMU could not load goes aside: kept, never retried. */
static void restore_set_aside(RestoreSource *rs) {
        _cleanup_free_ char *failed = NULL;
        char *slash = strrchr(rs->path, '/');

        if (!rs->managed || !slash ||
            asprintf(&failed, "%.*s/" SAVE_MANAGED_FAILED_NAME, (int) (slash - rs->path), rs->path) < 0)
                return;
        if (rename(rs->path, failed) < 0)
                log_warning("could not rename %s: %m", rs->path);
        else
                log_info("moved the managed save aside to %s; the next start boots afresh", failed);
}

/* Open the request or the managed save. Returns 1 with *ret_path and
 * *ret_fd, 0 if there is none, or an exit status (negated) after logging. */
static int restore_open(Supervisor *s, char **ret_path, int *ret_fd, bool *ret_managed) {
        _cleanup_free_ char *dir = paths_domain_state_dir(&s->paths, s->name), *request = NULL,
                            *managed = NULL;
        char target[4096];
        ssize_t n;
        int fd;

        if (!dir || asprintf(&request, "%s/" SAVE_RESTORE_REQUEST_NAME, dir) < 0 ||
            asprintf(&managed, "%s/" SAVE_MANAGED_NAME, dir) < 0)
                return -VMUNIT_EXIT_HOST;
        n = readlink(request, target, sizeof(target) - 1);
        /* A request we cannot read (EACCES from a MAC policy) must not
         * turn `vmctl restore` into a fresh boot, nor haunt the next start. */
        if (n < 0 && errno != ENOENT) {
                log_error("cannot read the restore request %s: %m", request);
                (void) unlink(request);
                return -VMUNIT_EXIT_HOST;
        }
        if (n > 0) {
                target[n] = '\0';
                /* One-shot: whatever happens next, the next start is a
                 * plain one. */
                (void) unlink(request);
                fd = open(target, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return log_error("cannot restore from %s: %m", target), -VMUNIT_EXIT_HOST;
                *ret_path = strdup(target);
                *ret_fd = fd;
                *ret_managed = false;
                return *ret_path ? 1 : -VMUNIT_EXIT_HOST;
        }
        fd = open(managed, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0)
                return log_error("cannot open the managed save %s: %m", managed), -VMUNIT_EXIT_HOST;
        *ret_path = TAKE_PTR(managed);
        *ret_fd = fd;
        *ret_managed = true;
        return 1;
}

/* The saved XML must be this domain (same name and UUID); it replaces the
 * defined one, since QEMU must get exactly the devices it saved with. */
static int restore_adopt_domain(Supervisor *s, const char *path, const char *xml) {
        _cleanup_free_ char *err = NULL;
        Domain *d = NULL;
        char uuid[37];
        int r;

        r = domain_parse_buffer(xml, strlen(xml), path, &d, &err);
        if (r < 0)
                return log_error("%s: the domain XML in the save file is invalid: %s", path,
                                 err ?: "parse error"),
                       VMUNIT_EXIT_CONFIG;
        domain_uuid_format(d->uuid, uuid);
        if (!streq(d->name, s->name) || !streq(uuid, s->uuid)) {
                log_error("%s: saved from domain '%s' (UUID %s), not this one ('%s', UUID %s)", path,
                          d->name, uuid, s->name, s->uuid);
                domain_free(d);
                return VMUNIT_EXIT_CONFIG;
        }
        domain_free(s->domain);
        s->domain = d;
        return 0;
}

int save_prepare_restore(Supervisor *s) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *err = NULL;
        _cleanup_close_ int fd = -EBADF;
        bool managed = false;
        SaveHeader h;
        int r;

        r = restore_open(s, &path, &fd, &managed);
        if (r <= 0)
                return -r;
        r = save_file_read_header(fd, &h, &xml, &err);
        if (r < 0) {
                log_error("%s: cannot restore: %s", path, err ?: "unreadable");
                r = VMUNIT_EXIT_HOST;
        } else
                r = restore_adopt_domain(s, path, xml);
        if (r == 0)
                s->restore = calloc(1, sizeof(RestoreSource));
        if (r == 0 && !s->restore)
                r = VMUNIT_EXIT_HOST;
        if (r > 0) {
                RestoreSource tmp = {
                        .path = TAKE_PTR(path), .managed = managed, .file_fd = -EBADF, .pipe_fd = -EBADF
                };
                restore_set_aside(&tmp);
                free(tmp.path);
                return r;
        }
        *s->restore = (RestoreSource){ .path = TAKE_PTR(path),
                                       .file_fd = TAKE_FD(fd),
                                       .managed = managed,
                                       .running = h.running,
                                       .pipe_fd = -EBADF };
        log_info("restoring the guest from %s (saved %s)", s->restore->path,
                 h.running ? "running" : "paused");
        return 0;
}

bool save_restoring(const Supervisor *s) {
        return s->restore && !s->restore->loaded;
}

/* Copy the file into the pipe as fast as QEMU reads it. */
static int on_restore_pipe(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        RestoreSource *rs = userdata;

        for (;;) {
                ssize_t n;

                if (rs->buf_pos == rs->buf_len) {
                        n = read(rs->file_fd, rs->buf, COPY_CHUNK);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                if (n < 0)
                                        log_error("cannot read %s: %m", rs->path);
                                /* EOF (or a read error, which QEMU then
                                 * sees as a truncated stream). */
                                rs->pipe_source = sd_event_source_disable_unref(rs->pipe_source);
                                rs->pipe_fd = safe_close(rs->pipe_fd);
                                return 0;
                        }
                        rs->buf_len = (size_t) n;
                        rs->buf_pos = 0;
                }
                n = write(fd, rs->buf + rs->buf_pos, rs->buf_len - rs->buf_pos);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n < 0) { /* QEMU closed its end: it says why itself */
                        rs->pipe_source = sd_event_source_disable_unref(rs->pipe_source);
                        rs->pipe_fd = safe_close(rs->pipe_fd);
                        return 0;
                }
                rs->buf_pos += (size_t) n;
        }
}

static void restore_fail(Supervisor *s, const char *what, const char *why) {
        log_error("%s: cannot restore: %s: %s", s->restore->path, what, why);
        s->restore->failed = true;
        lifecycle_quit(s, "stopping (restore failed)");
}

static void on_restore_step(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                            void *userdata) {
        Supervisor *s = userdata;

        if (!reply && save_restoring(s))
                restore_fail(s, "QEMU refused to load it", edesc ?: eclass ?: "unknown error");
}

void save_restore_begin(Supervisor *s) {
        RestoreSource *rs = s->restore;
        _cleanup_close_ int qemu_end = -EBADF;
        int p[2], r;

        rs->buf = malloc(COPY_CHUNK);
        r = rs->buf ? make_pipe(p, /* our_end= */ 1) : -ENOMEM;
        if (r < 0) {
                restore_fail(s, "cannot create a pipe", strerror(-r));
                return;
        }
        qemu_end = p[0];
        rs->pipe_fd = p[1];
        r = sd_event_add_io(s->event, &rs->pipe_source, rs->pipe_fd, EPOLLOUT, on_restore_pipe, rs);
        if (r >= 0)
                r = qmp_client_send(s->qmp, "migrate-set-capabilities", events_capability(), on_restore_step,
                                    s);
        if (r >= 0)
                r = qmp_client_send_fd(s->qmp, "getfd", one_string_arg("fdname", RESTORE_FD_NAME), qemu_end,
                                       on_restore_step, s);
        if (r >= 0)
                r = qmp_client_send(s->qmp, "migrate-incoming", one_string_arg("uri", "fd:" RESTORE_FD_NAME),
                                    on_restore_step, s);
        if (r < 0)
                restore_fail(s, "cannot talk to QEMU", strerror(-r));
}

static void restore_on_migration(Supervisor *s, const char *status) {
        RestoreSource *rs = s->restore;

        if (!streq_ptr(status, "completed"))
                return; /* a failed load makes QEMU 7.2 exit: see save_restore_failed_exit() */
        rs->loaded = true;
        log_info("restored the guest's state from %s", rs->path);
        if (rs->managed && unlink(rs->path) < 0)
                log_warning("could not remove the managed save %s: %m", rs->path);
        lifecycle_restored(s, rs->running);
        s->restore = restore_free(s->restore);
}

int save_restore_failed_exit(Supervisor *s) {
        if (!save_restoring(s))
                return 0;
        /* Stopped while loading (e.g. the host shuts down again at boot):
         * the file is fine, keep it for the next start. */
        if (s->stop_requested && !s->restore->failed) {
                log_info("stopped before %s was loaded; it stays for the next start", s->restore->path);
                return 0;
        }
        log_error("%s: QEMU could not load the saved state (see its messages above)", s->restore->path);
        restore_set_aside(s->restore);
        return VMUNIT_EXIT_HOST;
}

void save_on_qmp_event(Supervisor *s, const char *event, json_object *data) {
        if (!streq(event, "MIGRATION"))
                return;
        if (s->save)
                save_on_migration(s, migration_status(data));
        else if (s->resume_after_migration && migration_over(migration_status(data))) {
                s->resume_after_migration = false;
                if (s->qmp && !s->stop_requested)
                        (void) qmp_client_send(s->qmp, "cont", NULL, NULL, NULL);
        } else if (save_restoring(s))
                restore_on_migration(s, migration_status(data));
}

/* Teardown: QEMU is gone, so only the file and the caller are left. */
void save_done(Supervisor *s) {
        SaveState *st = TAKE_PTR(s->save);

        if (st) {
                log_error("Save: QEMU exited before the state was saved to %s", st->path);
                if (st->file_fd >= 0)
                        (void) unlink(st->path);
                if (st->done)
                        st->done(s, VMUNIT_BUS_ERROR_FAILED, "Save: QEMU exited before the state was saved",
                                 st->userdata);
                save_free(st);
        }
        s->restore = restore_free(s->restore);
}
