/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AppArmor sVirt: each VM's QEMU runs in its own profile vmunit-UUID, which
 * names only that VM's files. Layout under /etc/apparmor.d:
 *
 *   abstractions/vmunit-qemu   what every QEMU needs (+ local/vmunit-qemu)
 *   vmunit/TEMPLATE.qemu       copied to vmunit/vmunit-UUID on first start
 *   vmunit/vmunit-UUID         the VM's profile: the admin's to edit, never
 *                              overwritten by us
 *   vmunit/vmunit-UUID.files   this VM's paths, rewritten at every commit
 *
 * The flow: generate() names the profile, records it in the journal (so
 * --cleanup can unload it after a crash) and creates the profile file if
 * missing; label_file()/restore_file() edit an in-memory rule set; commit()
 * writes .files and (re)loads the profile with apparmor_parser; the child
 * calls aa_change_onexec() so QEMU starts confined; release() unloads.
 */
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/apparmor.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "apparmor-rules.h"
#include "fs-util.h"
#include "label-journal.h"
#include "label.h"
#include "qemu-argv.h"

#define APPARMOR_ETC_DIR "/etc/apparmor.d"
#define APPARMOR_VMUNIT_DIR APPARMOR_ETC_DIR "/vmunit"
#define APPARMOR_TEMPLATE APPARMOR_VMUNIT_DIR "/TEMPLATE.qemu"
#define APPARMOR_LOAD_FILE "/sys/kernel/security/apparmor/.load"
/* Our slot in LabelContext.data[]; only one MAC is active at a time. */
#define LABEL_DATA_APPARMOR 2
#define PARSER_OUTPUT_MAX 2048

/* What the domain's <seclabel> asks of AppArmor. */
typedef enum ApparmorMode {
        APPARMOR_MODE_GENERATED, /* dynamic (the default): our vmunit-UUID profile */
        APPARMOR_MODE_STATIC,    /* the admin's profile, by name, as it is */
        APPARMOR_MODE_NONE,      /* type='none': no profile at all */
} ApparmorMode;

typedef struct ApparmorState {
        ApparmorMode mode;
        char profile[APPARMOR_PROFILE_NAME_MAX];
        const char *static_profile; /* the Domain's <label>; it outlives us */
        ApparmorRuleSet rules;
} ApparmorState;

static ApparmorState *apparmor_state(LabelContext *c) {
        return c->data[LABEL_DATA_APPARMOR];
}

/* Leave why (taken) as the manager's one-line reason; returns r. */
static int apparmor_fail(LabelContext *c, int r, char *why) {
        if (why) {
                free(c->error);
                c->error = why;
        }
        return r;
}

static int apparmor_failf(LabelContext *c, int r, const char *fmt, ...) _printf_(3, 4);
static int apparmor_failf(LabelContext *c, int r, const char *fmt, ...) {
        char *why = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&why, fmt, ap) < 0)
                why = NULL;
        va_end(ap);
        return apparmor_fail(c, r, why);
}

static int apparmor_probe(const LabelContext *c) {
        /* Enabled in the kernel, and we may load policy (root with
         * CAP_MAC_ADMIN and securityfs writable: the unit grants both). */
        if (aa_is_enabled() <= 0)
                return 0;
        if (access(APPARMOR_LOAD_FILE, W_OK) == 0)
                return 1;
        /* Without root nobody expects confinement (embedded mode, like
         * libvirt's session mode). As root, AppArmor is on and we were
         * meant to use it: running QEMU unconfined because policy cannot
         * be loaded here would be a silent downgrade, so fail instead. */
        if (geteuid() != 0)
                return 0;
        return -EACCES;
}

/*
 * <seclabel> with model='apparmor' or no model. type='none' and a static
 * profile are the admin's explicit choice, made in the domain XML that
 * only root may install: we then generate, load and unload nothing (a
 * static profile is the admin's to manage, and unloading it could break
 * other users of it). A static profile that is not loaded makes
 * aa_change_onexec() fail in the child, so the start still fails closed.
 * 1 = handled (s filled), 0 = the default dynamic profile applies.
 */
static int apparmor_seclabel_mode(LabelContext *c, ApparmorState *s) {
        const DomainSeclabel *sec = c->domain ? domain_seclabel_for(c->domain, "apparmor") : NULL;

        if (!sec)
                return 0;
        switch (sec->type) {
        case DOMAIN_SECLABEL_NONE: s->mode = APPARMOR_MODE_NONE; return 1;
        case DOMAIN_SECLABEL_STATIC:
                /* relabel='yes' would mean adding this VM's files to the
                 * admin's profile: not something we may edit. */
                if (domain_seclabel_relabel(sec))
                        return apparmor_failf(
                                c, -EOPNOTSUPP,
                                "static AppArmor <seclabel> with relabel='yes' is not supported");
                if (!sec->label)
                        return -EINVAL;
                s->mode = APPARMOR_MODE_STATIC;
                s->static_profile = sec->label;
                return 1;
        default: return 0;
        }
}

