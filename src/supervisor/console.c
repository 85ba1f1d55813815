/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest console's pty, for `vmctl console`.
 *
 * QEMU creates the pty itself (-chardev pty). We ask it which one with
 * query-chardev before `cont`, that is before the guest has run a single
 * instruction, so the answer comes from a QEMU the guest cannot have
 * subverted yet. We keep the path and record it in the runtime directory
 * as the symlink RUN/console -> /dev/pts/N: embedded-mode vmctl opens that
 * itself (the pty belongs to the invoking user there). In system mode
 * OpenConsole() gets an fd that we open, so that who may use the console
 * is decided by the bus policy (root and group vmunit), not by the pty's
 * owner (QEMU's user).
 *
 * Which chardev: the serial port with the lowest number that has a pty
 * backend (the one whose output also goes to console.log), else the first
 * virtio console with one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "supervisor.h"
#include "vm-bus.h"

#define CONSOLE_LINK "console"
#define PTY_PREFIX "pty:"
#define PTS_DIR "/dev/pts/"
/* UNIX98_PTY_SLAVE_MAJOR .. + UNIX98_PTY_MAJOR_COUNT - 1 */
#define PTS_MAJOR_FIRST 136u
#define PTS_MAJOR_LAST 143u

static bool domain_has_pty(const Domain *d) {
        for (size_t i = 0; i < d->n_chars; i++)
                if (d->chars[i].type == DOMAIN_CHAR_PTY)
                        return true;
        return false;
}

/* Preference of a chardev by its id (qemu-argv-devices.c names them):
 * lower is better, -1 for ids that are not a serial port or console. */
static int chardev_rank(const char *label) {
        unsigned n;
        int end = 0;

        if (sscanf(label, "charserial%u%n", &n, &end) == 1 && label[end] == '\0' && n < 1000)
                return (int) n;
        if (sscanf(label, "charconsole%u%n", &n, &end) == 1 && label[end] == '\0' && n < 1000)
                return 1000 + (int) n;
        return -1;
}

/* "/dev/pts/N" and nothing else: the path is opened as root later. */
static bool pts_path_valid(const char *path) {
        const char *n = path + strlen(PTS_DIR);

        return strncmp(path, PTS_DIR, strlen(PTS_DIR)) == 0 && *n && strspn(n, "0123456789") == strlen(n);
}

/* The pty path of the preferred chardev in a query-chardev reply, or NULL. */
static const char *pick_pty(json_object *reply) {
        const char *best = NULL;
        int best_rank = -1;

        if (!json_object_is_type(reply, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(reply); i++) {
                json_object *e = json_object_array_get_idx(reply, i), *label, *file;
                const char *f;
                int rank;

                if (!json_object_object_get_ex(e, "label", &label) ||
                    !json_object_object_get_ex(e, "filename", &file))
                        continue;
                rank = chardev_rank(json_object_get_string(label));
                f = json_object_get_string(file);
                if (rank < 0 || !f || strncmp(f, PTY_PREFIX, strlen(PTY_PREFIX)) != 0)
                        continue;
                if (best_rank < 0 || rank < best_rank)
                        best = f + strlen(PTY_PREFIX), best_rank = rank;
        }
        return best;
}

/* RUN/console -> /dev/pts/N. A failure costs embedded-mode vmctl only. */
static void record_pty(Supervisor *s) {
        _cleanup_free_ char *link = NULL;

        if (asprintf(&link, "%s/" CONSOLE_LINK, s->run_dir) < 0) {
                log_warning("console: out of memory recording the pty");
                return;
        }
        (void) unlink(link);
        if (symlink(s->console_pty, link) < 0)
                log_warning_errno(-errno, "console: cannot record the pty as %s: %m", link);
}

static void on_query_chardev(QmpClient *c, json_object *reply, const char *eclass, const char *edesc,
                             void *userdata) {
        Supervisor *s = userdata;
        const char *pty;

        if (!reply) {
                log_warning("console: query-chardev failed: %s", edesc ?: eclass ?: "unknown error");
                return;
        }
        pty = pick_pty(reply);
        if (!pty) {
                log_warning("console: QEMU reported no pty for the domain's serial console");
                return;
        }
        if (!pts_path_valid(pty)) {
                log_warning("console: QEMU reported pty '%s', which is not under " PTS_DIR "; ignored", pty);
                return;
        }
        if (free_and_strdup(&s->console_pty, pty) < 0) {
                log_warning("console: out of memory");
                return;
        }
        log_info("console: %s", s->console_pty);
        record_pty(s);
}

void console_on_qmp_ready(Supervisor *s) {
        if (!domain_has_pty(s->domain))
                return;
        /* Queued before `cont`: answered before the guest runs. */
        if (qmp_client_send(s->qmp, "query-chardev", NULL, on_query_chardev, s) < 0)
                log_warning("console: cannot ask QEMU for the console's pty");
}

/* Whom the pty must belong to: devpts gives a new pty to the fsuid of
 * whoever opened /dev/ptmx, i.e. QEMU. Checked on every open because the
 * number is reused once QEMU closes its side: a QEMU subverted later
 * could do that so that ours names someone else's terminal. */
static uid_t pty_owner(const Supervisor *s) {
        return s->identity.change ? s->identity.uid : geteuid();
}

static int open_pty(Supervisor *s, const char **ret_error, char **ret_message) {
        _cleanup_close_ int fd = open(s->console_pty, O_RDWR | O_NOCTTY | O_CLOEXEC);
        struct stat st;

        *ret_error = VMUNIT_BUS_ERROR_FAILED;
        if (fd < 0 || fstat(fd, &st) < 0)
                return set_errorf(ret_message, negative_errno(), "cannot open the console %s: %m",
                                  s->console_pty);
        if (!S_ISCHR(st.st_mode) || major(st.st_rdev) < PTS_MAJOR_FIRST ||
            major(st.st_rdev) > PTS_MAJOR_LAST || st.st_uid != pty_owner(s))
                return set_errorf(ret_message, -EPERM,
                                  "%s is no longer the domain's console (not a pty owned by uid %u)",
                                  s->console_pty, (unsigned) pty_owner(s));
        log_info("console: %s opened for a client", s->console_pty);
        return TAKE_FD(fd);
}

int console_open(Supervisor *s, const char **ret_error, char **ret_message) {
        if (!domain_has_pty(s->domain)) {
                *ret_error = VMUNIT_BUS_ERROR_NOT_SUPPORTED;
                return set_errorf(ret_message, -EOPNOTSUPP,
                                  "domain has no pty console (add <serial type='pty'/> to its XML)");
        }
        *ret_error = VMUNIT_BUS_ERROR_INVALID_STATE;
        if (s->state >= SUPERVISOR_QUITTING)
                return set_errorf(ret_message, -ESRCH, "domain is not running");
        if (!s->console_pty && s->state == SUPERVISOR_STARTING)
                return set_errorf(ret_message, -EAGAIN, "domain is still starting; try again");
        *ret_error = VMUNIT_BUS_ERROR_FAILED;
        if (!s->console_pty)
                return set_errorf(ret_message, -ENXIO,
                                  "QEMU did not report the console's pty (see the domain's log)");
        return open_pty(s, ret_error, ret_message);
}

void console_done(Supervisor *s) {
        /* The RUN/console link goes with the runtime directory. */
        free(s->console_pty);
        s->console_pty = NULL;
}
