/* Unit tests for pf_handoff: the state of a connection handed over,
 * encoded and decoded (round trips, every invalid state refused, every
 * cut or corrupted message refused), and one message sent and received
 * with its descriptor over a SOCK_SEQPACKET pair, also at the descriptor
 * limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_err.h"
#include "pf_handoff.h"

static uint8_t big[PF_HANDOFF_BYTES_MAX];

/* A valid state: an IPv4 client with a request begun of n bytes. */
static struct pf_handoff state_v4(size_t n)
{
    struct pf_handoff h = {.flags = PF_HANDOFF_BEGUN,
                           .protocol = "http",
                           .requests = 7,
                           .idle_deadline_ms = -1,
                           .head_deadline_ms = 123456789,
                           .peer_len = sizeof(struct sockaddr_in),
                           .bytes = big,
                           .nbytes = n};
    struct sockaddr_in *in = (struct sockaddr_in *)&h.peer;

    in->sin_family = AF_INET;
    in->sin_port = htons(40000);
    inet_pton(AF_INET, "192.0.2.10", &in->sin_addr);
    return h;
}

/* An idle IPv6 client (no bytes). */
static struct pf_handoff state_v6(void)
{
    struct pf_handoff h = {.protocol = "echo",
                           .requests = UINT32_MAX,
                           .idle_deadline_ms = INT64_MAX,
                           .head_deadline_ms = -1,
                           .peer_len = sizeof(struct sockaddr_in6)};
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&h.peer;

    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(443);
    in6->sin6_scope_id = 3;
    inet_pton(AF_INET6, "fe80::1", &in6->sin6_addr);
    return h;
}

static void assert_same(const struct pf_handoff *a, const struct pf_handoff *b)
{
    assert_int_equal(a->flags, b->flags);
    assert_string_equal(a->protocol, b->protocol);
    assert_int_equal(a->requests, b->requests);
    assert_true(a->idle_deadline_ms == b->idle_deadline_ms);
    assert_true(a->head_deadline_ms == b->head_deadline_ms);
    assert_int_equal(a->peer_len, b->peer_len);
    assert_memory_equal(&a->peer, &b->peer, a->peer_len);
    assert_int_equal(a->nbytes, b->nbytes);
    if (a->nbytes)
        assert_memory_equal(a->bytes, b->bytes, a->nbytes);
}

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 31 + 7);
    return 0;
}

/* What is encoded decodes to the same state, for each kind of state. */
static void test_round_trips(void **state)
{
    static uint8_t msg[PF_HANDOFF_MSG_MAX];
    struct pf_handoff cases[] = {state_v4(0), state_v4(1), state_v4(PF_HANDOFF_BYTES_MAX),
                                 state_v6()};
    char err[PF_ERR_MAX];

    (void)state;
    cases[0].flags = 0;
    cases[0].head_deadline_ms = 0;
    cases[3].flags = PF_HANDOFF_EXPIRED | PF_HANDOFF_BEGUN;
    cases[1].flags |= PF_HANDOFF_CLOSE;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pf_handoff got;
        size_t len = pf_handoff_encode(&cases[i], msg, sizeof(msg));

        assert_true(len > 0);
        assert_true(len <= PF_HANDOFF_HEAD_MAX + cases[i].nbytes);
        if (pf_handoff_decode(msg, len, &got, err, sizeof(err)) != 0)
            fail_msg("case %zu: %s", i, err);
        assert_same(&cases[i], &got);
    }
}

