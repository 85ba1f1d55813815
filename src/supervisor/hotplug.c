/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Disk hotplug: AttachDevice(xml) / DetachDevice(xml) for one <disk>.
 *
 * Attach, in the order access must be granted: parse the fragment with
 * the domain parser, check it against the live disks, plan the QEMU side
 * with the argv builder's qemu_disk_plan() (so a hotplugged disk is
 * configured like a boot-time one), label the image (DAC owner, MAC label,
 * AppArmor .files through the label manager's commit), allow a block
 * device in the cgroup ACL, then blockdev-add (protocol node, format
 * node) and device_add. Any failure undoes what was done, newest first,
 * before the caller hears about it: nothing is left half attached.
 *
 * Detach: device_del, then the guest must let go. On pc (i440FX) QEMU
 * asks through ACPI PCI hotplug and only finishes (DEVICE_DELETED) when
 * the guest ejects the slot. That may never happen, so the caller gets
 * org.vmunit.Error.Timeout after DETACH_TIMEOUT_USEC and the disk stays
 * in the live XML, still labelled and allowed: the guest still has it.
 * Whenever DEVICE_DELETED does arrive (in time or late) the removal is
 * finished: blockdev-del, labels and owner restored, ACL entry removed,
 * the disk dropped from the live XML.
 *
 * Only virtio disks (vdX, virtio-blk-pci on pci.0) on pc machine types:
 * q35's root complex has no hotpluggable slots without pcie-root-ports,
 * SATA/IDE are not hotpluggable in QEMU, SCSI would need a controller.
 * One operation at a time; another one gets org.vmunit.Error.Busy.
 *
 * Node names: the argv builder numbers disks by their index at start
 * ("disk2-format"); indexes shift when a disk goes, so the node number of
 * every live disk is remembered here from the first hotplug on, and new
 * disks get numbers never used before.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>

#include "cgroup.h"
#include "domain-xml.h"
#include "fs-util.h"
#include "label.h"
#include "log.h"
#include "qemu-disk.h"
#include "unit-name.h"
#include "supervisor.h"
#include "vm-bus.h"

#define DETACH_TIMEOUT_USEC (20 * 1000000ULL)

typedef struct HotplugNode {
        char *target;
        size_t node;
} HotplugNode;

typedef struct HotplugOp {
        bool detach;
        SupervisorOpDone done;
        void *userdata;
        Domain *fragment;  /* attach: the parsed fragment, disks[0] is the new disk */
        char *target;      /* the disk's target (vdb) */
        QemuDiskPlan plan; /* node names, device id, QMP arguments */
        size_t node;
        bool labelled, allowed; /* attach: label manager / cgroup ACL entry done */
        bool storage_added, format_added;
        unsigned replies;         /* QMP replies still expected */
        bool awaiting_device_del; /* detach: device_del sent, its reply not seen */
        unsigned answered;        /* attach: QMP replies received */
        char *error, *message;
        sd_event_source *timer; /* detach: the guest's deadline */
} HotplugOp;

struct Removal;

typedef struct Hotplug {
        HotplugNode *nodes;
        size_t n_nodes;
        size_t next_node;
        HotplugOp *op;            /* the one operation in progress */
        struct Removal *removals; /* deleted disks whose block nodes are being dropped */
        /* device_del replies still owed to operations that have finished
         * (a removal completed the detach first): QMP answers in order, so
         * these come before any reply of the current operation. */
        unsigned stale_device_del_replies;
} Hotplug;

/* ---- bookkeeping -------------------------------------------------------- */

static void op_free(HotplugOp *op) {
        if (!op)
                return;
        domain_free(op->fragment);
        free(op->target);
        qemu_disk_plan_done(&op->plan);
        free(op->error);
        free(op->message);
        sd_event_source_disable_unref(op->timer);
        free(op);
}

/* The node numbers of the disks QEMU was started with: their index. */
static Hotplug *hotplug_get(Supervisor *s) {
        Hotplug *hp = s->hotplug;

        if (hp)
                return hp;
        hp = calloc(1, sizeof(*hp));
        if (!hp)
                return NULL;
        hp->nodes = calloc(s->domain->n_disks ?: 1, sizeof(HotplugNode));
        if (!hp->nodes) {
                free(hp);
                return NULL;
        }
        for (size_t i = 0; i < s->domain->n_disks; i++) {
                hp->nodes[i] = (HotplugNode){ .target = strdup(s->domain->disks[i].target_dev), .node = i };
                if (!hp->nodes[i].target) {
                        hp->n_nodes = i;
                        s->hotplug = hp;
                        hotplug_done(s);
                        return NULL;
                }
        }
        hp->n_nodes = hp->next_node = s->domain->n_disks;
        return s->hotplug = hp;
}

static HotplugNode *node_find(Hotplug *hp, const char *target) {
        for (size_t i = 0; i < hp->n_nodes; i++)
                if (streq(hp->nodes[i].target, target))
                        return &hp->nodes[i];
        return NULL;
}

static int node_add(Hotplug *hp, const char *target, size_t node) {
        HotplugNode *n = reallocarray(hp->nodes, hp->n_nodes + 1, sizeof(HotplugNode));

        if (!n)
                return -ENOMEM;
        hp->nodes = n;
        n[hp->n_nodes] = (HotplugNode){ .target = strdup(target), .node = node };
        if (!n[hp->n_nodes].target)
                return -ENOMEM;
        hp->n_nodes++;
        return 0;
}

static void node_remove(Hotplug *hp, const char *target) {
        HotplugNode *n = node_find(hp, target);

        if (!n)
                return;
        free(n->target);
        *n = hp->nodes[--hp->n_nodes];
}

static DomainDisk *live_disk(Supervisor *s, const char *target) {
        for (size_t i = 0; i < s->domain->n_disks; i++)
                if (streq(s->domain->disks[i].target_dev, target))
                        return &s->domain->disks[i];
        return NULL;
}

/* What vmctl dumpxml and GetXML read must be what the VM has now. */
static void write_live_xml(Supervisor *s) {
        _cleanup_free_ char *xml = NULL, *path = NULL;
        int r;

        r = domain_format_xml(s->domain, &xml);
        if (r >= 0 && asprintf(&path, "%s/domain.xml", s->run_dir) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = write_file_atomic(path, xml, 0644);
        if (r < 0)
                log_warning_errno(r, "hotplug: cannot rewrite the live domain.xml: %m");
}

/* Move disks[0] of the fragment to the end of the live domain. */
static int domain_take_disk(Domain *d, Domain *fragment) {
        DomainDisk *disks = reallocarray(d->disks, d->n_disks + 1, sizeof(DomainDisk));

        if (!disks)
                return -ENOMEM;
        d->disks = disks;
        d->disks[d->n_disks++] = fragment->disks[0];
        fragment->disks[0] = (DomainDisk){};
        return 0;
}

/* Drop a live disk; its strings go with a one-disk Domain freed the usual way. */
static void domain_drop_disk(Domain *d, DomainDisk *disk) {
        Domain *tmp = calloc(1, sizeof(Domain));
        size_t i = (size_t) (disk - d->disks);

        if (tmp) {
                tmp->disks = malloc(sizeof(DomainDisk));
                if (tmp->disks) {
                        tmp->disks[0] = *disk;
                        tmp->n_disks = 1;
                }
        }
        domain_free(tmp); /* on OOM the strings leak rather than being freed twice */
        memmove(&d->disks[i], &d->disks[i + 1], (d->n_disks - i - 1) * sizeof(DomainDisk));
        d->n_disks--;
}

/* ---- completing ----------------------------------------------------------- */

_printf_(3, 4) static void op_set_error(HotplugOp *op, const char *error, const char *fmt, ...) {
        va_list ap;

        if (op->error)
                return; /* the first failure is the one to report */
        op->error = strdup(error);
        va_start(ap, fmt);
        if (vasprintf(&op->message, fmt, ap) < 0)
                op->message = NULL;
        va_end(ap);
}

/* Answer the caller once, log failures, forget the operation. Messages
 * carry the caller's XML (targets, paths): escaped for the log. */
static void op_finish(Supervisor *s) {
        HotplugOp *op = s->hotplug->op;
        const char *what = op->detach ? "DetachDevice" : "AttachDevice";
        _cleanup_free_ char *target = cescape(op->target ?: "", 64),
                            *message = cescape(op->message ?: op->error ?: "", 1024);

        s->hotplug->op = NULL;
        if (op->awaiting_device_del)
                s->hotplug->stale_device_del_replies++;
        if (op->error)
                log_warning("%s %s failed: %s", what, target ?: "", message ?: "");
        else
                log_info("%s: disk %s %s", what, target ?: "", op->detach ? "detached" : "attached");
        op->done(s, op->error, op->message, op->userdata);
        op_free(op);
}

/* Refuse before anything was changed. */
_printf_(5, 6) static void refuse(Supervisor *s, SupervisorOpDone done, void *userdata, const char *error,
                                  const char *fmt, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;

        _cleanup_free_ char *shown = NULL;

        va_start(ap, fmt);
        if (vasprintf(&message, fmt, ap) < 0)
                message = NULL;
        va_end(ap);
        shown = cescape(message ?: error, 1024);
        log_warning("hotplug refused: %s", shown ?: "");
        done(s, error, message ?: "hotplug refused", userdata);
}

/* ---- checks shared by attach and detach ----------------------------------- */

static bool running(const Supervisor *s) {
        return s->state == SUPERVISOR_RUNNING || s->state == SUPERVISOR_PAUSED;
}

/* State, Busy, then the fragment itself. On success *ret_fragment holds it. */
static int op_begin(Supervisor *s, const char *what, const char *xml, SupervisorOpDone done, void *userdata,
                    Domain **ret_fragment) {
        _cleanup_free_ char *err = NULL;
        Hotplug *hp;
        int r;

        if (!running(s) || !s->qmp)
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_INVALID_STATE, "%s: domain is not running",
                              what),
                       -ESTALE;
        hp = hotplug_get(s);
        if (!hp)
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_FAILED, "%s: out of memory", what),
                       -ENOMEM;
        if (hp->op)
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_BUSY,
                              "%s: another disk %s is in progress; try again when it has finished", what,
                              hp->op->detach ? "detach" : "attach"),
                       -EBUSY;
        r = domain_parse_disk_fragment(xml, strlen(xml), what, ret_fragment, &err);
        if (r < 0)
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_INVALID_ARGS, "%s",
                              err ?: "cannot parse the device XML"),
                       r;
        return 0;
}

