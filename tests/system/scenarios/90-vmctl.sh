#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vmctl list --all agrees with `systemctl list-units 'vm@*' --all`:
# running, paused (the VM's D-Bus State), failed and shut-off domains, a
# name with an escaped character; Id is QEMU's pid. Then vmctl -H over
# SSH (sd-bus's transport, as systemctl -H): list, suspend/resume of a
# running VM, shutdown; commands that need this host's files are refused.
# vmunit-test-timeout: 480
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

test_vm_xml vc-run acpi >/tmp/vc-run.xml
test_vm_xml "vc paused" acpi >"/tmp/vc paused.xml"
test_vm_xml vc-broken acpi | sed 's|<kernel>.*</kernel>|<kernel>/nonexistent/kernel</kernel>|' >/tmp/vc-broken.xml
test_vm_xml vc-off acpi >/tmp/vc-off.xml
for f in vc-run "vc paused" vc-broken vc-off; do assert_success vmctl define "/tmp/$f.xml"; done

step "a running, a paused, a failed and a never-started domain"
assert_success vmctl start vc-run
assert_success vmctl start "vc paused"
assert_failure vmctl start vc-broken
wait_for_unit_state vm@vc-broken.service failed 30
assert_success vmctl suspend "vc paused"

# The domain a list-units line is about: the instance, \xNN undone.
domain_of_unit() {
        local inst=${1#vm@}
        printf '%b' "${inst%.service}"
}

# vmctl's table line for a domain, as "ID|STATE".
vmctl_row() {
        local line re='^ ([0-9]+|-) +(.*[^ ]) +(running|paused|shut off|failed|in shutdown|starting|crashed)$'
        while IFS= read -r line; do
                if [[ $line =~ $re ]] && [ "${BASH_REMATCH[2]}" = "$2" ]; then
                        echo "${BASH_REMATCH[1]}|${BASH_REMATCH[3]}"
                        return
                fi
        done <<<"$1"
        echo "missing"
}

step "vmctl list --all matches systemctl list-units 'vm@*' --all, unit by unit"
all=$(vmctl list --all)
echo "$all"
units=$(systemctl list-units 'vm@*' --all --plain --no-legend --no-pager)
echo "$units"
n=0
while read -r unit _load active _rest; do
        [ -n "$unit" ] || continue
        name=$(domain_of_unit "$unit")
        row=$(vmctl_row "$all" "$name")
        case $active in
        active) [[ $row == *"|running" || $row == *"|paused" ]] || fail "$unit is active, vmctl says: $row" ;;
        failed) assert_eq "-|failed" "$row" "vmctl's row for failed $unit" ;;
        inactive) assert_eq "-|shut off" "$row" "vmctl's row for inactive $unit" ;;
        *) note "$unit is $active" ;;
        esac
        n=$((n + 1))
done <<<"$units"
[ "$n" -ge 3 ] || fail "systemctl list-units shows only $n vm@ units: $units"

step "and the other way: everything vmctl calls running/paused/failed is so in systemd"
while IFS= read -r name; do
        row=$(vmctl_row "$all" "$name")
        unit=$(vm_unit "$name")
        case ${row#*|} in
        running | paused) assert_unit_state "$unit" active ;;
        failed) assert_unit_state "$unit" failed ;;
        "shut off") [ "$(unit_state "$unit")" = inactive ] || fail "$name shut off but $unit is $(unit_state "$unit")" ;;
        esac
done < <(vmctl list --all --name)

assert_eq "$(qemu_pid_of vc-run)|running" "$(vmctl_row "$all" vc-run)" "vc-run's row"
assert_eq "$(qemu_pid_of "vc paused")|paused" "$(vmctl_row "$all" "vc paused")" "'vc paused' row"
assert_eq "-|failed" "$(vmctl_row "$all" vc-broken)" "vc-broken's row"
assert_eq "-|shut off" "$(vmctl_row "$all" vc-off)" "vc-off's row"
running=$(vmctl list --name)
assert_contains "$running" "vc paused" "vmctl list --name"
assert_not_contains "$running" "vc-off" "vmctl list --name"

