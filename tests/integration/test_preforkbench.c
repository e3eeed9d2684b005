/* Integration: the preforkbench binary, run as a user runs it, against the
 * real preforkd and against small misbehaving servers in test threads.
 * Each test reads what a user reads: the exit status, the --json summary,
 * the --csv series, the messages. Runs are short (at most about 2 s). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_net.h"
#include "pf_time.h"

#define FILE_SIZE 10000 /* the file preforkd serves */
#define FAKE_MAX_CLIENTS 32
#define FAKE_STALL_AFTER 50 /* FAKE_STALL: the request it stalls on */
#define FAKE_STALL_MS 500
#define SIGINT_WAIT_MS 5000 /* bound on traffic before, and on the exit after, SIGINT */

extern char **environ;

/* ------------------------------------------------------ running the bench */

/* One run: the captured output and the --json summary. */
struct bench {
    struct pf_h_output out;
    json_t *json;
};

/* The argv of `preforkbench --no-progress --json bench.json ARGS... TARGET`
 * (ap: the NULL-terminated ARGS) into argv (64 entries). */
static void bench_argv(char **argv, const char *target, va_list ap)
{
    int n = 0;

    argv[n++] = PF_BENCH_BINARY;
    argv[n++] = "--no-progress";
    argv[n++] = "--json";
    argv[n++] = "bench.json";
    for (char *a; n < 60 && (a = va_arg(ap, char *)) != NULL;)
        argv[n++] = a;
    argv[n++] = (char *)target;
    argv[n] = NULL;
}

/* Run preforkbench against target with the NULL-terminated options, in
 * s->dir; expect the exit status code, no sanitizer report, and a JSON
 * summary (b->json). */
static void bench_run(struct pf_server *s, struct bench *b, int code, const char *target, ...)
{
    char *argv[64], path[PATH_MAX];
    json_error_t jerr;
    va_list ap;

    va_start(ap, target);
    bench_argv(argv, target, ap);
    va_end(ap);
    assert_int_equal(pf_h_path(path, s, "bench.json"), 0);
    unlink(path);
    assert_int_equal(pf_h_run_cmd(s, &b->out, argv), 0);
    if (!pf_h_exited_with(b->out.status, code) || strstr(b->out.err, "Sanitizer") ||
        strstr(b->out.err, "runtime error"))
        fail_msg("expected exit %d, status 0x%x\nstdout: %s\nstderr: %s", code,
                 (unsigned)b->out.status, b->out.out, b->out.err);
    b->json = json_load_file(path, 0, &jerr);
    if (!json_is_object(b->json))
        fail_msg("bench.json: %s\nstdout: %s", jerr.text, b->out.out);
}

/* Free what bench_run captured. */
static void bench_free(struct bench *b)
{
    json_decref(b->json);
    pf_h_output_free(&b->out);
}

/* The number at the path "key" or "group.key" of the summary. */
static double jnum(const struct bench *b, const char *group, const char *key)
{
    const json_t *obj = group ? json_object_get(b->json, group) : b->json;
    const json_t *v = json_object_get(obj, key);

    if (!json_is_number(v))
        fail_msg("no number at %s.%s in the summary", group ? group : "", key);
    return json_number_value(v);
}

/* Every request failed with kind, none ok, none of another kind. */
static void expect_all_failed_as(const struct bench *b, const char *kind, double n)
{
    static const char *const kinds[] = {"connect", "reset",     "closed", "short",
                                        "timeout", "malformed", "status"};

    assert_true(jnum(b, NULL, "ok") == 0);
    assert_true(jnum(b, NULL, "failed") == n);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (jnum(b, "errors", kinds[i]) != (strcmp(kinds[i], kind) == 0 ? n : 0))
            fail_msg("errors.%s = %g; expected every one of %g as %s", kinds[i],
                     jnum(b, "errors", kinds[i]), n, kind);
}

/* ok == requests == n, nothing failed. */
static void expect_all_ok(const struct bench *b, double n)
{
    assert_true(jnum(b, NULL, "ok") == n);
    assert_true(jnum(b, NULL, "requests") == n);
    assert_true(jnum(b, NULL, "failed") == 0);
}

/* ---------------------------------------------------- preforkd under test */

