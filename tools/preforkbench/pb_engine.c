/* pb_engine: threads, epoll, one state machine per connection, timers,
 * counting. The design is told in docs/preforkbench.md, "How it works". */
#include "pb_engine.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pb_reply.h"

#define PB_NS_PER_S 1000000000LL
#define PB_NEVER INT64_MAX                  /* a timer that is not set */
#define PB_RECV_BUF (64 * 1024)             /* one recv(), per thread */
#define PB_EVENTS 256                       /* epoll events per wait */
#define PB_BACKOFF_NS (10 * 1000000LL)      /* closed loop: after a failed connect */
#define PB_LEAD_NS (20 * 1000000LL)         /* threads start together this long after setup */
#define PB_FD_SPARE 64                      /* descriptors beyond sockets and epolls */
#define PB_OK (-1)                          /* a request's outcome: ok, or a pb_fail_t */

/* Where a connection is in its request (docs: "How it works"). */
enum pb_conn_state {
    PB_IDLE,        /* no request: waiting for its start (due time, back-off) */
    PB_CONNECTING,  /* non-blocking connect in progress (EPOLLOUT tells) */
    PB_ACTIVE,      /* sending the request and/or receiving the reply */
    PB_CLOSING,     /* reply done, the server said it closes: wait for its FIN */
};

struct pb_worker;

/* One client connection and the request it carries. */
struct pb_conn {
    int fd;                    /* -1 when closed */
    enum pb_conn_state state;
    bool want_out;             /* EPOLLOUT is registered (connecting, send blocked) */
    bool new_conn;             /* this request opened the connection */
    size_t heap_pos;           /* index in the worker's timer heap */
    int64_t timer_ns;          /* deadline (in flight, closing) or start (idle) */
    int64_t start_ns;          /* latency origin: send or connect start, or due time */
    int64_t due_ns;            /* open loop: intended time of the current request */
    uint64_t seq;              /* requests started (tells a stale event) */
    size_t sent;               /* request bytes sent */
    uint64_t bytes_in;         /* reply bytes received */
    pb_reply_t reply;
};

/* What every thread shares: settings, the request, the clock marks, the
 * stop signal, the --csv series. Written only under its lock or atomically. */
struct pb_run {
    const struct pb_opts *o;
    unsigned char *req;        /* the request, prebuilt */
    size_t req_len;
    const unsigned char *expect; /* echo/msg: the bytes that must come back */
    size_t expect_len;
    int64_t t0_ns;             /* the load starts (warm-up first) */
    int64_t measure_ns;        /* the measured part starts */
    int64_t end_ns;            /* ... and ends */
    int64_t timeout_ns;
    int64_t period_ns;         /* open loop: per connection; 0 = closed loop */
    _Atomic uint64_t counted;  /* -n: requests counted so far */
    atomic_bool stop;          /* -n reached or SIGINT */
    _Atomic int64_t stop_ns;   /* when stop was set */
    int stop_fd;               /* eventfd, readable once stop is set */
    int done_fd;               /* eventfd, +1 per thread that ended */
    pthread_mutex_t lock;      /* seconds[] */
    struct pb_second *seconds; /* --csv, or NULL */
    size_t nseconds;
    struct pb_worker *workers;
    int nworkers;
};

/* One thread: its epoll, its connections, its counters. */
struct pb_worker {
    struct pb_run *run;
    pthread_t tid;
    bool running;              /* the thread was created */
    int epfd;
    struct pb_conn *conns;
    size_t nconns;
    size_t first;              /* run-wide index of conns[0] (schedule offsets) */
    struct pb_conn **heap;     /* timer min-heap over conns (all of them) */
    unsigned char *rbuf;       /* PB_RECV_BUF bytes */
    bool starting;             /* in pb_conn_start: defer further starts */
    struct pb_counts counts;
    struct pb_second *cur;     /* --csv: the second being filled */
    size_t cur_index;
    bool cur_used;
    _Atomic uint64_t shown_ok; /* for the progress line (relaxed) */
    _Atomic uint64_t shown_failed;
};

static void pb_conn_start(struct pb_worker *w, struct pb_conn *c, int64_t now);

/* ---- time ---- */

/* CLOCK_MONOTONIC in nanoseconds. pf_time has milliseconds only, too
 * coarse for latencies of tens of microseconds. */
static int64_t pb_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * PB_NS_PER_S + ts.tv_nsec;
}

/* Seconds (an option) to nanoseconds. */
static int64_t pb_ns(double seconds)
{
    return (int64_t)llround(seconds * (double)PB_NS_PER_S);
}

/* ---- the request ---- */

