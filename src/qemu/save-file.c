/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"
#include "qemu-argv.h"
#include "save-file.h"

#define VERIFY_CHUNK (1024U * 1024U)
#define VERIFY_PROGRESS_EVERY (64ULL * 1024U * 1024U)

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

/* The reason for a save_header_parse() error, in the words vmctl and the
 * supervisor print. */
static int header_error(char **ret_error, int r) {
        if (r == -EBADMSG)
                return set_errorf(ret_error, r, "not a vmunit save file");
        if (r == -EPROTONOSUPPORT)
                return set_errorf(ret_error, r,
                                  "a vmunit save file of an unsupported version (files from before format 2 "
                                  "carry no authentication and cannot be restored)");
        return set_errorf(ret_error, r, "damaged vmunit save file header");
}

int save_file_read_header(int fd, SaveHeader *ret, char **ret_xml, char **ret_error) {
        char pre[SAVE_FILE_PREAMBLE_MAX];
        _cleanup_free_ char *xml = NULL;
        SaveHeader h;
        ssize_t n;
        int r;

        n = read_full(fd, pre, sizeof(pre));
        if (n < 0)
                return set_errorf(ret_error, (int) n, "cannot read it: %s", strerror((int) -n));
        r = save_header_parse(pre, (size_t) n, &h);
        if (r < 0)
                return header_error(ret_error, r);
        if (lseek(fd, (off_t) h.xml_offset, SEEK_SET) < 0)
                return set_errorf(ret_error, negative_errno(), "cannot seek in it: %m");
        xml = malloc(h.xml_size + 1);
        if (!xml)
                return set_errorf(ret_error, -ENOMEM, "out of memory");
        n = read_full(fd, xml, h.xml_size);
        if (n < 0)
                return set_errorf(ret_error, (int) n, "cannot read it: %s", strerror((int) -n));
        if ((size_t) n != h.xml_size || memchr(xml, '\0', h.xml_size))
                return set_errorf(ret_error, -EIO, "truncated or damaged vmunit save file");
        xml[h.xml_size] = '\0';
        *ret = h;
        *ret_xml = TAKE_PTR(xml);
        return 0;
}

/* ---- MAC ---- */

void save_mac_init(SaveMac *m, const uint8_t key[static SAVE_KEY_SIZE]) {
        hmac_sha256_set_key(&m->ctx, SAVE_KEY_SIZE, key);
}

void save_mac_update(SaveMac *m, const void *buf, size_t len) {
        hmac_sha256_update(&m->ctx, len, buf);
}

void save_mac_trailer(SaveMac *m, char ret[static SAVE_FILE_TRAILER_SIZE]) {
        static const char hex[] = "0123456789abcdef";
        size_t prefix = strlen(SAVE_FILE_TRAILER_PREFIX);
        uint8_t digest[SHA256_DIGEST_SIZE];

        hmac_sha256_digest(&m->ctx, sizeof(digest), digest);
        memcpy(ret, SAVE_FILE_TRAILER_PREFIX, prefix);
        for (size_t i = 0; i < sizeof(digest); i++) {
                ret[prefix + 2 * i] = hex[digest[i] >> 4];
                ret[prefix + 2 * i + 1] = hex[digest[i] & 15];
        }
        ret[SAVE_FILE_TRAILER_SIZE - 1] = '\n';
}

void save_verified_done(SaveVerified *v) {
        if (!v)
                return;
        free(v->xml);
        *v = (SaveVerified){};
}

/* The part of [buf_off, buf_off + len) that falls into the XML, copied. */
static void capture_xml(const SaveHeader *h, char *xml, uint64_t buf_off, const char *buf, size_t len) {
        uint64_t start = h->xml_offset, end = h->xml_offset + h->xml_size;
        uint64_t from = buf_off > start ? buf_off : start, to = buf_off + len < end ? buf_off + len : end;

        if (from < to)
                memcpy(xml + (from - start), buf + (from - buf_off), to - from);
}

