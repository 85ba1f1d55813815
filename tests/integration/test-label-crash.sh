#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Crash idempotence of the label library (DAC + SELinux through the
# LD_PRELOAD shim), with the test-only pause hook (-Dtest_hooks=true):
#
#   * VM B holds a read-only boot file; VM A labels its domain (the shared
#     file among them) and is SIGKILLed at every journalled step of
#     labelling, and at every step of restoring; --cleanup runs twice;
#     everything (owners, modes, ACLs, trusted.* records, SELinux
#     contexts, MCS reservations) is exactly as before A started, B's
#     labels included.
#   * Double undo (#8): a restore whose "undone" marker was lost, then
#     cleanup, twice: the file B holds stays B's.
#   * Power loss (#9): records and reservations of another boot: the same
#     VM labels again and restores at stop, another VM may use the files,
#     and the dead boot's MCS pairs stay reserved.
source "$(dirname "$0")/lib.sh"
: "${VMUNIT_LABEL_DRIVER:?run through meson test}"
: "${VMUNIT_SELINUX_SHIM:?run through meson test}"
if [ "$(id -u)" != 0 ]; then
        echo "SKIP: needs root (ACLs for another uid, trusted.* xattrs)"
        exit 77
fi
if [ "${VMUNIT_TEST_HOOKS:-0}" != 1 ]; then
        echo "SKIP: needs a build with -Dtest_hooks=true"
        exit 77
fi

QUID=4242
QGID=4343
SNAP="$(dirname "$0")/label-snapshot.py"
R=$(mktemp -d /var/tmp/vmunit-crash.XXXXXX) # a disk file system: trusted xattrs, ACLs
S=$R/shim
IMG=$R/img
MCS=$R/lib/labels/mcs
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$R"' EXIT
mkdir -p "$S" "$IMG" "$R/run/a" "$R/run/b"
export VMUNIT_SELINUX_SHIM_DIR=$S LABEL_DRIVER_MAC=selinux
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
printf 'system_u:system_r:svirt_t:s0\n' >"$S/virtual_domain_context"
printf 'system_u:object_r:svirt_image_t:s0\nsystem_u:object_r:virt_content_t:s0\n' >"$S/virtual_image_context"
printf 'system_u:object_r:user_tmp_t:s0\n' >"$S/default-filecon"

for f in shared-vmlinuz a-initrd a.img b.img; do
        head -c 4096 /dev/zero >"$IMG/$f"
        chmod 600 "$IMG/$f"
done
chown 1000:1000 "$IMG/a.img"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$IMG/a.sock"
chmod 600 "$IMG/a.sock"
FILES=("$IMG/shared-vmlinuz" "$IMG/a-initrd" "$IMG/a.img" "$IMG/b.img" "$IMG/a.sock" "$R/run/a" "$R/run/b")
SPEC_A=("kernel:$IMG/shared-vmlinuz" "initrd:$IMG/a-initrd" "rw:$IMG/a.img" "sock:$IMG/a.sock" "rundir:$R/run/a")
SPEC_B=("kernel:$IMG/shared-vmlinuz" "rw:$IMG/b.img" "rundir:$R/run/b")

snapshot() {
        python3 "$SNAP" "$S" "$MCS" "${FILES[@]}"
}

driver() {
        LD_PRELOAD=$VMUNIT_SELINUX_SHIM "$VMUNIT_LABEL_DRIVER" "$@"
}

cleanup_vm() {
        driver cleanup "$1" "$R" 2>>"$R/cleanup.err"
}

# start NAME OUT SPEC...: a driver in the background ($VM_PID).
start() {
        local name=$1 out=$2
        shift 2
        : >"$out"
        LD_PRELOAD=$VMUNIT_SELINUX_SHIM "$VMUNIT_LABEL_DRIVER" run "$name" "$R" "$QUID" "$QGID" "$@" \
                >"$out" 2>"$out.err" </dev/null &
        VM_PID=$!
        PIDS+=("$VM_PID")
}

