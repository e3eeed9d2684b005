/*
 * pb_timer: a binary min-heap of timers, the earliest at the top
 * (docs/preforkbench.md, "How it works", "Timers").
 *
 * Each preforkbench thread keeps every one of its connections in one heap,
 * ordered by the connection's single timer (a request's deadline or the
 * time its next request starts), so that it can handle the due ones and
 * sleep until the earliest. Timers change all the time and are never
 * scanned: a change moves the timer up or down its path, in O(log n).
 *
 * Intrusive: a pb_timer_t lives inside its owner (a struct pb_conn), which
 * finds itself again from the timer's address (offsetof). The timer knows
 * its slot in the heap, so it can be moved or removed without a search.
 *
 * Pure: no I/O, no clock, no allocation. The caller provides the array of
 * slots (its capacity is the most timers the heap holds). Ties pop in no
 * particular order.
 */
#ifndef PB_TIMER_H
#define PB_TIMER_H

#include <stddef.h>
#include <stdint.h>

/* A timer that is not set: later than any deadline. */
#define PB_TIMER_NEVER INT64_MAX

/* One timer: when it is due, and where it is in its heap. */
typedef struct pb_timer {
    int64_t when_ns; /* due time (ns, any clock), PB_TIMER_NEVER: not set */
    size_t pos;      /* its slot in the heap; private to pb_timer.c */
} pb_timer_t;

/* The heap: slots[0] is the earliest of the n timers it holds. */
typedef struct pb_timer_heap {
    pb_timer_t **slots; /* the caller's array of cap pointers */
    size_t n;           /* timers in the heap */
    size_t cap;
} pb_timer_heap_t;

/* An empty heap over slots[0..cap). */
void pb_timer_heap_init(pb_timer_heap_t *h, pb_timer_t **slots, size_t cap);

/* Add t, due at when_ns. 0, or -1 (and t untouched) if the heap is full. */
int pb_timer_push(pb_timer_heap_t *h, pb_timer_t *t, int64_t when_ns);

/* The earliest timer, left in the heap; NULL when the heap is empty. */
pb_timer_t *pb_timer_peek(const pb_timer_heap_t *h);

/* The earliest due time; PB_TIMER_NEVER when the heap is empty. */
int64_t pb_timer_next_ns(const pb_timer_heap_t *h);

/* Take the earliest timer out of the heap; NULL when it is empty. */
pb_timer_t *pb_timer_pop(pb_timer_heap_t *h);

/* Move t (in the heap) to when_ns, earlier or later, keeping the order. */
void pb_timer_set(pb_timer_heap_t *h, pb_timer_t *t, int64_t when_ns);

/* Take t (in the heap) out of it, wherever it is. */
void pb_timer_remove(pb_timer_heap_t *h, pb_timer_t *t);

#endif
