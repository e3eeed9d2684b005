/* Unit tests for pf_control_render: JSON replies and the metrics text,
 * rendered from fixed snapshots and read back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_config.h"
#include "pf_control_render.h"

/* The master's state every status and metrics test renders. */
static void fixed_status(struct pf_status *st)
{
    memset(st, 0, sizeof(*st));
    st->pid = 4242;
    st->version = "1.2.3";
    st->start_time_s = 1700000000;
    st->uptime_s = 3600;
    st->generation = 3;
    st->protocol = "http";
    st->listen = "127.0.0.1:8080";
    st->target = 4;
    st->max = 64;
    st->by_state[PF_SLOT_STARTING] = 1;
    st->by_state[PF_SLOT_IDLE] = 2;
    st->by_state[PF_SLOT_READING] = 1;
    st->by_state[PF_SLOT_WRITING] = 2;
    st->by_state[PF_SLOT_KEEPALIVE] = 3;
    st->by_state[PF_SLOT_CLOSING] = 1;
    st->by_state[PF_SLOT_SERVING] = 2;
    st->connections = 100;
    st->requests = 250;
    st->bytes_in = 1000;
    st->bytes_out = UINT64_MAX; /* clamped to INT64_MAX */
    st->spawned = 12;
    st->respawns = 5;
    st->reloads = 2;
    st->auth_failures = 7;
    st->exits_abnormal = 4;
    st->hung_killed = 6;
    st->memory_recycled = 3;
    st->reload_rollbacks = 1;
    st->fork_failures = 13;
    st->exits_by_signal[9] = 2;
    st->exits_by_signal[11] = 1;
    st->listen_queue = 3;
    st->listen_queue_max = 9;
    st->backlog = 511;
    st->mode = "dynamic";
    st->max_workers_reached = 6;
    st->respawn_backoff_ms = 2500;
    st->crash_exits_recent = 8;
    st->parked = 40;
    st->resumed = 38;
    st->proxy_refused = 17;
    st->master_process = (struct pf_status_process){1250000, 8 << 20, 21, 1024};
    st->durations[0] = 100;
    st->durations[1] = 50;
    st->durations[2] = 20;
    st->durations[PF_SLOT_DURATION_BUCKETS] = 1;
    st->duration_sum_us = 3500000;
    st->by_class[1] = 230;
    st->by_class[2] = 5;
    st->by_class[3] = 12;
    st->by_class[4] = 3;
    st->workers_process = (struct pf_status_process){72500000, 40 << 20, 80, 0};
    st->keeper = (struct pf_status_keeper){.enabled = true,
                                           .pid = 4300,
                                           .restarts = 1,
                                           .crashes = 1,
                                           .parked = 5,
                                           .queued = 2,
                                           .taken = 41,
                                           .handed = 30,
                                           .expired = 3,
                                           .idle_closed = 2,
                                           .client_closed = 1,
                                           .refused = 4,
                                           .bad = 6,
                                           .rss_kib = 1696,
                                           .pss_kib = 204};
}

/* Two workers: one busy with every field set, one idle with none. */
static void fixed_workers(struct pf_status_worker w[2])
{
    memset(w, 0, 2 * sizeof(*w));
    w[0] = (struct pf_status_worker){.slot = 0,
                                     .pid = 1001,
                                     .generation = 3,
                                     .state = PF_SLOT_WRITING,
                                     .age_s = 120,
                                     .connections = 10,
                                     .requests = 20,
                                     .bytes_in = 300,
                                     .bytes_out = 4000,
                                     .parked = 7,
                                     .resumed = 6,
                                     .request_ms = 1500,
                                     .last_status = 200,
                                     .watchdog_ms = 250,
                                     .ready = true,
                                     .private_kib = 2048};
    snprintf(w[0].client, sizeof(w[0].client), "%s", "127.0.0.1:5555");
    snprintf(w[0].request, sizeof(w[0].request), "%s", "GET /x");
    w[1] = (struct pf_status_worker){.slot = 5,
                                     .pid = 1002,
                                     .generation = 2,
                                     .state = PF_SLOT_IDLE,
                                     .age_s = 7,
                                     .request_ms = -1,
                                     .watchdog_ms = -1,
                                     .private_kib = -1};
}

/* j dumped as a line, checked to be one line ending in "\n", and parsed
 * back, so every test also sees what goes on the wire. */
static json_t *round_trip(json_t *j)
{
    size_t len = 0;
    char *line = pf_control_render_line(j, &len);
    json_error_t e;
    json_t *back;

    assert_non_null(line);
    assert_int_equal(len, strlen(line));
    assert_true(len >= 2 && line[len - 1] == '\n');
    assert_ptr_equal(strchr(line, '\n'), line + len - 1);
    back = json_loads(line, 0, &e);
    if (!back)
        fail_msg("cannot parse \"%s\": %s", line, e.text);
    free(line);
    return back;
}

/* json_unpack_ex that fails the test with jansson's reason. */
static void unpack(json_t *j, const char *fmt, ...)
{
    json_error_t e;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = json_vunpack_ex(j, &e, 0, fmt, ap);
    va_end(ap);
    if (rc != 0)
        fail_msg("unpack \"%s\": %s", fmt, e.text);
}

/* The top level of the status reply: exactly these keys ('!'). */
static void test_status_top(void **state)
{
    struct pf_status st;
    json_t *j, *wk, *tot, *q, *k, *ex, *last;
    int ok, stopping;
    json_int_t pid, start, up, gen, backoff, crashes;
    const char *version, *protocol, *listen;

    (void)state;
    fixed_status(&st);
    j = round_trip(pf_control_render_status(&st));
    unpack(
        j,
        "{s:b, s:I, s:s, s:I, s:I, s:I, s:s, s:s, s:b, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o !}",
        "ok", &ok, "pid", &pid, "version", &version, "start_time", &start, "uptime", &up,
        "generation", &gen, "protocol", &protocol, "listen", &listen, "stopping", &stopping,
        "respawn_backoff_ms", &backoff, "crash_exits_recent", &crashes, "workers", &wk, "totals",
        &tot, "listen_queue", &q, "keeper", &k, "exec", &ex, "last_reload", &last);
    assert_true(json_is_null(last)); /* no reload since start */
    assert_true(ok);
    assert_int_equal(pid, 4242);
    assert_string_equal(version, "1.2.3");
    assert_int_equal(start, 1700000000);
    assert_int_equal(up, 3600);
    assert_int_equal(gen, 3);
    assert_string_equal(protocol, "http");
    assert_string_equal(listen, "127.0.0.1:8080");
    assert_false(stopping);
    assert_int_equal(backoff, 2500);
    assert_int_equal(crashes, 8);
    json_decref(j);
}

