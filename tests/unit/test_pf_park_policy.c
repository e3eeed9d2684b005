/* Unit tests for pf_park_policy: when a worker keeps waiting on a
 * connection without bytes and when it parks it, on a table of waits,
 * lingers, queues and idle workers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pf_park_policy.h"

#define WAIT PF_PARK_POLICY_WAIT
#define PARK PF_PARK_POLICY_PARK
#define SERVE PF_PARK_POLICY_SERVE
#define YIELD PF_PARK_POLICY_YIELD

/* Columns: enabled, stopping, readable, linger, waited, turn (waits on
 * the connection in this worker), others waiting (true: one), idle
 * workers. */
static const struct {
    const char *what;
    struct pf_park_policy_view v;
    enum pf_park_policy_action want;
    int wait_ms;
} cases[] = {
    {"parking off: wait until the deadline", {false, false, false, 5, 0, 9, false, 0}, WAIT, -1},
    {"parking off, others queued: still wait",
     {false, false, false, 5, 1000, 9, true, 0},
     WAIT,
     -1},
    {"parking off, bytes came: serve", {false, false, true, 5, 1, 9, true, 0}, SERVE, 0},
    {"a hot connection, just answered", {true, false, false, 5, 0, 9, false, 3}, WAIT, 5},
    {"lingering, 3 ms in", {true, false, false, 5, 3, 9, false, 3}, WAIT, 2},
    {"its next request came: serve it here", {true, false, true, 5, 3, 9, false, 3}, SERVE, 0},
    {"linger over", {true, false, false, 5, 5, 9, false, 3}, PARK, 0},
    {"long past the linger", {true, false, false, 5, 60000, 9, false, 0}, PARK, 0},
    {"others queued, no idle worker: park at once",
     {true, false, false, 5, 0, 9, true, 0},
     PARK,
     0},
    {"others queued, no idle worker, request here: yield",
     {true, false, true, 5, 0, 9, true, 0},
     YIELD,
     0},
    {"others queued, an idle worker takes them", {true, false, false, 5, 0, 9, true, 1}, WAIT, 5},
    {"others queued, an idle worker, request here: serve",
     {true, false, true, 5, 0, 9, true, 1},
     SERVE,
     0},
    {"others queued, idle workers, linger over", {true, false, false, 5, 7, 9, true, 2}, PARK, 0},
    {"no linger: park at the first silence", {true, false, false, 0, 0, 9, false, 5}, PARK, 0},
    {"no linger, others queued: park at once", {true, false, false, 0, 0, 9, true, 0}, PARK, 0},
    {"a long linger", {true, false, false, 1000, 10, 9, false, 5}, WAIT, 990},
    {"a long linger, others queued: park at once",
     {true, false, false, 1000, 0, 9, true, 0},
     PARK,
     0},
    {"told to stop: park for the next generation", {true, true, false, 5, 0, 9, false, 3}, PARK, 0},
    {"told to stop, bytes here: serve them", {true, true, true, 5, 0, 9, true, 0}, SERVE, 0},
    {"told to stop, parking off: wait as always",
     {false, true, false, 5, 0, 9, false, 3},
     WAIT,
     -1},
    {"others queued, request here, turn not over: serve",
     {true, false, true, 5, 0, 2, true, 0},
     SERVE,
     0},
    {"others queued, request here, turn over: yield",
     {true, false, true, 5, 0, 4, true, 0},
     YIELD,
     0},
    {"a negative idle count read mid-update", {true, false, false, 5, 1, 9, true, -1}, PARK, 0},
    {"many queued, fewer idle workers: park at once", {true, false, false, 5, 0, 9, 5, 1}, PARK, 0},
    {"many queued, fewer idle workers, turn over: yield",
     {true, false, true, 5, 0, 4, 5, 1},
     YIELD,
     0},
    {"as many idle workers as queued: linger", {true, false, false, 5, 0, 9, 3, 3}, WAIT, 5},
    {"as many idle workers as queued, turn over: serve",
     {true, false, true, 5, 0, 4, 3, 3},
     SERVE,
     0},
};

static const char *action_name(enum pf_park_policy_action a)
{
    static const char *const names[] = {"wait", "serve", "park", "yield"};

    return names[a];
}

static void test_decide_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pf_park_policy_step got = pf_park_policy_decide(&cases[i].v);

        if (got.action != cases[i].want || got.wait_ms != cases[i].wait_ms)
            fail_msg("%s: got %s %d ms, want %s %d ms", cases[i].what, action_name(got.action),
                     got.wait_ms, action_name(cases[i].want), cases[i].wait_ms);
    }
}

/* However a wait is cut into steps, the connection parks once the linger
 * is spent, never before, and every WAIT step moves towards it. */
static void test_steps_reach_the_linger(void **state)
{
    (void)state;
    for (int linger = 0; linger <= 50; linger++) {
        struct pf_park_policy_view v = {true, false, false, linger, 0, 0, false, 1};
        struct pf_park_policy_step s;
        int steps = 0;

        while ((s = pf_park_policy_decide(&v)).action == WAIT) {
            assert_true(s.wait_ms > 0);
            assert_true(v.waited_ms + s.wait_ms <= linger);
            v.waited_ms += (s.wait_ms + 1) / 2; /* woken early, by a signal say */
            assert_true(++steps <= 64);
        }
        assert_true(v.waited_ms >= linger);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_steps_reach_the_linger),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
