#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The supervisor's lifecycle contract with a real QEMU and the multiboot
# test guest: marker, graceful stop, forced stop, poweroff, reboot, crash,
# QEMU killed — each with its exit code and nothing left behind.
source "$(dirname "$0")/lib.sh"

t_begin "marker, SIGTERM -> ACPI poweroff -> exit 0"
root=$(new_root)
define_guest "$root" acpi acpi
start_supervisor "$root" acpi
if wait_log "$root" acpi "waiting for ACPI power button" && wait_log "$root" acpi "state: running"; then
        kill -TERM "$SUP_PID"
        wait_rc "$SUP_PID"; rc=$RC
        if [ "$rc" != 0 ]; then t_fail "exit $rc, want 0"
        elif ! grep -q "guest powered off" "$root/log/acpi.log"; then t_fail "no 'guest powered off' in log"
        elif ! grep -q "console: VMUNIT-TEST-GUEST: power button" "$root/log/acpi.log"; then t_fail "guest did not see the power button"
        elif check_no_runtime_left "$root" acpi; then t_pass; fi
else
        kill -KILL "$SUP_PID"; wait "$SUP_PID" || true; t_fail "guest did not start"
fi

t_begin "ACPI-ignoring guest -> forced quit after shutdown_timeout, exit 0, within timeout + 2 s"
root=$(new_root)
echo "shutdown_timeout = 2" > "$root/etc/vmunit.conf"
define_guest "$root" stubborn ignore-acpi
start_supervisor "$root" stubborn
if wait_log "$root" stubborn "state: running"; then
        t0=$(now_ms)
        kill -TERM "$SUP_PID"
        wait_rc "$SUP_PID"; rc=$RC
        elapsed=$(( $(now_ms) - t0 ))
        echo "    stop took ${elapsed} ms (timeout 2000 ms)"
        if [ "$rc" != 0 ]; then t_fail "exit $rc, want 0"
        elif [ "$elapsed" -gt 4000 ]; then t_fail "stop took ${elapsed} ms, over timeout + 2 s"
        elif [ "$elapsed" -lt 1900 ]; then t_fail "stop took ${elapsed} ms: the guest was not given its timeout"
        elif ! grep -q "forcing quit" "$root/log/stubborn.log"; then t_fail "no 'forcing quit' in log"
        elif check_no_runtime_left "$root" stubborn; then t_pass; fi
else
        kill -KILL "$SUP_PID"; wait "$SUP_PID" || true; t_fail "guest did not start"
fi

t_begin "SIGUSR1 (destroy) -> quit at once without ACPI, exit 0"
root=$(new_root)
define_guest "$root" destroyme ignore-acpi
start_supervisor "$root" destroyme
if wait_log "$root" destroyme "state: running"; then
        t0=$(now_ms)
        kill -USR1 "$SUP_PID"
        wait_rc "$SUP_PID"; rc=$RC
        elapsed=$(( $(now_ms) - t0 ))
        if [ "$rc" != 0 ]; then t_fail "exit $rc, want 0"
        elif grep -q "shutting down (ACPI)" "$root/log/destroyme.log"; then t_fail "destroy went through ACPI"
        elif [ "$elapsed" -gt 3000 ]; then t_fail "destroy took ${elapsed} ms"
        elif check_no_runtime_left "$root" destroyme; then t_pass; fi
else
        kill -KILL "$SUP_PID"; wait "$SUP_PID" || true; t_fail "guest did not start"
fi

t_begin "guest powers off by itself -> exit 0"
root=$(new_root)
define_guest "$root" off poweroff
start_supervisor "$root" off
wait_rc "$SUP_PID"; rc=$RC
if [ "$rc" != 0 ]; then t_fail "exit $rc, want 0; stderr: $(cat "$root/supervisor.stderr")"
elif ! grep -q "guest powered off" "$root/log/off.log"; then t_fail "no 'guest powered off' in log"
elif check_no_runtime_left "$root" off; then t_pass; fi

