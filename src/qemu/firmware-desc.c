/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU firmware descriptors: parsing, the search path and selection (see
 * firmware-desc.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware-desc.h"
#include "fs-util.h"

/* Descriptors are a page or two; a larger file is not one. */
#define DESC_FILE_MAX (256 * 1024)

static const char *const interface_names[_FIRMWARE_INTERFACE_MAX] = {
        [FIRMWARE_INTERFACE_BIOS] = "bios",
        [FIRMWARE_INTERFACE_OPENFIRMWARE] = "openfirmware",
        [FIRMWARE_INTERFACE_UBOOT] = "uboot",
        [FIRMWARE_INTERFACE_UEFI] = "uefi",
};

static const char *const device_names[_FIRMWARE_DEVICE_MAX] = {
        [FIRMWARE_DEVICE_FLASH] = "flash",
        [FIRMWARE_DEVICE_MEMORY] = "memory",
        [FIRMWARE_DEVICE_KERNEL] = "kernel",
};

static const char *const flash_mode_names[_FIRMWARE_FLASH_MODE_MAX] = {
        [FIRMWARE_FLASH_SPLIT] = "split",
        [FIRMWARE_FLASH_COMBINED] = "combined",
        [FIRMWARE_FLASH_STATELESS] = "stateless",
};

static const struct {
        FirmwareFeature bit;
        const char *name;
} feature_table[] = {
        { FIRMWARE_FEATURE_ACPI_S3, "acpi-s3" },
        { FIRMWARE_FEATURE_ACPI_S4, "acpi-s4" },
        { FIRMWARE_FEATURE_AMD_SEV, "amd-sev" },
        { FIRMWARE_FEATURE_AMD_SEV_ES, "amd-sev-es" },
        { FIRMWARE_FEATURE_AMD_SEV_SNP, "amd-sev-snp" },
        { FIRMWARE_FEATURE_INTEL_TDX, "intel-tdx" },
        { FIRMWARE_FEATURE_ENROLLED_KEYS, "enrolled-keys" },
        { FIRMWARE_FEATURE_REQUIRES_SMM, "requires-smm" },
        { FIRMWARE_FEATURE_SECURE_BOOT, "secure-boot" },
        { FIRMWARE_FEATURE_VERBOSE_DYNAMIC, "verbose-dynamic" },
        { FIRMWARE_FEATURE_VERBOSE_STATIC, "verbose-static" },
};

static int lookup(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; s && i < n; i++)
                if (names[i] && streq(names[i], s))
                        return (int) i;
        return -EINVAL;
}

const char *firmware_interface_to_string(FirmwareInterface i) {
        return i < _FIRMWARE_INTERFACE_MAX ? interface_names[i] : NULL;
}

int firmware_interface_from_string(const char *s) {
        return lookup(interface_names, ELEMENTSOF(interface_names), s);
}

const char *firmware_device_to_string(FirmwareDevice d) {
        return d < _FIRMWARE_DEVICE_MAX ? device_names[d] : NULL;
}

const char *firmware_flash_mode_to_string(FirmwareFlashMode m) {
        return m < _FIRMWARE_FLASH_MODE_MAX ? flash_mode_names[m] : NULL;
}

const char *firmware_feature_to_string(FirmwareFeature f) {
        for (size_t i = 0; i < ELEMENTSOF(feature_table); i++)
                if (feature_table[i].bit == f)
                        return feature_table[i].name;
        return NULL;
}

static unsigned feature_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(feature_table); i++)
                if (streq(feature_table[i].name, s))
                        return feature_table[i].bit;
        return 0;
}

void firmware_desc_done(FirmwareDesc *d) {
        free(d->path);
        free(d->name);
        free(d->description);
        strv_done(&d->interfaces);
        free(d->executable);
        free(d->executable_format);
        free(d->nvram_template);
        free(d->nvram_template_format);
        for (size_t i = 0; i < d->n_targets; i++) {
                free(d->targets[i].architecture);
                strv_done(&d->targets[i].machines);
        }
        free(d->targets);
        strv_done(&d->feature_names);
        *d = (FirmwareDesc){};
}

void firmware_desc_list_done(FirmwareDescList *l) {
        for (size_t i = 0; i < l->n; i++)
                firmware_desc_done(&l->items[i]);
        free(l->items);
        strv_done(&l->invalid);
        *l = (FirmwareDescList){};
}

/* ---- parsing ---- */

static void json_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

/* Member key of o when it has the type wanted, else NULL. */
static json_object *member(json_object *o, const char *key, json_type type) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

