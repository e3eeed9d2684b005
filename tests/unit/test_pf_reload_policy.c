/* Unit tests for pf_reload_policy: which settings a reload applies and which wait
 * for a restart, what it must do about the listening socket, the checks
 * against the settings kept, and the roll-over plan (step by step, and
 * simulated to the end on pools with plenty and with too few slots). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pf_reload_policy.h"

/* Two configurations at their defaults: the running one and the next. */
struct pair {
    struct pf_config cur, next;
};

static struct pair pair;

/* Fixture: both configurations at the defaults. */
static int setup_pair(void **state)
{
    pf_config_defaults(&pair.cur);
    pf_config_defaults(&pair.next);
    *state = &pair;
    return 0;
}

/* The names of l joined, for comparisons. */
static const char *joined(const struct pf_config_names *l)
{
    static char buf[PF_CONFIG_NAMES_MAX * PF_CONFIG_NAME_LEN];

    return pf_reload_policy_join(l, buf, sizeof(buf));
}

/* Diff pair.cur against pair.next into d. */
static void diff(struct pf_reload_policy_diff *d)
{
    pf_reload_policy_diff(&pair.cur, &pair.next, d);
}

/* Set next's listen address (text and parsed). */
static void set_listen(struct pf_config *c, const char *text)
{
    snprintf(c->listen, sizeof(c->listen), "%s", text);
    assert_int_equal(pf_addr_parse(text, &c->listen_addr, NULL, 0), 0);
}

static void test_restart_only_names(void **state)
{
    (void)state;
    assert_true(pf_reload_policy_restart_only("workers", "max"));
    assert_true(pf_reload_policy_restart_only("control", "listen"));
    assert_true(pf_reload_policy_restart_only("control", "max_clients"));
    assert_true(pf_reload_policy_restart_only("control", "token_file"));
    assert_true(pf_reload_policy_restart_only("status", "listen"));
    assert_true(pf_reload_policy_restart_only("status", "max_clients"));
    assert_false(pf_reload_policy_restart_only("status", "metrics_token"));
    assert_true(pf_reload_policy_restart_only("keeper", "parking"));
    assert_true(pf_reload_policy_restart_only("keeper", "max_parked"));
    assert_false(pf_reload_policy_restart_only("keeper", "linger"));
    assert_false(pf_reload_policy_restart_only(NULL, "parking"));
    assert_false(pf_reload_policy_restart_only("control", "idle_timeout"));
    assert_false(pf_reload_policy_restart_only(NULL, "listen")); /* the service's: applied */
    assert_false(pf_reload_policy_restart_only("workers", "start"));
    assert_false(pf_reload_policy_restart_only("http", "root"));
    assert_false(pf_reload_policy_restart_only("daemon", "error_log"));
    assert_false(pf_reload_policy_restart_only("daemon", "log_level"));
}

/* The same file twice: nothing to report, nothing to do. */
static void test_diff_nothing(void **state)
{
    struct pf_reload_policy_diff d;

    (void)state;
    diff(&d);
    assert_int_equal(d.applied.n, 0);
    assert_int_equal(d.restart.n, 0);
    assert_false(d.listen_moved || d.listen_tuned || d.start_changed || d.error_log_moved);
    assert_string_equal(joined(&d.applied), "");
}

/* Every kind of field: string, int, long, size_t, duration, log level,
 * list of strings. */
static void test_diff_applied_in_table_order(void **state)
{
    struct pf_reload_policy_diff d;

    (void)state;
    snprintf(pair.next.http.root, sizeof(pair.next.http.root), "/srv/other");
    pair.next.workers.max_requests = 100;
    pair.next.echo.max_line = 100;
    pair.next.client.idle_timeout_ms = 1500;
    pair.next.keeper.linger_ms = 0;
    pair.next.daemon.log_level = 0;
    pair.next.control.idle_timeout_ms = 5000;
    memcpy(pair.next.http.error_pages, "404 /srv/404.html", 18); /* a list */
    pair.next.http.nerror_pages = 1;
    diff(&d);
    assert_string_equal(joined(&d.applied), "workers.max_requests, client.idle_timeout, "
                                            "echo.max_line, http.root, http.error_pages, "
                                            "keeper.linger, control.idle_timeout, "
                                            "daemon.log_level");
    assert_int_equal(d.restart.n, 0);
    assert_false(d.listen_moved || d.listen_tuned || d.start_changed || d.error_log_moved);
}