/* A state that is not valid is not encoded. */
static void test_encode_refuses(void **state)
{
    uint8_t msg[PF_HANDOFF_HEAD_MAX + 16];
    struct pf_handoff h;

    (void)state;
    h = state_v4(0), h.flags = 0x8;
    assert_int_equal(pf_handoff_encode(&h, msg, sizeof(msg)), 0);
    h = state_v4(0), h.protocol[0] = '\0';
    assert_int_equal(pf_handoff_encode(&h, msg, sizeof(msg)), 0);
    h = state_v4(0), memset(h.protocol, 'x', sizeof(h.protocol)); /* no NUL */
    assert_int_equal(pf_handoff_encode(&h, msg, sizeof(msg)), 0);
    h = state_v4(0), h.idle_deadline_ms = -2;
    assert_int_equal(pf_handoff_encode(&h, msg, sizeof(msg)), 0);
    h = state_v4(0), h.head_deadline_ms = INT64_MIN;
    assert_int_equal(pf_handoff_encode(&h, msg, sizeof(msg)), 0);
    h = state_v4(0), h.peer.ss_family = AF_UNIX;
    assert_int_equal(pf_handoff_encode(&h, msg, sizeof(msg)), 0);
    h = state_v4(0), h.peer_len = sizeof(struct sockaddr_in6);
    assert_int_equal(pf_handoff_encode(&h, msg, sizeof(msg)), 0);
    h = state_v4(PF_HANDOFF_BYTES_MAX + 1);
    assert_int_equal(pf_handoff_encode(&h, msg, sizeof(msg)), 0);
    h = state_v4(1), h.bytes = NULL;
    assert_int_equal(pf_handoff_encode(&h, msg, sizeof(msg)), 0);
    h = state_v4(17); /* one byte more than the room after the head */
    assert_int_equal(pf_handoff_encode(&h, msg, 10), 0);
    h = state_v4(0);
    assert_true(pf_handoff_encode(&h, msg, sizeof(msg)) > 0);
}

/* Every cut of a valid message, and one byte more, is refused. */
static void test_decode_refuses_cuts(void **state)
{
    static uint8_t msg[PF_HANDOFF_HEAD_MAX + 64];
    struct pf_handoff h = state_v4(40), v6 = state_v6(), got;
    char err[PF_ERR_MAX];
    size_t len;

    (void)state;
    len = pf_handoff_encode(&h, msg, sizeof(msg));
    assert_true(len > 0);
    for (size_t cut = 0; cut < len; cut++)
        if (pf_handoff_decode(msg, cut, &got, err, sizeof(err)) == 0)
            fail_msg("a message cut at %zu of %zu bytes decoded", cut, len);
    msg[len] = 0;
    assert_int_equal(pf_handoff_decode(msg, len + 1, &got, err, sizeof(err)), -1);
    assert_string_equal(err, "handoff: bytes left over");
    len = pf_handoff_encode(&v6, msg, sizeof(msg));
    for (size_t cut = 0; cut < len; cut++)
        if (pf_handoff_decode(msg, cut, &got, err, sizeof(err)) == 0)
            fail_msg("an IPv6 message cut at %zu of %zu bytes decoded", cut, len);
}

/* Field by field: a message whose field is out of range is refused with
 * the reason. Offsets are those of state_v4's encoding ("http"). */
static void test_decode_refuses_fields(void **state)
{
    static const struct {
        size_t at;
        uint8_t value;
        const char *why;
    } cases[] = {
        {0, 2, "unknown version"},
        {0, 0, "unknown version"},
        {1, 0x8, "unknown flags"},
        {1, 0x80, "unknown flags"},
        {2, 0, "bad protocol name"},
        {2, 16, "bad protocol name"},  /* no room for its NUL */
        {2, 200, "message cut short"}, /* the name runs past the message */
        {4, 0, "bad protocol name"},   /* a NUL inside the name */
        {11, 0xff, "bad deadline"},    /* idle deadline's top byte: negative below -1 */
        {27, 5, "unknown address family"},
        {34, 0x01, "too many bytes"}, /* the byte count's top byte */
    };
    uint8_t msg[PF_HANDOFF_HEAD_MAX];
    struct pf_handoff h = state_v4(0), got;
    char err[PF_ERR_MAX], want[PF_ERR_MAX];
    size_t len;

    (void)state;
    h.idle_deadline_ms = 1000; /* so that a changed top byte is not -1 */
    len = pf_handoff_encode(&h, msg, sizeof(msg));
    assert_int_equal(len, 38); /* 3 + 4 + 4 + 8 + 8 + 1 + 2 + 4 + 4 */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t copy[sizeof(msg)];

        memcpy(copy, msg, len);
        copy[cases[i].at] = cases[i].value;
        snprintf(want, sizeof(want), "handoff: %s", cases[i].why);
        if (pf_handoff_decode(copy, len, &got, err, sizeof(err)) == 0)
            fail_msg("byte %zu = %#x decoded", cases[i].at, cases[i].value);
        if (strcmp(err, want) != 0)
            fail_msg("byte %zu = %#x: \"%s\", not \"%s\"", cases[i].at, cases[i].value, err, want);
    }
}

