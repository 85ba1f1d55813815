/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability dropping for the QEMU child. QEMU needs no capability at
 * all: everything privileged (cgroup, owners, labels, the QMP socket) is
 * arranged by the supervisor before exec.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "capabilities.h"
#include "macro.h"

int capabilities_last_cap(void) {
        _cleanup_close_ int fd = -EBADF;
        char buf[16] = {};
        ssize_t n;
        char *end;
        long v;

        fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return negative_errno();
        errno = 0;
        v = strtol(buf, &end, 10);
        if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v < 0 || v > 255)
                return -EINVAL;
        return (int) v;
}

static int caps_get(struct __user_cap_data_struct data[static 2]) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };

        return syscall(SYS_capget, &h, data) < 0 ? -errno : 0;
}

/* > 0 when cap is in our effective set, 0 when not, or -errno. */
static int caps_have_effective(int cap) {
        struct __user_cap_data_struct data[2] = {};
        int r = caps_get(data);

        if (r < 0)
                return r;
        return !!(data[cap / 32].effective & (1U << (cap % 32)));
}

/* The bits we lock, as systemd's SecureBits= names them:
 *  noroot (+locked): uid 0 gets no capabilities from exec, so an
 *    embedded-mode QEMU that stays root regains nothing;
 *  no-setuid-fixup-locked (fixup stays ON): setresuid to a non-root uid
 *    keeps clearing capabilities, and nothing can turn that off;
 *  keep-caps-locked (keep-caps stays OFF): same, for PR_SET_KEEPCAPS;
 *  no-cap-ambient-raise (+locked): the ambient set stays empty. */
#define QEMU_SECUREBITS                                                                                   \
        (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | \
         SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

static int lock_securebits(void) {
        int cur = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

        if (cur < 0)
                return -errno;
        /* Bits we want off are cleared before their lock is set; if the
         * environment already locked them on, this fails: fail closed. */
        cur &= ~(SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS);
        if (prctl(PR_SET_SECUREBITS, (unsigned long) (cur | QEMU_SECUREBITS), 0, 0, 0) < 0)
                return -errno;
        return 0;
}

int capabilities_drop_bounding(int last_cap) {
        int r = caps_have_effective(CAP_SETPCAP);

        /* Without CAP_SETPCAP the bounding set cannot be changed — and then
         * it does not matter: no_new_privs (set later in the checklist)
         * caps what exec can grant at what the process already has, which
         * by then is nothing, for setuid/file-capability binaries and for
         * uid 0 alike. Emptying the set is defence in depth. */
        if (r <= 0)
                return r;
        for (int cap = 0; cap <= last_cap; cap++) {
                int set = prctl(PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0);

                if (set < 0)
                        return -errno;
                if (set > 0 && prctl(PR_CAPBSET_DROP, (unsigned long) cap, 0, 0, 0) < 0)
                        return -errno;
        }
        /* Must precede the lock: PR_SET_KEEPCAPS fails once it is locked. */
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return -errno;
        return lock_securebits();
}

int capabilities_drop_all(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct data[2] = {};
        int r;

        /* EINVAL: a kernel without ambient capabilities (< 4.3) has none. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        if (syscall(SYS_capset, &h, data) < 0)
                return -errno;

        /* Verify rather than trust. */
        r = caps_get(data);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(data); i++)
                if (data[i].effective || data[i].permitted || data[i].inheritable)
                        return -EPERM;
        return 0;
}
