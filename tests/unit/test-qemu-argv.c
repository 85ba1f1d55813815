/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The QEMU command builder: helpers, models built in C (so each rule is
 * tested on its own), and golden files: tests/data/NAME.xml -> NAME.argv,
 * one line per word, environment first as "env: NAME=VALUE" lines, and
 * NAME.fd.argv: the same domain with a file table (what the supervisor
 * runs: QEMU gets fds, never a path), which differs from NAME.argv only
 * in the words that name files.
 * VMUNIT_REGENERATE_GOLDEN=1 rewrites the .argv files; review the diff.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "domain-xml.h"
#include "qemu-argv-internal.h"
#include "qemu-argv.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *data_dir(void);

static const QemuArgvOptions test_options = {
        .runtime_dir = "/run/vmunit/t",
        .qmp_fd = -1,
};

static Domain base_domain(void) {
        static DomainMemballoon no_balloon = { .model = DOMAIN_MEMBALLOON_NONE };

        return (Domain){
                .virt_type = DOMAIN_VIRT_QEMU,
                .name = (char *) "t",
                .uuid = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05,
                          0x06, 0x07 },
                .memory_kib = 65536,
                .vcpus = 1,
                .memballoon = &no_balloon,
        };
}

/* Build with o and return the shell rendering (caller frees), or NULL and
 * the error in *ret_r / *ret_error. */
static char *build_line_opts(const Domain *d, const QemuArgvOptions *o, int *ret_r, char **ret_error) {
        _cleanup_strv_ Strv argv = {}, env = {};
        char *line = NULL;
        int r;

        r = qemu_argv_build(d, o, &argv, &env, ret_error);
        if (ret_r)
                *ret_r = r;
        if (r < 0) {
                cr_assert_eq(argv.n, 0);
                cr_assert_eq(env.n, 0);
                return NULL;
        }
        cr_assert_eq(qemu_argv_format_shell(env.items, argv.items, &line), 0);
        return line;
}

static char *build_line(const Domain *d) {
        _cleanup_free_ char *error = NULL;
        int r = 0;
        char *line = build_line_opts(d, &test_options, &r, &error);

        cr_assert_eq(r, 0, "build failed: %s", error ?: "(no message)");
        return line;
}

/* Expect -EINVAL with a message containing what. */
static void expect_error(const Domain *d, const char *what) {
        _cleanup_free_ char *error = NULL, *line = NULL;
        int r = 0;

        line = build_line_opts(d, &test_options, &r, &error);
        cr_assert_eq(r, -EINVAL, "expected -EINVAL, got %d: %s", r, line ?: "");
        cr_assert_not_null(error);
        cr_assert(strstr(error, what), "error '%s' does not mention '%s'", error, what);
}

static void expect_contains(const Domain *d, const char *what) {
        _cleanup_free_ char *line = build_line(d);

        cr_assert(strstr(line, what), "'%s' not in: %s", what, line);
}

static void expect_lacks(const Domain *d, const char *what) {
        _cleanup_free_ char *line = build_line(d);

        cr_assert(!strstr(line, what), "'%s' unexpectedly in: %s", what, line);
}

/* A file table as the supervisor's would be for d, without touching the
 * file system: vm_files_walk() for the entries, numbered from fd 4 (QMP
 * is 3). */
static int add_spec(const VmFileSpec *spec, void *userdata) {
        VmFiles *files = userdata;
        VmFile f = VM_FILE_NULL;

        if (vm_files_find(files, spec->kind, spec->source))
                return 0;
        f.kind = spec->kind;
        f.delivery = spec->delivery;
        f.qemu_flags = spec->qemu_flags;
        f.source = strdup(spec->source);
        cr_assert_not_null(f.source);
        return vm_files_add(files, &f);
}

static void synthetic_files(const Domain *d, const char *console_log, VmFiles *ret) {
        *ret = (VmFiles){};
        cr_assert_eq(vm_files_walk(d, NULL, console_log, add_spec, ret), 0);
        vm_files_number(ret, 4);
}

/* ---- public helpers ----------------------------------------------------- */

Test(qemu_argv, opt_escape) {
        _cleanup_free_ char *a = qemu_opt_escape("/a,b,,c"), *b = qemu_opt_escape(""),
                            *c = qemu_opt_escape("plain");

        cr_assert_str_eq(a, "/a,,b,,,,c");
        cr_assert_str_eq(b, "");
        cr_assert_str_eq(c, "plain");
}

Test(qemu_argv, runtime_paths) {
        _cleanup_free_ char *q = qemu_qmp_socket_path("/run/vmunit/x"),
                            *l = qemu_console_log_path("/run/vmunit/x");

        cr_assert_str_eq(q, "/run/vmunit/x/qmp.sock");
        cr_assert_str_eq(l, "/run/vmunit/x/console.log");
}

Test(qemu_argv, format_shell) {
        char *env[] = { (char *) "A=1", (char *) "B=x y", (char *) "C=it's", NULL };
        char *argv[] = { (char *) "/usr/bin/qemu",
                         (char *) "-name",
                         (char *) "guest=a,b",
                         (char *) "",
                         (char *) "a b",
                         (char *) "o'k",
                         (char *) "$HOME",
                         (char *) "x@y%z+1:2",
                         NULL };
        _cleanup_free_ char *s = NULL, *t = NULL;

        cr_assert_eq(qemu_argv_format_shell(env, argv, &s), 0);
        cr_assert_str_eq(s, "A=1 B='x y' C='it'\\''s' /usr/bin/qemu -name guest=a,b '' 'a b' 'o'\\''k' "
                            "'$HOME' x@y%z+1:2");
        cr_assert_eq(qemu_argv_format_shell(NULL, argv + 4, &t), 0);
        cr_assert_str_eq(t, "'a b' 'o'\\''k' '$HOME' x@y%z+1:2");
}

/* ---- whole command lines ------------------------------------------------ */

Test(qemu_argv, minimal_exact) {
        Domain d = base_domain();
        _cleanup_free_ char *line = build_line(&d);

        cr_assert_str_eq(
                line,
                "/usr/bin/qemu-system-x86_64 -name guest=t,debug-threads=on -uuid "
                "12345678-9abc-4def-8001-020304050607 "
                "-S -no-user-config -nodefaults -machine pc,usb=off,dump-guest-core=off,acpi=off -accel tcg "
                "-m size=65536k -smp 1 "
                "-chardev socket,id=charmonitor,path=/run/vmunit/t/qmp.sock,server=on,wait=off "
                "-mon chardev=charmonitor,id=monitor,mode=control -rtc base=utc "
                "-action reboot=reset,shutdown=poweroff,panic=pause -display none -msg timestamp=on");
}

