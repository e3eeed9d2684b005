/* Integration: clients behind a balancer (the proxy group). A connection
 * from a trusted address opens with a PROXY header (v1 or v2) and the
 * client it names is the one the access log, `preforkctl workers` and
 * the hung-kill line show, also after the connection was parked with the
 * keeper and handed back; a trusted peer without a header, or with half
 * a one, is closed (at the header timeout) and counted, and the server
 * goes on serving; an untrusted peer is served as itself. For http,
 * X-Forwarded-For names the client of a request from a trusted proxy.
 *
 * The tests can only connect from 127.0.0.1: they make it trusted in
 * some tests and not in others (trusting only ::1 or 10.0.0.0/8), and
 * the headers name documentation addresses (203.0.113.0/24,
 * 2001:db8::/32) no test machine is.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_time.h"

#define GET_CLOSE "GET /hello.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
#define GET_KEEP "GET /hello.txt HTTP/1.1\r\nHost: test\r\n\r\n"
#define V1_HEADER "PROXY TCP4 203.0.113.7 198.51.100.1 4711 80\r\n"
#define V1_CLIENT "203.0.113.7:4711"
/* v2, PROXY over TCP/IPv6: 2001:db8::7 port 4711 -> 2001:db8::1 port 80 */
#define V2_SIG "\r\n\r\n\0\r\nQUIT\n"
#define V2_HEADER \
    V2_SIG "\x21\x21\x00\x24" \
           "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07" \
           "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" \
           "\x12\x67\x00\x50"
#define V2_CLIENT "[2001:db8::7]:4711"
#define V2_LOCAL V2_SIG "\x20\x00\x00\x00"
#define LEN(lit) (sizeof(lit) - 1)

/* An http server on www/ (hello.txt, and big: 64 MiB, sparse), with the
 * control channel, the access log access.log, n workers and these proxy
 * settings (inside proxy = { }); more http settings in http_extra,
 * workers settings in workers_extra, keeper ones in keeper_extra. */
static void start_proxy(struct pf_server *s, int n, const char *proxy, const char *http_extra,
                        const char *workers_extra, const char *keeper_extra)
{
    static char extra[1024];
    struct pf_h_config c;
    char path[PATH_MAX];
    int fd;

    pf_h_config_defaults(&c);
    c.protocol = "http";
    c.workers_start = n;
    c.write_timeout = 60;
    c.workers_extra = workers_extra;
    c.keeper_extra = keeper_extra;
    snprintf(extra, sizeof(extra),
             "http = { root = \"www\"; access_log = \"access.log\"; keepalive_timeout = 30; %s };\n"
             "proxy = { %s };\n" PF_H_CTL_CONFIG,
             http_extra ? http_extra : "", proxy);
    c.extra = extra;
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_bytes(s, "www/hello.txt", "hello\n", 6), 0);
    assert_int_equal(pf_h_path(path, s, "www/big"), 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 64 << 20), 0);
    close(fd);
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

/* Wait until the access log has n lines (a line is written after its
 * response is sent: the client may read it first); the log (free it). */