/* Printable filler: 'a'..'z' over and over. */
static void pb_fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)('a' + i % 26);
}

/* The http request of docs/preforkbench.md into a malloc'd string. */
static char *pb_http_request(const struct pb_opts *o, size_t *len)
{
    size_t size = strlen(o->path) + strlen(o->target) + 128;
    char *buf, *p;

    for (int i = 0; i < o->nheaders; i++)
        size += strlen(o->headers[i]) + 2;
    if ((buf = malloc(size)) == NULL)
        return NULL;
    p = buf + sprintf(buf, "%s %s HTTP/1.1\r\n", o->head ? "HEAD" : "GET", o->path);
    if (!o->host_header)
        p += sprintf(p, "Host: %s\r\n", o->target);
    for (int i = 0; i < o->nheaders; i++)
        p += sprintf(p, "%s\r\n", o->headers[i]);
    if (o->close)
        p += sprintf(p, "Connection: close\r\n");
    p += sprintf(p, "\r\n");
    *len = (size_t)(p - buf);
    return buf;
}

/* The request bytes, built once per run (see pb_engine.h). */
int pb_engine_request(const struct pb_opts *o, unsigned char **buf, size_t *len)
{
    size_t n = o->proto == PB_PROTO_MSG ? o->size + 4 : o->size;
    unsigned char *p;

    if (o->proto == PB_PROTO_HTTP) {
        *buf = (unsigned char *)pb_http_request(o, len);
        return *buf == NULL ? -1 : 0;
    }
    if ((p = malloc(n > 0 ? n : 1)) == NULL)
        return -1;
    if (o->proto == PB_PROTO_ECHO) {
        pb_fill(p, n - 1);
        p[n - 1] = '\n';
    } else {
        uint32_t s = (uint32_t)o->size;
        p[0] = (unsigned char)(s >> 24), p[1] = (unsigned char)(s >> 16);
        p[2] = (unsigned char)(s >> 8), p[3] = (unsigned char)s;
        pb_fill(p + 4, o->size);
    }
    *buf = p;
    *len = n;
    return 0;
}

/* ---- the timer heap: every connection, ordered by timer_ns ---- */

/* Exchange heap slots a and b, keeping heap_pos right. */
static void pb_heap_swap(struct pb_conn **h, size_t a, size_t b)
{
    struct pb_conn *t = h[a];

    h[a] = h[b];
    h[b] = t;
    h[a]->heap_pos = a;
    h[b]->heap_pos = b;
}

/* Move slot i up while it is earlier than its parent. */
static void pb_heap_up(struct pb_conn **h, size_t i)
{
    while (i > 0 && h[i]->timer_ns < h[(i - 1) / 2]->timer_ns) {
        pb_heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

/* Move slot i down while a child is earlier. */
static void pb_heap_down(struct pb_conn **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && h[l]->timer_ns < h[m]->timer_ns)
            m = l;
        if (l + 1 < n && h[l + 1]->timer_ns < h[m]->timer_ns)
            m = l + 1;
        if (m == i)
            return;
        pb_heap_swap(h, i, m);
        i = m;
    }
}

/* Set c's timer (PB_NEVER: none) and restore the heap order. */
static void pb_timer_set(struct pb_worker *w, struct pb_conn *c, int64_t t)
{
    int64_t old = c->timer_ns;

    c->timer_ns = t;
    if (t < old)
        pb_heap_up(w->heap, c->heap_pos);
    else if (t > old)
        pb_heap_down(w->heap, w->nconns, c->heap_pos);
}

/* ---- stopping and counting ---- */

/* Set the stop flag once, note when, wake every thread. */
static void pb_run_stop(struct pb_run *run, int64_t now)
{
    uint64_t one = 1;

    if (atomic_exchange(&run->stop, true))
        return;
    atomic_store(&run->stop_ns, now);
    if (write(run->stop_fd, &one, sizeof(one)) < 0) {
        /* cannot fail on an eventfd below its maximum; threads also wake on their timers */
    }
}

/* True once nothing more may be counted: the end, -n reached, SIGINT. */
static bool pb_run_over(struct pb_run *run, int64_t now)
{
    return now >= run->end_ns || atomic_load_explicit(&run->stop, memory_order_relaxed);
}

/* With -n, take one of the N places; false when all are taken. The taker
 * of the last one stops the run. */
static bool pb_run_take(struct pb_run *run, int64_t now)
{
    uint64_t n;

    if (run->o->requests == 0)
        return true;
    n = atomic_fetch_add(&run->counted, 1) + 1;
    if (n == run->o->requests)
        pb_run_stop(run, now);
    return n <= run->o->requests;
}

