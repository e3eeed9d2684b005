/* pf_worker: the worker process: wait, accept, serve, repeat. */
#include "pf_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pf_episode.h"
#include "pf_err.h"
#include "pf_log.h"
#include "pf_net.h"
#include "pf_park.h"
#include "pf_proxy.h"
#include "pf_signals.h"
#include "pf_time.h"
#include "pf_title.h"

/* Pause after accept() failed for lack of descriptors or memory: retrying
 * at once would spin on a listening socket that stays readable. */
#define WORKER_ACCEPT_BACKOFF_MS 100

struct worker {
    const struct pf_worker_args *a;
    void *proto_state;
    int epfd;
    struct pf_park park; /* park_fd -1: parking off */
    int ready_fd;        /* -1 once the keeper's side is closed for good (a stop) */
    int reserve_fd;      /* kept spare for a hand-over (pf_handoff_recv_spared) */
    sigset_t wait_mask;  /* signal mask while waiting: SIGQUIT/SIGUSR1 let in */
    bool master_gone;
    struct pf_episode accept_fail; /* accept() starved of descriptors or memory */
};

/* One epoll set for the three things an idle worker waits for.
 * EPOLLEXCLUSIVE on the shared listening and ready sockets wakes one
 * waiting worker per connection instead of the whole pool (no thundering
 * herd). */
