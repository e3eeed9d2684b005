/* Unit tests for pb_conn: the pure decisions of a connection (what a
 * send/recv result means, the verdict on a reply, the connection after it,
 * the accounting of an outcome), then the state machine itself driven over
 * a local socketpair standing in for the server (no network, no threads):
 * ok, keep-alive, malformed, closed, short, timeout, status, the wait for
 * the server's FIN, the open-loop latency origin. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pb_conn.h"
#include "pb_engine.h"

#define TIMEOUT_NS 1000

/* ---- the pure decisions ---- */

/* Bytes, EOF, EINTR, EAGAIN and every other errno. */
static void test_io(void **state)
{
    (void)state;
    assert_int_equal(pb_conn_io(1, 0), PB_CONN_IO_DATA);
    assert_int_equal(pb_conn_io(65536, EAGAIN), PB_CONN_IO_DATA); /* errno ignored */
    assert_int_equal(pb_conn_io(0, 0), PB_CONN_IO_EOF);
    assert_int_equal(pb_conn_io(-1, EINTR), PB_CONN_IO_RETRY);
    assert_int_equal(pb_conn_io(-1, EAGAIN), PB_CONN_IO_WAIT);
    assert_int_equal(pb_conn_io(-1, EWOULDBLOCK), PB_CONN_IO_WAIT);
    assert_int_equal(pb_conn_io(-1, ECONNRESET), PB_CONN_IO_ERROR);
    assert_int_equal(pb_conn_io(-1, EPIPE), PB_CONN_IO_ERROR);
    assert_int_equal(pb_conn_io(-1, ETIMEDOUT), PB_CONN_IO_ERROR);
    assert_int_equal(pb_conn_io(-1, EBADF), PB_CONN_IO_ERROR);
}

