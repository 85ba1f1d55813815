/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * capabilities: what this host offers a domain, as XML shaped like virsh
 * capabilities + domcapabilities, but small: the host's arch and active
 * security driver; per emulator its version, accelerators, machine types,
 * CPU models and firmware. Fast: QEMU runs only for -version and the two
 * `help` listings, never as a VM (libvirt's QMP probing takes seconds).
 */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libxml/tree.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "config.h"
#include "ctl.h"
#include "label.h"
#include "log.h"
#include "qemu-argv.h"
#include "qemu-caps.h"
#include "strv.h"

#define FIRMWARE_SYSTEM_DIR "/usr/share/qemu/firmware"
#define FIRMWARE_ADMIN_DIR "/etc/qemu/firmware"

static void xml_doc_freep(xmlDoc **d) {
        if (*d)
                xmlFreeDoc(*d);
}

/* ---- host ---- */

/* As libvirt: the process label of each domain type, before the VM's
 * category pair is added. A TCG guest (type='qemu') runs in a domain of
 * its own (svirt_tcg_t), because only it needs execmem. */
static void add_selinux_baselabels(xmlNode *sec) {
        _cleanup_free_ char *kvm = NULL, *tcg = NULL;
        xmlNode *n;

        if (label_selinux_base_labels(&kvm, &tcg) < 0)
                return;
        n = xmlNewTextChild(sec, NULL, BAD_CAST "baselabel", BAD_CAST kvm);
        xmlNewProp(n, BAD_CAST "type", BAD_CAST "kvm");
        n = xmlNewTextChild(sec, NULL, BAD_CAST "baselabel", BAD_CAST tcg);
        xmlNewProp(n, BAD_CAST "type", BAD_CAST "qemu");
}

/* What the label manager (src/label/label.c, pick_mac) would choose:
 * an explicit driver must probe usable, "auto" takes SELinux, then
 * AppArmor, else none. Probes run as this process, as the supervisor's
 * would in the same mode. */
static void add_secmodel(xmlNode *host, const VmunitConfig *config) {
        const LabelBackend *const order[] = { &label_backend_selinux, &label_backend_apparmor };
        const LabelBackend *pick = &label_backend_none, *wanted = NULL;
        LabelContext probe_ctx = { .config = config };
        xmlNode *sec = xmlNewChild(host, NULL, BAD_CAST "secmodel", NULL);

        switch (config->security_driver) {
        case SECURITY_DRIVER_SELINUX: wanted = &label_backend_selinux; break;
        case SECURITY_DRIVER_APPARMOR: wanted = &label_backend_apparmor; break;
        case SECURITY_DRIVER_NONE: wanted = &label_backend_none; break;
        default: break;
        }
        if (wanted)
                pick = wanted;
        else
                for (size_t i = 0; i < ELEMENTSOF(order); i++)
                        if (order[i]->probe(&probe_ctx) > 0) {
                                pick = order[i];
                                break;
                        }
        xmlNewTextChild(sec, NULL, BAD_CAST "model", BAD_CAST pick->name);
        xmlNewTextChild(sec, NULL, BAD_CAST "configured",
                        BAD_CAST security_driver_to_string(config->security_driver));
        if (pick == &label_backend_selinux)
                add_selinux_baselabels(sec);
        /* An explicit MAC that is absent makes every start fail closed:
         * say so here rather than leave it to the first start. */
        if (wanted && wanted->probe && wanted->probe(&probe_ctx) <= 0)
                xmlNewProp(sec, BAD_CAST "usable", BAD_CAST "no");
        /* DAC as label.c uses it: root handing files to QEMU's identity. */
        if (config->dynamic_ownership && geteuid() == 0)
                xmlNewTextChild(xmlNewChild(host, NULL, BAD_CAST "secmodel", NULL), NULL, BAD_CAST "model",
                                BAD_CAST "dac");
}

/* KVM is usable when /dev/kvm opens and speaks the stable API (12). */
static bool kvm_usable(void) {
        _cleanup_close_ int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        return fd >= 0 && ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
}

/* ---- QEMU's own listings (qemu_help_lines(), qemu-caps.h) ---- */

/* "QEMU emulator version 7.2.22 (Debian ...)" -> "7.2.22". */
static char *qemu_version(const char *emulator) {
        _cleanup_strv_ Strv lines = {};
        const char *p;

        if (qemu_help_lines(emulator, "-version", NULL, &lines) < 0 || lines.n == 0)
                return NULL;
        p = strstr(lines.items[0], "version ");
        if (!p)
                return NULL;
        p += strlen("version ");
        return strndup(p, strcspn(p, " "));
}

/* `-machine help`: "NAME   DESCRIPTION [(alias of X)] [(default)]". */
static void add_machines(xmlNode *arch, const char *emulator) {
        _cleanup_strv_ Strv lines = {};

        if (qemu_help_lines(emulator, "-machine", "help", &lines) < 0)
                return;
        for (size_t i = 1; i < lines.n; i++) { /* 0: "Supported machines are:" */
                const char *l = lines.items[i], *alias = strstr(l, "(alias of ");
                _cleanup_free_ char *name = strndup(l, strcspn(l, " "));
                xmlNode *m;

                if (!name || !*name)
                        continue;
                m = xmlNewTextChild(arch, NULL, BAD_CAST "machine", BAD_CAST name);
                if (alias) {
                        _cleanup_free_ char *canon = NULL;
                        alias += strlen("(alias of ");
                        canon = strndup(alias, strcspn(alias, ")"));
                        if (canon)
                                xmlNewProp(m, BAD_CAST "canonical", BAD_CAST canon);
                }
                if (strstr(l, "(default)"))
                        xmlNewProp(m, BAD_CAST "default", BAD_CAST "yes");
        }
}

/* `-cpu help`: "x86 NAME   description" lines, then the CPUID flags. */
static void add_cpu_models(xmlNode *arch, const char *emulator) {
        _cleanup_strv_ Strv lines = {};
        xmlNode *cpu;

        if (qemu_help_lines(emulator, "-cpu", "help", &lines) < 0)
                return;
        cpu = xmlNewChild(arch, NULL, BAD_CAST "cpu", NULL);
        for (size_t i = 0; i < lines.n; i++) {
                const char *l = lines.items[i];
                _cleanup_free_ char *name = NULL;

                if (strncmp(l, "x86 ", 4) != 0)
                        continue;
                l += 4 + strspn(l + 4, " ");
                name = strndup(l, strcspn(l, " "));
                if (name && *name)
                        xmlNewTextChild(cpu, NULL, BAD_CAST "model", BAD_CAST name);
        }
}

/* ---- firmware ---- */

static const char *json_str(json_object *o, const char *k1, const char *k2) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, k1, &v) || (k2 && !json_object_object_get_ex(v, k2, &v)))
                return NULL;
        return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool json_array_has(json_object *o, const char *key, const char *value) {
        json_object *a;

        if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(a); i++)
                if (streq_ptr(json_object_get_string(json_object_array_get_idx(a, i)), value))
                        return true;
        return false;
}

