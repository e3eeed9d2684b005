/* Integration: the hostile-client catalogue for the control channel
 * (docs/control-protocol.md, docs/reliability.md "Hostile clients").
 *
 * Token guessing (one client after another, and several at once) against
 * the throttle: each guess refused, logged, counted, and answered only
 * after the penalty the previous failures set (100 ms doubling to 5 s);
 * lines far beyond the line bound; binary garbage and NUL bytes, before
 * and after authentication; clients that go quiet mid-line; and the
 * master supervising its workers while such clients hang on.
 *
 * test_control.c covers the functional side (a wrong token, the first
 * four penalties, a 2000-byte line, a few binary bytes, a silent client,
 * max_clients, a client that never reads); the cases here push each of
 * those further. After each case the master must still answer, and no
 * worker may have ended abnormally but the one a test kills.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_net.h"
#include "pf_time.h"

#define IDLE_MS 1000       /* control.idle_timeout in these tests */
#define REPLY_MS 8000      /* bound on one reply: the longest penalty and some */
#define PENALTY_MIN_MS 100 /* docs/control-protocol.md, Authentication */
#define PENALTY_MAX_MS 5000
#define SLACK_MS 60 /* the client's own steps between two guesses */
#define FAILED "{\"ok\":false,\"error\":\"authentication failed\"}"
#define AUTH_FIRST "{\"ok\":false,\"error\":\"authenticate first: auth TOKEN\"}"
#define TOO_LONG "{\"ok\":false,\"error\":\"line too long (at most 1023 bytes)\"}"

/* The control channel of the server under test. */
struct ctl {
    struct pf_addr addr;
    char token[160];
};

/* An echo server with two workers and the control channel (token in
 * ctl.token, as pf_harness_ctl expects; idle_timeout IDLE_MS). */
static void start(struct pf_server *s, struct ctl *ctl)
{
    static const char extra[] = "control = { listen = \"127.0.0.1:0\"; token_file = \"ctl.token\";"
                                " idle_timeout = 1; };\n";
    struct pf_h_config c;
    char text[PF_ADDR_STRLEN], err[128], *t;

    pf_h_config_defaults(&c);
    c.workers_start = 2;
    c.extra = extra;
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(pf_h_log_word_after(s, "control channel listening on ", false, text,
                                         sizeof(text)),
                     0);
    if (pf_addr_parse(text, &ctl->addr, err, sizeof(err)) < 0)
        fail_msg("control address \"%s\": %s", text, err);
    t = pf_h_read(s, "ctl.token");
    assert_non_null(t);
    t[strcspn(t, " \t\r\n")] = '\0';
    assert_true(strlen(t) > 0 && strlen(t) < sizeof(ctl->token));
    strcpy(ctl->token, t);
    free(t);
}

static int ctl_connect(const struct ctl *ctl)
{
    char err[256];
    int fd = pf_net_connect(&ctl->addr, PF_H_IO_MS, err, sizeof(err));

    if (fd < 0)
        fail_msg("control connect: %s", err);
    return fd;
}

/* One reply line (without "\n") into buf within timeout_ms; its length,
 * or -1 (EOF, reset or timeout first; *why says which). */
static long recv_line(int fd, char *buf, size_t size, int timeout_ms, const char **why)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    size_t len = 0;

    *why = "timeout";
    while (len + 1 < size) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&p, 1, pf_time_left_ms(deadline)) <= 0)
            return -1;
        n = recv(fd, buf + len, 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            *why = n == 0 ? "EOF" : strerror(errno);
            return -1;
        }
        if (n == 1 && buf[len] == '\n') {
            buf[len] = '\0';
            return (long)len;
        }
        len += n == 1;
    }
    *why = "too long";
    return -1;
}

/* Send text; the reply must be exactly want. */
static void expect_reply(int fd, const char *text, size_t len, const char *want)
{
    char buf[4096];
    const char *why;

    assert_int_equal(pf_h_send(fd, text, len), 0);
    if (recv_line(fd, buf, sizeof(buf), REPLY_MS, &why) < 0)
        fail_msg("no reply to \"%.40s\": %s", text, why);
    if (strcmp(buf, want) != 0)
        fail_msg("reply \"%s\", expected \"%s\"", buf, want);
}

