/* pf_rng: a small seeded random number generator, and a seed for it.
 *
 * splitmix64: tiny, fast, and good enough for spreading restarts and
 * drawing jitter (it is not for secrets). The generator itself is pure;
 * pf_rng_entropy is the one function here that asks the system.
 */
#ifndef PF_RNG_H
#define PF_RNG_H

#include <stdint.h>

struct pf_rng {
    uint64_t state;
};

void pf_rng_seed(struct pf_rng *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t pf_rng_next(struct pf_rng *r);

/* A uniform number from 0 to max, both included (no modulo bias). */
uint64_t pf_rng_upto(struct pf_rng *r, uint64_t max);

/* A seed: from getrandom() without blocking (early boot may not have
 * entropy yet), else from the clock and the pid. */
uint64_t pf_rng_entropy(void);

#endif