step "the running VM's object is on the system bus"
assert_contains "$(busctl --system introspect org.vmunit.vm.vc_2drun /org/vmunit/vm)" "org.vmunit.VM1" "busctl introspect"

step "capabilities: the security driver the supervisor really uses, kvm only where /dev/kvm works"
caps=$(vmctl capabilities --xml)
model=$(sed -n '/<secmodel>/{n;s:.*<model>\(.*\)</model>.*:\1:p;q}' <<<"$caps")
active=$(journalctl -b --no-pager -u vm@vc-run.service | sed -n 's/.*security: \([a-z+]*\)$/\1/p' | tail -n1)
note "capabilities say $model; vc-run's supervisor logged 'security: $active'"
assert_ne "" "$model" "secmodel in capabilities"
case "+$active+" in *"+$model+"*) ;; *) fail "capabilities say $model, the supervisor uses $active" ;; esac
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then assert_eq apparmor "$model" "secmodel on an AppArmor host"; fi
assert_contains "$caps" '<domain type="qemu"/>' "capabilities"
assert_contains "$caps" "<machine canonical=" "capabilities"
if [ ! -e /dev/kvm ]; then assert_not_contains "$caps" '<domain type="kvm"/>' "capabilities without /dev/kvm"; fi

step "edit in system mode: the new definition reaches the unit (daemon-reload)"
out=$(EDITOR="sed -i s|<title>vmunit.test.guest.vc-off</title>|<title>edited-by-vmctl</title>|" vmctl edit vc-off)
assert_eq "Domain 'vc-off' XML configuration edited." "$out" "vmctl edit"
assert_eq "edited-by-vmctl" "$(unit_property vm@vc-off.service Description)" "Description after edit"

step "vmctl -H root@localhost over SSH"
ssh_root_localhost

remote=$(vmctl -H root@localhost list)
echo "$remote"
assert_eq "$(qemu_pid_of vc-run)|running" "$(vmctl_row "$remote" vc-run)" "vc-run over -H"
assert_eq "$(qemu_pid_of "vc paused")|paused" "$(vmctl_row "$remote" "vc paused")" "'vc paused' over -H"
assert_eq "-|failed" "$(vmctl_row "$remote" vc-broken)" "vc-broken over -H"

BUS_NAME=org.vmunit.vm.vc_2drun
wait_guest_acpi vc-run
assert_success vmctl -H root@localhost suspend vc-run
assert_eq 's "paused"' "$(busctl --system get-property $BUS_NAME /org/vmunit/vm org.vmunit.VM1 State)" "State after remote suspend"
assert_success vmctl -H root@localhost resume vc-run
assert_eq 's "running"' "$(busctl --system get-property $BUS_NAME /org/vmunit/vm org.vmunit.VM1 State)" "State after remote resume"

assert_contains "$(vmctl -H root@localhost dumpxml vc-run)" "<name>vc-run</name>" "remote dumpxml (live XML)"

rc=0; out=$(vmctl -H root@localhost list --all 2>&1) || rc=$?
assert_ne 0 "$rc" "remote list --all"
assert_contains "$out" "not available with -H" "remote list --all"
rc=0; out=$(vmctl -H root@localhost define /tmp/vc-run.xml 2>&1) || rc=$?
assert_ne 0 "$rc" "remote define"
assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the remote define error"
rc=0; out=$(vmctl -H root@localhost start vc-nosuch 2>&1) || rc=$?
assert_ne 0 "$rc" "remote start of an undefined domain"
assert_contains "$out" "not defined" "remote start of an undefined domain"

assert_success vmctl -H root@localhost shutdown vc-run
assert_unit_state vm@vc-run.service inactive

step "clean up"
assert_success vmctl resume "vc paused"
wait_guest_acpi "vc paused"
assert_success vmctl shutdown "vc paused"
systemctl reset-failed vm@vc-broken.service || true
for n in vc-run "vc paused" vc-broken vc-off; do vmctl undefine "$n" >/dev/null; done
echo ok
