/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>

#include "domain-xml.h"
#include "xml-util.h"

/*
 * The parser: one test per kind of error with the exact message (file,
 * line, element path), unit conversions, strict numbers, generated
 * identifiers, the model helpers in domain.c, and a rich valid example
 * checked field by field.
 */

static char *data_path(const char *sub, const char *name) {
        const char *dir = getenv("VMUNIT_TEST_DATA");
        char *p;

        cr_assert_not_null(dir, "VMUNIT_TEST_DATA is not set");
        cr_assert_geq(asprintf(&p, "%s/%s/%s", dir, sub, name), 0);
        return p;
}

/* expected is the message after "FILE:" */
static void assert_file_error(const char *name, int expected_r, const char *expected) {
        _cleanup_free_ char *path = data_path("errors", name), *want = NULL, *err = NULL;
        Domain *d = NULL;
        int r;

        cr_assert_geq(asprintf(&want, "%s:%s", path, expected), 0);
        r = domain_parse_file(path, &d, &err);
        cr_assert_eq(r, expected_r, "%s: r=%d", name, r);
        cr_assert_null(d);
        cr_assert_not_null(err, "%s: no message", name);
        cr_assert_str_eq(err, want);
}

#define ERROR_TEST(test_name, file, message)               \
        Test(errors, test_name) {                          \
                assert_file_error(file, -EINVAL, message); \
        }

ERROR_TEST(broken_xml, "broken-xml.xml", "3: Opening and ending tag mismatch: memory line 3 and mem")
ERROR_TEST(doctype, "doctype-entity.xml", "2: document type declarations are not supported")
ERROR_TEST(root_not_domain, "root-not-domain.xml", "1: /vm: root element must be 'domain'")
ERROR_TEST(domain_type, "domain-type-xen.xml",
           "1: /domain: unsupported value 'xen' for attribute 'type' (expected one of: qemu, kvm)")
ERROR_TEST(missing_element, "missing-name.xml", "1: /domain: missing element 'name'")
ERROR_TEST(duplicate_element, "duplicate-name.xml", "3: /domain/name[2]: duplicate element 'name'")
ERROR_TEST(name_too_long, "name-too-long.xml",
           "2: /domain/name: invalid domain name: name is longer than 200 bytes")
ERROR_TEST(name_slash, "name-slash.xml", "2: /domain/name: invalid domain name: name must not contain '/'")
ERROR_TEST(bad_uuid, "bad-uuid.xml", "3: /domain/uuid: invalid UUID '4dea22b3-1d52-d8f3-2516-782e98ab3fa'")
ERROR_TEST(unknown_element, "unknown-element.xml",
           "8: /domain/devices/frobnicator: unsupported element 'frobnicator'")
ERROR_TEST(unknown_attribute, "unknown-attribute.xml",
           "8: /domain/devices/disk: unsupported attribute 'snapshot'")
ERROR_TEST(missing_attribute, "missing-attribute.xml",
           "14: /domain/devices/disk[2]/target: missing attribute 'dev'")
ERROR_TEST(bad_enum, "bad-enum.xml",
           "10: /domain/devices/disk/target: unsupported value 'xen' for attribute 'bus' "
           "(expected one of: virtio, sata, ide, scsi, usb, fdc)")
ERROR_TEST(bad_enum_text, "bad-lifecycle.xml",
           "3: /domain/on_crash: unsupported value 'reboot' (expected one of: destroy, restart, preserve, "
           "rename-restart, coredump-destroy, coredump-restart)")
ERROR_TEST(bad_number, "bad-number.xml", "4: /domain/vcpu: invalid number '4x'")
ERROR_TEST(negative_number, "negative-number.xml",
           "4: /domain/vcpu: invalid number '-1' for attribute 'current'")
ERROR_TEST(number_overflow, "number-overflow.xml",
           "3: /domain/memory: number '18446744073709551616' out of range (0-18446744073709551615)")
ERROR_TEST(memory_overflow, "memory-overflow.xml", "3: /domain/memory: value 16 EiB is too large")
ERROR_TEST(bad_unit, "bad-unit.xml", "3: /domain/memory: unsupported value 'XB' for attribute 'unit'")
ERROR_TEST(bad_cpuset, "bad-cpuset.xml", "4: /domain/vcpu: invalid cpuset '0-3,^'")
ERROR_TEST(
        address_foreign, "address-foreign.xml",
        "9: /domain/devices/interface/address: address type 'spapr-vio' is not supported: vmunit runs x86 "
        "guests")
ERROR_TEST(interface_bridge, "interface-bridge.xml",
           "8: /domain/devices/interface: unsupported value 'bridge' for attribute 'type' (expected one of: "
           "user)")
ERROR_TEST(graphics_sdl, "graphics-sdl.xml",
           "8: /domain/devices/graphics: graphics type 'sdl' is not supported: a VM run as a system service "
           "has "
           "no desktop session to open a window in; use vnc or spice")
ERROR_TEST(feature_hyperv, "feature-hyperv.xml",
           "9: /domain/features/hyperv/spinlocks: <spinlocks state='on'> needs retries")
ERROR_TEST(pm_refused, "pm-refused.xml",
           "6: /domain/pm/suspend-to-ram: unsupported element 'suspend-to-ram'")
ERROR_TEST(cpu_match, "cpu-match.xml",
           "5: /domain/cpu: unsupported value 'loose' for attribute 'match' (expected one of: minimum, "
           "exact, strict)")
ERROR_TEST(qemu_unknown, "qemu-unknown.xml",
           "9: /domain/qemu:commandline/qemu:capabilities: unsupported element 'qemu:capabilities'")
ERROR_TEST(topology_mismatch, "topology-mismatch.xml",
           "9: /domain/cpu/topology: CPU topology (2 vCPUs) does not match vcpu count (4)")
ERROR_TEST(disk_missing_target, "disk-missing-target.xml",
           "8: /domain/devices/disk: missing element 'target'")
ERROR_TEST(duplicate_target, "duplicate-target.xml",
           "12: /domain/devices/disk[2]: duplicate disk target 'vda'")
ERROR_TEST(relative_path, "relative-path.xml",
           "9: /domain/devices/disk/source: source path 'images/a.qcow2' is not absolute")
ERROR_TEST(bad_mac, "bad-mac.xml",
           "9: /domain/devices/interface/mac: invalid MAC address '52:54:00:zz:00:01'")
ERROR_TEST(undeclared_prefix, "undeclared-prefix.xml",
           "7: Namespace prefix qemu on commandline is not defined")
ERROR_TEST(text_in_container, "text-in-container.xml", "4: /domain/os: unexpected text in element 'os'")

Test(errors, unreadable_file) {
        _cleanup_free_ char *err = NULL;
        Domain *d = NULL;

        cr_assert_eq(domain_parse_file("/nonexistent/vmunit.xml", &d, &err), -ENOENT);
        cr_assert_str_eq(err, "/nonexistent/vmunit.xml: cannot read: No such file or directory");
        cr_assert_null(d);
}

Test(errors, error_pointer_optional) {
        Domain *d = NULL;

        cr_assert_eq(domain_parse_buffer("<domain", 7, "x.xml", &d, NULL), -EINVAL);
        cr_assert_null(d);
}

/* Parse a buffer; returns r, stores the message (or NULL). */
static int parse_string(const char *xml, Domain **ret, char **ret_error) {
        *ret_error = NULL;
        return domain_parse_buffer(xml, strlen(xml), "mem.xml", ret, ret_error);
}

/* Parse a buffer that must be refused with exactly this message. */
static void assert_string_error(const char *xml, const char *expected) {
        _cleanup_free_ char *err = NULL;
        Domain *d = NULL;

        cr_assert_eq(parse_string(xml, &d, &err), -EINVAL, "accepted: %s", xml);
        cr_assert_null(d);
        cr_assert_str_eq(err, expected, "for: %s", xml);
}

static char *memory_xml(const char *memory_element) {
        char *s;

        cr_assert_geq(
                asprintf(&s,
                         "<domain type='qemu'>\n<name>u</name>\n%s\n<os><type>hvm</type></os>\n</domain>\n",
                         memory_element),
                0);
        return s;
}

typedef struct UnitCase {
        const char *unit;
        const char *value;
        uint64_t kib;
} UnitCase;

/* Every unit spelling libvirt accepts; results rounded up to KiB. */
static const UnitCase unit_cases[] = {
        { NULL, "1024", 1024 },
        { "b", "1", 1 },
        { "bytes", "1024", 1 },
        { "bytes", "1025", 2 },
        { "KB", "1000", 977 }, /* 1,000,000 B = 976.56 KiB */
        { "KB", "1024", 1000 },
        { "k", "7", 7 },
        { "KiB", "65536", 65536 },
        { "MB", "1", 977 },
        { "M", "1", 1024 },
        { "MiB", "512", 524288 },
        { "GB", "1", 976563 },
        { "G", "2", 2097152 },
        { "GiB", "1", 1048576 },
        { "TB", "1", 976562500 },
        { "T", "1", 1073741824 },
        { "TiB", "3", 3221225472 },
        { "PB", "1", 976562500000 },
        { "P", "1", 1099511627776 },
        { "PiB", "1", 1099511627776 },
        { "EB", "1", 976562500000000 },
        { "E", "15", 16888498602639360 },
        { "EiB", "1", 1125899906842624 },
        { "mib", "1", 1024 }, /* case-insensitive, as in libvirt */
};

Test(units, conversions) {
        for (size_t i = 0; i < ELEMENTSOF(unit_cases); i++) {
                const UnitCase *u = &unit_cases[i];
                _cleanup_free_ char *element = NULL, *xml = NULL, *err = NULL;
                _cleanup_domain_ Domain *d = NULL;

                if (u->unit)
                        cr_assert_geq(asprintf(&element, "<memory unit='%s'>%s</memory>", u->unit, u->value),
                                      0);
                else
                        cr_assert_geq(asprintf(&element, "<memory>%s</memory>", u->value), 0);
                xml = memory_xml(element);
                cr_assert_eq(parse_string(xml, &d, &err), 0, "%s: %s", element, err);
                cr_assert_eq(d->memory_kib, u->kib, "%s: got %" PRIu64 ", want %" PRIu64, element,
                             d->memory_kib, u->kib);
        }
}

