/* Unit: preforkctl's human output, rendered from fixed replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ctl_format.h"

/* Output captured from a printer. */
struct capture {
    FILE *f;
    char *text;
    size_t len;
};

static void cap_open(struct capture *c)
{
    c->text = NULL;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
}

/* Close the stream; c->text holds everything printed (free it). */
static const char *cap_close(struct capture *c)
{
    fclose(c->f);
    return c->text;
}

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);

    if (j == NULL)
        fail_msg("bad fixture: %s", err.text);
    return j;
}

/* The status report printed from reply (free it). */
static char *status_of(const char *reply)
{
    struct capture c;
    json_t *j = parse(reply);

    cap_open(&c);
    ctl_print_status(c.f, j);
    cap_close(&c);
    json_decref(j);
    return c.text;
}

/* Fail, showing text, unless every one of lines[0..n) is in it. */
static void expect_lines(const char *text, const char *const *lines, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!strstr(text, lines[k]))
            fail_msg("no \"%s\" in:\n%s", lines[k], text);
}

static const char status_reply[] =
    "{\"ok\":true,\"pid\":4242,\"start_time\":86400,\"uptime\":273600,\"generation\":2,"
    "\"version\":\"0.1.0\",\"protocol\":\"http\",\"listen\":\"127.0.0.1:8080\","
    "\"stopping\":false,\"workers\":{\"target\":3,\"max\":8,\"total\":3,\"busy\":1,"
    "\"waiting\":0,\"starting\":0,\"idle\":2,\"reading\":0,\"writing\":1,\"keepalive\":0,"
    "\"closing\":0,\"stopping\":0},\"totals\":{\"connections\":10,\"requests\":25,"
    "\"bytes_in\":2048,\"bytes_out\":3221225472,\"spawned\":4,\"respawns\":1,\"reloads\":0,"
    "\"abnormal_exits\":1,\"hung_killed\":2,\"auth_failures\":0,\"exits_by_signal\":{\"9\":1},"
    "\"parked\":4,\"resumed\":3},\"listen_queue\":{\"length\":0,\"max\":5,\"backlog\":511},"
    "\"keeper\":{\"enabled\":true,\"pid\":4300,\"restarts\":1,\"crashes\":1,\"parked\":5,"
    "\"queued\":2,\"rss_kib\":1740,\"pss_kib\":204,\"totals\":{\"parked\":41,\"handed\":30,"
    "\"expired\":3,\"idle_closed\":2,\"client_closed\":1,\"refused\":4,\"bad\":6}}}";

static const char workers_reply[] =
    "{\"ok\":true,\"workers\":["
    "{\"slot\":0,\"pid\":101,\"generation\":1,\"state\":\"idle\",\"age\":75,"
    "\"connections\":3,\"requests\":12,\"bytes_in\":0,\"bytes_out\":0,\"parked\":2,"
    "\"resumed\":1,\"client\":null,"
    "\"request\":\"GET /old\",\"request_ms\":null,\"last_status\":200},"
    "{\"slot\":1,\"pid\":20202,\"generation\":2,\"state\":\"writing\",\"age\":5,"
    "\"connections\":1,\"requests\":1,\"bytes_in\":0,\"bytes_out\":0,\"parked\":0,"
    "\"resumed\":14,\"client\":\"127.0.0.1:50000\",\"request\":\"GET /big.iso\",\"request_ms\":2345,"
    "\"last_status\":null}]}";

static void test_duration(void **state)
{
    char b[32];

    (void)state;
    ctl_fmt_duration(0, b, sizeof(b));
    assert_string_equal(b, "0s");
    ctl_fmt_duration(42, b, sizeof(b));
    assert_string_equal(b, "42s");
    ctl_fmt_duration(60, b, sizeof(b));
    assert_string_equal(b, "1m0s");
    ctl_fmt_duration(3725, b, sizeof(b));
    assert_string_equal(b, "1h2m");
    ctl_fmt_duration(3 * 86400 + 4 * 3600 + 59, b, sizeof(b));
    assert_string_equal(b, "3d4h");
    ctl_fmt_duration(-1, b, sizeof(b));
    assert_string_equal(b, "?");
}

