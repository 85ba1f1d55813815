/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VmFile: one path of a VM, resolved once (see vm-files.h). The rest of
 * the supervisor works on the fd kept here, never on the path again.
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fs-util.h"
#include "qemu-argv.h"
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

/* The directory of source, resolved once (O_PATH), and its last
 * component, which must be a name (not "", "." or ".."). */
static int open_parent(const char *source, int *ret_dir_fd, char **ret_name) {
        _cleanup_free_ char *dir_copy = strdup(source), *base_copy = strdup(source), *name = NULL;
        const char *base;
        int fd;

        if (!dir_copy || !base_copy)
                return -ENOMEM;
        base = basename(base_copy);
        if (!*base || streq(base, ".") || streq(base, "..") || strchr(base, '/'))
                return -EINVAL;
        name = strdup(base);
        if (!name)
                return -ENOMEM;
        fd = resolve_path_once(dirname(dir_copy), /* no_symlinks= */ false);
        if (fd < 0)
                return fd;
        *ret_dir_fd = fd;
        *ret_name = TAKE_PTR(name);
        return 0;
}

/* f->path for a node name inside the directory f->fd: the directory's
 * own canonical path plus the name. */
static int path_in_parent(VmFile *f, const char *name) {
        _cleanup_free_ char *dir_path = NULL;
        int r = fd_get_path(f->fd, &dir_path);

        if (r < 0)
                return r;
        return asprintf(&f->path, "%s/%s", streq(dir_path, "/") ? "" : dir_path, name) < 0 ? -ENOMEM : 0;
}

/* A socket QEMU will bind does not exist yet: resolve its directory once
 * and name the socket inside it. */
