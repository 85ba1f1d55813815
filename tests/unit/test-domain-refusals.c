/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every element the tables refuse by name (XML_REFUSED), run once: found
 * by walking the tables from each top-level part, so a refusal added to
 * a table is tested without a line here. Each must say where it is and
 * why: "FILE:LINE: /xpath: element 'NAME' is not supported: REASON". */
#include <criterion/criterion.h>
#include <stdio.h>

#include "domain-xml-internal.h"
#include "domain-xml.h"

#define DEPTH_MAX 4

static unsigned tested;

/* An element's start tag with its required attributes given a value
 * that parses (the first of an enum, the smallest number, a path). */
static void open_tag(FILE *f, const XmlElement *e) {
        fprintf(f, "<%s", e->name);
        for (size_t i = 0; i < e->n_values; i++) {
                const XmlValue *v = &e->values[i];

                if (!v->name || !(v->flags & XML_REQUIRED))
                        continue;
                if (v->e)
                        fprintf(f, " %s='%s'", v->name, v->e->entries[0].name);
                else if (v->type == XML_T_UINT || v->type == XML_T_NUM)
                        fprintf(f, " %s='%u'", v->name, (unsigned) (v->min > 0 ? v->min : 1));
                else
                        fprintf(f, " %s='/x'", v->name);
        }
        fputc('>', f);
}

/* Parse a domain whose part at path (elements path[0..depth)) holds only
 * the refused element; its message must be among the errors. */
static void run_refusal(const XmlElement *const *path, size_t depth, const XmlSub *s) {
        _cleanup_free_ char *xml = NULL, *want = NULL, *err = NULL, *xpath = NULL;
        char *open = NULL, *close = NULL, *p = NULL;
        size_t open_len = 0, close_len = 0, p_len = 0;
        FILE *fo = open_memstream(&open, &open_len), *fc = open_memstream(&close, &close_len),
             *fp = open_memstream(&p, &p_len);
        Domain *d = NULL;

        cr_assert(fo && fc && fp);
        for (size_t i = 0; i < depth; i++) {
                open_tag(fo, path[i]);
                fprintf(fp, "/%s", path[i]->name);
        }
        for (size_t i = depth; i > 0; i--)
                fprintf(fc, "</%s>", path[i - 1]->name);
        cr_assert_eq(fclose(fo), 0);
        cr_assert_eq(fclose(fc), 0);
        cr_assert_eq(fclose(fp), 0);
        xpath = p;
        cr_assert_geq(
                asprintf(&xml,
                         "<domain type='qemu'><name>n</name><memory>1</memory><os><type>hvm</type></os>"
                         "%s<%s/>%s</domain>",
                         open, s->name, close),
                0);
        cr_assert_geq(asprintf(&want, "mem.xml:1: /domain%s/%s: element '%s' is not supported: %s", xpath,
                               s->name, s->name, s->reason),
                      0);
        cr_assert_eq(domain_parse_buffer(xml, strlen(xml), "mem.xml", &d, &err), -EINVAL, "accepted: %s",
                     xml);
        cr_assert_null(d);
        cr_assert(strstr(err, want), "for %s:\nwant %s\ngot  %s", xml, want, err);
        cr_assert(s->reason && *s->reason, "refusal of '%s' without a reason", s->name);
        free(open);
        free(close);
        tested++;
}

static void walk(const XmlElement *e, const XmlElement **path, size_t depth) {
        if (depth >= DEPTH_MAX)
                return;
        path[depth] = e;
        for (size_t i = 0; i < e->n_subs; i++) {
                const XmlSub *s = &e->subs[i];

                if (s->kind == XML_SUB_REFUSED)
                        run_refusal(path, depth + 1, s);
                else if (s->elem && s->kind != XML_SUB_CUSTOM)
                        walk(s->elem, path, depth + 1);
        }
}

Test(refusals, every_table_refusal_once) {
        const XmlElement *const parts[] = {
                &domain_xml_devices,  &domain_xml_features, &domain_xml_clock,
                &domain_xml_cpu,      &domain_xml_cputune,  &domain_xml_numatune,
                &domain_xml_resource, &domain_xml_sysinfo,  &domain_xml_memory_backing,
        };
        const XmlElement *path[DEPTH_MAX];

        for (size_t i = 0; i < ELEMENTSOF(parts); i++)
                walk(parts[i], path, 0);
        cr_assert_geq(tested, 40, "only %u refusals found in the tables", tested);
        cr_log_info("%u refusals run", tested);
}
