#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Disk hotplug on the real host through AttachDevice(s xml, ah fds): vmctl
# attach-disk opens the image as the calling user and passes the fd; QEMU
# (vmunit-qemu, confined) gets an fd of its own in an fd set (add-fd,
# /dev/fdset/N), never the path.
#  - root: the guest sees a new PCI device; QEMU holds one rw fd of the
#    image; nothing on the image changes (owner, mode, ctime, xattrs: no
#    ACL, no record); the VM's AppArmor .files lists the fd's path.
#    detach-disk: the guest ejects it, QEMU's fd and fd set are gone,
#    .files forgets it. Errors are one line with a non-zero exit.
#  - vmctl -H root@localhost: no fds over SSH, root's path resolved once.
#  - a loop device by fd: the unit's DeviceAllow= gets /dev/block/MAJ:MIN
#    (the fd's st_rdev), never the path.
#  - a real member of group vmunit on the system bus: AttachDevice without
#    fds is refused; a read-only attach of a file it may read but not
#    write stays read-only (QEMU's fd O_RDONLY, qemu-io's write refused,
#    the file unchanged: review finding 4); and attach/detach rounds of
#    ~/d/img while flip-dirs swaps ~/d with a directory holding root's 0600
#    img never attach or touch root's file (finding 3).
# vmunit-test-timeout: 600
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

IMAGES=/var/lib/vmunit/images
UUID=4a5c7e10-0000-4000-8000-000000000070
FILES=/etc/apparmor.d/vmunit/vmunit-$UUID.files
NAME=hotplug
UNIT=vm@$NAME.service
BUS_NAME=org.vmunit.vm.$NAME
OBJ=/org/vmunit/vm
MEMBER=vmunit-hotplug-member # group vmunit
HOME_DIR=/var/lib/vmunit-test-hotplug
FLIP=/usr/local/lib/vmunit-test/flip-dirs
XATTRS=/usr/local/lib/vmunit-test/xattr-dump
FD_MODES=/usr/local/lib/vmunit-test/fd-modes
ROUNDS=${VMUNIT_HOTPLUG_RACE_ROUNDS:-40}

# What must never change on a file: owner, group, mode, ACL mark, ctime
# (a chown, chmod, ACL entry or xattr would move it), its xattrs.
file_state() { stat -c '%U:%G %A %z' "$1"; "$XATTRS" "$1" | tr '\n' ' '; }
# The same for a device node, without its times: udev touches the node of
# a block device after a writer closes it (its "watch" on block devices).
node_state() { stat -c '%U:%G %A' "$1"; "$XATTRS" "$1" | tr '\n' ' '; }
guest_says() { journalctl -b --no-pager -u "$UNIT" | grep -c "VMUNIT-TEST-GUEST: $1" || true; }
aa_on() { [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -d /etc/apparmor.d/vmunit ]; }
monitor() { busctl --system call "$BUS_NAME" "$OBJ" org.vmunit.VM1 MonitorCommand s "$1"; }
as_member() { runuser -u "$MEMBER" -- "$@"; }
# qemu_fd_modes FILE: the access modes (r, w, rw) of QEMU's fds on
# FILE's inode, each once; nothing when QEMU has none.
qemu_fd_modes() { "$FD_MODES" "$(qemu_pid_of "$NAME")" "$1"; }
# device_id TARGET / node_of TARGET: the QEMU device id and the block node
# number ("disk3") the supervisor gave the disk at its last attach.
attach_line() { journalctl -b --no-pager -u "$UNIT" | grep "AttachDevice: disk $1 (" | tail -n1; }
device_id() { attach_line "$1" | grep -o " as virtio-disk[0-9]*" | cut -c5-; }
node_of() { attach_line "$1" | grep -o "node disk[0-9]*-storage$" | sed 's/^node \(.*\)-storage$/\1/'; }
# wait_guest WORD N: the guest reported WORD more than N times.
wait_guest() {
        wait_for 60 sh -c "[ \$(journalctl -b --no-pager -u '$UNIT' | grep -c 'VMUNIT-TEST-GUEST: $1') -gt $2 ]"
}