Test(qemu_argv, options) {
        Domain d = base_domain();
        QemuArgvOptions o = test_options;
        DomainChar serial = { .kind = DOMAIN_CHAR_SERIAL, .type = DOMAIN_CHAR_PTY, .target_port = -1 };
        _cleanup_free_ char *line = NULL;

        d.chars = &serial;
        d.n_chars = 1;
        o.qmp_fd = 3;
        o.seccomp_sandbox = true;
        o.console_log = true;
        o.default_emulator = "/opt/qemu/bin/qemu-system-x86_64";
        line = build_line_opts(&d, &o, NULL, NULL);
        cr_assert(strstr(line, "/opt/qemu/bin/qemu-system-x86_64 -name"));
        cr_assert(strstr(line, "-chardev socket,id=charmonitor,fd=3,server=on,wait=off "));
        cr_assert(strstr(
                line, "-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
        cr_assert(strstr(line, "-chardev pty,id=charserial0,logfile=/run/vmunit/t/console.log,logappend=on "
                               "-device isa-serial,chardev=charserial0,id=serial0,index=0"));
        /* <emulator> wins over the default. */
        d.emulator = (char *) "/usr/local/bin/qemu";
        free(line);
        line = build_line_opts(&d, &o, NULL, NULL);
        cr_assert(strncmp(line, "/usr/local/bin/qemu -name", 25) == 0);
}

Test(qemu_argv, name_and_paths_escaped) {
        Domain d = base_domain();
        DomainDisk disk = { .source = (char *) "/var/lib/vmunit/images/a,b.img",
                            .target_dev = (char *) "vda" };
        QemuArgvOptions o = test_options;
        _cleanup_free_ char *line = NULL;

        d.name = (char *) "x,y=z";
        d.disks = &disk;
        d.n_disks = 1;
        o.runtime_dir = "/run/vmunit/x,y";
        line = build_line_opts(&d, &o, NULL, NULL);
        cr_assert(strstr(line, "-name guest=x,,y=z,debug-threads=on "), "%s", line);
        cr_assert(strstr(line, "filename=/var/lib/vmunit/images/a,,b.img,node-name=disk0-storage"), "%s",
                  line);
        cr_assert(strstr(line, "path=/run/vmunit/x,,y/qmp.sock,server=on"), "%s", line);
}

Test(qemu_argv, qemu_commandline_and_env) {
        Domain d = base_domain();
        char *args[] = { (char *) "-trace", (char *) "qmp_*", NULL };
        DomainQemuEnv env[] = { { (char *) "QEMU_AUDIO_DRV", (char *) "none" },
                                { (char *) "X", (char *) "a b" } };
        _cleanup_strv_ Strv argv = {}, e = {};

        d.qemu_args = args;
        d.n_qemu_args = 2;
        d.qemu_env = env;
        d.n_qemu_env = 2;
        cr_assert_eq(qemu_argv_build(&d, &test_options, &argv, &e, NULL), 0);
        cr_assert_str_eq(argv.items[argv.n - 2], "-trace");
        cr_assert_str_eq(argv.items[argv.n - 1], "qmp_*");
        cr_assert_eq(e.n, 2);
        cr_assert_str_eq(e.items[0], "QEMU_AUDIO_DRV=none");
        cr_assert_str_eq(e.items[1], "X=a b");

        env[1].name = (char *) "BAD NAME";
        expect_error(&d, "invalid environment variable name");
}

/* ---- machine, CPU, memory, SMP ------------------------------------------ */

Test(qemu_argv, machine_and_accel) {
        Domain d = base_domain();
        DomainTimer timers[] = { { .name = (char *) "hpet", .present = DOMAIN_TRISTATE_OFF } };

        d.virt_type = DOMAIN_VIRT_KVM;
        d.os.machine = (char *) "pc-q35-7.2";
        d.features.acpi = true;
        d.clock.timers = timers;
        d.clock.n_timers = 1;
        expect_contains(&d, "-machine pc-q35-7.2,usb=off,dump-guest-core=off,acpi=on,hpet=off -accel kvm ");

        d.os.machine = (char *) "microvm";
        expect_error(&d, "unsupported machine type 'microvm'");
        d.os.machine = (char *) "q35,kernel-irqchip=off";
        expect_error(&d, "unsupported machine type");
        d.os.machine = (char *) "pc-i440fx-";
        expect_error(&d, "unsupported machine type");
        d.os.machine = NULL;
        d.os.arch = (char *) "aarch64";
        expect_error(&d, "architecture 'aarch64'");
        d.os.arch = (char *) "i686";
        expect_contains(&d, "-accel kvm -cpu qemu32 ");
        d.os.arch = NULL;
}

Test(qemu_argv, cpu_modes) {
        Domain d = base_domain();
        DomainCpuFeature feats[] = {
                { (char *) "vmx", DOMAIN_CPU_FEATURE_REQUIRE },
                { (char *) "sse4.2", DOMAIN_CPU_FEATURE_DISABLE },
        };

        d.cpu = (DomainCpu){ .present = true,
                             .model = { .name = (char *) "Skylake-Client-v4" },
                             .features = feats,
                             .n_features = 2 };
        expect_contains(&d, "-cpu Skylake-Client-v4,vmx=on,sse4.2=off ");
        /* No frozen list: a newer QEMU's model is a name like any other. */
        d.cpu.model.name = (char *) "GraniteRapids-v1";
        expect_contains(&d, "-cpu GraniteRapids-v1,");
        d.cpu.model.name = (char *) "qemu64,+vmx";
        expect_error(&d, "'qemu64,+vmx' is not a CPU model name");
        d.cpu.model.name = (char *) "qemu64";
        feats[0].name = (char *) "vmx,x=y";
        expect_error(&d, "invalid CPU feature name");
        feats[0].name = (char *) "vmx";

        d.cpu.model.name = NULL;
        expect_error(&d, "<feature> needs a <model>");
        d.cpu.n_features = 0;
        expect_lacks(&d, "-cpu");

        d.cpu.mode = DOMAIN_CPU_MODE_HOST_PASSTHROUGH;
        expect_error(&d, "needs <domain type='kvm'>");
        d.virt_type = DOMAIN_VIRT_KVM;
        expect_contains(&d, "-cpu host ");
        d.cpu.mode = DOMAIN_CPU_MODE_HOST_MODEL;
        expect_contains(&d, "-cpu host ");
        d.virt_type = DOMAIN_VIRT_QEMU;
        expect_contains(&d, "-cpu max ");
        d.cpu.mode = DOMAIN_CPU_MODE_MAXIMUM;
        d.cpu.n_features = 1;
        expect_contains(&d, "-cpu max,vmx=on ");
        d.cpu.model.name = (char *) "qemu64";
        expect_error(&d, "only supported with mode='custom'");
}

Test(qemu_argv, memory_rounding) {
        Domain d = base_domain();

        d.memory_kib = 1048577;
        expect_contains(&d, "-m size=1049600k ");
        d.memory_kib = 0;
        expect_error(&d, "<memory>");
}

Test(qemu_argv, smp) {
        Domain d = base_domain();

        d.vcpus = 4;
        d.cpu = (DomainCpu){ .present = true,
                             .topology = { .sockets = 1, .dies = 1, .cores = 2, .threads = 2 } };
        expect_contains(&d, "-smp 4,sockets=1,dies=1,cores=2,threads=2 ");
        d.vcpus_current = 2;
        expect_contains(&d, "-smp 2,maxcpus=4,sockets=1,dies=1,cores=2,threads=2 ");
        d.cpu.topology.threads = 1;
        expect_error(&d, "does not match <vcpu> 4");
        d.cpu = (DomainCpu){};
        d.vcpus_current = 5;
        expect_error(&d, "exceeds the maximum 4");
}

/* ---- clock, lifecycle, boot, firmware ----------------------------------- */

Test(qemu_argv, clock_and_timers) {
        Domain d = base_domain();
        DomainTimer timers[] = {
                { .name = (char *) "rtc", .tickpolicy = DOMAIN_TICK_CATCHUP },
                { .name = (char *) "pit", .tickpolicy = DOMAIN_TICK_DELAY },
                { .name = (char *) "hpet", .present = DOMAIN_TRISTATE_OFF },
        };

        d.clock = (DomainClock){ .offset = DOMAIN_CLOCK_LOCALTIME, .timers = timers, .n_timers = 3 };
        expect_contains(&d, "-rtc base=localtime,driftfix=slew ");
        expect_lacks(&d, "kvm-pit"); /* TCG: delay is what the emulated PIT does */
        d.virt_type = DOMAIN_VIRT_KVM;
        expect_contains(&d, "-global kvm-pit.lost_tick_policy=delay ");
        timers[1].tickpolicy = DOMAIN_TICK_CATCHUP;
        expect_error(&d, "<timer name='pit'>");
        timers[1].tickpolicy = DOMAIN_TICK_DEFAULT;
        timers[0].tickpolicy = DOMAIN_TICK_MERGE;
        expect_error(&d, "<timer name='rtc'>");
        timers[0] = (DomainTimer){ .name = (char *) "kvmclock", .present = DOMAIN_TRISTATE_OFF };
        expect_contains(&d, "-cpu qemu64,kvmclock=off ");
        timers[0].tickpolicy = DOMAIN_TICK_DELAY;
        expect_error(&d, "<timer name='kvmclock'> does not support tickpolicy");
        timers[0] = (DomainTimer){ .name = (char *) "rtc", .track = DOMAIN_TRACK_REALTIME };
        expect_contains(&d, "-rtc base=localtime,clock=rt ");
        timers[0] =
                (DomainTimer){ .name = (char *) "tsc", .frequency = { .set = true, .value = 2500000000 } };
        timers[1] = (DomainTimer){ .name = (char *) "hypervclock", .present = DOMAIN_TRISTATE_ON };
        expect_contains(&d, "-cpu qemu64,tsc-frequency=2500000000,hv-time=on ");
}

/* offset='variable' starts the RTC at now + adjustment; 'timezone' runs
 * QEMU with TZ set. */
Test(qemu_argv, clock_offsets) {
        Domain d = base_domain();
        QemuArgvOptions o = test_options;
        _cleanup_strv_ Strv argv = {}, env = {};
        _cleanup_free_ char *error = NULL;
        bool tz = false;

        o.now = 1700000000; /* 2023-11-14T22:13:20Z */
        d.clock = (DomainClock){ .offset = DOMAIN_CLOCK_VARIABLE, .adjustment = (char *) "-3600" };
        cr_assert_eq(qemu_argv_build(&d, &o, &argv, &env, &error), 0, "%s", error ?: "");
        for (size_t i = 0; i + 1 < argv.n; i++)
                if (streq(argv.items[i], "-rtc"))
                        cr_assert_str_eq(argv.items[i + 1], "base=2023-11-14T21:13:20");
        strv_done(&argv);
        strv_done(&env);

        d.clock = (DomainClock){ .offset = DOMAIN_CLOCK_TIMEZONE, .timezone = (char *) "Europe/Paris" };
        cr_assert_eq(qemu_argv_build(&d, &o, &argv, &env, &error), 0, "%s", error ?: "");
        for (size_t i = 0; i < env.n; i++)
                tz = tz || streq(env.items[i], "TZ=Europe/Paris");
        cr_assert(tz);
        expect_contains(&d, "-rtc base=localtime ");
}

Test(qemu_argv, smbios) {
        Domain d = base_domain();
        DomainSysinfoEntry sys[] = { { (char *) "uuid", (char *) "00000000-0000-4000-8000-000000000000" } };
        DomainSysinfoEntry oem[] = { { NULL, (char *) "a,b" } };

        d.os.smbios_mode = DOMAIN_SMBIOS_HOST;
        expect_error(&d, "<smbios mode='host'> is not supported");
        d.os.smbios_mode = DOMAIN_SMBIOS_SYSINFO;
        expect_error(&d, "<smbios mode='sysinfo'> needs a <sysinfo type='smbios'>");
        d.sysinfo = (DomainSysinfo){ .type = DOMAIN_SYSINFO_SMBIOS,
                                     .system = { sys, 1 },
                                     .oem_strings = { oem, 1 } };
        expect_error(&d, "<sysinfo> system uuid '00000000-0000-4000-8000-000000000000' differs");
        d.sysinfo.system.n_entries = 0;
        expect_contains(&d, "-smbios type=11,value=a,,b ");
        d.os.smbios_mode = DOMAIN_SMBIOS_EMULATE;
        expect_lacks(&d, "-smbios");
}

Test(qemu_argv, features_kvm_only) {
        Domain d = base_domain();
        DomainFeatureHyperv hv = { .mode = DOMAIN_HYPERV_MODE_PASSTHROUGH,
                                   .evmcs = { DOMAIN_TRISTATE_OFF },
                                   .relaxed = { DOMAIN_TRISTATE_ON } };

        d.features.ioapic.driver = DOMAIN_IOAPIC_KVM;
        expect_error(&d, "<ioapic driver=...> needs <domain type='kvm'>");
        d.virt_type = DOMAIN_VIRT_KVM;
        expect_contains(&d, ",kernel-irqchip=on ");
        d.features.kvm.dirty_ring = (DomainFeatureDirtyRing){ DOMAIN_TRISTATE_ON, 4096 };
        expect_contains(&d, "-accel kvm,dirty-ring-size=4096 ");
        d.features.hyperv = &hv;
        expect_contains(&d, "-cpu qemu64,hv-passthrough=on,hv-relaxed=on,hv-evmcs=off ");
        d.virt_type = DOMAIN_VIRT_QEMU;
        d.features.ioapic.driver = DOMAIN_IOAPIC_DEFAULT;
        d.features.kvm.dirty_ring.state = DOMAIN_TRISTATE_ABSENT;
        expect_error(&d, "<hyperv mode='passthrough'> needs <domain type='kvm'>");
        d.virt_type = DOMAIN_VIRT_KVM;
        hv = (DomainFeatureHyperv){
                .mode = DOMAIN_HYPERV_MODE_CUSTOM,
                .vpindex = { DOMAIN_TRISTATE_ON },
                .synic = { DOMAIN_TRISTATE_ON },
                .stimer = { DOMAIN_TRISTATE_ON, { DOMAIN_TRISTATE_ON } },
                .tlbflush = { DOMAIN_TRISTATE_ON, { DOMAIN_TRISTATE_ON }, { DOMAIN_TRISTATE_ON } },
                .ipi = { DOMAIN_TRISTATE_ON },
                .evmcs = { DOMAIN_TRISTATE_OFF }
        };
        expect_contains(&d, "-cpu qemu64,hv-vpindex=on,hv-synic=on,hv-stimer=on,hv-stimer-direct=on,"
                            "hv-tlbflush=on,hv-tlbflush-direct=on,hv-tlbflush-ext=on,hv-ipi=on ");
        d.features.smm.tseg_kib = 65536;
        expect_error(&d, "<smm><tseg> needs a q35 machine");
        d.os.machine = (char *) "q35";
        expect_contains(&d, "-global mch.extended-tseg-mbytes=64 ");
        d.features.smm.tseg_kib = 0;
        d.features.hap.state = DOMAIN_TRISTATE_OFF;
        expect_error(&d, "<hap state='off'> is not supported");
}

Test(qemu_argv, lifecycle) {
        Domain d = base_domain();

        d.on_poweroff = DOMAIN_ACTION_PRESERVE;
        expect_contains(&d, "-action reboot=reset,shutdown=pause,panic=pause ");
        d.on_poweroff = DOMAIN_ACTION_DESTROY;
        d.on_reboot = DOMAIN_ACTION_DESTROY;
        expect_contains(&d, "-action reboot=shutdown,shutdown=poweroff,panic=pause ");
        d.on_reboot = DOMAIN_ACTION_PRESERVE;
        expect_contains(&d, "-action reboot=shutdown,shutdown=pause,panic=pause ");
        d.on_reboot = DOMAIN_ACTION_RESTART;
        d.on_poweroff = DOMAIN_ACTION_RESTART;
        expect_contains(&d, "-action reboot=reset,shutdown=pause,panic=pause ");
        expect_lacks(&d, "-no-shutdown");
        d.on_crash = DOMAIN_ACTION_COREDUMP_DESTROY;
        expect_error(&d, "<on_crash>coredump-destroy</on_crash> is not supported");
        d.on_crash = DOMAIN_ACTION_DEFAULT;
        d.on_reboot = DOMAIN_ACTION_RENAME_RESTART;
        expect_error(&d, "<on_reboot>");
}

Test(qemu_argv, boot_order) {
        Domain d = base_domain();
        DomainDisk disk = { .source = (char *) "/i/a.img", .target_dev = (char *) "vda", .boot_order = 2 };
        DomainInterface net = { .mac = { 0x52, 0x54, 0, 1, 2, 3 }, .boot_order = 1 };

        d.os.boot[0] = DOMAIN_BOOT_CDROM;
        d.os.boot[1] = DOMAIN_BOOT_HD;
        d.os.boot[2] = DOMAIN_BOOT_NETWORK;
        d.os.n_boot = 3;
        d.os.bootmenu = DOMAIN_TRISTATE_ON;
        expect_contains(&d, "-boot order=dcn,menu=on ");
        d.os.boot[2] = DOMAIN_BOOT_CDROM;
        expect_error(&d, "same device twice");
        d.os.n_boot = 0;
        expect_contains(&d, "-boot menu=on ");
        d.os.bootmenu = DOMAIN_TRISTATE_ABSENT;
        expect_lacks(&d, "-boot");

        d.disks = &disk;
        d.n_disks = 1;
        d.interfaces = &net;
        d.n_interfaces = 1;
        expect_contains(&d, "id=virtio-disk0,drive=disk0-format,bootindex=2,bus=pci.0,addr=0x3 ");
        expect_contains(&d, "mac=52:54:00:01:02:03,bootindex=1,bus=pci.0,addr=0x2 ");
        net.boot_order = 2;
        expect_error(&d, "two devices have <boot order='2'>");
        d.os.n_boot = 1;
        expect_error(&d, "per-device boot elements cannot be used together with os/boot elements");
}

Test(qemu_argv, kernel_boot) {
        Domain d = base_domain();

        d.os.kernel = (char *) "/boot/vmlinuz,1";
        d.os.initrd = (char *) "/boot/initrd";
        d.os.cmdline = (char *) "console=ttyS0 root=/dev/vda";
        expect_contains(
                &d, "-kernel /boot/vmlinuz,1 -initrd /boot/initrd -append 'console=ttyS0 root=/dev/vda' ");
        d.os.kernel = NULL;
        expect_error(&d, "need a <kernel>");
}

Test(qemu_argv, firmware) {
        Domain d = base_domain();

        d.os.loader = (char *) "/usr/share/seabios/bios-256k.bin";
        expect_contains(&d, "-bios /usr/share/seabios/bios-256k.bin ");

        /* An explicit pflash loader: no descriptor is consulted. */
        d.os = (DomainOs){ .firmware = DOMAIN_FIRMWARE_EFI,
                           .loader = (char *) "/usr/share/OVMF/OVMF_CODE_4M.fd" };
        expect_error(&d, "firmware='efi' needs <nvram>");
        d.os.loader_stateless = DOMAIN_TRISTATE_ON;
        expect_contains(&d, "pflash0=pflash0-format -accel");
        d.os.loader_stateless = DOMAIN_TRISTATE_ABSENT;
        d.os.nvram = (char *) "/var/lib/vmunit/t/VARS,1.fd";
        expect_contains(
                &d,
                "-machine "
                "pc,usb=off,dump-guest-core=off,acpi=off,pflash0=pflash0-format,pflash1=pflash1-format "
                "-accel tcg "
                "-blockdev "
                "driver=file,filename=/usr/share/OVMF/"
                "OVMF_CODE_4M.fd,node-name=pflash0-storage,read-only=on "
                "-blockdev driver=raw,file=pflash0-storage,node-name=pflash0-format,read-only=on "
                "-blockdev "
                "driver=file,filename=/var/lib/vmunit/t/VARS,,1.fd,node-name=pflash1-storage,read-only=off "
                "-blockdev driver=raw,file=pflash1-storage,node-name=pflash1-format,read-only=off ");
        d.os.loader_secure = DOMAIN_TRISTATE_ON;
        expect_error(&d, "needs a q35 machine type");
        d.os.machine = (char *) "q35";
        expect_contains(&d, "acpi=off,smm=on,pflash0=");
        expect_contains(&d, "-global driver=cfi.pflash01,property=secure,value=on ");
        d.os.loader_format = DOMAIN_FIRMWARE_FORMAT_QCOW2;
        expect_contains(&d, "-blockdev driver=qcow2,file=pflash0-storage,");

        d.os = (DomainOs){ .loader = (char *) "/x/OVMF.fd",
                           .loader_type = DOMAIN_LOADER_PFLASH,
                           .loader_readonly = DOMAIN_TRISTATE_OFF };
        expect_contains(&d, "pflash0=pflash0-format -accel");
        expect_contains(&d, "filename=/x/OVMF.fd,node-name=pflash0-storage,read-only=off ");
        d.os.loader_type = DOMAIN_LOADER_ROM;
        d.os.nvram = (char *) "/x/VARS.fd";
        expect_error(&d, "type='pflash'");
}

/* ---- disks -------------------------------------------------------------- */

Test(qemu_argv, disk_index) {
        unsigned i;

        cr_assert_eq(qemu_argv_disk_index("vda", &i), 0);
        cr_assert_eq(i, 0);
        cr_assert_eq(qemu_argv_disk_index("sdz", &i), 0);
        cr_assert_eq(i, 25);
        cr_assert_eq(qemu_argv_disk_index("hdaa", &i), 0);
        cr_assert_eq(i, 26);
        cr_assert_eq(qemu_argv_disk_index("vd", &i), -EINVAL);
        cr_assert_eq(qemu_argv_disk_index("xvda", &i), -EINVAL);
        cr_assert_eq(qemu_argv_disk_index("vdA", &i), -EINVAL);
        cr_assert_eq(qemu_argv_disk_index("vd1", &i), -EINVAL);
}

Test(qemu_argv, disk_virtio_cache_serial) {
        Domain d = base_domain();
        DomainDisk disk = {
                .source = (char *) "/i/a.qcow2",
                .target_dev = (char *) "vdb",
                .format = DOMAIN_DISK_FORMAT_QCOW2,
                .cache = DOMAIN_DISK_CACHE_NONE,
                .serial = (char *) "SN 1",
                .shareable = true,
        };

        d.disks = &disk;
        d.n_disks = 1;
        expect_contains(&d,
                        "-blockdev "
                        "driver=file,filename=/i/"
                        "a.qcow2,node-name=disk0-storage,cache.direct=on,cache.no-flush=off,read-only=off "
                        "-blockdev "
                        "driver=qcow2,file=disk0-storage,node-name=disk0-format,cache.direct=on,cache.no-"
                        "flush=off,read-only=off "
                        "-device 'virtio-blk-pci,id=virtio-disk1,drive=disk0-format,serial=SN "
                        "1,write-cache=on,share-rw=on,bus=pci.0,addr=0x2' ");
        disk.cache = DOMAIN_DISK_CACHE_UNSAFE;
        expect_contains(&d, "cache.direct=off,cache.no-flush=on");
        disk.cache = DOMAIN_DISK_CACHE_DIRECTSYNC;
        expect_contains(&d, "write-cache=off");
        disk.serial = (char *) "a,b";
        expect_error(&d, "<serial> may only contain");
        disk.serial = NULL;
        disk.readonly = true;
        disk.type = DOMAIN_DISK_TYPE_BLOCK;
        disk.cache = DOMAIN_DISK_CACHE_DEFAULT;
        expect_contains(
                &d,
                "-blockdev driver=host_device,filename=/i/a.qcow2,node-name=disk0-storage,read-only=on ");
        disk.driver_name = (char *) "tap";
        expect_error(&d, "unsupported driver name 'tap'");
}

Test(qemu_argv, disk_buses_pc) {
        Domain d = base_domain();
        DomainDisk disks[] = {
                { .source = (char *) "/i/s.img", .target_dev = (char *) "sdb" },
                { .target_dev = (char *) "hdc", .device = DOMAIN_DISK_DEVICE_CDROM },
                { .source = (char *) "/i/c.iso",
                  .target_dev = (char *) "sdc",
                  .bus = DOMAIN_DISK_BUS_SCSI,
                  .device = DOMAIN_DISK_DEVICE_CDROM },
                { .source = (char *) "/i/f.img",
                  .target_dev = (char *) "fdb",
                  .device = DOMAIN_DISK_DEVICE_FLOPPY },
                { .source = (char *) "/i/u.img", .target_dev = (char *) "sdd", .bus = DOMAIN_DISK_BUS_USB },
        };
        _cleanup_free_ char *line = NULL;

        d.disks = disks;
        d.n_disks = ELEMENTSOF(disks);
        line = build_line(&d);
        /* implicit controllers first */
        cr_assert(strstr(line, "-device qemu-xhci,id=usb,bus=pci.0,addr=0x2 -device "
                               "virtio-scsi-pci,id=scsi0,bus=pci.0,addr=0x3 -device "
                               "ich9-ahci,id=sata0,bus=pci.0,addr=0x4 "),
                  "%s", line);
        cr_assert(strstr(line, "-device ide-hd,bus=sata0.1,id=sata0-0-1,drive=disk0-format "), "%s", line);
        cr_assert(strstr(line, "-device ide-cd,bus=ide.1,unit=0,id=ide0-1-0 "), "%s", line);
        cr_assert(!strstr(line, "disk1-"), "%s", line);
        cr_assert(strstr(line,
                         "read-only=on -device "
                         "scsi-cd,bus=scsi0.0,channel=0,scsi-id=0,lun=2,id=scsi0-0-0-2,drive=disk2-format "),
                  "%s", line);
        cr_assert(strstr(line, "-device floppy,unit=1,id=fdc0-0-1,drive=disk3-format "), "%s", line);
        cr_assert(strstr(line, "-device usb-storage,bus=usb.0,id=usb-disk3,drive=disk4-format "), "%s",
                  line);

        d.os.machine = (char *) "q35";
        expect_error(&d, "IDE is not available on q35");
        d.n_disks = 1;
        expect_contains(&d, "-device ide-hd,bus=ide.1,id=sata0-0-1,drive=disk0-format ");
        expect_lacks(&d, "ich9-ahci");
}

/* device='lun' is scsi-block on a host block device; options QEMU's
 * devices lack, or that need objects vmunit does not build, are refused. */
Test(qemu_argv, disk_lun_and_options) {
        Domain d = base_domain();
        DomainDisk disk = { .type = DOMAIN_DISK_TYPE_BLOCK,
                            .device = DOMAIN_DISK_DEVICE_LUN,
                            .source = (char *) "/dev/sdz",
                            .target_dev = (char *) "sda",
                            .bus = DOMAIN_DISK_BUS_SCSI };

        d.disks = &disk;
        d.n_disks = 1;
        expect_contains(
                &d, "-device "
                    "scsi-block,bus=scsi0.0,channel=0,scsi-id=0,lun=0,id=scsi0-0-0-0,drive=disk0-format");
        disk.sgio = DOMAIN_DISK_SGIO_UNFILTERED;
        expect_error(&d, "disk 'sda': sgio='unfiltered' is not supported");
        disk.sgio = DOMAIN_DISK_SGIO_FILTERED;
        disk.rawio = DOMAIN_TRISTATE_ON;
        expect_error(&d, "disk 'sda': rawio='yes' is not supported: QEMU runs without CAP_SYS_RAWIO");
        disk.rawio = DOMAIN_TRISTATE_OFF;
        disk.type = DOMAIN_DISK_TYPE_FILE;
        expect_error(&d, "device='lun' needs a host block device (type='block'), not a file");
        disk.type = DOMAIN_DISK_TYPE_BLOCK;
        disk.bus = DOMAIN_DISK_BUS_SATA;
        expect_error(&d, "device='lun' needs bus='scsi'");
        disk = (DomainDisk){ .source = (char *) "/a", .target_dev = (char *) "vda" };
        disk.iothread = 1;
        expect_error(&d, "disk 'vda': iothread 1 is not defined in <iothreads>");
        d.iothreads = 2;
        expect_contains(&d, "-object iothread,id=iothread1 -object iothread,id=iothread2 ");
        expect_contains(&d, "virtio-blk-pci,id=virtio-disk0,drive=disk0-format,iothread=iothread1,");
        disk.iothread = 3;
        expect_error(&d, "disk 'vda': iothread 3 is not defined in <iothreads>");
        disk.iothread = 0;
        DomainController scsi = { .type = DOMAIN_CONTROLLER_SCSI,
                                  .model = (char *) "virtio-scsi",
                                  .iothread = 2 };
        d.controllers = &scsi;
        d.n_controllers = 1;
        expect_contains(&d, "-device virtio-scsi-pci,id=scsi0,iothread=iothread2,");
        scsi.iothread = 3;
        expect_error(&d, "SCSI controller 0: iothread 3 is not defined in <iothreads>");
        d.controllers = NULL;
        d.n_controllers = 0;
        disk.bus = DOMAIN_DISK_BUS_SATA;
        disk.iothread = 1;
        expect_error(&d, "disk 'vda': iothread needs bus='virtio'");
        disk.bus = 0;
        d.iothreads = 0;
        disk.iothread = 0;
        disk.copy_on_read = DOMAIN_TRISTATE_ON;
        expect_error(&d, "copy_on_read='on' needs a copy-on-read filter node");
        disk.copy_on_read = DOMAIN_TRISTATE_OFF;
        disk.queue_size = 100;
        expect_error(&d, "queue_size must be a power of two");
        disk.queue_size = 0;
        disk.vendor = (char *) "V";
        expect_error(&d, "<vendor> and <product> need bus='scsi'");
        disk.vendor = NULL;
        disk.target_dev = (char *) "sda";
        disk.queues = 2;
        expect_error(&d, "queues, queue_size and the virtio options need bus='virtio'");
        disk.queues = 0;
        disk.device = DOMAIN_DISK_DEVICE_CDROM;
        disk.startup_policy = DOMAIN_DISK_STARTUP_OPTIONAL;
        expect_error(&d, "startupPolicy='optional' (dropping a missing medium at start) is not supported");
}

Test(qemu_argv, disk_errors) {
        Domain d = base_domain();
        DomainDisk disk = { .target_dev = (char *) "vda" };

        d.disks = &disk;
        d.n_disks = 1;
        expect_error(&d, "disk 'vda' has no <source>");
        disk.device = DOMAIN_DISK_DEVICE_CDROM;
        expect_error(&d, "a cdrom cannot be on bus virtio");
        disk.device = DOMAIN_DISK_DEVICE_FLOPPY;
        expect_error(&d, "floppies go on bus 'fdc'");
        disk.target_dev = (char *) "fda";
        d.os.machine = (char *) "q35";
        expect_error(&d, "q35 machine types have no floppy controller");
        d.os.machine = NULL;
        disk.target_dev = (char *) "fdc";
        expect_error(&d, "2 drives");
        disk = (DomainDisk){ .source = (char *) "/i/x", .target_dev = (char *) "sdg" };
        expect_error(&d, "6 ports");
        disk.target_dev = (char *) "xvda";
        expect_error(&d, "invalid disk target 'xvda'");
        DomainDisk two[] = { { .source = (char *) "/a", .target_dev = (char *) "vda" },
                             { .source = (char *) "/b", .target_dev = (char *) "vda" } };
        d.disks = two;
        d.n_disks = 2;
        expect_error(&d, "two disks have target 'vda'");
}

/* ---- controllers -------------------------------------------------------- */

Test(qemu_argv, controllers) {
        Domain d = base_domain();
        DomainController c[] = {
                { .type = DOMAIN_CONTROLLER_USB, .model = (char *) "piix3-uhci" },
                { .type = DOMAIN_CONTROLLER_PCI, .model = (char *) "pcie-root" },
                { .type = DOMAIN_CONTROLLER_PCI, .index = 1, .model = (char *) "pcie-root-port" },
                { .type = DOMAIN_CONTROLLER_SATA },
                { .type = DOMAIN_CONTROLLER_SCSI, .model = (char *) "virtio-scsi" },
                { .type = DOMAIN_CONTROLLER_VIRTIO_SERIAL },
        };
        DomainInput tablet = { .type = DOMAIN_INPUT_TABLET };

        d.os.machine = (char *) "q35";
        d.controllers = c;
        d.n_controllers = ELEMENTSOF(c);
        d.inputs = &tablet;
        d.n_inputs = 1;
        /* The given root port keeps index 1 and takes 00:01.0; the
         * conventional UHCI goes behind a pcie-to-pci-bridge in a root
         * port of its own; libvirt's one spare port comes last, and no
         * more spares since the domain lists root ports itself. */
        expect_contains(
                &d,
                "-device pcie-root-port,port=0x8,chassis=1,id=pci.1,bus=pcie.0,addr=0x1,multifunction=on "
                "-device pcie-root-port,port=0x9,chassis=2,id=pci.2,bus=pcie.0,addr=0x1.0x1 "
                "-device pcie-pci-bridge,id=pci.3,bus=pci.1,addr=0x0 "
                "-device pcie-root-port,port=0xa,chassis=4,id=pci.4,bus=pcie.0,addr=0x1.0x2 "
                "-device piix3-usb-uhci,id=usb,bus=pci.3,addr=0x1 "
                "-device virtio-scsi-pci,id=scsi0,bus=pci.2,addr=0x0 "
                "-device virtio-serial-pci,id=virtio-serial0,bus=pci.4,addr=0x0 -display none "
                "-device usb-tablet,id=input0,bus=usb.0 ");
        expect_lacks(&d, "id=pci.5");
        c[0].model = (char *) "none";
        expect_error(&d, "need a USB controller, but its model is 'none'");
        d.n_inputs = 0;
        expect_lacks(&d, "-device usb");
        expect_lacks(&d, "xhci");
        c[0].model = (char *) "qusb1";
        expect_error(&d, "unsupported USB controller model 'qusb1'");
        c[0].model = NULL;
        c[4].model = (char *) "lsilogic";
        expect_contains(&d, "-device lsi53c895a,id=scsi0,bus=pci.3,addr=0x1 ");
        c[4].queues = 2;
        expect_error(&d, "model 'lsilogic' takes no <driver> options");
        c[4].model = (char *) "buslogic";
        expect_error(&d, "unsupported SCSI controller model 'buslogic' (virtio-scsi or lsilogic)");
        c[4].model = NULL;
        c[4].cmd_per_lun = 8;
        c[4].ioeventfd = DOMAIN_TRISTATE_OFF;
        expect_contains(&d, "-device virtio-scsi-pci,id=scsi0,num_queues=2,cmd_per_lun=8,ioeventfd=off,");
        c[4].iothread = 1;
        expect_error(&d, "SCSI controller 0: iothread 1 is not defined in <iothreads>");
        c[4] = (DomainController){ .type = DOMAIN_CONTROLLER_SCSI, .index = c[4].index };
        c[1].model = (char *) "pci-root";
        expect_error(&d, "model 'pcie-root'");
        c[1] = (DomainController){ .type = DOMAIN_CONTROLLER_IDE };
        expect_error(&d, "IDE controllers are not available on q35");
        c[1] = (DomainController){ .type = DOMAIN_CONTROLLER_SCSI };
        expect_error(&d, "two controllers of the same type have index 0");
}

/* ---- NICs, chardevs, graphics, video, input, panic, balloon ------------- */

Test(qemu_argv, interfaces) {
        Domain d = base_domain();
        DomainInterface nets[] = {
                { .mac = { 0x52, 0x54, 0, 0xab, 0xcd, 0xef } },
                { .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .model = (char *) "e1000e" },
        };

        d.interfaces = nets;
        d.n_interfaces = 2;
        expect_contains(&d,
                        "-netdev user,id=hostnet0 -device "
                        "virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:ab:cd:ef,bus=pci.0,addr=0x2 "
                        "-netdev user,id=hostnet1 -device "
                        "e1000e,netdev=hostnet1,id=net1,mac=52:54:00:00:00:01,bus=pci.0,addr=0x3 ");
        nets[1].model = (char *) "ne2k_isa";
        expect_error(&d, "unsupported interface model 'ne2k_isa'");
        nets[1].model = (char *) "virtio-transitional";
        expect_contains(&d, "-device virtio-net-pci-transitional,");
        nets[1].model = NULL;
        nets[1].mac[0] = 0x53;
        expect_error(&d, "multicast");
}

Test(qemu_argv, chardevs) {
        Domain d = base_domain();
        DomainChar chars[] = {
                { .kind = DOMAIN_CHAR_SERIAL,
                  .type = DOMAIN_CHAR_FILE,
                  .path = (char *) "/l/a,b.log",
                  .append = true,
                  .target_port = 1 },
                { .kind = DOMAIN_CHAR_SERIAL,
                  .type = DOMAIN_CHAR_UNIX,
                  .path = (char *) "/run/s.sock",
                  .target_port = -1 },
                { .kind = DOMAIN_CHAR_CONSOLE, .type = DOMAIN_CHAR_PTY, .target_port = 0 },
                { .kind = DOMAIN_CHAR_CONSOLE,
                  .type = DOMAIN_CHAR_NULL,
                  .target_type = DOMAIN_CHAR_TARGET_VIRTIO,
                  .target_port = -1 },
                { .kind = DOMAIN_CHAR_SERIAL, .type = DOMAIN_CHAR_STDIO, .target_port = -1 },
        };
        QemuArgvOptions o = test_options;
        _cleanup_free_ char *line = NULL;

        d.chars = chars;
        d.n_chars = ELEMENTSOF(chars);
        o.console_log = true;
        line = build_line_opts(&d, &o, NULL, NULL);
        cr_assert(strstr(line, "-device virtio-serial-pci,id=virtio-serial0,bus=pci.0,addr=0x2 "), "%s",
                  line);
        cr_assert(strstr(line, "-chardev file,id=charserial1,path=/l/a,,b.log,append=on "
                               "-device isa-serial,chardev=charserial1,id=serial1,index=1 "
                               "-chardev "
                               "socket,id=charserial0,path=/run/s.sock,logfile=/run/vmunit/t/"
                               "console.log,logappend=on "
                               "-device isa-serial,chardev=charserial0,id=serial0,index=0 "
                               "-chardev null,id=charconsole1 "
                               "-device virtconsole,chardev=charconsole1,id=console1,bus=virtio-serial0.0 "
                               "-chardev stdio,id=charserial2,signal=off "
                               "-device isa-serial,chardev=charserial2,id=serial2,index=2 "),
                  "%s", line);
        cr_assert(!strstr(line, "pty"), "%s", line);

        chars[1].unix_listen = true;
        expect_contains(&d, "path=/run/s.sock,server=on,wait=off -device");
        chars[0].target_port = 2;
        chars[4].target_port = 2;
        expect_error(&d, "two serial ports use port 2");
        chars[4].target_port = 4;
        expect_error(&d, "serial port 4 out of range");
        chars[4].target_port = -1;
        chars[4].type = DOMAIN_CHAR_FILE;
        chars[4].path = NULL;
        expect_error(&d, "needs a <source path>");
        chars[4].path = (char *) "/run/vmunit/a-very-long-directory-name-that-goes-on-and-on/"
                                 "and-on-and-on-and-on-and-on-and-on/and-on-and-on/x.sock";
        chars[4].type = DOMAIN_CHAR_UNIX;
        expect_error(&d, "longer than the UNIX socket limit of 107 bytes");
}

Test(qemu_argv, console_only_becomes_serial0) {
        Domain d = base_domain();
        DomainChar chars[] = {
                { .kind = DOMAIN_CHAR_CONSOLE, .type = DOMAIN_CHAR_PTY, .target_port = -1 },
                { .kind = DOMAIN_CHAR_CONSOLE, .type = DOMAIN_CHAR_PTY, .target_port = -1 },
        };

        d.chars = chars;
        d.n_chars = 1;
        expect_contains(
                &d,
                "-chardev pty,id=charserial0 -device isa-serial,chardev=charserial0,id=serial0,index=0 ");
        d.n_chars = 2;
        expect_error(&d, "only the first <console> can be a serial console");
}

/* Channels: ports from <address> kept, the others the lowest free from 1;
 * a pathless unix channel's socket in the runtime dir; port 0 and SPICE
 * refused. */
Test(qemu_argv, channels) {
        Domain d = base_domain();
        DomainAddress port1 = { .type = DOMAIN_ADDRESS_VIRTIO_SERIAL, .port = (char *) "1" },
                      pci = { .type = DOMAIN_ADDRESS_PCI };
        DomainChar chars[] = {
                { .kind = DOMAIN_CHAR_CHANNEL,
                  .type = DOMAIN_CHAR_PTY,
                  .target_type = DOMAIN_CHAR_TARGET_VIRTIO,
                  .target_port = -1 },
                { .kind = DOMAIN_CHAR_CHANNEL,
                  .type = DOMAIN_CHAR_UNIX,
                  .unix_listen = true,
                  .target_type = DOMAIN_CHAR_TARGET_VIRTIO,
                  .target_name = (char *) "org.qemu.guest_agent.0",
                  .target_port = -1,
                  .info.address = &port1 },
        };

        d.chars = chars;
        d.n_chars = ELEMENTSOF(chars);
        expect_contains(&d, "-device virtio-serial-pci,id=virtio-serial0,");
        expect_contains(&d,
                        "-chardev pty,id=charchannel0 "
                        "-device virtserialport,bus=virtio-serial0.0,nr=2,chardev=charchannel0,id=channel0 "
                        "-chardev socket,id=charchannel1,path=/run/vmunit/t/"
                        "channel.org.qemu.guest_agent.0,server=on,wait=off "
                        "-device virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel1,id=channel1,"
                        "name=org.qemu.guest_agent.0 ");
        chars[0].info.address = &port1;
        expect_error(&d, "two channels use virtio-serial port 1");
        port1.port = (char *) "31";
        expect_error(&d, "virtio-serial port '31' out of range (1..30)");
        port1.port = NULL;
        port1.controller = (XmlNum){ .set = true, .value = 1 };
        expect_error(&d, "channel on virtio-serial controller 1, which is not defined");
        chars[0].info.address = &pci;
        expect_error(&d, "a channel's <address> must be of type 'virtio-serial'");
        chars[0].info.address = NULL;
        chars[1].info.address = NULL;
        chars[0].type = DOMAIN_CHAR_SPICEVMC;
        expect_error(&d, "a spicevmc channel needs <graphics type='spice'>");
        DomainGraphics spice = { .type = DOMAIN_GRAPHICS_SPICE, .port = -1, .autoport = true };
        d.graphics = &spice;
        d.n_graphics = 1;
        expect_contains(&d, "-chardev spicevmc,id=charchannel0,name=vdagent ");
}

/* <iommu>: intel on q35 only, with kernel-irqchip=split for intremap;
 * smmuv3 is Arm's. */
Test(qemu_argv, iommu) {
        Domain d = base_domain();
        DomainIommu io = { .model = DOMAIN_IOMMU_INTEL,
                           .driver = { .intremap = DOMAIN_TRISTATE_ON, .eim = DOMAIN_TRISTATE_OFF } };

        d.iommu = &io;
        expect_error(&d, "<iommu model='intel'> needs a q35 machine type");
        d.os.machine = (char *) "q35";
        expect_contains(&d, ",kernel-irqchip=split");
        expect_contains(&d, "-device intel-iommu,id=iommu0,intremap=on,eim=off ");
        io.driver.aw_bits = 40;
        expect_error(&d, "aw_bits must be 39 or 48, not 40");
        io.driver = (DomainIommuDriver){};
        expect_lacks(&d, "kernel-irqchip");
        io.model = DOMAIN_IOMMU_VIRTIO;
        expect_contains(&d, "-device virtio-iommu-pci,id=iommu0,bus=pci.");
        io.model = DOMAIN_IOMMU_SMMUV3;
        expect_error(&d, "<iommu model='smmuv3'> is an Arm IOMMU: vmunit runs x86 guests");
}

Test(qemu_argv, vsock_refused) {
        Domain d = base_domain();
        DomainVsock vsock = { .cid = { .auto_ = DOMAIN_TRISTATE_ON } };

        d.vsock = &vsock;
        expect_error(&d, "<vsock> is not supported yet: vhost-vsock needs /dev/vhost-vsock opened by the "
                         "supervisor and passed to QEMU");
}

Test(qemu_argv, graphics_and_video) {
        Domain d = base_domain();
        DomainGraphics g = { .type = DOMAIN_GRAPHICS_VNC, .port = -1, .autoport = true };
        DomainVideo v = { .model = DOMAIN_VIDEO_VGA, .vram_kib = 16384 };

        d.graphics = &g;
        d.n_graphics = 1;
        expect_contains(&d, "-vnc 127.0.0.1:0,to=99 -device VGA,id=video0,bus=pci.0,addr=0x2 ");
        expect_lacks(&d, "-display none");
        g = (DomainGraphics){ .type = DOMAIN_GRAPHICS_VNC, .port = 5905, .listen = (char *) "::1" };
        expect_contains(&d, "-vnc '[::1]:5' ");
        g.port = 80;
        expect_error(&d, "VNC port 80 out of range");
        g = (DomainGraphics){ .type = DOMAIN_GRAPHICS_VNC,
                              .port = -1,
                              .listen = (char *) "0.0.0.0,password=on" };
        expect_error(&d, "must be an IPv4 or IPv6 address");
        g = (DomainGraphics){ .type = DOMAIN_GRAPHICS_VNC,
                              .port = -1,
                              .socket = (char *) "/run/vmunit/t/vnc,1.sock" };
        expect_contains(&d, "-vnc unix:/run/vmunit/t/vnc,,1.sock ");

        d.videos = &v;
        d.n_videos = 1;
        expect_contains(&d, "-device VGA,id=video0,vgamem_mb=16,bus=pci.0,addr=0x2 ");
        v.model = DOMAIN_VIDEO_CIRRUS;
        v.vram_kib = 9216;
        /* libvirt passes no vram to cirrus: QEMU's 4 MiB whatever it says. */
        expect_contains(&d, "-device cirrus-vga,id=video0,bus=pci.0,addr=0x2 ");
        v = (DomainVideo){ .model = DOMAIN_VIDEO_VIRTIO, .vram_kib = 16384 };
        expect_contains(&d, "-device virtio-vga,id=video0,bus=pci.0,addr=0x2 ");
        v.model = DOMAIN_VIDEO_NONE;
        expect_lacks(&d, "video0");
        d.n_graphics = 0;
        v.model = DOMAIN_VIDEO_BOCHS;
        expect_contains(&d,
                        "-display none -device bochs-display,id=video0,vgamem=16384k,bus=pci.0,addr=0x2 ");
}

Test(qemu_argv, inputs_panic_balloon) {
        Domain d = base_domain();
        DomainInput in[] = {
                { .type = DOMAIN_INPUT_MOUSE },
                { .type = DOMAIN_INPUT_KEYBOARD, .bus = DOMAIN_INPUT_BUS_VIRTIO },
                { .type = DOMAIN_INPUT_TABLET, .bus = DOMAIN_INPUT_BUS_VIRTIO },
        };

        d.inputs = in;
        d.n_inputs = 3;
        DomainPanic panic = { .model = DOMAIN_PANIC_DEFAULT };
        DomainMemballoon balloon = { .model = DOMAIN_MEMBALLOON_VIRTIO,
                                     .autodeflate = DOMAIN_TRISTATE_ON,
                                     .free_page_reporting = DOMAIN_TRISTATE_OFF,
                                     .virtio.iommu = DOMAIN_TRISTATE_ON };

        d.panics = &panic;
        d.n_panics = 1;
        d.memballoon = NULL;
        /* The balloon comes before input devices in libvirt's order. */
        expect_contains(&d, "-device virtio-keyboard-pci,id=input1,bus=pci.0,addr=0x3 "
                            "-device virtio-tablet-pci,id=input2,bus=pci.0,addr=0x4 "
                            "-device virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x2 "
                            "-device pvpanic,ioport=1285 ");
        expect_lacks(&d, "xhci");
        in[2].model = DOMAIN_VIRTIO_MODEL_NON_TRANSITIONAL;
        in[2].virtio.ats = DOMAIN_TRISTATE_ON;
        expect_contains(&d, "-device virtio-tablet-pci,id=input2,ats=on,bus=pci.0,addr=0x4 ");
        in[2].model = DOMAIN_VIRTIO_MODEL_TRANSITIONAL;
        expect_error(&d, "virtio input devices have no transitional model (virtio 1.0 only)");
        in[2].bus = DOMAIN_INPUT_BUS_PS2;
        expect_error(&d, "tablet cannot be on bus ps2");
        d.n_inputs = 0;
        panic.model = DOMAIN_PANIC_PVPANIC;
        expect_contains(&d, "-device pvpanic-pci,bus=pci.0,addr=0x3 ");
        d.os.machine = (char *) "q35";
        /* Integrated: on pcie.0 itself, never behind a root port. */
        expect_contains(&d, "-device pvpanic-pci,bus=pcie.0,addr=0x2 ");
        d.os.machine = NULL;
        panic.model = DOMAIN_PANIC_HYPERV;
        expect_error(&d, "<panic model='hyperv'> needs a <cpu> model or mode");
        d.cpu.model.name = (char *) "qemu64";
        expect_contains(&d, "-cpu qemu64,hv-crash=on ");
        d.memballoon = &balloon;
        expect_contains(&d,
                        "-device virtio-balloon-pci,id=balloon0,deflate-on-oom=on,free-page-reporting=off,"
                        "iommu_platform=on,bus=pci.0,addr=0x2 ");
}

Test(qemu_argv, qmp_socket_too_long) {
        Domain d = base_domain();
        QemuArgvOptions o = test_options;
        _cleanup_free_ char *error = NULL;
        char dir[120];
        int r = 0;

        memset(dir, 'a', sizeof(dir) - 1);
        dir[0] = '/';
        dir[sizeof(dir) - 1] = '\0';
        o.runtime_dir = dir;
        cr_assert_null(build_line_opts(&d, &o, &r, &error));
        cr_assert_eq(r, -EINVAL);
        cr_assert(strstr(error, "qmp.sock is longer than the UNIX socket limit of 107 bytes"), "%s", error);
        o.qmp_fd = 4; /* an inherited socket has no path limit */
        free(build_line_opts(&d, &o, &r, NULL));
        cr_assert_eq(r, 0);
}

/* ---- with a file table: QEMU gets fds ----------------------------------- */

Test(qemu_argv_fds, every_kind_of_file) {
        Domain d = base_domain();
        DomainDisk disks[] = {
                { .source = (char *) "/i/a,b.img", .target_dev = (char *) "vda" },
                { .source = (char *) "/dev/sdz",
                  .type = DOMAIN_DISK_TYPE_BLOCK,
                  .device = DOMAIN_DISK_DEVICE_CDROM,
                  .target_dev = (char *) "hdc" },
        };
        DomainChar chars[] = {
                { .kind = DOMAIN_CHAR_SERIAL,
                  .type = DOMAIN_CHAR_FILE,
                  .path = (char *) "/l/s.log",
                  .target_port = 1 },
                { .kind = DOMAIN_CHAR_SERIAL,
                  .type = DOMAIN_CHAR_UNIX,
                  .path = (char *) "/run/b.sock",
                  .unix_listen = true,
                  .target_port = 0 },
                { .kind = DOMAIN_CHAR_SERIAL,
                  .type = DOMAIN_CHAR_UNIX,
                  .path = (char *) "/run/c.sock",
                  .target_port = 2 },
        };
        QemuArgvOptions o = test_options;
        _cleanup_(vm_files_done) VmFiles files = {};
        _cleanup_free_ char *line = NULL;

        d.disks = disks;
        d.n_disks = ELEMENTSOF(disks);
        d.chars = chars;
        d.n_chars = ELEMENTSOF(chars);
        d.os.kernel = (char *) "/boot/vmlinuz";
        d.os.initrd = (char *) "/boot/initrd";
        d.os.loader = (char *) "/fw/bios.bin";
        o.console_log = true;
        synthetic_files(&d, "/run/vmunit/t/console.log", &files);
        o.files = &files;
        line = build_line_opts(&d, &o, NULL, NULL);
        /* kernel 4, initrd 5, bios 6: reopened by QEMU's loaders. */
        cr_assert(strstr(line, "-bios /proc/self/fd/6 "), "%s", line);
        cr_assert(strstr(line, "-kernel /proc/self/fd/4 -initrd /proc/self/fd/5 "), "%s", line);
        /* Disks: fd sets 1 and 2, the node and device part unchanged. */
        cr_assert(strstr(line,
                         "-add-fd fd=7,set=1,opaque=disk0-storage "
                         "-blockdev driver=file,filename=/dev/fdset/1,node-name=disk0-storage,read-only=off "
                         "-blockdev driver=raw,file=disk0-storage,node-name=disk0-format,read-only=off "
                         "-device virtio-blk-pci,id=virtio-disk0,drive=disk0-format,bus=pci.0,addr=0x2 "),
                  "%s", line);
        cr_assert(strstr(line, "-add-fd fd=8,set=2,opaque=disk1-storage "
                               "-blockdev driver=host_cdrom,filename=/dev/fdset/2,node-name=disk1-storage,"
                               "read-only=on "),
                  "%s", line);
        /* A log QEMU appends to (append='off' is the supervisor's
         * truncation), a socket it listens on by fd, one it connects to
         * by path, and the console log. */
        cr_assert(strstr(line, "-add-fd fd=9,set=3,opaque=charserial1 "
                               "-chardev file,id=charserial1,path=/dev/fdset/3,append=on "),
                  "%s", line);
        cr_assert(strstr(line, "-add-fd fd=11,set=4,opaque=charserial0-log "
                               "-chardev socket,id=charserial0,fd=10,server=on,wait=off,"
                               "logfile=/dev/fdset/4,logappend=on "),
                  "%s", line);
        cr_assert(strstr(line, "-chardev socket,id=charserial2,path=/run/c.sock "), "%s", line);
        cr_assert(!strstr(line, "/i/a") && !strstr(line, "/l/s.log") && !strstr(line, "/boot/") &&
                          !strstr(line, "console.log") && !strstr(line, "/dev/sdz") &&
                          !strstr(line, "b.sock"),
                  "a path QEMU gets an fd for is on its command line: %s", line);
}

Test(qemu_argv_fds, pflash_and_a_missing_entry) {
        Domain d = base_domain();
        QemuArgvOptions o = test_options;
        _cleanup_(vm_files_done) VmFiles files = {};
        _cleanup_free_ char *line = NULL, *error = NULL;
        int r = 0;

        d.os.firmware = DOMAIN_FIRMWARE_EFI;
        d.os.loader = (char *) "/usr/share/OVMF/OVMF_CODE_4M.fd";
        d.os.nvram = (char *) "/var/lib/vmunit/t/VARS.fd";
        synthetic_files(&d, NULL, &files);
        o.files = &files;
        line = build_line_opts(&d, &o, NULL, NULL);
        cr_assert(
                strstr(line,
                       "-add-fd fd=4,set=1,opaque=pflash0-storage "
                       "-blockdev driver=file,filename=/dev/fdset/1,node-name=pflash0-storage,read-only=on "
                       "-blockdev driver=raw,file=pflash0-storage,node-name=pflash0-format,read-only=on "
                       "-add-fd fd=5,set=2,opaque=pflash1-storage "
                       "-blockdev "
                       "driver=file,filename=/dev/fdset/2,node-name=pflash1-storage,read-only=off "),
                "%s", line);
        /* The builder never falls back to a path the table does not have. */
        d.os.nvram = (char *) "/elsewhere/VARS.fd";
        free(build_line_opts(&d, &o, &r, &error));
        cr_assert_eq(r, -EINVAL);
        cr_assert(strstr(error, "NVRAM file /elsewhere/VARS.fd has no file descriptor for QEMU"), "%s",
                  error);
}

Test(qemu_argv_fds, one_file_one_fd_set) {
        Domain d = base_domain();
        DomainChar chars[] = {
                { .kind = DOMAIN_CHAR_SERIAL,
                  .type = DOMAIN_CHAR_FILE,
                  .path = (char *) "/l/s.log",
                  .target_port = 0 },
                { .kind = DOMAIN_CHAR_SERIAL,
                  .type = DOMAIN_CHAR_FILE,
                  .path = (char *) "/l/s.log",
                  .target_port = 1 },
        };
        QemuArgvOptions o = test_options;
        _cleanup_(vm_files_done) VmFiles files = {};
        _cleanup_free_ char *line = NULL;

        d.chars = chars;
        d.n_chars = ELEMENTSOF(chars);
        synthetic_files(&d, NULL, &files);
        cr_assert_eq(files.n, 1);
        o.files = &files;
        line = build_line_opts(&d, &o, NULL, NULL);
        cr_assert(strstr(line, "-add-fd fd=4,set=1,opaque=charserial0 -chardev "
                               "file,id=charserial0,path=/dev/fdset/1,"
                               "append=on -device isa-serial,chardev=charserial0,id=serial0,index=0 "
                               "-chardev file,id=charserial1,path=/dev/fdset/1,append=on "),
                  "%s", line);
}

/* ---- golden files ------------------------------------------------------- */

/* SPICE: QEMU cannot pick a port, so autoport takes the supervisor's
 * (spice_port) or libvirt's 5900; a password keeps ticketing on. */
Test(qemu_argv, spice) {
        Domain d = base_domain();
        DomainGraphics g = { .type = DOMAIN_GRAPHICS_SPICE, .port = -1, .autoport = true };
        QemuArgvOptions o = test_options;
        _cleanup_free_ char *line = NULL;

        d.graphics = &g;
        d.n_graphics = 1;
        expect_contains(&d, "-spice port=5900,addr=127.0.0.1,disable-ticketing=on,seamless-migration=on ");
        o.spice_port = 5904;
        line = build_line_opts(&d, &o, NULL, NULL);
        cr_assert(strstr(line, "-spice port=5904,"), "%s", line);
        g.passwd = (char *) "x";
        expect_contains(&d, "-spice port=5900,addr=127.0.0.1,seamless-migration=on ");
        g = (DomainGraphics){ .type = DOMAIN_GRAPHICS_SPICE,
                              .port = -1,
                              .listen_el.type = DOMAIN_GRAPHICS_LISTEN_NONE };
        expect_contains(&d, "-spice port=0,disable-ticketing=on");
        g = (DomainGraphics){ .type = DOMAIN_GRAPHICS_NONE };
        expect_contains(&d, "-display none");
}

/* Sound: an implicit audiodev when the XML has none; the codecs on the
 * controller's bus. */
Test(qemu_argv, sound) {
        Domain d = base_domain();
        DomainSoundCodec codecs[] = { DOMAIN_SOUND_CODEC_OUTPUT };
        DomainSound s = { .model = DOMAIN_SOUND_ICH6, .codecs = codecs, .n_codecs = 1 };
        DomainAudio a = { .id = 2, .type = DOMAIN_AUDIO_NONE };

        d.sounds = &s;
        d.n_sounds = 1;
        expect_contains(&d, "-audiodev none,id=audio1 -device intel-hda,id=sound0,bus=pci.0,addr=0x");
        expect_contains(&d, "-device hda-output,id=sound0-codec0,bus=sound0.0,cad=0,audiodev=audio1 ");
        d.audios = &a;
        d.n_audios = 1;
        expect_contains(&d, "-audiodev none,id=audio2 ");
        s.audio_id = 3;
        expect_error(&d, "refers to audio id 3");
        s = (DomainSound){ .model = DOMAIN_SOUND_PCSPK };
        expect_contains(&d, "-machine pcspk-audiodev=audio2");
        a.type = DOMAIN_AUDIO_SPICE;
        expect_error(&d, "audio type 'spice' needs SPICE graphics");
}

static const char *data_dir(void) {
        return getenv("VMUNIT_TEST_DATA") ?: "tests/data";
}

static char *read_file(const char *path) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        if (getdelim(&buf, &len, '\0', f) < 0) {
                free(buf);
                buf = strdup("");
        }
        fclose(f);
        return TAKE_PTR(buf);
}

static char *render_golden(const Strv *env, const Strv *argv) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        cr_assert_not_null(f);
        for (size_t i = 0; i < env->n; i++)
                fprintf(f, "env: %s\n", env->items[i]);
        for (size_t i = 0; i < argv->n; i++)
                fprintf(f, "%s\n", argv->items[i]);
        cr_assert_eq(fclose(f), 0);
        return out;
}

