/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening files as the caller: switch the file-system uid/gid and the
 * supplementary groups, open, switch back. The fs ids (unlike the
 * effective ones) drop CAP_DAC_OVERRIDE and friends for file access while
 * they are not 0, which is exactly the check we want. The supervisor is
 * single-threaded, so the switch is seen by nothing else; if switching
 * back ever failed we would go on with someone else's identity, so that
 * aborts instead.
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller.h"
#include "log.h"
#include "macro.h"

void caller_done(Caller *c) {
        if (!c)
                return;
        free(c->gids);
        *c = (Caller){};
}

/* getpwuid_r() with a buffer that grows until the entry fits. Returns 0,
 * -ENOENT for no entry, or -errno. */
static int passwd_of(uid_t uid, struct passwd *ret, char **ret_buf) {
        size_t size = 1024;

        for (;;) {
                _cleanup_free_ char *buf = malloc(size);
                struct passwd *result = NULL;
                int r;

                if (!buf)
                        return -ENOMEM;
                r = getpwuid_r(uid, ret, buf, size, &result);
                if (r == ERANGE && size < 1024 * 1024) {
                        size *= 2;
                        continue;
                }
                if (r != 0)
                        return -r;
                if (!result)
                        return -ENOENT;
                *ret_buf = TAKE_PTR(buf);
                return 0;
        }
}

int caller_from_uid(uid_t uid, Caller *ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ gid_t *gids = NULL;
        struct passwd pw;
        int n = 32, r;

        r = passwd_of(uid, &pw, &buf);
        if (r < 0)
                return r;
        for (;;) {
                gid_t *p = reallocarray(gids, (size_t) n, sizeof(gid_t));
                int want = n;

                if (!p)
                        return -ENOMEM;
                gids = p;
                if (getgrouplist(pw.pw_name, pw.pw_gid, gids, &want) >= 0) {
                        n = want;
                        break;
                }
                if (want <= n || want > 65536)
                        return -E2BIG;
                n = want;
        }
        *ret = (Caller){ .uid = uid, .gid = pw.pw_gid, .gids = TAKE_PTR(gids), .n_gids = n };
        return 0;
}

bool caller_is_other(const Caller *c) {
        return c && c->uid != geteuid();
}

/* setfsuid/setfsgid report the previous id, not errors: read it back. */
static bool set_fs_ids(uid_t uid, gid_t gid) {
        setfsgid(gid);
        setfsuid(uid);
        return (uid_t) setfsuid((uid_t) -1) == uid && (gid_t) setfsgid((gid_t) -1) == gid;
}

static void restore_or_die(const gid_t *groups, int n) {
        if (!set_fs_ids(geteuid(), getegid()) || setgroups((size_t) n, groups) < 0) {
                log_error("cannot switch back from a caller's identity; aborting");
                abort();
        }
}

int caller_open(const Caller *c, const char *path, int flags, mode_t mode) {
        _cleanup_free_ gid_t *saved = NULL;
        int n, fd, r;

        if (!caller_is_other(c)) {
                fd = open(path, flags, mode);
                return fd < 0 ? negative_errno() : fd;
        }
        n = getgroups(0, NULL);
        if (n < 0)
                return negative_errno();
        saved = calloc((size_t) n + 1, sizeof(gid_t));
        if (!saved)
                return -ENOMEM;
        n = getgroups(n, saved);
        if (n < 0)
                return negative_errno();
        if (setgroups((size_t) c->n_gids, c->gids) < 0)
                return negative_errno();
        if (!set_fs_ids(c->uid, c->gid)) {
                restore_or_die(saved, n);
                return -EPERM;
        }
        fd = open(path, flags, mode);
        r = fd < 0 ? negative_errno() : fd;
        restore_or_die(saved, n);
        return r;
}

bool caller_is_member(const Caller *c, gid_t gid) {
        if (c->gid == gid)
                return true;
        for (int i = 0; i < c->n_gids; i++)
                if (c->gids[i] == gid)
                        return true;
        return false;
}

bool caller_may(const Caller *c, const struct stat *st, int mask) {
        mode_t bits;

        if (!caller_is_other(c))
                return true;
        /* Like the kernel: the owner class if it is theirs, else the group
         * class if they are in it, else other; never a mix. */
        if (st->st_uid == c->uid)
                bits = (st->st_mode >> 6) & 7;
        else if (caller_is_member(c, st->st_gid))
                bits = (st->st_mode >> 3) & 7;
        else
                bits = st->st_mode & 7;
        return (!(mask & R_OK) || (bits & 4)) && (!(mask & W_OK) || (bits & 2));
}
