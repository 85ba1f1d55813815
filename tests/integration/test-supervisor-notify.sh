#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The sd_notify contract against a stand-in NOTIFY_SOCKET: READY=1 only once
# QMP says running, STATUS= lines, STOPPING=1 and EXTEND_TIMEOUT_USEC= on
# stop, WATCHDOG=1 tied to a successful query-status (so a stopped QEMU
# stops the pings).
source "$(dirname "$0")/lib.sh"

root=$(new_root)

t_begin "READY=1 after the guest runs; STATUS=; STOPPING=1 and EXTEND_TIMEOUT_USEC= on stop"
define_guest "$root" n acpi
start_listener
NOTIFY_SOCKET="$root/notify.sock" "$VMUNIT_SUPERVISOR" --root "$root" n 2>/dev/null &
sup=$!
if wait_log "$root" n "waiting for ACPI power button"; then
        for _ in $(seq 1 100); do grep -q "READY=1" "$root/notify.log" && break; sleep 0.02; done
        kill -TERM "$sup"; wait_rc "$sup"
        ready=$(line_of "READY=1"); running=$(line_of "STATUS=running"); starting=$(line_of "STATUS=starting")
        stopping=$(line_of "STOPPING=1"); extend=$(line_of "EXTEND_TIMEOUT_USEC=")
        if [ -z "$ready" ] || [ -z "$running" ] || [ -z "$starting" ]; then t_fail "missing READY/STATUS: $(cat "$root/notify.log")"
        elif [ "$starting" -gt "$ready" ]; then t_fail "READY=1 before STATUS=starting"
        elif [ -z "$stopping" ] || [ "$stopping" -lt "$ready" ]; then t_fail "no STOPPING=1 after READY=1"
        elif [ -z "$extend" ]; then t_fail "no EXTEND_TIMEOUT_USEC= during the graceful shutdown"
        elif ! grep -q "STATUS=shutting down (ACPI" "$root/notify.log"; then t_fail "no shutting-down STATUS"
        elif [ "$RC" != 0 ]; then t_fail "exit $RC"
        else t_pass; fi
else
        kill -KILL "$sup"; wait "$sup" || true; t_fail "guest did not start"
fi
stop_listener

t_begin "WATCHDOG=1 follows query-status; a SIGSTOPped QEMU stops the pings"
start_listener
WATCHDOG_USEC=200000 NOTIFY_SOCKET="$root/notify.sock" "$VMUNIT_SUPERVISOR" --root "$root" n 2>/dev/null &
sup=$!
if wait_log "$root" n "state: running"; then
        sleep 1
        before=$(grep -c "WATCHDOG=1" "$root/notify.log" || true)
        qpid=$(qemu_pid_of "$root" n)
        kill -STOP "$qpid"
        sleep 0.3 # let an in-flight reply land
        frozen_start=$(grep -c "WATCHDOG=1" "$root/notify.log" || true)
        sleep 1
        frozen_end=$(grep -c "WATCHDOG=1" "$root/notify.log" || true)
        kill -CONT "$qpid"
        kill -TERM "$sup"; wait_rc "$sup"
        if [ "$before" -lt 4 ]; then t_fail "only $before WATCHDOG=1 in 1 s with WATCHDOG_USEC=200ms"
        elif [ "$frozen_end" != "$frozen_start" ]; then t_fail "pings went on while QEMU was stopped ($frozen_start -> $frozen_end)"
        else t_pass; fi
else
        kill -KILL "$sup"; wait "$sup" || true; t_fail "guest did not start"
fi
stop_listener

t_end
