#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vmctl in embedded mode: validate, define, list, dumpxml, undefine,
# domxml-to-native, capabilities (the real QEMU's listings and firmware
# descriptors), run with Ctrl-C (SIGINT) as a graceful shutdown, and
# the runtime files it trusts only when the supervisor can have written them.
source "$(dirname "$0")/lib.sh"

root=$(new_root)
guest_xml web1 acpi > "$root/web1.xml"

t_begin "validate: good file exits 0, broken file exits 1 with FILE:LINE:"
printf '<domain type="qemu">\n<name>x</name>\n<bogus/>\n</domain>\n' > "$root/bad.xml"
rc=0; "$VMCTL" validate "$root/bad.xml" 2>"$root/err" || rc=$?
if ! "$VMCTL" validate "$root/web1.xml"; then t_fail "good file refused"
elif [ "$rc" != 1 ]; then t_fail "bad file: exit $rc, want 1"
elif ! grep -q "^vmctl: $root/bad.xml:3: " "$root/err"; then t_fail "no FILE:LINE: in: $(cat "$root/err")"
else t_pass; fi

t_begin "define, list --all, dumpxml round trip, undefine"
"$VMCTL" --root "$root" define "$root/web1.xml" >/dev/null
list=$("$VMCTL" --root "$root" list --all)
running=$("$VMCTL" --root "$root" list)
dump=$("$VMCTL" --root "$root" dumpxml web1)
if [ ! -f "$root/etc/domains/web1.xml" ]; then t_fail "not defined"
elif ! grep -q "web1 .*shut off" <<<"$list"; then t_fail "list --all: $list"
elif grep -q web1 <<<"$running"; then t_fail "list shows a stopped domain: $running"
elif ! grep -q "<uuid>" <<<"$dump"; then t_fail "dumpxml has no generated uuid: $dump"
elif [ "$(grep '<uuid>' <<<"$dump")" != "$(grep '<uuid>' <<<"$("$VMCTL" --root "$root" dumpxml web1)")" ]; then t_fail "uuid changes between dumps"
elif ! "$VMCTL" --root "$root" undefine web1 >/dev/null || [ -e "$root/etc/domains/web1.xml" ]; then t_fail "undefine"
else t_pass; fi

t_begin "errors are one line and non-zero"
rc=0; out=$("$VMCTL" --root "$root" undefine nosuch 2>&1) || rc=$?
rc2=0; out2=$("$VMCTL" frobnicate 2>&1) || rc2=$?
if [ "$rc" = 0 ] || [ "$(wc -l <<<"$out")" != 1 ]; then t_fail "undefine nosuch: rc=$rc out=$out"
elif [ "$rc2" = 0 ] || [ "$(wc -l <<<"$out2")" != 1 ]; then t_fail "unknown command: rc=$rc2 out=$out2"
else t_pass; fi

t_begin "suspend/resume/qemu-monitor-command need system mode: one line, non-zero"
rc=0; out=$("$VMCTL" --root "$root" suspend web1 2>&1) || rc=$?
if [ "$rc" = 0 ] || [ "$(wc -l <<<"$out")" != 1 ] || ! grep -q "system mode" <<<"$out"; then t_fail "rc=$rc out=$out"
else t_pass; fi

t_begin "domxml-to-native prints the emulator, -S and the QMP socket"
native=$("$VMCTL" --root "$root" domxml-to-native "$root/web1.xml")
words=$("$VMCTL" --root "$root" domxml-to-native --null "$root/web1.xml" | tr '\0' '\n')
if ! grep -q "^/usr/bin/qemu-system-x86_64 .* -S " <<<"$native"; then t_fail "shell form: $native"
elif ! grep -qx -- "-S" <<<"$words"; then t_fail "--null form lacks -S"
elif ! grep -q "path=$root/run/web1/qmp.sock" <<<"$words"; then t_fail "QMP socket not in the runtime dir"
else t_pass; fi

