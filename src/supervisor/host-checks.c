/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Preflight: everything QEMU will need from the host is checked before it
 * starts, so a missing disk or emulator is one clear line and exit 2
 * rather than a QEMU error buried in its output.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "log.h"
#include "qemu-argv.h"
#include "supervisor.h"

static int check_emulator(const Supervisor *s) {
        const char *emulator = s->domain->emulator ?: s->config.emulator ?: QEMU_DEFAULT_EMULATOR;

        if (access(emulator, X_OK) < 0) {
                log_error("%s: emulator %s is not usable: %m", s->xml_path, emulator);
                return VMUNIT_EXIT_HOST;
        }
        return 0;
}

/* type='kvm' means KVM. A silent fallback to TCG would run the guest
 * tens of times slower than the admin asked for, so refuse instead. */
static int check_kvm(const Supervisor *s) {
        _cleanup_close_ int fd = -EBADF;
        int version;

        if (s->domain->virt_type != DOMAIN_VIRT_KVM)
                return 0;
        fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                log_error("%s: domain type 'kvm' needs /dev/kvm: %m (use type='qemu' for emulation)",
                          s->xml_path);
                return VMUNIT_EXIT_HOST;
        }
        version = ioctl(fd, KVM_GET_API_VERSION, 0);
        if (version != KVM_API_VERSION) {
                log_error("%s: domain type 'kvm' needs a usable /dev/kvm, but it reports API version %d",
                          s->xml_path, version);
                return VMUNIT_EXIT_HOST;
        }
        return 0;
}

static int check_path(const Supervisor *s, const char *what, const char *path, bool want_block) {
        struct stat st;

        if (!path)
                return 0;
        if (stat(path, &st) < 0) {
                log_error("%s: %s %s: %m", s->xml_path, what, path);
                return VMUNIT_EXIT_HOST;
        }
        if (want_block && !S_ISBLK(st.st_mode)) {
                log_error("%s: %s %s is not a block device", s->xml_path, what, path);
                return VMUNIT_EXIT_HOST;
        }
        if (!want_block && S_ISDIR(st.st_mode)) {
                log_error("%s: %s %s is a directory", s->xml_path, what, path);
                return VMUNIT_EXIT_HOST;
        }
        return 0;
}

static int check_disks(const Supervisor *s) {
        for (size_t i = 0; i < s->domain->n_disks; i++) {
                const DomainDisk *d = &s->domain->disks[i];
                int r = check_path(s, "disk", d->source, d->type == DOMAIN_DISK_TYPE_BLOCK);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int check_boot_files(const Supervisor *s) {
        const DomainOs *os = &s->domain->os;
        int r;

        r = check_path(s, "kernel", os->kernel, false);
        if (r == 0)
                r = check_path(s, "initrd", os->initrd, false);
        if (r == 0)
                r = check_path(s, "loader", os->loader, false);
        if (r == 0)
                r = check_path(s, "nvram template", os->nvram_template, false);
        return r;
}

int host_checks_run(const Supervisor *s) {
        int r;

        r = check_emulator(s);
        if (r == 0)
                r = check_kvm(s);
        if (r == 0)
                r = check_boot_files(s);
        if (r == 0)
                r = check_disks(s);
        return r;
}
