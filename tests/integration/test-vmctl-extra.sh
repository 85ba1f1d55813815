#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vmctl beyond the basics, in embedded mode: start (detached supervisor,
# READY=1), list --all/--name, shutdown and destroy by signalling the
# supervisor; edit (unchanged, changed, invalid on a non-terminal, the
# retry prompt on a terminal, rename refused); capabilities; -H refusals;
# the help listing; bash completion.
source "$(dirname "$0")/lib.sh"

root=$(new_root)
echo "shutdown_timeout = 5" > "$root/etc/vmunit.conf"
guest_xml web1 acpi > "$root/web1.xml"
"$VMCTL" --root "$root" define "$root/web1.xml" >/dev/null

# The supervisor of a running domain: QEMU's parent.
supervisor_of() {
        awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$(qemu_pid_of "$1" "$2")/stat"
}

# Alive and not a zombie (the detached supervisor's new parent may be slow
# to reap it, or never do).
alive() {
        [ -r "/proc/$1/stat" ] && [ "$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat")" != Z ]
}

t_begin "start: detached supervisor, returns once running; list shows Id = QEMU's pid"
rc=0; out=$("$VMCTL" --root "$root" start web1 2>&1) || rc=$?
if [ "$rc" != 0 ] || [ "$out" != "Domain 'web1' started" ]; then t_fail "rc=$rc out=$out"
elif ! grep -q "state: running" "$root/log/web1.log"; then t_fail "returned before running: $(cat "$root/log/web1.log")"
else
        qpid=$(qemu_pid_of "$root" web1)
        sup=$(supervisor_of "$root" web1)
        list=$("$VMCTL" --root "$root" list)
        names=$("$VMCTL" --root "$root" list --name)
        if ! grep -q "^ $qpid *web1 *running$" <<<"$list"; then t_fail "list: $list (qemu pid $qpid)"
        elif [ "$names" != web1 ]; then t_fail "list --name: $names"
        elif [ "$(ps -o sid= -p "$sup" | tr -d ' ')" != "$sup" ]; then t_fail "supervisor $sup not in its own session"
        else t_pass; fi
fi

t_begin "start of a running domain fails with one line"
rc=0; out=$("$VMCTL" --root "$root" start web1 2>&1) || rc=$?
if [ "$rc" = 0 ] || [ "$(wc -l <<<"$out")" != 1 ] || ! grep -q "already running" <<<"$out"; then t_fail "rc=$rc out=$out"
else t_pass; fi

t_begin "shutdown: SIGTERM to the supervisor, ACPI poweroff, waits until gone"
wait_log "$root" web1 "waiting for ACPI power button" || true
sup=$(supervisor_of "$root" web1)
rc=0; out=$("$VMCTL" --root "$root" shutdown web1 2>&1) || rc=$?
if [ "$rc" != 0 ] || [ "$out" != "Domain 'web1' is shut down" ]; then t_fail "rc=$rc out=$out"
elif alive "$sup"; then t_fail "supervisor $sup still alive after shutdown returned"
elif ! grep -q "guest powered off" "$root/log/web1.log"; then t_fail "not an ACPI poweroff: $(tail -5 "$root/log/web1.log")"
elif ! grep -q "^ - *web1 *shut off$" <<<"$("$VMCTL" --root "$root" list --all)"; then t_fail "list --all after shutdown"
elif [ -n "$("$VMCTL" --root "$root" list --name)" ]; then t_fail "list --name shows a stopped domain"
elif check_no_runtime_left "$root" web1; then t_pass; fi

t_begin "destroy: SIGUSR1 to the supervisor, no ACPI, waits until gone"
: > "$root/log/web1.log"
if "$VMCTL" --root "$root" start web1 >/dev/null; then
        sup=$(supervisor_of "$root" web1)
        rc=0; out=$("$VMCTL" --root "$root" destroy web1 2>&1) || rc=$?
        if [ "$rc" != 0 ] || [ "$out" != "Domain 'web1' destroyed" ]; then t_fail "rc=$rc out=$out"
        elif alive "$sup"; then t_fail "supervisor still alive"
        elif ! grep -q "destroy requested" "$root/log/web1.log"; then t_fail "not a destroy: $(cat "$root/log/web1.log")"
        elif grep -q "ACPI power button pressed" "$root/log/web1.log"; then t_fail "destroy asked the guest"
        elif check_no_runtime_left "$root" web1; then t_pass; fi