/* An http preforkd with `workers` workers serving dir/www/file.bin
 * (FILE_SIZE bytes) and nothing at /missing. settings: more http settings. */
static void start_http(struct pf_server *s, int workers, const char *settings)
{
    static unsigned char data[FILE_SIZE];
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.workers_start = workers;
    pf_h_fill(data, sizeof(data), 1);
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_bytes(s, "www/file.bin", data, sizeof(data)), 0);
    assert_int_equal(pf_h_start_http(s, &c, settings), 0);
}

/* An echo or msg preforkd. */
static void start_proto(struct pf_server *s, const char *protocol)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.protocol = protocol;
    c.workers_start = 2;
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

/* ------------------------------------------------ misbehaving test servers */

/* What a test server does with each request (an http head up to its blank
 * line; the request is always read first, so the close is a FIN and not
 * the reset of unread data). */
enum fake_mode {
    FAKE_OK,      /* a 200 with a 2-byte body, keep-alive */
    FAKE_CLOSE,   /* close without a byte */
    FAKE_HALF,    /* half a reply, then close */
    FAKE_RESET,   /* close with SO_LINGER 0: a reset */
    FAKE_SILENT,  /* never answer */
    FAKE_GARBAGE, /* a reply that is not HTTP */
    FAKE_STALL,   /* FAKE_OK, but stall FAKE_STALL_MS once, at request FAKE_STALL_AFTER */
};

struct fake_client {
    int fd;
    size_t len;
    char buf[4096];
};

struct fake_server {
    enum fake_mode mode;
    int lfd;
    char addr[PF_ADDR_STRLEN];
    pthread_t tid;
    atomic_bool stop;
    atomic_int served; /* requests answered or refused */
    struct fake_client clients[FAKE_MAX_CLIENTS];
    int nclients;
};

/* Forget client i (closing its socket unless already closed). */
static void fake_drop(struct fake_server *f, int i)
{
    if (f->clients[i].fd >= 0)
        close(f->clients[i].fd);
    f->clients[i] = f->clients[--f->nclients];
}

/* Send a whole string on a blocking socket (the test server's replies are small). */
static void fake_send(int fd, const char *text)
{
    if (pf_net_send_all(fd, text, strlen(text), PF_H_IO_MS) != PF_IO_OK)
        pf_h_note("test server: send failed");
}

/* Answer one request as the mode says; false when the connection ends. */
static bool fake_answer(struct fake_server *f, struct fake_client *c)
{
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    static const char half[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part";
    int n = atomic_fetch_add(&f->served, 1) + 1;

    switch (f->mode) {
    case FAKE_STALL:
        if (n == FAKE_STALL_AFTER)
            usleep(FAKE_STALL_MS * 1000); /* the stall under test, not a synchronisation */
        /* fall through */
    case FAKE_OK: fake_send(c->fd, ok); return true;
    case FAKE_HALF: fake_send(c->fd, half); return false;
    case FAKE_RESET:
        pf_h_close_reset(c->fd);
        c->fd = -1;
        return false;
    case FAKE_SILENT: return true;
    case FAKE_GARBAGE: fake_send(c->fd, "this is not http\r\n\r\n"); return true;
    case FAKE_CLOSE: return false;
    }
    return false;
}

/* Read what client i sent and answer each complete request head. */
static void fake_read(struct fake_server *f, int i)
{
    struct fake_client *c = &f->clients[i];
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    char *end;

    if (n <= 0) {
        fake_drop(f, i);
        return;
    }
    c->len += (size_t)n;
    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) != NULL) {
        size_t used = (size_t)(end + 4 - c->buf);
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        if (!fake_answer(f, c)) {
            fake_drop(f, i);
            return;
        }
    }
    if (c->len == sizeof(c->buf))
        fake_drop(f, i);
}

/* Accept one client (blocking socket; it is read only when poll says so). */
static void fake_accept(struct fake_server *f)
{
    int fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0)
        return;
    if (f->nclients == FAKE_MAX_CLIENTS) {
        close(fd);
        return;
    }
    f->clients[f->nclients++] = (struct fake_client){.fd = fd};
}