/* What QEMU 7.2 can hotplug the way we configure disks. */
static int check_hotpluggable(Supervisor *s, const DomainDisk *disk, const char **ret_error,
                              char **ret_msg) {
        DomainDiskBus bus = domain_disk_bus(disk);

        *ret_error = VMUNIT_BUS_ERROR_NOT_SUPPORTED;
        if (qemu_machine_is_q35(s->domain->os.machine))
                return set_errorf(ret_msg, -EOPNOTSUPP,
                                  "disk '%s': hotplug on q35 machine types is not supported (no free "
                                  "hotpluggable PCIe slot); use machine type 'pc'",
                                  disk->target_dev);
        if (disk->device != DOMAIN_DISK_DEVICE_DISK)
                return set_errorf(ret_msg, -EOPNOTSUPP,
                                  "disk '%s': only device='disk' can be hotplugged, not cdroms or floppies",
                                  disk->target_dev);
        if (bus != DOMAIN_DISK_BUS_VIRTIO)
                return set_errorf(
                        ret_msg, -EOPNOTSUPP,
                        "disk '%s': only bus 'virtio' (targets vdX) can be hotplugged; SATA and IDE "
                        "are not hotpluggable and SCSI needs a controller",
                        disk->target_dev);
        return 0;
}

/* ---- attach ---------------------------------------------------------------- */

