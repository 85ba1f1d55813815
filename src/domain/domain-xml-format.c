/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "domain-xml-internal.h"
#include "domain-xml.h"
#include "xml-schema.h"

/*
 * Model -> domain XML in libvirt's layout: two-space indent, attributes in
 * single quotes, elements in libvirt's order. Everything written here is
 * something the parser accepts, and values it fills in at parse time
 * (UUID, MAC addresses, controller indexes) are written out, so parsing
 * the output gives the same model and formatting it again the same text.
 *
 * Writes go to a memory stream; an allocation failure there shows up as
 * a failing fclose(), which is the only error this file reports.
 */

static void put_indent(FILE *f, int level) {
        fprintf(f, "%*s", level * 2, "");
}

static void put_attr_uint(FILE *f, const char *name, uint64_t v) {
        fprintf(f, " %s='%" PRIu64 "'", name, v);
}

static void put_attr_enum(FILE *f, const char *name, const XmlEnum *e, int v) {
        xml_put_attr(f, name, xml_enum_to_string(e, v));
}

static void put_text(FILE *f, int level, const char *name, const char *text) {
        if (!text)
                return;
        put_indent(f, level);
        fprintf(f, "<%s>", name);
        xml_put_escaped(f, text, /* attr= */ false);
        fprintf(f, "</%s>\n", name);
}

static void put_kib(FILE *f, int level, const char *name, uint64_t kib) {
        put_indent(f, level);
        fprintf(f, "<%s unit='KiB'>%" PRIu64 "</%s>\n", name, kib, name);
}

static void format_header(FILE *f, const Domain *d) {
        char uuid[37];

        fputs("<domain", f);
        put_attr_enum(f, "type", &domain_xml_virt_type, d->virt_type);
        if (d->id.set)
                put_attr_uint(f, "id", d->id.value);
        if (d->n_qemu_args > 0 || d->n_qemu_env > 0)
                xml_put_attr(f, "xmlns:qemu", XML_QEMU_NS);
        fputs(">\n", f);
        put_text(f, 1, "name", d->name);
        domain_uuid_format(d->uuid, uuid);
        put_text(f, 1, "uuid", uuid);
        xml_schema_format(f, 1, &domain_xml_genid, &d->genid);
        put_text(f, 1, "title", d->title);
        put_text(f, 1, "description", d->description);
        if (d->metadata_xml) /* serialized XML already */
                fprintf(f, "  %s\n", d->metadata_xml);
}

static void format_table(FILE *f, const XmlElement *e, const void *obj) {
        if (xml_schema_has_content(e, obj))
                xml_schema_format(f, 1, e, obj);
}

static void format_resources(FILE *f, const Domain *d) {
        format_table(f, &domain_xml_max_memory, &d->max_memory);
        put_kib(f, 1, "memory", d->memory_kib);
        if (d->current_memory_kib > 0)
                put_kib(f, 1, "currentMemory", d->current_memory_kib);
        format_table(f, &domain_xml_blkiotune, &d->blkiotune);
        if (d->memtune_hard_limit_kib > 0 || d->memtune_soft_limit_kib > 0) {
                fputs("  <memtune>\n", f);
                if (d->memtune_hard_limit_kib > 0)
                        put_kib(f, 2, "hard_limit", d->memtune_hard_limit_kib);
                if (d->memtune_soft_limit_kib > 0)
                        put_kib(f, 2, "soft_limit", d->memtune_soft_limit_kib);
                fputs("  </memtune>\n", f);
        }
        format_table(f, &domain_xml_memory_backing, &d->memory_backing);
        fputs("  <vcpu", f);
        xml_put_attr(f, "placement", d->vcpu_placement_auto ? "auto" : "static");
        xml_put_attr(f, "cpuset", d->vcpu_cpuset);
        if (d->vcpus_current > 0)
                put_attr_uint(f, "current", d->vcpus_current);
        fprintf(f, ">%u</vcpu>\n", d->vcpus);
        format_table(f, &domain_xml_vcpus, &d->vcpu_list);
        format_table(f, &domain_xml_iothreads, &d->iothreads);
        format_table(f, &domain_xml_iothreadids, &d->iothreadids);
        format_table(f, &domain_xml_cputune, &d->cputune);
        format_table(f, &domain_xml_numatune, &d->numatune);
}

