/* pf_status: what the master reports of itself, as plain data.
 *
 * The master fills these (master/pf_stats.c, pf_supervise.c, pf_reload.c);
 * the control channel renders them as JSON replies and as metrics
 * (pf_control_render.c). No library types here, so a module that only
 * fills a status needs nothing of the renderer's.
 */
#ifndef PF_STATUS_H
#define PF_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_addr.h"
#include "pf_config.h"
#include "pf_scoreboard.h"
#include "pf_signals.h"

/* The keeper (keeper.parking), as status and metrics report it: its
 * counters come from the memory it shares with the master, its memory
 * from /proc/PID/smaps_rollup, read when the status is asked. */
struct pf_status_keeper {
    bool enabled;      /* keeper.parking at start */
    pid_t pid;         /* the keeper running now; 0 none */
    uint64_t restarts; /* keepers forked to replace one that died */
    uint64_t crashes;  /* ...of which counted as crashes (abnormal and young) */
    uint64_t parked;   /* connections held now */
    uint64_t queued;   /* handed back, waiting now for a worker to take them */
    /* Since start: */
    uint64_t taken;            /* connections parked */
    uint64_t handed;           /* handed back to a worker, readable */
    uint64_t expired;          /* handed back with a request begun past its deadline */
    uint64_t idle_closed;      /* closed at their idle deadline */
    uint64_t client_closed;    /* closed by their client while parked */
    uint64_t refused;          /* arrived past max_parked */
    uint64_t bad;              /* messages refused (no descriptor, bad state) */
    uint64_t rss_kib, pss_kib; /* its memory now; 0 when none runs or unreadable */
};

#define PF_STATUS_ROLLOVER_REASON (PF_SLOT_REASON_MAX + 128) /* as pf_pool's last_broken */

/* Exec workers' notifications and reloads (protocol = "exec"). */
struct pf_status_exec {
    bool enabled;            /* the workers are programs */
    uint64_t messages;       /* notify datagrams acted on */
    uint64_t foreign;        /* from a process that is not a current worker */
    uint64_t bad;            /* dropped: cut, unparsable, no credentials */
    uint64_t refused;        /* MAINPID= */
    uint64_t not_ready;      /* workers killed for missing exec.ready_timeout */
    uint64_t watchdog_kills; /* workers killed for missing exec.watchdog */
};

/* Where the last reload's roll-over stands. */
enum pf_rollover_state {
    PF_ROLLOVER_NONE,        /* no reload since start */
    PF_ROLLOVER_ROLLING,     /* its workers are starting; older ones still serve */
    PF_ROLLOVER_SERVING,     /* its workers serve; older ones were told to stop */
    PF_ROLLOVER_ROLLED_BACK, /* its workers did not start: the previous
                                configuration runs again, as generation serving */
};

/* The last reload, as status reports it and `preforkctl reload` waits
 * for it. */
struct pf_status_rollover {
    enum pf_rollover_state state;
    unsigned generation; /* the generation the reload started */
    unsigned serving;    /* rolled back: the generation running the previous configuration */
    unsigned failed;     /* its workers that failed to start */
    char reason[PF_STATUS_ROLLOVER_REASON]; /* rolled back: the last failure, as logged */
};

/* A process's (or the workers' summed) usage, from /proc. */
struct pf_status_process {
    uint64_t cpu_us;    /* CPU time, user and system */
    uint64_t rss_bytes; /* resident memory (summed: shared pages counted each time) */
    uint64_t open_fds;  /* open descriptors */
    uint64_t max_fds;   /* the descriptor limit (the master's only); 0 unknown */
};

/* The master's state, as status and metrics report it. */
struct pf_status {
    pid_t pid;
    const char *version;
    int64_t start_time_s; /* wall clock, seconds since the epoch */
    int64_t uptime_s;
    unsigned generation;
    const char *protocol;
    const char *listen; /* the bound address, "127.0.0.1:8080" */
    bool starting;      /* the first pool is not ready yet */
    bool stopping;
    int target, max;
    int by_state[PF_SLOT_STATE_COUNT]; /* live workers per slot state */
    uint64_t connections, requests, bytes_in, bytes_out;
    uint64_t parked;        /* connections the workers parked with the keeper */
    uint64_t resumed;       /* connections the workers took back from the keeper */
    uint64_t proxy_refused; /* closed for a missing or broken PROXY header */
    uint64_t spawned, respawns, reloads, auth_failures;
    uint64_t reload_rollbacks; /* reloads rolled back: their workers did not start */
    struct pf_status_rollover last_reload;
    uint64_t exits_abnormal;  /* by signal or non-zero status */
    uint64_t hung_killed;     /* killed as hung (request_timeout) */
    uint64_t memory_recycled; /* replaced for being over workers.max_memory */
    uint64_t fork_failures;   /* forks of a worker that failed */
    uint64_t exits_by_signal[PF_SIGNALS_MAX];
    int listen_queue, listen_queue_max, backlog;
    const char *mode;             /* workers.mode: "static" or "dynamic" */
    uint64_t max_workers_reached; /* times every worker was busy at workers.max */
    int64_t respawn_backoff_ms;   /* the crash backoff's delay now; 0 = none */
    int crash_exits_recent;       /* crashes within workers.crash_window */
    struct pf_status_keeper keeper;
    struct pf_status_exec exec;
    struct pf_status_process master_process, workers_process;
    /* Requests by duration (non-cumulative buckets of pf_slot_duration_bounds_us, then
     * the longer ones) and their total; responses by class (1xx .. 5xx). */
    uint64_t durations[PF_SLOT_DURATION_BUCKETS + 1];
    uint64_t duration_sum_us;
    uint64_t by_class[PF_SLOT_STATUS_CLASSES];
};

/* One worker, as the workers command and `preforkctl top` show it. */
struct pf_status_worker {
    int slot;
    pid_t pid;
    unsigned generation;
    int state;     /* enum pf_slot_state */
    int64_t age_s; /* since it started */
    uint64_t connections, requests, bytes_in, bytes_out;
    uint64_t parked;                   /* connections it parked with the keeper */
    uint64_t resumed;                  /* connections it took back from the keeper */
    char client[PF_ADDR_STRLEN];       /* "" when none */
    char request[PF_SLOT_SUMMARY_MAX]; /* "GET /x" or a protocol summary; "" when none */
    int64_t request_ms;                /* how long the current request has run; -1 none */
    int last_status;                   /* last HTTP status; 0 none */
    int64_t watchdog_ms;               /* exec workers: since the last WATCHDOG=1; -1 none */
    bool exec;                         /* a program: request holds its STATUS= text */
    bool ready;                        /* past start-up (exec: READY=1, or started) */
    int64_t private_kib;               /* private memory (as workers.max_memory); -1 unknown */
};

/* What a reload that succeeded reports (control reply, log). */
struct pf_status_reload {
    unsigned generation;            /* the generation now in force */
    struct pf_config_names applied; /* settings changed, and applied */
    struct pf_config_names restart; /* changed, but only a restart applies them */
};

#endif
