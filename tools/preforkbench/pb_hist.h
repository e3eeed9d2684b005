/*
 * pb_hist: a latency histogram with log-linear buckets.
 *
 * Why log-linear: latencies of a loaded server span microseconds (a cached
 * 1 KiB file on loopback) to seconds or minutes (a stalled server, a full
 * listen queue). Fixed-width buckets would need millions of counters for
 * that range; purely logarithmic ones (powers of two) are too coarse to
 * tell a p99 of 1.0 ms from 1.9 ms. Log-linear buckets split each power of
 * two into PB_HIST_SUB equal sub-buckets, so every recorded value is known
 * to within 1/PB_HIST_SUB of itself (128 → better than 0.8 %), over the
 * whole range, with a few thousand counters.
 *
 * Values are nanoseconds (uint64_t). Values below PB_HIST_SUB are exact
 * (one bucket per nanosecond). Values at or above PB_HIST_LIMIT (2^42 ns,
 * about 73 minutes) are counted in the last bucket; min and max stay exact
 * whatever the value.
 *
 * Pure: no I/O, no allocation, no clock. One histogram per thread; merge
 * them at the end (pb_hist_merge).
 */
#ifndef PB_HIST_H
#define PB_HIST_H

#include <stddef.h>
#include <stdint.h>

/* Sub-buckets per power of two: the precision (1/128 < 0.8 %). */
#define PB_HIST_SUB_BITS 7
#define PB_HIST_SUB (1u << PB_HIST_SUB_BITS)
/* Values from 2^PB_HIST_MAX_BITS on share the last bucket. */
#define PB_HIST_MAX_BITS 42
#define PB_HIST_LIMIT ((uint64_t)1 << PB_HIST_MAX_BITS)
/*
 * Bucket count: PB_HIST_SUB exact buckets for 0..PB_HIST_SUB-1, then
 * PB_HIST_SUB/2 buckets for each power of two from 2^PB_HIST_SUB_BITS to
 * 2^(PB_HIST_MAX_BITS-1) (the upper half of a power's range: its lower half
 * is the previous power), plus one overflow bucket.
 */
#define PB_HIST_BUCKETS \
    (PB_HIST_SUB + (PB_HIST_MAX_BITS - PB_HIST_SUB_BITS) * (PB_HIST_SUB / 2) + 1)

typedef struct pb_hist {
    uint64_t counts[PB_HIST_BUCKETS];
    uint64_t total; /* values recorded */
    uint64_t min;   /* exact; UINT64_MAX when empty */
    uint64_t max;   /* exact; 0 when empty */
    double sum;     /* for the mean */
} pb_hist_t;

/* Empty the histogram. */
void pb_hist_init(pb_hist_t *h);

/* Count one value (nanoseconds). */
void pb_hist_record(pb_hist_t *h, uint64_t ns);

/* Add every count of src into dst (threads merge at the end). */
void pb_hist_merge(pb_hist_t *dst, const pb_hist_t *src);

/* The bucket a value falls in, and the bucket's range [low, high]
 * (inclusive; the overflow bucket's high is UINT64_MAX). */
size_t pb_hist_bucket_of(uint64_t ns);
uint64_t pb_hist_bucket_low(size_t bucket);
uint64_t pb_hist_bucket_high(size_t bucket);

/*
 * The value at percentile pct (0 < pct <= 100): the smallest bucket whose
 * cumulative count reaches ceil(total * pct / 100), reported as the
 * bucket's midpoint, clamped to [min, max] (so p100 is max exactly and a
 * histogram of one value reports that value). 0 when empty.
 */
uint64_t pb_hist_percentile(const pb_hist_t *h, double pct);

/* Mean of the recorded values, 0 when empty. */
double pb_hist_mean(const pb_hist_t *h);

#endif
