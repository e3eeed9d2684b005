/* Integration: the supervision policy, checked as an operator would:
 * through `preforkctl status`, the log, and the worker processes.
 *  - a dynamic pool grows under a burst of clients that hold workers,
 *    and shrinks back one worker per second when they leave;
 *  - every worker busy at workers.max is counted and logged once, and
 *    the waiting client is served when a worker frees;
 *  - a dynamic pool refuses `scale` and ignores SIGTTIN;
 *  - max_requests with jitter: each worker leaves after its own limit,
 *    between max_requests and max_requests + jitter;
 *  - max_lifetime retires workers gracefully while clients keep being
 *    served;
 *  - a stopping master, with no tick to run, still sleeps;
 *  - workers that cannot start make the master back off (growing
 *    delays, few forks) while it answers the control channel at once,
 *    and it recovers by itself once they can start again.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_time.h"

#define BURST 6           /* clients holding a worker each */
#define STATUS_STEP_MS 50 /* between two status polls (each runs preforkctl) */
#define MAX_LINES 64      /* log lines examined per pattern */

/* ------------------------------------------------------------ helpers */

/* Age past which a worker's abnormal end is not a crash (the server's
 * PF_SUPERVISE_YOUNG_MS, 1 s), with a margin. */
#define PF_SUPERVISE_AGE_MS 1200

/* Start a server (protocol, the settings inside `workers = { }`, more
 * top-level settings in extra) with the control channel on, and wait
 * for its first n workers. */
static void start_with(struct pf_server *s, const char *protocol, const char *workers,
                       const char *extra, int n)
{
    char body[2048];
    int len = snprintf(body, sizeof(body),
                       "listen = \"127.0.0.1:0\";\nprotocol = \"%s\";\n"
                       "workers = { %s stop_timeout = 5; };\n"
                       "client = { read_timeout = 5; write_timeout = 5; idle_timeout = 10; };\n"
                       "daemon = { log_level = \"info\"; %s};\n"
                       /* the classic model: a client held open holds a worker,
                          which is how these tests make workers busy */
                       "keeper = { parking = false; };\n%s%s\n",
                       protocol, workers,
                       /* preforkd refuses to leave workers root unless told */
                       geteuid() == 0 ? "user = \"root\"; " : "", PF_H_CTL_CONFIG, extra);

    assert_true(len > 0 && (size_t)len < sizeof(body));
    assert_int_equal(pf_h_start(s, body), 0);
    assert_int_equal(pf_h_wait_workers(s, n, PF_H_WAIT_MS), 0);
}

/* `status` and the integer group.key (key alone when group is NULL) in
 * its reply; -1 on any failure. */
static long long status_int(struct pf_server *s, const char *group, const char *key)
{
    char path[96];

    snprintf(path, sizeof(path), "%s%s%s", group ? group : "", group ? "." : "", key);
    return pf_h_ctl_status_int(s, path);
}

/* Poll `status` until group.key is at least want (exactly want when
 * exact); the last value read, or -1 past timeout_ms. */
static long long wait_status(struct pf_server *s, const char *group, const char *key,
                             long long want, bool exact, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    long long v;

    for (;;) {
        v = status_int(s, group, key);
        if (exact ? v == want : v >= want)
            return v;
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("status %s.%s is %lld, waited for %s%lld", group ? group : "", key, v,
                      exact ? "" : ">= ", want);
            return -1;
        }
        usleep(STATUS_STEP_MS * 1000);
    }
}

/* The log lines holding needle: pointers to where needle starts in each
 * (into *log, which the caller frees), at most MAX_LINES; their count. */
static int log_find(const struct pf_server *s, const char *needle, const char *at[MAX_LINES],
                    char **log)
{
    int n = 0;

    *log = pf_h_log_read(s);
    assert_non_null(*log);
    for (const char *p = *log; n < MAX_LINES && (p = strstr(p, needle)) != NULL; p++)
        at[n++] = p;
    return n;
}

