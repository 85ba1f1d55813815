/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tiny driver for the label manager, standing in for the supervisor in
 * tests/integration/test-dac.sh and test-label-crash.sh:
 *
 *   label-driver run NAME ROOT UID GID SPEC...
 *       resolve the domain made of SPECs into a VmFiles table
 *       (vm_files_collect()), label it, print "labelled BACKENDS", wait
 *       for SIGTERM, restore, print "restored", exit. SIGKILL it to play
 *       a crash.
 *   label-driver cleanup NAME ROOT
 *       what ExecStopPost's `vmunit-supervisor --cleanup` does; a record
 *       left alone prints "notice: ..." on stderr.
 *
 * SPEC is KIND:PATH with KIND one of rw, ro, shared, cdrom, kernel,
 * initrd, nvram, log, sock, rundir (the runtime directory).
 * Environment: LABEL_DRIVER_MAC=selinux picks the SELinux backend (under
 * the LD_PRELOAD shim) instead of none; the VM's UUID is derived from
 * NAME, so two names are two VMs.
 */
#include <signal.h>
#include <stdio.h>

#include "config.h"
#include "domain.h"
#include "label.h"
#include "paths.h"
#include "strv.h"
#include "vm-files.h"

static int die(const char *what, int r, const char *detail) {
        fprintf(stderr, "label-driver: %s: %s\n", what, detail ?: strerror(-r));
        return 1;
}

static int add_disk(Domain *d, const char *path, DomainDiskDevice device, bool ro, bool shared) {
        DomainDisk *disks = reallocarray(d->disks, d->n_disks + 1, sizeof(*disks));

        if (!disks)
                return -ENOMEM;
        d->disks = disks;
        d->disks[d->n_disks] = (DomainDisk){ .device = device, .readonly = ro, .shareable = shared };
        d->disks[d->n_disks].source = strdup(path);
        d->n_disks++;
        return d->disks[d->n_disks - 1].source ? 0 : -ENOMEM;
}

static int add_char(Domain *d, DomainCharType type, const char *path) {
        DomainChar *chars = reallocarray(d->chars, d->n_chars + 1, sizeof(*chars));

        if (!chars)
                return -ENOMEM;
        d->chars = chars;
        d->chars[d->n_chars] = (DomainChar){ .type = type, .target_port = -1 };
        d->chars[d->n_chars].path = strdup(path);
        d->n_chars++;
        return d->chars[d->n_chars - 1].path ? 0 : -ENOMEM;
}

static int add_spec(Domain *d, const char *spec, char **run_dir) {
        const char *colon = strchr(spec, ':');
        const char *path = colon ? colon + 1 : NULL;
        size_t n = colon ? (size_t) (colon - spec) : 0;

#define KIND(s) (n == strlen(s) && strncmp(spec, s, n) == 0)
        if (!path || !*path)
                return -EINVAL;
        if (KIND("rw"))
                return add_disk(d, path, DOMAIN_DISK_DEVICE_DISK, false, false);
        if (KIND("ro"))
                return add_disk(d, path, DOMAIN_DISK_DEVICE_DISK, true, false);
        if (KIND("shared"))
                return add_disk(d, path, DOMAIN_DISK_DEVICE_DISK, false, true);
        if (KIND("cdrom"))
                return add_disk(d, path, DOMAIN_DISK_DEVICE_CDROM, false, false);
        if (KIND("kernel"))
                return free_and_strdup(&d->os.kernel, path);
        if (KIND("initrd"))
                return free_and_strdup(&d->os.initrd, path);
        if (KIND("nvram"))
                return free_and_strdup(&d->os.nvram, path);
        if (KIND("log"))
                return add_char(d, DOMAIN_CHAR_FILE, path);
        if (KIND("sock"))
                return add_char(d, DOMAIN_CHAR_UNIX, path);
        if (KIND("rundir"))
                return free_and_strdup(run_dir, path);
#undef KIND
        return -EINVAL;
}

