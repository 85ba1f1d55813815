#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# SELinux sVirt (src/label/selinux.c) through the label manager, on a host
# without SELinux: libselinux is replaced by the LD_PRELOAD shim
# (tests/selinux-shim/), whose state is plain files we set up and read.
# Checks: each VM gets its own category pair and its exclusive files the
# matching pair, shared and read-only files the policy's shared and
# content contexts, a second VM cannot take another's exclusive disk,
# originals come back at stop (shared ones only with the last VM), a
# SIGKILLed VM is cleaned up from its journal, and concurrent starts never
# hand out the same pair.
source "$(dirname "$0")/lib.sh"
: "${VMUNIT_SELINUX_DRIVER:?run through meson test}"
: "${VMUNIT_SELINUX_SHIM:?run through meson test}"

R=$(new_root)
S=$R/shim
IMG=$R/images
mkdir -p "$S" "$IMG"
export VMUNIT_SELINUX_SHIM_DIR=$S
# An ASan build puts its runtime first only when it is linked first; the
# shim is preloaded before it, which is fine for this test.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

# Debian 12's selinux-policy-default contexts/virtual_*_context, verbatim.
printf 'system_u:system_r:svirt_t:s0\n' >"$S/virtual_domain_context"
printf 'system_u:object_r:svirt_image_t:s0\nsystem_u:object_r:virt_content_t:s0\n' >"$S/virtual_image_context"
printf 'system_u:object_r:user_tmp_t:s0\n' >"$S/default-filecon"
ORIG=system_u:object_r:user_tmp_t:s0

# The shim keeps labels per inode: DEV:INO of what the path names.
shim_key() {
        stat -L -c '%d:%i' -- "$1"
}

con_of() {
        local f
        f=$S/filecon/$(shim_key "$1")
        if [ -e "$f" ]; then cat "$f"; else cat "$S/default-filecon"; fi
}

set_con() {
        mkdir -p "$S/filecon"
        printf '%s' "$2" >"$S/filecon/$(shim_key "$1")"
}

BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)
# The holder record without its boot id ("ORIGINAL UUID..."); a record
# of another boot shows as "stale-boot ...".
holders_of() {
        local f v
        f=$S/xattr/$(shim_key "$1")@trusted.vmunit.secontext
        [ -e "$f" ] || return 0
        v=$(cat "$f")
        if [ "${v%% *}" = "$BOOT_ID" ]; then printf '%s' "${v#* }"; else printf 'stale-boot %s' "$v"; fi
}

MCS=$R/lib/labels/mcs

expect_con() {
        local got
        got=$(con_of "$1")
        [ "$got" = "$2" ] || { t_fail "$1: label '$got', want '$2'"; return 1; }
}

# domain_xml NAME UUID EXCLUSIVE_DISK [SECLABEL_ELEMENT]; a TCG domain
# unless DOMAIN_TYPE says otherwise (the driver never opens /dev/kvm).
domain_xml() {
        cat <<XML
<domain type='${DOMAIN_TYPE:-qemu}'>
  <name>$1</name>
  <uuid>$2</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$IMG/vmlinuz</kernel>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <source file='$3'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='$IMG/shared.img'/>
      <target dev='vdb' bus='virtio'/>
      <shareable/>
    </disk>
    <disk type='file' device='disk'>
      <source file='$IMG/ro.img'/>
      <target dev='vdc' bus='virtio'/>
      <readonly/>
    </disk>
    <serial type='pty'/>
    <memballoon model='none'/>
  </devices>
  ${4:-}
</domain>
XML
}

declare -A PID OUT
# start_vm NAME UUID DISK [SECLABEL]: run the driver in the background
# until "ready" (0) or its exit (1).
start_vm() {
        local name=$1 i
        domain_xml "$1" "$2" "$3" "${4:-}" >"$R/$name.xml"
        OUT[$name]=$R/$name.out
        LD_PRELOAD=$VMUNIT_SELINUX_SHIM "$VMUNIT_SELINUX_DRIVER" "$R" "$R/$name.xml" run \
                >"${OUT[$name]}" 2>"$R/$name.err" &
        PID[$name]=$!
        for ((i = 0; i < 200; i++)); do
                grep -q '^ready$' "${OUT[$name]}" && return 0
                kill -0 "${PID[$name]}" 2>/dev/null || { wait "${PID[$name]}" || true; return 1; }
                sleep 0.05
        done
        return 1
}

