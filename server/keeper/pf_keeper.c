/* pf_keeper: hold idle connections, hand them back when readable, end
 * them at their deadline. */
#include "pf_keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_episode.h"
#include "pf_err.h"
#include "pf_handoff.h"
#include "pf_log.h"
#include "pf_time.h"

#define KEEPER_EVENTS 256
/* Out of descriptors: the pause before the park socket is read again. */
#define KEEPER_PAUSE_MS 100

/* One connection held, in the table indexed by its descriptor. */
struct kept {
    bool used;
    bool queued;         /* waiting for the ready socket */
    bool watched;        /* in the epoll set */
    struct pf_handoff h; /* its state; h.bytes points to bytes */
    uint8_t *bytes;      /* a copy of the bytes of a request begun */
    int64_t due_ms;      /* the deadline it is held against; -1 none */
    size_t heap_at;      /* its place in the deadline heap; SIZE_MAX none */
};

struct keeper {
    const struct pf_keeper_args *a;
    struct pf_keeper_counts *n;
    int ep;
    struct kept *by_fd; /* indexed by descriptor */
    size_t nfd;
    int *heap; /* descriptors, soonest deadline first */
    size_t nheap, heap_cap;
    int *queue; /* descriptors waiting for the ready socket, oldest first */
    size_t qhead, qlen, qcap;
    bool ready_armed; /* EPOLLOUT asked on the ready socket */
    uint8_t msg[PF_HANDOFF_MSG_MAX];
    struct pf_episode full;    /* max_parked reached */
    bool draining;             /* told to stop */
    bool park_open;            /* still reading the park socket */
    int64_t drain_until;       /* ...idle connections are closed then */
    int reserve_fd;            /* kept spare for a parking (pf_handoff_recv_spared) */
    int64_t park_paused_until; /* no spare could be made: the park socket
                                  is read again then; 0 when reading */
};

static void count_add(_Atomic uint64_t *c, int64_t d)
{
    atomic_fetch_add_explicit(c, (uint64_t)d, memory_order_relaxed);
}

/* ------------------------------------------------- the deadline heap */

static int64_t due_of(const struct keeper *k, size_t i)
{
    return k->by_fd[k->heap[i]].due_ms;
}

static void heap_set(struct keeper *k, size_t i, int fd)
{
    k->heap[i] = fd;
    k->by_fd[fd].heap_at = i;
}

static void heap_up(struct keeper *k, size_t i)
{
    int fd = k->heap[i];

    while (i > 0 && k->by_fd[k->heap[(i - 1) / 2]].due_ms > k->by_fd[fd].due_ms) {
        heap_set(k, i, k->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(k, i, fd);
}

static void heap_down(struct keeper *k, size_t i)
{
    int fd = k->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= k->nheap)
            break;
        if (c + 1 < k->nheap && due_of(k, c + 1) < due_of(k, c))
            c++;
        if (due_of(k, c) >= k->by_fd[fd].due_ms)
            break;
        heap_set(k, i, k->heap[c]);
        i = c;
    }
    heap_set(k, i, fd);
}

/* Double the array *a of *cap descriptors (64 to begin with). */
static bool fds_grow(int **a, size_t *cap)
{
    size_t n = *cap ? 2 * *cap : 64;
    int *grown = realloc(*a, n * sizeof(*grown));

    if (grown == NULL)
        return false;
    *a = grown;
    *cap = n;
    return true;
}

static bool heap_push(struct keeper *k, int fd)
{
    if (k->nheap == k->heap_cap && !fds_grow(&k->heap, &k->heap_cap))
        return false;
    k->heap[k->nheap++] = fd;
    heap_up(k, k->nheap - 1);
    return true;
}

