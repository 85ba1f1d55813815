/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "save-file.h"

static const char XML[] = "<domain type='qemu'>\n  <name>demo</name>\n</domain>\n";

Test(save_file, format_then_parse) {
        char *buf = NULL;
        size_t len = 0;
        SaveHeader h;

        cr_assert_eq(save_header_format(XML, /* running= */ true, &buf, &len), 0);
        cr_assert_eq(strncmp(buf, "VMUNIT-SAVE 1\nstate: running\nxml-size: ", 39), 0);
        cr_assert_eq(save_header_parse(buf, len, &h), 0);
        cr_assert(h.running);
        cr_assert_eq(h.xml_size, strlen(XML));
        cr_assert_eq(h.xml_offset + h.xml_size, len);
        cr_assert_eq(memcmp(buf + h.xml_offset, XML, h.xml_size), 0);
        free(buf);

        cr_assert_eq(save_header_format(XML, /* running= */ false, &buf, &len), 0);
        cr_assert_eq(save_header_parse(buf, len, &h), 0);
        cr_assert_not(h.running);
        free(buf);
}

Test(save_file, foreign_and_damaged) {
        static const char *const damaged[] = {
                "VMUNIT-SAVE 1\nstate: running\n\n",              /* no size */
                "VMUNIT-SAVE 1\nxml-size: 10\n\n",                /* no state */
                "VMUNIT-SAVE 1\nstate: asleep\nxml-size: 10\n\n", /* bad state */
                "VMUNIT-SAVE 1\nstate: paused\nxml-size: -1\n\n", /* bad size */
                "VMUNIT-SAVE 1\nstate: paused\nxml-size: 0\n\n",  /* empty XML */
                "VMUNIT-SAVE 1\nstate: paused\nxml-size: 99999999999\n\n",
                "VMUNIT-SAVE 1\nstate: paused\nxml-size: 10", /* no end */
                "VMUNIT-SAVE 1\nstate: paused\ncolour: blue\nxml-size: 10\n\n",
        };
        SaveHeader h;

        cr_assert_eq(save_header_parse("QEVM\0\0\0\3", 8, &h), -EBADMSG);
        cr_assert_eq(save_header_parse("", 0, &h), -EBADMSG);
        cr_assert_eq(save_header_parse("VMUNIT-SAVE 2\n", 14, &h), -EPROTONOSUPPORT);
        for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++)
                cr_assert_eq(save_header_parse(damaged[i], strlen(damaged[i]), &h), -EINVAL, "case %zu", i);
}

/* The reader leaves the fd where QEMU's stream starts. */
Test(save_file, read_header_from_fd) {
        char path[] = "/tmp/test-save-file.XXXXXX", *buf = NULL, *xml = NULL, *err = NULL, rest[8] = {};
        int fd = mkstemp(path);
        size_t len;
        SaveHeader h;

        cr_assert_geq(fd, 0);
        unlink(path);
        cr_assert_eq(save_header_format(XML, true, &buf, &len), 0);
        cr_assert_eq(write(fd, buf, len), (ssize_t) len);
        cr_assert_eq(write(fd, "QEVMdata", 8), 8);
        cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
        cr_assert_eq(save_file_read_header(fd, &h, &xml, &err), 0);
        cr_assert_str_eq(xml, XML);
        cr_assert_eq(read(fd, rest, 8), 8);
        cr_assert_eq(memcmp(rest, "QEVMdata", 8), 0);

        /* Truncated inside the XML. */
        cr_assert_eq(ftruncate(fd, (off_t) (len - 5)), 0);
        cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
        cr_assert_eq(save_file_read_header(fd, &h, &xml, &err), -EIO);
        cr_assert_str_eq(err, "truncated or damaged vmunit save file");
        free(err);
        err = NULL;

        /* Someone else's file. */
        cr_assert_eq(ftruncate(fd, 0), 0);
        cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
        cr_assert_eq(write(fd, "hello\n", 6), 6);
        cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
        cr_assert_eq(save_file_read_header(fd, &h, &xml, &err), -EBADMSG);
        cr_assert_str_eq(err, "not a vmunit save file");
        free(err);
        free(xml);
        free(buf);
        close(fd);
}