static void test_running_and_bytes(void **state)
{
    char b[32];

    (void)state;
    ctl_fmt_running(2345, b, sizeof(b));
    assert_string_equal(b, "2.3s");
    ctl_fmt_running(40, b, sizeof(b));
    assert_string_equal(b, "0.0s");
    ctl_fmt_running(63000, b, sizeof(b));
    assert_string_equal(b, "1m3s");
    ctl_fmt_bytes(512, b, sizeof(b));
    assert_string_equal(b, "512 B");
    ctl_fmt_bytes(1536, b, sizeof(b));
    assert_string_equal(b, "1.5 KiB");
    ctl_fmt_bytes(3LL << 30, b, sizeof(b));
    assert_string_equal(b, "3.0 GiB");
}

/* Terminal controls from a client's request never reach the terminal. */
static void test_safe(void **state)
{
    char b[32];

    (void)state;
    ctl_fmt_safe("a\033[2Jb\n\xc3\xa9", b, sizeof(b));
    assert_string_equal(b, "a?[2Jb???");
    ctl_fmt_safe("abcdef", b, 4);
    assert_string_equal(b, "abc");
}

static void test_status(void **state)
{
    struct capture c;
    json_t *j = parse(status_reply);
    const char *t;

    (void)state;
    cap_open(&c);
    ctl_print_status(c.f, j);
    t = cap_close(&c);
    assert_non_null(strstr(t, "pid:             4242\n"));
    assert_non_null(strstr(t, "uptime:          3d4h (since 1970-01-02 00:00:00)\n"));
    assert_non_null(strstr(t, "state:           running\n"));
    assert_non_null(
        strstr(t, "workers:         2 idle, 1 busy, 0 waiting, 3 total (target 3, max 8)\n"));
    assert_non_null(strstr(t, "worker states:   idle 2, writing 1\n"));
    assert_non_null(strstr(t, "sent:            3.0 GiB\n"));
    assert_non_null(strstr(t, "spawned:         4 (1 respawns, 1 abnormal exits)\n"));
    assert_non_null(strstr(t, "exits by signal: SIGKILL: 1\n"));
    assert_non_null(strstr(t, "hung killed:     2\n"));
    assert_null(strstr(t, "failed forks")); /* not sent by this server */
    assert_non_null(strstr(t, "listen queue:    0 (max 5, backlog 511)\n"));
    assert_non_null(strstr(t, "keeper:          pid 4300, 5 parked, 30 handed back, 1 restarts, "
                              "RSS 1.7 MiB, PSS 204.0 KiB\n"));
    assert_non_null(strstr(t, "keeper totals:   41 parked, 3 expired, 2 idle closed, 1 client "
                              "closed, 4 refused, 6 bad (2 queued now)\n"));
    assert_non_null(strstr(t, "connections:     10 (4 parked with the keeper, 3 taken back)\n"));
    free(c.text);
    json_decref(j);
}

/* The worker groups add up to the total, starting and stopping shown
 * when there are any; the keeper off, or being replaced (no pid, its
 * memory unknown). */
static void test_status_groups_and_keeper(void **state)
{
    static const char *const replies[3] = {
        "{\"ok\":true,\"workers\":{\"total\":5,\"idle\":1,\"busy\":1,\"waiting\":1,"
        "\"starting\":1,\"stopping\":1,\"target\":4,\"max\":8},\"keeper\":{\"enabled\":false}}",
        "{\"ok\":true,\"workers\":{\"total\":2,\"idle\":1,\"busy\":0,\"waiting\":1,"
        "\"starting\":0,\"stopping\":0,\"keepalive\":1,\"target\":2,\"max\":8},"
        "\"keeper\":{\"enabled\":true,"
        "\"pid\":0,\"parked\":0,\"restarts\":2,\"rss_kib\":0,\"pss_kib\":0,"
        "\"totals\":{\"handed\":9}}}",
        "{\"ok\":true,\"workers\":{\"total\":1,\"idle\":1,\"busy\":0,\"waiting\":0,"
        "\"starting\":0,\"stopping\":0,\"target\":1,\"max\":8},\"keeper\":{\"enabled\":true,"
        "\"pid\":77,\"parked\":3,\"restarts\":0,\"rss_kib\":100,\"pss_kib\":20,"
        "\"totals\":{\"handed\":1}}}"};
    static const char *const lines[3][3] = {
        {"workers:       1 idle, 1 busy, 1 waiting, 1 starting, 1 stopping, 5 total (target 4, "
         "max 8)\n",
         "keeper:        off (keeper.parking = false)\n",
         "worker states: idle 1, starting 1, stopping 1\n"}, /* busy's and waiting's are not */
        {"workers:       1 idle, 0 busy, 1 waiting, 2 total (target 2, max 8)\n",
         "keeper:        not running, 0 parked, 9 handed back, 2 restarts\n",
         "worker states: idle 1, keepalive 1\n"},
        {"workers:       1 idle, 0 busy, 0 waiting, 1 total (target 1, max 8)\n",
         "keeper:        pid 77, 3 parked, 1 handed back, 0 restarts, RSS 100.0 KiB, PSS 20.0 "
         "KiB\n",
         "worker states: idle 1\n"}};

    (void)state;
    for (int i = 0; i < 3; i++) {
        char *t = status_of(replies[i]);

        expect_lines(t, lines[i], 3);
        if (i == 0 && strstr(t, "keeper totals"))
            fail_msg("keeper totals with the keeper off:\n%s", t);
        free(t);
    }
}

