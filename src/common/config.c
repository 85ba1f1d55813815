/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>

#include "config.h"
#include "strv.h"

/* libvirt's default cgroup_device_acl: what every QEMU may open. */
static const char *const default_device_acl[] = {
        "/dev/null", "/dev/full", "/dev/zero", "/dev/random", "/dev/urandom",
        "/dev/ptmx", "/dev/kvm",  "/dev/rtc",  "/dev/hpet",
};

static const char *const security_driver_names[] = {
        [SECURITY_DRIVER_AUTO] = "auto",
        [SECURITY_DRIVER_SELINUX] = "selinux",
        [SECURITY_DRIVER_APPARMOR] = "apparmor",
        [SECURITY_DRIVER_NONE] = "none",
};

const char *security_driver_to_string(SecurityDriver d) {
        return d < ELEMENTSOF(security_driver_names) ? security_driver_names[d] : NULL;
}

static int device_acl_from_list(const char *const *list, size_t n, char ***ret) {
        _cleanup_strv_ Strv v = {};

        for (size_t i = 0; i < n; i++)
                if (strv_push(&v, list[i]) < 0)
                        return -ENOMEM;
        strv_free_array(*ret);
        *ret = strv_steal(&v);
        return *ret ? 0 : -ENOMEM;
}

int config_init_defaults(VmunitConfig *c) {
        *c = (VmunitConfig){
                .dynamic_ownership = true,
                .remember_owner = true,
                .security_driver = SECURITY_DRIVER_AUTO,
                .security_default_confined = true,
                .seccomp_sandbox = true,
                .shutdown_timeout_sec = CONFIG_DEFAULT_SHUTDOWN_TIMEOUT_SEC,
                .on_host_shutdown = HOST_SHUTDOWN_SHUTDOWN,
        };
        return device_acl_from_list(default_device_acl, ELEMENTSOF(default_device_acl),
                                    &c->cgroup_device_acl);
}

void config_done(VmunitConfig *c) {
        free(c->user);
        free(c->group);
        free(c->emulator);
        strv_free_array(c->cgroup_device_acl);
        *c = (VmunitConfig){};
}

/* A parsing error, with the place it happened. */
typedef struct ConfigCursor {
        const char *filename;
        unsigned line;
        char **error;
} ConfigCursor;

static int config_error(const ConfigCursor *cur, const char *fmt, ...) _printf_(2, 3);
static int config_error(const ConfigCursor *cur, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL, *line = NULL;
        va_list ap;

        if (!cur->error)
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&what, fmt, ap) < 0)
                what = NULL;
        va_end(ap);
        free(*cur->error);
        *cur->error = NULL;
        if (asprintf(&line, "%s:%u: %s", cur->filename, cur->line, what ?: "error") < 0)
                line = NULL;
        else
                *cur->error = cescape(line, SIZE_MAX);
        return -EINVAL;
}

static int parse_bool_value(const ConfigCursor *cur, const char *key, const char *v, bool *ret) {
        if (streq(v, "1") || streq(v, "yes") || streq(v, "true") || streq(v, "on"))
                *ret = true;
        else if (streq(v, "0") || streq(v, "no") || streq(v, "false") || streq(v, "off"))
                *ret = false;
        else
                return config_error(cur, "%s: expected 0 or 1, got '%s'", key, v);
        return 0;
}

static int parse_string_value(const ConfigCursor *cur, const char *key, const char *v, char **ret) {
        if (!*v)
                return config_error(cur, "%s: empty value", key);
        for (const char *p = v; *p; p++)
                if (iscntrl((unsigned char) *p))
                        return config_error(cur, "%s: control character in value", key);
        return free_and_strdup(ret, v);
}

static int parse_timeout_value(const ConfigCursor *cur, const char *key, const char *v, unsigned *ret) {
        char *end;
        unsigned long n;

        errno = 0;
        n = strtoul(v, &end, 10);
        if (!isdigit((unsigned char) v[0]) || *end || errno || n == 0 || n > 86400)
                return config_error(cur, "%s: expected seconds between 1 and 86400, got '%s'", key, v);
        *ret = (unsigned) n;
        return 0;
}

static int parse_security_driver(const ConfigCursor *cur, const char *key, const char *v,
                                 SecurityDriver *ret) {
        for (size_t i = 0; i < ELEMENTSOF(security_driver_names); i++)
                if (streq(v, security_driver_names[i])) {
                        *ret = (SecurityDriver) i;
                        return 0;
                }
        return config_error(cur, "%s: expected auto, selinux, apparmor or none, got '%s'", key, v);
}

static int parse_host_shutdown(const ConfigCursor *cur, const char *key, const char *v,
                               HostShutdownAction *ret) {
        if (streq(v, "shutdown"))
                *ret = HOST_SHUTDOWN_SHUTDOWN;
        else if (streq(v, "save"))
                *ret = HOST_SHUTDOWN_SAVE;
        else
                return config_error(cur, "%s: expected shutdown or save, got '%s'", key, v);
        return 0;
}