else
        t_fail "second start failed"
fi

t_begin "shutdown/destroy of a stopped domain, start of an undefined one: one line, non-zero"
bad=""
for args in "shutdown web1" "destroy web1" "start nosuch"; do
        rc=0; out=$("$VMCTL" --root "$root" $args 2>&1) || rc=$?
        [ "$rc" != 0 ] && [ "$(wc -l <<<"$out")" = 1 ] || bad="$bad [$args: rc=$rc $out]"
done
[ -z "$bad" ] && t_pass || t_fail "$bad"

t_begin "start of a domain whose supervisor fails: exit 1 naming the log, nothing left running"
guest_xml broken acpi | sed "s|<kernel>.*</kernel>|<kernel>$root/no-such-kernel</kernel>|" > "$root/broken.xml"
"$VMCTL" --root "$root" define "$root/broken.xml" >/dev/null
rc=0; out=$("$VMCTL" --root "$root" start broken 2>&1) || rc=$?
if [ "$rc" != 1 ] || [ "$(wc -l <<<"$out")" != 1 ] || ! grep -q "failed to start.*$root/log/broken.log" <<<"$out"; then
        t_fail "rc=$rc out=$out"
elif pgrep -f -- "--root $root broken" >/dev/null; then t_fail "a process was left running"
elif check_no_runtime_left "$root" broken; then t_pass; fi
"$VMCTL" --root "$root" undefine broken >/dev/null

# ---- edit ----
unset VISUAL
export TMPDIR="$root/tmp"
mkdir -p "$TMPDIR"
def="$root/etc/domains/web1.xml"
cat > "$root/editor.sh" <<'SH'
#!/bin/sh
# Counts its runs; the first applies $FIRST_SED, later ones $LATER_SED.
n=$(($(cat "$COUNTER" 2>/dev/null || echo 0) + 1))
echo "$n" > "$COUNTER"
if [ "$n" = 1 ]; then sed -i "$FIRST_SED" "$1"; else sed -i "$LATER_SED" "$1"; fi
SH
chmod +x "$root/editor.sh"
run_edit() { # FIRST_SED LATER_SED [vmctl args...]
        local first=$1 later=$2
        shift 2
        rm -f "$root/count"
        COUNTER="$root/count" FIRST_SED="$first" LATER_SED="$later" EDITOR="$root/editor.sh" "$VMCTL" --root "$root" "$@"
}

t_begin "edit: untouched file -> not changed, exit 0, definition byte-identical"
before=$(sha256sum < "$def")
rc=0; out=$(EDITOR=true "$VMCTL" --root "$root" edit web1 2>&1) || rc=$?
if [ "$rc" != 0 ] || [ "$out" != "Domain 'web1' XML configuration not changed." ]; then t_fail "rc=$rc out=$out"
elif [ "$(sha256sum < "$def")" != "$before" ]; then t_fail "definition rewritten"
elif [ -n "$(ls -A "$TMPDIR")" ]; then t_fail "temporary file left: $(ls -A "$TMPDIR")"
else t_pass; fi

t_begin "edit: EDITOR with arguments applies a change -> defined"
rc=0; out=$(EDITOR="sed -i s/32768/65536/" "$VMCTL" --root "$root" edit web1 2>&1) || rc=$?
if [ "$rc" != 0 ] || [ "$out" != "Domain 'web1' XML configuration edited." ]; then t_fail "rc=$rc out=$out"
elif ! grep -q "<memory unit='KiB'>65536</memory>" "$def"; then t_fail "change not defined: $(grep memory "$def")"
elif [ -n "$(ls -A "$TMPDIR")" ]; then t_fail "temporary file left"
else t_pass; fi