/* The caller hands the image to their guest: they must be able to use it
 * themselves as the guest will (root, or ourselves, may use anything). A
 * file is opened as them; a block device our unit's device policy keeps
 * us from opening until attach_allow_block() is judged by its mode bits. */
static int caller_can_use(const DomainDisk *disk, const struct stat *st, const Caller *caller) {
        int fd;

        if (!caller_is_other(caller))
                return 0;
        if (S_ISBLK(st->st_mode))
                return caller_may(caller, st, disk->readonly ? R_OK : R_OK | W_OK) ? 0 : -EACCES;
        fd = caller_open(caller, disk->source, (disk->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY,
                         0);
        if (fd < 0)
                return fd;
        safe_close(fd);
        return 0;
}

static int check_caller_access(const DomainDisk *disk, const struct stat *st, const Caller *caller,
                               char **ret_msg) {
        int r = caller_can_use(disk, st, caller);

        if (r >= 0)
                return 0;
        return set_errorf(ret_msg, -EACCES, "disk '%s': you may not %s '%s': %s", disk->target_dev,
                          disk->readonly ? "read" : "read and write", disk->source, strerror(-r));
}

/* The source must be there, be what type= says, and be the caller's to use. */
static int check_source(const DomainDisk *disk, const Caller *caller, char **ret_msg) {
        struct stat st;
        bool block = disk->type == DOMAIN_DISK_TYPE_BLOCK;

        if (stat(disk->source, &st) < 0)
                return set_errorf(ret_msg, -EINVAL, "disk '%s': cannot use source '%s': %m",
                                  disk->target_dev, disk->source);
        if (block && !S_ISBLK(st.st_mode))
                return set_errorf(ret_msg, -EINVAL,
                                  "disk '%s': source '%s' is not a block device (use type='file')",
                                  disk->target_dev, disk->source);
        if (!block && !S_ISREG(st.st_mode))
                return set_errorf(ret_msg, -EINVAL, "disk '%s': source '%s' is not a regular file%s",
                                  disk->target_dev, disk->source,
                                  S_ISBLK(st.st_mode) ? " (use type='block')" : "");
        return check_caller_access(disk, &st, caller, ret_msg);
}

static const DomainDisk *disk_with_source(const Supervisor *s, const char *source) {
        for (size_t i = 0; i < s->domain->n_disks; i++)
                if (streq_ptr(s->domain->disks[i].source, source))
                        return &s->domain->disks[i];
        return NULL;
}

/* Against the live disks: target and source not in use (one image, one
 * set of remembered labels). */
static int check_attach(Supervisor *s, const DomainDisk *disk, const Caller *caller, const char **ret_error,
                        char **ret_msg) {
        const DomainDisk *other;
        int r;

        r = check_hotpluggable(s, disk, ret_error, ret_msg);
        if (r < 0)
                return r;
        *ret_error = VMUNIT_BUS_ERROR_INVALID_ARGS;
        if (disk->boot_order > 0)
                return set_errorf(ret_msg, -EINVAL,
                                  "disk '%s': <boot order> cannot be given to a hotplugged disk",
                                  disk->target_dev);
        if (live_disk(s, disk->target_dev))
                return set_errorf(ret_msg, -EINVAL, "disk '%s': target '%s' is already in use",
                                  disk->target_dev, disk->target_dev);
        other = disk_with_source(s, disk->source);
        if (other)
                return set_errorf(ret_msg, -EINVAL, "disk '%s': source '%s' is already attached as '%s'",
                                  disk->target_dev, disk->source, other->target_dev);
        return check_source(disk, caller, ret_msg);
}

/* A warning naming source, a path from the caller's XML: escaped. */
static void warn_source(int r, const char *what, const char *source) {
        _cleanup_free_ char *shown = cescape(source, 1024);

        log_warning_errno(r, "hotplug: %s %s: %m", what, shown ?: "?");
}

/* The disk's image as a VmFile for the label manager. A stopgap: the
 * image is resolved here, once per call, by its path; AttachDevice will
 * take the caller's fd instead. */
static int disk_file(const DomainDisk *disk, VmFile *ret) {
        VmFileKind kind = vm_file_kind_of_disk(disk);

        return vm_file_resolve(disk->source, kind, VM_FILE_BY_FDSET,
                               kind == VM_FILE_IMAGE_RO ? O_RDONLY : O_RDWR, ret);
}

static int label_disk(Supervisor *s, const DomainDisk *disk, char **ret_error) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        int r = disk_file(disk, &f);

        if (r < 0)
                return set_errorf(ret_error, r, "cannot open %s: %s", disk->source, strerror(-r));
        return label_manager_label_file(s->labels, &f, ret_error);
}

