/* Integration: the control channel of the master (docs/control-protocol.md).
 *
 * Every command against a real preforkd (status, workers, config, scale,
 * kill, reopen, reload, stop, help), pipelined commands, commands while
 * stopping, authentication and its throttle, hostile clients (garbage,
 * long lines, silent ones, too many, ones that never read), workers not
 * inheriting control sockets, start-up refusals (non-loopback listen,
 * readable token file), and the Prometheus endpoint. Replies are parsed
 * with jansson (pfharness links it).
 *
 * The control address is taken from the log line "control channel
 * listening on ADDR" (the config asks for port 0), the token from the
 * token file the server creates beside its config.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_net.h"
#include "pf_time.h"

#define CTL_REPLY_MAX (1 << 20) /* longest reply line read */
#define CTL_REPLY_MS 5000       /* bound on one reply */
#define CTL_TOKEN_MAX 160

/* The control channel of one server under test. */
struct ctl {
    struct pf_addr addr;
    char addr_text[PF_ADDR_STRLEN];
    char token[CTL_TOKEN_MAX];
};

/* ------------------------------------------------------------ set-up */

/* The address of "control channel listening on ADDR\n" in the log. 0 or -1. */
static int ctl_find_addr(const struct pf_server *s, struct ctl *ctl)
{
    static const char needle[] = "control channel listening on ";
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    for (;;) {
        char *log = pf_h_log_read(s);
        const char *p = log ? strstr(log, needle) : NULL;
        char err[128];
        size_t n = 0;

        if (p) {
            p += sizeof(needle) - 1;
            n = strcspn(p, " \n");
        }
        if (p && n > 0 && n < sizeof(ctl->addr_text) && p[n] == '\n') {
            memcpy(ctl->addr_text, p, n);
            ctl->addr_text[n] = '\0';
            free(log);
            if (pf_addr_parse(ctl->addr_text, &ctl->addr, err, sizeof(err)) < 0) {
                pf_h_note("cannot parse the control address \"%s\": %s", ctl->addr_text, err);
                return -1;
            }
            return 0;
        }
        free(log);
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("no \"%s\" line in the log", needle);
            return -1;
        }
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* The whole content of dir/name (free it), or NULL. */
static char *ctl_read_dir_file(const struct pf_server *s, const char *name, struct stat *st)
{
    char path[PATH_MAX];
    FILE *f;
    char *buf;

    if (pf_h_path(path, s, name) < 0 || (f = fopen(path, "r")) == NULL)
        return NULL;
    if (st && fstat(fileno(f), st) < 0) {
        fclose(f);
        return NULL;
    }
    buf = calloc(1, 4096); /* NUL-terminated after what fread gets */
    if (buf && fread(buf, 1, 4095, f) == 0 && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* The token from the server's token file, trailing blanks removed. */
static void ctl_read_token(const struct pf_server *s, struct ctl *ctl)
{
    char *t = ctl_read_dir_file(s, "preforkd.token", NULL);
    size_t n;

    assert_non_null(t);
    n = strcspn(t, " \t\r\n");
    assert_true(n > 0 && n < sizeof(ctl->token));
    memcpy(ctl->token, t, n);
    ctl->token[n] = '\0';
    free(t);
}

/* The config of a control test: echo, n workers, the control channel on
 * loopback port 0 with the given idle timeout and client limit. */
static void ctl_config(struct pf_h_config *c, char *extra, size_t size, int workers,
                       const char *listen, double idle_s, int max_clients)
{
    pf_h_config_defaults(c);
    c->workers_start = workers;
    snprintf(extra, size, "control = { listen = \"%s\"; idle_timeout = %g; max_clients = %d; };",
             listen, idle_s, max_clients);
    c->extra = extra;
}

/* Start such a server, wait for its workers, find the channel and token. */
static void ctl_start_with(struct pf_server *s, struct ctl *ctl, int workers, double idle_s,
                           int max_clients)
{
    struct pf_h_config c;
    char extra[256];

    ctl_config(&c, extra, sizeof(extra), workers, "127.0.0.1:0", idle_s, max_clients);
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(ctl_find_addr(s, ctl), 0);
    ctl_read_token(s, ctl);
}

static void ctl_start(struct pf_server *s, struct ctl *ctl, int workers)
{
    ctl_start_with(s, ctl, workers, 10, 16);
}

/* ctl_start in the classic model (parking off): a client with half a
 * request stays with its worker, for tests that watch that worker. */
static void ctl_start_classic(struct pf_server *s, struct ctl *ctl, int workers)
{
    struct pf_h_config c;
    char extra[256];

    ctl_config(&c, extra, sizeof(extra), workers, "127.0.0.1:0", 10, 16);
    c.keeper_extra = "parking = false;";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(ctl_find_addr(s, ctl), 0);
    ctl_read_token(s, ctl);
}

/* ----------------------------------------------------------- clients */

/* A TCP client of the control channel with receive/send timeouts; a
 * receive buffer of rcvbuf bytes when rcvbuf > 0 (set before connecting,
 * so the window is small from the start). The fd, or -1. */
static int ctl_connect_buf(const struct ctl *ctl, int rcvbuf)
{
    struct timeval tv = {.tv_sec = PF_H_IO_MS / 1000, .tv_usec = 0};
    int one = 1;
    int fd = socket(ctl->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        pf_h_note("socket: %s", strerror(errno));
        return -1;
    }
    if ((rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
        pf_h_note("setsockopt: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&ctl->addr.ss, ctl->addr.len) < 0) {
        pf_h_note("connect to %s: %s", ctl->addr_text, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int ctl_connect(const struct ctl *ctl)
{
    return ctl_connect_buf(ctl, 0);
}

/* One reply line (without its "\n") into buf within timeout_ms. Its
 * length, or -1 (EOF, reset, timeout, or longer than size - 1). */
static long ctl_recv_line(int fd, char *buf, size_t size, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    size_t len = 0;

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, pf_time_left_ms(deadline));
        ssize_t n;
        char *nl;

        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            pf_h_note("no complete reply line within %d ms (%zu bytes so far)", timeout_ms, len);
            return -1;
        }
        if (len + 1 >= size) {
            pf_h_note("reply line longer than %zu bytes", size - 1);
            return -1;
        }
        n = recv(fd, buf + len, size - 1 - len, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            pf_h_note("connection %s after %zu bytes of a reply line",
                      n == 0 ? "closed" : strerror(errno), len);
            return -1;
        }
        nl = memchr(buf + len, '\n', (size_t)n);
        if (nl)
            n = nl - (buf + len) + 1;
        n = recv(fd, buf + len, (size_t)n, MSG_DONTWAIT); /* take what was peeked */
        if (n <= 0) {
            pf_h_note("recv after peek: %s", strerror(errno));
            return -1;
        }
        len += (size_t)n;
        if (nl) {
            buf[len - 1] = '\0';
            return (long)len - 1;
        }
    }
}

/* Send line + "\n" and read the raw reply line into buf. 0 or -1. */
static int ctl_call_raw(int fd, const char *line, char *buf, size_t size)
{
    size_t n = strlen(line);
    char *msg = malloc(n + 2);
    int rc;

    if (msg == NULL)
        return -1;
    memcpy(msg, line, n);
    msg[n] = '\n';
    rc = pf_h_send(fd, msg, n + 1);
    free(msg);
    if (rc < 0)
        return -1;
    return ctl_recv_line(fd, buf, size, CTL_REPLY_MS) < 0 ? -1 : 0;
}

/* Parse a reply line: an object with a boolean "ok" (asserted). */
static json_t *ctl_parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);

    if (j == NULL)
        pf_h_note("reply is not JSON (%s): %.200s", e.text, text);
    assert_non_null(j);
    assert_true(json_is_object(j));
    assert_true(json_is_boolean(json_object_get(j, "ok")));
    return j;
}

/* Send a command, return its parsed reply (json_decref it). */
static json_t *ctl_call(int fd, const char *line)
{
    char *buf = malloc(CTL_REPLY_MAX);
    json_t *j;

    assert_non_null(buf);
    if (ctl_call_raw(fd, line, buf, CTL_REPLY_MAX) < 0) {
        free(buf);
        pf_h_note("no reply to \"%.60s\"", line);
        fail();
    }
    j = ctl_parse(buf);
    free(buf);
    return j;
}

/* The value at a dotted path ("workers.total"), or NULL. */
static json_t *jget(json_t *o, const char *path)
{
    char buf[128], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
        o = json_object_get(o, k);
    return o;
}

static json_int_t jint(json_t *o, const char *path)
{
    json_t *v = jget(o, path);

    if (!json_is_integer(v))
        pf_h_note("\"%s\" is not an integer", path);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static const char *jstr(json_t *o, const char *path)
{
    json_t *v = jget(o, path);

    if (!json_is_string(v))
        pf_h_note("\"%s\" is not a string", path);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static bool jok(json_t *o)
{
    return json_is_true(json_object_get(o, "ok"));
}

/* A command that must succeed; its reply (json_decref it). */
static json_t *ctl_ok(int fd, const char *line)
{
    json_t *j = ctl_call(fd, line);

    if (!jok(j))
        pf_h_note("\"%s\" failed: %s", line, json_string_value(json_object_get(j, "error")));
    assert_true(jok(j));
    return j;
}

/* A command that must fail; asserts the error contains want (may be
 * NULL) and that the connection stays usable (status still answers). */
static void ctl_refused(int fd, const char *line, const char *want)
{
    json_t *j = ctl_call(fd, line);
    const char *err;

    assert_false(jok(j));
    err = jstr(j, "error");
    if (want && strstr(err, want) == NULL)
        pf_h_note("\"%s\": error \"%s\" lacks \"%s\"", line, err, want);
    assert_true(want == NULL || strstr(err, want) != NULL);
    json_decref(j);
    json_decref(ctl_ok(fd, "status"));
}

/* Authenticate on fd: the reply must be exactly {"ok":true}. */
static void ctl_auth(int fd, const struct ctl *ctl)
{
    char line[CTL_TOKEN_MAX + 8], reply[256];

    snprintf(line, sizeof(line), "auth %s", ctl->token);
    assert_int_equal(ctl_call_raw(fd, line, reply, sizeof(reply)), 0);
    assert_string_equal(reply, "{\"ok\":true}");
}

/* A connected, authenticated control client. */
static int ctl_session(const struct ctl *ctl)
{
    int fd = ctl_connect(ctl);

    assert_true(fd >= 0);
    ctl_auth(fd, ctl);
    return fd;
}

/* Send line + "\n" unauthenticated (or not), expect exactly the reply
 * {"ok":false,"error":error}, then the connection closed. */
static void ctl_expect_refusal(int fd, const char *line, size_t len, const char *error)
{
    char reply[512], want[512];

    assert_int_equal(pf_h_send(fd, line, len), 0);
    assert_true(ctl_recv_line(fd, reply, sizeof(reply), CTL_REPLY_MS) >= 0);
    snprintf(want, sizeof(want), "{\"ok\":false,\"error\":\"%s\"}", error);
    assert_string_equal(reply, want);
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
}

/* A wrong token on a new connection: refused and closed. Returns how
 * long the reply took (ms). */
static int64_t ctl_bad_auth(const struct ctl *ctl)
{
    int64_t t0 = pf_time_now_ms();
    int fd = ctl_connect(ctl);
    char line[CTL_TOKEN_MAX + 32];

    assert_true(fd >= 0);
    snprintf(line, sizeof(line), "auth not-the-%s\n", ctl->token);
    ctl_expect_refusal(fd, line, strlen(line), "authentication failed");
    close(fd);
    return pf_time_now_ms() - t0;
}

/* Poll status until every one of n live workers is idle. */
static void ctl_wait_idle(int fd, int n)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    for (;;) {
        json_t *st = ctl_ok(fd, "status");
        json_int_t total = jint(st, "workers.total"), idle = jint(st, "workers.idle");

        json_decref(st);
        if (total == n && idle == n)
            return;
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("status: %lld workers, %lld idle; expected %d idle", (long long)total,
                      (long long)idle, n);
            fail();
        }
        usleep(PF_H_POLL_MS * 1000);
    }
}

static bool pid_in(pid_t pid, const pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* ---------------------------------------------------------- commands */

PF_H_TEST(test_token_file_created)
{
    struct ctl ctl;
    struct stat st;
    char *t;

    ctl_start(s, &ctl, 2);
    t = ctl_read_dir_file(s, "preforkd.token", &st);
    assert_non_null(t);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(strlen(ctl.token), 64);
    for (size_t i = 0; i < 64; i++)
        assert_true(isxdigit((unsigned char)ctl.token[i]));
    free(t);
    close(ctl_session(&ctl));
}

PF_H_TEST(test_status)
{
    struct ctl ctl;
    pid_t pids[8];
    int fd;
    json_t *st;

    ctl_start(s, &ctl, 3);
    fd = ctl_session(&ctl);
    ctl_wait_idle(fd, 3);
    st = ctl_ok(fd, "status");
    assert_int_equal(jint(st, "pid"), s->pid);
    assert_int_equal(jint(st, "workers.total"), pf_h_worker_pids(s, pids, 8));
    assert_int_equal(jint(st, "workers.total"), 3);
    assert_int_equal(jint(st, "workers.idle"), 3);
    assert_int_equal(jint(st, "workers.busy"), 0);
    assert_int_equal(jint(st, "workers.target"), 3);
    assert_int_equal(jint(st, "workers.max"), 16);
    assert_string_equal(jstr(st, "protocol"), "echo");
    assert_string_equal(jstr(st, "listen"), s->addr_text);
    assert_true(json_is_false(jget(st, "stopping")));
    assert_true(strlen(jstr(st, "version")) > 0);
    assert_int_equal(jint(st, "totals.auth_failures"), 0);
    assert_true(jint(st, "uptime") >= 0);
    json_decref(st);
    close(fd);
}

PF_H_TEST(test_workers)
{
    struct ctl ctl;
    pid_t pids[8];
    bool slot_seen[16] = {false};
    int fd, n;
    json_t *j, *list, *w;
    size_t i;

    ctl_start(s, &ctl, 3);
    fd = ctl_session(&ctl);
    ctl_wait_idle(fd, 3);
    n = pf_h_worker_pids(s, pids, 8);
    assert_int_equal(n, 3);
    j = ctl_ok(fd, "workers");
    list = json_object_get(j, "workers");
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), (size_t)n);
    json_array_foreach(list, i, w)
    {
        json_int_t slot = jint(w, "slot");

        assert_true(pid_in((pid_t)jint(w, "pid"), pids, n));
        for (size_t k = 0; k < i; k++)
            assert_int_not_equal(jint(json_array_get(list, k), "pid"), jint(w, "pid"));
        assert_string_equal(jstr(w, "state"), "idle");
        assert_true(slot >= 0 && slot < 16 && !slot_seen[slot]);
        slot_seen[slot] = true;
        assert_true(json_is_null(json_object_get(w, "client")));
        assert_true(jint(w, "age") >= 0);
    }
    json_decref(j);
    close(fd);
}

PF_H_TEST(test_config_help_and_bad_commands)
{
    static const char *const verbs[] = {"auth",   "status", "workers", "config", "scale",
                                        "reload", "reopen", "stop",    "kill",   "help"};
    struct ctl ctl;
    char *raw = malloc(CTL_REPLY_MAX);
    int fd;
    json_t *j, *list;

    assert_non_null(raw);
    ctl_start(s, &ctl, 2);
    fd = ctl_session(&ctl);

    assert_int_equal(ctl_call_raw(fd, "config", raw, CTL_REPLY_MAX), 0);
    assert_null(strstr(raw, ctl.token)); /* the secret is never shown */
    j = ctl_parse(raw);
    assert_true(jok(j));
    assert_string_equal(jstr(j, "config.listen"), "127.0.0.1:0");
    assert_string_equal(jstr(j, "config.protocol"), "echo");
    assert_int_equal(jint(j, "config.workers.start"), 2);
    assert_string_equal(jstr(j, "config.control.listen"), "127.0.0.1:0");
    assert_int_equal(jint(j, "config.control.max_clients"), 16);
    assert_true(strstr(jstr(j, "config.control.token_file"), "preforkd.token") != NULL);
    json_decref(j);
    free(raw);

    j = ctl_ok(fd, "help");
    list = json_object_get(j, "commands");
    assert_true(json_is_array(list));
    for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
        bool found = false;
        size_t i;
        json_t *w;

        json_array_foreach(list, i, w) found |= strcmp(json_string_value(w), verbs[v]) == 0;
        if (!found)
            pf_h_note("help does not list \"%s\"", verbs[v]);
        assert_true(found);
    }
    json_decref(j);

    ctl_refused(fd, "frobnicate", "unknown command \"frobnicate\" (try help)");
    ctl_refused(fd, "fo\"o\\bar\x01 x", "unknown command \"fo?o\\bar?\" (try help)");
    ctl_refused(fd, "status now", "takes no argument");
    ctl_refused(fd, "STATUS", NULL);
    ctl_refused(fd, "   ", "empty command");
    ctl_refused(fd, "GET /metrics HTTP/1.1", NULL);
    close(fd);
}

PF_H_TEST(test_scale)
{
    struct ctl ctl;
    int fd;
    json_t *j;

    ctl_start(s, &ctl, 2);
    fd = ctl_session(&ctl);

    j = ctl_ok(fd, "scale +1");
    assert_int_equal(jint(j, "previous"), 2);
    assert_int_equal(jint(j, "target"), 3);
    json_decref(j);
    assert_int_equal(pf_h_wait_workers(s, 3, PF_H_WAIT_MS), 0);

    j = ctl_ok(fd, "scale -1");
    assert_int_equal(jint(j, "previous"), 3);
    assert_int_equal(jint(j, "target"), 2);
    json_decref(j);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);

    j = ctl_ok(fd, "scale 4");
    assert_int_equal(jint(j, "previous"), 2);
    assert_int_equal(jint(j, "target"), 4);
    json_decref(j);
    assert_int_equal(pf_h_wait_workers(s, 4, PF_H_WAIT_MS), 0);

    ctl_refused(fd, "scale 0", NULL);
    ctl_refused(fd, "scale 9999", NULL);
    ctl_refused(fd, "scale 17", "outside 1..16");
    ctl_refused(fd, "scale -4", "outside 1..16");
    ctl_refused(fd, "scale +13", "outside 1..16");
    ctl_refused(fd, "scale", NULL);
    ctl_refused(fd, "scale two", NULL);

    ctl_wait_idle(fd, 4); /* nothing changed, and the status says so */
    j = ctl_ok(fd, "status");
    assert_int_equal(jint(j, "workers.target"), 4);
    json_decref(j);
    assert_int_equal(pf_h_wait_workers(s, 4, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_check_serves(s), 0);
    close(fd);
}

PF_H_TEST(test_kill_worker)
{
    struct ctl ctl;
    pid_t before[8], after[8];
    char line[64];
    int fd, n;
    json_t *j;

    ctl_start(s, &ctl, 2);
    fd = ctl_session(&ctl);
    n = pf_h_worker_pids(s, before, 8);
    assert_int_equal(n, 2);

    snprintf(line, sizeof(line), "kill %ld", (long)before[0]);
    j = ctl_ok(fd, line);
    assert_int_equal(jint(j, "pid"), before[0]);
    json_decref(j);
    assert_int_equal(pf_h_wait_pid_gone(before[0], PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_worker_pids(s, after, 8), 2);
    assert_false(pid_in(before[0], after, 2));
    assert_true(pid_in(before[1], after, 2));

    snprintf(line, sizeof(line), "kill %ld", (long)getpid()); /* not a worker */
    ctl_refused(fd, line, "no active worker");
    snprintf(line, sizeof(line), "kill %ld", (long)before[0]); /* gone now */
    ctl_refused(fd, line, "no active worker");
    ctl_refused(fd, "kill", NULL);
    ctl_refused(fd, "kill -5", NULL);
    ctl_refused(fd, "kill 12x", NULL);
    assert_int_equal(pf_h_worker_pids(s, after, 8), 2);
    assert_int_equal(pf_h_check_serves(s), 0);
    close(fd);
}

PF_H_TEST(test_reopen_and_reload)
{
    struct ctl ctl;
    pid_t before[8], after[8];
    int fd;
    json_t *j;

    ctl_start(s, &ctl, 2);
    fd = ctl_session(&ctl);
    assert_int_equal(pf_h_worker_pids(s, before, 8), 2);

    j = ctl_ok(fd, "reopen");
    assert_int_equal(json_object_size(j), 1); /* just {"ok":true} */
    json_decref(j);
    assert_int_equal(pf_h_wait_log(s, "log reopened", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_worker_pids(s, after, 8), 2);
    assert_memory_equal(before, after, 2 * sizeof(pid_t)); /* reopen keeps the workers */

    j = ctl_ok(fd, "reload"); /* the same file: a new generation, nothing changed */
    assert_int_equal(jint(j, "generation"), 2);
    assert_int_equal(json_array_size(json_object_get(j, "changed")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "restart_required")), 0);
    json_decref(j);
    j = ctl_ok(fd, "status"); /* still usable */
    assert_int_equal(jint(j, "generation"), 2);
    assert_int_equal(jint(j, "totals.reloads"), 1);
    json_decref(j);
    assert_int_equal(pf_h_wait_pid_gone(before[0], PF_H_WAIT_MS), 0); /* new workers took over */
    assert_int_equal(pf_h_wait_pid_gone(before[1], PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_check_serves(s), 0);
    close(fd);
}

/* "stop" or "stop fast": the reply, then the master exits 0. */
static void ctl_stop_case(struct pf_server *s, const char *cmd, const char *how)
{
    struct ctl ctl;
    int fd, status = -1;
    json_t *j;

    ctl_start(s, &ctl, 2);
    fd = ctl_session(&ctl);
    pf_h_worker_pids(s, NULL, 0);
    j = ctl_ok(fd, cmd);
    assert_string_equal(jstr(j, "stopping"), how);
    json_decref(j);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
    if (strcmp(how, "graceful") == 0) /* a fast stop terminates workers */
        assert_int_equal(pf_h_log_abnormal_exits(s), 0);
    close(fd);
}

PF_H_TEST(test_stop)
{
    ctl_stop_case(s, "stop", "graceful");
}

PF_H_TEST(test_stop_fast)
{
    ctl_stop_case(s, "stop fast", "fast");
}

/* ---------------------------------------------------- authentication */

PF_H_TEST(test_auth_wrong_token)
{
    struct ctl ctl;
    int fd;
    json_t *j;

    ctl_start(s, &ctl, 2);
    ctl_bad_auth(&ctl);
    assert_int_equal(pf_h_wait_log(s, "authentication failed", PF_H_WAIT_MS), 0);

    /* an empty token, and a token of the right length but wrong */
    fd = ctl_connect(&ctl);
    assert_true(fd >= 0);
    ctl_expect_refusal(fd, "auth\n", 5, "authenticate first: auth TOKEN");
    close(fd);
    {
        char line[CTL_TOKEN_MAX + 8];

        snprintf(line, sizeof(line), "auth %s\n", ctl.token);
        line[5] = line[5] == '0' ? '1' : '0';
        fd = ctl_connect(&ctl);
        assert_true(fd >= 0);
        ctl_expect_refusal(fd, line, strlen(line), "authentication failed");
        close(fd);
    }

    fd = ctl_session(&ctl); /* the right token still works, after the penalty */
    j = ctl_ok(fd, "status");
    assert_int_equal(jint(j, "totals.auth_failures"), 3);
    json_decref(j);
    close(fd);
    assert_int_equal(pf_h_log_count(s, "control: authentication failed from"), 3);
    assert_false(pf_h_log_contains(s, ctl.token + 1)); /* neither the secret */
    assert_false(pf_h_log_contains(s, "not-the-"));    /* nor what was tried */
}

PF_H_TEST(test_auth_command_first)
{
    struct ctl ctl;
    int fd;

    ctl_start(s, &ctl, 2);
    fd = ctl_connect(&ctl);
    assert_true(fd >= 0);
    ctl_expect_refusal(fd, "status\n", 7, "authenticate first: auth TOKEN");
    close(fd);
    assert_int_equal(pf_h_wait_log(s, "authenticate first", PF_H_WAIT_MS), 0);
    close(ctl_session(&ctl));
}

PF_H_TEST(test_auth_throttle)
{
    struct ctl ctl;
    int64_t t0, dt;
    int fd;
    json_t *j;

    ctl_start(s, &ctl, 2);
    for (int i = 0; i < 3; i++)
        ctl_bad_auth(&ctl); /* penalties 100, 200, 400 ms */

    dt = ctl_bad_auth(&ctl); /* waits the 400 ms left by the third */
    pf_h_note("4th failed attempt answered after %lld ms", (long long)dt);
    assert_true(dt >= 300);
    assert_true(dt < 5000);

    t0 = pf_time_now_ms(); /* the right token waits too (800 ms) */
    fd = ctl_session(&ctl);
    dt = pf_time_now_ms() - t0;
    pf_h_note("right token after 4 failures answered after %lld ms", (long long)dt);
    assert_true(dt >= 600);
    assert_true(dt < 5000);
    j = ctl_ok(fd, "status");
    assert_int_equal(jint(j, "totals.auth_failures"), 4);
    json_decref(j);
    close(fd);

    /* the success reset the penalty: the next failure costs 100 ms again */
    ctl_bad_auth(&ctl);
    dt = ctl_bad_auth(&ctl);
    pf_h_note("failure after a reset answered after %lld ms", (long long)dt);
    assert_true(dt >= 50);
    assert_true(dt < 1000);
    close(ctl_session(&ctl));
}

/* ------------------------------------------------------ hostile input */

PF_H_TEST(test_garbage)
{
    static const char binary[] = {'\0', '\xff', '\xfe', '\x01', '\x80', '\r', '\x7f', '\n'};
    struct ctl ctl;
    char *big = malloc(2000);
    char *max = malloc(1024);
    int fd;

    assert_non_null(big);
    assert_non_null(max);
    ctl_start(s, &ctl, 2);

    /* binary bytes instead of auth: refused, closed */
    fd = ctl_connect(&ctl);
    assert_true(fd >= 0);
    ctl_expect_refusal(fd, binary, sizeof(binary), "authenticate first: auth TOKEN");
    close(fd);

    /* 2000 bytes without a newline, before and after authentication */
    memset(big, 'x', 2000);
    fd = ctl_connect(&ctl);
    assert_true(fd >= 0);
    ctl_expect_refusal(fd, big, 2000, "line too long (at most 1023 bytes)");
    close(fd);
    fd = ctl_session(&ctl);
    ctl_expect_refusal(fd, big, 2000, "line too long (at most 1023 bytes)");
    close(fd);

    /* after authentication, binary is a bad command; the longest line
     * allowed (1023 bytes) is handled as a line; the session goes on */
    fd = ctl_session(&ctl);
    {
        json_t *j;
        char reply[4096];

        assert_int_equal(pf_h_send(fd, binary, sizeof(binary)), 0);
        assert_true(ctl_recv_line(fd, reply, sizeof(reply), CTL_REPLY_MS) >= 0);
        j = ctl_parse(reply);
        assert_false(jok(j));
        json_decref(j);

        memset(max, 'y', 1023);
        max[1023] = '\n';
        assert_int_equal(pf_h_send(fd, max, 1024), 0);
        assert_true(ctl_recv_line(fd, reply, sizeof(reply), CTL_REPLY_MS) >= 0);
        j = ctl_parse(reply);
        assert_false(jok(j));
        assert_null(strstr(jstr(j, "error"), "line too long"));
        json_decref(j);
    }
    json_decref(ctl_ok(fd, "status"));
    close(fd);

    /* 1024 bytes and a newline: one byte too many */
    fd = ctl_session(&ctl);
    memset(big, 'z', 1024);
    big[1024] = '\n';
    ctl_expect_refusal(fd, big, 1025, "line too long (at most 1023 bytes)");
    close(fd);

    fd = ctl_session(&ctl);
    json_decref(ctl_ok(fd, "workers"));
    close(fd);
    assert_int_equal(pf_h_check_serves(s), 0);
    assert_true(pf_h_running(s));
    free(big);
    free(max);
}

PF_H_TEST(test_silent_client_does_not_stall_supervision)
{
    struct ctl ctl;
    pid_t before[8], after[8];
    char killed[96];
    int silent, authed;
    int64_t t0, tk, dt;

    ctl_start_with(s, &ctl, 2, 1, 16);
    t0 = pf_time_now_ms();
    silent = ctl_connect(&ctl);
    assert_true(silent >= 0);
    authed = ctl_session(&ctl);

    /* a worker dies while a control client sits silent: it is reaped,
     * and the other worker goes on serving */
    assert_int_equal(pf_h_worker_pids(s, before, 8), 2);
    tk = pf_time_now_ms();
    assert_int_equal(kill(before[0], SIGKILL), 0);
    snprintf(killed, sizeof(killed), "worker %ld killed by signal 9", (long)before[0]);
    assert_int_equal(pf_h_wait_log(s, killed, 3000), 0);
    assert_int_equal(pf_h_check_serves(s), 0);
    if (pf_time_now_ms() - t0 < 700) { /* not closed before its time */
        struct pollfd p = {.fd = silent, .events = POLLIN};

        assert_int_equal(poll(&p, 1, 0), 0);
    }

    /* both idle clients are closed after control.idle_timeout (1 s) */
    assert_int_equal(pf_h_expect_closed(silent, 5000), 0);
    dt = pf_time_now_ms() - t0;
    pf_h_note("silent client closed after %lld ms", (long long)dt);
    assert_true(dt >= 900);
    assert_true(dt < 3000);
    assert_int_equal(pf_h_expect_closed(authed, 5000), 0);
    assert_int_equal(pf_h_wait_log_count(s, "idle; closing", 2, PF_H_WAIT_MS), 0);
    close(silent);
    close(authed);

    /* the replacement: after the crash guard for a worker that died
     * young (1 s), within a few seconds */
    assert_int_equal(pf_h_wait_workers(s, 2, 5000), 0);
    pf_h_note("killed worker replaced after %lld ms", (long long)(pf_time_now_ms() - tk));
    assert_int_equal(pf_h_worker_pids(s, after, 8), 2);
    assert_false(pid_in(before[0], after, 2));
    assert_true(pid_in(before[1], after, 2));
    {
        int fd = pf_h_connect(s);

        assert_true(fd >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd, "still served\n"), 0);
        close(fd);
    }
    close(ctl_session(&ctl));
}

PF_H_TEST(test_max_clients)
{
    struct ctl ctl;
    int a, b, c, d = -1;
    int64_t deadline;

    ctl_start_with(s, &ctl, 2, 10, 2);
    a = ctl_session(&ctl);
    b = ctl_session(&ctl);
    c = ctl_connect(&ctl);
    assert_true(c >= 0);
    assert_int_equal(pf_h_expect_closed(c, 3000), 0);
    close(c);
    assert_int_equal(pf_h_wait_log(s, "clients already connected", PF_H_WAIT_MS), 0);
    json_decref(ctl_ok(a, "status"));
    json_decref(ctl_ok(b, "workers"));

    /* a place freed is taken again */
    close(a);
    deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    while (d < 0 && pf_time_now_ms() < deadline) {
        char line[CTL_TOKEN_MAX + 8], reply[256];

        d = ctl_connect(&ctl);
        assert_true(d >= 0);
        snprintf(line, sizeof(line), "auth %s\n", ctl.token);
        if (pf_h_send(d, line, strlen(line)) < 0 ||
            ctl_recv_line(d, reply, sizeof(reply), 1000) < 0) {
            close(d);
            d = -1;
            usleep(PF_H_POLL_MS * 1000);
            continue;
        }
        assert_string_equal(reply, "{\"ok\":true}");
    }
    assert_true(d >= 0);
    json_decref(ctl_ok(d, "status"));
    json_decref(ctl_ok(b, "status"));
    close(b);
    close(d);
}

PF_H_TEST(test_client_that_never_reads)
{
    enum { COMMANDS = 50000, BATCH = 500 };
    struct ctl ctl;
    char *batch = malloc(BATCH * 8);
    char *sink = malloc(1 << 16);
    int fd, other, sent = 0;
    size_t drained = 0;
    int64_t t0, dt, deadline;
    bool closed = false;

    assert_non_null(batch);
    assert_non_null(sink);
    ctl_start(s, &ctl, 4);
    fd = ctl_connect_buf(&ctl, 4096);
    assert_true(fd >= 0);
    ctl_auth(fd, &ctl);
    for (int i = 0; i < BATCH; i++)
        memcpy(batch + i * 8, "workers\n", 8);

    /* tens of MB of replies asked for, none read */
    while (sent < COMMANDS) {
        ssize_t n = send(fd, batch, BATCH * 8, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            assert_true(errno == EPIPE || errno == ECONNRESET);
            break; /* dropped already */
        }
        assert_int_equal(n, BATCH * 8); /* the server keeps reading */
        sent += BATCH;
    }
    pf_h_note("sent %d commands before the drop", sent);
    /* The master must first render the thousands of replies it is asked
     * for until 4 MiB pile up: seconds normally, far more under valgrind
     * (CI runs these tests so), hence a wide bound here. */
    assert_int_equal(pf_h_wait_log(s, "does not read its replies", 60000), 0);

    /* the master still answers others promptly */
    t0 = pf_time_now_ms();
    other = ctl_session(&ctl);
    ctl_wait_idle(other, 4);
    dt = pf_time_now_ms() - t0;
    assert_true(dt < 5000);
    close(other);
    assert_int_equal(pf_h_check_serves(s), 0);

    /* what reached our socket before the drop, then EOF or a reset; far
     * less than the replies to every command */
    deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    while (!closed && pf_time_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&p, 1, pf_time_left_ms(deadline)) <= 0)
            break;
        n = recv(fd, sink, 1 << 16, MSG_DONTWAIT);
        if (n > 0)
            drained += (size_t)n;
        else if (n == 0 || errno == ECONNRESET)
            closed = true;
    }
    pf_h_note("read %zu bytes before the close", drained);
    assert_true(closed);
    assert_true(drained < (size_t)COMMANDS * 400);
    close(fd);
    free(batch);
    free(sink);
}

