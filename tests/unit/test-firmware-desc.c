/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU firmware descriptors against a fake tree (tests/data/firmware/):
 * the search path's override and masking, glob matching with aliases,
 * selection by interface and features, and the error that names what was
 * asked.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware-desc.h"

static FirmwareDescList list;
static char root[400], user[400];

static void setup(void) {
        const char *data = getenv("VMUNIT_TEST_DATA");

        cr_assert_not_null(data, "VMUNIT_TEST_DATA is not set");
        snprintf(root, sizeof(root), "%s/firmware", data);
        snprintf(user, sizeof(user), "%s/firmware/user", data);
        cr_assert_eq(firmware_desc_load(root, /* user_config_dir= */ NULL, &list), 0);
}

static void teardown(void) {
        firmware_desc_list_done(&list);
}

TestSuite(firmware_desc, .init = setup, .fini = teardown);

static const FirmwareDesc *by_name(const FirmwareDescList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i].name, name) == 0)
                        return &l->items[i];
        return NULL;
}

Test(firmware_desc, search_path_order_override_and_mask) {
        const char *const want[] = { "20-aarch64.json", "50-secure.json", "60-plain.json", "70-seabios.json",
                                     "80-stateless.json" };

        /* 40-secure-enrolled.json is masked by an empty file in /etc. */
        cr_assert_eq(list.n, ELEMENTSOF(want));
        for (size_t i = 0; i < list.n; i++)
                cr_expect_str_eq(list.items[i].name, want[i]);
        /* /etc's 60-plain.json replaces /usr/share's. */
        cr_expect_str_eq(by_name(&list, "60-plain.json")->executable, "/etc-fw/CODE.fd");
        cr_expect_str_eq(by_name(&list, "60-plain.json")->nvram_template_format, "qcow2");
        cr_expect_not_null(
                strstr(by_name(&list, "60-plain.json")->path, "/etc/qemu/firmware/60-plain.json"));
        /* Broken descriptors are reported, README (not *.json) is not. */
        cr_assert_eq(list.invalid.n, 2);
        cr_expect_not_null(
                strstr(list.invalid.items[0], "90-broken.json: missing or invalid 'mapping.device'"), "%s",
                list.invalid.items[0]);
        cr_expect_not_null(strstr(list.invalid.items[1], "95-garbage.json: not JSON"), "%s",
                           list.invalid.items[1]);
}

Test(firmware_desc, user_dir_overrides_etc) {
        FirmwareDescList l = {};

        cr_assert_eq(firmware_desc_load(root, user, &l), 0);
        cr_expect_str_eq(by_name(&l, "60-plain.json")->executable, "/user-fw/CODE.fd");
        cr_expect_null(by_name(&l, "40-secure-enrolled.json"));
        firmware_desc_list_done(&l);

        /* No such directories: an empty list, not an error. */
        cr_assert_eq(firmware_desc_load("/nonexistent", "/nonexistent", &l), 0);
        cr_expect_eq(l.n, 0);
        firmware_desc_list_done(&l);
}

