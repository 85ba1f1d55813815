/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Preflight: what QEMU will need from the host besides the domain's files
 * is checked before it starts, so a missing emulator or /dev/kvm is one
 * clear line and exit 2 rather than a QEMU error buried in its output.
 * The files themselves (disks, kernel, loader, ...) are checked where
 * they are resolved, once, for good: vm_files_collect() in
 * confinement.c, with the same kind of line and exit status.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "log.h"
#include "qemu-argv.h"
#include "supervisor.h"

static int check_emulator(const Supervisor *s) {
        const char *emulator = qemu_argv_emulator(s->domain, s->config.emulator);

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

/* QEMU never opens the template (only <nvram> itself, which is in the
 * file table): a plain look is enough. */
static int check_nvram_template(const Supervisor *s) {
        const char *path = s->domain->os.nvram_template;
        struct stat st;

        if (!path)
                return 0;
        if (stat(path, &st) < 0) {
                log_error("%s: nvram template %s: %m", s->xml_path, path);
                return VMUNIT_EXIT_HOST;
        }
        if (S_ISDIR(st.st_mode)) {
                log_error("%s: nvram template %s is a directory", s->xml_path, path);
                return VMUNIT_EXIT_HOST;
        }
        return 0;
}

int host_checks_run(const Supervisor *s) {
        int r;

        r = check_emulator(s);
        if (r == 0)
                r = check_kvm(s);
        if (r == 0)
                r = check_nvram_template(s);
        return r;
}
