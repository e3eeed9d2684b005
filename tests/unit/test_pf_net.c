/* Unit tests for pf_net: listening, and the I/O helpers' handling of short
 * counts, early close, stalls, a closed peer, and signals (EINTR).
 *
 * Each I/O scenario runs twice: over an AF_UNIX socketpair and over a
 * loopback TCP connection made with pf_net_listen/pf_net_connect. Helper
 * threads never call cmocka asserts (those longjmp); they record what they
 * saw and the main thread asserts after joining them. Threads are ordered
 * with pipes and by watching a thread's scheduler state, never by sleeping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pf_net.h"
#include "pf_time.h"

#define BIG_LEN (8u * 1024u * 1024u)
#define STALL_MS 200
#define LONG_MS 10000

/* Fixture: a connected stream pair; fd[0] is the side under test. */
struct pair {
    int fd[2];
};

/* Pattern byte i of a test stream, so a lost or repeated chunk shows. */
static unsigned char pattern_byte(size_t i)
{
    return (unsigned char)((i * 7u + i / 251u) & 0xffu);
}

/* A buffer of len pattern bytes (freed by the caller). */
static unsigned char *pattern_alloc(size_t len)
{
    unsigned char *b = malloc(len);

    if (b) {
        for (size_t i = 0; i < len; i++)
            b[i] = pattern_byte(i);
    }
    return b;
}

static int setup_unix(void **state)
{
    struct pair *p = malloc(sizeof(*p));

    if (!p || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fd) < 0) {
        free(p);
        return -1;
    }
    *state = p;
    return 0;
}