/* --csv: add the second being filled to the run's series (one lock a
 * second per thread), and start it afresh. */
static void pb_worker_flush_second(struct pb_worker *w)
{
    struct pb_second *dst = &w->run->seconds[w->cur_index], *src = w->cur;

    if (!w->cur_used)
        return;
    pthread_mutex_lock(&w->run->lock);
    dst->ok += src->ok;
    for (int k = 0; k < PB_FAIL_KINDS; k++)
        dst->failed[k] += src->failed[k];
    pb_hist_merge(&dst->latency, &src->latency);
    pthread_mutex_unlock(&w->run->lock);
    memset(src->failed, 0, sizeof(src->failed));
    src->ok = 0;
    pb_hist_init(&src->latency);
    w->cur_used = false;
}

/* --csv: count one outcome in the second it completed in. */
static void pb_worker_second(struct pb_worker *w, int64_t now, int kind, uint64_t ns)
{
    size_t i;

    if (w->cur == NULL)
        return;
    i = (size_t)((now - w->run->measure_ns) / PB_NS_PER_S);
    if (i >= w->run->nseconds)
        i = w->run->nseconds - 1;
    if (i != w->cur_index) {
        pb_worker_flush_second(w);
        w->cur_index = i;
    }
    w->cur_used = true;
    if (kind == PB_OK) {
        w->cur->ok++;
        pb_hist_record(&w->cur->latency, ns);
    } else {
        w->cur->failed[kind]++;
    }
}

/* The request on c ended at now with kind (PB_OK or a pb_fail_t); code is
 * the http status of a complete reply, else 0. Counted only if it started
 * in the measured part; unfinished if that part ended first. */
static void pb_worker_count(struct pb_worker *w, struct pb_conn *c, int64_t now, int kind, int code)
{
    struct pb_counts *t = &w->counts;
    uint64_t ns = now > c->start_ns ? (uint64_t)(now - c->start_ns) : 0;

    if (c->start_ns < w->run->measure_ns)
        return;
    if (pb_run_over(w->run, now) || !pb_run_take(w->run, now)) {
        t->unfinished++;
        return;
    }
    t->bytes_out += c->sent;
    t->bytes_in += c->bytes_in;
    t->connects += c->new_conn;
    if (code >= PB_STATUS_MIN && code <= PB_STATUS_MAX)
        t->status[code - PB_STATUS_MIN]++;
    if (kind == PB_OK) {
        t->ok++;
        pb_hist_record(&t->latency, ns);
        atomic_store_explicit(&w->shown_ok, t->ok, memory_order_relaxed);
    } else {
        t->failed[kind]++;
        atomic_fetch_add_explicit(&w->shown_failed, 1, memory_order_relaxed);
    }
    pb_worker_second(w, now, kind, ns);
}

/* ---- one connection ---- */

/* Close c's socket (which also leaves the epoll set). */
static void pb_conn_close(struct pb_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->want_out = false;
}

/* Watch EPOLLOUT too (out) or EPOLLIN only. */
static void pb_conn_want_out(struct pb_worker *w, struct pb_conn *c, bool out)
{
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};

    if (c->want_out == out)
        return;
    c->want_out = out;
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* What comes after a request: its successor now or when due, nothing once
 * the run is over. backoff: a connect just failed (closed loop waits
 * PB_BACKOFF_NS, so a dead server costs no CPU; the open loop keeps its
 * schedule, which paces it anyway). Starts are deferred through the timer
 * while a start is under way, so failures cannot recurse. */
static void pb_conn_next(struct pb_worker *w, struct pb_conn *c, int64_t now, bool backoff)
{
    struct pb_run *run = w->run;
    int64_t when;

    c->state = PB_IDLE;
    if (pb_run_over(run, now)) {
        pb_timer_set(w, c, PB_NEVER);
        return;
    }
    if (run->period_ns > 0)
        when = c->due_ns += run->period_ns;
    else
        when = backoff ? now + PB_BACKOFF_NS : now;
    if (when <= now && !w->starting)
        pb_conn_start(w, c, now);
    else
        pb_timer_set(w, c, when);
}

/* The request failed with kind: count it, close, go on. */
static void pb_conn_fail(struct pb_worker *w, struct pb_conn *c, int64_t now, pb_fail_t kind)
{
    pb_worker_count(w, c, now, (int)kind, 0);
    pb_conn_close(c);
    pb_conn_next(w, c, now, kind == PB_FAIL_CONNECT);
}

