/* Integration: hung workers (workers.request_timeout). A worker busy on one
 * request for longer than the timeout is sent SIGTERM, then SIGKILL after
 * stop_timeout; it is logged with its pid, client and request, counted in
 * `preforkctl status` and replaced. Idle workers, workers waiting on a
 * keep-alive connection and workers told to stop are never taken as hung.
 *
 * How a worker is made busy on one request: an HTTP client asks for a
 * 64 MiB file and never reads. The worker has parsed the request (its
 * scoreboard slot holds the start time and "GET /big", which the test
 * sees in `preforkctl workers`) and blocks sending the response once the
 * socket buffers are full, for as long as the test wants (write_timeout,
 * the response's progress bound, is set far beyond the test). Stopping it
 * then with SIGSTOP makes a worker that SIGTERM cannot end: the signal
 * stays pending and only SIGKILL takes it.
 *
 * A test that proves a worker was NOT taken as hung needs the master to
 * have looked at it after its time was up. Rather than sleeping, it makes
 * another worker hang after the first one went idle, stopped or was told
 * to stop, and waits for that one's kill: by then the master has checked
 * the pool past the first one's deadline.
 */
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_time.h"

#define BIG_SIZE (64 << 20) /* far more than the socket buffers hold */
#define BIG_REQUEST "GET /big HTTP/1.1\r\nHost: test\r\n\r\n"
#define BIG_SUMMARY "GET /big"
#define HELLO_REQUEST "GET /hello.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"

/* A client whose worker is busy on its request until it reads. */
struct hang {
    int fd;
    pid_t worker;
    char client[PF_ADDR_STRLEN]; /* the client's address, as the server logs it */
    int64_t t0;                  /* monotonic ms just before the request went out */
};

/* www/big: a sparse file of BIG_SIZE bytes (no disk space used). */
static void make_big_file(struct pf_server *s)
{
    char path[PATH_MAX];
    int fd;

    assert_int_equal(pf_h_path(path, s, "www/big"), 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, BIG_SIZE), 0);
    close(fd);
}

/* An http server with n workers, workers.request_timeout rt (seconds),
 * the given stop bounds, a control channel for preforkctl, and the files
 * www/big and www/hello.txt; waits for the workers. */
static void start_hung(struct pf_server *s, int n, double rt, double graceful, double stop)
{
    struct pf_h_config c;
    char workers[64];

    pf_h_config_defaults(&c);
    c.protocol = "http";
    c.workers_start = n;
    c.workers_max = 8;
    c.graceful_timeout = graceful;
    c.stop_timeout = stop;
    c.write_timeout = 60;
    snprintf(workers, sizeof(workers), "request_timeout = %g;", rt);
    c.workers_extra = workers;
    /* the classic model: a kept-alive connection waits in its worker, the
       wait test_keepalive_wait_is_not_hung checks is not taken for a hang */
    c.keeper_extra = "parking = false;";
    c.extra = "http = { root = \"www\"; keepalive_timeout = 30; };\n" PF_H_CTL_CONFIG;
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_bytes(s, "www/hello.txt", "hello\n", 6), 0);
    make_big_file(s);
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

/* True if `preforkctl workers` shows pid writing the response to request. */
static bool shown_busy_on(struct pf_server *s, pid_t pid, const char *request)
{
    json_t *reply = pf_h_ctl_json(s, "workers", NULL), *w;
    bool busy = false;
    size_t i;

    json_array_foreach(json_object_get(reply, "workers"), i, w)
    {
        const char *state = json_string_value(json_object_get(w, "state"));
        const char *req = json_string_value(json_object_get(w, "request"));

        if (json_integer_value(json_object_get(w, "pid")) == pid)
            busy = state && req && strcmp(state, "writing") == 0 && strcmp(req, request) == 0;
    }
    json_decref(reply);
    return busy;
}

