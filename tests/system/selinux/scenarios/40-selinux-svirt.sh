#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# SELinux sVirt in the SELinux test-host variant (tests/system/selinux/),
# enforcing, on a host set up by the README's steps only (the runner ran
# vmunit-setup after the install; nothing here loads or labels by hand,
# and virt_use_execmem stays off):
#  - a TCG guest's QEMU runs as svirt_tcg_t, a KVM guest's (KVM nested in
#    the TCG test host) as svirt_t, which has no execmem; each with its
#    own category pair, which its exclusive disk carries; the shared disk
#    has the shared image context, the read-only one and the kernel (in
#    /var/lib/vmunit/boot) the content context;
#  - MCS keeps one VM's QEMU away from the other's disk;
#  - after a clean stop, and after `systemctl kill -s KILL` of the whole
#    unit, every label is the original again and no pair stays reserved;
#  - a kernel elsewhere whose type the supervisor may not relabel is
#    refused with one line naming its path, its type and the fix, exit 2,
#    and the fix works;
#  - vmunit keeps nothing in bare /run, and its runtime files carry the
#    module's type;
#  - no SELinux denial for QEMU, the supervisor or vmctl, except those
#    the attacks above provoke, which are exactly the expected ones.
# vmunit-test-timeout: 420
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

IMG=/var/lib/vmunit/images/se-test
BOOT=/var/lib/vmunit/boot
KERNEL=$BOOT/se-guest.elf
ELSEWHERE=/var/lib/se-elsewhere
cleanup() {
        systemctl stop vm@se-a.service vm@se-b.service vm@se-c.service >/dev/null 2>&1 || true
        systemctl reset-failed vm@se-c.service >/dev/null 2>&1 || true
        setenforce 0 2>/dev/null || true
        rm -rf "$IMG" "$KERNEL" "$ELSEWHERE" "$VMUNIT_DOMAINS"/se-[abc].xml
        systemctl daemon-reload
}
trap cleanup EXIT

label_of() { stat -c %C "$1"; }
type_of() { stat -c %C "$1" | cut -d: -f3; }

# se_vm_xml NAME DISK TYPE: a second QMP monitor per VM, ours, for the
# cross-VM check; the kernel from the boot directory.
se_vm_xml() {
        test_vm_xml "$1" acpi "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$IMG/$2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$IMG/shared.img'/><target dev='vdb' bus='virtio'/><shareable/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$IMG/ro.img'/><target dev='vdc' bus='virtio'/><readonly/></disk>" |
                sed "s|<kernel>.*</kernel>|<kernel>$KERNEL</kernel>|" | with_test_monitor "$1" |
                sed "s|^<domain type='qemu'|<domain type='$3'|"
}

# qemu_pair NAME TYPE: the pair of NAME's QEMU, failing unless it runs as TYPE with one.
qemu_pair() {
        local l p
        l=$(proc_label "$(qemu_pid_of "$1")")
        p=$(sed -n "s/^system_u:system_r:$2:s0:\(c[0-9]*,c[0-9]*\)\$/\1/p" <<<"$l")
        [ -n "$p" ] || fail "$1's QEMU is not $2 with a pair: $l"
        echo "$p"
}

# poll_journal SECONDS UNIT CURSOR TEXT: TEXT appears in UNIT's journal after CURSOR.
poll_journal() {
        local deadline=$(($(date +%s) + $1))
        until journalctl --no-pager -u "$2" --after-cursor="$3" | grep -q -F -- "$4"; do
                [ "$(date +%s)" -lt "$deadline" ] || return 1
                sleep 0.2
        done
}

# no_vmunit_denials WHAT: none for QEMU, the supervisor or vmctl since the mark.
no_vmunit_denials() {
        local out
        out=$(vmunit_avcs_since_mark)
        [ -z "$out" ] || { echo "$out"; fail "$1: $(wc -l <<<"$out") denial(s) for QEMU, the supervisor or vmctl (above)"; }
}

