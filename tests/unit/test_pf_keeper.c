/* Unit tests for pf_keeper: a real keeper process, forked here, given
 * connections over its park socket as a worker gives them, watched on its
 * ready socket as the idle workers watch it, and through its counters (in
 * shared memory, as the master reads them). Connections are unix stream
 * pairs: the keeper only needs a socket. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_err.h"
#include "pf_handoff.h"
#include "pf_keeper.h"
#include "pf_time.h"

#define WAIT_MS 5000 /* bound of every wait */
#define STEP_US 2000

struct fx {
    int park[2];  /* [0] ours (a worker's end), [1] the keeper's */
    int ready[2]; /* [0] the keeper's, [1] ours (the idle workers' end) */
    int life[2];  /* [0] the keeper's, [1] ours (the master's end) */
    pid_t pid;
    struct pf_keeper_counts *n;
};

static uint8_t buf[PF_HANDOFF_MSG_MAX];

static void fx_start(struct fx *f, size_t max_parked, int ready_sndbuf)
{
    struct pf_keeper_args a;

    memset(f, 0, sizeof(*f));
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->park), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->ready), 0);
    assert_int_equal(pipe2(f->life, O_CLOEXEC), 0);
    if (ready_sndbuf > 0)
        assert_int_equal(setsockopt(f->ready[0], SOL_SOCKET, SO_SNDBUF, &ready_sndbuf,
                                    sizeof(ready_sndbuf)),
                         0);
    f->n = mmap(NULL, sizeof(*f->n), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(f->n != MAP_FAILED);
    a = (struct pf_keeper_args){.park_fd = f->park[1],
                                .ready_fd = f->ready[0],
                                .lifeline_fd = f->life[0],
                                .max_parked = max_parked};
    f->pid = fork();
    assert_true(f->pid >= 0);
    if (f->pid == 0) {
        close(f->park[0]);
        close(f->ready[1]);
        close(f->life[1]);
        _exit(pf_keeper_run(&a, f->n));
    }
    close(f->park[1]);
    close(f->ready[0]);
    close(f->life[0]);
}

/* The keeper's exit status, waited for at most WAIT_MS (then killed and
 * the test failed). */
