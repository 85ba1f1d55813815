#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# on_host_shutdown = save: a plain `systemctl stop` still shuts the guest
# down (ACPI), but a host reboot saves it to /var/lib/vmunit/NAME/
# managed.save, and the autostart after the reboot resumes it from there
# (the test guest's ticks carry on rather than start again from 1) and
# removes the file.
# vmunit-test-timeout: 240
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

VM=ms
UNIT=vm@ms.service
CONF=/etc/vmunit/vmunit.conf
MANAGED=/var/lib/vmunit/$VM/managed.save

ticks() { journalctl --no-pager -u "$UNIT" "$@" | grep -o 'GUEST: tick [0-9]*' | awk '{print $3}'; }
last_tick() { { ticks -b || echo 0; } | tail -n1; }
ticks_reach() { [ "$(last_tick)" -ge "$1" ]; }

case "$1" in
start)
        step "on_host_shutdown = save; a plain stop still shuts the guest down"
        cp "$CONF" "$VMUNIT_TEST_STATE/vmunit.conf.orig" 2>/dev/null || true
        echo "on_host_shutdown = save" >>"$CONF"
        define_test_vm "$VM" "acpi ticks" "" "<uuid>0d5e1f6a-7b8c-4d9e-8f10-a1b2c3d4e5f6</uuid>"
        systemctl daemon-reload
        assert_success systemctl start "$UNIT"
        wait_guest_acpi "$VM"
        assert_success systemctl stop "$UNIT"
        assert_eq 0 "$(exit_status_of "$UNIT")" "exit status after a plain stop"
        assert_contains "$(journalctl -b --no-pager -u "$UNIT")" "guest powered off" "journal after a plain stop"
        [ ! -e "$MANAGED" ] || fail "a plain stop left $MANAGED"

        step "enable, run until tick 3, reboot the test host"
        assert_success systemctl enable "$UNIT"
        assert_success systemctl start "$UNIT"
        wait_for 60 ticks_reach 3
        state_save before "$(last_tick)"
        testhost_reboot_then resumed
        ;;
resumed)
        step "after the reboot: saved at shutdown, resumed at boot, file removed"
        wait_for_unit_state "$UNIT" active 90
        before=$(state_load before)
        assert_contains "$(journalctl -b -1 --no-pager -u "$UNIT")" "host is shutting down: saving" "last boot's journal"
        assert_contains "$(journalctl -b -1 --no-pager -u "$UNIT")" "saved the guest's state to $MANAGED" "last boot's journal"
        assert_contains "$(journalctl -b --no-pager -u "$UNIT")" "restored the guest's state from $MANAGED" "this boot's journal"
        wait_for 60 ticks_reach $((before + 2))
        first=$(ticks -b | head -n1)
        [ "$first" -ge "$before" ] || fail "ticks restarted at $first after the reboot (were at least $before)"
        note "ticks: at least $before before the reboot, first after it $first"
        [ ! -e "$MANAGED" ] || fail "$MANAGED still there after the restore"
        # Verified (its MAC, with this host's key) and loaded within the
        # unit's start timeout, which the supervisor extends while it
        # makes progress instead of it being raised for everyone.
        assert_eq "1min 30s" "$(unit_property "$UNIT" TimeoutStartUSec)" "TimeoutStartUSec"
        assert_eq "root 600 32" "$(stat -c '%U %a %s' /var/lib/vmunit/save.key)" "the host's save key"

        step "clean up"
        assert_success systemctl disable "$UNIT"
        assert_success vmctl destroy "$VM"
        if [ -e "$VMUNIT_TEST_STATE/vmunit.conf.orig" ]; then
                cp "$VMUNIT_TEST_STATE/vmunit.conf.orig" "$CONF"
        else
                rm -f "$CONF"
        fi
        rm -f "$VMUNIT_DOMAINS/$VM.xml"
        systemctl daemon-reload
        echo ok
        ;;
*)
        fail "unknown stage '$1'"
        ;;
esac
