/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The declarative element tables: one description read, written and
 * freed by the same walk, on a synthetic element with every kind of
 * value and child. */
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <stddef.h>
#include <stdio.h>

#include "xml-schema.h"

typedef enum Color { COLOR_NONE, COLOR_RED, COLOR_BLUE } Color;
XML_ENUM_DEFINE_STATIC(colors, { "red", COLOR_RED }, { "blue", COLOR_BLUE });

typedef struct Leaf {
        char *text;
        XmlNum slot;
} Leaf;

typedef struct Widget {
        char *name;
        char *path;
        Color color;
        unsigned count;
        XmlNum slot;
        uint64_t size_kib;
        bool flag;
        Leaf inline_leaf;
        Leaf *optional_leaf;
        Leaf *leaves;
        size_t n_leaves;
} Widget;

static const XmlValue leaf_values[] = {
        { "slot", XML_T_NUM, offsetof(Leaf, slot), XML_HEX, NULL, 0, 31, 2 },
        { NULL, XML_T_STRING, offsetof(Leaf, text), 0, NULL, 0, 0, 0 },
};
static XML_ELEMENT(leaf_element, "leaf", Leaf, leaf_values, (const XmlSub[]){}, NULL);

static const XmlValue size_values[] = {
        { NULL, XML_T_KIB, 0, 0, NULL, 0, 0, 0 },
};
static XML_ELEMENT(size_element, "size", uint64_t, size_values, (const XmlSub[]){}, NULL);

static XmlElement inline_leaf_element, optional_leaf_element;

static const XmlValue widget_values[] = {
        { "name", XML_T_STRING, offsetof(Widget, name), XML_REQUIRED, NULL, 0, 0, 0 },
        { "file", XML_T_PATH, offsetof(Widget, path), 0, NULL, 0, 0, 0 },
        { "color", XML_T_ENUM, offsetof(Widget, color), 0, &colors, 0, 0, 0 },
        { "count", XML_T_UINT, offsetof(Widget, count), 0, NULL, 1, 10, 0 },
        { "slot", XML_T_NUM, offsetof(Widget, slot), XML_HEX, NULL, 0, 0, 2 },
};

static const XmlSub widget_subs[] = {
        XML_INLINE(size_element, Widget, size_kib),
        { .name = "flag", .kind = XML_SUB_MARKER, .offset = offsetof(Widget, flag) },
        XML_INLINE(inline_leaf_element, Widget, inline_leaf),
        XML_OPTIONAL(optional_leaf_element, Widget, optional_leaf),
        XML_ARRAY(leaf_element, Widget, leaves, n_leaves),
        XML_REFUSED("mirror", "mirrors are not supported here"),
};

static int widget_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const Widget *w = obj;

        if (w->color == COLOR_BLUE && w->count > 5)
                return xml_fail(c, n, "blue widgets count to 5");
        return 0;
}

static XML_ELEMENT(widget_element, "widget", Widget, widget_values, widget_subs, widget_check);

static void setup(void) {
        inline_leaf_element = leaf_element;
        inline_leaf_element.name = "inline";
        optional_leaf_element = leaf_element;
        optional_leaf_element.name = "optional";
}

/* Parse text as a widget; returns r, *ret_error the messages. */
static int parse(const char *text, Widget *w, char **ret_error) {
        xmlDoc *doc = xmlReadMemory(text, (int) strlen(text), "w.xml", NULL, XML_PARSE_NONET);
        XmlCtx c = { .filename = "w.xml" };
        int r;

        cr_assert_not_null(doc);
        *w = (Widget){};
        r = xml_schema_parse(&c, xmlDocGetRootElement(doc), &widget_element, w, NULL);
        if (r >= 0 && c.n_errors > 0)
                r = -EINVAL;
        xmlFreeDoc(doc);
        *ret_error = c.error;
        return r;
}

static char *format(const Widget *w) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        cr_assert_not_null(f);
        xml_schema_format(f, 0, &widget_element, w);
        cr_assert_eq(fclose(f), 0);
        return buf;
}

static const char full[] = "<widget name='w&amp;1' file='/a/b' color='blue' count='3' slot='0x1f'>\n"
                           "  <size unit='KiB'>2048</size>\n"
                           "  <flag/>\n"
                           "  <inline slot='0x02'>in</inline>\n"
                           "  <optional>opt</optional>\n"
                           "  <leaf slot='7'>one</leaf>\n"
                           "  <leaf>two</leaf>\n"
                           "</widget>\n";

