/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * vmunit's own seccomp filter for QEMU, on top of QEMU's -sandbox: a deny
 * list of kernel interfaces QEMU never needs (module loading, kexec,
 * mounts, bpf, ptrace, keyrings, reboot, swap, namespaces...).
 *
 * Built with libseccomp in the parent, exported as a classic BPF program,
 * and installed in the child with one prctl(): libseccomp's own loader
 * allocates, which is not safe between fork and exec.
 */

#include <linux/filter.h>

#include "macro.h"

typedef struct SeccompProgram {
        struct sock_filter *filter;
        unsigned short len; /* instructions */
} SeccompProgram;

/* Build the filter for the native architecture; other architectures (the
 * i386 compat ABI, x32) kill the process. Returns 0 or -errno; the
 * program is the caller's (seccomp_program_done). */
int seccomp_filter_build(SeccompProgram *ret);
void seccomp_program_done(SeccompProgram *p);

/* In the child: install p (no_new_privs must already be set, since QEMU
 * has no CAP_SYS_ADMIN by then). Returns 0 or -errno. */
int seccomp_program_install(const SeccompProgram *p);

/* The deny list, for tests and documentation: NULL-terminated names. */
extern const char *const seccomp_filter_denied[];
