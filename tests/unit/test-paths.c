/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>

#include "paths.h"
#include "vmunit-config.h"

Test(paths, embedded_table) {
        _cleanup_free_ char *xml = NULL, *run = NULL, *state = NULL, *log = NULL;
        VmunitPaths p;

        cr_assert_eq(paths_init(&p, "/tmp/r//", NULL), 0);
        cr_assert(p.embedded);
        cr_assert_str_eq(p.root, "/tmp/r");
        cr_assert_str_eq(p.domains_dir, "/tmp/r/etc/domains");
        cr_assert_str_eq(p.config_file, "/tmp/r/etc/vmunit.conf");
        cr_assert_str_eq(p.image_dir, "/tmp/r/lib/images");
        cr_assert_str_eq(p.labels_dir, "/tmp/r/run/labels");
        xml = paths_domain_xml(&p, "web1");
        run = paths_domain_run_dir(&p, "web1");
        state = paths_domain_state_dir(&p, "web1");
        log = paths_domain_log(&p, "web1");
        cr_assert_str_eq(xml, "/tmp/r/etc/domains/web1.xml");
        cr_assert_str_eq(run, "/tmp/r/run/web1");
        cr_assert_str_eq(state, "/tmp/r/lib/web1");
        cr_assert_str_eq(log, "/tmp/r/log/web1.log");
        paths_done(&p);
}

Test(paths, system_table) {
        _cleanup_free_ char *run = NULL;
        VmunitPaths p;

        cr_assert_eq(paths_init(&p, NULL, NULL), 0);
        cr_assert_not(p.embedded);
        cr_assert_str_eq(p.config_dir, VMUNIT_SYSTEM_CONFIG_DIR);
        cr_assert_str_eq(p.run_dir, "/run/vmunit");
        cr_assert_str_eq(p.state_dir, "/var/lib/vmunit");
        cr_assert_str_eq(p.labels_dir, "/run/vmunit/labels");
        cr_assert_null(p.log_dir);
        cr_assert_null(paths_domain_log(&p, "x"));
        run = paths_domain_run_dir(&p, "web-1");
        cr_assert_str_eq(run, "/run/vmunit/web-1");
        paths_done(&p);
}

Test(paths, config_dir_override) {
        VmunitPaths p;

        cr_assert_eq(paths_init(&p, NULL, "/tmp/cfg"), 0);
        cr_assert_str_eq(p.domains_dir, "/tmp/cfg/domains");
        paths_done(&p);
}

Test(paths, relative_root_is_made_absolute) {
        VmunitPaths p;

        cr_assert_eq(paths_init(&p, "rel", NULL), 0);
        cr_assert_eq(p.root[0], '/');
        cr_assert_eq(strcmp(p.root + strlen(p.root) - 4, "/rel"), 0);
        paths_done(&p);
        cr_assert_eq(paths_init(&p, "", NULL), -EINVAL);
}
