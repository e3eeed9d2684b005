/* pf_handoff: the state of a connection handed over, encoded and checked,
 * and one message of it sent or received with the descriptor. */
#include "pf_handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Address families on the wire (not the system's numbers). */
#define HANDOFF_INET 4
#define HANDOFF_INET6 6

/* ---------------------------------------------------------- encoding */

struct handoff_out {
    uint8_t *p, *end;
    bool full;
};

static void out_bytes(struct handoff_out *o, const void *b, size_t n)
{
    if (o->full || (size_t)(o->end - o->p) < n) {
        o->full = true;
        return;
    }
    memcpy(o->p, b, n);
    o->p += n;
}

/* Big-endian, n bytes of v. */
static void out_uint(struct handoff_out *o, uint64_t v, unsigned n)
{
    uint8_t b[8];

    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    out_bytes(o, b, n);
}

static bool handoff_valid(const struct pf_handoff *h)
{
    size_t plen = strnlen(h->protocol, sizeof(h->protocol));

    if ((h->flags & ~PF_HANDOFF_FLAGS) != 0 || plen == 0 || plen >= sizeof(h->protocol))
        return false;
    if (h->idle_deadline_ms < -1 || h->head_deadline_ms < -1)
        return false;
    if (h->nbytes > PF_HANDOFF_BYTES_MAX || (h->nbytes > 0 && h->bytes == NULL))
        return false;
    if (h->peer.ss_family == AF_INET)
        return h->peer_len == sizeof(struct sockaddr_in);
    if (h->peer.ss_family == AF_INET6)
        return h->peer_len == sizeof(struct sockaddr_in6);
    return false;
}

/* Every field but the bytes themselves (their count included): the
 * length written, or 0 when h is not valid or out too small. */
static size_t handoff_encode_head(const struct pf_handoff *h, uint8_t *out, size_t size)
{
    struct handoff_out o = {out, out + size, false};
    size_t plen = strnlen(h->protocol, sizeof(h->protocol));

    if (!handoff_valid(h))
        return 0;
    out_uint(&o, PF_HANDOFF_VERSION, 1);
    out_uint(&o, h->flags, 1);
    out_uint(&o, plen, 1);
    out_bytes(&o, h->protocol, plen);
    out_uint(&o, h->requests, 4);
    out_uint(&o, (uint64_t)h->idle_deadline_ms, 8);
    out_uint(&o, (uint64_t)h->head_deadline_ms, 8);
    if (h->peer.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&h->peer;

        out_uint(&o, HANDOFF_INET, 1);
        out_bytes(&o, &in->sin_port, 2); /* network order already */
        out_bytes(&o, &in->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&h->peer;

        out_uint(&o, HANDOFF_INET6, 1);
        out_bytes(&o, &in6->sin6_port, 2);
        out_bytes(&o, &in6->sin6_addr, 16);
        out_uint(&o, in6->sin6_scope_id, 4);
    }
    out_uint(&o, h->nbytes, 4);
    return o.full ? 0 : (size_t)(o.p - out);
}

size_t pf_handoff_encode(const struct pf_handoff *h, uint8_t *out, size_t size)
{
    size_t head = handoff_encode_head(h, out, size);

    if (head == 0 || size - head < h->nbytes)
        return 0;
    if (h->nbytes > 0)
        memcpy(out + head, h->bytes, h->nbytes);
    return head + h->nbytes;
}

/* ---------------------------------------------------------- decoding */

struct handoff_in {
    const uint8_t *p, *end;
    bool short_read;
};

static const uint8_t *in_bytes(struct handoff_in *in, size_t n)
{
    const uint8_t *b = in->p;

    if (in->short_read || (size_t)(in->end - in->p) < n) {
        in->short_read = true;
        return NULL;
    }
    in->p += n;
    return b;
}

static uint64_t in_uint(struct handoff_in *in, unsigned n)
{
    const uint8_t *b = in_bytes(in, n);
    uint64_t v = 0;

    for (unsigned i = 0; b != NULL && i < n; i++)
        v = v << 8 | b[i];
    return v;
}

static int handoff_fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "handoff: %s", why);
    return -1;
}

/* The peer's address, as encoded: 0, or -1 with the reason. */
static int decode_peer(struct handoff_in *in, struct pf_handoff *h, const char **why)
{
    unsigned family = (unsigned)in_uint(in, 1);
    const uint8_t *port = in_bytes(in, 2);

    memset(&h->peer, 0, sizeof(h->peer));
    if (family == HANDOFF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&h->peer;
        const uint8_t *a = in_bytes(in, 4);

        if (port == NULL || a == NULL)
            return *why = "message cut short", -1;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_port, port, 2);
        memcpy(&sin->sin_addr, a, 4);
        h->peer_len = sizeof(*sin);
        return 0;
    }
    if (family == HANDOFF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h->peer;
        const uint8_t *a = in_bytes(in, 16);
        uint32_t scope = (uint32_t)in_uint(in, 4);

        if (port == NULL || a == NULL || in->short_read)
            return *why = "message cut short", -1;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_port, port, 2);
        memcpy(&sin6->sin6_addr, a, 16);
        sin6->sin6_scope_id = scope;
        h->peer_len = sizeof(*sin6);
        return 0;
    }
    return *why = in->short_read ? "message cut short" : "unknown address family", -1;
}

