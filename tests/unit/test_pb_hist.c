/* Unit tests for pb_hist: log-linear latency buckets and percentiles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pb_hist.h"

#define US 1000ull /* ns per microsecond */
#define HOUR (3600ull * 1000000000ull)
#define OVERFLOW_BUCKET (PB_HIST_BUCKETS - 1)

/* Fixture: one empty histogram (too big to want on the stack twice). */
static int setup_hist(void **state)
{
    pb_hist_t *h = malloc(sizeof(*h));

    if (!h)
        return -1;
    pb_hist_init(h);
    *state = h;
    return 0;
}

static int teardown_hist(void **state)
{
    free(*state);
    return 0;
}

/* Deterministic pseudo-random values (xorshift64). */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* low(bucket_of(v)) <= v <= high(bucket_of(v)). */
static void assert_in_bucket(uint64_t v)
{
    size_t b = pb_hist_bucket_of(v);

    assert_true(b < PB_HIST_BUCKETS);
    assert_true(pb_hist_bucket_low(b) <= v);
    assert_true(v <= pb_hist_bucket_high(b));
}

/* |value reported for v's bucket - v| <= v / 128, the promised precision. */
static void assert_precise(uint64_t v)
{
    size_t b = pb_hist_bucket_of(v);
    uint64_t low = pb_hist_bucket_low(b), high = pb_hist_bucket_high(b);
    uint64_t mid = low + (high - low) / 2;
    uint64_t err = mid > v ? mid - v : v - mid;

    assert_in_bucket(v);
    if (b >= PB_HIST_SUB) {
        assert_true(high - low + 1 <= low / (PB_HIST_SUB / 2));
        assert_true(err * PB_HIST_SUB <= v);
    } else {
        assert_int_equal(err, 0);
    }
}

static void test_bucket_count(void **state)
{
    (void)state;
    /* 128 exact + 35 powers of two × 64 + overflow. */
    assert_int_equal(PB_HIST_BUCKETS, 128 + 35 * 64 + 1);
    assert_int_equal(pb_hist_bucket_of(PB_HIST_LIMIT - 1), OVERFLOW_BUCKET - 1);
    assert_int_equal(pb_hist_bucket_of(PB_HIST_LIMIT), OVERFLOW_BUCKET);
    assert_int_equal(pb_hist_bucket_of(UINT64_MAX), OVERFLOW_BUCKET);
    assert_int_equal(pb_hist_bucket_low(OVERFLOW_BUCKET), PB_HIST_LIMIT);
    assert_int_equal(pb_hist_bucket_high(OVERFLOW_BUCKET), UINT64_MAX);
}

static void test_exact_below_sub(void **state)
{
    (void)state;
    for (uint64_t v = 0; v < PB_HIST_SUB; v++) {
        assert_int_equal(pb_hist_bucket_of(v), v);
        assert_int_equal(pb_hist_bucket_low(v), v);
        assert_int_equal(pb_hist_bucket_high(v), v);
    }
    assert_int_equal(pb_hist_bucket_of(PB_HIST_SUB), PB_HIST_SUB);
}

/* Every bucket starts right after the previous one ends, and its two ends
 * map back to it: buckets tile [0, UINT64_MAX] in order. */
static void test_contiguous(void **state)
{
    (void)state;
    assert_int_equal(pb_hist_bucket_low(0), 0);
    for (size_t b = 0; b < PB_HIST_BUCKETS; b++) {
        uint64_t low = pb_hist_bucket_low(b), high = pb_hist_bucket_high(b);

        assert_true(low <= high);
        assert_int_equal(pb_hist_bucket_of(low), b);
        assert_int_equal(pb_hist_bucket_of(high), b);
        if (b + 1 < PB_HIST_BUCKETS)
            assert_int_equal(pb_hist_bucket_low(b + 1), high + 1);
    }
}

/* Around every boundary, and at random values of every magnitude, the
 * bucket never decreases as the value grows. */
static void test_monotonic(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;

    (void)state;
    for (size_t b = 1; b < PB_HIST_BUCKETS; b++) {
        uint64_t low = pb_hist_bucket_low(b);

        assert_int_equal(pb_hist_bucket_of(low - 1), b - 1);
        assert_int_equal(pb_hist_bucket_of(low), b);
        assert_in_bucket(low - 1);
        assert_in_bucket(low + 1);
    }
    for (int i = 0; i < 100000; i++) {
        uint64_t v = next_rand(&seed) >> (next_rand(&seed) % 64);
        uint64_t w = v + next_rand(&seed) % (v / 8 + 2);

        if (w < v)
            continue; /* wrapped past UINT64_MAX */
        assert_in_bucket(v);
        assert_true(pb_hist_bucket_of(v) <= pb_hist_bucket_of(w));
    }
}

