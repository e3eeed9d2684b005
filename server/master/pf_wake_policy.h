/* pf_wake_policy: how long the master may sleep in ppoll() (pure).
 *
 * The master sleeps until a signal, a control client, or the soonest of
 * the deadlines its parts keep: the next supervision tick (or the next
 * fork the crash backoff allows, or a failed fork's retry), the stop
 * deadline, a control client's timeout, a roll-over or a start-up that
 * watches the scoreboard, a binary upgrade's report, a hung worker's
 * signal. Each part says its own wait; this module folds them, in one
 * place, into the one timeout. No clock, no I/O: the waits are arguments.
 */
#ifndef PF_WAKE_POLICY_H
#define PF_WAKE_POLICY_H

#include <stdbool.h>

/* The step at which the master looks at the scoreboard while workers it
 * waits for become ready (start-up, a roll-over): their readiness is a
 * slot's state, not a signal. */
#define PF_WAKE_POLICY_SCOREBOARD_MS 20

/* Each part's wait in milliseconds; -1 where a part has none. */
struct pf_wake_policy_waits {
    bool stopping;    /* a stop is under way: no supervision tick to run */
    bool starting;    /* the first workers' readiness is awaited */
    int supervise_ms; /* the tick, a backoff's fork, a fork retry (unless stopping) */
    int stop_ms;      /* while stopping: until the stop deadline */
    int control_ms;   /* a control client's deadline */
    int reload_ms;    /* a roll-over's next look */
    int upgrade_ms;   /* a binary upgrade's deadline */
    int hung_ms;      /* a hung worker's SIGTERM or SIGKILL */
};

/* The timeout for ppoll(), in milliseconds: the soonest wait, never more
 * than a tick (PF_POOL_POLICY_TICK_MS) while stopping, never more than
 * PF_WAKE_POLICY_SCOREBOARD_MS while starting. A tick overdue while
 * stopping does not make it zero. */
int pf_wake_policy_ms(const struct pf_wake_policy_waits *w);

#endif