t_begin "CPU models and machine types are the installed QEMU's, not a frozen list (review finding 16)"
sed 's|</vcpu>|</vcpu><cpu mode="custom"><model>Skylake-Client-v4</model></cpu>|' "$root/web1.xml" >"$root/cpu-ok.xml"
sed 's|</vcpu>|</vcpu><cpu mode="custom"><model>NoSuchLake-v9</model></cpu>|' "$root/web1.xml" >"$root/cpu-bad.xml"
rc=0; bad=$("$VMCTL" --root "$root" domxml-to-native "$root/cpu-bad.xml" 2>&1) || rc=$?
if ! "$VMCTL" --root "$root" domxml-to-native "$root/cpu-ok.xml" | grep -q -- "-cpu Skylake-Client-v4"; then t_fail "a model QEMU has was refused"
elif [ "$rc" = 0 ] || ! grep -q "CPU model 'NoSuchLake-v9' is not offered by this host's QEMU" <<<"$bad"; then t_fail "rc=$rc: $bad"
elif ! ls "$root"/run/caps/qemu-*.caps >/dev/null 2>&1; then t_fail "no capabilities cache in $root/run/caps"
else t_pass; fi

t_begin "capabilities: text sections from the real QEMU; with ovmf, a secure-boot firmware descriptor"
rc=0; caps=$("$VMCTL" --root "$root" capabilities 2>&1) || rc=$?
missing=""
for pat in "^Host$" "^  architecture: $(uname -m)$" "^Emulator /usr/bin/qemu-system-x86_64$" "^  version: [0-9.]*$" \
        "^Machine types" "^  pc -> pc-i440fx-[0-9.]*$" "^  pc-i440fx-[0-9.]* \*$" "^  q35 -> pc-q35-[0-9.]*$" \
        "^CPU models" " qemu64\b" "^Device models" "^  Storage: " " virtio-blk-pci\b" "^Firmware descriptors"; do
        grep -q -- "$pat" <<<"$caps" || missing="$missing [$pat]"
