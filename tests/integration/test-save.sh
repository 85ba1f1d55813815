#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Reboot(), Save(path), `vmctl restore FILE` and the restore of a managed
# save, with a real supervisor and QEMU running the multiboot test guest
# (its `ticks` counter shows whether a restored guest kept running state),
# on a private dbus-daemon.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dbus-lib.sh"

root=$(new_root)
chmod 0755 "$root"
echo "shutdown_timeout = 3" > "$root/etc/vmunit.conf"
start_bus "$(bus_config "$root" open)"
log=$root/log/demo.log

# The last tick number the guest printed (0 if none yet).
last_tick() {
        { grep -o 'tick [0-9]*' "$log" 2>/dev/null || echo "tick 0"; } | tail -n1 | cut -d' ' -f2
}
# wait_ticks N: until the guest has printed tick N.
wait_ticks() {
        local tries=200
        while [ "$(last_tick)" -lt "$1" ] && [ $tries -gt 0 ]; do sleep 0.1; tries=$((tries - 1)); done
        [ "$(last_tick)" -ge "$1" ]
}
# start_demo MODE: the domain "demo" with a fixed UUID (a definition
# without one gets a new UUID at every parse, and a restore needs the
# saved one); sets SUP_PID, DEST.
UUID=5a7e0000-1111-4222-8333-944445555666
start_demo() {
        define_guest "$root" demo "$1" "" "<uuid>$UUID</uuid>"
        VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$root" demo
        DEST=org.vmunit.vm.demo
        wait_log "$root" demo "D-Bus: serving $DEST" && wait_log "$root" demo "state: running"
}
# wait_count PATTERN N: until the log has N lines matching PATTERN.
wait_count() {
        local tries=200
        while [ "$(grep -c -- "$1" "$log" 2>/dev/null)" -lt "$2" ] && [ $tries -gt 0 ]; do
                sleep 0.05; tries=$((tries - 1))
        done
        [ $tries -gt 0 ]
}
# restore_vm FILE: vmctl --root restore in the background (it becomes the
# supervisor); sets SUP_PID.
restore_vm() {
        VMUNIT_BUS_ADDRESS=$BUS "$VMCTL" --root "$root" restore "$1" >"$root/restore.out" 2>&1 &
        SUP_PID=$!
}

t_begin "Reboot: power button, the guest's poweroff becomes a reset; still running"
if start_demo acpi && wait_log "$root" demo "waiting for ACPI power button"; then
        out=$(call Reboot)
        if grep -q "^Error" <<<"$out"; then t_fail "Reboot: $out"
        elif ! wait_log "$root" demo "guest rebooted" 10; then t_fail "no 'guest rebooted' in the log"
        elif ! wait_count 'booted mode=acpi' 2; then t_fail "the guest did not boot again"
        elif ! kill -0 "$SUP_PID" 2>/dev/null; then t_fail "the supervisor exited"
        elif [ "$(prop State)" != 's "running"' ]; then t_fail "State: $(prop State)"
        elif grep -q "state: paused" "$log"; then t_fail "the reboot showed as a pause"
        else t_pass; fi
else
        abort_vm; t_fail "guest did not start"
fi

t_begin "after a Reboot, Shutdown still powers the guest off (action restored)"
sleep 0.5
out=$(call Shutdown)
wait_rc "$SUP_PID"
if grep -q "^Error" <<<"$out"; then t_fail "Shutdown: $out"
elif [ "$RC" != 0 ]; then t_fail "exit $RC, want 0"
elif ! grep -q "guest powered off" "$log"; then t_fail "no 'guest powered off' in the log"
else t_pass; fi

t_begin "wrong-state Reboot/Save -> org.vmunit.Error.InvalidState; bad paths -> InvalidArgs"
rm -f "$log"
if start_demo ignore-acpi; then
        touch "$root/exists.save"
        o1=$(call Save string:relative.save)
        o2=$(call Save string:"$root/exists.save")
        o3=$(call Save string:"$root/no-such-dir/x.save")
        call Suspend >/dev/null
        wait_prop State paused
        o4=$(call Reboot)
        call Resume >/dev/null
        wait_prop State running
        call Shutdown >/dev/null
        wait_prop State shutting-down
        o5=$(call Save string:"$root/late.save")
        o6=$(call Reboot)
        if ! expect_error "Save relative" org.vmunit.Error.InvalidArgs "$o1"; then :
        elif ! expect_error "Save existing" org.vmunit.Error.InvalidArgs "$o2"; then :
        elif ! grep -q "$root/exists.save already exists" <<<"$o2"; then t_fail "message: $o2"
        elif [ -s "$root/exists.save" ]; then t_fail "existing file was written to"
        elif ! expect_error "Save no dir" org.vmunit.Error.Failed "$o3"; then :
        elif ! expect_error "Reboot paused" org.vmunit.Error.InvalidState "$o4"; then :
        elif ! expect_error "Save shutting down" org.vmunit.Error.InvalidState "$o5"; then :
        elif ! expect_error "Reboot shutting down" org.vmunit.Error.InvalidState "$o6"; then :
        elif [ -e "$root/late.save" ]; then t_fail "late.save created"
        else t_pass; fi
        call Destroy >/dev/null
        wait_rc "$SUP_PID"
