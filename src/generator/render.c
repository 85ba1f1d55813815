/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuset.h"
#include "macro.h"
#include "render.h"

/* libvirt's "no limit" for memtune values (VIR_DOMAIN_MEMORY_PARAM_UNLIMITED). */
#define MEMTUNE_UNLIMITED_KIB 9007199254740991ULL

#define CGROUP_WEIGHT_MIN 1U
#define CGROUP_WEIGHT_DEFAULT 100U
#define CGROUP_WEIGHT_MAX 10000U
#define CGROUP_CPU_SHARES_DEFAULT 1024U

/* Length of the UTF-8 sequence starting at s, or 0 if it is invalid
 * (overlong forms, surrogates and values above U+10FFFF included). */
static size_t utf8_char_len(const unsigned char *s) {
        uint32_t cp;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

/* A value a unit file can carry at all: one line of valid UTF-8. */
static int check_unit_value(const char *s, const char **ret_why) {
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n;

                if (*p < 0x20 || *p == 0x7f) {
                        *ret_why = "contains a newline or control character";
                        return -EINVAL;
                }
                n = utf8_char_len(p);
                if (n == 0) {
                        *ret_why = "is not valid UTF-8";
                        return -EINVAL;
                }
                p += n;
        }
        return 0;
}

unsigned generator_shares_to_weight(unsigned shares) {
        uint64_t w = (uint64_t) shares * CGROUP_WEIGHT_DEFAULT / CGROUP_CPU_SHARES_DEFAULT;

        if (w < CGROUP_WEIGHT_MIN)
                return CGROUP_WEIGHT_MIN;
        if (w > CGROUP_WEIGHT_MAX)
                return CGROUP_WEIGHT_MAX;
        return (unsigned) w;
}

int generator_cpuset_to_list(const char *cpuset, char **ret) {
        CpuSet set;
        int r;

        r = cpuset_parse(cpuset, GENERATOR_CPUS_MAX, &set);
        if (r < 0)
                return r;
        return cpuset_format_list(&set, ret);
}

/* Copy s to t with every '%' doubled (systemd expands specifiers in
 * these settings); quote '"' and '\' with a backslash when in_quotes. */
static char *escape_copy(const char *s, size_t n, char *t, bool in_quotes) {
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%')
                        *t++ = '%';
                else if (in_quotes && (s[i] == '"' || s[i] == '\\'))
                        *t++ = '\\';
                *t++ = s[i];
        }
        return t;
}

static int quote_path(const char *path, char **ret, const char **ret_why) {
        size_t n = strlen(path);
        char *buf, *t;
        bool quote;
        int r;

        r = check_unit_value(path, ret_why);
        if (r < 0)
                return r;

        /* Without quotes, extract_first_word() would split at whitespace
         * and eat quotes and backslashes. Inside double quotes it keeps
         * whitespace and single quotes, and (these settings do not ask for
         * EXTRACT_CUNESCAPE) takes the byte after a backslash literally. A
         * quoted word also never ends the line in a backslash. */
        quote = strpbrk(path, " \"'\\") != NULL;

        buf = malloc(n * 2 + 3);
        if (!buf)
                return -ENOMEM;
        t = buf;
        if (quote)
                *t++ = '"';
        t = escape_copy(path, n, t, quote);
        if (quote)
                *t++ = '"';
        *t = 0;

        *ret = buf;
        return 0;
}

int generator_quote_path(const char *path, char **ret) {
        const char *why;

        return quote_path(path, ret, &why);
}

static int escape_text(const char *text, char **ret, const char **ret_why) {
        const char *start = text, *end;
        char *buf, *t;
        int r;

        r = check_unit_value(text, ret_why);
        if (r < 0)
                return r;

        while (*start == ' ')
                start++;
        end = start + strlen(start);
        while (end > start && end[-1] == ' ')
                end--;

        /* systemd joins the next line to one ending in an odd run of
         * backslashes, and a rest-of-line setting has no escape for that. */
        size_t run = 0;
        while (end - run > start && end[-1 - (ptrdiff_t) run] == '\\')
                run++;
        if (run % 2 == 1) {
                *ret_why = "ends with a backslash, which a unit file reads as a line continuation";
                return -EINVAL;
        }

        buf = malloc((size_t) (end - start) * 2 + 1);
        if (!buf)
                return -ENOMEM;
        t = escape_copy(start, (size_t) (end - start), buf, /* in_quotes= */ false);
        *t = 0;

        *ret = buf;
        return 0;
}

int generator_escape_text(const char *text, char **ret) {
        const char *why;

        return escape_text(text, ret, &why);
}

static int render_fail(GeneratorError *e, const char *what, const char *value, const char *why) {
        if (e)
                *e = (GeneratorError){ .what = what, .value = value, .why = why };
        return -EINVAL;
}