/* 1 µs .. 1 hour: geometric steps of 0.1 %, plus random values. */
static void test_precision(void **state)
{
    uint64_t seed = 12345;

    (void)state;
    for (double v = (double)US; v <= (double)HOUR; v *= 1.001) {
        assert_precise((uint64_t)v);
        assert_precise((uint64_t)v + 1);
    }
    for (int i = 0; i < 100000; i++)
        assert_precise(US + next_rand(&seed) % (HOUR - US + 1));
    assert_precise(HOUR);
    assert_precise(PB_HIST_LIMIT - 1);
}

static void test_empty(void **state)
{
    pb_hist_t *h = *state;

    assert_int_equal(h->total, 0);
    assert_int_equal(h->min, UINT64_MAX);
    assert_int_equal(h->max, 0);
    assert_int_equal(pb_hist_percentile(h, 50), 0);
    assert_int_equal(pb_hist_percentile(h, 100), 0);
    assert_true(pb_hist_mean(h) == 0.0);
}

/* One value: every percentile is that value, exactly (the clamp). */
static void test_single(void **state)
{
    pb_hist_t *h = *state;
    const double pcts[] = {0.001, 1, 50, 90, 99, 99.9, 100};

    pb_hist_record(h, 12345678);
    assert_int_equal(h->total, 1);
    assert_int_equal(h->min, 12345678);
    assert_int_equal(h->max, 12345678);
    for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
        assert_int_equal(pb_hist_percentile(h, pcts[i]), 12345678);
    assert_true(pb_hist_mean(h) == 12345678.0);
}

/* Values 1..100 sit in exact buckets, so the rank rule shows directly:
 * rank = ceil(total * pct / 100), at least 1. */
static void test_rank_rule(void **state)
{
    pb_hist_t *h = *state;

    for (uint64_t v = 1; v <= 100; v++)
        pb_hist_record(h, v);
    assert_int_equal(pb_hist_percentile(h, 0.0001), 1);
    assert_int_equal(pb_hist_percentile(h, 1), 1);
    assert_int_equal(pb_hist_percentile(h, 1.5), 2);
    assert_int_equal(pb_hist_percentile(h, 50), 50);
    assert_int_equal(pb_hist_percentile(h, 50.01), 51);
    assert_int_equal(pb_hist_percentile(h, 90), 90);
    assert_int_equal(pb_hist_percentile(h, 99), 99);
    assert_int_equal(pb_hist_percentile(h, 99.9), 100);
    assert_int_equal(pb_hist_percentile(h, 100), 100);
    assert_true(fabs(pb_hist_mean(h) - 50.5) < 1e-9);
}

/* pct values that are not exact in binary must not push the rank up:
 * 10000 * 0.07 / 100 computes as 7.000000000000001, yet rank 7 is meant. */
static void test_rank_rounding(void **state)
{
    pb_hist_t *h = *state;

    for (uint64_t i = 1; i <= 10000; i++)
        pb_hist_record(h, i < PB_HIST_SUB ? i : PB_HIST_SUB - 1);
    assert_int_equal(pb_hist_percentile(h, 0.07), 7);
    assert_int_equal(pb_hist_percentile(h, 0.14), 14);
    assert_int_equal(pb_hist_percentile(h, 0.34), 34);
    assert_int_equal(pb_hist_percentile(h, 0.341), 35); /* 34.1: a real fraction */
    assert_int_equal(pb_hist_percentile(h, 0.01), 1);
}

/* The last rank is max exactly, even where max's bucket midpoint lies
 * below it (1000 and 1006 share the bucket [1000, 1007], midpoint 1003). */
static void test_last_rank_is_max(void **state)
{
    pb_hist_t *h = *state;

    pb_hist_record(h, 1000);
    pb_hist_record(h, 1006);
    assert_int_equal(pb_hist_bucket_of(1000), pb_hist_bucket_of(1006));
    assert_int_equal(pb_hist_percentile(h, 50), 1003);
    assert_int_equal(pb_hist_percentile(h, 50.1), 1006);
    assert_int_equal(pb_hist_percentile(h, 100), 1006);
}

static uint64_t pct_err(uint64_t got, uint64_t want)
{
    return got > want ? got - want : want - got;
}

/* Uniform 1..10000 µs: the figures a latency summary reports. */
static void test_uniform(void **state)
{
    pb_hist_t *h = *state;

    for (uint64_t us = 1; us <= 10000; us++)
        pb_hist_record(h, us * US);
    assert_int_equal(h->total, 10000);
    assert_true(pct_err(pb_hist_percentile(h, 50), 5000 * US) <= 50 * US);
    assert_true(pct_err(pb_hist_percentile(h, 90), 9000 * US) <= 90 * US);
    assert_true(pct_err(pb_hist_percentile(h, 99), 9900 * US) <= 99 * US);
    assert_true(pct_err(pb_hist_percentile(h, 99.9), 9990 * US) <= 100 * US);
    assert_int_equal(pb_hist_percentile(h, 100), 10000 * US);
    assert_true(pct_err(pb_hist_percentile(h, 0.001), 1 * US) <= 10); /* rank 1 */
    assert_true(fabs(pb_hist_mean(h) - 5000.5 * US) < 1e-6);
}

