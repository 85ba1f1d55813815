#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The control operations under SELinux sVirt (tests/system/selinux/): with
# QEMU in the policy's virtual domain with a category pair,
#  - `vmctl console` (the supervisor opens QEMU's pty, the fd travels over
#    the system bus to vmctl) shows the guest's ticks; Ctrl-] exits 0;
#  - `vmctl attach-disk` gives the image the VM's image context with its
#    pair, the guest sees the disk; `vmctl detach-disk` puts the original
#    label back and the guest sees it go;
#  - `vmctl save` (vmctl opens the file and passes the fd over the system
#    bus; QEMU migrates into a pipe from the supervisor, which writes the
#    file) and `vmctl restore` (the request is a link to the file; QEMU
#    reads a pipe from the supervisor): the guest's
#    tick counter carries on, QEMU runs confined with a pair again, and
#    the console works on the restored QEMU's new pty.
# Enforcing, on a host set up by the README's steps only (the module and
# labels come from vmunit-setup; virt_use_execmem stays off: the TCG
# guest runs as svirt_tcg_t); no denial may involve QEMU, the supervisor
# or vmctl.
# Helpers are local: the harness ships only the selected scenario files.
# vmunit-test-timeout: 420
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

VM=se-ctl
UNIT=vm@$VM.service
UUID=5e11c0de-0000-4000-8000-000000000041
IMG=/var/lib/vmunit/images/se-ctl-test
# Under /var/lib/vmunit (virt_var_lib_t, vmunit.fc): vmctl creates the save
# file there and the supervisor (virtd_t) writes it through the fd.
SAVES=/var/lib/vmunit/se-ctl-saves
SESSION=vmunit-se-console
ELSEWHERE=/var/lib/se-ctl-elsewhere
TICK="VMUNIT-TEST-GUEST: tick"

cleanup() {
        local rc=$?
        # A failed wait_for ends the script: show what SELinux refused.
        if [ "$rc" != 0 ]; then
                echo "denials since the round began:"
                avcs_since_mark
        fi
        tmux kill-session -t "$SESSION" 2>/dev/null || true
        systemctl stop "$UNIT" >/dev/null 2>&1 || true
        setenforce 0 2>/dev/null || true
        rm -rf "$IMG" "$SAVES" "$ELSEWHERE" "$VMUNIT_DOMAINS/$VM.xml"
        systemctl daemon-reload
}
trap cleanup EXIT

label_of() { stat -c %C "$1"; }
guest_count() { journalctl --no-pager -u "$UNIT" --after-cursor="$1" | grep -c "VMUNIT-TEST-GUEST: $2" || true; }
# poll SECONDS CMD...: like wait_for, but returns 1 on timeout instead of
# failing, so that the caller can print what it knows first.
poll() {
        local deadline=$(($(date +%s) + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -lt "$deadline" ] || return 1
                sleep 0.2
        done
}

# The QEMU's category pair, failing unless it runs as $DOMAIN_TYPE with one.
qemu_pair() {
        local l p
        l=$(proc_label "$(qemu_pid_of "$VM")")
        p=$(sed -n "s/^system_u:system_r:$DOMAIN_TYPE:s0:\(c[0-9]*,c[0-9]*\)\$/\1/p" <<<"$l")
        [ -n "$p" ] || fail "$VM's QEMU is not $DOMAIN_TYPE with a pair: $l"
        echo "$p"
}

pane() { tmux capture-pane -p -J -S -200 -t "$SESSION" 2>/dev/null || true; }
pane_has() { pane | grep -q -- "$1"; }

# console_round WHAT [CONTEXT]: vmctl console (run in CONTEXT if given) in
# a detached tmux session shows the guest's ticks; Ctrl-] ends it with
# exit 0.
console_round() {
        local run="vmctl console $VM"
        [ -z "${2:-}" ] || run="runcon $2 $run"
        tmux kill-session -t "$SESSION" 2>/dev/null || true
        tmux new-session -d -s "$SESSION" -x 160 -y 50 "$run; echo vmctl-exit=\$?; sleep 600"
        poll 30 pane_has "vmctl-exit=\|$TICK" || true
        if ! pane_has "$TICK"; then
                pane
                avcs_since_mark
                fail "$1: no tick lines on the console"
        fi
        assert_contains "$(pane)" "Connected to domain '$VM'" "$1: banner"
        tmux send-keys -t "$SESSION" C-]
        wait_for 20 pane_has "vmctl-exit="
        pane >"pane-$1.txt"
        assert_contains "$(pane)" "vmctl-exit=0" "$1: vmctl exit after Ctrl-]"
        tmux kill-session -t "$SESSION" 2>/dev/null || true
}

