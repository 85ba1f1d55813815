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
                "-machine) printf 'Supported machines are:\\npc  Standard PC (alias of pc-i440fx-7.2)\\n' "
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
        qemu_caps_done(&c);

        /* From the cache: the emulator is not run (it could not be). */
        cr_assert_eq(chmod(emulator, 0644), 0);
        cr_assert_eq(qemu_caps_probe(emulator, cache, &c), 0);
        cr_assert(qemu_caps_has_cpu_model(&c, "Old-v1"));
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
