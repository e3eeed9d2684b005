/* Integration: misbehaving clients get a clean close (never a reply to
 * garbage), the reason is logged, and the pool keeps serving: no worker
 * dies, the same workers serve the next client. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_frame.h"
#include "pf_harness.h"
#include "pf_time.h"

#define WORKERS 2
#define MAX_LINE 1024
#define MAX_MESSAGE 1024
_Static_assert(MAX_MESSAGE <= MAX_LINE, "case_no_reader frames a line buffer");
#define READ_TIMEOUT_MS 500
#define IDLE_TIMEOUT_MS 1000
#define WRITE_TIMEOUT_MS 500
#define FLOOD_MAX (256u << 20) /* bound on what a non-reading client sends */
#define CLOSE_BOUND_MS 5000    /* generous bound on any expected close */

typedef void (*bad_case)(struct pf_server *s);

/* Start protocol with short client timeouts and small frame bounds. */
static void start_server(struct pf_server *s, const char *protocol)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.protocol = protocol;
    c.workers_start = WORKERS;
    c.max_line = MAX_LINE;
    c.max_message = MAX_MESSAGE;
    c.read_timeout = READ_TIMEOUT_MS / 1000.0;
    c.idle_timeout = IDLE_TIMEOUT_MS / 1000.0;
    c.write_timeout = WRITE_TIMEOUT_MS / 1000.0;
    /* The classic model: each bad client stays with the worker that took
     * it, whose own handling is what these cases check (the keeper's is in
     * test_keeper.c). */
    c.keeper_extra = "parking = false;";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

static bool is_msg(const struct pf_server *s)
{
    return strcmp(s->protocol, "msg") == 0;
}

/* Connect and send bytes (the start of something bad). */
static int send_raw(struct pf_server *s, const void *buf, size_t len)
{
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    assert_int_equal(pf_h_send(fd, buf, len), 0);
    return fd;
}

/* Expect the server to close fd with no reply, not before min_ms after
 * since; then wait for its log line saying why. */
static void assert_closed(struct pf_server *s, int fd, int64_t since, int min_ms, const char *why)
{
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_BOUND_MS), 0);
    if (pf_time_now_ms() - since < min_ms)
        fail_msg("closed after %lld ms, before the %d ms timeout",
                 (long long)(pf_time_now_ms() - since), min_ms);
    close(fd);
    assert_int_equal(pf_h_wait_log(s, why, PF_H_WAIT_MS), 0);
}

/* Send a length header announcing len, plus extra payload bytes. */
static int send_header(struct pf_server *s, uint32_t len, size_t extra)
{
    unsigned char buf[PF_FRAME_HEADER_LEN + 64] = {0};

    pf_frame_put_length(buf, len);
    return send_raw(s, buf, PF_FRAME_HEADER_LEN + extra);
}

/* ---- echo cases ---- */

static void case_long_line(struct pf_server *s)
{
    char line[MAX_LINE + 1];
    int fd;

    memset(line, 'x', sizeof(line));
    line[MAX_LINE - 1] = '\n'; /* exactly max_line, '\n' included: fine */
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_roundtrip(fd, line, MAX_LINE), 0);
    close(fd);
    line[MAX_LINE - 1] = 'x'; /* max_line bytes and no '\n': too long */
    fd = send_raw(s, line, MAX_LINE);
    assert_closed(s, fd, 0, 0, "line longer than echo.max_line (1024 bytes)");
}

static void case_echo_stall(struct pf_server *s)
{
    int64_t t0 = pf_time_now_ms();
    int fd = send_raw(s, "half a line", 11);

    assert_closed(s, fd, t0, READ_TIMEOUT_MS - 50, "stalled mid-message (11 bytes");
}

/* ---- msg cases ---- */

static void case_over_max(struct pf_server *s)
{
    unsigned char payload[MAX_MESSAGE];
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    pf_h_fill(payload, sizeof(payload), 3);
    assert_int_equal(pf_h_msg_roundtrip(fd, payload, MAX_MESSAGE), 0); /* the bound is fine */
    close(fd);
    fd = send_header(s, MAX_MESSAGE + 1, 0);
    assert_closed(s, fd, 0, 0, "message length 1025 above msg.max_message (1024)");
}

static void case_huge_length(struct pf_server *s)
{
    int fd = send_header(s, 0xFFFFFFFFu, 0);

    assert_closed(s, fd, 0, 0, "message length 4294967295 above msg.max_message");
}

