/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drives the label manager with security_driver = selinux the way the
 * supervisor does, for tests/integration/test-selinux-shim.sh, which runs
 * it under the LD_PRELOAD libselinux shim (tests/selinux-shim/):
 *
 *   selinux-driver ROOT DOMAIN.XML run
 *       label the domain (embedded paths under ROOT, no DAC; the console
 *       log ROOT/run/NAME/console.log as the supervisor has), set the exec
 *       label, print "backends NAMES", "exec CONTEXT" and "ready", then wait
 *       for SIGTERM (restore everything, print "restored", exit 0). SIGKILL
 *       leaves the labels and the journal for the cleanup step.
 *   selinux-driver ROOT NAME cleanup
 *       what ExecStopPost does: replay NAME's journal.
 *
 * Exit 0 on success, 1 with a message on stderr otherwise.
 */

#include <selinux/selinux.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "domain-xml.h"
#include "domain.h"
#include "fs-util.h"
#include "label.h"
#include "macro.h"
#include "paths.h"
#include "vm-files.h"

static int die(const char *what, int r, const char *detail) {
        fprintf(stderr, "selinux-driver: %s: %s%s%s\n", what, strerror(-r), detail ? ": " : "",
                detail ? detail : "");
        return 1;
}

static int wait_for_sigterm(void) {
        sigset_t set;
        int sig;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return -errno;
        printf("ready\n");
        fflush(stdout);
        return -sigwait(&set, &sig);
}

static int run(VmunitPaths *paths, VmunitConfig *config, const char *xml) {
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        _cleanup_domain_ Domain *d = NULL;
        _cleanup_free_ char *error = NULL, *run_dir = NULL, *console = NULL;
        _cleanup_(vm_files_done) VmFiles files = {};
        char *exec = NULL;
        int r;

        r = domain_parse_file(xml, &d, &error);
        if (r < 0)
                return die("parse", r, error);
        run_dir = paths_domain_run_dir(paths, d->name);
        if (!run_dir)
                return die("run dir", -ENOMEM, NULL);
        r = mkdir_parents(run_dir, 0755);
        if (r < 0)
                return die("run dir", r, run_dir);
        LabelManagerParams p = {
                .domain = d,
                .config = config,
                .paths = paths,
                .name = d->name,
                .qemu_uid = (uid_t) -1,
                .qemu_gid = (gid_t) -1,
        };
        r = label_manager_new(&p, &m, &error);
        if (r < 0)
                return die("label_manager_new", r, error);
        printf("backends %s\n", label_manager_describe(m));
        /* The supervisor's console log in the runtime directory, as it
         * creates one for every VM. */
        if (asprintf(&console, "%s/console.log", run_dir) < 0)
                return die("console log", -ENOMEM, NULL);
        r = vm_files_collect(d, run_dir, console, &files, &error);
        if (r < 0)
                return die("collect", r, error);
        r = label_manager_label_domain(m, &files, &error);
        if (r < 0)
                return die("label_domain", r, error);
        r = label_manager_set_exec_label(m);
        if (r < 0)
                return die("set_exec_label", r, NULL);
        if (getexeccon(&exec) < 0)
                return die("getexeccon", -errno, NULL);
        printf("exec %s\n", exec ? exec : "(none)");
        freecon(exec);
        r = wait_for_sigterm();
        if (r < 0)
                return die("sigwait", r, NULL);
        r = label_manager_restore_domain(m);
        if (r < 0)
                return die("restore_domain", r, NULL);
        printf("restored\n");
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_(paths_done) VmunitPaths paths = { 0 };
        _cleanup_(config_done) VmunitConfig config = { 0 };
        int r;

        if (argc != 4 || (!streq(argv[3], "run") && !streq(argv[3], "cleanup"))) {
                fprintf(stderr, "usage: selinux-driver ROOT DOMAIN.XML run | ROOT NAME cleanup\n");
                return 1;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        r = paths_init(&paths, argv[1], NULL);
        if (r < 0)
                return die("paths", r, argv[1]);
        r = config_init_defaults(&config);
        if (r < 0)
                return die("config", r, NULL);
        config.security_driver = SECURITY_DRIVER_SELINUX;
        config.dynamic_ownership = false;
        if (streq(argv[3], "cleanup")) {
                r = label_cleanup_from_journal(&paths, argv[2], NULL);
                if (r < 0)
                        return die("cleanup", r, argv[2]);
                printf("cleaned\n");
                return 0;
        }
        return run(&paths, &config, argv[2]);
}
