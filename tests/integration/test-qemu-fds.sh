#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# QEMU never opens a domain file by path: the supervisor resolves each one
# once and QEMU inherits an fd (-add-fd + /dev/fdset/N, /proc/self/fd/N,
# chardev fd=N). Proven with QEMU running as another user, for whom the
# paths are out of reach: a disk image in a root-only directory boots, a
# serial log in a root-only directory fills, and QEMU's /proc/PID/fd and
# command line show fds where paths used to be. A log the supervisor cannot
# open is exit 2 naming it, before QEMU runs.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
        echo "SKIP: needs root (QEMU as another user)"
        exit 77
fi

FD_USER=vmunit-fd-qemu
add_test_user "$FD_USER"

# fd_root: an embedded root (0700, as mktemp makes it: QEMU's user cannot
# even look inside) with QEMU as $FD_USER and a root-only directory
# "private" (0700) for the VM's files.
fd_root() {
        local root
        root=$(new_root)
        printf 'user = %s\n' "$FD_USER" >"$root/etc/vmunit.conf"
        mkdir -m 0700 "$root/private"
        echo "$root"
}

# as_qemu_user CMD...: run CMD with QEMU's identity (what QEMU itself could do).
as_qemu_user() {
        setpriv --reuid="$FD_USER" --regid="$FD_USER" --clear-groups "$@"
}

DISK_XML() {
        echo "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$1'/><target dev='vda' bus='virtio'/></disk>"
}

t_begin "a disk image 0600 root:root in a 0700 root directory boots: QEMU uses the fd"
root=$(fd_root)
img="$root/private/disk.img"
truncate -s 16M "$img"
chmod 0600 "$img"
log="$root/private/serial1.log"
define_guest "$root" fds acpi "$(DISK_XML "$img")
    <serial type='file'><source path='$log'/></serial>"
