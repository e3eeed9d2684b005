/*
 * pb_engine: preforkbench's load engine (docs/preforkbench.md, "How it
 * works"): the threads, the run and its clock marks (warm-up, measured
 * part, stop), the open-loop schedule, the counting of outcomes and the
 * progress counters.
 *
 * N threads, each with its own epoll instance, its share of the
 * connections (each a pb_conn state machine, its timer in the thread's
 * pb_timer heap) and its own counters (latencies into a pb_hist); the
 * threads' counters merged at the end. pb_conn asks the engine, through
 * two hooks, when a connection's next request starts (the schedule) and
 * whether a request that ended counts (the measured part, -n). The
 * calling thread supervises: it ends the run on SIGINT (the flag main's
 * handler sets) and reports progress once a second.
 *
 * The schedule and window arithmetic is pure and exposed for the unit
 * tests (pb_engine_period_ns and below).
 */
#ifndef PB_ENGINE_H
#define PB_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb_opts.h"
#include "pb_result.h"

/* Told about once a second while the run goes on (on the calling thread). */
typedef void pb_engine_progress_fn(const struct pb_progress *p, void *arg);

/*
 * The bytes every request of the run sends, prebuilt once: the http
 * request (GET/HEAD, Host, the -H headers, Connection: close with
 * --close), the echo line (size printable bytes, the last one '\n'), or
 * the msg frame (4-byte big-endian length, then size bytes). *buf is
 * malloc'd (free it). 0, or -1 if out of memory. Pure.
 */
int pb_engine_request(const struct pb_opts *o, unsigned char **buf, size_t *len);

/*
 * Run the benchmark o describes and fill r (free it with
 * pb_engine_result_free). interrupt is main's SIGINT flag: once it is
 * non-zero the run stops early (SIGINT is blocked in the engine's threads
 * and taken by the calling thread). progress may be NULL. 0, or -1 with a
 * one-line reason in err when the run could not be made (no threads, not
 * enough file descriptors, out of memory): exit status 2.
 */
int pb_engine_run(const struct pb_opts *o, const volatile sig_atomic_t *interrupt,
                  pb_engine_progress_fn *progress, void *arg, struct pb_result *r, char *err,
                  size_t errlen);

/* Free what pb_engine_run allocated in r (the --csv series). */
void pb_engine_result_free(struct pb_result *r);

/* ---- pure arithmetic (the unit tests call it) ---- */

/* Closed loop: a connection whose connect failed waits this long. */
#define PB_ENGINE_BACKOFF_NS (10 * 1000000LL)

/* Seconds (an option) to nanoseconds, rounded to the nearest. */
int64_t pb_engine_ns(double seconds);

/* The connections thread t (0-based) of threads runs, out of connections:
 * an equal share, the first ones one more when it does not divide. */
size_t pb_engine_share(int connections, int threads, int t);

/* Open loop at rate requests/s over connections: each connection's period
 * (connections / rate seconds, at least 1 ns). 0 (closed loop) when rate
 * is 0. */
int64_t pb_engine_period_ns(int connections, double rate);

/* Open loop: the first due time of the connection of run-wide index i,
 * i / rate seconds after t0, so all connections' due times interleave
 * evenly at the total rate. */
int64_t pb_engine_first_due_ns(int64_t t0_ns, size_t i, double rate);

/*
 * When a connection's next request starts, its previous one having ended
 * at now. Open loop (period_ns > 0): its next due time, *due_ns moved on
 * by one period (now or earlier when it is behind: at once). Closed loop:
 * now, or now + PB_ENGINE_BACKOFF_NS after a failed connect (backoff).
 */
int64_t pb_engine_next_start_ns(int64_t period_ns, int64_t *due_ns, int64_t now, bool backoff);

/* --csv: the row (second of the measured part starting at measure_ns) of
 * a request completed at now, the last of nseconds rows at most. */
size_t pb_engine_second_of(int64_t now, int64_t measure_ns, size_t nseconds);

/* --csv: the rows to report for elapsed_s of measured time (one per
 * started second), at most nseconds. */
size_t pb_engine_rows(double elapsed_s, size_t nseconds);

#endif
