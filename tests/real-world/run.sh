#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run vmunit over the real-world domain XML corpus (tests/data/real-world).
# For each file, in order, until one stage fails:
#
#   validate   vmctl --root R validate FILE
#   roundtrip  vmctl --root R1 define FILE; dumpxml NAME  -> A
#              vmctl --root R2 define A;    dumpxml NAME  -> B
#              A and B must be identical (parse, format, parse, format)
#   argv       vmctl --root R domxml-to-native --null FILE
#   qemu       that command line under QEMU's -S: QMP must answer in
#              "prelaunch", then quit over QMP with exit status 0
#
# FILE is first rewritten for this host by prepare.py (host paths moved
# into a scratch directory and created, the emulator, firmware and
# machine types this host lacks swapped for its own; see there).
#
# Prints `PASS name` or `FAIL name: stage: first error line` per file,
# then the count per stage and the most common first errors. Exit 1 if
# any file failed.
#
# Usage: VMCTL=build/src/ctl/vmctl tests/real-world/run.sh [--all] [--keep] [--no-qemu] [FILE...]
#   --no-qemu  stop after the argv stage (a sanitizer build: its findings
#              are in vmctl; QEMU's acceptance is the plain build's to check)
#   --all   also the files in subdirectories (network/: NICs that need
#           host networking, not supported yet)
#   --keep  keep the scratch directory (its path is printed)
#   FILE    run these files only
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VMCTL:?VMCTL must point at a built vmctl (e.g. build/src/ctl/vmctl)}"
VMCTL=$(realpath "$VMCTL")
corpus=$(realpath "${VMUNIT_REAL_WORLD_DATA:-$here/../data/real-world}")
guest=${VMUNIT_TEST_GUEST:-}
if [[ -z $guest && -f $(dirname "$VMCTL")/../../tests/guest/vmunit-test-guest.elf ]]; then
        guest=$(realpath "$(dirname "$VMCTL")/../../tests/guest/vmunit-test-guest.elf")
fi
# shellcheck source=tests/integration/qemu-argv-lib.sh
source "$here/../integration/qemu-argv-lib.sh"

all=no keep=no no_qemu=no
files=()
while (($#)); do
        case $1 in
        --all) all=yes ;;
        --keep) keep=yes ;;
        --no-qemu) no_qemu=yes ;;
        -h | --help)
                sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
                exit 0
                ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) files+=("$(realpath "$1")") ;;
        esac
        shift
