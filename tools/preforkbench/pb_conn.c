/* pb_conn: one connection's state machine (see pb_conn.h; the design is
 * told in docs/preforkbench.md, "How it works"). */
#include "pb_conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void pb_conn_start(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now);

/* ---- the decisions (pure) ---- */

/* EINTR retries; EAGAIN waits; every other error is the peer's doing as
 * far as the request is concerned (`reset`). */
pb_conn_io_t pb_conn_io(ssize_t n, int err)
{
    if (n > 0)
        return PB_CONN_IO_DATA;
    if (n == 0)
        return PB_CONN_IO_EOF;
    if (err == EINTR)
        return PB_CONN_IO_RETRY;
    if (err == EAGAIN || err == EWOULDBLOCK)
        return PB_CONN_IO_WAIT;
    return PB_CONN_IO_ERROR;
}

/* http: 2xx and 3xx are ok; echo and msg have no status to fail. */
int pb_conn_judge(bool http, int code)
{
    return http && (code < 200 || code > 399) ? (int)PB_FAIL_STATUS : PB_CONN_OK;
}

/* `closed` and `short` tell a server that dropped the request from one
 * that died while answering it. */
pb_fail_t pb_conn_eof_kind(uint64_t reply_bytes)
{
    return reply_bytes == 0 ? PB_FAIL_CLOSED : PB_FAIL_SHORT;
}

/* The connection after a reply (see pb_conn.h). */
pb_conn_after_t pb_conn_after(int kind, bool http, bool close_after, bool at_eof, bool close_opt,
                              bool all_sent)
{
    if (kind == PB_CONN_OK && http && close_after && !at_eof)
        return PB_CONN_WAIT_FIN;
    if (kind != PB_CONN_OK || at_eof || close_opt || close_after || !all_sent)
        return PB_CONN_DROP;
    return PB_CONN_KEEP;
}

/* The figures the engine counts, taken from c as its request ends. */
void pb_conn_outcome(const struct pb_conn *c, int64_t now, int kind, int code,
                     struct pb_conn_outcome *out)
{
    *out = (struct pb_conn_outcome){
        .kind = kind,
        .code = code,
        .start_ns = c->start_ns,
        .latency_ns = now > c->start_ns ? (uint64_t)(now - c->start_ns) : 0,
        .bytes_out = c->sent,
        .bytes_in = c->bytes_in,
        .new_conn = c->new_conn,
    };
}

/* One counted request into t (status codes out of 100..599 are not kept
 * one by one; latencies are of ok requests only). */
void pb_conn_account(struct pb_counts *t, const struct pb_conn_outcome *out)
{
    t->bytes_out += out->bytes_out;
    t->bytes_in += out->bytes_in;
    t->connects += out->new_conn;
    if (out->code >= PB_STATUS_MIN && out->code <= PB_STATUS_MAX)
        t->status[out->code - PB_STATUS_MIN]++;
    if (out->kind == PB_CONN_OK) {
        t->ok++;
        pb_hist_record(&t->latency, out->latency_ns);
    } else {
        t->failed[out->kind]++;
    }
}

/* ---- timers ---- */

/* The connection a timer of the heap belongs to. */
static struct pb_conn *pb_conn_of(pb_timer_t *t)
{
    return (struct pb_conn *)((char *)t - offsetof(struct pb_conn, timer));
}

/* Set c's timer (PB_TIMER_NEVER: none), keeping the heap in order. */
static void pb_conn_set_timer(pb_conn_ctx_t *x, struct pb_conn *c, int64_t t)
{
    pb_timer_set(&x->timers, &c->timer, t);
}

/* ---- socket helpers ---- */

/* Close c's socket (which also leaves the epoll set). */
void pb_conn_close(struct pb_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->want_out = false;
}