static void format_os_loader(FILE *f, const DomainOs *os) {
        if (!os->loader && !os->loader_type && !os->loader_readonly && !os->loader_secure &&
            !os->loader_stateless && !os->loader_format)
                return;
        fputs("    <loader", f);
        put_attr_enum(f, "readonly", &xml_enum_yes_no, os->loader_readonly);
        put_attr_enum(f, "secure", &xml_enum_yes_no, os->loader_secure);
        put_attr_enum(f, "type", &domain_xml_loader_type, os->loader_type);
        put_attr_enum(f, "stateless", &xml_enum_yes_no, os->loader_stateless);
        put_attr_enum(f, "format", &domain_xml_firmware_format, os->loader_format);
        if (!os->loader) {
                fputs("/>\n", f);
                return;
        }
        fputc('>', f);
        xml_put_escaped(f, os->loader, /* attr= */ false);
        fputs("</loader>\n", f);
}

static void format_os_nvram(FILE *f, const DomainOs *os) {
        if (!os->nvram && !os->nvram_template && !os->nvram_format && !os->nvram_template_format)
                return;
        fputs("    <nvram", f);
        xml_put_attr(f, "template", os->nvram_template);
        put_attr_enum(f, "templateFormat", &domain_xml_firmware_format, os->nvram_template_format);
        put_attr_enum(f, "format", &domain_xml_firmware_format, os->nvram_format);
        if (!os->nvram) {
                fputs("/>\n", f);
                return;
        }
        fputc('>', f);
        xml_put_escaped(f, os->nvram, /* attr= */ false);
        fputs("</nvram>\n", f);
}

static void format_os_firmware(FILE *f, const DomainOs *os) {
        if (!os->fw_secure_boot && !os->fw_enrolled_keys)
                return;
        fputs("    <firmware>\n", f);
        if (os->fw_enrolled_keys) {
                fputs("      <feature", f);
                put_attr_enum(f, "enabled", &xml_enum_yes_no, os->fw_enrolled_keys);
                fputs(" name='enrolled-keys'/>\n", f);
        }
        if (os->fw_secure_boot) {
                fputs("      <feature", f);
                put_attr_enum(f, "enabled", &xml_enum_yes_no, os->fw_secure_boot);
                fputs(" name='secure-boot'/>\n", f);
        }
        fputs("    </firmware>\n", f);
}

static void format_os_bios(FILE *f, const DomainOs *os) {
        if (!os->bios_useserial && !os->bios_reboot_timeout_set)
                return;
        fputs("    <bios", f);
        put_attr_enum(f, "useserial", &xml_enum_yes_no, os->bios_useserial);
        if (os->bios_reboot_timeout_set)
                fprintf(f, " rebootTimeout='%d'", os->bios_reboot_timeout);
        fputs("/>\n", f);
}

static void format_os(FILE *f, const DomainOs *os) {
        fputs("  <os", f);
        put_attr_enum(f, "firmware", &domain_xml_firmware, os->firmware);
        fputs(">\n    <type", f);
        xml_put_attr(f, "arch", os->arch);
        xml_put_attr(f, "machine", os->machine);
        fputc('>', f);
        xml_put_escaped(f, os->type ?: "hvm", /* attr= */ false);
        fputs("</type>\n", f);
        format_os_firmware(f, os);
        format_os_loader(f, os);
        format_os_nvram(f, os);
        put_text(f, 2, "kernel", os->kernel);
        put_text(f, 2, "initrd", os->initrd);
        put_text(f, 2, "cmdline", os->cmdline);
        for (size_t i = 0; i < os->n_boot; i++) {
                fputs("    <boot", f);
                put_attr_enum(f, "dev", &domain_xml_boot_dev, os->boot[i]);
                fputs("/>\n", f);
        }
        if (os->bootmenu != DOMAIN_TRISTATE_ABSENT) {
                fputs("    <bootmenu", f);
                put_attr_enum(f, "enable", &xml_enum_yes_no, os->bootmenu);
                if (os->bootmenu_timeout_set)
                        put_attr_uint(f, "timeout", os->bootmenu_timeout);
                fputs("/>\n", f);
        }
        format_os_bios(f, os);
        if (os->smbios_mode) {
                fputs("    <smbios", f);
                put_attr_enum(f, "mode", &domain_xml_smbios_mode, os->smbios_mode);
                fputs("/>\n", f);
        }
        fputs("  </os>\n", f);
}

