/* Unit tests for pf_backoff_policy: tables of crash sequences with their times,
 * each step with the change it must report, the delay in force, and
 * whether a fork is allowed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "pf_backoff_policy.h"

enum op {
    CRASH, /* a worker crashed at t */
    FORK,  /* the master forked at t (it must have been allowed) */
    TICK,  /* time passes: recovery check at t */
    LOOK,  /* only check the state at t */
};

#define ANY -99 /* not checked */

struct step {
    int64_t t;
    enum op op;
    enum pf_backoff_policy_change change; /* reported by CRASH or TICK */
    int64_t delay;                        /* delay in force after the step */
    int may_fork;                         /* at t, after the step: 1, 0, or ANY */
    int64_t wait;                         /* pf_backoff_policy_wait_ms at t (-1: none), or ANY */
    int recent;                           /* crashes within the window at t, or ANY */
};

struct sequence {
    const char *what;
    int limit;
    int64_t window, max;
    const struct step *steps;
    size_t n;
};

#define SAME PF_BACKOFF_POLICY_SAME
#define STARTED PF_BACKOFF_POLICY_STARTED
#define LONGER PF_BACKOFF_POLICY_LONGER
#define RECOVERED PF_BACKOFF_POLICY_RECOVERED

/* limit 3 in 10 s, max 8 s: a crash loop, its doubling, its cap, its end. */
static const struct step crash_loop[] = {
    {0, CRASH, SAME, 0, 1, -1, 1},
    {100, CRASH, SAME, 0, 1, -1, 2},
    {200, CRASH, SAME, 0, 1, -1, 3}, /* the limit itself is allowed */
    {300, CRASH, STARTED, 1000, 0, 1000, 4},
    {800, LOOK, SAME, 1000, 0, 500, 4},
    {1300, LOOK, SAME, 1000, 1, -1, 4},   /* a fork allowed once the delay is over */
    {1300, FORK, SAME, 1000, 0, 1000, 4}, /* then the next one waits a delay */
    {1350, CRASH, LONGER, 2000, 0, 2000, 4},
    {3350, FORK, SAME, 2000, 0, 2000, 4},
    {3400, CRASH, LONGER, 4000, 0, 4000, 4},
    {7400, FORK, SAME, 4000, 0, 4000, 4},
    {7450, CRASH, LONGER, 8000, 0, 8000, 4},
    {15450, FORK, SAME, 8000, 0, 8000, 1},
    {15500, CRASH, SAME, 8000, 0, 8000, 2}, /* at the cap: no change to report */
    {20000, TICK, SAME, 8000, 0, ANY, 1},
    {25500, TICK, SAME, 8000, ANY, ANY, 0}, /* a window, but the delay first */
    {33499, TICK, SAME, 8000, ANY, ANY, 0}, /* delay + window not yet over */
    {33500, TICK, RECOVERED, 0, 1, -1, 0},
    {33600, TICK, SAME, 0, 1, -1, 0},
    {34000, CRASH, SAME, 0, 1, -1, 1}, /* old crashes do not count again */
};

/* Crashes spread wider than the window never start a backoff. */
static const struct step slow_crashes[] = {
    {0, CRASH, SAME, 0, 1, -1, 1},     {4000, CRASH, SAME, 0, 1, -1, 2},
    {8000, CRASH, SAME, 0, 1, -1, 3},  {12000, CRASH, SAME, 0, 1, -1, 3},
    {16000, CRASH, SAME, 0, 1, -1, 3}, {20000, TICK, SAME, 0, 1, -1, 2},
};

/* The window's edge: limit + 1 crashes exactly a window apart are not
 * within it; one millisecond less is. */
static const struct step window_edge[] = {
    {0, CRASH, SAME, 0, 1, -1, 1},
    {1, CRASH, SAME, 0, 1, -1, 2},
    {2, CRASH, SAME, 0, 1, -1, 3},
    {10000, CRASH, SAME, 0, 1, -1, 3},
    {10000, CRASH, STARTED, 1000, 0, 1000, 4}, /* 1, 2, 10000, 10000: 4 within */
};

/* A small backoff_max caps even the first delay; limit 1. */
static const struct step small_max[] = {
    {0, CRASH, SAME, 0, 1, -1, 1},     {10, CRASH, STARTED, 500, 0, 500, 2},
    {20, CRASH, SAME, 500, 0, 500, 2}, {519, LOOK, SAME, 500, 0, 1, 2},
    {520, LOOK, SAME, 500, 1, -1, 2},
};

/* Recovery needs the worker forked after the LAST crash (a delay after
 * it) to run a whole window, however long the backoff ran; crashes that
 * keep coming keep it. limit 1, window 1 s. */