t_begin "edit: invalid result on a non-terminal -> FILE:LINE: error, exit 1, no second editor run"
before=$(sha256sum < "$def")
rc=0; out=$(run_edit 's|<vcpu|<bogus/><vcpu|' 's|<bogus/>||' edit web1 </dev/null 2>&1) || rc=$?
if [ "$rc" != 1 ]; then t_fail "exit $rc: $out"
elif [ "$(cat "$root/count")" != 1 ]; then t_fail "editor ran $(cat "$root/count") times"
elif ! grep -q "^vmctl: $TMPDIR/vmctl-edit-.*\.xml:[0-9]*: .*bogus" <<<"$out"; then t_fail "no FILE:LINE: line: $out"
elif [ "$(sha256sum < "$def")" != "$before" ]; then t_fail "definition changed"
elif [ -n "$(ls -A "$TMPDIR")" ]; then t_fail "temporary file left"
else t_pass; fi

t_begin "edit: invalid, then 'y' on a terminal reopens the editor, valid result is defined"
script_out=$root/script.out
COUNTER="$root/count" FIRST_SED='s|<vcpu|<bogus/><vcpu|' LATER_SED='s|<bogus/>||; s|65536|49152|' \
        EDITOR="$root/editor.sh" \
        script -qec "rm -f $root/count; '$VMCTL' --root '$root' edit web1" /dev/null <<<"y" > "$script_out" 2>&1 || true
if [ "$(cat "$root/count" 2>/dev/null)" != 2 ]; then t_fail "editor ran $(cat "$root/count" 2>/dev/null) times: $(cat "$script_out")"
elif ! grep -q "Failed. Try again? \[y,n" "$script_out"; then t_fail "no prompt: $(cat "$script_out")"
elif ! grep -q "XML configuration edited" "$script_out"; then t_fail "not edited: $(cat "$script_out")"
elif ! grep -q ">49152<" "$def"; then t_fail "second edit not defined"
elif [ -n "$(ls -A "$TMPDIR")" ]; then t_fail "temporary file left"
else t_pass; fi

t_begin "edit: a changed <name> is refused; an undefined domain is one line"
before=$(sha256sum < "$def")
rc=0; out=$(run_edit 's|<name>web1</name>|<name>web2</name>|' '' edit web1 2>&1) || rc=$?
rc2=0; out2=$(EDITOR=true "$VMCTL" --root "$root" edit nosuch 2>&1) || rc2=$?
if [ "$rc" != 1 ] || ! grep -q "cannot rename" <<<"$out"; then t_fail "rename: rc=$rc out=$out"
elif [ "$(sha256sum < "$def")" != "$before" ] || [ -e "$root/etc/domains/web2.xml" ]; then t_fail "rename left changes"
elif [ "$rc2" = 0 ] || [ "$(wc -l <<<"$out2")" != 1 ]; then t_fail "nosuch: rc=$rc2 out=$out2"
elif [ -n "$(ls -A "$TMPDIR")" ]; then t_fail "temporary file left"
else t_pass; fi
unset TMPDIR

# ---- capabilities ----
t_begin "capabilities --xml: well-formed XML with host, emulator, accelerators, machines, CPU models, firmware"
rc=0; caps=$("$VMCTL" --root "$root" capabilities --xml 2>&1) || rc=$?
missing=""
for pat in "<capabilities>" "<arch>$(uname -m)</arch>" "<secmodel>" "<model>none</model>" \
        "<emulator version=\"[0-9.]*\">/usr/bin/qemu-system-x86_64</emulator>" '<domain type="qemu"/>' \
        '<machine canonical="pc-i440fx-[0-9.]*">pc</machine>' "<model>qemu64</model>" \
        '<loader type="rom" interface="bios"'; do
        grep -q -- "$pat" <<<"$caps" || missing="$missing [$pat]"
done
if [ "$rc" != 0 ]; then t_fail "exit $rc: $caps"
elif [ -n "$missing" ]; then t_fail "missing:$missing"
elif command -v xmllint >/dev/null && ! xmllint --noout - <<<"$caps"; then t_fail "not well-formed"
else t_pass; fi

t_begin "capabilities: the configured security_driver is reported"
echo "security_driver = none" >> "$root/etc/vmunit.conf"
caps=$("$VMCTL" --root "$root" capabilities --xml)
text=$("$VMCTL" --root "$root" capabilities)
if ! grep -q "<configured>none</configured>" <<<"$caps"; then t_fail "$(grep -A3 secmodel <<<"$caps")"
elif ! grep -q "^  security model: none (configured: none)$" <<<"$text"; then t_fail "$(grep security <<<"$text")"
else t_pass; fi