step "the README's setup step left SELinux ready: module loaded, files labelled, virt_use_execmem off"
[ -e /sys/fs/selinux/enforce ] || fail "SELinux is not enabled (boot the selinux test-host variant)"
echo "scenario context: $(id -Z)"
grep -E '^\+ |vmunit-setup:' "$VMUNIT_TEST_DIR/results/install.log" || true
semodule -l | grep -qx vmunit || fail "the policy module vmunit is not loaded after vmunit-setup"
ls -Zd /usr/libexec/vmunit/vmunit-supervisor /etc/vmunit /run/vmunit /var/lib/vmunit /var/lib/vmunit/images "$BOOT"
assert_eq vmunit_supervisor_exec_t "$(type_of /usr/libexec/vmunit/vmunit-supervisor)" "supervisor's type"
assert_eq virt_runtime_t "$(type_of /run/vmunit)" "/run/vmunit's type"
assert_eq virt_image_t "$(type_of /var/lib/vmunit/images)" "the image directory's type"
assert_eq virt_content_t "$(type_of "$BOOT")" "the boot directory's type"
assert_eq "virt_use_execmem --> off" "$(getsebool virt_use_execmem)" "virt_use_execmem"
KVM_TYPE=$(head -n1 /etc/selinux/default/contexts/virtual_domain_context | cut -d: -f3)
# A policy's own TCG domain is its second line; Debian's has none, and
# then it is the one vmunit's module declares.
TCG_TYPE=$(sed -n 2p /etc/selinux/default/contexts/virtual_domain_context | cut -d: -f3)
TCG_TYPE=${TCG_TYPE:-svirt_tcg_t}
IMAGE_CTX=$(head -n1 /etc/selinux/default/contexts/virtual_image_context)
CONTENT_CTX=$(sed -n 2p /etc/selinux/default/contexts/virtual_image_context)
echo "virtual_domain_context: $(tr '\n' ' ' </etc/selinux/default/contexts/virtual_domain_context)"
echo "virtual_image_context: $(tr '\n' ' ' </etc/selinux/default/contexts/virtual_image_context)"

step "vmctl capabilities: $KVM_TYPE for KVM guests, $TCG_TYPE for TCG guests"
caps=$(vmctl capabilities --xml)
grep -E 'secmodel|model>|baselabel' <<<"$caps"
assert_contains "$caps" "<baselabel type=\"kvm\">system_u:system_r:$KVM_TYPE:s0</baselabel>" "capabilities"
assert_contains "$caps" "<baselabel type=\"qemu\">system_u:system_r:$TCG_TYPE:s0</baselabel>" "capabilities"

step "the loaded policy: $TCG_TYPE may use execmem, $KVM_TYPE may not"
av_kvm=$(compute_av "system_u:system_r:$KVM_TYPE:s0:c1,c2" "system_u:system_r:$KVM_TYPE:s0:c1,c2" process)
av_tcg=$(compute_av "system_u:system_r:$TCG_TYPE:s0:c1,c2" "system_u:system_r:$TCG_TYPE:s0:c1,c2" process)
echo "$KVM_TYPE: $av_kvm"
echo "$TCG_TYPE: $av_tcg"
assert_not_contains "$(grep '^allowed' <<<"$av_kvm")" execmem "$KVM_TYPE's process permissions"
assert_contains "$(grep '^allowed' <<<"$av_tcg")" execmem "$TCG_TYPE's process permissions"
assert_not_contains "$(grep '^allowed' <<<"$av_tcg")" execstack "$TCG_TYPE's process permissions"

step "KVM in the test host (nested SVM, emulated by the TCG that runs it)"
# The test host's hardware, not vmunit's setup: a real host loads its KVM
# module at boot.
[ -e /dev/kvm ] || modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null || true
[ -c /dev/kvm ] || fail "no /dev/kvm in the test host: $(grep -o -w -m1 -E 'svm|vmx' /proc/cpuinfo || echo 'no svm/vmx')"
ls -lZ /dev/kvm

step "two VMs, se-a TCG and se-b KVM: an exclusive disk each, one shared, one read-only, the kernel from $BOOT"
assert_success setenforce 1
note "SELinux $(getenforce)"
mark_avcs
rm -rf "$IMG"
mkdir -p "$IMG"
truncate -s 1M "$IMG/a.img" "$IMG/b.img" "$IMG/shared.img" "$IMG/ro.img"
# Not to our stdout: setfiles_t may not write the payload disk.
restorecon -RF "$IMG" >/dev/null 2>&1
# Copied in as an admin would: it gets the directory's type, nothing else.
cp "$VMUNIT_TEST_GUEST" "$KERNEL"
assert_eq "$CONTENT_CTX" "$(label_of "$KERNEL")" "a kernel copied into $BOOT"
declare -A before
for f in a.img b.img shared.img ro.img; do before[$f]=$(label_of "$IMG/$f"); done
before[kernel]=$(label_of "$KERNEL")
echo "before: ${before[*]}"
mkdir -p "$VMUNIT_DOMAINS"
se_vm_xml se-a a.img qemu >"$VMUNIT_DOMAINS/se-a.xml"
se_vm_xml se-b b.img kvm >"$VMUNIT_DOMAINS/se-b.xml"
systemctl daemon-reload
if ! systemctl start vm@se-a.service vm@se-b.service; then
        journalctl -b --no-pager -n 40 -u vm@se-a.service -u vm@se-b.service
        avcs_since_mark
        fail "starting the VMs failed"