static int apparmor_generate(LabelContext *c) {
        _cleanup_free_ ApparmorState *s = calloc(1, sizeof(ApparmorState));
        char *why = NULL;
        int r;

        if (!s)
                return -ENOMEM;
        r = apparmor_seclabel_mode(c, s);
        if (r < 0)
                return r;
        if (r > 0) {
                c->data[LABEL_DATA_APPARMOR] = TAKE_PTR(s);
                return 0;
        }
        r = apparmor_profile_name(c->uuid, s->profile);
        if (r < 0)
                return r;
        /* Journal first: once the profile may be loaded, --cleanup must
         * know to unload it even if we are SIGKILLed right after. */
        if (c->journal) {
                r = label_journal_record(c->journal, &(LabelRecord){
                                                             .backend = "apparmor",
                                                             .op = "profile",
                                                             .path = "",
                                                             .value = s->profile,
                                                     });
                if (r < 0)
                        return r;
        }
        r = apparmor_profile_install(APPARMOR_VMUNIT_DIR, APPARMOR_TEMPLATE, s->profile, &why);
        if (r < 0)
                return apparmor_fail(c, r, why);
        c->data[LABEL_DATA_APPARMOR] = TAKE_PTR(s);
        return 0;
}

/*
 * The kernel matches the path of the object after resolving symlinks, so
 * the rule names where the file really is: f->path, the path of the fd
 * the file was resolved to once (for a socket QEMU will create, its
 * resolved directory plus the name), never a second resolution of the
 * path the domain wrote.
 */
static int apparmor_label_file(LabelContext *c, const VmFile *f) {
        ApparmorState *s = apparmor_state(c);
        char *why = NULL;
        int r;

        if (!s)
                return -EINVAL;
        /* No generated profile, no rules: nothing to add. */
        if (s->mode != APPARMOR_MODE_GENERATED)
                return 0;
        /* QEMU writes the console log only through the fd the unconfined
         * supervisor opened, which AppArmor does not revalidate at exec;
         * a rule would let QEMU open it by path. */
        if (f->console_log)
                return 0;
        /* Check the path as written too: refuse it even when it happens to
         * resolve to something harmless. */
        r = apparmor_path_check(f->source, apparmor_path_kind_to_string(f->kind), &why);
        if (r < 0)
                return apparmor_fail(c, r, why);
        r = apparmor_rule_set_add(&s->rules, f->source, f->path, f->kind, &why);
        return r < 0 ? apparmor_fail(c, r, why) : 0;
}

static int apparmor_restore_file(LabelContext *c, const VmFile *f) {
        ApparmorState *s = apparmor_state(c);

        if (s)
                (void) apparmor_rule_set_remove(&s->rules, f->source);
        /* Takes effect at the next commit (hot-unplug) or release. */
        return 0;
}

static const char *apparmor_parser_path(void) {
        static const char *const candidates[] = { "/usr/sbin/apparmor_parser", "/sbin/apparmor_parser" };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
                if (access(candidates[i], X_OK) == 0)
                        return candidates[i];
        return NULL;
}

/* Read what the parser said, keeping the first size - 1 bytes as one line
 * for the log. Reads to EOF: a parser blocked on a full pipe would never
 * exit and we would wait for it forever. */
static void read_parser_output(int fd, char *buf, size_t size) {
        char sink[512];
        size_t used = 0;
        ssize_t n;

        for (;;) {
                bool full = used + 1 >= size;

                n = full ? read(fd, sink, sizeof(sink)) : read(fd, buf + used, size - 1 - used);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (!full)
                        used += n;
        }
        buf[used] = '\0';
        while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
                buf[--used] = '\0';
        for (char *p = buf; *p; p++)
                if (*p == '\n')
                        *p = ' ';
}

/*
 * Load (or replace) the profile. apparmor_parser is exec'd from an argv
 * with a fixed environment, never through a shell. No cache: .files was
 * just rewritten, so a cached binary would always be stale.
 */
static int apparmor_parser_load(const char *profile_path, char **ret_why) {
        const char *parser = apparmor_parser_path();
        char *const argv[] = { (char *) "apparmor_parser", (char *) "--replace",
                               (char *) "--skip-cache",    (char *) "--base",
                               (char *) APPARMOR_ETC_DIR,  (char *) "--",
                               (char *) profile_path,      NULL };
        char *const envp[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *) "LC_ALL=C", NULL };
        _cleanup_close_ int out_r = -EBADF, out_w = -EBADF;
        posix_spawn_file_actions_t fa;
        char output[PARSER_OUTPUT_MAX];
        int fds[2], status, r;
        pid_t pid;

        if (!parser)
                return asprintf(ret_why, "apparmor_parser not found; install the apparmor package") < 0
                               ? -ENOMEM
                               : -ENOENT;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        out_r = fds[0];
        out_w = fds[1];
        r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return -r;
        r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, out_w, STDERR_FILENO);
        if (r == 0)
                r = posix_spawn(&pid, parser, &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        out_w = safe_close(out_w);
        read_parser_output(out_r, output, sizeof(output));
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        return asprintf(ret_why, "apparmor_parser could not load %s: %s", profile_path,
                        output[0] ? output : "(no output)") < 0
                       ? -ENOMEM
                       : -EPROTO;
}

