#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Reboot(), Save(h) through vmctl save (which opens the file itself and
# passes the fd), SaveToPath(s), `vmctl restore FILE` and the restore of a
# managed save, with a real supervisor and QEMU running the multiboot test
# guest (its `ticks` counter shows whether a restored guest kept running
# state), on a private dbus-daemon; the save file's MAC, the device-set
# check, sd_notify (STATUS=, EXTEND_TIMEOUT_USEC=) through a stand-in
# NOTIFY_SOCKET, and a path race against a member's failed save.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dbus-lib.sh"

root=$(new_root)
chmod 0755 "$root"
echo "shutdown_timeout = 3" > "$root/etc/vmunit.conf"
start_bus "$(bus_config "$root" open)"
[ $IS_ROOT = 1 ] && ensure_test_users
log=$root/log/demo.log

# flip_byte FILE OFFSET: change one byte in place.
flip_byte() { python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x20]))' "$1" "$2"; }

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

t_begin "wrong-state Reboot/Save -> InvalidState; bad fds and paths -> InvalidArgs; SaveToPath is root's"
rm -f "$log"
if start_demo ignore-acpi; then
        echo "keep me" > "$root/exists.save"
        touch "$root/empty-ro.save"
        o1=$(call SaveToPath string:relative.save)
        o2=$(call SaveToPath string:"$root/exists.save")
        o3=$(call SaveToPath string:"$root/no-such-dir/x.save")
        f1=$(call_fd Save write "$root/exists.save")   # not empty
        f2=$(call_fd Save read "$root/empty-ro.save")  # not writable
        f3=$(call_fd Save pipe)                        # not a regular file
        f4=$(call_fd Save write /proc/self/comm)       # procfs
        m1=""
        if [ $IS_ROOT = 1 ]; then
                m1=$(as_user "$MEMBER" dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm \
                        org.vmunit.VM1.SaveToPath string:"$root/member.save")
        fi
        call Suspend >/dev/null
        wait_prop State paused
        o4=$(call Reboot)
        call Resume >/dev/null
        wait_prop State running
        call Shutdown >/dev/null
        wait_prop State shutting-down
        o5=$(call SaveToPath string:"$root/late.save")
        o6=$(call Reboot)
        if ! expect_error "SaveToPath relative" org.vmunit.Error.InvalidArgs "$o1"; then :
        elif ! expect_error "SaveToPath existing" org.vmunit.Error.InvalidArgs "$o2"; then :
        elif ! grep -q "$root/exists.save already exists" <<<"$o2"; then t_fail "message: $o2"
        elif [ "$(cat "$root/exists.save")" != "keep me" ]; then t_fail "existing file was written to"
        elif ! expect_error "SaveToPath no dir" org.vmunit.Error.Failed "$o3"; then :
        elif ! expect_error "Save into a non-empty file" org.vmunit.Error.InvalidArgs "$f1"; then :
        elif ! grep -q "not empty" <<<"$f1"; then t_fail "message: $f1"
        elif ! expect_error "Save into a read-only fd" org.vmunit.Error.InvalidArgs "$f2"; then :
        elif ! expect_error "Save into a pipe" org.vmunit.Error.InvalidArgs "$f3"; then :
        elif ! expect_error "Save into procfs" org.vmunit.Error.InvalidArgs "$f4"; then :
        elif [ -n "$m1" ] && ! expect_error "member's SaveToPath" org.vmunit.Error.AccessDenied "$m1"; then :
        elif [ -e "$root/member.save" ]; then t_fail "a member's SaveToPath created a file"
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

t_begin "a Save that fails midway: the file is emptied, vmctl removes it, the guest runs on"
# The supervisor may write only 200 KiB per file (SIGXFSZ ignored, so the
# write fails with EFBIG); the guest's state is larger than that.
rm -f "$log"
define_guest "$root" demo "acpi ticks" "" "<uuid>$UUID</uuid>"
(trap '' XFSZ; ulimit -f 200; VMUNIT_BUS_ADDRESS=$BUS exec "$VMUNIT_SUPERVISOR" --root "$root" demo) \
        2>"$root/supervisor.stderr" &
SUP_PID=$!
DEST=org.vmunit.vm.demo
if wait_log "$root" demo "state: running" && wait_ticks 2; then
        rc=0; out=$(vmctl_bus save demo "$root/big.save" 2>&1) || rc=$?
        at=$(last_tick)
        if [ $rc = 0 ]; then t_fail "save over the limit succeeded: $out"
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