/* The connection is closed by the master: EOF (or a reset if reset_ok). */
static void expect_closed(int fd, bool reset_ok, const char *what)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    ssize_t n;

    if (poll(&p, 1, pf_h_scaled_ms(3 * IDLE_MS)) != 1)
        fail_msg("%s: the connection stayed open", what);
    n = recv(fd, &c, 1, MSG_DONTWAIT);
    if (n > 0)
        fail_msg("%s: more bytes after the reply", what);
    if (n < 0 && !(reset_ok && errno == ECONNRESET))
        fail_msg("%s: expected EOF, got %s", what, strerror(errno));
}

/* Send a command; its reply must be JSON with "ok": true. */
static void expect_ok(int fd, const char *cmd)
{
    char buf[16384];
    const char *why;
    json_t *j;

    assert_int_equal(pf_h_send(fd, cmd, strlen(cmd)), 0);
    if (recv_line(fd, buf, sizeof(buf), REPLY_MS, &why) < 0)
        fail_msg("no reply to %s: %s", cmd, why);
    j = json_loads(buf, 0, NULL);
    if (j == NULL || !json_is_true(json_object_get(j, "ok")))
        fail_msg("reply to %s: \"%s\"", cmd, buf);
    json_decref(j);
}

/* "auth TOKEN\n" with the right token: {"ok":true}. */
static int ctl_session(const struct ctl *ctl)
{
    char line[200];
    int fd = ctl_connect(ctl);

    snprintf(line, sizeof(line), "auth %s\n", ctl->token);
    expect_reply(fd, line, strlen(line), "{\"ok\":true}");
    return fd;
}

/* The master answers (status through preforkctl, which allows for the
 * throttle), no worker ended abnormally beyond `killed`, and the echo
 * service still serves. */
static void assert_unharmed(struct pf_server *s, int killed, const char *what)
{
    long long abnormal = pf_h_ctl_status_int(s, "totals.abnormal_exits");

    if (abnormal != killed)
        fail_msg("after %s: status totals.abnormal_exits is %lld, expected %d", what, abnormal,
                 killed);
    if (pf_h_log_abnormal_exits(s) != killed)
        fail_msg("after %s: the log shows %d abnormal worker ends, expected %d", what,
                 pf_h_log_abnormal_exits(s), killed);
    if (pf_h_check_serves(s) < 0)
        fail_msg("after %s: the echo service failed", what);
}

/* The penalty the k-th failure sets (k from 1): 100 ms doubling to 5 s. */
static int64_t penalty_after(int k)
{
    int64_t p = PENALTY_MIN_MS;

    if (k <= 0)
        return 0;
    for (int i = 1; i < k && p < PENALTY_MAX_MS; i++)
        p *= 2;
    return p < PENALTY_MAX_MS ? p : PENALTY_MAX_MS;
}

#define GUESSES 10

/* A brute force of 10 wrong tokens, one connection after another: each is
 * refused ("authentication failed", then closed), logged with the
 * client's address, counted, and answered no sooner than the penalty the
 * failures before it set (the 8th to 10th at the 5 s cap: 20 guesses
 * would only add ten more of those, 50 s). The right token works after
 * that, once the last penalty has run. About 27 s. */
