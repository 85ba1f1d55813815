# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The SELinux test-host variant (issue 4, SELinux sVirt): Debian's
# reference policy, the tree labelled offline, booted with
# `selinux=1 security=selinux` (permissive; the scenario switches to
# enforcing with setenforce 1 for its own duration).
#
# Meant to be sourced by build-image.sh when VMUNIT_TESTHOST_VARIANT=selinux
# (see the hook described in README.md beside this file); it only defines:
#   VARIANT_PACKAGES        extra packages for debootstrap --include
#   VARIANT_CMDLINE         the kernel command line replacing the default
#   variant_configure_root  ROOT: run after configure_root, before mkfs

VARIANT_PACKAGES=(selinux-policy-default selinux-utils policycoreutils semodule-utils auditd)
VARIANT_CMDLINE="root=/dev/vda rootfstype=ext4 rw console=ttyS0 selinux=1 security=selinux enforcing=0 systemd.firstboot=off"

variant_configure_root() {
        local root=$1 policy rc=0
        # Permissive at boot: a policy gap in early boot must not cost a
        # whole run; the scenario turns enforcing on and says so.
        cat >"$root/etc/selinux/config" <<'CONF'
SELINUX=permissive
SELINUXTYPE=default
CONF
        # Label every file now (mkfs.ext4 -d copies the security.selinux
        # xattrs into the image), instead of /.autorelabel, which costs an
        # extra boot under TCG. -c: check contexts against the binary
        # policy, since the build host's kernel has no SELinux to ask.
        policy=$(find "$root/etc/selinux/default/policy" -name 'policy.*' | sort -V | tail -n1)
        [ -n "$policy" ] || { echo "variant selinux: no binary policy in the image" >&2; return 1; }
        mount -t proc proc "$root/proc"
        chroot "$root" setfiles -F -c "${policy#"$root"}" -e /proc -e /sys -e /dev \
                /etc/selinux/default/contexts/files/file_contexts / || rc=$?
        umount "$root/proc"
        return "$rc"
}
