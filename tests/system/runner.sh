#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The in-guest half of the system-test runner. The image's
# vmunit-test-runner.service mounts the payload disk on /mnt/vmunit-test and
# execs this script from it, on every boot of the test host.
#
# Payload layout (read-write ext4, label vmunit-payload):
#   stage/        `meson install --destdir` tree, copied into / on first boot
#   runner.sh     this script
#   lib.sh        helpers the scenarios source
#   scenarios/    NN-name.sh scripts, run in lexical order
#   results/      written here: install.log, NAME/{stdout,stderr,rc}, journal.txt
#
# State that must survive a test-host reboot (where to resume) lives on the
# root file system, in /var/lib/vmunit-test: the root disk is a throwaway
# overlay, so it persists across reboots within one run and no further.

set -u

PAYLOAD=/mnt/vmunit-test
RESULTS=$PAYLOAD/results
STATE=/var/lib/vmunit-test
DEFAULT_TIMEOUT=300

# stdout goes to the journal and the serial console; the host side follows
# these lines in the serial log to show progress and spot a hung scenario.
say() { echo "VMUNIT-RUNNER: $*"; }

# A shutdown stops this service with SIGTERM: leave quietly, the scenario
# that asked for the reboot resumes on the next boot.
trap 'say "stopped (test host shutting down)"; exit 0' TERM

install_stage() {
        local stage=$PAYLOAD/stage
        if [ -z "$(ls -A "$stage" 2>/dev/null)" ]; then
                : >"$STATE/installed-files"
                echo "nothing to install"
                return 0
        fi
        # tar, not cp -a: the stage may hold lib/..., and / has lib -> usr/lib
        # (merged /usr); --keep-directory-symlink keeps that link intact.
        echo "+ installing stage into /"
        (cd "$stage" && find . ! -type d | sed 's/^\.//' | sort) >"$STATE/installed-files" || return 1
        cat "$STATE/installed-files"
        tar -C "$stage" -cf - . | tar -C / --keep-directory-symlink --no-overwrite-dir -xpf - || return 1
        echo "+ ldconfig" && ldconfig || return 1
        # The README's host-setup step after `meson install`, exactly, and
        # nothing else: users, directories, on the SELinux variant the
        # policy module and labels, daemon-reload, the bus policy.
        echo "+ /usr/libexec/vmunit/vmunit-setup" && /usr/libexec/vmunit/vmunit-setup || return 1
}

scenario_timeout() {
        local t
        t=$(sed -n 's/^# *vmunit-test-timeout: *\([0-9][0-9]*\).*/\1/p' "$1" | head -n1)
        echo "${t:-$DEFAULT_TIMEOUT}"
}

# Run one stage of one scenario; returns its exit code.
run_stage() {
        local script=$1 name=$2 stage=$3 dir=$4 timeout rc
        timeout=$(scenario_timeout "$script")
        echo "=== $name: stage $stage, boot $BOOT_NO ===" >>"$dir/stdout"
        echo "=== $name: stage $stage, boot $BOOT_NO ===" >>"$dir/stderr"
        echo "$name $stage" >"$RESULTS/current"
        sync
        say "begin $name stage $stage (timeout ${timeout}s)"
        (
                cd "$dir" || exit 1
                export VMUNIT_TEST_NAME=$name VMUNIT_TEST_STAGE=$stage \
                       VMUNIT_TEST_DIR=$PAYLOAD VMUNIT_TEST_LIB=$PAYLOAD/lib.sh \
                       VMUNIT_TEST_ARTIFACTS=$dir VMUNIT_TEST_STATE=$STATE/scenario/$name \
                       VMUNIT_TEST_RESUME_FILE=$STATE/resume \
                       VMUNIT_TEST_INSTALLED_FILES=$STATE/installed-files
                mkdir -p "$VMUNIT_TEST_STATE"
                exec timeout --kill-after=10 "$timeout" bash "$script" "$stage" \
                        </dev/null >>"$dir/stdout" 2>>"$dir/stderr"
        )
        rc=$?
        [ "$rc" = 124 ] && echo "runner: scenario $name stage $stage timed out after ${timeout}s" >>"$dir/stderr"
        return "$rc"
}

run_scenarios() {
        local script name dir stage rc rname rstage
        for script in "$PAYLOAD"/scenarios/*.sh; do
                [ -f "$script" ] || continue
                name=$(basename "$script" .sh)
                dir=$RESULTS/$name
                [ -e "$dir/rc" ] && continue
                mkdir -p "$dir"
                stage=start
                if [ -f "$STATE/resume" ]; then
                        read -r rname rstage <"$STATE/resume"
                        rm -f "$STATE/resume"
                        sync
                        [ "$rname" = "$name" ] && stage=$rstage
                fi
                if [ "$stage" = start ] && [ -e "$dir/started" ]; then
                        # Started before, no resume point: the host went down
                        # under it (crash, or a reboot not via the helper).
                        echo "runner: test host rebooted during $name without testhost_reboot_then" >>"$dir/stderr"
                        rc=255
                else
                        touch "$dir/started"
                        run_stage "$script" "$name" "$stage" "$dir"
                        rc=$?
                        if [ -f "$STATE/resume" ]; then
                                say "$name asked for a reboot, resuming at $(cut -d' ' -f2 "$STATE/resume")"
                                # Wait to be stopped by the shutdown.
                                sleep infinity &
                                wait
                                exit 0
                        fi
                fi
                echo "$rc" >"$dir/rc"
                rm -f "$RESULTS/current"
                sync
                say "end $name rc=$rc"
        done
}

collect() {
        local out=$RESULTS/testhost
        mkdir -p "$out"
        journalctl --no-pager -o short-precise >"$RESULTS/journal.txt" 2>&1
        systemctl list-units --all --no-pager >"$out/units.txt" 2>&1
        systemctl --failed --no-pager >"$out/failed-units.txt" 2>&1
        dmesg >"$out/dmesg.txt" 2>&1
        sync
}

mkdir -p "$RESULTS" "$STATE"
BOOT_NO=$(( $(cat "$STATE/boots" 2>/dev/null || echo 0) + 1 ))
echo "$BOOT_NO" >"$STATE/boots"
say "boot $BOOT_NO up after $(cut -d' ' -f1 /proc/uptime)s, boot id $(cat /proc/sys/kernel/random/boot_id)"
echo "$BOOT_NO $(cut -d' ' -f1 /proc/uptime)" >>"$RESULTS/boots"

if [ ! -e "$STATE/installed" ]; then
        if install_stage >"$RESULTS/install.log" 2>&1; then
                touch "$STATE/installed"
                say "stage installed"
        else
                say "installing the stage FAILED, see install.log"
                echo "failed" >"$RESULTS/install-failed"
                collect
                systemctl poweroff
                exit 1
        fi
fi

run_scenarios
say "all scenarios done, collecting and powering off"
collect
touch "$RESULTS/finished"
sync
systemctl poweroff
