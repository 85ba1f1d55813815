/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The label manager: picks the backends (DAC, then at most one MAC, the
 * no-op backend standing in for "no MAC"), walks the domain's paths and
 * calls each backend in a loop. It keeps the list of what it labelled so a
 * failed start and a clean stop undo exactly that, in reverse.
 */
#include <stdarg.h>
#include <stdio.h>

#include "label-journal.h"
#include "label.h"

#define MAX_BACKENDS 2 /* DAC + one MAC (or none) */

typedef struct LabelEntry {
        char *path;
        LabelPathKind kind;
        size_t n_done; /* how many backends (in order) labelled it */
} LabelEntry;

struct LabelManager {
        LabelContext ctx;
        char *name;
        char *run_dir;
        const LabelBackend *backends[MAX_BACKENDS];
        size_t n_backends;
        size_t n_generated;
        LabelEntry *entries;
        size_t n_entries;
        char description[32];
};

/* Every backend a journal record may name, for --cleanup. */
static const LabelBackend *backend_by_name(const char *name) {
        const LabelBackend *const all[] = { &label_backend_dac, &label_backend_selinux,
                                            &label_backend_apparmor, &label_backend_none };

        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if (all[i]->name && streq(all[i]->name, name))
                        return all[i];
        return NULL;
}

static const char *kind_to_string(LabelPathKind kind) {
        static const char *const names[] = {
                [LABEL_PATH_IMAGE_RW] = "disk image",
                [LABEL_PATH_IMAGE_SHARED] = "shared disk image",
                [LABEL_PATH_IMAGE_RO] = "read-only disk image",
                [LABEL_PATH_BOOT] = "boot file",
                [LABEL_PATH_NVRAM] = "NVRAM file",
                [LABEL_PATH_SOCKET] = "socket",
                [LABEL_PATH_LOG] = "log file",
                [LABEL_PATH_RUNTIME_DIR] = "runtime directory",
        };
        return (size_t) kind < ELEMENTSOF(names) && names[kind] ? names[kind] : "path";
}

/* Set *ret_error (when wanted) and return r: the one place messages are made. */
_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        if (!ret_error)
                return r;
        free(*ret_error);
        *ret_error = NULL;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

/* ---- choosing backends ---- */

static int probe(const LabelBackend *b, const LabelContext *c) {
        /* A backend with no probe cannot say it works: treat as absent. */
        return b->probe ? b->probe(c) : 0;
}

/* An explicitly configured MAC must be there: running unconfined because
 * a profile could not load would be failing open. */
static int pick_required_mac(const LabelBackend *b, const LabelContext *c, const LabelBackend **ret,
                             char **ret_error) {
        int r = probe(b, c);

        if (r < 0)
                return fail(ret_error, r, "%s: probe failed: %s", b->name, strerror(-r));
        if (r == 0)
                return fail(
                        ret_error, -EOPNOTSUPP,
                        "security_driver = %s, but %s is not enabled on this host (use 'auto' or 'none')",
                        b->name, b->name);
        *ret = b;
        return 0;
}

static int pick_mac(const LabelContext *c, const LabelBackend **ret, char **ret_error) {
        const LabelBackend *const order[] = { &label_backend_selinux, &label_backend_apparmor };

        switch (c->config->security_driver) {
        case SECURITY_DRIVER_SELINUX: return pick_required_mac(&label_backend_selinux, c, ret, ret_error);
        case SECURITY_DRIVER_APPARMOR: return pick_required_mac(&label_backend_apparmor, c, ret, ret_error);
        case SECURITY_DRIVER_NONE: *ret = &label_backend_none; return 0;
        case SECURITY_DRIVER_AUTO: break;
        default:
                return fail(ret_error, -EINVAL, "unknown security_driver %d",
                            (int) c->config->security_driver);
        }
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                int r = probe(order[i], c);
                /* A probe that errs (rather than saying "absent") may hide
                 * an LSM that is there: do not guess, stop. */
                if (r < 0)
                        return fail(ret_error, r,
                                    "%s is enabled but cannot be used here (%s); refusing to run QEMU "
                                    "without it (security_driver = none in vmunit.conf allows that)",
                                    order[i]->name, strerror(-r));
                if (r > 0) {
                        *ret = order[i];
                        return 0;
                }
        }
        *ret = &label_backend_none;
        return 0;
}

