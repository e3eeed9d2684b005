/* Integration: daemon operations from the command line.
 *
 *  - preforkd -d detaches and its launcher exits 0 once the server is
 *    ready, printing the pid and address; the daemon has no terminal, is
 *    not a session leader, and writes its pidfile;
 *  - a start-up that fails makes the launcher exit 1 with the reason;
 *  - the pidfile is locked: a second instance refuses to start and names
 *    the running pid; a stale pidfile, or one that holds no pid, is
 *    reported by -s and replaced at the next start; a symbolic link at its
 *    path is refused;
 *  - -s stop|quit|reload|reopen reach the master through the pidfile and
 *    say what they did; errors when it is not running.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_time.h"

/* The harness's config with an error log at s->log_path (so the log
 * helpers read it) and a pidfile, both beside the config. */
static void write_config(struct pf_server *s, const char *listen)
{
    struct pf_h_config c;
    char body[4096];

    pf_h_config_defaults(&c);
    c.listen = listen ? listen : "127.0.0.1:0";
    c.error_log = "preforkd.log";
    c.daemon_extra = "pidfile = \"preforkd.pid\";";
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
}

/* Run preforkd ARGS with the test config; the output is o's. */
#define RUN(s, o, ...) assert_int_equal(pf_h_run(s, o, __VA_ARGS__, (char *)NULL), 0)

PF_H_TEST(test_daemon_mode_reports_ready)
{
    struct pf_h_output o;
    struct pf_h_stat st;
    char want[128];
    pid_t pid;

    write_config(s, NULL);
    RUN(s, &o, "-d", "-c", "preforkd.conf");
    if (!pf_h_exited_with(o.status, 0))
        fail_msg("launcher: status %#x, stderr: %s", (unsigned)o.status, o.err);
    pid = pf_h_read_pid(s, "preforkd.pid");
    assert_true(pid > 0);
    s->pid = 0; /* not the harness's child: stopped below */
    snprintf(want, sizeof(want),
             "preforkd: running as pid %ld, listening on 127.0.0.1:", (long)pid);
    if (strncmp(o.out, want, strlen(want)) != 0)
        fail_msg("launcher said \"%s\", expected \"%s...\"", o.out, want);
    assert_string_equal(o.err, "");
    pf_h_output_free(&o);

    assert_true(pf_h_pid_alive(pid));
    assert_int_equal(pf_h_proc_stat(pid, &st), 0);
    assert_int_not_equal(st.session, pid); /* not its session's leader */
    assert_int_equal(st.tty_nr, 0);        /* no controlling terminal */
    assert_int_equal(pf_h_find_listening(s), 0);
    assert_int_equal(pf_h_check_serves(s), 0); /* ready means serving */
    assert_int_equal(pf_h_stop_detached(s, pid), 0);
    assert_null(pf_h_read(s, "preforkd.pid")); /* removed at exit */
}

/* A start-up that fails after detaching: the launcher waits for the
 * reason and exits 1 with it; nothing is left running. */
PF_H_TEST(test_daemon_mode_reports_failure)
{
    struct pf_h_output o;
    struct pf_addr a;
    char addr[64], text[64];
    int busy;

    busy = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(pf_addr_parse("127.0.0.1:0", &a, NULL, 0), 0);
    assert_int_equal(bind(busy, (struct sockaddr *)&a.ss, a.len), 0);
    assert_int_equal(listen(busy, 1), 0);
    a.len = sizeof(a.ss);
    assert_int_equal(getsockname(busy, (struct sockaddr *)&a.ss, &a.len), 0);
    snprintf(addr, sizeof(addr), "%s",
             pf_addr_format((struct sockaddr *)&a.ss, text, sizeof(text)));
    write_config(s, addr);
    RUN(s, &o, "--daemon", "--config", "preforkd.conf");
    assert_true(pf_h_exited_with(o.status, 1));
    assert_string_equal(o.out, "");
    if (strstr(o.err, "Address already in use") == NULL || strncmp(o.err, "preforkd: ", 10))
        fail_msg("launcher stderr: %s", o.err);
    assert_int_equal(pf_h_count_lines(o.err), 1);
    pf_h_output_free(&o);
    assert_true(pf_h_log_contains(s, "Address already in use")); /* and in the log */
    assert_null(pf_h_read(s, "preforkd.pid"));
    close(busy);
    s->pid = 0;
}