# wait_for OUT PAUSE_FILE PID: "paused", "labelled", "restored" or "exited".
wait_for() {
        local out=$1 pause=$2 pid=$3 want=$4 i
        for ((i = 0; i < 400; i++)); do
                [ -s "$pause" ] && { echo paused; return; }
                grep -q "^$want" "$out" 2>/dev/null && { echo "$want"; return; }
                if ! kill -0 "$pid" 2>/dev/null; then
                        # It may have finished between the two checks above.
                        if grep -q "^$want" "$out" 2>/dev/null; then echo "$want"; else echo exited; fi
                        return
                fi
                sleep 0.02
        done
        echo timeout
}

kill_wait() {
        kill -KILL "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
}

# B runs (and stays labelled) through the whole test.
start b "$R/b.out" "${SPEC_B[@]}"
PID_B=$VM_PID
[ "$(wait_for "$R/b.out" /nonexistent "$PID_B" labelled)" = labelled ] || {
        echo "VM b did not label: $(cat "$R/b.out.err")" >&2
        exit 1
}
BEFORE=$(snapshot)

# crash_at STEP#N PHASE: run A, SIGKILL it at the step (while labelling,
# or while restoring after SIGTERM when PHASE is restore). Prints
# "reached" or "not-reached" (A finished that phase without the step).
crash_at() {
        local at=$1 phase=$2 pause=$R/pause out=$R/a.out state
        rm -f "$pause"
        VMUNIT_TEST_PAUSE_AT=$at VMUNIT_TEST_PAUSE_FILE=$pause start a "$out" "${SPEC_A[@]}"
        state=$(wait_for "$out" "$pause" "$VM_PID" labelled)
        if [ "$phase" = restore ] && [ "$state" = labelled ]; then
                kill -TERM "$VM_PID"
                state=$(wait_for "$out" "$pause" "$VM_PID" restored)
        fi
        kill_wait "$VM_PID"
        case $state in
        paused) echo reached ;;
        labelled | restored) echo not-reached ;;
        *) echo "error: $state: $(cat "$out.err")" ;;
        esac
}

check_back() {
        local now
        now=$(snapshot)
        if [ "$now" != "$BEFORE" ]; then
                t_fail "$1: state differs from before A started:"
                diff <(echo "$BEFORE") <(echo "$now") >&2 || true
                return 1
        fi
        [ ! -e "$R/run/labels/a.journal" ] || { t_fail "$1: A's journal left behind"; return 1; }
}

LABEL_STEPS=(selinux-mcs-journalled selinux-mcs-reserved dac-journalled dac-holder-added dac-acl-set
        selinux-journalled selinux-holder-added selinux-context-set)
RESTORE_STEPS=(restore-dac-holder-removed restore-dac-acl-restored restore-dac-record-removed
        restore-selinux-holder-removed restore-selinux-context-restored restore-selinux-record-removed
        restore-selinux-mcs-released)

for phase in label restore; do
        if [ $phase = label ]; then steps=("${LABEL_STEPS[@]}"); else steps=("${RESTORE_STEPS[@]}"); fi
        t_begin "SIGKILL at every step of $phase, cleanup twice: everything as before, B intact"
        ok=1 kills=0
        for step in "${steps[@]}"; do
                for ((n = 1; n < 20; n++)); do
                        res=$(crash_at "$step#$n" $phase)
                        case $res in
                        reached) kills=$((kills + 1)) ;;
                        not-reached) [ "$n" -gt 1 ] || { t_fail "step $step never reached"; ok=0; } ;;
                        *) t_fail "$step#$n: $res"; ok=0 ;;
                        esac
                        cleanup_vm a || { t_fail "$step#$n: cleanup failed: $(tail -1 "$R/cleanup.err")"; ok=0; }
                        cleanup_vm a || { t_fail "$step#$n: second cleanup failed"; ok=0; }
                        check_back "$step#$n" || ok=0
                        [ "$res" = reached ] || break
                done
        done
        echo "$kills kills at $phase steps"
        [ $ok = 1 ] && t_pass
done

