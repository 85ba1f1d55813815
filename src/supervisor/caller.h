/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who asked: the identity of a D-Bus caller, for deciding what it may do
 * (root, group vmunit, group vmunit-admin) and for the files the
 * supervisor still opens on its behalf (a hotplugged disk image, until
 * AttachDevice takes fds too; Save takes an fd the caller opened). The
 * supervisor runs as root; a member of group vmunit must not be able to
 * use it to hand a file to their guest that they could not use themselves.
 */

#include <stdbool.h>
#include <sys/types.h>

typedef struct Caller {
        uid_t uid;
        gid_t gid;
        gid_t *gids; /* supplementary groups */
        int n_gids;
} Caller;

void caller_done(Caller *c);

/* The identity of uid as the user database has it: its primary group and
 * every group getgrouplist() lists for its name. Nothing is taken from
 * the calling process, whose groups may have changed since it connected
 * (a setgid exec). Returns 0, -ENOENT for a uid without a passwd entry,
 * or -errno; *ret is the caller's (caller_done()). */
int caller_from_uid(uid_t uid, Caller *ret);

/* Whether gid is c's primary or one of its supplementary groups. */
bool caller_is_member(const Caller *c, gid_t gid);

/* Whether opening files as c differs from opening them as ourselves. */
bool caller_is_other(const Caller *c);

/* open(2) with c's file-system identity (fsuid, fsgid, groups), so the
 * kernel's permission checks, and the owner of a created file, are c's.
 * c NULL or ourselves: a plain open. Returns the fd or -errno. */
int caller_open(const Caller *c, const char *path, int flags, mode_t mode);

/* Whether st's mode bits give c the access in mask (R_OK, W_OK), for a
 * file that cannot be opened to find out (a block device our own unit's
 * device policy keeps us from opening yet). ACLs are not consulted, and
 * that can grant more than the kernel would: with an ACL the group bits
 * are the ACL mask, so a member of the owning group is granted the mask
 * even when its group:: entry is narrower, and a named-user entry that
 * denies is not seen. Only good as a coarse check until AttachDevice
 * takes an fd the caller opened. */
struct stat;
bool caller_may(const Caller *c, const struct stat *st, int mask);