static void case_msg_stall(struct pf_server *s)
{
    int64_t t0 = pf_time_now_ms();
    int fd = send_header(s, 100, 10);

    assert_closed(s, fd, t0, READ_TIMEOUT_MS - 50, "stalled mid-message (14 bytes");
}

/* ---- both ---- */

/* Slowloris: a message trickled one byte every 100 ms. read_timeout bounds
 * the whole message from its first byte, not the gap between two bytes. */
static void case_trickle(struct pf_server *s)
{
    int stalls = pf_h_log_count(s, "stalled mid-message");
    int64_t t0 = pf_time_now_ms(), took;
    int fd = is_msg(s) ? send_header(s, 100, 0) : send_raw(s, "x", 1);

    for (int i = 0; i < 30; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) != 0 || pf_h_send(fd, "x", 1) < 0)
            break; /* closed (or data: pf_h_expect_closed tells) */
    }
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_BOUND_MS), 0);
    took = pf_time_now_ms() - t0;
    close(fd);
    if (took < READ_TIMEOUT_MS - 50 || took > READ_TIMEOUT_MS + 1000)
        fail_msg("trickling client closed after %lld ms, read_timeout is %d ms", (long long)took,
                 READ_TIMEOUT_MS);
    assert_int_equal(pf_h_wait_log_count(s, "stalled mid-message", stalls + 1, PF_H_WAIT_MS), 0);
}

/* Reset mid-message: the worker gives the connection up, and lives. */
static void case_reset(struct pf_server *s)
{
    int fd = is_msg(s) ? send_header(s, 100, 10) : send_raw(s, "half a line", 11);

    assert_true(pf_h_worker_of_client(s, fd, PF_H_WAIT_MS) > 0);
    pf_h_close_reset(fd);
    assert_int_equal(pf_h_wait_log(s, "Connection reset by peer", PF_H_WAIT_MS), 0);
}

/* Send valid messages without ever reading a reply until the server stops
 * taking them (it is stuck sending: no progress for a second) or closes. */
static void flood(int fd, const unsigned char *frame, size_t len)
{
    size_t sent = 0, off = 0;

    while (sent < FLOOD_MAX) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        ssize_t n = send(fd, frame + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n > 0) {
            sent += (size_t)n;
            off = (off + (size_t)n) % len;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return; /* the server gave up on us already */
        } else if (n < 0 && errno == EAGAIN && poll(&p, 1, 1000) == 0) {
            return;
        }
    }
    fail_msg("the server took %u bytes from a client that never reads", FLOOD_MAX);
}

/* A client that never reads its replies: the server's send is bounded by
 * write_timeout, then it closes. */
static void case_no_reader(struct pf_server *s)
{
    unsigned char line[MAX_LINE], *frame;
    size_t len;
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    memset(line, 'r', sizeof(line));
    line[MAX_LINE - 1] = '\n';
    if (is_msg(s)) {
        assert_int_equal(pf_h_msg_frame(line, MAX_MESSAGE, &frame, &len), 0);
        flood(fd, frame, len);
        free(frame);
    } else {
        flood(fd, line, MAX_LINE);
    }
    assert_int_equal(pf_h_wait_log(s, "reply not sent (timed out)", PF_H_WAIT_MS), 0);
    pf_h_close_reset(fd);
}

/* Silent between messages past idle_timeout: closed. */
static void case_idle(struct pf_server *s)
{
    int fd = pf_h_connect_served(s);
    int64_t t0 = pf_time_now_ms();

    assert_true(fd >= 0);
    assert_closed(s, fd, t0, IDLE_TIMEOUT_MS - 50, "idle for 1000 ms");
}

/* Run cases one after the other on one server, each followed by a normal
 * exchange; then no worker may have died or been replaced. */
static void run_cases(struct pf_server *s, const char *protocol, const bad_case *cases, size_t n)
{
    pid_t before[WORKERS], after[WORKERS];

    start_server(s, protocol);
    assert_int_equal(pf_h_worker_pids(s, before, WORKERS), WORKERS);
    for (size_t i = 0; i < n; i++) {
        cases[i](s);
        assert_int_equal(pf_h_check_serves(s), 0);
    }
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
    assert_false(pf_h_log_contains(s, "exited with status"));
    assert_int_equal(pf_h_worker_pids(s, after, WORKERS), WORKERS);
    assert_memory_equal(before, after, sizeof(before));
    assert_int_equal(pf_h_check_serves(s), 0);
}

#define ONE_CASE(name, protocol, fn) \
    PF_H_TEST(name) \
    { \
        static const bad_case one[] = {fn}; \
        run_cases(s, protocol, one, 1); \
    }

