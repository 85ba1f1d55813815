/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure parts of the VM cgroup: /proc/self/cgroup parsing, device rules
 * to BPF map entries and devices.allow lines, and the device program —
 * checked both by its shape and by running it in a small interpreter
 * against a fake map, so its decisions are tested without root or BPF.
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cgroup-internal.h"
#include "cgroup.h"

/* ---- /proc/self/cgroup ---- */

static const char *v2_text = "0::/machine.slice/vm@a.service\n";
static const char *hybrid_text = "12:pids:/machine.slice/vm@a.service\n"
                                 "5:devices:/machine.slice/vm@a.service\n"
                                 "2:cpu,cpuacct:/machine.slice\n"
                                 "1:name=systemd:/machine.slice/vm@a.service\n"
                                 "0::/machine.slice/vm@a.service/supervisor\n";
static const char *legacy_text =
        "4:memory:/user.slice\n"
        "3:devices:/user.slice/user-0.slice\n"
        "1:name=systemd:/user.slice/user-0.slice/session-1.scope"; /* no final newline */

static void expect_path(const char *text, const char *controller, const char *want) {
        char *p = NULL;
        int r = cgroup_parse_proc_cgroup(text, controller, &p);
        cr_assert_eq(r, 0, "controller %s: r=%d", controller ? controller : "(unified)", r);
        cr_assert_str_eq(p, want);
        free(p);
}

Test(cgroup_parse, unified) {
        expect_path(v2_text, NULL, "/machine.slice/vm@a.service");
}

Test(cgroup_parse, hybrid_both_hierarchies) {
        expect_path(hybrid_text, NULL, "/machine.slice/vm@a.service/supervisor");
        expect_path(hybrid_text, "devices", "/machine.slice/vm@a.service");
        expect_path(hybrid_text, "cpuacct", "/machine.slice");
        expect_path(hybrid_text, "name=systemd", "/machine.slice/vm@a.service");
}

Test(cgroup_parse, legacy_has_no_unified_line) {
        char *p = NULL;
        cr_assert_eq(cgroup_parse_proc_cgroup(legacy_text, NULL, &p), -ENOENT);
        expect_path(legacy_text, "devices", "/user.slice/user-0.slice");
        expect_path(legacy_text, "name=systemd", "/user.slice/user-0.slice/session-1.scope");
}

Test(cgroup_parse, controller_is_a_whole_word) {
        char *p = NULL;
        /* "cpu" must not match inside "cpuacct" or "cpuset". */
        cr_assert_eq(cgroup_parse_proc_cgroup("3:cpuset:/a\n2:cpuacct:/b\n", "cpu", &p), -ENOENT);
        cr_assert_eq(cgroup_parse_proc_cgroup(v2_text, "devices", &p), -ENOENT);
        expect_path("2:cpuacct,cpu:/x\n", "cpu", "/x");
}

Test(cgroup_parse, path_with_colon_and_root) {
        expect_path("0::/a:b/c\n", NULL, "/a:b/c");
        expect_path("0::/\n", NULL, "/");
}

Test(cgroup_parse, malformed) {
        char *p = NULL;
        cr_assert_eq(cgroup_parse_proc_cgroup("garbage\n", NULL, &p), -EINVAL);
        cr_assert_eq(cgroup_parse_proc_cgroup("0:/x\n", NULL, &p), -EINVAL);
        cr_assert_eq(cgroup_parse_proc_cgroup("0::relative\n", NULL, &p), -EINVAL);
        cr_assert_eq(cgroup_parse_proc_cgroup("", NULL, &p), -ENOENT);
        cr_assert_null(p);
}

/* ---- rules ---- */

static struct stat node(mode_t type, unsigned maj, unsigned min) {
        struct stat st = { .st_mode = type | 0600, .st_rdev = makedev(maj, min) };
        return st;
}

Test(cgroup_rule, from_stat) {
        CgroupDeviceRule r;
        struct stat st = node(S_IFCHR, 1, 3);

        cr_assert_eq(cgroup_rule_from_stat(&st, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE, &r), 0);
        cr_assert_eq(r.type, 'c');
        cr_assert_eq(r.major, 1);
        cr_assert_eq(r.minor, 3);
        cr_assert_eq(r.refcount, 1);

        st = node(S_IFBLK, 259, 70000);
        cr_assert_eq(cgroup_rule_from_stat(&st, CGROUP_DEVICE_READ, &r), 0);
        cr_assert_eq(r.type, 'b');
        cr_assert_eq(r.major, 259);
        cr_assert_eq(r.minor, 70000);
}

