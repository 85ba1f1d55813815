/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU's DAC identity. A compromised QEMU must not be root: it runs as the
 * configured user with an explicit, minimal list of supplementary groups,
 * and once the child has switched there is no way back.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>

#include "identity.h"
#include "log.h"
#include "supervisor.h"

/* /dev/kvm is root:kvm 0660 on Debian: QEMU reaches it through this group. */
#define KVM_GROUP "kvm"

static int lookup_user(const char *name, uid_t *ret_uid, gid_t *ret_gid) {
        struct passwd *pw;

        errno = 0;
        pw = getpwnam(name);
        if (!pw)
                return errno > 0 && errno != ENOENT && errno != ESRCH ? -errno : -ENOENT;
        *ret_uid = pw->pw_uid;
        *ret_gid = pw->pw_gid;
        return 0;
}

static int lookup_group(const char *name, gid_t *ret_gid) {
        struct group *gr;

        errno = 0;
        gr = getgrnam(name);
        if (!gr)
                return errno > 0 && errno != ENOENT && errno != ESRCH ? -errno : -ENOENT;
        *ret_gid = gr->gr_gid;
        return 0;
}

/* Whether user (with primary group base) is a member of group, through
 * the same NSS view initgroups() would use. */
static bool user_in_group(const char *user, gid_t base, gid_t group) {
        _cleanup_free_ gid_t *list = NULL;
        int n = 0;

        if (base == group)
                return true;
        (void) getgrouplist(user, base, NULL, &n);
        if (n <= 0)
                return false;
        list = calloc((size_t) n, sizeof(gid_t));
        if (!list || getgrouplist(user, base, list, &n) < 0)
                return false;
        for (int i = 0; i < n; i++)
                if (list[i] == group)
                        return true;
        return false;
}

/* The supplementary groups QEMU gets: its own group, and kvm when the
 * user is a member of it. Nothing else the user may belong to (a
 * "disk" or "docker" membership would hand a compromised QEMU the host). */
static void identity_set_groups(QemuIdentity *id, const char *user, gid_t user_gid) {
        gid_t kvm;

        id->groups[0] = id->gid;
        id->n_groups = 1;
        if (user && lookup_group(KVM_GROUP, &kvm) >= 0 && kvm != id->gid &&
            user_in_group(user, user_gid, kvm))
                id->groups[id->n_groups++] = kvm;
}

static int resolve_user(const char *user, bool default_user, QemuIdentity *id, gid_t *ret_user_gid,
                        char **ret_error) {
        int r = lookup_user(user, &id->uid, ret_user_gid);

        if (r == -ENOENT && default_user)
                return asprintf(ret_error,
                                "user '%s' (QEMU's default identity) does not exist; create it with "
                                "systemd-sysusers or set user = in the configuration",
                                user) < 0
                               ? -ENOMEM
                               : -ESRCH;
        if (r == -ENOENT)
                return asprintf(ret_error, "user = %s: no such user", user) < 0 ? -ENOMEM : -ENOENT;
        if (r < 0)
                return asprintf(ret_error, "cannot look up user '%s': %s", user, strerror(-r)) < 0 ? -ENOMEM
                                                                                                   : r;
        id->gid = *ret_user_gid;
        return 0;
}

static int resolve_group(const char *group, QemuIdentity *id, char **ret_error) {
        int r = lookup_group(group, &id->gid);

        if (r == -ENOENT)
                return asprintf(ret_error, "group = %s: no such group", group) < 0 ? -ENOMEM : -ENOENT;
        if (r < 0)
                return asprintf(ret_error, "cannot look up group '%s': %s", group, strerror(-r)) < 0
                               ? -ENOMEM
                               : r;
        return 0;
}