Test(firmware_desc, parsed_fields) {
        const FirmwareDesc *d = by_name(&list, "50-secure.json"), *bios = by_name(&list, "70-seabios.json"),
                           *sl = by_name(&list, "80-stateless.json");

        cr_assert_not_null(d);
        cr_expect_str_eq(d->description, "UEFI, Secure Boot, SMM, empty store");
        cr_expect_eq(d->device, FIRMWARE_DEVICE_FLASH);
        cr_expect_eq(d->mode, FIRMWARE_FLASH_SPLIT);
        cr_expect_str_eq(d->executable, "/fw/CODE.secboot.fd");
        cr_expect_str_eq(d->executable_format, "raw");
        cr_expect_str_eq(d->nvram_template, "/fw/VARS.fd");
        cr_expect_eq(d->interface_mask, 1u << FIRMWARE_INTERFACE_UEFI);
        cr_expect_eq(d->features, FIRMWARE_FEATURE_ACPI_S3 | FIRMWARE_FEATURE_REQUIRES_SMM |
                                          FIRMWARE_FEATURE_SECURE_BOOT);
        cr_assert_eq(d->n_targets, 1);
        cr_expect_str_eq(d->targets[0].architecture, "x86_64");
        cr_expect_str_eq(d->targets[0].machines.items[0], "pc-q35-*");

        cr_expect_eq(bios->device, FIRMWARE_DEVICE_MEMORY);
        cr_expect_str_eq(bios->executable, "/fw/bios-256k.bin");
        cr_expect_null(bios->nvram_template);
        cr_expect_eq(bios->n_targets, 2);

        /* Stateless: no template; an unknown feature is kept, not matched. */
        cr_expect_eq(sl->mode, FIRMWARE_FLASH_STATELESS);
        cr_expect_null(sl->nvram_template);
        cr_expect_eq(sl->features, 0);
        cr_expect_str_eq(sl->feature_names.items[0], "some-future-feature");
}

Test(firmware_desc, machine_globs_and_aliases) {
        cr_expect(firmware_machine_matches("pc-q35-*", "pc-q35-7.2"));
        cr_expect(firmware_machine_matches("pc-q35-*", "q35"));
        cr_expect(firmware_machine_matches("pc-i440fx-*", "pc"));
        cr_expect_not(firmware_machine_matches("pc-i440fx-*", "q35"));
        cr_expect_not(firmware_machine_matches("pc-q35-*", "pc-i440fx-7.2"));
        /* A version-pinned pattern needs the versioned name. */
        cr_expect(firmware_machine_matches("pc-q35-7.*", "pc-q35-7.2"));
        cr_expect_not(firmware_machine_matches("pc-q35-7.*", "q35"));
        cr_expect(firmware_machine_is_q35("q35"));
        cr_expect(firmware_machine_is_q35("pc-q35-8.0"));
        cr_expect_not(firmware_machine_is_q35("pc"));
}

static const char *select_name(FirmwareQuery q, int *ret_r, char **ret_error) {
        const FirmwareDesc *d = NULL;

        *ret_r = firmware_desc_select(&list, &q, &d, ret_error);
        return d ? d->name : NULL;
}

Test(firmware_desc, selection) {
        FirmwareQuery q = { .architecture = "x86_64",
                            .machine = "q35",
                            .interface = FIRMWARE_INTERFACE_UEFI };
        char *err = NULL;
        int r;

        /* Don't care: the first in file-name order. */
        cr_expect_str_eq(select_name(q, &r, &err), "50-secure.json");
        q.secure_boot = FIRMWARE_WANT_NO;
        cr_expect_str_eq(select_name(q, &r, &err), "60-plain.json");
        q.secure_boot = FIRMWARE_WANT_ANY;
        q.smm_off = true;
        cr_expect_str_eq(select_name(q, &r, &err), "60-plain.json");
        q.smm_off = false;

        /* i440fx gets no secure-boot firmware even when it does not care. */
        q.machine = "pc-i440fx-7.2";
        cr_expect_str_eq(select_name(q, &r, &err), "60-plain.json");
        q.interface = FIRMWARE_INTERFACE_BIOS;
        cr_expect_str_eq(select_name(q, &r, &err), "70-seabios.json");

        /* Stateless: only the stateless one, whose pattern is pinned. */
        q = (FirmwareQuery){ .architecture = "x86_64",
                             .machine = "pc-q35-7.2",
                             .interface = FIRMWARE_INTERFACE_UEFI,
                             .stateless = true };
        cr_expect_str_eq(select_name(q, &r, &err), "80-stateless.json");
        q.architecture = "aarch64";
        q.machine = "virt-7.2";
        q.stateless = false;
        cr_expect_str_eq(select_name(q, &r, &err), "20-aarch64.json");
        cr_expect_null(err);
}

