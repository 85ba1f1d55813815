#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# systemctl enable vm@auto + reboot -> running after boot with nobody
# starting it; disable + reboot -> not running. Also through vmctl.
# vmunit-test-timeout: 200
. "$VMUNIT_TEST_LIB"

case "$1" in
start)
        step "define auto, enable it, reboot"
        define_test_vm auto acpi
        systemctl daemon-reload
        assert_success systemctl enable vm@auto.service
        assert_file /etc/systemd/system/machines.target.wants/vm@auto.service
        testhost_reboot_then enabled
        ;;
enabled)
        step "after reboot: vm@auto started by itself"
        wait_for_unit_state vm@auto.service active 90
        assert_eq running "$(unit_property vm@auto.service StatusText)" "StatusText"
        step "vmctl autostart --disable (through systemd), reboot"
        assert_success vmctl autostart --disable auto
        [ ! -e /etc/systemd/system/machines.target.wants/vm@auto.service ] || fail "still enabled"
        testhost_reboot_then disabled
        ;;
disabled)
        step "after reboot: vm@auto not running"
        sleep 5
        assert_unit_state vm@auto.service inactive
        step "vmctl autostart enables again"
        assert_success vmctl autostart auto
        assert_eq enabled "$(systemctl is-enabled vm@auto.service)" "is-enabled"
        assert_success vmctl autostart --disable auto
        rm -f "$VMUNIT_DOMAINS/auto.xml"
        systemctl daemon-reload
        echo ok
        ;;
esac
