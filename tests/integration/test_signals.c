/* Integration: signals done right. The masks and dispositions the master
 * and its workers really have (read from /proc: the master's signals
 * blocked outside its wait, fork() leaving the master's mask as it was and
 * giving each worker its own), and bursts of signals sent as fast as
 * kill() goes (100 SIGTTIN, 100 SIGCHLD, 100 SIGHUP, in a row and
 * interleaved) leaving a consistent pool: the master alive, as many live
 * workers as status reports and as its target, no zombie, requests served.
 *
 * SIGHUP asks for a reload; the burst tests assert only consistency, not
 * what a reload does, so they hold whether or not reload is implemented.
 */
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_time.h"

#define BURST 100
#define START 2
#define MAX 12

#define BIT(sig) (UINT64_C(1) << ((sig)-1))
/* What the master handles (pf_signals.c): blocked except inside ppoll. */
#define MASTER_SIGNALS \
    (BIT(SIGCHLD) | BIT(SIGTERM) | BIT(SIGINT) | BIT(SIGQUIT) | BIT(SIGHUP) | BIT(SIGUSR1) | \
     BIT(SIGTTIN) | BIT(SIGTTOU))
/* Signals 1 to 31; the real-time ones above belong to the C library. */
#define STANDARD_SIGNALS (BIT(32) - 1)
/* What a worker handles: SIGQUIT (stop) and SIGUSR1 (reopen), blocked
 * outside its waits; and what it ignores. */
#define WORKER_CAUGHT (BIT(SIGQUIT) | BIT(SIGUSR1))
#define WORKER_IGNORED \
    (BIT(SIGPIPE) | BIT(SIGINT) | BIT(SIGHUP) | BIT(SIGTTIN) | BIT(SIGTTOU) | BIT(SIGUSR2))

/* An echo server with START workers, at most MAX, and preforkctl. */
static void start_server(struct pf_server *s)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.workers_start = START;
    c.workers_max = MAX;
    c.extra = PF_H_CTL_CONFIG;
    /* the classic model: a client served once stays with its worker,
       which is how these tests hold one */
    c.keeper_extra = "parking = false;";

    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

/* The hex mask on the line "field:" of /proc/pid/status. */
static uint64_t proc_mask(pid_t pid, const char *field)
{
    char path[64], line[256];
    size_t n = strlen(field);
    uint64_t mask = 0;
    bool found = false;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    f = fopen(path, "r");
    assert_non_null(f);
    while (!found && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            mask = strtoull(line + n + 1, NULL, 16);
            found = true;
        }
    fclose(f);
    if (!found)
        fail_msg("no %s in %s", field, path);
    return mask;
}

/* A worker of the pool has a worker's handlers and ignores what only
 * the master acts on; it blocks `blocked` (/proc shows the mask of the
 * wait it is in: polled, as a worker between two waits shows another). */
static void assert_worker_signals(pid_t worker, uint64_t blocked)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    while (proc_mask(worker, "SigBlk") != blocked) {
        if (pf_time_now_ms() >= deadline)
            fail_msg("worker %ld blocks %#llx, not %#llx", (long)worker,
                     (unsigned long long)proc_mask(worker, "SigBlk"), (unsigned long long)blocked);
        usleep(PF_H_POLL_MS * 1000);
    }
    assert_int_equal(proc_mask(worker, "SigIgn") & STANDARD_SIGNALS, WORKER_IGNORED);
    assert_int_equal(proc_mask(worker, "SigCgt") & (MASTER_SIGNALS | WORKER_CAUGHT), WORKER_CAUGHT);
}

/* The master's signals blocked while it waits. /proc shows the mask of
 * the moment it is read, and a master just started still wakes every
 * 20 ms to see its first workers ready, blocking everything between two
 * waits: so the mask is polled until it is read inside a wait (or the
 * time is up, and the last one read is returned). */
static uint64_t master_blocked_in_wait(pid_t master)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    uint64_t blocked;

    while ((blocked = proc_mask(master, "SigBlk") & MASTER_SIGNALS) != 0 &&
           pf_time_now_ms() < deadline)
        usleep(PF_H_POLL_MS * 1000);
    return blocked;
}

/* Workers forked at start and on SIGTTIN get a worker's dispositions,
 * none of the master's handlers: idle ones block nothing in their wait,
 * one holding a client blocks SIGQUIT and SIGUSR1 (a stop waits for the
 * client). The master handles its signals and, while it waits (nearly
 * always: /proc shows the mask of its ppoll), blocks none of them. Not
 * checkable under valgrind, which keeps its own masks. */
PF_H_TEST(test_masks_around_fork)
{
    const char *wrapper = getenv("PF_TEST_WRAPPER");
    pid_t pids[START + 1], busy;
    int fd;

    if (wrapper && *wrapper)
        skip();
    start_server(s);
    assert_int_equal(master_blocked_in_wait(s->pid), 0);
    assert_true((proc_mask(s->pid, "SigCgt") & MASTER_SIGNALS) == MASTER_SIGNALS);
    assert_true(proc_mask(s->pid, "SigIgn") & BIT(SIGPIPE));
    assert_int_equal(pf_h_signal(s, SIGTTIN), 0);
    assert_int_equal(pf_h_wait_workers(s, START + 1, PF_H_WAIT_MS), 0);
    fd = pf_h_connect_served(s);
    assert_true(fd >= 0);
    busy = pf_h_worker_of_client(s, fd, PF_H_WAIT_MS);
    assert_int_equal(pf_h_worker_pids(s, pids, START + 1), START + 1);
    for (int i = 0; i < START + 1; i++)
        assert_worker_signals(pids[i], pids[i] == busy ? WORKER_CAUGHT : 0);
    close(fd);
}

