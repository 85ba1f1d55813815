/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU's machine types and CPU models, asked of the emulator and cached
 * (see qemu-caps.h).
 *
 * Cache file CACHE_DIR/qemu-HASH.caps, written atomically:
 *
 *     vmunit-qemu-caps 1
 *     key DEV INO SIZE MTIME_SEC MTIME_NSEC
 *     machine NAME        (one line each)
 *     cpu NAME            (one line each)
 *
 * A key that does not match the emulator as it is now means QEMU was
 * upgraded (or replaced): the entry is ignored and written anew.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fs-util.h"
#include "qemu-caps.h"

#define CAPS_MAGIC "vmunit-qemu-caps 1"
#define CAPS_FILE_MAX (1024 * 1024)

void qemu_caps_done(QemuCaps *c) {
        strv_done(&c->machines);
        strv_done(&c->cpu_models);
}

/* Each line's first word after skipping `prefix` (NULL: none), for the
 * lines that start with prefix; the first line (a heading) is skipped. */
static int first_words(const char *text, const char *prefix, Strv *ret) {
        const char *line = strchr(text, '\n');

        while (line && *++line) {
                const char *end = strchrnul(line, '\n'), *w = line;
                size_t plen = prefix ? strlen(prefix) : 0;

                if (!prefix || strncmp(line, prefix, plen) == 0) {
                        w += plen;
                        size_t n = strcspn(w, " \n");
                        /* Only names: QEMU ends the CPU list with flag tables. */
                        if (n > 0 && w + n <= end) {
                                _cleanup_free_ char *name = strndup(w, n);
                                if (!name || strv_push(ret, name) < 0)
                                        return -ENOMEM;
                        }
                }
                line = *end ? end : NULL;
        }
        return 0;
}

int qemu_caps_parse_machines(const char *text, Strv *ret) {
        /* "Supported machines are:" then "NAME   DESCRIPTION ..." */
        return first_words(text, NULL, ret);
}

int qemu_caps_parse_cpu_models(const char *text, Strv *ret) {
        /* "Available CPUs:" then "x86 NAME   description"; the CPUID
         * flag list after a blank line has no "x86 " prefix. */
        return first_words(text, "x86 ", ret);
}

int qemu_help_lines(const char *emulator, const char *a1, const char *a2, Strv *ret) {
        char *const argv[] = { (char *) emulator, (char *) a1, (char *) a2, NULL };
        char *const envp[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *) "LC_ALL=C", NULL };
        posix_spawn_file_actions_t fa;
        char *line = NULL;
        size_t size = 0;
        int fds[2], status, r;
        pid_t pid;
        FILE *f;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        r = posix_spawn_file_actions_init(&fa);
        if (r == 0) {
                r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
                if (r == 0)
                        r = posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
                if (r == 0)
                        r = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
                if (r == 0)
                        r = posix_spawn(&pid, emulator, &fa, NULL, argv, envp);
                posix_spawn_file_actions_destroy(&fa);
        }
        safe_close(fds[1]);
        if (r != 0) {
                safe_close(fds[0]);
                return -r;
        }
        f = fdopen(fds[0], "re");
        if (!f)
                safe_close(fds[0]);
        while (f && getline(&line, &size, f) >= 0) {
                line[strcspn(line, "\n")] = '\0';
                if (strv_push(ret, line) < 0)
                        break;
        }
        free(line);
        if (f)
                fclose(f);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* The listing of `emulator a1 help` as one text. */
static int help_text(const char *emulator, const char *a1, char **ret) {
        _cleanup_strv_ Strv lines = {};
        FILE *f;
        size_t size;
        int r = qemu_help_lines(emulator, a1, "help", &lines);

        if (r < 0)
                return r;
        f = open_memstream(ret, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < lines.n; i++)
                fprintf(f, "%s\n", lines.items[i]);
        return fclose(f) == 0 ? 0 : -ENOMEM;
}

