/* pb_hist: a latency histogram with log-linear buckets (see pb_hist.h).
 *
 * Layout of the bucket index space:
 *   0 .. SUB-1            one bucket per value (exact)
 *   SUB .. OVERFLOW-1     for each power 2^e, e = SUB_BITS .. MAX_BITS-1,
 *                         HALF = SUB/2 buckets of width 2^(e - SUB_BITS + 1)
 *                         covering [2^e, 2^(e+1))
 *   OVERFLOW              [2^MAX_BITS, UINT64_MAX]
 * A value v >= SUB with top bit e has its top SUB_BITS bits (v >> shift,
 * shift = e - SUB_BITS + 1) in [HALF, SUB): those bits minus HALF are the
 * sub-bucket. A bucket's width 2^shift is 1/HALF of 2^e, the smallest value
 * of that power, so every value is within half a width, 1/SUB of itself,
 * of its bucket's midpoint.
 */
#include "pb_hist.h"

#include <math.h>

#define HIST_HALF (PB_HIST_SUB / 2)
#define HIST_OVERFLOW (PB_HIST_BUCKETS - 1)

/* Index of the highest set bit of v (v != 0). */
static unsigned hist_top_bit(uint64_t v)
{
#if defined(__GNUC__)
    return 63u - (unsigned)__builtin_clzll(v);
#else
    unsigned e = 0;

    while (v >>= 1)
        e++;
    return e;
#endif
}

void pb_hist_init(pb_hist_t *h)
{
    for (size_t i = 0; i < PB_HIST_BUCKETS; i++)
        h->counts[i] = 0;
    h->total = 0;
    h->min = UINT64_MAX;
    h->max = 0;
    h->sum = 0.0;
}

size_t pb_hist_bucket_of(uint64_t ns)
{
    unsigned e, shift;

    if (ns < PB_HIST_SUB)
        return (size_t)ns;
    if (ns >= PB_HIST_LIMIT)
        return HIST_OVERFLOW;
    e = hist_top_bit(ns);
    shift = e - PB_HIST_SUB_BITS + 1;
    return PB_HIST_SUB + (size_t)(e - PB_HIST_SUB_BITS) * HIST_HALF +
           (size_t)((ns >> shift) - HIST_HALF);
}

/* Buckets past the end are treated as the overflow bucket, so a caller's
 * off-by-one yields a sane range rather than garbage. */
uint64_t pb_hist_bucket_low(size_t bucket)
{
    size_t k;
    unsigned e;

    if (bucket < PB_HIST_SUB)
        return bucket;
    if (bucket >= HIST_OVERFLOW)
        return PB_HIST_LIMIT;
    k = bucket - PB_HIST_SUB;
    e = PB_HIST_SUB_BITS + (unsigned)(k / HIST_HALF);
    return (uint64_t)(HIST_HALF + k % HIST_HALF) << (e - PB_HIST_SUB_BITS + 1);
}

/* One below the next bucket's low: buckets are contiguous by construction. */
uint64_t pb_hist_bucket_high(size_t bucket)
{
    if (bucket >= HIST_OVERFLOW)
        return UINT64_MAX;
    return pb_hist_bucket_low(bucket + 1) - 1;
}

void pb_hist_record(pb_hist_t *h, uint64_t ns)
{
    h->counts[pb_hist_bucket_of(ns)]++;
    h->total++;
    if (ns < h->min)
        h->min = ns;
    if (ns > h->max)
        h->max = ns;
    h->sum += (double)ns;
}

void pb_hist_merge(pb_hist_t *dst, const pb_hist_t *src)
{
    for (size_t i = 0; i < PB_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->sum += src->sum;
}

/* ceil(total * pct / 100), within [1, total]. total * pct / 100 is
 * computed in floating point, where a product that is mathematically an
 * integer can come out a hair above it (pct = 99.9 is not exact in
 * binary); a relative slack far below any meaningful fraction of a rank
 * keeps ceil from jumping to the next rank for such round-off. */
static uint64_t hist_rank(uint64_t total, double pct)
{
    double x = (double)total * pct / 100.0;
    double r = ceil(x - x * 1e-12);

    if (!(r >= 1.0)) /* also catches NaN */
        return 1;
    if (r >= (double)total)
        return total;
    return (uint64_t)r;
}

/* The last rank is the largest value, known exactly: reporting max there
 * is what makes p100 max exactly as promised, since the midpoint of max's
 * bucket can lie below max (the clamp alone only helps above it). */
uint64_t pb_hist_percentile(const pb_hist_t *h, double pct)
{
    uint64_t rank, seen = 0, mid;
    size_t b = 0;

    if (h->total == 0)
        return 0;
    rank = hist_rank(h->total, pct);
    if (rank == h->total)
        return h->max;
    for (b = 0; b < HIST_OVERFLOW; b++) {
        seen += h->counts[b];
        if (seen >= rank)
            break;
    }
    /* b == HIST_OVERFLOW when only the overflow bucket reaches the rank. */
    mid = pb_hist_bucket_low(b) + (pb_hist_bucket_high(b) - pb_hist_bucket_low(b)) / 2;
    if (mid < h->min)
        return h->min;
    if (mid > h->max)
        return h->max;
    return mid;
}

double pb_hist_mean(const pb_hist_t *h)
{
    return h->total ? h->sum / (double)h->total : 0.0;
}
