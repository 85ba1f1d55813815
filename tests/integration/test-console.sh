#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `vmctl console`: the guest's serial console on a pty. The supervisor asks
# QEMU which pty (query-chardev), logs it and links RUN/console to it;
# vmctl attaches a terminal to it in embedded mode (opening the link) and
# through a private dbus-daemon (OpenConsole() hands out an fd). vmctl runs
# on a pty of its own, driven by a small python3 program: it must show the
# guest's output (the test guest's `tick N` lines), put the terminal in raw
# mode while attached, exit 0 on Ctrl-] and restore the terminal; a stopped
# domain, a domain without a pty console and an outsider each get one line
# and a non-zero exit.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dbus-lib.sh"

if ! command -v python3 >/dev/null; then
        echo "SKIP: python3 not installed"
        exit 77
fi

root=$(new_root)
chmod 0755 "$root"
echo "shutdown_timeout = 3" > "$root/etc/vmunit.conf"

# drive OUT PATTERN ACTION CMD...: run CMD on a fresh pty, wait until its
# output matches PATTERN (a regex), then ACTION: "escape" types Ctrl-]
# (after some input the guest never reads, which must not block it),
# "wait" just waits for CMD to end, "term" sends it SIGTERM, "kill-sup"
# kills $SUP_PID. Writes to OUT: the output, and the lines rc=, raw= (the
# terminal was raw while attached) and restored= (the terminal settings
# after the exit equal those before).
cat > "$root/drive.py" <<'PY'
import os, re, select, signal, subprocess, sys, termios, time

out, pattern, action = sys.argv[1], sys.argv[2], sys.argv[3]
cmd = sys.argv[4:]
master, slave = os.openpty()
before = termios.tcgetattr(slave)
child = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
buf = b""

def pump(seconds):
    global buf
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                buf += os.read(master, 4096)
            except OSError:
                return
        elif child.poll() is not None:
            return

