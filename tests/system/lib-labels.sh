# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the label crash scenarios (issue 9: SIGKILL of the supervisor
# at every journalled step of labelling and restoring; power loss), on top
# of lib.sh:
#
#       . "$VMUNIT_TEST_LIB"
#       . "$VMUNIT_TEST_DIR/lib-labels.sh"
#
# The build must be configured with -Dtest_hooks=true (src/label/test-hook.h,
# as scripts/test.sh does): the supervisor then stops itself (SIGSTOP) at
# the step VMUNIT_TEST_PAUSE_AT names, after writing "PID STEP" to
# VMUNIT_TEST_PAUSE_FILE, and appends every step it passes to
# VMUNIT_TEST_TRACE_FILE.
#
# Those variables reach one VM's supervisor and nothing else, through an
# EnvironmentFile= drop-in for its unit (lc_setup). systemd reads the file
# anew for each process it starts, so emptying it once the supervisor has
# paused keeps them from the unit's ExecStopPost= --cleanup, which would
# otherwise stop itself at the same restore step and hang the unit's stop.

LC_DIR=/run/vmunit-test-labels
LC_DUMP=/usr/local/lib/vmunit-test/xattr-dump
LC_SUPERVISOR=/usr/libexec/vmunit/vmunit-supervisor
LC_MCS=/var/lib/vmunit/labels/mcs

# The two VMs' files under IMG: a kernel only root may read (guest.elf),
# an initrd (a-initrd), a read-only disk they share (ro.img) and a
# writable disk each (a.img, b.img).
lc_disk() { # FILE DEV [readonly]
        echo "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$IMG/$1'/><target dev='$2' bus='virtio'/>${3:+<readonly/>}</disk>"
}
# A second QMP monitor (with_test_monitor) gives each VM the runtime qemu/
# directory QEMU may create files in, which both backends label too.
lc_vm_xml() { # NAME UUID MODE OWN-DISK [OWN-INITRD]
        test_vm_xml "$1" "$3" "$(lc_disk ro.img vda ro) $(lc_disk "$4" vdb)" "<uuid>$2</uuid>" |
                sed "s|<kernel>.*</kernel>|<kernel>$IMG/guest.elf</kernel>${5:+<initrd>$IMG/$5</initrd>}|" |
                with_test_monitor "$1"
}
lc_make_files() {
        mkdir -p "$IMG"
        install -m 0600 -o root -g root "$VMUNIT_TEST_GUEST" "$IMG/guest.elf"
        head -c 4096 /dev/zero >"$IMG/a-initrd"
        chmod 0600 "$IMG/a-initrd"
        truncate -s 1M "$IMG/ro.img" "$IMG/a.img" "$IMG/b.img"
        chmod 0600 "$IMG/a.img" "$IMG/b.img"
}

# lc_setup VM...: an empty environment file and the drop-in naming it, for
# each VM's unit; one daemon-reload.
lc_setup() {
        local vm d
        mkdir -p "$LC_DIR"
        # The supervisor (virtd_t) writes the pause and trace files: give
        # the directory the type of its runtime files.
        if [ -e /sys/fs/selinux/enforce ]; then chcon -t virt_runtime_t "$LC_DIR"; fi
        [ -x "$LC_DUMP" ] || fail "no $LC_DUMP (run.sh ships it from BUILD_DIR/tests/helpers)"
        for vm in "$@"; do
                : >"$LC_DIR/$vm.env"
                d=/run/systemd/system/$(vm_unit "$vm").d
                mkdir -p "$d"
                printf '[Service]\nEnvironmentFile=-%s\n' "$LC_DIR/$vm.env" >"$d/90-test-hooks.conf"
        done
        systemctl daemon-reload
}

# lc_teardown VM...: the drop-ins go again.
lc_teardown() {
        local vm
        for vm in "$@"; do rm -rf "/run/systemd/system/$(vm_unit "$vm").d"; done
        systemctl daemon-reload
        rm -rf "$LC_DIR"
}

