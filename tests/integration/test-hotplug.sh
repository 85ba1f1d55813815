#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Disk hotplug on a real QEMU with the multiboot test guest, through the
# VM's D-Bus object on a private dbus-daemon and through vmctl: the guest
# sees the disk come (its `pci` word reports PCI bus 0 changes and ejects
# what QEMU asks to remove), GetXML / the live domain.xml / vmctl dumpxml
# follow, the image's owner never changes (QEMU's user gets no file: DAC
# hands out nothing for disks, which QEMU is to receive as fds), a block device
# enters and leaves the cgroup device ACL, failed attaches leave nothing
# behind, and every refusal is a named error with one clear line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dbus-lib.sh"

root=$(new_root)
chmod 0755 "$root"
mkdir -p "$root/img" "$root/run"
chmod 0755 "$root/img" "$root/run" # QEMU (nobody) must reach both
conf="shutdown_timeout = 3"
# As root, QEMU runs as nobody so owner changes show; without root the
# owner cannot change and the ACL does not exist (those checks are skipped).
[ $IS_ROOT = 1 ] && conf="$conf
user = nobody
group = nogroup"
echo "$conf" > "$root/etc/vmunit.conf"
start_bus "$(bus_config "$root" open)"

truncate -s 1M "$root/img/boot.img" "$root/img/hot.img" "$root/img/second.img"
qemu-img create -q -f qcow2 "$root/img/hot.qcow2" 1M
# Until QEMU receives its disks as fds (the qemufd work), QEMU (nobody)
# still opens them by path: let it, by their mode. DAC no longer hands
# disk images to QEMU's user.
chmod 0666 "$root"/img/*
boot_disk="<disk type='file' device='disk'><source file='$root/img/boot.img'/><target dev='vda' bus='virtio'/></disk>"

disk_xml() { # FILE TARGET [FORMAT] [TYPE]
        local attr=file
        [ "${4:-file}" = block ] && attr=dev
        echo "<disk type='${4:-file}' device='disk'><driver name='qemu' type='${3:-raw}'/><source $attr='$1'/><target dev='$2' bus='virtio'/></disk>"
}
owner() { stat -c %U "$1"; }
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
block_nodes() { bctl call "$DEST" /org/vmunit/vm org.vmunit.VM1 MonitorCommand s '{"execute":"query-named-block-nodes"}' 2>&1 || true; }
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

NAME=hp
t_begin "AttachDevice: the guest sees a virtio disk; GetXML, domain.xml and dumpxml show it; owner unchanged"
define_guest "$root" "$NAME" "acpi pci" "$boot_disk"
VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$root" "$NAME"
DEST=org.vmunit.vm.$NAME
if ! wait_log "$root" "$NAME" "state: running" || ! wait_log "$root" "$NAME" "pci watching"; then
        abort_vm; t_fail "guest did not start"; t_end; exit 1
fi
adds=$(guest_log "pci add")
out=$(call AttachDevice string:"$(disk_xml "$root/img/hot.img" vdb)")
if grep -q "^Error" <<<"$out"; then t_fail "AttachDevice: $out"
elif ! wait_count "pci add .* 1af4:1001" "$adds"; then
        t_fail "the guest saw no new virtio-blk device"
elif ! call GetXML | grep -q "<target dev='vdb' bus='virtio'/>"; then t_fail "GetXML lacks vdb"
elif ! grep -q "source file='$root/img/hot.img'" "$root/run/$NAME/domain.xml"; then t_fail "live domain.xml lacks vdb"
elif ! "$VMCTL" --root "$root" dumpxml "$NAME" | grep -q "<target dev='vdb'"; then t_fail "vmctl dumpxml lacks vdb"
elif [ $IS_ROOT = 1 ] && [ "$(owner "$root/img/hot.img")" != root ]; then
        t_fail "image owner $(owner "$root/img/hot.img"), want root (never chowned)"
else t_pass; fi

t_begin "bad fragments: InvalidArgs with the parser's line; unsupported buses: NotSupported; nothing changes"
before=$(live_xml)
ok=1
out=$(call AttachDevice string:"<disk type='file'>
<source file='$root/img/second.img'/></disk>")
expect_error "no target" org.vmunit.Error.InvalidArgs "$out" || ok=0
grep -q "AttachDevice:1: /disk: missing element 'target'" <<<"$out" || { ok=0; t_fail "message: $out"; }
out=$(call AttachDevice string:"<interface type='user'/>")
expect_error "interface" org.vmunit.Error.InvalidArgs "$out" || ok=0
grep -q "only <disk> can be attached" <<<"$out" || { ok=0; t_fail "message: $out"; }
out=$(call AttachDevice string:"<disk")
expect_error "malformed" org.vmunit.Error.InvalidArgs "$out" || ok=0
out=$(call AttachDevice string:"$(disk_xml "$root/img/missing.img" vdc)")
expect_error "missing source" org.vmunit.Error.InvalidArgs "$out" || ok=0
grep -q "No such file or directory" <<<"$out" || { ok=0; t_fail "message: $out"; }
out=$(call AttachDevice string:"$(disk_xml "$root/img/second.img" vda)")
expect_error "target in use" org.vmunit.Error.InvalidArgs "$out" || ok=0
out=$(call AttachDevice string:"$(disk_xml "$root/img/hot.img" vdc)")
expect_error "source in use" org.vmunit.Error.InvalidArgs "$out" || ok=0
out=$(call AttachDevice string:"<disk type='file'><source file='$root/img/second.img'/><target dev='sdb' bus='scsi'/></disk>")
expect_error "scsi" org.vmunit.Error.NotSupported "$out" || ok=0
out=$(call DetachDevice string:"$(disk_xml "$root/img/second.img" vdx)")
expect_error "detach unknown" org.vmunit.Error.InvalidArgs "$out" || ok=0
if [ $ok = 1 ] && [ "$(live_xml)" != "$before" ]; then
        t_fail "a refused call changed the live XML: $(diff <(echo "$before") <(live_xml))"
elif [ $ok = 1 ] && [ $IS_ROOT = 1 ] && [ "$(owner "$root/img/second.img")" != root ]; then
        t_fail "a refused call changed the owner of second.img"
elif [ $ok = 1 ]; then t_pass; fi

t_begin "QEMU refuses the format node: owner restored, block nodes removed, nothing in the live XML"
out=$(call AttachDevice string:"$(disk_xml "$root/img/second.img" vdc qcow2)")
nodes=$(block_nodes)
if ! expect_error "raw image as qcow2" org.vmunit.Error.Failed "$out"; then :
elif ! grep -q "QEMU refused blockdev-add (format node)" <<<"$out"; then t_fail "message: $out"
elif [ $IS_ROOT = 1 ] && [ "$(owner "$root/img/second.img")" != root ]; then
        t_fail "owner of second.img left at $(owner "$root/img/second.img")"
elif grep -q "second.img" <<<"$nodes"; then t_fail "block node left in QEMU: $nodes"
elif call GetXML | grep -q "vdc"; then t_fail "vdc in the live XML"
else t_pass; fi

t_begin "a qcow2 image attaches as qcow2 (node names stay unique after a failed attach)"
out=$(call AttachDevice string:"$(disk_xml "$root/img/hot.qcow2" vdc qcow2)")
if grep -q "^Error" <<<"$out"; then t_fail "AttachDevice: $out"
elif ! block_nodes | grep -q '\\"drv\\":\\"qcow2\\"'; then t_fail "no qcow2 node in QEMU: $(block_nodes)"
else t_pass; fi

t_begin "DetachDevice: the guest ejects, the disk leaves GetXML and domain.xml, owner restored"
dels=$(guest_log "pci del")
out=$(call DetachDevice string:"$(disk_xml "$root/img/hot.img" vdb)")
if grep -q "^Error" <<<"$out"; then t_fail "DetachDevice: $out"
elif ! wait_count "pci del" "$dels"; then t_fail "the guest saw no device go"
elif call GetXML | grep -q "<target dev='vdb'"; then t_fail "GetXML still has vdb"
elif grep -q "hot.img" "$root/run/$NAME/domain.xml"; then t_fail "domain.xml still has vdb"
elif block_nodes | grep -q "hot.img"; then t_fail "block nodes of vdb left: $(block_nodes)"
elif [ $IS_ROOT = 1 ] && [ "$(owner "$root/img/hot.img")" != root ]; then
        t_fail "owner of hot.img left at $(owner "$root/img/hot.img")"
else t_pass; fi

t_begin "the boot disk detaches too (its node names come from the command line)"
out=$(call DetachDevice string:"$boot_disk")
if grep -q "^Error" <<<"$out"; then t_fail "DetachDevice vda: $out"
elif block_nodes | grep -q "boot.img"; then t_fail "boot disk nodes left: $(block_nodes)"
elif call GetXML | grep -q "<target dev='vda'"; then t_fail "GetXML still has vda"
else t_pass; fi

t_begin "a block device: in the cgroup device ACL while attached, out after detach and after a failed attach"
if [ $IS_ROOT = 1 ] && loop=$(losetup --find --show "$root/img/second.img" 2>/dev/null); then
        majmin=$(printf '%d:%d' "0x$(stat -c %t "$loop")" "0x$(stat -c %T "$loop")")
        loop_mode=$(stat -c %a "$loop")
        chmod 0666 "$loop" # QEMU opens it by path until it receives fds (see above)
        acl=$(acl_file || true)
        out=$(call AttachDevice string:"$(disk_xml "$loop" vdd qcow2 block)")
        failed_acl=$([ -n "$acl" ] && grep -c "^b $majmin " "$acl" || true)
        failed_owner=$(owner "$loop")
        out2=$(call AttachDevice string:"$(disk_xml "$loop" vdd raw block)")
        in_acl=$([ -n "$acl" ] && grep -c "^b $majmin rw" "$acl" || true)
        in_owner=$(owner "$loop")
        out3=$(call DetachDevice string:"$(disk_xml "$loop" vdd raw block)")
        out_acl=$([ -n "$acl" ] && grep -c "^b $majmin " "$acl" || true)
        out_owner=$(owner "$loop")
        chmod "$loop_mode" "$loop"
        losetup -d "$loop"
        [ -z "$acl" ] && echo "    (no v1 devices cgroup to read: ACL lines not checked)"
        if ! expect_error "block as qcow2" org.vmunit.Error.Failed "$out"; then :
        elif [ "${failed_acl:-0}" != 0 ] || [ "$failed_owner" != root ]; then
                t_fail "failed attach left ACL entries ($failed_acl) or owner $failed_owner"
        elif grep -q "^Error" <<<"$out2"; then t_fail "AttachDevice block: $out2"
        elif [ -n "$acl" ] && [ "$in_acl" != 1 ]; then t_fail "b $majmin rw not in $acl: $(cat "$acl")"
        elif [ "$in_owner" != root ]; then t_fail "attached loop device owner $in_owner, want root (never chowned)"
        elif grep -q "^Error" <<<"$out3"; then t_fail "DetachDevice block: $out3"
        elif [ "${out_acl:-0}" != 0 ]; then t_fail "b $majmin still in the ACL after detach"
        elif [ "$out_owner" != root ]; then t_fail "loop device owner $out_owner after detach"
        else t_pass; fi
else
        echo "    skip: needs root and a free loop device"
        t_pass
fi

t_begin "vmctl attach-disk / detach-disk (relative SOURCE, raw unless --subdriver, qcow2 never guessed) and their one-line errors"
cd "$root/img"
out=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.img vde 2>&1) && rc=0 || rc=$?
xml=$(call GetXML)
if [ $rc != 0 ]; then t_fail "attach-disk exit $rc: $out"
elif ! grep -q "source file='$root/img/hot.img'" <<<"$xml"; then t_fail "GetXML: no absolute source for vde"
elif ! grep -q "<driver name='qemu' type='raw'/>" <<<"$xml"; then t_fail "not raw: $xml"
else
        e1=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" nope.img vdf 2>&1) && r1=0 || r1=$?
        e2=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.qcow2 vdc --subdriver qcow2 2>&1) && r2=0 || r2=$?
        e5=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.qcow2 vdf 2>&1) && r5=0 || r5=$?
        e3=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" detach-disk "$NAME" vdz 2>&1) && r3=0 || r3=$?
        e4=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.img xyz 2>&1) && r4=0 || r4=$?
        out=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" detach-disk "$NAME" vde 2>&1) && rc=0 || rc=$?
        bad=""
        one_line_error "$r1" "$e1" || bad="$bad [missing image: exit $r1: $e1]"
        one_line_error "$r2" "$e2" || bad="$bad [target in use: exit $r2: $e2]"
        one_line_error "$r3" "$e3" || bad="$bad [unknown target: exit $r3: $e3]"
        one_line_error "$r4" "$e4" || bad="$bad [bad target name: exit $r4: $e4]"
        one_line_error "$r5" "$e5" || bad="$bad [qcow2 without --subdriver: exit $r5: $e5]"
        if [ -n "$bad" ]; then t_fail "errors not one line with non-zero exit:$bad"
        elif ! grep -q "target 'vdc' is already in use" <<<"$e2"; then t_fail "in-use message: $e2"
        elif ! grep -q "looks like a qcow2 image; say --subdriver" <<<"$e5"; then t_fail "qcow2 guessed: $e5"
        elif [ $rc != 0 ]; then t_fail "detach-disk exit $rc: $out"
        elif call GetXML | grep -q "vde"; then t_fail "vde still in GetXML"
        elif ! out=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" detach-disk "$NAME" vdc 2>&1); then t_fail "detach vdc: $out"
        elif ! out=$(DBUS_SYSTEM_BUS_ADDRESS=$BUS "$VMCTL" attach-disk "$NAME" hot.qcow2 vdf --mode readonly --subdriver qcow2 2>&1); then
                t_fail "attach-disk qcow2: $out"
        elif ! live_xml | grep -A3 "<driver name='qemu' type='qcow2'/>" | grep -q "hot.qcow2"; then
                t_fail "qcow2 not attached as qcow2: $(live_xml)"
        elif ! live_xml | grep -B4 "<readonly/>" | grep -q "vdf"; then t_fail "--mode readonly lost: $(live_xml)"
        else t_pass; fi
fi
cd /

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
        out=$(call AttachDevice string:"$(disk_xml "$root/img/hot.img" vdb)")
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
        call AttachDevice string:"$(disk_xml "$root/img/hot.img" vdb)" >/dev/null
        # longer than the supervisor's 20 s wait for the guest
        dbus-send --bus="$BUS" --print-reply --reply-timeout=60000 --dest="$DEST" /org/vmunit/vm \
                org.vmunit.VM1.DetachDevice string:"$(disk_xml "$root/img/hot.img" vdb)" > "$root/detach.out" 2>&1 &
        det=$!
        wait_log "$root" "$NAME" "asking the guest to release it" 5
        busy=$(call AttachDevice string:"$(disk_xml "$root/img/second.img" vdc)")
        wait "$det" || true
        out=$(cat "$root/detach.out")
        xml=$(call GetXML)
        call Shutdown >/dev/null
        late=$(call AttachDevice string:"$(disk_xml "$root/img/second.img" vdc)")
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
t_begin "q35 machine types: NotSupported with a line that says why"
define_guest "$root" "$NAME" acpi
sed -i "s/machine='pc'/machine='q35'/" "$root/etc/domains/$NAME.xml"
VMUNIT_BUS_ADDRESS=$BUS start_supervisor "$root" "$NAME"
DEST=org.vmunit.vm.$NAME
if wait_log "$root" "$NAME" "state: running"; then
        out=$(call AttachDevice string:"$(disk_xml "$root/img/hot.img" vdb)")
        call Destroy >/dev/null
        wait_rc "$SUP_PID"
        if ! expect_error "attach on q35" org.vmunit.Error.NotSupported "$out"; then :
        elif ! grep -q "hotplug on q35 machine types is not supported" <<<"$out"; then t_fail "message: $out"
        elif [ $IS_ROOT = 1 ] && [ "$(owner "$root/img/hot.img")" != root ]; then t_fail "owner changed"
        else t_pass; fi
else
        abort_vm; t_fail "q35 guest did not start"
fi

stop_buses
remove_test_users
t_end