PF_H_TEST(test_pipelined_commands)
{
    static const char three[] = "status\nworkers\r\nhelp\n";
    struct ctl ctl;
    char reply[65536], line[CTL_TOKEN_MAX + 32];
    int fd;
    int64_t t0, dt;
    json_t *j;

    ctl_start(s, &ctl, 2);

    /* three commands in one segment: three replies, in order */
    fd = ctl_session(&ctl);
    assert_int_equal(pf_h_send(fd, three, sizeof(three) - 1), 0);
    assert_true(ctl_recv_line(fd, reply, sizeof(reply), CTL_REPLY_MS) >= 0);
    j = ctl_parse(reply);
    assert_int_equal(jint(j, "pid"), s->pid);
    json_decref(j);
    assert_true(ctl_recv_line(fd, reply, sizeof(reply), CTL_REPLY_MS) >= 0);
    j = ctl_parse(reply);
    assert_true(json_is_array(json_object_get(j, "workers")));
    json_decref(j);
    assert_true(ctl_recv_line(fd, reply, sizeof(reply), CTL_REPLY_MS) >= 0);
    j = ctl_parse(reply);
    assert_true(json_is_array(json_object_get(j, "commands")));
    json_decref(j);
    close(fd);

    /* a failure first: "auth" and a command in one segment are parked
     * together, then both answered after the penalty */
    ctl_bad_auth(&ctl);
    fd = ctl_connect(&ctl);
    assert_true(fd >= 0);
    snprintf(line, sizeof(line), "auth %s\nstatus\n", ctl.token);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_send(fd, line, strlen(line)), 0);
    assert_true(ctl_recv_line(fd, reply, sizeof(reply), CTL_REPLY_MS) >= 0);
    assert_string_equal(reply, "{\"ok\":true}");
    assert_true(ctl_recv_line(fd, reply, sizeof(reply), CTL_REPLY_MS) >= 0);
    dt = pf_time_now_ms() - t0;
    j = ctl_parse(reply);
    assert_true(jok(j));
    assert_int_equal(jint(j, "totals.auth_failures"), 1);
    json_decref(j);
    pf_h_note("parked auth + status answered after %lld ms", (long long)dt);
    assert_true(dt >= 50 && dt < 5000);
    close(fd);

    /* a failed auth ends the connection: what follows is not run */
    fd = ctl_connect(&ctl);
    assert_true(fd >= 0);
    ctl_expect_refusal(fd, "auth bad\nstop\n", 14, "authentication failed");
    close(fd);
    assert_true(pf_h_running(s));
    fd = ctl_session(&ctl);
    j = ctl_ok(fd, "status");
    assert_true(json_is_false(jget(j, "stopping")));
    json_decref(j);
    close(fd);
}