static int restore_disk(Supervisor *s, const DomainDisk *disk) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        int r = disk_file(disk, &f);

        return r < 0 ? r : label_manager_restore_file(s->labels, &f);
}

/* Undo the host side of an attach (ACL, then labels), newest first. */
static void attach_undo_host(Supervisor *s, HotplugOp *op) {
        const DomainDisk *disk = &op->fragment->disks[0];
        int r;

        if (op->allowed && s->cgroup) {
                r = vm_cgroup_deny_device(s->cgroup, disk->source);
                if (r < 0)
                        warn_source(r, "cannot remove from the device ACL", disk->source);
        }
        op->allowed = false;
        if (op->labelled && s->labels) {
                r = restore_disk(s, disk);
                if (r < 0)
                        warn_source(r, "cannot restore the labels of", disk->source);
        }
        op->labelled = false;
}

static void on_rollback_reply(QmpClient *c, json_object *reply, const char *error_class,
                              const char *error_desc, void *userdata) {
        Supervisor *s = userdata;
        HotplugOp *op = s->hotplug->op;

        if (error_class)
                log_warning("hotplug: blockdev-del while undoing %s: %s", op->target,
                            error_desc ?: error_class);
        if (--op->replies > 0)
                return;
        attach_undo_host(s, op);
        op_finish(s);
}

/* QEMU refused a step: remove the block nodes that were added, then the
 * host side, then answer. */
