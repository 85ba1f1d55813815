/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared between qemu-argv.c (machine-level options) and
 * qemu-argv-devices.c (devices). Not part of the public API.
 */

#include <stdbool.h>

#include "domain.h"
#include "pci-address.h"
#include "qemu-argv.h"
#include "strv.h"

/* Which domain device a planned PCI device is: the family and its index
 * in the domain's array (for QEMU_PCI_IMPLICIT, the DomainControllerType
 * of a controller the XML does not list but the devices need). */
typedef enum QemuPciOwner {
        QEMU_PCI_DISK,
        QEMU_PCI_NET,
        QEMU_PCI_CONTROLLER,
        QEMU_PCI_IMPLICIT,
        QEMU_PCI_VIDEO,
        QEMU_PCI_INPUT,
        QEMU_PCI_BALLOON,
        QEMU_PCI_PANIC,
        QEMU_PCI_RNG,
        QEMU_PCI_WATCHDOG,
        QEMU_PCI_SOUND,
        QEMU_PCI_IOMMU,
} QemuPciOwner;

typedef struct QemuPciRef {
        QemuPciOwner owner;
        size_t index;
        char what[64]; /* PciDevice.what points here */
} QemuPciRef;

typedef struct QemuArgvBuilder {
        const Domain *d;
        const QemuArgvOptions *o;
        Strv argv;
        Strv env;
        char *error; /* first error message, malloc'd */
        bool q35;    /* machine is q35 (ICH9) rather than pc (i440FX) */
        bool kvm;
        bool console_log_done; /* the first serial chardev got logfile= */
        bool *fdset_added;     /* per o->files entry: its -add-fd is on the command line */
        /* Guest PCI placement (argv-pci.c), planned before any device. */
        PciPlan pci;
        PciDevice *pci_devs;
        QemuPciRef *pci_refs;
        size_t n_pci_devs;
} QemuArgvBuilder;

/* Record the message (only the first one counts) and return -EINVAL. */
int qemu_argv_fail(QemuArgvBuilder *b, const char *fmt, ...) _printf_(2, 3);

/* Append the option word and the formatted value as two argv words. */
int qemu_argv_add(QemuArgvBuilder *b, const char *opt, const char *fmt, ...) _printf_(3, 4);

/* Append "fmt" to *s, separated by a comma when *s is not empty.
 * Returns 0 or -ENOMEM (*s left as it was). */
int qemu_argv_appendf(char **s, const char *fmt, ...) _printf_(2, 3);

/* How QEMU reaches the file the domain calls source (as kind), into *ret
 * (malloc'd, not yet comma-escaped). Without a file table: the path
 * itself. With one: "/dev/fdset/S" for an fd-set entry, whose "-add-fd
 * fd=N,set=S,opaque=OPAQUE" goes on the command line here, before its
 * first user and only once; "/proc/self/fd/N" for an inherited fd QEMU
 * reopens; "N" for an fd an option takes by number (fd=N); the path for
 * what QEMU opens itself. *ret_file (if not NULL) is the table's entry,
 * NULL without a table. Returns 0, -EINVAL (recorded) when the table
 * lacks the file, or -ENOMEM. */
int qemu_argv_file(QemuArgvBuilder *b, VmFileKind kind, const char *source, const char *opaque, char **ret,
                   const VmFile **ret_file);
/* The same, comma-escaped for a key=value option string. */
int qemu_argv_file_opt(QemuArgvBuilder *b, VmFileKind kind, const char *source, const char *opaque,
                       char **ret, const VmFile **ret_file);

/* Devices: controllers, disks, NICs, chardevs, graphics, video, input,
 * balloon, panic. Returns 0, -EINVAL (message recorded) or -ENOMEM. */
int qemu_argv_build_devices(QemuArgvBuilder *b);

/* A virtio device's transport options (<driver iommu ats packed
 * page_per_vq>) appended to its -device string. */
int qemu_argv_virtio_options(char **s, const DomainVirtioOptions *o);

/* Guest PCI addresses (argv-pci.c). qemu_argv_plan_pci() collects every
 * PCI device of the domain with libvirt's connect flags and runs
 * pci_plan(); qemu_argv_build_pci_controllers() emits the controllers of
 * the plan; qemu_argv_add_device() adds a "-device" whose string gets
 * the device's planned "bus=...,addr=..." when it has one.
 * qemu_argv_pci_done() frees what the plan holds. Each returns 0, -EINVAL
 * (message recorded) or -ENOMEM. */
int qemu_argv_plan_pci(QemuArgvBuilder *b);
int qemu_argv_build_pci_controllers(QemuArgvBuilder *b);
int qemu_argv_add_device(QemuArgvBuilder *b, QemuPciOwner owner, size_t index, const char *fmt, ...)
        _printf_(4, 5);
void qemu_argv_pci_done(QemuArgvBuilder *b);

