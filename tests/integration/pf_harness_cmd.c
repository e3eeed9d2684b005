/* pf_harness_cmd: programs run as children of the test: spawned with
 * their outputs in files of the temp dir and waited for within a bound;
 * preforkd run as a command (pf_h_run) and any other program (pf_h_run_cmd,
 * pf_h_spawn_cmd). The server itself is spawned the same way (pf_harness.c).
 * Public functions are documented in pf_harness_cmd.h; static helpers
 * here. */
#include "pf_harness_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_harness_internal.h"
#include "pf_time.h"

extern char **environ;

/* Spawn argv in directory cwd with stdin from /dev/null, stdout to
 * out_path and stderr to err_path (NULL: the same file as stdout), default
 * signal dispositions and an empty signal mask. Returns the pid or -1. */
pid_t h_spawn(char *const argv[], const char *cwd, const char *out_path, const char *err_path)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    pid_t pid = -1;
    int rc, flags = O_WRONLY | O_CREAT | O_APPEND; /* no O_CLOEXEC: they are for exec */

    sigemptyset(&none);
    sigemptyset(&all);
    for (int sig = 1; sig < 32; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaddset(&all, sig);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, cwd);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, flags, 0644);
    if (err_path != NULL)
        posix_spawn_file_actions_addopen(&fa, 2, err_path, flags, 0644);
    else
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        pf_h_note("cannot spawn %s: %s", argv[0], strerror(rc));
        return -1;
    }
    return pid;
}

/* Bounded waitpid on one child: 0 and *status when it exited, -1 (after
 * SIGKILL and reaping it) when it outlived timeout_ms. */
int h_wait_child(pid_t pid, int timeout_ms, int *status)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;

    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR) {
            pf_h_note("waitpid %ld: %s", (long)pid, strerror(errno));
            return -1;
        }
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("process %ld still running after %d ms: SIGKILL", (long)pid, timeout_ms);
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return -1;
        }
        h_pause();
    }
}

bool pf_h_exited_with(int status, int code)
{
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

int pf_h_run(struct pf_server *s, struct pf_h_output *o, ...)
{
    char *argv[H_MAX_ARGS + 2] = {PF_TEST_BINARY};
    char out_path[PATH_MAX], err_path[PATH_MAX];
    va_list ap;
    int argc = 1;
    pid_t pid;

    va_start(ap, o);
    for (char *a; argc <= H_MAX_ARGS && (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    *o = (struct pf_h_output){.status = -1};
    if (pf_h_path(out_path, s, "run.out") < 0 || pf_h_path(err_path, s, "run.err") < 0)
        return -1;
    unlink(out_path);
    unlink(err_path);
    pid = h_spawn(argv, s->dir, out_path, err_path);
    if (pid < 0)
        return -1;
    if (h_wait_child(pid, PF_H_WAIT_MS, &o->status) < 0)
        o->status = -1;
    o->out = h_read_file(out_path);
    o->err = h_read_file(err_path);
    if (o->out == NULL || o->err == NULL) {
        pf_h_output_free(o);
        o->out = strdup("");
        o->err = strdup("");
        return -1;
    }
    return o->status == -1 ? -1 : 0;
}

void pf_h_output_free(struct pf_h_output *o)
{
    free(o->out);
    free(o->err);
    o->out = o->err = NULL;
}

int pf_h_count_lines(const char *text)
{
    int n = h_count(text, "\n");
    size_t len = strlen(text);

    return len > 0 && text[len - 1] != '\n' ? n + 1 : n;
}

/* out and err get the paths of s->dir/NAME.out and NAME.err. 0 or -1. */
static int h_cmd_paths(const struct pf_server *s, const char *name, char out[PATH_MAX],
                       char err[PATH_MAX])
{
    char file[NAME_MAX];

    snprintf(file, sizeof(file), "%s.out", name);
    if (pf_h_path(out, s, file) < 0)
        return -1;
    snprintf(file, sizeof(file), "%s.err", name);
    return pf_h_path(err, s, file);
}

pid_t pf_h_spawn_cmd(struct pf_server *s, const char *name, char *const argv[])
{
    char out_path[PATH_MAX], err_path[PATH_MAX];

    if (h_cmd_paths(s, name, out_path, err_path) < 0)
        return -1;
    unlink(out_path);
    unlink(err_path);
    return h_spawn(argv, s->dir, out_path, err_path);
}

int pf_h_finish_cmd(struct pf_server *s, const char *name, pid_t pid, int timeout_ms,
                    struct pf_h_output *o)
{
    char out_path[PATH_MAX], err_path[PATH_MAX];

    *o = (struct pf_h_output){.status = -1, .out = NULL, .err = NULL};
    if (pid >= 0 && h_wait_child(pid, timeout_ms, &o->status) < 0)
        o->status = -1;
    if (h_cmd_paths(s, name, out_path, err_path) == 0) {
        o->out = h_read_file(out_path);
        o->err = h_read_file(err_path);
    }
    if (o->out == NULL)
        o->out = strdup("");
    if (o->err == NULL)
        o->err = strdup("");
    return pid >= 0 && o->status != -1 ? 0 : -1;
}

int pf_h_run_cmd(struct pf_server *s, struct pf_h_output *o, char *const argv[])
{
    return pf_h_finish_cmd(s, "cmd", pf_h_spawn_cmd(s, "cmd", argv), PF_H_WAIT_MS, o);
}

bool pf_h_have_program(const char *name)
{
    const char *path = getenv("PATH");
    char dir[PATH_MAX], full[PATH_MAX];

    for (const char *p = path ? path : "/usr/bin:/bin"; *p != '\0';) {
        size_t n = strcspn(p, ":");
        snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
        if (snprintf(full, sizeof(full), "%s/%s", n ? dir : ".", name) < PATH_MAX &&
            access(full, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}
