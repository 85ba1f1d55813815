/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "domain-xml.h"
#include "macro.h"
#include "render.h"

/*
 * vmunit-generator's renderer: golden files (tests/data/generator/NAME.xml
 * -> NAME.conf), the escaping rules for each kind of unit setting, the
 * shares and cpuset conversions, and the values it must refuse.
 */

static char *read_text(const char *path) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "re");
        FILE *m;
        int c;

        cr_assert_not_null(f, "cannot open %s", path);
        m = open_memstream(&buf, &len);
        cr_assert_not_null(m);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return TAKE_PTR(buf);
}

static void check_golden(const char *dir, const char *xml_name) {
        _cleanup_free_ char *xml = NULL, *conf = NULL, *want = NULL, *got = NULL, *err = NULL, *shown = NULL;
        _cleanup_domain_ Domain *d = NULL;
        size_t n = strlen(xml_name) - 4;

        cr_assert_geq(asprintf(&xml, "%s/%s", dir, xml_name), 0);
        cr_assert_geq(asprintf(&conf, "%s/%.*s.conf", dir, (int) n, xml_name), 0);
        /* The header names the system path, so goldens do not depend on
         * where the source tree is. */
        cr_assert_geq(asprintf(&shown, "/etc/vmunit/domains/%s", xml_name), 0);

        cr_assert_eq(domain_parse_file(xml, &d, &err), 0, "%s", err);
        cr_assert_eq(generator_render_dropin(d, shown, &got), 0, "%s", xml_name);
        want = read_text(conf);
        cr_assert_str_eq(got, want, "%s:\n--- got ---\n%s--- want ---\n%s", xml_name, got, want);
}

Test(generator, golden_files) {
        _cleanup_free_ char *dir = NULL;
        const char *data = getenv("VMUNIT_TEST_DATA");
        struct dirent *de;
        unsigned n = 0;
        DIR *dh;

        cr_assert_not_null(data, "VMUNIT_TEST_DATA is not set");
        cr_assert_geq(asprintf(&dir, "%s/generator", data), 0);
        dh = opendir(dir);
        cr_assert_not_null(dh);
        while ((de = readdir(dh))) {
                size_t len = strlen(de->d_name);

                if (len > 4 && streq(de->d_name + len - 4, ".xml")) {
                        check_golden(dir, de->d_name);
                        n++;
                }
        }
        closedir(dh);
        cr_assert_geq(n, 3u, "only %u golden files found", n);
}

static Domain *parse(const char *xml) {
        _cleanup_free_ char *err = NULL;
        Domain *d = NULL;

        cr_assert_eq(domain_parse_buffer(xml, strlen(xml), "t.xml", &d, &err), 0, "%s", err);
        return d;
}

#define DOMAIN_HEAD "<domain type='qemu'><name>%s</name><memory>65536</memory><os><type>hvm</type>"

static char *render_or_fail(const char *xml, GeneratorError *e) {
        _cleanup_domain_ Domain *d = parse(xml);
        char *text = NULL;
        int r;

        r = generator_render(d, "/etc/vmunit/domains/t.xml", &text, e);
        cr_assert(r == 0 || r == -EINVAL, "r=%d", r);
        return text;
}

/* Render and expect a refusal naming what. */
static void assert_refused(const char *xml, const char *what) {
        _cleanup_domain_ Domain *d = parse(xml);
        GeneratorError e = {};
        char *text = NULL;

        cr_assert_eq(generator_render(d, "/etc/vmunit/domains/t.xml", &text, &e), -EINVAL, "%s", xml);
        cr_assert_null(text);
        cr_assert_str_eq(e.what, what);
        cr_assert_not_null(e.why);
}

Test(generator, refuses_control_characters) {
        assert_refused(DOMAIN_HEAD "</os><title>tab&#9;here</title></domain>", "title");
        assert_refused(DOMAIN_HEAD "<kernel>/boot/a&#9;b</kernel></os></domain>", "path");
        assert_refused(DOMAIN_HEAD "</os><devices><disk type='file'><source file='/a&#13;b'/>"
                                   "<target dev='vda'/></disk></devices></domain>",
                       "path");
}