fi
assert_unit_state vm@se-a.service active
assert_unit_state vm@se-b.service active

step "se-a's QEMU runs as $TCG_TYPE, se-b's (KVM) as $KVM_TYPE, with distinct pairs; images carry them"
ps -eZ | grep -E 'qemu|vmunit' || true
echo "supervisor: $(proc_label "$(systemctl show -P MainPID vm@se-a.service)")"
pa=$(qemu_pair se-a "$TCG_TYPE")
pb=$(qemu_pair se-b "$KVM_TYPE")
echo "se-a QEMU: $(proc_label "$(qemu_pid_of se-a)")"
echo "se-b QEMU: $(proc_label "$(qemu_pid_of se-b)")"
assert_contains "$(tr '\0' ' ' <"/proc/$(qemu_pid_of se-b)/cmdline")" "-accel kvm" "se-b's QEMU"
assert_contains "$(tr '\0' ' ' <"/proc/$(qemu_pid_of se-a)/cmdline")" "-accel tcg" "se-a's QEMU"
assert_ne "$pa" "$pb" "the two VMs' category pairs"
ls -Z "$IMG" "$KERNEL"
assert_eq "$IMAGE_CTX:$pa" "$(label_of "$IMG/a.img")" "se-a's disk"
assert_eq "$IMAGE_CTX:$pb" "$(label_of "$IMG/b.img")" "se-b's disk"
assert_eq "$IMAGE_CTX" "$(label_of "$IMG/shared.img")" "shared disk"
assert_eq "$CONTENT_CTX" "$(label_of "$IMG/ro.img")" "read-only disk"
assert_eq "$CONTENT_CTX" "$(label_of "$KERNEL")" "kernel"
assert_file "/var/lib/vmunit/labels/mcs/$pa"
assert_file "/var/lib/vmunit/labels/mcs/$pb"
wait_for 60 sh -c 'journalctl -b --no-pager -u vm@se-a.service | grep -q "VMUNIT-TEST-GUEST: waiting for ACPI"'
wait_for 60 sh -c 'journalctl -b --no-pager -u vm@se-b.service | grep -q "VMUNIT-TEST-GUEST: waiting for ACPI"'