stop_vm() {
        kill -TERM "${PID[$1]}"
        wait "${PID[$1]}"
}

exec_of() { sed -n 's/^exec //p' "${OUT[$1]}"; }
# The pair of a TCG domain: Debian's policy names no TCG domain, so it is
# the one vmunit's module declares.
pair_of() { exec_of "$1" | sed -n 's/^system_u:system_r:svirt_tcg_t:s0:\(c[0-9]*,c[0-9]*\)$/\1/p'; }

cleanup_vm() {
        LD_PRELOAD=$VMUNIT_SELINUX_SHIM "$VMUNIT_SELINUX_DRIVER" "$R" "$1" cleanup >/dev/null
}

for f in a.img b.img c.img shared.img ro.img vmlinuz; do
        truncate -s 64K "$IMG/$f"
done
set_con "$IMG/a.img" system_u:object_r:virt_image_t:s0
UUID_A=0a0a0a0a-0000-4000-8000-00000000000a
UUID_B=0b0b0b0b-0000-4000-8000-00000000000b

t_begin "first VM: svirt_tcg_t (TCG) with a pair, matching image labels"
if start_vm a $UUID_A "$IMG/a.img"; then
        PA=$(pair_of a)
        grep -qx 'backends selinux' "${OUT[a]}" || t_fail "backends: $(head -1 "${OUT[a]}")"
        if [ -z "$PA" ]; then
                t_fail "exec label '$(exec_of a)' is not svirt_tcg_t:s0:cA,cB"
        else
                ok=1
                expect_con "$IMG/a.img" "system_u:object_r:svirt_image_t:s0:$PA" || ok=0
                expect_con "$R/run/a" "system_u:object_r:svirt_image_t:s0:$PA" || ok=0
                # The supervisor's console log keeps its directory's label:
                # QEMU appends through its fd, and may not open it by path.
                expect_con "$R/run/a/console.log" "$ORIG" || ok=0
                [ -z "$(holders_of "$R/run/a/console.log")" ] || { t_fail "console.log got a holder record"; ok=0; }
                expect_con "$IMG/shared.img" system_u:object_r:svirt_image_t:s0 || ok=0
                expect_con "$IMG/ro.img" system_u:object_r:virt_content_t:s0 || ok=0
                expect_con "$IMG/vmlinuz" system_u:object_r:virt_content_t:s0 || ok=0
                [ -e "$MCS/$PA" ] || { t_fail "no reservation $MCS/$PA"; ok=0; }
                [ "$(cat "$S/exec.${PID[a]}" 2>/dev/null)" = "$(exec_of a)" ] || { t_fail "setexeccon not called"; ok=0; }
                [ "$(holders_of "$IMG/a.img")" = "system_u:object_r:virt_image_t:s0 $UUID_A" ] ||
                        { t_fail "holders of a.img: '$(holders_of "$IMG/a.img")'"; ok=0; }
                [ $ok = 1 ] && t_pass
        fi
else
        t_fail "VM a did not start: $(cat "$R/a.err")"
fi

t_begin "second VM: another pair, shared images held by both"
if start_vm b $UUID_B "$IMG/b.img"; then
        PB=$(pair_of b)
        ok=1
        [ -n "$PB" ] && [ "$PB" != "$PA" ] || { t_fail "pairs not distinct: a=$PA b=$PB"; ok=0; }
        expect_con "$IMG/b.img" "system_u:object_r:svirt_image_t:s0:$PB" || ok=0
        expect_con "$IMG/a.img" "system_u:object_r:svirt_image_t:s0:$PA" || ok=0
        expect_con "$IMG/shared.img" system_u:object_r:svirt_image_t:s0 || ok=0
        [ "$(holders_of "$IMG/shared.img")" = "$ORIG $UUID_A $UUID_B" ] ||
                { t_fail "holders of shared.img: '$(holders_of "$IMG/shared.img")'"; ok=0; }
        [ $ok = 1 ] && t_pass
else
        t_fail "VM b did not start: $(cat "$R/b.err")"
fi

t_begin "another VM's exclusive disk is refused, nothing left behind"
if start_vm c 0c0c0c0c-0000-4000-8000-00000000000c "$IMG/a.img"; then
        t_fail "VM c labelled VM a's disk"
        stop_vm c || true
