/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmunit-supervisor [--root R] NAME
 *
 * Runs one VM in the foreground until it stops; the exit code says how it
 * ended (see exit-status.h). systemd runs it as vm@NAME.service; vmctl run
 * runs it in embedded mode.
 */
#include <getopt.h>
#include <stdio.h>

#include "log.h"
#include "supervisor.h"
#include "vmunit-config.h"

static void help(void) {
        printf("Usage: vmunit-supervisor [--root DIR] NAME\n"
               "Run the VM defined as NAME until it stops.\n\n"
               "  -r, --root DIR   embedded mode: use DIR/etc/domains/NAME.xml and DIR/run, DIR/log\n"
               "  -h, --help       show this help\n"
               "      --version    show the version\n");
}

static int parse_args(int argc, char **argv, const char **ret_root, const char **ret_name) {
        static const struct option options[] = {
                { "root", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "r:h", options, NULL)) >= 0)
                switch (c) {
                case 'r': *ret_root = optarg; break;
                case 'h': help(); return 0;
                case 'V': puts(VMUNIT_VERSION); return 0;
                default: return -EINVAL;
                }
        if (optind + 1 != argc) {
                log_error("expected exactly one domain name (see --help)");
                return -EINVAL;
        }
        *ret_name = argv[optind];
        return 1;
}

int main(int argc, char **argv) {
        const char *root = NULL, *name = NULL;
        Supervisor s;
        int r;

        log_set_program("vmunit-supervisor");
        r = parse_args(argc, argv, &root, &name);
        if (r <= 0)
                return r < 0 ? VMUNIT_EXIT_CONFIG : 0;
        /* Under systemd (system mode) our stderr already goes to the journal;
         * send structured records so VMUNIT_DOMAIN= can be matched on. */
        log_set_journal(!root && getenv("JOURNAL_STREAM") != NULL);

        r = supervisor_prepare(&s, root, name);
        if (r == 0)
                r = supervisor_run(&s);
        supervisor_done(&s);
        log_close();
        return r;
}