Test(units, direct) {
        uint64_t kib;

        cr_assert_eq(xml_memory_to_kib(1, "EiB", &kib), 0);
        cr_assert_eq(kib, UINT64_C(1) << 50);
        cr_assert_eq(xml_memory_to_kib(15, "EiB", &kib), 0);
        cr_assert_eq(xml_memory_to_kib(16, "EiB", &kib), -ERANGE);
        cr_assert_eq(xml_memory_to_kib(UINT64_MAX, "KiB", &kib), 0);
        cr_assert_eq(kib, UINT64_MAX);
        cr_assert_eq(xml_memory_to_kib(UINT64_MAX, "b", &kib), 0);
        cr_assert_eq(kib, UINT64_MAX / 1024 + 1);
        cr_assert_eq(xml_memory_to_kib(UINT64_MAX, "MiB", &kib), -ERANGE);
        cr_assert_eq(xml_memory_to_kib(1, "KIB ", &kib), -EINVAL);
        cr_assert_eq(xml_memory_to_kib(1, "", &kib), -EINVAL);
        cr_assert_eq(xml_memory_to_kib(1, "iB", &kib), -EINVAL);
        cr_assert_eq(xml_memory_to_kib(1, "ZiB", &kib), -EINVAL);
        cr_assert_eq(xml_memory_to_kib(1, "MBB", &kib), -EINVAL);
}

Test(numbers, strict) {
        static const char *const bad[] = { "", "+1", "-1", " 1", "1 ", "0x10", "1e3", "1.5", "１" };
        uint64_t v;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                cr_assert_eq(xml_parse_uint64(bad[i], &v), -EINVAL, "'%s' accepted", bad[i]);
        cr_assert_eq(xml_parse_uint64("18446744073709551615", &v), 0);
        cr_assert_eq(v, UINT64_MAX);
        cr_assert_eq(xml_parse_uint64("18446744073709551616", &v), -ERANGE);
        cr_assert_eq(xml_parse_uint64("007", &v), 0);
        cr_assert_eq(v, 7);
}

Test(numbers, attribute_whitespace_refused) {
        assert_string_error("<domain type='qemu'><name>n</name><memory>1</memory>"
                            "<vcpu current=' 1'>2</vcpu><os><type>hvm</type></os></domain>",
                            "mem.xml:1: /domain/vcpu: invalid number ' 1' for attribute 'current'");
}

Test(numbers, range) {
        assert_string_error("<domain type='qemu'><name>n</name><memory>1</memory>"
                            "<vcpu>0</vcpu><os><type>hvm</type></os></domain>",
                            "mem.xml:1: /domain/vcpu: number '0' out of range (1-4096)");
}

Test(numbers, text_whitespace_allowed) {
        _cleanup_free_ char *err = NULL;
        _cleanup_domain_ Domain *d = NULL;
        const char *xml = "<domain type='qemu'><name>n</name><memory unit='MiB'>\n  64\n</memory>"
                          "<vcpu> 3 </vcpu><os><type>hvm</type></os></domain>";

        cr_assert_eq(parse_string(xml, &d, &err), 0, "%s", err);
        cr_assert_eq(d->memory_kib, 65536);
        cr_assert_eq(d->vcpus, 3);
}

Test(generated, uuid) {
        _cleanup_free_ char *err = NULL, *xml = NULL, *err2 = NULL;
        _cleanup_domain_ Domain *a = NULL, *b = NULL, *again = NULL;
        const char *min =
                "<domain type='qemu'><name>n</name><memory>1</memory><os><type>hvm</type></os></domain>";

        cr_assert_eq(parse_string(min, &a, &err), 0);
        cr_assert_eq(parse_string(min, &b, &err), 0);
        cr_assert_not(a->uuid_given);
        cr_assert_eq(a->uuid[6] >> 4, 4, "not a version 4 UUID");
        cr_assert_eq(a->uuid[8] & 0xc0, 0x80, "not an RFC 4122 variant");
        cr_assert_neq(memcmp(a->uuid, b->uuid, 16), 0);
        /* written out, so a re-parse keeps it */
        cr_assert_eq(domain_format_xml(a, &xml), 0);
        cr_assert_eq(parse_string(xml, &again, &err2), 0);
        cr_assert(again->uuid_given);
        cr_assert_eq(memcmp(a->uuid, again->uuid, 16), 0);
}

Test(generated, mac) {
        _cleanup_free_ char *err = NULL, *xml = NULL, *err2 = NULL;
        _cleanup_domain_ Domain *d = NULL, *again = NULL;
        const char *src = "<domain type='qemu'><name>n</name><memory>1</memory><os><type>hvm</type></os>"
                          "<devices><interface type='user'/><interface type='user'/></devices></domain>";

        cr_assert_eq(parse_string(src, &d, &err), 0, "%s", err);
        cr_assert_eq(d->n_interfaces, 2);
        for (size_t i = 0; i < 2; i++) {
                cr_assert_not(d->interfaces[i].mac_given);
                cr_assert_eq(memcmp(d->interfaces[i].mac, "\x52\x54\x00", 3), 0);
        }
        cr_assert_neq(memcmp(d->interfaces[0].mac, d->interfaces[1].mac, 6), 0);
        cr_assert_eq(domain_format_xml(d, &xml), 0);
        cr_assert_eq(parse_string(xml, &again, &err2), 0, "%s", err2);
        cr_assert(again->interfaces[0].mac_given);
        cr_assert_eq(memcmp(again->interfaces[0].mac, d->interfaces[0].mac, 6), 0);
}

Test(model, uuid_parse_format) {
        uint8_t u[16], v[16];
        char buf[37];

        cr_assert_eq(domain_uuid_parse("4DEA22B3-1D52-D8F3-2516-782E98AB3FA0", u), 0);
        domain_uuid_format(u, buf);
        cr_assert_str_eq(buf, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
        cr_assert_eq(domain_uuid_parse("4dea22b31d52d8f32516782e98ab3fa0", v), 0);
        cr_assert_eq(memcmp(u, v, 16), 0);
        cr_assert_eq(domain_uuid_parse("4dea22b3-1d52-d8f3-2516-782e98ab3fa", u), -EINVAL);
        cr_assert_eq(domain_uuid_parse("4dea22b31-d52-d8f3-2516-782e98ab3fa0", u), -EINVAL);
        cr_assert_eq(domain_uuid_parse("4dea22b3-1d52-d8f3-2516-782e98ab3fag", u), -EINVAL);
        cr_assert_eq(domain_uuid_parse(NULL, u), -EINVAL);
}

Test(model, name_check) {
        static const struct {
                const char *name;
                const char *why; /* NULL: valid */
        } cases[] = {
                { "web-1", NULL },
                { "with space", NULL },
                { "ünïcode", NULL },
                { "", "name is empty" },
                { ".", "name must not be '.' or '..'" },
                { "..", "name must not be '.' or '..'" },
                { "a/b", "name must not contain '/'" },
                { "labels",
                  "'labels' is reserved (the runtime directory of that name holds the label registry)" },
                { "labels2", NULL },
                { "tab\there", "name must not contain control characters" },
                { "del\x7f", "name must not contain control characters" },
        };
        char long_name[DOMAIN_NAME_MAX + 2];
        const char *why;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                why = NULL;
                cr_assert_eq(domain_name_check(cases[i].name, &why), cases[i].why ? -EINVAL : 0, "%s",
                             cases[i].name);
                if (cases[i].why)
                        cr_assert_str_eq(why, cases[i].why);
        }
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[DOMAIN_NAME_MAX] = 0;
        cr_assert_eq(domain_name_check(long_name, &why), 0);
        long_name[DOMAIN_NAME_MAX] = 'a';
        long_name[DOMAIN_NAME_MAX + 1] = 0;
        cr_assert_eq(domain_name_check(long_name, &why), -EINVAL);
        cr_assert_str_eq(why, "name is longer than 200 bytes");
}

Test(model, disk_bus) {
        static const struct {
                const char *dev;
                DomainDiskBus given, want;
        } cases[] = {
                { "vda", DOMAIN_DISK_BUS_DEFAULT, DOMAIN_DISK_BUS_VIRTIO },
                { "sdb", DOMAIN_DISK_BUS_DEFAULT, DOMAIN_DISK_BUS_SATA },
                { "hdc", DOMAIN_DISK_BUS_DEFAULT, DOMAIN_DISK_BUS_IDE },
                { "fda", DOMAIN_DISK_BUS_DEFAULT, DOMAIN_DISK_BUS_FDC },
                { "sda", DOMAIN_DISK_BUS_SCSI, DOMAIN_DISK_BUS_SCSI },
                { "sda", DOMAIN_DISK_BUS_USB, DOMAIN_DISK_BUS_USB },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                DomainDisk disk = { .target_dev = (char *) cases[i].dev, .bus = cases[i].given };
                cr_assert_eq(domain_disk_bus(&disk), cases[i].want, "%s", cases[i].dev);
        }
}

Test(model, lifecycle) {
        Domain d = {};

        cr_assert_eq(domain_on_poweroff(&d), DOMAIN_ACTION_DESTROY);
        cr_assert_eq(domain_on_reboot(&d), DOMAIN_ACTION_RESTART);
        cr_assert_eq(domain_on_crash(&d), DOMAIN_ACTION_DESTROY);
        d.on_crash = DOMAIN_ACTION_PRESERVE;
        cr_assert_eq(domain_on_crash(&d), DOMAIN_ACTION_PRESERVE);
        cr_assert_str_eq(domain_lifecycle_action_to_string(DOMAIN_ACTION_COREDUMP_RESTART),
                         "coredump-restart");
        cr_assert_null(domain_lifecycle_action_to_string(DOMAIN_ACTION_DEFAULT));
        cr_assert_eq(domain_lifecycle_action_from_string("rename-restart"), DOMAIN_ACTION_RENAME_RESTART);
        cr_assert_eq(domain_lifecycle_action_from_string("reboot"), -EINVAL);
        cr_assert_eq(domain_free(NULL), NULL);
}

static Domain *parse_example(const char *name) {
        _cleanup_free_ char *path = data_path("parse", name), *err = NULL;
        Domain *d = NULL;

        cr_assert_eq(domain_parse_file(path, &d, &err), 0, "%s", err);
        return d;
}

/* Channels keep their target name and state; libvirt's run-time socket
 * path is forgotten; the serial target model is kept. */
Test(parse, channels) {
        _cleanup_domain_ Domain *d = parse_example("channels.xml");

        cr_assert_eq(d->n_chars, 8);
        cr_assert_null(d->chars[7].path);
        cr_assert(d->chars[7].unix_listen);
        cr_assert_eq(d->chars[0].target_model, DOMAIN_CHAR_MODEL_ISA_SERIAL);
        cr_assert_null(d->chars[0].path);
        cr_assert_null(d->chars[1].path);
        cr_assert_eq(d->chars[2].kind, DOMAIN_CHAR_CHANNEL);
        cr_assert_null(d->chars[2].path);
        cr_assert(d->chars[2].unix_listen);
        cr_assert_str_eq(d->chars[2].target_name, "org.qemu.guest_agent.0");
        cr_assert_eq(d->chars[2].target_state, DOMAIN_CHAR_STATE_CONNECTED);
        cr_assert_null(d->chars[3].path);
        cr_assert_str_eq(d->chars[4].path, "/srv/sock/service");
        cr_assert(!d->chars[4].unix_listen);
        cr_assert_eq(d->chars[5].type, DOMAIN_CHAR_SPICEVMC);
        cr_assert_eq(d->chars[5].target_state, DOMAIN_CHAR_STATE_DISCONNECTED);
        cr_assert_null(d->chars[6].target_name);
        cr_assert_not_null(d->iommu);
        cr_assert_eq(d->iommu->model, DOMAIN_IOMMU_VIRTIO);
        cr_assert_eq(d->n_inputs, 1);
        cr_assert_eq(d->inputs[0].model, DOMAIN_VIRTIO_MODEL_NON_TRANSITIONAL);
        cr_assert_eq(d->inputs[0].virtio.iommu, DOMAIN_TRISTATE_ON);
}

