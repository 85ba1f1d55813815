/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmunit-supervisor [--root R] [--cleanup] NAME
 *
 * Runs one VM in the foreground until it stops; the exit code says how it
 * ended (see exit-status.h). systemd runs it as vm@NAME.service with the
 * raw instance (%i), so in system mode NAME arrives unit-escaped (\xNN)
 * and is unescaped here; vmctl run runs it in embedded mode.
 */
#include <getopt.h>
#include <stdio.h>

#include "log.h"
#include "supervisor.h"
#include "unit-name.h"
#include "vmunit-config.h"

typedef struct Args {
        const char *root;
        const char *name;
        bool cleanup;
} Args;

static void help(void) {
        printf("Usage: vmunit-supervisor [--root DIR] [--cleanup] NAME\n"
               "Run the VM defined as NAME until it stops.\n\n"
               "  -r, --root DIR   embedded mode: DIR/etc/domains/NAME.xml, DIR/run, DIR/log\n"
               "      --cleanup    undo what a killed supervisor left behind (ExecStopPost=)\n"
               "  -h, --help       show this help\n"
               "      --version    show the version\n");
}

static int parse_args(int argc, char **argv, Args *args) {
        static const struct option options[] = {
                { "root", required_argument, NULL, 'r' },
                { "cleanup", no_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "r:h", options, NULL)) >= 0)
                switch (c) {
                case 'r': args->root = optarg; break;
                case 'c': args->cleanup = true; break;
                case 'h': help(); return 0;
                case 'V': puts(VMUNIT_VERSION); return 0;
                default: return -EINVAL;
                }
        if (optind + 1 != argc) {
                log_error("expected exactly one domain name (see --help)");
                return -EINVAL;
        }
        args->name = argv[optind];
        return 1;
}

int main(int argc, char **argv) {
        _cleanup_free_ char *name = NULL;
        Args args = {};
        Supervisor s;
        int r;

        log_set_program("vmunit-supervisor");
        r = parse_args(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? VMUNIT_EXIT_CONFIG : 0;
        /* Under systemd our stderr already goes to the journal; send
         * structured records instead so VMUNIT_DOMAIN= can be matched on. */
        log_set_journal(!args.root && getenv("JOURNAL_STREAM") != NULL);

        if (args.root)
                name = strdup(args.name);
        else if (unit_instance_unescape(args.name, &name) < 0) {
                log_error("'%s' is not a valid vm@ unit instance", args.name);
                return VMUNIT_EXIT_CONFIG;
        }
        if (!name)
                return VMUNIT_EXIT_HOST;
        if (args.cleanup)
                return supervisor_cleanup(args.root, name);

        r = supervisor_prepare(&s, args.root, name);
        if (r == 0)
                r = supervisor_run(&s);
        supervisor_done(&s);
        log_close();
        return r;
}
