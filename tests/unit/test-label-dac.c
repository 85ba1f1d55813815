/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The label manager and the DAC backend: pure decisions (no root), the
 * manager over a VmFiles table, rollback and cleanup against fake MAC
 * backends (no root), and real ACL entries and holder records on
 * temporary files (root only; skipped otherwise).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "dac-internal.h"
#include "fs-util.h"
#include "holders.h"
#include "label-journal.h"
#include "label.h"
#include "strv.h"

/* ---- fake MAC backends: the real ones are other files' business ---- */

static int fake_probe_selinux, fake_probe_apparmor;
static const char *fake_fail_name;
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

static const char *base(const char *p) {
        return strrchr(p, '/') + 1;
}

static int fake_label_file(LabelContext *c, const VmFile *f) {
        if (fake_fail_name && streq(base(f->path), fake_fail_name))
                return -EACCES;
        fake_logf("label %d %s;", (int) f->kind, base(f->path));
        return 0;
}

/* Restore works on the manager's own fd: still open, still the inode. */
static int fake_restore_file(LabelContext *c, const VmFile *f) {
        struct stat st;

        cr_assert_eq(fstat(f->fd, &st), 0, "restore got a closed fd");
        cr_assert(stat_same_inode(&st, &f->st));
        fake_logf("restore %s;", base(f->path));
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

static int fake_undo(const char *labels_dir, const struct LabelRecord *rec, char **ret_notice) {
        fake_logf("undo %s %s %s %s;", rec->backend, rec->op, rec->path, rec->value);
        if (streq(rec->value, "notice"))
                *ret_notice = strdup("left alone");
        return 0;
}

const LabelBackend label_backend_selinux = {
        .name = "selinux",
        .probe = fake_probe_se,
        .generate = fake_generate,
        .label_file = fake_label_file,
        .restore_file = fake_restore_file,
        .set_exec_label = fake_exec,
        .release = fake_release,
        .undo_record = fake_undo,
};

const LabelBackend label_backend_apparmor = {
        .name = "apparmor",
        .probe = fake_probe_aa,
        .generate = fake_generate,
        .label_file = fake_label_file,
        .restore_file = fake_restore_file,
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
        fake_fail_name = NULL;
        fake_log[0] = '\0';
        /* /var/tmp: on a disk file system, where trusted xattrs and ACLs work. */
        strcpy(root, "/var/tmp/test-label-dac.XXXXXX");
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

static Domain *domain_new_test(const char *uuid) {
        Domain *d = calloc(1, sizeof(*d));

        cr_assert_not_null(d);
        d->name = strdup("t");
        cr_assert_not_null(d->name);
        if (uuid)
                for (size_t i = 0, k = 0; uuid[k] && i < 16; k++) {
                        if (uuid[k] == '-')
                                continue;
                        d->uuid[i++] = (uint8_t) (unhexchar(uuid[k]) << 4 | unhexchar(uuid[k + 1]));
                        k++;
                }
        return d;
}

static LabelManager *manager_new(const Domain *d, const char *name, uid_t uid, gid_t gid) {
        LabelManagerParams p = { .domain = d,
                                 .config = &config,
                                 .paths = &paths,
                                 .name = name,
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

/* Add path (created with mode when missing) to files as kind/delivery. */
static void add_file(VmFiles *files, const char *name, mode_t mode, VmFileKind kind,
                     VmFileDelivery delivery) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        _cleanup_free_ char *p = NULL;

        cr_assert_geq(asprintf(&p, "%s/%s", root, name), 0);
        if (access(p, F_OK) < 0)
                free(make_file(name, mode));
        cr_assert_eq(vm_file_resolve(p, kind, delivery, O_RDONLY, &f), 0, "%s", p);
        cr_assert_eq(vm_files_add(files, &f), 0);
}

/* ---- pure: what QEMU's uid needs ---- */

static VmFile file_of(VmFileKind kind, VmFileDelivery delivery, mode_t mode) {
        VmFile f = VM_FILE_NULL;

        f.kind = kind;
        f.delivery = delivery;
        f.st.st_mode = mode;
        return f;
}

Test(label, needed_perms_by_delivery_and_kind) {
        VmFile f;

        /* Handed over as fds: QEMU's uid needs nothing on the file. */
        f = file_of(VM_FILE_IMAGE_RW, VM_FILE_BY_FDSET, S_IFREG | 0600);
        cr_assert_eq(dac_needed_perms(&f), 0);
        f = file_of(VM_FILE_IMAGE_RO, VM_FILE_BY_FDSET, S_IFREG | 0644);
        cr_assert_eq(dac_needed_perms(&f), 0, "a read-only disk is never opened up");
        f = file_of(VM_FILE_NVRAM, VM_FILE_BY_FDSET, S_IFREG | 0600);
        cr_assert_eq(dac_needed_perms(&f), 0);
        f = file_of(VM_FILE_LOG, VM_FILE_BY_FDSET, S_IFREG | 0600);
        cr_assert_eq(dac_needed_perms(&f), 0);
        f = file_of(VM_FILE_IMAGE_SHARED, VM_FILE_BY_FDSET, S_IFBLK | 0660);
        cr_assert_eq(dac_needed_perms(&f), 0);
        /* A socket the supervisor bound, QEMU listening on its fd=N: st is
         * the socket node, fd its directory (vm_file_bind_socket()). */
        f = file_of(VM_FILE_SOCKET, VM_FILE_BY_FD, S_IFSOCK | 0755);
        f.parent_only = true;
        cr_assert_eq(dac_needed_perms(&f), 0);
        /* Reopened by QEMU through /proc/self/fd/N: read. */
        f = file_of(VM_FILE_BOOT, VM_FILE_BY_PROC_FD, S_IFREG | 0600);
        cr_assert_eq(dac_needed_perms(&f), ACL_XATTR_READ);
        /* Opened by path: a socket to connect to, the runtime dir. */
        f = file_of(VM_FILE_SOCKET, VM_FILE_BY_PATH, S_IFSOCK | 0600);
        cr_assert_eq(dac_needed_perms(&f), ACL_XATTR_READ | ACL_XATTR_WRITE);
        f = file_of(VM_FILE_RUNTIME_DIR, VM_FILE_BY_PATH, S_IFDIR | 0700);
        cr_assert_eq(dac_needed_perms(&f), ACL_XATTR_READ | ACL_XATTR_WRITE | ACL_XATTR_EXECUTE);
        /* A socket QEMU will create: its directory is not ours to open. */
        f = file_of(VM_FILE_SOCKET, VM_FILE_BY_PATH, S_IFDIR | 0755);
        f.parent_only = true;
        cr_assert_eq(dac_needed_perms(&f), 0);
}

Test(label, needed_perms_refuses_wrong_types) {
        VmFile f;

        f = file_of(VM_FILE_BOOT, VM_FILE_BY_PROC_FD, S_IFDIR | 0755);
        cr_assert_eq(dac_needed_perms(&f), -EISDIR);
        f = file_of(VM_FILE_RUNTIME_DIR, VM_FILE_BY_PATH, S_IFREG | 0600);
        cr_assert_eq(dac_needed_perms(&f), -ENOTDIR);
        f = file_of(VM_FILE_BOOT, VM_FILE_BY_PROC_FD, S_IFIFO | 0600);
        cr_assert_eq(dac_needed_perms(&f), -EINVAL);
        f = file_of(VM_FILE_SOCKET, VM_FILE_BY_PATH, S_IFREG | 0600);
        cr_assert_eq(dac_needed_perms(&f), -EINVAL);
        f = file_of(VM_FILE_LOG, VM_FILE_BY_PATH, S_IFCHR | 0666);
        cr_assert_eq(dac_needed_perms(&f), 0, "a shared char device (/dev/null) is never opened up");
}

Test(label, world_readable_boot_files_need_nothing) {
        DacOriginal o = { .mode = 0644 };

        cr_assert_eq(dac_has_access(&o, 0, 0, 4242, 4343, ACL_XATTR_READ), 1);
        o.mode = 0640;
        cr_assert_eq(dac_has_access(&o, 0, 4343, 4242, 4343, ACL_XATTR_READ), 1, "QEMU's group may read");
        cr_assert_eq(dac_has_access(&o, 0, 0, 4242, 4343, ACL_XATTR_READ), 0);
        o.mode = 0600;
        cr_assert_eq(dac_has_access(&o, 4242, 0, 4242, 4343, ACL_XATTR_READ), 1, "QEMU's own file");
        cr_assert_eq(dac_has_access(&o, 0, 0, 4242, 4343, ACL_XATTR_READ), 0);
}

Test(label, original_round_trip) {
        static const unsigned char acl[] = { 2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff };
        _cleanup_(dac_original_done) DacOriginal p = {}, q = {};
        _cleanup_free_ char *s = NULL, *t = NULL;
        DacOriginal o = { .mode = 02750 };

        cr_assert_eq(dac_original_format(&o, &s), 0);
        cr_assert_str_eq(s, "2750:none");
        cr_assert_eq(dac_original_parse(s, &p), 0);
        cr_assert_eq(p.mode, 02750);
        cr_assert_null(p.acl);
        o = (DacOriginal){ .mode = 0640, .acl = (void *) acl, .acl_size = sizeof(acl) };
        cr_assert_eq(dac_original_format(&o, &t), 0);
        cr_assert_str_eq(t, "0640:020000000100060"
                            "0ffffffff");
        cr_assert_eq(dac_original_parse(t, &q), 0);
        cr_assert_eq(q.acl_size, sizeof(acl));
        cr_assert_eq(memcmp(q.acl, acl, sizeof(acl)), 0);
        cr_assert_eq(dac_original_parse("0640:0", &p), -EBADMSG);
        cr_assert_eq(dac_original_parse("0640:zz", &p), -EBADMSG);
        cr_assert_eq(dac_original_parse("9640:none", &p), -EBADMSG);
        cr_assert_eq(dac_original_parse("17777:none", &p), -EBADMSG);
        cr_assert_eq(dac_original_parse("0640", &p), -EBADMSG);
}

/* ---- the manager, with fake MAC backends (no root needed) ---- */

Test(label, backend_choice) {
        _cleanup_domain_ Domain *d = domain_new_test(NULL);
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
        _cleanup_domain_ Domain *d = domain_new_test(NULL);
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
        _cleanup_domain_ Domain *d = domain_new_test(NULL);
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

static LabelManager *manager_mac_only(const Domain *d, const char *name) {
        return manager_new(d, name, (uid_t) -1, (gid_t) -1);
}

Test(label, labels_exactly_the_table_then_restores_in_reverse_through_its_own_fds) {
        _cleanup_domain_ Domain *d = domain_new_test(NULL);
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_free_ char *err = NULL;
        VmFiles files = {};

        add_file(&files, "vmlinuz", 0644, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        add_file(&files, "rw.img", 0600, VM_FILE_IMAGE_RW, VM_FILE_BY_FDSET);
        add_file(&files, "ro.iso", 0644, VM_FILE_IMAGE_RO, VM_FILE_BY_FDSET);
        add_file(&files, "VARS.fd", 0600, VM_FILE_NVRAM, VM_FILE_BY_FDSET);
        config.security_driver = SECURITY_DRIVER_APPARMOR;
        fake_probe_apparmor = 1;
        m = manager_mac_only(d, "vm");
        cr_assert_eq(label_manager_label_domain(m, &files, &err), 0, "%s", err);
        cr_assert_str_eq(fake_log,
                         "generate;label 3 vmlinuz;label 0 rw.img;label 2 ro.iso;label 4 VARS.fd;");
        /* The caller's table may go: the manager keeps its own fds. */
        vm_files_done(&files);

        fake_log[0] = '\0';
        cr_assert_eq(label_manager_set_exec_label(m), 0);
        cr_assert_str_eq(fake_log, "exec;");
        fake_log[0] = '\0';
        cr_assert_eq(label_manager_restore_domain(m), 0);
        cr_assert_str_eq(fake_log, "restore VARS.fd;restore ro.iso;restore rw.img;restore vmlinuz;release;");
        cr_assert_not(journal_exists("vm"));
}

Test(label, failure_restores_what_was_done_and_names_the_step) {
        _cleanup_domain_ Domain *d = domain_new_test(NULL);
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_free_ char *err = NULL, *want = NULL;
        _cleanup_(vm_files_done) VmFiles files = {};

        add_file(&files, "a", 0600, VM_FILE_IMAGE_RW, VM_FILE_BY_FDSET);
        add_file(&files, "b", 0600, VM_FILE_IMAGE_RO, VM_FILE_BY_FDSET);
        add_file(&files, "c", 0600, VM_FILE_IMAGE_RW, VM_FILE_BY_FDSET);
        config.security_driver = SECURITY_DRIVER_SELINUX;
        fake_probe_selinux = 1;
        fake_fail_name = "c";
        m = manager_mac_only(d, "vm");
        cr_assert_eq(label_manager_label_domain(m, &files, &err), -EACCES);
        cr_assert_geq(asprintf(&want, "selinux: cannot label disk image %s/c: Permission denied", root), 0);
        cr_assert_str_eq(err, want);
        cr_assert_str_eq(fake_log, "generate;label 0 a;label 2 b;restore b;restore a;release;");
        cr_assert_not(journal_exists("vm"));
}

Test(label, hotplug_label_and_restore_file_by_inode) {
        _cleanup_domain_ Domain *d = domain_new_test(NULL);
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_(vm_files_done) VmFiles none = {}, hot = {}, again = {};

        add_file(&hot, "hot", 0600, VM_FILE_IMAGE_SHARED, VM_FILE_BY_FDSET);
        add_file(&again, "hot", 0600, VM_FILE_IMAGE_SHARED, VM_FILE_BY_FDSET);
        config.security_driver = SECURITY_DRIVER_APPARMOR;
        fake_probe_apparmor = 1;
        m = manager_mac_only(d, "vm");
        cr_assert_eq(label_manager_label_file(m, &hot.items[0], &err), -ESTALE, "before label_domain");
        cr_assert_eq(label_manager_label_domain(m, &none, &err), 0);
        cr_assert_eq(label_manager_label_file(m, &hot.items[0], &err), 0);
        /* Found by its inode: another resolution of the same file. */
        cr_assert_eq(label_manager_restore_file(m, &again.items[0]), 0);
        cr_assert_eq(label_manager_restore_file(m, &again.items[0]), -ENOENT);
        cr_assert_str_eq(fake_log, "generate;label 1 hot;restore hot;");
        fake_fail_name = "hot";
        cr_assert_eq(label_manager_label_file(m, &hot.items[0], &err), -EACCES);
        cr_assert_eq(label_manager_restore_domain(m), 0);
        cr_assert_str_eq(fake_log, "generate;label 1 hot;restore hot;release;");
}

/* Review finding 12: a file the manager cannot keep (entry_add() fails, as
 * on ENOMEM; here: no fd) is refused alone; the entry before it, the
 * domain's disk, stays held and is restored at the end. */
Test(label, unkeepable_file_drops_no_other_entry) {
        _cleanup_domain_ Domain *d = domain_new_test(NULL);
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_(vm_files_done) VmFiles files = {};
        VmFile unkeepable;

        add_file(&files, "a", 0600, VM_FILE_IMAGE_RW, VM_FILE_BY_FDSET);
        config.security_driver = SECURITY_DRIVER_APPARMOR;
        fake_probe_apparmor = 1;
        m = manager_mac_only(d, "vm");
        cr_assert_eq(label_manager_label_domain(m, &files, &err), 0, "%s", err);
        unkeepable = files.items[0]; /* a shallow copy: not freed */
        unkeepable.fd = -1;
        free(err);
        err = NULL;
        cr_assert_lt(label_manager_label_file(m, &unkeepable, &err), 0);
        cr_assert_eq(label_manager_restore_domain(m), 0);
        cr_assert_str_eq(fake_log, "generate;label 0 a;restore a;release;");
}

Test(label, cleanup_dispatches_live_records_by_backend) {
        _cleanup_free_ char *path = NULL;
        LabelJournal *j = NULL;
        char **notices = NULL;

        cr_assert_eq(label_journal_open(paths.labels_dir, "vm", &j), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "selinux", "mcs", "/m", "c1,c2" }), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "apparmor", "profile", "", "vmunit-x" }), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "selinux", "setfilecon", "/a b", "notice" }),
                     0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "selinux", "setfilecon", "/c", "u:r:t:s0" }),
                     0);
        cr_assert_eq(label_journal_record(
                             j, &(LabelRecord){ "selinux", LABEL_JOURNAL_OP_UNDONE, "/c", "setfilecon" }),
                     0);
        label_journal_free(j);
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm", &notices), 0);
        cr_assert_str_eq(fake_log, "undo selinux setfilecon /a b notice;"
                                   "undo apparmor profile  vmunit-x;undo selinux mcs /m c1,c2;");
        cr_assert_not_null(notices);
        cr_assert_str_eq(notices[0], "left alone");
        cr_assert_null(notices[1]);
        strv_free_array(notices);
        cr_assert_not(journal_exists("vm"));
        /* Nothing left: a second run is a no-op. */
        fake_log[0] = '\0';
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm", &notices), 0);
        cr_assert_str_eq(fake_log, "");
        cr_assert_null(notices);
}

