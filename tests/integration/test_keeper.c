/* Integration: the keeper, against the real binary over real sockets.
 *
 * Idle and slow connections are parked with the keeper instead of holding
 * a worker; each test checks what a client sees (answers, closes, their
 * timing against the configured deadlines) and, through /proc, where the
 * connection is held. One or two workers make "a worker is held" visible:
 * with parking, a silent client never stops the next one from being
 * served. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_time.h"

#define HELLO "hello from the site\n"
#define REQ(path) "GET " path " HTTP/1.1\r\nHost: test\r\n\r\n"
#define CLOSE_MS 5000 /* bound on any expected close */

/* Start an http server with n workers, the keeper settings and the http
 * settings given ("" for none). */
static void start_http(struct pf_server *s, int n, const char *keeper, const char *http)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.workers_start = n;
    c.keeper_extra = keeper;
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/hello.txt", HELLO, NULL), 0);
    assert_int_equal(pf_h_start_http(s, &c, http), 0);
}

/* Start an echo or msg server with n workers and idle_timeout. */
static void start_framed(struct pf_server *s, const char *protocol, int n, double idle)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.protocol = protocol;
    c.workers_start = n;
    c.idle_timeout = idle;
    c.extra = "defer_accept = 0;";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

static int connect_ok(struct pf_server *s)
{
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    return fd;
}

/* GET /hello.txt on fd: 200 with the file; the Connection header into
 * conn (may be NULL). */
