/*
 * pb_engine: preforkbench's load engine (docs/preforkbench.md, "How it
 * works").
 *
 * N threads, each with its own epoll instance and its share of the
 * connections; non-blocking sockets; a small state machine per connection
 * (idle -> connecting -> active (sending and receiving) -> idle, or
 * closing when the server announced it closes); replies judged with
 * pb_reply; latencies into a pb_hist per thread; the threads' counters
 * merged at the end. The calling thread supervises: it ends the run on
 * SIGINT (the flag main's handler sets) and reports progress once a
 * second.
 */
#ifndef PB_ENGINE_H
#define PB_ENGINE_H

#include <signal.h>
#include <stddef.h>

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

#endif
