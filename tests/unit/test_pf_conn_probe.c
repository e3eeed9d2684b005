/* Unit: pf_conn_probe against the kernel: real listeners and
 * connections on loopback, the socket table asked, this process's own
 * descriptors read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_conn_probe.h"

/* A listener on the loopback address of family, port chosen by the
 * kernel; its address into *a. */
static int listener(int family, struct sockaddr_storage *a)
{
    socklen_t len = sizeof(*a);
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    memset(a, 0, sizeof(*a));
    a->ss_family = (sa_family_t)family;
    if (family == AF_INET)
        ((struct sockaddr_in *)a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else
        ((struct sockaddr_in6 *)a)->sin6_addr = in6addr_loopback;
    assert_int_equal(bind(fd, (struct sockaddr *)a,
                          family == AF_INET ? sizeof(struct sockaddr_in)
                                            : sizeof(struct sockaddr_in6)),
                     0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
    return fd;
}

/* A client connected to a; its own address into *me. */
static int client(const struct sockaddr_storage *a, struct sockaddr_storage *me)
{
    socklen_t len = a->ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                            : sizeof(struct sockaddr_in6);
    int fd = socket(a->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (const struct sockaddr *)a, len), 0);
    len = sizeof(*me);
    assert_int_equal(getsockname(fd, (struct sockaddr *)me, &len), 0);
    return fd;
}

/* The connections of a listener, and how many this process holds. */
static size_t held_here(const struct sockaddr_storage *a, struct pf_conn_list *l,
                        const struct pf_conn_seen **first)
{
    char err[256];
    int n;

    if (pf_conn_probe_list((const struct sockaddr *)a, l, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    n = pf_conn_probe_held(getpid(), l, first, err, sizeof(err));
    if (n < 0)
        fail_msg("%s", err);
    return (size_t)n;
}

/* An accepted connection is listed with its peer (the client's address)
 * and found among this process's descriptors; the listener itself, the
 * client's side, a connection still in the accept queue and one closed
 * are not. */
static void check_family(int family)
{
    struct sockaddr_storage a, me, other_a, other_me;
    struct pf_conn_list l = {0};
    const struct pf_conn_seen *first;
    int lfd = listener(family, &a), other = listener(family, &other_a);
    int c1 = client(&a, &me), queued, s1, c2 = client(&other_a, &other_me), s2;

    assert_int_equal(held_here(&a, &l, &first), 0); /* c1 waits in the accept queue */
    assert_null(first);
    s1 = accept(lfd, NULL, NULL);
    assert_true(s1 >= 0);
    s2 = accept(other, NULL, NULL); /* another port: never listed */
    assert_true(s2 >= 0);
    queued = client(&a, &(struct sockaddr_storage){0});
    assert_int_equal(held_here(&a, &l, &first), 1);
    assert_int_equal(l.n, 1);
    assert_non_null(first);
    assert_int_equal(first->peer.ss_family, family);
    assert_int_equal(first->peer_len,
                     family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    assert_memory_equal(&first->peer, &me, first->peer_len);
    close(s1);
    assert_int_equal(held_here(&a, &l, &first), 0);
    pf_conn_list_free(&l);
    close(queued);
    close(c1);
    close(c2);
    close(s2);
    close(other);
    close(lfd);
}

static void test_ipv4(void **state)
{
    (void)state;
    check_family(AF_INET);
}

static void test_ipv6(void **state)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);

    (void)state;
    if (fd < 0) {
        skip(); /* no IPv6 on this machine */
        return;
    }
    close(fd);
    check_family(AF_INET6);
}

/* Several connections held at once: counted, the list sorted. */
static void test_many(void **state)
{
    struct sockaddr_storage a, me;
    struct pf_conn_list l = {0};
    const struct pf_conn_seen *first;
    int lfd = listener(AF_INET, &a), c[5], s[5];

    (void)state;
    for (int i = 0; i < 5; i++) {
        c[i] = client(&a, &me);
        s[i] = accept(lfd, NULL, NULL);
        assert_true(s[i] >= 0);
    }
    assert_int_equal(held_here(&a, &l, &first), 5);
    for (size_t i = 1; i < l.n; i++)
        assert_true(l.v[i - 1].inode < l.v[i].inode);
    for (size_t i = 0; i < l.n; i++)
        assert_ptr_equal(pf_conn_probe_find(&l, l.v[i].inode), &l.v[i]);
    assert_null(pf_conn_probe_find(&l, 0));
    assert_null(pf_conn_probe_find(&l, l.v[l.n - 1].inode + 1));
    pf_conn_list_free(&l);
    for (int i = 0; i < 5; i++) {
        close(c[i]);
        close(s[i]);
    }
    close(lfd);
}

/* A process that is not there: an error naming its /proc folder. */
static void test_gone(void **state)
{
    struct pf_conn_list l = {0};
    const struct pf_conn_seen *first;
    char err[256];

    (void)state;
    assert_int_equal(pf_conn_probe_held(999999999, &l, &first, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot read /proc/999999999/fd"));
}

/* Not a TCP/IP address: refused. */
static void test_not_inet(void **state)
{
    struct sockaddr_storage a = {.ss_family = AF_UNIX};
    struct pf_conn_list l = {0};
    char err[256];

    (void)state;
    assert_int_equal(pf_conn_probe_list((struct sockaddr *)&a, &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a TCP/IP address"));
}

/* Link texts: only a whole "socket:[digits]" gives an inode. */
static void test_socket_inode(void **state)
{
    static const struct {
        const char *link;
        uint64_t inode;
    } cases[] = {
        {"socket:[123]", 123},
        {"socket:[18446744073709551615]", UINT64_MAX},
        {"socket:[18446744073709551616]", 0}, /* overflows */
        {"socket:[]", 0},
        {"socket:[12", 0},
        {"socket:[12]x", 0},
        {"socket:[-1]", 0},
        {"socket:[ 1]", 0},
        {"pipe:[123]", 0},
        {"anon_inode:[eventpoll]", 0},
        {"/dev/null", 0},
        {"", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (pf_conn_probe_socket_inode(cases[i].link) != cases[i].inode)
            fail_msg("\"%s\": %llu, expected %llu", cases[i].link,
                     (unsigned long long)pf_conn_probe_socket_inode(cases[i].link),
                     (unsigned long long)cases[i].inode);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),     cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_many),     cmocka_unit_test(test_gone),
        cmocka_unit_test(test_not_inet), cmocka_unit_test(test_socket_inode),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
