/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * attach-disk / detach-disk, shaped like virsh's: attach-disk builds the
 * <disk> fragment from SOURCE and TARGET (file or block by stat, raw
 * unless --subdriver says qcow2, the bus from the target's prefix) and hands it to the running VM's AttachDevice();
 * detach-disk sends DetachDevice() the disk as the live XML has it.
 * The supervisor does the work and says what went wrong.
 */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "ctl.h"
#include "domain-xml.h"
#include "log.h"

#define ATTACH_USAGE "attach-disk NAME SOURCE TARGET [--mode readonly|shareable] [--subdriver raw|qcow2]"

typedef struct AttachOptions {
        const char *mode;      /* NULL, "readonly", "shareable" */
        const char *subdriver; /* NULL = detect */
} AttachOptions;

/* libvirt's names for the target prefixes. */
static const char *bus_for_target(const char *target) {
        static const struct {
                const char *prefix, *bus;
        } table[] = { { "vd", "virtio" }, { "sd", "scsi" }, { "hd", "ide" } };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strncmp(target, table[i].prefix, 2) == 0 && target[2])
                        return table[i].bus;
        return NULL;
}

/* Whether path starts like a qcow2 image ("QFI\xfb"). */
static bool looks_like_qcow2(const char *path) {
        static const unsigned char qcow2_magic[4] = { 'Q', 'F', 'I', 0xfb };
        unsigned char magic[4];
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n = fd >= 0 ? read(fd, magic, sizeof(magic)) : -1;

        if (fd >= 0)
                close(fd);
        return n == (ssize_t) sizeof(magic) && memcmp(magic, qcow2_magic, sizeof(magic)) == 0;
}

/* The image format: --subdriver, else raw. Never guessed from the
 * contents, as libvirt does not: a guest can write a qcow2 header (naming
 * any backing file) into a raw disk it owns. What looks like qcow2 without
 * a --subdriver is refused rather than silently attached as raw. */
static int attach_format(const Ctl *ctl, const char *path, const AttachOptions *o, const char **ret) {
        if (o->subdriver) {
                *ret = o->subdriver;
                return 0;
        }
        if (!ctl->host && looks_like_qcow2(path))
                return log_error("attach-disk: %s looks like a qcow2 image; say --subdriver qcow2 (or raw): "
                                 "disk formats are not guessed",
                                 path),
                       -EINVAL;
        *ret = "raw";
        return 0;
}

static void put_escaped_attr(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '\'': fputs("&apos;", f); break;
                case '"': fputs("&quot;", f); break;
                default: fputc(*s, f);
                }
}

static int build_fragment(const char *source, const char *target, bool block, const char *format,
                          const AttachOptions *o, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "<disk type='%s' device='disk'>\n", block ? "block" : "file");
        fprintf(f, "  <driver name='qemu' type='%s'/>\n", format);
        fprintf(f, "  <source %s='", block ? "dev" : "file");
        put_escaped_attr(f, source);
        fprintf(f, "'/>\n  <target dev='");
        put_escaped_attr(f, target);
        fprintf(f, "' bus='%s'/>\n", bus_for_target(target));
        if (o->mode)
                fprintf(f, "  <%s/>\n", o->mode);
        fputs("</disk>\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

static int parse_attach_options(int *argc, char ***argv, AttachOptions *o) {
        static const struct option options[] = {
                { "mode", required_argument, NULL, 'm' },
                { "subdriver", required_argument, NULL, 's' },
                {},
        };
        int c;

        optind = 0;
        opterr = 0; /* one line: ours */
        while ((c = getopt_long(*argc + 1, *argv - 1, "", options, NULL)) >= 0)
                switch (c) {
                case 'm':
                        if (!streq(optarg, "readonly") && !streq(optarg, "shareable"))
                                return log_error("attach-disk: unknown --mode '%s' (readonly or shareable)",
                                                 optarg),
                                       -EINVAL;
                        o->mode = optarg;
                        break;
                case 's':
                        if (!streq(optarg, "raw") && !streq(optarg, "qcow2"))
                                return log_error("attach-disk: unknown --subdriver '%s' (raw or qcow2)",
                                                 optarg),
                                       -EINVAL;
                        o->subdriver = optarg;
                        break;
                default: return log_error("attach-disk: bad option; usage: vmctl " ATTACH_USAGE), -EINVAL;
                }
        *argc -= optind - 1;
        *argv += optind - 1;
        return ctl_expect_args(*argc, 3, ATTACH_USAGE);
}

/* The fragment for SOURCE as TARGET: an absolute path (relative to where
 * vmctl runs), file or block device by what it is. */
static int attach_fragment(Ctl *ctl, const char *source, const char *target, const AttachOptions *o,
                           char **ret) {
        _cleanup_free_ char *abs = NULL;
        struct stat st = {};
        const char *format;
        bool block;

        if (!bus_for_target(target))
                return log_error("attach-disk: cannot tell the bus from target '%s' (use vdX for virtio)",
                                 target),
                       -EINVAL;
        abs = source[0] == '/' ? strdup(source) : realpath(source, NULL);
        if (!abs)
                return log_error_errno(-errno, "attach-disk: cannot use source '%s': %m", source);
        /* Over -H the path names a file on the remote host: no local look. */
        if (!ctl->host && stat(abs, &st) < 0)
                return log_error_errno(-errno, "attach-disk: cannot use source '%s': %m", abs);
        block = S_ISBLK(st.st_mode);
        if (attach_format(ctl, abs, o, &format) < 0)
                return -EINVAL;
        return build_fragment(abs, target, block, format, o, ret);
}

int ctl_cmd_attach_disk(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *xml = NULL;
        AttachOptions o = {};

        if (parse_attach_options(&argc, &argv, &o) < 0)
                return 1;
        if (ctl_check_name(argv[0]) < 0 || attach_fragment(ctl, argv[1], argv[2], &o, &xml) < 0)
                return 1;
        if (ctl_vm_call(ctl, argv[0], "AttachDevice", NULL, "s", xml) < 0)
                return 1;
        puts("Disk attached successfully");
        return 0;
}

/* The disk with target in the running domain's live XML, as a fragment. */
static int live_disk_fragment(Ctl *ctl, const char *name, const char *target, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_domain_ Domain *d = NULL;
        _cleanup_free_ char *err = NULL;
        const char *xml;
        int r;

        r = ctl_vm_call(ctl, name, "GetXML", &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &xml);
        if (r < 0)
                return log_error_errno(r, "unexpected reply from domain '%s': %m", name);
        r = domain_parse_buffer(xml, strlen(xml), "live XML", &d, &err);
        if (r < 0)
                return log_error("domain '%s': cannot read its live XML: %s", name, err ?: strerror(-r)), r;
        for (size_t i = 0; i < d->n_disks; i++)
                if (streq(d->disks[i].target_dev, target))
                        return domain_format_disk_xml(&d->disks[i], ret);
        log_error("domain '%s' has no disk with target '%s'", name, target);
        return -ENOENT;
}

int ctl_cmd_detach_disk(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *xml = NULL;

        if (ctl_expect_args(argc, 2, "detach-disk NAME TARGET") < 0 || ctl_check_name(argv[0]) < 0)
                return 1;
        if (live_disk_fragment(ctl, argv[0], argv[1], &xml) < 0)
                return 1;
        if (ctl_vm_call(ctl, argv[0], "DetachDevice", NULL, "s", xml) < 0)
                return 1;
        puts("Disk detached successfully");
        return 0;
}