PF_H_TEST(test_ctl_token_brute_force)
{
    struct ctl ctl;
    int64_t t0, took, last = 0, since;
    char line[256];
    json_t *j;
    int fd;

    start(s, &ctl);
    /* The penalty runs from the previous refusal: the lower bound is on
     * the time between two refusals (the client's own steps between them
     * do not count), the upper one on the time from the guess sent. */
    for (int k = 1; k <= GUESSES; k++) {
        int64_t want = penalty_after(k - 1);

        snprintf(line, sizeof(line), "auth guess-%02d-%.40s\n", k, ctl.token);
        fd = ctl_connect(&ctl);
        t0 = pf_time_now_ms();
        expect_reply(fd, line, strlen(line), FAILED);
        took = pf_time_now_ms() - t0;
        since = k > 1 ? pf_time_now_ms() - last : 0;
        last = pf_time_now_ms();
        expect_closed(fd, false, "a wrong token");
        close(fd);
        pf_h_note("guess %d refused after %lld ms, %lld ms after the one before (penalty %lld ms)",
                  k, (long long)took, (long long)since, (long long)want);
        if (since < want - SLACK_MS || took > want + pf_h_scaled_ms(1000))
            fail_msg("guess %d answered after %lld ms, %lld ms after the one before; the "
                     "penalty is %lld ms",
                     k, (long long)took, (long long)since, (long long)want);
    }
    assert_int_equal(pf_h_log_count(s, "control: authentication failed from 127.0.0.1:"), GUESSES);
    assert_false(pf_h_log_contains(s, "guess-")); /* what was tried is not logged */

    fd = ctl_session(&ctl); /* the right token, after the last penalty */
    took = pf_time_now_ms() - last;
    pf_h_note("the right token answered %lld ms after the last refusal", (long long)took);
    assert_true(took >= PENALTY_MAX_MS - SLACK_MS);
    assert_int_equal(pf_h_send(fd, "status\n", 7), 0);
    {
        char buf[8192];
        const char *why;

        assert_true(recv_line(fd, buf, sizeof(buf), REPLY_MS, &why) > 0);
        j = json_loads(buf, 0, NULL);
        assert_non_null(j);
        assert_int_equal(pf_h_json_int(j, "totals", "auth_failures"), GUESSES);
        json_decref(j);
    }
    close(fd);
    assert_unharmed(s, 0, "token brute force");
}

#define PARALLEL 6

/* Six guessers at once, each with its own connection: the throttle is
 * shared, so their refusals come one penalty apart (0, 100, 300, 700,
 * 1500, 3100 ms after the first): guessing in parallel is no faster. */
PF_H_TEST(test_ctl_parallel_guessers)
{
    struct ctl ctl;
    int fds[PARALLEL];
    int64_t at[PARALLEL], t0, want = 0;
    char line[256];

    start(s, &ctl);
    for (int i = 0; i < PARALLEL; i++)
        fds[i] = ctl_connect(&ctl);
    t0 = pf_time_now_ms();
    for (int i = 0; i < PARALLEL; i++) {
        snprintf(line, sizeof(line), "auth parallel-%d\n", i);
        assert_int_equal(pf_h_send(fds[i], line, strlen(line)), 0);
    }
    for (int i = 0; i < PARALLEL; i++) {
        char buf[256];
        const char *why;

        if (recv_line(fds[i], buf, sizeof(buf), PARALLEL * PENALTY_MAX_MS, &why) < 0)
            fail_msg("guesser %d: no reply: %s", i, why);
        assert_string_equal(buf, FAILED);
        at[i] = pf_time_now_ms() - t0;
        expect_closed(fds[i], false, "a parallel guess");
        close(fds[i]);
    }
    /* sorted arrival times against the running sum of the penalties */
    for (int i = 1; i < PARALLEL; i++)
        for (int k = i; k > 0 && at[k] < at[k - 1]; k--) {
            int64_t x = at[k];
            at[k] = at[k - 1];
            at[k - 1] = x;
        }
    for (int k = 0; k < PARALLEL; k++) {
        want += penalty_after(k);
        pf_h_note("parallel guess %d refused at %lld ms (at least %lld)", k + 1, (long long)at[k],
                  (long long)want);
        if (at[k] < want - SLACK_MS)
            fail_msg("guess %d refused at %lld ms, before the %lld ms the penalties add up to",
                     k + 1, (long long)at[k], (long long)want);
    }
    assert_int_equal(pf_h_log_count(s, "control: authentication failed from"), PARALLEL);
    close(ctl_session(&ctl));
    assert_unharmed(s, 0, "parallel guessers");
}

/* Send buf (len bytes) while the master refuses it: it answers the first
 * 1024 bytes with reply and closes; the client may still be sending, so
 * the close may reset the connection and lose the reply (as documented).
 * Either way: nothing but that reply, then the end. */