Test(generator, refuses_trailing_backslash) {
        char xml[512];

        assert_refused(DOMAIN_HEAD "</os><title>ends in \\</title></domain>", "title");
        /* Without a title the name goes into Description=. */
        snprintf(xml, sizeof(xml), DOMAIN_HEAD "</os></domain>", "odd\\");
        assert_refused(xml, "name");
}

Test(generator, accepts_even_backslashes_and_blank_title) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        char xml[512];

        a = render_or_fail(DOMAIN_HEAD "</os><title>two \\\\</title></domain>", NULL);
        cr_assert_not_null(a);
        cr_assert(strstr(a, "\nDescription=two \\\\\n"), "%s", a);

        snprintf(xml, sizeof(xml), DOMAIN_HEAD "</os><title>   </title></domain>", "blank");
        b = render_or_fail(xml, NULL);
        cr_assert_not_null(b);
        cr_assert(strstr(b, "\nDescription=Virtual machine blank\n"), "%s", b);
}

Test(generator, refuses_block_devices_outside_dev) {
        static const char *const bad[] = { "/srv/disk", "/dev/",      "/dev/../etc/shadow",
                                           "/dev//sda", "/dev/./sda", "/devices/sda" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char xml[512];

                snprintf(xml, sizeof(xml),
                         DOMAIN_HEAD "</os><devices><disk type='block'><source dev='%s'/>"
                                     "<target dev='vda'/></disk></devices></domain>",
                         "b", bad[i]);
                assert_refused(xml, "block device");
        }
}

Test(generator, no_service_section_without_settings) {
        _cleanup_free_ char *t = NULL;
        char xml[512];

        snprintf(xml, sizeof(xml), DOMAIN_HEAD "</os></domain>", "plain");
        t = render_or_fail(xml, NULL);
        cr_assert_null(strstr(t, "[Service]"));
}

/* <resource><partition> is the slice the VM's unit runs in. */
Test(generator, slice_from_partition) {
        _cleanup_free_ char *t = NULL, *u = NULL;
        char xml[512];

        snprintf(xml, sizeof(xml),
                 DOMAIN_HEAD "</os><resource><partition>/machine</partition></resource></domain>", "s");
        t = render_or_fail(xml, NULL);
        cr_assert(strstr(t, "\n[Service]\nSlice=machine.slice\n"), "%s", t);
        snprintf(xml, sizeof(xml),
                 DOMAIN_HEAD "</os><resource><partition>/machine/tenant-a</partition></resource></domain>",
                 "s");
        u = render_or_fail(xml, NULL);
        cr_assert(strstr(u, "Slice=machine-tenant\\x2da.slice\n"), "%s", u);
}

/* <blkiotune>: IOWeight= and the per-device settings; a limit of 0 is
 * libvirt's "no limit" and writes nothing. */
Test(generator, blkiotune) {
        _cleanup_free_ char *t = NULL;
        char xml[1024];

        snprintf(xml, sizeof(xml),
                 DOMAIN_HEAD "</os><blkiotune><weight>800</weight>"
                             "<device><path>/dev/sda</path><weight>500</weight>"
                             "<read_iops_sec>2000</read_iops_sec><write_iops_sec>0</write_iops_sec>"
                             "<read_bytes_sec>10485760</read_bytes_sec>"
                             "<write_bytes_sec>5242880</write_bytes_sec></device>"
                             "<device><path>/dev/disk/by-id/a b%%</path><weight>100</weight></device>"
                             "</blkiotune></domain>",
                 "b");
        t = render_or_fail(xml, NULL);
        cr_assert(strstr(t, "IOWeight=800\n"
                            "IODeviceWeight=/dev/sda 500\n"
                            "IOReadIOPSMax=/dev/sda 2000\n"
                            "IOReadBandwidthMax=/dev/sda 10485760\n"
                            "IOWriteBandwidthMax=/dev/sda 5242880\n"
                            "IODeviceWeight=\"/dev/disk/by-id/a b%%\" 100\n"),
                  "%s", t);
        cr_assert_null(strstr(t, "IOWriteIOPSMax"));
        assert_refused(DOMAIN_HEAD "</os><blkiotune><device><path>/etc/passwd</path><weight>100</weight>"
                                   "</device></blkiotune></domain>",
                       "blkiotune device");
}