static char *wait_access_lines(struct pf_server *s, int n)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    for (;;) {
        char *log = pf_h_read(s, "access.log");

        if (log && pf_h_count_lines(log) >= n)
            return log;
        free(log);
        if (pf_time_now_ms() >= deadline)
            fail_msg("the access log never had %d lines", n);
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* Line index (from 0) of the access log begins with the client ip and
 * holds request. */
static void assert_access(struct pf_server *s, int index, const char *ip, const char *request)
{
    char *log = wait_access_lines(s, index + 1), *line = log, want[128];

    for (int i = 0; i < index; i++)
        line = strchr(line, '\n') + 1;
    snprintf(want, sizeof(want), "%s - - [", ip);
    if (strncmp(line, want, strlen(want)) != 0 || strstr(line, request) == NULL ||
        strstr(line, request) > strchr(line, '\n'))
        fail_msg("access log line %d: %.*s\nexpected %s... %s", index, (int)strcspn(line, "\n"),
                 line, want, request);
    free(log);
}

/* Connect, send len bytes, read one response. The connection (or -1). */
static int exchange(struct pf_server *s, const char *bytes, size_t len, struct pf_h_http *r)
{
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    assert_int_equal(pf_h_http_exchange_len(fd, bytes, len, r), 0);
    return fd;
}

/* One exchange on a new connection, closed after; its status. */
static int status_of(struct pf_server *s, const char *bytes, size_t len)
{
    struct pf_h_http r;
    int fd = exchange(s, bytes, len, &r), status = r.status;

    pf_h_http_free(&r);
    close(fd);
    return status;
}

/* A v1 header from a trusted peer: the request is served, and logged with
 * the client the header names; the header's bytes are not the request's. */
PF_H_TEST(test_v1_client_in_access_log)
{
    start_proxy(s, 2, "protocol = true; trusted = [\"127.0.0.1\"];", NULL, NULL, NULL);
    assert_int_equal(status_of(s, V1_HEADER GET_CLOSE, LEN(V1_HEADER GET_CLOSE)), 200);
    assert_access(s, 0, "203.0.113.7", "\"GET /hello.txt HTTP/1.1\" 200 6");
}

/* curl --haproxy-protocol (v1, naming 127.0.0.1): served with the header
 * on, and the same bytes without it are a bad request. */
PF_H_TEST(test_curl_haproxy_protocol)
{
    char url[128];
    struct pf_h_output o;

    if (!pf_h_have_program("curl"))
        pf_h_skip_because(s, "curl is not installed");
    start_proxy(s, 2, "protocol = true; trusted = [\"127.0.0.0/8\"];", NULL, NULL, NULL);
    snprintf(url, sizeof(url), "http://%s/hello.txt", s->addr_text);
    char *argv[] = {"curl", "-sS", "--max-time", "10", "--haproxy-protocol", url, NULL};

    assert_int_equal(pf_h_run_cmd(s, &o, argv), 0);
    assert_true(pf_h_exited_with(o.status, 0));
    assert_string_equal(o.out, "hello\n");
    pf_h_output_free(&o);
    assert_access(s, 0, "127.0.0.1", "\"GET /hello.txt HTTP/1.1\" 200 6");
}

/* A v2 header (IPv6 client) on a keep-alive connection: the client falls
 * silent, the connection is parked with the keeper, its second request is
 * served by whichever worker takes it back, still as the client the header
 * named (the address travels with the connection). */
PF_H_TEST(test_v2_client_survives_park)
{
    struct pf_h_http r;
    int fd;

    start_proxy(s, 2, "protocol = true; trusted = [\"127.0.0.1\"];", NULL, NULL, NULL);
    fd = exchange(s, V2_HEADER GET_KEEP, LEN(V2_HEADER GET_KEEP), &r);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_http_exchange(fd, GET_CLOSE, &r), 0);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
    close(fd);
    assert_access(s, 0, "2001:db8::7", "\"GET /hello.txt HTTP/1.1\" 200 6");
    assert_access(s, 1, "2001:db8::7", "\"GET /hello.txt HTTP/1.1\" 200 6");
    assert_true(pf_h_ctl_status_int(s, "totals.resumed") >= 1);
}

/* A v2 LOCAL header (a balancer's health check): the peer is the client. */
PF_H_TEST(test_v2_local_keeps_peer)
{
    start_proxy(s, 2, "protocol = true; trusted = [\"127.0.0.1\"];", NULL, NULL, NULL);
    assert_int_equal(status_of(s, V2_LOCAL GET_CLOSE, LEN(V2_LOCAL GET_CLOSE)), 200);
    assert_access(s, 0, "127.0.0.1", "\"GET /hello.txt HTTP/1.1\" 200 6");
}

/* An untrusted peer with proxy.protocol on is served as itself, and a
 * PROXY header from it is not honoured: it is a bad request line. */
PF_H_TEST(test_untrusted_peer_served_as_itself)
{
    start_proxy(s, 2, "protocol = true; trusted = [\"10.0.0.0/8\", \"::1\"];", NULL, NULL, NULL);
    assert_int_equal(status_of(s, GET_CLOSE, LEN(GET_CLOSE)), 200);
    assert_access(s, 0, "127.0.0.1", "\"GET /hello.txt HTTP/1.1\" 200 6");
    assert_int_equal(status_of(s, V1_HEADER GET_CLOSE, LEN(V1_HEADER GET_CLOSE)), 400);
    /* its header is a bad request line, logged as the line it was */
    assert_access(s, 1, "127.0.0.1", "\"PROXY TCP4 203.0.113.7 198.51.100.1 4711 80\" 400");
    assert_false(pf_h_log_contains(s, "PROXY header"));
}