static int worker_epoll(struct worker *w, char *err, size_t errlen)
{
    struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = w->a->listen_fd};
    struct epoll_event rev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = w->ready_fd};
    struct epoll_event pev = {.events = EPOLLIN, .data.fd = w->a->lifeline_fd};

    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->a->listen_fd, &lev) < 0 ||
        (w->ready_fd >= 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->ready_fd, &rev) < 0) ||
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->a->lifeline_fd, &pev) < 0) {
        snprintf(err, errlen, "epoll set-up failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* What a handler needs to park a connection (nothing when parking is off). */
static void worker_park_init(struct worker *w)
{
    const struct pf_worker_args *a = w->a;

    w->park = (struct pf_park){.park_fd = a->park_fd,
                               .ready_fd = a->ready_fd,
                               .yield_fd = a->yield_fd,
                               .listen_fd = a->listen_fd,
                               .protocol = a->proto->name,
                               .slots = a->slots,
                               .nslots = a->nslots,
                               .self = a->slot,
                               .linger_ms = a->cfg->keeper.linger_ms,
                               .closing = a->keeper_closing,
                               .up = a->keeper_up,
                               .queued = a->keeper_queued,
                               .ready_waiting = a->ready_waiting};
    w->ready_fd = a->ready_fd;
    w->reserve_fd = a->ready_fd >= 0 ? fcntl(a->lifeline_fd, F_DUPFD_CLOEXEC, 0) : -1;
}

/* Set up as the master's user (the protocol opens what it serves from:
 * the document root, its logs), then drop to the configured identity for
 * good (pf_privs_drop). 0, or -1 with the reason in err. */
static int worker_prepare(struct worker *w, char *err, size_t errlen)
{
    if (pf_signals_worker(&w->wait_mask) < 0) {
        snprintf(err, errlen, "signal set-up failed: %s", strerror(errno));
        return -1;
    }
    worker_park_init(w);
    if (worker_epoll(w, err, errlen) < 0 ||
        w->a->proto->worker_init(&w->proto_state, w->a->cfg, err, errlen) < 0)
        return -1;
    if (w->a->privs == NULL)
        return 0;
    return pf_privs_drop(w->a->privs, w->a->cfg->daemon.chroot, err, errlen);
}

/* Everything a new worker does before its first accept. On failure it
 * exits with PF_WORKER_EXIT_INIT so the master knows not to respawn fast. */
static void worker_setup(struct worker *w)
{
    char err[PF_ERR_MAX] = "";
    struct pf_slot *s = w->a->slot;

    pf_log_set_role("worker");
    if (worker_prepare(w, err, sizeof(err)) < 0) {
        if (err[0] == '\0')
            snprintf(err, sizeof(err), "set-up failed");
        pf_log_error("cannot start: %s", err);
        pf_slot_set_exit_reason(s, err);
        exit(PF_WORKER_EXIT_INIT);
    }
    atomic_store_explicit(&s->pid, getpid(), memory_order_relaxed);
    atomic_store_explicit(&s->generation, w->a->generation, memory_order_relaxed);
    atomic_store_explicit(&s->started_ms, (int64_t)time(NULL) * 1000, memory_order_relaxed);
    pf_slot_set_state(s, PF_SLOT_IDLE);
}

/* A connection just accepted from a trusted balancer (proxy.protocol):
 * its PROXY header read, and the client it names made the connection's
 * peer, which every log line, the slot and a park carry from then on.
 * False when it sent none in time, or a broken one: it is closed. */
static bool worker_proxy_header(struct worker *w, struct pf_conn *c)
{
    const struct pf_config *cfg = w->a->cfg;
    struct pf_proxy_header h;
    char err[PF_ERR_MAX];

    if (!pf_proxy_expected(cfg, (struct sockaddr *)&c->peer))
        return true;
    if (pf_proxy_read(c->fd, pf_time_deadline(pf_proxy_timeout_ms(cfg)), &h, err, sizeof(err)) <
        0) {
        pf_log_info("client %s: no valid PROXY header from a trusted address: %s; closing",
                    c->peer_text, err);
        pf_slot_proxy_refused(c->slot);
        return false;
    }
    if (h.local) /* a balancer's own check: the peer is the client */
        return true;
    c->peer = h.src;
    c->peer_len = h.src_len;
    pf_addr_format((struct sockaddr *)&c->peer, c->peer_text, sizeof(c->peer_text));
    pf_slot_set_client(c->slot, (struct sockaddr *)&c->peer, c->peer_len);
    return true;
}

/* Serve one connection through the protocol handler, then close this
 * worker's copy (the keeper holds its own if the handler parked it). A
 * connection handed back by the keeper read its PROXY header before it
 * was parked, and travelled with the client it named. */
static void worker_serve(struct worker *w, int fd, struct pf_conn *c)
{
    c->fd = fd;
    c->slot = w->a->slot;
    c->cfg = w->a->cfg;
    c->idle_mask = &w->wait_mask;
    c->park = w->park.park_fd >= 0 ? &w->park : NULL;
    pf_addr_format((struct sockaddr *)&c->peer, c->peer_text, sizeof(c->peer_text));
    if (c->resume)
        pf_slot_resume_client(c->slot, (struct sockaddr *)&c->peer, c->peer_len);
    else
        pf_slot_begin_client(c->slot, (struct sockaddr *)&c->peer, c->peer_len);
    if (c->resume || worker_proxy_header(w, c))
        w->a->proto->serve(w->proto_state, c);
    close(fd);
    pf_slot_end_client(c->slot);
}

/* Sleep up to ms while still noticing the master's death and signals. */
static void worker_pause(struct worker *w, int ms)
{
    struct pollfd p = {.fd = w->a->lifeline_fd, .events = POLLIN};
    struct timespec ts = pf_time_timespec(ms);

    if (ppoll(&p, 1, &ts, &w->wait_mask) > 0)
        w->master_gone = true;
}

/* accept() starved of descriptors or memory: one line when it begins, or
 * its reason changes, and once a minute while it lasts; never a line per
 * try (ten a second per worker). */
static void worker_accept_failed(struct worker *w, int err)
{
    struct pf_episode *e = &w->accept_fail;

    switch (pf_episode_fail(e, err, pf_time_now_ms(), PF_EPISODE_PERIOD_MS)) {
    case PF_EPISODE_BEGAN:
    case PF_EPISODE_CHANGED:
        pf_log_warn("accept failed: %s; retrying every %d ms (logged again once a minute "
                    "while it lasts)",
                    strerror(err), WORKER_ACCEPT_BACKOFF_MS);
        break;
    case PF_EPISODE_LASTS:
        pf_log_warn("accept still failing: %s; %llu failures in %lld s", strerror(err),
                    (unsigned long long)e->failures,
                    (long long)((pf_time_now_ms() - e->since_ms) / 1000));
        break;
    default: break;
    }
}

/* Accept one connection and serve it. Returns 1 if a client was served,
 * 0 if there was none to take (another worker won it, or a transient
 * error), -1 if accept() is starved of resources (after backing off). */
static int worker_accept_one(struct worker *w)
{
    struct pf_conn c;
    int fd;

    memset(&c, 0, sizeof(c));
    c.peer_len = sizeof(c.peer);
    fd = accept4(w->a->listen_fd, (struct sockaddr *)&c.peer, &c.peer_len,
                 SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        if (pf_episode_ok(&w->accept_fail) == PF_EPISODE_ENDED)
            pf_log_notice("accept works again after %llu failures in %.1f s",
                          (unsigned long long)w->accept_fail.failures,
                          (double)(pf_time_now_ms() - w->accept_fail.since_ms) / 1000.0);
        worker_serve(w, fd, &c);
        return 1;
    }
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        worker_accept_failed(w, errno);
        worker_pause(w, WORKER_ACCEPT_BACKOFF_MS);
        return -1;
    }
    /* EAGAIN (another worker was faster), ECONNABORTED, EINTR, or a network
     * error Linux reports on accept for the pending connection: try again. */
    return 0;
}

/* The keeper's side of the ready socket is closed for good (a stop): it
 * is watched no more. */
static void worker_ready_gone(struct worker *w)
{
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->ready_fd, NULL);
    w->ready_fd = -1;
}

