/* pf_rng: splitmix64, and a seed from the system. */
#include "pf_rng.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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

/* getrandom() without blocking (early boot may not have entropy yet);
 * the clock and pid otherwise: spreading restarts needs no secret. */
uint64_t pf_rng_entropy(void)
{
    uint64_t seed;
    struct timespec ts;

    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
        return seed;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
}