def wait_pattern(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end and not re.search(pattern.encode(), buf):
        pump(0.2)
    return re.search(pattern.encode(), buf) is not None

seen = wait_pattern(30)
raw = not (termios.tcgetattr(slave)[3] & termios.ICANON)
if seen and action == "escape":
    os.write(master, b"x" * 8192 + b"\x1d")
elif seen and action == "term":
    child.send_signal(signal.SIGTERM)
elif seen and action == "kill-sup":
    os.kill(int(os.environ["SUP_PID"]), signal.SIGTERM)
end = time.monotonic() + 20
while child.poll() is None and time.monotonic() < end:
    pump(0.2)
if child.poll() is None:
    child.kill()
    child.wait()
pump(0.3)
after = termios.tcgetattr(slave)
with open(out, "wb") as f:
    f.write(buf)
    f.write(b"\nseen=%d\nrc=%d\nraw=%d\nrestored=%d\n" % (seen, child.returncode, raw, before == after))
PY

drive() { SUP_PID=${SUP_PID:-0} python3 "$root/drive.py" "$@"; }
field() { sed -n "s/^$2=//p" "$1" | tail -n 1; }

# check_session OUT RC: the session showed ticks, was raw, ended with RC
# and left the terminal as it was.
check_session() {
        if [ "$(field "$1" seen)" != 1 ]; then t_fail "no tick line on the console: $(tr -d '\r' < "$1" | head -c 600)"
        elif ! grep -q "Connected to domain" "$1"; then t_fail "no 'Connected to domain' line"
        elif ! grep -q "Escape character is \^\]" "$1"; then t_fail "no escape character line"
        elif [ "$(field "$1" raw)" != 1 ]; then t_fail "terminal was not raw while attached"
        elif [ "$(field "$1" rc)" != "$2" ]; then t_fail "vmctl exited $(field "$1" rc), want $2: $(tr -d '\r' < "$1" | tail -n 8)"
        elif [ "$(field "$1" restored)" != 1 ]; then t_fail "terminal settings not restored"
        else return 0; fi
        return 1
}

# A domain whose only serial port writes to a file: no pty console.
nopty_xml() {
        guest_xml "$1" acpi | sed "s|<serial type='pty'/>|<serial type='file'><source path='$root/$1.out'/></serial>|"
}

TICK='VMUNIT-TEST-GUEST: tick [0-9]'

# After wait_rc on a supervisor stopped with SIGTERM: exit 0 and no
# sanitizer report (ASan builds) in its stderr.
check_sup_exit() {
        if [ "$RC" != 0 ]; then t_fail "supervisor of $2 exited $RC"
        elif grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$1/supervisor.stderr"; then
                t_fail "sanitizer report from the supervisor of $2: $(grep -m3 "Sanitizer\|runtime error" "$1/supervisor.stderr")"
        else return 0; fi
        return 1
}

t_begin "embedded: the supervisor logs the pty and links RUN/console to it"
define_guest "$root" con1 "acpi ticks"
start_supervisor "$root" con1
if wait_log "$root" con1 "state: running" && wait_log "$root" con1 "console: /dev/pts/"; then
        logged=$(sed -n 's|.*console: \(/dev/pts/[0-9]*\)$|\1|p' "$root/log/con1.log" | head -n 1)
        link=$(readlink "$root/run/con1/console" || true)
        if [ -z "$logged" ] || [ "$link" != "$logged" ]; then t_fail "log says '$logged', link says '$link'"
        elif [ ! -c "$link" ]; then t_fail "$link is not a character device"
        else t_pass; fi
else
        t_fail "supervisor did not log the console's pty"
fi

t_begin "embedded: output reaches the client, Ctrl-] exits 0 and restores the terminal"
drive "$root/s1" "$TICK" escape "$VMCTL" --root "$root" console con1
check_session "$root/s1" 0 && t_pass

t_begin "embedded: attach again after an escape"
drive "$root/s2" "$TICK" escape "$VMCTL" --root "$root" console con1
check_session "$root/s2" 0 && t_pass

t_begin "embedded: one client at a time; --force attaches anyway"
# A single process holds the pty's lock as an attached client would.
# It says when it holds the lock: a fixed sleep lost that race on a
# loaded machine (python3 starting took longer than the sleep).
rm -f "$root/locked"
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NOCTTY)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(10)' "$root/run/con1/console" "$root/locked" &
holder=$!
for _ in $(seq 100); do [ -e "$root/locked" ] && break; sleep 0.1; done
rc=0
out=$("$VMCTL" --root "$root" console con1 < /dev/null 2>&1) || rc=$?
rc2=0
timeout 20 "$VMCTL" --root "$root" console --force con1 < /dev/null > "$root/force.out" 2>&1 || rc2=$?
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
if [ "$rc" = 0 ] || [ "$(wc -l <<<"$out")" != 1 ] || ! grep -q "in use by another client" <<<"$out"; then
        t_fail "second client: rc=$rc: $out"
elif [ "$rc2" != 0 ]; then t_fail "--force: exit $rc2: $(cat "$root/force.out")"
else t_pass; fi

t_begin "embedded: SIGTERM to vmctl restores the terminal, exit 1, one line"
drive "$root/s3" "$TICK" term "$VMCTL" --root "$root" console con1
if check_session "$root/s3" 1; then
        grep -q "closed by signal" "$root/s3" && t_pass || t_fail "no line naming the signal"
fi

t_begin "embedded: stdin at EOF (not a terminal) ends the session with 0"
rc=0
timeout 20 "$VMCTL" --root "$root" console con1 < /dev/null > "$root/eof.out" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then t_fail "exit $rc: $(cat "$root/eof.out")"
else t_pass; fi

t_begin "embedded: the domain stopping ends the session: one line, exit 1, terminal restored"
drive "$root/s4" "$TICK" kill-sup "$VMCTL" --root "$root" console con1
wait_rc "$SUP_PID"
if check_session "$root/s4" 1 && check_sup_exit "$root" con1; then
        grep -q "console of domain 'con1' closed: the domain stopped" "$root/s4" && t_pass ||
                t_fail "no 'domain stopped' line: $(tr -d '\r' < "$root/s4" | tail -n 5)"
fi
check_no_runtime_left "$root" con1 || true

t_begin "embedded: console of a stopped domain is one line and non-zero"
rc=0
out=$("$VMCTL" --root "$root" console con1 2>&1) || rc=$?
if [ "$rc" = 0 ]; then t_fail "exit 0"
elif [ "$(wc -l <<<"$out")" != 1 ]; then t_fail "want one line, got: $out"
elif ! grep -q "domain 'con1' is not running" <<<"$out"; then t_fail "message: $out"
else t_pass; fi