/* The supervision lines of a server that sends them: mode, backoff
 * (running or not), saturation count. */
static void test_status_supervision(void **state)
{
    static const char *const replies[2] = {
        "{\"ok\":true,\"respawn_backoff_ms\":2000,\"crash_exits_recent\":6,"
        "\"workers\":{\"mode\":\"dynamic\"},\"totals\":{\"max_workers_reached\":3}}",
        "{\"ok\":true,\"respawn_backoff_ms\":0,\"crash_exits_recent\":1,"
        "\"workers\":{\"mode\":\"static\"},\"totals\":{\"max_workers_reached\":0}}"};
    static const char *const lines[2][3] = {
        {"pool mode:     dynamic\n", "respawn delay: 2.0 s between forks (recent crashes: 6)\n",
         "max reached:   3 times (every worker busy at workers.max)\n"},
        {"pool mode:     static\n", "respawn delay: none (recent crashes: 1)\n",
         "max reached:   0 times"}};

    (void)state;
    for (int i = 0; i < 2; i++) {
        char *t = status_of(replies[i]);

        expect_lines(t, lines[i], 3);
        free(t);
    }
}

/* A server that counts failed forks: the count has its own line. */
static void test_status_fork_failures(void **state)
{
    struct capture c;
    json_t *j = parse("{\"ok\":true,\"totals\":{\"fork_failures\":5}}");
    const char *t;

    (void)state;
    cap_open(&c);
    ctl_print_status(c.f, j);
    t = cap_close(&c);
    if (!strstr(t, "failed forks:  5\n"))
        fail_msg("no \"failed forks:  5\" in:\n%s", t);
    free(c.text);
    json_decref(j);
}

/* An exec pool's lines, and the last reload in each state it can be in. */
static void test_status_exec_and_last_reload(void **state)
{
    static const char *const replies[] = {
        "{\"ok\":true,\"exec\":{\"enabled\":true,\"notify_messages\":40,"
        "\"notify_foreign\":2,\"notify_bad\":1,\"notify_refused\":0,\"not_ready\":3,"
        "\"watchdog_kills\":4},\"totals\":{\"reloads\":5,\"reload_rollbacks\":1,"
        "\"memory_recycled\":6},\"last_reload\":{\"generation\":4,\"state\":\"rolled_back\","
        "\"serving_generation\":5,\"failed_starts\":2,\"reason\":\"no READY=1\"}}",
        "{\"ok\":true,\"last_reload\":{\"generation\":2,\"state\":\"serving\","
        "\"serving_generation\":2,\"failed_starts\":0,\"reason\":null}}",
        "{\"ok\":true,\"last_reload\":{\"generation\":3,\"state\":\"rolling\","
        "\"serving_generation\":3,\"failed_starts\":1,\"reason\":\"exited with status 3\"}}",
        "{\"ok\":true,\"exec\":{\"enabled\":false},\"last_reload\":null}",
    };
    static const char *const want[][5] = {
        {"notify:        40 messages (2 from strangers, 1 dropped, 0 refused)\n",
         "exec kills:    3 not ready in time, 4 watchdog\n",
         "recycled:      6 for memory (over workers.max_memory)\n",
         "reloads:       5 (1 rolled back)\n",
         "last reload:   generation 4 rolled back (2 failed starts, last: no READY=1); "
         "generation 5 runs the previous configuration\n"},
        {"last reload:   generation 2 serving\n"},
        {"last reload:   generation 3 starting (1 failed starts, last: exited with status 3)\n"},
        {"reloads:       ?\n"},
    };
    static const size_t nwant[] = {5, 1, 1, 1};

    (void)state;
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        char *t = status_of(replies[i]);

        expect_lines(t, want[i], nwant[i]);
        if (i == 3 && (strstr(t, "notify") || strstr(t, "last reload")))
            fail_msg("exec or reload lines without their fields:\n%s", t);
        free(t);
    }
}

