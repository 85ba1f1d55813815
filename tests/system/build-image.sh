#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build (or reuse) the Debian 12 test-host image for the system-test tier.
#
# Usage: build-image.sh            prints the image directory on stdout
#
# The image directory holds:
#   rootfs.raw    ext4 file system without a partition table (root=/dev/vda)
#   vmlinuz       kernel extracted from the image's /boot
#   initrd.img    initramfs extracted from the image's /boot
#   cmdline       kernel command line to boot it with
#   packages      the package list it was built from
#
# The image is cached in $VMUNIT_TESTHOST_CACHE (default
# /var/cache/vmunit-test-host), keyed by a hash of this script and the
# package list: changing either triggers a rebuild, otherwise it is reused.
# Callers must never write to rootfs.raw: boot it through a qcow2 overlay.
#
# The mirror is taken from the host's own apt configuration (never
# hard-coded) unless VMUNIT_DEBIAN_MIRROR is set.
#
# Needs root (debootstrap chroots), but no loop devices and no mounts of our
# own: mkfs.ext4 -d populates the file system straight from a directory.

set -euo pipefail

SUITE=bookworm
IMAGE_SIZE=4G
PACKAGES=(
        systemd systemd-sysv systemd-container udev dbus
        apparmor apparmor-utils
        qemu-system-x86
        linux-image-cloud-amd64 initramfs-tools
        libxml2 libjson-c5 libseccomp2 libapparmor1 libselinux1 libsystemd0
        socat jq e2fsprogs procps util-linux iproute2 kmod tmux
        openssh-server openssh-client
)
KERNEL_CMDLINE="root=/dev/vda rootfstype=ext4 rw console=ttyS0 apparmor=1 security=apparmor systemd.firstboot=off"

log() { echo "build-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap needs it)"
for tool in debootstrap mkfs.ext4 flock sha256sum; do
        command -v "$tool" >/dev/null || die "missing host tool: $tool"
done

script_path=$(readlink -f "${BASH_SOURCE[0]}")
cache=${VMUNIT_TESTHOST_CACHE:-/var/cache/vmunit-test-host}
key=$( { cat "$script_path"; printf '%s\n' "${PACKAGES[@]}"; } | sha256sum | cut -c1-16)
# >>> variant: everything up to the closing marker is left out of the key
# hash, so the default image keeps the key it had before variants existed.
# VMUNIT_TESTHOST_VARIANT=NAME sources NAME/variant.sh beside this script
# (VARIANT_PACKAGES, VARIANT_CMDLINE, variant_configure_root ROOT) and
# caches in "$cache-NAME", out of reach of the stale-image cleanup below.
key_script() { sed '/^# >>> variant/,/^# <<< variant/d' "$script_path"; }
key=$( { key_script; printf '%s\n' "${PACKAGES[@]}"; } | sha256sum | cut -c1-16)
VARIANT=${VMUNIT_TESTHOST_VARIANT:-}
if [ -n "$VARIANT" ]; then
        [[ $VARIANT =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "bad VMUNIT_TESTHOST_VARIANT: $VARIANT"
        variant_file=$(dirname "$script_path")/$VARIANT/variant.sh
        [ -f "$variant_file" ] || die "no test-host variant $VARIANT ($variant_file)"
        # shellcheck source=/dev/null
        . "$variant_file"
        PACKAGES+=("${VARIANT_PACKAGES[@]}")
        KERNEL_CMDLINE=$VARIANT_CMDLINE
        cache=$cache-$VARIANT
        key=$( { key_script; cat "$variant_file"; printf '%s\n' "${PACKAGES[@]}"; } | sha256sum | cut -c1-16)
else
        # polkit on the default test host: the VMs' bus objects ask it
        # there (50-dbus); the SELinux variant runs without it, on the
        # supervisor's own group rule. polkitd needs logind
        # (libpam-systemd), as on any Debian host that has it.
        PACKAGES+=(polkitd libpam-systemd)
        key=$( { key_script; printf '%s\n' "${PACKAGES[@]}"; } | sha256sum | cut -c1-16)
fi
# <<< variant
image_dir="$cache/$key"

# Print the first plain Debian archive URI found in the host's apt sources:
# deb822 files first, then one-line-style lists. Security and update suites
# are skipped; only http(s)/file URIs qualify (debootstrap can use those).
host_mirror() {
        local f
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -f "$f" ] || continue
                awk '
                        function flush() {
                                if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )'"$SUITE"'( |$)/ && uris != "") {
                                        split(uris, u, " ")
                                        for (i in u)
                                                if (u[i] ~ /^(https?|file):/ && u[i] !~ /security/) { print u[i]; exit }
                                }
                                types = suites = uris = ""
                        }
                        /^[ \t]*#/ { next }
                        /^[ \t]*$/ { flush(); next }
                        tolower($1) == "types:"  { $1 = ""; types = $0 }
                        tolower($1) == "suites:" { $1 = ""; suites = $0 }
                        tolower($1) == "uris:"   { $1 = ""; uris = $0 }
                        END { flush() }
                ' "$f" | head -n1
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
                [ -f "$f" ] || continue
                sed -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && $3 == "'"$SUITE"'" && $2 ~ /^(https?|file):/ { print $2 }'
        done
}

