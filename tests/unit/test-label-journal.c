/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "label-journal.h"

static char dir[] = "/tmp/test-label-journal.XXXXXX";
static char labels[sizeof(dir) + 16];

static void setup(void) {
        cr_assert_not_null(mkdtemp(dir));
        snprintf(labels, sizeof(labels), "%s/labels", dir);
}

static void teardown(void) {
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        (void) system(cmd);
}

TestSuite(label_journal, .init = setup, .fini = teardown);

/* Collects what replay hands out, in order. */
typedef struct Seen {
        char *items[32][4];
        size_t n;
} Seen;

static int collect(const LabelRecord *rec, void *userdata) {
        Seen *s = userdata;

        cr_assert_lt(s->n, 32);
        s->items[s->n][0] = strdup(rec->backend);
        s->items[s->n][1] = strdup(rec->op);
        s->items[s->n][2] = strdup(rec->path);
        s->items[s->n][3] = strdup(rec->value);
        s->n++;
        return 0;
}

static void seen_done(Seen *s) {
        for (size_t i = 0; i < s->n; i++)
                for (size_t k = 0; k < 4; k++)
                        free(s->items[i][k]);
}

static void record(LabelJournal *j, const char *b, const char *op, const char *path, const char *value) {
        cr_assert_eq(label_journal_record(j, &(LabelRecord){ b, op, path, value }), 0);
}

static char *journal_path(void) {
        char *p = NULL;

        cr_assert_geq(asprintf(&p, "%s/vm1.journal", labels), 0);
        return p;
}

Test(label_journal, odd_paths_round_trip) {
        static const char *const paths[] = {
                "/var/lib/images/with space.img",
                "/img/new\nline",
                "/img/\xc3\xa9t\xc3\xa9/\xe2\x9c\x93.qcow2", /* UTF-8 */
                "/img/back\\slash%percent%41",
                "-",
                "/img/tab\tand\x7f\x01\xff",
                "",
        };
        LabelJournal *j = NULL;
        Seen s = {};

        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                record(j, "dac", "chown", paths[i], paths[ELEMENTSOF(paths) - 1 - i]);
        label_journal_free(j);

        cr_assert_eq(label_journal_replay(labels, "vm1", collect, &s), 0);
        cr_assert_eq(s.n, ELEMENTSOF(paths));
        for (size_t i = 0; i < s.n; i++) {
                size_t k = ELEMENTSOF(paths) - 1 - i; /* newest first */
                cr_assert_str_eq(s.items[i][0], "dac");
                cr_assert_str_eq(s.items[i][1], "chown");
                cr_assert_str_eq(s.items[i][2], paths[k]);
                cr_assert_str_eq(s.items[i][3], paths[ELEMENTSOF(paths) - 1 - k]);
        }
        seen_done(&s);
}

Test(label_journal, one_line_per_record_no_raw_bytes) {
        _cleanup_free_ char *p = journal_path();
        LabelJournal *j = NULL;
        char buf[512];
        FILE *f;
        size_t n;

        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        record(j, "dac", "chown", "/a b\nc", "0:0:644");
        label_journal_free(j);
        f = fopen(p, "re");
        cr_assert_not_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        cr_assert_str_eq(buf, "dac chown /a%20b%0Ac 0:0:644 .\n");
}

Test(label_journal, replay_is_newest_first) {
        LabelJournal *j = NULL;
        Seen s = {};

        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        record(j, "dac", "chown", "/1", "a");
        record(j, "selinux", "mcs", "", "c1,c2");
        record(j, "dac", "chown", "/3", "c");
        label_journal_free(j);
        cr_assert_eq(label_journal_replay(labels, "vm1", collect, &s), 0);
        cr_assert_eq(s.n, 3);
        cr_assert_str_eq(s.items[0][2], "/3");
        cr_assert_str_eq(s.items[1][0], "selinux");
        cr_assert_str_eq(s.items[1][2], "");
        cr_assert_str_eq(s.items[1][3], "c1,c2");
        cr_assert_str_eq(s.items[2][2], "/1");
        seen_done(&s);
}

static void append_raw(const char *text) {
        _cleanup_free_ char *p = journal_path();
        int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);

        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

Test(label_journal, torn_last_line_is_ignored) {
        LabelJournal *j = NULL;
        Seen s = {}, s2 = {};

        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        record(j, "dac", "chown", "/1", "a");
        label_journal_free(j);
        /* A crash in the middle of a write: no end marker, no newline. */
        append_raw("dac chown /2 0:0:6");
        cr_assert_eq(label_journal_replay(labels, "vm1", collect, &s), 0);
        cr_assert_eq(s.n, 1);
        cr_assert_str_eq(s.items[0][2], "/1");

        /* The next supervisor appends: the torn piece must not swallow
         * the new record, nor come back as a complete one. */
        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        record(j, "dac", "chown", "/3", "c");
        label_journal_free(j);
        cr_assert_eq(label_journal_replay(labels, "vm1", collect, &s2), 0);
        cr_assert_eq(s2.n, 2);
        cr_assert_str_eq(s2.items[0][2], "/3");
        cr_assert_str_eq(s2.items[1][2], "/1");
        seen_done(&s);
        seen_done(&s2);
}