Test(full, top_level) {
        _cleanup_domain_ Domain *d = parse_example("full.xml");
        char uuid[37];

        cr_assert_eq(d->virt_type, DOMAIN_VIRT_KVM);
        cr_assert_str_eq(d->name, "full-1");
        domain_uuid_format(d->uuid, uuid);
        cr_assert_str_eq(uuid, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
        cr_assert(d->uuid_given);
        cr_assert_str_eq(d->title, "Everything at once");
        cr_assert_str_eq(d->description, "A description\nover two lines & an ampersand.");
        cr_assert_not_null(strstr(d->metadata_xml, "<app:owner>ops</app:owner>"));
        cr_assert_eq(d->memory_kib, 2097152);
        cr_assert_eq(d->current_memory_kib, 1572864);
        cr_assert_eq(d->memtune_hard_limit_kib, 3145728);
        cr_assert_eq(d->memtune_soft_limit_kib, 1048576);
        cr_assert_eq(d->vcpus, 4);
        cr_assert_eq(d->vcpus_current, 2);
        cr_assert_not(d->vcpu_placement_auto);
        cr_assert_str_eq(d->vcpu_cpuset, "0-3,^2,8");
        cr_assert_eq(d->cputune.shares, 2048);
        cr_assert_eq(d->on_crash, DOMAIN_ACTION_COREDUMP_DESTROY);
        cr_assert_str_eq(d->emulator, "/usr/bin/qemu-system-x86_64");
}

Test(full, os_cpu_clock) {
        _cleanup_domain_ Domain *d = parse_example("full.xml");

        cr_assert_eq(d->os.firmware, DOMAIN_FIRMWARE_EFI);
        cr_assert_str_eq(d->os.type, "hvm");
        cr_assert_str_eq(d->os.arch, "x86_64");
        cr_assert_str_eq(d->os.machine, "q35");
        cr_assert_str_eq(d->os.loader, "/usr/share/OVMF/OVMF_CODE.fd");
        cr_assert_eq(d->os.loader_type, DOMAIN_LOADER_PFLASH);
        cr_assert_eq(d->os.loader_readonly, DOMAIN_TRISTATE_ON);
        cr_assert_eq(d->os.loader_secure, DOMAIN_TRISTATE_OFF);
        cr_assert_str_eq(d->os.nvram_template, "/usr/share/OVMF/OVMF_VARS.fd");
        cr_assert_str_eq(d->os.cmdline, "console=ttyS0 root=/dev/vda1");
        cr_assert_eq(d->os.bootmenu, DOMAIN_TRISTATE_ON);
        cr_assert(d->features.acpi);
        cr_assert(d->features.pae);
        cr_assert(d->cpu.present);
        cr_assert_eq(d->cpu.mode, DOMAIN_CPU_MODE_CUSTOM);
        cr_assert_str_eq(d->cpu.model.name, "Skylake-Client");
        cr_assert_eq(d->cpu.topology.cores, 2);
        cr_assert_eq(d->cpu.n_features, 2);
        cr_assert_eq(d->cpu.features[1].policy, DOMAIN_CPU_FEATURE_FORBID);
        cr_assert_eq(d->clock.offset, DOMAIN_CLOCK_LOCALTIME);
        cr_assert_eq(d->clock.n_timers, 3);
        cr_assert_eq(d->clock.timers[0].tickpolicy, DOMAIN_TICK_CATCHUP);
        cr_assert_eq(d->clock.timers[2].present, DOMAIN_TRISTATE_OFF);
}

Test(full, disks_and_net) {
        _cleanup_domain_ Domain *d = parse_example("full.xml");

        cr_assert_eq(d->n_disks, 3);
        cr_assert_eq(d->disks[0].format, DOMAIN_DISK_FORMAT_QCOW2);
        cr_assert_eq(d->disks[0].cache, DOMAIN_DISK_CACHE_NONE);
        cr_assert_eq(d->disks[0].boot_order, 1);
        cr_assert_str_eq(d->disks[0].serial, "DISK-0001");
        cr_assert_eq(d->disks[1].type, DOMAIN_DISK_TYPE_BLOCK);
        cr_assert_str_eq(d->disks[1].source, "/dev/vg0/data");
        cr_assert_eq(d->disks[1].bus, DOMAIN_DISK_BUS_DEFAULT);
        cr_assert_eq(domain_disk_bus(&d->disks[1]), DOMAIN_DISK_BUS_SATA);
        cr_assert(d->disks[1].shareable);
        cr_assert_eq(d->disks[2].device, DOMAIN_DISK_DEVICE_CDROM);
        cr_assert_null(d->disks[2].source);
        cr_assert(d->disks[2].readonly);
        cr_assert_eq(d->n_interfaces, 2);
        cr_assert(d->interfaces[0].mac_given);
        cr_assert_eq(memcmp(d->interfaces[0].mac, "\x52\x54\x00\xab\xcd\x01", 6), 0);
        cr_assert_str_eq(d->interfaces[1].model, "e1000");
        cr_assert_eq(d->n_controllers, 3);
        cr_assert_eq(d->controllers[1].type, DOMAIN_CONTROLLER_SCSI);
        cr_assert_eq(d->controllers[1].index, 0);
}

Test(full, chars_and_others) {
        _cleanup_domain_ Domain *d = parse_example("full.xml");

        cr_assert_eq(d->n_chars, 5);
        cr_assert_eq(d->chars[0].target_type, DOMAIN_CHAR_TARGET_ISA_SERIAL);
        cr_assert_eq(d->chars[0].target_port, 0);
        cr_assert_eq(d->chars[1].type, DOMAIN_CHAR_FILE);
        cr_assert(d->chars[1].append);
        cr_assert_eq(d->chars[2].type, DOMAIN_CHAR_UNIX);
        cr_assert_not(d->chars[2].unix_listen);
        cr_assert_eq(d->chars[2].target_port, -1);
        cr_assert_eq(d->chars[3].kind, DOMAIN_CHAR_CONSOLE);
        cr_assert_eq(d->chars[4].target_type, DOMAIN_CHAR_TARGET_VIRTIO);
        cr_assert_eq(d->n_graphics, 1);
        cr_assert_eq(d->graphics[0].port, 5901);
        cr_assert_not(d->graphics[0].autoport);
        cr_assert_str_eq(d->graphics[0].listen, "127.0.0.1");
        cr_assert_eq(d->videos[0].model, DOMAIN_VIDEO_VIRTIO);
        cr_assert_eq(d->videos[0].vram_kib, 16384);
        cr_assert_eq(d->inputs[1].bus, DOMAIN_INPUT_BUS_DEFAULT);
        cr_assert_eq(d->memballoon->model, DOMAIN_MEMBALLOON_VIRTIO);
        cr_assert_eq(d->n_panics, 1);
        cr_assert_eq(d->n_qemu_args, 3);
        cr_assert_str_eq(d->qemu_args[2], "timestamp=on");
        cr_assert_null(d->qemu_args[3]);
        cr_assert_str_eq(d->qemu_env[0].name, "QEMU_AUDIO_DRV");
}

Test(variants, defaults_and_spellings) {
        _cleanup_domain_ Domain *d = parse_example("variants.xml");
        char uuid[37];

        domain_uuid_format(d->uuid, uuid);
        cr_assert_str_eq(uuid, "4dea22b3-1d52-d8f3-2516-782e98ab3fa1");
        /* a namespace declared on <domain> moves onto the kept element */
        cr_assert_str_eq(d->metadata_xml, "<metadata xmlns:app=\"http://example.org/app/1\">"
                                          "<app:tag name=\"x\">1 &lt; 2</app:tag></metadata>");
        cr_assert_eq(d->memory_kib, 65537); /* 64 MiB + 1 byte, rounded up */
        cr_assert(d->vcpu_placement_auto);
        cr_assert_eq(d->os.n_boot, 3);
        cr_assert_eq(d->os.boot[2], DOMAIN_BOOT_NETWORK);
        cr_assert_null(d->os.loader);
        cr_assert_eq(d->os.loader_type, DOMAIN_LOADER_ROM);
        cr_assert_eq(d->cpu.mode, DOMAIN_CPU_MODE_HOST_PASSTHROUGH);
        cr_assert_eq(d->controllers[0].index, 0);
        cr_assert_eq(d->controllers[1].index, 1); /* lowest free index of its type */
        cr_assert_eq(d->controllers[2].index, 0);
        cr_assert(d->chars[0].unix_listen); /* libvirt: no mode= means bind */
        cr_assert(d->graphics[0].autoport);
        cr_assert_eq(d->graphics[0].port, -1);
        cr_assert_str_eq(d->graphics[1].socket, "/run/vmunit/variants/vnc.sock");
        cr_assert(d->graphics[2].autoport); /* autoport='yes' wins over port= */
        cr_assert_eq(d->graphics[2].port, -1);
        cr_assert_eq(d->videos[0].model, DOMAIN_VIDEO_DEFAULT);
        cr_assert_eq(d->panics[0].model, DOMAIN_PANIC_DEFAULT);
        cr_assert_eq(d->n_qemu_env, 1);
        cr_assert_null(d->qemu_env[0].value);
}

/* Checks that span attributes or elements, on small inline documents:
 * the devices go inside <devices>, line 1 is the whole document. */
typedef struct SemanticCase {
        const char *top;     /* extra elements under <domain> */
        const char *devices; /* elements under <devices> */
        const char *message; /* after "mem.xml:1: " */
} SemanticCase;

static const SemanticCase semantic_cases[] = {
        { "<currentMemory>2</currentMemory>", "",
          "/domain/currentMemory: currentMemory is larger than memory" },
        { "<vcpu current='3'>2</vcpu>", "", "/domain/vcpu: current vCPUs (3) exceed the maximum (2)" },
        { "<title>a\nb</title>", "", "/domain/title: title must be a single line" },
        { "", "<graphics type='vnc' autoport='no'/>",
          "/domain/devices/graphics: autoport='no' requires a port" },
        { "", "<graphics type='vnc' port='5000'/>",
          "/domain/devices/graphics: number '5000' for attribute 'port' out of range (5900-65535)" },
        { "", "<graphics type='spice'><listen type='network' network='default'/></graphics>",
          "/domain/devices/graphics/listen: listen type 'network' is not supported: virtual networks are "
          "not "
          "managed by vmunit; give the address instead" },
        { "", "<graphics type='spice'><gl enable='yes'/></graphics>",
          "/domain/devices/graphics/gl: gl enable='yes' is not supported: it needs a DRM render node, which "
          "vmunit does not give QEMU" },
        { "", "<graphics type='spice'><channel name='main' mode='secure'/></graphics>",
          "/domain/devices/graphics/channel: channel mode 'secure' is not supported: SPICE TLS is not "
          "configured" },
        { "", "<graphics type='spice' tlsPort='5901'/>",
          "/domain/devices/graphics: attribute 'tlsPort' is not supported: SPICE TLS needs certificates "
          "vmunit "
          "does not configure" },
        { "", "<graphics type='vnc'><image compression='off'/></graphics>",
          "/domain/devices/graphics: SPICE options (image, jpeg, zlib, playback, streaming, mouse, "
          "clipboard, "
          "filetransfer, gl, channel) need type='spice'" },
        { "", "<graphics type='spice' sharePolicy='ignore'/>",
          "/domain/devices/graphics: attribute 'sharePolicy' needs type='vnc'" },
        { "", "<graphics type='vnc' passwd='x' connected='fail'/>",
          "/domain/devices/graphics: VNC can only keep connected clients on a password change "
          "(connected='keep')" },
        { "", "<graphics type='vnc' passwdValidTo='2030-01-01T00:00:00'/>",
          "/domain/devices/graphics: passwdValidTo and connected need a passwd" },
        { "", "<graphics type='vnc' passwd='x' passwdValidTo='tomorrow'/>",
          "/domain/devices/graphics: invalid passwdValidTo 'tomorrow' (expected YYYY-MM-DDTHH:MM:SS)" },
        { "", "<graphics type='spice' port='5901'><listen type='none'/></graphics>",
          "/domain/devices/graphics: a port cannot be combined with a 'none' listen" },
        { "", "<video><model type='qxl'><acceleration accel3d='yes'/></model></video>",
          "/domain/devices/video/model/acceleration: accel3d='yes' is not supported: it needs a DRM render "
          "node, which vmunit does not give QEMU" },
        { "", "<video><model type='vga' ram='65536'/></video>",
          "/domain/devices/video/model: attributes 'ram' and 'vram64' need model type 'qxl'" },
        { "", "<video><model type='qxl'/></video><video><model type='qxl' primary='yes'/></video>",
          "/domain/devices/video[2]: only the first <video> can be primary: list the primary one first" },
        { "", "<audio id='1' type='pulseaudio'/>",
          "/domain/devices/audio: audio type 'pulseaudio' is not supported: a VM run as a system service "
          "has "
          "no user's sound server or sound device; use 'spice' or 'none'" },
        { "", "<audio id='1' type='none'/><audio id='1' type='spice'/>",
          "/domain/devices/audio[2]: duplicate audio id 1" },
        { "", "<sound model='ich7'/>",
          "/domain/devices/sound: sound model 'ich7' is not supported: QEMU has no ICH7 HD Audio "
          "controller" },
        { "", "<sound model='ac97'><codec type='duplex'/></sound>",
          "/domain/devices/sound: <codec> needs an HD Audio model (ich6, ich9)" },
        { "", "<smartcard mode='host'/>",
          "/domain/devices/smartcard: smartcard mode 'host' is not supported: it reads the host's card "
          "reader "
          "or certificates; use mode='passthrough' type='spicevmc'" },
        { "", "<redirdev bus='usb' type='tcp'/>",
          "/domain/devices/redirdev: unsupported value 'tcp' for attribute 'type' (expected one of: "
          "spicevmc)" },
        { "", "<input type='tablet' bus='ps2'/>",
          "/domain/devices/input: a tablet cannot be on the ps2 bus" },
        { "", "<controller type='sata' model='ahci'/>",
          "/domain/devices/controller: unsupported attribute 'model' for controller type 'sata'" },
        { "", "<controller type='usb' index='0'/><controller type='usb' index='0'/>",
          "/domain/devices/controller[2]: duplicate controller type 'usb' index 0" },
        { "", "<interface type='user'><mac address='53:54:00:00:00:01'/></interface>",
          "/domain/devices/interface/mac: MAC address '53:54:00:00:00:01' is a multicast address" },
        { "",
          "<interface type='user'><boot order='1'/></interface><interface type='user'><boot "
          "order='1'/></interface>",
          "/domain/devices/interface[2]: boot order 1 is used twice" },
        { "", "<serial type='null'><source path='/dev/null'/></serial>",
          "/domain/devices/serial/source: element 'source' is not allowed with type 'null'" },
        { "", "<serial type='unix'/>", "/domain/devices/serial: missing element 'source'" },
        { "", "<console type='pty'><target type='isa-serial'/></console>",
          "/domain/devices/console/target: unsupported value 'isa-serial' for attribute 'type' "
          "(expected one of: serial, virtio)" },
        { "", "<disk type='network'><source protocol='nbd'/><target dev='vda'/></disk>",
          "/domain/devices/disk: disk type 'network' is not supported: network disks come with the storage "
          "work" },
        { "", "<disk type='volume'><target dev='vda'/></disk>",
          "/domain/devices/disk: disk type 'volume' is not supported: storage pool volumes come with the "
          "storage work" },
        { "", "<disk type='nvme'><target dev='vda'/></disk>",
          "/domain/devices/disk: disk type 'nvme' is not supported: NVMe passthrough needs a VFIO-bound "
          "host controller" },
        { "", "<disk type='vhostuser'><target dev='vda'/></disk>",
          "/domain/devices/disk: disk type 'vhostuser' is not supported: vhost-user disks need an external "
          "backend and shared memory" },
        { "",
          "<disk><source file='/a'/><backingStore type='file'><format type='raw'/></backingStore><target "
          "dev='vda'/></disk>",
          "/domain/devices/disk/backingStore: element 'backingStore' is not supported: backing chains come "
          "with the storage work" },
        { "", "<disk><source file='/a'/><target dev='vda'/><encryption format='luks'/></disk>",
          "/domain/devices/disk/encryption: element 'encryption' is not supported: encrypted images need "
          "secrets, which vmunit does not handle" },
        { "", "<disk><source file='/a'/><target dev='vda'/><auth username='a'/></disk>",
          "/domain/devices/disk/auth: element 'auth' is not supported: authentication belongs to network "
          "disks, which come with the storage work" },
        { "", "<disk><source file='/a'/><mirror/><target dev='vda'/></disk>",
          "/domain/devices/disk/mirror: element 'mirror' is not supported: block copy jobs are not "
          "supported" },
        { "", "<disk><source file='/a'><reservations managed='yes'/></source><target dev='vda'/></disk>",
          "/domain/devices/disk/source/reservations: element 'reservations' is not supported: persistent "
          "reservations need a pr-manager helper vmunit does not run" },
        { "", "<disk><source file='/a'><slices/></source><target dev='vda'/></disk>",
          "/domain/devices/disk/source/slices: element 'slices' is not supported: storage slices come with "
          "the storage work" },
        { "", "<disk><source file='/a'/><target dev='vda'/><transient/></disk>",
          "/domain/devices/disk/transient: element 'transient' is not supported: a transient disk needs a "
          "temporary overlay image, which comes with the storage work" },
        { "",
          "<disk><source file='/a'/><target "
          "dev='vda'/><iotune><total_bytes_sec>1</total_bytes_sec></iotune></disk>",
          "/domain/devices/disk/iotune: element 'iotune' is not supported: I/O throttling needs throttle "
          "groups, which vmunit does not build" },
        { "", "<disk><driver io='native' cache='writeback'/><source file='/a'/><target dev='vda'/></disk>",
          "/domain/devices/disk/driver: native I/O needs either no disk cache or directsync cache mode "
          "(cache='none' or cache='directsync')" },
        { "", "<disk><driver rerror_policy='enospace'/><source file='/a'/><target dev='vda'/></disk>",
          "/domain/devices/disk/driver: rerror_policy='enospace' is not a read error policy" },
        { "", "<disk sgio='filtered'><source file='/a'/><target dev='vda'/></disk>",
          "/domain/devices/disk: rawio and sgio can be used only with device='lun'" },
        { "", "<disk><source file='/a'/><target dev='vda' tray='open'/></disk>",
          "/domain/devices/disk/target: tray is only valid for cdrom and floppy" },
        { "", "<disk><source file='/a' startupPolicy='requisite'/><target dev='vda'/></disk>",
          "/domain/devices/disk/source: startupPolicy='requisite' is only allowed for cdrom and floppy" },
        { "", "<disk><source file='/a'/><target dev='vda'/><wwn>1234</wwn></disk>",
          "/domain/devices/disk/wwn: malformed wwn '1234' (16 hex digits)" },
        { "", "<disk><source file='/a'/><target dev='vda'/><vendor>TOOLONGVENDOR</vendor></disk>",
          "/domain/devices/disk/vendor: <vendor> must be 1 to 8 characters" },
        { "", "<disk><source file='/a'/><blockio logical_block_size='1000'/><target dev='vda'/></disk>",
          "/domain/devices/disk/blockio: block sizes must be powers of two from 512 to 2097152 bytes" },
        { "", "<controller type='usb'><driver queues='2'/></controller>",
          "/domain/devices/controller: <driver> applies to scsi controllers only" },
        { "", "<hostdev mode='subsystem' type='pci' managed='yes'/>",
          "/domain/devices/hostdev: element 'hostdev' is not supported: host device passthrough (VFIO) "
          "needs "
          "the device bound to vfio-pci and its IOMMU group given to QEMU, which vmunit does not do yet" },
        { "", "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>",
          "/domain/devices/tpm: element 'tpm' is not supported: a TPM needs the swtpm emulator running "
          "beside "
          "QEMU (or a host TPM passed through), which vmunit does not manage yet" },
        { "", "<controller type='usb' ports='4'/>",
          "/domain/devices/controller: ports= applies to virtio-serial and xhci USB controllers only" },
        { "", "<controller type='usb' model='qemu-xhci' vectors='4'/>",
          "/domain/devices/controller: vectors= applies to virtio-serial controllers only" },
        { "", "<controller type='usb' model='qemu-xhci'><target chassis='1'/></controller>",
          "/domain/devices/controller: <model> and <target> apply to pci controllers only" },
        { "", "<controller type='usb' model='qemu-xhci'><master startport='0'/></controller>",
          "/domain/devices/controller: <master> applies to ich9-uhci companion controllers only" },
        { "", "<controller type='usb' model='xhci'/>",
          "/domain/devices/controller: unsupported value 'xhci' for attribute 'model' (expected one of: "
          "qemu-xhci, nec-xhci, piix3-uhci, piix4-uhci, ehci, ich9-ehci1, ich9-uhci1, ich9-uhci2, "
          "ich9-uhci3, "
          "vt82c686b-uhci, pci-ohci, none)" },
        { "", "<controller type='pci' index='1' model='pcie-root-port'><model name='virtio'/></controller>",
          "/domain/devices/controller/model: unsupported value 'virtio' for attribute 'name' (expected one "
          "of: pci-bridge, i82801b11-bridge, ioh3420, pcie-root-port, x3130-upstream, xio3130-downstream, "
          "pxb, pxb-pcie, pcie-pci-bridge)" },
        { "", "<controller type='pci' index='1' model='pcie-root-port'><target port='0x100'/></controller>",
          "/domain/devices/controller/target: invalid value '0x100' for attribute 'port'" },
        { "", "<disk type='block'><source file='/a'/><target dev='vda'/></disk>",
          "/domain/devices/disk/source: unsupported attribute 'file'\n"
          "mem.xml:1: /domain/devices/disk/source: missing attribute 'dev'" },
        { "", "<disk><driver name='tap'/><source file='/a'/><target dev='vda'/></disk>",
          "/domain/devices/disk/driver: unsupported value 'tap' for attribute 'name' (expected one of: "
          "qemu)" },
        { "", "<disk><source file='/a'/><target dev='vda'/><alias name='1x'/></disk>",
          "/domain/devices/disk/alias: invalid alias '1x': letters, digits, '-', '.' and '_', starting with "
          "a "
          "letter" },
        { "<qemu:commandline><qemu:env name='1X'/></qemu:commandline>", "",
          "/domain/qemu:commandline/qemu:env: invalid environment variable name '1X'" },
        { "<cpu><feature name='a,b'/></cpu>", "", "/domain/cpu/feature: invalid CPU feature name 'a,b'" },
        { "<clock><timer name='rtc'/><timer name='rtc'/></clock>", "",
          "/domain/clock/timer[2]: duplicate timer 'rtc'" },
        { "<clock><timer name='armvtimer'/></clock>", "",
          "/domain/clock/timer: unsupported value 'armvtimer' for attribute 'name' (expected one of: rtc, "
          "pit, hpet, kvmclock, hypervclock, tsc)" },
        { "<clock><timer name='pit' track='wall'/></clock>", "",
          "/domain/clock/timer: only the rtc timer takes track=" },
        { "<clock><timer name='rtc'><catchup threshold='1'/></timer></clock>", "",
          "/domain/clock/timer/catchup: element 'catchup' is not supported: QEMU has no catch-up threshold, "
          "slew or limit settings" },
        { "<clock offset='utc' sync='localtime'/>", "", "/domain/clock: sync= and offset= disagree" },
        { "<clock offset='timezone'/>", "", "/domain/clock: offset='timezone' needs a timezone=" },
        { "<clock offset='timezone' timezone='../etc'/>", "", "/domain/clock: invalid timezone '../etc'" },
        { "<clock offset='variable' adjustment='reset'/>", "",
          "/domain/clock: adjustment='reset' is for offset 'utc' or 'localtime'" },
        { "<clock offset='variable' adjustment='1h'/>", "", "/domain/clock: invalid adjustment '1h'" },
        { "<clock offset='utc' basis='utc'/>", "", "/domain/clock: basis= needs offset='variable'" },
        { "<features><msrs unknown='ignore'/></features>", "",
          "/domain/features/msrs: element 'msrs' is not supported: it is a bhyve setting: QEMU has no "
          "switch for unknown MSRs" },
        { "<features><gic version='3'/></features>", "",
          "/domain/features/gic: element 'gic' is not supported: the GIC is ARM's interrupt controller, it "
          "is not an x86 feature" },
        { "<features><htm state='on'/></features>", "",
          "/domain/features/htm: element 'htm' is not supported: POWER's transactional memory: it is not "
          "an x86 feature" },
        { "<features><tcg><tb-cache unit='MiB'>128</tb-cache></tcg></features>", "",
          "/domain/features/tcg: element 'tcg' is not supported: TCG translation-block cache tuning is not "
          "supported" },
        { "<features><hyperv><vendor_id state='on' value='ABCDEFGHIJKLM'/></hyperv></features>", "",
          "/domain/features/hyperv/vendor_id: vendor_id value 'ABCDEFGHIJKLM' is longer than 12 "
          "characters" },
        { "<features><hyperv><spinlocks state='on' retries='100'/></hyperv></features>", "",
          "/domain/features/hyperv/spinlocks: invalid value '100' for attribute 'retries'" },
        { "<features><kvm><dirty-ring state='on' size='1000'/></kvm></features>", "",
          "/domain/features/kvm/dirty-ring: dirty-ring size 1000 is not a power of two from 1024 to 65536" },
        { "<features><smm state='off'><tseg unit='MiB'>48</tseg></smm></features>", "",
          "/domain/features/smm: <tseg> needs SMM on" },
        { "<features><ioapic driver='xen'/></features>", "",
          "/domain/features/ioapic: unsupported value 'xen' for attribute 'driver' (expected one of: kvm, "
          "qemu)" },
        { "<genid>not-a-uuid</genid>", "", "/domain/genid: invalid genid 'not-a-uuid'" },
        { "<launchSecurity type='sev'/>", "",
          "/domain/launchSecurity: element 'launchSecurity' is not supported: confidential guests (SEV, "
          "TDX) "
          "need a measured launch vmunit does not do" },
        { "<sysinfo type='fwcfg'/>", "",
          "/domain/sysinfo: unsupported value 'fwcfg' for attribute 'type' (expected one of: smbios)" },
        { "<sysinfo type='smbios'><bios><entry name='vendor'>a</entry><entry name='vendor'>b</entry></bios>"
          "</sysinfo>",
          "", "/domain/sysinfo/bios/entry[2]: duplicate entry 'vendor'" },
        { "<sysinfo type='smbios'><chassis><entry name='product'>a</entry></chassis></sysinfo>", "",
          "/domain/sysinfo/chassis/entry: unsupported value 'product' for attribute 'name' (expected one "
          "of: "
          "manufacturer, version, serial, asset, sku)" },
        { "<blkiotune><weight>5</weight></blkiotune>", "",
          "/domain/blkiotune/weight: invalid value '5' for text" },
        { "<blkiotune><device><weight>100</weight></device></blkiotune>", "",
          "/domain/blkiotune/device: missing element 'path'" },
        { "<blkiotune><device><path>/dev/sda</path></device><device><path>/dev/sda</path></device>"
          "</blkiotune>",
          "", "/domain/blkiotune: duplicate blkio device path '/dev/sda'" },
        { "", "<graphics type='sdl' display=':0.0' xauth='/root/.Xauthority' fullscreen='yes'/>",
          "/domain/devices/graphics: graphics type 'sdl' is not supported: a VM run as a system service has "
          "no "
          "desktop session to open a window in; use vnc or spice" },
        { "", "<graphics type='vnc' display=':0.0'/>",
          "/domain/devices/graphics: display, xauth and fullscreen are options of type='sdl'" },
        { "", "<watchdog model='i6300esb' action='dump'/>",
          "/domain/devices/watchdog: action='dump' is not supported: libvirt dumps the guest's memory into "
          "its "
          "auto-dump directory, which vmunit does not manage; use pause or reset" },
        { "<perf><event name='cmt' enabled='no'/><event name='cmt' enabled='yes'/></perf>", "",
          "/domain/perf: perf event 'cmt' is given twice" },
        { "<perf><event name='cmt'/></perf>", "", "/domain/perf/event: missing attribute 'enabled'" },
        { "<on_lockfailure>destroy</on_lockfailure>", "",
          "/domain/on_lockfailure: unsupported value 'destroy' (expected one of: poweroff, restart, pause, "
          "ignore)" },
        { "<resource><partition>/machine/../x</partition></resource>", "",
          "/domain/resource: partition '/machine/../x' is not a slice path: '/' then names of letters, "
          "digits, '_', '.' and '-' separated by '/'" },
        { "<resource><partition>/machine</partition><fibrechannel appid='a'/></resource>", "",
          "/domain/resource/fibrechannel: element 'fibrechannel' is not supported: fibre-channel "
          "application IDs are not supported" },
        { "<memtune><swap_hard_limit>1</swap_hard_limit></memtune>", "",
          "/domain/memtune/swap_hard_limit: unsupported element 'swap_hard_limit'" },
        { "<cputune><shares>0</shares></cputune>", "",
          "/domain/cputune/shares: invalid value '0' for text" },
        { "<app:x xmlns:app='urn:x'/>", "", "/domain/app:x: unsupported element 'app:x'" },
        { "<description lang='en'>x</description>", "",
          "/domain/description: unsupported attribute 'lang'" },
        { "<features><acpi state='on'/></features>", "",
          "/domain/features/acpi: unsupported attribute 'state'" },
        { "<features><acpi>x</acpi></features>", "",
          "/domain/features/acpi: unexpected text in element 'acpi'" },
        { "<memtune unit='KiB'/>", "", "/domain/memtune: unsupported attribute 'unit'" },
        { "", "<emulator>usr/bin/qemu</emulator>",
          "/domain/devices/emulator: emulator path 'usr/bin/qemu' is not absolute" },
        { "", "<video type='x'/>", "/domain/devices/video: unsupported attribute 'type'" },
        { "", "<memballoon model='xen'/>",
          "/domain/devices/memballoon: unsupported value 'xen' for attribute 'model' (expected one of: "
          "virtio, virtio-transitional, virtio-non-transitional, none)" },
        { "", "<memballoon/>", "/domain/devices/memballoon: missing attribute 'model'" },
        { "", "<memballoon model='none'><stats period='5'/></memballoon>",
          "/domain/devices/memballoon: memballoon model 'none' takes no options or address" },
        { "", "<rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>",
          "/domain/devices/rng/backend: unsupported value '/dev/hwrng' (expected one of: /dev/urandom, "
          "/dev/random)" },
        { "", "<rng model='virtio'/>", "/domain/devices/rng: missing element 'backend'" },
        { "", "<rng model='virtio'><backend model='builtin'>/dev/random</backend></rng>",
          "/domain/devices/rng/backend: a builtin rng backend takes no device" },
        { "", "<rng model='virtio'><backend model='egd'/></rng>",
          "/domain/devices/rng/backend: unsupported value 'egd' for attribute 'model' (expected one of: "
          "random, "
          "builtin)" },
        { "", "<rng model='virtio'><rate period='10'/><backend model='builtin'/></rng>",
          "/domain/devices/rng/rate: missing attribute 'bytes'" },
        { "", "<watchdog model='ib700'/><watchdog model='ib700'/>",
          "/domain/devices/watchdog[2]: a second watchdog of model 'ib700'" },
        { "", "<watchdog model='ib700'/><watchdog model='i6300esb' action='pause'/>",
          "/domain/devices/watchdog[2]: all watchdogs must have the same action" },
        { "", "<watchdog model='itco'><address type='pci' slot='0x1f' function='0x4'/></watchdog>",
          "/domain/devices/watchdog: the itco watchdog is part of the chipset and has no address" },
        { "", "<panic model='isa'><address type='pci' slot='3'/></panic>",
          "/domain/devices/panic: an isa panic device takes an isa address with iobase only" },
        { "", "<panic model='pvpanic'><address type='isa' iobase='0x505'/></panic>",
          "/domain/devices/panic: a pvpanic device takes a pci address" },
        { "", "<panic/><panic model='isa'/>",
          "/domain/devices/panic[2]: a second panic device of model 'isa'" },
        { "", "<panic model='hyperv'><address type='isa' iobase='0x505'/></panic>",
          "/domain/devices/panic: a hyperv panic notifier has no address" },
        { "", "<interface type='user'><model type='ne2k'/></interface>",
          "/domain/devices/interface/model: unsupported value 'ne2k' for attribute 'type' (expected one of: "
          "virtio, virtio-transitional, virtio-non-transitional, e1000, e1000e, rtl8139, pcnet, ne2k_pci, "
          "i82559er, vmxnet3)" },
        { "", "<disk><source file='/a'/><target dev='vda'/><readonly ro='yes'/></disk>",
          "/domain/devices/disk/readonly: unsupported attribute 'ro'" },
        { "<vcpu cpuset='16384'>1</vcpu>", "", "/domain/vcpu: invalid cpuset '16384'" },
        { "<vcpu cpuset='0-3,^0,^1,^2,^3'>1</vcpu>", "", "/domain/vcpu: invalid cpuset '0-3,^0,^1,^2,^3'" },
        /* <cpu>, <numa> and the tuning tables (dom-cpu.c, dom-memory.c). */
        { "<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0-1' memory='2'/></numa></cpu>", "",
          "/domain/cpu/numa: NUMA cells hold 2 KiB but <memory> is 1 KiB: the two must be equal" },
        { "<cpu><numa><cell cpus='0-1' memory='1'/></numa></cpu>", "",
          "/domain/cpu/numa/cell: NUMA cell cpus '0-1' name vCPUs beyond the 1 of <vcpu>" },
        { "<cpu><numa><cell id='1' cpus='0' memory='1'/></numa></cpu>", "",
          "/domain/cpu/numa/cell: NUMA cell id 1 out of order (expected 0)" },
        { "<cpu><numa><cell id='0' cpus='0' memory='1'><distances><sibling id='1' value='20'/></distances>"
          "</cell></numa></cpu>",
          "", "/domain/cpu/numa/cell: NUMA distance to cell 1, which does not exist" },
        { "<cpu><numa><cell id='0' cpus='0' memory='1'><distances><sibling id='0' value='20'/></distances>"
          "</cell></numa></cpu>",
          "", "/domain/cpu/numa/cell: the distance of NUMA cell 0 to itself must be 10" },
        { "<cpu><numa><cell cpus='0' memory='1' unit='parsecs'/></numa></cpu>", "",
          "/domain/cpu/numa/cell: unsupported value 'parsecs' for attribute 'unit' (expected one of: b, "
          "bytes, KB, "
          "k, KiB, MB, M, MiB, GB, G, GiB, TB, T, TiB, PB, P, PiB, EB, E, EiB)" },
        { "<cpu><numa><cell cpus='0' memory='1'><cache level='1'/></cell></numa></cpu>", "",
          "/domain/cpu/numa/cell/cache: element 'cache' is not supported: NUMA cache (HMAT) descriptions "
          "are "
          "not supported" },
        { "<cpu><cache mode='emulate'/></cpu>", "",
          "/domain/cpu/cache: cache mode 'emulate' needs level='3' (QEMU emulates only the L3 cache)" },
        { "<cpu><cache level='3' mode='passthrough'/></cpu>", "",
          "/domain/cpu/cache: cache level is only meaningful with mode='emulate'" },
        { "<cpu><maxphysaddr mode='passthrough' bits='40'/></cpu>", "",
          "/domain/cpu/maxphysaddr: maxphysaddr mode 'passthrough' takes limit=, not bits=" },
        { "<cpu><maxphysaddr mode='emulate' limit='40'/></cpu>", "",
          "/domain/cpu/maxphysaddr: maxphysaddr mode 'emulate' takes bits=, not limit=" },
        { "<cpu><model vendor_id='Intel'>qemu64</model></cpu>", "",
          "/domain/cpu/model: vendor_id 'Intel' must be 12 letters, digits, '_', '.' or '-'" },
        { "<cpu><feature policy='maybe' name='x'/></cpu>", "",
          "/domain/cpu/feature: unsupported value 'maybe' for attribute 'policy' (expected one of: force, "
          "require, optional, disable, forbid)" },
        { "<vcpu current='1'>2</vcpu><vcpus><vcpu id='0' enabled='yes'/><vcpu id='1' "
          "enabled='yes'/></vcpus>",
          "", "/domain/vcpus: 2 vCPUs are enabled but <vcpu current> says 1" },
        { "<vcpus><vcpu id='1' enabled='yes'/></vcpus>", "",
          "/domain/vcpus/vcpu: vCPU id 1 is beyond the 1 of <vcpu>" },
        { "<vcpu>2</vcpu><vcpus><vcpu id='1' enabled='no'/><vcpu id='1' enabled='no'/></vcpus>", "",
          "/domain/vcpus/vcpu[2]: vCPU id 1 is listed twice" },
        { "<vcpus><vcpu id='0' enabled='no'/></vcpus>", "", "/domain/vcpus/vcpu: vCPU 0 must be enabled" },
        { "<maxMemory>4</maxMemory>", "", "/domain/maxMemory: missing attribute 'slots'" },
        { "<cputune><vcpupin vcpu='1' cpuset='0'/></cputune>", "",
          "/domain/cputune/vcpupin: vcpupin names vCPU 1, beyond the 1 of <vcpu>" },
        { "<cputune><vcpusched vcpus='0' scheduler='fifo' priority='1'/></cputune>", "",
          "/domain/cputune/vcpusched: element 'vcpusched' is not supported: real-time scheduling of QEMU "
          "threads "
          "is not supported" },
        { "<cputune><emulatorpin cpuset='x'/></cputune>", "",
          "/domain/cputune/emulatorpin: invalid cpuset 'x'" },
        { "<numatune><memnode cellid='0' nodeset='0'/></numatune>", "",
          "/domain/numatune/memnode: memnode cellid 0 names no <numa> cell" },
        { "<numatune><memory mode='strict'/></numatune>", "",
          "/domain/numatune/memory: numatune memory needs a nodeset (or placement='auto')" },
        { "<memoryBacking><source type='tmpfs'/></memoryBacking>", "",
          "/domain/memoryBacking/source: unsupported value 'tmpfs' for attribute 'type' (expected one of: "
          "file, anonymous, memfd)" },
        { "<memoryBacking><hugepages><page size='2' unit='MiB' nodeset='x'/></hugepages></memoryBacking>",
          "", "/domain/memoryBacking/hugepages/page: invalid nodeset 'x'" },
        /* 2^32 + 4: counted in 32 bits it matched (found writing fuzz-domain-xml's checks). */
        { "<vcpu>4</vcpu><cpu><topology sockets='2' dies='205' cores='2642' threads='3965'/></cpu>", "",
          "/domain/cpu/topology: CPU topology (4294967300 vCPUs) does not match vcpu count (4)" },
        { "", "<channel type='unix'><target type='guestfwd' address='10.0.2.1' port='4600'/></channel>",
          "/domain/devices/channel/target: guestfwd channels are not supported: vmunit has no QEMU "
          "user-network forwarding" },
        { "", "<channel type='unix'><target type='virtio'/></channel>",
          "/domain/devices/channel: a unix channel without <source path> needs a target name" },
        { "", "<channel type='pty'/>", "/domain/devices/channel: missing element 'target'" },
        { "", "<channel type='unix'><source mode='connect'/><target type='virtio' name='a'/></channel>",
          "/domain/devices/channel: a unix channel connecting out needs a <source path>" },
        { "", "<channel type='unix'><target type='virtio' name='a/b'/></channel>",
          "/domain/devices/channel: channel name 'a/b' cannot name a socket file" },
        { "", "<channel type='pty'><target type='virtio' name='a' state='open'/></channel>",
          "/domain/devices/channel/target: unsupported value 'open' for attribute 'state' (expected one of: "
          "connected, disconnected)" },
        { "", "<serial type='spicevmc'/>", "/domain/devices/serial: type 'spicevmc' is only for <channel>" },
        { "", "<serial type='pty'><target type='isa-serial'><model name='pci-serial'/></target></serial>",
          "/domain/devices/serial: serial target model 'pci-serial' does not match target type "
          "'isa-serial'" },
        { "", "<serial type='pty'><target><model name='16550a'/></target></serial>",
          "/domain/devices/serial/target/model: unsupported value '16550a' for attribute 'name' (expected "
          "one of: isa-serial, pci-serial, usb-serial)" },
        { "", "<input type='evdev'><source dev='/dev/input/event0'/></input>",
          "/domain/devices/input: input type 'evdev' is not supported: host input devices are character "
          "devices, which vmunit does not pass to QEMU yet" },
        { "", "<input type='passthrough' bus='virtio'><source evdev='/dev/input/event0'/></input>",
          "/domain/devices/input: input type 'passthrough' is not supported: host input devices are "
          "character devices, which vmunit does not pass to QEMU yet" },
        { "", "<input type='mouse' bus='usb' model='virtio'/>",
          "/domain/devices/input: an input model is only for bus='virtio'" },
        { "", "<input type='mouse'><source dev='/dev/input/event0'/></input>",
          "/domain/devices/input: <source> is only for input types evdev and passthrough" },
        { "", "<filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/></filesystem>",
          "/domain/devices/filesystem: element 'filesystem' is not supported: host directory shares need "
          "virtiofsd, a daemon vmunit does not run; 9p shares are not supported: use virtiofs when it "
          "lands" },
        { "", "<shmem name='x'/>",
          "/domain/devices/shmem: element 'shmem' is not supported: ivshmem needs a shared memory file both "
          "sides map, which vmunit does not create or label yet" },
        { "", "<vsock model='virtio'><cid auto='no'/></vsock>",
          "/domain/devices/vsock/cid: auto='no' needs a cid address" },
        { "", "<vsock model='virtio'><cid address='2'/></vsock>",
          "/domain/devices/vsock/cid: invalid value '2' for attribute 'address'" },
        { "", "<iommu model='amd'/>",
          "/domain/devices/iommu: unsupported value 'amd' for attribute 'model' (expected one of: intel, "
          "virtio, smmuv3)" },
        { "", "<iommu model='intel'><driver eim='on'/></iommu>",
          "/domain/devices/iommu/driver: eim='on' needs intremap='on'" },
        { "", "<iommu model='virtio'><driver intremap='on'/></iommu>",
          "/domain/devices/iommu: <driver> options are only supported with model='intel'" },
};

Test(errors, semantic) {
        for (size_t i = 0; i < ELEMENTSOF(semantic_cases); i++) {
                const SemanticCase *t = &semantic_cases[i];
                _cleanup_free_ char *xml = NULL, *want = NULL;

                cr_assert_geq(asprintf(&xml,
                                       "<domain type='qemu' "
                                       "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
                                       "<name>n</name><memory>1</memory><os><type>hvm</type></os>%s"
                                       "<devices>%s</devices></domain>",
                                       t->top, t->devices),
                              0);
                cr_assert_geq(asprintf(&want, "mem.xml:1: %s", t->message), 0);
                assert_string_error(xml, want);
        }
}

/* <nvram templateFormat>: the store is a byte copy of the template. */
Test(errors, nvram_template_format_mismatch) {
        assert_string_error(
                "<domain type='qemu'><name>n</name><memory>1</memory><os><type>hvm</type>"
                "<nvram template='/t.fd' templateFormat='qcow2' format='raw'>/v.fd</nvram>"
                "</os></domain>",
                "mem.xml:1: /domain/os/nvram: templateFormat='qcow2' differs from format='raw': the "
                "variable store is a copy of the template, and converting it is not supported");
}

/* Values are quoted in messages: a control character in one is shown as
 * \xNN, so the error stays one line (found by tests/fuzz/fuzz-domain-xml
 * and fuzz-disk-xml). */
Test(errors, control_characters_escaped) {
        assert_string_error("<domain type='qemu'><name>n</name><memory>1</memory>\n"
                            "<uuid>a\nb\x7f</uuid><os><type>hvm</type></os></domain>",
                            "mem.xml:2: /domain/uuid: invalid UUID 'a\\x0ab\\x7f'");
        assert_string_error("<domain type='qemu'><name>n</name><memory>1</memory><os><type>hvm</type></os>"
                            "<devices><disk><driver type='raw&#9;'/><target dev='vda'/></disk></devices>"
                            "</domain>",
                            "mem.xml:1: /domain/devices/disk/driver: unsupported value 'raw\\x09' for "
                            "attribute 'type' (expected one of: raw, qcow2)");
        /* libxml2's own messages quote the document too. */
        assert_string_error("<domain type='qemu' xmlns:qemu='http://a\x7f b'><name>n</name></domain>",
                            "mem.xml:1: xmlns:qemu: 'http://a\\x7f b' is not a valid URI");
}

/* With every index of a type taken, one without index= has none left: it
 * was given 256, which the formatter wrote out and the parser refused
 * (found by fuzz-domain-xml's round trip). */
Test(errors, controller_index_exhausted) {
        _cleanup_free_ char *xml = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&xml, &size);

        cr_assert_not_null(f);
        fputs("<domain type='qemu'><name>n</name><memory>1</memory><os><type>hvm</type></os><devices>", f);
        for (unsigned i = 0; i <= 255; i++)
                fprintf(f, "<controller type='sata' index='%u'/>", i);
        fputs("<controller type='sata'/></devices></domain>", f);
        cr_assert_eq(fclose(f), 0);
        assert_string_error(xml, "mem.xml:1: /domain/devices/controller[257]: no free index for another "
                                 "controller of type 'sata' (at most 255)");
}