PF_H_TEST(test_commands_while_stopping)
{
    struct ctl ctl;
    struct pf_addr local;
    char client[PF_ADDR_STRLEN], reply[64];
    int fd, echo, status = -1;
    pid_t busy;
    int64_t deadline;
    bool seen = false;
    json_t *j;

    ctl_start_classic(s, &ctl, 2);
    fd = ctl_session(&ctl);

    /* a worker in the middle of a request (half a line) */
    echo = pf_h_connect(s);
    assert_true(echo >= 0);
    assert_int_equal(pf_h_send(echo, "partial", 7), 0);
    busy = pf_h_worker_of_client(s, echo, PF_H_WAIT_MS);
    assert_true(busy > 0);
    assert_int_equal(pf_net_local_addr(echo, &local), 0);
    pf_addr_format((struct sockaddr *)&local.ss, client, sizeof(client));

    /* workers shows it reading, with our address */
    deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    while (!seen && pf_time_now_ms() < deadline) {
        json_t *w;
        size_t i;

        j = ctl_ok(fd, "workers");
        json_array_foreach(json_object_get(j, "workers"), i, w)
        {
            json_t *cl = json_object_get(w, "client");

            if (jint(w, "pid") == busy && strcmp(jstr(w, "state"), "reading") == 0 &&
                json_is_string(cl) && strcmp(json_string_value(cl), client) == 0)
                seen = true;
        }
        json_decref(j);
        if (!seen)
            usleep(PF_H_POLL_MS * 1000);
    }
    assert_true(seen);
    j = ctl_ok(fd, "status");
    assert_int_equal(jint(j, "workers.busy"), 1);
    assert_int_equal(jint(j, "workers.reading"), 1);
    json_decref(j);

    /* a graceful stop waits for it; meanwhile the channel still answers */
    j = ctl_ok(fd, "stop");
    assert_string_equal(jstr(j, "stopping"), "graceful");
    json_decref(j);
    j = ctl_ok(fd, "status");
    assert_true(json_is_true(jget(j, "stopping")));
    json_decref(j);
    ctl_refused(fd, "scale +1", "scale: the server is stopping");
    ctl_refused(fd, "scale 3", "scale: the server is stopping");
    assert_true(pf_h_running(s));

    /* the request completes, then everything ends with status 0 */
    assert_int_equal(pf_h_send(echo, " line\n", 6), 0);
    assert_int_equal(pf_h_recv(echo, reply, 13), 0);
    assert_memory_equal(reply, "partial line\n", 13);
    close(echo);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
    close(fd);
}

