/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The label journal on disk: one line per record,
 *
 *     BACKEND OP PATH VALUE .\n
 *
 * Each field is escaped so that it contains no space and no newline: bytes
 * outside printable ASCII, space, '%' and '\' are written %XX; an empty
 * field is written "-" (and a field that is literally "-" as %2D). The
 * trailing "." token marks a complete record: a line torn by a crash (or
 * a power loss that kept only part of a write) lacks it and is ignored.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "label-journal.h"

#define JOURNAL_SUFFIX ".journal"
#define RECORD_END "."
#define READ_MAX (16 * 1024 * 1024) /* a journal is a few KiB; refuse absurd sizes */

struct LabelJournal {
        int fd;
};

static bool byte_needs_escape(unsigned char c) {
        return c <= ' ' || c >= 0x7f || c == '%' || c == '\\';
}

/* Append the escaped form of s (NULL = empty) to f. */
static void field_escape(FILE *f, const char *s) {
        if (!s || !*s) {
                fputc('-', f);
                return;
        }
        if (streq(s, "-")) {
                fputs("%2D", f);
                return;
        }
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (byte_needs_escape(*p))
                        fprintf(f, "%%%02X", *p);
                else
                        fputc(*p, f);
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Unescape a field in place. Returns 0, or -EBADMSG for a malformed
 * escape or an escaped NUL (which no C string can carry). */
static int field_unescape(char *s) {
        char *w = s;

        if (streq(s, "-")) {
                *s = '\0';
                return 0;
        }
        for (const char *p = s; *p; p++) {
                int hi, lo;

                if (*p != '%') {
                        *w++ = *p;
                        continue;
                }
                hi = hex_value(p[1]);
                lo = hi < 0 ? -1 : hex_value(p[2]);
                if (lo < 0 || (hi == 0 && lo == 0))
                        return -EBADMSG;
                *w++ = (char) (hi << 4 | lo);
                p += 2;
        }
        *w = '\0';
        return 0;
}

static char *record_format(const LabelRecord *rec) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        field_escape(f, rec->backend);
        fputc(' ', f);
        field_escape(f, rec->op);
        fputc(' ', f);
        field_escape(f, rec->path);
        fputc(' ', f);
        field_escape(f, rec->value);
        fputs(" " RECORD_END "\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* Split one line (without its '\n') into the four fields, in place.
 * Returns 0 or -EBADMSG for anything but a complete record. */
static int record_parse(char *line, LabelRecord *ret) {
        char *fields[5], *save = NULL;
        size_t n = 0;

        for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                if (n == ELEMENTSOF(fields))
                        return -EBADMSG;
                fields[n++] = t;
        }
        if (n != ELEMENTSOF(fields) || !streq(fields[4], RECORD_END))
                return -EBADMSG;
        for (size_t i = 0; i < 4; i++)
                if (field_unescape(fields[i]) < 0)
                        return -EBADMSG;
        *ret = (LabelRecord){ fields[0], fields[1], fields[2], fields[3] };
        return 0;
}

static char *journal_file_name(const char *name) {
        char *s = NULL;

        return asprintf(&s, "%s" JOURNAL_SUFFIX, name) < 0 ? NULL : s;
}

/*
 * Open labels_dir, creating it 0700. The journal says which files to put
 * back to which ACL and context and is replayed by root: a directory someone else
 * owns or can write could be used to forge records, so refuse it.
 */
static int labels_dir_open(const char *labels_dir, bool create) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (create) {
                _cleanup_free_ char *parent = strdup(labels_dir);
                char *slash = parent ? strrchr(parent, '/') : NULL;

                if (!parent)
                        return -ENOMEM;
                if (slash && slash != parent) {
                        *slash = '\0';
                        int r = mkdir_parents(parent, 0755);
                        if (r < 0)
                                return r;
                }
                if (mkdir(labels_dir, 0700) < 0 && errno != EEXIST)
                        return negative_errno();
        }
        fd = open(labels_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_uid != geteuid() || (st.st_mode & 0022))
                return -EPERM;
        return TAKE_FD(fd);
}

