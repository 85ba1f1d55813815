/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <string.h>

#include "domain-xml.h"
#include "qemu-disk.h"

/*
 * Disk hotplug's pure parts: a <disk> fragment through the domain parser
 * (accepted, errors with their line, the standalone formatter round trip)
 * and one disk planned as QMP arguments, whose option form is what the
 * command line builder writes for a disk given at boot.
 */

static Domain *parse_ok(const char *xml) {
        _cleanup_free_ char *err = NULL;
        Domain *d = NULL;
        int r = domain_parse_disk_fragment(xml, strlen(xml), "frag", &d, &err);

        cr_assert_eq(r, 0, "r=%d: %s", r, err ?: "");
        cr_assert_not_null(d);
        cr_assert_eq(d->n_disks, 1);
        return d;
}

static void parse_fails(const char *xml, const char *want) {
        _cleanup_free_ char *err = NULL;
        Domain *d = NULL;
        int r = domain_parse_disk_fragment(xml, strlen(xml), "frag", &d, &err);

        cr_assert_eq(r, -EINVAL, "r=%d", r);
        cr_assert_null(d);
        cr_assert_not_null(err);
        cr_assert_str_eq(err, want);
}

Test(fragment, file_disk_fields) {
        _cleanup_domain_ Domain *d = parse_ok("<disk type='file' device='disk'>\n"
                                              "  <driver name='qemu' type='qcow2' cache='none'/>\n"
                                              "  <source file='/img/a.qcow2'/>\n"
                                              "  <target dev='vdb' bus='virtio'/>\n"
                                              "  <readonly/>\n"
                                              "</disk>\n");
        const DomainDisk *disk = &d->disks[0];

        cr_assert_eq(disk->type, DOMAIN_DISK_TYPE_FILE);
        cr_assert_eq(disk->format, DOMAIN_DISK_FORMAT_QCOW2);
        cr_assert_eq(disk->cache, DOMAIN_DISK_CACHE_NONE);
        cr_assert_str_eq(disk->source, "/img/a.qcow2");
        cr_assert_str_eq(disk->target_dev, "vdb");
        cr_assert_eq(disk->bus, DOMAIN_DISK_BUS_VIRTIO);
        cr_assert(disk->readonly);
}

Test(fragment, block_disk) {
        _cleanup_domain_ Domain *d =
                parse_ok("<disk type='block'><source dev='/dev/loop3'/><target dev='vdc'/></disk>");

        cr_assert_eq(d->disks[0].type, DOMAIN_DISK_TYPE_BLOCK);
        cr_assert_str_eq(d->disks[0].source, "/dev/loop3");
        cr_assert_eq(domain_disk_bus(&d->disks[0]), DOMAIN_DISK_BUS_VIRTIO);
}

Test(fragment, errors_name_line_and_element) {
        parse_fails("<disk type='file'>\n  <source file='/a'/>\n</disk>",
                    "frag:1: /disk: missing element 'target'");
        parse_fails("<disk type='file'>\n  <source file='rel.img'/>\n  <target dev='vdb'/>\n</disk>",
                    "frag:2: /disk/source: source path 'rel.img' is not absolute");
        parse_fails("<disk type='file'>\n<target dev='vdb' bogus='1'/>\n<source file='/a'/></disk>",
                    "frag:2: /disk/target: unsupported attribute 'bogus'");
        parse_fails("<interface type='user'/>", "frag:1: /interface: unsupported device <interface>: only "
                                                "<disk> can be attached or detached");
        parse_fails("<disk>", "frag:1: Premature end of data in tag disk line 1");
        parse_fails("", "frag:1: Document is empty");
}

Test(fragment, format_round_trip) {
        _cleanup_domain_ Domain *d =
                parse_ok("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                         "<source file='/img/b.img'/><target dev='vdd' bus='virtio'/>"
                         "<shareable/><serial>S1</serial></disk>");
        _cleanup_domain_ Domain *again = NULL;
        _cleanup_free_ char *xml = NULL, *xml2 = NULL;

        cr_assert_eq(domain_format_disk_xml(&d->disks[0], &xml), 0);
        cr_assert_str_eq(xml, "    <disk type='file' device='disk'>\n"
                              "      <driver name='qemu' type='raw'/>\n"
                              "      <source file='/img/b.img'/>\n"
                              "      <target dev='vdd' bus='virtio'/>\n"
                              "      <shareable/>\n"
                              "      <serial>S1</serial>\n"
                              "    </disk>\n");
        again = parse_ok(xml);
        cr_assert_eq(domain_format_disk_xml(&again->disks[0], &xml2), 0);
        cr_assert_str_eq(xml, xml2);
}

