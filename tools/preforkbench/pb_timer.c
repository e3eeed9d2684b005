/* pb_timer: the timer min-heap (see pb_timer.h). */
#include "pb_timer.h"

/* Exchange heap slots a and b, keeping each timer's pos right. */
static void pb_timer_swap(pb_timer_heap_t *h, size_t a, size_t b)
{
    pb_timer_t *t = h->slots[a];

    h->slots[a] = h->slots[b];
    h->slots[b] = t;
    h->slots[a]->pos = a;
    h->slots[b]->pos = b;
}

/* Move slot i up while it is earlier than its parent (after it got earlier,
 * or was added at the bottom). */
static void pb_timer_up(pb_timer_heap_t *h, size_t i)
{
    while (i > 0 && h->slots[i]->when_ns < h->slots[(i - 1) / 2]->when_ns) {
        pb_timer_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

/* Move slot i down while a child is earlier (after it got later, or was
 * moved there from the bottom). */
static void pb_timer_down(pb_timer_heap_t *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < h->n && h->slots[l]->when_ns < h->slots[m]->when_ns)
            m = l;
        if (l + 1 < h->n && h->slots[l + 1]->when_ns < h->slots[m]->when_ns)
            m = l + 1;
        if (m == i)
            return;
        pb_timer_swap(h, i, m);
        i = m;
    }
}

/* An empty heap over the caller's slots (see pb_timer.h). */
void pb_timer_heap_init(pb_timer_heap_t *h, pb_timer_t **slots, size_t cap)
{
    *h = (pb_timer_heap_t){.slots = slots, .n = 0, .cap = cap};
}

/* Add t at the bottom and let it rise to its place. */
int pb_timer_push(pb_timer_heap_t *h, pb_timer_t *t, int64_t when_ns)
{
    if (h->n == h->cap)
        return -1;
    t->when_ns = when_ns;
    t->pos = h->n;
    h->slots[h->n++] = t;
    pb_timer_up(h, t->pos);
    return 0;
}

/* The top of the heap, or NULL. */
pb_timer_t *pb_timer_peek(const pb_timer_heap_t *h)
{
    return h->n > 0 ? h->slots[0] : NULL;
}

/* The top's due time, or PB_TIMER_NEVER: what a thread sleeps until. */
int64_t pb_timer_next_ns(const pb_timer_heap_t *h)
{
    return h->n > 0 ? h->slots[0]->when_ns : PB_TIMER_NEVER;
}

/* Remove and return the top, or NULL. */
pb_timer_t *pb_timer_pop(pb_timer_heap_t *h)
{
    pb_timer_t *t = pb_timer_peek(h);

    if (t != NULL)
        pb_timer_remove(h, t);
    return t;
}

/* Change t's due time; only a real change moves it (up if earlier, down
 * if later), so setting the same time again costs nothing. */
void pb_timer_set(pb_timer_heap_t *h, pb_timer_t *t, int64_t when_ns)
{
    int64_t old = t->when_ns;

    t->when_ns = when_ns;
    if (when_ns < old)
        pb_timer_up(h, t->pos);
    else if (when_ns > old)
        pb_timer_down(h, t->pos);
}

/* Fill t's slot with the bottom timer, which then moves up or down to its
 * place (it may be earlier than t's parent or later than t's children;
 * after moving up, the move down finds nothing to do). */
void pb_timer_remove(pb_timer_heap_t *h, pb_timer_t *t)
{
    pb_timer_t *last = h->slots[--h->n];

    if (last == t)
        return;
    h->slots[t->pos] = last;
    last->pos = t->pos;
    pb_timer_up(h, last->pos);
    pb_timer_down(h, last->pos);
}