static void heap_remove(struct keeper *k, int fd)
{
    size_t i = k->by_fd[fd].heap_at;

    if (i == SIZE_MAX)
        return;
    k->by_fd[fd].heap_at = SIZE_MAX;
    if (--k->nheap == i)
        return;
    /* The last one fills the hole, then moves down or up to its place. */
    int moved = k->heap[k->nheap];

    heap_set(k, i, moved);
    heap_down(k, i);
    heap_up(k, k->by_fd[moved].heap_at);
}

/* ------------------------------------------------ connections held */

/* Out of the epoll set, if it is there. */
static void kept_unwatch(struct keeper *k, int fd)
{
    if (k->by_fd[fd].watched) {
        k->by_fd[fd].watched = false;
        epoll_ctl(k->ep, EPOLL_CTL_DEL, fd, NULL);
    }
}

/* Let go of fd: out of the heap and the epoll set, its bytes freed, the
 * descriptor closed (it was handed on, or it ends here). */
static void kept_drop(struct keeper *k, int fd)
{
    struct kept *e = &k->by_fd[fd];

    heap_remove(k, fd);
    kept_unwatch(k, fd);
    free(e->bytes);
    memset(e, 0, sizeof(*e));
    close(fd);
    count_add(&k->n->parked, -1);
}

/* Make room in the table for descriptor fd. */
static bool kept_room(struct keeper *k, int fd)
{
    size_t want = (size_t)fd + 1, n = k->nfd ? k->nfd : 256;
    struct kept *t;

    if (want <= k->nfd)
        return true;
    while (n < want)
        n *= 2;
    t = realloc(k->by_fd, n * sizeof(*t));
    if (t == NULL)
        return false;
    memset(t + k->nfd, 0, (n - k->nfd) * sizeof(*t));
    k->by_fd = t;
    k->nfd = n;
    return true;
}

static void ready_arm(struct keeper *k, bool on)
{
    struct epoll_event ev = {.events = on ? EPOLLOUT : 0, .data.fd = k->a->ready_fd};

    if (on != k->ready_armed && epoll_ctl(k->ep, EPOLL_CTL_MOD, k->a->ready_fd, &ev) == 0)
        k->ready_armed = on;
}

/* Append fd to the queue for the ready socket. */
static bool queue_push(struct keeper *k, int fd)
{
    if (k->qhead + k->qlen == k->qcap) {
        if (k->qhead > 0) { /* room at the front: the queue moves there */
            memmove(k->queue, k->queue + k->qhead, k->qlen * sizeof(*k->queue));
            k->qhead = 0;
        } else if (!fds_grow(&k->queue, &k->qcap)) {
            return false;
        }
    }
    k->queue[k->qhead + k->qlen++] = fd;
    return true;
}

/* Send fd with state h to the ready socket, counted there. 0, or -1 with
 * errno (EAGAIN: full). */
static int ready_send(struct keeper *k, int fd, const struct pf_handoff *h)
{
    if (pf_handoff_send(k->a->ready_fd, fd, h) < 0)
        return -1;
    atomic_fetch_add_explicit(&k->n->ready_waiting, 1, memory_order_relaxed);
    return 0;
}

/* Hand fd to a worker through the ready socket; when it cannot take it
 * now, fd waits in the queue (in order: a queue already waiting goes
 * first). */
static void kept_hand(struct keeper *k, int fd)
{
    struct kept *e = &k->by_fd[fd];

    if (k->draining) /* the server stops: one more answer, then close */
        e->h.flags |= PF_HANDOFF_CLOSE;
    heap_remove(k, fd);
    kept_unwatch(k, fd);
    if (k->qlen == 0 && ready_send(k, fd, &e->h) == 0) {
        count_add(&k->n->handed, 1);
        kept_drop(k, fd);
        return;
    }
    if ((k->qlen > 0 || errno == EAGAIN || errno == EWOULDBLOCK) && queue_push(k, fd)) {
        e->queued = true;
        count_add(&k->n->queued, 1);
        ready_arm(k, true);
        return;
    }
    pf_log_error("keeper: cannot hand a connection to a worker: %s", strerror(errno));
    kept_drop(k, fd);
}

