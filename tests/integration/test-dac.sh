#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# DAC for real (root): no owner ever changes; what QEMU opens itself (a
# private kernel, a socket, the runtime dir) gets an ACL entry for QEMU's
# uid, restored exactly at stop, after a SIGKILL (through the journal),
# and only when the last VM sharing the file stops; disks (handed to QEMU
# as fds) are never touched. Drives the label manager through
# tests/integration/label-driver.c.
source "$(dirname "$0")/lib.sh"

: "${VMUNIT_LABEL_DRIVER:?run through meson test}"
if [ "$(id -u)" != 0 ]; then
        echo "SKIP: needs root (chown, trusted.* xattrs)"
        exit 77
fi

QUID=4242
QGID=4343
DRIVER_PIDS=()

# owner PATH -> "uid:gid:mode"
owner() {
        stat -c '%u:%g:%a' -- "$1"
}

# state PATH -> "uid:gid:mode ACL-hex holder-record": everything DAC may touch.
state() {
        python3 - "$1" <<'PY'
import os, sys
p = sys.argv[1]
st = os.stat(p)
def x(name):
    try:
        return os.getxattr(p, name).hex()
    except OSError:
        return "none"
print("%d:%d:%o %s %s" % (st.st_uid, st.st_gid, st.st_mode & 0o7777,
      x("system.posix_acl_access"), x("trusted.vmunit.dac")))
PY
}

# qemu_entry PATH -> the permission bits of the ACL entry for $QUID, or "none".
qemu_entry() {
        python3 - "$1" "$QUID" <<'PY'
import os, struct, sys
try:
    b = os.getxattr(sys.argv[1], "system.posix_acl_access")
except OSError:
    print("none"); sys.exit()
for i in range(4, len(b), 8):
    tag, perm, uid = struct.unpack("<HHI", b[i:i + 8])
    if tag == 2 and uid == int(sys.argv[2]):
        print(perm); sys.exit()
print("none")
PY
}

# check_value FUNCTION PATH WANT: FUNCTION's answer for PATH must be WANT;
# a failure names the path and both values.
check_value() {
        local got
        got=$("$1" "$2")
        if [ "$got" != "$3" ]; then
                t_fail "$2: $1 $got, want $3"
                return 1
        fi
}
check_state() { check_value state "$@"; }
check_entry() { check_value qemu_entry "$@"; }
check_owner() { check_value owner "$@"; }

# start_vm ROOT NAME SPEC...: run the driver in the background until it
# has labelled everything; its pid goes into $VM_PID.
start_vm() {
        local root=$1 name=$2 out
        shift 2
        out="$root/$name.out"
        "$VMUNIT_LABEL_DRIVER" run "$name" "$root" "$QUID" "$QGID" "$@" >"$out" 2>"$root/$name.err" </dev/null &
        VM_PID=$!
        DRIVER_PIDS+=("$VM_PID")
        for _ in $(seq 100); do
                grep -q '^labelled' "$out" 2>/dev/null && return 0
                kill -0 "$VM_PID" 2>/dev/null || break
                sleep 0.05
        done
        t_fail "driver for $name did not label: $(cat "$root/$name.err")"
        return 1
}

# stop_vm PID: the clean stop path (SIGTERM -> restore).
stop_vm() {
        local rc=0
        kill -TERM "$1"
        wait "$1" || rc=$?
        [ "$rc" = 0 ] || { t_fail "driver exited $rc on stop"; return 1; }
}

no_journal() {
        [ ! -e "$1/run/labels/$2.journal" ] || { t_fail "journal of $2 left behind"; return 1; }
}

# run_case NAME FUNCTION: a case passes when its function succeeds; a step
# that fails without saying why still counts as a failure.
run_case() {
        local before=$T_FAILED
        t_begin "$1"
        if "$2"; then
                t_pass
        elif [ "$T_FAILED" = "$before" ]; then
                t_fail "a step failed (see above)"
        fi
}

MY_ROOTS=()

kill_drivers() {
        local p
        for p in "${DRIVER_PIDS[@]}"; do
                kill -KILL "$p" 2>/dev/null || true
        done
        DRIVER_PIDS=()
}

# new_root runs in a $(...) subshell, so its own bookkeeping is lost:
# remember our roots here and remove them at exit.
remove_roots() {
        local r
        for r in "${MY_ROOTS[@]}"; do
                rm -rf -- "$r"
        done
}
trap 'kill_drivers; remove_roots; cleanup_all' EXIT

new_image() {
        local path=$1 uid=$2 gid=$3 mode=$4
        head -c 4096 /dev/zero >"$path"
        chown "$uid:$gid" "$path"
        chmod "$mode" "$path"
}