static void test_diff_restart_only(void **state)
{
    struct pf_reload_policy_diff d;

    (void)state;
    pair.next.workers.max = 8;
    pair.next.control.max_clients = 4;
    snprintf(pair.next.control.token_file, sizeof(pair.next.control.token_file), "/t");
    snprintf(pair.next.http.server_name, sizeof(pair.next.http.server_name), "example.org");
    pair.next.keeper.parking = false;
    pair.next.keeper.max_parked = 1000;
    diff(&d);
    assert_string_equal(joined(&d.restart), "workers.max, keeper.parking, keeper.max_parked, "
                                            "control.token_file, control.max_clients");
    assert_string_equal(joined(&d.applied), "http.server_name");
}

/* A boolean setting compares as a boolean, whichever way it changes. */
static void test_diff_bool(void **state)
{
    struct pf_reload_policy_diff d;

    (void)state;
    pair.cur.keeper.parking = false;
    pair.next.keeper.parking = false;
    diff(&d);
    assert_int_equal(d.restart.n, 0);
    pair.next.keeper.parking = true;
    diff(&d);
    assert_string_equal(joined(&d.restart), "keeper.parking");
    assert_int_equal(d.applied.n, 0);
}

/* The address, not its spelling, decides whether a new socket is bound. */
static void test_diff_listen_same_address(void **state)
{
    struct pf_reload_policy_diff d;

    (void)state;
    set_listen(&pair.cur, "127.0.0.1:8080");
    set_listen(&pair.next, "localhost:8080");
    diff(&d);
    assert_false(d.listen_moved);
    assert_int_equal(d.applied.n, 0);
}

/* A new port with a new backlog: one new socket has both. */
static void test_diff_listen_moved(void **state)
{
    struct pf_reload_policy_diff d;

    (void)state;
    set_listen(&pair.next, "127.0.0.1:8081");
    pair.next.backlog = 16;
    diff(&d);
    assert_true(d.listen_moved);
    assert_false(d.listen_tuned);
    assert_string_equal(joined(&d.applied), "listen, backlog");
}

/* Same address, another backlog or defer_accept: the socket in use is
 * adjusted. */
static void test_diff_listen_tuned(void **state)
{
    struct pf_reload_policy_diff d;

    (void)state;
    pair.next.backlog = 16;
    diff(&d);
    assert_true(d.listen_tuned);
    assert_false(d.listen_moved);
    pair.next.backlog = pair.cur.backlog;
    pair.next.defer_accept_ms = 0;
    diff(&d);
    assert_true(d.listen_tuned);
    assert_string_equal(joined(&d.applied), "defer_accept");
}

static void test_diff_start_and_error_log(void **state)
{
    struct pf_reload_policy_diff d;

    (void)state;
    pair.next.workers.start = 6;
    snprintf(pair.next.daemon.error_log, sizeof(pair.next.daemon.error_log), "/var/log/x");
    diff(&d);
    assert_true(d.start_changed);
    assert_true(d.error_log_moved);
    assert_string_equal(joined(&d.applied), "workers.start, daemon.error_log");
}

/* Restart-only values come back from the running configuration; the
 * others stay as loaded. */
static void test_keep_restart_only(void **state)
{
    struct pf_reload_policy_diff d;

    (void)state;
    snprintf(pair.cur.control.listen, sizeof(pair.cur.control.listen), "127.0.0.1:8099");
    assert_int_equal(pf_addr_parse("127.0.0.1:8099", &pair.cur.control.listen_addr, NULL, 0), 0);
    pair.next.workers.max = 8;
    pair.next.control.max_clients = 2;
    snprintf(pair.next.control.listen, sizeof(pair.next.control.listen), "127.0.0.1:9000");
    assert_int_equal(pf_addr_parse("127.0.0.1:9000", &pair.next.control.listen_addr, NULL, 0), 0);
    pair.next.workers.start = 3;
    pair.next.keeper.parking = false;
    pair.next.keeper.max_parked = 5;
    pair.next.keeper.linger_ms = 7;
    pf_reload_policy_keep_restart_only(&pair.cur, &pair.next);
    assert_int_equal(pair.next.workers.max, pair.cur.workers.max);
    assert_true(pair.next.keeper.parking);
    assert_int_equal(pair.next.keeper.max_parked, 0);
    assert_int_equal(pair.next.keeper.linger_ms, 7); /* applied: kept as loaded */
    assert_int_equal(pair.next.control.max_clients, pair.cur.control.max_clients);
    assert_string_equal(pair.next.control.listen, "127.0.0.1:8099");
    assert_memory_equal(&pair.next.control.listen_addr, &pair.cur.control.listen_addr,
                        sizeof(pair.cur.control.listen_addr));
    assert_int_equal(pair.next.workers.start, 3);
    diff(&d);
    assert_int_equal(d.restart.n, 0);
    assert_string_equal(joined(&d.applied), "workers.start, keeper.linger");
}

