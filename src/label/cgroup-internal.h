/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Pieces of the VM cgroup shared between cgroup.c (hierarchies, paths, the
 * v1 devices controller) and cgroup-bpf.c (the v2 device program and its
 * map), and exposed to tests/unit/test-cgroup-bpf.c. Everything declared
 * here above the "kernel" line is pure: no files, no syscalls.
 */

#include <linux/bpf.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Minor number meaning "every minor of this major" (e.g. pty slaves). */
#define CGROUP_MINOR_ANY UINT32_MAX

typedef struct CgroupDeviceRule {
        char type; /* 'c' or 'b' */
        uint32_t major;
        uint32_t minor;    /* CGROUP_MINOR_ANY: wildcard */
        unsigned access;   /* CgroupDeviceAccess bits */
        unsigned refcount; /* allow calls minus deny calls for this device */
} CgroupDeviceRule;

/* The BPF map's key: exactly what the program builds on its stack from
 * struct bpf_cgroup_dev_ctx. The value is a uint32_t BPF_DEVCG_ACC_* mask. */
typedef struct CgroupBpfKey {
        uint32_t type; /* BPF_DEVCG_DEV_BLOCK / BPF_DEVCG_DEV_CHAR */
        uint32_t major;
        uint32_t minor; /* CGROUP_MINOR_ANY: wildcard */
} CgroupBpfKey;

/* Number of instructions cgroup_bpf_build_program() writes. */
#define CGROUP_BPF_PROGRAM_LEN 37

/* Find the cgroup path in /proc/self/cgroup text: controller NULL means
 * the unified hierarchy ("0::/path"), else the v1 line whose controller
 * list contains it ("5:devices:/path", "4:cpu,cpuacct:/path").
 * Returns 0 with *ret_path malloc'd (always starting with '/'), -ENOENT
 * when no such line exists, -EINVAL on a malformed line, -ENOMEM. */
int cgroup_parse_proc_cgroup(const char *text, const char *controller, char **ret_path);

/* Rule for a device node from its stat: -EINVAL when not a char or block
 * device, or when access is empty or has unknown bits. */
int cgroup_rule_from_stat(const struct stat *st, unsigned access, CgroupDeviceRule *ret);

/* Map entry for a rule. */
int cgroup_rule_to_bpf(const CgroupDeviceRule *r, CgroupBpfKey *ret_key, uint32_t *ret_value);

/* devices.allow / devices.deny line for a rule ("c 1:3 rw", "c 136:* rw").
 * Returns the length, or -ENOBUFS / -EINVAL. */
int cgroup_rule_format_v1(const CgroupDeviceRule *r, char *buf, size_t size);

/* Fill insns[CGROUP_BPF_PROGRAM_LEN] with the device program that looks
 * (type, major, minor) up in map_fd, then (type, major, CGROUP_MINOR_ANY),
 * and allows the access only if one of the two entries has every
 * requested bit. */
void cgroup_bpf_build_program(int map_fd, struct bpf_insn insns[static CGROUP_BPF_PROGRAM_LEN]);

/* A name usable as one cgroup directory component: bytes outside
 * [A-Za-z0-9_.:-] become '_', a leading '.' too. Returns a malloc'd string
 * or NULL (-ENOMEM, or name empty / longer than 200 bytes). */
char *cgroup_escape_name(const char *name);

/* ---- kernel (cgroup-bpf.c): raw bpf(2), no libbpf ---- */

/* Create the hash map. Returns an O_CLOEXEC fd or -errno. */
int cgroup_bpf_map_create(void);
int cgroup_bpf_map_update(int map_fd, const CgroupBpfKey *key, uint32_t value);
/* Missing key is not an error. */
int cgroup_bpf_map_delete(int map_fd, const CgroupBpfKey *key);
/* Load the program for map_fd. Returns an O_CLOEXEC fd or -errno. */
int cgroup_bpf_prog_load(int map_fd);
/* Attach prog_fd to the cgroup directory fd as BPF_CGROUP_DEVICE with
 * BPF_F_ALLOW_MULTI. It stays attached until the cgroup is removed. */
int cgroup_bpf_prog_attach(int prog_fd, int cgroup_fd);