static QemuArgvOptions golden_options(const char *runtime_dir, const char *firmware_root) {
        return (QemuArgvOptions){
                .runtime_dir = runtime_dir,
                .firmware_root = firmware_root,
                .qmp_fd = -1,
                .seccomp_sandbox = true,
                .console_log = false,
                .default_emulator = NULL,
        };
}

/* Compare got with the golden file at path (or rewrite it). */
static bool golden_matches(const char *name, const char *path, const char *got) {
        _cleanup_free_ char *want = NULL;

        if (getenv("VMUNIT_REGENERATE_GOLDEN")) {
                FILE *f = fopen(path, "we");

                cr_assert_not_null(f, "cannot write %s", path);
                fputs(got, f);
                cr_assert_eq(fclose(f), 0);
                return true;
        }
        want = read_file(path);
        cr_expect_not_null(want, "%s: missing golden %s (VMUNIT_REGENERATE_GOLDEN=1 writes it)", name, path);
        cr_expect(want && streq(got, want), "%s: argv differs from %s:\n--- got ---\n%s--- want ---\n%s",
                  name, path, got, want ?: "");
        return want && streq(got, want);
}

static bool names_a_file(const char *opt) {
        return streq(opt, "-blockdev") || streq(opt, "-chardev") || streq(opt, "-kernel") ||
               streq(opt, "-initrd") || streq(opt, "-bios");
}