/* A complete reply: ok or `status`; then keep the connection, close it,
 * or (the server announced it closes) wait for its FIN so that the
 * server, not us, holds the TIME_WAIT. at_eof: the reply ended with EOF. */
static void pb_conn_done(struct pb_worker *w, struct pb_conn *c, int64_t now, bool at_eof)
{
    const struct pb_opts *o = w->run->o;
    int code = c->reply.status_code;
    bool http = o->proto == PB_PROTO_HTTP;
    int kind = http && (code < 200 || code > 399) ? (int)PB_FAIL_STATUS : PB_OK;

    pb_worker_count(w, c, now, kind, code);
    if (kind == PB_OK && http && c->reply.close_after && !at_eof) {
        pb_conn_want_out(w, c, false);
        c->state = PB_CLOSING;
        pb_timer_set(w, c, now + w->run->timeout_ns);
        return;
    }
    if (kind != PB_OK || at_eof || o->close || c->reply.close_after ||
        c->sent < w->run->req_len)
        pb_conn_close(c);
    pb_conn_next(w, c, now, false);
}

/* The server closed: a reply running to EOF is done; else closed or short. */
static void pb_conn_eof(struct pb_worker *w, struct pb_conn *c, int64_t now)
{
    if (pb_reply_eof(&c->reply) == PB_REPLY_DONE)
        pb_conn_done(w, c, now, true);
    else
        pb_conn_fail(w, c, now, c->reply.total_bytes == 0 ? PB_FAIL_CLOSED : PB_FAIL_SHORT);
}

/* Read what has arrived and feed it to the reply until it is judged or
 * the socket is drained. Bytes beyond the reply make it malformed. */
static void pb_conn_recv(struct pb_worker *w, struct pb_conn *c, int64_t now)
{
    for (;;) {
        ssize_t n = recv(c->fd, w->rbuf, PB_RECV_BUF, 0);
        size_t used = 0;
        pb_reply_status_t st;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            if (n == 0)
                pb_conn_eof(w, c, now);
            else
                pb_conn_fail(w, c, now, PB_FAIL_RESET);
            return;
        }
        c->bytes_in += (uint64_t)n;
        st = pb_reply_feed(&c->reply, w->rbuf, (size_t)n, &used);
        if (st == PB_REPLY_MORE)
            continue;
        if (st == PB_REPLY_DONE && used == (size_t)n)
            pb_conn_done(w, c, now, false);
        else
            pb_conn_fail(w, c, now, PB_FAIL_MALFORMED);
        return;
    }
}

/* Send what is left of the request; wait for EPOLLOUT if the socket is
 * full. ECONNRESET, EPIPE (and any other send error) fail as `reset`. */
static void pb_conn_send(struct pb_worker *w, struct pb_conn *c, int64_t now)
{
    const struct pb_run *run = w->run;

    while (c->sent < run->req_len) {
        ssize_t n = send(c->fd, run->req + c->sent, run->req_len - c->sent, MSG_NOSIGNAL);

        if (n > 0) {
            c->sent += (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            pb_conn_want_out(w, c, true);
            return;
        } else if (n < 0 && errno != EINTR) {
            pb_conn_fail(w, c, now, PB_FAIL_RESET);
            return;
        }
    }
    pb_conn_want_out(w, c, false);
}

/* Open a non-blocking TCP_NODELAY socket and start connecting; EPOLLOUT
 * tells the outcome (pb_conn_connected). */
static void pb_conn_connect(struct pb_worker *w, struct pb_conn *c, int64_t now)
{
    const struct pf_addr *a = &w->run->o->addr;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT};
    int one = 1, fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        pb_conn_fail(w, c, now, PB_FAIL_CONNECT);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ev.data.ptr = c;
    if ((connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 && errno != EINPROGRESS) ||
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        pb_conn_fail(w, c, now, PB_FAIL_CONNECT);
        return;
    }
    c->fd = fd;
    c->want_out = true;
    c->new_conn = true;
    c->state = PB_CONNECTING;
}

/* EPOLLOUT (or an error) on a connecting socket: connected, or `connect`. */
static void pb_conn_connected(struct pb_worker *w, struct pb_conn *c, int64_t now)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        pb_conn_fail(w, c, now, PB_FAIL_CONNECT);
        return;
    }
    c->state = PB_ACTIVE;
    pb_conn_send(w, c, now);
}

/* Expect the reply to the request about to be sent. */
static void pb_conn_expect(const struct pb_run *run, struct pb_conn *c)
{
    switch (run->o->proto) {
    case PB_PROTO_HTTP: pb_reply_start_http(&c->reply, run->o->head); break;
    case PB_PROTO_ECHO: pb_reply_start_echo(&c->reply, run->expect, run->expect_len); break;
    case PB_PROTO_MSG: pb_reply_start_msg(&c->reply, run->expect, run->expect_len); break;
    }
}

