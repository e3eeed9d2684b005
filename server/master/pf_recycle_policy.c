/* pf_recycle: per-worker request and lifetime limits (pure). */
#include "pf_recycle_policy.h"

#include <limits.h>

/* splitmix64's state is the seed itself: any value, 0 included, is fine. */
void pf_rng_seed(struct pf_rng *r, uint64_t seed)
{
    r->state = seed;
}

/* splitmix64 (Steele, Lea and Flood; public domain reference by Vigna). */
uint64_t pf_rng_next(struct pf_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Rejection sampling: draws below 2^64 mod n would favour small results
 * (the last partial run of n), so they are drawn again. */
uint64_t pf_rng_upto(struct pf_rng *r, uint64_t max)
{
    uint64_t n = max + 1, floor, x;

    if (n == 0)
        return pf_rng_next(r); /* max is UINT64_MAX: every value is fine */
    floor = (0 - n) % n;
    do
        x = pf_rng_next(r);
    while (x < floor);
    return x % n;
}

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
