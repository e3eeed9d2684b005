/* pf_park: wait on a silent connection a moment, then park it with the
 * keeper. */
#include "pf_park.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "pf_log.h"
#include "pf_park_policy.h"
#include "pf_signals.h"
#include "pf_time.h"

bool pf_park_closing(const struct pf_park *pk)
{
    return pk && pk->closing && atomic_load_explicit(pk->closing, memory_order_relaxed);
}

int pf_park_idle_workers(const struct pf_park *pk)
{
    int idle = 0;

    for (size_t i = 0; i < pk->nslots; i++)
        if (&pk->slots[i] != pk->self && pf_slot_get_state(&pk->slots[i]) == PF_SLOT_IDLE)
            idle++;
    return idle;
}

/* Send c with state on sock: to the keeper (park_fd), or to the ready
 * queue (yield_fd). False when sock cannot take it (full: the keeper or
 * the workers are behind; closed: the keeper is gone for good, in a
 * stop): the connection then stays with this worker. */
static bool park_send(const struct pf_park *pk, int sock, const struct pf_conn *c,
                      const struct pf_handoff *state)
{
    struct pf_handoff h = *state;

    snprintf(h.protocol, sizeof(h.protocol), "%s", pk->protocol);
    h.peer = c->peer;
    h.peer_len = c->peer_len;
    if (pf_handoff_send(sock, c->fd, &h) == 0)
        return true;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EPIPE && errno != ECONNREFUSED &&
        errno != ECONNRESET)
        pf_log_warn("client %s: cannot hand the connection over: %s", c->peer_text,
                    strerror(errno));
    return false;
}

/* While a connection that could be parked cannot be (no keeper runs, it
 * is being replaced, or the park socket is full), how often the worker
 * looks again. */
#define PARK_RECHECK_MS 100

/* The descriptors a lingering worker watches: the connection, and the
 * listening and ready sockets (a client waiting there, with no worker
 * idle to take it, is a reason to park or yield at once). */
struct park_watch {
    struct pollfd p[3];
    nfds_t n;
};

static void watch_others(struct park_watch *w, const struct pf_park *pk, bool on)
{
    w->n = 1;
    if (!on)
        return;
    w->p[1] = (struct pollfd){.fd = pk->listen_fd, .events = POLLIN};
    w->p[2] = (struct pollfd){.fd = pk->ready_fd, .events = POLLIN};
    w->n = 3;
}

/* After a wake: how many clients wait for a worker? A new connection
 * queued counts one (the kernel does not say how many more); the ready
 * socket, as many as are in it (its shared count), at least one if it is
 * readable. 0: none. A socket that only hangs up is watched no more, or
 * the wait would spin. */
