/* Unit tests for the protocol handlers: the lookup table, then each
 * handler's real serve() run in a forked child over a socketpair, the test
 * playing the client: exact echoes (pipelined, split, empty), limits
 * (oversize line, length header above max), stalls and closes, and the
 * scoreboard counters serve() leaves behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_config.h"
#include "pf_frame.h"
#include "pf_framed.h"
#include "pf_http_proto.h"
#include "pf_log.h"
#include "pf_net.h"
#include "pf_proto_table.h"
#include "pf_scoreboard.h"
#include "pf_signals.h"

/* Limits and timeouts the handlers get: small, so tests stay fast. */
#define TEST_MAX 64
#define READ_TIMEOUT_MS 200
#define IDLE_TIMEOUT_MS 300
#define WRITE_TIMEOUT_MS 1000
/* Upper bound on any wait by the test side: a failure, never a sync. */
#define TEST_WAIT_MS 5000
#define LARGE_PAYLOAD 100000

/* One handler, its worker state, and a connection to it. */
struct proto_fixture {
    struct pf_config cfg;
    struct pf_scoreboard sb;
    struct pf_slot *slot;
    const struct pf_proto *proto;
    void *proto_state;
    int client;  /* the test's end */
    int server;  /* serve()'s end; -1 once handed to the child */
    pid_t child; /* running serve(); -1 when none */
};

/* Fill fx: handler name with limit max, a one-slot scoreboard, a
 * socketpair; serve() is not started yet. 0 or -1. */
static int proto_open(struct proto_fixture *fx, const char *name, size_t max)
{
    char err[256];
    int sv[2];

    pf_config_defaults(&fx->cfg);
    fx->cfg.client.read_timeout_ms = READ_TIMEOUT_MS;
    fx->cfg.client.idle_timeout_ms = IDLE_TIMEOUT_MS;
    fx->cfg.client.write_timeout_ms = WRITE_TIMEOUT_MS;
    fx->cfg.echo.max_line = max;
    fx->cfg.msg.max_message = max;
    if (pf_scoreboard_create(&fx->sb, 1, err, sizeof(err)) != 0)
        return -1;
    if (pf_scoreboard_claim(&fx->sb) != 0)
        return -1;
    fx->slot = &fx->sb.slots[0];
    fx->proto = pf_proto_table_find(name);
    if (fx->proto == NULL)
        return -1;
    if (fx->proto->worker_init(&fx->proto_state, &fx->cfg, err, sizeof(err)) != 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    fx->client = sv[0];
    fx->server = sv[1];
    /* Like an accepted connection: the handler's end is non-blocking. */
    return fcntl(fx->server, F_SETFL, fcntl(fx->server, F_GETFL) | O_NONBLOCK);
}

/* Teardown: kill a child a failed test left running (by its pid), close
 * both ends, free the handler state and the scoreboard. */
static int teardown_proto(void **state)
{
    struct proto_fixture *fx = *state;

    if (fx == NULL)
        return 0;
    if (fx->child > 0) {
        kill(fx->child, SIGKILL);
        waitpid(fx->child, NULL, 0);
    }
    if (fx->client >= 0)
        close(fx->client);
    if (fx->server >= 0)
        close(fx->server);
    if (fx->proto_state)
        fx->proto->worker_exit(fx->proto_state);
    pf_scoreboard_destroy(&fx->sb);
    free(fx);
    return 0;
}

/* Fixture: proto_open, undone on failure (cmocka skips the teardown of
 * a failed setup). */
static int setup_proto(void **state, const char *name, size_t max)
{
    struct proto_fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL)
        return -1;
    fx->client = fx->server = fx->child = -1;
    *state = fx;
    if (proto_open(fx, name, max) != 0) {
        teardown_proto(state);
        *state = NULL;
        return -1;
    }
    return 0;
}

/* Fixture: echo, lines of at most TEST_MAX bytes. */
static int setup_echo(void **state)
{
    return setup_proto(state, "echo", TEST_MAX);
}

/* Fixture: msg, payloads of at most TEST_MAX bytes. */
static int setup_msg(void **state)
{
    return setup_proto(state, "msg", TEST_MAX);
}

/* msg with the default 1 MiB limit, for messages that grow the buffer. */
static int setup_msg_default_max(void **state)
{
    struct pf_config defaults;

    pf_config_defaults(&defaults);
    return setup_proto(state, "msg", defaults.msg.max_message);
}

/* Child side: serve the one connection as a worker would, then exit 0, so
 * an exit status of 0 proves serve() returned. */