/* Wait until preforkctl shows pid busy on request. */
static void wait_busy_on(struct pf_server *s, pid_t pid, const char *request)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    while (!shown_busy_on(s, pid, request)) {
        if (pf_time_now_ms() >= deadline)
            fail_msg("worker %ld never shown busy on \"%s\"", (long)pid, request);
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* Connect, ask for the big file, never read; returns once the worker is
 * shown busy on that request. */
static void hang_start(struct pf_server *s, struct hang *h)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    h->fd = pf_h_connect(s);
    assert_true(h->fd >= 0);
    assert_int_equal(getsockname(h->fd, (struct sockaddr *)&ss, &len), 0);
    pf_addr_format((struct sockaddr *)&ss, h->client, sizeof(h->client));
    h->t0 = pf_time_now_ms();
    assert_int_equal(pf_h_send(h->fd, BIG_REQUEST, strlen(BIG_REQUEST)), 0);
    h->worker = pf_h_worker_of_client(s, h->fd, PF_H_WAIT_MS);
    assert_true(h->worker > 0);
    wait_busy_on(s, h->worker, BIG_SUMMARY);
}

/* The whole log line holding needle (free it); fails the test if none. */
static char *log_line(const struct pf_server *s, const char *needle)
{
    char *log = pf_h_log_read(s), *at, *start, *line;
    size_t n;

    assert_non_null(log);
    at = strstr(log, needle);
    if (at == NULL)
        fail_msg("no log line with \"%s\"", needle);
    for (start = at; start > log && start[-1] != '\n'; start--) {
    }
    n = strcspn(start, "\n");
    line = strndup(start, n);
    free(log);
    assert_non_null(line);
    return line;
}

/* "worker PID hung: ..." appears: a warning naming the request, the
 * client and a busy time of at least rt_ms, not before rt_ms had passed. */
static void assert_hung_logged(struct pf_server *s, const struct hang *h, int rt_ms)
{
    char needle[64], want[128], *line;

    snprintf(needle, sizeof(needle), "worker %ld hung: busy ", (long)h->worker);
    assert_int_equal(pf_h_wait_log(s, needle, pf_h_scaled_ms(PF_H_WAIT_MS)), 0);
    assert_true(pf_time_now_ms() - h->t0 >= rt_ms);
    line = log_line(s, needle);
    snprintf(want, sizeof(want), "on request \"%s\" from %s ", BIG_SUMMARY, h->client);
    if (!strstr(line, "[warn]") || !strstr(line, want) || !strstr(line, "sending SIGTERM") ||
        atoll(strstr(line, needle) + strlen(needle)) < rt_ms)
        fail_msg("unexpected hung report: %s", line);
    free(line);
}

/* The worker's end is logged at info as "killed as hung" by signal sig,
 * never as an abnormal death. */
static void assert_ended_as_hung(struct pf_server *s, pid_t worker, int sig)
{
    char needle[96], crash[64], *line;

    assert_int_equal(pf_h_wait_pid_gone(worker, pf_h_scaled_ms(PF_H_WAIT_MS)), 0);
    snprintf(needle, sizeof(needle), "worker %ld killed as hung (killed by signal %d ",
             (long)worker, sig);
    assert_int_equal(pf_h_wait_log(s, needle, PF_H_WAIT_MS), 0);
    line = log_line(s, needle);
    assert_non_null(strstr(line, "[info]"));
    free(line);
    snprintf(crash, sizeof(crash), "worker %ld killed by signal", (long)worker);
    assert_false(pf_h_log_contains(s, crash));
}

/* Replaced: n workers again, none of them the dead one; preforkctl status
 * counts hung_killed kills and the same number of respawns; requests are
 * served. */
