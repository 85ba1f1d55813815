/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who asked: the identity of a D-Bus caller, for deciding what it may do
 * (root, group vmunit, group vmunit-admin). Files are never opened on a
 * caller's behalf: Save and AttachDevice take fds the caller opened as
 * itself, so the kernel checked its access with its own identity; only
 * root (the supervisor's own identity) may have a path resolved instead.
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

/* Whether c is someone other than ourselves (the supervisor's euid):
 * then a path c names must not be opened for it. */
bool caller_is_other(const Caller *c);