t_begin "kill -9 of QEMU -> exit 3"
root=$(new_root)
define_guest "$root" victim acpi
start_supervisor "$root" victim
if wait_log "$root" victim "state: running"; then
        kill -KILL "$(qemu_pid_of "$root" victim)"
        wait_rc "$SUP_PID"; rc=$RC
        if [ "$rc" != 3 ]; then t_fail "exit $rc, want 3"
        elif ! grep -q "QEMU exited unexpectedly" "$root/log/victim.log"; then t_fail "no 'exited unexpectedly' in log"
        elif check_no_runtime_left "$root" victim; then t_pass; fi
else
        kill -KILL "$SUP_PID"; wait "$SUP_PID" || true; t_fail "guest did not start"
fi

t_begin "guest crash (ISA pvpanic) with on_crash=destroy -> exit 4"
root=$(new_root)
define_guest "$root" crashy crash "<panic model='isa'/>" "<on_crash>destroy</on_crash>"
start_supervisor "$root" crashy
wait_rc "$SUP_PID"; rc=$RC
if [ "$rc" != 4 ]; then t_fail "exit $rc, want 4; log: $(cat "$root/log/crashy.log")"
elif ! grep -q "guest crashed" "$root/log/crashy.log"; then t_fail "no 'guest crashed' in log"
elif check_no_runtime_left "$root" crashy; then t_pass; fi

t_begin "guest reboot with on_reboot=destroy -> exit 0"
root=$(new_root)
define_guest "$root" reboot-destroy reboot "" "<on_reboot>destroy</on_reboot>"
start_supervisor "$root" reboot-destroy
wait_rc "$SUP_PID"; rc=$RC
if [ "$rc" != 0 ]; then t_fail "exit $rc, want 0; log: $(cat "$root/log/reboot-destroy.log")"
elif ! grep -q "guest rebooted" "$root/log/reboot-destroy.log"; then t_fail "no 'guest rebooted' in log"
elif check_no_runtime_left "$root" reboot-destroy; then t_pass; fi

t_begin "guest reboot with on_reboot=restart -> keeps running"
root=$(new_root)
echo "shutdown_timeout = 1" > "$root/etc/vmunit.conf" # a rebooting guest never sees ACPI
define_guest "$root" reboot-restart reboot "" "<on_reboot>restart</on_reboot>"
start_supervisor "$root" reboot-restart
if wait_log "$root" reboot-restart "guest reset" && sleep 0.5 && kill -0 "$SUP_PID" 2>/dev/null; then
        boots=$(grep -c "console: VMUNIT-TEST-GUEST: booted" "$root/log/reboot-restart.log" || true)
        kill -TERM "$SUP_PID"
        wait_rc "$SUP_PID"; rc=$RC
        if [ "$boots" -lt 2 ]; then t_fail "guest booted $boots times, want at least 2"
        elif [ "$rc" != 0 ]; then t_fail "exit $rc after stop, want 0"
        else t_pass; fi
else
        kill -KILL "$SUP_PID" 2>/dev/null; wait "$SUP_PID" || true; t_fail "no reset seen or supervisor exited"
fi

t_begin "supervisor SIGKILLed -> QEMU dies with it (PDEATHSIG); --cleanup removes runtime state"
root=$(new_root)
define_guest "$root" orphan acpi
start_supervisor "$root" orphan
if wait_log "$root" orphan "state: running"; then
        qpid=$(qemu_pid_of "$root" orphan)
        kill -KILL "$SUP_PID"
        wait "$SUP_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.02; done
        if kill -0 "$qpid" 2>/dev/null; then t_fail "QEMU $qpid outlived its supervisor"
        elif [ ! -e "$root/run/orphan/pid" ]; then t_fail "expected stale runtime state before cleanup"
        elif ! "$VMUNIT_SUPERVISOR" --root "$root" --cleanup orphan; then t_fail "--cleanup failed"
        elif check_no_runtime_left "$root" orphan; then t_pass; fi
else
        kill -KILL "$SUP_PID"; wait "$SUP_PID" || true; t_fail "guest did not start"
fi

t_end
