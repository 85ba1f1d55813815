/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "xml-util.h"

XML_ENUM_DEFINE(xml_enum_yes_no, { "yes", 1 /* DOMAIN_TRISTATE_ON */ },
                { "no", 2 /* DOMAIN_TRISTATE_OFF */ });
XML_ENUM_DEFINE(xml_enum_on_off, { "on", 1 /* DOMAIN_TRISTATE_ON */ },
                { "off", 2 /* DOMAIN_TRISTATE_OFF */ });

static void xml_char_freep(xmlChar **p) {
        if (*p)
                xmlFree(*p);
}
#define _cleanup_xml_char_ _cleanup_(xml_char_freep)

static int children_walk(XmlCtx *c, xmlNode *n, const XmlChild *specs, size_t n_specs, void *userdata,
                         bool allow_text, bool keep_going);

static bool same_element(const xmlNode *a, const xmlNode *b) {
        if (a->type != XML_ELEMENT_NODE || b->type != XML_ELEMENT_NODE)
                return false;
        if (!xmlStrEqual(a->name, b->name))
                return false;
        if (!a->ns || !b->ns)
                return a->ns == b->ns;
        return xmlStrEqual(a->ns->href, b->ns->href);
}

/* 1-based position among same-named siblings, 0 when it has none. */
static unsigned sibling_index(const xmlNode *n) {
        unsigned index = 0, total = 0;

        if (!n->parent)
                return 0;
        for (const xmlNode *s = n->parent->children; s; s = s->next) {
                if (!same_element(s, n))
                        continue;
                total++;
                if (s == n)
                        index = total;
        }
        return total > 1 ? index : 0;
}

static void path_write(FILE *f, const xmlNode *n) {
        unsigned index;

        if (n->parent && n->parent->type == XML_ELEMENT_NODE)
                path_write(f, n->parent);
        fputc('/', f);
        if (n->ns && n->ns->prefix)
                fprintf(f, "%s:", (const char *) n->ns->prefix);
        fputs((const char *) n->name, f);
        index = sibling_index(n);
        if (index > 0)
                fprintf(f, "[%u]", index);
}

char *xml_node_path(const xmlNode *n) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        path_write(f, n);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* Errors are kept in document order, one line each; past
 * XML_ERRORS_MAX lines only the count grows (the file needs work, the
 * admin has enough to start). */
_printf_(3, 0) static int error_append(XmlCtx *c, const xmlNode *n, const char *fmt, va_list ap) {
        _cleanup_free_ char *path = NULL, *msg = NULL, *line = NULL, *escaped = NULL;
        char *joined;

        c->n_errors++;
        if (c->n_errors > XML_ERRORS_MAX)
                return 0;
        path = xml_node_path(n);
        if (!path || vasprintf(&msg, fmt, ap) < 0)
                return -ENOMEM;
        if (asprintf(&line, "%s:%ld: %s: %s", c->filename, xmlGetLineNo(n), path, msg) < 0) {
                line = NULL;
                return -ENOMEM;
        }
        escaped = cescape(line, SIZE_MAX);
        if (!escaped)
                return -ENOMEM;
        if (!c->error) {
                c->error = TAKE_PTR(escaped);
                return 0;
        }
        if (asprintf(&joined, "%s\n%s", c->error, escaped) < 0)
                return -ENOMEM;
        free(c->error);
        c->error = joined;
        return 0;
}

int xml_fail(XmlCtx *c, const xmlNode *n, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_append(c, n, fmt, ap);
        va_end(ap);
        return r < 0 ? r : -EINVAL;
}

int xml_fail_soft(XmlCtx *c, const xmlNode *n, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_append(c, n, fmt, ap);
        va_end(ap);
        return r;
}

const char *xml_enum_to_string(const XmlEnum *e, int value) {
        for (size_t i = 0; i < e->n; i++)
                if (e->entries[i].value == value)
                        return e->entries[i].name;
        return NULL;
}

int xml_enum_from_string(const XmlEnum *e, const char *s) {
        for (size_t i = 0; i < e->n; i++)
                if (streq(e->entries[i].name, s))
                        return e->entries[i].value;
        return -EINVAL;
}

/* "a, b, c" for error messages. */
static char *enum_list(const XmlEnum *e) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < e->n; i++)
                fprintf(f, "%s%s", i > 0 ? ", " : "", e->entries[i].name);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static bool name_allowed(const char *name, const char *const *allowed) {
        for (const char *const *a = allowed; a && *a; a++)
                if (streq(*a, name))
                        return true;
        return false;
}

