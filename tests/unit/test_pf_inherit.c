/* Unit tests for pf_inherit: the variables' strict parsing (tables), the
 * PREFORKD_FDS round trip, the listener check on real descriptors, and
 * pf_inherit_take with sockets placed where an old master or systemd
 * would put them (descriptor 3 is saved and restored around each test). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_inherit.h"

#define SELF 1234 /* the pid parse_systemd is told it runs as */

struct fixture {
    int saved3;       /* a copy of what descriptor 3 was, or -1 */
    int saved3_flags; /* its F_GETFD flags */
    int fds[8];       /* descriptors a test opened, closed in teardown */
};

static void unset_all(void)
{
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    unsetenv(PF_INHERIT_ENV);
}

/* Fixture: none of the variables set; descriptor 3 saved aside. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->saved3_flags = fcntl(PF_INHERIT_SD_FIRST_FD, F_GETFD);
    f->saved3 = -1;
    if (f->saved3_flags >= 0 &&
        (f->saved3 = fcntl(PF_INHERIT_SD_FIRST_FD, F_DUPFD_CLOEXEC, 10)) < 0)
        return -1;
    for (int i = 0; i < 8; i++)
        f->fds[i] = -1;
    unset_all();
    *state = f;
    return 0;
}

/* Descriptor 3 back as it was (closed if it was closed). */
static int teardown(void **state)
{
    struct fixture *f = *state;

    unset_all();
    for (int i = 0; i < 8; i++)
        if (f->fds[i] >= 0)
            close(f->fds[i]);
    if (f->saved3 >= 0) {
        if (dup2(f->saved3, PF_INHERIT_SD_FIRST_FD) < 0 ||
            fcntl(PF_INHERIT_SD_FIRST_FD, F_SETFD, f->saved3_flags) < 0)
            return -1;
        close(f->saved3);
    } else {
        close(PF_INHERIT_SD_FIRST_FD);
    }
    free(f);
    return 0;
}

/* Remember fd for teardown to close; returns it. */
static int keep(struct fixture *f, int fd)
{
    assert_true(fd >= 0);
    for (int i = 0; i < 8; i++) {
        if (f->fds[i] < 0) {
            f->fds[i] = fd;
            return fd;
        }
    }
    fail_msg("too many descriptors for the fixture");
    return -1;
}

/* A blocking TCP socket listening on 127.0.0.1 (ephemeral port), without
 * close-on-exec, as systemd hands them over. */
static int tcp_listener(struct fixture *f)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = keep(f, socket(AF_INET, SOCK_STREAM, 0));

    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(fd, 8), 0);
    return fd;
}

