/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Save(h fd), SaveToPath(s path), managed save and restore.
 *
 * Saving: stop the vCPUs (a consistent state), write our header (see
 * save-file.h), then let QEMU migrate into a pipe whose other end we copy
 * into the file on the event loop, feeding every byte to the file's MAC;
 * the MAC trailer ends the file. QEMU never opens the file itself, so no
 * AppArmor/SELinux rule and no change of owner is needed for it. Once
 * QEMU says the migration completed and the pipe is drained, the trailer
 * is written, the file fsynced and QEMU quits; the supervisor exits 0.
 *
 * Where the file comes from decides how a failure is cleaned up, and in
 * no case is a path of a caller's resolved or unlinked by us:
 *   - Save(h): the caller opened the file itself (vmctl save, as the
 *     calling user) and passed the fd; we accept only a writable fd to an
 *     empty regular file on a real file system. On failure we truncate the
 *     fd to 0; vmctl, as the user, removes its own file.
 *   - SaveToPath(s) (root only, for vmctl -H where fds cannot travel) and
 *     the managed save: the directory is resolved once, the file is an
 *     O_TMPFILE in it, linked into place only once complete. A failure
 *     just closes it: nothing has a name to remove.
 *
 * Restoring: a request left by `vmctl restore` (STATE/NAME/restore, a
 * root-owned hard link or copy of the file) or a managed save
 * (STATE/NAME/managed.save) is opened relative to the state directory
 * without following symlinks, must be root's (our euid's) and writable by
 * nobody else, and is verified in full (its MAC, with this host's key)
 * before QEMU sees a byte. The domain QEMU starts with is the defined one,
 * never the XML in the file, which must describe the same machine
 * (save_domains_compatible()). QEMU is started with -incoming defer and
 * the stream is fed into a pipe QEMU reads (migrate-incoming fd:). The
 * request is one-shot: it is removed when the supervisor picks it up, so a
 * restore that fails never haunts the next start. A managed save is
 * removed once QEMU has loaded it; one that cannot be loaded is renamed to
 * managed.save.failed (kept for inspection), so the next start boots
 * afresh. Verifying and loading a large file take long: both send
 * EXTEND_TIMEOUT_USEC while they make progress, so TimeoutStartSec= only
 * has to cover a start that is stuck.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
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
/* While saving for a host shutdown, or verifying and loading a restore,
 * keep systemd's stop/start timeout this far ahead of us; renewed every
 * second as long as data keeps flowing. */
#define PROGRESS_EXTEND_USEC (30 * USEC_PER_SEC)
#define PROGRESS_EXTEND_STR "EXTEND_TIMEOUT_USEC=30000000"

typedef struct SaveState {
        Supervisor *s;
        SupervisorOpDone done; /* NULL for a managed save */
        void *userdata;
        char *what;  /* the file for messages, escaped (cescape()) */
        int file_fd; /* written to */
        int dir_fd;  /* O_TMPFILE variants: link name into this directory on success */
        char *name;  /* NULL: a caller's fd, truncated on failure */
        SaveMac mac;
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
        char *what; /* the file for messages */
        int dir_fd; /* the domain's state directory */
        bool managed;
        int file_fd; /* verified; QEMU's stream is [offset, offset + left) */
        uint64_t offset, left;
        bool running; /* the guest ran when saved */
        bool loaded;
        bool failed; /* we gave up on it (QEMU refused a step) */
        int pipe_fd; /* our (write) end */
        sd_event_source *pipe_source;
        sd_event_source *tick;
        uint64_t fed, fed_at_last_tick;
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

/* The host's save key (save-file.h), from the state directory's root. */
static int load_save_key(Supervisor *s, uint8_t key[static SAVE_KEY_SIZE], char **ret_error) {
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        r = mkdir_parents(s->paths.state_dir, 0755);
        if (r < 0)
                return set_errorf(ret_error, r, "cannot create %s: %s", s->paths.state_dir, strerror(-r));
        dir_fd = open(s->paths.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return set_errorf(ret_error, negative_errno(), "cannot open %s: %m", s->paths.state_dir);
        return save_key_load(dir_fd, key, ret_error);
}

/* "EXTEND_TIMEOUT_USEC=" for systemd: we are slow, not stuck. Ignored by
 * systemd when no start or stop job runs. */
static void extend_timeout(void) {
        (void) sd_notify(false, PROGRESS_EXTEND_STR);
}

/* ---- Save ---- */

static void save_free(SaveState *st) {
        if (!st)
                return;
        sd_event_source_disable_unref(st->pipe_source);
        sd_event_source_disable_unref(st->tick);
        safe_close(st->file_fd);
        safe_close(st->dir_fd);
        safe_close(st->pipe_fd);
        free(st->what);
        free(st->name);
        free(st);
}

/* A SaveState for a caller (done NULL: a managed save), no file yet. */
static SaveState *save_state_new(SupervisorOpDone done, void *userdata) {
        SaveState *st = calloc(1, sizeof(*st));

        if (st)
                *st = (SaveState){ .done = done,
                                   .userdata = userdata,
                                   .file_fd = -EBADF,
                                   .dir_fd = -EBADF,
                                   .pipe_fd = -EBADF };
        return st;
}

/* Nothing half-written stays: a caller's file is emptied (theirs to
 * remove), an O_TMPFILE just goes when closed. */
static void save_discard_file(SaveState *st) {
        if (st->file_fd >= 0 && !st->name && ftruncate(st->file_fd, 0) < 0)
                log_warning("could not truncate the partial save file %s: %m", st->what);
        st->file_fd = safe_close(st->file_fd);
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
        save_discard_file(st);
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

/* Trailer, fsync, and for an O_TMPFILE its name. */
static int save_complete_file(SaveState *st) {
        char trailer[SAVE_FILE_TRAILER_SIZE], proc[PROC_FD_PATH_MAX];
        int r;

        save_mac_trailer(&st->mac, trailer);
        r = write_full(st->file_fd, trailer, sizeof(trailer));
        if (r < 0)
                return r;
        if (fsync(st->file_fd) < 0)
                return negative_errno();
        if (st->name &&
            linkat(AT_FDCWD, proc_fd_path(st->file_fd, proc), st->dir_fd, st->name, AT_SYMLINK_FOLLOW) < 0)
                return negative_errno();
        return 0;
}

static void save_finish(Supervisor *s) {
        SaveState *st = s->save;
        int r;

        if (!st->completed || !st->eof)
                return;
        r = save_complete_file(st);
        if (r < 0) {
                errno = -r;
                save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: cannot write %s: %m", st->what);
                return;
        }
        st->file_fd = safe_close(st->file_fd);
        s->save = NULL;
        log_info("saved the guest's state to %s (%llu KiB)", st->what,
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
                        save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: cannot write %s: %m", st->what);
                        return 0;
                }
                save_mac_update(&st->mac, buf, (size_t) n);
                st->bytes += (uint64_t) n;
        }
        return 0;
}

static int on_save_tick(sd_event_source *es, uint64_t usec, void *userdata) {
        Supervisor *s = userdata;
        SaveState *st = s->save;

        /* A fixed text and a number: no caller string reaches sd_notify. */
        lifecycle_set_status(s, "saving (%llu MiB)", (unsigned long long) (st->bytes >> 20));
        /* A host shutdown waits for us (TimeoutStopSec= only covers an
         * ACPI shutdown). */
        extend_timeout();
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

/* Key, MAC and header into st's file. Returns 0 or -errno with *ret_msg. */
static int save_write_header(Supervisor *s, SaveState *st, bool running, char **ret_msg) {
        _cleanup_free_ char *xml = NULL, *header = NULL, *err = NULL;
        uint8_t key[SAVE_KEY_SIZE];
        size_t len;
        int r;

        r = load_save_key(s, key, &err);
        if (r < 0)
                return set_errorf(ret_msg, r, "Save: cannot use this host's save key: %s",
                                  err ?: strerror(-r));
        save_mac_init(&st->mac, key);
        explicit_bzero(key, sizeof(key));
        r = domain_format_xml(s->domain, &xml);
        if (r >= 0)
                r = save_header_format(xml, running, &header, &len);
        if (r >= 0)
                r = write_full(st->file_fd, header, len);
        if (r < 0)
                return set_errorf(ret_msg, r, "Save: cannot write %s: %s", st->what, strerror(-r));
        save_mac_update(&st->mac, header, len);
        return 0;
}

/* Start a save into st (done, userdata, what and its file set up; taken
 * over); done is NULL for a managed save. Returns 0 if started; otherwise done (if any) has been
 * called, or -errno for the managed caller. */
static int save_begin(Supervisor *s, SaveState *st) {
        _cleanup_free_ char *msg = NULL;
        bool running = s->state == SUPERVISOR_RUNNING;
        int r;

        st->s = s;
        st->was_running = running;
        r = save_write_header(s, st, running, &msg);
        if (r < 0) {
                log_error("%s", msg ?: "Save: cannot write the header");
                save_discard_file(st);
                if (st->done)
                        st->done(s, VMUNIT_BUS_ERROR_FAILED, msg ?: "Save: cannot write the header",
                                 st->userdata);
                save_free(st);
                return r;
        }
        s->save = st;
        log_info("saving the guest's state to %s", st->what);
        /* The vCPUs stop first so what lands in the file is one instant. */
        if (!running)
                save_migrate(s);
        else if (qmp_client_send(s->qmp, "stop", NULL, on_stop_reply, s) < 0) {
                st->was_running = false;
                save_fail(s, VMUNIT_BUS_ERROR_FAILED, "Save: QEMU monitor is gone");
        }
        return 0;
}

/* State and Busy: whether a Save() may start now (else done was called). */
static bool save_may_start(Supervisor *s, SupervisorOpDone done, void *userdata) {
        if (s->state != SUPERVISOR_RUNNING && s->state != SUPERVISOR_PAUSED) {
                done(s, VMUNIT_BUS_ERROR_INVALID_STATE, "Save: domain is not running or paused", userdata);
                return false;
        }
        if (s->save || s->reboot_call || s->stop_requested) {
                done(s, VMUNIT_BUS_ERROR_BUSY, "Save: another Save(), Reboot() or stop is in progress",
                     userdata);
                return false;
        }
        return true;
}

/* File systems whose "files" are kernel interfaces: a write there as root
 * is not a write of data, whoever opened it. */
static bool is_pseudo_fs(int64_t type) {
        static const int64_t types[] = { PROC_SUPER_MAGIC,    SYSFS_MAGIC,         CGROUP_SUPER_MAGIC,
                                         CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC,       SECURITYFS_MAGIC,
                                         TRACEFS_MAGIC,       BPF_FS_MAGIC,        PSTOREFS_MAGIC,
                                         EFIVARFS_MAGIC,      DEVPTS_SUPER_MAGIC,  SELINUX_MAGIC,
                                         SMACK_MAGIC,         NSFS_MAGIC,          PIPEFS_MAGIC,
                                         SOCKFS_MAGIC,        ANON_INODE_FS_MAGIC, BINFMTFS_MAGIC };

        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (type == types[i])
                        return true;
        return false;
}

/* A caller's fd is good for a save only when it is a writable fd to an
 * empty regular file on a real file system. Returns 0 or -EINVAL with
 * *ret_msg. */
static int check_save_fd(int fd, char **ret_msg) {
        struct statfs sfs;
        struct stat st;
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0 || fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0)
                return set_errorf(ret_msg, -EINVAL, "Save: cannot inspect the file descriptor: %m");
        if ((flags & O_ACCMODE) != O_WRONLY && (flags & O_ACCMODE) != O_RDWR)
                return set_errorf(ret_msg, -EINVAL, "Save: the file descriptor is not open for writing");
        if (!S_ISREG(st.st_mode) || is_pseudo_fs((int64_t) sfs.f_type))
                return set_errorf(ret_msg, -EINVAL,
                                  "Save: the file descriptor is not a regular file on a real file system");
        if (st.st_size != 0)
                return set_errorf(ret_msg, -EINVAL,
                                  "Save: the file is not empty; Save() writes only into a new, empty file");
        return 0;
}

/* The file behind fd for messages: its path, escaped (the name is the
 * caller's choice), or what it is. */
static char *describe_fd(int fd) {
        _cleanup_free_ char *path = NULL;

        if (fd_get_path(fd, &path) < 0)
                return strdup("the caller's file");
        return cescape(path, 512);
}

void save_start_fd(Supervisor *s, int fd, SupervisorOpDone done, void *userdata) {
        _cleanup_free_ char *msg = NULL;
        SaveState *st;
        int r;

        if (!save_may_start(s, done, userdata))
                return;
        r = check_save_fd(fd, &msg);
        if (r < 0) {
                log_warning("%s", msg ?: "Save: bad file descriptor");
                done(s, VMUNIT_BUS_ERROR_INVALID_ARGS, msg ?: "Save: bad file descriptor", userdata);
                return;
        }
        st = save_state_new(done, userdata);
        if (st) {
                st->file_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                st->what = describe_fd(fd);
        }
        if (!st || st->file_fd < 0 || !st->what) {
                if (st)
                        save_free(st);
                done(s, VMUNIT_BUS_ERROR_FAILED, "Save: out of memory or file descriptors", userdata);
                return;
        }
        (void) save_begin(s, st);
}

/* An O_TMPFILE in the directory dir_fd, to be linked as name on success.
 * Refuses (-EEXIST) when name exists already. Fills *st. */
static int save_tmpfile_in(int dir_fd, const char *name, SaveState *st, char **ret_msg) {
        _cleanup_close_ int fd = -EBADF;
        struct stat sb;

        if (fstatat(dir_fd, name, &sb, AT_SYMLINK_NOFOLLOW) >= 0)
                return set_errorf(ret_msg, -EEXIST, "Save: %s already exists; not overwriting it", st->what);
        if (errno != ENOENT)
                return set_errorf(ret_msg, negative_errno(), "Save: cannot use %s: %m", st->what);
        fd = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0)
                return set_errorf(ret_msg, negative_errno(), "Save: cannot create %s: %m", st->what);
        st->name = strdup(name);
        if (!st->name)
                return set_errorf(ret_msg, -ENOMEM, "Save: out of memory");
        st->file_fd = TAKE_FD(fd);
        return 0;
}

/* SaveToPath(s): the directory of path resolved once (no magic links),
 * the file created in it. Root only (bus.c). */
static int save_open_path(const char *path, SaveState *st, char **ret_msg) {
        _cleanup_free_ char *dir = NULL;
        const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
        int r;

        if (path[0] != '/' || !*name || streq(name, ".") || streq(name, ".."))
                return set_errorf(ret_msg, -EINVAL, "Save: '%s' is not an absolute path to a file",
                                  st->what);
        dir = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        if (!dir)
                return set_errorf(ret_msg, -ENOMEM, "Save: out of memory");
        r = resolve_path_once(dir, /* no_symlinks= */ false);
        /* vm@.service has RestrictSUIDSGID=yes, and systemd's seccomp
         * filter answers openat2() with ENOSYS there (it cannot inspect
         * openat2's mode). A plain O_PATH open still resolves the
         * directory once, to one inode for good; only magic links are not
         * excluded, no loss for a path root gave. */
        if (r == -ENOSYS) {
                r = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (r < 0)
                        r = negative_errno();
        }
        if (r < 0)
                return set_errorf(ret_msg, r, "Save: cannot use the directory of %s: %s", st->what,
                                  strerror(-r));
        st->dir_fd = r;
        return save_tmpfile_in(st->dir_fd, name, st, ret_msg);
}

void save_start_path(Supervisor *s, const char *path, SupervisorOpDone done, void *userdata) {
        _cleanup_free_ char *msg = NULL;
        SaveState *st;
        int r;

        if (!save_may_start(s, done, userdata))
                return;
        st = save_state_new(done, userdata);
        if (!st) {
                done(s, VMUNIT_BUS_ERROR_FAILED, "Save: out of memory", userdata);
                return;
        }
        st->what = cescape(path ?: "", 512);
        r = st->what ? save_open_path(path ?: "", st, &msg) : -ENOMEM;
        if (r < 0) {
                log_warning("%s", msg ?: "Save: out of memory");
                done(s,
                     r == -EEXIST || r == -EINVAL ? VMUNIT_BUS_ERROR_INVALID_ARGS : VMUNIT_BUS_ERROR_FAILED,
                     msg ?: "Save: out of memory", userdata);
                save_free(st);
                return;
        }
        (void) save_begin(s, st);
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
                          "Save: QEMU's migration to %s %s (see QEMU's messages)", s->save->what, status);
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

/* The domain's state directory, created if missing, as an fd. */
static int open_state_dir(Supervisor *s, bool create) {
        _cleanup_free_ char *dir = paths_domain_state_dir(&s->paths, s->name);
        int fd, r;

        if (!dir)
                return -ENOMEM;
        if (create) {
                r = mkdir_parents(dir, 0750);
                if (r < 0)
                        return r;
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? negative_errno() : fd;
}

static int managed_save_begin(Supervisor *s) {
        _cleanup_free_ char *msg = NULL;
        SaveState *st = save_state_new(/* done= */ NULL, NULL);
        int r;

        if (!st)
                return -ENOMEM;
        st->dir_fd = open_state_dir(s, /* create= */ true);
        st->what = paths_domain_state_dir(&s->paths, s->name);
        if (st->dir_fd < 0 || !st->what || asprintf(&msg, "%s/" SAVE_MANAGED_NAME, st->what) < 0) {
                r = st->dir_fd < 0 ? st->dir_fd : -ENOMEM;
                save_free(st);
                return log_error_errno(r, "on_host_shutdown=save: cannot open the state directory: %m");
        }
        free(st->what);
        st->what = TAKE_PTR(msg);
        /* A stale one would be in the way of the link; the guest that
         * runs now is newer than it. */
        (void) unlinkat(st->dir_fd, SAVE_MANAGED_NAME, 0);
        r = save_tmpfile_in(st->dir_fd, SAVE_MANAGED_NAME, st, &msg);
        if (r < 0) {
                log_error("on_host_shutdown=save: %s", msg ?: "out of memory");
                save_free(st);
                return r;
        }
        return save_begin(s, st);
}

bool save_managed_on_host_shutdown(Supervisor *s) {
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
        log_info("host is shutting down: saving the guest instead of shutting it down "
                 "(on_host_shutdown=save)");
        (void) sd_notify(false, "STOPPING=1");
        return managed_save_begin(s) >= 0;
}

/* ---- restore ---- */

static RestoreSource *restore_free(RestoreSource *rs) {
        if (!rs)
                return NULL;
        sd_event_source_disable_unref(rs->pipe_source);
        sd_event_source_disable_unref(rs->tick);
        safe_close(rs->pipe_fd);
        safe_close(rs->file_fd);
        safe_close(rs->dir_fd);
        free(rs->buf);
        free(rs->what);
        free(rs);
        return NULL;
}

/* The managed save QEMU could not load goes aside: kept, never retried. */
static void restore_set_aside(RestoreSource *rs) {
        if (!rs->managed)
                return;
        if (renameat(rs->dir_fd, SAVE_MANAGED_NAME, rs->dir_fd, SAVE_MANAGED_FAILED_NAME) < 0)
                log_warning("could not rename %s: %m", rs->what);
        else
                log_info("moved the managed save aside to " SAVE_MANAGED_FAILED_NAME
                         "; the next start boots afresh");
}

/* Open name in the state directory without following a symlink. Returns
 * the fd, 0 if there is none, or an exit status (negated) after logging. */
static int restore_open_one(int dir_fd, const char *name, const char *what) {
        int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

        if (fd >= 0)
                return fd;
        if (errno == ENOENT)
                return 0;
        /* A request we cannot read (EACCES from a MAC policy) must not
         * turn `vmctl restore` into a fresh boot. */
        if (errno == ELOOP)
                log_error("%s is a symlink (an old-style restore request): refused; run vmctl restore "
                          "again",
                          what);
        else
                log_error("cannot read the restore request %s: %m", what);
        return -VMUNIT_EXIT_HOST;
}

/* Only what root (we) wrote and nobody else can change: the file is read
 * twice (verification, then QEMU), and must not change in between. */
static int restore_check_owner(int fd, const char *what) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return log_error("cannot stat %s: %m", what), -VMUNIT_EXIT_HOST;
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
                return log_error("%s is not a regular file of uid %u that only it may write; refused", what,
                                 (unsigned) geteuid()),
                       -VMUNIT_EXIT_HOST;
        return 0;
}

/* The request (one-shot: removed at once) or the managed save into *rs.
 * Returns 1, 0 if there is none, or an exit status (negated). */
static int restore_open(Supervisor *s, RestoreSource *rs) {
        _cleanup_free_ char *dir = paths_domain_state_dir(&s->paths, s->name);
        int fd;

        if (!dir)
                return -VMUNIT_EXIT_HOST;
        rs->dir_fd = open_state_dir(s, /* create= */ false);
        if (rs->dir_fd == -ENOENT)
                return 0;
        if (rs->dir_fd < 0)
                return log_error_errno(rs->dir_fd, "cannot open %s: %m", dir), -VMUNIT_EXIT_HOST;
        if (asprintf(&rs->what, "%s/" SAVE_RESTORE_REQUEST_NAME, dir) < 0)
                return -VMUNIT_EXIT_HOST;
        fd = restore_open_one(rs->dir_fd, SAVE_RESTORE_REQUEST_NAME, rs->what);
        if (fd != 0)
                (void) unlinkat(rs->dir_fd, SAVE_RESTORE_REQUEST_NAME, 0);
        if (fd == 0) {
                free(rs->what);
                rs->managed = true;
                if (asprintf(&rs->what, "%s/" SAVE_MANAGED_NAME, dir) < 0)
                        return -VMUNIT_EXIT_HOST;
                fd = restore_open_one(rs->dir_fd, SAVE_MANAGED_NAME, rs->what);
        }
        if (fd <= 0)
                return fd;
        rs->file_fd = fd;
        return restore_check_owner(fd, rs->what) < 0 ? -VMUNIT_EXIT_HOST : 1;
}

static void on_verify_progress(uint64_t done, uint64_t total, void *userdata) {
        Supervisor *s = userdata;

        lifecycle_set_status(s, "verifying the saved state (%llu of %llu MiB)",
                             (unsigned long long) (done >> 20), (unsigned long long) (total >> 20));
        extend_timeout();
}

/* The whole file authenticated with this host's key, and its domain the
 * defined one. Returns 0 or an exit status after logging. */
static int restore_verify(Supervisor *s, RestoreSource *rs) {
        _cleanup_(save_verified_done) SaveVerified v = {};
        _cleanup_free_ char *err = NULL;
        _cleanup_domain_ Domain *saved = NULL;
        uint8_t key[SAVE_KEY_SIZE];
        int r;

        r = load_save_key(s, key, &err);
        if (r < 0)
                return log_error("%s: cannot restore: this host's save key: %s", rs->what, err),
                       VMUNIT_EXIT_HOST;
        extend_timeout();
        r = save_file_verify(rs->file_fd, key, on_verify_progress, s, &v, &err);
        explicit_bzero(key, sizeof(key));
        if (r < 0)
                return log_error("%s: cannot restore: %s", rs->what, err ?: strerror(-r)), VMUNIT_EXIT_HOST;
        r = domain_parse_buffer(v.xml, strlen(v.xml), rs->what, &saved, &err);
        if (r < 0)
                return log_error("%s: cannot restore: the domain XML in it is invalid: %s", rs->what,
                                 err ?: "parse error"),
                       VMUNIT_EXIT_CONFIG;
        r = save_domains_compatible(s->domain, saved, &err);
        if (r < 0)
                return log_error("%s: cannot restore into the defined domain: %s", rs->what,
                                 err ?: strerror(-r)),
                       VMUNIT_EXIT_CONFIG;
        rs->offset = v.stream_offset;
        rs->left = v.stream_size;
        rs->running = v.header.running;
        return 0;
}

int save_prepare_restore(Supervisor *s) {
        RestoreSource *rs = calloc(1, sizeof(*rs));
        int r;

        if (!rs)
                return VMUNIT_EXIT_HOST;
        *rs = (RestoreSource){ .dir_fd = -EBADF, .file_fd = -EBADF, .pipe_fd = -EBADF };
        r = restore_open(s, rs);
        if (r <= 0) {
                restore_free(rs);
                return -r;
        }
        r = restore_verify(s, rs);
        if (r > 0) {
                restore_set_aside(rs);
                restore_free(rs);
                return r;
        }
        s->restore = rs;
        log_info("restoring the guest from %s (saved %s)", rs->what, rs->running ? "running" : "paused");
        return 0;
}

bool save_restoring(const Supervisor *s) {
        return s->restore && !s->restore->loaded;
}

/* Stop feeding QEMU: it has all of the stream, or is gone. */
static int restore_stop_feeding(RestoreSource *rs) {
        rs->pipe_source = sd_event_source_disable_unref(rs->pipe_source);
        rs->pipe_fd = safe_close(rs->pipe_fd);
        return 0;
}

/* Copy the stream into the pipe as fast as QEMU reads it. */
static int on_restore_pipe(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        RestoreSource *rs = userdata;

        for (;;) {
                ssize_t n;

                if (rs->buf_pos == rs->buf_len) {
                        size_t want = rs->left < COPY_CHUNK ? (size_t) rs->left : COPY_CHUNK;

                        if (want == 0)
                                return restore_stop_feeding(rs); /* EOF for QEMU */
                        n = pread(rs->file_fd, rs->buf, want, (off_t) rs->offset);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                /* QEMU then sees a truncated stream and says so. */
                                log_error("cannot read %s: %s", rs->what,
                                          n < 0 ? strerror(errno) : "short file");
                                return restore_stop_feeding(rs);
                        }
                        rs->offset += (uint64_t) n;
                        rs->left -= (uint64_t) n;
                        rs->buf_len = (size_t) n;
                        rs->buf_pos = 0;
                }
                n = write(fd, rs->buf + rs->buf_pos, rs->buf_len - rs->buf_pos);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n < 0) /* QEMU closed its end: it says why itself */
                        return restore_stop_feeding(rs);
                rs->buf_pos += (size_t) n;
                rs->fed += (uint64_t) n;
        }
}

