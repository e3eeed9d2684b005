/* Integration: stopping the server: graceful (SIGQUIT) and fast
 * (SIGTERM, SIGINT), with clients connected, and the graceful bound. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_time.h"

#define PAYLOAD 1000

/* Start a server of protocol with two workers; stop bounds as given. */
static void start_server(struct pf_server *s, const char *protocol, double graceful, double stop)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.protocol = protocol;
    c.workers_start = 2;
    c.graceful_timeout = graceful;
    c.stop_timeout = stop;
    c.idle_timeout = 60;
    /* the classic model: a client served once stays with its worker,
       which is how these tests hold one */
    c.keeper_extra = "parking = false;";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

/* A client served once, and the worker holding it. */
static int held_client(struct pf_server *s, pid_t *worker)
{
    int fd = pf_h_connect_served(s);

    assert_true(fd >= 0);
    *worker = pf_h_worker_of_client(s, fd, PF_H_WAIT_MS);
    assert_true(*worker > 0);
    return fd;
}

/* Wait for the master's exit; assert status 0, within max_ms; returns
 * how long it took after `since`. */
static int64_t assert_exit_0(struct pf_server *s, int64_t since, int max_ms)
{
    int status;

    assert_int_equal(pf_h_wait_exit(s, max_ms, &status), 0);
    if (!pf_h_exited_with(status, 0))
        fail_msg("master wait status %#x, expected exit 0", (unsigned)status);
    return pf_time_now_ms() - since;
}

/* After the master exited: no worker left (neither orphan nor zombie) and
 * nobody accepts connections on its port any more. */
static void assert_all_gone(struct pf_server *s)
{
    int fd, err;

    assert_int_equal(pf_h_orphans(s), 0);
    errno = 0;
    fd = pf_h_connect(s);
    err = errno;
    assert_int_equal(fd, -1);
    assert_int_equal(err, ECONNREFUSED);
}

/* The worker other than busy (two-worker pools). */
static pid_t other_worker(struct pf_server *s, pid_t busy)
{
    pid_t w[2];

    assert_int_equal(pf_h_worker_pids(s, w, 2), 2);
    return w[0] == busy ? w[1] : w[0];
}

PF_H_TEST(test_sigquit_finishes_the_client)
{
    unsigned char payload[PAYLOAD], *frame, reply[PAYLOAD + 4];
    char idle_exited[96];
    size_t len, half;
    pid_t busy, idle;
    int fd;

    start_server(s, "msg", 10, 5);
    fd = held_client(s, &busy);
    idle = other_worker(s, busy);
    pf_h_fill(payload, sizeof(payload), 1);
    assert_int_equal(pf_h_msg_frame(payload, sizeof(payload), &frame, &len), 0);
    half = len / 2;
    assert_int_equal(pf_h_send(fd, frame, half), 0);

    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    /* The master reaps the idle worker only after it signalled them all. */
    snprintf(idle_exited, sizeof(idle_exited), "worker %ld exited with status 0", (long)idle);
    assert_int_equal(pf_h_wait_log(s, idle_exited, PF_H_WAIT_MS), 0);
    assert_true(pf_h_running(s));
    assert_true(pf_h_pid_alive(busy));

    assert_int_equal(pf_h_send(fd, frame + half, len - half), 0);
    assert_int_equal(pf_h_recv(fd, reply, len), 0);
    assert_memory_equal(reply, frame, len);
    free(frame);
    assert_int_equal(pf_h_exchange(s, fd, "and one more"), 0);
    close(fd);

    assert_exit_0(s, pf_time_now_ms(), PF_H_WAIT_MS);
    assert_false(pf_h_log_contains(s, "SIGKILL"));
    assert_all_gone(s);
}

/* Fast stop with an idle client connected: prompt exit 0 (no need to wait
 * for stop_timeout), the client is disconnected, nothing left. */
static void fast_stop(struct pf_server *s, int sig)
{
    pid_t busy;
    int64_t t0;
    int fd;

    start_server(s, "echo", 10, 10);
    fd = held_client(s, &busy);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_signal(s, sig), 0);
    assert_true(assert_exit_0(s, t0, PF_H_WAIT_MS) < 5000);
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
    close(fd);
    assert_true(pf_h_log_contains(s, "fast stop"));
    assert_false(pf_h_log_contains(s, "SIGKILL"));
    assert_false(pf_h_pid_alive(busy));
    assert_all_gone(s);
}

PF_H_TEST(test_sigterm_fast_stop)
{
    fast_stop(s, SIGTERM);
}

PF_H_TEST(test_sigint_fast_stop)
{
    fast_stop(s, SIGINT);
}

/* A client that holds its worker silently past graceful_timeout: the
 * master kills the worker and still exits 0 soon after the bound. */
PF_H_TEST(test_graceful_timeout_bound)
{
    pid_t busy;
    int64_t t0, took;
    char killed[96];
    int fd;

    start_server(s, "echo", 1, 5);
    fd = held_client(s, &busy);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    took = assert_exit_0(s, t0, PF_H_WAIT_MS);
    assert_true(took >= 900);
    assert_true(pf_h_log_contains(s, "sending SIGKILL"));
    snprintf(killed, sizeof(killed), "worker %ld killed by signal 9", (long)busy);
    assert_true(pf_h_log_contains(s, killed));
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
    close(fd);
    assert_all_gone(s);
}