done
if ((${#files[@]} == 0)); then
        if [[ $all == yes ]]; then
                mapfile -t files < <(find "$corpus" -name '*.xml' | LC_ALL=C sort)
        else
                mapfile -t files < <(find "$corpus" -maxdepth 1 -name '*.xml' | LC_ALL=C sort)
        fi
fi

# /var/tmp, not /tmp: cache='none' means O_DIRECT, which tmpfs refuses.
scratch=$(mktemp -d /var/tmp/vmunit-real-world.XXXXXX)
qemu_pid=
cleanup() {
        if [[ -n $qemu_pid ]]; then kill -9 "$qemu_pid" 2>/dev/null || true; fi
        if [[ $keep == yes ]]; then echo "scratch kept: $scratch"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT

kvm=no
if [[ -z ${VMUNIT_TEST_NO_KVM:-} ]] && kvm_usable; then kvm=yes; fi
qemu=$(command -v qemu-system-x86_64 || true)
machines=$scratch/machines
if [[ -n $qemu ]]; then
        "$qemu" -machine help 2>/dev/null | awk 'NR > 1 { print $1 }' >"$machines" || true
else
        : >"$machines"
fi

# first_error FILE: the line that says what went wrong (a warning about
# the capability cache is not it), without vmctl's "vmctl: PATH:LINE: ".
first_error() {
        local line
        line=$(grep -v -e 'cannot ask QEMU for its machine types' -e '^prepare: ' -e '^char device redirected to' \
                -e '^VNC server running on' "$1" | grep -m1 . || true)
        [[ -n $line ]] || line=$(grep -m1 . "$1" || true)
        [[ -n $line ]] || line="(no message)"
        line=${line#vmctl: }
        line=$(sed -E -e "s#^$scratch/[^:]*/domain\.xml:([0-9]+:)? *##" -e "s#$scratch/[^ :']*/host/#/#g" \
                -e "s#$scratch/[^ :']*#SCRATCH#g" <<<"$line")
        printf '%s\n' "$line"
}

# qemu_error LOG: QEMU's own complaint (not its warnings, not the QMP
# client's traceback), without its timestamp.
qemu_error() {
        local line
        if grep -q 'failed to set MSR 0x10a' "$1"; then
                echo "this host's KVM refuses -cpu host/max (failed to set MSR 0x10a; nested?): VMUNIT_TEST_NO_KVM=1 runs TCG"
                return
        fi
        line=$(sed -E 's/^[0-9T:.-]+Z //' "$1" | grep -v -e 'warning:' -e '^char device redirected' \
                -e '^VNC server running' -e '^Traceback' -e '^  File ' | grep -m1 -E '^qemu-system|^[A-Za-z]*Error|rror' || true)
        [[ -n $line ]] || line=$(first_error "$1")
        line=$(sed -E -e "s#$scratch/[^ :',]*/host/#/#g" -e "s#$scratch/[^ :',]*#SCRATCH#g" <<<"$line")
        printf '%s\n' "$line"
}

# What this machine's nested KVM cannot do (-cpu host, Hyper-V's VP index,
# SMM) while the command line is right: such a file is run again as below.
kvm_limits="failed to set MSR 0x10a|kernel doesn't allow setting HyperV|System Management Mode not supported by this hypervisor"

# run_tcg_max SRC DIR ROOT NAME: the QEMU stage again under TCG with the
# host CPU modes as mode='maximum', for a host whose nested KVM cannot run
# -cpu host (the rest of the command line is what is being checked).
run_tcg_max() {
        local src=$1 dir=$2 root=$3 name=$4
        python3 "$here/prepare.py" "$src" "$dir/domain-tcg.xml" "$dir" --kvm no --cpu-max --machines "$machines" \
                --guest "$guest" 2>>"$dir/prepare.err" &&
                "$VMCTL" --root "$root" domxml-to-native --null "$dir/domain-tcg.xml" >"$dir/argv-tcg.bin" \
                        2>"$dir/argv-tcg.err" &&
                { qemu_default_nvram "$dir/argv-tcg.bin" "$root" >/dev/null; } &&
                qemu_run_argv "$dir/argv-tcg.bin" "$root/run/$name/qmp.sock" "$dir/qemu-tcg.log" 2>>"$dir/qemu.sh.err"
}

# The domain name define reported ("Domain 'N' defined from F").
defined_name() {
        sed -n "s/^Domain '\(.*\)' defined from .*/\1/p" "$1" | head -1
}

declare -A stage_fail=()
stages=(prepare validate roundtrip argv qemu)
for s in "${stages[@]}"; do stage_fail[$s]=0; done
pass=0 total=0
errors=$scratch/errors
: >"$errors"

fail() {
        local name=$1 stage=$2 msg=$3
        echo "FAIL $name: $stage: $msg"
        stage_fail[$stage]=$((stage_fail[$stage] + 1))
        printf '%s\t%s\n' "$stage" "$msg" >>"$errors"
}

run_file() {
        local src=$1 rel name dir root r1 r2 dname
        rel=${src#"$corpus"/}
        name=${rel%.xml}
        # Short: QMP's socket path must fit a sockaddr_un.
        dir=$scratch/$total
        root=$dir/root r1=$dir/rt1 r2=$dir/rt2
        mkdir -p "$dir" "$root/etc/domains" "$root/lib" "$root/log" "$r1" "$r2"

        if ! python3 "$here/prepare.py" "$src" "$dir/domain.xml" "$dir" --kvm "$kvm" --machines "$machines" \
                --guest "$guest" 2>"$dir/prepare.err"; then
                fail "$name" prepare "$(first_error "$dir/prepare.err")"
                return
        fi
        if ! "$VMCTL" --root "$root" validate "$dir/domain.xml" >"$dir/validate.out" 2>"$dir/validate.err"; then
                fail "$name" validate "$(first_error "$dir/validate.err")"
                return
        fi

        if ! "$VMCTL" --root "$r1" define "$dir/domain.xml" >"$dir/define1.out" 2>"$dir/roundtrip.err"; then
                fail "$name" roundtrip "define: $(first_error "$dir/roundtrip.err")"
                return
        fi
        dname=$(defined_name "$dir/define1.out")
        if ! "$VMCTL" --root "$r1" dumpxml "$dname" >"$dir/format1.xml" 2>"$dir/roundtrip.err"; then
                fail "$name" roundtrip "dumpxml: $(first_error "$dir/roundtrip.err")"
                return
        fi
        if ! "$VMCTL" --root "$r2" define "$dir/format1.xml" >"$dir/define2.out" 2>"$dir/roundtrip.err"; then
                fail "$name" roundtrip "re-parsing the formatted XML: $(first_error "$dir/roundtrip.err")"
                return
        fi
        if ! "$VMCTL" --root "$r2" dumpxml "$dname" >"$dir/format2.xml" 2>"$dir/roundtrip.err"; then
                fail "$name" roundtrip "dumpxml of the re-parsed XML: $(first_error "$dir/roundtrip.err")"
                return
        fi
        if ! diff -u "$dir/format1.xml" "$dir/format2.xml" >"$dir/roundtrip.diff"; then
                fail "$name" roundtrip "format(parse(format(parse(FILE)))) differs: $(grep -m1 '^[-+][^-+]' "$dir/roundtrip.diff" | sed "s#$scratch/[^ :']*/host/#/#g")"
                return
        fi

        mkdir -p "$root/run/$dname"
        if ! "$VMCTL" --root "$root" domxml-to-native --null "$dir/domain.xml" >"$dir/argv.bin" 2>"$dir/argv.err"; then
                fail "$name" argv "$(first_error "$dir/argv.err")"
                return
        fi
        if [[ $no_qemu == yes ]]; then
                echo "PASS $name"
                pass=$((pass + 1))
                return
        fi
        # firmware='efi' without <nvram>: the store the supervisor would make.
        qemu_default_nvram "$dir/argv.bin" "$root" >/dev/null
        # (stderr: bash reports a QEMU killed by a signal there)
        if ! qemu_run_argv "$dir/argv.bin" "$root/run/$dname/qmp.sock" "$dir/qemu.log" 2>>"$dir/qemu.sh.err"; then
                if ! grep -qE "$kvm_limits" "$dir/qemu.log" || ! run_tcg_max "$src" "$dir" "$root" "$dname"; then
                        fail "$name" qemu "$(qemu_error "$dir/qemu.log")"
                        return
                fi
                echo "PASS $name (TCG with cpu mode='maximum': this host's nested KVM refused it)"
                pass=$((pass + 1))
                return
        fi
        echo "PASS $name"
        pass=$((pass + 1))
}

for src in "${files[@]}"; do
        total=$((total + 1))
        run_file "$src"
done

echo
echo "== $pass of $total files passed every stage (kvm: $kvm)"
for s in "${stages[@]}"; do
        printf '   %-10s %d failed\n' "$s" "${stage_fail[$s]}"
done
if [[ -s $errors ]]; then
        echo
        echo "== most common first errors"
        cut -f2 "$errors" | sort | uniq -c | sort -rn | head -15
fi
((pass == total))
