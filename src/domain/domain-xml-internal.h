/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared between the domain XML parser files and the formatter: the
 * string tables of every enum in the model (one table serves both
 * directions, so what is written back is always what parses) and the
 * parser entry points split across files.
 */

#include "domain.h"
#include "xml-schema.h"
#include "xml-util.h"

extern const XmlEnum domain_xml_virt_type;
extern const XmlEnum domain_xml_lifecycle;
extern const XmlEnum domain_xml_boot_dev;
extern const XmlEnum domain_xml_firmware;
extern const XmlEnum domain_xml_loader_type;
extern const XmlEnum domain_xml_firmware_format;
extern const XmlEnum domain_xml_firmware_feature;
extern const XmlEnum domain_xml_cpu_mode;
extern const XmlEnum domain_xml_cpu_feature_policy;
extern const XmlEnum domain_xml_cpu_match;
extern const XmlEnum domain_xml_cpu_check;
extern const XmlEnum domain_xml_mem_access;
extern const XmlEnum domain_xml_mem_unit; /* libvirt's unit names, for unit= next to a number */
extern const XmlEnum domain_xml_clock_offset;
extern const XmlEnum domain_xml_tick_policy;
extern const XmlEnum domain_xml_timer_name;
extern const XmlEnum domain_xml_disk_type;
extern const XmlEnum domain_xml_disk_device;
extern const XmlEnum domain_xml_disk_bus;
extern const XmlEnum domain_xml_disk_format;
extern const XmlEnum domain_xml_disk_cache;
extern const XmlEnum domain_xml_net_type;
extern const XmlEnum domain_xml_net_model;
extern const XmlEnum domain_xml_char_type;
extern const XmlEnum domain_xml_char_mode;
extern const XmlEnum domain_xml_serial_model;
extern const XmlEnum domain_xml_channel_target;
extern const XmlEnum domain_xml_channel_state;
extern const XmlEnum domain_xml_serial_target;
extern const XmlEnum domain_xml_console_target;
extern const XmlEnum domain_xml_graphics_type;
extern const XmlEnum domain_xml_video_model;
extern const XmlEnum domain_xml_input_type;
extern const XmlEnum domain_xml_input_bus;
extern const XmlEnum domain_xml_controller_type;
/* Indexed by DomainControllerType: the model= values each type accepts. */
extern const XmlEnum *const domain_xml_controller_models[];

/* The most vCPUs <vcpu> may give. */
#define DOMAIN_VCPUS_MAX 4096U

/* For string-valued fields checked against a table: the table's
 * entries carry no meaning beyond membership. */
#define DOMAIN_XML_STRING 0

/* <alias> and <address> (domain-xml-address.c): child handlers whose
 * userdata is a device struct, which begins with its DomainDeviceInfo. */
extern const XmlEnum domain_xml_address_type;
extern const XmlElement domain_xml_address;
extern const XmlElement domain_xml_alias;
int domain_xml_parse_device_alias(XmlCtx *c, xmlNode *n, void *userdata);
int domain_xml_parse_device_address(XmlCtx *c, xmlNode *n, void *userdata);
void domain_xml_format_device_info(FILE *f, int level, const DomainDeviceInfo *info);
/* The two as children of a schema element of struct type T. */
#define DOMAIN_XML_INFO_SUBS(T)                                                                            \
        { .kind = XML_SUB_INLINE, .elem = &domain_xml_alias, .offset = offsetof(T, info.alias) }, {        \
                .kind = XML_SUB_OPTIONAL, .elem = &domain_xml_address, .offset = offsetof(T, info.address) \
        }

/* <driver iommu ats packed page_per_vq> of a virtio device. */
extern const XmlElement domain_xml_virtio_driver;
#define DOMAIN_XML_VIRTIO_SUB(T) \
        { .kind = XML_SUB_INLINE, .elem = &domain_xml_virtio_driver, .offset = offsetof(T, virtio) }

/* Top-level parts described by tables (dom-*.c). */
extern const XmlElement domain_xml_cpu;
/* Checks of <cpu> against <vcpu> and <memory>, after everything was
 * read: topology and NUMA cells. cpu is the <cpu> node. */
