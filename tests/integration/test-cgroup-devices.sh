#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Device ACL of the VM cgroup (src/label/cgroup.c) on the real kernel: a
# process in QEMU's cgroup may open the ACL's devices and its own disk,
# and nothing else; hotplug changes that without restarting anything.
# Runs every backend this host offers: the v1 devices controller (hybrid
# and legacy hosts) and the BPF device program (cgroup v2, which on a
# hybrid host lives on /sys/fs/cgroup/unified). Needs root and loop
# devices; skips (77) without them.
source "$(dirname "$0")/lib.sh"
: "${VMUNIT_CGROUP_DRIVER:?run through meson test}"

if [ "$(id -u)" != 0 ] || ! command -v losetup >/dev/null; then
        echo "skip: needs root and losetup"
        exit 77
fi

LOOPS=()
FAKE_UNITS=()
TMP=$(mktemp -d /tmp/vmunit-cg.XXXXXX)
cleanup_loops() {
        local l u
        for l in "${LOOPS[@]}"; do
                losetup -d "$l" 2>/dev/null || true
        done
        for u in "${FAKE_UNITS[@]}"; do
                rmdir "$u" 2>/dev/null || true
        done
        LOOPS=()
        FAKE_UNITS=()
        rm -rf "$TMP"
}
trap 'cleanup_loops; cleanup_all' EXIT

new_loop() {
        truncate -s 1M "$TMP/$1.img"
        losetup -f --show "$TMP/$1.img"
}
if ! A=$(new_loop a) || ! B=$(new_loop b); then
        echo "skip: cannot create loop devices"
        exit 77
fi
LOOPS=("$A" "$B")

# The default cgroup_device_acl (DESIGN.md); /dev/hpet and /dev/rtc are
# often absent and must be skipped, not fail.
ACL=/dev/null,/dev/full,/dev/zero,/dev/random,/dev/urandom,/dev/ptmx,/dev/kvm,/dev/rtc,/dev/hpet

# drive CASE BACKEND STEP...: run the driver; 77 (hierarchy unusable) skips
# this case only.
drive() {
        local backend=$1 rc=0
        shift
        "$VMUNIT_CGROUP_DRIVER" --backend "$backend" --name "cg-test" "$@" >"$TMP/out" 2>&1 || rc=$?
        if [ "$rc" = 77 ]; then
                echo "skip [$T_CASE]: $(cat "$TMP/out")"
        elif [ "$rc" != 0 ]; then
                t_fail "driver exit $rc: $(cat "$TMP/out")"
        else
                t_pass
        fi
}

backends=()
[ -e /sys/fs/cgroup/devices/devices.allow ] && backends+=(v1)
grep -qs '^cgroup2 /sys/fs/cgroup\(/unified\)\? ' /proc/mounts && backends+=(bpf)
if [ "${#backends[@]}" = 0 ]; then
        echo "skip: neither a v1 devices hierarchy nor cgroup v2"
        exit 77
fi

for be in "${backends[@]}"; do
        t_begin "$be: own disk and ACL open, the other loop device is EPERM"
        drive "$be" acl "$ACL" allow "$A" rw apply spawn in-cgroup \
                open "$A" ok open /dev/null ok open /dev/zero ok open "$B" EPERM \
                reap destroy

        t_begin "$be: hotplug allow then deny, program/list updated in place"
        drive "$be" acl "$ACL" allow "$A" rw apply spawn \
                open "$B" EPERM allow "$B" r open "$B" ok \
                deny "$A" open "$A" EPERM open "$B" ok open /dev/null ok \
                reap destroy

        # The permission check comes before the driver's open, so even
        # /dev/tty with no controlling terminal says EPERM, not ENXIO.
        t_begin "$be: devices outside the ACL are denied (/dev/loop-control, /dev/tty)"
        drive "$be" acl "$ACL" apply spawn \
                open /dev/loop-control EPERM open /dev/tty EPERM open /dev/urandom ok \
                reap destroy

        t_begin "$be: a disk that is not a device node is refused"
        drive "$be" expect-allow-error "$TMP/a.img" EINVAL expect-allow-error "$TMP/none" ENOENT destroy

        # A destroy while QEMU still runs must not lift the filter.
        t_begin "$be: destroy with QEMU alive is EBUSY and the filter stays"
        drive "$be" acl "$ACL" allow "$A" r apply spawn destroy-busy \
                open "$B" EPERM open "$A" ok reap destroy

        t_begin "$be: two users of one device: deny once keeps it allowed"
        drive "$be" allow "$A" r allow "$A" r apply spawn deny "$A" open "$A" ok \
                deny "$A" open "$A" EPERM reap destroy
done

