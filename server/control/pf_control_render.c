/* pf_control_render: control replies and metrics, from snapshots (pure).
 *
 * The status numbers are described once, in ctl_stats: where each lives
 * in the snapshot, its key in the status reply and its metric. The JSON
 * replies are built with json_object_set_new through ctl_put, which keeps
 * going after a failed allocation and reports it once at the end, so no
 * builder leaks or returns a half-filled object.
 */
#include "pf_control_render.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_log.h"

/* Seconds printed with 15 significant digits: enough for any duration in
 * milliseconds, and 0.1 stays "0.1" instead of 0.10000000000000001. */
#define CTL_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* How a number is stored in a snapshot or in struct pf_config. */
enum ctl_kind { CTL_INT, CTL_UINT, CTL_LONG, CTL_I64, CTL_U64, CTL_SIZE };

/* The object of the status reply a number goes into: the reply itself,
 * "workers", "totals", "listen_queue", "keeper" and "keeper"."totals". */
enum ctl_group {
    CTL_TOP,
    CTL_WORKERS,
    CTL_TOTALS,
    CTL_QUEUE,
    CTL_KEEPER,
    CTL_KEEPER_TOTALS,
    CTL_EXEC,
    CTL_GROUPS
};

/* One number of struct pf_status: its status key and, unless NULL, the
 * metric it is exported as. */
struct ctl_stat {
    enum ctl_group group;
    const char *key;
    const char *metric, *type, *help;
    size_t off;
    enum ctl_kind kind;
};

#define CTL_STAT(g, k, m, t, h, member, kind) \
    { \
        g, k, m, t, h, offsetof(struct pf_status, member), kind \
    }
/* A number of the status reply that is no metric of its own. */
#define CTL_KEY(g, k, member, kind) CTL_STAT(g, k, NULL, NULL, NULL, member, kind)