/* http: 2xx and 3xx ok, the rest `status`; echo/msg always ok. */
static void test_judge(void **state)
{
    static const int ok[] = {200, 204, 206, 299, 300, 301, 304, 399};
    static const int bad[] = {0, 100, 101, 199, 400, 404, 499, 500, 503, 599};

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int_equal(pb_conn_judge(true, ok[i]), PB_CONN_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(pb_conn_judge(true, bad[i]), PB_FAIL_STATUS);
    assert_int_equal(pb_conn_judge(false, 0), PB_CONN_OK);
    assert_int_equal(pb_conn_judge(false, 500), PB_CONN_OK);
}

/* Nothing of the reply: closed; some of it: short. */
static void test_eof_kind(void **state)
{
    (void)state;
    assert_int_equal(pb_conn_eof_kind(0), PB_FAIL_CLOSED);
    assert_int_equal(pb_conn_eof_kind(1), PB_FAIL_SHORT);
    assert_int_equal(pb_conn_eof_kind(UINT64_MAX), PB_FAIL_SHORT);
}

/* The connection after a reply, case by case. */
static void test_after(void **state)
{
    const int ok = PB_CONN_OK, st = PB_FAIL_STATUS;

    (void)state;
    /* kind, http, close_after, at_eof, --close, all sent */
    assert_int_equal(pb_conn_after(ok, true, false, false, false, true), PB_CONN_KEEP);
    assert_int_equal(pb_conn_after(ok, false, false, false, false, true), PB_CONN_KEEP);
    assert_int_equal(pb_conn_after(ok, true, true, false, false, true), PB_CONN_WAIT_FIN);
    assert_int_equal(pb_conn_after(ok, true, true, false, true, true), PB_CONN_WAIT_FIN);
    assert_int_equal(pb_conn_after(ok, true, true, true, false, true), PB_CONN_DROP);
    assert_int_equal(pb_conn_after(ok, true, false, true, false, true), PB_CONN_DROP);
    assert_int_equal(pb_conn_after(ok, true, false, false, true, true), PB_CONN_DROP);
    assert_int_equal(pb_conn_after(ok, false, false, false, true, true), PB_CONN_DROP);
    assert_int_equal(pb_conn_after(ok, true, false, false, false, false), PB_CONN_DROP);
    assert_int_equal(pb_conn_after(st, true, false, false, false, true), PB_CONN_DROP);
    assert_int_equal(pb_conn_after(st, true, true, false, false, true), PB_CONN_DROP);
}

/* The outcome's figures come from the connection; a clock that went
 * backwards gives latency 0. */
static void test_outcome(void **state)
{
    struct pb_conn c = {.start_ns = 1000, .sent = 40, .bytes_in = 300, .new_conn = true};
    struct pb_conn_outcome out;

    (void)state;
    pb_conn_outcome(&c, 1750, PB_CONN_OK, 200, &out);
    assert_int_equal(out.kind, PB_CONN_OK);
    assert_int_equal(out.code, 200);
    assert_int_equal(out.start_ns, 1000);
    assert_int_equal(out.latency_ns, 750);
    assert_int_equal(out.bytes_out, 40);
    assert_int_equal(out.bytes_in, 300);
    assert_true(out.new_conn);
    pb_conn_outcome(&c, 999, PB_FAIL_TIMEOUT, 0, &out);
    assert_int_equal(out.latency_ns, 0);
    assert_int_equal(out.kind, PB_FAIL_TIMEOUT);
}

/* ok adds its latency; a failure its kind; status codes in 100..599 only;
 * bytes and connects always. */
static void test_account(void **state)
{
    struct pb_counts *t = calloc(1, sizeof(*t));
    struct pb_conn_outcome ok = {.kind = PB_CONN_OK,
                                 .code = 200,
                                 .latency_ns = 5000,
                                 .bytes_out = 10,
                                 .bytes_in = 100,
                                 .new_conn = true};
    struct pb_conn_outcome bad = {
        .kind = PB_FAIL_STATUS, .code = 503, .bytes_out = 10, .bytes_in = 50};
    struct pb_conn_outcome odd = {.kind = PB_FAIL_MALFORMED, .code = 600};

    (void)state;
    assert_non_null(t);
    pb_hist_init(&t->latency);
    pb_conn_account(t, &ok);
    pb_conn_account(t, &ok);
    pb_conn_account(t, &bad);
    pb_conn_account(t, &odd);
    assert_int_equal(t->ok, 2);
    assert_int_equal(t->failed[PB_FAIL_STATUS], 1);
    assert_int_equal(t->failed[PB_FAIL_MALFORMED], 1);
    assert_int_equal(t->status[200 - PB_STATUS_MIN], 2);
    assert_int_equal(t->status[503 - PB_STATUS_MIN], 1);
    assert_int_equal(t->bytes_out, 30);
    assert_int_equal(t->bytes_in, 250);
    assert_int_equal(t->connects, 2);
    assert_int_equal(t->latency.total, 2);
    assert_int_equal(t->latency.min, 5000);
    assert_int_equal(t->unfinished, 0);
    free(t);
}

/* ---- the state machine over a socketpair ---- */

/* One connection, its context, the server's end, and what the hooks saw. */
struct fx {
    struct pb_opts o;
    struct pb_conn_plan plan;
    pb_conn_ctx_t x;
    pb_timer_t *slots[1];
    struct pb_conn c;
    unsigned char *req;
    int peer;                    /* the server's end of the socketpair */
    int counted;                 /* count hook calls */
    struct pb_conn_outcome last; /* the last outcome counted */
    int nexts;                   /* next hook calls */
    bool backoff;                /* the last next hook's backoff */
    int64_t next_at;             /* what the next hook answers */
    unsigned char rbuf[PB_CONN_RECV_BUF];
};

/* The count hook: note the outcome. */
static void fx_count(void *arg, const struct pb_conn_outcome *out, int64_t now)
{
    struct fx *f = arg;

    (void)now;
    f->counted++;
    f->last = *out;
}

/* The next hook: note the call, answer next_at. */
static int64_t fx_next(void *arg, struct pb_conn *c, int64_t now, bool backoff)
{
    struct fx *f = arg;

    (void)c;
    (void)now;
    f->nexts++;
    f->backoff = backoff;
    return f->next_at;
}

/* A connection for proto, already connected to f->peer (pb_conn_init
 * leaves it closed; the socketpair stands in for a connect). */
static struct fx *fx_new(pb_proto_t proto, bool close_opt)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct epoll_event ev = {.events = EPOLLIN};
    size_t len;
    int sv[2];

    assert_non_null(f);
    pb_opts_defaults(&f->o);
    f->o.proto = proto;
    f->o.close = close_opt;
    f->o.size = 16;
    strcpy(f->o.target, "127.0.0.1:1");
    assert_int_equal(pb_engine_request(&f->o, &f->req, &len), 0);
    f->plan = (struct pb_conn_plan){
        .o = &f->o,
        .req = f->req,
        .req_len = len,
        .expect = proto == PB_PROTO_MSG ? f->req + 4 : f->req,
        .expect_len = proto == PB_PROTO_MSG ? f->o.size : len,
        .timeout_ns = TIMEOUT_NS,
    };
    f->x = (pb_conn_ctx_t){.plan = &f->plan,
                           .epfd = epoll_create1(EPOLL_CLOEXEC),
                           .rbuf = f->rbuf,
                           .next = fx_next,
                           .count = fx_count,
                           .arg = f};
    f->next_at = PB_TIMER_NEVER;
    pb_timer_heap_init(&f->x.timers, f->slots, 1);
    assert_int_equal(pb_conn_init(&f->x, &f->c), 0);
    assert_int_equal(f->c.fd, -1);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    f->c.fd = sv[0];
    f->peer = sv[1];
    ev.data.ptr = &f->c;
    assert_int_equal(epoll_ctl(f->x.epfd, EPOLL_CTL_ADD, f->c.fd, &ev), 0);
    return f;
}