# Embedded mode as an ordinary user: no hierarchy is writable, and the
# library says so with -EOPNOTSUPP (the driver's 77), creating nothing.
if command -v setpriv >/dev/null; then
        t_begin "non-root: -EOPNOTSUPP, nothing created"
        rc=0
        setpriv --reuid=65534 --regid=65534 --clear-groups \
                "$VMUNIT_CGROUP_DRIVER" --name cg-test apply destroy >"$TMP/out" 2>&1 || rc=$?
        if [ "$rc" = 77 ]; then t_pass; else t_fail "exit $rc, want 77: $(cat "$TMP/out")"; fi
fi

# delegated BACKEND HIERARCHY_ROOT STEP...: as in system mode, run the
# driver inside a cgroup standing in for the Delegate=yes unit's.
delegated() {
        local be=$1 unit="$2/vmunit-test-$$-${#FAKE_UNITS[@]}.service"
        shift 2
        mkdir "$unit"
        FAKE_UNITS+=("$unit")
        # v1: the unit's own list (DevicePolicy=closed + DeviceAllow=), if given.
        if [ -n "${PARENT_V1_ALLOW:-}" ]; then
                echo a >"$unit/devices.deny"
                local rule
                for rule in $PARENT_V1_ALLOW; do
                        echo "${rule//_/ }" >"$unit/devices.allow"
                done
        fi
        (
                echo "$BASHPID" >"$unit/cgroup.procs"
                exec "$VMUNIT_CGROUP_DRIVER" --backend "$be" --placement delegated "$@"
        ) >"$TMP/out" 2>&1 || { t_fail "driver: $(cat "$TMP/out")"; return; }
        # Only the fake unit's own cgroup may remain: no leaves.
        if find "$unit" -mindepth 1 -type d | grep -q .; then
                t_fail "leaves left in $unit: $(find "$unit" -mindepth 1 -type d)"
        else
                t_pass
        fi
}

V2=""
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
        V2=/sys/fs/cgroup
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        V2=/sys/fs/cgroup/unified
fi
if [ -n "$V2" ]; then
        # systemd attaches the unit's DeviceAllow= program with
        # BPF_F_ALLOW_MULTI to the unit's cgroup; ours on the leaf below
        # must add to it, never widen it.
        t_begin "bpf: a parent program (like the unit's DeviceAllow=) still applies"
        drive bpf parent-allow "/dev/null,/dev/zero,$A,$B" acl "$ACL" allow "$A" rw allow "$B" r apply spawn \
                open /dev/null ok open "$A" ok open "$B" ok open /dev/urandom EPERM \
                reap destroy
        drive bpf parent-allow "/dev/null,$A" acl "$ACL" apply spawn \
                open /dev/null ok open "$A" EPERM open /dev/zero EPERM reap destroy

        t_begin "bpf, delegated: supervisor and qemu leaves, both removed by destroy"
        delegated bpf "$V2" in-supervisor-leaf acl "$ACL" allow "$A" rw apply spawn in-cgroup \
                open "$A" ok open "$B" EPERM reap destroy
fi
if [ -e /sys/fs/cgroup/devices/devices.allow ]; then
        t_begin "v1, delegated: qemu child of our devices cgroup, removed by destroy"
        delegated v1 /sys/fs/cgroup/devices acl "$ACL" allow "$A" rw apply spawn in-cgroup \
                open "$A" ok open "$B" EPERM reap destroy

        # ACL entries the unit itself does not allow cannot be allowed in
        # the child (EPERM from the kernel): skipped, they stay denied.
        t_begin "v1, delegated: ACL entries outside the unit's list are skipped, stay denied"
        a_num=$(stat -L -c '%t:%T' "$A")
        a_num="$((16#${a_num%%:*})):$((16#${a_num##*:}))"
        PARENT_V1_ALLOW="c_1:3_rwm b_${a_num}_rwm" delegated v1 /sys/fs/cgroup/devices \
                acl "$ACL" allow "$A" rw apply spawn \
                open /dev/null ok open "$A" ok open /dev/zero EPERM open "$B" EPERM reap destroy
fi
t_begin "the fake unit cgroups can be removed (nothing left inside)"
for u in "${FAKE_UNITS[@]}"; do
        rmdir "$u" || t_fail "cannot remove $u"
done
FAKE_UNITS=()
t_pass

# Nothing left behind in any hierarchy.
t_begin "no vmunit cgroups left"
if ls -d /sys/fs/cgroup/devices/vmunit/cg-test-* /sys/fs/cgroup/unified/vmunit/cg-test-* \
        /sys/fs/cgroup/vmunit/cg-test-* 2>/dev/null | grep -q .; then
        t_fail "leftover cgroups"
else
        t_pass
fi

cleanup_loops
t_end
