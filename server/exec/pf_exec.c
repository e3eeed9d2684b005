/* pf_exec: an exec worker becomes the configured program. */
#include "pf_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "pf_addr.h"
#include "pf_err.h"
#include "pf_exec_env.h"
#include "pf_log.h"
#include "pf_net.h"
#include "pf_signals.h"
#include "pf_worker.h"

/* Room for the program's environment and arguments. */
#define EXEC_ENV_BYTES 16384
#define EXEC_ENV_MAX (PF_EXEC_LIST_MAX + 16)

extern char **environ;

/* Could not become the program: say why (the log while it is open, the
 * slot for the master's line, stderr once the log is closed) and end. */
__attribute__((noreturn, format(printf, 3, 4))) static void exec_fail(struct pf_slot *s,
                                                                      bool log_open,
                                                                      const char *fmt, ...)
{
    char why[PF_ERR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (log_open)
        pf_log_error("cannot start the program: %s", why);
    else
        dprintf(STDERR_FILENO, "preforkd: worker %ld: cannot start the program: %s\n",
                (long)getpid(), why);
    pf_slot_set_exit_reason(s, why);
    _exit(PF_WORKER_EXIT_INIT);
}

/* The listening socket as the program's fd `to` (3 or 0), in blocking
 * mode, kept across execve; fd 1 and 2 the output pipe (when there is
 * one); every descriptor above them closed, and with fd 3 stdin read from
 * /dev/null. 0, or -1 with errno. */
static int exec_descriptors(int listen_fd, int to, int output_fd)
{
    int fl;

    if (output_fd >= 0 &&
        (dup2(output_fd, STDOUT_FILENO) < 0 || dup2(output_fd, STDERR_FILENO) < 0))
        return -1;

    if (listen_fd != to && dup2(listen_fd, to) < 0)
        return -1;
    if ((fl = fcntl(to, F_GETFD)) < 0 || fcntl(to, F_SETFD, fl & ~FD_CLOEXEC) < 0)
        return -1;
    if ((fl = fcntl(to, F_GETFL)) < 0 || fcntl(to, F_SETFL, fl & ~O_NONBLOCK) < 0)
        return -1;
    if (to == 3) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (null < 0 || (null != STDIN_FILENO && dup2(null, STDIN_FILENO) < 0))
            return -1;
    }
    return close_range(to == 3 ? 4 : 3, ~0U, 0); /* fd 0: stdout and stderr stay */
}

/* argv from the configuration's command list into argv (max pointers). */
static void exec_argv(const struct pf_config *cfg, char **argv)
{
    for (int i = 0; i < cfg->exec.argc; i++)
        argv[i] = (char *)pf_config_string_at(cfg->exec.command, cfg->exec.argc, i);
    argv[cfg->exec.argc] = NULL;
}

static void exec_run(const struct pf_worker_args *a)
{
    static char envbuf[EXEC_ENV_BYTES];
    const struct pf_config *cfg = a->cfg;
    const char *envs[PF_EXEC_LIST_MAX],
        *dir = cfg->exec.directory[0] ? cfg->exec.directory : cfg->dir;
    char *envp[EXEC_ENV_MAX], *argv[PF_EXEC_LIST_MAX + 1], err[PF_ERR_MAX];
    struct pf_slot *s = a->slot;
    char listen_text[PF_ADDR_STRLEN + 64];

    pf_log_set_role("worker");
    for (int i = 0; i < cfg->exec.nenv; i++)
        envs[i] = pf_config_string_at(cfg->exec.env, cfg->exec.nenv, i);
    {
        struct pf_addr bound; /* a port 0 in the file is the kernel's pick */

        if (pf_net_local_addr(a->listen_fd, &bound) < 0)
            exec_fail(s, true, "the listening socket: %s", strerror(errno));
        pf_addr_format((const struct sockaddr *)&bound.ss, listen_text, sizeof(listen_text));
    }
    {
        struct pf_exec_env_in in = {
            .env = envs,
            .nenv = (size_t)cfg->exec.nenv,
            .env_all = cfg->exec.env_inherit,
            .parent = (const char *const *)environ,
            .listen_fd = cfg->exec.listen_fd,
            .pid = (long)getpid(),
            .fd_name = "preforkd",
            .listen_text = listen_text,
            .notify_socket = a->notify_socket,
            .watchdog_usec = a->notify_socket ? (long long)cfg->exec.watchdog_ms * 1000 : 0,
            .slot = a->slot_index,
            .generation = (int)a->generation};

        if (pf_exec_env_build(&in, envbuf, sizeof(envbuf), envp, EXEC_ENV_MAX, err, sizeof(err)) <
            0)
            exec_fail(s, true, "%s", err);
    }
    exec_argv(cfg, argv);
    if (a->privs && pf_privs_drop(a->privs, cfg->daemon.chroot, err, sizeof(err)) < 0)
        exec_fail(s, true, "%s", err);
    if (chdir(dir) < 0)
        exec_fail(s, true, "exec.directory %s: %s", dir, strerror(errno));
    /* the master's death ends the program (its lifeline pipe is closed
     * at the execve): the stop signal, as if told to stop */
    if (prctl(PR_SET_PDEATHSIG, cfg->exec.stop_signal) < 0 || getppid() == 1)
        exec_fail(s, true, "the master is gone");
    atomic_store_explicit(&s->pid, getpid(), memory_order_relaxed);
    atomic_store_explicit(&s->generation, a->generation, memory_order_relaxed);
    atomic_store_explicit(&s->started_ms, (int64_t)time(NULL) * 1000, memory_order_relaxed);
    if (strcmp(cfg->exec.ready, "started") == 0)
        pf_slot_set_state(s, PF_SLOT_IDLE); /* else at its READY=1 (pf_exec_watch) */
    if (pf_signals_program() < 0)
        exec_fail(s, true, "signal set-up failed: %s", strerror(errno));
    if (exec_descriptors(a->listen_fd, cfg->exec.listen_fd, a->output_fd) < 0)
        exec_fail(s, false, "the listening socket as fd %d: %s", cfg->exec.listen_fd,
                  strerror(errno));
    execve(argv[0], argv, envp);
    exec_fail(s, false, "%s: %s", argv[0], strerror(errno));
}

const struct pf_proto pf_exec_proto = {
    .name = "exec",
    .run = exec_run,
    .url_scheme = "tcp",
};