/* The time of day of the log line holding p, in ms ("...T12:28:27.775+0000"). */
static int64_t log_time_ms(const char *log, const char *p)
{
    int h, m, sec, ms;

    while (p > log && p[-1] != '\n')
        p--;
    assert_int_equal(sscanf(p, "%*4d-%*2d-%*2dT%d:%d:%d.%d", &h, &m, &sec, &ms), 4);
    return ((h * 60 + m) * 60 + sec) * 1000LL + ms;
}

/* Client i (see send_line) gets its line back: a worker now holds it. */
static int held_client(int fd, int i)
{
    char line[32], back[32];
    int n = snprintf(line, sizeof(line), "client %d\n", i);

    if (pf_h_recv(fd, back, (size_t)n) < 0 || memcmp(line, back, (size_t)n) != 0)
        return -1;
    return 0;
}

/* Connect and send one line, without waiting for the reply. The fd. */
static int send_line(struct pf_server *s, int i)
{
    char line[32];
    int n = snprintf(line, sizeof(line), "client %d\n", i);
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    assert_int_equal(pf_h_send(fd, line, (size_t)n), 0);
    return fd;
}

/* ----------------------------------------------------- dynamic pool */

/* The growth steps logged: the first is 1, a later one more (the rate
 * doubles while short), none above max_spawn_rate (4 here). */
static void check_growth_log(const struct pf_server *s)
{
    const char *at[MAX_LINES];
    char *log;
    int n = log_find(s, "pool growing from ", at, &log), biggest = 0;

    assert_true(n >= 2);
    for (int i = 0; i < n; i++) {
        int from, to;

        assert_int_equal(sscanf(at[i], "pool growing from %d to %d", &from, &to), 2);
        assert_true(to - from >= 1 && to - from <= 4);
        if (i == 0)
            assert_int_equal(to - from, 1);
        biggest = to - from > biggest ? to - from : biggest;
    }
    assert_true(biggest >= 2);
    free(log);
}

/* The shrink steps logged: one worker each, `steps` of them, spaced by
 * the tick (about a second; the schedule is anchored, so a late tick
 * may be followed by an early-looking one), never back to back. */
static void check_shrink_log(const struct pf_server *s, int steps)
{
    const char *at[MAX_LINES];
    char *log;
    int n = log_find(s, "pool shrinking from ", at, &log);

    assert_int_equal(n, steps);
    for (int i = 0; i < n; i++) {
        int from, to;

        assert_int_equal(sscanf(at[i], "pool shrinking from %d to %d", &from, &to), 2);
        assert_int_equal(from - to, 1);
        if (i > 0)
            assert_true(log_time_ms(log, at[i]) - log_time_ms(log, at[i - 1]) >= 500);
    }
    assert_true(log_time_ms(log, at[n - 1]) - log_time_ms(log, at[0]) >= (n - 1) * 1000 - 300);
    free(log);
}

PF_H_TEST(test_dynamic_pool_grows_and_shrinks)
{
    int fd[BURST];
    long long total;

    start_with(s, "echo",
               "start = 2; max = 12; mode = \"dynamic\"; min_spare = 1; max_spare = 2; "
               "max_spawn_rate = 4;",
               "", 2);
    for (int i = 0; i < BURST; i++)
        fd[i] = send_line(s, i);
    for (int i = 0; i < BURST; i++)
        assert_int_equal(held_client(fd[i], i), 0); /* served once the pool grew */
    assert_true(wait_status(s, "workers", "idle", 1, false, PF_H_WAIT_MS) >= 1);
    total = status_int(s, "workers", "total");
    assert_true(total >= BURST + 1 && total <= 12);
    check_growth_log(s);

    for (int i = 0; i < BURST; i++)
        close(fd[i]);
    /* Polling status wakes the master every STATUS_STEP_MS: it must still
     * retire only one worker a second. */
    assert_int_equal(wait_status(s, "workers", "total", 2, true, 15000), 2);
    check_shrink_log(s, (int)total - 2);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
    assert_int_equal(pf_h_check_serves(s), 0);
}

/* Every worker busy with workers.max running: counted once for the
 * episode, logged once (at most once a minute), the waiting client kept
 * in the listen queue and served when a worker frees. */
