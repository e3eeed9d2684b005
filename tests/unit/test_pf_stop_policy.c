/* Unit tests for pf_stop_policy: whether a graceful stop drains first,
 * and a fast stop's deadline, on tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pf_stop_policy.h"

struct drain_case {
    const char *what;
    int drain_delay_ms;
    bool upgraded, starting;
    int want;
};

static const struct drain_case drain_cases[] = {
    {"no drain_delay: stop accepting now", 0, false, false, 0},
    {"drain_delay: drain first", 5000, false, false, 5000},
    {"the shortest drain", 1, false, false, 1},
    {"retiring after an upgrade: the new master serves", 5000, true, false, 0},
    {"still starting: no balancer sends yet", 5000, false, true, 0},
    {"both", 5000, true, true, 0},
    {"no drain_delay, retiring", 0, true, false, 0},
};

static void test_drain_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(drain_cases) / sizeof(drain_cases[0]); i++) {
        const struct drain_case *c = &drain_cases[i];
        int got = pf_stop_policy_drain_ms(c->drain_delay_ms, c->upgraded, c->starting);

        if (got != c->want)
            fail_msg("%s: got %d ms, want %d ms", c->what, got, c->want);
    }
}

struct fast_case {
    const char *what;
    bool stopping, draining;
    int64_t deadline, now;
    int stop_timeout;
    int64_t want;
};

static const struct fast_case fast_cases[] = {
    {"serving: stop_timeout from now", false, false, 0, 1000, 5000, 6000},
    {"a graceful stop due later: stop_timeout from now", true, false, 30000, 1000, 5000, 6000},
    {"a graceful stop due sooner: its deadline", true, false, 3000, 1000, 5000, 3000},
    {"a graceful stop already past due: its deadline", true, false, 500, 1000, 5000, 500},
    {"draining, the drain ending sooner: stop_timeout from now", true, true, 2000, 1000, 5000,
     6000},
    {"draining, the drain ending later: stop_timeout from now", true, true, 60000, 1000, 5000,
     6000},
    {"stop_timeout 0: now", false, false, 0, 1000, 0, 1000},
};

static void test_fast_deadline_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fast_cases) / sizeof(fast_cases[0]); i++) {
        const struct fast_case *c = &fast_cases[i];
        int64_t got = pf_stop_policy_fast_deadline(c->stopping, c->draining, c->deadline, c->now,
                                                   c->stop_timeout);

        if (got != c->want)
            fail_msg("%s: got %lld, want %lld", c->what, (long long)got, (long long)c->want);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain_table),
        cmocka_unit_test(test_fast_deadline_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
