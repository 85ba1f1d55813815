/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The typed domain model: what vmunit understands of libvirt's domain XML.
 * Everything the parser accepts lands here; everything the QEMU command
 * builder and the labelling code need is read from here, never from XML.
 *
 * Conventions: strings are heap-owned by the Domain (NULL = absent); enums
 * have a *_DEFAULT / *_NONE value 0 meaning "not given in the XML", so the
 * formatter writes back exactly what was given and a parse -> format ->
 * parse round trip is the identity. Memory is always KiB.
 */

#include <stdbool.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "xml-schema.h"

#define DOMAIN_NAME_MAX 200 /* unit name limit (255) minus "vm@" + ".service" + escaping headroom */
#define DOMAIN_BOOT_MAX 4

typedef enum DomainVirtType {
        DOMAIN_VIRT_QEMU, /* TCG */
        DOMAIN_VIRT_KVM,
} DomainVirtType;

typedef enum DomainLifecycleAction {
        DOMAIN_ACTION_DEFAULT, /* not given: poweroff/crash=destroy, reboot=restart */
        DOMAIN_ACTION_DESTROY,
        DOMAIN_ACTION_RESTART,
        DOMAIN_ACTION_PRESERVE,
        DOMAIN_ACTION_RENAME_RESTART,
        DOMAIN_ACTION_COREDUMP_DESTROY,
        DOMAIN_ACTION_COREDUMP_RESTART,
} DomainLifecycleAction;

typedef enum DomainTristate {
        DOMAIN_TRISTATE_ABSENT,
        DOMAIN_TRISTATE_ON,
        DOMAIN_TRISTATE_OFF,
} DomainTristate;

/* <address type=...>: where a device sits on its bus, as libvirt writes
 * it. Which fields a type takes is checked at parse time. */
typedef enum DomainAddressType {
        DOMAIN_ADDRESS_NONE,
        DOMAIN_ADDRESS_PCI,
        DOMAIN_ADDRESS_DRIVE,
        DOMAIN_ADDRESS_USB,
        DOMAIN_ADDRESS_VIRTIO_SERIAL,
        DOMAIN_ADDRESS_CCID,
        DOMAIN_ADDRESS_ISA,
} DomainAddressType;

typedef struct DomainAddress {
        DomainAddressType type;
        XmlNum domain, bus, slot, function; /* pci; bus also drive, usb, virtio-serial */
        DomainTristate multifunction;       /* pci */
        XmlNum controller, target, unit;    /* drive; controller also virtio-serial, ccid */
        char *port;                         /* usb: "1" or a hub path "1.2"; virtio-serial: a number */
        XmlNum iobase, irq;                 /* isa */
        XmlNum reg, cssid, ssid, devno; /* other architectures' types: read so the refusal names the type */
} DomainAddress;

/* What every device has: it is the first member of each device struct,
 * so a child handler shared by all devices gets it from the device. */
typedef struct DomainDeviceInfo {
        char *alias;            /* <alias name=...>: QEMU's id for the device when "ua-" prefixed */
        DomainAddress *address; /* NULL: placed by libvirt's rules at start */
} DomainDeviceInfo;

void domain_device_info_done(DomainDeviceInfo *info);

typedef enum DomainBootDev {
        DOMAIN_BOOT_NONE,
        DOMAIN_BOOT_HD,
        DOMAIN_BOOT_CDROM,
        DOMAIN_BOOT_FD,
        DOMAIN_BOOT_NETWORK,
} DomainBootDev;

typedef enum DomainFirmware {
        DOMAIN_FIRMWARE_DEFAULT, /* BIOS (SeaBIOS) unless <loader> says otherwise */
        DOMAIN_FIRMWARE_EFI,
        DOMAIN_FIRMWARE_BIOS,
} DomainFirmware;

typedef enum DomainLoaderType {
        DOMAIN_LOADER_DEFAULT,
        DOMAIN_LOADER_ROM,
        DOMAIN_LOADER_PFLASH,
} DomainLoaderType;

/* Format of a firmware file (<loader format=>, <nvram format=>). */
typedef enum DomainFirmwareFormat {
        DOMAIN_FIRMWARE_FORMAT_DEFAULT, /* raw */
        DOMAIN_FIRMWARE_FORMAT_RAW,
        DOMAIN_FIRMWARE_FORMAT_QCOW2,
} DomainFirmwareFormat;

/* <os><smbios mode=>: where the guest's SMBIOS tables come from. */
typedef enum DomainSmbiosMode {
        DOMAIN_SMBIOS_DEFAULT, /* QEMU's own */
        DOMAIN_SMBIOS_EMULATE, /* QEMU's own, said explicitly */
        DOMAIN_SMBIOS_HOST,    /* copied from the host's */
        DOMAIN_SMBIOS_SYSINFO, /* from <sysinfo> */
} DomainSmbiosMode;

typedef struct DomainOs {
        char *type;    /* "hvm" (the only one accepted) */
        char *arch;    /* e.g. "x86_64"; NULL = host arch */
        char *machine; /* e.g. "pc", "q35", "pc-q35-7.2"; NULL = "pc" */
        DomainBootDev boot[DOMAIN_BOOT_MAX];
        size_t n_boot;
        DomainTristate bootmenu;
        char *kernel;
        char *initrd;
        char *cmdline;
        DomainFirmware firmware;
        char *loader; /* path */
        DomainLoaderType loader_type;
        DomainTristate loader_readonly;
        DomainTristate loader_secure;
        char *nvram;          /* path of the per-VM variable store */
        char *nvram_template; /* <nvram template='...'> */
        /* <os firmware='efi'><firmware><feature enabled= name=/>: what the
         * firmware chosen from QEMU's descriptors must (ON) or must not
         * (OFF) have. */
        DomainTristate fw_secure_boot;
        DomainTristate fw_enrolled_keys;
        DomainTristate loader_stateless; /* <loader stateless=>: no variable store */
        DomainFirmwareFormat loader_format;
        DomainFirmwareFormat nvram_format;
        DomainFirmwareFormat nvram_template_format; /* <nvram templateFormat>: the template's format */
        bool bootmenu_timeout_set;                  /* <bootmenu timeout='N'/> (ms) */
        unsigned bootmenu_timeout;
        DomainTristate bios_useserial; /* <bios useserial=>: SeaBIOS on the serial port */
        bool bios_reboot_timeout_set;  /* <bios rebootTimeout='N'/> (ms, -1: never) */
        int bios_reboot_timeout;
        DomainSmbiosMode smbios_mode; /* <smbios mode=> */
} DomainOs;

/* A feature element with state='on|off' (libvirt's tristate switch);
 * <hap/> without state= is on and written back as state='on'. */
typedef struct DomainFeatureState {
        DomainTristate state;
} DomainFeatureState;

/* <apic eoi='on|off'/>: present or not (NULL); eoi = paravirtual EOI. */
typedef struct DomainFeatureApic {
        DomainTristate eoi;
} DomainFeatureApic;

typedef struct DomainFeatureSmm {
        DomainTristate state;
        uint64_t tseg_kib; /* <tseg unit>: q35's extended TSEG; 0 = QEMU's default */
} DomainFeatureSmm;

typedef enum DomainIoapicDriver {
        DOMAIN_IOAPIC_DEFAULT,
        DOMAIN_IOAPIC_KVM,  /* kernel-irqchip=on */
        DOMAIN_IOAPIC_QEMU, /* kernel-irqchip=split */
} DomainIoapicDriver;