/* The fd form is the path form with -add-fd options added and file names
 * replaced, nothing else: machine, devices and their addresses are the
 * same; and no path QEMU gets an fd for is left on the command line. */
static bool fd_form_only_names_differ(const char *name, const Strv *paths, const Strv *fds,
                                      const VmFiles *files) {
        size_t j = 0;

        for (size_t i = 0; i < fds->n; i++) {
                const char *w = fds->items[i];

                if (streq(w, "-add-fd")) {
                        i++;
                        continue;
                }
                cr_expect_lt(j, paths->n, "%s: the fd form is longer", name);
                if (j >= paths->n)
                        return false;
                if (!streq(w, paths->items[j]) && !(j > 0 && names_a_file(paths->items[j - 1]))) {
                        cr_expect(false, "%s: word %zu differs beyond a file name: '%s' vs '%s'", name, j, w,
                                  paths->items[j]);
                        return false;
                }
                for (size_t k = 0; k < files->n; k++) {
                        _cleanup_free_ char *esc = qemu_opt_escape(files->items[k].source);

                        if (files->items[k].delivery != VM_FILE_BY_PATH &&
                            (strstr(w, files->items[k].source) || strstr(w, esc))) {
                                cr_expect(false, "%s: '%s' still names %s", name, w, files->items[k].source);
                                return false;
                        }
                }
                j++;
        }
        cr_expect_eq(j, paths->n, "%s: the fd form is shorter", name);
        return j == paths->n;
}