/* The ready socket can take more: hand over the queue, oldest first. */
static void queue_flush(struct keeper *k)
{
    while (k->qlen > 0) {
        int fd = k->queue[k->qhead];

        if (ready_send(k, fd, &k->by_fd[fd].h) < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            pf_log_error("keeper: cannot hand a connection to a worker: %s", strerror(errno));
        } else {
            count_add(&k->n->handed, 1);
        }
        k->qhead++;
        k->qlen--;
        count_add(&k->n->queued, -1);
        kept_drop(k, fd);
    }
    k->qhead = 0;
    ready_arm(k, false);
}

/* A peek at fd's first byte: > 0 the client's bytes are there, 0 it
 * closed, < 0 (errno) nothing yet or an error. Nothing is read. */
static ssize_t kept_peek(int fd)
{
    char b;

    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
}

/* Are the client's bytes waiting on fd (its event not yet read)? */
static bool kept_has_bytes(int fd)
{
    return kept_peek(fd) > 0;
}

/* Its deadline passed: a begun request goes back to a worker flagged
 * expired (to be answered and logged); an idle connection ends here,
 * unless its next request came this very moment. */
static void kept_expire(struct keeper *k, int fd)
{
    struct kept *e = &k->by_fd[fd];

    if (e->h.flags & PF_HANDOFF_BEGUN) {
        e->h.flags |= PF_HANDOFF_EXPIRED;
        count_add(&k->n->expired, 1);
        kept_hand(k, fd);
    } else if (kept_has_bytes(fd)) {
        kept_hand(k, fd);
    } else {
        count_add(&k->n->idle_closed, 1);
        kept_drop(k, fd);
    }
}

/* The deadline a connection is held against: its head deadline for a
 * request begun, else its idle deadline, and while the keeper stops
 * drain_until at the latest. */
static int64_t kept_due(const struct keeper *k, const struct pf_handoff *h)
{
    if (h->flags & PF_HANDOFF_BEGUN)
        return h->head_deadline_ms;
    if (k->draining && (h->idle_deadline_ms < 0 || h->idle_deadline_ms > k->drain_until))
        return k->drain_until;
    return h->idle_deadline_ms;
}

/* Bytes came, or the client closed or reset the connection. */
static void kept_readable(struct keeper *k, int fd)
{
    ssize_t n = kept_peek(fd);

    if (n > 0) {
        kept_hand(k, fd);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return; /* nothing after all; still watched */
    } else {
        count_add(&k->n->client_closed, 1);
        kept_drop(k, fd);
    }
}

/* A connection the keeper cannot hold (max_parked reached, why ENOBUFS,
 * or no descriptor left, EMFILE) and no idle one to close for it: a begun
 * request goes straight back (its bytes must not be lost), an idle one is
 * closed. */
static void kept_refuse(struct keeper *k, int fd, const struct pf_handoff *h, int why)
{
    enum pf_episode_news news = pf_episode_fail(&k->full, why, pf_time_now_ms(),
                                                PF_EPISODE_PERIOD_MS);

    if (news == PF_EPISODE_BEGAN || news == PF_EPISODE_CHANGED) {
        unsigned long long held = atomic_load_explicit(&k->n->parked, memory_order_relaxed);

        if (why == ENOBUFS)
            pf_log_warn("keeper: %llu connections parked, as many as it holds: idle ones "
                        "arriving are closed, begun ones take the place of an idle one",
                        held);
        else
            pf_log_warn("keeper: out of descriptors with %llu connections parked (%s): idle "
                        "ones arriving are closed, begun ones take the place of an idle one",
                        held, strerror(why));
    }
    count_add(&k->n->refused, 1);
    if ((h->flags & PF_HANDOFF_BEGUN) && ready_send(k, fd, h) == 0)
        count_add(&k->n->handed, 1);
    close(fd);
}

