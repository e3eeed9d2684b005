/* Integration: preforkctl, the control channel's command-line client,
 * against the real preforkd. */
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_net.h"
#include "pf_time.h"

#define CTL_LOG_LINE "control channel listening on "
#define CTL_TOP_MS 10000 /* bound on top printing its tables, and on its exit */

extern char **environ;

/* The control channel of the server under test, from its log. */
static char ctl_addr[PF_ADDR_STRLEN];

/* preforkctl, beside the preforkd under test: .../server/preforkd ->
 * .../tools/preforkctl/preforkctl. */
static const char *ctl_binary(void)
{
    static char path[PATH_MAX];
    char server[PATH_MAX];

    if (path[0] == '\0') {
        snprintf(server, sizeof(server), "%s", PF_TEST_BINARY);
        snprintf(path, sizeof(path), "%s/tools/preforkctl/preforkctl", dirname(dirname(server)));
    }
    return path;
}

/* Wait for the "control channel listening on ADDR" line; ADDR into ctl_addr. */
static void ctl_parse_addr(struct pf_server *s)
{
    char *log, *p;
    size_t n;

    assert_int_equal(pf_h_wait_log(s, CTL_LOG_LINE, PF_H_WAIT_MS), 0);
    log = pf_h_log_read(s);
    assert_non_null(log);
    p = strstr(log, CTL_LOG_LINE);
    assert_non_null(p);
    p += strlen(CTL_LOG_LINE);
    n = strcspn(p, " \r\n");
    assert_true(n > 0 && n < sizeof(ctl_addr));
    memcpy(ctl_addr, p, n);
    ctl_addr[n] = '\0';
    free(log);
}

/* Start an echo server with `workers` workers and a control channel whose
 * token file is dir/tok; ctl_addr gets its address. */
static void start_ctl_keeper(struct pf_server *s, int workers, const char *keeper)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.workers_start = workers;
    c.workers_max = 8;
    c.keeper_extra = keeper;
    c.extra = "control = { listen = \"127.0.0.1:0\"; token_file = \"tok\"; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    ctl_parse_addr(s);
}

static void start_ctl(struct pf_server *s, int workers)
{
    start_ctl_keeper(s, workers, "");
}