PF_H_TEST(test_workers_hold_no_control_socket)
{
    struct ctl ctl;
    struct pf_addr local;
    unsigned cport;
    unsigned long listener, conn;
    pid_t pids[8];
    int fd, n;

    ctl_start(s, &ctl, 2);
    fd = ctl_session(&ctl); /* connected while the next workers are forked */
    json_decref(ctl_ok(fd, "scale +2"));
    assert_int_equal(pf_h_wait_workers(s, 4, PF_H_WAIT_MS), 0);

    cport = pf_addr_port((struct sockaddr *)&ctl.addr.ss);
    assert_int_equal(pf_net_local_addr(fd, &local), 0);
    listener = pf_h_socket_inode(cport, 0);
    conn = pf_h_socket_inode(cport, pf_addr_port((struct sockaddr *)&local.ss));
    assert_true(listener != 0 && conn != 0);
    assert_true(pf_h_pid_has_socket(s->pid, listener)); /* the probe works */
    assert_true(pf_h_pid_has_socket(s->pid, conn));
    n = pf_h_worker_pids(s, pids, 8);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++) {
        /* A worker closes the master's sockets right after fork(), but a
         * process seen a moment after its fork may not have got there
         * yet (under valgrind it takes a while): give it the harness's
         * usual bound to do it. */
        int64_t deadline = pf_time_now_ms() + pf_h_scaled_ms(PF_H_WAIT_MS);

        while ((pf_h_pid_has_socket(pids[i], listener) || pf_h_pid_has_socket(pids[i], conn)) &&
               pf_time_now_ms() < deadline)
            usleep(PF_H_POLL_MS * 1000);
        if (pf_h_pid_has_socket(pids[i], listener) || pf_h_pid_has_socket(pids[i], conn))
            pf_h_note("worker %ld holds a control socket", (long)pids[i]);
        assert_false(pf_h_pid_has_socket(pids[i], listener));
        assert_false(pf_h_pid_has_socket(pids[i], conn));
    }
    json_decref(ctl_ok(fd, "status"));
    close(fd);
}

