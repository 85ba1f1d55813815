/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The generator's renderer: a Domain in, the text of its unit drop-in
 * out, read back here the way systemd reads it.
 *
 * Input: byte 0 even: the rest is domain XML, parsed by the real parser
 * (the domains the generator sees at boot). Odd: the rest is NUL-separated
 * fields put straight into a Domain, which reaches values the parser
 * would refuse for other reasons: the XML file name, the domain name,
 * the title, then fields tagged by their first byte (f file disk, b/B
 * block disk rw/read-only, c CD-ROM block device, k/i/l/n/t kernel,
 * initrd, loader, NVRAM, NVRAM template, s/u serial file/socket, p
 * cpuset, a placement auto, S shares, h/o memtune hard/soft KiB). Paths
 * keep the parser's promise of being absolute.
 *
 * Promises checked (render.h): either -EINVAL with the value and the
 * reason, or a drop-in in which every line is one line of valid UTF-8
 * without control characters, never ends in a line continuation, and is
 * a comment, a known section or a known key; every '%' reaches systemd
 * doubled (no specifier expands); Description= reads back as the title
 * (or "Virtual machine NAME"); each RequiresMountsFor= and DeviceAllow=
 * value splits, as systemd splits it, into exactly the path it was made
 * from, and every path QEMU opens is there.
 */

#include <inttypes.h>

#include "domain-xml.h"
#include "fuzz.h"
#include "render.h"

#define XML_PATH "/etc/vmunit/domains/fuzz.xml"

/* ---- building a Domain from fields ---- */

static char *field_dup(const char *field, size_t len) {
        return fuzz_strndup((const uint8_t *) field, len);
}

static uint64_t field_number(const char *s, size_t len) {
        uint64_t v = 0;

        for (size_t i = 0; i < len && i < 20 && s[i] >= '0' && s[i] <= '9'; i++)
                v = v * 10 + (uint64_t) (s[i] - '0');
        return v;
}

static void add_disk(Domain *d, DomainDiskType type, DomainDiskDevice device, bool readonly, char *source) {
        DomainDisk *disks = reallocarray(d->disks, d->n_disks + 1, sizeof(DomainDisk));

        if (!disks)
                abort();
        d->disks = disks;
        d->disks[d->n_disks++] =
                (DomainDisk){ .type = type, .device = device, .readonly = readonly, .source = source };
}

static void add_char(Domain *d, DomainCharType type, char *path) {
        DomainChar *chars = reallocarray(d->chars, d->n_chars + 1, sizeof(DomainChar));

        if (!chars)
                abort();
        d->chars = chars;
        d->chars[d->n_chars++] = (DomainChar){ .type = type, .path = path, .target_port = -1 };
}

static void set_string(char **field, char *value) {
        free(*field);
        *field = value;
}

/* One tagged field; paths must be absolute, as the parser makes them. */
static void add_field(Domain *d, char tag, const char *s, size_t len) {
        char *v = field_dup(s, len);

        if (strchr("fbBckilntsu", tag) && v[0] != '/') {
                free(v);
                return;
        }
        switch (tag) {
        case 'f': add_disk(d, DOMAIN_DISK_TYPE_FILE, DOMAIN_DISK_DEVICE_DISK, false, v); return;
        case 'b': add_disk(d, DOMAIN_DISK_TYPE_BLOCK, DOMAIN_DISK_DEVICE_DISK, false, v); return;
        case 'B': add_disk(d, DOMAIN_DISK_TYPE_BLOCK, DOMAIN_DISK_DEVICE_DISK, true, v); return;
        case 'c': add_disk(d, DOMAIN_DISK_TYPE_BLOCK, DOMAIN_DISK_DEVICE_CDROM, false, v); return;
        case 'k': set_string(&d->os.kernel, v); return;
        case 'i': set_string(&d->os.initrd, v); return;
        case 'l': set_string(&d->os.loader, v); return;
        case 'n': set_string(&d->os.nvram, v); return;
        case 't': set_string(&d->os.nvram_template, v); return;
        case 's': add_char(d, DOMAIN_CHAR_FILE, v); return;
        case 'u': add_char(d, DOMAIN_CHAR_UNIX, v); return;
        case 'p': set_string(&d->vcpu_cpuset, v); return;
        case 'a': d->vcpu_placement_auto = !d->vcpu_placement_auto; break;
        case 'S': d->cputune.shares = (unsigned) (field_number(s, len) % 262145); break;
        case 'h': d->memtune_hard_limit_kib = field_number(s, len); break;
        case 'o': d->memtune_soft_limit_kib = field_number(s, len); break;
        }
        free(v);
}

