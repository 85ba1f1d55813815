/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The QEMU child's seccomp filter and capability drop, exercised without
 * root: each check installs or drops in a forked child (a seccomp filter
 * and dropped capabilities cannot be undone) and reports through its exit
 * status.
 */
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "capabilities.h"
#include "seccomp-filter.h"

/* Run fn in a child; returns its exit status (0 = all checks passed,
 * else the number of the failed check). */
static int in_child(int (*fn)(void)) {
        int status = 0;
        pid_t pid = fork();

        cr_assert_geq(pid, 0);
        if (pid == 0)
                _exit(fn());
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status), "child died with signal %d", WTERMSIG(status));
        return WEXITSTATUS(status);
}

static SeccompProgram program;

static void *thread_main(void *arg) {
        return arg;
}

/* Fails with code N when check N does not hold. */
#define CHECK(n, cond)            \
        do {                      \
                if (!(cond))      \
                        return n; \
        } while (false)

static int filtered_child(void) {
        pthread_t t;

        CHECK(1, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
        CHECK(2, seccomp_program_install(&program) == 0);
        CHECK(3, mount("none", "/", "tmpfs", 0, NULL) < 0 && errno == EPERM);
        CHECK(4, syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0) < 0 && errno == EPERM);
        CHECK(5, syscall(SYS_bpf, 0, NULL, 0) < 0 && errno == EPERM);
        CHECK(6, ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 && errno == EPERM);
        CHECK(7, unshare(CLONE_NEWUSER) < 0 && errno == EPERM);
        CHECK(8, syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS);
        CHECK(9, personality(PER_LINUX32) < 0 && errno == EPERM);
        CHECK(10, personality(PER_LINUX) >= 0);
        CHECK(11, syscall(SYS_init_module, NULL, 0, "") < 0 && errno == EPERM);
        CHECK(12, syscall(SYS_reboot, 0, 0, 0, NULL) < 0 && errno == EPERM);
        /* What QEMU does need still works: threads (through clone after
         * clone3's ENOSYS), plain calls. */
        CHECK(13, pthread_create(&t, NULL, thread_main, NULL) == 0 && pthread_join(t, NULL) == 0);
        CHECK(14, getpid() > 0);
        CHECK(15, prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2);
        return 0;
}

Test(seccomp_filter, denies_what_qemu_never_needs) {
        cr_assert_eq(seccomp_filter_build(&program), 0);
        cr_assert_gt(program.len, 10);
        /* A classic BPF program starting with the architecture load. */
        cr_assert_eq(program.filter[0].code, BPF_LD | BPF_W | BPF_ABS);
        cr_assert_eq(program.filter[0].k, 4u); /* offsetof(struct seccomp_data, arch) */
        cr_assert_eq(in_child(filtered_child), 0);
        seccomp_program_done(&program);
        cr_assert_null(program.filter);
}

Test(seccomp_filter, needs_no_new_privs_without_cap_sys_admin) {
        SeccompProgram empty = {};

        cr_assert_eq(seccomp_program_install(&empty), -EINVAL);
}

Test(seccomp_filter, deny_list_names_are_syscalls) {
        size_t n = 0;

        for (const char *const *s = seccomp_filter_denied; *s; s++, n++)
                cr_assert_neq(strlen(*s), 0u);
        cr_assert_gt(n, 20u);
}

Test(capabilities, last_cap_matches_the_kernel) {
        int last = capabilities_last_cap();

        cr_assert_geq(last, CAP_AUDIT_READ); /* 37: every kernel we support */
        cr_assert_eq(prctl(PR_CAPBSET_READ, (unsigned long) last, 0, 0, 0), 1);
        cr_assert_lt(prctl(PR_CAPBSET_READ, (unsigned long) last + 1, 0, 0, 0), 0);
}

static int drop_all_child(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        CHECK(1, capabilities_drop_all() == 0);
        CHECK(2, syscall(SYS_capget, &h, d) == 0);
        CHECK(3, !d[0].effective && !d[0].permitted && !d[0].inheritable && !d[1].effective &&
                         !d[1].permitted && !d[1].inheritable);
        CHECK(4, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0, 0) == 0);
        return 0;
}

Test(capabilities, drop_all_leaves_nothing) {
        cr_assert_eq(in_child(drop_all_child), 0);
}

static int drop_bounding_child(void) {
        int last = capabilities_last_cap(), bits;

        CHECK(1, last > 0);
        CHECK(2, capabilities_drop_bounding(last) == 0);
        if (geteuid() != 0)
                /* Without CAP_SETPCAP nothing changes (and nothing fails). */
                return prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) >= 0 ? 0 : 3;
        for (int cap = 0; cap <= last; cap++)
                CHECK(4, prctl(PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0) == 0);
        bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
        CHECK(5, (bits & (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED)) == (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED));
        CHECK(6, (bits & SECBIT_NO_SETUID_FIXUP) == 0 && (bits & SECBIT_NO_SETUID_FIXUP_LOCKED));
        /* Locked: keep-caps can no longer be turned on. */
        CHECK(7, prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0);
        return 0;
}

Test(capabilities, drop_bounding_empties_the_set_when_privileged) {
        cr_assert_eq(in_child(drop_bounding_child), 0);
}
