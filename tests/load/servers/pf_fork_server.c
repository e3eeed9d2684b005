/* pf_fork_server: the classic "new process per client" server.
 *
 * This is a BASELINE for the load tests (tests/load/), not a competitor:
 * it shows what pre-forking saves, by measuring the design preforkd
 * replaces. The parent blocks in accept(); for every connection it fork()s,
 * the child serves that one connection and _exit()s, and the parent closes
 * its copy of the socket and goes back to accept(). Dead children are
 * reaped by a SIGCHLD handler (waitpid(WNOHANG) in a loop), which also adds
 * their CPU time to the parent's (so the load scripts can count it).
 *
 * Usage: pf_fork_server [-p http|echo] ROOT HOST:PORT
 *   http (default): HTTP/1.1 GET and HEAD of the regular files under ROOT,
 *     keep-alive (HTTP/1.1 by default, HTTP/1.0 with "Connection:
 *     keep-alive"), Content-Length, the body sent with sendfile();
 *     200, 400 (bad request, a body, a ".." segment), 404, 405. No
 *     percent-decoding: "%2e%2e" is looked up as those bytes, so it cannot
 *     leave ROOT either; symbolic links under ROOT are followed (the load
 *     tests' root has none). No directory index, no ranges, no caching
 *     headers.
 *   echo: every line (bytes up to '\n') is sent back as received; ROOT is
 *     not used (pass "-").
 * Prints "listening on HOST:PORT" (the real port when PORT is 0) on
 * standard output once it accepts connections. Stopped by SIGTERM/SIGINT
 * (the default action; the load scripts signal the whole process group).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pf_addr.h"
#include "pf_net.h"
#include "pf_time.h"

#define HEAD_MAX 8192      /* longest request head (line + headers) */
#define KEEPALIVE_MS 5000  /* wait for the next request on a connection */
#define SEND_IDLE_MS 30000 /* a client that stops reading is cut after this */
#define ECHO_LINE_MAX 8192 /* longer echo lines close the connection */
#define ECHO_IDLE_MS 60000 /* echo: wait for the next line */

static int root_fd = -1; /* the document root, opened once by the parent */

/* ---- the parent: accept, fork, reap ---------------------------------- */

/* SIGCHLD: reap every child that has exited (several may have exited for
 * one signal). errno is saved: the handler interrupts the main loop. */
static void on_sigchld(int sig)
{
    int saved = errno;

    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

/* ---- the child, HTTP ----------------------------------------------------- */

/* Send a response head (and a small text body, for errors). more: a body
 * follows with sendfile, so hold the head with MSG_MORE. */
static bool send_head(int fd, int status, const char *reason, long long length, bool keep_alive,
                      const char *extra, const char *body, bool more)
{
    char head[512], date[64];
    time_t now = time(NULL);
    struct tm tm;
    int n;

    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nServer: pf_fork_server\r\nDate: %s\r\n"
                 "Content-Type: %s\r\nContent-Length: %lld\r\n%sConnection: %s\r\n\r\n%s",
                 status, reason, date, body ? "text/plain" : "application/octet-stream", length,
                 extra, keep_alive ? "keep-alive" : "close", body ? body : "");
    if (n < 0 || (size_t)n >= sizeof(head))
        return false;
    return pf_net_send_flags_until(fd, head, (size_t)n, more ? MSG_MORE : 0,
                                   pf_time_deadline(SEND_IDLE_MS), NULL) == PF_IO_OK;
}

/* An error response with a one-line body; keeps the connection if asked. */
static bool send_error(int fd, int status, const char *reason, bool keep_alive, bool head_only)
{
    char body[64];
    const char *extra = status == 405 ? "Allow: GET, HEAD\r\n" : "";

    snprintf(body, sizeof(body), "%d %s\n", status, reason);
    return send_head(fd, status, reason, (long long)strlen(body), keep_alive, extra,
                     head_only ? "" : body, false) &&
           keep_alive;
}