int xml_check_attrs(XmlCtx *c, const xmlNode *n, const char *const *allowed) {
        for (const xmlAttr *a = n->properties; a; a = a->next) {
                int r = 0;

                if (a->ns && a->ns->prefix)
                        r = xml_fail_soft(c, n, "unsupported attribute '%s:%s'",
                                          (const char *) a->ns->prefix, (const char *) a->name);
                else if (!name_allowed((const char *) a->name, allowed))
                        r = xml_fail_soft(c, n, "unsupported attribute '%s'", (const char *) a->name);
                if (r < 0)
                        return r;
        }
        return 0;
}

int xml_attr_string(XmlCtx *c, const xmlNode *n, const char *name, bool required, char **ret) {
        _cleanup_xml_char_ xmlChar *v = NULL;
        char *copy;

        v = xmlGetNoNsProp(n, (const xmlChar *) name);
        if (!v) {
                if (required)
                        return xml_fail(c, n, "missing attribute '%s'", name);
                return 0;
        }
        copy = strdup((const char *) v);
        if (!copy)
                return -ENOMEM;
        free(*ret);
        *ret = copy;
        return 1;
}

int xml_fail_enum(XmlCtx *c, const xmlNode *n, const char *attr, const char *value, const XmlEnum *e) {
        _cleanup_free_ char *list = enum_list(e);

        if (!list)
                return -ENOMEM;
        if (attr)
                return xml_fail(c, n, "unsupported value '%s' for attribute '%s' (expected one of: %s)",
                                value, attr, list);
        return xml_fail(c, n, "unsupported value '%s' (expected one of: %s)", value, list);
}

int xml_attr_enum(XmlCtx *c, const xmlNode *n, const char *name, const XmlEnum *e, bool required, int *ret) {
        _cleanup_free_ char *s = NULL;
        int r, v;

        r = xml_attr_string(c, n, name, required, &s);
        if (r <= 0)
                return r;
        v = xml_enum_from_string(e, s);
        if (v < 0)
                return xml_fail_enum(c, n, name, s, e);
        *ret = v;
        return 1;
}

int xml_parse_uint64(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *ret = v;
        return 0;
}

/* One message shape for every number, in an attribute or in text. */
static int number_check(XmlCtx *c, const xmlNode *n, const char *attr, const char *s, uint64_t min,
                        uint64_t max, uint64_t *ret) {
        const char *where = attr ? " for attribute '" : "", *end = attr ? "'" : "";
        uint64_t v;
        int r;

        r = xml_parse_uint64(s, &v);
        if (r == -EINVAL)
                return xml_fail(c, n, "invalid number '%s'%s%s%s", s, where, attr ?: "", end);
        if (r < 0 || v < min || v > max)
                return xml_fail(c, n, "number '%s'%s%s%s out of range (%" PRIu64 "-%" PRIu64 ")", s, where,
                                attr ?: "", end, min, max);
        *ret = v;
        return 1;
}

int xml_attr_uint(XmlCtx *c, const xmlNode *n, const char *name, uint64_t min, uint64_t max, bool required,
                  uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = xml_attr_string(c, n, name, required, &s);
        if (r <= 0)
                return r;
        return number_check(c, n, name, s, min, max, ret);
}

int xml_attr_unsigned(XmlCtx *c, const xmlNode *n, const char *name, unsigned min, unsigned max,
                      bool required, unsigned *ret) {
        uint64_t v;
        int r;

        r = xml_attr_uint(c, n, name, min, max, required, &v);
        if (r > 0)
                *ret = (unsigned) v;
        return r;
}

int xml_attr_string_in(XmlCtx *c, const xmlNode *n, const char *name, const XmlEnum *e, bool required,
                       char **ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = xml_attr_string(c, n, name, required, &s);
        if (r <= 0)
                return r;
        if (xml_enum_from_string(e, s) < 0)
                return xml_fail_enum(c, n, name, s, e);
        free(*ret);
        *ret = TAKE_PTR(s);
        return 1;
}

int xml_text(XmlCtx *c, const xmlNode *n, char **ret) {
        _cleanup_xml_char_ xmlChar *v = NULL;
        char *copy;
        int r;

        r = children_walk(c, (xmlNode *) n, NULL, 0, NULL, /* allow_text= */ true, /* keep_going= */ false);
        if (r < 0)
                return r;
        v = xmlNodeGetContent(n);
        copy = strdup(v ? (const char *) v : "");
        if (!copy)
                return -ENOMEM;
        free(*ret);
        *ret = copy;
        return 1;
}

