#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The per-VM D-Bus object (org.vmunit.VM1) with a real supervisor, a real
# QEMU and the multiboot test guest, on private dbus-daemons (the
# supervisor serves VMUNIT_BUS_ADDRESS in embedded mode): introspection,
# every property, every method, StateChanged for running -> paused ->
# running -> shutoff, the named errors, and access control — our own check
# on a bus that allows everything, and the shipped policy file on a bus
# configured like the system bus.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dbus-lib.sh"

root=$(new_root)
chmod 0755 "$root" # the bus socket lives here; nobody must reach it
echo "shutdown_timeout = 3" > "$root/etc/vmunit.conf"
start_bus "$(bus_config "$root" open)"
[ $IS_ROOT = 1 ] && ensure_test_users

t_begin "name, introspection and every property"
if start_vm "$root" demo-1 acpi; then
        intro=$(bctl introspect "$DEST" /org/vmunit/vm org.vmunit.VM1 2>&1)
        missing=""
        for m in .Shutdown .Destroy .Reboot .Reset .Suspend .Resume .Save .SaveToPath .AttachDevice .DetachDevice \
                .GetXML .MonitorCommand .Name .UUID .State .StateReason .QemuPID .VCPUs .MemoryKiB \
                .StateChanged; do
                grep -q -- "^$m " <<<"$intro" || missing="$missing $m"
        done
        uuid=$(sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' "$root/run/demo-1/domain.xml")
        if [ -n "$missing" ]; then t_fail "introspection lacks:$missing"
        elif [ "$(prop Name)" != 's "demo-1"' ]; then t_fail "Name: $(prop Name)"
        elif [ "$(prop UUID)" != "s \"$uuid\"" ]; then t_fail "UUID: $(prop UUID), want $uuid"
        elif [ "$(prop State)" != 's "running"' ]; then t_fail "State: $(prop State)"
        elif [ "$(prop StateReason)" != 's "running"' ]; then t_fail "StateReason: $(prop StateReason)"
        elif [ "$(prop QemuPID)" != "u $(qemu_pid_of "$root" demo-1)" ]; then t_fail "QemuPID: $(prop QemuPID)"
        elif [ "$(prop VCPUs)" != "u 1" ]; then t_fail "VCPUs: $(prop VCPUs)"
        elif [ "$(prop MemoryKiB)" != "t 32768" ]; then t_fail "MemoryKiB: $(prop MemoryKiB)"
        else t_pass; fi
else
        abort_vm; t_fail "guest did not start with a bus object"
fi

t_begin "GetXML returns the live domain"
out=$(call GetXML)
if grep -q "<name>demo-1</name>" <<<"$out" && grep -q "<uuid>$uuid</uuid>" <<<"$out"; then t_pass
else t_fail "GetXML: $out"; fi

t_begin "wrong-state calls name org.vmunit.Error.InvalidState"
out=$(call Resume)
if expect_error "Resume while running" org.vmunit.Error.InvalidState "$out"; then
        grep -q "domain is not paused" <<<"$out" && t_pass || t_fail "message: $out"
fi

# Everything the guest does from here on is observed on the bus (line
# buffered: the monitor is killed, not asked to exit).
stdbuf -oL busctl --address="$BUS" --no-pager monitor "$DEST" > "$root/monitor.txt" 2>&1 &
MON_PID=$!
sleep 0.5

t_begin "Suspend -> paused (sd_notify STATUS, StateChanged) -> Resume -> running"
out=$(call Suspend)
if grep -q "^Error" <<<"$out"; then t_fail "Suspend: $out"
elif ! wait_prop State paused; then t_fail "State did not become paused"
elif ! grep -q "state: paused" "$root/log/demo-1.log"; then t_fail "no 'state: paused' in the log"
elif ! expect_error "Suspend while paused" org.vmunit.Error.InvalidState "$(call Suspend)"; then :
elif out=$(call Resume) && grep -q "^Error" <<<"$out"; then t_fail "Resume: $out"
elif ! wait_prop State running; then t_fail "State did not become running"
else t_pass; fi

t_begin "MonitorCommand: queries do not taint; root's raw QMP does, once"
out=$(bctl call "$DEST" /org/vmunit/vm org.vmunit.VM1 MonitorCommand s '{"execute":"query-status"}' 2>&1 || true)
taint0=$(grep -c "tainted: monitor command used" "$root/log/demo-1.log" || true)
out2=$(bctl call "$DEST" /org/vmunit/vm org.vmunit.VM1 MonitorCommand s '{"execute":"qom-list","arguments":{"path":"/machine"}}' 2>&1 || true)
out3=$(bctl call "$DEST" /org/vmunit/vm org.vmunit.VM1 MonitorCommand s '{"execute":"query-name"}' 2>&1 || true)
bad=$(call MonitorCommand string:'not json')
if ! grep -q '\\"return\\":{.*\\"status\\":\\"running\\"' <<<"$out"; then t_fail "query-status: $out"
elif [ "$taint0" != 0 ]; then t_fail "a read-only query tainted the log"
elif ! grep -q '\\"return\\"' <<<"$out2"; then t_fail "root's qom-list: $out2"
elif ! grep -q '\\"return\\"' <<<"$out3"; then t_fail "query-name: $out3"
elif ! expect_error "MonitorCommand garbage" org.freedesktop.DBus.Error.InvalidArgs "$bad"; then :
elif [ "$(grep -c "tainted: monitor command used" "$root/log/demo-1.log")" != 1 ]; then
        t_fail "want exactly one taint line in the log"
else t_pass; fi

t_begin "MonitorCommand: group vmunit gets read-only queries only; vmunit-admin and root get raw QMP (#7)"
if [ $IS_ROOT = 1 ]; then
        mc() { as_user "$1" dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm \
                org.vmunit.VM1.MonitorCommand string:"$2"; }
        ok=1
        out=$(mc "$MEMBER" '{"execute":"query-status"}')
        grep -q '"status":"running"' <<<"$out" || { ok=0; t_fail "member's query-status: $out"; }
        for cmd in '{"execute":"blockdev-add","arguments":{"driver":"file","node-name":"x","filename":"/etc/passwd"}}' \
                '{"execute":"migrate_cancel"}' \
                '{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}' \
                '{"execute":"query-status","exec-oob":"migrate_cancel"}'; do
                out=$(mc "$MEMBER" "$cmd")
                expect_error "member: $cmd" org.vmunit.Error.AccessDenied "$out" || ok=0
                grep -q "vmunit-admin" <<<"$out" || { ok=0; t_fail "refusal does not name vmunit-admin: $out"; }
        done
        out=$(mc "$ADMIN" '{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}')
        grep -q 'VM status: running' <<<"$out" || { ok=0; t_fail "admin's human-monitor-command: $out"; }
        out=$(mc "$ADMIN" '{"execute":"query-name"}')
        grep -q '"return"' <<<"$out" || { ok=0; t_fail "admin's query-name: $out"; }
        [ "$(prop State)" = 's "running"' ] || { ok=0; t_fail "State after the refused commands: $(prop State)"; }
        [ $ok = 1 ] && t_pass
else
        echo "    skip: needs root (test users)"
        t_pass
fi

t_begin "caller groups come from the user database, not the caller's process (#5)"
if [ $IS_ROOT = 1 ]; then
        # nobody's process carries group vmunit (as after exec'ing a setgid
        # program), but nobody is not a member: the supervisor refuses.
        gid=$(getent group vmunit | cut -d: -f3)
        out=$(setpriv --reuid=nobody --regid=nogroup --groups="$gid" dbus-send --bus="$BUS" --print-reply \
                --dest="$DEST" /org/vmunit/vm org.vmunit.VM1.Suspend 2>&1 || true)
        out2=$(as_user "$MEMBER" dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm \
                org.freedesktop.DBus.Properties.Get string:org.vmunit.VM1 string:State)
        if ! expect_error "Suspend by a process with the group" org.vmunit.Error.AccessDenied "$out"; then :
        elif [ "$(prop State)" != 's "running"' ]; then t_fail "the Suspend took effect"
        elif ! grep -q '"running"' <<<"$out2"; then t_fail "a real member was refused: $out2"
        else t_pass; fi
else
        echo "    skip: needs root (setpriv)"
        t_pass
fi

t_begin "caller text in the log is escaped: no forged lines (#15)"
bctl call "$DEST" /org/vmunit/vm org.vmunit.VM1 MonitorCommand s '{"execute":"query-status",
"id":"FORGED: state: shutoff"}' >/dev/null 2>&1 || true
if grep -q '^"id":"FORGED\|^[^ ]* *"id":"FORGED' "$root/log/demo-1.log"; then t_fail "a caller's newline started a log line"
elif ! grep -q 'monitor command from uid 0: {"execute":"query-status",\\x0a"id":"FORGED' "$root/log/demo-1.log"; then
        t_fail "no escaped monitor command line: $(grep 'monitor command' "$root/log/demo-1.log" | tail -n 2)"