/* ------------------------------------------------- start-up refusals */

/* Run preforkd on body to completion; expect exit 1 and stderr holding
 * every string of want (NULL-terminated). */
static void ctl_expect_start_refused(struct pf_server *s, const char *body, const char *const *want)
{
    struct pf_h_output o;

    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    assert_int_equal(pf_h_run(s, &o, "-c", "preforkd.conf", NULL), 0);
    pf_h_note("stderr: %s", o.err);
    assert_true(pf_h_exited_with(o.status, 1));
    for (; *want; want++) {
        if (strstr(o.err, *want) == NULL)
            pf_h_note("stderr lacks \"%s\"", *want);
        assert_non_null(strstr(o.err, *want));
    }
    pf_h_output_free(&o);
}

PF_H_TEST(test_non_loopback_refused)
{
    static const char *const want[] = {"control.listen", "loopback", NULL};
    static const char *const addrs[] = {"0.0.0.0:0", "[::]:0"};
    struct pf_h_config c;
    char extra[256], body[8192];

    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        ctl_config(&c, extra, sizeof(extra), 2, addrs[i], 10, 16);
        assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
        ctl_expect_start_refused(s, body, want);
    }
}

PF_H_TEST(test_token_file_mode_refused)
{
    struct pf_h_config c;
    char extra[256], body[8192], token_path[PATH_MAX];
    const char *want[] = {"control.token_file", token_path, NULL};

    assert_int_equal(pf_h_write_file(s, "preforkd.token", "0123456789abcdef\n", token_path), 0);
    assert_int_equal(chmod(token_path, 0644), 0);
    ctl_config(&c, extra, sizeof(extra), 2, "127.0.0.1:0", 10, 16);
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    ctl_expect_start_refused(s, body, want);
    assert_int_equal(pf_h_orphans(s), 0);
}

