/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU capabilities: the listings' parsers and the cache keyed on the emulator file. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "qemu-caps.h"

static char dir[] = "/tmp/vmunit-test-qemu-caps-XXXXXX";
static char emulator[300], cache[300];

static void write_emulator(const char *cpu) {
        FILE *f = fopen(emulator, "we");

        cr_assert_not_null(f);
        fprintf(f,
                "#!/bin/sh\n"
                "case \"$1\" in\n"
                "-machine) printf 'Supported machines are:\\npc  Standard PC (alias of pc-i440fx-7.2)\\n"
                "pc-i440fx-7.2  Standard PC (i440FX + PIIX, 1996) (default)\\n' ;;\n"
                "-device) printf 'Storage devices:\\nname \"virtio-blk-pci\", bus PCI, alias "
                "\"virtio-blk\"\\n' "
                ";;\n"
                "-cpu) printf 'Available CPUs:\\nx86 %s  model\\n\\nRecognized CPUID flags:\\n  fpu\\n' ;;\n"
                "esac\n",
                cpu);
        cr_assert_eq(fclose(f), 0);
        cr_assert_eq(chmod(emulator, 0755), 0);
}

static void setup(void) {
        cr_assert_not_null(mkdtemp(dir));
        snprintf(emulator, sizeof(emulator), "%s/qemu", dir);
        snprintf(cache, sizeof(cache), "%s/cache", dir);
}

static void teardown(void) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(qemu_caps, .init = setup, .fini = teardown);

Test(qemu_caps, probe_then_cache_then_upgrade) {
        QemuCaps c = {};
        struct timespec later[2] = { { .tv_sec = 2000000000 }, { .tv_sec = 2000000000 } };

        write_emulator("Old-v1");
        cr_assert_eq(qemu_caps_probe(emulator, cache, &c), 0);
        cr_assert(qemu_caps_has_machine(&c, "pc"));
        cr_assert(qemu_caps_has_cpu_model(&c, "Old-v1"));
        cr_assert_not(qemu_caps_has_cpu_model(&c, "fpu"));
        cr_assert(qemu_caps_has_device(&c, "virtio-blk"));
        qemu_caps_done(&c);

        /* From the cache: the emulator is not run (it could not be), and
         * every detail comes back. */
        cr_assert_eq(chmod(emulator, 0644), 0);
        cr_assert_eq(qemu_caps_probe(emulator, cache, &c), 0);
        cr_assert(qemu_caps_has_cpu_model(&c, "Old-v1"));
        cr_assert(qemu_caps_has_machine(&c, "pc-i440fx-7.2"));
        cr_assert_str_eq(qemu_caps_machine_canonical(&c, "pc"), "pc-i440fx-7.2");
        cr_assert_str_eq(c.default_machine, "pc-i440fx-7.2");
        cr_assert_eq(c.devices.n, 2);
        cr_assert(qemu_caps_has_device(&c, "virtio-blk-pci"));
        cr_assert_str_eq(c.device_categories.items[1], "Storage");
        qemu_caps_done(&c);

        /* An upgraded QEMU (another file) is asked again. */
        write_emulator("New-v1");
        cr_assert_eq(utimensat(AT_FDCWD, emulator, later, 0), 0);
        cr_assert_eq(qemu_caps_probe(emulator, cache, &c), 0);
        cr_assert(qemu_caps_has_cpu_model(&c, "New-v1"));
        cr_assert_not(qemu_caps_has_cpu_model(&c, "Old-v1"));
        qemu_caps_done(&c);

        cr_assert_eq(qemu_caps_probe("/nonexistent/qemu", cache, &c), -ENOENT);
}

/* A cache of format 1 (no devices) is not trusted: QEMU is asked again. */
Test(qemu_caps, old_cache_format_is_reprobed) {
        QemuCaps c = {};
        char cmd[800];

        write_emulator("Cur-v1");
        cr_assert_eq(qemu_caps_probe(emulator, cache, &c), 0);
        qemu_caps_done(&c);
        /* Rewrite the entry as vmunit 1 wrote it, with another CPU. */
        snprintf(cmd, sizeof(cmd),
                 "cd %s && f=$(ls qemu-*.caps) && { echo 'vmunit-qemu-caps 1'; sed -n 2p $f; "
                 "echo 'machine pc'; echo 'cpu Stale-v1'; } > $f.new && mv $f.new $f",
                 cache);
        cr_assert_eq(system(cmd), 0);
        cr_assert_eq(qemu_caps_probe(emulator, cache, &c), 0);
        cr_assert(qemu_caps_has_cpu_model(&c, "Cur-v1"));
        cr_assert_not(qemu_caps_has_cpu_model(&c, "Stale-v1"));
        cr_assert(qemu_caps_has_device(&c, "virtio-blk-pci"));
        qemu_caps_done(&c);
}

/* Lines as QEMU 7.2 prints them (`-machine help`, `-device help`). */
Test(qemu_caps, parse_machine_details_and_devices) {
        static const char machines[] =
                "Supported machines are:\n"
                "microvm              microvm (i386)\n"
                "pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)\n"
                "pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)\n"
                "pc-i440fx-2.0        Standard PC (i440FX + PIIX, 1996) (deprecated)\n"
                "q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)\n"
                "pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)\n"
                "none                 empty machine\n";
        static const char devices[] =
                "Controller/Bridge/Hub devices:\n"
                "name \"pcie-root-port\", bus PCI, desc \"PCI Express Root Port\"\n"
                "name \"usb-hub\", bus usb-bus\n"
                "\n"
                "Network devices:\n"
                "name \"e1000\", bus PCI, alias \"e1000-82540em\", desc \"Intel Gigabit Ethernet\"\n"
                "name \"virtio-net-pci\", bus PCI, alias \"virtio-net\"\n"
                "\n"
                "Uncategorized devices:\n"
                "name \"AMDVI-PCI\", bus PCI\n";
        const char *const want[][2] = {
                { "pcie-root-port", "Controller/Bridge/Hub" },
                { "usb-hub", "Controller/Bridge/Hub" },
                { "e1000", "Network" },
                { "e1000-82540em", "Network" },
                { "virtio-net-pci", "Network" },
                { "virtio-net", "Network" },
                { "AMDVI-PCI", "Uncategorized" },
        };
        QemuCaps c = {};

        cr_assert_eq(qemu_caps_parse_machines(machines, &c.machines), 0);
        cr_assert_eq(qemu_caps_parse_machine_details(machines, &c), 0);
        cr_assert_eq(c.machines.n, 7);
        cr_assert_eq(c.machine_aliases.n, 2);
        cr_assert_str_eq(qemu_caps_machine_canonical(&c, "q35"), "pc-q35-7.2");
        cr_assert_str_eq(qemu_caps_machine_canonical(&c, "pc-q35-7.2"), "pc-q35-7.2");
        cr_assert_str_eq(c.default_machine, "pc-i440fx-7.2");

        cr_assert_eq(qemu_caps_parse_devices(devices, &c.devices, &c.device_categories), 0);
        cr_assert_eq(c.devices.n, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                cr_expect_str_eq(c.devices.items[i], want[i][0]);
                cr_expect_str_eq(c.device_categories.items[i], want[i][1]);
        }
        qemu_caps_done(&c);
}