step "a running VM whose guest watches PCI bus 0"
mkdir -p "$IMAGES" "$VMUNIT_DOMAINS"
truncate -s 1M "$IMAGES/hot.img"
chown daemon:daemon "$IMAGES/hot.img"
chmod 0640 "$IMAGES/hot.img"
hot_state=$(file_state "$IMAGES/hot.img")
test_vm_xml "$NAME" "acpi pci" | sed "s|<name>$NAME</name>|&<uuid>$UUID</uuid>|" >"$VMUNIT_DOMAINS/$NAME.xml"
systemctl daemon-reload
assert_success systemctl start "$UNIT"
wait_for 60 sh -c "journalctl -b --no-pager -u '$UNIT' | grep -q 'VMUNIT-TEST-GUEST: pci watching'"

step "vmctl attach-disk: the guest sees the disk, QEMU has its own rw fd in an fd set, the image is unchanged"
adds=$(guest_says "pci add .* 1af4:1001")
assert_success vmctl attach-disk "$NAME" "$IMAGES/hot.img" vdb
wait_guest "pci add .* 1af4:1001" "$adds"
assert_eq rw "$(qemu_fd_modes "$IMAGES/hot.img")" "QEMU's fds on hot.img"
node=$(node_of vdb)
assert_contains "$(monitor '{"execute":"query-fdsets"}')" "${node:-?}-storage" "QEMU's fd sets"
assert_eq "$hot_state" "$(file_state "$IMAGES/hot.img")" "hot.img while attached"
assert_contains "$(vmctl dumpxml "$NAME")" "<source file='$IMAGES/hot.img'/>" "live XML"
if aa_on; then
        assert_contains "$(cat "$FILES")" "$IMAGES/hot.img" "$FILES while attached"
else
        note "AppArmor not enabled in this test host: .files not checked"
fi

step "errors: one line, non-zero exit, nothing attached"
out=$(one_line_failure vmctl attach-disk "$NAME" "$IMAGES/missing.img" vdc)
assert_contains "$out" "No such file" "attach-disk of a missing image"
out=$(one_line_failure vmctl attach-disk "$NAME" "$IMAGES/hot.img" vdb)
assert_contains "$out" "already" "attach-disk to a target in use"
one_line_failure vmctl detach-disk "$NAME" vdq >/dev/null

step "vmctl detach-disk: the guest ejects it, QEMU lets go, .files forgets it, the image is unchanged"
dels=$(guest_says "pci del")
assert_success vmctl detach-disk "$NAME" vdb
wait_guest "pci del" "$dels"
assert_not_contains "$(vmctl dumpxml "$NAME")" "hot.img" "live XML after detach"
assert_eq "" "$(qemu_fd_modes "$IMAGES/hot.img")" "QEMU's fds on hot.img after detach"
assert_not_contains "$(monitor '{"execute":"query-fdsets"}')" "$node-storage" "QEMU's fd sets after detach"
assert_eq "$hot_state" "$(file_state "$IMAGES/hot.img")" "hot.img after detach"
if aa_on; then
        assert_not_contains "$(cat "$FILES")" "$IMAGES/hot.img" "$FILES after detach"
fi

step "vmctl -H root@localhost: no fd over SSH, root's path resolved once by the supervisor"
ssh_root_localhost
adds=$(guest_says "pci add .* 1af4:1001")
assert_success vmctl -H root@localhost attach-disk "$NAME" "$IMAGES/hot.img" vdb
wait_guest "pci add .* 1af4:1001" "$adds"
assert_contains "$(attach_line vdb)" "root's path" "journal"
assert_eq rw "$(qemu_fd_modes "$IMAGES/hot.img")" "QEMU's fds on hot.img (-H)"
dels=$(guest_says "pci del")
assert_success vmctl -H root@localhost detach-disk "$NAME" vdb
wait_guest "pci del" "$dels"
assert_eq "" "$(qemu_fd_modes "$IMAGES/hot.img")" "QEMU's fds on hot.img after the -H detach"
assert_eq "$hot_state" "$(file_state "$IMAGES/hot.img")" "hot.img after -H"