/* A trusted peer that sends a request without the header, or a broken
 * header, is closed without a response, logged with its address and
 * counted; the server goes on serving. */
PF_H_TEST(test_trusted_peer_without_header_closed)
{
    static const char broken[] = "PROXY TCP4 203.0.113.7 198.51.100.1 99999 80\r\n" GET_CLOSE;
    char buf[16];
    int fd;

    start_proxy(s, 1, "protocol = true; trusted = [\"127.0.0.1\"];", NULL, NULL, NULL);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_send(fd, GET_CLOSE, LEN(GET_CLOSE)), 0);
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
    assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0); /* no response */
    close(fd);
    assert_int_equal(pf_h_wait_log(s,
                                   "no valid PROXY header from a trusted address: not a "
                                   "PROXY header; closing",
                                   PF_H_WAIT_MS),
                     0);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_send(fd, broken, LEN(broken)), 0);
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
    close(fd);
    assert_int_equal(pf_h_wait_log(s, "PROXY v1: a port must be a number from 0 to 65535; closing",
                                   PF_H_WAIT_MS),
                     0);
    assert_true(pf_h_log_contains(s, "client 127.0.0.1:"));
    assert_int_equal(pf_h_ctl_status_int(s, "totals.proxy_refused"), 2);
    assert_int_equal(status_of(s, V1_HEADER GET_CLOSE, LEN(V1_HEADER GET_CLOSE)), 200);
}

/* Half a header, then silence: the one worker is held no longer than
 * http.header_timeout (1 s here), then the connection is closed and the
 * next client served. */
PF_H_TEST(test_half_header_cut_at_header_timeout)
{
    int64_t t0, took;
    int fd;

    start_proxy(s, 1, "protocol = true; trusted = [\"127.0.0.1\"];", "header_timeout = 1;", NULL,
                NULL);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_send(fd, "PROXY TCP4 203.0", 16), 0);
    assert_int_equal(pf_h_expect_closed(fd, pf_h_scaled_ms(PF_H_WAIT_MS)), 0);
    took = pf_time_now_ms() - t0;
    close(fd);
    if (took < 900 || took > pf_h_scaled_ms(3000))
        fail_msg("half a header closed after %lld ms, header_timeout is 1 s", (long long)took);
    assert_int_equal(pf_h_wait_log(s, "no whole PROXY header in time (16 bytes came); closing",
                                   PF_H_WAIT_MS),
                     0);
    assert_int_equal(status_of(s, V1_HEADER GET_CLOSE, LEN(V1_HEADER GET_CLOSE)), 200);
    assert_int_equal(pf_h_ctl_status_int(s, "totals.proxy_refused"), 1);
}

/* The client of the worker's slot for pid in `preforkctl workers`, into
 * out ("" when none). */
static void worker_client(struct pf_server *s, pid_t pid, char *out, size_t size)
{
    json_t *reply = pf_h_ctl_json(s, "workers", NULL), *w;
    size_t i;

    out[0] = '\0';
    json_array_foreach(json_object_get(reply, "workers"), i, w)
    {
        const char *client = json_string_value(json_object_get(w, "client"));

        if (json_integer_value(json_object_get(w, "pid")) == pid && client)
            snprintf(out, size, "%s", client);
    }
    json_decref(reply);
}

