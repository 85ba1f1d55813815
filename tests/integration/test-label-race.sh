#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The label library under a renameat2(RENAME_EXCHANGE) race, as a race
# (#3): while flip-dirs swaps the directory a file's path goes through
# with one holding a root-owned 0600 victim, label-race resolves, checks
# (owner must be the caller), labels (DAC + SELinux under the shim) and
# restores thousands of times. The file the check passed is the one
# labelled and restored every time; the victim never gets an ACL entry, a
# holder record or a context. Both sides must have been seen, or the race
# did not happen.
source "$(dirname "$0")/lib.sh"
: "${VMUNIT_LABEL_RACE:?run through meson test}"
: "${VMUNIT_FLIP_DIRS:?run through meson test}"
: "${VMUNIT_SELINUX_SHIM:?run through meson test}"
if [ "$(id -u)" != 0 ]; then
        echo "SKIP: needs root (ACLs for another uid, trusted.* xattrs)"
        exit 77
fi
ITERATIONS=${VMUNIT_RACE_ITERATIONS:-2000}

R=$(mktemp -d /dev/shm/vmunit-race.XXXXXX) # tmpfs: fsync costs nothing, so thousands of rounds are quick
trap 'rm -rf "$R"' EXIT
S=$R/shim
mkdir -p "$S" "$R/d/mine" "$R/d/other"
export VMUNIT_SELINUX_SHIM_DIR=$S
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
printf 'system_u:system_r:svirt_t:s0\n' >"$S/virtual_domain_context"
printf 'system_u:object_r:svirt_image_t:s0\nsystem_u:object_r:virt_content_t:s0\n' >"$S/virtual_image_context"
head -c 4096 /dev/zero >"$R/d/mine/vmlinuz"
chown 1000:1000 "$R/d/mine/vmlinuz"
chmod 600 "$R/d/mine/vmlinuz"
head -c 4096 /dev/zero >"$R/d/other/vmlinuz"
chmod 600 "$R/d/other/vmlinuz" # the victim: root's
VICTIM=$R/d/other/vmlinuz

t_begin "resolve+check+label+restore x$ITERATIONS while the directory flips"
if out=$(LD_PRELOAD=$VMUNIT_SELINUX_SHIM "$VMUNIT_LABEL_RACE" "$R" 4242 4343 "$ITERATIONS" \
        "$R/d/mine/vmlinuz" "$VICTIM" "$VMUNIT_FLIP_DIRS" "$R/d/mine" "$R/d/other" 2>"$R/race.err"); then
        echo "$out"
        read -r labelled _ refused _ <<<"$out"
        if [ "${labelled:-0}" = "$ITERATIONS" ] && [ "${refused:-0}" -gt 0 ]; then
                t_pass
        else
                t_fail "the race never hit both sides: $out"
        fi
else
        t_fail "$(cat "$R/race.err")"
fi
t_end
