/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "domain-xml.h"
#include "label.h"
#include "fs-util.h"
#include "log.h"
#include "qemu-argv.h"
#include "strv.h"
#include "supervisor.h"

static int load_config(Supervisor *s) {
        _cleanup_free_ char *err = NULL;
        int r;

        r = config_init_defaults(&s->config);
        if (r < 0)
                return log_error_errno(r, "Failed to initialise configuration: %m"), VMUNIT_EXIT_HOST;
        r = config_load(s->paths.config_file, &s->config, &err);
        if (r == -EINVAL) {
                log_error("%s", err ?: "invalid configuration");
                return VMUNIT_EXIT_CONFIG;
        }
        if (r < 0) {
                log_error("%s", err ?: "cannot read configuration");
                return VMUNIT_EXIT_HOST;
        }
        return 0;
}

static int load_domain(Supervisor *s) {
        _cleanup_free_ char *err = NULL;
        int r;

        s->xml_path = paths_domain_xml(&s->paths, s->name);
        if (!s->xml_path)
                return VMUNIT_EXIT_HOST;
        r = domain_parse_file(s->xml_path, &s->domain, &err);
        if (r == -ENOENT) {
                log_error("%s: no such domain definition", s->xml_path);
                return VMUNIT_EXIT_CONFIG;
        }
        if (r < 0) {
                log_lines(LOG_LEVEL_ERR, err ?: "cannot parse domain");
                return r == -EINVAL ? VMUNIT_EXIT_CONFIG : VMUNIT_EXIT_HOST;
        }
        if (!streq(s->domain->name, s->name)) {
                log_error("%s: domain is named '%s' but the file is for '%s'", s->xml_path, s->domain->name,
                          s->name);
                return VMUNIT_EXIT_CONFIG;
        }
        domain_uuid_format(s->domain->uuid, s->uuid);
        log_set_domain(s->name, s->uuid);
        return 0;
}

static int setup_logging(Supervisor *s) {
        _cleanup_free_ char *log_path = paths_domain_log(&s->paths, s->name);
        int r;

        if (!log_path)
                return 0; /* system mode: the journal via stderr */
        if (mkdir(s->paths.log_dir, 0750) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "Failed to create %s: %m", s->paths.log_dir),
                       VMUNIT_EXIT_HOST;
        r = log_open_file(log_path);
        if (r < 0)
                return log_error_errno(r, "Failed to open log %s: %m", log_path), VMUNIT_EXIT_HOST;
        return 0;
}

/* Remove dfd's entries; with depth > 0 subdirectories too (their entries
 * first, depth - 1 levels further down). Nothing is followed: a symlink is
 * removed as a name, and a subdirectory is opened with O_NOFOLLOW. */
static void dir_clean_at(int dfd, unsigned depth) {
        int copy = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        DIR *d = copy >= 0 ? fdopendir(copy) : NULL;
        struct dirent *de;

        if (!d) {
                safe_close(copy);
                return;
        }
        while ((de = readdir(d))) {
                int sub;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dfd, de->d_name, 0) == 0 || errno != EISDIR || depth == 0)
                        continue;
                sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0) {
                        dir_clean_at(sub, depth - 1);
                        safe_close(sub);
                }
                (void) unlinkat(dfd, de->d_name, AT_REMOVEDIR);
        }
        closedir(d);
}

/* Empty the VM's runtime directory: the supervisor's files (QMP socket,
 * pid, live XML, console log and link, bound chardev sockets) and the
 * qemu/ subdirectory with whatever QEMU created in it. A supervisor that
 * was SIGKILLed cannot do this itself, hence also at the next start and
 * in --cleanup. One level down only: qemu/ is the one directory there, and
 * QEMU has no business making directories in it. */
static void runtime_dir_clean(const char *dir) {
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

        if (dfd >= 0)
                dir_clean_at(dfd, /* depth= */ 1);
}

/* RUN/NAME is ours (root's in system mode), 0755, and writable by nobody
 * else: vmctl trusts the pid and the live XML in it, and a QEMU taken
 * over by its guest must not be able to forge them. A directory left by
 * an older version, which handed it to QEMU's user, is taken back. */
