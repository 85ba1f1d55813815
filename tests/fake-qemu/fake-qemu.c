/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stand-in for QEMU that the supervisor execs instead of the real one
 * (<emulator> in the test domain). It reports what the confinement
 * checklist left it with — identity, capability sets, no_new_privs,
 * seccomp mode, LSM label, cgroup — and what happens when it tries what
 * a compromised QEMU would try, then speaks just enough QMP on the
 * inherited listening socket for the supervisor to run and stop it.
 *
 * Report: KEY=VALUE lines written to $VMUNIT_FAKE_QEMU_REPORT, else to
 * /tmp/fake-qemu-NAME.report (NAME from -name guest=NAME). An operation's
 * value is "ok" when it succeeded, else the errno name (EPERM, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/reboot.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Sanitizer builds: LeakSanitizer stops the world with ptrace, which the
 * seccomp filter under test denies (as it must). LSan asks this hook at
 * exit, whatever ASAN_OPTIONS/LSAN_OPTIONS the test run sets; a plain
 * build just carries an unused function. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) {
        return 1;
}

static const char *result(long r, int err) {
        return r >= 0 ? "ok" : strerrorname_np(err) ?: "unknown";
}

static void report_ids(FILE *f) {
        gid_t groups[64];
        int n = getgroups(64, groups);

        fprintf(f, "uid=%u\neuid=%u\ngid=%u\negid=%u\ngroups=", (unsigned) getuid(), (unsigned) geteuid(),
                (unsigned) getgid(), (unsigned) getegid());
        for (int i = 0; i < n; i++)
                fprintf(f, "%s%u", i ? "," : "", (unsigned) groups[i]);
        fputc('\n', f);
}

/* CapInh..CapAmb, NoNewPrivs and Seccomp exactly as the kernel shows them. */
static void report_status(FILE *f) {
        static const char *const keys[] = { "CapInh", "CapPrm",     "CapEff", "CapBnd",
                                            "CapAmb", "NoNewPrivs", "Seccomp" };
        char line[256];
        FILE *st = fopen("/proc/self/status", "re");

        while (st && fgets(line, sizeof(line), st)) {
                char *colon = strchr(line, ':'), *v;

                if (!colon)
                        continue;
                *colon = '\0';
                for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
                        ;
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                        if (strcmp(line, keys[i]) == 0)
                                fprintf(f, "%s=%s", keys[i], v);
        }
        if (st)
                fclose(st);
}

/* A whole small file on one line ('\n' -> ';'), "-" when unreadable. */
static void report_file(FILE *f, const char *key, const char *path) {
        char buf[4096];
        ssize_t n = -1;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd >= 0) {
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
        }
        if (n <= 0) {
                fprintf(f, "%s=-\n", key);
                return;
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
                n--;
        buf[n] = '\0';
        for (char *p = buf; *p; p++)
                if (*p == '\n' || *p == '\0')
                        *p = ';';
        fprintf(f, "%s=%s\n", key, buf);
}

static void report_mount(FILE *f) {
        char dir[] = "/tmp/fake-qemu-mnt.XXXXXX";
        long r;
        int err;

        if (!mkdtemp(dir)) {
                fprintf(f, "mount=mkdtemp-failed\n");
                return;
        }
        r = mount("fake-qemu", dir, "tmpfs", 0, NULL);
        err = errno;
        if (r >= 0)
                (void) umount2(dir, MNT_DETACH);
        (void) rmdir(dir);
        fprintf(f, "mount=%s\n", result(r, err));
}

/* In a throwaway child: if PTRACE_TRACEME worked it would make the
 * supervisor our tracer, so the fake's own process must not try it. */
static void report_ptrace(FILE *f) {
        int status = 0;
        pid_t pid = fork();

        if (pid == 0) {
                long r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
                _exit(r >= 0 ? 0 : errno);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
                fprintf(f, "ptrace=fork-failed\n");
                return;
        }
        fprintf(f, "ptrace=%s\n", result(WEXITSTATUS(status) ? -1 : 0, WEXITSTATUS(status)));
}

static void *thread_main(void *arg) {
        return arg;
}