int xml_text_optional(XmlCtx *c, const xmlNode *n, char **ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = xml_text(c, n, &s);
        if (r < 0)
                return r;
        free(*ret);
        *ret = *s ? TAKE_PTR(s) : NULL;
        return *ret ? 1 : 0;
}

int xml_text_no_attrs(XmlCtx *c, const xmlNode *n, char **ret) {
        int r;

        r = xml_check_attrs(c, n, NULL);
        if (r < 0)
                return r;
        return xml_text(c, n, ret);
}

int xml_text_path(XmlCtx *c, const xmlNode *n, const char *what, char **ret) {
        int r;

        r = xml_check_attrs(c, n, NULL);
        if (r >= 0)
                r = xml_text_optional(c, n, ret);
        if (r <= 0)
                return r;
        r = xml_check_absolute(c, n, what, *ret);
        return r < 0 ? r : 1;
}

/* Paths are resolved by the supervisor, the labelling code and QEMU,
 * each with its own working directory: only absolute ones mean the same
 * file to all of them. */
int xml_check_absolute(XmlCtx *c, const xmlNode *n, const char *what, const char *path) {
        if (!path || path[0] == '/')
                return 0;
        return xml_fail(c, n, "%s path '%s' is not absolute", what, path);
}

int xml_text_enum(XmlCtx *c, const xmlNode *n, const XmlEnum *e, int *ret) {
        _cleanup_free_ char *s = NULL;
        int r, v;

        r = xml_text(c, n, &s);
        if (r < 0)
                return r;
        v = xml_enum_from_string(e, s);
        if (v < 0)
                return xml_fail_enum(c, n, NULL, s, e);
        *ret = v;
        return 1;
}

int xml_text_uint(XmlCtx *c, const xmlNode *n, uint64_t min, uint64_t max, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = xml_text(c, n, &s);
        if (r < 0)
                return r;
        return number_check(c, n, NULL, strip_whitespace(s), min, max, ret);
}

/* libvirt's virScaleInteger: b/byte/bytes, then X (1024), XiB (1024) or
 * XB (1000) for X in k, M, G, T, P, E, all case-insensitive. */
static int unit_scale(const char *unit, uint64_t *ret) {
        static const char prefixes[] = "kmgtpe";
        const char *p;
        uint64_t base, scale = 1;

        if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") || !strcasecmp(unit, "bytes")) {
                *ret = 1;
                return 0;
        }
        if (!*unit || !(p = strchr(prefixes, tolower((unsigned char) unit[0]))))
                return -EINVAL;
        if (unit[1] == 0 || !strcasecmp(unit + 1, "iB"))
                base = 1024;
        else if (!strcasecmp(unit + 1, "B"))
                base = 1000;
        else
                return -EINVAL;
        for (const char *q = prefixes; q <= p; q++)
                scale *= base;
        *ret = scale;
        return 0;
}

int xml_memory_to_kib(uint64_t value, const char *unit, uint64_t *ret_kib) {
        uint64_t scale;
        int r;

        r = unit_scale(unit ?: "KiB", &scale);
        if (r < 0)
                return r;
        if (scale == 1024) {
                *ret_kib = value;
                return 0;
        }
        if (value > UINT64_MAX / scale)
                return -ERANGE;
        value *= scale;
        *ret_kib = value / 1024 + (value % 1024 != 0);
        return 0;
}

int xml_text_kib(XmlCtx *c, const xmlNode *n, uint64_t *ret_kib) {
        _cleanup_free_ char *unit = NULL;
        uint64_t v;
        int r;

        r = xml_check_attrs(c, n, (const char *const[]){ "unit", NULL });
        if (r < 0)
                return r;
        r = xml_attr_string(c, n, "unit", /* required= */ false, &unit);
        if (r < 0)
                return r;
        r = xml_text_uint(c, n, 0, UINT64_MAX, &v);
        if (r < 0)
                return r;
        r = xml_memory_to_kib(v, unit, ret_kib);
        if (r == -EINVAL)
                return xml_fail(c, n, "unsupported value '%s' for attribute 'unit'", unit);
        if (r < 0)
                return xml_fail(c, n, "value %" PRIu64 " %s is too large", v, unit ?: "KiB");
        return 1;
}

static bool is_blank(const xmlChar *s) {
        for (; s && *s; s++)
                if (!isspace(*s))
                        return false;
        return true;
}