/* Close everything the fixture holds. */
static void fx_free(struct fx *f)
{
    pb_conn_close(&f->c);
    if (f->peer >= 0)
        close(f->peer);
    close(f->x.epfd);
    free(f->req);
    free(f);
}

/* Start a request at now (its timer falls due) and check the server got
 * exactly the request. */
static void fx_start(struct fx *f, int64_t now)
{
    unsigned char buf[4096];

    pb_conn_schedule(&f->x, &f->c, now);
    pb_conn_timers(&f->x, now);
    assert_int_equal(f->c.state, PB_CONN_ACTIVE);
    assert_true(pb_conn_in_flight(&f->c));
    assert_true(pb_timer_next_ns(&f->x.timers) == now + TIMEOUT_NS);
    assert_int_equal(recv(f->peer, buf, sizeof(buf), 0), (ssize_t)f->plan.req_len);
    assert_memory_equal(buf, f->req, f->plan.req_len);
}

/* The server sends s (its length), then closes if eof. */
static void fx_reply(struct fx *f, const void *s, size_t len, bool eof)
{
    if (len > 0)
        assert_int_equal(send(f->peer, s, len, 0), (ssize_t)len);
    if (eof) {
        close(f->peer);
        f->peer = -1;
    }
}

/* The server echoes the line: ok at the latency from the start, the
 * connection kept for the next request, which the engine puts off. */
static void test_echo_ok(void **state)
{
    struct fx *f = fx_new(PB_PROTO_ECHO, false);

    (void)state;
    fx_start(f, 100);
    fx_reply(f, f->req, f->plan.req_len, false);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    assert_int_equal(f->counted, 1);
    assert_int_equal(f->last.kind, PB_CONN_OK);
    assert_int_equal(f->last.latency_ns, 50);
    assert_int_equal(f->last.bytes_out, f->plan.req_len);
    assert_int_equal(f->last.bytes_in, f->plan.req_len);
    assert_false(f->last.new_conn);
    assert_int_equal(f->nexts, 1);
    assert_false(f->backoff);
    assert_int_equal(f->c.state, PB_CONN_IDLE);
    assert_true(f->c.fd >= 0);
    assert_true(pb_timer_next_ns(&f->x.timers) == PB_TIMER_NEVER);
    fx_free(f);
}

/* The engine says the next request is due already: it starts at once on
 * the same connection. */
static void test_next_at_once(void **state)
{
    struct fx *f = fx_new(PB_PROTO_MSG, false);
    unsigned char buf[4096];

    (void)state;
    fx_start(f, 100);
    f->next_at = 120;
    fx_reply(f, f->req, f->plan.req_len, false);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    assert_int_equal(f->counted, 1);
    assert_int_equal(f->last.kind, PB_CONN_OK);
    assert_int_equal(f->c.state, PB_CONN_ACTIVE);
    assert_int_equal(f->c.seq, 2);
    assert_int_equal(f->c.start_ns, 150); /* closed loop: from the send */
    assert_true(pb_timer_next_ns(&f->x.timers) == 150 + TIMEOUT_NS);
    assert_int_equal(recv(f->peer, buf, sizeof(buf), 0), (ssize_t)f->plan.req_len);
    fx_free(f);
}

