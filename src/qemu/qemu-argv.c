/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain model -> QEMU 7.2 argv: machine-level options (machine, accel,
 * firmware, CPU, memory, SMP, clock, lifecycle, boot, QMP, sandbox) and
 * the small public helpers. Devices live in qemu-argv-devices.c.
 *
 * Every value that lands inside a QEMU key=value option string either
 * passes through qemu_opt_escape() or is checked against a known list /
 * a strict character set first, so nothing from the XML can smuggle an
 * extra option into QEMU's option parser.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "firmware-desc.h"
#include "paths.h"
#include "qemu-argv-internal.h"
#include "qemu-argv.h"
#include "qemu-disk.h"

#define QEMU_DEFAULT_STATE_DIR "/var/lib/vmunit"

int qemu_argv_fail(QemuArgvBuilder *b, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        if (b->error)
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return -ENOMEM;
        b->error = s;
        return -EINVAL;
}

int qemu_argv_add(QemuArgvBuilder *b, const char *opt, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        int r;

        r = strv_push(&b->argv, opt);
        if (r < 0)
                return r;
        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(&b->argv, s);
}

int qemu_argv_appendf(char **s, const char *fmt, ...) {
        _cleanup_free_ char *part = NULL;
        char *joined = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&part, fmt, ap);
        va_end(ap);
        if (r < 0) {
                part = NULL;
                return -ENOMEM;
        }
        if (!*s) {
                *s = TAKE_PTR(part);
                return 0;
        }
        if (asprintf(&joined, "%s,%s", *s, part) < 0)
                return -ENOMEM;
        free(*s);
        *s = joined;
        return 0;
}