/* The PCI layout written into the domain (the live XML) must give the
 * same command line, and again after a parse of its formatted XML. */
static bool pci_fill_keeps_argv(const char *name, const Domain *d, const QemuArgvOptions *o,
                                const char *want) {
        _cleanup_free_ char *xml = NULL, *error = NULL, *got = NULL;
        _cleanup_strv_ Strv argv = {}, env = {};
        _cleanup_domain_ Domain *filled = NULL;

        cr_assert_eq(domain_format_xml(d, &xml), 0);
        cr_assert_eq(domain_parse_buffer(xml, strlen(xml), name, &filled, &error), 0, "%s", error);
        cr_assert_eq(qemu_pci_fill(filled, o, &error), 0, "%s: %s", name, error ?: "");
        free(TAKE_PTR(xml));
        cr_assert_eq(domain_format_xml(filled, &xml), 0);
        domain_free(TAKE_PTR(filled));
        cr_assert_eq(domain_parse_buffer(xml, strlen(xml), name, &filled, &error), 0, "%s: %s\n%s", name,
                     error, xml);
        cr_assert_eq(qemu_argv_build(filled, o, &argv, &env, &error), 0, "%s: %s", name, error ?: "");
        got = render_golden(&env, &argv);
        cr_expect_str_eq(got, want, "%s: the command line changes once the PCI layout is in the XML:\n%s",
                         name, xml);
        return streq(got, want);
}

