/* ctl_format: status, workers and config replies for humans. */
#include "ctl_format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FMT_VALUE_MAX 512 /* one value of the status report */
#define FMT_CELL_MAX 160  /* one cell of the workers table */
#define FMT_LINE_MAX 2048 /* one line of the workers table */
#define FMT_STATUS_MAX 40 /* lines of the status report */
#define FMT_GAP "  "      /* between table columns */

/* ------------------------------------------------------------ values */

/* The member at a dotted path ("workers.idle") of o, or NULL. */
static const json_t *fmt_get(const json_t *o, const char *path)
{
    char key[64];

    while (o != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");

        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

/* The integer at path, or -1 when it is missing or not an integer. */
static int64_t fmt_int(const json_t *o, const char *path)
{
    const json_t *v = fmt_get(o, path);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* The integer at path as text into buf ("?" when missing). */
static void fmt_num_into(const json_t *o, const char *path, char *buf, size_t size)
{
    const json_t *v = fmt_get(o, path);

    if (json_is_integer(v))
        snprintf(buf, size, "%" PRId64, (int64_t)json_integer_value(v));
    else
        snprintf(buf, size, "?");
}

/* The string at path made safe into buf (dflt when missing or null). */
static void fmt_str_into(const json_t *o, const char *path, const char *dflt, char *buf,
                         size_t size)
{
    const char *s = json_string_value(fmt_get(o, path));

    if (s != NULL)
        ctl_fmt_safe(s, buf, size);
    else
        snprintf(buf, size, "%s", dflt);
}

/* fmt_num_into, returning buf (for printf arguments). */
static const char *fmt_num(const json_t *o, const char *path, char *buf, size_t size)
{
    fmt_num_into(o, path, buf, size);
    return buf;
}

/* The string at path made safe into buf; dflt when missing or null. */
static const char *fmt_str(const json_t *o, const char *path, const char *dflt, char *buf,
                           size_t size)
{
    const char *s = json_string_value(fmt_get(o, path));

    if (s == NULL)
        return dflt;
    ctl_fmt_safe(s, buf, size);
    return buf;
}

void ctl_fmt_safe(const char *text, char *buf, size_t size)
{
    size_t i = 0;

    if (size == 0)
        return;
    for (; text[i] != '\0' && i + 1 < size; i++)
        buf[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
    buf[i] = '\0';
}

void ctl_fmt_duration(int64_t s, char *buf, size_t size)
{
    if (s < 0)
        snprintf(buf, size, "?");
    else if (s >= 86400)
        snprintf(buf, size, "%" PRId64 "d%" PRId64 "h", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
        snprintf(buf, size, "%" PRId64 "h%" PRId64 "m", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(buf, size, "%" PRId64 "m%" PRId64 "s", s / 60, s % 60);
    else
        snprintf(buf, size, "%" PRId64 "s", s);
}

void ctl_fmt_running(int64_t ms, char *buf, size_t size)
{
    if (ms >= 0 && ms < 60000)
        snprintf(buf, size, "%" PRId64 ".%" PRId64 "s", ms / 1000, ms % 1000 / 100);
    else
        ctl_fmt_duration(ms < 0 ? -1 : ms / 1000, buf, size);
}

void ctl_fmt_bytes(int64_t n, char *buf, size_t size)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)n;
    size_t u = 0;

    if (n < 0) {
        snprintf(buf, size, "?");
        return;
    }
    if (n < 1024) {
        snprintf(buf, size, "%" PRId64 " B", n);
        return;
    }
    v /= 1024.0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* ------------------------------------------------------------ status */

/* The lines of a key: value report, aligned when printed. */
struct fmt_report {
    const char *key[FMT_STATUS_MAX];
    char value[FMT_STATUS_MAX][FMT_VALUE_MAX];
    int n;
};

/* The next line's value buffer, for key (NULL once the report is full). */
static char *fmt_line(struct fmt_report *r, const char *key)
{
    if (r->n >= FMT_STATUS_MAX)
        return NULL;
    r->key[r->n] = key;
    r->value[r->n][0] = '\0';
    return r->value[r->n++];
}

/* Add a line with a formatted value. */
__attribute__((format(printf, 3, 4))) static void fmt_add(struct fmt_report *r, const char *key,
                                                          const char *fmt, ...)
{
    char *v = fmt_line(r, key);
    va_list ap;

    if (v == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(v, FMT_VALUE_MAX, fmt, ap);
    va_end(ap);
}

/* Print the report with the values in one column. */
static void fmt_report_print(FILE *out, const struct fmt_report *r)
{
    int width = 0;

    for (int i = 0; i < r->n; i++)
        if ((int)strlen(r->key[i]) > width)
            width = (int)strlen(r->key[i]);
    for (int i = 0; i < r->n; i++)
        fprintf(out, "%s:%*s %s\n", r->key[i], width - (int)strlen(r->key[i]), "", r->value[i]);
}

/* "3d4h (since 2026-11-21 10:24:32)" */
static void fmt_uptime(const json_t *st, char *buf, size_t size)
{
    char up[32], since[32] = "";
    int64_t start = fmt_int(st, "start_time");
    time_t t = (time_t)start;
    struct tm tm;

    ctl_fmt_duration(fmt_int(st, "uptime"), up, sizeof(up));
    if (start > 0 && localtime_r(&t, &tm))
        strftime(since, sizeof(since), " (since %Y-%m-%d %H:%M:%S)", &tm);
    snprintf(buf, size, "%s%s", up, since);
}

/* The worker states with a non-zero count: "idle 2, writing 1". */
static void fmt_states(const json_t *st, char *buf, size_t size)
{
    static const char *const not_states[] = {"total", "busy", "waiting", "target", "max"};
    const json_t *w = json_object_get(st, "workers");
    const char *key;
    const json_t *v;
    size_t len = 0;

    buf[0] = '\0';
    json_object_foreach((json_t *)w, key, v)
    {
        bool skip = !json_is_integer(v) || json_integer_value(v) == 0;

        for (size_t i = 0; i < sizeof(not_states) / sizeof(not_states[0]) && !skip; i++)
            skip = strcmp(key, not_states[i]) == 0;
        if (!skip && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s %" PRId64, len ? ", " : "", key,
                                    (int64_t)json_integer_value(v));
    }
    if (len == 0)
        snprintf(buf, size, "-");
}

/* Worker exits by signal number: "9: 2, 15: 1", or "" when none. */
static void fmt_signals(const json_t *st, char *buf, size_t size)
{
    const json_t *sig = fmt_get(st, "totals.exits_by_signal");
    const char *key;
    const json_t *v;
    size_t len = 0;

    buf[0] = '\0';
    json_object_foreach((json_t *)sig, key, v) if (json_is_integer(v) && len < size)
    {
        char *end;
        long number = strtol(key, &end, 10);
        const char *name = *end == '\0' && number > 0 && number < 65 ? sigabbrev_np((int)number)
                                                                     : NULL;

        /* "KILL 1" reads better than "9: 1"; a number without a name stays */
        len += (size_t)snprintf(buf + len, size - len, "%s%s%s: %" PRId64, len ? ", " : "",
                                name ? "SIG" : "", name ? name : key,
                                (int64_t)json_integer_value(v));
    }
}

/* pid, version, uptime, state, listen, protocol, generation. */
static void fmt_status_server(struct fmt_report *r, const json_t *st)
{
    char a[FMT_VALUE_MAX];
    const json_t *stopping = json_object_get(st, "stopping");

    fmt_add(r, "pid", "%s", fmt_num(st, "pid", a, sizeof(a)));
    fmt_add(r, "version", "%s", fmt_str(st, "version", "?", a, sizeof(a)));
    fmt_uptime(st, a, sizeof(a));
    fmt_add(r, "uptime", "%s", a);
    fmt_add(r, "state", "%s",
            json_is_true(stopping)    ? "stopping"
            : json_is_false(stopping) ? "running"
                                      : "?");
    fmt_add(r, "listen", "%s", fmt_str(st, "listen", "?", a, sizeof(a)));
    fmt_add(r, "protocol", "%s", fmt_str(st, "protocol", "?", a, sizeof(a)));
    fmt_add(r, "generation", "%s", fmt_num(st, "generation", a, sizeof(a)));
}

/* The groups the live workers add up from: "2 idle, 1 busy, 1 waiting",
 * then starting and stopping when there are any. */
static void fmt_worker_groups(const json_t *st, char *buf, size_t size)
{
    char a[24], b[24], c[24];
    int64_t starting = fmt_int(st, "workers.starting"), stopping = fmt_int(st, "workers.stopping");
    int len = snprintf(buf, size, "%s idle, %s busy, %s waiting",
                       fmt_num(st, "workers.idle", a, sizeof(a)),
                       fmt_num(st, "workers.busy", b, sizeof(b)),
                       fmt_num(st, "workers.waiting", c, sizeof(c)));

    if (len > 0 && (size_t)len < size && starting > 0)
        len += snprintf(buf + len, size - (size_t)len, ", %" PRId64 " starting", starting);
    if (len > 0 && (size_t)len < size && stopping > 0)
        snprintf(buf + len, size - (size_t)len, ", %" PRId64 " stopping", stopping);
}

/* The workers: counts, states. */
static void fmt_status_workers(struct fmt_report *r, const json_t *st)
{
    char groups[FMT_VALUE_MAX], c[24], d[24], e[24], states[FMT_VALUE_MAX];

    fmt_worker_groups(st, groups, sizeof(groups));
    fmt_add(r, "workers", "%s, %s total (target %s, max %s)", groups,
            fmt_num(st, "workers.total", c, sizeof(c)), fmt_num(st, "workers.target", d, sizeof(d)),
            fmt_num(st, "workers.max", e, sizeof(e)));
    fmt_states(st, states, sizeof(states));
    fmt_add(r, "worker states", "%s", states);
}

/* The keeper, when the server reports one: off, or its pid (none while
 * it is being replaced), what it holds and has handed back, its restarts
 * and memory; then its totals. */
static void fmt_status_keeper(struct fmt_report *r, const json_t *st)
{
    char a[24], b[24], c[24], d[24], e[24], f[24], g[24], pid[32], mem[64] = "";
    const json_t *enabled = fmt_get(st, "keeper.enabled");
    int64_t rss = fmt_int(st, "keeper.rss_kib"), pss = fmt_int(st, "keeper.pss_kib");

    if (enabled == NULL)
        return;
    if (!json_is_true(enabled)) {
        fmt_add(r, "keeper", "off (keeper.parking = false)");
        return;
    }
    if (fmt_int(st, "keeper.pid") > 0)
        snprintf(pid, sizeof(pid), "pid %s", fmt_num(st, "keeper.pid", a, sizeof(a)));
    else
        snprintf(pid, sizeof(pid), "not running");
    if (rss > 0) {
        ctl_fmt_bytes(rss * 1024, b, sizeof(b));
        ctl_fmt_bytes(pss >= 0 ? pss * 1024 : -1, c, sizeof(c));
        snprintf(mem, sizeof(mem), ", RSS %s, PSS %s", b, c);
    }
    fmt_add(r, "keeper", "%s, %s parked, %s handed back, %s restarts%s", pid,
            fmt_num(st, "keeper.parked", a, sizeof(a)),
            fmt_num(st, "keeper.totals.handed", b, sizeof(b)),
            fmt_num(st, "keeper.restarts", c, sizeof(c)), mem);
    fmt_add(r, "keeper totals",
            "%s parked, %s expired, %s idle closed, %s client closed, %s refused, %s bad "
            "(%s queued now)",
            fmt_num(st, "keeper.totals.parked", a, sizeof(a)),
            fmt_num(st, "keeper.totals.expired", b, sizeof(b)),
            fmt_num(st, "keeper.totals.idle_closed", c, sizeof(c)),
            fmt_num(st, "keeper.totals.client_closed", d, sizeof(d)),
            fmt_num(st, "keeper.totals.refused", e, sizeof(e)),
            fmt_num(st, "keeper.totals.bad", f, sizeof(f)),
            fmt_num(st, "keeper.queued", g, sizeof(g)));
}

/* Exec workers' notifications and kills, when the workers are programs. */
static void fmt_status_exec(struct fmt_report *r, const json_t *st)
{
    char a[24], b[24], c[24], d[24];

    if (!json_is_true(fmt_get(st, "exec.enabled")))
        return;
    fmt_add(r, "notify", "%s messages (%s from strangers, %s dropped, %s refused)",
            fmt_num(st, "exec.notify_messages", a, sizeof(a)),
            fmt_num(st, "exec.notify_foreign", b, sizeof(b)),
            fmt_num(st, "exec.notify_bad", c, sizeof(c)),
            fmt_num(st, "exec.notify_refused", d, sizeof(d)));
    fmt_add(r, "exec kills", "%s not ready in time, %s watchdog",
            fmt_num(st, "exec.not_ready", a, sizeof(a)),
            fmt_num(st, "exec.watchdog_kills", b, sizeof(b)));
}

/* How the last reload's roll-over stands (none before the first). */
static void fmt_status_last_reload(struct fmt_report *r, const json_t *st)
{
    char a[24], b[24], c[24], why[FMT_VALUE_MAX / 2];
    const char *state = json_string_value(fmt_get(st, "last_reload.state"));

    if (state == NULL)
        return;
    fmt_num(st, "last_reload.generation", a, sizeof(a));
    fmt_num(st, "last_reload.failed_starts", b, sizeof(b));
    fmt_num(st, "last_reload.serving_generation", c, sizeof(c));
    fmt_str(st, "last_reload.reason", "?", why, sizeof(why));
    if (strcmp(state, "serving") == 0)
        fmt_add(r, "last reload", "generation %s serving", a);
    else if (strcmp(state, "rolled_back") == 0)
        fmt_add(r, "last reload",
                "generation %s rolled back (%s failed starts, last: %s); generation %s runs the "
                "previous configuration",
                a, b, why, c);
    else if (fmt_int(st, "last_reload.failed_starts") > 0)
        fmt_add(r, "last reload", "generation %s starting (%s failed starts, last: %s)", a, b, why);
    else
        fmt_add(r, "last reload", "generation %s starting", a);
}

/* The supervision policy: the pool's mode, the crash backoff, how often
 * the pool was saturated. Only the lines a server sends (older ones send
 * none of them). */
static void fmt_status_supervision(struct fmt_report *r, const json_t *st)
{
    char a[24], b[24];
    int64_t backoff = fmt_int(st, "respawn_backoff_ms");

    if (fmt_get(st, "workers.mode"))
        fmt_add(r, "pool mode", "%s", fmt_str(st, "workers.mode", "?", a, sizeof(a)));
    if (backoff > 0)
        fmt_add(r, "respawn delay", "%.1f s between forks (recent crashes: %s)",
                (double)backoff / 1000.0, fmt_num(st, "crash_exits_recent", b, sizeof(b)));
    else if (backoff == 0)
        fmt_add(r, "respawn delay", "none (recent crashes: %s)",
                fmt_num(st, "crash_exits_recent", b, sizeof(b)));
    if (fmt_get(st, "totals.max_workers_reached"))
        fmt_add(r, "max reached", "%s times (every worker busy at workers.max)",
                fmt_num(st, "totals.max_workers_reached", a, sizeof(a)));
}

/* The totals and the listen queue. */
static void fmt_status_totals(struct fmt_report *r, const json_t *st)
{
    char a[24], b[24], c[24], sig[FMT_VALUE_MAX];

    if (fmt_get(st, "totals.parked")) /* a server with a keeper */
        fmt_add(r, "connections", "%s (%s parked with the keeper, %s taken back)",
                fmt_num(st, "totals.connections", a, sizeof(a)),
                fmt_num(st, "totals.parked", b, sizeof(b)),
                fmt_num(st, "totals.resumed", c, sizeof(c)));
    else
        fmt_add(r, "connections", "%s", fmt_num(st, "totals.connections", a, sizeof(a)));
    fmt_add(r, "requests", "%s", fmt_num(st, "totals.requests", a, sizeof(a)));
    ctl_fmt_bytes(fmt_int(st, "totals.bytes_in"), a, sizeof(a));
    ctl_fmt_bytes(fmt_int(st, "totals.bytes_out"), b, sizeof(b));
    fmt_add(r, "received", "%s", a);
    fmt_add(r, "sent", "%s", b);
    fmt_add(r, "spawned", "%s (%s respawns, %s abnormal exits)",
            fmt_num(st, "totals.spawned", a, sizeof(a)),
            fmt_num(st, "totals.respawns", b, sizeof(b)),
            fmt_num(st, "totals.abnormal_exits", c, sizeof(c)));
    fmt_signals(st, sig, sizeof(sig));
    if (sig[0] != '\0')
        fmt_add(r, "exits by signal", "%s", sig);
    fmt_add(r, "hung killed", "%s", fmt_num(st, "totals.hung_killed", a, sizeof(a)));
    if (fmt_get(st, "totals.memory_recycled"))
        fmt_add(r, "recycled", "%s for memory (over workers.max_memory)",
                fmt_num(st, "totals.memory_recycled", a, sizeof(a)));
    if (json_is_integer(fmt_get(st, "totals.fork_failures"))) /* a server that counts them */
        fmt_add(r, "failed forks", "%s", fmt_num(st, "totals.fork_failures", a, sizeof(a)));
    if (fmt_get(st, "totals.reload_rollbacks"))
        fmt_add(r, "reloads", "%s (%s rolled back)", fmt_num(st, "totals.reloads", a, sizeof(a)),
                fmt_num(st, "totals.reload_rollbacks", b, sizeof(b)));
    else
        fmt_add(r, "reloads", "%s", fmt_num(st, "totals.reloads", a, sizeof(a)));
    fmt_add(r, "auth failures", "%s", fmt_num(st, "totals.auth_failures", a, sizeof(a)));
    fmt_add(r, "listen queue", "%s (max %s, backlog %s)",
            fmt_num(st, "listen_queue.length", a, sizeof(a)),
            fmt_num(st, "listen_queue.max", b, sizeof(b)),
            fmt_num(st, "listen_queue.backlog", c, sizeof(c)));
}

void ctl_print_status(FILE *out, const json_t *reply)
{
    struct fmt_report r = {.n = 0};

    fmt_status_server(&r, reply);
    fmt_status_workers(&r, reply);
    fmt_status_supervision(&r, reply);
    fmt_status_keeper(&r, reply);
    fmt_status_exec(&r, reply);
    fmt_status_totals(&r, reply);
    fmt_status_last_reload(&r, reply);
    fmt_report_print(out, &r);
}

/* ------------------------------------------------------------ workers */

#define FMT_COLS_MAX 12

typedef char fmt_row[FMT_COLS_MAX][FMT_CELL_MAX];

/* One column: its title, whether values align right (numbers), and how a
 * worker's cell is written. */
struct fmt_col {
    const char *title;
    bool right;
    void (*cell)(const json_t *w, const char *key, char *buf, size_t size);
    const char *key; /* the worker's field the cell shows */
};

static void fmt_cell_num(const json_t *w, const char *key, char *buf, size_t size)
{
    fmt_num_into(w, key, buf, size);
}

static void fmt_cell_str(const json_t *w, const char *key, char *buf, size_t size)
{
    fmt_str_into(w, key, "-", buf, size);
}

static void fmt_cell_age(const json_t *w, const char *key, char *buf, size_t size)
{
    ctl_fmt_duration(fmt_int(w, key), buf, size);
}

/* "GET /big.iso (2.3s)": the request and its running time; without a
 * time (request_ms null) the request shown is the last one, finished. */
static void fmt_cell_request(const json_t *w, const char *key, char *buf, size_t size)
{
    char req[FMT_CELL_MAX - 24], run[16];
    const char *text = fmt_str(w, key, NULL, req, sizeof(req));
    int64_t ms = fmt_int(w, "request_ms");

    if (ms >= 0) {
        ctl_fmt_running(ms, run, sizeof(run));
        snprintf(buf, size, "%s%s(%s)", text ? text : "", text ? " " : "", run);
    } else {
        snprintf(buf, size, "%s", text ? text : "-");
    }
}

/* An exec worker's state: idle is "ready" (it said so, or started, and
 * holds no client); the others as they are ("starting", "serving",
 * "stopping"). */
static void fmt_cell_ready(const json_t *w, const char *key, char *buf, size_t size)
{
    char state[32];

    fmt_str_into(w, key, "?", state, sizeof(state));
    snprintf(buf, size, "%s", strcmp(state, "idle") == 0 ? "ready" : state);
}

/* Private memory from kibibytes, "-" when not known. */
static void fmt_cell_kib(const json_t *w, const char *key, char *buf, size_t size)
{
    int64_t kib = fmt_int(w, key);

    if (kib < 0)
        snprintf(buf, size, "-");
    else
        ctl_fmt_bytes(kib * 1024, buf, size);
}

/* Milliseconds since an event as a running time, "-" when none. */
static void fmt_cell_since(const json_t *w, const char *key, char *buf, size_t size)
{
    int64_t ms = fmt_int(w, key);

    if (ms < 0)
        snprintf(buf, size, "-");
    else
        ctl_fmt_running(ms, buf, size);
}

/* A table's columns. */
struct fmt_table {
    int n;
    struct fmt_col cols[FMT_COLS_MAX];
};

/* Workers of the built-in protocols: what each does now. */
static const struct fmt_table fmt_proto_table = {
    11,
    {
        {"SLOT", true, fmt_cell_num, "slot"},
        {"PID", true, fmt_cell_num, "pid"},
        {"GEN", true, fmt_cell_num, "generation"},
        {"STATE", false, fmt_cell_str, "state"},
        {"AGE", true, fmt_cell_age, "age"},
        {"CONNS", true, fmt_cell_num, "connections"},
        {"REQS", true, fmt_cell_num, "requests"},
        {"PARKED", true, fmt_cell_num, "parked"},
        {"RESUMED", true, fmt_cell_num, "resumed"},
        {"CLIENT", false, fmt_cell_str, "client"},
        {"REQUEST", false, fmt_cell_request, "request"},
    },
};

/* Exec workers: programs, seen from outside (readiness, memory, the
 * watchdog's last ping, the client they hold, their STATUS= text). */
static const struct fmt_table fmt_exec_table = {
    9,
    {
        {"SLOT", true, fmt_cell_num, "slot"},
        {"PID", true, fmt_cell_num, "pid"},
        {"GEN", true, fmt_cell_num, "generation"},
        {"STATE", false, fmt_cell_ready, "state"},
        {"AGE", true, fmt_cell_age, "age"},
        {"MEMORY", true, fmt_cell_kib, "private_kib"},
        {"WATCHDOG", true, fmt_cell_since, "watchdog_ms"},
        {"CLIENT", false, fmt_cell_str, "client"},
        {"STATUS", false, fmt_cell_str, "status"},
    },
};

/* The cells of one worker. */
static void fmt_worker_cells(const struct fmt_table *t, const json_t *w, fmt_row row)
{
    for (int i = 0; i < t->n; i++)
        t->cols[i].cell(w, t->cols[i].key, row[i], FMT_CELL_MAX);
}

/* The header row. */
static void fmt_title_cells(const struct fmt_table *t, fmt_row row)
{
    for (int i = 0; i < t->n; i++)
        snprintf(row[i], FMT_CELL_MAX, "%s", t->cols[i].title);
}

/* Widen widths to fit row. */
static void fmt_widths(const struct fmt_table *t, const fmt_row row, int widths[FMT_COLS_MAX])
{
    for (int i = 0; i < t->n; i++)
        if ((int)strlen(row[i]) > widths[i])
            widths[i] = (int)strlen(row[i]);
}

/* line (len bytes as snprintf counted them into a FMT_LINE_MAX buffer)
 * cut to width columns (0: not cut), without trailing blanks, and a
 * newline. */
static void fmt_print_cut(FILE *out, const char *line, size_t len, int width)
{
    if (len >= FMT_LINE_MAX)
        len = FMT_LINE_MAX - 1;
    if (width > 0 && len > (size_t)width)
        len = (size_t)width;
    while (len > 0 && line[len - 1] == ' ')
        len--;
    fprintf(out, "%.*s\n", (int)len, line);
}

/* One row, padded to widths, cut to width columns, no trailing blanks. */
static void fmt_row_print(FILE *out, const struct fmt_table *t, const fmt_row row,
                          const int widths[FMT_COLS_MAX], int width)
{
    char line[FMT_LINE_MAX];
    size_t len = 0;

    for (int i = 0; i < t->n && len < sizeof(line); i++)
        len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%*s", i ? FMT_GAP : "",
                                t->cols[i].right ? widths[i] : -widths[i], row[i]);
    fmt_print_cut(out, line, len, width);
}

void ctl_print_workers(FILE *out, const json_t *reply, int width, int rows)
{
    const json_t *list = json_object_get(reply, "workers");
    size_t n = json_array_size(list), shown = n, i;
    int widths[FMT_COLS_MAX] = {0};
    /* exec workers carry "status" (their STATUS= text) */
    const struct fmt_table *t = json_object_get(json_array_get(list, 0), "status")
                                    ? &fmt_exec_table
                                    : &fmt_proto_table;
    fmt_row row;
    const json_t *w;

    if (rows > 0 && n + 1 > (size_t)rows) /* the title, then a line saying "N more" */
        shown = rows > 2 ? (size_t)rows - 2 : 0;
    fmt_title_cells(t, row);
    fmt_widths(t, row, widths);
    for (i = 0; i < shown && (w = json_array_get(list, i)); i++) {
        fmt_worker_cells(t, w, row);
        fmt_widths(t, row, widths);
    }
    fmt_title_cells(t, row);
    fmt_row_print(out, t, row, widths, width);
    for (i = 0; i < shown && (w = json_array_get(list, i)); i++) {
        fmt_worker_cells(t, w, row);
        fmt_row_print(out, t, row, widths, width);
    }
    if (shown < n)
        fprintf(out, "(%zu more)\n", n - shown);
}

/* ------------------------------------------------------------- config */

/* A scalar (or array) setting's value as the config file would write it. */
static void fmt_value(FILE *out, const json_t *v)
{
    char text[FMT_VALUE_MAX * 4];
    size_t i;
    const json_t *e;

    switch (json_typeof(v)) {
    case JSON_STRING:
        ctl_fmt_safe(json_string_value(v), text, sizeof(text));
        fprintf(out, "\"%s\"", text);
        break;
    case JSON_INTEGER: fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: fprintf(out, "%.15g", json_real_value(v)); break;
    case JSON_TRUE: fputs("true", out); break;
    case JSON_FALSE: fputs("false", out); break;
    case JSON_NULL: fputs("null", out); break;
    case JSON_ARRAY:
        fputc('[', out);
        json_array_foreach((json_t *)v, i, e)
        {
            fputs(i ? ", " : "", out);
            fmt_value(out, e);
        }
        fputc(']', out);
        break;
    case JSON_OBJECT: fputs("{...}", out); break;
    }
}

/* The settings of object o at indentation depth; groups as blocks. */
static void fmt_config_object(FILE *out, const json_t *o, int depth)
{
    const char *key;
    const json_t *v;

    json_object_foreach((json_t *)o, key, v)
    {
        if (json_is_object(v)) {
            fprintf(out, "%*s%s:\n", depth * 4, "", key);
            fmt_config_object(out, v, depth + 1);
        } else {
            fprintf(out, "%*s%s = ", depth * 4, "", key);
            fmt_value(out, v);
            fputc('\n', out);
        }
    }
}

void ctl_print_events(FILE *out, const json_t *reply)
{
    const json_t *list = json_object_get(reply, "events");

    for (size_t i = json_array_size(list); i-- > 0;) {
        const json_t *e = json_array_get(list, i);
        char time[40], level[16], text[400];

        fprintf(out, "%s %-7s %s\n", fmt_str(e, "time", "?", time, sizeof(time)),
                fmt_str(e, "level", "?", level, sizeof(level)),
                fmt_str(e, "text", "?", text, sizeof(text)));
    }
}

void ctl_print_config(FILE *out, const json_t *reply)
{
    fmt_config_object(out, json_object_get(reply, "config"), 0);
}

/* ------------------------------------------------------ confirmations */

/* The strings of the array list, made safe, each after sep but the first. */
static void fmt_words(FILE *out, const json_t *list, const char *sep)
{
    const char *next = "";
    char word[64];
    size_t i;
    const json_t *w;

    json_array_foreach((json_t *)list, i, w) if (json_is_string(w))
    {
        ctl_fmt_safe(json_string_value(w), word, sizeof(word));
        fprintf(out, "%s%s", next, word);
        next = sep;
    }
}

/* help: the commands the server knows. */
static void fmt_help(FILE *out, const json_t *reply)
{
    fputs("server commands: ", out);
    fmt_words(out, json_object_get(reply, "commands"), " ");
    fputc('\n', out);
}

/* reload: the generation in force, what changed, and what waits for a
 * restart (a line each, the last only when there is such a setting). */
static void fmt_reload(FILE *out, const json_t *reply)
{
    const json_t *changed = json_object_get(reply, "changed");
    const json_t *restart = json_object_get(reply, "restart_required");
    char a[24];

    fprintf(out, "configuration reloaded: generation %s\n",
            fmt_num(reply, "generation", a, sizeof(a)));
    if (json_array_size(changed) == 0) {
        fputs("no setting changed\n", out);
    } else {
        fputs("changed: ", out);
        fmt_words(out, changed, ", ");
        fputc('\n', out);
    }
    if (json_array_size(restart) > 0) {
        fputs("not applied until restart: ", out);
        fmt_words(out, restart, ", ");
        fputc('\n', out);
    }
}

void ctl_print_confirmation(FILE *out, const char *verb, const json_t *reply)
{
    char a[24], b[24], c[32];

    if (strcmp(verb, "scale") == 0)
        fprintf(out, "workers target: %s -> %s\n", fmt_num(reply, "previous", a, sizeof(a)),
                fmt_num(reply, "target", b, sizeof(b)));
    else if (strcmp(verb, "reload") == 0)
        fmt_reload(out, reply);
    else if (strcmp(verb, "reopen") == 0)
        fputs("log files reopened\n", out);
    else if (strcmp(verb, "stop") == 0)
        fprintf(out, "stopping (%s)\n", fmt_str(reply, "stopping", "?", c, sizeof(c)));
    else if (strcmp(verb, "kill") == 0)
        fprintf(out, "worker %s is being recycled (the pool starts a replacement)\n",
                fmt_num(reply, "pid", a, sizeof(a)));
    else if (strcmp(verb, "upgrade") == 0)
        fprintf(out,
                "new master %s started; master %s retires once it is ready "
                "(preforkctl status shows the pid serving)\n",
                fmt_num(reply, "new_master", a, sizeof(a)), fmt_num(reply, "master", b, sizeof(b)));
    else if (strcmp(verb, "help") == 0)
        fmt_help(out, reply);
    else
        fputs("ok\n", out);
}

/* ---------------------------------------------------------------- top */

/* "25 (12.5/s)", "5 parked (2.0 handoffs/s)": the count at key with
 * what it counts, and its rate once known (negative: not yet). */
static void fmt_top_rate(const json_t *st, const char *key, const char *what, double rate,
                         const char *unit, char *buf, size_t size)
{
    char n[24];

    fmt_num(st, key, n, sizeof(n));
    if (rate >= 0)
        snprintf(buf, size, "%s%s (%.1f%s)", n, what, rate, unit);
    else
        snprintf(buf, size, "%s%s", n, what);
}

/* "  keeper: 5 parked (2.0 handoffs/s)": the keeper's part of the
 * header, "" when the server has no keeper running parking. */
static void fmt_top_keeper(const json_t *st, double hps, char *buf, size_t size)
{
    char parked[64];

    buf[0] = '\0';
    if (!json_is_true(fmt_get(st, "keeper.enabled")))
        return;
    fmt_top_rate(st, "keeper.parked", " parked", hps, " handoffs/s", parked, sizeof(parked));
    snprintf(buf, size, "  keeper: %s", parked);
}

/* One header line, cut to width columns (0: not cut). */
__attribute__((format(printf, 3, 4))) static void fmt_top_line(FILE *out, int width,
                                                               const char *fmt, ...)
{
    char line[FMT_LINE_MAX];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fmt_print_cut(out, line, len < 0 ? 0 : (size_t)len, width);
}

int ctl_print_top_header(FILE *out, const json_t *st, time_t now, double rps, double hps, int width)
{
    char clock[16] = "?", up[32], requests[64], groups[FMT_VALUE_MAX], keeper[FMT_VALUE_MAX];
    char pid[24], total[24], target[24], conns[24];
    struct tm tm;

    if (localtime_r(&now, &tm))
        strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
    ctl_fmt_duration(fmt_int(st, "uptime"), up, sizeof(up));
    fmt_top_rate(st, "totals.requests", "", rps, "/s", requests, sizeof(requests));
    fmt_worker_groups(st, groups, sizeof(groups));
    fmt_top_keeper(st, hps, keeper, sizeof(keeper));
    fmt_top_line(out, width, "%s  pid %s  up %s  requests %s%s", clock,
                 fmt_num(st, "pid", pid, sizeof(pid)), up, requests,
                 json_is_true(json_object_get(st, "stopping")) ? "  STOPPING" : "");
    fmt_top_line(out, width, "workers %s (target %s): %s",
                 fmt_num(st, "workers.total", total, sizeof(total)),
                 fmt_num(st, "workers.target", target, sizeof(target)), groups);
    fmt_top_line(out, width, "connections %s%s",
                 fmt_num(st, "totals.connections", conns, sizeof(conns)), keeper);
    return CTL_TOP_HEADER_LINES;
}