/* -d with no log file is refused before anything starts: a detached
 * daemon would have nowhere to say what goes wrong. */
PF_H_TEST(test_daemon_mode_needs_a_log_file)
{
    struct pf_h_output o;
    struct pf_h_config c;
    char body[4096];

    pf_h_config_defaults(&c);
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    RUN(s, &o, "-d", "-c", "preforkd.conf");
    assert_true(pf_h_exited_with(o.status, 1));
    assert_non_null(strstr(o.err, "-d needs daemon.error_log"));
    pf_h_output_free(&o);
    s->pid = 0;
}

/* The harness starts the master in the foreground with the pidfile. */
static void start_foreground(struct pf_server *s)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.daemon_extra = "pidfile = \"preforkd.pid\";";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(pf_h_read_pid(s, "preforkd.pid"), s->pid);
}

/* A second master on the same pidfile refuses, naming the first; the
 * first keeps its pidfile and keeps serving. */
PF_H_TEST(test_pidfile_refuses_second_instance)
{
    struct pf_h_output o;
    char want[96];

    start_foreground(s);
    RUN(s, &o, "-c", "preforkd.conf");
    assert_true(pf_h_exited_with(o.status, 1));
    snprintf(want, sizeof(want), "preforkd is already running as pid %ld", (long)s->pid);
    if (strstr(o.err, want) == NULL)
        fail_msg("stderr: %s", o.err);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_read_pid(s, "preforkd.pid"), s->pid);
    assert_int_equal(pf_h_check_serves(s), 0);
}

/* A pid of a process that has exited (and been reaped). */
static pid_t dead_pid(void)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return pid;
}

/* A pidfile left by a master killed with SIGKILL: -s says it is stale,
 * the next start replaces it and says so. */
PF_H_TEST(test_stale_pidfile_is_reported_and_replaced)
{
    struct pf_h_output o;
    char body[32], want[96];
    pid_t dead = dead_pid();

    snprintf(body, sizeof(body), "%ld\n", (long)dead);
    assert_int_equal(pf_h_write_file(s, "preforkd.pid", body, NULL), 0);
    write_config(s, NULL);
    RUN(s, &o, "-s", "reload", "-c", "preforkd.conf");
    assert_true(pf_h_exited_with(o.status, 1));
    snprintf(want, sizeof(want), "stale pidfile: pid %ld is not running", (long)dead);
    if (strstr(o.err, want) == NULL)
        fail_msg("stderr: %s", o.err);
    pf_h_output_free(&o);

    start_foreground(s);
    snprintf(want, sizeof(want), "(pid %ld was not running): replaced", (long)dead);
    assert_true(pf_h_log_contains(s, want));
}

/* A pidfile that holds no pid (garbage, empty): -s says so, quoting it,
 * rather than "pid 0 is not running"; the next start replaces it. */
PF_H_TEST(test_garbage_pidfile_is_reported_and_replaced)
{
    static const struct {
        const char *text, *shown;
    } cases[] = {{"garbage\n", "(\"garbage\")"}, {"", "(empty)"}};
    struct pf_h_output o;
    char path[PATH_MAX], want[PATH_MAX + 160];

    write_config(s, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(pf_h_write_file(s, "preforkd.pid", cases[i].text, path), 0);
        RUN(s, &o, "-s", "stop", "-c", "preforkd.conf");
        assert_true(pf_h_exited_with(o.status, 1));
        snprintf(want, sizeof(want),
                 "preforkd: -s stop: %s: holds no pid %s: preforkd is not running (no process "
                 "holds its lock)\n",
                 path, cases[i].shown);
        assert_string_equal(o.err, want);
        assert_string_equal(o.out, "");
        pf_h_output_free(&o);
    }
    start_foreground(s);
    assert_int_equal(pf_h_read_pid(s, "preforkd.pid"), s->pid);
}

