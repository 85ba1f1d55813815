/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdio.h>

#include "ctl.h"
#include "domain-xml.h"
#include "log.h"
#include "vmunit-config.h"

/* vmctl --root R run FILE: define FILE in R and become its supervisor, in
 * the foreground. Ctrl-C reaches the supervisor (QEMU sits in its own
 * session), which shuts the guest down gracefully; a second Ctrl-C forces. */
int ctl_cmd_run(Ctl *ctl, int argc, char **argv) {
        _cleanup_domain_ Domain *d = NULL;
        _cleanup_free_ char *supervisor = NULL;

        if (ctl_expect_args(argc, 1, "--root DIR run FILE") < 0)
                return 1;
        if (!ctl->root) {
                log_error("run starts a VM in embedded mode and needs --root DIR");
                return 1;
        }
        if (ctl_load_domain_file(argv[0], &d) < 0 || ctl_define_domain(ctl, d) < 0)
                return 1;
        supervisor = ctl_find_supervisor();
        if (!supervisor)
                return 1;
        fflush(stdout);
        execl(supervisor, "vmunit-supervisor", "--root", ctl->paths.root, d->name, (char *) NULL);
        log_error_errno(negative_errno(), "Failed to execute %s: %m", supervisor);
        return 2;
}
