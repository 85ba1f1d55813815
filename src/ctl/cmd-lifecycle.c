/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * start / shutdown / destroy / autostart. In system mode these are systemd
 * jobs and unit-file operations on vm@NAME.service, done through systemd's
 * D-Bus API so vmctl and systemctl never disagree (with -H, the remote
 * host's systemd). In embedded mode (--root R) vmctl plays systemd's part
 * for start, shutdown and destroy: it runs the supervisor detached, waits
 * for its READY=1, and signals it to stop.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "ctl.h"
#include "fs-util.h"
#include "log.h"
#include "systemd-manager.h"
#include "unit-name.h"

#define EMBEDDED_START_TIMEOUT_MS (90 * 1000)

/* The domain's definition must exist. Locally that is its XML file; with
 * -H the files are out of reach, but the generator gave every defined
 * domain's unit a drop-in, which the remote systemd can tell us about. */
static int check_defined(Ctl *ctl, const char *name, const char *unit) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (ctl->host) {
                r = manager_open(ctl, &bus);
                if (r >= 0)
                        r = manager_unit_has_dropin(bus, unit, "50-vmunit.conf");
                if (r == 0)
                        log_error("domain '%s' is not defined on %s (%s has no vmunit drop-in)", name,
                                  ctl->host, unit);
                return r > 0 ? 0 : -ENOENT;
        }
        path = paths_domain_xml(&ctl->paths, name);
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0) {
                log_error("domain '%s' is not defined (%s does not exist)", name, path);
                return -ENOENT;
        }
        return 0;
}

/* The unit for a defined domain; logs and fails for anything else. */
static int unit_for_domain(Ctl *ctl, const char *name, char **ret_unit) {
        _cleanup_free_ char *unit = NULL;
        int r;

        r = ctl_check_name(name);
        if (r < 0)
                return r;
        r = vm_unit_name(name, &unit);
        if (r < 0)
                return log_error("domain name '%s' cannot be a unit name", name), r;
        r = check_defined(ctl, name, unit);
        if (r < 0)
                return r;
        *ret_unit = TAKE_PTR(unit);
        return 0;
}

static int require_system_mode(Ctl *ctl, const char *cmd) {
        if (!ctl->root)
                return 0;
        log_error("%s works through systemd (system mode); in embedded mode use 'vmctl --root DIR run FILE'",
                  cmd);
        return -EOPNOTSUPP;
}

/* Run a job and report how it went; the journal has the details. */
static int unit_job(Ctl *ctl, const char *method, const char *unit, const char *name, const char *done_msg) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *result = NULL;
        int r;

        r = manager_open(ctl, &bus);
        if (r >= 0)
                r = manager_unit_job(bus, method, unit, &result);
        if (r < 0)
                return 1;
        if (!streq(result, "done")) {
                log_error("%s of domain '%s' %s; see 'systemctl status %s' and 'journalctl -u %s'", method,
                          name, result, unit, unit);
                return 1;
        }
        printf("Domain '%s' %s\n", name, done_msg);
        return 0;
}

/* ---- embedded mode ---- */

static int pidfd_open_pid(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? negative_errno() : fd;
}

/* The parent of pid, from /proc/PID/stat ("pid (comm) state ppid ..."). */
static pid_t parent_of(pid_t pid) {
        char path[64], buf[512], *p;
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;
        int ppid;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
                return 0;
        buf[n] = '\0';
        p = strrchr(buf, ')'); /* comm may contain spaces and parentheses */
        if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
                return 0;
        return ppid;
}

/* Whether pid runs `vmunit-supervisor ... NAME`, as vmctl start and run
 * exec it (argv[0] is set by us, so a renamed binary still matches). */
static bool is_supervisor_of(pid_t pid, const char *name) {
        char path[64], buf[4096];
        _cleanup_close_ int fd = -EBADF;
        const char *last = buf, *argv0;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
                return false;
        buf[n] = '\0';
        for (const char *p = buf; p < buf + n - 1; p++)
                if (*p == '\0')
                        last = p + 1;
        argv0 = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
        return streq(argv0, "vmunit-supervisor") && streq(last, name);
}

/* A pidfd for the supervisor of the running domain NAME. The runtime
 * directory records QEMU's pid; its parent is the supervisor. The parent
 * is checked again after the pidfd is open, so a pid reused in between
 * cannot make us signal a stranger. */
static int embedded_supervisor_pidfd(Ctl *ctl, const char *name) {
        _cleanup_close_ int pidfd = -EBADF;
        pid_t qemu = ctl_domain_running_pid(ctl, name), sup;

        if (qemu <= 0) {
                log_error("domain '%s' is not running", name);
                return -ESRCH;
        }
        sup = parent_of(qemu);
        if (sup <= 1 || !is_supervisor_of(sup, name)) {
                log_error("domain '%s': QEMU (pid %d) has no vmunit-supervisor as its parent", name,
                          (int) qemu);
                return -ESRCH;
        }
        pidfd = pidfd_open_pid(sup);
        if (pidfd < 0)
                return log_error_errno(pidfd, "Failed to open the supervisor of '%s' (pid %d): %m", name,
                                       (int) sup);
        if (parent_of(qemu) != sup) {
                log_error("domain '%s' stopped meanwhile", name);
                return -ESRCH;
        }
        return TAKE_FD(pidfd);
}

