/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test-only pause points (test-hook.h); built only with
 * -Dtest_hooks=true.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "fs-util.h"
#include "macro.h"
#include "test-hook.h"

/* Whether step is the one asked for: "STEP" (its first time) or "STEP#N"
 * (its N-th time in this process). */
static bool hook_matches(const char *want, const char *step) {
        static unsigned count;
        const char *hash = strchr(want, '#');
        size_t len = hash ? (size_t) (hash - want) : strlen(want);
        unsigned n = hash ? (unsigned) strtoul(hash + 1, NULL, 10) : 1;

        if (strlen(step) != len || strncmp(want, step, len) != 0)
                return false;
        return ++count == n;
}

/* Append "PID STEP\n" to path (VMUNIT_TEST_TRACE_FILE): one run without
 * a pause tells a test every step, in order, and how often each comes. */
static void hook_trace(const char *path, const char *step) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        char line[128];
        int n = snprintf(line, sizeof(line), "%d %s\n", (int) getpid(), step);

        if (fd >= 0 && n > 0 && (size_t) n < sizeof(line))
                (void) write_full(fd, line, (size_t) n);
}

void test_hook(const char *step) {
        const char *want = getenv("VMUNIT_TEST_PAUSE_AT"), *file = getenv("VMUNIT_TEST_PAUSE_FILE");
        const char *trace = getenv("VMUNIT_TEST_TRACE_FILE");
        char line[128];

        if (trace)
                hook_trace(trace, step);
        if (!want || !hook_matches(want, step))
                return;
        if (file) {
                _cleanup_close_ int fd =
                        open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
                int n = snprintf(line, sizeof(line), "%d %s\n", (int) getpid(), step);
                if (fd >= 0 && n > 0)
                        (void) write_full(fd, line, (size_t) n);
        }
        (void) raise(SIGSTOP);
}

const char *test_hook_boot_id(void) {
        const char *id = getenv("VMUNIT_TEST_BOOT_ID");

        return id && *id ? id : NULL;
}