static int runtime_dir_take(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if ((st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(fd, geteuid(), getegid()) < 0)
                return negative_errno();
        if ((st.st_mode & 07777) != 0755 && fchmod(fd, 0755) < 0)
                return negative_errno();
        return 0;
}

/* RUN/NAME/qemu: the one place QEMU may create files (the labels give
 * its identity access to it), for sockets a <qemu:commandline> names; a
 * domain without one gets none, since nothing vmunit passes QEMU needs
 * it. */
static int prepare_qemu_dir(Supervisor *s) {
        if (s->domain->n_qemu_args == 0)
                return 0;
        if (asprintf(&s->qemu_dir, "%s/" QEMU_DIR_NAME, s->run_dir) < 0) {
                s->qemu_dir = NULL;
                return -ENOMEM;
        }
        return mkdir(s->qemu_dir, 0700) < 0 ? negative_errno() : 0;
}

static int prepare_runtime_dir(Supervisor *s) {
        int r;

        s->run_dir = paths_domain_run_dir(&s->paths, s->name);
        s->qmp_path = s->run_dir ? qemu_qmp_socket_path(s->run_dir) : NULL;
        s->console_path = s->run_dir ? qemu_console_log_path(s->run_dir) : NULL;
        if (!s->qmp_path || !s->console_path)
                return VMUNIT_EXIT_HOST;
        /* Before the file table is made: it binds these sockets. */
        r = qemu_channel_fill(s->domain, s->run_dir);
        if (r == -ENAMETOOLONG)
                return log_error("%s: a channel's socket path in %s is over the %d-byte limit for UNIX "
                                 "sockets; use a shorter channel name or root",
                                 s->xml_path, s->run_dir, UNIX_PATH_LIMIT),
                       VMUNIT_EXIT_CONFIG;
        if (r < 0)
                return VMUNIT_EXIT_HOST;
        if (strlen(s->qmp_path) > UNIX_PATH_LIMIT) {
                log_error("%s: socket path is %zu bytes, over the %d-byte limit for UNIX sockets; use a "
                          "shorter root",
                          s->qmp_path, strlen(s->qmp_path), UNIX_PATH_LIMIT);
                return VMUNIT_EXIT_HOST;
        }
        r = mkdir_parents(s->run_dir, 0755);
        if (r >= 0)
                r = runtime_dir_take(s->run_dir);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", s->run_dir), VMUNIT_EXIT_HOST;
        runtime_dir_clean(s->run_dir);
        r = prepare_qemu_dir(s);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s/" QEMU_DIR_NAME ": %m", s->run_dir),
                       VMUNIT_EXIT_HOST;
        return 0;
}

/* The guest's PCI layout into s->domain, as libvirt keeps it in the live
 * XML (GetXML, dumpxml of a running VM): the addresses the devices get
 * and the root ports and bridges added for them. The command line built
 * from it is the one the definition gives. */
static int fill_pci_layout(Supervisor *s) {
        _cleanup_free_ char *err = NULL;
        QemuArgvOptions o = {};
        int r;

        r = qemu_pci_fill(s->domain, &o, &err);
        if (r == -EINVAL) {
                log_error("%s: %s", s->xml_path, err ?: "PCI address assignment failed");
                return VMUNIT_EXIT_CONFIG;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to place the PCI devices: %m"), VMUNIT_EXIT_HOST;
        return 0;
}

int supervisor_prepare(Supervisor *s, const char *root, const char *name) {
        const char *why;
        int r;

        *s = (Supervisor){ .qemu_pid = 0, .console_fd = -EBADF };
        if (domain_name_check(name, &why) < 0) {
                log_error("invalid domain name '%s': %s", name, why);
                return VMUNIT_EXIT_CONFIG;
        }
        s->name = strdup(name);
        if (!s->name)
                return VMUNIT_EXIT_HOST;
        r = paths_init(&s->paths, root, root ? NULL : getenv("VMUNIT_CONFIG_DIR"));
        if (r < 0)
                return log_error_errno(r, "Failed to set up paths: %m"), VMUNIT_EXIT_HOST;
        r = setup_logging(s);
        if (r == 0)
                r = load_config(s);
        if (r == 0)
                r = load_domain(s);
        if (r == 0)
                r = save_prepare_restore(s); /* verified against the defined s->domain */
        if (r == 0)
                r = prepare_runtime_dir(s);
        if (r == 0)
                r = host_checks_run(s);
        if (r == 0)
                r = supervisor_firmware_prepare(s);
        if (r == 0)
                r = fill_pci_layout(s);
        if (r == 0)
                r = qemu_identity_prepare(s);
        if (r == 0)
                r = confinement_prepare(s);
        return r;
}

/* QMP listens on a socket we bind ourselves and hand to QEMU: we can
 * connect the moment QEMU is spawned, with no polling for the socket to
 * appear, and a stale socket from a killed run can never be mistaken for
 * this QEMU's. */
static int qmp_listen(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
        (void) unlink(path);
        /* The runtime dir is ours (root's), so the path is too; the socket
         * is for us alone (connecting needs write access). */
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 || listen(fd, 1) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

/* What this host's QEMU offers, so a CPU model or machine type it lacks
 * is a configuration error naming the element, not QEMU's exit at start.
 * Cached in RUN/caps (qemu-caps.h): a start reads one small file. An
 * emulator that cannot list them (a wrapper script) is still run: names
 * are then checked for syntax only and QEMU itself judges them. */
static int probe_caps(Supervisor *s, QemuCaps *ret) {
        const char *emulator = qemu_argv_emulator(s->domain, s->config.emulator);
        _cleanup_free_ char *cache = NULL;
        int r;

        if (asprintf(&cache, "%s/caps", s->paths.run_dir) < 0)
                return -ENOMEM;
        r = qemu_caps_probe(emulator, cache, ret);
        if (r < 0)
                log_warning_errno(r, "%s: cannot ask QEMU for its machine types and CPU models: %m",
                                  emulator);
        return r;
}

/* Whether port is free on the address (an IPv4 or IPv6 literal). */
static bool tcp_port_free(const char *address, int port) {
        struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t) port) };
        struct sockaddr_in in4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        bool v6 = strchr(address, ':');
        _cleanup_close_ int fd = -EBADF;

        if (v6 ? inet_pton(AF_INET6, address, &in6.sin6_addr) != 1
               : inet_pton(AF_INET, address, &in4.sin_addr) != 1)
                return false;
        fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        return v6 ? bind(fd, (struct sockaddr *) &in6, sizeof(in6)) == 0
                  : bind(fd, (struct sockaddr *) &in4, sizeof(in4)) == 0;
}

