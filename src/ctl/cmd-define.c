/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "ctl.h"
#include "domain-xml.h"
#include "fs-util.h"
#include "log.h"
#include "save-file.h"

int ctl_cmd_define(Ctl *ctl, int argc, char **argv) {
        _cleanup_domain_ Domain *d = NULL;

        if (ctl_expect_args(argc, 1, "define FILE") < 0)
                return 1;
        if (ctl_load_domain_file(argv[0], &d) < 0 || ctl_check_unit_name(d->name) < 0)
                return 1;
        if (ctl_define_domain(ctl, d) < 0 || ctl_daemon_reload(ctl) < 0)
                return 1;
        printf("Domain '%s' defined from %s\n", d->name, argv[0]);
        return 0;
}

/* A managed save belongs to the definition it was taken from: like virsh,
 * undefine refuses to orphan one unless told to remove it. */
static int managed_save_check(Ctl *ctl, const char *name, bool remove) {
        _cleanup_free_ char *dir = paths_domain_state_dir(&ctl->paths, name), *path = NULL;

        if (!dir || asprintf(&path, "%s/" SAVE_MANAGED_NAME, dir) < 0)
                return log_error_errno(-ENOMEM, "%m");
        if (access(path, F_OK) < 0)
                return 0;
        if (!remove) {
                log_error(
                        "domain '%s' has a managed save (%s); use undefine --managed-save to remove it too",
                        name, path);
                return -EEXIST;
        }
        if (unlink(path) < 0)
                return log_error_errno(negative_errno(), "Failed to remove %s: %m", path);
        return 0;
}

/* NAME's definition file, or NULL after saying in one line that there
 * is none. */
static char *defined_path(Ctl *ctl, const char *name) {
        char *path = paths_domain_xml(&ctl->paths, name);

        if (path && access(path, F_OK) < 0) {
                log_error("domain '%s' is not defined (%s does not exist)", name, path);
                free(path);
                return NULL;
        }
        return path;
}

int ctl_cmd_undefine(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *path = NULL;
        bool managed = argc > 0 && streq(argv[0], "--managed-save");

        if (managed)
                argc--, argv++;
        if (ctl_expect_args(argc, 1, "undefine [--managed-save] NAME") < 0 || ctl_check_name(argv[0]) < 0)
                return 1;
        path = defined_path(ctl, argv[0]);
        if (!path)
                return 1;
        if (managed_save_check(ctl, argv[0], managed) < 0)
                return 1;
        if (unlink(path) < 0)
                return log_error_errno(negative_errno(), "Failed to remove %s: %m", path), 1;
        if (ctl_daemon_reload(ctl) < 0)
                return 1;
        printf("Domain '%s' has been undefined\n", argv[0]);
        return 0;
}

/* A running domain's live XML (RUN/NAME/domain.xml, written by its
 * supervisor) wins over the definition, as with virsh dumpxml. Returns 0
 * with *ret set, -ENOENT when there is none to read (use the definition),
 * or another -errno after logging (a refused file: -EPERM). */
static int dumpxml_load_live(Ctl *ctl, const char *name, Domain **ret) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *buf = NULL, *err = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;
        int r;

        if (ctl_domain_running_pid(ctl, name) <= 0)
                return -ENOENT;
        fd = ctl_open_runtime_file(ctl, name, "domain.xml");
        if (fd < 0)
                return fd == -EPERM ? fd : -ENOENT;
        dir = paths_domain_run_dir(&ctl->paths, name);
        if (!dir || asprintf(&path, "%s/domain.xml", dir) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = read_all_fd(fd, 16 * 1024 * 1024, &buf, &size);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", path);
        r = domain_parse_buffer(buf, size, path, ret, &err);
        if (r < 0)
                log_lines(LOG_LEVEL_ERR, err ?: strerror(-r));
        return r;
}

/* With -H only the running domain's live XML can be had: from its
 * supervisor (GetXML); definitions are files on that host. */
static int dumpxml_remote(Ctl *ctl, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *xml;

        if (ctl_vm_call(ctl, name, "GetXML", &reply, NULL) < 0)
                return 1;
        if (sd_bus_message_read(reply, "s", &xml) < 0)
                return log_error("unexpected reply from domain '%s'", name), 1;
        fputs(xml, stdout);
        return 0;
}

int ctl_cmd_dumpxml(Ctl *ctl, int argc, char **argv) {
        _cleanup_domain_ Domain *d = NULL;
        _cleanup_free_ char *path = NULL, *xml = NULL;
        int r;

        if (ctl_expect_args(argc, 1, "dumpxml NAME") < 0 || ctl_check_name(argv[0]) < 0)
                return 1;
        if (ctl->host)
                return dumpxml_remote(ctl, argv[0]);
        r = dumpxml_load_live(ctl, argv[0], &d);
        if (r < 0 && r != -ENOENT)
                return 1;
        if (r == -ENOENT) {
                path = defined_path(ctl, argv[0]);
                if (!path || ctl_load_domain_file(path, &d) < 0)
                        return 1;
        }
        r = domain_format_xml(d, &xml);
        if (r < 0)
                return log_error_errno(r, "Failed to format the domain: %m"), 1;
        fputs(xml, stdout);
        return 0;
}