/* Run `preforkctl ARGS...` (NULL-terminated) in s->dir to completion. */
static void ctl_run(struct pf_server *s, struct pf_h_output *o, ...)
{
    char *argv[32];
    int n = 0;
    va_list ap;

    argv[n++] = (char *)ctl_binary();
    va_start(ap, o);
    for (char *a; n < 31 && (a = va_arg(ap, char *)) != NULL;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    assert_int_equal(pf_h_run_cmd(s, o, argv), 0);
}

/* `preforkctl -a ADDR -t tok ARGS...` (up to three words). */
static void ctl_cmd(struct pf_server *s, struct pf_h_output *o, const char *a1, const char *a2,
                    const char *a3)
{
    ctl_run(s, o, "-a", ctl_addr, "-t", "tok", a1, a2, a3, (char *)NULL);
}

/* Fail with the output unless the run exited with code and its stdout
 * and stderr hold the needles (NULL: not checked). */
static void expect(const struct pf_h_output *o, int code, const char *out, const char *err)
{
    if (!pf_h_exited_with(o->status, code) || (out && !strstr(o->out, out)) ||
        (err && !strstr(o->err, err)))
        fail_msg("expected exit %d, stdout with \"%s\", stderr with \"%s\"; got status 0x%x\n"
                 "stdout: %s\nstderr: %s",
                 code, out ? out : "", err ? err : "", (unsigned)o->status, o->out, o->err);
}

/* stdout as one line of JSON, an object whose "ok" is ok. */
static json_t *expect_json_line(const struct pf_h_output *o, bool ok)
{
    json_error_t jerr;
    json_t *j;

    assert_int_equal(pf_h_count_lines(o->out), 1);
    j = json_loads(o->out, 0, &jerr);
    if (!json_is_object(j))
        fail_msg("not a JSON object (%s): %s", jerr.text, o->out);
    assert_true(json_is_boolean(json_object_get(j, "ok")));
    assert_int_equal(json_is_true(json_object_get(j, "ok")), ok);
    return j;
}

/* The integer at obj.key (fails the test when missing). */
static json_int_t json_int_at(const json_t *j, const char *obj, const char *key)
{
    const json_t *v = json_object_get(obj ? json_object_get(j, obj) : j, key);

    if (!json_is_integer(v))
        fail_msg("no integer %s.%s", obj ? obj : "", key);
    return json_integer_value(v);
}

PF_H_TEST(test_status_human)
{
    struct pf_h_output o;
    char line[64];

    start_ctl(s, 2);
    /* every worker past its set-up (a slow run may catch one starting) */
    assert_int_equal(pf_h_wait_log(s, "ready: 2 workers accepting", PF_H_WAIT_MS), 0);
    ctl_cmd(s, &o, "status", NULL, NULL);
    expect(&o, 0, "uptime:", NULL);
    snprintf(line, sizeof(line), "pid:");
    assert_non_null(strstr(o.out, line));
    snprintf(line, sizeof(line), " %ld\n", (long)s->pid);
    assert_non_null(strstr(o.out, line));
    assert_non_null(strstr(o.out, "2 idle, 0 busy, 0 waiting, 2 total (target 2, max 8)"));
    assert_non_null(strstr(o.out, s->addr_text));
    assert_non_null(strstr(o.out, "protocol:"));
    assert_non_null(strstr(o.out, "listen queue:"));
    assert_string_equal(o.err, "");
    pf_h_output_free(&o);
}

PF_H_TEST(test_status_json)
{
    struct pf_h_output o;
    json_t *j;

    start_ctl(s, 2);
    ctl_cmd(s, &o, "--json", "status", NULL);
    expect(&o, 0, NULL, NULL);
    j = expect_json_line(&o, true);
    assert_int_equal(json_int_at(j, NULL, "pid"), s->pid);
    assert_int_equal(json_int_at(j, "workers", "total"), 2);
    assert_int_equal(json_int_at(j, "workers", "target"), 2);
    assert_string_equal(json_string_value(json_object_get(j, "protocol")), "echo");
    assert_string_equal(json_string_value(json_object_get(j, "listen")), s->addr_text);
    json_decref(j);
    pf_h_output_free(&o);
}

/* The pids in the PID column of a workers table, sorted like the harness's. */
static int table_pids(const char *table, pid_t *pids, int max)
{
    const char *line = strchr(table, '\n');
    int n = 0, slot, pid;

    assert_true(strncmp(table, "SLOT", 4) == 0);
    while (line != NULL && line[1] != '\0' && n < max) {
        assert_int_equal(sscanf(line + 1, "%d %d", &slot, &pid), 2);
        pids[n++] = (pid_t)pid;
        line = strchr(line + 1, '\n');
    }
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && pids[k - 1] > pids[k]; k--) {
            pid_t t = pids[k];

            pids[k] = pids[k - 1];
            pids[k - 1] = t;
        }
    return n;
}

