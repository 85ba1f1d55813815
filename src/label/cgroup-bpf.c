/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cgroup v2 device filter: one BPF_PROG_TYPE_CGROUP_DEVICE program per
 * VM, attached to the QEMU leaf, that decides by looking the device up in
 * a BPF hash map. The program never changes; hotplug edits the map. Loaded
 * with the raw bpf(2) syscall and hand-written instructions, so there is no
 * libbpf (and no compiler-generated object) to trust or ship.
 */

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "macro.h"

/* Instruction constructors, after the kernel's include/linux/filter.h. */
#define INSN(c, d, s, o, i) \
        ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define STX_W(d, s, o) INSN(BPF_STX | BPF_MEM | BPF_W, d, s, o, 0)
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* 64-bit immediate load of a map fd: two instruction slots. */
#define LD_MAP_FD_1(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd)
#define LD_MAP_FD_2() INSN(0, 0, 0, 0, 0)

#define CTX_ACCESS ((int16_t) offsetof(struct bpf_cgroup_dev_ctx, access_type))
#define CTX_MAJOR ((int16_t) offsetof(struct bpf_cgroup_dev_ctx, major))
#define CTX_MINOR ((int16_t) offsetof(struct bpf_cgroup_dev_ctx, minor))
/* The key lives in the 12 bytes below the frame pointer. */
#define KEY_OFF ((int16_t) (0 - (int) sizeof(CgroupBpfKey)))
#define KEY_TYPE (KEY_OFF + (int16_t) offsetof(CgroupBpfKey, type))
#define KEY_MAJOR (KEY_OFF + (int16_t) offsetof(CgroupBpfKey, major))
#define KEY_MINOR (KEY_OFF + (int16_t) offsetof(CgroupBpfKey, minor))

/* r1 = allowed mask at *r0; r2 = requested bits & ~allowed. */
/* clang-format off */
#define MISSING_BITS()                                   \
        LDX_W(BPF_REG_1, BPF_REG_0, 0),                  \
        LDX_W(BPF_REG_2, BPF_REG_6, CTX_ACCESS),         \
        ALU32_IMM(BPF_RSH, BPF_REG_2, 16),               \
        ALU64_IMM(BPF_XOR, BPF_REG_1, -1),               \
        ALU64_REG(BPF_AND, BPF_REG_2, BPF_REG_1)
/* clang-format on */

/*
 * r6 keeps the context across helper calls (r1-r5 are clobbered by them).
 * Default deny: only an entry granting every requested access bit allows.
 * The exact entry (type, major, minor) is tried first, then the wildcard
 * (type, major, *); either may grant, the same union the v1 controller
 * computes over its exceptions, so both backends decide alike.
 * The ancestors' programs (the unit's own DevicePolicy=closed program from
 * systemd) run as well, and the kernel allows only if all of them allow,
 * so this can only narrow what the unit may use.
 */
void cgroup_bpf_build_program(int map_fd, struct bpf_insn insns[static CGROUP_BPF_PROGRAM_LEN]) {
        const struct bpf_insn p[CGROUP_BPF_PROGRAM_LEN] = {
                /* 0: key = { access_type & 0xffff, major, minor } */
                MOV64_REG(BPF_REG_6, BPF_REG_1),
                LDX_W(BPF_REG_2, BPF_REG_6, CTX_ACCESS),
                ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff),
                STX_W(BPF_REG_10, BPF_REG_2, KEY_TYPE),
                LDX_W(BPF_REG_2, BPF_REG_6, CTX_MAJOR),
                STX_W(BPF_REG_10, BPF_REG_2, KEY_MAJOR),
                LDX_W(BPF_REG_2, BPF_REG_6, CTX_MINOR),
                STX_W(BPF_REG_10, BPF_REG_2, KEY_MINOR),
                /* 8: exact entry; missing -> 20 */
                LD_MAP_FD_1(BPF_REG_1, map_fd),
                LD_MAP_FD_2(),
                MOV64_REG(BPF_REG_2, BPF_REG_10),
                ALU64_IMM(BPF_ADD, BPF_REG_2, KEY_OFF),
                CALL(BPF_FUNC_map_lookup_elem),
                JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 6),
                /* 14: grants everything requested -> 33 (allow) */
                MISSING_BITS(),
                JMP_IMM(BPF_JEQ, BPF_REG_2, 0, 13),
                /* 20: wildcard entry (type, major, *); missing -> 35 (deny) */
                ST_W(BPF_REG_10, KEY_MINOR, -1),
                LD_MAP_FD_1(BPF_REG_1, map_fd),
                LD_MAP_FD_2(),
                MOV64_REG(BPF_REG_2, BPF_REG_10),
                ALU64_IMM(BPF_ADD, BPF_REG_2, KEY_OFF),
                CALL(BPF_FUNC_map_lookup_elem),
                JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 8),
                /* 27: lacks a requested bit -> 35 (deny) */
                MISSING_BITS(),
                JMP_IMM(BPF_JNE, BPF_REG_2, 0, 2),
                /* 33: allow */
                MOV64_IMM(BPF_REG_0, 1),
                EXIT(),
                /* 35: deny */
                MOV64_IMM(BPF_REG_0, 0),
                EXIT(),
        };

        memcpy(insns, p, sizeof(p));
}

