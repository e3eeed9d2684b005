/* pf_upgrade: binary upgrade, the old master's side (see pf_upgrade.h). */
#include "pf_upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_inherit.h"
#include "pf_log.h"
#include "pf_time.h"

void pf_upgrade_init(struct pf_upgrade *u)
{
    memset(u, 0, sizeof(*u));
    u->fd = -1;
}

bool pf_upgrade_pending(const struct pf_upgrade *u)
{
    return u->pid > 0 && !u->done;
}

/* A bare name: the first executable of that name in PATH. */
static int upgrade_search_path(const char *name, char *out, size_t size)
{
    const char *path = getenv("PATH");

    for (const char *p = path ? path : ""; *p;) {
        size_t n = strcspn(p, ":");
        int len = snprintf(out, size, "%.*s/%s", (int)n, p, name);

        if (n > 0 && len > 0 && (size_t)len < size && access(out, X_OK) == 0)
            return 0;
        p += n + (p[n] == ':');
    }
    return -1;
}

int pf_upgrade_self_exe(const char *argv0, char *out, size_t size, char *err, size_t errlen)
{
    char cwd[PATH_MAX];
    int n = -1;

    if (argv0 == NULL || argv0[0] == '\0')
        snprintf(err, errlen, "no argv[0]");
    else if (argv0[0] == '/')
        n = snprintf(out, size, "%s", argv0);
    else if (strchr(argv0, '/') == NULL) {
        if (upgrade_search_path(argv0, out, size) == 0)
            return 0;
        snprintf(err, errlen, "%s: not found in PATH", argv0);
    } else if (getcwd(cwd, sizeof(cwd)) == NULL)
        snprintf(err, errlen, "getcwd: %s", strerror(errno));
    else
        n = snprintf(out, size, "%s/%s", cwd, argv0);
    if (n > 0 && (size_t)n < size)
        return 0;
    if (n >= 0)
        snprintf(err, errlen, "%s: path too long", argv0);
    out[0] = '\0';
    return -1;
}

/* Let a descriptor survive exec. */
static int upgrade_keep(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

/* In the forked child: hand the sockets over and exec. Returns only to
 * report why it could not, through the report channel. */
static void __attribute__((noreturn)) upgrade_exec(const struct pf_upgrade_exec *x, int report)
{
    char fds[64], rfd[16], msg[PF_DAEMON_REPORT_MAX];
    char *argv[] = {(char *)x->exe, "-f", "-c", (char *)x->config, NULL};
    sigset_t none;

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* exec keeps the mask: start clean */
    pf_inherit_format_fds(fds, sizeof(fds),
                          &(struct pf_inherit_fds){x->listen_fd, x->control_fd, x->status_fd});
    snprintf(rfd, sizeof(rfd), "%d", report);
    if (upgrade_keep(x->listen_fd) < 0 || (x->control_fd >= 0 && upgrade_keep(x->control_fd) < 0) ||
        (x->status_fd >= 0 && upgrade_keep(x->status_fd) < 0) || upgrade_keep(report) < 0 ||
        setenv(PF_INHERIT_ENV, fds, 1) < 0 || setenv(PF_DAEMON_READY_ENV, rfd, 1) < 0)
        snprintf(msg, sizeof(msg), "ERR cannot hand the sockets over: %s\n", strerror(errno));
    else {
        execv(x->exe, argv);
        snprintf(msg, sizeof(msg), "ERR cannot execute %s: %s\n", x->exe, strerror(errno));
    }
    if (send(report, msg, strlen(msg), MSG_NOSIGNAL) < 0) {
        /* nobody to tell: the old master sees the exit */
    }
    _exit(127);
}

/* Rename the pidfile back after a failed upgrade (the new master, if it
 * wrote one, removed it or died: a rename replaces what is left). */
static void upgrade_restore_pidfile(struct pf_pidfile *pf, const char *path)
{
    char err[PATH_MAX + 128];

    if (pf->fd >= 0 && pf_pidfile_rename(pf, path, err, sizeof(err)) < 0)
        pf_log_error("upgrade: %s", err);
}

int pf_upgrade_start(struct pf_upgrade *u, const struct pf_upgrade_exec *x, char *err,
                     size_t errlen)
{
    char oldbin[PATH_MAX + 8]; /* the pidfile's name while the old master retires */
    int sp[2];

    if (pf_upgrade_pending(u)) {
        snprintf(err, errlen, "upgrade: already in progress (new master %ld)", (long)u->pid);
        return -1;
    }
    pf_upgrade_init(u);
    if (x->pidfile->fd >= 0)
        snprintf(u->pidfile, sizeof(u->pidfile), "%s", x->pidfile->path);
    snprintf(oldbin, sizeof(oldbin), "%s.oldbin", x->pidfile->path);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
        snprintf(err, errlen, "upgrade: socketpair: %s", strerror(errno));
        return -1;
    }
    if (x->pidfile->fd >= 0 && pf_pidfile_rename(x->pidfile, oldbin, err, errlen) < 0) {
        close(sp[0]);
        close(sp[1]);
        return -1;
    }
    u->pid = fork();
    if (u->pid == 0)
        upgrade_exec(x, sp[1]);
    close(sp[1]);
    if (u->pid < 0) {
        snprintf(err, errlen, "upgrade: fork: %s", strerror(errno));
        close(sp[0]);
        u->pid = 0;
        upgrade_restore_pidfile(x->pidfile, u->pidfile);
        return -1;
    }
    fcntl(sp[0], F_SETFL, O_NONBLOCK);
    u->fd = sp[0];
    u->deadline_ms = pf_time_now_ms() + PF_UPGRADE_TIMEOUT_MS;
    return 0;
}