static void format_pm_state(FILE *f, const char *name, DomainTristate enabled) {
        if (enabled == DOMAIN_TRISTATE_ABSENT)
                return;
        fprintf(f, "    <%s", name);
        put_attr_enum(f, "enabled", &xml_enum_yes_no, enabled);
        fputs("/>\n", f);
}

static void format_lifecycle(FILE *f, const Domain *d) {
        put_text(f, 1, "on_poweroff", domain_lifecycle_action_to_string(d->on_poweroff));
        put_text(f, 1, "on_reboot", domain_lifecycle_action_to_string(d->on_reboot));
        put_text(f, 1, "on_crash", domain_lifecycle_action_to_string(d->on_crash));
        xml_schema_format(f, 1, &domain_xml_on_lockfailure, &d->on_lockfailure);
        xml_schema_format(f, 1, &domain_xml_perf, &d->perf);
        if (!d->pm.suspend_to_mem && !d->pm.suspend_to_disk)
                return;
        fputs("  <pm>\n", f);
        format_pm_state(f, "suspend-to-mem", d->pm.suspend_to_mem);
        format_pm_state(f, "suspend-to-disk", d->pm.suspend_to_disk);
        fputs("  </pm>\n", f);
}

static void format_boot_order(FILE *f, unsigned order) {
        if (order > 0)
                fprintf(f, "      <boot order='%u'/>\n", order);
}

static void format_disk(FILE *f, const DomainDisk *disk) {
        fputs("    <disk", f);
        put_attr_enum(f, "type", &domain_xml_disk_type, disk->type);
        put_attr_enum(f, "device", &domain_xml_disk_device, disk->device);
        put_attr_enum(f, "rawio", &xml_enum_yes_no, disk->rawio);
        put_attr_enum(f, "sgio", &domain_xml_disk_sgio, disk->sgio);
        fputs(">\n", f);
        xml_schema_format(f, 3, &domain_xml_disk_driver, disk);
        if (disk->source) {
                fputs("      <source", f);
                xml_put_attr(f, disk->type == DOMAIN_DISK_TYPE_BLOCK ? "dev" : "file", disk->source);
                put_attr_enum(f, "startupPolicy", &domain_xml_disk_startup_policy, disk->startup_policy);
                fputs("/>\n", f);
        }
        if (disk->backing_store_none)
                fputs("      <backingStore/>\n", f);
        xml_schema_format(f, 3, &domain_xml_disk_geometry, &disk->geometry);
        xml_schema_format(f, 3, &domain_xml_disk_blockio, &disk->blockio);
        fputs("      <target", f);
        xml_put_attr(f, "dev", disk->target_dev);
        put_attr_enum(f, "bus", &domain_xml_disk_bus, disk->bus);
        put_attr_enum(f, "tray", &domain_xml_disk_tray, disk->tray);
        put_attr_enum(f, "removable", &xml_enum_on_off, disk->removable);
        if (disk->rotation_rate)
                put_attr_uint(f, "rotation_rate", disk->rotation_rate);
        fputs("/>\n", f);
        if (disk->readonly)
                fputs("      <readonly/>\n", f);
        if (disk->shareable)
                fputs("      <shareable/>\n", f);
        put_text(f, 3, "serial", disk->serial);
        put_text(f, 3, "wwn", disk->wwn);
        put_text(f, 3, "vendor", disk->vendor);
        put_text(f, 3, "product", disk->product);
        format_boot_order(f, disk->boot_order);
        domain_xml_format_device_info(f, 3, &disk->info);
        fputs("    </disk>\n", f);
}