static int others_waiting(struct park_watch *w, const struct pf_park *pk)
{
    int waiting = 0;

    for (nfds_t i = 1; i < w->n; i++) {
        if (w->p[i].revents & POLLIN) {
            int64_t n = 1;

            if (w->p[i].fd == pk->ready_fd && pk->ready_waiting)
                n = atomic_load_explicit(pk->ready_waiting, memory_order_relaxed);
            waiting += n < 1 ? 1 : n > 65536 ? 65536 : (int)n;
        } else if (w->p[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
            w->p[i].fd = -1;
        }
    }
    return waiting;
}

/* Does the keeper hold readable connections the ready socket had no room
 * for? A yield then goes behind them, through the keeper: straight into
 * the ready socket it would pass them (workers are there first whenever
 * room frees), and they would wait while workers swap their own
 * connections. */
static bool park_queue_behind(const struct pf_park *pk)
{
    return pk->queued && atomic_load_explicit(pk->queued, memory_order_relaxed) > 0;
}

/* Can a connection be parked now: a keeper runs and does not stop? */
static bool park_keeper_there(const struct pf_park *pk)
{
    return !pf_park_closing(pk) && atomic_load_explicit(pk->up, memory_order_relaxed);
}

enum pf_proto_wait pf_park_wait(const struct pf_park *pk, struct pf_conn *c, int64_t deadline,
                                const struct pf_handoff *state, bool stopping)
{
    /* may: the connection could travel; can: and a keeper takes it now */
    bool may_park = pk != NULL && pk->park_fd >= 0 && state != NULL;
    bool can_park = may_park && park_keeper_there(pk);
    struct park_watch w = {.p[0] = {.fd = c->fd, .events = POLLIN}, .n = 1};
    struct pf_park_policy_view v = {.enabled = can_park,
                                    .stopping = stopping,
                                    .linger_ms = pk ? pk->linger_ms : 0,
                                    .turn = c->waits};
    int64_t start = pf_time_now_ms(), retry_at = -1;
    /* Between requests the signals held while one is served come in
     * (SIGUSR1: reopen the logs now); while a request is begun, they wait. */
    const sigset_t *mask = state != NULL && !(state->flags & PF_HANDOFF_BEGUN) ? c->idle_mask
                                                                               : NULL;

    /* Other clients are watched for from the start; idle workers are
     * counted only when one comes (a scan of the scoreboard per wait
     * would cost the hot path). */
    watch_others(&w, pk, can_park);
    for (;;) {
        struct pf_park_policy_step step;
        int64_t until = deadline, now = pf_time_now_ms();
        struct timespec ts;
        int n;

        if (may_park && !can_park && now >= retry_at && park_keeper_there(pk)) {
            /* a keeper again (one was being replaced), or room again in
             * the park socket: parking is back in the decision */
            v.enabled = can_park = true;
            watch_others(&w, pk, true);
        }
        v.waited_ms = now - start;
        step = pf_park_policy_decide(&v);
        switch (step.action) {
        case PF_PARK_POLICY_SERVE: return PF_PROTO_READABLE;
        case PF_PARK_POLICY_YIELD:
            /* queued behind the others: in the ready socket, or, when it
             * is full or the keeper queues for it, at the end of the
             * keeper's queue; when neither takes it, served here */
            if (!park_queue_behind(pk) && park_send(pk, pk->yield_fd, c, state)) {
                if (pk->ready_waiting)
                    atomic_fetch_add_explicit(pk->ready_waiting, 1, memory_order_relaxed);
                return PF_PROTO_PARKED;
            }
            return park_send(pk, pk->park_fd, c, state) ? PF_PROTO_PARKED : PF_PROTO_READABLE;
        case PF_PARK_POLICY_PARK:
            if (park_send(pk, pk->park_fd, c, state)) {
                pf_slot_parked(pk->self);
                return PF_PROTO_PARKED;
            }
            v.enabled = can_park = false; /* kept here; tried again later */
            retry_at = pf_time_now_ms() + PARK_RECHECK_MS;
            watch_others(&w, pk, false);
            continue;
        case PF_PARK_POLICY_WAIT: break;
        }
        if (deadline >= 0 && now >= deadline)
            return PF_PROTO_TIMEOUT;
        if (step.wait_ms >= 0 && (until < 0 || now + step.wait_ms < until))
            until = now + step.wait_ms;
        if (may_park && !can_park && (until < 0 || now + PARK_RECHECK_MS < until))
            until = now + PARK_RECHECK_MS; /* not for the whole deadline */
        ts = pf_time_timespec(pf_time_left_ms(until));
        n = ppoll(w.p, w.n, until < 0 ? NULL : &ts, mask);
        if (n < 0 && errno != EINTR)
            return PF_PROTO_TIMEOUT;
        if (n < 0 && pf_signals_reopen)
            pf_worker_reopen_logs();
        if (n <= 0)
            continue; /* a signal, or a wait over: the policy decides again */
        v.readable = w.p[0].revents != 0;
        if (w.n > 1 && (v.others_waiting = others_waiting(&w, pk)) > 0) {
            /* known now: watching them further would only spin */
            v.idle_workers = pf_park_idle_workers(pk);
            watch_others(&w, pk, false);
        }
    }
}
