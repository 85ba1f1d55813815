/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared between qemu-argv.c (machine-level options) and
 * qemu-argv-devices.c (devices). Not part of the public API.
 */

#include <stdbool.h>

#include "domain.h"
#include "qemu-argv.h"
#include "strv.h"

typedef struct QemuArgvBuilder {
        const Domain *d;
        const QemuArgvOptions *o;
        Strv argv;
        Strv env;
        char *error; /* first error message, malloc'd */
        bool q35;    /* machine is q35 (ICH9) rather than pc (i440FX) */
        bool kvm;
        bool console_log_done; /* the first serial chardev got logfile= */
} QemuArgvBuilder;

/* Record the message (only the first one counts) and return -EINVAL. */
int qemu_argv_fail(QemuArgvBuilder *b, const char *fmt, ...) _printf_(2, 3);

/* Append the option word and the formatted value as two argv words. */
int qemu_argv_add(QemuArgvBuilder *b, const char *opt, const char *fmt, ...) _printf_(3, 4);

/* Append "fmt" to *s, separated by a comma when *s is not empty.
 * Returns 0 or -ENOMEM (*s left as it was). */
int qemu_argv_appendf(char **s, const char *fmt, ...) _printf_(2, 3);

/* Devices: controllers, disks, NICs, chardevs, graphics, video, input,
 * balloon, panic. Returns 0, -EINVAL (message recorded) or -ENOMEM. */
int qemu_argv_build_devices(QemuArgvBuilder *b);

/* Index of a disk from its target name: vda -> 0, sdb -> 1, hdaa -> 26.
 * Returns 0 or -EINVAL. */
int qemu_argv_disk_index(const char *target, unsigned *ret);
