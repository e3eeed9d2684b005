/* Integration: the hostile-client catalogue for the framed protocols, msg
 * and echo (docs/protocols.md, docs/reliability.md "Hostile clients").
 *
 * The protocols have no error message: a client breaking a rule sees the
 * connection closed (EOF, or a reset if it was still sending), never a
 * byte of reply to what it broke. Each case asserts that exact outcome,
 * then that the server is unharmed: no worker ended abnormally (status
 * totals.abnormal_exits and the log) and a normal exchange still works.
 *
 * test_bad_clients.c covers the plain cases (a length one above
 * max_message, 2^32-1 announced alone, a stall mid-payload, a line of
 * max_line bytes without its newline, trickling, idle, no reader); the
 * cases here are the edges and the hostile variants around them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_frame.h"
#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_time.h"

#define MAX_LINE 1024
#define MAX_MESSAGE 1024
#define READ_TIMEOUT_MS 500
#define CLOSE_MS 5000    /* bound on any expected close */
#define CONSUMED_MS 5000 /* bound on the server reading a first part */

/* protocol with small bounds, a short read_timeout and the control
 * channel (for status). */
static void start(struct pf_server *s, const char *protocol)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.protocol = protocol;
    c.workers_start = 2;
    c.max_line = MAX_LINE;
    c.max_message = MAX_MESSAGE;
    c.read_timeout = READ_TIMEOUT_MS / 1000.0;
    c.extra = PF_H_CTL_CONFIG;
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

static int connect_ok(struct pf_server *s)
{
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    return fd;
}

/* No worker ended abnormally (status counter and log), and a normal
 * exchange on a new connection still works. */
static void assert_unharmed(struct pf_server *s, const char *what)
{
    long long abnormal = pf_h_ctl_status_int(s, "totals.abnormal_exits");

    if (abnormal != 0)
        fail_msg("after %s: status totals.abnormal_exits is %lld", what, abnormal);
    if (pf_h_log_abnormal_exits(s) != 0)
        fail_msg("after %s: the log shows a worker ending abnormally", what);
    if (pf_h_check_serves(s) < 0)
        fail_msg("after %s: a normal exchange failed", what);
}

/* The server closes fd without sending a byte: EOF, or a reset when
 * reset_ok (the client was still sending). Returns the ms it took from
 * t0. */
static int64_t expect_closed_from(int fd, bool reset_ok, int64_t t0, const char *what)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    ssize_t n;

    if (poll(&p, 1, CLOSE_MS) != 1)
        fail_msg("%s: the connection stayed open", what);
    n = recv(fd, &c, 1, MSG_DONTWAIT);
    if (n > 0)
        fail_msg("%s: the server sent a byte", what);
    if (n < 0 && !(reset_ok && errno == ECONNRESET))
        fail_msg("%s: expected EOF, got %s", what, strerror(errno));
    return pf_time_now_ms() - t0;
}

/* Nothing has come back on fd, and it is still open. */
static void assert_quiet(int fd, const char *what)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    if (poll(&p, 1, 0) != 0)
        fail_msg("%s: the server answered or closed too early", what);
}

/* Send bytes one part at a time, each read by the server before the next
 * goes (so the server sees them in that many reads). */
static void send_parts(struct pf_server *s, int fd, const void *buf, const size_t *cuts,
                       size_t ncuts, size_t len)
{
    size_t from = 0;

    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;

        assert_int_equal(pf_h_send(fd, (const char *)buf + from, to - from), 0);
        if (i < ncuts)
            assert_int_equal(pf_h_wait_consumed(s, fd, CONSUMED_MS), 0);
        from = to;
    }
}

/* ---------------------------------------------------------------- msg */

/* A frame of length 0 is a message with no payload: it comes back as the
 * 4-byte header alone, also several pipelined with a real one between. */
PF_H_TEST(test_msg_zero_length)
{
    static const unsigned char zero[4] = {0, 0, 0, 0};
    static const unsigned char mix[] = {0, 0, 0,   0,   0,   0, 0, 0, 0, 0,
                                        0, 3, 'a', 'b', 'c', 0, 0, 0, 0};
    int fd;

    start(s, "msg");
    fd = connect_ok(s);
    assert_int_equal(pf_h_roundtrip(fd, zero, sizeof(zero)), 0);
    assert_int_equal(pf_h_roundtrip(fd, mix, sizeof(mix)), 0);
    close(fd);
    assert_unharmed(s, "length 0");
}

