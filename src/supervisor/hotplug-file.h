/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A hotplugged disk's file at the privilege edge (hotplug-file.c): from
 * the fd a caller passed to AttachDevice() (or, for root alone, a path
 * resolved once) to the fd QEMU gets, and back at detach. Every step
 * after the first works on the one VmFile taken there; nothing here opens
 * or stats a caller's path.
 */

#include <stdbool.h>

#include "caller.h"
#include "domain.h"
#include "supervisor.h"
#include "vm-files.h"

/* What hotplug_file_grant() did, for hotplug_file_revoke() to undo. */
typedef struct HotplugGrant {
        bool labelled; /* the label manager has the file */
        bool allowed;  /* a block device is in the VM's cgroup device ACL */
} HotplugGrant;

/* Whether n_fds fds fit the fragment: one per <source> in document order,
 * or none when caller is root (the supervisor's own identity). Returns 0,
 * or -EINVAL with a line in *ret_msg (caller frees). */
int hotplug_file_check_fds(const Domain *fragment, size_t n_fds, const Caller *caller, char **ret_msg);

/* The file of disk: the caller's fd (duplicated: vm_file_adopt_fd()),
 * or with fd < 0 disk->source resolved once (root's path), checked
 * against the disk: an O_RDWR fd for a writable disk, O_RDONLY or O_RDWR
 * for a <readonly/> one; a regular file for type='file', a block device
 * for type='block'. Its source is its own path, not the caller's text.
 * Returns 0, or -errno with a line naming the target in *ret_msg; *ret
 * stays VM_FILE_NULL on failure. */
int hotplug_file_take(const DomainDisk *disk, int fd, VmFile *ret, char **ret_msg);

/* Whether a and b are one file to QEMU: the same inode, or two nodes of
 * one block device (/dev/loop0 and /dev/block/7:0). */
bool hotplug_same_file(const VmFile *a, const VmFile *b);

/* Give QEMU f, in order: labels on its inode (MAC label, AppArmor
 * .files), a block device into the unit's DeviceAllow= (/dev/block/
 * MAJ:MIN from st_rdev) and the VM's cgroup device ACL, then QEMU's own
 * fd (f->qemu_fd, exactly the disk's access mode). *g records each step
 * done. Returns 0, or -errno with a line in *ret_msg; the steps done stay
 * for hotplug_file_revoke(). */
int hotplug_file_grant(Supervisor *s, VmFile *f, HotplugGrant *g, char **ret_msg);

/* Undo what *g says was granted, newest first, through f (QEMU's fd
 * closed, the cgroup rule by st_rdev, the labels by inode); logs what it
 * cannot undo. The unit's DeviceAllow= stays: systemd can only reset the
 * whole list, and our cgroup rule is the one that follows the disk. */
void hotplug_file_revoke(Supervisor *s, VmFile *f, HotplugGrant *g);