/* status.workers: target, max, total, busy, waiting and one count per
 * state; total = starting + idle + busy + waiting + stopping. */
static void test_status_workers(void **state)
{
    struct pf_status st;
    json_t *j;
    json_int_t target, max, total, idle, busy, waiting, starting, keepalive, stopping, reading,
        writing, closing, serving;
    const char *mode;

    (void)state;
    fixed_status(&st);
    j = round_trip(pf_control_render_status(&st));
    unpack(j, "{s:{s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I !}}",
           "workers", "target", &target, "max", &max, "mode", &mode, "total", &total, "idle", &idle,
           "busy", &busy, "waiting", &waiting, "starting", &starting, "keepalive", &keepalive,
           "stopping", &stopping, "reading", &reading, "writing", &writing, "closing", &closing,
           "serving", &serving);
    assert_string_equal(mode, "dynamic");
    assert_int_equal(target, 4);
    assert_int_equal(max, 64);
    assert_int_equal(total, 12);
    assert_int_equal(busy, 6); /* reading, writing, closing and serving */
    assert_int_equal(serving, 2);
    assert_int_equal(waiting, 3);
    assert_int_equal(idle, 2);
    assert_int_equal(starting, 1);
    assert_int_equal(keepalive, 3);
    assert_int_equal(stopping, 0);
    assert_int_equal(reading, 1);
    assert_int_equal(writing, 2);
    assert_int_equal(closing, 1);
    assert_int_equal(total, starting + idle + busy + waiting + stopping);
    json_decref(j);
}

/* status.totals (a uint64 past INT64_MAX clamped) and listen_queue. */
static void test_status_totals(void **state)
{
    struct pf_status st;
    json_t *j, *sig;
    json_int_t v[17], qlen, qmax, backlog;
    static const json_int_t want[17] = {100, 250, 1000, INT64_MAX, 12, 5, 2, 4, 7,
                                        6,   6,   13,   40,        38, 3, 1, 17};

    (void)state;
    fixed_status(&st);
    j = round_trip(pf_control_render_status(&st));
    unpack(j,
           "{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
           " s:I, s:I !}}",
           "totals", "connections", &v[0], "requests", &v[1], "bytes_in", &v[2], "bytes_out", &v[3],
           "spawned", &v[4], "respawns", &v[5], "reloads", &v[6], "abnormal_exits", &v[7],
           "exits_by_signal", &sig, "auth_failures", &v[8], "hung_killed", &v[9],
           "max_workers_reached", &v[10], "fork_failures", &v[11], "parked", &v[12], "resumed",
           &v[13], "memory_recycled", &v[14], "reload_rollbacks", &v[15], "proxy_refused", &v[16]);
    for (int i = 0; i < 17; i++)
        if (v[i] != want[i])
            fail_msg("totals field %d: %lld, expected %lld", i, (long long)v[i],
                     (long long)want[i]);
    assert_int_equal(json_object_size(sig), 2);
    assert_int_equal(json_integer_value(json_object_get(sig, "9")), 2);
    assert_int_equal(json_integer_value(json_object_get(sig, "11")), 1);
    unpack(j, "{s:{s:I, s:I, s:I !}}", "listen_queue", "length", &qlen, "max", &qmax, "backlog",
           &backlog);
    assert_int_equal(qlen, 3);
    assert_int_equal(qmax, 9);
    assert_int_equal(backlog, 511);
    json_decref(j);
}

/* status.keeper: exactly these keys, its totals in an object of their own. */
static void test_status_keeper(void **state)
{
    struct pf_status st;
    json_t *j;
    int enabled;
    json_int_t v[14];
    static const json_int_t want[14] = {4300, 1, 1, 5, 2, 1696, 204, 41, 30, 3, 2, 1, 4, 6};

    (void)state;
    fixed_status(&st);
    j = round_trip(pf_control_render_status(&st));
    unpack(j,
           "{s:{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
           " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I !} !}}",
           "keeper", "enabled", &enabled, "pid", &v[0], "restarts", &v[1], "crashes", &v[2],
           "parked", &v[3], "queued", &v[4], "rss_kib", &v[5], "pss_kib", &v[6], "totals", "parked",
           &v[7], "handed", &v[8], "expired", &v[9], "idle_closed", &v[10], "client_closed", &v[11],
           "refused", &v[12], "bad", &v[13]);
    assert_true(enabled);
    for (int i = 0; i < 14; i++)
        if (v[i] != want[i])
            fail_msg("keeper field %d: %lld, expected %lld", i, (long long)v[i],
                     (long long)want[i]);
    json_decref(j);
}

/* status.last_reload: how the last reload's roll-over stands, the
 * reason only when one is known. */
static void test_status_last_reload(void **state)
{
    static const struct {
        struct pf_status_rollover r;
        const char *state, *reason;
        json_int_t serving, failed;
    } cases[] = {
        {{PF_ROLLOVER_ROLLING, 4, 0, 0, ""}, "rolling", NULL, 4, 0},
        {{PF_ROLLOVER_ROLLING, 4, 0, 1, "exited with status 3"},
         "rolling",
         "exited with status 3",
         4,
         1},
        {{PF_ROLLOVER_SERVING, 4, 0, 0, ""}, "serving", NULL, 4, 0},
        {{PF_ROLLOVER_ROLLED_BACK, 4, 5, 2, "no READY=1"}, "rolled_back", "no READY=1", 5, 2},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pf_status st;
        json_t *j, *reason;
        json_int_t gen, serving, failed;
        const char *name;

        fixed_status(&st);
        st.last_reload = cases[i].r;
        j = round_trip(pf_control_render_status(&st));
        unpack(j, "{s:{s:I, s:s, s:I, s:I, s:o !}}", "last_reload", "generation", &gen, "state",
               &name, "serving_generation", &serving, "failed_starts", &failed, "reason", &reason);
        assert_int_equal(gen, 4);
        assert_string_equal(name, cases[i].state);
        assert_int_equal(serving, cases[i].serving);
        assert_int_equal(failed, cases[i].failed);
        if (cases[i].reason)
            assert_string_equal(json_string_value(reason), cases[i].reason);
        else
            assert_true(json_is_null(reason));
        json_decref(j);
    }
}