else
        abort_vm; t_fail "guest did not start"
fi

t_begin "a Save that fails midway: no partial file, the guest runs on"
# The supervisor may write only 200 KiB per file (SIGXFSZ ignored, so the
# write fails with EFBIG); the guest's state is larger than that.
rm -f "$log"
define_guest "$root" demo "acpi ticks" "" "<uuid>$UUID</uuid>"
(trap '' XFSZ; ulimit -f 200; VMUNIT_BUS_ADDRESS=$BUS exec "$VMUNIT_SUPERVISOR" --root "$root" demo) \
        2>"$root/supervisor.stderr" &
SUP_PID=$!
DEST=org.vmunit.vm.demo
if wait_log "$root" demo "state: running" && wait_ticks 2; then
        out=$(call Save string:"$root/big.save")
        at=$(last_tick)
        if ! expect_error "Save over the limit" org.vmunit.Error.Failed "$out"; then :
        elif ! grep -q "cannot write $root/big.save" <<<"$out"; then t_fail "message: $out"
        elif [ -e "$root/big.save" ]; then t_fail "partial file left behind"
        elif ! wait_prop State running; then t_fail "guest not running again"
        elif ! wait_ticks $((at + 2)); then t_fail "guest did not carry on"
        else t_pass; fi
        call Destroy >/dev/null
        wait_rc "$SUP_PID"
else
        abort_vm; t_fail "guest did not start"
fi

t_begin "Save: file 0600 with our header, supervisor exits 0"
rm -f "$log"
if start_demo "acpi ticks" && wait_ticks 2; then
        before=$(last_tick)
        stdbuf -oL busctl --address="$BUS" --no-pager monitor "$DEST" > "$root/monitor.txt" 2>&1 &
        MON_PID=$!
        sleep 0.3
        out=$(call Save string:"$root/demo.save")
        wait_rc "$SUP_PID"
        sleep 0.2
        kill "$MON_PID" 2>/dev/null || true
        MON_PID=""
        if grep -q "^Error" <<<"$out"; then t_fail "Save: $out"
        elif last=$(awk '/Member=StateChanged/ { b = ""; n = 8 } n-- > 0 { b = b $0 "\n" } END { printf "%s", b }' \
                        "$root/monitor.txt") &&
                ! { grep -q 'STRING "shutoff"' <<<"$last" && grep -q 'STRING "saved"' <<<"$last"; }; then
                t_fail "the last StateChanged is not (shutoff, saved): $last"
        elif [ "$RC" != 0 ]; then t_fail "exit $RC, want 0"
        elif [ "$(stat -c %a "$root/demo.save")" != 600 ]; then t_fail "mode $(stat -c %a "$root/demo.save")"
        elif [ "$(head -c 14 "$root/demo.save")" != "VMUNIT-SAVE 1" ]; then t_fail "no header"
        elif ! grep -q "saved the guest's state to $root/demo.save" "$log"; then t_fail "no 'saved' in the log"
        elif ! check_no_runtime_left "$root" demo; then :
        else t_pass; fi
else
        abort_vm; t_fail "guest did not start"
fi

t_begin "vmctl restore: the guest continues (ticks go on, not from 1)"
rm -f "$log"
restore_vm "$root/demo.save"
if wait_log "$root" demo "restored the guest's state" 20 && wait_log "$root" demo "state: running" &&
        wait_ticks $((before + 2)); then
        first=$(grep -o 'tick [0-9]*' "$log" | head -n1 | cut -d' ' -f2)
        if [ "$first" -le 1 ]; then t_fail "ticks restarted from $first"
        elif [ -e "$root/lib/demo/restore" ]; then t_fail "restore request left behind"
        elif [ ! -e "$root/demo.save" ]; then t_fail "the save file was removed"
        else t_pass; fi
else
        t_fail "restore did not come up"
fi

t_begin "a paused guest is saved paused and restored paused"
DEST=org.vmunit.vm.demo
wait_log "$root" demo "D-Bus: serving" 5 || true
call Suspend >/dev/null
wait_prop State paused
out=$(call Save string:"$root/paused.save")
wait_rc "$SUP_PID"
if grep -q "^Error" <<<"$out" || [ "$RC" != 0 ]; then t_fail "Save while paused: $out, exit $RC"
else
        rm -f "$log"
        restore_vm "$root/paused.save"
        if ! wait_log "$root" demo "restored the guest's state" 20; then t_fail "not restored"
        elif ! wait_prop State paused; then :
        elif ! grep -q "saved paused" "$log"; then t_fail "header did not say paused"
        else
                out=$(call Resume)
                if ! wait_prop State running; then t_fail "Resume after restore: $out"
                else t_pass; fi
        fi
        call Destroy >/dev/null
        wait_rc "$SUP_PID"
fi