/* Take one connection the keeper handed back and serve it. Returns 1 if
 * a client was served, 0 if there was none to take (another worker was
 * faster, or the message was refused), -1 when none can be taken now or
 * ever (no spare descriptor to receive into, or the keeper's side is
 * closed). */
static int worker_take_ready(struct worker *w)
{
    static uint8_t msg[PF_HANDOFF_MSG_MAX];
    char err[PF_ERR_MAX] = "";
    struct pf_handoff h;
    struct pf_conn c;
    int fd, rc;

    rc = pf_handoff_recv_spared(w->ready_fd, &w->reserve_fd, w->a->lifeline_fd, &fd, &h, msg,
                                sizeof(msg), err, sizeof(err));
    if (rc < 0 && w->reserve_fd < 0) { /* at its limit: the message waits */
        worker_accept_failed(w, errno);
        worker_pause(w, WORKER_ACCEPT_BACKOFF_MS);
        return -1;
    }
    if (rc == 0) {
        worker_ready_gone(w);
        return -1;
    }
    if (rc > 0 && w->a->ready_waiting)
        atomic_fetch_sub_explicit(w->a->ready_waiting, 1, memory_order_relaxed);
    if (rc < 0) {
        if (errno == EBADMSG)
            pf_log_warn("a connection handed back by the keeper was refused: %s", err);
        return 0;
    }
    if (strcmp(h.protocol, w->a->proto->name) != 0) {
        pf_log_warn("a connection parked by the %s protocol cannot be served by %s; closing it",
                    h.protocol, w->a->proto->name);
        close(fd);
        return 0;
    }
    memset(&c, 0, sizeof(c));
    c.peer = h.peer;
    c.peer_len = h.peer_len;
    c.resume = &h;
    worker_serve(w, fd, &c);
    return 1;
}

/* Told to stop: serve the connections the kernel had already queued when
 * the order came, instead of letting them be reset when the last listener
 * closes. Bounded by the queue length read now, so new arrivals under
 * steady load cannot keep the worker here forever. */