static int render_description(FILE *f, const Domain *d, GeneratorError *e) {
        _cleanup_free_ char *text = NULL, *fallback = NULL;
        const char *why;
        int r;

        if (d->title) {
                r = escape_text(d->title, &text, &why);
                if (r == -EINVAL)
                        return render_fail(e, "title", d->title, why);
                if (r < 0)
                        return r;
        }
        if (!text || !*text) { /* no title, or only blanks */
                free(TAKE_PTR(text));
                if (asprintf(&fallback, "Virtual machine %s", d->name) < 0)
                        return -ENOMEM;
                r = escape_text(fallback, &text, &why);
                if (r == -EINVAL)
                        return render_fail(e, "name", d->name, why);
                if (r < 0)
                        return r;
        }
        fprintf(f, "Description=%s\n", text);
        return 0;
}

/* Every file QEMU opens by path, so that systemd mounts what holds them
 * first. Block devices are left out: /dev is always there, and their
 * access is DeviceAllow='s business. */
static size_t collect_paths(const Domain *d, const char **paths) {
        const char *os_paths[] = { d->os.kernel, d->os.initrd, d->os.loader, d->os.nvram,
                                   d->os.nvram_template };
        size_t n = 0;

        for (size_t i = 0; i < d->n_disks; i++)
                if (d->disks[i].type == DOMAIN_DISK_TYPE_FILE && d->disks[i].source)
                        paths[n++] = d->disks[i].source;
        for (size_t i = 0; i < ELEMENTSOF(os_paths); i++)
                if (os_paths[i])
                        paths[n++] = os_paths[i];
        for (size_t i = 0; i < d->n_chars; i++)
                if ((d->chars[i].type == DOMAIN_CHAR_FILE || d->chars[i].type == DOMAIN_CHAR_UNIX) &&
                    d->chars[i].path)
                        paths[n++] = d->chars[i].path;
        return n;
}

static bool seen_before(const char *const *paths, size_t i) {
        for (size_t j = 0; j < i; j++)
                if (streq(paths[j], paths[i]))
                        return true;
        return false;
}

static int render_mounts_for(FILE *f, const Domain *d, GeneratorError *e) {
        _cleanup_free_ const char **paths = NULL;
        size_t n;

        paths = calloc(d->n_disks + d->n_chars + 5, sizeof(char *));
        if (!paths)
                return -ENOMEM;
        n = collect_paths(d, paths);

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *q = NULL;
                const char *why;
                int r;

                if (seen_before(paths, i))
                        continue;
                r = quote_path(paths[i], &q, &why);
                if (r == -EINVAL)
                        return render_fail(e, "path", paths[i], why);
                if (r < 0)
                        return r;
                fprintf(f, "RequiresMountsFor=%s\n", q);
        }
        return 0;
}

/* systemd only accepts normalized paths under /dev/ (or /sys/) here. */
static bool device_path_ok(const char *path) {
        if (strncmp(path, "/dev/", 5) != 0 || path[5] == 0)
                return false;
        for (const char *p = path + 4; p; p = strchr(p + 1, '/')) {
                const char *c = p + 1;
                size_t len = strcspn(c, "/");

                if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
        }
        return true;
}

static int render_device_allow(FILE *f, const Domain *d, GeneratorError *e) {
        for (size_t i = 0; i < d->n_disks; i++) {
                const DomainDisk *disk = &d->disks[i];
                _cleanup_free_ char *q = NULL;
                const char *why;
                int r;

                if (disk->type != DOMAIN_DISK_TYPE_BLOCK || !disk->source)
                        continue;
                if (!device_path_ok(disk->source))
                        return render_fail(e, "block device", disk->source,
                                           "is not a normalized path under /dev/");
                r = quote_path(disk->source, &q, &why);
                if (r == -EINVAL)
                        return render_fail(e, "block device", disk->source, why);
                if (r < 0)
                        return r;
                /* QEMU opens CD-ROM media read-only whatever the XML says. */
                fprintf(f, "DeviceAllow=%s %s\n", q,
                        disk->readonly || disk->device == DOMAIN_DISK_DEVICE_CDROM ? "r" : "rw");
        }
        return 0;
}

static void render_memory(FILE *f, const char *key, uint64_t kib) {
        if (kib == 0)
                return;
        if (kib >= MEMTUNE_UNLIMITED_KIB || kib > UINT64_MAX / 1024)
                fprintf(f, "%s=infinity\n", key);
        else
                fprintf(f, "%s=%" PRIu64 "\n", key, kib * 1024);
}

/* libvirt places a VM in the cgroup partition <resource> names; under
 * systemd that is a slice ("/machine" is machine.slice). */
static int render_slice(FILE *f, const Domain *d, GeneratorError *e) {
        _cleanup_free_ char *slice = NULL;
        int r;

        r = domain_resource_slice(&d->resource, &slice);
        if (r == -ENOENT)
                return 0;
        if (r == -EINVAL)
                return render_fail(e, "resource partition", d->resource.partition, "is not a slice path");
        if (r < 0)
                return r;
        fprintf(f, "Slice=%s\n", slice);
        return 0;
}

static void render_io_limit(FILE *f, const char *key, const char *path, const XmlNum *n) {
        /* 0 is libvirt's "no limit": nothing to write. */
        if (n->set && n->value > 0)
                fprintf(f, "%s=%s %" PRIu64 "\n", key, path, n->value);
}