static int sys_bpf(int cmd, union bpf_attr *attr) {
        long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
        return r < 0 ? negative_errno() : (int) r;
}

int cgroup_bpf_map_create(void) {
        /*
         * BPF_F_RDONLY_PROG: the program only reads the map; the kernel
         * then refuses any program-side write, so only the supervisor
         * (holding the fd) can change what QEMU may open. 1024 entries is
         * far more than a VM's devices plus hotplugged disks.
         */
        union bpf_attr attr = {
                .map_type = BPF_MAP_TYPE_HASH,
                .key_size = sizeof(CgroupBpfKey),
                .value_size = sizeof(uint32_t),
                .max_entries = 1024,
                .map_flags = BPF_F_RDONLY_PROG,
        };
        strncpy(attr.map_name, "vmunit_devices", sizeof(attr.map_name) - 1);
        return sys_bpf(BPF_MAP_CREATE, &attr);
}

int cgroup_bpf_map_update(int map_fd, const CgroupBpfKey *key, uint32_t value) {
        union bpf_attr attr = {
                .map_fd = map_fd,
                .key = (uint64_t) (uintptr_t) key,
                .value = (uint64_t) (uintptr_t) &value,
                .flags = BPF_ANY,
        };
        int r = sys_bpf(BPF_MAP_UPDATE_ELEM, &attr);
        return r < 0 ? r : 0;
}

int cgroup_bpf_map_delete(int map_fd, const CgroupBpfKey *key) {
        union bpf_attr attr = {
                .map_fd = map_fd,
                .key = (uint64_t) (uintptr_t) key,
        };
        int r = sys_bpf(BPF_MAP_DELETE_ELEM, &attr);
        return r == -ENOENT ? 0 : r < 0 ? r : 0;
}

int cgroup_bpf_prog_load(int map_fd) {
        struct bpf_insn insns[CGROUP_BPF_PROGRAM_LEN];
        union bpf_attr attr = {
                .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
                .insn_cnt = CGROUP_BPF_PROGRAM_LEN,
                .insns = (uint64_t) (uintptr_t) insns,
                /* No GPL-only helper is used; the string only has to be
                 * a valid license. */
                .license = (uint64_t) (uintptr_t) "GPL",
                .expected_attach_type = BPF_CGROUP_DEVICE,
        };

        cgroup_bpf_build_program(map_fd, insns);
        strncpy(attr.prog_name, "vmunit_devices", sizeof(attr.prog_name) - 1);
        return sys_bpf(BPF_PROG_LOAD, &attr);
}

/*
 * BPF_F_ALLOW_MULTI, as systemd uses for DevicePolicy=: with it the kernel
 * runs the programs of this cgroup and of every ancestor attached with
 * ALLOW_MULTI, and a device is usable only if all of them say yes. Ours
 * therefore narrows the unit's program and can never widen it, and
 * nothing attached below later can replace ours.
 */
int cgroup_bpf_prog_attach(int prog_fd, int cgroup_fd) {
        union bpf_attr attr = {
                .target_fd = cgroup_fd,
                .attach_bpf_fd = prog_fd,
                .attach_type = BPF_CGROUP_DEVICE,
                .attach_flags = BPF_F_ALLOW_MULTI,
        };
        int r = sys_bpf(BPF_PROG_ATTACH, &attr);
        return r < 0 ? r : 0;
}