static const XmlChild *child_find(const xmlNode *n, const XmlChild *specs, size_t n_specs) {
        bool qemu = n->ns && xmlStrEqual(n->ns->href, (const xmlChar *) XML_QEMU_NS);

        if (n->ns && !qemu)
                return NULL;
        for (size_t i = 0; i < n_specs; i++)
                if (streq(specs[i].name, (const char *) n->name) &&
                    qemu == !!(specs[i].flags & XML_CHILD_QEMU))
                        return &specs[i];
        return NULL;
}

int xml_fail_unknown_element(XmlCtx *c, const xmlNode *n) {
        if (n->ns && n->ns->prefix)
                return xml_fail_soft(c, n, "unsupported element '%s:%s'", (const char *) n->ns->prefix,
                                     (const char *) n->name);
        return xml_fail_soft(c, n, "unsupported element '%s'", (const char *) n->name);
}

int xml_check_other_node(XmlCtx *c, xmlNode *parent, const xmlNode *n, bool allow_text) {
        switch (n->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
                if (!allow_text && !is_blank(n->content))
                        return xml_fail(c, parent, "unexpected text in element '%s'",
                                        (const char *) parent->name);
                return 0;
        case XML_COMMENT_NODE:
        case XML_PI_NODE: return 0;
        default:
                return xml_fail(c, parent, "unsupported XML node in element '%s'",
                                (const char *) parent->name);
        }
}

static int child_one(XmlCtx *c, xmlNode *n, const XmlChild *spec, unsigned *count, void *userdata) {
        int r;

        if (++*count > 1 && !(spec->flags & XML_CHILD_MULTI))
                return xml_fail(c, n, "duplicate element '%s'", spec->name);
        if (spec->parse)
                return spec->parse(c, n, userdata);
        r = xml_check_no_children(c, n);
        if (r < 0)
                return r;
        return xml_check_attrs(c, n, NULL);
}

static int children_walk(XmlCtx *c, xmlNode *n, const XmlChild *specs, size_t n_specs, void *userdata,
                         bool allow_text, bool keep_going) {
        unsigned counts[XML_CHILDREN_MAX] = {};
        int r, first_error = 0;

        if (n_specs > XML_CHILDREN_MAX)
                return -E2BIG;
        for (xmlNode *ch = n->children; ch; ch = ch->next) {
                const XmlChild *spec;

                if (ch->type != XML_ELEMENT_NODE) {
                        r = xml_check_other_node(c, n, ch, allow_text);
                        if (r < 0)
                                return r;
                        continue;
                }
                spec = child_find(ch, specs, n_specs);
                if (!spec) {
                        r = xml_fail_unknown_element(c, ch);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = child_one(c, ch, spec, &counts[spec - specs], userdata);
                if (r == -EINVAL && keep_going && !first_error)
                        first_error = r;
                else if (r < 0)
                        return r;
        }
        if (first_error < 0)
                return first_error;
        for (size_t i = 0; i < n_specs; i++)
                if ((specs[i].flags & XML_CHILD_REQUIRED) && counts[i] == 0)
                        return xml_fail(c, n, "missing element '%s'", specs[i].name);
        return 0;
}

int xml_parse_children(XmlCtx *c, xmlNode *n, const XmlChild *specs, size_t n_specs, void *userdata) {
        return children_walk(c, n, specs, n_specs, userdata, /* allow_text= */ false,
                             /* keep_going= */ false);
}

int xml_parse_children_all(XmlCtx *c, xmlNode *n, const XmlChild *specs, size_t n_specs, void *userdata) {
        return children_walk(c, n, specs, n_specs, userdata, /* allow_text= */ false,
                             /* keep_going= */ true);
}

int xml_parse_container(XmlCtx *c, xmlNode *n, const XmlChild *specs, size_t n_specs, void *userdata) {
        int r;

        r = xml_check_attrs(c, n, NULL);
        if (r < 0)
                return r;
        return xml_parse_children(c, n, specs, n_specs, userdata);
}

int xml_check_no_children(XmlCtx *c, xmlNode *n) {
        return children_walk(c, n, NULL, 0, NULL, /* allow_text= */ false, /* keep_going= */ false);
}

int xml_check_empty(XmlCtx *c, xmlNode *n) {
        int r;

        r = xml_check_attrs(c, n, NULL);
        if (r < 0)
                return r;
        return xml_check_no_children(c, n);
}

void *xml_array_append(void *array_ptr, size_t *n, size_t size) {
        void **array = array_ptr;
        uint8_t *p;

        p = reallocarray(*array, *n + 1, size);
        if (!p)
                return NULL;
        *array = p;
        memset(p + *n * size, 0, size);
        return p + (*n)++ * size;
}