static void get_hello(int fd, char *conn, size_t size)
{
    struct pf_h_http r;

    assert_int_equal(pf_h_http_get(fd, "/hello.txt", &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, HELLO);
    if (conn) {
        conn[0] = '\0';
        pf_h_http_header(&r, "Connection", conn, size);
    }
    pf_h_http_free(&r);
}

/* A client served once, now parked (held by the keeper, not a worker). */
static int parked_client(struct pf_server *s)
{
    int fd = connect_ok(s);

    get_hello(fd, NULL, 0);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    return fd;
}

/* The first part of a request head; finish_head sends the rest. */
#define HALF_HEAD "GET /hello.txt HTTP/1.1\r\nHo"

/* Send the rest of HALF_HEAD on fd: 200 with the file. */
static void finish_head(int fd)
{
    struct pf_h_http r;

    assert_int_equal(pf_h_http_exchange(fd, "st: test\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, HELLO);
    pf_h_http_free(&r);
}

/* Close fd and open a new connection in its place. */
static int close_and_reconnect(int fd, struct pf_server *s)
{
    close(fd);
    return connect_ok(s);
}

/* How long until fd is closed by the server, in ms (fails past bound_ms). */
static int64_t ms_until_closed(int fd, int bound_ms)
{
    int64_t t0 = pf_time_now_ms();

    assert_int_equal(pf_h_expect_closed(fd, bound_ms), 0);
    return pf_time_now_ms() - t0;
}

/* -------------------------------------------------------------- http */

/* One worker, a kept-alive client parked: it holds no worker, so another
 * client is served; then its own next request is served (unparked), and
 * pipelined requests sent to a parked connection are all answered. */
PF_H_TEST(test_park_unpark_round_trip)
{
    static const char two[] = REQ("/hello.txt") REQ("/hello.txt");
    struct pf_h_http r;
    int a, b;

    start_http(s, 1, "", "keepalive_timeout = 30;");
    a = parked_client(s);
    b = connect_ok(s);
    get_hello(b, NULL, 0); /* the only worker is free for it */
    get_hello(a, NULL, 0); /* back from the keeper */
    assert_int_equal(pf_h_wait_parked(s, a, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_send(a, two, sizeof(two) - 1), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pf_h_http_read(a, false, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, HELLO);
        pf_h_http_free(&r);
    }
    close(a);
    close(b);
}

/* Many idle keep-alive clients and two workers: a new client is answered
 * at once (in the classic model it would wait for keepalive_timeout). */
PF_H_TEST(test_idle_clients_hold_no_worker)
{
    enum { IDLE = 200 };
    int idle[IDLE], fd;
    int64_t t0;

    start_http(s, 2, "", "keepalive_timeout = 30;");
    for (int i = 0; i < IDLE; i++) {
        idle[i] = connect_ok(s);
        get_hello(idle[i], NULL, 0);
    }
    t0 = pf_time_now_ms();
    fd = connect_ok(s);
    get_hello(fd, NULL, 0);
    pf_h_note("a new client with %d idle ones open: answered in %lld ms", IDLE,
              (long long)(pf_time_now_ms() - t0));
    assert_true(pf_time_now_ms() - t0 < 3000); /* far below keepalive_timeout */
    for (int i = 0; i < IDLE; i += 50)
        get_hello(idle[i], NULL, 0); /* each one still served */
    close(fd);
    for (int i = 0; i < IDLE; i++)
        close(idle[i]);
}

/* A head split across a park: its first half waits in the keeper, the
 * rest is read by a worker that resumes from the bytes that travelled. */
PF_H_TEST(test_head_split_across_park)
{
    int fd;

    start_http(s, 2, "", "header_timeout = 30;");
    fd = connect_ok(s);
    assert_int_equal(pf_h_send(fd, HALF_HEAD, sizeof(HALF_HEAD) - 1), 0);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    finish_head(fd);
    close(fd);
}

/* Deadlines run while parked: a head begun gets 408 at header_timeout
 * from its first byte; an idle keep-alive connection is closed silently
 * at keepalive_timeout. */
PF_H_TEST(test_deadlines_while_parked)
{
    static const char part[] = "GET /hello.txt HTTP/1.1\r\n";
    struct pf_h_http r;
    int64_t t0 = pf_time_now_ms(), took;
    int slow, idle;
    char buf[1];

    start_http(s, 1, "", "header_timeout = 1; keepalive_timeout = 1;");
    slow = connect_ok(s);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_send(slow, part, sizeof(part) - 1), 0);
    assert_int_equal(pf_h_wait_parked(s, slow, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_http_read(slow, false, &r), 0);
    took = pf_time_now_ms() - t0;
    assert_int_equal(r.status, 408);
    pf_h_http_free(&r);
    pf_h_note("parked head answered 408 after %lld ms (header_timeout 1 s)", (long long)took);
    assert_true(took >= 950 && took < 3000);
    close(slow);

    idle = connect_ok(s);
    get_hello(idle, NULL, 0);
    took = ms_until_closed(idle, CLOSE_MS);
    pf_h_note("parked idle connection closed after %lld ms (keepalive_timeout 1 s)",
              (long long)took);
    assert_true(took >= 900 && took < 3000);
    assert_true(recv(idle, buf, 1, MSG_DONTWAIT) <= 0); /* nothing was sent */
    close(idle);
    idle = connect_ok(s);
    get_hello(idle, NULL, 0); /* and the server serves on */
    close(idle);
}

/* keepalive_requests counts the requests of a connection across parks. */
PF_H_TEST(test_keepalive_requests_survive_park)
{
    char conn[32];
    int fd;

    start_http(s, 2, "", "keepalive_requests = 3; keepalive_timeout = 30;");
    fd = connect_ok(s);
    for (int i = 1; i <= 3; i++) {
        get_hello(fd, conn, sizeof(conn));
        assert_int_equal(strcmp(conn, "close") == 0, i == 3);
        if (i < 3)
            assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    }
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_MS), 0);
    close(fd);
}

/* The bound: with max_parked = 2, a third idle connection is closed (at
 * once, not at its deadline) and the bound is logged once; a head begun
 * is still parked, in the place of an idle one. */
PF_H_TEST(test_parked_bound)
{
    int fd[4];

    start_http(s, 1, "max_parked = 2;", "keepalive_timeout = 30;");
    fd[0] = parked_client(s);
    fd[1] = parked_client(s);
    fd[2] = connect_ok(s);
    get_hello(fd[2], NULL, 0);
    assert_true(ms_until_closed(fd[2], CLOSE_MS) < 3000);
    fd[3] = connect_ok(s);
    get_hello(fd[3], NULL, 0);
    assert_int_equal(pf_h_expect_closed(fd[3], CLOSE_MS), 0);
    assert_int_equal(pf_h_log_count(s, "as many as it holds"), 1);
    /* a head begun is worth more than an idle connection: it takes the
     * place of the one nearest its end, fd[0], which is closed */
    fd[2] = close_and_reconnect(fd[2], s);
    assert_int_equal(pf_h_send(fd[2], HALF_HEAD, sizeof(HALF_HEAD) - 1), 0);
    assert_int_equal(pf_h_wait_parked(s, fd[2], PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_expect_closed(fd[0], CLOSE_MS), 0);
    finish_head(fd[2]);
    get_hello(fd[1], NULL, 0); /* the other one held is still served */
    for (int i = 0; i < 4; i++)
        close(fd[i]);
}

/* Descriptors passed to a process at its limit (EMFILE) would be lost
 * with the client: the kernel drops them. The limit is lowered from
 * outside (prlimit) to the lowest descriptor free, as a leak would leave
 * it; valgrind refuses a change of it, so the two tests skip there. */

/* The keeper at its limit: an idle connection arriving has no room and
 * is closed after its answer (logged once); a head begun takes the place
 * of an idle one; the connections held are still handed back; once the
 * limit is raised, parking goes on. */
PF_H_TEST(test_keeper_out_of_descriptors)
{
    enum { HELD = 3 };
    int held[HELD], fd, lowest;
    pid_t keeper;

    if (pf_h_under_valgrind())
        pf_h_skip_because(s, "valgrind refuses a change of RLIMIT_NOFILE");
    start_http(s, 2, "", "keepalive_timeout = 30; header_timeout = 30;");
    for (int i = 0; i < HELD; i++)
        held[i] = parked_client(s);
    keeper = pf_h_keeper_pid(s);
    assert_true(keeper > 0);
    assert_true(pf_h_proc_fds(keeper, &lowest) > 0);
    pf_h_set_nofile(keeper, (rlim_t)lowest);

    for (int i = 0; i < 2; i++) { /* answered, then closed: no room */
        fd = connect_ok(s);
        get_hello(fd, NULL, 0);
        assert_true(ms_until_closed(fd, CLOSE_MS) < 3000);
        close(fd);
    }
    assert_int_equal(pf_h_log_count(s, "keeper: out of descriptors"), 1);
    fd = connect_ok(s); /* begun: held in the place of held[0] */
    assert_int_equal(pf_h_send(fd, HALF_HEAD, sizeof(HALF_HEAD) - 1), 0);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_expect_closed(held[0], CLOSE_MS), 0);
    finish_head(fd);
    close(fd);
    for (int i = 1; i < HELD; i++)
        get_hello(held[i], NULL, 0); /* handed back: no descriptor needed */

    pf_h_set_nofile(keeper, 1024);
    fd = parked_client(s);
    get_hello(fd, NULL, 0);
    close(fd);
    assert_int_equal(pf_h_keeper_pid(s), keeper); /* it never died */
    assert_int_equal(pf_h_log_count(s, "refused:"), 0);
    for (int i = 0; i < HELD; i++)
        close(held[i]);
}

/* Workers at their limit: they cannot accept, but each takes a parked
 * connection handed back into the descriptor it keeps spare, so every
 * parked client's next request is answered (with the file, or 503 when
 * the worker has no descriptor left to open it); none is refused or
 * lost. */
PF_H_TEST(test_workers_out_of_descriptors_take_handoffs)
{
    enum { HELD = 4 };
    int held[HELD], lowest, fd;
    pid_t pids[2];

    if (pf_h_under_valgrind())
        pf_h_skip_because(s, "valgrind refuses a change of RLIMIT_NOFILE");
    start_http(s, 2, "", "keepalive_timeout = 30;");
    for (int i = 0; i < HELD; i++)
        held[i] = parked_client(s);
    assert_int_equal(pf_h_worker_pids(s, pids, 2), 2);
    for (int i = 0; i < 2; i++) {
        assert_true(pf_h_proc_fds(pids[i], &lowest) > 0);
        pf_h_set_nofile(pids[i], (rlim_t)lowest);
    }
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < HELD; i++) {
            struct pf_h_http r;
            int status;

            if (held[i] < 0)
                continue;
            /* answered: 200, or 503 (and closed) from a worker that has
             * the file to open and no descriptor for it (one that served
             * it before keeps it open in its cache) */
            assert_int_equal(pf_h_http_get(held[i], "/hello.txt", &r), 0);
            status = r.status;
            pf_h_http_free(&r);
            if (status == 503) {
                assert_int_equal(pf_h_expect_closed(held[i], CLOSE_MS), 0);
                close(held[i]);
                held[i] = -1;
                continue;
            }
            assert_int_equal(status, 200);
            assert_int_equal(pf_h_wait_parked(s, held[i], PF_H_WAIT_MS), 0);
        }
    assert_int_equal(pf_h_log_count(s, "refused"), 0);
    for (int i = 0; i < 2; i++)
        pf_h_set_nofile(pids[i], 1024);
    fd = connect_ok(s);
    get_hello(fd, NULL, 0);
    close(fd);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
    for (int i = 0; i < HELD; i++)
        if (held[i] >= 0)
            close(held[i]);
}

/* Parking off: the classic model, an idle client holds its worker. */
PF_H_TEST(test_parking_off_holds_worker)
{
    int fd;

    start_http(s, 1, "parking = false;", "keepalive_timeout = 30;");
    fd = connect_ok(s);
    get_hello(fd, NULL, 0);
    assert_true(pf_h_worker_of_client(s, fd, PF_H_WAIT_MS) > 0);
    assert_int_equal(pf_h_keeper_pid(s), 0);
    assert_true(pf_h_wait_parked(s, fd, 300) < 0);
    close(fd);
}

/* -------------------------------------------------------- life cycle */

/* kill -9 of the keeper: a new one is started at once; what it held (an
 * idle connection) is closed; new and other clients are served. */
PF_H_TEST(test_keeper_killed_is_replaced)
{
    pid_t keeper, again, before[2], after[2];
    int idle, fd;
    int64_t t0, deadline;
    char line[96];

    start_http(s, 2, "", "keepalive_timeout = 30;");
    idle = parked_client(s);
    assert_int_equal(pf_h_worker_pids(s, before, 2), 2);
    keeper = pf_h_keeper_pid(s);
    assert_true(keeper > 0);
    t0 = pf_time_now_ms();
    assert_int_equal(kill(keeper, SIGKILL), 0);
    deadline = t0 + PF_H_WAIT_MS;
    while ((again = pf_h_keeper_pid(s)) == 0 || again == keeper) {
        assert_true(pf_time_now_ms() < deadline);
        usleep(1000);
    }
    pf_h_note("keeper %ld killed: %ld started %lld ms later", (long)keeper, (long)again,
              (long long)(pf_time_now_ms() - t0));
    snprintf(line, sizeof(line), "keeper %ld killed by signal 9", (long)keeper);
    assert_int_equal(pf_h_wait_log(s, line, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_expect_closed(idle, CLOSE_MS), 0); /* it was idle: closed */
    close(idle);
    fd = parked_client(s); /* the new keeper parks */
    get_hello(fd, NULL, 0);
    close(fd);
    assert_int_equal(pf_h_worker_pids(s, after, 2), 2); /* no worker died */
    assert_memory_equal(before, after, sizeof(before));
}

/* Reload: a parked connection is served by the new generation. */
PF_H_TEST(test_reload_serves_parked)
{
    int fd;

    start_http(s, 2, "", "keepalive_timeout = 30;");
    fd = parked_client(s);
    assert_int_equal(pf_h_signal(s, SIGHUP), 0);
    assert_int_equal(pf_h_wait_log(s, "reload: generation 2 is serving", PF_H_WAIT_MS), 0);
    get_hello(fd, NULL, 0);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    get_hello(fd, NULL, 0);
    close(fd);
}

/* ----------------------------------------------------------- echo, msg */

/* echo: a line begun, parked, finished: echoed whole; an idle session
 * parked is closed at idle_timeout. */
PF_H_TEST(test_echo_across_park)
{
    char buf[16];
    int fd;

    start_framed(s, "echo", 1, 1);
    fd = connect_ok(s);
    assert_int_equal(pf_h_send(fd, "hel", 3), 0);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_send(fd, "lo\n", 3), 0);
    assert_int_equal(pf_h_recv(fd, buf, 6), 0);
    assert_memory_equal(buf, "hello\n", 6);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_echo_roundtrip(fd, "again\n"), 0);
    assert_true(ms_until_closed(fd, CLOSE_MS) >= 900); /* idle_timeout, 1 s */
    close(fd);
}