static void expect_err(const char *err, const char *want)
{
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static const struct {
    const char *pid, *fds;
    int rc, count;
    const char *err; /* a part of the message when rc is -1 */
} systemd_cases[] = {
    {NULL, NULL, 0, 0, NULL},
    {NULL, "1", 0, 0, NULL}, /* no LISTEN_PID: not ours */
    {"1234", "1", 1, 1, NULL},
    {"1234", "3", 1, 3, NULL},
    {"1234", "2147483644", 1, 2147483644, NULL}, /* up to fd INT_MAX */
    {"999", "1", 0, 0, NULL},                    /* another process's */
    {"999", "junk", 0, 0, NULL},                 /* another's: not looked at */
    {"0", "1", -1, 0, "LISTEN_PID=\"0\""},
    {"-1234", "1", -1, 0, "LISTEN_PID"},
    {"+1234", "1", -1, 0, "LISTEN_PID"},
    {" 1234", "1", -1, 0, "LISTEN_PID"},
    {"1234 ", "1", -1, 0, "LISTEN_PID"},
    {"12x", "1", -1, 0, "LISTEN_PID"},
    {"", "1", -1, 0, "LISTEN_PID"},
    {"99999999999999999999", "1", -1, 0, "LISTEN_PID"},
    {"2147483648", "1", -1, 0, "LISTEN_PID"},
    {"1234", NULL, -1, 0, "LISTEN_FDS is not set"},
    {"1234", "0", -1, 0, "LISTEN_FDS=\"0\""},
    {"1234", "-1", -1, 0, "LISTEN_FDS"},
    {"1234", "1x", -1, 0, "LISTEN_FDS"},
    {"1234", "", -1, 0, "LISTEN_FDS"},
    {"1234", "2147483645", -1, 0, "LISTEN_FDS"}, /* past fd INT_MAX */
    {"1234", "99999999999999999999", -1, 0, "LISTEN_FDS"},
};

static void test_parse_systemd(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(systemd_cases) / sizeof(systemd_cases[0]); i++) {
        char err[256] = "";
        int count = -7;
        int rc = pf_inherit_parse_systemd(systemd_cases[i].pid, systemd_cases[i].fds, SELF, &count,
                                          err, sizeof(err));

        if (rc != systemd_cases[i].rc || count != systemd_cases[i].count)
            fail_msg("case %zu (%s, %s): rc %d count %d, expected %d %d (%s)", i,
                     systemd_cases[i].pid ? systemd_cases[i].pid : "unset",
                     systemd_cases[i].fds ? systemd_cases[i].fds : "unset", rc, count,
                     systemd_cases[i].rc, systemd_cases[i].count, err);
        if (rc < 0) {
            expect_err(err, "socket activation: ");
            expect_err(err, systemd_cases[i].err);
        }
    }
}

static const struct {
    const char *value;
    int rc, listen_fd, control_fd, status_fd;
    const char *err; /* a part of the message when rc is -1 */
} fds_cases[] = {
    {"listen=3", 0, 3, -1, -1, NULL},
    {"listen=7;control=9", 0, 7, 9, -1, NULL},
    {"control=9;listen=7", 0, 7, 9, -1, NULL},
    {"listen=7;status=11", 0, 7, -1, 11, NULL},
    {"status=11;control=9;listen=7", 0, 7, 9, 11, NULL},
    {"listen=2147483647", 0, INT_MAX, -1, -1, NULL},
    {NULL, -1, -1, -1, -1, "listen=N is missing"},
    {"", -1, -1, -1, -1, "listen=N is missing"},
    {"control=9", -1, -1, -1, -1, "listen=N is missing"},
    {"status=9", -1, -1, -1, -1, "listen=N is missing"},
    {"listen=2", -1, -1, -1, -1, "3 or more"},
    {"listen=0", -1, -1, -1, -1, "3 or more"},
    {"listen=7;control=1", -1, -1, -1, -1, "control must be"},
    {"listen=7;status=1", -1, -1, -1, -1, "status must be"},
    {"listen=", -1, -1, -1, -1, "3 or more"},
    {"listen", -1, -1, -1, -1, "is not KEY=N"},
    {"listen=-5", -1, -1, -1, -1, "3 or more"},
    {"listen=+5", -1, -1, -1, -1, "3 or more"},
    {"listen= 5", -1, -1, -1, -1, "3 or more"},
    {"listen=5x", -1, -1, -1, -1, "3 or more"},
    {"listen=5\n", -1, -1, -1, -1, "3 or more"},
    {"listen=2147483648", -1, -1, -1, -1, "3 or more"},
    {"listen=99999999999999999999", -1, -1, -1, -1, "3 or more"},
    {"listen=5;", -1, -1, -1, -1, "is not KEY=N"},
    {";listen=5", -1, -1, -1, -1, "is not KEY=N"},
    {"listen=5;;control=6", -1, -1, -1, -1, "is not KEY=N"},
    {"listen=5;listen=6", -1, -1, -1, -1, "listen is given twice"},
    {"listen=5;control=6;control=7", -1, -1, -1, -1, "control is given twice"},
    {"listen=5;status=6;status=7", -1, -1, -1, -1, "status is given twice"},
    {"listen=5;backlog=6", -1, -1, -1, -1, "unknown key \"backlog\""},
    {"Listen=5", -1, -1, -1, -1, "unknown key \"Listen\""},
    {"=5", -1, -1, -1, -1, "unknown key \"\""},
    {"listen=5;control=5", -1, -1, -1, -1, "the same descriptor"},
    {"listen=5;status=5", -1, -1, -1, -1, "the same descriptor"},
    {"listen=5;control=6;status=6", -1, -1, -1, -1, "the same descriptor"},
};

