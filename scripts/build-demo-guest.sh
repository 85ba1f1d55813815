#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build the demo Linux guest: Debian's cloud kernel plus a busybox-static
# initramfs whose /init says hello on the serial console, waits for the ACPI
# power button and powers off. Nothing is installed on the host except cpio
# (if missing): both packages are fetched with `apt-get download` and
# unpacked with `dpkg-deb -x`.
#
# Output: $VMUNIT_GUEST_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/vmunit/demo-guest)
# holding vmlinuz and initrd.img. The directory is printed on stdout (and
# nothing else is); progress goes to stderr. It is rebuilt only when the
# package versions or this script change (key kept in the file `stamp`).
set -euo pipefail

dir=${VMUNIT_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmunit/demo-guest}
meta=linux-image-cloud-amd64

say() { echo "build-demo-guest: $*" >&2; }
die() { say "$*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root"; }

# One apt-cache call (each costs seconds where apt keeps no pkgcache.bin):
# the metapackage's candidate pins the versioned kernel package it wants.
# Prints "KERNEL-PACKAGE KERNEL-VERSION BUSYBOX-VERSION".
query_packages() {
        apt-cache show --no-all-versions "$meta" busybox-static 2>/dev/null | awk '
                /^Package:/ { pkg = $2 }
                /^Version:/ && pkg == "busybox-static" { bver = $2 }
                /^Depends:/ && pkg == "'"$meta"'" && match($0, /linux-image-[0-9][^ ,]* \(= [^)]*\)/) {
                        split(substr($0, RSTART, RLENGTH), d, /[ ()=]+/); kpkg = d[1]; kver = d[2]
                }
                END { if (kpkg != "" && bver != "") print kpkg, kver, bver }'
}

resolve_packages() {
        local found
        found=$(query_packages)
        if [ -z "$found" ]; then
                need_root "apt-get update"
                say "package lists lack $meta or busybox-static; running apt-get update"
                apt-get update -qq >&2
                found=$(query_packages)
        fi
        [ -n "$found" ] || die "cannot resolve $meta and busybox-static with apt-cache"
        read -r kpkg kver bver <<< "$found"
}

write_init() {
        cat > "$1" <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# vmunit demo guest: say hello, wait for the ACPI power button, power off.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# vmunit.pci on the kernel command line: the PCI devices as this guest
# sees them, address vendor class (tests/integration/test-pci-layout.sh).
if grep -qw vmunit.pci /proc/cmdline; then
        for dev in /sys/bus/pci/devices/*; do
                echo "VMUNIT-DEMO-GUEST: pci ${dev##*/} $(cat "$dev/vendor") $(cat "$dev/class")"
        done
fi
# The cloud kernel builds the ACPI button driver as a module; loading it
# enables the power-button event. ACPI counts each press in sysfs, so a
# press that lands any time after this point is seen by the loop below.
insmod /lib/modules/button.ko
counter=/sys/firmware/acpi/interrupts/ff_pwr_btn
echo "VMUNIT-DEMO-GUEST: hello from the demo guest"
while read -r presses _ < "$counter" && [ "$presses" = 0 ]; do
        sleep 0.2
done
echo "VMUNIT-DEMO-GUEST: power button, powering off"
poweroff -f
EOF
        chmod 755 "$1"
}

# Copy a module out of the unpacked kernel package, decompressing if needed.
copy_module() {
        local src
        src=$(find "$1/lib/modules" -name "$2.ko" -o -name "$2.ko.xz" | head -n1)
        [ -n "$src" ] || die "module $2 not found in $kpkg"
        case "$src" in
        *.xz) xz -dc "$src" > "$3/$2.ko" ;;
        *) cp "$src" "$3/$2.ko" ;;
        esac
}

build() {
        local work=$1 root=$1/root
        mkdir -p "$dir/debs" "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,lib/modules}
        say "downloading $kpkg $kver and busybox-static $bver"
        (cd "$dir/debs" && rm -f ./*.deb &&
                apt-get download -qq -o APT::Sandbox::User=root "$kpkg=$kver" "busybox-static=$bver" >&2)
        dpkg-deb -x "$dir/debs/${kpkg}_"*.deb "$work/kernel"
        dpkg-deb -x "$dir/debs/busybox-static_"*.deb "$work/busybox"

        cp "$work"/kernel/boot/vmlinuz-* "$work/vmlinuz"
        copy_module "$work/kernel" button "$root/lib/modules"
        cp "$work/busybox/bin/busybox" "$root/bin/busybox"
        ln -s busybox "$root/bin/sh"
        # The kernel opens /dev/console for /init before devtmpfs is mounted.
        mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
        write_init "$root/init"
        # Fixed mtimes, order and owner: the same inputs give the same initrd.
        find "$root" -exec touch -h -d @0 {} +
        (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible -R 0:0) | gzip -9 -n > "$work/initrd.img"
}

main() {
        command -v dpkg-deb > /dev/null || die "dpkg-deb not found (Debian only)"
        if ! command -v cpio > /dev/null; then
                need_root "installing cpio"
                say "installing cpio"
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cpio >&2
        fi
        mkdir -p "$dir"
        exec 9> "$dir/.lock"
        flock 9

        resolve_packages
        local key
        key="$kpkg=$kver busybox-static=$bver script=$(sha256sum "$0" | cut -d' ' -f1)"
        if [ -f "$dir/vmlinuz" ] && [ -f "$dir/initrd.img" ] && [ "$(cat "$dir/stamp" 2> /dev/null)" = "$key" ]; then
                say "up to date"
                echo "$dir"
                return
        fi

        work=$(mktemp -d "$dir/build.XXXXXX")
        trap 'rm -rf "$work"' EXIT
        rm -f "$dir/stamp"
        build "$work"
        mv "$work/vmlinuz" "$dir/vmlinuz"
        mv "$work/initrd.img" "$dir/initrd.img"
        echo "$key" > "$dir/stamp"
        say "built $(du -h "$dir/vmlinuz" | cut -f1) kernel, $(du -h "$dir/initrd.img" | cut -f1) initrd"
        echo "$dir"
}

main "$@"