int qemu_argv_file(QemuArgvBuilder *b, VmFileKind kind, const char *source, const char *opaque, char **ret,
                   const VmFile **ret_file) {
        const VmFiles *files = b->o->files;
        const VmFile *f;
        size_t i;
        int r;

        if (ret_file)
                *ret_file = NULL;
        if (!files) {
                *ret = strdup(source);
                return *ret ? 0 : -ENOMEM;
        }
        f = vm_files_find(files, kind, source);
        if (!f || (f->delivery != VM_FILE_BY_PATH && f->child_fd < 0))
                return qemu_argv_fail(b, "%s %s has no file descriptor for QEMU",
                                      vm_file_kind_to_string(kind), source);
        if (ret_file)
                *ret_file = f;
        switch (f->delivery) {
        case VM_FILE_BY_FDSET:
                i = (size_t) (f - files->items);
                if (!b->fdset_added[i]) {
                        r = qemu_argv_add(b, "-add-fd", "fd=%d,set=%u,opaque=%s", f->child_fd, f->fdset,
                                          opaque);
                        if (r < 0)
                                return r;
                        b->fdset_added[i] = true;
                }
                r = asprintf(ret, "/dev/fdset/%u", f->fdset);
                break;
        case VM_FILE_BY_PROC_FD: r = asprintf(ret, "/proc/self/fd/%d", f->child_fd); break;
        case VM_FILE_BY_FD: r = asprintf(ret, "%d", f->child_fd); break;
        default: *ret = strdup(source); return *ret ? 0 : -ENOMEM;
        }
        if (r < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

int qemu_argv_file_opt(QemuArgvBuilder *b, VmFileKind kind, const char *source, const char *opaque,
                       char **ret, const VmFile **ret_file) {
        _cleanup_free_ char *name = NULL;
        int r = qemu_argv_file(b, kind, source, opaque, &name, ret_file);

        if (r < 0)
                return r;
        *ret = qemu_opt_escape(name);
        return *ret ? 0 : -ENOMEM;
}

static int virtio_option(char **s, const char *name, DomainTristate v) {
        if (v == DOMAIN_TRISTATE_ABSENT)
                return 0;
        return qemu_argv_appendf(s, "%s=%s", name, v == DOMAIN_TRISTATE_ON ? "on" : "off");
}

int qemu_argv_virtio_options(char **s, const DomainVirtioOptions *o) {
        int r;

        r = virtio_option(s, "iommu_platform", o->iommu);
        if (r >= 0)
                r = virtio_option(s, "ats", o->ats);
        if (r >= 0)
                r = virtio_option(s, "packed", o->packed);
        if (r >= 0)
                r = virtio_option(s, "page-per-vq", o->page_per_vq);
        return r;
}

char *qemu_opt_escape(const char *s) {
        size_t n = 0;
        char *ret, *p;

        for (const char *c = s; *c; c++)
                n += *c == ',' ? 2 : 1;
        ret = malloc(n + 1);
        if (!ret)
                return NULL;
        p = ret;
        for (const char *c = s; *c; c++) {
                *p++ = *c;
                if (*c == ',')
                        *p++ = ',';
        }
        *p = '\0';
        return ret;
}

char *qemu_qmp_socket_path(const char *runtime_dir) {
        char *s = NULL;

        if (asprintf(&s, "%s/qmp.sock", runtime_dir) < 0)
                return NULL;
        return s;
}

char *qemu_channel_socket_path(const char *runtime_dir, const char *name) {
        char *s = NULL;

        if (asprintf(&s, "%s/" QEMU_CHANNEL_PREFIX "%s", runtime_dir, name) < 0)
                return NULL;
        return s;
}

int qemu_channel_fill(Domain *d, const char *runtime_dir) {
        for (size_t i = 0; i < d->n_chars; i++) {
                DomainChar *ch = &d->chars[i];

                if (ch->kind != DOMAIN_CHAR_CHANNEL || ch->type != DOMAIN_CHAR_UNIX || ch->path ||
                    !ch->target_name)
                        continue;
                ch->path = qemu_channel_socket_path(runtime_dir, ch->target_name);
                if (!ch->path)
                        return -ENOMEM;
                ch->path_auto = true;
                ch->unix_listen = true;
                if (strlen(ch->path) > UNIX_PATH_LIMIT)
                        return -ENAMETOOLONG;
        }
        return 0;
}

char *qemu_console_log_path(const char *runtime_dir) {
        char *s = NULL;

        if (asprintf(&s, "%s/console.log", runtime_dir) < 0)
                return NULL;
        return s;
}

/* ---- shell rendering ---------------------------------------------------- */

static bool shell_word_is_safe(const char *s) {
        if (!*s)
                return false;
        for (const char *c = s; *c; c++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=,@%+-", *c))
                        return false;
        return true;
}

/* Append s to out, single-quoted when needed ('\'' for embedded quotes). */
static int shell_append_word(char **out, size_t *len, const char *s) {
        size_t need = strlen(s) * 4 + 3;
        char *n, *p;

        n = realloc(*out, *len + need + 1);
        if (!n)
                return -ENOMEM;
        *out = n;
        p = n + *len;
        if (shell_word_is_safe(s)) {
                p = stpcpy(p, s);
        } else {
                *p++ = '\'';
                for (const char *c = s; *c; c++)
                        if (*c == '\'')
                                p = stpcpy(p, "'\\''");
                        else
                                *p++ = *c;
                *p++ = '\'';
        }
        *p = '\0';
        *len = p - n;
        return 0;
}

static int shell_append_raw(char **out, size_t *len, const char *s, size_t n) {
        char *m = realloc(*out, *len + n + 1);

        if (!m)
                return -ENOMEM;
        memcpy(m + *len, s, n);
        *len += n;
        m[*len] = '\0';
        *out = m;
        return 0;
}

int qemu_argv_format_shell(char *const *env, char *const *argv, char **ret) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        int r;

        r = shell_append_raw(&out, &len, "", 0);
        if (r < 0)
                return r;
        /* Assignments: the name is a checked identifier, only the value
         * needs quoting. */
        for (char *const *e = env; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                size_t nl = eq ? (size_t) (eq - *e) + 1 : strlen(*e);

                if (len > 0 && (r = shell_append_raw(&out, &len, " ", 1)) < 0)
                        return r;
                r = shell_append_raw(&out, &len, *e, nl);
                if (r >= 0 && eq)
                        r = shell_append_word(&out, &len, eq + 1);
                if (r < 0)
                        return r;
        }
        for (char *const *a = argv; a && *a; a++) {
                if (len > 0 && (r = shell_append_raw(&out, &len, " ", 1)) < 0)
                        return r;
                r = shell_append_word(&out, &len, *a);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

/* ---- validation helpers ------------------------------------------------- */

static bool string_in_charset(const char *s, const char *charset) {
        return *s && strspn(s, charset) == strlen(s);
}

#define DIGITS "0123456789"
#define LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* "pc", "q35", "pc-i440fx-7.2", "pc-q35-4.0.1": the x86 machine types of
 * QEMU 7.2 (versions checked for shape only; QEMU names unknown ones). */
static int machine_classify(const char *m, bool *ret_q35) {
        const char *v = NULL;

        if (streq(m, "pc") || streq(m, "q35")) {
                *ret_q35 = streq(m, "q35");
                return 0;
        }
        if (strncmp(m, "pc-i440fx-", 10) == 0)
                v = m + 10, *ret_q35 = false;
        else if (strncmp(m, "pc-q35-", 7) == 0)
                v = m + 7, *ret_q35 = true;
        if (!v || !string_in_charset(v, DIGITS ".") || !strchr(v, '.') || v[0] == '.')
                return -EINVAL;
        return 0;
}

/* ---- machine ------------------------------------------------------------ */

/* What the firmware and timer settings add to -machine. */
typedef struct MachineExtras {
        bool hpet_off;
        bool pit_off;
        bool smm;
        bool pflash0, pflash1;
} MachineExtras;

/* ---- firmware chosen from QEMU's descriptors ----------------------------- */

/* What firmware='efi' without a <loader> path gets: only the strings the
 * domain lacks (a given <nvram> or template is kept), malloc'd. */
typedef struct FirmwareChoice {
        char *loader;
        char *nvram;
        char *nvram_template;
        DomainFirmwareFormat loader_format;
        DomainFirmwareFormat nvram_format;
        bool smm; /* the descriptor says requires-smm */
} FirmwareChoice;

static void firmware_choice_done(FirmwareChoice *c) {
        free(c->loader);
        free(c->nvram);
        free(c->nvram_template);
}

bool qemu_firmware_needs_selection(const Domain *d) {
        return d->os.firmware == DOMAIN_FIRMWARE_EFI && !d->os.loader;
}

static FirmwareWant firmware_want(DomainTristate t) {
        return t == DOMAIN_TRISTATE_ON    ? FIRMWARE_WANT_YES
               : t == DOMAIN_TRISTATE_OFF ? FIRMWARE_WANT_NO
                                          : FIRMWARE_WANT_ANY;
}

static DomainFirmwareFormat firmware_format(const char *s) {
        return s && streq(s, "qcow2") ? DOMAIN_FIRMWARE_FORMAT_QCOW2 : DOMAIN_FIRMWARE_FORMAT_RAW;
}

/* libvirt's default variable store, one per VM in its state directory:
 * STATE/NAME/nvram/NAME_VARS.fd (.qcow2 for a qcow2 store). */
static int firmware_default_nvram(const Domain *d, const QemuArgvOptions *o, DomainFirmwareFormat format,
                                  char **ret) {
        const char *state = o->state_dir ?: QEMU_DEFAULT_STATE_DIR;
        const char *ext = format == DOMAIN_FIRMWARE_FORMAT_QCOW2 ? "qcow2" : "fd";

        return asprintf(ret, "%s/%s/nvram/%s_VARS.%s", state, d->name, d->name, ext) < 0 ? -ENOMEM : 0;
}

static FirmwareQuery firmware_query(const Domain *d, const QemuArgvOptions *o) {
        const DomainOs *os = &d->os;
        const char *machine = os->machine ?: "pc";
        DomainTristate secure = os->fw_secure_boot;

        /* <loader secure='yes'/> without a path asks for secure boot too. */
        if (secure == DOMAIN_TRISTATE_ABSENT && os->loader_secure == DOMAIN_TRISTATE_ON)
                secure = DOMAIN_TRISTATE_ON;
        return (FirmwareQuery){
                .architecture = os->arch ?: "x86_64",
                .machine = o->caps ? qemu_caps_machine_canonical(o->caps, machine) : machine,
                .interface = FIRMWARE_INTERFACE_UEFI,
                .secure_boot = firmware_want(secure),
                .enrolled_keys = firmware_want(os->fw_enrolled_keys),
                .stateless = os->loader_stateless == DOMAIN_TRISTATE_ON,
        };
}

/* The descriptor's files for d, as FirmwareChoice. */
static int firmware_choose(const Domain *d, const QemuArgvOptions *o, FirmwareChoice *ret,
                           char **ret_error) {
        const DomainOs *os = &d->os;
        _cleanup_(firmware_desc_list_done) FirmwareDescList l = {};
        _cleanup_(firmware_choice_done) FirmwareChoice c = {};
        _cleanup_free_ char *why = NULL;
        FirmwareQuery q = firmware_query(d, o);
        const FirmwareDesc *fd;
        int r;

        if (q.stateless && (os->nvram || os->nvram_template))
                return set_errorf(ret_error, -EINVAL, "<loader stateless='yes'> cannot have <nvram>");
        r = firmware_desc_load(o->firmware_root, /* user_config_dir= */ NULL, &l);
        if (r < 0)
                return set_errorf(ret_error, r == -ENOMEM ? r : -EINVAL,
                                  "cannot read QEMU's firmware descriptors: %s", strerror(-r));
        r = firmware_desc_select(&l, &q, &fd, &why);
        if (r == -ENOENT)
                return set_errorf(ret_error, -EINVAL, "firmware='efi': %s",
                                  why ?: "no firmware descriptor fits");
        if (r < 0)
                return r;
        c.loader_format = firmware_format(fd->executable_format);
        if (os->loader_format && os->loader_format != c.loader_format)
                return set_errorf(ret_error, -EINVAL,
                                  "firmware='efi': %s has format %s, not the <loader format> asked",
                                  fd->name, fd->executable_format ?: "raw");
        c.smm = fd->features & FIRMWARE_FEATURE_REQUIRES_SMM;
        c.loader = strdup(fd->executable);
        if (!c.loader)
                return -ENOMEM;
        if (!q.stateless) {
                /* The store is a copy of the template: its format, unless
                 * the domain names both (a template of its own is raw
                 * unless <nvram format> says otherwise). */
                c.nvram_format = os->nvram_format ?: os->nvram_template_format
                                         ?: os->nvram_template ? DOMAIN_FIRMWARE_FORMAT_RAW
                                                               : firmware_format(fd->nvram_template_format);
                if (!os->nvram && firmware_default_nvram(d, o, c.nvram_format, &c.nvram) < 0)
                        return -ENOMEM;
                if (!os->nvram_template && fd->nvram_template &&
                    !(c.nvram_template = strdup(fd->nvram_template)))
                        return -ENOMEM;
        }
        *ret = c;
        c = (FirmwareChoice){};
        return 0;
}

/* Point os at c's strings (borrowed: c keeps owning them). Only fields os
 * lacks are set, so nothing of os is overwritten. */
static void firmware_choice_apply(DomainOs *os, const FirmwareChoice *c) {
        os->loader = c->loader;
        os->loader_type = DOMAIN_LOADER_PFLASH;
        os->loader_readonly = DOMAIN_TRISTATE_ON;
        os->loader_format = c->loader_format;
        /* A firmware that requires SMM only stores variables through SMM:
         * the flash is made secure, as for <loader secure='yes'>. */
        if (c->smm)
                os->loader_secure = DOMAIN_TRISTATE_ON;
        if (c->nvram)
                os->nvram = c->nvram;
        if (c->nvram_template)
                os->nvram_template = c->nvram_template;
        if (c->nvram || c->nvram_template)
                os->nvram_format = c->nvram_format;
}

int qemu_firmware_fill(Domain *d, const QemuArgvOptions *o, char **ret_error) {
        FirmwareChoice c = {};
        int r;

        if (!qemu_firmware_needs_selection(d))
                return 0;
        r = firmware_choose(d, o, &c, ret_error);
        if (r < 0)
                return r;
        /* d takes the strings: apply only sets fields that were NULL. */
        firmware_choice_apply(&d->os, &c);
        return 0;
}

int qemu_firmware_resolve(const Domain *d, QemuFirmware *ret, char **ret_error) {
        const DomainOs *os = &d->os;
        QemuFirmware f = { .loader = os->loader, .type = os->loader_type };
        bool stateless = os->loader_stateless == DOMAIN_TRISTATE_ON;

        if (qemu_firmware_needs_selection(d))
                return set_errorf(ret_error, -EINVAL,
                                  "firmware='efi' without a <loader> path is chosen from QEMU's firmware "
                                  "descriptors first (qemu_firmware_fill())");
        f.secure = os->loader_secure == DOMAIN_TRISTATE_ON;
        if (os->firmware == DOMAIN_FIRMWARE_EFI && f.type == DOMAIN_LOADER_DEFAULT)
                f.type = DOMAIN_LOADER_PFLASH;
        if (!f.loader) {
                if (os->nvram || f.secure)
                        return set_errorf(
                                ret_error, -EINVAL,
                                "<nvram> and secure boot need a pflash <loader> or firmware='efi'");
                f.type = DOMAIN_LOADER_DEFAULT;
                *ret = f;
                return 0;
        }
        if (f.type == DOMAIN_LOADER_DEFAULT)
                f.type = DOMAIN_LOADER_ROM;
        f.code_readonly = os->loader_readonly != DOMAIN_TRISTATE_OFF;
        if (f.type == DOMAIN_LOADER_ROM && (os->nvram || f.secure))
                return set_errorf(
                        ret_error, -EINVAL,
                        "<loader type='rom'> cannot have <nvram> or secure='yes'; use type='pflash'");
        if (stateless && os->nvram)
                return set_errorf(ret_error, -EINVAL, "<loader stateless='yes'> cannot have <nvram>");
        if (f.type == DOMAIN_LOADER_PFLASH && f.code_readonly && !os->nvram && !stateless)
                return set_errorf(
                        ret_error, -EINVAL,
                        "firmware='efi' needs <nvram>: a read-only pflash <loader> needs a variable store "
                        "(or stateless='yes')");
        /* Secure boot is only secure when SMM protects the flash, and only
         * ICH9 (q35) has SMM in QEMU. */
        if (f.secure && !qemu_machine_is_q35(os->machine))
                return set_errorf(ret_error, -EINVAL,
                                  "secure boot (<loader secure='yes'>) needs a q35 machine type");
        *ret = f;
        return 0;
}

static int firmware_resolve(QemuArgvBuilder *b, QemuFirmware *f) {
        _cleanup_free_ char *error = NULL;
        int r = qemu_firmware_resolve(b->d, f, &error);

        if (r == -EINVAL)
                return qemu_argv_fail(b, "%s", error ?: "invalid firmware settings");
        return r;
}

static int timers_to_machine(QemuArgvBuilder *b, MachineExtras *x) {
        const DomainClock *c = &b->d->clock;

        for (size_t i = 0; i < c->n_timers; i++) {
                const DomainTimer *t = &c->timers[i];

                if (streq(t->name, "hpet")) {
                        if (t->tickpolicy != DOMAIN_TICK_DEFAULT)
                                return qemu_argv_fail(b, "<timer name='hpet'> does not support tickpolicy");
                        x->hpet_off = t->present == DOMAIN_TRISTATE_OFF;
                } else if (streq(t->name, "pit")) {
                        x->pit_off = t->present == DOMAIN_TRISTATE_OFF;
                }
        }
        return 0;
}

static int build_machine(QemuArgvBuilder *b, const QemuFirmware *f, const MachineExtras *x) {
        const Domain *d = b->d;
        _cleanup_free_ char *m = NULL, *a = NULL;
        int r;

        r = qemu_argv_appendf(&m, "%s,usb=off,dump-guest-core=off", d->os.machine ?: "pc");
        /* libvirt semantics: ACPI is only on when <features><acpi/> says so. */
        if (r >= 0)
                r = qemu_argv_appendf(&m, "acpi=%s", d->features.acpi ? "on" : "off");
        if (r >= 0 && x->hpet_off)
                r = qemu_argv_appendf(&m, "hpet=off");
        if (r >= 0 && x->pit_off)
                r = qemu_argv_appendf(&m, "pit=off");
        if (r >= 0 && f->secure && d->features.smm.state == DOMAIN_TRISTATE_OFF)
                return qemu_argv_fail(
                        b, "secure boot needs SMM: <smm state='off'/> cannot be combined with it");
        if (r >= 0 && (f->secure || d->features.smm.state))
                r = qemu_argv_appendf(&m, "smm=%s",
                                      f->secure || d->features.smm.state == DOMAIN_TRISTATE_ON ? "on"
                                                                                               : "off");
        if (r >= 0 && d->features.vmport.state)
                r = qemu_argv_appendf(&m, "vmport=%s",
                                      d->features.vmport.state == DOMAIN_TRISTATE_ON ? "on" : "off");
        /* <ioapic driver> says where the IOAPIC is; without it, interrupt
         * remapping by the IOMMU needs it in QEMU (split). */
        if (r >= 0 && !d->features.ioapic.driver && qemu_argv_iommu_needs_split_irqchip(d))
                r = qemu_argv_appendf(&m, "kernel-irqchip=split");
        if (r >= 0)
                r = qemu_argv_machine_features(b, &m);
        /* Guest RAM from the object argv-memory.c writes, and KSM off. */
        if (r >= 0 && qemu_argv_ram_backend(d))
                r = qemu_argv_appendf(&m, "memory-backend=pc.ram");
        if (r >= 0 && d->memory_backing.nosharepages)
                r = qemu_argv_appendf(&m, "mem-merge=off");
        if (r >= 0 && f->type == DOMAIN_LOADER_PFLASH)
                r = qemu_argv_appendf(&m, "pflash0=pflash0-format");
        if (r >= 0 && f->type == DOMAIN_LOADER_PFLASH && d->os.nvram)
                r = qemu_argv_appendf(&m, "pflash1=pflash1-format");
        if (r < 0)
                return r;
        r = qemu_argv_add(b, "-machine", "%s", m);
        if (r >= 0)
                r = qemu_argv_appendf(&a, "%s", b->kvm ? "kvm" : "tcg");
        if (r >= 0)
                r = qemu_argv_accel_features(b, &a);
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-accel", "%s", a);
}

static int build_pflash_node(QemuArgvBuilder *b, unsigned n, VmFileKind kind, const char *path,
                             DomainFirmwareFormat format, bool readonly) {
        _cleanup_free_ char *p = NULL;
        const char *ro = readonly ? "on" : "off";
        char opaque[32];
        int r;

        snprintf(opaque, sizeof(opaque), "pflash%u-storage", n);
        r = qemu_argv_file_opt(b, kind, path, opaque, &p, NULL);
        if (r < 0)
                return r;
        r = qemu_argv_add(b, "-blockdev", "driver=file,filename=%s,node-name=pflash%u-storage,read-only=%s",
                          p, n, ro);
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-blockdev",
                             "driver=%s,file=pflash%u-storage,node-name=pflash%u-format,read-only=%s",
                             format == DOMAIN_FIRMWARE_FORMAT_QCOW2 ? "qcow2" : "raw", n, n, ro);
}

static int build_firmware(QemuArgvBuilder *b, const QemuFirmware *f) {
        _cleanup_free_ char *rom = NULL;
        int r;

        switch (f->type) {
        case DOMAIN_LOADER_ROM:
                /* -bios takes the path verbatim (no option parsing). */
                r = qemu_argv_file(b, VM_FILE_BOOT, f->loader, "bios", &rom, NULL);
                if (r >= 0)
                        r = strv_push(&b->argv, "-bios");
                return r < 0 ? r : strv_push(&b->argv, rom);
        case DOMAIN_LOADER_PFLASH:
                r = build_pflash_node(b, 0, vm_file_kind_of_loader(f->type, f->code_readonly), f->loader,
                                      b->d->os.loader_format, f->code_readonly);
                /* A store without format= is a copy of its template:
                 * the template's format (templateFormat=). */
                if (r >= 0 && b->d->os.nvram)
                        r = build_pflash_node(b, 1, VM_FILE_NVRAM, b->d->os.nvram,
                                              b->d->os.nvram_format ?: b->d->os.nvram_template_format,
                                              /* readonly= */ false);
                if (r >= 0 && f->secure)
                        r = qemu_argv_add(b, "-global", "driver=cfi.pflash01,property=secure,value=on");
                return r;
        default: return 0;
        }
}

/* ---- CPU, memory, SMP --------------------------------------------------- */

/* ---- clock -------------------------------------------------------------- */

/* track= picks the clock the RTC follows: the guest's own (stops while
 * the VM is paused), the host's, or the host's monotonic one. */
static int build_timer_rtc(QemuArgvBuilder *b, const DomainTimer *t, char **rtc) {
        static const char *const clocks[] = {
                [DOMAIN_TRACK_GUEST] = "vm",
                [DOMAIN_TRACK_WALL] = "host",
                [DOMAIN_TRACK_REALTIME] = "rt",
        };
        int r = 0;

        if (t->present == DOMAIN_TRISTATE_OFF)
                return qemu_argv_fail(b, "<timer name='rtc' present='no'> is not supported");
        if (t->track)
                r = qemu_argv_appendf(rtc, "clock=%s", clocks[t->track]);
        if (r < 0)
                return r;
        switch (t->tickpolicy) {
        case DOMAIN_TICK_DEFAULT:
        case DOMAIN_TICK_DELAY: return 0;
        case DOMAIN_TICK_CATCHUP: return qemu_argv_appendf(rtc, "driftfix=slew");
        default:
                return qemu_argv_fail(b,
                                      "<timer name='rtc'> supports tickpolicy 'delay' and 'catchup' only");
        }
}

/* The lost-tick policy only exists on KVM's in-kernel PIT. TCG's emulated
 * PIT never loses ticks while the VM runs, which is what 'delay' asks for,
 * so 'delay' needs nothing there; 'discard' cannot be had under TCG. */
static int build_timer_pit(QemuArgvBuilder *b, const DomainTimer *t) {
        switch (t->tickpolicy) {
        case DOMAIN_TICK_DEFAULT: return 0;
        case DOMAIN_TICK_DELAY:
                if (!b->kvm)
                        return 0;
                return qemu_argv_add(b, "-global", "kvm-pit.lost_tick_policy=delay");
        case DOMAIN_TICK_DISCARD:
                if (!b->kvm)
                        return qemu_argv_fail(
                                b, "<timer name='pit' tickpolicy='discard'> needs <domain type='kvm'>");
                return qemu_argv_add(b, "-global", "kvm-pit.lost_tick_policy=discard");
        default:
                return qemu_argv_fail(b,
                                      "<timer name='pit'> supports tickpolicy 'delay' and 'discard' only");
        }
}

/* offset='variable': the RTC starts at now + adjustment, counted from
 * UTC or from the host's local time (basis=), as libvirt computes it. */
static int rtc_base_variable(QemuArgvBuilder *b, char **rtc) {
        const DomainClock *c = &b->d->clock;
        time_t t = b->o->now ?: time(NULL);
        long long adj;
        struct tm tm;

        if (domain_clock_adjustment(c, &adj) < 0)
                return qemu_argv_fail(b, "invalid clock adjustment '%s'", c->adjustment);
        if (c->basis == DOMAIN_CLOCK_BASIS_LOCALTIME) {
                if (!localtime_r(&t, &tm))
                        return qemu_argv_fail(b, "cannot compute the host's local time");
                adj += tm.tm_gmtoff;
        }
        t += (time_t) adj;
        if (!gmtime_r(&t, &tm))
                return qemu_argv_fail(b, "clock adjustment %s is out of range", c->adjustment);
        return qemu_argv_appendf(rtc, "base=%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* offset='timezone': QEMU's local time is the RTC's, and TZ in QEMU's
 * environment says which (as libvirt does it). */
static int rtc_base(QemuArgvBuilder *b, char **rtc) {
        const DomainClock *c = &b->d->clock;

        switch (c->offset) {
        case DOMAIN_CLOCK_LOCALTIME: return qemu_argv_appendf(rtc, "base=localtime");
        case DOMAIN_CLOCK_VARIABLE: return rtc_base_variable(b, rtc);
        case DOMAIN_CLOCK_TIMEZONE:
                if (strv_pushf(&b->env, "TZ=%s", c->timezone) < 0)
                        return -ENOMEM;
                return qemu_argv_appendf(rtc, "base=localtime");
        default: return qemu_argv_appendf(rtc, "base=utc");
        }
}

/* kvmclock, hypervclock and tsc become -cpu flags
 * (qemu_argv_build_cpu_flags()); hpet a -machine option. */
static int build_timer_other(QemuArgvBuilder *b, const DomainTimer *t) {
        if (t->tickpolicy != DOMAIN_TICK_DEFAULT)
                return qemu_argv_fail(b, "<timer name='%s'> does not support tickpolicy", t->name);
        if (streq(t->name, "tsc") && t->present == DOMAIN_TRISTATE_OFF)
                return qemu_argv_fail(b, "<timer name='tsc' present='no'> is not supported");
        return 0;
}

static int build_clock(QemuArgvBuilder *b) {
        const DomainClock *c = &b->d->clock;
        _cleanup_free_ char *rtc = NULL;
        int r;

        r = rtc_base(b, &rtc);
        for (size_t i = 0; r >= 0 && i < c->n_timers; i++) {
                const DomainTimer *t = &c->timers[i];

                if (streq(t->name, "rtc"))
                        r = build_timer_rtc(b, t, &rtc);
                else if (streq(t->name, "pit"))
                        r = build_timer_pit(b, t);
                else
                        r = build_timer_other(b, t);
        }
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-rtc", "%s", rtc);
}

/* ---- lifecycle ---------------------------------------------------------- */

static int lifecycle_check(QemuArgvBuilder *b, const char *what, DomainLifecycleAction a) {
        if (a == DOMAIN_ACTION_DESTROY || a == DOMAIN_ACTION_RESTART || a == DOMAIN_ACTION_PRESERVE)
                return 0;
        return qemu_argv_fail(b, "<%s>%s</%s> is not supported (use destroy, restart or preserve)", what,
                              domain_lifecycle_action_to_string(a) ?: "?", what);
}

/*
 * on_poweroff / on_reboot / on_crash -> -action.
 *
 * QEMU itself only decides what is safe to decide without the supervisor:
 *  - shutdown=poweroff (QEMU exits after the SHUTDOWN event) when a guest
 *    poweroff means destroy, which is also what makes QEMU go away if the
 *    supervisor is gone. Otherwise shutdown=pause (= -no-shutdown): QEMU
 *    stays, and the supervisor, which sees SHUTDOWN with its reason
 *    (guest-shutdown / guest-reset), resets+continues (restart), leaves
 *    it (preserve) or quits it (destroy).
 *  - reboot=shutdown (= -no-reboot) when on_reboot is destroy or preserve:
 *    the reset becomes a SHUTDOWN event with reason guest-reset.
 *  - panic=pause always: the supervisor gets GUEST_PANICKED with the VM
 *    frozen, so it can tell a crash from a poweroff (exit code 4), and
 *    then quits (destroy), resets (restart) or leaves it (preserve).
 * -no-shutdown / -no-reboot are not emitted: -action says the same.
 */
const char *qemu_shutdown_action(const Domain *d) {
        bool pauses = domain_on_poweroff(d) != DOMAIN_ACTION_DESTROY ||
                      domain_on_reboot(d) == DOMAIN_ACTION_PRESERVE;

        return pauses ? "pause" : "poweroff";
}

static int build_lifecycle(QemuArgvBuilder *b) {
        DomainLifecycleAction off = domain_on_poweroff(b->d), reboot = domain_on_reboot(b->d),
                              crash = domain_on_crash(b->d);
        bool reboot_stops;
        int r;

        r = lifecycle_check(b, "on_poweroff", off);
        if (r >= 0)
                r = lifecycle_check(b, "on_reboot", reboot);
        if (r >= 0)
                r = lifecycle_check(b, "on_crash", crash);
        if (r < 0)
                return r;
        reboot_stops = reboot != DOMAIN_ACTION_RESTART;
        return qemu_argv_add(b, "-action", "reboot=%s,shutdown=%s,panic=pause",
                             reboot_stops ? "shutdown" : "reset", qemu_shutdown_action(b->d));
}

/* ---- boot --------------------------------------------------------------- */

static char boot_dev_letter(DomainBootDev dev) {
        switch (dev) {
        case DOMAIN_BOOT_HD: return 'c';
        case DOMAIN_BOOT_CDROM: return 'd';
        case DOMAIN_BOOT_FD: return 'a';
        case DOMAIN_BOOT_NETWORK: return 'n';
        default: return 0;
        }
}

/* -boot as libvirt writes it: order (unless devices carry their own),
 * menu, reboot-timeout, splash-time (the menu's timeout, only with the
 * menu on). */
static int build_boot(QemuArgvBuilder *b) {
        const DomainOs *os = &b->d->os;
        char order[DOMAIN_BOOT_MAX + 1] = {};
        _cleanup_free_ char *s = NULL;
        int r = 0;

        if (os->n_boot > 0 && domain_has_device_boot_order(b->d))
                return qemu_argv_fail(
                        b, "per-device boot elements cannot be used together with os/boot elements");
        if (os->n_boot > DOMAIN_BOOT_MAX)
                return qemu_argv_fail(b, "too many <boot> elements");
        for (size_t i = 0; i < os->n_boot; i++) {
                char c = boot_dev_letter(os->boot[i]);

                if (!c)
                        return qemu_argv_fail(b, "invalid <boot dev>");
                if (strchr(order, c))
                        return qemu_argv_fail(b, "<boot dev> lists the same device twice");
                order[i] = c;
        }
        if (os->n_boot > 0)
                r = qemu_argv_appendf(&s, "order=%s", order);
        if (r >= 0 && os->bootmenu != DOMAIN_TRISTATE_ABSENT)
                r = qemu_argv_appendf(&s, "menu=%s", os->bootmenu == DOMAIN_TRISTATE_ON ? "on" : "off");
        if (r >= 0 && os->bios_reboot_timeout_set)
                r = qemu_argv_appendf(&s, "reboot-timeout=%d", os->bios_reboot_timeout);
        if (r >= 0 && os->bootmenu == DOMAIN_TRISTATE_ON && os->bootmenu_timeout_set)
                r = qemu_argv_appendf(&s, "splash-time=%u", os->bootmenu_timeout);
        if (r < 0)
                return r;
        return s ? qemu_argv_add(b, "-boot", "%s", s) : 0;
}

/* <bios useserial='yes'>: SeaBIOS's output on the serial port, which
 * QEMU does with the Serial Graphics Adapter option ROM (libvirt's
 * -device sga). It needs a serial port to write to. */
static int build_sga(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        bool serial = false;

        if (d->os.bios_useserial != DOMAIN_TRISTATE_ON)
                return 0;
        for (size_t i = 0; i < d->n_chars; i++)
                serial = serial || d->chars[i].kind == DOMAIN_CHAR_SERIAL;
        if (!serial)
                return qemu_argv_fail(b, "<bios useserial='yes'> needs a <serial> port");
        if (d->os.firmware == DOMAIN_FIRMWARE_EFI)
                return qemu_argv_fail(b, "<bios useserial='yes'> is for SeaBIOS, not firmware='efi'");
        return qemu_argv_add(b, "-device", "sga");
}

/* -kernel/-initrd/-append take their value verbatim (no option parsing).
 * The kernel and initrd are files; QEMU's loaders fopen() them, so with a
 * file table they are /proc/self/fd/N. */
static int build_kernel(QemuArgvBuilder *b) {
        const DomainOs *os = &b->d->os;
        const struct {
                const char *opt, *value;
                bool file;
        } items[] = {
                { "-kernel", os->kernel, true },
                { "-initrd", os->initrd, true },
                { "-append", os->cmdline, false },
        };
        int r;

        if (!os->kernel && (os->initrd || os->cmdline))
                return qemu_argv_fail(b, "<initrd> and <cmdline> need a <kernel>");
        for (size_t i = 0; i < ELEMENTSOF(items); i++) {
                _cleanup_free_ char *value = NULL;

                if (!items[i].value)
                        continue;
                r = items[i].file
                            ? qemu_argv_file(b, VM_FILE_BOOT, items[i].value, items[i].opt + 1, &value, NULL)
                            : 0;
                if (r >= 0)
                        r = strv_push(&b->argv, items[i].opt);
                if (r >= 0)
                        r = strv_push(&b->argv, value ?: items[i].value);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- top level ---------------------------------------------------------- */

static int build_header(QemuArgvBuilder *b, const char *emulator) {
        _cleanup_free_ char *name = qemu_opt_escape(b->d->name);
        char uuid[37];
        int r;

        if (!name)
                return -ENOMEM;
        domain_uuid_format(b->d->uuid, uuid);
        r = strv_push(&b->argv, emulator);
        if (r >= 0)
                r = qemu_argv_add(b, "-name", "guest=%s,debug-threads=on", name);
        if (r >= 0)
                r = qemu_argv_add(b, "-uuid", "%s", uuid);
        if (r >= 0)
                r = strv_push(&b->argv, "-S");
        if (r >= 0)
                r = strv_push(&b->argv, "-no-user-config");
        if (r >= 0)
                r = strv_push(&b->argv, "-nodefaults");
        return r;
}

static int build_qmp(QemuArgvBuilder *b) {
        _cleanup_free_ char *path = NULL, *esc = NULL;
        int r;

        if (b->o->qmp_fd >= 0)
                r = qemu_argv_add(b, "-chardev", "socket,id=charmonitor,fd=%d,server=on,wait=off",
                                  b->o->qmp_fd);
        else {
                path = qemu_qmp_socket_path(b->o->runtime_dir);
                if (!path)
                        return -ENOMEM;
                if (strlen(path) > UNIX_PATH_LIMIT)
                        return qemu_argv_fail(
                                b, "QMP socket path %s is longer than the UNIX socket limit of %d bytes",
                                path, UNIX_PATH_LIMIT);
                esc = qemu_opt_escape(path);
                if (!esc)
                        return -ENOMEM;
                r = qemu_argv_add(b, "-chardev", "socket,id=charmonitor,path=%s,server=on,wait=off", esc);
        }
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-mon", "chardev=charmonitor,id=monitor,mode=control");
}

static int build_tail(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        int r = 0;

        /* Everything QEMU's own seccomp filter can deny: no obsolete
         * syscalls, no setuid/setgid, no fork/exec, no scheduler or
         * affinity games. */
        if (b->o->seccomp_sandbox)
                r = qemu_argv_add(b, "-sandbox",
                                  "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
        if (r >= 0 && b->o->incoming_defer)
                r = qemu_argv_add(b, "-incoming", "defer");
        if (r >= 0)
                r = qemu_argv_add(b, "-msg", "timestamp=on");
        for (size_t i = 0; r >= 0 && i < d->n_qemu_args; i++)
                r = strv_push(&b->argv, d->qemu_args[i]);
        for (size_t i = 0; r >= 0 && i < d->n_qemu_env; i++) {
                const DomainQemuEnv *e = &d->qemu_env[i];

                if (!string_in_charset(e->name, UPPER LOWER DIGITS "_") || strchr(DIGITS, e->name[0]))
                        return qemu_argv_fail(b, "invalid environment variable name '%s'", e->name);
                r = strv_pushf(&b->env, "%s=%s", e->name, e->value ?: "");
        }
        return r;
}

static int check_domain(QemuArgvBuilder *b, const char *emulator) {
        const Domain *d = b->d;

        if (!d->name || !*d->name)
                return qemu_argv_fail(b, "the domain has no name");
        if (emulator[0] != '/')
                return qemu_argv_fail(b, "<emulator> must be an absolute path: %s", emulator);
        if (d->os.type && !streq(d->os.type, "hvm"))
                return qemu_argv_fail(b, "<os><type>%s</type> is not supported (only hvm)", d->os.type);
        /* i686 runs on the x86_64 emulator with a 32-bit CPU, as libvirt
         * does it (qemu_argv_build_cpu_flags()). */
        if (d->os.arch && !streq(d->os.arch, "x86_64") && !streq(d->os.arch, "i686"))
                return qemu_argv_fail(b, "architecture '%s' is not supported (only x86_64 and i686)",
                                      d->os.arch);
        if (d->os.machine && machine_classify(d->os.machine, &b->q35) < 0)
                return qemu_argv_fail(
                        b, "unsupported machine type '%s' (use pc, q35, pc-i440fx-X.Y or pc-q35-X.Y)",
                        d->os.machine);
        if (d->os.machine && b->o->caps && !qemu_caps_has_machine(b->o->caps, d->os.machine))
                return qemu_argv_fail(b,
                                      "machine type '%s' is not offered by this host's QEMU "
                                      "(vmctl capabilities lists the ones it has)",
                                      d->os.machine);
        if (!b->o->runtime_dir)
                return qemu_argv_fail(b, "no runtime directory given");
        return 0;
}

static int build_all(QemuArgvBuilder *b) {
        const char *emulator = qemu_argv_emulator(b->d, b->o->default_emulator);
        MachineExtras x = {};
        QemuFirmware f;
        int r;

        r = check_domain(b, emulator);
        if (r >= 0)
                r = firmware_resolve(b, &f);
        if (r >= 0)
                r = timers_to_machine(b, &x);
        if (r >= 0)
                r = build_header(b, emulator);
        if (r >= 0)
                r = build_machine(b, &f, &x);
        if (r >= 0)
                r = build_firmware(b, &f);
        if (r >= 0)
                r = qemu_argv_build_cpu(b);
        if (r >= 0)
                r = qemu_argv_build_cpu_flags(b);
        if (r >= 0)
                r = qemu_argv_build_memory(b);
        if (r >= 0)
                r = qemu_argv_build_smp(b);
        if (r >= 0)
                r = qemu_argv_build_numa_memory(b);
        if (r >= 0)
                r = qemu_argv_build_iothreads(b);
        if (r >= 0)
                r = build_qmp(b);
        if (r >= 0)
                r = build_clock(b);
        if (r >= 0)
                r = build_lifecycle(b);
        if (r >= 0)
                r = build_boot(b);
        if (r >= 0)
                r = build_sga(b);
        if (r >= 0)
                r = build_kernel(b);
        if (r >= 0)
                r = qemu_argv_build_devices(b);
        if (r >= 0)
                r = build_tail(b);
        return r;
}

static int build_with_firmware(const Domain *d, const QemuArgvOptions *o, Strv *ret_argv, Strv *ret_env,
                               char **ret_error);

int qemu_argv_build(const Domain *d, const QemuArgvOptions *o, Strv *ret_argv, Strv *ret_env,
                    char **ret_error) {
        if (qemu_firmware_needs_selection(d))
                return build_with_firmware(d, o, ret_argv, ret_env, ret_error);
        QemuArgvBuilder b = {
                .d = d,
                .o = o,
                .kvm = d->virt_type == DOMAIN_VIRT_KVM,
        };
        _cleanup_free_ bool *fdset_added = o->files ? calloc(o->files->n ?: 1, sizeof(bool)) : NULL;
        int r;

        b.fdset_added = fdset_added;
        r = o->files && !fdset_added ? -ENOMEM : build_all(&b);
        qemu_argv_pci_done(&b);
        if (r < 0) {
                strv_done(&b.argv);
                strv_done(&b.env);
                if (ret_error)
                        *ret_error = TAKE_PTR(b.error);
                free(b.error);
                return r;
        }
        free(b.error);
        *ret_argv = b.argv;
        *ret_env = b.env;
        return 0;
}

/* firmware='efi' without a <loader> path: the domain as it would be with
 * the chosen firmware filled in (qemu_firmware_fill()), on a shallow copy
 * whose new strings the choice owns, so d stays untouched. */
static int build_with_firmware(const Domain *d, const QemuArgvOptions *o, Strv *ret_argv, Strv *ret_env,
                               char **ret_error) {
        _cleanup_(firmware_choice_done) FirmwareChoice c = {};
        Domain filled = *d;
        int r;

        r = firmware_choose(d, o, &c, ret_error);
        if (r < 0)
                return r;
        firmware_choice_apply(&filled.os, &c);
        return qemu_argv_build(&filled, o, ret_argv, ret_env, ret_error);
}

const char *qemu_argv_emulator(const Domain *d, const char *default_emulator) {
        return d->emulator ?: default_emulator ?: QEMU_DEFAULT_EMULATOR;
}
