/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/random.h>

#include "domain-xml-internal.h"
#include "domain.h"

static void domain_os_done(DomainOs *os) {
        free(os->type);
        free(os->arch);
        free(os->machine);
        free(os->kernel);
        free(os->initrd);
        free(os->cmdline);
        free(os->loader);
        free(os->nvram);
        free(os->nvram_template);
}

static void domain_disks_free(DomainDisk *disks, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(disks[i].driver_name);
                free(disks[i].source);
                free(disks[i].target_dev);
                free(disks[i].serial);
                free(disks[i].wwn);
                free(disks[i].vendor);
                free(disks[i].product);
                domain_device_info_done(&disks[i].info);
        }
        free(disks);
}

static void domain_devices_done(Domain *d) {
        domain_disks_free(d->disks, d->n_disks);
        for (size_t i = 0; i < d->n_interfaces; i++) {
                free(d->interfaces[i].model);
                domain_device_info_done(&d->interfaces[i].info);
        }
        free(d->interfaces);
        for (size_t i = 0; i < d->n_chars; i++) {
                free(d->chars[i].path);
                free(d->chars[i].target_name);
                domain_device_info_done(&d->chars[i].info);
        }
        free(d->chars);
        xml_schema_free_array(&domain_xml_graphics, d->graphics, d->n_graphics);
        xml_schema_free_array(&domain_xml_video, d->videos, d->n_videos);
        xml_schema_free_array(&domain_xml_audio, d->audios, d->n_audios);
        xml_schema_free_array(&domain_xml_sound, d->sounds, d->n_sounds);
        xml_schema_free_array(&domain_xml_redirdev, d->redirdevs, d->n_redirdevs);
        xml_schema_free_array(&domain_xml_hub, d->hubs, d->n_hubs);
        xml_schema_free_array(&domain_xml_smartcard, d->smartcards, d->n_smartcards);
        xml_schema_free_array(&domain_xml_input, d->inputs, d->n_inputs);
        xml_schema_free_array(&domain_xml_controller, d->controllers, d->n_controllers);
        if (d->memballoon)
                xml_schema_free(&domain_xml_memballoon, d->memballoon);
        free(d->memballoon);
        xml_schema_free_array(&domain_xml_panic, d->panics, d->n_panics);
        xml_schema_free_array(&domain_xml_rng, d->rngs, d->n_rngs);
        xml_schema_free_array(&domain_xml_watchdog, d->watchdogs, d->n_watchdogs);
        if (d->iommu)
                xml_schema_free(&domain_xml_iommu, d->iommu);
        free(d->iommu);
        if (d->vsock)
                xml_schema_free(&domain_xml_vsock, d->vsock);
        free(d->vsock);
}

static void domain_qemu_done(Domain *d) {
        if (d->qemu_args)
                for (size_t i = 0; i < d->n_qemu_args; i++)
                        free(d->qemu_args[i]);
        free(d->qemu_args);
        for (size_t i = 0; i < d->n_qemu_env; i++) {
                free(d->qemu_env[i].name);
                free(d->qemu_env[i].value);
        }
        free(d->qemu_env);
}

Domain *domain_free(Domain *d) {
        if (!d)
                return NULL;
        free(d->name);
        free(d->title);
        free(d->description);
        free(d->metadata_xml);
        free(d->vcpu_cpuset);
        domain_os_done(&d->os);
        xml_schema_free(&domain_xml_cpu, &d->cpu);
        xml_schema_free(&domain_xml_vcpus, &d->vcpu_list);
        xml_schema_free(&domain_xml_cputune, &d->cputune);
        xml_schema_free(&domain_xml_max_memory, &d->max_memory);
        xml_schema_free(&domain_xml_memory_backing, &d->memory_backing);
        xml_schema_free(&domain_xml_iothreadids, &d->iothreadids);
        xml_schema_free(&domain_xml_numatune, &d->numatune);
        xml_schema_free(&domain_xml_clock, &d->clock);
        xml_schema_free(&domain_xml_features, &d->features);
        xml_schema_free(&domain_xml_genid, &d->genid);
        xml_schema_free(&domain_xml_resource, &d->resource);
        xml_schema_free(&domain_xml_perf, &d->perf);
        xml_schema_free(&domain_xml_blkiotune, &d->blkiotune);
        xml_schema_free(&domain_xml_sysinfo, &d->sysinfo);
        free(d->emulator);
        domain_devices_done(d);
        domain_qemu_done(d);
        free(d->seclabel.model);
        free(d->seclabel.label);
        free(d->seclabel.imagelabel);
        free(d);
        return NULL;
}

/* libvirt's defaults: only a reboot restarts the guest unless told otherwise. */
DomainLifecycleAction domain_on_poweroff(const Domain *d) {
        return d->on_poweroff != DOMAIN_ACTION_DEFAULT ? d->on_poweroff : DOMAIN_ACTION_DESTROY;
}

DomainLifecycleAction domain_on_reboot(const Domain *d) {
        return d->on_reboot != DOMAIN_ACTION_DEFAULT ? d->on_reboot : DOMAIN_ACTION_RESTART;
}

DomainLifecycleAction domain_on_crash(const Domain *d) {
        return d->on_crash != DOMAIN_ACTION_DEFAULT ? d->on_crash : DOMAIN_ACTION_DESTROY;
}

