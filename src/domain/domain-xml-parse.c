/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cpuset.h"
#include "domain-xml-internal.h"
#include "domain-xml.h"
#include "fs-util.h"

/*
 * The top of the domain XML: document handling, <domain> and everything
 * outside <devices>. Each element has one handler; the children each
 * element may have are listed in a table next to its handler, so what is
 * accepted can be read off the tables.
 */

#define DOMAIN_FILE_MAX (16U * 1024U * 1024U)

typedef struct ParseState {
        Domain *d;
        /* kept for the whole-domain checks that run after the children */
        xmlNode *root, *current_memory, *vcpu, *cpu, *os;
} ParseState;

static void xml_doc_freep(xmlDoc **p) {
        if (*p)
                xmlFreeDoc(*p);
}

static void xml_parser_ctxt_freep(xmlParserCtxt **p) {
        if (*p)
                xmlFreeParserCtxt(*p);
}

static void xml_node_freep(xmlNode **p) {
        if (*p)
                xmlFreeNode(*p);
}

static void xml_buffer_freep(xmlBuffer **p) {
        if (*p)
                xmlBufferFree(*p);
}

static int parse_name(XmlCtx *c, xmlNode *n, void *userdata) {
        ParseState *s = userdata;
        const char *why = NULL;
        int r;

        r = xml_text_no_attrs(c, n, &s->d->name);
        if (r < 0)
                return r;
        if (domain_name_check(s->d->name, &why) < 0)
                return xml_fail(c, n, "invalid domain name: %s", why);
        return 0;
}

static int parse_uuid(XmlCtx *c, xmlNode *n, void *userdata) {
        ParseState *s = userdata;
        _cleanup_free_ char *text = NULL;
        int r;

        r = xml_text_no_attrs(c, n, &text);
        if (r < 0)
                return r;
        if (domain_uuid_parse(text, s->d->uuid) < 0)
                return xml_fail(c, n, "invalid UUID '%s'", text);
        s->d->uuid_given = true;
        return 0;
}

static int parse_title(XmlCtx *c, xmlNode *n, void *userdata) {
        ParseState *s = userdata;
        int r;

        r = xml_text_no_attrs(c, n, &s->d->title);
        if (r < 0)
                return r;
        if (strchr(s->d->title, '\n'))
                return xml_fail(c, n, "title must be a single line");
        return 0;
}

static int parse_description(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_text_no_attrs(c, n, &((ParseState *) userdata)->d->description);
}

/* <metadata> is other applications' business: keep it as serialized XML.
 * A copy is serialized rather than the node itself so that namespaces
 * declared further up (say on <domain>) are declared on the copy and the
 * string is a self-contained element that parses again on its own. */
static int parse_metadata(XmlCtx *c, xmlNode *n, void *userdata) {
        _cleanup_(xml_node_freep) xmlNode *copy = NULL;
        _cleanup_(xml_buffer_freep) xmlBuffer *buf = NULL;
        ParseState *s = userdata;
        int r;

        r = xml_check_attrs(c, n, NULL);
        if (r < 0)
                return r;
        copy = xmlDocCopyNode(n, n->doc, /* recursive= */ 1);
        buf = xmlBufferCreate();
        if (!copy || !buf || xmlNodeDump(buf, n->doc, copy, 0, /* format= */ 0) < 0)
                return -ENOMEM;
        return free_and_strdup(&s->d->metadata_xml, (const char *) xmlBufferContent(buf));
}

static int parse_memory(XmlCtx *c, xmlNode *n, void *userdata) {
        ParseState *s = userdata;
        int r;

        r = xml_text_kib(c, n, &s->d->memory_kib);
        if (r < 0)
                return r;
        if (s->d->memory_kib == 0)
                return xml_fail(c, n, "memory size must be greater than zero");
        return 0;
}

static int parse_current_memory(XmlCtx *c, xmlNode *n, void *userdata) {
        ParseState *s = userdata;
        int r;

        r = xml_text_kib(c, n, &s->d->current_memory_kib);
        if (r < 0)
                return r;
        if (s->d->current_memory_kib == 0)
                return xml_fail(c, n, "memory size must be greater than zero");
        s->current_memory = n;
        return 0;
}

XML_ENUM_DEFINE_STATIC(vcpu_placement, { "static", false }, { "auto", true });

