/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parent's side of confinement, in the order it must happen before
 * QEMU is forked: the domain's files, each resolved once; the VM's cgroup
 * with its device list (block devices by the number of the inode resolved
 * there); labels (DAC ACL entries and the MAC), all recorded in the label
 * journal before they are made; then the fds QEMU will inherit, opened
 * from the resolved files. Teardown runs the other way. Any step that
 * fails stops the start (fail closed) with a line naming the step.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cgroup.h"
#include "label.h"
#include "log.h"
#include "supervisor.h"

/* The devices the VM may open: the shared cgroup_device_acl (missing
 * entries such as /dev/hpet skipped) plus every block device among its
 * files (disks, and whatever else names one), by the device number of the
 * inode the table resolved: never from a second look at the path. */
static int allow_vm_devices(Supervisor *s) {
        const char *failed = NULL;
        int r;

        r = vm_cgroup_allow_acl(s->cgroup, s->config.cgroup_device_acl,
                                CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE, &failed);
        if (r < 0)
                return log_error_errno(r, "cgroup device ACL: cannot allow %s: %m",
                                       failed ?: "cgroup_device_acl");
        for (size_t i = 0; i < s->files.n; i++) {
                const VmFile *f = &s->files.items[i];
                unsigned access = CGROUP_DEVICE_READ;

                if (f->parent_only || !S_ISBLK(f->st.st_mode))
                        continue;
                if (f->qemu_flags >= 0 && (f->qemu_flags & O_ACCMODE) != O_RDONLY)
                        access |= CGROUP_DEVICE_WRITE;
                r = vm_cgroup_allow_number(s->cgroup, 'b', major(f->st.st_rdev), minor(f->st.st_rdev),
                                           access);
                if (r < 0)
                        return log_error_errno(r, "cgroup device ACL: cannot allow %s %s: %m",
                                               vm_file_kind_to_string(f->kind), f->path);
        }
        return 0;
}

static int setup_cgroup(Supervisor *s) {
        /* System mode: our unit's cgroup is delegated to us (Delegate=yes);
         * never guess there, a wrong guess would put QEMU outside its unit. */
        int r = vm_cgroup_create_full(s->name,
                                      s->paths.embedded ? VM_CGROUP_PLACE_OWN : VM_CGROUP_PLACE_DELEGATED,
                                      VM_CGROUP_BACKEND_AUTO, &s->cgroup);

        /* Embedded mode as an ordinary user has no cgroup to delegate from:
         * the device ACL is a system-mode (or root) feature there. */
        if (r == -EOPNOTSUPP && s->paths.embedded) {
                log_info("no writable cgroup hierarchy: running without a device ACL");
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "cgroup: cannot create the VM's cgroup: %m");
        r = allow_vm_devices(s);
        if (r < 0)
                return r;
        r = vm_cgroup_apply_devices(s->cgroup);
        if (r < 0)
                return log_error_errno(r, "cgroup device ACL: cannot install the device filter: %m");
        return 0;
}

static int setup_labels(Supervisor *s) {
        _cleanup_free_ char *err = NULL;
        LabelManagerParams p = {
                .domain = s->domain,
                .config = &s->config,
                .paths = &s->paths,
                .name = s->name,
                .qemu_uid = s->identity.uid,
                .qemu_gid = s->identity.gid,
        };
        int r = label_manager_new(&p, &s->labels, &err);

        if (r < 0) {
                log_error("security: %s", err ?: strerror(-r));
                return r;
        }
        log_info("security: %s", label_manager_describe(s->labels));
        if (s->config.security_driver == SECURITY_DRIVER_AUTO &&
            !strstr(label_manager_describe(s->labels), "selinux") &&
            !strstr(label_manager_describe(s->labels), "apparmor"))
                log_info("no LSM (SELinux or AppArmor) on this host: running with DAC only");
        r = label_manager_label_domain(s->labels, &s->files, &err);
        if (r < 0) {
                log_error("security: %s", err ?: strerror(-r));
                return r;
        }
        return 0;
}

/* The domain's files, each resolved once: first, because the device ACL
 * and the labels work on what is resolved here, and a file that cannot be
 * had stops the start before anything is changed. */
static int setup_files(Supervisor *s) {
        _cleanup_free_ char *err = NULL;
        int r = vm_files_collect(s->domain, s->qemu_dir, s->console_path, &s->files, &err);

        if (r < 0)
                log_error("%s: %s", s->xml_path, err ?: strerror(-r));
        return r;
}

/* QEMU's own open files, last: each file is opened once labelled, that
 * is as what QEMU will use it as (under SELinux the supervisor's domain
 * may open the VM's image context, not every type an image may carry
 * before). A mode the file cannot be had in (a writable disk on a
 * read-only mount) stops the start here, naming it. */
static int open_qemu_fds(Supervisor *s) {
        _cleanup_free_ char *err = NULL;
        int r = vm_files_prepare_qemu(&s->files, QEMU_CHILD_FIRST_FILE_FD, &err);

        if (r < 0)
                log_error("%s: %s", s->xml_path, err ?: strerror(-r));
        return r;
}

int confinement_prepare(Supervisor *s) {
        if (setup_files(s) < 0)
                return VMUNIT_EXIT_HOST;
        if (setup_cgroup(s) < 0)
                return VMUNIT_EXIT_HOST;
        if (setup_labels(s) < 0)
                return VMUNIT_EXIT_HOST;
        if (open_qemu_fds(s) < 0)
                return VMUNIT_EXIT_HOST;
        return 0;
}

void confinement_teardown(Supervisor *s) {
        if (s->labels) {
                int r = label_manager_restore_domain(s->labels);
                if (r < 0)
                        log_warning("security: restoring labels failed: %s (the cleanup step retries)",
                                    strerror(-r));
                s->labels = label_manager_free(s->labels);
        }
        /* s->files stays: supervisor_done() removes the sockets it bound
         * (through its directory fds) before it frees the table. */
        if (s->cgroup) {
                (void) vm_cgroup_destroy(s->cgroup);
                s->cgroup = vm_cgroup_free(s->cgroup);
        }
}