Test(cgroup_rule, refuses_non_devices_and_bad_access) {
        CgroupDeviceRule r;
        struct stat reg = node(S_IFREG, 0, 0), dir = node(S_IFDIR, 0, 0), chr = node(S_IFCHR, 1, 3);

        cr_assert_eq(cgroup_rule_from_stat(&reg, CGROUP_DEVICE_READ, &r), -EINVAL);
        cr_assert_eq(cgroup_rule_from_stat(&dir, CGROUP_DEVICE_READ, &r), -EINVAL);
        cr_assert_eq(cgroup_rule_from_stat(&chr, 0, &r), -EINVAL);
        cr_assert_eq(cgroup_rule_from_stat(&chr, 8, &r), -EINVAL);
}

Test(cgroup_rule, map_key_encoding) {
        CgroupDeviceRule r = {
                .type = 'c', .major = 10, .minor = 232, .access = CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE
        };
        CgroupBpfKey k;
        uint32_t v;

        cr_assert_eq(sizeof(CgroupBpfKey), 12);
        cr_assert_eq(cgroup_rule_to_bpf(&r, &k, &v), 0);
        cr_assert_eq(k.type, BPF_DEVCG_DEV_CHAR);
        cr_assert_eq(k.major, 10);
        cr_assert_eq(k.minor, 232);
        cr_assert_eq(v, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE);

        r = (CgroupDeviceRule){
                .type = 'b', .major = 7, .minor = CGROUP_MINOR_ANY, .access = CGROUP_DEVICE_MKNOD
        };
        cr_assert_eq(cgroup_rule_to_bpf(&r, &k, &v), 0);
        cr_assert_eq(k.type, BPF_DEVCG_DEV_BLOCK);
        cr_assert_eq(k.minor, UINT32_MAX);
        cr_assert_eq(v, BPF_DEVCG_ACC_MKNOD);

        r.type = 'x';
        cr_assert_eq(cgroup_rule_to_bpf(&r, &k, &v), -EINVAL);
}

Test(cgroup_rule, v1_lines) {
        char buf[64];
        CgroupDeviceRule r = {
                .type = 'c', .major = 1, .minor = 3, .access = CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE
        };

        cr_assert_eq(cgroup_rule_format_v1(&r, buf, sizeof(buf)), 8);
        cr_assert_str_eq(buf, "c 1:3 rw");
        r = (CgroupDeviceRule){ .type = 'c',
                                .major = 136,
                                .minor = CGROUP_MINOR_ANY,
                                .access = CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE };
        cgroup_rule_format_v1(&r, buf, sizeof(buf));
        cr_assert_str_eq(buf, "c 136:* rw");
        r = (CgroupDeviceRule){ .type = 'b', .major = 7, .minor = 0, .access = CGROUP_DEVICE_READ };
        cgroup_rule_format_v1(&r, buf, sizeof(buf));
        cr_assert_str_eq(buf, "b 7:0 r");
        r.access = CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE | CGROUP_DEVICE_MKNOD;
        cgroup_rule_format_v1(&r, buf, sizeof(buf));
        cr_assert_str_eq(buf, "b 7:0 rwm");
        cr_assert_eq(cgroup_rule_format_v1(&r, buf, 5), -ENOBUFS);
        r.access = 0;
        cr_assert_eq(cgroup_rule_format_v1(&r, buf, sizeof(buf)), -EINVAL);
}

Test(cgroup_rule, escape_name) {
        char *s;

        s = cgroup_escape_name("a/b c");
        cr_assert_str_eq(s, "a_b_c");
        free(s);
        s = cgroup_escape_name("..");
        cr_assert_str_eq(s, "_.");
        free(s);
        s = cgroup_escape_name("web-01.example:x");
        cr_assert_str_eq(s, "web-01.example:x");
        free(s);
        cr_assert_null(cgroup_escape_name(""));
}

/* ---- the program: shape ---- */

#define MAP_FD 42

static struct bpf_insn prog[CGROUP_BPF_PROGRAM_LEN];