Test(label, cleanup_keeps_journal_when_a_record_cannot_be_undone) {
        LabelJournal *j = NULL;

        cr_assert_eq(label_journal_open(paths.labels_dir, "vm", &j), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "selinux", "mcs", "/m", "c1,c2" }), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "martian", "x", "/y", "z" }), 0);
        label_journal_free(j);
        /* Nothing older than a record that cannot be undone is undone:
         * the MCS pair stays reserved while a newer change stays. */
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm", NULL), -EBADMSG);
        cr_assert(journal_exists("vm"));
        cr_assert_str_eq(fake_log, "");
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm", NULL), -EBADMSG);
        cr_assert_str_eq(fake_log, "");
}

/* ---- DAC for real: ACL and trusted xattrs need root ---- */

#define QEMU_UID 4242
#define QEMU_GID 4343
#define VM_A "0a0a0a0a-0000-4000-8000-00000000000a"
#define VM_B "0b0b0b0b-0000-4000-8000-00000000000b"

static void skip_unless_root(void) {
        if (geteuid() == 0)
                return;
        teardown(); /* a skipped test does not run .fini */
        cr_skip_test("needs root (ACLs for other users, trusted.* xattrs)");
}

typedef struct FileState {
        uid_t uid;
        gid_t gid;
        mode_t mode;
        char acl[512];
        ssize_t acl_size; /* -1: none */
        char holders[512];
        ssize_t holders_size;
} FileState;

