/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The label manager and the DAC backend: pure decisions (no root), the
 * manager's walk, rollback and cleanup against fake MAC backends (no
 * root), and real chown + xattr refcounts on temporary files (root only;
 * skipped otherwise).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "dac-internal.h"
#include "label-journal.h"
#include "label.h"

/* ---- fake MAC backends: the real ones are other files' business ---- */

static int fake_probe_selinux, fake_probe_apparmor;
static const char *fake_fail_path;
static char fake_log[8192];

_printf_(1, 2) static void fake_logf(const char *fmt, ...) {
        size_t n = strlen(fake_log);
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(fake_log + n, sizeof(fake_log) - n, fmt, ap);
        va_end(ap);
}

static int fake_probe_se(const LabelContext *c) {
        return fake_probe_selinux;
}

static int fake_probe_aa(const LabelContext *c) {
        return fake_probe_apparmor;
}

static int fake_generate(LabelContext *c) {
        fake_logf("generate;");
        return 0;
}

static int fake_label_path(LabelContext *c, const char *path, LabelPathKind kind) {
        if (fake_fail_path && streq(path, fake_fail_path))
                return -EACCES;
        fake_logf("label %d %s;", (int) kind, path);
        return 0;
}

static int fake_restore_path(LabelContext *c, const char *path) {
        fake_logf("restore %s;", path);
        return 0;
}

static int fake_exec(LabelContext *c) {
        fake_logf("exec;");
        return 0;
}

static int fake_release(LabelContext *c) {
        fake_logf("release;");
        return 0;
}

static int fake_undo(const struct LabelRecord *rec) {
        fake_logf("undo %s %s %s %s;", rec->backend, rec->op, rec->path, rec->value);
        return 0;
}

const LabelBackend label_backend_selinux = {
        .name = "selinux",
        .probe = fake_probe_se,
        .generate = fake_generate,
        .label_path = fake_label_path,
        .restore_path = fake_restore_path,
        .set_exec_label = fake_exec,
        .release = fake_release,
        .undo_record = fake_undo,
};

const LabelBackend label_backend_apparmor = {
        .name = "apparmor",
        .probe = fake_probe_aa,
        .generate = fake_generate,
        .label_path = fake_label_path,
        .restore_path = fake_restore_path,
        .set_exec_label = fake_exec,
        .release = fake_release,
        .undo_record = fake_undo,
};

/* ---- fixtures ---- */

static char root[] = "/var/tmp/test-label-dac.XXXXXX";
static VmunitPaths paths;
static VmunitConfig config;

static void setup(void) {
        fake_probe_selinux = fake_probe_apparmor = 0;
        fake_fail_path = NULL;
        fake_log[0] = '\0';
        /* /var/tmp: on a disk file system, where trusted xattrs work. */
        cr_assert_not_null(mkdtemp(root));
        cr_assert_eq(paths_init(&paths, root, NULL), 0);
        cr_assert_eq(config_init_defaults(&config), 0);
}

static void teardown(void) {
        char cmd[256];

        paths_done(&paths);
        config_done(&config);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        (void) system(cmd);
}

TestSuite(label, .init = setup, .fini = teardown);

static char *strdup_checked(const char *s) {
        char *p = strdup(s);

        cr_assert_not_null(p);
        return p;
}

static Domain *domain_new_test(void) {
        Domain *d = calloc(1, sizeof(*d));

        cr_assert_not_null(d);
        d->name = strdup_checked("t");
        return d;
}

static void add_disk(Domain *d, const char *source, DomainDiskDevice device, bool ro, bool shared) {
        DomainDisk *disks = reallocarray(d->disks, d->n_disks + 1, sizeof(*disks));

        cr_assert_not_null(disks);
        d->disks = disks;
        d->disks[d->n_disks++] = (DomainDisk){ .device = device,
                                               .source = source ? strdup_checked(source) : NULL,
                                               .target_dev = strdup_checked("vda"),
                                               .readonly = ro,
                                               .shareable = shared };
}

static void add_char(Domain *d, DomainCharType type, const char *path) {
        DomainChar *chars = reallocarray(d->chars, d->n_chars + 1, sizeof(*chars));

        cr_assert_not_null(chars);
        d->chars = chars;
        d->chars[d->n_chars++] =
                (DomainChar){ .type = type, .path = strdup_checked(path), .target_port = -1 };
}

static LabelManager *manager_new(const Domain *d, const char *name, uid_t uid, gid_t gid) {
        LabelManagerParams p = { .domain = d,
                                 .config = &config,
                                 .paths = &paths,
                                 .name = name,
                                 .run_dir = NULL,
                                 .qemu_uid = uid,
                                 .qemu_gid = gid };
        _cleanup_free_ char *err = NULL;
        LabelManager *m = NULL;
        int r = label_manager_new(&p, &m, &err);

        cr_assert_eq(r, 0, "label_manager_new: %s", err ?: strerror(-r));
        return m;
}