static int parse_vcpu(XmlCtx *c, xmlNode *n, void *userdata) {
        ParseState *s = userdata;
        Domain *d = s->d;
        CpuSet set;
        uint64_t v;
        int r, placement = false;

        r = xml_check_attrs(c, n, (const char *const[]){ "placement", "cpuset", "current", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "placement", &vcpu_placement, false, &placement);
        if (r >= 0)
                r = xml_attr_string(c, n, "cpuset", false, &d->vcpu_cpuset);
        if (r >= 0)
                r = xml_attr_unsigned(c, n, "current", 1, DOMAIN_VCPUS_MAX, false, &d->vcpus_current);
        if (r >= 0)
                r = xml_text_uint(c, n, 1, DOMAIN_VCPUS_MAX, &v);
        if (r < 0)
                return r;
        d->vcpus = (unsigned) v;
        d->vcpu_placement_auto = placement;
        if (d->vcpu_cpuset && cpuset_parse(d->vcpu_cpuset, DOMAIN_CPUSET_MAX, &set) < 0)
                return xml_fail(c, n, "invalid cpuset '%s'", d->vcpu_cpuset);
        s->vcpu = n;
        return 0;
}

/* Top-level parts described by tables: the handler hands the element to
 * its description. */
#define TABLE_HANDLER(fn, elem, field)                              \
        static int fn(XmlCtx *c, xmlNode *n, void *userdata) {      \
                Domain *d = ((ParseState *) userdata)->d;           \
                return xml_schema_parse(c, n, &elem, &d->field, d); \
        }

TABLE_HANDLER(parse_vcpus, domain_xml_vcpus, vcpu_list)
TABLE_HANDLER(parse_cputune, domain_xml_cputune, cputune)
TABLE_HANDLER(parse_max_memory, domain_xml_max_memory, max_memory)
TABLE_HANDLER(parse_memory_backing, domain_xml_memory_backing, memory_backing)
TABLE_HANDLER(parse_iothreads, domain_xml_iothreads, iothreads)
TABLE_HANDLER(parse_iothreadids, domain_xml_iothreadids, iothreadids)
TABLE_HANDLER(parse_numatune, domain_xml_numatune, numatune)

static int parse_hard_limit(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_text_kib(c, n, &((Domain *) userdata)->memtune_hard_limit_kib);
}

static int parse_soft_limit(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_text_kib(c, n, &((Domain *) userdata)->memtune_soft_limit_kib);
}

static int parse_memtune(XmlCtx *c, xmlNode *n, void *userdata) {
        static const XmlChild children[] = {
                { "hard_limit", parse_hard_limit, 0 },
                { "soft_limit", parse_soft_limit, 0 },
        };

        return XML_PARSE_CONTAINER(c, n, children, ((ParseState *) userdata)->d);
}

static int parse_os_type(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainOs *os = userdata;
        int r;

        r = xml_check_attrs(c, n, (const char *const[]){ "arch", "machine", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "arch", false, &os->arch);
        if (r >= 0)
                r = xml_attr_string(c, n, "machine", false, &os->machine);
        if (r >= 0)
                r = xml_text(c, n, &os->type);
        if (r < 0)
                return r;
        if (!streq(os->type, "hvm"))
                return xml_fail(c, n, "unsupported OS type '%s' (expected: hvm)", os->type);
        return 0;
}

static int parse_os_boot(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainOs *os = userdata;
        int r, dev;

        r = xml_check_attrs(c, n, (const char *const[]){ "dev", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "dev", &domain_xml_boot_dev, true, &dev);
        if (r < 0)
                return r;
        if (os->n_boot >= DOMAIN_BOOT_MAX)
                return xml_fail(c, n, "too many boot devices (at most %d)", DOMAIN_BOOT_MAX);
        os->boot[os->n_boot++] = dev;
        return 0;
}

static int parse_os_bootmenu(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainOs *os = userdata;
        int r, v;

        r = xml_check_attrs(c, n, (const char *const[]){ "enable", "timeout", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "enable", &xml_enum_yes_no, true, &v);
        if (r >= 0 && xmlHasProp(n, BAD_CAST "timeout")) {
                r = xml_attr_unsigned(c, n, "timeout", 0, 65535, true, &os->bootmenu_timeout);
                os->bootmenu_timeout_set = r >= 0;
        }
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r < 0)
                return r;
        os->bootmenu = v;
        return 0;
}

/* <smbios mode=>: 'host' is refused when QEMU's command line is built
 * (it needs the host's /sys/firmware/dmi tables). */
static int parse_os_smbios(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainOs *os = userdata;
        int r, mode;

        r = xml_check_attrs(c, n, (const char *const[]){ "mode", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "mode", &domain_xml_smbios_mode, true, &mode);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r >= 0)
                os->smbios_mode = mode;
        return r;
}

/* <acpi><table type='slic'>: a licensing table copied from the host's
 * firmware into the guest. */
static int parse_os_acpi(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_fail_soft(c, n,
                             "element 'acpi' is not supported: extra ACPI tables (SLIC) are not passed "
                             "to the guest");
}

/* rebootTimeout: milliseconds before SeaBIOS retries when no boot device
 * worked, or -1 for never (libvirt's range). */
static int parse_os_bios(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainOs *os = userdata;
        _cleanup_free_ char *timeout = NULL;
        int r, serial = os->bios_useserial;
        char *end = NULL;
        long v;

        r = xml_check_attrs(c, n, (const char *const[]){ "useserial", "rebootTimeout", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "useserial", &xml_enum_yes_no, false, &serial);
        if (r >= 0)
                r = xml_attr_string(c, n, "rebootTimeout", false, &timeout);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r < 0)
                return r;
        os->bios_useserial = serial;
        if (!timeout)
                return 0;
        errno = 0;
        v = strtol(timeout, &end, 10);
        if (errno != 0 || end == timeout || *end || v < -1 || v > 65535)
                return xml_fail(c, n, "invalid rebootTimeout '%s' (expected -1 to 65535)", timeout);
        os->bios_reboot_timeout = (int) v;
        os->bios_reboot_timeout_set = true;
        return 0;
}

/* <firmware><feature enabled='yes|no' name='secure-boot|enrolled-keys'/>:
 * what firmware='efi' must pick from QEMU's descriptors. */
static int parse_os_firmware_feature(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainOs *os = userdata;
        int r, enabled, name;

        r = xml_check_attrs(c, n, (const char *const[]){ "enabled", "name", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "enabled", &xml_enum_yes_no, true, &enabled);
        if (r >= 0)
                r = xml_attr_enum(c, n, "name", &domain_xml_firmware_feature, true, &name);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r < 0)
                return r;
        *(name == 0 ? &os->fw_secure_boot : &os->fw_enrolled_keys) = enabled;
        return 0;
}

static int parse_os_firmware(XmlCtx *c, xmlNode *n, void *userdata) {
        static const XmlChild children[] = {
                { "feature", parse_os_firmware_feature, XML_CHILD_MULTI },
        };
        int r;

        r = xml_check_attrs(c, n, (const char *const[]){ NULL });
        if (r < 0)
                return r;
        return XML_PARSE_CHILDREN(c, n, children, userdata);
}

static int parse_os_kernel(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_text_path(c, n, "kernel", &((DomainOs *) userdata)->kernel);
}

static int parse_os_initrd(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_text_path(c, n, "initrd", &((DomainOs *) userdata)->initrd);
}

static int parse_os_cmdline(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_text_no_attrs(c, n, &((DomainOs *) userdata)->cmdline);
}

static int parse_os_loader(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainOs *os = userdata;
        int r, type = os->loader_type, ro = os->loader_readonly, secure = os->loader_secure,
               stateless = os->loader_stateless, format = os->loader_format;

        r = xml_check_attrs(
                c, n, (const char *const[]){ "readonly", "type", "secure", "stateless", "format", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "readonly", &xml_enum_yes_no, false, &ro);
        if (r >= 0)
                r = xml_attr_enum(c, n, "stateless", &xml_enum_yes_no, false, &stateless);
        if (r >= 0)
                r = xml_attr_enum(c, n, "format", &domain_xml_firmware_format, false, &format);
        if (r >= 0)
                r = xml_attr_enum(c, n, "type", &domain_xml_loader_type, false, &type);
        if (r >= 0)
                r = xml_attr_enum(c, n, "secure", &xml_enum_yes_no, false, &secure);
        if (r >= 0)
                r = xml_text_optional(c, n, &os->loader);
        if (r >= 0)
                r = xml_check_absolute(c, n, "loader", os->loader);
        if (r < 0)
                return r;
        os->loader_type = type;
        os->loader_readonly = ro;
        os->loader_secure = secure;
        os->loader_stateless = stateless;
        os->loader_format = format;
        return 0;
}

static int parse_os_nvram(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainOs *os = userdata;
        int r, format = os->nvram_format, template_format = os->nvram_template_format;

        r = xml_check_attrs(c, n, (const char *const[]){ "template", "templateFormat", "format", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "template", false, &os->nvram_template);
        if (r >= 0)
                r = xml_attr_enum(c, n, "templateFormat", &domain_xml_firmware_format, false,
                                  &template_format);
        if (r >= 0)
                r = xml_attr_enum(c, n, "format", &domain_xml_firmware_format, false, &format);
        if (r >= 0)
                os->nvram_format = format;
        if (r >= 0)
                os->nvram_template_format = template_format;
        /* The store is created as a byte copy of the template, as libvirt
         * does: a template of one format cannot become a store of the
         * other (libvirt refuses that conversion too). */
        if (r >= 0 && format && template_format && format != template_format)
                return xml_fail(c, n,
                                "templateFormat='%s' differs from format='%s': the variable store is a copy "
                                "of the template, and converting it is not supported",
                                xml_enum_to_string(&domain_xml_firmware_format, template_format),
                                xml_enum_to_string(&domain_xml_firmware_format, format));
        if (r >= 0)
                r = xml_text_optional(c, n, &os->nvram);
        if (r >= 0)
                r = xml_check_absolute(c, n, "nvram", os->nvram);
        if (r >= 0)
                r = xml_check_absolute(c, n, "nvram template", os->nvram_template);
        return r;
}

static int parse_os(XmlCtx *c, xmlNode *n, void *userdata) {
        static const XmlChild children[] = {
                { "type", parse_os_type, XML_CHILD_REQUIRED },
                { "boot", parse_os_boot, XML_CHILD_MULTI },
                { "bootmenu", parse_os_bootmenu, 0 },
                { "kernel", parse_os_kernel, 0 },
                { "initrd", parse_os_initrd, 0 },
                { "cmdline", parse_os_cmdline, 0 },
                { "loader", parse_os_loader, 0 },
                { "nvram", parse_os_nvram, 0 },
                { "bios", parse_os_bios, 0 },
                { "smbios", parse_os_smbios, 0 },
                { "acpi", parse_os_acpi, 0 },
                { "firmware", parse_os_firmware, 0 },
        };
        ParseState *s = userdata;
        DomainOs *os = &s->d->os;
        int r, firmware = os->firmware;

        r = xml_check_attrs(c, n, (const char *const[]){ "firmware", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "firmware", &domain_xml_firmware, false, &firmware);
        if (r < 0)
                return r;
        os->firmware = firmware;
        s->os = n;
        return XML_PARSE_CHILDREN(c, n, children, os);
}

static int parse_features(XmlCtx *c, xmlNode *n, void *userdata) {
        Domain *d = ((ParseState *) userdata)->d;
        return xml_schema_parse(c, n, &domain_xml_features, &d->features, d);
}

static int parse_cpu(XmlCtx *c, xmlNode *n, void *userdata) {
        ParseState *s = userdata;

        s->cpu = n;
        return xml_schema_parse(c, n, &domain_xml_cpu, &s->d->cpu, s->d);
}

static int parse_clock(XmlCtx *c, xmlNode *n, void *userdata) {
        Domain *d = ((ParseState *) userdata)->d;
        return xml_schema_parse(c, n, &domain_xml_clock, &d->clock, d);
}

TABLE_HANDLER(parse_resource, domain_xml_resource, resource)
TABLE_HANDLER(parse_sysinfo, domain_xml_sysinfo, sysinfo)
TABLE_HANDLER(parse_perf, domain_xml_perf, perf)
TABLE_HANDLER(parse_blkiotune, domain_xml_blkiotune, blkiotune)
TABLE_HANDLER(parse_on_lockfailure, domain_xml_on_lockfailure, on_lockfailure)

/* Confidential-computing guests (SEV, SEV-SNP, TDX, s390 PV) need host
 * firmware, measured launch and key handling vmunit does not have. */
static int parse_launch_security(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_fail_soft(c, n,
                             "element 'launchSecurity' is not supported: confidential guests (SEV, TDX) "
                             "need a measured launch vmunit does not do");
}

static int parse_genid(XmlCtx *c, xmlNode *n, void *userdata) {
        Domain *d = ((ParseState *) userdata)->d;
        return xml_schema_parse(c, n, &domain_xml_genid, &d->genid, d);
}

static int lifecycle(XmlCtx *c, xmlNode *n, DomainLifecycleAction *ret) {
        int r, v;

        r = xml_check_attrs(c, n, NULL);
        if (r >= 0)
                r = xml_text_enum(c, n, &domain_xml_lifecycle, &v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

static int pm_state(XmlCtx *c, xmlNode *n, DomainTristate *ret) {
        int r, enabled;

        r = xml_check_attrs(c, n, (const char *const[]){ "enabled", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, n, "enabled", &xml_enum_yes_no, true, &enabled);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r >= 0)
                *ret = enabled;
        return r;
}

static int parse_pm_mem(XmlCtx *c, xmlNode *n, void *userdata) {
        return pm_state(c, n, &((DomainPm *) userdata)->suspend_to_mem);
}

static int parse_pm_disk(XmlCtx *c, xmlNode *n, void *userdata) {
        return pm_state(c, n, &((DomainPm *) userdata)->suspend_to_disk);
}

static int parse_pm(XmlCtx *c, xmlNode *n, void *userdata) {
        static const XmlChild children[] = {
                { "suspend-to-mem", parse_pm_mem, 0 },
                { "suspend-to-disk", parse_pm_disk, 0 },
        };

        return XML_PARSE_CONTAINER(c, n, children, &((ParseState *) userdata)->d->pm);
}

static int parse_on_poweroff(XmlCtx *c, xmlNode *n, void *userdata) {
        return lifecycle(c, n, &((ParseState *) userdata)->d->on_poweroff);
}

static int parse_on_reboot(XmlCtx *c, xmlNode *n, void *userdata) {
        return lifecycle(c, n, &((ParseState *) userdata)->d->on_reboot);
}

static int parse_on_crash(XmlCtx *c, xmlNode *n, void *userdata) {
        return lifecycle(c, n, &((ParseState *) userdata)->d->on_crash);
}

static int parse_devices(XmlCtx *c, xmlNode *n, void *userdata) {
        return domain_xml_parse_devices(c, n, ((ParseState *) userdata)->d);
}

static int parse_qemu_arg(XmlCtx *c, xmlNode *n, void *userdata) {
        Domain *d = userdata;
        char **args;
        int r;

        /* keep the array NULL-terminated at every step */
        args = reallocarray(d->qemu_args, d->n_qemu_args + 2, sizeof(char *));
        if (!args)
                return -ENOMEM;
        d->qemu_args = args;
        args[d->n_qemu_args] = args[d->n_qemu_args + 1] = NULL;
        r = xml_check_attrs(c, n, (const char *const[]){ "value", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "value", true, &args[d->n_qemu_args]);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (args[d->n_qemu_args])
                d->n_qemu_args++;
        return r < 0 ? r : 0;
}

static bool env_name_valid(const char *s) {
        if (!*s || (*s >= '0' && *s <= '9'))
                return false;
        for (; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", *s))
                        return false;
        return true;
}

static int parse_qemu_env(XmlCtx *c, xmlNode *n, void *userdata) {
        Domain *d = userdata;
        DomainQemuEnv *e;
        int r;

        e = xml_array_append(&d->qemu_env, &d->n_qemu_env, sizeof(*e));
        if (!e)
                return -ENOMEM;
        r = xml_check_attrs(c, n, (const char *const[]){ "name", "value", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "name", true, &e->name);
        if (r >= 0)
                r = xml_attr_string(c, n, "value", false, &e->value);
        if (r >= 0)
                r = xml_check_no_children(c, n);
        if (r < 0)
                return r;
        if (!env_name_valid(e->name))
                return xml_fail(c, n, "invalid environment variable name '%s'", e->name);
        return 0;
}

static int parse_qemu_commandline(XmlCtx *c, xmlNode *n, void *userdata) {
        static const XmlChild children[] = {
                { "arg", parse_qemu_arg, XML_CHILD_MULTI | XML_CHILD_QEMU },
                { "env", parse_qemu_env, XML_CHILD_MULTI | XML_CHILD_QEMU },
        };

        return XML_PARSE_CONTAINER(c, n, children, ((ParseState *) userdata)->d);
}

/* ---- <seclabel> ---- */

#define SECLABEL_LABEL_MAX 4096

XML_ENUM_DEFINE_STATIC(seclabel_model, { "selinux", DOMAIN_XML_STRING }, { "apparmor", DOMAIN_XML_STRING });

static bool chars_in(const char *s, size_t n, const char *set) {
        for (size_t i = 0; i < n; i++)
                if (!s[i] || !strchr(set, s[i]))
                        return false;
        return true;
}

/*
 * SELinux context syntax, "user:role:type[:range]": the parser cannot
 * ask libselinux (it is not linked here, and the policy may differ from
 * the host that starts the VM), so check the shape and a conservative
 * alphabet. The label reaches setexeccon()/setfilecon() and the journal,
 * which is line- and space-separated: no whitespace or control
 * characters may pass.
 */
static bool selinux_context_valid(const char *s) {
        static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
        const char *p = s;

        for (int field = 0; field < 3; field++) {
                size_t n = strcspn(p, ":");
                if (n == 0 || !chars_in(p, n, name_chars))
                        return false;
                p += n;
                if (field < 2 && *p++ != ':')
                        return false;
        }
        if (*p == '\0')
                return true;
        p++; /* the ':' before the range */
        return *p &&
               chars_in(p, strlen(p), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,:-");
}

/* AppArmor profile names (or, with no model, either kind of label): a
 * name that cannot be read as anything but one word. */
static bool profile_name_valid(const char *s) {
        return *s && *s != '-' &&
               chars_in(s, strlen(s),
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,:/@+=-");
}

static int seclabel_text(XmlCtx *c, xmlNode *n, const char *model, char **ret) {
        int r;

        r = xml_text_no_attrs(c, n, ret);
        if (r < 0)
                return r;
        if (strlen(*ret) > SECLABEL_LABEL_MAX)
                return xml_fail(c, n, "label is too long (at most %d bytes)", SECLABEL_LABEL_MAX);
        if (streq_ptr(model, "selinux") && !selinux_context_valid(*ret))
                return xml_fail(c, n, "invalid SELinux context '%s' (expected user:role:type:range)", *ret);
        if (!streq_ptr(model, "selinux") && !profile_name_valid(*ret))
                return xml_fail(c, n, "invalid security label '%s'", *ret);
        return 0;
}

static int parse_seclabel_label(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainSeclabel *sec = userdata;
        return seclabel_text(c, n, sec->model, &sec->label);
}

static int parse_seclabel_imagelabel(XmlCtx *c, xmlNode *n, void *userdata) {
        DomainSeclabel *sec = userdata;

        /* An image label is always a file context, whatever the model. */
        if (sec->model && !streq(sec->model, "selinux"))
                return xml_fail(c, n, "<imagelabel> is only meaningful with model='selinux'");
        return seclabel_text(c, n, "selinux", &sec->imagelabel);
}

static int parse_seclabel_baselabel(XmlCtx *c, xmlNode *n, void *userdata) {
        return xml_fail(c, n, "<baselabel> is not supported yet");
}

/* The combinations libvirt accepts, checked once every part is read. */
static int seclabel_check(XmlCtx *c, xmlNode *n, const DomainSeclabel *sec) {
        switch (sec->type) {
        case DOMAIN_SECLABEL_STATIC:
                if (!sec->label)
                        return xml_fail(c, n, "type='static' requires a <label>");
                if (sec->imagelabel && sec->relabel != DOMAIN_TRISTATE_ON)
                        return xml_fail(c, n, "<imagelabel> requires relabel='yes'");
                return 0;
        case DOMAIN_SECLABEL_NONE:
                if (sec->label || sec->imagelabel)
                        return xml_fail(c, n, "type='none' takes no <label> or <imagelabel>");
                if (sec->relabel == DOMAIN_TRISTATE_ON)
                        return xml_fail(c, n, "type='none' cannot be combined with relabel='yes'");
                return 0;
        default: /* dynamic, given or by default */
                if (sec->label || sec->imagelabel)
                        return xml_fail(c, n, "a dynamic seclabel takes no <label> or <imagelabel>");
                if (sec->relabel == DOMAIN_TRISTATE_OFF)
                        return xml_fail(c, n, "a dynamic seclabel requires relabel='yes'");
                return 0;
        }
}

static int seclabel_attrs(XmlCtx *c, xmlNode *n, DomainSeclabel *sec) {
        _cleanup_free_ char *type = NULL, *model = NULL;
        int r, relabel = DOMAIN_TRISTATE_ABSENT, t = DOMAIN_SECLABEL_DEFAULT;

        r = xml_check_attrs(c, n, (const char *const[]){ "type", "model", "relabel", NULL });
        if (r >= 0)
                r = xml_attr_string(c, n, "type", false, &type);
        if (r >= 0)
                r = xml_attr_string(c, n, "model", false, &model);
        if (r >= 0)
                r = xml_attr_enum(c, n, "relabel", &xml_enum_yes_no, false, &relabel);
        if (r < 0)
                return r;
        if (type) {
                t = domain_seclabel_type_from_string(type);
                if (t < 0)
                        return xml_fail(c, n, "invalid seclabel type '%s' (expected: dynamic, static, none)",
                                        type);
        }
        if (streq_ptr(model, "dac"))
                return xml_fail(c, n, "seclabel model 'dac' is not supported yet");
        if (model && xml_enum_from_string(&seclabel_model, model) < 0)
                return xml_fail(c, n, "invalid seclabel model '%s' (expected: selinux, apparmor)", model);
        sec->type = t;
        sec->relabel = relabel;
        sec->model = TAKE_PTR(model);
        return 0;
}

/* One <seclabel> at most: libvirt allows one per model, but only one MAC
 * is ever active here and a second (dac) label is not supported. */
static int parse_seclabel(XmlCtx *c, xmlNode *n, void *userdata) {
        static const XmlChild children[] = {
                { "label", parse_seclabel_label, 0 },
                { "imagelabel", parse_seclabel_imagelabel, 0 },
                { "baselabel", parse_seclabel_baselabel, 0 },
        };
        DomainSeclabel *sec = &((ParseState *) userdata)->d->seclabel;
        int r;

        if (sec->present)
                return xml_fail(c, n, "only one <seclabel> is supported");
        sec->present = true;
        r = seclabel_attrs(c, n, sec);
        if (r >= 0)
                r = XML_PARSE_CHILDREN(c, n, children, sec);
        if (r >= 0)
                r = seclabel_check(c, n, sec);
        return r;
}

static const XmlChild domain_children[] = {
        { "name", parse_name, XML_CHILD_REQUIRED },
        { "uuid", parse_uuid, 0 },
        { "genid", parse_genid, 0 },
        { "title", parse_title, 0 },
        { "description", parse_description, 0 },
        { "metadata", parse_metadata, 0 },
        { "maxMemory", parse_max_memory, 0 },
        { "memory", parse_memory, XML_CHILD_REQUIRED },
        { "currentMemory", parse_current_memory, 0 },
        { "blkiotune", parse_blkiotune, 0 },
        { "memtune", parse_memtune, 0 },
        { "memoryBacking", parse_memory_backing, 0 },
        { "vcpu", parse_vcpu, 0 },
        { "vcpus", parse_vcpus, 0 },
        { "iothreads", parse_iothreads, 0 },
        { "iothreadids", parse_iothreadids, 0 },
        { "cputune", parse_cputune, 0 },
        { "numatune", parse_numatune, 0 },
        { "resource", parse_resource, 0 },
        { "sysinfo", parse_sysinfo, 0 },
        { "os", parse_os, XML_CHILD_REQUIRED },
        { "features", parse_features, 0 },
        { "cpu", parse_cpu, 0 },
        { "clock", parse_clock, 0 },
        { "on_poweroff", parse_on_poweroff, 0 },
        { "on_reboot", parse_on_reboot, 0 },
        { "on_crash", parse_on_crash, 0 },
        { "on_lockfailure", parse_on_lockfailure, 0 },
        { "perf", parse_perf, 0 },
        { "pm", parse_pm, 0 },
        { "devices", parse_devices, 0 },
        { "seclabel", parse_seclabel, XML_CHILD_MULTI },
        { "launchSecurity", parse_launch_security, 0 },
        { "commandline", parse_qemu_commandline, XML_CHILD_QEMU },
};

/* Checks across elements, after all of them were read. */
static int domain_check(XmlCtx *c, const ParseState *s) {
        const Domain *d = s->d;
        int r;

        if (d->current_memory_kib > d->memory_kib)
                return xml_fail(c, s->current_memory, "currentMemory is larger than memory");
        if (d->vcpus_current > d->vcpus)
                return xml_fail(c, s->vcpu, "current vCPUs (%u) exceed the maximum (%u)", d->vcpus_current,
                                d->vcpus);
        if (s->cpu) {
                r = domain_xml_cpu_check_domain(c, s->cpu, d);
                if (r < 0)
                        return r;
        }
        r = domain_xml_vcpus_check(c, s->root, d);
        if (r < 0)
                return r;
        r = domain_xml_tuning_check(c, s->root, d);
        if (r < 0)
                return r;
        if (d->os.n_boot > 0 && domain_has_device_boot_order(d))
                return xml_fail(c, s->os,
                                "per-device boot order cannot be combined with <boot dev=...> in <os>");
        return 0;
}

static int parse_domain_element(XmlCtx *c, xmlNode *root, Domain **ret) {
        _cleanup_domain_ Domain *d = NULL;
        ParseState s = { .root = root };
        int r, type;

        if (root->ns || !xmlStrEqual(root->name, (const xmlChar *) "domain"))
                return xml_fail(c, root, "root element must be 'domain'");
        d = calloc(1, sizeof(Domain));
        if (!d)
                return -ENOMEM;
        s.d = d;
        d->vcpus = 1;
        r = xml_check_attrs(c, root, (const char *const[]){ "type", "id", NULL });
        if (r >= 0)
                r = xml_attr_enum(c, root, "type", &domain_xml_virt_type, true, &type);
        if (r >= 0)
                r = xml_attr_uint(c, root, "id", 1, INT32_MAX, false, &d->id.value);
        d->id.set = r > 0;
        if (r >= 0)
                r = xml_parse_children_all(c, root, domain_children, ELEMENTSOF(domain_children), &s);
        /* Checks across elements see only a complete model. */
        if (r >= 0 && c->n_errors > 0)
                r = -EINVAL;
        if (r >= 0)
                r = domain_check(c, &s);
        if (r >= 0 && !d->uuid_given)
                r = domain_uuid_generate(d->uuid);
        if (r < 0)
                return r;
        d->virt_type = type;
        *ret = TAKE_PTR(d);
        return 0;
}

/* libxml2 reports through the parser context's structured handler; we
 * keep the first error and nothing reaches stderr. */
static void libxml_error(void *userdata, xmlError *e) {
        xmlParserCtxt *ctxt = userdata;
        XmlCtx *c = ctxt->_private;
        _cleanup_free_ char *msg = NULL, *line = NULL;
        size_t len;

        if (c->error || e->level < XML_ERR_ERROR)
                return;
        msg = strdup(e->message ?: "malformed XML");
        if (!msg)
                return;
        for (char *p = msg; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        len = strlen(msg);
        while (len > 0 && msg[len - 1] == ' ')
                msg[--len] = 0;
        /* libxml2 quotes the document too (a URI, an unfinished CDATA
         * section): its other control characters are written \xNN. */
        if (asprintf(&line, "%s:%d: %s", c->filename, e->line, msg) < 0)
                line = NULL;
        else
                c->error = cescape(line, SIZE_MAX);
}

/* The DTD node carries no line number: find the declaration ourselves. */
static unsigned doctype_line(const char *buf, size_t len) {
        const char *p = memmem(buf, len, "<!DOCTYPE", strlen("<!DOCTYPE"));
        unsigned line = 1;

        for (const char *q = buf; p && q < p; q++)
                line += *q == '\n';
        return line;
}

/* No entity substitution (XML_PARSE_NOENT stays off), no network, and a
 * document type declaration is refused outright: domain XML never needs
 * one and it is the door to entity tricks. */
static int read_document(XmlCtx *c, const char *buf, size_t len, xmlDoc **ret) {
        _cleanup_(xml_parser_ctxt_freep) xmlParserCtxt *ctxt = NULL;
        xmlDoc *doc;

        if (len > INT_MAX)
                return -EFBIG;
        ctxt = xmlNewParserCtxt();
        if (!ctxt)
                return -ENOMEM;
        ctxt->_private = c;
        ctxt->sax->serror = libxml_error;
        doc = xmlCtxtReadMemory(ctxt, buf, (int) len, c->filename, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                        XML_PARSE_BIG_LINES);
        if (doc && c->error) {
                /* not fatal to libxml2 (an undeclared namespace prefix, say), but to us */
                xmlFreeDoc(doc);
                return -EINVAL;
        }
        if (!doc) {
                if (!c->error && asprintf(&c->error, "%s:1: malformed XML", c->filename) < 0)
                        c->error = NULL;
                return c->error ? -EINVAL : -ENOMEM;
        }
        if (doc->intSubset || doc->extSubset) {
                xmlFreeDoc(doc);
                if (asprintf(&c->error, "%s:%u: document type declarations are not supported", c->filename,
                             doctype_line(buf, len)) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        *ret = doc;
        return 0;
}

int domain_parse_buffer(const char *buf, size_t len, const char *filename, Domain **ret, char **ret_error) {
        _cleanup_(xml_doc_freep) xmlDoc *doc = NULL;
        XmlCtx c = { .filename = filename ?: "<buffer>" };
        xmlNode *root;
        int r;

        r = read_document(&c, buf, len, &doc);
        if (r >= 0) {
                root = xmlDocGetRootElement(doc);
                r = root ? parse_domain_element(&c, root, ret) : -EINVAL;
                if (!root && asprintf(&c.error, "%s:1: no root element", c.filename) < 0)
                        c.error = NULL;
        }
        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(c.error);
        free(c.error);
        return r;
}

/* A hotplug fragment: the root is the <disk> itself, read into an empty
 * Domain by the same handler <devices> uses, so both accept the same. */
static int parse_disk_element(XmlCtx *c, xmlNode *root, Domain **ret) {
        _cleanup_domain_ Domain *d = NULL;
        int r;

        if (root->ns || !xmlStrEqual(root->name, (const xmlChar *) "disk"))
                return xml_fail(c, root, "unsupported device <%s>: only <disk> can be attached or detached",
                                (const char *) root->name);
        d = calloc(1, sizeof(Domain));
        if (!d)
                return -ENOMEM;
        r = domain_xml_parse_disk(c, root, d);
        if (r >= 0 && c->n_errors > 0)
                r = -EINVAL;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

int domain_parse_disk_fragment(const char *buf, size_t len, const char *filename, Domain **ret,
                               char **ret_error) {
        _cleanup_(xml_doc_freep) xmlDoc *doc = NULL;
        XmlCtx c = { .filename = filename ?: "<fragment>" };
        xmlNode *root;
        int r;

        r = read_document(&c, buf, len, &doc);
        if (r >= 0) {
                root = xmlDocGetRootElement(doc);
                r = root ? parse_disk_element(&c, root, ret) : -EINVAL;
                if (!root && asprintf(&c.error, "%s:1: no root element", c.filename) < 0)
                        c.error = NULL;
        }
        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(c.error);
        free(c.error);
        return r;
}

static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        return read_all_fd(fd, DOMAIN_FILE_MAX, ret, ret_len);
}

int domain_parse_file(const char *path, Domain **ret, char **ret_error) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        r = read_file(path, &buf, &len);
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "%s: cannot read: %s", path, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        return domain_parse_buffer(buf, len, path, ret, ret_error);
}
