/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drives the VM cgroup API (src/label/cgroup.h) the way the supervisor
 * does, for tests/integration/test-cgroup-devices.sh. The steps come from
 * the command line and run in order:
 *
 *   cgroup-driver --backend auto|bpf|v1 --name NAME STEP...
 *
 *   acl P1,P2,...        vm_cgroup_allow_acl (rw), missing paths skipped
 *   allow PATH r|rw      vm_cgroup_allow_device
 *   deny PATH            vm_cgroup_deny_device
 *   expect-allow-error PATH ERRNO   allow must fail with -ERRNO
 *   apply                vm_cgroup_apply_devices
 *   spawn                fork a child that joins QEMU's cgroup and then
 *                        opens paths on request ("QEMU")
 *   open PATH ok|ERRNO   the child opens PATH read-only: must succeed or
 *                        fail with exactly ERRNO (e.g. EPERM)
 *   self-open PATH ok|ERRNO   the same, from this process (the supervisor)
 *   in-cgroup            the child's /proc/PID/cgroup names QEMU's leaf
 *   reap                 end the child and wait for it
 *   destroy              vm_cgroup_destroy; the leaf directory must be gone
 *   destroy-busy         vm_cgroup_destroy while the child lives: -EBUSY
 *   rules                print the current rule table
 *   in-supervisor-leaf   this process is in the "supervisor" v2 leaf
 *   parent-allow P1,...  (bpf) attach a second device program, allowing
 *                        only these paths, to the parent of QEMU's leaf
 *                        with BPF_F_ALLOW_MULTI, as systemd does for a
 *                        unit's DeviceAllow=
 *
 * Options: --placement own|delegated|detect (default own).
 *
 * Prints one line per step; exits 0 when all passed, 1 on the first
 * failure, 77 when vm_cgroup_create says -EOPNOTSUPP (skip).
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cgroup.h"
#include "macro.h"

typedef struct Driver {
        VmCgroup *cg;
        pid_t child;
        int sock;                    /* parent's end of the socketpair to the child */
        int parent_map, parent_prog; /* parent-allow */
} Driver;

