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

#include "pf_config.h"
#include "pf_events.h"
#include "pf_status.h"

/* {"ok":true, ...status fields...} (fields listed in docs/control-protocol.md). */
json_t *pf_control_render_status(const struct pf_status *st);

/* {"ok":true,"workers":[{...}, ...]} */
json_t *pf_control_render_workers(const struct pf_status_worker *w, size_t n);

/* {"ok":true,"events":[{"seq":N,"time":"2026-12-07T09:14:03.120Z",
 *  "level":"warn","text":"..."}, ...]}: the recent events, newest first
 * (time in UTC, from the event's own wall-clock time). */
json_t *pf_control_render_events(const struct pf_events *e);

/* The status page's data, GET /status.json: {"ok":true,"health":{"code":
 * 200,"text":"ok"} (as GET /health answers),"status":{...the status
 * reply...},"workers":[...the workers reply's...],"events":[...]}. */
json_t *pf_control_render_status_page(const struct pf_status *st, const struct pf_status_worker *w,
                                      size_t n, const struct pf_events *e);

/* {"ok":true,"config":{...every setting, grouped as in the file...}} */
json_t *pf_control_render_config(const struct pf_config *cfg);

/* {"ok":true,"generation":N,"changed":[...],"restart_required":[...]}:
 * a reload's outcome (settings named "group.name"). */
json_t *pf_control_render_reload(const struct pf_status_reload *rep);

/* {"ok":false,"error":message} */
/* GET /health's verdict on st: the text of the answer ("ok", or why not,
 * the first that holds: "stopping", "starting", "backing off after
 * crashes", "no worker ready") and its HTTP status in *code (200 for
 * "ok", else 503). */
const char *pf_control_render_health(const struct pf_status *st, int *code);

json_t *pf_control_render_error(const char *message);

/* {"ok":true} plus fields of extra (may be NULL; its reference is stolen). */
json_t *pf_control_render_ok(json_t *extra);

/* One compact JSON line ending in "\n", malloc'd (caller frees); the
 * reference to j is released. NULL on allocation failure. */
char *pf_control_render_line(json_t *j, size_t *len);

/* The Prometheus text exposition (version 0.0.4) of st and the workers
 * into a malloc'd buffer (caller frees); *len gets its length. Every
 * metric has # HELP and # TYPE lines; names follow the conventions
 * (preforkd_ prefix, _total for counters, base units). */
char *pf_control_render_metrics(const struct pf_status *st, const struct pf_status_worker *w,
                                size_t n, size_t *len);

#endif