mirror() {
        local m=${VMUNIT_DEBIAN_MIRROR:-}
        [ -n "$m" ] || m=$(host_mirror | head -n1)
        [ -n "$m" ] || die "no $SUITE mirror in the host's apt sources; set VMUNIT_DEBIAN_MIRROR"
        echo "$m"
}

# Honour an apt proxy the host may be configured with (debootstrap uses wget).
apt_proxy() {
        local http_proxy=""
        if command -v apt-config >/dev/null; then
                eval "$(apt-config shell http_proxy Acquire::http::Proxy)"
        fi
        echo "$http_proxy"
}

# The in-image half of the runner: everything else comes from the payload
# disk so that changing the harness does not need an image rebuild.
write_runner_bootstrap() {
        local root=$1
        mkdir -p "$root/usr/lib/vmunit-test" "$root/mnt/vmunit-test" "$root/var/lib/vmunit-test"
        cat >"$root/usr/lib/vmunit-test/bootstrap" <<'EOF'
#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Mount the payload disk (label vmunit-payload) and hand over to its runner.
set -eu
dev=""
for _ in $(seq 1 300); do
        dev=$(blkid -L vmunit-payload 2>/dev/null) && break
        sleep 0.1
done
if [ -z "$dev" ]; then
        echo "VMUNIT-RUNNER: no payload disk, powering off" >/dev/console
        exec systemctl poweroff
fi
mountpoint -q /mnt/vmunit-test || mount -o rw "$dev" /mnt/vmunit-test
exec /bin/bash /mnt/vmunit-test/runner.sh
EOF
        chmod 0755 "$root/usr/lib/vmunit-test/bootstrap"
        # Type=exec and After=multi-user.target: the boot transaction finishes
        # without waiting for the scenarios, so `systemctl is-system-running
        # --wait` inside a scenario does not deadlock on the runner itself.
        cat >"$root/etc/systemd/system/vmunit-test-runner.service" <<'EOF'
# SPDX-License-Identifier: LGPL-2.1-or-later
[Unit]
Description=vmunit system-test runner
After=multi-user.target

[Service]
Type=exec
ExecStart=/usr/lib/vmunit-test/bootstrap
StandardOutput=journal+console
StandardError=journal+console
TimeoutStopSec=30

[Install]
WantedBy=multi-user.target
EOF
        ln -sf /etc/systemd/system/vmunit-test-runner.service \
                "$root/etc/systemd/system/multi-user.target.wants/vmunit-test-runner.service"
}