typedef struct DomainFeatureIoapic {
        DomainIoapicDriver driver;
} DomainFeatureIoapic;

typedef struct DomainFeatureDirtyRing {
        DomainTristate state;
        unsigned size; /* entries, a power of two from 1024 to 65536 */
} DomainFeatureDirtyRing;

/* <kvm>: what KVM shows the guest. */
typedef struct DomainFeatureKvm {
        DomainFeatureState hidden; /* hide the KVM signature: -cpu kvm=off */
        DomainFeatureState hint_dedicated;
        DomainFeatureState poll_control;
        DomainFeatureState pv_ipi;
        DomainFeatureDirtyRing dirty_ring;
} DomainFeatureKvm;

typedef enum DomainHypervMode {
        DOMAIN_HYPERV_MODE_DEFAULT,
        DOMAIN_HYPERV_MODE_CUSTOM,
        DOMAIN_HYPERV_MODE_PASSTHROUGH,
} DomainHypervMode;

typedef struct DomainHypervSpinlocks {
        DomainTristate state;
        unsigned retries; /* >= 4095 when on */
} DomainHypervSpinlocks;

typedef struct DomainHypervStimer {
        DomainTristate state;
        DomainFeatureState direct;
} DomainHypervStimer;

typedef struct DomainHypervVendorId {
        DomainTristate state;
        char *value; /* at most 12 characters */
} DomainHypervVendorId;

typedef struct DomainHypervTlbflush {
        DomainTristate state;
        DomainFeatureState direct;
        DomainFeatureState extended;
} DomainHypervTlbflush;

/* <hyperv>: the Hyper-V enlightenments Windows guests use. */
typedef struct DomainFeatureHyperv {
        DomainHypervMode mode; /* filled in: custom when not given */
        DomainFeatureState relaxed, vapic;
        DomainHypervSpinlocks spinlocks;
        DomainFeatureState vpindex, runtime, synic;
        DomainHypervStimer stimer;
        DomainFeatureState reset;
        DomainHypervVendorId vendor_id;
        DomainFeatureState frequencies, reenlightenment;
        DomainHypervTlbflush tlbflush;
        DomainFeatureState ipi, evmcs, avic, emsr_bitmap, xmm_input;
} DomainFeatureHyperv;

typedef struct DomainFeatureAsyncTeardown {
        DomainTristate enabled; /* yes|no; filled in: yes */
} DomainFeatureAsyncTeardown;

/* <features> (src/domain/dom-features.c). */
typedef struct DomainFeatures {
        bool acpi;
        DomainFeatureApic *apic; /* NULL = no <apic/> */
        bool pae;
        DomainFeatureState hap; /* kept: KVM uses EPT/NPT whenever the host has them */
        DomainFeatureHyperv *hyperv;
        DomainFeatureKvm kvm;
        DomainFeatureState pvspinlock; /* -cpu kvm-pv-unhalt */
        DomainFeatureState pmu;        /* -cpu pmu */
        DomainFeatureState vmport;     /* VMware I/O port */
        DomainFeatureSmm smm;          /* System Management Mode */
        DomainFeatureIoapic ioapic;
        DomainFeatureState vmcoreinfo; /* a device for the guest's crash-dump notes */
        DomainFeatureAsyncTeardown async_teardown;
} DomainFeatures;

/* <pm>: which ACPI sleep states the guest is offered. */
typedef struct DomainPm {
        DomainTristate suspend_to_mem;  /* S3 */
        DomainTristate suspend_to_disk; /* S4 */
} DomainPm;

typedef enum DomainCpuMode {
        DOMAIN_CPU_MODE_DEFAULT, /* no <cpu> or no mode= : custom if a model is given */
        DOMAIN_CPU_MODE_CUSTOM,
        DOMAIN_CPU_MODE_HOST_MODEL,
        DOMAIN_CPU_MODE_HOST_PASSTHROUGH,
        DOMAIN_CPU_MODE_MAXIMUM,
} DomainCpuMode;

/* Kept as written; on QEMU's command line force/require/optional
 * become feature=on and disable/forbid feature=off. 0: not given
 * (libvirt's default, require). */
typedef enum DomainCpuFeaturePolicy {
        DOMAIN_CPU_FEATURE_DEFAULT,
        DOMAIN_CPU_FEATURE_FORCE,
        DOMAIN_CPU_FEATURE_REQUIRE,
        DOMAIN_CPU_FEATURE_OPTIONAL,
        DOMAIN_CPU_FEATURE_DISABLE,
        DOMAIN_CPU_FEATURE_FORBID,
} DomainCpuFeaturePolicy;

typedef struct DomainCpuFeature {
        char *name;
        DomainCpuFeaturePolicy policy;
} DomainCpuFeature;

typedef enum DomainCpuMatch {
        DOMAIN_CPU_MATCH_DEFAULT,
        DOMAIN_CPU_MATCH_MINIMUM,
        DOMAIN_CPU_MATCH_EXACT,
        DOMAIN_CPU_MATCH_STRICT,
} DomainCpuMatch;

typedef enum DomainCpuCheck {
        DOMAIN_CPU_CHECK_DEFAULT,
        DOMAIN_CPU_CHECK_NONE,
        DOMAIN_CPU_CHECK_PARTIAL,
        DOMAIN_CPU_CHECK_FULL,
} DomainCpuCheck;

typedef enum DomainCpuFallback {
        DOMAIN_CPU_FALLBACK_DEFAULT,
        DOMAIN_CPU_FALLBACK_ALLOW,
        DOMAIN_CPU_FALLBACK_FORBID,
} DomainCpuFallback;

/* <model fallback vendor_id>NAME</model> */
typedef struct DomainCpuModel {
        char *name;                 /* NULL = no model */
        DomainCpuFallback fallback; /* libvirt's choice of a close model: kept */
        char *vendor_id;            /* 12 characters: CPUID vendor string the guest sees */
} DomainCpuModel;

/* <topology>: 0 = not given */
typedef struct DomainCpuTopology {
        unsigned sockets, dies, clusters, cores, threads;
} DomainCpuTopology;

typedef enum DomainCpuCacheMode {
        DOMAIN_CPU_CACHE_NONE, /* no <cache> */
        DOMAIN_CPU_CACHE_EMULATE,
        DOMAIN_CPU_CACHE_PASSTHROUGH,
        DOMAIN_CPU_CACHE_DISABLE,
} DomainCpuCacheMode;

typedef struct DomainCpuCache {
        unsigned level; /* 0 = not given; only 3 */
        DomainCpuCacheMode mode;
} DomainCpuCache;

typedef enum DomainCpuPhysAddrMode {
        DOMAIN_CPU_PHYS_ADDR_NONE,
        DOMAIN_CPU_PHYS_ADDR_PASSTHROUGH,
        DOMAIN_CPU_PHYS_ADDR_EMULATE,
} DomainCpuPhysAddrMode;

/* <maxphysaddr mode bits limit> */
typedef struct DomainCpuMaxPhysAddr {
        DomainCpuPhysAddrMode mode;
        unsigned bits;  /* emulate: phys-bits */
        unsigned limit; /* passthrough: host-phys-bits-limit */
} DomainCpuMaxPhysAddr;

typedef enum DomainMemAccess {
        DOMAIN_MEM_ACCESS_DEFAULT,
        DOMAIN_MEM_ACCESS_SHARED,
        DOMAIN_MEM_ACCESS_PRIVATE,
} DomainMemAccess;

