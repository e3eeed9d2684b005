/* pf_keeper: the keeper process, which holds idle connections for the
 * workers (docs/architecture.md, the keeper).
 *
 * A worker whose connection has no bytes to read parks it here
 * (pf_park_policy decides when): it sends the descriptor and its state
 * (pf_handoff) on the park socket and goes back to work. The keeper holds
 * any number of such connections in one epoll set, each with its
 * deadline, and:
 *  - hands a connection back on the ready socket, where the idle workers
 *    wait, as soon as it is readable (the client sent bytes);
 *  - closes one whose client closed it, or that stayed idle between
 *    requests past its idle deadline (what a worker would have done);
 *  - hands back, flagged PF_HANDOFF_EXPIRED, one whose request was begun
 *    and not finished by its head deadline, for a worker to answer it
 *    (HTTP 408) and log it as it always does;
 *  - holds at most max_parked: past that, an idle connection is closed
 *    and a begun one handed straight back, counted, never a spin.
 * A connection the ready socket cannot take yet (every worker busy, its
 * buffer full) waits in a queue, first in, first out, and leaves when the
 * socket can take it. The keeper never reads a client's bytes: it only
 * peeks whether a readable connection was closed.
 *
 * Told to stop (*stop set, by SIGQUIT in the keeper process), it hands
 * back every begun request at once and keeps watching the idle
 * connections for PF_KEEPER_STOP_GRACE_MS (or until their own deadline if
 * sooner): a request that comes goes to a worker as always; then it
 * closes them (a last peek first: one whose bytes just came goes to a
 * worker instead), hands over its queue, and exits.
 */
#ifndef PF_KEEPER_H
#define PF_KEEPER_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* How long a stopping keeper still watches the idle connections it holds
 * (a request that comes is handed to a worker, answered, and the
 * connection closed), before it closes them. */
#define PF_KEEPER_STOP_GRACE_MS 1000

struct pf_keeper_args {
    int park_fd;               /* SOCK_SEQPACKET: connections parked by the workers come in */
    int ready_fd;              /* SOCK_SEQPACKET: connections ready for a worker go out */
    int lifeline_fd;           /* EOF when the master is gone; -1 none */
    size_t max_parked;         /* connections held at most */
    const sigset_t *wait_mask; /* signals let in while it waits; NULL: as is */
    const volatile sig_atomic_t *stop; /* set: stop (below); NULL: never */
    volatile sig_atomic_t *reopen;     /* set: reopen the error log, then cleared */
};

/* The keeper process's name (/proc/PID/comm, what ps and top show). */
#define PF_KEEPER_COMM "preforkd-keeper"

/* Exit statuses of the keeper process. */
enum pf_keeper_exit {
    PF_KEEPER_EXIT_OK = 0,   /* the master is gone, or a stop is done */
    PF_KEEPER_EXIT_INIT = 3, /* could not set itself up */
};

/* What the keeper did, written by the keeper alone (relaxed atomics: the
 * master reads them from shared memory for status and metrics). */
struct pf_keeper_counts {
    _Atomic uint64_t parked;        /* connections held now */
    _Atomic uint64_t taken;         /* parked since start */
    _Atomic uint64_t handed;        /* handed back to a worker, readable */
    _Atomic uint64_t expired;       /* handed back with a begun request past its deadline */
    _Atomic uint64_t idle_closed;   /* closed after their idle deadline */
    _Atomic uint64_t client_closed; /* closed by their client while parked */
    _Atomic uint64_t refused; /* arrived past max_parked (closed, or a begun one handed back) */
    _Atomic uint64_t bad;     /* messages refused (no descriptor, bad state) */
    _Atomic uint64_t queued;  /* waiting now for the ready socket to take them */
    /* Connections in the ready socket now, for a worker to take: added by
     * whoever sends one there (the keeper, a worker yielding), taken off
     * by the worker that receives it. Read mid-update it may be one off,
     * even below 0. The master keeps it across keepers, as it keeps the
     * socket. */
    _Atomic int64_t ready_waiting;
    /* Set once the keeper stops (by the master, and by the keeper itself):
     * workers park no more. The last connections parked before it are
     * still taken: the keeper shuts the park socket's reading side (a
     * worker's send then fails, and it keeps its connection) and reads
     * what was sent before it exits. */
    _Atomic int closing;
    /* Set by the master when it forks a keeper, cleared when it reaps
     * it: while no keeper runs (between a death and the next fork, or in
     * a crash backoff) workers keep their connections. What is parked
     * before a new keeper's first instruction waits in the park socket. */
    _Atomic int up;
};

/* Run the keeper until the master is gone (lifeline EOF), every worker
 * and the master closed the park socket, or a stop is done; counts may be
 * NULL. Returns PF_KEEPER_EXIT_OK, or PF_KEEPER_EXIT_INIT when it could
 * not set itself up (epoll, memory), with the reason logged. Every
 * connection still held is closed on the way out. */
int pf_keeper_run(const struct pf_keeper_args *a, struct pf_keeper_counts *counts);

#endif