step "SELinux is on, set up by vmunit-setup alone"
[ -e /sys/fs/selinux/enforce ] || fail "SELinux is not enabled (boot the selinux test-host variant)"
echo "scenario context: $(id -Z)"
semodule -l | grep -qx vmunit || fail "the policy module vmunit is not loaded after vmunit-setup"
assert_contains "$(label_of /usr/libexec/vmunit/vmunit-supervisor)" vmunit_supervisor_exec_t "supervisor label"
assert_eq "virt_use_execmem --> off" "$(getsebool virt_use_execmem)" "virt_use_execmem"
# The VM is TCG: the policy's TCG domain (line 2), or vmunit's module's.
DOMAIN_TYPE=$(sed -n 2p /etc/selinux/default/contexts/virtual_domain_context | cut -d: -f3)
DOMAIN_TYPE=${DOMAIN_TYPE:-svirt_tcg_t}
IMAGE_CTX=$(head -n1 /etc/selinux/default/contexts/virtual_image_context)
UNCONFINED=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023
echo "domain type $DOMAIN_TYPE, image context $IMAGE_CTX"

# round MODE: every operation, with SELinux in MODE.
round() {
        local mode=$1 c0 c1 pair hot_before kernel_before pty adds dels before first out bad

        step "[$mode] a VM whose guest ticks and watches PCI"
        case $mode in
        enforcing) assert_success setenforce 1 ;;
        *) assert_success setenforce 0 ;;
        esac
        note "SELinux $(getenforce)"
        mark_avcs
        rm -rf "$IMG" "$SAVES"
        mkdir -p "$IMG" "$SAVES" "$VMUNIT_DOMAINS"
        # A writable copy of the kernel: the one under /usr cannot be
        # relabelled (see 40-selinux-svirt.sh).
        cp "$VMUNIT_TEST_GUEST" "$IMG/guest.elf"
        truncate -s 1M "$IMG/hot.img"
        restorecon -RF "$IMG" "$SAVES" >/dev/null 2>&1
        hot_before=$(label_of "$IMG/hot.img")
        kernel_before=$(label_of "$IMG/guest.elf")
        echo "hot.img before: $hot_before; saves dir: $(label_of "$SAVES")"
        # A UUID of its own: restore wants the saved domain's.
        test_vm_xml "$VM" "acpi ticks pci" "" "<uuid>$UUID</uuid>" |
                sed "s|<kernel>.*</kernel>|<kernel>$IMG/guest.elf</kernel>|" >"$VMUNIT_DOMAINS/$VM.xml"
        systemctl daemon-reload
        c0=$(journal_cursor)
        if ! systemctl start "$UNIT"; then
                journalctl -b --no-pager -n 40 -u "$UNIT"
                avcs_since_mark
                fail "[$mode] starting $VM failed"
        fi
        wait_for 60 sh -c "journalctl --no-pager -u '$UNIT' --after-cursor='$c0' | grep -q 'VMUNIT-TEST-GUEST: pci watching'"
        pair=$(qemu_pair)
        echo "QEMU: $(proc_label "$(qemu_pid_of "$VM")"); supervisor: $(proc_label "$(unit_property "$UNIT" MainPID)")"

        step "[$mode] vmctl console shows the ticks; Ctrl-] exits 0"
        # QEMU made the pty: it carries the pair, so no other VM opens it.
        pty=$(readlink "/run/vmunit/$VM/console")
        echo "console: $pty $(label_of "$pty")"
        assert_contains "$(label_of "$pty")" ":s0:$pair" "[$mode] label of the console pty"
        console_round "$mode-console"
        # An administrator shell, as well as the runner (initrc_t).
        if runcon "$UNCONFINED" true 2>/dev/null; then
                echo "as $(runcon "$UNCONFINED" id -Z):"
                console_round "$mode-console-unconfined" "$UNCONFINED"
        else
                note "[$mode] cannot enter $UNCONFINED from $(id -Z): console from unconfined_t not tried"
        fi

        step "[$mode] vmctl attach-disk: the image gets $IMAGE_CTX:$pair, the guest sees it"
        adds=$(guest_count "$c0" "pci add .* 1af4:1001")
        if ! vmctl attach-disk "$VM" "$IMG/hot.img" vdb; then
                avcs_since_mark
                fail "[$mode] attach-disk failed"
        fi
        assert_eq "$IMAGE_CTX:$pair" "$(label_of "$IMG/hot.img")" "[$mode] hot.img while attached"
        wait_for 30 sh -c "[ \$(journalctl --no-pager -u '$UNIT' --after-cursor='$c0' | grep -c 'VMUNIT-TEST-GUEST: pci add .* 1af4:1001') -gt $adds ]"

        step "[$mode] vmctl detach-disk: the guest sees it go, the label is back"
        dels=$(guest_count "$c0" "pci del")
        if ! vmctl detach-disk "$VM" vdb; then
                avcs_since_mark
                fail "[$mode] detach-disk failed"
        fi
        wait_for 30 sh -c "[ \$(journalctl --no-pager -u '$UNIT' --after-cursor='$c0' | grep -c 'VMUNIT-TEST-GUEST: pci del') -gt $dels ]"
        assert_eq "$hot_before" "$(label_of "$IMG/hot.img")" "[$mode] hot.img after detach"

        step "[$mode] vmctl save: the unit stops with exit 0"
        wait_for 60 unit_ticks_reach "$UNIT" "$c0" 3
        before=$(unit_last_tick "$UNIT" "$c0")
        if ! vmctl save "$VM" "$SAVES/ctl.save"; then
                journalctl -b --no-pager -n 20 -u "$UNIT"
                avcs_since_mark
                fail "[$mode] save failed"
        fi
        wait_for_unit_state "$UNIT" inactive 60
        assert_eq 0 "$(exit_status_of "$UNIT")" "[$mode] exit status after save"
        assert_eq "VMUNIT-SAVE 2" "$(head -n1 "$SAVES/ctl.save")" "[$mode] save file header"
        ls -lZ "$SAVES"

        step "[$mode] vmctl restore: the ticks carry on, QEMU confined with a pair"
        c1=$(journal_cursor)
        if ! vmctl restore "$SAVES/ctl.save"; then
                journalctl -b --no-pager -n 20 -u "$UNIT"
                avcs_since_mark
                fail "[$mode] restore failed"
        fi
        wait_for_unit_state "$UNIT" active 60
        if ! poll 60 unit_ticks_reach "$UNIT" "$c1" $((before + 2)); then
                journalctl --no-pager -u "$UNIT" --after-cursor="$c1" | tail -n 20
                avcs_since_mark
                fail "[$mode] the guest does not tick after restore"
        fi
        first=$(unit_first_tick "$UNIT" "$c1")
        [ "$first" -ge "$before" ] || fail "[$mode] ticks restarted at $first after restore (were at $before)"
        assert_contains "$(journalctl --no-pager -u "$UNIT" --after-cursor="$c1")" \
                "restored the guest's state from /var/lib/vmunit/$VM/restore" "[$mode] journal"
        note "[$mode] ticks: $before before save, first after restore $first"
        pair=$(qemu_pair)
        echo "restored QEMU: $(proc_label "$(qemu_pid_of "$VM")")"
        # The runtime dir is the supervisor's: QEMU gets fds, not a place to write.
        assert_not_contains "$(label_of "/run/vmunit/$VM")" "$pair" "[$mode] runtime dir after restore"
        console_round "$mode-console-restored"

        step "[$mode] stop: the labels are back"
        assert_success vmctl destroy "$VM"
        wait_for_unit_state "$UNIT" inactive 60
        assert_eq "$hot_before" "$(label_of "$IMG/hot.img")" "[$mode] hot.img after stop"
        assert_eq "$kernel_before" "$(label_of "$IMG/guest.elf")" "[$mode] kernel after stop"
        ls -Z "$IMG"

        step "[$mode] no denial for QEMU, the supervisor or vmctl"
        out=$(avcs_since_mark)
        [ -z "$out" ] || echo "$out"
        bad=$(vmunit_avcs_since_mark)
        [ -z "$bad" ] || fail "[$mode] $(wc -l <<<"$bad") denial(s) for QEMU, the supervisor or vmctl (listed above)"
        note "[$mode] $(grep -c . <<<"$out" || true) denial line(s), none for vmunit"
}

