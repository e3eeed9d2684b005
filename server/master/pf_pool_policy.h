/* pf_pool_policy: how many workers to fork or retire at a supervision tick (pure).
 *
 * Once a second (the tick, scheduled on the monotonic clock however often
 * the master wakes) the master counts its workers from the scoreboard and
 * asks this module what to do:
 *  - static mode: fork or retire towards the operator's target;
 *  - dynamic mode (the scheme of Apache httpd's prefork MPM): keep between
 *    min_spare and max_spare workers spare, never more than workers.max
 *    alive; while short of spares, fork 1 the first tick, then twice as
 *    many each tick (at most max_spawn_rate, never more than needed to
 *    reach max_spare spares, never beyond workers.max); once no longer
 *    short, back to 1; with too many spares, retire exactly one per tick;
 *    never retire the last worker;
 *  - both modes: no spare worker and no room to fork one is "max reached":
 *    new clients wait in the listen queue.
 * A spare worker is an active one that is idle or still starting (about to
 * be idle), as Apache counts them, so workers forked at the last tick are
 * not forked again. No clock, no I/O: times are arguments.
 */
#ifndef PF_POOL_POLICY_H
#define PF_POOL_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "pf_config.h"

/* The supervision tick's period. */
#define PF_POOL_POLICY_TICK_MS 1000

/* The pool as the scoreboard shows it at a tick. */
struct pf_pool_policy_counts {
    int alive;  /* live workers, those told to stop included (they hold slots) */
    int active; /* live workers not told to stop */
    int spare;  /* active workers idle or starting */
};

/* What the policy remembers from tick to tick. */
struct pf_pool_policy_state {
    int spawn_rate;       /* forks allowed at the next short tick */
    int64_t next_tick_ms; /* monotonic time of the next tick */
};

/* What to do now. */
struct pf_pool_policy_decision {
    int spawn;        /* fork this many workers more than are active */
    int retire;       /* retire this many active workers (idle ones first) */
    bool max_reached; /* no spare worker, and workers.max are alive */
};

/* Start with a spawn rate of 1 and the first tick one period after now. */
void pf_pool_policy_init(struct pf_pool_policy_state *st, int64_t now_ms);

/* Is a tick due at now? If so, schedule the next one a period after the
 * one due (ticks missed while the master was stalled are not replayed),
 * and say true: the caller runs the tick exactly once. */
bool pf_pool_policy_tick_due(struct pf_pool_policy_state *st, int64_t now_ms);

/* Milliseconds from now until the next tick (0 when one is due). */
int pf_pool_policy_tick_left_ms(const struct pf_pool_policy_state *st, int64_t now_ms);

/* The decision for this tick in the mode cfg->workers says, with target
 * the operator's pool size (static mode) and n the counts; updates the
 * spawn rate in st. */
struct pf_pool_policy_decision pf_pool_policy_decide(const struct pf_config *cfg, int target,
                                                     const struct pf_pool_policy_counts *n,
                                                     struct pf_pool_policy_state *st);

/* SIGTTIN / SIGTTOU: the static pool's target after delta workers more
 * (or fewer), kept within [1, max]: a signal asks, it cannot refuse. */
int pf_pool_policy_scale(int target, int delta, int max);

#endif