/* Lengths far above msg.max_message: 2^32-1 arriving one byte per read
 * (the connection stays open until the fourth byte, then is closed with
 * no reply), 2^31 (a sign bit for anyone reading it as signed), and
 * 2^32-1 with 64 KiB of "payload" streaming after it (closed, by EOF or
 * a reset since the client was still sending). */
PF_H_TEST(test_msg_huge_lengths)
{
    static const unsigned char max32[4] = {0xff, 0xff, 0xff, 0xff};
    static const unsigned char sign[4] = {0x80, 0, 0, 0};
    static const size_t cuts[] = {1, 2, 3};
    size_t flood_len = 4 + (64u << 10);
    unsigned char *flood = malloc(flood_len);
    int fd;

    assert_non_null(flood);
    start(s, "msg");
    fd = connect_ok(s);
    send_parts(s, fd, max32, cuts, 2, 3); /* three bytes, three reads */
    assert_quiet(fd, "3 bytes of a header");
    assert_int_equal(pf_h_send(fd, max32 + 3, 1), 0);
    expect_closed_from(fd, false, 0, "length 2^32-1 a byte at a time");
    close(fd);
    assert_int_equal(pf_h_wait_log(s, "message length 4294967295 above msg.max_message",
                                   PF_H_WAIT_MS),
                     0);
    assert_unharmed(s, "length 2^32-1 a byte at a time");

    fd = connect_ok(s);
    assert_int_equal(pf_h_send(fd, sign, sizeof(sign)), 0);
    expect_closed_from(fd, false, 0, "length 2^31");
    close(fd);
    assert_int_equal(pf_h_wait_log(s, "message length 2147483648 above msg.max_message",
                                   PF_H_WAIT_MS),
                     0);
    assert_unharmed(s, "length 2^31");

    memcpy(flood, max32, 4);
    pf_h_fill(flood + 4, flood_len - 4, 7);
    fd = connect_ok(s);
    (void)send(fd, flood, flood_len, MSG_NOSIGNAL); /* as far as it goes */
    expect_closed_from(fd, true, 0, "length 2^32-1 and a payload");
    close(fd);
    assert_unharmed(s, "length 2^32-1 and a payload");
    free(flood);
}

/* A stall inside the 4-byte header (2 bytes sent): the message has begun,
 * so read_timeout applies (not idle_timeout): closed after it. */
PF_H_TEST(test_msg_stall_mid_header)
{
    int64_t t0, took;
    int fd;

    start(s, "msg");
    fd = connect_ok(s);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_send(fd, "\0\0", 2), 0);
    took = expect_closed_from(fd, false, t0, "stall mid-header");
    close(fd);
    pf_h_note("stalled header closed after %lld ms (read_timeout %d ms)", (long long)took,
              READ_TIMEOUT_MS);
    assert_true(took >= READ_TIMEOUT_MS - 50);
    assert_true(took < pf_h_scaled_ms(READ_TIMEOUT_MS + 2000));
    assert_int_equal(pf_h_wait_log(s, "stalled mid-message (2 bytes", PF_H_WAIT_MS), 0);
    assert_unharmed(s, "stall mid-header");
}

/* A frame split at every byte boundary, header and payload alike (two
 * writes, the second once the server read the first), on one
 * connection: each comes back whole and exact. The empty frame too. */
PF_H_TEST(test_msg_split_every_byte)
{
    unsigned char payload[60], *frame;
    size_t len;
    int fd;

    start(s, "msg");
    pf_h_fill(payload, sizeof(payload), 9);
    payload[10] = 0; /* a NUL and a newline in it: no meaning to msg */
    payload[11] = '\n';
    assert_int_equal(pf_h_msg_frame(payload, sizeof(payload), &frame, &len), 0);
    fd = connect_ok(s);
    for (size_t k = 1; k < len; k++) {
        unsigned char back[64];

        send_parts(s, fd, frame, &k, 1, len);
        assert_int_equal(pf_h_recv(fd, back, len), 0);
        assert_memory_equal(back, frame, len);
    }
    for (size_t k = 1; k < 4; k++) {
        static const unsigned char zero[4] = {0, 0, 0, 0};
        unsigned char back[4];

        send_parts(s, fd, zero, &k, 1, 4);
        assert_int_equal(pf_h_recv(fd, back, 4), 0);
        assert_memory_equal(back, zero, 4);
    }
    close(fd);
    free(frame);
    assert_unharmed(s, "msg split at every byte");
}

/* --------------------------------------------------------------- echo */

/* A line of 1 MiB (its newline at the end), sent while the server
 * refuses it: closed at max_line (1024) bytes without a byte of reply
 * (EOF or a reset, the client still sending), and the server did not
 * read the MiB. */