PF_H_TEST(test_max_workers_reached)
{
    int a, b, c;
    long long up;
    struct pollfd p;

    start_with(s, "echo", "start = 1; max = 2; mode = \"dynamic\"; min_spare = 1; max_spare = 1;",
               "", 1);
    a = pf_h_connect_served(s);
    b = pf_h_connect_served(s); /* served by the worker the pool grew */
    assert_true(a >= 0 && b >= 0);
    c = send_line(s, 3);
    assert_int_equal(wait_status(s, "totals", "max_workers_reached", 1, true, PF_H_WAIT_MS), 1);
    assert_int_equal(pf_h_wait_log(s, "workers.max is reached", PF_H_WAIT_MS), 0);
    assert_true(status_int(s, "listen_queue", "length") >= 1);

    up = status_int(s, NULL, "uptime");
    assert_true(wait_status(s, NULL, "uptime", up + 3, false, 6000) >= up + 3);
    assert_int_equal(pf_h_log_count(s, "workers.max is reached"), 1);
    assert_int_equal(status_int(s, "totals", "max_workers_reached"), 1);
    p = (struct pollfd){.fd = c, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0); /* still waiting */

    close(a);
    assert_int_equal(held_client(c, 3), 0);
    close(b);
    close(c);
}

/* In the dynamic mode the pool sizes itself: `scale` is refused with the
 * reason, SIGTTIN is logged and ignored. */
PF_H_TEST(test_dynamic_pool_refuses_scale)
{
    struct pf_h_output o;
    pid_t pids[4];

    start_with(s, "echo", "start = 2; max = 8; mode = \"dynamic\"; min_spare = 1; max_spare = 4;",
               "", 2);
    assert_int_equal(pf_h_ctl_run(s, &o, false, "scale", "+1", (char *)NULL), 0);
    assert_true(pf_h_exited_with(o.status, 1));
    assert_non_null(strstr(o.err, "the pool is dynamic"));
    pf_h_output_free(&o);
    assert_int_equal(pf_h_signal(s, SIGTTIN), 0);
    assert_int_equal(pf_h_wait_log(s, "SIGTTIN/SIGTTOU ignored", PF_H_WAIT_MS), 0);
    assert_int_equal(status_int(s, "workers", "target"), 2);
    assert_int_equal(pf_h_worker_pids(s, pids, 4), 2);
    assert_false(pf_h_log_contains(s, "scaling the pool"));
}

/* ---------------------------------------------------------- recycling */

/* max_requests = 5, jitter = 5, one request per connection: every
 * worker leaves after exactly its own limit, each limit within 5..10,
 * and the limits differ (the chance that ten draws are all equal is
 * about 1e-7). */
