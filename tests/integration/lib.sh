# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for the shell integration tests. Each test sources this,
# calls `t_begin NAME` per case and `t_end` at the end; a failing check
# prints what and where and counts as one failure.
set -euo pipefail

: "${VMUNIT_SUPERVISOR:?run through meson test}"
: "${VMCTL:?run through meson test}"
: "${VMUNIT_TEST_GUEST:?run through meson test}"

T_FAILED=0
T_PASSED=0
T_CASE=""
T_ROOTS=()
T_USERS=()

# add_test_user NAME: a throwaway system user with its own group (for
# QEMU's identity), unless it exists; removed again by cleanup_all.
add_test_user() {
        if ! getent passwd "$1" >/dev/null; then
                useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$1"
                T_USERS+=("$1")
        fi
}

remove_test_users() {
        local u
        for u in "${T_USERS[@]}"; do
                userdel "$u" 2>/dev/null || true
                groupdel "$u" 2>/dev/null || true
        done
        T_USERS=()
}

cleanup_all() {
        local r
        for r in "${T_ROOTS[@]}"; do
                # No test may leave a QEMU behind: kill any that still runs
                # from this root, and count it as a failure.
                if pgrep -f -- "$r/" >/dev/null 2>&1; then
                        echo "LEAK: processes still running under $r:" >&2
                        pgrep -af -- "$r/" >&2 || true
                        pkill -KILL -f -- "$r/" || true
                        T_FAILED=$((T_FAILED + 1))
                fi
                rm -rf "$r"
        done
        remove_test_users
}
trap cleanup_all EXIT

t_begin() {
        T_CASE=$1
        echo "--- $T_CASE"
}

t_fail() {
        echo "FAIL [$T_CASE]: $*" >&2
        T_FAILED=$((T_FAILED + 1))
}

t_pass() {
        T_PASSED=$((T_PASSED + 1))
        echo "ok   [$T_CASE]"
}

t_end() {
        cleanup_all
        trap - EXIT
        echo "$T_PASSED passed, $T_FAILED failed"
        [ "$T_FAILED" -eq 0 ]
}

# A fresh embedded root with a short path (the QMP socket must fit 107 bytes).
new_root() {
        local r
        r=$(mktemp -d /tmp/vmunit-it.XXXXXX)
        mkdir -p "$r/etc/domains"
        T_ROOTS+=("$r")
        echo "$r"
}

# guest_xml NAME MODE [EXTRA_DEVICES] [LIFECYCLE]: a domain running the
# multiboot test guest in the given mode under TCG.
guest_xml() {
        local name=$1 mode=$2 devices=${3:-} lifecycle=${4:-}
        cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$VMUNIT_TEST_GUEST</kernel>
    <cmdline>mode=$mode</cmdline>
  </os>
  <features><acpi/></features>
  $lifecycle
  <devices>
    <serial type='pty'/>
    $devices
  </devices>
</domain>
XML
}

# define_guest ROOT NAME MODE [EXTRA_DEVICES] [LIFECYCLE]
define_guest() {
        local root=$1 name=$2
        shift 2
        guest_xml "$name" "$@" > "$root/etc/domains/$name.xml"
}

# start_supervisor ROOT NAME: in the background; sets SUP_PID.
start_supervisor() {
        "$VMUNIT_SUPERVISOR" --root "$1" "$2" 2>"$1/supervisor.stderr" &
        SUP_PID=$!
}

# wait_log ROOT NAME PATTERN [SECONDS]: wait until the domain log matches.
wait_log() {
        local log="$1/log/$2.log" pattern=$3 tries=$((${4:-20} * 20))
        while [ $tries -gt 0 ]; do
                grep -q -- "$pattern" "$log" 2>/dev/null && return 0
                sleep 0.05
                tries=$((tries - 1))
        done
        echo "timed out waiting for '$pattern' in $log; log was:" >&2
        cat "$log" >&2 2>/dev/null || true
        return 1
}

# wait_rc PID: wait for a background child; its exit status lands in RC.
# (Not a $(...) function: a subshell cannot wait for our children.)
wait_rc() {
        RC=0
        wait "$1" || RC=$?
}

qemu_pid_of() {
        cat "$1/run/$2/pid"
}

# The runtime directory must be gone once the supervisor exits.
check_no_runtime_left() {
        if [ -e "$1/run/$2" ]; then
                t_fail "runtime dir $1/run/$2 left behind: $(ls -A "$1/run/$2")"
                return 1
        fi
}

now_ms() {
        date +%s%3N
}

# A stand-in for systemd's notification socket (notify-listener.py):
# start_listener binds $root/notify.sock and logs every field to
# $root/notify.log (give the supervisor NOTIFY_SOCKET=$root/notify.sock);
# stop_listener ends it; line_of PATTERN is the line number of the first
# notification matching it.
listener_pid=""
start_listener() {
        rm -f "$root/notify.sock" "$root/notify.log"
        "$(dirname "$0")/notify-listener.py" "$root/notify.sock" "$root/notify.log" &
        listener_pid=$!
        for _ in $(seq 1 100); do grep -q listening "$root/notify.log" 2>/dev/null && return 0; sleep 0.02; done
        return 1
}
stop_listener() { kill "$listener_pid" 2>/dev/null; wait "$listener_pid" 2>/dev/null || true; }
line_of() { grep -n -m1 -- "$1" "$root/notify.log" | cut -d: -f1; }