Test(xml_schema, parse_format_identity, .init = setup) {
        _cleanup_free_ char *err = NULL, *text = NULL;
        Widget w;

        cr_assert_eq(parse(full, &w, &err), 0, "%s", err);
        cr_assert_str_eq(w.name, "w&1");
        cr_assert_eq(w.color, COLOR_BLUE);
        cr_assert_eq(w.count, 3);
        cr_assert(w.slot.set && w.slot.hex && w.slot.value == 31);
        cr_assert_eq(w.size_kib, 2048);
        cr_assert(w.flag);
        cr_assert_str_eq(w.inline_leaf.text, "in");
        cr_assert_str_eq(w.optional_leaf->text, "opt");
        cr_assert_eq(w.n_leaves, 2);
        cr_assert(w.leaves[0].slot.set && !w.leaves[0].slot.hex);
        text = format(&w);
        cr_assert_str_eq(text, full);
        xml_schema_free(&widget_element, &w);
}

/* What is not given is not written; units are read and written as KiB. */
Test(xml_schema, absent_parts_left_out, .init = setup) {
        _cleanup_free_ char *err = NULL, *text = NULL;
        Widget w;

        cr_assert_eq(parse("<widget name='x'><size unit='MiB'>1</size></widget>", &w, &err), 0, "%s", err);
        text = format(&w);
        cr_assert_str_eq(text, "<widget name='x'>\n  <size unit='KiB'>1024</size>\n</widget>\n");
        xml_schema_free(&widget_element, &w);
}

/* Every unknown attribute and element in one pass; refused elements say
 * why; nothing is left allocated (ASan/LSan in CI). */
Test(xml_schema, every_problem_reported, .init = setup) {
        _cleanup_free_ char *err = NULL;
        Widget w;

        cr_assert_eq(parse("<widget name='x' shape='round'><mirror/><gadget/><leaf odd='1'>t</leaf><mirror/>"
                           "</widget>",
                           &w, &err),
                     -EINVAL);
        cr_assert_str_eq(err,
                         "w.xml:1: /widget: unsupported attribute 'shape'\n"
                         "w.xml:1: /widget/mirror[1]: element 'mirror' is not supported: mirrors are not "
                         "supported here\n"
                         "w.xml:1: /widget/gadget: unsupported element 'gadget'\n"
                         "w.xml:1: /widget/leaf: unsupported attribute 'odd'\n"
                         "w.xml:1: /widget/mirror[2]: element 'mirror' is not supported: mirrors are not "
                         "supported here");
        xml_schema_free(&widget_element, &w);
}

static const struct {
        const char *xml, *message;
} bad_values[] = {
        { "<widget/>", "/widget: missing attribute 'name'" },
        { "<widget name='x' file='rel'/>", "/widget: file path 'rel' is not absolute" },
        { "<widget name='x' color='green'/>",
          "/widget: unsupported value 'green' for attribute 'color' (expected one of: red, blue)" },
        { "<widget name='x' count='11'/>", "/widget: invalid value '11' for attribute 'count'" },
        { "<widget name='x' count='0'/>", "/widget: invalid value '0' for attribute 'count'" },
        { "<widget name='x' slot='0x'/>", "/widget: invalid value '0x' for attribute 'slot'" },
        { "<widget name='x'><leaf slot='32'/></widget>",
          "/widget/leaf: invalid value '32' for attribute 'slot'" },
        { "<widget name='x'><flag/><flag/></widget>", "/widget/flag[2]: duplicate element 'flag'" },
        { "<widget name='x'><flag a='1'/></widget>", "/widget/flag: unsupported attribute 'a'" },
        { "<widget name='x' color='blue' count='6'/>", "/widget: blue widgets count to 5" },
        { "<widget name='x'>text</widget>", "/widget: unexpected text in element 'widget'" },
};

Test(xml_schema, bad_values, .init = setup) {
        for (size_t i = 0; i < ELEMENTSOF(bad_values); i++) {
                _cleanup_free_ char *err = NULL, *want = NULL;
                Widget w;

                cr_assert_eq(parse(bad_values[i].xml, &w, &err), -EINVAL, "accepted: %s", bad_values[i].xml);
                cr_assert_geq(asprintf(&want, "w.xml:1: %s", bad_values[i].message), 0);
                cr_assert_str_eq(err, want, "for %s", bad_values[i].xml);
                xml_schema_free(&widget_element, &w);
        }
}

/* A failing array element is not kept: the array is as before. */
Test(xml_schema, failed_array_element_dropped, .init = setup) {
        _cleanup_free_ char *err = NULL;
        Widget w;

        cr_assert_eq(parse("<widget name='x'><leaf>a</leaf><leaf slot='99'>b</leaf></widget>", &w, &err),
                     -EINVAL);
        cr_assert_eq(w.n_leaves, 1);
        cr_assert_str_eq(w.leaves[0].text, "a");
        xml_schema_free(&widget_element, &w);
}