/* Send each of sigs in turn, rounds times, as fast as kill() returns. */
static void send_burst(struct pf_server *s, const int *sigs, int nsigs, int rounds)
{
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nsigs; i++)
            assert_int_equal(kill(s->pid, sigs[i]), 0);
}

/* Wait until the master has taken every one of sigs (none pending). */
static void wait_taken(struct pf_server *s, const int *sigs, int nsigs)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    for (int i = 0; i < nsigs; i++)
        while (pf_h_signal_pending(s->pid, sigs[i])) {
            if (pf_time_now_ms() >= deadline)
                fail_msg("signal %d still pending for the master", sigs[i]);
            usleep(PF_H_POLL_MS * 1000);
        }
}

/* True when status's workers.target and workers.total both equal the
 * number of live workers, and the master has no zombie child; *target
 * gets status's target (-1 if not read). */
static bool pool_consistent(struct pf_server *s, long long *target)
{
    int live = pf_h_worker_pids(s, NULL, 0);
    json_t *st, *workers;
    bool same;

    *target = -1;
    if (pf_h_zombies(s) != 0 || (st = pf_h_ctl_json(s, "status", NULL)) == NULL)
        return false;
    workers = json_object_get(st, "workers");
    *target = json_integer_value(json_object_get(workers, "target"));
    same = *target == live && json_integer_value(json_object_get(workers, "total")) == live;
    json_decref(st);
    return same;
}

/* Wait until the pool is consistent, then check the master is alive,
 * logged no error and serves. Returns the target. */
static long long assert_consistent(struct pf_server *s)
{
    int64_t deadline = pf_time_now_ms() + pf_h_scaled_ms(PF_H_WAIT_MS);
    long long target;

    while (!pool_consistent(s, &target)) {
        if (pf_time_now_ms() >= deadline)
            fail_msg("pool never consistent: %d live, %d zombies, target %lld",
                     pf_h_worker_pids(s, NULL, 0), pf_h_zombies(s), target);
        usleep(PF_H_POLL_MS * 1000);
    }
    assert_true(pf_h_running(s));
    assert_true(target >= 1 && target <= MAX);
    assert_false(pf_h_log_contains(s, "[error]"));
    for (int i = 0; i < 5; i++)
        assert_int_equal(pf_h_check_serves(s), 0);
    return target;
}

/* 100 SIGTTIN: the pool grows by at least one (signals do not queue) and
 * at most to workers.max, and no worker ends. */
PF_H_TEST(test_sigttin_burst)
{
    static const int sigs[] = {SIGTTIN};
    long long target;

    start_server(s);
    send_burst(s, sigs, 1, BURST);
    wait_taken(s, sigs, 1);
    target = assert_consistent(s);
    assert_true(target > START && target <= MAX && target <= START + BURST);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* 100 SIGCHLD with no child ended: nothing reaped, nothing forked. */
PF_H_TEST(test_sigchld_burst)
{
    static const int sigs[] = {SIGCHLD};
    pid_t before[START], after[START];

    start_server(s);
    assert_int_equal(pf_h_worker_pids(s, before, START), START);
    send_burst(s, sigs, 1, BURST);
    wait_taken(s, sigs, 1);
    assert_int_equal(assert_consistent(s), START);
    assert_int_equal(pf_h_worker_pids(s, after, START), START);
    assert_memory_equal(before, after, sizeof(before));
}

/* 100 SIGHUP: whatever a reload does, the pool stays consistent. */
PF_H_TEST(test_sighup_burst)
{
    static const int sigs[] = {SIGHUP};

    start_server(s);
    send_burst(s, sigs, 1, BURST);
    wait_taken(s, sigs, 1);
    assert_consistent(s);
}

/* 100 of each in a row, without waiting in between. */
PF_H_TEST(test_bursts_in_a_row)
{
    static const int sigs[] = {SIGTTIN, SIGCHLD, SIGHUP};

    start_server(s);
    for (int i = 0; i < 3; i++)
        send_burst(s, &sigs[i], 1, BURST);
    wait_taken(s, sigs, 3);
    assert_consistent(s);
}

/* TTIN, CHLD, HUP, TTIN, CHLD, HUP... 100 rounds. */
PF_H_TEST(test_bursts_interleaved)
{
    static const int sigs[] = {SIGTTIN, SIGCHLD, SIGHUP};

    start_server(s);
    send_burst(s, sigs, 3, BURST);
    wait_taken(s, sigs, 3);
    assert_consistent(s);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_masks_around_fork), PF_H_CASE(test_sigttin_burst),
        PF_H_CASE(test_sigchld_burst),     PF_H_CASE(test_sighup_burst),
        PF_H_CASE(test_bursts_in_a_row),   PF_H_CASE(test_bursts_interleaved),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