PF_H_TEST(test_workers_table)
{
    struct pf_h_output o;
    pid_t want[8], got[8];
    int n;

    start_ctl(s, 3);
    n = pf_h_worker_pids(s, want, 8);
    assert_int_equal(n, 3);
    ctl_cmd(s, &o, "workers", NULL, NULL);
    expect(&o, 0, "SLOT", NULL);
    assert_non_null(strstr(o.out, "PID"));
    assert_non_null(strstr(o.out, "REQUEST"));
    assert_int_equal(pf_h_count_lines(o.out), 1 + n);
    assert_int_equal(table_pids(o.out, got, 8), n);
    for (int i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
    pf_h_output_free(&o);
}

/* A worker serving a client shows the client's address. The client is
 * idle once served: with parking on it would be parked after
 * keeper.linger (the worker then shows none), so parking is off here. */
PF_H_TEST(test_workers_shows_client)
{
    struct pf_h_output o;
    struct pf_addr local;
    char text[PF_ADDR_STRLEN];
    int fd;

    start_ctl_keeper(s, 1, "parking = false;");
    fd = pf_h_connect_served(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_net_local_addr(fd, &local), 0);
    pf_addr_format((struct sockaddr *)&local.ss, text, sizeof(text));
    ctl_cmd(s, &o, "workers", NULL, NULL);
    expect(&o, 0, text, NULL);
    close(fd);
    pf_h_output_free(&o);
}

/* The line of the workers table of the worker pid, into line ("" when
 * the table has none). */
static void table_line(const char *table, pid_t pid, char *line, size_t size)
{
    char want[32];
    const char *p;

    snprintf(want, sizeof(want), "  %ld  ", (long)pid);
    p = strstr(table, want);
    while (p != NULL && p != table && p[-1] != '\n')
        p--;
    snprintf(line, size, "%.*s", p ? (int)strcspn(p, "\n") : 0, p ? p : "");
}

/* An idle worker shows the last request it served, without a running
 * time (preforkctl(8), REQUEST): here an echo line of 6 bytes. */
PF_H_TEST(test_workers_last_request)
{
    struct pf_h_output o;
    char line[512];
    size_t len;
    pid_t pid;
    int fd;

    start_ctl(s, 1);
    assert_int_equal(pf_h_worker_pids(s, &pid, 1), 1);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_echo_roundtrip(fd, "hello\n"), 0);
    close(fd);
    /* until the worker has seen the close (or parked the connection) */
    for (int64_t end = pf_time_now_ms() + PF_H_WAIT_MS;;) {
        ctl_cmd(s, &o, "workers", NULL, NULL);
        expect(&o, 0, "REQUEST", NULL);
        table_line(o.out, pid, line, sizeof(line));
        pf_h_output_free(&o);
        if (strstr(line, "  idle  ") || pf_time_now_ms() >= end)
            break;
        nanosleep(&(struct timespec){0, PF_H_POLL_MS * 1000000L}, NULL);
    }
    len = strlen(line);
    if (!strstr(line, "  idle  ") || len < 14 || strcmp(line + len - 14, "  echo 6 bytes") != 0)
        fail_msg("the idle worker does not show its last request: \"%s\"", line);
}

PF_H_TEST(test_scale)
{
    struct pf_h_output o;

    start_ctl(s, 2);
    ctl_cmd(s, &o, "scale", "+1", NULL);
    expect(&o, 0, "workers target: 2 -> 3", NULL);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_wait_workers(s, 3, PF_H_WAIT_MS), 0);
    ctl_cmd(s, &o, "scale", "-2", NULL);
    expect(&o, 0, "workers target: 3 -> 1", NULL);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_wait_workers(s, 1, PF_H_WAIT_MS), 0);
    /* out of range: the server refuses, its reason on stderr */
    ctl_cmd(s, &o, "scale", "99", NULL);
    expect(&o, 1, NULL, "preforkctl: scale: ");
    assert_string_equal(o.out, "");
    pf_h_output_free(&o);
}

PF_H_TEST(test_kill_recycles)
{
    struct pf_h_output o;
    pid_t before[8], after[8];
    char pid[16], needle[64];
    const char *ready;

    start_ctl(s, 2);
    assert_int_equal(pf_h_worker_pids(s, before, 8), 2);
    snprintf(pid, sizeof(pid), "%ld", (long)before[0]);
    ctl_cmd(s, &o, "kill", pid, NULL);
    expect(&o, 0, pid, NULL);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_wait_pid_gone(before[0], PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_worker_pids(s, after, 8), 2);
    assert_true(after[0] != before[0] && after[1] != before[0]);
    assert_true(after[0] == before[1] || after[1] == before[1]);
    /* events: the recent events, oldest first, the recycling among them
     * after the start */
    snprintf(needle, sizeof(needle), "notice  recycling worker %s on request\n", pid);
    ctl_cmd(s, &o, "events", NULL, NULL);
    expect(&o, 0, needle, NULL);
    ready = strstr(o.out, "notice  ready: 2 workers accepting on ");
    assert_non_null(ready);
    assert_true(ready < strstr(o.out, needle));
    pf_h_output_free(&o);
    /* not a worker */
    snprintf(pid, sizeof(pid), "%ld", (long)s->pid);
    ctl_cmd(s, &o, "kill", pid, NULL);
    expect(&o, 1, NULL, "preforkctl: kill: ");
    pf_h_output_free(&o);
}

