/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting QEMU. The child's path from fork() to execve() is a checklist:
 * one step per function, in order, each saying why it sits where it does.
 * Everything that allocates or consults NSS (identity, the seccomp
 * program, the kernel's capability count) is computed in the parent
 * first: between fork and exec only raw system calls run.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "capabilities.h"
#include "cgroup.h"
#include "identity.h"
#include "label.h"
#include "log.h"
#include "seccomp-filter.h"
#include "strv.h"
#include "supervisor.h"

extern char **environ;

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
        STEP_CGROUP,
        STEP_BOUNDING,
        STEP_IDENTITY,
        STEP_CAPABILITIES,
        STEP_FDS,
        STEP_EXEC_LABEL,
        STEP_NO_NEW_PRIVS,
        STEP_SECCOMP,
        STEP_EXEC,
};

static const char *step_name(int step) {
        switch (step) {
        case STEP_PDEATHSIG: return "set parent-death signal";
        case STEP_SESSION: return "create session";
        case STEP_SIGNALS: return "reset signals";
        case STEP_STDIO: return "set up stdio";
        case STEP_CGROUP: return "join the VM's cgroup for";
        case STEP_BOUNDING: return "drop the capability bounding set for";
        case STEP_IDENTITY: return "switch to QEMU's user and groups for";
        case STEP_CAPABILITIES: return "drop capabilities for";
        case STEP_FDS: return "arrange the file descriptors for";
        case STEP_EXEC_LABEL: return "set the exec security label for";
        case STEP_NO_NEW_PRIVS: return "set no_new_privs for";
        case STEP_SECCOMP: return "install the seccomp filter for";
        case STEP_EXEC: return "execute";
        default: return "start";
        }
}

/* What the child needs, all computed before fork. */
typedef struct ChildPlan {
        pid_t parent;
        char **argv;
        char **envp;
        int *fds;     /* fds[i] becomes QEMU's fd QEMU_CHILD_QMP_FD + i: QMP, then the files */
        size_t n_fds; /* at least 1 (QMP) */
        int out_fd;
        int status_fd;
        const VmCgroup *cgroup;       /* NULL: no cgroup step */
        const QemuIdentity *identity; /* change = false: keep ours */
        int last_cap;
        LabelManager *labels;          /* NULL: no exec label */
        const SeccompProgram *seccomp; /* NULL: seccomp_sandbox = 0 */
} ChildPlan;

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

/* 9. Exactly the inherited descriptors the command line names, besides
 *    stdio: the QMP listening socket as fd 3, then the domain's files
 *    from 4 on (-add-fd fd=N, /proc/self/fd/N, chardev fd=N), in table
 *    order. Each is first lifted above that range, so that putting one in
 *    place cannot overwrite another still waiting for its own; dup2()
 *    clears close-on-exec on the copy QEMU keeps. Everything else the
 *    supervisor has is O_CLOEXEC; close_range makes sure of it. After the
 *    privileged steps (a descriptor they used cannot leak past this) and
 *    before the exec label, so QEMU's new domain inherits only what it is
 *    meant to have. */
static int child_arrange_fds(int *fds, size_t n_fds, int status_fd) {
        int end = QEMU_CHILD_QMP_FD + (int) n_fds; /* the first number QEMU does not get */

        for (size_t i = 0; i < n_fds; i++)
                if (fds[i] < end && (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, end)) < 0)
                        return -errno;
        for (size_t i = 0; i < n_fds; i++)
                if (dup2(fds[i], QEMU_CHILD_QMP_FD + (int) i) < 0)
                        return -errno;
        /* status_fd (above end, see child_exec) must survive until exec
         * (CLOEXEC closes it then). */
        if (status_fd > end && syscall(SYS_close_range, end, status_fd - 1, 0) < 0)
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

/* 5. The VM's cgroup, first of the confinement steps: from here on every
 *    byte QEMU allocates and every device it opens is accounted and
 *    filtered there. Writing cgroup.procs needs the supervisor's
 *    privileges, so this precedes the identity switch. */
static int child_join_cgroup(const VmCgroup *cgroup) {
        return cgroup ? vm_cgroup_join_qemu(cgroup) : 0;
}

/* 6. The bounding set and securebits: dropping bounding capabilities and
 *    locking securebits need CAP_SETPCAP, which the identity switch takes
 *    away, so this half of "capabilities" comes before it. Nothing here
 *    affects the capabilities the identity switch itself uses. */
static int child_drop_bounding(int last_cap) {
        return capabilities_drop_bounding(last_cap);
}

/* 7. Identity: groups, gid, uid, checked irreversible. Changing the
 *    effective uid clears the parent-death signal (kernel rule for
 *    credential changes), so it is armed again and the parent rechecked. */
