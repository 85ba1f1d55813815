#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `vmctl console` on the real system bus: QEMU (user vmunit-qemu, under its
# AppArmor profile) creates the pty, the supervisor links
# /run/vmunit/NAME/console to it; vmctl attached in a detached tmux session
# shows the guest's tick lines, Ctrl-] ends it with exit 0 and the terminal
# settings as before. A user in group vmunit may attach (the bus passes the
# pty's fd); a user outside it is refused by the bus policy in one line; a
# stopped domain is one line and a non-zero exit.
# vmunit-test-timeout: 240
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

VM=con-demo
MEMBER=vmunit-con-member
OUTSIDER=vmunit-con-outsider
SESSION=vmunit-console-test
TICK="VMUNIT-TEST-GUEST: tick"

cleanup() {
        tmux kill-session -t "$SESSION" 2>/dev/null || true
        systemctl stop "vm@$VM.service" 2>/dev/null || true
        userdel "$MEMBER" 2>/dev/null || true
        userdel "$OUTSIDER" 2>/dev/null || true
        rm -f "$VMUNIT_DOMAINS/$VM.xml"
        systemctl daemon-reload || true
}
trap cleanup EXIT

pane() { tmux capture-pane -p -J -S -200 -t "$SESSION" 2>/dev/null || true; }
pane_has() { pane | grep -q -- "$1"; }

# attach_in_tmux [USER]: vmctl console in a detached tmux session (as USER
# through runuser), recording the terminal settings before and after and
# the exit status in the pane.
attach_in_tmux() {
        local run="vmctl console $VM"
        [ -n "${1:-}" ] && run="runuser -u $1 -- $run"
        tmux kill-session -t "$SESSION" 2>/dev/null || true
        rm -f stty.before stty.after
        tmux new-session -d -s "$SESSION" -x 160 -y 50 \
                "stty -g > stty.before; $run; echo vmctl-exit=\$?; stty -g > stty.after; sleep 600"
}

# escape_and_check WHAT: type Ctrl-], want exit 0 and the terminal back.
escape_and_check() {
        tmux send-keys -t "$SESSION" C-]
        wait_for 20 pane_has "vmctl-exit="
        pane >"pane-$1.txt"
        assert_contains "$(pane)" "vmctl-exit=0" "$1: vmctl exit after Ctrl-]"
        wait_for 10 test -s stty.after
        assert_eq "$(cat stty.before)" "$(cat stty.after)" "$1: terminal settings after the session"
}

define_test_vm "$VM" "acpi ticks"
systemctl daemon-reload
assert_success systemctl start "vm@$VM.service"

step "the supervisor logs the pty QEMU created and links it in the runtime dir"
wait_for 30 sh -c "journalctl -b --no-pager -u vm@$VM.service | grep -q 'console: /dev/pts/'"
link=$(readlink "/run/vmunit/$VM/console")
assert_contains "$(journalctl -b --no-pager -u "vm@$VM.service")" "console: $link" "journal"
[ -c "$link" ] || fail "$link is not a character device"
assert_eq vmunit-qemu "$(stat -c %U "$link")" "owner of the pty"

step "root: vmctl console in tmux shows the guest's ticks; Ctrl-] exits 0"
attach_in_tmux
wait_for 30 pane_has "Escape character is ^]"
wait_for 30 pane_has "$TICK"
assert_contains "$(pane)" "Connected to domain '$VM'" "banner"
escape_and_check root

step "a user in group vmunit can attach"
useradd --system --no-create-home --shell /bin/bash --groups vmunit "$MEMBER"
attach_in_tmux "$MEMBER"
wait_for 30 pane_has "$TICK"
escape_and_check member

step "a user outside group vmunit is refused with one line"
useradd --system --no-create-home --shell /bin/bash "$OUTSIDER"
rc=0
out=$(runuser -u "$OUTSIDER" -- vmctl console "$VM" </dev/null 2>&1) || rc=$?
assert_ne 0 "$rc" "exit status for the outsider"
assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the outsider's error ($out)"
case "$out" in *[Dd]enied* | *Rejected*) ;; *) fail "the outsider's error does not say denied: $out" ;; esac
assert_not_contains "$out" "Connected" "the outsider's error"

step "the domain stopping ends an attached session; then console is one line, non-zero"
attach_in_tmux
wait_for 30 pane_has "$TICK"
assert_success systemctl stop "vm@$VM.service"
wait_for 30 pane_has "vmctl-exit="
pane >pane-stopped.txt
assert_contains "$(pane)" "the domain stopped" "session when the domain stops"
assert_contains "$(pane)" "vmctl-exit=1" "exit status when the domain stops"
rc=0
out=$(vmctl console "$VM" </dev/null 2>&1) || rc=$?
assert_ne 0 "$rc" "exit status for a stopped domain"
assert_eq "vmctl: domain '$VM' is not running" "$out" "message for a stopped domain"

echo ok
