/* pf_proto: the protocol handler interface.
 *
 * The server core knows nothing about protocols. A handler is a name plus
 * three functions; `protocol = "..."` in the config picks one
 * (master/pf_proto_table.c). A worker calls worker_init once after fork,
 * serve once per accepted connection, and worker_exit before it exits.
 *
 * serve() owns the connection until it returns (the worker closes the fd
 * afterwards). A handler waits for a client's bytes with pf_proto_await,
 * never on its own: there the worker may park the connection with the
 * keeper instead (docs/architecture.md, the keeper), and serve then
 * returns; the keeper hands it back to some worker, whose serve resumes
 * it from conn->resume. It must never exit the process and never let one client's
 * misbehaviour (reset, garbage, stall) escape as anything but a return:
 * a broken connection is logged at most once and given up.
 */
#ifndef PF_PROTO_H
#define PF_PROTO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "pf_config.h"
#include "pf_handoff.h"
#include "pf_scoreboard.h"

struct pf_park;        /* the worker's side of parking (pf_park.h) */
struct pf_worker_args; /* what a worker process is started with (pf_worker.h) */

/* One accepted connection, as a handler sees it. */
struct pf_conn {
    int fd; /* non-blocking, close-on-exec */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char peer_text[PF_ADDR_STRLEN]; /* for log lines */
    struct pf_slot *slot;           /* the worker's scoreboard slot */
    const struct pf_config *cfg;
    /* Signal mask for waits where the connection is idle between requests
     * (a keep-alive wait): it lets in the signals that stay blocked while
     * a request is in flight (SIGUSR1: reopen the logs now; SIGQUIT only
     * records the stop order, which pf_proto_stop_requested reports).
     * A handler may set it to NULL: the signals then stay held. */
    const sigset_t *idle_mask;
    /* A connection the keeper handed back: the state it travelled with
     * (its protocol, bytes of a request begun, requests served, deadlines;
     * flagged PF_HANDOFF_EXPIRED when its head deadline passed while
     * parked). NULL for a connection just accepted. Its bytes are valid
     * until serve returns. */
    const struct pf_handoff *resume;
    const struct pf_park *park; /* NULL: parking is off */
    unsigned waits;             /* pf_proto_await calls on it in this worker */
};

/* How a wait on a connection ended (pf_proto_await). */
enum pf_proto_wait {
    PF_PROTO_READABLE, /* bytes came, or the client closed: read now */
    PF_PROTO_TIMEOUT,  /* the deadline passed (or the wait failed) */
    PF_PROTO_PARKED,   /* the keeper holds it now: serve must return at once */
};

struct pf_proto {
    const char *name;
    /* Optional: checks and tables set up in the master before any fork
     * (shared read-only by every worker), at start and again on each
     * reload with the new configuration. A failure stops start-up or
     * fails the reload, so it must happen before anything is changed. */
    int (*master_init)(const struct pf_config *cfg, char *err, size_t errlen);
    /* Optional: what preforkd -t checks beyond the file itself (the files
     * the workers will need), creating nothing; master_init runs it too. */
    int (*check)(const struct pf_config *cfg, char *err, size_t errlen);
    /* Per-worker set-up (buffers); *state is handed back to serve. */
    int (*worker_init)(void **state, const struct pf_config *cfg, char *err, size_t errlen);
    void (*serve)(void *state, struct pf_conn *conn);
    void (*worker_exit)(void *state);
    /* Optional: reopen the protocol's own log files (SIGUSR1). */
    void (*reopen)(void *state);
    /* Optional: URL scheme for the "serving" log line at start ("http"). */
    const char *url_scheme;
    /* Optional: the worker process is this instead of the accept loop
     * (exec workers become a program); never returns. The functions
     * above but master_init and url_scheme are then unused. */
    void (*run)(const struct pf_worker_args *args);
};

/* Reopen the error log and the protocol's logs now, as the worker does on
 * SIGUSR1 between connections: for a handler that takes the signal while a
 * connection waits between requests. */
void pf_worker_reopen_logs(void);

/* True once the master ordered this worker to stop, or the whole server
 * stops gracefully (the keeper closes): reads flags in shared memory, so
 * it is free to ask on every request. */
bool pf_proto_stop_requested(const struct pf_conn *c);

/* Wait until c has bytes to read or deadline (monotonic ms, -1 none)
 * passes; between requests (state given and not PF_HANDOFF_BEGUN) with
 * conn->idle_mask's signals let in (the logs are reopened at once). With
 * parking on, the worker may park the connection instead, travelling
 * with state (its protocol and peer are filled in here): when the client
 * has been silent for keeper.linger, at once when other clients wait and
 * no worker is idle, or when this worker was told to stop
 * (pf_park_policy). state NULL: the connection stays here (its state
 * cannot travel: more bytes than a hand-over carries). */
enum pf_proto_wait pf_proto_await(struct pf_conn *c, int64_t deadline,
                                  const struct pf_handoff *state);

/* The state for pf_proto_await of a connection between requests or in
 * one: the nbytes bytes read of a request begun (none: idle), requests
 * served on it (kept at UINT32_MAX past that), its idle deadline and,
 * once begun, its head deadline. Filled into *st; NULL when it cannot
 * travel (more bytes than a hand-over carries, or closing: a stopping
 * keeper handed it back for one last answer). */
const struct pf_handoff *pf_proto_state(struct pf_handoff *st, const void *bytes, size_t nbytes,
                                        uint64_t requests, int64_t idle_deadline,
                                        int64_t head_deadline, bool closing);

#endif
