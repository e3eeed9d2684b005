/* pf_park_policy: when a worker parks a connection with the keeper (pure).
 *
 * A worker serving a connection that has no bytes to read (a keep-alive
 * connection between requests, a head or frame begun and trickling in)
 * either keeps waiting on it or hands it to the keeper, which holds any
 * number of idle connections and gives each back to a free worker once
 * it is readable. Parking costs two hand-overs; waiting costs a whole
 * worker. So:
 *  - a hot connection (a browser loading a page, a benchmark, pipelined
 *    requests) sends its next request within a moment of the response:
 *    the worker lingers that moment (keeper.linger) instead of paying a
 *    hand-over per request;
 *  - a connection silent for longer is parked: the worker is free for the
 *    clients that have bytes to send;
 *  - when others wait for a worker (a new connection queued, or one the
 *    keeper has ready) and no worker is idle to take them, the worker
 *    parks at once: no client waits while a worker waits on an idle one;
 *  - a worker told to stop parks at once: a reload's new generation
 *    serves the connection's next request (in a whole stop the keeper
 *    answers it, or closes it idle);
 *  - with parking off, or no keeper up, the worker waits as it always
 *    did, until the connection's own deadline.
 * No clock, no I/O: the waits and counts are arguments.
 */
#ifndef PF_PARK_POLICY_H
#define PF_PARK_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* What the worker knows while a connection has no bytes to read. */
struct pf_park_policy_view {
    bool enabled;        /* parking is on and a keeper is up to take it */
    bool stopping;       /* this worker was told to stop */
    int linger_ms;       /* how long a connection may wait in the worker */
    int64_t waited_ms;   /* how long this wait has lasted so far */
    bool others_waiting; /* a new connection is queued, or the keeper has one ready */
    int idle_workers;    /* workers idle in the scoreboard, this one not counted */
};

enum pf_park_policy_action {
    PF_PARK_POLICY_WAIT = 0, /* keep waiting on the connection */
    PF_PARK_POLICY_PARK,     /* hand it to the keeper now */
};

struct pf_park_policy_step {
    enum pf_park_policy_action action;
    int wait_ms; /* WAIT: ask again after this long, or when bytes come;
                    -1: wait until the connection's own deadline */
};

struct pf_park_policy_step pf_park_policy_decide(const struct pf_park_policy_view *v);

#endif
