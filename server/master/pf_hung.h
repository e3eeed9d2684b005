/* pf_hung: where the master kills hung workers (workers.request_timeout).
 *
 * On every pass of its loop the master reads each live worker's slot,
 * asks pf_hung_policy_decide (pure, pf_hung_policy.c) and acts: a worker busy on one
 * request for request_timeout is logged (pid, client, request, how long)
 * at warn, counted (hung_killed) and sent SIGTERM; one still alive
 * stop_timeout later (a stopped process keeps SIGTERM pending) gets
 * SIGKILL. The worker stays in the pool's count until it is reaped, and
 * pf_pool_refill replaces it then, like any worker that exited; the
 * reaper logs its end at info ("killed as hung"), not as a crash.
 */
#ifndef PF_HUNG_H
#define PF_HUNG_H

#include <stdint.h>

#include "pf_pool.h"

/* Decide and act for every live worker at now_ms (monotonic). */
void pf_hung_check(struct pf_pool *p, int64_t now_ms);

/* The earliest monotonic ms at which pf_hung_check has something to
 * do (a request reaching request_timeout, a SIGKILL escalation), or -1:
 * the master sleeps no longer than this. */
int64_t pf_hung_due(const struct pf_pool *p);

#endif
