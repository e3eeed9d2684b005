/* pf_episode: a failure that repeats while a resource is short (accept()
 * without a free descriptor, fork() refused), told in the log once when it
 * begins or its cause changes, once a period while it lasts, and once when
 * it ends, however many attempts fail meanwhile. A worker retrying accept
 * ten times a second, or a master retrying fork once a second, would
 * otherwise write a line per attempt for as long as the shortage lasts.
 *
 * Pure: no clock, no I/O. Every time is an argument (monotonic ms) and
 * the caller logs what each call returns, reading the counts from the
 * struct.
 */
#ifndef PF_EPISODE_H
#define PF_EPISODE_H

#include <stdbool.h>
#include <stdint.h>

/* How often a failure that lasts is told again: once a minute. */
#define PF_EPISODE_PERIOD_MS 60000

struct pf_episode {
    int err;           /* errno of the latest failure; 0: none going on */
    int64_t since_ms;  /* the episode's first failure */
    int64_t told_ms;   /* when it was last told */
    uint64_t failures; /* in this episode (kept after it ended, for its last line) */
    uint64_t total;    /* every failure since start */
};

/* What a call asks the caller to log. */
enum pf_episode_news {
    PF_EPISODE_QUIET = 0, /* nothing */
    PF_EPISODE_BEGAN,     /* the first failure of an episode */
    PF_EPISODE_CHANGED,   /* a failure for another reason (err) than the last one */
    PF_EPISODE_LASTS,     /* still failing, a period after it was last told */
    PF_EPISODE_ENDED,     /* an attempt worked after failures: failures and
                             since_ms describe the episode that ended */
};

/* An attempt failed with err at now. */
enum pf_episode_news pf_episode_fail(struct pf_episode *e, int err, int64_t now_ms,
                                     int64_t period_ms);

/* An attempt worked at now: PF_EPISODE_ENDED if failures were going on. */
enum pf_episode_news pf_episode_ok(struct pf_episode *e);

/* Is an episode going on (the latest attempt failed)? */
bool pf_episode_on(const struct pf_episode *e);

#endif
