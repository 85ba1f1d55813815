/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>
#include <stdint.h>

#include "domain-xml-internal.h"

/*
 * The parts of <disk> and of a SCSI <controller> described by tables:
 * <driver> (over the DomainDisk itself, whose fields it fills),
 * <blockio>, <geometry>, and the SCSI controller's <driver>. <disk>
 * itself is still read by hand in domain-xml-devices.c, which hands
 * these children to xml_schema_parse().
 */

XML_ENUM_DEFINE_STATIC(disk_driver_name, { "qemu", DOMAIN_XML_STRING });

XML_ENUM_DEFINE_STATIC(disk_io, { "native", DOMAIN_DISK_IO_NATIVE }, { "threads", DOMAIN_DISK_IO_THREADS },
                       { "io_uring", DOMAIN_DISK_IO_URING });

XML_ENUM_DEFINE_STATIC(disk_discard, { "unmap", DOMAIN_DISK_DISCARD_UNMAP },
                       { "ignore", DOMAIN_DISK_DISCARD_IGNORE });

XML_ENUM_DEFINE_STATIC(disk_detect_zeroes, { "off", DOMAIN_DISK_DETECT_ZEROES_OFF },
                       { "on", DOMAIN_DISK_DETECT_ZEROES_ON }, { "unmap", DOMAIN_DISK_DETECT_ZEROES_UNMAP });

XML_ENUM_DEFINE_STATIC(disk_error_policy, { "stop", DOMAIN_DISK_ERROR_STOP },
                       { "report", DOMAIN_DISK_ERROR_REPORT }, { "ignore", DOMAIN_DISK_ERROR_IGNORE },
                       { "enospace", DOMAIN_DISK_ERROR_ENOSPACE });

XML_ENUM_DEFINE_STATIC(disk_trans, { "none", DOMAIN_DISK_TRANS_NONE }, { "lba", DOMAIN_DISK_TRANS_LBA },
                       { "auto", DOMAIN_DISK_TRANS_AUTO });

XML_ENUM_DEFINE(domain_xml_disk_startup_policy, { "mandatory", DOMAIN_DISK_STARTUP_MANDATORY },
                { "requisite", DOMAIN_DISK_STARTUP_REQUISITE },
                { "optional", DOMAIN_DISK_STARTUP_OPTIONAL });

XML_ENUM_DEFINE(domain_xml_disk_sgio, { "filtered", DOMAIN_DISK_SGIO_FILTERED },
                { "unfiltered", DOMAIN_DISK_SGIO_UNFILTERED });

XML_ENUM_DEFINE(domain_xml_disk_tray, { "open", DOMAIN_DISK_TRAY_OPEN },
                { "closed", DOMAIN_DISK_TRAY_CLOSED });

/* QEMU's limits: VIRTIO_QUEUE_MAX queues. */
#define DISK_QUEUES_MAX 1024U

#define DRV_ENUM(attr, field, table) \
        { attr, XML_T_ENUM, offsetof(DomainDisk, field), 0, table, 0, 0, 0 }
#define DRV_UINT(attr, field, max) \
        { attr, XML_T_UINT, offsetof(DomainDisk, field), 0, NULL, 1, max, 0 }

/* libvirt's attribute order. */
static const XmlValue disk_driver_values[] = {
        { "name", XML_T_TOKEN, offsetof(DomainDisk, driver_name), 0, &disk_driver_name, 0, 0, 0 },
        DRV_ENUM("type", format, &domain_xml_disk_format),
        DRV_ENUM("cache", cache, &domain_xml_disk_cache),
        DRV_ENUM("error_policy", error_policy, &disk_error_policy),
        DRV_ENUM("rerror_policy", rerror_policy, &disk_error_policy),
        DRV_ENUM("io", io, &disk_io),
        DRV_ENUM("copy_on_read", copy_on_read, &xml_enum_on_off),
        DRV_ENUM("discard", discard, &disk_discard),
        DRV_UINT("iothread", iothread, INT32_MAX),
        DRV_ENUM("detect_zeroes", detect_zeroes, &disk_detect_zeroes),
        DRV_UINT("queues", queues, DISK_QUEUES_MAX),
        DRV_UINT("queue_size", queue_size, DISK_QUEUES_MAX),
        DRV_ENUM("iommu", virtio.iommu, &xml_enum_on_off),
        DRV_ENUM("ats", virtio.ats, &xml_enum_on_off),
        DRV_ENUM("packed", virtio.packed, &xml_enum_on_off),
        DRV_ENUM("page_per_vq", virtio.page_per_vq, &xml_enum_on_off),
};