static void attach_rollback(Supervisor *s, HotplugOp *op) {
        const char *nodes[] = { op->format_added ? op->plan.format_node : NULL,
                                op->storage_added ? op->plan.storage_node : NULL };

        op->replies = 0;
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                json_object *args;

                if (!nodes[i])
                        continue;
                args = json_object_new_object();
                if (args && json_object_object_add(args, "node-name", json_object_new_string(nodes[i])) < 0)
                        args = (json_object_put(args), NULL);
                if (args && qmp_client_send(s->qmp, "blockdev-del", args, on_rollback_reply, s) >= 0)
                        op->replies++;
                else
                        log_warning("hotplug: cannot send blockdev-del %s while undoing %s", nodes[i],
                                    op->target);
        }
        if (op->replies > 0)
                return;
        attach_undo_host(s, op);
        op_finish(s);
}

static void attach_commit(Supervisor *s, HotplugOp *op) {
        Hotplug *hp = s->hotplug;
        int r;

        r = node_add(hp, op->target, op->node);
        if (r >= 0)
                r = domain_take_disk(s->domain, op->fragment);
        if (r < 0) {
                /* QEMU has the disk; only our records failed. Say so. */
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED,
                             "disk '%s' was attached but the live XML could not be updated (out of memory)",
                             op->target);
                op_finish(s);
                return;
        }
        write_live_xml(s);
        op_finish(s);
}

/* blockdev-add, blockdev-add, device_add were sent back to back; QEMU
 * answers in order, and a step after a failed one fails too. */
static void on_attach_reply(QmpClient *c, json_object *reply, const char *error_class,
                            const char *error_desc, void *userdata) {
        Supervisor *s = userdata;
        HotplugOp *op = s->hotplug->op;
        unsigned step = op->answered++; /* 0 storage, 1 format, 2 device: the order of send_plan() */
        static const char *const what[] = { "blockdev-add (protocol node)", "blockdev-add (format node)",
                                            "device_add", "?" };

        op->replies--;
        if (error_class)
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': QEMU refused %s: %s", op->target,
                             what[step < 3 ? step : 3], error_desc ?: error_class);
        else if (step == 0)
                op->storage_added = true;
        else if (step == 1)
                op->format_added = true;
        if (op->replies > 0)
                return;
        if (op->error)
                attach_rollback(s, op);
        else
                attach_commit(s, op);
}

static int send_plan(Supervisor *s, HotplugOp *op) {
        json_object *const args[] = { op->plan.storage, op->plan.format, op->plan.device };
        const char *const cmds[] = { "blockdev-add", "blockdev-add", "device_add" };

        for (size_t i = 0; i < ELEMENTSOF(args); i++) {
                int r = qmp_client_send(s->qmp, cmds[i], json_object_get(args[i]), on_attach_reply, s);
                if (r < 0)
                        return r; /* only before QMP is up or once it is gone: nothing was sent */
                op->replies++;
        }
        return 0;
}

/*
 * System mode: the unit runs with DevicePolicy=closed, and systemd's own
 * device filter on the unit's cgroup (DeviceAllow= from the generator)
 * applies to QEMU's leaf on top of ours; a block device that was not in
 * the domain at start needs a runtime DeviceAllow= there too. It is not
 * taken back on detach (systemd can only reset the whole list): our own
 * filter on the QEMU leaf is the one that follows the disk, and denies
 * it again.
 */
static int unit_allow_device(Supervisor *s, const char *path, bool readonly, char **ret_msg) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (s->paths.embedded)
                return 0;
        r = vm_unit_name(s->name, &unit);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "SetUnitProperties", &error, NULL,
                                       "sba(sv)", unit, 1, 1, "DeviceAllow", "a(ss)", 1, path,
                                       readonly ? "r" : "rw");
        if (r < 0)
                (void) set_errorf(ret_msg, r, "cannot allow %s in the unit's device policy: %s", path,
                                  error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        return r;
}

/* The cgroup device ACL for a block device: the unit's, then ours. */
static int attach_allow_block(Supervisor *s, HotplugOp *op, const DomainDisk *disk) {
        unsigned access = CGROUP_DEVICE_READ | (disk->readonly ? 0 : CGROUP_DEVICE_WRITE);
        _cleanup_free_ char *msg = NULL;
        int r;

        r = unit_allow_device(s, disk->source, disk->readonly, &msg);
        if (r < 0) {
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': %s", op->target, msg ?: strerror(-r));
                return r;
        }
        r = vm_cgroup_allow_device(s->cgroup, disk->source, access);
        if (r < 0) {
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED,
                             "disk '%s': cannot allow %s in the VM's device ACL: %s", op->target,
                             disk->source, strerror(-r));
                return r;
        }
        op->allowed = true;
        return 0;
}