static int child_switch_identity(const QemuIdentity *identity, pid_t parent) {
        int r;

        if (!identity->change)
                return 0;
        r = identity_apply(identity);
        if (r < 0)
                return r;
        return child_set_pdeathsig(parent);
}

/* 8. Whatever capabilities are left (all of them for a QEMU that stays
 *    uid 0 in embedded mode as root; none after a switch to a user, but
 *    verified) go now, ambient and inheritable included. After the
 *    identity switch, which needed CAP_SETUID/CAP_SETGID. */
static int child_drop_capabilities(void) {
        return capabilities_drop_all();
}

/* 10. The MAC exec label (setexeccon / aa_change_onexec). Takes effect at
 *     execve. Before no_new_privs: AppArmor refuses the change_onexec
 *     request itself from a confined task that already has NNP. */
static int child_set_exec_label(LabelManager *labels) {
        return labels ? label_manager_set_exec_label(labels) : 0;
}

/* 11. no_new_privs, so that exec can never grant more than we have now:
 *     no setuid bits, no file capabilities. It must be set before the
 *     seccomp filter (unprivileged filters require it) and survives exec,
 *     so the running QEMU shows NoNewPrivs: 1.
 *     How it meets the exec label set in step 10, which the kernel
 *     checks at execve, not here:
 *     - SELinux: under NNP a domain transition is allowed only to a
 *       bounded type or when the policy grants process2 { nnp_transition }
 *       from the supervisor's domain to QEMU's (our policy module must, as
 *       libvirt's does for virtd_t); otherwise execve fails with EPERM —
 *       fail closed, never a silent run in the supervisor's domain.
 *     - AppArmor: transitions under NNP are allowed from an unconfined
 *       task, or when the new label is a subset (a stack) of the
 *       confinement at the time NNP was set; the change_onexec request
 *       itself is refused under NNP from a confined task, hence step 10
 *       first. A confined supervisor must therefore stack QEMU's profile
 *       or run unconfined.
 *     The order (label, then NNP, then seccomp) keeps both working while
 *     QEMU still ends with NoNewPrivs: 1. */
