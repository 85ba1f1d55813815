#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The child's confinement checklist, seen from inside: the supervisor execs
# the fake QEMU, which reports its identity, capability sets, no_new_privs,
# seccomp mode and what happens when it tries forbidden operations.
source "$(dirname "$0")/lib.sh"

: "${VMUNIT_FAKE_QEMU:?run through meson test}"

if [ "$(id -u)" != 0 ]; then
        echo "SKIP: needs root (identity switch, capability bounding set)"
        exit 77
fi

# A throwaway system user, member of kvm (QEMU gets it as a supplementary
# group) and of disk (which QEMU must NOT get: the list is explicit).
CT_USER=vmunit-ct-qemu
add_test_user "$CT_USER"
getent group kvm >/dev/null || groupadd --system kvm
usermod -a -G kvm,disk "$CT_USER"
CT_UID=$(id -u "$CT_USER")
CT_GID=$(id -g "$CT_USER")
KVM_GID=$(getent group kvm | cut -d: -f3)

ZERO_CAPS=0000000000000000

# fake_root CONF: a root readable by QEMU's user, a domain NAME=ct running
# the fake QEMU, vmunit.conf = CONF, and a report directory anyone may
# write (the fake runs as whatever the checklist made it).
fake_root() {
        local root
        root=$(new_root)
        chmod 755 "$root"
        mkdir -m 1777 "$root/report"
        printf '%s\n' "$1" > "$root/etc/vmunit.conf"
        define_guest "$root" ct acpi "<emulator>$VMUNIT_FAKE_QEMU</emulator>"
        echo "$root"
}

# run_fake ROOT [RUNNER...]: start the supervisor, wait for the report.
run_fake() {
        local root=$1 tries=200
        shift
        VMUNIT_FAKE_QEMU_REPORT="$root/report/ct" "$@" "$VMUNIT_SUPERVISOR" --root "$root" ct \
                2>"$root/supervisor.stderr" &
        SUP_PID=$!
        while [ $tries -gt 0 ] && ! grep -q '^done=1' "$root/report/ct" 2>/dev/null; do
                sleep 0.05
                tries=$((tries - 1))
        done
        if ! grep -q '^done=1' "$root/report/ct" 2>/dev/null; then
                t_fail "no report from the fake QEMU; stderr: $(cat "$root/supervisor.stderr")"
                kill "$SUP_PID" 2>/dev/null || true
                wait_rc "$SUP_PID"
                return 1
        fi
}

# want ROOT KEY VALUE: the report says KEY=VALUE (VALUE may be A|B).
want() {
        local got
        got=$(grep -m1 "^$2=" "$1/report/ct" | cut -d= -f2-)
        if ! grep -qxE -- "$3" <<<"$got"; then
                t_fail "$2=$got, want $3"
                return 1
        fi
}

sorted_list() {
        tr ',' '\n' <<<"$1" | sort -n | paste -sd,
}

# stop_fake ROOT: SIGTERM -> ACPI powerdown -> exit 0, no fake QEMU left.
stop_fake() {
        local root=$1 pid
        pid=$(grep -m1 '^pid=' "$root/report/ct" | cut -d= -f2)
        wait_log "$root" ct "running" 10 || t_fail "guest never reported running"
        kill -TERM "$SUP_PID"
        wait_rc "$SUP_PID"
        [ "$RC" = 0 ] || t_fail "supervisor exit $RC, want 0; stderr: $(cat "$root/supervisor.stderr")"
        if kill -0 "$pid" 2>/dev/null; then
                t_fail "fake QEMU $pid still running"
                kill -KILL "$pid" || true
        fi
        grep -q "QEMU exited (exit status 0)" "$root/log/ct.log" ||
                t_fail "fake QEMU did not exit 0: $(tail -5 "$root/log/ct.log")"
        check_no_runtime_left "$root" ct || true
}

check_no_caps() {
        local root=$1 key
        for key in CapInh CapPrm CapEff CapBnd CapAmb; do
                want "$root" "$key" "$ZERO_CAPS" || true
        done
}

t_begin "system-style identity: configured user, its group + kvm, no caps, NNP, seccomp"
root=$(fake_root "user = $CT_USER")
F0=$T_FAILED
if run_fake "$root"; then
        for key in uid euid; do want "$root" $key "$CT_UID" || true; done
        for key in gid egid; do want "$root" $key "$CT_GID" || true; done
        got=$(sorted_list "$(grep -m1 '^groups=' "$root/report/ct" | cut -d= -f2)")
        exp=$(sorted_list "$CT_GID,$KVM_GID")
        [ "$got" = "$exp" ] || t_fail "groups=$got, want $exp (own group + kvm, not disk)"
        check_no_caps "$root"
        want "$root" NoNewPrivs 1 || true
        want "$root" Seccomp 2 || true
        for op in mount init_module ptrace bpf keyctl reboot setuid0 unshare_user personality; do
                want "$root" $op EPERM || true
        done
        want "$root" open_shadow EACCES || true
        want "$root" clone3 ENOSYS || true
        want "$root" thread ok || true
        stop_fake "$root"
        [ "$T_FAILED" = "$F0" ] && t_pass
fi