static void test_parse_fds(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fds_cases) / sizeof(fds_cases[0]); i++) {
        char err[256] = "";
        struct pf_inherit_fds fds = {-7, -7, -7};
        int rc = pf_inherit_parse_fds(fds_cases[i].value, &fds, err, sizeof(err));

        if (rc != fds_cases[i].rc || fds.listen != fds_cases[i].listen_fd ||
            fds.control != fds_cases[i].control_fd || fds.status != fds_cases[i].status_fd)
            fail_msg("case %zu (\"%s\"): rc %d listen %d control %d status %d, expected %d %d %d "
                     "%d (%s)",
                     i, fds_cases[i].value ? fds_cases[i].value : "NULL", rc, fds.listen,
                     fds.control, fds.status, fds_cases[i].rc, fds_cases[i].listen_fd,
                     fds_cases[i].control_fd, fds_cases[i].status_fd, err);
        if (rc < 0) {
            expect_err(err, PF_INHERIT_ENV "=");
            expect_err(err, fds_cases[i].err);
        }
    }
}

/* What format writes, parse reads back; a buffer one byte short fails. */
static void test_format_round_trip(void **state)
{
    static const struct pf_inherit_fds sets[] = {
        {3, -1, -1},      {7, 9, -1}, {9, 7, -1}, {INT_MAX, -1, -1},
        {3, INT_MAX, -1}, {3, -1, 8}, {3, 4, 5},
    };
    struct pf_inherit_fds back;
    char buf[64], err[256];
    int n;

    (void)state;
    assert_int_equal(pf_inherit_format_fds(buf, sizeof(buf), &(struct pf_inherit_fds){5, -1, -1}),
                     8);
    assert_string_equal(buf, "listen=5");
    assert_int_equal(pf_inherit_format_fds(buf, sizeof(buf), &(struct pf_inherit_fds){5, 6, -1}),
                     18);
    assert_string_equal(buf, "listen=5;control=6");
    assert_int_equal(pf_inherit_format_fds(buf, sizeof(buf), &(struct pf_inherit_fds){5, 6, 7}),
                     27);
    assert_string_equal(buf, "listen=5;control=6;status=7");
    assert_int_equal(pf_inherit_format_fds(buf, 18, &(struct pf_inherit_fds){5, 6, -1}), -1);
    assert_int_equal(pf_inherit_format_fds(buf, 19, &(struct pf_inherit_fds){5, 6, -1}), 18);
    assert_int_equal(pf_inherit_format_fds(buf, 8, &(struct pf_inherit_fds){5, -1, -1}), -1);
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        n = pf_inherit_format_fds(buf, sizeof(buf), &sets[i]);
        assert_int_equal(n, (int)strlen(buf));
        assert_int_equal(pf_inherit_parse_fds(buf, &back, err, sizeof(err)), 0);
        assert_memory_equal(&back, &sets[i], sizeof(back));
    }
}

