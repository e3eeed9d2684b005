/* Unit tests for pf_rng: the generator's range and spread. Seeds are
 * fixed, so every count below is exact from run to run, never flaky. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pf_rng.h"

#define DRAWS 6000

/* The same seed gives the same numbers; another seed, others. */
static void test_rng_seeded(void **state)
{
    struct pf_rng a, b, c;
    int same = 0;

    (void)state;
    pf_rng_seed(&a, 42);
    pf_rng_seed(&b, 42);
    pf_rng_seed(&c, 43);
    for (int i = 0; i < 100; i++) {
        uint64_t x = pf_rng_next(&a);

        assert_true(x == pf_rng_next(&b));
        same += x == pf_rng_next(&c);
    }
    assert_int_equal(same, 0);
}

/* pf_rng_upto(max) stays within 0..max, hits every value, and about
 * evenly (each of 6 values within 20 % of DRAWS / 6). */
static void test_rng_upto_spread(void **state)
{
    struct pf_rng r;
    int hits[6] = {0};

    (void)state;
    pf_rng_seed(&r, 7);
    for (int i = 0; i < DRAWS; i++) {
        uint64_t x = pf_rng_upto(&r, 5);

        assert_true(x <= 5);
        hits[x]++;
    }
    for (int v = 0; v < 6; v++)
        if (hits[v] < DRAWS / 6 * 8 / 10 || hits[v] > DRAWS / 6 * 12 / 10)
            fail_msg("value %d drawn %d times of %d", v, hits[v], DRAWS);
}

/* The edges: 0..0 is always 0; the full range is allowed. */
static void test_rng_upto_edges(void **state)
{
    struct pf_rng r;

    (void)state;
    pf_rng_seed(&r, 1);
    for (int i = 0; i < 100; i++)
        assert_true(pf_rng_upto(&r, 0) == 0);
    (void)pf_rng_upto(&r, UINT64_MAX);
    assert_true(pf_rng_upto(&r, 1) <= 1);
}

/* A seed from the system: two in a row differ (getrandom(), or the clock
 * when it has no entropy yet: both change between calls). */
static void test_entropy_differs(void **state)
{
    (void)state;
    assert_true(pf_rng_entropy() != pf_rng_entropy());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_seeded),
        cmocka_unit_test(test_rng_upto_spread),
        cmocka_unit_test(test_rng_upto_edges),
        cmocka_unit_test(test_entropy_differs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
