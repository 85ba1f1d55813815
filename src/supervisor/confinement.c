/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parent's side of confinement, in the order it must happen before
 * QEMU is forked: the VM's cgroup with its device list, then labels (DAC
 * owners and the MAC), all recorded in the label journal before they are
 * made. Teardown runs the other way. Any step that fails stops the start
 * (fail closed) with a line naming the step.
 */
#include <sys/stat.h>

#include "cgroup.h"
#include "label.h"
#include "log.h"
#include "supervisor.h"

/* The devices the VM may open: the shared cgroup_device_acl (missing
 * entries such as /dev/hpet skipped) plus its own block-device disks. */
static int allow_vm_devices(Supervisor *s) {
        const char *failed = NULL;
        int r;

        r = vm_cgroup_allow_acl(s->cgroup, s->config.cgroup_device_acl,
                                CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE, &failed);
        if (r < 0)
                return log_error_errno(r, "cgroup device ACL: cannot allow %s: %m",
                                       failed ?: "cgroup_device_acl");
        for (size_t i = 0; i < s->domain->n_disks; i++) {
                const DomainDisk *d = &s->domain->disks[i];
                unsigned access = CGROUP_DEVICE_READ;

                if (d->type != DOMAIN_DISK_TYPE_BLOCK || !d->source)
                        continue;
                if (!d->readonly)
                        access |= CGROUP_DEVICE_WRITE;
                r = vm_cgroup_allow_device(s->cgroup, d->source, access);
                if (r < 0)
                        return log_error_errno(r, "cgroup device ACL: cannot allow disk %s: %m", d->source);
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
        int r = vm_files_collect(s->domain, s->run_dir, NULL, &s->files, &err);

        if (r < 0) {
                log_error("security: %s", err ?: strerror(-r));
                return r;
        }
        r = label_manager_new(&p, &s->labels, &err);

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

int confinement_prepare(Supervisor *s) {
        if (setup_cgroup(s) < 0)
                return VMUNIT_EXIT_HOST;
        if (setup_labels(s) < 0)
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
        vm_files_done(&s->files);
        if (s->cgroup) {
                (void) vm_cgroup_destroy(s->cgroup);
                s->cgroup = vm_cgroup_free(s->cgroup);
        }
}