# lc_env VM [NAME=VALUE...]: VM's supervisor's next start gets these (none:
# no hook at all). Values are quoted: '#' in "STEP#N" would start a comment.
lc_env() {
        local vm=$1 kv
        shift
        for kv in "$@"; do printf '%s="%s"\n' "${kv%%=*}" "${kv#*=}"; done >"$LC_DIR/$vm.env.new"
        mv "$LC_DIR/$vm.env.new" "$LC_DIR/$vm.env"
}

lc_stopped() { case $(unit_state "$1") in inactive | failed) return 0 ;; *) return 1 ;; esac; }

# lc_wait_acpi VM: VM's guest listens for the power button (a press before
# that is lost, and the stop would take shutdown_timeout). Read from the
# console log in its runtime directory, which each start begins afresh:
# cheaper than the journal, and no earlier run can fool it.
lc_wait_acpi() {
        wait_for 60 grep -q 'VMUNIT-TEST-GUEST: waiting for ACPI' "/run/vmunit/$1/console.log"
}

# lc_start VM: start it and wait until its guest listens for ACPI.
lc_start() {
        local cursor
        cursor=$(journal_cursor)
        if ! systemctl start "$(vm_unit "$1")"; then
                journalctl --no-pager -n 30 -u "$(vm_unit "$1")" --after-cursor="$cursor" || true
                fail "$(vm_unit "$1") did not start"
        fi
        lc_wait_acpi "$1"
}

# lc_file_state FILE...: owner, mode, inode and every xattr of each file:
# the ACL, the holder records (trusted.vmunit.dac, .secontext), the
# SELinux context.
lc_file_state() {
        "$LC_DUMP" "$@"
}

