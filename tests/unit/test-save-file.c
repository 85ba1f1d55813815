/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-xml.h"
#include "save-file.h"

static const char XML[] = "<domain type='qemu'>\n  <name>demo</name>\n</domain>\n";

Test(save_file, format_then_parse) {
        char *buf = NULL;
        size_t len = 0;
        SaveHeader h;

        cr_assert_eq(save_header_format(XML, /* running= */ true, &buf, &len), 0);
        cr_assert_eq(strncmp(buf, "VMUNIT-SAVE 2\nstate: running\nxml-size: ", 39), 0);
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
                "VMUNIT-SAVE 2\nstate: running\n\n",              /* no size */
                "VMUNIT-SAVE 2\nxml-size: 10\n\n",                /* no state */
                "VMUNIT-SAVE 2\nstate: asleep\nxml-size: 10\n\n", /* bad state */
                "VMUNIT-SAVE 2\nstate: paused\nxml-size: -1\n\n", /* bad size */
                "VMUNIT-SAVE 2\nstate: paused\nxml-size: 0\n\n",  /* empty XML */
                "VMUNIT-SAVE 2\nstate: paused\nxml-size: 99999999999\n\n",
                "VMUNIT-SAVE 2\nstate: paused\nxml-size: 10", /* no end */
                "VMUNIT-SAVE 2\nstate: paused\ncolour: blue\nxml-size: 10\n\n",
        };
        SaveHeader h;

        cr_assert_eq(save_header_parse("QEVM\0\0\0\3", 8, &h), -EBADMSG);
        cr_assert_eq(save_header_parse("", 0, &h), -EBADMSG);
        cr_assert_eq(save_header_parse("VMUNIT-SAVE 1\n", 14, &h), -EPROTONOSUPPORT);
        cr_assert_eq(save_header_parse("VMUNIT-SAVE 3\n", 14, &h), -EPROTONOSUPPORT);
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

static const uint8_t KEY[SAVE_KEY_SIZE] = "0123456789abcdef0123456789abcde";

/* A complete file as the supervisor writes it: header, XML, stream, MAC. */
static int saved_file(const uint8_t *key, const char *stream, size_t stream_len) {
        char path[] = "/tmp/test-save-file.XXXXXX", *buf = NULL, trailer[SAVE_FILE_TRAILER_SIZE];
        int fd = mkstemp(path);
        size_t len;
        SaveMac m;

        cr_assert_geq(fd, 0);
        unlink(path);
        cr_assert_eq(save_header_format(XML, true, &buf, &len), 0);
        save_mac_init(&m, key);
        save_mac_update(&m, buf, len);
        save_mac_update(&m, stream, stream_len);
        save_mac_trailer(&m, trailer);
        cr_assert_eq(write(fd, buf, len), (ssize_t) len);
        cr_assert_eq(write(fd, stream, stream_len), (ssize_t) stream_len);
        cr_assert_eq(write(fd, trailer, sizeof(trailer)), (ssize_t) sizeof(trailer));
        free(buf);
        return fd;
}

static void flip_byte(int fd, off_t at) {
        char c;

        cr_assert_eq(pread(fd, &c, 1, at), 1);
        c ^= 0x20;
        cr_assert_eq(pwrite(fd, &c, 1, at), 1);
}

Test(save_file, verify_good_file) {
        int fd = saved_file(KEY, "QEVMstream", 10);
        SaveVerified v = {};
        char *err = NULL, rest[10];

        cr_assert_eq(save_file_verify(fd, KEY, NULL, NULL, &v, &err), 0, "%s", err ?: "");
        cr_assert_str_eq(v.xml, XML);
        cr_assert(v.header.running);
        cr_assert_eq(v.stream_size, 10);
        cr_assert_eq(pread(fd, rest, 10, (off_t) v.stream_offset), 10);
        cr_assert_eq(memcmp(rest, "QEVMstream", 10), 0);
        save_verified_done(&v);
        close(fd);
}

/* Every byte counts: the XML, the stream, the trailer; and the key. */
Test(save_file, verify_refuses_tampering) {
        static const uint8_t other_key[SAVE_KEY_SIZE] = "another key, another host......";
        int fd = saved_file(KEY, "QEVMstream", 10);
        SaveVerified v = {};
        char *err = NULL;
        struct stat st;

        cr_assert_eq(save_file_verify(fd, other_key, NULL, NULL, &v, &err), -EKEYREJECTED);
        cr_assert(strstr(err, "authentication failed"), "%s", err);
        cr_assert_eq(fstat(fd, &st), 0);
        for (off_t at = 40; at < st.st_size; at += 37) {
                flip_byte(fd, at);
                cr_assert_lt(save_file_verify(fd, KEY, NULL, NULL, &v, &err), 0, "byte %lld",
                             (long long) at);
                flip_byte(fd, at);
        }
        cr_assert_eq(save_file_verify(fd, KEY, NULL, NULL, &v, &err), 0);
        save_verified_done(&v);
        /* Cut short: the trailer is gone. */
        cr_assert_eq(ftruncate(fd, st.st_size - 1), 0);
        cr_assert_lt(save_file_verify(fd, KEY, NULL, NULL, &v, &err), 0);
        free(err);
        close(fd);
}