configure_root() {
        local root=$1 unit
        echo testhost >"$root/etc/hostname"
        printf '127.0.0.1\tlocalhost\n127.0.1.1\ttesthost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
        echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
        # A fixed machine id: an empty one would make this a "first boot".
        tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"
        # Persistent journal so both sides of a test-host reboot are kept.
        mkdir -p "$root/var/log/journal"
        # Nothing should run behind the scenarios' backs, and no login
        # prompt should interleave with the runner's console output.
        for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
                    e2scrub_all.timer fstrim.timer e2scrub_reap.service \
                    getty@.service serial-getty@.service systemd-firstboot.service; do
                ln -sf /dev/null "$root/etc/systemd/system/$unit"
        done
        rm -f "$root"/etc/systemd/system/timers.target.wants/* \
              "$root"/etc/systemd/system/getty.target.wants/* \
              "$root/etc/systemd/system/multi-user.target.wants/e2scrub_reap.service"
        write_runner_bootstrap "$root"
        # A small initramfs: the default (MODULES=most, 15 MB) takes seconds
        # to unpack and probe under TCG, on every boot of every run.
        sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
        printf '%s\n' virtio_pci virtio_blk >>"$root/etc/initramfs-tools/modules"
        chroot "$root" update-initramfs -u -k all >"$root/../initramfs.log" 2>&1 ||
                { cat "$root/../initramfs.log" >&2; die "update-initramfs failed"; }
        # Shrink: package caches, docs and translations are dead weight here.
        rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
               "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
               "$root"/usr/share/locale/*
# >>> variant (last: e.g. SELinux labels every file of the finished tree)
        if declare -F variant_configure_root >/dev/null; then
                variant_configure_root "$root" || die "variant $VARIANT: configuring the root failed"
        fi
# <<< variant
}

# Remove a build directory, first undoing any mounts an interrupted
# debootstrap left inside it (never follow them with rm).
DEBOOTSTRAP_PID=""
cleanup_work() {
        local work=$1 mnt
        if [ -n "$DEBOOTSTRAP_PID" ]; then
                kill -TERM "$DEBOOTSTRAP_PID" 2>/dev/null || true
                wait "$DEBOOTSTRAP_PID" 2>/dev/null || true
        fi
        awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
                while read -r mnt; do umount -l "$mnt" || true; done
        rm -rf --one-file-system "$work"
}

build() {
        local work root m proxy start=$SECONDS
        m=$(mirror)
        proxy=$(apt_proxy)
        mkdir -p "$cache"
        work=$(mktemp -d "$cache/build.XXXXXX")
        # shellcheck disable=SC2064
        trap "cleanup_work '$work'" EXIT
        root="$work/root"
        log "debootstrap $SUITE from $m (key $key)"
        # In the background so that a signal reaches our trap (and the trap
        # stops debootstrap) without waiting for debootstrap to finish.
        http_proxy=$proxy debootstrap --variant=minbase \
                --include="$(IFS=,; echo "${PACKAGES[*]}")" \
                "$SUITE" "$root" "$m" >"$work/debootstrap.log" 2>&1 &
        DEBOOTSTRAP_PID=$!
        local rc=0
        wait "$DEBOOTSTRAP_PID" || rc=$?
        DEBOOTSTRAP_PID=""
        if [ "$rc" != 0 ]; then
                tail -n 30 "$work/debootstrap.log" >&2
                [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
                die "debootstrap failed"
        fi
        log "debootstrap done after $((SECONDS - start))s"
        configure_root "$root"

        local kver
        kver=$(find "$root/boot" -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n1)
        [ -n "$kver" ] || die "no kernel in the image's /boot"
        [ -f "$root/boot/initrd.img-$kver" ] || die "no initrd for $kver in the image's /boot"
        # The root disk is virtio-blk + ext4: the initramfs must bring both.
        chroot "$root" lsinitramfs "/boot/initrd.img-$kver" >"$work/initrd.list"
        grep -q '/virtio_blk\.ko' "$work/initrd.list" || die "initramfs lacks virtio_blk"
        grep -q '/virtio_pci\.ko' "$work/initrd.list" || die "initramfs lacks virtio_pci"
        grep -q '^CONFIG_EXT4_FS=y' "$root/boot/config-$kver" || grep -q '/ext4\.ko' "$work/initrd.list" ||
                die "neither the kernel nor the initramfs has ext4"
        cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
        cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
        echo "$KERNEL_CMDLINE" >"$work/cmdline"
        printf '%s\n' "${PACKAGES[@]}" >"$work/packages"
        echo "$kver" >"$work/kernel-version"

        truncate -s "$IMAGE_SIZE" "$work/rootfs.raw"
        mkfs.ext4 -q -F -L vmunit-root -d "$root" "$work/rootfs.raw" >&2
        chmod 0444 "$work/rootfs.raw"
        rm -rf --one-file-system "$root"
        mv "$work/debootstrap.log" "$work/build.log"
        touch "$work/complete"
        rm -rf "$image_dir"
        mv "$work" "$image_dir"
        trap - EXIT
        log "built $image_dir in $((SECONDS - start))s"
}

trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$image_dir/complete" ]; then
        log "reusing cached image $image_dir"
else
        # Drop images for other keys: they are stale and large.
        for stale in "$cache"/*/; do
                [ -d "$stale" ] && [ "$(basename "$stale")" != "$key" ] && cleanup_work "${stale%/}"
        done
        build
fi
echo "$image_dir"