/* While QEMU loads: a start that makes progress is not timed out. */
static int on_restore_tick(sd_event_source *es, uint64_t usec, void *userdata) {
        Supervisor *s = userdata;
        RestoreSource *rs = s->restore;

        if (rs->fed != rs->fed_at_last_tick || rs->fed_at_last_tick == 0) {
                lifecycle_set_status(s, "restoring (%llu MiB)", (unsigned long long) (rs->fed >> 20));
                extend_timeout();
        }
        rs->fed_at_last_tick = rs->fed;
        (void) sd_event_source_set_time_relative(es, USEC_PER_SEC);
        return sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
}

static void restore_fail(Supervisor *s, const char *what, const char *why) {
        log_error("%s: cannot restore: %s: %s", s->restore->what, what, why);
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
                r = sd_event_add_time_relative(s->event, &rs->tick, CLOCK_MONOTONIC, 0, 0, on_restore_tick,
                                               s);
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
        log_info("restored the guest's state from %s", rs->what);
        if (rs->managed && unlinkat(rs->dir_fd, SAVE_MANAGED_NAME, 0) < 0)
                log_warning("could not remove the managed save %s: %m", rs->what);
        lifecycle_restored(s, rs->running);
        s->restore = restore_free(s->restore);
}

int save_restore_failed_exit(Supervisor *s) {
        if (!save_restoring(s))
                return 0;
        /* Stopped while loading (e.g. the host shuts down again at boot):
         * the file is fine, keep it for the next start. */
        if (s->stop_requested && !s->restore->failed) {
                log_info("stopped before %s was loaded; it stays for the next start", s->restore->what);
                return 0;
        }
        log_error("%s: QEMU could not load the saved state (see its messages above)", s->restore->what);
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
                log_error("Save: QEMU exited before the state was saved to %s", st->what);
                save_discard_file(st);
                if (st->done)
                        st->done(s, VMUNIT_BUS_ERROR_FAILED, "Save: QEMU exited before the state was saved",
                                 st->userdata);
                save_free(st);
        }
        s->restore = restore_free(s->restore);
}
