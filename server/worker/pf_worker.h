/* pf_worker: a worker process's life: accept, serve, repeat.
 *
 * A worker waits for the listening socket to become readable together with
 * the keeper's ready socket (connections parked earlier that have bytes
 * again) and the read end of the master's lifeline pipe (EOF there means
 * the master is gone: no orphan keeps serving unsupervised), takes one
 * client, serves it through the protocol handler (which may park it with
 * the keeper when it falls silent), closes its copy, and loops. It exits when told to
 * stop (after serving what the kernel already queued), after max_requests,
 * or when the master dies.
 */
#ifndef PF_WORKER_H
#define PF_WORKER_H

#include "pf_config.h"
#include "pf_privs.h"
#include "pf_proto.h"
#include "pf_scoreboard.h"

struct pf_worker_args {
    const struct pf_config *cfg;
    const struct pf_proto *proto;
    int listen_fd;
    int lifeline_fd;                       /* read end of the master's pipe */
    int park_fd;                           /* to the keeper: connections parked; -1 parking off */
    int ready_fd;                          /* from the keeper: connections readable again; -1 off */
    int yield_fd;                          /* to the ready queue: connections yielded; -1 off */
    const _Atomic int *keeper_closing;     /* set once the keeper stops (shared) */
    const _Atomic int *keeper_up;          /* set while a keeper runs (shared) */
    const _Atomic uint64_t *keeper_queued; /* the keeper's queue for the ready socket */
    _Atomic int64_t *ready_waiting;        /* connections in the ready socket (shared) */
    struct pf_slot *slots;                 /* the whole scoreboard (idle workers are counted) */
    size_t nslots;
    struct pf_slot *slot;
    int slot_index;
    unsigned generation;
    long max_requests;                 /* 0 = no limit; else workers.max_requests plus this
                                 worker's jitter, drawn by the master */
    const struct pf_privs_plan *privs; /* applied once set up (chroot to
                                          cfg->daemon.chroot, switch ids) */
    const char *notify_socket;         /* exec workers: NOTIFY_SOCKET; NULL none */
    int output_fd;                     /* exec workers: the pipe for fd 1 and 2; -1 none */
};

/* Exit codes of a worker, read by the master when it reaps one. */
enum pf_worker_exit {
    PF_WORKER_EXIT_OK = 0,   /* stopped as told, recycled, or orphaned */
    PF_WORKER_EXIT_INIT = 3, /* could not set itself up: do not respawn fast */
};

/* A worker's name in /proc/PID/comm (what top and ps -o comm show; its
 * title, for ps -ef, says its generation and slot). An exec worker's are
 * its program's once it runs. */
#define PF_WORKER_COMM "preforkd-worker"

/* Run the worker; never returns (calls exit()). */
void pf_worker_run(const struct pf_worker_args *args) __attribute__((noreturn));

#endif
