/* pf_recycle_policy: each worker's own recycling limits, drawn at fork (pure).
 *
 * Workers started together (at start-up, after a reload, after a burst)
 * would otherwise all reach max_requests or max_lifetime together and be
 * replaced in one wave. So each worker gets its own limits, drawn by the
 * master before the fork from a seeded generator: max_requests plus a
 * uniform 0..max_requests_jitter, and max_lifetime plus a uniform 0..10 %.
 * The generator is common/pf_rng.c. No clock, no I/O: the generator
 * comes seeded from the caller.
 */
#ifndef PF_RECYCLE_POLICY_H
#define PF_RECYCLE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "pf_config.h"
#include "pf_rng.h"

/* A new worker's request limit: 0 (never) when workers.max_requests is 0,
 * else max_requests + 0..max_requests_jitter, at most LONG_MAX. */
long pf_recycle_policy_max_requests(const struct pf_config *cfg, struct pf_rng *r);

/* A new worker's lifetime in ms: 0 (never) when workers.max_lifetime is 0,
 * else max_lifetime + 0..10 % of it. */
int64_t pf_recycle_policy_lifetime_ms(const struct pf_config *cfg, struct pf_rng *r);

/* Has a worker started at started_ms with this lifetime (0: none) run
 * out of it at now? */
bool pf_recycle_policy_expired(int64_t started_ms, int64_t lifetime_ms, int64_t now_ms);

#endif