else t_pass; fi

# Their successful paths are in test-save (Reboot, Save) and test-hotplug.
t_begin "Save, SaveToPath, AttachDevice, DetachDevice with bad arguments -> org.vmunit.Error.InvalidArgs"
ok=1
expect_error "Save into a pipe" org.vmunit.Error.InvalidArgs "$(call_fd Save pipe)" || ok=0
expect_error "AttachDevice <disk/>" org.vmunit.Error.InvalidArgs "$(call_fd AttachDevice "<disk/>")" || ok=0
expect_error "AttachDevice not-xml" org.vmunit.Error.InvalidArgs "$(call_fd AttachDevice not-xml)" || ok=0
for c in "SaveToPath string:relative.save" "DetachDevice string:<disk/>"; do
        # shellcheck disable=SC2086
        expect_error "$c" org.vmunit.Error.InvalidArgs "$(call $c)" || ok=0
done
[ $ok = 1 ] && t_pass

t_begin "Reset -> the guest boots again"
out=$(call Reset)
if grep -q "^Error" <<<"$out"; then t_fail "Reset: $out"
elif ! wait_log "$root" demo-1 "guest reset" 5; then t_fail "no 'guest reset' in the log"
else
        # Wait for the second boot so the next case's power button lands.
        tries=100
        while [ "$(grep -c 'waiting for ACPI power button' "$root/log/demo-1.log")" -lt 2 ] && [ $tries -gt 0 ]; do
                sleep 0.05; tries=$((tries - 1))
        done
        [ $tries -gt 0 ] && t_pass || t_fail "guest did not boot again after Reset"