# ---- -H ----
t_begin "-H: with --root, and with local-file commands, refused in one line before any connection"
bad=""
for args in "--root $root -H root@localhost list" "-H root@localhost --root $root list" \
        "-H nosuchhost.invalid define $root/web1.xml" "-H nosuchhost.invalid edit web1" \
        "-H nosuchhost.invalid capabilities" \
        "-H nosuchhost.invalid list --all"; do
        rc=0; out=$("$VMCTL" $args 2>&1) || rc=$?
        if [ "$rc" = 0 ] || [ "$(wc -l <<<"$out")" != 1 ]; then bad="$bad [$args: rc=$rc $out]"; fi
done
[ -z "$bad" ] && t_pass || t_fail "$bad"

# ---- help ----
t_begin "vmctl and vmctl --help list every command"
help=$("$VMCTL" --help)
bare=$("$VMCTL")
missing=""
for c in list define undefine validate dumpxml domxml-to-native start shutdown destroy autostart suspend \
        resume reboot save restore attach-disk detach-disk console edit capabilities qemu-monitor-command run; do
        grep -q "^  $c\b" <<<"$help" || missing="$missing $c"
done
if [ -n "$missing" ]; then t_fail "--help lacks:$missing"
elif [ "$help" != "$bare" ]; then t_fail "vmctl without arguments differs from --help"
elif ! grep -q -- "-H, --host" <<<"$help"; then t_fail "no -H in help"
else t_pass; fi

# ---- bash completion ----
completion="${VMUNIT_SOURCE_ROOT:-$(dirname "$0")/../..}/shell-completion/bash/vmctl"
complete_words() { # WORDS... (the last is the word being completed)
        bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _vmctl
                 printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$completion" "$@"
}
"$VMCTL" --root "$root" define "$root/web1.xml" >/dev/null
guest_xml db2 acpi > "$root/db2.xml"
"$VMCTL" --root "$root" define "$root/db2.xml" >/dev/null
guest_xml "my vm" acpi > "$root/my vm.xml"
"$VMCTL" --root "$root" define "$root/my vm.xml" >/dev/null
mkdir -p "$root/files"
touch "$root/files/a.xml"

t_begin "completion: commands, global options, domain names from list --all --name, files"
bad=""
got=$(complete_words "$VMCTL" sus); [ "$got" = suspend ] || bad="$bad [sus -> $got]"
got=$(complete_words "$VMCTL" de | tr '\n' ' '); [ "$got" = "define destroy detach-disk " ] || bad="$bad [de -> $got]"
got=$(complete_words "$VMCTL" --r); [ "$got" = --root ] || bad="$bad [--r -> $got]"
got=$(complete_words "$VMCTL" -); grep -qx -- --host <<<"$got" || bad="$bad [- -> $got]"
got=$(complete_words "$VMCTL" --root "$root" start "" | tr '\n' ' '); [ "$got" = 'db2 my\ vm web1 ' ] || bad="$bad [start -> $got]"
got=$(complete_words "$VMCTL" --root "$root" start my); [ "$got" = 'my\ vm' ] || bad="$bad [start my -> $got]"
got=$(complete_words "$VMCTL" --root "$root" edit w); [ "$got" = web1 ] || bad="$bad [edit w -> $got]"
got=$(complete_words "$VMCTL" --root "$root" start web1 ""); [ -z "$got" ] || bad="$bad [start web1 '' -> $got]"
got=$(complete_words "$VMCTL" --root "$root" define "$root/files/"); [ "$got" = "$root/files/a.xml" ] || bad="$bad [define -> $got]"
got=$(complete_words "$VMCTL" list --); [ "$(tr '\n' ' ' <<<"$got")" = "--all --name " ] || bad="$bad [list -- -> $got]"
got=$(complete_words "$VMCTL" console --); [ "$got" = --force ] || bad="$bad [console -- -> $got]"
got=$(complete_words "$VMCTL" undefine --m); [ "$got" = --managed-save ] || bad="$bad [undefine --m -> $got]"
got=$(complete_words "$VMCTL" --root "$root" undefine --managed-save w); [ "$got" = web1 ] || bad="$bad [undefine --managed-save w -> $got]"
[ -z "$bad" ] && t_pass || t_fail "$bad"

t_end