PF_H_TEST(test_stop)
{
    struct pf_h_output o;
    int status;

    start_ctl(s, 2);
    ctl_cmd(s, &o, "stop", NULL, NULL);
    expect(&o, 0, "stopping (graceful)", NULL);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
}

PF_H_TEST(test_stop_fast)
{
    struct pf_h_output o;
    int status;

    start_ctl(s, 2);
    ctl_cmd(s, &o, "stop", "fast", NULL);
    expect(&o, 0, "stopping (fast)", NULL);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
}

PF_H_TEST(test_wrong_token)
{
    struct pf_h_output o;
    char path[PATH_MAX];

    start_ctl(s, 1);
    assert_int_equal(pf_h_write_file(s, "wrong", "not-the-token\n", path), 0);
    ctl_run(s, &o, "-a", ctl_addr, "-t", "wrong", "status", (char *)NULL);
    expect(&o, 4, NULL, "preforkctl: authentication failed: wrong token? (token file wrong)");
    assert_string_equal(o.out, "");
    pf_h_output_free(&o);
    /* the right token still works (after the server's throttle) */
    ctl_cmd(s, &o, "status", NULL, NULL);
    expect(&o, 0, "auth failures: 1", NULL);
    pf_h_output_free(&o);
}

/* A port nobody listens on: a socket bound (not listening) on loopback
 * for as long as the test runs, so no other process can take it. */
static int bound_port(char *addr, size_t size)
{
    struct pf_addr a;
    char err[128];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(pf_addr_parse("127.0.0.1:0", &a, err, sizeof(err)), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a.ss, a.len), 0);
    assert_int_equal(pf_net_local_addr(fd, &a), 0);
    pf_addr_format((struct sockaddr *)&a.ss, addr, size);
    return fd;
}

PF_H_TEST(test_not_running)
{
    struct pf_h_output o;
    char addr[PF_ADDR_STRLEN], want[128];
    int fd = bound_port(addr, sizeof(addr));

    assert_int_equal(pf_h_write_file(s, "tok", "sometoken\n", NULL), 0);
    ctl_run(s, &o, "-a", addr, "-t", "tok", "status", (char *)NULL);
    snprintf(want, sizeof(want), "preforkctl: cannot connect to %s: Connection refused", addr);
    expect(&o, 3, NULL, want);
    assert_non_null(strstr(o.err, "is preforkd running with control.listen set?"));
    assert_string_equal(o.out, "");
    pf_h_output_free(&o);
    close(fd);
}

/* A server that accepts but never answers: the timeout ends the wait
 * (the reply to auth is allowed 5 s more, for the server's throttle). */
PF_H_TEST(test_no_reply_times_out)
{
    struct pf_h_output o;
    char addr[PF_ADDR_STRLEN], want[128];
    int fd = bound_port(addr, sizeof(addr));
    int64_t start;

    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(pf_h_write_file(s, "tok", "sometoken\n", NULL), 0);
    start = pf_time_now_ms();
    ctl_run(s, &o, "-a", addr, "-t", "tok", "--timeout", "0.5", "status", (char *)NULL);
    snprintf(want, sizeof(want), "preforkctl: no reply from %s within 0.5 s", addr);
    expect(&o, 3, NULL, want);
    assert_true(pf_time_now_ms() - start < 8000);
    pf_h_output_free(&o);
    close(fd);
}

