/* Unit tests for pb_timer: the min-heap of timers a preforkbench thread
 * keeps its connections in (push/pop order, moving and removing timers,
 * many random deadlines, the empty and full heap). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pb_timer.h"

#define MANY 2000

/* Deterministic pseudo-random values (xorshift64). */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The heap's invariants: every timer knows its slot, and none is earlier
 * than its parent. */
static void assert_heap(const pb_timer_heap_t *h)
{
    for (size_t i = 0; i < h->n; i++) {
        assert_int_equal(h->slots[i]->pos, i);
        if (i > 0)
            assert_true(h->slots[(i - 1) / 2]->when_ns <= h->slots[i]->when_ns);
    }
}

/* Pop everything: due times never decrease, and exactly n come out. */
static void assert_pops_in_order(pb_timer_heap_t *h, size_t n)
{
    int64_t last = INT64_MIN;
    pb_timer_t *t;
    size_t popped = 0;

    while ((t = pb_timer_pop(h)) != NULL) {
        assert_true(t->when_ns >= last);
        last = t->when_ns;
        popped++;
        assert_heap(h);
    }
    assert_int_equal(popped, n);
    assert_int_equal(h->n, 0);
}

/* Nothing to peek or pop; the next due time is never. */
static void test_empty(void **state)
{
    pb_timer_t *slots[1];
    pb_timer_heap_t h;

    (void)state;
    pb_timer_heap_init(&h, slots, 1);
    assert_int_equal(h.n, 0);
    assert_null(pb_timer_peek(&h));
    assert_null(pb_timer_pop(&h));
    assert_true(pb_timer_next_ns(&h) == PB_TIMER_NEVER);
}

/* A heap of capacity 0 refuses every timer. */
static void test_zero_capacity(void **state)
{
    pb_timer_t t = {.when_ns = 7};
    pb_timer_heap_t h;

    (void)state;
    pb_timer_heap_init(&h, NULL, 0);
    assert_int_equal(pb_timer_push(&h, &t, 1), -1);
    assert_int_equal(t.when_ns, 7);
    assert_null(pb_timer_peek(&h));
}

/* Timers pushed in any order pop earliest first; peek does not take. */
static void test_push_pop_order(void **state)
{
    static const int64_t when[] = {50, 10, 40, 30, 20, 60, 0};
    pb_timer_t t[7], *slots[7];
    pb_timer_heap_t h;

    (void)state;
    pb_timer_heap_init(&h, slots, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(pb_timer_push(&h, &t[i], when[i]), 0);
        assert_heap(&h);
    }
    assert_int_equal(h.n, 7);
    assert_ptr_equal(pb_timer_peek(&h), &t[6]);
    assert_true(pb_timer_next_ns(&h) == 0);
    assert_int_equal(h.n, 7);
    for (int64_t want = 0; want <= 60; want += 10) {
        pb_timer_t *got = pb_timer_pop(&h);

        assert_non_null(got);
        assert_true(got->when_ns == want);
    }
    assert_null(pb_timer_pop(&h));
}

/* A full heap refuses one more timer and is left as it was. */
static void test_full(void **state)
{
    pb_timer_t t[3], extra = {.when_ns = 99}, *slots[2];
    pb_timer_heap_t h;

    (void)state;
    pb_timer_heap_init(&h, slots, 2);
    assert_int_equal(pb_timer_push(&h, &t[0], 5), 0);
    assert_int_equal(pb_timer_push(&h, &t[1], 3), 0);
    assert_int_equal(pb_timer_push(&h, &extra, 1), -1);
    assert_int_equal(extra.when_ns, 99);
    assert_int_equal(h.n, 2);
    assert_ptr_equal(pb_timer_peek(&h), &t[1]);
    assert_pops_in_order(&h, 2);
}

/* Unset timers (PB_TIMER_NEVER) stay below every set one, and setting one
 * brings it up: how a thread's connections start. */