static const char *apparmor_emulator(const LabelContext *c) {
        if (c->domain && c->domain->emulator)
                return c->domain->emulator;
        if (c->config && c->config->emulator)
                return c->config->emulator;
        return QEMU_DEFAULT_EMULATOR;
}

static int apparmor_commit(LabelContext *c) {
        ApparmorState *s = apparmor_state(c);
        _cleanup_free_ char *emulator_rule = NULL, *text = NULL, *files_path = NULL, *profile_path = NULL;
        char *why = NULL;
        int r;

        if (!s)
                return -EINVAL;
        if (s->mode != APPARMOR_MODE_GENERATED)
                return 0;
        r = apparmor_emulator_rule(apparmor_emulator(c), &emulator_rule, &why);
        if (r < 0)
                return apparmor_fail(c, r, why);
        r = apparmor_rule_set_render(&s->rules, s->profile, emulator_rule, &text);
        if (r < 0)
                return r;
        if (asprintf(&files_path, APPARMOR_VMUNIT_DIR "/%s.files", s->profile) < 0 ||
            asprintf(&profile_path, APPARMOR_VMUNIT_DIR "/%s", s->profile) < 0)
                return -ENOMEM;
        r = write_file_atomic(files_path, text, 0644);
        if (r < 0)
                return apparmor_failf(c, r, "cannot write %s: %s", files_path, strerror(-r));
        r = apparmor_parser_load(profile_path, &why);
        return r < 0 ? apparmor_fail(c, r, why) : 0;
}

static int apparmor_set_exec_label(LabelContext *c) {
        ApparmorState *s = apparmor_state(c);

        if (!s)
                return -EINVAL;
        /* type='none': QEMU keeps whatever the exec gives it, as asked. */
        if (s->mode == APPARMOR_MODE_NONE)
                return 0;
        /* Takes effect at execve: QEMU's first instruction already runs
         * confined. Fails (ENOENT) if the profile is not loaded: fail
         * closed rather than exec QEMU unconfined. */
        if (aa_change_onexec(s->mode == APPARMOR_MODE_STATIC ? s->static_profile : s->profile) < 0)
                return negative_errno();
        return 0;
}

/* Unload profile from the kernel and drop its generated .files; the
 * admin's vmunit-UUID stays. Not loaded is fine. */
static int apparmor_unload(const char *profile) {
        _cleanup_free_ char *files_path = NULL;
        aa_kernel_interface *ki = NULL;
        int r = 0;

        if (aa_kernel_interface_new(&ki, NULL, NULL) < 0)
                r = errno == ENOENT ? 0 : negative_errno(); /* no AppArmor: nothing loaded */
        else {
                if (aa_kernel_interface_remove_policy(ki, profile) < 0 && errno != ENOENT)
                        r = negative_errno();
                aa_kernel_interface_unref(ki);
        }
        if (asprintf(&files_path, APPARMOR_VMUNIT_DIR "/%s.files", profile) < 0)
                return -ENOMEM;
        if (unlink(files_path) < 0 && errno != ENOENT && r == 0)
                r = negative_errno();
        return r;
}

static int apparmor_release(LabelContext *c) {
        ApparmorState *s = apparmor_state(c);
        int r;

        if (!s)
                return 0;
        /* Only what we loaded is ours to unload. */
        r = s->mode == APPARMOR_MODE_GENERATED ? apparmor_unload(s->profile) : 0;
        apparmor_rule_set_done(&s->rules);
        free(s);
        c->data[LABEL_DATA_APPARMOR] = NULL;
        return r;
}

static int apparmor_undo_record(const char *labels_dir, const LabelRecord *rec, char **ret_notice) {
        char check[APPARMOR_PROFILE_NAME_MAX];

        if (!streq_ptr(rec->op, "profile"))
                return -EINVAL;
        /* The name goes into a path and the kernel: accept only ours. */
        if (!rec->value ||
            strncmp(rec->value, APPARMOR_PROFILE_PREFIX, strlen(APPARMOR_PROFILE_PREFIX)) != 0 ||
            apparmor_profile_name(rec->value + strlen(APPARMOR_PROFILE_PREFIX), check) < 0)
                return -EINVAL;
        return apparmor_unload(rec->value);
}

const LabelBackend label_backend_apparmor = {
        .name = "apparmor",
        .probe = apparmor_probe,
        .generate = apparmor_generate,
        .label_file = apparmor_label_file,
        .restore_file = apparmor_restore_file,
        .set_exec_label = apparmor_set_exec_label,
        .release = apparmor_release,
        .undo_record = apparmor_undo_record,
        .commit = apparmor_commit,
};
