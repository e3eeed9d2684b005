/* pf_backoff_policy: exponential respawn delay after too many crashes (pure). */
#include "pf_backoff_policy.h"

#include <stdlib.h>

/* The ring holds limit + 1 times: the crash that passes the limit and the
 * limit ones before it, which is all the window test needs. */
int pf_backoff_policy_init(struct pf_backoff_policy *b, int limit, int64_t window_ms,
                           int64_t max_ms)
{
    *b = (struct pf_backoff_policy){.limit = limit, .window_ms = window_ms, .max_ms = max_ms};
    b->times = calloc((size_t)limit + 1, sizeof(*b->times));
    return b->times ? 0 : -1;
}

/* Release the ring; safe on a zeroed or already freed backoff. */
void pf_backoff_policy_free(struct pf_backoff_policy *b)
{
    free(b->times);
    b->times = NULL;
}

/* Remember a crash time, dropping the oldest once the ring is full. */
static void backoff_push(struct pf_backoff_policy *b, int64_t now)
{
    b->times[b->head] = now;
    b->head = (b->head + 1) % (b->limit + 1);
    if (b->filled < b->limit + 1)
        b->filled++;
    b->last_ms = now;
}

/* More than limit crashes within the window ending at now: the ring is
 * full and its oldest entry (the next to be overwritten) is recent. */
static bool backoff_over_limit(const struct pf_backoff_policy *b, int64_t now)
{
    return b->filled == b->limit + 1 && now - b->times[b->head] < b->window_ms;
}

/* Not backing off: start once over the limit. Backing off: double the
 * delay (up to max) and count it from this crash. */
enum pf_backoff_policy_change pf_backoff_policy_crash(struct pf_backoff_policy *b, int64_t now)
{
    int64_t before = b->delay_ms;

    backoff_push(b, now);
    if (before == 0 && !backoff_over_limit(b, now))
        return PF_BACKOFF_POLICY_SAME;
    if (before == 0)
        b->delay_ms = PF_BACKOFF_POLICY_FIRST_MS < b->max_ms ? PF_BACKOFF_POLICY_FIRST_MS
                                                             : b->max_ms;
    else
        b->delay_ms = before > b->max_ms / 2 ? b->max_ms : before * 2;
    b->not_before_ms = now + b->delay_ms;
    if (before == 0)
        return PF_BACKOFF_POLICY_STARTED;
    return b->delay_ms != before ? PF_BACKOFF_POLICY_LONGER : PF_BACKOFF_POLICY_SAME;
}

/* The first fork after the last crash was allowed a delay after it; the
 * workers have then run a whole window without crashing. (Counting the
 * window from the crash alone would end a delay longer than the window
 * before any worker had even been tried.) */
enum pf_backoff_policy_change pf_backoff_policy_tick(struct pf_backoff_policy *b, int64_t now)
{
    if (b->delay_ms == 0 || now - b->last_ms < b->delay_ms + b->window_ms)
        return PF_BACKOFF_POLICY_SAME;
    b->delay_ms = 0;
    b->not_before_ms = 0;
    return PF_BACKOFF_POLICY_RECOVERED;
}

/* A delay in force is the whole state of "backing off". */
bool pf_backoff_policy_running(const struct pf_backoff_policy *b)
{
    return b->delay_ms > 0;
}

/* Without a delay, always; with one, once its deadline has come. */
bool pf_backoff_policy_may_fork(const struct pf_backoff_policy *b, int64_t now)
{
    return !pf_backoff_policy_running(b) || now >= b->not_before_ms;
}

/* Each fork while backing off pushes the next one a delay away: one
 * fork per delay, however many workers are missing. */
void pf_backoff_policy_forked(struct pf_backoff_policy *b, int64_t now)
{
    if (b->delay_ms > 0)
        b->not_before_ms = now + b->delay_ms;
}

/* -1 once a fork is allowed: a deadline already past must not become a
 * zero timeout that wakes the master in a loop. */
int64_t pf_backoff_policy_wait_ms(const struct pf_backoff_policy *b, int64_t now)
{
    if (pf_backoff_policy_may_fork(b, now))
        return -1;
    return b->not_before_ms - now;
}

/* Linear in the ring, which is read for status only. */
int pf_backoff_policy_recent(const struct pf_backoff_policy *b, int64_t now)
{
    int n = 0;

    for (int i = 0; i < b->filled; i++)
        if (now - b->times[i] < b->window_ms)
            n++;
    return n;
}