t_begin "group = overrides the user's primary group"
root=$(fake_root "$(printf 'user = %s\ngroup = nogroup' "$CT_USER")")
F0=$T_FAILED
if run_fake "$root"; then
        NOGROUP_GID=$(getent group nogroup | cut -d: -f3)
        want "$root" gid "$NOGROUP_GID" || true
        want "$root" uid "$CT_UID" || true
        got=$(sorted_list "$(grep -m1 '^groups=' "$root/report/ct" | cut -d= -f2)")
        exp=$(sorted_list "$NOGROUP_GID,$KVM_GID")
        [ "$got" = "$exp" ] || t_fail "groups=$got, want $exp"
        stop_fake "$root"
        [ "$T_FAILED" = "$F0" ] && t_pass
fi

t_begin "seccomp_sandbox = 0: no filter, still no capabilities and NNP"
root=$(fake_root "$(printf 'user = %s\nseccomp_sandbox = 0' "$CT_USER")")
F0=$T_FAILED
if run_fake "$root"; then
        want "$root" Seccomp 0 || true
        want "$root" NoNewPrivs 1 || true
        check_no_caps "$root"
        # Without the filter the kernel's capability checks still refuse
        # (a kernel built without modules says ENOSYS to init_module).
        for op in mount reboot setuid0; do
                want "$root" $op EPERM || true
        done
        want "$root" init_module 'EPERM|ENOSYS' || true
        want "$root" keyctl ok || true
        stop_fake "$root"
        [ "$T_FAILED" = "$F0" ] && t_pass
fi

t_begin "embedded mode as root without user=: stays uid 0, but with no capabilities"
root=$(fake_root "# no user")
F0=$T_FAILED
if run_fake "$root"; then
        want "$root" uid 0 || true
        check_no_caps "$root"
        want "$root" NoNewPrivs 1 || true
        want "$root" Seccomp 2 || true
        for op in mount init_module ptrace bpf reboot; do
                want "$root" $op EPERM || true
        done
        stop_fake "$root"
        [ "$T_FAILED" = "$F0" ] && t_pass
fi

t_begin "embedded mode as a user: own identity, NNP and seccomp (bounding set cannot be dropped)"
root=$(fake_root "# no user")
chown -R "$CT_USER:" "$root"
F0=$T_FAILED
if run_fake "$root" setpriv --reuid="$CT_USER" --regid="$CT_USER" --init-groups --inh-caps=-all; then
        want "$root" uid "$CT_UID" || true
        for key in CapInh CapPrm CapEff CapAmb; do want "$root" $key "$ZERO_CAPS" || true; done
        want "$root" NoNewPrivs 1 || true
        want "$root" Seccomp 2 || true
        want "$root" keyctl EPERM || true
        stop_fake "$root"
        [ "$T_FAILED" = "$F0" ] && t_pass
fi

t_begin "embedded mode as a user naming another user -> exit 2, needs root"
root=$(fake_root "user = root")
chown -R "$CT_USER:" "$root"
rc=0
setpriv --reuid="$CT_USER" --regid="$CT_USER" --init-groups "$VMUNIT_SUPERVISOR" --root "$root" ct 2>"$root/stderr" || rc=$?
if [ "$rc" != 2 ]; then t_fail "exit $rc, want 2: $(cat "$root/stderr")"
elif ! grep -q "vmunit.conf: .*needs root" "$root/stderr"; then t_fail "message: $(cat "$root/stderr")"
elif [ -e "$root/report/ct" ]; then t_fail "the fake QEMU ran"
else t_pass; fi

t_begin "a confinement step that fails stops the start (exit 2, naming the step)"
# securebits locked with setuid-fixup OFF: capabilities would survive the
# uid switch, so the checklist must refuse instead of running QEMU.
root=$(fake_root "user = $CT_USER")
rc=0
setpriv --securebits=+no_setuid_fixup,+no_setuid_fixup_locked "$VMUNIT_SUPERVISOR" --root "$root" ct \
        2>"$root/stderr" || rc=$?
if [ "$rc" != 2 ]; then t_fail "exit $rc, want 2: $(cat "$root/stderr")"
elif ! grep -q "Failed to drop the capability bounding set for $VMUNIT_FAKE_QEMU" "$root/stderr"; then
        t_fail "message does not name the step: $(cat "$root/stderr")"
elif [ -e "$root/report/ct" ]; then t_fail "the fake QEMU ran"
else t_pass; fi

t_begin "unknown user in vmunit.conf -> exit 1 naming the user and the file"
root=$(fake_root "user = no-such-vmunit-user")
rc=0
"$VMUNIT_SUPERVISOR" --root "$root" ct 2>"$root/stderr" || rc=$?
if [ "$rc" != 1 ]; then t_fail "exit $rc, want 1: $(cat "$root/stderr")"
elif ! grep -q "$root/etc/vmunit.conf: .*no-such-vmunit-user" "$root/stderr"; then
        t_fail "message does not name the user and file: $(cat "$root/stderr")"
elif [ -e "$root/report/ct" ] || [ -e "$root/run/ct" ]; then t_fail "QEMU ran or runtime dir left"
else t_pass; fi

t_begin "unknown group in vmunit.conf -> exit 1 naming the group"
root=$(fake_root "$(printf 'user = %s\ngroup = no-such-vmunit-group' "$CT_USER")")
rc=0
"$VMUNIT_SUPERVISOR" --root "$root" ct 2>"$root/stderr" || rc=$?
if [ "$rc" != 1 ]; then t_fail "exit $rc, want 1: $(cat "$root/stderr")"
elif ! grep -q "vmunit.conf: .*no-such-vmunit-group" "$root/stderr"; then t_fail "message: $(cat "$root/stderr")"
else t_pass; fi

t_end
