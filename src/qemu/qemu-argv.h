/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Domain model -> QEMU 7.2 command line (modern -blockdev/-netdev/-chardev
 * syntax). Pure: no I/O, no probing; everything host-specific arrives in
 * QemuArgvOptions so golden-file tests are exact.
 */

#include <stdbool.h>
#include <time.h>

#include "domain.h"
#include "qemu-caps.h"
#include "strv.h"
#include "vm-files.h"

#define QEMU_DEFAULT_EMULATOR "/usr/bin/qemu-system-x86_64"

typedef struct QemuArgvOptions {
        /* The emulator's machine types and CPU models (qemu-caps.h): names
         * it lacks are refused. NULL: names are checked for syntax only
         * (unit tests, golden files). */
        const QemuCaps *caps;
        /* Used when the domain has no <emulator>. NULL = QEMU_DEFAULT_EMULATOR. */
        const char *default_emulator;
        /* Directory for the QMP socket (RUNTIME/qmp.sock) and the console log.
         * Required. */
        const char *runtime_dir;
        /* When >= 0, QMP listens on this already-bound listening socket fd
         * (passed to QEMU) instead of binding runtime_dir/qmp.sock itself. */
        int qmp_fd;
        /* Add QEMU's own -sandbox with everything QEMU can deny denied. */
        bool seccomp_sandbox;
        /* Copy the first serial port's output to RUNTIME/console.log
         * (chardev logfile=), so the supervisor can show it in its log. */
        bool console_log;
        /* Start with -incoming defer: the guest's state arrives later from a
         * save file (QMP migrate-incoming) instead of booting. */
        bool incoming_defer;
        /* The time <clock offset='variable'> counts its adjustment from;
         * 0 = now (tests give a fixed one). */
        time_t now;
        /* The domain's files, resolved and numbered for QEMU's process
         * (vm_files_collect() + vm_files_prepare_qemu(), or
         * vm_files_number() in tests). With a table QEMU never gets a file
         * path: -add-fd fd=N,set=S plus /dev/fdset/S for disks, pflash,
         * chardev and console logs; /proc/self/fd/N for -kernel, -initrd
         * and a ROM -bios (they take no fd set); fd=N for a chardev
         * socket the supervisor bound. NULL (vmctl domxml-to-native,
         * validate): the paths, as the XML has them. */
        const VmFiles *files;
        /* Where QEMU's firmware descriptors are read for firmware='efi'
         * without a <loader> path (firmware-desc.h): NULL or "/" for the
         * host's, a test's fake tree otherwise. */
        const char *firmware_root;
        /* vmunit's state directory (paths.h: /var/lib/vmunit or ROOT/lib),
         * for the default variable store STATE/NAME/nvram/NAME_VARS.fd.
         * NULL = /var/lib/vmunit. */
        const char *state_dir;
        /* The TCP port the supervisor found free for a SPICE display with
         * autoport (QEMU cannot pick one itself, as it does for VNC).
         * 0: none picked; 5900, libvirt's first, is written. */
        int spice_port;
} QemuArgvOptions;

/* Build argv (argv[0] = emulator) and the extra environment (NAME=VALUE,
 * from qemu:env) for d. Returns 0, -EINVAL if the domain asks for
 * something that cannot be expressed (the error text in *ret_error if
 * not NULL, caller frees), or -ENOMEM. On failure the Strvs are left
 * empty. */
int qemu_argv_build(const Domain *d, const QemuArgvOptions *o, Strv *ret_argv, Strv *ret_env,
                    char **ret_error);

/* The emulator d runs on: its <emulator>, else default_emulator (from
 * vmunit.conf), else QEMU_DEFAULT_EMULATOR. */
const char *qemu_argv_emulator(const Domain *d, const char *default_emulator);

/* Escape a value for QEMU's key=value,... option syntax: commas doubled.
 * Returns a malloc'd string or NULL on OOM. */
char *qemu_opt_escape(const char *s);

/* Render env + argv as one shell line: NAME='value' assignments first, then
 * each word shell-quoted where needed (like libvirt's domxml-to-native).
 * Stores a malloc'd string without trailing newline. Returns 0 or -ENOMEM. */