static bool journal_exists(const char *name) {
        char p[512];

        snprintf(p, sizeof(p), "%s/%s.journal", paths.labels_dir, name);
        return access(p, F_OK) == 0;
}

/* ---- pure: xattr and record values ---- */

Test(label, owner_value_round_trip) {
        DacOwner o = { .uid = 0, .gid = 100, .mode = 04640, .refcount = 3 }, p;
        char buf[128];

        strcpy(o.boot_id, "0b3c1f2e-aaaa-bbbb-cccc-0123456789ab");
        cr_assert_eq(dac_owner_format(&o, buf, sizeof(buf)), 0);
        cr_assert_str_eq(buf, "0:100:4640:3:0b3c1f2e-aaaa-bbbb-cccc-0123456789ab");
        cr_assert_eq(dac_owner_parse(buf, &p), 0);
        cr_assert_eq(p.uid, 0);
        cr_assert_eq(p.gid, 100);
        cr_assert_eq(p.mode, 04640);
        cr_assert_eq(p.refcount, 3);
        cr_assert_str_eq(p.boot_id, o.boot_id);
        cr_assert_eq(dac_owner_format(&o, buf, 10), -ENOBUFS);
}

Test(label, owner_value_rejects_junk) {
        static const char *const bad[] = {
                "",
                "0:0:644:1",
                "0:0:644:0:b",
                "x:0:644:1:b",
                "0:0:9999:1:b",
                "0:0:644:1:b:extra",
                "-1:0:644:1:b",
                "0:0:17777:1:b",
                "0::644:1:b",
                "4294967295:0:644:1:b",
        };
        DacOwner o;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                cr_assert_eq(dac_owner_parse(bad[i], &o), -EBADMSG, "accepted '%s'", bad[i]);
}

Test(label, record_value_round_trip) {
        DacRecord r = { .remembered = true,
                        .orig_uid = 0,
                        .orig_gid = 0,
                        .orig_mode = 0640,
                        .target_uid = 107,
                        .target_gid = (gid_t) -1 },
                  p;
        char buf[128];

        cr_assert_eq(dac_record_format(&r, buf, sizeof(buf)), 0);
        cr_assert_str_eq(buf, "xattr:0:0:640:107:4294967295");
        cr_assert_eq(dac_record_parse(buf, &p), 0);
        cr_assert(p.remembered);
        cr_assert_eq(p.orig_mode, 0640);
        cr_assert_eq(p.target_uid, 107);
        cr_assert_eq(p.target_gid, (gid_t) -1);
        cr_assert_eq(dac_record_parse("plain:0:0:640:107:107", &p), 0);
        cr_assert_not(p.remembered);
        cr_assert_eq(dac_record_parse("other:0:0:640:107:107", &p), -EBADMSG);
        cr_assert_eq(dac_record_parse("plain:0:0:640:107", &p), -EBADMSG);
}

/* ---- pure: the plan ---- */

static struct stat st_of(mode_t mode, uid_t uid, gid_t gid) {
        return (struct stat){ .st_mode = mode, .st_uid = uid, .st_gid = gid };
}

Test(label, plan_by_type_and_kind) {
        struct stat st;
        bool change;

        st = st_of(S_IFREG | 0600, 0, 0);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_IMAGE_RW, &change), 0);
        cr_assert(change);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_IMAGE_RO, &change), 0);
        cr_assert(change, "read-only images are chowned too, like libvirt");
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_RUNTIME_DIR, &change), -ENOTDIR);

        st = st_of(S_IFBLK | 0660, 0, 6);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_IMAGE_SHARED, &change), 0);
        cr_assert(change);

        st = st_of(S_IFDIR | 0755, 0, 0);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_IMAGE_RW, &change), -EISDIR);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_NVRAM, &change), -EISDIR);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_RUNTIME_DIR, &change), 0);
        cr_assert(change);

        st = st_of(S_IFIFO | 0600, 0, 0);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_IMAGE_RW, &change), -EINVAL);
        st = st_of(S_IFCHR | 0666, 0, 0);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_IMAGE_RW, &change), -EINVAL);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_LOG, &change), 0);
        cr_assert_not(change, "a shared char device (/dev/null) is never taken over");

        st = st_of(S_IFSOCK | 0755, 0, 0);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_SOCKET, &change), 0);
        cr_assert(change);
}