Test(errors, os_boot_and_device_boot) {
        assert_string_error(
                "<domain type='qemu'><name>n</name><memory>1</memory>\n"
                "<os><type>hvm</type><boot dev='hd'/></os>\n"
                "<devices><disk><source file='/a'/><target dev='vda'/><boot order='1'/></disk></devices>"
                "</domain>",
                "mem.xml:2: /domain/os: per-device boot order cannot be combined with <boot dev=...> in "
                "<os>");
}

/* <seclabel>: the combinations libvirt refuses, refused the same way. */
ERROR_TEST(seclabel_twice, "seclabel-twice.xml", "8: /domain/seclabel[2]: only one <seclabel> is supported")
ERROR_TEST(seclabel_bad_context, "seclabel-bad-context.xml",
           "8: /domain/seclabel/label: invalid SELinux context 'system_u:system_r svirt_t:s0' (expected "
           "user:role:type:range)")
ERROR_TEST(seclabel_baselabel, "seclabel-baselabel.xml",
           "8: /domain/seclabel/baselabel: <baselabel> is not supported yet")
ERROR_TEST(seclabel_static_no_label, "seclabel-static-no-label.xml",
           "7: /domain/seclabel: type='static' requires a <label>")

static const SemanticCase seclabel_cases[] = {
        { "<seclabel type='dynamic' relabel='no'/>", "",
          "/domain/seclabel: a dynamic seclabel requires relabel='yes'" },
        { "<seclabel relabel='no'/>", "", "/domain/seclabel: a dynamic seclabel requires relabel='yes'" },
        { "<seclabel type='dynamic'><label>a:b:c:s0</label></seclabel>", "",
          "/domain/seclabel: a dynamic seclabel takes no <label> or <imagelabel>" },
        { "<seclabel type='none' relabel='yes'/>", "",
          "/domain/seclabel: type='none' cannot be combined with relabel='yes'" },
        { "<seclabel type='none'><label>a:b:c:s0</label></seclabel>", "",
          "/domain/seclabel: type='none' takes no <label> or <imagelabel>" },
        { "<seclabel type='static' model='selinux'><label>a:b:c:s0</label>"
          "<imagelabel>a:b:d:s0</imagelabel></seclabel>",
          "", "/domain/seclabel: <imagelabel> requires relabel='yes'" },
        { "<seclabel type='static' model='apparmor' relabel='yes'><label>p</label>"
          "<imagelabel>a:b:d:s0</imagelabel></seclabel>",
          "", "/domain/seclabel/imagelabel: <imagelabel> is only meaningful with model='selinux'" },
        { "<seclabel type='static' model='dac'><label>0:0</label></seclabel>", "",
          "/domain/seclabel: seclabel model 'dac' is not supported yet" },
        { "<seclabel type='none' model='smack'/>", "",
          "/domain/seclabel: invalid seclabel model 'smack' (expected: selinux, apparmor)" },
        { "<seclabel type='private'/>", "",
          "/domain/seclabel: invalid seclabel type 'private' (expected: dynamic, static, none)" },
        { "<seclabel type='none' norelabel='yes'/>", "",
          "/domain/seclabel: unsupported attribute 'norelabel'" },
        { "<seclabel type='static' model='selinux'><label>a:b</label></seclabel>", "",
          "/domain/seclabel/label: invalid SELinux context 'a:b' (expected user:role:type:range)" },
        { "<seclabel type='static' model='selinux'><label>a:b:c:</label></seclabel>", "",
          "/domain/seclabel/label: invalid SELinux context 'a:b:c:' (expected user:role:type:range)" },
        { "<seclabel type='static' model='selinux'><label>a:b:c:s0&#10;x</label></seclabel>", "",
          "/domain/seclabel/label: invalid SELinux context 'a:b:c:s0\\x0ax' (expected "
          "user:role:type:range)" },
        { "<seclabel type='static' model='apparmor'><label>p { /** rw, }</label></seclabel>", "",
          "/domain/seclabel/label: invalid security label 'p { /** rw, }'" },
        { "<seclabel type='static' model='apparmor'><label>-p</label></seclabel>", "",
          "/domain/seclabel/label: invalid security label '-p'" },
        { "<seclabel type='static'><label></label></seclabel>", "",
          "/domain/seclabel/label: invalid security label ''" },
        { "<seclabel type='static'><label>x</label><label>y</label></seclabel>", "",
          "/domain/seclabel/label[2]: duplicate element 'label'" },
        { "<seclabel type='none'><model>x</model></seclabel>", "",
          "/domain/seclabel/model: unsupported element 'model'" },
};