/* A listening socket passes and comes out close-on-exec and non-blocking. */
static void test_check_listening(void **state)
{
    struct fixture *f = *state;
    int fd = tcp_listener(f);
    char err[256];

    assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    assert_int_equal(pf_inherit_check_listener(fd, err, sizeof(err)), 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

/* Each refusal names the descriptor and says why. */
static void expect_refused(int fd, const char *why)
{
    char err[256], want[128];

    assert_int_equal(pf_inherit_check_listener(fd, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "descriptor %d: %s", fd, why);
    assert_string_equal(err, want);
}

static void test_check_refuses(void **state)
{
    struct fixture *f = *state;
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int lfd = tcp_listener(f), conn, p[2], gone;

    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    conn = keep(f, socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    assert_int_equal(connect(conn, (struct sockaddr *)&sin, len), 0);
    expect_refused(conn, "not listening");
    expect_refused(keep(f, socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), "not a stream socket");
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    keep(f, p[0]);
    keep(f, p[1]);
    expect_refused(p[0], "not a socket");
    gone = dup(p[1]);
    assert_true(gone >= 0);
    close(gone);
    expect_refused(gone, "not open");
}

/* An upgrade's PREFORKD_FDS wins over socket activation's variables;
 * all of them are gone afterwards. */
static void test_take_upgrade(void **state)
{
    struct fixture *f = *state;
    struct pf_inherited in;
    char value[64], err[256];
    int high = keep(f, fcntl(tcp_listener(f), F_DUPFD, 200));

    assert_true(pf_inherit_format_fds(value, sizeof(value),
                                      &(struct pf_inherit_fds){high, -1, -1}) > 0);
    assert_int_equal(setenv(PF_INHERIT_ENV, value, 1), 0);
    snprintf(value, sizeof(value), "%ld", (long)getpid());
    assert_int_equal(setenv("LISTEN_PID", value, 1), 0);
    assert_int_equal(setenv("LISTEN_FDS", "2", 1), 0);
    assert_int_equal(setenv("LISTEN_FDNAMES", "a:b", 1), 0);
    assert_int_equal(pf_inherit_take(&in, err, sizeof(err)), 0);
    assert_int_equal(in.listen_fd, high);
    assert_int_equal(in.control_fd, -1);
    assert_int_equal(in.status_fd, -1);
    assert_false(in.from_systemd);
    assert_true(fcntl(high, F_GETFD) & FD_CLOEXEC);
    assert_null(getenv(PF_INHERIT_ENV));
    assert_null(getenv("LISTEN_PID"));
    assert_null(getenv("LISTEN_FDS"));
    assert_null(getenv("LISTEN_FDNAMES"));
}

/* Both descriptors checked: a control that is not a listener is refused. */
static void test_take_upgrade_refused(void **state)
{
    struct fixture *f = *state;
    struct pf_inherited in;
    char value[64], err[256], want[128];
    int lfd = tcp_listener(f), p[2];

    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    keep(f, p[0]);
    keep(f, p[1]);
    assert_true(pf_inherit_format_fds(value, sizeof(value),
                                      &(struct pf_inherit_fds){lfd, p[0], -1}) > 0);
    assert_int_equal(setenv(PF_INHERIT_ENV, value, 1), 0);
    assert_int_equal(pf_inherit_take(&in, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "descriptor %d: not a socket", p[0]);
    expect_err(err, want);
    assert_int_equal(in.listen_fd, -1);
    assert_null(getenv(PF_INHERIT_ENV));
    assert_int_equal(setenv(PF_INHERIT_ENV, "listen=x", 1), 0);
    assert_int_equal(pf_inherit_take(&in, err, sizeof(err)), -1);
    expect_err(err, PF_INHERIT_ENV "=\"listen=x\"");
    assert_null(getenv(PF_INHERIT_ENV));
}

/* Socket activation for us: LISTEN_PID our pid, LISTEN_FDS n. */
static void set_systemd(pid_t pid, const char *count)
{
    char text[32];

    snprintf(text, sizeof(text), "%ld", (long)pid);
    assert_int_equal(setenv("LISTEN_PID", text, 1), 0);
    assert_int_equal(setenv("LISTEN_FDS", count, 1), 0);
    assert_int_equal(setenv("LISTEN_FDNAMES", "preforkd.socket", 1), 0);
}

static void expect_systemd_unset(void)
{
    assert_null(getenv("LISTEN_PID"));
    assert_null(getenv("LISTEN_FDS"));
    assert_null(getenv("LISTEN_FDNAMES"));
}

static void test_take_systemd(void **state)
{
    struct fixture *f = *state;
    struct pf_inherited in;
    char err[256];

    assert_int_equal(dup2(tcp_listener(f), PF_INHERIT_SD_FIRST_FD), PF_INHERIT_SD_FIRST_FD);
    set_systemd(getpid(), "1");
    assert_int_equal(pf_inherit_take(&in, err, sizeof(err)), 0);
    assert_int_equal(in.listen_fd, PF_INHERIT_SD_FIRST_FD);
    assert_int_equal(in.control_fd, -1);
    assert_true(in.from_systemd);
    assert_true(fcntl(PF_INHERIT_SD_FIRST_FD, F_GETFD) & FD_CLOEXEC);
    expect_systemd_unset();
}

/* Descriptor 3 must itself be a listener. */
static void test_take_systemd_not_listener(void **state)
{
    struct fixture *f = *state;
    struct pf_inherited in;
    char err[256];
    int sock = keep(f, socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));

    assert_int_equal(dup2(sock, PF_INHERIT_SD_FIRST_FD), PF_INHERIT_SD_FIRST_FD);
    set_systemd(getpid(), "1");
    assert_int_equal(pf_inherit_take(&in, err, sizeof(err)), -1);
    assert_string_equal(err, "socket activation: descriptor 3: not a stream socket");
    assert_int_equal(in.listen_fd, -1);
    expect_systemd_unset();
}

static void test_take_systemd_two_refused(void **state)
{
    struct fixture *f = *state;
    struct pf_inherited in;
    char err[256];

    assert_int_equal(dup2(tcp_listener(f), PF_INHERIT_SD_FIRST_FD), PF_INHERIT_SD_FIRST_FD);
    set_systemd(getpid(), "2");
    assert_int_equal(pf_inherit_take(&in, err, sizeof(err)), -1);
    assert_string_equal(err, "socket activation: preforkd takes one listening socket, "
                             "LISTEN_FDS gives 2");
    assert_int_equal(in.listen_fd, -1);
    assert_false(in.from_systemd);
    expect_systemd_unset();
}

/* Another process's variables (leaked from a parent): ignored, unset. */
static void test_take_systemd_other_pid(void **state)
{
    struct fixture *f = *state;
    struct pf_inherited in;
    char err[256];

    assert_int_equal(dup2(tcp_listener(f), PF_INHERIT_SD_FIRST_FD), PF_INHERIT_SD_FIRST_FD);
    set_systemd(getpid() + 1, "1");
    assert_int_equal(pf_inherit_take(&in, err, sizeof(err)), 0);
    assert_int_equal(in.listen_fd, -1);
    assert_int_equal(in.control_fd, -1);
    assert_int_equal(in.status_fd, -1);
    assert_false(in.from_systemd);
    assert_int_equal(fcntl(PF_INHERIT_SD_FIRST_FD, F_GETFD) & FD_CLOEXEC, 0);
    expect_systemd_unset();
}

static void test_take_nothing(void **state)
{
    struct pf_inherited in = {.listen_fd = 5, .control_fd = 6, .from_systemd = true};
    char err[256];

    (void)state;
    assert_int_equal(pf_inherit_take(&in, err, sizeof(err)), 0);
    assert_int_equal(in.listen_fd, -1);
    assert_int_equal(in.control_fd, -1);
    assert_int_equal(in.status_fd, -1);
    assert_false(in.from_systemd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_systemd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_fds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_listening, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_upgrade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_upgrade_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_systemd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_systemd_not_listener, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_systemd_two_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_systemd_other_pid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_nothing, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