static int wait_pidfd(int pidfd, int timeout_ms) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return negative_errno();
        return r == 0 ? -ETIME : 0;
}

/* SIGTERM = graceful stop (ACPI, then quit after the shutdown timeout),
 * SIGUSR1 = destroy: the supervisor's contract. Wait until it is gone,
 * which is after it restored labels and removed the runtime directory. */
static int embedded_stop(Ctl *ctl, const char *name, int sig, const char *done_msg) {
        _cleanup_close_ int pidfd = -EBADF;
        int r;

        if (ctl_check_name(name) < 0)
                return 1;
        pidfd = embedded_supervisor_pidfd(ctl, name);
        if (pidfd < 0)
                return 1;
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                return log_error_errno(negative_errno(), "Failed to signal the supervisor of '%s': %m",
                                       name),
                       1;
        r = wait_pidfd(pidfd, -1);
        if (r < 0)
                return log_error_errno(r, "Failed to wait for domain '%s' to stop: %m", name), 1;
        printf("Domain '%s' %s\n", name, done_msg);
        return 0;
}

/* A datagram socket on a kernel-chosen abstract address (autobind), the
 * same NOTIFY_SOCKET protocol systemd offers a Type=notify service. The
 * sender's pid comes with each message (SO_PASSCRED) so only our
 * supervisor can say READY=1. */
static int notify_socket_open(char **ret_env) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len = sizeof(sa);
        int one = 1;

        if (fd < 0)
                return negative_errno();
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa_family_t)) < 0 ||
            getsockname(fd, (struct sockaddr *) &sa, &len) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return negative_errno();
        if (len <= offsetof(struct sockaddr_un, sun_path) + 1 || sa.sun_path[0] != '\0')
                return -EINVAL;
        if (asprintf(ret_env, "NOTIFY_SOCKET=@%.*s",
                     (int) (len - offsetof(struct sockaddr_un, sun_path) - 1), sa.sun_path + 1) < 0)
                return -ENOMEM;
        return TAKE_FD(fd);
}

/* One queued datagram: 1 if it is a READY=1 from pid, 0 if it is
 * anything else, -EAGAIN when the queue is empty, -errno. */
static int notify_read_one(int fd, pid_t pid) {
        char buf[4096], control[CMSG_SPACE(sizeof(struct ucred))];
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)
        };
        struct ucred *cred = NULL;
        ssize_t n;

        n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
                return errno == EINTR ? 0 : negative_errno();
        buf[n] = '\0';
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
                        cred = (struct ucred *) CMSG_DATA(c);
        if (!cred || cred->pid != pid)
                return 0;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
                if (streq(line, "READY=1"))
                        return 1;
        return 0;
}

/* Drain the queue: 1 if a READY=1 from pid was in it, 0 if not, -errno. */
static int notify_read_ready(int fd, pid_t pid) {
        for (;;) {
                int r = notify_read_one(fd, pid);
                if (r == -EAGAIN)
                        return 0;
                if (r != 0)
                        return r;
        }
}

/* In the child: its own session (a terminal's Ctrl-C or hangup must not
 * reach it), stdin from /dev/null, stdout/stderr appended to the log. */
__attribute__((noreturn)) static void exec_supervisor(Ctl *ctl, const char *supervisor, const char *name,
                                                      int log_fd, char *notify_env) {
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (setsid() < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 ||
            dup2(log_fd, 2) < 0 || putenv(notify_env) < 0)
                _exit(127);
        execl(supervisor, "vmunit-supervisor", "--root", ctl->paths.root, name, (char *) NULL);
        dprintf(2, "vmctl: failed to execute %s: %m\n", supervisor);
        _exit(127);
}

static int open_domain_log(Ctl *ctl, const char *name, char **ret_path) {
        _cleanup_free_ char *path = paths_domain_log(&ctl->paths, name);
        int fd, r;

        if (!path)
                return -ENOMEM;
        r = mkdir_parents(ctl->paths.log_dir, 0750);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", ctl->paths.log_dir);
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0)
                return log_error_errno(negative_errno(), "Failed to open %s: %m", path);
        *ret_path = TAKE_PTR(path);
        return fd;
}

