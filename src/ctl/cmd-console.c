/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * console NAME: attach the terminal to the guest's serial console.
 *
 * System mode asks the VM's supervisor for the pty over D-Bus
 * (OpenConsole() -> h), so the bus policy decides who may attach; embedded
 * mode opens RUN/NAME/console, the supervisor's link to the pty.
 *
 * Then we relay bytes both ways, stdin in raw mode when it is a terminal,
 * until: Ctrl-] typed (exit 0), stdin at EOF (exit 0, after the pending
 * input went out), the pty hung up because QEMU went away (exit 1 with a
 * line saying the domain stopped: the session ended without the user
 * asking), or SIGINT/SIGTERM/SIGHUP/SIGQUIT (exit 1). The terminal is
 * restored on every one of these paths.
 *
 * One client at a time, as with virsh: two would split the guest's output
 * between them. Each client holds an flock on the pty (every open is its
 * own open file description, so a second client's lock conflicts; the
 * lock goes when the client's fd closes, however it ends). --force
 * attaches anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <systemd/sd-bus.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#define ESCAPE_CHAR 0x1d /* Ctrl-] */
#define CONSOLE_LINK "console"

typedef enum RelayEnd {
        RELAY_ESCAPE,
        RELAY_EOF,
        RELAY_HANGUP,
        RELAY_SIGNAL,
        RELAY_ERROR,
} RelayEnd;

typedef struct Relay {
        int pty;
        int sig;
        bool in_eof;
        char pending[4096]; /* typed, not yet taken by the pty */
        size_t n_pending;
        int signo;
        int error; /* -errno for RELAY_ERROR */
} Relay;

/* ---- getting the pty ---------------------------------------------------- */

static int pty_from_bus(Ctl *ctl, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int fd, r;

        if (ctl->host) {
                log_error("console cannot pass a terminal over -H; run vmctl console on %s itself",
                          ctl->host);
                return -EOPNOTSUPP;
        }
        r = ctl_vm_call(ctl, name, "OpenConsole", &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0)
                return log_error_errno(r, "unexpected reply to OpenConsole from domain '%s': %m", name);
        /* The message owns fd and closes it when freed. */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to keep the console fd: %m");
        return fd;
}

static int pty_from_run_dir(Ctl *ctl, const char *name) {
        _cleanup_free_ char *dir = paths_domain_run_dir(&ctl->paths, name), *path = NULL;
        int fd;

        if (!dir || asprintf(&path, "%s/" CONSOLE_LINK, dir) < 0)
                return log_error_errno(-ENOMEM, "console: %m");
        /* A link left by a killed supervisor may name a reused pty. */
        if (ctl_domain_running_pid(ctl, name) <= 0) {
                log_error("domain '%s' is not running", name);
                return -ESRCH;
        }
        fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
                log_error("domain '%s' has no pty console (no %s: none in its XML, or still starting)", name,
                          path);
                return -ENOENT;
        }
        if (fd < 0)
                return log_error_errno(-errno, "Failed to open the console %s: %m", path);
        if (!isatty(fd)) {
                close(fd);
                log_error("%s is not a terminal", path);
                return -ENOTTY;
        }
        return fd;
}

/* ---- the user's terminal and signals ------------------------------------ */

static int terminal_raw(struct termios *saved) {
        struct termios raw;

        if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved) < 0)
                return 0;
        raw = *saved;
        cfmakeraw(&raw);
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
                return log_error_errno(-errno, "Failed to put the terminal in raw mode: %m");
        return 1;
}

static void terminal_restore(const struct termios *saved) {
        (void) tcsetattr(STDIN_FILENO, TCSADRAIN, saved);
        /* The guest may have left the cursor mid-line. */
        (void) write(STDERR_FILENO, "\n", 1);
}

/* Signals that end the session arrive on a signalfd, so they end the
 * poll loop like anything else and the terminal gets restored. */
static int signals_block(sigset_t *old) {
        sigset_t mask;
        int fd;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGQUIT);
        if (sigprocmask(SIG_BLOCK, &mask, old) < 0)
                return log_error_errno(-errno, "Failed to block signals: %m");
        fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to create a signalfd: %m");
        /* A closed stdout shows as EPIPE from write(). */
        (void) signal(SIGPIPE, SIG_IGN);
        return fd;
}

/* ---- relaying ----------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, buf, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                buf += k, n -= (size_t) k;
        }
        return 0;
}

/* Guest output to stdout. Returns 1 when the pty hung up. */
static int pty_to_stdout(Relay *r) {
        char buf[4096];
        ssize_t n = read(r->pty, buf, sizeof(buf));

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n == 0 || (n < 0 && errno == EIO)) /* QEMU closed its side */
                return 1;
        if (n < 0)
                return -errno;
        return write_all(STDOUT_FILENO, buf, (size_t) n);
}

/* Typed input into the pending buffer. Returns 1 on Ctrl-]. What does not
 * fit is dropped: a guest that does not read its serial port must not
 * stop us from seeing the escape character. */