PF_H_TEST(test_token_file_given)
{
    struct ctl ctl;
    char token_path[PATH_MAX];
    struct pf_h_config c;
    char extra[256];
    int fd;

    assert_int_equal(pf_h_write_file(s, "preforkd.token", "s3cret-Token_for.tests \t\n",
                                     token_path),
                     0);
    assert_int_equal(chmod(token_path, 0600), 0);
    ctl_config(&c, extra, sizeof(extra), 2, "127.0.0.1:0", 10, 16);
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(ctl_find_addr(s, &ctl), 0);
    snprintf(ctl.token, sizeof(ctl.token), "s3cret-Token_for.tests");
    fd = ctl_session(&ctl);
    json_decref(ctl_ok(fd, "status"));
    close(fd);
}

/* ------------------------------------------------------------ metrics */

/* One scrape: the response to GET path with the given Authorization
 * field value (NULL: none). */
static void ctl_scrape(const struct ctl *ctl, const char *path, const char *authz,
                       struct pf_h_http *r)
{
    char req[512];
    int fd = ctl_connect(ctl);

    assert_true(fd >= 0);
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\n%s%s%s\r\n", path,
             authz ? "Authorization: " : "", authz ? authz : "", authz ? "\r\n" : "");
    assert_int_equal(pf_h_http_exchange(fd, req, r), 0);
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0); /* Connection: close */
    close(fd);
}

#define MAX_FAMILIES 128

/* The families seen so far in an exposition: name, whether HELP and TYPE came. */
struct families {
    char name[MAX_FAMILIES][128];
    bool help[MAX_FAMILIES], type[MAX_FAMILIES];
    int n;
};

static int family(struct families *f, const char *name, size_t len)
{
    for (int i = 0; i < f->n; i++)
        if (strlen(f->name[i]) == len && memcmp(f->name[i], name, len) == 0)
            return i;
    assert_true(f->n < MAX_FAMILIES && len < sizeof(f->name[0]));
    memcpy(f->name[f->n], name, len);
    f->name[f->n][len] = '\0';
    return f->n++;
}

static bool metric_name_char(char ch, bool first)
{
    return isalpha((unsigned char)ch) || ch == '_' || ch == ':' ||
           (!first && isdigit((unsigned char)ch));
}

/* Check one exposition (text format 0.0.4) line by line: only "# HELP"
 * and "# TYPE" comments, each family's HELP and TYPE before its samples,
 * every sample "name value" or "name{l="v",...} value" with a number.
 * The value of the sample whose text before the value is keys[i] goes
 * into vals[i] (-1 if there is no such sample). */
static void check_exposition(const char *body, const char *const *keys, double *vals, int nkeys)
{
    struct families f = {.n = 0};
    const char *line = body;
    int samples = 0;

    for (int k = 0; k < nkeys; k++)
        vals[k] = -1;
    assert_true(strlen(body) > 0 && body[strlen(body) - 1] == '\n');
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = (size_t)(end - line), n = 0;
        char text[1024], *value_end;
        double v;

        assert_true(len > 0 && len < sizeof(text)); /* no blank or huge lines */
        memcpy(text, line, len);
        text[len] = '\0';
        if (text[0] == '#') {
            const char *what = strncmp(text, "# HELP ", 7) == 0   ? "help"
                               : strncmp(text, "# TYPE ", 7) == 0 ? "type"
                                                                  : NULL;
            const char *name = text + 7;
            size_t nl = strcspn(name, " ");
            int i;

            if (!what)
                pf_h_note("unexpected comment: %s", text);
            assert_non_null(what);
            assert_true(nl > 0 && name[nl] == ' ' && name[nl + 1] != '\0');
            i = family(&f, name, nl);
            if (what[0] == 'h') {
                assert_false(f.help[i]);
                f.help[i] = true;
            } else {
                const char *t = name + nl + 1;

                assert_false(f.type[i]);
                assert_true(strcmp(t, "counter") == 0 || strcmp(t, "gauge") == 0 ||
                            strcmp(t, "untyped") == 0 || strcmp(t, "histogram") == 0 ||
                            strcmp(t, "summary") == 0);
                f.type[i] = true;
            }
            line = end + 1;
            continue;
        }
        /* name, optional {labels}, one space, a number */
        while (metric_name_char(text[n], n == 0))
            n++;
        assert_true(n > 0);
        {
            int i = family(&f, text, n);
            static const char *const parts[] = {"_bucket", "_sum", "_count"};

            /* a histogram's samples are named after it, with a suffix */
            for (size_t k = 0; k < 3 && !f.help[i]; k++)
                if (n > strlen(parts[k]) &&
                    memcmp(text + n - strlen(parts[k]), parts[k], strlen(parts[k])) == 0) {
                    int h = family(&f, text, n - strlen(parts[k]));

                    if (f.help[h])
                        i = h;
                }
            if (!f.help[i] || !f.type[i])
                pf_h_note("sample before its HELP and TYPE: %s", text);
            assert_true(f.help[i] && f.type[i]);
        }
        if (text[n] == '{') {
            n++;
            while (text[n] != '}') { /* name="value" [, ...] */
                size_t l0 = n;

                while (metric_name_char(text[n], n == l0))
                    n++;
                assert_true(n > l0 && text[n] == '=' && text[n + 1] == '"');
                n += 2;
                while (text[n] != '"') {
                    assert_true(text[n] != '\0');
                    if (text[n] == '\\') {
                        assert_true(text[n + 1] == '\\' || text[n + 1] == '"' ||
                                    text[n + 1] == 'n');
                        n++;
                    }
                    n++;
                }
                n++;
                if (text[n] == ',')
                    n++;
                else
                    assert_int_equal(text[n], '}');
            }
            n++;
        }
        assert_int_equal(text[n], ' ');
        errno = 0;
        v = strtod(text + n + 1, &value_end);
        if (value_end == text + n + 1 || *value_end != '\0' || errno != 0)
            pf_h_note("not a number: %s", text);
        assert_true(value_end != text + n + 1 && *value_end == '\0' && errno == 0);
        for (int k = 0; k < nkeys; k++)
            if (strlen(keys[k]) == n && memcmp(keys[k], text, n) == 0)
                vals[k] = v;
        samples++;
        line = end + 1;
    }
    assert_true(samples > 0);
}

