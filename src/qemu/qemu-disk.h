/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One disk as QEMU sees it: a protocol node, a format node on top of it
 * and a front-end device, each as a json-c object that is at the same
 * time the QMP arguments (blockdev-add, device_add) and, flattened by
 * qemu_props_to_opt(), the -blockdev/-device option string of the command
 * line. The argv builder and disk hotplug both go through
 * qemu_disk_plan(), so a hotplugged disk is configured exactly like a
 * disk given at boot.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain.h"

typedef struct QemuDiskPlan {
        json_object *storage; /* blockdev-add: the file/host_device node; NULL without <source> */
        json_object *format;  /* blockdev-add: raw/qcow2 on top of storage; NULL without <source> */
        json_object *device;  /* device_add: "driver" first, then bus address, id, drive, ... */
        char *storage_node;   /* "diskN-storage" */
        char *format_node;    /* "diskN-format" */
        char *device_id;      /* "virtio-disk1", "sata0-0-1", ... */
} QemuDiskPlan;

/* Plan disk as node number node ("diskNODE-storage"/"diskNODE-format";
 * the argv builder numbers disks by their index in the domain), on a q35
 * machine or not. Returns 0, -EINVAL with a one-line reason in *ret_error
 * (caller frees) when the disk cannot be expressed, or -ENOMEM. On
 * failure *ret is left empty. Free with qemu_disk_plan_done(). */
int qemu_disk_plan(const DomainDisk *disk, size_t node, bool q35, QemuDiskPlan *ret, char **ret_error);
void qemu_disk_plan_done(QemuDiskPlan *p);
/* Point the storage node at filename instead of disk->source: the
 * "/dev/fdset/S" QEMU reaches the disk through when it gets an fd (the
 * argv builder; blockdev-add after QMP add-fd). Returns 0, -EINVAL for a
 * plan without storage, -ENOMEM. */
int qemu_disk_plan_set_filename(QemuDiskPlan *p, const char *filename);

/* Flatten QMP arguments into QEMU's option syntax: nested objects become
 * dotted keys, booleans on/off, strings comma-escaped, in insertion
 * order. With head_key (e.g. "driver" for -device), that member's value
 * comes first without its key. Stores a malloc'd string; returns 0,
 * -EINVAL for a value that has no option form (arrays, null), -ENOMEM. */
int qemu_props_to_opt(json_object *o, const char *head_key, char **ret);

/* Whether a machine type (NULL = the default, "pc") is a q35 one. */
bool qemu_machine_is_q35(const char *machine);