typedef struct DomainNumaSibling {
        XmlNum id;
        XmlNum value;
} DomainNumaSibling;

typedef struct DomainNumaDistances {
        DomainNumaSibling *siblings;
        size_t n_siblings;
} DomainNumaDistances;

/* <cell id cpus memory unit memAccess discard><distances/></cell> */
typedef struct DomainNumaCell {
        XmlNum id;
        char *cpus;    /* libvirt's cpuset syntax; validated */
        XmlNum memory; /* in unit */
        char *unit;    /* as written; NULL = KiB */
        DomainMemAccess mem_access;
        DomainTristate discard;
        DomainNumaDistances distances;
        uint64_t memory_kib; /* memory in KiB, worked out at parse time (not written) */
} DomainNumaCell;

typedef struct DomainNuma {
        DomainNumaCell *cells;
        size_t n_cells;
} DomainNuma;

typedef struct DomainCpu {
        bool present; /* a <cpu> element was given */
        DomainCpuMode mode;
        DomainCpuMatch match;      /* how libvirt compares a custom model with the host's: kept */
        DomainCpuCheck check;      /* libvirt's own check of the started CPU: kept */
        DomainTristate migratable; /* host-passthrough/maximum: only migratable features */
        DomainCpuModel model;
        char *vendor; /* <vendor>: libvirt's host-model comparison; kept */
        DomainCpuTopology topology;
        DomainCpuCache cache;
        DomainCpuMaxPhysAddr maxphysaddr;
        DomainCpuFeature *features;
        size_t n_features;
        DomainNuma numa;
} DomainCpu;

/* <vcpus><vcpu id enabled hotpluggable order/></vcpus>: per-vCPU state. */
typedef struct DomainVcpuDef {
        XmlNum id;
        DomainTristate enabled;
        DomainTristate hotpluggable;
        unsigned order; /* 0 = not given */
} DomainVcpuDef;

typedef struct DomainVcpus {
        DomainVcpuDef *vcpus;
        size_t n_vcpus;
} DomainVcpus;

/* <cputune>: shares become the unit's CPUWeight=; the rest is kept and
 * refused when a command line is built (see qemu-argv). */
typedef struct DomainVcpuPin {
        XmlNum vcpu;
        char *cpuset;
} DomainVcpuPin;

typedef struct DomainIothreadPin {
        unsigned iothread;
        char *cpuset;
} DomainIothreadPin;

typedef struct DomainCputune {
        unsigned shares; /* 0 = not given */
        XmlNum period;   /* microseconds */
        XmlNum quota;    /* microseconds (libvirt also takes a negative "no limit": refused) */
        DomainVcpuPin *vcpupins;
        size_t n_vcpupins;
        char *emulatorpin; /* <emulatorpin cpuset> */
        DomainIothreadPin *iothreadpins;
        size_t n_iothreadpins;
} DomainCputune;

typedef enum DomainMemSource {
        DOMAIN_MEM_SOURCE_DEFAULT,
        DOMAIN_MEM_SOURCE_FILE,
        DOMAIN_MEM_SOURCE_ANONYMOUS,
        DOMAIN_MEM_SOURCE_MEMFD,
} DomainMemSource;

typedef enum DomainMemAllocation {
        DOMAIN_MEM_ALLOC_DEFAULT,
        DOMAIN_MEM_ALLOC_IMMEDIATE,
        DOMAIN_MEM_ALLOC_ONDEMAND,
} DomainMemAllocation;

/* <page size unit nodeset/> */
typedef struct DomainHugePage {
        XmlNum size;
        char *unit; /* as written; NULL = KiB */
        char *nodeset;
        uint64_t size_kib; /* worked out at parse time (not written) */
} DomainHugePage;

typedef struct DomainHugePages {
        DomainHugePage *pages;
        size_t n_pages;
} DomainHugePages;

typedef struct DomainMemAllocationDef {
        DomainMemAllocation mode;
        unsigned threads;
} DomainMemAllocationDef;

typedef struct DomainMemoryBacking {
        DomainHugePages *hugepages; /* NULL = no <hugepages> */
        bool nosharepages;
        bool locked;
        DomainMemSource source;
        DomainMemAccess access;
        DomainMemAllocationDef allocation;
        bool discard;
} DomainMemoryBacking;

/* <maxMemory slots unit>N</maxMemory>: 0 = not given */
typedef struct DomainMaxMemory {
        XmlNum value; /* in unit */
        char *unit;   /* as written; NULL = KiB */
        unsigned slots;
        uint64_t kib; /* worked out at parse time (not written) */
} DomainMaxMemory;

typedef enum DomainNumatuneMode {
        DOMAIN_NUMATUNE_DEFAULT,
        DOMAIN_NUMATUNE_STRICT,
        DOMAIN_NUMATUNE_PREFERRED,
        DOMAIN_NUMATUNE_INTERLEAVE,
        DOMAIN_NUMATUNE_RESTRICTIVE,
} DomainNumatuneMode;

typedef enum DomainNumatunePlacement {
        DOMAIN_NUMATUNE_PLACEMENT_DEFAULT,
        DOMAIN_NUMATUNE_PLACEMENT_STATIC,
        DOMAIN_NUMATUNE_PLACEMENT_AUTO,
} DomainNumatunePlacement;

typedef struct DomainNumatuneMemory {
        DomainNumatuneMode mode;
        char *nodeset; /* host NUMA nodes */
        DomainNumatunePlacement placement;
} DomainNumatuneMemory;

typedef struct DomainNumatuneMemnode {
        XmlNum cellid;
        DomainNumatuneMode mode;
        char *nodeset;
} DomainNumatuneMemnode;

typedef struct DomainNumatune {
        DomainNumatuneMemory memory;
        DomainNumatuneMemnode *memnodes;
        size_t n_memnodes;
} DomainNumatune;

typedef struct DomainIothreadId {
        XmlNum id;
} DomainIothreadId;

typedef struct DomainIothreadIds {
        DomainIothreadId *ids;
        size_t n_ids;
} DomainIothreadIds;

typedef enum DomainClockOffset {
        DOMAIN_CLOCK_DEFAULT, /* utc */
        DOMAIN_CLOCK_UTC,
        DOMAIN_CLOCK_LOCALTIME,
        DOMAIN_CLOCK_VARIABLE, /* adjustment seconds from basis */
        DOMAIN_CLOCK_TIMEZONE, /* the host's clock in timezone= */
} DomainClockOffset;

typedef enum DomainClockBasis {
        DOMAIN_CLOCK_BASIS_DEFAULT, /* utc */
        DOMAIN_CLOCK_BASIS_UTC,
        DOMAIN_CLOCK_BASIS_LOCALTIME,
} DomainClockBasis;

typedef enum DomainTimerTickPolicy {
        DOMAIN_TICK_DEFAULT,
        DOMAIN_TICK_DELAY,
        DOMAIN_TICK_CATCHUP,
        DOMAIN_TICK_MERGE,
        DOMAIN_TICK_DISCARD,
} DomainTimerTickPolicy;

typedef enum DomainTimerTrack {
        DOMAIN_TRACK_DEFAULT,
        DOMAIN_TRACK_GUEST,    /* -rtc clock=vm */
        DOMAIN_TRACK_WALL,     /* -rtc clock=host */
        DOMAIN_TRACK_REALTIME, /* -rtc clock=rt */
} DomainTimerTrack;