/* SPICE autoport: QEMU cannot pick a port itself (VNC's to=99 has no
 * SPICE twin), so the first free one from 5900 is found here, as
 * libvirt's port allocator does. There is a window before QEMU binds
 * it; a start that loses the race fails and can be retried. 0 when the
 * domain needs none or none is free. */
static int pick_spice_port(const Domain *d) {
        for (size_t i = 0; i < d->n_graphics; i++) {
                const DomainGraphics *g = &d->graphics[i];

                if (g->type != DOMAIN_GRAPHICS_SPICE || !g->autoport)
                        continue;
                for (int port = 5900; port <= 65535; port++)
                        if (tcp_port_free(g->listen ?: "127.0.0.1", port))
                                return port;
        }
        return 0;
}

static int build_argv(Supervisor *s, Strv *argv, Strv *env) {
        _cleanup_(qemu_caps_done) QemuCaps caps = {};
        _cleanup_free_ char *err = NULL;
        bool have_caps = probe_caps(s, &caps) >= 0;
        QemuArgvOptions o = {
                .caps = have_caps ? &caps : NULL,
                .default_emulator = s->config.emulator,
                .runtime_dir = s->run_dir,
                .qmp_fd = QEMU_CHILD_QMP_FD,
                .seccomp_sandbox = s->config.seccomp_sandbox,
                .console_log = true,
                .incoming_defer = save_restoring(s),
                .files = &s->files,
                .state_dir = s->paths.state_dir,
                .spice_port = pick_spice_port(s->domain),
        };
        int r = qemu_argv_build(s->domain, &o, argv, env, &err);

        if (r == -EINVAL)
                log_error("%s: %s", s->xml_path, err ?: "cannot build the QEMU command line");
        else if (r < 0)
                log_error_errno(r, "Failed to build the QEMU command line: %m");
        return r;
}

static int write_runtime_file(const Supervisor *s, const char *name, const char *text) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text);

        if (asprintf(&path, "%s/%s", s->run_dir, name) < 0)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        return write(fd, text, len) == (ssize_t) len ? 0 : -EIO;
}

/* What vmctl reads about a running VM: QEMU's pid and the live XML. */
static int write_runtime_state(const Supervisor *s) {
        _cleanup_free_ char *xml = NULL;
        char pid[32];
        int r;

        snprintf(pid, sizeof(pid), "%d\n", (int) s->qemu_pid);
        r = write_runtime_file(s, "pid", pid);
        if (r >= 0)
                r = domain_format_xml(s->domain, &xml);
        if (r >= 0)
                r = write_runtime_file(s, "domain.xml", xml);
        return r;
}

