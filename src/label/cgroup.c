/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VM's cgroup and its device ACL (see cgroup.h): where the cgroups go,
 * the rule table, and the two ways of enforcing it — a BPF device program
 * on cgroup v2 (cgroup-bpf.c) or the v1 devices controller (here).
 *
 * The ACL is default-deny: QEMU may open the devices in the table and
 * nothing else, on top of whatever the unit itself allows. Every failure
 * to install it is returned, never papered over, so the caller can refuse
 * to start the VM (fail closed).
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <dirent.h>
#include <stdarg.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cgroup.h"
#include "macro.h"

#define CGROUP_FS "/sys/fs/cgroup"
#define OWN_PARENT "vmunit"

struct VmCgroup {
        VmCgroupBackend backend; /* BPF or V1, never AUTO */
        char *base;              /* the cgroup we build under */
        char *qemu;              /* QEMU's leaf: base/qemu */
        char *qemu_procs;        /* qemu/cgroup.procs, computed before fork */
        char *supervisor;        /* base/supervisor (v2 delegated), or NULL */
        char *own_parent;        /* .../vmunit, OWN placement only */
        bool supervisor_moved;
        bool applied;

        CgroupDeviceRule *rules;
        char **rule_paths; /* the path each rule was first allowed by, or NULL */
        size_t n_rules;

        int map_fd;
        int prog_fd;
};

/* asprintf that leaves NULL behind on failure (its own result is undefined then). */
_printf_(1, 2) static char *strdup_printf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static char *path_join(const char *a, const char *b) {
        return strdup_printf("%s/%s", a, b);
}

