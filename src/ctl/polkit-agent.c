/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A polkit authentication agent for one call, as systemctl and machinectl
 * start one: when a person at a terminal (not root) calls a VM's object,
 * polkit may ask them for an administrator's password (auth_admin) instead
 * of refusing outright. pkttyagent (polkitd's) reads it on this terminal;
 * without pkttyagent the call simply goes without one.
 */
#include "polkit-agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"
/* How long to wait for the agent to register before calling anyway. */
#define AGENT_REGISTER_TIMEOUT_MS 5000

bool polkit_agent_wanted(void) {
        return geteuid() != 0 && isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

/* The child: pkttyagent registered for our pid; it closes fd 3 once it is
 * registered (--notify-fd), and leaves alone an agent already there. */
static void exec_agent(pid_t parent, int notify_fd) {
        char pid_arg[32];

        /* dup2() onto itself keeps O_CLOEXEC: the agent would never get it. */
        if (notify_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(notify_fd, 3) < 0)
                _exit(127);
        snprintf(pid_arg, sizeof(pid_arg), "%d", (int) parent);
        execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", "3", "--fallback", "--process", pid_arg, (char *) NULL);
        _exit(127);
}

pid_t polkit_agent_start(void) {
        int notify[2];
        pid_t parent = getpid(), pid;
        struct pollfd p;

        if (!polkit_agent_wanted() || access(PKTTYAGENT, X_OK) < 0)
                return 0;
        if (pipe2(notify, O_CLOEXEC) < 0)
                return 0;
        pid = fork();
        if (pid == 0) {
                close(notify[0]);
                exec_agent(parent, notify[1]);
        }
        close(notify[1]);
        if (pid < 0) {
                close(notify[0]);
                return 0;
        }
        /* EOF: registered (or the agent gave up); either way call now. */
        p = (struct pollfd){ .fd = notify[0], .events = POLLIN };
        while (poll(&p, 1, AGENT_REGISTER_TIMEOUT_MS) < 0 && errno == EINTR)
                ;
        close(notify[0]);
        return pid;
}

void polkit_agent_stop(pid_t pid) {
        if (pid <= 0)
                return;
        (void) kill(pid, SIGTERM);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}