static FileState state_of(const char *path) {
        FileState s = {};
        struct stat st;

        cr_assert_eq(stat(path, &st), 0, "%s: %m", path);
        s.uid = st.st_uid;
        s.gid = st.st_gid;
        s.mode = st.st_mode & 07777;
        s.acl_size = getxattr(path, ACL_XATTR_ACCESS, s.acl, sizeof(s.acl));
        s.holders_size = getxattr(path, DAC_XATTR_NAME, s.holders, sizeof(s.holders) - 1);
        if (s.holders_size >= 0)
                s.holders[s.holders_size] = '\0';
        return s;
}

static void assert_state(const char *path, const FileState *want) {
        FileState s = state_of(path);

        cr_assert_eq(s.uid, want->uid, "%s: uid %u, want %u", path, s.uid, want->uid);
        cr_assert_eq(s.gid, want->gid, "%s: gid %u, want %u", path, s.gid, want->gid);
        cr_assert_eq(s.mode, want->mode, "%s: mode %o, want %o", path, s.mode, want->mode);
        cr_assert_eq(s.acl_size, want->acl_size, "%s: ACL of %zd bytes, want %zd", path, s.acl_size,
                     want->acl_size);
        cr_assert(s.acl_size < 0 || memcmp(s.acl, want->acl, (size_t) s.acl_size) == 0, "%s: ACL differs",
                  path);
        cr_assert_eq(s.holders_size, want->holders_size, "%s: holder record '%s'", path,
                     s.holders_size > 0 ? s.holders : "");
}

