/* Integration: binary upgrade (SIGUSR2, preforkd -s upgrade, preforkctl
 * upgrade).
 *
 *  - under continuous load (keep-alive and close), an upgrade loses no
 *    request: the new master serves on the same listening socket, and
 *    the old one retires its workers gracefully and exits 0;
 *  - the new master writes the pidfile, the old one's PIDFILE.oldbin is
 *    gone, and the control channel (handed over too) answers from the
 *    new master;
 *  - a new master that cannot start (a broken configuration) is rolled
 *    back: the old master keeps serving, its pidfile back in place, and
 *    the log says why.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_addr.h"
#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_net.h"
#include "pf_time.h"

#define LOAD_REQUESTS 300 /* served before and after the upgrade, at least */

/* The configuration: http, a pidfile, the control channel; workers_start
 * workers. With broken set, workers.start is out of range (line 3). */
static void write_config(struct pf_server *s, int workers, bool broken)
{
    struct pf_h_config c;
    char body[8192];

    pf_h_config_defaults(&c);
    c.protocol = "http";
    c.workers_start = broken ? 0 : workers;
    c.daemon_extra = "pidfile = \"preforkd.pid\";";
    c.extra = PF_H_CTL_CONFIG "http = { root = \"www\"; };\n"
                              "status = { listen = \"127.0.0.1:0\"; };\n";
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
}

static void start(struct pf_server *s, int workers)
{
    char *body;

    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/hello.txt", "hello\n", NULL), 0);
    write_config(s, workers, false);
    body = pf_h_read(s, "preforkd.conf");
    assert_non_null(body);
    assert_int_equal(pf_h_start(s, body), 0);
    free(body);
    assert_int_equal(pf_h_wait_workers(s, workers, PF_H_WAIT_MS), 0);
}

/* The pid the control channel reports (whichever master answers). */
static pid_t status_pid(struct pf_server *s)
{
    json_t *j = pf_h_ctl_json(s, "status", NULL);
    long long pid = j ? pf_h_json_int(j, NULL, "pid") : -1;

    json_decref(j);
    return (pid_t)pid;
}

/* Wait until the master answering the control channel has served n
 * requests in all. */
