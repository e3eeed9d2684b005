/* pf_recycle: each worker's own recycling limits, drawn at fork (pure).
 *
 * Workers started together (at start-up, after a reload, after a burst)
 * would otherwise all reach max_requests or max_lifetime together and be
 * replaced in one wave. So each worker gets its own limits, drawn by the
 * master before the fork from a seeded generator: max_requests plus a
 * uniform 0..max_requests_jitter, and max_lifetime plus a uniform 0..10 %.
 * The generator is splitmix64: tiny, fast, and good enough for spreading
 * restarts (it is not for secrets). No clock, no I/O: the seed comes from
 * the caller.
 */
#ifndef PF_RECYCLE_POLICY_H
#define PF_RECYCLE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "pf_config.h"

struct pf_rng {
    uint64_t state;
};

void pf_rng_seed(struct pf_rng *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t pf_rng_next(struct pf_rng *r);

/* A uniform number from 0 to max, both included (no modulo bias). */
uint64_t pf_rng_upto(struct pf_rng *r, uint64_t max);

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
