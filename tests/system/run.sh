#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run the system-test tier: install BUILD_DIR into a staging tree, boot the
# cached Debian test host (through a throwaway qcow2 overlay) under TCG with
# a payload disk holding the stage, the runner and the scenarios, wait for it
# to power off, and report.
#
# Usage: run.sh BUILD_DIR [SCENARIO...]
#   SCENARIO: a scenario name ("01-reboot"), its name without the number
#   ("reboot"), or a path; default: all of tests/system/scenarios/*.sh
#
# Environment:
#   VMUNIT_SYSTEM_TIMEOUT   overall limit for the test host's run, seconds; never
#                           less than the sum of the selected scenarios' budgets
#                           (see whole_run_limit), which is the default
#   VMUNIT_TEST_GUEST       multiboot test guest to ship into the test host
#                           (default BUILD_DIR/tests/guest/vmunit-test-guest.elf)
#   VMUNIT_TESTHOST_CACHE, VMUNIT_DEBIAN_MIRROR: see build-image.sh
#   VMUNIT_SYSTEM_SKIP_INSTALL=1  do not `meson install` (harness work on a
#                           tree that does not build); the stage stays empty
#   VMUNIT_SYSTEM_SCENARIOS_DIR  where scenarios are looked up (default
#                           tests/system/scenarios), e.g. a variant's own
#   VMUNIT_TESTHOST_VARIANT see build-image.sh (e.g. selinux)
#
# Results: BUILD_DIR/system-results/ (per-scenario stdout/stderr/rc, the
# serial console log, the test host's journal). Exit status: 0 only if at
# least one scenario ran and all passed.

set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# What one boot of the test host may take under TCG on a slow day (a boot
# takes 15-40 s; each test-host reboot costs one more).
BOOT_ALLOWANCE=150
# The runner's default per-stage budget (runner.sh DEFAULT_TIMEOUT).
DEFAULT_STAGE_BUDGET=300
SCENARIOS_DIR=${VMUNIT_SYSTEM_SCENARIOS_DIR:-$HERE/scenarios}

