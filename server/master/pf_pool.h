/* pf_pool: the master's table of worker processes.
 *
 * This is where workers are forked, where dead ones are reaped and logged,
 * and where the pool is refilled to its target (a dead worker is replaced in
 * pf_pool_refill). One entry per scoreboard slot. Only the master calls
 * these functions.
 */
#ifndef PF_POOL_H
#define PF_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_backoff_policy.h"
#include "pf_exec_output.h"
#include "pf_config.h"
#include "pf_episode.h"
#include "pf_parking.h"
#include "pf_privs.h"
#include "pf_proto.h"
#include "pf_recycle_policy.h"
#include "pf_scoreboard.h"
#include "pf_signals.h"

struct pf_child {
    pid_t pid; /* 0: slot unused */
    unsigned generation;
    int64_t started_ms;   /* monotonic */
    bool retiring;        /* told to stop; does not count toward the target */
    int64_t hung_term_ms; /* monotonic: when the master sent SIGTERM because it
                              hung (pf_hung.c); 0 never. Set: killed by the
                              master, so its end is not a crash */
    bool hung_kill_sent;  /* ...and the SIGKILL after stop_timeout */
    int64_t lifetime_ms;  /* its own max_lifetime (drawn at fork); 0 = none */
    int64_t watchdog_ms;  /* exec workers: monotonic time of the last WATCHDOG=1; 0 none */
    bool not_ready;       /* exec workers: killed for missing exec.ready_timeout */
    bool replace;         /* to be replaced, new one first: it serves on,
                              out of the active count, until a successor is
                              ready (pf_pool_replace) */
    bool program;         /* exec workers, at reaping: it reached execve (no
                              reason of ours in its slot), so its status is
                              the program's own */
};

struct pf_pool {
    const struct pf_config *cfg;
    const struct pf_proto *proto;
    struct pf_scoreboard sb;
    struct pf_child *children; /* sb.nslots entries, indexed like the slots */
    int listen_fd;
    int lifeline[2];               /* [0] workers watch for EOF, [1] master holds */
    struct pf_parking *parking;    /* the keeper's sockets (NULL or off: no parking) */
    const char *notify_socket;     /* exec workers' NOTIFY_SOCKET; NULL: none */
    struct pf_exec_output *output; /* exec workers' output pipes; NULL: none */
    int target;                    /* workers wanted (not counting retiring ones) */
    unsigned generation;
    struct pf_backoff_policy backoff; /* crash loop guard: gates the forks of refill */
    struct pf_rng rng;                /* draws each worker's own recycling limits */
    int vacancies;                    /* active workers that exited, not yet replaced */
    struct pf_privs_plan privs;       /* who workers become once set up; decided by
                                   the master at start (zero: stay as is) */
    struct pf_episode fork_fail;      /* fork() refused (EAGAIN: RLIMIT_NPROC or the
                                    system's process limit; ENOMEM); its total
                                    counts every failed fork since start */
    int64_t fork_retry_ms;            /* monotonic: after a failed fork, none before */

    /* Totals since start. */
    uint64_t spawned;
    uint64_t respawns;       /* spawned to replace a worker that exited */
    uint64_t exits_abnormal; /* killed by a signal or non-zero status */
    uint64_t exits_by_signal[PF_SIGNALS_MAX];
    uint64_t hung_killed;        /* workers killed as hung (workers.request_timeout) */
    uint64_t memory_recycled;    /* workers replaced for workers.max_memory */
    unsigned gen_start_failures; /* workers of the current generation that
                                    failed to start (pool_count_start_failure) */
    uint64_t broken;             /* workers that could not start, or died of a fault
                                   signal (SIGSEGV...) young: the binary's or the
                                   set-up's fault, not a kill from outside */
    char last_broken[PF_SLOT_REASON_MAX + 128];  /* the latest one, as logged */
    char last_failure[PF_SLOT_REASON_MAX + 128]; /* the latest crash, broken or not */
    /* Counters of workers already gone (live ones are in their slots). */
    struct pf_slot_totals done; /* the counters of the workers reaped */
    uint64_t done_cpu_us;       /* CPU time (user + system) of the workers reaped */