/* Fields a server does not send print as "?"; nothing crashes. */
static void test_status_missing_fields(void **state)
{
    struct capture c;
    json_t *j = parse("{\"ok\":true}");
    const char *t;

    (void)state;
    cap_open(&c);
    ctl_print_status(c.f, j);
    t = cap_close(&c);
    assert_non_null(strstr(t, "pid:"));
    assert_non_null(strstr(t, "? idle, ? busy, ? waiting, ? total (target ?, max ?)"));
    assert_null(strstr(t, "pool mode"));
    assert_null(strstr(t, "keeper"));
    assert_null(strstr(t, "respawn delay"));
    free(c.text);
    json_decref(j);
}

/* The workers table printed from reply, uncut, must be want. */
static void expect_table(const char *reply, const char *want)
{
    struct capture c;
    json_t *j = parse(reply);

    cap_open(&c);
    ctl_print_workers(c.f, j, 0, 0);
    assert_string_equal(cap_close(&c), want);
    free(c.text);
    json_decref(j);
}

static void test_workers(void **state)
{
    (void)state;
    expect_table(workers_reply, "SLOT    PID  GEN  STATE      AGE  CONNS  REQS  PARKED  RESUMED  "
                                "CLIENT           REQUEST\n"
                                "   0    101    1  idle     1m15s      3    12       2        1  "
                                "-                GET /old\n"
                                "   1  20202    2  writing     5s      1     1       0       14  "
                                "127.0.0.1:50000  GET /big.iso (2.3s)\n");
}

/* Exec workers (they carry "status"): readiness (idle shows as ready),
 * memory, the watchdog's last ping, the client held and the program's
 * STATUS= text. */
static void test_workers_exec(void **state)
{
    (void)state;
    expect_table(
        "{\"ok\":true,\"workers\":["
        "{\"slot\":0,\"pid\":101,\"generation\":1,\"state\":\"idle\",\"age\":75,"
        "\"client\":null,\"status\":\"waiting\",\"ready\":true,\"private_kib\":7568,"
        "\"watchdog_ms\":1042},"
        "{\"slot\":1,\"pid\":102,\"generation\":2,\"state\":\"starting\",\"age\":0,"
        "\"client\":null,\"status\":null,\"ready\":false,\"private_kib\":null,"
        "\"watchdog_ms\":null},"
        "{\"slot\":2,\"pid\":103,\"generation\":1,\"state\":\"serving\",\"age\":80,"
        "\"client\":\"127.0.0.1:50000\",\"status\":\"serving 1 client\",\"ready\":true,"
        "\"private_kib\":2048,\"watchdog_ms\":65000},"
        "{\"slot\":3,\"pid\":104,\"generation\":1,\"state\":\"stopping\",\"age\":90,"
        "\"client\":null,\"status\":\"draining\",\"ready\":true,\"private_kib\":1024,"
        "\"watchdog_ms\":10}]}",
        "SLOT  PID  GEN  STATE       AGE   MEMORY  WATCHDOG  CLIENT           STATUS\n"
        "   0  101    1  ready     1m15s  7.4 MiB      1.0s  -                waiting\n"
        "   1  102    2  starting     0s        -         -  -                -\n"
        "   2  103    1  serving   1m20s  2.0 MiB      1m5s  127.0.0.1:50000  serving 1 client\n"
        "   3  104    1  stopping  1m30s  1.0 MiB      0.0s  -                draining\n");
}

static void test_workers_cut_to_width(void **state)
{
    struct capture c;
    json_t *j = parse(workers_reply);
    const char *t;

    (void)state;
    cap_open(&c);
    ctl_print_workers(c.f, j, 20, 0);
    t = cap_close(&c);
    for (const char *line = t; *line; line = strchr(line, '\n') + 1)
        assert_true(strcspn(line, "\n") <= 20);
    free(c.text);
    json_decref(j);
}

/* A table taller than the screen ends with how many were left out; one
 * that fits exactly is whole. */
