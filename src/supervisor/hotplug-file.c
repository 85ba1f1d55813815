/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hotplugged disk's file, from the caller's fd to QEMU's (see
 * hotplug-file.h).
 *
 * Why fds: the supervisor is root, and a member of group vmunit may call
 * AttachDevice(). With a path, every step (the caller's access check,
 * each label backend, the device ACL, systemd's DeviceAllow=, QEMU) would
 * resolve it again, and a caller who swaps a directory in between
 * (renameat2(RENAME_EXCHANGE) in a loop) gets root's file handed to the
 * guest (review finding 3). With the caller's own fd, the kernel made the
 * access check when the caller opened it, with the caller's identity, and
 * every later step works on that one inode. A read-only attach therefore
 * needs no more than the caller's read access, and gives no more than
 * that: QEMU's fd is opened O_RDONLY and nothing on the file changes
 * owner (finding 4).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-bus.h>

#include "cgroup.h"
#include "fs-util.h"
#include "hotplug-file.h"
#include "label.h"
#include "log.h"
#include "unit-name.h"
#include "vm-bus.h"

int hotplug_file_check_fds(const Domain *fragment, size_t n_fds, const Caller *caller, char **ret_msg) {
        const DomainDisk *first = NULL;
        size_t n = 0;

        /* fds[i] is the file of the i-th <source>, in document order; a
         * <disk> fragment has at most one. */
        for (size_t i = 0; i < fragment->n_disks; i++)
                if (fragment->disks[i].source && n++ == 0)
                        first = &fragment->disks[i];
        /* A caller that is not root hands over what it opened itself: a
         * path would be resolved by root, here. Root may name a path (vmctl
         * -H, where fds cannot cross SSH): it is resolved once, as a path
         * of the root-owned domain XML is. */
        if (n_fds == 0 && first && caller_is_other(caller))
                return set_errorf(
                        ret_msg, -EINVAL,
                        "disk '%s': pass the image as a file descriptor you opened (vmctl attach-disk "
                        "does); only root may have the supervisor open a path",
                        first->target_dev);
        if (n_fds != 0 && n_fds != n)
                return set_errorf(ret_msg, -EINVAL,
                                  "AttachDevice: the fragment has %zu source(s) but %zu file descriptor(s) "
                                  "were passed: one per <source>, in document order",
                                  n, n_fds);
        return 0;
}

/* A regular file for type='file', a block device for type='block'. */
static int check_type(const DomainDisk *disk, mode_t mode, char **ret_msg) {
        if (disk->type == DOMAIN_DISK_TYPE_BLOCK && !S_ISBLK(mode))
                return set_errorf(ret_msg, -EINVAL, "disk '%s': the source is not a block device%s",
                                  disk->target_dev, S_ISREG(mode) ? " (use type='file')" : "");
        if (disk->type != DOMAIN_DISK_TYPE_BLOCK && !S_ISREG(mode))
                return set_errorf(ret_msg, -EINVAL, "disk '%s': the source is not a regular file%s",
                                  disk->target_dev, S_ISBLK(mode) ? " (use type='block')" : "");
        return 0;
}

static int adopt(const DomainDisk *disk, int fd, VmFileKind kind, int flags, VmFile *ret, char **ret_msg) {
        int r = vm_file_adopt_fd(fd, disk->source, kind, flags, ret);

        if (r == -EBADF && flags == O_RDWR)
                return set_errorf(ret_msg, r,
                                  "disk '%s': the file descriptor is not open for reading and writing (a "
                                  "writable disk needs O_RDWR; say <readonly/> for a read-only one)",
                                  disk->target_dev);
        if (r == -EBADF)
                return set_errorf(
                        ret_msg, r,
                        "disk '%s': the file descriptor is not open for reading (O_RDONLY or O_RDWR)",
                        disk->target_dev);
        if (r == -EINVAL)
                return set_errorf(ret_msg, r,
                                  "disk '%s': the file descriptor is not a regular file or block device",
                                  disk->target_dev);
        if (r < 0)
                return set_errorf(ret_msg, r, "disk '%s': cannot use the file descriptor: %s",
                                  disk->target_dev, strerror(-r));
        return 0;
}

int hotplug_file_take(const DomainDisk *disk, int fd, VmFile *ret, char **ret_msg) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        VmFileKind kind = vm_file_kind_of_disk(disk);
        int flags = kind == VM_FILE_IMAGE_RO ? O_RDONLY : O_RDWR;
        int r;

        *ret = VM_FILE_NULL;
        if (fd >= 0)
                r = adopt(disk, fd, kind, flags, &f, ret_msg);
        else {
                r = vm_file_resolve(disk->source, kind, VM_FILE_BY_FDSET, flags, &f);
                if (r < 0)
                        (void) set_errorf(ret_msg, r, "disk '%s': cannot use source '%s': %s",
                                          disk->target_dev, disk->source, strerror(-r));
        }
        if (r >= 0)
                r = check_type(disk, f.st.st_mode, ret_msg);
        if (r < 0)
                return r;
        /* The caller's text names nothing from here on: the file is known
         * by its fd's own path (the AppArmor rule set's key, the live XML),
         * so no <source> string can stand for another disk's file. */
        free(f.source);
        f.source = strdup(f.path);
        if (!f.source)
                return set_errorf(ret_msg, -ENOMEM, "AttachDevice: out of memory");
        *ret = f;
        f = VM_FILE_NULL;
        return 0;
}