/* Open loop: the latency is measured from the due time, not the send. */
static void test_open_loop_origin(void **state)
{
    struct fx *f = fx_new(PB_PROTO_ECHO, false);

    (void)state;
    f->plan.open_loop = true;
    f->c.due_ns = 60;
    fx_start(f, 100);
    assert_int_equal(f->c.start_ns, 60);
    fx_reply(f, f->req, f->plan.req_len, false);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    assert_int_equal(f->last.latency_ns, 90);
    fx_free(f);
}

/* Not the bytes sent: malformed, the connection dropped. */
static void test_echo_wrong(void **state)
{
    struct fx *f = fx_new(PB_PROTO_ECHO, false);
    char *bad = malloc(f->plan.req_len);

    (void)state;
    assert_non_null(bad);
    memcpy(bad, f->req, f->plan.req_len);
    bad[0] ^= 1;
    fx_start(f, 100);
    fx_reply(f, bad, f->plan.req_len, false);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    assert_int_equal(f->counted, 1);
    assert_int_equal(f->last.kind, PB_FAIL_MALFORMED);
    assert_int_equal(f->c.fd, -1);
    assert_int_equal(f->c.state, PB_CONN_IDLE);
    free(bad);
    fx_free(f);
}

/* Bytes after the reply, in the same read: malformed. */
static void test_bytes_after(void **state)
{
    struct fx *f = fx_new(PB_PROTO_ECHO, false);
    unsigned char *more = malloc(f->plan.req_len + 1);

    (void)state;
    assert_non_null(more);
    memcpy(more, f->req, f->plan.req_len);
    more[f->plan.req_len] = 'x';
    fx_start(f, 100);
    fx_reply(f, more, f->plan.req_len + 1, false);
    free(more);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    assert_int_equal(f->last.kind, PB_FAIL_MALFORMED);
    assert_int_equal(f->c.fd, -1);
    fx_free(f);
}

/* The server closes before any byte: closed; after some: short. */
static void test_closed_and_short(void **state)
{
    struct fx *f = fx_new(PB_PROTO_ECHO, false);

    (void)state;
    fx_start(f, 100);
    fx_reply(f, NULL, 0, true);
    pb_conn_event(&f->x, &f->c, EPOLLIN | EPOLLHUP, 150);
    assert_int_equal(f->last.kind, PB_FAIL_CLOSED);
    assert_int_equal(f->c.fd, -1);
    assert_false(f->backoff);
    fx_free(f);

    f = fx_new(PB_PROTO_ECHO, false);
    fx_start(f, 100);
    fx_reply(f, f->req, 3, true);
    pb_conn_event(&f->x, &f->c, EPOLLIN | EPOLLHUP, 150);
    assert_int_equal(f->last.kind, PB_FAIL_SHORT);
    assert_int_equal(f->last.bytes_in, 3);
    fx_free(f);
}

/* No reply by the deadline: timeout, the connection dropped. */
static void test_timeout(void **state)
{
    struct fx *f = fx_new(PB_PROTO_ECHO, false);

    (void)state;
    fx_start(f, 100);
    pb_conn_timers(&f->x, 100 + TIMEOUT_NS - 1);
    assert_int_equal(f->counted, 0);
    pb_conn_timers(&f->x, 100 + TIMEOUT_NS);
    assert_int_equal(f->counted, 1);
    assert_int_equal(f->last.kind, PB_FAIL_TIMEOUT);
    assert_int_equal(f->last.latency_ns, TIMEOUT_NS);
    assert_int_equal(f->c.fd, -1);
    assert_false(pb_conn_in_flight(&f->c));
    fx_free(f);
}

/* http 500: `status` with its code, the connection dropped. */
static void test_http_status(void **state)
{
    static const char r[] = "HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nno";
    struct fx *f = fx_new(PB_PROTO_HTTP, false);

    (void)state;
    fx_start(f, 100);
    fx_reply(f, r, sizeof(r) - 1, false);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    assert_int_equal(f->last.kind, PB_FAIL_STATUS);
    assert_int_equal(f->last.code, 500);
    assert_int_equal(f->last.bytes_in, sizeof(r) - 1);
    assert_int_equal(f->c.fd, -1);
    fx_free(f);
}

