/* pf_hung_policy: is a worker hung, and what should the master do about it?
 *
 * The decision alone, pure: a copy of what the scoreboard and the master's
 * table say about one worker, the time now and the timeouts in; "leave
 * it", "SIGTERM" or "SIGKILL" out. No clock, no signals, no logging: the
 * master side (pf_hung.c) takes the snapshot and acts.
 *
 * "Busy on one request" is precise: the worker is serving a client
 * (scoreboard state reading, writing or closing: what status counts as
 * busy) AND a request is in progress (request_ms set). The protocols set
 * request_ms once a whole request is in (HTTP: the head parsed; echo: the
 * line; msg: the frame), just before the response goes out, and clear it
 * when the response is sent. So a worker idle in accept, one waiting for a
 * keep-alive client's next request or for the rest of a request (bounded by
 * the client timeouts instead), and one still starting are never hung. A
 * worker the master told to stop (retiring, or stop_requested in its slot)
 * is not judged here either: its stop has its own bound.
 *
 * Every time is a CLOCK_MONOTONIC millisecond. That clock is not changed
 * by setting the wall clock, and on Linux it does not advance while the
 * machine is suspended, so neither a clock step nor a suspend and resume
 * makes requests look older than the time they really ran.
 */
#ifndef PF_HUNG_POLICY_H
#define PF_HUNG_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum pf_hung_policy_action {
    PF_HUNG_POLICY_NONE = 0, /* nothing to do */
    PF_HUNG_POLICY_TERM,     /* busy on one request for request_timeout: SIGTERM */
    PF_HUNG_POLICY_KILL,     /* SIGTERM sent stop_timeout ago, still there: SIGKILL */
};

/* One worker as the decision sees it. */
struct pf_hung_policy_view {
    int state;          /* enum pf_slot_state, from the scoreboard */
    int64_t request_ms; /* monotonic start of the request in progress; 0 none */
    bool stop_ordered;  /* the master told it to stop (retiring or stop_requested) */
    int64_t term_ms;    /* when the master sent SIGTERM because it hung; 0 never */
    bool kill_sent;     /* the SIGKILL that follows was sent too */
};

/* The two settings involved (workers.request_timeout, workers.stop_timeout). */
struct pf_hung_policy_limits {
    int request_timeout_ms; /* 0: never take a worker as hung */
    int stop_timeout_ms;    /* from SIGTERM to SIGKILL */
};

/* When the answer for v changes from "nothing" to an action: the monotonic
 * ms at which the request in progress reaches request_timeout, or at which
 * the SIGTERM sent reaches stop_timeout; -1 when nothing is pending. The
 * master sleeps no longer than the earliest of these. */
int64_t pf_hung_policy_due_ms(const struct pf_hung_policy_view *v,
                              const struct pf_hung_policy_limits *lim);

/* What to do about v at now_ms: PF_HUNG_POLICY_NONE before pf_hung_policy_due_ms (or
 * when nothing is due), else TERM for a request past its time, or KILL
 * for a worker that outlived its SIGTERM by stop_timeout. */
enum pf_hung_policy_action pf_hung_policy_decide(const struct pf_hung_policy_view *v,
                                                 int64_t now_ms,
                                                 const struct pf_hung_policy_limits *lim);

#endif