static void wait_served(struct pf_server *s, long long n)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    while (pf_h_ctl_status_int(s, "totals.requests") < n) {
        if (pf_time_now_ms() >= deadline)
            fail_msg("fewer than %lld requests served after %d ms", n, PF_H_WAIT_MS);
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* GET /hello.txt on a new connection is answered 200 "hello". */
static void expect_hello(struct pf_server *s)
{
    struct pf_h_http r;

    assert_int_equal(
        pf_h_http_once(s, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r),
        0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello\n");
    pf_h_http_free(&r);
}

/* After an upgrade was asked for: the old master exits 0, the new one
 * holds the pidfile and answers the control channel. Returns its pid. */
static pid_t expect_taken_over(struct pf_server *s, pid_t old)
{
    char want[96];
    int status;
    pid_t new;

    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    new = pf_h_read_pid(s, "preforkd.pid");
    assert_true(new > 0);
    assert_int_not_equal(new, old);
    assert_true(pf_h_pid_alive(new));
    assert_int_equal(pf_h_read_pid(s, "preforkd.pid.oldbin"), 0); /* removed by the old master */
    snprintf(want, sizeof(want), "is ready; this master's workers finish");
    assert_true(pf_h_log_contains(s, want));
    snprintf(want, sizeof(want), "the new master (running as pid %ld", (long)new);
    assert_true(pf_h_log_contains(s, want));
    assert_int_equal(status_pid(s), new);
    return new;
}

/* The status listener was handed over: the new master announces the
 * same address, and GET /health there is answered 200 (the old master,
 * gone, answers nothing). */
static void expect_status_listener_kept(struct pf_server *s)
{
    char word[PF_ADDR_STRLEN], line[96], err[256];
    struct pf_addr a;
    struct pf_h_http r;
    int fd;

    assert_int_equal(pf_h_log_word_after(s, "status listener on ", false, word, sizeof(word)), 0);
    snprintf(line, sizeof(line), "status listener on %s ", word);
    assert_int_equal(pf_h_log_count(s, line), 2); /* the old master's, then the new one's */
    assert_int_equal(pf_addr_parse(word, &a, NULL, 0), 0);
    fd = pf_net_connect(&a, PF_H_WAIT_MS, err, sizeof(err));
    assert_true(fd >= 0);
    assert_int_equal(pf_h_http_exchange(fd, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    close(fd);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
}

static void upgrade_under_load(struct pf_server *s, bool close_mode)
{
    struct pf_h_output o;
    long long ok, failed;
    pid_t bench, old, new;

    start(s, 4);
    old = s->pid;
    bench = pf_h_bench_start(s, "/hello.txt", close_mode);
    assert_true(bench > 0);
    wait_served(s, LOAD_REQUESTS);
    assert_int_equal(pf_h_run(s, &o, "-s", "upgrade", "-c", "preforkd.conf", (char *)NULL), 0);
    assert_true(pf_h_exited_with(o.status, 0));
    assert_non_null(strstr(o.out, "upgrade: sent SIGUSR2 to the master"));
    pf_h_output_free(&o);
    new = expect_taken_over(s, old);
    expect_status_listener_kept(s);
    wait_served(s, LOAD_REQUESTS); /* the new master's own count */
    assert_int_equal(pf_h_bench_finish(s, bench, &ok, &failed), 0);
    pf_h_note("%s: %lld ok, %lld failed across the upgrade (master %ld -> %ld)",
              close_mode ? "close" : "keep-alive", ok, failed, (long)old, (long)new);
    assert_true(ok > 2 * LOAD_REQUESTS);
    assert_int_equal(failed, 0);
    assert_int_equal(pf_h_stop_detached(s, new), 0);
}

PF_H_TEST(test_upgrade_under_keepalive_load_loses_nothing)
{
    upgrade_under_load(s, false);
}

PF_H_TEST(test_upgrade_under_close_load_loses_nothing)
{
    upgrade_under_load(s, true);
}

/* A new master that cannot start: the old master says why, renames its
 * pidfile back and keeps serving; once the file is fixed, preforkctl
 * upgrade succeeds. */
PF_H_TEST(test_failed_upgrade_rolls_back)
{
    json_t *j;
    pid_t old, new;

    start(s, 2);
    old = s->pid;
    write_config(s, 2, true);
    assert_int_equal(pf_h_signal(s, SIGUSR2), 0);
    assert_int_equal(pf_h_wait_log(s, "upgrade failed: new master", PF_H_WAIT_MS), 0);
    assert_true(pf_h_log_contains(s, "workers.start"));
    assert_true(pf_h_log_contains(s, "this master keeps serving"));
    assert_int_equal(pf_h_read_pid(s, "preforkd.pid"), old);
    assert_int_equal(pf_h_read_pid(s, "preforkd.pid.oldbin"), 0);
    assert_true(pf_h_running(s));
    expect_hello(s);
    assert_int_equal(status_pid(s), old);

    write_config(s, 2, false);
    j = pf_h_ctl_json(s, "upgrade", NULL);
    assert_non_null(j);
    assert_int_equal(pf_h_json_int(j, NULL, "master"), old);
    new = (pid_t)pf_h_json_int(j, NULL, "new_master");
    json_decref(j);
    assert_int_equal(expect_taken_over(s, old), new);
    expect_hello(s);
    assert_int_equal(pf_h_stop_detached(s, new), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PF_H_CASE(test_upgrade_under_keepalive_load_loses_nothing),
        PF_H_CASE(test_upgrade_under_close_load_loses_nothing),
        PF_H_CASE(test_failed_upgrade_rolls_back),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
