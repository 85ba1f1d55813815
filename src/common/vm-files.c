/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VmFile: one path of a VM, resolved once (see vm-files.h). The rest of
 * the supervisor works on the fd kept here, never on the path again.
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>

#include "fs-util.h"
#include "vm-files.h"

void vm_file_done(VmFile *f) {
        if (!f)
                return;
        safe_close(f->fd);
        safe_close(f->qemu_fd);
        free(f->source);
        free(f->path);
        *f = VM_FILE_NULL;
}

/* A socket QEMU will bind does not exist yet: resolve its directory once
 * and name the socket inside it. */
static int resolve_parent(const char *source, VmFile *f) {
        _cleanup_free_ char *dir_copy = strdup(source), *base_copy = strdup(source), *dir_path = NULL;
        const char *base;
        int r;

        if (!dir_copy || !base_copy)
                return -ENOMEM;
        base = basename(base_copy);
        if (!*base || streq(base, ".") || streq(base, ".."))
                return -EINVAL;
        f->fd = resolve_path_once(dirname(dir_copy), /* no_symlinks= */ false);
        if (f->fd < 0)
                return f->fd;
        r = fd_get_path(f->fd, &dir_path);
        if (r < 0)
                return r;
        if (fstat(f->fd, &f->st) < 0)
                return negative_errno();
        if (!S_ISDIR(f->st.st_mode))
                return -ENOTDIR;
        f->parent_only = true;
        return asprintf(&f->path, "%s/%s", streq(dir_path, "/") ? "" : dir_path, base) < 0 ? -ENOMEM : 0;
}

static int resolve_into(const char *source, VmFileKind kind, VmFileDelivery delivery, VmFile *f) {
        f->fd = resolve_path_once(source, /* no_symlinks= */ false);
        if (f->fd == -ENOENT && kind == VM_FILE_SOCKET && delivery == VM_FILE_BY_PATH)
                return resolve_parent(source, f);
        if (f->fd < 0)
                return f->fd;
        if (fstat(f->fd, &f->st) < 0)
                return negative_errno();
        return fd_get_path(f->fd, &f->path);
}

int vm_file_resolve(const char *source, VmFileKind kind, VmFileDelivery delivery, int qemu_flags,
                    VmFile *ret) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        int r;

        *ret = VM_FILE_NULL;
        if (!source || source[0] != '/' || (unsigned) kind >= _VM_FILE_KIND_MAX)
                return -EINVAL;
        f.kind = kind;
        f.delivery = delivery;
        f.qemu_flags = delivery == VM_FILE_BY_PATH ? -1 : qemu_flags;
        f.source = strdup(source);
        if (!f.source)
                return -ENOMEM;
        r = resolve_into(source, kind, delivery, &f);
        if (r < 0)
                return r;
        *ret = f;
        f = VM_FILE_NULL;
        return 0;
}

/* Whether an fd opened with fd_flags may serve as one opened with want. */
static bool access_allows(int fd_flags, int want) {
        int have = fd_flags & O_ACCMODE;

        switch (want & O_ACCMODE) {
        case O_RDONLY: return have == O_RDONLY || have == O_RDWR;
        case O_WRONLY: return have == O_WRONLY || have == O_RDWR;
        default: return have == O_RDWR;
        }
}

int vm_file_adopt_fd(int fd, const char *source, VmFileKind kind, int qemu_flags, VmFile *ret) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        int fl, r;

        *ret = VM_FILE_NULL;
        if (fd < 0 || !source || (unsigned) kind >= _VM_FILE_KIND_MAX)
                return -EINVAL;
        fl = fcntl(fd, F_GETFL);
        if (fl < 0)
                return negative_errno();
        /* O_PATH carries no access at all: the caller proved nothing. */
        if ((fl & O_PATH) || !access_allows(fl, qemu_flags))
                return -EBADF;
        f.kind = kind;
        f.delivery = VM_FILE_BY_FDSET;
        f.qemu_flags = qemu_flags;
        f.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (f.fd < 0)
                return negative_errno();
        if (fstat(f.fd, &f.st) < 0)
                return negative_errno();
        if (!S_ISREG(f.st.st_mode) && !S_ISBLK(f.st.st_mode))
                return -EINVAL;
        f.source = strdup(source);
        if (!f.source)
                return -ENOMEM;
        r = fd_get_path(f.fd, &f.path);
        if (r < 0)
                return r;
        *ret = f;
        f = VM_FILE_NULL;
        return 0;
}