Test(label, plan_leaves_world_readable_boot_files) {
        struct stat st = st_of(S_IFREG | 0644, 0, 0);
        bool change;

        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_BOOT, &change), 0);
        cr_assert_not(change);
        st = st_of(S_IFREG | 0600, 0, 0);
        cr_assert_eq(dac_plan_compute(&st, LABEL_PATH_BOOT, &change), 0);
        cr_assert(change);
}

/* ---- pure: the reference count ---- */

Test(label, remember_first_user) {
        struct stat st = st_of(S_IFREG | 0640, 0, 0);
        DacOwner next;

        cr_assert_eq(dac_remember_decide(NULL, &st, 107, 107, "B", &next), DAC_REMEMBER_FIRST);
        cr_assert_eq(next.uid, 0);
        cr_assert_eq(next.gid, 0);
        cr_assert_eq(next.mode, 0640);
        cr_assert_eq(next.refcount, 1);
        cr_assert_str_eq(next.boot_id, "B");
}

Test(label, remember_already_qemus_is_nothing) {
        struct stat st = st_of(S_IFREG | 0640, 107, 107);
        DacOwner next;

        cr_assert_eq(dac_remember_decide(NULL, &st, 107, 107, "B", &next), DAC_REMEMBER_NOTHING);
        /* gid -1: the group is not ours to set, only the uid counts. */
        st.st_gid = 5;
        cr_assert_eq(dac_remember_decide(NULL, &st, 107, (gid_t) -1, "B", &next), DAC_REMEMBER_NOTHING);
}

Test(label, remember_second_user_shares) {
        struct stat st = st_of(S_IFREG | 0640, 107, 107);
        DacOwner cur = { .uid = 0, .gid = 0, .mode = 0644, .refcount = 1, .boot_id = "B" }, next;

        cr_assert_eq(dac_remember_decide(&cur, &st, 107, 107, "B", &next), DAC_REMEMBER_SHARE);
        cr_assert_eq(next.refcount, 2);
        cr_assert_eq(next.uid, 0);
        cr_assert_eq(next.mode, 0644);
}

Test(label, remember_conflicting_owner_is_busy) {
        struct stat st = st_of(S_IFREG | 0640, 108, 108);
        DacOwner cur = { .uid = 0, .gid = 0, .mode = 0644, .refcount = 1, .boot_id = "B" }, next;

        cr_assert_eq(dac_remember_decide(&cur, &st, 107, 107, "B", &next), -EBUSY);
}

Test(label, remember_stale_boot) {
        struct stat st = st_of(S_IFREG | 0640, 107, 107);
        DacOwner cur = { .uid = 0, .gid = 0, .mode = 0644, .refcount = 5, .boot_id = "OLD" }, next;

        /* Still QEMU's from a boot that ended without a restore: the old
         * value knows the real owner; the count starts over. */
        cr_assert_eq(dac_remember_decide(&cur, &st, 107, 107, "NEW", &next), DAC_REMEMBER_FIRST);
        cr_assert_eq(next.uid, 0);
        cr_assert_eq(next.mode, 0644);
        cr_assert_eq(next.refcount, 1);
        cr_assert_str_eq(next.boot_id, "NEW");
        /* Someone chowned it since: the file's status is the original. */
        st = st_of(S_IFREG | 0600, 1000, 1000);
        cr_assert_eq(dac_remember_decide(&cur, &st, 107, 107, "NEW", &next), DAC_REMEMBER_FIRST);
        cr_assert_eq(next.uid, 1000);
        cr_assert_eq(next.mode, 0600);
}

/* ---- the manager, with fake MAC backends (no root needed) ---- */

Test(label, backend_choice) {
        _cleanup_domain_ Domain *d = domain_new_test();
        _cleanup_free_ char *err = NULL;
        LabelManagerParams p = { .domain = d,
                                 .config = &config,
                                 .paths = &paths,
                                 .name = "vm",
                                 .qemu_uid = (uid_t) -1,
                                 .qemu_gid = (gid_t) -1 };
        LabelManager *m = NULL;

        config.security_driver = SECURITY_DRIVER_AUTO;
        cr_assert_eq(label_manager_new(&p, &m, &err), 0);
        cr_assert_str_eq(label_manager_describe(m), "none");
        m = label_manager_free(m);

        fake_probe_apparmor = 1;
        cr_assert_eq(label_manager_new(&p, &m, &err), 0);
        cr_assert_str_eq(label_manager_describe(m), "apparmor");
        m = label_manager_free(m);

        fake_probe_selinux = 1;
        cr_assert_eq(label_manager_new(&p, &m, &err), 0);
        cr_assert_str_eq(label_manager_describe(m), "selinux", "auto prefers SELinux");
        m = label_manager_free(m);

        config.security_driver = SECURITY_DRIVER_NONE;
        cr_assert_eq(label_manager_new(&p, &m, &err), 0);
        cr_assert_str_eq(label_manager_describe(m), "none");
        m = label_manager_free(m);
}