/* The server thread: poll the listener and the clients until told to stop. */
static void *fake_main(void *arg)
{
    struct fake_server *f = arg;
    struct pollfd p[1 + FAKE_MAX_CLIENTS];

    while (!atomic_load(&f->stop)) {
        int n = f->nclients;
        p[0] = (struct pollfd){.fd = f->lfd, .events = POLLIN};
        for (int i = 0; i < n; i++)
            p[1 + i] = (struct pollfd){.fd = f->clients[i].fd, .events = POLLIN};
        if (poll(p, (nfds_t)(1 + n), PF_H_POLL_MS) <= 0)
            continue;
        for (int i = n - 1; i >= 0; i--)
            if (p[1 + i].revents != 0)
                fake_read(f, i);
        if (p[0].revents & POLLIN)
            fake_accept(f);
    }
    while (f->nclients > 0)
        fake_drop(f, 0);
    return NULL;
}

/* Start a test server in mode on an ephemeral loopback port. */
static struct fake_server *fake_start(enum fake_mode mode)
{
    struct fake_server *f = calloc(1, sizeof(*f));
    struct pf_addr a;
    char err[256];

    assert_non_null(f);
    f->mode = mode;
    assert_int_equal(pf_addr_parse("127.0.0.1:0", &a, err, sizeof(err)), 0);
    f->lfd = pf_net_listen(&a, 64, err, sizeof(err));
    assert_true(f->lfd >= 0);
    assert_int_equal(pf_net_local_addr(f->lfd, &a), 0);
    pf_addr_format((const struct sockaddr *)&a.ss, f->addr, sizeof(f->addr));
    assert_int_equal(pthread_create(&f->tid, NULL, fake_main, f), 0);
    return f;
}

/* Stop the test server thread, close its clients and listener. */
static void fake_stop(struct fake_server *f)
{
    atomic_store(&f->stop, true);
    pthread_join(f->tid, NULL);
    close(f->lfd);
    free(f);
}

/* A failure kind from a test server: -n 20 on one connection, every one
 * of them failed as kind; exit status 1. */
static void expect_fake_failures(struct pf_server *s, enum fake_mode mode, const char *kind)
{
    struct fake_server *f = fake_start(mode);
    struct bench b;

    bench_run(s, &b, 1, f->addr, "-c", "1", "-n", "20", "-T", "0.2", "-d", "3", NULL);
    expect_all_failed_as(&b, kind, 20);
    bench_free(&b);
    fake_stop(f);
}

/* ------------------------------------------------------------------ tests */

/* Keep-alive, closed loop, 2 threads: every request ok, every byte in;
 * the server's Connection: close (keepalive_requests) is no failure. */
PF_H_TEST(test_http_keepalive)
{
    struct bench b;

    start_http(s, 4, "keepalive_requests = 300;");
    bench_run(s, &b, 0, s->addr_text, "-u", "/file.bin", "-c", "4", "-t", "2", "-n", "2000", NULL);
    expect_all_ok(&b, 2000);
    assert_true(jnum(&b, "status_codes", "200") == 2000);
    assert_true(jnum(&b, NULL, "bytes_in") >= 2000.0 * FILE_SIZE);
    assert_true(jnum(&b, NULL, "connects") > 4); /* reconnected after each 300th */
    assert_true(jnum(&b, NULL, "connects") < 40);
    assert_non_null(strstr(b.out.out, "ok 2000   failed 0"));
    bench_free(&b);
}

/* --close: one new connection per request. */
PF_H_TEST(test_http_close)
{
    struct bench b;

    start_http(s, 2, NULL);
    bench_run(s, &b, 0, s->addr_text, "-u", "/file.bin", "--close", "-c", "2", "-n", "300", NULL);
    expect_all_ok(&b, 300);
    assert_true(jnum(&b, NULL, "connects") == 300);
    assert_true(json_is_false(json_object_get(b.json, "keepalive")));
    bench_free(&b);
}

/* HEAD: replies without a body are complete too. */
PF_H_TEST(test_http_head)
{
    struct bench b;

    start_http(s, 2, NULL);
    bench_run(s, &b, 0, s->addr_text, "-u", "/file.bin", "-m", "HEAD", "-c", "2", "-n", "200", "-H",
              "X-Test: 1", NULL);
    expect_all_ok(&b, 200);
    assert_true(jnum(&b, NULL, "bytes_in") < 200.0 * FILE_SIZE);
    bench_free(&b);
}