static void test_workers_cut_to_rows(void **state)
{
    struct capture c;
    json_t *j = parse(workers_reply);

    (void)state;
    cap_open(&c);
    ctl_print_workers(c.f, j, 0, 2);
    ctl_print_workers(c.f, j, 0, 3);
    assert_string_equal(
        cap_close(&c), "SLOT  PID  GEN  STATE  AGE  CONNS  REQS  PARKED  RESUMED  CLIENT  REQUEST\n"
                       "(2 more)\n"
                       "SLOT    PID  GEN  STATE      AGE  CONNS  REQS  PARKED  RESUMED  "
                       "CLIENT           REQUEST\n"
                       "   0    101    1  idle     1m15s      3    12       2        1  "
                       "-                GET /old\n"
                       "   1  20202    2  writing     5s      1     1       0       14  "
                       "127.0.0.1:50000  GET /big.iso (2.3s)\n");
    free(c.text);
    json_decref(j);
}

static void test_config(void **state)
{
    struct capture c;
    json_t *j = parse("{\"ok\":true,\"config\":{\"listen\":\"127.0.0.1:80\",\"backlog\":511,"
                      "\"workers\":{\"start\":4,\"graceful_timeout\":0.5}}}");

    (void)state;
    cap_open(&c);
    ctl_print_config(c.f, j);
    assert_string_equal(cap_close(&c), "listen = \"127.0.0.1:80\"\n"
                                       "backlog = 511\n"
                                       "workers:\n"
                                       "    start = 4\n"
                                       "    graceful_timeout = 0.5\n");
    free(c.text);
    json_decref(j);
}

/* Events print oldest first, one a line, their texts made safe; an
 * event without a field still prints. */
static void test_events(void **state)
{
    struct capture c;
    json_t *j = parse("{\"ok\":true,\"events\":["
                      "{\"seq\":3,\"time\":\"2026-12-07T09:14:03.120Z\",\"level\":\"warn\","
                      "\"text\":\"worker 42 killed by signal 9 (Killed)\"},"
                      "{\"seq\":2,\"time\":\"2026-12-07T09:14:01.000Z\",\"level\":\"notice\","
                      "\"text\":\"last output: \\u001b[2Jgone\"},"
                      "{\"seq\":1}]}");

    (void)state;
    cap_open(&c);
    ctl_print_events(c.f, j);
    assert_string_equal(cap_close(&c),
                        "? ?       ?\n"
                        "2026-12-07T09:14:01.000Z notice  last output: ?[2Jgone\n"
                        "2026-12-07T09:14:03.120Z warn    worker 42 killed by signal 9 (Killed)\n");
    free(c.text);
    json_decref(j);
}

/* Each command's confirmation; reload's: the generation, what changed,
 * what waits for a restart (an older server's bare {"ok":true} still
 * prints). */
static void test_confirmations(void **state)
{
    static const char *const replies[][2] = {
        {"scale", "{\"ok\":true,\"previous\":2,\"target\":3}"},
        {"stop", "{\"ok\":true,\"stopping\":\"fast\"}"},
        {"help", "{\"ok\":true,\"commands\":[\"status\",\"workers\"]}"},
        {"reload", "{\"ok\":true,\"generation\":3,\"changed\":[\"listen\",\"http.root\"],"
                   "\"restart_required\":[\"workers.max\",\"control.listen\"]}"},
        {"reload", "{\"ok\":true,\"generation\":2,\"changed\":[],\"restart_required\":[]}"},
        {"reload", "{\"ok\":true}"},
    };
    struct capture c;

    (void)state;
    cap_open(&c);
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        json_t *j = parse(replies[i][1]);

        ctl_print_confirmation(c.f, replies[i][0], j);
        json_decref(j);
    }
    assert_string_equal(cap_close(&c), "workers target: 2 -> 3\n"
                                       "stopping (fast)\n"
                                       "server commands: status workers\n"
                                       "configuration reloaded: generation 3\n"
                                       "changed: listen, http.root\n"
                                       "not applied until restart: workers.max, control.listen\n"
                                       "configuration reloaded: generation 2\n"
                                       "no setting changed\n"
                                       "configuration reloaded: generation ?\n"
                                       "no setting changed\n");
    free(c.text);
}

