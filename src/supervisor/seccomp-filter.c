/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A deny list, not an allow list: QEMU's syscall set changes with its
 * version, build options and devices, and an allow list that misses one
 * call kills a running guest. QEMU's own -sandbox already restricts the
 * rest (privilege changes, spawning, resource control, obsolete calls);
 * this filter removes, before QEMU runs a single instruction, the kernel
 * interfaces that would turn a QEMU compromise into a host compromise.
 * Denied calls fail with EPERM so QEMU reports an error instead of dying.
 */
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "seccomp-filter.h"

static void seccomp_releasep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}

const char *const seccomp_filter_denied[] = {
        /* Kernel code: modules and kexec replace the kernel itself. */
        "init_module",
        "finit_module",
        "delete_module",
        "kexec_load",
        "kexec_file_load",
        /* Mount table and root: the classic container escapes. QEMU opens
         * paths the supervisor prepared; it never mounts. */
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "mount_setattr",
        /* New namespaces (user namespaces unlock large, bug-prone kernel
         * surface to unprivileged processes); clone's flags are below. */
        "unshare",
        "setns",
        /* eBPF: QEMU's optional virtio-net RSS program falls back to
         * software steering; unprivileged bpf() is kernel attack surface. */
        "bpf",
        /* Other processes' memory: another VM's QEMU runs as the same user
         * unless per_vm_uid is on. */
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "kcmp",
        /* Kernel keyrings: may hold other users' secrets; QEMU has its own
         * secret objects. */
        "keyctl",
        "add_key",
        "request_key",
        /* Whole-host state. */
        "reboot",
        "swapon",
        "swapoff",
        "acct",
        "quotactl",
        "syslog",
        "vhangup",
        "settimeofday",
        "clock_settime",
        /* Profiling and handles: perf events leak kernel addresses and
         * have a long CVE history; open_by_handle_at bypasses path checks
         * (the "shocker" escape). */
        "perf_event_open",
        "open_by_handle_at",
        "lookup_dcookie",
        /* Direct port I/O; QEMU emulates devices, it does not poke ports. */
        "iopl",
        "ioperm",
        /* userfaultfd widens kernel race windows for exploits; QEMU only
         * needs it for postcopy migration and background snapshots, which
         * vmunit does not drive. */
        "userfaultfd",
        NULL,
};

static int add_denied(scmp_filter_ctx ctx) {
        for (const char *const *n = seccomp_filter_denied; *n; n++) {
                int nr = seccomp_syscall_resolve_name(*n), r;

                /* Not a syscall on this architecture (iopl on arm64...). */
                if (nr == __NR_SCMP_ERROR || nr < 0)
                        continue;
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Personality flags weaken the process (READ_IMPLIES_EXEC makes every
 * readable mapping executable; ADDR_NO_RANDOMIZE and friends act on the
 * next exec). QEMU only ever runs as PER_LINUX, so anything else is
 * denied — the 0xffffffff query included: libseccomp cannot put two
 * comparisons on one argument, and QEMU's system emulator does not call
 * personality() at all. The comparison is on 64 bits: garbage in the
 * upper half fails the equality and is denied, never allowed. */
static int add_personality(scmp_filter_ctx ctx) {
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                                SCMP_A0(SCMP_CMP_NE, PER_LINUX, /* datum_b= */ 0));
}

/* clone() with a namespace flag is unshare() in disguise. clone3() passes
 * its flags in memory a filter cannot read, so it gets ENOSYS: glibc then
 * falls back to clone() for threads, which the flag check covers (QEMU's
 * own spawn=deny does the same). */
static int add_clone(scmp_filter_ctx ctx) {
        static const unsigned long ns_flags[] = {
                CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,    CLONE_NEWNET,
                CLONE_NEWUTS,  CLONE_NEWIPC, CLONE_NEWCGROUP,
        };
        uint32_t arch = seccomp_arch_native();
        int r;

        /* s390 puts clone's flags in the second argument. */
        if (arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X)
                return -EOPNOTSUPP;
        for (size_t i = 0; i < ELEMENTSOF(ns_flags); i++) {
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
                if (r < 0)
                        return r;
        }
        r = seccomp_syscall_resolve_name("clone3");
        if (r == __NR_SCMP_ERROR || r < 0)
                return 0;
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), r, 0);
}

/* Export as classic BPF. libseccomp 2.5 exports only to an fd: a memfd,
 * read back into memory the child can use without allocating. */
static int export_program(scmp_filter_ctx ctx, SeccompProgram *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ struct sock_filter *buf = NULL;
        struct stat st;
        int r;

        fd = memfd_create("vmunit-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
            st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -EINVAL;
        buf = malloc((size_t) st.st_size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, (size_t) st.st_size, 0) != st.st_size)
                return -EIO;
        ret->len = (unsigned short) (st.st_size / sizeof(struct sock_filter));
        ret->filter = TAKE_PTR(buf);
        return 0;
}

int seccomp_filter_build(SeccompProgram *ret) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        /* Only the native ABI: a syscall through the i386 compat entry
         * (int 0x80) or x32 would dodge every rule, since the numbers
         * differ. QEMU never uses them, so such a call is an attack. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r < 0)
                return r;
        r = add_denied(ctx);
        if (r >= 0)
                r = add_personality(ctx);
        if (r >= 0)
                r = add_clone(ctx);
        if (r < 0 && r != -EOPNOTSUPP)
                return r;
        return export_program(ctx, ret);
}

void seccomp_program_done(SeccompProgram *p) {
        free(p->filter);
        *p = (SeccompProgram){};
}

int seccomp_program_install(const SeccompProgram *p) {
        struct sock_fprog prog = { .len = p->len, .filter = p->filter };

        if (!p->filter || p->len == 0)
                return -EINVAL;
        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? -errno : 0;
}
