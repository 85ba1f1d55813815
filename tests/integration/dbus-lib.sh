# SPDX-License-Identifier: LGPL-2.1-or-later
# Private dbus-daemons and calls on the VM object for the integration
# tests that talk D-Bus. Source after lib.sh; skips (77) without the tools.

for tool in dbus-daemon dbus-send busctl; do
        if ! command -v "$tool" >/dev/null; then
                echo "SKIP: $tool not installed (packages dbus, systemd)"
                exit 77
        fi
done
IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

BUS_PIDS=()
MON_PID=""
# On any exit: our supervisor (lib.sh's cleanup only finds QEMU by its
# paths), the monitor and the buses; by pid, never by name.
stop_buses() {
        if [ -n "${SUP_PID:-}" ]; then kill -KILL "$SUP_PID" 2>/dev/null || true; fi
        if [ -n "$MON_PID" ]; then kill "$MON_PID" 2>/dev/null || true; fi
        local p
        for p in "${BUS_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        BUS_PIDS=()
}
# Users the tests create (ensure_test_users), removed again on exit.
CREATED_USERS=()
CREATED_GROUPS=()
remove_test_users() {
        local x
        for x in "${CREATED_USERS[@]}"; do userdel "$x" 2>/dev/null || true; done
        for x in "${CREATED_GROUPS[@]}"; do groupdel "$x" 2>/dev/null || true; done
        CREATED_USERS=()
        CREATED_GROUPS=()
}
trap 'stop_buses; remove_test_users; cleanup_all' EXIT

# ensure_test_users (root only): groups vmunit and vmunit-admin, and the
# real (user database) members MEMBER (group vmunit) and ADMIN (group
# vmunit-admin), as the supervisor sees callers: by uid, groups from the
# user database. Start supervisors after this: they look the groups up
# when they attach to the bus.
MEMBER=vmunit-it-member
ADMIN=vmunit-it-admin
ensure_test_users() {
        local g u
        for g in vmunit vmunit-admin; do
                getent group "$g" >/dev/null || { groupadd --system "$g" && CREATED_GROUPS+=("$g"); }
        done
        for u in "$MEMBER:vmunit" "$ADMIN:vmunit-admin"; do
                id "${u%%:*}" >/dev/null 2>&1 ||
                        { useradd --system --no-create-home --shell /bin/bash --groups "${u#*:}" "${u%%:*}" &&
                                CREATED_USERS=("${u%%:*}" "${CREATED_USERS[@]}"); }
                # A user left by an interrupted run may have lost the group
                # (removed and made again since): give it back.
                id -nG "${u%%:*}" | grep -qw -- "${u#*:}" || usermod -aG "${u#*:}" "${u%%:*}"
        done
}
# as_user USER CMD...: run CMD as USER with USER's own groups.
as_user() {
        local u=$1
        shift
        setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@" 2>&1 || true
}
# call_fd METHOD KIND [PATH]: METHOD(h) with an fd (bus-call-fd.py, on
# Debian's python3, which has python3-dbus); stdout
# "ok" or "Error NAME: message".
call_fd() {
        /usr/bin/python3 "$VMUNIT_TEST_HELPERS/bus-call-fd.py" "$BUS" "$DEST" "$@" 2>&1 || true
}
# vmctl in system mode on our private bus (sd-bus honours
# DBUS_SYSTEM_BUS_ADDRESS): save passes the fd it opened itself.
vmctl_bus() { DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" "$@"; }

# bus_config ROOT KIND: write a dbus-daemon configuration; KIND "open"
# allows everything (so only the supervisor's own check can refuse),
# "system" denies like the system bus and includes our shipped policy.
bus_config() {
        local conf="$1/bus-$2.conf"
        {
                echo '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"'
                echo ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
                echo '<busconfig>'
                echo "  <listen>unix:dir=$1</listen>"
                echo '  <auth>EXTERNAL</auth>'
                echo '  <policy context="default">'
                echo '    <allow user="*"/>'
                if [ "$2" = open ]; then
                        echo '    <allow send_destination="*" eavesdrop="true"/>'
                        echo '    <allow eavesdrop="true"/>'
                        echo '    <allow own="*"/>'
                else
                        echo '    <deny own="*"/>'
                        echo '    <deny send_type="method_call"/>'
                        echo '    <allow send_type="signal"/>'
                        echo '    <allow send_requested_reply="true" send_type="method_return"/>'
                        echo '    <allow send_requested_reply="true" send_type="error"/>'
                        echo '    <allow receive_type="method_call"/>'
                        echo '    <allow receive_type="method_return"/>'
                        echo '    <allow receive_type="error"/>'
                        echo '    <allow receive_type="signal"/>'
                        echo '    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>'
                        echo '    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>'
                fi
                echo '  </policy>'
                [ "$2" = system ] && echo "  <include>$VMUNIT_SOURCE_ROOT/dbus/org.vmunit.vm.conf</include>"
                echo '</busconfig>'
        } > "$conf"
        echo "$conf"
}

# start_bus CONF: a private dbus-daemon; sets BUS (its address).
start_bus() {
        local out
        out=$(dbus-daemon --config-file="$1" --print-address=1 --print-pid=1 --fork)
        BUS=$(sed -n 1p <<<"$out")
        BUS_PIDS+=("$(sed -n 2p <<<"$out")")
}

bctl() { busctl --address="$BUS" --no-pager "$@"; }
prop() { bctl get-property "$DEST" /org/vmunit/vm org.vmunit.VM1 "$1"; }
# call METHOD [dbus-send ARGS]: stdout the reply, or "Error NAME: message".
call() {
        local m=$1
        shift
        dbus-send --bus="$BUS" --print-reply --dest="$DEST" /org/vmunit/vm "org.vmunit.VM1.$m" "$@" 2>&1 || true
}
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@" 2>&1 || true; }

# wait_prop NAME VALUE [SECONDS]: until the property reads s "VALUE".
wait_prop() {
        local tries=$((${3:-5} * 20))
        while [ $tries -gt 0 ]; do
                [ "$(prop "$1" 2>/dev/null)" = "s \"$2\"" ] && return 0
                sleep 0.05
                tries=$((tries - 1))
        done
        echo "timed out waiting for $1=$2 (is: $(prop "$1" 2>&1))" >&2
        return 1
}

# expect_error WHAT ERROR_NAME OUTPUT
expect_error() {
        if grep -q "^Error $2" <<<"$3"; then return 0; fi
        t_fail "$1: want $2, got: $3"
        return 1
}

# start_vm ROOT NAME MODE: supervisor on $BUS; sets SUP_PID, DEST.
start_vm() {
        define_guest "$1" "$2" "$3"
        VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$1" "$2"
        DEST=org.vmunit.vm.$(sed 's/-/_2d/g' <<<"$2")
        wait_log "$1" "$2" "D-Bus: serving $DEST" && wait_log "$1" "$2" "state: running"
}

abort_vm() {
        kill -KILL "$SUP_PID" 2>/dev/null
        wait "$SUP_PID" 2>/dev/null || true
}
