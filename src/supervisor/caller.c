/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A D-Bus caller's identity: the uid the bus reported, and that uid's
 * groups from the user database.
 */
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include "caller.h"
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

bool caller_is_member(const Caller *c, gid_t gid) {
        if (c->gid == gid)
                return true;
        for (int i = 0; i < c->n_gids; i++)
                if (c->gids[i] == gid)
                        return true;
        return false;
}
