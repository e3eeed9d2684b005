/*
 * pb_result: what a preforkbench run measured, as the engine hands it to
 * the report (types only).
 *
 * Every request whose start falls in the measured part is counted once:
 * ok, or failed with one kind (docs/preforkbench.md, "Every request is
 * counted"), or unfinished when the measured part ended first. Bytes and
 * connects are those of the counted requests; latencies those of the ok
 * ones, in nanoseconds.
 */
#ifndef PB_RESULT_H
#define PB_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb_hist.h"

/* The kinds of failure, in the order the report prints them. */
typedef enum pb_fail {
    PB_FAIL_CONNECT,   /* the connection could not be made */
    PB_FAIL_RESET,     /* ECONNRESET / EPIPE */
    PB_FAIL_CLOSED,    /* closed before any byte of the reply */
    PB_FAIL_SHORT,     /* closed in the middle of the reply */
    PB_FAIL_TIMEOUT,   /* the whole reply did not arrive in time */
    PB_FAIL_MALFORMED, /* not a valid reply, or bytes after it */
    PB_FAIL_STATUS,    /* http: a complete reply, not 2xx or 3xx */
    PB_FAIL_KINDS,
} pb_fail_t;

/* HTTP status codes counted one by one: 100..599. */
#define PB_STATUS_MIN 100
#define PB_STATUS_MAX 599
#define PB_STATUS_CODES (PB_STATUS_MAX - PB_STATUS_MIN + 1)

/* The counters of a run, or of one thread's part of it. */
struct pb_counts {
    uint64_t ok;
    uint64_t failed[PB_FAIL_KINDS];
    uint64_t unfinished;
    uint64_t status[PB_STATUS_CODES]; /* complete http replies by code */
    uint64_t bytes_in;                /* reply bytes received */
    uint64_t bytes_out;               /* request bytes sent */
    uint64_t connects;                /* connections opened */
    pb_hist_t latency;                /* ok requests, ns */
};

/* One second of the measured part (a --csv row). */
struct pb_second {
    uint64_t ok;
    uint64_t failed[PB_FAIL_KINDS];
    pb_hist_t latency; /* ok requests completed in it, ns */
};

struct pb_result {
    struct pb_counts total;
    double elapsed_s;          /* measured time really elapsed */
    bool interrupted;          /* SIGINT ended the run early */
    struct pb_second *seconds; /* --csv rows (NULL without --csv) */
    size_t nseconds;           /* rows to report */
};

/* A snapshot for the progress line, taken about once a second. */
struct pb_progress {
    bool warmup;      /* still in the warm-up */
    double elapsed_s; /* into the measured part (into the warm-up while warmup) */
    double planned_s; /* the planned length of that part */
    uint64_t ok;      /* counted so far */
    uint64_t failed;
    double rps; /* ok per second since the previous snapshot */
};

#endif