/* Scrape /metrics with the right token, check it, read the values of keys. */
static void ctl_metrics(const struct ctl *ctl, const char *const *keys, double *vals, int n)
{
    struct pf_h_http r;
    char authz[CTL_TOKEN_MAX + 16], ctype[256];

    snprintf(authz, sizeof(authz), "Bearer %s", ctl->token);
    ctl_scrape(ctl, "/metrics", authz, &r);
    assert_int_equal(r.status, 200);
    assert_true(pf_h_http_header(&r, "Content-Type", ctype, sizeof(ctype)));
    assert_true(strncmp(ctype, "text/plain; version=0.0.4", 25) == 0);
    assert_non_null(r.body);
    assert_int_equal(r.content_length, (long long)r.body_len);
    assert_int_equal(strlen(r.body), r.body_len);
    check_exposition(r.body, keys, vals, n);
    pf_h_http_free(&r);
}

PF_H_TEST(test_metrics)
{
    static const char *const keys[] = {"preforkd_workers{state=\"idle\"}",
                                       "preforkd_requests_total",
                                       "preforkd_workers_target",
                                       "preforkd_control_auth_failures_total",
                                       "preforkd_worker_ready{slot=\"0\"}",
                                       "preforkd_worker_private_memory_bytes{slot=\"0\"}",
                                       "process_open_fds",
                                       "process_resident_memory_bytes",
                                       "preforkd_workers_open_fds",
                                       "preforkd_workers_resident_memory_bytes"};
    enum {
        IDLE,
        REQUESTS,
        TARGET,
        AUTH_FAILURES,
        READY0,
        MEMORY0,
        MASTER_FDS,
        MASTER_RSS,
        WORKER_FDS,
        WORKER_RSS,
        NKEYS
    };
    struct ctl ctl;
    struct pf_h_http r;
    double v[NKEYS], v2[NKEYS];
    char authz[CTL_TOKEN_MAX + 16];
    int fd;
    int64_t deadline;

    ctl_start(s, &ctl, 3);
    fd = ctl_session(&ctl);
    ctl_wait_idle(fd, 3);
    close(fd);

    ctl_metrics(&ctl, keys, v, NKEYS);
    assert_true(v[IDLE] == (double)pf_h_worker_pids(s, NULL, 0));
    assert_true(v[IDLE] == 3);
    assert_true(v[TARGET] == 3);
    assert_true(v[REQUESTS] >= 0);
    assert_true(v[AUTH_FAILURES] == 0);
    assert_true(v[READY0] == 1);
    assert_true(v[MEMORY0] > 0); /* a worker's private memory, from /proc */
    assert_true(v[MASTER_FDS] >= 4 && v[MASTER_RSS] > 0);                 /* the master's */
    assert_true(v[WORKER_FDS] >= 3 * 3 && v[WORKER_RSS] > v[MASTER_RSS]); /* 3 workers summed */

    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    for (int i = 0; i < 10; i++) {
        char line[32];

        snprintf(line, sizeof(line), "metrics line %d\n", i);
        assert_int_equal(pf_h_echo_roundtrip(fd, line), 0);
    }
    close(fd);
    deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    do {
        ctl_metrics(&ctl, keys, v2, NKEYS);
        if (v2[REQUESTS] >= v[REQUESTS] + 10)
            break;
        usleep(PF_H_POLL_MS * 1000);
    } while (pf_time_now_ms() < deadline);
    pf_h_note("requests_total %.0f -> %.0f", v[REQUESTS], v2[REQUESTS]);
    assert_true(v2[REQUESTS] >= v[REQUESTS] + 10);

    /* another path, a wrong and a missing token */
    snprintf(authz, sizeof(authz), "Bearer %s", ctl.token);
    ctl_scrape(&ctl, "/other", authz, &r);
    assert_int_equal(r.status, 404);
    pf_h_http_free(&r);
    ctl_scrape(&ctl, "/metrics", "Bearer wrong-token", &r);
    assert_int_equal(r.status, 401);
    assert_true(pf_h_http_header(&r, "WWW-Authenticate", authz, sizeof(authz)));
    assert_string_equal(authz, "Bearer");
    assert_true(r.body == NULL || r.body_len == 0);
    pf_h_http_free(&r);
    ctl_scrape(&ctl, "/metrics", NULL, &r);
    assert_int_equal(r.status, 401);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_wait_log(s, "authentication failed", PF_H_WAIT_MS), 0);

    {
        /* a request head past 8 KiB: 431 (lines of 1000 bytes, under the
         * line limit) */
        char *req = malloc(12 * 1024);
        size_t len;
        int cfd = ctl_connect(&ctl);

        assert_non_null(req);
        assert_true(cfd >= 0);
        len = (size_t)sprintf(req, "GET /metrics HTTP/1.1\r\nAuthorization: Bearer %s\r\n",
                              ctl.token);
        for (int i = 0; i < 9; i++) {
            len += (size_t)sprintf(req + len, "X-Pad-%d: ", i);
            memset(req + len, 'p', 988);
            len += 988;
            len += (size_t)sprintf(req + len, "\r\n");
        }
        len += (size_t)sprintf(req + len, "\r\n");
        assert_int_equal(pf_h_http_exchange_len(cfd, req, len, &r), 0);
        assert_int_equal(r.status, 431);
        pf_h_http_free(&r);
        close(cfd);
        free(req);
    }

    /* the right token still works; only the wrong token counted as a
     * failed authentication, not the request without any (a browser's
     * first request never has one) */
    ctl_metrics(&ctl, keys, v2, NKEYS);
    assert_true(v2[AUTH_FAILURES] == 1);
}

/* ------------------------------------------------------- status page */

/* "Basic BASE64" of "user:token", as a browser sends it after its login
 * dialog. */
static void ctl_basic(const char *user_token, char *authz, size_t size)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = (const unsigned char *)user_token;
    size_t len = strlen(user_token), o = (size_t)snprintf(authz, size, "Basic ");

    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < len ? in[i + 2] : 0);

        assert_true(o + 5 < size);
        authz[o++] = digits[v >> 18 & 63];
        authz[o++] = digits[v >> 12 & 63];
        authz[o++] = i + 1 < len ? digits[v >> 6 & 63] : '=';
        authz[o++] = i + 2 < len ? digits[v & 63] : '=';
    }
    authz[o] = '\0';
}

/* /status.json's "events" holds an event containing text. */
static bool page_has_event(json_t *page, const char *text)
{
    size_t i;
    json_t *e;

    json_array_foreach(json_object_get(page, "events"), i,
                       e) if (strstr(json_string_value(json_object_get(e, "text")),
                                     text)) return true;
    return false;
}

/* /status.json, parsed; authz as ctl_scrape's. */
static json_t *ctl_page_data(const struct ctl *ctl, const char *authz)
{
    struct pf_h_http r;
    char type[128];
    json_t *j;

    ctl_scrape(ctl, "/status.json", authz, &r);
    assert_int_equal(r.status, 200);
    assert_true(pf_h_http_header(&r, "Content-Type", type, sizeof(type)));
    assert_string_equal(type, "application/json");
    j = json_loadb(r.body, r.body_len, 0, NULL);
    pf_h_http_free(&r);
    assert_non_null(j);
    return j;
}

/* The status page: a browser's first request gets the Basic challenge
 * (not counted as a failed login), a wrong password 401 (counted), the
 * token as the password or as a bearer the page and its data. The page
 * is one self-contained document; its data has the status, the workers
 * and the recent events, among them a killed worker's; the events
 * command gives the same list. */