static int child_set_no_new_privs(void) {
        return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

/* 12. Seccomp last: after it nothing but execve runs, so the filter needs
 *     no exception for the supervisor's own setup calls, and QEMU starts
 *     already filtered (its own -sandbox stacks on top of this one). */
static int child_install_seccomp(const SeccompProgram *seccomp) {
        return seccomp ? seccomp_program_install(seccomp) : 0;
}

#define CHILD_STEP(p, step, call)                                 \
        do {                                                      \
                int _r_ = (call);                                 \
                if (_r_ < 0)                                      \
                        child_fail((p)->status_fd, (step), -_r_); \
        } while (false)

_Noreturn static void child_exec(ChildPlan *p) {
        CHILD_STEP(p, STEP_PDEATHSIG, child_set_pdeathsig(p->parent));
        CHILD_STEP(p, STEP_SESSION, child_new_session());
        CHILD_STEP(p, STEP_SIGNALS, child_reset_signals());
        CHILD_STEP(p, STEP_STDIO, child_setup_stdio(p->out_fd));
        if (p->status_fd < QEMU_CHILD_QMP_FD + (int) p->n_fds) {
                /* Keep the status pipe clear of the numbers QEMU's fds get. */
                p->status_fd = fcntl(p->status_fd, F_DUPFD_CLOEXEC, QEMU_CHILD_QMP_FD + (int) p->n_fds);
                if (p->status_fd < 0)
                        _exit(127);
        }
        CHILD_STEP(p, STEP_CGROUP, child_join_cgroup(p->cgroup));
        CHILD_STEP(p, STEP_BOUNDING, child_drop_bounding(p->last_cap));
        CHILD_STEP(p, STEP_IDENTITY, child_switch_identity(p->identity, p->parent));
        CHILD_STEP(p, STEP_CAPABILITIES, child_drop_capabilities());
        CHILD_STEP(p, STEP_FDS, child_arrange_fds(p->fds, p->n_fds, p->status_fd));
        CHILD_STEP(p, STEP_EXEC_LABEL, child_set_exec_label(p->labels));
        CHILD_STEP(p, STEP_NO_NEW_PRIVS, child_set_no_new_privs());
        CHILD_STEP(p, STEP_SECCOMP, child_install_seccomp(p->seccomp));
        execve(p->argv[0], p->argv, p->envp);
        child_fail(p->status_fd, STEP_EXEC, errno);
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

/* The parent's half of the checklist: everything that allocates. */
static int plan_confinement(Supervisor *s, SeccompProgram *seccomp, ChildPlan *plan, const char **ret_step) {
        int r;

        plan->cgroup = s->cgroup;
        plan->labels = s->labels;
        plan->identity = &s->identity;
        plan->last_cap = capabilities_last_cap();
        if (plan->last_cap < 0) {
                *ret_step = "read /proc/sys/kernel/cap_last_cap for";
                return plan->last_cap;
        }
        if (!s->config.seccomp_sandbox)
                return 0;
        r = seccomp_filter_build(seccomp);
        if (r < 0) {
                *ret_step = "build the seccomp filter for";
                return r;
        }
        plan->seccomp = seccomp;
        return 0;
}

/* fork(), or clone3(CLONE_INTO_CGROUP) when the VM has a cgroup2 leaf:
 * the child is born in QEMU's cgroup. Moving a running process instead
 * (writing cgroup.procs) waits for an RCU grace period under the global
 * cgroup threadgroup lock, about 10 ms per start measured here. On success
 * in the child *ret_in_cgroup says whether the cgroup step is done. */
static pid_t fork_into_cgroup(const VmCgroup *cgroup, bool *ret_in_cgroup) {
        _cleanup_close_ int dirfd = cgroup ? vm_cgroup_qemu_dirfd(cgroup) : -EBADF;
        struct clone_args args = {
                .flags = CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t) dirfd,
        };
        pid_t pid;

        *ret_in_cgroup = false;
        if (dirfd >= 0) {
                pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
                if (pid >= 0) {
                        *ret_in_cgroup = true;
                        return pid;
                }
                /* Older kernels (< 5.7): fall back to moving the child. */
                if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
                        return -1;
        }
        return fork();
}

/* QEMU's descriptors in the order of their numbers: QMP first, then each
 * file that gets an fd, at the child_fd the command line names. */
static int plan_fds(const Supervisor *s, int qmp_fd, ChildPlan *plan) {
        size_t n = 1;

        for (size_t i = 0; i < s->files.n; i++)
                n += s->files.items[i].qemu_fd >= 0;
        plan->fds = calloc(n, sizeof(int));
        if (!plan->fds)
                return -ENOMEM;
        plan->n_fds = n;
        plan->fds[0] = qmp_fd;
        for (size_t i = 0, k = 1; i < s->files.n; i++) {
                const VmFile *f = &s->files.items[i];

                if (f->qemu_fd < 0)
                        continue;
                if (f->child_fd != QEMU_CHILD_QMP_FD + (int) k)
                        return -EINVAL; /* not numbered from QEMU_CHILD_FIRST_FILE_FD */
                plan->fds[k++] = f->qemu_fd;
        }
        return 0;
}

static void close_pipes(int out[2], int status[2]) {
        safe_close(out[0]), safe_close(out[1]), safe_close(status[0]), safe_close(status[1]);
}

int qemu_process_spawn(Supervisor *s, char **argv, char **extra_env, int qmp_listen_fd, int *ret_stderr_fd,
                       const char **ret_step) {
        _cleanup_strv_ Strv env = {};
        _cleanup_(seccomp_program_done) SeccompProgram seccomp = {};
        ChildPlan plan = { .parent = getpid(), .argv = argv };
        _cleanup_free_ int *fds = NULL;
        int out[2] = { -EBADF, -EBADF }, status[2] = { -EBADF, -EBADF }, r;
        bool in_cgroup;
        pid_t pid;

        *ret_step = "start";
        r = merge_environment(extra_env, &env);
        if (r < 0)
                return r;
        plan.envp = env.items;
        r = plan_fds(s, qmp_listen_fd, &plan);
        fds = plan.fds;
        if (r < 0) {
                *ret_step = "arrange the file descriptors for";
                return r;
        }
        r = plan_confinement(s, &seccomp, &plan, ret_step);
        if (r < 0)
                return r;
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
                r = negative_errno();
                close_pipes(out, status);
                return r;
        }
        plan.out_fd = out[1];
        plan.status_fd = status[1];
        pid = fork_into_cgroup(plan.cgroup, &in_cgroup);
        if (pid < 0) {
                r = negative_errno();
                close_pipes(out, status);
                return r;
        }
        if (pid == 0) {
                if (in_cgroup)
                        plan.cgroup = NULL; /* born there: nothing to join */
                child_exec(&plan);
        }

        s->qemu_pid = pid;
        out[1] = safe_close(out[1]);
        status[1] = safe_close(status[1]);
        r = wait_for_exec(s, status[0], ret_step);
        status[0] = safe_close(status[0]);
        if (r < 0) {
                safe_close(out[0]);
                return r;
        }
        *ret_stderr_fd = out[0];
        return 0;
}
