/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The files a VM uses, each resolved exactly once.
 *
 * Privileged code never resolves a path twice. The supervisor turns every
 * path of the domain (disks, firmware, kernel, NVRAM, serial logs,
 * sockets) and every file a D-Bus caller hands over (an fd the caller
 * opened itself) into a VmFile: one fd for one inode. Every later step
 * works on that fd — labels (SELinux contexts, ACL entries, holder
 * records), the AppArmor rule (from the fd's own path), the cgroup
 * device ACL (st_rdev), and QEMU, which receives an fd (-add-fd and
 * /dev/fdset/N, or /proc/self/fd/N for the options that cannot take an fd
 * set) instead of the path. Renaming or swapping a directory after the
 * resolution cannot redirect any of them.
 */

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "domain.h"
#include "macro.h"

/* What a file is to the VM: decides its labels and how QEMU may use it. */
typedef enum VmFileKind {
        VM_FILE_IMAGE_RW,     /* exclusive writable disk: svirt_image_t:MCS, rw in AppArmor */
        VM_FILE_IMAGE_SHARED, /* <shareable/>: shared image context, rw */
        VM_FILE_IMAGE_RO,     /* <readonly/> disk, cdrom: content context, r */
        VM_FILE_BOOT,         /* kernel, initrd, loader: r */
        VM_FILE_NVRAM,        /* per-VM variable store: rw, exclusive */
        VM_FILE_SOCKET,       /* UNIX sockets QEMU binds or connects: rw */
        VM_FILE_LOG,          /* chardev/console log files: append */
        VM_FILE_RUNTIME_DIR,  /* a directory QEMU creates files in */
        _VM_FILE_KIND_MAX,
} VmFileKind;

/* How QEMU gets at the file. */
typedef enum VmFileDelivery {
        VM_FILE_BY_FDSET,   /* an fd in an -add-fd set; the option says /dev/fdset/N */
        VM_FILE_BY_PROC_FD, /* an inherited fd; the option says /proc/self/fd/N and QEMU
                             * reopens it (-kernel, -initrd, -bios: no fd sets there), so
                             * QEMU's own identity needs read access to the inode */
        VM_FILE_BY_PATH,    /* QEMU opens or creates the path itself (sockets it binds or
                             * connects, the runtime directory) */
} VmFileDelivery;

typedef struct VmFile {
        VmFileKind kind;
        VmFileDelivery delivery;
        /* The open mode QEMU's fd gets: O_RDONLY, O_RDWR, O_WRONLY|O_APPEND;
         * -1 for BY_PATH. */
        int qemu_flags;
        /* The path as the domain XML (or caller) wrote it: the key the argv
         * builder looks the file up by. */
        char *source;
        /* Where fd really is (fd_get_path()): canonical, the one path used
         * for journal records, AppArmor rules and messages. For a socket
         * or log QEMU creates, the resolved directory plus the name. */
        char *path;
        /* The one resolution: O_PATH from resolve_path_once(), or the fd a
         * caller passed, or one the supervisor opened (a log it created).
         * For a file that does not exist yet (BY_PATH sockets), the
         * directory it will be created in, and parent_only is set. */
        int fd;
        bool parent_only;
        struct stat st; /* fstat(fd) at resolution */
        /* QEMU's side, filled by vm_files_prepare_qemu(): the fd reopened
         * from fd with qemu_flags, the number it gets in QEMU's process,
         * and (BY_FDSET) its set id. -EBADF / -1 / 0 until then. */
        int qemu_fd;
        int child_fd;
        unsigned fdset;
} VmFile;

#define VM_FILE_NULL ((VmFile){ .fd = -EBADF, .qemu_fd = -EBADF, .child_fd = -1, .qemu_flags = -1 })

/* Resolve one path once (resolve_path_once(), symlinks allowed: the
 * domain XML is root's and admins point disks at /dev/disk/by-id links;
 * magic links never) into *ret. A path that does not exist is -ENOENT,
 * except for kind VM_FILE_SOCKET with delivery BY_PATH, which resolves
 * its directory instead (parent_only). Returns 0 or -errno; on failure
 * *ret is VM_FILE_NULL. */
int vm_file_resolve(const char *source, VmFileKind kind, VmFileDelivery delivery, int qemu_flags,
                    VmFile *ret);
/* The same for an fd a D-Bus caller opened and passed (duplicated here;
 * the caller's copy stays theirs). The fd's own access mode must allow
 * qemu_flags (a read-only fd cannot become a writable disk): -EBADF
 * otherwise; it must be a regular file or block device: -EINVAL. */
int vm_file_adopt_fd(int fd, const char *source, VmFileKind kind, int qemu_flags, VmFile *ret);
void vm_file_done(VmFile *f);

/* Every file of a domain, in one table. */
typedef struct VmFiles {
        VmFile *items;
        size_t n;
} VmFiles;

void vm_files_done(VmFiles *files);
/* Append f (taken over: *f becomes VM_FILE_NULL). Returns 0 or -ENOMEM. */
int vm_files_add(VmFiles *files, VmFile *f);
/* The entry for source with kind, or NULL. */
const VmFile *vm_files_find(const VmFiles *files, VmFileKind kind, const char *source);
/* The kind of disk's image: cdroms and <readonly/> are RO, <shareable/>
 * SHARED, else RW. */
VmFileKind vm_file_kind_of_disk(const DomainDisk *disk);
const char *vm_file_kind_to_string(VmFileKind kind);

/* Open (creating it 0600 if missing) the log file source for appending,
 * as the supervisor does for QEMU: its directory resolved once, the name
 * opened with O_NOFOLLOW and O_NONBLOCK (a FIFO planted there must not
 * block us), and only a regular file accepted. Returns 0 or -errno. */
int vm_file_open_log(const char *source, VmFile *ret);

/*
 * Every file of d that QEMU will use, each resolved once: disks (by
 * kind), kernel, initrd, loader, NVRAM, serial/console log files (opened
 * or created here), UNIX sockets, and, when given, the console log
 * (console_log) and the runtime directory (run_dir). On failure *ret is
 * empty and *ret_error names the file and why (caller frees); -ENOENT for
 * a file that does not exist.
 */
int vm_files_collect(const Domain *d, const char *run_dir, const char *console_log, VmFiles *ret,
                     char **ret_error);
