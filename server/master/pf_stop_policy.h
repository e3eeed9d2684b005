/* pf_stop_policy: how a stop begins and when it must be over (pure).
 *
 * A graceful stop drains first for status.drain_delay (the server says
 * 503 on /health while it still accepts), unless nothing sends to it
 * that a drain would save: a master retiring after a binary upgrade (the
 * new master serves the same socket and says ok) or one still starting
 * (no balancer has found it healthy yet). A fast stop is due
 * workers.stop_timeout from its start, or sooner if a graceful stop
 * under way was due sooner; a drain's end is not a stop's deadline, so a
 * fast stop during a drain takes its own. No clock, no I/O: the time and
 * the state are arguments.
 */
#ifndef PF_STOP_POLICY_H
#define PF_STOP_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* How long a graceful stop beginning now drains before it stops
 * accepting, in ms: drain_delay_ms, or 0 (stop accepting now) for a
 * master that retires after an upgrade or is still starting. */
int pf_stop_policy_drain_ms(int drain_delay_ms, bool upgraded, bool starting);

/* The deadline of a fast stop beginning at now_ms (monotonic): now_ms +
 * stop_timeout_ms, or deadline_ms when a graceful stop under way (not
 * draining) is due sooner. */
int64_t pf_stop_policy_fast_deadline(bool stopping, bool draining, int64_t deadline_ms,
                                     int64_t now_ms, int stop_timeout_ms);

#endif
