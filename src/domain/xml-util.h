/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Strict, table-driven helpers for reading an XML tree into a model:
 * every attribute and child element must be one the caller lists, and
 * every problem becomes one "FILE:LINE: /path/to/elem: message" line in
 * XmlCtx.error. An unknown attribute or element is reported and skipped
 * (the parse goes on, so one run names all of them); a bad value stops
 * the element it is in. Either way the parse fails (n_errors > 0).
 *
 * Return convention of the xml_attr_* / xml_text_* readers: 1 = value
 * found and stored, 0 = absent (only when not required; *ret untouched),
 * negative = error (-EINVAL with c->error set, or -ENOMEM).
 */

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

#define XML_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

#define XML_ERRORS_MAX 50U

typedef struct XmlCtx {
        const char *filename;
        char *error;       /* the errors, one per line, malloc'd, owned by the caller */
        unsigned n_errors; /* may exceed the lines kept */
} XmlCtx;

/* Record an error located at node n (its line and element path).
 * Returns -EINVAL (or -ENOMEM). */
int xml_fail(XmlCtx *c, const xmlNode *n, const char *fmt, ...) _printf_(3, 4);
/* The same for a problem the parse can step over (an unknown attribute
 * or element): returns 0 (or -ENOMEM). */
int xml_fail_soft(XmlCtx *c, const xmlNode *n, const char *fmt, ...) _printf_(3, 4);
/* "unsupported element 'x'" for n, soft. */
int xml_fail_unknown_element(XmlCtx *c, const xmlNode *n);
/* A non-element child of parent: comments pass, text only where
 * allow_text (or blank), anything else fails. */
int xml_check_other_node(XmlCtx *c, xmlNode *parent, const xmlNode *n, bool allow_text);

/* "/domain/devices/disk[2]/target": [N] only when a same-named sibling
 * exists. Returns a malloc'd string or NULL on OOM. */
char *xml_node_path(const xmlNode *n);

/* String <-> enum tables. Several names may map to one value (aliases);
 * the first entry for a value is the one written back. */
typedef struct XmlEnumEntry {
        const char *name;
        int value;
} XmlEnumEntry;

typedef struct XmlEnum {
        const XmlEnumEntry *entries;
        size_t n;
} XmlEnum;