/* A listener on 127.0.0.1 with an ephemeral port; -1 on failure. */
static int listen_loopback(struct pf_addr *bound)
{
    struct pf_addr a;
    char err[256];
    int fd;

    if (pf_addr_parse("127.0.0.1:0", &a, err, sizeof(err)) < 0)
        return -1;
    fd = pf_net_listen(&a, 16, err, sizeof(err));
    if (fd >= 0 && pf_net_local_addr(fd, bound) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int setup_tcp(void **state)
{
    struct pair *p = malloc(sizeof(*p));
    struct pf_addr bound;
    char err[256];
    int lfd = listen_loopback(&bound);

    if (!p || lfd < 0) {
        free(p);
        return -1;
    }
    p->fd[0] = pf_net_connect(&bound, LONG_MS, err, sizeof(err));
    p->fd[1] = p->fd[0] < 0 ? -1 : accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    close(lfd);
    if (p->fd[1] < 0) {
        if (p->fd[0] >= 0)
            close(p->fd[0]);
        free(p);
        return -1;
    }
    *state = p;
    return 0;
}

/* Close whatever side a test left open. */
static int teardown_pair(void **state)
{
    struct pair *p = *state;

    for (int i = 0; i < 2; i++) {
        if (p->fd[i] >= 0)
            close(p->fd[i]);
    }
    free(p);
    return 0;
}

/* Close the peer side now (an early close or a vanished client). */
static void close_peer(struct pair *p)
{
    close(p->fd[1]);
    p->fd[1] = -1;
}

/* ---- helper threads ---------------------------------------------------- */

/* One side of a transfer done by a helper thread with plain send/recv in
 * pieces of at most piece bytes; err is the errno that stopped it, or 0. */
struct xfer {
    int fd;
    unsigned char *buf;
    size_t len;
    size_t piece;
    size_t done;
    int err;
};

/* Receive x->len bytes (or until EOF) in pieces; short counts are normal. */
static void *reader_thread(void *arg)
{
    struct xfer *x = arg;

    while (x->done < x->len) {
        size_t want = x->len - x->done < x->piece ? x->len - x->done : x->piece;
        ssize_t n = recv(x->fd, x->buf + x->done, want, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            x->err = n < 0 ? errno : 0;
            break;
        }
        x->done += (size_t)n;
    }
    return NULL;
}

/* Send x->len bytes as many small sends of 1..piece bytes, so the other
 * side sees them trickle in. */
static void *writer_thread(void *arg)
{
    struct xfer *x = arg;

    for (size_t k = 0; x->done < x->len; k++) {
        size_t want = 1 + k % x->piece;
        ssize_t n;

        if (want > x->len - x->done)
            want = x->len - x->done;
        n = send(x->fd, x->buf + x->done, want, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            x->err = errno;
            break;
        }
        x->done += (size_t)n;
    }
    return NULL;
}

/* Start fn(x) on a new thread; asserts in the main thread only. */
static pthread_t start_thread(void *(*fn)(void *), void *x)
{
    pthread_t t;

    assert_int_equal(pthread_create(&t, NULL, fn, x), 0);
    return t;
}

/* Wait for the helper thread t before asserting anything about r: when
 * the call under test failed early, shut the socket down first so the
 * thread's own send/recv ends instead of waiting for the missing bytes.
 * This keeps a failed assert from leaving a thread running into the next
 * test. Returns r. */
static enum pf_io settle(struct pair *p, enum pf_io r, pthread_t t)
{
    if (r != PF_IO_OK)
        shutdown(p->fd[0], SHUT_RDWR);
    assert_int_equal(pthread_join(t, NULL), 0);
    return r;
}

/* ---- send_all / recv_exact -------------------------------------------- */

/* 8 MiB in one send_all while a thread reads in odd-sized pieces: the
 * socket buffer is far smaller, so send_all must wait and resume after
 * short counts; every byte arrives once and in order. */
static void test_send_all_large(void **state)
{
    struct pair *p = *state;
    unsigned char *out = pattern_alloc(BIG_LEN);
    struct xfer x = {.fd = p->fd[1], .buf = malloc(BIG_LEN), .len = BIG_LEN, .piece = 65537};
    pthread_t t;

    assert_non_null(out);
    assert_non_null(x.buf);
    t = start_thread(reader_thread, &x);
    assert_int_equal(settle(p, pf_net_send_all(p->fd[0], out, BIG_LEN, LONG_MS), t), PF_IO_OK);
    assert_int_equal(x.err, 0);
    assert_int_equal(x.done, BIG_LEN);
    assert_memory_equal(x.buf, out, BIG_LEN);
    free(x.buf);
    free(out);
}

/* recv_exact gathers 256 KiB sent as thousands of 1..7 byte sends. */
static void test_recv_exact_pieces(void **state)
{
    struct pair *p = *state;
    size_t len = 256u * 1024u;
    unsigned char *in = malloc(len);
    struct xfer x = {.fd = p->fd[1], .buf = pattern_alloc(len), .len = len, .piece = 7};
    size_t got = 0;
    pthread_t t;

    assert_non_null(in);
    assert_non_null(x.buf);
    t = start_thread(writer_thread, &x);
    assert_int_equal(settle(p, pf_net_recv_exact(p->fd[0], in, len, LONG_MS, &got), t), PF_IO_OK);
    assert_int_equal(got, len);
    assert_int_equal(x.err, 0);
    assert_memory_equal(in, x.buf, len);
    free(x.buf);
    free(in);
}

/* The peer sends 100 of the 200 bytes asked for and closes: EOF, and got
 * tells the partial count. */
static void test_recv_exact_early_close(void **state)
{
    struct pair *p = *state;
    unsigned char *out = pattern_alloc(100);
    unsigned char in[200];
    size_t got = 999;

    assert_non_null(out);
    assert_int_equal(send(p->fd[1], out, 100, MSG_NOSIGNAL), 100);
    close_peer(p);
    assert_int_equal(pf_net_recv_exact(p->fd[0], in, sizeof(in), LONG_MS, &got), PF_IO_EOF);
    assert_int_equal(got, 100);
    assert_memory_equal(in, out, 100);
    free(out);
}

/* recv_exact of 0 bytes asks nothing and succeeds at once. */
static void test_recv_exact_zero(void **state)
{
    struct pair *p = *state;
    unsigned char in[1];
    size_t got = 999;

    assert_int_equal(pf_net_recv_exact(p->fd[0], in, 0, 0, &got), PF_IO_OK);
    assert_int_equal(got, 0);
    assert_int_equal(pf_net_recv_exact(p->fd[0], in, 0, 0, NULL), PF_IO_OK);
}

/* The peer sends 10 of 20 bytes and then stays silent: TIMEOUT with
 * got = 10 (what the call returns, not how long it took, is asserted). */
static void test_recv_exact_timeout(void **state)
{
    struct pair *p = *state;
    unsigned char in[20];
    size_t got = 999;

    assert_int_equal(send(p->fd[1], "0123456789", 10, MSG_NOSIGNAL), 10);
    assert_int_equal(pf_net_recv_exact(p->fd[0], in, sizeof(in), STALL_MS, &got), PF_IO_TIMEOUT);
    assert_int_equal(got, 10);
    assert_memory_equal(in, "0123456789", 10);
}

/* A peer that never reads: send_all of 8 MiB fills the buffers and then
 * times out instead of blocking for ever. */
static void test_send_all_timeout(void **state)
{
    struct pair *p = *state;
    unsigned char *out = pattern_alloc(BIG_LEN);

    assert_non_null(out);
    assert_int_equal(pf_net_send_all(p->fd[0], out, BIG_LEN, STALL_MS), PF_IO_TIMEOUT);
    free(out);
}

/* A peer that trickles one byte every 10 ms cannot stretch the timeout:
 * the deadline covers the whole call, so 1000 bytes (10 s of trickle)
 * time out with part of them received. The sleep paces the peer; it does
 * not order anything. */
struct trickle {
    int fd;
    atomic_bool stop;
};

static void *trickle_thread(void *arg)
{
    struct trickle *tr = arg;
    const struct timespec pace = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

    while (!atomic_load(&tr->stop)) {
        if (send(tr->fd, "x", 1, MSG_NOSIGNAL) != 1)
            break;
        nanosleep(&pace, NULL);
    }
    return NULL;
}

static void test_recv_exact_trickle_deadline(void **state)
{
    struct pair *p = *state;
    struct trickle tr = {.fd = p->fd[1]};
    unsigned char in[1000];
    size_t got = 0;
    enum pf_io r;
    pthread_t t;

    atomic_init(&tr.stop, false);
    t = start_thread(trickle_thread, &tr);
    r = pf_net_recv_exact(p->fd[0], in, sizeof(in), STALL_MS, &got);
    atomic_store(&tr.stop, true);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r, PF_IO_TIMEOUT);
    assert_true(got < sizeof(in));
}

/* Sending to a closed peer fails with PF_IO_ERROR and EPIPE or ECONNRESET;
 * SIGPIPE is left at its default (main), so a raised one kills the test. */
static void test_send_closed_peer(void **state)
{
    struct pair *p = *state;
    unsigned char *out = pattern_alloc(BIG_LEN);

    assert_non_null(out);
    close_peer(p);
    errno = 0;
    assert_int_equal(pf_net_send_all(p->fd[0], out, BIG_LEN, LONG_MS), PF_IO_ERROR);
    assert_true(errno == EPIPE || errno == ECONNRESET);
    free(out);
}

/* A peer that never reads: the counted send stops at the timeout and
 * says how much went into the buffers, more than nothing and less than
 * all; a peer gone makes it fail with the count so far. */
static void test_send_counted(void **state)
{
    struct pair *p = *state;
    unsigned char *out = pattern_alloc(BIG_LEN);
    size_t sent = 1;

    assert_non_null(out);
    assert_int_equal(pf_net_send_flags_until(p->fd[0], out, BIG_LEN, 0, pf_time_deadline(STALL_MS),
                                             &sent),
                     PF_IO_TIMEOUT);
    assert_true(sent > 0 && sent < BIG_LEN);
    assert_int_equal(pf_net_send_flags_until(p->fd[0], out, 0, 0, -1, &sent), PF_IO_OK);
    assert_int_equal(sent, 0);
    close_peer(p);
    assert_int_equal(pf_net_send_flags_until(p->fd[0], out, BIG_LEN, 0, -1, &sent), PF_IO_ERROR);
    assert_true(errno == EPIPE || errno == ECONNRESET);
    assert_true(sent < BIG_LEN);
    free(out);
}

/* sendfile to a peer that never reads: the count at the timeout; to a
 * peer gone: an error; past the file's end: EOF with what was there. */
static void test_sendfile_counted(void **state)
{
    struct pair *p = *state;
    char path[] = "/tmp/pf_net_sendfile.XXXXXX";
    int fd = mkstemp(path);
    off_t sent = -1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    /* workers sendfile to TCP; to an AF_UNIX socket it may block whatever
     * O_NONBLOCK says */
    assert_int_equal(getsockname(p->fd[0], (struct sockaddr *)&ss, &sl), 0);
    if (ss.ss_family == AF_UNIX) {
        close(fd);
        unlink(path);
        skip();
    }
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(ftruncate(fd, BIG_LEN), 0);
    /* as a worker's connections are: sendfile must not block */
    assert_int_equal(fcntl(p->fd[0], F_SETFL, fcntl(p->fd[0], F_GETFL) | O_NONBLOCK), 0);
    assert_int_equal(pf_net_sendfile(p->fd[0], fd, 0, BIG_LEN, STALL_MS, &sent), PF_IO_TIMEOUT);
    assert_true(sent > 0 && sent < (off_t)BIG_LEN);
    close_peer(p);
    assert_int_equal(pf_net_sendfile(p->fd[0], fd, 0, BIG_LEN, STALL_MS, &sent), PF_IO_ERROR);
    close(fd);
}

/* ---- EINTR --------------------------------------------------------------- */

static atomic_int signals_handled;

/* No-op handler; counting lets the signalling thread pace itself. */
static void count_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals_handled, 1);
}