static void test_never(void **state)
{
    pb_timer_t t[4], *slots[4];
    pb_timer_heap_t h;

    (void)state;
    pb_timer_heap_init(&h, slots, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(pb_timer_push(&h, &t[i], PB_TIMER_NEVER), 0);
    assert_true(pb_timer_next_ns(&h) == PB_TIMER_NEVER);
    pb_timer_set(&h, &t[3], 1000);
    assert_ptr_equal(pb_timer_peek(&h), &t[3]);
    pb_timer_set(&h, &t[2], 500);
    assert_ptr_equal(pb_timer_peek(&h), &t[2]);
    assert_heap(&h);
    pb_timer_set(&h, &t[2], PB_TIMER_NEVER);
    assert_ptr_equal(pb_timer_peek(&h), &t[3]);
    assert_heap(&h);
}

/* set moves a timer up (earlier) or down (later); the same time again
 * leaves the heap as it is. */
static void test_set(void **state)
{
    pb_timer_t t[6], *slots[6], *before[6];
    pb_timer_heap_t h;

    (void)state;
    pb_timer_heap_init(&h, slots, 6);
    for (size_t i = 0; i < 6; i++)
        pb_timer_push(&h, &t[i], (int64_t)(i + 1) * 10);
    pb_timer_set(&h, &t[5], 5); /* the latest becomes the earliest */
    assert_ptr_equal(pb_timer_peek(&h), &t[5]);
    assert_heap(&h);
    pb_timer_set(&h, &t[5], 100); /* and the latest again */
    assert_ptr_equal(pb_timer_peek(&h), &t[0]);
    assert_heap(&h);
    pb_timer_set(&h, &t[0], 35); /* the top moves down among the others */
    assert_ptr_equal(pb_timer_peek(&h), &t[1]);
    assert_heap(&h);
    memcpy(before, slots, sizeof(before));
    pb_timer_set(&h, &t[3], t[3].when_ns);
    assert_memory_equal(before, slots, sizeof(before));
    {
        static const int64_t want[] = {20, 30, 35, 40, 50, 100};
        for (size_t i = 0; i < 6; i++)
            assert_true(pb_timer_pop(&h)->when_ns == want[i]);
    }
}

/* remove takes a timer out from the top, the middle or the bottom; the
 * rest still pop in order. */
static void test_remove(void **state)
{
    pb_timer_t t[8], *slots[8];
    pb_timer_heap_t h;

    (void)state;
    pb_timer_heap_init(&h, slots, 8);
    for (size_t i = 0; i < 8; i++)
        pb_timer_push(&h, &t[i], (int64_t)((i * 5) % 8) * 10); /* 0 50 20 70 40 10 60 30 */
    assert_ptr_equal(pb_timer_peek(&h), &t[0]);
    pb_timer_remove(&h, &t[0]); /* the top (0) */
    assert_heap(&h);
    pb_timer_remove(&h, &t[4]); /* 40, wherever it is */
    assert_heap(&h);
    pb_timer_remove(&h, h.slots[h.n - 1]); /* the bottom */
    assert_heap(&h);
    assert_int_equal(h.n, 5);
    for (size_t i = 0; i < h.n; i++) {
        assert_ptr_not_equal(h.slots[i], &t[0]);
        assert_ptr_not_equal(h.slots[i], &t[4]);
    }
    assert_pops_in_order(&h, 5);
}

/* A removed timer can be pushed again, with a new time. */
static void test_remove_push_again(void **state)
{
    pb_timer_t t[3], *slots[3];
    pb_timer_heap_t h;

    (void)state;
    pb_timer_heap_init(&h, slots, 3);
    pb_timer_push(&h, &t[0], 10);
    pb_timer_push(&h, &t[1], 20);
    pb_timer_push(&h, &t[2], 30);
    pb_timer_remove(&h, &t[1]);
    assert_int_equal(pb_timer_push(&h, &t[1], 5), 0);
    assert_ptr_equal(pb_timer_pop(&h), &t[1]);
    assert_ptr_equal(pb_timer_pop(&h), &t[0]);
    assert_ptr_equal(pb_timer_pop(&h), &t[2]);
    assert_null(pb_timer_pop(&h));
}

/* Many random deadlines (duplicates and negatives included) pop in order,
 * each exactly once. */
static void test_random_pop(void **state)
{
    pb_timer_t *t = calloc(MANY, sizeof(*t)), **slots = calloc(MANY, sizeof(*slots));
    bool *seen = calloc(MANY, sizeof(*seen));
    uint64_t seed = 0x2545f4914f6cdd1dull;
    pb_timer_heap_t h;
    int64_t last = INT64_MIN;

    (void)state;
    assert_true(t && slots && seen);
    pb_timer_heap_init(&h, slots, MANY);
    for (size_t i = 0; i < MANY; i++)
        assert_int_equal(pb_timer_push(&h, &t[i], (int64_t)(next_rand(&seed) % 1000) - 500), 0);
    assert_heap(&h);
    for (size_t i = 0; i < MANY; i++) {
        pb_timer_t *got = pb_timer_pop(&h);

        assert_non_null(got);
        assert_true(got->when_ns >= last);
        last = got->when_ns;
        assert_false(seen[got - t]);
        seen[got - t] = true;
    }
    assert_null(pb_timer_pop(&h));
    free(t);
    free(slots);
    free(seen);
}

/* The earliest due time among the timers marked in. */
static int64_t min_of(const pb_timer_t *t, const bool *in, size_t n)
{
    int64_t min = PB_TIMER_NEVER;

    for (size_t k = 0; k < n; k++)
        if (in[k] && t[k].when_ns < min)
            min = t[k].when_ns;
    return min;
}

/* What a thread does all the time: random timers moved earlier and later,
 * some removed and pushed back; the heap stays a heap, and the earliest
 * is always the minimum of all. */
static void test_random_updates(void **state)
{
    pb_timer_t *t = calloc(MANY, sizeof(*t)), **slots = calloc(MANY, sizeof(*slots));
    bool *in = calloc(MANY, sizeof(*in));
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    pb_timer_heap_t h;
    size_t n = MANY;

    (void)state;
    assert_true(t && slots && in);
    pb_timer_heap_init(&h, slots, MANY);
    for (size_t i = 0; i < MANY; i++) {
        assert_int_equal(pb_timer_push(&h, &t[i], (int64_t)(next_rand(&seed) % 100000)), 0);
        in[i] = true;
    }
    for (int round = 0; round < 20000; round++) {
        size_t i = next_rand(&seed) % MANY;
        int64_t when = (int64_t)(next_rand(&seed) % 100000);

        if (!in[i]) {
            assert_int_equal(pb_timer_push(&h, &t[i], when), 0);
            in[i] = true;
            n++;
        } else if (round % 5 == 0) {
            pb_timer_remove(&h, &t[i]);
            in[i] = false;
            n--;
        } else {
            pb_timer_set(&h, &t[i], when);
        }
        if (round % 997 == 0) {
            assert_heap(&h);
            assert_true(pb_timer_next_ns(&h) == min_of(t, in, MANY));
        }
    }
    assert_int_equal(h.n, n);
    assert_pops_in_order(&h, n);
    free(t);
    free(slots);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),          cmocka_unit_test(test_zero_capacity),
        cmocka_unit_test(test_push_pop_order), cmocka_unit_test(test_full),
        cmocka_unit_test(test_never),          cmocka_unit_test(test_set),
        cmocka_unit_test(test_remove),         cmocka_unit_test(test_remove_push_again),
        cmocka_unit_test(test_random_pop),     cmocka_unit_test(test_random_updates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
