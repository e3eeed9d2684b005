/* Unit tests for pf_hung_policy: the hung-worker decision on a table of
 * situations (idle, keep-alive, starting, busy before and after
 * request_timeout, told to stop, SIGTERM pending, SIGKILL sent, check off),
 * and the wake-up time agreeing with the decision for each of them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pf_hung_policy.h"
#include "pf_scoreboard.h"

#define T0 1000000 /* a monotonic "now" at which the tests' requests begin */
#define REQ 1000   /* request_timeout_ms */
#define STOP 5000  /* stop_timeout_ms */

/* One situation: the worker, the time, and what must be done. */
struct hung_case {
    const char *what;
    struct pf_hung_policy_view v;
    int64_t now;
    enum pf_hung_policy_action want;
    int64_t due; /* pf_hung_policy_due_ms; -1 none */
};

#define BUSY(st, start) \
    { \
        .state = (st), .request_ms = (start) \
    }

static const struct hung_case cases[] = {
    {"idle worker, no request", BUSY(PF_SLOT_IDLE, 0), T0 + 10 * REQ, PF_HUNG_POLICY_NONE, -1},
    {"idle slot with a stale request time", BUSY(PF_SLOT_IDLE, T0), T0 + 10 * REQ,
     PF_HUNG_POLICY_NONE, -1},
    {"keep-alive wait", BUSY(PF_SLOT_KEEPALIVE, 0), T0 + 10 * REQ, PF_HUNG_POLICY_NONE, -1},
    {"keep-alive with a stale request time", BUSY(PF_SLOT_KEEPALIVE, T0), T0 + 10 * REQ,
     PF_HUNG_POLICY_NONE, -1},
    {"still starting", BUSY(PF_SLOT_STARTING, 0), T0 + 10 * REQ, PF_HUNG_POLICY_NONE, -1},
    {"exiting (stopping)", BUSY(PF_SLOT_STOPPING, T0), T0 + 10 * REQ, PF_HUNG_POLICY_NONE, -1},
    {"free slot", BUSY(PF_SLOT_FREE, T0), T0 + 10 * REQ, PF_HUNG_POLICY_NONE, -1},
    {"reading a request not yet whole", BUSY(PF_SLOT_READING, 0), T0 + 10 * REQ,
     PF_HUNG_POLICY_NONE, -1},
    {"writing, just begun", BUSY(PF_SLOT_WRITING, T0), T0, PF_HUNG_POLICY_NONE, T0 + REQ},
    {"writing, 1 ms short", BUSY(PF_SLOT_WRITING, T0), T0 + REQ - 1, PF_HUNG_POLICY_NONE, T0 + REQ},
    {"writing, at request_timeout", BUSY(PF_SLOT_WRITING, T0), T0 + REQ, PF_HUNG_POLICY_TERM,
     T0 + REQ},
    {"writing, long past", BUSY(PF_SLOT_WRITING, T0), T0 + 100 * REQ, PF_HUNG_POLICY_TERM,
     T0 + REQ},
    {"reading with a request in progress", BUSY(PF_SLOT_READING, T0), T0 + REQ, PF_HUNG_POLICY_TERM,
     T0 + REQ},
    {"closing with a request in progress", BUSY(PF_SLOT_CLOSING, T0), T0 + REQ, PF_HUNG_POLICY_TERM,
     T0 + REQ},
    {"busy but told to stop",
     {.state = PF_SLOT_WRITING, .request_ms = T0, .stop_ordered = true},
     T0 + 100 * REQ,
     PF_HUNG_POLICY_NONE,
     -1},
    {"SIGTERM sent, stop_timeout not over",
     {.state = PF_SLOT_WRITING, .request_ms = T0, .term_ms = T0 + REQ},
     T0 + REQ + STOP - 1,
     PF_HUNG_POLICY_NONE,
     T0 + REQ + STOP},
    {"SIGTERM sent, stop_timeout over",
     {.state = PF_SLOT_WRITING, .request_ms = T0, .term_ms = T0 + REQ},
     T0 + REQ + STOP,
     PF_HUNG_POLICY_KILL,
     T0 + REQ + STOP},
    {"SIGTERM sent, then told to stop: still escalated",
     {.state = PF_SLOT_WRITING, .request_ms = T0, .stop_ordered = true, .term_ms = T0 + REQ},
     T0 + REQ + STOP,
     PF_HUNG_POLICY_KILL,
     T0 + REQ + STOP},
    {"SIGTERM sent, slot says idle (stale): still escalated",
     {.state = PF_SLOT_IDLE, .term_ms = T0 + REQ},
     T0 + REQ + STOP,
     PF_HUNG_POLICY_KILL,
     T0 + REQ + STOP},
    {"SIGKILL sent: nothing more",
     {.state = PF_SLOT_WRITING, .request_ms = T0, .term_ms = T0 + REQ, .kill_sent = true},
     T0 + 100 * STOP,
     PF_HUNG_POLICY_NONE,
     -1},
};

/* Every case with request_timeout REQ and stop_timeout STOP. */
static void test_table(void **state)
{
    const struct pf_hung_policy_limits lim = {.request_timeout_ms = REQ, .stop_timeout_ms = STOP};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct hung_case *c = &cases[i];
        enum pf_hung_policy_action got = pf_hung_policy_decide(&c->v, c->now, &lim);
        int64_t due = pf_hung_policy_due_ms(&c->v, &lim);

        if (got != c->want || due != c->due)
            fail_msg("%s: action %d (want %d), due %lld (want %lld)", c->what, (int)got,
                     (int)c->want, (long long)due, (long long)c->due);
    }
}

/* request_timeout 0 (the default): nobody is ever taken as hung. */
static void test_off(void **state)
{
    const struct pf_hung_policy_limits lim = {.request_timeout_ms = 0, .stop_timeout_ms = STOP};
    const struct pf_hung_policy_view v = BUSY(PF_SLOT_WRITING, T0);

    (void)state;
    assert_int_equal(pf_hung_policy_decide(&v, T0 + 86400000, &lim), PF_HUNG_POLICY_NONE);
    assert_int_equal(pf_hung_policy_due_ms(&v, &lim), -1);
}

/* The master sleeps until the due time and decides then: at the due time
 * there is always something to do, one ms before never (no busy loop of
 * early wake-ups, no late kill). */
static void test_due_agrees_with_decide(void **state)
{
    const struct pf_hung_policy_limits lim = {.request_timeout_ms = REQ, .stop_timeout_ms = STOP};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t due = pf_hung_policy_due_ms(&cases[i].v, &lim);

        if (due < 0)
            continue;
        assert_int_equal(pf_hung_policy_decide(&cases[i].v, due - 1, &lim), PF_HUNG_POLICY_NONE);
        assert_int_not_equal(pf_hung_policy_decide(&cases[i].v, due, &lim), PF_HUNG_POLICY_NONE);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_due_agrees_with_decide),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
