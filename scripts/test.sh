#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's test command: install what is missing, build, and run the
# whole suite — formatting, unit + integration tests, the same again under
# AddressSanitizer/UBSan, then the system tier in a disposable test host.
# Ends with one line "N passed, N failed".
#
#   scripts/test.sh            everything
#   VMUNIT_SKIP_SYSTEM=1 ...   skip the system tier (quick local runs)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

status=0
passed=0
failed=0

# Add one meson run's results (meson-logs/testlog.json) to the totals.
count_meson() {
        local log=$1/meson-logs/testlog.json counts
        [ -f "$log" ] || return 0
        counts=$(python3 -c '
import json, sys
ok = bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL", "SKIP"):
        ok += r != "SKIP"
    else:
        bad += 1
print(ok, bad)' "$log")
        passed=$((passed + ${counts% *}))
        failed=$((failed + ${counts#* }))
}

setup_build() {
        local dir=$1; shift
        if [ -f "$dir/build.ninja" ]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@" >/dev/null
        fi
        ninja -C "$dir"
}

step() { echo; echo "=== $* ==="; }

step "formatting (.clang-format)"
if scripts/check-format.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi

step "build and test"
# -Dtest_hooks=true: the label library's pause points, so
# test-label-crash can SIGKILL it at every journalled step.
setup_build build --prefix=/usr -Dtest_hooks=true
meson test -C build --suite unit --suite integration --print-errorlogs || status=1
count_meson build

step "the README's main job (scripts/demo.sh): Linux demo guest, marker, ACPI shutdown"
if scripts/demo.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi

step "build and test under AddressSanitizer + UBSan"
setup_build build-asan --prefix=/usr -Dtest_hooks=true -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
        meson test -C build-asan --suite unit --suite integration --print-errorlogs || status=1
count_meson build-asan
# Criterion workers report leaks without failing the test: read the log too.
if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" build-asan/meson-logs/testlog.txt; then
        echo "sanitizer reports in build-asan/meson-logs/testlog.txt:" >&2
        grep -A3 "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" build-asan/meson-logs/testlog.txt | head -40 >&2
        failed=$((failed + 1))
        status=1
fi

step "fuzz harnesses (short fixed count)"
# tests/fuzz/ built with clang (-Dfuzz=true, ASan+UBSan): each harness runs
# its committed corpus, regression inputs included, then a fixed number of
# mutations from a fixed seed. New inputs go to a scratch directory, never
# into the committed corpus. bench/fuzz is the long run.
CC=clang setup_build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dtests=disabled
fuzz_tmp=$(mktemp -d)
for harness in build-fuzz/tests/fuzz/fuzz-*; do
        [ -x "$harness" ] && [ -f "$harness" ] || continue
        target=${harness##*/fuzz-}
        xml=()
        case $target in
        domain-xml|disk-xml|generator-render) xml=(-dict=tests/fuzz/domain-xml.dict -max_len=16384) ;;
        esac
        mkdir -p "$fuzz_tmp/$target"
        if "$harness" -runs="${VMUNIT_FUZZ_RUNS:-20000}" -seed=1 -timeout=10 "${xml[@]}" \
                -artifact_prefix="$fuzz_tmp/$target/" "$fuzz_tmp/$target" "tests/fuzz/corpus/$target" \
                >"$fuzz_tmp/$target.log" 2>&1; then
                echo "fuzz-$target: ok ($(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$fuzz_tmp/$target.log"))"
                passed=$((passed + 1))
        else
                echo "fuzz-$target: FAILED; its log:" >&2
                grep -v '^#[0-9]' "$fuzz_tmp/$target.log" | tail -40 >&2
                failed=$((failed + 1))
                status=1
        fi
done
rm -rf "$fuzz_tmp"

# run_system TITLE [ENV...]: one system-tier run, its summary line counted.
run_system() {
        local title=$1 out summary
        shift
        step "$title"
        out=$(mktemp)
        env "$@" tests/system/run.sh build | tee "$out" || status=1
        summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1 || true)
        if [ -n "$summary" ]; then
                passed=$((passed + $(echo "$summary" | cut -d' ' -f1)))
                failed=$((failed + $(echo "$summary" | cut -d' ' -f3)))
        else
                failed=$((failed + 1))
        fi
        rm -f "$out"
}

if [ "${VMUNIT_SKIP_SYSTEM:-0}" != 1 ]; then
        run_system "system tier (Debian test host with systemd + AppArmor, under QEMU)"
        run_system "system tier, SELinux variant (enforcing)" \
                VMUNIT_TESTHOST_VARIANT=selinux VMUNIT_SYSTEM_SCENARIOS_DIR=tests/system/selinux/scenarios
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
