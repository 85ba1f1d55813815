#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# SELinux sVirt in the SELinux test-host variant (tests/system/selinux/):
# two VMs' QEMUs run in the policy's virtual domain with different
# category pairs, each VM's exclusive disk carries its pair, the shared
# disk the shared image context and the read-only one the content
# context; after a clean stop, and after `systemctl kill -s KILL` of the
# whole unit, every label is the original again and no pair stays
# reserved. The same round runs twice: permissive first (every denial is
# logged, none stops anything: the list is what the policy module lacks),
# then enforcing, where VM A's QEMU must also fail to open VM B's disk.
# vmunit-test-timeout: 900
. "$VMUNIT_TEST_LIB"

IMG=/var/lib/vmunit/images/se-test
cleanup() {
        systemctl stop vm@se-a.service vm@se-b.service >/dev/null 2>&1 || true
        setenforce 0 2>/dev/null || true
        rm -rf "$IMG" "$VMUNIT_DOMAINS/se-a.xml" "$VMUNIT_DOMAINS/se-b.xml"
        systemctl daemon-reload
}
trap cleanup EXIT

label_of() { stat -c %C "$1"; }
proc_label() { tr -d '\0' <"/proc/$1/attr/current"; }

# A second QMP monitor per VM, ours, for the cross-VM check.
se_vm_xml() { # NAME DISK
        test_vm_xml "$1" acpi "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$IMG/$2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$IMG/shared.img'/><target dev='vdb' bus='virtio'/><shareable/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$IMG/ro.img'/><target dev='vdc' bus='virtio'/><readonly/></disk>" |
                sed "s|<kernel>.*</kernel>|<kernel>$IMG/guest.elf</kernel>|" | with_test_monitor "$1"
}

step "SELinux is on; install the vmunit policy module"
[ -e /sys/fs/selinux/enforce ] || fail "SELinux is not enabled (boot the selinux test-host variant)"
echo "scenario context: $(id -Z)"
sestatus 2>/dev/null || true
assert_file /usr/share/selinux/packages/vmunit.pp
t=$SECONDS
assert_success semodule -i /usr/share/selinux/packages/vmunit.pp
note "semodule -i took $((SECONDS - t))s"
semodule -l | grep -w vmunit || fail "vmunit module not listed"
mkdir -p /run/vmunit /var/lib/vmunit/images
# The stage was untarred without labels: give vmunit's files theirs.
restorecon -RF /usr/libexec/vmunit /etc/vmunit /run/vmunit /var/lib/vmunit >/dev/null 2>&1
ls -Z /usr/libexec/vmunit/ /etc/vmunit /var/lib/vmunit
assert_contains "$(label_of /usr/libexec/vmunit/vmunit-supervisor)" vmunit_supervisor_exec_t "supervisor label"
# TCG (no KVM in the test host) writes and runs translated code.
assert_success setsebool virt_use_execmem on
# Line 2, when the policy has one, is its TCG domain: our domains are TCG.
DOMAIN_TYPE=$(sed -n 2p /etc/selinux/default/contexts/virtual_domain_context | cut -d: -f3)
[ -n "$DOMAIN_TYPE" ] || DOMAIN_TYPE=$(head -n1 /etc/selinux/default/contexts/virtual_domain_context | cut -d: -f3)
IMAGE_CTX=$(head -n1 /etc/selinux/default/contexts/virtual_image_context)
CONTENT_CTX=$(sed -n 2p /etc/selinux/default/contexts/virtual_image_context)
echo "virtual_domain_context: $(tr '\n' ' ' </etc/selinux/default/contexts/virtual_domain_context)"
echo "virtual_image_context: $(tr '\n' ' ' </etc/selinux/default/contexts/virtual_image_context)"