static void expect_reply_or_reset(int fd, const char *buf, size_t len, const char *reply)
{
    size_t sent = 0, got = 0;
    bool sending = true;
    char in[512];

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sending ? POLLOUT : 0)};
        ssize_t n;

        if (poll(&p, 1, pf_h_scaled_ms(5000)) <= 0)
            fail_msg("neither a reply nor a close");
        if (p.revents & POLLOUT) {
            n = send(fd, buf + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                sending = false; /* the master closed: read what is left */
            sending = sending && sent < len;
        }
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = recv(fd, in + got, sizeof(in) - 1 - got, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
            in[got] = '\0';
            if (strncmp(in, reply, got < strlen(reply) ? got : strlen(reply)) != 0 ||
                got > strlen(reply) + 1)
                fail_msg("unexpected bytes from the master: \"%s\"", in);
            continue;
        }
        if (n == 0 || errno == ECONNRESET || errno == EPIPE)
            break;
        if (errno != EAGAIN && errno != EINTR)
            fail_msg("recv: %s", strerror(errno));
    }
    pf_h_note("%zu-byte line: %s; %zu bytes sent", len,
              got ? "the reply, then the close" : "closed (reset) before the reply", sent);
    if (got != 0 && got != strlen(reply) + 1)
        fail_msg("a partial reply: \"%s\"", in);
}

/* Lines far beyond the bound (1023 bytes): a MiB without a newline, before
 * and after authentication, gets "line too long" and the close (or a
 * reset that may eat the reply, the client still sending); a token far
 * beyond 128 bytes is a failed authentication. */
PF_H_TEST(test_ctl_oversized_lines)
{
    size_t len = 1u << 20;
    char *big = malloc(len);
    char line[400];
    struct ctl ctl;
    int fd;

    assert_non_null(big);
    memset(big, 'x', len);
    start(s, &ctl);
    fd = ctl_connect(&ctl);
    expect_reply_or_reset(fd, big, len, TOO_LONG);
    close(fd);
    fd = ctl_session(&ctl);
    expect_reply_or_reset(fd, big, len, TOO_LONG);
    close(fd);
    assert_unharmed(s, 0, "1 MiB line");

    memset(line, 'a', sizeof(line));
    memcpy(line, "auth ", 5);
    line[sizeof(line) - 1] = '\n';
    fd = ctl_connect(&ctl);
    expect_reply(fd, line, sizeof(line), AUTH_FIRST);
    expect_closed(fd, false, "a 394-byte token");
    close(fd);
    assert_int_equal(pf_h_wait_log(s, "control: authentication failed from", PF_H_WAIT_MS), 0);
    assert_unharmed(s, 0, "a long token");
    free(big);
}

/* Binary garbage and NUL bytes. Before authentication, a line of random
 * bytes is refused ("authenticate first") and closed; the right token
 * with a NUL or anything after it is refused too (no C-string cut). After
 * authentication, 64 KiB of random bytes with NULs in lines of up to 200
 * bytes get exactly one error reply each, valid JSON, and the session
 * still works. */
PF_H_TEST(test_ctl_binary_garbage)
{
    struct ctl ctl;
    size_t len = 64u << 10, lines = 0;
    unsigned char *junk = malloc(len);
    char line[300], *buf = malloc(65536);
    int fd;

    assert_non_null(junk);
    assert_non_null(buf);
    pf_h_fill(junk, len, 3);
    for (size_t i = 0; i < len; i++)
        if (junk[i] == '\n')
            junk[i] = 0;
    for (size_t i = 199; i < len; i += 200)
        junk[i] = '\n';
    junk[len - 1] = '\n';
    for (size_t i = 0; i < len; i++)
        lines += junk[i] == '\n';
    start(s, &ctl);

    fd = ctl_connect(&ctl);
    expect_reply(fd, (const char *)junk, 200, AUTH_FIRST);
    expect_closed(fd, false, "a binary first line");
    close(fd);
    snprintf(line, sizeof(line), "auth %s", ctl.token);
    for (int v = 0; v < 2; v++) {
        size_t n = strlen(line);

        memcpy(line + n, v == 0 ? "\0\n" : "\0x\n", v == 0 ? 2 : 3);
        fd = ctl_connect(&ctl);
        expect_reply(fd, line, n + (v == 0 ? 2 : 3), AUTH_FIRST);
        expect_closed(fd, false, "the token and a NUL");
        close(fd);
    }

    fd = ctl_session(&ctl);
    assert_int_equal(pf_h_send(fd, junk, len), 0);
    for (size_t i = 0; i < lines; i++) {
        const char *why;
        json_t *j;

        if (recv_line(fd, buf, 65536, REPLY_MS, &why) < 0)
            fail_msg("garbage line %zu of %zu: no reply: %s", i + 1, lines, why);
        j = json_loads(buf, 0, NULL);
        if (j == NULL || !json_is_false(json_object_get(j, "ok")))
            fail_msg("garbage line %zu: reply \"%s\"", i + 1, buf);
        json_decref(j);
    }
    expect_ok(fd, "status\n"); /* the session goes on */
    close(fd);
    assert_unharmed(s, 0, "binary garbage");
    free(junk);
    free(buf);
}

