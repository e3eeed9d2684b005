/* pf_backoff_policy: the respawn backoff after a crash loop (pure).
 *
 * The master feeds it every worker end that counts as a crash (killed by a
 * signal or a non-zero exit status, not counting workers the master itself
 * told to stop; a worker that could not start always counts). When more
 * than `limit` crashes fall within `window`, the master backs off: no fork
 * for 1 s, then one fork per delay, the delay doubling at each further
 * crash up to `max`. Once the workers forked after the last crash have
 * run a whole window without a crash (a delay plus a window after it),
 * the delay is gone. Every change (started, longer, recovered) is returned so the
 * caller logs each once. No clock, no I/O: every time is an argument
 * (monotonic milliseconds).
 */
#ifndef PF_BACKOFF_POLICY_H
#define PF_BACKOFF_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* The first delay once crashes pass the limit (capped by max). */
#define PF_BACKOFF_POLICY_FIRST_MS 1000

struct pf_backoff_policy {
    int limit; /* crashes allowed within the window */
    int64_t window_ms;
    int64_t max_ms;        /* cap of the delay */
    int64_t *times;        /* ring of the last limit + 1 crash times */
    int filled;            /* entries of the ring in use */
    int head;              /* the next entry to write (the oldest once full) */
    int64_t last_ms;       /* the latest crash (when filled > 0) */
    int64_t delay_ms;      /* 0: not backing off */
    int64_t not_before_ms; /* while backing off: no fork before this */
};

/* What a call changed, for the caller to log once. */
enum pf_backoff_policy_change {
    PF_BACKOFF_POLICY_SAME = 0,  /* nothing to report */
    PF_BACKOFF_POLICY_STARTED,   /* crashes passed the limit: delay_ms is the first delay */
    PF_BACKOFF_POLICY_LONGER,    /* a further crash doubled the delay */
    PF_BACKOFF_POLICY_RECOVERED, /* a whole window without a crash: no delay any more */
};

/* Set up with crash_limit, crash_window and backoff_max. 0, or -1 when the
 * ring cannot be allocated. */
int pf_backoff_policy_init(struct pf_backoff_policy *b, int limit, int64_t window_ms,
                           int64_t max_ms);
void pf_backoff_policy_free(struct pf_backoff_policy *b);

/* A worker crashed at now. */
enum pf_backoff_policy_change pf_backoff_policy_crash(struct pf_backoff_policy *b, int64_t now);

/* Time passes: recovery once a delay and a whole window have gone by
 * since the last crash. */
enum pf_backoff_policy_change pf_backoff_policy_tick(struct pf_backoff_policy *b, int64_t now);

/* Is a delay in force (crashes passed the limit, no recovery yet)? */
bool pf_backoff_policy_running(const struct pf_backoff_policy *b);

/* May a worker be forked at now? */
bool pf_backoff_policy_may_fork(const struct pf_backoff_policy *b, int64_t now);

/* A worker was forked at now: while backing off, the next waits a delay. */
void pf_backoff_policy_forked(struct pf_backoff_policy *b, int64_t now);

/* Milliseconds until a fork is allowed again, or -1 when one is allowed
 * now or no backoff is running (nothing to wake up for). */
int64_t pf_backoff_policy_wait_ms(const struct pf_backoff_policy *b, int64_t now);

/* Crashes within the window ending at now (at most limit + 1: the ring
 * keeps no more, and more would not change the decision). */
int pf_backoff_policy_recent(const struct pf_backoff_policy *b, int64_t now);

#endif
