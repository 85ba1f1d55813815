/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * vmunit-generator NORMAL EARLY LATE
 *
 * systemd runs generators at boot and on every daemon-reload, and starts
 * no unit before they all have finished: this must be fast and must never
 * fail the boot. For each /etc/vmunit/domains/NAME.xml it writes
 * NORMAL/vm@NAME.service.d/50-vmunit.conf (NAME escaped as a unit
 * instance). A file that is broken or unsafe is skipped with one line in
 * the kernel log; the others are still generated, and the exit status is
 * 0 unless the command line itself is wrong (systemd.generator(7)).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain-xml.h"
#include "macro.h"
#include "render.h"
#include "strv.h"
#include "unit-name.h"
#include "vmunit-config.h"

#define DROPIN_NAME "50-vmunit.conf"
#define GENERATOR_WORKERS_MAX 8
#define KMSG_LINE_MAX 1000 /* well under the kernel's 1024-byte record limit */

static int kmsg_fd = -EBADF;
static bool kmsg_tried;

/* SYSTEMD_LOG_TARGET as systemd's own generators read it: "console" sends
 * our lines to stderr (tests use that), "null" drops them; anything else
 * means the kernel log, or stderr when /dev/kmsg cannot be opened. */
static void log_target_setup(void) {
        const char *t = getenv("SYSTEMD_LOG_TARGET");

        kmsg_tried = true;
        if (t && (streq(t, "console") || streq(t, "null")))
                return;
        kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

/* One line per problem; returns r so callers can `return log_skip(r, ...)`.
 * Control characters in the message (from file names or values) are
 * replaced so the line stays one line. */
static int _printf_(2, 3) log_skip(int r, const char *fmt, ...) {
        char msg[KMSG_LINE_MAX], line[KMSG_LINE_MAX + 64];
        const char *t = getenv("SYSTEMD_LOG_TARGET");
        va_list ap;
        int n;

        if (!kmsg_tried)
                log_target_setup();
        if (t && streq(t, "null"))
                return r;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        for (char *p = msg; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';

        if (kmsg_fd >= 0) {
                n = snprintf(line, sizeof(line), "<3>vmunit-generator: %s\n", msg);
                if (write(kmsg_fd, line, (size_t) n) == n)
                        return r;
        }
        fprintf(stderr, "vmunit-generator: %s\n", msg);
        return r;
}

/* 1-based line of the first occurrence of needle in buf, or 1. Used to
 * point at the element a problem comes from when the parser is not the one
 * reporting it. */
static unsigned line_of(const char *buf, size_t len, const char *needle) {
        const char *hit = needle && *needle ? memmem(buf, len, needle, strlen(needle)) : NULL;
        unsigned line = 1;

        if (!hit)
                return 1;
        for (const char *p = buf; p < hit; p++)
                line += *p == '\n';
        return line;
}

static int read_fd_all(int fd, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0, size;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_size > 16 * 1024 * 1024)
                return -EFBIG;

        size = (size_t) st.st_size + 1;
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + len, size - len - 1);

                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len == size - 1)
                        break; /* grew while we read: parse what stat promised */
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* Write text as DIR/UNIT.d/50-vmunit.conf below out_fd, refusing to
 * overwrite anything (another generator, or a second run into the same
 * directory). A partial file is removed. */