static int write_file(const char *dir, const char *file, const char *value) {
        _cleanup_free_ char *p = path_join(dir, file);
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(value);

        if (!p)
                return -ENOMEM;
        fd = open(p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        ssize_t k = write(fd, value, n);
        if (k < 0)
                return negative_errno();
        return (size_t) k == n ? 0 : -EIO;
}

static int read_proc_self_cgroup(char **ret) {
        _cleanup_close_ int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;

        if (fd < 0)
                return negative_errno();
        for (;;) {
                if (size - len < 1025) {
                        size = size ? size * 2 : 4096;
                        if (size > (1u << 20))
                                return -EFBIG;
                        char *b = realloc(buf, size);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                ssize_t k = read(fd, buf + len, size - len - 1);
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

static bool is_fs(const char *path, long magic) {
        struct statfs s;
        return statfs(path, &s) == 0 && s.f_type == magic;
}

/* Where the chosen backend's hierarchy is mounted; AUTO resolved. */
static int pick_backend(VmCgroupBackend want, VmCgroupBackend *ret, const char **ret_root) {
        bool unified = is_fs(CGROUP_FS, CGROUP2_SUPER_MAGIC);
        bool hybrid = !unified && is_fs(CGROUP_FS "/unified", CGROUP2_SUPER_MAGIC);
        bool v1 = !unified && is_fs(CGROUP_FS "/devices", CGROUP_SUPER_MAGIC);
        const char *v2root = unified ? CGROUP_FS : hybrid ? CGROUP_FS "/unified" : NULL;

        if (want == VM_CGROUP_BACKEND_AUTO)
                /* cgroup2 wherever there is one, also on hybrid hosts: the
                 * kernel applies device programs of the unified hierarchy
                 * and the v1 devices controller both, hotplug edits a map,
                 * and QEMU can be born in its cgroup (CLONE_INTO_CGROUP)
                 * instead of paying a cgroup migration at every start. */
                want = v2root || !v1 ? VM_CGROUP_BACKEND_BPF : VM_CGROUP_BACKEND_V1;

        if (want == VM_CGROUP_BACKEND_BPF && v2root) {
                *ret_root = v2root;
        } else if (want == VM_CGROUP_BACKEND_V1 && v1) {
                *ret_root = CGROUP_FS "/devices";
        } else
                return -EOPNOTSUPP;
        *ret = want;
        return 0;
}

static bool has_delegate_xattr(const char *dir) {
        return getxattr(dir, "trusted.delegate", NULL, 0) >= 0 ||
               getxattr(dir, "user.delegate", NULL, 0) >= 0;
}

/* Our own cgroup directory in the backend's hierarchy. */
static int own_cgroup_dir(VmCgroupBackend backend, const char *root, char **ret) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        int r = read_proc_self_cgroup(&text);
        if (r < 0)
                return r;
        r = cgroup_parse_proc_cgroup(text, backend == VM_CGROUP_BACKEND_V1 ? "devices" : NULL, &path);
        if (r < 0)
                return r;
        *ret = strdup_printf("%s%s", root, streq(path, "/") ? "" : path);
        return *ret ? 0 : -ENOMEM;
}

static int make_dir(const char *path) {
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

static int remove_dir(const char *path) {
        /* A cgroup whose last task was just reaped can report EBUSY for a
         * moment while the kernel finishes unlinking it. */
        for (int i = 0; i < 50; i++) {
                if (rmdir(path) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        return negative_errno();
                nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        return -EBUSY;
}

/* An embedded supervisor that was SIGKILLed cannot remove its NAME-PID
 * cgroup (QEMU died with it, so the cgroup is empty). Remove those of dead
 * supervisors when another one starts; a live one's stays (rmdir of a
 * populated cgroup fails anyway). */
static void collect_stale_own(const char *parent) {
        DIR *d = opendir(parent);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                const char *dash = strrchr(de->d_name, '-');
                _cleanup_free_ char *dir = NULL;
                char *end;
                long pid;

                if (de->d_type != DT_DIR || !dash)
                        continue;
                pid = strtol(dash + 1, &end, 10);
                if (*end || pid <= 0 || kill((pid_t) pid, 0) == 0 || errno != ESRCH)
                        continue;
                dir = path_join(parent, de->d_name);
                if (!dir)
                        continue;
                /* Its leaves first (cgroupfs has no recursive rmdir). */
                for (const char *const *leaf = (const char *const[]){ "qemu", "supervisor", NULL }; *leaf;
                     leaf++) {
                        _cleanup_free_ char *sub = path_join(dir, *leaf);
                        if (sub)
                                (void) rmdir(sub);
                }
                (void) rmdir(dir);
        }
        closedir(d);
}

/* OWN placement: ROOT/vmunit/NAME-PID. Not being allowed to create it
 * means we are not root: -EOPNOTSUPP, the documented "no ACL here". */
static int place_own(VmCgroup *c, const char *root, const char *name) {
        _cleanup_free_ char *esc = cgroup_escape_name(name);
        int r;

        if (!esc)
                return -EINVAL;
        c->own_parent = path_join(root, OWN_PARENT);
        if (c->own_parent)
                c->base = strdup_printf("%s/%s-%d", c->own_parent, esc, (int) getpid());
        if (!c->base)
                return -ENOMEM;
        r = make_dir(c->own_parent);
        if (r >= 0) {
                collect_stale_own(c->own_parent);
                r = make_dir(c->base);
        }
        if (r == -EACCES || r == -EPERM || r == -EROFS)
                return -EOPNOTSUPP;
        return r;
}

/* DELEGATED placement: our own cgroup — unless that is already the
 * supervisor leaf of an earlier create in this process, whose parent is
 * the unit's cgroup. */
static int place_delegated(VmCgroup *c, const char *root) {
        int r = own_cgroup_dir(c->backend, root, &c->base);
        if (r < 0)
                return r;
        /* The hierarchy's root is nobody's delegated unit: building there
         * would scatter leaves over the host's top level. */
        if (streq(c->base, root))
                return -EINVAL;
        char *slash = strrchr(c->base, '/');
        if (c->backend == VM_CGROUP_BACKEND_BPF && slash && streq(slash, "/supervisor") &&
            strlen(c->base) - strlen(slash) > strlen(root))
                *slash = 0;
        return 0;
}

/*
 * v2, delegated: cgroup v2 allows processes only in leaves once controllers
 * are enabled below a node, and systemd's delegation contract asks the
 * delegatee to keep to that, so the supervisor leaves the unit's cgroup
 * for a "supervisor" leaf next to QEMU's.
 */
static int move_supervisor(VmCgroup *c) {
        char pid[32];
        int r;

        c->supervisor = path_join(c->base, "supervisor");
        if (!c->supervisor)
                return -ENOMEM;
        r = make_dir(c->supervisor);
        if (r < 0)
                return r;
        snprintf(pid, sizeof(pid), "%d", (int) getpid());
        r = write_file(c->supervisor, "cgroup.procs", pid);
        if (r < 0)
                return r;
        c->supervisor_moved = true;
        return 0;
}

static VmCgroup *vm_cgroup_new(void) {
        VmCgroup *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->map_fd = c->prog_fd = -EBADF;
        return c;
}

/* Failed create: remove whatever was made, then free. */
static void vm_cgroup_abandonp(VmCgroup **c) {
        if (!*c)
                return;
        (void) vm_cgroup_destroy(*c);
        vm_cgroup_free(*c);
}

int vm_cgroup_create_full(const char *name, VmCgroupPlacement placement, VmCgroupBackend backend,
                          VmCgroup **ret) {
        _cleanup_(vm_cgroup_abandonp) VmCgroup *c = NULL;
        const char *root;
        int r;

        if (!name || !ret)
                return -EINVAL;
        c = vm_cgroup_new();
        if (!c)
                return -ENOMEM;
        r = pick_backend(backend, &c->backend, &root);
        if (r < 0)
                return r;

        if (placement == VM_CGROUP_PLACE_DETECT) {
                /*
                 * Guessing OWN wrongly under systemd would put QEMU outside
                 * its unit's cgroup: out of reach of the unit's device
                 * policy, limits and KillMode=. So any sign of running as a
                 * unit (the delegation xattr, or systemd's INVOCATION_ID)
                 * means DELEGATED; only a plain process builds its own.
                 */
                _cleanup_free_ char *own = NULL;
                r = own_cgroup_dir(c->backend, root, &own);
                placement = (r >= 0 && has_delegate_xattr(own)) || getenv("INVOCATION_ID")
                                    ? VM_CGROUP_PLACE_DELEGATED
                                    : VM_CGROUP_PLACE_OWN;
        }

        if (placement == VM_CGROUP_PLACE_OWN)
                r = place_own(c, root, name);
        else
                r = place_delegated(c, root);
        if (r < 0)
                return r;

        c->qemu = path_join(c->base, "qemu");
        c->qemu_procs = c->qemu ? path_join(c->qemu, "cgroup.procs") : NULL;
        if (!c->qemu_procs)
                return -ENOMEM;
        r = make_dir(c->qemu);
        if (r < 0)
                return r;

        if (placement == VM_CGROUP_PLACE_DELEGATED && c->backend == VM_CGROUP_BACKEND_BPF) {
                r = move_supervisor(c);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(c);
        return 0;
}

VmCgroup *vm_cgroup_free(VmCgroup *c) {
        if (!c)
                return NULL;
        safe_close(c->map_fd);
        safe_close(c->prog_fd);
        for (size_t i = 0; i < c->n_rules; i++)
                free(c->rule_paths[i]);
        free(c->rule_paths);
        free(c->rules);
        free(c->base);
        free(c->qemu);
        free(c->qemu_procs);
        free(c->supervisor);
        free(c->own_parent);
        free(c);
        return NULL;
}

/* ---- rules: the table, and pushing one rule to the live filter ---- */

static CgroupDeviceRule *find_rule(VmCgroup *c, char type, uint32_t major, uint32_t minor) {
        for (size_t i = 0; i < c->n_rules; i++)
                if (c->rules[i].type == type && c->rules[i].major == major && c->rules[i].minor == minor)
                        return &c->rules[i];
        return NULL;
}

/* Make the live filter say what rule says; access 0 = remove the entry. */
static int push_rule(VmCgroup *c, const CgroupDeviceRule *rule) {
        char line[64];
        int r;

        if (!c->applied)
                return 0;
        if (c->backend == VM_CGROUP_BACKEND_BPF) {
                CgroupBpfKey key;
                uint32_t value;
                r = cgroup_rule_to_bpf(rule, &key, &value);
                if (r < 0)
                        return r;
                return value == 0 ? cgroup_bpf_map_delete(c->map_fd, &key)
                                  : cgroup_bpf_map_update(c->map_fd, &key, value);
        }

        /* v1: removing writes the same device with every access bit to
         * devices.deny, which drops the exception whatever it granted. */
        CgroupDeviceRule v1 = *rule;
        if (rule->access == 0)
                v1.access = CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE | CGROUP_DEVICE_MKNOD;
        r = cgroup_rule_format_v1(&v1, line, sizeof(line));
        if (r < 0)
                return r;
        return write_file(c->qemu, rule->access == 0 ? "devices.deny" : "devices.allow", line);
}

static int add_rule(VmCgroup *c, const CgroupDeviceRule *rule, const char *path) {
        CgroupDeviceRule *e = find_rule(c, rule->type, rule->major, rule->minor);
        int r;

        if (e) {
                CgroupDeviceRule old = *e;
                e->access |= rule->access;
                e->refcount++;
                r = push_rule(c, e);
                if (r < 0)
                        *e = old; /* the table says what is live */
                return r;
        }

        CgroupDeviceRule *rules = reallocarray(c->rules, c->n_rules + 1, sizeof(*rules));
        if (!rules)
                return -ENOMEM;
        c->rules = rules;
        char **paths = reallocarray(c->rule_paths, c->n_rules + 1, sizeof(*paths));
        if (!paths)
                return -ENOMEM;
        c->rule_paths = paths;
        paths[c->n_rules] = path ? strdup(path) : NULL;
        if (path && !paths[c->n_rules])
                return -ENOMEM;

        r = push_rule(c, rule);
        if (r < 0) {
                free(paths[c->n_rules]);
                return r;
        }
        rules[c->n_rules] = *rule;
        rules[c->n_rules].refcount = 1;
        c->n_rules++;
        return 0;
}

static int remove_rule(VmCgroup *c, CgroupDeviceRule *e) {
        size_t i = (size_t) (e - c->rules);
        CgroupDeviceRule gone = *e;
        int r;

        if (e->refcount > 1) {
                e->refcount--;
                return 0;
        }
        gone.access = 0;
        r = push_rule(c, &gone);
        if (r < 0)
                return r;
        free(c->rule_paths[i]);
        memmove(c->rules + i, c->rules + i + 1, (c->n_rules - i - 1) * sizeof(*c->rules));
        memmove(c->rule_paths + i, c->rule_paths + i + 1, (c->n_rules - i - 1) * sizeof(*c->rule_paths));
        c->n_rules--;
        return 0;
}

int vm_cgroup_allow_device(VmCgroup *c, const char *path, unsigned access) {
        CgroupDeviceRule rule;
        struct stat st;
        int r;

        if (!c || !path)
                return -EINVAL;
        /* stat, not lstat: /dev/rtc and /dev/disk/by-id/... are symlinks,
         * and what QEMU opens is the node they point at. */
        if (stat(path, &st) < 0)
                return negative_errno();
        r = cgroup_rule_from_stat(&st, access, &rule);
        if (r < 0)
                return r;
        return add_rule(c, &rule, path);
}

int vm_cgroup_deny_device(VmCgroup *c, const char *path) {
        struct stat st;

        if (!c || !path)
                return -EINVAL;
        if (stat(path, &st) < 0) {
                /* The node may be gone already (loop device detached):
                 * find the rule by the path that created it, so no stale
                 * entry is left for the next device with those numbers. */
                int r = negative_errno();
                for (size_t i = 0; i < c->n_rules; i++)
                        if (streq_ptr(c->rule_paths[i], path))
                                return remove_rule(c, &c->rules[i]);
                return r;
        }
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return -EINVAL;
        return vm_cgroup_deny_number(c, S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev),
                                     minor(st.st_rdev));
}

int vm_cgroup_allow_number(VmCgroup *c, char type, unsigned major, unsigned minor, unsigned access) {
        const unsigned all = CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE | CGROUP_DEVICE_MKNOD;

        if (!c || (type != 'c' && type != 'b') || access == 0 || (access & ~all))
                return -EINVAL;
        CgroupDeviceRule rule = {
                .type = type, .major = major, .minor = minor, .access = access, .refcount = 1
        };
        return add_rule(c, &rule, NULL);
}

int vm_cgroup_deny_number(VmCgroup *c, char type, unsigned major, unsigned minor) {
        if (!c || (type != 'c' && type != 'b'))
                return -EINVAL;
        CgroupDeviceRule *e = find_rule(c, type, major, minor);
        if (!e)
                return -ENOENT;
        return remove_rule(c, e);
}

int vm_cgroup_allow_acl(VmCgroup *c, char *const *paths, unsigned access, const char **ret_failed) {
        for (char *const *p = paths; p && *p; p++) {
                int r = vm_cgroup_allow_device(c, *p, access);
                /* The shared list names devices many hosts lack (/dev/hpet,
                 * /dev/kvm without KVM): absent means nothing to allow. */
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        if (ret_failed)
                                *ret_failed = *p;
                        return r;
                }
        }
        return 0;
}

/* ---- apply, join, destroy ---- */

static int apply_bpf(VmCgroup *c) {
        _cleanup_close_ int map_fd = -EBADF, prog_fd = -EBADF, dir_fd = -EBADF;
        int r;

        map_fd = cgroup_bpf_map_create();
        if (map_fd < 0)
                return map_fd;
        for (size_t i = 0; i < c->n_rules; i++) {
                CgroupBpfKey key;
                uint32_t value;
                r = cgroup_rule_to_bpf(&c->rules[i], &key, &value);
                if (r < 0)
                        return r;
                r = cgroup_bpf_map_update(map_fd, &key, value);
                if (r < 0)
                        return r;
        }
        prog_fd = cgroup_bpf_prog_load(map_fd);
        if (prog_fd < 0)
                return prog_fd;
        dir_fd = open(c->qemu, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return negative_errno();
        r = cgroup_bpf_prog_attach(prog_fd, dir_fd);
        if (r < 0)
                return r;

        /* The map fd is how hotplug edits the live filter; the program
         * fd is kept for introspection only (the attachment holds its own
         * reference). Both are O_CLOEXEC, so QEMU never sees them. */
        c->map_fd = TAKE_FD(map_fd);
        c->prog_fd = TAKE_FD(prog_fd);
        return 0;
}

static int apply_v1(VmCgroup *c) {
        char line[64];
        int r;

        /* Default deny first: a new v1 cgroup inherits its parent's list. */
        r = write_file(c->qemu, "devices.deny", "a");
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_rules; i++) {
                r = cgroup_rule_format_v1(&c->rules[i], line, sizeof(line));
                if (r < 0)
                        return r;
                r = write_file(c->qemu, "devices.allow", line);
                /*
                 * EPERM: the parent (the unit's DevicePolicy=closed list)
                 * does not allow this device, so the kernel will not let
                 * the child allow it. QEMU cannot use it either way; that
                 * matches v2, where the unit's program denies it. Skipping
                 * only ever leaves the filter narrower.
                 */
                if (r == -EPERM)
                        continue;
                if (r < 0)
                        return r;
        }
        return 0;
}

int vm_cgroup_apply_devices(VmCgroup *c) {
        int r;

        if (!c)
                return -EINVAL;
        if (c->applied)
                return -EALREADY;
        r = c->backend == VM_CGROUP_BACKEND_BPF ? apply_bpf(c) : apply_v1(c);
        if (r < 0)
                return r;
        c->applied = true;
        return 0;
}

/*
 * In the forked child: open, write, close — async-signal-safe, nothing
 * allocated (the path was computed before fork). "0" means "the writing
 * process". This is the first step of the checklist so that everything
 * after it, exec included, already runs under the device filter.
 */
int vm_cgroup_join_qemu(const VmCgroup *c) {
        int fd, r = 0;

        if (!c || !c->qemu_procs)
                return -EINVAL;
        fd = open(c->qemu_procs, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        if (write(fd, "0", 1) != 1)
                r = negative_errno();
        close(fd);
        return r;
}

static int leave_supervisor_leaf(VmCgroup *c) {
        char pid[32];
        int r;

        if (c->supervisor_moved) {
                snprintf(pid, sizeof(pid), "%d", (int) getpid());
                r = write_file(c->base, "cgroup.procs", pid);
                if (r < 0)
                        return r;
                c->supervisor_moved = false;
        }
        return c->supervisor ? remove_dir(c->supervisor) : 0;
}

int vm_cgroup_destroy(VmCgroup *c) {
        int r = 0, k;

        if (!c)
                return -EINVAL;
        /*
         * No explicit detach: removing the cgroup drops the program with
         * it, and if QEMU is still in there (rmdir fails) the program must
         * stay attached. Closing our fds never detaches anything.
         */
        if (c->qemu) {
                k = remove_dir(c->qemu);
                if (k < 0 && r == 0)
                        r = k;
        }
        c->prog_fd = safe_close(c->prog_fd);
        c->map_fd = safe_close(c->map_fd);
        c->applied = false;
        /* The supervisor leaf is best effort: systemd removes the unit's
         * whole cgroup tree when the unit stops anyway. */
        (void) leave_supervisor_leaf(c);

        if (c->own_parent && c->base) {
                k = remove_dir(c->base);
                if (k < 0 && r == 0)
                        r = k;
                /* Shared by every embedded VM: only if we were the last. */
                if (rmdir(c->own_parent) < 0 && errno != ENOTEMPTY && errno != EBUSY && errno != ENOENT &&
                    r == 0)
                        r = negative_errno();
        }
        return r;
}

/* ---- introspection ---- */

const char *vm_cgroup_backend_name(const VmCgroup *c) {
        return c->backend == VM_CGROUP_BACKEND_BPF ? "bpf" : "v1";
}

const char *vm_cgroup_qemu_path(const VmCgroup *c) {
        return c->qemu;
}

int vm_cgroup_qemu_dirfd(const VmCgroup *c) {
        int fd;

        if (!c || c->backend != VM_CGROUP_BACKEND_BPF || !c->qemu)
                return -EOPNOTSUPP;
        fd = open(c->qemu, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? negative_errno() : fd;
}

int vm_cgroup_format_rules(const VmCgroup *c, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_rules; i++) {
                char line[64];
                if (cgroup_rule_format_v1(&c->rules[i], line, sizeof(line)) >= 0)
                        fprintf(f, "%s\n", line);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}
