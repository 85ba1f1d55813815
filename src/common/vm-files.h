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
        VM_FILE_BY_FD,      /* an inherited fd the option names by number (fd=N): a UNIX
                             * socket the supervisor bound for QEMU to listen on */
        VM_FILE_BY_PATH,    /* QEMU opens or creates the path itself (sockets it connects
                             * to, the VNC socket, the directory of its own files) */
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
         * For a socket (one QEMU creates, BY_PATH, or one the supervisor
         * bound, BY_FD) the directory it is in, and parent_only is set. */
        int fd;
        bool parent_only;
        /* The console log the supervisor creates for QEMU in the VM's own
         * runtime directory (RUN/NAME/console.log): it keeps that
         * directory's label. No MAC relabels it: the SELinux policy lets
         * QEMU append to it through its fd and nothing else, so QEMU
         * cannot open it by path (with the VM's image context it could). */
        bool console_log;
        /* fd is one a D-Bus caller opened (vm_file_adopt_fd()): QEMU then
         * always gets an open of its own (vm_file_prepare_qemu()), never
         * the caller's open file description, whose status flags the
         * caller can still change and whose owner (the caller's SELinux
         * domain) QEMU has no business using. */
        bool from_caller;
        /* fstat(fd) at resolution; for a socket the supervisor bound, the
         * socket node (so that only that node is ever removed). */
        struct stat st;
        /* QEMU's side, filled by vm_files_prepare_qemu(): the fd reopened
         * from fd with qemu_flags (a BY_FD socket: the listening socket,
         * from the start), the number it gets in QEMU's process, and
         * (BY_FDSET) its set id. -EBADF / -1 / 0 until then. */
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
 * the caller's copy stays theirs; from_caller set). It must be a regular
 * file or block device: -EINVAL otherwise; and its own access mode must
 * allow qemu_flags (a read-only fd cannot become a writable disk, an
 * O_PATH fd proves no access): -EBADF otherwise. */
int vm_file_adopt_fd(int fd, const char *source, VmFileKind kind, int qemu_flags, VmFile *ret);
void vm_file_done(VmFile *f);
/* A copy of f that reaches the same inode: its fd duplicated, strings
 * copied, no QEMU-side fd. For whoever must outlive the table f is in
 * (the label manager, a hotplugged disk). Returns 0, -EINVAL for a file
 * without fd, path or source, or -errno. */
int vm_file_copy(const VmFile *f, VmFile *ret);
/* Open QEMU's fd of f (f->qemu_fd, not numbered): see
 * vm_files_prepare_qemu(). Returns 0 or -errno. */
int vm_file_prepare_qemu(VmFile *f);

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
/* The kind of a firmware loader (type as qemu_firmware_resolve() left
 * it): a writable pflash loader is a variable store of its own (NVRAM),
 * anything else a BOOT file. */
VmFileKind vm_file_kind_of_loader(DomainLoaderType type, bool code_readonly);
const char *vm_file_kind_to_string(VmFileKind kind);

/* Open (creating it 0600 if missing) the log file source for appending,
 * as the supervisor does for QEMU: its directory resolved once, the name
 * opened with O_NOFOLLOW and O_NONBLOCK (a FIFO planted there must not
 * block us), and only a regular file accepted; with truncate (<source
 * append='off'>) emptied. Returns 0 or -errno. */
int vm_file_open_log(const char *source, bool truncate, VmFile *ret);

/* Bind and listen on the UNIX socket source for QEMU (<serial
 * type='unix'> mode='bind'): its directory resolved once (ret->fd,
 * parent_only), a stale socket of that name removed, the new one bound
 * through that directory (/proc/self/fd/N/NAME, so no path is walked
 * again) into ret->qemu_fd, ret->st its node. Anything but a socket at the
 * name is -EEXIST. Returns 0 or -errno. */
int vm_file_bind_socket(const char *source, VmFile *ret);

/* One file a domain names, as vm_files_walk() reports it: what (for
 * messages: "disk", "kernel", ...), the path, its kind and how QEMU gets
 * it, the open mode for QEMU, the file type it must have (S_IFBLK for a
 * <disk type='block'>, S_IFDIR for the runtime directory, 0: anything but
 * a directory) and, for a log, whether to empty it (append='off'). */
typedef struct VmFileSpec {
        const char *what;
        const char *source;
        VmFileKind kind;
        VmFileDelivery delivery;
        int qemu_flags;
        mode_t want_type;
        bool truncate;
        bool console_log; /* VmFile.console_log */
} VmFileSpec;

/* Call fn for every file of d that QEMU will use, in table order: kernel,
 * initrd, firmware loader (firmware='efi' without <loader> included,
 * through qemu_firmware_resolve(); none when that refuses the domain:
 * the argv builder says why), NVRAM, disks, chardev logs and sockets, the
 * VNC socket, then console_log and run_dir when given. A path named twice
 * (a log two serial ports share) is reported twice: one entry per kind and
 * path is the caller's to keep (vm_files_find()). Pure: no file is
 * touched. Stops at and returns the first negative fn result; else 0. */
int vm_files_walk(const Domain *d, const char *run_dir, const char *console_log,
                  int (*fn)(const VmFileSpec *spec, void *userdata), void *userdata);

/*
 * Every file of d that QEMU will use (vm_files_walk()), each resolved
 * once: disks (by kind), kernel, initrd, loader, NVRAM, serial/console
 * log files (opened or created here), UNIX sockets (bound here when QEMU
 * listens on them), and, when given, the console log (console_log) and
 * the directory QEMU may create files in (run_dir). On failure *ret is
 * empty and *ret_error names the file and why (caller frees); -ENOENT for
 * a file that does not exist, -ENOTBLK/-EISDIR/-ENOTDIR for one of the
 * wrong type.
 */
int vm_files_collect(const Domain *d, const char *run_dir, const char *console_log, VmFiles *ret,
                     char **ret_error);

/* Number the entries QEMU receives as fds (BY_FDSET, BY_PROC_FD, BY_FD),
 * in table order: child_fd from first_fd up, and fd-set ids from 1 for
 * the BY_FDSET ones. Returns how many fds QEMU receives. Pure. */
size_t vm_files_number(VmFiles *files, int first_fd);
/* Open QEMU's fd of every entry that gets one: fd reopened with exactly
 * qemu_flags (fd_reopen(); O_NONBLOCK added for block devices, so an
 * empty cdrom drive opens as QEMU's host_cdrom would), or a duplicate of
 * fd when the supervisor already opened it that way (a log; never a
 * caller's fd, from_caller), and number
 * them (vm_files_number()). Returns the number of fds, or -errno with
 * *ret_error naming the file (e.g. a writable disk on a read-only
 * mount: -EROFS). */
int vm_files_prepare_qemu(VmFiles *files, int first_fd, char **ret_error);
/* Close the QEMU-side fds (QEMU has its own copies once it runs). */
void vm_files_close_qemu(VmFiles *files);
/* Remove the sockets the supervisor bound, relative to their directory,
 * each only if the node there is still the one it bound. */
void vm_files_remove_sockets(const VmFiles *files);