/* Watch EPOLLOUT too (out) or EPOLLIN only. */
static void pb_conn_want_out(pb_conn_ctx_t *x, struct pb_conn *c, bool out)
{
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};

    if (c->want_out == out)
        return;
    c->want_out = out;
    epoll_ctl(x->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* ---- a request ends ---- */

/* What comes after a request: its successor now or when the engine says,
 * nothing once the run is over. backoff: a connect just failed. Starts
 * are deferred through the timer while a start is under way, so failures
 * cannot recurse. */
static void pb_conn_next(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now, bool backoff)
{
    int64_t when;

    c->state = PB_CONN_IDLE;
    when = x->next(x->arg, c, now, backoff);
    if (when <= now && !x->starting)
        pb_conn_start(x, c, now);
    else
        pb_conn_set_timer(x, c, when);
}

/* Hand the request's outcome to the engine to count. */
static void pb_conn_count(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now, int kind, int code)
{
    struct pb_conn_outcome out;

    pb_conn_outcome(c, now, kind, code, &out);
    x->count(x->arg, &out, now);
}

/* The request failed with kind: count it, close, go on. */
static void pb_conn_fail(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now, pb_fail_t kind)
{
    pb_conn_count(x, c, now, (int)kind, 0);
    pb_conn_close(c);
    pb_conn_next(x, c, now, kind == PB_FAIL_CONNECT);
}

/* A complete reply: ok or `status`; then keep the connection, close it,
 * or (the server announced it closes) wait for its FIN so that the
 * server, not us, holds the TIME_WAIT. at_eof: the reply ended with EOF. */
static void pb_conn_done(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now, bool at_eof)
{
    const struct pb_conn_plan *p = x->plan;
    int code = c->reply.status_code;
    bool http = p->o->proto == PB_PROTO_HTTP;
    int kind = pb_conn_judge(http, code);

    pb_conn_count(x, c, now, kind, code);
    switch (pb_conn_after(kind, http, c->reply.close_after, at_eof, p->o->close,
                          c->sent >= p->req_len)) {
    case PB_CONN_WAIT_FIN:
        pb_conn_want_out(x, c, false);
        c->state = PB_CONN_CLOSING;
        pb_conn_set_timer(x, c, now + p->timeout_ns);
        return;
    case PB_CONN_DROP: pb_conn_close(c); break;
    case PB_CONN_KEEP: break;
    }
    pb_conn_next(x, c, now, false);
}

/* The server closed: a reply running to EOF is done; else closed or short. */
static void pb_conn_eof(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now)
{
    if (pb_reply_eof(&c->reply) == PB_REPLY_DONE)
        pb_conn_done(x, c, now, true);
    else
        pb_conn_fail(x, c, now, pb_conn_eof_kind(c->reply.total_bytes));
}

/* ---- sending and receiving ---- */

/* Read what has arrived and feed it to the reply until it is judged or
 * the socket is drained. Bytes beyond the reply make it malformed. */
static void pb_conn_recv(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now)
{
    for (;;) {
        ssize_t n = recv(c->fd, x->rbuf, PB_CONN_RECV_BUF, 0);
        size_t used = 0;
        pb_reply_status_t st;

        switch (pb_conn_io(n, errno)) {
        case PB_CONN_IO_RETRY: continue;
        case PB_CONN_IO_WAIT: return;
        case PB_CONN_IO_EOF: pb_conn_eof(x, c, now); return;
        case PB_CONN_IO_ERROR: pb_conn_fail(x, c, now, PB_FAIL_RESET); return;
        case PB_CONN_IO_DATA: break;
        }
        c->bytes_in += (uint64_t)n;
        st = pb_reply_feed(&c->reply, x->rbuf, (size_t)n, &used);
        if (st == PB_REPLY_MORE)
            continue;
        if (st == PB_REPLY_DONE && used == (size_t)n)
            pb_conn_done(x, c, now, false);
        else
            pb_conn_fail(x, c, now, PB_FAIL_MALFORMED);
        return;
    }
}

/* Send what is left of the request; wait for EPOLLOUT if the socket is
 * full. ECONNRESET, EPIPE (and any other send error) fail as `reset`. */
static void pb_conn_send(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now)
{
    const struct pb_conn_plan *p = x->plan;

    while (c->sent < p->req_len) {
        ssize_t n = send(c->fd, p->req + c->sent, p->req_len - c->sent, MSG_NOSIGNAL);

        switch (pb_conn_io(n, errno)) {
        case PB_CONN_IO_DATA: c->sent += (size_t)n; break;
        case PB_CONN_IO_WAIT: pb_conn_want_out(x, c, true); return;
        case PB_CONN_IO_ERROR: pb_conn_fail(x, c, now, PB_FAIL_RESET); return;
        case PB_CONN_IO_RETRY: /* interrupted, or nothing sent: again */
        case PB_CONN_IO_EOF: break;
        }
    }
    pb_conn_want_out(x, c, false);
}

/* ---- connecting ---- */

/* Open a non-blocking TCP_NODELAY socket and start connecting; EPOLLOUT
 * tells the outcome (pb_conn_connected). */
static void pb_conn_connect(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now)
{
    const struct pf_addr *a = &x->plan->o->addr;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT};
    int one = 1, fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        pb_conn_fail(x, c, now, PB_FAIL_CONNECT);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ev.data.ptr = c;
    if ((connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 && errno != EINPROGRESS) ||
        epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        pb_conn_fail(x, c, now, PB_FAIL_CONNECT);
        return;
    }
    c->fd = fd;
    c->want_out = true;
    c->new_conn = true;
    c->state = PB_CONN_CONNECTING;
}

/* EPOLLOUT (or an error) on a connecting socket: connected, or `connect`. */
static void pb_conn_connected(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        pb_conn_fail(x, c, now, PB_FAIL_CONNECT);
        return;
    }
    c->state = PB_CONN_ACTIVE;
    pb_conn_send(x, c, now);
}

/* ---- a request starts ---- */