/* Beyond control.max_clients the server closes new connections at once. */
PF_H_TEST(test_too_many_clients)
{
    struct pf_h_config c;
    struct pf_h_output o;
    struct pf_addr a;
    char err[128], reply[64] = "";
    int fd;

    pf_h_config_defaults(&c);
    c.extra = "control = { listen = \"127.0.0.1:0\"; token_file = \"tok\"; max_clients = 1; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    ctl_parse_addr(s);
    assert_int_equal(pf_addr_parse(ctl_addr, &a, err, sizeof(err)), 0);
    fd = pf_net_connect(&a, PF_H_IO_MS, err, sizeof(err));
    assert_true(fd >= 0);
    /* "help" before auth would fail: wait until the server has taken this
     * client, by the reply to an auth with the right token */
    {
        char tok[256], line[300];
        FILE *f;
        char path[PATH_MAX];

        assert_int_equal(pf_h_path(path, s, "tok"), 0);
        f = fopen(path, "r");
        assert_non_null(f);
        assert_non_null(fgets(tok, sizeof(tok), f));
        fclose(f);
        tok[strcspn(tok, "\n")] = '\0';
        snprintf(line, sizeof(line), "auth %s\n", tok);
        assert_int_equal(pf_h_send(fd, line, strlen(line)), 0);
        assert_int_equal(pf_h_recv(fd, reply, strlen("{\"ok\":true}\n")), 0);
        assert_string_equal(reply, "{\"ok\":true}\n");
    }
    ctl_cmd(s, &o, "status", NULL, NULL);
    expect(&o, 3, NULL, "closed the connection without a reply (too many control clients?)");
    pf_h_output_free(&o);
    close(fd);
    /* the place is free again */
    assert_int_equal(pf_h_wait_log(s, "refusing one", PF_H_WAIT_MS), 0);
    ctl_cmd(s, &o, "status", NULL, NULL);
    expect(&o, 0, "pid:", NULL);
    pf_h_output_free(&o);
}

PF_H_TEST(test_unreadable_token_file)
{
    struct pf_h_output o;

    ctl_run(s, &o, "-a", "127.0.0.1:9", "-t", "missing", "status", (char *)NULL);
    expect(&o, 3, NULL, "preforkctl: cannot read token file missing: ");
    pf_h_output_free(&o);
}

PF_H_TEST(test_config_file)
{
    struct pf_h_output o;
    char body[512];
    json_t *j;

    start_ctl(s, 2);
    snprintf(body, sizeof(body),
             "listen = \"127.0.0.1:0\";\nprotocol = \"echo\";\n"
             "control = { listen = \"%s\"; token_file = \"tok\"; };\n",
             ctl_addr);
    assert_int_equal(pf_h_write_file(s, "ctl.conf", body, NULL), 0);
    /* options after the command work too */
    ctl_run(s, &o, "-c", "ctl.conf", "status", "--json", (char *)NULL);
    expect(&o, 0, NULL, NULL);
    j = expect_json_line(&o, true);
    assert_int_equal(json_int_at(j, NULL, "pid"), s->pid);
    json_decref(j);
    pf_h_output_free(&o);
    /* the server's own file has port 0: the client says it cannot know */
    ctl_run(s, &o, "--config", "preforkd.conf", "status", (char *)NULL);
    expect(&o, 3, NULL, "has port 0");
    pf_h_output_free(&o);
    ctl_run(s, &o, "-c", "no-such.conf", "status", (char *)NULL);
    expect(&o, 3, NULL, "no-such.conf");
    pf_h_output_free(&o);
}

/* The server's own file, being edited: an unknown setting in it does
 * not stop preforkctl -c FILE, which reads the control settings alone;
 * reload carries the server's refusal (exit 1, its FILE:LINE: SETTING
 * error), status and stop work. A file libconfig cannot parse names no
 * server: exit 3, with the line. */
PF_H_TEST(test_config_being_edited)
{
    struct pf_h_config c;
    struct pf_h_output o;
    char control[256], body[4096];
    int status;

    pf_h_config_defaults(&c);
    c.extra = "control = { listen = \"127.0.0.1:0\"; token_file = \"tok\"; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    ctl_parse_addr(s);
    snprintf(control, sizeof(control),
             "control = { listen = \"%s\"; token_file = \"tok\"; };\nbogus = 1;\n", ctl_addr);
    c.extra = control;
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    ctl_run(s, &o, "-c", "preforkd.conf", "reload", (char *)NULL);
    expect(&o, 1, NULL, "preforkd.conf:");
    assert_non_null(strstr(o.err, ": bogus: unknown setting\n"));
    assert_null(strstr(o.err, "cannot read"));
    assert_string_equal(o.out, "");
    pf_h_output_free(&o);
    ctl_run(s, &o, "-c", "preforkd.conf", "status", (char *)NULL);
    expect(&o, 0, "generation:    1", NULL);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_write_file(s, "broken.conf", "control = {\n  listen = ;\n};\n", NULL), 0);
    ctl_run(s, &o, "-c", "broken.conf", "status", (char *)NULL);
    expect(&o, 3, NULL,
           "preforkctl: cannot read the control settings: broken.conf:2: syntax error (give "
           "-c FILE, or -a ADDR and -t TOKENFILE)\n");
    pf_h_output_free(&o);
    ctl_run(s, &o, "-c", "preforkd.conf", "stop", (char *)NULL);
    expect(&o, 0, "stopping (graceful)", NULL);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
}