/* Does the comma-separated header value contain token (any case)? */
static bool has_token(const char *value, const char *token)
{
    size_t len = strlen(token);

    for (const char *p = value; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (strncasecmp(p, token, len) == 0 &&
            (p[len] == '\0' || p[len] == ',' || p[len] == ' ' || p[len] == '\t'))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

/* The path under the root ("a/b.bin" for "/a/b.bin?x"), in out; false for
 * a target that is not an absolute path or has a ".." segment. Leading
 * slashes are all dropped: "//etc/passwd" must not reach openat() as the
 * absolute path "/etc/passwd", which would ignore the root. */
static bool target_path(const char *target, char *out, size_t size)
{
    size_t len;

    if (target[0] != '/')
        return false;
    target += strspn(target, "/");
    len = strcspn(target, "?#");
    if (len >= size)
        return false;
    memcpy(out, target, len);
    out[len] = '\0';
    for (const char *seg = out; *seg;) {
        size_t n = strcspn(seg, "/");

        if (n == 2 && seg[0] == '.' && seg[1] == '.')
            return false;
        seg += n;
        if (*seg == '/')
            seg++;
    }
    return true;
}

/* Answer one request whose head (NUL-terminated, without the blank line)
 * is in head. Returns true to keep the connection open. */
static bool handle_request(int fd, char *head)
{
    char *save = NULL, *rest = NULL, *line, path[HEAD_MAX];
    char *method, *target, *version;
    bool keep_alive, head_only, has_body = false;
    struct stat st;
    int file;

    /* Request line: METHOD SP TARGET SP HTTP/1.x */
    line = strtok_r(head, "\r\n", &save);
    method = line ? strtok_r(line, " ", &rest) : NULL;
    target = method ? strtok_r(NULL, " ", &rest) : NULL;
    version = target ? strtok_r(NULL, " ", &rest) : NULL;
    if (!version || strtok_r(NULL, " ", &rest) ||
        (strcmp(version, "HTTP/1.1") != 0 && strcmp(version, "HTTP/1.0") != 0))
        return send_error(fd, 400, "Bad Request", false, false);
    keep_alive = strcmp(version, "HTTP/1.1") == 0;
    head_only = strcmp(method, "HEAD") == 0;

    /* Headers: only Connection matters, and whether a body follows (it is
     * never read: the connection is closed after the answer). */
    while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
        char *value = strchr(line, ':');

        if (!value)
            return send_error(fd, 400, "Bad Request", false, false);
        *value++ = '\0';
        value += strspn(value, " \t");
        if (strcasecmp(line, "Connection") == 0) {
            if (has_token(value, "close"))
                keep_alive = false;
            else if (has_token(value, "keep-alive"))
                keep_alive = true;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0 ||
                   (strcasecmp(line, "Content-Length") == 0 && strcmp(value, "0") != 0)) {
            has_body = true;
        }
    }

    if (!head_only && strcmp(method, "GET") != 0)
        return send_error(fd, 405, "Method Not Allowed", keep_alive && !has_body, false);
    if (has_body)
        return send_error(fd, 400, "Bad Request", false, head_only);
    if (!target_path(target, path, sizeof(path)))
        return send_error(fd, 400, "Bad Request", false, head_only);
    if (path[0] == '\0')
        return send_error(fd, 404, "Not Found", keep_alive, head_only);
    file = openat(root_fd, path, O_RDONLY | O_CLOEXEC);
    if (file < 0 || fstat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (file >= 0)
            close(file);
        return send_error(fd, 404, "Not Found", keep_alive, head_only);
    }

    bool ok = send_head(fd, 200, "OK", (long long)st.st_size, keep_alive, "", NULL,
                        !head_only && st.st_size > 0);
    if (ok && !head_only && st.st_size > 0)
        ok = pf_net_sendfile(fd, file, 0, st.st_size, SEND_IDLE_MS, NULL) == PF_IO_OK;
    close(file);
    return ok && keep_alive;
}

/* Serve one HTTP connection: read a whole request head, answer it, keep
 * what follows (a pipelined request), loop while the connection is kept
 * alive and the next request comes within KEEPALIVE_MS. */
static void serve_http(int fd)
{
    char buf[HEAD_MAX + 1];
    size_t have = 0;

    for (;;) {
        int64_t deadline = pf_time_deadline(KEEPALIVE_MS);
        char *end;

        while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
            size_t got;

            if (have == HEAD_MAX) {
                send_error(fd, 400, "Bad Request", false, false);
                return;
            }
            if (pf_net_recv_some_until(fd, buf + have, HEAD_MAX - have, deadline, &got) != PF_IO_OK)
                return; /* closed, idle too long, or an error */
            have += got;
        }
        size_t len = (size_t)(end - buf) + 4;

        end[2] = '\0'; /* the head, its last line's "\r\n" kept */
        if (strlen(buf) != (size_t)(end - buf) + 2) {
            send_error(fd, 400, "Bad Request", false, false); /* a NUL byte */
            return;
        }
        if (!handle_request(fd, buf))
            return;
        memmove(buf, buf + len, have - len);
        have -= len;
    }
}

