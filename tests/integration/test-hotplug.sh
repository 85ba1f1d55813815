#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Disk hotplug on a real QEMU with the multiboot test guest, through the
# VM's D-Bus object on a private dbus-daemon and through vmctl: the guest
# sees the disk come (its `pci` word reports PCI bus 0 changes and ejects
# what QEMU asks to remove), GetXML / the live domain.xml / vmctl dumpxml
# follow. The image reaches the supervisor as an fd its caller opened
# (AttachDevice(s xml, ah fds)) and QEMU as an fd of its own (add-fd,
# /dev/fdset/N): the images here are root's 0600 and QEMU runs as nobody,
# so no path is opened for QEMU; nothing on an image changes (owner, mode,
# ctime: no ACL, no xattr); a block device enters and leaves the cgroup
# device ACL; failed attaches and detaches leave nothing behind in QEMU
# (block nodes, fd sets, fds) or on the host; every refusal is a named
# error with one clear line. As a real member of group vmunit: fds are
# required; a read-only attach of a file the member may only read stays
# read-only (#4); and a member racing flip-dirs against AttachDevice never
# gets root's file attached (#3).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dbus-lib.sh"

root=$(new_root)
chmod 0755 "$root"
mkdir -p "$root/img" "$root/run"
chmod 0755 "$root/img" "$root/run"
conf="shutdown_timeout = 3"
# As root, QEMU runs as nobody: it can open none of the images below by
# path, so what works, works through fds. Without root nothing changes
# identity (those checks are skipped).
[ $IS_ROOT = 1 ] && conf="$conf
user = nobody
group = nogroup"
echo "$conf" > "$root/etc/vmunit.conf"
start_bus "$(bus_config "$root" open)"
[ $IS_ROOT = 1 ] && ensure_test_users

