/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD shim: libselinux as seen by vmunit, on a host without
 * SELinux (like libvirt's securityselinuxhelper). All state lives in
 * files under $VMUNIT_SELINUX_SHIM_DIR so a test can set it up, several
 * processes (two supervisors, a --cleanup run after a SIGKILL) share it,
 * and the test reads it back:
 *
 *   disabled                  exists: is_selinux_enabled() == 0
 *   con                       getcon() (default: virtd_t, s0-s0:c0.c1023)
 *   virtual_domain_context    returned by selinux_virtual_domain_context_path()
 *   virtual_image_context     returned by selinux_virtual_image_context_path()
 *   default-filecon           label of a file never set (default: default_t:s0)
 *   filecon/ESCAPED-PATH      a file's label, set by setfilecon
 *   xattr/ESCAPED-PATH        trusted.vmunit.* xattrs (tmpfs/rootless safe)
 *   exec.PID                  what setexeccon() set in process PID
 *   log                       one line per label change, for debugging
 *
 * Without VMUNIT_SELINUX_SHIM_DIR SELinux is simply "disabled".
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <selinux/selinux.h>

#define SHIM_XATTR_PREFIX "trusted.vmunit."
#define SHIM_DEFAULT_CON "system_u:system_r:virtd_t:s0-s0:c0.c1023"
#define SHIM_DEFAULT_FILECON "system_u:object_r:default_t:s0"

static const char *shim_dir(void) {
        const char *d = getenv("VMUNIT_SELINUX_SHIM_DIR");
        return d && *d ? d : NULL;
}

/* DIR/sub/ESCAPED(path), every byte outside [A-Za-z0-9._-] as %XX. */
static char *state_path(const char *sub, const char *path) {
        const char *dir = shim_dir();
        size_t len;
        char *s, *p;

        if (!dir)
                return NULL;
        len = strlen(dir) + strlen(sub) + 3 + (path ? 3 * strlen(path) : 0);
        s = malloc(len);
        if (!s)
                return NULL;
        p = s + sprintf(s, "%s/%s", dir, sub);
        if (!path)
                return s;
        *p++ = '/';
        for (const unsigned char *c = (const unsigned char *) path; *c; c++) {
                if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                    *c == '.' || *c == '_' || *c == '-')
                        *p++ = (char) *c;
                else
                        p += sprintf(p, "%%%02X", *c);
        }
        *p = '\0';
        return s;
}

/* Whole file, trailing newline stripped; NULL with errno set. */
static char *read_text(const char *path, size_t *ret_len) {
        char buf[4096], *out;
        size_t n;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        while (n > 0 && buf[n - 1] == '\n' && !ret_len)
                n--;
        buf[n] = '\0';
        if (ret_len)
                *ret_len = n;
        out = malloc(n + 1);
        if (out)
                memcpy(out, buf, n + 1);
        return out;
}

static int write_text(const char *path, const char *data, size_t len) {
        char tmp[4096];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int) getpid());
        f = fopen(tmp, "we");
        if (!f)
                return -1;
        if (fwrite(data, 1, len, f) != len) {
                fclose(f);
                return -1;
        }
        if (fclose(f) != 0)
                return -1;
        return rename(tmp, path);
}

static int ensure_sub(const char *sub) {
        char *d = state_path(sub, NULL);
        int r;

        if (!d) {
                errno = ENOTSUP;
                return -1;
        }
        r = mkdir(d, 0700);
        free(d);
        return r < 0 && errno != EEXIST ? -1 : 0;
}

static void shim_log(const char *op, const char *a, const char *b) {
        char *p = state_path("log", NULL);
        FILE *f = p ? fopen(p, "ae") : NULL;

        free(p);
        if (!f)
                return;
        fprintf(f, "%s %s %s\n", op, a, b);
        fclose(f);
}

int is_selinux_enabled(void) {
        char *p = state_path("disabled", NULL);
        int r;

        if (!p)
                return 0;
        r = access(p, F_OK) == 0 ? 0 : 1;
        free(p);
        return r;
}

void freecon(char *con) {
        free(con);
}

int getcon(char **con) {
        char *p = state_path("con", NULL);

        if (!p) {
                errno = ENOTSUP;
                return -1;
        }
        *con = read_text(p, NULL);
        free(p);
        if (!*con)
                *con = strdup(SHIM_DEFAULT_CON);
        return 0;
}

static int shim_getfilecon(const char *path, char **con) {
        struct stat st;
        char *p;

        if (!shim_dir()) {
                errno = ENOTSUP;
                return -1;
        }
        if (lstat(path, &st) < 0)
                return -1;
        p = state_path("filecon", path);
        *con = read_text(p, NULL);
        free(p);
        if (!*con) {
                p = state_path("default-filecon", NULL);
                *con = read_text(p, NULL);
                free(p);
        }
        if (!*con)
                *con = strdup(SHIM_DEFAULT_FILECON);
        return (int) strlen(*con) + 1;
}

