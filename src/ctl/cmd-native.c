/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "config.h"
#include "ctl.h"
#include "domain-xml.h"
#include "log.h"
#include "qemu-argv.h"

static void print_null_separated(char **env, char **argv) {
        for (char **p = env; p && *p; p++)
                fwrite(*p, 1, strlen(*p) + 1, stdout);
        for (char **p = argv; p && *p; p++)
                fwrite(*p, 1, strlen(*p) + 1, stdout);
}

/* QEMU's command line for d, as the supervisor would build it. Without
 * the emulator: an error when need_emulator, else the checks that need
 * no QEMU (validate on a host that lacks it). Errors are logged, each
 * prefixed with what (the file) when given. */
static int build(Ctl *ctl, const Domain *d, const VmunitConfig *cfg, bool need_emulator, const char *what,
                 Strv *argv, Strv *env) {
        _cleanup_free_ char *run_dir = paths_domain_run_dir(&ctl->paths, d->name), *err = NULL,
                            *cache = NULL;
        const char *emulator = qemu_argv_emulator(d, cfg->emulator);
        _cleanup_(qemu_caps_done) QemuCaps caps = {};
        QemuArgvOptions o = {
                .caps = &caps,
                .default_emulator = cfg->emulator,
                .runtime_dir = run_dir,
                .qmp_fd = -1,
                .seccomp_sandbox = cfg->seccomp_sandbox,
                .state_dir = ctl->paths.state_dir,
        };
        int r;

        if (!run_dir || asprintf(&cache, "%s/caps", ctl->paths.run_dir) < 0)
                return -ENOMEM;
        /* The same names the supervisor would accept: asked of the
         * emulator the domain names (the cache is used when we may). */
        r = qemu_caps_probe(emulator, cache, &caps);
        if (r == -ENOENT && need_emulator)
                return log_error_errno(r, "%s: no such emulator", emulator);
        if (r < 0) {
                log_warning_errno(r, "%s: cannot ask QEMU for its machine types and CPU models: %m",
                                  emulator);
                o.caps = NULL;
        }
        r = qemu_argv_build(d, &o, argv, env, &err);
        if (r < 0)
                log_error("%s%s%s", what ?: "", what ? ": " : "", err ?: strerror(-r));
        return r;
}

static int load_config(Ctl *ctl, VmunitConfig *cfg) {
        _cleanup_free_ char *err = NULL;
        int r = config_init_defaults(cfg);

        if (r >= 0)
                r = config_load(ctl->paths.config_file, cfg, &err);
        if (r < 0)
                log_error("%s", err ?: strerror(-r));
        return r;
}

int ctl_cmd_domxml_to_native(Ctl *ctl, int argc, char **argv) {
        static const struct option options[] = { { "null", no_argument, NULL, '0' }, {} };
        _cleanup_domain_ Domain *d = NULL;
        _cleanup_strv_ Strv qargv = {}, qenv = {};
        _cleanup_free_ char *line = NULL;
        VmunitConfig cfg = {};
        bool null_sep = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc + 1, argv - 1, "0", options, NULL)) >= 0) {
                if (c != '0')
                        return log_error("usage: vmctl domxml-to-native [--null] FILE"), 1;
                null_sep = true;
        }
        if (ctl_expect_args(argc - (optind - 1), 1, "domxml-to-native [--null] FILE") < 0)
                return 1;
        if (ctl_load_domain_file(argv[optind - 1], &d) < 0)
                return 1;
        r = load_config(ctl, &cfg);
        if (r >= 0)
                r = build(ctl, d, &cfg, /* need_emulator= */ true, NULL, &qargv, &qenv);
        config_done(&cfg);
        if (r < 0)
                return 1;
        if (null_sep) {
                print_null_separated(qenv.items, qargv.items);
                return 0;
        }
        r = qemu_argv_format_shell(qenv.items, qargv.items, &line);
        if (r < 0)
                return log_error_errno(r, "Failed to format the command: %m"), 1;
        puts(line);
        return 0;
}

/* validate FILE: the parser's checks, and then everything the supervisor
 * would refuse when it builds QEMU's command line (an architecture, a
 * machine type or CPU model this host's QEMU does not offer, firmware
 * without its variables...), so that "valid" means it would start. */
int ctl_cmd_validate(Ctl *ctl, int argc, char **argv) {
        _cleanup_domain_ Domain *d = NULL;
        _cleanup_strv_ Strv qargv = {}, qenv = {};
        VmunitConfig cfg = {};
        int r;

        if (ctl_expect_args(argc, 1, "validate FILE") < 0)
                return 1;
        if (ctl_load_domain_file(argv[0], &d) < 0)
                return 1;
        r = load_config(ctl, &cfg);
        if (r >= 0)
                r = build(ctl, d, &cfg, /* need_emulator= */ false, argv[0], &qargv, &qenv);
        config_done(&cfg);
        return r < 0 ? 1 : 0;
}
