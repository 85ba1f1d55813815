/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What QEMU and the guest print, turned into log lines: QEMU's stdout and
 * stderr arrive on a pipe; the first serial port is mirrored by QEMU into
 * RUNTIME/console.log (chardev logfile=, an fd we opened for it), which we
 * follow with inotify. The pty itself stays free for `vmctl console`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>

#include "fs-util.h"
#include "log.h"
#include "supervisor.h"

#define LINE_MAX_BYTES 4096

/* Append data to *buf and log every complete line with prefix; keep the
 * unterminated tail (bounded: an endless line is cut into chunks). */
static void emit_lines(char **buf, const char *data, size_t n, const char *prefix) {
        size_t old = *buf ? strlen(*buf) : 0;
        char *joined = realloc(*buf, old + n + 1), *line, *nl;

        if (!joined)
                return;
        memcpy(joined + old, data, n);
        joined[old + n] = '\0';
        for (line = joined; (nl = strchr(line, '\n')); line = nl + 1) {
                *nl = '\0';
                if (nl > line && nl[-1] == '\r')
                        nl[-1] = '\0';
                log_info("%s%s", prefix, line);
        }
        if (strlen(line) > LINE_MAX_BYTES) {
                log_info("%s%s", prefix, line);
                line += strlen(line);
        }
        memmove(joined, line, strlen(line) + 1);
        *buf = joined;
}

static void flush_partial(char **buf, const char *prefix) {
        if (*buf && **buf)
                log_info("%s%s", prefix, *buf);
        free(*buf);
        *buf = NULL;
}

static int on_stderr(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Supervisor *s = userdata;
        char data[4096];
        ssize_t n = read(fd, data, sizeof(data));

        if (n > 0) {
                emit_lines(&s->stderr_buf, data, (size_t) n, "qemu: ");
                return 0;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        flush_partial(&s->stderr_buf, "qemu: ");
        s->stderr_source = sd_event_source_disable_unref(s->stderr_source);
        return 0;
}

int output_watch_stderr(Supervisor *s, int fd) {
        int r = sd_event_add_io(s->event, &s->stderr_source, fd, EPOLLIN, on_stderr, s);
        if (r < 0) {
                close(fd);
                return r;
        }
        return sd_event_source_set_io_fd_own(s->stderr_source, true);
}

static void console_drain(Supervisor *s) {
        char data[4096];
        ssize_t n;

        while ((n = read(s->console_fd, data, sizeof(data))) > 0)
                emit_lines(&s->console_buf, data, (size_t) n, "console: ");
}

static int on_console_change(sd_event_source *es, const struct inotify_event *ev, void *userdata) {
        console_drain(userdata);
        return 0;
}

int output_watch_console(Supervisor *s) {
        const VmFile *log = vm_files_find(&s->files, VM_FILE_LOG, s->console_path);
        int r;

        if (!log)
                return -ENOENT;
        /* The log we created for QEMU, read through its own inode: no path
         * is looked up again, so nothing put in its place can be read
         * instead (or block us, as a FIFO would). */
        s->console_fd = fd_reopen(log->fd, O_RDONLY | O_NONBLOCK);
        if (s->console_fd < 0)
                return s->console_fd;
        r = sd_event_add_inotify_fd(s->event, &s->console_source, s->console_fd, IN_MODIFY,
                                    on_console_change, s);
        if (r < 0)
                return r;
        console_drain(s);
        return 0;
}

void output_flush(Supervisor *s) {
        if (s->console_fd >= 0)
                console_drain(s);
        flush_partial(&s->console_buf, "console: ");
        if (s->stderr_source) {
                int fd = sd_event_source_get_io_fd(s->stderr_source);
                char data[4096];
                ssize_t n;

                (void) fcntl(fd, F_SETFL, O_NONBLOCK);
                while ((n = read(fd, data, sizeof(data))) > 0)
                        emit_lines(&s->stderr_buf, data, (size_t) n, "qemu: ");
        }
        flush_partial(&s->stderr_buf, "qemu: ");
}