Test(save_file, verify_refuses_format_1) {
        char path[] = "/tmp/test-save-file.XXXXXX", *err = NULL;
        const char old[] = "VMUNIT-SAVE 1\nstate: running\nxml-size: 5\n\n<a/>\nQEVM";
        int fd = mkstemp(path);
        SaveVerified v = {};

        unlink(path);
        cr_assert_eq(write(fd, old, sizeof(old) - 1), (ssize_t) sizeof(old) - 1);
        cr_assert_eq(save_file_verify(fd, KEY, NULL, NULL, &v, &err), -EPROTONOSUPPORT);
        cr_assert(strstr(err, "unsupported version"), "%s", err);
        free(err);
        close(fd);
}

static void count_progress(uint64_t done, uint64_t total, void *userdata) {
        (*(unsigned *) userdata)++;
        cr_assert_leq(done, total);
}

/* A large file reports progress as it is read (EXTEND_TIMEOUT_USEC). */
Test(save_file, verify_reports_progress) {
        size_t n = 200U * 1024U * 1024U;
        char *stream = calloc(1, n);
        unsigned calls = 0;
        SaveVerified v = {};
        int fd;

        cr_assert_not_null(stream);
        fd = saved_file(KEY, stream, n);
        free(stream);
        cr_assert_eq(save_file_verify(fd, KEY, count_progress, &calls, &v, NULL), 0);
        cr_assert_geq(calls, 3);
        save_verified_done(&v);
        close(fd);
}

Test(save_file, key_created_once_then_read) {
        char dir[] = "/tmp/test-save-key.XXXXXX", *err = NULL, path[64];
        uint8_t a[SAVE_KEY_SIZE], b[SAVE_KEY_SIZE];
        struct stat st;
        int dfd;

        cr_assert_not_null(mkdtemp(dir));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_eq(save_key_load(dfd, a, &err), 0, "%s", err ?: "");
        cr_assert_eq(save_key_load(dfd, b, &err), 0);
        cr_assert_eq(memcmp(a, b, sizeof(a)), 0);
        snprintf(path, sizeof(path), "%s/%s", dir, SAVE_KEY_NAME);
        cr_assert_eq(stat(path, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0600);
        cr_assert_eq(st.st_size, SAVE_KEY_SIZE);
        /* A key others could read authenticates nothing. */
        cr_assert_eq(chmod(path, 0644), 0);
        cr_assert_eq(save_key_load(dfd, b, &err), -EPERM);
        cr_assert_eq(chmod(path, 0600), 0);
        cr_assert_eq(truncate(path, 16), 0);
        cr_assert_eq(save_key_load(dfd, b, &err), -EBADMSG);
        cr_assert_eq(unlink(path), 0);
        /* A symlink in its place is not followed. */
        cr_assert_eq(symlink("/etc/passwd", path), 0);
        cr_assert_lt(save_key_load(dfd, b, &err), 0);
        cr_assert_eq(unlink(path), 0);
        cr_assert_eq(rmdir(dir), 0);
        free(err);
        close(dfd);
}

static Domain *domain_from(const char *xml) {
        Domain *d = NULL;
        char *err = NULL;

        cr_assert_eq(domain_parse_buffer(xml, strlen(xml), "test", &d, &err), 0, "%s", err ?: "");
        return d;
}

#define DOMAIN_HEAD "<domain type='qemu'><name>demo</name><uuid>5a7e0000-1111-4222-8333-944445555666</uuid>"
#define DOMAIN_OS "<os><type arch='x86_64' machine='pc'>hvm</type></os>"

/* What decides whether a migration stream loads must match; the first
 * difference is named. */
Test(save_file, domains_compatible) {
        static const struct {
                const char *saved, *want;
        } cases[] = {
                { DOMAIN_HEAD "<memory unit='MiB'>64</memory><vcpu>1</vcpu>" DOMAIN_OS "</domain>",
                  "-m size=65536k" },
                { DOMAIN_HEAD "<memory unit='MiB'>32</memory><vcpu>2</vcpu>" DOMAIN_OS "</domain>",
                  "-smp 2" },
                { DOMAIN_HEAD "<memory unit='MiB'>32</memory><vcpu>1</vcpu>"
                              "<os><type arch='x86_64' machine='q35'>hvm</type></os></domain>",
                  "-machine q35" },
                { DOMAIN_HEAD "<memory unit='MiB'>32</memory><vcpu>1</vcpu>" DOMAIN_OS
                              "<devices><disk type='file' device='disk'><source file='/x.img'/>"
                              "<target dev='vdb' bus='virtio'/></disk></devices></domain>",
                  "-device virtio-blk-pci" },
                { "<domain type='qemu'><name>demo</name><uuid>5a7e0000-1111-4222-8333-000000000000</uuid>"
                  "<memory unit='MiB'>32</memory><vcpu>1</vcpu>" DOMAIN_OS "</domain>",
                  "UUID" },
        };
        Domain *defined = domain_from(DOMAIN_HEAD "<memory unit='MiB'>32</memory><vcpu>1</vcpu>" DOMAIN_OS
                                                  "</domain>");
        char *diff = NULL;

        /* The same machine, with a title that changes nothing. */
        Domain *same = domain_from(DOMAIN_HEAD
                                   "<title>t</title><memory unit='MiB'>32</memory><vcpu>1</vcpu>" DOMAIN_OS
                                   "</domain>");
        cr_assert_eq(save_domains_compatible(defined, same, &diff), 0, "%s", diff ?: "");
        domain_free(same);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Domain *saved = domain_from(cases[i].saved);

                cr_assert_eq(save_domains_compatible(defined, saved, &diff), -EINVAL, "case %zu", i);
                cr_assert(strstr(diff, cases[i].want), "case %zu: %s", i, diff);
                domain_free(saved);
        }
        free(diff);
        domain_free(defined);
}