static const struct ctl_stat ctl_stats[] = {
    CTL_STAT(CTL_TOP, "pid", NULL, NULL, NULL, pid, CTL_INT),
    CTL_STAT(CTL_TOP, "start_time", "preforkd_start_time_seconds", "gauge",
             "Start time of the master since the Unix epoch in seconds.", start_time_s, CTL_I64),
    CTL_STAT(CTL_TOP, "uptime", "preforkd_uptime_seconds", "gauge",
             "Seconds since the master started.", uptime_s, CTL_I64),
    CTL_STAT(CTL_TOP, "generation", "preforkd_generation", "gauge",
             "Configuration generation, one more after each reload.", generation, CTL_UINT),
    CTL_STAT(CTL_WORKERS, "target", "preforkd_workers_target", "gauge",
             "Workers the pool keeps running.", target, CTL_INT),
    CTL_STAT(CTL_WORKERS, "max", "preforkd_workers_max", "gauge",
             "Most workers possible (scoreboard slots).", max, CTL_INT),
    CTL_STAT(CTL_TOTALS, "connections", "preforkd_connections_total", "counter",
             "Client connections served by workers.", connections, CTL_U64),
    CTL_STAT(CTL_TOTALS, "requests", "preforkd_requests_total", "counter",
             "Requests served by workers.", requests, CTL_U64),
    CTL_STAT(CTL_TOTALS, "bytes_in", "preforkd_received_bytes_total", "counter",
             "Bytes received from clients.", bytes_in, CTL_U64),
    CTL_STAT(CTL_TOTALS, "bytes_out", "preforkd_sent_bytes_total", "counter",
             "Bytes sent to clients.", bytes_out, CTL_U64),
    CTL_STAT(CTL_TOTALS, "spawned", "preforkd_worker_spawns_total", "counter", "Workers forked.",
             spawned, CTL_U64),
    CTL_STAT(CTL_TOTALS, "respawns", "preforkd_worker_respawns_total", "counter",
             "Workers forked to replace one that exited.", respawns, CTL_U64),
    CTL_STAT(CTL_TOTALS, "max_workers_reached", "preforkd_max_workers_reached_total", "counter",
             "Times every worker was busy with workers.max running.", max_workers_reached, CTL_U64),
    CTL_STAT(CTL_TOP, "respawn_backoff_ms", NULL, NULL, NULL, respawn_backoff_ms, CTL_I64),
    CTL_STAT(CTL_TOP, "crash_exits_recent", "preforkd_worker_crash_exits_recent", "gauge",
             "Workers that crashed within workers.crash_window.", crash_exits_recent, CTL_INT),
    CTL_STAT(CTL_TOTALS, "reloads", "preforkd_reloads_total", "counter", "Configuration reloads.",
             reloads, CTL_U64),
    CTL_STAT(CTL_TOTALS, "abnormal_exits", "preforkd_worker_abnormal_exits_total", "counter",
             "Workers that exited by a signal or with a non-zero status.", exits_abnormal, CTL_U64),
    CTL_STAT(CTL_TOTALS, "hung_killed", "preforkd_worker_hung_killed_total", "counter",
             "Workers killed as hung: busy on one request past workers.request_timeout.",
             hung_killed, CTL_U64),
    CTL_STAT(CTL_TOTALS, "memory_recycled", "preforkd_worker_memory_recycled_total", "counter",
             "Workers replaced for private memory above workers.max_memory.", memory_recycled,
             CTL_U64),
    CTL_STAT(CTL_TOTALS, "fork_failures", "preforkd_worker_fork_failures_total", "counter",
             "Forks of a worker that failed (RLIMIT_NPROC, the system's process limit, "
             "memory).",
             fork_failures, CTL_U64),
    CTL_STAT(CTL_TOTALS, "reload_rollbacks", "preforkd_reload_rollbacks_total", "counter",
             "Reloads rolled back: none of their new workers started.", reload_rollbacks, CTL_U64),
    CTL_STAT(CTL_TOTALS, "auth_failures", "preforkd_control_auth_failures_total", "counter",
             "Control channel authentications refused.", auth_failures, CTL_U64),
    CTL_STAT(CTL_QUEUE, "length", "preforkd_listen_queue_length", "gauge",
             "Connections waiting in the listen queue.", listen_queue, CTL_INT),
    CTL_STAT(CTL_QUEUE, "max", "preforkd_listen_queue_max_length", "gauge",
             "Longest listen queue seen.", listen_queue_max, CTL_INT),
    CTL_STAT(CTL_QUEUE, "backlog", "preforkd_listen_backlog", "gauge",
             "Backlog of the listening socket.", backlog, CTL_INT),
    CTL_KEY(CTL_TOTALS, "parked", parked, CTL_U64),
    CTL_KEY(CTL_TOTALS, "resumed", resumed, CTL_U64),
    CTL_STAT(CTL_TOTALS, "proxy_refused", "preforkd_proxy_refused_total", "counter",
             "Connections from a trusted address closed for a missing, broken or late PROXY "
             "header (proxy.protocol).",
             proxy_refused, CTL_U64),
    /* The keeper's metrics are left out when keeper.parking is off
     * (ctl_keeper_off). */
    CTL_KEY(CTL_KEEPER, "pid", keeper.pid, CTL_INT),
    CTL_STAT(CTL_KEEPER, "restarts", "preforkd_keeper_restarts_total", "counter",
             "Keepers forked to replace one that died.", keeper.restarts, CTL_U64),
    CTL_KEY(CTL_KEEPER, "crashes", keeper.crashes, CTL_U64),
    CTL_STAT(CTL_KEEPER, "parked", "preforkd_keeper_parked", "gauge",
             "Idle connections the keeper holds now.", keeper.parked, CTL_U64),
    CTL_STAT(CTL_KEEPER, "queued", "preforkd_keeper_queued", "gauge",
             "Connections the keeper handed back, waiting now for a worker to take them.",
             keeper.queued, CTL_U64),
    CTL_KEY(CTL_KEEPER, "rss_kib", keeper.rss_kib, CTL_U64),
    CTL_KEY(CTL_KEEPER, "pss_kib", keeper.pss_kib, CTL_U64),
    CTL_KEY(CTL_KEEPER_TOTALS, "parked", keeper.taken, CTL_U64),
    CTL_KEY(CTL_KEEPER_TOTALS, "handed", keeper.handed, CTL_U64),
    CTL_STAT(CTL_KEEPER_TOTALS, "expired", "preforkd_keeper_expired_total", "counter",
             "Parked connections handed back to a worker with a request begun past its "
             "deadline.",
             keeper.expired, CTL_U64),
    CTL_KEY(CTL_KEEPER_TOTALS, "idle_closed", keeper.idle_closed, CTL_U64),
    CTL_KEY(CTL_KEEPER_TOTALS, "client_closed", keeper.client_closed, CTL_U64),
    CTL_KEY(CTL_KEEPER_TOTALS, "refused", keeper.refused, CTL_U64),
    CTL_KEY(CTL_KEEPER_TOTALS, "bad", keeper.bad, CTL_U64),
    CTL_STAT(CTL_EXEC, "notify_messages", "preforkd_exec_notify_messages_total", "counter",
             "Notify datagrams from exec workers acted on.", exec.messages, CTL_U64),
    CTL_STAT(CTL_EXEC, "notify_foreign", "preforkd_exec_notify_foreign_total", "counter",
             "Notify datagrams from processes that are not a current worker, ignored.",
             exec.foreign, CTL_U64),
    CTL_STAT(CTL_EXEC, "notify_bad", "preforkd_exec_notify_bad_total", "counter",
             "Notify datagrams dropped: cut, unparsable or without credentials.", exec.bad,
             CTL_U64),
    CTL_KEY(CTL_EXEC, "notify_refused", exec.refused, CTL_U64),
    CTL_STAT(CTL_EXEC, "not_ready", "preforkd_exec_not_ready_total", "counter",
             "Exec workers killed for no READY=1 within exec.ready_timeout.", exec.not_ready,
             CTL_U64),
    CTL_STAT(CTL_EXEC, "watchdog_kills", "preforkd_exec_watchdog_kills_total", "counter",
             "Exec workers killed for no WATCHDOG=1 within exec.watchdog (counted in "
             "preforkd_worker_hung_killed_total too).",
             exec.watchdog_kills, CTL_U64),
};

#define CTL_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Is f a number of the keeper's with parking off, or of exec workers'
 * with other workers (no metric then)? */
static bool ctl_keeper_off(const struct ctl_stat *f, const struct pf_status *st)
{
    return ((f->group == CTL_KEEPER || f->group == CTL_KEEPER_TOTALS) && !st->keeper.enabled) ||
           (f->group == CTL_EXEC && !st->exec.enabled);
}

/* A uint64 as a JSON/metric integer: values past INT64_MAX are clamped,
 * since json_int_t is signed. */