/* The golden build of the domain in xml: parsed into *ret_d, options in
 * *ret_o (their strings in *ret_runtime and *ret_fw_root), the path-form
 * command line compared with golden. */
static bool golden_path_form(const char *name, const char *xml, const char *golden, Domain **ret_d,
                             QemuArgvOptions *ret_o, char **ret_runtime, char **ret_fw_root) {
        _cleanup_free_ char *error = NULL, *got = NULL;
        _cleanup_strv_ Strv argv = {}, env = {};
        int r;

        r = domain_parse_file(xml, ret_d, &error);
        cr_expect_eq(r, 0, "%s: parse failed: %s", name, error ?: "?");
        if (r < 0)
                return false;
        /* The domain's own name, so the golden shows the real layout. */
        cr_assert_gt(asprintf(ret_runtime, "/run/vmunit/%s", (*ret_d)->name), 0);
        /* firmware='efi' without a loader picks from the fake descriptors
         * (tests/data/firmware), not the host's. */
        cr_assert_gt(asprintf(ret_fw_root, "%s/firmware", data_dir()), 0);
        *ret_o = golden_options(*ret_runtime, *ret_fw_root);
        r = qemu_argv_build(*ret_d, ret_o, &argv, &env, &error);
        cr_expect_eq(r, 0, "%s: build failed: %s", name, error ?: "?");
        if (r < 0)
                return false;
        got = render_golden(&env, &argv);
        return golden_matches(name, golden, got) && pci_fill_keeps_argv(name, *ret_d, ret_o, got);
}

/* Returns true when both goldens matched (or were regenerated). */
static bool check_golden(const char *name) {
        _cleanup_free_ char *xml = NULL, *argv_path = NULL, *fd_path = NULL, *runtime = NULL, *error = NULL,
                            *got_fd = NULL, *fw_root = NULL;
        _cleanup_strv_ Strv argv = {}, env = {}, fd_argv = {}, fd_env = {};
        _cleanup_(vm_files_done) VmFiles files = {};
        _cleanup_domain_ Domain *d = NULL;
        QemuArgvOptions o;
        bool ok;
        int r;

        cr_assert_gt(asprintf(&xml, "%s/%s.xml", data_dir(), name), 0);
        cr_assert_gt(asprintf(&argv_path, "%s/%s.argv", data_dir(), name), 0);
        cr_assert_gt(asprintf(&fd_path, "%s/%s.fd.argv", data_dir(), name), 0);
        ok = golden_path_form(name, xml, argv_path, &d, &o, &runtime, &fw_root);
        if (!d)
                return false;

        /* The supervisor fills the chosen firmware into its domain before
         * it opens the files: the table holds the chosen ones. */
        r = qemu_firmware_fill(d, &o, &error);
        cr_expect_eq(r, 0, "%s: firmware fill failed: %s", name, error ?: "?");
        if (r < 0)
                return false;
        /* And the sockets of pathless unix channels, which it binds. */
        cr_assert_eq(qemu_channel_fill(d, runtime), 0);
        synthetic_files(d, NULL, &files);
        o.files = &files;
        o.qmp_fd = 3;
        r = qemu_argv_build(d, &o, &fd_argv, &fd_env, &error);
        cr_expect_eq(r, 0, "%s: build with a file table failed: %s", name, error ?: "?");
        if (r < 0)
                return false;
        got_fd = render_golden(&fd_env, &fd_argv);
        ok = golden_matches(name, fd_path, got_fd) && ok;
        /* QMP differs on purpose (fd=3 vs the path): compare without it. */
        o.files = NULL;
        strv_done(&argv);
        strv_done(&env);
        cr_assert_eq(qemu_argv_build(d, &o, &argv, &env, NULL), 0);
        return fd_form_only_names_differ(name, &argv, &fd_argv, &files) && ok;
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n > m && streq(s + n - m, suffix);
}

Test(qemu_argv, golden_files) {
        DIR *dir = opendir(data_dir());
        struct dirent *de;
        unsigned n = 0, ok = 0;

        cr_assert_not_null(dir, "cannot open %s", data_dir());
        while ((de = readdir(dir))) {
                _cleanup_free_ char *name = NULL, *other = NULL;

                if (de->d_name[0] == '.')
                        continue;
                if (has_suffix(de->d_name, ".argv")) {
                        /* No stale goldens without their XML. */
                        name = strndup(de->d_name,
                                       strlen(de->d_name) - (has_suffix(de->d_name, ".fd.argv") ? 8 : 5));
                        cr_assert_gt(asprintf(&other, "%s/%s.xml", data_dir(), name), 0);
                        cr_expect_eq(access(other, F_OK), 0, "%s has no %s", de->d_name, other);
                        continue;
                }
                if (!has_suffix(de->d_name, ".xml"))
                        continue;
                name = strndup(de->d_name, strlen(de->d_name) - 4);
                n++;
                ok += check_golden(name);
        }
        closedir(dir);
        cr_expect_geq(n, 8, "expected at least 8 golden files, found %u", n);
        cr_expect_eq(ok, n, "%u of %u golden files match", ok, n);
}

/* A representative set of the real-world corpus (tests/real-world/golden,
 * one name per line) against its golden command line in
 * tests/data/real-world/golden/NAME.argv: what virt-install, virt-manager
 * and dumpxml files become, the PCI layout (bus=, addr=) included. */
static bool check_real_world_golden(const char *name) {
        _cleanup_free_ char *xml = NULL, *golden = NULL, *runtime = NULL, *fw_root = NULL;
        _cleanup_domain_ Domain *d = NULL;
        QemuArgvOptions o;

        cr_assert_gt(asprintf(&xml, "%s/real-world/%s.xml", data_dir(), name), 0);
        cr_assert_gt(asprintf(&golden, "%s/real-world/golden/%s.argv", data_dir(), name), 0);
        return golden_path_form(name, xml, golden, &d, &o, &runtime, &fw_root);
}

Test(qemu_argv, real_world_goldens) {
        _cleanup_free_ char *list = NULL;
        char line[256];
        unsigned n = 0, ok = 0;
        FILE *f;

        cr_assert_gt(asprintf(&list, "%s/../real-world/golden", data_dir()), 0);
        f = fopen(list, "re");
        cr_assert_not_null(f, "cannot open %s", list);
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = 0;
                if (!line[0] || line[0] == '#')
                        continue;
                n++;
                ok += check_real_world_golden(line);
        }
        fclose(f);
        cr_expect_geq(n, 30, "expected at least 30 real-world goldens, found %u", n);
        cr_expect_eq(ok, n, "%u of %u real-world goldens match", ok, n);
}

/* With the emulator's capabilities, what it lacks is refused by name. */
Test(qemu_argv, caps_decide_models_and_machines) {
        _cleanup_(qemu_caps_done) QemuCaps caps = {};
        _cleanup_free_ char *error = NULL, *line = NULL;
        QemuArgvOptions o = test_options;
        Domain d = base_domain();
        int r;

        cr_assert_eq(qemu_caps_parse_machines("Supported machines are:\npc    Standard PC (alias of "
                                              "pc-i440fx-7.2)\npc-i440fx-7.2  Standard PC (default)\n",
                                              &caps.machines),
                     0);
        cr_assert_eq(qemu_caps_parse_cpu_models("Available CPUs:\nx86 qemu64   QEMU\nx86 Skylake-Client-v4\n"
                                                "\nRecognized CPUID flags:\n  fpu vme\n",
                                                &caps.cpu_models),
                     0);
        cr_assert_eq(caps.machines.n, 2);
        cr_assert_eq(caps.cpu_models.n, 2);
        o.caps = &caps;
        d.cpu = (DomainCpu){ .present = true, .model = { .name = (char *) "Skylake-Client-v4" } };
        line = build_line_opts(&d, &o, &r, &error);
        cr_assert_eq(r, 0, "%s", error ?: "");
        free(line);
        d.cpu.model.name = (char *) "GraniteRapids-v1";
        line = build_line_opts(&d, &o, &r, &error);
        cr_assert_eq(r, -EINVAL);
        cr_assert_not_null(strstr(error, "CPU model 'GraniteRapids-v1' is not offered by this host's QEMU"));
        free(error);
        error = NULL;
        d.cpu.model.name = (char *) "qemu64";
        d.os.machine = (char *) "pc-i440fx-2.0";
        line = build_line_opts(&d, &o, &r, &error);
        cr_assert_eq(r, -EINVAL);
        cr_assert_not_null(strstr(error, "machine type 'pc-i440fx-2.0' is not offered"), "%s", error);
}