/* msg: a frame's header and half its payload parked, the rest sent. */
PF_H_TEST(test_msg_across_park)
{
    unsigned char *frame, back[64];
    size_t len;
    int fd;

    start_framed(s, "msg", 1, 10);
    assert_int_equal(pf_h_msg_frame("parked payload", 14, &frame, &len), 0);
    fd = connect_ok(s);
    assert_int_equal(pf_h_send(fd, frame, 8), 0);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_send(fd, frame + 8, len - 8), 0);
    assert_int_equal(pf_h_recv(fd, back, len), 0);
    assert_memory_equal(back, frame, len);
    free(frame);
    close(fd);
}

/* ------------------------------------------------------ observability */

/* start_http with the control channel on (PF_H_CTL_CONFIG), for status. */
static void start_http_ctl(struct pf_server *s, int n, const char *keeper, const char *http)
{
    struct pf_h_config c;
    char extra[1024];

    pf_h_config_defaults(&c);
    c.workers_start = n;
    c.keeper_extra = keeper;
    c.protocol = "http";
    snprintf(extra, sizeof(extra), "http = { root = \"www\"; %s };\n%s", http, PF_H_CTL_CONFIG);
    c.extra = extra;
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/hello.txt", HELLO, NULL), 0);
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

/* The integer at a dotted path of st ("keeper.totals.handed"), or -1. */
static long long st_int(const json_t *st, const char *path)
{
    char key[64];

    for (const char *p = path; st != NULL && *p != '\0';) {
        size_t n = strcspn(p, ".");

        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        st = json_object_get(st, key);
        p += n + (p[n] == '.');
    }
    return json_is_integer(st) ? (long long)json_integer_value(st) : -1;
}

/* The worker groups of a status add up to the live workers; none is
 * starting or stopping in the tests that ask. */
static void assert_workers_add_up(const json_t *st)
{
    long long total = st_int(st, "workers.total"), idle = st_int(st, "workers.idle");
    long long busy = st_int(st, "workers.busy"), waiting = st_int(st, "workers.waiting");

    if (total != idle + busy + waiting)
        pf_h_note("workers: %lld total, %lld idle, %lld busy, %lld waiting", total, idle, busy,
                  waiting);
    assert_int_equal(total, idle + busy + waiting);
    assert_int_equal(st_int(st, "workers.starting"), 0);
    assert_int_equal(st_int(st, "workers.stopping"), 0);
}

/* Poll `preforkctl --json status` until path has the value want; the
 * status then (json_decref it). */
static json_t *wait_status(struct pf_server *s, const char *path, long long want)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    for (;;) {
        json_t *st = pf_h_ctl_json(s, "status", NULL);
        long long v = st_int(st, path);

        assert_non_null(st);
        if (v == want)
            return st;
        json_decref(st);
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("status: %s is %lld, expected %lld", path, v, want);
            fail();
        }
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* status shows the keeper: its pid, the connection it holds, its memory;
 * preforkctl status says it in a line; after kill -9 the status shows a
 * restart and the new keeper's pid. */
PF_H_TEST(test_status_shows_keeper)
{
    struct pf_h_output o;
    pid_t keeper, again;
    json_t *st;
    char line[64];
    int64_t deadline;
    int fd;

    start_http_ctl(s, 2, "", "keepalive_timeout = 30;");
    fd = parked_client(s);
    keeper = pf_h_keeper_pid(s);
    assert_true(keeper > 0);
    st = wait_status(s, "keeper.parked", 1);
    assert_true(json_is_true(json_object_get(json_object_get(st, "keeper"), "enabled")));
    assert_int_equal(st_int(st, "keeper.pid"), keeper);
    assert_int_equal(st_int(st, "keeper.restarts"), 0);
    assert_true(st_int(st, "keeper.totals.parked") >= 1);
    assert_true(st_int(st, "totals.parked") >= 1); /* counted by the worker that parked it */
    pf_h_note("keeper %ld: RSS %lld KiB, PSS %lld KiB", (long)keeper, st_int(st, "keeper.rss_kib"),
              st_int(st, "keeper.pss_kib"));
    assert_true(st_int(st, "keeper.rss_kib") > 0);
    assert_true(st_int(st, "keeper.pss_kib") > 0);
    assert_true(st_int(st, "keeper.pss_kib") <= st_int(st, "keeper.rss_kib"));
    assert_workers_add_up(st);
    json_decref(st);

    get_hello(fd, NULL, 0); /* handed back to a worker */
    st = wait_status(s, "keeper.totals.handed", 1);
    assert_true(st_int(st, "totals.resumed") >= 1);
    json_decref(st);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);

    assert_int_equal(pf_h_ctl_run(s, &o, false, "status", (char *)NULL), 0);
    snprintf(line, sizeof(line), "keeper:");
    assert_non_null(strstr(o.out, line));
    snprintf(line, sizeof(line), " pid %ld, ", (long)keeper);
    if (!strstr(o.out, line))
        pf_h_note("no \"%s\" in:\n%s", line, o.out);
    assert_non_null(strstr(o.out, line));
    pf_h_output_free(&o);

    assert_int_equal(kill(keeper, SIGKILL), 0);
    st = wait_status(s, "keeper.restarts", 1); /* counted at the fork of the new one */
    json_decref(st);
    deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    while ((again = pf_h_keeper_pid(s)) == 0 || again == keeper) { /* named as it starts */
        assert_true(pf_time_now_ms() < deadline);
        usleep(PF_H_POLL_MS * 1000);
    }
    st = pf_h_ctl_json(s, "status", NULL);
    assert_non_null(st);
    assert_int_equal(st_int(st, "keeper.pid"), again);
    assert_true(st_int(st, "keeper.crashes") <= 1);   /* 1 if it was killed in its first second */
    assert_int_equal(st_int(st, "keeper.parked"), 0); /* what it held died with it */
    json_decref(st);
    close(fd);
}