/* GET /health's verdict: ok only while serving, else 503 with why. */
static void test_health(void **state)
{
    static const struct {
        const char *what;
        bool starting, stopping;
        int64_t backoff_ms;
        int live, starting_workers, stopping_workers;
        int code;
        const char *text;
    } cases[] = {
        {"serving", false, false, 0, 4, 0, 0, 200, "ok"},
        {"serving, one starting", false, false, 0, 4, 1, 0, 200, "ok"},
        {"starting", true, false, 0, 4, 4, 0, 503, "starting"},
        {"stopping", false, true, 0, 4, 0, 4, 503, "stopping"},
        {"stopping wins over starting", true, true, 0, 0, 0, 0, 503, "stopping"},
        {"crash backoff", false, false, 2000, 2, 0, 0, 503, "backing off after crashes"},
        {"every worker starting", false, false, 0, 2, 2, 0, 503, "no worker ready"},
        {"no worker", false, false, 0, 0, 0, 0, 503, "no worker ready"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pf_status st;
        const char *text;
        int code = 0;

        memset(&st, 0, sizeof(st));
        st.starting = cases[i].starting;
        st.stopping = cases[i].stopping;
        st.respawn_backoff_ms = cases[i].backoff_ms;
        st.by_state[PF_SLOT_STARTING] = cases[i].starting_workers;
        st.by_state[PF_SLOT_STOPPING] = cases[i].stopping_workers;
        st.by_state[PF_SLOT_IDLE] = cases[i].live - cases[i].starting_workers -
                                    cases[i].stopping_workers;
        text = pf_control_render_health(&st, &code);
        if (code != cases[i].code || strcmp(text, cases[i].text) != 0)
            fail_msg("%s: %d \"%s\", expected %d \"%s\"", cases[i].what, code, text, cases[i].code,
                     cases[i].text);
    }
}

/* Parking off: the keeper object is still there, disabled, pid 0. */
static void test_status_keeper_off(void **state)
{
    struct pf_status st;
    json_t *j, *k;

    (void)state;
    fixed_status(&st);
    memset(&st.keeper, 0, sizeof(st.keeper));
    j = round_trip(pf_control_render_status(&st));
    k = json_object_get(j, "keeper");
    assert_true(json_is_false(json_object_get(k, "enabled")));
    assert_int_equal(json_integer_value(json_object_get(k, "pid")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(k, "totals"), "handed")),
                     0);
    json_decref(j);
}

/* Strings are escaped by jansson, and a NULL one becomes null. */
static void test_status_strings(void **state)
{
    struct pf_status st;
    json_t *j;

    (void)state;
    fixed_status(&st);
    st.version = "1.0 \"beta\"\n\\";
    st.protocol = NULL;
    st.stopping = true;
    j = round_trip(pf_control_render_status(&st));
    assert_string_equal(json_string_value(json_object_get(j, "version")), "1.0 \"beta\"\n\\");
    assert_true(json_is_null(json_object_get(j, "protocol")));
    assert_true(json_is_true(json_object_get(j, "stopping")));
    assert_int_equal(json_object_size(json_object_get(json_object_get(j, "totals"),
                                                      "exits_by_signal")),
                     2);
    json_decref(j);
}

/* The busy worker's fields, every one with its value. */
static void test_workers_busy(void **state)
{
    struct pf_status_worker w[2];
    json_t *j, *list;
    json_int_t slot, pid, gen, age, conns, reqs, in, out, parked, resumed, ms, status, wd, kib;
    const char *st, *client, *request;
    int ok, ready;

    (void)state;
    fixed_workers(w);
    j = round_trip(pf_control_render_workers(w, 2));
    unpack(j, "{s:b, s:o !}", "ok", &ok, "workers", &list);
    assert_true(ok);
    assert_int_equal(json_array_size(list), 2);
    unpack(json_array_get(list, 0),
           "{s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:b,"
           " s:I !}",
           "slot", &slot, "pid", &pid, "generation", &gen, "state", &st, "age", &age, "connections",
           &conns, "requests", &reqs, "bytes_in", &in, "bytes_out", &out, "parked", &parked,
           "resumed", &resumed, "client", &client, "request", &request, "request_ms", &ms,
           "last_status", &status, "watchdog_ms", &wd, "ready", &ready, "private_kib", &kib);
    assert_true(ready);
    assert_int_equal(kib, 2048);
    assert_int_equal(wd, 250);
    assert_int_equal(slot, 0);
    assert_int_equal(pid, 1001);
    assert_int_equal(gen, 3);
    assert_string_equal(st, "writing");
    assert_int_equal(age, 120);
    assert_int_equal(conns, 10);
    assert_int_equal(reqs, 20);
    assert_int_equal(in, 300);
    assert_int_equal(out, 4000);
    assert_int_equal(parked, 7);
    assert_int_equal(resumed, 6);
    assert_string_equal(client, "127.0.0.1:5555");
    assert_string_equal(request, "GET /x");
    assert_int_equal(ms, 1500);
    assert_int_equal(status, 200);
    json_decref(j);
}

/* An exec worker: its STATUS= text under "status", no "request". */
static void test_workers_exec(void **state)
{
    struct pf_status_worker w[2];
    json_t *j, *e;

    (void)state;
    fixed_workers(w);
    w[0].exec = true;
    snprintf(w[0].request, sizeof(w[0].request), "%s", "serving 3 clients");
    j = round_trip(pf_control_render_workers(w, 1));
    e = json_array_get(json_object_get(j, "workers"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "status")), "serving 3 clients");
    assert_null(json_object_get(e, "request"));
    assert_true(json_is_true(json_object_get(e, "ready")));
    json_decref(j);
}