/* Host side: labels (owner, MAC, AppArmor .files), then the ACL. */
static int attach_host(Supervisor *s, HotplugOp *op) {
        const DomainDisk *disk = &op->fragment->disks[0];
        _cleanup_free_ char *err = NULL;
        int r;

        if (s->labels) {
                r = label_disk(s, disk, &err);
                if (r < 0) {
                        op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': %s", op->target,
                                     err ?: strerror(-r));
                        return r;
                }
                op->labelled = true;
        }
        if (disk->type == DOMAIN_DISK_TYPE_BLOCK && s->cgroup)
                return attach_allow_block(s, op, disk);
        return 0;
}

/* Parse, check, plan. Returns the new operation or NULL after answering. */
static HotplugOp *attach_prepare(Supervisor *s, const char *xml, const Caller *caller, SupervisorOpDone done,
                                 void *userdata) {
        _cleanup_domain_ Domain *fragment = NULL;
        _cleanup_free_ char *msg = NULL;
        const char *error = NULL;
        HotplugOp *op;

        if (op_begin(s, "AttachDevice", xml, done, userdata, &fragment) < 0)
                return NULL;
        if (check_attach(s, &fragment->disks[0], caller, &error, &msg) < 0)
                return refuse(s, done, userdata, error, "%s", msg ?: "disk cannot be attached"), NULL;
        op = calloc(1, sizeof(*op));
        if (!op)
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_FAILED, "AttachDevice: out of memory"),
                       NULL;
        *op = (HotplugOp){ .done = done, .userdata = userdata, .node = s->hotplug->next_node };
        op->target = strdup(fragment->disks[0].target_dev);
        if (!op->target ||
            qemu_disk_plan(&fragment->disks[0], op->node, /* q35= */ false, &op->plan, &msg) < 0) {
                op_free(op);
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_INVALID_ARGS, "%s",
                              msg ?: "AttachDevice: out of memory"),
                       NULL;
        }
        op->fragment = TAKE_PTR(fragment);
        return op;
}

void hotplug_attach(Supervisor *s, const char *xml, const Caller *caller, SupervisorOpDone done,
                    void *userdata) {
        HotplugOp *op = attach_prepare(s, xml, caller, done, userdata);
        _cleanup_free_ char *target = NULL, *source = NULL;

        if (!op)
                return;
        s->hotplug->op = op;
        s->hotplug->next_node++; /* never reused, even when this attach fails */
        target = cescape(op->target, 64);
        source = cescape(op->fragment->disks[0].source ?: "", 1024);
        log_info("AttachDevice: disk %s (%s) as %s", target ?: "", source ?: "", op->plan.device_id);
        if (attach_host(s, op) < 0) {
                attach_undo_host(s, op);
                op_finish(s);
                return;
        }
        if (send_plan(s, op) < 0 && op->replies == 0) {
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': QEMU's monitor is not available",
                             op->target);
                attach_undo_host(s, op);
                op_finish(s);
        }
}

/* ---- detach ---------------------------------------------------------------- */

/* A disk QEMU deleted, whose block nodes are being dropped. */
typedef struct Removal {
        Supervisor *s;
        char *target;
        unsigned replies;
        struct Removal *next;
} Removal;

static Removal *removal_find(Hotplug *hp, const char *target) {
        for (Removal *r = hp->removals; r; r = r->next)
                if (streq(r->target, target))
                        return r;
        return NULL;
}

static void removal_unlink(Hotplug *hp, Removal *r) {
        for (Removal **p = &hp->removals; *p; p = &(*p)->next)
                if (*p == r) {
                        *p = r->next;
                        break;
                }
        free(r->target);
        free(r);
}

/* The guest and QEMU's device are gone and so are the block nodes: give
 * the image back (ACL, labels and owner) and forget the disk. */
static void remove_host_side(Supervisor *s, const char *target) {
        DomainDisk *disk = live_disk(s, target);
        int r;

        if (!disk)
                return;
        if (disk->type == DOMAIN_DISK_TYPE_BLOCK && disk->source && s->cgroup) {
                r = vm_cgroup_deny_device(s->cgroup, disk->source);
                if (r < 0)
                        warn_source(r, "cannot remove from the device ACL", disk->source);
        }
        if (disk->source && s->labels) {
                r = restore_disk(s, disk);
                if (r < 0 && r != -ENOENT)
                        warn_source(r, "cannot restore the labels of", disk->source);
        }
        node_remove(s->hotplug, target);
        domain_drop_disk(s->domain, disk);
        write_live_xml(s);
}

