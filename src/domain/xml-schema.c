/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

#include "xml-schema.h"

/* Field access by table offset. */
#define FIELD(obj, off, type) ((type *) ((uint8_t *) (obj) + (off)))
#define CFIELD(obj, off, type) ((const type *) ((const uint8_t *) (obj) + (off)))

static int parse_num(XmlCtx *c, xmlNode *n, const XmlValue *v, const char *s, XmlNum *ret) {
        bool hex = (v->flags & XML_HEX) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        uint64_t value;
        char *end;
        int r;

        if (hex) {
                if (!s[2] || !strchr("0123456789abcdefABCDEF", s[2]))
                        r = -EINVAL;
                else {
                        errno = 0;
                        value = strtoull(s + 2, &end, 16);
                        r = errno == ERANGE ? -ERANGE : *end ? -EINVAL : 0;
                }
        } else
                r = xml_parse_uint64(s, &value);
        if (r == 0 && (value < v->min || (v->max > 0 && value > v->max)))
                r = -ERANGE;
        if (r < 0)
                return xml_fail(c, n, "invalid value '%s' for %s%s%s", s, v->name ? "attribute '" : "text",
                                v->name ?: "", v->name ? "'" : "");
        *ret = (XmlNum){ .set = true, .hex = hex, .value = value };
        return 1;
}

/* An empty text is "not given", as libvirt reads it. */
static int value_text(XmlCtx *c, xmlNode *n, const XmlValue *v, char **ret) {
        int r;

        if (v->name)
                return xml_attr_string(c, n, v->name, v->flags & XML_REQUIRED, ret);
        r = xml_text_optional(c, n, ret);
        if (r == 0 && (v->flags & XML_REQUIRED))
                return xml_fail(c, n, "element '%s' needs a value", (const char *) n->name);
        return r;
}

/* One value of n into obj. Returns 1 stored, 0 absent, < 0 error. */
static int value_parse(XmlCtx *c, xmlNode *n, const XmlValue *v, void *obj) {
        _cleanup_free_ char *s = NULL;
        uint64_t kib;
        int r, e;

        if (v->type == XML_T_KIB) {
                r = xml_text_kib(c, n, &kib);
                if (r > 0)
                        *FIELD(obj, v->offset, uint64_t) = kib;
                return r;
        }
        if (v->type == XML_T_ENUM) {
                r = v->name ? xml_attr_enum(c, n, v->name, v->e, v->flags & XML_REQUIRED, &e)
                            : xml_text_enum(c, n, v->e, &e);
                if (r > 0)
                        *FIELD(obj, v->offset, int) = e;
                return r;
        }
        if (v->type == XML_T_TOKEN && v->name)
                return xml_attr_string_in(c, n, v->name, v->e, v->flags & XML_REQUIRED,
                                          FIELD(obj, v->offset, char *));
        r = value_text(c, n, v, &s);
        if (r <= 0)
                return r;
        switch (v->type) {
        case XML_T_PATH:
                r = xml_check_absolute(c, n, v->name ?: (const char *) n->name, s);
                if (r < 0)
                        return r;
                *FIELD(obj, v->offset, char *) = TAKE_PTR(s);
                return 1;
        case XML_T_STRING: *FIELD(obj, v->offset, char *) = TAKE_PTR(s); return 1;
        case XML_T_TOKEN:
                if (xml_enum_from_string(v->e, s) < 0)
                        return xml_fail_enum(c, n, NULL, s, v->e);
                *FIELD(obj, v->offset, char *) = TAKE_PTR(s);
                return 1;
        case XML_T_ENUM:
        case XML_T_UINT: {
                XmlNum num;

                r = parse_num(c, n,
                              &(XmlValue){ .name = v->name,
                                           .min = v->min > 0 || (v->flags & XML_ZERO) ? v->min : 1,
                                           .max = v->max ?: UINT_MAX,
                                           .flags = v->flags },
                              s, &num);
                if (r > 0)
                        *FIELD(obj, v->offset, unsigned) = (unsigned) num.value;
                return r;
        }
        case XML_T_NUM: return parse_num(c, n, v, s, FIELD(obj, v->offset, XmlNum));
        case XML_T_KIB: break;
        }
        return -EINVAL;
}