/* The idle worker: no client, request, duration or status: all null. */
static void test_workers_nulls(void **state)
{
    struct pf_status_worker w[2];
    json_t *j, *idle;
    static const char *const nulls[] = {"client",      "request",     "request_ms",
                                        "last_status", "watchdog_ms", "private_kib"};

    (void)state;
    fixed_workers(w);
    j = round_trip(pf_control_render_workers(w, 2));
    idle = json_array_get(json_object_get(j, "workers"), 1);
    assert_int_equal(json_integer_value(json_object_get(idle, "slot")), 5);
    assert_string_equal(json_string_value(json_object_get(idle, "state")), "idle");
    assert_int_equal(json_object_size(idle), 18);
    assert_true(json_is_false(json_object_get(idle, "ready")));
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        if (!json_is_null(json_object_get(idle, nulls[i])))
            fail_msg("%s is not null", nulls[i]);
    json_decref(j);
}

/* No workers: an empty array; a request in another encoding still renders. */
static void test_workers_edge(void **state)
{
    struct pf_status_worker w[2];
    json_t *j;

    (void)state;
    j = round_trip(pf_control_render_workers(NULL, 0));
    assert_int_equal(json_array_size(json_object_get(j, "workers")), 0);
    json_decref(j);
    fixed_workers(w);
    snprintf(w[0].request, sizeof(w[0].request), "%s", "GET /caf\xe9");
    j = round_trip(pf_control_render_workers(w, 1));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "workers"), 0), "request")),
                        "GET /caf?");
    json_decref(j);
}

/* The config reply of the defaults, with a few settings changed. */
static json_t *config_reply(void)
{
    struct pf_config c;

    pf_config_defaults(&c);
    c.workers.graceful_timeout_ms = 500;
    c.http.keepalive_timeout_ms = 100;
    return round_trip(pf_control_render_config(&c));
}

/* Numbers as integers, durations in seconds, the log level by name. */
static void test_config_values(void **state)
{
    json_t *j = config_reply();
    double graceful, stop, idle, keepalive, valid, ctl_idle;
    json_int_t backlog, start, max_line, max_message, max_clients;
    const char *listen, *protocol, *level, *root, *token_file;

    (void)state;
    unpack(j, "{s:b, s:{s:s, s:I, s:s, s:{s:I, s:f, s:f}, s:{s:f}, s:{s:I}, s:{s:I}}}", "ok",
           &(int){0}, "config", "listen", &listen, "backlog", &backlog, "protocol", &protocol,
           "workers", "start", &start, "graceful_timeout", &graceful, "stop_timeout", &stop,
           "client", "idle_timeout", &idle, "echo", "max_line", &max_line, "msg", "max_message",
           &max_message);
    unpack(j, "{s:{s:{s:s, s:f, s:f}, s:{s:s}, s:{s:s, s:f, s:I}}}", "config", "http", "root",
           &root, "keepalive_timeout", &keepalive, "open_file_cache_valid", &valid, "daemon",
           "log_level", &level, "control", "token_file", &token_file, "idle_timeout", &ctl_idle,
           "max_clients", &max_clients);
    assert_string_equal(listen, "127.0.0.1:8080");
    assert_int_equal(backlog, 511);
    assert_string_equal(protocol, "http");
    assert_int_equal(start, 4);
    assert_float_equal(graceful, 0.5, 1e-9);
    assert_float_equal(stop, 5.0, 1e-9);
    assert_float_equal(idle, 60.0, 1e-9);
    assert_int_equal(max_line, 8192);
    assert_int_equal(max_message, 1048576);
    assert_string_equal(root, "www");
    assert_float_equal(keepalive, 0.1, 1e-9);
    assert_float_equal(valid, 1.0, 1e-9);
    assert_string_equal(level, "info");
    assert_string_equal(token_file, "preforkd.token");
    assert_float_equal(ctl_idle, 60.0, 1e-9);
    assert_int_equal(max_clients, 16);
    json_decref(j);
}

/* exec: the lists as arrays of strings, in order; signals by name. */
static void test_config_exec(void **state)
{
    struct pf_config c;
    json_t *j, *command, *env;
    const char *stop, *hung;

    (void)state;
    pf_config_defaults(&c);
    memcpy(c.exec.command, "/usr/bin/python3\0app.py\0", 24);
    c.exec.argc = 2;
    c.exec.stop_signal = SIGINT;
    j = round_trip(pf_control_render_config(&c));
    unpack(j, "{s:{s:{s:o, s:o, s:s, s:s}}}", "config", "exec", "command", &command, "env", &env,
           "stop_signal", &stop, "hung_signal", &hung);
    assert_int_equal(json_array_size(command), 2);
    assert_string_equal(json_string_value(json_array_get(command, 0)), "/usr/bin/python3");
    assert_string_equal(json_string_value(json_array_get(command, 1)), "app.py");
    assert_int_equal(json_array_size(env), 0);
    assert_string_equal(stop, "INT");
    assert_string_equal(hung, "ABRT");
    json_decref(j);
}

/* http.error_pages: an array of its "STATUS /path" entries, [] by default. */
static void test_config_error_pages(void **state)
{
    struct pf_config c;
    json_t *j, *pages;

    (void)state;
    pf_config_defaults(&c);
    j = round_trip(pf_control_render_config(&c));
    unpack(j, "{s:{s:{s:o}}}", "config", "http", "error_pages", &pages);
    assert_int_equal(json_array_size(pages), 0);
    json_decref(j);
    memcpy(c.http.error_pages,
           "404 /srv/e/404.html\0"
           "503 /srv/e/busy.html",
           41);
    c.http.nerror_pages = 2;
    j = round_trip(pf_control_render_config(&c));
    unpack(j, "{s:{s:{s:o}}}", "config", "http", "error_pages", &pages);
    assert_int_equal(json_array_size(pages), 2);
    assert_string_equal(json_string_value(json_array_get(pages, 1)), "503 /srv/e/busy.html");
    json_decref(j);
}

/* A group of the config reply and exactly the settings it must hold. */
struct config_group {
    const char *name; /* NULL: the top level */
    size_t count;
    const char *keys[16];
};