t_begin "restore of a file that is not ours, or of an unknown domain: one line, non-zero"
echo "hello" > "$root/foreign.save"
rc=0; out=$("$VMCTL" --root "$root" restore "$root/foreign.save" 2>&1) || rc=$?
sed 's/<name>demo</<name>omed</' "$root/demo.save" > "$root/other.save"
rc2=0; out2=$("$VMCTL" --root "$root" restore "$root/other.save" 2>&1) || rc2=$?
if [ $rc = 0 ] || [ "$(wc -l <<<"$out")" != 1 ] || ! grep -q "not a vmunit save file" <<<"$out"; then
        t_fail "foreign file: exit $rc: $out"
elif [ $rc2 = 0 ] || [ "$(wc -l <<<"$out2")" != 1 ] || ! grep -q "not defined" <<<"$out2"; then
        t_fail "unknown domain: exit $rc2: $out2"
elif [ -e "$root/lib/demo/restore" ]; then t_fail "a request was left behind"
else t_pass; fi

t_begin "a damaged stream: exit 2 with a clear line; the next plain start boots"
head -c 300000 "$root/demo.save" > "$root/broken.save"
rm -f "$log"
restore_vm "$root/broken.save"
wait_rc "$SUP_PID"
if [ "$RC" != 2 ]; then t_fail "exit $RC, want 2"
elif ! grep -q "$root/broken.save: QEMU could not load the saved state" "$log"; then t_fail "no clear line in the log"
elif [ -e "$root/lib/demo/restore" ]; then t_fail "request left behind"
elif rm -f "$log" && start_demo acpi && ! grep -q "restoring" "$log"; then
        call Destroy >/dev/null
        wait_rc "$SUP_PID"
        t_pass
else
        abort_vm; t_fail "plain start after a failed restore"
fi

t_begin "a restore request that cannot be read fails the start (no fresh boot) and is removed"
mkdir -p "$root/lib/demo"
echo "not a symlink" > "$root/lib/demo/restore" # readlink: EINVAL, as a MAC refusal would fail it
rm -f "$log"
define_guest "$root" demo acpi "" "<uuid>$UUID</uuid>"
start_supervisor "$root" demo
for _ in $(seq 100); do kill -0 "$SUP_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SUP_PID" 2>/dev/null; then abort_vm; RC=running; else wait_rc "$SUP_PID"; fi
if [ "$RC" != 2 ]; then t_fail "exit $RC, want 2"
elif ! grep -q "cannot read the restore request $root/lib/demo/restore" "$log"; then t_fail "no clear line in the log"
elif grep -q "booted mode=" "$log"; then t_fail "the guest booted fresh"
elif [ -e "$root/lib/demo/restore" ]; then t_fail "request left behind"
else t_pass; fi

t_begin "a managed save resumes on a plain start and is removed; a broken one is set aside"
cp "$root/demo.save" "$root/lib/demo/managed.save"
rm -f "$log"
if start_demo "acpi ticks" && grep -q "restoring the guest from $root/lib/demo/managed.save" "$log" &&
        wait_ticks $((before + 2)); then
        first=$(grep -o 'tick [0-9]*' "$log" | head -n1 | cut -d' ' -f2)
        [ -e "$root/lib/demo/managed.save" ] && left=1 || left=0
        call Destroy >/dev/null
        wait_rc "$SUP_PID"
        head -c 300000 "$root/demo.save" > "$root/lib/demo/managed.save"
        start_supervisor "$root" demo
        wait_rc "$SUP_PID"
        rc=$RC
        if [ "$first" -le 1 ]; then t_fail "ticks restarted from $first"
        elif [ "$left" = 1 ]; then t_fail "managed save not removed after the restore"
        elif [ "$rc" != 2 ]; then t_fail "broken managed save: exit $rc, want 2"
        elif [ -e "$root/lib/demo/managed.save" ]; then t_fail "broken managed save still in place"
        elif [ ! -e "$root/lib/demo/managed.save.failed" ]; then t_fail "broken managed save not kept aside"
        else t_pass; fi
else
        abort_vm; t_fail "managed save not restored"
fi

t_begin "undefine refuses to orphan a managed save; --managed-save removes both"
cp "$root/demo.save" "$root/lib/demo/managed.save"
rc=0; out=$("$VMCTL" --root "$root" undefine demo 2>&1) || rc=$?
if [ "$rc" = 0 ] || [ "$(wc -l <<<"$out")" != 1 ] || ! grep -q "managed save" <<<"$out"; then
        t_fail "undefine with a managed save: rc=$rc: $out"
elif [ ! -e "$root/etc/domains/demo.xml" ]; then t_fail "refused undefine removed the definition"
elif ! "$VMCTL" --root "$root" undefine --managed-save demo >/dev/null; then t_fail "undefine --managed-save failed"
elif [ -e "$root/etc/domains/demo.xml" ] || [ -e "$root/lib/demo/managed.save" ]; then
        t_fail "undefine --managed-save left the definition or the save"
else t_pass; fi

t_end