static int start_qemu(Supervisor *s) {
        _cleanup_strv_ Strv argv = {}, env = {};
        _cleanup_close_ int listen_fd = -EBADF, stderr_fd = -EBADF;
        const char *step = NULL;
        int r, fd;

        r = build_argv(s, &argv, &env);
        if (r < 0)
                return r == -EINVAL ? VMUNIT_EXIT_CONFIG : VMUNIT_EXIT_HOST;
        listen_fd = qmp_listen(s->qmp_path);
        if (listen_fd < 0)
                return log_error_errno(listen_fd, "Failed to listen on %s: %m", s->qmp_path),
                       VMUNIT_EXIT_HOST;
        r = qemu_process_spawn(s, argv.items, env.items, listen_fd, &stderr_fd, &step);
        /* QEMU has its own copies now (or will never run). */
        vm_files_close_qemu(&s->files);
        if (r < 0)
                return log_error_errno(r, "Failed to %s %s: %m", step, argv.items[0]), VMUNIT_EXIT_HOST;
        log_info("started QEMU, pid %d", (int) s->qemu_pid);
        r = write_runtime_state(s);
        if (r < 0)
                return log_error_errno(r, "Failed to write runtime state in %s: %m", s->run_dir),
                       VMUNIT_EXIT_HOST;

        /* The listening socket already has a backlog slot: this connect
         * succeeds at once and QEMU accepts it when its monitor is up. */
        r = qmp_client_connect(s->event, s->qmp_path, &s->qmp);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to QMP at %s: %m", s->qmp_path),
                       VMUNIT_EXIT_HOST;
        (void) machined_register(s);
        r = lifecycle_watch_child(s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch QEMU: %m"), VMUNIT_EXIT_HOST;
        (void) bus_attach(s); /* D-Bus object (bus.c): logged, never fatal */
        fd = TAKE_FD(stderr_fd);
        r = output_watch_stderr(s, fd);
        if (r >= 0)
                r = output_watch_console(s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch QEMU output: %m"), VMUNIT_EXIT_HOST;
        return 0;
}

int supervisor_run(Supervisor *s) {
        int r;

        r = sd_event_default(&s->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create event loop: %m"), VMUNIT_EXIT_HOST;
        r = lifecycle_attach(s);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m"), VMUNIT_EXIT_HOST;
        r = start_qemu(s);
        if (r != 0)
                return r;
        lifecycle_set_status(s, "starting");
        r = sd_event_loop(s->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), VMUNIT_EXIT_HOST;
        output_flush(s);
        return s->exit_status;
}

static void kill_and_reap_qemu(Supervisor *s) {
        if (s->qemu_pid <= 0)
                return;
        /* QEMU must never outlive its supervisor. */
        (void) kill(s->qemu_pid, SIGKILL);
        (void) waitpid(s->qemu_pid, NULL, 0);
        s->qemu_pid = 0;
}

static void runtime_dir_remove(Supervisor *s) {
        if (!s->run_dir)
                return;
        runtime_dir_clean(s->run_dir);
        (void) rmdir(s->run_dir);
}

void supervisor_done(Supervisor *s) {
        s->child_source = sd_event_source_disable_unref(s->child_source);
        kill_and_reap_qemu(s);
        confinement_teardown(s);
        vm_files_remove_sockets(&s->files);
        vm_files_done(&s->files);
        machined_unregister(s);
        s->stderr_source = sd_event_source_disable_unref(s->stderr_source);
        s->console_source = sd_event_source_disable_unref(s->console_source);
        s->shutdown_timer = sd_event_source_disable_unref(s->shutdown_timer);
        save_done(s); /* before QMP: pending replies point at what these free */
        lifecycle_done(s);
        s->qmp = qmp_client_free(s->qmp);
        bus_detach(s); /* after QMP: no reply callback can reach a freed bus call */
        hotplug_done(s);
        console_done(s);
        s->event = sd_event_unref(s->event);
        runtime_dir_remove(s);
        safe_close(s->console_fd);
        free(s->stderr_buf);
        free(s->console_buf);
        free(s->run_dir);
        free(s->qemu_dir);
        free(s->qmp_path);
        free(s->console_path);
        free(s->xml_path);
        free(s->name);
        domain_free(s->domain);
        config_done(&s->config);
        paths_done(&s->paths);
        *s = (Supervisor){};
}

int supervisor_cleanup(const char *root, const char *name) {
        VmunitPaths paths;
        _cleanup_free_ char *dir = NULL;
        char **notices = NULL;
        const char *why;
        int r;

        if (domain_name_check(name, &why) < 0) {
                log_error("invalid domain name '%s': %s", name, why);
                return VMUNIT_EXIT_CONFIG;
        }
        r = paths_init(&paths, root, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to set up paths: %m"), VMUNIT_EXIT_HOST;
        /* Owners and labels first: the journal lives in the labels dir and
         * says what this VM's (possibly SIGKILLed) supervisor changed. */
        r = label_cleanup_from_journal(&paths, name, &notices);
        for (char **n = notices; n && *n; n++)
                log_warning("labels of '%s': %s", name, *n);
        strv_free_array(notices);
        if (r < 0)
                log_error_errno(r, "Failed to restore labels and owners for '%s': %m", name);
        dir = paths_domain_run_dir(&paths, name);
        paths_done(&paths);
        if (!dir)
                return VMUNIT_EXIT_HOST;
        runtime_dir_clean(dir);
        if (rmdir(dir) < 0 && errno != ENOENT)
                log_warning("could not remove %s: %m", dir);
        return r < 0 ? VMUNIT_EXIT_HOST : 0;
}