/* Clients that go quiet: one that sends nothing, one that stops in the
 * middle of a line, one authenticated that stops mid-command: each is
 * closed at control.idle_timeout (1 s), not before, and logged. */
PF_H_TEST(test_ctl_quiet_clients)
{
    struct ctl ctl;
    int fds[3];
    int64_t t0;

    start(s, &ctl);
    t0 = pf_time_now_ms();
    fds[0] = ctl_connect(&ctl);
    fds[1] = ctl_connect(&ctl);
    assert_int_equal(pf_h_send(fds[1], "auth 0123", 9), 0);
    fds[2] = ctl_session(&ctl);
    assert_int_equal(pf_h_send(fds[2], "sta", 3), 0);
    for (int i = 0; i < 3; i++) {
        int64_t took;

        expect_closed(fds[i], false, "a quiet client");
        took = pf_time_now_ms() - t0;
        pf_h_note("quiet client %d closed after %lld ms", i, (long long)took);
        assert_true(took >= IDLE_MS - SLACK_MS);
        close(fds[i]);
    }
    assert_int_equal(pf_h_wait_log_count(s, "idle; closing", 3, PF_H_WAIT_MS), 0);
    assert_unharmed(s, 0, "quiet clients");
}

/* The master goes on supervising while hostile control clients hang on:
 * one parked in the authentication throttle, one in the middle of a
 * line, one authenticated streaming garbage lines without reading its
 * replies. A worker killed meanwhile is replaced and the service goes
 * on; the only abnormal exit is that worker's. */
PF_H_TEST(test_ctl_supervision_under_hostile_clients)
{
    struct ctl ctl;
    pid_t before[8], after[8];
    int parked, half, streamer, fd;
    char line[64];
    char junk[4096];

    start(s, &ctl);
    for (int k = 0; k < 5; k++) { /* penalties up to 1.6 s */
        fd = ctl_connect(&ctl);
        expect_reply(fd, "auth nope\n", 10, FAILED);
        close(fd);
    }
    parked = ctl_connect(&ctl);
    snprintf(line, sizeof(line), "auth %.40s\n", "still-wrong");
    assert_int_equal(pf_h_send(parked, line, strlen(line)), 0);
    half = ctl_connect(&ctl);
    assert_int_equal(pf_h_send(half, "statu", 5), 0);
    streamer = ctl_session(&ctl);
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (i % 64 == 63) ? '\n' : (char)('\x01' + i % 7);
    for (int i = 0; i < 16; i++)
        (void)send(streamer, junk, sizeof(junk), MSG_DONTWAIT | MSG_NOSIGNAL);

    assert_int_equal(pf_h_worker_pids(s, before, 8), 2);
    assert_int_equal(kill(before[0], SIGKILL), 0);
    assert_int_equal(pf_h_wait_pid_gone(before[0], PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, pf_h_scaled_ms(5000)), 0);
    assert_int_equal(pf_h_worker_pids(s, after, 8), 2);
    assert_true(after[0] != before[0] && after[1] != before[0]);
    assert_int_equal(pf_h_check_serves(s), 0);

    {
        char buf[256];
        const char *why;

        assert_true(recv_line(parked, buf, sizeof(buf), REPLY_MS, &why) >= 0);
        assert_string_equal(buf, FAILED);
    }
    close(parked);
    close(half);
    close(streamer);
    assert_unharmed(s, 1, "supervision under hostile clients");
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_ctl_token_brute_force), PF_H_CASE(test_ctl_parallel_guessers),
    PF_H_CASE(test_ctl_oversized_lines),   PF_H_CASE(test_ctl_binary_garbage),
    PF_H_CASE(test_ctl_quiet_clients),     PF_H_CASE(test_ctl_supervision_under_hostile_clients),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