/* A path that 404s: complete replies, every one a `status` failure. */
PF_H_TEST(test_http_404)
{
    struct bench b;

    start_http(s, 2, NULL);
    bench_run(s, &b, 1, s->addr_text, "-u", "/missing", "-c", "2", "-n", "100", NULL);
    expect_all_failed_as(&b, "status", 100);
    assert_true(jnum(&b, "status_codes", "404") == 100);
    bench_free(&b);
}

/* echo: lines of 1 and 100 bytes come back. */
PF_H_TEST(test_echo_sizes)
{
    struct bench b;

    start_proto(s, "echo");
    bench_run(s, &b, 0, s->addr_text, "-p", "echo", "-s", "1", "-c", "2", "-n", "300", NULL);
    expect_all_ok(&b, 300);
    bench_free(&b);
    bench_run(s, &b, 0, s->addr_text, "-p", "echo", "-s", "100", "-c", "2", "-n", "300", NULL);
    expect_all_ok(&b, 300);
    assert_true(jnum(&b, NULL, "bytes_in") == 300 * 100);
    assert_true(jnum(&b, NULL, "bytes_out") == 300 * 100);
    bench_free(&b);
}

/* msg: payloads of 1, 100 and 70000 bytes (several reads each) come back. */
PF_H_TEST(test_msg_sizes)
{
    static const char *const sizes[] = {"1", "100", "70000"};
    struct bench b;

    start_proto(s, "msg");
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        bench_run(s, &b, 0, s->addr_text, "-p", "msg", "-s", sizes[i], "-c", "2", "-n", "200",
                  NULL);
        expect_all_ok(&b, 200);
        assert_true(jnum(&b, NULL, "bytes_in") == 200 * (4 + atof(sizes[i])));
        bench_free(&b);
    }
}

/* Nobody listens: every request a `connect` failure, and few of them (the
 * closed loop backs off 10 ms after each), exit 1. */
PF_H_TEST(test_dead_port)
{
    struct pf_addr a;
    char err[256], target[PF_ADDR_STRLEN];
    struct bench b;
    int fd;
    double failed;

    assert_int_equal(pf_addr_parse("127.0.0.1:0", &a, err, sizeof(err)), 0);
    fd = pf_net_listen(&a, 1, err, sizeof(err));
    assert_true(fd >= 0);
    assert_int_equal(pf_net_local_addr(fd, &a), 0);
    pf_addr_format((const struct sockaddr *)&a.ss, target, sizeof(target));
    close(fd);
    bench_run(s, &b, 1, target, "-c", "2", "-d", "0.5", NULL);
    failed = jnum(&b, NULL, "failed");
    expect_all_failed_as(&b, "connect", failed);
    assert_true(failed >= 2 && failed <= 2 * (500 / 10 + 2));
    assert_true(jnum(&b, NULL, "duration_s") < 0.6);
    bench_free(&b);
}

/* Closed without a byte of the reply: `closed`. */
PF_H_TEST(test_fail_closed)
{
    expect_fake_failures(s, FAKE_CLOSE, "closed");
}

/* Closed in the middle of the reply: `short`. */
PF_H_TEST(test_fail_short)
{
    expect_fake_failures(s, FAKE_HALF, "short");
}

/* Reset (SO_LINGER 0): `reset`. */
PF_H_TEST(test_fail_reset)
{
    expect_fake_failures(s, FAKE_RESET, "reset");
}

/* Never answered: `timeout` after -T 0.2. */
PF_H_TEST(test_fail_timeout)
{
    struct fake_server *f = fake_start(FAKE_SILENT);
    struct bench b;

    bench_run(s, &b, 1, f->addr, "-c", "1", "-n", "3", "-T", "0.2", NULL);
    expect_all_failed_as(&b, "timeout", 3);
    bench_free(&b);
    fake_stop(f);
}

/* Not HTTP: `malformed`. */
PF_H_TEST(test_fail_malformed)
{
    expect_fake_failures(s, FAKE_GARBAGE, "malformed");
}

/* Coordinated omission: one 500 ms stall. In the open loop the ~100
 * requests that fell due during it are late, and their latency says so
 * (p99 >= 200 ms); in the closed loop it is one slow request (p50 small). */
