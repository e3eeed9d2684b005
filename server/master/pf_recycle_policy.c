/* pf_recycle_policy: per-worker request and lifetime limits (pure). */
#include "pf_recycle_policy.h"

#include <limits.h>

/* max_requests + 0..jitter, saturated at LONG_MAX rather than wrapped. */
long pf_recycle_policy_max_requests(const struct pf_config *cfg, struct pf_rng *r)
{
    long base = cfg->workers.max_requests;
    uint64_t extra;

    if (base <= 0)
        return 0;
    if (cfg->workers.max_requests_jitter <= 0)
        return base;
    extra = pf_rng_upto(r, (uint64_t)cfg->workers.max_requests_jitter);
    return extra > (uint64_t)(LONG_MAX - base) ? LONG_MAX : base + (long)extra;
}

/* max_lifetime + 0..10 % (integer ms; under 10 ms, no extra). */
int64_t pf_recycle_policy_lifetime_ms(const struct pf_config *cfg, struct pf_rng *r)
{
    int64_t base = cfg->workers.max_lifetime_ms;

    if (base <= 0)
        return 0;
    return base + (int64_t)pf_rng_upto(r, (uint64_t)(base / 10));
}

/* Monotonic times: a clock step neither retires nor spares a worker. */
bool pf_recycle_policy_expired(int64_t started_ms, int64_t lifetime_ms, int64_t now_ms)
{
    return lifetime_ms > 0 && now_ms - started_ms >= lifetime_ms;
}
