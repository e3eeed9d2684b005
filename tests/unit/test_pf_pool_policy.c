/* Unit tests for pf_pool_policy: the pool size decision, from tables of
 * situations (one tick each), of tick sequences (the spawn rate over
 * time), and of wake-up times (the tick schedule). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pf_config.h"
#include "pf_pool_policy.h"

#define S 0 /* static */
#define D 1 /* dynamic */

/* A configuration: the mode and the settings the policy reads. */
struct policy_cfg {
    int mode, max, min_spare, max_spare, max_spawn_rate;
};

static void make_config(struct pf_config *c, const struct policy_cfg *p)
{
    pf_config_defaults(c);
    snprintf(c->workers.mode, sizeof(c->workers.mode), "%s", p->mode == D ? "dynamic" : "static");
    c->workers.max = p->max;
    c->workers.min_spare = p->min_spare;
    c->workers.max_spare = p->max_spare;
    c->workers.max_spawn_rate = p->max_spawn_rate;
}

/* One tick: the situation and what must be decided. */
struct tick_case {
    const char *what;
    struct policy_cfg cfg;
    int target;                     /* the operator's (static mode) */
    int rate_in;                    /* the spawn rate before the tick */
    struct pf_pool_policy_counts n; /* alive, active, spare */
    int spawn, retire;
    bool max_reached;
    int rate_out;
};

static const struct tick_case tick_cases[] = {
    /* what                             {mode max min max_spare cap} tgt rate {alive act spare}
     *                                                     -> spawn retire max_reached rate */
    {"short: the first tick forks 1", {D, 64, 2, 8, 32}, 0, 1, {4, 4, 0}, 1, 0, false, 2},
    {"still short: 2", {D, 64, 2, 8, 32}, 0, 2, {5, 5, 0}, 2, 0, false, 4},
    {"still short: 4", {D, 64, 2, 16, 32}, 0, 4, {7, 7, 0}, 4, 0, false, 8},
    {"rate capped by max_spawn_rate", {D, 64, 9, 16, 8}, 0, 8, {20, 20, 0}, 8, 0, false, 8},
    {"doubling stops at the cap", {D, 64, 9, 32, 12}, 0, 8, {20, 20, 0}, 8, 0, false, 12},
    {"capped by workers.max", {D, 10, 2, 8, 32}, 0, 4, {8, 8, 0}, 2, 0, false, 8},
    {"capped by free slots (retiring)", {D, 10, 2, 8, 32}, 0, 4, {9, 7, 0}, 1, 0, false, 8},
    {"no free slot: nothing, rate 1", {D, 10, 2, 8, 32}, 0, 8, {10, 7, 0}, 0, 0, true, 1},
    {"capped to reach max_spare only", {D, 64, 2, 3, 32}, 0, 8, {6, 6, 1}, 2, 0, false, 16},
    {"spares within bounds: hold", {D, 64, 2, 8, 32}, 0, 8, {6, 6, 2}, 0, 0, false, 1},
    {"at max_spare: hold", {D, 64, 2, 8, 32}, 0, 1, {9, 9, 8}, 0, 0, false, 1},
    {"too many spares: retire one", {D, 64, 2, 8, 32}, 0, 4, {20, 20, 15}, 0, 1, false, 1},
    {"one too many: retire one", {D, 64, 2, 8, 32}, 0, 1, {9, 9, 9}, 0, 1, false, 1},
    {"never retire the last worker", {D, 64, 0, 0, 32}, 0, 1, {1, 1, 1}, 0, 0, false, 1},
    {"no worker left, min_spare 0", {D, 64, 0, 0, 32}, 0, 1, {0, 0, 0}, 1, 0, false, 2},
    {"all busy at max", {D, 4, 1, 2, 32}, 0, 2, {4, 4, 0}, 0, 0, true, 1},
    {"all busy below max: grow", {D, 8, 1, 2, 32}, 0, 1, {4, 4, 0}, 1, 0, false, 2},
    {"a starting worker is spare", {D, 4, 1, 2, 32}, 0, 1, {4, 4, 1}, 0, 0, false, 1},
    {"static: below target, fork all", {S, 64, 2, 8, 32}, 6, 1, {2, 2, 0}, 4, 0, false, 1},
    {"static: above target, retire", {S, 64, 2, 8, 32}, 2, 1, {5, 5, 5}, 0, 3, false, 1},
    {"static: spares ignored", {S, 64, 2, 8, 32}, 4, 1, {4, 4, 0}, 0, 0, false, 1},
    {"static: all busy at max", {S, 4, 2, 8, 32}, 4, 1, {4, 4, 0}, 0, 0, true, 1},
};

static void test_tick_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(tick_cases) / sizeof(tick_cases[0]); i++) {
        const struct tick_case *t = &tick_cases[i];
        struct pf_config c;
        struct pf_pool_policy_state st = {.spawn_rate = t->rate_in, .next_tick_ms = 0};
        struct pf_pool_policy_decision d;

        make_config(&c, &t->cfg);
        d = pf_pool_policy_decide(&c, t->target, &t->n, &st);
        if (d.spawn != t->spawn || d.retire != t->retire || d.max_reached != t->max_reached ||
            st.spawn_rate != t->rate_out)
            fail_msg("%s: spawn %d retire %d max %d rate %d; expected %d %d %d %d", t->what,
                     d.spawn, d.retire, d.max_reached, st.spawn_rate, t->spawn, t->retire,
                     t->max_reached, t->rate_out);
    }
}

