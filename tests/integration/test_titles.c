/* Integration: what ps shows for each process (docs/operations.md,
 * "What ps shows").
 *
 *  - the master is titled "preforkd: master" and its arguments, its name
 *    (comm) the binary's; each worker "preforkd: worker (gen G, slot S)"
 *    as the master counts them (preforkctl workers), named
 *    preforkd-worker; the keeper "preforkd: keeper", named
 *    preforkd-keeper; after a reload the workers say gen 2;
 *  - a master stopping gracefully says "(stopping)", one a binary upgrade
 *    replaced "(retiring)" while its last workers finish, and the new
 *    master's title is its own.
 *
 * The program form's titles (the master's carries the program's line, an
 * exec worker shows its program's) are test_exec's
 * (test_exec_command_line).
 *
 * Under valgrind /proc/PID/cmdline is valgrind's own command line (the
 * title goes into the memory valgrind laid out for the server, which the
 * kernel does not read) and the master's name is valgrind's: the workers'
 * and the keeper's names are still checked, the titles are not, and every
 * case still runs, so that valgrind watches each title being written.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"

/* What is looked at unless valgrind runs the server (the title, the
 * master's name): NULL then. */
static const char *unless_valgrind(const char *what)
{
    return pf_h_under_valgrind() ? NULL : what;
}

/* The master's title when started by the harness with -c CONFIG. */
static void master_title(const struct pf_server *s, const char *state, char *out, size_t size)
{
    snprintf(out, size, "preforkd: master%s -c %s", state, s->config_path);
}

/* The master is named and titled as started (state: "" or " (...)"). */
static void expect_master(struct pf_server *s, pid_t pid, const char *state)
{
    char want[PATH_MAX + 64];

    master_title(s, state, want, sizeof(want));
    assert_int_equal(pf_h_wait_named(pid, unless_valgrind("preforkd"), unless_valgrind(want),
                                     PF_H_WAIT_MS),
                     0);
}

/* Every live worker is named preforkd-worker and titled with the
 * generation and slot `preforkctl workers` gives it; all of generation
 * gen, n of them, in n different slots. */
static void expect_workers(struct pf_server *s, int n, unsigned gen)
{
    pid_t pids[16];
    json_t *j = pf_h_ctl_json(s, "workers", NULL), *w;
    bool slot_seen[16] = {false};
    int found = 0;
    size_t i;

    assert_non_null(j);
    assert_int_equal(pf_h_worker_pids(s, pids, 16), n);
    json_array_foreach(json_object_get(j, "workers"), i, w)
    {
        pid_t pid = (pid_t)pf_h_json_int(w, NULL, "pid");
        long long slot = pf_h_json_int(w, NULL, "slot");
        char want[64];

        if (!pf_h_pid_alive(pid)) /* one of the last generation not yet reaped */
            continue;
        assert_int_equal(pf_h_json_int(w, NULL, "generation"), gen);
        assert_true(slot >= 0 && slot < 16 && !slot_seen[slot]);
        slot_seen[slot] = true;
        snprintf(want, sizeof(want), "preforkd: worker (gen %u, slot %lld)", gen, slot);
        assert_int_equal(pf_h_wait_named(pid, "preforkd-worker", unless_valgrind(want),
                                         PF_H_WAIT_MS),
                         0);
        found++;
    }
    json_decref(j);
    assert_int_equal(found, n);
}

/* The keeper runs, named and titled as the keeper. */
static void expect_keeper(struct pf_server *s)
{
    pid_t keeper = pf_h_keeper_pid(s);

    assert_true(keeper > 0);
    assert_int_equal(pf_h_wait_named(keeper, "preforkd-keeper", unless_valgrind("preforkd: keeper"),
                                     PF_H_WAIT_MS),
                     0);
}

/* http with the keeper and the control channel, n workers, ready (a
 * master still starting would put off an upgrade, and wait for a worker
 * held before it was ready); more configuration in daemon_extra (may be
 * NULL). */
static void start_http(struct pf_server *s, int n, const char *daemon_extra)
{
    struct pf_h_config c;
    char ready[64];

    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/hello.txt", "hello\n", NULL), 0);
    pf_h_config_defaults(&c);
    c.protocol = "http";
    c.workers_start = n;
    c.daemon_extra = daemon_extra;
    c.extra = PF_H_CTL_CONFIG "http = { root = \"www\"; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    snprintf(ready, sizeof(ready), "ready: %d workers accepting", n);
    assert_int_equal(pf_h_wait_log(s, ready, pf_h_scaled_ms(PF_H_WAIT_MS)), 0);
}

PF_H_TEST(test_titles_of_master_workers_and_keeper)
{
    start_http(s, 2, NULL);
    expect_master(s, s->pid, "");
    expect_workers(s, 2, 1);
    expect_keeper(s);

    assert_int_equal(pf_h_signal(s, SIGHUP), 0);
    assert_int_equal(pf_h_wait_log(s, "reload: generation 2 is serving", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    expect_workers(s, 2, 2);
    expect_master(s, s->pid, ""); /* a reload changes neither */
    expect_keeper(s);
}

/* One of the master's workers, stopped (SIGSTOP): it cannot exit, so a
 * master that stops or retires waits for it, in that state, until it is
 * let go on. */
static pid_t hold_a_worker(struct pf_server *s)
{
    pid_t pids[4];

    assert_true(pf_h_worker_pids(s, pids, 4) > 0);
    assert_int_equal(kill(pids[0], SIGSTOP), 0);
    assert_int_equal(pf_h_wait_pid_state(pids[0], 'T', PF_H_WAIT_MS), 0);
    return pids[0];
}

PF_H_TEST(test_title_of_a_stopping_master)
{
    int status;
    pid_t held;

    start_http(s, 2, NULL);
    held = hold_a_worker(s);
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    expect_master(s, s->pid, " (stopping)");
    assert_int_equal(kill(held, SIGCONT), 0); /* its SIGQUIT was pending: it exits */
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
}

PF_H_TEST(test_titles_across_a_binary_upgrade)
{
    char want[PATH_MAX + 64];
    int status;
    pid_t held, new;

    start_http(s, 2, "pidfile = \"preforkd.pid\";");
    held = hold_a_worker(s);
    assert_int_equal(pf_h_signal(s, SIGUSR2), 0);
    assert_int_equal(pf_h_wait_log(s, "is ready; this master's workers finish",
                                   pf_h_scaled_ms(PF_H_WAIT_MS)),
                     0);
    expect_master(s, s->pid, " (retiring)");
    new = pf_h_read_pid(s, "preforkd.pid");
    assert_true(new > 0 && new != s->pid);
    /* the new master was started as "preforkd -f -c CONFIG" */
    snprintf(want, sizeof(want), "preforkd: master -f -c %s", s->config_path);
    assert_int_equal(pf_h_wait_named(new, unless_valgrind("preforkd"), unless_valgrind(want),
                                     PF_H_WAIT_MS),
                     0);
    assert_int_equal(kill(held, SIGCONT), 0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    assert_int_equal(pf_h_stop_detached(s, new), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PF_H_CASE(test_titles_of_master_workers_and_keeper),
        PF_H_CASE(test_title_of_a_stopping_master),
        PF_H_CASE(test_titles_across_a_binary_upgrade),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
