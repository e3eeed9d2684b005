/* Integration: reloading the configuration of a running http preforkd
 * (`preforkctl reload` and SIGHUP), checked as an operator checks it:
 * what is served, which workers run, what `status`, preforkctl and the
 * log say. A bad file changes nothing; a good one is served by a new
 * generation of workers while the old one is retired; a moved listen
 * address is served at once, the old one until its workers are gone;
 * settings that need a restart are named. Under continuous load counted
 * by preforkbench (keep-alive and close), reloads lose no request. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_net.h"
#include "pf_time.h"

#define REQ(path) "GET " path " HTTP/1.1\r\nHost: test\r\n\r\n"
#define CTL_LINE "control channel listening on "
#define LISTEN_LINE ": listening on "
#define RELOADS 4              /* reloads under load */
#define LOAD_STEP_REQUESTS 300 /* served between two reloads under load, at least */
#define RELOAD_GAP_MS 500      /* and this long */

/* The configuration a test runs, rendered by conf_body; a member left
 * zero takes the value in brackets. */
struct conf {
    const char *listen;  /* service address ["127.0.0.1:0"] */
    int workers, max;    /* workers.start [2], workers.max [8] */
    const char *http;    /* the http group's settings [root = "one";] */
    const char *control; /* more control settings; listen and token are fixed [none] */
    const char *log;     /* daemon.error_log ["": stderr, the test's log] */
    const char *level;   /* daemon.log_level ["info"] */
    const char *keeper;  /* the keeper group's settings [none: parking on] */
};

#define CONF(...) ((struct conf){__VA_ARGS__})
#define DEFAULTS CONF(.workers = 2)

/* The control channel's address of the server under test. */
static char ctl_addr[PF_ADDR_STRLEN];

/* The configuration file for c into buf. */
static void conf_body(const struct conf *c, char *buf, size_t size)
{
    struct pf_h_config h;
    char extra[1024];

    pf_h_config_defaults(&h);
    h.listen = c->listen ? c->listen : "127.0.0.1:0";
    h.protocol = "http";
    h.workers_start = c->workers ? c->workers : 2;
    h.workers_max = c->max ? c->max : 8;
    h.error_log = c->log ? c->log : "";
    h.log_level = c->level ? c->level : "info";
    h.keeper_extra = c->keeper;
    snprintf(extra, sizeof(extra),
             "http = { %s };\ncontrol = { listen = \"127.0.0.1:0\"; token_file = \"tok\"; %s };",
             c->http ? c->http : "root = \"one\";", c->control ? c->control : "");
    h.extra = extra;
    assert_int_equal(pf_h_config_format(&h, buf, size), 0);
}

/* Replace the configuration file (what the next reload reads). */
static void rewrite(struct pf_server *s, const struct conf *c)
{
    char body[8192];

    conf_body(c, body, sizeof(body));
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
}

/* Two document roots told apart by their content: one/ and two/. */
static void make_roots(struct pf_server *s)
{
    assert_int_equal(pf_h_mkdir(s, "one"), 0);
    assert_int_equal(pf_h_mkdir(s, "two"), 0);
    assert_int_equal(pf_h_write_file(s, "one/hello.txt", "one\n", NULL), 0);
    assert_int_equal(pf_h_write_file(s, "two/hello.txt", "two\n", NULL), 0);
}

