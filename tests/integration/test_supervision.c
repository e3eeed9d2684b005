/* Integration: the master supervises its pool: dead workers are replaced,
 * SIGTTIN/SIGTTOU resize it, max_requests recycles workers, and workers do
 * not outlive a killed master. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_time.h"

#define EXCHANGES 20

/* Start an echo server with n workers (at most max) and wait for them. */
static void start_pool(struct pf_server *s, int n, int max, long max_requests)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.workers_start = n;
    c.workers_max = max;
    c.max_requests = max_requests;
    /* the classic model: a client served once stays with its worker,
       which is how these tests hold one */
    c.keeper_extra = "parking = false;";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

/* A connected client that has been served once (so a worker holds it). */
static int served_client(struct pf_server *s)
{
    int fd = pf_h_connect_served(s);

    assert_true(fd >= 0);
    return fd;
}

/* count exchanges of distinct lines on an open connection. */
static void exchanges(int fd, int client, int count)
{
    char line[64];

    for (int j = 0; j < count; j++) {
        snprintf(line, sizeof(line), "client %d line %d\n", client, j);
        assert_int_equal(pf_h_echo_roundtrip(fd, line), 0);
    }
}

static bool pid_in(pid_t pid, const pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

PF_H_TEST(test_killed_worker_is_replaced)
{
    int fd[3];
    pid_t held[3], now[3];
    char killed[96];

    start_pool(s, 3, 16, 0);
    for (int i = 0; i < 3; i++) {
        fd[i] = served_client(s);
        held[i] = pf_h_worker_of_client(s, fd[i], PF_H_WAIT_MS);
        assert_true(held[i] > 0);
    }
    assert_true(held[0] != held[1] && held[1] != held[2] && held[0] != held[2]);

    assert_int_equal(kill(held[2], SIGKILL), 0);
    assert_int_equal(pf_h_expect_closed(fd[2], PF_H_WAIT_MS), 0);
    close(fd[2]);
    for (int i = 0; i < 2; i++) {
        exchanges(fd[i], i, EXCHANGES);
        close(fd[i]);
    }

    snprintf(killed, sizeof(killed), "worker %ld killed by signal 9", (long)held[2]);
    assert_int_equal(pf_h_wait_log(s, killed, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_pid_gone(held[2], PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 3, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_worker_pids(s, now, 3), 3);
    assert_false(pid_in(held[2], now, 3));
    assert_true(pid_in(held[0], now, 3) && pid_in(held[1], now, 3));
    assert_int_equal(pf_h_check_serves(s), 0);
}

PF_H_TEST(test_ttin_ttou_resize)
{
    start_pool(s, 2, 16, 0);
    assert_int_equal(pf_h_signal(s, SIGTTIN), 0);
    assert_int_equal(pf_h_wait_workers(s, 3, PF_H_WAIT_MS), 0);
    assert_true(pf_h_log_contains(s, "scaling the pool from 2 to 3 workers"));
    assert_int_equal(pf_h_signal(s, SIGTTOU), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    assert_true(pf_h_log_contains(s, "scaling the pool from 3 to 2 workers"));
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
    assert_int_equal(pf_h_check_serves(s), 0);
}

/* SIGTTOU at one worker must leave one. Proof without waiting for nothing:
 * pf_h_signal returns once the master took the signal, so a following
 * SIGTTIN is handled in a later pass; it must then go from 1 to 2. */
PF_H_TEST(test_ttou_keeps_one_worker)
{
    pid_t first, now[2];

    start_pool(s, 1, 16, 0);
    assert_int_equal(pf_h_worker_pids(s, &first, 1), 1);
    assert_int_equal(pf_h_signal(s, SIGTTOU), 0);
    assert_int_equal(pf_h_signal(s, SIGTTIN), 0);
    assert_int_equal(pf_h_wait_log(s, "scaling the pool from 1 to 2 workers", PF_H_WAIT_MS), 0);
    assert_false(pf_h_log_contains(s, "to 0 workers"));
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_worker_pids(s, now, 2), 2);
    assert_true(pid_in(first, now, 2));
}

/* The same at the top: SIGTTIN at workers.max changes nothing. */
PF_H_TEST(test_ttin_stops_at_max)
{
    start_pool(s, 2, 2, 0);
    assert_int_equal(pf_h_signal(s, SIGTTIN), 0);
    assert_int_equal(pf_h_signal(s, SIGTTOU), 0);
    assert_int_equal(pf_h_wait_log(s, "scaling the pool from 2 to 1 workers", PF_H_WAIT_MS), 0);
    assert_false(pf_h_log_contains(s, "to 3 workers"));
    assert_int_equal(pf_h_wait_workers(s, 1, PF_H_WAIT_MS), 0);
}

PF_H_TEST(test_max_requests_recycles)
{
    pid_t first, now;
    char exited[96];
    int fd;

    start_pool(s, 1, 16, 3);
    assert_int_equal(pf_h_worker_pids(s, &first, 1), 1);
    for (int i = 0; i < 3; i++) {
        fd = served_client(s);
        assert_int_equal(pf_h_worker_of_client(s, fd, PF_H_WAIT_MS), first);
        close(fd);
    }
    assert_int_equal(pf_h_wait_pid_gone(first, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_log(s, "exiting to be replaced", PF_H_WAIT_MS), 0);
    snprintf(exited, sizeof(exited), "worker %ld exited with status 0", (long)first);
    assert_int_equal(pf_h_wait_log(s, exited, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 1, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_worker_pids(s, &now, 1), 1);
    assert_true(now != first);
    fd = served_client(s);
    assert_int_equal(pf_h_worker_of_client(s, fd, PF_H_WAIT_MS), now);
    close(fd);
}

/* max_requests counts messages and is checked between connections: a
 * connection with more messages than that is served whole, then the
 * worker is replaced. */
PF_H_TEST(test_max_requests_ends_after_the_connection)
{
    pid_t first;
    int fd;

    start_pool(s, 1, 16, 3);
    assert_int_equal(pf_h_worker_pids(s, &first, 1), 1);
    fd = served_client(s);
    exchanges(fd, 0, 5);
    assert_true(pf_h_pid_alive(first));
    assert_false(pf_h_log_contains(s, "exiting to be replaced"));
    close(fd);
    assert_int_equal(pf_h_wait_pid_gone(first, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 1, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_check_serves(s), 0);
}

/* SIGUSR1 (reopen logs) reaches master and workers and kills nobody. */
PF_H_TEST(test_sigusr1_keeps_the_pool)
{
    pid_t before[2], after[2];
    int fd;

    start_pool(s, 2, 16, 0);
    assert_int_equal(pf_h_worker_pids(s, before, 2), 2);
    fd = served_client(s);
    assert_int_equal(pf_h_signal(s, SIGUSR1), 0);
    assert_int_equal(pf_h_wait_log(s, "log reopened", PF_H_WAIT_MS), 0);
    exchanges(fd, 0, 3);
    close(fd);
    assert_int_equal(pf_h_check_serves(s), 0);
    assert_int_equal(pf_h_worker_pids(s, after, 2), 2);
    assert_memory_equal(before, after, sizeof(before));
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* How soon a worker must notice that its master is gone. */
#define ORPHAN_EXIT_MS 1000

/* kill -9 the master: every idle worker is gone within a second, the busy
 * one within a second of finishing its client; all become our children
 * (subreaper) and exit with 0. */
PF_H_TEST(test_workers_exit_when_master_dies)
{
    pid_t busy, workers[4];
    int64_t t0;
    int fd, status;
    bool clean = true;

    start_pool(s, 4, 16, 0);
    assert_int_equal(pf_h_worker_pids(s, workers, 4), 4);
    fd = served_client(s);
    busy = pf_h_worker_of_client(s, fd, PF_H_WAIT_MS);
    assert_true(busy > 0);

    t0 = pf_time_now_ms();
    assert_int_equal(kill(s->pid, SIGKILL), 0);
    for (int i = 0; i < 4; i++)
        if (workers[i] != busy)
            assert_int_equal(pf_h_wait_pid_gone(workers[i], pf_h_scaled_ms(ORPHAN_EXIT_MS) -
                                                                (int)(pf_time_now_ms() - t0)),
                             0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_true(pf_h_pid_alive(busy));
    exchanges(fd, 0, 3);
    close(fd);
    assert_int_equal(pf_h_wait_pid_gone(busy, pf_h_scaled_ms(ORPHAN_EXIT_MS)), 0);
    assert_int_equal(pf_h_reap_orphans(s, PF_H_WAIT_MS, &clean), 0);
    assert_true(clean);
    assert_int_equal(pf_h_log_count(s, "master process is gone; exiting"), 4);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_killed_worker_is_replaced),
        PF_H_CASE(test_ttin_ttou_resize),
        PF_H_CASE(test_ttou_keeps_one_worker),
        PF_H_CASE(test_ttin_stops_at_max),
        PF_H_CASE(test_max_requests_recycles),
        PF_H_CASE(test_max_requests_ends_after_the_connection),
        PF_H_CASE(test_sigusr1_keeps_the_pool),
        PF_H_CASE(test_workers_exit_when_master_dies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