static int64_t ctl_clamp(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* The number of the given kind at base + off, as an int64. The casts read
 * each object through its own type, at an offset offsetof gave. */
static int64_t ctl_number(const void *base, size_t off, enum ctl_kind kind)
{
    const char *p = (const char *)base + off;

    switch (kind) {
    case CTL_INT: return *(const int *)(const void *)p;
    case CTL_UINT: return *(const unsigned *)(const void *)p;
    case CTL_LONG: return *(const long *)(const void *)p;
    case CTL_I64: return *(const int64_t *)(const void *)p;
    case CTL_U64: return ctl_clamp(*(const uint64_t *)(const void *)p);
    case CTL_SIZE: return ctl_clamp(*(const size_t *)(const void *)p);
    }
    return 0;
}

/* Set key to v (reference stolen, even on failure) and remember a failure
 * in *bad, so a builder adds every field and checks once. */
static void ctl_put(json_t *o, const char *key, json_t *v, bool *bad)
{
    if (json_object_set_new(o, key, v) != 0)
        *bad = true;
}

/* o, or NULL (o released) if building it failed somewhere. */
static json_t *ctl_done(json_t *o, bool bad)
{
    if (!bad)
        return o;
    json_decref(o);
    return NULL;
}

/* A JSON string of s[0..strnlen(s, max)), null for NULL. Jansson refuses
 * invalid UTF-8, so a path or request in another encoding is retried with
 * its non-ASCII bytes shown as '?' rather than failing the whole reply. */
static json_t *ctl_text(const char *s, size_t max)
{
    size_t n;
    char *copy;
    json_t *j;

    if (!s)
        return json_null();
    n = strnlen(s, max);
    j = json_stringn(s, n);
    if (j || !(copy = malloc(n + 1)))
        return j;
    for (size_t i = 0; i < n; i++)
        copy[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    j = json_stringn(copy, n);
    free(copy);
    return j;
}

/* The live workers: every slot state but free. */
static int ctl_live(const struct pf_status *st)
{
    int total = 0;

    for (int s = PF_SLOT_FREE + 1; s < PF_SLOT_STATE_COUNT; s++)
        total += st->by_state[s];
    return total;
}

/* Workers serving a client right now. */
static int ctl_busy(const struct pf_status *st)
{
    return st->by_state[PF_SLOT_READING] + st->by_state[PF_SLOT_WRITING] +
           st->by_state[PF_SLOT_CLOSING] + st->by_state[PF_SLOT_SERVING];
}

/* Workers with a connection open, waiting for its next request (and,
 * when parking is on, about to park it): neither idle nor busy. */
static int ctl_waiting(const struct pf_status *st)
{
    return st->by_state[PF_SLOT_KEEPALIVE];
}

/* Into the status "workers" object: total, busy, waiting and one count
 * per state; total = starting + idle + busy + waiting + stopping. */
static void ctl_status_states(json_t *o, const struct pf_status *st, bool *bad)
{
    ctl_put(o, "total", json_integer(ctl_live(st)), bad);
    ctl_put(o, "busy", json_integer(ctl_busy(st)), bad);
    ctl_put(o, "waiting", json_integer(ctl_waiting(st)), bad);
    for (int s = PF_SLOT_FREE + 1; s < PF_SLOT_STATE_COUNT; s++)
        ctl_put(o, pf_slot_state_name(s), json_integer(st->by_state[s]), bad);
}

/* {"9":2,...}: exits per signal number, only those that happened. */
static json_t *ctl_signal_exits(const struct pf_status *st)
{
    json_t *o = json_object();
    bool bad = false;
    char key[16];

    for (int sig = 1; sig < PF_SIGNALS_MAX; sig++) {
        if (!st->exits_by_signal[sig])
            continue;
        snprintf(key, sizeof(key), "%d", sig);
        ctl_put(o, key, json_integer(ctl_clamp(st->exits_by_signal[sig])), &bad);
    }
    return ctl_done(o, bad);
}

/* The last reload's roll-over, or null when there was none. */
static json_t *ctl_last_reload(const struct pf_status_rollover *r)
{
    static const char *const names[] = {
        [PF_ROLLOVER_ROLLING] = "rolling",
        [PF_ROLLOVER_SERVING] = "serving",
        [PF_ROLLOVER_ROLLED_BACK] = "rolled_back",
    };
    json_t *o;
    bool bad = false;

    if (r->state == PF_ROLLOVER_NONE || (size_t)r->state >= CTL_COUNT(names))
        return json_null();
    o = json_object();
    ctl_put(o, "generation", json_integer(r->generation), &bad);
    ctl_put(o, "state", ctl_text(names[r->state], SIZE_MAX), &bad);
    ctl_put(o, "serving_generation",
            json_integer(r->state == PF_ROLLOVER_ROLLED_BACK ? r->serving : r->generation), &bad);
    ctl_put(o, "failed_starts", json_integer(r->failed), &bad);
    ctl_put(o, "reason", r->reason[0] ? ctl_text(r->reason, sizeof(r->reason)) : json_null(), &bad);
    return ctl_done(o, bad);
}

json_t *pf_control_render_status(const struct pf_status *st)
{
    json_t *g[CTL_GROUPS];
    bool bad = false;

    for (int i = 0; i < CTL_GROUPS; i++)
        g[i] = json_object();
    ctl_put(g[CTL_TOP], "ok", json_true(), &bad);
    ctl_put(g[CTL_KEEPER], "enabled", json_boolean(st->keeper.enabled), &bad);
    ctl_put(g[CTL_EXEC], "enabled", json_boolean(st->exec.enabled), &bad);
    for (size_t i = 0; i < CTL_COUNT(ctl_stats); i++)
        ctl_put(g[ctl_stats[i].group], ctl_stats[i].key,
                json_integer(ctl_number(st, ctl_stats[i].off, ctl_stats[i].kind)), &bad);
    ctl_put(g[CTL_TOP], "version", ctl_text(st->version, SIZE_MAX), &bad);
    ctl_put(g[CTL_TOP], "protocol", ctl_text(st->protocol, SIZE_MAX), &bad);
    ctl_put(g[CTL_TOP], "listen", ctl_text(st->listen, SIZE_MAX), &bad);
    ctl_put(g[CTL_TOP], "stopping", json_boolean(st->stopping), &bad);
    ctl_put(g[CTL_WORKERS], "mode", ctl_text(st->mode, SIZE_MAX), &bad);
    ctl_status_states(g[CTL_WORKERS], st, &bad);
    ctl_put(g[CTL_TOTALS], "exits_by_signal", ctl_signal_exits(st), &bad);
    ctl_put(g[CTL_TOP], "workers", g[CTL_WORKERS], &bad);
    ctl_put(g[CTL_TOP], "totals", g[CTL_TOTALS], &bad);
    ctl_put(g[CTL_TOP], "listen_queue", g[CTL_QUEUE], &bad);
    ctl_put(g[CTL_KEEPER], "totals", g[CTL_KEEPER_TOTALS], &bad);
    ctl_put(g[CTL_TOP], "keeper", g[CTL_KEEPER], &bad);
    ctl_put(g[CTL_TOP], "exec", g[CTL_EXEC], &bad);
    ctl_put(g[CTL_TOP], "last_reload", ctl_last_reload(&st->last_reload), &bad);
    return ctl_done(g[CTL_TOP], bad);
}

/* An integer, or null when the field says "none". */
static json_t *ctl_int_or_null(int64_t v, bool present)
{
    return present ? json_integer(v) : json_null();
}

/* One element of the workers reply; "" and -1/0 markers become null. */
static json_t *ctl_worker(const struct pf_status_worker *w)
{
    json_t *o = json_object();
    bool bad = false;

    ctl_put(o, "slot", json_integer(w->slot), &bad);
    ctl_put(o, "pid", json_integer(w->pid), &bad);
    ctl_put(o, "generation", json_integer(w->generation), &bad);
    ctl_put(o, "state", ctl_text(pf_slot_state_name(w->state), SIZE_MAX), &bad);
    ctl_put(o, "age", json_integer(w->age_s), &bad);
    ctl_put(o, "connections", json_integer(ctl_clamp(w->connections)), &bad);
    ctl_put(o, "requests", json_integer(ctl_clamp(w->requests)), &bad);
    ctl_put(o, "bytes_in", json_integer(ctl_clamp(w->bytes_in)), &bad);
    ctl_put(o, "bytes_out", json_integer(ctl_clamp(w->bytes_out)), &bad);
    ctl_put(o, "parked", json_integer(ctl_clamp(w->parked)), &bad);
    ctl_put(o, "resumed", json_integer(ctl_clamp(w->resumed)), &bad);
    ctl_put(o, "client", w->client[0] ? ctl_text(w->client, sizeof(w->client)) : json_null(), &bad);
    /* an exec worker has no request the master can see: its summary is
     * the program's own STATUS= text */
    ctl_put(o, w->exec ? "status" : "request",
            w->request[0] ? ctl_text(w->request, sizeof(w->request)) : json_null(), &bad);
    ctl_put(o, "ready", json_boolean(w->ready), &bad);
    ctl_put(o, "private_kib", ctl_int_or_null(w->private_kib, w->private_kib >= 0), &bad);
    ctl_put(o, "request_ms", ctl_int_or_null(w->request_ms, w->request_ms >= 0), &bad);
    ctl_put(o, "last_status", ctl_int_or_null(w->last_status, w->last_status != 0), &bad);
    ctl_put(o, "watchdog_ms", ctl_int_or_null(w->watchdog_ms, w->watchdog_ms >= 0), &bad);
    return ctl_done(o, bad);
}

json_t *pf_control_render_workers(const struct pf_status_worker *w, size_t n)
{
    json_t *o = json_object();
    json_t *list = json_array();
    bool bad = false;

    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(list, ctl_worker(&w[i])) != 0)
            bad = true;
    ctl_put(o, "ok", json_true(), &bad);
    ctl_put(o, "workers", list, &bad);
    return ctl_done(o, bad);
}

/* "2026-12-07T09:14:03.120Z" of ms since the epoch. */
static json_t *ctl_utc_ms(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char text[40];
    size_t n;

    if (gmtime_r(&t, &tm) == NULL)
        return json_null();
    n = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(text + n, sizeof(text) - n, ".%03dZ", (int)(ms % 1000));
    return json_string(text);
}

static json_t *ctl_event_list(const struct pf_events *e)
{
    json_t *list = json_array();
    size_t n = pf_events_count(e);

    for (size_t i = 0; i < n && list; i++) {
        const struct pf_event *ev = pf_events_get(e, i);
        json_t *o = json_object();
        bool bad = false;

        ctl_put(o, "seq", json_integer(ctl_clamp(ev->seq)), &bad);
        ctl_put(o, "time", ctl_utc_ms(ev->time_ms), &bad);
        ctl_put(o, "level", ctl_text(pf_log_level_name(ev->level), SIZE_MAX), &bad);
        ctl_put(o, "text", ctl_text(ev->text, sizeof(ev->text)), &bad);
        if (json_array_append_new(list, ctl_done(o, bad)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

json_t *pf_control_render_events(const struct pf_events *e)
{
    json_t *o = json_object();
    bool bad = false;

    ctl_put(o, "ok", json_true(), &bad);
    ctl_put(o, "events", ctl_event_list(e), &bad);
    return ctl_done(o, bad);
}

json_t *pf_control_render_status_page(const struct pf_status *st, const struct pf_status_worker *w,
                                      size_t n, const struct pf_events *e)
{
    json_t *o = json_object();
    json_t *workers = pf_control_render_workers(w, n);
    bool bad = false;
    int code;
    const char *health = pf_control_render_health(st, &code);

    ctl_put(o, "ok", json_true(), &bad);
    ctl_put(o, "health", json_pack("{s:i,s:s}", "code", code, "text", health), &bad);
    ctl_put(o, "status", pf_control_render_status(st), &bad);
    ctl_put(o, "workers", json_incref(workers ? json_object_get(workers, "workers") : NULL), &bad);
    json_decref(workers);
    ctl_put(o, "events", ctl_event_list(e), &bad);
    return ctl_done(o, bad);
}

/* The value of setting f in c, as the config reply shows it: numbers as
 * integers, durations (stored in ms) in seconds (as written in the file),
 * the log level by name, booleans as true or false. The settings
 * come from pf_config's own table (pf_config_setting_at), so a new setting
 * appears here without a second list to keep. */
static json_t *ctl_cfg_value(const struct pf_config *c, const struct pf_config_setting *f)
{
    static const enum ctl_kind ints[] = {
        [PF_CONFIG_INT] = CTL_INT,  [PF_CONFIG_LONG] = CTL_LONG,   [PF_CONFIG_SIZE] = CTL_SIZE,
        [PF_CONFIG_MS] = CTL_INT,   [PF_CONFIG_STRING] = CTL_INT,  [PF_CONFIG_LOG_LEVEL] = CTL_INT,
        [PF_CONFIG_BOOL] = CTL_INT, [PF_CONFIG_STRINGS] = CTL_INT, [PF_CONFIG_SIGNAL] = CTL_INT};
    const char *p = (const char *)c + f->offset;

    switch (f->type) {
    case PF_CONFIG_STRING: return ctl_text(p, f->size);
    case PF_CONFIG_MS: return json_real((double)ctl_number(c, f->offset, CTL_INT) / 1000.0);
    case PF_CONFIG_LOG_LEVEL:
        return ctl_text(pf_log_level_name((int)ctl_number(c, f->offset, CTL_INT)), SIZE_MAX);
    case PF_CONFIG_BOOL: return json_boolean(*(const bool *)(const void *)p);
    case PF_CONFIG_STRINGS: {
        json_t *a = json_array();

        for (size_t at = 0; a && at < f->size && p[at] != '\0'; at += strlen(p + at) + 1)
            json_array_append_new(a, ctl_text(p + at, f->size - at));
        return a;
    }
    case PF_CONFIG_SIGNAL: {
        const char *name = sigabbrev_np((int)ctl_number(c, f->offset, CTL_INT));

        return name ? ctl_text(name, SIZE_MAX) : json_null();
    }
    case PF_CONFIG_INT:
    case PF_CONFIG_LONG:
    case PF_CONFIG_SIZE: break;
    }
    return json_integer(ctl_number(c, f->offset, ints[f->type]));
}

/* The object for group name under root ("" is root itself), created on
 * first use so the table alone decides the groups and their order. */
static json_t *ctl_cfg_group(json_t *root, const char *name)
{
    json_t *g;

    if (!name[0])
        return root;
    g = json_object_get(root, name);
    if (!g && json_object_set_new(root, name, json_object()) == 0)
        g = json_object_get(root, name);
    return g;
}

json_t *pf_control_render_config(const struct pf_config *cfg)
{
    json_t *o = json_object();
    json_t *c = json_object();
    struct pf_config_setting f;
    bool bad = false;

    ctl_put(c, "path", ctl_text(cfg->path, sizeof(cfg->path)), &bad);
    for (size_t i = 0; pf_config_setting_at(i, &f); i++)
        ctl_put(ctl_cfg_group(c, f.group ? f.group : ""), f.name, ctl_cfg_value(cfg, &f), &bad);
    ctl_put(o, "ok", json_true(), &bad);
    ctl_put(o, "config", c, &bad);
    return ctl_done(o, bad);
}

const char *pf_control_render_health(const struct pf_status *st, int *code)
{
    const char *why = st->stopping                 ? "stopping"
                      : st->starting               ? "starting"
                      : st->respawn_backoff_ms > 0 ? "backing off after crashes"
                      : ctl_live(st) - st->by_state[PF_SLOT_STARTING] -
                                  st->by_state[PF_SLOT_STOPPING] <=
                              0
                          ? "no worker ready"
                          : NULL;

    *code = why ? 503 : 200;
    return why ? why : "ok";
}

json_t *pf_control_render_error(const char *message)
{
    json_t *o = json_object();
    bool bad = false;

    ctl_put(o, "ok", json_false(), &bad);
    ctl_put(o, "error", ctl_text(message, SIZE_MAX), &bad);
    return ctl_done(o, bad);
}

/* extra must be an object (or NULL); its "ok" cannot override ours. */
json_t *pf_control_render_ok(json_t *extra)
{
    json_t *o = json_object();
    bool bad = false;

    ctl_put(o, "ok", json_true(), &bad);
    if (extra && (!json_is_object(extra) || json_object_update_missing(o, extra) != 0))
        bad = true;
    json_decref(extra);
    return ctl_done(o, bad);
}

/* Dumped twice with json_dumpb (size, then text) so the buffer is ours
 * from malloc, with room for the "\n" and a terminating NUL. */
char *pf_control_render_line(json_t *j, size_t *len)
{
    size_t n = j ? json_dumpb(j, NULL, 0, CTL_DUMP_FLAGS) : 0;
    char *s = n ? malloc(n + 2) : NULL;

    if (s && json_dumpb(j, s, n, CTL_DUMP_FLAGS) == n) {
        s[n] = '\n';
        s[n + 1] = '\0';
        if (len)
            *len = n + 1;
    } else {
        free(s);
        s = NULL;
    }
    json_decref(j);
    return s;
}

/* The exposition being written. It grows as needed; failed sticks once an
 * allocation fails, so the writers need not check every step. */
struct metrics_buf {
    char *p;
    size_t len, cap;
    bool failed;
};

/* Room for need more bytes plus a NUL, doubling the buffer as it grows. */
static bool metrics_reserve(struct metrics_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 4096;
    char *p;

    if (b->failed)
        return false;
    if (need < b->cap - b->len)
        return true;
    while (cap - b->len <= need)
        cap *= 2;
    p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

/* Append n raw bytes. */
static void metrics_put(struct metrics_buf *b, const char *s, size_t n)
{
    if (!metrics_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Append formatted text: measured first, so no line has a size limit. */
__attribute__((format(printf, 2, 3))) static void metrics_printf(struct metrics_buf *b,
                                                                 const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!metrics_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* A label value escaped as text format 0.0.4 asks: \\, \" and \n. */
static void metrics_escaped(struct metrics_buf *b, const char *s)
{
    for (; *s; s++) {
        const char *esc = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;

        if (esc)
            metrics_put(b, esc, 2);
        else
            metrics_put(b, s, 1);
    }
}

struct metrics_label {
    const char *name, *value; /* value NULL reads as "" */
};

/* One sample line, "name value" or "name{a="x",b="y"} value". */
static void metrics_sample(struct metrics_buf *b, const char *name, const struct metrics_label *l,
                           size_t nl, const char *value)
{
    metrics_printf(b, "%s", name);
    for (size_t i = 0; i < nl; i++) {
        metrics_printf(b, "%s%s=\"", i ? "," : "{", l[i].name);
        metrics_escaped(b, l[i].value ? l[i].value : "");
        metrics_put(b, "\"", 1);
    }
    metrics_printf(b, "%s %s\n", nl ? "}" : "", value);
}

/* A sample whose value is an integer. */
static void metrics_sample_int(struct metrics_buf *b, const char *name,
                               const struct metrics_label *l, size_t nl, int64_t v)
{
    char num[24];

    snprintf(num, sizeof(num), "%" PRId64, v);
    metrics_sample(b, name, l, nl, num);
}

/* The two comment lines that introduce a metric family. */
static void metrics_head(struct metrics_buf *b, const char *name, const char *type,
                         const char *help)
{
    metrics_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* What the labelled families are rendered from. */
struct metrics_src {
    const struct pf_status *st;
    const struct pf_status_worker *w;
    size_t n;
};

/* preforkd_info: constant 1, the strings of the status as labels. */
static void metrics_info(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    const struct metrics_label l[] = {
        {"version", x->st->version}, {"protocol", x->st->protocol}, {"listen", x->st->listen}};

    metrics_sample_int(b, name, l, CTL_COUNT(l), 1);
}

/* One sample per slot state but free, zero counts included, so a
 * dashboard sees every series from the first scrape. */
static void metrics_states(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    for (int s = PF_SLOT_FREE + 1; s < PF_SLOT_STATE_COUNT; s++) {
        const struct metrics_label l = {"state", pf_slot_state_name(s)};

        metrics_sample_int(b, name, &l, 1, x->st->by_state[s]);
    }
}

/* A sample of milliseconds, written in seconds (the base unit). */
static void metrics_sample_ms(struct metrics_buf *b, const char *name, int64_t ms)
{
    char num[32];

    snprintf(num, sizeof(num), "%.3f", (double)ms / 1000.0);
    metrics_sample(b, name, NULL, 0, num);
}

/* Worker exits per signal, by its name ("KILL"; the number when it has
 * none), for the signals seen only. */
static void metrics_signals(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    char sig[16];

    for (int s = 1; s < PF_SIGNALS_MAX; s++) {
        const struct metrics_label l = {"signal", sig};
        const char *abbrev = sigabbrev_np(s);

        if (!x->st->exits_by_signal[s])
            continue;
        if (abbrev)
            snprintf(sig, sizeof(sig), "%s", abbrev);
        else
            snprintf(sig, sizeof(sig), "%d", s);
        metrics_sample_int(b, name, &l, 1, ctl_clamp(x->st->exits_by_signal[s]));
    }
}

/* Samples of one label, one per value: label="values[i]" counts[i]. */
static void metrics_by_label(struct metrics_buf *b, const char *name, const char *label,
                             const char *const *values, const uint64_t *counts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct metrics_label l = {label, values[i]};

        metrics_sample_int(b, name, &l, 1, ctl_clamp(counts[i]));
    }
}

/* Responses by status class, zeros included. */
static void metrics_responses(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    static const char *const classes[PF_SLOT_STATUS_CLASSES] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

    metrics_by_label(b, name, "class", classes, x->st->by_class, PF_SLOT_STATUS_CLASSES);
}

/* Request durations as a Prometheus histogram: cumulative buckets by
 * their upper bound (le, in seconds), +Inf, then _sum and _count; the
 * protocol served as a label. */
static void metrics_durations(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    char bucket[96], le[32], sum[96], num[32];
    uint64_t seen = 0;

    snprintf(bucket, sizeof(bucket), "%s_bucket", name);
    for (int i = 0; i <= PF_SLOT_DURATION_BUCKETS; i++) {
        const struct metrics_label l[] = {{"protocol", x->st->protocol}, {"le", le}};

        seen += x->st->durations[i];
        if (i < PF_SLOT_DURATION_BUCKETS)
            snprintf(le, sizeof(le), "%g", (double)pf_slot_duration_bounds_us[i] / 1e6);
        else
            snprintf(le, sizeof(le), "+Inf");
        metrics_sample_int(b, bucket, l, CTL_COUNT(l), ctl_clamp(seen));
    }
    {
        const struct metrics_label l = {"protocol", x->st->protocol};

        snprintf(sum, sizeof(sum), "%s_sum", name);
        snprintf(num, sizeof(num), "%.6f", (double)x->st->duration_sum_us / 1e6);
        metrics_sample(b, sum, &l, 1, num);
        snprintf(sum, sizeof(sum), "%s_count", name);
        metrics_sample_int(b, sum, &l, 1, ctl_clamp(seen));
    }
}

/* The version and how it was built. */
static void metrics_build_info(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    const struct metrics_label l[] = {{"version", x->st->version}, {"compiler", __VERSION__}};

    metrics_sample_int(b, name, l, CTL_COUNT(l), 1);
}

static void metrics_master_cpu(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    metrics_sample_ms(b, name, (int64_t)(x->st->master_process.cpu_us / 1000));
}

static void metrics_master_rss(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    metrics_sample_int(b, name, NULL, 0, ctl_clamp(x->st->master_process.rss_bytes));
}

static void metrics_master_fds(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    metrics_sample_int(b, name, NULL, 0, ctl_clamp(x->st->master_process.open_fds));
}

static void metrics_master_max_fds(struct metrics_buf *b, const char *name,
                                   const struct metrics_src *x)
{
    metrics_sample_int(b, name, NULL, 0, ctl_clamp(x->st->master_process.max_fds));
}

static void metrics_master_start(struct metrics_buf *b, const char *name,
                                 const struct metrics_src *x)
{
    metrics_sample_int(b, name, NULL, 0, x->st->start_time_s);
}

static void metrics_workers_cpu(struct metrics_buf *b, const char *name,
                                const struct metrics_src *x)
{
    metrics_sample_ms(b, name, (int64_t)(x->st->workers_process.cpu_us / 1000));
}

static void metrics_workers_rss(struct metrics_buf *b, const char *name,
                                const struct metrics_src *x)
{
    metrics_sample_int(b, name, NULL, 0, ctl_clamp(x->st->workers_process.rss_bytes));
}

static void metrics_workers_fds(struct metrics_buf *b, const char *name,
                                const struct metrics_src *x)
{
    metrics_sample_int(b, name, NULL, 0, ctl_clamp(x->st->workers_process.open_fds));
}

/* The longest request running now, in seconds (0 when none): one series
 * instead of one per worker, whose pids would make unbounded cardinality. */
static void metrics_busy_max(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    int64_t ms = 0;

    for (size_t i = 0; i < x->n; i++)
        if (x->w[i].request_ms > ms)
            ms = x->w[i].request_ms;
    metrics_sample_ms(b, name, ms);
}

/* The crash backoff's respawn delay now, in seconds (0 when none). */
static void metrics_backoff(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    metrics_sample_ms(b, name, x->st->respawn_backoff_ms);
}

/* One sample per worker, labelled by its slot (bounded by workers.max,
 * unlike pids): what value writes, none when it returns NULL. */
static void metrics_per_slot(struct metrics_buf *b, const char *name, const struct metrics_src *x,
                             const char *(*value)(const struct pf_status_worker *w, char *buf,
                                                  size_t size))
{
    char slot[16], num[32];

    for (size_t i = 0; i < x->n; i++) {
        const struct metrics_label l = {"slot", slot};
        const char *v = value(&x->w[i], num, sizeof(num));

        if (v == NULL)
            continue;
        snprintf(slot, sizeof(slot), "%d", x->w[i].slot);
        metrics_sample(b, name, &l, 1, v);
    }
}

static const char *metrics_ready_of(const struct pf_status_worker *w, char *buf, size_t size)
{
    snprintf(buf, size, "%d", w->ready ? 1 : 0);
    return buf;
}

static const char *metrics_memory_of(const struct pf_status_worker *w, char *buf, size_t size)
{
    if (w->private_kib < 0)
        return NULL;
    snprintf(buf, size, "%" PRId64, w->private_kib * 1024);
    return buf;
}

static const char *metrics_watchdog_of(const struct pf_status_worker *w, char *buf, size_t size)
{
    if (w->watchdog_ms < 0)
        return NULL;
    snprintf(buf, size, "%.3f", (double)w->watchdog_ms / 1000.0);
    return buf;
}

static void metrics_worker_ready(struct metrics_buf *b, const char *name,
                                 const struct metrics_src *x)
{
    metrics_per_slot(b, name, x, metrics_ready_of);
}

static void metrics_worker_memory(struct metrics_buf *b, const char *name,
                                  const struct metrics_src *x)
{
    metrics_per_slot(b, name, x, metrics_memory_of);
}

static void metrics_worker_watchdog(struct metrics_buf *b, const char *name,
                                    const struct metrics_src *x)
{
    metrics_per_slot(b, name, x, metrics_watchdog_of);
}

/* 1 while a keeper runs, 0 while one is being replaced. */
static void metrics_keeper_up(struct metrics_buf *b, const char *name, const struct metrics_src *x)
{
    metrics_sample_int(b, name, NULL, 0, x->st->keeper.pid > 0);
}

/* Connections into the keeper (parked) and out of it to a worker (handed). */
static void metrics_keeper_handoffs(struct metrics_buf *b, const char *name,
                                    const struct metrics_src *x)
{
    static const char *const dir[] = {"parked", "handed"};
    const uint64_t n[] = {x->st->keeper.taken, x->st->keeper.handed};

    metrics_by_label(b, name, "direction", dir, n, CTL_COUNT(n));
}

/* Parked connections the keeper closed, by why. */
static void metrics_keeper_closed(struct metrics_buf *b, const char *name,
                                  const struct metrics_src *x)
{
    static const char *const why[] = {"idle", "client", "refused"};
    const uint64_t n[] = {x->st->keeper.idle_closed, x->st->keeper.client_closed,
                          x->st->keeper.refused};

    metrics_by_label(b, name, "reason", why, n, CTL_COUNT(n));
}

/* The keeper's memory in bytes (read in KiB). */
static void metrics_keeper_memory(struct metrics_buf *b, const char *name,
                                  const struct metrics_src *x)
{
    static const char *const kind[] = {"rss", "pss"};
    const uint64_t n[] = {x->st->keeper.rss_kib * 1024, x->st->keeper.pss_kib * 1024};

    metrics_by_label(b, name, "kind", kind, n, CTL_COUNT(n));
}

/* The families that are not one number of ctl_stats; keeper: left out
 * when keeper.parking is off. */
/* When a family is exported. */
enum metrics_when {
    METRICS_ALWAYS,
    METRICS_KEEPER, /* keeper.parking is on */
    METRICS_EXEC,   /* the workers are programs */
};

struct metrics_family {
    const char *name, *type, *help;
    void (*samples)(struct metrics_buf *b, const char *name, const struct metrics_src *x);
    enum metrics_when when;
};

static const struct metrics_family metrics_families[] = {
    {"preforkd_info", "gauge", "Version, protocol and listen address of the server.", metrics_info,
     METRICS_ALWAYS},
    {"preforkd_build_info", "gauge", "Version of preforkd and the compiler that built it.",
     metrics_build_info, METRICS_ALWAYS},
    {"preforkd_responses_total", "counter",
     "Responses by status class (HTTP; the other protocols have none).", metrics_responses,
     METRICS_ALWAYS},
    {"preforkd_request_duration_seconds", "histogram",
     "How long requests took, from their head read to their response sent, in seconds.",
     metrics_durations, METRICS_ALWAYS},
    {"process_cpu_seconds_total", "counter", "CPU time of the master, user and system, in seconds.",
     metrics_master_cpu, METRICS_ALWAYS},
    {"process_resident_memory_bytes", "gauge", "Resident memory of the master, in bytes.",
     metrics_master_rss, METRICS_ALWAYS},
    {"process_open_fds", "gauge", "Descriptors open in the master.", metrics_master_fds,
     METRICS_ALWAYS},
    {"process_max_fds", "gauge", "The master's descriptor limit (RLIMIT_NOFILE).",
     metrics_master_max_fds, METRICS_ALWAYS},
    {"process_start_time_seconds", "gauge",
     "Start time of the master since the Unix epoch in seconds.", metrics_master_start,
     METRICS_ALWAYS},
    {"preforkd_workers_cpu_seconds_total", "counter",
     "CPU time of every worker, user and system, in seconds (those gone included).",
     metrics_workers_cpu, METRICS_ALWAYS},
    {"preforkd_workers_resident_memory_bytes", "gauge",
     "Resident memory of the live workers summed, in bytes (pages they share with each other or "
     "the master counted each time: see preforkd_worker_private_memory_bytes).",
     metrics_workers_rss, METRICS_ALWAYS},
    {"preforkd_workers_open_fds", "gauge", "Descriptors open in the live workers, summed.",
     metrics_workers_fds, METRICS_ALWAYS},
    {"preforkd_workers", "gauge",
     "Live workers by slot state (keepalive: waiting for a connection's next request).",
     metrics_states, METRICS_ALWAYS},
    {"preforkd_worker_signal_exits_total", "counter", "Workers killed by a signal, by signal.",
     metrics_signals, METRICS_ALWAYS},
    {"preforkd_worker_busy_seconds_max", "gauge",
     "Longest request running now in any worker, in seconds.", metrics_busy_max, METRICS_ALWAYS},
    {"preforkd_respawn_backoff_seconds", "gauge",
     "Delay between forks while workers keep crashing, in seconds (0 when none).", metrics_backoff,
     METRICS_ALWAYS},
    {"preforkd_worker_ready", "gauge",
     "1 for a worker past its start-up (an exec worker: READY=1, or started), 0 while starting; "
     "by slot.",
     metrics_worker_ready, METRICS_ALWAYS},
    {"preforkd_worker_private_memory_bytes", "gauge",
     "Private memory of each worker (what workers.max_memory limits), by slot.",
     metrics_worker_memory, METRICS_ALWAYS},
    {"preforkd_exec_worker_watchdog_age_seconds", "gauge",
     "Seconds since each exec worker's last WATCHDOG=1, by slot (workers that sent one).",
     metrics_worker_watchdog, METRICS_EXEC},
    {"preforkd_keeper_up", "gauge", "1 while the keeper runs, 0 while it is being replaced.",
     metrics_keeper_up, METRICS_KEEPER},
    {"preforkd_keeper_handoffs_total", "counter",
     "Connections parked with the keeper (direction parked) and handed back by it to a worker "
     "(direction handed).",
     metrics_keeper_handoffs, METRICS_KEEPER},
    {"preforkd_keeper_closed_total", "counter",
     "Parked connections the keeper let go: idle past their deadline, closed by their client, or "
     "refused past keeper.max_parked (a begun request is handed back instead of closed).",
     metrics_keeper_closed, METRICS_KEEPER},
    {"preforkd_keeper_memory_bytes", "gauge",
     "Memory of the keeper: resident (rss) and proportional share (pss), in bytes.",
     metrics_keeper_memory, METRICS_KEEPER},
};

char *pf_control_render_metrics(const struct pf_status *st, const struct pf_status_worker *w,
                                size_t n, size_t *len)
{
    struct metrics_buf b = {NULL, 0, 0, false};
    const struct metrics_src x = {st, w, n};

    for (size_t i = 0; i < CTL_COUNT(ctl_stats); i++) {
        const struct ctl_stat *f = &ctl_stats[i];

        if (!f->metric || ctl_keeper_off(f, st))
            continue;
        metrics_head(&b, f->metric, f->type, f->help);
        metrics_sample_int(&b, f->metric, NULL, 0, ctl_number(st, f->off, f->kind));
    }
    for (size_t i = 0; i < CTL_COUNT(metrics_families); i++) {
        const struct metrics_family *f = &metrics_families[i];

        if ((f->when == METRICS_KEEPER && !st->keeper.enabled) ||
            (f->when == METRICS_EXEC && !st->exec.enabled))
            continue;
        metrics_head(&b, f->name, f->type, f->help);
        f->samples(&b, f->name, &x);
    }
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.p;
}

/* A JSON array of the names in l. */
static json_t *ctl_names(const struct pf_config_names *l, bool *bad)
{
    json_t *a = json_array();

    if (a == NULL)
        *bad = true;
    for (size_t i = 0; a && i < l->n; i++)
        if (json_array_append_new(a, ctl_text(l->name[i], sizeof(l->name[i]))) != 0)
            *bad = true;
    return a;
}

/* NULL when out of memory, like every builder here. */
json_t *pf_control_render_reload(const struct pf_status_reload *rep)
{
    json_t *o = json_object();
    bool bad = false;

    ctl_put(o, "generation", json_integer(rep->generation), &bad);
    ctl_put(o, "changed", ctl_names(&rep->applied, &bad), &bad);
    ctl_put(o, "restart_required", ctl_names(&rep->restart, &bad), &bad);
    o = ctl_done(o, bad);
    return o ? pf_control_render_ok(o) : NULL;
}