typedef enum DomainTimerMode {
        DOMAIN_TIMER_MODE_DEFAULT,
        DOMAIN_TIMER_MODE_AUTO,
        DOMAIN_TIMER_MODE_NATIVE,
        DOMAIN_TIMER_MODE_EMULATE,
} DomainTimerMode;

typedef struct DomainTimer {
        char *name; /* rtc, pit, hpet, kvmclock, hypervclock, tsc */
        DomainTimerTickPolicy tickpolicy;
        DomainTristate present;
        DomainTimerTrack track; /* rtc */
        XmlNum frequency;       /* tsc, Hz */
        DomainTimerMode mode;   /* tsc */
} DomainTimer;

/* <clock> (src/domain/dom-clock.c). */
typedef struct DomainClock {
        DomainClockOffset offset;
        DomainClockOffset sync; /* the old spelling of offset: read, moved to offset */
        char *adjustment;       /* "reset" or signed seconds */
        DomainClockBasis basis; /* variable */
        char *timezone;         /* timezone: e.g. "Europe/Paris" */
        DomainTimer *timers;
        size_t n_timers;
} DomainClock;

/* <blkiotune>: the unit's IOWeight= and per-device I/O settings
 * (dom-blkiotune.c, written by the generator). */
typedef struct DomainBlkioDevice {
        char *path;
        unsigned weight; /* 0 = not given */
        XmlNum read_iops_sec;
        XmlNum write_iops_sec;
        XmlNum read_bytes_sec;
        XmlNum write_bytes_sec;
} DomainBlkioDevice;

typedef struct DomainBlkiotune {
        unsigned weight; /* 0 = not given */
        DomainBlkioDevice *devices;
        size_t n_devices;
} DomainBlkiotune;

/* <perf>: host perf counters libvirt reads for its statistics; kept,
 * no effect (dom-perf.c). */
typedef enum DomainPerfEventName {
        DOMAIN_PERF_NONE,
        DOMAIN_PERF_CMT,
        DOMAIN_PERF_MBMT,
        DOMAIN_PERF_MBML,
        DOMAIN_PERF_CPU_CYCLES,
        DOMAIN_PERF_INSTRUCTIONS,
        DOMAIN_PERF_CACHE_REFERENCES,
        DOMAIN_PERF_CACHE_MISSES,
        DOMAIN_PERF_BRANCH_INSTRUCTIONS,
        DOMAIN_PERF_BRANCH_MISSES,
        DOMAIN_PERF_BUS_CYCLES,
        DOMAIN_PERF_STALLED_CYCLES_FRONTEND,
        DOMAIN_PERF_STALLED_CYCLES_BACKEND,
        DOMAIN_PERF_REF_CPU_CYCLES,
        DOMAIN_PERF_CPU_CLOCK,
        DOMAIN_PERF_TASK_CLOCK,
        DOMAIN_PERF_PAGE_FAULTS,
        DOMAIN_PERF_CONTEXT_SWITCHES,
        DOMAIN_PERF_CPU_MIGRATIONS,
        DOMAIN_PERF_PAGE_FAULTS_MIN,
        DOMAIN_PERF_PAGE_FAULTS_MAJ,
        DOMAIN_PERF_ALIGNMENT_FAULTS,
        DOMAIN_PERF_EMULATION_FAULTS,
} DomainPerfEventName;

typedef struct DomainPerfEvent {
        DomainPerfEventName name;
        DomainTristate enabled;
} DomainPerfEvent;

typedef struct DomainPerf {
        DomainPerfEvent *events;
        size_t n_events;
} DomainPerf;

/* <on_lockfailure>: the lock manager's policy; vmunit has no lock
 * manager, so it is kept and never triggers (dom-perf.c). */
typedef enum DomainLockFailureAction {
        DOMAIN_LOCK_FAILURE_DEFAULT,
        DOMAIN_LOCK_FAILURE_POWEROFF,
        DOMAIN_LOCK_FAILURE_RESTART,
        DOMAIN_LOCK_FAILURE_PAUSE,
        DOMAIN_LOCK_FAILURE_IGNORE,
} DomainLockFailureAction;

/* <resource>: the cgroup partition, a slice path (dom-resource.c). */
typedef struct DomainResource {
        char *partition; /* e.g. "/machine"; NULL = not given */
} DomainResource;

/* <sysinfo type='smbios'> (dom-sysinfo.c). */
typedef enum DomainSysinfoType {
        DOMAIN_SYSINFO_NONE,
        DOMAIN_SYSINFO_SMBIOS,
} DomainSysinfoType;

typedef struct DomainSysinfoEntry {
        char *name; /* NULL in <oemStrings> */
        char *value;
} DomainSysinfoEntry;

typedef struct DomainSysinfoBlock {
        DomainSysinfoEntry *entries;
        size_t n_entries;
} DomainSysinfoBlock;

typedef struct DomainSysinfo {
        DomainSysinfoType type; /* NONE = no <sysinfo> */
        DomainSysinfoBlock bios, system, base_board, chassis, oem_strings;
} DomainSysinfo;

/* The value of entry name in a block, or NULL. */
const char *domain_sysinfo_get(const DomainSysinfoBlock *b, const char *name);

/* <genid>: the VM generation ID the guest sees (vmgenid device). */
typedef struct DomainGenid {
        char *value; /* a UUID; generated at parse time when the element is empty */
} DomainGenid;

typedef enum DomainDiskType {
        DOMAIN_DISK_TYPE_FILE,
        DOMAIN_DISK_TYPE_BLOCK,
} DomainDiskType;

typedef enum DomainDiskDevice {
        DOMAIN_DISK_DEVICE_DISK,
        DOMAIN_DISK_DEVICE_CDROM,
        DOMAIN_DISK_DEVICE_FLOPPY,
        DOMAIN_DISK_DEVICE_LUN, /* a host SCSI block device passed through (scsi-block) */
} DomainDiskDevice;

typedef enum DomainDiskBus {
        DOMAIN_DISK_BUS_DEFAULT, /* derived from the target name: vd* virtio, sd* sata/scsi, hd* ide, fd* fdc */
        DOMAIN_DISK_BUS_VIRTIO,
        DOMAIN_DISK_BUS_SATA,
        DOMAIN_DISK_BUS_IDE,
        DOMAIN_DISK_BUS_SCSI,
        DOMAIN_DISK_BUS_USB,
        DOMAIN_DISK_BUS_FDC,
} DomainDiskBus;

typedef enum DomainDiskFormat {
        DOMAIN_DISK_FORMAT_DEFAULT, /* raw */
        DOMAIN_DISK_FORMAT_RAW,
        DOMAIN_DISK_FORMAT_QCOW2,
} DomainDiskFormat;

typedef enum DomainDiskCache {
        DOMAIN_DISK_CACHE_DEFAULT,
        DOMAIN_DISK_CACHE_NONE,
        DOMAIN_DISK_CACHE_WRITETHROUGH,
        DOMAIN_DISK_CACHE_WRITEBACK,
        DOMAIN_DISK_CACHE_DIRECTSYNC,
        DOMAIN_DISK_CACHE_UNSAFE,
} DomainDiskCache;

/* Options every virtio device takes (<driver> of a virtio device). */
typedef struct DomainVirtioOptions {
        DomainTristate iommu, ats, packed, page_per_vq;
} DomainVirtioOptions;

/* The enums below start at 1: 0 is "not given" (the schema's convention). */
typedef enum DomainDiskIo {
        DOMAIN_DISK_IO_NATIVE = 1,
        DOMAIN_DISK_IO_THREADS,
        DOMAIN_DISK_IO_URING,
} DomainDiskIo;