/*
 * A <seclabel> that asks for a label the active MAC cannot give must stop
 * the start, as libvirt does: a static SELinux label on an AppArmor host,
 * or any static label on a host with no MAC, would otherwise run QEMU
 * with less confinement than the domain says. type='none' asks for
 * nothing and is always satisfied.
 */
static int check_seclabel(const LabelContext *c, const LabelBackend *mac, char **ret_error) {
        const DomainSeclabel *sec = c->domain ? &c->domain->seclabel : NULL;

        if (!sec || !sec->present || sec->type == DOMAIN_SECLABEL_NONE)
                return 0;
        if (sec->model && !streq(sec->model, mac->name))
                return fail(
                        ret_error, -EOPNOTSUPP,
                        "the domain's <seclabel> is for model '%s', but the active security driver is %s",
                        sec->model, mac->name);
        if (sec->type == DOMAIN_SECLABEL_STATIC && mac == &label_backend_none)
                return fail(ret_error, -EOPNOTSUPP,
                            "the domain has a static <seclabel>, but no security driver is active");
        return 0;
}

static int pick_backends(LabelManager *m, char **ret_error) {
        const LabelContext *c = &m->ctx;
        const LabelBackend *mac;
        int r;

        /* DAC only makes sense when QEMU gets another identity and we may
         * chown to it: root with dynamic_ownership. A normal user in
         * embedded mode keeps its own files as they are. */
        if (c->config->dynamic_ownership && geteuid() == 0 && c->qemu_uid != (uid_t) -1)
                m->backends[m->n_backends++] = &label_backend_dac;
        r = pick_mac(c, &mac, ret_error);
        if (r >= 0)
                r = check_seclabel(c, mac, ret_error);
        if (r < 0)
                return r;
        m->backends[m->n_backends++] = mac;
        return 0;
}

static void describe(LabelManager *m) {
        size_t n = 0;

        m->description[0] = '\0';
        for (size_t i = 0; i < m->n_backends; i++) {
                /* "none" only names the choice when it is the only one. */
                if (m->backends[i] == &label_backend_none && m->n_backends > 1)
                        continue;
                n += snprintf(m->description + n, sizeof(m->description) - n, "%s%s", n ? "+" : "",
                              m->backends[i]->name);
        }
}

/* ---- lifetime ---- */

static int context_init(LabelManager *m, const LabelManagerParams *p) {
        m->name = strdup(p->name);
        m->run_dir = p->run_dir ? strdup(p->run_dir) : NULL;
        if (!m->name || (p->run_dir && !m->run_dir))
                return -ENOMEM;
        m->ctx = (LabelContext){
                .domain = p->domain,
                .config = p->config,
                .paths = p->paths,
                .name = m->name,
                .run_dir = m->run_dir,
                .qemu_uid = p->qemu_uid,
                .qemu_gid = p->qemu_gid,
        };
        domain_uuid_format(p->domain->uuid, m->ctx.uuid);
        return 0;
}