static Domain *domain_from_fields(const uint8_t *data, size_t size, char **ret_xml_path) {
        _cleanup_domain_ Domain *d = calloc(1, sizeof(Domain));
        const char *field, *why;
        size_t pos = 0, len;

        if (!d)
                abort();
        field = fuzz_next_field(data, size, &pos, &len);
        *ret_xml_path = field ? field_dup(field, len) : strdup(XML_PATH);
        field = fuzz_next_field(data, size, &pos, &len);
        d->name = field ? field_dup(field, len) : strdup("fuzz");
        if (!*ret_xml_path || !d->name)
                abort();
        if (domain_name_check(d->name, &why) < 0)
                return NULL;
        field = fuzz_next_field(data, size, &pos, &len);
        if (field && len > 0)
                d->title = field_dup(field, len);
        while ((field = fuzz_next_field(data, size, &pos, &len)))
                if (len > 0)
                        add_field(d, field[0], field + 1, len - 1);
        d->vcpus = 1;
        d->memory_kib = 1024;
        return TAKE_PTR(d);
}

/* ---- reading the drop-in back ---- */

/* Length of the valid UTF-8 sequence at s (not a control character), or
 * 0. The reference here is deliberately simple: decode and range-check. */
static size_t utf8_len(const unsigned char *s) {
        uint32_t cp;
        size_t n;

        if (s[0] < 0x80)
                return s[0] >= 0x20 && s[0] != 0x7f;
        n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
        if (n == 0 || s[0] >= 0xf8)
                return 0;
        cp = s[0] & (0x7f >> n);
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < (n == 2   ? 0x80U
                  : n == 3 ? 0x800U
                           : 0x10000U) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

static void check_line_text(const char *line, size_t len) {
        size_t backslashes = 0;

        for (size_t i = 0; i < len;) {
                size_t n = utf8_len((const unsigned char *) line + i);

                if (n == 0 || i + n > len)
                        fuzz_fail("line is not clean UTF-8 text: %.*s", (int) len, line);
                i += n;
        }
        while (backslashes < len && line[len - 1 - backslashes] == '\\')
                backslashes++;
        if (backslashes % 2 == 1)
                fuzz_fail("line ends in a continuation: %.*s", (int) len, line);
}

/* systemd's extract_first_word(&p, &word, NULL, EXTRACT_UNQUOTE), which
 * RequiresMountsFor= and DeviceAllow= use. word has room for strlen(*p)
 * + 1 bytes. Returns 1 with a word, 0 at the end, -EINVAL for an
 * unterminated quote or a trailing backslash. */
static int extract_word(const char **p, char *word) {
        const char *s = *p + strspn(*p, " \t\n\r");
        char quote = 0;
        size_t n = 0;

        if (!*s)
                return 0;
        for (;; s++) {
                if (*s == '\\') {
                        if (!*++s)
                                return -EINVAL;
                        word[n++] = *s;
                } else if (quote) {
                        if (!*s)
                                return -EINVAL;
                        if (*s == quote)
                                quote = 0;
                        else
                                word[n++] = *s;
                } else if (!*s || strchr(" \t\n\r", *s))
                        break;
                else if (*s == '"' || *s == '\'')
                        quote = *s;
                else
                        word[n++] = *s;
        }
        word[n] = 0;
        *p = s;
        return 1;
}

/* Specifier expansion, which systemd applies after splitting: every '%'
 * must be a doubled one. Rewrites s in place. */
static void undouble_percent(char *s, const char *line) {
        char *t = s;

        for (; *s; s++) {
                if (*s == '%' && *++s != '%')
                        fuzz_fail("'%%' that systemd would expand as a specifier: %s", line);
                *t++ = *s;
        }
        *t = 0;
}

typedef struct Expect {
        const Domain *d;
        bool *disk_seen; /* parallel to d->disks */
        bool *path_seen; /* parallel to paths */
        const char **paths;
        size_t n_paths;
} Expect;

static void expect_paths(Expect *e, const Domain *d) {
        const char *os[] = { d->os.kernel, d->os.initrd, d->os.loader, d->os.nvram, d->os.nvram_template };

        e->d = d;
        e->paths = calloc(d->n_disks + d->n_chars + ELEMENTSOF(os) + 1, sizeof(char *));
        e->path_seen = calloc(d->n_disks + d->n_chars + ELEMENTSOF(os) + 1, sizeof(bool));
        e->disk_seen = calloc(d->n_disks + 1, sizeof(bool));
        if (!e->paths || !e->path_seen || !e->disk_seen)
                abort();
        for (size_t i = 0; i < d->n_disks; i++)
                if (d->disks[i].type == DOMAIN_DISK_TYPE_FILE && d->disks[i].source)
                        e->paths[e->n_paths++] = d->disks[i].source;
        for (size_t i = 0; i < ELEMENTSOF(os); i++)
                if (os[i])
                        e->paths[e->n_paths++] = os[i];
        for (size_t i = 0; i < d->n_chars; i++)
                if ((d->chars[i].type == DOMAIN_CHAR_FILE || d->chars[i].type == DOMAIN_CHAR_UNIX) &&
                    d->chars[i].path)
                        e->paths[e->n_paths++] = d->chars[i].path;
}

static void expect_done(Expect *e) {
        free(e->paths);
        free(e->path_seen);
        free(e->disk_seen);
}

/* What systemd keeps of a rest-of-line value: surrounding blanks go. */
static char *trimmed(const char *s) {
        size_t len;

        s += strspn(s, " ");
        len = strlen(s);
        while (len > 0 && s[len - 1] == ' ')
                len--;
        return field_dup(s, len);
}

static void check_description(const Expect *e, char *value, const char *line) {
        _cleanup_free_ char *want = NULL, *fallback = NULL;

        undouble_percent(value, line);
        if (e->d->title)
                want = trimmed(e->d->title);
        if (!want || !*want) {
                free(want);
                if (asprintf(&fallback, "Virtual machine %s", e->d->name) < 0)
                        abort();
                want = trimmed(fallback);
        }
        if (strcmp(value, want) != 0)
                fuzz_fail("Description= reads back as '%s', not '%s'", value, want);
}

/* The value's words, as systemd splits them: exactly n (at most 2). */
static void split_words(const char *value, const char *line, size_t n, char *words[2]) {
        _cleanup_free_ char *rest = malloc(strlen(value) + 1);
        const char *p = value;

        if (!rest)
                abort();
        for (size_t i = 0; i < n; i++) {
                words[i] = malloc(strlen(value) + 1);
                if (!words[i])
                        abort();
                if (extract_word(&p, words[i]) != 1)
                        fuzz_fail("fewer than %zu words: %s=%s", n, line, value);
        }
        if (extract_word(&p, rest) != 0)
                fuzz_fail("more than %zu words: %s=%s", n, line, value);
}

static void check_mounts_for(Expect *e, const char *value, const char *line) {
        char *words[2] = {};
        bool found = false;

        split_words(value, line, 1, words);
        undouble_percent(words[0], line);
        for (size_t i = 0; i < e->n_paths; i++)
                if (strcmp(e->paths[i], words[0]) == 0)
                        e->path_seen[i] = found = true;
        if (!found)
                fuzz_fail("RequiresMountsFor= names '%s', none of the domain's paths", words[0]);
        free(words[0]);
}

static void check_device_allow(Expect *e, const char *value, const char *line) {
        char *words[2] = {};
        bool found = false;

        split_words(value, line, 2, words);
        undouble_percent(words[0], line);
        fuzz_assert(strncmp(words[0], "/dev/", 5) == 0);
        for (size_t i = 0; i < e->d->n_disks && !found; i++) {
                const DomainDisk *disk = &e->d->disks[i];
                bool ro = disk->readonly || disk->device == DOMAIN_DISK_DEVICE_CDROM;

                if (disk->type != DOMAIN_DISK_TYPE_BLOCK || !disk->source || e->disk_seen[i] ||
                    strcmp(disk->source, words[0]) != 0 || strcmp(words[1], ro ? "r" : "rw") != 0)
                        continue;
                e->disk_seen[i] = found = true;
        }
        if (!found)
                fuzz_fail("DeviceAllow= '%s %s' matches no block disk of the domain", words[0], words[1]);
        free(words[0]);
        free(words[1]);
}

static bool digits_only(const char *s, const char *extra) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!(*s >= '0' && *s <= '9') && !strchr(extra, *s))
                        return false;
        return true;
}