step "a loop device by fd: DeviceAllow= gets /dev/block/MAJ:MIN, QEMU its own rw fd, the node unchanged"
if loop=$(losetup --find --show "$IMAGES/hot.img" 2>/dev/null); then
        udevadm settle 2>/dev/null || true
        chmod 0600 "$loop"
        majmin=$(printf '%d:%d' "0x$(stat -c %t "$loop")" "0x$(stat -c %T "$loop")")
        loop_state=$(node_state "$loop")
        assert_success vmctl attach-disk "$NAME" "$loop" vdc
        assert_contains "$(vmctl dumpxml "$NAME")" "<source dev='$loop'/>" "live XML with the loop device"
        allow=$(unit_property "$UNIT" DeviceAllow)
        assert_contains "$allow" "/dev/block/$majmin rw" "DeviceAllow= of $UNIT"
        assert_not_contains "$allow" "$loop" "DeviceAllow= of $UNIT (by number, not by path)"
        assert_eq rw "$(qemu_fd_modes "$loop")" "QEMU's fds on $loop"
        assert_eq "$loop_state" "$(node_state "$loop")" "$loop while attached"
        assert_success vmctl detach-disk "$NAME" vdc
        assert_eq "" "$(qemu_fd_modes "$loop")" "QEMU's fds on $loop after detach"
        assert_eq "$loop_state" "$(node_state "$loop")" "$loop after detach"
        losetup -d "$loop"
else
        note "no loop device in this test host: block device case not run"
fi

step "a member of group vmunit: AttachDevice without fds is refused; nothing is opened for it"
id "$MEMBER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash --groups vmunit "$MEMBER"
rm -rf "$HOME_DIR"
install -d -m 0755 "$HOME_DIR"
rc=0
out=$(as_member busctl --system call "$BUS_NAME" "$OBJ" org.vmunit.VM1 AttachDevice sah \
        "<disk type='file' device='disk'><source file='$IMAGES/hot.img'/><target dev='vdd' bus='virtio'/></disk>" 0 2>&1) || rc=$?
assert_ne 0 "$rc" "a member's AttachDevice without fds"
assert_contains "$out" "pass the image as a file descriptor you opened" "a member's AttachDevice without fds"
assert_eq "" "$(qemu_fd_modes "$IMAGES/hot.img")" "QEMU's fds on hot.img after the refusal"

step "#4: a member's read-only attach of a file it may read but not write stays read-only"
head -c 1M /dev/urandom >"$HOME_DIR/ro.img"
chown root:vmunit "$HOME_DIR/ro.img"
chmod 0640 "$HOME_DIR/ro.img"
install -o "$MEMBER" -m 0600 /dev/null "$HOME_DIR/own.img"
truncate -s 1M "$HOME_DIR/own.img"
ro_state=$(file_state "$HOME_DIR/ro.img")
ro_sum=$(sha256sum <"$HOME_DIR/ro.img")
out=$(one_line_failure as_member vmctl attach-disk "$NAME" "$HOME_DIR/ro.img" vde)
assert_contains "$out" "you may not read and write" "a member's writable attach of ro.img"
assert_success as_member vmctl attach-disk "$NAME" "$HOME_DIR/ro.img" vde --mode readonly
assert_success as_member vmctl attach-disk "$NAME" "$HOME_DIR/own.img" vdf
assert_eq r "$(qemu_fd_modes "$HOME_DIR/ro.img")" "QEMU's fds on ro.img"
assert_eq "$ro_state" "$(file_state "$HOME_DIR/ro.img")" "ro.img while attached"
vmctl dumpxml "$NAME" | grep -B4 "<readonly/>" | grep -q "ro.img" || fail "ro.img is not <readonly/> in the live XML"
# Root's raw QMP (members get read-only queries only): qemu-io on the
# device's backend; QEMU prints what it did on its stdout, errors come back.
qio() {
        monitor "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"qemu-io -d /machine/peripheral/$(device_id "$1")/virtio-backend \\\"write -P 0x23 0 512\\\"\"}}"
}
assert_contains "$(qio vde)" "read-only" "qemu-io's write to the read-only disk"
qio vdf >/dev/null
assert_eq "23 23 23 23" "$(od -An -tx1 -N4 "$HOME_DIR/own.img" | xargs)" "the control write to the member's own disk"
assert_eq "$ro_sum" "$(sha256sum <"$HOME_DIR/ro.img")" "ro.img's content"
assert_success as_member vmctl detach-disk "$NAME" vde
assert_success as_member vmctl detach-disk "$NAME" vdf
assert_eq "$ro_state" "$(file_state "$HOME_DIR/ro.img")" "ro.img after detach"