PF_H_TEST(test_json_one_line)
{
    static const char *const cmds[][2] = {
        {"status", NULL}, {"workers", NULL}, {"config", NULL},
        {"help", NULL},   {"scale", "3"},    {"reopen", NULL},
    };
    struct pf_h_output o;
    json_t *j;

    start_ctl(s, 2);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        ctl_cmd(s, &o, "--json", cmds[i][0], cmds[i][1]);
        expect(&o, 0, NULL, NULL);
        json_decref(expect_json_line(&o, true));
        pf_h_output_free(&o);
    }
    /* a refusal: the reply as is on stdout, the reason on stderr, exit 1 */
    ctl_cmd(s, &o, "-j", "kill", "1");
    expect(&o, 1, NULL, "preforkctl: kill: ");
    j = expect_json_line(&o, false);
    assert_true(json_is_string(json_object_get(j, "error")));
    json_decref(j);
    pf_h_output_free(&o);
}

PF_H_TEST(test_usage_errors)
{
    static const char *const bad[][3] = {
        {NULL, NULL, NULL},     {"frobnicate", NULL, NULL},   {"scale", NULL, NULL},
        {"scale", "x", NULL},   {"kill", "-5", NULL},         {"status", "now", NULL},
        {"stop", "slow", NULL}, {"--timeout", "0", "status"}, {"--nope", "status", NULL},
    };
    struct pf_h_output o;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ctl_run(s, &o, "-a", "127.0.0.1:9", "-t", "tok", bad[i][0], bad[i][1], bad[i][2],
                (char *)NULL);
        expect(&o, 2, NULL, "Try 'preforkctl --help'");
        assert_string_equal(o.out, "");
        pf_h_output_free(&o);
    }
    ctl_run(s, &o, "--help", (char *)NULL);
    expect(&o, 0, "Exit status", NULL);
    pf_h_output_free(&o);
}

/* ---- top ---- */

/* Spawn `preforkctl -a ADDR -t tok top` in s->dir, stdout and stderr to
 * files there; returns its pid. */