# Where else a save may go: a directory of the generic /var/lib type,
# not one of virt. Either it works, or the refusal is one line and the
# guest runs on with no partial file left; the log says which.
save_elsewhere() {
        local c0 out rc=0

        step "[enforcing] vmctl save into $ELSEWHERE ($(label_of "$(dirname "$ELSEWHERE")"))"
        mkdir -p "$ELSEWHERE"
        restorecon -F "$ELSEWHERE"
        echo "$ELSEWHERE: $(label_of "$ELSEWHERE")"
        c0=$(journal_cursor)
        assert_success systemctl start "$UNIT"
        wait_for 60 unit_ticks_reach "$UNIT" "$c0" 1
        mark_avcs
        out=$(vmctl save "$VM" "$ELSEWHERE/x.save" 2>&1) || rc=$?
        echo "vmctl save: exit $rc: $out"
        if [ "$rc" != 0 ]; then
                assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the refused save"
                assert_unit_state "$UNIT" active
                [ ! -e "$ELSEWHERE/x.save" ] || fail "a refused save left $ELSEWHERE/x.save"
                wait_for 30 unit_ticks_reach "$UNIT" "$c0" "$(($(unit_last_tick "$UNIT" "$c0") + 1))"
                note "[enforcing] save into $(label_of "$ELSEWHERE") refused; the guest runs on"
        else
                wait_for_unit_state "$UNIT" inactive 60
                note "[enforcing] save into $(label_of "$ELSEWHERE") allowed"
        fi
        avcs_since_mark
        # dbus-daemon may refuse to pass on an fd of that type; nothing of
        # vmunit's may be denied.
        bad=$(vmunit_avcs_since_mark)
        [ -z "$bad" ] || fail "[enforcing] denial(s) for QEMU, the supervisor or vmctl: $bad"
        systemctl stop "$UNIT"
}

round enforcing
save_elsewhere
setenforce 0
note "console, hotplug, save and restore checked under SELinux in enforcing mode"