truncate -s 1M "$root/img/boot.img" "$root/img/hot.img" "$root/img/second.img"
qemu-img create -q -f qcow2 "$root/img/hot.qcow2" 1M
chmod 0600 "$root"/img/*
boot_disk="<disk type='file' device='disk'><source file='$root/img/boot.img'/><target dev='vda' bus='virtio'/></disk>"

disk_xml() { # FILE TARGET [FORMAT] [TYPE] [EXTRA]
        local attr=file
        [ "${4:-file}" = block ] && attr=dev
        echo "<disk type='${4:-file}' device='disk'><driver name='qemu' type='${3:-raw}'/><source $attr='$1'/><target dev='$2' bus='virtio'/>${5:-}</disk>"
}
owner() { stat -c %U "$1"; }
# What must never change on an image: owner, group, mode, ctime (an ACL
# entry, an xattr or a chmod/chown would move it), and its xattrs.
file_state() {
        stat -c '%U:%G %a %z' "$1"
        /usr/bin/python3 -c 'import os, sys; print(sorted(os.listxattr(sys.argv[1])))' "$1"
}
# wait_count PATTERN N: the guest's log has more than N lines matching.
wait_count() {
        local tries=100
        while [ "$(guest_log "$1")" -le "$2" ] && [ $tries -gt 0 ]; do
                sleep 0.05
                tries=$((tries - 1))
        done
        [ $tries -gt 0 ]
}
# one_line_error EXIT OUTPUT: a failure said in exactly one line.
one_line_error() { [ "$1" != 0 ] && [ "$(wc -l <<<"$2")" = 1 ]; }
live_xml() { call GetXML | tail -n +2; } # without dbus-send's header line
guest_log() { grep -c -- "$1" "$root/log/$NAME.log" || true; }
monitor() { bctl call "$DEST" /org/vmunit/vm org.vmunit.VM1 MonitorCommand s "$1" 2>&1 || true; }
block_nodes() { monitor '{"execute":"query-named-block-nodes"}'; }
fdsets() { monitor '{"execute":"query-fdsets"}'; }
# node_file NODE: the file QEMU's block node NODE has open.
node_file() {
        block_nodes | /usr/bin/python3 -c 'import ast, json, sys
reply = json.loads(ast.literal_eval(sys.stdin.read().strip()[2:]))
print("".join(n["file"] for n in reply["return"] if n["node-name"] == sys.argv[1]))' "$1" 2>/dev/null
}
# attach XML [KIND:PATH]...: AttachDevice with those fds (none: root's path).
attach() { call_fd AttachDevice "$@"; }
# qemu_fd_modes FILE: the access modes (r, w, rw) of QEMU's fds on
# FILE's inode (the fd-set one and QEMU's dup of it), each once; nothing
# when QEMU has none.
qemu_fd_modes() { "$VMUNIT_FD_MODES" "$(qemu_pid_of "$QROOT" "$NAME")" "$1"; }
# device_id TARGET / node_of TARGET: the QEMU device id and the block node
# number ("disk3") the supervisor gave the disk at its last attach.
attach_line() { grep "AttachDevice: disk $1 (" "$QROOT/log/$NAME.log" | tail -n1; }
device_id() { attach_line "$1" | grep -o " as virtio-disk[0-9]*" | cut -c5-; }
node_of() { attach_line "$1" | grep -o "node disk[0-9]*-storage$" | sed 's/^node \(.*\)-storage$/\1/'; }
# qemu_io TARGET COMMAND: qemu-io on the disk's device (its virtio
# backend) through raw QMP (root's). QEMU prints what qemu-io did on its
# stdout; the reply carries only errors.
qemu_io() {
        monitor "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"qemu-io -d /machine/peripheral/$(device_id "$1")/virtio-backend \\\"$2\\\"\"}}"
}
# as_member_vmctl ARGS...: vmctl as the member, on our bus; its exit status.
as_member_vmctl() {
        DBUS_SYSTEM_BUS_ADDRESS=$BUS setpriv --reuid="$MEMBER" --regid="$(id -g "$MEMBER")" --init-groups \
                "$VMCTL" "$@" 2>&1
}
# QEMU's ACL as text (v1 devices cgroup), or nothing: a host where the
# supervisor found no writable hierarchy runs without one, and v2 keeps
# it in a BPF map.
acl_file() {
        local cg
        grep -q "running without a device ACL" "$root/log/$NAME.log" && return 1
        cg=$(sed -n 's/^[0-9]*:devices:\(.*\)$/\1/p' "/proc/$(qemu_pid_of "$root" "$NAME")/cgroup")
        [ -n "$cg" ] && [ "$cg" != / ] && [ -r "/sys/fs/cgroup/devices$cg/devices.list" ] &&
                echo "/sys/fs/cgroup/devices$cg/devices.list"
}
QROOT=$root

NAME=hp
t_begin "AttachDevice(xml, [fd]): the guest sees a virtio disk; QEMU has its own rw fd in a set; GetXML, domain.xml and dumpxml show it; the image unchanged"
define_guest "$root" "$NAME" "acpi pci" "$boot_disk"
VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$root" "$NAME"
DEST=org.vmunit.vm.$NAME
if ! wait_log "$root" "$NAME" "state: running" || ! wait_log "$root" "$NAME" "pci watching"; then
        abort_vm; t_fail "guest did not start"; t_end; exit 1
fi
adds=$(guest_log "pci add")
hot_state=$(file_state "$root/img/hot.img")
out=$(attach "$(disk_xml "$root/img/hot.img" vdb)" "rdwr:$root/img/hot.img")
if [ "$out" != ok ]; then t_fail "AttachDevice: $out"
elif ! wait_count "pci add .* 1af4:1001" "$adds"; then
        t_fail "the guest saw no new virtio-blk device"
elif ! call GetXML | grep -q "<target dev='vdb' bus='virtio'/>"; then t_fail "GetXML lacks vdb"
elif ! grep -q "source file='$root/img/hot.img'" "$root/run/$NAME/domain.xml"; then t_fail "live domain.xml lacks vdb"
elif ! "$VMCTL" --root "$root" dumpxml "$NAME" | grep -q "<target dev='vdb'"; then t_fail "vmctl dumpxml lacks vdb"
elif [ "$(qemu_fd_modes "$root/img/hot.img")" != rw ]; then t_fail "QEMU's fds on hot.img: '$(qemu_fd_modes "$root/img/hot.img")', want one rw"
elif ! fdsets | grep -q "disk1-storage"; then t_fail "no fd set for disk1-storage: $(fdsets)"
elif ! node_file disk1-storage | grep -qx "/dev/fdset/[0-9]*"; then
        t_fail "the protocol node opens '$(node_file disk1-storage)', not /dev/fdset/N"
elif [ "$(file_state "$root/img/hot.img")" != "$hot_state" ]; then
        t_fail "hot.img changed: $(file_state "$root/img/hot.img"), was $hot_state"
else t_pass; fi

t_begin "the <source> text of a call with an fd names nothing: the live XML records the fd's own path"
out=$(attach "$(disk_xml /etc/shadow vdc)" "rdwr:$root/img/second.img")
xml=$(live_xml)
out2=$(call DetachDevice string:"$(disk_xml /etc/shadow vdc)")
if [ "$out" != ok ]; then t_fail "AttachDevice: $out"
elif grep -q "/etc/shadow" <<<"$xml" || ! grep -q "source file='$root/img/second.img'" <<<"$xml"; then
        t_fail "live XML: $(grep -A2 "vdc\|shadow" <<<"$xml")"
elif grep -q "^Error" <<<"$out2"; then t_fail "DetachDevice: $out2"
elif [ -n "$(qemu_fd_modes "$root/img/second.img")" ]; then t_fail "QEMU keeps an fd on second.img"
else t_pass; fi

t_begin "bad fragments and sources: InvalidArgs with one line; unsupported buses: NotSupported; nothing changes"
before=$(live_xml)
sets_before=$(fdsets)
ok=1
out=$(attach "<disk type='file'>
<source file='$root/img/second.img'/></disk>")
expect_error "no target" org.vmunit.Error.InvalidArgs "$out" || ok=0
grep -q "AttachDevice:1: /disk: missing element 'target'" <<<"$out" || { ok=0; t_fail "message: $out"; }
out=$(attach "<interface type='user'/>")
expect_error "interface" org.vmunit.Error.InvalidArgs "$out" || ok=0
grep -q "only <disk> can be attached" <<<"$out" || { ok=0; t_fail "message: $out"; }
out=$(attach "<disk")
expect_error "malformed" org.vmunit.Error.InvalidArgs "$out" || ok=0
out=$(attach "$(disk_xml "$root/img/missing.img" vdc)")
expect_error "missing source (root's path)" org.vmunit.Error.InvalidArgs "$out" || ok=0
grep -q "No such file or directory" <<<"$out" || { ok=0; t_fail "message: $out"; }
out=$(attach "$(disk_xml "$root/img/second.img" vda)" "rdwr:$root/img/second.img")
expect_error "target in use" org.vmunit.Error.InvalidArgs "$out" || ok=0
out=$(attach "$(disk_xml "$root/img/hot.img" vdc)" "rdwr:$root/img/hot.img")
expect_error "source in use" org.vmunit.Error.InvalidArgs "$out" || ok=0
grep -q "already attached as 'vdb'" <<<"$out" || { ok=0; t_fail "message: $out"; }
# The same inode under another name: found by the fd, not by a path.
ln "$root/img/hot.img" "$root/img/hot-link.img"
out=$(attach "$(disk_xml "$root/img/hot-link.img" vdc)" "rdwr:$root/img/hot-link.img")
rm -f "$root/img/hot-link.img"
hot_state=$(file_state "$root/img/hot.img") # the link count moved its ctime
expect_error "source in use under another name" org.vmunit.Error.InvalidArgs "$out" || ok=0
out=$(attach "<disk type='file'><source file='$root/img/second.img'/><target dev='sdb' bus='scsi'/></disk>" "rdwr:$root/img/second.img")
expect_error "scsi" org.vmunit.Error.NotSupported "$out" || ok=0
out=$(call DetachDevice string:"$(disk_xml "$root/img/second.img" vdx)")
expect_error "detach unknown" org.vmunit.Error.InvalidArgs "$out" || ok=0
if [ $ok = 1 ] && [ "$(live_xml)" != "$before" ]; then
        t_fail "a refused call changed the live XML: $(diff <(echo "$before") <(live_xml))"
elif [ $ok = 1 ] && [ "$(fdsets)" != "$sets_before" ]; then t_fail "a refused call left an fd set: $(fdsets)"
elif [ $ok = 1 ] && [ -n "$(qemu_fd_modes "$root/img/second.img")" ]; then t_fail "QEMU has an fd on second.img"
elif [ $ok = 1 ] && [ $IS_ROOT = 1 ] && [ "$(owner "$root/img/second.img")" != root ]; then
        t_fail "a refused call changed the owner of second.img"
elif [ $ok = 1 ]; then t_pass; fi

t_begin "the fds must fit: one per <source>, opened for what the disk needs, a file or block device of the disk's type"
before=$(live_xml)
sets_before=$(fdsets)
second_state=$(file_state "$root/img/second.img")
mkfifo "$root/img/fifo"
ok=1
x=$(disk_xml "$root/img/second.img" vdc)
for c in "read-only fd for a writable disk|not open for reading and writing|read:$root/img/second.img" \
        "O_PATH fd|not open for reading and writing|opath:$root/img/second.img" \
        "a pipe|not a regular file or block device|pipe" \
        "two fds for one source|1 source(s) but 2 file descriptor(s)|rdwr:$root/img/second.img rdwr:$root/img/second.img" \
        "a regular file as type='block'|not a block device (use type='file')|rdwr:$root/img/second.img|block"; do
        IFS='|' read -r what want fds type <<<"$c"
        [ "$type" = block ] && xml=$(disk_xml "$root/img/second.img" vdc raw block) || xml=$x
        # shellcheck disable=SC2086
        out=$(attach "$xml" $fds)
        expect_error "$what" org.vmunit.Error.InvalidArgs "$out" || { ok=0; continue; }
        grep -qF -- "$want" <<<"$out" || { ok=0; t_fail "$what: message: $out"; }
        grep -q "disk 'vdc'\|AttachDevice:" <<<"$out" || { ok=0; t_fail "$what: the target is not named: $out"; }
done
out=$(attach "<disk type='file' device='disk'><target dev='vdc' bus='virtio'/></disk>" "rdwr:$root/img/second.img")
expect_error "an fd for a disk without source" org.vmunit.Error.InvalidArgs "$out" || ok=0
out=$(attach "$(disk_xml "$root/img/fifo" vdc)")
expect_error "a FIFO by root's path" org.vmunit.Error.InvalidArgs "$out" || ok=0
rm -f "$root/img/fifo"
if [ $ok = 1 ] && [ "$(live_xml)" != "$before" ]; then t_fail "a refused call changed the live XML"
elif [ $ok = 1 ] && [ "$(fdsets)" != "$sets_before" ]; then t_fail "a refused call left an fd set: $(fdsets)"
elif [ $ok = 1 ] && [ -n "$(qemu_fd_modes "$root/img/second.img")" ]; then t_fail "QEMU has an fd on second.img"
elif [ $ok = 1 ] && [ "$(file_state "$root/img/second.img")" != "$second_state" ]; then t_fail "second.img changed"
elif [ $ok = 1 ]; then t_pass; fi

t_begin "QEMU refuses the format node: block nodes, fd set, QEMU's fd and the host side undone, nothing in the live XML"
out=$(attach "$(disk_xml "$root/img/second.img" vdc qcow2)" "rdwr:$root/img/second.img")
node=$(node_of vdc)
nodes=$(block_nodes)
if ! expect_error "raw image as qcow2" org.vmunit.Error.Failed "$out"; then :
elif ! grep -q "QEMU refused blockdev-add (format node)" <<<"$out"; then t_fail "message: $out"
elif [ "$(file_state "$root/img/second.img")" != "$second_state" ]; then t_fail "second.img changed"
elif [ -z "$node" ] || grep -qF "\\\"$node-" <<<"$nodes"; then t_fail "block node ${node:-?} left in QEMU: $nodes"
elif fdsets | grep -qF "\\\"$node-storage"; then t_fail "fd set left in QEMU: $(fdsets)"
elif [ -n "$(qemu_fd_modes "$root/img/second.img")" ]; then t_fail "QEMU still has an fd on second.img"
elif call GetXML | grep -q "vdc"; then t_fail "vdc in the live XML"
else t_pass; fi

t_begin "a qcow2 image attaches as qcow2 (node names stay unique after a failed attach)"
out=$(attach "$(disk_xml "$root/img/hot.qcow2" vdc qcow2)" "rdwr:$root/img/hot.qcow2")
if [ "$out" != ok ]; then t_fail "AttachDevice: $out"
elif ! block_nodes | grep -q '\\"drv\\":\\"qcow2\\"'; then t_fail "no qcow2 node in QEMU: $(block_nodes)"
else t_pass; fi

t_begin "root without fds: the path is resolved once, QEMU still gets an fd of its own (read-only for <readonly/>)"
out=$(attach "$(disk_xml "$root/img/second.img" vdd raw file "<readonly/>")")
if [ "$out" != ok ]; then t_fail "AttachDevice without fds: $out"
elif [ "$(qemu_fd_modes "$root/img/second.img")" != r ]; then t_fail "QEMU's fds on second.img: '$(qemu_fd_modes "$root/img/second.img")', want one r"
elif ! grep -q "AttachDevice: disk vdd ($root/img/second.img, root's path)" "$root/log/$NAME.log"; then
        t_fail "log: $(grep "AttachDevice: disk vdd" "$root/log/$NAME.log")"
elif ! out=$(call DetachDevice string:"$(disk_xml "$root/img/second.img" vdd)") || grep -q "^Error" <<<"$out"; then
        t_fail "DetachDevice vdd: $out"
elif [ -n "$(qemu_fd_modes "$root/img/second.img")" ]; then t_fail "QEMU keeps an fd on second.img after the detach"
else t_pass; fi

t_begin "DetachDevice: the guest ejects, the disk leaves GetXML and domain.xml; block nodes, fd set and QEMU's fd go; the image unchanged"
dels=$(guest_log "pci del")
out=$(call DetachDevice string:"$(disk_xml "$root/img/hot.img" vdb)")
if grep -q "^Error" <<<"$out"; then t_fail "DetachDevice: $out"
elif ! wait_count "pci del" "$dels"; then t_fail "the guest saw no device go"
elif call GetXML | grep -q "<target dev='vdb'"; then t_fail "GetXML still has vdb"
elif grep -q "hot.img" "$root/run/$NAME/domain.xml"; then t_fail "domain.xml still has vdb"
elif block_nodes | grep -q "disk1-"; then t_fail "block nodes of vdb left: $(block_nodes)"
elif fdsets | grep -q "disk1-storage"; then t_fail "fd set of vdb left: $(fdsets)"
elif [ -n "$(qemu_fd_modes "$root/img/hot.img")" ]; then t_fail "QEMU keeps an fd on hot.img"
elif [ "$(file_state "$root/img/hot.img")" != "$hot_state" ]; then t_fail "hot.img changed: $(file_state "$root/img/hot.img")"
else t_pass; fi

t_begin "the boot disk detaches too (node names and fd set from the command line); QEMU lets go of it"
out=$(call DetachDevice string:"$boot_disk")
if grep -q "^Error" <<<"$out"; then t_fail "DetachDevice vda: $out"
elif block_nodes | grep -q "disk0-"; then t_fail "boot disk nodes left: $(block_nodes)"
elif fdsets | grep -q "disk0-storage"; then t_fail "boot disk fd set left: $(fdsets)"
elif [ -n "$(qemu_fd_modes "$root/img/boot.img")" ]; then t_fail "QEMU keeps an fd on boot.img"
elif call GetXML | grep -q "<target dev='vda'"; then t_fail "GetXML still has vda"
else t_pass; fi

t_begin "a block device by fd: QEMU's own rw fd, in the cgroup device ACL while attached, out after detach and after a failed attach"
if [ $IS_ROOT = 1 ] && loop=$(losetup --find --show "$root/img/second.img" 2>/dev/null); then
        majmin=$(printf '%d:%d' "0x$(stat -c %t "$loop")" "0x$(stat -c %T "$loop")")
        chmod 0600 "$loop"
        loop_state=$(stat -c '%U:%G %a' "$loop") # not its times: udev may touch the node
        acl=$(acl_file || true)
        out=$(attach "$(disk_xml "$loop" vdd qcow2 block)" "rdwr:$loop")
        failed_acl=$([ -n "$acl" ] && grep -c "^b $majmin " "$acl" || true)
        failed_fds=$(qemu_fd_modes "$loop")
        out2=$(attach "$(disk_xml "$loop" vdd raw block)" "rdwr:$loop")
        in_acl=$([ -n "$acl" ] && grep -c "^b $majmin rw" "$acl" || true)
        in_fds=$(qemu_fd_modes "$loop")
        in_xml=$(live_xml)
        out3=$(call DetachDevice string:"$(disk_xml "$loop" vdd raw block)")
        out_acl=$([ -n "$acl" ] && grep -c "^b $majmin " "$acl" || true)
        out_fds=$(qemu_fd_modes "$loop")
        out_state=$(stat -c '%U:%G %a' "$loop")
        losetup -d "$loop"
        [ -z "$acl" ] && echo "    (no v1 devices cgroup to read: ACL lines not checked)"
        if ! expect_error "block as qcow2" org.vmunit.Error.Failed "$out"; then :
        elif [ "${failed_acl:-0}" != 0 ] || [ -n "$failed_fds" ]; then
                t_fail "failed attach left ACL entries ($failed_acl) or QEMU fds ($failed_fds)"
        elif [ "$out2" != ok ]; then t_fail "AttachDevice block: $out2"
        elif [ -n "$acl" ] && [ "$in_acl" != 1 ]; then t_fail "b $majmin rw not in $acl: $(cat "$acl")"
        elif [ "$in_fds" != rw ]; then t_fail "QEMU's fds on $loop: '$in_fds', want one rw"
        elif ! grep -q "<source dev='$loop'/>" <<<"$in_xml"; then t_fail "live XML: no <source dev='$loop'/>"
        elif grep -q "^Error" <<<"$out3"; then t_fail "DetachDevice block: $out3"
        elif [ "${out_acl:-0}" != 0 ]; then t_fail "b $majmin still in the ACL after detach"
        elif [ -n "$out_fds" ]; then t_fail "QEMU keeps an fd on $loop: $out_fds"
        elif [ "$out_state" != "$loop_state" ]; then t_fail "$loop changed: $out_state, was $loop_state"
        else t_pass; fi
else
        echo "    skip: needs root and a free loop device"
        t_pass
fi

t_begin "vmctl attach-disk / detach-disk (relative SOURCE opened by vmctl, raw unless --subdriver, qcow2 never guessed) and their one-line errors"
cd "$root/img"
mkfifo "$root/img/fifo"
out=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.img vde 2>&1) && rc=0 || rc=$?
xml=$(call GetXML)
if [ $rc != 0 ]; then t_fail "attach-disk exit $rc: $out"
elif ! grep -q "source file='$root/img/hot.img'" <<<"$xml"; then t_fail "GetXML: no absolute source for vde"
elif ! grep -q "<driver name='qemu' type='raw'/>" <<<"$xml"; then t_fail "not raw: $xml"
elif [ "$(qemu_fd_modes "$root/img/hot.img")" != rw ]; then t_fail "QEMU's fds on hot.img: '$(qemu_fd_modes "$root/img/hot.img")'"
else
        e1=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" nope.img vdf 2>&1) && r1=0 || r1=$?
        e2=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.qcow2 vdc --subdriver qcow2 2>&1) && r2=0 || r2=$?
        e5=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.qcow2 vdf 2>&1) && r5=0 || r5=$?
        e3=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" detach-disk "$NAME" vdz 2>&1) && r3=0 || r3=$?
        e4=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.img xyz 2>&1) && r4=0 || r4=$?
        # A FIFO at SOURCE: refused at once, without blocking vmctl.
        e6=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS timeout 10 "$VMCTL" attach-disk "$NAME" fifo vdf 2>&1) && r6=0 || r6=$?
        e7=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" "$root/img" vdf 2>&1) && r7=0 || r7=$?
        out=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" detach-disk "$NAME" vde 2>&1) && rc=0 || rc=$?
        bad=""
        one_line_error "$r1" "$e1" || bad="$bad [missing image: exit $r1: $e1]"
        one_line_error "$r2" "$e2" || bad="$bad [target in use: exit $r2: $e2]"
        one_line_error "$r3" "$e3" || bad="$bad [unknown target: exit $r3: $e3]"
        one_line_error "$r4" "$e4" || bad="$bad [bad target name: exit $r4: $e4]"
        one_line_error "$r5" "$e5" || bad="$bad [qcow2 without --subdriver: exit $r5: $e5]"
        one_line_error "$r6" "$e6" || bad="$bad [FIFO: exit $r6: $e6]"
        one_line_error "$r7" "$e7" || bad="$bad [directory: exit $r7: $e7]"
        if [ -n "$bad" ]; then t_fail "errors not one line with non-zero exit:$bad"
        elif ! grep -q "target 'vdc' is already in use" <<<"$e2"; then t_fail "in-use message: $e2"
        elif ! grep -q "looks like a qcow2 image; say --subdriver" <<<"$e5"; then t_fail "qcow2 guessed: $e5"
        elif ! grep -q "'fifo' is not a regular file or block device" <<<"$e6"; then t_fail "FIFO message: $e6"
        elif [ $rc != 0 ]; then t_fail "detach-disk exit $rc: $out"
        elif call GetXML | grep -q "vde"; then t_fail "vde still in GetXML"
        elif ! out=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" detach-disk "$NAME" vdc 2>&1); then t_fail "detach vdc: $out"
        elif ! out=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.qcow2 vdf --mode readonly --subdriver qcow2 2>&1); then
                t_fail "attach-disk qcow2: $out"
        elif ! live_xml | grep -A3 "<driver name='qemu' type='qcow2'/>" | grep -q "hot.qcow2"; then
                t_fail "qcow2 not attached as qcow2: $(live_xml)"
        elif ! live_xml | grep -B4 "<readonly/>" | grep -q "vdf"; then t_fail "--mode readonly lost: $(live_xml)"
        elif [ "$(qemu_fd_modes "$root/img/hot.qcow2")" != r ]; then t_fail "QEMU's fds on hot.qcow2: '$(qemu_fd_modes "$root/img/hot.qcow2")', want one r"
        else t_pass; fi
fi
rm -f "$root/img/fifo"
cd /

t_begin "a member of group vmunit must pass fds: a path alone is InvalidArgs, nothing is opened for it"
if [ $IS_ROOT = 1 ]; then
        before=$(live_xml)
        out=$(as_user "$MEMBER" /usr/bin/python3 "$VMUNIT_TEST_HELPERS/bus-call-fd.py" "$BUS" "$DEST" AttachDevice \
                "$(disk_xml "$root/img/second.img" vdg)")
        if ! expect_error "a member's path without fds" org.vmunit.Error.InvalidArgs "$out"; then :
        elif ! grep -q "pass the image as a file descriptor you opened" <<<"$out"; then t_fail "message: $out"
        elif [ "$(live_xml)" != "$before" ]; then t_fail "the live XML changed"
        elif [ -n "$(qemu_fd_modes "$root/img/second.img")" ]; then t_fail "QEMU has an fd on second.img"
        else t_pass; fi
else
        echo "    skip: needs root (test users)"
        t_pass
fi

t_begin "#4: a member's read-only attach of a file it may read but not write: read-only, QEMU's fd O_RDONLY, nothing on the file changes, a write through QMP fails"
if [ $IS_ROOT = 1 ]; then
        # root:vmunit 0640: the member reads it through its group; QEMU's
        # user (nobody) cannot open it at all, and nobody may write it.
        head -c 1M /dev/urandom >"$root/img/ro.img"
        chown root:vmunit "$root/img/ro.img"
        chmod 0640 "$root/img/ro.img"
        install -o "$MEMBER" -m 0600 /dev/null "$root/img/own.img"
        truncate -s 1M "$root/img/own.img"
        ro_state=$(file_state "$root/img/ro.img")
        ro_sum=$(sha256sum <"$root/img/ro.img")
        e1=$(as_member_vmctl attach-disk "$NAME" "$root/img/ro.img" vdg) && r1=0 || r1=$?
        ro_out=$(as_member_vmctl attach-disk "$NAME" "$root/img/ro.img" vdg --mode readonly) && r2=0 || r2=$?
        own_out=$(as_member_vmctl attach-disk "$NAME" "$root/img/own.img" vdh) && r3=0 || r3=$?
        ro_fds=$(qemu_fd_modes "$root/img/ro.img")
        ro_attached=$(file_state "$root/img/ro.img")
        ro_write=$(qemu_io vdg "write -P 0x23 0 512")
        own_write=$(qemu_io vdh "write -P 0x23 0 512")
        own_head=$(od -An -tx1 -N4 "$root/img/own.img" | xargs)
        xml=$(live_xml)
        d1=$(as_member_vmctl detach-disk "$NAME" vdg) && r4=0 || r4=$?
        d2=$(as_member_vmctl detach-disk "$NAME" vdh) && r5=0 || r5=$?
        if ! one_line_error "$r1" "$e1" || ! grep -q "you may not read and write '$root/img/ro.img'" <<<"$e1"; then
                t_fail "a member's writable attach of ro.img: exit $r1: $e1"
        elif [ $r2 != 0 ]; then t_fail "a member's read-only attach: exit $r2: $ro_out"
        elif [ $r3 != 0 ]; then t_fail "a member's attach of its own image: exit $r3: $own_out"
        elif ! grep -B4 "<readonly/>" <<<"$xml" | grep -q "ro.img"; then t_fail "ro.img not read-only in the live XML: $xml"
        elif [ "$ro_attached" != "$ro_state" ]; then
                t_fail "ro.img changed while attached: $(head -n1 <<<"$ro_attached"), was $(head -n1 <<<"$ro_state")"
        elif [ "$ro_fds" != r ]; then t_fail "QEMU's fds on ro.img: '$ro_fds', want r only"
        elif ! grep -q "read-only" <<<"$ro_write"; then t_fail "qemu-io's write to the read-only disk: $ro_write"
        elif [ "$own_head" != "23 23 23 23" ]; then t_fail "the control write to the member's own disk did not land ($own_head): $own_write"
        elif [ "$(sha256sum <"$root/img/ro.img")" != "$ro_sum" ]; then t_fail "ro.img's content changed"
        elif [ "$(file_state "$root/img/ro.img")" != "$ro_state" ]; then
                t_fail "ro.img changed: $(file_state "$root/img/ro.img"), was $ro_state"
        elif [ $r4 != 0 ] || [ $r5 != 0 ]; then t_fail "the member's detach-disk: $d1 / $d2"
        elif [ "$(file_state "$root/img/ro.img")" != "$ro_state" ]; then t_fail "ro.img changed after the detach"
        else
                echo "    qemu-io write on the read-only disk: $(tr -d '\r' <<<"$ro_write" | tr '\n' ' ' | cut -c1-120)"
                t_pass
        fi
else
        echo "    skip: needs root (test users)"
        t_pass
fi

t_begin "Shutdown with a hotplugged disk: exit 0, every owner restored"
call Shutdown >/dev/null
wait_rc "$SUP_PID"
if [ "$RC" != 0 ]; then t_fail "exit $RC"
elif [ $IS_ROOT = 1 ] && [ "$(owner "$root/img/hot.qcow2")" != root ]; then t_fail "hot.qcow2 owner not restored"
else check_no_runtime_left "$root" "$NAME" && t_pass; fi

NAME=race
t_begin "a DetachDevice while QEMU's own deletion of the disk is being finished: refused, no crash (#11)"
# Deterministic: QEMU deletes the disk (a device_del on a second monitor
# of our own, the guest ejects) while the supervisor is stopped; QEMU is
# stopped before the supervisor goes on, so the supervisor's blockdev-del
# for that deletion stays unanswered while a DetachDevice for the same
# disk arrives; then QEMU goes on. The old code started the detach and
# crashed on its device_del reply (review finding 11).
mkdir -p "$root/tq" && chmod 1777 "$root/tq" # QEMU (nobody when we are root) binds it
tq=$root/tq/qmp.sock
guest_xml "$NAME" "acpi pci" | sed -e "s|<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
        -e "s|</domain>|<qemu:commandline><qemu:arg value='-qmp'/><qemu:arg value='unix:$tq,server=on,wait=off'/></qemu:commandline></domain>|" \
        > "$root/etc/domains/$NAME.xml"
VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$root" "$NAME"
DEST=org.vmunit.vm.$NAME
if wait_log "$root" "$NAME" "state: running" && wait_log "$root" "$NAME" "pci watching"; then
        out=$(attach "$(disk_xml "$root/img/hot.img" vdb)" "rdwr:$root/img/hot.img")
        id=$(grep -o "AttachDevice: disk vdb .* as virtio-disk[0-9]*" "$root/log/$NAME.log" | tail -n1 | grep -o "virtio-disk[0-9]*$")
        qpid=$(qemu_pid_of "$root" "$NAME")
        kill -STOP "$SUP_PID"
        # QEMU sends its events to every monitor: once ours has the
        # DEVICE_DELETED, the supervisor's socket has it too.
        { printf '{"execute":"qmp_capabilities"}\n{"execute":"device_del","arguments":{"id":"%s"}}\n' "$id"
          sleep 8; } | socat -t 1 - UNIX-CONNECT:"$tq" >"$root/tq.out" 2>&1 &
        tq_pid=$!
        for _ in $(seq 100); do grep -q '"DEVICE_DELETED".*"'"$id"'"\|"'"$id"'".*"DEVICE_DELETED"' "$root/tq.out" && break; sleep 0.05; done
        kill -STOP "$qpid"
        kill -CONT "$SUP_PID"
        wait_log "$root" "$NAME" "QEMU deleted device $id" 5 || true
        det=$(call DetachDevice string:"$(disk_xml "$root/img/hot.img" vdb)")
        kill -CONT "$qpid"
        sleep 0.5
        kill "$tq_pid" 2>/dev/null || true
        alive=1
        kill -0 "$SUP_PID" 2>/dev/null || alive=0
        for _ in $(seq 100); do call GetXML | grep -q "vdb" || break; sleep 0.05; done
        xml=$(call GetXML)
        [ $alive = 1 ] && call Shutdown >/dev/null
        wait_rc "$SUP_PID"
        if grep -q "^Error" <<<"$out"; then t_fail "AttachDevice: $out"
        elif [ $alive = 0 ]; then t_fail "the supervisor died (exit $RC): $(tail -n 3 "$root/supervisor.stderr")"
        elif ! expect_error "DetachDevice during the removal" org.vmunit.Error.Busy "$det"; then :
        elif grep -q "vdb" <<<"$xml"; then t_fail "vdb still in the live XML"
        elif [ "$RC" != 0 ]; then t_fail "exit $RC"
        else t_pass; fi
else
        abort_vm; t_fail "guest did not start"
fi

NAME=keep
t_begin "a guest that never releases: Busy meanwhile, then Timeout; the disk stays; InvalidState when stopping"
if start_vm "$root" "$NAME" "ignore-acpi pci-keep" && wait_log "$root" "$NAME" "pci watching"; then
        attach "$(disk_xml "$root/img/hot.img" vdb)" "rdwr:$root/img/hot.img" >/dev/null
        # longer than the supervisor's 20 s wait for the guest
        dbus-send --bus="$BUS" --print-reply --reply-timeout=60000 --dest="$DEST" /org/vmunit/vm \
                org.vmunit.VM1.DetachDevice string:"$(disk_xml "$root/img/hot.img" vdb)" > "$root/detach.out" 2>&1 &
        det=$!
        wait_log "$root" "$NAME" "asking the guest to release it" 5
        busy=$(attach "$(disk_xml "$root/img/second.img" vdc)" "rdwr:$root/img/second.img")
        wait "$det" || true
        out=$(cat "$root/detach.out")
        xml=$(call GetXML)
        call Shutdown >/dev/null
        late=$(attach "$(disk_xml "$root/img/second.img" vdc)" "rdwr:$root/img/second.img")
        call Destroy >/dev/null
        wait_rc "$SUP_PID"
        if [ "$RC" != 0 ]; then t_fail "exit $RC after Destroy: $(tail -5 "$root/supervisor.stderr")"
        elif ! expect_error "attach during detach" org.vmunit.Error.Busy "$busy"; then :
        elif ! expect_error "guest keeps the disk" org.vmunit.Error.Timeout "$out"; then :
        elif ! grep -q "the guest did not release the disk" <<<"$out"; then t_fail "message: $out"
        elif ! grep -q "<target dev='vdb'" <<<"$xml"; then t_fail "vdb left the live XML after the timeout"
        elif ! expect_error "attach while shutting down" org.vmunit.Error.InvalidState "$late"; then :
        elif [ $IS_ROOT = 1 ] && [ "$(owner "$root/img/hot.img")" != root ]; then
                t_fail "hot.img owner not restored at stop"
        else t_pass; fi
else
        abort_vm; t_fail "guest did not start"
fi

NAME=q35
t_begin "q35: a disk goes into a spare pcie-root-port (the live XML says which, QEMU lists it); a second one into another"
define_guest "$root" "$NAME" acpi
sed -i "s/machine='pc'/machine='q35'/" "$root/etc/domains/$NAME.xml"
VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$root" "$NAME"
DEST=org.vmunit.vm.$NAME
if wait_log "$root" "$NAME" "state: running"; then
        ports=$(live_xml | grep -c "model='pcie-root-port'")
        out=$(attach "$(disk_xml "$root/img/hot.img" vdb)" "rdwr:$root/img/hot.img")
        xml=$(live_xml)
        # The bus the live XML gives vdb, and what QEMU says is on it.
        bus=$(awk "/<target dev='vdb'/{f=1} f && /<address type='pci'/{print; exit}" <<<"$xml" |
                sed -n "s/.* bus='0x\([0-9a-f]*\)'.*/\1/p")
        pci=$(monitor '{"execute":"query-pci"}')
        out2=$(attach "$(disk_xml "$root/img/second.img" vdc)" "rdwr:$root/img/second.img")
        bus2=$(live_xml | awk "/<target dev='vdc'/{f=1} f && /<address type='pci'/{print; exit}" |
                sed -n "s/.* bus='0x\([0-9a-f]*\)'.*/\1/p")
        call Destroy >/dev/null
        wait_rc "$SUP_PID"
        if [ "$out" != ok ]; then t_fail "AttachDevice on q35: $out"
        elif [ -z "$bus" ] || [ "$bus" = 00 ]; then t_fail "vdb has no root-port address in the live XML: $xml"
        elif ! grep -q "virtio-disk1" <<<"$pci"; then
                t_fail "query-pci lacks virtio-disk1: $pci"
        elif [ "$out2" != ok ]; then t_fail "second AttachDevice on q35: $out2"
        elif [ -z "$bus2" ] || [ "$bus2" = "$bus" ]; then t_fail "vdc went to bus '$bus2' (vdb is on $bus)"
        elif [ "$ports" -lt 2 ]; then t_fail "the live XML lists $ports pcie-root-ports, want spares"
        else t_pass; fi