Test(label, required_mac_missing_fails_closed) {
        _cleanup_domain_ Domain *d = domain_new_test();
        _cleanup_free_ char *err = NULL;
        LabelManagerParams p = { .domain = d,
                                 .config = &config,
                                 .paths = &paths,
                                 .name = "vm",
                                 .qemu_uid = (uid_t) -1,
                                 .qemu_gid = (gid_t) -1 };
        LabelManager *m = NULL;

        config.security_driver = SECURITY_DRIVER_APPARMOR;
        fake_probe_selinux = 1;
        cr_assert_eq(label_manager_new(&p, &m, &err), -EOPNOTSUPP);
        cr_assert_null(m);
        cr_assert_not_null(strstr(err, "apparmor is not enabled"), "%s", err);

        free(err);
        err = NULL;
        fake_probe_selinux = -EIO;
        config.security_driver = SECURITY_DRIVER_AUTO;
        cr_assert_eq(label_manager_new(&p, &m, &err), -EIO);
        cr_assert_not_null(strstr(err, "selinux is enabled but cannot be used here"), "%s", err);
}

Test(label, dac_only_as_root_with_dynamic_ownership) {
        _cleanup_domain_ Domain *d = domain_new_test();
        LabelManager *m;

        config.security_driver = SECURITY_DRIVER_NONE;
        m = manager_new(d, "vm", 107, 107);
        cr_assert_str_eq(label_manager_describe(m), geteuid() == 0 ? "dac" : "none");
        label_manager_free(m);
        config.dynamic_ownership = false;
        m = manager_new(d, "vm", 107, 107);
        cr_assert_str_eq(label_manager_describe(m), "none");
        label_manager_free(m);
        if (geteuid() == 0) {
                config.dynamic_ownership = true;
                fake_probe_apparmor = 1;
                config.security_driver = SECURITY_DRIVER_AUTO;
                m = manager_new(d, "vm", 107, 107);
                cr_assert_str_eq(label_manager_describe(m), "dac+apparmor");
                label_manager_free(m);
        }
}

static Domain *domain_full(void) {
        Domain *d = domain_new_test();

        add_disk(d, "/img/rw.qcow2", DOMAIN_DISK_DEVICE_DISK, false, false);
        add_disk(d, "/img/ro.iso", DOMAIN_DISK_DEVICE_DISK, true, false);
        add_disk(d, "/img/shared.raw", DOMAIN_DISK_DEVICE_DISK, false, true);
        add_disk(d, "/img/cd.iso", DOMAIN_DISK_DEVICE_CDROM, false, false);
        add_disk(d, NULL, DOMAIN_DISK_DEVICE_CDROM, false, false); /* empty tray */
        add_disk(d, "/img/ro-shared.raw", DOMAIN_DISK_DEVICE_DISK, true, true);
        d->os.kernel = strdup_checked("/boot/vmlinuz");
        d->os.initrd = strdup_checked("/boot/initrd");
        d->os.loader = strdup_checked("/fw/OVMF_CODE.fd");
        d->os.nvram = strdup_checked("/lib/vm/VARS.fd");
        add_char(d, DOMAIN_CHAR_FILE, "/log/serial.log");
        add_char(d, DOMAIN_CHAR_UNIX, "/run/s.sock");
        add_char(d, DOMAIN_CHAR_PTY, "/dev/pts/9"); /* not a file QEMU opens by path */
        d->graphics = calloc(1, sizeof(DomainGraphics));
        cr_assert_not_null(d->graphics);
        d->n_graphics = 1;
        d->graphics[0].socket = strdup_checked("/run/vnc.sock");
        return d;
}

static LabelManager *manager_with_run_dir(const Domain *d, const char *name, const char *run_dir) {
        LabelManagerParams p = { .domain = d,
                                 .config = &config,
                                 .paths = &paths,
                                 .name = name,
                                 .run_dir = run_dir,
                                 .qemu_uid = (uid_t) -1,
                                 .qemu_gid = (gid_t) -1 };
        _cleanup_free_ char *err = NULL;
        LabelManager *m = NULL;

        cr_assert_eq(label_manager_new(&p, &m, &err), 0, "%s", err);
        return m;
}

