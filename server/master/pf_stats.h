/* pf_stats: snapshots of the pool for status, workers and metrics.
 *
 * Reads the scoreboard (each slot written by its worker alone, without
 * locks: a counter may be read a moment stale, a summary half-updated,
 * which a report tolerates) and the master's totals.
 */
#ifndef PF_STATS_H
#define PF_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "pf_pool.h"
#include "pf_status.h"

/* The pool's part of a status: workers per state, target and max,
 * totals (live slots plus the workers already gone). The master fills
 * the rest (pid, times, listen queue...). */
void pf_stats_pool(const struct pf_pool *p, struct pf_status *st);

/* One entry per live worker, at most max; returns the count. */
size_t pf_stats_workers(const struct pf_pool *p, struct pf_status_worker *out, size_t max);

#endif