t_begin "vmctl save: file 0600 with our header and MAC; supervisor exits 0; nothing of the name reaches sd_notify (#1)"
rm -f "$log"
start_listener
# A file name with newlines and an sd_notify assignment in it: the caller's
# to choose, and nothing of it may reach STATUS= or start a log line.
evil="$root/demo
MAINPID=1
X.save"
if NOTIFY_SOCKET=$root/notify.sock start_demo "acpi ticks" && wait_ticks 2; then
        before=$(last_tick)
        stdbuf -oL busctl --address="$BUS" --no-pager monitor "$DEST" > "$root/monitor.txt" 2>&1 &
        MON_PID=$!
        sleep 0.3
        rc=0; out=$(vmctl_bus save demo "$evil" 2>&1) || rc=$?
        [ $rc = 0 ] || out="Error: $out"
        wait_rc "$SUP_PID"
        stop_listener
        mv "$evil" "$root/demo.save"
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
        elif [ "$(head -c 14 "$root/demo.save")" != "VMUNIT-SAVE 2" ]; then t_fail "no header"
        elif ! tail -c 84 "$root/demo.save" | grep -q "^VMUNIT-HMAC-SHA256 [0-9a-f]\{64\}$"; then t_fail "no MAC trailer"
        elif [ "$(stat -c %a:%s "$root/lib/save.key")" != 600:32 ]; then t_fail "save key: $(stat -c %a:%s "$root/lib/save.key")"
        elif grep -q "MAINPID" "$root/notify.log"; then t_fail "the file name reached sd_notify: $(grep MAINPID "$root/notify.log")"
        elif ! grep -q "STATUS=saving (" "$root/notify.log"; then t_fail "no 'saving (N MiB)' STATUS: $(cat "$root/notify.log")"
        elif grep -q "^MAINPID\|^X.save" "$log"; then t_fail "the file name started a log line"
        elif ! grep -q "saved the guest's state to $root/demo\\\\x0aMAINPID=1\\\\x0aX.save" "$log"; then
                t_fail "no escaped 'saved' line in the log: $(grep "saved the guest" "$log")"
        elif ! check_no_runtime_left "$root" demo; then :
        else t_pass; fi
else
        abort_vm; t_fail "guest did not start"
fi

t_begin "tampered files are refused before QEMU runs: the XML, a byte of the stream (#6)"
ok=1
size=$(stat -c %s "$root/demo.save")
cp "$root/demo.save" "$root/xml.save"
sed -i '0,/mode=acpi ticks/s//mode=acpi tickz/' "$root/xml.save"
cp "$root/demo.save" "$root/stream.save"
flip_byte "$root/stream.save" $((size / 2))
for f in xml stream; do
        rm -f "$log"
        restore_vm "$root/$f.save"
        wait_rc "$SUP_PID"
        if [ "$RC" != 2 ]; then ok=0; t_fail "$f: exit $RC, want 2"
        elif ! grep -q "cannot restore: authentication failed" "$log"; then ok=0; t_fail "$f: no clear line: $(cat "$log")"
        elif grep -q "QEMU\|booted mode=" "$log" && grep -q "booted mode=" "$log"; then ok=0; t_fail "$f: the guest ran"
        elif [ -e "$root/lib/demo/restore" ]; then ok=0; t_fail "$f: request left behind"; fi
done
[ $ok = 1 ] && t_pass

t_begin "a file whose machine differs from the definition is refused, naming the difference (#6)"
define_guest "$root" demo "acpi ticks" "" "<uuid>$UUID</uuid>"
sed -i 's/<memory unit=.MiB.>32</<memory unit="MiB">48</' "$root/etc/domains/demo.xml"
rm -f "$log"
restore_vm "$root/demo.save"
wait_rc "$SUP_PID"
define_guest "$root" demo "acpi ticks" "" "<uuid>$UUID</uuid>"
if [ "$RC" != 1 ]; then t_fail "exit $RC, want 1"
elif ! grep -q "cannot restore into the defined domain: the save file has '-m size=32768k' where the definition has '-m size=49152k'" "$log"; then
        t_fail "no clear line: $(grep restore "$log")"
else t_pass; fi

t_begin "vmctl restore: verified with EXTEND_TIMEOUT_USEC= before READY=1 (#10); the guest continues"
rm -f "$log"
start_listener
NOTIFY_SOCKET=$root/notify.sock restore_vm "$root/demo.save"
if wait_log "$root" demo "restored the guest's state" 20 && wait_log "$root" demo "state: running" &&
        wait_ticks $((before + 2)); then
        first=$(grep -o 'tick [0-9]*' "$log" | head -n1 | cut -d' ' -f2)
        for _ in $(seq 1 100); do grep -q "READY=1" "$root/notify.log" && break; sleep 0.02; done
        extend=$(line_of "EXTEND_TIMEOUT_USEC="); ready=$(line_of "READY=1")
        if [ "$first" -le 1 ]; then t_fail "ticks restarted from $first"
        elif [ -z "$extend" ] || [ -z "$ready" ] || [ "$extend" -gt "$ready" ]; then
                t_fail "no EXTEND_TIMEOUT_USEC= before READY=1: $(cat "$root/notify.log")"
        elif ! grep -q "STATUS=restoring (" "$root/notify.log"; then t_fail "no 'restoring' STATUS"
        elif [ -e "$root/lib/demo/restore" ]; then t_fail "restore request left behind"
        elif [ ! -e "$root/demo.save" ]; then t_fail "the save file was removed"
        else t_pass; fi
else
        t_fail "restore did not come up"
fi
stop_listener

t_begin "a paused guest is saved paused and restored paused"
DEST=org.vmunit.vm.demo
wait_log "$root" demo "D-Bus: serving" 5 || true
call Suspend >/dev/null
wait_prop State paused
out=$(vmctl_bus save demo "$root/paused.save" 2>&1) || out="Error: $out"
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