/* Install the handler WITHOUT SA_RESTART, so a signal makes a blocked
 * poll/recv/send fail with EINTR instead of being restarted by the kernel. */
static void install_no_restart_handler(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
}

/* Scheduler state of thread tid ('S' = sleeping, 'R' = running), from
 * /proc; '?' if unreadable. */
static char thread_state(pid_t tid)
{
    char path[64], line[512];
    char *close_paren;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/task/%ld/stat", (long)tid);
    f = fopen(path, "r");
    if (!f)
        return '?';
    close_paren = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
    fclose(f);
    return close_paren && close_paren[1] == ' ' ? close_paren[2] : '?';
}

/* Spin (yielding) until tid sleeps, within a deadline. Returns 0 or -1. */
static int wait_until_sleeping(pid_t tid, int64_t deadline)
{
    while (thread_state(tid) != 'S') {
        if (pf_time_now_ms() > deadline)
            return -1;
        sched_yield();
    }
    return 0;
}

/* What the signalling thread does: wait for the go (pipe) written just
 * before the target enters the helper, then ROUNDS times: wait until it sleeps inside
 * it, signal it, wait for the handler to have run. Then do the peer's side
 * of the transfer (x, with fn) so the helper can complete. */
#define ROUNDS 5

struct interrupter {
    pthread_t target;
    pid_t target_tid;
    int ready[2]; /* target -> interrupter: "entering the helper now" */
    void *(*peer_fn)(void *);
    struct xfer x;
    int failed; /* the target never slept, or a signal was not handled */
};

