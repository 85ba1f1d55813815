/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * capabilities: what this host offers a domain: the host's arch, KVM and
 * active security driver; per emulator its version, machine types (aliases,
 * default), CPU models and device models; the firmware descriptors that
 * the firmware selection (firmware-desc.h) chooses from. As text in
 * sections, or with --xml as XML shaped like virsh capabilities +
 * domcapabilities, but small. Fast: QEMU runs only for -version and the
 * `help` listings (cached, qemu-caps.h), never as a VM (libvirt's QMP
 * probing takes seconds).
 */
#include <fcntl.h>
#include <libxml/tree.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "config.h"
#include "ctl.h"
#include "firmware-desc.h"
#include "label.h"
#include "log.h"
#include "qemu-argv.h"
#include "qemu-caps.h"
#include "strv.h"

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
static const LabelBackend *pick_secmodel(const VmunitConfig *config, bool *ret_unusable) {
        const LabelBackend *const order[] = { &label_backend_selinux, &label_backend_apparmor };
        const LabelBackend *wanted = NULL;
        LabelContext probe_ctx = { .config = config };

        switch (config->security_driver) {
        case SECURITY_DRIVER_SELINUX: wanted = &label_backend_selinux; break;
        case SECURITY_DRIVER_APPARMOR: wanted = &label_backend_apparmor; break;
        case SECURITY_DRIVER_NONE: wanted = &label_backend_none; break;
        default: break;
        }
        /* An explicit MAC that is absent makes every start fail closed:
         * say so here rather than leave it to the first start. */
        *ret_unusable = wanted && wanted->probe && wanted->probe(&probe_ctx) <= 0;
        if (wanted)
                return wanted;
        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                if (order[i]->probe(&probe_ctx) > 0)
                        return order[i];
        return &label_backend_none;
}