_Noreturn static void child_serve(struct proto_fixture *fx)
{
    struct pf_conn conn;

    memset(&conn, 0, sizeof(conn));
    close(fx->client);
    conn.fd = fx->server;
    conn.slot = fx->slot;
    conn.cfg = &fx->cfg;
    snprintf(conn.peer_text, sizeof(conn.peer_text), "%s", "test-peer");
    pf_log_set_role("worker");
    fx->proto->serve(fx->proto_state, &conn);
    fx->proto->worker_exit(fx->proto_state);
    close(fx->server);
    _exit(0);
}

/* Start serve() in a forked child; the parent keeps only the client end,
 * so the client sees EOF exactly when serve() has returned. */
static void start_serve(struct proto_fixture *fx)
{
    fx->child = fork();
    assert_true(fx->child >= 0);
    if (fx->child == 0)
        child_serve(fx);
    close(fx->server);
    fx->server = -1;
}

/* Send all n bytes to the handler. */
static void send_bytes(struct proto_fixture *fx, const void *data, size_t n)
{
    assert_int_equal(pf_net_send_all(fx->client, data, n, TEST_WAIT_MS), PF_IO_OK);
}

/* Send a NUL-terminated string (no NUL on the wire). */
static void send_str(struct proto_fixture *fx, const char *s)
{
    send_bytes(fx, s, strlen(s));
}

/* Receive exactly n bytes and compare them with want. */
static void expect_bytes(struct proto_fixture *fx, const void *want, size_t n)
{
    unsigned char *buf = malloc(n > 0 ? n : 1);
    size_t got = 0;

    assert_non_null(buf);
    assert_int_equal(pf_net_recv_exact(fx->client, buf, n, TEST_WAIT_MS, &got), PF_IO_OK);
    assert_int_equal(got, n);
    assert_memory_equal(buf, want, n);
    free(buf);
}

/* Send s and expect it back byte for byte. */
static void round_trip(struct proto_fixture *fx, const void *s, size_t n)
{
    send_bytes(fx, s, n);
    expect_bytes(fx, s, n);
}

/* The handler closes without sending anything more: the next recv gives
 * 0. Then the child must have exited 0, i.e. serve() returned. */
