/* pf_control_render: control replies and metrics, from snapshots (pure).
 *
 * The master fills a snapshot of its state and of the scoreboard, then
 * these functions turn it into a JSON reply (jansson; one compact line) or
 * into the Prometheus text exposition format. No I/O, no clock: every
 * time is in the snapshot, so tests can render fixed inputs.
 */
#ifndef PF_CONTROL_RENDER_H
#define PF_CONTROL_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_addr.h"
#include "pf_config.h"
#include "pf_reload.h"
#include "pf_scoreboard.h"

#define PF_CTL_SIGNAL_MAX 65   /* exits counted per signal number 1..64 */

/* The master's state, as status and metrics report it. */
struct pf_ctl_status {
    pid_t pid;
    const char *version;
    int64_t start_time_s;      /* wall clock, seconds since the epoch */
    int64_t uptime_s;
    unsigned generation;
    const char *protocol;
    const char *listen;        /* the bound address, "127.0.0.1:8080" */
    bool stopping;
    int target, max;
    int by_state[PF_SLOT_STATE_COUNT]; /* live workers per slot state */
    uint64_t connections, requests, bytes_in, bytes_out;
    uint64_t spawned, respawns, reloads, auth_failures;
    uint64_t exits_abnormal;                 /* by signal or non-zero status */
    uint64_t hung_killed;                    /* killed as hung (request_timeout) */
    uint64_t fork_failures;                  /* forks of a worker that failed */
    uint64_t exits_by_signal[PF_CTL_SIGNAL_MAX];
    int listen_queue, listen_queue_max, backlog;
    const char *mode;                 /* workers.mode: "static" or "dynamic" */
    uint64_t max_workers_reached;     /* times every worker was busy at workers.max */
    int64_t respawn_backoff_ms;       /* the crash backoff's delay now; 0 = none */
    int crash_exits_recent;           /* crashes within workers.crash_window */
};

/* One worker, as the workers command and `preforkctl top` show it. */
struct pf_ctl_worker {
    int slot;
    pid_t pid;
    unsigned generation;
    int state;                     /* enum pf_slot_state */
    int64_t age_s;                 /* since it started */
    uint64_t connections, requests, bytes_in, bytes_out;
    char client[PF_ADDR_STRLEN];   /* "" when none */
    char request[PF_SLOT_SUMMARY_MAX]; /* "GET /x" or a protocol summary; "" when none */
    int64_t request_ms;            /* how long the current request has run; -1 none */
    int last_status;               /* last HTTP status; 0 none */
};

/* {"ok":true, ...status fields...} (fields listed in docs/control-protocol.md). */
json_t *pf_ctl_render_status(const struct pf_ctl_status *st);

/* {"ok":true,"workers":[{...}, ...]} */
json_t *pf_ctl_render_workers(const struct pf_ctl_worker *w, size_t n);

/* {"ok":true,"config":{...every setting, grouped as in the file...}} */
json_t *pf_ctl_render_config(const struct pf_config *cfg);

/* {"ok":true,"generation":N,"changed":[...],"restart_required":[...]}:
 * a reload's outcome (settings named "group.name"). */
json_t *pf_ctl_render_reload(const struct pf_reload_report *rep);

/* {"ok":false,"error":message} */
json_t *pf_ctl_render_error(const char *message);

/* {"ok":true} plus fields of extra (may be NULL; its reference is stolen). */
json_t *pf_ctl_render_ok(json_t *extra);

/* One compact JSON line ending in "\n", malloc'd (caller frees); the
 * reference to j is released. NULL on allocation failure. */
char *pf_ctl_dump_line(json_t *j, size_t *len);

/* The Prometheus text exposition (version 0.0.4) of st and the workers
 * into a malloc'd buffer (caller frees); *len gets its length. Every
 * metric has # HELP and # TYPE lines; names follow the conventions
 * (preforkd_ prefix, _total for counters, base units). */
char *pf_metrics_render(const struct pf_ctl_status *st, const struct pf_ctl_worker *w, size_t n,
                        size_t *len);

#endif