static const struct config_group config_groups[] = {
    {NULL,
     16,
     {"path", "listen", "backlog", "defer_accept", "protocol", "workers", "client", "echo", "msg",
      "http", "keeper", "exec", "control", "status", "proxy", "daemon"}},
    {"workers",
     16,
     {"start", "max", "max_requests", "graceful_timeout", "stop_timeout", "mode", "min_spare",
      "max_spare", "max_spawn_rate", "max_requests_jitter", "max_lifetime", "request_timeout",
      "max_memory", "crash_limit", "crash_window", "backoff_max"}},
    {"client", 3, {"read_timeout", "write_timeout", "idle_timeout"}},
    {"echo", 1, {"max_line"}},
    {"msg", 1, {"max_message"}},
    {"http",
     15,
     {"root", "index", "server_name", "keepalive_timeout", "keepalive_requests", "header_timeout",
      "max_request_line", "max_header_bytes", "max_headers", "access_log", "access_log_format",
      "mime_types", "open_file_cache", "open_file_cache_valid", "error_pages"}},
    {"keeper", 3, {"parking", "linger", "max_parked"}},
    {"exec",
     9,
     {"command", "env", "directory", "listen_fd", "ready", "ready_timeout", "watchdog",
      "stop_signal", "hung_signal"}},
    {"control", 4, {"listen", "token_file", "idle_timeout", "max_clients"}},
    {"status", 4, {"listen", "metrics_token", "max_clients", "drain_delay"}},
    {"proxy", 3, {"protocol", "trusted", "forwarded_for"}},
    {"daemon", 7, {"error_log", "log_level", "pidfile", "user", "group", "chroot", "max_files"}},
};

/* Every setting is there, nothing else (no token: only its file). */
static void test_config_keys(void **state)
{
    json_t *j = config_reply();
    json_t *c = json_object_get(j, "config");

    (void)state;
    for (size_t i = 0; i < sizeof(config_groups) / sizeof(config_groups[0]); i++) {
        const struct config_group *g = &config_groups[i];
        json_t *o = g->name ? json_object_get(c, g->name) : c;

        if (json_object_size(o) != g->count)
            fail_msg("group %s: %zu keys, expected %zu", g->name ? g->name : "top",
                     json_object_size(o), g->count);
        for (size_t k = 0; k < g->count; k++)
            if (!json_object_get(o, g->keys[k]))
                fail_msg("group %s: no %s", g->name ? g->name : "top", g->keys[k]);
    }
    assert_null(json_object_get(json_object_get(c, "control"), "token"));
    json_decref(j);
}

/* A boolean setting is a JSON true or false, not a number; the keeper's
 * linger is a duration in seconds (0 included), max_parked an integer. */
static void test_config_bool(void **state)
{
    struct pf_config c;
    json_t *j, *keeper;
    double linger;
    json_int_t max_parked;
    int parking;

    (void)state;
    pf_config_defaults(&c);
    j = round_trip(pf_control_render_config(&c));
    keeper = json_object_get(json_object_get(j, "config"), "keeper");
    assert_true(json_is_true(json_object_get(keeper, "parking")));
    unpack(keeper, "{s:f, s:I}", "linger", &linger, "max_parked", &max_parked);
    assert_float_equal(linger, 0.05, 1e-9);
    assert_int_equal(max_parked, 0);
    json_decref(j);

    c.keeper.parking = false;
    c.keeper.linger_ms = 0;
    c.keeper.max_parked = 16777216;
    j = round_trip(pf_control_render_config(&c));
    keeper = json_object_get(json_object_get(j, "config"), "keeper");
    assert_true(json_is_false(json_object_get(keeper, "parking")));
    unpack(keeper, "{s:b, s:f, s:I !}", "parking", &parking, "linger", &linger, "max_parked",
           &max_parked);
    assert_false(parking);
    assert_float_equal(linger, 0.0, 1e-9);
    assert_int_equal(max_parked, 16777216);
    json_decref(j);
}

/* Durations are printed as short decimals, not 0.10000000000000001. */
static void test_config_text(void **state)
{
    struct pf_config c;
    char *line;

    (void)state;
    pf_config_defaults(&c);
    c.http.keepalive_timeout_ms = 100;
    line = pf_control_render_line(pf_control_render_config(&c), NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "\"keepalive_timeout\":0.1,"));
    assert_non_null(strstr(line, "\"graceful_timeout\":30.0,"));
    assert_non_null(strstr(line, "\"keeper\":{\"parking\":true,\"linger\":0.05,"));
    free(line);
}

/* {"ok":false,"error":...}, the message escaped. */
static void test_error(void **state)
{
    json_t *j;
    const char *msg;
    int ok;

    (void)state;
    j = round_trip(pf_control_render_error("scale: \"x\"\nbad"));
    unpack(j, "{s:b, s:s !}", "ok", &ok, "error", &msg);
    assert_false(ok);
    assert_string_equal(msg, "scale: \"x\"\nbad");
    json_decref(j);
}

/* ok alone, ok merged with extra's fields (its "ok" cannot override). */
static void test_ok(void **state)
{
    json_t *j;
    json_int_t target;
    const char *note;
    int ok;

    (void)state;
    j = round_trip(pf_control_render_ok(NULL));
    unpack(j, "{s:b !}", "ok", &ok);
    assert_true(ok);
    json_decref(j);
    j = round_trip(pf_control_render_ok(json_pack("{s:i, s:s, s:b}", "target", 6, "note", "é", "ok",
                                                  0)));
    unpack(j, "{s:b, s:I, s:s !}", "ok", &ok, "target", &target, "note", &note);
    assert_true(ok);
    assert_int_equal(target, 6);
    assert_string_equal(note, "é");
    json_decref(j);
    assert_null(pf_control_render_ok(json_integer(1)));
}

/* A reload's reply: the generation and both lists, in this order, on the
 * wire exactly as docs/control-protocol.md shows it. */