static void format_interface(FILE *f, const DomainInterface *iface) {
        const uint8_t *m = iface->mac;

        fputs("    <interface", f);
        put_attr_enum(f, "type", &domain_xml_net_type, iface->type);
        fputs(">\n", f);
        fprintf(f, "      <mac address='%02x:%02x:%02x:%02x:%02x:%02x'/>\n", m[0], m[1], m[2], m[3], m[4],
                m[5]);
        if (iface->model) {
                fputs("      <model", f);
                xml_put_attr(f, "type", iface->model);
                fputs("/>\n", f);
        }
        format_boot_order(f, iface->boot_order);
        domain_xml_format_device_info(f, 3, &iface->info);
        fputs("    </interface>\n", f);
}

static void format_char_source(FILE *f, const DomainChar *ch) {
        if (!ch->path || ch->path_auto)
                return;
        fputs("      <source", f);
        if (ch->type == DOMAIN_CHAR_UNIX)
                put_attr_enum(f, "mode", &domain_xml_char_mode, ch->unix_listen);
        xml_put_attr(f, "path", ch->path);
        if (ch->type == DOMAIN_CHAR_FILE && ch->append)
                xml_put_attr(f, "append", "on");
        fputs("/>\n", f);
}

static const XmlEnum *char_targets(DomainCharKind kind) {
        switch (kind) {
        case DOMAIN_CHAR_SERIAL: return &domain_xml_serial_target;
        case DOMAIN_CHAR_CONSOLE: return &domain_xml_console_target;
        default: return &domain_xml_channel_target;
        }
}

static bool char_has_target(const DomainChar *ch) {
        return ch->target_type != DOMAIN_CHAR_TARGET_DEFAULT || ch->target_port >= 0 ||
               ch->target_model != DOMAIN_CHAR_MODEL_DEFAULT;
}

static void format_char_target(FILE *f, const DomainChar *ch) {
        fputs("      <target", f);
        put_attr_enum(f, "type", char_targets(ch->kind), ch->target_type);
        if (ch->target_port >= 0)
                put_attr_uint(f, "port", (unsigned) ch->target_port);
        xml_put_attr(f, "name", ch->target_name);
        put_attr_enum(f, "state", &domain_xml_channel_state, ch->target_state);
        if (ch->target_model == DOMAIN_CHAR_MODEL_DEFAULT) {
                fputs("/>\n", f);
                return;
        }
        fputs(">\n        <model", f);
        put_attr_enum(f, "name", &domain_xml_serial_model, ch->target_model);
        fputs("/>\n      </target>\n", f);
}

static void format_char(FILE *f, const DomainChar *ch) {
        static const char *const elements[] = {
                [DOMAIN_CHAR_SERIAL] = "serial",
                [DOMAIN_CHAR_CONSOLE] = "console",
                [DOMAIN_CHAR_CHANNEL] = "channel",
        };
        const char *element = elements[ch->kind];
        bool target = char_has_target(ch);

        fprintf(f, "    <%s", element);
        put_attr_enum(f, "type", &domain_xml_char_type, ch->type);
        if ((!ch->path || ch->path_auto) && !target && !ch->info.alias && !ch->info.address) {
                fputs("/>\n", f);
                return;
        }
        fputs(">\n", f);
        format_char_source(f, ch);
        if (target)
                format_char_target(f, ch);
        domain_xml_format_device_info(f, 3, &ch->info);
        fprintf(f, "    </%s>\n", element);
}

