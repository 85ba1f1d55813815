/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Program-level logging (library code returns -errno and does not log).
 * One line per event to stderr; optionally appended to a log file
 * (embedded mode) and sent to the journal with VMUNIT_DOMAIN=/VMUNIT_UUID=
 * fields (system mode).
 */

#include <stdbool.h>

#include "macro.h"

typedef enum LogLevel {
        LOG_LEVEL_ERR = 3,
        LOG_LEVEL_WARNING = 4,
        LOG_LEVEL_NOTICE = 5,
        LOG_LEVEL_INFO = 6,
        LOG_LEVEL_DEBUG = 7,
} LogLevel;

/* Program name prefix for stderr lines, e.g. "vmctl". */
void log_set_program(const char *name);
/* Domain context for structured fields (copied). */
void log_set_domain(const char *name, const char *uuid);
/* Also append lines to this file (opened O_APPEND|O_CLOEXEC). Returns 0 or -errno. */
int log_open_file(const char *path);
/* Send to the journal (structured fields) instead of plain stderr. */
void log_set_journal(bool on);
void log_set_max_level(LogLevel l);
void log_close(void);

/* Log and return r (negative errno) so callers can `return log_error_errno(r, ...)`.
 * "%m" in fmt is replaced by strerror(-r). */
int log_full_errno(LogLevel level, int r, const char *fmt, ...) _printf_(3, 4);

/* Each line of text as its own log line (a parser's list of problems). */
void log_lines(LogLevel level, const char *text);

#define log_error_errno(r, ...) log_full_errno(LOG_LEVEL_ERR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_LEVEL_WARNING, (r), __VA_ARGS__)
#define log_error(...) (void) log_full_errno(LOG_LEVEL_ERR, 0, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_notice(...) (void) log_full_errno(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_info(...) (void) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...) (void) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
