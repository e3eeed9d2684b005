/* pb_engine: the threads, the run (warm-up, measured part, stop), the
 * open-loop schedule, counting and progress; each connection is a pb_conn.
 * The design is told in docs/preforkbench.md, "How it works". */
#include "pb_engine.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pb_conn.h"
#include "pb_timer.h"

#define PB_NS_PER_S 1000000000LL
#define PB_EVENTS 256               /* epoll events per wait */
#define PB_LEAD_NS (20 * 1000000LL) /* threads start together this long after setup */
#define PB_FD_SPARE 64              /* descriptors beyond sockets and epolls */

struct pb_worker;

/* What every thread shares: settings, the request, the clock marks, the
 * stop signal, the --csv series. Fixed before the threads start, then
 * written only under its lock or atomically. */
struct pb_run {
    const struct pb_opts *o;
    unsigned char *req;        /* the request, prebuilt (plan.req) */
    struct pb_conn_plan plan;  /* what every connection sends and expects */
    int64_t t0_ns;             /* the load starts (warm-up first) */
    int64_t measure_ns;        /* the measured part starts */
    int64_t end_ns;            /* ... and ends */
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

/* One thread: its connections (and their epoll, buffer, timer heap, in
 * ctx), its counters. */
struct pb_worker {
    struct pb_run *run;
    pthread_t tid;
    bool running;      /* the thread was created */
    pb_conn_ctx_t ctx; /* epfd, rbuf, timers: what pb_conn uses */
    struct pb_conn *conns;
    size_t nconns;
    size_t first;       /* run-wide index of conns[0] (schedule offsets) */
    pb_timer_t **slots; /* the timer heap's array */
    struct pb_counts counts;
    struct pb_second *cur; /* --csv: the second being filled */
    size_t cur_index;
    bool cur_used;
    _Atomic uint64_t shown_ok; /* for the progress line (relaxed) */
    _Atomic uint64_t shown_failed;
};

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
int64_t pb_engine_ns(double seconds)
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

/* ---- the arithmetic of the run (pure) ---- */

/* An equal share of the connections, the remainder to the first threads. */
size_t pb_engine_share(int connections, int threads, int t)
{
    int per = connections / threads, extra = connections % threads;

    return (size_t)(per + (t < extra));
}

/* One request every connections / rate seconds per connection; never 0
 * in the open loop (0 means the closed loop). */
int64_t pb_engine_period_ns(int connections, double rate)
{
    int64_t period = rate > 0 ? pb_engine_ns(connections / rate) : 0;

    if (period == 0 && rate > 0)
        period = 1;
    return period;
}

/* Staggered first due times: connection i at t0 + i / rate. */
int64_t pb_engine_first_due_ns(int64_t t0_ns, size_t i, double rate)
{
    return t0_ns + pb_engine_ns((double)i / rate);
}

/* The next start (see pb_engine.h): the schedule's, or now (after the
 * back-off, so a dead server costs no CPU in the closed loop). The open
 * loop keeps its schedule after a failed connect, which paces it anyway. */
int64_t pb_engine_next_start_ns(int64_t period_ns, int64_t *due_ns, int64_t now, bool backoff)
{
    if (period_ns > 0)
        return *due_ns += period_ns;
    return backoff ? now + PB_ENGINE_BACKOFF_NS : now;
}

/* Whole seconds since measure_ns; a request counted after the last
 * second (threads race the end) joins the last row. */
size_t pb_engine_second_of(int64_t now, int64_t measure_ns, size_t nseconds)
{
    size_t i = (size_t)((now - measure_ns) / PB_NS_PER_S);

    return i >= nseconds ? nseconds - 1 : i;
}

/* One row per started second; a hair over a whole second (clock rounding)
 * does not start another. */
size_t pb_engine_rows(double elapsed_s, size_t nseconds)
{
    size_t rows = (size_t)ceil(elapsed_s - 1e-9);

    return rows > nseconds ? nseconds : rows;
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
    i = pb_engine_second_of(now, w->run->measure_ns, w->run->nseconds);
    if (i != w->cur_index) {
        pb_worker_flush_second(w);
        w->cur_index = i;
    }
    w->cur_used = true;
    if (kind == PB_CONN_OK) {
        w->cur->ok++;
        pb_hist_record(&w->cur->latency, ns);
    } else {
        w->cur->failed[kind]++;
    }
}

/* pb_conn's count hook: a request ended at now. Counted only if it started
 * in the measured part; unfinished if that part ended first (or, with -n,
 * the N places are taken). Then the progress counters and the --csv
 * second. */
static void pb_worker_count(void *arg, const struct pb_conn_outcome *out, int64_t now)
{
    struct pb_worker *w = arg;
    struct pb_counts *t = &w->counts;

    if (out->start_ns < w->run->measure_ns)
        return;
    if (pb_run_over(w->run, now) || !pb_run_take(w->run, now)) {
        t->unfinished++;
        return;
    }
    pb_conn_account(t, out);
    if (out->kind == PB_CONN_OK)
        atomic_store_explicit(&w->shown_ok, t->ok, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&w->shown_failed, 1, memory_order_relaxed);
    pb_worker_second(w, now, out->kind, out->latency_ns);
}

/* pb_conn's next hook: when c's next request starts (the schedule), or
 * never once the run is over. */
static int64_t pb_worker_next(void *arg, struct pb_conn *c, int64_t now, bool backoff)
{
    struct pb_worker *w = arg;

    if (pb_run_over(w->run, now))
        return PB_TIMER_NEVER;
    return pb_engine_next_start_ns(w->run->period_ns, &c->due_ns, now, backoff);
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
            c->due_ns = pb_engine_first_due_ns(run->t0_ns, w->first + i, run->o->rate);
            t = c->due_ns;
        }
        pb_conn_schedule(&w->ctx, c, t);
    }
}

