/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting QEMU. The child's path from fork() to execve() is a checklist:
 * one step per function, in order, each saying why it sits where it does.
 * Confinement steps (cgroup, identity, capabilities, exec label, seccomp)
 * slot into child_exec() in that order as they land.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "log.h"
#include "strv.h"
#include "supervisor.h"

extern char **environ;

#define QMP_CHILD_FD 3

/* Report a failed step to the parent through the status pipe and die.
 * The parent turns it into one log line; nothing is printed here because
 * the child shares the parent's stderr only by accident of inheritance. */
_Noreturn static void child_fail(int status_fd, int step, int err) {
        int msg[2] = { step, err };

        (void) !write(status_fd, msg, sizeof(msg));
        _exit(127);
}

enum {
        STEP_PDEATHSIG = 1,
        STEP_SESSION,
        STEP_SIGNALS,
        STEP_STDIO,
        STEP_FDS,
        STEP_EXEC,
};

static const char *step_name(int step) {
        switch (step) {
        case STEP_PDEATHSIG: return "set parent-death signal";
        case STEP_SESSION: return "create session";
        case STEP_SIGNALS: return "reset signals";
        case STEP_STDIO: return "set up stdio";
        case STEP_FDS: return "arrange file descriptors";
        case STEP_EXEC: return "execute";
        default: return "start";
        }
}

/* 1. QEMU must never outlive the supervisor: if we die, even by SIGKILL,
 *    the kernel kills QEMU. Checked against a parent that died before the
 *    prctl took effect. */
static int child_set_pdeathsig(pid_t parent) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                return -errno;
        return getppid() == parent ? 0 : -ESRCH;
}

/* 2. A session of its own, so Ctrl-C at the terminal (SIGINT to the
 *    foreground process group) reaches only the supervisor, which turns it
 *    into a graceful ACPI shutdown instead of QEMU quitting on the spot. */
static int child_new_session(void) {
        return setsid() < 0 ? -errno : 0;
}

/* 3. The supervisor blocks signals for sd-event; QEMU must start with a
 *    clean mask and default dispositions. */
static int child_reset_signals(void) {
        sigset_t all;

        sigemptyset(&all);
        for (int sig = 1; sig < _NSIG; sig++)
                (void) signal(sig, SIG_DFL);
        return sigprocmask(SIG_SETMASK, &all, NULL) < 0 ? -errno : 0;
}

/* 4. stdin from /dev/null; stdout and stderr into the supervisor's pipe,
 *    which logs every line (to the journal in system mode). */
static int child_setup_stdio(int out_fd) {
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (null_fd < 0)
                return -errno;
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(out_fd, STDERR_FILENO) < 0)
                return -errno;
        return 0;
}

/* 5. Exactly one inherited descriptor besides stdio: the QMP listening
 *    socket as fd 3 (what the command line says). Everything else the
 *    supervisor has is O_CLOEXEC; close_range makes sure of it. */
static int child_arrange_fds(int qmp_fd, int status_fd) {
        if (qmp_fd == QMP_CHILD_FD) {
                if (fcntl(qmp_fd, F_SETFD, 0) < 0)
                        return -errno;
        } else if (dup2(qmp_fd, QMP_CHILD_FD) < 0)
                return -errno;
        /* status_fd must survive until exec (CLOEXEC closes it then). */
        if (status_fd > QMP_CHILD_FD + 1 && syscall(SYS_close_range, QMP_CHILD_FD + 1, status_fd - 1, 0) < 0)
                return -errno;
        if (syscall(SYS_close_range, status_fd + 1, ~0U, 0) < 0)
                return -errno;
        return 0;
}

static int merge_environment(char **extra, Strv *ret) {
        for (char **e = environ; e && *e; e++)
                if (strncmp(*e, "NOTIFY_SOCKET=", 14) != 0 && strncmp(*e, "LISTEN_", 7) != 0 &&
                    strncmp(*e, "WATCHDOG_", 9) != 0 && strv_push(ret, *e) < 0)
                        return -ENOMEM;
        for (char **e = extra; e && *e; e++)
                if (strv_push(ret, *e) < 0)
                        return -ENOMEM;
        return 0;
}

_Noreturn static void child_exec(pid_t parent, char **argv, char **envp, int qmp_fd, int out_fd,
                                 int status_fd) {
        int r;

        if ((r = child_set_pdeathsig(parent)) < 0)
                child_fail(status_fd, STEP_PDEATHSIG, -r);
        if ((r = child_new_session()) < 0)
                child_fail(status_fd, STEP_SESSION, -r);
        if ((r = child_reset_signals()) < 0)
                child_fail(status_fd, STEP_SIGNALS, -r);
        if ((r = child_setup_stdio(out_fd)) < 0)
                child_fail(status_fd, STEP_STDIO, -r);
        if (status_fd <= QMP_CHILD_FD) {
                /* Keep the status pipe clear of the slot reserved for QMP. */
                status_fd = fcntl(status_fd, F_DUPFD_CLOEXEC, QMP_CHILD_FD + 1);
                if (status_fd < 0)
                        _exit(127);
        }
        if ((r = child_arrange_fds(qmp_fd, status_fd)) < 0)
                child_fail(status_fd, STEP_FDS, -r);
        execve(argv[0], argv, envp);
        child_fail(status_fd, STEP_EXEC, errno);
}

/* Wait for exec to happen (the status pipe closes on exec) or for the
 * child to report which step failed. */
static int wait_for_exec(Supervisor *s, int status_fd, const char **ret_step) {
        int msg[2];
        ssize_t n = read(status_fd, msg, sizeof(msg));

        if (n == 0)
                return 0;
        (void) waitpid(s->qemu_pid, NULL, 0);
        s->qemu_pid = 0;
        if (n != sizeof(msg))
                return -EIO;
        *ret_step = step_name(msg[0]);
        return -msg[1];
}

int qemu_process_spawn(Supervisor *s, char **argv, char **extra_env, int qmp_listen_fd, int *ret_stderr_fd,
                       const char **ret_step) {
        _cleanup_strv_ Strv env = {};
        int out[2], status[2], r;
        pid_t parent = getpid(), pid;

        r = merge_environment(extra_env, &env);
        if (r < 0)
                return r;
        if (pipe2(out, O_CLOEXEC) < 0)
                return negative_errno();
        if (pipe2(status, O_CLOEXEC) < 0) {
                r = negative_errno();
                close(out[0]), close(out[1]);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                close(out[0]), close(out[1]), close(status[0]), close(status[1]);
                return r;
        }
        if (pid == 0)
                child_exec(parent, argv, env.items, qmp_listen_fd, out[1], status[1]);

        s->qemu_pid = pid;
        close(out[1]);
        close(status[1]);
        *ret_step = "start";
        r = wait_for_exec(s, status[0], ret_step);
        close(status[0]);
        if (r < 0) {
                close(out[0]);
                return r;
        }
        *ret_stderr_fd = out[0];
        return 0;
}