static void report_syscalls(FILE *f) {
        union bpf_attr attr = {};
        pthread_t t;
        long r;
        int fd;

        r = syscall(SYS_init_module, NULL, 0, "");
        fprintf(f, "init_module=%s\n", result(r, errno));
        r = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
        fprintf(f, "bpf=%s\n", result(r, errno));
        if (r >= 0)
                close((int) r);
        r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
        fprintf(f, "keyctl=%s\n", result(r, errno));
        r = syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL);
        fprintf(f, "reboot=%s\n", result(r, errno));
        r = setuid(0);
        fprintf(f, "setuid0=%s\n", result(r, errno));
        fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
        fprintf(f, "open_shadow=%s\n", result(fd, errno));
        if (fd >= 0)
                close(fd);
        r = unshare(CLONE_NEWUSER);
        fprintf(f, "unshare_user=%s\n", result(r, errno));
        r = personality(PER_LINUX32);
        fprintf(f, "personality=%s\n", result(r, errno));
        if (r >= 0)
                (void) personality(PER_LINUX);
        r = syscall(SYS_clone3, NULL, 0);
        fprintf(f, "clone3=%s\n", result(r, errno));
        /* QEMU is multi-threaded: threads must still work (glibc falls
         * back from clone3 to clone). */
        r = pthread_create(&t, NULL, thread_main, NULL);
        fprintf(f, "thread=%s\n", result(r == 0 ? 0 : -1, (int) r));
        if (r == 0)
                (void) pthread_join(t, NULL);
}

static int write_report(const char *path) {
        FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fprintf(f, "pid=%d\n", (int) getpid());
        report_ids(f);
        report_status(f);
        report_file(f, "label", "/proc/self/attr/current");
        report_file(f, "cgroup", "/proc/self/cgroup");
        report_mount(f);
        report_ptrace(f);
        report_syscalls(f);
        fprintf(f, "done=1\n");
        return fclose(f) < 0 ? -errno : 0;
}

/* -name guest=NAME,debug-threads=on (QEMU doubles literal commas). */
static char *guest_name(int argc, char **argv) {
        for (int i = 1; i + 1 < argc; i++) {
                const char *v = argv[i + 1];
                char *out, *o;

                if (strcmp(argv[i], "-name") != 0)
                        continue;
                if (strncmp(v, "guest=", 6) == 0)
                        v += 6;
                out = o = malloc(strlen(v) + 1);
                if (!out)
                        return NULL;
                for (; *v && (*v != ',' || v[1] == ','); v++) {
                        *o++ = *v;
                        if (*v == ',')
                                v++;
                }
                *o = '\0';
                return out;
        }
        return NULL;
}

/* The fd=N of the QMP -chardev; 3 if none is found. */
static int qmp_fd(int argc, char **argv) {
        for (int i = 1; i + 1 < argc; i++) {
                const char *p;

                if (strcmp(argv[i], "-chardev") == 0 && strstr(argv[i + 1], "id=charmonitor") &&
                    (p = strstr(argv[i + 1], "fd=")))
                        return atoi(p + 3);
        }
        return 3;
}