static const struct step keeps_failing[] = {
    {0, CRASH, SAME, 0, 1, -1, 1},           {100, CRASH, STARTED, 1000, 0, 1000, 2},
    {1000, TICK, SAME, 1000, 0, 100, 1},     {1100, FORK, SAME, 1000, 0, 1000, 0},
    {1150, CRASH, LONGER, 2000, 0, 2000, 1}, {2000, TICK, SAME, 2000, 0, ANY, 1},
    {2150, TICK, SAME, 2000, 0, ANY, 0},     {3150, FORK, SAME, 2000, 0, 2000, 0},
    {4149, TICK, SAME, 2000, 0, ANY, 0},     {4150, TICK, RECOVERED, 0, 1, -1, 0},
    {4200, CRASH, SAME, 0, 1, -1, 1},        {4300, CRASH, STARTED, 1000, 0, 1000, 2},
};

#define SEQ(what, limit, window, max, steps) \
    { \
        what, limit, window, max, steps, sizeof(steps) / sizeof(steps[0]) \
    }

static const struct sequence sequences[] = {
    SEQ("crash loop", 3, 10000, 8000, crash_loop),
    SEQ("slow crashes", 3, 10000, 8000, slow_crashes),
    SEQ("window edge", 3, 10000, 30000, window_edge),
    SEQ("small max", 1, 10000, 500, small_max),
    SEQ("keeps failing", 1, 1000, 30000, keeps_failing),
};

/* Run one step; the change it reported. */
static enum pf_backoff_policy_change run_step(struct pf_backoff_policy *b, const struct step *s)
{
    switch (s->op) {
    case CRASH: return pf_backoff_policy_crash(b, s->t);
    case TICK: return pf_backoff_policy_tick(b, s->t);
    case FORK:
        assert_true(pf_backoff_policy_may_fork(b, s->t));
        pf_backoff_policy_forked(b, s->t);
        return SAME;
    case LOOK: break;
    }
    return SAME;
}

/* The state after a step against the table; a message on mismatch. */
static void check_step(const struct sequence *q, size_t i, const struct pf_backoff_policy *b,
                       enum pf_backoff_policy_change change)
{
    const struct step *s = &q->steps[i];
    int may = pf_backoff_policy_may_fork(b, s->t);
    int64_t wait = pf_backoff_policy_wait_ms(b, s->t);
    int recent = pf_backoff_policy_recent(b, s->t);

    if (change != s->change || b->delay_ms != s->delay ||
        pf_backoff_policy_running(b) != (s->delay > 0) ||
        (s->may_fork != ANY && may != s->may_fork) || (s->wait != ANY && wait != s->wait) ||
        (s->recent != ANY && recent != s->recent))
        fail_msg("%s, step %zu (t=%lld): change %d delay %lld may_fork %d wait %lld recent %d; "
                 "expected %d %lld %d %lld %d",
                 q->what, i, (long long)s->t, change, (long long)b->delay_ms, may, (long long)wait,
                 recent, s->change, (long long)s->delay, s->may_fork, (long long)s->wait,
                 s->recent);
}

static void test_sequences(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(sequences) / sizeof(sequences[0]); k++) {
        const struct sequence *q = &sequences[k];
        struct pf_backoff_policy b;

        assert_int_equal(pf_backoff_policy_init(&b, q->limit, q->window, q->max), 0);
        for (size_t i = 0; i < q->n; i++)
            check_step(q, i, &b, run_step(&b, &q->steps[i]));
        pf_backoff_policy_free(&b);
    }
}

/* A crash loop at full speed (a crash every 10 ms for a minute, the
 * master forking whenever allowed) gets at most one fork per delay:
 * the fork count stays small, and the delay stops at the cap. */
static void test_fork_rate_bounded(void **state)
{
    struct pf_backoff_policy b;
    int forks = 0;

    (void)state;
    assert_int_equal(pf_backoff_policy_init(&b, 5, 10000, 4000), 0);
    for (int64_t t = 0; t < 60000; t += 10) {
        if (!pf_backoff_policy_may_fork(&b, t))
            continue;
        pf_backoff_policy_forked(&b, t);
        forks++;
        pf_backoff_policy_crash(&b, t + 5); /* it dies at once */
    }
    /* 6 before the backoff starts, then 1 s, 2 s, 4 s, and 4 s apart. */
    assert_true(forks <= 6 + 3 + 60 / 4);
    assert_int_equal(b.delay_ms, 4000);
    pf_backoff_policy_free(&b);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_fork_rate_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