static int write_dropin(int out_fd, const char *unit, const char *text) {
        _cleanup_free_ char *dir = NULL, *file = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text);

        if (asprintf(&dir, "%s.d", unit) < 0 || asprintf(&file, "%s.d/" DROPIN_NAME, unit) < 0)
                return -ENOMEM;
        if (mkdirat(out_fd, dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        fd = openat(out_fd, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
        if (fd < 0)
                return negative_errno();
        if (write(fd, text, len) != (ssize_t) len) {
                int r = errno > 0 ? -errno : -EIO;

                (void) unlinkat(out_fd, file, 0);
                return r;
        }
        return 0;
}

/* The unit for a domain file: its stem must be a domain name that makes
 * a valid unit name. Logs the problem and returns -errno otherwise. */
static int unit_for_file(const char *path, const char *stem, char **ret_unit) {
        const char *why = "empty or contains '/'";
        int r;

        r = vm_unit_name(stem, ret_unit);
        if (r == -ENAMETOOLONG)
                return log_skip(r, "%s:1: name '%s' makes a unit name longer than %d bytes, skipping", path,
                                stem, UNIT_NAME_MAX);
        if (r >= 0)
                r = domain_name_check(stem, &why);
        if (r == -ENOMEM)
                return log_skip(r, "%s: out of memory", path);
        if (r < 0)
                return log_skip(r, "%s:1: file name does not give a valid domain name: %s, skipping", path,
                                why);
        return 0;
}

/* Everything about one domain file; problems are logged here, once. */
static int process_domain(int dir_fd, const char *dir, const char *file, int out_fd) {
        _cleanup_free_ char *path = NULL, *stem = NULL, *unit = NULL, *buf = NULL, *error = NULL,
                            *text = NULL;
        _cleanup_domain_ Domain *d = NULL;
        _cleanup_close_ int fd = -EBADF;
        GeneratorError gerr = {};
        size_t len;
        int r;

        if (asprintf(&path, "%s/%s", dir, file) < 0 || !(stem = strndup(file, strlen(file) - 4)))
                return log_skip(-ENOMEM, "%s: out of memory", file);

        r = unit_for_file(path, stem, &unit);
        if (r < 0)
                return r;

        fd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        r = fd < 0 ? negative_errno() : read_fd_all(fd, &buf, &len);
        if (r < 0)
                return log_skip(r, "%s: cannot read: %s, skipping", path, strerror(-r));

        r = domain_parse_buffer(buf, len, path, &d, &error);
        if (r < 0)
                return log_skip(r, "%s, skipping", error ?: strerror(-r));

        if (!streq(d->name, stem))
                return log_skip(-EINVAL, "%s:%u: <name> '%s' does not match the file name '%s', skipping",
                                path, line_of(buf, len, "<name"), d->name, stem);

        r = generator_render(d, path, &text, &gerr);
        if (r == -EINVAL)
                return log_skip(r, "%s:%u: %s '%s' %s, cannot write it into a unit file, skipping", path,
                                line_of(buf, len, gerr.value), gerr.what, gerr.value ?: "", gerr.why);
        if (r < 0)
                return log_skip(r, "%s: %s, skipping", path, strerror(-r));

        r = write_dropin(out_fd, unit, text);
        if (r == -EEXIST)
                return log_skip(r, "%s: %s.d/" DROPIN_NAME " exists already, not overwriting", path, unit);
        if (r < 0)
                return log_skip(r, "%s: cannot write %s.d/" DROPIN_NAME ": %s", path, unit, strerror(-r));
        return 0;
}

static bool is_domain_file(const struct dirent *de) {
        size_t n = strlen(de->d_name);

        if (n <= 4 || strcmp(de->d_name + n - 4, ".xml") != 0)
                return false;
        /* Symlinks and unknown types are opened and checked by fstat(). */
        return de->d_type == DT_REG || de->d_type == DT_LNK || de->d_type == DT_UNKNOWN;
}

/* Domain files in dir, in directory order. Returns 0 or -ENOMEM. */
static int list_domain_files(DIR *dir, Strv *ret) {
        struct dirent *de;
        int r;

        while ((de = readdir(dir)))
                if (is_domain_file(de)) {
                        r = strv_push(ret, de->d_name);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* Parsing dominates, and systemd waits for every generator before it
 * starts any unit: with many domains, spread them over a few processes.
 * Below ~100 domains per worker a fork costs more than it saves. */
static unsigned pick_workers(size_t n_files) {
        cpu_set_t cpus;
        unsigned n = 1;

        if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
                n = (unsigned) CPU_COUNT(&cpus);
        if (n > GENERATOR_WORKERS_MAX)
                n = GENERATOR_WORKERS_MAX;
        if (n > n_files / 100)
                n = (unsigned) (n_files / 100);
        return n > 0 ? n : 1;
}

static void process_share(const Strv *files, unsigned worker, unsigned n_workers, int dir_fd,
                          const char *dir, int out_fd) {
        for (size_t i = worker; i < files->n; i += n_workers)
                (void) process_domain(dir_fd, dir, files->items[i], out_fd);
}

/* Worker 0 is this process; the others are forked children that share
 * nothing but the output directory (each drop-in is created with O_EXCL,
 * and each worker has its own files). A worker that dies takes only its
 * own share with it, and is reported. */
static void process_all(const Strv *files, int dir_fd, const char *dir, int out_fd) {
        unsigned n_workers = pick_workers(files->n), started = 1;
        pid_t pids[GENERATOR_WORKERS_MAX];

        for (unsigned w = 1; w < n_workers; w++) {
                pid_t pid = fork();

                if (pid == 0) {
                        process_share(files, w, n_workers, dir_fd, dir, out_fd);
                        _exit(0);
                }
                if (pid < 0)
                        break; /* do the rest ourselves */
                pids[started++] = pid;
        }
        /* Shares of workers that could not be started fall to us. */
        for (unsigned w = 0; w < n_workers; w++)
                if (w == 0 || w >= started)
                        process_share(files, w, n_workers, dir_fd, dir, out_fd);

        for (unsigned w = 1; w < started; w++) {
                int status;

                if (waitpid(pids[w], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        (void) log_skip(-ECHILD,
                                        "%s: worker %u of %u failed, some domains may lack their drop-in",
                                        dir, w, n_workers);
        }
}

static int run(const char *normal_dir) {
        _cleanup_free_ char *domains = NULL;
        _cleanup_strv_ Strv files = {};
        _cleanup_close_ int out_fd = -EBADF;
        const char *config_dir = getenv("VMUNIT_CONFIG_DIR");
        DIR *dir;
        int r;

        if (!config_dir || !*config_dir)
                config_dir = VMUNIT_SYSTEM_CONFIG_DIR;
        if (asprintf(&domains, "%s/domains", config_dir) < 0)
                return -ENOMEM;

        dir = opendir(domains);
        if (!dir) {
                if (errno != ENOENT)
                        (void) log_skip(-errno, "%s: cannot open: %s", domains, strerror(errno));
                return 0; /* no domains defined: nothing to do */
        }

        r = list_domain_files(dir, &files);
        if (r < 0)
                (void) log_skip(r, "%s: cannot list: %s", domains, strerror(-r));
        else if (files.n > 0) {
                out_fd = open(normal_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (out_fd < 0)
                        (void) log_skip(-errno, "%s: cannot open output directory: %s", normal_dir,
                                        strerror(errno));
                else
                        process_all(&files, dirfd(dir), domains, out_fd);
        }
        closedir(dir);
        return 0;
}

int main(int argc, char *argv[]) {
        /* systemd passes three directories; we only write into the first.
         * One argument is accepted for manual runs. */
        if (argc != 2 && argc != 4) {
                fprintf(stderr, "usage: %s NORMAL_DIR [EARLY_DIR LATE_DIR]\n", argv[0]);
                return 1;
        }
        umask(0022);
        (void) run(argv[1]);
        return 0;
}