static char *opt(json_object *o, const char *head) {
        char *s = NULL;

        cr_assert_eq(qemu_props_to_opt(o, head, &s), 0);
        return s;
}

Test(plan, virtio_file_disk_as_qmp_and_as_options) {
        _cleanup_domain_ Domain *d =
                parse_ok("<disk type='file'><driver name='qemu' type='qcow2' cache='none'/>"
                         "<source file='/img/a,b.qcow2'/><target dev='vdb'/></disk>");
        _cleanup_(qemu_disk_plan_done) QemuDiskPlan p = {};
        _cleanup_free_ char *storage = NULL, *format = NULL, *device = NULL;

        cr_assert_eq(qemu_disk_plan(&d->disks[0], 7, /* q35= */ false, &p, NULL), 0);
        cr_assert_str_eq(p.storage_node, "disk7-storage");
        cr_assert_str_eq(p.format_node, "disk7-format");
        cr_assert_str_eq(p.device_id, "virtio-disk1");
        cr_assert_str_eq(
                json_object_to_json_string_ext(p.storage, JSON_C_TO_STRING_PLAIN),
                "{\"driver\":\"file\",\"filename\":\"\\/img\\/a,b.qcow2\",\"node-name\":\"disk7-storage\","
                "\"cache\":{\"direct\":true,\"no-flush\":false},\"read-only\":false}");
        cr_assert_str_eq(json_object_to_json_string_ext(p.device, JSON_C_TO_STRING_PLAIN),
                         "{\"driver\":\"virtio-blk-pci\",\"id\":\"virtio-disk1\",\"drive\":\"disk7-format\","
                         "\"write-cache\":\"on\"}");
        storage = opt(p.storage, NULL);
        format = opt(p.format, NULL);
        device = opt(p.device, "driver");
        cr_assert_str_eq(storage, "driver=file,filename=/img/a,,b.qcow2,node-name=disk7-storage,"
                                  "cache.direct=on,cache.no-flush=off,read-only=off");
        cr_assert_str_eq(format, "driver=qcow2,file=disk7-storage,node-name=disk7-format,"
                                 "cache.direct=on,cache.no-flush=off,read-only=off");
        cr_assert_str_eq(device, "virtio-blk-pci,id=virtio-disk1,drive=disk7-format,write-cache=on");
}

Test(plan, block_device_readonly_and_typed_values) {
        _cleanup_domain_ Domain *d =
                parse_ok("<disk type='block'><source dev='/dev/loop0'/>"
                         "<target dev='hdb' bus='ide'/><readonly/><boot order='2'/></disk>");
        _cleanup_(qemu_disk_plan_done) QemuDiskPlan p = {};
        _cleanup_free_ char *device = NULL;

        cr_assert_eq(qemu_disk_plan(&d->disks[0], 0, /* q35= */ false, &p, NULL), 0);
        cr_assert_str_eq(json_object_get_string(json_object_object_get(p.storage, "driver")), "host_device");
        cr_assert(json_object_get_boolean(json_object_object_get(p.format, "read-only")));
        cr_assert(json_object_is_type(json_object_object_get(p.device, "unit"), json_type_int));
        device = opt(p.device, "driver");
        cr_assert_str_eq(device, "ide-hd,bus=ide.0,unit=1,id=ide0-0-1,drive=disk0-format,bootindex=2");
}

Test(plan, refusals_name_the_disk) {
        _cleanup_domain_ Domain *d =
                parse_ok("<disk type='file'><source file='/a'/><target dev='hda'/></disk>");
        _cleanup_(qemu_disk_plan_done) QemuDiskPlan p = {};
        _cleanup_free_ char *err = NULL;

        cr_assert_eq(qemu_disk_plan(&d->disks[0], 0, /* q35= */ true, &p, &err), -EINVAL);
        cr_assert_str_eq(err, "disk 'hda': IDE is not available on q35 machine types; use bus='sata'");
        cr_assert_null(p.device);
}

Test(plan, machine_types) {
        cr_assert(qemu_machine_is_q35("q35"));
        cr_assert(qemu_machine_is_q35("pc-q35-7.2"));
        cr_assert_not(qemu_machine_is_q35("pc"));
        cr_assert_not(qemu_machine_is_q35("pc-i440fx-7.2"));
        cr_assert_not(qemu_machine_is_q35(NULL));
}