/* Wait for READY=1 or the supervisor's exit. 0 = running, else logged. */
static int wait_ready(const char *name, const char *log_path, pid_t pid, int notify_fd, int pidfd) {
        struct pollfd p[2] = { { .fd = notify_fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
        int r, status;

        for (;;) {
                r = poll(p, 2, EMBEDDED_START_TIMEOUT_MS);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                r = notify_read_ready(notify_fd, pid);
                if (r != 0)
                        return r > 0 ? 0 : log_error_errno(r, "Failed to read from the supervisor: %m");
                if (!(p[1].revents & POLLIN))
                        continue;
                /* Exited; a READY=1 sent just before may still be queued. */
                if (notify_read_ready(notify_fd, pid) > 0)
                        return 0;
                (void) waitpid(pid, &status, 0);
                log_error("domain '%s' failed to start (supervisor exit status %d); see %s", name,
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), log_path);
                return -EIO;
        }
        /* Like systemd's TimeoutStartSec: a start that never finishes is
         * stopped rather than left half-done. */
        log_error("domain '%s' did not report running within %d s, stopping it; see %s", name,
                  EMBEDDED_START_TIMEOUT_MS / 1000, log_path);
        (void) kill(pid, SIGTERM);
        (void) waitpid(pid, NULL, 0);
        return -ETIME;
}

static int embedded_start(Ctl *ctl, const char *name) {
        _cleanup_free_ char *supervisor = NULL, *log_path = NULL, *notify_env = NULL, *unit = NULL;
        _cleanup_close_ int log_fd = -EBADF, notify_fd = -EBADF, pidfd = -EBADF;
        pid_t pid;

        if (unit_for_domain(ctl, name, &unit) < 0)
                return 1;
        if (ctl_domain_running_pid(ctl, name) > 0)
                return log_error("domain '%s' is already running", name), 1;
        supervisor = ctl_find_supervisor();
        if (!supervisor)
                return log_error("Out of memory"), 1;
        log_fd = open_domain_log(ctl, name, &log_path);
        if (log_fd < 0)
                return 1;
        notify_fd = notify_socket_open(&notify_env);
        if (notify_fd < 0)
                return log_error_errno(notify_fd, "Failed to create a notification socket: %m"), 1;
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return log_error_errno(negative_errno(), "Failed to fork: %m"), 1;
        if (pid == 0)
                exec_supervisor(ctl, supervisor, name, log_fd, notify_env);
        pidfd = pidfd_open_pid(pid);
        if (pidfd < 0) {
                (void) kill(pid, SIGTERM);
                (void) waitpid(pid, NULL, 0);
                return log_error_errno(pidfd, "Failed to watch the supervisor: %m"), 1;
        }
        if (wait_ready(name, log_path, pid, notify_fd, pidfd) < 0)
                return 1;
        printf("Domain '%s' started\n", name);
        return 0;
}

/* ---- commands ---- */

int ctl_cmd_start(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *unit = NULL;

        if (ctl_expect_args(argc, 1, "start NAME") < 0)
                return 1;
        if (ctl->root)
                return embedded_start(ctl, argv[0]);
        if (unit_for_domain(ctl, argv[0], &unit) < 0)
                return 1;
        return unit_job(ctl, "StartUnit", unit, argv[0], "started");
}

int ctl_cmd_shutdown(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *unit = NULL;

        if (ctl_expect_args(argc, 1, "shutdown NAME") < 0)
                return 1;
        if (ctl->root)
                return embedded_stop(ctl, argv[0], SIGTERM, "is shut down");
        if (unit_for_domain(ctl, argv[0], &unit) < 0)
                return 1;
        return unit_job(ctl, "StopUnit", unit, argv[0], "is shut down");
}

/* SIGUSR1 tells the supervisor to skip the ACPI step and quit QEMU at
 * once (the guest gets no say, as with virsh destroy); the stop job then
 * waits for the unit to be down and its cleanup to have run. */
int ctl_cmd_destroy(Ctl *ctl, int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL, *state = NULL;

        if (ctl_expect_args(argc, 1, "destroy NAME") < 0)
                return 1;
        if (ctl->root)
                return embedded_stop(ctl, argv[0], SIGUSR1, "destroyed");
        if (unit_for_domain(ctl, argv[0], &unit) < 0)
                return 1;
        if (manager_open(ctl, &bus) < 0 || manager_unit_state(bus, unit, &state) < 0)
                return 1;
        if (!streq(state, "active") && !streq(state, "activating") && !streq(state, "reloading")) {
                log_error("domain '%s' is not running (%s is %s)", argv[0], unit, state);
                return 1;
        }
        if (manager_kill_unit(bus, unit, "main", SIGUSR1) < 0)
                return 1;
        return unit_job(ctl, "StopUnit", unit, argv[0], "destroyed");
}

int ctl_cmd_autostart(Ctl *ctl, int argc, char **argv) {
        static const struct option options[] = { { "disable", no_argument, NULL, 'd' }, {} };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL;
        bool enable = true;
        int c;

        optind = 0;
        while ((c = getopt_long(argc + 1, argv - 1, "", options, NULL)) >= 0) {
                if (c != 'd')
                        return log_error("usage: vmctl autostart [--disable] NAME"), 1;
                enable = false;
        }
        argc -= optind - 1;
        argv += optind - 1;
        if (ctl_expect_args(argc, 1, "autostart [--disable] NAME") < 0 ||
            require_system_mode(ctl, "autostart") < 0 || unit_for_domain(ctl, argv[0], &unit) < 0)
                return 1;
        if (manager_open(ctl, &bus) < 0 || manager_enable(bus, unit, enable) < 0)
                return 1;
        printf("Domain '%s' %s\n", argv[0], enable ? "marked as autostarted" : "unmarked as autostarted");
        return 0;
}