/* Room for a begun request when the keeper is full (its bytes are worth
 * more than a connection that only waits): an idle connection is closed,
 * the first found in the deadline heap (near its end, most often). False
 * when every one held is begun or on its way to a worker. */
static bool kept_evict(struct keeper *k)
{
    for (size_t i = 0; i < k->nheap; i++) {
        int fd = k->heap[i];

        if (!(k->by_fd[fd].h.flags & PF_HANDOFF_BEGUN) && !k->by_fd[fd].queued) {
            count_add(&k->n->idle_closed, 1);
            kept_drop(k, fd);
            return true;
        }
    }
    return false;
}

/* Hold fd with state h (bytes copied): in the table, the epoll set and,
 * with a deadline, the heap. */
static void kept_take(struct keeper *k, int fd, const struct pf_handoff *h, int64_t now)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
    bool readable;
    struct kept *e;

    if (atomic_load_explicit(&k->n->parked, memory_order_relaxed) >= k->a->max_parked &&
        !((h->flags & PF_HANDOFF_BEGUN) && kept_evict(k))) {
        kept_refuse(k, fd, h, ENOBUFS);
        return;
    }
    /* Its next request came while it travelled (a busy server parks
     * clients between requests, and yields them here when the ready socket
     * is full): straight back, never watched. */
    readable = !k->draining && kept_has_bytes(fd);
    if (readable && k->qlen == 0 && ready_send(k, fd, h) == 0) {
        count_add(&k->n->taken, 1);
        count_add(&k->n->handed, 1);
        close(fd);
        return;
    }
    if (pf_episode_on(&k->full) && pf_episode_ok(&k->full) == PF_EPISODE_ENDED)
        pf_log_notice("keeper: room again for parked connections (%llu refused meanwhile)",
                      (unsigned long long)k->full.failures);
    if (!kept_room(k, fd) || k->by_fd[fd].used) {
        close(fd);
        return;
    }
    e = &k->by_fd[fd];
    e->used = true;
    e->h = *h;
    e->heap_at = SIZE_MAX;
    if (h->nbytes > 0) {
        e->bytes = malloc(h->nbytes);
        if (e->bytes == NULL) {
            memset(e, 0, sizeof(*e));
            close(fd);
            return;
        }
        memcpy(e->bytes, h->bytes, h->nbytes);
    }
    e->h.bytes = e->bytes;
    e->due_ms = kept_due(k, h);
    count_add(&k->n->parked, 1);
    count_add(&k->n->taken, 1);
    if (readable) { /* at the end of the queue for the ready socket */
        kept_hand(k, fd);
        return;
    }
    e->watched = epoll_ctl(k->ep, EPOLL_CTL_ADD, fd, &ev) == 0;
    if (!e->watched || (e->due_ms >= 0 && !heap_push(k, fd))) {
        pf_log_error("keeper: cannot hold a connection: %s", strerror(errno));
        kept_drop(k, fd);
        return;
    }
    if (k->draining && (h->flags & PF_HANDOFF_BEGUN))
        kept_hand(k, fd);
    else if (e->due_ms >= 0 && e->due_ms <= now)
        kept_expire(k, fd);
}

/* No descriptor to receive a parking into even after refusing one (the
 * limit was lowered under what the keeper holds): stop reading the park
 * socket for a while, so that a full table is no spin. Workers keep their
 * connections once its buffer is full; what it holds waits. */
static void park_pause(struct keeper *k, int why, const char *err)
{
    struct epoll_event ev = {.events = 0, .data.fd = k->a->park_fd};

    if (pf_episode_fail(&k->full, why, pf_time_now_ms(), PF_EPISODE_PERIOD_MS) != PF_EPISODE_QUIET)
        pf_log_warn("keeper: cannot take parked connections: %s; trying again every %d ms", err,
                    KEEPER_PAUSE_MS);
    k->park_paused_until = pf_time_now_ms() + KEEPER_PAUSE_MS;
    epoll_ctl(k->ep, EPOLL_CTL_MOD, k->a->park_fd, &ev);
}

