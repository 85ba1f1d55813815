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
 *   unknown-types             types the loaded policy lacks, one a line:
 *                             security_check_context() of a context with
 *                             one fails with EINVAL (a module not loaded)
 *   deny-relabel              exists: setfilecon() fails with EACCES, as
 *                             the kernel does when relabelfrom is denied
 *   filecon/DEV:INO           a file's label, set by setfilecon
 *   xattr/DEV:INO@NAME        trusted.vmunit.* xattrs (tmpfs/rootless safe)
 *
 * Labels belong to inodes, as in the kernel: a file is found by the
 * st_dev:st_ino of what its path names (stat() for the calls that follow
 * a final symlink, /proc/self/fd/N included; lstat() for the l* calls).
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

/* DIR/sub, or DIR/sub/DEV:INO for the inode st describes. */
static char *state_path(const char *sub, const struct stat *st) {
        const char *dir = shim_dir();
        char *s = NULL;

        if (!dir)
                return NULL;
        if (!st)
                return asprintf(&s, "%s/%s", dir, sub) < 0 ? NULL : s;
        return asprintf(&s, "%s/%s/%lu:%lu", dir, sub, (unsigned long) st->st_dev,
                        (unsigned long) st->st_ino) < 0
                       ? NULL
                       : s;
}

/* stat() or lstat() path into st: the inode a call acts on. */
static int inode_of(const char *path, bool follow, struct stat *st) {
        return follow ? stat(path, st) : lstat(path, st);
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

static int shim_getfilecon(const char *path, bool follow, char **con) {
        struct stat st;
        char *p;

        if (!shim_dir()) {
                errno = ENOTSUP;
                return -1;
        }
        if (inode_of(path, follow, &st) < 0)
                return -1;
        p = state_path("filecon", &st);
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
        return shim_getfilecon(path, true, con);
}

int lgetfilecon(const char *path, char **con) {
        return shim_getfilecon(path, false, con);
}

static int shim_setfilecon(const char *path, bool follow, const char *con) {
        struct stat st;
        char *p;
        int r;

        if (inode_of(path, follow, &st) < 0 || ensure_sub("filecon") < 0)
                return -1;
        p = state_path("deny-relabel", NULL);
        r = access(p, F_OK);
        free(p);
        if (r == 0) {
                errno = EACCES;
                return -1;
        }
        /* A malformed context is what the kernel would reject too. */
        if (!con || !strchr(con, ':') || strpbrk(con, " \n\t")) {
                errno = EINVAL;
                return -1;
        }
        p = state_path("filecon", &st);
        r = write_text(p, con, strlen(con));
        free(p);
        if (r == 0)
                shim_log("setfilecon", path, con);
        return r;
}

int setfilecon(const char *path, const char *con) {
        return shim_setfilecon(path, true, con);
}

int lsetfilecon(const char *path, const char *con) {
        return shim_setfilecon(path, false, con);
}

/* Whether the line-list file DIR/name holds word. */
static bool listed(const char *name, const char *word, size_t len) {
        char *p = state_path(name, NULL), line[256];
        bool found = false;
        FILE *f = p ? fopen(p, "re") : NULL;

        free(p);
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                found = strlen(line) == len && strncmp(line, word, len) == 0;
        }
        fclose(f);
        return found;
}

int security_check_context(const char *con) {
        const char *type, *end;

        if (!shim_dir()) {
                errno = ENOENT;
                return -1;
        }
        /* user:role:type:range */
        type = con ? strchr(con, ':') : NULL;
        type = type ? strchr(type + 1, ':') : NULL;
        end = type ? strchr(type + 1, ':') : NULL;
        if (!end || listed("unknown-types", type + 1, (size_t) (end - type - 1))) {
                errno = EINVAL;
                return -1;
        }
        return 0;
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

static char *xattr_path(const struct stat *st, const char *name) {
        char *base = state_path("xattr", st), *s = NULL;

        if (base && asprintf(&s, "%s@%s", base, name) < 0)
                s = NULL;
        free(base);
        return s;
}

typedef ssize_t (*GetFn)(const char *, const char *, void *, size_t);
typedef int (*SetFn)(const char *, const char *, const void *, size_t, int);
typedef int (*RemoveFn)(const char *, const char *);

static ssize_t shim_getxattr(const char *path, bool follow, const char *name, void *value, size_t size) {
        struct stat st;
        char *p, *data;
        size_t len;

        if (inode_of(path, follow, &st) < 0)
                return -1;
        p = xattr_path(&st, name);
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

static int shim_setxattr(const char *path, bool follow, const char *name, const void *value, size_t size) {
        struct stat st;
        char *p;
        int r;

        if (inode_of(path, follow, &st) < 0 || ensure_sub("xattr") < 0)
                return -1;
        p = xattr_path(&st, name);
        r = p ? write_text(p, value, size) : -1;
        free(p);
        return r;
}

static int shim_removexattr(const char *path, bool follow, const char *name) {
        struct stat st;
        char *p;
        int r;

        if (inode_of(path, follow, &st) < 0)
                return -1;
        p = xattr_path(&st, name);
        r = p ? unlink(p) : -1;
        if (r < 0 && errno == ENOENT)
                errno = ENODATA;
        free(p);
        return r;
}

#define REAL(type, sym) ((type) dlsym(RTLD_NEXT, sym))

ssize_t getxattr(const char *path, const char *name, void *value, size_t size) {
        if (!shim_xattr(name))
                return REAL(GetFn, "getxattr")(path, name, value, size);
        return shim_getxattr(path, true, name, value, size);
}

ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size) {
        if (!shim_xattr(name))
                return REAL(GetFn, "lgetxattr")(path, name, value, size);
        return shim_getxattr(path, false, name, value, size);
}

int setxattr(const char *path, const char *name, const void *value, size_t size, int flags) {
        if (!shim_xattr(name))
                return REAL(SetFn, "setxattr")(path, name, value, size, flags);
        return shim_setxattr(path, true, name, value, size);
}

int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags) {
        if (!shim_xattr(name))
                return REAL(SetFn, "lsetxattr")(path, name, value, size, flags);
        return shim_setxattr(path, false, name, value, size);
}

int removexattr(const char *path, const char *name) {
        if (!shim_xattr(name))
                return REAL(RemoveFn, "removexattr")(path, name);
        return shim_removexattr(path, true, name);
}

int lremovexattr(const char *path, const char *name) {
        if (!shim_xattr(name))
                return REAL(RemoveFn, "lremovexattr")(path, name);
        return shim_removexattr(path, false, name);
}