fi

t_begin "a caller neither root nor in group vmunit is refused (supervisor's check); properties are open"
if [ $IS_ROOT = 1 ]; then
        out=$(as_nobody dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm org.vmunit.VM1.Suspend)
        out2=$(as_nobody dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm org.vmunit.VM1.GetXML)
        pout=$(as_nobody busctl --address="$BUS" get-property "$DEST" /org/vmunit/vm org.vmunit.VM1 State)
        if ! expect_error "Suspend as nobody" org.vmunit.Error.AccessDenied "$out"; then :
        elif ! grep -q "org.vmunit.vm.manage" <<<"$out"; then t_fail "the refusal does not name the action: $out"
        elif ! expect_error "GetXML as nobody" org.vmunit.Error.AccessDenied "$out2"; then :
        elif [ "$(prop State)" != 's "running"' ]; then t_fail "nobody's Suspend took effect"
        elif [ "$pout" != 's "running"' ]; then t_fail "nobody could not read State: $pout"
        else t_pass; fi
else
        echo "    skip: needs root (setpriv)"
        t_pass
fi

t_begin "with polkit on the bus, polkit decides for everyone but root: its answer, the VM in the details, no cache"
if [ $IS_ROOT = 1 ]; then
        rules=$root/polkit.rules
        plog=$root/polkit.log
        nobody_uid=$(id -u nobody)
        member_uid=$(id -u "$MEMBER")
        admin_uid=$(id -u "$ADMIN")
        printf '%s org.vmunit.vm.manage yes\n%s * no\n%s org.vmunit.vm.monitor challenge\n' \
                "$nobody_uid" "$member_uid" "$admin_uid" >"$rules"
        : >"$plog"
        "$VMUNIT_FAKE_POLKIT" "$BUS" "$rules" "$plog" >"$root/polkit.out" 2>&1 &
        POLKIT_PID=$!
        BUS_PIDS+=("$POLKIT_PID")
        for _ in $(seq 100); do grep -q ready "$root/polkit.out" && break; sleep 0.05; done
        ask() { as_user "$1" dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm "${@:2}"; }
        # (GetXML, not Suspend: the StateChanged sequence is checked below.)
        n_xml1=$(as_nobody dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm org.vmunit.VM1.GetXML)
        n_xml2=$(as_nobody dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm org.vmunit.VM1.GetXML)
        m_suspend=$(ask "$MEMBER" org.vmunit.VM1.Suspend)
        a_raw=$(ask "$ADMIN" org.vmunit.VM1.MonitorCommand string:'{"execute":"qom-list","arguments":{"path":"/"}}')
        root_call=$(call GetXML)
        # vmctl at a terminal lets polkit ask for a password (flags=1), as
        # systemctl does; script(1) gives it one.
        tty_out=$(as_nobody script -qec "env DBUS_SYSTEM_BUS_ADDRESS=$BUS $VMCTL qemu-monitor-command demo-1 \
                '{\"execute\":\"query-status\"}'" /dev/null)
        printf '%s * yes\n' "$member_uid" >"$rules"
        m_again=$(ask "$MEMBER" org.vmunit.VM1.GetXML)
        kill "$POLKIT_PID" 2>/dev/null; wait "$POLKIT_PID" 2>/dev/null || true
        m_without=$(ask "$MEMBER" org.vmunit.VM1.GetXML)
        n_without=$(as_nobody dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm org.vmunit.VM1.GetXML)
        if grep -q "^Error" <<<"$n_xml1$n_xml2"; then t_fail "polkit granted nobody manage, yet: $n_xml1 $n_xml2"
        elif ! expect_error "member refused by polkit" org.vmunit.Error.AccessDenied "$m_suspend"; then :
        elif ! expect_error "admin challenged" org.freedesktop.DBus.Error.InteractiveAuthorizationRequired "$a_raw"; then :
        elif grep -q "^Error" <<<"$root_call"; then t_fail "root's GetXML: $root_call"
        elif grep -q "uid=0 " "$plog"; then t_fail "root's call went to polkit: $(cat "$plog")"
        elif ! grep -q "^uid=$nobody_uid action=org.vmunit.vm.manage name=demo-1 uuid=[0-9a-f-]\{36\} flags=0 -> yes$" "$plog"; then
                t_fail "polkit was not asked with the subject's uid, the action and the VM: $(cat "$plog")"
        elif ! grep -q "^uid=$admin_uid action=org.vmunit.vm.monitor .* -> challenge$" "$plog"; then
                t_fail "raw QMP did not ask for org.vmunit.vm.monitor: $(cat "$plog")"
        elif ! grep -q '"status":"running"' <<<"$tty_out"; then t_fail "vmctl at a terminal: $tty_out"
        elif ! grep -q "^uid=$nobody_uid action=org.vmunit.vm.manage .* flags=1 -> yes$" "$plog"; then
                t_fail "vmctl at a terminal did not allow interactive authentication: $(cat "$plog")"
        elif grep -q "^Error" <<<"$m_again"; then t_fail "a changed answer was not taken at the next call: $m_again"
        elif grep -q "^Error" <<<"$m_without"; then t_fail "without polkit the member is back to the group rule: $m_without"
        elif ! expect_error "nobody without polkit" org.vmunit.Error.AccessDenied "$n_without"; then :
        elif [ "$(prop State)" != 's "running"' ]; then t_fail "State: $(prop State)"
        else t_pass; fi