Test(label, walk_labels_every_path_by_kind_then_restores_in_reverse) {
        _cleanup_domain_ Domain *d = domain_full();
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_free_ char *err = NULL;

        config.security_driver = SECURITY_DRIVER_APPARMOR;
        fake_probe_apparmor = 1;
        m = manager_with_run_dir(d, "vm", "/run/vmunit/vm");
        cr_assert_eq(label_manager_label_domain(m, &err), 0, "%s", err);
        cr_assert_str_eq(fake_log, "generate;"
                                   "label 3 /boot/vmlinuz;label 3 /boot/initrd;label 3 /fw/OVMF_CODE.fd;"
                                   "label 4 /lib/vm/VARS.fd;"
                                   "label 0 /img/rw.qcow2;label 2 /img/ro.iso;label 1 /img/shared.raw;"
                                   "label 2 /img/cd.iso;label 2 /img/ro-shared.raw;"
                                   "label 6 /log/serial.log;label 5 /run/s.sock;label 5 /run/vnc.sock;"
                                   "label 7 /run/vmunit/vm;");

        fake_log[0] = '\0';
        cr_assert_eq(label_manager_set_exec_label(m), 0);
        cr_assert_str_eq(fake_log, "exec;");

        fake_log[0] = '\0';
        cr_assert_eq(label_manager_restore_domain(m), 0);
        cr_assert_str_eq(fake_log, "restore /run/vmunit/vm;restore /run/vnc.sock;restore /run/s.sock;"
                                   "restore /log/serial.log;restore /img/ro-shared.raw;restore /img/cd.iso;"
                                   "restore /img/shared.raw;restore /img/ro.iso;restore /img/rw.qcow2;"
                                   "restore /lib/vm/VARS.fd;restore /fw/OVMF_CODE.fd;restore /boot/initrd;"
                                   "restore /boot/vmlinuz;release;");
        cr_assert_not(journal_exists("vm"));
}

Test(label, failure_restores_what_was_done_and_names_the_step) {
        _cleanup_domain_ Domain *d = domain_new_test();
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_free_ char *err = NULL;

        add_disk(d, "/img/a", DOMAIN_DISK_DEVICE_DISK, false, false);
        add_disk(d, "/img/b", DOMAIN_DISK_DEVICE_DISK, true, false);
        add_disk(d, "/img/c", DOMAIN_DISK_DEVICE_DISK, false, false);
        config.security_driver = SECURITY_DRIVER_SELINUX;
        fake_probe_selinux = 1;
        fake_fail_path = "/img/c";
        m = manager_with_run_dir(d, "vm", NULL);
        cr_assert_eq(label_manager_label_domain(m, &err), -EACCES);
        cr_assert_str_eq(err, "selinux: cannot label disk image /img/c: Permission denied");
        cr_assert_str_eq(fake_log, "generate;label 0 /img/a;label 2 /img/b;"
                                   "restore /img/b;restore /img/a;release;");
        cr_assert_not(journal_exists("vm"));
}

Test(label, hotplug_label_and_restore_disk) {
        _cleanup_domain_ Domain *d = domain_new_test();
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_free_ char *err = NULL;
        DomainDisk hot = { .source = (char *) "/img/hot", .shareable = true };

        config.security_driver = SECURITY_DRIVER_APPARMOR;
        fake_probe_apparmor = 1;
        m = manager_with_run_dir(d, "vm", NULL);
        cr_assert_eq(label_manager_label_disk(m, &hot, &err), -ESTALE, "before label_domain");
        cr_assert_eq(label_manager_label_domain(m, &err), 0);
        cr_assert_eq(label_manager_label_disk(m, &hot, &err), 0);
        cr_assert_eq(label_manager_restore_disk(m, &hot), 0);
        cr_assert_eq(label_manager_restore_disk(m, &hot), -ENOENT);
        cr_assert_str_eq(fake_log, "generate;label 1 /img/hot;restore /img/hot;");
        fake_fail_path = "/img/hot";
        cr_assert_eq(label_manager_label_disk(m, &hot, &err), -EACCES);
        cr_assert_eq(label_manager_restore_domain(m), 0);
        cr_assert_str_eq(fake_log, "generate;label 1 /img/hot;restore /img/hot;release;");
}

Test(label, cleanup_dispatches_live_records_by_backend) {
        LabelJournal *j = NULL;

        cr_assert_eq(label_journal_open(paths.labels_dir, "vm", &j), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "selinux", "mcs", "", "c1,c2" }), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "apparmor", "profile", "", "vmunit-x" }), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "selinux", "setfilecon", "/a b", "u:r:t:s0" }),
                     0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "selinux", "setfilecon", "/c", "u:r:t:s0" }),
                     0);
        cr_assert_eq(label_journal_record(
                             j, &(LabelRecord){ "selinux", LABEL_JOURNAL_OP_UNDONE, "/c", "setfilecon" }),
                     0);
        label_journal_free(j);
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm"), 0);
        cr_assert_str_eq(fake_log, "undo selinux setfilecon /a b u:r:t:s0;"
                                   "undo apparmor profile  vmunit-x;undo selinux mcs  c1,c2;");
        cr_assert_not(journal_exists("vm"));
        /* Nothing left: a second run is a no-op. */
        fake_log[0] = '\0';
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm"), 0);
        cr_assert_str_eq(fake_log, "");
}