PF_H_TEST(test_echo_line_far_over_max)
{
    size_t len = 1u << 20, sent = 0;
    char *line = malloc(len);
    int small = 16384, fd;

    assert_non_null(line);
    memset(line, 'x', len);
    line[len - 1] = '\n';
    start(s, "echo");
    fd = connect_ok(s);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    while (sent < len) { /* until the server closes (or stops reading for 2 s) */
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        ssize_t n;

        if (poll(&p, 1, 2000) <= 0)
            break;
        n = send(fd, line + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
        if (n > 0)
            sent += (size_t)n;
    }
    pf_h_note("1 MiB line: %zu bytes taken before the close", sent);
    assert_true(sent < len);
    expect_closed_from(fd, true, 0, "1 MiB line");
    close(fd);
    assert_int_equal(pf_h_wait_log(s, "line longer than echo.max_line (1024 bytes)", PF_H_WAIT_MS),
                     0);
    assert_unharmed(s, "1 MiB line");
    free(line);
}

/* Binary garbage: a line holding every byte value but '\n' (NUL, CR, DEL,
 * 0x80-0xFF), then 64 KiB of pseudo-random bytes cut into lines of up to
 * 200 bytes, all in one send: everything comes back byte-exact. */
PF_H_TEST(test_echo_binary_garbage)
{
    unsigned char all[256];
    size_t n = 0, len = 64u << 10;
    unsigned char *junk = malloc(len);
    int fd;

    assert_non_null(junk);
    for (int b = 0; b < 256; b++)
        if (b != '\n')
            all[n++] = (unsigned char)b;
    all[n++] = '\n';
    pf_h_fill(junk, len, 5);
    for (size_t i = 0; i < len; i++)
        if (junk[i] == '\n')
            junk[i] = 0; /* NULs, and newlines only where placed below */
    for (size_t i = 199; i < len; i += 200)
        junk[i] = '\n';
    junk[len - 1] = '\n';
    start(s, "echo");
    fd = connect_ok(s);
    assert_int_equal(pf_h_roundtrip(fd, all, n), 0);
    assert_int_equal(pf_h_roundtrip(fd, junk, len), 0);
    close(fd);
    assert_unharmed(s, "binary garbage");
    free(junk);
}

/* A complete line and the start of the next in one write, then silence:
 * the line is echoed, and the partial one is closed at read_timeout,
 * counted from its first byte (here: the moment the first reply went). */
PF_H_TEST(test_echo_stall_mid_line)
{
    char back[5];
    int64_t t0, took;
    int fd;

    start(s, "echo");
    fd = connect_ok(s);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_send(fd, "done\nha\0f", 9), 0);
    assert_int_equal(pf_h_recv(fd, back, 5), 0);
    assert_memory_equal(back, "done\n", 5);
    took = expect_closed_from(fd, false, t0, "stall mid-line");
    close(fd);
    pf_h_note("stalled line closed after %lld ms (read_timeout %d ms)", (long long)took,
              READ_TIMEOUT_MS);
    assert_true(took >= READ_TIMEOUT_MS - 50);
    assert_true(took < pf_h_scaled_ms(READ_TIMEOUT_MS + 2000));
    assert_int_equal(pf_h_wait_log(s, "stalled mid-message (4 bytes", PF_H_WAIT_MS), 0);
    assert_unharmed(s, "stall mid-line");
}

/* A line with a NUL, a CR and high bytes, split at every byte boundary on
 * one connection: echoed whole and exact each time. */
PF_H_TEST(test_echo_split_every_byte)
{
    static const char line[] = "split \0 line\r with \xff\x80 bytes, ending here\r\n";
    size_t len = sizeof(line) - 1;
    int fd;

    start(s, "echo");
    fd = connect_ok(s);
    for (size_t k = 1; k < len; k++) {
        char back[sizeof(line)];

        send_parts(s, fd, line, &k, 1, len);
        assert_int_equal(pf_h_recv(fd, back, len), 0);
        assert_memory_equal(back, line, len);
    }
    close(fd);
    assert_unharmed(s, "echo split at every byte");
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_msg_zero_length),        PF_H_CASE(test_msg_huge_lengths),
    PF_H_CASE(test_msg_stall_mid_header),   PF_H_CASE(test_msg_split_every_byte),
    PF_H_CASE(test_echo_line_far_over_max), PF_H_CASE(test_echo_binary_garbage),
    PF_H_CASE(test_echo_stall_mid_line),    PF_H_CASE(test_echo_split_every_byte),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