else
        echo "    skip: needs root (test users)"
        t_pass
fi

t_begin "Shutdown returns at once; StateChanged shutting-down then shutoff; exit 0; name released"
t0=$(now_ms)
out=$(call Shutdown)
elapsed=$(( $(now_ms) - t0 ))
if grep -q "^Error" <<<"$out"; then t_fail "Shutdown: $out"; abort_vm
elif [ $elapsed -gt 1000 ]; then t_fail "Shutdown took ${elapsed} ms to return"; abort_vm
else
        wait_rc "$SUP_PID"; rc=$RC
        sleep 0.3
        kill "$MON_PID" 2>/dev/null; wait "$MON_PID" 2>/dev/null || true; MON_PID=""
        states=$(grep -A4 'Member=StateChanged' "$root/monitor.txt" | sed -n 's/^ *STRING "\([a-z-]*\)";$/\1/p' |
                grep -x -e running -e paused -e shutting-down -e shutoff -e crashed | uniq | tr '\n' ' ' || true)
        echo "    StateChanged: $states"
        if [ "$rc" != 0 ]; then t_fail "exit $rc, want 0"
        elif [ "$states" != "paused running shutting-down shutoff " ]; then
                t_fail "StateChanged sequence '$states', want 'paused running shutting-down shutoff'; monitor saw: $(head -c 600 "$root/monitor.txt")"
        elif ! grep -q 'Member=PropertiesChanged' "$root/monitor.txt"; then t_fail "no PropertiesChanged seen"
        elif bctl status "$DEST" >/dev/null 2>&1; then t_fail "$DEST still owned"
        elif check_no_runtime_left "$root" demo-1; then t_pass; fi
fi