Test(label, cleanup_keeps_journal_when_a_record_cannot_be_undone) {
        LabelJournal *j = NULL;

        cr_assert_eq(label_journal_open(paths.labels_dir, "vm", &j), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "selinux", "mcs", "", "c1,c2" }), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "martian", "x", "/y", "z" }), 0);
        label_journal_free(j);
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm"), -EBADMSG);
        cr_assert(journal_exists("vm"));
        /* The retry does not undo the MCS pair a second time. */
        fake_log[0] = '\0';
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm"), -EBADMSG);
        cr_assert_str_eq(fake_log, "");
}

/* ---- DAC for real: chown and trusted xattrs need root ---- */

#define QEMU_UID 4242
#define QEMU_GID 4343

static void skip_unless_root(void) {
        if (geteuid() == 0)
                return;
        teardown(); /* a skipped test does not run .fini */
        cr_skip_test("needs root (chown, trusted.* xattrs)");
}

static char *make_file(const char *name, mode_t mode) {
        char *p = NULL;
        int fd;

        cr_assert_geq(asprintf(&p, "%s/%s", root, name), 0);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        cr_assert_geq(fd, 0, "%s: %m", p);
        cr_assert_eq(fchmod(fd, mode), 0);
        close(fd);
        return p;
}

static void assert_owner(const char *path, uid_t uid, gid_t gid, mode_t mode) {
        struct stat st;

        cr_assert_eq(lstat(path, &st), 0, "%s: %m", path);
        cr_assert_eq(st.st_uid, uid, "%s: uid %u, want %u", path, (unsigned) st.st_uid, (unsigned) uid);
        cr_assert_eq(st.st_gid, gid, "%s: gid %u, want %u", path, (unsigned) st.st_gid, (unsigned) gid);
        if (mode != (mode_t) -1)
                cr_assert_eq(st.st_mode & 07777, mode, "%s: mode %o, want %o", path,
                             (unsigned) (st.st_mode & 07777), (unsigned) mode);
}

/* The refcount in the xattr, 0 when there is none. */
static unsigned xattr_count(const char *path) {
        char buf[128];
        ssize_t n = getxattr(path, DAC_XATTR_NAME, buf, sizeof(buf) - 1);
        DacOwner o;

        if (n < 0) {
                cr_assert_eq(errno, ENODATA);
                return 0;
        }
        buf[n] = '\0';
        cr_assert_eq(dac_owner_parse(buf, &o), 0, "bad xattr '%s'", buf);
        return o.refcount;
}

static LabelManager *label_dac(const Domain *d, const char *name) {
        _cleanup_free_ char *err = NULL;
        LabelManager *m;

        config.security_driver = SECURITY_DRIVER_NONE;
        m = manager_new(d, name, QEMU_UID, QEMU_GID);
        cr_assert_str_eq(label_manager_describe(m), "dac");
        cr_assert_eq(label_manager_label_domain(m, &err), 0, "%s", err);
        return m;
}

Test(label, dac_label_and_restore) {
        _cleanup_free_ char *rw = NULL, *ro = NULL, *kernel = NULL, *initrd = NULL, *suid = NULL;
        _cleanup_domain_ Domain *d = domain_new_test();
        LabelManager *m;

        skip_unless_root();
        rw = make_file("rw.img", 0640);
        ro = make_file("ro image.iso", 0444);
        kernel = make_file("vmlinuz", 0600);
        initrd = make_file("initrd", 0644);
        suid = make_file("odd-mode.img", 02750); /* chown clears setgid: must come back */
        add_disk(d, rw, DOMAIN_DISK_DEVICE_DISK, false, false);
        add_disk(d, ro, DOMAIN_DISK_DEVICE_CDROM, false, false);
        add_disk(d, suid, DOMAIN_DISK_DEVICE_DISK, false, false);
        d->os.kernel = strdup_checked(kernel);
        d->os.initrd = strdup_checked(initrd);

        m = label_dac(d, "vm");
        assert_owner(rw, QEMU_UID, QEMU_GID, 0640);
        assert_owner(ro, QEMU_UID, QEMU_GID, 0444);
        assert_owner(kernel, QEMU_UID, QEMU_GID, 0600);
        assert_owner(initrd, 0, 0, 0644); /* world-readable boot file: left alone */
        cr_assert_eq(xattr_count(rw), 1);
        cr_assert_eq(xattr_count(initrd), 0);
        cr_assert(journal_exists("vm"));

        cr_assert_eq(label_manager_restore_domain(m), 0);
        assert_owner(rw, 0, 0, 0640);
        assert_owner(ro, 0, 0, 0444);
        assert_owner(kernel, 0, 0, 0600);
        assert_owner(suid, 0, 0, 02750);
        cr_assert_eq(xattr_count(rw), 0);
        cr_assert_eq(xattr_count(ro), 0);
        cr_assert_not(journal_exists("vm"));
        label_manager_free(m);
}

