#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build selinux/vmunit.pp with the reference policy's development Makefile
# (Debian: apt-get install selinux-policy-dev). Usage:
#   selinux/build-policy.sh [OUTPUT.pp]
# meson installs it to DATADIR/selinux/packages/vmunit.pp, where the host
# setup step, LIBEXECDIR/vmunit/vmunit-setup, loads it (semodule -i) and
# applies its file contexts (restorecon). No boolean needs setting: TCG
# guests run as svirt_tcg_t, the one domain with execmem.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-$PWD/vmunit.pp}
case $out in /*) ;; *) out=$PWD/$out ;; esac
makefile=${SELINUX_DEVEL_MAKEFILE:-/usr/share/selinux/devel/Makefile}
[ -r "$makefile" ] || { echo "build-policy.sh: $makefile missing (install selinux-policy-dev)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/vmunit.te" "$src/vmunit.fc" "$src/vmunit.if" "$tmp/"
make -s -C "$tmp" -f "$makefile" vmunit.pp >&2
cp "$tmp/vmunit.pp" "$out"