void vm_files_done(VmFiles *files) {
        for (size_t i = 0; i < files->n; i++)
                vm_file_done(&files->items[i]);
        free(files->items);
        *files = (VmFiles){};
}

int vm_files_add(VmFiles *files, VmFile *f) {
        VmFile *n = reallocarray(files->items, files->n + 1, sizeof(VmFile));

        if (!n)
                return -ENOMEM;
        files->items = n;
        files->items[files->n++] = *f;
        *f = VM_FILE_NULL;
        return 0;
}

const VmFile *vm_files_find(const VmFiles *files, VmFileKind kind, const char *source) {
        for (size_t i = 0; i < files->n; i++)
                if (files->items[i].kind == kind && streq_ptr(files->items[i].source, source))
                        return &files->items[i];
        return NULL;
}

VmFileKind vm_file_kind_of_disk(const DomainDisk *disk) {
        /* QEMU opens a cdrom read-only whatever the XML says. */
        if (disk->readonly || disk->device == DOMAIN_DISK_DEVICE_CDROM)
                return VM_FILE_IMAGE_RO;
        return disk->shareable ? VM_FILE_IMAGE_SHARED : VM_FILE_IMAGE_RW;
}

const char *vm_file_kind_to_string(VmFileKind kind) {
        static const char *const names[_VM_FILE_KIND_MAX] = {
                [VM_FILE_IMAGE_RW] = "disk image",
                [VM_FILE_IMAGE_SHARED] = "shared disk image",
                [VM_FILE_IMAGE_RO] = "read-only disk image",
                [VM_FILE_BOOT] = "boot file",
                [VM_FILE_NVRAM] = "NVRAM file",
                [VM_FILE_SOCKET] = "socket",
                [VM_FILE_LOG] = "log file",
                [VM_FILE_RUNTIME_DIR] = "runtime directory",
        };
        return (unsigned) kind < _VM_FILE_KIND_MAX ? names[kind] : "file";
}

