/* pf_supervise: the master's supervision policy applied to the pool.
 *
 * The decisions are pure and live elsewhere: the pool's size in
 * pf_pool_policy, crashes told apart in pf_crash_policy, the crash backoff
 * in pf_backoff_policy, each worker's recycling limits in
 * pf_recycle_policy. This module is their glue on the master's side:
 * it reads the clock and the scoreboard, runs the once-a-second tick,
 * applies what was decided to the pool (forks through the target and
 * pf_pool_refill, retirements through pf_pool_retire_*), logs every
 * change once, and reports the state for status and metrics.
 */
#ifndef PF_SUPERVISE_H
#define PF_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>

#include "pf_pool.h"
#include "pf_pool_policy.h"
#include "pf_status.h"

/* Log "every worker busy at workers.max" at most this often. */
#define PF_SUPERVISE_MAX_LOG_MS 60000
struct pf_supervise {
    const struct pf_config *cfg;
    struct pf_pool_policy_state policy;
    bool at_max;           /* the last tick found every worker busy at max */
    int64_t max_logged_ms; /* when that was last logged; -1 never */
    uint64_t max_reached;  /* times the pool came to that state */
};

/* Ready to tick, the first tick a period after now. */
void pf_supervise_init(struct pf_supervise *sv, const struct pf_config *cfg, int64_t now_ms);

/* Once a second (does nothing between ticks, however often it is called):
 * end a crash backoff that is over, retire workers past their lifetime,
 * apply the pool size policy, note a pool busy at its maximum. hold: a
 * dynamic pool keeps its size this tick (a reload is replacing an older
 * generation, pf_reloader.rolling; or exec workers cannot be seen,
 * pf_exec_watch_blind). Not called while stopping. */
void pf_supervise_tick(struct pf_supervise *sv, struct pf_pool *p, int64_t now_ms, bool hold);

/* Milliseconds the master may sleep before supervision has work: until
 * the next tick, or sooner when the pool waits for the crash backoff to
 * allow its next fork, or to retry a fork that failed. */
int pf_supervise_wait_ms(const struct pf_supervise *sv, const struct pf_pool *p, int64_t now_ms);

/* A worker in slot was reaped with this wait status (how: its text, as
 * logged): feed a crash to the backoff, and log the backoff's changes
 * with the cause (the worker's own reason when it could not start).
 * The pool's on_exit (set by the master), called by pf_pool_reap before
 * the slot is freed. */
void pf_supervise_exit(struct pf_pool *p, int slot, int status, const char *how, int64_t now_ms);

/* The supervision part of a status: mode, backoff, crashes, max reached. */
void pf_supervise_status(const struct pf_supervise *sv, const struct pf_pool *p,
                         struct pf_status *st, int64_t now_ms);

#endif