t_begin "embedded: a domain without a pty console is one line and non-zero"
nopty_xml con2 > "$root/etc/domains/con2.xml"
start_supervisor "$root" con2
if wait_log "$root" con2 "state: running"; then
        rc=0
        out=$("$VMCTL" --root "$root" console con2 2>&1) || rc=$?
        if [ "$rc" = 0 ]; then t_fail "exit 0"
        elif [ "$(wc -l <<<"$out")" != 1 ]; then t_fail "want one line, got: $out"
        elif ! grep -q "no pty console" <<<"$out"; then t_fail "message: $out"
        elif grep -q "console: /dev/pts" "$root/log/con2.log"; then t_fail "a pty was logged"
        else t_pass; fi
else
        t_fail "con2 did not start"
fi
kill -TERM "$SUP_PID" 2>/dev/null || true
wait_rc "$SUP_PID"
SUP_PID=""
check_sup_exit "$root" con2 || true

# ---- through D-Bus (system mode: vmctl uses DBUS_SYSTEM_BUS_ADDRESS) ----

start_bus "$(bus_config "$root" system)"
export DBUS_SYSTEM_BUS_ADDRESS=$BUS

t_begin "D-Bus: OpenConsole hands out the pty; vmctl shows output, Ctrl-] exits 0"
rm -f "$root/log/con3.log"
define_guest "$root" con3 "acpi ticks"
VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$root" con3
DEST=org.vmunit.vm.con3
if wait_log "$root" con3 "D-Bus: serving $DEST" && wait_log "$root" con3 "state: running"; then
        drive "$root/b1" "$TICK" escape "$VMCTL" console con3
        if check_session "$root/b1" 0; then
                grep -q "opened for a client" "$root/log/con3.log" && t_pass ||
                        t_fail "the supervisor did not log the open"
        fi
else
        t_fail "con3 did not start on the bus"
fi

t_begin "D-Bus: an outsider is refused by the bus policy with one line"
if [ "$IS_ROOT" = 1 ]; then
        out=$(as_nobody "$VMCTL" console con3)
        rc=0
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$VMCTL" console con3 >/dev/null 2>&1 || rc=$?
        if [ "$rc" = 0 ]; then t_fail "nobody attached"
        elif [ "$(wc -l <<<"$out")" != 1 ]; then t_fail "want one line, got: $out"
        elif ! grep -qi "denied\|rejected" <<<"$out"; then t_fail "message: $out"
        else t_pass; fi
else
        echo "(not root: cannot switch to nobody; covered by the system tier)"
        t_pass
fi

t_begin "D-Bus: the domain stopping ends the session with one line, exit 1"
drive "$root/b2" "$TICK" kill-sup "$VMCTL" console con3
wait_rc "$SUP_PID"
if check_session "$root/b2" 1 && check_sup_exit "$root" con3; then
        grep -q "the domain stopped" "$root/b2" && t_pass || t_fail "no 'domain stopped' line"
fi

t_begin "D-Bus: console of a stopped domain is one line and non-zero"
rc=0
out=$("$VMCTL" console con3 2>&1) || rc=$?
if [ "$rc" = 0 ]; then t_fail "exit 0"
elif [ "$(wc -l <<<"$out")" != 1 ]; then t_fail "want one line, got: $out"
elif ! grep -q "domain 'con3' is not running" <<<"$out"; then t_fail "message: $out"
else t_pass; fi

t_begin "D-Bus: no pty console -> org.vmunit.Error.NotSupported, vmctl one line"
nopty_xml con4 > "$root/etc/domains/con4.xml"
VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$root" con4
DEST=org.vmunit.vm.con4
if wait_log "$root" con4 "D-Bus: serving $DEST" && wait_log "$root" con4 "state: running"; then
        rc=0
        out=$("$VMCTL" console con4 2>&1) || rc=$?
        if ! expect_error OpenConsole org.vmunit.Error.NotSupported "$(call OpenConsole)"; then :
        elif [ "$rc" = 0 ]; then t_fail "vmctl exit 0"
        elif [ "$(wc -l <<<"$out")" != 1 ]; then t_fail "want one line, got: $out"
        elif ! grep -q "domain has no pty console" <<<"$out"; then t_fail "message: $out"
        else t_pass; fi
else
        t_fail "con4 did not start on the bus"
fi
kill -TERM "$SUP_PID" 2>/dev/null || true
wait_rc "$SUP_PID"
SUP_PID=""
check_sup_exit "$root" con4 || true

t_end