int vm_file_open_log(const char *source, VmFile *ret) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        _cleanup_free_ char *dir_copy = strdup(source), *base_copy = strdup(source);
        _cleanup_close_ int dir_fd = -EBADF;
        int fl, r;

        *ret = VM_FILE_NULL;
        if (!dir_copy || !base_copy)
                return -ENOMEM;
        if (source[0] != '/')
                return -EINVAL;
        /* The directory once, then the name inside it, never a link. */
        dir_fd = resolve_path_once(dirname(dir_copy), /* no_symlinks= */ false);
        if (dir_fd < 0)
                return dir_fd;
        f.fd = openat(dir_fd, basename(base_copy),
                      O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
        if (f.fd < 0)
                return negative_errno();
        if (fstat(f.fd, &f.st) < 0)
                return negative_errno();
        if (!S_ISREG(f.st.st_mode))
                return -EINVAL;
        fl = fcntl(f.fd, F_GETFL);
        if (fl < 0 || fcntl(f.fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
                return negative_errno();
        f.kind = VM_FILE_LOG;
        f.delivery = VM_FILE_BY_FDSET;
        f.qemu_flags = O_WRONLY | O_APPEND;
        f.source = strdup(source);
        if (!f.source)
                return -ENOMEM;
        r = fd_get_path(f.fd, &f.path);
        if (r < 0)
                return r;
        *ret = f;
        f = VM_FILE_NULL;
        return 0;
}

typedef struct Collector {
        VmFiles files;
        char **ret_error;
} Collector;

static int collect_add(Collector *c, const char *source, VmFileKind kind, VmFileDelivery delivery,
                       int qemu_flags) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        int r;

        /* One file, one entry: a path named twice (a log shared by two
         * serial ports) is resolved and handed to QEMU once. */
        if (vm_files_find(&c->files, kind, source))
                return 0;
        r = kind == VM_FILE_LOG ? vm_file_open_log(source, &f)
                                : vm_file_resolve(source, kind, delivery, qemu_flags, &f);
        if (r < 0)
                return set_errorf(c->ret_error, r, "%s %s: %s", vm_file_kind_to_string(kind), source,
                                  strerror(-r));
        r = vm_files_add(&c->files, &f);
        return r < 0 ? set_errorf(c->ret_error, r, "out of memory") : 0;
}

static int collect_os(Collector *c, const DomainOs *os) {
        bool pflash = os->loader_type == DOMAIN_LOADER_PFLASH;
        bool loader_ro = os->loader_readonly != DOMAIN_TRISTATE_OFF;
        int r = 0;

        if (os->kernel)
                r = collect_add(c, os->kernel, VM_FILE_BOOT, VM_FILE_BY_PROC_FD, O_RDONLY);
        if (r >= 0 && os->initrd)
                r = collect_add(c, os->initrd, VM_FILE_BOOT, VM_FILE_BY_PROC_FD, O_RDONLY);
        if (r >= 0 && os->loader)
                r = collect_add(c, os->loader, pflash && !loader_ro ? VM_FILE_NVRAM : VM_FILE_BOOT,
                                pflash ? VM_FILE_BY_FDSET : VM_FILE_BY_PROC_FD,
                                pflash && !loader_ro ? O_RDWR : O_RDONLY);
        if (r >= 0 && os->nvram)
                r = collect_add(c, os->nvram, VM_FILE_NVRAM, VM_FILE_BY_FDSET, O_RDWR);
        return r;
}

static int collect_devices(Collector *c, const Domain *d) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < d->n_disks; i++) {
                const DomainDisk *disk = &d->disks[i];
                VmFileKind kind = vm_file_kind_of_disk(disk);
                if (disk->source)
                        r = collect_add(c, disk->source, kind, VM_FILE_BY_FDSET,
                                        kind == VM_FILE_IMAGE_RO ? O_RDONLY : O_RDWR);
        }
        for (size_t i = 0; r >= 0 && i < d->n_chars; i++) {
                const DomainChar *ch = &d->chars[i];
                if (ch->path && ch->type == DOMAIN_CHAR_FILE)
                        r = collect_add(c, ch->path, VM_FILE_LOG, VM_FILE_BY_FDSET, O_WRONLY | O_APPEND);
                else if (ch->path && ch->type == DOMAIN_CHAR_UNIX)
                        r = collect_add(c, ch->path, VM_FILE_SOCKET, VM_FILE_BY_PATH, -1);
        }
        for (size_t i = 0; r >= 0 && i < d->n_graphics; i++)
                if (d->graphics[i].socket)
                        r = collect_add(c, d->graphics[i].socket, VM_FILE_SOCKET, VM_FILE_BY_PATH, -1);
        return r;
}

int vm_files_collect(const Domain *d, const char *run_dir, const char *console_log, VmFiles *ret,
                     char **ret_error) {
        Collector c = { .ret_error = ret_error };
        int r;

        *ret = (VmFiles){};
        r = collect_os(&c, &d->os);
        if (r >= 0)
                r = collect_devices(&c, d);
        if (r >= 0 && console_log)
                r = collect_add(&c, console_log, VM_FILE_LOG, VM_FILE_BY_FDSET, O_WRONLY | O_APPEND);
        if (r >= 0 && run_dir)
                r = collect_add(&c, run_dir, VM_FILE_RUNTIME_DIR, VM_FILE_BY_PATH, -1);
        if (r < 0) {
                vm_files_done(&c.files);
                return r;
        }
        *ret = c.files;
        return 0;
}