/* A new request on c: its latency origin (the due time in the open loop,
 * now in the closed loop: the send, or the connect when there is no
 * connection), its deadline, then connect or send. */
static void pb_conn_start(struct pb_worker *w, struct pb_conn *c, int64_t now)
{
    const struct pb_run *run = w->run;

    w->starting = true;
    c->seq++;
    c->start_ns = run->period_ns > 0 ? c->due_ns : now;
    c->sent = 0;
    c->bytes_in = 0;
    c->new_conn = false;
    pb_conn_expect(run, c);
    pb_timer_set(w, c, now + run->timeout_ns);
    if (c->fd < 0) {
        pb_conn_connect(w, c, now);
    } else {
        c->state = PB_ACTIVE;
        pb_conn_send(w, c, now);
    }
    w->starting = false;
}

/* Bytes or EOF between requests (a keep-alive connection the server
 * closed, or stray bytes): drop the connection, no request is hurt. */
static void pb_conn_idle_event(struct pb_conn *c)
{
    unsigned char b;

    if (recv(c->fd, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN)
        return;
    pb_conn_close(c);
}

/* CLOSING: discard until the server's FIN, then close and go on. */
static void pb_conn_drain(struct pb_worker *w, struct pb_conn *c, int64_t now)
{
    for (;;) {
        ssize_t n = recv(c->fd, w->rbuf, PB_RECV_BUF, 0);

        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        pb_conn_close(c);
        pb_conn_next(w, c, now, false);
        return;
    }
}

/* epoll reported events on c's socket: act as its state says. An event
 * seen after the request ended (seq changed) is not applied to the next. */
static void pb_conn_event(struct pb_worker *w, struct pb_conn *c, uint32_t events, int64_t now)
{
    uint64_t seq = c->seq;

    switch (c->state) {
    case PB_CONNECTING:
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            pb_conn_connected(w, c, now);
        break;
    case PB_ACTIVE:
        if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            pb_conn_recv(w, c, now);
        if (c->seq == seq && c->state == PB_ACTIVE && (events & EPOLLOUT))
            pb_conn_send(w, c, now);
        break;
    case PB_CLOSING:
        pb_conn_drain(w, c, now);
        break;
    case PB_IDLE:
        if (c->fd >= 0)
            pb_conn_idle_event(c);
        break;
    }
}

/* c's timer is due: start its request, or fail it (connect, timeout), or
 * give up waiting for a FIN. */
static void pb_conn_timer(struct pb_worker *w, struct pb_conn *c, int64_t now)
{
    switch (c->state) {
    case PB_IDLE: pb_conn_start(w, c, now); break;
    case PB_CONNECTING: pb_conn_fail(w, c, now, PB_FAIL_CONNECT); break;
    case PB_ACTIVE: pb_conn_fail(w, c, now, PB_FAIL_TIMEOUT); break;
    case PB_CLOSING:
        pb_conn_close(c);
        pb_conn_next(w, c, now, false);
        break;
    }
}

/* ---- one thread ---- */

/* Every connection's first start: all at t0 in the closed loop; in the
 * open loop at t0 plus its run-wide index / rate, so the starts of all
 * connections are spread evenly over one period. */
static void pb_worker_begin(struct pb_worker *w)
{
    const struct pb_run *run = w->run;

    for (size_t i = 0; i < w->nconns; i++) {
        struct pb_conn *c = &w->conns[i];
        int64_t t = run->t0_ns;

        if (run->period_ns > 0) {
            c->due_ns = run->t0_ns + pb_ns((double)(w->first + i) / run->o->rate);
            t = c->due_ns;
        }
        pb_timer_set(w, c, t);
    }
}

/* Handle every timer that is due (each handling moves its timer on). */
static void pb_worker_timers(struct pb_worker *w, int64_t now)
{
    while (w->heap[0]->timer_ns <= now)
        pb_conn_timer(w, w->heap[0], now);
}

/* Wait for events until the earliest timer or the end of the run, with a
 * nanosecond timeout (epoll_pwait2) so open-loop sends are not late by a
 * rounded-up millisecond; epoll_wait where the kernel lacks it. */
static int pb_worker_wait(struct pb_worker *w, struct epoll_event *ev, int64_t now,
                          bool *no_pwait2)
{
    int64_t wake = w->heap[0]->timer_ns < w->run->end_ns ? w->heap[0]->timer_ns : w->run->end_ns;
    int64_t left = wake > now ? wake - now : 0;
    struct timespec ts = {.tv_sec = left / PB_NS_PER_S, .tv_nsec = left % PB_NS_PER_S};
    int n = -1;

    if (!*no_pwait2) {
        n = epoll_pwait2(w->epfd, ev, PB_EVENTS, &ts, NULL);
        *no_pwait2 = n < 0 && errno == ENOSYS;
    }
    if (*no_pwait2)
        n = epoll_wait(w->epfd, ev, PB_EVENTS, (int)((left + 999999) / 1000000));
    return n < 0 ? 0 : n;
}

/* The run ended: requests in flight that started in the measured part are
 * unfinished; close everything; hand the last --csv second over. */
static void pb_worker_end(struct pb_worker *w)
{
    for (size_t i = 0; i < w->nconns; i++) {
        struct pb_conn *c = &w->conns[i];

        if ((c->state == PB_CONNECTING || c->state == PB_ACTIVE) &&
            c->start_ns >= w->run->measure_ns)
            w->counts.unfinished++;
        pb_conn_close(c);
    }
    if (w->cur != NULL)
        pb_worker_flush_second(w);
}

/* A thread: timers, then events, until the run is over. */
static void *pb_worker_main(void *arg)
{
    struct pb_worker *w = arg;
    struct epoll_event ev[PB_EVENTS];
    bool no_pwait2 = false;
    uint64_t one = 1;

    pb_worker_begin(w);
    for (;;) {
        int64_t now = pb_now_ns();
        int n;

        if (pb_run_over(w->run, now))
            break;
        pb_worker_timers(w, now);
        n = pb_worker_wait(w, ev, now, &no_pwait2);
        for (int i = 0; i < n; i++)
            if (ev[i].data.ptr != NULL) /* NULL: stop_fd, seen at the loop's top */
                pb_conn_event(w, ev[i].data.ptr, ev[i].events, pb_now_ns());
    }
    pb_worker_end(w);
    if (write(w->run->done_fd, &one, sizeof(one)) < 0) {
        /* cannot fail on an eventfd below its maximum */
    }
    return NULL;
}

/* ---- the run ---- */

/* Enough descriptors for every socket: raise the soft RLIMIT_NOFILE to
 * the hard one if needed; -1 with a reason if even that is too low. */
static int pb_run_nofile(const struct pb_opts *o, char *err, size_t errlen)
{
    rlim_t need = (rlim_t)o->connections + 2 * (rlim_t)o->threads + PB_FD_SPARE;
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max >= need) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            return 0;
    }
    snprintf(err, errlen,
             "%d connections need %llu file descriptors, but the limit is %llu "
             "(hard limit %llu): raise it (ulimit -n) or use fewer connections",
             o->connections, (unsigned long long)need, (unsigned long long)rl.rlim_cur,
             (unsigned long long)rl.rlim_max);
    return -1;
}