static void build(void) {
        cgroup_bpf_build_program(MAP_FD, prog);
}

Test(cgroup_prog, shape, .init = build) {
        unsigned exits = 0, map_loads = 0;

        for (int i = 0; i < CGROUP_BPF_PROGRAM_LEN; i++) {
                const struct bpf_insn *x = &prog[i];
                if (x->code == (BPF_JMP | BPF_EXIT)) {
                        exits++;
                        /* Every exit returns a constant decided just before it. */
                        cr_assert_eq(prog[i - 1].code, BPF_ALU64 | BPF_MOV | BPF_K);
                        cr_assert_eq(prog[i - 1].dst_reg, BPF_REG_0);
                        cr_assert(prog[i - 1].imm == 0 || prog[i - 1].imm == 1);
                } else if (x->code == (BPF_LD | BPF_DW | BPF_IMM)) {
                        map_loads++;
                        cr_assert_eq(x->src_reg, BPF_PSEUDO_MAP_FD);
                        cr_assert_eq(x->imm, MAP_FD);
                        cr_assert_eq(prog[i + 1].code, 0);
                        i++;
                } else if (BPF_CLASS(x->code) == BPF_JMP && BPF_OP(x->code) != BPF_CALL) {
                        int target = i + 1 + x->off;
                        cr_assert(target > i && target < CGROUP_BPF_PROGRAM_LEN, "jump at %d to %d", i,
                                  target);
                }
        }
        cr_assert_eq(exits, 2);
        cr_assert_eq(map_loads, 2);
        cr_assert_eq(prog[CGROUP_BPF_PROGRAM_LEN - 1].code, BPF_JMP | BPF_EXIT);
        cr_assert_eq(prog[CGROUP_BPF_PROGRAM_LEN - 2].imm, 0, "the fall-through exit must deny");
}

/* ---- the program: behaviour, in a tiny interpreter ---- */

typedef struct FakeEntry {
        CgroupBpfKey key;
        uint32_t value;
} FakeEntry;

static FakeEntry fake_map[8];
static size_t fake_n;

static void fake_allow(char type, uint32_t maj, uint32_t min, unsigned access) {
        CgroupDeviceRule r = { .type = type, .major = maj, .minor = min, .access = access };
        cr_assert_eq(cgroup_rule_to_bpf(&r, &fake_map[fake_n].key, &fake_map[fake_n].value), 0);
        fake_n++;
}

static uint64_t fake_lookup(uint64_t fd, uint64_t key) {
        cr_assert_eq(fd, MAP_FD);
        for (size_t i = 0; i < fake_n; i++)
                if (memcmp(&fake_map[i].key, (const void *) (uintptr_t) key, sizeof(CgroupBpfKey)) == 0)
                        return (uint64_t) (uintptr_t) &fake_map[i].value;
        return 0;
}

