/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The VM's cgroup and its device ACL.
 *
 * System mode (Delegate=yes): the unit's cgroup is ours. cgroup v2 forbids
 * processes in inner nodes, so the supervisor moves itself into a
 * "supervisor" leaf and QEMU goes into a "qemu" leaf, which carries the
 * device filter. v2: a BPF_PROG_TYPE_CGROUP_DEVICE program that looks
 * devices up in a BPF hash map, so hotplug updates the map without
 * replacing the program. v1 (hybrid hosts): a devices-controller cgroup
 * with devices.deny "a" then devices.allow per entry.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

typedef struct VmCgroup VmCgroup;

typedef enum CgroupDeviceAccess {
        CGROUP_DEVICE_READ = 1 << 0,
        CGROUP_DEVICE_WRITE = 1 << 1,
        CGROUP_DEVICE_MKNOD = 1 << 2,
} CgroupDeviceAccess;

VmCgroup *vm_cgroup_free(VmCgroup *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(VmCgroup *, vm_cgroup_free);

/* Allow one device node (by path: char/block and major:minor are read
 * from stat) with the given access. Before the child joins: builds the
 * initial list; after: updates the live map / devices.allow (hotplug). */
int vm_cgroup_allow_device(VmCgroup *c, const char *path, unsigned access);
int vm_cgroup_deny_device(VmCgroup *c, const char *path);

/* Install the filter (attach the BPF program / write devices.deny+allow).
 * Call once after the initial allows, before the child joins. */
int vm_cgroup_apply_devices(VmCgroup *c);

/* In the child, first step of the checklist: move the calling process
 * into the QEMU leaf. Only raw syscalls (open/write/close). */
int vm_cgroup_join_qemu(const VmCgroup *c);

/* Remove the leaves once QEMU is gone (the unit's own cgroup is systemd's). */
int vm_cgroup_destroy(VmCgroup *c);

/*
 * Additions (cgroup.c), beyond the interface above.
 *
 * vm_cgroup_create_full() prepares the VM's cgroups. The supervisor knows
 * its mode and says so: DELEGATED in system mode (the unit's own cgroup
 * from /proc/self/cgroup; errors are fatal: fail closed), OWN in embedded
 * mode as root (ROOT/vmunit/NAME-PID; -EOPNOTSUPP means "not root, no
 * ACL"). DETECT guesses from the delegation xattr (tests). Returns 0,
 * -EOPNOTSUPP when no usable hierarchy is writable, or -errno.
 */
typedef enum VmCgroupPlacement {
        /* DELEGATED if our cgroup carries systemd's delegation xattr
         * (trusted.delegate / user.delegate) or $INVOCATION_ID is set (we
         * run as a systemd unit), else OWN. */
        VM_CGROUP_PLACE_DETECT = 0,
        /* Under our own cgroup from /proc/self/cgroup (Delegate=yes unit). */
        VM_CGROUP_PLACE_DELEGATED,
        /* Under vmunit/NAME-PID, created here and removed by destroy. */
        VM_CGROUP_PLACE_OWN,
} VmCgroupPlacement;

typedef enum VmCgroupBackend {
        /* BPF on a pure cgroup v2 host; the v1 devices controller on
         * hybrid and legacy hosts (BPF on the unified hierarchy when a
         * hybrid host has no devices controller mounted). */
        VM_CGROUP_BACKEND_AUTO = 0,
        /* BPF_PROG_TYPE_CGROUP_DEVICE on the v2 hierarchy (/sys/fs/cgroup,
         * or /sys/fs/cgroup/unified on a hybrid host). */
        VM_CGROUP_BACKEND_BPF,
        /* v1 devices controller (/sys/fs/cgroup/devices). */
        VM_CGROUP_BACKEND_V1,
} VmCgroupBackend;

int vm_cgroup_create_full(const char *name, VmCgroupPlacement placement, VmCgroupBackend backend,
                          VmCgroup **ret);

/* Every minor number of a major (e.g. pty slaves: char 136). */
#define VM_CGROUP_MINOR_ANY ((unsigned) -1)

/* Allow/deny by number: type 'c' or 'b', minor may be VM_CGROUP_MINOR_ANY.
 * Same before/after-apply behaviour as the path versions. */
int vm_cgroup_allow_number(VmCgroup *c, char type, unsigned major, unsigned minor, unsigned access);
int vm_cgroup_deny_number(VmCgroup *c, char type, unsigned major, unsigned minor);

/* The shared list (cgroup_device_acl from vmunit.conf): like
 * vm_cgroup_allow_device for each path, except that a path that does not
 * exist is skipped (e.g. /dev/hpet on most hosts). On error, *ret_failed
 * (if not NULL) points at the path that failed. */
int vm_cgroup_allow_acl(VmCgroup *c, char *const *paths, unsigned access, const char **ret_failed);

/* "bpf" or "v1". */
const char *vm_cgroup_backend_name(const VmCgroup *c);
/* Directory of the QEMU leaf, e.g. /sys/fs/cgroup/machine.slice/vm@a.service/qemu. */
const char *vm_cgroup_qemu_path(const VmCgroup *c);
/* An O_DIRECTORY|O_CLOEXEC fd of the QEMU leaf when it is on cgroup2 (for
 * clone3(CLONE_INTO_CGROUP)); -EOPNOTSUPP for the v1 backend. Caller closes. */
int vm_cgroup_qemu_dirfd(const VmCgroup *c);
/* Current rules, one per line in devices.allow syntax ("c 1:3 rw\n",
 * "c 136:* rw\n"); *ret is malloc'd. */
int vm_cgroup_format_rules(const VmCgroup *c, char **ret);
