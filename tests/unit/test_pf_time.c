/* Unit tests for pf_time: deadlines and the time left to them, the sooner
 * of two waits, and a wait as a timespec, on tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "pf_time.h"

static void test_sooner_table(void **state)
{
    static const struct {
        int a, b, want;
    } cases[] = {
        {-1, -1, -1}, {-1, 0, 0},
        {0, -1, 0},   {-1, 5, 5},
        {5, -1, 5},   {3, 5, 3},
        {5, 3, 3},    {7, 7, 7},
        {0, 1000, 0}, {INT_MAX, 1, 1},
        {-5, 9, 9},   {9, -5, 9},
        {-2, -3, -1}, {INT_MAX, -1, INT_MAX},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (pf_time_sooner_ms(cases[i].a, cases[i].b) != cases[i].want)
            fail_msg("sooner(%d, %d): got %d, want %d", cases[i].a, cases[i].b,
                     pf_time_sooner_ms(cases[i].a, cases[i].b), cases[i].want);
}

static void test_timespec_table(void **state)
{
    static const struct {
        int64_t ms;
        long sec, nsec;
    } cases[] = {
        {0, 0, 0},          {1, 0, 1000000},        {999, 0, 999000000}, {1000, 1, 0},
        {1001, 1, 1000000}, {61500, 61, 500000000}, {-1, 0, 0},          {-1000, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct timespec ts = pf_time_timespec(cases[i].ms);

        if (ts.tv_sec != cases[i].sec || ts.tv_nsec != cases[i].nsec)
            fail_msg("%lld ms: got %lld s %ld ns", (long long)cases[i].ms, (long long)ts.tv_sec,
                     ts.tv_nsec);
    }
}

/* No deadline stays none; one in the past has nothing left; one ahead has
 * at most its timeout left. */
static void test_deadlines(void **state)
{
    int64_t now = pf_time_now_ms();
    int64_t d = pf_time_deadline(60000);

    (void)state;
    assert_int_equal(pf_time_deadline(-1), -1);
    assert_int_equal(pf_time_left_ms(-1), -1);
    assert_int_equal(pf_time_left_ms(now - 10), 0);
    assert_true(d >= now + 60000);
    assert_in_range(pf_time_left_ms(d), 0, 60000);
    assert_int_equal(pf_time_left_ms(now + (int64_t)INT_MAX * 4), INT_MAX);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sooner_table),
        cmocka_unit_test(test_timespec_table),
        cmocka_unit_test(test_deadlines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