/* Expect the reply to the request about to be sent. */
static void pb_conn_expect(const struct pb_conn_plan *p, struct pb_conn *c)
{
    switch (p->o->proto) {
    case PB_PROTO_HTTP: pb_reply_start_http(&c->reply, p->o->head); break;
    case PB_PROTO_ECHO: pb_reply_start_echo(&c->reply, p->expect, p->expect_len); break;
    case PB_PROTO_MSG: pb_reply_start_msg(&c->reply, p->expect, p->expect_len); break;
    }
}

/* A new request on c: its latency origin (the due time in the open loop,
 * now in the closed loop: the send, or the connect when there is no
 * connection), its deadline, then connect or send. */
static void pb_conn_start(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now)
{
    const struct pb_conn_plan *p = x->plan;

    x->starting = true;
    c->seq++;
    c->start_ns = p->open_loop ? c->due_ns : now;
    c->sent = 0;
    c->bytes_in = 0;
    c->new_conn = false;
    pb_conn_expect(p, c);
    pb_conn_set_timer(x, c, now + p->timeout_ns);
    if (c->fd < 0) {
        pb_conn_connect(x, c, now);
    } else {
        c->state = PB_CONN_ACTIVE;
        pb_conn_send(x, c, now);
    }
    x->starting = false;
}

/* ---- between requests ---- */

/* Bytes or EOF between requests (a keep-alive connection the server
 * closed, or stray bytes): drop the connection, no request is hurt. */
static void pb_conn_idle_event(struct pb_conn *c)
{
    unsigned char b;
    ssize_t n = recv(c->fd, &b, 1, MSG_DONTWAIT);

    if (pb_conn_io(n, errno) == PB_CONN_IO_WAIT)
        return;
    pb_conn_close(c);
}

/* CLOSING: discard until the server's FIN, then close and go on. */
static void pb_conn_drain(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now)
{
    for (;;) {
        ssize_t n = recv(c->fd, x->rbuf, PB_CONN_RECV_BUF, 0);

        switch (pb_conn_io(n, errno)) {
        case PB_CONN_IO_DATA:
        case PB_CONN_IO_RETRY: continue;
        case PB_CONN_IO_WAIT: return;
        case PB_CONN_IO_EOF:
        case PB_CONN_IO_ERROR: break;
        }
        pb_conn_close(c);
        pb_conn_next(x, c, now, false);
        return;
    }
}

/* ---- the entry points ---- */

/* A fresh connection: closed, idle, its timer in the heap but unset. */
int pb_conn_init(pb_conn_ctx_t *x, struct pb_conn *c)
{
    *c = (struct pb_conn){.fd = -1, .state = PB_CONN_IDLE};
    return pb_timer_push(&x->timers, &c->timer, PB_TIMER_NEVER);
}

/* The engine sets the first start (the later ones come from its hook). */
void pb_conn_schedule(pb_conn_ctx_t *x, struct pb_conn *c, int64_t start_ns)
{
    pb_conn_set_timer(x, c, start_ns);
}

/* Connecting or active: a request is under way. */
bool pb_conn_in_flight(const struct pb_conn *c)
{
    return c->state == PB_CONN_CONNECTING || c->state == PB_CONN_ACTIVE;
}

/* epoll reported events on c's socket: act as its state says. An event
 * seen after the request ended (seq changed) is not applied to the next. */
void pb_conn_event(pb_conn_ctx_t *x, struct pb_conn *c, uint32_t events, int64_t now)
{
    uint64_t seq = c->seq;

    switch (c->state) {
    case PB_CONN_CONNECTING:
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            pb_conn_connected(x, c, now);
        break;
    case PB_CONN_ACTIVE:
        if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            pb_conn_recv(x, c, now);
        if (c->seq == seq && c->state == PB_CONN_ACTIVE && (events & EPOLLOUT))
            pb_conn_send(x, c, now);
        break;
    case PB_CONN_CLOSING: pb_conn_drain(x, c, now); break;
    case PB_CONN_IDLE:
        if (c->fd >= 0)
            pb_conn_idle_event(c);
        break;
    }
}

/* c's timer is due: start its request, or fail it (connect, timeout), or
 * give up waiting for a FIN. */
static void pb_conn_timer(pb_conn_ctx_t *x, struct pb_conn *c, int64_t now)
{
    switch (c->state) {
    case PB_CONN_IDLE: pb_conn_start(x, c, now); break;
    case PB_CONN_CONNECTING: pb_conn_fail(x, c, now, PB_FAIL_CONNECT); break;
    case PB_CONN_ACTIVE: pb_conn_fail(x, c, now, PB_FAIL_TIMEOUT); break;
    case PB_CONN_CLOSING:
        pb_conn_close(c);
        pb_conn_next(x, c, now, false);
        break;
    }
}

/* Handle every due timer, earliest first (each handling moves its timer
 * on, so the loop ends). */
void pb_conn_timers(pb_conn_ctx_t *x, int64_t now)
{
    pb_timer_t *t;

    while ((t = pb_timer_peek(&x->timers)) != NULL && t->when_ns <= now)
        pb_conn_timer(x, pb_conn_of(t), now);
}