static int errno_from_name(const char *s) {
        static const struct {
                const char *name;
                int value;
        } t[] = {
                { "EPERM", EPERM },   { "EACCES", EACCES }, { "ENOENT", ENOENT },
                { "EINVAL", EINVAL }, { "ENXIO", ENXIO },   { "EOPNOTSUPP", EOPNOTSUPP },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (streq(s, t[i].name))
                        return t[i].value;
        return streq(s, "ok") ? 0 : -1;
}

static unsigned access_from_name(const char *s) {
        unsigned a = 0;
        for (; *s; s++)
                a |= *s == 'r'   ? CGROUP_DEVICE_READ
                     : *s == 'w' ? CGROUP_DEVICE_WRITE
                     : *s == 'm' ? CGROUP_DEVICE_MKNOD
                                 : 0;
        return a;
}

/* The child: join, report, then open whatever the parent sends. */
_Noreturn static void child_main(const VmCgroup *cg, int sock) {
        char path[4096];
        int r = vm_cgroup_join_qemu(cg);

        if (write(sock, &r, sizeof(r)) != sizeof(r) || r < 0)
                _exit(2);
        for (;;) {
                ssize_t n = read(sock, path, sizeof(path) - 1);
                if (n <= 0)
                        _exit(0);
                path[n] = 0;
                int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                int e = fd < 0 ? errno : 0;
                if (fd >= 0)
                        close(fd);
                if (write(sock, &e, sizeof(e)) != sizeof(e))
                        _exit(3);
        }
}

static int step_spawn(Driver *d) {
        int sv[2], r;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return negative_errno();
        d->child = fork();
        if (d->child < 0)
                return negative_errno();
        if (d->child == 0) {
                close(sv[0]);
                child_main(d->cg, sv[1]);
        }
        close(sv[1]);
        d->sock = sv[0];
        if (read(d->sock, &r, sizeof(r)) != sizeof(r))
                return -EIO;
        return r;
}

static int child_open(Driver *d, const char *path, int *ret_errno) {
        if (d->child <= 0)
                return -ESRCH;
        if (write(d->sock, path, strlen(path)) < 0)
                return negative_errno();
        if (read(d->sock, ret_errno, sizeof(*ret_errno)) != sizeof(*ret_errno))
                return -EIO;
        return 0;
}

static int step_in_cgroup(Driver *d) {
        char p[64], buf[4096];
        const char *leaf = vm_cgroup_qemu_path(d->cg);
        /* /sys/fs/cgroup/devices/vmunit/x/qemu -> the part after the mount
         * point is what /proc/PID/cgroup shows; its tail is enough here. */
        const char *tail = strstr(leaf, "/vmunit/") ? strstr(leaf, "/vmunit/") : strrchr(leaf, '/');

        snprintf(p, sizeof(p), "/proc/%d/cgroup", (int) d->child);
        FILE *f = fopen(p, "re");
        if (!f)
                return negative_errno();
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        if (!strstr(buf, tail)) {
                fprintf(stderr, "child cgroup:\n%swant ...%s\n", buf, tail);
                return -ENOENT;
        }
        return 0;
}

static int step_reap(Driver *d) {
        int status;

        if (d->child <= 0)
                return -ESRCH;
        d->sock = safe_close(d->sock);
        if (waitpid(d->child, &status, 0) < 0)
                return negative_errno();
        d->child = 0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static int step_destroy(Driver *d) {
        char *leaf = strdup(vm_cgroup_qemu_path(d->cg));
        int r = vm_cgroup_destroy(d->cg);
        struct stat st;

        if (r >= 0 && stat(leaf, &st) == 0)
                r = -EEXIST;
        free(leaf);
        return r;
}

static int step_rules(Driver *d) {
        char *s = NULL;
        int r = vm_cgroup_format_rules(d->cg, &s);
        if (r >= 0)
                fputs(s, stdout);
        free(s);
        return r;
}

/* "a,b,c" -> NULL-terminated vector pointing into *ret_buf (both malloc'd). */
static int split_acl(const char *list, char ***ret, char **ret_buf) {
        char *copy = strdup(list), *save = NULL;
        char **v = calloc(strlen(list) + 2, sizeof(char *));
        size_t n = 0;

        if (!copy || !v) {
                free(copy);
                free(v);
                return -ENOMEM;
        }
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                v[n++] = t;
        *ret = v;
        *ret_buf = copy;
        return 0;
}

static int step_in_supervisor_leaf(void) {
        char buf[4096];
        FILE *f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return negative_errno();
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        const char *u = strstr(buf, "0::/");
        if (!u || !strstr(u, "/supervisor\n")) {
                fprintf(stderr, "own cgroup:\n%s", buf);
                return -ENOENT;
        }
        return 0;
}

static int step_parent_allow(Driver *d, char *const *paths) {
        _cleanup_free_ char *parent = strdup(vm_cgroup_qemu_path(d->cg));
        _cleanup_close_ int dir = -EBADF;
        int r;

        if (!parent)
                return -ENOMEM;
        *strrchr(parent, '/') = 0;
        d->parent_map = cgroup_bpf_map_create();
        if (d->parent_map < 0)
                return d->parent_map;
        for (char *const *p = paths; *p; p++) {
                CgroupDeviceRule rule;
                CgroupBpfKey key;
                uint32_t value;
                struct stat st;
                if (stat(*p, &st) < 0)
                        continue;
                r = cgroup_rule_from_stat(&st, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE, &rule);
                if (r < 0)
                        return r;
                cgroup_rule_to_bpf(&rule, &key, &value);
                r = cgroup_bpf_map_update(d->parent_map, &key, value);
                if (r < 0)
                        return r;
        }
        d->parent_prog = cgroup_bpf_prog_load(d->parent_map);
        if (d->parent_prog < 0)
                return d->parent_prog;
        dir = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return negative_errno();
        return cgroup_bpf_prog_attach(d->parent_prog, dir);
}

/* Runs one step at argv[*i]; advances *i past its arguments. */
static int run_step(Driver *d, char **argv, int argc, int *i) {
        const char *s = argv[(*i)++];
        const char *a = *i < argc ? argv[*i] : NULL, *b = *i + 1 < argc ? argv[*i + 1] : NULL;
        int r, e;

        if (streq(s, "apply"))
                return vm_cgroup_apply_devices(d->cg);
        if (streq(s, "spawn"))
                return step_spawn(d);
        if (streq(s, "in-cgroup"))
                return step_in_cgroup(d);
        if (streq(s, "reap"))
                return step_reap(d);
        if (streq(s, "destroy"))
                return step_destroy(d);
        if (streq(s, "destroy-busy"))
                return vm_cgroup_destroy(d->cg) == -EBUSY ? 0 : -EBADMSG;
        if (streq(s, "rules"))
                return step_rules(d);
        if (streq(s, "in-supervisor-leaf"))
                return step_in_supervisor_leaf();
        if (!a)
                return -EINVAL;
        (*i)++;
        if (streq(s, "deny"))
                return vm_cgroup_deny_device(d->cg, a);
        if (streq(s, "parent-allow")) {
                _cleanup_free_ char **v = NULL;
                _cleanup_free_ char *buf = NULL;
                r = split_acl(a, &v, &buf);
                return r < 0 ? r : step_parent_allow(d, v);
        }
        if (streq(s, "acl")) {
                _cleanup_free_ char **v = NULL;
                _cleanup_free_ char *buf = NULL;
                const char *failed = NULL;
                r = split_acl(a, &v, &buf);
                if (r < 0)
                        return r;
                r = vm_cgroup_allow_acl(d->cg, v, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE, &failed);
                if (r < 0 && failed)
                        fprintf(stderr, "acl entry %s failed\n", failed);
                return r;
        }
        if (!b)
                return -EINVAL;
        (*i)++;
        if (streq(s, "allow"))
                return vm_cgroup_allow_device(d->cg, a, access_from_name(b));
        if (streq(s, "expect-allow-error"))
                return vm_cgroup_allow_device(d->cg, a, CGROUP_DEVICE_READ) == -errno_from_name(b)
                               ? 0
                               : -EBADMSG;
        if (streq(s, "self-open")) {
                int fd = open(a, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                e = fd < 0 ? errno : 0;
                safe_close(fd);
                if (e != errno_from_name(b)) {
                        fprintf(stderr, "self-open %s: got %s, want %s\n", a, e ? strerror(e) : "success",
                                b);
                        return -EBADMSG;
                }
                return 0;
        }
        if (streq(s, "open")) {
                r = child_open(d, a, &e);
                if (r < 0)
                        return r;
                if (e != errno_from_name(b)) {
                        fprintf(stderr, "open %s: got %s, want %s\n", a, e ? strerror(e) : "success", b);
                        return -EBADMSG;
                }
                return 0;
        }
        return -EINVAL;
}

int main(int argc, char **argv) {
        VmCgroupBackend backend = VM_CGROUP_BACKEND_AUTO;
        const char *name = "test";
        VmCgroupPlacement placement = VM_CGROUP_PLACE_OWN;
        Driver d = { .sock = -EBADF, .parent_map = -EBADF, .parent_prog = -EBADF };
        int i = 1, r;

        for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
                if (streq(argv[i], "--backend"))
                        backend = streq(argv[i + 1], "bpf")  ? VM_CGROUP_BACKEND_BPF
                                  : streq(argv[i + 1], "v1") ? VM_CGROUP_BACKEND_V1
                                                             : VM_CGROUP_BACKEND_AUTO;
                else if (streq(argv[i], "--name"))
                        name = argv[i + 1];
                else if (streq(argv[i], "--placement"))
                        placement = streq(argv[i + 1], "delegated") ? VM_CGROUP_PLACE_DELEGATED
                                    : streq(argv[i + 1], "detect")  ? VM_CGROUP_PLACE_DETECT
                                                                    : VM_CGROUP_PLACE_OWN;
        }

        r = vm_cgroup_create_full(name, placement, backend, &d.cg);
        if (r == -EOPNOTSUPP) {
                printf("skip: no usable cgroup hierarchy (%s)\n", strerror(-r));
                return 77;
        }
        if (r < 0) {
                fprintf(stderr, "create: %s\n", strerror(-r));
                return 1;
        }
        printf("create: %s %s\n", vm_cgroup_backend_name(d.cg), vm_cgroup_qemu_path(d.cg));

        while (i < argc) {
                const char *s = argv[i];
                r = run_step(&d, argv, argc, &i);
                if (r < 0) {
                        fprintf(stderr, "FAIL %s: %s\n", s, strerror(-r));
                        break;
                }
                printf("ok %s\n", s);
        }

        if (d.child > 0) {
                kill(d.child, SIGKILL);
                (void) step_reap(&d);
        }
        if (r < 0)
                (void) vm_cgroup_destroy(d.cg);
        vm_cgroup_free(d.cg);
        safe_close(d.parent_prog);
        safe_close(d.parent_map);
        return r < 0 ? 1 : 0;
}