/* Consecutive ticks of a dynamic pool (min_spare 2, max_spare 64, cap 8,
 * max 40): the spares each tick sees, and the forks it must decide. */
static void test_spawn_rate_over_ticks(void **state)
{
    static const struct {
        int active, spare, spawn;
    } ticks[] = {
        {4, 0, 1},  {5, 0, 2},  {7, 0, 4},  {11, 0, 8}, {19, 0, 8}, /* doubling, capped */
        {27, 2, 0},                                                 /* not short: reset */
        {27, 1, 1}, {28, 0, 2},                                     /* short again: 1, 2 */
        {30, 0, 4}, {34, 0, 6}, {40, 0, 0},                         /* up to max 40 */
        {40, 0, 0}, {40, 3, 0}, {40, 0, 0}, {39, 1, 1},             /* at max: rate 1 */
    };
    const struct policy_cfg pc = {D, 40, 2, 64, 8};
    struct pf_config c;
    struct pf_pool_policy_state st;

    (void)state;
    make_config(&c, &pc);
    pf_pool_policy_init(&st, 0);
    for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
        struct pf_pool_policy_counts n = {ticks[i].active, ticks[i].active, ticks[i].spare};
        struct pf_pool_policy_decision d = pf_pool_policy_decide(&c, 0, &n, &st);

        if (d.spawn != ticks[i].spawn || d.retire != 0)
            fail_msg("tick %zu (%d active, %d spare): spawn %d retire %d, expected %d", i,
                     ticks[i].active, ticks[i].spare, d.spawn, d.retire, ticks[i].spawn);
    }
}

/* Shrinking: however many spares too many, one retirement per tick. */
static void test_shrink_one_per_tick(void **state)
{
    const struct policy_cfg pc = {D, 64, 1, 2, 32};
    struct pf_config c;
    struct pf_pool_policy_state st;
    int active = 10, ticks = 0;

    (void)state;
    make_config(&c, &pc);
    pf_pool_policy_init(&st, 0);
    for (;;) {
        struct pf_pool_policy_counts n = {active, active, active}; /* every worker idle */
        struct pf_pool_policy_decision d = pf_pool_policy_decide(&c, 0, &n, &st);

        assert_int_equal(d.spawn, 0);
        assert_true(d.retire == 0 || d.retire == 1);
        if (d.retire == 0)
            break;
        active--;
        ticks++;
    }
    assert_int_equal(active, 2);
    assert_int_equal(ticks, 8);
}

/* The tick schedule: due once a period whatever the wake-ups, and a
 * stall does not replay the ticks it missed. */
static void test_tick_schedule(void **state)
{
    static const struct {
        int64_t now;
        bool due;
        int left; /* pf_pool_policy_tick_left_ms after the call */
    } wakes[] = {
        {0, false, 1000},    {10, false, 990},   {999, false, 1},    {1000, true, 1000},
        {1000, false, 1000}, {1001, false, 999}, {1500, false, 500}, {2003, true, 997},
        {2004, false, 996},  {2999, false, 1},   {3000, true, 1000}, {7400, true, 1000},
        {7401, false, 999},  {8399, false, 1},   {8400, true, 1000}, {8400, false, 1000},
    };
    struct pf_pool_policy_state st;

    (void)state;
    pf_pool_policy_init(&st, 0);
    for (size_t i = 0; i < sizeof(wakes) / sizeof(wakes[0]); i++) {
        bool due = pf_pool_policy_tick_due(&st, wakes[i].now);
        int left = pf_pool_policy_tick_left_ms(&st, wakes[i].now);

        if (due != wakes[i].due || left != wakes[i].left)
            fail_msg("wake at %lld: due %d left %d, expected %d %d", (long long)wakes[i].now, due,
                     left, wakes[i].due, wakes[i].left);
    }
}

/* A hundred wake-ups a second for ten seconds: ten ticks, not a thousand. */
static void test_ticks_per_second_not_per_wakeup(void **state)
{
    struct pf_pool_policy_state st;
    int ticks = 0;

    (void)state;
    pf_pool_policy_init(&st, 5000);
    for (int64_t now = 5000; now < 15000; now += 10)
        ticks += pf_pool_policy_tick_due(&st, now);
    assert_int_equal(ticks, 9); /* at 6000, 7000, ..., 14000 */
}

/* SIGTTIN/SIGTTOU: one more or fewer, within [1, workers.max]; a burst
 * beyond either end is clamped, never refused. */
static void test_scale_table(void **state)
{
    static const struct {
        int target, delta, max, want;
    } cases[] = {
        {4, 1, 8, 5},
        {4, -1, 8, 3},
        {4, 0, 8, 4},
        {8, 1, 8, 8},
        {1, -1, 8, 1},
        {4, 10, 8, 8},
        {4, -10, 8, 1},
        {1, 0, 1, 1},
        {1, 1, 1, 1},
        {3, 2, 5, 5},
        {2, -3, 64, 1},
        {64, 2, 64, 64},
        {4, 2147483647, 4096, 4096},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = pf_pool_policy_scale(cases[i].target, cases[i].delta, cases[i].max);

        if (got != cases[i].want)
            fail_msg("target %d %+d within [1, %d]: got %d, want %d", cases[i].target,
                     cases[i].delta, cases[i].max, got, cases[i].want);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tick_table),
        cmocka_unit_test(test_spawn_rate_over_ticks),
        cmocka_unit_test(test_shrink_one_per_tick),
        cmocka_unit_test(test_tick_schedule),
        cmocka_unit_test(test_ticks_per_second_not_per_wakeup),
        cmocka_unit_test(test_scale_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
