/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdio.h>

#include "paths.h"
#include "vmunit-config.h"

static char *path_join(const char *a, const char *b) {
        char *s = NULL;

        if (asprintf(&s, "%s/%s", a, b) < 0)
                return NULL;
        return s;
}

static int make_absolute(const char *path, char **ret) {
        char cwd[PATH_MAX];
        char *s;
        size_t n;

        if (path[0] == '/')
                s = strdup(path);
        else if (!getcwd(cwd, sizeof(cwd)))
                return negative_errno();
        else
                s = path_join(cwd, path);
        if (!s)
                return -ENOMEM;
        /* Strip trailing slashes so joined paths and socket lengths are canonical. */
        n = strlen(s);
        while (n > 1 && s[n - 1] == '/')
                s[--n] = '\0';
        *ret = s;
        return 0;
}

static int paths_fill_embedded(VmunitPaths *p, const char *root) {
        int r = make_absolute(root, &p->root);
        if (r < 0)
                return r;
        p->embedded = true;
        p->config_dir = path_join(p->root, "etc");
        p->run_dir = path_join(p->root, "run");
        p->state_dir = path_join(p->root, "lib");
        p->log_dir = path_join(p->root, "log");
        return p->config_dir && p->run_dir && p->state_dir && p->log_dir ? 0 : -ENOMEM;
}

static int paths_fill_system(VmunitPaths *p, const char *config_dir_override) {
        p->embedded = false;
        p->config_dir = strdup(config_dir_override ?: VMUNIT_SYSTEM_CONFIG_DIR);
        p->run_dir = strdup("/run/vmunit");
        p->state_dir = strdup("/var/lib/vmunit");
        return p->config_dir && p->run_dir && p->state_dir ? 0 : -ENOMEM;
}

int paths_init(VmunitPaths *p, const char *root, const char *config_dir_override) {
        int r;

        *p = (VmunitPaths){};
        if (root && !*root)
                return -EINVAL;
        r = root ? paths_fill_embedded(p, root) : paths_fill_system(p, config_dir_override);
        if (r < 0) {
                paths_done(p);
                return r;
        }
        p->domains_dir = path_join(p->config_dir, "domains");
        p->config_file = path_join(p->config_dir, "vmunit.conf");
        p->image_dir = path_join(p->state_dir, "images");
        p->labels_dir = path_join(p->run_dir, "labels");
        if (!p->domains_dir || !p->config_file || !p->image_dir || !p->labels_dir) {
                paths_done(p);
                return -ENOMEM;
        }
        return 0;
}

void paths_done(VmunitPaths *p) {
        free(p->root);
        free(p->config_dir);
        free(p->domains_dir);
        free(p->config_file);
        free(p->run_dir);
        free(p->state_dir);
        free(p->image_dir);
        free(p->log_dir);
        free(p->labels_dir);
        *p = (VmunitPaths){};
}

char *paths_domain_xml(const VmunitPaths *p, const char *name) {
        char *s = NULL;

        if (asprintf(&s, "%s/%s.xml", p->domains_dir, name) < 0)
                return NULL;
        return s;
}

char *paths_domain_run_dir(const VmunitPaths *p, const char *name) {
        return path_join(p->run_dir, name);
}

char *paths_domain_state_dir(const VmunitPaths *p, const char *name) {
        return path_join(p->state_dir, name);
}

char *paths_domain_log(const VmunitPaths *p, const char *name) {
        char *s = NULL;

        if (!p->log_dir)
                return NULL;
        if (asprintf(&s, "%s/%s.log", p->log_dir, name) < 0)
                return NULL;
        return s;
}