/* Writers of each kind for the devices table (domain-xml-devices.c). */
#define FORMAT_ALL(fn, type, array, count, format_one)    \
        void fn(FILE *f, int level, const void *domain) { \
                const Domain *d = domain;                 \
                for (size_t i = 0; i < d->count; i++)     \
                        format_one(f, &d->array[i]);      \
        }

FORMAT_ALL(domain_xml_format_disks, DomainDisk, disks, n_disks, format_disk)
FORMAT_ALL(domain_xml_format_interfaces, DomainInterface, interfaces, n_interfaces, format_interface)

static void format_chars_of(FILE *f, const Domain *d, DomainCharKind kind) {
        for (size_t i = 0; i < d->n_chars; i++)
                if (d->chars[i].kind == kind)
                        format_char(f, &d->chars[i]);
}

void domain_xml_format_serials(FILE *f, int level, const void *domain) {
        format_chars_of(f, domain, DOMAIN_CHAR_SERIAL);
}

void domain_xml_format_consoles(FILE *f, int level, const void *domain) {
        format_chars_of(f, domain, DOMAIN_CHAR_CONSOLE);
}

void domain_xml_format_channels(FILE *f, int level, const void *domain) {
        format_chars_of(f, domain, DOMAIN_CHAR_CHANNEL);
}

/* After <devices>, where libvirt puts it; only the attributes given. */
static void format_seclabel(FILE *f, const DomainSeclabel *sec) {
        if (!sec->present)
                return;
        fputs("  <seclabel", f);
        xml_put_attr(f, "type", domain_seclabel_type_to_string(sec->type));
        xml_put_attr(f, "model", sec->model);
        put_attr_enum(f, "relabel", &xml_enum_yes_no, sec->relabel);
        if (!sec->label && !sec->imagelabel) {
                fputs("/>\n", f);
                return;
        }
        fputs(">\n", f);
        put_text(f, 2, "label", sec->label);
        put_text(f, 2, "imagelabel", sec->imagelabel);
        fputs("  </seclabel>\n", f);
}

static void format_qemu(FILE *f, const Domain *d) {
        if (d->n_qemu_args == 0 && d->n_qemu_env == 0)
                return;
        fputs("  <qemu:commandline>\n", f);
        for (size_t i = 0; i < d->n_qemu_args; i++) {
                fputs("    <qemu:arg", f);
                xml_put_attr(f, "value", d->qemu_args[i]);
                fputs("/>\n", f);
        }
        for (size_t i = 0; i < d->n_qemu_env; i++) {
                fputs("    <qemu:env", f);
                xml_put_attr(f, "name", d->qemu_env[i].name);
                xml_put_attr(f, "value", d->qemu_env[i].value);
                fputs("/>\n", f);
        }
        fputs("  </qemu:commandline>\n", f);
}

/* Run format(f, arg) into a new string. */
static int format_to_string(void (*format)(FILE *f, const void *arg), const void *arg, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        format(f, arg);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

static void format_domain(FILE *f, const void *arg) {
        const Domain *d = arg;

        format_header(f, d);
        format_resources(f, d);
        xml_schema_format(f, 1, &domain_xml_resource, &d->resource);
        xml_schema_format(f, 1, &domain_xml_sysinfo, &d->sysinfo);
        format_os(f, &d->os);
        xml_schema_format(f, 1, &domain_xml_features, &d->features);
        if (d->cpu.present)
                xml_schema_format(f, 1, &domain_xml_cpu, &d->cpu);
        xml_schema_format(f, 1, &domain_xml_clock, &d->clock);
        format_lifecycle(f, d);
        xml_schema_format(f, 1, &domain_xml_devices, d);
        format_seclabel(f, &d->seclabel);
        format_qemu(f, d);
        fputs("</domain>\n", f);
}

static void format_one_disk(FILE *f, const void *arg) {
        format_disk(f, arg);
}

int domain_format_xml(const Domain *d, char **ret) {
        return format_to_string(format_domain, d, ret);
}

int domain_format_disk_xml(const DomainDisk *disk, char **ret) {
        return format_to_string(format_one_disk, disk, ret);
}