static void send_json(FILE *out, json_object *o) {
        fprintf(out, "%s\r\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        fflush(out);
        json_object_put(o);
}

static json_object *timestamp(void) {
        struct timespec ts;
        json_object *t = json_object_new_object();

        clock_gettime(CLOCK_REALTIME, &ts);
        json_object_object_add(t, "seconds", json_object_new_int64(ts.tv_sec));
        json_object_object_add(t, "microseconds", json_object_new_int64(ts.tv_nsec / 1000));
        return t;
}

static void send_event(FILE *out, const char *name, json_object *data) {
        json_object *e = json_object_new_object();

        json_object_object_add(e, "event", json_object_new_string(name));
        if (data)
                json_object_object_add(e, "data", data);
        json_object_object_add(e, "timestamp", timestamp());
        send_json(out, e);
}

static void send_return(FILE *out, json_object *cmd, json_object *value) {
        json_object *reply = json_object_new_object(), *id;

        json_object_object_add(reply, "return", value ?: json_object_new_object());
        if (json_object_object_get_ex(cmd, "id", &id))
                json_object_object_add(reply, "id", json_object_get(id));
        send_json(out, reply);
}

static void send_greeting(FILE *out) {
        json_object *g = json_object_new_object(), *qmp = json_object_new_object(),
                    *version = json_object_new_object(), *qemu = json_object_new_object();

        json_object_object_add(qemu, "major", json_object_new_int(7));
        json_object_object_add(qemu, "minor", json_object_new_int(2));
        json_object_object_add(qemu, "micro", json_object_new_int(0));
        json_object_object_add(version, "qemu", qemu);
        json_object_object_add(version, "package", json_object_new_string("fake-qemu"));
        json_object_object_add(qmp, "version", version);
        json_object_object_add(qmp, "capabilities", json_object_new_array());
        json_object_object_add(g, "QMP", qmp);
        send_json(out, g);
}

static json_object *status_value(bool running) {
        json_object *v = json_object_new_object();

        json_object_object_add(v, "status", json_object_new_string(running ? "running" : "prelaunch"));
        json_object_object_add(v, "running", json_object_new_boolean(running));
        json_object_object_add(v, "singlestep", json_object_new_boolean(false));
        return v;
}

/* Returns true when the fake should exit. */
static bool handle_command(FILE *out, json_object *cmd, bool *running) {
        json_object *exec;
        const char *name;

        if (!json_object_object_get_ex(cmd, "execute", &exec))
                return false;
        name = json_object_get_string(exec);
        if (strcmp(name, "query-status") == 0) {
                send_return(out, cmd, status_value(*running));
        } else if (strcmp(name, "cont") == 0) {
                send_return(out, cmd, NULL);
                if (!*running)
                        send_event(out, "RESUME", NULL);
                *running = true;
        } else if (strcmp(name, "system_powerdown") == 0) {
                json_object *data = json_object_new_object();

                send_return(out, cmd, NULL);
                send_event(out, "POWERDOWN", NULL);
                json_object_object_add(data, "guest", json_object_new_boolean(true));
                json_object_object_add(data, "reason", json_object_new_string("guest-shutdown"));
                send_event(out, "SHUTDOWN", data);
                return true;
        } else if (strcmp(name, "quit") == 0) {
                send_return(out, cmd, NULL);
                return true;
        } else {
                send_return(out, cmd, NULL);
        }
        return false;
}

static int serve_qmp(int listen_fd) {
        json_tokener *tok = json_tokener_new();
        bool running = false, done = false;
        char buf[4096];
        ssize_t n;
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        FILE *out;

        if (fd < 0 || !tok)
                return 1;
        out = fdopen(dup(fd), "w");
        if (!out)
                return 1;
        send_greeting(out);
        while (!done && (n = read(fd, buf, sizeof(buf))) > 0) {
                const char *p = buf;
                size_t left = (size_t) n;

                /* Commands may arrive split or several per read. */
                while (!done && left > 0) {
                        json_object *cmd = json_tokener_parse_ex(tok, p, (int) left);
                        size_t used = json_tokener_get_parse_end(tok);

                        p += used, left -= used;
                        if (!cmd && json_tokener_get_error(tok) == json_tokener_continue)
                                break;
                        if (cmd)
                                done = handle_command(out, cmd, &running);
                        json_object_put(cmd);
                        json_tokener_reset(tok);
                        if (used == 0)
                                break;
                }
        }
        fclose(out);
        close(fd);
        json_tokener_free(tok);
        return 0;
}

/* `-machine help` / `-cpu help`, as the supervisor asks before a start
 * (qemu-caps.h): what the test domains use. */
static int print_help(const char *what) {
        if (strcmp(what, "-machine") == 0)
                printf("Supported machines are:\npc                   Standard PC (alias of pc-i440fx-7.2)\n"
                       "pc-i440fx-7.2        Standard PC (default)\nq35                  Standard PC (alias "
                       "of "
                       "pc-q35-7.2)\npc-q35-7.2           Standard PC (Q35 + ICH9, 2009)\n");
        else
                printf("Available CPUs:\nx86 qemu64                QEMU Virtual CPU version 2.5+\n"
                       "x86 max                   Enables all features supported by the accelerator\n");
        return 0;
}

int main(int argc, char **argv) {
        const char *path = getenv("VMUNIT_FAKE_QEMU_REPORT");
        char *name, *fallback = NULL;
        int r;

        if (argc == 3 && strcmp(argv[2], "help") == 0)
                return print_help(argv[1]);
        name = guest_name(argc, argv);
        if (!path) {
                if (asprintf(&fallback, "/tmp/fake-qemu-%s.report", name ?: "unnamed") < 0)
                        return 1;
                path = fallback;
        }
        r = write_report(path);
        if (r < 0)
                fprintf(stderr, "fake-qemu: cannot write %s: %s\n", path, strerror(-r));
        else
                fprintf(stderr, "fake-qemu: report in %s\n", path);
        free(fallback);
        free(name);
        return serve_qmp(qmp_fd(argc, argv));
}