done
# Debian's ovmf ships descriptors; without it only the sections are checked.
if ls /usr/share/qemu/firmware/*.json /usr/share/OVMF/OVMF_CODE*.fd >/dev/null 2>&1; then
        grep -q "^    features: .*secure-boot" <<<"$caps" || missing="$missing [secure-boot firmware]"
        grep -q "^    executable: /usr/share/OVMF/.* (raw)$" <<<"$caps" || missing="$missing [OVMF executable]"
fi
rc2=0; out2=$("$VMCTL" --root "$root" capabilities --json 2>&1) || rc2=$?
if [ "$rc" != 0 ]; then t_fail "exit $rc: $caps"
elif [ -n "$missing" ]; then t_fail "missing:$missing"
elif [ "$rc2" = 0 ] || [ "$(wc -l <<<"$out2")" != 1 ]; then t_fail "unknown option: rc=$rc2 $out2"
else t_pass; fi

t_begin "validate refuses what domxml-to-native would: a machine type this QEMU lacks, one line naming the file"
sed "s|machine='[^']*'|machine='pc-i440fx-99.0'|" "$root/web1.xml" >"$root/machine-bad.xml"
rc=0; out=$("$VMCTL" --root "$root" validate "$root/machine-bad.xml" 2>&1) || rc=$?
if ! grep -q "machine='pc-i440fx-99.0'" "$root/machine-bad.xml"; then t_fail "the test file has no machine type to change"
elif [ "$rc" = 0 ]; then t_fail "validate accepted it: $out"
elif [ "$(printf '%s\n' "$out" | wc -l)" != 1 ] || ! grep -q "^vmctl: $root/machine-bad.xml: machine type 'pc-i440fx-99.0' is not offered" <<<"$out"; then
        t_fail "want one line naming the file and the machine type, got: $out"
elif ! "$VMCTL" --root "$root" validate "$root/cpu-ok.xml"; then t_fail "a good file was refused"
else t_pass; fi

t_begin "run in the foreground; SIGINT (Ctrl-C) -> graceful shutdown, exit 0"
"$VMCTL" --root "$root" run "$root/web1.xml" 2>"$root/run.err" &
pid=$!
if wait_log "$root" web1 "waiting for ACPI power button" && wait_log "$root" web1 "state: running"; then
        during=$("$VMCTL" --root "$root" list)
        kill -INT "$pid"
        wait_rc "$pid"; rc=$RC
        if [ "$rc" != 0 ]; then t_fail "exit $rc"
        elif ! grep -q "web1 .*running" <<<"$during"; then t_fail "list while running: $during"
        elif ! grep -q "guest powered off" "$root/log/web1.log"; then t_fail "not a graceful poweroff"
        elif check_no_runtime_left "$root" web1; then t_pass; fi
else
        kill -KILL "$pid"; wait "$pid" || true; t_fail "did not start: $(cat "$root/run.err")"
fi

t_begin "dumpxml: the live XML only when the supervisor can have written it (owner, mode, no link)"
if [ "$(id -u)" != 0 ]; then
        echo "SKIP: needs root (chown)"
        t_pass
else
        r2=$(new_root)
        guest_xml live acpi >"$r2/live.xml"
        "$VMCTL" --root "$r2" define "$r2/live.xml" >/dev/null
        # What a running domain leaves: a pid that is alive, the live XML.
        mkdir -p "$r2/run/live"
        sleep 120 &
        sleeper=$!
        echo "$sleeper" >"$r2/run/live/pid"
        sed "s/<memory unit='MiB'>32</<memory unit='MiB'>48</" "$r2/live.xml" >"$r2/run/live/domain.xml"
        chmod 0644 "$r2/run/live/pid" "$r2/run/live/domain.xml"
        live_ok=$("$VMCTL" --root "$r2" dumpxml live 2>&1) || true
        chown nobody "$r2/run/live/domain.xml"
        rc1=0; out1=$("$VMCTL" --root "$r2" dumpxml live 2>&1) || rc1=$?
        chown root "$r2/run/live/domain.xml"
        chmod 0666 "$r2/run/live/domain.xml"
        rc2=0; out2=$("$VMCTL" --root "$r2" dumpxml live 2>&1) || rc2=$?
        chmod 0644 "$r2/run/live/domain.xml"
        mv "$r2/run/live/domain.xml" "$r2/run/live/real.xml"
        ln -s real.xml "$r2/run/live/domain.xml"
        link_out=$("$VMCTL" --root "$r2" dumpxml live 2>&1) || true
        # A pid file someone else wrote: not running, the definition is shown.
        rm "$r2/run/live/domain.xml"
        mv "$r2/run/live/real.xml" "$r2/run/live/domain.xml"
        chown nobody "$r2/run/live/pid"
        pid_out=$("$VMCTL" --root "$r2" dumpxml live 2>&1) || true
        kill "$sleeper"
        wait "$sleeper" 2>/dev/null || true
        if ! grep -q "<memory unit='KiB'>49152</memory>" <<<"$live_ok"; then t_fail "live XML not shown: $live_ok"
        elif [ "$rc1" = 0 ] || ! grep -q "refusing $r2/run/live/domain.xml: .*owner uid $(id -u nobody)" <<<"$out1"; then
                t_fail "a live XML owned by nobody: rc=$rc1 $out1"
        elif [ "$rc2" = 0 ] || ! grep -q "refusing .*mode 0666" <<<"$out2"; then
                t_fail "a world-writable live XML: rc=$rc2 $out2"
        elif grep -q "49152" <<<"$link_out"; then t_fail "the live XML was read through a symlink: $link_out"
        elif ! grep -q "refusing $r2/run/live/pid" <<<"$pid_out" || grep -q "49152" <<<"$pid_out" ||
                ! grep -q "<memory unit='KiB'>32768</memory>" <<<"$pid_out"; then
                t_fail "a pid file owned by nobody was trusted: $pid_out"
        else t_pass; fi
fi

t_end