/* <blkiotune>: systemd writes io.weight and io.max as libvirt would.
 * Device paths are quoted like DeviceAllow='s. */
static int render_blkiotune(FILE *f, const Domain *d, GeneratorError *e) {
        const DomainBlkiotune *b = &d->blkiotune;

        if (b->weight > 0)
                fprintf(f, "IOWeight=%u\n", b->weight);
        for (size_t i = 0; i < b->n_devices; i++) {
                const DomainBlkioDevice *dev = &b->devices[i];
                _cleanup_free_ char *q = NULL;
                const char *why;
                int r;

                if (!device_path_ok(dev->path))
                        return render_fail(e, "blkiotune device", dev->path,
                                           "is not a normalized path under /dev/");
                r = quote_path(dev->path, &q, &why);
                if (r == -EINVAL)
                        return render_fail(e, "blkiotune device", dev->path, why);
                if (r < 0)
                        return r;
                if (dev->weight > 0)
                        fprintf(f, "IODeviceWeight=%s %u\n", q, dev->weight);
                render_io_limit(f, "IOReadIOPSMax", q, &dev->read_iops_sec);
                render_io_limit(f, "IOWriteIOPSMax", q, &dev->write_iops_sec);
                render_io_limit(f, "IOReadBandwidthMax", q, &dev->read_bytes_sec);
                render_io_limit(f, "IOWriteBandwidthMax", q, &dev->write_bytes_sec);
        }
        return 0;
}

static int render_resources(FILE *f, const Domain *d, GeneratorError *e) {
        int r;

        r = render_slice(f, d, e);
        if (r < 0)
                return r;
        if (d->cputune.shares > 0)
                fprintf(f, "CPUWeight=%u\n", generator_shares_to_weight(d->cputune.shares));
        r = render_blkiotune(f, d, e);
        if (r < 0)
                return r;

        /* With placement='auto' libvirt ignores cpuset= (numad decides). */
        if (d->vcpu_cpuset && !d->vcpu_placement_auto) {
                _cleanup_free_ char *list = NULL;

                r = generator_cpuset_to_list(d->vcpu_cpuset, &list);
                if (r == -EINVAL)
                        return render_fail(e, "vcpu cpuset", d->vcpu_cpuset,
                                           "is empty or names a CPU systemd cannot express");
                if (r < 0)
                        return r;
                fprintf(f, "AllowedCPUs=%s\n", list);
        }

        render_memory(f, "MemoryMax", d->memtune_hard_limit_kib);
        render_memory(f, "MemoryHigh", d->memtune_soft_limit_kib);
        /* <memoryBacking><locked/>: QEMU mlockall()s all of guest RAM
         * (-overcommit mem-lock=on), which the default 8 MiB limit
         * refuses; libvirt lifts the limit the same way. */
        if (d->memory_backing.locked)
                fputs("LimitMEMLOCK=infinity\n", f);
        return 0;
}

static bool has_service_settings(const Domain *d) {
        for (size_t i = 0; i < d->n_disks; i++)
                if (d->disks[i].type == DOMAIN_DISK_TYPE_BLOCK && d->disks[i].source)
                        return true;
        return d->resource.partition || d->cputune.shares > 0 || d->blkiotune.weight > 0 ||
               d->blkiotune.n_devices > 0 || (d->vcpu_cpuset && !d->vcpu_placement_auto) ||
               d->memtune_hard_limit_kib > 0 || d->memtune_soft_limit_kib > 0 || d->memory_backing.locked;
}

static int render_header(FILE *f, const char *xml_path, GeneratorError *e) {
        const char *why;
        size_t n = strlen(xml_path);

        /* A comment is one line too; keep it from continuing into [Unit]. */
        if (check_unit_value(xml_path, &why) < 0)
                return render_fail(e, "file name", xml_path, why);
        if (n > 0 && xml_path[n - 1] == '\\')
                return render_fail(e, "file name", xml_path, "ends with a backslash");
        fprintf(f, "# Generated by vmunit-generator from %s\n\n", xml_path);
        return 0;
}

static int render_all(FILE *f, const Domain *d, const char *xml_path, GeneratorError *e) {
        int r;

        r = render_header(f, xml_path, e);
        if (r < 0)
                return r;
        fputs("[Unit]\n", f);
        r = render_description(f, d, e);
        if (r < 0)
                return r;
        r = render_mounts_for(f, d, e);
        if (r < 0)
                return r;

        if (!has_service_settings(d))
                return 0;
        fputs("\n[Service]\n", f);
        r = render_device_allow(f, d, e);
        if (r < 0)
                return r;
        return render_resources(f, d, e);
}

int generator_render(const Domain *d, const char *xml_path, char **ret, GeneratorError *ret_error) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        r = render_all(f, d, xml_path, ret_error);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;

        *ret = TAKE_PTR(buf);
        return 0;
}

int generator_render_dropin(const Domain *d, const char *xml_path, char **ret) {
        return generator_render(d, xml_path, ret, NULL);
}
