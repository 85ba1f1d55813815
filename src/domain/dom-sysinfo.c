/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/*
 * <sysinfo type='smbios'>: the SMBIOS tables the guest sees (BIOS,
 * system, base board, chassis, OEM strings), given to QEMU as -smbios
 * when <os><smbios mode='sysinfo'/> asks for them. Each block takes the
 * entry names QEMU's matching -smbios type has.
 */

XML_ENUM_DEFINE_STATIC(sysinfo_types, { "smbios", DOMAIN_SYSINFO_SMBIOS });

XML_ENUM_DEFINE_STATIC(bios_names, { "vendor", 0 }, { "version", 0 }, { "date", 0 }, { "release", 0 });
XML_ENUM_DEFINE_STATIC(system_names, { "manufacturer", 0 }, { "product", 0 }, { "version", 0 },
                       { "serial", 0 }, { "uuid", 0 }, { "sku", 0 }, { "family", 0 });
XML_ENUM_DEFINE_STATIC(board_names, { "manufacturer", 0 }, { "product", 0 }, { "version", 0 },
                       { "serial", 0 }, { "asset", 0 }, { "location", 0 });
XML_ENUM_DEFINE_STATIC(chassis_names, { "manufacturer", 0 }, { "version", 0 }, { "serial", 0 },
                       { "asset", 0 }, { "sku", 0 });

static int entry_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainSysinfoEntry *e = obj;
        const DomainSysinfoBlock *b = parent;

        for (const DomainSysinfoEntry *o = b->entries; o < e; o++)
                if (streq(o->name, e->name))
                        return xml_fail(c, n, "duplicate entry '%s'", e->name);
        return 0;
}

#define ENTRY_ELEMENT(var, names)                                                                           \
        static const XmlValue var##_values[] = {                                                            \
                { "name", XML_T_TOKEN, offsetof(DomainSysinfoEntry, name), XML_REQUIRED, &names, 0, 0, 0 }, \
                { NULL, XML_T_STRING, offsetof(DomainSysinfoEntry, value), 0, NULL, 0, 0, 0 },              \
        };                                                                                                  \
        static XML_ELEMENT(var, "entry", DomainSysinfoEntry, var##_values, (const XmlSub[]){}, entry_check)

ENTRY_ELEMENT(bios_entry, bios_names);
ENTRY_ELEMENT(system_entry, system_names);
ENTRY_ELEMENT(board_entry, board_names);
ENTRY_ELEMENT(chassis_entry, chassis_names);

static const XmlValue oem_entry_values[] = {
        { NULL, XML_T_STRING, offsetof(DomainSysinfoEntry, value), XML_REQUIRED, NULL, 0, 0, 0 },
};
static XML_ELEMENT(oem_entry, "entry", DomainSysinfoEntry, oem_entry_values, (const XmlSub[]){}, NULL);

#define BLOCK_ELEMENT(var, ename, entry)                                     \
        static const XmlSub var##_subs[] = {                                 \
                { .kind = XML_SUB_ARRAY,                                     \
                  .elem = &entry,                                            \
                  .offset = offsetof(DomainSysinfoBlock, entries),           \
                  .count_offset = offsetof(DomainSysinfoBlock, n_entries) }, \
        };                                                                   \
        static XML_ELEMENT(var, ename, DomainSysinfoBlock, (const XmlValue[]){}, var##_subs, NULL)

BLOCK_ELEMENT(bios_element, "bios", bios_entry);
BLOCK_ELEMENT(system_element, "system", system_entry);
BLOCK_ELEMENT(board_element, "baseBoard", board_entry);
BLOCK_ELEMENT(chassis_element, "chassis", chassis_entry);
BLOCK_ELEMENT(oem_element, "oemStrings", oem_entry);

static const XmlValue sysinfo_values[] = {
        { "type", XML_T_ENUM, offsetof(DomainSysinfo, type), XML_REQUIRED, &sysinfo_types, 0, 0, 0 },
};

#define BLOCK_SUB(var, field) XML_INLINE(var, DomainSysinfo, field)
static const XmlSub sysinfo_subs[] = {
        BLOCK_SUB(bios_element, bios),        BLOCK_SUB(system_element, system),
        BLOCK_SUB(board_element, base_board), BLOCK_SUB(chassis_element, chassis),
        BLOCK_SUB(oem_element, oem_strings),
};

XML_ELEMENT(domain_xml_sysinfo, "sysinfo", DomainSysinfo, sysinfo_values, sysinfo_subs, NULL);

const char *domain_sysinfo_get(const DomainSysinfoBlock *b, const char *name) {
        for (size_t i = 0; i < b->n_entries; i++)
                if (streq(b->entries[i].name, name))
                        return b->entries[i].value;
        return NULL;
}