bool hotplug_same_file(const VmFile *a, const VmFile *b) {
        if (a->fd < 0 || b->fd < 0)
                return false;
        if (S_ISBLK(a->st.st_mode) && S_ISBLK(b->st.st_mode))
                return a->st.st_rdev == b->st.st_rdev;
        return stat_same_inode(&a->st, &b->st);
}

/*
 * System mode: the unit runs with DevicePolicy=closed, and systemd's own
 * device filter on the unit's cgroup (DeviceAllow= from the generator)
 * applies to our leaf and QEMU's beneath it; a block device that was not
 * in the domain at start needs a runtime DeviceAllow= there too, before
 * we open QEMU's fd of it. It is named by number, /dev/block/MAJ:MIN from
 * the fd's st_rdev (systemd takes the number from that name without
 * looking the path up), never by a path the caller gave.
 */
static int unit_allow_block(Supervisor *s, dev_t rdev, bool readonly, char **ret_msg) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char node[64];
        int r;

        if (s->paths.embedded)
                return 0;
        snprintf(node, sizeof(node), "/dev/block/%u:%u", major(rdev), minor(rdev));
        r = vm_unit_name(s->name, &unit);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "SetUnitProperties", &error, NULL,
                                       "sba(sv)", unit, 1, 1, "DeviceAllow", "a(ss)", 1, node,
                                       readonly ? "r" : "rw");
        if (r < 0)
                (void) set_errorf(ret_msg, r, "cannot allow %s in the unit's device policy: %s", node,
                                  error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        return r;
}

/* The device ACL for a block device, by the number of the inode taken:
 * the unit's, then ours on QEMU's leaf. */
static int allow_block(Supervisor *s, const VmFile *f, HotplugGrant *g, char **ret_msg) {
        bool readonly = (f->qemu_flags & O_ACCMODE) == O_RDONLY;
        unsigned maj = major(f->st.st_rdev), min = minor(f->st.st_rdev);
        int r;

        r = unit_allow_block(s, f->st.st_rdev, readonly, ret_msg);
        if (r < 0)
                return r;
        r = vm_cgroup_allow_number(s->cgroup, 'b', maj, min,
                                   CGROUP_DEVICE_READ | (readonly ? 0 : CGROUP_DEVICE_WRITE));
        if (r < 0)
                return set_errorf(ret_msg, r, "cannot allow block device %u:%u in the VM's device ACL: %s",
                                  maj, min, strerror(-r));
        g->allowed = true;
        return 0;
}

/* QEMU's own fd last, as at start: opened once labelled (under SELinux
 * the supervisor may open the VM's image context) and once a block device
 * is allowed, with exactly the disk's access mode; never more than the
 * caller's fd proved (vm_file_adopt_fd() checked its mode). */
int hotplug_file_grant(Supervisor *s, VmFile *f, HotplugGrant *g, char **ret_msg) {
        int r;

        if (s->labels) {
                r = label_manager_label_file(s->labels, f, ret_msg);
                if (r < 0)
                        return r;
                g->labelled = true;
        }
        if (S_ISBLK(f->st.st_mode) && s->cgroup) {
                r = allow_block(s, f, g, ret_msg);
                if (r < 0)
                        return r;
        }
        r = vm_file_prepare_qemu(f);
        if (r < 0)
                return set_errorf(ret_msg, r, "cannot open it for QEMU: %s", strerror(-r));
        return 0;
}

/* A warning naming a file (a path a caller may have chosen): escaped. */
static void warn_file(int r, const char *what, const VmFile *f) {
        _cleanup_free_ char *shown = cescape(f->path ?: f->source ?: "?", 1024);

        log_warning_errno(r, "hotplug: %s %s: %m", what, shown ?: "?");
}

void hotplug_file_revoke(Supervisor *s, VmFile *f, HotplugGrant *g) {
        int r;

        f->qemu_fd = safe_close(f->qemu_fd);
        if (g->allowed && s->cgroup) {
                r = vm_cgroup_deny_number(s->cgroup, 'b', major(f->st.st_rdev), minor(f->st.st_rdev));
                if (r < 0)
                        warn_file(r, "cannot remove from the device ACL", f);
        }
        g->allowed = false;
        if (g->labelled && s->labels) {
                r = label_manager_restore_file(s->labels, f);
                if (r < 0 && r != -ENOENT)
                        warn_file(r, "cannot restore the labels of", f);
        }
        g->labelled = false;
}
