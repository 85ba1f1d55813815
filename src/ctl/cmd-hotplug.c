/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * attach-disk / detach-disk, shaped like virsh's.
 *
 * attach-disk opens SOURCE itself, as the calling user (read-write, or
 * read-only for --mode readonly), builds the <disk> fragment for it (file
 * or block by what the fd is, raw unless --subdriver says qcow2, the bus
 * from the target's prefix) and hands the fragment and the fd to the
 * running VM's AttachDevice(s xml, ah fds): the supervisor (root) never
 * opens the path, so it can give the guest nothing the user could not
 * open. With -H (fds cannot cross SSH) the path goes in the XML alone,
 * which the supervisor accepts from root only.
 *
 * detach-disk sends DetachDevice() the disk as the live XML has it.
 * The supervisor does the work and says what went wrong.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "ctl.h"
#include "domain-xml.h"
#include "fs-util.h"
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

/* Whether the file of fd starts like a qcow2 image ("QFI\xfb"). */
static bool looks_like_qcow2(int fd) {
        static const unsigned char qcow2_magic[4] = { 'Q', 'F', 'I', 0xfb };
        unsigned char magic[4];

        return pread(fd, magic, sizeof(magic), 0) == (ssize_t) sizeof(magic) &&
               memcmp(magic, qcow2_magic, sizeof(magic)) == 0;
}

/* The image format: --subdriver, else raw. Never guessed from the
 * contents, as libvirt does not: a guest can write a qcow2 header (naming
 * any backing file) into a raw disk it owns. What looks like qcow2 without
 * a --subdriver is refused rather than silently attached as raw (read
 * from the fd we pass: the file the VM gets; no fd with -H: not looked at). */
static int attach_format(int fd, const char *path, const AttachOptions *o, const char **ret) {
        if (o->subdriver) {
                *ret = o->subdriver;
                return 0;
        }
        if (fd >= 0 && looks_like_qcow2(fd))
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

/*
 * SOURCE opened as the calling user, as the guest will use it: O_RDWR, or
 * O_RDONLY for --mode readonly. O_NONBLOCK|O_NOCTTY so that a FIFO or a
 * terminal at that name cannot block or adopt us; then only a regular
 * file or a block device is accepted. *ret_path is where the fd really
 * is, for the XML (the supervisor records its own fd's path anyway).
 */
static int open_source(const char *source, const AttachOptions *o, int *ret_fd, char **ret_path,
                       bool *ret_block) {
        bool readonly = o->mode && streq(o->mode, "readonly");
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        fd = open(source, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
                return log_error_errno(negative_errno(), "attach-disk: you may not %s '%s': %m",
                                       readonly ? "read" : "read and write", source);
        if (fd < 0)
                return log_error_errno(negative_errno(), "attach-disk: cannot open '%s': %m", source);
        if (fstat(fd, &st) < 0)
                return log_error_errno(negative_errno(), "attach-disk: cannot use '%s': %m", source);
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return log_error("attach-disk: '%s' is not a regular file or block device", source), -EINVAL;
        r = fd_get_path(fd, ret_path);
        if (r < 0)
                return log_error_errno(r, "attach-disk: cannot tell where '%s' is: %m", source);
        *ret_block = S_ISBLK(st.st_mode);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int ctl_cmd_attach_disk(Ctl *ctl, int argc, char **argv) {
        _cleanup_free_ char *xml = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *source, *target, *format;
        AttachOptions o = {};
        bool block = false;
        int r;

        if (parse_attach_options(&argc, &argv, &o) < 0 || ctl_check_name(argv[0]) < 0)
                return 1;
        source = argv[1];
        target = argv[2];
        if (!bus_for_target(target))
                return log_error("attach-disk: cannot tell the bus from target '%s' (use vdX for virtio)",
                                 target),
                       1;
        if (ctl->host) {
                /* SOURCE names a file on that host, which its supervisor
                 * opens for root alone (AttachDevice without fds). */
                if (ctl_check_remote_path("attach-disk -H HOST: SOURCE", source) < 0)
                        return 1;
                path = strdup(source);
                if (!path)
                        return log_error("attach-disk: out of memory"), 1;
                block = strncmp(source, "/dev/", 5) == 0;
        } else if (open_source(source, &o, &fd, &path, &block) < 0)
                return 1;
        if (attach_format(fd, path, &o, &format) < 0)
                return 1;
        r = build_fragment(path, target, block, format, &o, &xml);
        if (r < 0)
                return log_error_errno(r, "attach-disk: %m"), 1;
        if (fd >= 0)
                r = ctl_vm_call(ctl, argv[0], "AttachDevice", NULL, "sah", xml, 1, fd);
        else
                r = ctl_vm_call(ctl, argv[0], "AttachDevice", NULL, "sah", xml, 0);
        if (r < 0)
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
