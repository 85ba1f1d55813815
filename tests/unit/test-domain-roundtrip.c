/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>

#include "domain-xml.h"

/*
 * format(parse(format(parse(x)))) == format(parse(x)) for every example
 * domain (the .xml files in tests/data and tests/data/parse), with spot checks
 * that the second parse gives the same model, and one golden output.
 */

static char *data_dir(const char *sub) {
        const char *dir = getenv("VMUNIT_TEST_DATA");
        char *p;

        cr_assert_not_null(dir, "VMUNIT_TEST_DATA is not set");
        cr_assert_geq(asprintf(&p, "%s%s%s", dir, sub ? "/" : "", sub ?: ""), 0);
        return p;
}

static void assert_same_model(const char *path, const Domain *a, const Domain *b) {
        cr_assert_str_eq(a->name, b->name, "%s", path);
        cr_assert_eq(memcmp(a->uuid, b->uuid, 16), 0, "%s", path);
        cr_assert_eq(a->virt_type, b->virt_type, "%s", path);
        cr_assert_eq(a->memory_kib, b->memory_kib, "%s", path);
        cr_assert_eq(a->current_memory_kib, b->current_memory_kib, "%s", path);
        cr_assert_eq(a->vcpus, b->vcpus, "%s", path);
        cr_assert_eq(a->n_disks, b->n_disks, "%s", path);
        for (size_t i = 0; i < a->n_disks; i++) {
                cr_assert(streq_ptr(a->disks[i].source, b->disks[i].source), "%s", path);
                cr_assert_str_eq(a->disks[i].target_dev, b->disks[i].target_dev, "%s", path);
                cr_assert_eq(a->disks[i].bus, b->disks[i].bus, "%s", path);
        }
        cr_assert_eq(a->n_interfaces, b->n_interfaces, "%s", path);
        for (size_t i = 0; i < a->n_interfaces; i++)
                cr_assert_eq(memcmp(a->interfaces[i].mac, b->interfaces[i].mac, 6), 0, "%s", path);
        cr_assert_eq(a->n_chars, b->n_chars, "%s", path);
        cr_assert_eq(a->n_controllers, b->n_controllers, "%s", path);
        cr_assert_eq(a->n_qemu_args, b->n_qemu_args, "%s", path);
        cr_assert(streq_ptr(a->metadata_xml, b->metadata_xml), "%s", path);
        cr_assert(streq_ptr(a->description, b->description), "%s", path);
        cr_assert_eq(a->os.n_boot, b->os.n_boot, "%s", path);
        cr_assert_eq(a->on_crash, b->on_crash, "%s", path);
}

static void roundtrip_one(const char *path) {
        _cleanup_domain_ Domain *first = NULL, *second = NULL;
        _cleanup_free_ char *err = NULL, *err2 = NULL, *text1 = NULL, *text2 = NULL;
        int r;

        r = domain_parse_file(path, &first, &err);
        cr_assert_eq(r, 0, "%s: %s", path, err);
        cr_assert_eq(domain_format_xml(first, &text1), 0);
        r = domain_parse_buffer(text1, strlen(text1), path, &second, &err2);
        cr_assert_eq(r, 0, "%s: re-parse failed: %s\n%s", path, err2, text1);
        cr_assert_eq(domain_format_xml(second, &text2), 0);
        cr_assert_str_eq(text2, text1, "%s: format is not stable", path);
        assert_same_model(path, first, second);
}

static bool is_xml(const char *name) {
        size_t len = strlen(name);
        return len > 4 && streq(name + len - 4, ".xml");
}

/* Returns how many files were checked. */
static size_t roundtrip_dir(const char *sub) {
        _cleanup_free_ char *dir = data_dir(sub);
        struct dirent *de;
        size_t n = 0;
        DIR *d;

        d = opendir(dir);
        if (!d)
                return 0; /* the directory may not exist yet */
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (!is_xml(de->d_name))
                        continue;
                cr_assert_geq(asprintf(&path, "%s/%s", dir, de->d_name), 0);
                roundtrip_one(path);
                n++;
        }
        closedir(d);
        return n;
}

Test(roundtrip, builder_examples) {
        roundtrip_dir(NULL);
}

Test(roundtrip, parser_examples) {
        cr_assert_geq(roundtrip_dir("parse"), 2);
}

Test(roundtrip, golden_minimal) {
        static const char want[] = "<domain type='qemu'>\n"
                                   "  <name>minimal</name>\n"
                                   "  <uuid>00000000-0000-4000-8000-000000000001</uuid>\n"
                                   "  <memory unit='KiB'>65536</memory>\n"
                                   "  <vcpu placement='static'>1</vcpu>\n"
                                   "  <os>\n"
                                   "    <type>hvm</type>\n"
                                   "  </os>\n"
                                   "</domain>\n";
        _cleanup_free_ char *path = data_dir("parse/minimal.xml"), *err = NULL, *text = NULL;
        _cleanup_domain_ Domain *d = NULL;

        cr_assert_eq(domain_parse_file(path, &d, &err), 0, "%s", err);
        cr_assert_not(d->uuid_given);
        cr_assert_eq(domain_uuid_parse("00000000-0000-4000-8000-000000000001", d->uuid), 0);
        cr_assert_eq(domain_format_xml(d, &text), 0);
        cr_assert_str_eq(text, want);
}

Test(roundtrip, escaping) {
        static const char src[] =
                "<domain type='qemu'>\n"
                "  <name>a&amp;b &lt;'\"&gt;</name>\n"
                "  <memory>1</memory>\n"
                "  <os><type>hvm</type><cmdline>x=\"1\" y='2' &amp;&#13;</cmdline></os>\n"
                "  <devices><disk><source file=\"/a'b&quot;&#10;c\"/><target dev='vda'/></disk>"
                "</devices>\n"
                "</domain>\n";
        _cleanup_domain_ Domain *a = NULL, *b = NULL;
        _cleanup_free_ char *err = NULL, *text = NULL;

        cr_assert_eq(domain_parse_buffer(src, strlen(src), "esc.xml", &a, &err), 0, "%s", err);
        cr_assert_str_eq(a->name, "a&b <'\">");
        cr_assert_str_eq(a->os.cmdline, "x=\"1\" y='2' &\r");
        cr_assert_str_eq(a->disks[0].source, "/a'b\"\nc");
        cr_assert_eq(domain_format_xml(a, &text), 0);
        cr_assert_eq(domain_parse_buffer(text, strlen(text), "esc.xml", &b, &err), 0, "%s\n%s", err, text);
        cr_assert_str_eq(b->name, a->name);
        cr_assert_str_eq(b->os.cmdline, a->os.cmdline);
        cr_assert_str_eq(b->disks[0].source, a->disks[0].source);
}