    /* Called in each new worker before it runs: closes what only the
     * master may hold (the control channel's sockets). */
    void (*child_cleanup)(void *ctx);
    void *child_ctx;
    /* Called (with child_ctx) for a reaped child that is not a worker:
     * the new master of a binary upgrade. */
    void (*other_exit)(void *ctx, pid_t pid, int status);
    /* Called for each reaped worker, before its slot is freed, with its
     * wait status and that status as logged (how): supervision's view of
     * the exit (pf_supervise_exit, set by the master). */
    void (*on_exit)(struct pf_pool *p, int slot, int status, const char *how, int64_t now_ms);
};

/* Set up the table, scoreboard and lifeline pipe. 0 or -1 (reason in err). */
int pf_pool_init(struct pf_pool *p, const struct pf_config *cfg, const struct pf_proto *proto,
                 int listen_fd, char *err, size_t errlen);
void pf_pool_destroy(struct pf_pool *p);

/* Fork one worker into a free slot. 0, or -1 if none, or fork failed
 * (logged when it begins, once a minute while it lasts, and when a fork
 * works again), or it failed less than PF_POOL_FORK_RETRY_MS ago (then
 * nothing is tried: refill would otherwise fork at every wake of the
 * master, each control request or signal). */
int pf_pool_spawn(struct pf_pool *p);

/* After a failed fork, the pause before the next try. */
#define PF_POOL_FORK_RETRY_MS 1000

/* Milliseconds until a fork may be tried again after a failed one, or -1
 * when one may be tried now. */
int64_t pf_pool_fork_wait_ms(const struct pf_pool *p, int64_t now_ms);

/* pf_pool_spawn when the crash backoff allows a fork now, noting the fork
 * in the backoff (refill and the reload roll-over both fork this way). 0
 * forked; -1 the backoff said wait, or the fork failed. */
int pf_pool_spawn_paced(struct pf_pool *p);

/* Reap every exited worker (waitpid loop), log how each ended, free its
 * slot. Returns the number reaped. */
int pf_pool_reap(struct pf_pool *p);

/* Fork workers until the pool holds target active (non-retiring) ones,
 * as far as the crash backoff allows and while a slot is free (a retiring
 * worker's slot is used once it exits). Returns how many were forked. */
int pf_pool_refill(struct pf_pool *p);

/* Tell one active worker to stop gracefully (one of an older generation
 * if any, an idle one if any). Returns its pid, or 0 if there was none. */
pid_t pf_pool_retire_one(struct pf_pool *p);

/* Tell one active worker of a generation older than generation to stop
 * gracefully (an idle one if any). Returns its pid, or 0 if none. */
pid_t pf_pool_retire_older(struct pf_pool *p, unsigned generation);

/* Tell every active worker of generation to stop; how many. */
int pf_pool_retire_generation(struct pf_pool *p, unsigned generation);

/* Tell the worker in slot to stop gracefully (marked retiring). */
void pf_pool_retire_slot(struct pf_pool *p, int slot);

/* Send sig to every live worker; with retire set, also mark them retiring. */
void pf_pool_signal_all(struct pf_pool *p, int sig, bool retire);

/* Close the master's copy of the listening socket (graceful stop). */
void pf_pool_close_listener(struct pf_pool *p);

/* A reaped child's wait status as the log says it: "exited with status
 * 0", "killed by signal 9 (Killed)" (", core dumped" when it did). */
void pf_pool_describe_exit(int status, char *buf, size_t size);

/* The live worker with this pid: its slot index, or -1. */
int pf_pool_find(const struct pf_pool *p, pid_t pid);

int pf_pool_alive(const struct pf_pool *p);  /* live workers, retiring included */
int pf_pool_active(const struct pf_pool *p); /* live, not retiring, not being replaced */

/* Replace the worker in slot, new one first (memory, lifetime): it leaves
 * the active count, so the next refill forks its successor, and keeps
 * serving until pf_pool_replace retires it. */
void pf_pool_mark_replace(struct pf_pool *p, int slot);

/* Retire the workers marked for replacement as far as their successors
 * are ready: while the ready workers and the marked ones together are
 * more than the target (so the pool never serves with fewer), or at once
 * when no slot is left for a successor. Once a pass, after refill. */
void pf_pool_replace(struct pf_pool *p);

/* Workers marked for replacement, not yet told to stop. */
int pf_pool_replacing(const struct pf_pool *p);
int pf_pool_ready(const struct pf_pool *p); /* ...and past set-up: accepting or serving */

#endif