/* Send one signal to a sleeping target and wait until it was handled. */
static int interrupt_once(struct interrupter *in, int64_t deadline)
{
    int before = atomic_load(&signals_handled);

    if (wait_until_sleeping(in->target_tid, deadline) < 0)
        return -1;
    if (pthread_kill(in->target, SIGUSR1) != 0)
        return -1;
    while (atomic_load(&signals_handled) == before) {
        if (pf_time_now_ms() > deadline)
            return -1;
        sched_yield();
    }
    return 0;
}

static void *interrupter_thread(void *arg)
{
    struct interrupter *in = arg;
    int64_t deadline = pf_time_deadline(LONG_MS);
    char c;

    if (read(in->ready[0], &c, 1) != 1)
        in->failed = 1;
    for (int i = 0; i < ROUNDS && !in->failed; i++) {
        if (interrupt_once(in, deadline) < 0)
            in->failed = 1;
    }
    in->peer_fn(&in->x);
    return NULL;
}

/* Start the interrupter aimed at the calling thread and tell it to begin:
 * the caller must call the helper under test right after this returns. */
static pthread_t start_interrupter(struct interrupter *in)
{
    pthread_t t;

    install_no_restart_handler();
    atomic_store(&signals_handled, 0);
    assert_int_equal(pipe2(in->ready, O_CLOEXEC), 0);
    in->target = pthread_self();
    in->target_tid = (pid_t)syscall(SYS_gettid);
    t = start_thread(interrupter_thread, in);
    assert_int_equal(write(in->ready[1], "g", 1), 1);
    return t;
}

/* Join the interrupter (see settle), then check the helper's result r and
 * that every signal was delivered while the target slept inside it. */
static void finish_interrupter(struct pair *p, enum pf_io r, struct interrupter *in, pthread_t t)
{
    settle(p, r, t);
    close(in->ready[0]);
    close(in->ready[1]);
    assert_int_equal(r, PF_IO_OK);
    assert_int_equal(in->failed, 0);
    assert_int_equal(atomic_load(&signals_handled), ROUNDS);
    assert_int_equal(in->x.err, 0);
}

/* recv_exact is interrupted ROUNDS times while waiting for data, then gets
 * all of it: EINTR is retried, not reported. */