int label_manager_new(const LabelManagerParams *p, LabelManager **ret, char **ret_error) {
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        int r;

        if (!p || !p->domain || !p->config || !p->paths || !p->paths->labels_dir || !p->name || !ret)
                return fail(ret_error, -EINVAL, "label: missing parameters");
        m = calloc(1, sizeof(*m));
        if (!m)
                return fail(ret_error, -ENOMEM, "label: out of memory");
        r = context_init(m, p);
        if (r < 0)
                return fail(ret_error, r, "label: out of memory");
        r = pick_backends(m, ret_error);
        if (r < 0)
                return r;
        describe(m);
        /* A journal left by a run whose cleanup never ran (embedded mode,
         * no ExecStopPost): undo it now, or our own clean stop would remove
         * it with those records still pending. Best effort: records that
         * cannot be undone stay in the journal for the next try. */
        (void) label_cleanup_from_journal(p->paths, p->name);
        r = label_journal_open(p->paths->labels_dir, p->name, &m->ctx.journal);
        if (r < 0)
                return fail(ret_error, r, "label: cannot open the label journal in %s: %s",
                            p->paths->labels_dir, strerror(-r));
        *ret = TAKE_PTR(m);
        return 0;
}

static void entries_free(LabelManager *m) {
        for (size_t i = 0; i < m->n_entries; i++)
                free(m->entries[i].path);
        free(m->entries);
        m->entries = NULL;
        m->n_entries = 0;
}

/* Frees memory only: labels stay as they are (a supervisor that exits
 * without restore_domain leaves them for --cleanup, journal and all). */
LabelManager *label_manager_free(LabelManager *m) {
        if (!m)
                return NULL;
        entries_free(m);
        label_journal_free(m->ctx.journal);
        free(m->ctx.error);
        free(m->name);
        free(m->run_dir);
        free(m);
        return NULL;
}

const char *label_manager_describe(const LabelManager *m) {
        return m ? m->description : "none";
}

/* ---- generate / release ---- */

/* A backend may leave a one-line reason in ctx.error (e.g. which character
 * of a path cannot go into an AppArmor rule); prefer it to strerror. */
static int backend_fail(LabelManager *m, char **ret_error, int r, const LabelBackend *b, const char *what) {
        _cleanup_free_ char *why = TAKE_PTR(m->ctx.error);

        if (why)
                return fail(ret_error, r, "%s: %s", b->name, why);
        return fail(ret_error, r, "%s: cannot %s: %s", b->name, what, strerror(-r));
}

static int generate_all(LabelManager *m, char **ret_error) {
        for (; m->n_generated < m->n_backends; m->n_generated++) {
                const LabelBackend *b = m->backends[m->n_generated];
                int r = b->generate ? b->generate(&m->ctx) : 0;
                if (r < 0)
                        return backend_fail(m, ret_error, r, b, "prepare the VM's labels");
        }
        return 0;
}

/* Backends that build their policy from all the paths (AppArmor writes
 * and loads the VM's .files) apply it here, after the last label_path. */
static int commit_all(LabelManager *m, char **ret_error) {
        for (size_t i = 0; i < m->n_backends; i++) {
                const LabelBackend *b = m->backends[i];
                int r = b->commit ? b->commit(&m->ctx) : 0;
                if (r < 0)
                        return backend_fail(m, ret_error, r, b, "apply the VM's policy");
        }
        return 0;
}

static int release_all(LabelManager *m) {
        int first = 0;

        for (; m->n_generated > 0; m->n_generated--) {
                const LabelBackend *b = m->backends[m->n_generated - 1];
                int r = b->release ? b->release(&m->ctx) : 0;
                if (r < 0 && first == 0)
                        first = r;
        }
        return first;
}

/* ---- paths ---- */

static LabelEntry *entry_add(LabelManager *m, const char *path, LabelPathKind kind) {
        LabelEntry *e = reallocarray(m->entries, m->n_entries + 1, sizeof(LabelEntry));
        char *copy = strdup(path);

        if (e)
                m->entries = e;
        if (!e || !copy) {
                free(copy);
                return NULL;
        }
        e = &m->entries[m->n_entries++];
        *e = (LabelEntry){ .path = copy, .kind = kind };
        return e;
}

static void entry_drop(LabelManager *m, size_t i) {
        free(m->entries[i].path);
        memmove(m->entries + i, m->entries + i + 1, (m->n_entries - i - 1) * sizeof(LabelEntry));
        m->n_entries--;
}