/* http keep-alive: ok, the connection kept; the server then closes it
 * while idle, which drops it without counting anything. */
static void test_http_keepalive_idle_close(void **state)
{
    static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    struct fx *f = fx_new(PB_PROTO_HTTP, false);

    (void)state;
    fx_start(f, 100);
    fx_reply(f, r, sizeof(r) - 1, false);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    assert_int_equal(f->last.kind, PB_CONN_OK);
    assert_int_equal(f->last.code, 200);
    assert_true(f->c.fd >= 0);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 160); /* nothing there: kept */
    assert_true(f->c.fd >= 0);
    fx_reply(f, NULL, 0, true);
    pb_conn_event(&f->x, &f->c, EPOLLIN | EPOLLHUP, 170);
    assert_int_equal(f->c.fd, -1);
    assert_int_equal(f->counted, 1);
    assert_int_equal(f->nexts, 1);
    fx_free(f);
}

/* --close: the connection is dropped after an ok reply. */
static void test_http_close_opt(void **state)
{
    static const char r[] = "HTTP/1.1 204 No Content\r\n\r\n";
    struct fx *f = fx_new(PB_PROTO_HTTP, true);

    (void)state;
    fx_start(f, 100);
    fx_reply(f, r, sizeof(r) - 1, false);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    assert_int_equal(f->last.kind, PB_CONN_OK);
    assert_int_equal(f->c.fd, -1);
    fx_free(f);
}

/* "Connection: close": ok, then wait for the server's FIN (closing, with
 * a deadline); the FIN closes the connection and the next request goes
 * on. */
static void test_http_wait_fin(void **state)
{
    static const char r[] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    struct fx *f = fx_new(PB_PROTO_HTTP, false);

    (void)state;
    fx_start(f, 100);
    fx_reply(f, r, sizeof(r) - 1, false);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    assert_int_equal(f->last.kind, PB_CONN_OK);
    assert_int_equal(f->c.state, PB_CONN_CLOSING);
    assert_false(pb_conn_in_flight(&f->c));
    assert_true(pb_timer_next_ns(&f->x.timers) == 150 + TIMEOUT_NS);
    assert_int_equal(f->nexts, 0);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 160); /* no FIN yet */
    assert_int_equal(f->c.state, PB_CONN_CLOSING);
    fx_reply(f, NULL, 0, true);
    pb_conn_event(&f->x, &f->c, EPOLLIN | EPOLLHUP, 170);
    assert_int_equal(f->c.fd, -1);
    assert_int_equal(f->c.state, PB_CONN_IDLE);
    assert_int_equal(f->nexts, 1);
    assert_int_equal(f->counted, 1);
    fx_free(f);
}

/* No FIN by the deadline: give up waiting, close, go on (not a failure). */
static void test_http_fin_timeout(void **state)
{
    static const char r[] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    struct fx *f = fx_new(PB_PROTO_HTTP, false);

    (void)state;
    fx_start(f, 100);
    fx_reply(f, r, sizeof(r) - 1, false);
    pb_conn_event(&f->x, &f->c, EPOLLIN, 150);
    pb_conn_timers(&f->x, 150 + TIMEOUT_NS);
    assert_int_equal(f->c.fd, -1);
    assert_int_equal(f->c.state, PB_CONN_IDLE);
    assert_int_equal(f->counted, 1);
    assert_int_equal(f->nexts, 1);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_eof_kind),
        cmocka_unit_test(test_after),
        cmocka_unit_test(test_outcome),
        cmocka_unit_test(test_account),
        cmocka_unit_test(test_echo_ok),
        cmocka_unit_test(test_next_at_once),
        cmocka_unit_test(test_open_loop_origin),
        cmocka_unit_test(test_echo_wrong),
        cmocka_unit_test(test_bytes_after),
        cmocka_unit_test(test_closed_and_short),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_http_status),
        cmocka_unit_test(test_http_keepalive_idle_close),
        cmocka_unit_test(test_http_close_opt),
        cmocka_unit_test(test_http_wait_fin),
        cmocka_unit_test(test_http_fin_timeout),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