/* Just the instructions the generator uses; anything else fails the test. */
static int run(uint32_t dev_type, uint32_t acc, uint32_t maj, uint32_t min) {
        struct bpf_cgroup_dev_ctx ctx = { .access_type = (acc << 16) | dev_type,
                                          .major = maj,
                                          .minor = min };
        uint64_t reg[11] = { 0 };
        uint64_t stack[64] = { 0 };

        reg[1] = (uint64_t) (uintptr_t) &ctx;
        reg[10] = (uint64_t) (uintptr_t) (stack + 64);
        for (int pc = 0, steps = 0; pc < CGROUP_BPF_PROGRAM_LEN; pc++, steps++) {
                const struct bpf_insn *x = &prog[pc];
                uint64_t *d = &reg[x->dst_reg], s = reg[x->src_reg];
                int64_t imm = x->imm;

                cr_assert(steps < 100);
                switch (x->code) {
                case BPF_ALU64 | BPF_MOV | BPF_X: *d = s; break;
                case BPF_ALU64 | BPF_MOV | BPF_K: *d = (uint64_t) imm; break;
                case BPF_ALU64 | BPF_ADD | BPF_K: *d += (uint64_t) imm; break;
                case BPF_ALU64 | BPF_XOR | BPF_K: *d ^= (uint64_t) imm; break;
                case BPF_ALU64 | BPF_AND | BPF_X: *d &= s; break;
                case BPF_ALU | BPF_AND | BPF_K: *d = (uint32_t) *d & (uint32_t) imm; break;
                case BPF_ALU | BPF_RSH | BPF_K: *d = (uint32_t) *d >> imm; break;
                case BPF_LDX | BPF_MEM | BPF_W:
                        *d = *(uint32_t *) (uintptr_t) (s + (uint64_t) (int64_t) x->off);
                        break;
                case BPF_STX | BPF_MEM | BPF_W:
                        *(uint32_t *) (uintptr_t) (*d + (uint64_t) (int64_t) x->off) = (uint32_t) s;
                        break;
                case BPF_ST | BPF_MEM | BPF_W:
                        *(uint32_t *) (uintptr_t) (*d + (uint64_t) (int64_t) x->off) = (uint32_t) imm;
                        break;
                case BPF_LD | BPF_DW | BPF_IMM:
                        *d = (uint32_t) x->imm;
                        pc++;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        if (*d == (uint64_t) imm)
                                pc += x->off;
                        break;
                case BPF_JMP | BPF_JNE | BPF_K:
                        if (*d != (uint64_t) imm)
                                pc += x->off;
                        break;
                case BPF_JMP | BPF_CALL:
                        cr_assert_eq(x->imm, BPF_FUNC_map_lookup_elem);
                        reg[0] = fake_lookup(reg[1], reg[2]);
                        for (int i = 1; i <= 5; i++)
                                reg[i] = 0xdeadbeefdeadbeefULL; /* clobbered by calls */
                        break;
                case BPF_JMP | BPF_EXIT: return (int) reg[0];
                default: cr_assert_fail("unexpected opcode 0x%x at %d", x->code, pc);
                }
        }
        cr_assert_fail("ran off the end");
        return -1;
}

static void build_and_reset(void) {
        build();
        fake_n = 0;
}

#define C BPF_DEVCG_DEV_CHAR
#define B BPF_DEVCG_DEV_BLOCK
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD

Test(cgroup_prog, empty_map_denies_everything, .init = build_and_reset) {
        cr_assert_eq(run(C, R, 1, 3), 0);
        cr_assert_eq(run(B, R, 7, 0), 0);
}

Test(cgroup_prog, exact_entry, .init = build_and_reset) {
        fake_allow('c', 1, 3, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE);
        cr_assert_eq(run(C, R, 1, 3), 1);
        cr_assert_eq(run(C, W, 1, 3), 1);
        cr_assert_eq(run(C, R | W, 1, 3), 1);
        cr_assert_eq(run(C, M, 1, 3), 0, "mknod was not granted");
        cr_assert_eq(run(C, R, 1, 5), 0, "other minor");
        cr_assert_eq(run(B, R, 1, 3), 0, "same numbers, other type");
}

Test(cgroup_prog, read_only_disk, .init = build_and_reset) {
        fake_allow('b', 7, 0, CGROUP_DEVICE_READ);
        cr_assert_eq(run(B, R, 7, 0), 1);
        cr_assert_eq(run(B, R | W, 7, 0), 0);
        cr_assert_eq(run(B, W, 7, 0), 0);
        cr_assert_eq(run(B, R, 7, 1), 0, "the neighbouring loop device");
}

Test(cgroup_prog, wildcard_minor, .init = build_and_reset) {
        fake_allow('c', 136, CGROUP_MINOR_ANY, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE);
        fake_allow('c', 136, 7, CGROUP_DEVICE_READ);
        cr_assert_eq(run(C, R | W, 136, 0), 1);
        cr_assert_eq(run(C, R | W, 136, 99999), 1);
        cr_assert_eq(run(C, R, 137, 0), 0);
        cr_assert_eq(run(B, R, 136, 0), 0);
        /* Either entry may grant (the union, as in v1's exception list). */
        cr_assert_eq(run(C, R, 136, 7), 1);
        cr_assert_eq(run(C, R | W, 136, 7), 1);
        cr_assert_eq(run(C, M, 136, 7), 0);
}

Test(cgroup_prog, exact_narrower_without_wildcard, .init = build_and_reset) {
        fake_allow('c', 136, 7, CGROUP_DEVICE_READ);
        fake_allow('c', 136, 8, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE);
        cr_assert_eq(run(C, R | W, 136, 7), 0);
        cr_assert_eq(run(C, R | W, 136, 8), 1);
}