/* MAC over [0, end) of fd, collecting the XML on the way. */
static int mac_range(int fd, uint64_t end, const SaveHeader *h, char *xml, SaveMac *m,
                     SaveProgressFn progress, void *userdata) {
        _cleanup_free_ char *buf = malloc(VERIFY_CHUNK);
        uint64_t off = 0, next_progress = VERIFY_PROGRESS_EVERY;

        if (!buf)
                return -ENOMEM;
        while (off < end) {
                size_t want = end - off < VERIFY_CHUNK ? (size_t) (end - off) : VERIFY_CHUNK;
                ssize_t n = pread(fd, buf, want, (off_t) off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -EIO; /* shrank under us */
                save_mac_update(m, buf, (size_t) n);
                capture_xml(h, xml, off, buf, (size_t) n);
                off += (uint64_t) n;
                if (progress && off >= next_progress) {
                        progress(off, end, userdata);
                        next_progress = off + VERIFY_PROGRESS_EVERY;
                }
        }
        return 0;
}

static int read_preamble(int fd, SaveHeader *ret, char **ret_error) {
        char pre[SAVE_FILE_PREAMBLE_MAX];
        ssize_t n;
        int r;

        do
                n = pread(fd, pre, sizeof(pre), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return set_errorf(ret_error, negative_errno(), "cannot read it: %m");
        r = save_header_parse(pre, (size_t) n, ret);
        return r < 0 ? header_error(ret_error, r) : 0;
}

int save_file_verify(int fd, const uint8_t key[static SAVE_KEY_SIZE], SaveProgressFn progress,
                     void *userdata, SaveVerified *ret, char **ret_error) {
        char want[SAVE_FILE_TRAILER_SIZE], have[SAVE_FILE_TRAILER_SIZE];
        _cleanup_free_ char *xml = NULL;
        SaveHeader h;
        SaveMac m;
        struct stat st;
        uint64_t body;
        ssize_t n;
        int r;

        if (fstat(fd, &st) < 0)
                return set_errorf(ret_error, negative_errno(), "cannot stat it: %m");
        r = read_preamble(fd, &h, ret_error);
        if (r < 0)
                return r;
        if ((uint64_t) st.st_size < h.xml_offset + h.xml_size + SAVE_FILE_TRAILER_SIZE)
                return set_errorf(ret_error, -EIO, "truncated vmunit save file");
        body = (uint64_t) st.st_size - SAVE_FILE_TRAILER_SIZE;
        xml = malloc(h.xml_size + 1);
        if (!xml)
                return set_errorf(ret_error, -ENOMEM, "out of memory");
        save_mac_init(&m, key);
        r = mac_range(fd, body, &h, xml, &m, progress, userdata);
        if (r < 0)
                return set_errorf(ret_error, r, "cannot read it: %s", strerror(-r));
        n = pread(fd, have, sizeof(have), (off_t) body);
        if (n != (ssize_t) sizeof(have))
                return set_errorf(ret_error, -EIO, "cannot read its authentication trailer");
        save_mac_trailer(&m, want);
        /* Constant time: how much of a forged MAC matched must not show. */
        if (!memeql_sec(want, have, sizeof(want)))
                return set_errorf(ret_error, -EKEYREJECTED,
                                  "authentication failed: the file was changed after it was saved, or it "
                                  "was not saved on this host");
        if (memchr(xml, '\0', h.xml_size))
                return set_errorf(ret_error, -EINVAL, "damaged vmunit save file (NUL in the XML)");
        xml[h.xml_size] = '\0';
        *ret = (SaveVerified){ .header = h,
                               .xml = TAKE_PTR(xml),
                               .stream_offset = h.xml_offset + h.xml_size,
                               .stream_size = body - h.xml_offset - h.xml_size };
        return 0;
}

/* ---- the host key ---- */

static int key_read(int dir_fd, uint8_t ret[static SAVE_KEY_SIZE], char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;

        fd = openat(dir_fd, SAVE_KEY_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT
                               ? -ENOENT
                               : set_errorf(ret_error, negative_errno(), "cannot open the save key: %m");
        if (fstat(fd, &st) < 0)
                return set_errorf(ret_error, negative_errno(), "cannot stat the save key: %m");
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
                return set_errorf(ret_error, -EPERM,
                                  "the save key is not a regular file of uid %u with mode 0600; refusing it",
                                  (unsigned) geteuid());
        n = read_full(fd, ret, SAVE_KEY_SIZE);
        if (n < 0)
                return set_errorf(ret_error, (int) n, "cannot read the save key: %s", strerror((int) -n));
        if (n != SAVE_KEY_SIZE || st.st_size != SAVE_KEY_SIZE)
                return set_errorf(ret_error, -EBADMSG, "the save key is not %u bytes long", SAVE_KEY_SIZE);
        return 0;
}

/* A new key, complete on disk before its name exists. -EEXIST when
 * another process linked one first. */
static int key_create(int dir_fd, char **ret_error) {
        uint8_t key[SAVE_KEY_SIZE];
        char proc[PROC_FD_PATH_MAX];
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0)
                return set_errorf(ret_error, negative_errno(), "cannot create the save key: %m");
        if (getrandom(key, sizeof(key), 0) != (ssize_t) sizeof(key))
                return set_errorf(ret_error, negative_errno(),
                                  "cannot get random bytes for the save key: %m");
        r = write_full(fd, key, sizeof(key));
        explicit_bzero(key, sizeof(key));
        if (r >= 0 && (fchmod(fd, 0600) < 0 || fsync(fd) < 0))
                r = negative_errno();
        if (r < 0)
                return set_errorf(ret_error, r, "cannot write the save key: %s", strerror(-r));
        if (linkat(AT_FDCWD, proc_fd_path(fd, proc), dir_fd, SAVE_KEY_NAME, AT_SYMLINK_FOLLOW) < 0)
                return errno == EEXIST
                               ? -EEXIST
                               : set_errorf(ret_error, negative_errno(), "cannot link the save key: %m");
        return 0;
}

int save_key_load(int dir_fd, uint8_t ret[static SAVE_KEY_SIZE], char **ret_error) {
        int r = key_read(dir_fd, ret, ret_error);

        if (r != -ENOENT)
                return r;
        r = key_create(dir_fd, ret_error);
        if (r < 0 && r != -EEXIST)
                return r;
        r = key_read(dir_fd, ret, ret_error);
        return r == -ENOENT ? set_errorf(ret_error, r, "the save key vanished while it was created") : r;
}

/* ---- compatibility of a saved domain with the defined one ---- */

/* The options of argv that decide whether a migration stream loads:
 * "-machine VALUE" and so on, in order. */
static int compat_words(const Domain *d, Strv *ret, char **ret_error) {
        static const char *const opts[] = { "-machine", "-cpu", "-smp", "-m", "-device" };
        QemuArgvOptions o = { .runtime_dir = "/run/vmunit/x", .qmp_fd = -1, .incoming_defer = true };
        _cleanup_strv_ Strv argv = {}, env = {};
        int r;

        r = qemu_argv_build(d, &o, &argv, &env, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i + 1 < argv.n; i++)
                for (size_t k = 0; k < ELEMENTSOF(opts); k++)
                        if (streq(argv.items[i], opts[k])) {
                                r = strv_pushf(ret, "%s %s", opts[k], argv.items[i + 1]);
                                if (r < 0)
                                        return r;
                        }
        return 0;
}

int save_domains_compatible(const Domain *defined, const Domain *saved, char **ret_difference) {
        _cleanup_strv_ Strv a = {}, b = {};
        _cleanup_free_ char *err = NULL;
        char ua[37], ub[37];
        int r;

        if (!streq(defined->name, saved->name))
                return set_errorf(ret_difference, -EINVAL, "saved from domain '%s', not '%s'", saved->name,
                                  defined->name);
        domain_uuid_format(defined->uuid, ua);
        domain_uuid_format(saved->uuid, ub);
        if (!streq(ua, ub))
                return set_errorf(ret_difference, -EINVAL, "saved with UUID %s, the defined domain has %s",
                                  ub, ua);
        r = compat_words(defined, &a, &err);
        if (r < 0)
                return set_errorf(ret_difference, r, "the defined domain: %s", err ?: strerror(-r));
        r = compat_words(saved, &b, &err);
        if (r < 0)
                return set_errorf(ret_difference, r, "the saved domain: %s", err ?: strerror(-r));
        for (size_t i = 0; i < a.n || i < b.n; i++) {
                if (i < a.n && i < b.n && streq(a.items[i], b.items[i]))
                        continue;
                if (i >= b.n)
                        return set_errorf(ret_difference, -EINVAL,
                                          "the definition has '%s', which the save file lacks", a.items[i]);
                if (i >= a.n)
                        return set_errorf(ret_difference, -EINVAL,
                                          "the save file has '%s', which the definition lacks", b.items[i]);
                return set_errorf(ret_difference, -EINVAL,
                                  "the save file has '%s' where the definition has '%s'", b.items[i],
                                  a.items[i]);
        }
        return 0;
}