/* Poll status until path is at least least; its value then. */
static long long wait_status_at_least(struct pf_server *s, const char *path, long long least)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    long long v;

    while ((v = pf_h_ctl_status_int(s, path)) < least) {
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("status: %s is %lld, expected at least %lld", path, v, least);
            fail();
        }
        usleep(PF_H_POLL_MS * 1000);
    }
    return v;
}

/* kill -9 of the keeper under load: preforkbench keeps 8 keep-alive
 * connections busy on 2 workers, so they travel through the keeper
 * between requests, beside idle parked clients. A new keeper takes over
 * and the load goes on through it; the idle clients are closed; no worker
 * is touched. A request fails only if its connection was held by the
 * dead keeper (at most the 8 of the load, reported). */
PF_H_TEST(test_keeper_killed_under_load)
{
    enum { IDLE = 4, LOAD_CONNS = 8, THROUGH = 200 };
    pid_t bench, keeper, again, before[2], after[2];
    long long handed, ok, failed;
    int idle[IDLE];
    int64_t deadline;

    start_http_ctl(s, 2, "", "keepalive_timeout = 30;");
    for (int i = 0; i < IDLE; i++)
        idle[i] = parked_client(s);
    assert_int_equal(pf_h_worker_pids(s, before, 2), 2);
    bench = pf_h_bench_start(s, "/hello.txt", false);
    assert_true(bench > 0);
    handed = wait_status_at_least(s, "keeper.totals.handed", THROUGH);
    keeper = pf_h_keeper_pid(s);
    assert_true(keeper > 0);
    assert_int_equal(kill(keeper, SIGKILL), 0);
    deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    while ((again = pf_h_keeper_pid(s)) == 0 || again == keeper) {
        assert_true(pf_time_now_ms() < deadline);
        usleep(1000);
    }
    for (int i = 0; i < IDLE; i++) {
        assert_int_equal(pf_h_expect_closed(idle[i], CLOSE_MS), 0);
        close(idle[i]);
    }
    /* the load goes on through the new keeper */
    wait_status_at_least(s, "keeper.totals.handed", handed + THROUGH);
    assert_int_equal(pf_h_keeper_pid(s), again);
    assert_int_equal(pf_h_bench_finish(s, bench, &ok, &failed), 0);
    pf_h_note("keeper killed under load: %lld requests ok, %lld failed", ok, failed);
    assert_true(ok > 0);
    assert_true(failed <= LOAD_CONNS);
    assert_int_equal(pf_h_worker_pids(s, after, 2), 2);
    assert_memory_equal(before, after, sizeof(before));
}