int identity_resolve(const VmunitConfig *config, bool embedded, QemuIdentity *ret, char **ret_error) {
        QemuIdentity id = { .uid = getuid(), .gid = getgid() };
        const char *user = config->user;
        _cleanup_free_ char *caller = NULL;
        gid_t user_gid = getgid();
        int r;

        /* Embedded mode without user/group: the caller's identity, as
         * libvirt's session mode. System mode always drops to a user. */
        if (!user && !embedded)
                user = QEMU_IDENTITY_DEFAULT_USER;
        if (!user && !config->group) {
                *ret = QEMU_IDENTITY_KEEP;
                return 0;
        }
        if (user) {
                r = resolve_user(user, !config->user, &id, &user_gid, ret_error);
                if (r < 0)
                        return r;
        } else {
                struct passwd *pw = getpwuid(id.uid);

                /* Only the group changes; kvm membership is the caller's. */
                if (pw && !(caller = strdup(pw->pw_name)))
                        return -ENOMEM;
                user_gid = pw ? pw->pw_gid : id.gid;
                user = caller;
        }
        if (config->group) {
                r = resolve_group(config->group, &id, ret_error);
                if (r < 0)
                        return r;
        }
        identity_set_groups(&id, user, user_gid);

        /* Already who QEMU should be (a user running embedded mode with
         * its own name configured, or root configured as root). */
        id.change =
                !(id.uid == getuid() && id.uid == geteuid() && id.gid == getgid() && id.gid == getegid());
        if (id.change && geteuid() != 0)
                return asprintf(ret_error,
                                "running QEMU as uid %u gid %u needs root (the supervisor runs as uid %u)",
                                (unsigned) id.uid, (unsigned) id.gid, (unsigned) geteuid()) < 0
                               ? -ENOMEM
                               : -EPERM;
        *ret = id.change ? id : QEMU_IDENTITY_KEEP;
        return 0;
}

const char *identity_describe(const QemuIdentity *id, char *buf, size_t size) {
        int n = snprintf(buf, size, "uid=%u gid=%u groups=", (unsigned) id->uid, (unsigned) id->gid);

        for (size_t i = 0; i < id->n_groups && n > 0 && (size_t) n < size; i++)
                n += snprintf(buf + n, size - (size_t) n, "%s%u", i ? "," : "", (unsigned) id->groups[i]);
        return buf;
}

int identity_apply(const QemuIdentity *id) {
        uid_t ruid, euid, suid;
        gid_t rgid, egid, sgid;

        if (!id->change)
                return 0;
        /* Groups first: setgroups and setresgid need CAP_SETGID, which
         * setresuid to a non-root uid takes away. */
        if (setgroups(id->n_groups, id->groups) < 0)
                return -errno;
        if (setresgid(id->gid, id->gid, id->gid) < 0)
                return -errno;
        if (setresuid(id->uid, id->uid, id->uid) < 0)
                return -errno;

        /* Trust but verify: real, effective and saved ids all switched
         * (a saved uid of 0 would be a way back), and root is out of reach. */
        if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
                return -errno;
        if (ruid != id->uid || euid != id->uid || suid != id->uid || rgid != id->gid || egid != id->gid ||
            sgid != id->gid)
                return -EPERM;
        if (id->uid != 0 && setuid(0) >= 0)
                return -EPERM;
        if (id->uid != 0 && id->gid != 0 && setgid(0) >= 0)
                return -EPERM;
        return 0;
}

int qemu_identity_prepare(Supervisor *s) {
        _cleanup_free_ char *err = NULL;
        char buf[128];
        int r;

        r = identity_resolve(&s->config, s->paths.embedded, &s->identity, &err);
        if (r == -ENOMEM)
                return log_error_errno(r, "Failed to resolve QEMU's identity: %m"), VMUNIT_EXIT_HOST;
        if (r < 0) {
                /* The identity is configuration: name the file the admin edits. */
                log_error("%s: %s", s->paths.config_file, err ?: "cannot resolve QEMU's identity");
                /* A missing default user or missing privilege is the host's
                 * state, not something wrong in the file. */
                return r == -EPERM || r == -ESRCH ? VMUNIT_EXIT_HOST : VMUNIT_EXIT_CONFIG;
        }
        if (s->identity.change)
                log_debug("QEMU will run as %s", identity_describe(&s->identity, buf, sizeof(buf)));
        return 0;
}