/* A string member copied to *ret: 0, -EBADMSG (missing) or -ENOMEM. */
static int member_str(json_object *o, const char *key, char **ret) {
        json_object *v = member(o, key, json_type_string);

        if (!v)
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

/* An array of strings appended to ret: 0, -EBADMSG or -ENOMEM. */
static int member_strv(json_object *o, const char *key, Strv *ret) {
        json_object *a = member(o, key, json_type_array);

        if (!a)
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *s = json_object_array_get_idx(a, i);
                if (!json_object_is_type(s, json_type_string))
                        return -EBADMSG;
                if (strv_push(ret, json_object_get_string(s)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* {"filename": ..., "format": ...} of a flash mapping. */
static int parse_flash_file(json_object *mapping, const char *key, char **ret_file, char **ret_format,
                            const char **ret_why) {
        json_object *f = member(mapping, key, json_type_object);
        int r;

        *ret_why = key;
        if (!f)
                return -EBADMSG;
        r = member_str(f, "filename", ret_file);
        if (r >= 0)
                r = member_str(f, "format", ret_format);
        return r;
}

static int parse_mapping(json_object *root, FirmwareDesc *d, const char **ret_why) {
        json_object *m = member(root, "mapping", json_type_object);
        json_object *mode = member(m, "mode", json_type_string);
        int r;

        *ret_why = "mapping.device";
        if (!m || (r = lookup(device_names, ELEMENTSOF(device_names),
                              json_object_get_string(member(m, "device", json_type_string)))) < 0)
                return -EBADMSG;
        d->device = r;
        if (d->device != FIRMWARE_DEVICE_FLASH) {
                *ret_why = "mapping.filename";
                return member_str(m, "filename", &d->executable);
        }
        /* No mode: split, as before QEMU 7.0 had the member. */
        *ret_why = "mapping.mode";
        r = mode ? lookup(flash_mode_names, ELEMENTSOF(flash_mode_names), json_object_get_string(mode))
                 : FIRMWARE_FLASH_SPLIT;
        if (r < 0)
                return -EBADMSG;
        d->mode = r;
        r = parse_flash_file(m, "executable", &d->executable, &d->executable_format, ret_why);
        if (r >= 0 && d->mode == FIRMWARE_FLASH_SPLIT)
                r = parse_flash_file(m, "nvram-template", &d->nvram_template, &d->nvram_template_format,
                                     ret_why);
        return r;
}

static int parse_targets(json_object *root, FirmwareDesc *d, const char **ret_why) {
        json_object *a = member(root, "targets", json_type_array);
        size_t n = a ? json_object_array_length(a) : 0;
        int r;

        *ret_why = "targets";
        if (!a)
                return -EBADMSG;
        d->targets = calloc(n ?: 1, sizeof(FirmwareTarget));
        if (!d->targets)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(a, i);
                d->n_targets++;
                r = member_str(t, "architecture", &d->targets[i].architecture);
                if (r >= 0)
                        r = member_strv(t, "machines", &d->targets[i].machines);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* What the schema requires, in the order it lists it; unknown interface
 * types and features are kept by name (a newer QEMU's spec may add
 * some) and never match a query. */
static int parse_root(json_object *root, FirmwareDesc *d, const char **ret_why) {
        json_object *desc = member(root, "description", json_type_string);
        int r;

        *ret_why = "not a JSON object";
        if (!json_object_is_type(root, json_type_object))
                return -EBADMSG;
        if (desc && !(d->description = strdup(json_object_get_string(desc))))
                return -ENOMEM;
        *ret_why = "interface-types";
        r = member_strv(root, "interface-types", &d->interfaces);
        if (r < 0)
                return r;
        for (size_t i = 0; i < d->interfaces.n; i++) {
                int k = firmware_interface_from_string(d->interfaces.items[i]);
                if (k >= 0)
                        d->interface_mask |= 1u << k;
        }
        r = parse_mapping(root, d, ret_why);
        if (r >= 0)
                r = parse_targets(root, d, ret_why);
        if (r < 0)
                return r;
        *ret_why = "features";
        r = member_strv(root, "features", &d->feature_names);
        for (size_t i = 0; r >= 0 && i < d->feature_names.n; i++)
                d->features |= feature_from_string(d->feature_names.items[i]);
        return r;
}

int firmware_desc_parse(const char *json, const char *path, const char *name, FirmwareDesc *ret,
                        char **ret_error) {
        _cleanup_(json_putp) json_object *root = NULL;
        enum json_tokener_error jerr = json_tokener_success;
        FirmwareDesc d = {};
        const char *why = NULL;
        int r;

        root = json_tokener_parse_verbose(json, &jerr);
        if (!root) {
                if (asprintf(ret_error, "not JSON: %s", json_tokener_error_desc(jerr)) < 0)
                        *ret_error = NULL;
                return -EBADMSG;
        }
        d.path = strdup(path);
        d.name = strdup(name);
        r = d.path && d.name ? parse_root(root, &d, &why) : -ENOMEM;
        if (r < 0) {
                firmware_desc_done(&d);
                if (r == -EBADMSG && asprintf(ret_error, "missing or invalid '%s'", why) < 0)
                        *ret_error = NULL;
                return r;
        }
        *ret = d;
        return 0;
}

/* ---- the search path ---- */

static int cmp_desc(const void *a, const void *b) {
        return strcmp(((const FirmwareDesc *) a)->name, ((const FirmwareDesc *) b)->name);
}

static bool seen_name(const Strv *names, const char *name) {
        for (size_t i = 0; i < names->n; i++)
                if (streq(names->items[i], name))
                        return true;
        return false;
}

static int list_append(FirmwareDescList *l, FirmwareDesc *d) {
        FirmwareDesc *items = reallocarray(l->items, l->n + 1, sizeof(*items));

        if (!items)
                return -ENOMEM;
        l->items = items;
        l->items[l->n++] = *d;
        *d = (FirmwareDesc){};
        return 0;
}

/* One descriptor file, read through the directory's fd. An empty file
 * masks the name and adds nothing. */
static int load_file(int dfd, const char *dir, const char *name, FirmwareDescList *l) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *text = NULL, *path = NULL, *err = NULL;
        FirmwareDesc d = {};
        size_t size = 0;
        int r;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = fd < 0 ? negative_errno() : read_all_fd(fd, DESC_FILE_MAX, &text, &size);
        if (r < 0)
                return r == -ENOMEM ? r : strv_pushf(&l->invalid, "%s: %s", path, strerror(-r));
        if (size == 0)
                return 0;
        r = firmware_desc_parse(text, path, name, &d, &err);
        if (r == -EBADMSG)
                return strv_pushf(&l->invalid, "%s: %s", path, err ?: "invalid");
        if (r < 0)
                return r;
        r = list_append(l, &d);
        firmware_desc_done(&d);
        return r;
}

/* The *.json files of dir not already named by a more specific one. */
static int load_dir(const char *dir, Strv *names, FirmwareDescList *l) {
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_strv_ Strv here = {};
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (dfd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : negative_errno();
        d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
        if (!d)
                return negative_errno();
        while ((de = readdir(d)))
                if (strlen(de->d_name) > 5 && streq(de->d_name + strlen(de->d_name) - 5, ".json") &&
                    !seen_name(names, de->d_name) && (r = strv_push(&here, de->d_name)) < 0)
                        break;
        closedir(d);
        for (size_t i = 0; r >= 0 && i < here.n; i++) {
                r = strv_push(names, here.items[i]);
                if (r >= 0)
                        r = load_file(dfd, dir, here.items[i], l);
        }
        return r;
}

int firmware_desc_load(const char *root, const char *user_config_dir, FirmwareDescList *ret) {
        _cleanup_free_ char *user = NULL, *etc = NULL, *share = NULL;
        _cleanup_strv_ Strv names = {};
        FirmwareDescList l = {};
        const char *r0 = root && !streq(root, "/") ? root : "";
        int r = 0;

        *ret = (FirmwareDescList){};
        if ((user_config_dir && asprintf(&user, "%s/qemu/firmware", user_config_dir) < 0) ||
            asprintf(&etc, "%s/etc/qemu/firmware", r0) < 0 ||
            asprintf(&share, "%s/usr/share/qemu/firmware", r0) < 0)
                return -ENOMEM;
        /* Most specific first: its names hide the same names below. */
        if (user)
                r = load_dir(user, &names, &l);
        if (r >= 0)
                r = load_dir(etc, &names, &l);
        if (r >= 0)
                r = load_dir(share, &names, &l);
        if (r < 0) {
                firmware_desc_list_done(&l);
                return r;
        }
        if (l.n > 1)
                qsort(l.items, l.n, sizeof(*l.items), cmp_desc);
        *ret = l;
        return 0;
}

/* ---- selection ---- */

/* QEMU's unversioned aliases on x86 and the versioned types they name. */
static const struct {
        const char *alias;
        const char *versioned;
} machine_aliases[] = {
        { "q35", "pc-q35-*" },
        { "pc", "pc-i440fx-*" },
};

bool firmware_machine_is_q35(const char *machine) {
        return machine && (streq(machine, "q35") || fnmatch("pc-q35-*", machine, 0) == 0);
}

bool firmware_machine_matches(const char *pattern, const char *machine) {
        if (fnmatch(pattern, machine, 0) == 0)
                return true;
        /* "pc-q35-*" (a pattern) read as a name matches the pattern
         * "pc-q35-*" and "pc-q35-*.*"-like ones, not "pc-q35-7.*": an
         * alias covers only patterns open to any version. */
        for (size_t i = 0; i < ELEMENTSOF(machine_aliases); i++)
                if (streq(machine, machine_aliases[i].alias))
                        return fnmatch(pattern, machine_aliases[i].versioned, 0) == 0;
        return false;
}

static bool is_x86(const char *arch) {
        return streq(arch, "x86_64") || streq(arch, "i386");
}

static bool targets_match(const FirmwareDesc *d, const char *arch, const char *machine) {
        for (size_t i = 0; i < d->n_targets; i++) {
                if (!streq(d->targets[i].architecture, arch))
                        continue;
                for (size_t j = 0; j < d->targets[i].machines.n; j++)
                        if (firmware_machine_matches(d->targets[i].machines.items[j], machine))
                                return true;
        }
        return false;
}

static const char *want_mismatch(FirmwareWant w, bool has, const char *missing, const char *present) {
        if (w == FIRMWARE_WANT_YES && !has)
                return missing;
        if (w == FIRMWARE_WANT_NO && has)
                return present;
        return NULL;
}

static bool format_usable(const char *format) {
        return format && (streq(format, "raw") || streq(format, "qcow2"));
}

/* NULL when d fits q, else why not (a static string). */
static const char *mismatch(const FirmwareDesc *d, const FirmwareQuery *q) {
        const char *why;

        if (!(d->interface_mask & (1u << q->interface)))
                return "interface";
        if (!targets_match(d, q->architecture, q->machine))
                return "machine";
        why = want_mismatch(q->secure_boot, d->features & FIRMWARE_FEATURE_SECURE_BOOT, "no secure-boot",
                            "secure-boot");
        if (!why)
                why = want_mismatch(q->enrolled_keys, d->features & FIRMWARE_FEATURE_ENROLLED_KEYS,
                                    "no enrolled-keys", "enrolled-keys");
        if (why)
                return why;
        if ((d->features & FIRMWARE_FEATURE_REQUIRES_SMM) && q->smm_off)
                return "requires-smm, SMM is off";
        /* libvirt: a secure (SMM-only) pflash exists only on Q35. */
        if (is_x86(q->architecture) && !firmware_machine_is_q35(q->machine) &&
            (d->features & (FIRMWARE_FEATURE_REQUIRES_SMM | FIRMWARE_FEATURE_SECURE_BOOT)))
                return "needs a q35 machine";
        if (d->device != FIRMWARE_DEVICE_FLASH)
                return NULL;
        if (d->mode != (q->stateless ? FIRMWARE_FLASH_STATELESS : FIRMWARE_FLASH_SPLIT))
                return d->mode == FIRMWARE_FLASH_STATELESS ? "stateless" : "not split flash";
        if (!format_usable(d->executable_format) ||
            (d->mode == FIRMWARE_FLASH_SPLIT && !format_usable(d->nvram_template_format)))
                return "flash format";
        return NULL;
}

static int no_match_error(const FirmwareDescList *l, const FirmwareQuery *q, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "no %s firmware for %s %s", firmware_interface_to_string(q->interface) ?: "?",
                q->architecture, q->machine);
        const char *with[] = {
                q->secure_boot == FIRMWARE_WANT_YES ? "secure-boot" : NULL,
                q->secure_boot == FIRMWARE_WANT_NO ? "no secure-boot" : NULL,
                q->enrolled_keys == FIRMWARE_WANT_YES ? "enrolled-keys" : NULL,
                q->enrolled_keys == FIRMWARE_WANT_NO ? "no enrolled-keys" : NULL,
                q->smm_off ? "SMM off" : NULL,
                q->stateless ? "stateless flash" : NULL,
        };
        bool first = true;
        for (size_t i = 0; i < ELEMENTSOF(with); i++)
                if (with[i]) {
                        fprintf(f, "%s%s", first ? " with " : ", ", with[i]);
                        first = false;
                }
        fputs(": candidates", f);
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, "%s %s (%s)", i ? "," : "", l->items[i].name, mismatch(&l->items[i], q));
        if (l->n == 0)
                fputs(" none (no firmware descriptors installed)", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        return 0;
}

int firmware_desc_select(const FirmwareDescList *l, const FirmwareQuery *q, const FirmwareDesc **ret,
                         char **ret_error) {
        int r;

        for (size_t i = 0; i < l->n; i++)
                if (!mismatch(&l->items[i], q)) {
                        *ret = &l->items[i];
                        return 0;
                }
        r = no_match_error(l, q, ret_error);
        return r < 0 ? r : -ENOENT;
}