ONE_CASE(test_echo_long_line, "echo", case_long_line)
ONE_CASE(test_echo_stall, "echo", case_echo_stall)
ONE_CASE(test_echo_reset, "echo", case_reset)
ONE_CASE(test_echo_idle, "echo", case_idle)
ONE_CASE(test_msg_over_max, "msg", case_over_max)
ONE_CASE(test_msg_huge_length, "msg", case_huge_length)
ONE_CASE(test_msg_stall, "msg", case_msg_stall)
ONE_CASE(test_msg_reset, "msg", case_reset)
ONE_CASE(test_msg_idle, "msg", case_idle)
ONE_CASE(test_echo_no_reader, "echo", case_no_reader)
ONE_CASE(test_echo_trickle, "echo", case_trickle)
ONE_CASE(test_msg_trickle, "msg", case_trickle)
ONE_CASE(test_msg_no_reader, "msg", case_no_reader)

/* The whole catalogue against one server per protocol. */
PF_H_TEST(test_echo_catalogue)
{
    static const bad_case all[] = {case_long_line, case_echo_stall, case_trickle,
                                   case_reset,     case_idle,       case_no_reader};

    run_cases(s, "echo", all, sizeof(all) / sizeof(all[0]));
}

PF_H_TEST(test_msg_catalogue)
{
    static const bad_case all[] = {case_over_max, case_huge_length, case_msg_stall, case_trickle,
                                   case_reset,    case_idle,        case_no_reader};

    run_cases(s, "msg", all, sizeof(all) / sizeof(all[0]));
}

/* One worker, a client that connects and sends nothing, then a client
 * with a request: is the second answered within answer_ms? */
static bool silent_client_blocks(struct pf_server *s, const char *defer, bool parking,
                                 int answer_ms)
{
    struct pf_h_config c;
    char extra[64], reply[8];
    struct pollfd p = {.events = POLLIN};
    int silent, fd;
    bool answered;

    pf_h_config_defaults(&c);
    c.workers_start = 1;
    c.idle_timeout = 5;
    c.keeper_extra = parking ? "" : "parking = false;";
    snprintf(extra, sizeof(extra), "defer_accept = %s;\n", defer);
    c.extra = extra;
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    silent = pf_h_connect(s);
    assert_true(silent >= 0);
    if (strcmp(defer, "0") == 0) /* no deferral: the worker takes it first */
        assert_true(pf_h_worker_of_client(s, silent, PF_H_WAIT_MS) > 0);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_send(fd, "hello\n", 6), 0);
    p.fd = fd;
    answered = poll(&p, 1, answer_ms) == 1 && pf_h_recv(fd, reply, 6) == 0;
    close(fd);
    close(silent);
    return answered;
}

/* defer_accept (default on): a connection that has sent nothing is not
 * handed to a worker, so it cannot hold the only worker while a client
 * with a request waits. */
PF_H_TEST(test_silent_client_deferred)
{
    assert_true(silent_client_blocks(s, "10", false, 2000));
    assert_int_equal(pf_h_check_serves(s), 0);
}

/* defer_accept = 0 in the classic model (parking off): the worker accepts
 * the silent client and waits for it (up to idle_timeout), so the next
 * client waits too: the setting is what makes the difference above. */
PF_H_TEST(test_silent_client_not_deferred)
{
    assert_false(silent_client_blocks(s, "0", false, 1000));
}

/* defer_accept = 0 with parking on (the default): the worker accepts the
 * silent client, and parks it with the keeper as soon as another client
 * waits with no worker idle: the next client is answered at once. */
PF_H_TEST(test_silent_client_parked)
{
    assert_true(silent_client_blocks(s, "0", true, 1000));
    assert_int_equal(pf_h_check_serves(s), 0);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_echo_long_line),
        PF_H_CASE(test_echo_stall),
        PF_H_CASE(test_echo_reset),
        PF_H_CASE(test_echo_idle),
        PF_H_CASE(test_msg_over_max),
        PF_H_CASE(test_msg_huge_length),
        PF_H_CASE(test_msg_stall),
        PF_H_CASE(test_msg_reset),
        PF_H_CASE(test_msg_idle),
        PF_H_CASE(test_echo_no_reader),
        PF_H_CASE(test_msg_no_reader),
        PF_H_CASE(test_echo_trickle),
        PF_H_CASE(test_msg_trickle),
        PF_H_CASE(test_echo_catalogue),
        PF_H_CASE(test_msg_catalogue),
        PF_H_CASE(test_silent_client_deferred),
        PF_H_CASE(test_silent_client_not_deferred),
        PF_H_CASE(test_silent_client_parked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
