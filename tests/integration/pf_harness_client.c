/* pf_harness_client: raw TCP clients of the server under test: connect,
 * send and receive within PF_H_IO_MS, echo and msg round trips, expected
 * closes, resets, and many clients at once in threads. Public functions
 * are documented in pf_harness_client.h; static helpers here. */
#include "pf_harness_client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pf_frame.h"
#include "pf_net.h"
#include "pf_time.h"

int pf_h_connect(const struct pf_server *s)
{
    char err[256];
    struct timeval tv = {.tv_sec = PF_H_IO_MS / 1000, .tv_usec = (PF_H_IO_MS % 1000) * 1000};
    int one = 1, fd = pf_net_connect(&s->addr, PF_H_IO_MS, err, sizeof(err));

    if (fd < 0) {
        if (errno != ECONNREFUSED) /* some tests expect a refusal */
            pf_h_note("%s", err);
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
        pf_h_note("setsockopt: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int pf_h_send(int fd, const void *buf, size_t len)
{
    enum pf_io io = pf_net_send_all(fd, buf, len, PF_H_IO_MS);

    if (io != PF_IO_OK) {
        pf_h_note("send of %zu bytes: %s (%s)", len, pf_net_io_name(io), strerror(errno));
        return -1;
    }
    return 0;
}

int pf_h_recv(int fd, void *buf, size_t len)
{
    size_t got = 0;
    enum pf_io io = pf_net_recv_exact(fd, buf, len, PF_H_IO_MS, &got);

    if (io != PF_IO_OK) {
        pf_h_note("receive: got %zu of %zu bytes: %s (%s)", got, len, pf_net_io_name(io),
                  io == PF_IO_ERROR ? strerror(errno) : "-");
        return -1;
    }
    return 0;
}

int pf_h_roundtrip(int fd, const void *buf, size_t len)
{
    unsigned char *reply = malloc(len > 0 ? len : 1);
    int rc = -1;

    if (reply != NULL && pf_h_send(fd, buf, len) == 0 && pf_h_recv(fd, reply, len) == 0) {
        rc = 0;
        for (size_t i = 0; i < len; i++) {
            if (reply[i] != ((const unsigned char *)buf)[i]) {
                pf_h_note("reply differs at byte %zu of %zu: %#x instead of %#x", i, len, reply[i],
                          ((const unsigned char *)buf)[i]);
                rc = -1;
                break;
            }
        }
    }
    free(reply);
    return rc;
}

int pf_h_echo_roundtrip(int fd, const char *line)
{
    return pf_h_roundtrip(fd, line, strlen(line));
}

int pf_h_msg_frame(const void *payload, uint32_t plen, unsigned char **frame, size_t *len)
{
    *len = PF_FRAME_HEADER_LEN + (size_t)plen;
    *frame = malloc(*len);
    if (*frame == NULL)
        return -1;
    pf_frame_put_length(*frame, plen);
    if (plen > 0)
        memcpy(*frame + PF_FRAME_HEADER_LEN, payload, plen);
    return 0;
}

int pf_h_msg_roundtrip(int fd, const void *payload, uint32_t plen)
{
    unsigned char *frame;
    size_t len;
    int rc;

    if (pf_h_msg_frame(payload, plen, &frame, &len) < 0)
        return -1;
    rc = pf_h_roundtrip(fd, frame, len);
    free(frame);
    return rc;
}

int pf_h_exchange(const struct pf_server *s, int fd, const char *text)
{
    char line[1024];

    if (strcmp(s->protocol, "msg") == 0)
        return pf_h_msg_roundtrip(fd, text, (uint32_t)strlen(text));
    if (strcmp(s->protocol, "echo") != 0) {
        pf_h_note("no exchange known for protocol \"%s\"", s->protocol);
        return -1;
    }
    snprintf(line, sizeof(line), "%s\n", text);
    return pf_h_echo_roundtrip(fd, line);
}

int pf_h_connect_served(const struct pf_server *s)
{
    int fd = pf_h_connect(s);

    if (fd >= 0 && pf_h_exchange(s, fd, "hello") < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int pf_h_check_serves(const struct pf_server *s)
{
    int fd = pf_h_connect_served(s);

    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int pf_h_roundtrip_once(const struct pf_server *s, const void *buf, size_t len)
{
    int fd = pf_h_connect(s), rc;

    if (fd < 0)
        return -1;
    rc = pf_h_roundtrip(fd, buf, len);
    close(fd);
    return rc;
}

void pf_h_fill(void *buf, size_t len, unsigned seed)
{
    unsigned char *p = buf;
    uint32_t x = seed * 2654435761u + 1u;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
}

int pf_h_expect_closed(int fd, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    char buf[256];

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, pf_time_left_ms(deadline));

        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            pf_h_note("connection still open after %d ms", timeout_ms);
            return -1;
        }
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
            return 0;
        if (n > 0) {
            pf_h_note("expected a close, received %zd byte(s)", n);
            return -1;
        }
        if (errno != EAGAIN && errno != EINTR) {
            pf_h_note("expected a close, recv failed: %s", strerror(errno));
            return -1;
        }
    }
}

void pf_h_close_reset(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};

    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

/* One client thread of pf_h_run_clients. */
struct h_client {
    int (*fn)(int, void *);
    void *arg;
    int index;
    int rc;
};

/* Thread body: run the client function, keep its result. */
static void *h_client_main(void *p)
{
    struct h_client *c = p;

    c->rc = c->fn(c->index, c->arg);
    return NULL;
}

int pf_h_run_clients(int n, int (*fn)(int index, void *arg), void *arg)
{
    struct h_client *c = calloc((size_t)n, sizeof(*c));
    pthread_t *t = calloc((size_t)n, sizeof(*t));
    bool *started = calloc((size_t)n, sizeof(*started));
    int failed = 0;

    if (c == NULL || t == NULL || started == NULL) {
        free(c), free(t), free(started);
        return n;
    }
    for (int i = 0; i < n; i++) {
        c[i] = (struct h_client){.fn = fn, .arg = arg, .index = i, .rc = -1};
        started[i] = pthread_create(&t[i], NULL, h_client_main, &c[i]) == 0;
    }
    for (int i = 0; i < n; i++) {
        if (started[i])
            pthread_join(t[i], NULL);
        if (c[i].rc != 0)
            failed++;
    }
    free(c);
    free(t);
    free(started);
    return failed;
}