t_begin "Shutdown while shutting down -> InvalidState; Destroy -> exit 0"
if start_vm "$root" stubborn ignore-acpi; then
        out1=$(call Shutdown)
        out2=$(call Shutdown)
        out3=$(call Destroy)
        wait_rc "$SUP_PID"; rc=$RC
        if grep -q "^Error" <<<"$out1"; then t_fail "first Shutdown: $out1"
        elif ! expect_error "second Shutdown" org.vmunit.Error.InvalidState "$out2"; then :
        elif grep -q "^Error" <<<"$out3"; then t_fail "Destroy: $out3"
        elif [ "$rc" != 0 ]; then t_fail "exit $rc, want 0"
        elif ! grep -q "destroy requested" "$root/log/stubborn.log"; then t_fail "no destroy in the log"
        else t_pass; fi
else
        abort_vm; t_fail "guest did not start with a bus object"
fi

t_begin "shipped policy on a system-like bus: group membership counts at the next call, no bus reload (issue 10)"
if [ $IS_ROOT = 1 ]; then
        LATE=vmunit-it-late
        if ! id "$LATE" >/dev/null 2>&1; then
                useradd --system --no-create-home --shell /bin/bash "$LATE" && CREATED_USERS=("$LATE" "${CREATED_USERS[@]}")
        fi
        gpasswd -d "$LATE" vmunit >/dev/null 2>&1 || true
        gpasswd -d "$LATE" vmunit-admin >/dev/null 2>&1 || true
        start_bus "$(bus_config "$root" system)"
        if start_vm "$root" policed acpi; then
                late() { as_user "$LATE" dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm "$@"; }
                qom='{"execute":"qom-list","arguments":{"path":"/machine"}}'
                own=$(prop Name 2>&1 || true)
                before=$(late org.vmunit.VM1.Suspend)
                state=$(as_user "$LATE" busctl --address="$BUS" get-property "$DEST" /org/vmunit/vm org.vmunit.VM1 State)
                usermod -aG vmunit "$LATE"
                suspend=$(late org.vmunit.VM1.Suspend)
                wait_prop State paused || true
                resume=$(late org.vmunit.VM1.Resume)
                wait_prop State running || true
                raw=$(late org.vmunit.VM1.MonitorCommand string:"$qom")
                usermod -aG vmunit-admin "$LATE"
                raw_admin=$(late org.vmunit.VM1.MonitorCommand string:"$qom")
                gpasswd -d "$LATE" vmunit-admin >/dev/null
                gpasswd -d "$LATE" vmunit >/dev/null
                after=$(late org.vmunit.VM1.Suspend)
                final=$(prop State)
                call Shutdown >/dev/null
                wait_rc "$SUP_PID"
                if [ "$RC" != 0 ]; then t_fail "exit $RC, want 0"
                elif [ "$own" != 's "policed"' ]; then t_fail "root could not read Name: $own"
                elif ! expect_error "Suspend before joining" org.vmunit.Error.AccessDenied "$before"; then :
                elif [ "$state" != 's "running"' ]; then t_fail "a non-member could not read State: $state"
                elif grep -q "^Error" <<<"$suspend$resume"; then t_fail "member's Suspend/Resume: $suspend $resume"
                elif ! expect_error "member's raw QMP" org.vmunit.Error.AccessDenied "$raw"; then :
                elif ! grep -q "org.vmunit.vm.monitor" <<<"$raw"; then t_fail "raw QMP refusal names no action: $raw"
                elif ! grep -q '"return"' <<<"$raw_admin"; then t_fail "vmunit-admin's raw QMP: $raw_admin"
                elif ! expect_error "Suspend after leaving" org.vmunit.Error.AccessDenied "$after"; then :
                elif [ "$final" != 's "running"' ]; then t_fail "State after the refused Suspend: $final"
                else t_pass; fi
        else
                abort_vm; t_fail "supervisor could not own its name under the shipped policy"
        fi
else
        echo "    skip: needs root (test users)"
        t_pass
fi

t_begin "embedded mode without VMUNIT_BUS_ADDRESS has no bus object"
define_guest "$root" nobus poweroff
start_supervisor "$root" nobus
wait_rc "$SUP_PID"
if [ "$RC" != 0 ]; then t_fail "exit $RC"
elif grep -q "D-Bus" "$root/log/nobus.log"; then t_fail "D-Bus used in embedded mode: $(grep D-Bus "$root/log/nobus.log")"
else t_pass; fi

stop_buses
remove_test_users
t_end
