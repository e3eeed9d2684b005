/* pf_fixed_server: a server that costs almost nothing, to measure the load
 * generators themselves (tests/load/).
 *
 * One process, one thread, epoll. Every HTTP request on a connection (its
 * end found as the blank line "\r\n\r\n" ending the head) gets the same
 * small 200 response with a 13-byte body; the request is not otherwise
 * looked at, except for "Connection: close", after which the response says
 * so and the connection is closed. Keep-alive and pipelining work. What a
 * client (wrk, preforkbench) drives against it is the most that client can
 * drive from its CPU: the ceiling of every other measurement.
 *
 * Usage: pf_fixed_server [-p http] ROOT HOST:PORT
 * (ROOT is not used, pass "-": the same shape as pf_fork_server.) Prints
 * "listening on HOST:PORT" (the real port when PORT is 0) on standard
 * output. Stopped by SIGTERM/SIGINT (the default action).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_addr.h"
#include "pf_net.h"

#define IN_SIZE 8192      /* longest request head */
#define OUT_MAX (1 << 20) /* a client that never reads is dropped */

#define BODY "Hello, world\n" /* 13 bytes */
static const char reply_keep[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n" BODY;
static const char reply_close[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
    "Connection: close\r\n\r\n" BODY;

struct conn {
    int fd;
    bool closing;    /* close once out is sent */
    unsigned events; /* the epoll events it is registered for */
    size_t in_len;
    char in[IN_SIZE];
    char *out; /* responses not yet sent: out[out_off..out_len) */
    size_t out_len, out_off, out_cap;
};

static int ep;

static void conn_close(struct conn *c)
{
    close(c->fd); /* also removes it from the epoll set */
    free(c->out);
    free(c);
}

/* Does the head (len bytes) have a "Connection: close" header line? */
static bool wants_close(const char *head, size_t len)
{
    static const char name[] = "\nconnection:";
    const size_t nlen = sizeof(name) - 1;

    for (size_t i = 0; i + nlen <= len; i++) {
        if (strncasecmp(head + i, name, nlen) != 0)
            continue;
        const char *v = head + i + nlen, *end = head + len;

        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        return end - v >= 5 && strncasecmp(v, "close", 5) == 0;
    }
    return false;
}

static bool out_append(struct conn *c, const char *p, size_t n)
{
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap * 2 : 4096;

        while (cap < c->out_len + n)
            cap *= 2;
        if (cap > OUT_MAX)
            return false;
        char *grown = realloc(c->out, cap);
        if (!grown)
            return false;
        c->out = grown;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return true;
}

/* Send what is pending; wait for EPOLLOUT only when the socket is full.
 * Returns false when the connection is to be closed. */
static bool conn_flush(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0)
            return false;
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
        if (c->closing)
            return false;
    }
    /* Wait for room when output is pending; stop reading once closing. */
    unsigned want = (c->closing ? 0 : EPOLLIN) | (c->out_len > 0 ? EPOLLOUT : 0);
    if (want != c->events) {
        struct epoll_event ev = {.events = want, .data.ptr = c};

        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->events = want;
    }
    return true;
}

/* Read what has arrived and queue one response per complete head. */
static bool conn_read(struct conn *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

        if (n == 0)
            return false;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        c->in_len += (size_t)n;
        char *end;
        while (!c->closing && (end = memmem(c->in, c->in_len, "\r\n\r\n", 4)) != NULL) {
            size_t len = (size_t)(end - c->in) + 4;

            c->closing = wants_close(c->in, len);
            if (!(c->closing ? out_append(c, reply_close, sizeof(reply_close) - 1)
                             : out_append(c, reply_keep, sizeof(reply_keep) - 1)))
                return false;
            memmove(c->in, c->in + len, c->in_len - len);
            c->in_len -= len;
        }
        if (c->closing)
            return true; /* anything after a "close" request is ignored */
        if (c->in_len == sizeof(c->in))
            return false; /* a head longer than IN_SIZE */
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: pf_fixed_server [-p http] ROOT HOST:PORT\n");
    exit(2);
}

int main(int argc, char **argv)
{
    char err[256], text[PF_ADDR_STRLEN];
    struct pf_addr addr;
    struct epoll_event ev, events[256];
    int opt, lfd;

    while ((opt = getopt(argc, argv, "p:")) != -1) {
        if (opt != 'p' || strcmp(optarg, "http") != 0)
            usage();
    }
    if (argc - optind != 2)
        usage();
    if (pf_addr_parse(argv[optind + 1], &addr, err, sizeof(err)) < 0) {
        fprintf(stderr, "pf_fixed_server: %s: %s\n", argv[optind + 1], err);
        return 2;
    }
    lfd = pf_net_listen(&addr, 511, err, sizeof(err)); /* non-blocking */
    if (lfd < 0) {
        fprintf(stderr, "pf_fixed_server: %s\n", err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    ep = epoll_create1(EPOLL_CLOEXEC);
    ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the listener */
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0 || pf_net_local_addr(lfd, &addr) < 0) {
        perror("pf_fixed_server");
        return 1;
    }
    printf("listening on %s\n", pf_addr_format((struct sockaddr *)&addr.ss, text, sizeof(text)));
    fflush(stdout);

    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);

        if (n < 0 && errno != EINTR) {
            perror("pf_fixed_server: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;

            if (c == NULL) { /* new connections: accept them all */
                int fd;

                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    c = calloc(1, sizeof(*c));
                    if (!c) {
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    c->events = EPOLLIN;
                    ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = c};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
                        conn_close(c); /* owned by epoll from here on */
                }
                continue;
            }
            bool ok = true;

            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                ok = c->closing || conn_read(c);
            if (ok)
                ok = conn_flush(c);
            if (!ok)
                conn_close(c);
        }
    }
}
