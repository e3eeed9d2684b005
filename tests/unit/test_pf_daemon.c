/* Unit tests for pf_daemon's report lines (the launcher's and the old
 * master's side of start-up), and for the report written into a real
 * socket pair, as a daemon or a new master writes it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_daemon.h"

static enum pf_daemon_outcome parse(const char *buf, char *text, size_t size)
{
    return pf_daemon_parse_report(buf, strlen(buf), text, size);
}

static void test_parse(void **state)
{
    char text[64];

    (void)state;
    assert_int_equal(parse("", text, sizeof(text)), PF_DAEMON_PENDING);
    assert_int_equal(parse("OK running as pid 12", text, sizeof(text)), PF_DAEMON_PENDING);
    assert_int_equal(parse("OK running as pid 12\n", text, sizeof(text)), PF_DAEMON_READY);
    assert_string_equal(text, "running as pid 12");
    assert_int_equal(parse("ERR cannot bind: in use\nmore", text, sizeof(text)), PF_DAEMON_FAILED);
    assert_string_equal(text, "cannot bind: in use");
    assert_int_equal(parse("hello\n", text, sizeof(text)), PF_DAEMON_FAILED);
    assert_string_equal(text, "unexpected start-up report \"hello\"");
    assert_int_equal(parse("OK\n", text, sizeof(text)), PF_DAEMON_FAILED); /* no text */
    /* a text longer than the buffer is cut, not overflowed */
    assert_int_equal(parse("ERR 0123456789012345678901234567890123456789012345678901234567"
                           "89012345678901234567890123456789\n",
                           text, 16),
                     PF_DAEMON_FAILED);
    assert_int_equal(strlen(text), 15);
}

/* Read a socket until EOF (the writer closes after its one line). */
static size_t read_all(int fd, char *buf, size_t size)
{
    size_t len = 0;
    ssize_t n;

    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    return len;
}

/* A new master finds its end in PREFORKD_READY_FD; the first report goes
 * out and closes the channel, a second is dropped. */
static void test_report_through_env(void **state)
{
    int sp[2];
    char buf[256], num[16], text[128];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    snprintf(num, sizeof(num), "%d", sp[1]);
    setenv(PF_DAEMON_READY_ENV, num, 1);
    assert_int_equal(pf_daemon_take_ready_env(text, sizeof(text)), 0);
    assert_null(getenv(PF_DAEMON_READY_ENV));
    assert_true(pf_daemon_reporting());
    pf_daemon_ready("running as pid 7, listening on 127.0.0.1:1");
    assert_false(pf_daemon_reporting());
    pf_daemon_failed("too late"); /* nobody waits any more */
    read_all(sp[0], buf, sizeof(buf));
    assert_string_equal(buf, "OK running as pid 7, listening on 127.0.0.1:1\n");
    close(sp[0]);
}

/* Bad values of the variable are refused and still removed. */
static void test_bad_env(void **state)
{
    static const char *const bad[] = {"", "x", "-1", "2", "12x", "99999999999", "1000"};
    char err[128];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv(PF_DAEMON_READY_ENV, bad[i], 1);
        assert_int_equal(pf_daemon_take_ready_env(err, sizeof(err)), -1);
        assert_non_null(strstr(err, PF_DAEMON_READY_ENV));
        assert_null(getenv(PF_DAEMON_READY_ENV));
        assert_false(pf_daemon_reporting());
    }
    unsetenv(PF_DAEMON_READY_ENV);
    assert_int_equal(pf_daemon_take_ready_env(err, sizeof(err)), 0); /* unset: nothing */
    assert_false(pf_daemon_reporting());
}

/* A failure report whose reader is gone neither blocks nor kills us
 * (no SIGPIPE: the test would die). */
static void test_reader_gone(void **state)
{
    int sp[2];
    char num[16], err[64];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    close(sp[0]);
    snprintf(num, sizeof(num), "%d", sp[1]);
    setenv(PF_DAEMON_READY_ENV, num, 1);
    assert_int_equal(pf_daemon_take_ready_env(err, sizeof(err)), 0);
    pf_daemon_failed("nobody listens");
    assert_false(pf_daemon_reporting());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_report_through_env),
        cmocka_unit_test(test_bad_env),
        cmocka_unit_test(test_reader_gone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