/* The permissions QEMU's uid gets from the file's ACL entry, -1 without one. */
static int qemu_entry(const char *path) {
        unsigned char buf[512];
        ssize_t n = getxattr(path, ACL_XATTR_ACCESS, buf, sizeof(buf));
        _cleanup_(acl_xattr_done) AclXattr a = {};

        if (n < 0)
                return -1;
        cr_assert_eq(acl_xattr_decode(buf, (size_t) n, &a), 0);
        for (size_t i = 0; i < a.n; i++)
                if (a.entries[i].tag == ACL_XATTR_USER && a.entries[i].id == QEMU_UID)
                        return a.entries[i].perm;
        return -1;
}

static size_t holders_of(const char *path, LabelHolders *ret) {
        char buf[512];
        ssize_t n = getxattr(path, DAC_XATTR_NAME, buf, sizeof(buf) - 1);

        if (n < 0) {
                cr_assert_eq(errno, ENODATA);
                return 0;
        }
        buf[n] = '\0';
        cr_assert_eq(label_holders_parse(buf, ret), 0, "bad record '%s'", buf);
        return ret->n_uuids;
}

static size_t holder_count(const char *path) {
        _cleanup_(label_holders_done) LabelHolders h = {};

        return holders_of(path, &h);
}

static char *path_in_root(const char *name) {
        char *p = NULL;

        cr_assert_geq(asprintf(&p, "%s/%s", root, name), 0);
        return p;
}

