/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain's firmware before anything opens a file: firmware='efi'
 * without a <loader> path is chosen from QEMU's firmware descriptors and
 * written into s->domain (qemu_firmware_fill()), as libvirt does at
 * start, so the file table, the labels, the argv and the live XML all see
 * one choice. Then the variable store: on the first start a copy of its
 * template, kept from then on (the guest's boot entries and keys live in
 * it).
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "log.h"
#include "qemu-argv.h"
#include "supervisor.h"

#define NVRAM_TEMPLATE_MAX (64u * 1024u * 1024u)

/* Copy the template's bytes from src into a new file beside the store in
 * dfd, then rename it into place: a store is never half a template. The
 * copy is ours (root's, 0600); the file table labels it for QEMU like
 * any other NVRAM. Returns 0, -EEXIST when the store appeared meanwhile
 * (kept), or -errno. */
static int nvram_copy_at(int dfd, const char *name, int src) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int dst = -EBADF;
        char buf[64 * 1024];
        ssize_t n;
        int r = 0;

        if (asprintf(&tmp, ".%s.new", name) < 0)
                return -ENOMEM;
        (void) unlinkat(dfd, tmp, 0);
        dst = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (dst < 0)
                return negative_errno();
        while (r >= 0 && (n = read_full(src, buf, sizeof(buf))) > 0)
                r = write_full(dst, buf, (size_t) n);
        if (r >= 0 && n < 0)
                r = (int) n;
        if (r >= 0 && fsync(dst) < 0)
                r = negative_errno();
        /* RENAME_NOREPLACE: a store someone made meanwhile wins. */
        if (r >= 0 && renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlinkat(dfd, tmp, 0);
        return r;
}

/* The template is opened once and checked on that fd (a regular file of
 * sane size); the store's directory is created and opened once, and the
 * store made relative to it. */
static int nvram_create(const char *path, const char *template) {
        _cleanup_free_ char *dir_copy = strdup(path), *base_copy = strdup(path);
        _cleanup_close_ int src = -EBADF, dfd = -EBADF;
        struct stat st;
        const char *dir, *base;
        int r;

        if (!dir_copy || !base_copy)
                return -ENOMEM;
        dir = dirname(dir_copy);
        base = basename(base_copy);
        src = open(template, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (src < 0)
                return negative_errno();
        if (fstat(src, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        if ((uint64_t) st.st_size > NVRAM_TEMPLATE_MAX)
                return -EFBIG;
        r = mkdir_parents(dir, 0755);
        if (r < 0)
                return r;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        r = nvram_copy_at(dfd, base, src);
        return r == -EEXIST ? 0 : r;
}

int supervisor_firmware_prepare(Supervisor *s) {
        _cleanup_free_ char *err = NULL;
        QemuArgvOptions o = { .state_dir = s->paths.state_dir };
        const DomainOs *os = &s->domain->os;
        int r;

        r = qemu_firmware_fill(s->domain, &o, &err);
        if (r == -EINVAL) {
                log_error("%s: %s", s->xml_path, err ?: "no firmware fits");
                return VMUNIT_EXIT_CONFIG;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to choose the firmware: %m"), VMUNIT_EXIT_HOST;
        if (!os->nvram || !os->nvram_template || access(os->nvram, F_OK) == 0)
                return 0;
        r = nvram_create(os->nvram, os->nvram_template);
        if (r < 0) {
                log_error_errno(r, "%s: cannot create the variable store %s from %s: %m", s->xml_path,
                                os->nvram, os->nvram_template);
                return VMUNIT_EXIT_HOST;
        }
        log_info("%s: created the variable store %s from %s", s->xml_path, os->nvram, os->nvram_template);
        return 0;
}
