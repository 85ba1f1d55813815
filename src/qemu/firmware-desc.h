/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * QEMU firmware descriptors (QEMU's docs/interop/firmware.json): one JSON
 * file per firmware build, saying which interface it offers (uefi, bios),
 * how it is mapped (pflash pair, memory, kernel), on which architectures
 * and machine types it runs, and what it supports or requires
 * (secure-boot, requires-smm, ...). Distributions ship them (Debian's
 * ovmf in /usr/share/qemu/firmware), so the firmware for a domain is
 * chosen from what is installed instead of from paths compiled in.
 *
 * Search order, as QEMU's spec and libvirt have it: the files of
 * $XDG_CONFIG_HOME/qemu/firmware (only for a non-root caller), then
 * /etc/qemu/firmware, then /usr/share/qemu/firmware. A file name found in
 * a more specific directory hides the same name in the less specific
 * ones; an empty file there hides it and offers nothing. The union is
 * sorted by file name (the "50-" prefixes carry the priority) and the
 * first descriptor that matches wins.
 */

#include <stdbool.h>
#include <stddef.h>

#include "strv.h"

typedef enum FirmwareInterface {
        FIRMWARE_INTERFACE_BIOS,
        FIRMWARE_INTERFACE_OPENFIRMWARE,
        FIRMWARE_INTERFACE_UBOOT,
        FIRMWARE_INTERFACE_UEFI,
        _FIRMWARE_INTERFACE_MAX,
} FirmwareInterface;

typedef enum FirmwareDevice {
        FIRMWARE_DEVICE_FLASH,  /* executable (+ NVRAM) as pflash drives */
        FIRMWARE_DEVICE_MEMORY, /* -bios FILE */
        FIRMWARE_DEVICE_KERNEL, /* -kernel FILE */
        _FIRMWARE_DEVICE_MAX,
} FirmwareDevice;

typedef enum FirmwareFlashMode {
        FIRMWARE_FLASH_SPLIT,     /* read-only code + a per-VM copy of the NVRAM template */
        FIRMWARE_FLASH_COMBINED,  /* one file to copy per VM and map read-write */
        FIRMWARE_FLASH_STATELESS, /* read-only code, no variable store */
        _FIRMWARE_FLASH_MODE_MAX,
} FirmwareFlashMode;

/* Bits of FirmwareDesc.features; names as in the JSON. */
typedef enum FirmwareFeature {
        FIRMWARE_FEATURE_ACPI_S3 = 1u << 0,
        FIRMWARE_FEATURE_ACPI_S4 = 1u << 1,
        FIRMWARE_FEATURE_AMD_SEV = 1u << 2,
        FIRMWARE_FEATURE_AMD_SEV_ES = 1u << 3,
        FIRMWARE_FEATURE_AMD_SEV_SNP = 1u << 4,
        FIRMWARE_FEATURE_INTEL_TDX = 1u << 5,
        FIRMWARE_FEATURE_ENROLLED_KEYS = 1u << 6,
        FIRMWARE_FEATURE_REQUIRES_SMM = 1u << 7,
        FIRMWARE_FEATURE_SECURE_BOOT = 1u << 8,
        FIRMWARE_FEATURE_VERBOSE_DYNAMIC = 1u << 9,
        FIRMWARE_FEATURE_VERBOSE_STATIC = 1u << 10,
} FirmwareFeature;

typedef struct FirmwareTarget {
        char *architecture; /* "x86_64" */
        Strv machines;      /* glob patterns: "pc-q35-*" */
} FirmwareTarget;

typedef struct FirmwareDesc {
        char *path; /* the file it was read from */
        char *name; /* its file name, the sort key: "50-edk2-x86_64-secure.json" */
        char *description;
        Strv interfaces;         /* as listed, most native first; unknown ones kept */
        unsigned interface_mask; /* 1 << FirmwareInterface of the known ones */
        FirmwareDevice device;
        FirmwareFlashMode mode;  /* flash only */
        char *executable;        /* flash: executable.filename; memory, kernel: filename */
        char *executable_format; /* flash only ("raw", "qcow2") */
        char *nvram_template;    /* flash, split mode only */
        char *nvram_template_format;
        FirmwareTarget *targets;
        size_t n_targets;
        Strv feature_names; /* as listed; unknown ones kept */
        unsigned features;  /* FirmwareFeature bits of the known ones */
} FirmwareDesc;

typedef struct FirmwareDescList {
        FirmwareDesc *items; /* in selection order */
        size_t n;
        Strv invalid; /* "PATH: reason" of each descriptor that could not be used */
} FirmwareDescList;

void firmware_desc_done(FirmwareDesc *d);
void firmware_desc_list_done(FirmwareDescList *l);

const char *firmware_interface_to_string(FirmwareInterface i);
int firmware_interface_from_string(const char *s); /* FirmwareInterface or -EINVAL */
const char *firmware_device_to_string(FirmwareDevice d);
const char *firmware_flash_mode_to_string(FirmwareFlashMode m);
const char *firmware_feature_to_string(FirmwareFeature f); /* one bit */

/* Parse one descriptor's JSON text; name and path are copied into it.
 * Returns 0, -EBADMSG (not a descriptor: *ret_error, owned by the
 * caller, says why) or -ENOMEM. */
int firmware_desc_parse(const char *json, const char *path, const char *name, FirmwareDesc *ret,
                        char **ret_error);

/* Read the descriptors of the search path under root ("/" or NULL: the
 * real one; a test's fake tree otherwise). user_config_dir is the
 * caller's $XDG_CONFIG_HOME (or ~/.config), searched first, or NULL for
 * none (root, the supervisor). A missing directory is empty; a file that
 * does not parse goes to ret->invalid and is otherwise ignored. Returns
 * 0 or -ENOMEM (-errno when a directory exists but cannot be read). */
int firmware_desc_load(const char *root, const char *user_config_dir, FirmwareDescList *ret);

typedef enum FirmwareWant {
        FIRMWARE_WANT_ANY,
        FIRMWARE_WANT_YES,
        FIRMWARE_WANT_NO,
} FirmwareWant;

typedef struct FirmwareQuery {
        const char *architecture; /* "x86_64" */
        const char *machine;      /* "pc-q35-7.2", or the aliases "q35" and "pc" */
        FirmwareInterface interface;
        FirmwareWant secure_boot;
        FirmwareWant enrolled_keys;
        bool smm_off;   /* the domain turns SMM off: firmware requiring it is skipped */
        bool stateless; /* want stateless flash; otherwise split (code + NVRAM template) */
} FirmwareQuery;

/* Whether the machine type is a Q35 one (pc-q35-*, or the alias q35). */
bool firmware_machine_is_q35(const char *machine);

/* Whether a target's glob pattern covers machine. The aliases "q35" and
 * "pc" stand for the versioned types they point to ("pc-q35-*",
 * "pc-i440fx-*"); a caller knowing the emulator resolves them first
 * (qemu_caps_machine_canonical()) to match version-specific patterns. */
bool firmware_machine_matches(const char *pattern, const char *machine);

/* The first descriptor of l that fits q, with libvirt's rules:
 *  - q->interface is among its interface types;
 *  - a target has q->architecture and a pattern covering q->machine;
 *  - secure-boot and enrolled-keys as wanted (YES: must have, NO: must
 *    not have);
 *  - requires-smm: skipped when q->smm_off; the caller turns SMM on
 *    (-machine smm=on) and restricts pflash writes to SMM for it;
 *  - on x86, secure-boot or requires-smm firmware only on Q35 machines;
 *  - flash: split mode (stateless when q->stateless), formats raw or
 *    qcow2; combined flash is never chosen (vmunit does not write
 *    executables).
 * Returns 0 with *ret pointing into l (borrowed), -ENOENT with
 * *ret_error (owned by the caller) naming the query and each candidate
 * with why it did not fit, or -ENOMEM. */
int firmware_desc_select(const FirmwareDescList *l, const FirmwareQuery *q, const FirmwareDesc **ret,
                         char **ret_error);
