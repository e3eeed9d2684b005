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

/* The master's state, as status and metrics report it. */
struct pf_status {
    pid_t pid;
    const char *version;
    int64_t start_time_s; /* wall clock, seconds since the epoch */
    int64_t uptime_s;
    unsigned generation;
    const char *protocol;
    const char *listen; /* the bound address, "127.0.0.1:8080" */
    bool stopping;
    int target, max;
    int by_state[PF_SLOT_STATE_COUNT]; /* live workers per slot state */
    uint64_t connections, requests, bytes_in, bytes_out;
    uint64_t spawned, respawns, reloads, auth_failures;
    uint64_t exits_abnormal; /* by signal or non-zero status */
    uint64_t hung_killed;    /* killed as hung (request_timeout) */
    uint64_t fork_failures;  /* forks of a worker that failed */
    uint64_t exits_by_signal[PF_SIGNALS_MAX];
    int listen_queue, listen_queue_max, backlog;
    const char *mode;             /* workers.mode: "static" or "dynamic" */
    uint64_t max_workers_reached; /* times every worker was busy at workers.max */
    int64_t respawn_backoff_ms;   /* the crash backoff's delay now; 0 = none */
    int crash_exits_recent;       /* crashes within workers.crash_window */
};

/* One worker, as the workers command and `preforkctl top` show it. */
struct pf_status_worker {
    int slot;
    pid_t pid;
    unsigned generation;
    int state;     /* enum pf_slot_state */
    int64_t age_s; /* since it started */
    uint64_t connections, requests, bytes_in, bytes_out;
    char client[PF_ADDR_STRLEN];       /* "" when none */
    char request[PF_SLOT_SUMMARY_MAX]; /* "GET /x" or a protocol summary; "" when none */
    int64_t request_ms;                /* how long the current request has run; -1 none */
    int last_status;                   /* last HTTP status; 0 none */
};

/* What a reload that succeeded reports (control reply, log). */
struct pf_status_reload {
    unsigned generation;            /* the generation now in force */
    struct pf_config_names applied; /* settings changed, and applied */
    struct pf_config_names restart; /* changed, but only a restart applies them */
};

#endif