Test(errors, seclabel) {
        for (size_t i = 0; i < ELEMENTSOF(seclabel_cases); i++) {
                const SemanticCase *t = &seclabel_cases[i];
                _cleanup_free_ char *xml = NULL, *want = NULL;

                cr_assert_geq(asprintf(&xml,
                                       "<domain type='qemu'><name>n</name><memory>1</memory>"
                                       "<os><type>hvm</type></os>%s</domain>",
                                       t->top),
                              0);
                cr_assert_geq(asprintf(&want, "mem.xml:1: %s", t->message), 0);
                assert_string_error(xml, want);
        }
}

Test(seclabel, examples) {
        _cleanup_domain_ Domain *st = parse_example("seclabel-static.xml");
        _cleanup_domain_ Domain *re = parse_example("seclabel-static-relabel.xml");
        _cleanup_domain_ Domain *none = parse_example("seclabel-none.xml");
        _cleanup_domain_ Domain *aa = parse_example("seclabel-apparmor.xml");
        _cleanup_domain_ Domain *dyn = parse_example("seclabel-dynamic.xml");
        _cleanup_domain_ Domain *min = parse_example("minimal.xml");

        cr_assert(st->seclabel.present);
        cr_assert_eq(st->seclabel.type, DOMAIN_SECLABEL_STATIC);
        cr_assert_str_eq(st->seclabel.model, "selinux");
        cr_assert_str_eq(st->seclabel.label, "system_u:system_r:svirt_t:s0:c10,c20");
        cr_assert_null(st->seclabel.imagelabel);
        cr_assert_eq(st->seclabel.relabel, DOMAIN_TRISTATE_OFF);
        cr_assert_not(domain_seclabel_relabel(&st->seclabel));
        cr_assert_eq(domain_seclabel_for(st, "selinux"), &st->seclabel);
        cr_assert_null(domain_seclabel_for(st, "apparmor"));

        cr_assert_str_eq(re->seclabel.imagelabel, "system_u:object_r:svirt_image_t:s0:c1,c2");
        cr_assert(domain_seclabel_relabel(&re->seclabel));

        cr_assert_eq(none->seclabel.type, DOMAIN_SECLABEL_NONE);
        cr_assert_null(none->seclabel.model);
        cr_assert_eq(domain_seclabel_for(none, "selinux"), &none->seclabel);
        cr_assert_eq(domain_seclabel_for(none, "apparmor"), &none->seclabel);
        cr_assert_not(domain_seclabel_relabel(&none->seclabel));

        /* static defaults to relabel='no', as in libvirt */
        cr_assert_eq(aa->seclabel.relabel, DOMAIN_TRISTATE_ABSENT);
        cr_assert_not(domain_seclabel_relabel(&aa->seclabel));
        cr_assert_str_eq(aa->seclabel.label, "vmunit-admin-profile");
        cr_assert_null(domain_seclabel_for(aa, "selinux"));

        cr_assert_eq(dyn->seclabel.type, DOMAIN_SECLABEL_DYNAMIC);
        cr_assert(domain_seclabel_relabel(&dyn->seclabel));

        cr_assert_not(min->seclabel.present);
        cr_assert_null(domain_seclabel_for(min, "selinux"));
}

