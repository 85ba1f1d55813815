/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "fs-util.h"
#include "save-file.h"
#include "macro.h"

int save_header_format(const char *xml, bool running, char **ret, size_t *ret_len) {
        size_t n;
        char *buf;
        int k;

        if (!xml || strlen(xml) > SAVE_FILE_XML_MAX)
                return -EINVAL;
        n = strlen(xml);
        k = asprintf(&buf, SAVE_FILE_MAGIC "state: %s\nxml-size: %zu\n\n%s", running ? "running" : "paused",
                     n, xml);
        if (k < 0)
                return -ENOMEM;
        *ret = buf;
        *ret_len = (size_t) k;
        return 0;
}

/* One "key: value" line of the preamble into h. */
static int parse_line(const char *line, size_t len, SaveHeader *h, bool *have_state, bool *have_size) {
        char text[128], *end;
        unsigned long long v;

        if (len >= sizeof(text))
                return -EINVAL;
        memcpy(text, line, len);
        text[len] = '\0';
        if (streq(text, "state: running") || streq(text, "state: paused")) {
                h->running = streq(text, "state: running");
                *have_state = true;
                return 0;
        }
        if (strncmp(text, "xml-size: ", 10) != 0 || !strchr("0123456789", text[10]) || !text[10])
                return -EINVAL;
        errno = 0;
        v = strtoull(text + 10, &end, 10);
        if (errno || *end || v == 0 || v > SAVE_FILE_XML_MAX)
                return -EINVAL;
        h->xml_size = (size_t) v;
        *have_size = true;
        return 0;
}

int save_header_parse(const char *buf, size_t len, SaveHeader *ret) {
        size_t magic = strlen(SAVE_FILE_MAGIC), pos;
        SaveHeader h = {};
        bool have_state = false, have_size = false;

        if (len < magic || memcmp(buf, SAVE_FILE_MAGIC, magic) != 0)
                return len >= 12 && memcmp(buf, "VMUNIT-SAVE ", 12) == 0 ? -EPROTONOSUPPORT : -EBADMSG;
        for (pos = magic; pos < len && pos < SAVE_FILE_PREAMBLE_MAX;) {
                const char *nl = memchr(buf + pos, '\n', len - pos);
                int r;

                if (!nl)
                        return -EINVAL;
                if (nl == buf + pos) { /* the empty line ends the preamble */
                        if (!have_state || !have_size)
                                return -EINVAL;
                        h.xml_offset = pos + 1;
                        *ret = h;
                        return 0;
                }
                r = parse_line(buf + pos, (size_t) (nl - buf - pos), &h, &have_state, &have_size);
                if (r < 0)
                        return r;
                pos = (size_t) (nl - buf) + 1;
        }
        return -EINVAL;
}

static int fail(char **ret_error, int r, const char *why) {
        if (ret_error)
                *ret_error = strdup(why);
        return r;
}

int save_file_read_header(int fd, SaveHeader *ret, char **ret_xml, char **ret_error) {
        char pre[SAVE_FILE_PREAMBLE_MAX];
        _cleanup_free_ char *xml = NULL;
        SaveHeader h;
        ssize_t n;
        int r;

        n = read_full(fd, pre, sizeof(pre));
        if (n < 0)
                return fail(ret_error, (int) n, "cannot read it");
        r = save_header_parse(pre, (size_t) n, &h);
        if (r == -EBADMSG)
                return fail(ret_error, r, "not a vmunit save file");
        if (r == -EPROTONOSUPPORT)
                return fail(ret_error, r, "a vmunit save file of an unsupported version");
        if (r < 0)
                return fail(ret_error, r, "damaged vmunit save file header");
        if (lseek(fd, (off_t) h.xml_offset, SEEK_SET) < 0)
                return fail(ret_error, negative_errno(), "cannot seek in it");
        xml = malloc(h.xml_size + 1);
        if (!xml)
                return fail(ret_error, -ENOMEM, "out of memory");
        n = read_full(fd, xml, h.xml_size);
        if (n < 0)
                return fail(ret_error, (int) n, "cannot read it");
        if ((size_t) n != h.xml_size || memchr(xml, '\0', h.xml_size))
                return fail(ret_error, -EIO, "truncated or damaged vmunit save file");
        xml[h.xml_size] = '\0';
        *ret = h;
        *ret_xml = TAKE_PTR(xml);
        return 0;
}