static bool firmware_for_arch(json_object *fw, const char *arch) {
        json_object *targets;

        if (!json_object_object_get_ex(fw, "targets", &targets) ||
            !json_object_is_type(targets, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(targets); i++)
                if (streq_ptr(json_str(json_object_array_get_idx(targets, i), "architecture", NULL), arch))
                        return true;
        return false;
}

/* One QEMU firmware descriptor (docs/interop/firmware.json) -> <loader>.
 * Only firmware whose executable is installed is offered. */
static void add_firmware_file(xmlNode *os, const char *path, const char *arch) {
        json_object *fw = json_object_from_file(path);
        const char *device, *exe = NULL, *nvram = NULL, *iface;
        xmlNode *loader;

        if (!fw)
                return;
        device = json_str(fw, "mapping", "device");
        if (streq_ptr(device, "flash")) {
                json_object *mapping;
                json_object_object_get_ex(fw, "mapping", &mapping);
                exe = json_str(mapping, "executable", "filename");
                nvram = json_str(mapping, "nvram-template", "filename");
        } else if (streq_ptr(device, "memory"))
                exe = json_str(fw, "mapping", "filename");
        iface = json_array_has(fw, "interface-types", "uefi") ? "uefi" : "bios";
        if (exe && access(exe, R_OK) == 0 && firmware_for_arch(fw, arch)) {
                loader = xmlNewTextChild(os, NULL, BAD_CAST "loader", BAD_CAST exe);
                xmlNewProp(loader, BAD_CAST "type", BAD_CAST(streq(device, "flash") ? "pflash" : "rom"));
                xmlNewProp(loader, BAD_CAST "interface", BAD_CAST iface);
                xmlNewProp(loader, BAD_CAST "secure",
                           BAD_CAST(json_array_has(fw, "features", "secure-boot") ? "yes" : "no"));
                if (json_array_has(fw, "features", "requires-smm"))
                        xmlNewProp(loader, BAD_CAST "smm", BAD_CAST "yes");
                if (nvram)
                        xmlNewProp(loader, BAD_CAST "nvram_template", BAD_CAST nvram);
        }
        json_object_put(fw);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The firmware spec's search: descriptors in /usr/share/qemu/firmware,
 * overridden by a same-named file in /etc/qemu/firmware (an empty one
 * masks it), taken in file-name order (the names carry the priority). */
static void add_firmware_descriptors(xmlNode *os, const char *arch) {
        const char *const dirs[] = { FIRMWARE_SYSTEM_DIR, FIRMWARE_ADMIN_DIR };
        _cleanup_strv_ Strv names = {};

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                DIR *d = opendir(dirs[i]);
                struct dirent *de;
                while (d && (de = readdir(d))) {
                        size_t n = strlen(de->d_name);
                        bool seen = false;
                        if (n <= 5 || !streq(de->d_name + n - 5, ".json"))
                                continue;
                        for (size_t j = 0; j < names.n; j++)
                                seen = seen || streq(names.items[j], de->d_name);
                        if (!seen)
                                (void) strv_push(&names, de->d_name);
                }
                if (d)
                        closedir(d);
        }
        if (names.n)
                qsort(names.items, names.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < names.n; i++) {
                _cleanup_free_ char *admin = NULL, *system = NULL;
                struct stat st;
                if (asprintf(&admin, FIRMWARE_ADMIN_DIR "/%s", names.items[i]) < 0 ||
                    asprintf(&system, FIRMWARE_SYSTEM_DIR "/%s", names.items[i]) < 0)
                        return;
                if (stat(admin, &st) == 0) {
                        if (st.st_size > 0)
                                add_firmware_file(os, admin, arch);
                } else
                        add_firmware_file(os, system, arch);
        }
}

/* QEMU's built-in default for pc/q35: SeaBIOS, where Debian or upstream
 * installs it. */
static void add_seabios(xmlNode *os) {
        const char *const paths[] = { "/usr/share/seabios/bios-256k.bin", "/usr/share/qemu/bios-256k.bin" };

        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (access(paths[i], R_OK) == 0) {
                        xmlNode *l = xmlNewTextChild(os, NULL, BAD_CAST "loader", BAD_CAST paths[i]);
                        xmlNewProp(l, BAD_CAST "type", BAD_CAST "rom");
                        xmlNewProp(l, BAD_CAST "interface", BAD_CAST "bios");
                        xmlNewProp(l, BAD_CAST "secure", BAD_CAST "no");
                        return;
                }
}

/* ---- guests ---- */

static void add_guest(xmlNode *caps, const char *emulator, const char *arch_name, bool kvm) {
        _cleanup_free_ char *version = qemu_version(emulator);
        xmlNode *guest, *arch, *emu, *os;

        guest = xmlNewChild(caps, NULL, BAD_CAST "guest", NULL);
        xmlNewTextChild(guest, NULL, BAD_CAST "os_type", BAD_CAST "hvm");
        arch = xmlNewChild(guest, NULL, BAD_CAST "arch", NULL);
        xmlNewProp(arch, BAD_CAST "name", BAD_CAST arch_name);
        emu = xmlNewTextChild(arch, NULL, BAD_CAST "emulator", BAD_CAST emulator);
        if (version)
                xmlNewProp(emu, BAD_CAST "version", BAD_CAST version);
        xmlNewProp(xmlNewChild(arch, NULL, BAD_CAST "domain", NULL), BAD_CAST "type", BAD_CAST "qemu");
        if (kvm)
                xmlNewProp(xmlNewChild(arch, NULL, BAD_CAST "domain", NULL), BAD_CAST "type",
                           BAD_CAST "kvm");
        add_machines(arch, emulator);
        add_cpu_models(arch, emulator);
        os = xmlNewChild(arch, NULL, BAD_CAST "os", NULL);
        add_seabios(os);
        add_firmware_descriptors(os, arch_name);
}

/* The configured emulator and the built-in default, each once (the
 * configured one may be a symlink to the default). */
static int find_emulators(const VmunitConfig *config, Strv *ret) {
        const char *const candidates[] = { config->emulator, QEMU_DEFAULT_EMULATOR };
        _cleanup_strv_ Strv seen = {};

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                _cleanup_free_ char *real = NULL;
                bool dup = false;

                if (!candidates[i] || access(candidates[i], X_OK) < 0 ||
                    !(real = realpath(candidates[i], NULL)))
                        continue;
                for (size_t j = 0; j < seen.n; j++)
                        dup = dup || streq(seen.items[j], real);
                if (dup)
                        continue;
                if (strv_push(&seen, real) < 0 || strv_push(ret, candidates[i]) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int ctl_cmd_capabilities(Ctl *ctl, int argc, char **argv) {
        _cleanup_(xml_doc_freep) xmlDoc *doc = NULL;
        _cleanup_(config_done) VmunitConfig config = {};
        _cleanup_strv_ Strv emulators = {};
        _cleanup_free_ char *err = NULL;
        xmlNode *caps, *host;
        struct utsname u;
        bool kvm;

        if (ctl_expect_args(argc, 0, "capabilities") < 0)
                return 1;
        if (config_init_defaults(&config) < 0 || config_load(ctl->paths.config_file, &config, &err) < 0)
                return log_error("%s", err ?: "Failed to load the configuration"), 1;
        if (uname(&u) < 0 || find_emulators(&config, &emulators) < 0)
                return log_error_errno(negative_errno(), "Failed to inspect the host: %m"), 1;
        kvm = kvm_usable();
        doc = xmlNewDoc(BAD_CAST "1.0");
        caps = xmlNewNode(NULL, BAD_CAST "capabilities");
        xmlDocSetRootElement(doc, caps);
        host = xmlNewChild(caps, NULL, BAD_CAST "host", NULL);
        xmlNewTextChild(xmlNewChild(host, NULL, BAD_CAST "cpu", NULL), NULL, BAD_CAST "arch",
                        BAD_CAST u.machine);
        add_secmodel(host, &config);
        for (size_t i = 0; i < emulators.n; i++)
                add_guest(caps, emulators.items[i], u.machine, kvm);
        xmlDocFormatDump(stdout, doc, 1);
        return 0;
}
