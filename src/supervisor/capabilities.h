/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * QEMU keeps no capabilities: empty effective, permitted, inheritable,
 * ambient and bounding sets, and securebits locked so that even a QEMU
 * that stays uid 0 (embedded mode run by root) gains nothing on exec.
 * Raw prctl/capget/capset: no libcap, nothing that allocates in the child.
 */

/* In the parent: the kernel's highest capability number, from
 * /proc/sys/kernel/cap_last_cap. Returns >= 0 or -errno. */
int capabilities_last_cap(void);

/* In the child, before the identity switch (dropping the bounding set
 * and locking securebits need CAP_SETPCAP, which setresuid to a non-root
 * uid takes away): drop every bounding capability up to last_cap, clear
 * keep-caps and lock securebits. A supervisor without CAP_SETPCAP
 * (embedded mode as a user) cannot do this and has nothing to protect:
 * returns 0 having changed nothing. Otherwise returns 0 or -errno. */
int capabilities_drop_bounding(int last_cap);

/* In the child, after the identity switch: clear the ambient set and
 * empty effective, permitted and inheritable, then check they are
 * empty. Returns 0 or -errno (-EPERM when a capability survived). */
int capabilities_drop_all(void);