Test(seclabel, type_strings) {
        cr_assert_null(domain_seclabel_type_to_string(DOMAIN_SECLABEL_DEFAULT));
        cr_assert_str_eq(domain_seclabel_type_to_string(DOMAIN_SECLABEL_NONE), "none");
        cr_assert_eq(domain_seclabel_type_from_string("static"), DOMAIN_SECLABEL_STATIC);
        cr_assert_eq(domain_seclabel_type_from_string("Static"), -EINVAL);
        cr_assert_eq(domain_seclabel_type_from_string(NULL), -EINVAL);
}

/* Like a compiler: every unsupported element and attribute in the file,
 * each on its own line, in document order. */
Test(errors, every_unsupported_thing_reported) {
        _cleanup_free_ char *path = data_path("errors", "many-unsupported.xml"), *err = NULL, *want = NULL;
        Domain *d = NULL;

        cr_assert_eq(domain_parse_file(path, &d, &err), -EINVAL);
        cr_assert_null(d);
        cr_assert_geq(asprintf(&want,
                               "%1$s:9: /domain/features/hap: unsupported attribute 'size'\n"
                               "%1$s:11: /domain/keywrap: unsupported element 'keywrap'\n"
                               "%1$s:13: /domain/devices/disk: unsupported attribute 'snapshot'\n"
                               "%1$s:16: /domain/devices/disk/mirror: element 'mirror' is not supported: "
                               "block copy jobs are not supported\n"
                               "%1$s:19: /domain/cpu: unsupported attribute 'deprecated_features'",
                               path),
                      0);
        cr_assert_str_eq(err, want);
}

