/* Integration: running under systemd, as systemd would run preforkd.
 *
 *  - socket activation: a listening socket handed over as descriptor 3
 *    with LISTEN_PID/LISTEN_FDS is served instead of binding `listen`;
 *    variables meant for another process are ignored; a descriptor that
 *    is not a listening socket fails the start-up with the reason;
 *  - sd_notify: on a NOTIFY_SOCKET the test listens on, the master says
 *    READY=1 (with its MAINPID) once its workers accept, RELOADING=1 then
 *    READY=1 around a reload, STOPPING=1 when it stops; with a notify
 *    socket, -d does not detach.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_time.h"

/* How the test starts preforkd (as systemd would). */
struct launch {
    int sock;           /* handed over as fd 3; -1 none */
    const char *pid;    /* LISTEN_PID: NULL = the child's own pid */
    const char *notify; /* NOTIFY_SOCKET, or NULL */
    bool daemon;        /* pass -d */
};

/* In the child: the environment and descriptors of launch l, then exec. */
static void __attribute__((noreturn)) launch_exec(struct pf_server *s, const struct launch *l)
{
    int log = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null = open("/dev/null", O_RDONLY);
    char num[32];
    sigset_t none;

    if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
        _exit(126);
    if (l->sock >= 0) {
        /* dup2 onto itself keeps close-on-exec: clear it then */
        if (l->sock == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(l->sock, 3) < 0)
            _exit(126);
        snprintf(num, sizeof(num), "%ld", (long)getpid());
        setenv("LISTEN_PID", l->pid ? l->pid : num, 1);
        setenv("LISTEN_FDS", "1", 1);
    }
    if (l->notify)
        setenv("NOTIFY_SOCKET", l->notify, 1);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (chdir(s->dir) < 0)
        _exit(126);
    execl(PF_TEST_BINARY, PF_TEST_BINARY, "-c", s->config_path, l->daemon ? "-d" : NULL,
          (char *)NULL);
    _exit(127);
}

/* Write the config (echo, 2 workers, the log at s->log_path when daemon)
 * and start preforkd as l says; s->pid is the child. */
static void launch(struct pf_server *s, const struct launch *l, const char *listen)
{
    struct pf_h_config c;
    char body[4096];

    pf_h_config_defaults(&c);
    c.listen = listen ? listen : "127.0.0.1:0";
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    s->reaped = false;
    s->wait_status = -1;
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0)
        launch_exec(s, l);
}

/* Wait for the "listening on ADDR" line and point s at ADDR. */
static void wait_listening(struct pf_server *s)
{
    assert_int_equal(pf_h_wait_log(s, "listening on ", PF_H_START_MS), 0);
    assert_int_equal(pf_h_find_listening(s), 0);
}

/* A listening TCP socket on 127.0.0.1 (port from the kernel), its
 * address in text. */
static int listening_socket(char *text, size_t size)
{
    struct pf_addr a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(pf_addr_parse("127.0.0.1:0", &a, NULL, 0), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a.ss, a.len), 0);
    assert_int_equal(listen(fd, 16), 0);
    a.len = sizeof(a.ss);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a.ss, &a.len), 0);
    pf_addr_format((struct sockaddr *)&a.ss, text, size);
    return fd;
}

PF_H_TEST(test_socket_activation_serves_the_socket_handed_over)
{
    char mine[PF_ADDR_STRLEN];
    int fd = listening_socket(mine, sizeof(mine));

    launch(s, &(struct launch){.sock = fd}, NULL);
    wait_listening(s);
    assert_string_equal(s->addr_text, mine);
    assert_true(pf_h_log_contains(s, "handed over by systemd (socket activation)"));
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_check_serves(s), 0);
    close(fd); /* preforkd's copy keeps it listening */
    assert_int_equal(pf_h_check_serves(s), 0);
}

/* LISTEN_PID names another process (variables a parent leaked): they are
 * not for us, and preforkd binds its own `listen`. */
