/* Unit tests for pf_wake_policy: the master's one timeout from the waits
 * of its parts, on a table (each part the soonest in turn, parts without
 * a wait, the caps while stopping and starting). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pf_pool_policy.h"
#include "pf_wake_policy.h"

#define TICK PF_POOL_POLICY_TICK_MS
#define SB PF_WAKE_POLICY_SCOREBOARD_MS

/* One row: what the master is doing, each part's wait in ms (-1: none,
 * N: none), and the timeout it must get. Columns: stopping, starting,
 * supervise, stop deadline, control, reload, upgrade, hung. */
#define N -1

struct wake_case {
    const char *what;
    struct pf_wake_policy_waits w;
    int want;
};

static const struct wake_case cases[] = {
    {"only the tick", {false, false, TICK, N, N, N, N, N}, TICK},
    {"a backoff's fork before the tick", {false, false, 250, N, N, N, N, N}, 250},
    {"supervision has work now", {false, false, 0, N, N, N, N, N}, 0},
    {"a control client's timeout first", {false, false, TICK, N, 40, N, N, N}, 40},
    {"a control client's timeout after the tick", {false, false, TICK, N, 5000, N, N, N}, TICK},
    {"a roll-over watches the scoreboard", {false, false, TICK, N, N, SB, N, N}, SB},
    {"an upgrade's deadline first", {false, false, TICK, N, N, N, 7, N}, 7},
    {"a hung worker's signal due now", {false, false, TICK, N, N, N, N, 0}, 0},
    {"a hung worker's signal after the tick", {false, false, TICK, N, N, N, N, 3000}, TICK},
    {"starting: the scoreboard step", {false, true, TICK, N, N, N, N, N}, SB},
    {"starting, something sooner", {false, true, TICK, N, 3, N, N, N}, 3},
    {"stopping: the deadline, far", {true, false, N, 9000, N, N, N, N}, TICK},
    {"stopping: the deadline, near", {true, false, N, 120, N, N, N, N}, 120},
    {"stopping: supervision's overdue tick ignored", {true, false, 0, 500, N, N, N, N}, 500},
    {"stopping: a hung worker's SIGKILL sooner", {true, false, N, 500, N, N, N, 30}, 30},
    {"stopping, deadline passed", {true, false, N, 0, N, N, N, N}, 0},
    {"every part at once, the soonest wins", {false, false, 900, N, 800, 700, 600, 5}, 5},
};

static void test_wake_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = pf_wake_policy_ms(&cases[i].w);

        if (got != cases[i].want)
            fail_msg("%s: got %d ms, want %d ms", cases[i].what, got, cases[i].want);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wake_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