static void test_reload(void **state)
{
    static struct pf_status_reload rep;
    size_t len = 0;
    char *line;

    (void)state;
    rep.generation = 3;
    snprintf(rep.applied.name[rep.applied.n++], PF_CONFIG_NAME_LEN, "listen");
    snprintf(rep.applied.name[rep.applied.n++], PF_CONFIG_NAME_LEN, "http.root");
    snprintf(rep.restart.name[rep.restart.n++], PF_CONFIG_NAME_LEN, "workers.max");
    line = pf_control_render_line(pf_control_render_reload(&rep), &len);
    assert_non_null(line);
    assert_string_equal(line, "{\"ok\":true,\"generation\":3,\"changed\":[\"listen\","
                              "\"http.root\"],\"restart_required\":[\"workers.max\"]}\n");
    free(line);
    rep = (struct pf_status_reload){.generation = 2};
    line = pf_control_render_line(pf_control_render_reload(&rep), &len);
    assert_string_equal(line, "{\"ok\":true,\"generation\":2,\"changed\":[],"
                              "\"restart_required\":[]}\n");
    free(line);
}

/* dump_line: compact, one line, "\n" last; NULL in gives NULL out. */
static void test_dump_line(void **state)
{
    size_t len = 0;
    char *line;

    (void)state;
    line = pf_control_render_line(json_pack("{s:s, s:[i,i]}", "a", "x\ny", "b", 1, 2), &len);
    assert_non_null(line);
    assert_string_equal(line, "{\"a\":\"x\\ny\",\"b\":[1,2]}\n");
    assert_int_equal(len, strlen(line));
    free(line);
    assert_null(pf_control_render_line(NULL, &len));
}

/* One sample of the exposition: name, labels as written, value text. */
struct sample {
    char name[128];
    char labels[256];
    char value[64];
};

/* The exposition, read back: samples and families. */
struct exposition {
    struct sample s[128];
    size_t n;
    char help[64][128], type[64][128];
    char kind[64][16];
    size_t nhelp, ntype;
};

/* Whether name is in list[0..n). */
static int listed(char list[][128], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return (int)i;
    return -1;
}

/* Length of a metric (or, with colon false, label) name at p; 0 if none. */
static size_t name_len(const char *p, int colon)
{
    size_t n = 0;

    while (isalpha((unsigned char)p[n]) || p[n] == '_' || (colon && p[n] == ':') ||
           (n && isdigit((unsigned char)p[n])))
        n++;
    return n;
}

/* Check the label set at p ("{a="x",b="y"}"), values escaped only as
 * \\, \" and \n; returns the length read, 0 if malformed. */
static size_t labels_len(const char *p)
{
    size_t i = 1;

    if (p[0] != '{')
        return 0;
    for (;;) {
        size_t n = name_len(p + i, 0);

        if (!n || p[i + n] != '=' || p[i + n + 1] != '"')
            return 0;
        for (i += n + 2; p[i] != '"'; i++) {
            if (!p[i] || p[i] == '\n')
                return 0;
            if (p[i] == '\\' && !strchr("\\\"n", p[++i]))
                return 0;
        }
        i++;
        if (p[i] == '}')
            return i + 1;
        if (p[i++] != ',')
            return 0;
    }
}

/* A "# HELP name text" or "# TYPE name gauge|counter" line. */
static void parse_comment(struct exposition *x, const char *line)
{
    char name[128], word[16];

    if (sscanf(line, "# HELP %127s %15s", name, word) == 2) {
        if (listed(x->help, x->nhelp, name) >= 0)
            fail_msg("second HELP for %s", name);
        snprintf(x->help[x->nhelp++], sizeof(x->help[0]), "%s", name);
    } else if (sscanf(line, "# TYPE %127s %15s", name, word) == 2) {
        if (listed(x->help, x->nhelp, name) < 0 || listed(x->type, x->ntype, name) >= 0)
            fail_msg("TYPE of %s not after its HELP, or twice", name);
        if (strcmp(word, "gauge") != 0 && strcmp(word, "counter") != 0 &&
            strcmp(word, "histogram") != 0)
            fail_msg("%s: type %s", name, word);
        snprintf(x->kind[x->ntype], sizeof(x->kind[0]), "%s", word);
        snprintf(x->type[x->ntype++], sizeof(x->type[0]), "%s", name);
    } else {
        fail_msg("bad comment line \"%s\"", line);
    }
}

/* A "name{labels} value" or "name value" line, whose family has already
 * had its HELP and TYPE; counters must end in _total. */
static void parse_sample(struct exposition *x, const char *line)
{
    struct sample *s = &x->s[x->n++];
    size_t n = name_len(line, 1), l = n ? labels_len(line + n) : 0;
    char *end;
    int t;

    if (!n || line[n + l] != ' ' || !line[n + l + 1])
        fail_msg("bad sample line \"%s\"", line);
    snprintf(s->name, sizeof(s->name), "%.*s", (int)n, line);
    snprintf(s->labels, sizeof(s->labels), "%.*s", (int)l, line + n);
    snprintf(s->value, sizeof(s->value), "%s", line + n + l + 1);
    (void)strtod(s->value, &end);
    if (*end)
        fail_msg("bad value in \"%s\"", line);
    t = listed(x->type, x->ntype, s->name);
    if (t < 0) { /* a histogram's _bucket (with le), _sum or _count */
        static const char *const parts[] = {"_bucket", "_sum", "_count"};
        char family[128];

        for (size_t k = 0; k < 3 && t < 0; k++) {
            size_t pl = strlen(parts[k]);

            if (n > pl && strcmp(s->name + n - pl, parts[k]) == 0) {
                snprintf(family, sizeof(family), "%.*s", (int)(n - pl), s->name);
                t = listed(x->type, x->ntype, family);
                if (t >= 0 && (strcmp(x->kind[t], "histogram") != 0 ||
                               (k == 0 && !strstr(s->labels, "le=\""))))
                    fail_msg("%s: not a histogram's part", s->name);
            }
        }
    }
    if (t < 0)
        fail_msg("sample of %s before its HELP and TYPE", s->name);
    if (strcmp(x->kind[t], "counter") == 0 && (n < 6 || strcmp(s->name + n - 6, "_total") != 0))
        fail_msg("counter %s does not end in _total", s->name);
}

/* Split text into lines (each ending "\n") and check every one. */
static void parse_exposition(struct exposition *x, char *text, size_t len)
{
    char *save = NULL;

    memset(x, 0, sizeof(*x));
    assert_int_equal(strlen(text), len);
    assert_true(len > 0 && text[len - 1] == '\n');
    assert_null(strstr(text, "\n\n"));
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            parse_comment(x, line);
        else
            parse_sample(x, line);
    }
}