PF_H_TEST(test_socket_activation_for_another_pid_is_ignored)
{
    char mine[PF_ADDR_STRLEN];
    int fd = listening_socket(mine, sizeof(mine));

    launch(s, &(struct launch){.sock = fd, .pid = "1"}, NULL);
    wait_listening(s);
    assert_string_not_equal(s->addr_text, mine);
    assert_false(pf_h_log_contains(s, "handed over"));
    assert_int_equal(pf_h_check_serves(s), 0);
    close(fd);
}

/* Descriptor 3 is not a listening socket: start-up fails saying so. */
PF_H_TEST(test_socket_activation_refuses_a_non_socket)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int status;
    char *log;

    launch(s, &(struct launch){.sock = fd}, NULL);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 1));
    log = pf_h_log_read(s);
    if (strstr(log, "descriptor 3: not a socket") == NULL)
        fail_msg("log: %s", log);
    free(log);
    close(fd);
}

/* A datagram socket at dir/notify.sock, as systemd listens. */
static int notify_socket(struct pf_server *s, char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    assert_int_equal(pf_h_path(path, s, "notify.sock"), 0);
    assert_true(strlen(path) < sizeof(sun.sun_path));
    memcpy(sun.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    return fd;
}

/* The next datagram, within PF_H_WAIT_MS, as a string. */
static void next_state(int fd, char *buf, size_t size)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n;

    assert_int_equal(poll(&p, 1, PF_H_WAIT_MS), 1);
    n = recv(fd, buf, size - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
}

/* READY=1 with MAINPID, once the workers accept. */
static void expect_ready(struct pf_server *s, int fd)
{
    char buf[512], want[64];

    next_state(fd, buf, sizeof(buf));
    snprintf(want, sizeof(want), "READY=1\nMAINPID=%ld\nSTATUS=serving on ", (long)s->pid);
    if (strncmp(buf, want, strlen(want)) != 0)
        fail_msg("got \"%s\", expected \"%s...\"", buf, want);
    assert_non_null(strstr(buf, "with 2 workers"));
    assert_true(pf_h_log_contains(s, "ready: 2 workers accepting"));
}

static void check_notify(struct pf_server *s, bool daemon)
{
    char path[PATH_MAX], buf[512];
    int fd = notify_socket(s, path);
    unsigned long long usec, now;
    struct timespec ts;
    int status;

    launch(s, &(struct launch){.sock = -1, .notify = path, .daemon = daemon}, NULL);
    wait_listening(s);
    expect_ready(s, fd);

    assert_int_equal(pf_h_signal(s, SIGHUP), 0);
    next_state(fd, buf, sizeof(buf));
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
    assert_int_equal(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu", &usec), 1);
    assert_true(usec <= now && usec + 10000000ULL > now);
    next_state(fd, buf, sizeof(buf));
    assert_string_equal(buf, "READY=1\nSTATUS=reloaded");

    assert_int_equal(pf_h_signal(s, SIGTERM), 0);
    next_state(fd, buf, sizeof(buf));
    assert_string_equal(buf, "STOPPING=1");
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    close(fd);
}

PF_H_TEST(test_notify_ready_reloading_stopping)
{
    check_notify(s, false);
}

/* Under systemd -d does not detach: the master stays the process systemd
 * started (it would otherwise lose track of the main pid). */
PF_H_TEST(test_notify_keeps_daemon_mode_in_the_foreground)
{
    check_notify(s, true);
    assert_true(pf_h_log_contains(s, "-d ignored: systemd supervises this process"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PF_H_CASE(test_socket_activation_serves_the_socket_handed_over),
        PF_H_CASE(test_socket_activation_for_another_pid_is_ignored),
        PF_H_CASE(test_socket_activation_refuses_a_non_socket),
        PF_H_CASE(test_notify_ready_reloading_stopping),
        PF_H_CASE(test_notify_keeps_daemon_mode_in_the_foreground),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
