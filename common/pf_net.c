/* pf_net: socket helpers (listen, connect, send_all, recv_exact). */
#include "pf_net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_time.h"

const char *pf_net_io_name(enum pf_io r)
{
    switch (r) {
    case PF_IO_OK: return "ok";
    case PF_IO_EOF: return "closed by peer";
    case PF_IO_TIMEOUT: return "timed out";
    case PF_IO_ERROR: return "error";
    }
    return "?";
}

/* Print "cannot listen on ADDR: what: strerror" into err, keep errno. */
static int net_fail(int fd, const struct pf_addr *addr, const char *what, char *err, size_t errlen)
{
    char text[PF_ADDR_STRLEN];
    int saved = errno;

    snprintf(err, errlen, "cannot listen on %s: %s%s%s",
             pf_addr_format((const struct sockaddr *)&addr->ss, text, sizeof(text)), what,
             what[0] ? ": " : "", strerror(saved));
    if (fd >= 0)
        close(fd);
    errno = saved;
    return -1;
}

/* A listening TCP socket (TCP_NODELAY inherited by accepted sockets). SO_REUSEADDR lets a restarted daemon bind while
 * old connections sit in TIME_WAIT; close-on-exec keeps it out of programs
 * we might exec; non-blocking because workers accept only after readiness
 * and must never sleep inside accept() where they could miss a stop. */
int pf_net_listen(const struct pf_addr *addr, int backlog, char *err, size_t errlen)
{
    int one = 1;
    int family = addr->ss.ss_family;
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0)
        return net_fail(fd, addr, "socket", err, errlen);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        return net_fail(fd, addr, "SO_REUSEADDR", err, errlen);
    if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
        return net_fail(fd, addr, "IPV6_V6ONLY", err, errlen);
    /* Replies go out whole in one send: never hold them for Nagle. Set on
     * the listener, Linux copies it to every accepted socket, which saves
     * a setsockopt per connection. */
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
        return net_fail(fd, addr, "TCP_NODELAY", err, errlen);
    if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0)
        return net_fail(fd, addr, "", err, errlen);
    if (listen(fd, backlog) < 0)
        return net_fail(fd, addr, "listen", err, errlen);
    return fd;
}

/* Every protocol preforkd speaks has the client talk first, so a worker
 * woken for a connection that has not sent its request yet only goes back
 * to sleep in poll() (two more system calls and a context switch per
 * connection). With TCP_DEFER_ACCEPT the kernel keeps such a connection
 * out of the accept queue until its data arrives; once the time is up
 * the connection is queued anyway, so silent clients still meet the
 * worker's idle timeout. Apache httpd does the same on Linux by default
 * ("AcceptFilter http data"). */
