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
#include <sys/types.h>

#include "pf_parking.h"
#include "pf_pool.h"
#include "pf_smaps.h"
#include "pf_status.h"

/* The pool's part of a status: workers per state, target and max,
 * totals (live slots plus the workers already gone). The master fills
 * the rest (pid, times, listen queue...). */
void pf_stats_pool(const struct pf_pool *p, struct pf_status *st);

/* The master's CPU time, resident memory and open descriptors (and its
 * descriptor limit), and the same summed over the workers (the CPU time
 * of the reaped ones included, so it only grows), from /proc. */
void pf_stats_processes(const struct pf_pool *p, struct pf_status *st);

/* One entry per live worker, at most max; returns the count. */
size_t pf_stats_workers(const struct pf_pool *p, struct pf_status_worker *out, size_t max);

/* The private memory of each of w[0..n) from /proc (pf_stats_memory),
 * left -1 for a worker gone or unreadable. A read per worker: for the
 * workers command and metrics, not for every pass of the loop. */
void pf_stats_workers_memory(struct pf_status_worker *w, size_t n);

/* The keeper's part of a status: whether parking is on, its pid,
 * restarts and counters, and its memory. 0, or -1 when its memory could
 * not be read (the rest is filled, the memory left 0, the reason in err
 * and errno). */
int pf_stats_keeper(const struct pf_parking *pk, struct pf_status_keeper *k, char *err,
                    size_t errlen);

/* The memory of process pid (Rss, Pss, private, in KiB) into m, from
 * /proc/PID/smaps_rollup (Linux 4.14 and later). 0, or -1 with m zeroed,
 * the reason in err
 * ("cannot read /proc/42/smaps_rollup: No such file or directory") and
 * errno (EINVAL: the text is not as expected). */
int pf_stats_memory(pid_t pid, struct pf_smaps *m, char *err, size_t errlen);

#endif
