/* pf_exec_env: the environment an exec worker's program is started with
 * (pure; docs/exec.md says what each variable means).
 *
 * Nothing of the master's environment reaches the program unless the
 * configuration lists it: exec.env holds "NAME=value" entries, or "NAME"
 * alone for the master's own value of NAME (left out when the master has
 * none). PATH is set to systemd's default when exec.env does not give
 * it. Then preforkd's own variables, which exec.env may not set (the
 * configuration refuses them, pf_exec_env_check):
 *   LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES   when the socket is fd 3
 *   NOTIFY_SOCKET                              where READY=1 and the rest go
 *   WATCHDOG_USEC, WATCHDOG_PID                when a watchdog is set
 *   PREFORKD_SLOT, PREFORKD_GENERATION
 *   EINHORN_FD_0, EINHORN_FD_COUNT=1           as einhorn starts a worker
 *   SERVER_STARTER_PORT=ADDRESS=FD             as Server::Starter does
 * Built into the caller's buffers, after fork(): no allocation.
 */
#ifndef PF_EXEC_ENV_H
#define PF_EXEC_ENV_H

#include <stddef.h>

/* PATH when exec.env does not set it (what systemd gives a service). */
#define PF_EXEC_ENV_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"

struct pf_exec_env_in {
    const char *const *env; /* exec.env entries */
    size_t nenv;
    const char *const *parent; /* the master's environment, NULL-terminated (for "NAME") */
    int listen_fd;             /* the listening socket's number: 3, or 0 (FastCGI) */
    long pid;                  /* the worker's own pid */
    const char *fd_name;       /* LISTEN_FDNAMES */
    const char *listen_text;   /* the listening address as written, for SERVER_STARTER_PORT */
    const char *notify_socket; /* NOTIFY_SOCKET; NULL: not set */
    long long watchdog_usec;   /* WATCHDOG_USEC; 0: not set */
    int slot, generation;
    int env_all; /* first, every variable of parent but preforkd's own (no file) */
};

/* Is entry a valid exec.env entry ("NAME=value" or "NAME", NAME letters,
 * digits and '_', not starting with a digit, not one of preforkd's own)?
 * 0, or -1 with the reason in err. */
int pf_exec_env_check(const char *entry, char *err, size_t errlen);

/* Build the environment: pointers into envp (at most max, the last one
 * NULL) to strings written in buf (size bytes). The number of variables,
 * or -1 with the reason in err when buf or envp is too small. */
int pf_exec_env_build(const struct pf_exec_env_in *in, char *buf, size_t size, char **envp,
                      size_t max, char *err, size_t errlen);

#endif
