/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What this host's QEMU offers, asked of the emulator itself
 * (`-machine help`, `-cpu help`, `-device help`) rather than from a list frozen at one
 * QEMU version: a newer QEMU's CPU models and machine types are accepted
 * as soon as it is installed, and a name the installed QEMU lacks is
 * refused at validation with one line instead of QEMU failing at start.
 *
 * Asking takes three QEMU runs (~50 ms); the answer is cached in a small
 * file keyed on the emulator's inode, size and mtime, so a start reads
 * one file and an upgraded QEMU is asked again.
 */

#include <stdbool.h>

#include "strv.h"

typedef struct QemuCaps {
        Strv machines;   /* every name `-machine help` lists, aliases included */
        Strv cpu_models; /* every name `-cpu help` lists, versioned ones included */
        /* The aliases among machines ("q35") and, at the same index,
         * the machine type each stands for ("pc-q35-7.2"). */
        Strv machine_aliases;
        Strv machine_alias_targets;
        char *default_machine; /* the one marked "(default)", or NULL */
        /* Device models (`-device help`) and, at the same index, the
         * heading they are listed under ("Storage", "Network"). Empty
         * when the emulator does not list them (a wrapper script). */
        Strv devices;
        Strv device_categories;
} QemuCaps;

void qemu_caps_done(QemuCaps *c);

/* Pure parsers of the listings (the text as QEMU prints it).
 * Return 0 or -ENOMEM; lines that name nothing are skipped. */
int qemu_caps_parse_machines(const char *text, Strv *ret);
int qemu_caps_parse_cpu_models(const char *text, Strv *ret);
/* The aliases and the default of `-machine help` into c (the names are
 * qemu_caps_parse_machines()'). */
int qemu_caps_parse_machine_details(const char *text, QemuCaps *c);
/* `-device help`: "CATEGORY devices:" headings, then
 * `name "NAME", bus BUS[, desc "..."]` lines. */
int qemu_caps_parse_devices(const char *text, Strv *ret_names, Strv *ret_categories);

/* Lines QEMU prints for `emulator a1 [a2]` (stdin, stderr /dev/null;
 * fixed environment). Returns 0, -EIO when it fails, or -errno. */
int qemu_help_lines(const char *emulator, const char *a1, const char *a2, Strv *ret);

/* The capabilities of emulator, from cache_dir when its cache entry
 * matches the emulator file (NULL: no cache), else by running it and
 * (when cache_dir is writable) caching the answer. Returns 0 or -errno
 * (-ENOENT: no such emulator). */
int qemu_caps_probe(const char *emulator, const char *cache_dir, QemuCaps *ret);

bool qemu_caps_has_machine(const QemuCaps *c, const char *name);
bool qemu_caps_has_cpu_model(const QemuCaps *c, const char *name);
bool qemu_caps_has_device(const QemuCaps *c, const char *name);

/* The machine type an alias stands for ("q35" -> "pc-q35-7.2"); name
 * itself when it is no alias. Borrowed from c or name. */
const char *qemu_caps_machine_canonical(const QemuCaps *c, const char *name);