/* A bimodal load: 99 % fast, 1 % stalled. */
static void test_bimodal(void **state)
{
    pb_hist_t *h = *state;

    for (int i = 0; i < 9900; i++)
        pb_hist_record(h, 150 * US);
    for (int i = 0; i < 100; i++)
        pb_hist_record(h, 2000000 * US);
    assert_true(pct_err(pb_hist_percentile(h, 50), 150 * US) <= 2 * US);
    assert_true(pct_err(pb_hist_percentile(h, 99), 150 * US) <= 2 * US);
    assert_true(pct_err(pb_hist_percentile(h, 99.01), 2000000 * US) <= 16000 * US);
    assert_int_equal(pb_hist_percentile(h, 100), 2000000 * US);
}

/* Values past the limit share the last bucket; min and max stay exact. */
static void test_overflow(void **state)
{
    pb_hist_t *h = *state;

    pb_hist_record(h, 5);
    pb_hist_record(h, PB_HIST_LIMIT * 3 + 7);
    pb_hist_record(h, PB_HIST_LIMIT);
    assert_int_equal(h->counts[OVERFLOW_BUCKET], 2);
    assert_int_equal(h->min, 5);
    assert_int_equal(h->max, PB_HIST_LIMIT * 3 + 7);
    assert_int_equal(pb_hist_percentile(h, 100), PB_HIST_LIMIT * 3 + 7);
    assert_int_equal(pb_hist_percentile(h, 10), 5);
    {
        uint64_t p50 = pb_hist_percentile(h, 50);

        assert_true(p50 >= PB_HIST_LIMIT && p50 <= PB_HIST_LIMIT * 3 + 7);
    }
    pb_hist_record(h, UINT64_MAX);
    assert_int_equal(h->counts[OVERFLOW_BUCKET], 3);
    assert_int_equal(pb_hist_percentile(h, 100), UINT64_MAX);
}

/* Recording into two histograms and merging equals recording into one. */
static void test_merge(void **state)
{
    pb_hist_t *all = *state;
    pb_hist_t *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    uint64_t seed = 777;

    assert_non_null(a);
    assert_non_null(b);
    pb_hist_init(a);
    pb_hist_init(b);
    for (int i = 0; i < 50000; i++) {
        uint64_t v = next_rand(&seed) % (HOUR / 1000);

        pb_hist_record(all, v);
        pb_hist_record(i % 3 ? a : b, v);
    }
    pb_hist_record(all, PB_HIST_LIMIT + 1);
    pb_hist_record(b, PB_HIST_LIMIT + 1);
    pb_hist_merge(a, b);
    assert_memory_equal(a->counts, all->counts, sizeof(all->counts));
    assert_int_equal(a->total, all->total);
    assert_int_equal(a->min, all->min);
    assert_int_equal(a->max, all->max);
    assert_true(fabs(a->sum - all->sum) <= all->sum * 1e-12);
    assert_int_equal(pb_hist_percentile(a, 99), pb_hist_percentile(all, 99));
    free(a);
    free(b);
}

/* Merging into or from an empty histogram. */
static void test_merge_empty(void **state)
{
    pb_hist_t *h = *state;
    pb_hist_t *e = malloc(sizeof(*e));

    assert_non_null(e);
    pb_hist_init(e);
    pb_hist_merge(h, e);
    assert_int_equal(h->total, 0);
    assert_int_equal(h->min, UINT64_MAX);
    assert_int_equal(h->max, 0);
    pb_hist_record(e, 42);
    pb_hist_record(e, 4200000);
    pb_hist_merge(h, e);
    assert_int_equal(h->total, 2);
    assert_int_equal(h->min, 42);
    assert_int_equal(h->max, 4200000);
    assert_int_equal(pb_hist_percentile(h, 50), 42);
    assert_int_equal(pb_hist_percentile(h, 100), 4200000);
    free(e);
}

/* init empties a used histogram. */
static void test_reinit(void **state)
{
    pb_hist_t *h = *state;

    pb_hist_record(h, 1000);
    pb_hist_init(h);
    assert_int_equal(h->total, 0);
    assert_int_equal(h->counts[pb_hist_bucket_of(1000)], 0);
    assert_int_equal(pb_hist_percentile(h, 50), 0);
}

#define HIST_TEST(f) cmocka_unit_test_setup_teardown(f, setup_hist, teardown_hist)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_count),
        cmocka_unit_test(test_exact_below_sub),
        cmocka_unit_test(test_contiguous),
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_precision),
        HIST_TEST(test_empty),
        HIST_TEST(test_single),
        HIST_TEST(test_rank_rule),
        HIST_TEST(test_rank_rounding),
        HIST_TEST(test_last_rank_is_max),
        HIST_TEST(test_uniform),
        HIST_TEST(test_bimodal),
        HIST_TEST(test_overflow),
        HIST_TEST(test_merge),
        HIST_TEST(test_merge_empty),
        HIST_TEST(test_reinit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