/* Parking off, an idle keep-alive connection holds its worker: status
 * counts it as waiting, so idle + busy + waiting is the total, and
 * preforkctl status says so; the keeper is reported off. */
PF_H_TEST(test_workers_add_up)
{
    struct pf_h_output o;
    json_t *st;
    int fd;

    start_http_ctl(s, 2, "parking = false;", "keepalive_timeout = 30;");
    fd = connect_ok(s);
    get_hello(fd, NULL, 0);
    st = wait_status(s, "workers.waiting", 1);
    assert_int_equal(st_int(st, "workers.total"), 2);
    assert_int_equal(st_int(st, "workers.idle"), 1);
    assert_int_equal(st_int(st, "workers.busy"), 0);
    assert_int_equal(st_int(st, "workers.keepalive"), 1);
    assert_workers_add_up(st);
    assert_true(json_is_false(json_object_get(json_object_get(st, "keeper"), "enabled")));
    assert_int_equal(st_int(st, "keeper.pid"), 0);
    json_decref(st);
    assert_int_equal(pf_h_ctl_run(s, &o, false, "status", (char *)NULL), 0);
    if (!strstr(o.out, "1 idle, 0 busy, 1 waiting, 2 total"))
        pf_h_note("status:\n%s", o.out);
    assert_non_null(strstr(o.out, "1 idle, 0 busy, 1 waiting, 2 total"));
    assert_non_null(strstr(o.out, "keeper:"));
    assert_non_null(strstr(o.out, "off (keeper.parking = false)"));
    pf_h_output_free(&o);
    close(fd);
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_park_unpark_round_trip),
    PF_H_CASE(test_idle_clients_hold_no_worker),
    PF_H_CASE(test_head_split_across_park),
    PF_H_CASE(test_deadlines_while_parked),
    PF_H_CASE(test_keepalive_requests_survive_park),
    PF_H_CASE(test_parked_bound),
    PF_H_CASE(test_keeper_out_of_descriptors),
    PF_H_CASE(test_workers_out_of_descriptors_take_handoffs),
    PF_H_CASE(test_parking_off_holds_worker),
    PF_H_CASE(test_keeper_killed_is_replaced),
    PF_H_CASE(test_reload_serves_parked),
    PF_H_CASE(test_echo_across_park),
    PF_H_CASE(test_msg_across_park),
    PF_H_CASE(test_status_shows_keeper),
    PF_H_CASE(test_workers_add_up),
    PF_H_CASE(test_keeper_killed_under_load),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