static void expect_closed(struct proto_fixture *fx)
{
    struct pollfd p = {.fd = fx->client, .events = POLLIN};
    char c;
    int status = -1;

    assert_int_equal(poll(&p, 1, TEST_WAIT_MS), 1);
    assert_int_equal(recv(fx->client, &c, 1, 0), 0);
    assert_int_equal(waitpid(fx->child, &status, 0), fx->child);
    fx->child = -1;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Close our sending side at a message boundary; serve() must return. */
static void close_and_expect_closed(struct proto_fixture *fx)
{
    assert_int_equal(shutdown(fx->client, SHUT_WR), 0);
    expect_closed(fx);
}

/* The slot counts reqs messages of total bytes, in and out. */
static void expect_counters(const struct proto_fixture *fx, uint64_t reqs, uint64_t bytes)
{
    assert_int_equal(atomic_load(&fx->slot->requests), reqs);
    assert_int_equal(atomic_load(&fx->slot->bytes_in), bytes);
    assert_int_equal(atomic_load(&fx->slot->bytes_out), bytes);
}

/* Start serve(), send n bytes that never make a whole message, close our
 * side too if close_after; serve() must end with no reply and no count. */
static void expect_dropped(struct proto_fixture *fx, const void *data, size_t n, bool close_after)
{
    start_serve(fx);
    send_bytes(fx, data, n);
    if (close_after)
        close_and_expect_closed(fx);
    else
        expect_closed(fx);
    expect_counters(fx, 0, 0);
}

/* Append a msg frame (header + payload of n bytes) at out; returns its size. */
static size_t put_msg(unsigned char *out, const void *payload, uint32_t n)
{
    pf_frame_put_length(out, n);
    if (n > 0)
        memcpy(out + PF_FRAME_HEADER_LEN, payload, n);
    return PF_FRAME_HEADER_LEN + (size_t)n;
}

/* The handlers are found by name and carry it; unknown names are NULL. */
static void test_find(void **state)
{
    const struct pf_proto *echo = pf_proto_table_find("echo");
    const struct pf_proto *msg = pf_proto_table_find("msg");

    (void)state;
    assert_ptr_equal(echo, &pf_framed_echo);
    assert_ptr_equal(msg, &pf_framed_msg);
    assert_string_equal(echo->name, "echo");
    assert_string_equal(msg->name, "msg");
    assert_non_null(echo->worker_init);
    assert_non_null(msg->serve);
    assert_ptr_equal(pf_proto_table_find("http"), &pf_http_proto);
    assert_string_equal(pf_http_proto.url_scheme, "http");
    assert_null(pf_proto_table_find("HTTP"));
    assert_null(pf_proto_table_find(""));
    assert_null(pf_proto_table_find("ECHO"));
    assert_null(pf_proto_table_find("echo "));
    /* exec workers become a program: no serve loop, a run instead */
    assert_non_null(pf_proto_table_find("exec"));
    assert_non_null(pf_proto_table_find("exec")->run);
    assert_null(pf_proto_table_find("exec")->serve);
}

/* The names list, for error messages, names every handler. */
static void test_names(void **state)
{
    (void)state;
    assert_string_equal(pf_proto_table_names(), "http, echo, msg, exec");
}

/* Stop is requested by the recorded flag (SIGQUIT taken) or by the stop
 * order the master writes into the worker's slot before signalling. */
static void test_stop_requested(void **state)
{
    static struct pf_slot slot;
    struct pf_conn c = {.slot = &slot};

    (void)state;
    assert_false(pf_proto_stop_requested(&c));
    pf_signals_worker_stop = 1;
    assert_true(pf_proto_stop_requested(&c));
    pf_signals_worker_stop = 0;
    atomic_store(&slot.stop_requested, 1);
    assert_true(pf_proto_stop_requested(&c));
    atomic_store(&slot.stop_requested, 0);
    assert_false(pf_proto_stop_requested(&c));
}

/* Lines come back unchanged, one at a time and pipelined; a close at a
 * line boundary ends serve(); the slot counts every line. */
static void test_echo_lines(void **state)
{
    struct proto_fixture *fx = *state;
    const char *pipelined = "a\nbb\n\nccc\n";

    start_serve(fx);
    round_trip(fx, "hello\n", 6);
    round_trip(fx, pipelined, strlen(pipelined));
    close_and_expect_closed(fx);
    expect_counters(fx, 5, 6 + strlen(pipelined));
}

/* A line sent in pieces, and a line followed by half of the next. */
static void test_echo_split(void **state)
{
    struct proto_fixture *fx = *state;

    start_serve(fx);
    send_str(fx, "hel");
    send_str(fx, "lo\nwor");
    expect_bytes(fx, "hello\n", 6);
    send_str(fx, "ld\n");
    expect_bytes(fx, "world\n", 6);
    close_and_expect_closed(fx);
    expect_counters(fx, 2, 12);
}

/* A line of exactly max bytes, '\n' included, is echoed. */
static void test_echo_max_line(void **state)
{
    struct proto_fixture *fx = *state;
    char line[TEST_MAX];

    memset(line, 'a', sizeof(line) - 1);
    line[TEST_MAX - 1] = '\n';
    start_serve(fx);
    round_trip(fx, line, sizeof(line));
    close_and_expect_closed(fx);
    expect_counters(fx, 1, TEST_MAX);
}

/* max bytes without a '\n': closed without a reply. */
static void test_echo_oversize(void **state)
{
    struct proto_fixture *fx = *state;
    char line[TEST_MAX];

    memset(line, 'a', sizeof(line));
    start_serve(fx);
    round_trip(fx, "ok\n", 3);
    send_bytes(fx, line, sizeof(line));
    expect_closed(fx);
    expect_counters(fx, 1, 3);
}

/* A line started and never finished: serve() gives up (read timeout). */
static void test_echo_stall(void **state)
{
    struct proto_fixture *fx = *state;

    start_serve(fx);
    round_trip(fx, "one\n", 4);
    send_str(fx, "partial");
    expect_closed(fx);
    expect_counters(fx, 1, 4);
}

/* A client that never sends: serve() gives up (idle timeout). */
static void test_echo_idle(void **state)
{
    struct proto_fixture *fx = *state;

    start_serve(fx);
    expect_closed(fx);
    expect_counters(fx, 0, 0);
}

/* The client closes mid-line: serve() returns, nothing is echoed. */
static void test_echo_close_mid_line(void **state)
{
    expect_dropped(*state, "no newline", 10, true);
}

/* Frames (with a 0-length one) come back framed the same, one at a time
 * and pipelined; a close at a frame boundary ends serve(). */
static void test_msg_frames(void **state)
{
    struct proto_fixture *fx = *state;
    unsigned char buf[256];
    size_t one = put_msg(buf, "hello", 5);
    size_t n;

    start_serve(fx);
    round_trip(fx, buf, one);
    n = put_msg(buf, NULL, 0);
    round_trip(fx, buf, n);
    n = put_msg(buf, "a", 1);
    n += put_msg(buf + n, NULL, 0);
    n += put_msg(buf + n, "three", 5);
    round_trip(fx, buf, n);
    close_and_expect_closed(fx);
    expect_counters(fx, 5, one + 4 + n);
}

/* A frame and half of the next in one send, the rest in another. */
static void test_msg_split(void **state)
{
    struct proto_fixture *fx = *state;
    unsigned char buf[64];
    size_t first = put_msg(buf, "first", 5);
    size_t n = first + put_msg(buf + first, "second", 6);

    start_serve(fx);
    send_bytes(fx, buf, first + 2);
    expect_bytes(fx, buf, first);
    send_bytes(fx, buf + first + 2, n - first - 2);
    expect_bytes(fx, buf + first, n - first);
    close_and_expect_closed(fx);
    expect_counters(fx, 2, n);
}

/* A payload of exactly max bytes is echoed. */
static void test_msg_max(void **state)
{
    struct proto_fixture *fx = *state;
    unsigned char payload[TEST_MAX], buf[PF_FRAME_HEADER_LEN + TEST_MAX];
    size_t n;

    memset(payload, 'm', sizeof(payload));
    n = put_msg(buf, payload, TEST_MAX);
    start_serve(fx);
    round_trip(fx, buf, n);
    close_and_expect_closed(fx);
    expect_counters(fx, 1, n);
}

/* A payload far above the initial 4 KiB buffer (default 1 MiB limit). */
static void test_msg_large(void **state)
{
    struct proto_fixture *fx = *state;
    unsigned char *buf = malloc(PF_FRAME_HEADER_LEN + LARGE_PAYLOAD);
    size_t n;

    assert_non_null(buf);
    memset(buf + PF_FRAME_HEADER_LEN, 'L', LARGE_PAYLOAD);
    n = put_msg(buf, buf + PF_FRAME_HEADER_LEN, LARGE_PAYLOAD);
    start_serve(fx);
    round_trip(fx, buf, n);
    round_trip(fx, "\0\0\0\1z", 5);
    close_and_expect_closed(fx);
    expect_counters(fx, 2, n + 5);
    free(buf);
}

/* Send just a header announcing len; the handler must close, no reply. */
static void expect_header_refused(struct proto_fixture *fx, uint32_t len)
{
    unsigned char hdr[PF_FRAME_HEADER_LEN];

    pf_frame_put_length(hdr, len);
    expect_dropped(fx, hdr, sizeof(hdr), false);
}

/* A length header one above max: closed without a reply. */
static void test_msg_header_over_max(void **state)
{
    expect_header_refused(*state, TEST_MAX + 1);
}

/* The largest 32-bit length: closed without a reply. */
static void test_msg_header_huge(void **state)
{
    expect_header_refused(*state, UINT32_MAX);
}

/* Half a header, then silence: serve() gives up (read timeout). */
static void test_msg_stall_header(void **state)
{
    expect_dropped(*state, "\0\0", 2, false);
}

/* A header and part of its payload, then silence: serve() gives up. */
static void test_msg_stall_payload(void **state)
{
    struct proto_fixture *fx = *state;
    unsigned char buf[32];
    size_t n = put_msg(buf, "0123456789", 10);

    start_serve(fx);
    round_trip(fx, buf, n);
    send_bytes(fx, buf, n - 3);
    expect_closed(fx);
    expect_counters(fx, 1, n);
}

/* The client closes in the middle of a payload: serve() returns. */
static void test_msg_close_mid_message(void **state)
{
    unsigned char buf[32];
    size_t n = put_msg(buf, "0123456789", 10);

    expect_dropped(*state, buf, n - 1, true);
}

#define ECHO_TEST(f) cmocka_unit_test_setup_teardown(f, setup_echo, teardown_proto)
#define MSG_TEST(f) cmocka_unit_test_setup_teardown(f, setup_msg, teardown_proto)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_stop_requested),
        ECHO_TEST(test_echo_lines),
        ECHO_TEST(test_echo_split),
        ECHO_TEST(test_echo_max_line),
        ECHO_TEST(test_echo_oversize),
        ECHO_TEST(test_echo_stall),
        ECHO_TEST(test_echo_idle),
        ECHO_TEST(test_echo_close_mid_line),
        MSG_TEST(test_msg_frames),
        MSG_TEST(test_msg_split),
        MSG_TEST(test_msg_max),
        cmocka_unit_test_setup_teardown(test_msg_large, setup_msg_default_max, teardown_proto),
        MSG_TEST(test_msg_header_over_max),
        MSG_TEST(test_msg_header_huge),
        MSG_TEST(test_msg_stall_header),
        MSG_TEST(test_msg_stall_payload),
        MSG_TEST(test_msg_close_mid_message),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
