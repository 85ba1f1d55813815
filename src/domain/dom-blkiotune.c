/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/*
 * <blkiotune>: the VM's share of block I/O and per-device limits. libvirt
 * writes them to the VM's cgroup (io.weight, io.max on cgroup v2); here
 * the generated unit carries them and systemd writes the same files:
 *   <weight>                         IOWeight=
 *   <device><weight>                 IODeviceWeight=PATH W
 *   <device><read_bytes_sec> ...     IOReadBandwidthMax=PATH B, IOWriteBandwidthMax=,
 *                                    IOReadIOPSMax=, IOWriteIOPSMax=
 * libvirt's cgroup v2 backend writes the weight unchanged (io.weight is
 * 1-10000, its default 100 as for blkio.weight), so IOWeight= takes it as
 * is. A limit of 0 is libvirt's "no limit" and writes nothing.
 */

static const XmlValue weight_values[] = {
        /* libvirt's documented range (blkio.weight: 10-1000 since 2.6.39) */
        { NULL, XML_T_UINT, 0, XML_REQUIRED, NULL, 10, 1000, 0 },
};
static XML_ELEMENT(weight_element, "weight", unsigned, weight_values, (const XmlSub[]){}, NULL);

static const XmlValue path_values[] = {
        { NULL, XML_T_PATH, 0, XML_REQUIRED, NULL, 0, 0, 0 },
};
static XML_ELEMENT(path_element, "path", char *, path_values, (const XmlSub[]){}, NULL);

static const XmlValue limit_values[] = {
        { NULL, XML_T_NUM, 0, XML_REQUIRED, NULL, 0, 0, 0 },
};
static XML_ELEMENT(read_iops_element, "read_iops_sec", XmlNum, limit_values, (const XmlSub[]){}, NULL);
static XML_ELEMENT(write_iops_element, "write_iops_sec", XmlNum, limit_values, (const XmlSub[]){}, NULL);
static XML_ELEMENT(read_bytes_element, "read_bytes_sec", XmlNum, limit_values, (const XmlSub[]){}, NULL);
static XML_ELEMENT(write_bytes_element, "write_bytes_sec", XmlNum, limit_values, (const XmlSub[]){}, NULL);

static int device_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainBlkioDevice *dev = obj;

        (void) parent;
        if (!dev->path)
                return xml_fail(c, n, "missing element 'path'");
        return 0;
}

static const XmlSub device_subs[] = {
        { .kind = XML_SUB_INLINE, .elem = &path_element, .offset = offsetof(DomainBlkioDevice, path) },
        { .kind = XML_SUB_INLINE, .elem = &weight_element, .offset = offsetof(DomainBlkioDevice, weight) },
        { .kind = XML_SUB_INLINE,
          .elem = &read_iops_element,
          .offset = offsetof(DomainBlkioDevice, read_iops_sec) },
        { .kind = XML_SUB_INLINE,
          .elem = &write_iops_element,
          .offset = offsetof(DomainBlkioDevice, write_iops_sec) },
        { .kind = XML_SUB_INLINE,
          .elem = &read_bytes_element,
          .offset = offsetof(DomainBlkioDevice, read_bytes_sec) },
        { .kind = XML_SUB_INLINE,
          .elem = &write_bytes_element,
          .offset = offsetof(DomainBlkioDevice, write_bytes_sec) },
};
static XML_ELEMENT(device_element, "device", DomainBlkioDevice, (const XmlValue[]){}, device_subs,
                   device_check);

/* libvirt refuses a device named twice. */
static int blkiotune_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainBlkiotune *b = obj;

        (void) parent;
        for (size_t i = 0; i < b->n_devices; i++)
                for (size_t j = 0; j < i; j++)
                        if (streq(b->devices[i].path, b->devices[j].path))
                                return xml_fail(c, n, "duplicate blkio device path '%s'",
                                                b->devices[i].path);
        return 0;
}

static const XmlSub blkiotune_subs[] = {
        { .kind = XML_SUB_INLINE, .elem = &weight_element, .offset = offsetof(DomainBlkiotune, weight) },
        { .kind = XML_SUB_ARRAY,
          .elem = &device_element,
          .offset = offsetof(DomainBlkiotune, devices),
          .count_offset = offsetof(DomainBlkiotune, n_devices) },
};

XML_ELEMENT(domain_xml_blkiotune, "blkiotune", DomainBlkiotune, (const XmlValue[]){}, blkiotune_subs,
            blkiotune_check);