/* The QEMU id a user alias (<alias name='ua-...'/>) asks for, or NULL
 * when the device has none. -EINVAL (recorded) for an alias with
 * characters QEMU ids cannot have. */
int qemu_argv_user_alias(QemuArgvBuilder *b, const DomainDeviceInfo *info, const char **ret);

/* Shared with argv-pci.c: what qemu-argv-devices.c decides. */
typedef struct QemuNicModel {
        const char *model, *driver;
        bool pcie;
} QemuNicModel;
/* The NIC a <model type> (NULL: virtio) makes, or NULL. */
const QemuNicModel *qemu_nic_model(const char *model);
bool qemu_argv_need_implicit_controller(const Domain *d, bool q35, DomainControllerType type);
const char *qemu_argv_usb_controller_driver(const char *model);
/* The video device the domain gets (a default VGA with graphics but no
 * <video>); false when none. Secondary videos are d->videos[1..]. */
bool qemu_argv_video(const Domain *d, DomainVideo *ret);
/* Whether sound model m is a PCI device. */
bool qemu_argv_sound_is_pci(DomainSoundModel m);

/* Device families with their own file (argv-*.c). */
/* <cpu> (argv-cpu.c): -cpu, -smp, and -numa node/dist after the cells'
 * backends. */
int qemu_argv_build_cpu(QemuArgvBuilder *b);
int qemu_argv_build_smp(QemuArgvBuilder *b);
int qemu_argv_build_numa(QemuArgvBuilder *b);
/* Append a libvirt set ("0-1,3") as QEMU's repeated list option
 * "key=0-1,key=3". Returns 0, -EINVAL (bad set or a number of max or
 * more; nothing recorded) or -ENOMEM. */
int qemu_argv_append_set(char **s, const char *key, const char *set, unsigned max);
/* Guest RAM (argv-memory.c): -m, the RAM backend and -overcommit; after
 * -smp the NUMA cells' backends and -numa; iothread objects. */
int qemu_argv_build_memory(QemuArgvBuilder *b);
int qemu_argv_build_numa_memory(QemuArgvBuilder *b);
int qemu_argv_build_iothreads(QemuArgvBuilder *b);
/* Whether id is one of the domain's iothreads (<iothreads>, <iothreadids>). */
bool qemu_argv_iothread_defined(const Domain *d, uint64_t id);
/* Whether all of guest RAM is one backend object "pc.ram" that
 * -machine memory-backend= names (memoryBacking or numatune without
 * NUMA cells). */
bool qemu_argv_ram_backend(const Domain *d);
int qemu_argv_build_memballoon(QemuArgvBuilder *b);
int qemu_argv_build_panic(QemuArgvBuilder *b);
int qemu_argv_build_rngs(QemuArgvBuilder *b);
/* <iommu>: intel-iommu (q35) or virtio-iommu-pci; smmuv3 refused. */
int qemu_argv_build_iommu(QemuArgvBuilder *b);
bool qemu_argv_iommu_needs_split_irqchip(const Domain *d);
/* <vsock>: refused with the reason (argv-iommu.c). */
int qemu_argv_build_vsock(QemuArgvBuilder *b);
int qemu_argv_build_watchdogs(QemuArgvBuilder *b);
int qemu_argv_build_features(QemuArgvBuilder *b);
int qemu_argv_build_graphics(QemuArgvBuilder *b);
int qemu_argv_build_video(QemuArgvBuilder *b);
int qemu_argv_build_audio(QemuArgvBuilder *b);
int qemu_argv_build_sounds(QemuArgvBuilder *b);
int qemu_argv_build_usb_devices(QemuArgvBuilder *b);
/* Whether the domain has SPICE graphics (what spicevmc chardevs need). */
bool qemu_argv_has_spice(const Domain *d);
/* The id of the -audiodev a sound device uses ("audio1"), 0 when the
 * domain has no sound at all. */
unsigned qemu_argv_audio_id(const Domain *d, unsigned wanted);
/* The -cpu flags of <features> (hyperv, kvm, apic eoi, pvspinlock, pmu)
 * and of the kvmclock, hypervclock and tsc timers: appended to the -cpu
 * that build_cpu() wrote last, or a -cpu qemu64,... when it wrote none. */
int qemu_argv_build_cpu_flags(QemuArgvBuilder *b);
/* What <features> add to -machine (kernel-irqchip) and to -accel
 * (dirty-ring-size), each a comma-led string appended to *m. */
int qemu_argv_machine_features(QemuArgvBuilder *b, char **m);
int qemu_argv_accel_features(QemuArgvBuilder *b, char **a);

/* "virtio-rng-pci", "virtio-rng-pci-transitional", ... into buf. */
const char *qemu_virtio_pci_driver(const char *base, DomainVirtioModel model, char buf[static 64]);

/* Index of a disk from its target name: vda -> 0, sdb -> 1, hdaa -> 26.
 * Returns 0 or -EINVAL. */
int qemu_argv_disk_index(const char *target, unsigned *ret);