/* ------------------------------------------------------------ sockets */

static void seqpacket_pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static void assert_same_file(int a, int b)
{
    struct stat sa, sb;

    assert_int_equal(fstat(a, &sa), 0);
    assert_int_equal(fstat(b, &sb), 0);
    assert_true(sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev);
}

/* A descriptor and its state arrive together, the descriptor a new one
 * for the same open file, close-on-exec; with the bytes of a request
 * begun, and without. Then nothing is waiting; then the end is seen. */
static void test_send_recv(void **state)
{
    static uint8_t buf[PF_HANDOFF_MSG_MAX];
    int sv[2], conn[2], fd;
    struct pf_handoff sent[] = {state_v4(5000), state_v6()}, got;
    char err[PF_ERR_MAX] = "";

    (void)state;
    seqpacket_pair(sv);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(pf_handoff_send(sv[0], conn[0], &sent[i]), 0);
        assert_int_equal(pf_handoff_recv(sv[1], &fd, &got, buf, sizeof(buf), err, sizeof(err)), 1);
        assert_true(fd >= 0 && fd != conn[0]);
        assert_same_file(fd, conn[0]);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_same(&sent[i], &got);
        close(fd);
    }
    assert_int_equal(pf_handoff_recv(sv[1], &fd, &got, buf, sizeof(buf), err, sizeof(err)), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    close(sv[0]);
    assert_int_equal(pf_handoff_recv(sv[1], &fd, &got, buf, sizeof(buf), err, sizeof(err)), 0);
    assert_int_equal(fd, -1);
    close(sv[1]);
    close(conn[0]);
    close(conn[1]);
}

/* A message without a descriptor, or with two, or longer than the
 * receiver's buffer, or one that does not decode, is refused, and no
 * descriptor it carried stays open in the receiver. */
static void test_recv_refuses(void **state)
{
    static uint8_t msg[PF_HANDOFF_MSG_MAX];
    int sv[2], fd, two[2], before;
    struct pf_handoff h = state_v4(100), got;
    char err[PF_ERR_MAX];
    size_t len = pf_handoff_encode(&h, msg, sizeof(msg));
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = msg, .iov_len = len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    struct cmsghdr *c;

    (void)state;
    seqpacket_pair(sv);
    assert_int_equal(pipe(two), 0);
    before = dup(0), close(before); /* the lowest free descriptor now */

    assert_int_equal(send(sv[0], msg, len, 0), (ssize_t)len); /* no descriptor */
    assert_int_equal(pf_handoff_recv(sv[1], &fd, &got, msg, sizeof(msg), err, sizeof(err)), -1);
    assert_int_equal(errno, EBADMSG);
    assert_string_equal(err, "handoff: a message without exactly one descriptor");

    len = pf_handoff_encode(&h, msg, sizeof(msg));
    iov.iov_len = len;
    memset(ctl.buf, 0, sizeof(ctl.buf));
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof(ctl.buf);
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    memcpy(CMSG_DATA(c), two, sizeof(two));
    assert_int_equal(sendmsg(sv[0], &m, 0), (ssize_t)len); /* two descriptors */
    assert_int_equal(pf_handoff_recv(sv[1], &fd, &got, msg, sizeof(msg), err, sizeof(err)), -1);
    assert_int_equal(errno, EBADMSG);
    assert_int_equal(fd, -1);

    assert_int_equal(pf_handoff_send(sv[0], two[0], &h), 0); /* buffer too small */
    assert_int_equal(pf_handoff_recv(sv[1], &fd, &got, msg, 50, err, sizeof(err)), -1);
    assert_int_equal(errno, EBADMSG);
    assert_string_equal(err, "handoff: message longer than the buffer");

    len = pf_handoff_encode(&h, msg, sizeof(msg));
    msg[0] = 9; /* does not decode */
    iov.iov_len = len;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    m.msg_controllen = CMSG_SPACE(sizeof(int));
    assert_int_equal(sendmsg(sv[0], &m, 0), (ssize_t)len);
    assert_int_equal(pf_handoff_recv(sv[1], &fd, &got, msg, sizeof(msg), err, sizeof(err)), -1);
    assert_int_equal(errno, EBADMSG);
    assert_string_equal(err, "handoff: unknown version");

    fd = dup(0); /* every descriptor received was closed: the lowest is free again */
    assert_int_equal(fd, before);
    close(fd);
    close(two[0]);
    close(two[1]);
    close(sv[0]);
    close(sv[1]);
}

