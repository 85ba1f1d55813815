#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Proves the runner's resume-after-reboot mechanism: stage "start" leaves a
# file on the root file system and reboots the test host; stage
# "after-reboot" finds the file under a new boot id.
# vmunit-test-timeout: 120
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

MARKER=/var/lib/vmunit-test-reboot-marker

case "$1" in
start)
        step "stage start: write marker, reboot"
        boot_id >"$MARKER"
        state_save boot-id "$(boot_id)"
        testhost_reboot_then after-reboot
        ;;
after-reboot)
        step "stage after-reboot: marker kept, boot id changed"
        assert_eq after-reboot "$VMUNIT_TEST_STAGE" "VMUNIT_TEST_STAGE"
        assert_file "$MARKER"
        old=$(state_load boot-id)
        assert_eq "$old" "$(cat "$MARKER")" "marker content"
        assert_ne "$old" "$(boot_id)" "boot id"
        assert_eq systemd "$(cat /proc/1/comm)" "/proc/1/comm"
        echo "ok: boot id $old -> $(boot_id)"
        ;;
*)
        fail "unknown stage '$1'"
        ;;
esac
