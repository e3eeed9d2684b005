/* Unit tests for pb_engine's pure arithmetic: the threads' shares of the
 * connections, the open-loop schedule (period, staggered first due times,
 * the next start, falling behind), the closed loop's back-off, and the
 * --csv rows. The run itself (threads, sockets) is tested end to end by
 * tests/integration/test_preforkbench.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pb_engine.h"

#define MS 1000000LL
#define S 1000000000LL

/* Seconds to nanoseconds, rounded to the nearest. */
static void test_ns(void **state)
{
    (void)state;
    assert_int_equal(pb_engine_ns(0), 0);
    assert_int_equal(pb_engine_ns(1.5), 1500 * MS);
    assert_int_equal(pb_engine_ns(0.001), MS);
    assert_int_equal(pb_engine_ns(1e-9), 1);
    assert_int_equal(pb_engine_ns(0.4e-9), 0);
    assert_int_equal(pb_engine_ns(0.6e-9), 1);
    assert_int_equal(pb_engine_ns(86400), 86400 * S);
}

/* Equal shares, the first threads one more; they add up. */
static void test_share(void **state)
{
    (void)state;
    assert_int_equal(pb_engine_share(8, 1, 0), 8);
    assert_int_equal(pb_engine_share(8, 4, 3), 2);
    assert_int_equal(pb_engine_share(10, 4, 0), 3);
    assert_int_equal(pb_engine_share(10, 4, 1), 3);
    assert_int_equal(pb_engine_share(10, 4, 2), 2);
    assert_int_equal(pb_engine_share(10, 4, 3), 2);
    assert_int_equal(pb_engine_share(3, 3, 2), 1);
    for (int c = 1; c <= 50; c++)
        for (int t = 1; t <= c; t++) {
            size_t sum = 0;
            for (int i = 0; i < t; i++) {
                size_t n = pb_engine_share(c, t, i);
                assert_true(n >= 1);
                assert_true(i == 0 || n <= pb_engine_share(c, t, i - 1));
                sum += n;
            }
            assert_int_equal(sum, (size_t)c);
        }
}

/* connections / rate seconds per connection; 0 in the closed loop; at
 * least 1 ns however high the rate. */
static void test_period(void **state)
{
    (void)state;
    assert_int_equal(pb_engine_period_ns(8, 0), 0);
    assert_int_equal(pb_engine_period_ns(8, 1000), 8 * MS);
    assert_int_equal(pb_engine_period_ns(1, 1), S);
    assert_int_equal(pb_engine_period_ns(3, 7), 428571429); /* 3/7 s, rounded */
    assert_int_equal(pb_engine_period_ns(1, 1e7), 100);
    assert_int_equal(pb_engine_period_ns(1, 4e9), 1); /* 0.25 ns: not 0 */
}

/* Connection i first due at t0 + i / rate: the due times of all the
 * connections interleave at the total rate. */
static void test_first_due(void **state)
{
    const int64_t t0 = 5 * S;
    const double rate = 1000;
    const int conns = 4;
    int64_t period = pb_engine_period_ns(conns, rate);

    (void)state;
    assert_int_equal(pb_engine_first_due_ns(t0, 0, rate), t0);
    assert_int_equal(pb_engine_first_due_ns(t0, 1, rate), t0 + MS);
    assert_int_equal(pb_engine_first_due_ns(t0, 3, rate), t0 + 3 * MS);
    /* the second request of connection 0 comes right after the first of 3 */
    assert_int_equal(pb_engine_first_due_ns(t0, 0, rate) + period,
                     pb_engine_first_due_ns(t0, 3, rate) + MS);
}

/* Open loop: the next start is the next due time, one period on, however
 * late or early the previous request ended; a connection behind schedule
 * gets due times in the past (start at once) until it catches up. */
static void test_next_open_loop(void **state)
{
    int64_t due = 1000, period = 250;

    (void)state;
    assert_int_equal(pb_engine_next_start_ns(period, &due, 1100, false), 1250);
    assert_int_equal(due, 1250);
    assert_int_equal(pb_engine_next_start_ns(period, &due, 1300, true), 1500); /* no back-off */
    assert_int_equal(due, 1500);
    /* a stall: the reply came at 2600; due times 1750..2500 are past */
    for (int64_t want = 1750; want <= 2500; want += period)
        assert_true(pb_engine_next_start_ns(period, &due, 2600, false) == want);
    assert_true(pb_engine_next_start_ns(period, &due, 2600, false) == 2750); /* on time again */
}

/* Closed loop: at once, or after the back-off when a connect failed; the
 * due time is left alone. */
static void test_next_closed_loop(void **state)
{
    int64_t due = 42;

    (void)state;
    assert_int_equal(pb_engine_next_start_ns(0, &due, 1000, false), 1000);
    assert_int_equal(pb_engine_next_start_ns(0, &due, 1000, true), 1000 + PB_ENGINE_BACKOFF_NS);
    assert_int_equal(PB_ENGINE_BACKOFF_NS, 10 * MS);
    assert_int_equal(due, 42);
}

/* The --csv row of a completion: its whole second, the last row at most. */
static void test_second_of(void **state)
{
    const int64_t m = 7 * S;

    (void)state;
    assert_int_equal(pb_engine_second_of(m, m, 11), 0);
    assert_int_equal(pb_engine_second_of(m + S - 1, m, 11), 0);
    assert_int_equal(pb_engine_second_of(m + S, m, 11), 1);
    assert_int_equal(pb_engine_second_of(m + 10 * S, m, 11), 10);
    assert_int_equal(pb_engine_second_of(m + 10 * S + 1, m, 11), 10);
    assert_int_equal(pb_engine_second_of(m + 99 * S, m, 11), 10);
}

/* The --csv rows: one per started second, at most the series' length. */
static void test_rows(void **state)
{
    (void)state;
    assert_int_equal(pb_engine_rows(0, 11), 0);
    assert_int_equal(pb_engine_rows(0.2, 11), 1);
    assert_int_equal(pb_engine_rows(1.0, 11), 1);
    assert_int_equal(pb_engine_rows(1.0 + 1e-10, 11), 1); /* a hair over: no new row */
    assert_int_equal(pb_engine_rows(2.5, 11), 3);
    assert_int_equal(pb_engine_rows(10.0, 11), 10);
    assert_int_equal(pb_engine_rows(30.0, 11), 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ns),
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_period),
        cmocka_unit_test(test_first_due),
        cmocka_unit_test(test_next_open_loop),
        cmocka_unit_test(test_next_closed_loop),
        cmocka_unit_test(test_second_of),
        cmocka_unit_test(test_rows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