/* One thread's connections, heap, buffers and epoll (stop_fd included). */
static int pb_worker_init(struct pb_worker *w, struct pb_run *run, size_t first, size_t n)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

    w->run = run;
    w->first = first;
    w->nconns = n;
    w->conns = calloc(n, sizeof(*w->conns));
    w->heap = calloc(n, sizeof(*w->heap));
    w->rbuf = malloc(PB_RECV_BUF);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    pb_hist_init(&w->counts.latency);
    if (run->seconds != NULL && (w->cur = calloc(1, sizeof(*w->cur))) != NULL)
        pb_hist_init(&w->cur->latency);
    if (!w->conns || !w->heap || !w->rbuf || w->epfd < 0 || (run->seconds && !w->cur) ||
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, run->stop_fd, &ev) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        w->conns[i] = (struct pb_conn){.fd = -1, .heap_pos = i, .timer_ns = PB_NEVER};
        w->heap[i] = &w->conns[i];
    }
    return 0;
}

/* The --csv series: one slot per started second of the duration, plus one. */
static int pb_run_series(struct pb_run *run)
{
    run->nseconds = (size_t)ceil(run->o->duration_s) + 1;
    run->seconds = calloc(run->nseconds, sizeof(*run->seconds));
    if (run->seconds == NULL)
        return -1;
    for (size_t i = 0; i < run->nseconds; i++)
        pb_hist_init(&run->seconds[i].latency);
    return 0;
}

