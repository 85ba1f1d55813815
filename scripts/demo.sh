#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's main job: install what is missing, build, build (or reuse)
# the small Linux demo guest, and run examples/demo.xml in embedded mode
# (no systemd, no daemon): the guest boots, prints its marker line, and is
# shut down gracefully through the ACPI power button.
#
#   scripts/demo.sh              boot, show the marker, shut down
#   scripts/demo.sh --foreground boot and stay in the foreground; Ctrl-C
#                                shuts the guest down (twice: force)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure --prefix=/usr build >/dev/null; else meson setup --prefix=/usr build >/dev/null; fi
ninja -C build >/dev/null

guest_dir=$(scripts/build-demo-guest.sh | tail -n 1)
root=$(mktemp -d /tmp/vmunit-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT
sed "s|@GUEST_DIR@|$guest_dir|g" examples/demo.xml > "$root/demo.xml"

vmctl=build/src/ctl/vmctl
if [ "${1:-}" = --foreground ]; then
        exec "$vmctl" --root "$root" run "$root/demo.xml"
fi

echo "demo: starting examples/demo.xml in embedded mode under $root" >&2
"$vmctl" --root "$root" run "$root/demo.xml" &
pid=$!
for _ in $(seq 1 600); do
        grep -q "VMUNIT-DEMO-GUEST: hello" "$root/log/demo.log" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
done
if ! grep -q "VMUNIT-DEMO-GUEST: hello" "$root/log/demo.log" 2>/dev/null; then
        echo "demo: the guest's marker line did not appear within 60s" >&2
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" || true
        exit 1
fi
echo "demo: marker seen; asking the guest to shut down (ACPI power button)" >&2
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
echo "demo: supervisor exited with status $rc" >&2
exit $rc
