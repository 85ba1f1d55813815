/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The path table from DESIGN.md: system mode (/etc/vmunit, /run/vmunit,
 * /var/lib/vmunit, the journal) or embedded mode under a root R.
 */

#include <stdbool.h>

#include "macro.h"

#define UNIX_PATH_LIMIT 107 /* sizeof(sun_path) - 1 */

typedef struct VmunitPaths {
        bool embedded;
        char *root;        /* embedded only */
        char *config_dir;  /* /etc/vmunit or R/etc */
        char *domains_dir; /* /etc/vmunit/domains or R/etc/domains */
        char *config_file; /* /etc/vmunit/vmunit.conf or R/etc/vmunit.conf */
        char *run_dir;     /* /run/vmunit or R/run */
        char *state_dir;   /* /var/lib/vmunit or R/lib */
        char *image_dir;   /* STATE/images */
        char *log_dir;     /* R/log, NULL in system mode (journal) */
        char *labels_dir;  /* RUN/labels */
} VmunitPaths;

/* root == NULL: system mode; config_dir_override (VMUNIT_CONFIG_DIR) may
 * replace /etc/vmunit in system mode. Returns 0 or -ENOMEM / -EINVAL (a
 * relative root is made absolute against the cwd). */
int paths_init(VmunitPaths *p, const char *root, const char *config_dir_override);
void paths_done(VmunitPaths *p);

/* Per-domain paths (malloc'd, NULL on OOM). */
char *paths_domain_xml(const VmunitPaths *p, const char *name);
char *paths_domain_run_dir(const VmunitPaths *p, const char *name);
char *paths_domain_state_dir(const VmunitPaths *p, const char *name);
char *paths_domain_log(const VmunitPaths *p, const char *name); /* NULL in system mode */
