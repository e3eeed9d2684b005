/* Integration: the hostile-client catalogue for the http protocol
 * (docs/http.md, docs/reliability.md "Hostile clients").
 *
 * Every malformed-request class of docs/http.md goes over the wire, from a
 * table (request bytes -> status, and whether the connection stays open),
 * whole and then split at every byte boundary; then the limits pushed far
 * (10,000 header fields, a 1 MiB request line, a 1 GiB body announced),
 * bytes that are not HTTP at all (a TLS ClientHello), and connection
 * abuse: hundreds of silent connections with and without defer_accept, a
 * client reading a large file one byte a second, clients resetting at
 * every moment of a response.
 *
 * After each case the server must be unharmed: no worker ended abnormally
 * (the master's status counter totals.abnormal_exits, and the log), and a
 * normal request is still served. test_http.c holds the functional tests
 * (a first table of bad requests, test_limits, test_header_timeout,
 * test_write_timeout_frees_worker, test_client_reset_mid_response); this
 * file does not repeat them but pushes each class harder.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_net.h"
#include "pf_time.h"

#define INDEX_BODY "<p>still serving</p>\n"
#define HUGE_SIZE (64L << 20) /* huge.bin, sparse: more than any socket buffers hold */
#define CLOSE_MS 5000         /* bound on any expected close */
#define CONSUMED_MS 5000      /* bound on the server reading a first part */
#define STR_ARGS(text) text, sizeof(text) - 1

/* ------------------------------------------------------------ set-up */

/* The site (an index, a huge sparse file), and an http server with the
 * control channel (for status), the top-level settings top (may be NULL)
 * and the given http settings (may be NULL). */
static void start_site(struct pf_server *s, struct pf_h_config *c, const char *top,
                       const char *settings)
{
    char extra[2048], path[PATH_MAX];
    int fd;

    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/index.html", INDEX_BODY, NULL), 0);
    assert_int_equal(pf_h_path(path, s, "www/huge.bin"), 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, HUGE_SIZE), 0);
    close(fd);
    snprintf(extra, sizeof(extra), "%s\nhttp = { root = \"www\"; %s };\n%s", top ? top : "",
             settings ? settings : "", PF_H_CTL_CONFIG);
    c->protocol = "http";
    c->extra = extra;
    assert_int_equal(pf_h_start_pool(s, c), 0);
}

/* start_site with `workers` workers and the harness defaults. */
static void start_workers_top(struct pf_server *s, int workers, const char *top,
                              const char *settings)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.workers_start = c.workers_max = workers;
    start_site(s, &c, top, settings);
}

static void start_workers(struct pf_server *s, int workers, const char *settings)
{
    start_workers_top(s, workers, NULL, settings);
}

static int connect_ok(struct pf_server *s)
{
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    return fd;
}

/* The server is unharmed after the case `what`: no worker ended
 * abnormally (the status counter and the log agree), and a normal request
 * on a new connection is answered in full. */
static void assert_unharmed(struct pf_server *s, const char *what)
{
    long long abnormal = pf_h_ctl_status_int(s, "totals.abnormal_exits");
    struct pf_h_http r;

    if (abnormal != 0)
        fail_msg("after %s: status totals.abnormal_exits is %lld", what, abnormal);
    if (pf_h_log_abnormal_exits(s) != 0)
        fail_msg("after %s: the log shows a worker ending abnormally", what);
    if (pf_h_http_once(s, "GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n", &r) < 0)
        fail_msg("after %s: a normal request got no complete response", what);
    if (r.status != 200 || r.body_len != strlen(INDEX_BODY) ||
        memcmp(r.body, INDEX_BODY, r.body_len) != 0)
        fail_msg("after %s: a normal request got status %d", what, r.status);
    pf_h_http_free(&r);
}

/* The server closes fd cleanly (EOF, no reset, no byte) within CLOSE_MS:
 * what docs/http.md promises after a refusal that closes (the server
 * lingers so that its answer is not destroyed by a reset). */
static void assert_eof(int fd, const char *what)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    ssize_t n;

    if (poll(&p, 1, CLOSE_MS) != 1)
        fail_msg("%s: the connection stayed open", what);
    n = recv(fd, &c, 1, MSG_DONTWAIT);
    if (n != 0)
        fail_msg("%s: expected EOF, got %s", what, n > 0 ? "a byte" : strerror(errno));
}

/* Wait (bounded) until the status integer at path is want. */
static void wait_status(struct pf_server *s, const char *path, long long want)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    long long v;

    while ((v = pf_h_ctl_status_int(s, path)) != want) {
        if (pf_time_now_ms() >= deadline)
            fail_msg("status %s is %lld, expected %lld", path, v, want);
        poll(NULL, 0, PF_H_POLL_MS);
    }
}