PF_H_TEST(test_coordinated_omission)
{
    struct fake_server *f = fake_start(FAKE_STALL);
    struct bench b;

    bench_run(s, &b, 0, f->addr, "--rate", "200", "-c", "1", "-d", "2", NULL);
    assert_true(jnum(&b, NULL, "ok") >= 300);
    assert_true(jnum(&b, "latency_us", "p99") >= 200000);
    assert_true(jnum(&b, "latency_us", "max") >= 400000);
    assert_string_equal(json_string_value(json_object_get(b.json, "loop")), "open");
    bench_free(&b);
    fake_stop(f);

    f = fake_start(FAKE_STALL);
    bench_run(s, &b, 0, f->addr, "-c", "1", "-n", "2000", NULL);
    expect_all_ok(&b, 2000);
    assert_true(jnum(&b, "latency_us", "max") >= 400000);
    assert_true(jnum(&b, "latency_us", "p50") < 10000);
    assert_true(jnum(&b, "latency_us", "p99") < 200000);
    bench_free(&b);
    fake_stop(f);
}

/* Sum of one CSV column (index col) over the data rows; *rows gets their count. */
static double csv_sum(const char *text, int col, int *rows)
{
    const char *line = strchr(text, '\n');
    double sum = 0;

    *rows = 0;
    while (line != NULL && line[1] != '\0') {
        const char *p = line + 1;
        for (int i = 0; i < col && p != NULL; i++)
            p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
        assert_non_null(p);
        sum += atof(p);
        (*rows)++;
        line = strchr(line + 1, '\n');
    }
    return sum;
}

/* The whole text file dir/name (at most 64 KiB), malloc'd. */
static char *read_text(struct pf_server *s, const char *name)
{
    char path[PATH_MAX], *text = calloc(1, 1 << 16);
    FILE *fp;

    assert_non_null(text);
    assert_int_equal(pf_h_path(path, s, name), 0);
    fp = fopen(path, "r");
    assert_non_null(fp);
    text[fread(text, 1, (1 << 16) - 1, fp)] = '\0';
    fclose(fp);
    return text;
}

/* --csv: a header and one row per second whose ok add up to the JSON's. */
PF_H_TEST(test_csv_series)
{
    struct bench b;
    int rows;
    char *csv;

    start_http(s, 2, NULL);
    bench_run(s, &b, 0, s->addr_text, "-u", "/file.bin", "--rate", "300", "-c", "2", "-d", "2",
              "--csv", "series.csv", NULL);
    csv = read_text(s, "series.csv");
    assert_true(strncmp(csv,
                        "second,ok,failed,connect,reset,closed,short,timeout,malformed,"
                        "status,p50_us,p99_us,max_us\n",
                        86) == 0);
    assert_true(csv_sum(csv, 1, &rows) == jnum(&b, NULL, "ok"));
    assert_int_equal(rows, 2);
    assert_true(csv_sum(csv, 2, &rows) == 0);
    assert_true(jnum(&b, NULL, "ok") >= 300);
    free(csv);
    bench_free(&b);
}

/* Warm-up: its requests are not counted, the measured part is. */
PF_H_TEST(test_warmup)
{
    struct bench b;

    start_http(s, 2, NULL);
    bench_run(s, &b, 0, s->addr_text, "-u", "/file.bin", "--rate", "200", "-c", "2", "-w", "0.5",
              "-d", "0.5", NULL);
    assert_true(jnum(&b, NULL, "ok") >= 50 && jnum(&b, NULL, "ok") <= 101);
    assert_true(jnum(&b, NULL, "warmup_s") == 0.5);
    assert_true(jnum(&b, NULL, "connects") == 0); /* opened in the warm-up */
    bench_free(&b);
}

/* Spawn preforkbench with argv in s->dir, stdout and stderr to files. */
static pid_t spawn_bench(struct pf_server *s, char **argv)
{
    posix_spawn_file_actions_t fa;
    char out[PATH_MAX], err[PATH_MAX];
    pid_t pid = -1;

    assert_int_equal(pf_h_path(out, s, "sigint.out"), 0);
    assert_int_equal(pf_h_path(err, s, "sigint.err"), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, s->dir);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/* Wait (bounded) for pid to exit; its status. */
static int wait_exit(pid_t pid)
{
    int64_t deadline = pf_time_now_ms() + SIGINT_WAIT_MS;
    int status = -1;

    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (pf_time_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("preforkbench did not exit after SIGINT");
        }
        usleep(PF_H_POLL_MS * 1000);
    }
    return status;
}