/* ---- firmware chosen from descriptors ------------------------------------ */

static char *fake_firmware_root(void) {
        char *root = NULL;

        cr_assert_gt(asprintf(&root, "%s/firmware", data_dir()), 0);
        return root;
}

static char *line_with_root(const Domain *d, const QemuArgvOptions *o) {
        _cleanup_free_ char *error = NULL;
        int r = 0;
        char *line = build_line_opts(d, o, &r, &error);

        cr_assert_eq(r, 0, "build failed: %s", error ?: "(no message)");
        return line;
}

static void expect_error_with_root(const Domain *d, const QemuArgvOptions *o, const char *what) {
        _cleanup_free_ char *error = NULL, *line = NULL;
        int r = 0;

        line = build_line_opts(d, o, &r, &error);
        cr_assert_eq(r, -EINVAL, "expected -EINVAL, got %d: %s", r, line ?: "");
        cr_assert(error && strstr(error, what), "error '%s' does not mention '%s'", error ?: "", what);
}

Test(qemu_argv_firmware, chosen_from_descriptors) {
        _cleanup_free_ char *root = fake_firmware_root(), *line = NULL;
        QemuArgvOptions o = test_options;
        Domain d = base_domain();

        o.firmware_root = root;
        d.os.firmware = DOMAIN_FIRMWARE_EFI;
        /* pc: the secure ones are Q35-only; /etc's 60-plain hides
         * /usr/share's, and its template is qcow2, so is the store. */
        line = line_with_root(&d, &o);
        cr_assert(strstr(line,
                         "-machine pc,usb=off,dump-guest-core=off,acpi=off,pflash0=pflash0-format,"
                         "pflash1=pflash1-format -accel tcg "
                         "-blockdev driver=file,filename=/etc-fw/CODE.fd,node-name=pflash0-storage,"
                         "read-only=on "
                         "-blockdev driver=raw,file=pflash0-storage,node-name=pflash0-format,read-only=on "
                         "-blockdev driver=file,filename=/var/lib/vmunit/t/nvram/t_VARS.qcow2,"
                         "node-name=pflash1-storage,read-only=off "
                         "-blockdev driver=qcow2,file=pflash1-storage,"),
                  "%s", line);
        cr_assert(!strstr(line, "smm=on"), "%s", line);
        free(TAKE_PTR(line));

        /* The state directory decides where the default store lives. */
        o.state_dir = "/R/lib";
        line = line_with_root(&d, &o);
        cr_assert(strstr(line, "filename=/R/lib/t/nvram/t_VARS.qcow2,"), "%s", line);
        free(TAKE_PTR(line));
        o.state_dir = NULL;

        /* Secure boot on i440FX: the selection says why not. */
        d.os.fw_secure_boot = DOMAIN_TRISTATE_ON;
        expect_error_with_root(&d, &o, "firmware='efi':");
        expect_error_with_root(&d, &o, "50-secure.json (machine)");

        /* On Q35: requires-smm turns SMM on and makes the flash secure. */
        d.os.machine = (char *) "q35";
        line = line_with_root(&d, &o);
        cr_assert(strstr(line, "acpi=off,smm=on,pflash0=pflash0-format,pflash1=pflash1-format "), "%s",
                  line);
        cr_assert(strstr(line, "filename=/fw/CODE.secboot.fd,"), "%s", line);
        cr_assert(strstr(line, "filename=/var/lib/vmunit/t/nvram/t_VARS.fd,"), "%s", line);
        cr_assert(strstr(line, "-global driver=cfi.pflash01,property=secure,value=on "), "%s", line);
        free(TAKE_PTR(line));

        /* Enrolled keys: /etc's empty 40-secure-enrolled hides the only one. */
        d.os.fw_enrolled_keys = DOMAIN_TRISTATE_ON;
        expect_error_with_root(&d, &o, "firmware='efi':");
        d.os.fw_enrolled_keys = DOMAIN_TRISTATE_ABSENT;

        /* A given <nvram> is kept, and the descriptor is only for the code. */
        d.os.nvram = (char *) "/x/MY_VARS.fd";
        line = line_with_root(&d, &o);
        cr_assert(strstr(line, "filename=/x/MY_VARS.fd,node-name=pflash1-storage"), "%s", line);
        free(TAKE_PTR(line));
}

Test(qemu_argv_firmware, stateless_and_machines_through_caps) {
        _cleanup_free_ char *root = fake_firmware_root(), *line = NULL;
        QemuArgvOptions o = test_options;
        Domain d = base_domain();

        o.firmware_root = root;
        d.os.firmware = DOMAIN_FIRMWARE_EFI;
        d.os.machine = (char *) "pc-q35-7.2";
        d.os.loader_stateless = DOMAIN_TRISTATE_ON;
        line = line_with_root(&d, &o);
        cr_assert(strstr(line, "filename=/fw/CODE.stateless.fd,"), "%s", line);
        cr_assert(!strstr(line, "pflash1"), "%s", line);
        free(TAKE_PTR(line));

        d.os.nvram = (char *) "/x/VARS.fd";
        expect_error_with_root(&d, &o, "stateless='yes'> cannot have <nvram>");
        d.os.nvram = NULL;

        /* Unknown architectures find nothing. */
        d.os.arch = (char *) "aarch64";
        expect_error_with_root(&d, &o, "firmware='efi':");
}

Test(qemu_argv_firmware, fill_writes_the_choice_into_the_domain) {
        _cleanup_free_ char *root = fake_firmware_root(), *error = NULL, *before = NULL, *after = NULL;
        _cleanup_domain_ Domain *d = NULL;
        QemuArgvOptions o = test_options;
        static const char xml[] =
                "<domain type='qemu'><name>f</name><memory>65536</memory>"
                "<os firmware='efi'><type machine='q35'>hvm</type>"
                "<firmware><feature enabled='yes' name='secure-boot'/></firmware></os></domain>";

        o.firmware_root = root;
        o.state_dir = "/R/lib";
        cr_assert_eq(domain_parse_buffer(xml, sizeof(xml) - 1, "f.xml", &d, &error), 0, "%s", error ?: "");
        before = line_with_root(d, &o);
        cr_assert(qemu_firmware_needs_selection(d));
        cr_assert_eq(qemu_firmware_fill(d, &o, &error), 0, "%s", error ?: "");
        cr_assert_str_eq(d->os.loader, "/fw/CODE.secboot.fd");
        cr_assert_eq(d->os.loader_type, DOMAIN_LOADER_PFLASH);
        cr_assert_eq(d->os.loader_readonly, DOMAIN_TRISTATE_ON);
        cr_assert_eq(d->os.loader_secure, DOMAIN_TRISTATE_ON);
        cr_assert_str_eq(d->os.nvram, "/R/lib/f/nvram/f_VARS.fd");
        cr_assert_str_eq(d->os.nvram_template, "/fw/VARS.fd");
        cr_assert(!qemu_firmware_needs_selection(d));
        /* The filled domain builds the same command line. */
        after = line_with_root(d, &o);
        cr_assert_str_eq(before, after);
        /* And fills to itself. */
        cr_assert_eq(qemu_firmware_fill(d, &o, &error), 0);
        cr_assert_str_eq(d->os.loader, "/fw/CODE.secboot.fd");
}

Test(qemu_argv_firmware, boot_menu_reboot_timeout_sga) {
        Domain d = base_domain();
        DomainChar serial = { .kind = DOMAIN_CHAR_SERIAL, .type = DOMAIN_CHAR_PTY };

        d.os.bootmenu = DOMAIN_TRISTATE_ON;
        d.os.bootmenu_timeout_set = true;
        d.os.bootmenu_timeout = 3000;
        expect_contains(&d, "-boot menu=on,splash-time=3000 ");
        d.os.bios_reboot_timeout_set = true;
        d.os.bios_reboot_timeout = -1;
        expect_contains(&d, "-boot menu=on,reboot-timeout=-1,splash-time=3000 ");
        /* The splash time is the menu's: without the menu, none. */
        d.os.bootmenu = DOMAIN_TRISTATE_OFF;
        expect_contains(&d, "-boot menu=off,reboot-timeout=-1 ");
        d.os.bootmenu = DOMAIN_TRISTATE_ABSENT;
        d.os.boot[0] = DOMAIN_BOOT_HD;
        d.os.n_boot = 1;
        expect_contains(&d, "-boot order=c,reboot-timeout=-1 ");

        d.os.bios_useserial = DOMAIN_TRISTATE_ON;
        expect_error(&d, "needs a <serial> port");
        d.chars = &serial;
        d.n_chars = 1;
        expect_contains(&d, "-device sga ");
}

/* ---- guest PCI addresses ------------------------------------------------- */

/* A q35 guest defined without addresses gets libvirt's layout: VGA at
 * 00:01.0, root ports packed on 00:02.x, the NIC first (pci.1), then
 * the disk and balloon, libvirt's spare port plus SPARE_ROOT_PORTS. */
Test(qemu_argv_pci, q35_libvirt_layout) {
        Domain d = base_domain();
        DomainMemballoon balloon = { .model = DOMAIN_MEMBALLOON_VIRTIO };
        DomainDisk disk = { .source = (char *) "/i/a.img", .target_dev = (char *) "vda" };
        DomainInterface net = { .mac = { 0x52, 0x54, 0, 1, 2, 3 } };
        DomainGraphics g = { .type = DOMAIN_GRAPHICS_VNC, .port = -1, .autoport = true };

        d.os.machine = (char *) "q35";
        d.memballoon = &balloon;
        d.disks = &disk;
        d.n_disks = 1;
        d.interfaces = &net;
        d.n_interfaces = 1;
        d.graphics = &g;
        d.n_graphics = 1;
        expect_contains(&d, "-device pcie-root-port,port=0x10,chassis=1,id=pci.1,bus=pcie.0,addr=0x2,"
                            "multifunction=on "
                            "-device pcie-root-port,port=0x11,chassis=2,id=pci.2,bus=pcie.0,addr=0x2.0x1 ");
        expect_contains(&d, "-device pcie-root-port,port=0x17,chassis=8,id=pci.8,bus=pcie.0,addr=0x2.0x7 ");
        expect_lacks(&d, "id=pci.9");
        expect_contains(&d, "id=net0,mac=52:54:00:01:02:03,bus=pci.1,addr=0x0 ");
        expect_contains(&d, "id=virtio-disk0,drive=disk0-format,bus=pci.2,addr=0x0 ");
        expect_contains(&d, "-device VGA,id=video0,bus=pcie.0,addr=0x1 ");
        expect_contains(&d, "-device virtio-balloon-pci,id=balloon0,bus=pci.3,addr=0x0 ");

        /* A conventional NIC goes behind a pcie-to-pci-bridge. */
        net.model = (char *) "e1000";
        expect_contains(&d, "-device pcie-pci-bridge,id=pci.");
        expect_contains(&d, "-device e1000,netdev=hostnet0,id=net0,mac=52:54:00:01:02:03,bus=pci.");
}

/* What the devices need but the XML does not list (a USB controller for
 * the tablet, virtio-serial for the console, the default balloon and
 * video) is written in with its address, and the command line stays. */
Test(qemu_argv_pci, fill_writes_implicit_devices) {
        _cleanup_free_ char *error = NULL, *want = NULL, *xml = NULL;
        _cleanup_strv_ Strv argv = {}, env = {};
        _cleanup_domain_ Domain *d = NULL;
        const char *text = "<domain type='qemu'><name>i</name><memory>65536</memory>"
                           "<os><type machine='q35'>hvm</type></os><devices>"
                           "<disk><source file='/i/a.img'/><target dev='vda' bus='virtio'/></disk>"
                           "<console type='pty'><target type='virtio'/></console>"
                           "<input type='tablet' bus='usb'/><graphics type='vnc'/></devices></domain>";
        QemuArgvOptions o = test_options;

        cr_assert_eq(domain_parse_buffer(text, strlen(text), "i.xml", &d, &error), 0, "%s", error);
        cr_assert_eq(qemu_argv_build(d, &o, &argv, &env, &error), 0, "%s", error);
        want = render_golden(&env, &argv);
        cr_assert(pci_fill_keeps_argv("implicit", d, &o, want));
        cr_assert_eq(qemu_pci_fill(d, &o, &error), 0, "%s", error);
        cr_assert_eq(domain_format_xml(d, &xml), 0);
        cr_assert(strstr(xml, "<controller type='usb' index='0' model='qemu-xhci'>"), "%s", xml);
        cr_assert(strstr(xml, "<controller type='virtio-serial' index='0'>"), "%s", xml);
        cr_assert(strstr(xml, "<memballoon model='virtio'>"), "%s", xml);
        cr_assert(strstr(xml, "<video>\n      <address type='pci'"), "%s", xml);
}