case_restore() {
        local root rw ro kernel initrd sock before_rw before_ro before_kernel before_initrd
        root=$(new_root)
        MY_ROOTS+=("$root")
        mkdir -p "$root/my images" "$root/run/vm1"
        rw="$root/my images/disk one.img"
        ro="$root/my images/base.iso"
        kernel="$root/vmlinuz"
        initrd="$root/initrd"
        new_image "$rw" 1234 5678 640
        new_image "$ro" 0 0 444
        new_image "$kernel" 0 0 600
        new_image "$initrd" 0 0 644
        before_rw=$(state "$rw")
        before_ro=$(state "$ro")
        before_kernel=$(state "$kernel")
        before_initrd=$(state "$initrd")
        before_run=$(state "$root/run/vm1")
        start_vm "$root" vm1 "rw:$rw" "cdrom:$ro" "kernel:$kernel" "initrd:$initrd" "rundir:$root/run/vm1" &&
                check_state "$rw" "$before_rw" &&
                check_state "$ro" "$before_ro" &&
                check_state "$initrd" "$before_initrd" &&
                check_entry "$kernel" 4 &&
                check_owner "$kernel" "0:0:640" &&
                check_entry "$root/run/vm1" 7 &&
                stop_vm "$VM_PID" &&
                check_state "$rw" "$before_rw" &&
                check_state "$ro" "$before_ro" &&
                check_state "$kernel" "$before_kernel" &&
                check_state "$initrd" "$before_initrd" &&
                check_state "$root/run/vm1" "$before_run" &&
                no_journal "$root" vm1
}

case_shared() {
        local root kernel before pid_a pid_b
        root=$(new_root)
        MY_ROOTS+=("$root")
        kernel="$root/shared vmlinuz"
        new_image "$kernel" 0 0 600
        before=$(state "$kernel")
        start_vm "$root" vm-a "kernel:$kernel" && pid_a=$VM_PID &&
                start_vm "$root" vm-b "kernel:$kernel" && pid_b=$VM_PID &&
                check_entry "$kernel" 4 &&
                stop_vm "$pid_a" &&
                check_entry "$kernel" 4 &&
                stop_vm "$pid_b" &&
                check_state "$kernel" "$before"
}

case_sigkill() {
        local root kernel shared keeper victim before_kernel before_shared
        root=$(new_root)
        MY_ROOTS+=("$root")
        kernel="$root/crash-vmlinuz"
        shared="$root/shared-initrd"
        new_image "$kernel" 1000 1000 600
        new_image "$shared" 0 0 600
        before_kernel=$(state "$kernel")
        before_shared=$(state "$shared")
        start_vm "$root" keeper "initrd:$shared" && keeper=$VM_PID &&
                start_vm "$root" victim "kernel:$kernel" "initrd:$shared" && victim=$VM_PID &&
                kill -KILL "$victim" && { wait "$victim" 2>/dev/null || true; } &&
                check_entry "$kernel" 4 &&
                [ -s "$root/run/labels/victim.journal" ] &&
                "$VMUNIT_LABEL_DRIVER" cleanup victim "$root" &&
                check_state "$kernel" "$before_kernel" &&
                check_entry "$shared" 4 &&
                no_journal "$root" victim &&
                "$VMUNIT_LABEL_DRIVER" cleanup victim "$root" &&
                check_entry "$shared" 4 &&
                stop_vm "$keeper" &&
                check_state "$shared" "$before_shared"
}

case_stale_journal() {
        local root kernel before
        root=$(new_root)
        MY_ROOTS+=("$root")
        kernel="$root/again-vmlinuz"
        new_image "$kernel" 0 0 600
        before=$(state "$kernel")
        start_vm "$root" vm "kernel:$kernel" && kill -KILL "$VM_PID" && { wait "$VM_PID" 2>/dev/null || true; } &&
                start_vm "$root" vm "kernel:$kernel" && stop_vm "$VM_PID" &&
                check_state "$kernel" "$before" &&
                no_journal "$root" vm
}

case_failure() {
        local root kernel before rc=0
        root=$(new_root)
        MY_ROOTS+=("$root")
        kernel="$root/ok-vmlinuz"
        new_image "$kernel" 0 0 600
        mkfifo -m 600 "$root/fifo-initrd"
        before=$(state "$kernel")
        "$VMUNIT_LABEL_DRIVER" run vm "$root" "$QUID" "$QGID" "kernel:$kernel" "initrd:$root/fifo-initrd" \
                >/dev/null 2>"$root/err" </dev/null || rc=$?
        if [ "$rc" = 0 ]; then
                t_fail "labelling a FIFO as an initrd succeeded"
                return 1
        fi
        if ! grep -qF "dac: cannot label boot file $root/fifo-initrd: Invalid argument" "$root/err"; then
                t_fail "unexpected error: $(cat "$root/err")"
                return 1
        fi
        check_state "$kernel" "$before" && no_journal "$root" vm
}

case_block_device() {
        local root dev before rc=0
        root=$(new_root)
        MY_ROOTS+=("$root")
        truncate -s 1M "$root/backing.img"
        if ! dev=$(losetup --find --show "$root/backing.img" 2>/dev/null); then
                echo "skip: no loop devices here"
                return 0
        fi
        before=$(state "$dev")
        start_vm "$root" vm "shared:$dev" &&
                check_state "$dev" "$before" &&
                stop_vm "$VM_PID" &&
                check_state "$dev" "$before" || rc=1
        losetup -d "$dev"
        return $rc
}

run_case "no owner changes; a private kernel and the run dir get an ACL entry, restored exactly (paths with spaces)" case_restore
run_case "a kernel shared by two VMs is restored after the last stops" case_shared
run_case "SIGKILL after labelling: cleanup restores from the journal, twice is harmless" case_sigkill
run_case "SIGKILL without cleanup: the next start undoes the stale journal first" case_stale_journal
run_case "block device disk (handed over as an fd): the device node is untouched" case_block_device
run_case "a failing file stops the start, names the step, restores the rest" case_failure

kill_drivers
remove_roots
t_end