static void worker_drain(struct worker *w)
{
    int budget = pf_net_accept_queue_len(w->a->listen_fd);

    for (int i = 0; i < budget && !w->master_gone; i++)
        if (worker_accept_one(w) == 0 && errno == EAGAIN)
            break;
    /* In a whole stop, what the keeper handed back before it went is
     * served too; in a reload the keeper stays and the next generation
     * takes it, as a keep-alive connection, not closed by a worker that
     * leaves. */
    while (w->ready_fd >= 0 && pf_park_closing(&w->park) && !w->master_gone &&
           worker_take_ready(w) > 0) {
    }
}

static bool worker_recycle_due(const struct worker *w)
{
    long max = w->a->max_requests;

    return max > 0 &&
           atomic_load_explicit(&w->a->slot->requests, memory_order_relaxed) >= (uint64_t)max;
}

/* Say why this worker leaves: its own limit is max_requests plus the
 * jitter the master drew for it. */
static void worker_recycle_log(const struct worker *w)
{
    long limit = w->a->max_requests, base = w->a->cfg->workers.max_requests;

    pf_log_info("recycling: served %llu requests, its limit %ld (max_requests %ld + jitter %ld); "
                "exiting to be replaced",
                (unsigned long long)atomic_load_explicit(&w->a->slot->requests,
                                                         memory_order_relaxed),
                limit, base, limit - base);
}

/* This process's worker, for pf_worker_reopen_logs (called from inside a
 * handler, which does not know the worker). */
static struct worker *worker_self;

/* SIGUSR1: reopen the error log, then the protocol's own logs. */
static void worker_reopen_log(struct worker *w)
{
    char err[PF_ERR_MAX];

    pf_signals_reopen = 0;
    if (pf_log_reopen(err, sizeof(err)) < 0)
        pf_log_error("%s", err);
    if (w->a->proto->reopen)
        w->a->proto->reopen(w->proto_state);
}

void pf_worker_reopen_logs(void)
{
    if (worker_self)
        worker_reopen_log(worker_self);
}

/* Wait for a connection, the master's death, or a signal, then act. */
static void worker_loop(struct worker *w)
{
    struct epoll_event ev[3];

    for (;;) {
        if (pf_signals_reopen)
            worker_reopen_log(w);
        if (pf_signals_worker_stop || w->master_gone) {
            if (!w->master_gone)
                worker_drain(w);
            return;
        }
        if (worker_recycle_due(w)) {
            worker_recycle_log(w);
            return;
        }
        int n = epoll_pwait(w->epfd, ev, 3, -1, &w->wait_mask);
        for (int i = 0; i < n; i++) {
            if (ev[i].data.fd == w->a->lifeline_fd)
                w->master_gone = true;
            else if (w->master_gone)
                continue;
            else if (ev[i].data.fd == w->a->listen_fd)
                worker_accept_one(w);
            else if (w->ready_fd >= 0 && ev[i].data.fd == w->ready_fd)
                worker_take_ready(w);
        }
        if (n < 0 && errno != EINTR) {
            pf_log_error("epoll_pwait failed: %s", strerror(errno));
            return;
        }
    }
}

void pf_worker_run(const struct pf_worker_args *args)
{
    struct worker w = {.a = args, .epfd = -1};

    /* first: until now ps shows the master's title */
    pf_title_set(PF_WORKER_COMM, "preforkd: worker (gen %u, slot %d)", args->generation,
                 args->slot_index);
    if (args->proto->run) {
        args->proto->run(args);
        exit(PF_WORKER_EXIT_INIT);
    }
    worker_self = &w;
    worker_setup(&w);
    pf_log_debug("started (slot %d, generation %u)", args->slot_index, args->generation);
    worker_loop(&w);
    if (w.master_gone)
        pf_log_warn("master process is gone; exiting");
    pf_slot_set_state(args->slot, PF_SLOT_STOPPING);
    args->proto->worker_exit(w.proto_state);
    close(w.epfd);
    exit(PF_WORKER_EXIT_OK);
}