t_begin "a truncated file: exit 2 with a clear line; the next plain start boots"
head -c 300000 "$root/demo.save" > "$root/broken.save"
rm -f "$log"
restore_vm "$root/broken.save"
wait_rc "$SUP_PID"
if [ "$RC" != 2 ]; then t_fail "exit $RC, want 2"
elif ! grep -q "$root/lib/demo/restore: cannot restore: authentication failed" "$log"; then t_fail "no clear line in the log"
elif [ -e "$root/lib/demo/restore" ]; then t_fail "request left behind"
elif rm -f "$log" && start_demo acpi && ! grep -q "restoring" "$log"; then
        call Destroy >/dev/null
        wait_rc "$SUP_PID"
        t_pass
else
        abort_vm; t_fail "plain start after a failed restore"
fi

t_begin "an old-style (symlink) request, or one another user could change, fails the start (no fresh boot) and is removed"
mkdir -p "$root/lib/demo"
define_guest "$root" demo acpi "" "<uuid>$UUID</uuid>"
ok=1
for kind in symlink foreign; do
        if [ $kind = symlink ]; then ln -sf "$root/demo.save" "$root/lib/demo/restore"; want="old-style restore request"
        else cp "$root/demo.save" "$root/lib/demo/restore"; chmod 0666 "$root/lib/demo/restore"; want="that only it may write"; fi
        rm -f "$log"
        start_supervisor "$root" demo
        for _ in $(seq 100); do kill -0 "$SUP_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$SUP_PID" 2>/dev/null; then abort_vm; RC=running; else wait_rc "$SUP_PID"; fi
        if [ "$RC" != 2 ]; then ok=0; t_fail "$kind: exit $RC, want 2"
        elif ! grep -q "$want" "$log"; then ok=0; t_fail "$kind: no clear line in the log: $(cat "$log")"
        elif grep -q "booted mode=" "$log"; then ok=0; t_fail "$kind: the guest booted fresh"
        elif [ -e "$root/lib/demo/restore" ] || [ -L "$root/lib/demo/restore" ]; then ok=0; t_fail "$kind: request left behind"; fi
done
[ $ok = 1 ] && t_pass

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

t_begin "a member's save that fails while its directory flips to a symlink to root's: root's file survives (#2)"
if [ $IS_ROOT = 1 ]; then
        install -d -o "$MEMBER" -m 0755 "$root/m" "$root/m/d"
        install -d -m 0755 "$root/victim"
        echo "root's data" > "$root/victim/x.save"
        ln -s "$root/victim" "$root/m/l"
        chown -h "$MEMBER" "$root/m/l"
        ok=1
        flips=0
        for i in 1 2 3; do
                rm -f "$log"
                start_demo acpi || { ok=0; t_fail "round $i: guest did not start"; break; }
                # setpriv execs the flipper: $! is its pid, for the kill below.
                setpriv --reuid="$MEMBER" --regid="$(id -g "$MEMBER")" --init-groups \
                        "$VMUNIT_FLIP_DIRS" "$root/m/d" "$root/m/l" 60 >"$root/flips" &
                flip_pid=$!
                # The member's vmctl creates the file (retried while the
                # flip has the name point at root's directory), the
                # supervisor starts writing, and a Destroy makes it fail.
                started=0
                for _ in $(seq 200); do
                        DBUS_SYSTEM_BUS_ADDRESS=$BUS as_user "$MEMBER" "$VMCTL" save demo "$root/m/d/x.save" >"$root/save.out" &
                        save_pid=$!
                        for _ in $(seq 50); do
                                grep -q "saving the guest's state" "$log" && break
                                kill -0 $save_pid 2>/dev/null || break
                                sleep 0.01
                        done
                        grep -q "saving the guest's state" "$log" && { started=1; break; }
                        wait $save_pid || true
                done
                # The member destroys its VM: the save fails.
                as_user "$MEMBER" dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm \
                        org.vmunit.VM1.Destroy >/dev/null
                wait $save_pid || true
                wait_rc "$SUP_PID"
                kill "$flip_pid" 2>/dev/null; wait "$flip_pid" || true
                n=$(cat "$root/flips" 2>/dev/null || true)
                flips=$((flips + ${n:-0}))
                if [ $started = 0 ]; then
                        ok=0; t_fail "round $i: the member's save never started: $(cat "$root/save.out")"; break
                elif [ "$(cat "$root/victim/x.save" 2>/dev/null)" != "root's data" ]; then
                        ok=0; t_fail "round $i: root's file is gone or changed"; break
                fi
                as_user "$MEMBER" rm -f "$root/m/d/x.save" >/dev/null # as the member: never root's
        done
        echo "    $flips flips"
        [ $ok = 1 ] && [ "$flips" -lt 1000 ] && { ok=0; t_fail "only $flips flips: the race did not run"; }
        [ $ok = 1 ] && t_pass
else
        echo "    skip: needs root (test users)"
        t_pass
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

stop_buses # t_end drops the EXIT trap
remove_test_users
t_end