static int fx_reap(struct fx *f)
{
    int64_t deadline = pf_time_now_ms() + WAIT_MS;
    int status;

    while (waitpid(f->pid, &status, WNOHANG) == 0) {
        if (pf_time_now_ms() > deadline) {
            kill(f->pid, SIGKILL);
            waitpid(f->pid, &status, 0);
            fail_msg("the keeper did not exit");
        }
        usleep(STEP_US);
    }
    f->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The master goes: the keeper exits 0. */
static void fx_stop(struct fx *f)
{
    if (f->life[1] >= 0)
        close(f->life[1]);
    f->life[1] = -1;
    if (f->pid > 0)
        assert_int_equal(fx_reap(f), 0);
    close(f->park[0]);
    close(f->ready[1]);
    munmap(f->n, sizeof(*f->n));
}

/* Wait until the counter c reaches want. */
static void wait_count(_Atomic uint64_t *c, uint64_t want, const char *what)
{
    int64_t deadline = pf_time_now_ms() + WAIT_MS;

    while (atomic_load(c) != want) {
        if (pf_time_now_ms() > deadline)
            fail_msg("%s: %llu, not %llu", what, (unsigned long long)atomic_load(c),
                     (unsigned long long)want);
        usleep(STEP_US);
    }
}

/* A state for a connection: idle (deadline in idle_ms) or with a request
 * begun (bytes, deadline in head_ms); -1: no deadline. */
static struct pf_handoff state(unsigned flags, int idle_ms, int head_ms, const char *bytes,
                               uint32_t requests)
{
    int64_t now = pf_time_now_ms();
    struct pf_handoff h = {.flags = flags,
                           .protocol = "http",
                           .requests = requests,
                           .idle_deadline_ms = idle_ms < 0 ? -1 : now + idle_ms,
                           .head_deadline_ms = head_ms < 0 ? -1 : now + head_ms,
                           .peer_len = sizeof(struct sockaddr_in),
                           .bytes = (const uint8_t *)bytes,
                           .nbytes = bytes ? strlen(bytes) : 0};

    h.peer.ss_family = AF_INET;
    return h;
}

/* A connection parked with state h, first (if not NULL) already sent by
 * its client; the client's end. */
static int park_sending(struct fx *f, const struct pf_handoff *h, const char *first)
{
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    if (first)
        assert_int_equal(write(sv[1], first, strlen(first)), (ssize_t)strlen(first));
    assert_int_equal(pf_handoff_send(f->park[0], sv[0], h), 0);
    close(sv[0]);
    return sv[1];
}

/* Park a new connection with state h: returns the client's end (the
 * server's end is the keeper's now). */
static int park(struct fx *f, const struct pf_handoff *h)
{
    return park_sending(f, h, NULL);
}

/* park, with the client's next bytes already sent. */
static int park_readable(struct fx *f, const struct pf_handoff *h)
{
    return park_sending(f, h, "x");
}

/* The next connection on the ready socket, within ms (-1: none came). */
static int take_ready(struct fx *f, struct pf_handoff *h, int ms)
{
    struct pollfd p = {.fd = f->ready[1], .events = POLLIN};
    char err[PF_ERR_MAX] = "";
    int fd;

    if (poll(&p, 1, ms) != 1)
        return -1;
    if (pf_handoff_recv(f->ready[1], &fd, h, buf, sizeof(buf), err, sizeof(err)) != 1)
        fail_msg("ready socket: %s (%s)", err, strerror(errno));
    return fd;
}

/* The client sees its connection closed within WAIT_MS. */
static void assert_closed(int client)
{
    struct pollfd p = {.fd = client, .events = POLLIN};
    char c;

    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    assert_int_equal(read(client, &c, 1), 0);
}

/* The server's end handed back is the one parked: what it writes, the
 * client reads. */
static void assert_same_connection(int server, int client)
{
    char c = 0;

    assert_int_equal(write(server, "!", 1), 1);
    assert_int_equal(read(client, &c, 1), 1);
    assert_int_equal(c, '!');
}

static void test_unpark_when_readable(void **state_)
{
    struct fx f;
    struct pf_handoff sent = state(0, 10000, -1, NULL, 41), got;
    int client, server;

    (void)state_;
    fx_start(&f, 100, 0);
    client = park(&f, &sent);
    wait_count(&f.n->parked, 1, "parked");
    assert_int_equal(take_ready(&f, &got, 0), -1); /* idle: nothing to hand back */
    assert_int_equal(write(client, "GET", 3), 3);
    server = take_ready(&f, &got, WAIT_MS);
    assert_true(server >= 0);
    assert_int_equal(got.requests, 41);
    assert_int_equal(got.flags, 0);
    assert_true(got.idle_deadline_ms == sent.idle_deadline_ms);
    assert_same_connection(server, client);
    wait_count(&f.n->parked, 0, "parked after the hand-back");
    assert_int_equal(atomic_load(&f.n->handed), 1);
    close(server);
    close(client);
    fx_stop(&f);
}

/* An idle connection past its deadline is closed, as a worker would. */
static void test_idle_deadline_closes(void **state_)
{
    struct fx f;
    struct pf_handoff h = state(0, 100, -1, NULL, 1), got;
    int client;

    (void)state_;
    fx_start(&f, 100, 0);
    client = park(&f, &h);
    assert_closed(client);
    wait_count(&f.n->idle_closed, 1, "closed idle");
    assert_int_equal(take_ready(&f, &got, 0), -1);
    close(client);
    fx_stop(&f);
}

/* A request begun and not finished by its deadline goes back to a worker,
 * flagged expired, with its bytes, for the 408. */
static void test_begun_deadline_expires(void **state_)
{
    struct fx f;
    struct pf_handoff h = state(PF_HANDOFF_BEGUN, 60000, 100, "GET /slow HT", 0), got;
    int client, server;

    (void)state_;
    fx_start(&f, 100, 0);
    client = park(&f, &h);
    server = take_ready(&f, &got, WAIT_MS);
    assert_true(server >= 0);
    assert_int_equal(got.flags, PF_HANDOFF_BEGUN | PF_HANDOFF_EXPIRED);
    assert_int_equal(got.nbytes, strlen("GET /slow HT"));
    assert_memory_equal(got.bytes, "GET /slow HT", got.nbytes);
    assert_int_equal(atomic_load(&f.n->expired), 1);
    assert_same_connection(server, client);
    close(server);
    close(client);
    fx_stop(&f);
}

/* A begun request whose bytes arrive in time goes back with its bytes,
 * not expired; a connection without a deadline waits as long as needed. */
static void test_begun_resumed(void **state_)
{
    struct fx f;
    struct pf_handoff h = state(PF_HANDOFF_BEGUN, -1, 10000, "GET / HTTP/1.1\r\nHo", 3),
                      none = state(0, -1, -1, NULL, 0), got;
    int client, idle, server;

    (void)state_;
    fx_start(&f, 100, 0);
    idle = park(&f, &none);
    client = park(&f, &h);
    wait_count(&f.n->parked, 2, "parked");
    assert_int_equal(write(client, "st: x\r\n\r\n", 9), 9);
    server = take_ready(&f, &got, WAIT_MS);
    assert_true(server >= 0);
    assert_int_equal(got.flags, PF_HANDOFF_BEGUN);
    assert_int_equal(got.requests, 3);
    assert_memory_equal(got.bytes, "GET / HTTP/1.1\r\nHo", got.nbytes);
    wait_count(&f.n->parked, 1, "parked, the one without a deadline");
    close(server);
    close(client);
    close(idle);
    fx_stop(&f);
}

/* A client that closes while parked is let go of, not handed to a worker. */
static void test_client_close_dropped(void **state_)
{
    struct fx f;
    struct pf_handoff h = state(0, 10000, -1, NULL, 1), got;

    (void)state_;
    fx_start(&f, 100, 0);
    close(park(&f, &h));
    wait_count(&f.n->client_closed, 1, "closed by their client");
    wait_count(&f.n->parked, 0, "parked");
    assert_int_equal(take_ready(&f, &got, 0), -1);
    fx_stop(&f);
}

/* Past max_parked an idle connection is closed; a begun one takes the
 * place of an idle one, the one parked first (its deadline nearest),
 * which is closed; with none idle left a begun one is handed straight
 * back; below the bound again, parking works. */
static void test_bound(void **state_)
{
    struct fx f;
    struct pf_handoff idle = state(0, 10000, -1, NULL, 1);
    struct pf_handoff begun = state(PF_HANDOFF_BEGUN, -1, 10000, "GE", 0), got;
    int c[2], b[2], over, server;

    (void)state_;
    fx_start(&f, 2, 0);
    c[0] = park(&f, &idle);
    wait_count(&f.n->parked, 1, "parked");
    idle = state(0, 10000, -1, NULL, 1); /* a later deadline */
    c[1] = park(&f, &idle);
    wait_count(&f.n->parked, 2, "parked");
    over = park(&f, &idle);
    assert_closed(over);
    close(over);
    for (int i = 0; i < 2; i++) {
        b[i] = park(&f, &begun);
        assert_closed(c[i]); /* in its place */
        wait_count(&f.n->idle_closed, (uint64_t)i + 1, "idle ones closed for begun ones");
    }
    assert_int_equal(atomic_load(&f.n->parked), 2);
    over = park(&f, &begun);
    server = take_ready(&f, &got, WAIT_MS);
    assert_true(server >= 0);
    assert_int_equal(got.flags, PF_HANDOFF_BEGUN);
    assert_same_connection(server, over);
    wait_count(&f.n->refused, 2, "refused");
    close(server);
    close(over);
    close(b[0]);
    wait_count(&f.n->parked, 1, "parked after a client left");
    over = park(&f, &idle);
    wait_count(&f.n->parked, 2, "parked again");
    close(over);
    close(b[1]);
    close(c[0]);
    close(c[1]);
    fx_stop(&f);
}

/* Many connections made readable at once all come back, through the
 * queue when the ready socket's buffer is full, none lost or doubled,
 * and one parked readable while the queue waits comes back after them;
 * each sent to the ready socket is counted there. */
static void test_many_through_the_queue(void **state_)
{
    enum { N = 200 };
    struct fx f;
    int clients[N], seen[N + 1] = {0}, got_n = 0, last;
    struct pf_handoff got, h_last;

    (void)state_;
    fx_start(&f, 1000, 1024); /* a small buffer: a few messages fill it */
    for (int i = 0; i < N; i++) {
        struct pf_handoff h = state(0, 30000, -1, NULL, (uint32_t)i);

        clients[i] = park(&f, &h);
    }
    wait_count(&f.n->parked, N, "parked");
    for (int i = 0; i < N; i++)
        assert_int_equal(write(clients[i], "x", 1), 1);
    for (int64_t end = pf_time_now_ms() + WAIT_MS;
         atomic_load(&f.n->handed) + atomic_load(&f.n->queued) < N;)
        assert_true(pf_time_now_ms() < end);
    assert_true(atomic_load(&f.n->queued) > 0);
    /* one parked readable behind a queue (a worker yielding) joins its end */
    h_last = state(0, 30000, -1, NULL, N);
    last = park_readable(&f, &h_last);
    while (got_n < N + 1) {
        int server = take_ready(&f, &got, WAIT_MS);

        if (server < 0)
            fail_msg("%d of %d came back", got_n, N + 1);
        assert_true(got.requests <= N);
        assert_int_equal(got.requests == N, got_n == N); /* the last one last */
        assert_int_equal(seen[got.requests]++, 0);
        close(server);
        got_n++;
    }
    wait_count(&f.n->parked, 0, "parked");
    wait_count(&f.n->queued, 0, "queued");
    assert_int_equal(atomic_load(&f.n->handed), N + 1);
    assert_int_equal(atomic_load(&f.n->ready_waiting), N + 1); /* no worker took them off */
    for (int i = 0; i < N; i++)
        close(clients[i]);
    close(last);
    fx_stop(&f);
}

/* A message without a descriptor is counted and ignored; the keeper goes
 * on. */
static void test_bad_message(void **state_)
{
    struct fx f;
    struct pf_handoff h = state(0, 10000, -1, NULL, 1);
    uint8_t msg[PF_HANDOFF_HEAD_MAX];
    size_t len = pf_handoff_encode(&h, msg, sizeof(msg));
    int client;

    (void)state_;
    fx_start(&f, 100, 0);
    assert_int_equal(send(f.park[0], msg, len, 0), (ssize_t)len);
    wait_count(&f.n->bad, 1, "bad messages");
    client = park(&f, &h);
    wait_count(&f.n->parked, 1, "parked");
    close(client);
    fx_stop(&f);
}

/* The master gone: the keeper exits 0 and closes what it held. */
static void test_exits_with_the_master(void **state_)
{
    struct fx f;
    struct pf_handoff h = state(0, 60000, -1, NULL, 1);
    int client;

    (void)state_;
    fx_start(&f, 100, 0);
    client = park(&f, &h);
    wait_count(&f.n->parked, 1, "parked");
    close(f.life[1]);
    f.life[1] = -1;
    assert_int_equal(fx_reap(&f), 0);
    assert_closed(client);
    close(client);
    fx_stop(&f);
}

/* Every worker and the master closed the park socket: the keeper exits. */
static void test_exits_when_no_one_parks(void **state_)
{
    struct fx f;

    (void)state_;
    fx_start(&f, 100, 0);
    close(f.park[0]);
    f.park[0] = open("/dev/null", O_RDONLY | O_CLOEXEC); /* for fx_stop to close */
    assert_int_equal(fx_reap(&f), 0);
    fx_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unpark_when_readable),
        cmocka_unit_test(test_idle_deadline_closes),
        cmocka_unit_test(test_begun_deadline_expires),
        cmocka_unit_test(test_begun_resumed),
        cmocka_unit_test(test_client_close_dropped),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_many_through_the_queue),
        cmocka_unit_test(test_bad_message),
        cmocka_unit_test(test_exits_with_the_master),
        cmocka_unit_test(test_exits_when_no_one_parks),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