static void test_recv_exact_eintr(void **state)
{
    struct pair *p = *state;
    size_t len = 64u * 1024u;
    unsigned char *in = malloc(len);
    struct interrupter intr = {
        .peer_fn = writer_thread,
        .x = {.fd = p->fd[1], .buf = pattern_alloc(len), .len = len, .piece = 4096}};
    size_t got = 0;
    enum pf_io r;
    pthread_t t;

    assert_non_null(in);
    assert_non_null(intr.x.buf);
    t = start_interrupter(&intr);
    r = pf_net_recv_exact(p->fd[0], in, len, LONG_MS, &got);
    finish_interrupter(p, r, &intr, t);
    assert_int_equal(got, len);
    assert_memory_equal(in, intr.x.buf, len);
    free(intr.x.buf);
    free(in);
}

/* send_all is interrupted ROUNDS times while waiting for room (the peer
 * reads nothing yet), then the peer drains and every byte gets through. */
static void test_send_all_eintr(void **state)
{
    struct pair *p = *state;
    unsigned char *out = pattern_alloc(BIG_LEN);
    struct interrupter intr = {
        .peer_fn = reader_thread,
        .x = {.fd = p->fd[1], .buf = malloc(BIG_LEN), .len = BIG_LEN, .piece = 65536}};
    enum pf_io r;
    pthread_t t;

    assert_non_null(out);
    assert_non_null(intr.x.buf);
    t = start_interrupter(&intr);
    r = pf_net_send_all(p->fd[0], out, BIG_LEN, LONG_MS);
    finish_interrupter(p, r, &intr, t);
    assert_int_equal(intr.x.done, BIG_LEN);
    assert_memory_equal(intr.x.buf, out, BIG_LEN);
    free(intr.x.buf);
    free(out);
}

/* ---- listening ----------------------------------------------------------- */

/* Port 0 gets a real ephemeral port, reported by pf_net_local_addr; the
 * listener is non-blocking and close-on-exec as documented. */
static void test_listen_port_zero(void **state)
{
    struct pf_addr bound;
    int fd;

    (void)state;
    fd = listen_loopback(&bound);
    assert_true(fd >= 0);
    assert_int_equal(bound.ss.ss_family, AF_INET);
    assert_int_not_equal(pf_addr_port((struct sockaddr *)&bound.ss), 0);
    assert_true(pf_addr_is_loopback((struct sockaddr *)&bound.ss));
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}

/* A second listener on the same address and port fails with a reason
 * naming the address. */
static void test_listen_in_use(void **state)
{
    struct pf_addr bound;
    char err[256] = "";
    char text[PF_ADDR_STRLEN];
    int fd, fd2;

    (void)state;
    fd = listen_loopback(&bound);
    assert_true(fd >= 0);
    fd2 = pf_net_listen(&bound, 16, err, sizeof(err));
    assert_int_equal(fd2, -1);
    assert_non_null(strstr(err, "cannot listen on"));
    pf_addr_format((struct sockaddr *)&bound.ss, text, sizeof(text));
    assert_non_null(strstr(err, text));
    close(fd);
}

/* Run f once over each kind of pair, named so a failure says which. */
#define PAIR_TEST(f, kind) \
    { \
#f " (" #kind ")", f, setup_##kind, teardown_pair, NULL \
    }
#define PAIR_TESTS(f) PAIR_TEST(f, unix), PAIR_TEST(f, tcp)

int main(void)
{
    const struct CMUnitTest tests[] = {
        PAIR_TESTS(test_send_all_large),
        PAIR_TESTS(test_recv_exact_pieces),
        PAIR_TESTS(test_recv_exact_early_close),
        PAIR_TESTS(test_recv_exact_zero),
        PAIR_TESTS(test_recv_exact_timeout),
        PAIR_TESTS(test_send_all_timeout),
        PAIR_TESTS(test_recv_exact_trickle_deadline),
        PAIR_TESTS(test_send_closed_peer),
        PAIR_TESTS(test_send_counted),
        PAIR_TESTS(test_sendfile_counted),
        PAIR_TESTS(test_recv_exact_eintr),
        PAIR_TESTS(test_send_all_eintr),
        cmocka_unit_test(test_listen_port_zero),
        cmocka_unit_test(test_listen_in_use),
    };

    /* A SIGPIPE raised by a helper must kill the test, not be ignored. */
    signal(SIGPIPE, SIG_DFL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
