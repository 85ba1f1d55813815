/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The label manager: picks the backends (DAC, then at most one MAC, the
 * no-op backend standing in for "no MAC"), and calls each backend in a
 * loop for each file of the VM's VmFiles table. It keeps its own copy of
 * every file it labelled (a dup of its fd) so a failed start and a clean
 * stop undo exactly that, in reverse, on the same inodes.
 */
#include <fcntl.h>
#include <stdio.h>

#include "fs-util.h"
#include "label-journal.h"
#include "label.h"
#include "strv.h"

#define MAX_BACKENDS 2 /* DAC + one MAC (or none) */

typedef struct LabelEntry {
        VmFile file;   /* our copy: fd dup'd, path and source copied */
        size_t n_done; /* how many backends (in order) labelled it */
} LabelEntry;

struct LabelManager {
        LabelContext ctx;
        char *name;
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
                return set_errorf(ret_error, r, "%s: probe failed: %s", b->name, strerror(-r));
        if (r == 0)
                return set_errorf(
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
                return set_errorf(ret_error, -EINVAL, "unknown security_driver %d",
                                  (int) c->config->security_driver);
        }
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                int r = probe(order[i], c);
                /* A probe that errs (rather than saying "absent") may hide
                 * an LSM that is there: do not guess, stop. */
                if (r < 0)
                        return set_errorf(ret_error, r,
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
                return set_errorf(
                        ret_error, -EOPNOTSUPP,
                        "the domain's <seclabel> is for model '%s', but the active security driver is %s",
                        sec->model, mac->name);
        if (sec->type == DOMAIN_SECLABEL_STATIC && mac == &label_backend_none)
                return set_errorf(ret_error, -EOPNOTSUPP,
                                  "the domain has a static <seclabel>, but no security driver is active");
        return 0;
}

static int pick_backends(LabelManager *m, char **ret_error) {
        const LabelContext *c = &m->ctx;
        const LabelBackend *mac;
        int r;

        /* DAC only makes sense when QEMU gets another identity and we may
         * write ACL entries for it on files that are not ours: root with
         * dynamic_ownership. A normal user in embedded mode keeps its own
         * files as they are. */
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
        if (!m->name)
                return -ENOMEM;
        m->ctx = (LabelContext){
                .domain = p->domain,
                .config = p->config,
                .paths = p->paths,
                .name = m->name,
                .qemu_uid = p->qemu_uid,
                .qemu_gid = p->qemu_gid,
        };
        domain_uuid_format(p->domain->uuid, m->ctx.uuid);
        return label_boot_id(m->ctx.boot_id);
}

int label_manager_new(const LabelManagerParams *p, LabelManager **ret, char **ret_error) {
        _cleanup_(label_manager_freep) LabelManager *m = NULL;
        int r;

        if (!p || !p->domain || !p->config || !p->paths || !p->paths->labels_dir || !p->name || !ret)
                return set_errorf(ret_error, -EINVAL, "label: missing parameters");
        m = calloc(1, sizeof(*m));
        if (!m)
                return set_errorf(ret_error, -ENOMEM, "label: out of memory");
        r = context_init(m, p);
        if (r < 0)
                return set_errorf(ret_error, r, "label: cannot set up: %s", strerror(-r));
        r = pick_backends(m, ret_error);
        if (r < 0)
                return r;
        describe(m);
        /* A journal left by a run whose cleanup never ran (embedded mode,
         * no ExecStopPost): undo it now, or our own clean stop would remove
         * it with those records still pending. Best effort: records that
         * cannot be undone stay in the journal for the next try. */
        (void) label_cleanup_from_journal(p->paths, p->name, NULL);
        r = label_journal_open(p->paths->labels_dir, p->name, &m->ctx.journal);
        if (r < 0)
                return set_errorf(ret_error, r, "label: cannot open the label journal in %s: %s",
                                  p->paths->labels_dir, strerror(-r));
        *ret = TAKE_PTR(m);
        return 0;
}

static void entries_free(LabelManager *m) {
        for (size_t i = 0; i < m->n_entries; i++)
                vm_file_done(&m->entries[i].file);
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
                return set_errorf(ret_error, r, "%s: %s", b->name, why);
        return set_errorf(ret_error, r, "%s: cannot %s: %s", b->name, what, strerror(-r));
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
 * and loads the VM's .files) apply it here, after the last label_file. */
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

/* ---- files ---- */

/* Append an entry for a copy of f (the caller's table may be reallocated
 * or freed; restore must reach the same inode); nothing is added on
 * failure. */
static int entry_add(LabelManager *m, const VmFile *f) {
        _cleanup_(vm_file_done) VmFile copy = VM_FILE_NULL;
        LabelEntry *e;
        int r = vm_file_copy(f, &copy);

        if (r < 0)
                return r;
        e = reallocarray(m->entries, m->n_entries + 1, sizeof(LabelEntry));
        if (!e)
                return -ENOMEM;
        m->entries = e;
        m->entries[m->n_entries++] = (LabelEntry){ .file = copy };
        copy = VM_FILE_NULL;
        return 0;
}

static void entry_drop(LabelManager *m, size_t i) {
        vm_file_done(&m->entries[i].file);
        memmove(m->entries + i, m->entries + i + 1, (m->n_entries - i - 1) * sizeof(LabelEntry));
        m->n_entries--;
}

/* Undo one file: the backends that labelled it, in reverse. */
static int entry_restore(LabelManager *m, LabelEntry *e) {
        int first = 0;

        for (; e->n_done > 0; e->n_done--) {
                const LabelBackend *b = m->backends[e->n_done - 1];
                int r = b->restore_file ? b->restore_file(&m->ctx, &e->file) : 0;
                if (r < 0 && first == 0)
                        first = r;
        }
        return first;
}

/* Restore and forget entry i. */
static int entry_undo(LabelManager *m, size_t i) {
        int r = entry_restore(m, &m->entries[i]);

        entry_drop(m, i);
        return r;
}

/* Label f with every backend, all or nothing: on failure the backends
 * that did their part are undone and the entry is gone again. */
static int label_one(LabelManager *m, const VmFile *f, char **ret_error) {
        size_t i = m->n_entries;
        LabelEntry *e;
        int r = entry_add(m, f);

        if (r < 0)
                return set_errorf(ret_error, r, "label: cannot keep %s %s: %s",
                                  vm_file_kind_to_string(f->kind), f->path ?: "(unresolved)", strerror(-r));
        e = &m->entries[i];
        for (; e->n_done < m->n_backends; e->n_done++) {
                const LabelBackend *b = m->backends[e->n_done];
                _cleanup_free_ char *what = NULL;

                r = b->label_file ? b->label_file(&m->ctx, &e->file) : 0;
                if (r >= 0)
                        continue;
                if (asprintf(&what, "label %s %s", vm_file_kind_to_string(f->kind), e->file.path) < 0)
                        what = NULL;
                r = backend_fail(m, ret_error, r, b, what ?: "label a file");
                (void) entry_undo(m, i);
                return r;
        }
        return 0;
}

/* Restore every labelled file (newest first), release, and forget them.
 * The journal goes only when all of it went back: otherwise --cleanup
 * (ExecStopPost) or the next start retries what is left. */
static int unwind(LabelManager *m) {
        int first = 0, r;

        while (m->n_entries > 0) {
                r = entry_undo(m, m->n_entries - 1);
                if (r < 0 && first == 0)
                        first = r;
        }
        /* A file that kept its label keeps what it depends on (the MCS
         * pair stays reserved): the journal stays for --cleanup too. */
        m->ctx.restore_failed = first < 0;
        r = release_all(m);
        if (r < 0 && first == 0)
                first = r;
        if (first == 0)
                first = label_journal_remove(m->ctx.paths->labels_dir, m->name);
        return first;
}

int label_manager_label_domain(LabelManager *m, const VmFiles *files, char **ret_error) {
        int r;

        if (!m || !files)
                return set_errorf(ret_error, -EINVAL, "label: no manager or no files");
        r = generate_all(m, ret_error);
        for (size_t i = 0; r >= 0 && i < files->n; i++)
                r = label_one(m, &files->items[i], ret_error);
        if (r >= 0)
                r = commit_all(m, ret_error);
        /* Fail closed, and leave nothing half done behind. */
        if (r < 0)
                (void) unwind(m);
        return r;
}

int label_manager_label_file(LabelManager *m, const VmFile *f, char **ret_error) {
        size_t i;
        int r;

        if (!m || !f)
                return set_errorf(ret_error, -EINVAL, "label: no file to label");
        if (m->n_generated < m->n_backends)
                return set_errorf(ret_error, -ESTALE, "label: the domain is not labelled");
        i = m->n_entries;
        r = label_one(m, f, ret_error);
        if (r < 0)
                return r;
        r = commit_all(m, ret_error);
        if (r < 0) {
                (void) entry_undo(m, i);
                (void) commit_all(m, NULL);
        }
        return r;
}

int label_manager_restore_file(LabelManager *m, const VmFile *f) {
        if (!m || !f)
                return -EINVAL;
        for (size_t i = m->n_entries; i > 0; i--) {
                const VmFile *e = &m->entries[i - 1].file;
                if (e->kind != f->kind || !stat_same_inode(&e->st, &f->st))
                        continue;
                int r = entry_undo(m, i - 1);
                int k = commit_all(m, NULL);
                return r < 0 ? r : k;
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
        Strv notices;
        bool failed;
} CleanupState;

static int cleanup_record(CleanupState *s, const LabelRecord *rec) {
        const LabelBackend *b = backend_by_name(rec->backend);
        _cleanup_free_ char *notice = NULL;
        int r;

        if (!b)
                return -EBADMSG;
        if (!b->undo_record)
                return -EOPNOTSUPP;
        r = b->undo_record(s->paths->labels_dir, rec, &notice);
        if (notice)
                (void) strv_consume(&s->notices, TAKE_PTR(notice));
        return r;
}

/* Newest first. After a record that cannot be undone, the older ones
 * stay for the next try too: they are what newer changes depend on (the
 * MCS pair a still-labelled file carries, above all). */
static int cleanup_one(const LabelRecord *rec, void *userdata) {
        CleanupState *s = userdata;
        int r;

        if (s->failed)
                return 0;
        r = cleanup_record(s, rec);
        if (r < 0) {
                s->failed = true;
                return r;
        }
        /* Mark it undone, so a retry after a partial failure does not
         * undo it again (harmless for holder records, but a plain
         * record's original would be put back over a newer change). */
        if (!s->journal && label_journal_open(s->paths->labels_dir, s->name, &s->journal) < 0)
                return 0;
        (void) label_journal_record(
                s->journal, &(LabelRecord){ rec->backend, LABEL_JOURNAL_OP_UNDONE, rec->path, rec->op });
        return 0;
}

int label_cleanup_from_journal(const VmunitPaths *paths, const char *name, char ***ret_notices) {
        CleanupState s = { .paths = paths, .name = name };
        int r;

        if (ret_notices)
                *ret_notices = NULL;
        if (!paths || !paths->labels_dir || !name)
                return -EINVAL;
        r = label_journal_replay_live(paths->labels_dir, name, cleanup_one, &s);
        label_journal_free(s.journal);
        if (ret_notices && s.notices.n > 0)
                *ret_notices = strv_steal(&s.notices);
        strv_done(&s.notices);
        if (r < 0)
                return r;
        return label_journal_remove(paths->labels_dir, name);
}
