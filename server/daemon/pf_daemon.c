/* pf_daemon: detaching, and the start-up report (see pf_daemon.h). */
#include "pf_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_err.h"
#include "pf_inherit.h"

/* Write end of the report pipe; -1 when nobody waits. */
static int daemon_report_fd = -1;

enum pf_daemon_outcome pf_daemon_parse_report(const char *buf, size_t len, char *text,
                                              size_t textlen)
{
    const char *nl = memchr(buf, '\n', len);
    size_t n;

    if (nl == NULL)
        return PF_DAEMON_PENDING;
    n = (size_t)(nl - buf);
    if (n >= 3 && memcmp(buf, "OK ", 3) == 0) {
        snprintf(text, textlen, "%.*s", (int)(n - 3), buf + 3);
        return PF_DAEMON_READY;
    }
    if (n >= 4 && memcmp(buf, "ERR ", 4) == 0)
        snprintf(text, textlen, "%.*s", (int)(n - 4), buf + 4);
    else
        snprintf(text, textlen, "unexpected start-up report \"%.*s\"", (int)n, buf);
    return PF_DAEMON_FAILED;
}

/* The launcher: read the report until a line or EOF, print it, exit. A
 * signal interrupting the read (the operator's ^C) ends the wait, not
 * the daemon. */
static void __attribute__((noreturn)) daemon_launcher_wait(int fd)
{
    char buf[PF_DAEMON_REPORT_MAX], text[PF_DAEMON_REPORT_MAX];
    size_t len = 0;
    enum pf_daemon_outcome out = PF_DAEMON_PENDING;

    while (out == PF_DAEMON_PENDING && len < sizeof(buf)) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        out = pf_daemon_parse_report(buf, len, text, sizeof(text));
    }
    if (out == PF_DAEMON_READY) {
        printf("preforkd: %s\n", text);
        exit(EXIT_SUCCESS);
    }
    if (out == PF_DAEMON_PENDING)
        snprintf(text, sizeof(text),
                 "the daemon exited during start-up without a reason "
                 "(see daemon.error_log)");
    fprintf(stderr, "preforkd: %s\n", text);
    exit(EXIT_FAILURE);
}

/* In the first child: a new session, then the daemon is its child, which
 * is not a session leader and so can never acquire a terminal. The first
 * child exits at once; a failure here is reported through the pipe. */
static void daemon_second_fork(int report)
{
    char msg[PF_ERR_MAX];
    pid_t pid;

    daemon_report_fd = report;
    if (setsid() < 0) {
        snprintf(msg, sizeof(msg), "setsid failed: %s", strerror(errno));
        pf_daemon_failed(msg);
        _exit(EXIT_FAILURE);
    }
    pid = fork();
    if (pid < 0) {
        snprintf(msg, sizeof(msg), "cannot fork the daemon: %s", strerror(errno));
        pf_daemon_failed(msg);
        _exit(EXIT_FAILURE);
    }
    if (pid > 0)
        _exit(EXIT_SUCCESS);
}

int pf_daemon_detach(char *err, size_t errlen)
{
    int p[2];
    pid_t pid;

    fflush(NULL); /* nothing buffered may be written twice */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0) {
        snprintf(err, errlen, "cannot detach: socketpair: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot detach: fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid > 0) {
        close(p[1]);
        waitpid(pid, NULL, 0); /* the first child exits at once */
        daemon_launcher_wait(p[0]);
    }
    close(p[0]);
    daemon_second_fork(p[1]);
    umask(027);
    if (chdir("/") < 0) {
        snprintf(err, errlen, "cannot detach: chdir /: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int pf_daemon_null_stdio(char *err, size_t errlen)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        snprintf(err, errlen, "/dev/null: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i <= 2; i++) {
        if (dup2(fd, i) < 0) {
            snprintf(err, errlen, "cannot point descriptor %d at /dev/null: %s", i,
                     strerror(errno));
            close(fd);
            return -1;
        }
    }
    if (fd > 2)
        close(fd);
    return 0;
}

int pf_daemon_take_ready_env(char *err, size_t errlen)
{
    const char *v = getenv(PF_DAEMON_READY_ENV);
    int fd, rc = 0;

    if (v == NULL)
        return 0;
    if (pf_inherit_fd_number(v, strlen(v), &fd) < 0 || fcntl(fd, F_GETFD) < 0) {
        snprintf(err, errlen, "%s: \"%.64s\" is not an open descriptor", PF_DAEMON_READY_ENV, v);
        rc = -1;
    } else {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        daemon_report_fd = fd;
    }
    unsetenv(PF_DAEMON_READY_ENV); /* after the last use of v, which points into it */
    return rc;
}

bool pf_daemon_reporting(void)
{
    return daemon_report_fd >= 0;
}

/* Write one report line (cut to PF_DAEMON_REPORT_MAX) and close. A reader
 * that went away (a launcher interrupted with ^C) is no reason to fail:
 * the channel is a socket, written with MSG_NOSIGNAL, so no SIGPIPE. */
static void daemon_report(const char *tag, const char *text)
{
    char line[PF_DAEMON_REPORT_MAX];
    int n;

    if (daemon_report_fd < 0)
        return;
    n = snprintf(line, sizeof(line) - 1, "%s %s", tag, text);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = send(daemon_report_fd, line + off, (size_t)(n - off), MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (int)w;
    }
    close(daemon_report_fd);
    daemon_report_fd = -1;
}

void pf_daemon_ready(const char *text)
{
    daemon_report("OK", text);
}

void pf_daemon_failed(const char *reason)
{
    daemon_report("ERR", reason);
}

void pf_daemon_fail_start(const char *reason)
{
    if (pf_daemon_reporting())
        pf_daemon_failed(reason);
    else
        fprintf(stderr, "preforkd: %s\n", reason);
}