elif ! grep -q 'Device or resource busy' "$R/c.err"; then
        t_fail "unexpected error: $(cat "$R/c.err")"
else
        ok=1
        expect_con "$IMG/a.img" "system_u:object_r:svirt_image_t:s0:$PA" || ok=0
        [ "$(holders_of "$IMG/shared.img")" = "$ORIG $UUID_A $UUID_B" ] ||
                { t_fail "c left a hold on shared.img: '$(holders_of "$IMG/shared.img")'"; ok=0; }
        [ "$(ls "$MCS" | wc -l)" = 2 ] || { t_fail "c kept its pair: $(ls "$MCS")"; ok=0; }
        [ ! -e "$R/run/labels/c.journal" ] || { t_fail "c left its journal"; ok=0; }
        [ $ok = 1 ] && t_pass
fi

t_begin "clean stop restores exclusive files; shared stay for the other VM"
if stop_vm a && grep -qx restored "${OUT[a]}"; then
        ok=1
        expect_con "$IMG/a.img" system_u:object_r:virt_image_t:s0 || ok=0
        expect_con "$R/run/a" "$ORIG" || ok=0
        expect_con "$IMG/shared.img" system_u:object_r:svirt_image_t:s0 || ok=0
        expect_con "$IMG/ro.img" system_u:object_r:virt_content_t:s0 || ok=0
        [ -z "$(holders_of "$IMG/a.img")" ] || { t_fail "a.img keeps its holder record"; ok=0; }
        [ "$(holders_of "$IMG/shared.img")" = "$ORIG $UUID_B" ] ||
                { t_fail "holders of shared.img: '$(holders_of "$IMG/shared.img")'"; ok=0; }
        [ ! -e "$MCS/$PA" ] || { t_fail "pair $PA not released"; ok=0; }
        [ $ok = 1 ] && t_pass
else
        t_fail "VM a did not stop cleanly: $(cat "$R/a.err")"
fi

t_begin "SIGKILLed VM: cleanup restores everything and frees the pair"
kill -KILL "${PID[b]}"
wait "${PID[b]}" 2>/dev/null || true
ok=1
expect_con "$IMG/b.img" "system_u:object_r:svirt_image_t:s0:$PB" || ok=0 # still labelled after the kill
if cleanup_vm b; then
        for f in b.img shared.img ro.img vmlinuz; do
                expect_con "$IMG/$f" "$ORIG" || ok=0
                [ -z "$(holders_of "$IMG/$f")" ] || { t_fail "$f keeps a holder record"; ok=0; }
        done
        expect_con "$IMG/a.img" system_u:object_r:virt_image_t:s0 || ok=0
        [ -z "$(ls "$MCS")" ] || { t_fail "pairs left: $(ls "$MCS")"; ok=0; }
        [ ! -e "$R/run/labels/b.journal" ] || { t_fail "journal left"; ok=0; }
        cleanup_vm b || { t_fail "second cleanup failed"; ok=0; }
        expect_con "$IMG/shared.img" "$ORIG" || ok=0
else
        t_fail "cleanup failed"
        ok=0
fi
[ $ok = 1 ] && t_pass

t_begin "concurrent starts never share a pair; a full space is refused"
# Categories c0..c3: exactly six pairs for six VMs started at once.
printf 'system_u:system_r:virtd_t:s0-s0:c0.c3\n' >"$S/con"
names=()
for i in 1 2 3 4 5 6; do
        truncate -s 64K "$IMG/p$i.img"
        domain_xml "p$i" "$(printf '00000000-0000-4000-8000-%012d' "$i")" "$IMG/p$i.img" >"$R/p$i.xml"
        LD_PRELOAD=$VMUNIT_SELINUX_SHIM "$VMUNIT_SELINUX_DRIVER" "$R" "$R/p$i.xml" run >"$R/p$i.out" 2>"$R/p$i.err" &
        PID[p$i]=$!
        OUT[p$i]=$R/p$i.out
        names+=("p$i")
done
ok=1
for n in "${names[@]}"; do
        for ((i = 0; i < 200; i++)); do
                grep -q '^ready$' "${OUT[$n]}" && break
                kill -0 "${PID[$n]}" 2>/dev/null || break
                sleep 0.05
        done
        grep -q '^ready$' "${OUT[$n]}" || { t_fail "$n did not start: $(cat "$R/$n.err")"; ok=0; }