typedef enum DomainDiskDiscard {
        DOMAIN_DISK_DISCARD_UNMAP = 1,
        DOMAIN_DISK_DISCARD_IGNORE,
} DomainDiskDiscard;

typedef enum DomainDiskDetectZeroes {
        DOMAIN_DISK_DETECT_ZEROES_OFF = 1,
        DOMAIN_DISK_DETECT_ZEROES_ON,
        DOMAIN_DISK_DETECT_ZEROES_UNMAP,
} DomainDiskDetectZeroes;

typedef enum DomainDiskErrorPolicy {
        DOMAIN_DISK_ERROR_STOP = 1,
        DOMAIN_DISK_ERROR_REPORT,
        DOMAIN_DISK_ERROR_IGNORE,
        DOMAIN_DISK_ERROR_ENOSPACE,
} DomainDiskErrorPolicy;

typedef enum DomainDiskStartupPolicy {
        DOMAIN_DISK_STARTUP_MANDATORY = 1,
        DOMAIN_DISK_STARTUP_REQUISITE,
        DOMAIN_DISK_STARTUP_OPTIONAL,
} DomainDiskStartupPolicy;

typedef enum DomainDiskSgio {
        DOMAIN_DISK_SGIO_FILTERED = 1,
        DOMAIN_DISK_SGIO_UNFILTERED,
} DomainDiskSgio;

typedef enum DomainDiskTray {
        DOMAIN_DISK_TRAY_OPEN = 1,
        DOMAIN_DISK_TRAY_CLOSED,
} DomainDiskTray;

typedef enum DomainDiskGeometryTrans {
        DOMAIN_DISK_TRANS_NONE = 1,
        DOMAIN_DISK_TRANS_LBA,
        DOMAIN_DISK_TRANS_AUTO,
} DomainDiskGeometryTrans;

/* <blockio>: sizes in bytes, 0 = not given. */
typedef struct DomainDiskBlockio {
        unsigned logical_block_size, physical_block_size, discard_granularity;
} DomainDiskBlockio;

/* <geometry cyls heads secs trans>: 0 = not given. */
typedef struct DomainDiskGeometry {
        unsigned cyls, heads, secs;
        DomainDiskGeometryTrans trans;
} DomainDiskGeometry;

typedef struct DomainDisk {
        DomainDeviceInfo info; /* first member */
        DomainDiskType type;
        DomainDiskDevice device;
        DomainTristate rawio; /* device='lun' only */
        DomainDiskSgio sgio;  /* device='lun' only */
        char *driver_name;    /* "qemu" only */
        DomainDiskFormat format;
        DomainDiskCache cache;
        /* The rest of <driver>; 0 = not given. */
        DomainDiskErrorPolicy error_policy, rerror_policy;
        DomainDiskIo io;
        unsigned iothread; /* an <iothreads> number */
        unsigned queues, queue_size;
        DomainDiskDiscard discard;
        DomainDiskDetectZeroes detect_zeroes;
        DomainTristate copy_on_read;
        DomainVirtioOptions virtio;
        char *source; /* file= or dev=; NULL = empty (cdrom/floppy only) */
        DomainDiskStartupPolicy startup_policy;
        bool backing_store_none;  /* an empty <backingStore/>: no backing chain */
        char *target_dev;         /* vda, sda, hdc, fda ... (required) */
        DomainDiskBus bus;        /* as given; see domain_disk_bus() for the effective one */
        DomainDiskTray tray;      /* cdrom/floppy; state libvirt reports, kept */
        unsigned rotation_rate;   /* <target rotation_rate>: 1 = SSD; 0 = not given */
        DomainTristate removable; /* <target removable>: usb and scsi */
        DomainDiskGeometry geometry;
        DomainDiskBlockio blockio;
        bool readonly;
        bool shareable;
        unsigned boot_order; /* 0 = not given */
        char *serial;
        char *wwn;     /* 16 hex digits */
        char *vendor;  /* scsi: at most 8 printable characters */
        char *product; /* scsi: at most 16 printable characters */
} DomainDisk;

typedef enum DomainNetType {
        DOMAIN_NET_USER,
} DomainNetType;

typedef struct DomainInterface {
        DomainDeviceInfo info; /* first member */
        DomainNetType type;
        uint8_t mac[6];
        bool mac_given; /* else generated at parse time and written back */
        char *model;    /* virtio, e1000, e1000e, rtl8139; NULL = virtio */
        unsigned boot_order;
} DomainInterface;

typedef enum DomainCharType {
        DOMAIN_CHAR_PTY,
        DOMAIN_CHAR_FILE,
        DOMAIN_CHAR_UNIX,
        DOMAIN_CHAR_NULL,
        DOMAIN_CHAR_STDIO,
        DOMAIN_CHAR_SPICEVMC, /* <channel> only: SPICE's agent channel */
} DomainCharType;

typedef enum DomainCharKind {
        DOMAIN_CHAR_SERIAL,
        DOMAIN_CHAR_CONSOLE,
        /* <channel>: a port on the virtio-serial bus. A channel is a
         * DomainChar and not a table-described family of its own because
         * its backend is exactly a serial port's (<source> for pty, unix,
         * file, and the supervisor binding a listening socket and passing
         * the fd): the VmFile walk, the labels and the -chardev builder
         * serve all three kinds from one description. */
        DOMAIN_CHAR_CHANNEL,
} DomainCharKind;

typedef enum DomainCharTargetType {
        DOMAIN_CHAR_TARGET_DEFAULT, /* serial: isa-serial; console: serial */
        DOMAIN_CHAR_TARGET_ISA_SERIAL,
        DOMAIN_CHAR_TARGET_SERIAL, /* console on the first serial port */
        DOMAIN_CHAR_TARGET_VIRTIO, /* virtio console; channel: virtserialport */
        DOMAIN_CHAR_TARGET_PCI_SERIAL,
        DOMAIN_CHAR_TARGET_USB_SERIAL,
} DomainCharTargetType;

/* <serial><target><model name>: the device model, which libvirt writes
 * next to the target type it implies. */
typedef enum DomainCharTargetModel {
        DOMAIN_CHAR_MODEL_DEFAULT,
        DOMAIN_CHAR_MODEL_ISA_SERIAL,
        DOMAIN_CHAR_MODEL_PCI_SERIAL,
        DOMAIN_CHAR_MODEL_USB_SERIAL,
} DomainCharTargetModel;

typedef enum DomainCharState {
        DOMAIN_CHAR_STATE_ABSENT,
        DOMAIN_CHAR_STATE_CONNECTED,
        DOMAIN_CHAR_STATE_DISCONNECTED,
} DomainCharState;

typedef struct DomainChar {
        DomainDeviceInfo info; /* first member */
        DomainCharKind kind;
        DomainCharType type;
        char *path;       /* file / unix socket path */
        bool unix_listen; /* <source mode='bind'> */
        bool append;      /* file: <source append='on'> */
        DomainCharTargetType target_type;
        int target_port; /* -1 = not given */
        DomainCharTargetModel target_model;
        char *target_name;            /* channel: the port's name (org.qemu.guest_agent.0) */
        DomainCharState target_state; /* channel: live-only guest state, kept as given */
        /* A unix channel without <source>: path was filled in by the
         * supervisor (qemu_channel_socket_path()) and is not written back. */
        bool path_auto;
} DomainChar;