/* Everything but the threads and the clock marks. -1 with a reason. */
static int pb_run_init(struct pb_run *run, const struct pb_opts *o, char *err, size_t errlen)
{
    int per = o->connections / o->threads, extra = o->connections % o->threads;
    size_t first = 0;

    *run = (struct pb_run){.o = o, .stop_fd = -1, .done_fd = -1};
    pthread_mutex_init(&run->lock, NULL);
    if (pb_run_nofile(o, err, errlen) < 0)
        return -1;
    run->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    run->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    run->workers = calloc((size_t)o->threads, sizeof(*run->workers));
    if (run->stop_fd < 0 || run->done_fd < 0 || run->workers == NULL ||
        pb_engine_request(o, &run->req, &run->req_len) < 0 ||
        (o->csv_path != NULL && pb_run_series(run) < 0))
        goto fail;
    run->expect = o->proto == PB_PROTO_MSG ? run->req + 4 : run->req;
    run->expect_len = o->proto == PB_PROTO_MSG ? o->size : run->req_len;
    run->nworkers = o->threads;
    for (int t = 0; t < o->threads; t++)
        run->workers[t].epfd = -1;
    for (int t = 0; t < o->threads; t++) {
        size_t n = (size_t)(per + (t < extra));
        if (pb_worker_init(&run->workers[t], run, first, n) < 0)
            goto fail;
        first += n;
    }
    return 0;
fail:
    snprintf(err, errlen, "cannot set the run up: %s", strerror(errno ? errno : ENOMEM));
    return -1;
}

/* Free a worker's memory and epoll. */
static void pb_worker_free(struct pb_worker *w)
{
    if (w->epfd >= 0)
        close(w->epfd);
    free(w->conns);
    free(w->heap);
    free(w->rbuf);
    free(w->cur);
}

/* Free what pb_run_init made (the series only if not handed over). */
static void pb_run_free(struct pb_run *run)
{
    for (int t = 0; t < run->nworkers; t++)
        pb_worker_free(&run->workers[t]);
    free(run->workers);
    free(run->req);
    free(run->seconds);
    if (run->stop_fd >= 0)
        close(run->stop_fd);
    if (run->done_fd >= 0)
        close(run->done_fd);
    pthread_mutex_destroy(&run->lock);
}

/* Fix the clock marks and start the threads (SIGINT blocked in them, as
 * in the caller now). Threads already started are stopped on failure. */
static int pb_run_start(struct pb_run *run, char *err, size_t errlen)
{
    const struct pb_opts *o = run->o;

    run->t0_ns = pb_now_ns() + PB_LEAD_NS;
    run->measure_ns = run->t0_ns + pb_ns(o->warmup_s);
    run->end_ns = run->measure_ns + pb_ns(o->duration_s);
    run->timeout_ns = pb_ns(o->timeout_s);
    run->period_ns = o->rate > 0 ? pb_ns(o->connections / o->rate) : 0;
    if (run->period_ns == 0 && o->rate > 0)
        run->period_ns = 1;
    for (int t = 0; t < run->nworkers; t++) {
        int rc = pthread_create(&run->workers[t].tid, NULL, pb_worker_main, &run->workers[t]);

        if (rc != 0) {
            snprintf(err, errlen, "cannot start thread %d: %s", t + 1, strerror(rc));
            pb_run_stop(run, pb_now_ns());
            return -1;
        }
        run->workers[t].running = true;
    }
    return 0;
}

/* The progress snapshot at now; *prev_ok and *prev_ns carry the previous
 * one (for the rate). */
static void pb_run_progress(struct pb_run *run, int64_t now, uint64_t *prev_ok, int64_t *prev_ns,
                            struct pb_progress *p)
{
    const struct pb_opts *o = run->o;

    *p = (struct pb_progress){.warmup = now < run->measure_ns};
    for (int t = 0; t < run->nworkers; t++) {
        p->ok += atomic_load_explicit(&run->workers[t].shown_ok, memory_order_relaxed);
        p->failed += atomic_load_explicit(&run->workers[t].shown_failed, memory_order_relaxed);
    }
    p->elapsed_s = (double)(now - (p->warmup ? run->t0_ns : run->measure_ns)) / PB_NS_PER_S;
    p->planned_s = p->warmup ? o->warmup_s : o->duration_s;
    if (now > *prev_ns && p->ok >= *prev_ok)
        p->rps = (double)(p->ok - *prev_ok) * PB_NS_PER_S / (double)(now - *prev_ns);
    *prev_ok = p->ok;
    *prev_ns = now;
}

/* The calling thread while the load runs: wait for the threads to end,
 * stop them on SIGINT, report progress every second. SIGINT is taken only
 * inside ppoll (atomically unblocked), so it cannot slip in unseen.
 * Returns true if SIGINT cut the measured part short. */