static int probe_uncached(const char *emulator, QemuCaps *c) {
        _cleanup_free_ char *machines = NULL, *cpus = NULL;
        int r = help_text(emulator, "-machine", &machines);

        if (r >= 0)
                r = help_text(emulator, "-cpu", &cpus);
        if (r >= 0)
                r = qemu_caps_parse_machines(machines, &c->machines);
        if (r >= 0)
                r = qemu_caps_parse_cpu_models(cpus, &c->cpu_models);
        return r;
}

static void cache_key(const struct stat *st, char *buf, size_t size) {
        snprintf(buf, size, "key %ju %ju %jd %jd %ld", (uintmax_t) st->st_dev, (uintmax_t) st->st_ino,
                 (intmax_t) st->st_size, (intmax_t) st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

/* FNV-1a of the emulator's path: one cache file per emulator. */
static char *cache_path(const char *cache_dir, const char *emulator) {
        uint64_t h = 1469598103934665603ULL;
        char *p;

        for (const unsigned char *c = (const unsigned char *) emulator; *c; c++)
                h = (h ^ *c) * 1099511628211ULL;
        return asprintf(&p, "%s/qemu-%016" PRIx64 ".caps", cache_dir, h) < 0 ? NULL : p;
}

/* 1 when the cache held a matching entry (parsed into c), 0 when not. */
static int cache_read(const char *path, const char *key, QemuCaps *c) {
        _cleanup_free_ char *text = NULL;
        char *line, *save = NULL;
        int r = read_small_file(path, CAPS_FILE_MAX, &text);

        if (r < 0)
                return 0;
        line = strtok_r(text, "\n", &save);
        if (!line || !streq(line, CAPS_MAGIC))
                return 0;
        line = strtok_r(NULL, "\n", &save);
        if (!line || !streq(line, key))
                return 0;
        while ((line = strtok_r(NULL, "\n", &save))) {
                if (strncmp(line, "machine ", 8) == 0)
                        r = strv_push(&c->machines, line + 8);
                else if (strncmp(line, "cpu ", 4) == 0)
                        r = strv_push(&c->cpu_models, line + 4);
                else
                        r = -EBADMSG;
                if (r < 0) {
                        qemu_caps_done(c);
                        return r == -ENOMEM ? r : 0;
                }
        }
        return 1;
}

static int cache_write(const char *path, const char *key, const QemuCaps *c) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "%s\n%s\n", CAPS_MAGIC, key);
        for (size_t i = 0; i < c->machines.n; i++)
                fprintf(f, "machine %s\n", c->machines.items[i]);
        for (size_t i = 0; i < c->cpu_models.n; i++)
                fprintf(f, "cpu %s\n", c->cpu_models.items[i]);
        if (fclose(f) != 0)
                return -ENOMEM;
        return write_file_atomic(path, text, 0644);
}

int qemu_caps_probe(const char *emulator, const char *cache_dir, QemuCaps *ret) {
        _cleanup_free_ char *path = NULL;
        QemuCaps c = {};
        char key[160];
        struct stat st;
        int r;

        *ret = (QemuCaps){};
        if (stat(emulator, &st) < 0)
                return negative_errno();
        cache_key(&st, key, sizeof(key));
        if (cache_dir) {
                path = cache_path(cache_dir, emulator);
                if (!path)
                        return -ENOMEM;
                r = cache_read(path, key, &c);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret = c;
                        return 0;
                }
        }
        r = probe_uncached(emulator, &c);
        if (r < 0) {
                qemu_caps_done(&c);
                return r;
        }
        /* A cache we cannot write (vmctl as a user) only costs time. */
        if (path && mkdir_parents(cache_dir, 0755) >= 0)
                (void) cache_write(path, key, &c);
        *ret = c;
        return 0;
}

static bool strv_has(const Strv *v, const char *s) {
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->items[i], s))
                        return true;
        return false;
}

bool qemu_caps_has_machine(const QemuCaps *c, const char *name) {
        return strv_has(&c->machines, name);
}

bool qemu_caps_has_cpu_model(const QemuCaps *c, const char *name) {
        return strv_has(&c->cpu_models, name);
}