Test(firmware_desc, enrolled_keys_after_unmasking) {
        FirmwareDescList l = {};
        FirmwareQuery q = { .architecture = "x86_64",
                            .machine = "pc-q35-7.2",
                            .interface = FIRMWARE_INTERFACE_UEFI,
                            .secure_boot = FIRMWARE_WANT_YES,
                            .enrolled_keys = FIRMWARE_WANT_YES };
        const FirmwareDesc *d = NULL;
        char *err = NULL, share[450];

        /* The distribution's directory alone, without /etc's mask: given
         * as the user dir (DIR/qemu/firmware) under a root with none. */
        snprintf(share, sizeof(share), "%s/usr/share", root);
        cr_assert_eq(firmware_desc_load("/nonexistent", share, &l), 0);
        cr_assert_eq(firmware_desc_select(&l, &q, &d, &err), 0, "%s", err ?: "");
        cr_expect_str_eq(d->name, "40-secure-enrolled.json");
        cr_expect(d->features & FIRMWARE_FEATURE_REQUIRES_SMM);
        q.enrolled_keys = FIRMWARE_WANT_NO;
        cr_assert_eq(firmware_desc_select(&l, &q, &d, &err), 0);
        cr_expect_str_eq(d->name, "50-secure.json");
        firmware_desc_list_done(&l);
}

Test(firmware_desc, no_match_names_query_and_candidates) {
        FirmwareQuery q = { .architecture = "x86_64",
                            .machine = "pc-i440fx-7.2",
                            .interface = FIRMWARE_INTERFACE_UEFI,
                            .secure_boot = FIRMWARE_WANT_YES };
        const FirmwareDesc *d = NULL;
        char *err = NULL;

        cr_assert_eq(firmware_desc_select(&list, &q, &d, &err), -ENOENT);
        cr_assert_null(d);
        cr_expect_str_eq(err, "no uefi firmware for x86_64 pc-i440fx-7.2 with secure-boot: candidates "
                              "20-aarch64.json (machine), 50-secure.json (machine), 60-plain.json "
                              "(no secure-boot), 70-seabios.json (interface), 80-stateless.json (machine)");
        free(err);
        err = NULL;

        FirmwareDescList empty = {};
        q.secure_boot = FIRMWARE_WANT_ANY;
        q.smm_off = true;
        cr_assert_eq(firmware_desc_select(&empty, &q, &d, &err), -ENOENT);
        cr_expect_str_eq(err, "no uefi firmware for x86_64 pc-i440fx-7.2 with SMM off: candidates none "
                              "(no firmware descriptors installed)");
        free(err);
}

Test(firmware_desc, parse_errors) {
        FirmwareDesc d = {};
        char *err = NULL;

        cr_assert_eq(firmware_desc_parse("[]", "/x/1.json", "1.json", &d, &err), -EBADMSG);
        cr_expect_str_eq(err, "missing or invalid 'not a JSON object'");
        free(err);
        err = NULL;
        cr_assert_eq(firmware_desc_parse("{ \"interface-types\": [\"uefi\"], \"mapping\": { \"device\": "
                                         "\"flash\", \"executable\": { \"filename\": \"/c\", \"format\": "
                                         "\"raw\" } }, \"targets\": [], \"features\": [] }",
                                         "/x/2.json", "2.json", &d, &err),
                     -EBADMSG);
        cr_expect_str_eq(err, "missing or invalid 'nvram-template'");
        free(err);
        err = NULL;
        cr_assert_eq(
                firmware_desc_parse("{ \"interface-types\": [\"uefi\"], \"mapping\": { \"device\": "
                                    "\"flash\", \"mode\": \"combined\", \"executable\": { \"filename\": "
                                    "\"/c\", \"format\": \"raw\" } }, \"targets\": [], \"features\": [] }",
                                    "/x/3.json", "3.json", &d, &err),
                0);
        cr_expect_eq(d.mode, FIRMWARE_FLASH_COMBINED);
        cr_expect_str_eq(firmware_flash_mode_to_string(d.mode), "combined");
        firmware_desc_done(&d);
}