static bool has_prefix(const char *s, const char *prefix) {
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The same rule libvirt applies when <target bus=> is missing: the
 * target name's prefix says which bus it is on. "sd" is SATA here, as
 * q35 and pc both have an AHCI controller available; anything unknown
 * falls back to virtio, the bus that needs no controller. */
DomainDiskBus domain_disk_bus(const DomainDisk *disk) {
        static const struct {
                const char *prefix;
                DomainDiskBus bus;
        } table[] = {
                { "vd", DOMAIN_DISK_BUS_VIRTIO },
                { "sd", DOMAIN_DISK_BUS_SATA },
                { "hd", DOMAIN_DISK_BUS_IDE },
                { "fd", DOMAIN_DISK_BUS_FDC },
        };

        if (disk->bus != DOMAIN_DISK_BUS_DEFAULT)
                return disk->bus;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (has_prefix(disk->target_dev, table[i].prefix))
                        return table[i].bus;
        return DOMAIN_DISK_BUS_VIRTIO;
}

void domain_uuid_format(const uint8_t uuid[16], char buf[static 37]) {
        snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", uuid[0],
                 uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7], uuid[8], uuid[9], uuid[10],
                 uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
}

/* Dashes are accepted only where the canonical form has them, or not at
 * all: "with or without dashes", nothing looser. */
int domain_uuid_parse(const char *s, uint8_t ret[16]) {
        uint8_t out[16];
        size_t len;
        bool dashed;

        if (!s)
                return -EINVAL;
        len = strlen(s);
        if (len != 36 && len != 32)
                return -EINVAL;
        dashed = len == 36;
        for (size_t i = 0; i < 16; i++) {
                int hi, lo;

                if (dashed && (i == 4 || i == 6 || i == 8 || i == 10)) {
                        if (*s != '-')
                                return -EINVAL;
                        s++;
                }
                hi = unhexchar(s[0]);
                lo = unhexchar(s[1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i] = (uint8_t) (hi << 4 | lo);
                s += 2;
        }
        memcpy(ret, out, 16);
        return 0;
}

static int random_bytes(void *p, size_t n) {
        uint8_t *b = p;

        while (n > 0) {
                ssize_t k = getrandom(b, n, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                b += k;
                n -= (size_t) k;
        }
        return 0;
}

int domain_uuid_generate(uint8_t ret[16]) {
        uint8_t u[16];
        int r;

        r = random_bytes(u, sizeof(u));
        if (r < 0)
                return r;
        u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
        u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
        memcpy(ret, u, 16);
        return 0;
}

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* The name becomes a unit instance, a directory name under /run/vmunit
 * and /var/lib/vmunit, and part of D-Bus names; these rules keep all of
 * those well-formed (the escaping of the remaining bytes happens where
 * each of them is built). */
int domain_name_check(const char *name, const char **ret_why) {
        const char *why = NULL;

        if (!name || !*name)
                why = "name is empty";
        else if (strlen(name) > DOMAIN_NAME_MAX)
                why = "name is longer than " STRINGIFY(DOMAIN_NAME_MAX) " bytes";
        else if (streq(name, ".") || streq(name, ".."))
                why = "name must not be '.' or '..'";
        else if (streq(name, "labels"))
                /* RUN/NAME would be the label registry, RUN/labels. */
                why = "'labels' is reserved (the runtime directory of that name holds the label registry)";
        else if (strchr(name, '/'))
                why = "name must not contain '/'";
        else
                for (const char *p = name; *p; p++)
                        if ((unsigned char) *p < 0x20 || *p == 0x7f) {
                                why = "name must not contain control characters";
                                break;
                        }
        if (!why)
                return 0;
        if (ret_why)
                *ret_why = why;
        return -EINVAL;
}

static const char *const lifecycle_action_table[] = {
        [DOMAIN_ACTION_DESTROY] = "destroy",
        [DOMAIN_ACTION_RESTART] = "restart",
        [DOMAIN_ACTION_PRESERVE] = "preserve",
        [DOMAIN_ACTION_RENAME_RESTART] = "rename-restart",
        [DOMAIN_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
        [DOMAIN_ACTION_COREDUMP_RESTART] = "coredump-restart",
};

const char *domain_lifecycle_action_to_string(DomainLifecycleAction a) {
        if ((size_t) a >= ELEMENTSOF(lifecycle_action_table))
                return NULL;
        return lifecycle_action_table[a];
}

int domain_lifecycle_action_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(lifecycle_action_table); i++)
                if (lifecycle_action_table[i] && streq(lifecycle_action_table[i], s))
                        return (int) i;
        return -EINVAL;
}

static const char *const seclabel_type_table[] = {
        [DOMAIN_SECLABEL_DYNAMIC] = "dynamic",
        [DOMAIN_SECLABEL_STATIC] = "static",
        [DOMAIN_SECLABEL_NONE] = "none",
};

const char *domain_seclabel_type_to_string(DomainSeclabelType t) {
        if ((size_t) t >= ELEMENTSOF(seclabel_type_table))
                return NULL;
        return seclabel_type_table[t];
}

int domain_seclabel_type_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(seclabel_type_table); i++)
                if (seclabel_type_table[i] && streq(seclabel_type_table[i], s))
                        return (int) i;
        return -EINVAL;
}

const DomainSeclabel *domain_seclabel_for(const Domain *d, const char *model) {
        if (!d || !d->seclabel.present)
                return NULL;
        if (d->seclabel.model && !streq(d->seclabel.model, model))
                return NULL;
        return &d->seclabel;
}

bool domain_seclabel_relabel(const DomainSeclabel *s) {
        switch (s->type) {
        case DOMAIN_SECLABEL_STATIC: return s->relabel == DOMAIN_TRISTATE_ON;
        case DOMAIN_SECLABEL_NONE: return false;
        default: return true;
        }
}

bool domain_has_device_boot_order(const Domain *d) {
        for (size_t i = 0; i < d->n_disks; i++)
                if (d->disks[i].boot_order > 0)
                        return true;
        for (size_t i = 0; i < d->n_interfaces; i++)
                if (d->interfaces[i].boot_order > 0)
                        return true;
        return false;
}
