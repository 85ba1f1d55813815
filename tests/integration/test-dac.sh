#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# DAC dynamic ownership for real (root): owners are handed to QEMU's uid
# and given back at stop, after a SIGKILL (through the journal), and only
# when the last VM sharing a read-only image stops. Drives the label
# manager through tests/integration/label-driver.c.
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

# check_owner PATH WANT: a failure names the path and both values.
check_owner() {
        local got
        got=$(owner "$1")
        if [ "$got" != "$2" ]; then
                t_fail "$1: owner $got, want $2"
                return 1
        fi
}

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
        local root rw ro kernel before_rw
        root=$(new_root)
        MY_ROOTS+=("$root")
        mkdir "$root/my images"
        rw="$root/my images/disk one.img"
        ro="$root/my images/base.iso"
        kernel="$root/vmlinuz"
        new_image "$rw" 1234 5678 640
        new_image "$ro" 0 0 444
        new_image "$kernel" 0 0 600
        before_rw=$(owner "$rw")
        start_vm "$root" vm1 "rw:$rw" "cdrom:$ro" "kernel:$kernel" &&
                check_owner "$rw" "$QUID:$QGID:640" &&
                check_owner "$ro" "$QUID:$QGID:444" &&
                check_owner "$kernel" "$QUID:$QGID:600" &&
                stop_vm "$VM_PID" &&
                check_owner "$rw" "$before_rw" &&
                check_owner "$ro" "0:0:444" &&
                check_owner "$kernel" "0:0:600" &&
                no_journal "$root" vm1
}

case_shared() {
        local root base pid_a pid_b
        root=$(new_root)
        MY_ROOTS+=("$root")
        base="$root/base image.qcow2"
        new_image "$base" 0 0 644
        start_vm "$root" vm-a "ro:$base" && pid_a=$VM_PID &&
                start_vm "$root" vm-b "ro:$base" && pid_b=$VM_PID &&
                check_owner "$base" "$QUID:$QGID:644" &&
                stop_vm "$pid_a" &&
                check_owner "$base" "$QUID:$QGID:644" &&
                stop_vm "$pid_b" &&
                check_owner "$base" "0:0:644"
}

case_sigkill() {
        local root img shared keeper victim
        root=$(new_root)
        MY_ROOTS+=("$root")
        img="$root/crash.img"
        shared="$root/shared.img"
        new_image "$img" 1000 1000 600
        new_image "$shared" 0 0 644
        start_vm "$root" keeper "ro:$shared" && keeper=$VM_PID &&
                start_vm "$root" victim "rw:$img" "ro:$shared" && victim=$VM_PID &&
                kill -KILL "$victim" && { wait "$victim" 2>/dev/null || true; } &&
                check_owner "$img" "$QUID:$QGID:600" &&
                [ -s "$root/run/labels/victim.journal" ] &&
                "$VMUNIT_LABEL_DRIVER" cleanup victim "$root" &&
                check_owner "$img" "1000:1000:600" &&
                check_owner "$shared" "$QUID:$QGID:644" &&
                no_journal "$root" victim &&
                "$VMUNIT_LABEL_DRIVER" cleanup victim "$root" &&
                check_owner "$shared" "$QUID:$QGID:644" &&
                stop_vm "$keeper" &&
                check_owner "$shared" "0:0:644"
}

case_stale_journal() {
        local root img
        root=$(new_root)
        MY_ROOTS+=("$root")
        img="$root/again.img"
        new_image "$img" 0 0 600
        start_vm "$root" vm "rw:$img" && kill -KILL "$VM_PID" && { wait "$VM_PID" 2>/dev/null || true; } &&
                start_vm "$root" vm "rw:$img" && stop_vm "$VM_PID" &&
                check_owner "$img" "0:0:600" &&
                no_journal "$root" vm
}

case_failure() {
        local root img rc=0
        root=$(new_root)
        MY_ROOTS+=("$root")
        img="$root/ok.img"
        new_image "$img" 0 0 600
        "$VMUNIT_LABEL_DRIVER" run vm "$root" "$QUID" "$QGID" "rw:$img" "rw:$root/missing.img" \
                >/dev/null 2>"$root/err" </dev/null || rc=$?
        if [ "$rc" = 0 ]; then
                t_fail "labelling a missing image succeeded"
                return 1
        fi
        if ! grep -qF "dac: cannot label disk image $root/missing.img: No such file or directory" "$root/err"; then
                t_fail "unexpected error: $(cat "$root/err")"
                return 1
        fi
        check_owner "$img" "0:0:600" && no_journal "$root" vm
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
        before=$(owner "$dev")
        start_vm "$root" vm "shared:$dev" &&
                check_owner "$dev" "$QUID:$QGID:${before##*:}" &&
                stop_vm "$VM_PID" &&
                check_owner "$dev" "$before" || rc=1
        losetup -d "$dev"
        return $rc
}

run_case "owner before start == owner after stop (paths with spaces)" case_restore
run_case "read-only image shared by two VMs is restored after the last stops" case_shared
run_case "SIGKILL after labelling: cleanup restores from the journal" case_sigkill
run_case "SIGKILL without cleanup: the next start undoes the stale journal first" case_stale_journal
run_case "block device disk: the device node is chowned and given back" case_block_device
run_case "a failing path stops the start, names the step, restores the rest" case_failure

kill_drivers
remove_roots
t_end