static int resolve_parent(const char *source, VmFile *f) {
        _cleanup_free_ char *name = NULL;
        int r;

        r = open_parent(source, &f->fd, &name);
        if (r < 0)
                return r;
        if (fstat(f->fd, &f->st) < 0)
                return negative_errno();
        if (!S_ISDIR(f->st.st_mode))
                return -ENOTDIR;
        f->parent_only = true;
        return path_in_parent(f, name);
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
        f.kind = kind;
        f.delivery = VM_FILE_BY_FDSET;
        f.qemu_flags = qemu_flags;
        f.from_caller = true;
        f.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (f.fd < 0)
                return negative_errno();
        if (fstat(f.fd, &f.st) < 0)
                return negative_errno();
        if (!S_ISREG(f.st.st_mode) && !S_ISBLK(f.st.st_mode))
                return -EINVAL;
        fl = fcntl(f.fd, F_GETFL);
        if (fl < 0)
                return negative_errno();
        /* O_PATH carries no access at all: the caller proved nothing. */
        if ((fl & O_PATH) || !access_allows(fl, qemu_flags))
                return -EBADF;
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

int vm_file_copy(const VmFile *f, VmFile *ret) {
        _cleanup_(vm_file_done) VmFile c = VM_FILE_NULL;

        *ret = VM_FILE_NULL;
        if (f->fd < 0 || !f->path || !f->source)
                return -EINVAL;
        c.kind = f->kind;
        c.delivery = f->delivery;
        c.qemu_flags = f->qemu_flags;
        c.parent_only = f->parent_only;
        c.from_caller = f->from_caller;
        c.console_log = f->console_log;
        c.st = f->st;
        c.fdset = f->fdset;
        c.fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 3);
        if (c.fd < 0)
                return negative_errno();
        c.source = strdup(f->source);
        c.path = strdup(f->path);
        if (!c.source || !c.path)
                return -ENOMEM;
        *ret = c;
        c = VM_FILE_NULL;
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

VmFileKind vm_file_kind_of_loader(DomainLoaderType type, bool code_readonly) {
        return type == DOMAIN_LOADER_PFLASH && !code_readonly ? VM_FILE_NVRAM : VM_FILE_BOOT;
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

int vm_file_open_log(const char *source, bool truncate, VmFile *ret) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int fl, r;

        *ret = VM_FILE_NULL;
        if (!source || source[0] != '/')
                return -EINVAL;
        /* The directory once, then the name inside it, never a link. */
        r = open_parent(source, &dir_fd, &name);
        if (r < 0)
                return r;
        f.fd = openat(dir_fd, name,
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
        /* After the type check: O_TRUNC at open would not wait for it. */
        if (truncate && ftruncate(f.fd, 0) < 0)
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

/* Remove a socket left at name in dir_fd by an earlier run; refuse to
 * bind over anything else. */
static int remove_stale_socket(int dir_fd, const char *name) {
        struct stat st;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? negative_errno() : 0;
}

int vm_file_bind_socket(const char *source, VmFile *ret) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *name = NULL;
        int r;

        *ret = VM_FILE_NULL;
        if (!source || source[0] != '/')
                return -EINVAL;
        r = open_parent(source, &f.fd, &name);
        if (r < 0)
                return r;
        f.parent_only = true;
        /* Bound through the directory fd: the name is looked up in the
         * directory resolved above, however the path looks by now. */
        if ((size_t) snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", f.fd, name) >=
            sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        r = remove_stale_socket(f.fd, name);
        if (r < 0)
                return r;
        f.qemu_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (f.qemu_fd < 0)
                return negative_errno();
        if (bind(f.qemu_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(f.qemu_fd, SOMAXCONN) < 0)
                return negative_errno();
        if (fstatat(f.fd, name, &f.st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        f.kind = VM_FILE_SOCKET;
        f.delivery = VM_FILE_BY_FD;
        f.qemu_flags = O_RDWR;
        f.source = strdup(source);
        if (!f.source)
                return -ENOMEM;
        r = path_in_parent(&f, name);
        if (r < 0)
                return r;
        *ret = f;
        f = VM_FILE_NULL;
        return 0;
}

void vm_files_remove_sockets(const VmFiles *files) {
        for (size_t i = 0; i < files->n; i++) {
                const VmFile *f = &files->items[i];
                const char *name = f->path ? strrchr(f->path, '/') : NULL;
                struct stat st;

                if (f->kind != VM_FILE_SOCKET || f->delivery != VM_FILE_BY_FD || !name || f->fd < 0)
                        continue;
                name++;
                if (fstatat(f->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && stat_same_inode(&st, &f->st))
                        (void) unlinkat(f->fd, name, 0);
        }
}

/* ---- the domain's files ------------------------------------------------ */

typedef struct Walker {
        int (*fn)(const VmFileSpec *spec, void *userdata);
        void *userdata;
} Walker;

static int walk_one(Walker *w, const char *what, const char *source, VmFileKind kind,
                    VmFileDelivery delivery, int qemu_flags, mode_t want_type) {
        VmFileSpec spec = {
                .what = what,
                .source = source,
                .kind = kind,
                .delivery = delivery,
                .qemu_flags = delivery == VM_FILE_BY_PATH ? -1 : qemu_flags,
                .want_type = want_type,
        };

        return source ? w->fn(&spec, w->userdata) : 0;
}

static int walk_os(Walker *w, const Domain *d) {
        const DomainOs *os = &d->os;
        QemuFirmware fw;
        int r;

        r = walk_one(w, "kernel", os->kernel, VM_FILE_BOOT, VM_FILE_BY_PROC_FD, O_RDONLY, 0);
        if (r >= 0)
                r = walk_one(w, "initrd", os->initrd, VM_FILE_BOOT, VM_FILE_BY_PROC_FD, O_RDONLY, 0);
        /* A domain the builder refuses gets no loader here: the builder
         * says why (exit 1), instead of a file error (exit 2) first. */
        if (r >= 0 && qemu_firmware_resolve(d, &fw, NULL) >= 0 && fw.loader) {
                VmFileKind kind = vm_file_kind_of_loader(fw.type, fw.code_readonly);
                bool pflash = fw.type == DOMAIN_LOADER_PFLASH;

                r = walk_one(w, "loader", fw.loader, kind, pflash ? VM_FILE_BY_FDSET : VM_FILE_BY_PROC_FD,
                             kind == VM_FILE_NVRAM ? O_RDWR : O_RDONLY, 0);
        }
        if (r >= 0)
                r = walk_one(w, "nvram", os->nvram, VM_FILE_NVRAM, VM_FILE_BY_FDSET, O_RDWR, 0);
        return r;
}

static int walk_chars(Walker *w, const Domain *d) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < d->n_chars; i++) {
                const DomainChar *ch = &d->chars[i];
                VmFileSpec spec = {
                        .what = "log file",
                        .source = ch->path,
                        .kind = VM_FILE_LOG,
                        .delivery = VM_FILE_BY_FDSET,
                        .qemu_flags = O_WRONLY | O_APPEND,
                        .truncate = !ch->append,
                };

                if (!ch->path)
                        continue;
                if (ch->type == DOMAIN_CHAR_FILE)
                        r = w->fn(&spec, w->userdata);
                else if (ch->type == DOMAIN_CHAR_UNIX)
                        /* QEMU listens on a socket we bind; it connects by path. */
                        r = walk_one(w, "socket", ch->path, VM_FILE_SOCKET,
                                     ch->unix_listen ? VM_FILE_BY_FD : VM_FILE_BY_PATH, O_RDWR, 0);
        }
        return r;
}

static int walk_devices(Walker *w, const Domain *d) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < d->n_disks; i++) {
                const DomainDisk *disk = &d->disks[i];
                VmFileKind kind = vm_file_kind_of_disk(disk);

                r = walk_one(w, "disk", disk->source, kind, VM_FILE_BY_FDSET,
                             kind == VM_FILE_IMAGE_RO ? O_RDONLY : O_RDWR,
                             disk->type == DOMAIN_DISK_TYPE_BLOCK ? S_IFBLK : 0);
        }
        if (r >= 0)
                r = walk_chars(w, d);
        /* QEMU 7.2 binds a VNC socket itself: -vnc has no fd= (and the
         * QMP display-update route is not used). */
        for (size_t i = 0; r >= 0 && i < d->n_graphics; i++)
                r = walk_one(w, "VNC socket", d->graphics[i].socket, VM_FILE_SOCKET, VM_FILE_BY_PATH, -1, 0);
        return r;
}

int vm_files_walk(const Domain *d, const char *run_dir, const char *console_log,
                  int (*fn)(const VmFileSpec *spec, void *userdata), void *userdata) {
        Walker w = { .fn = fn, .userdata = userdata };
        int r;

        r = walk_os(&w, d);
        if (r >= 0)
                r = walk_devices(&w, d);
        if (r >= 0 && console_log)
                r = w.fn(&(VmFileSpec){ .what = "console log",
                                        .source = console_log,
                                        .kind = VM_FILE_LOG,
                                        .delivery = VM_FILE_BY_FDSET,
                                        .qemu_flags = O_WRONLY | O_APPEND,
                                        .console_log = true },
                         w.userdata);
        if (r >= 0)
                r = walk_one(&w, "runtime directory", run_dir, VM_FILE_RUNTIME_DIR, VM_FILE_BY_PATH, -1,
                             S_IFDIR);
        return r;
}

typedef struct Collector {
        VmFiles files;
        char **ret_error;
} Collector;

static int check_type(const VmFileSpec *spec, const VmFile *f) {
        if (f->parent_only)
                return 0;
        if (spec->want_type == S_IFBLK && !S_ISBLK(f->st.st_mode))
                return -ENOTBLK;
        if (spec->want_type == S_IFDIR && !S_ISDIR(f->st.st_mode))
                return -ENOTDIR;
        if (spec->want_type != S_IFDIR && S_ISDIR(f->st.st_mode))
                return -EISDIR;
        return 0;
}

static int collect_one(const VmFileSpec *spec, void *userdata) {
        Collector *c = userdata;
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        int r;

        /* One file, one entry: a path named twice (a log shared by two
         * serial ports) is resolved and handed to QEMU once. */
        if (vm_files_find(&c->files, spec->kind, spec->source))
                return 0;
        if (spec->kind == VM_FILE_LOG) {
                r = vm_file_open_log(spec->source, spec->truncate, &f);
                f.console_log = spec->console_log;
        } else if (spec->kind == VM_FILE_SOCKET && spec->delivery == VM_FILE_BY_FD)
                r = vm_file_bind_socket(spec->source, &f);
        else
                r = vm_file_resolve(spec->source, spec->kind, spec->delivery, spec->qemu_flags, &f);
        if (r >= 0)
                r = check_type(spec, &f);
        if (r == -ENOTBLK)
                return set_errorf(c->ret_error, r, "%s %s is not a block device", spec->what, spec->source);
        if (r == -EISDIR)
                return set_errorf(c->ret_error, r, "%s %s is a directory", spec->what, spec->source);
        if (r < 0)
                return set_errorf(c->ret_error, r, "%s %s: %s", spec->what, spec->source, strerror(-r));
        r = vm_files_add(&c->files, &f);
        return r < 0 ? set_errorf(c->ret_error, r, "out of memory") : 0;
}

int vm_files_collect(const Domain *d, const char *run_dir, const char *console_log, VmFiles *ret,
                     char **ret_error) {
        Collector c = { .ret_error = ret_error };
        int r;

        *ret = (VmFiles){};
        r = vm_files_walk(d, run_dir, console_log, collect_one, &c);
        if (r < 0) {
                vm_files_remove_sockets(&c.files);
                vm_files_done(&c.files);
                return r;
        }
        *ret = c.files;
        return 0;
}

/* ---- QEMU's side ------------------------------------------------------- */

static bool gets_fd(const VmFile *f) {
        return f->delivery == VM_FILE_BY_FDSET || f->delivery == VM_FILE_BY_PROC_FD ||
               f->delivery == VM_FILE_BY_FD;
}

size_t vm_files_number(VmFiles *files, int first_fd) {
        unsigned set = 0;
        size_t n = 0;

        for (size_t i = 0; i < files->n; i++) {
                VmFile *f = &files->items[i];

                if (!gets_fd(f))
                        continue;
                f->child_fd = first_fd + (int) n++;
                f->fdset = f->delivery == VM_FILE_BY_FDSET ? ++set : 0;
        }
        return n;
}

/* QEMU's own open file for f: f->fd itself (duplicated) when the
 * supervisor opened it with QEMU's access mode already, else a new open
 * of the same inode with exactly qemu_flags. A caller's fd is always
 * opened anew: the mode never exceeds the one the caller's fd proves
 * (vm_file_adopt_fd() checked that), and the open file description is
 * then ours alone. */
static int open_for_qemu(const VmFile *f) {
        int fl = fcntl(f->fd, F_GETFL);

        if (fl < 0)
                return negative_errno();
        if (!f->from_caller && !(fl & O_PATH) && (fl & (O_ACCMODE | O_APPEND)) == f->qemu_flags) {
                int fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 3);
                return fd < 0 ? negative_errno() : fd;
        }
        return fd_reopen(f->fd, f->qemu_flags | (S_ISBLK(f->st.st_mode) ? O_NONBLOCK : 0));
}

int vm_file_prepare_qemu(VmFile *f) {
        int fd;

        if (!gets_fd(f))
                return -EINVAL;
        if (f->qemu_fd >= 0)
                return 0;
        fd = open_for_qemu(f);
        if (fd < 0)
                return fd;
        f->qemu_fd = fd;
        return 0;
}

int vm_files_prepare_qemu(VmFiles *files, int first_fd, char **ret_error) {
        for (size_t i = 0; i < files->n; i++) {
                VmFile *f = &files->items[i];
                int r;

                if (!gets_fd(f) || f->qemu_fd >= 0)
                        continue;
                r = vm_file_prepare_qemu(f);
                if (r < 0) {
                        vm_files_close_qemu(files);
                        return set_errorf(ret_error, r, "%s %s: cannot open it for QEMU: %s",
                                          vm_file_kind_to_string(f->kind), f->path ?: f->source,
                                          strerror(-r));
                }
        }
        return (int) vm_files_number(files, first_fd);
}

void vm_files_close_qemu(VmFiles *files) {
        for (size_t i = 0; i < files->n; i++)
                files->items[i].qemu_fd = safe_close(files->items[i].qemu_fd);
}