int qemu_argv_format_shell(char *const *env, char *const *argv, char **ret);

/* The firmware a domain boots, from <os firmware=>, <loader> and <nvram>:
 * a <loader> without type= is a ROM (-bios), as in libvirt. firmware='efi'
 * without a <loader> path is chosen from QEMU's firmware descriptors
 * first (qemu_firmware_fill(); qemu_argv_build() does it on a copy). The
 * argv builder and the file table (vm-files.c) both ask here, so the file
 * QEMU gets is the one the table resolved. */
typedef struct QemuFirmware {
        const char *loader;    /* NULL: none (QEMU's default SeaBIOS); points into the domain */
        DomainLoaderType type; /* ROM or PFLASH with a loader, else DEFAULT */
        bool code_readonly;    /* pflash: the code is read-only (the usual OVMF split) */
        bool secure;           /* SMM on, pflash writes only from SMM */
} QemuFirmware;

/* Returns 0, or -EINVAL with a one-line reason in *ret_error (caller
 * frees) for a combination QEMU cannot boot or a domain whose firmware is
 * still to be chosen (qemu_firmware_needs_selection()), or -ENOMEM. */
int qemu_firmware_resolve(const Domain *d, QemuFirmware *ret, char **ret_error);

/* Whether d is firmware='efi' without a <loader> path. */
bool qemu_firmware_needs_selection(const Domain *d);

/* Choose d's firmware from QEMU's descriptors (o->firmware_root; the
 * machine through o->caps when given) as libvirt does, and write it into
 * d: <loader> (pflash, read-only; secure when the firmware requires SMM),
 * and unless stateless, <nvram> (STATE/NAME/nvram/NAME_VARS.fd when none
 * was given) with the descriptor's template (kept if given). Only fields
 * d lacks are set, so a filled domain fills to itself. A no-op unless
 * qemu_firmware_needs_selection(d). Returns 0, -EINVAL with *ret_error
 * (caller frees) saying why nothing fits, or -ENOMEM. */
int qemu_firmware_fill(Domain *d, const QemuArgvOptions *o, char **ret_error);

/* Path of the QMP socket and console log inside runtime_dir (malloc'd). */
char *qemu_qmp_socket_path(const char *runtime_dir);
char *qemu_console_log_path(const char *runtime_dir);
/* The socket of a <channel type='unix'> without <source path> whose
 * target is named name: runtime_dir/channel.NAME (malloc'd), where
 * libvirt has NAME in a directory of its own. The prefix keeps a guest's
 * channel name from ever meeting one of the supervisor's own files in
 * runtime_dir (qmp.sock, console.log, domain.xml, ...): binding the socket
 * removes a stale socket of that name. The parser made sure name has no
 * '/'. */
#define QEMU_CHANNEL_PREFIX "channel."
char *qemu_channel_socket_path(const char *runtime_dir, const char *name);
/* Give every such channel of d its socket path (path_auto: not written
 * back to XML), as the supervisor does before it makes the file table,
 * which binds them (and removes them when the VM stops); the labels treat
 * them as every socket the supervisor binds. Returns 0, -ENOMEM, or
 * -ENAMETOOLONG for a path over the UNIX socket limit. */
int qemu_channel_fill(Domain *d, const char *runtime_dir);

/* The guest PCI layout written into d, as libvirt keeps it in the live
 * XML: every listed device the plan placed gets its <address>, and the
 * root ports and bridges the plan added become <controller>s. Building
 * the command line from d afterwards gives the same one as before.
 * Returns 0, -EINVAL (message in *ret_error) or -ENOMEM. */
int qemu_pci_fill(Domain *d, const QemuArgvOptions *o, char **ret_error);

/* A pcie-root-port of d (filled as above) with nothing on its bus, for a
 * hotplugged device: its index (the bus number) in *ret_bus. Returns 0
 * or -ENOSPC. */
int qemu_pci_free_root_port(const Domain *d, unsigned *ret_bus);

/* The -action shutdown= value for d ("pause" or "poweroff", see
 * build_lifecycle()): what the supervisor puts back with set-action after
 * a Reboot(). */
const char *qemu_shutdown_action(const Domain *d);