static Domain *domains[8];
static size_t n_domains;

static LabelManager *label_vm(const char *uuid, const char *name, VmFiles *files) {
        _cleanup_free_ char *err = NULL;
        LabelManager *m;
        Domain *d = domain_new_test(uuid);

        cr_assert_lt(n_domains, ELEMENTSOF(domains));
        domains[n_domains++] = d;
        config.security_driver = SECURITY_DRIVER_NONE;
        m = manager_new(d, name, QEMU_UID, QEMU_GID);
        cr_assert_str_eq(label_manager_describe(m), "dac");
        cr_assert_eq(label_manager_label_domain(m, files, &err), 0, "%s", err);
        return m;
}

static void domains_free(void) {
        while (n_domains > 0)
                domain_free(domains[--n_domains]);
}

/* The last VM stops: path is exactly as before. */
static void stop_and_check(LabelManager *m, const char *path, const FileState *before) {
        cr_assert_eq(label_manager_restore_domain(m), 0);
        assert_state(path, before);
        label_manager_free(m);
        domains_free();
}

Test(label, dac_changes_no_owner_and_gives_only_what_qemu_opens_itself) {
        _cleanup_free_ char *rw = path_in_root("rw.img"), *ro = path_in_root("ro image.iso"),
                            *kernel = path_in_root("vmlinuz"), *initrd = path_in_root("initrd");
        _cleanup_(vm_files_done) VmFiles files = {};
        FileState before[4];
        LabelManager *m;

        skip_unless_root();
        add_file(&files, "rw.img", 0640, VM_FILE_IMAGE_RW, VM_FILE_BY_FDSET);
        add_file(&files, "ro image.iso", 0644, VM_FILE_IMAGE_RO, VM_FILE_BY_FDSET);
        add_file(&files, "vmlinuz", 0600, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        add_file(&files, "initrd", 0644, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        cr_assert_eq(chown(rw, 1234, 5678), 0);
        before[0] = state_of(rw);
        before[1] = state_of(ro);
        before[2] = state_of(kernel);
        before[3] = state_of(initrd);

        m = label_vm(VM_A, "vm", &files);
        /* Disks reach QEMU as fds: untouched, whatever their mode. */
        assert_state(rw, &before[0]);
        assert_state(ro, &before[1]);
        /* A world-readable boot file needs nothing either. */
        assert_state(initrd, &before[3]);
        /* A private kernel: an ACL entry for QEMU's uid, read only; the
         * owner stays. */
        cr_assert_eq(qemu_entry(kernel), ACL_XATTR_READ);
        cr_assert_eq(state_of(kernel).uid, 0);
        cr_assert_eq(state_of(kernel).mode, 0640, "the mask shows in the group bits");
        cr_assert_eq(holder_count(kernel), 1);
        cr_assert(journal_exists("vm"));

        cr_assert_eq(label_manager_restore_domain(m), 0);
        for (size_t i = 0; i < 4; i++)
                assert_state(files.items[i].path, &before[i]);
        cr_assert_not(journal_exists("vm"));
        label_manager_free(m);
        domains_free();
}

Test(label, dac_restores_an_existing_acl_exactly) {
        /* An ACL the admin set: user:1000:r, group::---, mask r. */
        static const unsigned char admin_acl[] = {
                2, 0,    0,    0,    1,    0,    6,    0, 0xff, 0xff, 0xff, 0xff, 2,    0,    4,
                0, 0xe8, 3,    0,    0,    4,    0,    0, 0,    0xff, 0xff, 0xff, 0xff, 0x10, 0,
                4, 0,    0xff, 0xff, 0xff, 0xff, 0x20, 0, 0,    0,    0xff, 0xff, 0xff, 0xff,
        };
        _cleanup_free_ char *kernel = path_in_root("vmlinuz");
        _cleanup_(vm_files_done) VmFiles files = {};
        FileState before;
        LabelManager *m;

        skip_unless_root();
        free(make_file("vmlinuz", 02700));
        cr_assert_eq(setxattr(kernel, ACL_XATTR_ACCESS, admin_acl, sizeof(admin_acl), 0), 0, "%m");
        add_file(&files, "vmlinuz", 0, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        before = state_of(kernel);
        cr_assert_eq(before.acl_size, sizeof(admin_acl));

        m = label_vm(VM_A, "vm", &files);
        cr_assert_eq(qemu_entry(kernel), ACL_XATTR_READ);
        stop_and_check(m, kernel, &before);
}

Test(label, dac_runtime_dir_and_socket) {
        _cleanup_free_ char *dir = path_in_root("rundir");
        _cleanup_(vm_files_done) VmFiles files = {};
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        FileState before;
        LabelManager *m;

        skip_unless_root();
        cr_assert_eq(mkdir(dir, 0750), 0);
        cr_assert_eq(vm_file_resolve(dir, VM_FILE_RUNTIME_DIR, VM_FILE_BY_PATH, -1, &f), 0);
        cr_assert_eq(vm_files_add(&files, &f), 0);
        before = state_of(dir);
        m = label_vm(VM_A, "vm", &files);
        cr_assert_eq(qemu_entry(dir), ACL_XATTR_READ | ACL_XATTR_WRITE | ACL_XATTR_EXECUTE);
        cr_assert_eq(state_of(dir).uid, 0);
        stop_and_check(m, dir, &before);
}

/* A 0600 kernel NAME in two tables (for VM A and VM B); its state before. */
static FileState shared_kernel(const char *name, VmFiles *fa, VmFiles *fb) {
        _cleanup_free_ char *kernel = path_in_root(name);

        add_file(fa, name, 0600, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        add_file(fb, name, 0600, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        return state_of(kernel);
}

Test(label, dac_shared_boot_file_restored_after_the_last_holder) {
        _cleanup_free_ char *kernel = path_in_root("shared-vmlinuz");
        _cleanup_(vm_files_done) VmFiles fa = {}, fb = {};
        FileState before;
        LabelManager *a, *b;

        skip_unless_root();
        before = shared_kernel("shared-vmlinuz", &fa, &fb);
        a = label_vm(VM_A, "vm-a", &fa);
        b = label_vm(VM_B, "vm-b", &fb);
        cr_assert_eq(holder_count(kernel), 2);
        cr_assert_eq(label_manager_restore_domain(a), 0);
        cr_assert_eq(qemu_entry(kernel), ACL_XATTR_READ, "vm-b still runs");
        cr_assert_eq(holder_count(kernel), 1);
        cr_assert_eq(label_manager_restore_domain(b), 0);
        assert_state(kernel, &before);
        label_manager_free(a);
        label_manager_free(b);
        domains_free();
}

static char *read_journal(const char *name) {
        _cleanup_free_ char *p = NULL;
        char *text = NULL;

        cr_assert_geq(asprintf(&p, "%s/%s.journal", paths.labels_dir, name), 0);
        cr_assert_eq(read_small_file(p, 1 << 20, &text), 0);
        return text;
}

static void write_journal(const char *name, const char *text) {
        _cleanup_free_ char *p = NULL;

        cr_assert_geq(asprintf(&p, "%s/%s.journal", paths.labels_dir, name), 0);
        cr_assert_eq(write_file_atomic(p, text, 0600), 0);
}

/* #8: a restore whose "undone" marker never reached the journal (a crash
 * right after the undo) and then --cleanup: the second undo must not
 * take the file from the VM still holding it. */
Test(label, dac_double_undo_keeps_the_other_holder) {
        _cleanup_free_ char *kernel = path_in_root("vmlinuz"), *journal = NULL;
        _cleanup_(vm_files_done) VmFiles fa = {}, fb = {};
        FileState before;
        LabelManager *a, *b;

        skip_unless_root();
        before = shared_kernel("vmlinuz", &fa, &fb);
        b = label_vm(VM_B, "vm-b", &fb);
        a = label_vm(VM_A, "vm-a", &fa);
        journal = read_journal("vm-a");
        cr_assert_eq(label_manager_restore_domain(a), 0);
        write_journal("vm-a", journal); /* as if the crash came before the marker */
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm-a", NULL), 0);
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm-a", NULL), 0);
        cr_assert_eq(qemu_entry(kernel), ACL_XATTR_READ, "vm-b lost its access");
        cr_assert_eq(holder_count(kernel), 1);
        cr_assert_eq(label_manager_restore_domain(b), 0);
        assert_state(kernel, &before);
        label_manager_free(a);
        label_manager_free(b);
        domains_free();
}

/* #8: a crash between the journal record and adding the holder: the
 * cleanup must not remove a hold this VM never took. */
Test(label, dac_crash_between_journal_and_holder) {
        _cleanup_free_ char *kernel = path_in_root("vmlinuz"), *value = NULL;
        _cleanup_(vm_files_done) VmFiles fb = {};
        LabelFileRecord rec = { .held = true, .original = (char *) "0600:none" };
        LabelJournal *j = NULL;
        struct stat st;
        LabelManager *b;

        skip_unless_root();
        add_file(&fb, "vmlinuz", 0600, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        b = label_vm(VM_B, "vm-b", &fb);
        cr_assert_eq(stat(kernel, &st), 0);
        rec.dev = st.st_dev;
        rec.ino = st.st_ino;
        strcpy(rec.uuid, VM_A);
        cr_assert_eq(label_file_record_format(&rec, &value), 0);
        cr_assert_eq(label_journal_open(paths.labels_dir, "vm-a", &j), 0);
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ "dac", "acl", fb.items[0].path, value }), 0);
        label_journal_free(j);
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm-a", NULL), 0);
        cr_assert_eq(qemu_entry(kernel), ACL_XATTR_READ);
        cr_assert_eq(holder_count(kernel), 1);
        cr_assert_eq(label_manager_restore_domain(b), 0);
        cr_assert_eq(qemu_entry(kernel), -1);
        label_manager_free(b);
        domains_free();
}

/* #9: a holder record from a boot that ended without restoring (power
 * loss): the same VM starting again takes its original and restores it
 * at stop; nobody is refused. */
Test(label, dac_stale_boot_record) {
        _cleanup_free_ char *kernel = path_in_root("vmlinuz"), *stale = NULL;
        _cleanup_(vm_files_done) VmFiles fa = {}, fb = {};
        _cleanup_(label_holders_done) LabelHolders h = {};
        FileState before;
        LabelManager *a, *b;

        skip_unless_root();
        before = shared_kernel("vmlinuz", &fa, &fb);
        /* The dead boot's state: A and B held it with an entry on it. */
        a = label_vm(VM_A, "vm-a", &fa);
        b = label_vm(VM_B, "vm-b", &fb);
        label_manager_free(a);
        label_manager_free(b);
        domains_free();
        cr_assert_geq(asprintf(&stale, "99999999-9999-4999-8999-999999999999 0600:none %s %s", VM_A, VM_B),
                      0);
        cr_assert_eq(setxattr(kernel, DAC_XATTR_NAME, stale, strlen(stale), 0), 0);
        /* The journals died with /run. */
        cr_assert_eq(label_journal_remove(paths.labels_dir, "vm-a"), 0);
        cr_assert_eq(label_journal_remove(paths.labels_dir, "vm-b"), 0);

        a = label_vm(VM_A, "vm-a", &fa);
        cr_assert_eq(holders_of(kernel, &h), 1);
        cr_assert_str_eq(h.uuids[0], VM_A);
        cr_assert_str_eq(h.original, "0600:none");
        stop_and_check(a, kernel, &before);
}

Test(label, dac_without_remember_owner_is_journal_only) {
        _cleanup_free_ char *kernel = path_in_root("vmlinuz");
        _cleanup_(vm_files_done) VmFiles files = {};
        FileState before;
        LabelManager *m;

        skip_unless_root();
        config.remember_owner = false;
        add_file(&files, "vmlinuz", 0600, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        before = state_of(kernel);
        m = label_vm(VM_A, "vm", &files);
        cr_assert_eq(qemu_entry(kernel), ACL_XATTR_READ);
        cr_assert_eq(holder_count(kernel), 0);
        label_manager_free(m); /* crash */
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm", NULL), 0);
        assert_state(kernel, &before);
        domains_free();
}

Test(label, dac_qemus_own_file_without_owner_read_is_refused) {
        _cleanup_free_ char *kernel = path_in_root("vmlinuz"), *err = NULL;
        _cleanup_(vm_files_done) VmFiles files = {};
        _cleanup_domain_ Domain *d = domain_new_test(VM_A);
        _cleanup_(label_manager_freep) LabelManager *m = NULL;

        skip_unless_root();
        add_file(&files, "vmlinuz", 0200, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        cr_assert_eq(chown(kernel, QEMU_UID, 0), 0);
        files.items[0].st.st_uid = QEMU_UID;
        config.security_driver = SECURITY_DRIVER_NONE;
        m = manager_new(d, "vm", QEMU_UID, QEMU_GID);
        cr_assert_eq(label_manager_label_domain(m, &files, &err), -EACCES);
        cr_assert_not_null(strstr(err, "owned by QEMU's user"), "%s", err);
        cr_assert_eq(qemu_entry(kernel), -1);
        cr_assert_not(journal_exists("vm"));
}

/* --cleanup with no fd left: a file moved to the path since the label is
 * not the one labelled; it is left alone, and the notice says so. */
Test(label, dac_cleanup_leaves_a_swapped_in_file_alone) {
        _cleanup_free_ char *kernel = path_in_root("vmlinuz"), *other = path_in_root("other");
        _cleanup_(vm_files_done) VmFiles files = {};
        char **notices = NULL;
        FileState before;
        LabelManager *m;

        skip_unless_root();
        add_file(&files, "vmlinuz", 0600, VM_FILE_BOOT, VM_FILE_BY_PROC_FD);
        m = label_vm(VM_A, "vm", &files);
        label_manager_free(m); /* crash */
        free(make_file("other", 0600));
        before = state_of(other);
        cr_assert_eq(rename(other, kernel), 0);
        cr_assert_eq(label_cleanup_from_journal(&paths, "vm", &notices), 0);
        assert_state(kernel, &before);
        cr_assert_not_null(notices);
        cr_assert_not_null(strstr(notices[0], "left alone, not restored: the file there now is not the one"),
                           "%s", notices[0]);
        strv_free_array(notices);
        cr_assert_not(journal_exists("vm"));
        domains_free();
}