void pf_upgrade_reaped(struct pf_upgrade *u, pid_t pid, int status)
{
    if (pid != u->pid || pid <= 0)
        return;
    u->exited = true;
    u->status = status;
}

/* Read what is there without blocking; true at EOF or on an error. */
static bool upgrade_read(struct pf_upgrade *u)
{
    for (;;) {
        ssize_t n = recv(u->fd, u->buf + u->len, sizeof(u->buf) - 1 - u->len, MSG_DONTWAIT);

        if (n > 0) {
            u->len += (size_t)n;
            if (u->len < sizeof(u->buf) - 1)
                continue;
            return true; /* a report this long is malformed anyway */
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
}

/* Why a new master that said nothing is given up on. */
static void upgrade_silence(const struct pf_upgrade *u, bool eof, char *text, size_t len)
{
    if (u->exited && WIFEXITED(u->status))
        snprintf(text, len, "the new master exited with status %d before it was ready",
                 WEXITSTATUS(u->status));
    else if (u->exited)
        snprintf(text, len, "the new master was killed by signal %d before it was ready",
                 WTERMSIG(u->status));
    else if (eof)
        snprintf(text, len, "the new master closed its report channel before it was ready");
    else
        snprintf(text, len, "the new master was not ready within %d s; stopping it",
                 PF_UPGRADE_TIMEOUT_MS / 1000);
}

/* Give up: stop a new master still running (SIGTERM: its fast stop ends
 * its workers too), close the channel, rename the pidfile back. */
static void upgrade_roll_back(struct pf_upgrade *u, struct pf_pidfile *pidfile)
{
    if (!u->exited)
        kill(u->pid, SIGTERM);
    close(u->fd);
    u->fd = -1;
    upgrade_restore_pidfile(pidfile, u->pidfile);
    u->pid = 0; /* a live one is reaped later like any unknown child */
}

enum pf_daemon_outcome pf_upgrade_check(struct pf_upgrade *u, struct pf_pidfile *pidfile,
                                        int64_t now_ms, char *text, size_t textlen)
{
    enum pf_daemon_outcome out;
    bool eof;

    if (!pf_upgrade_pending(u) || u->fd < 0)
        return PF_DAEMON_PENDING;
    eof = upgrade_read(u);
    out = pf_daemon_parse_report(u->buf, u->len, text, textlen);
    if (out == PF_DAEMON_PENDING && (eof || u->exited || now_ms >= u->deadline_ms)) {
        upgrade_silence(u, eof, text, textlen);
        out = PF_DAEMON_FAILED;
    }
    if (out == PF_DAEMON_READY) {
        u->done = true;
        close(u->fd);
        u->fd = -1;
    } else if (out == PF_DAEMON_FAILED) {
        upgrade_roll_back(u, pidfile);
    }
    return out;
}

int pf_upgrade_wait_ms(const struct pf_upgrade *u, int64_t now_ms)
{
    if (!pf_upgrade_pending(u) || u->fd < 0)
        return -1;
    return u->deadline_ms > now_ms ? (int)(u->deadline_ms - now_ms) : 0;
}
