# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for system-test scenarios. A scenario starts with
#
#       . "$VMUNIT_TEST_LIB"
#
# and runs as root inside the test host, with `set -eu` in force after
# sourcing. Environment provided by the runner:
#   VMUNIT_TEST_NAME       scenario name (file name without .sh)
#   VMUNIT_TEST_STAGE      stage to run: "start", or the name given to
#                          testhost_reboot_then (also passed as $1)
#   VMUNIT_TEST_ARTIFACTS  directory copied back to the host with the results
#                          (also the working directory)
#   VMUNIT_TEST_STATE      per-scenario directory that survives reboots
#   VMUNIT_TEST_DIR        the payload root (scenarios/, lib.sh, ...)
#   VMUNIT_TEST_INSTALLED_FILES  list of the files the build installed into /
#
# Exit 0 = pass, anything else = fail. Every assertion failure names what was
# checked, what was expected and what was found.

set -eu

# Show where a failure happened: the failing command and its line.
trap 'rc=$?; echo "FAIL: ${BASH_SOURCE[0]}:${LINENO}: \"${BASH_COMMAND}\" exited $rc" >&2' ERR

step() { echo "--- $*"; }

note() { echo "NOTE: $*"; }

fail() {
        trap - ERR
        echo "FAIL: $*" >&2
        echo "FAIL: $*"
        exit 1
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
        [ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

# assert_ne UNEXPECTED ACTUAL [WHAT]
assert_ne() {
        [ "$1" != "$2" ] || fail "${3:-value}: expected anything but '$1'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
        case "$1" in
        *"$2"*) ;;
        *) fail "${3:-text}: expected to contain '$2', got: $1" ;;
        esac
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
        case "$1" in
        *"$2"*) fail "${3:-text}: expected not to contain '$2', got: $1" ;;
        *) ;;
        esac
}

# assert_file PATH: PATH exists.
assert_file() {
        [ -e "$1" ] || fail "expected $1 to exist"
}

# assert_success CMD [ARGS...]: CMD exits 0; its output is shown if not.
assert_success() {
        local out rc=0
        out=$("$@" 2>&1) || rc=$?
        [ "$rc" = 0 ] || fail "\`$*\` exited $rc, expected 0; output: $out"
}

# assert_failure CMD [ARGS...]: CMD exits non-zero.
assert_failure() {
        local out rc=0
        out=$("$@" 2>&1) || rc=$?
        [ "$rc" != 0 ] || fail "\`$*\` succeeded, expected failure; output: $out"
}

# one_line_failure CMD...: non-zero exit and exactly one line of output.
one_line_failure() {
        local out rc=0
        out=$("$@" 2>&1) || rc=$?
        [ "$rc" != 0 ] || fail "\`$*\` succeeded; output: $out"
        [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "\`$*\`: want one line, got: $out"
        echo "$out"
}

# wait_for TIMEOUT_SECONDS CMD [ARGS...]: poll CMD (every 0.2 s) until it
# succeeds; fail after TIMEOUT_SECONDS.
wait_for() {
        local timeout=$1 deadline
        shift
        deadline=$(( $(date +%s) + timeout ))
        until "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${timeout}s waiting for: $*"
                sleep 0.2
        done
}

# unit_state UNIT: prints its ActiveState (active, inactive, failed, ...).
unit_state() {
        systemctl show -P ActiveState -- "$1"
}

# unit_property UNIT PROPERTY: prints the property's value.
unit_property() {
        systemctl show -P "$2" -- "$1"
}

_unit_state_is() { [ "$(unit_state "$1")" = "$2" ]; }

# wait_for_unit_state UNIT STATE TIMEOUT_SECONDS
wait_for_unit_state() {
        local deadline=$(( $(date +%s) + $3 ))
        until _unit_state_is "$1" "$2"; do
                [ "$(date +%s)" -lt "$deadline" ] ||
                        fail "unit $1: expected state '$2' within $3s, is '$(unit_state "$1")'"
                sleep 0.2
        done
}

# assert_unit_state UNIT STATE
assert_unit_state() {
        assert_eq "$2" "$(unit_state "$1")" "state of $1"
}

# state_save KEY VALUE / state_load KEY: per-scenario values that survive a
# test-host reboot.
state_save() {
        mkdir -p "$VMUNIT_TEST_STATE"
        printf '%s\n' "$2" >"$VMUNIT_TEST_STATE/$1"
        sync
}

state_load() {
        [ -f "$VMUNIT_TEST_STATE/$1" ] || fail "no saved state '$1' (was the earlier stage run?)"
        cat "$VMUNIT_TEST_STATE/$1"
}

boot_id() { cat /proc/sys/kernel/random/boot_id; }

# testhost_reboot_then STAGE: reboot the test host; after the reboot the
# runner runs this scenario again with STAGE as $1 / $VMUNIT_TEST_STAGE.
# Does not return.
testhost_reboot_then() {
        if [ -z "${1:-}" ] || [ "$1" = start ]; then
                fail "testhost_reboot_then needs a stage name other than 'start'"
        fi
        case "$1" in *[!A-Za-z0-9_.-]*) fail "bad stage name '$1'" ;; esac
        echo "$VMUNIT_TEST_NAME $1" >"$VMUNIT_TEST_RESUME_FILE"
        sync
        echo "--- rebooting the test host, resuming at stage $1"
        trap - ERR
        systemctl reboot
        # The shutdown stops the runner and us with it.
        sleep infinity
        exit 0
}