step "#3: $ROUNDS rounds of a member's attach of ~/d/img while flip-dirs swaps ~/d with a directory holding root's img"
M=$HOME_DIR/m
install -d -o "$MEMBER" -m 0755 "$M" "$M/d"
install -d -m 0755 "$M/v"
install -o "$MEMBER" -m 0600 /dev/null "$M/d/img"
truncate -s 1M "$M/d/img"
{ echo "root's data"; head -c 65536 /dev/urandom; } >"$M/v/img"
chmod 0600 "$M/v/img"
# A second name for root's img, out of the flips' way, to find it among
# QEMU's fds whichever name it has at the moment.
ln "$M/v/img" "$HOME_DIR/victim"
victim_state=$(file_state "$HOME_DIR/victim")
victim_sum=$(sha256sum <"$HOME_DIR/victim")
qpid=$(qemu_pid_of "$NAME")
c0=$(journal_cursor)
runuser -u "$MEMBER" -- "$FLIP" "$M/d" "$M/v" 3600 >"$VMUNIT_TEST_ARTIFACTS/flips" &
flip_pid=$!
attached=0
refused=0
for i in $(seq "$ROUNDS"); do
        rc=0
        out=$(as_member vmctl attach-disk "$NAME" "$M/d/img" vdg 2>&1) || rc=$?
        [ -z "$("$FD_MODES" "$qpid" "$HOME_DIR/victim")" ] || { kill "$flip_pid"; fail "round $i: QEMU has root's img open"; }
        if [ $rc = 0 ]; then
                attached=$((attached + 1))
                out=$(as_member vmctl detach-disk "$NAME" vdg 2>&1) || { kill "$flip_pid"; fail "round $i: detach-disk: $out"; }
        elif [[ $out == *"you may not read and write"* ]]; then
                refused=$((refused + 1))
        else
                kill "$flip_pid"
                fail "round $i: attach-disk: $out"
        fi
done
kill "$flip_pid" 2>/dev/null || true
wait "$flip_pid" || true
flips=$(cat "$VMUNIT_TEST_ARTIFACTS/flips" 2>/dev/null || echo 0)
note "#3: $flips flips, $attached attach/detach rounds with the member's image, $refused opens of root's img refused by vmctl"
assert_not_contains "$(monitor '{"execute":"query-block"}')" "$M/" "query-block after the race"
assert_eq "$victim_state" "$(file_state "$HOME_DIR/victim")" "root's img after the race"
assert_eq "$victim_sum" "$(sha256sum <"$HOME_DIR/victim")" "root's img's content after the race"
journal=$(journalctl --no-pager -u "$UNIT" --after-cursor="$c0")
assert_not_contains "$journal" "hotplug refused" "the supervisor during the race"
assert_not_contains "$journal" "AttachDevice vdg failed" "the supervisor during the race"
[ "${flips:-0}" -ge 1000 ] || fail "only $flips flips: the race did not run"
[ "$attached" -ge 5 ] && [ "$refused" -ge 1 ] || fail "the race did not go both ways: $attached attached, $refused refused"

step "stop: exit clean, the image unchanged"
assert_success systemctl stop "$UNIT"
assert_eq 0 "$(exit_status_of "$UNIT")" "exit status"
assert_eq "$hot_state" "$(file_state "$IMAGES/hot.img")" "hot.img after stop"

rm -rf "$VMUNIT_DOMAINS/$NAME.xml" "$IMAGES/hot.img" "$HOME_DIR"
systemctl daemon-reload
echo ok