static bool op_is_detach_of(const HotplugOp *op, const char *target) {
        return op && op->detach && streq(op->target, target);
}

static void on_remove_reply(QmpClient *c, json_object *reply, const char *error_class,
                            const char *error_desc, void *userdata) {
        Removal *rm = userdata;
        Supervisor *s = rm->s;

        if (error_class)
                log_warning("hotplug: blockdev-del for disk %s: %s", rm->target, error_desc ?: error_class);
        if (--rm->replies > 0)
                return;
        remove_host_side(s, rm->target);
        if (op_is_detach_of(s->hotplug->op, rm->target))
                op_finish(s);
        else
                log_info("DetachDevice: the guest released disk %s late; removed", rm->target);
        removal_unlink(s->hotplug, rm);
}

static int send_blockdev_del(Supervisor *s, const char *node, Removal *rm) {
        json_object *args = json_object_new_object();

        if (!args || json_object_object_add(args, "node-name", json_object_new_string(node)) < 0) {
                json_object_put(args);
                return -ENOMEM;
        }
        return qmp_client_send(s->qmp, "blockdev-del", args, on_remove_reply, rm);
}

/* DEVICE_DELETED for a live disk: drop its block nodes (format node
 * first: it holds the protocol node), then the host side. */
static void disk_deleted(Supervisor *s, const DomainDisk *disk, const QemuDiskPlan *p) {
        Removal *rm = calloc(1, sizeof(*rm));
        HotplugOp *op = s->hotplug->op;

        if (op_is_detach_of(op, disk->target_dev))
                op->timer = sd_event_source_disable_unref(op->timer);
        if (!rm || !(rm->target = strdup(disk->target_dev))) {
                free(rm);
                log_error("hotplug: out of memory while removing disk %s", disk->target_dev);
                return;
        }
        rm->s = s;
        rm->next = s->hotplug->removals;
        s->hotplug->removals = rm;
        if (p->format_node && send_blockdev_del(s, p->format_node, rm) >= 0)
                rm->replies++;
        if (p->storage_node && send_blockdev_del(s, p->storage_node, rm) >= 0)
                rm->replies++;
        if (rm->replies == 0) { /* no source, or no monitor: nothing to wait for */
                rm->replies = 1;
                on_remove_reply(NULL, NULL, NULL, NULL, rm);
        }
}

static void on_device_deleted(Supervisor *s, json_object *data) {
        json_object *v = data ? json_object_object_get(data, "device") : NULL;
        const char *id = v ? json_object_get_string(v) : NULL;

        if (!id || !s->hotplug)
                return;
        for (size_t i = 0; i < s->domain->n_disks; i++) {
                _cleanup_(qemu_disk_plan_done) QemuDiskPlan p = {};
                const DomainDisk *disk = &s->domain->disks[i];
                HotplugNode *n = node_find(s->hotplug, disk->target_dev);

                if (!n || qemu_disk_plan(disk, n->node, /* q35= */ false, &p, NULL) < 0)
                        continue;
                if (streq(p.device_id, id)) {
                        log_info("QEMU deleted device %s (disk %s)", id, disk->target_dev);
                        disk_deleted(s, disk, &p);
                        return;
                }
        }
}

static int on_detach_timeout(sd_event_source *es, uint64_t usec, void *userdata) {
        Supervisor *s = userdata;
        HotplugOp *op = s->hotplug->op;

        op->timer = sd_event_source_disable_unref(op->timer);
        op_set_error(
                op, VMUNIT_BUS_ERROR_TIMEOUT,
                "disk '%s': the guest did not release the disk within %llu s; it stays attached (removal "
                "completes if the guest releases it later)",
                op->target, DETACH_TIMEOUT_USEC / 1000000ULL);
        op_finish(s);
        return 0;
}

