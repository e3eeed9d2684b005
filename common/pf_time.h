/* pf_time: clocks.
 *
 * Every timeout and deadline in preforkd is measured on the monotonic clock,
 * so a wall-clock jump (NTP step, suspended machine) can neither fire nor
 * postpone a timeout. Wall-clock time is used only for what humans read
 * (log lines, "started at" fields).
 */
#ifndef PF_TIME_H
#define PF_TIME_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t pf_time_now_ms(void);

/* Milliseconds left until deadline (a pf_time_now_ms() value), clamped to
 * [0, INT32_MAX] so it can be handed to poll(). A deadline of -1 means
 * "no deadline" and yields -1 (poll's infinity). */
int pf_time_left_ms(int64_t deadline_ms);

/* The deadline timeout_ms from now; a negative timeout means none (-1). */
int64_t pf_time_deadline(int timeout_ms);

/* The sooner of two waits in milliseconds, where a negative wait means
 * none: the other one, or -1 (poll's infinity) when neither is set. Folded
 * over every deadline, it gives how long a loop may sleep. */
int pf_time_sooner_ms(int a, int b);

/* A wait of ms milliseconds (negative: none, taken as 0) as a timespec,
 * for ppoll(). */
struct timespec pf_time_timespec(int64_t ms);

#endif
