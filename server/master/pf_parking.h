/* pf_parking: the master's side of parking: the two sockets between the
 * workers and the keeper, and the keeper process, forked, watched and
 * replaced like a worker (docs/architecture.md, the keeper).
 *
 * Both sockets are SOCK_SEQPACKET socketpairs made once at start, and the
 * master keeps every end while it runs: a keeper that dies loses only the
 * connections it held (idle ones), while whatever the workers parked
 * meanwhile, or the keeper had handed back, waits in the sockets for the
 * keeper forked next. The keeper's end of the park socket is closed in
 * every worker (the ready queue's sending end is not: a worker yields a
 * readable connection there, to the next idle worker), and the workers'
 * ends in the keeper.
 *
 * A graceful stop has the keeper go first (pf_parking_stop): it hands back
 * what has bytes, keeps watching the idle ones a moment and closes them,
 * then exits; the master tells the workers to stop only then, so that no
 * client's request is left in a socket nobody reads.
 */
#ifndef PF_PARKING_H
#define PF_PARKING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_backoff_policy.h"
#include "pf_config.h"
#include "pf_keeper.h"

struct pf_pool;

struct pf_parking {
    bool on;                          /* keeper.parking at start */
    int park[2];                      /* [0] the keeper receives, [1] workers send */
    int ready[2];                     /* [0] the keeper sends, [1] workers receive */
    pid_t pid;                        /* the keeper; 0 none */
    int64_t started_ms;               /* monotonic, of the running keeper */
    bool stopping;                    /* told to stop: not replaced any more */
    size_t max_parked;                /* keeper.max_parked, 0 = its own limit decides */
    struct pf_keeper_counts *counts;  /* shared with the keeper (mmap) */
    struct pf_backoff_policy backoff; /* a keeper that keeps dying young */
    uint64_t restarts;                /* keepers forked to replace one that died */
    uint64_t crashes;                 /* ...of which died abnormally */
    int64_t fork_retry_ms;            /* after a failed fork, none before */
};

/* Set up the sockets and the shared counters when keeper.parking is on
 * (with it off: nothing, pk->on false). 0 or -1 (reason in err). */
int pf_parking_init(struct pf_parking *pk, const struct pf_config *cfg, char *err, size_t errlen);
void pf_parking_destroy(struct pf_parking *pk);

/* Fork the keeper when none runs and one is due (not stopping, the crash
 * backoff allows it). p gives what the child must close and the identity
 * it drops to. 0 forked or none needed, -1 fork failed (logged). */
int pf_parking_spawn(struct pf_parking *pk, struct pf_pool *p);

/* A reaped child: true when it was the keeper (its end is logged and
 * counted; it is replaced by the next pf_parking_spawn). */
bool pf_parking_reaped(struct pf_parking *pk, pid_t pid, int status);

/* Milliseconds until a keeper is due again after crashes (-1 none due). */
int pf_parking_wait_ms(const struct pf_parking *pk, int64_t now_ms);

/* In a new worker: close the keeper's end of the park socket (the ready
 * queue's sending end stays open: workers yield connections there). */
void pf_parking_in_worker(struct pf_parking *pk);

/* Stop: the keeper is not replaced any more, workers park no more (the
 * shared closing flag), the master's copies of the keeper's ends are
 * closed (once it exits, a worker's park fails at once) and the keeper is
 * sent sig: SIGQUIT for a graceful stop (it hands back or closes what it
 * holds, then exits), SIGTERM for a fast one (it ends at once, as the
 * workers do; a SIGQUIT first would let it run its graceful exit in the
 * moment before the SIGTERM lands). */
void pf_parking_stop(struct pf_parking *pk, int sig);

/* Send sig to the keeper, if one runs. */
void pf_parking_signal(const struct pf_parking *pk, int sig);

bool pf_parking_alive(const struct pf_parking *pk);

#endif