done
pairs=$(for n in "${names[@]}"; do pair_of "$n"; done | sort)
[ "$(printf '%s\n' "$pairs" | sort -u | wc -l)" = 6 ] || { t_fail "pairs not unique: $(echo $pairs)"; ok=0; }
[ "$(ls "$MCS" | wc -l)" = 6 ] || { t_fail "reservations: $(ls "$MCS")"; ok=0; }
if start_vm p7 00000000-0000-4000-8000-000000000007 "$IMG/c.img"; then
        t_fail "a seventh VM got a pair from a full space"
        stop_vm p7 || true
elif ! grep -q 'No space left' "$R/p7.err"; then
        t_fail "seventh VM: $(cat "$R/p7.err")"
        ok=0
fi
for n in "${names[@]}"; do
        kill -0 "${PID[$n]}" 2>/dev/null && { stop_vm "$n" || { t_fail "$n did not stop"; ok=0; }; }
done
[ -z "$(ls "$MCS")" ] || { t_fail "pairs left: $(ls "$MCS")"; ok=0; }
expect_con "$IMG/shared.img" "$ORIG" || ok=0
[ $ok = 1 ] && t_pass
rm -f "$S/con"

t_begin "static label, relabel='no': exec as given, no pair, files untouched"
STATIC=system_u:system_r:svirt_t:s0:c100,c200
if start_vm s 05050505-0000-4000-8000-000000000005 "$IMG/c.img" \
        "<seclabel type='static' model='selinux' relabel='no'><label>$STATIC</label></seclabel>"; then
        ok=1
        [ "$(exec_of s)" = "$STATIC" ] || { t_fail "exec label '$(exec_of s)', want $STATIC"; ok=0; }
        [ "$(cat "$S/exec.${PID[s]}" 2>/dev/null)" = "$STATIC" ] || { t_fail "setexeccon not called"; ok=0; }
        for f in c.img shared.img ro.img vmlinuz; do
                expect_con "$IMG/$f" "$ORIG" || ok=0
                [ -z "$(holders_of "$IMG/$f")" ] || { t_fail "$f got a holder record"; ok=0; }
        done
        [ -z "$(ls "$MCS" 2>/dev/null)" ] || { t_fail "a pair was reserved: $(ls "$MCS")"; ok=0; }
        stop_vm s && grep -qx restored "${OUT[s]}" || { t_fail "did not stop cleanly: $(cat "$R/s.err")"; ok=0; }
        expect_con "$IMG/c.img" "$ORIG" || ok=0
        [ $ok = 1 ] && t_pass
else
        t_fail "static VM did not start: $(cat "$R/s.err")"
fi

t_begin "static label, relabel='yes': images get the given imagelabel, restored at stop"
IMAGE_LABEL=system_u:object_r:svirt_image_t:s0:c100,c200
if start_vm r 06060606-0000-4000-8000-000000000006 "$IMG/c.img" \
        "<seclabel type='static' model='selinux' relabel='yes'><label>$STATIC</label><imagelabel>$IMAGE_LABEL</imagelabel></seclabel>"; then
        ok=1
        [ "$(exec_of r)" = "$STATIC" ] || { t_fail "exec label '$(exec_of r)', want $STATIC"; ok=0; }
        expect_con "$IMG/c.img" "$IMAGE_LABEL" || ok=0
        expect_con "$IMG/shared.img" system_u:object_r:svirt_image_t:s0 || ok=0
        expect_con "$IMG/ro.img" system_u:object_r:virt_content_t:s0 || ok=0
        [ -z "$(ls "$MCS" 2>/dev/null)" ] || { t_fail "a pair was reserved: $(ls "$MCS")"; ok=0; }
        stop_vm r && grep -qx restored "${OUT[r]}" || { t_fail "did not stop cleanly: $(cat "$R/r.err")"; ok=0; }
        for f in c.img shared.img ro.img vmlinuz; do
                expect_con "$IMG/$f" "$ORIG" || ok=0
        done
        [ $ok = 1 ] && t_pass
else
        t_fail "static relabel VM did not start: $(cat "$R/r.err")"
fi

