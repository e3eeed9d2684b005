/* Unit tests for pf_recycle_policy: each worker's own request and lifetime
 * limits. Seeds are fixed, so every count below is exact from run to run,
 * never flaky. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "pf_config.h"
#include "pf_recycle_policy.h"

#define DRAWS 6000

/* One row: max_requests and its jitter, the range every worker's limit
 * must fall in, and whether both ends of it must be drawn. */
struct requests_case {
    long max_requests, jitter;
    long lo, hi;
    bool both_ends;
};

static const struct requests_case requests_cases[] = {
    {0, 0, 0, 0, true},   /* never */
    {0, 100, 0, 0, true}, /* jitter ignored without a limit */
    {5, 0, 5, 5, true},   /* no jitter: the limit itself */
    {5, 5, 5, 10, true},  /* 5 + 0..5 */
    {1000, 1, 1000, 1001, true},
    {LONG_MAX - 2, 10, LONG_MAX - 2, LONG_MAX, true}, /* saturates, no overflow */
};

static void test_max_requests_table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(requests_cases) / sizeof(requests_cases[0]); k++) {
        const struct requests_case *t = &requests_cases[k];
        struct pf_config c;
        struct pf_rng r;
        long lo = LONG_MAX, hi = LONG_MIN;

        pf_config_defaults(&c);
        c.workers.max_requests = t->max_requests;
        c.workers.max_requests_jitter = t->jitter;
        pf_rng_seed(&r, 1000 + k);
        for (int i = 0; i < DRAWS; i++) {
            long v = pf_recycle_policy_max_requests(&c, &r);

            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (lo < t->lo || hi > t->hi || (t->both_ends && (lo != t->lo || hi != t->hi)))
            fail_msg("max_requests %ld jitter %ld: drawn %ld..%ld, expected %ld..%ld",
                     t->max_requests, t->jitter, lo, hi, t->lo, t->hi);
    }
}

/* Lifetimes: 0 is never; otherwise max_lifetime plus up to 10 %, spread
 * over that range (many distinct values, both ends reached). */
static void test_lifetime(void **state)
{
    struct pf_config c;
    struct pf_rng r;
    int64_t lo = INT64_MAX, hi = 0;
    bool seen[101] = {false};
    int distinct = 0;

    (void)state;
    pf_config_defaults(&c);
    pf_rng_seed(&r, 99);
    assert_true(pf_recycle_policy_lifetime_ms(&c, &r) == 0);
    c.workers.max_lifetime_ms = 1000;
    for (int i = 0; i < DRAWS; i++) {
        int64_t v = pf_recycle_policy_lifetime_ms(&c, &r);

        assert_true(v >= 1000 && v <= 1100);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        distinct += !seen[v - 1000];
        seen[v - 1000] = true;
    }
    assert_true(lo == 1000 && hi == 1100);
    assert_int_equal(distinct, 101);
}

/* Expiry: (started, lifetime, now) -> expired. */
static void test_expired_table(void **state)
{
    static const struct {
        int64_t started, lifetime, now;
        bool expired;
    } rows[] = {
        {0, 0, 1000000, false}, /* no lifetime: never */
        {0, 1000, 999, false},     {0, 1000, 1000, true},    {0, 1000, 5000, true},
        {5000, 1050, 6049, false}, {5000, 1050, 6050, true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (pf_recycle_policy_expired(rows[i].started, rows[i].lifetime, rows[i].now) !=
            rows[i].expired)
            fail_msg("row %zu: expected %d", i, rows[i].expired);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_requests_table),
        cmocka_unit_test(test_lifetime),
        cmocka_unit_test(test_expired_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