else
        abort_vm; t_fail "q35 guest did not start"
fi

NAME=flip
t_begin "#3: a member attaches ~/d/img while flip-dirs swaps ~/d with a directory holding root's 0600 img: root's file is never attached or touched"
if [ $IS_ROOT = 1 ]; then
        # QEMU runs as root for this VM (no user= in this root's
        # vmunit.conf): whatever a path resolved by the supervisor or QEMU
        # reached, QEMU could open. The member's vmctl opens the image as
        # the member; the old path API checked the member's access on one
        # resolution and had QEMU open another.
        froot=$(new_root)
        chmod 0755 "$froot"
        echo "shutdown_timeout = 3" >"$froot/etc/vmunit.conf"
        install -d -o "$MEMBER" -m 0755 "$froot/m" "$froot/m/d"
        install -d -m 0755 "$froot/m/v"
        install -o "$MEMBER" -m 0600 /dev/null "$froot/m/d/img"
        truncate -s 1M "$froot/m/d/img"
        { echo "root's data"; head -c 65536 /dev/urandom; } >"$froot/m/v/img"
        chmod 0600 "$froot/m/v/img"
        # A second name for root's img, out of the flips' way, to find it
        # among QEMU's fds whichever name it has at the moment.
        ln "$froot/m/v/img" "$froot/victim"
        victim_state=$(file_state "$froot/victim")
        victim_sum=$(sha256sum <"$froot/victim")
        QROOT=$froot
        define_guest "$froot" "$NAME" "acpi pci"
        VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$froot" "$NAME"
        DEST=org.vmunit.vm.$NAME
        if wait_log "$froot" "$NAME" "state: running" && wait_log "$froot" "$NAME" "pci watching"; then
                qpid=$(qemu_pid_of "$froot" "$NAME")
                setpriv --reuid="$MEMBER" --regid="$(id -g "$MEMBER")" --init-groups \
                        "$VMUNIT_FLIP_DIRS" "$froot/m/d" "$froot/m/v" 600 >"$froot/flips" &
                flip_pid=$!
                attached=0 refused=0 bad=""
                for i in $(seq "${VMUNIT_HOTPLUG_RACE_ROUNDS:-300}"); do
                        out=$(as_member_vmctl attach-disk "$NAME" "$froot/m/d/img" vdb) && rc=0 || rc=$?
                        if [ -n "$("$VMUNIT_FD_MODES" "$qpid" "$froot/victim")" ]; then
                                bad="round $i: QEMU has root's img open"
                                break
                        fi
                        if [ $rc = 0 ]; then
                                attached=$((attached + 1))
                                out=$(as_member_vmctl detach-disk "$NAME" vdb) || { bad="round $i: detach: $out"; break; }
                        elif grep -q "you may not read and write" <<<"$out"; then
                                refused=$((refused + 1))
                        else
                                bad="round $i: attach-disk: $out"
                                break
                        fi
                done
                kill "$flip_pid" 2>/dev/null || true
                wait "$flip_pid" || true
                flips=$(cat "$froot/flips" 2>/dev/null || echo 0)
                blocks=$(monitor '{"execute":"query-block"}')
                failures=$(grep -c "AttachDevice vdb failed\|hotplug refused" "$froot/log/$NAME.log" || true)
                echo "    $flips flips, $attached attach/detach rounds with the member's image, $refused opens refused (root's img)"
                call Destroy >/dev/null
                wait_rc "$SUP_PID"
                if [ -n "$bad" ]; then t_fail "$bad"
                elif grep -q "/m/v/img\|root's data" <<<"$blocks"; then t_fail "query-block shows root's img: $blocks"
                elif [ "$(file_state "$froot/victim")" != "$victim_state" ]; then
                        t_fail "root's img changed: $(file_state "$froot/victim"), was $victim_state"
                elif [ "$(sha256sum <"$froot/victim")" != "$victim_sum" ]; then t_fail "root's img was written to"
                elif [ "$failures" != 0 ]; then
                        t_fail "the supervisor refused or failed $failures attaches: $(grep "AttachDevice vdb failed\|hotplug refused" "$froot/log/$NAME.log" | head -n 3)"
                elif [ "${flips:-0}" -lt 1000 ] || [ $attached -lt 50 ] || [ $refused -lt 1 ]; then
                        t_fail "the race did not run both ways: $flips flips, $attached attached, $refused refused"
                else t_pass; fi
        else
                abort_vm; t_fail "guest did not start"
        fi
        QROOT=$root
else
        echo "    skip: needs root (test users)"
        t_pass
fi

stop_buses
remove_test_users
t_end
