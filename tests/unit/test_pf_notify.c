/* Unit tests for pf_notify: the test plays systemd, with a datagram
 * socket of its own (at a path in a temp folder, or in the abstract
 * namespace) named in $NOTIFY_SOCKET, and reads what pf_notify sent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pf_notify.h"

#define WAIT_MS 5000 /* the longest a datagram may take to arrive */

struct fixture {
    char dir[64];
    char path[128]; /* the socket's path, or its "@name" */
    int fd;         /* the test's receiving socket */
};

/* Fixture: an empty temp dir, no receiving socket yet, no NOTIFY_SOCKET. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/pf_notify.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    f->fd = -1;
    unsetenv("NOTIFY_SOCKET");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[160];

    unsetenv("NOTIFY_SOCKET");
    if (f->fd >= 0)
        close(f->fd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Bind the receiving socket to f->path ("@name": abstract, the length
 * counting the name's bytes only) and name it in NOTIFY_SOCKET. */
static void listen_at(struct fixture *f)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    size_t n = strlen(f->path);

    assert_true(n < sizeof(sun.sun_path));
    memcpy(sun.sun_path, f->path, n);
    if (f->path[0] == '@')
        sun.sun_path[0] = '\0';
    f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(f->fd >= 0);
    assert_int_equal(bind(f->fd, (struct sockaddr *)&sun,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
                     0);
    assert_int_equal(setenv("NOTIFY_SOCKET", f->path, 1), 0);
}

/* The next datagram (within WAIT_MS) must be exactly want (len bytes). */
static void expect_datagram(struct fixture *f, const char *want, size_t len)
{
    static char buf[8192];
    struct pollfd p = {.fd = f->fd, .events = POLLIN};
    ssize_t n;

    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT);
    assert_int_equal(n, (ssize_t)len);
    assert_memory_equal(buf, want, len);
}

/* No datagram waiting. */
static void expect_nothing(struct fixture *f)
{
    char buf[64];

    assert_int_equal(recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Unset or empty: nothing to do, nothing sent (the socket exists but is
 * not named, so it must stay empty). */
static void test_unset_or_empty_does_nothing(void **state)
{
    struct fixture *f = *state;

    snprintf(f->path, sizeof(f->path), "%s/notify", f->dir);
    listen_at(f);
    unsetenv("NOTIFY_SOCKET");
    assert_false(pf_notify_enabled());
    assert_int_equal(pf_notify("READY=1"), 0);
    assert_int_equal(pf_notify_printf("STATUS=%d", 1), 0);
    assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
    assert_false(pf_notify_enabled());
    assert_int_equal(pf_notify("READY=1"), 0);
    assert_int_equal(pf_notify_printf("STATUS=%d", 2), 0);
    expect_nothing(f);
}

static void test_path_socket(void **state)
{
    struct fixture *f = *state;
    static const char state_text[] = "READY=1\nSTATUS=x";

    snprintf(f->path, sizeof(f->path), "%s/notify", f->dir);
    listen_at(f);
    assert_true(pf_notify_enabled());
    assert_int_equal(pf_notify(state_text), 1);
    expect_datagram(f, state_text, strlen(state_text));
    expect_nothing(f);
}

/* "@name": the datagram reaches a socket bound to exactly that abstract
 * name (a length counting a trailing 0 would name another socket). */
static void test_abstract_socket(void **state)
{
    struct fixture *f = *state;
    unsigned int r = 0;

    assert_int_equal(getrandom(&r, sizeof(r), 0), sizeof(r));
    snprintf(f->path, sizeof(f->path), "@pf-test-%ld-%08x", (long)getpid(), r);
    listen_at(f);
    assert_int_equal(pf_notify("STOPPING=1"), 1);
    expect_datagram(f, "STOPPING=1", strlen("STOPPING=1"));
}

/* Malformed names are EINVAL; a path nobody listens on fails too. */
static void test_malformed_or_absent(void **state)
{
    struct fixture *f = *state;
    char name[300];
    const char *bad[] = {"relative/notify", "notify", "@", "/", name};

    memset(name, 'a', sizeof(name) - 1);
    name[0] = '/';
    name[sizeof(name) - 1] = '\0';
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(setenv("NOTIFY_SOCKET", bad[i], 1), 0);
        errno = 0;
        assert_int_equal(pf_notify("READY=1"), -1);
        if (errno != EINVAL)
            fail_msg("\"%.20s\": errno %d, expected EINVAL", bad[i], errno);
    }
    name[0] = '@';
    assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
    assert_int_equal(pf_notify("READY=1"), -1);
    assert_int_equal(errno, EINVAL);
    snprintf(f->path, sizeof(f->path), "%s/nobody", f->dir);
    assert_int_equal(setenv("NOTIFY_SOCKET", f->path, 1), 0);
    assert_int_equal(pf_notify("READY=1"), -1);
    assert_int_equal(errno, ENOENT);
}

/* pf_notify_printf formats, and cuts a state beyond 4 KiB to 4 KiB. */
static void test_notifyf(void **state)
{
    struct fixture *f = *state;
    static const char short_text[] = "MAINPID=42\nSTATUS=ready, 4 workers";
    static char big[6000], want[4097];
    int bufsize = 64 * 1024;

    snprintf(f->path, sizeof(f->path), "%s/notify", f->dir);
    listen_at(f);
    assert_int_equal(setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)), 0);
    assert_int_equal(pf_notify_printf("MAINPID=%d\nSTATUS=%s, %u workers", 42, "ready", 4u), 1);
    expect_datagram(f, short_text, strlen(short_text));
    memset(big, 'x', sizeof(big) - 1);
    assert_int_equal(pf_notify_printf("STATUS=%s", big), 1);
    memcpy(want, "STATUS=", 7);
    memcpy(want + 7, big, 4096 - 7);
    expect_datagram(f, want, 4096);
}

static unsigned long long now_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

static void test_monotonic_usec(void **state)
{
    unsigned long long before, got, after;

    (void)state;
    before = now_usec();
    got = pf_notify_monotonic_usec();
    after = now_usec();
    assert_true(before <= got);
    assert_true(got <= after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unset_or_empty_does_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abstract_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_or_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifyf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monotonic_usec, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