t_begin "double undo (#8): a restore whose marker was lost, then cleanup twice"
ok=1
start a "$R/a.out" "${SPEC_A[@]}"
if [ "$(wait_for "$R/a.out" /nonexistent "$VM_PID" labelled)" = labelled ]; then
        cp "$R/run/labels/a.journal" "$R/a.journal.copy"
        kill -TERM "$VM_PID"
        wait "$VM_PID" || { t_fail "A did not restore"; ok=0; }
        cp "$R/a.journal.copy" "$R/run/labels/a.journal"
        cleanup_vm a && cleanup_vm a || { t_fail "cleanup failed"; ok=0; }
        check_back "double undo" || ok=0
else
        t_fail "A did not label: $(cat "$R/a.out.err")"
        ok=0
fi
[ $ok = 1 ] && t_pass

t_begin "stop B: every file as it was before either VM"
kill -TERM "$PID_B"
wait "$PID_B" || t_fail "B did not restore: $(cat "$R/b.out.err")"
ORIGINAL=$(snapshot)
if grep -q "trusted\.\|posix_acl\|^shim-\|^mcs " <<<"$ORIGINAL"; then
        t_fail "labels left after both VMs stopped: $(grep "trusted\.\|posix_acl\|^shim-\|^mcs " <<<"$ORIGINAL")"
else
        t_pass
fi

t_begin "power loss (#9): the dead boot's records are taken over, its pairs stay reserved"
ok=1
OLD_BOOT=99999999-9999-4999-8999-999999999999
VMUNIT_TEST_BOOT_ID=$OLD_BOOT start a "$R/a.out" "${SPEC_A[@]}"
pa=$VM_PID
VMUNIT_TEST_BOOT_ID=$OLD_BOOT start b "$R/b.out" "${SPEC_B[@]}"
pb=$VM_PID
[ "$(wait_for "$R/a.out" /nonexistent "$pa" labelled)" = labelled ] || { t_fail "old A: $(cat "$R/a.out.err")"; ok=0; }
[ "$(wait_for "$R/b.out" /nonexistent "$pb" labelled)" = labelled ] || { t_fail "old B: $(cat "$R/b.out.err")"; ok=0; }
kill_wait "$pa"
kill_wait "$pb"
OLD_PAIRS=$(ls "$MCS")
rm -f "$R"/run/labels/*.journal # /run does not survive the power loss
# The next boot: A starts and stops again.
start a "$R/a.out" "${SPEC_A[@]}"
if [ "$(wait_for "$R/a.out" /nonexistent "$VM_PID" labelled)" = labelled ]; then
        new_pair=$(comm -13 <(echo "$OLD_PAIRS") <(ls "$MCS"))
        [ -n "$new_pair" ] || { t_fail "A got no new pair"; ok=0; }
        kill -TERM "$VM_PID"
        wait "$VM_PID" || { t_fail "A did not restore: $(cat "$R/a.out.err")"; ok=0; }
else
        t_fail "A did not label again: $(cat "$R/a.out.err")"
        ok=0
fi
[ "$(ls "$MCS")" = "$OLD_PAIRS" ] || { t_fail "reservations $(ls "$MCS" | xargs), want the dead boot's: $(echo $OLD_PAIRS)"; ok=0; }
# Another VM (B) may use the shared file, and restores it too.
start b "$R/b.out" "${SPEC_B[@]}"
if [ "$(wait_for "$R/b.out" /nonexistent "$VM_PID" labelled)" = labelled ]; then
        kill -TERM "$VM_PID"
        wait "$VM_PID" || { t_fail "B did not restore"; ok=0; }
else
        t_fail "B refused after the power loss: $(cat "$R/b.out.err")"
        ok=0
fi
now=$(snapshot | grep -v '^mcs ')
[ "$now" = "$(grep -v '^mcs ' <<<"$ORIGINAL")" ] || {
        t_fail "files not restored after the power loss:"
        diff <(grep -v '^mcs ' <<<"$ORIGINAL") <(echo "$now") >&2 || true
        ok=0
}
for p in $OLD_PAIRS; do
        grep -q " $OLD_BOOT" "$MCS/$p" || { t_fail "reservation $p: $(cat "$MCS/$p")"; ok=0; }
done
[ $ok = 1 ] && t_pass

echo "$T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" -eq 0 ]