int domain_xml_cpu_check_domain(XmlCtx *c, xmlNode *cpu, const Domain *d);
/* <vcpus> (dom-cpu.c) and its check against <vcpu>; root is <domain>. */
extern const XmlElement domain_xml_vcpus;
int domain_xml_vcpus_check(XmlCtx *c, xmlNode *root, const Domain *d);
/* dom-memory.c */
extern const XmlElement domain_xml_max_memory;
extern const XmlElement domain_xml_memory_backing;
extern const XmlElement domain_xml_iothreads;
extern const XmlElement domain_xml_iothreadids;
extern const XmlElement domain_xml_cputune;
extern const XmlElement domain_xml_numatune;
/* maxMemory, vcpupin and memnode against <memory>, <vcpu> and <numa>. */
int domain_xml_tuning_check(XmlCtx *c, xmlNode *root, const Domain *d);

/* Device families described by tables (dev-*.c). */
extern const XmlElement domain_xml_memballoon;
extern const XmlElement domain_xml_panic;
extern const XmlElement domain_xml_rng;
extern const XmlElement domain_xml_controller;
extern const XmlElement domain_xml_iommu;
extern const XmlElement domain_xml_vsock;
extern const XmlElement domain_xml_input;
extern const XmlElement domain_xml_watchdog;
extern const XmlElement domain_xml_graphics;
extern const XmlElement domain_xml_video;
extern const XmlElement domain_xml_audio;
extern const XmlElement domain_xml_sound;
extern const XmlElement domain_xml_redirdev;
extern const XmlElement domain_xml_hub;
extern const XmlElement domain_xml_smartcard;
extern const XmlEnum domain_xml_audio_type;
extern const XmlEnum domain_xml_sound_model;
extern const XmlEnum domain_xml_sound_codec;
extern const XmlEnum domain_xml_spice_image_compression;
extern const XmlEnum domain_xml_spice_wan_compression;
extern const XmlEnum domain_xml_spice_streaming;
extern const XmlEnum domain_xml_spice_mouse;
extern const XmlEnum domain_xml_spice_channel_name;
extern const XmlEnum domain_xml_virtio_model;
extern const XmlEnum domain_xml_watchdog_action;
extern const XmlElement domain_xml_devices;

/* Top-level parts described by tables. */
extern const XmlElement domain_xml_features;       /* dom-features.c */
extern const XmlElement domain_xml_clock;          /* dom-clock.c */
extern const XmlElement domain_xml_genid;          /* dom-clock.c */
extern const XmlElement domain_xml_resource;       /* dom-resource.c */
extern const XmlElement domain_xml_blkiotune;      /* dom-blkiotune.c */
extern const XmlElement domain_xml_perf;           /* dom-perf.c */
extern const XmlElement domain_xml_on_lockfailure; /* dom-perf.c */
extern const XmlElement domain_xml_sysinfo;        /* dom-sysinfo.c */
extern const XmlEnum domain_xml_smbios_mode;

/* Writers of the devices still formatted by hand (domain-xml-format.c):
 * all of a kind, at level, from the Domain. */
void domain_xml_format_disks(FILE *f, int level, const void *domain);
void domain_xml_format_interfaces(FILE *f, int level, const void *domain);
void domain_xml_format_serials(FILE *f, int level, const void *domain);
void domain_xml_format_consoles(FILE *f, int level, const void *domain);
void domain_xml_format_channels(FILE *f, int level, const void *domain);

/* <devices> (domain-xml-devices.c); userdata is the Domain. */
int domain_xml_parse_devices(XmlCtx *c, xmlNode *n, void *userdata);
/* One <disk> appended to the Domain in userdata (also parses hotplug
 * fragments, see domain_parse_disk_fragment()). */
int domain_xml_parse_disk(XmlCtx *c, xmlNode *n, void *userdata);

/* Children of <disk> and <controller> described by tables (dev-disk.c).
 * domain_xml_disk_driver and domain_xml_scsi_driver are read into the
 * DomainDisk / DomainController itself. */
extern const XmlElement domain_xml_disk_driver;
extern const XmlElement domain_xml_disk_blockio;
extern const XmlElement domain_xml_disk_geometry;
extern const XmlElement domain_xml_scsi_driver;
extern const XmlEnum domain_xml_disk_startup_policy;
extern const XmlEnum domain_xml_disk_sgio;
extern const XmlEnum domain_xml_disk_tray;