PF_H_TEST(test_max_requests_with_jitter)
{
    const char *at[MAX_LINES];
    char *log;
    bool seen[11] = {false};
    int n, distinct = 0;

    start_with(s, "echo", "start = 1; max = 4; max_requests = 5; max_requests_jitter = 5;", "", 1);
    for (int i = 0; i < 80; i++)
        assert_int_equal(pf_h_check_serves(s), 0);
    assert_int_equal(pf_h_wait_log_count(s, "recycling: served", 8, PF_H_WAIT_MS), 0);
    n = log_find(s, "recycling: served", at, &log);
    for (int i = 0; i < n; i++) {
        long served, limit, base, jitter;

        assert_int_equal(sscanf(at[i],
                                "recycling: served %ld requests, its limit %ld "
                                "(max_requests %ld + jitter %ld)",
                                &served, &limit, &base, &jitter),
                         4);
        assert_true(served == limit && base == 5 && jitter == limit - 5);
        assert_true(limit >= 5 && limit <= 10);
        distinct += !seen[limit];
        seen[limit] = true;
    }
    free(log);
    assert_true(distinct >= 2);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* The "ran N ms" of worker pid's lifetime retirement in the log; -1. */
static long long lifetime_ran_ms(const struct pf_server *s, pid_t pid)
{
    char needle[64];
    char *log = pf_h_log_read(s);
    const char *p;
    long long ran = -1;

    snprintf(needle, sizeof(needle), "recycling worker %ld: ran ", (long)pid);
    p = log ? strstr(log, needle) : NULL;
    if (p == NULL || sscanf(p + strlen(needle), "%lld", &ran) != 1)
        ran = -1;
    free(log);
    return ran;
}

/* max_lifetime = 1 s: both first workers are retired after at least
 * their lifetime, exit cleanly, are replaced, and not one client fails
 * meanwhile. */
PF_H_TEST(test_max_lifetime_retires)
{
    pid_t first[2];
    int64_t deadline;
    char exited[64];

    start_with(s, "echo", "start = 2; max = 4; max_lifetime = 1;", "", 2);
    assert_int_equal(pf_h_worker_pids(s, first, 2), 2);
    deadline = pf_time_now_ms() + 8000;
    while (pf_h_pid_alive(first[0]) || pf_h_pid_alive(first[1])) {
        assert_int_equal(pf_h_check_serves(s), 0);
        assert_true(pf_time_now_ms() < deadline);
        usleep(PF_H_POLL_MS * 1000);
    }
    for (int i = 0; i < 2; i++) {
        assert_true(lifetime_ran_ms(s, first[i]) >= 1000);
        snprintf(exited, sizeof(exited), "worker %ld exited with status 0", (long)first[i]);
        assert_int_equal(pf_h_wait_log(s, exited, PF_H_WAIT_MS), 0);
    }
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_check_serves(s), 0);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* ------------------------------------------------------------ the tick */

/* CPU time pid has used, in ns (the first field of /proc/PID/schedstat:
 * time on a CPU); -1 if unknown. */
static long long cpu_ns(pid_t pid)
{
    char path[64];
    long long ns = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/schedstat", (long)pid);
    f = fopen(path, "r");
    if (f != NULL && fscanf(f, "%lld", &ns) != 1)
        ns = -1;
    if (f != NULL)
        fclose(f);
    return ns;
}

/* While stopping there is no tick to run: a tick falling due then must
 * not turn the master's sleep into a busy loop. The master is watched,
 * idle, over a second and a half of a graceful stop held open by a client
 * (long enough for a tick to fall due); it may use a fraction of that. */
PF_H_TEST(test_stopping_master_sleeps)
{
    int fd;
    long long before, after;
    int64_t end;

    start_with(s, "echo", "start = 1; max = 2; mode = \"dynamic\"; min_spare = 0; max_spare = 1;",
               "", 1);
    fd = pf_h_connect_served(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(pf_h_wait_log(s, "graceful stop", PF_H_WAIT_MS), 0);
    before = cpu_ns(s->pid);
    end = pf_time_now_ms() + 1500;
    while (pf_time_now_ms() < end) {
        assert_true(pf_h_running(s));
        usleep(PF_H_POLL_MS * 1000);
    }
    after = cpu_ns(s->pid);
    assert_true(before >= 0 && after >= before);
    assert_true(after - before < 250000000LL); /* a quarter of a second */
    close(fd);
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, NULL), 0);
}

/* ------------------------------------------------------- crash backoff */

/* The order of the backoff's lines: each delay logged once, growing. */
static void check_backoff_log(const struct pf_server *s)
{
    static const char *const delays[] = {"respawn delay 1000 ms", "respawn delay 2000 ms",
                                         "respawn delay 4000 ms"};
    char *log = pf_h_log_read(s);
    const char *prev = log;

    assert_non_null(log);
    for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
        const char *p = strstr(log, delays[i]);

        assert_non_null(p);
        assert_true(p > prev);
        assert_null(strstr(p + 1, delays[i]));
        prev = p;
    }
    assert_non_null(strstr(log, "could not start: cannot open access log"));
    free(log);
}

/* For ms: `status` answers within a second each time and shows the
 * backoff (and, at first, the recent crashes). Returns the workers
 * forked meanwhile. */
static int status_during_backoff(struct pf_server *s, int ms)
{
    int before = pf_h_log_count(s, " started (slot ");
    int64_t end = pf_time_now_ms() + ms;
    long long crashes = 0;

    while (pf_time_now_ms() < end) {
        int64_t t0 = pf_time_now_ms();
        json_t *st = pf_h_ctl_json(s, "status", NULL);

        assert_non_null(st);
        assert_true(pf_time_now_ms() - t0 < 1000);
        assert_int_equal(pf_h_json_int(st, NULL, "respawn_backoff_ms"), 4000);
        if (pf_h_json_int(st, NULL, "crash_exits_recent") > crashes)
            crashes = pf_h_json_int(st, NULL, "crash_exits_recent");
        json_decref(st);
        usleep(STATUS_STEP_MS * 1000);
    }
    assert_true(crashes >= 1);
    return pf_h_log_count(s, " started (slot ") - before;
}