static bool attr_known(const XmlElement *e, const char *name) {
        for (size_t i = 0; i < e->n_values; i++)
                if (e->values[i].name && streq(e->values[i].name, name))
                        return true;
        /* KiB text takes its unit= */
        for (size_t i = 0; i < e->n_values; i++)
                if (e->values[i].type == XML_T_KIB && streq(name, "unit"))
                        return true;
        return false;
}

static int values_parse(XmlCtx *c, xmlNode *n, const XmlElement *e, void *obj) {
        int r;

        for (xmlAttr *a = n->properties; a; a = a->next)
                if (a->ns || !attr_known(e, (const char *) a->name)) {
                        r = xml_fail_soft(c, n, "unsupported attribute '%s'", (const char *) a->name);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < e->n_values; i++) {
                r = value_parse(c, n, &e->values[i], obj);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool has_text_value(const XmlElement *e) {
        for (size_t i = 0; i < e->n_values; i++)
                if (!e->values[i].name || e->values[i].type == XML_T_KIB)
                        return true;
        return false;
}

static int sub_parse(XmlCtx *c, xmlNode *n, const XmlSub *s, void *obj) {
        void *field = FIELD(obj, s->offset, void);
        _cleanup_free_ void *child = NULL;
        int r;

        switch (s->kind) {
        case XML_SUB_INLINE: return xml_schema_parse(c, n, s->elem, field, obj);
        case XML_SUB_OPTIONAL:
                child = calloc(1, s->elem->size);
                if (!child)
                        return -ENOMEM;
                r = xml_schema_parse(c, n, s->elem, child, obj);
                if (r < 0) {
                        xml_schema_free(s->elem, child);
                        return r;
                }
                *(void **) field = TAKE_PTR(child);
                return 0;
        case XML_SUB_ARRAY:
                return xml_schema_parse_append(c, n, s->elem, field, FIELD(obj, s->count_offset, size_t),
                                               obj);
        case XML_SUB_MARKER:
                r = xml_check_empty(c, n);
                if (r >= 0)
                        *(bool *) field = true;
                return r;
        case XML_SUB_CUSTOM: return s->parse(c, n, obj);
        case XML_SUB_REFUSED:
                return xml_fail_soft(c, n, "element '%s' is not supported: %s", s->name, s->reason);
        }
        return -EINVAL;
}

static const char *sub_name(const XmlSub *s) {
        return s->elem ? s->elem->name : s->name;
}

static const XmlSub *sub_find(const XmlElement *e, const xmlNode *n) {
        if (n->ns)
                return NULL;
        for (size_t i = 0; i < e->n_subs; i++)
                if (streq(sub_name(&e->subs[i]), (const char *) n->name))
                        return &e->subs[i];
        return NULL;
}

static bool sub_repeats(const XmlSub *s) {
        return s->kind == XML_SUB_ARRAY || s->kind == XML_SUB_REFUSED ||
               (s->kind == XML_SUB_CUSTOM && (s->flags & XML_MULTI));
}

static int subs_parse(XmlCtx *c, xmlNode *n, const XmlElement *e, void *obj) {
        unsigned counts[XML_CHILDREN_MAX] = {};
        int r;

        if (e->n_subs > XML_CHILDREN_MAX)
                return -E2BIG;
        for (xmlNode *ch = n->children; ch; ch = ch->next) {
                const XmlSub *s;

                if (ch->type != XML_ELEMENT_NODE) {
                        r = xml_check_other_node(c, n, ch, has_text_value(e));
                        if (r < 0)
                                return r;
                        continue;
                }
                s = sub_find(e, ch);
                if (!s) {
                        r = xml_fail_unknown_element(c, ch);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (++counts[s - e->subs] > 1 && !sub_repeats(s))
                        return xml_fail(c, ch, "duplicate element '%s'", sub_name(s));
                r = sub_parse(c, ch, s, obj);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < e->n_subs; i++)
                if ((e->subs[i].flags & XML_REQUIRED) && counts[i] == 0)
                        return xml_fail(c, n, "missing element '%s'", sub_name(&e->subs[i]));
        return 0;
}

int xml_schema_parse(XmlCtx *c, xmlNode *n, const XmlElement *e, void *obj, void *parent) {
        unsigned errors = c->n_errors;
        int r;

        if (e->init)
                e->init(obj);
        r = values_parse(c, n, e, obj);
        if (r >= 0)
                r = subs_parse(c, n, e, obj);
        if (r < 0)
                return r;
        /* Checks see only complete elements: one with a part left out
         * already failed the parse. */
        if (e->check && c->n_errors == errors)
                return e->check(c, n, obj, parent);
        return 0;
}

int xml_schema_parse_append(XmlCtx *c, xmlNode *n, const XmlElement *e, void *array_ptr, size_t *count,
                            void *parent) {
        void **array = array_ptr;
        uint8_t *item;
        int r;

        item = xml_array_append(array, count, e->size);
        if (!item)
                return -ENOMEM;
        r = xml_schema_parse(c, n, e, item, parent);
        if (r < 0) {
                xml_schema_free(e, item);
                (*count)--;
        }
        return r;
}

/* Formatting */

void xml_put_escaped(FILE *f, const char *s, bool attr) {
        for (; *s; s++)
                switch (*s) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '\'': fputs(attr ? "&apos;" : "'", f); break;
                case '"': fputs(attr ? "&quot;" : "\"", f); break;
                case '\r':
                        fputs("&#13;", f); /* a literal CR is read back as LF */
                        break;
                case '\n':
                case '\t':
                        /* attribute values are normalized on reading */
                        if (attr)
                                fprintf(f, "&#%d;", *s);
                        else
                                fputc(*s, f);
                        break;
                default: fputc(*s, f);
                }
}

void xml_put_attr(FILE *f, const char *name, const char *value) {
        if (!value)
                return;
        fprintf(f, " %s='", name);
        xml_put_escaped(f, value, /* attr= */ true);
        fputc('\'', f);
}

/* The value as text, into buf or as a pointer into obj; NULL = absent. */
static const char *value_string(const XmlValue *v, const void *obj, char buf[static 32]) {
        const XmlNum *num;
        unsigned u;

        switch (v->type) {
        case XML_T_STRING:
        case XML_T_PATH:
        case XML_T_TOKEN: return *CFIELD(obj, v->offset, char *);
        case XML_T_ENUM: return xml_enum_to_string(v->e, *CFIELD(obj, v->offset, int));
        case XML_T_UINT:
                u = *CFIELD(obj, v->offset, unsigned);
                if (u == 0 && !(v->flags & XML_ZERO))
                        return NULL;
                snprintf(buf, 32, "%u", u);
                return buf;
        case XML_T_NUM:
                num = CFIELD(obj, v->offset, XmlNum);
                if (!num->set)
                        return NULL;
                if (num->hex)
                        snprintf(buf, 32, "0x%0*" PRIx64, (int) v->hex_digits, num->value);
                else
                        snprintf(buf, 32, "%" PRIu64, num->value);
                return buf;
        case XML_T_KIB:
                if (*CFIELD(obj, v->offset, uint64_t) == 0)
                        return NULL;
                snprintf(buf, 32, "%" PRIu64, *CFIELD(obj, v->offset, uint64_t));
                return buf;
        }
        return NULL;
}

static void values_format(FILE *f, const XmlElement *e, const void *obj) {
        char buf[32];

        for (size_t i = 0; i < e->n_values; i++) {
                const XmlValue *v = &e->values[i];

                if (v->type == XML_T_KIB && value_string(v, obj, buf))
                        xml_put_attr(f, "unit", "KiB");
                else if (v->name)
                        xml_put_attr(f, v->name, value_string(v, obj, buf));
        }
}

static const char *text_format(const XmlElement *e, const void *obj, char buf[static 32]) {
        for (size_t i = 0; i < e->n_values; i++)
                if (!e->values[i].name || e->values[i].type == XML_T_KIB)
                        return value_string(&e->values[i], obj, buf);
        return NULL;
}

static void element_format(FILE *f, int level, const XmlElement *e, const void *obj, bool keep_empty);

static void sub_format(FILE *f, int level, const XmlSub *s, const void *obj) {
        const void *field = CFIELD(obj, s->offset, void);

        switch (s->kind) {
        case XML_SUB_INLINE: xml_schema_format(f, level, s->elem, field); return;
        case XML_SUB_OPTIONAL:
                if (*(void *const *) field)
                        element_format(f, level, s->elem, *(void *const *) field, s->flags & XML_KEEP_EMPTY);
                return;
        case XML_SUB_ARRAY:
                for (size_t i = 0; i < *CFIELD(obj, s->count_offset, size_t); i++)
                        xml_schema_format(f, level, s->elem,
                                          *(const uint8_t *const *) field + i * s->elem->size);
                return;
        case XML_SUB_MARKER:
                if (*(const bool *) field)
                        fprintf(f, "%*s<%s/>\n", level * 2, "", s->name);
                return;
        case XML_SUB_CUSTOM: s->format(f, level, obj); return;
        case XML_SUB_REFUSED: return;
        }
}

static bool sub_has_content(const XmlSub *s, const void *obj) {
        const void *field = CFIELD(obj, s->offset, void);

        switch (s->kind) {
        case XML_SUB_INLINE: return xml_schema_has_content(s->elem, field);
        case XML_SUB_OPTIONAL: return *(void *const *) field;
        case XML_SUB_ARRAY: return *CFIELD(obj, s->count_offset, size_t) > 0;
        case XML_SUB_MARKER: return *(const bool *) field;
        case XML_SUB_CUSTOM:
                if (s->flags & XML_COUNTED)
                        return *CFIELD(obj, s->count_offset, size_t) > 0;
                return !s->present || s->present(obj);
        case XML_SUB_REFUSED: return false;
        }
        return false;
}

bool xml_schema_has_content(const XmlElement *e, const void *obj) {
        char buf[32];

        for (size_t i = 0; i < e->n_values; i++)
                if (value_string(&e->values[i], obj, buf))
                        return true;
        for (size_t i = 0; i < e->n_subs; i++)
                if (sub_has_content(&e->subs[i], obj))
                        return true;
        return false;
}

static bool subs_have_content(const XmlElement *e, const void *obj) {
        for (size_t i = 0; i < e->n_subs; i++)
                if (sub_has_content(&e->subs[i], obj))
                        return true;
        return false;
}

/* An element holding nothing (an XML_SUB_INLINE part not given) is left
 * out. */
void xml_schema_format(FILE *f, int level, const XmlElement *e, const void *obj) {
        element_format(f, level, e, obj, /* keep_empty= */ false);
}

static void element_format(FILE *f, int level, const XmlElement *e, const void *obj, bool keep_empty) {
        const char *text;
        char buf[32];

        if (!keep_empty && !xml_schema_has_content(e, obj))
                return;
        fprintf(f, "%*s<%s", level * 2, "", e->name);
        values_format(f, e, obj);
        text = text_format(e, obj, buf);
        if (text) {
                fputc('>', f);
                xml_put_escaped(f, text, /* attr= */ false);
                fprintf(f, "</%s>\n", e->name);
                return;
        }
        if (!subs_have_content(e, obj)) {
                fputs("/>\n", f);
                return;
        }
        fputs(">\n", f);
        for (size_t i = 0; i < e->n_subs; i++)
                sub_format(f, level + 1, &e->subs[i], obj);
        fprintf(f, "%*s</%s>\n", level * 2, "", e->name);
}

/* Freeing */

void xml_schema_free(const XmlElement *e, void *obj) {
        if (!obj)
                return;
        for (size_t i = 0; i < e->n_values; i++) {
                const XmlValue *v = &e->values[i];

                if (v->type == XML_T_STRING || v->type == XML_T_PATH || v->type == XML_T_TOKEN)
                        free(*FIELD(obj, v->offset, char *));
        }
        for (size_t i = 0; i < e->n_subs; i++) {
                const XmlSub *s = &e->subs[i];
                void *field = FIELD(obj, s->offset, void);

                switch (s->kind) {
                case XML_SUB_INLINE: xml_schema_free(s->elem, field); break;
                case XML_SUB_OPTIONAL:
                        xml_schema_free(s->elem, *(void **) field);
                        free(*(void **) field);
                        break;
                case XML_SUB_ARRAY:
                        xml_schema_free_array(s->elem, *(void **) field,
                                              *FIELD(obj, s->count_offset, size_t));
                        break;
                case XML_SUB_MARKER:
                case XML_SUB_REFUSED: break;
                case XML_SUB_CUSTOM:
                        if (s->free)
                                s->free(obj);
                        break;
                }
        }
}

void xml_schema_free_array(const XmlElement *e, void *array, size_t count) {
        for (size_t i = 0; i < count; i++)
                xml_schema_free(e, (uint8_t *) array + i * e->size);
        free(array);
}
