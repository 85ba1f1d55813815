/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One description per element, walked by the parser, the formatter and
 * the free function alike: an element's attributes (name, type, enum,
 * range, where the value lands in its struct) and its children (which
 * element, inline / optional / repeated, where they land). Adding an
 * element is a table entry; parse and format cannot drift apart because
 * neither is written by hand.
 *
 * Conventions of the model fields the tables point at:
 *   XML_T_STRING/PATH/TOKEN  char *, NULL = absent
 *   XML_T_ENUM               an enum (int-sized), 0 = absent
 *   XML_T_UINT               unsigned, 0 = absent (so min >= 1)
 *   XML_T_NUM                XmlNum: any value, .set = given
 *   XML_T_KIB                uint64_t KiB, 0 = absent; the element's
 *                            text with its unit= attribute
 * Formatting writes attributes and children in table order, which is
 * libvirt's order; values filled in at parse time are written out, so
 * parse -> format -> parse is the identity.
 */

#include <stdio.h>

#include "xml-util.h"

typedef enum XmlType {
        XML_T_STRING,
        XML_T_PATH,  /* an absolute path */
        XML_T_TOKEN, /* a string that must be one of the enum's names */
        XML_T_ENUM,
        XML_T_UINT,
        XML_T_NUM,
        XML_T_KIB,
} XmlType;

typedef struct XmlNum {
        bool set;
        bool hex; /* written as 0x... (XML_HEX values): written back the same way */
        uint64_t value;
} XmlNum;

enum {
        XML_REQUIRED = 1 << 0, /* value or child must be given */
        XML_HEX = 1 << 1,      /* XML_T_NUM: "0x1f" accepted too */
        XML_MULTI = 1 << 2,    /* XML_SUB_CUSTOM: may repeat */
        XML_COUNTED = 1 << 3,  /* XML_SUB_CUSTOM: present when the size_t at count_offset is not 0 */
        XML_ZERO = 1 << 4,     /* XML_T_UINT: 0 is a value, always written (the element's init or check
                                * fills it when not given) */
        XML_KEEP_EMPTY =
                1 << 4, /* XML_SUB_OPTIONAL: written when given, even with nothing in it (<apic/>) */
};

typedef struct XmlValue {
        const char *name; /* the attribute; NULL: the element's text */
        XmlType type;
        size_t offset; /* in the element's struct */
        unsigned flags;
        const XmlEnum *e;    /* XML_T_ENUM, XML_T_TOKEN */
        uint64_t min, max;   /* XML_T_UINT, XML_T_NUM; max 0 = no limit */
        unsigned hex_digits; /* XML_HEX: written as 0x%0Nx */
} XmlValue;

typedef struct XmlElement XmlElement;

typedef enum XmlSubKind {
        XML_SUB_INLINE,   /* a struct inside the parent; written only when it holds something */
        XML_SUB_OPTIONAL, /* a pointer to a struct, NULL = absent */
        XML_SUB_ARRAY,    /* a pointer to an array plus a size_t count */
        XML_SUB_MARKER,   /* a bool: an element with nothing in it, such as <acpi/> */
        XML_SUB_CUSTOM,   /* written by hand: parse and format functions */
        XML_SUB_REFUSED,  /* an element libvirt knows that vmunit refuses, with the reason */
} XmlSubKind;

/* Hand-written children: parse gets the parent's struct as userdata;
 * format writes the child (all instances) at level. */
typedef void (*XmlFormatFunc)(FILE *f, int level, const void *parent);
typedef void (*XmlFreeFunc)(void *parent);
typedef bool (*XmlPresentFunc)(const void *parent);

typedef struct XmlSub {
        const char *name; /* XML_SUB_MARKER / XML_SUB_CUSTOM / XML_SUB_REFUSED; else elem->name */
        XmlSubKind kind;
        const XmlElement *elem;
        size_t offset;       /* of the struct, pointer, array pointer or bool in the parent */
        size_t count_offset; /* XML_SUB_ARRAY, XML_COUNTED: of the size_t count */
        unsigned flags;
        XmlChildFunc parse;     /* XML_SUB_CUSTOM */
        XmlFormatFunc format;   /* XML_SUB_CUSTOM */
        XmlFreeFunc free;       /* XML_SUB_CUSTOM, may be NULL */
        XmlPresentFunc present; /* XML_SUB_CUSTOM: whether it writes anything; NULL = always */
        const char *reason;     /* XML_SUB_REFUSED: why, e.g. "backing chains come with the storage work" */
} XmlSub;