/* libvirt's rules across attributes (qemu_validate.c, domain_conf.c). */
static int disk_driver_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainDisk *disk = obj;

        (void) parent;
        if (disk->rerror_policy == DOMAIN_DISK_ERROR_ENOSPACE)
                return xml_fail(c, n, "rerror_policy='enospace' is not a read error policy");
        if (disk->io == DOMAIN_DISK_IO_NATIVE && disk->cache != DOMAIN_DISK_CACHE_NONE &&
            disk->cache != DOMAIN_DISK_CACHE_DIRECTSYNC)
                return xml_fail(c, n,
                                "native I/O needs either no disk cache or directsync cache mode "
                                "(cache='none' or cache='directsync')");
        return 0;
}

XML_ELEMENT(domain_xml_disk_driver, "driver", DomainDisk, disk_driver_values, (const XmlSub[]){},
            disk_driver_check);

/* Block sizes QEMU takes: a power of two from 512 bytes to 2 MiB. */
static bool block_size_valid(unsigned v) {
        return v == 0 || (v >= 512 && v <= 2U * 1024 * 1024 && (v & (v - 1)) == 0);
}

static const XmlValue blockio_values[] = {
        { "logical_block_size", XML_T_UINT, offsetof(DomainDiskBlockio, logical_block_size), 0, NULL, 1,
          UINT32_MAX, 0 },
        { "physical_block_size", XML_T_UINT, offsetof(DomainDiskBlockio, physical_block_size), 0, NULL, 1,
          UINT32_MAX, 0 },
        { "discard_granularity", XML_T_UINT, offsetof(DomainDiskBlockio, discard_granularity), 0, NULL, 1,
          UINT32_MAX, 0 },
};

static int blockio_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainDiskBlockio *b = obj;

        (void) parent;
        if (!block_size_valid(b->logical_block_size) || !block_size_valid(b->physical_block_size))
                return xml_fail(c, n, "block sizes must be powers of two from 512 to 2097152 bytes");
        if (b->logical_block_size && b->physical_block_size &&
            b->physical_block_size < b->logical_block_size)
                return xml_fail(c, n, "physical_block_size is smaller than logical_block_size");
        return 0;
}

XML_ELEMENT(domain_xml_disk_blockio, "blockio", DomainDiskBlockio, blockio_values, (const XmlSub[]){},
            blockio_check);

/* libvirt requires all three numbers; QEMU's ranges (hw/block/block.c). */
static const XmlValue geometry_values[] = {
        { "cyls", XML_T_UINT, offsetof(DomainDiskGeometry, cyls), XML_REQUIRED, NULL, 1, 65535, 0 },
        { "heads", XML_T_UINT, offsetof(DomainDiskGeometry, heads), XML_REQUIRED, NULL, 1, 255, 0 },
        { "secs", XML_T_UINT, offsetof(DomainDiskGeometry, secs), XML_REQUIRED, NULL, 1, 255, 0 },
        { "trans", XML_T_ENUM, offsetof(DomainDiskGeometry, trans), 0, &disk_trans, 0, 0, 0 },
};

XML_ELEMENT(domain_xml_disk_geometry, "geometry", DomainDiskGeometry, geometry_values, (const XmlSub[]){},
            NULL);

/* <controller type='scsi'><driver queues iothread cmd_per_lun max_sectors ioeventfd/>. */
#define CTL_UINT(attr, field) \
        { attr, XML_T_UINT, offsetof(DomainController, field), 0, NULL, 1, INT32_MAX, 0 }

static const XmlValue scsi_driver_values[] = {
        CTL_UINT("queues", queues),
        CTL_UINT("cmd_per_lun", cmd_per_lun),
        CTL_UINT("max_sectors", max_sectors),
        { "ioeventfd", XML_T_ENUM, offsetof(DomainController, ioeventfd), 0, &xml_enum_on_off, 0, 0, 0 },
        CTL_UINT("iothread", iothread),
};

XML_ELEMENT(domain_xml_scsi_driver, "driver", DomainController, scsi_driver_values, (const XmlSub[]){},
            NULL);