/* The value text of the sample name+labels, or NULL. */
static const char *value_of(const struct exposition *x, const char *name, const char *labels)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->s[i].name, name) == 0 && strcmp(x->s[i].labels, labels) == 0)
            return x->s[i].value;
    return NULL;
}

/* Render the fixed snapshot and its two workers, and read it back. */
static void render_fixed(struct exposition *x, struct pf_status *st)
{
    struct pf_status_worker w[2];
    size_t len = 0;
    char *text;

    fixed_workers(w);
    text = pf_control_render_metrics(st, w, 2, &len);
    assert_non_null(text);
    parse_exposition(x, text, len);
    free(text);
}

/* A metric, its labels as written, and the value it must have. */
struct metric_case {
    const char *name, *labels, *value;
};

static const struct metric_case metric_cases[] = {
    {"preforkd_start_time_seconds", "", "1700000000"},
    {"preforkd_uptime_seconds", "", "3600"},
    {"preforkd_generation", "", "3"},
    {"preforkd_workers", "{state=\"starting\"}", "1"},
    {"preforkd_workers", "{state=\"idle\"}", "2"},
    {"preforkd_workers", "{state=\"reading\"}", "1"},
    {"preforkd_workers", "{state=\"writing\"}", "2"},
    {"preforkd_workers", "{state=\"keepalive\"}", "3"},
    {"preforkd_workers", "{state=\"closing\"}", "1"},
    {"preforkd_workers", "{state=\"serving\"}", "2"},
    {"preforkd_workers", "{state=\"stopping\"}", "0"},
    {"preforkd_workers_target", "", "4"},
    {"preforkd_workers_max", "", "64"},
    {"preforkd_connections_total", "", "100"},
    {"preforkd_requests_total", "", "250"},
    {"preforkd_received_bytes_total", "", "1000"},
    {"preforkd_sent_bytes_total", "", "9223372036854775807"},
    {"preforkd_worker_spawns_total", "", "12"},
    {"preforkd_worker_respawns_total", "", "5"},
    {"preforkd_worker_abnormal_exits_total", "", "4"},
    {"preforkd_worker_hung_killed_total", "", "6"},
    {"preforkd_worker_memory_recycled_total", "", "3"},
    {"preforkd_worker_fork_failures_total", "", "13"},
    {"preforkd_worker_signal_exits_total", "{signal=\"KILL\"}", "2"},
    {"preforkd_worker_signal_exits_total", "{signal=\"SEGV\"}", "1"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"0.001\"}", "100"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"0.005\"}", "150"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"0.01\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"0.025\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"0.05\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"0.1\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"0.25\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"0.5\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"1\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"2.5\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"5\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"10\"}", "170"},
    {"preforkd_request_duration_seconds_bucket", "{protocol=\"http\",le=\"+Inf\"}", "171"},
    {"preforkd_request_duration_seconds_sum", "{protocol=\"http\"}", "3.500000"},
    {"preforkd_request_duration_seconds_count", "{protocol=\"http\"}", "171"},
    {"preforkd_responses_total", "{class=\"1xx\"}", "0"},
    {"preforkd_responses_total", "{class=\"2xx\"}", "230"},
    {"preforkd_responses_total", "{class=\"3xx\"}", "5"},
    {"preforkd_responses_total", "{class=\"4xx\"}", "12"},
    {"preforkd_responses_total", "{class=\"5xx\"}", "3"},
    {"process_cpu_seconds_total", "", "1.250"},
    {"process_resident_memory_bytes", "", "8388608"},
    {"process_open_fds", "", "21"},
    {"process_max_fds", "", "1024"},
    {"process_start_time_seconds", "", "1700000000"},
    {"preforkd_workers_cpu_seconds_total", "", "72.500"},
    {"preforkd_workers_resident_memory_bytes", "", "41943040"},
    {"preforkd_workers_open_fds", "", "80"},
    {"preforkd_reloads_total", "", "2"},
    {"preforkd_reload_rollbacks_total", "", "1"},
    {"preforkd_worker_ready", "{slot=\"0\"}", "1"},
    {"preforkd_worker_ready", "{slot=\"5\"}", "0"},
    {"preforkd_worker_private_memory_bytes", "{slot=\"0\"}", "2097152"},
    {"preforkd_control_auth_failures_total", "", "7"},
    {"preforkd_proxy_refused_total", "", "17"},
    {"preforkd_listen_queue_length", "", "3"},
    {"preforkd_listen_queue_max_length", "", "9"},
    {"preforkd_listen_backlog", "", "511"},
    {"preforkd_worker_busy_seconds_max", "", "1.500"},
    {"preforkd_max_workers_reached_total", "", "6"},
    {"preforkd_worker_crash_exits_recent", "", "8"},
    {"preforkd_respawn_backoff_seconds", "", "2.500"},
    {"preforkd_keeper_up", "", "1"},
    {"preforkd_keeper_restarts_total", "", "1"},
    {"preforkd_keeper_parked", "", "5"},
    {"preforkd_keeper_queued", "", "2"},
    {"preforkd_keeper_expired_total", "", "3"},
    {"preforkd_keeper_handoffs_total", "{direction=\"parked\"}", "41"},
    {"preforkd_keeper_handoffs_total", "{direction=\"handed\"}", "30"},
    {"preforkd_keeper_closed_total", "{reason=\"idle\"}", "2"},
    {"preforkd_keeper_closed_total", "{reason=\"client\"}", "1"},
    {"preforkd_keeper_closed_total", "{reason=\"refused\"}", "4"},
    {"preforkd_keeper_memory_bytes", "{kind=\"rss\"}", "1736704"},
    {"preforkd_keeper_memory_bytes", "{kind=\"pss\"}", "208896"},
};

/* Every expected sample with its value, and no other sample. */
static void test_metrics_values(void **state)
{
    static struct exposition x;
    struct pf_status st;
    size_t n = sizeof(metric_cases) / sizeof(metric_cases[0]);

    (void)state;
    fixed_status(&st);
    render_fixed(&x, &st);
    for (size_t i = 0; i < n; i++) {
        const struct metric_case *c = &metric_cases[i];
        const char *v = value_of(&x, c->name, c->labels);

        if (!v || strcmp(v, c->value) != 0)
            fail_msg("%s%s: %s, expected %s", c->name, c->labels, v ? v : "missing", c->value);
    }
    assert_int_equal(x.n, n + 2); /* and preforkd_info, preforkd_build_info */
    assert_non_null(value_of(&x, "preforkd_build_info",
                             "{version=\"1.2.3\",compiler=\"" __VERSION__ "\"}"));
    assert_null(value_of(&x, "preforkd_workers", "{state=\"free\"}"));
    assert_int_equal(x.nhelp, x.ntype);
}