/* The header in three lines; cut to width, each line on its own. */
static void test_top_header(void **state)
{
    struct capture c;
    json_t *j = parse(status_reply);
    const char *t;

    (void)state;
    cap_open(&c);
    assert_int_equal(ctl_print_top_header(c.f, j, (time_t)3661, 12.5, 2.0, 0),
                     CTL_TOP_HEADER_LINES);
    ctl_print_top_header(c.f, j, (time_t)3661, -1, -1, 30);
    t = cap_close(&c);
    assert_string_equal(t, "01:01:01  pid 4242  up 3d4h  requests 25 (12.5/s)\n"
                           "workers 3 (target 3): 2 idle, 1 busy, 0 waiting\n"
                           "connections 10  keeper: 5 parked (2.0 handoffs/s)\n"
                           "01:01:01  pid 4242  up 3d4h  r\n"
                           "workers 3 (target 3): 2 idle,\n"
                           "connections 10  keeper: 5 park\n");
    free(c.text);
    json_decref(j);
}

/* Without a keeper (off, or a server that has none) the header says
 * nothing of parking; before the second frame no rate is shown; a
 * stopping server says so. */
static void test_top_header_no_keeper(void **state)
{
    struct capture c;
    json_t *off = parse("{\"ok\":true,\"keeper\":{\"enabled\":false},\"stopping\":true}");
    json_t *on = parse("{\"ok\":true,\"keeper\":{\"enabled\":true,\"parked\":0}}");
    const char *t;

    (void)state;
    cap_open(&c);
    ctl_print_top_header(c.f, off, (time_t)0, 1.0, 1.0, 0);
    ctl_print_top_header(c.f, on, (time_t)0, -1, -1, 0);
    t = cap_close(&c);
    assert_non_null(strstr(t, "requests ? (1.0/s)  STOPPING\nworkers ? (target ?): ? idle, ? busy, "
                              "? waiting\nconnections ?\n"));
    assert_non_null(strstr(t, "requests ?\n"));
    assert_non_null(strstr(t, "\nconnections ?  keeper: 0 parked\n"));
    free(c.text);
    json_decref(off);
    json_decref(on);
}

/* A big pool of a long-running server, every part of the header at its
 * widest (a pid of 7 digits, totals in the billions, workers starting and
 * stopping, the keeper holding many connections, stopping): every line
 * fits an 80-column terminal uncut. */
static void test_top_header_fits_80(void **state)
{
    static const char big[] =
        "{\"ok\":true,\"pid\":4194303,\"uptime\":10713600,\"stopping\":true,"
        "\"workers\":{\"target\":64,\"max\":64,\"total\":64,\"idle\":30,\"busy\":20,"
        "\"waiting\":10,\"starting\":2,\"stopping\":2},"
        "\"totals\":{\"connections\":987654321,\"requests\":9876543210},"
        "\"keeper\":{\"enabled\":true,\"parked\":1048576}}";
    struct capture c;
    json_t *j = parse(big);
    const char *t, *line;
    int n = 0;

    (void)state;
    cap_open(&c);
    ctl_print_top_header(c.f, j, (time_t)86399, 123456.7, 12345.6, 0);
    t = cap_close(&c);
    for (line = t; *line; n++) {
        size_t len = strcspn(line, "\n");

        if (len > 80)
            fail_msg("line of %zu columns:\n%.*s", len, (int)len, line);
        line += len + (line[len] == '\n');
    }
    assert_int_equal(n, CTL_TOP_HEADER_LINES);
    /* nothing was left out */
    expect_lines(t,
                 (const char *const[]){
                     "pid 4194303", "up 124d0h", "requests 9876543210 (123456.7/s)", "STOPPING",
                     "64 (target 64)", "2 starting, 2 stopping", "connections 987654321",
                     "1048576 parked (12345.6 handoffs/s)"},
                 8);
    free(c.text);
    json_decref(j);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_running_and_bytes),
        cmocka_unit_test(test_safe),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_status_groups_and_keeper),
        cmocka_unit_test(test_status_supervision),
        cmocka_unit_test(test_status_fork_failures),
        cmocka_unit_test(test_status_missing_fields),
        cmocka_unit_test(test_status_exec_and_last_reload),
        cmocka_unit_test(test_workers),
        cmocka_unit_test(test_workers_exec),
        cmocka_unit_test(test_workers_cut_to_width),
        cmocka_unit_test(test_workers_cut_to_rows),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_confirmations),
        cmocka_unit_test(test_top_header),
        cmocka_unit_test(test_top_header_no_keeper),
        cmocka_unit_test(test_top_header_fits_80),
    };

    setenv("TZ", "UTC", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