struct XmlElement {
        const char *name;
        size_t size; /* of its struct (XML_SUB_OPTIONAL / XML_SUB_ARRAY allocate it) */
        const XmlValue *values;
        size_t n_values;
        const XmlSub *subs;
        size_t n_subs;
        /* After values and children were read: rules across fields, and
         * defaults the parser fills in (they are written back). n is the
         * element, parent the struct holding this one. */
        int (*check)(XmlCtx *c, xmlNode *n, void *obj, void *parent);
        /* Before anything is read: fields whose "not given" is not 0. */
        void (*init)(void *obj);
};

/* A repeated child element: T's array field and its size_t count. */
#define XML_ARRAY(element, T, array, count)                                              \
        {                                                                                \
                .kind = XML_SUB_ARRAY, .elem = &(element), .offset = offsetof(T, array), \
                .count_offset = offsetof(T, count)                                       \
        }
/* An inline child (a struct inside T) and an optional one (a pointer). */
#define XML_INLINE(element, T, field) \
        { .kind = XML_SUB_INLINE, .elem = &(element), .offset = offsetof(T, field) }
#define XML_OPTIONAL(element, T, field) \
        { .kind = XML_SUB_OPTIONAL, .elem = &(element), .offset = offsetof(T, field) }

/* A refused child: "element 'NAME' is not supported: REASON". */
#define XML_REFUSED(ename, why) \
        { .name = ename, .kind = XML_SUB_REFUSED, .reason = why }

/* How to describe an element (see src/domain/dev-rng.c for a whole one):
 *
 *   static const XmlValue rate_values[] = {
 *           { "bytes", XML_T_UINT, offsetof(DomainRngRate, bytes), XML_REQUIRED, NULL, 1, INT32_MAX, 0 },
 *   };
 *   static XML_ELEMENT(rate_element, "rate", DomainRngRate, rate_values, (const XmlSub[]){}, NULL);
 *
 * and in the parent's XmlSub list:
 *   { .kind = XML_SUB_INLINE, .elem = &rate_element, .offset = offsetof(DomainRng, rate) },
 * A device struct starts with DomainDeviceInfo info and lists
 * DOMAIN_XML_INFO_SUBS(T) among its children (<alias>, <address>). */
#define XML_ELEMENT(var, ename, type, vals, children, checkfn)                \
        const XmlElement var = { .name = ename,                               \
                                 .size = sizeof(type),                        \
                                 .values = vals,                              \
                                 .n_values = sizeof(vals) / sizeof(XmlValue), \
                                 .subs = children,                            \
                                 .n_subs = sizeof(children) / sizeof(XmlSub), \
                                 .check = checkfn }

/* Read element n into obj (a struct of e->size bytes, zeroed by the
 * caller or holding defaults). parent is handed to e->check. Unknown
 * attributes and children are reported (all of them) and skipped, so
 * one pass names every unsupported thing in a file; they still make the
 * parse fail (c->n_errors). Returns 0, -EINVAL or -ENOMEM. */
int xml_schema_parse(XmlCtx *c, xmlNode *n, const XmlElement *e, void *obj, void *parent);

/* Append a new element to the array at *array_ptr / *n and read n into
 * it; on failure the array is left as it was. */
int xml_schema_parse_append(XmlCtx *c, xmlNode *n, const XmlElement *e, void *array_ptr, size_t *count,
                            void *parent);

/* Write obj as element e at indentation level (two spaces each). */
void xml_schema_format(FILE *f, int level, const XmlElement *e, const void *obj);

/* Whether obj holds anything format would write. */
bool xml_schema_has_content(const XmlElement *e, const void *obj);

/* Free what obj owns (strings, children), not obj itself. */
void xml_schema_free(const XmlElement *e, void *obj);
/* Free an array of count elements e, and the array. */
void xml_schema_free_array(const XmlElement *e, void *array, size_t count);

/* Writing helpers the hand-written formatters share. */
void xml_put_escaped(FILE *f, const char *s, bool attr);
void xml_put_attr(FILE *f, const char *name, const char *value);