/* A UUID per name (FNV-1a over it, twice), so two names are two VMs. */
static void uuid_from_name(const char *name, uint8_t uuid[16]) {
        uint64_t h[2] = { 14695981039346656037ULL, 1099511628211ULL };

        for (const char *p = name; *p; p++)
                for (size_t k = 0; k < 2; k++)
                        h[k] = (h[k] ^ (uint8_t) *p) * 1099511628211ULL;
        memcpy(uuid, h, 16);
        uuid[6] = (uuid[6] & 0x0f) | 0x40;
        uuid[8] = (uuid[8] & 0x3f) | 0x80;
}

static void config_donep(VmunitConfig *c) {
        config_done(c);
}

static void paths_donep(VmunitPaths *p) {
        paths_done(p);
}

/* Until SIGTERM or SIGINT (blocked by the caller). */
static void wait_for_stop(void) {
        sigset_t set;
        int sig;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        while (sigwait(&set, &sig) != 0)
                ;
}

static int run(int argc, char **argv) {
        _cleanup_domain_ Domain *d = calloc(1, sizeof(Domain));
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_free_ char *err = NULL, *run_dir = NULL;
        _cleanup_(config_donep) VmunitConfig config = {};
        _cleanup_(paths_donep) VmunitPaths paths = {};
        _cleanup_(vm_files_done) VmFiles files = {};
        const char *mac = getenv("LABEL_DRIVER_MAC");
        sigset_t set;
        int r;

        if (argc < 6)
                return die("usage", -EINVAL, "run NAME ROOT UID GID SPEC...");
        if (!d || config_init_defaults(&config) < 0 || paths_init(&paths, argv[3], NULL) < 0)
                return die("setup", -ENOMEM, NULL);
        config.security_driver =
                mac && streq(mac, "selinux") ? SECURITY_DRIVER_SELINUX : SECURITY_DRIVER_NONE;
        d->name = strdup(argv[2]);
        if (!d->name)
                return die("setup", -ENOMEM, NULL);
        uuid_from_name(argv[2], d->uuid);
        for (int i = 6; i < argc; i++)
                if (add_spec(d, argv[i], &run_dir) < 0)
                        return die("bad spec", -EINVAL, argv[i]);
        /* Block before labelling so a SIGTERM that comes early waits. */
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);

        LabelManagerParams p = { .domain = d,
                                 .config = &config,
                                 .paths = &paths,
                                 .name = argv[2],
                                 .qemu_uid = (uid_t) strtoul(argv[4], NULL, 10),
                                 .qemu_gid = (gid_t) strtoul(argv[5], NULL, 10) };
        r = vm_files_collect(d, run_dir, NULL, &files, &err);
        if (r < 0)
                return die("collect", r, err);
        r = label_manager_new(&p, &m, &err);
        if (r >= 0)
                r = label_manager_label_domain(m, &files, &err);
        if (r < 0)
                return die("label", r, err);
        printf("labelled %s\n", label_manager_describe(m));
        fflush(stdout);
        wait_for_stop();
        r = label_manager_restore_domain(m);
        if (r < 0)
                return die("restore", r, NULL);
        printf("restored\n");
        return 0;
}

static int cleanup(int argc, char **argv) {
        _cleanup_(paths_donep) VmunitPaths paths = {};
        char **notices = NULL;
        int r;

        if (argc != 4)
                return die("usage", -EINVAL, "cleanup NAME ROOT");
        if (paths_init(&paths, argv[3], NULL) < 0)
                return die("setup", -ENOMEM, NULL);
        r = label_cleanup_from_journal(&paths, argv[2], &notices);
        for (char **n = notices; n && *n; n++)
                fprintf(stderr, "notice: %s\n", *n);
        strv_free_array(notices);
        return r < 0 ? die("cleanup", r, NULL) : 0;
}

int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc >= 2 && streq(argv[1], "run"))
                return run(argc, argv);
        if (argc >= 2 && streq(argv[1], "cleanup"))
                return cleanup(argc, argv);
        return die("usage", -EINVAL, "run NAME ROOT UID GID SPEC... | cleanup NAME ROOT");
}
