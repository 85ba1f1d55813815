/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * save NAME FILE / restore FILE.
 *
 * save is the running domain's Save(path) on its D-Bus object: the
 * supervisor (root in system mode) writes FILE itself and the domain stops.
 * restore reads FILE's header (src/common/save-file.h), leaves a request
 * in the domain's state directory (a symlink `restore` -> FILE) and starts
 * the domain: through systemd in system mode, or as the foreground
 * supervisor in embedded mode (like `run`). The supervisor picks the
 * request up, removes it, and loads FILE instead of booting.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "ctl.h"
#include "domain-xml.h"
#include "fs-util.h"
#include "log.h"
#include "save-file.h"
#include "vmunit-config.h"

/* FILE as the supervisor will see it: absolute. */
static int absolute_path(const char *path, char **ret) {
        char cwd[PATH_MAX];

        if (path[0] == '/')
                return (*ret = strdup(path)) ? 0 : -ENOMEM;
        if (!getcwd(cwd, sizeof(cwd)))
                return negative_errno();
        return asprintf(ret, "%s/%s", cwd, path) < 0 ? -ENOMEM : 0;
}

/* vm@.service has PrivateTmp=yes: a file in /tmp or /var/tmp would land
 * in (or be looked for in) the unit's own private directory. */
static int check_visible_to_unit(Ctl *ctl, const char *path) {
        if (ctl->root || (strncmp(path, "/tmp/", 5) != 0 && strncmp(path, "/var/tmp/", 9) != 0))
                return 0;
        log_error("%s: /tmp and /var/tmp are private to the VM's service; use another directory", path);
        return -EINVAL;
}

int ctl_cmd_save(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (ctl_expect_args(argc, 2, "save NAME FILE") < 0)
                return 1;
        if (ctl->host && argv[1][0] != '/')
                return log_error("save -H HOST: FILE must be an absolute path on that host"), 1;
        r = absolute_path(argv[1], &path);
        if (r < 0)
                return log_error_errno(r, "%s: cannot make the path absolute: %m", argv[1]), 1;
        if (check_visible_to_unit(ctl, path) < 0)
                return 1;
        /* Writing a large guest's memory takes longer than sd-bus's 25 s
         * default; the supervisor answers once the file is complete. */
        (void) setenv("SYSTEMD_BUS_TIMEOUT", "1h", /* overwrite= */ 0);
        if (ctl_vm_call(ctl, argv[0], "Save", NULL, "s", path) < 0)
                return 1;
        printf("Domain '%s' saved to %s\n", argv[0], path);
        return 0;
}

/* The domain FILE was saved from; it must be defined here with the same
 * UUID. Stores its name. */
static int saved_domain(Ctl *ctl, const char *file, char **ret_name) {
        _cleanup_free_ char *xml = NULL, *err = NULL, *defined_path = NULL;
        _cleanup_domain_ Domain *saved = NULL, *defined = NULL;
        _cleanup_close_ int fd = -EBADF;
        SaveHeader h;
        int r;

        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(negative_errno(), "%s: cannot open: %m", file);
        r = save_file_read_header(fd, &h, &xml, &err);
        if (r < 0)
                return log_error("%s: %s", file, err ?: "cannot read it"), r;
        r = domain_parse_buffer(xml, strlen(xml), file, &saved, NULL);
        if (r < 0)
                return log_error("%s: the domain XML in the save file is invalid", file), r;
        defined_path = paths_domain_xml(&ctl->paths, saved->name);
        if (!defined_path)
                return -ENOMEM;
        if (domain_parse_file(defined_path, &defined, NULL) < 0)
                return log_error("%s: saved from domain '%s', which is not defined (define it first)", file,
                                 saved->name),
                       -ENOENT;
        if (memcmp(saved->uuid, defined->uuid, sizeof(saved->uuid)) != 0)
                return log_error("%s: saved from domain '%s' with another UUID than the defined one", file,
                                 saved->name),
                       -EINVAL;
        *ret_name = strdup(saved->name);
        return *ret_name ? 0 : -ENOMEM;
}

/* STATE/NAME/restore -> file, replacing a stale request. */
static int write_request(Ctl *ctl, const char *name, const char *file, char **ret_request) {
        _cleanup_free_ char *dir = paths_domain_state_dir(&ctl->paths, name), *request = NULL;
        int r;

        if (!dir || asprintf(&request, "%s/%s", dir, SAVE_RESTORE_REQUEST_NAME) < 0)
                return -ENOMEM;
        r = mkdir_parents(dir, 0750);
        if (r < 0)
                return log_error_errno(r, "cannot create %s: %m", dir);
        (void) unlink(request);
        if (symlink(file, request) < 0)
                return log_error_errno(negative_errno(), "cannot record the restore request %s: %m",
                                       request);
        *ret_request = TAKE_PTR(request);
        return 0;
}

int ctl_cmd_restore(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *file = NULL, *name = NULL, *request = NULL, *supervisor = NULL;
        int r;

        if (ctl_expect_args(argc, 1, "restore FILE") < 0)
                return 1;
        if (ctl->host)
                return log_error("restore reads FILE on this host; it cannot be used with -H"), 1;
        r = absolute_path(argv[0], &file);
        if (r < 0)
                return log_error_errno(r, "%s: cannot make the path absolute: %m", argv[0]), 1;
        if (check_visible_to_unit(ctl, file) < 0 || saved_domain(ctl, file, &name) < 0)
                return 1;
        if (ctl_domain_running_pid(ctl, name) > 0)
                return log_error("domain '%s' is running; stop it before restoring it", name), 1;
        if (write_request(ctl, name, file, &request) < 0)
                return 1;
        if (!ctl->root) {
                r = ctl_cmd_start(ctl, 1, (char *[]){ name, NULL });
                /* Normally the supervisor consumed it; never leave one
                 * behind for a later plain start. */
                (void) unlink(request);
                if (r == 0)
                        printf("Domain '%s' restored from %s\n", name, file);
                return r;
        }
        supervisor = ctl_find_supervisor();
        if (!supervisor)
                return (void) unlink(request), 1;
        fflush(stdout);
        execl(supervisor, "vmunit-supervisor", "--root", ctl->paths.root, name, (char *) NULL);
        log_error_errno(negative_errno(), "Failed to execute %s: %m", supervisor);
        (void) unlink(request);
        return 2;
}