static bool pb_run_supervise(struct pb_run *run, const volatile sig_atomic_t *interrupt,
                             const sigset_t *unblocked, pb_engine_progress_fn *progress,
                             void *arg)
{
    int64_t tick = run->t0_ns + PB_NS_PER_S, prev_ns = run->t0_ns, now;
    uint64_t done = 0, v, prev_ok = 0;
    bool interrupted = false;
    struct pb_progress p;

    while (done < (uint64_t)run->nworkers) {
        struct pollfd pfd = {.fd = run->done_fd, .events = POLLIN};
        int64_t left = tick - pb_now_ns();
        struct timespec ts = {.tv_sec = left > 0 ? left / PB_NS_PER_S : 0,
                              .tv_nsec = left > 0 ? left % PB_NS_PER_S : 0};

        if (ppoll(&pfd, 1, &ts, unblocked) > 0 && read(run->done_fd, &v, sizeof(v)) == sizeof(v))
            done += v;
        now = pb_now_ns();
        if (*interrupt && !interrupted && !pb_run_over(run, now)) {
            interrupted = true;
            pb_run_stop(run, now);
        }
        if (now >= tick && done < (uint64_t)run->nworkers) {
            pb_run_progress(run, now, &prev_ok, &prev_ns, &p);
            if (progress != NULL)
                progress(&p, arg);
            tick += PB_NS_PER_S;
        }
    }
    return interrupted;
}

/* Add src's counters into dst. */
static void pb_counts_merge(struct pb_counts *dst, const struct pb_counts *src)
{
    dst->ok += src->ok;
    for (int k = 0; k < PB_FAIL_KINDS; k++)
        dst->failed[k] += src->failed[k];
    dst->unfinished += src->unfinished;
    for (int i = 0; i < PB_STATUS_CODES; i++)
        dst->status[i] += src->status[i];
    dst->bytes_in += src->bytes_in;
    dst->bytes_out += src->bytes_out;
    dst->connects += src->connects;
    pb_hist_merge(&dst->latency, &src->latency);
}

/* The --csv rows: one per started second of the measured time; a request
 * counted a hair after the last one (threads race the -n stop) joins it. */
static void pb_run_rows(struct pb_run *run, struct pb_result *r)
{
    size_t rows = (size_t)ceil(r->elapsed_s - 1e-9);

    if (rows > run->nseconds)
        rows = run->nseconds;
    for (size_t i = rows; rows > 0 && i < run->nseconds; i++) {
        struct pb_second *last = &run->seconds[rows - 1], *s = &run->seconds[i];
        last->ok += s->ok;
        for (int k = 0; k < PB_FAIL_KINDS; k++)
            last->failed[k] += s->failed[k];
        pb_hist_merge(&last->latency, &s->latency);
    }
    r->seconds = run->seconds;
    r->nseconds = rows;
    run->seconds = NULL;
}

/* Merge the threads' counters into r; the measured time really elapsed. */
static void pb_run_collect(struct pb_run *run, struct pb_result *r, bool interrupted)
{
    int64_t end = run->end_ns;

    *r = (struct pb_result){.interrupted = interrupted};
    pb_hist_init(&r->total.latency);
    for (int t = 0; t < run->nworkers; t++)
        pb_counts_merge(&r->total, &run->workers[t].counts);
    if (atomic_load(&run->stop) && atomic_load(&run->stop_ns) < end)
        end = atomic_load(&run->stop_ns);
    r->elapsed_s = end > run->measure_ns ? (double)(end - run->measure_ns) / PB_NS_PER_S : 0.0;
    if (run->seconds != NULL)
        pb_run_rows(run, r);
}

/* Set up, run the threads under supervision, join, collect. */
int pb_engine_run(const struct pb_opts *o, const volatile sig_atomic_t *interrupt,
                  pb_engine_progress_fn *progress, void *arg, struct pb_result *r, char *err,
                  size_t errlen)
{
    struct pb_run run;
    sigset_t block, old;
    bool interrupted = false;
    int rc;

    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    rc = pb_run_init(&run, o, err, errlen);
    if (rc == 0)
        rc = pb_run_start(&run, err, errlen);
    if (rc == 0)
        interrupted = pb_run_supervise(&run, interrupt, &old, progress, arg);
    for (int t = 0; t < run.nworkers; t++)
        if (run.workers[t].running)
            pthread_join(run.workers[t].tid, NULL);
    if (rc == 0)
        pb_run_collect(&run, r, interrupted);
    pb_run_free(&run);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* The series is the only allocation a result holds. */
void pb_engine_result_free(struct pb_result *r)
{
    free(r->seconds);
    r->seconds = NULL;
    r->nseconds = 0;
}
