/* Integration: the status listener (status.listen), as a load balancer
 * and a monitoring system meet it: GET /health says 200 while the
 * server serves and 503 with why while it starts, backs off after
 * crashes or drains for a stop; GET /metrics with or without the token
 * as configured; nothing else answered; clients bounded; a binary
 * upgrade hands the listener over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_addr.h"
#include "pf_harness.h"
#include "pf_net.h"
#include "pf_time.h"

#define STATUS_CONFIG "status = { listen = \"127.0.0.1:0\"; %s };\n"

/* The status listener's address, from the master's log. */
static void health_addr(struct pf_server *s, struct pf_addr *a)
{
    char word[PF_ADDR_STRLEN];

    assert_int_equal(pf_h_wait_log(s, "status listener on ", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_log_word_after(s, "status listener on ", true, word, sizeof(word)), 0);
    assert_int_equal(pf_addr_parse(word, a, NULL, 0), 0);
}

/* One request on a new connection to the status listener; r is filled.
 * 0, or -1 (could not connect or no answer). */
static int health_get(const struct pf_addr *a, const char *request, struct pf_h_http *r)
{
    char err[256];
    int fd = pf_net_connect(a, PF_H_WAIT_MS, err, sizeof(err)), rc;

    if (fd < 0) {
        pf_h_note("status listener: %s", err);
        return -1;
    }
    rc = pf_h_http_exchange(fd, request, r);
    close(fd);
    return rc;
}

/* GET path: its status, and whether its body is want (NULL: any). */
static int health_status(const struct pf_addr *a, const char *path, const char *authz,
                         const char *want)
{
    char req[512];
    struct pf_h_http r;
    int status;

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: lb\r\n%s%s%s\r\n", path,
             authz ? "Authorization: " : "", authz ? authz : "", authz ? "\r\n" : "");
    if (health_get(a, req, &r) < 0)
        return -1;
    status = r.status;
    if (want && (r.body == NULL || strcmp(r.body, want) != 0)) {
        pf_h_note("GET %s: %d \"%s\", expected body \"%s\"", path, r.status,
                  r.body ? r.body : "(none)", want);
        status = -1;
    }
    pf_h_http_free(&r);
    return status;
}

/* Poll GET /health until it answers code with body want. */
static int health_wait(const struct pf_addr *a, int code, const char *want, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;

    while (pf_time_now_ms() < deadline) {
        char req[] = "GET /health HTTP/1.1\r\nHost: lb\r\n\r\n";
        struct pf_h_http r;

        if (health_get(a, req, &r) == 0) {
            bool match = r.status == code && r.body && strcmp(r.body, want) == 0;

            pf_h_http_free(&r);
            if (match)
                return 0;
        }
        usleep(20 * 1000);
    }
    pf_h_note("GET /health never answered %d \"%s\"", code, want);
    return -1;
}

/* The token file the harness's config names (control.token_file). */
static void bearer(struct pf_server *s, char *out, size_t size)
{
    char *token = pf_h_read(s, "ctl.token");

    assert_non_null(token);
    token[strcspn(token, "\r\n")] = '\0';
    snprintf(out, size, "Bearer %s", token);
    free(token);
}

/* Start an echo pool of n with the status listener (more: its other
 * settings) and the control token file. */
static void start_health(struct pf_server *s, int n, const char *more, const char *workers_extra,
                         struct pf_addr *a)
{
    struct pf_h_config c;
    char extra[512];

    pf_h_config_defaults(&c);
    c.workers_start = n;
    c.workers_extra = workers_extra;
    snprintf(extra, sizeof(extra),
             STATUS_CONFIG "control = { listen = \"\"; token_file = \"ctl.token\"; };\n", more);
    c.extra = extra;
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    health_addr(s, a);
}

/* Serving: /health 200 "ok"; /metrics wants the token (401 without it,
 * 200 with it); any other path 404; a line that is not an HTTP GET 400
 * and closed: the control channel's protocol is not spoken here. */