/* Workers that cannot open their access log exit 3 at start. With
 * crash_limit 2 in 3 s and backoff_max 4 s: backoff at 1 s, 2 s, 4 s,
 * at most one fork per 4 s then (a spinning master would fork hundreds
 * in 3 s), the master answering all along; once the folder is back,
 * recovery and service. */
PF_H_TEST(test_crash_loop_backs_off_and_recovers)
{
    struct pf_h_http r;

    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/index.html", "hello\n", NULL), 0);
    assert_int_equal(pf_h_mkdir(s, "logs"), 0);
    start_with(s, "http", "start = 2; max = 4; crash_limit = 2; crash_window = 3; backoff_max = 4;",
               "http = { root = \"www\"; access_log = \"logs/access.log\"; };\n", 2);
    assert_int_equal(wait_status(s, "workers", "idle", 2, true, PF_H_WAIT_MS), 2); /* log open */
    assert_int_equal(pf_h_start_crash_loop(s, 2), 0);

    assert_int_equal(pf_h_wait_log(s, "respawn delay 4000 ms", 15000), 0);
    check_backoff_log(s);
    assert_true(status_during_backoff(s, 3000) <= 1);

    assert_int_equal(pf_h_mkdir(s, "logs"), 0);
    assert_int_equal(pf_h_wait_log(s, "respawn backoff over", 15000), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    assert_int_equal(status_int(s, NULL, "respawn_backoff_ms"), 0);
    assert_int_equal(pf_h_http_once(s, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                                    &r),
                     0);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
}

/* Kill every worker with SIGKILL, one at a time, each once the pool is
 * whole again (3 workers, none of them the one killed). */
static void kill_each_worker(struct pf_server *s)
{
    pid_t pids[3];

    assert_int_equal(pf_h_worker_pids(s, pids, 3), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(kill(pids[i], SIGKILL), 0);
        assert_int_equal(pf_h_wait_pid_gone(pids[i], PF_H_WAIT_MS), 0);
        assert_int_equal(pf_h_wait_workers(s, 3, PF_H_WAIT_MS), 0); /* without pids[i] */
    }
}

/* A crash loop is workers that cannot stay up: three workers older than
 * a second killed one after the other (more than crash_limit) are
 * replaced at once, with no backoff; their young successors killed the
 * same way are a crash loop, and the backoff starts. */
PF_H_TEST(test_old_workers_killed_are_not_a_crash_loop)
{
    int64_t t0;

    start_with(s, "echo", "start = 3; max = 4; crash_limit = 2; crash_window = 30;", "", 3);
    t0 = pf_time_now_ms();
    while (pf_time_now_ms() - t0 < PF_SUPERVISE_AGE_MS) /* the condition is the age */
        usleep(PF_H_POLL_MS * 1000);
    kill_each_worker(s);
    assert_false(pf_h_log_contains(s, "workers keep failing"));
    assert_int_equal(status_int(s, NULL, "respawn_backoff_ms"), 0);
    assert_int_equal(pf_h_check_serves(s), 0);
    kill_each_worker(s); /* each within a second of its fork */
    assert_int_equal(pf_h_wait_log(s, "workers keep failing", PF_H_WAIT_MS), 0);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_dynamic_pool_grows_and_shrinks),
        PF_H_CASE(test_max_workers_reached),
        PF_H_CASE(test_dynamic_pool_refuses_scale),
        PF_H_CASE(test_max_requests_with_jitter),
        PF_H_CASE(test_max_lifetime_retires),
        PF_H_CASE(test_stopping_master_sleeps),
        PF_H_CASE(test_crash_loop_backs_off_and_recovers),
        PF_H_CASE(test_old_workers_killed_are_not_a_crash_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