start_supervisor "$root" fds
F0=$T_FAILED
if wait_log "$root" fds "waiting for ACPI" 20; then
        qemu=$(qemu_pid_of "$root" fds)
        [ "$(stat -c %U "/proc/$qemu")" = "$FD_USER" ] || t_fail "QEMU runs as $(stat -c %U "/proc/$qemu"), want $FD_USER"
        if as_qemu_user cat "$img" >/dev/null 2>&1; then
                t_fail "QEMU's user can open $img by path: the test proves nothing"
        fi
        # QEMU's descriptors point at the files; its command line names none.
        fds=$(for f in /proc/"$qemu"/fd/*; do readlink "$f"; done)
        for f in "$img" "$log" "$root/run/fds/console.log" "$VMUNIT_TEST_GUEST"; do
                grep -qxF -- "$f" <<<"$fds" || t_fail "QEMU has no fd for $f: $fds"
        done
        cmdline=$(tr '\0' ' ' <"/proc/$qemu/cmdline")
        for f in "$img" "$log" "console.log" "$VMUNIT_TEST_GUEST" "qmp.sock"; do
                [[ $cmdline != *"$f"* ]] || t_fail "QEMU's command line names $f: $cmdline"
        done
        [[ $cmdline == *"-add-fd fd="*"filename=/dev/fdset/"* ]] || t_fail "no fd set for the disk: $cmdline"
        [[ $cmdline == *"-kernel /proc/self/fd/"* ]] || t_fail "the kernel is not an fd: $cmdline"
        # The guest sees and writes the disk through the fd.
        kill -TERM "$SUP_PID"
        wait_rc "$SUP_PID"
        [ "$RC" = 0 ] || t_fail "supervisor exit $RC, want 0: $(cat "$root/supervisor.stderr")"
        check_no_runtime_left "$root" fds || true
else
        t_fail "the VM did not boot: $(cat "$root/supervisor.stderr")"
        kill -KILL "$SUP_PID" 2>/dev/null || true
        wait_rc "$SUP_PID"
fi
[ "$T_FAILED" = "$F0" ] && t_pass

t_begin "a serial log in a root-only directory fills; append='off' empties it first, 'on' keeps it"
root=$(fd_root)
log="$root/private/console.log"
echo "EARLIER RUN" >"$log"
guest_xml logs acpi | sed "s|<serial type='pty'/>|<serial type='file'><source path='$log' append='off'/></serial>|" \
        >"$root/etc/domains/logs.xml"
start_supervisor "$root" logs
F0=$T_FAILED
tries=200
while [ $tries -gt 0 ] && ! grep -q "waiting for ACPI" "$log" 2>/dev/null; do
        sleep 0.1
        tries=$((tries - 1))
done
grep -q "VMUNIT-TEST-GUEST: booted" "$log" || t_fail "no guest output in $log: $(cat "$log")"
grep -q "EARLIER RUN" "$log" && t_fail "append='off' kept the old content"
kill -TERM "$SUP_PID"
wait_rc "$SUP_PID"
[ "$RC" = 0 ] || t_fail "supervisor exit $RC, want 0: $(cat "$root/supervisor.stderr")"
sed -i "s/append='off'/append='on'/" "$root/etc/domains/logs.xml"
rm -f "$root/log/logs.log"
start_supervisor "$root" logs
wait_log "$root" logs "state: running" 20 || t_fail "second start did not run"
kill -USR1 "$SUP_PID"
wait_rc "$SUP_PID"
[ "$RC" = 0 ] || t_fail "second run: supervisor exit $RC, want 0: $(cat "$root/supervisor.stderr")"
[ "$(grep -c "VMUNIT-TEST-GUEST: booted" "$log")" -ge 1 ] || t_fail "append='on' lost the first run: $(cat "$log")"
[ "$T_FAILED" = "$F0" ] && t_pass

# expect_log_refused ROOT NAME PATH WHY: the start stops with exit 2 and one
# line naming PATH and WHY, before QEMU runs.
expect_log_refused() {
        local root=$1 name=$2 path=$3 why=$4 rc=0
        guest_xml "$name" acpi | sed "s|<serial type='pty'/>|<serial type='file'><source path='$path'/></serial>|" \
                >"$root/etc/domains/$name.xml"
        "$VMUNIT_SUPERVISOR" --root "$root" "$name" 2>"$root/stderr" || rc=$?
        if [ "$rc" != 2 ]; then t_fail "exit $rc, want 2: $(cat "$root/stderr")"
        elif ! grep -qF -- "log file $path: $why" "$root/stderr"; then
                t_fail "stderr does not name '$path: $why': $(cat "$root/stderr")"
        elif grep -q "started QEMU" "$root/stderr"; then t_fail "QEMU was started"
        elif [ -e "$root/run/$name" ]; then t_fail "runtime dir left behind"
        else t_pass; fi
}

t_begin "a log in a directory that does not exist -> exit 2 naming it"
root=$(fd_root)
expect_log_refused "$root" nodir "$root/private/missing/serial.log" "No such file or directory"

t_begin "a log that is a symlink -> exit 2 naming it (never followed)"
root=$(fd_root)
ln -s /etc/passwd "$root/private/link.log"
expect_log_refused "$root" link "$root/private/link.log" "Too many levels of symbolic links"
[ "$(stat -c %U /etc/passwd)" = root ] || t_fail "/etc/passwd changed owner"

t_begin "a log that is a FIFO -> exit 2, the supervisor does not block"
root=$(fd_root)
mkfifo "$root/private/fifo.log"
expect_log_refused "$root" fifo "$root/private/fifo.log" "No such device or address"

t_begin "a serial socket QEMU listens on is bound by the supervisor (fd=N), removed at stop"
root=$(fd_root)
sock="$root/private/serial.sock"
define_guest "$root" sock acpi "<serial type='unix'><source mode='bind' path='$sock'/></serial>"
start_supervisor "$root" sock
F0=$T_FAILED
if wait_log "$root" sock "state: running" 20; then
        qemu=$(qemu_pid_of "$root" sock)
        [[ $(tr '\0' ' ' <"/proc/$qemu/cmdline") == *"socket,id=charserial1,fd="*",server=on,wait=off"* ]] ||
                t_fail "the socket is not an fd: $(tr '\0' ' ' <"/proc/$qemu/cmdline")"
        python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock" ||
                t_fail "cannot connect to $sock"
        kill -USR1 "$SUP_PID"
        wait_rc "$SUP_PID"
        [ "$RC" = 0 ] || t_fail "supervisor exit $RC: $(cat "$root/supervisor.stderr")"
        [ ! -e "$sock" ] || t_fail "$sock left behind"
else
        t_fail "the VM did not start: $(cat "$root/supervisor.stderr")"
        kill -KILL "$SUP_PID" 2>/dev/null || true
        wait_rc "$SUP_PID"
fi
[ "$T_FAILED" = "$F0" ] && t_pass

t_begin "something else where the socket goes -> exit 2 naming it, left alone"
root=$(fd_root)
echo keep >"$root/private/serial.sock"
define_guest "$root" notsock acpi "<serial type='unix'><source mode='bind' path='$root/private/serial.sock'/></serial>"
rc=0
"$VMUNIT_SUPERVISOR" --root "$root" notsock 2>"$root/stderr" || rc=$?
if [ "$rc" != 2 ]; then t_fail "exit $rc, want 2: $(cat "$root/stderr")"
elif ! grep -qF "socket $root/private/serial.sock: File exists" "$root/stderr"; then
        t_fail "message: $(cat "$root/stderr")"
elif [ "$(cat "$root/private/serial.sock")" != keep ]; then t_fail "the file was replaced"
else t_pass; fi

t_end