int getfilecon(const char *path, char **con) {
        return shim_getfilecon(path, con);
}

int lgetfilecon(const char *path, char **con) {
        return shim_getfilecon(path, con);
}

static int shim_setfilecon(const char *path, const char *con) {
        struct stat st;
        char *p;
        int r;

        if (lstat(path, &st) < 0 || ensure_sub("filecon") < 0)
                return -1;
        /* A malformed context is what the kernel would reject too. */
        if (!con || !strchr(con, ':') || strpbrk(con, " \n\t")) {
                errno = EINVAL;
                return -1;
        }
        p = state_path("filecon", path);
        r = write_text(p, con, strlen(con));
        free(p);
        if (r == 0)
                shim_log("setfilecon", path, con);
        return r;
}

int setfilecon(const char *path, const char *con) {
        return shim_setfilecon(path, con);
}

int lsetfilecon(const char *path, const char *con) {
        return shim_setfilecon(path, con);
}

static char *exec_con;

int setexeccon(const char *con) {
        char name[64];
        char *p;
        int r = 0;

        if (!shim_dir()) {
                errno = ENOTSUP;
                return -1;
        }
        free(exec_con);
        exec_con = con ? strdup(con) : NULL;
        snprintf(name, sizeof(name), "exec.%d", (int) getpid());
        p = state_path(name, NULL);
        if (con)
                r = write_text(p, con, strlen(con));
        else
                (void) unlink(p);
        free(p);
        return r;
}

int getexeccon(char **con) {
        *con = exec_con ? strdup(exec_con) : NULL;
        return 0;
}

static const char *context_file(const char *name) {
        static char buf[2][4096];
        int i = strcmp(name, "virtual_domain_context") == 0 ? 0 : 1;

        if (!shim_dir())
                return NULL;
        snprintf(buf[i], sizeof(buf[i]), "%s/%s", shim_dir(), name);
        return buf[i];
}

const char *selinux_virtual_domain_context_path(void) {
        return context_file("virtual_domain_context");
}

const char *selinux_virtual_image_context_path(void) {
        return context_file("virtual_image_context");
}

/* trusted.vmunit.* xattrs live in DIR/xattr/ESCAPED(path)@NAME; the rest
 * goes to the real calls. */
static bool shim_xattr(const char *name) {
        return shim_dir() && strncmp(name, SHIM_XATTR_PREFIX, strlen(SHIM_XATTR_PREFIX)) == 0;
}

static char *xattr_path(const char *path, const char *name) {
        char *base = state_path("xattr", path), *s = NULL;

        if (base && asprintf(&s, "%s@%s", base, name) < 0)
                s = NULL;
        free(base);
        return s;
}

ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size) {
        static ssize_t (*real)(const char *, const char *, void *, size_t);
        struct stat st;
        char *p, *data;
        size_t len;

        if (!shim_xattr(name)) {
                if (!real)
                        real = (ssize_t(*)(const char *, const char *, void *, size_t)) dlsym(RTLD_NEXT,
                                                                                              "lgetxattr");
                return real(path, name, value, size);
        }
        if (lstat(path, &st) < 0)
                return -1;
        p = xattr_path(path, name);
        data = p ? read_text(p, &len) : NULL;
        free(p);
        if (!data) {
                errno = ENODATA;
                return -1;
        }
        if (size > 0 && size < len) {
                free(data);
                errno = ERANGE;
                return -1;
        }
        if (size > 0)
                memcpy(value, data, len);
        free(data);
        return (ssize_t) len;
}

int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags) {
        static int (*real)(const char *, const char *, const void *, size_t, int);
        struct stat st;
        char *p;
        int r;

        if (!shim_xattr(name)) {
                if (!real)
                        real = (int (*)(const char *, const char *, const void *, size_t, int)) dlsym(
                                RTLD_NEXT, "lsetxattr");
                return real(path, name, value, size, flags);
        }
        if (lstat(path, &st) < 0 || ensure_sub("xattr") < 0)
                return -1;
        p = xattr_path(path, name);
        r = p ? write_text(p, value, size) : -1;
        free(p);
        return r;
}

int lremovexattr(const char *path, const char *name) {
        static int (*real)(const char *, const char *);
        char *p;
        int r;

        if (!shim_xattr(name)) {
                if (!real)
                        real = (int (*)(const char *, const char *)) dlsym(RTLD_NEXT, "lremovexattr");
                return real(path, name);
        }
        p = xattr_path(path, name);
        r = p ? unlink(p) : -1;
        if (r < 0 && errno == ENOENT)
                errno = ENODATA;
        free(p);
        return r;
}