# testhost_crash_then STAGE: like testhost_reboot_then, but as a power
# loss: the kernel resets the machine at once (sysrq 'b'), so no unit is
# stopped, no ExecStopPost runs and /run is lost. Only the resume point is
# synced first. Does not return.
testhost_crash_then() {
        if [ -z "${1:-}" ] || [ "$1" = start ]; then
                fail "testhost_crash_then needs a stage name other than 'start'"
        fi
        case "$1" in *[!A-Za-z0-9_.-]*) fail "bad stage name '$1'" ;; esac
        echo "$VMUNIT_TEST_NAME $1" >"$VMUNIT_TEST_RESUME_FILE"
        sync "$VMUNIT_TEST_RESUME_FILE"
        sync -f "$VMUNIT_TEST_RESUME_FILE"
        echo "--- resetting the test host (power loss), resuming at stage $1"
        trap - ERR
        echo b >/proc/sysrq-trigger
        sleep infinity
        exit 0
}

# ---- vmunit helpers ------------------------------------------------------

VMUNIT_TEST_GUEST=/usr/local/share/vmunit-test/vmunit-test-guest.elf
VMUNIT_DOMAINS=/etc/vmunit/domains

# test_vm_xml NAME MODE [EXTRA_DEVICES] [LIFECYCLE]: a domain running the
# multiboot test guest under TCG (a Linux guest would take minutes here).
test_vm_xml() {
        cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <title>vmunit test guest $1</title>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$VMUNIT_TEST_GUEST</kernel>
    <cmdline>mode=$2</cmdline>
  </os>
  <features><acpi/></features>
  ${4:-}
  <devices>
    <serial type='pty'/>
    <memballoon model='none'/>
    ${3:-}
  </devices>
</domain>
XML
}

# with_test_monitor NAME: the domain XML on stdin (from test_vm_xml) with
# a second QMP monitor for the test through <qemu:commandline>, in the
# directory QEMU may create files in (see qmp()).
with_test_monitor() {
        sed -e "s|^<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
                -e "s|^</domain>|  <qemu:commandline>\n    <qemu:arg value='-qmp'/>\n    <qemu:arg value='unix:/run/vmunit/$1/qemu/test-qmp.sock,server=on,wait=off'/>\n  </qemu:commandline>\n</domain>|"
}

# define_test_vm NAME MODE [EXTRA_DEVICES] [LIFECYCLE]: drop it into
# /etc/vmunit/domains (as an admin would, no vmctl).
define_test_vm() {
        mkdir -p "$VMUNIT_DOMAINS"
        test_vm_xml "$@" >"$VMUNIT_DOMAINS/$1.xml"
}

# vm_unit NAME: the unit name, escaped like systemd-escape does for us.
vm_unit() {
        echo "vm@$(printf '%s' "$1" | sed 's/ /\\x20/g').service"
}

qemu_pid_of() {
        cat "/run/vmunit/$1/pid"
}

# proc_label PID: the process's LSM label (SELinux context, AppArmor profile).
proc_label() { tr -d '\0' <"/proc/$1/attr/current"; }

# journal_of UNIT: this boot's journal for the unit, with fields.
journal_of() {
        journalctl -b --no-pager -o verbose -u "$1"
}