/* The layout written into the domain (the live XML): the devices get
 * their addresses, the ports become controllers, and a hotplug finds a
 * port nothing sits on until none is left. */
Test(qemu_argv_pci, fill_and_free_root_ports) {
        _cleanup_free_ char *xml = NULL, *error = NULL;
        _cleanup_domain_ Domain *d = NULL;
        const char *text = "<domain type='qemu'><name>f</name><memory>65536</memory>"
                           "<os><type machine='q35'>hvm</type></os><devices>"
                           "<disk><source file='/i/a.img'/><target dev='vda' bus='virtio'/></disk>"
                           "<memballoon model='none'/></devices></domain>";
        QemuArgvOptions o = test_options;
        unsigned port;

        cr_assert_eq(domain_parse_buffer(text, strlen(text), "f.xml", &d, &error), 0, "%s", error);
        cr_assert_eq(qemu_pci_fill(d, &o, &error), 0, "%s", error);
        cr_assert_not_null(d->disks[0].info.address);
        cr_assert_eq(d->disks[0].info.address->bus.value, 1);
        cr_assert_eq(domain_format_xml(d, &xml), 0);
        cr_assert(strstr(xml, "<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>"),
                  "%s", xml);
        cr_assert(strstr(xml, "<controller type='pci' index='1' model='pcie-root-port'>"), "%s", xml);
        /* A port nothing sits on: not the disk's; once the disk moves
         * there, its old one. Without root ports, none. */
        cr_assert_eq(qemu_pci_free_root_port(d, &port), 0);
        cr_assert_neq(port, 1);
        d->disks[0].info.address->bus.value = port;
        cr_assert_eq(qemu_pci_free_root_port(d, &port), 0);
        cr_assert_eq(port, 1);
        for (size_t i = 0; i < d->n_controllers; i++)
                if (streq_ptr(d->controllers[i].model, "pcie-root-port"))
                        d->controllers[i].type = DOMAIN_CONTROLLER_USB; /* no longer a port */
        cr_assert_eq(qemu_pci_free_root_port(d, &port), -ENOSPC);
}

/* Given addresses are kept as written, user aliases become the id. */
Test(qemu_argv_pci, given_addresses_kept) {
        Domain d = base_domain();
        DomainAddress da = { .type = DOMAIN_ADDRESS_PCI, .slot = { .set = true, .value = 7 } };
        DomainAddress na = { .type = DOMAIN_ADDRESS_PCI,
                             .slot = { .set = true, .value = 0x1a },
                             .function = { .set = true, .value = 0 },
                             .multifunction = DOMAIN_TRISTATE_ON };
        DomainDisk disk = { .info.address = &da,
                            .source = (char *) "/i/a.img",
                            .target_dev = (char *) "vda" };
        DomainInterface net = { .info = { .alias = (char *) "ua-uplink", .address = &na },
                                .mac = { 0x52, 0x54, 0, 1, 2, 3 } };

        d.disks = &disk;
        d.n_disks = 1;
        d.interfaces = &net;
        d.n_interfaces = 1;
        expect_contains(&d, "id=virtio-disk0,drive=disk0-format,bus=pci.0,addr=0x7 ");
        expect_contains(&d, "virtio-net-pci,netdev=hostnet0,id=ua-uplink,mac=52:54:00:01:02:03,bus=pci.0,"
                            "addr=0x1a,multifunction=on ");
        net.info.alias = (char *) "ua-bad,id";
        expect_error(&d, "alias 'ua-bad,id' may only contain");
        net.info.alias = (char *) "net7"; /* not a user alias: ignored */
        expect_contains(&d, "id=net0,");

        d.os.machine = (char *) "q35";
        da.bus = (XmlNum){ .set = true, .value = 1 };
        da.slot = (XmlNum){ .set = true, .value = 0 };
        na.bus = (XmlNum){ .set = true, .value = 0 };
        na.slot = (XmlNum){ .set = true, .value = 3 };
        na.multifunction = DOMAIN_TRISTATE_ABSENT;
        DomainController c[] = {
                { .type = DOMAIN_CONTROLLER_PCI, .index = 0, .model = (char *) "pcie-root" },
                { .type = DOMAIN_CONTROLLER_PCI, .index = 1, .model = (char *) "pcie-root-port" },
        };
        d.controllers = c;
        d.n_controllers = ELEMENTSOF(c);
        expect_contains(&d, "id=virtio-disk0,drive=disk0-format,bus=pci.1,addr=0x0 ");
        expect_contains(&d, "id=net0,mac=52:54:00:01:02:03,bus=pcie.0,addr=0x3 ");
}

/* Two devices at one address: the planner's message, nothing built. */
Test(qemu_argv_pci, collision_refused) {
        Domain d = base_domain();
        DomainAddress a = { .type = DOMAIN_ADDRESS_PCI, .slot = { .set = true, .value = 5 } };
        DomainDisk disk = { .info.address = &a,
                            .source = (char *) "/i/a.img",
                            .target_dev = (char *) "vda" };
        DomainInterface net = { .info.address = &a, .mac = { 0x52, 0x54, 0, 1, 2, 3 } };
        DomainAddress isa = { .type = DOMAIN_ADDRESS_ISA };

        d.disks = &disk;
        d.n_disks = 1;
        d.interfaces = &net;
        d.n_interfaces = 1;
        expect_error(&d, "PCI address 0000:00:05.0 is already in use by");
        /* The PIIX3 owns slot 1. */
        a.slot.value = 1;
        d.n_interfaces = 0;
        expect_error(&d, "disk 'vda': PCI address 0000:00:01.0 is already in use by the PIIX3");
        a.slot.value = 32;
        expect_error(&d, "disk 'vda': PCI address out of range");
        disk.info.address = &isa;
        expect_error(&d, "disk 'vda': a PCI device takes <address type='pci'> only");
}

/* ---- <cpu>, NUMA, memory backing and tuning (argv-cpu.c, argv-memory.c) ---- */

static Domain *parse_top(const char *top) {
        _cleanup_free_ char *xml = NULL, *error = NULL;
        Domain *d = NULL;

        cr_assert_geq(asprintf(&xml,
                               "<domain type='qemu'><name>c</name><memory unit='MiB'>64</memory>"
                               "<vcpu>2</vcpu><os><type machine='q35'>hvm</type></os>%s</domain>",
                               top),
                      0);
        cr_assert_eq(domain_parse_buffer(xml, strlen(xml), "c.xml", &d, &error), 0, "%s", error ?: "");
        return d;
}

#define CPU_CASE_CONTAINS(top, what)                          \
        do {                                                  \
                _cleanup_domain_ Domain *_d = parse_top(top); \
                expect_contains(_d, what);                    \
        } while (0)
#define CPU_CASE_ERROR(top, what)                             \
        do {                                                  \
                _cleanup_domain_ Domain *_d = parse_top(top); \
                expect_error(_d, what);                       \
        } while (0)

Test(qemu_argv_cpu, features_cache_physbits) {
        CPU_CASE_CONTAINS("<cpu><model>qemu64</model><feature policy='optional' name='pdpe1gb'/>"
                          "<feature policy='forbid' name='vmx'/><feature name='sse4.2'/></cpu>",
                          "-cpu qemu64,pdpe1gb=on,vmx=off,sse4.2=on ");
        CPU_CASE_CONTAINS("<cpu mode='maximum'><cache mode='passthrough'/></cpu>",
                          "-cpu max,host-cache-info=on,l3-cache=off ");
        CPU_CASE_ERROR("<cpu><model>qemu64</model><cache mode='passthrough'/></cpu>",
                       "<cache mode='passthrough'> needs <cpu mode='host-passthrough'> or 'maximum'");
        CPU_CASE_CONTAINS("<cpu><model>qemu64</model><maxphysaddr mode='emulate' bits='42'/></cpu>",
                          "-cpu qemu64,phys-bits=42 ");
        CPU_CASE_CONTAINS("<cpu><model vendor_id='AuthenticAMD'>qemu64</model></cpu>",
                          "-cpu qemu64,vendor=AuthenticAMD ");
        CPU_CASE_ERROR(
                "<cpu><topology sockets='1' clusters='2' cores='1' threads='1'/></cpu>",
                "CPU topology clusters='2' is not supported: QEMU 7.2 has no CPU clusters on x86 machines");
        CPU_CASE_CONTAINS("<cpu><topology sockets='1' clusters='1' cores='2' threads='1'/></cpu>",
                          "-smp 2,sockets=1,cores=2,threads=1 ");
}

Test(qemu_argv_cpu, memory_backing) {
        CPU_CASE_CONTAINS(
                "<memoryBacking><hugepages><page size='2' unit='MiB'/></hugepages></memoryBacking>",
                "-object memory-backend-memfd,id=pc.ram,size=65536k,hugetlb=on,hugetlbsize=2048k ");
        CPU_CASE_CONTAINS("<memoryBacking><hugepages/></memoryBacking>",
                          "-object memory-backend-memfd,id=pc.ram,size=65536k,hugetlb=on ");
        CPU_CASE_CONTAINS("<memoryBacking><hugepages/></memoryBacking>",
                          "-machine q35,usb=off,dump-guest-core=off,acpi=off,memory-backend=pc.ram ");
        CPU_CASE_CONTAINS("<memoryBacking><locked/></memoryBacking>", "-overcommit mem-lock=on ");
        CPU_CASE_CONTAINS("<maxMemory slots='16' unit='GiB'>1</maxMemory>",
                          "-m size=65536k,slots=16,maxmem=1048576k ");
        CPU_CASE_CONTAINS(
                "<memoryBacking><source type='anonymous'/><access mode='private'/></memoryBacking>",
                "-object memory-backend-ram,id=pc.ram,size=65536k,share=off ");
        CPU_CASE_ERROR("<memoryBacking><source type='file'/></memoryBacking>",
                       "<memoryBacking><source type='file'/> is not supported: vmunit has no memory backing "
                       "directory; type='memfd' gives the same shareable memory");
        CPU_CASE_CONTAINS(
                "<memoryBacking><hugepages><page size='2048' nodeset='0'/></hugepages></memoryBacking>",
                "-object memory-backend-memfd,id=pc.ram,size=65536k,hugetlb=on,hugetlbsize=2048k ");
        CPU_CASE_ERROR(
                "<memoryBacking><hugepages><page size='2048' nodeset='0-1'/></hugepages></memoryBacking>",
                "<hugepages><page nodeset='0-1'> names a guest NUMA node the guest does not have (1, "
                "numbered from 0)");
}

Test(qemu_argv_cpu, numa_hugepages_per_cell) {
        CPU_CASE_CONTAINS(
                "<memoryBacking><hugepages><page size='1' unit='GiB' nodeset='1'/>"
                "<page size='2048'/></hugepages></memoryBacking>"
                "<cpu><numa><cell cpus='0' memory='32' unit='MiB'/>"
                "<cell cpus='1' memory='32' unit='MiB'/></numa></cpu>",
                "-object memory-backend-memfd,id=ram-node0,size=32768k,hugetlb=on,hugetlbsize=2048k "
                "-object memory-backend-memfd,id=ram-node1,size=32768k,hugetlb=on,hugetlbsize=1048576k "
                "-numa node,nodeid=0,cpus=0,memdev=ram-node0 -numa node,nodeid=1,cpus=1,memdev=ram-node1 ");
}

Test(qemu_argv_cpu, tuning_refused) {
        CPU_CASE_ERROR("<cputune><vcpupin vcpu='0' cpuset='1'/></cputune>", "CPU pinning");
        CPU_CASE_ERROR("<cputune><emulatorpin cpuset='1'/></cputune>", "is not supported yet");
        CPU_CASE_ERROR("<cputune><period>100000</period><quota>50000</quota></cputune>",
                       "<cputune><period>/<quota> are not supported yet");
        CPU_CASE_ERROR("<numatune><memory placement='auto'/></numatune>", "needs numad");
        CPU_CASE_ERROR("<numatune><memory mode='restrictive' nodeset='0'/></numatune>",
                       "mode='restrictive' is enforced through the cgroup cpuset controller");
        CPU_CASE_CONTAINS("<numatune><memory mode='interleave' nodeset='0-1,3'/></numatune>",
                          "-object memory-backend-ram,id=pc.ram,size=65536k,host-nodes=0-1,host-nodes=3,"
                          "policy=interleave ");
        CPU_CASE_CONTAINS("<iothreads>3</iothreads><iothreadids><iothread id='2'/></iothreadids>",
                          "-object iothread,id=iothread2 -object iothread,id=iothread1 -object "
                          "iothread,id=iothread3 ");
}

Test(qemu_argv_cpu, vcpus_list) {
        CPU_CASE_CONTAINS("<vcpus><vcpu id='0' enabled='yes' hotpluggable='no' order='1'/>"
                          "<vcpu id='1' enabled='yes' hotpluggable='yes' order='2'/></vcpus>",
                          "-smp 2 ");
        CPU_CASE_ERROR("<vcpus><vcpu id='1' enabled='no' hotpluggable='yes'/></vcpus>",
                       "<vcpus>: vCPU 1 is disabled, but only vCPUs 0 to 1 can be enabled at start");
}