t_begin "type='none': no exec label, no pair, files untouched"
if start_vm n 07070707-0000-4000-8000-000000000007 "$IMG/c.img" "<seclabel type='none'/>"; then
        ok=1
        [ "$(exec_of n)" = "(none)" ] || { t_fail "exec label '$(exec_of n)', want none"; ok=0; }
        [ ! -e "$S/exec.${PID[n]}" ] || { t_fail "setexeccon was called"; ok=0; }
        for f in c.img shared.img ro.img vmlinuz; do
                expect_con "$IMG/$f" "$ORIG" || ok=0
        done
        expect_con "$R/run/n" "$ORIG" || ok=0
        [ -z "$(ls "$MCS" 2>/dev/null)" ] || { t_fail "a pair was reserved: $(ls "$MCS")"; ok=0; }
        stop_vm n && grep -qx restored "${OUT[n]}" || { t_fail "did not stop cleanly: $(cat "$R/n.err")"; ok=0; }
        [ $ok = 1 ] && t_pass
else
        t_fail "type=none VM did not start: $(cat "$R/n.err")"
fi

t_begin "a seclabel for AppArmor leaves SELinux dynamic"
if start_vm m 08080808-0000-4000-8000-000000000008 "$IMG/c.img" \
        "<seclabel type='none' model='apparmor'/>"; then
        ok=1
        PM=$(pair_of m)
        [ -n "$PM" ] || { t_fail "exec label '$(exec_of m)' is not dynamic"; ok=0; }
        expect_con "$IMG/c.img" "system_u:object_r:svirt_image_t:s0:$PM" || ok=0
        stop_vm m || { t_fail "did not stop"; ok=0; }
        expect_con "$IMG/c.img" "$ORIG" || ok=0
        [ $ok = 1 ] && t_pass
else
        t_fail "VM m did not start: $(cat "$R/m.err")"
fi

t_begin "a seclabel for another MAC, or not an SELinux context, is refused"
ok=1
if start_vm x 09090909-0000-4000-8000-000000000009 "$IMG/c.img" \
        "<seclabel type='static' model='apparmor'><label>p</label></seclabel>"; then
        t_fail "static AppArmor label accepted under SELinux"
        stop_vm x || true
        ok=0
elif ! grep -q "is for model 'apparmor', but the active security driver is selinux" "$R/x.err"; then
        t_fail "unexpected error: $(cat "$R/x.err")"
        ok=0
fi
if start_vm y 0a0a0a0a-1111-4000-8000-000000000009 "$IMG/c.img" \
        "<seclabel type='static'><label>some-profile</label></seclabel>"; then
        t_fail "an AppArmor profile name was used as an SELinux context"
        stop_vm y || true
        ok=0
elif ! grep -q "label 'some-profile' is not an SELinux context" "$R/y.err"; then
        t_fail "unexpected error: $(cat "$R/y.err")"
        ok=0
fi
expect_con "$IMG/c.img" "$ORIG" || ok=0
[ -z "$(ls "$MCS" 2>/dev/null)" ] || { t_fail "a pair was left: $(ls "$MCS")"; ok=0; }
[ $ok = 1 ] && t_pass

t_begin "a KVM domain runs as svirt_t, with a pair and the same image labels"
if DOMAIN_TYPE=kvm start_vm k 0e0e0e0e-0000-4000-8000-00000000000e "$IMG/c.img"; then
        ok=1
        PK=$(exec_of k | sed -n 's/^system_u:system_r:svirt_t:s0:\(c[0-9]*,c[0-9]*\)$/\1/p')
        [ -n "$PK" ] || { t_fail "exec label '$(exec_of k)' is not svirt_t:s0:cA,cB"; ok=0; }
        expect_con "$IMG/c.img" "system_u:object_r:svirt_image_t:s0:$PK" || ok=0
        [ -e "$MCS/$PK" ] || { t_fail "no reservation $MCS/$PK"; ok=0; }
        stop_vm k || { t_fail "did not stop"; ok=0; }
        expect_con "$IMG/c.img" "$ORIG" || ok=0
        [ $ok = 1 ] && t_pass
else
        t_fail "VM k did not start: $(cat "$R/k.err")"
fi