/* ---- the child, echo ----------------------------------------------------- */

/* Send back every complete line as it comes; close on a line longer than
 * ECHO_LINE_MAX, after ECHO_IDLE_MS without a byte, or when the client does. */
static void serve_echo(int fd)
{
    char buf[ECHO_LINE_MAX];
    size_t have = 0;

    for (;;) {
        size_t got;
        char *nl;

        if (pf_net_recv_some_until(fd, buf + have, sizeof(buf) - have,
                                   pf_time_deadline(ECHO_IDLE_MS), &got) != PF_IO_OK)
            return;
        have += got;
        nl = memrchr(buf, '\n', have);
        if (nl) {
            size_t n = (size_t)(nl - buf) + 1;

            if (pf_net_send_all(fd, buf, n, SEND_IDLE_MS) != PF_IO_OK)
                return;
            memmove(buf, buf + n, have - n);
            have -= n;
        } else if (have == sizeof(buf)) {
            return;
        }
    }
}

/* ---- main ------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: pf_fork_server [-p http|echo] ROOT HOST:PORT\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *proto = "http";
    char err[256], text[PF_ADDR_STRLEN];
    struct pf_addr addr;
    struct sigaction sa;
    int opt, lfd;

    while ((opt = getopt(argc, argv, "p:")) != -1) {
        if (opt != 'p')
            usage();
        proto = optarg;
    }
    if (argc - optind != 2 || (strcmp(proto, "http") != 0 && strcmp(proto, "echo") != 0))
        usage();
    bool http = strcmp(proto, "http") == 0;

    if (http) {
        root_fd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
            fprintf(stderr, "pf_fork_server: %s: %s\n", argv[optind], strerror(errno));
            return 1;
        }
    }
    if (pf_addr_parse(argv[optind + 1], &addr, err, sizeof(err)) < 0) {
        fprintf(stderr, "pf_fork_server: %s: %s\n", argv[optind + 1], err);
        return 2;
    }
    lfd = pf_net_listen(&addr, 511, err, sizeof(err));
    if (lfd < 0) {
        fprintf(stderr, "pf_fork_server: %s\n", err);
        return 1;
    }
    /* pf_net_listen makes the socket non-blocking (preforkd's workers wait
     * in epoll first); this server sleeps in accept() itself. */
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) & ~O_NONBLOCK);

    /* SIGPIPE: sendfile() to a client that went away must fail with EPIPE,
     * not kill the child. SIGCHLD: reap; SA_RESTART resumes accept(). */
    signal(SIGPIPE, SIG_IGN);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);

    if (pf_net_local_addr(lfd, &addr) < 0) {
        perror("pf_fork_server: getsockname");
        return 1;
    }
    printf("listening on %s\n", pf_addr_format((struct sockaddr *)&addr.ss, text, sizeof(text)));
    fflush(stdout);

    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("pf_fork_server: accept");
            /* Out of descriptors or memory: let the children finish. */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                usleep(10000);
                continue;
            }
            return 1;
        }
        pid_t pid = fork();

        if (pid == 0) {
            /* The child: one connection, then gone. */
            close(lfd);
            if (http)
                serve_http(fd);
            else
                serve_echo(fd);
            _exit(0);
        }
        if (pid < 0)
            perror("pf_fork_server: fork"); /* the client is dropped */
        close(fd);                          /* the parent's copy: the child has its own */
    }
}