/* SIGINT ends a long run early, with the summary and its JSON. */
PF_H_TEST(test_sigint)
{
    struct fake_server *f = fake_start(FAKE_OK);
    char *argv[] = {PF_BENCH_BINARY,
                    "--no-progress",
                    "--json",
                    "bench.json",
                    "--rate",
                    "200",
                    "-c",
                    "1",
                    "-d",
                    "30",
                    f->addr,
                    NULL};
    int64_t deadline = pf_time_now_ms() + SIGINT_WAIT_MS;
    char path[PATH_MAX], *out;
    json_t *j;
    pid_t pid = spawn_bench(s, argv);

    while (atomic_load(&f->served) < 20 && pf_time_now_ms() < deadline)
        usleep(PF_H_POLL_MS * 1000);
    assert_true(atomic_load(&f->served) >= 20);
    kill(pid, SIGINT);
    assert_true(pf_h_exited_with(wait_exit(pid), 0));
    assert_int_equal(pf_h_path(path, s, "bench.json"), 0);
    j = json_load_file(path, 0, NULL);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(j, "interrupted")));
    assert_true(json_number_value(json_object_get(j, "duration_s")) < 10);
    assert_true(json_number_value(json_object_get(j, "ok")) >= 10);
    json_decref(j);
    out = read_text(s, "sigint.out");
    assert_non_null(strstr(out, "interrupted"));
    free(out);
    fake_stop(f);
}

/* Run preforkbench with bad options: exit 2, the option named on stderr. */
static void expect_usage_error(struct pf_server *s, const char *needle, char **args)
{
    char *argv[16] = {PF_BENCH_BINARY};
    struct pf_h_output o;
    int n = 1;

    while (*args != NULL && n < 15)
        argv[n++] = *args++;
    argv[n] = NULL;
    assert_int_equal(pf_h_run_cmd(s, &o, argv), 0);
    if (!pf_h_exited_with(o.status, 2) || strstr(o.err, needle) == NULL)
        fail_msg("expected exit 2 and \"%s\"; status 0x%x, stderr: %s", needle, (unsigned)o.status,
                 o.err);
    pf_h_output_free(&o);
}

/* Bad options and an unwritable --json: exit 2, the culprit named. */
PF_H_TEST(test_usage_errors)
{
    char *c0[] = {"-c", "0", "127.0.0.1:1", NULL};
    char *rate[] = {"--rate", "fast", "127.0.0.1:1", NULL};
    char *size[] = {"-p", "echo", "-s", "0", "127.0.0.1:1", NULL};
    char *threads[] = {"-t", "4", "-c", "2", "127.0.0.1:1", NULL};
    char *header[] = {"-H", "NoColon", "127.0.0.1:1", NULL};
    char *json[] = {"--json", "no/such/dir/x.json", "127.0.0.1:1", NULL};
    char *target[] = {"-c", "1", NULL};

    expect_usage_error(s, "--connections", c0);
    expect_usage_error(s, "--rate", rate);
    expect_usage_error(s, "--size", size);
    expect_usage_error(s, "--threads", threads);
    expect_usage_error(s, "--header", header);
    expect_usage_error(s, "--json", json);
    expect_usage_error(s, "HOST:PORT", target);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_http_keepalive),
        PF_H_CASE(test_http_close),
        PF_H_CASE(test_http_head),
        PF_H_CASE(test_http_404),
        PF_H_CASE(test_echo_sizes),
        PF_H_CASE(test_msg_sizes),
        PF_H_CASE(test_dead_port),
        PF_H_CASE(test_fail_closed),
        PF_H_CASE(test_fail_short),
        PF_H_CASE(test_fail_reset),
        PF_H_CASE(test_fail_timeout),
        PF_H_CASE(test_fail_malformed),
        PF_H_CASE(test_coordinated_omission),
        PF_H_CASE(test_csv_series),
        PF_H_CASE(test_warmup),
        PF_H_CASE(test_sigint),
        PF_H_CASE(test_usage_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