Test(label, dac_shared_readonly_image_restored_after_last_vm) {
        _cleanup_free_ char *ro = NULL;
        _cleanup_domain_ Domain *d = domain_new_test();
        LabelManager *a, *b;

        skip_unless_root();
        ro = make_file("base.img", 0644);
        add_disk(d, ro, DOMAIN_DISK_DEVICE_DISK, true, false);
        a = label_dac(d, "vm-a");
        b = label_dac(d, "vm-b");
        assert_owner(ro, QEMU_UID, QEMU_GID, 0644);
        cr_assert_eq(xattr_count(ro), 2);

        cr_assert_eq(label_manager_restore_domain(a), 0);
        assert_owner(ro, QEMU_UID, QEMU_GID, 0644);
        cr_assert_eq(xattr_count(ro), 1);
        cr_assert_eq(label_manager_restore_domain(b), 0);
        assert_owner(ro, 0, 0, 0644);
        cr_assert_eq(xattr_count(ro), 0);
        label_manager_free(a);
        label_manager_free(b);
}

Test(label, dac_cleanup_after_crash) {
        _cleanup_free_ char *img = NULL, *shared = NULL;
        _cleanup_domain_ Domain *d = domain_new_test(), *d2 = domain_new_test();
        LabelManager *m, *other;

        skip_unless_root();
        img = make_file("crash.img", 0600);
        shared = make_file("shared.img", 0644);
        add_disk(d, img, DOMAIN_DISK_DEVICE_DISK, false, false);
        add_disk(d, shared, DOMAIN_DISK_DEVICE_DISK, true, false);
        add_disk(d2, shared, DOMAIN_DISK_DEVICE_DISK, true, false);
        other = label_dac(d2, "other");
        m = label_dac(d, "vm");
        /* The supervisor dies: memory gone, labels and journal stay. */
        label_manager_free(m);
        assert_owner(img, QEMU_UID, QEMU_GID, 0600);
        cr_assert(journal_exists("vm"));

        cr_assert_eq(label_cleanup_from_journal(&paths, "vm"), 0);
        assert_owner(img, 0, 0, 0600);
        assert_owner(shared, QEMU_UID, QEMU_GID, 0644); /* "other" still runs */
        cr_assert_eq(xattr_count(shared), 1);
        cr_assert_not(journal_exists("vm"));
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm"), 0); /* idempotent */
        cr_assert_eq(xattr_count(shared), 1);

        cr_assert_eq(label_manager_restore_domain(other), 0);
        assert_owner(shared, 0, 0, 0644);
        label_manager_free(other);
}

Test(label, dac_stale_journal_is_cleaned_at_next_start) {
        _cleanup_free_ char *img = NULL;
        _cleanup_domain_ Domain *d = domain_new_test();
        LabelManager *m;

        skip_unless_root();
        img = make_file("again.img", 0600);
        add_disk(d, img, DOMAIN_DISK_DEVICE_DISK, false, false);
        label_manager_free(label_dac(d, "vm")); /* crash, no cleanup ran */
        m = label_dac(d, "vm");                 /* next start */
        cr_assert_eq(xattr_count(img), 1, "the old reference was dropped first");
        cr_assert_eq(label_manager_restore_domain(m), 0);
        assert_owner(img, 0, 0, 0600);
        cr_assert_eq(xattr_count(img), 0);
        label_manager_free(m);
}

Test(label, dac_without_remember_owner) {
        _cleanup_free_ char *img = NULL;
        _cleanup_domain_ Domain *d = domain_new_test();
        LabelManager *m;

        skip_unless_root();
        config.remember_owner = false;
        img = make_file("plain.img", 0640);
        cr_assert_eq(chown(img, 12, 34), 0);
        add_disk(d, img, DOMAIN_DISK_DEVICE_DISK, false, false);
        m = label_dac(d, "vm");
        assert_owner(img, QEMU_UID, QEMU_GID, 0640);
        cr_assert_eq(xattr_count(img), 0);
        cr_assert_eq(label_manager_restore_domain(m), 0);
        assert_owner(img, 12, 34, 0640);
        label_manager_free(m);
}

