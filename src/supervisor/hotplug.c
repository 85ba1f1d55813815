/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Disk hotplug: AttachDevice(xml, fds) / DetachDevice(xml) for one <disk>.
 *
 * The image reaches us as a file descriptor the caller opened as itself
 * (vmctl attach-disk): fds[i] is the file of the i-th <source file=|dev=>
 * of the fragment, in document order. The caller's path is never opened,
 * stat'ed or resolved here: it only names the disk in messages until the
 * fd's own path replaces it. Root alone may pass no fds (vmctl -H, where
 * fds cannot cross SSH); each source is then resolved once, as a path of
 * the root-owned domain XML would be, and the attach goes on exactly as
 * with an fd.
 *
 * Attach, in the order access must be granted: parse the fragment with
 * the domain parser, check it against the live disks, take the file (the
 * fd adopted, vm_file_adopt_fd(): its access mode and type checked; it is
 * one VmFile from here on), plan the QEMU side with the argv builder's
 * qemu_disk_plan() (so a hotplugged disk is configured like a boot-time
 * one), label the file through that fd (MAC label, AppArmor .files), allow
 * a block device by its st_rdev (the unit's DeviceAllow= as
 * /dev/block/MAJ:MIN, and our cgroup program), open QEMU's own fd of it
 * with exactly the disk's access mode, hand it over with add-fd, then
 * blockdev-add (protocol node on /dev/fdset/N, format node) and
 * device_add. Any failure undoes what was done, newest first, before the
 * caller hears about it: nothing is left half attached, no fd set stays
 * in QEMU.
 *
 * Detach: device_del, then the guest must let go. On pc (i440FX) QEMU
 * asks through ACPI PCI hotplug and only finishes (DEVICE_DELETED) when
 * the guest ejects the slot. That may never happen, so the caller gets
 * org.vmunit.Error.Timeout after DETACH_TIMEOUT_USEC and the disk stays
 * in the live XML, still labelled and allowed: the guest still has it.
 * Whenever DEVICE_DELETED does arrive (in time or late) the removal is
 * finished: blockdev-del, remove-fd, labels restored and the cgroup rule
 * removed through the file kept since the attach (or since the start,
 * for a boot disk), the disk dropped from the live XML.
 *
 * Only virtio disks (vdX): on pc machine types on pci.0 where QEMU picks
 * the slot, on q35 into a pcie-root-port with nothing on it (the start
 * added spare ones when the definition lists none; the live XML records
 * every device's address, so a free port is one no address names), or
 * at a given <address type='pci'>. SATA/IDE are not hotpluggable in
 * QEMU, SCSI would need a controller.
 * One operation at a time; another one gets org.vmunit.Error.Busy.
 *
 * Node names: the argv builder numbers disks by their index at start
 * ("disk2-format"); indexes shift when a disk goes, so the node number of
 * every live disk is remembered here from the first hotplug on, and new
 * disks get numbers never used before.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-bus.h>

#include "domain-xml.h"
#include "fs-util.h"
#include "hotplug-file.h"
#include "log.h"
#include "qemu-argv.h"
#include "qemu-disk.h"
#include "supervisor.h"
#include "vm-bus.h"

#define DETACH_TIMEOUT_USEC (20 * 1000000ULL)

/* A live disk: its node number and, when it has a source, its file as
 * resolved once (at the attach, or at the start for a boot disk), which
 * the detach gives back through, and the fd set QEMU holds it in. */
typedef struct HotplugNode {
        char *target;
        size_t node;
        VmFile file;        /* VM_FILE_NULL without a source */
        int64_t fdset;      /* QEMU's fd set with its fd; -1: none */
        HotplugGrant grant; /* what the detach takes back */
} HotplugNode;

typedef struct HotplugOp {
        bool detach;
        SupervisorOpDone done;
        void *userdata;
        Domain *fragment;  /* attach: the parsed fragment, disks[0] is the new disk */
        char *target;      /* the disk's target (vdb) */
        QemuDiskPlan plan; /* node names, device id, QMP arguments */
        size_t node;
        VmFile file;        /* attach: the new disk's file; its node takes it */
        int64_t fdset;      /* attach: the fd set add-fd made; -1 until then */
        HotplugGrant grant; /* attach: what QEMU was given of the file so far */
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
        vm_file_done(&op->file);
        free(op->error);
        free(op->message);
        sd_event_source_disable_unref(op->timer);
        free(op);
}

/* A boot disk's node: its index, and a copy of its file from the
 * start's table (s->files), with the fd set the command line put it in. */
static int boot_node(Supervisor *s, size_t i, HotplugNode *ret) {
        const DomainDisk *disk = &s->domain->disks[i];
        const VmFile *f =
                disk->source ? vm_files_find(&s->files, vm_file_kind_of_disk(disk), disk->source) : NULL;

        *ret = (HotplugNode){
                .target = strdup(disk->target_dev), .node = i, .file = VM_FILE_NULL, .fdset = -1
        };
        if (!ret->target)
                return -ENOMEM;
        if (f && f->fd >= 0) {
                int r = vm_file_copy(f, &ret->file);
                if (r < 0)
                        return r;
                ret->fdset = f->fdset > 0 ? (int64_t) f->fdset : -1;
                /* What confinement_prepare() gave it at start. */
                ret->grant = (HotplugGrant){ .labelled = s->labels != NULL,
                                             .allowed = s->cgroup && S_ISBLK(f->st.st_mode) };
        }
        return 0;
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
        s->hotplug = hp;
        for (size_t i = 0; i < s->domain->n_disks; i++) {
                int r = boot_node(s, i, &hp->nodes[i]);

                hp->n_nodes = i + 1;
                if (r < 0) {
                        hotplug_done(s);
                        return NULL;
                }
        }
        hp->n_nodes = hp->next_node = s->domain->n_disks;
        return hp;
}

static HotplugNode *node_find(Hotplug *hp, const char *target) {
        for (size_t i = 0; i < hp->n_nodes; i++)
                if (streq(hp->nodes[i].target, target))
                        return &hp->nodes[i];
        return NULL;
}

/* A node for the disk op attached, taking its file (left VM_FILE_NULL). */
static int node_add(Hotplug *hp, HotplugOp *op) {
        HotplugNode *n = reallocarray(hp->nodes, hp->n_nodes + 1, sizeof(HotplugNode));
        char *t = strdup(op->target);

        if (n)
                hp->nodes = n;
        if (!n || !t) {
                free(t);
                return -ENOMEM;
        }
        n[hp->n_nodes++] = (HotplugNode){
                .target = t, .node = op->node, .file = op->file, .fdset = op->fdset, .grant = op->grant
        };
        op->file = VM_FILE_NULL;
        op->grant = (HotplugGrant){};
        return 0;
}

static void node_free(HotplugNode *n) {
        free(n->target);
        vm_file_done(&n->file);
}

static void node_remove(Hotplug *hp, const char *target) {
        HotplugNode *n = node_find(hp, target);

        if (!n)
                return;
        node_free(n);
        *n = hp->nodes[--hp->n_nodes];
}

/* The live disk other than except whose file is f, or NULL. Two boot
 * disks may name one file; a hotplugged one never shares (check_in_use()). */
static const HotplugNode *node_with_file(const Hotplug *hp, const VmFile *f, const HotplugNode *except) {
        for (size_t i = 0; i < hp->n_nodes; i++)
                if (&hp->nodes[i] != except && hotplug_same_file(&hp->nodes[i].file, f))
                        return &hp->nodes[i];
        return NULL;
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

/* ---- attach ------------------------------------------------------------ */

/* One image, one set of labels and one cgroup rule: a file already live
 * under another target is refused, found by inode (or device number),
 * never by a path. */
static int check_in_use(Supervisor *s, const DomainDisk *disk, const VmFile *f, char **ret_msg) {
        const HotplugNode *other = node_with_file(s->hotplug, f, NULL);

        if (other)
                return set_errorf(ret_msg, -EINVAL, "disk '%s': %s is already attached as '%s'",
                                  disk->target_dev, f->path, other->target);
        if (f->st.st_nlink == 0 && S_ISREG(f->st.st_mode))
                return set_errorf(ret_msg, -EINVAL, "disk '%s': the file has been deleted",
                                  disk->target_dev);
        return 0;
}

/* Take the disk's file (fds[0], or its source for root), check it, and
 * let the live XML name it by the fd's own path from now on. */
static int attach_file(Supervisor *s, DomainDisk *disk, const int *fds, size_t n_fds, VmFile *ret,
                       char **ret_msg) {
        _cleanup_(vm_file_done) VmFile f = VM_FILE_NULL;
        char *path;
        int r;

        if (!disk->source)
                return 0;
        r = hotplug_file_take(disk, n_fds > 0 ? fds[0] : -EBADF, &f, ret_msg);
        if (r >= 0)
                r = check_in_use(s, disk, &f, ret_msg);
        if (r < 0)
                return r;
        path = strdup(f.path);
        if (!path)
                return set_errorf(ret_msg, -ENOMEM, "AttachDevice: out of memory");
        free(disk->source);
        disk->source = path;
        *ret = f;
        f = VM_FILE_NULL;
        return 0;
}

/* Against the live disks: hotpluggable, no boot order, target free. */
static int check_attach(Supervisor *s, const DomainDisk *disk, const char **ret_error, char **ret_msg) {
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
        if (disk->info.address && disk->info.address->type != DOMAIN_ADDRESS_PCI)
                return set_errorf(ret_msg, -EINVAL,
                                  "disk '%s': a virtio disk takes <address type='pci'> only",
                                  disk->target_dev);
        return 0;
}

/* Where the new disk plugs in: its given address, else on q35 a free
 * pcie-root-port (recorded in the disk, so the live XML names it and the
 * next attach does not take the same port), else (pc) QEMU's choice. */
static int place_disk(Supervisor *s, DomainDisk *disk, json_object *device, char **ret_msg) {
        bool q35 = qemu_machine_is_q35(s->domain->os.machine);
        const DomainAddress *a = disk->info.address;
        char bus[16], addr[16];
        unsigned port;

        if (!a && q35) {
                if (qemu_pci_free_root_port(s->domain, &port) < 0)
                        return set_errorf(
                                ret_msg, -ENOSPC,
                                "disk '%s': no free pcie-root-port to plug it into; add "
                                "<controller type='pci' model='pcie-root-port'/> to the definition",
                                disk->target_dev);
                disk->info.address = calloc(1, sizeof(DomainAddress));
                if (!disk->info.address)
                        return -ENOMEM;
                *disk->info.address = (DomainAddress){
                        .type = DOMAIN_ADDRESS_PCI,
                        .domain = { .set = true, .hex = true },
                        .bus = { .set = true, .hex = true, .value = port },
                        .slot = { .set = true, .hex = true },
                        .function = { .set = true, .hex = true },
                };
                a = disk->info.address;
        }
        if (!a)
                return 0;
        if (a->bus.value == 0)
                snprintf(bus, sizeof(bus), "%s", q35 ? "pcie.0" : "pci.0");
        else
                snprintf(bus, sizeof(bus), "pci.%u", (unsigned) a->bus.value);
        snprintf(addr, sizeof(addr), "0x%x.0x%x", (unsigned) a->slot.value, (unsigned) a->function.value);
        if (json_object_object_add(device, "bus", json_object_new_string(bus)) < 0 ||
            json_object_object_add(device, "addr", json_object_new_string(addr)) < 0)
                return -ENOMEM;
        return 0;
}

/* Host side: labels, device ACL, QEMU's own fd (hotplug-file.c). */
static int attach_host(Supervisor *s, HotplugOp *op) {
        _cleanup_free_ char *msg = NULL;
        int r;

        if (op->file.fd < 0)
                return 0;
        r = hotplug_file_grant(s, &op->file, &op->grant, &msg);
        if (r < 0)
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': %s", op->target, msg ?: strerror(-r));
        return r;
}

static void attach_undo_host(Supervisor *s, HotplugOp *op) {
        hotplug_file_revoke(s, &op->file, &op->grant);
}

static json_object *one_arg(const char *key, json_object *value) {
        json_object *args = json_object_new_object();

        if (!args || !value || json_object_object_add(args, key, value) < 0) {
                json_object_put(args);
                json_object_put(value);
                return NULL;
        }
        return args;
}

/* blockdev-del for each of nodes[] that is not NULL, then remove-fd for
 * fdset (-1: none), back to back; QEMU answers in order. Returns how many
 * were sent (each answered through cb). */
static unsigned send_removals(Supervisor *s, const char *const nodes[2], int64_t fdset, QmpReplyHandler cb,
                              void *userdata) {
        unsigned sent = 0;

        for (size_t i = 0; i < 2; i++) {
                json_object *args;

                if (!nodes[i])
                        continue;
                args = one_arg("node-name", json_object_new_string(nodes[i]));
                if (args && qmp_client_send(s->qmp, "blockdev-del", args, cb, userdata) >= 0)
                        sent++;
                else
                        log_warning("hotplug: cannot send blockdev-del %s", nodes[i]);
        }
        if (fdset >= 0) {
                json_object *args = one_arg("fdset-id", json_object_new_int64(fdset));

                if (args && qmp_client_send(s->qmp, "remove-fd", args, cb, userdata) >= 0)
                        sent++;
                else
                        log_warning("hotplug: cannot send remove-fd for fd set %" PRId64, fdset);
        }
        return sent;
}

static void on_rollback_reply(QmpClient *c, json_object *reply, const char *error_class,
                              const char *error_desc, void *userdata) {
        Supervisor *s = userdata;
        HotplugOp *op = s->hotplug->op;

        if (error_class)
                log_warning("hotplug: undoing %s: %s", op->target, error_desc ?: error_class);
        if (--op->replies > 0)
                return;
        attach_undo_host(s, op);
        op_finish(s);
}

/* QEMU refused a step: remove the block nodes that were added and QEMU's
 * fd set, then the host side, then answer. */
static void attach_rollback(Supervisor *s, HotplugOp *op) {
        const char *const nodes[2] = { op->format_added ? op->plan.format_node : NULL,
                                       op->storage_added ? op->plan.storage_node : NULL };

        op->replies = send_removals(s, nodes, op->fdset, on_rollback_reply, s);
        if (op->replies > 0)
                return;
        attach_undo_host(s, op);
        op_finish(s);
}

static void attach_commit(Supervisor *s, HotplugOp *op) {
        Hotplug *hp = s->hotplug;
        int r;

        r = node_add(hp, op);
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

/* QEMU has its fd in set N: the protocol node opens /dev/fdset/N. */
static void on_add_fd_reply(QmpClient *c, json_object *reply, const char *error_class,
                            const char *error_desc, void *userdata) {
        Supervisor *s = userdata;
        HotplugOp *op = s->hotplug->op;
        json_object *v = NULL;
        char filename[48];

        op->replies--;
        if (!error_class && reply && json_object_object_get_ex(reply, "fdset-id", &v) &&
            json_object_is_type(v, json_type_int))
                op->fdset = json_object_get_int64(v);
        if (error_class || op->fdset < 0) {
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': QEMU refused add-fd: %s", op->target,
                             error_desc ?: error_class ?: "no fd set in its answer");
                attach_rollback(s, op);
                return;
        }
        snprintf(filename, sizeof(filename), "/dev/fdset/%" PRId64, op->fdset);
        if (qemu_disk_plan_set_filename(&op->plan, filename) < 0 || send_plan(s, op) < 0) {
                op_set_error(op, VMUNIT_BUS_ERROR_FAILED, "disk '%s': cannot send the disk to QEMU",
                             op->target);
                if (op->replies == 0)
                        attach_rollback(s, op);
        }
}

/* QEMU gets its own fd of the image with add-fd (SCM_RIGHTS on the
 * monitor), in a new fd set whose opaque names the disk's node; our copy
 * goes once it is on its way. Without a source: straight to the plan. */
static int send_file(Supervisor *s, HotplugOp *op) {
        json_object *args;
        int r;

        if (op->file.qemu_fd < 0)
                return send_plan(s, op);
        args = one_arg("opaque", json_object_new_string(op->plan.storage_node));
        if (!args)
                return -ENOMEM;
        r = qmp_client_send_fd(s->qmp, "add-fd", args, op->file.qemu_fd, on_add_fd_reply, s);
        op->file.qemu_fd = safe_close(op->file.qemu_fd);
        if (r >= 0)
                op->replies++;
        return r;
}

/* Parse, check, take the file, plan. Returns the new operation or NULL
 * after answering. */
static HotplugOp *attach_prepare(Supervisor *s, const char *xml, const int *fds, size_t n_fds,
                                 const Caller *caller, SupervisorOpDone done, void *userdata) {
        _cleanup_domain_ Domain *fragment = NULL;
        _cleanup_(vm_file_done) VmFile file = VM_FILE_NULL;
        _cleanup_free_ char *msg = NULL;
        const char *error = NULL;
        HotplugOp *op;

        if (op_begin(s, "AttachDevice", xml, done, userdata, &fragment) < 0)
                return NULL;
        if (check_attach(s, &fragment->disks[0], &error, &msg) < 0)
                return refuse(s, done, userdata, error, "%s", msg ?: "disk cannot be attached"), NULL;
        if (hotplug_file_check_fds(fragment, n_fds, caller, &msg) < 0 ||
            attach_file(s, &fragment->disks[0], fds, n_fds, &file, &msg) < 0)
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_INVALID_ARGS, "%s",
                              msg ?: "AttachDevice: the disk's file cannot be used"),
                       NULL;
        op = calloc(1, sizeof(*op));
        if (!op)
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_FAILED, "AttachDevice: out of memory"),
                       NULL;
        *op = (HotplugOp){
                .done = done, .userdata = userdata, .node = s->hotplug->next_node, .file = file, .fdset = -1
        };
        file = VM_FILE_NULL;
        op->target = strdup(fragment->disks[0].target_dev);
        if (!op->target ||
            qemu_disk_plan(&fragment->disks[0], op->node, /* q35= */ false, &op->plan, &msg) < 0 ||
            place_disk(s, &fragment->disks[0], op->plan.device, &msg) < 0) {
                op_free(op);
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_INVALID_ARGS, "%s",
                              msg ?: "AttachDevice: out of memory"),
                       NULL;
        }
        op->fragment = TAKE_PTR(fragment);
        return op;
}