/* Start the server on c, wait for its workers and its control channel. */
static void start(struct pf_server *s, const struct conf *c)
{
    char body[8192];

    make_roots(s);
    conf_body(c, body, sizeof(body));
    assert_int_equal(pf_h_start(s, body), 0);
    assert_int_equal(pf_h_wait_workers(s, c->workers ? c->workers : 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_log(s, CTL_LINE, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_log_word_after(s, CTL_LINE, false, ctl_addr, sizeof(ctl_addr)), 0);
}

/* Run `preforkctl -a ADDR -t tok [--json] VERB` to completion. */
static void ctl(struct pf_server *s, struct pf_h_output *o, bool json, const char *verb)
{
    char *argv[] = {PF_CTL_BINARY,
                    "-a",
                    ctl_addr,
                    "-t",
                    "tok",
                    json ? "--json" : (char *)verb,
                    json ? (char *)verb : NULL,
                    NULL};

    assert_int_equal(pf_h_run_cmd(s, o, argv), 0);
}

/* `preforkctl --json VERB`, which must succeed: its reply, parsed. */
static json_t *ctl_json(struct pf_server *s, const char *verb)
{
    struct pf_h_output o;
    json_t *j;

    ctl(s, &o, true, verb);
    if (!pf_h_exited_with(o.status, 0))
        fail_msg("preforkctl %s: status %#x\n%s%s", verb, (unsigned)o.status, o.out, o.err);
    j = json_loads(o.out, 0, NULL);
    pf_h_output_free(&o);
    assert_true(json_is_object(j));
    return j;
}

/* The integer at "key" (group NULL) or "group.key" of a reply. */
static json_int_t jint(json_t *j, const char *group, const char *key)
{
    json_int_t v = 0;
    json_error_t e;
    int rc = group ? json_unpack_ex(j, &e, 0, "{s:{s:I}}", group, key, &v)
                   : json_unpack_ex(j, &e, 0, "{s:I}", key, &v);

    if (rc != 0)
        fail_msg("%s%s%s: %s", group ? group : "", group ? "." : "", key, e.text);
    return v;
}

/* status: the generation in force and the reloads counted so far. */
static void expect_status(struct pf_server *s, int generation, int reloads)
{
    json_t *j = ctl_json(s, "status");

    assert_int_equal(jint(j, NULL, "generation"), generation);
    assert_int_equal(jint(j, "totals", "reloads"), reloads);
    json_decref(j);
}

/* Every live worker (the workers reply) is of this generation. */
static void expect_workers_of(struct pf_server *s, int generation)
{
    json_t *j = ctl_json(s, "workers");
    json_t *w;
    size_t i;

    assert_true(json_array_size(json_object_get(j, "workers")) > 0);
    json_array_foreach(json_object_get(j, "workers"), i, w)
        assert_int_equal(jint(w, NULL, "generation"), generation);
    json_decref(j);
}

/* The server's totals.requests. */
static long long served(struct pf_server *s)
{
    json_t *j = ctl_json(s, "status");
    long long n = jint(j, "totals", "requests");

    json_decref(j);
    return n;
}

/* GET /hello.txt on a new connection answers body. */
static void expect_hello(struct pf_server *s, const char *body)
{
    struct pf_h_http r;

    assert_int_equal(pf_h_http_once(s, REQ("/hello.txt"), &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(r.body);
    assert_string_equal(r.body, body);
    pf_h_http_free(&r);
}

/* The workers now, and a check that they are still exactly those. */
static int snapshot(struct pf_server *s, pid_t *pids)
{
    return pf_h_worker_pids(s, pids, 16);
}

static void expect_same_workers(struct pf_server *s, const pid_t *before, int n)
{
    pid_t now[16];

    assert_int_equal(snapshot(s, now), n);
    assert_memory_equal(now, before, (size_t)n * sizeof(pid_t));
}

/* Wait until the reload to generation is complete: its workers serve,
 * and every worker of before has exited. */
static void wait_rolled_over(struct pf_server *s, int generation, const pid_t *before, int n)
{
    char line[96];

    snprintf(line, sizeof(line), "reload: generation %d is serving", generation);
    assert_int_equal(pf_h_wait_log(s, line, PF_H_WAIT_MS), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(pf_h_wait_pid_gone(before[i], PF_H_WAIT_MS), 0);
}

/* The line of the configuration file that holds needle (from 1). */
static int conf_line_of(const struct conf *c, const char *needle)
{
    char body[8192], *p;
    int line = 1;

    conf_body(c, body, sizeof(body));
    p = strstr(body, needle);
    assert_non_null(p);
    for (const char *q = body; q < p; q++)
        line += *q == '\n';
    return line;
}

/* A reload the server refused: preforkctl exits 1 and prints why (with
 * want in it), the log has it at error level, and nothing changed: same
 * workers, same content, generation 1. */
static void expect_refused(struct pf_server *s, const pid_t *before, int n, const char *want)
{
    struct pf_h_output o;

    ctl(s, &o, false, "reload");
    if (!pf_h_exited_with(o.status, 1) || !strstr(o.err, want))
        fail_msg("preforkctl reload: status %#x, stderr \"%s\"; wanted 1 and \"%s\"",
                 (unsigned)o.status, o.err, want);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_wait_log(s, "[error] master[", PF_H_WAIT_MS), 0);
    assert_true(pf_h_log_contains(s, "reload failed, generation 1 stays in force: "));
    assert_true(pf_h_log_contains(s, want));
    expect_same_workers(s, before, n);
    expect_hello(s, "one\n");
    expect_status(s, 1, 0);
}

/* Start on the defaults, remember the workers into before (returns how
 * many), then write next as the file the next reload reads. */
static int start_then_write(struct pf_server *s, const struct conf *next, pid_t *before)
{
    int n;

    start(s, &DEFAULTS);
    n = snapshot(s, before);
    rewrite(s, next);
    return n;
}

/* `preforkctl reload`, which must succeed and print out_has. */
static void expect_reloaded(struct pf_server *s, const char *out_has)
{
    struct pf_h_output o;

    ctl(s, &o, false, "reload");
    if (!pf_h_exited_with(o.status, 0) || !strstr(o.out, out_has))
        fail_msg("preforkctl reload: status %#x\nstdout: %s\nstderr: %s", (unsigned)o.status, o.out,
                 o.err);
    pf_h_output_free(&o);
}

/* ------------------------------------------------------ refused reloads */

/* A syntax error: refused with FILE:LINE, the old configuration serves. */
PF_H_TEST(test_reload_syntax_error_keeps_running)
{
    char body[8192], want[PATH_MAX + 64];
    pid_t before[16];
    int n = start_then_write(s, &DEFAULTS, before);

    conf_body(&CONF(.http = "root = \"two\";"), body, sizeof(body));
    strcat(body, "this is = = not a setting;\n");
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    snprintf(want, sizeof(want), "%s:%d: syntax error", s->config_path, pf_h_count_lines(body));
    expect_refused(s, before, n, want);
}

/* A bad value: refused with FILE:LINE: SETTING: REASON, nothing applied
 * (not even the root set on the same line). */
PF_H_TEST(test_reload_bad_value_keeps_running)
{
    struct conf bad = CONF(.http = "root = \"two\"; keepalive_timeout = 0;");
    char want[PATH_MAX + 128];
    pid_t before[16];
    int n = start_then_write(s, &bad, before);

    snprintf(want, sizeof(want), "%s:%d: http.keepalive_timeout: must be a number of seconds",
             s->config_path, conf_line_of(&bad, "keepalive_timeout"));
    expect_refused(s, before, n, want);
}

/* A root that does not exist fails in the protocol's set-up, after the
 * file was read: refused the same way. */
PF_H_TEST(test_reload_missing_root_refused)
{
    struct conf bad = CONF(.http = "root = \"missing\";");
    char want[PATH_MAX + 64];
    pid_t before[16];
    int n = start_then_write(s, &bad, before);

    expect_refused(s, before, n, "/missing\": No such file or directory");
    snprintf(want, sizeof(want), "%s:%d: http.root: \"", s->config_path,
             conf_line_of(&bad, "root = \"missing\""));
    assert_true(pf_h_log_contains(s, want));
}

/* A listen address already taken: the bind fails, the old socket serves. */
PF_H_TEST(test_reload_listen_in_use_refused)
{
    char err[256], text[PF_ADDR_STRLEN], want[PF_ADDR_STRLEN + 64];
    struct pf_addr any, taken;
    pid_t before[16];
    int n, fd;

    assert_int_equal(pf_addr_parse("127.0.0.1:0", &any, err, sizeof(err)), 0);
    fd = pf_net_listen(&any, 1, err, sizeof(err)); /* the kernel picks a port: ours */
    assert_true(fd >= 0);
    assert_int_equal(pf_net_local_addr(fd, &taken), 0);
    pf_addr_format((struct sockaddr *)&taken.ss, text, sizeof(text));
    n = start_then_write(s, &CONF(.listen = text, .http = "root = \"two\";"), before);
    snprintf(want, sizeof(want), "cannot listen on %s: Address already in use", text);
    expect_refused(s, before, n, want);
    close(fd);
}

/* SIGHUP with a bad file: the same refusal, in the log only. */
PF_H_TEST(test_sighup_bad_config_keeps_running)
{
    struct conf bad = CONF(.http = "root = \"two\"; index = \"a/b\";");
    char want[PATH_MAX + 64];
    pid_t before[16];
    int n = start_then_write(s, &bad, before);

    assert_int_equal(pf_h_signal(s, SIGHUP), 0);
    snprintf(want, sizeof(want), "reload failed, generation 1 stays in force: %s:%d: http.index",
             s->config_path, conf_line_of(&bad, "index"));
    assert_int_equal(pf_h_wait_log(s, want, PF_H_WAIT_MS), 0);
    assert_true(pf_h_log_contains(s, "[error]"));
    expect_same_workers(s, before, n);
    expect_hello(s, "one\n");
    expect_status(s, 1, 0);
}

/* An error page file that is not there: refused with FILE:LINE: SETTING
 * and the entry, before any worker is touched. */
PF_H_TEST(test_reload_missing_error_page_refused)
{
    struct conf bad = CONF(.http = "root = \"one\"; error_pages = [\"404 errors/none.html\"];");
    char want[PATH_MAX + 160];
    pid_t before[16];
    int n = start_then_write(s, &bad, before);

    snprintf(want, sizeof(want),
             "%s:%d: http.error_pages: entry 1: \"errors/none.html\": No such file or directory",
             s->config_path, conf_line_of(&bad, "error_pages"));
    expect_refused(s, before, n, want);
}

/* ------------------------------------------------------ applied reloads */

/* A new root: preforkctl reports generation 2 and the setting changed;
 * the old workers leave, the new generation serves the new content. */
PF_H_TEST(test_reload_applies_new_root)
{
    pid_t before[16];
    int n = start_then_write(s, &CONF(.http = "root = \"two\";"), before);

    expect_hello(s, "one\n");
    expect_reloaded(s, "configuration reloaded: generation 2\nchanged: http.root\n");
    wait_rolled_over(s, 2, before, n);
    expect_hello(s, "two\n");
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    expect_workers_of(s, 2);
    expect_status(s, 2, 1);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* SIGHUP does the same. */
PF_H_TEST(test_sighup_applies_new_root)
{
    pid_t before[16];
    int n = start_then_write(s, &CONF(.http = "root = \"two\";"), before);

    assert_int_equal(pf_h_signal(s, SIGHUP), 0);
    assert_int_equal(pf_h_wait_log(s, "reload: generation 2 (changed: http.root)", PF_H_WAIT_MS),
                     0);
    wait_rolled_over(s, 2, before, n);
    expect_hello(s, "two\n");
    expect_workers_of(s, 2);
    expect_status(s, 2, 1);
}

/* The body of a GET of a missing file: what the 404 page is now. */
static void expect_404_page(struct pf_server *s, const char *body)
{
    struct pf_h_http r;

    assert_int_equal(pf_h_http_once(s, REQ("/missing.txt"), &r), 0);
    assert_int_equal(r.status, 404);
    assert_non_null(r.body);
    if (body != NULL)
        assert_string_equal(r.body, body);
    else if (strstr(r.body, "<h1>404 Not Found</h1>") == NULL)
        fail_msg("not the built-in 404 page:\n%s", r.body);
    pf_h_http_free(&r);
}

/* http.error_pages is applied by a reload, and its files are read by the
 * workers a reload starts: a page edited on disk is served after a reload
 * of the same configuration, and removing the setting brings the
 * built-in page back. */
PF_H_TEST(test_reload_error_pages)
{
    struct conf pages = CONF(.http = "root = \"one\"; error_pages = [\"404 errors/404.html\"];");
    pid_t before[16];
    int n;

    assert_int_equal(pf_h_mkdir(s, "errors"), 0);
    assert_int_equal(pf_h_write_file(s, "errors/404.html", "first page\n", NULL), 0);
    n = start_then_write(s, &pages, before);
    expect_404_page(s, NULL);
    expect_reloaded(s, "configuration reloaded: generation 2\nchanged: http.error_pages\n");
    wait_rolled_over(s, 2, before, n);
    expect_404_page(s, "first page\n");
    assert_int_equal(pf_h_write_file(s, "errors/404.html", "second page\n", NULL), 0);
    expect_404_page(s, "first page\n"); /* read at the workers' start, not per request */
    n = snapshot(s, before);
    expect_reloaded(s, "configuration reloaded: generation 3\n");
    wait_rolled_over(s, 3, before, n);
    expect_404_page(s, "second page\n");
    n = snapshot(s, before);
    rewrite(s, &DEFAULTS);
    expect_reloaded(s, "changed: http.error_pages\n");
    wait_rolled_over(s, 4, before, n);
    expect_404_page(s, NULL);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* Settings only a restart applies are named (reply and log) and kept;
 * the rest is applied. */
PF_H_TEST(test_reload_names_restart_only_settings)
{
    struct conf next = CONF(.max = 9, .control = "max_clients = 4;",
                            .http = "root = \"one\"; server_name = \"example.org\";");
    struct pf_h_http r;
    pid_t before[16];
    json_t *j;
    int n = start_then_write(s, &next, before);

    expect_reloaded(s, "changed: http.server_name\n"
                       "not applied until restart: workers.max, control.max_clients\n");
    assert_true(pf_h_log_contains(s, "[warn] master[") &&
                pf_h_log_contains(s, "reload: not applied until restart: workers.max, "
                                     "control.max_clients"));
    wait_rolled_over(s, 2, before, n);
    j = ctl_json(s, "status");
    assert_int_equal(jint(j, "workers", "max"), 8); /* kept */
    json_decref(j);
    /* server_name applied: an absolute-form request for another host is refused */
    assert_int_equal(pf_h_http_once(s,
                                    "GET http://other.org/hello.txt HTTP/1.1\r\nHost: "
                                    "other.org\r\n\r\n",
                                    &r),
                     0);
    assert_int_equal(r.status, 400);
    pf_h_http_free(&r);
}

/* status: the pool's target. */
static json_int_t target_of(struct pf_server *s)
{
    json_t *j = ctl_json(s, "status");
    json_int_t t = jint(j, "workers", "target");

    json_decref(j);
    return t;
}

/* The pool's size across reloads: a target set by the operator (SIGTTIN)
 * survives a reload of the same workers.start; a new workers.start in the
 * file becomes the target. Each time, the new generation has them all. */
PF_H_TEST(test_reload_pool_size)
{
    pid_t before[16];
    int n;

    start(s, &DEFAULTS);
    assert_int_equal(pf_h_signal(s, SIGTTIN), 0);
    assert_int_equal(pf_h_wait_workers(s, 3, PF_H_WAIT_MS), 0);
    n = snapshot(s, before);
    json_decref(ctl_json(s, "reload"));
    wait_rolled_over(s, 2, before, n);
    assert_int_equal(pf_h_wait_workers(s, 3, PF_H_WAIT_MS), 0);
    expect_workers_of(s, 2);
    assert_int_equal(target_of(s), 3);

    n = snapshot(s, before);
    rewrite(s, &CONF(.workers = 5));
    json_decref(ctl_json(s, "reload"));
    wait_rolled_over(s, 3, before, n);
    assert_int_equal(pf_h_wait_workers(s, 5, PF_H_WAIT_MS), 0);
    expect_workers_of(s, 3);
    assert_int_equal(target_of(s), 5);
}

/* Wait until the file dir/name holds needle. */
static void wait_file_holds(struct pf_server *s, const char *name, const char *needle)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    for (;;) {
        char *text = pf_h_read(s, name);
        bool found = text && strstr(text, needle);

        free(text);
        if (found)
            return;
        if (pf_time_now_ms() >= deadline)
            fail_msg("%s has no \"%s\" after %d ms", name, needle, PF_H_WAIT_MS);
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* A new error_log and log_level apply at once: the master's lines go to
 * the new file, at the new level (notice: "worker N started" is info, no
 * longer written), and no more to the old destination. */
PF_H_TEST(test_reload_moves_error_log)
{
    pid_t before[16];
    int n = start_then_write(s, &CONF(.log = "new.log", .level = "notice"), before);
    char *text;

    assert_int_equal(pf_h_signal(s, SIGHUP), 0);
    wait_file_holds(s, "new.log",
                    "reload: generation 2 (changed: daemon.error_log, "
                    "daemon.log_level)");
    wait_file_holds(s, "new.log", "reload: generation 2 is serving");
    for (int i = 0; i < n; i++)
        assert_int_equal(pf_h_wait_pid_gone(before[i], PF_H_WAIT_MS), 0);
    expect_hello(s, "one\n");
    text = pf_h_read(s, "new.log");
    assert_non_null(text);
    assert_null(strstr(text, "[info]"));
    free(text);
    assert_false(pf_h_log_contains(s, "reload: generation 2"));
}

/* A connection to the listening socket at text, or -1 (errno kept). */
static int connect_to(const char *text)
{
    struct pf_addr a;
    char err[128];

    if (pf_addr_parse(text, &a, err, sizeof(err)) < 0)
        return -1;
    return pf_net_connect(&a, PF_H_IO_MS, err, sizeof(err));
}

/* One GET /hello.txt on fd; its response must be 200 with body. */
static void expect_hello_on(int fd, const char *body, bool closing)
{
    struct pf_h_http r;
    char conn[32] = "";

    assert_int_equal(pf_h_http_get(fd, "/hello.txt", &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, body);
    pf_h_http_header(&r, "Connection", conn, sizeof(conn));
    assert_int_equal(strcmp(conn, "close") == 0, closing);
    pf_h_http_free(&r);
}

/* A new listen address is served at once; the old one, while an old
 * worker still has a client there, keeps answering (a queued client
 * included); once its last worker is gone it is closed. */
PF_H_TEST(test_reload_moves_listen)
{
    /* the classic model: the held connection stays with its old worker */
    struct conf c = CONF(.workers = 1, .http = "root = \"one\"; keepalive_timeout = 10;",
                         .keeper = "parking = false;");
    char old_addr[PF_ADDR_STRLEN], new_addr[PF_ADDR_STRLEN], closed[128];
    pid_t old_worker;
    int held, queued, fd;

    start(s, &c);
    snprintf(old_addr, sizeof(old_addr), "%s", s->addr_text);
    held = connect_to(old_addr);
    assert_true(held >= 0);
    expect_hello_on(held, "one\n", false); /* an old worker holds it, between requests */
    old_worker = pf_h_worker_of_client(s, held, PF_H_WAIT_MS);
    assert_true(old_worker > 0);
    rewrite(s,
            &CONF(.workers = 1, .listen = "127.0.0.2:0",
                  .http = "root = \"two\"; keepalive_timeout = 10;", .keeper = "parking = false;"));
    assert_int_equal(pf_h_signal(s, SIGHUP), 0);
    assert_int_equal(pf_h_wait_log(s, "reload: generation 2 is serving", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_log_word_after(s, LISTEN_LINE, true, new_addr, sizeof(new_addr)), 0);
    assert_string_not_equal(new_addr, old_addr);

    fd = connect_to(new_addr); /* the new address serves the new generation */
    assert_true(fd >= 0);
    expect_hello_on(fd, "two\n", false);
    close(fd);
    queued = connect_to(old_addr); /* queued behind the held client */
    assert_true(queued >= 0);
    assert_int_equal(pf_h_send(queued, REQ("/hello.txt"), strlen(REQ("/hello.txt"))), 0);
    assert_true(pf_h_pid_alive(old_worker));
    expect_hello_on(held, "one\n", true); /* its next request: answered, then closed */
    assert_int_equal(pf_h_expect_closed(held, PF_H_IO_MS), 0);
    {
        struct pf_h_http r;

        assert_int_equal(pf_h_http_read(queued, false, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "one\n");
        pf_h_http_free(&r);
    }
    assert_int_equal(pf_h_wait_pid_gone(old_worker, PF_H_WAIT_MS), 0);
    snprintf(closed, sizeof(closed), "reload: closed %s, the listening socket of generation 1",
             old_addr);
    assert_int_equal(pf_h_wait_log(s, closed, PF_H_WAIT_MS), 0);
    errno = 0;
    assert_int_equal(connect_to(old_addr), -1);
    assert_int_equal(errno, ECONNREFUSED);
    close(held);
    close(queued);
    expect_status(s, 2, 1);
}

/* ------------------------------------------------------ under load */

/* Wait until the server has served at least n requests in all, and the
 * clock has reached not_before (the pace of the reloads). */
static void wait_served(struct pf_server *s, long long n, int64_t not_before)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    while (served(s) < n || pf_time_now_ms() < not_before) {
        if (pf_time_now_ms() >= deadline)
            fail_msg("fewer than %lld requests served after %d ms", n, PF_H_WAIT_MS);
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* RELOADS reloads while preforkbench runs, RELOAD_GAP_MS apart and each
 * once traffic flowed on the previous generation; then every request
 * counted must be ok. */
static void reload_under_load(struct pf_server *s, bool close_mode, int workers, int max)
{
    const char *roots[] = {"root = \"one\";", "root = \"two\";"};
    long long ok, failed;
    pid_t bench;

    start(s, &CONF(.workers = workers, .max = max));
    bench = pf_h_bench_start(s, "/hello.txt", close_mode);
    assert_true(bench > 0);
    wait_served(s, LOAD_STEP_REQUESTS, 0);
    for (int g = 2; g <= RELOADS + 1; g++) {
        int64_t at = pf_time_now_ms();
        char line[96];

        rewrite(s, &CONF(.workers = workers, .max = max, .http = roots[g % 2]));
        json_decref(ctl_json(s, "reload"));
        snprintf(line, sizeof(line), "reload: generation %d is serving", g);
        assert_int_equal(pf_h_wait_log(s, line, PF_H_WAIT_MS), 0);
        wait_served(s, served(s) + LOAD_STEP_REQUESTS, at + RELOAD_GAP_MS);
    }
    assert_int_equal(pf_h_bench_finish(s, bench, &ok, &failed), 0);
    pf_h_note("%s, %d workers in %d slots: %lld ok, %lld failed across %d reloads",
              close_mode ? "close" : "keep-alive", workers, max, ok, failed, RELOADS);
    assert_true(ok > 0);
    assert_int_equal(failed, 0);
    expect_status(s, RELOADS + 1, RELOADS);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* Keep-alive clients, a worker for each: old workers answer their next
 * request with Connection: close and the client reconnects to the new
 * generation. */
PF_H_TEST(test_reload_under_keepalive_load_loses_nothing)
{
    reload_under_load(s, false, 8, 16);
}

/* A connection per request: every connection in the accept queue is
 * taken by a new or a retiring worker, none is reset. */
PF_H_TEST(test_reload_under_close_load_loses_nothing)
{
    reload_under_load(s, true, 4, 8);
}

/* Not a slot to spare (workers.max = workers.start): old workers go one
 * at a time to make room, the listen queue holds the clients meanwhile. */
PF_H_TEST(test_reload_short_of_slots_loses_nothing)
{
    reload_under_load(s, true, 4, 4);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_reload_syntax_error_keeps_running),
        PF_H_CASE(test_reload_bad_value_keeps_running),
        PF_H_CASE(test_reload_missing_root_refused),
        PF_H_CASE(test_reload_listen_in_use_refused),
        PF_H_CASE(test_sighup_bad_config_keeps_running),
        PF_H_CASE(test_reload_missing_error_page_refused),
        PF_H_CASE(test_reload_applies_new_root),
        PF_H_CASE(test_sighup_applies_new_root),
        PF_H_CASE(test_reload_error_pages),
        PF_H_CASE(test_reload_names_restart_only_settings),
        PF_H_CASE(test_reload_moves_listen),
        PF_H_CASE(test_reload_moves_error_log),
        PF_H_CASE(test_reload_pool_size),
        PF_H_CASE(test_reload_under_keepalive_load_loses_nothing),
        PF_H_CASE(test_reload_under_close_load_loses_nothing),
        PF_H_CASE(test_reload_short_of_slots_loses_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