Test(label, dac_follows_symlink_once_and_leaves_the_link) {
        _cleanup_free_ char *img = NULL, *link = NULL;
        _cleanup_domain_ Domain *d = domain_new_test();
        LabelManager *m;

        skip_unless_root();
        img = make_file("target.img", 0600);
        cr_assert_geq(asprintf(&link, "%s/link.img", root), 0);
        cr_assert_eq(symlink(img, link), 0);
        add_disk(d, link, DOMAIN_DISK_DEVICE_DISK, false, false);
        m = label_dac(d, "vm");
        assert_owner(img, QEMU_UID, QEMU_GID, 0600);
        assert_owner(link, 0, 0, (mode_t) -1);
        cr_assert_eq(label_manager_restore_domain(m), 0);
        assert_owner(img, 0, 0, 0600);
        label_manager_free(m);
}

Test(label, dac_failure_restores_and_names_path) {
        _cleanup_free_ char *img = NULL, *missing = NULL, *err = NULL;
        _cleanup_domain_ Domain *d = domain_new_test();
        _cleanup_(label_manager_freep) LabelManager *m = NULL;

        skip_unless_root();
        img = make_file("ok.img", 0600);
        cr_assert_geq(asprintf(&missing, "%s/missing.img", root), 0);
        add_disk(d, img, DOMAIN_DISK_DEVICE_DISK, false, false);
        add_disk(d, missing, DOMAIN_DISK_DEVICE_DISK, false, false);
        config.security_driver = SECURITY_DRIVER_NONE;
        m = manager_new(d, "vm", QEMU_UID, QEMU_GID);
        cr_assert_eq(label_manager_label_domain(m, &err), -ENOENT);
        cr_assert_not_null(strstr(err, "dac: cannot label disk image "), "%s", err);
        cr_assert_not_null(strstr(err, "missing.img: No such file or directory"), "%s", err);
        assert_owner(img, 0, 0, 0600);
        cr_assert_eq(xattr_count(img), 0);
        cr_assert_not(journal_exists("vm"));
}

Test(label, dac_refuses_image_held_by_another_owner) {
        _cleanup_free_ char *img = NULL, *err = NULL;
        _cleanup_domain_ Domain *d = domain_new_test(), *d2 = domain_new_test();
        _cleanup_(label_manager_freep) LabelManager *m = NULL, *m2 = NULL;

        skip_unless_root();
        img = make_file("held.img", 0644);
        add_disk(d, img, DOMAIN_DISK_DEVICE_DISK, true, false);
        add_disk(d2, img, DOMAIN_DISK_DEVICE_DISK, true, false);
        m = label_dac(d, "vm-a");
        config.security_driver = SECURITY_DRIVER_NONE;
        m2 = manager_new(d2, "vm-b", QEMU_UID + 1, QEMU_GID + 1);
        cr_assert_eq(label_manager_label_domain(m2, &err), -EBUSY);
        cr_assert_eq(xattr_count(img), 1);
        cr_assert_eq(label_manager_restore_domain(m), 0);
        assert_owner(img, 0, 0, 0644);
}

Test(label, dac_runtime_dir_and_missing_socket) {
        _cleanup_free_ char *dir = NULL, *sock = NULL;
        _cleanup_domain_ Domain *d = domain_new_test();
        LabelManagerParams p = { .domain = d,
                                 .config = &config,
                                 .paths = &paths,
                                 .name = "vm",
                                 .qemu_uid = QEMU_UID,
                                 .qemu_gid = QEMU_GID };
        _cleanup_free_ char *err = NULL;
        LabelManager *m = NULL;

        skip_unless_root();
        cr_assert_geq(asprintf(&dir, "%s/rundir", root), 0);
        cr_assert_geq(asprintf(&sock, "%s/not-yet.sock", root), 0);
        cr_assert_eq(mkdir(dir, 0750), 0);
        add_char(d, DOMAIN_CHAR_UNIX, sock); /* QEMU creates it: nothing to label */
        p.run_dir = dir;
        config.security_driver = SECURITY_DRIVER_NONE;
        cr_assert_eq(label_manager_new(&p, &m, &err), 0);
        cr_assert_eq(label_manager_label_domain(m, &err), 0, "%s", err);
        assert_owner(dir, QEMU_UID, QEMU_GID, 0750);
        cr_assert_eq(label_manager_restore_domain(m), 0);
        assert_owner(dir, 0, 0, 0750);
        label_manager_free(m);
}