typedef enum DomainGraphicsType {
        DOMAIN_GRAPHICS_VNC = 1,
        DOMAIN_GRAPHICS_SPICE,
        DOMAIN_GRAPHICS_NONE, /* a display device but no way to see it */
        DOMAIN_GRAPHICS_SDL,  /* refused: a system service has no X display */
} DomainGraphicsType;

typedef enum DomainGraphicsListenType {
        DOMAIN_GRAPHICS_LISTEN_ABSENT,
        DOMAIN_GRAPHICS_LISTEN_ADDRESS,
        DOMAIN_GRAPHICS_LISTEN_SOCKET,
        DOMAIN_GRAPHICS_LISTEN_NETWORK, /* refused: networks come later */
        DOMAIN_GRAPHICS_LISTEN_NONE,
} DomainGraphicsListenType;

/* <listen type address socket network>: where the display listens. */
typedef struct DomainGraphicsListen {
        DomainGraphicsListenType type;
        char *address;
        char *socket; /* listen on a UNIX socket instead */
        char *network;
} DomainGraphicsListen;

typedef enum DomainGraphicsConnected {
        DOMAIN_GRAPHICS_CONNECTED_DEFAULT,
        DOMAIN_GRAPHICS_CONNECTED_KEEP,
        DOMAIN_GRAPHICS_CONNECTED_DISCONNECT,
        DOMAIN_GRAPHICS_CONNECTED_FAIL,
} DomainGraphicsConnected;

typedef enum DomainGraphicsShare {
        DOMAIN_GRAPHICS_SHARE_DEFAULT,
        DOMAIN_GRAPHICS_SHARE_ALLOW_EXCLUSIVE,
        DOMAIN_GRAPHICS_SHARE_FORCE_SHARED,
        DOMAIN_GRAPHICS_SHARE_IGNORE,
} DomainGraphicsShare;

/* SPICE channels <channel name mode>. */
typedef struct DomainSpiceChannel {
        int name; /* index into the channel names, 1-based */
        int mode; /* 1 any, 2 secure, 3 insecure */
} DomainSpiceChannel;

/* SPICE <gl enable rendernode>. */
typedef struct DomainSpiceGl {
        int enable; /* DomainTristate */
        char *rendernode;
} DomainSpiceGl;

typedef struct DomainGraphics {
        DomainGraphicsType type;
        char *port_attr;     /* as written: "-1" for autoport; NULL with a socket */
        char *tls_port_attr; /* SPICE */
        DomainTristate autoport_attr;
        char *listen; /* address; NULL = 127.0.0.1 */
        char *keymap;
        char *passwd;
        char *passwd_valid_to;
        DomainGraphicsConnected connected;
        DomainGraphicsShare share_policy;
        DomainGraphicsListen listen_el;
        char *sdl_display; /* type='sdl' (refused): display=, xauth=, fullscreen= */
        char *sdl_xauth;
        DomainTristate sdl_fullscreen;
        /* SPICE children: enum values, 0 = not given */
        int image_compression, jpeg_compression, zlib_compression, playback_compression;
        int streaming_mode, mouse_mode, copypaste, filetransfer;
        DomainSpiceGl gl;
        DomainSpiceChannel *channels;
        size_t n_channels;
        /* Filled in by the parser from the above. */
        int port;     /* -1 = autoport / not given */
        int tls_port; /* -1 = none, 0 = autoport */
        bool autoport;
        const char *socket; /* listen_el.socket */
} DomainGraphics;

typedef enum DomainVideoModel {
        DOMAIN_VIDEO_DEFAULT,
        DOMAIN_VIDEO_VGA,
        DOMAIN_VIDEO_CIRRUS,
        DOMAIN_VIDEO_VIRTIO,
        DOMAIN_VIDEO_BOCHS,
        DOMAIN_VIDEO_RAMFB,
        DOMAIN_VIDEO_NONE,
        DOMAIN_VIDEO_QXL,
} DomainVideoModel;

typedef struct DomainVideoAccel {
        DomainTristate accel3d, accel2d;
} DomainVideoAccel;

typedef struct DomainVideoModelDef {
        DomainVideoModel type;
        unsigned ram_kib, vram_kib, vram64_kib, vgamem_kib; /* 0 = not given */
        unsigned heads;
        DomainTristate primary;
        DomainVideoAccel accel;
} DomainVideoModelDef;

typedef struct DomainVideo {
        DomainDeviceInfo info; /* first member */
        DomainVideoModelDef m;
        DomainVirtioOptions virtio;
        /* Filled in by the parser: the model, DOMAIN_VIDEO_DEFAULT when none */
        DomainVideoModel model;
        unsigned vram_kib;
} DomainVideo;

typedef enum DomainAudioType {
        DOMAIN_AUDIO_NONE = 1,
        DOMAIN_AUDIO_SPICE,
} DomainAudioType;

/* <audio id type>: a host audio backend (-audiodev). */
typedef struct DomainAudio {
        unsigned id; /* 1.. */
        DomainAudioType type;
} DomainAudio;

typedef enum DomainSoundModel {
        DOMAIN_SOUND_ICH6 = 1,
        DOMAIN_SOUND_ICH9,
        DOMAIN_SOUND_AC97,
        DOMAIN_SOUND_ES1370,
        DOMAIN_SOUND_SB16,
        DOMAIN_SOUND_USB,
        DOMAIN_SOUND_PCSPK,
        DOMAIN_SOUND_ICH7,
} DomainSoundModel;

typedef enum DomainSoundCodec {
        DOMAIN_SOUND_CODEC_DUPLEX = 1,
        DOMAIN_SOUND_CODEC_MICRO,
        DOMAIN_SOUND_CODEC_OUTPUT,
} DomainSoundCodec;

/* <sound model><codec type/><audio id/></sound>. */
typedef struct DomainSound {
        DomainDeviceInfo info; /* first member */
        DomainSoundModel model;
        DomainSoundCodec *codecs;
        size_t n_codecs;
        unsigned audio_id; /* 0 = the first <audio> */
} DomainSound;

/* <redirdev bus='usb' type='spicevmc'>: a USB device redirected from a
 * SPICE client. */
typedef struct DomainRedirdev {
        DomainDeviceInfo info; /* first member */
        int bus;               /* usb */
        int type;              /* spicevmc */
} DomainRedirdev;

/* <hub type='usb'>. */
typedef struct DomainHub {
        DomainDeviceInfo info; /* first member */
        int type;              /* usb */
} DomainHub;

/* <smartcard mode='passthrough' type='spicevmc'>. */
typedef struct DomainSmartcard {
        DomainDeviceInfo info; /* first member */
        int mode;              /* passthrough (host, host-certificates refused) */
        int type;              /* spicevmc */
} DomainSmartcard;

typedef enum DomainInputType {
        DOMAIN_INPUT_MOUSE,
        DOMAIN_INPUT_KEYBOARD,
        DOMAIN_INPUT_TABLET,
        DOMAIN_INPUT_EVDEV,       /* kept in the model, refused: see dev-input.c */
        DOMAIN_INPUT_PASSTHROUGH, /* likewise */
} DomainInputType;

typedef enum DomainInputBus {
        DOMAIN_INPUT_BUS_DEFAULT, /* ps2 for mouse/keyboard, usb for tablet */
        DOMAIN_INPUT_BUS_PS2,
        DOMAIN_INPUT_BUS_USB,
        DOMAIN_INPUT_BUS_VIRTIO,
} DomainInputBus;