/* The pause is over: the park socket is read again. */
static void park_resume(struct keeper *k, int64_t now)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = k->a->park_fd};

    if (k->park_paused_until == 0 || now < k->park_paused_until)
        return;
    k->park_paused_until = 0;
    if (k->park_open)
        epoll_ctl(k->ep, EPOLL_CTL_MOD, k->a->park_fd, &ev);
}

/* Take every connection waiting on the park socket. False when every
 * sender is gone (EOF). */
static bool park_take_all(struct keeper *k)
{
    for (;;) {
        struct pf_handoff h;
        char err[PF_ERR_MAX] = "";
        int fd, rc;

        rc = pf_handoff_recv_spared(k->a->park_fd, &k->reserve_fd, k->a->park_fd, &fd, &h, k->msg,
                                    sizeof(k->msg), err, sizeof(err));
        if (rc < 0 && k->reserve_fd < 0) { /* at its limit: the messages wait */
            park_pause(k, errno, err);
            return true;
        }
        if (rc == 0)
            return false;
        if (rc > 0 && k->reserve_fd < 0) { /* this one took the last descriptor */
            if (!(h.flags & PF_HANDOFF_BEGUN) || !kept_evict(k) ||
                (k->reserve_fd = fcntl(k->a->park_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
                kept_refuse(k, fd, &h, EMFILE);
                continue;
            }
        }
        if (rc < 0 && errno == EBADMSG) {
            count_add(&k->n->bad, 1);
            pf_log_warn("keeper: a parked connection refused: %s", err);
            continue;
        }
        if (rc < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        kept_take(k, fd, &h, pf_time_now_ms());
    }
}

/* End every connection whose deadline has passed. */
static void expire_due(struct keeper *k, int64_t now)
{
    while (k->nheap > 0 && due_of(k, 0) <= now)
        kept_expire(k, k->heap[0]);
}

/* How long to wait for events: until the nearest deadline or the end of a
 * pause, whichever comes first; -1 for neither. */
static int keeper_wait_ms(const struct keeper *k, int64_t now)
{
    int64_t next = k->nheap > 0 ? due_of(k, 0) : -1, left;

    if (k->park_paused_until > 0 && (next < 0 || k->park_paused_until < next))
        next = k->park_paused_until;
    if (next < 0)
        return -1;
    left = next - now;
    return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* Told to stop: begun requests go back to the workers now; idle
 * connections are watched until drain_until at most. */
static void keeper_drain(struct keeper *k, int64_t now)
{
    k->draining = true;
    atomic_store_explicit(&k->n->closing, 1, memory_order_relaxed);
    k->drain_until = now + PF_KEEPER_STOP_GRACE_MS;
    pf_log_info("keeper: stopping: %llu connections held; idle ones are closed within %d ms",
                (unsigned long long)atomic_load_explicit(&k->n->parked, memory_order_relaxed),
                PF_KEEPER_STOP_GRACE_MS);
    for (size_t fd = 0; fd < k->nfd; fd++) {
        struct kept *e = &k->by_fd[fd];
        int64_t due;

        if (!e->used || e->queued)
            continue;
        if (e->h.flags & PF_HANDOFF_BEGUN) {
            kept_hand(k, (int)fd);
        } else if ((due = kept_due(k, &e->h)) != e->due_ms) {
            heap_remove(k, (int)fd);
            e->due_ms = due;
            if (!heap_push(k, (int)fd))
                kept_drop(k, (int)fd);
        }
    }
}

/* A stop holds nothing more: no more parking (a worker's send now fails
 * and it keeps its connection), and what was sent before is taken, to be
 * handed back or closed like the rest. False when nothing is left. */
static bool keeper_close_park(struct keeper *k)
{
    if (k->park_open) {
        k->park_open = false;
        shutdown(k->a->park_fd, SHUT_RD);
        epoll_ctl(k->ep, EPOLL_CTL_DEL, k->a->park_fd, NULL);
        park_take_all(k);
    }
    return atomic_load_explicit(&k->n->parked, memory_order_relaxed) > 0;
}

/* Signals the keeper acts on, after each wait. */
static void keeper_signals(struct keeper *k)
{
    if (k->a->reopen && *k->a->reopen) {
        char err[PF_ERR_MAX];

        *k->a->reopen = 0;
        if (pf_log_reopen(err, sizeof(err)) < 0)
            pf_log_error("%s", err);
    }
    if (k->a->stop && *k->a->stop && !k->draining)
        keeper_drain(k, pf_time_now_ms());
}

static bool keeper_add(struct keeper *k, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};

    return fd < 0 || epoll_ctl(k->ep, EPOLL_CTL_ADD, fd, &ev) == 0;
}

static void keeper_close_all(struct keeper *k)
{
    for (size_t fd = 0; fd < k->nfd; fd++)
        if (k->by_fd[fd].used)
            kept_drop(k, (int)fd);
    atomic_store_explicit(&k->n->queued, 0, memory_order_relaxed);
    free(k->by_fd);
    free(k->heap);
    free(k->queue);
    if (k->ep >= 0)
        close(k->ep);
}

/* The keeper running in this process: reachable from a static, so that a
 * leak checker at a fatal signal (SIGTERM in a fast stop) sees its
 * memory as in use, not lost. */
static struct keeper *keeper_self;

int pf_keeper_run(const struct pf_keeper_args *a, struct pf_keeper_counts *counts)
{
    static struct pf_keeper_counts own;
    struct keeper *k = keeper_self = calloc(1, sizeof(*k));
    struct epoll_event ev[KEEPER_EVENTS];
    bool running = true;

    if (k == NULL) {
        pf_log_error("keeper: %s", strerror(ENOMEM));
        return PF_KEEPER_EXIT_INIT;
    }
    k->a = a;
    k->n = counts ? counts : &own;
    k->reserve_fd = -1;
    k->park_open = true;
    k->ep = epoll_create1(EPOLL_CLOEXEC);
    if (k->ep < 0 || !keeper_add(k, a->park_fd, EPOLLIN) || !keeper_add(k, a->ready_fd, 0) ||
        !keeper_add(k, a->lifeline_fd, EPOLLIN)) {
        pf_log_error("keeper: cannot set up its epoll set: %s", strerror(errno));
        keeper_close_all(k);
        free(k);
        return PF_KEEPER_EXIT_INIT;
    }
    while (running) {
        int n = a->wait_mask
                    ? epoll_pwait(k->ep, ev, KEEPER_EVENTS, keeper_wait_ms(k, pf_time_now_ms()),
                                  a->wait_mask)
                    : epoll_wait(k->ep, ev, KEEPER_EVENTS, keeper_wait_ms(k, pf_time_now_ms()));

        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;

            if (fd == a->park_fd)
                running = park_take_all(k) && running;
            else if (fd == a->ready_fd)
                queue_flush(k);
            else if (fd == a->lifeline_fd)
                running = false;
            else if ((size_t)fd < k->nfd && k->by_fd[fd].used && !k->by_fd[fd].queued)
                kept_readable(k, fd);
        }
        keeper_signals(k);
        expire_due(k, pf_time_now_ms());
        park_resume(k, pf_time_now_ms());
        if (k->draining && atomic_load_explicit(&k->n->parked, memory_order_relaxed) == 0)
            running = keeper_close_park(k);
    }
    if (k->reserve_fd >= 0)
        close(k->reserve_fd);
    keeper_close_all(k);
    free(k);
    return PF_KEEPER_EXIT_OK;
}