/* Undo one path: the backends that labelled it, in reverse. */
static int entry_restore(LabelManager *m, LabelEntry *e) {
        int first = 0;

        for (; e->n_done > 0; e->n_done--) {
                const LabelBackend *b = m->backends[e->n_done - 1];
                int r = b->restore_path ? b->restore_path(&m->ctx, e->path) : 0;
                if (r < 0 && first == 0)
                        first = r;
        }
        return first;
}

static int label_one(LabelManager *m, const char *path, LabelPathKind kind, char **ret_error) {
        LabelEntry *e = entry_add(m, path, kind);

        if (!e)
                return fail(ret_error, -ENOMEM, "label: out of memory");
        for (size_t i = 0; i < m->n_backends; i++, e->n_done++) {
                const LabelBackend *b = m->backends[i];
                int r = b->label_path ? b->label_path(&m->ctx, path, kind) : 0;
                /* A backend's label_path is all or nothing: only the
                 * backends before it need undoing (by the caller). */
                if (r < 0) {
                        _cleanup_free_ char *what = NULL;
                        if (asprintf(&what, "label %s %s", kind_to_string(kind), path) < 0)
                                what = NULL;
                        return backend_fail(m, ret_error, r, b, what ?: "label a path");
                }
        }
        return 0;
}

static LabelPathKind disk_kind(const DomainDisk *d) {
        /* QEMU opens a cdrom read-only whatever the XML says. */
        if (d->readonly || d->device == DOMAIN_DISK_DEVICE_CDROM)
                return LABEL_PATH_IMAGE_RO;
        return d->shareable ? LABEL_PATH_IMAGE_SHARED : LABEL_PATH_IMAGE_RW;
}