void hotplug_attach(Supervisor *s, const char *xml, const int *fds, size_t n_fds, const Caller *caller,
                    SupervisorOpDone done, void *userdata) {
        HotplugOp *op = attach_prepare(s, xml, fds, n_fds, caller, done, userdata);
        _cleanup_free_ char *target = NULL, *source = NULL;
        int r;

        if (!op)
                return;
        s->hotplug->op = op;
        s->hotplug->next_node++; /* never reused, even when this attach fails */
        target = cescape(op->target, 64);
        source = cescape(op->file.path ?: "", 1024);
        log_info("AttachDevice: disk %s (%s, %s) as %s, node %s", target ?: "", source ?: "",
                 op->file.fd < 0        ? "no source"
                 : op->file.from_caller ? "the caller's fd"
                                        : "root's path",
                 op->plan.device_id, op->plan.storage_node ?: "-");
        if (attach_host(s, op) < 0) {
                attach_undo_host(s, op);
                op_finish(s);
                return;
        }
        r = send_file(s, op);
        if (r < 0 && op->replies == 0) {
                if (r == -EBUSY)
                        op_set_error(op, VMUNIT_BUS_ERROR_BUSY,
                                     "disk '%s': QEMU's monitor is passing another file; try again",
                                     op->target);
                else
                        op_set_error(op, VMUNIT_BUS_ERROR_FAILED,
                                     "disk '%s': QEMU's monitor is not available", op->target);
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

/* The guest and QEMU's device are gone, and so are the block nodes and
 * the fd set: give the file back (cgroup rule, labels) through the file
 * kept for it, unless another live disk still uses it, and forget the
 * disk. */
static void remove_host_side(Supervisor *s, const char *target) {
        DomainDisk *disk = live_disk(s, target);
        HotplugNode *n = node_find(s->hotplug, target);

        if (!disk)
                return;
        if (n && !node_with_file(s->hotplug, &n->file, n))
                hotplug_file_revoke(s, &n->file, &n->grant);
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
                log_warning("hotplug: removing disk %s from QEMU: %s", rm->target,
                            error_desc ?: error_class);
        if (--rm->replies > 0)
                return;
        remove_host_side(s, rm->target);
        if (op_is_detach_of(s->hotplug->op, rm->target))
                op_finish(s);
        else
                log_info("DetachDevice: the guest released disk %s late; removed", rm->target);
        removal_unlink(s->hotplug, rm);
}

/* DEVICE_DELETED for a live disk: drop its block nodes (format node
 * first: it holds the protocol node) and QEMU's fd set (unless another
 * live disk shares it), then the host side. */
static void disk_deleted(Supervisor *s, const DomainDisk *disk, const QemuDiskPlan *p) {
        Removal *rm = calloc(1, sizeof(*rm));
        HotplugOp *op = s->hotplug->op;
        const HotplugNode *n = node_find(s->hotplug, disk->target_dev);
        const char *const nodes[2] = { p->format_node, p->storage_node };
        int64_t fdset = -1;

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
        if (n && !node_with_file(s->hotplug, &n->file, n))
                fdset = n->fdset;
        rm->replies = send_removals(s, nodes, fdset, on_remove_reply, rm);
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
        *op = (HotplugOp){
                .detach = true, .done = done, .userdata = userdata, .node = n->node, .fdset = -1
        };
        op->target = strdup(target);
        if (!op->target || qemu_disk_plan(disk, n->node, /* q35= */ false, &op->plan, &msg) < 0) {
                op_free(op);
                return refuse(s, done, userdata, VMUNIT_BUS_ERROR_FAILED, "%s",
                              msg ?: "DetachDevice: out of memory"),
                       NULL;
        }
        return op;
}

void hotplug_detach(Supervisor *s, const char *xml, SupervisorOpDone done, void *userdata) {
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
                node_free(&hp->nodes[i]);
        free(hp->nodes);
        free(hp);
        s->hotplug = NULL;
}