#define XML_ENUM_DEFINE(var, ...)                                    \
        static const XmlEnumEntry var##_entries[] = { __VA_ARGS__ }; \
        const XmlEnum var = { var##_entries, ELEMENTSOF(var##_entries) }
#define XML_ENUM_DEFINE_STATIC(var, ...)                             \
        static const XmlEnumEntry var##_entries[] = { __VA_ARGS__ }; \
        static const XmlEnum var = { var##_entries, ELEMENTSOF(var##_entries) }

/* "unsupported value 'v' [for attribute 'a'] (expected one of: ...)". */
int xml_fail_enum(XmlCtx *c, const xmlNode *n, const char *attr, const char *value, const XmlEnum *e);
const char *xml_enum_to_string(const XmlEnum *e, int value); /* NULL when none */
int xml_enum_from_string(const XmlEnum *e, const char *s);   /* value or -EINVAL */

extern const XmlEnum xml_enum_yes_no; /* DomainTristate */
extern const XmlEnum xml_enum_on_off; /* DomainTristate */

/* Fail on any attribute of n not in the NULL-terminated list allowed
 * (which may be NULL: no attributes at all). */
int xml_check_attrs(XmlCtx *c, const xmlNode *n, const char *const *allowed);

int xml_attr_string(XmlCtx *c, const xmlNode *n, const char *name, bool required, char **ret);
int xml_attr_enum(XmlCtx *c, const xmlNode *n, const char *name, const XmlEnum *e, bool required, int *ret);
int xml_attr_uint(XmlCtx *c, const xmlNode *n, const char *name, uint64_t min, uint64_t max, bool required,
                  uint64_t *ret);
int xml_attr_unsigned(XmlCtx *c, const xmlNode *n, const char *name, unsigned min, unsigned max,
                      bool required, unsigned *ret);
/* A string attribute whose value must be one of e's names; the string
 * itself is stored (for fields the model keeps as text). */
int xml_attr_string_in(XmlCtx *c, const xmlNode *n, const char *name, const XmlEnum *e, bool required,
                       char **ret);

/* Text content of an element that must have no child elements. */
int xml_text(XmlCtx *c, const xmlNode *n, char **ret);
/* Same, but an empty text is "absent": *ret becomes NULL. */
int xml_text_optional(XmlCtx *c, const xmlNode *n, char **ret);
/* xml_text() of an element that must have no attributes either. */
int xml_text_no_attrs(XmlCtx *c, const xmlNode *n, char **ret);
/* An element with no attributes holding an absolute path (what names it
 * in the message); empty means "not given": *ret becomes NULL. */
int xml_text_path(XmlCtx *c, const xmlNode *n, const char *what, char **ret);
int xml_text_enum(XmlCtx *c, const xmlNode *n, const XmlEnum *e, int *ret);
/* Surrounding whitespace is allowed around numbers in text content. */
int xml_text_uint(XmlCtx *c, const xmlNode *n, uint64_t min, uint64_t max, uint64_t *ret);
/* <x unit='MiB'>N</x> -> KiB (rounded up); default unit KiB. */
int xml_text_kib(XmlCtx *c, const xmlNode *n, uint64_t *ret_kib);

/* Fail unless path (may be NULL) is absolute; what names it ("source"). */
int xml_check_absolute(XmlCtx *c, const xmlNode *n, const char *what, const char *path);

/* Strict decimal: digits only, no sign, no space. -EINVAL or -ERANGE. */
int xml_parse_uint64(const char *s, uint64_t *ret);
/* value in unit (libvirt's unit names, case-insensitive; NULL = KiB) to
 * KiB, rounding up. -EINVAL for an unknown unit, -ERANGE on overflow. */
int xml_memory_to_kib(uint64_t value, const char *unit, uint64_t *ret_kib);

/* Children: each element child must match one spec (by name and
 * namespace); its handler is called with userdata. */
typedef int (*XmlChildFunc)(XmlCtx *c, xmlNode *n, void *userdata);

enum {
        XML_CHILD_MULTI = 1 << 0,    /* may repeat */
        XML_CHILD_REQUIRED = 1 << 1, /* must appear */
        XML_CHILD_QEMU = 1 << 2,     /* in the qemu: namespace */
};

typedef struct XmlChild {
        const char *name;
        XmlChildFunc parse; /* NULL: an empty marker element such as <readonly/> */
        unsigned flags;
} XmlChild;

#define XML_CHILDREN_MAX 64

int xml_parse_children(XmlCtx *c, xmlNode *n, const XmlChild *specs, size_t n_specs, void *userdata);
#define XML_PARSE_CHILDREN(c, n, specs, userdata) \
        xml_parse_children(c, n, specs, ELEMENTSOF(specs), userdata)
/* The same, going on to the next child after one that failed, so
 * independent parts each report their problems. */
int xml_parse_children_all(XmlCtx *c, xmlNode *n, const XmlChild *specs, size_t n_specs, void *userdata);
/* xml_parse_children() of an element that must have no attributes. */
int xml_parse_container(XmlCtx *c, xmlNode *n, const XmlChild *specs, size_t n_specs, void *userdata);
#define XML_PARSE_CONTAINER(c, n, specs, userdata) \
        xml_parse_container(c, n, specs, ELEMENTSOF(specs), userdata)
/* Same with no children allowed at all. */
int xml_check_no_children(XmlCtx *c, xmlNode *n);
/* Neither attributes nor children: a marker such as <readonly/>. */
int xml_check_empty(XmlCtx *c, xmlNode *n);

/* Append a zeroed element to a heap array; returns it or NULL on OOM. */
void *xml_array_append(void *array_ptr, size_t *n, size_t size);