/* SIGTERM during a graceful stop: the fast stop takes over at once (the
 * busy worker is not waited for until graceful_timeout). */
PF_H_TEST(test_sigterm_overrides_sigquit)
{
    pid_t busy;
    int64_t t0;
    int fd;

    start_server(s, "echo", 30, 5);
    fd = held_client(s, &busy);
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(pf_h_wait_log(s, "graceful stop", PF_H_WAIT_MS), 0);
    assert_true(pf_h_pid_alive(busy));
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_signal(s, SIGTERM), 0);
    assert_true(assert_exit_0(s, t0, PF_H_WAIT_MS) < 5000);
    assert_true(pf_h_log_contains(s, "fast stop"));
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
    close(fd);
    assert_all_gone(s);
}

/* The backlog of the one-worker servers; the queue tests fill it. */
#define QUEUE 8
#define QUEUE_CONFIG "backlog = 8;\n"

/* Start a one-worker echo server with backlog QUEUE; returns the worker. */
static pid_t start_one_worker(struct pf_server *s)
{
    struct pf_h_config c;
    pid_t w;

    pf_h_config_defaults(&c);
    c.workers_start = 1;
    c.extra = QUEUE_CONFIG;
    /* the classic model: a client served once stays with its worker,
       which is how these tests hold one */
    c.keeper_extra = "parking = false;";

    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(pf_h_worker_pids(s, &w, 1), 1);
    return w;
}

/* Fill the listen queue to its backlog: QUEUE clients connect and send
 * their own line; returns once all of them wait in the accept queue (as
 * `ss -lnt` would show: Recv-Q 8). */
static void fill_queue(struct pf_server *s, int queued[QUEUE])
{
    char line[32];

    for (int i = 0; i < QUEUE; i++) {
        queued[i] = pf_h_connect(s);
        assert_true(queued[i] >= 0);
        snprintf(line, sizeof(line), "queued %d\n", i);
        assert_int_equal(pf_h_send(queued[i], line, strlen(line)), 0);
    }
    assert_int_equal(pf_h_wait_listen_queue(s, QUEUE, PF_H_WAIT_MS), 0);
}

/* Every queued client gets its whole line back, then closes (in queue
 * order: the worker serves them one after the other). */
static void assert_queue_served(const int queued[QUEUE])
{
    char line[32], reply[32];

    for (int i = 0; i < QUEUE; i++) {
        int n = snprintf(line, sizeof(line), "queued %d\n", i);

        assert_int_equal(pf_h_recv(queued[i], reply, (size_t)n), 0);
        assert_memory_equal(reply, line, (size_t)n);
        close(queued[i]);
    }
}

/* A full listen queue when the stop order reaches an idle worker is
 * served (drained), not reset: the kernel accepted those connections for
 * us. The worker is held stopped (SIGSTOP) so that the connections queue
 * and the order is pending when it resumes. */
PF_H_TEST(test_sigquit_drains_the_queue)
{
    pid_t w = start_one_worker(s);
    int queued[QUEUE];

    assert_int_equal(kill(w, SIGSTOP), 0);
    assert_int_equal(pf_h_wait_pid_state(w, 'T', PF_H_WAIT_MS), 0);
    fill_queue(s, queued);
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(pf_h_wait_signal_pending(w, SIGQUIT, PF_H_WAIT_MS), 0);
    assert_int_equal(kill(w, SIGCONT), 0);

    assert_queue_served(queued);
    assert_exit_0(s, pf_time_now_ms(), PF_H_WAIT_MS);
    assert_false(pf_h_log_contains(s, "SIGKILL"));
    assert_all_gone(s);
}

/* The same with the worker busy when SIGQUIT comes: it finishes its
 * client, then serves the full queue that built up behind it. */
PF_H_TEST(test_sigquit_serves_the_queue)
{
    pid_t busy;
    int first, queued[QUEUE];

    start_one_worker(s);
    first = held_client(s, &busy);
    fill_queue(s, queued);

    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(pf_h_wait_signal_pending(busy, SIGQUIT, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_exchange(s, first, "last words"), 0);
    close(first);

    assert_queue_served(queued);
    assert_exit_0(s, pf_time_now_ms(), PF_H_WAIT_MS);
    assert_false(pf_h_log_contains(s, "SIGKILL"));
    assert_all_gone(s);
}

/* SIGQUIT with nobody connected: every worker leaves at once. */
PF_H_TEST(test_sigquit_idle_pool)
{
    int64_t t0;

    start_server(s, "echo", 10, 5);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_true(assert_exit_0(s, t0, PF_H_WAIT_MS) < 5000);
    assert_true(pf_h_log_contains(s, "graceful stop"));
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
    assert_all_gone(s);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_sigquit_finishes_the_client),
        PF_H_CASE(test_sigterm_fast_stop),
        PF_H_CASE(test_sigint_fast_stop),
        PF_H_CASE(test_graceful_timeout_bound),
        PF_H_CASE(test_sigquit_idle_pool),
        PF_H_CASE(test_sigterm_overrides_sigquit),
        PF_H_CASE(test_sigquit_serves_the_queue),
        PF_H_CASE(test_sigquit_drains_the_queue),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
