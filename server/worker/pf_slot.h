/* pf_slot: one worker's slot of the scoreboard, and what may be done to it.
 *
 * A worker writes only its own slot, with relaxed atomic stores and no
 * lock: a single writer per slot needs none, and the master (the only
 * reader, and the writer of stop_requested alone) tolerates a counter read
 * a moment stale or a summary half-updated, which the readers here copy
 * and terminate. The array of slots is pf_scoreboard.
 */
#ifndef PF_SLOT_H
#define PF_SLOT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

enum pf_slot_state {
    PF_SLOT_FREE = 0,  /* no worker */
    PF_SLOT_STARTING,  /* forked, not yet waiting for clients */
    PF_SLOT_IDLE,      /* waiting in accept */
    PF_SLOT_READING,   /* receiving a request */
    PF_SLOT_WRITING,   /* sending a response */
    PF_SLOT_KEEPALIVE, /* connection open, waiting for its next request */
    PF_SLOT_CLOSING,   /* lingering after an error before closing */
    PF_SLOT_SERVING,   /* an exec worker holding a client connection, as
                          the master sees it once a second (pf_conn_probe) */
    PF_SLOT_STOPPING,  /* told to stop: finishing gracefully */
    PF_SLOT_STATE_COUNT
};

/* Request durations are counted in buckets whose upper bounds are these
 * (microseconds), and one more for the longer ones (Prometheus' +Inf). */
#define PF_SLOT_DURATION_BUCKETS 12
extern const uint64_t pf_slot_duration_bounds_us[PF_SLOT_DURATION_BUCKETS];

/* The bucket of a request that took us microseconds: the first whose
 * bound is at least us, or PF_SLOT_DURATION_BUCKETS (pure). */
int pf_slot_duration_bucket(uint64_t us);

/* Responses are counted by class: 1xx to 5xx. */
#define PF_SLOT_STATUS_CLASSES 5

/* Longest request summary kept ("GET /path", protocol-specific). */
#define PF_SLOT_SUMMARY_MAX 96
/* Longest reason kept of a worker that could not start. */
#define PF_SLOT_REASON_MAX 200

const char *pf_slot_state_name(int state);

struct pf_slot {
    _Atomic int state; /* enum pf_slot_state */
    _Atomic pid_t pid;
    _Atomic unsigned generation;
    _Atomic int64_t started_ms;     /* wall clock, for humans */
    _Atomic int64_t busy_since_ms;  /* monotonic, start of the current connection */
    _Atomic uint64_t connections;   /* connections accepted */
    _Atomic uint64_t resumed;       /* connections taken back from the keeper */
    _Atomic uint64_t parked;        /* connections parked with the keeper */
    _Atomic uint64_t proxy_refused; /* closed for a missing or broken PROXY header */
    _Atomic uint64_t requests;      /* messages (echo lines, msg frames) served */
    _Atomic uint64_t bytes_in;
    _Atomic uint64_t bytes_out;
    struct sockaddr_storage client; /* current client, written before BUSY */
    _Atomic int64_t request_ms;     /* monotonic start of the current request; 0 none */
    _Atomic int64_t request_us;     /* ...in microseconds, for its duration; 0 none */
    /* Requests by how long they took (non-cumulative buckets), and in all. */
    _Atomic uint64_t durations[PF_SLOT_DURATION_BUCKETS + 1];
    _Atomic uint64_t duration_sum_us;
    _Atomic uint64_t by_class[PF_SLOT_STATUS_CLASSES]; /* responses 1xx .. 5xx */
    _Atomic int last_status; /* status of the last response (HTTP); 0 none */
    /* What the current request is (request_ms set), or the last one
     * served (request_ms 0; "" before the first); written by the worker
     * without a lock, so a reader may see it half-updated: readers copy
     * and terminate it. */
    char summary[PF_SLOT_SUMMARY_MAX];
    /* Written by the master (the one field it writes) before it sends
     * SIGQUIT: lets a busy worker see the stop order without a system
     * call, while the signal itself stays blocked until it is idle. */
    _Atomic int stop_requested;
    /* Why the worker could not start, written just before it exits with
     * PF_WORKER_EXIT_INIT, so the master can quote it ("" otherwise). */
    char exit_reason[PF_SLOT_REASON_MAX];
};

/* Single-writer updates from the worker owning the slot. */
void pf_slot_set_state(struct pf_slot *s, enum pf_slot_state st);
void pf_slot_begin_client(struct pf_slot *s, const struct sockaddr *peer, socklen_t len);
void pf_slot_end_client(struct pf_slot *s);
/* A connection the keeper handed back (counted in resumed, not in
 * connections), and one this worker parked. */
void pf_slot_resume_client(struct pf_slot *s, const struct sockaddr *peer, socklen_t len);
void pf_slot_parked(struct pf_slot *s);
/* A connection closed for its PROXY header (missing, broken, too slow). */
void pf_slot_proxy_refused(struct pf_slot *s);
/* The client of the connection being served (len cut to fit): its peer,
 * or another a balancer named (PROXY header, X-Forwarded-For). Nothing is
 * counted. */
void pf_slot_set_client(struct pf_slot *s, const struct sockaddr *client, socklen_t len);
void pf_slot_add_request(struct pf_slot *s, uint64_t in, uint64_t out);

/* A request began: its summary (len bytes, cut to fit) and start time. */
void pf_slot_begin_request(struct pf_slot *s, const char *summary, size_t len);

/* The request ended with status (0 when the protocol has none): counted
 * by its class, and by its duration when pf_slot_begin_request began it;
 * its summary stays, as the last request served. */
void pf_slot_end_request(struct pf_slot *s, int status);

/* The summary set to text (cut to fit), without a request's timing: an
 * exec worker's STATUS= line, written by the master. */
void pf_slot_set_summary(struct pf_slot *s, const char *text);

/* Copy of the summary, NUL-terminated whatever a concurrent writer did. */
void pf_slot_read_summary(const struct pf_slot *s, char out[PF_SLOT_SUMMARY_MAX]);

/* The current client as "host:port", "" when the slot serves none (copied
 * first: the worker may be writing it). */
void pf_slot_read_client(const struct pf_slot *s, char *out, size_t size);

/* The worker could not start, for this reason (cut to fit). */
void pf_slot_set_exit_reason(struct pf_slot *s, const char *reason);

/* Copy of the exit reason, NUL-terminated (master, after reaping). */
void pf_slot_read_exit_reason(const struct pf_slot *s, char out[PF_SLOT_REASON_MAX]);

/* An exec worker's client as the master sees it from outside (the master
 * is then the slot's one writer: the program never touches it): serving
 * peer, or with peer NULL idle again. Only a ready worker (idle or
 * serving) changes. */
void pf_slot_observe_client(struct pf_slot *s, const struct sockaddr *peer, socklen_t len);

/* A slot's counters, summed (master side): the workers gone and the live
 * ones add up to the server's totals. */
struct pf_slot_totals {
    uint64_t connections, requests, bytes_in, bytes_out, parked, resumed;
    uint64_t proxy_refused;
    uint64_t durations[PF_SLOT_DURATION_BUCKETS + 1]; /* non-cumulative */
    uint64_t duration_sum_us;
    uint64_t by_class[PF_SLOT_STATUS_CLASSES];
};

/* Add the counters of s into t. */
void pf_slot_add_totals(const struct pf_slot *s, struct pf_slot_totals *t);

/* Relaxed read of a slot's state (master side). */
int pf_slot_get_state(const struct pf_slot *s);

#endif