/* workers.start (and a dynamic pool's max_spare) must fit the workers.max
 * that stays in force. */
static void test_check_against_kept_max(void **state)
{
    char err[256] = "";

    (void)state;
    pair.next.workers.max = 4;
    pair.next.workers.start = 4;
    assert_int_equal(pf_reload_policy_check(&pair.next, "/etc/p.conf", err, sizeof(err)), 0);
    pair.next.workers.start = 6;
    assert_int_equal(pf_reload_policy_check(&pair.next, "/etc/p.conf", err, sizeof(err)), -1);
    assert_string_equal(err, "/etc/p.conf: workers.start: 6 is above workers.max (4 until a "
                             "restart)");
    pair.next.workers.start = 2;
    pair.next.workers.max_spare = 8; /* ignored by the static mode */
    assert_int_equal(pf_reload_policy_check(&pair.next, "/etc/p.conf", err, sizeof(err)), 0);
    snprintf(pair.next.workers.mode, sizeof(pair.next.workers.mode), "dynamic");
    assert_int_equal(pf_reload_policy_check(&pair.next, "/etc/p.conf", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "workers.max_spare: 8 is above workers.max (4"));
}

static void test_join(void **state)
{
    struct pf_config_names l = {0};
    char small[8];

    (void)state;
    assert_string_equal(joined(&l), "");
    snprintf(l.name[l.n++], PF_CONFIG_NAME_LEN, "listen");
    assert_string_equal(joined(&l), "listen");
    snprintf(l.name[l.n++], PF_CONFIG_NAME_LEN, "http.root");
    assert_string_equal(joined(&l), "listen, http.root");
    assert_string_equal(pf_reload_policy_join(&l, small, sizeof(small)),
                        "listen,"); /* cut, ended */
}

/* ------------------------------------------------------------ roll-over */

/* The plan for one set of counts. */
static struct pf_reload_policy_rollover_step plan(int target, int new_active, int new_ready,
                                                  int old_active, int free_slots, int retiring)
{
    struct pf_reload_policy_rollover_counts c = {target,     new_active, new_ready,
                                                 old_active, free_slots, retiring};

    return pf_reload_policy_rollover(&c);
}

static void assert_step(struct pf_reload_policy_rollover_step st, int spawn, int retire)
{
    if (st.spawn != spawn || st.retire != retire)
        fail_msg("plan: spawn %d retire %d; expected spawn %d retire %d", st.spawn, st.retire,
                 spawn, retire);
}

/* Slots enough for both generations: all new first, then all old. */
static void test_plan_new_first(void **state)
{
    (void)state;
    assert_step(plan(4, 0, 0, 4, 12, 0), 4, 0); /* just reloaded */
    assert_step(plan(4, 4, 0, 4, 8, 0), 0, 0);  /* starting: old ones keep serving */
    assert_step(plan(4, 4, 1, 4, 8, 0), 0, 1);  /* one ready: one old retired */
    assert_step(plan(4, 4, 4, 3, 8, 1), 0, 3);  /* all ready: the rest */
    assert_step(plan(4, 4, 4, 0, 8, 4), 0, 0);  /* done */
}

/* Fewer free slots than the target: new ones as slots allow, old ones
 * only as new ones are ready. */
static void test_plan_few_slots(void **state)
{
    (void)state;
    assert_step(plan(4, 0, 0, 4, 2, 0), 2, 0);
    assert_step(plan(4, 2, 0, 4, 0, 0), 0, 0); /* new ones starting: wait */
    assert_step(plan(4, 2, 2, 4, 0, 0), 0, 2);
    assert_step(plan(4, 2, 2, 2, 0, 2), 0, 0); /* their slots free up soon: wait */
    assert_step(plan(4, 2, 2, 2, 2, 0), 2, 0);
}

