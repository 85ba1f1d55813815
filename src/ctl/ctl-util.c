/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "ctl.h"
#include "domain-xml.h"
#include "fs-util.h"
#include "log.h"
#include "systemd-manager.h"
#include "unit-name.h"
#include "vmunit-config.h"

int ctl_expect_args(int argc, int n, const char *usage) {
        if (argc == n)
                return 0;
        log_error("%s: usage: vmctl %s", argc < n ? "missing argument" : "too many arguments", usage);
        return -EINVAL;
}

int ctl_check_remote_path(const char *what, const char *path) {
        if (path[0] != '/')
                return log_error("%s must be an absolute path on that host", what), -EINVAL;
        if (strncmp(path, "/tmp/", 5) == 0 || strncmp(path, "/var/tmp/", 9) == 0)
                return log_error("%s: /tmp and /var/tmp are private to the VM's service; use another "
                                 "directory",
                                 path),
                       -EINVAL;
        return 0;
}

int ctl_load_domain_file(const char *path, Domain **ret) {
        _cleanup_free_ char *err = NULL;
        int r = domain_parse_file(path, ret, &err);

        if (r < 0)
                log_lines(LOG_LEVEL_ERR, err ?: strerror(-r));
        return r;
}

int ctl_define_domain(Ctl *ctl, const Domain *d) {
        _cleanup_free_ char *xml = NULL, *path = NULL;
        int r;

        r = domain_format_xml(d, &xml);
        if (r < 0)
                return log_error_errno(r, "Failed to format domain '%s': %m", d->name);
        path = paths_domain_xml(&ctl->paths, d->name);
        if (!path)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = mkdir_parents(ctl->paths.domains_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", ctl->paths.domains_dir);
        r = write_file_atomic(path, xml, 0644);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", path);
        return 0;
}

int ctl_open_runtime_file(Ctl *ctl, const char *name, const char *file) {
        _cleanup_free_ char *dir = paths_domain_run_dir(&ctl->paths, name), *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (!dir || asprintf(&path, "%s/%s", dir, file) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno(); /* not running, or not ours to read */
        if (fstat(fd, &st) < 0)
                return log_error_errno(negative_errno(), "Failed to stat %s: %m", path);
        /* The supervisor writes these as root (or as the user running it
         * in embedded mode), 0644, in a directory only it may write:
         * anything else was put there by someone else. */
        if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && (!ctl->root || st.st_uid != geteuid())) ||
            (st.st_mode & 0022)) {
                log_error("refusing %s: not a file the supervisor wrote (owner uid %u, mode %04o)", path,
                          (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        return TAKE_FD(fd);
}

int ctl_domain_running_pid(Ctl *ctl, const char *name) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = ctl_open_runtime_file(ctl, name, "pid");
        size_t size;
        int pid;

        if (fd < 0 || read_all_fd(fd, 64, &text, &size) < 0)
                return 0;
        if (sscanf(text, "%d", &pid) != 1 || pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
                return 0;
        return pid;
}

int ctl_check_name(const char *name) {
        const char *why;

        if (domain_name_check(name, &why) < 0) {
                log_error("invalid domain name '%s': %s", name, why);
                return -EINVAL;
        }
        return 0;
}

/* Every domain becomes vm@NAME.service: refuse at define time a name that
 * cannot (too long once escaped), rather than at start. */
int ctl_check_unit_name(const char *name) {
        _cleanup_free_ char *unit = NULL;
        int r = vm_unit_name(name, &unit);

        if (r == -ENAMETOOLONG)
                log_error("domain name '%.40s...' is too long: its unit name vm@...service would exceed %d "
                          "bytes",
                          name, UNIT_NAME_MAX);
        else if (r < 0)
                log_error("domain name '%s' cannot be used as a unit name", name);
        return r;
}

/* After a definition changed, let the generator run again (system mode
 * only; a host not booted with systemd has nothing to reload). */
int ctl_daemon_reload(Ctl *ctl) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

        if (ctl->root || sd_booted() <= 0)
                return 0;
        if (manager_open(ctl, &bus) < 0)
                return -EIO;
        return manager_reload(bus);
}

/* Where vmunit-supervisor is: $VMUNIT_SUPERVISOR (tests), the installed
 * path, or beside us in a build tree (src/ctl/../supervisor/). */
char *ctl_find_supervisor(void) {
        const char *env = getenv("VMUNIT_SUPERVISOR");
        char self[PATH_MAX], *slash, *path = NULL;
        ssize_t n;

        if (env)
                return strdup(env);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                slash = strrchr(self, '/');
                if (slash &&
                    asprintf(&path, "%.*s/../supervisor/vmunit-supervisor", (int) (slash - self), self) >=
                            0 &&
                    access(path, X_OK) == 0)
                        return path;
                free(path);
        }
        return strdup(VMUNIT_SUPERVISOR_PATH);
}