/* Under /dev and staying there: no "." or ".." component anywhere, the
 * last one included ("/dev/.." is "/"). */
static bool device_path_ok(const char *path) {
        if (strncmp(path, "/dev/", 5) != 0)
                return false;
        for (const char *p = path + 4; p; p = strchr(p + 1, '/')) {
                size_t len = strcspn(p + 1, "/");

                if ((len == 1 && p[1] == '.') || (len == 2 && p[1] == '.' && p[2] == '.'))
                        return false;
        }
        return true;
}

/* cgroup_device_acl = /dev/null, /dev/kvm, ... (also accepts qemu.conf's
 * bracketed, quoted list form). Every entry must be an absolute /dev path. */
static int parse_device_list(const ConfigCursor *cur, const char *key, const char *v, char ***ret) {
        _cleanup_strv_ Strv list = {};
        _cleanup_free_ char *copy = strdup(v);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *tok = strtok_r(copy, ",[] \t\"", &save); tok; tok = strtok_r(NULL, ",[] \t\"", &save)) {
                if (!device_path_ok(tok))
                        return config_error(cur, "%s: '%s' is not a /dev path", key, tok);
                if (strv_push(&list, tok) < 0)
                        return -ENOMEM;
        }
        strv_free_array(*ret);
        *ret = strv_steal(&list);
        return *ret ? 0 : -ENOMEM;
}

static int config_set(VmunitConfig *c, const ConfigCursor *cur, const char *key, const char *v) {
        if (streq(key, "user"))
                return parse_string_value(cur, key, v, &c->user);
        if (streq(key, "group"))
                return parse_string_value(cur, key, v, &c->group);
        if (streq(key, "emulator"))
                return parse_string_value(cur, key, v, &c->emulator);
        if (streq(key, "dynamic_ownership"))
                return parse_bool_value(cur, key, v, &c->dynamic_ownership);
        if (streq(key, "remember_owner"))
                return parse_bool_value(cur, key, v, &c->remember_owner);
        if (streq(key, "security_default_confined"))
                return parse_bool_value(cur, key, v, &c->security_default_confined);
        if (streq(key, "seccomp_sandbox"))
                return parse_bool_value(cur, key, v, &c->seccomp_sandbox);
        if (streq(key, "security_driver"))
                return parse_security_driver(cur, key, v, &c->security_driver);
        if (streq(key, "shutdown_timeout"))
                return parse_timeout_value(cur, key, v, &c->shutdown_timeout_sec);
        if (streq(key, "on_host_shutdown"))
                return parse_host_shutdown(cur, key, v, &c->on_host_shutdown);
        if (streq(key, "cgroup_device_acl"))
                return parse_device_list(cur, key, v, &c->cgroup_device_acl);
        return config_error(cur, "unknown key '%s'", key);
}

/* Remove one pair of matching surrounding quotes, as qemu.conf writes strings. */
static char *unquote(char *v) {
        size_t n = strlen(v);

        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                v[n - 1] = '\0';
                return v + 1;
        }
        return v;
}

static int config_parse_line(VmunitConfig *c, const ConfigCursor *cur, char *line) {
        char *hash = strchr(line, '#'), *eq, *key, *value;

        if (hash)
                *hash = '\0';
        line = strip_whitespace(line);
        if (!*line)
                return 0;
        eq = strchr(line, '=');
        if (!eq)
                return config_error(cur, "expected 'key = value', got '%s'", line);
        *eq = '\0';
        key = strip_whitespace(line);
        value = unquote(strip_whitespace(eq + 1));
        if (!*key)
                return config_error(cur, "missing key before '='");
        return config_set(c, cur, key, value);
}

int config_parse_text(const char *text, const char *filename, VmunitConfig *c, char **ret_error) {
        _cleanup_free_ char *copy = strdup(text);
        ConfigCursor cur = { .filename = filename, .error = ret_error };
        char *save = NULL, *line;
        int r;

        if (!copy)
                return -ENOMEM;
        /* strtok_r would skip empty lines and so miscount them; walk by hand. */
        for (line = copy; line; line = save) {
                save = strchr(line, '\n');
                if (save)
                        *save++ = '\0';
                cur.line++;
                r = config_parse_line(c, &cur, line);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_file(const char *path, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        ssize_t n;
        FILE *f = fopen(path, "re");

        if (!f)
                return negative_errno();
        n = getdelim(&buf, &len, '\0', f);
        if (n < 0 && !feof(f)) {
                int r = negative_errno();
                fclose(f);
                return r;
        }
        fclose(f);
        /* An empty file: getdelim() may have allocated without writing. */
        if (n <= 0)
                return (*ret = strdup("")) ? 0 : -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int config_load(const char *path, VmunitConfig *c, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        int r = read_file(path, &text);

        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "%s: cannot read: %s", path, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        return config_parse_text(text, path, c, ret_error);
}