/* Every address type libvirt writes for x86, and aliases, are kept. */
Test(parse, addresses_and_aliases) {
        _cleanup_free_ char *path = data_path("parse", "addresses.xml"), *err = NULL;
        _cleanup_domain_ Domain *d = NULL;
        const DomainAddress *a;

        cr_assert_eq(domain_parse_file(path, &d, &err), 0, "%s", err);
        a = d->disks[0].info.address;
        cr_assert_not_null(a);
        cr_assert_eq(a->type, DOMAIN_ADDRESS_PCI);
        cr_assert(a->slot.set && a->slot.hex && a->slot.value == 7);
        cr_assert_str_eq(d->disks[0].info.alias, "ua-disk0");
        a = d->disks[1].info.address;
        cr_assert_eq(a->type, DOMAIN_ADDRESS_DRIVE);
        cr_assert(a->unit.set && !a->unit.hex && a->unit.value == 1);
        a = d->inputs[0].info.address;
        cr_assert_eq(a->type, DOMAIN_ADDRESS_USB);
        cr_assert_str_eq(a->port, "1.2");
        cr_assert_eq(d->chars[0].info.address->type, DOMAIN_ADDRESS_ISA);
        cr_assert_eq(d->chars[1].info.address->type, DOMAIN_ADDRESS_VIRTIO_SERIAL);
        cr_assert_eq(d->interfaces[0].info.address->multifunction, DOMAIN_TRISTATE_ON);
        cr_assert_eq(d->controllers[0].info.address->function.value, 2);
}