/* Raise RLIMIT_NOFILE to its hard limit; the soft limit in force. */
static rlim_t raise_nofile(void)
{
    struct rlimit rl;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) /* valgrind refuses: keep the old one */
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

/* --------------------------------------------------- malformed requests */

/* One request of the catalogue: its bytes, the status of its answer, and
 * whether the connection stays open after it. A second status, when not
 * 0, is the answer to what follows the first request (pipelined). */
struct row {
    const char *name;
    const char *bytes;
    size_t len;
    int status, status2;
    bool open;
};

#define H "Host: a\r\n"
#define ROW(name, text, status, open) \
    { \
        name, text, sizeof(text) - 1, status, 0, open \
    }
#define CLOSES false
#define STAYS true
#define LONG_NAME \
    "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* Every refusal class of docs/http.md ("Requests", "Refusals by status").
 * The server runs with server_name = "example.com" (for the absolute-form
 * row) and the default limits. */
static const struct row rows[] = {
    /* request line */
    ROW("empty method", " / HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("empty lines first (skipped, RFC 9112 2.2)", "\r\n\n\r\nGET / HTTP/1.1\r\n" H "\r\n", 200,
        STAYS),
    ROW("only empty lines, then a lone CR line", "\r\n\r\n\r\r\n" H "\r\n", 400, CLOSES),
    ROW("two spaces", "GET  / HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("tab as separator", "GET\t/ HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("space after version", "GET / HTTP/1.1 \r\n" H "\r\n", 400, CLOSES),
    ROW("no version", "GET /\r\n" H "\r\n", 400, CLOSES),
    ROW("lowercase version", "GET / http/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("HTTP/1", "GET / HTTP/1\r\n" H "\r\n", 400, CLOSES),
    ROW("HTTP/1.10", "GET / HTTP/1.10\r\n" H "\r\n", 400, CLOSES),
    ROW("bad byte in method", "G(T / HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("HTTP/1.2", "GET / HTTP/1.2\r\n" H "\r\n", 505, CLOSES),
    ROW("HTTP/0.9", "GET / HTTP/0.9\r\n" H "\r\n", 505, CLOSES),
    ROW("HTTP/2.0", "GET / HTTP/2.0\r\n" H "\r\n", 505, CLOSES),
    ROW("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, CLOSES),
    ROW("unknown method", "FOO / HTTP/1.1\r\n" H "\r\n", 501, CLOSES),
    ROW("lowercase method", "get / HTTP/1.1\r\n" H "\r\n", 501, CLOSES),
    /* request target */
    ROW("relative target", "GET a HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("fragment", "GET /a#b HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("tab in target", "GET /a\tb HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("NUL in target", "GET /a\0b HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("DEL in target", "GET /a\x7f HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("0x80 in target", "GET /a\x80 HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("* with GET", "GET * HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("authority-form with GET", "GET a:80 HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("https scheme", "GET https://a/ HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("userinfo", "GET http://u@a/ HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("other host than server_name", "GET http://b/ HTTP/1.1\r\nHost: b\r\n\r\n", 400, CLOSES),
    ROW("bad escape", "GET /%zz HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("escaped NUL", "GET /a%00 HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("dot-dot above the root", "GET /a/../../x HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    ROW("escaped dot-dot", "GET /%2e%2e/x HTTP/1.1\r\n" H "\r\n", 400, CLOSES),
    /* known methods: refused, the connection kept */
    ROW("POST", "POST / HTTP/1.1\r\n" H "\r\n", 405, STAYS),
    ROW("OPTIONS *", "OPTIONS * HTTP/1.1\r\n" H "\r\n", 405, STAYS),
    ROW("CONNECT", "CONNECT a:80 HTTP/1.1\r\n" H "\r\n", 405, STAYS),
    ROW("decoded name over 1024 bytes",
        "GET " LONG_NAME LONG_NAME LONG_NAME LONG_NAME LONG_NAME LONG_NAME " HTTP/1.1\r\n" H "\r\n",
        414, STAYS),
    /* line ends and bytes in the head */
    ROW("bare LF", "GET / HTTP/1.1\n" H "\n", 400, CLOSES),
    ROW("bare LF after CRLF lines", "GET / HTTP/1.1\r\n" H "\n", 400, CLOSES),
    ROW("bare CR in request line", "GET / HTTP/1.1\r" H "\r\n", 400, CLOSES),
    ROW("bare CR in a value", "GET / HTTP/1.1\r\n" H "X: a\rb\r\n\r\n", 400, CLOSES),
    ROW("bare CR in a name", "GET / HTTP/1.1\r\n" H "X\r: a\r\n\r\n", 400, CLOSES),
    ROW("bare CR before the end", "GET / HTTP/1.1\r\n" H "\r\r\n\r\n", 400, CLOSES),
    ROW("NUL in a value", "GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n", 400, CLOSES),
    ROW("NUL in a name", "GET / HTTP/1.1\r\n" H "X\0Y: a\r\n\r\n", 400, CLOSES),
    ROW("NULs alone", "\0\0\0\0\r\n\r\n", 400, CLOSES),
    ROW("DEL in a value", "GET / HTTP/1.1\r\n" H "X: a\x7f\r\n\r\n", 400, CLOSES),
    ROW("obs-fold", "GET / HTTP/1.1\r\n" H "X: a\r\n b\r\n\r\n", 400, CLOSES),
    ROW("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, CLOSES),
    ROW("empty field name", "GET / HTTP/1.1\r\n" H ": a\r\n\r\n", 400, CLOSES),
    ROW("field without colon", "GET / HTTP/1.1\r\n" H "X\r\n\r\n", 400, CLOSES),
    /* Host */
    ROW("no Host in 1.1", "GET / HTTP/1.1\r\n\r\n", 400, CLOSES),
    ROW("two Host", "GET / HTTP/1.1\r\n" H H "\r\n", 400, CLOSES),
    ROW("Host with a comma", "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", 400, CLOSES),
    ROW("Host with a bad port", "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400, CLOSES),
    ROW("Host bad IP literal", "GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n", 400, CLOSES),
    /* fields allowed once, Connection */
    ROW("two User-Agent", "GET / HTTP/1.1\r\n" H "User-Agent: a\r\nUser-Agent: b\r\n\r\n", 400,
        CLOSES),
    ROW("two Range", "GET / HTTP/1.1\r\n" H "Range: bytes=0-1\r\nRange: bytes=0-1\r\n\r\n", 400,
        CLOSES),
    ROW("bad Connection list", "GET / HTTP/1.1\r\n" H "Connection: close;x\r\n\r\n", 400, CLOSES),
    /* bodies */
    ROW("Content-Length not digits", "GET / HTTP/1.1\r\n" H "Content-Length: 5a\r\n\r\n", 400,
        CLOSES),
    ROW("Content-Length negative", "GET / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", 400,
        CLOSES),
    ROW("Content-Length list", "GET / HTTP/1.1\r\n" H "Content-Length: 1, 1\r\n\r\n", 400, CLOSES),
    ROW("Content-Length empty", "GET / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", 400, CLOSES),
    ROW("two Content-Length",
        "GET / HTTP/1.1\r\n" H "Content-Length: 0\r\nContent-Length: 0\r\n\r\n", 400, CLOSES),
    ROW("Content-Length 0 (no body: served)", "GET / HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n",
        200, STAYS),
    ROW("Content-Length 1", "GET / HTTP/1.1\r\n" H "Content-Length: 1\r\n\r\n", 413, CLOSES),
    ROW("Content-Length 1 GiB", "GET / HTTP/1.1\r\n" H "Content-Length: 1073741824\r\n\r\n", 413,
        CLOSES),
    ROW("Content-Length past 2^64",
        "GET / HTTP/1.1\r\n" H "Content-Length: 99999999999999999999999\r\n\r\n", 413, CLOSES),
    ROW("Transfer-Encoding", "GET / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n", 501,
        CLOSES),
    ROW("Transfer-Encoding and Content-Length",
        "GET / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400,
        CLOSES),
    ROW("Transfer-Encoding gzip", "GET / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n", 400,
        CLOSES),
    ROW("Transfer-Encoding gzip, chunked",
        "GET / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n", 501, CLOSES),
    ROW("Transfer-Encoding chunked, then gzip on a second line",
        "GET / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
        CLOSES),
    ROW("Transfer-Encoding chunked twice",
        "GET / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, chunked\r\n\r\n", 400, CLOSES),
    ROW("Transfer-Encoding with a quoted parameter",
        "GET / HTTP/1.1\r\n" H "Transfer-Encoding: gzip;q=\"1\", chunked\r\n\r\n", 400, CLOSES),
    ROW("Transfer-Encoding in 1.0", "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
        CLOSES),
    /* empty lines between pipelined requests are skipped */
    {"CRLFs between pipelined requests",
     STR_ARGS("GET / HTTP/1.1\r\n" H "\r\n\r\n\n\r\nGET / HTTP/1.1\r\n" H "\r\n"), 200, 200, STAYS},
    /* pipelined garbage after a valid request: answered, then refused */
    {"garbage head after a request", STR_ARGS("GET / HTTP/1.1\r\n" H "\r\nxx yy zz\r\n\r\n"), 200,
     400, CLOSES},
    {"binary after a request", STR_ARGS("GET / HTTP/1.1\r\n" H "\r\n\x01\xff\0\x16\n"), 200, 400,
     CLOSES},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* The server for the table: two workers, the connection kept for as many
 * requests as the split pass sends on it. */
static void start_table(struct pf_server *s)
{
    start_workers(s, 2, "server_name = \"example.com\"; keepalive_requests = 1000000;");
}

/* Send the row's bytes on fd, whole (split 0) or as two writes split
 * after `split` bytes, the server having read the first part before the
 * second is sent: the parser then sees two reads. */
static void send_row(struct pf_server *s, int fd, const struct row *w, size_t split)
{
    if (split == 0) {
        assert_int_equal(pf_h_send(fd, w->bytes, w->len), 0);
        return;
    }
    assert_int_equal(pf_h_send(fd, w->bytes, split), 0);
    if (pf_h_wait_consumed(s, fd, CONSUMED_MS) < 0)
        fail_msg("%s split at %zu: the first part was never read", w->name, split);
    assert_int_equal(pf_h_send(fd, w->bytes + split, w->len - split), 0);
}

/* Read one answer on fd: its status must be status; an answer that
 * closes says Connection: close, one that keeps the connection does not. */
static void expect_answer(int fd, const struct row *w, size_t split, int status, bool open)
{
    struct pf_h_http r;
    char v[64];

    if (pf_h_http_read(fd, false, &r) < 0)
        fail_msg("%s (split %zu): no complete response", w->name, split);
    if (r.status != status)
        fail_msg("%s (split %zu): status %d, expected %d; head:\n%s", w->name, split, r.status,
                 status, r.head);
    if (open == (pf_h_http_header(&r, "Connection", v, sizeof(v)) && strcmp(v, "close") == 0))
        fail_msg("%s (split %zu): the answer %s Connection: close", w->name, split,
                 open ? "says" : "lacks");
    pf_h_http_free(&r);
}

/* One row on fd (a kept-alive connection for rows that stay open, a new
 * one otherwise): every answer, then the close where the row closes. */
static void run_row(struct pf_server *s, int fd, const struct row *w, size_t split)
{
    char what[160];

    send_row(s, fd, w, split);
    if (w->status2 == 0) {
        expect_answer(fd, w, split, w->status, w->open);
    } else {
        expect_answer(fd, w, split, w->status, true);
        expect_answer(fd, w, split, w->status2, w->open);
    }
    if (!w->open) {
        snprintf(what, sizeof(what), "%s (split %zu)", w->name, split);
        assert_eof(fd, what);
    }
}

/* Each row sent whole, on a new connection; the server checked after
 * each. */
PF_H_TEST(test_http_malformed)
{
    int64_t t0;

    start_table(s);
    t0 = pf_time_now_ms();
    for (size_t i = 0; i < NROWS; i++) {
        int fd = connect_ok(s);

        run_row(s, fd, &rows[i], 0);
        close(fd);
        assert_unharmed(s, rows[i].name);
    }
    pf_h_note("%zu malformed requests, whole: %lld ms", NROWS, (long long)(pf_time_now_ms() - t0));
}

/* Each row split at every byte boundary: two writes, the second only once
 * the server has read the first (pf_h_wait_consumed), so the parser sees
 * the head in two reads at every possible place, and must answer exactly
 * as for the whole request. Rows that keep the connection open run on one
 * kept-alive connection, the others on a new connection per split. The
 * server is checked after each row. 3,404 splits: about 1.5 s on the
 * 2-CPU test machine, 2 s with the server under valgrind (the wait for
 * the first part to be read is a sock_diag lookup, not a sleep). */
PF_H_TEST(test_http_malformed_split)
{
    int64_t t0;
    size_t splits = 0;

    start_table(s);
    t0 = pf_time_now_ms();
    for (size_t i = 0; i < NROWS; i++) {
        const struct row *w = &rows[i];
        int kept = w->open ? connect_ok(s) : -1;

        for (size_t k = 1; k < w->len; k++, splits++) {
            int fd = w->open ? kept : connect_ok(s);

            run_row(s, fd, w, k);
            if (!w->open)
                close(fd);
        }
        if (kept >= 0)
            close(kept);
        assert_unharmed(s, w->name);
    }
    pf_h_note("%zu malformed requests split at every boundary (%zu splits): %lld ms", NROWS, splits,
              (long long)(pf_time_now_ms() - t0));
}

/* ------------------------------------------------------------- limits */

/* Send len bytes of buf on fd for as long as the server takes them,
 * stopping at the first byte of an answer (or an error, or no progress
 * for no_progress_ms). Returns how many bytes went. */
static size_t send_until_answer(int fd, const char *buf, size_t len, int no_progress_ms)
{
    size_t sent = 0;

    while (sent < len) {
        struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
        ssize_t n;

        if (poll(&p, 1, no_progress_ms) <= 0 || (p.revents & (POLLIN | POLLERR | POLLHUP)))
            break;
        n = send(fd, buf + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
    }
    return sent;
}

/* Go on sending the rest of buf after the answer until the server stops
 * taking bytes (it closed: an error, or no progress for no_progress_ms).
 * Returns the total sent. */
static size_t send_rest(int fd, const char *buf, size_t len, size_t sent, int no_progress_ms)
{
    while (sent < len) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        ssize_t n;

        if (poll(&p, 1, no_progress_ms) <= 0)
            break;
        n = send(fd, buf + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
    }
    return sent;
}

/* A client with a small send buffer (16 KiB, so that only the server's
 * reading lets it send much) sends buf, reading meanwhile, and expects
 * status with Connection: close; it then goes on sending, and the server
 * must close the connection (EOF, or a reset: it does not read the rest).
 * With not_all, buf is too large for the socket buffers between the two
 * (about 200 KB here): the server must have taken less than all of it,
 * which it could not have without reading it. */
static void expect_refused_early(struct pf_server *s, const char *what, const char *buf, size_t len,
                                 int status, bool not_all)
{
    int small = 16384, fd = connect_ok(s);
    struct pf_h_http r;
    char v[64];
    size_t sent, total;

    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    sent = send_until_answer(fd, buf, len, PF_H_IO_MS);
    if (pf_h_http_read(fd, false, &r) < 0)
        fail_msg("%s: no complete response after %zu bytes sent", what, sent);
    if (r.status != status)
        fail_msg("%s: status %d, expected %d; head:\n%s", what, r.status, status, r.head);
    assert_true(pf_h_http_header(&r, "Connection", v, sizeof(v)));
    assert_string_equal(v, "close");
    pf_h_http_free(&r);
    total = send_rest(fd, buf, len, sent, 2000);
    pf_h_note("%s: answered %d after %zu of %zu bytes; %zu taken in all", what, status, sent, len,
              total);
    if (not_all && total >= len)
        fail_msg("%s: the server took all %zu bytes", what, len);
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_MS), 0);
    close(fd);
}

#define MANY_FIELDS 10000

/* A head of 10,000 header fields "X-nnnnn: v" (about 140 KB); its
 * length. */
static char *many_fields(size_t *len)
{
    char *buf = malloc(64 + (size_t)MANY_FIELDS * 16);
    size_t n;

    assert_non_null(buf);
    n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < MANY_FIELDS; i++)
        n += (size_t)sprintf(buf + n, "X-%05d: v\r\n", i);
    n += (size_t)sprintf(buf + n, "\r\n");
    *len = n;
    return buf;
}

/* 10,000 header fields with the default limits: 431 as soon as the head
 * passes max_header_bytes (8192), from the scan of the arriving bytes
 * (logged as a refused head, not a parsed one), and the connection
 * closed. */
PF_H_TEST(test_http_10000_fields_head_bytes)
{
    size_t len;
    char *buf = many_fields(&len);

    start_workers(s, 2, NULL);
    expect_refused_early(s, "10,000 fields, max_header_bytes 8192", buf, len, 431, false);
    assert_true(pf_h_log_contains(s, "request head refused (431)"));
    assert_unharmed(s, "10,000 fields");
    free(buf);
}

/* 10,000 header fields with room for them in bytes (max_header_bytes at
 * its maximum, 1 MiB): 431 for max_headers (100) once the head is in,
 * the connection closed cleanly. */
PF_H_TEST(test_http_10000_fields_max_headers)
{
    size_t len;
    char *buf = many_fields(&len);
    struct pf_h_http r;
    int fd;

    start_workers(s, 2, "max_header_bytes = 1048576;");
    fd = connect_ok(s);
    assert_int_equal(pf_h_http_exchange_len(fd, buf, len, &r), 0);
    if (r.status != 431)
        fail_msg("10,000 fields under max_header_bytes: status %d, expected 431", r.status);
    pf_h_http_free(&r);
    assert_eof(fd, "10,000 fields under max_header_bytes");
    close(fd);
    assert_true(pf_h_log_contains(s, "bad request (431 too many header fields)"));
    assert_unharmed(s, "10,000 fields");
    free(buf);
}

/* A request line of 1 MiB: 414 once max_request_line (8192) is passed,
 * without the server reading the line to its end: the client, whose send
 * buffer is small, cannot get the whole MiB taken. */
PF_H_TEST(test_http_1mib_request_line)
{
    static const char end[] = " HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t len = (1u << 20) + 32;
    char *buf = malloc(len);

    assert_non_null(buf);
    memcpy(buf, "GET /", 5);
    memset(buf + 5, 'a', len - 5);
    memcpy(buf + len - (sizeof(end) - 1), end, sizeof(end) - 1);
    start_workers(s, 2, NULL);
    expect_refused_early(s, "1 MiB request line", buf, len, 414, true);
    assert_unharmed(s, "1 MiB request line");
    free(buf);
}

/* A GET announcing a body of 1 GiB, followed by body bytes: 413 at the end
 * of the head (docs/http.md: a non-zero Content-Length is 413, the body
 * is never read), the connection closed without the server reading the
 * body. */
PF_H_TEST(test_http_1gib_content_length)
{
    static const char head[] = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1073741824\r\n\r\n";
    size_t len = 8u << 20;
    char *buf = calloc(1, len);

    assert_non_null(buf);
    memcpy(buf, head, sizeof(head) - 1);
    memset(buf + sizeof(head) - 1, 'b', len - (sizeof(head) - 1));
    start_workers(s, 2, NULL);
    expect_refused_early(s, "1 GiB Content-Length and a body", buf, len, 413, true);
    assert_unharmed(s, "1 GiB Content-Length");
    free(buf);
}

#define HEADER_TIMEOUT_MS 1000

/* Bytes that are not HTTP: a TLS ClientHello. Without any LF byte in it
 * the head never ends, so the answer is 408 at header_timeout (the
 * client waits for a ServerHello meanwhile); with an LF among its random
 * bytes it is a bare LF: 400 at once. Either way a plain-text HTTP error
 * and a clean close (docs/http.md, "Not supported"). */
PF_H_TEST(test_http_tls_client_hello)
{
    static const unsigned char hello[] = {
        0x16, 0x03, 0x01, 0x00, 0x3a, 0x01, 0x00, 0x00, 0x36, 0x03, 0x03, 0x5e, 0x11,
        0x9c, 0x27, 0xb3, 0x40, 0xe8, 0x21, 0x07, 0x66, 0xc2, 0x91, 0x3d, 0x58, 0xaf,
        0x02, 0x44, 0x19, 0xde, 0x73, 0x6b, 0x0e, 0x85, 0x2f, 0x90, 0xcc, 0x31, 0x4d,
        0xb8, 0xe2, 0x5a, 0x00, 0x00, 0x04, 0x13, 0x01, 0x13, 0x02, 0x01, 0x00, 0x00,
        0x09, 0x00, 0x00, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x01};
    unsigned char with_lf[sizeof(hello)];
    struct pf_h_http r;
    int64_t t0, took;
    int fd;

    assert_null(memchr(hello, '\n', sizeof(hello)));
    start_workers(s, 2, "header_timeout = 1;");
    fd = connect_ok(s);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_http_exchange_len(fd, (const char *)hello, sizeof(hello), &r), 0);
    took = pf_time_now_ms() - t0;
    if (r.status != 408 || took < HEADER_TIMEOUT_MS - 50)
        fail_msg("TLS ClientHello: status %d after %lld ms, expected 408 at %d ms", r.status,
                 (long long)took, HEADER_TIMEOUT_MS);
    pf_h_http_free(&r);
    assert_eof(fd, "TLS ClientHello");
    close(fd);
    assert_unharmed(s, "TLS ClientHello");

    memcpy(with_lf, hello, sizeof(hello));
    with_lf[20] = '\n';
    fd = connect_ok(s);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_http_exchange_len(fd, (const char *)with_lf, sizeof(with_lf), &r), 0);
    took = pf_time_now_ms() - t0;
    if (r.status != 400 || took >= HEADER_TIMEOUT_MS - 50)
        fail_msg("TLS ClientHello with an LF: status %d after %lld ms, expected 400 at once",
                 r.status, (long long)took);
    pf_h_http_free(&r);
    assert_eof(fd, "TLS ClientHello with an LF");
    close(fd);
    assert_unharmed(s, "TLS ClientHello with an LF");
}

/* ---------------------------------------------------- connection abuse */

#define FLOOD 300
#define FLOOD_WORKERS 4

/* Open up to FLOOD silent connections (fewer if RLIMIT_NOFILE is low);
 * their count. */
static int open_flood(struct pf_server *s, int *fds)
{
    rlim_t limit = raise_nofile();
    int n = FLOOD;

    if (limit < (rlim_t)FLOOD + 100)
        n = limit > 164 ? (int)limit - 100 : 64;
    for (int i = 0; i < n; i++)
        fds[i] = connect_ok(s);
    return n;
}

static void close_flood(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* A GET on a new connection: how long until its response (ms). */
static int64_t timed_get(struct pf_server *s)
{
    int64_t t0 = pf_time_now_ms();
    struct pf_h_http r;

    assert_int_equal(pf_h_http_once(s, "GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
    return pf_time_now_ms() - t0;
}

/* Hundreds of connections that send nothing, with defer_accept (10 s
 * here): the kernel does not hand them to the workers at all, so none is
 * held and a real client is served at once meanwhile. */
PF_H_TEST(test_http_silent_flood_deferred)
{
    int fds[FLOOD], n;
    int64_t took;

    start_workers_top(s, FLOOD_WORKERS, "defer_accept = 10;", "header_timeout = 1;");
    n = open_flood(s, fds);
    took = timed_get(s);
    pf_h_note("%d silent connections (defer_accept): a GET served in %lld ms", n, (long long)took);
    assert_true(took < pf_h_scaled_ms(HEADER_TIMEOUT_MS / 2));
    assert_int_equal(pf_h_listen_queue(s), 0); /* none handed over */
    wait_status(s, "workers.busy", 0);
    close_flood(fds, n);
    assert_unharmed(s, "silent flood, deferred");
}

/* Wait until `want` of the n flood connections were closed by the server,
 * each without a byte sent; closed ones are closed here too (fds[i] = -1).
 * Returns the ms from t0 to the first close seen. */
static int64_t wait_flood_closed(int *fds, int n, int want, int64_t t0, int timeout_ms)
{
    struct pollfd *p = calloc((size_t)n, sizeof(*p));
    int64_t deadline = pf_time_now_ms() + timeout_ms, first = -1;
    int closed = 0;

    assert_non_null(p);
    while (closed < want) {
        int ready;

        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        ready = poll(p, (nfds_t)n, pf_time_left_ms(deadline));
        if (ready <= 0)
            fail_msg("only %d of %d silent connections closed by the server in %d ms", closed, want,
                     timeout_ms);
        for (int i = 0; i < n; i++) {
            char c;

            if (fds[i] < 0 || p[i].revents == 0)
                continue;
            if (recv(fds[i], &c, 1, MSG_DONTWAIT) > 0)
                fail_msg("the server sent a byte to a client that sent nothing");
            if (first < 0)
                first = pf_time_now_ms() - t0;
            close(fds[i]);
            fds[i] = -1;
            closed++;
        }
    }
    free(p);
    return first;
}

/* Hundreds of connections that send nothing, defer_accept = 0: each worker
 * takes one and holds it until header_timeout (1 s), then closes it
 * without a response and takes the next; once the flood closes its
 * connections the workers get through the queue (each closed connection
 * is an immediate EOF) and a real client is served within
 * header_timeout. */
PF_H_TEST(test_http_silent_flood_not_deferred)
{
    int fds[FLOOD], n;
    int64_t t0, first, took;

    start_workers_top(s, FLOOD_WORKERS, "defer_accept = 0;", "header_timeout = 1;");
    t0 = pf_time_now_ms();
    n = open_flood(s, fds);
    first = wait_flood_closed(fds, n, 2 * FLOOD_WORKERS, t0,
                              pf_h_scaled_ms(4 * HEADER_TIMEOUT_MS) + 2000);
    pf_h_note("%d silent connections: the first let go after %lld ms", n, (long long)first);
    if (first < HEADER_TIMEOUT_MS - 50)
        fail_msg("a silent connection was closed after %lld ms, before header_timeout",
                 (long long)first);
    close_flood(fds, n);
    took = timed_get(s);
    pf_h_note("flood closed: a GET served %lld ms later", (long long)took);
    assert_true(took < pf_h_scaled_ms(HEADER_TIMEOUT_MS));
    assert_unharmed(s, "silent flood, not deferred");
}

/* A client reading one byte a second. */
struct slow_reader {
    int fd;
    atomic_bool stop;
    size_t got;
};

static void *slow_read(void *arg)
{
    struct slow_reader *r = arg;

    for (int i = 0; i < 60 && !atomic_load(&r->stop); i++) {
        char c;

        if (recv(r->fd, &c, 1, MSG_DONTWAIT) == 1)
            r->got++;
        poll(NULL, 0, 1000); /* the pace of the reader, not a synchronisation */
    }
    return NULL;
}

/* A TCP client with a receive buffer of rcvbuf bytes, set before it
 * connects so the window is small from the start. */
static int connect_rcvbuf(struct pf_server *s, int rcvbuf)
{
    int fd = socket(s->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    assert_int_equal(connect(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len), 0);
    return fd;
}

#define WRITE_TIMEOUT_MS 1000

/* A client that reads a large file at one byte a second (receive buffer
 * 4 KiB): the server's sendfile makes no progress (reading a byte opens no
 * window worth sending into), so after write_timeout (1 s) the worker
 * gives the connection up, logs it, and serves the next client: one
 * worker here, so the next GET proves it was freed. */
PF_H_TEST(test_http_slow_reader)
{
    static const char req[] = "GET /huge.bin HTTP/1.1\r\nHost: a\r\n\r\n";
    struct slow_reader r = {.fd = -1};
    struct pf_h_config c;
    pthread_t th;
    int64_t t0, took;

    pf_h_config_defaults(&c);
    c.workers_start = c.workers_max = 1;
    c.write_timeout = WRITE_TIMEOUT_MS / 1000.0;
    start_site(s, &c, NULL, NULL);
    r.fd = connect_rcvbuf(s, 4096);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_send(r.fd, STR_ARGS(req)), 0);
    assert_int_equal(pthread_create(&th, NULL, slow_read, &r), 0);
    (void)timed_get(s); /* waits for the only worker */
    took = pf_time_now_ms() - t0;
    atomic_store(&r.stop, true);
    pthread_join(th, NULL);
    pf_h_note("slow reader (%zu bytes read): the worker was free after %lld ms", r.got,
              (long long)took);
    assert_true(took >= WRITE_TIMEOUT_MS - 50);
    assert_true(took < pf_h_scaled_ms(WRITE_TIMEOUT_MS + 4000));
    assert_true(pf_h_log_contains(s, "bytes: no progress within client.write_timeout"));
    pf_h_close_reset(r.fd);
    assert_unharmed(s, "slow reader");
}

/* A client resetting (SO_LINGER 0) at every moment of a response: before
 * reading a byte, after one byte, in the middle of a large sendfile body,
 * during a HEAD, with a second request pipelined, and on a small file
 * sent from the cache in one send. The only worker survives every reset
 * (same pid) and serves the next client. test_http.c resets once in the
 * middle of a body; this walks through the moments. */
PF_H_TEST(test_http_resets_mid_response)
{
    static const char get[] = "GET /huge.bin HTTP/1.1\r\nHost: a\r\n\r\n";
    static const char head[] = "HEAD /huge.bin HTTP/1.1\r\nHost: a\r\n\r\n";
    static const char small[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
    static const struct {
        const char *what, *req;
        size_t len, read;
    } cases[] = {
        {"reset before reading", STR_ARGS(get), 0},
        {"reset after one byte", STR_ARGS(get), 1},
        {"reset mid-body", STR_ARGS(get), 1u << 20},
        {"reset after HEAD", STR_ARGS(head), 0},
        {"reset with a request pipelined",
         STR_ARGS("GET /huge.bin HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
         4096},
        {"reset on a small file", STR_ARGS(small), 0},
    };
    pid_t before, after;
    char *sink = malloc(1u << 20);

    struct pf_h_config c;

    assert_non_null(sink);
    pf_h_config_defaults(&c);
    c.workers_start = c.workers_max = 1;
    /* the classic model: the connection stays with the worker, whose
       handling of the reset is what this test checks (once answered, a
       parked connection's reset is the keeper's: test_keeper.c) */
    c.keeper_extra = "parking = false;";
    start_site(s, &c, NULL, NULL);
    assert_int_equal(pf_h_worker_pids(s, &before, 1), 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int fd = connect_ok(s);

        assert_int_equal(pf_h_send(fd, cases[i].req, cases[i].len), 0);
        assert_true(pf_h_worker_of_client(s, fd, PF_H_WAIT_MS) == before);
        if (cases[i].read > 0)
            assert_int_equal(pf_h_recv(fd, sink, cases[i].read), 0);
        pf_h_close_reset(fd);
        assert_unharmed(s, cases[i].what);
    }
    assert_int_equal(pf_h_worker_pids(s, &after, 1), 1);
    assert_int_equal(before, after);
    free(sink);
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_http_malformed),
    PF_H_CASE(test_http_malformed_split),
    PF_H_CASE(test_http_10000_fields_head_bytes),
    PF_H_CASE(test_http_10000_fields_max_headers),
    PF_H_CASE(test_http_1mib_request_line),
    PF_H_CASE(test_http_1gib_content_length),
    PF_H_CASE(test_http_tls_client_hello),
    PF_H_CASE(test_http_silent_flood_deferred),
    PF_H_CASE(test_http_silent_flood_not_deferred),
    PF_H_CASE(test_http_slow_reader),
    PF_H_CASE(test_http_resets_mid_response),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