int pf_net_defer_accept(int fd, int seconds, char *err, size_t errlen)
{
    int value = seconds > 0 ? seconds : 0;

    if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &value, sizeof(value)) < 0) {
        snprintf(err, errlen, "cannot set TCP_DEFER_ACCEPT: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int pf_net_local_addr(int fd, struct pf_addr *out)
{
    out->len = sizeof(out->ss);
    return getsockname(fd, (struct sockaddr *)&out->ss, &out->len);
}

int pf_net_wait(int fd, short events, int64_t deadline_ms)
{
    struct pollfd p = {.fd = fd, .events = events};

    for (;;) {
        int n = poll(&p, 1, pf_time_left_ms(deadline_ms));

        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* Non-blocking connect, then wait for it to complete within the timeout. */
int pf_net_connect(const struct pf_addr *addr, int timeout_ms, char *err, size_t errlen)
{
    char text[PF_ADDR_STRLEN];
    int64_t deadline = pf_time_deadline(timeout_ms);
    int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int soerr = 0;
    socklen_t sl = sizeof(soerr);

    pf_addr_format((const struct sockaddr *)&addr->ss, text, sizeof(text));
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", text, strerror(errno));
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0) {
        int w = errno == EINPROGRESS ? pf_net_wait(fd, POLLOUT, deadline) : -1;

        if (w < 0)
            soerr = errno;
        else if (w == 0)
            soerr = ETIMEDOUT;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
            soerr = errno;
    }
    if (soerr != 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", text, strerror(soerr));
        close(fd);
        errno = soerr;
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

enum pf_io pf_net_send_all_until(int fd, const void *buf, size_t len, int64_t deadline_ms)
{
    return pf_net_send_flags_until(fd, buf, len, 0, deadline_ms, NULL);
}

enum pf_io pf_net_send_flags_until(int fd, const void *buf, size_t len, int flags,
                                   int64_t deadline_ms, size_t *sent)
{
    const char *p = buf;
    size_t done = 0;
    enum pf_io io = PF_IO_OK;

    while (done < len) {
        ssize_t n = send(fd, p + done, len - done, flags | MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            io = PF_IO_ERROR;
            break;
        }
        int w = pf_net_wait(fd, POLLOUT, deadline_ms);
        if (w <= 0) {
            io = w == 0 ? PF_IO_TIMEOUT : PF_IO_ERROR;
            break;
        }
    }
    if (sent)
        *sent = done;
    return io;
}

enum pf_io pf_net_recv_some_until(int fd, void *buf, size_t len, int64_t deadline_ms, size_t *got)
{
    *got = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

        if (n > 0) {
            *got = (size_t)n;
            return PF_IO_OK;
        }
        if (n == 0)
            return len == 0 ? PF_IO_OK : PF_IO_EOF;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return PF_IO_ERROR;
        int w = pf_net_wait(fd, POLLIN, deadline_ms);
        if (w == 0)
            return PF_IO_TIMEOUT;
        if (w < 0)
            return PF_IO_ERROR;
    }
}

enum pf_io pf_net_recv_exact_until(int fd, void *buf, size_t len, int64_t deadline_ms, size_t *got)
{
    size_t total = 0;
    enum pf_io r = PF_IO_OK;

    while (total < len) {
        size_t n;

        r = pf_net_recv_some_until(fd, (char *)buf + total, len - total, deadline_ms, &n);
        total += n;
        if (r != PF_IO_OK)
            break;
    }
    if (got)
        *got = total;
    return r;
}

enum pf_io pf_net_send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
    return pf_net_send_all_until(fd, buf, len, pf_time_deadline(timeout_ms));
}

enum pf_io pf_net_recv_exact(int fd, void *buf, size_t len, int timeout_ms, size_t *got)
{
    return pf_net_recv_exact_until(fd, buf, len, pf_time_deadline(timeout_ms), got);
}

/* sendfile() until len bytes went out. The timeout bounds each wait for
 * the socket to drain, not the whole transfer: a large file to a slow but
 * live client is fine, a client that stops reading is cut after
 * idle_timeout_ms without progress. A file that shrank gives PF_IO_EOF. */
enum pf_io pf_net_sendfile(int sock, int fd, off_t offset, off_t len, int idle_timeout_ms,
                           off_t *sent)
{
    off_t done = 0;
    enum pf_io io = PF_IO_OK;

    while (done < len) {
        off_t left = len - done;
        size_t chunk = left > (off_t)1 << 30 ? (size_t)1 << 30 : (size_t)left;
        ssize_t n = sendfile(sock, fd, &offset, chunk);

        if (n > 0) {
            done += n;
            continue;
        }
        if (n == 0) {
            io = PF_IO_EOF;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            io = PF_IO_ERROR;
            break;
        }
        int w = pf_net_wait(sock, POLLOUT, pf_time_deadline(idle_timeout_ms));
        if (w <= 0) {
            io = w == 0 ? PF_IO_TIMEOUT : PF_IO_ERROR;
            break;
        }
    }
    if (sent)
        *sent = done;
    return io;
}

/* For a socket in LISTEN state Linux reports the accept queue length in
 * tcpi_unacked (and the backlog in tcpi_sacked). */
int pf_net_accept_queue_len(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);

    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || ti.tcpi_state != TCP_LISTEN)
        return -1;
    return (int)ti.tcpi_unacked;
}