static void check_quote(const char *in, const char *want) {
        _cleanup_free_ char *got = NULL;

        cr_assert_eq(generator_quote_path(in, &got), 0, "%s", in);
        cr_assert_str_eq(got, want);
}

Test(generator, quote_path) {
        check_quote("/srv/a.img", "/srv/a.img");
        check_quote("/srv/100%.img", "/srv/100%%.img");
        check_quote("/srv/a b", "\"/srv/a b\"");
        check_quote("/srv/it's", "\"/srv/it's\"");
        check_quote("/srv/\"q\"", "\"/srv/\\\"q\\\"\"");
        check_quote("/srv/back\\slash\\", "\"/srv/back\\\\slash\\\\\"");
        check_quote("/srv/caf\xc3\xa9", "/srv/caf\xc3\xa9");
}

Test(generator, quote_path_refuses) {
        static const char *const bad[] = {
                "/a\nb", "/a\tb", "/a\x7f", "/a\xff", "/a\xc3", "/a\xc0\xaf", "/a\xed\xa0\x80",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *s = NULL;

                cr_assert_eq(generator_quote_path(bad[i], &s), -EINVAL, "#%zu", i);
                cr_assert_null(s);
        }
}

Test(generator, escape_text) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        char *s = NULL;

        cr_assert_eq(generator_escape_text("  50% off  ", &a), 0);
        cr_assert_str_eq(a, "50%% off");
        cr_assert_eq(generator_escape_text("a \\ b", &b), 0);
        cr_assert_str_eq(b, "a \\ b");
        cr_assert_eq(generator_escape_text("x\\\\", &c), 0);
        cr_assert_str_eq(c, "x\\\\");
        cr_assert_eq(generator_escape_text("x\\", &s), -EINVAL);
        cr_assert_eq(generator_escape_text("x\\\\\\ ", &s), -EINVAL);
        cr_assert_eq(generator_escape_text("line\nbreak", &s), -EINVAL);
        cr_assert_null(s);
}

Test(generator, shares_to_weight) {
        cr_assert_eq(generator_shares_to_weight(1), 1u);
        cr_assert_eq(generator_shares_to_weight(2), 1u);
        cr_assert_eq(generator_shares_to_weight(1024), 100u);
        cr_assert_eq(generator_shares_to_weight(2048), 200u);
        cr_assert_eq(generator_shares_to_weight(102400), 10000u);
        cr_assert_eq(generator_shares_to_weight(262144), 10000u);
}

static void check_cpuset(const char *in, const char *want) {
        _cleanup_free_ char *got = NULL;

        cr_assert_eq(generator_cpuset_to_list(in, &got), 0, "%s", in);
        cr_assert_str_eq(got, want, "%s", in);
}

Test(generator, cpuset_to_list) {
        check_cpuset("0", "0");
        check_cpuset("0-3", "0-3");
        check_cpuset("0-3,^2,8", "0-1,3,8");
        check_cpuset("^2,0-3", "0-3"); /* applied left to right, like libvirt */
        check_cpuset("5,4,3,1", "1,3-5");
        check_cpuset("0-7,^0,^7", "1-6");
        check_cpuset("8191", "8191");
}

Test(generator, cpuset_refuses) {
        static const char *const bad[] = { "",    "0-3,^0-3", "^1",   "1,",   "1-",
                                           "3-1", "a",        "8192", "1,,2", "1 2" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *s = NULL;

                cr_assert_eq(generator_cpuset_to_list(bad[i], &s), -EINVAL, "'%s'", bad[i]);
                cr_assert_null(s);
        }
}
