/* pf_park_policy: what a worker does with a connection between requests
 * (pure).
 *
 * After each response (and each wake while it waits), a worker serving a
 * connection either serves its next request, keeps waiting for it, parks
 * it with the keeper (which holds any number of idle connections and
 * hands each back to a free worker once it is readable), or yields it:
 * a connection whose next request is already there goes straight to the
 * queue where idle workers take connections (the ready socket), behind
 * the clients waiting there. Parking costs two hand-overs and the
 * keeper's work; yielding one hand-over; waiting costs a whole worker.
 * So:
 *  - a hot connection (a browser loading a page, a benchmark, pipelined
 *    requests) sends its next request within a moment of the response:
 *    the worker lingers that moment (keeper.linger) and serves it,
 *    without any hand-over, while no other client waits;
 *  - a connection silent for longer is parked: the worker is free for the
 *    clients that have bytes to send;
 *  - when others wait for a worker (a new connection queued, or one the
 *    keeper or another worker put in the ready queue), more of them than
 *    idle workers to take them, the worker does not keep serving its own
 *    client ahead of them for long: it serves PF_PARK_POLICY_TURN requests in a
 *    row at most, then yields the connection (it queues behind them); a
 *    silent one is parked at once (waiting even a round trip for its next
 *    request left the CPU idle while others waited: measured, wrk with
 *    256 connections on 4 workers, 1 ms of grace gave a third of the
 *    requests per second and 7 times the p99 of parking at once);
 *  - a worker told to stop parks a silent connection at once: a reload's
 *    new generation serves its next request (in a whole stop the keeper
 *    answers it, or closes it idle); a readable one it serves itself;
 *  - with parking off, or no keeper up, the worker waits as it always
 *    did, until the connection's own deadline, and serves what comes.
 * No clock, no I/O: the waits and counts are arguments.
 */
#ifndef PF_PARK_POLICY_H
#define PF_PARK_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* Requests a worker serves on one connection in a row while others wait
 * for a worker, before it yields: a hand-over for every few requests, not
 * for each, and no client waits more than this many others' requests. */
#define PF_PARK_POLICY_TURN 4

/* What the worker knows about a connection between requests. */
struct pf_park_policy_view {
    bool enabled;       /* parking is on and a keeper is up to take it */
    bool stopping;      /* this worker was told to stop */
    bool readable;      /* the connection's next bytes are there */
    int linger_ms;      /* how long a silent connection may wait in the worker */
    int64_t waited_ms;  /* how long this wait has lasted so far */
    unsigned turn;      /* waits on this connection since the worker took it */
    int others_waiting; /* clients waiting for a worker: in the ready queue,
                            and a new connection queued counts one */
    int idle_workers;   /* workers idle in the scoreboard, this one not counted */
};

enum pf_park_policy_action {
    PF_PARK_POLICY_WAIT = 0, /* keep waiting on the connection */
    PF_PARK_POLICY_SERVE,    /* read and serve its next request here */
    PF_PARK_POLICY_PARK,     /* hand it to the keeper now */
    PF_PARK_POLICY_YIELD,    /* put it in the ready queue, behind the others */
};

struct pf_park_policy_step {
    enum pf_park_policy_action action;
    int wait_ms; /* WAIT: ask again after this long, or when bytes come;
                    -1: wait until the connection's own deadline */
};

struct pf_park_policy_step pf_park_policy_decide(const struct pf_park_policy_view *v);

#endif