Test(label_journal, damaged_lines_are_skipped) {
        LabelJournal *j = NULL;
        Seen s = {};

        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        record(j, "dac", "chown", "/1", "a");
        label_journal_free(j);
        append_raw("dac chown /2 x\n"     /* no end marker */
                   "dac chown /%zz x .\n" /* bad escape */
                   "dac chown /%00 x .\n" /* NUL */
                   "a b c d e .\n"        /* too many fields */
                   "dac chown /ok - .\n");
        cr_assert_eq(label_journal_replay(labels, "vm1", collect, &s), 0);
        cr_assert_eq(s.n, 2);
        cr_assert_str_eq(s.items[0][2], "/ok");
        cr_assert_str_eq(s.items[0][3], "");
        cr_assert_str_eq(s.items[1][2], "/1");
        seen_done(&s);
}

Test(label_journal, nul_bytes_in_a_damaged_file) {
        LabelJournal *j = NULL;
        Seen s = {};
        _cleanup_free_ char *p = journal_path();
        int fd;

        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        record(j, "dac", "chown", "/1", "a");
        label_journal_free(j);
        fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "dac\0chown /x y .\ndac chown /2 b .\n", 34), 34);
        close(fd);
        cr_assert_eq(label_journal_replay(labels, "vm1", collect, &s), 0);
        cr_assert_eq(s.n, 2);
        cr_assert_str_eq(s.items[0][2], "/2");
        cr_assert_str_eq(s.items[1][2], "/1");
        seen_done(&s);
}

Test(label_journal, missing_file_is_no_records) {
        Seen s = {};

        /* Neither the directory nor the file exist. */
        cr_assert_eq(label_journal_replay(labels, "vm1", collect, &s), 0);
        cr_assert_eq(s.n, 0);
        cr_assert_eq(label_journal_remove(labels, "vm1"), 0);
        cr_assert_eq(mkdir(labels, 0700), 0);
        cr_assert_eq(label_journal_replay(labels, "vm1", collect, &s), 0);
        cr_assert_eq(s.n, 0);
        cr_assert_eq(label_journal_remove(labels, "vm1"), 0);
}

Test(label_journal, modes_and_remove) {
        _cleanup_free_ char *p = journal_path();
        LabelJournal *j = NULL;
        struct stat st;

        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        label_journal_free(j);
        cr_assert_eq(stat(labels, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0700);
        cr_assert_eq(stat(p, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0600);
        cr_assert_eq(label_journal_remove(labels, "vm1"), 0);
        cr_assert_eq(stat(p, &st), -1);
        cr_assert_eq(errno, ENOENT);
}

Test(label_journal, refuses_unsafe_places) {
        _cleanup_free_ char *p = journal_path();
        LabelJournal *j = NULL;

        cr_assert_eq(label_journal_open(labels, "a/b", &j), -EINVAL);
        cr_assert_eq(label_journal_open(labels, "", &j), -EINVAL);
        /* A journal that is a symlink (to a file someone wants rewritten). */
        cr_assert_eq(mkdir(labels, 0700), 0);
        cr_assert_eq(symlink("/etc/passwd", p), 0);
        cr_assert_eq(label_journal_open(labels, "vm1", &j), -ELOOP);
        /* A labels directory others can write to could hold forged records. */
        cr_assert_eq(unlink(p), 0);
        cr_assert_eq(chmod(labels, 0777), 0);
        cr_assert_eq(label_journal_open(labels, "vm1", &j), -EPERM);
}

Test(label_journal, live_replay_skips_undone) {
        LabelJournal *j = NULL;
        Seen s = {};

        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        record(j, "dac", "chown", "/a", "first");
        record(j, "dac", "chown", "/a", "second");
        record(j, "dac", "chown", "/b", "b");
        record(j, "selinux", "mcs", "", "c1,c2");
        record(j, "dac", LABEL_JOURNAL_OP_UNDONE, "/a", "chown"); /* cancels "second" */
        record(j, "selinux", LABEL_JOURNAL_OP_UNDONE, "", "mcs");
        label_journal_free(j);
        cr_assert_eq(label_journal_replay_live(labels, "vm1", collect, &s), 0);
        cr_assert_eq(s.n, 2);
        cr_assert_str_eq(s.items[0][2], "/b");
        cr_assert_str_eq(s.items[1][3], "first");
        seen_done(&s);
}

static int fail_on_b(const LabelRecord *rec, void *userdata) {
        size_t *n = userdata;

        (*n)++;
        return streq(rec->path, "/b") ? -EIO : 0;
}

Test(label_journal, replay_visits_all_and_returns_first_error) {
        LabelJournal *j = NULL;
        size_t n = 0;

        cr_assert_eq(label_journal_open(labels, "vm1", &j), 0);
        record(j, "dac", "chown", "/a", "x");
        record(j, "dac", "chown", "/b", "x");
        record(j, "dac", "chown", "/c", "x");
        label_journal_free(j);
        cr_assert_eq(label_journal_replay(labels, "vm1", fail_on_b, &n), -EIO);
        cr_assert_eq(n, 3);
}