/* <source dev|evdev grab repeat grabToggle> of evdev / passthrough. */
typedef struct DomainInputSource {
        char *dev;   /* evdev: the host's /dev/input/... */
        char *evdev; /* passthrough: likewise */
        char *grab;  /* "all" */
        DomainTristate repeat;
        char *grab_toggle; /* ctrl-ctrl, alt-alt, ... */
} DomainInputSource;

typedef struct DomainInput {
        DomainDeviceInfo info; /* first member */
        DomainInputType type;
        DomainInputBus bus;
        int model; /* DomainVirtioModel, 0 = not given; bus virtio only */
        DomainInputSource source;
        DomainVirtioOptions virtio;
} DomainInput;

typedef enum DomainPanicModel {
        DOMAIN_PANIC_DEFAULT, /* isa on x86 */
        DOMAIN_PANIC_ISA,     /* ISA pvpanic, I/O port 0x505 */
        DOMAIN_PANIC_PVPANIC, /* PCI pvpanic */
        DOMAIN_PANIC_HYPERV,  /* Hyper-V crash MSRs (a CPU property, no device) */
} DomainPanicModel;

typedef struct DomainPanic {
        DomainDeviceInfo info; /* first member */
        DomainPanicModel model;
} DomainPanic;

typedef enum DomainMemballoonModel {
        DOMAIN_MEMBALLOON_DEFAULT,
        DOMAIN_MEMBALLOON_VIRTIO,
        DOMAIN_MEMBALLOON_VIRTIO_TRANSITIONAL,
        DOMAIN_MEMBALLOON_VIRTIO_NON_TRANSITIONAL,
        DOMAIN_MEMBALLOON_NONE,
} DomainMemballoonModel;

typedef struct DomainMemballoon {
        DomainDeviceInfo info; /* first member */
        DomainMemballoonModel model;
        DomainTristate autodeflate;
        DomainTristate free_page_reporting;
        XmlNum stats_period; /* seconds; 0 turns polling off */
        DomainVirtioOptions virtio;
} DomainMemballoon;

typedef enum DomainVirtioModel {
        DOMAIN_VIRTIO_MODEL_VIRTIO = 1,
        DOMAIN_VIRTIO_MODEL_TRANSITIONAL,
        DOMAIN_VIRTIO_MODEL_NON_TRANSITIONAL,
} DomainVirtioModel;

typedef enum DomainRngBackend {
        DOMAIN_RNG_BACKEND_RANDOM = 1, /* a host random device QEMU reads */
        DOMAIN_RNG_BACKEND_BUILTIN,    /* QEMU's own getrandom() */
} DomainRngBackend;

typedef struct DomainRngRate {
        unsigned bytes;  /* per period */
        unsigned period; /* ms; 0 = QEMU's default (1000) */
} DomainRngRate;

typedef struct DomainRngBackendDef {
        DomainRngBackend model;
        char *device; /* random: the text, e.g. /dev/urandom */
} DomainRngBackendDef;

/* <rng model='virtio'>: a virtio entropy device. */
typedef struct DomainRng {
        DomainDeviceInfo info; /* first member */
        DomainVirtioModel model;
        DomainRngRate rate;
        DomainRngBackendDef backend;
        DomainVirtioOptions virtio;
} DomainRng;

/* <vsock model='virtio'><cid auto address/></vsock> */
typedef struct DomainVsockCid {
        DomainTristate auto_; /* auto='yes|no' */
        unsigned address;     /* 0 = not given (CIDs 0-2 are reserved anyway) */
} DomainVsockCid;

typedef struct DomainVsock {
        DomainDeviceInfo info; /* first member */
        int model;             /* DomainVirtioModel, 0 = not given */
        DomainVsockCid cid;
        DomainVirtioOptions virtio;
} DomainVsock;

typedef enum DomainIommuModel {
        DOMAIN_IOMMU_INTEL = 1,
        DOMAIN_IOMMU_VIRTIO,
        DOMAIN_IOMMU_SMMUV3, /* Arm: kept in the model, refused by the builder */
} DomainIommuModel;

/* <iommu model><driver intremap caching_mode eim iotlb aw_bits/></iommu> */
typedef struct DomainIommuDriver {
        DomainTristate intremap;
        DomainTristate caching_mode;
        DomainTristate eim;
        DomainTristate iotlb;
        unsigned aw_bits; /* 0 = QEMU's default */
} DomainIommuDriver;

typedef struct DomainIommu {
        DomainDeviceInfo info; /* first member */
        DomainIommuModel model;
        DomainIommuDriver driver;
} DomainIommu;

typedef enum DomainWatchdogModel {
        DOMAIN_WATCHDOG_I6300ESB = 1, /* PCI */
        DOMAIN_WATCHDOG_IB700,        /* ISA */
        DOMAIN_WATCHDOG_ITCO,         /* built into q35's ICH9 */
} DomainWatchdogModel;

typedef enum DomainWatchdogAction {
        DOMAIN_WATCHDOG_ACTION_DEFAULT, /* reset */
        DOMAIN_WATCHDOG_ACTION_RESET,
        DOMAIN_WATCHDOG_ACTION_SHUTDOWN,
        DOMAIN_WATCHDOG_ACTION_POWEROFF,
        DOMAIN_WATCHDOG_ACTION_PAUSE,
        DOMAIN_WATCHDOG_ACTION_NONE,
        DOMAIN_WATCHDOG_ACTION_INJECT_NMI,
        DOMAIN_WATCHDOG_ACTION_DUMP, /* refused at parse */
} DomainWatchdogAction;

typedef struct DomainWatchdog {
        DomainDeviceInfo info; /* first member */
        DomainWatchdogModel model;
        DomainWatchdogAction action;
} DomainWatchdog;

typedef enum DomainControllerType {
        DOMAIN_CONTROLLER_USB,
        DOMAIN_CONTROLLER_SCSI,
        DOMAIN_CONTROLLER_SATA,
        DOMAIN_CONTROLLER_IDE,
        DOMAIN_CONTROLLER_PCI,
        DOMAIN_CONTROLLER_VIRTIO_SERIAL,
        DOMAIN_CONTROLLER_CCID, /* the USB smartcard reader (dumpxml writes it with a <smartcard>) */
        DOMAIN_CONTROLLER_FDC,  /* the ISA floppy controller (dumpxml writes it with a floppy) */
} DomainControllerType;

/* <target> of a PCI controller: libvirt's numbering, given or filled in. */
typedef struct DomainControllerTarget {
        XmlNum chassis_nr;    /* pci-bridge */
        XmlNum chassis, port; /* pcie-root-port, pcie-switch-downstream-port */
        XmlNum bus_nr;        /* pci-expander-bus */
        XmlNum index;         /* spapr */
        XmlNum node;          /* expander buses: NUMA node */
        DomainTristate hotplug;
} DomainControllerTarget;

typedef struct DomainController {
        DomainDeviceInfo info; /* first member */
        DomainControllerType type;
        unsigned index;       /* without index=, the lowest free one of the type (written back) */
        char *model;          /* per type, see dev-controller.c */
        XmlNum ports;         /* virtio-serial: ports; usb xhci: ports */
        XmlNum vectors;       /* virtio-serial: MSI-X vectors */
        char *pci_model_name; /* <model name>: QEMU's device for a PCI controller */
        DomainControllerTarget target;
        XmlNum master_startport; /* <master startport>: a UHCI companion's first port on its EHCI */
        /* <driver queues iothread cmd_per_lun max_sectors ioeventfd> (virtio-scsi); 0 = not given. */
        unsigned queues, iothread, cmd_per_lun, max_sectors;
        DomainTristate ioeventfd;
} DomainController;