static int stdin_to_pending(Relay *r) {
        char buf[1024], *esc;
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        size_t take;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n < 0)
                return -errno;
        if (n == 0) {
                r->in_eof = true;
                return 0;
        }
        esc = memchr(buf, ESCAPE_CHAR, (size_t) n);
        take = esc ? (size_t) (esc - buf) : (size_t) n;
        if (take > sizeof(r->pending) - r->n_pending)
                take = sizeof(r->pending) - r->n_pending;
        memcpy(r->pending + r->n_pending, buf, take);
        r->n_pending += take;
        return esc ? 1 : 0;
}

static int flush_pending(Relay *r) {
        ssize_t n = write(r->pty, r->pending, r->n_pending);

        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        memmove(r->pending, r->pending + n, r->n_pending - (size_t) n);
        r->n_pending -= (size_t) n;
        return 0;
}

static RelayEnd relay_fail(Relay *r, int error) {
        r->error = error;
        return RELAY_ERROR;
}

/* One round of poll(); returns -1 to go on, else how the session ended. */
static int relay_step(Relay *r) {
        struct pollfd p[] = {
                { .fd = r->pty, .events = POLLIN | (r->n_pending ? POLLOUT : 0) },
                { .fd = r->in_eof ? -1 : STDIN_FILENO, .events = POLLIN },
                { .fd = r->sig, .events = POLLIN },
        };
        struct signalfd_siginfo si;
        int k;

        if (poll(p, ELEMENTSOF(p), -1) < 0)
                return errno == EINTR ? -1 : (int) relay_fail(r, -errno);
        if (p[2].revents && read(r->sig, &si, sizeof(si)) == sizeof(si)) {
                r->signo = (int) si.ssi_signo;
                return RELAY_SIGNAL;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                k = pty_to_stdout(r);
                if (k != 0)
                        return k > 0 ? RELAY_HANGUP : (int) relay_fail(r, k);
        }
        if ((p[0].revents & POLLOUT) && (k = flush_pending(r)) < 0)
                return relay_fail(r, k);
        if (p[1].revents) {
                k = stdin_to_pending(r);
                if (k != 0)
                        return k > 0 ? RELAY_ESCAPE : (int) relay_fail(r, k);
        }
        return r->in_eof && r->n_pending == 0 ? RELAY_EOF : -1;
}

static RelayEnd relay(Relay *r) {
        int end;

        /* Writes to the pty must never block: the escape has to get through
         * even when the guest reads nothing. */
        if (fcntl(r->pty, F_SETFL, fcntl(r->pty, F_GETFL) | O_NONBLOCK) < 0)
                return relay_fail(r, -errno);
        while ((end = relay_step(r)) < 0)
                ;
        if (end == RELAY_ESCAPE) /* what was typed before ^] still goes */
                (void) flush_pending(r);
        return end;
}

static int report_end(const Relay *r, RelayEnd end, const char *name) {
        switch (end) {
        case RELAY_ESCAPE:
        case RELAY_EOF: return 0;
        case RELAY_HANGUP: log_error("console of domain '%s' closed: the domain stopped", name); return 1;
        case RELAY_SIGNAL:
                log_error("console of domain '%s' closed by signal %s", name, strsignal(r->signo));
                return 1;
        default: log_error_errno(r->error, "console of domain '%s' failed: %m", name); return 1;
        }
}

/* ---- the command -------------------------------------------------------- */

static int attach(int pty, const char *name) {
        _cleanup_close_ int sig = -EBADF;
        Relay r = { .pty = pty };
        struct termios saved;
        sigset_t old;
        RelayEnd end;
        int raw;

        sig = r.sig = signals_block(&old);
        if (sig < 0)
                return 1;
        fprintf(stderr, "Connected to domain '%s'\nEscape character is ^]\n", name);
        raw = terminal_raw(&saved);
        if (raw < 0)
                return 1;
        end = relay(&r);
        if (raw > 0)
                terminal_restore(&saved);
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        return report_end(&r, end, name);
}

static int claim(int pty, const char *name, bool force) {
        if (flock(pty, LOCK_EX | LOCK_NB) >= 0 || force)
                return 0;
        if (errno == EWOULDBLOCK)
                log_error("the console of domain '%s' is in use by another client (--force attaches anyway)",
                          name);
        else
                log_error_errno(negative_errno(), "cannot lock the console of domain '%s': %m", name);
        return -EBUSY;
}

int ctl_cmd_console(Ctl *ctl, int argc, char **argv) {
        _cleanup_close_ int pty = -EBADF;
        bool force = argc > 0 && streq(argv[0], "--force");

        if (force)
                argc--, argv++;
        if (ctl_expect_args(argc, 1, "console [--force] NAME") < 0)
                return 1;
        if (ctl_check_name(argv[0]) < 0)
                return 1;
        pty = ctl->root ? pty_from_run_dir(ctl, argv[0]) : pty_from_bus(ctl, argv[0]);
        if (pty < 0 || claim(pty, argv[0], force) < 0)
                return 1;
        return attach(pty, argv[0]);
}
