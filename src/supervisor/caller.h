/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who asked: the identity of a D-Bus caller, for the files the supervisor
 * opens or creates on its behalf (Save's file, a hotplugged disk image).
 * The supervisor runs as root; a member of group vmunit must not be able
 * to use it to write a file where they could not, or to hand a file to
 * their guest that they could not read themselves.
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
 * device policy keeps us from opening yet). ACLs are not consulted, which
 * can only refuse more. */
struct stat;
bool caller_may(const Caller *c, const struct stat *st, int mask);
