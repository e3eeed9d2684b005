/* Unit tests for pf_notify_sock: the notify socket opened in the abstract
 * namespace, datagrams received with their sender's pid; a datagram too
 * long, one that does not parse, and the descriptors one carries are
 * dropped or closed, never kept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pf_err.h"
#include "pf_notify_sock.h"

/* A datagram to n's name, with fd attached when fd >= 0. */
static void send_to(const struct pf_notify_sock *n, const void *buf, size_t len, int fd)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t nl = strlen(n->name);
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr mh = {.msg_name = &sa,
                        .msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + nl),
                        .msg_iov = &iov,
                        .msg_iovlen = 1};
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    assert_true(s >= 0);
    memcpy(sa.sun_path + 1, n->name + 1, nl - 1);
    if (fd >= 0) {
        struct cmsghdr *c;

        mh.msg_control = ctl.b;
        mh.msg_controllen = sizeof(ctl.b);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    assert_int_equal(sendmsg(s, &mh, 0), (ssize_t)len);
    close(s);
}

static void test_receive(void **state)
{
    static char big[PF_NOTIFY_MAX + 10];
    struct pf_notify_sock n;
    struct pf_notify_msg m;
    char err[PF_ERR_MAX];
    pid_t pid;
    int pipefd[2];

    (void)state;
    assert_int_equal(pf_notify_sock_open(&n, err, sizeof(err)), 0);
    assert_int_equal(n.name[0], '@');
    assert_int_equal(pf_notify_sock_recv(&n, &pid, &m, err, sizeof(err)), 0); /* none yet */

    send_to(&n, "READY=1\nSTATUS=up", 17, -1);
    assert_int_equal(pf_notify_sock_recv(&n, &pid, &m, err, sizeof(err)), 1);
    assert_int_equal(pid, getpid());
    assert_int_equal(m.said, PF_NOTIFY_READY | PF_NOTIFY_STATUS);
    assert_string_equal(m.status, "up");

    memset(big, 'a', sizeof(big));
    memcpy(big, "STATUS=", 7);
    send_to(&n, big, sizeof(big), -1);
    assert_int_equal(pf_notify_sock_recv(&n, &pid, &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than 4096"));
    assert_int_equal(pid, getpid());

    send_to(&n, "nonsense", 8, -1);
    assert_int_equal(pf_notify_sock_recv(&n, &pid, &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not NAME=value"));
    assert_int_equal(n.bad, 2);

    assert_int_equal(pipe(pipefd), 0);
    send_to(&n, "FDSTORE=1", 9, pipefd[0]);
    close(pipefd[0]);
    assert_int_equal(pf_notify_sock_recv(&n, &pid, &m, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "closed"));
    /* the copy the socket gave was closed: the pipe has no reader left */
    assert_int_equal(write(pipefd[1], "x", 1), -1);
    close(pipefd[1]);
    pf_notify_sock_close(&n);
    assert_int_equal(n.fd, -1);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receive),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