/* A symbolic link at the pidfile's path is not followed: start-up fails
 * naming it, and the file it points to is untouched. */
PF_H_TEST(test_pidfile_symlink_is_refused)
{
    struct pf_h_output o;
    char target[PATH_MAX], link[PATH_MAX];
    char *text;

    assert_int_equal(pf_h_write_file(s, "precious", "keep me\n", target), 0);
    assert_int_equal(pf_h_path(link, s, "preforkd.pid"), 0);
    assert_int_equal(symlink(target, link), 0);
    write_config(s, NULL);
    RUN(s, &o, "-c", "preforkd.conf");
    assert_true(pf_h_exited_with(o.status, 1));
    if (strstr(o.err, "preforkd.pid") == NULL || strstr(o.err, "symbolic link") == NULL)
        fail_msg("stderr: %s", o.err);
    pf_h_output_free(&o);
    text = pf_h_read(s, "precious");
    assert_string_equal(text, "keep me\n");
    free(text);
}

/* -s NAME sends the signal and says so; the master does what it means. */
static void signal_and_expect(struct pf_server *s, const char *name, const char *sig,
                              const char *log_line)
{
    struct pf_h_output o;
    char want[128];

    RUN(s, &o, "-s", name, "-c", "preforkd.conf");
    assert_true(pf_h_exited_with(o.status, 0));
    snprintf(want, sizeof(want), "preforkd: %s: sent %s to the master, pid %ld\n", name, sig,
             (long)s->pid);
    assert_string_equal(o.out, want);
    pf_h_output_free(&o);
    if (log_line)
        assert_int_equal(pf_h_wait_log(s, log_line, PF_H_WAIT_MS), 0);
}

PF_H_TEST(test_signal_commands)
{
    struct pf_h_output o;
    int status;

    start_foreground(s);
    signal_and_expect(s, "reopen", "SIGUSR1", "log reopened");
    signal_and_expect(s, "reload", "SIGHUP", "reload: generation 2");
    signal_and_expect(s, "quit", "SIGQUIT", "graceful stop");
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    assert_null(pf_h_read(s, "preforkd.pid"));

    RUN(s, &o, "-s", "stop", "-c", "preforkd.conf"); /* nothing to stop now */
    assert_true(pf_h_exited_with(o.status, 1));
    assert_non_null(strstr(o.err, "preforkd is not running"));
    assert_string_equal(o.out, "");
    pf_h_output_free(&o);
}

/* -s stop is the fast stop; an unknown name and a missing pidfile
 * setting are refused with the reason. */
PF_H_TEST(test_signal_stop_and_errors)
{
    struct pf_h_output o;
    struct pf_h_config c;
    char body[4096];
    int status;

    start_foreground(s);
    signal_and_expect(s, "stop", "SIGTERM", "fast stop");
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));

    RUN(s, &o, "-s", "restart", "-c", "preforkd.conf");
    assert_true(pf_h_exited_with(o.status, 2));
    assert_non_null(strstr(o.err, "unknown signal \"restart\""));
    pf_h_output_free(&o);

    pf_h_config_defaults(&c);
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "nopid.conf", body, NULL), 0);
    RUN(s, &o, "-s", "reload", "-c", "nopid.conf");
    assert_true(pf_h_exited_with(o.status, 1));
    assert_non_null(strstr(o.err, "sets no daemon.pidfile"));
    pf_h_output_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PF_H_CASE(test_daemon_mode_reports_ready),
        PF_H_CASE(test_daemon_mode_reports_failure),
        PF_H_CASE(test_daemon_mode_needs_a_log_file),
        PF_H_CASE(test_pidfile_refuses_second_instance),
        PF_H_CASE(test_stale_pidfile_is_reported_and_replaced),
        PF_H_CASE(test_garbage_pidfile_is_reported_and_replaced),
        PF_H_CASE(test_pidfile_symlink_is_refused),
        PF_H_CASE(test_signal_commands),
        PF_H_CASE(test_signal_stop_and_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