static pid_t top_spawn(struct pf_server *s, const char *out, const char *err)
{
    char *argv[] = {(char *)ctl_binary(), "-a", ctl_addr, "-t", "tok", "top", NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, s->dir);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/* The file's contents (free it), "" when missing. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 1 << 20);
    size_t n = 0;

    assert_non_null(buf);
    if (f) {
        n = fread(buf, 1, (1 << 20) - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

/* How often needle occurs in text. */
static int count(const char *text, const char *needle)
{
    int n = 0;

    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Wait until the file holds at least n tables. 0, or -1 at the bound. */
static int top_wait_tables(const char *path, int n)
{
    int64_t deadline = pf_time_now_ms() + CTL_TOP_MS;

    for (;;) {
        char *text = slurp(path);
        int got = count(text, "SLOT");

        free(text);
        if (got >= n)
            return 0;
        if (pf_time_now_ms() >= deadline)
            return -1;
        nanosleep(&(struct timespec){0, PF_H_POLL_MS * 1000000L}, NULL);
    }
}

/* Wait (bounded) for pid; its status, or -1 after killing it. */
static int top_wait_exit(pid_t pid)
{
    int64_t deadline = pf_time_now_ms() + CTL_TOP_MS;
    int status;

    while (waitpid(pid, &status, WNOHANG) != pid) {
        if (pf_time_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        nanosleep(&(struct timespec){0, PF_H_POLL_MS * 1000000L}, NULL);
    }
    return status;
}

PF_H_TEST(test_top_not_tty)
{
    char out[PATH_MAX], err[PATH_MAX], *text;
    pid_t pid;
    int status;

    start_ctl(s, 2);
    assert_int_equal(pf_h_path(out, s, "top.out"), 0);
    assert_int_equal(pf_h_path(err, s, "top.err"), 0);
    pid = top_spawn(s, out, err);
    if (top_wait_tables(out, 2) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("top printed fewer than two tables within %d ms", CTL_TOP_MS);
    }
    kill(pid, SIGINT);
    status = top_wait_exit(pid);
    assert_true(pf_h_exited_with(status, 0));
    text = slurp(out);
    assert_null(strchr(text, '\033'));         /* no escape sequences into a file */
    assert_non_null(strstr(text, "\n\nSLOT")); /* tables apart by a blank line */
    free(text);
}

PF_H_TEST(test_top_server_goes_away)
{
    char out[PATH_MAX], err[PATH_MAX], *text;
    pid_t pid;
    int status;

    start_ctl(s, 1);
    assert_int_equal(pf_h_path(out, s, "top.out"), 0);
    assert_int_equal(pf_h_path(err, s, "top.err"), 0);
    pid = top_spawn(s, out, err);
    if (top_wait_tables(out, 1) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("top printed no table within %d ms", CTL_TOP_MS);
    }
    assert_int_equal(pf_h_signal(s, SIGTERM), 0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, NULL), 0);
    status = top_wait_exit(pid);
    assert_true(pf_h_exited_with(status, 3));
    text = slurp(err);
    assert_non_null(strstr(text, "preforkctl: "));
    free(text);
}

/* ---- top on a terminal ---- */

#define PTY_SCREEN_MAX (1 << 20)

/* A pseudo-terminal of 80 columns and 24 rows for top: the side the test
 * reads the screen from and types into, and the terminal's own side, held
 * open to read its modes. */
struct pty {
    int master;
    int term;
    char path[64];
    char *screen; /* everything top wrote */
    size_t len;
};

static void pty_open(struct pty *p)
{
    struct winsize ws = {.ws_row = 24, .ws_col = 80};

    p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(p->master >= 0);
    assert_int_equal(grantpt(p->master), 0);
    assert_int_equal(unlockpt(p->master), 0);
    assert_int_equal(ptsname_r(p->master, p->path, sizeof(p->path)), 0);
    p->term = open(p->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(p->term >= 0);
    assert_int_equal(ioctl(p->term, TIOCSWINSZ, &ws), 0);
    assert_int_equal(fcntl(p->master, F_SETFL, O_NONBLOCK), 0);
    p->screen = calloc(1, PTY_SCREEN_MAX);
    assert_non_null(p->screen);
    p->len = 0;
}

static void pty_close(struct pty *p)
{
    close(p->master);
    close(p->term);
    free(p->screen);
}

/* `preforkctl -a ADDR -t tok top` in a session of its own whose
 * controlling terminal is p (its input and output), as in a shell's
 * foreground; stderr to the file err. */
static pid_t pty_spawn_top(struct pf_server *s, struct pty *p, const char *err)
{
    char *argv[] = {(char *)ctl_binary(), "-a", ctl_addr, "-t", "tok", "top", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    pid_t pid;

    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, s->dir);
    posix_spawn_file_actions_addopen(&fa, 0, p->path, O_RDWR, 0); /* becomes its terminal */
    posix_spawn_file_actions_adddup2(&fa, 0, 1);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, &at, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return pid;
}

/* Read what top wrote so far into p->screen. */
static void pty_drain(struct pty *p)
{
    ssize_t n;

    while (p->len + 1 < PTY_SCREEN_MAX &&
           (n = read(p->master, p->screen + p->len, PTY_SCREEN_MAX - 1 - p->len)) > 0)
        p->len += (size_t)n;
    p->screen[p->len] = '\0';
}

/* Is the terminal in top's mode (keys one by one, no echo)? */
static bool pty_raw(const struct pty *p)
{
    struct termios t;

    assert_int_equal(tcgetattr(p->term, &t), 0);
    return (t.c_lflag & (ICANON | ECHO)) == 0;
}

/* Wait until top drew n frames and the terminal is in its mode (or,
 * with raw false, out of it). 0, or -1 at the bound. */
static int pty_wait(struct pty *p, int frames, bool raw)
{
    int64_t deadline = pf_time_now_ms() + CTL_TOP_MS;

    for (;;) {
        pty_drain(p);
        if (count(p->screen, "SLOT") >= frames && pty_raw(p) == raw)
            return 0;
        if (pf_time_now_ms() >= deadline)
            return -1;
        nanosleep(&(struct timespec){0, PF_H_POLL_MS * 1000000L}, NULL);
    }
}

/* Every line on the screen, escape sequences aside, fits 80 columns. */
static void pty_expect_80(const struct pty *p)
{
    int col = 0;

    for (const char *c = p->screen; *c; c++) {
        if (*c == '\033') { /* CSI: ESC [ parameters, then a letter */
            c += strspn(c + 1, "[0123456789;");
            continue;
        }
        if (*c == '\r')
            continue;
        col = *c == '\n' ? 0 : col + 1;
        if (col > 80)
            fail_msg("a line wider than 80 columns on the screen:\n%s", p->screen);
    }
}

/* Wait for pid (bounded) and expect exit 0 with the terminal's modes
 * back (canonical input, echo). */
static void pty_expect_exit(struct pty *p, pid_t pid)
{
    int status = top_wait_exit(pid);

    pty_drain(p);
    assert_true(pf_h_exited_with(status, 0));
    assert_false(pty_raw(p));
}

/* On a terminal, top reads keys one by one without echo: q quits; the
 * header and table fit 80 columns, header lines whole; the terminal's
 * modes come back after q, after SIGINT, and while it is suspended
 * (Ctrl-Z). */
PF_H_TEST(test_top_terminal)
{
    char err[PATH_MAX];
    struct pty p;
    pid_t pid;
    int status = 0;

    start_ctl(s, 2);
    assert_int_equal(pf_h_path(err, s, "top.err"), 0);
    pty_open(&p);
    pid = pty_spawn_top(s, &p, err);
    if (pty_wait(&p, 2, true) < 0) {
        kill(pid, SIGKILL);
        fail_msg("top drew no two frames in its mode within %d ms:\n%s", CTL_TOP_MS, p.screen);
    }
    assert_int_equal(write(p.master, "xq", 2), 2);
    pty_expect_exit(&p, pid);
    pty_expect_80(&p);
    assert_non_null(strstr(p.screen, "workers 2 (target 2): 2 idle"));
    assert_non_null(strstr(p.screen, "connections 0  keeper: 0 parked"));
    assert_null(strstr(p.screen, "xq")); /* not echoed */

    pid = pty_spawn_top(s, &p, err);
    assert_int_equal(pty_wait(&p, count(p.screen, "SLOT") + 1, true), 0);
    kill(pid, SIGTSTP);
    for (int64_t end = pf_time_now_ms() + CTL_TOP_MS;
         waitpid(pid, &status, WNOHANG | WUNTRACED) != pid && pf_time_now_ms() < end;)
        nanosleep(&(struct timespec){0, PF_H_POLL_MS * 1000000L}, NULL);
    assert_true(WIFSTOPPED(status));
    assert_false(pty_raw(&p));
    kill(pid, SIGCONT);
    assert_int_equal(pty_wait(&p, count(p.screen, "SLOT") + 1, true), 0);
    kill(pid, SIGINT);
    pty_expect_exit(&p, pid);
    pty_close(&p);
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_status_human),
    PF_H_CASE(test_status_json),
    PF_H_CASE(test_workers_table),
    PF_H_CASE(test_workers_shows_client),
    PF_H_CASE(test_workers_last_request),
    PF_H_CASE(test_scale),
    PF_H_CASE(test_kill_recycles),
    PF_H_CASE(test_stop),
    PF_H_CASE(test_stop_fast),
    PF_H_CASE(test_wrong_token),
    PF_H_CASE(test_not_running),
    PF_H_CASE(test_no_reply_times_out),
    PF_H_CASE(test_too_many_clients),
    PF_H_CASE(test_unreadable_token_file),
    PF_H_CASE(test_config_file),
    PF_H_CASE(test_config_being_edited),
    PF_H_CASE(test_json_one_line),
    PF_H_CASE(test_usage_errors),
    PF_H_CASE(test_top_not_tty),
    PF_H_CASE(test_top_server_goes_away),
    PF_H_CASE(test_top_terminal),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