# round MODE: the whole check, with SELinux in MODE.
round() {
        local mode=$1 la lb pa pb out f
        local -A before

        step "[$mode] two VMs: an exclusive disk each, one shared, one read-only"
        case $mode in
        enforcing) assert_success setenforce 1 ;;
        *) assert_success setenforce 0 ;;
        esac
        note "SELinux $(getenforce)"
        mark_avcs
        rm -rf "$IMG"
        mkdir -p "$IMG"
        truncate -s 1M "$IMG/a.img" "$IMG/b.img" "$IMG/shared.img" "$IMG/ro.img"
        # The kernel too: both VMs boot it, so it is relabelled once and
        # restored when the last one stops. (Not the copy under /usr, which
        # vm@.service's ProtectSystem=full makes read-only, like every
        # kernel outside /var/lib/vmunit/images.)
        cp "$VMUNIT_TEST_GUEST" "$IMG/guest.elf"
        # Not to our stdout: setfiles_t may not write the payload disk.
        restorecon -RF "$IMG" >/dev/null 2>&1
        for f in a.img b.img shared.img ro.img guest.elf; do before[$f]=$(label_of "$IMG/$f"); done
        echo "before: ${before[*]}"
        mkdir -p "$VMUNIT_DOMAINS"
        se_vm_xml se-a a.img >"$VMUNIT_DOMAINS/se-a.xml"
        se_vm_xml se-b b.img >"$VMUNIT_DOMAINS/se-b.xml"
        systemctl daemon-reload
        if ! systemctl start vm@se-a.service vm@se-b.service; then
                journalctl -b --no-pager -n 40 -u vm@se-a.service -u vm@se-b.service
                avcs_since_mark
                fail "[$mode] starting the VMs failed"
        fi
        assert_unit_state vm@se-a.service active
        assert_unit_state vm@se-b.service active

        step "[$mode] QEMUs run as $DOMAIN_TYPE with distinct pairs; images carry them"
        ps -eZ | grep -E 'qemu|vmunit' || true
        la=$(proc_label "$(qemu_pid_of se-a)")
        lb=$(proc_label "$(qemu_pid_of se-b)")
        echo "se-a QEMU: $la"
        echo "se-b QEMU: $lb"
        echo "supervisor: $(proc_label "$(systemctl show -P MainPID vm@se-a.service)")"
        pa=$(sed -n "s/^system_u:system_r:$DOMAIN_TYPE:s0:\(c[0-9]*,c[0-9]*\)\$/\1/p" <<<"$la")
        pb=$(sed -n "s/^system_u:system_r:$DOMAIN_TYPE:s0:\(c[0-9]*,c[0-9]*\)\$/\1/p" <<<"$lb")
        [ -n "$pa" ] || fail "se-a's QEMU is not $DOMAIN_TYPE with a pair: $la"
        [ -n "$pb" ] || fail "se-b's QEMU is not $DOMAIN_TYPE with a pair: $lb"
        assert_ne "$pa" "$pb" "the two VMs' category pairs"
        ls -Z "$IMG"
        assert_eq "$IMAGE_CTX:$pa" "$(label_of "$IMG/a.img")" "se-a's disk"
        assert_eq "$IMAGE_CTX:$pb" "$(label_of "$IMG/b.img")" "se-b's disk"
        assert_eq "$IMAGE_CTX" "$(label_of "$IMG/shared.img")" "shared disk"
        assert_eq "$CONTENT_CTX" "$(label_of "$IMG/ro.img")" "read-only disk"
        assert_eq "$CONTENT_CTX" "$(label_of "$IMG/guest.elf")" "kernel"
        assert_file "/var/lib/vmunit/labels/mcs/$pa"
        assert_file "/var/lib/vmunit/labels/mcs/$pb"

        step "[$mode] se-a's QEMU holds its files as fds, its command line names none"
        out=$(for f in /proc/"$(qemu_pid_of se-a)"/fd/*; do readlink "$f"; done)
        for f in a.img shared.img ro.img guest.elf; do
                assert_contains "$out" "$IMG/$f" "se-a's fds"
                assert_not_contains "$(tr '\0' ' ' <"/proc/$(qemu_pid_of se-a)/cmdline")" "$f" "se-a's command line"
        done
        assert_contains "$out" /run/vmunit/se-a/console.log "se-a's fds"

        if [ "$mode" = enforcing ]; then
                step "[$mode] MCS keeps se-a's QEMU away from se-b's disk"
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
        fi

        step "[$mode] clean stop of se-a: its labels back, the shared disk stays for se-b"
        # Not before the guest listens for the power button: an early one
        # is lost and the stop takes shutdown_timeout.
        wait_for 60 sh -c 'journalctl -b --no-pager -u vm@se-a.service | grep -q "VMUNIT-TEST-GUEST: waiting for ACPI"'
        assert_success systemctl stop vm@se-a.service
        assert_eq "${before[a.img]}" "$(label_of "$IMG/a.img")" "se-a's disk after stop"
        assert_eq "$IMAGE_CTX" "$(label_of "$IMG/shared.img")" "shared disk while se-b runs"
        assert_eq "$CONTENT_CTX" "$(label_of "$IMG/guest.elf")" "kernel while se-b runs"
        [ ! -e "/var/lib/vmunit/labels/mcs/$pa" ] || fail "pair $pa still reserved"

        step "[$mode] systemctl kill -s KILL of se-b: ExecStopPost restores everything"
        assert_success systemctl kill -s KILL vm@se-b.service
        stopped() { case $(unit_state vm@se-b.service) in inactive | failed) return 0 ;; *) return 1 ;; esac; }
        wait_for 60 stopped
        systemctl reset-failed vm@se-b.service 2>/dev/null || true
        ls -Z "$IMG"
        for f in a.img b.img shared.img ro.img guest.elf; do
                assert_eq "${before[$f]}" "$(label_of "$IMG/$f")" "$f after the kill"
        done
        assert_eq "" "$(ls /var/lib/vmunit/labels/mcs 2>/dev/null)" "reserved pairs"

        step "[$mode] denials logged in this round"
        out=$(avcs_since_mark)
        if [ -n "$out" ]; then
                echo "$out"
                note "[$mode] $(wc -l <<<"$out") denial line(s), see above"
        else
                note "[$mode] no denials"
        fi
}

round permissive
round enforcing
setenforce 0
note "SELinux sVirt checked in permissive and enforcing mode"