step "se-a's QEMU holds its files as fds, its command line names none"
out=$(for f in /proc/"$(qemu_pid_of se-a)"/fd/*; do readlink "$f"; done)
for f in "$IMG/a.img" "$IMG/shared.img" "$IMG/ro.img" "$KERNEL"; do
        assert_contains "$out" "$f" "se-a's fds"
        assert_not_contains "$(tr '\0' ' ' <"/proc/$(qemu_pid_of se-a)/cmdline")" "$f" "se-a's command line"
done
assert_contains "$out" /run/vmunit/se-a/console.log "se-a's fds"
no_vmunit_denials "starting a TCG and a KVM guest"

step "MCS keeps se-a's QEMU away from se-b's disk"
out=$(blockdev_add se-a steal "$IMG/b.img" ',"locking":"off"')
echo "se-a opens b.img: $out"
assert_contains "$out" "Permission denied" "blockdev-add of B's disk from A"
out=$(blockdev_add se-b own "$IMG/b.img" ',"locking":"off"')
echo "se-b opens b.img: $out"
assert_eq '{"return": {}}' "$out" "blockdev-add of B's disk from B"
out=$(blockdev_add se-a shadow /etc/shadow ',"locking":"off"')
echo "se-a opens /etc/shadow: $out"
assert_contains "$out" "Permission denied" "blockdev-add of /etc/shadow from A"
# Written through its fd, never opened by QEMU itself.
out=$(blockdev_add se-a clog /run/vmunit/se-a/console.log ',"locking":"off"')
echo "se-a opens its console log by path: $out"
assert_contains "$out" "Permission denied" "blockdev-add of A's console log from A"
# The attacks are denied, and audited; nothing else is.
out=$(vmunit_avcs_since_mark)
echo "$out"
assert_contains "$out" "name=\"b.img\"" "the denial of B's disk to A"
assert_eq "" "$(grep -v -E 'name="(b\.img|shadow|console\.log)"' <<<"$out" || true)" "other denials during the attacks"
mark_avcs

step "clean stop of se-a: its labels back, the shared disk and the kernel stay for se-b"
assert_success systemctl stop vm@se-a.service
assert_eq "${before[a.img]}" "$(label_of "$IMG/a.img")" "se-a's disk after stop"
assert_eq "$IMAGE_CTX" "$(label_of "$IMG/shared.img")" "shared disk while se-b runs"
assert_eq "$CONTENT_CTX" "$(label_of "$KERNEL")" "kernel while se-b runs"
[ ! -e "/var/lib/vmunit/labels/mcs/$pa" ] || fail "pair $pa still reserved"

step "systemctl kill -s KILL of se-b: ExecStopPost restores everything"
assert_success systemctl kill -s KILL vm@se-b.service
stopped() { case $(unit_state vm@se-b.service) in inactive | failed) return 0 ;; *) return 1 ;; esac; }
wait_for 60 stopped
systemctl reset-failed vm@se-b.service 2>/dev/null || true
ls -Z "$IMG" "$KERNEL"
for f in a.img b.img shared.img ro.img; do
        assert_eq "${before[$f]}" "$(label_of "$IMG/$f")" "$f after the kill"
done
assert_eq "${before[kernel]}" "$(label_of "$KERNEL")" "the kernel after the kill"
assert_eq "" "$(ls /var/lib/vmunit/labels/mcs 2>/dev/null)" "reserved pairs"
no_vmunit_denials "stopping and killing"

step "a kernel in $ELSEWHERE ($(label_of /var/lib)) is refused: its path, its type, the fix"
mkdir -p "$ELSEWHERE"
cp "$VMUNIT_TEST_GUEST" "$ELSEWHERE/guest.elf"
restorecon -RF "$ELSEWHERE" >/dev/null 2>&1
other=$(label_of "$ELSEWHERE/guest.elf")
echo "$ELSEWHERE/guest.elf: $other"
test_vm_xml se-c acpi | sed "s|<kernel>.*</kernel>|<kernel>$ELSEWHERE/guest.elf</kernel>|" >"$VMUNIT_DOMAINS/se-c.xml"
systemctl daemon-reload
c0=$(journal_cursor)
assert_failure systemctl start vm@se-c.service
wait_for_unit_state vm@se-c.service failed 30
assert_eq 2 "$(exit_status_of vm@se-c.service)" "se-c's exit status"
# The supervisor's stderr reaches the journal on its own stream: it may
# come after systemd's lines about the exit.
line="$ELSEWHERE/guest.elf: SELinux type $(cut -d: -f3 <<<"$other") cannot be relabelled by vmunit; move the file to $BOOT, or chcon -t virt_content_t $ELSEWHERE/guest.elf"
if ! poll_journal 20 vm@se-c.service "$c0" "$line"; then
        journalctl --no-pager -u vm@se-c.service --after-cursor="$c0"
        fail "se-c's journal has no line: $line"
fi
journalctl --no-pager -u vm@se-c.service --after-cursor="$c0" | grep -F "security:"
assert_eq "$other" "$(label_of "$ELSEWHERE/guest.elf")" "the refused kernel's label"
assert_eq "" "$(ls /var/lib/vmunit/labels/mcs 2>/dev/null)" "reserved pairs after the refusal"
[ ! -e /run/vmunit/se-c ] || fail "the refused start left /run/vmunit/se-c"
# The policy said no, once, to the supervisor, about that file.
out=$(vmunit_avcs_since_mark)
echo "$out"
assert_eq "" "$(grep -v 'name="guest.elf"' <<<"$out" || true)" "denials other than the refused relabel"
systemctl reset-failed vm@se-c.service
mark_avcs

step "the fix it names works: chcon -t virt_content_t, then se-c starts"
chcon -t virt_content_t "$ELSEWHERE/guest.elf"
assert_success systemctl start vm@se-c.service
qemu_pair se-c "$TCG_TYPE" >/dev/null
wait_for 60 sh -c 'journalctl -b --no-pager -u vm@se-c.service | grep -q "VMUNIT-TEST-GUEST: waiting for ACPI"'
assert_success systemctl stop vm@se-c.service
assert_eq "${other/:var_lib_t:/:virt_content_t:}" "$(label_of "$ELSEWHERE/guest.elf")" "se-c's kernel after stop"

step "vmunit keeps nothing in bare /run; its runtime files carry virt_runtime_t"
assert_eq /run/vmunit "$(find /run -maxdepth 1 -name '*vmunit*' | tr '\n' ' ' | sed 's/ $//')" "vmunit's entries in /run"
find /run/vmunit -printf '%Z %p\n'
assert_eq "" "$(find /run/vmunit -printf '%Z %p\n' | grep -v ':virt_runtime_t:' || true)" "files in /run/vmunit of another type"

step "no denial for QEMU, the supervisor or vmctl"
no_vmunit_denials "the rest of the scenario"
setenforce 0
note "SELinux sVirt (a TCG and a KVM guest, the boot directory, the refusal) checked in enforcing mode"
