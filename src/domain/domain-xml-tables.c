/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain-xml-internal.h"

XML_ENUM_DEFINE(domain_xml_virt_type, { "qemu", DOMAIN_VIRT_QEMU }, { "kvm", DOMAIN_VIRT_KVM });

XML_ENUM_DEFINE(domain_xml_lifecycle, { "destroy", DOMAIN_ACTION_DESTROY },
                { "restart", DOMAIN_ACTION_RESTART }, { "preserve", DOMAIN_ACTION_PRESERVE },
                { "rename-restart", DOMAIN_ACTION_RENAME_RESTART },
                { "coredump-destroy", DOMAIN_ACTION_COREDUMP_DESTROY },
                { "coredump-restart", DOMAIN_ACTION_COREDUMP_RESTART });

XML_ENUM_DEFINE(domain_xml_boot_dev, { "hd", DOMAIN_BOOT_HD }, { "cdrom", DOMAIN_BOOT_CDROM },
                { "fd", DOMAIN_BOOT_FD }, { "network", DOMAIN_BOOT_NETWORK });

XML_ENUM_DEFINE(domain_xml_firmware, { "efi", DOMAIN_FIRMWARE_EFI }, { "bios", DOMAIN_FIRMWARE_BIOS });

XML_ENUM_DEFINE(domain_xml_loader_type, { "rom", DOMAIN_LOADER_ROM }, { "pflash", DOMAIN_LOADER_PFLASH });

XML_ENUM_DEFINE(domain_xml_firmware_format, { "raw", DOMAIN_FIRMWARE_FORMAT_RAW },
                { "qcow2", DOMAIN_FIRMWARE_FORMAT_QCOW2 });

XML_ENUM_DEFINE(domain_xml_firmware_feature, { "secure-boot", 0 }, { "enrolled-keys", 1 });

XML_ENUM_DEFINE(domain_xml_smbios_mode, { "emulate", DOMAIN_SMBIOS_EMULATE }, { "host", DOMAIN_SMBIOS_HOST },
                { "sysinfo", DOMAIN_SMBIOS_SYSINFO });

XML_ENUM_DEFINE(domain_xml_disk_type, { "file", DOMAIN_DISK_TYPE_FILE },
                { "block", DOMAIN_DISK_TYPE_BLOCK });

XML_ENUM_DEFINE(domain_xml_disk_device, { "disk", DOMAIN_DISK_DEVICE_DISK },
                { "cdrom", DOMAIN_DISK_DEVICE_CDROM }, { "floppy", DOMAIN_DISK_DEVICE_FLOPPY },
                { "lun", DOMAIN_DISK_DEVICE_LUN });

XML_ENUM_DEFINE(domain_xml_disk_bus, { "virtio", DOMAIN_DISK_BUS_VIRTIO }, { "sata", DOMAIN_DISK_BUS_SATA },
                { "ide", DOMAIN_DISK_BUS_IDE }, { "scsi", DOMAIN_DISK_BUS_SCSI },
                { "usb", DOMAIN_DISK_BUS_USB }, { "fdc", DOMAIN_DISK_BUS_FDC });

XML_ENUM_DEFINE(domain_xml_disk_format, { "raw", DOMAIN_DISK_FORMAT_RAW },
                { "qcow2", DOMAIN_DISK_FORMAT_QCOW2 });

XML_ENUM_DEFINE(domain_xml_disk_cache, { "none", DOMAIN_DISK_CACHE_NONE },
                { "writethrough", DOMAIN_DISK_CACHE_WRITETHROUGH },
                { "writeback", DOMAIN_DISK_CACHE_WRITEBACK }, { "directsync", DOMAIN_DISK_CACHE_DIRECTSYNC },
                { "unsafe", DOMAIN_DISK_CACHE_UNSAFE });

XML_ENUM_DEFINE(domain_xml_net_type, { "user", DOMAIN_NET_USER });

XML_ENUM_DEFINE(domain_xml_net_model, { "virtio", DOMAIN_XML_STRING },
                { "virtio-transitional", DOMAIN_XML_STRING },
                { "virtio-non-transitional", DOMAIN_XML_STRING }, { "e1000", DOMAIN_XML_STRING },
                { "e1000e", DOMAIN_XML_STRING }, { "rtl8139", DOMAIN_XML_STRING },
                { "pcnet", DOMAIN_XML_STRING }, { "ne2k_pci", DOMAIN_XML_STRING },
                { "i82559er", DOMAIN_XML_STRING }, { "vmxnet3", DOMAIN_XML_STRING });

XML_ENUM_DEFINE(domain_xml_char_type, { "pty", DOMAIN_CHAR_PTY }, { "file", DOMAIN_CHAR_FILE },
                { "unix", DOMAIN_CHAR_UNIX }, { "null", DOMAIN_CHAR_NULL }, { "stdio", DOMAIN_CHAR_STDIO },
                { "spicevmc", DOMAIN_CHAR_SPICEVMC });

XML_ENUM_DEFINE(domain_xml_char_mode, { "bind", true }, { "connect", false });

XML_ENUM_DEFINE(domain_xml_serial_target, { "isa-serial", DOMAIN_CHAR_TARGET_ISA_SERIAL },
                { "pci-serial", DOMAIN_CHAR_TARGET_PCI_SERIAL },
                { "usb-serial", DOMAIN_CHAR_TARGET_USB_SERIAL });

XML_ENUM_DEFINE(domain_xml_serial_model, { "isa-serial", DOMAIN_CHAR_MODEL_ISA_SERIAL },
                { "pci-serial", DOMAIN_CHAR_MODEL_PCI_SERIAL },
                { "usb-serial", DOMAIN_CHAR_MODEL_USB_SERIAL });

XML_ENUM_DEFINE(domain_xml_channel_target, { "virtio", DOMAIN_CHAR_TARGET_VIRTIO });

XML_ENUM_DEFINE(domain_xml_channel_state, { "connected", DOMAIN_CHAR_STATE_CONNECTED },
                { "disconnected", DOMAIN_CHAR_STATE_DISCONNECTED });

XML_ENUM_DEFINE(domain_xml_console_target, { "serial", DOMAIN_CHAR_TARGET_SERIAL },
                { "virtio", DOMAIN_CHAR_TARGET_VIRTIO });

XML_ENUM_DEFINE(domain_xml_input_type, { "mouse", DOMAIN_INPUT_MOUSE },
                { "keyboard", DOMAIN_INPUT_KEYBOARD }, { "tablet", DOMAIN_INPUT_TABLET },
                { "evdev", DOMAIN_INPUT_EVDEV }, { "passthrough", DOMAIN_INPUT_PASSTHROUGH });

XML_ENUM_DEFINE(domain_xml_input_bus, { "ps2", DOMAIN_INPUT_BUS_PS2 }, { "usb", DOMAIN_INPUT_BUS_USB },
                { "virtio", DOMAIN_INPUT_BUS_VIRTIO });
