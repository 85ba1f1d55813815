/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The DAC backend's decisions as pure functions, apart from the code that
 * applies them (xattrs on the fd), so unit tests can check every decision
 * without root. Only dac.c and the tests include this.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "acl-xattr.h"
#include "vm-files.h"

/* The holder record (holders.h) on the file itself: it travels with the
 * file, so every supervisor sharing the file sees the same holders.
 * trusted.* needs CAP_SYS_ADMIN to read or write: QEMU and users can
 * neither see nor forge it. */
#define DAC_XATTR_NAME "trusted.vmunit.dac"

/*
 * The access QEMU's own uid needs to f, as ACL permission bits (0: none,
 * leave the file alone). QEMU needs none to what it is handed as an fd
 * (BY_FDSET: disks, pflash, NVRAM, logs): the fd carries the access. It
 * opens the rest itself: the files it reopens through /proc/self/fd/N
 * (BY_PROC_FD: kernel, initrd, ROM loader) need read, existing sockets it
 * connects to need rw, and a runtime directory it creates sockets in
 * rwx. A socket that does not exist yet (parent_only) is created by QEMU
 * in a directory given to it some other way. Returns the bits, or
 * -EISDIR / -ENOTDIR / -EINVAL when the file type does not fit the kind
 * (fail closed: never open up a directory because a disk points at it).
 */
int dac_needed_perms(const VmFile *f);

/* A DAC original: the mode's 07777 bits and the ACL xattr before the
 * first holder ("0640:none" without one, else "0640:HEX" of its bytes). */
typedef struct DacOriginal {
        mode_t mode;
        void *acl; /* NULL: the file had no ACL xattr */
        size_t acl_size;
} DacOriginal;

/* *ret malloc'd. Returns 0 or -ENOMEM. */
int dac_original_format(const DacOriginal *o, char **ret);
/* Returns 0, -EBADMSG or -ENOMEM. */
int dac_original_parse(const char *s, DacOriginal *ret);
void dac_original_done(DacOriginal *o);
/* The ACL a file with original o has in effect: its xattr, or the one
 * its mode implies. Returns 0, -EBADMSG or -ENOMEM. */
int dac_original_acl(const DacOriginal *o, AclXattr *ret);

/* Whether uid:gid already has perms on a file owned by owner:group in
 * state o (mode bits, or its ACL). Returns 1, 0 or -errno. */
int dac_has_access(const DacOriginal *o, uid_t owner, gid_t group, uid_t uid, gid_t gid, unsigned perms);