static void check_setting(Expect *e, char *line, bool service) {
        char *value = strchr(line, '=');

        if (!value)
                fuzz_fail("neither comment, section nor setting: %s", line);
        *value++ = 0;
        if (!service && streq(line, "Description"))
                check_description(e, value, line);
        else if (!service && streq(line, "RequiresMountsFor"))
                check_mounts_for(e, value, line);
        else if (service && streq(line, "DeviceAllow"))
                check_device_allow(e, value, line);
        else if (service && streq(line, "CPUWeight")) {
                fuzz_assert(digits_only(value, ""));
                fuzz_assert(atoi(value) >= 1 && atoi(value) <= 10000);
        } else if (service && streq(line, "AllowedCPUs"))
                fuzz_assert(digits_only(value, ",-"));
        else if (service && (streq(line, "MemoryMax") || streq(line, "MemoryHigh")))
                fuzz_assert(streq(value, "infinity") || digits_only(value, ""));
        else
                fuzz_fail("unexpected setting %s in [%s]", line, service ? "Service" : "Unit");
}

static void check_dropin(const Domain *d, const char *xml_path, char *text) {
        _cleanup_free_ char *header = NULL;
        Expect e = {};
        bool service = false;
        char *line, *nl;

        fuzz_assert(*text && text[strlen(text) - 1] == '\n');
        for (line = text; *line; line = nl + 1) {
                nl = strchr(line, '\n');
                check_line_text(line, (size_t) (nl - line));
        }
        if (asprintf(&header, "# Generated by vmunit-generator from %s\n\n[Unit]\n", xml_path) < 0)
                abort();
        fuzz_assert(strncmp(text, header, strlen(header)) == 0);

        expect_paths(&e, d);
        for (line = text + strlen(header); *line; line = nl + 1) {
                nl = strchr(line, '\n');
                *nl = 0;
                if (!*line)
                        continue;
                if (streq(line, "[Service]")) {
                        fuzz_assert(!service);
                        service = true;
                        continue;
                }
                check_setting(&e, line, service);
        }
        for (size_t i = 0; i < e.n_paths; i++)
                if (!e.path_seen[i])
                        fuzz_fail("path '%s' has no RequiresMountsFor=", e.paths[i]);
        for (size_t i = 0; i < d->n_disks; i++)
                if (d->disks[i].type == DOMAIN_DISK_TYPE_BLOCK && d->disks[i].source && !e.disk_seen[i])
                        fuzz_fail("block device '%s' has no DeviceAllow=", d->disks[i].source);
        expect_done(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_domain_ Domain *d = NULL;
        _cleanup_free_ char *xml_path = NULL, *text = NULL;
        GeneratorError error = {};
        int r;

        if (size < 1)
                return 0;
        if (data[0] % 2 == 0) {
                if (domain_parse_buffer((const char *) data + 1, size - 1, "fuzz.xml", &d, NULL) < 0)
                        return 0;
                xml_path = strdup(XML_PATH);
                if (!xml_path)
                        abort();
        } else {
                d = domain_from_fields(data + 1, size - 1, &xml_path);
                if (!d)
                        return 0;
        }

        r = generator_render(d, xml_path, &text, &error);
        if (r == -ENOMEM)
                return 0;
        if (r < 0) {
                fuzz_assert(r == -EINVAL);
                fuzz_assert(error.what && error.why);
                return 0;
        }
        check_dropin(d, xml_path, text);
        return 0;
}