/* No slot free, none about to be, nothing starting: one old worker makes
 * room, and only then. */
static void test_plan_no_slot(void **state)
{
    (void)state;
    assert_step(plan(4, 0, 0, 4, 0, 0), 0, 1);
    assert_step(plan(4, 0, 0, 3, 0, 1), 0, 0); /* it is leaving */
    assert_step(plan(4, 1, 0, 3, 0, 0), 0, 0); /* its successor starts */
    assert_step(plan(4, 1, 1, 3, 0, 0), 0, 1); /* ready: next one */
}

/* A reload that changed workers.start: the new target rules, also for
 * how many old workers must keep serving meanwhile. */
static void test_plan_target_changed(void **state)
{
    (void)state;
    assert_step(plan(6, 0, 0, 2, 14, 0), 6, 0);
    assert_step(plan(6, 6, 6, 2, 8, 0), 0, 2);
    assert_step(plan(1, 0, 0, 4, 12, 0), 1, 3); /* one old one covers the new target */
    assert_step(plan(1, 1, 0, 1, 11, 3), 0, 0);
    assert_step(plan(1, 1, 1, 1, 11, 3), 0, 1);
}

/* A pool of nslots, one worker a slot; each step the plan runs, then
 * starting workers become ready and leaving ones exit. */
struct sim {
    int nslots, target;
    int old_ready, new_starting, new_ready, leaving;
};

/* One step; returns the workers accepting clients after the plan ran. */
static int sim_step(struct sim *s)
{
    struct pf_reload_policy_rollover_counts c = {
        .target = s->target,
        .new_active = s->new_starting + s->new_ready,
        .new_ready = s->new_ready,
        .old_active = s->old_ready,
        .free_slots = s->nslots - s->old_ready - s->new_starting - s->new_ready - s->leaving,
        .retiring = s->leaving,
    };
    struct pf_reload_policy_rollover_step st = pf_reload_policy_rollover(&c);
    int serving;

    assert_true(st.spawn <= c.free_slots);
    assert_true(st.retire <= s->old_ready);
    s->old_ready -= st.retire;
    serving = s->old_ready + s->new_ready;
    s->leaving = st.retire;          /* exit before the next step */
    s->new_ready += s->new_starting; /* ready by the next step */
    s->new_starting = st.spawn;
    return serving;
}

/* Run a roll-over of target workers in nslots slots to its end; the
 * fewest workers accepting at any step must be at least floor. */
static void simulate(int nslots, int target, int floor)
{
    struct sim s = {nslots, target, target, 0, 0, 0};
    int steps = 0;

    while (s.old_ready > 0 || s.new_ready + s.new_starting < target) {
        int serving = sim_step(&s);

        if (serving < floor)
            fail_msg("%d slots, target %d: %d accepting at step %d", nslots, target, serving,
                     steps);
        assert_true(++steps < 10 * target + 10);
    }
    assert_int_equal(s.new_ready + s.new_starting, target);
}

static void test_plan_simulated(void **state)
{
    (void)state;
    simulate(8, 4, 4); /* 2 x target slots: never below the target */
    simulate(64, 4, 4);
    simulate(7, 4, 3); /* short of slots: at most one below, one for one */
    simulate(5, 4, 3);
    simulate(4, 4, 3); /* not one slot spare */
    simulate(1, 1, 0); /* a single slot: the old worker must go first */
}

#define PAIR_TEST(f) cmocka_unit_test_setup(f, setup_pair)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_only_names),
        PAIR_TEST(test_diff_nothing),
        PAIR_TEST(test_diff_applied_in_table_order),
        PAIR_TEST(test_diff_restart_only),
        PAIR_TEST(test_diff_bool),
        PAIR_TEST(test_diff_listen_same_address),
        PAIR_TEST(test_diff_listen_moved),
        PAIR_TEST(test_diff_listen_tuned),
        PAIR_TEST(test_diff_start_and_error_log),
        PAIR_TEST(test_keep_restart_only),
        PAIR_TEST(test_check_against_kept_max),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_plan_new_first),
        cmocka_unit_test(test_plan_few_slots),
        cmocka_unit_test(test_plan_no_slot),
        cmocka_unit_test(test_plan_target_changed),
        cmocka_unit_test(test_plan_simulated),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
