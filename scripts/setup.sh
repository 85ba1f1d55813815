#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install every Debian 12 package that building, the demo and the test
# suite need. Idempotent; only calls apt-get when something is missing.
set -euo pipefail

packages=(
        # build
        gcc libc6-dev meson ninja-build pkg-config
        libxml2-dev libsystemd-dev libseccomp-dev libapparmor-dev libselinux1-dev libjson-c-dev
        nettle-dev # HMAC-SHA256 of save files
        # tests
        libcriterion-dev clang-format socat
        # fuzz harnesses (tests/fuzz/, bench/fuzz): clang and its libFuzzer runtime
        clang libclang-rt-14-dev
        # the D-Bus API tests: a private dbus-daemon, busctl; fds over D-Bus (Save(h))
        dbus systemd python3-dbus
        # running VMs (demo, integration tests)
        qemu-system-x86 qemu-utils ovmf
        # demo guest (scripts/build-demo-guest.sh downloads, does not install, the kernel)
        cpio
        # system-test tier (tests/system/)
        debootstrap debian-archive-keyring e2fsprogs util-linux
        # the SELinux policy module (selinux/), for the SELinux test-host variant
        selinux-policy-dev
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
        exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
        exit 1
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