static void assert_replaced(struct pf_server *s, pid_t dead, int n, long long hung_killed)
{
    pid_t pids[8];
    struct pf_h_http r;

    assert_int_equal(pf_h_wait_workers(s, n, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_worker_pids(s, pids, 8), n);
    for (int i = 0; i < n; i++)
        assert_true(pids[i] != dead);
    assert_int_equal(pf_h_ctl_status_int(s, "totals.hung_killed"), hung_killed);
    assert_int_equal(pf_h_ctl_status_int(s, "totals.respawns"), hung_killed);
    assert_int_equal(pf_h_http_once(s, HELLO_REQUEST, &r), 0);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
}

/* A worker stuck sending (SIGTERM ends it at once): killed after
 * request_timeout, reported, counted, replaced. */
PF_H_TEST(test_hung_worker_is_killed_and_replaced)
{
    struct pf_h_output o;
    struct hang h;

    start_hung(s, 2, 1, 10, 5);
    hang_start(s, &h);
    assert_hung_logged(s, &h, 1000);
    assert_ended_as_hung(s, h.worker, SIGTERM);
    assert_false(pf_h_log_contains(s, "SIGKILL"));
    close(h.fd);
    assert_replaced(s, h.worker, 2, 1);
    assert_int_equal(pf_h_ctl_run(s, &o, false, "status", (char *)NULL), 0);
    assert_non_null(strstr(o.out, "hung killed:     1\n"));
    pf_h_output_free(&o);
}

/* A hung worker that is also stopped keeps SIGTERM pending: SIGKILL
 * follows stop_timeout later, and the kill counts once. */
PF_H_TEST(test_stopped_hung_worker_gets_sigkill)
{
    struct hang h;
    char escalated[96];

    start_hung(s, 2, 1, 10, 1);
    hang_start(s, &h);
    assert_int_equal(kill(h.worker, SIGSTOP), 0);
    assert_int_equal(pf_h_wait_pid_state(h.worker, 'T', PF_H_WAIT_MS), 0);
    assert_hung_logged(s, &h, 1000);
    assert_int_equal(pf_h_wait_signal_pending(h.worker, SIGTERM, PF_H_WAIT_MS), 0);
    assert_true(pf_h_pid_alive(h.worker));
    snprintf(escalated, sizeof(escalated), "worker %ld (hung) still running ", (long)h.worker);
    assert_int_equal(pf_h_wait_log(s, escalated, pf_h_scaled_ms(PF_H_WAIT_MS)), 0);
    assert_ended_as_hung(s, h.worker, SIGKILL);
    assert_true(pf_time_now_ms() - h.t0 >= 2000); /* request_timeout + stop_timeout */
    close(h.fd);
    assert_replaced(s, h.worker, 2, 1);
}

/* An idle worker stopped for longer than request_timeout is left alone;
 * resumed, it serves (two keep-alive clients at once: one of them is
 * served by it). */
PF_H_TEST(test_stopped_idle_worker_is_not_hung)
{
    pid_t pids[2], idle, served[2];
    struct pf_h_http r;
    struct hang h;
    char needle[64];
    int64_t stopped;
    int fd[2];

    start_hung(s, 2, 1, 10, 1);
    assert_int_equal(pf_h_worker_pids(s, pids, 2), 2);
    idle = pids[0];
    assert_int_equal(kill(idle, SIGSTOP), 0);
    assert_int_equal(pf_h_wait_pid_state(idle, 'T', PF_H_WAIT_MS), 0);
    stopped = pf_time_now_ms();
    hang_start(s, &h);
    assert_int_equal(h.worker, pids[1]);
    assert_ended_as_hung(s, h.worker, SIGTERM);
    close(h.fd);
    assert_true(pf_time_now_ms() - stopped > 1000);
    snprintf(needle, sizeof(needle), "worker %ld hung", (long)idle);
    assert_false(pf_h_log_contains(s, needle));
    assert_int_equal(pf_h_pid_state(idle), 'T');
    assert_int_equal(kill(idle, SIGCONT), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    for (int i = 0; i < 2; i++) {
        fd[i] = pf_h_connect(s);
        assert_true(fd[i] >= 0);
        assert_int_equal(pf_h_http_get(fd[i], "/hello.txt", &r), 0);
        assert_int_equal(r.status, 200);
        pf_h_http_free(&r);
        served[i] = pf_h_worker_of_client(s, fd[i], PF_H_WAIT_MS);
    }
    assert_true(served[0] == idle || served[1] == idle);
    close(fd[0]);
    close(fd[1]);
    assert_int_equal(pf_h_ctl_status_int(s, "totals.hung_killed"), 1);
}

/* A keep-alive connection idle between requests for longer than
 * request_timeout keeps its worker, and its next request is served. */
PF_H_TEST(test_keepalive_wait_is_not_hung)
{
    struct pf_h_http r;
    struct hang h;
    pid_t keeper;
    char needle[64];
    int64_t idle_since;
    int fd;

    start_hung(s, 2, 1, 10, 5);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_http_get(fd, "/hello.txt", &r), 0);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
    idle_since = pf_time_now_ms();
    keeper = pf_h_worker_of_client(s, fd, PF_H_WAIT_MS);
    assert_true(keeper > 0);
    hang_start(s, &h);
    assert_true(h.worker != keeper);
    assert_ended_as_hung(s, h.worker, SIGTERM);
    close(h.fd);
    assert_true(pf_time_now_ms() - idle_since > 1000);
    snprintf(needle, sizeof(needle), "worker %ld hung", (long)keeper);
    assert_false(pf_h_log_contains(s, needle));
    assert_int_equal(pf_h_http_get(fd, "/hello.txt", &r), 0);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_worker_of_client(s, fd, PF_H_WAIT_MS), keeper);
    close(fd);
    assert_int_equal(pf_h_ctl_status_int(s, "totals.hung_killed"), 1);
}