/* A record torn by a crash leaves the file without a final '\n': end that
 * line so the next record starts on a line of its own (the torn one is
 * then ignored as incomplete instead of swallowing the new one). */
static int journal_terminate_torn_line(int fd) {
        struct stat st;
        char last;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_size == 0)
                return 0;
        if (pread(fd, &last, 1, st.st_size - 1) != 1)
                return -EIO;
        if (last == '\n')
                return 0;
        if (write(fd, "\n", 1) != 1)
                return -EIO;
        return fsync(fd) < 0 ? negative_errno() : 0;
}

/* Open or create the journal file; on creation fsync the directory so the
 * file itself survives a crash, not only its content. */
static int journal_file_open(int dfd, const char *file) {
        const int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
        _cleanup_close_ int fd = openat(dfd, file, flags | O_CREAT | O_EXCL, 0600);

        if (fd >= 0)
                return fsync(dfd) < 0 ? negative_errno() : TAKE_FD(fd);
        if (errno != EEXIST)
                return negative_errno();
        fd = openat(dfd, file, flags);
        if (fd < 0)
                return negative_errno();
        int r = journal_terminate_torn_line(fd);
        return r < 0 ? r : TAKE_FD(fd);
}

int label_journal_open(const char *labels_dir, const char *name, LabelJournal **ret) {
        _cleanup_free_ char *file = NULL;
        _cleanup_close_ int dfd = -EBADF;
        LabelJournal *j;
        int fd;

        if (!labels_dir || !name || !*name || strchr(name, '/'))
                return -EINVAL;
        file = journal_file_name(name);
        if (!file)
                return -ENOMEM;
        dfd = labels_dir_open(labels_dir, /* create= */ true);
        if (dfd < 0)
                return dfd;
        fd = journal_file_open(dfd, file);
        if (fd < 0)
                return fd;
        j = malloc(sizeof(*j));
        if (!j) {
                safe_close(fd);
                return -ENOMEM;
        }
        j->fd = fd;
        *ret = j;
        return 0;
}

LabelJournal *label_journal_free(LabelJournal *j) {
        if (!j)
                return NULL;
        safe_close(j->fd);
        free(j);
        return NULL;
}

int label_journal_record(LabelJournal *j, const LabelRecord *rec) {
        _cleanup_free_ char *line = NULL;
        size_t len;

        if (!j || !rec || !rec->backend || !*rec->backend || !rec->op || !*rec->op)
                return -EINVAL;
        line = record_format(rec);
        if (!line)
                return -ENOMEM;
        /* One write() on an O_APPEND fd: concurrent appenders (there should
         * be none) cannot interleave within a record. */
        len = strlen(line);
        ssize_t n = write(j->fd, line, len);
        if (n < 0)
                return negative_errno();
        if ((size_t) n != len)
                return -EIO;
        /* The change is made only after this returns: the record must be on
         * disk first, or a crash could leave a change nobody knows about. */
        return fsync(j->fd) < 0 ? negative_errno() : 0;
}

/* Read the journal: *ret is the text (NULL and 0 when there is none). */
static int journal_read(const char *labels_dir, const char *name, char **ret, size_t *ret_size) {
        _cleanup_free_ char *file = journal_file_name(name);
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;

        *ret = NULL;
        *ret_size = 0;
        if (!file)
                return -ENOMEM;
        dfd = labels_dir_open(labels_dir, /* create= */ false);
        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;
        fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        return read_all_fd(fd, READ_MAX, ret, ret_size);
}

/* Split buf into complete lines (a trailing piece without '\n' is a torn
 * record and dropped). Returns the number of lines in *ret (caller frees
 * the array; the strings point into buf). */