static void on_device_del_reply(QmpClient *c, json_object *reply, const char *error_class,
                                const char *error_desc, void *userdata) {
        Supervisor *s = userdata;
        HotplugOp *op = s->hotplug->op;
        int r;

        /* The detach this answers may be over already (its DEVICE_DELETED
         * and block-node removal came first, finishing the call), and the
         * current operation, if any, is another one: not ours to touch. */
        if (s->hotplug->stale_device_del_replies > 0) {
                s->hotplug->stale_device_del_replies--;
                return;
        }
        if (!op || !op->detach || !op->awaiting_device_del)
                return;
        op->awaiting_device_del = false;
        if (error_class) {
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': QEMU refused device_del: %s",
                             op->target, error_desc ?: error_class);
                op_finish(s);
                return;
        }
        if (!live_disk(s, op->target) || removal_find(s->hotplug, op->target))
                return; /* DEVICE_DELETED came first: the removal finishes the call */
        r = sd_event_add_time_relative(s->event, &op->timer, CLOCK_MONOTONIC, DETACH_TIMEOUT_USEC, 0,
                                       on_detach_timeout, s);
        if (r < 0) {
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': cannot arm the detach timer: %s",
                             op->target, strerror(-r));
                op_finish(s);
        }
}

/* The live disk the fragment names (by target, like libvirt). */
static HotplugOp *detach_prepare(Supervisor *s, const char *xml, SupervisorOpDone done, void *userdata) {
        _cleanup_domain_ Domain *fragment = NULL;
        _cleanup_free_ char *msg = NULL;
        const char *error = NULL, *target;
        DomainDisk *disk;
        HotplugNode *n;
        HotplugOp *op;

        if (op_begin(s, "DetachDevice", xml, done, userdata, &fragment) < 0)
                return NULL;
        target = fragment->disks[0].target_dev;
        disk = live_disk(s, target);
        if (!disk)
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_INVALID_ARGS,
                              "DetachDevice: the domain has no disk with target '%s'", target),
                       NULL;
        if (check_hotpluggable(s, disk, &error, &msg) < 0)
                return refuse(s, done, userdata, error, "%s", msg ?: "disk cannot be detached"), NULL;
        /* QEMU deleted it already (the guest let go after an earlier
         * detach timed out, or a raw device_del): its removal is under way
         * and finishes by itself. */
        if (removal_find(s->hotplug, target))
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_BUSY,
                              "DetachDevice: disk '%s' is being removed already", target),
                       NULL;
        n = node_find(s->hotplug, target);
        op = calloc(1, sizeof(*op));
        if (!n || !op)
                return free(op),
                       refuse(s, done, userdata, VMUNIT_BUS_ERROR_FAILED, "DetachDevice: out of memory"),
                       NULL;
        *op = (HotplugOp){ .detach = true, .done = done, .userdata = userdata, .node = n->node };
        op->target = strdup(target);
        if (!op->target || qemu_disk_plan(disk, n->node, /* q35= */ false, &op->plan, &msg) < 0) {
                op_free(op);
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_FAILED, "%s",
                              msg ?: "DetachDevice: out of memory"),
                       NULL;
        }
        return op;
}

void hotplug_detach(Supervisor *s, const char *xml, const Caller *caller, SupervisorOpDone done,
                    void *userdata) {
        HotplugOp *op = detach_prepare(s, xml, done, userdata);
        _cleanup_free_ char *target = NULL;
        json_object *args;

        if (!op)
                return;
        s->hotplug->op = op;
        target = cescape(op->target, 64);
        log_info("DetachDevice: disk %s (%s), asking the guest to release it", target ?: "",
                 op->plan.device_id);
        args = json_object_new_object();
        if (args && json_object_object_add(args, "id", json_object_new_string(op->plan.device_id)) < 0)
                args = (json_object_put(args), NULL);
        if (!args || qmp_client_send(s->qmp, "device_del", args, on_device_del_reply, s) < 0) {
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': QEMU's monitor is not available",
                             op->target);
                op_finish(s);
                return;
        }
        op->awaiting_device_del = true;
}

/* ---- events and teardown -------------------------------------------------- */

void hotplug_on_qmp_event(Supervisor *s, const char *event, json_object *data) {
        if (streq(event, "DEVICE_DELETED"))
                on_device_deleted(s, data);
}

void hotplug_done(Supervisor *s) {
        Hotplug *hp = s->hotplug;

        if (!hp)
                return;
        if (hp->op) {
                op_set_error(hp->op, VMUNIT_BUS_ERROR_FAILED,
                             "disk '%s': the domain stopped before the %s finished", hp->op->target,
                             hp->op->detach ? "detach" : "attach");
                op_finish(s);
        }
        while (hp->removals)
                removal_unlink(hp, hp->removals);
        for (size_t i = 0; i < hp->n_nodes; i++)
                free(hp->nodes[i].target);
        free(hp->nodes);
        free(hp);
        s->hotplug = NULL;
}