/* Wait until `preforkctl workers` shows pid serving client. */
static void wait_worker_client(struct pf_server *s, pid_t pid, const char *client)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    char got[PF_ADDR_STRLEN];

    for (;;) {
        worker_client(s, pid, got, sizeof(got));
        if (strcmp(got, client) == 0)
            return;
        if (pf_time_now_ms() >= deadline)
            fail_msg("worker %ld shown with client \"%s\", never \"%s\"", (long)pid, got, client);
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* A request for the big file, never read: its worker is busy on it past
 * workers.request_timeout (1 s), shown meanwhile in `preforkctl workers`
 * with client, and killed as hung with client in the log line. */
static void assert_hung_client(struct pf_server *s, const char *bytes, size_t len,
                               const char *client)
{
    char needle[64], want[128];
    pid_t worker;
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    assert_int_equal(pf_h_send(fd, bytes, len), 0);
    worker = pf_h_worker_of_client(s, fd, PF_H_WAIT_MS);
    assert_true(worker > 0);
    wait_worker_client(s, worker, client);
    snprintf(needle, sizeof(needle), "worker %ld hung: busy ", (long)worker);
    assert_int_equal(pf_h_wait_log(s, needle, pf_h_scaled_ms(PF_H_WAIT_MS)), 0);
    snprintf(want, sizeof(want), "on request \"GET /big\" from %s ", client);
    assert_true(pf_h_log_contains(s, want));
    close(fd);
}

PF_H_TEST(test_proxy_client_in_workers_and_hung_line)
{
    static const char req[] = V2_HEADER "GET /big HTTP/1.1\r\nHost: test\r\n\r\n";

    start_proxy(s, 2, "protocol = true; trusted = [\"127.0.0.1\"];", NULL, "request_timeout = 1;",
                "parking = false;");
    assert_hung_client(s, req, LEN(req), V2_CLIENT);
}

/* X-Forwarded-For from a trusted peer: read from the right, trusted
 * entries skipped; the client is in the access log, in `preforkctl
 * workers` and in the hung-kill line, for that request alone. */
PF_H_TEST(test_forwarded_for_trusted)
{
    static const char xff[] = "GET /hello.txt HTTP/1.1\r\nHost: test\r\n"
                              "X-Forwarded-For: 6.6.6.6, 203.0.113.9, 10.1.2.3\r\n\r\n";
    static const char big[] = "GET /big HTTP/1.1\r\nHost: test\r\n"
                              "X-Forwarded-For: 203.0.113.10\r\n\r\n";
    struct pf_h_http r;
    int fd;

    start_proxy(s, 2, "forwarded_for = true; trusted = [\"127.0.0.1\", \"10.0.0.0/8\"];", NULL,
                "request_timeout = 1;", "parking = false;");
    fd = exchange(s, xff, LEN(xff), &r);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
    assert_access(s, 0, "203.0.113.9", "\"GET /hello.txt HTTP/1.1\" 200 6");
    assert_int_equal(pf_h_http_exchange(fd, GET_CLOSE, &r), 0); /* same connection, no header */
    pf_h_http_free(&r);
    close(fd);
    assert_access(s, 1, "127.0.0.1", "\"GET /hello.txt HTTP/1.1\" 200 6");
    assert_hung_client(s, big, LEN(big), "203.0.113.10:0");
}

/* X-Forwarded-For from a peer that is not trusted is ignored. */
PF_H_TEST(test_forwarded_for_untrusted)
{
    static const char xff[] = "GET /hello.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                              "X-Forwarded-For: 203.0.113.9\r\n\r\n";

    start_proxy(s, 2, "forwarded_for = true; trusted = [\"::1\"];", NULL, NULL, NULL);
    assert_int_equal(status_of(s, xff, LEN(xff)), 200);
    assert_access(s, 0, "127.0.0.1", "\"GET /hello.txt HTTP/1.1\" 200 6");
}

/* echo reads the PROXY header too: the line after it comes back alone. */
PF_H_TEST(test_echo_behind_proxy)
{
    struct pf_h_config c;
    char buf[8] = "";
    int fd;

    pf_h_config_defaults(&c);
    c.extra = "proxy = { protocol = true; trusted = [\"127.0.0.1\"]; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_send(fd, V1_HEADER "hello\n", LEN(V1_HEADER "hello\n")), 0);
    assert_int_equal(pf_h_recv(fd, buf, 6), 0);
    assert_string_equal(buf, "hello\n");
    close(fd);
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_v1_client_in_access_log),
    PF_H_CASE(test_curl_haproxy_protocol),
    PF_H_CASE(test_v2_client_survives_park),
    PF_H_CASE(test_v2_local_keeps_peer),
    PF_H_CASE(test_untrusted_peer_served_as_itself),
    PF_H_CASE(test_trusted_peer_without_header_closed),
    PF_H_CASE(test_half_header_cut_at_header_timeout),
    PF_H_CASE(test_proxy_client_in_workers_and_hung_line),
    PF_H_CASE(test_forwarded_for_trusted),
    PF_H_CASE(test_forwarded_for_untrusted),
    PF_H_CASE(test_echo_behind_proxy),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