/* Graceful stop while a worker is busy: it is given graceful_timeout,
 * not cut short at request_timeout; the stop's own SIGKILL ends it. */
PF_H_TEST(test_graceful_stop_is_not_cut_short)
{
    struct hang h;
    int status;

    start_hung(s, 2, 3, 5, 5);
    hang_start(s, &h);
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    if (pf_time_now_ms() - h.t0 >= 3000)
        fail_msg("SIGQUIT came after request_timeout: the machine is too slow for this test");
    assert_int_equal(pf_h_wait_log(s, "still running at the stop deadline; sending SIGKILL",
                                   PF_H_WAIT_MS),
                     0);
    assert_true(pf_time_now_ms() - h.t0 >= 5000);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    assert_false(pf_h_log_contains(s, "hung"));
    close(h.fd);
}

/* A busy worker recycled with `preforkctl kill` (told to stop, finishing
 * its client) is not taken as hung while another one is. */
PF_H_TEST(test_retired_busy_worker_is_not_hung)
{
    struct hang retired, other;
    char pid[24], needle[64];
    json_t *reply;

    start_hung(s, 2, 1, 10, 5);
    hang_start(s, &retired);
    snprintf(pid, sizeof(pid), "%ld", (long)retired.worker);
    reply = pf_h_ctl_json(s, "kill", pid);
    assert_non_null(reply);
    json_decref(reply);
    hang_start(s, &other);
    assert_true(other.worker != retired.worker);
    assert_hung_logged(s, &other, 1000);
    snprintf(needle, sizeof(needle), "worker %ld hung", (long)retired.worker);
    assert_false(pf_h_log_contains(s, needle));
    assert_true(pf_h_pid_alive(retired.worker));
    close(retired.fd); /* its send fails: it finishes and exits */
    assert_int_equal(pf_h_wait_pid_gone(retired.worker, PF_H_WAIT_MS), 0);
    close(other.fd);
    assert_int_equal(pf_h_ctl_status_int(s, "totals.hung_killed"), 1);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_hung_worker_is_killed_and_replaced),
        PF_H_CASE(test_stopped_hung_worker_gets_sigkill),
        PF_H_CASE(test_stopped_idle_worker_is_not_hung),
        PF_H_CASE(test_keepalive_wait_is_not_hung),
        PF_H_CASE(test_graceful_stop_is_not_cut_short),
        PF_H_CASE(test_retired_busy_worker_is_not_hung),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
