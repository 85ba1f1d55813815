/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * edit NAME: virsh edit. The definition is copied to a private temporary
 * file, the user's editor runs on it, and a changed, valid result is
 * defined in its place (then daemon-reload, as define does). The
 * temporary file is removed on every path.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ctl.h"
#include "domain-xml.h"
#include "log.h"

/* Whole file into a NUL-terminated string (caller frees); -errno. */
static int read_text(const char *path, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = fopen(path, "re"), *m;

        if (!f)
                return negative_errno();
        m = open_memstream(&buf, &size);
        if (!m) {
                fclose(f);
                return -ENOMEM;
        }
        for (int c; (c = fgetc(f)) != EOF;)
                fputc(c, m);
        fclose(f);
        if (fclose(m) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int write_text(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        size_t len = strlen(text);

        if (fd < 0)
                return negative_errno();
        return write(fd, text, len) == (ssize_t) len ? 0 : -EIO;
}

typedef struct TempFile {
        char *path;
} TempFile;

static void temp_file_done(TempFile *t) {
        if (t->path)
                (void) unlink(t->path);
        free(t->path);
}

/* A file only we can read (mkstemp: 0600, O_EXCL) holding text; the
 * ".xml" suffix lets editors pick XML highlighting. */
static int temp_file_create(const char *text, TempFile *ret) {
        const char *dir = getenv("TMPDIR") ?: "/tmp";
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text);

        if (asprintf(&ret->path, "%s/vmctl-edit-XXXXXX.xml", dir) < 0) {
                ret->path = NULL;
                return -ENOMEM;
        }
        fd = mkostemps(ret->path, 4, O_CLOEXEC);
        if (fd < 0) {
                int r = negative_errno();
                ret->path = (free(ret->path), NULL);
                return r;
        }
        return write(fd, text, len) == (ssize_t) len ? 0 : -EIO;
}

/* $VISUAL, $EDITOR or vi, through sh -c as git does, so the variable may
 * carry arguments ("emacs -nw"). vmctl ignores SIGINT/SIGQUIT while the
 * editor runs (they are the editor's), so a Ctrl-C in it cannot kill us
 * before the temporary file is removed. */
static int run_editor(const char *path) {
        const char *editor = getenv("VISUAL");
        struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
        int status;
        pid_t pid;

        if (!editor || !*editor)
                editor = getenv("EDITOR");
        if (!editor || !*editor)
                editor = "vi";
        fflush(NULL);
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGQUIT, &ign, &old_quit);
        pid = fork();
        if (pid == 0) {
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGQUIT, &old_quit, NULL);
                execl("/bin/sh", "sh", "-c", "$0 \"$@\"", editor, path, (char *) NULL);
                _exit(127);
        }
        while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        if (pid < 0)
                return log_error_errno(negative_errno(), "Failed to start the editor: %m");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                log_error("editor '%s' failed (%s %d); the definition is unchanged", editor,
                          WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                return -ECHILD;
        }
        return 0;
}

typedef enum EditAnswer {
        EDIT_RETRY,   /* y: edit the file again */
        EDIT_RESTART, /* f: start over from the definition */
        EDIT_GIVE_UP, /* n, end of input, not a terminal */
} EditAnswer;

/* virsh's question after an invalid edit. Without a terminal nobody can
 * answer, and asking again would loop: give up. */
static EditAnswer ask_again(void) {
        char line[64];

        if (!isatty(STDIN_FILENO))
                return EDIT_GIVE_UP;
        for (;;) {
                fputs("Failed. Try again? [y,n,f,?]:", stdout);
                fflush(stdout);
                if (!fgets(line, sizeof(line), stdin))
                        return EDIT_GIVE_UP;
                switch (line[0]) {
                case 'y': return EDIT_RETRY;
                case 'n': return EDIT_GIVE_UP;
                case 'f': return EDIT_RESTART;
                default:
                        puts("y - yes, start editor again\n"
                             "n - no, throw away my changes\n"
                             "f - start over from the current definition\n"
                             "? - print this help");
                }
        }
}

/* Edit until the result is valid, unchanged, or the user gives up. On
 * success *ret is the new domain, or NULL when nothing changed. */
static int edit_loop(const char *original, TempFile *tmp, Domain **ret) {
        for (;;) {
                _cleanup_free_ char *text = NULL, *err = NULL;
                int r;

                r = run_editor(tmp->path);
                if (r < 0)
                        return r;
                r = read_text(tmp->path, &text);
                if (r < 0)
                        return log_error_errno(r, "Failed to read %s: %m", tmp->path);
                if (streq(text, original)) {
                        *ret = NULL;
                        return 0;
                }
                r = domain_parse_file(tmp->path, ret, &err);
                if (r >= 0)
                        return 0;
                log_lines(LOG_LEVEL_ERR, err ?: strerror(-r));
                switch (ask_again()) {
                case EDIT_GIVE_UP: return -EINVAL;
                case EDIT_RESTART:
                        r = write_text(tmp->path, original);
                        if (r < 0)
                                return log_error_errno(r, "Failed to write %s: %m", tmp->path);
                        break;
                case EDIT_RETRY: break;
                }
        }
}

int ctl_cmd_edit(Ctl *ctl, int argc, char **argv) {
        _cleanup_(temp_file_done) TempFile tmp = {};
        _cleanup_free_ char *path = NULL, *original = NULL;
        _cleanup_domain_ Domain *d = NULL;
        const char *name;
        int r;

        if (ctl_expect_args(argc, 1, "edit NAME") < 0 || ctl_check_name(argv[0]) < 0)
                return 1;
        name = argv[0];
        path = paths_domain_xml(&ctl->paths, name);
        if (!path)
                return 1;
        r = read_text(path, &original);
        if (r == -ENOENT)
                return log_error("domain '%s' is not defined (%s does not exist)", name, path), 1;
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", path), 1;
        r = temp_file_create(original, &tmp);
        if (r < 0)
                return log_error_errno(r, "Failed to create a temporary file: %m"), 1;
        if (edit_loop(original, &tmp, &d) < 0)
                return 1;
        if (!d) {
                printf("Domain '%s' XML configuration not changed.\n", name);
                return 0;
        }
        /* A new <name> is a new domain (another unit, runtime dir, label
         * state): renaming in place would orphan the running one. */
        if (!streq(d->name, name)) {
                log_error("edit cannot rename domain '%s' to '%s'; define the new XML and undefine the old",
                          name, d->name);
                return 1;
        }
        if (ctl_define_domain(ctl, d) < 0 || ctl_daemon_reload(ctl) < 0)
                return 1;
        printf("Domain '%s' XML configuration edited.\n", name);
        return 0;
}