static int label_os(LabelManager *m, const DomainOs *os, char **ret_error) {
        const struct {
                const char *path;
                LabelPathKind kind;
        } items[] = {
                { os->kernel, LABEL_PATH_BOOT },
                { os->initrd, LABEL_PATH_BOOT },
                { os->loader, LABEL_PATH_BOOT },
                { os->nvram, LABEL_PATH_NVRAM },
        };

        for (size_t i = 0; i < ELEMENTSOF(items); i++) {
                if (!items[i].path)
                        continue;
                int r = label_one(m, items[i].path, items[i].kind, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int label_devices(LabelManager *m, const Domain *d, char **ret_error) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < d->n_disks; i++)
                if (d->disks[i].source)
                        r = label_one(m, d->disks[i].source, disk_kind(&d->disks[i]), ret_error);
        for (size_t i = 0; r >= 0 && i < d->n_chars; i++) {
                const DomainChar *c = &d->chars[i];
                if (c->path && c->type == DOMAIN_CHAR_FILE)
                        r = label_one(m, c->path, LABEL_PATH_LOG, ret_error);
                else if (c->path && c->type == DOMAIN_CHAR_UNIX)
                        r = label_one(m, c->path, LABEL_PATH_SOCKET, ret_error);
        }
        for (size_t i = 0; r >= 0 && i < d->n_graphics; i++)
                if (d->graphics[i].socket)
                        r = label_one(m, d->graphics[i].socket, LABEL_PATH_SOCKET, ret_error);
        return r;
}

/* Restore every labelled path (newest first), release, and forget them.
 * The journal goes only when all of it went back: otherwise --cleanup
 * (ExecStopPost) or the next start retries what is left. */
static int unwind(LabelManager *m) {
        int first = 0, r;

        while (m->n_entries > 0) {
                r = entry_restore(m, &m->entries[m->n_entries - 1]);
                if (r < 0 && first == 0)
                        first = r;
                entry_drop(m, m->n_entries - 1);
        }
        r = release_all(m);
        if (r < 0 && first == 0)
                first = r;
        if (first == 0)
                first = label_journal_remove(m->ctx.paths->labels_dir, m->name);
        return first;
}

int label_manager_label_domain(LabelManager *m, char **ret_error) {
        const Domain *d;
        int r;

        if (!m)
                return fail(ret_error, -EINVAL, "label: no manager");
        d = m->ctx.domain;
        r = generate_all(m, ret_error);
        if (r >= 0)
                r = label_os(m, &d->os, ret_error);
        if (r >= 0)
                r = label_devices(m, d, ret_error);
        if (r >= 0 && m->run_dir)
                r = label_one(m, m->run_dir, LABEL_PATH_RUNTIME_DIR, ret_error);
        if (r >= 0)
                r = commit_all(m, ret_error);
        /* Fail closed, and leave nothing half done behind. */
        if (r < 0)
                (void) unwind(m);
        return r;
}

int label_manager_label_disk(LabelManager *m, const DomainDisk *disk, char **ret_error) {
        int r;

        if (!m || !disk || !disk->source)
                return fail(ret_error, -EINVAL, "label: no disk source to label");
        if (m->n_generated < m->n_backends)
                return fail(ret_error, -ESTALE, "label: the domain is not labelled");
        r = label_one(m, disk->source, disk_kind(disk), ret_error);
        if (r >= 0)
                r = commit_all(m, ret_error);
        if (r < 0) {
                (void) entry_restore(m, &m->entries[m->n_entries - 1]);
                entry_drop(m, m->n_entries - 1);
        }
        return r;
}

int label_manager_restore_disk(LabelManager *m, const DomainDisk *disk) {
        if (!m || !disk || !disk->source)
                return -EINVAL;
        for (size_t i = m->n_entries; i > 0; i--) {
                LabelEntry *e = &m->entries[i - 1];
                bool is_disk = e->kind == LABEL_PATH_IMAGE_RW || e->kind == LABEL_PATH_IMAGE_SHARED ||
                               e->kind == LABEL_PATH_IMAGE_RO;
                if (!is_disk || !streq(e->path, disk->source))
                        continue;
                int r = entry_restore(m, e);
                entry_drop(m, i - 1);
                if (r >= 0)
                        r = commit_all(m, NULL);
                return r;
        }
        return -ENOENT;
}

int label_manager_set_exec_label(LabelManager *m) {
        if (!m)
                return -EINVAL;
        for (size_t i = 0; i < m->n_backends; i++) {
                const LabelBackend *b = m->backends[i];
                int r = b->set_exec_label ? b->set_exec_label(&m->ctx) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

int label_manager_restore_domain(LabelManager *m) {
        return m ? unwind(m) : 0;
}

/* ---- --cleanup ---- */

typedef struct CleanupState {
        const VmunitPaths *paths;
        const char *name;
        LabelJournal *journal; /* opened on the first success, for markers */
} CleanupState;

static int cleanup_one(const LabelRecord *rec, void *userdata) {
        CleanupState *s = userdata;
        const LabelBackend *b = backend_by_name(rec->backend);
        int r;

        if (!b)
                return -EBADMSG;
        if (!b->undo_record)
                return -EOPNOTSUPP;
        r = b->undo_record(rec);
        if (r < 0)
                return r;
        /* Mark it undone, so a retry after a partial failure does not undo
         * it twice (a second decrement of a shared image's count would give
         * it back while another VM still uses it). */
        if (!s->journal && label_journal_open(s->paths->labels_dir, s->name, &s->journal) < 0)
                return 0;
        (void) label_journal_record(
                s->journal, &(LabelRecord){ rec->backend, LABEL_JOURNAL_OP_UNDONE, rec->path, rec->op });
        return 0;
}

int label_cleanup_from_journal(const VmunitPaths *paths, const char *name) {
        CleanupState s = { .paths = paths, .name = name };
        int r;

        if (!paths || !paths->labels_dir || !name)
                return -EINVAL;
        r = label_journal_replay_live(paths->labels_dir, name, cleanup_one, &s);
        label_journal_free(s.journal);
        if (r < 0)
                return r;
        return label_journal_remove(paths->labels_dir, name);
}