static const struct {
        const char *address, *message;
} address_cases[] = {
        { "<address type='pci' slot='0x20'/>", "slot 32 is out of range for a pci address (at most 31)" },
        { "<address type='pci' function='8'/>", "function 8 is out of range for a pci address (at most 7)" },
        { "<address type='pci' unit='0'/>", "attribute 'unit' does not apply to a pci address" },
        { "<address type='drive' multifunction='on'/>",
          "attribute 'multifunction' applies to a pci address only" },
        { "<address type='drive' port='1'/>", "attribute 'port' does not apply to a drive address" },
        { "<address type='usb' port='1..2'/>", "invalid port '1..2' for a usb address" },
        { "<address type='pci' slot='0xzz'/>", "invalid value '0xzz' for attribute 'slot'" },
        { "<address slot='1'/>", "missing attribute 'type'" },
        { "<address type='ccw'/>", "address type 'ccw' is not supported: vmunit runs x86 guests" },
};

Test(errors, address_rules) {
        for (size_t i = 0; i < ELEMENTSOF(address_cases); i++) {
                _cleanup_free_ char *xml = NULL, *want = NULL;

                cr_assert_geq(
                        asprintf(&xml,
                                 "<domain type='qemu'><name>n</name><memory>1</memory><os><type>hvm</type>"
                                 "</os><devices><video>%s</video></devices></domain>",
                                 address_cases[i].address),
                        0);
                cr_assert_geq(asprintf(&want, "mem.xml:1: /domain/devices/video/address: %s",
                                       address_cases[i].message),
                              0);
                assert_string_error(xml, want);
        }
}

/* <os firmware='efi'> with what libvirt lets it say about the firmware to
 * choose, and SeaBIOS's <bootmenu timeout> and <bios>. */
Test(parse, os_firmware_features_bootmenu_bios) {
        _cleanup_domain_ Domain *d = parse_example("firmware.xml");
        _cleanup_free_ char *text = NULL;

        cr_assert_eq(d->os.firmware, DOMAIN_FIRMWARE_EFI);
        cr_assert_eq(d->os.fw_secure_boot, DOMAIN_TRISTATE_ON);
        cr_assert_eq(d->os.fw_enrolled_keys, DOMAIN_TRISTATE_OFF);
        cr_assert_null(d->os.loader);
        cr_assert_eq(d->os.loader_stateless, DOMAIN_TRISTATE_OFF);
        cr_assert_eq(d->os.loader_format, DOMAIN_FIRMWARE_FORMAT_RAW);
        cr_assert_null(d->os.nvram);
        cr_assert_str_eq(d->os.nvram_template, "/usr/share/OVMF/OVMF_VARS_4M.fd");
        cr_assert_eq(d->os.nvram_format, DOMAIN_FIRMWARE_FORMAT_QCOW2);
        cr_assert_eq(d->os.nvram_template_format, DOMAIN_FIRMWARE_FORMAT_QCOW2);
        cr_assert_eq(d->os.bootmenu, DOMAIN_TRISTATE_ON);
        cr_assert(d->os.bootmenu_timeout_set);
        cr_assert_eq(d->os.bootmenu_timeout, 3000);
        cr_assert_eq(d->os.bios_useserial, DOMAIN_TRISTATE_ON);
        cr_assert(d->os.bios_reboot_timeout_set);
        cr_assert_eq(d->os.bios_reboot_timeout, -1);

        cr_assert_eq(domain_format_xml(d, &text), 0);
        cr_assert(strstr(text,
                         "    <firmware>\n"
                         "      <feature enabled='no' name='enrolled-keys'/>\n"
                         "      <feature enabled='yes' name='secure-boot'/>\n"
                         "    </firmware>\n"
                         "    <loader stateless='no' format='raw'/>\n"
                         "    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd' templateFormat='qcow2' "
                         "format='qcow2'/>\n"),
                  "%s", text);
        cr_assert(strstr(text, "    <bootmenu enable='yes' timeout='3000'/>\n"
                               "    <bios useserial='yes' rebootTimeout='-1'/>\n"),
                  "%s", text);
}

Test(errors, os_firmware_bootmenu_bios) {
        static const struct {
                const char *os, *message;
        } cases[] = {
                { "<firmware><feature enabled='yes' name='amd-sev'/></firmware>",
                  "/domain/os/firmware/feature: unsupported value 'amd-sev' for attribute 'name' (expected "
                  "one "
                  "of: secure-boot, enrolled-keys)" },
                { "<firmware><feature name='secure-boot'/></firmware>",
                  "/domain/os/firmware/feature: missing attribute 'enabled'" },
                { "<firmware type='x'/>", "/domain/os/firmware: unsupported attribute 'type'" },
                { "<loader format='vmdk'/>", "/domain/os/loader: unsupported value 'vmdk' for attribute "
                                             "'format' (expected one of: raw, "
                                             "qcow2)" },
                { "<bootmenu enable='yes' timeout='65536'/>",
                  "/domain/os/bootmenu: number '65536' for attribute 'timeout' out of range (0-65535)" },
                { "<bios rebootTimeout='-2'/>",
                  "/domain/os/bios: invalid rebootTimeout '-2' (expected -1 to 65535)" },
                { "<bios useserial='maybe'/>", "/domain/os/bios: unsupported value 'maybe' for attribute "
                                               "'useserial' (expected one of: yes, "
                                               "no)" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *xml = NULL, *want = NULL;

                cr_assert_geq(asprintf(&xml,
                                       "<domain type='qemu'><name>n</name><memory>1</memory>"
                                       "<os firmware='efi'><type>hvm</type>%s</os></domain>",
                                       cases[i].os),
                              0);
                cr_assert_geq(asprintf(&want, "mem.xml:1: %s", cases[i].message), 0);
                assert_string_error(xml, want);
        }
}

/* sync= is written back as offset=; state-less switches as state='on';
 * an empty <genid/> gets a value; an empty <apic/> stays. */
Test(parse, clock_features_spellings) {
        _cleanup_domain_ Domain *d = parse_example("clock-features.xml");
        _cleanup_free_ char *text = NULL;
        uint8_t uuid[16];

        cr_assert_eq(d->clock.offset, DOMAIN_CLOCK_LOCALTIME);
        cr_assert_eq(d->clock.sync, DOMAIN_CLOCK_DEFAULT);
        cr_assert_not_null(d->genid.value);
        cr_assert_eq(domain_uuid_parse(d->genid.value, uuid), 0);
        cr_assert_not_null(d->features.apic);
        cr_assert_eq(d->features.hap.state, DOMAIN_TRISTATE_ON);
        cr_assert_eq(d->features.hyperv->mode, DOMAIN_HYPERV_MODE_PASSTHROUGH);
        cr_assert_eq(d->features.kvm.dirty_ring.size, 4096);
        cr_assert_eq(d->features.async_teardown.enabled, DOMAIN_TRISTATE_ON);

        cr_assert_eq(domain_format_xml(d, &text), 0);
        cr_assert(strstr(text, "  <clock offset='localtime' adjustment='reset'>\n"), "%s", text);
        cr_assert(strstr(text, "    <acpi/>\n    <apic/>\n    <hap state='on'/>\n"), "%s", text);
        cr_assert(strstr(text, "      <poll-control state='on'/>\n"), "%s", text);
        cr_assert(strstr(text, "    <async-teardown enabled='yes'/>\n"), "%s", text);
        cr_assert(strstr(text, "  <genid>"), "%s", text);
        cr_assert_eq(d->vcpu_list.n_vcpus, 2);
        cr_assert(strstr(text, "  <vcpus>\n    <vcpu id='0' enabled='yes' hotpluggable='no' order='1'/>\n"),
                  "%s", text);
}

Test(errors, os_acpi_table_refused) {
        assert_string_error("<domain type='qemu'><name>n</name><memory>1</memory><os><type>hvm</type>"
                            "<acpi><table type='slic'>/var/lib/slic.dat</table></acpi></os></domain>",
                            "mem.xml:1: /domain/os/acpi: element 'acpi' is not supported: extra ACPI tables "
                            "(SLIC) are not passed to the guest");
}