typedef struct DomainQemuEnv {
        char *name;
        char *value;
} DomainQemuEnv;

/* <seclabel>: how the VM's MAC label is chosen (libvirt's semantics). */
typedef enum DomainSeclabelType {
        DOMAIN_SECLABEL_DEFAULT, /* no type= (or no <seclabel>): dynamic */
        DOMAIN_SECLABEL_DYNAMIC, /* a unique label generated at start */
        DOMAIN_SECLABEL_STATIC,  /* the admin's <label>; files left alone unless relabel='yes' */
        DOMAIN_SECLABEL_NONE,    /* no MAC confinement for this VM */
} DomainSeclabelType;

typedef struct DomainSeclabel {
        bool present; /* a <seclabel> element was given */
        DomainSeclabelType type;
        char *model;      /* "selinux", "apparmor"; NULL = whichever MAC is active */
        char *label;      /* static: SELinux context or AppArmor profile name */
        char *imagelabel; /* static + relabel='yes': exclusive image context */
        DomainTristate relabel;
} DomainSeclabel;

typedef struct Domain {
        DomainVirtType virt_type;
        XmlNum id; /* <domain id=...> of a running libvirt domain: kept, no meaning here */
        char *name;
        uint8_t uuid[16];
        bool uuid_given; /* else generated at parse time */
        char *title;
        char *description;
        char *metadata_xml; /* <metadata> kept verbatim (serialized), informational */

        uint64_t memory_kib;         /* <memory>, required */
        uint64_t current_memory_kib; /* <currentMemory>; 0 = not given (= memory) */

        unsigned vcpus;           /* <vcpu> */
        unsigned vcpus_current;   /* current=; 0 = not given (= vcpus) */
        bool vcpu_placement_auto; /* placement='auto' (else static) */
        char *vcpu_cpuset;        /* cpuset= as given, validated syntax */
        DomainVcpus vcpu_list;    /* <vcpus> */
        DomainBlkiotune blkiotune;
        DomainCputune cputune;
        unsigned iothreads; /* <iothreads>; 0 = not given */
        DomainIothreadIds iothreadids;
        DomainMaxMemory max_memory;
        DomainMemoryBacking memory_backing;
        DomainNumatune numatune;
        uint64_t memtune_hard_limit_kib; /* <memtune><hard_limit>; 0 = none */
        uint64_t memtune_soft_limit_kib;

        DomainResource resource;
        DomainSysinfo sysinfo;
        DomainOs os;
        DomainFeatures features;
        DomainPm pm;
        DomainCpu cpu;
        DomainClock clock;
        DomainGenid genid;

        DomainLifecycleAction on_poweroff;
        DomainLifecycleAction on_reboot;
        DomainLifecycleAction on_crash;
        DomainLockFailureAction on_lockfailure;
        DomainPerf perf;

        char *emulator; /* NULL = configured default */

        DomainDisk *disks;
        size_t n_disks;
        DomainInterface *interfaces;
        size_t n_interfaces;
        DomainChar *chars; /* serials, consoles and channels, in document order */
        size_t n_chars;
        DomainGraphics *graphics;
        size_t n_graphics;
        DomainVideo *videos;
        size_t n_videos;
        DomainInput *inputs;
        size_t n_inputs;
        DomainController *controllers;
        size_t n_controllers;

        DomainMemballoon *memballoon; /* NULL: not given (a virtio balloon, as in libvirt) */
        DomainPanic *panics;
        size_t n_panics;
        DomainRng *rngs;
        size_t n_rngs;
        DomainWatchdog *watchdogs;
        size_t n_watchdogs;
        DomainAudio *audios;
        size_t n_audios;
        DomainSound *sounds;
        size_t n_sounds;
        DomainRedirdev *redirdevs;
        size_t n_redirdevs;
        DomainHub *hubs;
        size_t n_hubs;
        DomainSmartcard *smartcards;
        size_t n_smartcards;
        DomainIommu *iommu; /* NULL: none */
        DomainVsock *vsock; /* NULL: none */

        char **qemu_args; /* qemu:commandline/qemu:arg, NULL-terminated or NULL */
        size_t n_qemu_args;
        DomainQemuEnv *qemu_env;
        size_t n_qemu_env;

        DomainSeclabel seclabel; /* at most one <seclabel> */
} Domain;

Domain *domain_free(Domain *d);

/* libvirt's passwdValidTo ("YYYY-MM-DDTHH:MM:SS", UTC) as a time.
 * Returns 0 or -EINVAL. */
int domain_graphics_valid_to(const char *s, time_t *ret);
/* The systemd slice a <resource><partition> names ("/machine/a-b" ->
 * "machine-a\x2db.slice"), malloc'd. Returns 0, -ENOENT (no partition),
 * -EINVAL or -ENOMEM. */
int domain_resource_slice(const DomainResource *r, char **ret);

/* The clock's adjustment= in seconds: 0 when not given or 'reset'.
 * Returns 0 or -EINVAL. */
int domain_clock_adjustment(const DomainClock *clock, long long *ret);
DEFINE_TRIVIAL_CLEANUP_FUNC(Domain *, domain_free);
#define _cleanup_domain_ _cleanup_(domain_freep)

/* The seclabel that applies to MAC model ("selinux", "apparmor"): the
 * domain's when its model is that one or not given, else NULL (the
 * default, a dynamic label, applies). */
const DomainSeclabel *domain_seclabel_for(const Domain *d, const char *model);
/* Effective relabel: static defaults to no, dynamic is always yes, none never. */
bool domain_seclabel_relabel(const DomainSeclabel *s);

/* Effective lifecycle actions with libvirt's defaults applied. */
DomainLifecycleAction domain_on_poweroff(const Domain *d);
DomainLifecycleAction domain_on_reboot(const Domain *d);
DomainLifecycleAction domain_on_crash(const Domain *d);

/* The bus a disk really sits on (derived from its target name when not
 * given). Never DOMAIN_DISK_BUS_DEFAULT. */
DomainDiskBus domain_disk_bus(const DomainDisk *disk);

/* Whether any disk or NIC carries a per-device <boot order>. */
bool domain_has_device_boot_order(const Domain *d);

/* Format a UUID as the canonical 36-character string into buf (37 bytes). */
void domain_uuid_format(const uint8_t uuid[16], char buf[static 37]);
/* Parse a UUID (with or without dashes). Returns 0 or -EINVAL. */
int domain_uuid_parse(const char *s, uint8_t ret[16]);
/* Fill with a random version-4 UUID. Returns 0 or -errno. */
int domain_uuid_generate(uint8_t ret[16]);

/* Whether a name is acceptable as a domain name (and so as a unit
 * instance): non-empty, at most DOMAIN_NAME_MAX bytes, no '/', no control
 * characters, not "." or "..". Returns 0 or -EINVAL with *ret_why set to
 * a static explanation. */
int domain_name_check(const char *name, const char **ret_why);

/* Enum <-> string tables shared by the parser and formatter.
 * *_from_string return the value or -EINVAL. */
const char *domain_lifecycle_action_to_string(DomainLifecycleAction a);
int domain_lifecycle_action_from_string(const char *s);
const char *domain_seclabel_type_to_string(DomainSeclabelType t); /* NULL for DEFAULT */
int domain_seclabel_type_from_string(const char *s);