static void add_secmodel(xmlNode *host, const VmunitConfig *config) {
        bool unusable;
        const LabelBackend *pick = pick_secmodel(config, &unusable);
        xmlNode *sec = xmlNewChild(host, NULL, BAD_CAST "secmodel", NULL);

        xmlNewTextChild(sec, NULL, BAD_CAST "model", BAD_CAST pick->name);
        xmlNewTextChild(sec, NULL, BAD_CAST "configured",
                        BAD_CAST security_driver_to_string(config->security_driver));
        if (pick == &label_backend_selinux)
                add_selinux_baselabels(sec);
        if (unusable)
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

/* ---- what is gathered once, then printed as text or XML ---- */

typedef struct Emulator {
        const char *path;
        char *version; /* NULL: it did not say */
        QemuCaps caps;
        int caps_error; /* < 0: caps is empty because asking failed */
} Emulator;

typedef struct Host {
        const char *arch;
        bool kvm;
        const VmunitConfig *config;
        Emulator *emulators;
        size_t n_emulators;
        FirmwareDescList firmware;
} Host;

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

/* As QEMU's spec and libvirt: a user's own descriptors count only for a
 * non-root caller ($XDG_CONFIG_HOME, else ~/.config). */
static char *user_config_dir(void) {
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        char *p = NULL;

        if (geteuid() == 0)
                return NULL;
        if (xdg && xdg[0] == '/')
                return strdup(xdg);
        if (home && home[0] == '/' && asprintf(&p, "%s/.config", home) < 0)
                return NULL;
        return p;
}

static int gather(Ctl *ctl, const Strv *paths, Host *h) {
        _cleanup_free_ char *cache = NULL, *user = user_config_dir();
        int r;

        if (asprintf(&cache, "%s/caps", ctl->paths.run_dir) < 0)
                return -ENOMEM;
        h->emulators = calloc(paths->n ?: 1, sizeof(Emulator));
        if (!h->emulators)
                return -ENOMEM;
        for (size_t i = 0; i < paths->n; i++) {
                Emulator *e = &h->emulators[h->n_emulators++];
                e->path = paths->items[i];
                e->version = qemu_version(e->path);
                /* The same cache the supervisor reads (when we may). */
                e->caps_error = qemu_caps_probe(e->path, cache, &e->caps);
        }
        r = firmware_desc_load(/* root= */ NULL, user, &h->firmware);
        return r;
}

static void host_done(Host *h) {
        for (size_t i = 0; i < h->n_emulators; i++) {
                free(h->emulators[i].version);
                qemu_caps_done(&h->emulators[i].caps);
        }
        free(h->emulators);
        firmware_desc_list_done(&h->firmware);
}

static bool firmware_for_arch(const FirmwareDesc *d, const char *arch) {
        for (size_t i = 0; i < d->n_targets; i++)
                if (streq(d->targets[i].architecture, arch))
                        return true;
        return false;
}

/* ---- XML ---- */

static void xml_machines(xmlNode *arch, const QemuCaps *c) {
        for (size_t i = 0; i < c->machines.n; i++) {
                const char *name = c->machines.items[i], *canon = qemu_caps_machine_canonical(c, name);
                xmlNode *m = xmlNewTextChild(arch, NULL, BAD_CAST "machine", BAD_CAST name);

                if (canon != name)
                        xmlNewProp(m, BAD_CAST "canonical", BAD_CAST canon);
                if (streq_ptr(c->default_machine, name))
                        xmlNewProp(m, BAD_CAST "default", BAD_CAST "yes");
        }
}

static void xml_cpu_and_devices(xmlNode *arch, const QemuCaps *c) {
        xmlNode *cpu = xmlNewChild(arch, NULL, BAD_CAST "cpu", NULL), *devices;

        for (size_t i = 0; i < c->cpu_models.n; i++)
                xmlNewTextChild(cpu, NULL, BAD_CAST "model", BAD_CAST c->cpu_models.items[i]);
        devices = xmlNewChild(arch, NULL, BAD_CAST "devices", NULL);
        for (size_t i = 0; i < c->devices.n && i < c->device_categories.n; i++)
                xmlNewProp(xmlNewTextChild(devices, NULL, BAD_CAST "model", BAD_CAST c->devices.items[i]),
                           BAD_CAST "category", BAD_CAST c->device_categories.items[i]);
}

/* One descriptor -> <loader>; only firmware whose executable is
 * installed is offered. */
static void xml_firmware(xmlNode *os, const FirmwareDesc *d) {
        xmlNode *loader;

        if (!d->executable || access(d->executable, R_OK) < 0 || d->device == FIRMWARE_DEVICE_KERNEL)
                return;
        loader = xmlNewTextChild(os, NULL, BAD_CAST "loader", BAD_CAST d->executable);
        xmlNewProp(loader, BAD_CAST "type", BAD_CAST(d->device == FIRMWARE_DEVICE_FLASH ? "pflash" : "rom"));
        xmlNewProp(loader, BAD_CAST "interface",
                   BAD_CAST(d->interface_mask & (1u << FIRMWARE_INTERFACE_UEFI) ? "uefi" : "bios"));
        xmlNewProp(loader, BAD_CAST "secure",
                   BAD_CAST(d->features & FIRMWARE_FEATURE_SECURE_BOOT ? "yes" : "no"));
        if (d->features & FIRMWARE_FEATURE_REQUIRES_SMM)
                xmlNewProp(loader, BAD_CAST "smm", BAD_CAST "yes");
        if (d->features & FIRMWARE_FEATURE_ENROLLED_KEYS)
                xmlNewProp(loader, BAD_CAST "enrolled_keys", BAD_CAST "yes");
        if (d->device == FIRMWARE_DEVICE_FLASH)
                xmlNewProp(loader, BAD_CAST "mode", BAD_CAST firmware_flash_mode_to_string(d->mode));
        if (d->nvram_template)
                xmlNewProp(loader, BAD_CAST "nvram_template", BAD_CAST d->nvram_template);
        xmlNewProp(loader, BAD_CAST "descriptor", BAD_CAST d->path);
}

/* QEMU's built-in default for pc/q35: SeaBIOS, where Debian or upstream
 * installs it (Debian ships no descriptor for it). */
static void xml_seabios(xmlNode *os) {
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

static void xml_guest(xmlNode *caps, const Host *h, const Emulator *e) {
        xmlNode *guest, *arch, *emu, *os;

        guest = xmlNewChild(caps, NULL, BAD_CAST "guest", NULL);
        xmlNewTextChild(guest, NULL, BAD_CAST "os_type", BAD_CAST "hvm");
        arch = xmlNewChild(guest, NULL, BAD_CAST "arch", NULL);
        xmlNewProp(arch, BAD_CAST "name", BAD_CAST h->arch);
        emu = xmlNewTextChild(arch, NULL, BAD_CAST "emulator", BAD_CAST e->path);
        if (e->version)
                xmlNewProp(emu, BAD_CAST "version", BAD_CAST e->version);
        xmlNewProp(xmlNewChild(arch, NULL, BAD_CAST "domain", NULL), BAD_CAST "type", BAD_CAST "qemu");
        if (h->kvm)
                xmlNewProp(xmlNewChild(arch, NULL, BAD_CAST "domain", NULL), BAD_CAST "type",
                           BAD_CAST "kvm");
        xml_machines(arch, &e->caps);
        xml_cpu_and_devices(arch, &e->caps);
        os = xmlNewChild(arch, NULL, BAD_CAST "os", NULL);
        xml_seabios(os);
        for (size_t i = 0; i < h->firmware.n; i++)
                if (firmware_for_arch(&h->firmware.items[i], h->arch))
                        xml_firmware(os, &h->firmware.items[i]);
}

static void print_xml(const Host *h) {
        _cleanup_(xml_doc_freep) xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
        xmlNode *caps = xmlNewNode(NULL, BAD_CAST "capabilities"), *host;

        xmlDocSetRootElement(doc, caps);
        host = xmlNewChild(caps, NULL, BAD_CAST "host", NULL);
        xmlNewTextChild(xmlNewChild(host, NULL, BAD_CAST "cpu", NULL), NULL, BAD_CAST "arch",
                        BAD_CAST h->arch);
        add_secmodel(host, h->config);
        for (size_t i = 0; i < h->n_emulators; i++)
                xml_guest(caps, h, &h->emulators[i]);
        xmlDocFormatDump(stdout, doc, 1);
}

/* ---- text ---- */

/* Words after a label, wrapped at about 100 columns. */
static void print_words(const char *label, char *const *words, size_t n) {
        size_t col = printf("  %s:", label);

        for (size_t i = 0; i < n; i++) {
                if (col + 1 + strlen(words[i]) > 100 && col > 4 + strlen(label))
                        col = printf("\n   ");
                col += printf(" %s", words[i]);
        }
        putchar('\n');
}

static void text_emulator(const Emulator *e) {
        const QemuCaps *c = &e->caps;

        printf("\nEmulator %s\n  version: %s\n", e->path, e->version ?: "unknown");
        if (e->caps_error < 0) {
                printf("  cannot list its machine types, CPU models and devices: %s\n",
                       strerror(-e->caps_error));
                return;
        }
        printf("\nMachine types (%zu; * default, alias -> machine type):\n", c->machines.n);
        for (size_t i = 0; i < c->machines.n; i++) {
                const char *name = c->machines.items[i], *canon = qemu_caps_machine_canonical(c, name);
                printf("  %s%s%s%s\n", name, canon != name ? " -> " : "", canon != name ? canon : "",
                       streq_ptr(c->default_machine, name) ? " *" : "");
        }
        printf("\nCPU models (%zu):\n", c->cpu_models.n);
        print_words("models", c->cpu_models.items, c->cpu_models.n);
        printf("\nDevice models (%zu):\n", c->devices.n);
        /* Grouped by the heading QEMU lists them under, in its order. */
        for (size_t i = 0; i < c->devices.n && i < c->device_categories.n;) {
                size_t j = i;
                while (j < c->devices.n &&
                       streq(c->device_categories.items[j], c->device_categories.items[i]))
                        j++;
                print_words(c->device_categories.items[i], c->devices.items + i, j - i);
                i = j;
        }
}

static void text_firmware(const FirmwareDesc *d) {
        printf("  %s (%s)\n", d->name, d->path);
        if (d->description)
                printf("    description: %s\n", d->description);
        printf("    interface:");
        for (size_t i = 0; i < d->interfaces.n; i++)
                printf(" %s", d->interfaces.items[i]);
        printf("\n    mapping: %s", firmware_device_to_string(d->device));
        if (d->device == FIRMWARE_DEVICE_FLASH)
                printf(" (%s)", firmware_flash_mode_to_string(d->mode));
        printf("\n    executable: %s", d->executable);
        if (d->executable_format)
                printf(" (%s)", d->executable_format);
        printf("%s\n", access(d->executable, R_OK) < 0 ? " [not installed]" : "");
        if (d->nvram_template)
                printf("    nvram template: %s (%s)%s\n", d->nvram_template, d->nvram_template_format,
                       access(d->nvram_template, R_OK) < 0 ? " [not installed]" : "");
        printf("    features:");
        for (size_t i = 0; i < d->feature_names.n; i++)
                printf(" %s", d->feature_names.items[i]);
        printf("%s\n", d->feature_names.n ? "" : " none");
        for (size_t i = 0; i < d->n_targets; i++) {
                printf("    target: %s:", d->targets[i].architecture);
                for (size_t j = 0; j < d->targets[i].machines.n; j++)
                        printf(" %s", d->targets[i].machines.items[j]);
                putchar('\n');
        }
}

static void print_text(const Host *h) {
        bool unusable;
        const LabelBackend *sec = pick_secmodel(h->config, &unusable);

        printf("Host\n  architecture: %s\n  kvm: %s\n  security model: %s%s (configured: %s)\n", h->arch,
               h->kvm ? "yes" : "no", sec->name, unusable ? " [not usable: starts fail]" : "",
               security_driver_to_string(h->config->security_driver));
        for (size_t i = 0; i < h->n_emulators; i++)
                text_emulator(&h->emulators[i]);
        printf("\nFirmware descriptors (%zu, in selection order):\n", h->firmware.n);
        for (size_t i = 0; i < h->firmware.n; i++)
                text_firmware(&h->firmware.items[i]);
        for (size_t i = 0; i < h->firmware.invalid.n; i++)
                printf("  ignored: %s\n", h->firmware.invalid.items[i]);
}

int ctl_cmd_capabilities(Ctl *ctl, int argc, char **argv) {
        _cleanup_(config_done) VmunitConfig config = {};
        _cleanup_strv_ Strv paths = {};
        _cleanup_free_ char *err = NULL;
        struct utsname u;
        Host h = {};
        bool xml = argc == 1 && streq(argv[0], "--xml");
        int r;

        if (!xml && ctl_expect_args(argc, 0, "capabilities [--xml]") < 0)
                return 1;
        if (config_init_defaults(&config) < 0 || config_load(ctl->paths.config_file, &config, &err) < 0)
                return log_error("%s", err ?: "Failed to load the configuration"), 1;
        if (uname(&u) < 0 || find_emulators(&config, &paths) < 0)
                return log_error_errno(negative_errno(), "Failed to inspect the host: %m"), 1;
        h = (Host){ .arch = u.machine, .kvm = kvm_usable(), .config = &config };
        r = gather(ctl, &paths, &h);
        if (r < 0) {
                host_done(&h);
                return log_error_errno(r, "Failed to read the firmware descriptors: %m"), 1;
        }
        if (xml)
                print_xml(&h);
        else
                print_text(&h);
        host_done(&h);
        return 0;
}
