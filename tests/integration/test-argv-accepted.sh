#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every golden domain in tests/data/*.xml must produce a command line the
# real QEMU accepts: build it with `vmctl --root R domxml-to-native --null`,
# start QEMU (it has -S, so no guest code runs), check QMP answers and
# reports "prelaunch", quit, and require exit status 0. Then the same
# domain under the supervisor, which hands QEMU every file as an fd
# (-add-fd + /dev/fdset/N, /proc/self/fd/N, chardev fd=N: the NAME.fd.argv
# form): QEMU must reach "running" with no scratch path on its command
# line. Host paths in the XML are rewritten into a scratch directory where
# the images, NVRAM and log directories are created first.
set -euo pipefail

: "${VMCTL:?VMCTL must point at the vmctl binary}"
: "${VMUNIT_SUPERVISOR:?VMUNIT_SUPERVISOR must point at the supervisor}"
: "${VMUNIT_TEST_DATA:?VMUNIT_TEST_DATA must point at tests/data}"
GUEST=${VMUNIT_TEST_GUEST:-}
# shellcheck source=tests/integration/qemu-argv-lib.sh
source "$(dirname "$0")/qemu-argv-lib.sh"

# /var/tmp, not /tmp: cache='none' means O_DIRECT, which tmpfs refuses.
scratch=$(mktemp -d /var/tmp/vmunit-argv.XXXXXX)
qemu_pid=
sup_pid=
cleanup() {
        if [[ -n $qemu_pid ]]; then kill -9 "$qemu_pid" 2>/dev/null || true; fi
        if [[ -n $sup_pid ]]; then kill -9 "$sup_pid" 2>/dev/null || true; fi
        rm -rf "$scratch"
}
trap cleanup EXIT

# Rewrite a golden XML into $dir and create what it refers to.
prepare() {
        local src=$1 dir=$2 out=$3 kvm=$4
        sed -e "s#/var/lib/vmunit/#$dir/lib/#g" \
            -e "s#/run/vmunit/#$dir/run/#g" \
            -e "s#/var/log/vmunit/#$dir/log/#g" "$src" > "$out"
        if [[ -n $GUEST ]]; then
                sed -i -e "s#<kernel>[^<]*</kernel>#<kernel>$GUEST</kernel>#" "$out"
        fi
        if [[ $kvm == no ]]; then
                sed -i -e "s#<domain type='kvm'#<domain type='qemu'#" "$out"
        fi
        if ! ip -6 addr show lo 2>/dev/null | grep -q '::1/128'; then
                sed -i -e "s#listen='::1'#listen='127.0.0.1'#" "$out"
        fi
        qemu_create_referenced_files "$out" "$dir"
}

# Start the words in argv.bin (env assignments first), talk QMP, quit.
run_one() {
        qemu_run_argv "$2/argv.bin" "$3/run/$1/qmp.sock" "$2/qemu.log"
}

# The domain as the supervisor runs it (fds, not paths): "running", then
# destroyed (SIGUSR1) with exit 0.
run_supervised() {
        local name=$1 dir=$2 root=$3 log="$3/log/$1.log" i=0 rc=0 qemu
        cp "$dir/domain.xml" "$root/etc/domains/$name.xml"
        "$VMUNIT_SUPERVISOR" --root "$root" "$name" 2>"$dir/supervisor.err" &
        sup_pid=$!
        while ! grep -q "state: running" "$log" 2>/dev/null && kill -0 "$sup_pid" 2>/dev/null && ((i++ < 300)); do
                sleep 0.1
        done
        if grep -q "state: running" "$log" 2>/dev/null; then
                qemu=$(cat "$root/run/$name/pid")
                if tr '\0' '\n' <"/proc/$qemu/cmdline" | grep -F -- "$dir/" >"$dir/paths"; then
                        echo "    QEMU got paths instead of fds:" >>"$dir/supervisor.err"
                        sed 's/^/      /' "$dir/paths" >>"$dir/supervisor.err"
                        rc=1
                fi
                # The guest agent's channel: a socket the supervisor bound
                # in the VM's runtime dir (QEMU got it as an fd, above).
                if grep -q "name='org.qemu.guest_agent.0'" "$dir/domain.xml" &&
                   [[ ! -S "$root/run/$name/channel.org.qemu.guest_agent.0" ]]; then
                        echo "    no guest agent socket in $root/run/$name" >>"$dir/supervisor.err"
                        rc=1
                fi
                kill -USR1 "$sup_pid"
        else
                kill -9 "$sup_pid" 2>/dev/null || true
                rc=1
        fi
        wait "$sup_pid" || rc=1
        sup_pid=
        # Bound sockets are removed when the VM stops.
        if compgen -G "$root/run/$name/channel.*" >/dev/null; then
                echo "    channel sockets left after the stop: $(echo "$root/run/$name"/channel.*)" \
                        >>"$dir/supervisor.err"
                rc=1
        fi
        return $rc
}

kvm=no
if [[ -z ${VMUNIT_TEST_NO_KVM:-} ]] && kvm_usable; then kvm=yes; fi
failed=0 count=0
for src in "$VMUNIT_TEST_DATA"/*.xml; do
        name=$(basename "$src" .xml)
        dir="$scratch/$name"
        root="$dir/root"
        mkdir -p "$root/etc/domains" "$root/run/$name" "$root/lib" "$root/log"
        prepare "$src" "$dir" "$dir/domain.xml" "$kvm"
        count=$((count + 1))
        if ! "$VMCTL" --root "$root" domxml-to-native --null "$dir/domain.xml" > "$dir/argv.bin" 2> "$dir/vmctl.err"; then
                echo "FAIL $name: vmctl domxml-to-native failed:"
                cat "$dir/vmctl.err"
                failed=$((failed + 1))
                continue
        fi
        made=$(qemu_default_nvram "$dir/argv.bin" "$root")
        if run_one "$name" "$dir" "$root"; then
                echo "ok   $name"
        else
                echo "FAIL $name: QEMU refused the command line:"
                tr '\0' '\n' < "$dir/argv.bin" | sed 's/^/    /'
                sed 's/^/  qemu: /' "$dir/qemu.log"
                failed=$((failed + 1))
                continue
        fi
        count=$((count + 1))
        # The supervisor creates a default store itself on the first start.
        if [[ -n $made ]]; then rm -f "$made"; fi
        if run_supervised "$name" "$dir" "$root" && { [[ -z $made ]] || [[ -s $made ]]; }; then
                echo "ok   $name (supervised: files as fds)"
        else
                echo "FAIL $name: under the supervisor (files as fds):"
                sed 's/^/  /' "$dir/supervisor.err" "$root/log/$name.log" 2>/dev/null | tail -20
                failed=$((failed + 1))
        fi
done
echo "$((count - failed)) of $count command lines accepted, path and fd forms (kvm: $kvm)"
((failed == 0 && count > 0))