PF_H_TEST(test_health_serving)
{
    struct pf_addr a;
    char authz[256];
    struct pf_h_http r;

    start_health(s, 2, "", NULL, &a);
    assert_int_equal(health_wait(&a, 200, "ok\n", PF_H_WAIT_MS), 0); /* once ready */
    assert_int_equal(health_status(&a, "/metrics", NULL, NULL), 401);
    bearer(s, authz, sizeof(authz));
    assert_int_equal(health_get(&a, "GET /metrics HTTP/1.1\r\nHost: lb\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 401);
    pf_h_http_free(&r);
    assert_int_equal(health_status(&a, "/metrics", authz, NULL), 200);
    assert_int_equal(health_status(&a, "/status", authz, NULL), 404);
    assert_int_equal(health_status(&a, "/", NULL, NULL), 404);
    assert_int_equal(health_get(&a, "auth whatever\n", &r), 0);
    assert_int_equal(r.status, 400);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_check_serves(s), 0);
}

/* status.metrics_token = false (applied by a reload): /metrics without
 * the token. */
PF_H_TEST(test_health_metrics_without_token)
{
    struct pf_addr a;
    struct pf_h_http r;
    char req[] = "GET /metrics HTTP/1.1\r\nHost: lb\r\n\r\n";

    start_health(s, 1, "metrics_token = false;", NULL, &a);
    assert_int_equal(health_get(&a, req, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(r.body);
    assert_non_null(strstr(r.body, "\npreforkd_workers_target 1\n"));
    pf_h_http_free(&r);
}

/* A status listener that asks for no token (metrics_token = false) and no
 * control channel: no token file is read or created, so a server whose
 * configuration folder is read-only (a container) starts; here the token
 * file's folder does not even exist. */
PF_H_TEST(test_health_no_token_file)
{
    struct pf_h_config c;
    struct pf_addr a;
    char *token;

    pf_h_config_defaults(&c);
    c.workers_start = 1;
    c.extra = "status = { listen = \"127.0.0.1:0\"; metrics_token = false; };\n"
              "control = { listen = \"\"; token_file = \"missing/ctl.token\"; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    health_addr(s, &a);
    assert_int_equal(health_wait(&a, 200, "ok\n", PF_H_WAIT_MS), 0);
    assert_int_equal(health_status(&a, "/metrics", NULL, NULL), 200);
    assert_int_equal(health_status(&a, "/metrics", "Bearer anything", NULL), 200);
    token = pf_h_read(s, "missing/ctl.token");
    assert_null(token);
}

/* A graceful stop: while a worker finishes its client, /health says 503
 * "stopping", so a load balancer sends no more before the server goes. */
PF_H_TEST(test_health_draining)
{
    struct pf_addr a;
    int fd;

    start_health(s, 1, "", NULL, &a); /* graceful_timeout 10 s: the client holds it */
    assert_int_equal(health_wait(&a, 200, "ok\n", PF_H_WAIT_MS), 0);
    fd = pf_h_connect_served(s); /* a client the worker serves */
    assert_true(fd >= 0);
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(health_wait(&a, 503, "stopping\n", PF_H_WAIT_MS), 0);
    close(fd);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, NULL), 0);
}

/* status.drain_delay: on SIGQUIT /health says 503 "stopping" at once,
 * while the service still accepts and serves new connections for the
 * delay (a load balancer that still sends before its checks see the 503
 * is served, not refused); only then does the stop proper begin, and the
 * master has stayed at least that long. */
PF_H_TEST(test_health_drain_delay)
{
    const int drain_ms = pf_h_scaled_ms(3000);
    struct pf_addr a;
    char more[64];
    int64_t t0, left;

    snprintf(more, sizeof(more), "drain_delay = %d.%03d;", drain_ms / 1000, drain_ms % 1000);
    start_health(s, 2, more, NULL, &a);
    assert_int_equal(health_wait(&a, 200, "ok\n", PF_H_WAIT_MS), 0);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(health_wait(&a, 503, "stopping\n", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_log(s, "graceful stop: draining for", PF_H_WAIT_MS), 0);
    for (int i = 0; i < 3; i++) /* new connections, each served */
        assert_int_equal(pf_h_check_serves(s), 0);
    /* still draining after them: they were served by the drain, not
     * before it began nor after the listener closed */
    assert_false(pf_h_log_contains(s, "workers finish their clients"));
    assert_int_equal(pf_h_wait_log(s, "workers finish their clients", drain_ms + PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, NULL), 0);
    left = drain_ms - (pf_time_now_ms() - t0);
    if (left > 0)
        pf_h_note("the master exited %lld ms before its drain_delay of %d ms was over",
                  (long long)left, drain_ms);
    assert_true(left <= 0);
}

/* A fast stop (SIGTERM) during the drain stops at once: the drain is
 * for a graceful stop alone. */
PF_H_TEST(test_health_drain_fast_stop)
{
    struct pf_addr a;

    start_health(s, 1, "drain_delay = 60;", NULL, &a);
    assert_int_equal(health_wait(&a, 200, "ok\n", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(health_wait(&a, 503, "stopping\n", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_check_serves(s), 0); /* draining */
    assert_int_equal(pf_h_signal(s, SIGTERM), 0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, NULL), 0);
    assert_true(pf_h_log_contains(s, "fast stop: terminating"));
}

/* Workers that keep crashing (they cannot open their access log): 503
 * while the master backs off, 200 again once they stay up. */
PF_H_TEST(test_health_backoff)
{
    struct pf_h_config c;
    struct pf_addr a;
    char extra[512];

    pf_h_config_defaults(&c);
    c.protocol = "http";
    c.workers_start = 2;
    c.workers_extra = "crash_limit = 2; crash_window = 3; backoff_max = 2;";
    snprintf(extra, sizeof(extra),
             STATUS_CONFIG "control = { listen = \"\"; token_file = \"ctl.token\"; };\n"
                           "http = { root = \"www\"; access_log = \"logs/access.log\"; };\n",
             "");
    c.extra = extra;
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_mkdir(s, "logs"), 0);
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    health_addr(s, &a);
    assert_int_equal(health_wait(&a, 200, "ok\n", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_start_crash_loop(s, 2), 0);
    assert_int_equal(health_wait(&a, 503, "backing off after crashes\n", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_mkdir(s, "logs"), 0);
    assert_int_equal(health_wait(&a, 200, "ok\n", 20000), 0);
}

/* Clients are bounded: past status.max_clients a connection is closed at
 * once, and the listener answers again once the others are gone. */
PF_H_TEST(test_health_bounded)
{
    struct pf_addr a;
    char err[256], byte;
    int held[2], extra;

    start_health(s, 1, "max_clients = 2;", NULL, &a);
    for (int i = 0; i < 2; i++) {
        held[i] = pf_net_connect(&a, PF_H_WAIT_MS, err, sizeof(err));
        assert_true(held[i] >= 0);
    }
    extra = pf_net_connect(&a, PF_H_WAIT_MS, err, sizeof(err));
    assert_true(extra >= 0);
    assert_int_equal(pf_h_expect_closed(extra, PF_H_WAIT_MS), 0);
    assert_int_equal(read(extra, &byte, 1), 0);
    close(extra);
    assert_int_equal(pf_h_wait_log(s, "status: 2 clients already connected; refusing one",
                                   PF_H_WAIT_MS),
                     0);
    for (int i = 0; i < 2; i++)
        close(held[i]);
    assert_int_equal(health_wait(&a, 200, "ok\n", PF_H_WAIT_MS), 0);
}

/* The value of the sample line "name value" in an exposition, or -1. */
static double sample(const char *body, const char *name)
{
    char key[256];
    const char *at;

    snprintf(key, sizeof(key), "\n%s ", name);
    at = strstr(body, key);
    return at ? strtod(at + strlen(key), NULL) : -1;
}

/* Responses by class and the request-duration histogram, as a scrape
 * (here from the status listener, without a token) sees them after 3
 * files served, one missing, one bad request and one refused head. */
PF_H_TEST(test_health_request_metrics)
{
    struct pf_h_config c;
    struct pf_addr a;
    struct pf_h_http r;
    char body[4096 * 16];
    static const char *const requests[] = {
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n",
    };

    pf_h_config_defaults(&c);
    c.protocol = "http";
    c.workers_start = 1;
    c.extra = "status = { listen = \"127.0.0.1:0\"; metrics_token = false; };\n"
              "control = { listen = \"\"; token_file = \"ctl.token\"; };\n"
              "http = { root = \"www\"; };\n";
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/hello.txt", "hello\n", NULL), 0);
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    health_addr(s, &a);
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        assert_int_equal(pf_h_http_once(s, requests[i], &r), 0);
        pf_h_http_free(&r);
    }
    {
        int fd = pf_h_connect(s); /* a head too long: refused (431) */
        char line[9000];

        assert_true(fd >= 0);
        memset(line, 'a', sizeof(line));
        memcpy(line, "GET /", 5);
        assert_int_equal(pf_h_send(fd, line, sizeof(line)), 0);
        assert_int_equal(pf_h_http_read(fd, false, &r), 0);
        assert_true(r.status == 414 || r.status == 431);
        pf_h_http_free(&r);
        close(fd);
    }
    assert_int_equal(health_get(&a, "GET /metrics HTTP/1.1\r\nHost: lb\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    snprintf(body, sizeof(body), "%s", r.body ? r.body : "");
    pf_h_http_free(&r);
    assert_true(sample(body, "preforkd_responses_total{class=\"2xx\"}") == 3);
    assert_true(sample(body, "preforkd_responses_total{class=\"4xx\"}") == 3);
    assert_true(sample(body, "preforkd_responses_total{class=\"5xx\"}") == 0);
    /* the four that began (the bad ones did not) */
    assert_true(sample(body, "preforkd_request_duration_seconds_count{protocol=\"http\"}") == 4);
    assert_true(sample(body,
                       "preforkd_request_duration_seconds_bucket{protocol=\"http\",le=\"+Inf\"}") ==
                4);
    assert_true(sample(body, "preforkd_request_duration_seconds_sum{protocol=\"http\"}") >= 0);
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_health_serving),       PF_H_CASE(test_health_metrics_without_token),
    PF_H_CASE(test_health_draining),      PF_H_CASE(test_health_backoff),
    PF_H_CASE(test_health_bounded),       PF_H_CASE(test_health_request_metrics),
    PF_H_CASE(test_health_drain_delay),   PF_H_CASE(test_health_drain_fast_stop),
    PF_H_CASE(test_health_no_token_file),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
