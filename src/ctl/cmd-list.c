/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>

#include "ctl.h"
#include "log.h"
#include "strv.h"

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Names of defined domains: every NAME.xml in the domains directory. */
static int collect_defined(Ctl *ctl, Strv *ret) {
        DIR *dir = opendir(ctl->paths.domains_dir);
        struct dirent *de;

        if (!dir)
                return errno == ENOENT ? 0 : negative_errno();
        while ((de = readdir(dir))) {
                size_t n = strlen(de->d_name);
                if (de->d_name[0] == '.' || n <= 4 || strcmp(de->d_name + n - 4, ".xml") != 0)
                        continue;
                if (strv_pushf(ret, "%.*s", (int) (n - 4), de->d_name) < 0) {
                        closedir(dir);
                        return -ENOMEM;
                }
        }
        closedir(dir);
        if (ret->n)
                qsort(ret->items, ret->n, sizeof(char *), cmp_str);
        return 0;
}

int ctl_cmd_list(Ctl *ctl, int argc, char **argv) {
        static const struct option options[] = { { "all", no_argument, NULL, 'a' }, {} };
        _cleanup_strv_ Strv names = {};
        bool all = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc + 1, argv - 1, "a", options, NULL)) >= 0) {
                if (c != 'a')
                        return log_error("usage: vmctl list [--all]"), 1;
                all = true;
        }
        r = collect_defined(ctl, &names);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", ctl->paths.domains_dir), 1;
        printf(" %-7s %-30s %s\n", "Id", "Name", "State");
        printf("------------------------------------------------\n");
        for (size_t i = 0; i < names.n; i++) {
                int pid = ctl_domain_running_pid(ctl, names.items[i]);
                if (pid > 0)
                        printf(" %-7d %-30s %s\n", pid, names.items[i], "running");
                else if (all)
                        printf(" %-7s %-30s %s\n", "-", names.items[i], "shut off");
        }
        return 0;
}