/* The states of preforkd_workers add up to the live workers: each worker
 * is in one, the waiting ones (keepalive) included. */
static void test_metrics_states_add_up(void **state)
{
    static struct exposition x;
    struct pf_status st;
    double sum = 0;

    (void)state;
    fixed_status(&st);
    render_fixed(&x, &st);
    for (size_t i = 0; i < x.n; i++)
        if (strcmp(x.s[i].name, "preforkd_workers") == 0)
            sum += strtod(x.s[i].value, NULL);
    assert_float_equal(sum, 12.0, 1e-9);
    assert_string_equal(value_of(&x, "preforkd_workers", "{state=\"keepalive\"}"), "3");
}

/* Parking off: no keeper family at all (not even HELP and TYPE), so no
 * alert on preforkd_keeper_up fires for a server without a keeper. */
static void test_metrics_keeper_off(void **state)
{
    static struct exposition x;
    struct pf_status st;
    size_t others = 0;

    (void)state;
    fixed_status(&st);
    memset(&st.keeper, 0, sizeof(st.keeper));
    render_fixed(&x, &st);
    for (size_t i = 0; i < x.ntype; i++)
        if (strncmp(x.type[i], "preforkd_keeper_", 16) == 0)
            fail_msg("%s with parking off", x.type[i]);
    for (size_t i = 0; i < sizeof(metric_cases) / sizeof(metric_cases[0]); i++)
        others += strncmp(metric_cases[i].name, "preforkd_keeper_", 16) != 0;
    assert_int_equal(x.n, others + 2); /* and preforkd_info, preforkd_build_info */
}

/* Exec workers: their counters, and each worker's watchdog age by slot
 * (none for a worker that never pinged). */
static void test_metrics_exec(void **state)
{
    static struct exposition x;
    struct pf_status st;

    (void)state;
    fixed_status(&st);
    st.exec = (struct pf_status_exec){.enabled = true,
                                      .messages = 50,
                                      .foreign = 2,
                                      .bad = 1,
                                      .not_ready = 4,
                                      .watchdog_kills = 6};
    render_fixed(&x, &st);
    assert_string_equal(value_of(&x, "preforkd_exec_notify_messages_total", ""), "50");
    assert_string_equal(value_of(&x, "preforkd_exec_notify_foreign_total", ""), "2");
    assert_string_equal(value_of(&x, "preforkd_exec_notify_bad_total", ""), "1");
    assert_string_equal(value_of(&x, "preforkd_exec_not_ready_total", ""), "4");
    assert_string_equal(value_of(&x, "preforkd_exec_watchdog_kills_total", ""), "6");
    assert_string_equal(value_of(&x, "preforkd_exec_worker_watchdog_age_seconds", "{slot=\"0\"}"),
                        "0.250");
    assert_null(value_of(&x, "preforkd_exec_worker_watchdog_age_seconds", "{slot=\"5\"}"));
    fixed_status(&st); /* not exec: no such family */
    render_fixed(&x, &st);
    assert_true(listed(x.type, x.ntype, "preforkd_exec_worker_watchdog_age_seconds") < 0);
    assert_null(value_of(&x, "preforkd_exec_notify_messages_total", ""));
}

/* No workers and no signal exits: busy max is 0, the signal family has
 * no sample but still its HELP and TYPE. */
static void test_metrics_empty(void **state)
{
    static struct exposition x;
    struct pf_status st;
    size_t len = 0;
    char *text;

    (void)state;
    fixed_status(&st);
    memset(st.exits_by_signal, 0, sizeof(st.exits_by_signal));
    text = pf_control_render_metrics(&st, NULL, 0, &len);
    assert_non_null(text);
    parse_exposition(&x, text, len);
    free(text);
    assert_float_equal(strtod(value_of(&x, "preforkd_worker_busy_seconds_max", ""), NULL), 0.0,
                       1e-9);
    assert_true(listed(x.type, x.ntype, "preforkd_worker_signal_exits_total") >= 0);
    for (size_t i = 0; i < x.n; i++)
        assert_string_not_equal(x.s[i].name, "preforkd_worker_signal_exits_total");
}

/* Label values escape \, " and newline; the sample stays one line. */
static void test_metrics_label_escaping(void **state)
{
    static struct exposition x;
    struct pf_status st;
    const char *v;

    (void)state;
    fixed_status(&st);
    st.version = "1.0\"beta\\\nx";
    st.listen = "[::1]:8080";
    render_fixed(&x, &st);
    v = value_of(&x, "preforkd_info",
                 "{version=\"1.0\\\"beta\\\\\\nx\",protocol=\"http\",listen=\"[::1]:8080\"}");
    assert_non_null(v);
    assert_string_equal(v, "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_top),
        cmocka_unit_test(test_status_workers),
        cmocka_unit_test(test_status_totals),
        cmocka_unit_test(test_status_keeper),
        cmocka_unit_test(test_status_keeper_off),
        cmocka_unit_test(test_status_last_reload),
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_workers_busy),
        cmocka_unit_test(test_workers_nulls),
        cmocka_unit_test(test_workers_edge),
        cmocka_unit_test(test_workers_exec),
        cmocka_unit_test(test_config_values),
        cmocka_unit_test(test_config_keys),
        cmocka_unit_test(test_config_exec),
        cmocka_unit_test(test_config_error_pages),
        cmocka_unit_test(test_config_bool),
        cmocka_unit_test(test_config_text),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_dump_line),
        cmocka_unit_test(test_metrics_values),
        cmocka_unit_test(test_metrics_states_add_up),
        cmocka_unit_test(test_metrics_keeper_off),
        cmocka_unit_test(test_metrics_empty),
        cmocka_unit_test(test_metrics_exec),
        cmocka_unit_test(test_metrics_label_escaping),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