log() { echo "system-tests: $*"; }
die() { echo "system-tests: error: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: run.sh BUILD_DIR [SCENARIO...]"
[ -d "$1" ] || die "no build directory $1"
BUILD_DIR=$(readlink -f "$1")
shift
[ "$(id -u)" = 0 ] || die "must run as root"
for tool in qemu-system-x86_64 qemu-img mkfs.ext4 debugfs meson timeout; do
        command -v "$tool" >/dev/null || die "missing host tool: $tool"
done

RESULTS=$BUILD_DIR/system-results
WORK=""
QEMU_PID=""
T0=$SECONDS

cleanup() {
        if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
                kill -KILL "$QEMU_PID" 2>/dev/null || true
                { wait "$QEMU_PID"; } 2>/dev/null || true
        fi
        [ -z "$WORK" ] || rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Resolve the scenario selection into paths, in lexical order of names.
SCENARIOS=()
if [ $# = 0 ]; then
        for f in "$SCENARIOS_DIR"/*.sh; do [ -f "$f" ] && SCENARIOS+=("$f"); done
else
        for arg in "$@"; do
                found=""
                for f in "$arg" "$SCENARIOS_DIR/$arg" "$SCENARIOS_DIR/$arg.sh" "$SCENARIOS_DIR"/[0-9]*-"$arg".sh; do
                        if [ -f "$f" ]; then found=$(readlink -f "$f"); break; fi
                done
                [ -n "$found" ] || die "no scenario '$arg' in $SCENARIOS_DIR"
                SCENARIOS+=("$found")
        done
        mapfile -t SCENARIOS < <(for f in "${SCENARIOS[@]}"; do printf '%s\t%s\n' "$(basename "$f")" "$f"; done |
                                 sort -u | cut -f2)
fi
[ "${#SCENARIOS[@]}" -gt 0 ] || die "no scenarios in $SCENARIOS_DIR"

# The whole run's limit is a safety net for a test host that hangs, never
# the thing that fails a slow but healthy run: it is the sum of what every
# selected scenario may take (its per-stage budget, "# vmunit-test-timeout:",
# times its stages: one plus each testhost_reboot_then) plus a boot
# allowance for the first boot and every reboot. Each stage's own budget
# is enforced inside the test host by the runner.
whole_run_limit() {
        local total=$BOOT_ALLOWANCE s budget reboots
        for s in "$@"; do
                budget=$(sed -n 's/^# *vmunit-test-timeout: *\([0-9][0-9]*\).*/\1/p' "$s" | head -n1)
                reboots=$(grep -c '^[^#]*testhost_\(reboot\|crash\)_then [A-Za-z0-9_.-]' "$s" || true)
                total=$((total + ${budget:-$DEFAULT_STAGE_BUDGET} * (1 + reboots) + BOOT_ALLOWANCE * reboots))
        done
        echo "$total"
}
TIMEOUT=$(whole_run_limit "${SCENARIOS[@]}")
if [ -n "${VMUNIT_SYSTEM_TIMEOUT:-}" ] && [ "$VMUNIT_SYSTEM_TIMEOUT" -gt "$TIMEOUT" ]; then
        TIMEOUT=$VMUNIT_SYSTEM_TIMEOUT
fi
NAMES=()
for s in "${SCENARIOS[@]}"; do NAMES+=("$(basename "$s" .sh)"); done

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/vmunit-system.XXXXXX")
PAYLOAD=$WORK/payload
mkdir -p "$PAYLOAD/stage" "$PAYLOAD/scenarios" "$PAYLOAD/results"

# (a) The project's install, as it would land on a real host.
if [ "${VMUNIT_SYSTEM_SKIP_INSTALL:-0}" = 1 ]; then
        log "VMUNIT_SYSTEM_SKIP_INSTALL=1: not installing $BUILD_DIR"
else
        log "meson install -C $BUILD_DIR"
        if ! meson install -C "$BUILD_DIR" --destdir "$PAYLOAD/stage" >"$RESULTS/meson-install.log" 2>&1; then
                tail -n 30 "$RESULTS/meson-install.log"
                die "meson install failed (log: $RESULTS/meson-install.log)"
        fi
fi
# Test helpers (tests/helpers/): for the scenarios that race paths, and
# the label scenarios' state dumps (the test host has no getfattr/getfacl).
for helper in flip-dirs xattr-dump fd-modes; do
        if [ -x "$BUILD_DIR/tests/helpers/$helper" ]; then
                install -D -m 0755 "$BUILD_DIR/tests/helpers/$helper" "$PAYLOAD/stage/usr/local/lib/vmunit-test/$helper"
        fi
done
guest=${VMUNIT_TEST_GUEST:-$BUILD_DIR/tests/guest/vmunit-test-guest.elf}
if [ -f "$guest" ]; then
        install -D -m 0644 "$guest" "$PAYLOAD/stage/usr/local/share/vmunit-test/vmunit-test-guest.elf"
else
        log "note: no test guest at $guest; scenarios needing it will skip that check"
fi

# (b) The test-host image, built or reused.
t=$SECONDS
IMAGE=$("$HERE/build-image.sh" | tail -n1) || die "building the test-host image failed"
log "test-host image ready in $((SECONDS - t))s: $IMAGE"

# (c) The payload disk; results come back on it.
install -m 0755 "$HERE/runner.sh" "$PAYLOAD/runner.sh"
install -m 0644 "$HERE/lib.sh" "$PAYLOAD/lib.sh"
# Helpers a few scenarios share on top of lib.sh (lib-labels.sh).
for lib in "$HERE"/lib-*.sh; do [ -f "$lib" ] && install -m 0644 "$lib" "$PAYLOAD/"; done
for s in "${SCENARIOS[@]}"; do install -m 0755 "$s" "$PAYLOAD/scenarios/"; done
size_mb=$(( $(du -sm "$PAYLOAD" | cut -f1) + 512 ))
truncate -s "${size_mb}M" "$WORK/payload.img"
# No journal: what the runner has synced is then in place on the disk, and
# debugfs (which ignores the journal) sees it even if QEMU had to be killed.
mkfs.ext4 -q -F -O ^has_journal -L vmunit-payload -d "$PAYLOAD" "$WORK/payload.img"
qemu-img create -q -f qcow2 -F raw -b "$IMAGE/rootfs.raw" "$WORK/root.qcow2"

# (d) Boot the test host. QEMU runs with -no-reboot: a reboot inside the
# test host ends QEMU and we start it again on the same disks. A cold start
# boots in half the time a reset of the machine under TCG takes.
SERIAL=$WORK/serial.log
: >"$SERIAL"
: >"$WORK/qemu.log"
# setpriv --pdeathsig: QEMU dies with us even if we are SIGKILLed (e.g. by
# a CI time limit) and never get to run the cleanup trap.
PDEATHSIG=()
command -v setpriv >/dev/null && PDEATHSIG=(setpriv --pdeathsig KILL --)
start_qemu() {
        "${PDEATHSIG[@]}" qemu-system-x86_64 \
                -name vmunit-test-host -machine pc -accel tcg -cpu max -smp 2 -m 2048 \
                -nodefaults -no-user-config -display none -no-reboot \
                -chardev "file,id=serial0,path=$SERIAL,append=on" -serial chardev:serial0 \
                -kernel "$IMAGE/vmlinuz" -initrd "$IMAGE/initrd.img" -append "$(cat "$IMAGE/cmdline")" \
                -drive "file=$WORK/root.qcow2,format=qcow2,if=virtio,cache=unsafe" \
                -drive "file=$WORK/payload.img,format=raw,if=virtio" \
                -device virtio-rng-pci \
                </dev/null >>"$WORK/qemu.log" 2>&1 &
        QEMU_PID=$!
}

# (f) Wait for the power-off, echoing the runner's progress lines.
seen=0
BOOT_TO_RUNNER=""
declare -A BEGAN=() TOOK=()
# The hang watchdog: the runner prints a line at every stage's begin and
# end and at every boot, and kills a stage that overruns its own budget.
# Silence for longer than the running stage's budget (plus a margin), or
# than a boot allowance between stages, means the test host itself hangs.
LAST_LINE_AT=0
SILENCE_LIMIT=$BOOT_ALLOWANCE
# Each scenario's time (all its stages, reboots excluded), from the
# runner's "begin NAME stage S" / "end NAME rc=N" / "stopped" lines.
track() {
        local now=$1 line=$2 name budget
        LAST_LINE_AT=$now
        SILENCE_LIMIT=$BOOT_ALLOWANCE
        case "$line" in
        "begin "*)
                name=${line#begin }
                name=${name%% *}
                BEGAN[$name]=$now
                CURRENT=$name
                budget=${line##*timeout }
                budget=${budget%%s)*}
                [[ "$budget" =~ ^[0-9]+$ ]] && SILENCE_LIMIT=$((budget + 60))
                ;;
        "end "* | "stopped"* | "boot "*)
                name=${CURRENT:-}
                [ -n "$name" ] && [ -n "${BEGAN[$name]:-}" ] || return 0
                TOOK[$name]=$(( ${TOOK[$name]:-0} + now - BEGAN[$name] ))
                unset "BEGAN[$name]"
                ;;
        esac
}
progress() {
        local lines i
        mapfile -t lines < <(tr -d '\r' <"$SERIAL" | grep -a -o -e 'VMUNIT-RUNNER: .*' -e 'Linux version [^ ]*' || true)
        for ((i = seen; i < ${#lines[@]}; i++)); do
                case "${lines[i]}" in
                Linux*) echo "  [+$((SECONDS - T_BOOT))s] (kernel ${lines[i]#Linux version } starting)" ;;
                *)
                        echo "  [+$((SECONDS - T_BOOT))s] ${lines[i]#VMUNIT-RUNNER: }"
                        track "$((SECONDS - T_BOOT))" "${lines[i]#VMUNIT-RUNNER: }"
                        [ -n "$BOOT_TO_RUNNER" ] || BOOT_TO_RUNNER=$((SECONDS - T_BOOT))
                        ;;
                esac
        done
        seen=${#lines[@]}
}

log "booting the test host (TCG, timeout ${TIMEOUT}s), scenarios: ${NAMES[*]}"
T_BOOT=$SECONDS
timed_out=0
hung=0
qemu_rc=0
starts=0
while :; do
        start_qemu
        starts=$((starts + 1))
        while kill -0 "$QEMU_PID" 2>/dev/null; do
                if [ $((SECONDS - T_BOOT)) -ge "$TIMEOUT" ]; then
                        timed_out=1
                        kill -KILL "$QEMU_PID" 2>/dev/null || true
                        break
                fi
                if [ $((SECONDS - T_BOOT - LAST_LINE_AT)) -ge "$SILENCE_LIMIT" ]; then
                        timed_out=1
                        hung=1
                        kill -KILL "$QEMU_PID" 2>/dev/null || true
                        break
                fi
                progress
                sleep 1
        done
        { wait "$QEMU_PID"; } 2>/dev/null || qemu_rc=$?
        QEMU_PID=""
        progress
        if [ "$timed_out" = 1 ] || [ "$qemu_rc" != 0 ]; then break; fi
        # Did the kernel ask for a restart rather than a power-off?
        # (testhost_crash_then resets through sysrq, which says so instead.)
        reboots=$(grep -a -c -e 'reboot: Restarting system' -e 'sysrq: Resetting' "$SERIAL" || true)
        [ "$reboots" -ge "$starts" ] || break
        [ "$starts" -lt 20 ] || { log "test host rebooted $starts times, giving up"; break; }
done
RUN_TIME=$((SECONDS - T_BOOT))
cp "$SERIAL" "$RESULTS/serial.log"
cp "$WORK/qemu.log" "$RESULTS/qemu.log"
[ "$timed_out" = 1 ] || [ "$qemu_rc" = 0 ] || log "qemu exited $qemu_rc (see $RESULTS/qemu.log)"

# Results off the payload disk, without mounting it.
debugfs -R "rdump /results $WORK" "$WORK/payload.img" >"$WORK/debugfs.log" 2>&1 || true
if [ -d "$WORK/results" ]; then
        cp -a "$WORK/results/." "$RESULTS/"
else
        log "could not read results off the payload disk: $(cat "$WORK/debugfs.log")"
fi

running=""
if [ "$timed_out" = 1 ]; then
        # The last scenario begun and not ended on the console.
        running=$(tr -d '\r' <"$SERIAL" | grep -a -o 'VMUNIT-RUNNER: \(begin\|end\) [^ ]*' |
                  tail -n1 | awk '$2 == "begin" { print $3 }')
        if [ "$hung" = 1 ]; then
                log "HUNG: no progress from the test host for ${SILENCE_LIMIT}s; killed it${running:+ while running $running}"
        else
                log "TIMEOUT after ${TIMEOUT}s; killed the test host${running:+ while running $running}"
        fi
        # The runner could not save the journal: dig it out of the overlay.
        if [ ! -s "$RESULTS/journal.txt" ] && command -v journalctl >/dev/null &&
           qemu-img convert -O raw "$WORK/root.qcow2" "$WORK/root.raw" 2>/dev/null; then
                # Replay the ext4 journal of our copy: debugfs does not.
                e2fsck -fy "$WORK/root.raw" >/dev/null 2>&1 || true
                mkdir -p "$WORK/journal"
                debugfs -R "rdump /var/log/journal $WORK/journal" "$WORK/root.raw" >/dev/null 2>&1 || true
                journalctl --directory="$WORK/journal/journal" --no-pager -o short-precise \
                        >"$RESULTS/journal.txt" 2>&1 || true
                rm -f "$WORK/root.raw"
        fi
fi

# Report.
passed=0
failed=0
summary=()
if [ -f "$RESULTS/install-failed" ]; then
        echo "---- installing the stage in the test host failed:"
        tail -n 30 "$RESULTS/install.log" 2>/dev/null | sed 's/^/    /'
fi
for name in "${NAMES[@]}"; do
        dir=$RESULTS/$name
        why=""
        if [ -f "$dir/rc" ]; then
                rc=$(cat "$dir/rc")
                case "$rc" in
                0) ;;
                124) why="timed out: scenario limit" ;;
                *) why="exit status $rc" ;;
                esac
        elif [ "$name" = "$running" ] && [ "$hung" = 1 ]; then
                why="test host hung: no progress for ${SILENCE_LIMIT}s"
        elif [ "$name" = "$running" ]; then
                why="timed out: whole-run limit ${TIMEOUT}s"
        else
                why="did not run"
        fi
        if [ -z "$why" ]; then
                passed=$((passed + 1))
                summary+=("PASS $name")
        else
                failed=$((failed + 1))
                summary+=("FAIL $name ($why)")
                for f in stdout stderr; do
                        [ -s "$dir/$f" ] || continue
                        echo "---- $name: last lines of $f"
                        tail -n 25 "$dir/$f" | sed 's/^/    /'
                done
        fi
done

guest_up=$(tr -d '\r' <"$SERIAL" | grep -a -o 'VMUNIT-RUNNER: boot 1 up after [0-9.]*' | awk '{ print $NF }' | head -n1)
slowest=""
for name in "${!TOOK[@]}"; do
        if [ -z "$slowest" ] || [ "${TOOK[$name]}" -gt "${TOOK[$slowest]}" ]; then slowest=$name; fi
done
scenario_total=0
for name in "${!TOOK[@]}"; do scenario_total=$((scenario_total + TOOK[$name])); done
log "timings: slowest scenario ${slowest:-none} ${slowest:+${TOOK[$slowest]}s}; scenarios ${scenario_total}s of a ${TIMEOUT}s whole-run limit"
log "timings: test host ran ${RUN_TIME}s, runner started ${BOOT_TO_RUNNER:-?}s after QEMU start (guest uptime ${guest_up:-?}s), total $((SECONDS - T0))s"
log "results in $RESULTS"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