int pf_handoff_decode(const uint8_t *msg, size_t len, struct pf_handoff *h, char *err,
                      size_t errlen)
{
    struct handoff_in in = {msg, msg + len, false};
    const char *why = NULL;
    unsigned version = (unsigned)in_uint(&in, 1), plen;
    const uint8_t *proto;

    memset(h, 0, sizeof(*h));
    if (in.short_read)
        return handoff_fail(err, errlen, "empty message");
    if (version != PF_HANDOFF_VERSION)
        return handoff_fail(err, errlen, "unknown version");
    h->flags = (unsigned)in_uint(&in, 1);
    plen = (unsigned)in_uint(&in, 1);
    proto = in_bytes(&in, plen);
    if (in.short_read)
        return handoff_fail(err, errlen, "message cut short");
    if ((h->flags & ~PF_HANDOFF_FLAGS) != 0)
        return handoff_fail(err, errlen, "unknown flags");
    if (plen == 0 || plen >= sizeof(h->protocol) || memchr(proto, '\0', plen) != NULL)
        return handoff_fail(err, errlen, "bad protocol name");
    memcpy(h->protocol, proto, plen);
    h->requests = (uint32_t)in_uint(&in, 4);
    h->idle_deadline_ms = (int64_t)in_uint(&in, 8);
    h->head_deadline_ms = (int64_t)in_uint(&in, 8);
    if (in.short_read)
        return handoff_fail(err, errlen, "message cut short");
    if (h->idle_deadline_ms < -1 || h->head_deadline_ms < -1)
        return handoff_fail(err, errlen, "bad deadline");
    if (decode_peer(&in, h, &why) < 0)
        return handoff_fail(err, errlen, why);
    h->nbytes = (size_t)in_uint(&in, 4);
    if (in.short_read)
        return handoff_fail(err, errlen, "message cut short");
    if (h->nbytes > PF_HANDOFF_BYTES_MAX)
        return handoff_fail(err, errlen, "too many bytes");
    h->bytes = in_bytes(&in, h->nbytes);
    if (in.short_read)
        return handoff_fail(err, errlen, "message cut short");
    if (in.p != in.end)
        return handoff_fail(err, errlen, "bytes left over");
    return 0;
}

/* --------------------------------------------------------- on a socket */

/* The fields in one piece, the bytes of a request begun in a second,
 * straight from the caller's buffer: one message either way. */
int pf_handoff_send(int sock, int fd, const struct pf_handoff *h)
{
    uint8_t head[PF_HANDOFF_HEAD_MAX];
    size_t len = handoff_encode_head(h, head, sizeof(head));
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov[2] = {{.iov_base = head, .iov_len = len},
                           {.iov_base = (void *)h->bytes, .iov_len = h->nbytes}};
    struct msghdr m = {.msg_iov = iov,
                       .msg_iovlen = h->nbytes > 0 ? 2 : 1,
                       .msg_control = ctl.buf,
                       .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *c;
    ssize_t n;

    if (len == 0) {
        errno = EINVAL;
        return -1;
    }
    memset(ctl.buf, 0, sizeof(ctl.buf));
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    do
        n = sendmsg(sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

size_t pf_handoff_take_fds(struct msghdr *m, int *first)
{
    size_t got = 0;

    if (first)
        *first = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
            int one;

            memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (got++ == 0 && first)
                *first = one;
            else
                close(one);
        }
    }
    return got;
}

/* The descriptors a received message carried: the one into *fd when there
 * is exactly one, else all closed. True for exactly one. */
static bool recv_take_fd(struct msghdr *m, int *fd)
{
    if (pf_handoff_take_fds(m, fd) == 1)
        return true;
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    return false;
}

int pf_handoff_recv(int sock, int *fd, struct pf_handoff *h, uint8_t *buf, size_t size, char *err,
                    size_t errlen)
{
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = size};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.buf,
                       .msg_controllen = sizeof(ctl.buf)};
    ssize_t n;
    int rc = -1;

    *fd = -1;
    do
        n = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if (n == 0 && m.msg_controllen == 0)
        return 0; /* the other end is closed */
    if (!recv_take_fd(&m, fd))
        handoff_fail(err, errlen, "a message without exactly one descriptor");
    else if ((m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
        handoff_fail(err, errlen, "message longer than the buffer");
    else
        rc = pf_handoff_decode(buf, (size_t)n, h, err, errlen);
    if (rc == 0)
        return 1;
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    errno = EBADMSG;
    return -1;
}

int pf_handoff_recv_spared(int sock, int *spare, int like_fd, int *fd, struct pf_handoff *h,
                           uint8_t *buf, size_t size, char *err, size_t errlen)
{
    int rc;

    *fd = -1;
    if (*spare < 0)
        *spare = fcntl(like_fd, F_DUPFD_CLOEXEC, 0);
    if (*spare < 0) {
        int saved = errno;

        snprintf(err, errlen, "no descriptor spare to receive into: %s", strerror(saved));
        errno = saved;
        return -1;
    }
    close(*spare);
    rc = pf_handoff_recv(sock, fd, h, buf, size, err, errlen);
    {
        int saved = errno;

        *spare = fcntl(like_fd, F_DUPFD_CLOEXEC, 0);
        errno = saved;
    }
    return rc;
}
