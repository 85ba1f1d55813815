/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU's machine types, CPU models and device models, asked of the
 * emulator and cached (see qemu-caps.h).
 *
 * Cache file CACHE_DIR/qemu-HASH.caps, written atomically:
 *
 *     vmunit-qemu-caps 2
 *     key DEV INO SIZE MTIME_SEC MTIME_NSEC
 *     machine NAME              (one line each)
 *     alias NAME CANONICAL      (one line each)
 *     default NAME              (at most one)
 *     cpu NAME                  (one line each)
 *     device NAME CATEGORY      (one line each; the category may have spaces)
 *
 * A key that does not match the emulator as it is now means QEMU was
 * upgraded (or replaced): the entry is ignored and written anew. So does
 * another first line: a cache of an older vmunit (format 1 had no
 * devices) is asked again rather than read as "no devices".
 */
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fs-util.h"
#include "qemu-caps.h"

#define CAPS_MAGIC "vmunit-qemu-caps 2"
#define CAPS_FILE_MAX (1024 * 1024)

void qemu_caps_done(QemuCaps *c) {
        strv_done(&c->machines);
        strv_done(&c->cpu_models);
        strv_done(&c->machine_aliases);
        strv_done(&c->machine_alias_targets);
        free(c->default_machine);
        c->default_machine = NULL;
        strv_done(&c->devices);
        strv_done(&c->device_categories);
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

/* The text between open (e.g. "(alias of ") and the next ')' of line,
 * or NULL (also when out of memory: the detail is then left out). */
static char *paren_value(const char *line, const char *open) {
        const char *p = strstr(line, open);

        if (!p)
                return NULL;
        p += strlen(open);
        return strndup(p, strcspn(p, ")\n"));
}

int qemu_caps_parse_machine_details(const char *text, QemuCaps *c) {
        const char *line = strchr(text, '\n');

        /* "NAME   DESCRIPTION [(alias of X)] [(default)] [(deprecated)]" */
        while (line && *++line) {
                const char *end = strchrnul(line, '\n');
                _cleanup_free_ char *l = strndup(line, end - line), *name = NULL, *target = NULL;

                if (!l)
                        return -ENOMEM;
                name = strndup(l, strcspn(l, " "));
                if (!name)
                        return -ENOMEM;
                target = paren_value(l, "(alias of ");
                if (*name && target &&
                    (strv_push(&c->machine_aliases, name) < 0 ||
                     strv_push(&c->machine_alias_targets, target) < 0))
                        return -ENOMEM;
                if (*name && !c->default_machine && strstr(l, "(default)"))
                        c->default_machine = TAKE_PTR(name);
                line = *end ? end : NULL;
        }
        return 0;
}

/* The quoted name at w (just past its opening quote) of a line ending at
 * end, with its category. */
static int device_name(const char *w, const char *end, const char *category, Strv *names, Strv *categories) {
        size_t k = strcspn(w, "\"\n");

        if (k == 0 || w + k >= end || w[k] != '"')
                return 0;
        if (strv_consume(names, strndup(w, k)) < 0 || strv_push(categories, category) < 0)
                return -ENOMEM;
        return 0;
}

int qemu_caps_parse_devices(const char *text, Strv *ret_names, Strv *ret_categories) {
        _cleanup_free_ char *category = strdup("Uncategorized");
        const char *line = text;

        while (category && line && *line) {
                const char *end = strchrnul(line, '\n');
                size_t n = end - line;

                if (n > strlen(" devices:") && strncmp(end - strlen(" devices:"), " devices:", 9) == 0) {
                        free(category);
                        category = strndup(line, n - strlen(" devices:"));
                } else if (strncmp(line, "name \"", 6) == 0) {
                        /* -device takes the alias as well ("virtio-net"). */
                        const char *alias = strstr(line, ", alias \"");
                        int r = device_name(line + 6, end, category, ret_names, ret_categories);
                        if (r >= 0 && alias && alias < end)
                                r = device_name(alias + 9, end, category, ret_names, ret_categories);
                        if (r < 0)
                                return r;
                }
                line = *end ? end + 1 : NULL;
        }
        return category ? 0 : -ENOMEM;
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
        _cleanup_free_ char *machines = NULL, *cpus = NULL, *devices = NULL;
        int r = help_text(emulator, "-machine", &machines);

        if (r >= 0)
                r = help_text(emulator, "-cpu", &cpus);
        if (r >= 0)
                r = qemu_caps_parse_machines(machines, &c->machines);
        if (r >= 0)
                r = qemu_caps_parse_machine_details(machines, c);
        if (r >= 0)
                r = qemu_caps_parse_cpu_models(cpus, &c->cpu_models);
        /* Device models are shown, not yet enforced: an emulator that
         * cannot list them still has its machines and CPU models used. */
        if (r >= 0 && help_text(emulator, "-device", &devices) >= 0)
                r = qemu_caps_parse_devices(devices, &c->devices, &c->device_categories);
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

/* "WORD REST" split at the first space, or -EBADMSG. */
static int split_pair(const char *s, char **ret_first, const char **ret_rest) {
        const char *sp = strchr(s, ' ');

        if (!sp || sp == s || !sp[1])
                return -EBADMSG;
        *ret_first = strndup(s, sp - s);
        *ret_rest = sp + 1;
        return *ret_first ? 0 : -ENOMEM;
}

/* One line after the key, into c: 0, -EBADMSG or -ENOMEM. */
static int cache_line(const char *line, QemuCaps *c) {
        _cleanup_free_ char *first = NULL;
        const char *rest;
        int r;

        if (strncmp(line, "machine ", 8) == 0)
                return strv_push(&c->machines, line + 8);
        if (strncmp(line, "cpu ", 4) == 0)
                return strv_push(&c->cpu_models, line + 4);
        if (strncmp(line, "default ", 8) == 0 && !c->default_machine)
                return (c->default_machine = strdup(line + 8)) ? 0 : -ENOMEM;
        if (strncmp(line, "alias ", 6) == 0) {
                r = split_pair(line + 6, &first, &rest);
                if (r >= 0)
                        r = strv_push(&c->machine_aliases, first);
                return r < 0 ? r : strv_push(&c->machine_alias_targets, rest);
        }
        if (strncmp(line, "device ", 7) == 0) {
                r = split_pair(line + 7, &first, &rest);
                if (r >= 0)
                        r = strv_push(&c->devices, first);
                return r < 0 ? r : strv_push(&c->device_categories, rest);
        }
        return -EBADMSG;
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
        while ((line = strtok_r(NULL, "\n", &save)))
                if ((r = cache_line(line, c)) < 0) {
                        qemu_caps_done(c);
                        return r == -ENOMEM ? r : 0;
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
        for (size_t i = 0; i < c->machine_aliases.n && i < c->machine_alias_targets.n; i++)
                fprintf(f, "alias %s %s\n", c->machine_aliases.items[i], c->machine_alias_targets.items[i]);
        if (c->default_machine)
                fprintf(f, "default %s\n", c->default_machine);
        for (size_t i = 0; i < c->cpu_models.n; i++)
                fprintf(f, "cpu %s\n", c->cpu_models.items[i]);
        for (size_t i = 0; i < c->devices.n && i < c->device_categories.n; i++)
                fprintf(f, "device %s %s\n", c->devices.items[i], c->device_categories.items[i]);
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

bool qemu_caps_has_device(const QemuCaps *c, const char *name) {
        return strv_has(&c->devices, name);
}

const char *qemu_caps_machine_canonical(const QemuCaps *c, const char *name) {
        for (size_t i = 0; i < c->machine_aliases.n && i < c->machine_alias_targets.n; i++)
                if (streq(c->machine_aliases.items[i], name))
                        return c->machine_alias_targets.items[i];
        return name;
}