# lc_snapshot FILE...: lc_file_state of the files, and everything else a
# VM's labels may leave behind: the MCS reservations (name and owner),
# the label journals (name and checksum: another VM's must not change),
# the runtime directories, the loaded vmunit AppArmor profiles and the
# files in /etc/apparmor.d/vmunit.
lc_snapshot() {
        lc_file_state "$@"
        # Few processes: this runs three times per kill point, under TCG.
        grep -H '' "$LC_MCS"/* 2>/dev/null | sed "s|^$LC_MCS/|mcs |" || true
        (cd /run/vmunit/labels 2>/dev/null && md5sum -- * 2>/dev/null | sed 's/^/journal /') || true
        ls -A /run/vmunit | sed 's/^/run dir: /'
        if [ -r /sys/kernel/security/apparmor/profiles ]; then
                grep '^vmunit-' /sys/kernel/security/apparmor/profiles | sort | sed 's/^/apparmor loaded: /' || true
        fi
        ls -A /etc/apparmor.d/vmunit 2>/dev/null | sed 's/^/apparmor file: /' || true
}

# lc_trace VM: one start and clean stop of VM with the trace on. Sets
# LC_KILL_POINTS to its supervisor's steps, in order, as "PHASE STEP#N"
# (PHASE label or restore; N: the N-th time this step came), and prints them.
lc_trace() {
        local vm=$1 unit pid
        unit=$(vm_unit "$vm")
        rm -f "$LC_DIR/trace"
        lc_env "$vm" "VMUNIT_TEST_TRACE_FILE=$LC_DIR/trace"
        lc_start "$vm"
        pid=$(unit_property "$unit" MainPID)
        assert_success systemctl stop "$unit"
        lc_env "$vm"
        [ -s "$LC_DIR/trace" ] || fail "no step traced: is the build configured with -Dtest_hooks=true?"
        echo "steps of $vm's supervisor (pid $pid) and its cleanup:"
        sed 's/^/  /' "$LC_DIR/trace"
        mapfile -t LC_KILL_POINTS < <(awk -v pid="$pid" '$1 == pid {
                n[$2]++; print ($2 ~ /^restore-/ ? "restore" : "label"), $2 "#" n[$2] }' "$LC_DIR/trace")
        [ "${#LC_KILL_POINTS[@]}" -gt 0 ] || fail "no step of $vm's supervisor (pid $pid) in the trace"
}

# lc_first_and_last_kill_points: keep, of each step that came for several
# files, its first and its last coming: the first file half-done with
# nothing else held yet, and the last with every other file done.
lc_first_and_last_kill_points() {
        mapfile -t LC_KILL_POINTS < <(printf '%s\n' "${LC_KILL_POINTS[@]}" | awk '{
                step = $2; sub(/#[0-9]+$/, "", step); n = $2; sub(/^.*#/, "", n)
                line[NR] = $0; key[NR] = step; if (n + 0 > last[step]) last[step] = n + 0; nth[NR] = n + 0 }
                END { for (i = 1; i <= NR; i++) if (nth[i] == 1 || nth[i] == last[key[i]]) print line[i] }')
}

# lc_assert_traced STEP...: each step is among LC_KILL_POINTS.
lc_assert_traced() {
        local s
        for s in "$@"; do
                printf '%s\n' "${LC_KILL_POINTS[@]}" | grep -q " $s#1\$" ||
                        fail "step $s never came in the traced run: the scenario no longer covers it"
        done
}

# lc_compare WHAT BEFORE NOW: 0 when equal, else print the difference and
# record WHAT in LC_FAILED.
LC_FAILED=()
lc_compare() {
        [ "$2" != "$3" ] || return 0
        echo "MISMATCH $1:"
        diff <(echo "$2") <(echo "$3") | sed 's/^/    /' || true
        LC_FAILED+=("$1")
        return 1
}

# lc_kill_at VM PHASE STEP#N SNAPSHOT_FN: one kill point. PHASE label:
# start VM so that its supervisor stops at STEP#N while labelling;
# restore: start it normally, then stop it so that it stops there while
# restoring. SIGKILL the unit there (systemctl kill: the supervisor, and
# whatever else the unit has), let the unit stop (its ExecStopPost runs
# --cleanup), compare SNAPSHOT_FN's output with LC_BEFORE, run --cleanup
# by hand and compare again. Sets LC_RESULT: "reached", or "not-reached"
# when VM went through the phase without coming to that step (it is then
# stopped normally and compared all the same).
lc_kill_at() {
        local vm=$1 phase=$2 at=$3 snap=$4 unit pause=$LC_DIR/pause deadline pid got main state now out rc=0
        local i=0
        unit=$(vm_unit "$vm")
        rm -f "$pause"
        lc_env "$vm" "VMUNIT_TEST_PAUSE_AT=$at" "VMUNIT_TEST_PAUSE_FILE=$pause"
        if [ "$phase" = label ]; then
                systemctl start --no-block "$unit"
        else
                lc_start "$vm"
                systemctl stop --no-block "$unit"
        fi
        LC_RESULT=""
        deadline=$(($(date +%s) + 90))
        while [ -z "$LC_RESULT" ]; do
                if [ -s "$pause" ]; then
                        LC_RESULT=reached
                        break
                fi
                # The unit's state only every second: systemctl is slow
                # under TCG, the pause file is what we wait for.
                i=$((i + 1))
                if [ $((i % 10)) != 1 ]; then
                        sleep 0.1
                        continue
                fi
                state=$(unit_state "$unit")
                case $phase:$state in
                label:active | restore:inactive | restore:failed) LC_RESULT=not-reached ;;
                label:failed)
                        journalctl --no-pager -b -n 20 -u "$unit" || true
                        fail "$at: $unit failed before reaching the step"
                        ;;
                esac
                [ "$(date +%s)" -lt "$deadline" ] || fail "$at: neither paused nor through the $phase phase after 90 s (state $state)"
                sleep 0.1
        done
        # From here on, no hook: ExecStopPost's --cleanup must run through.
        lc_env "$vm"
        if [ "$LC_RESULT" = reached ]; then
                read -r pid got <"$pause"
                assert_eq "${at%#*}" "$got" "the step $vm's supervisor stopped at"
                main=$(unit_property "$unit" MainPID)
                assert_eq "$main" "$pid" "the process that stopped at $at (the unit's main process)"
                # Stopped there, not merely saying so (a policy may refuse
                # the SIGSTOP, and it would run on).
                deadline=$(($(date +%s) + 10))
                until grep -q '^State:[[:space:]]*T' "/proc/$pid/status" 2>/dev/null; do
                        [ "$(date +%s)" -lt "$deadline" ] ||
                                fail "$at: $vm's supervisor (pid $pid) wrote the pause file but did not stop: $(grep '^State:' "/proc/$pid/status" 2>&1)"
                        sleep 0.1
                done
                systemctl kill --signal=KILL "$unit"
                wait_for 60 lc_stopped "$unit"
        elif [ "$phase" = label ]; then
                lc_wait_acpi "$vm"
                assert_success systemctl stop "$unit"
        fi
        now=$("$snap")
        lc_compare "$phase $at, after ExecStopPost's --cleanup" "$LC_BEFORE" "$now" || true
        out=$("$LC_SUPERVISOR" --cleanup "$vm" 2>&1) || rc=$?
        [ "$rc" = 0 ] || {
                echo "MISMATCH: a second --cleanup exited $rc: $out"
                LC_FAILED+=("$phase $at: second --cleanup exited $rc")
        }
        now=$("$snap")
        lc_compare "$phase $at, after a second --cleanup" "$LC_BEFORE" "$now" || true
        systemctl reset-failed "$unit" 2>/dev/null || true
}

# lc_kill_whole_unit VM: SIGKILL every process of VM's running unit; after
# its ExecStopPost's --cleanup, and after a second --cleanup by hand,
# snapshot (the scenario's) must equal LC_BEFORE.
lc_kill_whole_unit() {
        systemctl kill --signal=KILL "$(vm_unit "$1")"
        wait_for 60 lc_stopped "$(vm_unit "$1")"
        lc_compare "running, after ExecStopPost's --cleanup" "$LC_BEFORE" "$(snapshot)" || true
        assert_success "$LC_SUPERVISOR" --cleanup "$1"
        lc_compare "running, after a second --cleanup" "$LC_BEFORE" "$(snapshot)" || true
        systemctl reset-failed "$(vm_unit "$1")" 2>/dev/null || true
}

# lc_assert_survivor VM SUPERVISOR_PID QEMU_PID CURSOR: VM ran through it
# all with the same processes, its guest still ticking.
lc_assert_survivor() {
        local ticks
        assert_eq "active $2 $3" "$(unit_state "$(vm_unit "$1")") $(unit_property "$(vm_unit "$1")" MainPID) $(qemu_pid_of "$1")" "$1's state, supervisor and QEMU"
        ticks=$(unit_last_tick "$(vm_unit "$1")" "$4")
        echo "$1's guest: tick $ticks"
        [ "$ticks" -ge 2 ] || fail "$1's guest ticked only $ticks times"
}

# lc_kill_at_every_point VM: lc_kill_at VM at each of LC_KILL_POINTS
# (lc_trace), comparing snapshot (the scenario's); counts in LC_KILLS.
LC_KILLS=0
lc_kill_at_every_point() {
        local kp t
        for kp in "${LC_KILL_POINTS[@]}"; do
                t=$SECONDS
                lc_kill_at "$1" "${kp%% *}" "${kp#* }" snapshot
                assert_eq reached "$LC_RESULT" "kill point $kp (traced in the clean run)"
                LC_KILLS=$((LC_KILLS + 1))
                echo "killed at $kp: $((SECONDS - t))s"
        done
}