/* Wait for events until the earliest timer or the end of the run, with a
 * nanosecond timeout (epoll_pwait2) so open-loop sends are not late by a
 * rounded-up millisecond; epoll_wait where the kernel lacks it. */
static int pb_worker_wait(struct pb_worker *w, struct epoll_event *ev, int64_t now, bool *no_pwait2)
{
    int64_t next = pb_timer_next_ns(&w->ctx.timers);
    int64_t wake = next < w->run->end_ns ? next : w->run->end_ns;
    int64_t left = wake > now ? wake - now : 0;
    struct timespec ts = {.tv_sec = left / PB_NS_PER_S, .tv_nsec = left % PB_NS_PER_S};
    int n = -1;

    if (!*no_pwait2) {
        n = epoll_pwait2(w->ctx.epfd, ev, PB_EVENTS, &ts, NULL);
        *no_pwait2 = n < 0 && errno == ENOSYS;
    }
    if (*no_pwait2)
        n = epoll_wait(w->ctx.epfd, ev, PB_EVENTS, (int)((left + 999999) / 1000000));
    return n < 0 ? 0 : n;
}

/* The run ended: requests in flight that started in the measured part are
 * unfinished; close everything; hand the last --csv second over. */
static void pb_worker_end(struct pb_worker *w)
{
    for (size_t i = 0; i < w->nconns; i++) {
        struct pb_conn *c = &w->conns[i];

        if (pb_conn_in_flight(c) && c->start_ns >= w->run->measure_ns)
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
        pb_conn_timers(&w->ctx, now);
        n = pb_worker_wait(w, ev, now, &no_pwait2);
        for (int i = 0; i < n; i++)
            if (ev[i].data.ptr != NULL) /* NULL: stop_fd, seen at the loop's top */
                pb_conn_event(&w->ctx, ev[i].data.ptr, ev[i].events, pb_now_ns());
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

/* One thread's connections, timer heap, buffers and epoll (stop_fd
 * included), and its pb_conn context with the engine's hooks. */
static int pb_worker_init(struct pb_worker *w, struct pb_run *run, size_t first, size_t n)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    pb_conn_ctx_t *x = &w->ctx;

    w->run = run;
    w->first = first;
    w->nconns = n;
    w->conns = calloc(n, sizeof(*w->conns));
    w->slots = calloc(n, sizeof(*w->slots));
    x->rbuf = malloc(PB_CONN_RECV_BUF);
    x->epfd = epoll_create1(EPOLL_CLOEXEC);
    pb_hist_init(&w->counts.latency);
    if (run->seconds != NULL && (w->cur = calloc(1, sizeof(*w->cur))) != NULL)
        pb_hist_init(&w->cur->latency);
    if (!w->conns || !w->slots || !x->rbuf || x->epfd < 0 || (run->seconds && !w->cur) ||
        epoll_ctl(x->epfd, EPOLL_CTL_ADD, run->stop_fd, &ev) < 0)
        return -1;
    x->plan = &run->plan;
    x->next = pb_worker_next;
    x->count = pb_worker_count;
    x->arg = w;
    pb_timer_heap_init(&x->timers, w->slots, n);
    for (size_t i = 0; i < n; i++)
        if (pb_conn_init(x, &w->conns[i]) < 0)
            return -1;
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

/* What every connection sends and expects back (echo: the line; msg: the
 * payload after the 4-byte header). The timeout and the loop come with
 * the clock marks (pb_run_start). */
static void pb_run_plan(struct pb_run *run)
{
    const struct pb_opts *o = run->o;
    struct pb_conn_plan *p = &run->plan;

    p->o = o;
    p->req = run->req;
    p->expect = o->proto == PB_PROTO_MSG ? run->req + 4 : run->req;
    p->expect_len = o->proto == PB_PROTO_MSG ? o->size : p->req_len;
}

/* Everything but the threads and the clock marks. -1 with a reason. */
static int pb_run_init(struct pb_run *run, const struct pb_opts *o, char *err, size_t errlen)
{
    size_t first = 0;

    *run = (struct pb_run){.o = o, .stop_fd = -1, .done_fd = -1};
    pthread_mutex_init(&run->lock, NULL);
    if (pb_run_nofile(o, err, errlen) < 0)
        return -1;
    run->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    run->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    run->workers = calloc((size_t)o->threads, sizeof(*run->workers));
    if (run->stop_fd < 0 || run->done_fd < 0 || run->workers == NULL ||
        pb_engine_request(o, &run->req, &run->plan.req_len) < 0 ||
        (o->csv_path != NULL && pb_run_series(run) < 0))
        goto fail;
    pb_run_plan(run);
    run->nworkers = o->threads;
    for (int t = 0; t < o->threads; t++)
        run->workers[t].ctx.epfd = -1;
    for (int t = 0; t < o->threads; t++) {
        size_t n = pb_engine_share(o->connections, o->threads, t);
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
    if (w->ctx.epfd >= 0)
        close(w->ctx.epfd);
    free(w->conns);
    free(w->slots);
    free(w->ctx.rbuf);
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
    run->measure_ns = run->t0_ns + pb_engine_ns(o->warmup_s);
    run->end_ns = run->measure_ns + pb_engine_ns(o->duration_s);
    run->period_ns = pb_engine_period_ns(o->connections, o->rate);
    run->plan.timeout_ns = pb_engine_ns(o->timeout_s);
    run->plan.open_loop = run->period_ns > 0;
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
                             const sigset_t *unblocked, pb_engine_progress_fn *progress, void *arg)
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
    size_t rows = pb_engine_rows(r->elapsed_s, run->nseconds);

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
