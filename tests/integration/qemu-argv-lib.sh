# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by test-argv-accepted.sh and tests/real-world/run.sh: start a
# command line `vmctl domxml-to-native --null` printed, under QEMU's -S,
# check QMP answers in "prelaunch", quit over QMP; and create the files a
# domain XML rewritten into a scratch directory refers to.
#
# The caller owns the variable qemu_pid (the QEMU being run, empty when
# none) and kills it in its EXIT trap.

kvm_usable() {
        [[ -c /dev/kvm && -r /dev/kvm && -w /dev/kvm ]] && { exec 3<>/dev/kvm; } 2>/dev/null && exec 3<&-
}

# Every path under DIR the domain XML OUT names gets its directory; disk
# images get content (qcow2 by name, a floppy's size, else 16M raw);
# <nvram template='T'>P</nvram> gets T copied to P, as the supervisor does.
qemu_create_referenced_files() {
        local out=$1 dir=$2 path tmpl
        { grep -o "$dir/[^'<\"]*" "$out" || true; } | while read -r path; do
                mkdir -p "$(dirname "$path")"
        done
        { grep -o "file='$dir/[^']*'" "$out" || true; } | sed -e "s/^file='//" -e "s/'$//" | while read -r path; do
                [[ -e $path ]] && continue
                case $path in
                *.qcow2) qemu-img create -q -f qcow2 "$path" 16M ;;
                *floppy*) truncate -s 1440K "$path" ;;
                *) truncate -s 16M "$path" ;;
                esac
        done
        sed -n "s#.*<nvram template='\([^']*\)'[^>]*>\([^<]*\)</nvram>.*#\1 \2#p" "$out" | while read -r tmpl path; do
                [[ -e $path ]] || cp "$tmpl" "$path"
        done
}

# qemu_qmp_check SOCK: greeting, qmp_capabilities, query-status must say
# "prelaunch" (QEMU runs with -S), then quit.
qemu_qmp_check() {
        python3 - "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
def cmd(name):
    f.write(json.dumps({"execute": name}) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            return None
        m = json.loads(line)
        if "return" in m or "error" in m:
            return m
json.loads(f.readline())  # greeting
r = cmd("qmp_capabilities")
assert r and "return" in r, r
r = cmd("query-status")
assert r and r["return"]["status"] == "prelaunch", r
cmd("quit")
EOF
}

# qemu_run_argv ARGV_BIN SOCK LOG: start the NUL-separated words in
# ARGV_BIN (leading NAME=VALUE words are its environment), wait for the
# QMP socket SOCK, check it and quit; QEMU's output goes to LOG. Returns
# 0 when QMP answered and QEMU exited with status 0.
qemu_run_argv() {
        local argv_bin=$1 sock=$2 log=$3 i=0 rc=0 w
        local -a words env_words=() cmd=()
        mapfile -d '' words < "$argv_bin"
        for w in "${words[@]}"; do
                if ((${#cmd[@]} == 0)) && [[ $w != /* ]]; then env_words+=("$w"); else cmd+=("$w"); fi
        done
        env ${env_words[@]+"${env_words[@]}"} "${cmd[@]}" </dev/null >"$log" 2>&1 &
        qemu_pid=$!
        while [[ ! -S $sock ]] && kill -0 "$qemu_pid" 2>/dev/null && ((i++ < 100)); do sleep 0.1; done
        if [[ ! -S $sock ]] || ! qemu_qmp_check "$sock" >>"$log" 2>&1; then
                kill -9 "$qemu_pid" 2>/dev/null || true
                rc=1
        fi
        # (braces: bash reports a QEMU killed by a signal on wait's stderr)
        { wait "$qemu_pid"; } 2>/dev/null || rc=1
        qemu_pid=
        return $rc
}

# firmware='efi' without an <nvram> path: vmctl chose the firmware from
# QEMU's descriptors and names the default store ROOT/lib/NAME/nvram/...,
# which QEMU alone (the path form) needs made: from the template of the
# descriptor whose executable is pflash0. Prints the store it made, so
# it can be removed again for the supervisor to create its own.
qemu_default_nvram() {
        python3 - "$1" "$2" <<'EOF'
import glob, json, os, re, shutil, sys
words = open(sys.argv[1], "rb").read().split(b"\0")
files = [m.group(1).decode().replace(",,", ",") for w in words
         for m in [re.search(rb"filename=((?:[^,]|,,)*),node-name=pflash\d-storage", w)] if m]
if len(files) < 2 or not files[1].startswith(sys.argv[2] + "/") or os.path.exists(files[1]):
    sys.exit(0)
for path in sorted(glob.glob("/etc/qemu/firmware/*.json") + glob.glob("/usr/share/qemu/firmware/*.json")):
    try:
        m = json.load(open(path))["mapping"]
    except (OSError, ValueError, KeyError):
        continue
    if m.get("executable", {}).get("filename") == files[0] and "nvram-template" in m:
        os.makedirs(os.path.dirname(files[1]), exist_ok=True)
        shutil.copyfile(m["nvram-template"]["filename"], files[1])
        print(files[1])
        break
EOF
}