/* A full socket makes a send fail at once with EAGAIN: the sender keeps
 * its connection and serves it itself. An invalid state is EINVAL. */
static void test_send_full_and_invalid(void **state)
{
    int sv[2], conn[2], sent = 0, small = 4096;
    struct pf_handoff h = state_v4(1000);

    (void)state;
    seqpacket_pair(sv);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
    assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    while (pf_handoff_send(sv[0], conn[0], &h) == 0)
        assert_true(++sent < 100000);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    assert_true(sent > 0);
    h.flags = 0x10;
    assert_int_equal(pf_handoff_send(sv[0], conn[0], &h), -1);
    assert_int_equal(errno, EINVAL);
    close(sv[0]);
    close(sv[1]); /* the descriptors in flight go with the queue */
    close(conn[0]);
    close(conn[1]);
}

/* At the descriptor limit a plain receive loses the descriptor (the
 * kernel drops it: the message is refused). pf_handoff_recv_spared takes
 * the next one into the place of its spare; with no spare to make again
 * it receives nothing and the message waits until a descriptor is free. */
static void test_recv_at_limit(void **state)
{
    static uint8_t buf[PF_HANDOFF_MSG_MAX];
    struct pf_handoff h = state_v4(10), got;
    char err[PF_ERR_MAX] = "";
    int sv[2], conn[2], spare = -1, fd, lowest, taken;
    struct rlimit old;

    (void)state;
    seqpacket_pair(sv);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pf_handoff_send(sv[0], conn[0], &h), 0);
    spare = fcntl(sv[1], F_DUPFD_CLOEXEC, 0);
    assert_true(spare >= 0);
    lowest = dup(0);
    assert_true(lowest > spare);
    close(lowest);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &(struct rlimit){(rlim_t)lowest, old.rlim_max}), 0);

    assert_int_equal(pf_handoff_recv(sv[1], &fd, &got, buf, sizeof(buf), err, sizeof(err)), -1);
    assert_int_equal(errno, EBADMSG);
    assert_int_equal(fd, -1);
    assert_int_equal(pf_handoff_recv_spared(sv[1], &spare, sv[1], &fd, &got, buf, sizeof(buf), err,
                                            sizeof(err)),
                     1);
    assert_same_file(fd, conn[0]);
    assert_int_equal(spare, -1);
    taken = fd;
    assert_int_equal(pf_handoff_recv_spared(sv[1], &spare, sv[1], &fd, &got, buf, sizeof(buf), err,
                                            sizeof(err)),
                     -1);
    assert_int_equal(errno, EMFILE);
    assert_int_equal(fd, -1);
    assert_non_null(strstr(err, "no descriptor spare"));
    close(taken); /* the one received: free again */
    assert_int_equal(pf_handoff_recv_spared(sv[1], &spare, sv[1], &fd, &got, buf, sizeof(buf), err,
                                            sizeof(err)),
                     1); /* the third message waited */
    assert_same_file(fd, conn[0]);
    close(fd);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(pf_handoff_recv_spared(sv[1], &spare, sv[1], &fd, &got, buf, sizeof(buf), err,
                                            sizeof(err)),
                     -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    assert_true(spare >= 0);
    close(spare);
    close(sv[0]);
    close(sv[1]);
    close(conn[0]);
    close(conn[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_decode_refuses_cuts),
        cmocka_unit_test(test_decode_refuses_fields),
        cmocka_unit_test(test_send_recv),
        cmocka_unit_test(test_recv_refuses),
        cmocka_unit_test(test_send_full_and_invalid),
        cmocka_unit_test(test_recv_at_limit),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