# exit_status_of UNIT: the main process's exit code as systemd saw it.
exit_status_of() {
        systemctl show -P ExecMainStatus -- "$1"
}

# wait_guest_acpi NAME: the test guest has armed its ACPI power button (a
# power button pressed before that is lost, as on real hardware).
wait_guest_acpi() {
        wait_for 60 sh -c "journalctl -b --no-pager -u '$(vm_unit "$1")' | grep -q 'VMUNIT-TEST-GUEST: waiting for ACPI'"
}

# qmp NAME JSON: one command on NAME's extra test monitor
# (/run/vmunit/NAME/qemu/test-qmp.sock, added through <qemu:commandline>
# in the directory QEMU may create files in: the supervisor holds the first
# one); prints the reply.
qmp() {
        local sock=/run/vmunit/$1/qemu/test-qmp.sock
        wait_for 30 test -S "$sock"
        printf '%s\n%s\n' '{"execute":"qmp_capabilities"}' "$2" |
                socat -t 3 - UNIX-CONNECT:"$sock" | tr -d '\r' | grep -v '"QMP"' | tail -n 1
}

# blockdev_add NAME NODE FILE [EXTRA_JSON]: ask NAME's QEMU to open FILE
# read-only, as a compromised QEMU would try; prints QMP's reply.
blockdev_add() {
        qmp "$1" "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"file\",\"node-name\":\"$2\",\"filename\":\"$3\",\"read-only\":true${4:-}}}"
}

# ssh_root_localhost: root may ssh to root@localhost without a prompt (a
# key of its own, the host key accepted), for vmctl -H.
ssh_root_localhost() {
        [ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -A
        systemctl start ssh.service
        mkdir -p -m 0700 /root/.ssh
        [ -e /root/.ssh/id_ed25519 ] || ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519
        grep -qxF "$(cat /root/.ssh/id_ed25519.pub)" /root/.ssh/authorized_keys 2>/dev/null ||
                cat /root/.ssh/id_ed25519.pub >>/root/.ssh/authorized_keys
        chmod 0600 /root/.ssh/authorized_keys
        printf 'Host localhost\n\tStrictHostKeyChecking accept-new\n\tBatchMode yes\n' >/root/.ssh/config
        assert_success ssh root@localhost true
}

# journal_cursor: a journal cursor for "from now on" (--after-cursor=).
journal_cursor() { journalctl --no-pager -n0 --show-cursor | sed -n 's/^-- cursor: //p'; }
# unit_last_tick / unit_first_tick UNIT CURSOR: the last (first) tick the
# test guest (word `ticks`) printed in UNIT's journal since CURSOR (0 if none).
unit_ticks() { journalctl --no-pager -u "$1" --after-cursor="$2" | grep -o 'GUEST: tick [0-9]*' | awk '{print $3}'; }
unit_last_tick() {
        local t
        t=$(unit_ticks "$1" "$2" | tail -n1)
        echo "${t:-0}"
}
unit_first_tick() { unit_ticks "$1" "$2" | head -n1; }
# unit_ticks_reach UNIT CURSOR N: whether the guest's ticks got to N.
unit_ticks_reach() { [ "$(unit_last_tick "$1" "$2")" -ge "$3" ]; }

# mark_avcs, then avcs_since_mark: the SELinux denials logged in between,
# from auditd's log when it runs, else the journal (journald reads the
# audit socket too).
AVC_MARK=0
AVC_SINCE=0
mark_avcs() {
        AVC_SINCE=$(date +%s)
        AVC_MARK=$(wc -l </var/log/audit/audit.log 2>/dev/null || echo 0)
}
avcs_since_mark() {
        if [ -s /var/log/audit/audit.log ]; then
                tail -n +"$((AVC_MARK + 1))" /var/log/audit/audit.log
        else
                journalctl --no-pager -o cat --since "@$AVC_SINCE"
        fi | grep -E 'avc: +denied|SELINUX_ERR' || true
}
# vmunit_avcs_since_mark: those of QEMU, the supervisor (and vmunit-setup)
# and vmctl, by command name or by domain.
vmunit_avcs_since_mark() {
        avcs_since_mark | grep -E 'comm="(qemu-system-|vmunit-|vmctl")|scontext=[^ ]*:(svirt_t|svirt_tcg_t|virtd_t):' || true
}