t_begin "a policy's own TCG domain (line 2 of virtual_domain_context) is used"
cp "$S/virtual_domain_context" "$R/vdc.saved"
printf 'system_u:system_r:svirt_t:s0\nsystem_u:system_r:svirt_prot_exec_t:s0\n' >"$S/virtual_domain_context"
# And the module's own type need not be known then.
echo svirt_tcg_t >"$S/unknown-types"
if start_vm t 0f0f0f0f-0000-4000-8000-00000000000f "$IMG/c.img"; then
        case $(exec_of t) in
        system_u:system_r:svirt_prot_exec_t:s0:c*,c*) t_pass ;;
        *) t_fail "exec label '$(exec_of t)' is not the policy's TCG domain" ;;
        esac
        stop_vm t || true
else
        t_fail "VM t did not start: $(cat "$R/t.err")"
fi
cp "$R/vdc.saved" "$S/virtual_domain_context"
rm -f "$S/unknown-types"

# nothing_left NAME: no pair reserved, no journal, c.img as it was.
nothing_left() {
        local ok=0
        expect_con "$IMG/c.img" "$ORIG" || ok=1
        [ -z "$(holders_of "$IMG/c.img")" ] || { t_fail "c.img keeps a holder record"; ok=1; }
        [ -z "$(ls "$MCS" 2>/dev/null)" ] || { t_fail "a pair was left: $(ls "$MCS")"; ok=1; }
        [ ! -e "$R/run/labels/$1.journal" ] || { t_fail "journal left"; ok=1; }
        return $ok
}

t_begin "without vmunit's policy module: one line naming the fix, nothing left behind"
ok=1
echo vmunit_supervisor_exec_t >"$S/unknown-types"
if start_vm u 10101010-0000-4000-8000-000000000010 "$IMG/c.img"; then
        t_fail "started without the module"
        stop_vm u || true
        ok=0
elif ! grep -q "the SELinux policy module vmunit is not loaded: run .*vmunit-setup (semodule -i .*/selinux/packages/vmunit.pp" "$R/u.err"; then
        t_fail "unexpected error: $(cat "$R/u.err")"
        ok=0
fi
nothing_left u || ok=0
# A module from before svirt_tcg_t: TCG domains are refused the same way,
# KVM domains still run.
echo svirt_tcg_t >"$S/unknown-types"
if start_vm v 11111111-0000-4000-8000-000000000011 "$IMG/c.img"; then
        t_fail "a TCG domain started without svirt_tcg_t in the policy"
        stop_vm v || true
        ok=0
elif ! grep -q "policy module vmunit is not loaded" "$R/v.err"; then
        t_fail "unexpected error: $(cat "$R/v.err")"
        ok=0
fi
nothing_left v || ok=0
if DOMAIN_TYPE=kvm start_vm w 12121212-0000-4000-8000-000000000012 "$IMG/c.img"; then
        stop_vm w || { t_fail "w did not stop"; ok=0; }
else
        t_fail "a KVM domain needs no svirt_tcg_t: $(cat "$R/w.err")"
        ok=0
fi
rm -f "$S/unknown-types"
[ $ok = 1 ] && t_pass

t_begin "a file the policy will not let us relabel: its path, type and the fix"
ok=1
touch "$S/deny-relabel"
if start_vm e 13131313-0000-4000-8000-000000000013 "$IMG/c.img"; then
        t_fail "started though relabelling is denied"
        stop_vm e || true
        ok=0
# The kernel comes first: read-only content, whose place is the boot
# directory and whose type would be virt_content_t.
elif ! grep -q "$IMG/vmlinuz: SELinux type user_tmp_t cannot be relabelled by vmunit; move the file to $R/lib/boot, or chcon -t virt_content_t $IMG/vmlinuz" "$R/e.err"; then
        t_fail "unexpected error: $(cat "$R/e.err")"
        ok=0
fi
rm -f "$S/deny-relabel"
nothing_left e || ok=0
[ $ok = 1 ] && t_pass

t_begin "security_driver = selinux on a host without SELinux fails closed"
touch "$S/disabled"
if start_vm d 0d0d0d0d-0000-4000-8000-00000000000d "$IMG/c.img"; then
        t_fail "started without SELinux"
        stop_vm d || true
elif grep -q 'selinux is not enabled' "$R/d.err"; then
        expect_con "$IMG/c.img" "$ORIG" && t_pass
else
        t_fail "unexpected error: $(cat "$R/d.err")"
fi
rm -f "$S/disabled"

t_end
