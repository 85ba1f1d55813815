/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_program = "vmunit";
static char *log_domain_name;
static char *log_domain_uuid;
static int log_file_fd = -EBADF;
static bool log_stderr_is_file; /* do not write each line twice */
static bool log_journal;
static LogLevel log_max_level = LOG_LEVEL_INFO;

void log_set_program(const char *name) {
        log_program = name;
}

void log_set_domain(const char *name, const char *uuid) {
        (void) free_and_strdup(&log_domain_name, name);
        (void) free_and_strdup(&log_domain_uuid, uuid);
}

/* Whether fd 2 is the file fd: a supervisor started in the background by
 * `vmctl --root R start` has its stderr appended to the same log. */
static bool stderr_is(int fd) {
        struct stat a, b;

        return fstat(STDERR_FILENO, &a) >= 0 && fstat(fd, &b) >= 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

int log_open_file(const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0)
                return negative_errno();
        safe_close(log_file_fd);
        log_file_fd = fd;
        log_stderr_is_file = stderr_is(fd);
        return 0;
}

void log_set_journal(bool on) {
        log_journal = on;
}

void log_set_max_level(LogLevel l) {
        log_max_level = l;
}

void log_close(void) {
        log_file_fd = safe_close(log_file_fd);
        log_domain_name = (free(log_domain_name), NULL);
        log_domain_uuid = (free(log_domain_uuid), NULL);
}

static void log_write_file(const char *message) {
        char stamp[32];
        struct timespec ts;
        struct tm tm;

        if (log_file_fd < 0)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
        /* One write per line so concurrent writers never interleave mid-line. */
        dprintf(log_file_fd, "%s.%03ld %s\n", stamp, ts.tv_nsec / 1000000, message);
}

static void log_write_journal(LogLevel level, const char *message) {
        sd_journal_send("MESSAGE=%s", message, "PRIORITY=%i", (int) level, "SYSLOG_IDENTIFIER=%s",
                        log_program, "VMUNIT_DOMAIN=%s", log_domain_name ?: "", "VMUNIT_UUID=%s",
                        log_domain_uuid ?: "", NULL);
}

int log_full_errno(LogLevel level, int r, const char *fmt, ...) {
        char message[2048];
        va_list ap;

        if (level > log_max_level)
                return r;

        /* %m must expand to the error we were given, not whatever errno is now. */
        if (r != 0)
                errno = r < 0 ? -r : r;
        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);

        if (log_journal)
                log_write_journal(level, message);
        else if (!log_stderr_is_file || log_file_fd < 0)
                fprintf(stderr, "%s: %s\n", log_program, message);
        log_write_file(message);
        return r;
}

void log_lines(LogLevel level, const char *text) {
        for (const char *p = text; *p;) {
                size_t n = strcspn(p, "\n");

                (void) log_full_errno(level, 0, "%.*s", (int) n, p);
                p += n + (p[n] == '\n');
        }
}