PF_H_TEST(test_status_page)
{
    struct ctl ctl;
    struct pf_h_http r;
    char authz[512], user_token[CTL_TOKEN_MAX + 8], value[256], needle[64];
    pid_t pids[8];
    json_t *page, *events;
    int fd, n;

    ctl_start(s, &ctl, 3);
    ctl_scrape(&ctl, "/status", NULL, &r);
    assert_int_equal(r.status, 401);
    assert_true(pf_h_http_header(&r, "WWW-Authenticate", value, sizeof(value)));
    assert_string_equal(value, "Basic realm=\"preforkd\", charset=\"UTF-8\"");
    pf_h_http_free(&r);
    ctl_basic("admin:not-the-token", authz, sizeof(authz));
    ctl_scrape(&ctl, "/status", authz, &r);
    assert_int_equal(r.status, 401);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_wait_log(s, "authentication failed from 127.0.0.1", PF_H_WAIT_MS), 0);

    snprintf(user_token, sizeof(user_token), "admin:%s", ctl.token);
    ctl_basic(user_token, authz, sizeof(authz));
    ctl_scrape(&ctl, "/status", authz, &r);
    assert_int_equal(r.status, 200);
    assert_true(pf_h_http_header(&r, "Content-Type", value, sizeof(value)));
    assert_string_equal(value, "text/html; charset=utf-8");
    assert_true(pf_h_http_header(&r, "Content-Security-Policy", value, sizeof(value)));
    assert_non_null(strstr(value, "default-src 'none'"));
    assert_non_null(r.body);
    assert_non_null(memmem(r.body, r.body_len, "<title>preforkd status</title>", 30));
    assert_non_null(memmem(r.body, r.body_len, "/status.json", 12));
    /* self-contained: nothing loaded from another address */
    assert_null(memmem(r.body, r.body_len, "http://", 7));
    assert_null(memmem(r.body, r.body_len, "https://", 8));
    assert_null(memmem(r.body, r.body_len, "<link", 5));
    pf_h_http_free(&r);

    page = ctl_page_data(&ctl, authz);
    assert_int_equal(jint(page, "health.code"), 200);
    assert_string_equal(jstr(page, "health.text"), "ok");
    assert_int_equal(jint(page, "status.workers.target"), 3);
    assert_int_equal(json_array_size(json_object_get(page, "workers")), 3);
    assert_true(page_has_event(page, "ready: 3 workers accepting on"));
    assert_true(page_has_event(page, "authentication failed")); /* warnings are events */
    json_decref(page);

    /* a worker killed: its death is an event, and a new one takes its slot */
    n = pf_h_worker_pids(s, pids, 8);
    assert_int_equal(n, 3);
    assert_int_equal(kill(pids[0], SIGKILL), 0);
    snprintf(needle, sizeof(needle), "worker %ld killed by signal 9", (long)pids[0]);
    snprintf(authz, sizeof(authz), "Bearer %s", ctl.token);
    for (int64_t end = pf_time_now_ms() + PF_H_WAIT_MS;; usleep(PF_H_POLL_MS * 1000)) {
        bool seen, replaced = true;
        size_t i;
        json_t *w;

        page = ctl_page_data(&ctl, authz);
        seen = page_has_event(page, needle);
        json_array_foreach(json_object_get(page, "workers"), i,
                           w) if (json_integer_value(json_object_get(w, "pid")) == pids[0])
            replaced = false;
        replaced = replaced && json_array_size(json_object_get(page, "workers")) == 3;
        json_decref(page);
        if (seen && replaced)
            break;
        assert_true(pf_time_now_ms() < end);
    }

    /* the events command: the same list, newest first */
    fd = ctl_session(&ctl);
    events = ctl_ok(fd, "events");
    assert_true(json_array_size(json_object_get(events, "events")) >= 3);
    assert_true(page_has_event(events, needle));
    assert_true(jint(json_array_get(json_object_get(events, "events"), 0), "seq") >
                jint(json_array_get(json_object_get(events, "events"), 1), "seq"));
    json_decref(events);
    close(fd);
}

/* ctl_metrics until vals[k] is at least min, or PF_H_WAIT_MS passed;
 * vals holds the last scrape's values. */
static void ctl_metrics_until(const struct ctl *ctl, const char *const *keys, double *vals, int n,
                              int k, double min)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    ctl_metrics(ctl, keys, vals, n);
    while (vals[k] < min && pf_time_now_ms() < deadline) {
        usleep(PF_H_POLL_MS * 1000);
        ctl_metrics(ctl, keys, vals, n);
    }
}

/* The keeper's metrics: up, what it holds, its handoffs both ways, its
 * memory; the exposition still well-formed; and preforkd_workers counts
 * every worker in one state, the waiting ones (keepalive) included. */
PF_H_TEST(test_metrics_keeper)
{
    static const char *const keys[] = {"preforkd_keeper_up",
                                       "preforkd_keeper_parked",
                                       "preforkd_keeper_restarts_total",
                                       "preforkd_keeper_handoffs_total{direction=\"parked\"}",
                                       "preforkd_keeper_handoffs_total{direction=\"handed\"}",
                                       "preforkd_keeper_closed_total{reason=\"idle\"}",
                                       "preforkd_keeper_expired_total",
                                       "preforkd_keeper_memory_bytes{kind=\"rss\"}",
                                       "preforkd_keeper_memory_bytes{kind=\"pss\"}",
                                       "preforkd_workers{state=\"keepalive\"}",
                                       "preforkd_workers{state=\"idle\"}"};
    enum {
        UP,
        PARKED,
        RESTARTS,
        TO_KEEPER,
        TO_WORKER,
        IDLE_CLOSED,
        EXPIRED,
        RSS,
        PSS,
        WAITING,
        IDLE,
        NKEYS
    };
    struct ctl ctl;
    double v[NKEYS];
    int fd;

    ctl_start(s, &ctl, 2);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_echo_roundtrip(fd, "park me\n"), 0);
    assert_int_equal(pf_h_wait_parked(s, fd, PF_H_WAIT_MS), 0);
    /* the worker that parked it may still be on its way back to idle */
    ctl_metrics_until(&ctl, keys, v, NKEYS, IDLE, 2);
    assert_true(v[UP] == 1);
    assert_true(v[PARKED] == 1);
    assert_true(v[RESTARTS] == 0);
    assert_true(v[TO_KEEPER] >= 1);
    assert_true(v[IDLE_CLOSED] == 0 && v[EXPIRED] == 0);
    pf_h_note("keeper memory: RSS %.0f bytes, PSS %.0f bytes", v[RSS], v[PSS]);
    assert_true(v[RSS] > 0 && v[PSS] > 0 && v[PSS] <= v[RSS]);
    assert_true(v[WAITING] == 0 && v[IDLE] == 2); /* parked: it holds no worker */

    assert_int_equal(pf_h_echo_roundtrip(fd, "back\n"), 0); /* handed back to a worker */
    ctl_metrics_until(&ctl, keys, v, NKEYS, TO_WORKER, 1);
    assert_true(v[TO_WORKER] >= 1);
    close(fd);
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_token_file_created),
    PF_H_CASE(test_status),
    PF_H_CASE(test_workers),
    PF_H_CASE(test_config_help_and_bad_commands),
    PF_H_CASE(test_scale),
    PF_H_CASE(test_kill_worker),
    PF_H_CASE(test_reopen_and_reload),
    PF_H_CASE(test_stop),
    PF_H_CASE(test_stop_fast),
    PF_H_CASE(test_auth_wrong_token),
    PF_H_CASE(test_auth_command_first),
    PF_H_CASE(test_auth_throttle),
    PF_H_CASE(test_garbage),
    PF_H_CASE(test_silent_client_does_not_stall_supervision),
    PF_H_CASE(test_max_clients),
    PF_H_CASE(test_client_that_never_reads),
    PF_H_CASE(test_pipelined_commands),
    PF_H_CASE(test_commands_while_stopping),
    PF_H_CASE(test_workers_hold_no_control_socket),
    PF_H_CASE(test_non_loopback_refused),
    PF_H_CASE(test_token_file_mode_refused),
    PF_H_CASE(test_token_file_given),
    PF_H_CASE(test_metrics),
    PF_H_CASE(test_status_page),
    PF_H_CASE(test_metrics_keeper),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
