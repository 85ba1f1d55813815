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
        bool *fdset_added;     /* per o->files entry: its -add-fd is on the command line */
} QemuArgvBuilder;

/* Record the message (only the first one counts) and return -EINVAL. */
int qemu_argv_fail(QemuArgvBuilder *b, const char *fmt, ...) _printf_(2, 3);

/* Append the option word and the formatted value as two argv words. */
int qemu_argv_add(QemuArgvBuilder *b, const char *opt, const char *fmt, ...) _printf_(3, 4);

/* Append "fmt" to *s, separated by a comma when *s is not empty.
 * Returns 0 or -ENOMEM (*s left as it was). */
int qemu_argv_appendf(char **s, const char *fmt, ...) _printf_(2, 3);

/* How QEMU reaches the file the domain calls source (as kind), into *ret
 * (malloc'd, not yet comma-escaped). Without a file table: the path
 * itself. With one: "/dev/fdset/S" for an fd-set entry, whose "-add-fd
 * fd=N,set=S,opaque=OPAQUE" goes on the command line here, before its
 * first user and only once; "/proc/self/fd/N" for an inherited fd QEMU
 * reopens; "N" for an fd an option takes by number (fd=N); the path for
 * what QEMU opens itself. *ret_file (if not NULL) is the table's entry,
 * NULL without a table. Returns 0, -EINVAL (recorded) when the table
 * lacks the file, or -ENOMEM. */
int qemu_argv_file(QemuArgvBuilder *b, VmFileKind kind, const char *source, const char *opaque, char **ret,
                   const VmFile **ret_file);
/* The same, comma-escaped for a key=value option string. */
int qemu_argv_file_opt(QemuArgvBuilder *b, VmFileKind kind, const char *source, const char *opaque,
                       char **ret, const VmFile **ret_file);

/* Devices: controllers, disks, NICs, chardevs, graphics, video, input,
 * balloon, panic. Returns 0, -EINVAL (message recorded) or -ENOMEM. */
int qemu_argv_build_devices(QemuArgvBuilder *b);

/* A virtio device's transport options (<driver iommu ats packed
 * page_per_vq>) appended to its -device string. */
int qemu_argv_virtio_options(char **s, const DomainVirtioOptions *o);

/* Device families with their own file (argv-*.c). */
int qemu_argv_build_memballoon(QemuArgvBuilder *b);
int qemu_argv_build_panic(QemuArgvBuilder *b);
int qemu_argv_build_rngs(QemuArgvBuilder *b);
int qemu_argv_build_watchdogs(QemuArgvBuilder *b);
int qemu_argv_build_features(QemuArgvBuilder *b);

/* "virtio-rng-pci", "virtio-rng-pci-transitional", ... into buf. */
const char *qemu_virtio_pci_driver(const char *base, DomainVirtioModel model, char buf[static 64]);

/* Index of a disk from its target name: vda -> 0, sdb -> 1, hdaa -> 26.
 * Returns 0 or -EINVAL. */
int qemu_argv_disk_index(const char *target, unsigned *ret);
