/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmctl [--root R | -H HOST] COMMAND ...: virsh-shaped control of vmunit VMs.
 */
#include <getopt.h>
#include <stdio.h>

#include "ctl.h"
#include "log.h"
#include "vmunit-config.h"

typedef struct CtlCommand {
        const char *name;
        CtlCommandFn fn;
        const char *summary;
} CtlCommand;

static const CtlCommand commands[] = {
        { "list", ctl_cmd_list,
          "list [--all] [--name]    list running (or all defined) domains; --name: names only" },
        { "define", ctl_cmd_define, "define FILE              define a domain from an XML file" },
        { "undefine", ctl_cmd_undefine, "undefine [--managed-save] NAME  remove a domain's definition" },
        { "validate", ctl_cmd_validate, "validate FILE            check a domain XML file" },
        { "dumpxml", ctl_cmd_dumpxml, "dumpxml NAME             print a domain's XML (live if running)" },
        { "domxml-to-native", ctl_cmd_domxml_to_native,
          "domxml-to-native [--null] FILE  print the QEMU command line for FILE" },
        { "start", ctl_cmd_start,
          "start NAME               start a defined domain (systemctl start vm@NAME; --root: in the "
          "background)" },
        { "shutdown", ctl_cmd_shutdown, "shutdown NAME            graceful ACPI shutdown, waits until off" },
        { "destroy", ctl_cmd_destroy, "destroy NAME             stop at once, without asking the guest" },
        { "autostart", ctl_cmd_autostart,
          "autostart [--disable] NAME  start at boot (systemctl enable vm@NAME)" },
        { "suspend", ctl_cmd_suspend, "suspend NAME             pause the guest's CPUs" },
        { "resume", ctl_cmd_resume, "resume NAME              let a suspended guest run again" },
        { "reboot", ctl_cmd_reboot,
          "reboot NAME              graceful reboot (ACPI power button, then reset)" },
        { "save", ctl_cmd_save,
          "save NAME FILE           save the guest's state to a new FILE (created as you); the domain "
          "stops" },
        { "restore", ctl_cmd_restore, "restore FILE             start a domain again from a saved state" },
        { "attach-disk", ctl_cmd_attach_disk,
          "attach-disk NAME SOURCE TARGET  hotplug a disk image as TARGET (e.g. vdb)" },
        { "detach-disk", ctl_cmd_detach_disk, "detach-disk NAME TARGET  hot-unplug disk TARGET" },
        { "console", ctl_cmd_console,
          "console [--force] NAME   attach to the guest's serial console (Ctrl-] leaves)" },
        { "edit", ctl_cmd_edit, "edit NAME                edit a domain's XML in $EDITOR, then define it" },
        { "capabilities", ctl_cmd_capabilities,
          "capabilities [--xml]     the host's emulators, machine types, CPU and device models, firmware" },
        { "qemu-monitor-command", ctl_cmd_qemu_monitor_command,
          "qemu-monitor-command NAME JSON  QMP: read-only queries for group vmunit; raw QMP (which taints "
          "the VM's log) for root and group vmunit-admin" },
        { "run", ctl_cmd_run,
          "run FILE                 embedded: run a VM in the foreground (needs --root)" },
};

/* Commands that read or write files on this host (definitions, images,
 * the runtime directory): with -H they would silently act on the wrong
 * machine, so they are refused up front. */
static const char *const local_only[] = {
        "define", "undefine", "edit", "validate", "domxml-to-native", "run", "capabilities",
};

static void help(void) {
        printf("Usage: vmctl [--root DIR | -H [USER@]HOST] COMMAND [ARGS...]\n\n"
               "Options:\n"
               "  -r, --root DIR          embedded mode: domains in DIR/etc/domains, state in DIR/run\n"
               "  -H, --host [USER@]HOST  talk to HOST's system bus over SSH (like systemctl -H)\n"
               "  -h, --help              show this help\n"
               "      --version           show the version\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                printf("  %s\n", commands[i].summary);
}

static const CtlCommand *find_command(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

/* Global options stop at the first non-option (the command), so command
 * options such as `list --all` are left for the command. */
static int parse_global(int argc, char **argv, Ctl *ctl) {
        static const struct option options[] = {
                { "root", required_argument, NULL, 'r' },
                { "host", required_argument, NULL, 'H' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "+r:H:h", options, NULL)) >= 0)
                switch (c) {
                case 'r': ctl->root = optarg; break;
                case 'H': ctl->host = optarg; break;
                case 'h': help(); return 0;
                case 'V': puts(VMUNIT_VERSION); return 0;
                default: return -EINVAL;
                }
        if (ctl->root && ctl->host) {
                log_error("--root (embedded mode, this host) and -H (a remote host's systemd) exclude each "
                          "other");
                return -EINVAL;
        }
        return 1;
}

static int check_remote(const Ctl *ctl, const CtlCommand *cmd) {
        if (!ctl->host)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(local_only); i++)
                if (streq(local_only[i], cmd->name)) {
                        log_error("%s works on this host's files and is not available with -H", cmd->name);
                        return -EOPNOTSUPP;
                }
        return 0;
}

int main(int argc, char **argv) {
        Ctl ctl = {};
        const CtlCommand *cmd;
        int r, cmd_index;

        log_set_program("vmctl");
        r = parse_global(argc, argv, &ctl);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (optind >= argc) {
                help();
                return 0;
        }
        cmd_index = optind;
        cmd = find_command(argv[cmd_index]);
        if (!cmd) {
                log_error("unknown command '%s' (see vmctl --help)", argv[cmd_index]);
                return 1;
        }
        if (check_remote(&ctl, cmd) < 0)
                return 1;
        r = paths_init(&ctl.paths, ctl.root, ctl.root ? NULL : getenv("VMUNIT_CONFIG_DIR"));
        if (r < 0)
                return log_error_errno(r, "Failed to set up paths: %m"), 1;
        r = cmd->fn(&ctl, argc - cmd_index - 1, argv + cmd_index + 1);
        paths_done(&ctl.paths);
        return r;
}