static int split_lines(char *buf, size_t size, char ***ret) {
        size_t n = 0, i = 0;
        char **lines;

        for (size_t k = 0; k < size; k++)
                n += buf[k] == '\n';
        lines = calloc(n + 1, sizeof(char *));
        if (!lines)
                return -ENOMEM;
        for (char *p = buf; i < n; i++) {
                /* memchr, not strchr: a damaged file may hold NUL bytes. */
                char *nl = memchr(p, '\n', size - (size_t) (p - buf));
                *nl = '\0';
                lines[i] = p;
                p = nl + 1;
        }
        *ret = lines;
        return (int) n;
}

int label_journal_replay(const char *labels_dir, const char *name, LabelReplayFn fn, void *userdata) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ char **lines = NULL;
        size_t size;
        int r, n, first = 0;

        if (!labels_dir || !name || !fn)
                return -EINVAL;
        r = journal_read(labels_dir, name, &buf, &size);
        if (r < 0 || !buf)
                return r;
        n = split_lines(buf, size, &lines);
        if (n < 0)
                return n;
        /* Newest first: undo in the reverse order of doing. */
        for (int i = n - 1; i >= 0; i--) {
                LabelRecord rec;

                /* A line that is not a complete record (torn by a crash) is
                 * skipped: it was never followed by the change it announced,
                 * because the change is made only after the fsync. */
                if (record_parse(lines[i], &rec) < 0)
                        continue;
                r = fn(&rec, userdata);
                if (r < 0 && first == 0)
                        first = r;
        }
        return first;
}

/* Pending "undone" markers seen so far (newer than the record at hand). */
typedef struct Cancel {
        char *backend, *op, *path;
        unsigned count;
        struct Cancel *next;
} Cancel;

typedef struct LiveReplay {
        LabelReplayFn fn;
        void *userdata;
        Cancel *cancels;
        int error;
} LiveReplay;

static Cancel *cancel_find(Cancel *list, const char *backend, const char *op, const char *path) {
        for (Cancel *c = list; c; c = c->next)
                if (streq(c->backend, backend) && streq(c->op, op) && streq(c->path, path))
                        return c;
        return NULL;
}

static int cancel_add(LiveReplay *l, const LabelRecord *marker) {
        Cancel *c = cancel_find(l->cancels, marker->backend, marker->value, marker->path);

        if (c) {
                c->count++;
                return 0;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->backend = strdup(marker->backend);
        c->op = strdup(marker->value);
        c->path = strdup(marker->path);
        c->count = 1;
        c->next = l->cancels;
        l->cancels = c;
        return c->backend && c->op && c->path ? 0 : -ENOMEM;
}

static int live_visit(const LabelRecord *rec, void *userdata) {
        LiveReplay *l = userdata;
        Cancel *c;

        if (streq(rec->op, LABEL_JOURNAL_OP_UNDONE))
                return cancel_add(l, rec);
        c = cancel_find(l->cancels, rec->backend, rec->op, rec->path);
        if (c && c->count > 0) {
                c->count--;
                return 0;
        }
        return l->fn(rec, l->userdata);
}

static void cancels_free(Cancel *c) {
        while (c) {
                Cancel *next = c->next;
                free(c->backend);
                free(c->op);
                free(c->path);
                free(c);
                c = next;
        }
}

int label_journal_replay_live(const char *labels_dir, const char *name, LabelReplayFn fn, void *userdata) {
        LiveReplay l = { .fn = fn, .userdata = userdata };
        int r;

        if (!fn)
                return -EINVAL;
        r = label_journal_replay(labels_dir, name, live_visit, &l);
        cancels_free(l.cancels);
        return r;
}

int label_registry_lock(const char *labels_dir) {
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;

        if (!labels_dir)
                return -EINVAL;
        dfd = labels_dir_open(labels_dir, /* create= */ true);
        if (dfd < 0)
                return dfd;
        fd = openat(dfd, "holders.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return negative_errno();
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return TAKE_FD(fd);
}

int label_journal_remove(const char *labels_dir, const char *name) {
        _cleanup_free_ char *file = journal_file_name(name);
        _cleanup_close_ int dfd = -EBADF;

        if (!file)
                return -ENOMEM;
        dfd = labels_dir_open(labels_dir, /* create= */ false);
        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;
        if (unlinkat(dfd, file, 0) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}
