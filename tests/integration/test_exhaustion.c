/* Integration: resource exhaustion (docs/reliability.md, "Resource
 * exhaustion"), checked as an operator would: CPU time and memory in
 * /proc, the log, status on the control channel, clients being served.
 *  - descriptors: workers whose accept() finds no free descriptor, and a
 *    master whose control clients fill daemon.max_files, back off (little
 *    CPU), say so once, and serve again once descriptors are free;
 *  - fork failing (RLIMIT_NPROC of a master run as an unprivileged user):
 *    logged once with the reason, retried once a second whatever wakes
 *    the master, status answers, the remaining workers serve, and the pool
 *    refills by itself once the limit is raised;
 *  - logs on a full disk (/dev/full; a small tmpfs that fills up):
 *    serving goes on, no worker dies, the master answers, and no line is
 *    glued onto one the full disk cut;
 *  - the master's memory stays flat over many control requests and many
 *    worker respawns.
 * What needs root (another user, a mount) is skipped when the tests do
 * not run as root; what valgrind cannot run is skipped under it, with the
 * reason at the test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_time.h"

#define MAX_FILES 32       /* daemon.max_files of the descriptor tests */
#define CPU_WINDOW_MS 1000 /* how long CPU time is measured */
#define CPU_MAX_SHARE 0.20 /* of one CPU: backing off, not spinning */
#define QUEUED_CLIENTS 8   /* clients waiting while workers have no descriptor */
#define NPROC_LIMIT 4   /* RLIMIT_NPROC of the unprivileged master: itself, its keeper, 2 workers */
#define NPROC_SCALE 6   /* the target it is asked for */
#define NPROC_RAISED 64 /* its hard limit, and the soft one once raised */
#define MEM_SLACK_KIB 256              /* allowed growth of the master's memory */
#define CTL_REQUESTS 20000             /* control requests of the memory test */
#define RESPAWNS 2000                  /* worker respawns of the memory test */
#define LAUNCHER_FLAG "--exec-limited" /* argv[1] of this binary run as the launcher */
#define HELLO "hello\n"

/* ------------------------------------------------------ /proc readings */

/* utime + stime of pid in clock ticks (/proc/pid/stat), or -1. */
static long long cpu_ticks(pid_t pid)
{
    struct pf_h_stat st;

    return pf_h_proc_stat(pid, &st) == 0 ? (long long)(st.utime + st.stime) : -1;
}

/* The CPU time the n processes use over CPU_WINDOW_MS, as a share of one
 * CPU. The window is a measurement, not a wait for anything: it is as
 * long as it is whatever happens meanwhile. */
static double cpu_share(const pid_t *pids, int n)
{
    long long before = 0, after = 0;
    int64_t t0 = pf_time_now_ms(), t1;

    for (int i = 0; i < n; i++)
        before += cpu_ticks(pids[i]);
    while (pf_time_now_ms() - t0 < CPU_WINDOW_MS)
        usleep(PF_H_POLL_MS * 1000);
    t1 = pf_time_now_ms();
    for (int i = 0; i < n; i++)
        after += cpu_ticks(pids[i]);
    return (double)(after - before) / (double)sysconf(_SC_CLK_TCK) / ((double)(t1 - t0) / 1000.0);
}

/* What an operator reads of a process's memory, in KiB: VmRSS
 * (/proc/pid/status) and Private_Dirty (/proc/pid/smaps_rollup), the
 * memory only this process holds and has written. */
struct mem {
    long rss, dirty;
};

static struct mem proc_mem(pid_t pid)
{
    char path[64];
    struct mem m;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    m.rss = pf_h_proc_kib(path, "VmRSS");
    snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
    m.dirty = pf_h_proc_kib(path, "Private_Dirty");
    assert_true(m.rss > 0 && m.dirty >= 0);
    return m;
}

/* ------------------------------------------------ the control channel */

/* A control client reading line by line through its own buffer (a reply
 * is one line; reading byte by byte would make the memory test slow). */
struct ctl {
    int fd;
    size_t len;
    char buf[65536];
};

/* The channel's address ("control channel listening on ADDR"). */
static void ctl_addr(const struct pf_server *s, struct pf_addr *addr)
{
    char text[PF_ADDR_STRLEN], err[256];

    assert_int_equal(pf_h_wait_log(s, "control channel listening on ", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_log_word_after(s, "control channel listening on ", false, text,
                                         sizeof(text)),
                     0);
    if (pf_addr_parse(text, addr, err, sizeof(err)) < 0)
        fail_msg("control address \"%s\": %s", text, err);
}

/* The token the master wrote to ctl.token (PF_H_CTL_CONFIG). */
static void ctl_token(const struct pf_server *s, char *token, size_t size)
{
    char *t = pf_h_read(s, "ctl.token");
    size_t n;

    assert_non_null(t);
    n = strcspn(t, " \t\r\n");
    assert_true(n > 0 && n < size);
    memcpy(token, t, n);
    token[n] = '\0';
    free(t);
}

/* A TCP connection to addr with the harness's I/O timeouts; -1 on failure. */
static int ctl_connect(const struct pf_addr *addr)
{
    struct timeval tv = {.tv_sec = PF_H_IO_MS / 1000};
    int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send line + "\n" and read the reply line into out (NUL-terminated,
 * without its "\n"). 0, or -1 (said why). */
static int ctl_call(struct ctl *c, const char *line, char *out, size_t size)
{
    char cmd[256];
    int n = snprintf(cmd, sizeof(cmd), "%s\n", line);
    char *nl;

    if (pf_h_send(c->fd, cmd, (size_t)n) < 0)
        return -1;
    while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
        ssize_t got;

        if (c->len == sizeof(c->buf)) {
            pf_h_note("control reply longer than %zu bytes", sizeof(c->buf));
            return -1;
        }
        got = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (got <= 0) {
            pf_h_note("control: %s", got == 0 ? "closed by the master" : strerror(errno));
            return -1;
        }
        c->len += (size_t)got;
    }
    n = (int)(nl - c->buf);
    snprintf(out, size, "%.*s", n, c->buf);
    c->len -= (size_t)n + 1;
    memmove(c->buf, nl + 1, c->len);
    return 0;
}

/* A connected, authenticated client (free it with ctl_close), or NULL. */
static struct ctl *ctl_open(const struct pf_addr *addr, const char *token)
{
    struct ctl *c = calloc(1, sizeof(*c));
    char line[256], reply[256];

    if (c == NULL)
        return NULL;
    c->fd = ctl_connect(addr);
    snprintf(line, sizeof(line), "auth %s", token);
    if (c->fd < 0 || ctl_call(c, line, reply, sizeof(reply)) < 0 ||
        strcmp(reply, "{\"ok\":true}") != 0) {
        pf_h_note("control: cannot authenticate (%s)", c->fd < 0 ? strerror(errno) : reply);
        if (c->fd >= 0)
            close(c->fd);
        free(c);
        return NULL;
    }
    return c;
}

/* Close with a reset: thousands of closed clients leave no TIME_WAIT. */
static void ctl_close(struct ctl *c)
{
    pf_h_close_reset(c->fd);
    free(c);
}

/* A command that must succeed: its reply, parsed (json_decref it). */
static json_t *ctl_json(struct ctl *c, const char *line)
{
    static char reply[65536];
    json_error_t err;
    json_t *j;

    assert_int_equal(ctl_call(c, line, reply, sizeof(reply)), 0);
    j = json_loads(reply, 0, &err);
    if (j == NULL || !json_is_true(json_object_get(j, "ok")))
        fail_msg("%s: %s", line, reply);
    return j;
}

/* The integer at group.key of a status reply. */
static long long status_int(struct ctl *c, const char *group, const char *key)
{
    json_t *j = ctl_json(c, "status");
    long long v = pf_h_json_int(j, group, key);

    json_decref(j);
    return v;
}

/* Poll status until group.key is at least want (a worker counts a
 * request once it is done with it, a moment after the client has the
 * answer). Asserts it comes within PF_H_WAIT_MS. */
static void wait_status_at_least(struct ctl *c, const char *group, const char *key, long long want)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    long long v;

    while ((v = status_int(c, group, key)) < want) {
        if (pf_time_now_ms() >= deadline)
            fail_msg("status %s.%s is %lld, waited for %lld", group ? group : "", key, v, want);
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* ------------------------------------------------------------- servers */

/* A server speaking http on dir/www (hello.txt in it) with the control
 * channel on; http_settings go inside http = { }. */
static void start_http(struct pf_server *s, struct pf_h_config *c, const char *http_settings)
{
    char extra[1024];

    snprintf(extra, sizeof(extra), "http = { root = \"www\"; %s };\n%s", http_settings,
             PF_H_CTL_CONFIG);
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/hello.txt", HELLO, NULL), 0);
    c->protocol = "http";
    c->extra = extra;
    assert_int_equal(pf_h_start_pool(s, c), 0);
}

/* GET /hello.txt?query on a new connection: 200 and the file. 0 or -1. */
static int get_hello(const struct pf_server *s, const char *query)
{
    char req[256];
    struct pf_h_http r;
    int rc;

    snprintf(req, sizeof(req),
             "GET /hello.txt?%s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", query);
    if (pf_h_http_once(s, req, &r) < 0)
        return -1;
    rc = r.status == 200 && r.body && strcmp(r.body, HELLO) == 0 ? 0 : -1;
    if (rc < 0)
        pf_h_note("GET /hello.txt?%s: status %d", query, r.status);
    pf_h_http_free(&r);
    return rc;
}

/* n GETs (queries "what-0", "what-1"...), each of which must succeed. */
static void get_many(const struct pf_server *s, const char *what, int n)
{
    char q[64];

    for (int i = 0; i < n; i++) {
        snprintf(q, sizeof(q), "%s-%d", what, i);
        if (get_hello(s, q) < 0)
            fail_msg("request %d of %d (%s) failed", i + 1, n, what);
    }
}

/* ----------------------------------------------------------- descriptors */

/* Workers whose descriptor table is full: a worker serves one client at
 * a time, so clients alone never fill it; a limit lowered to the
 * descriptors it already holds (what a leak, or a protocol that kept
 * files open, would lead to) makes every accept() fail with EMFILE while
 * clients wait in the queue. The workers pause between tries (their CPU
 * time stays small), log it once each, keep the clients queued, and once
 * descriptors are free again serve every waiting client and say so. */
PF_H_TEST(test_workers_out_of_descriptors)
{
    struct pf_h_config c;
    pid_t pids[2];
    int fds[QUEUED_CLIENTS], lowest;
    double share;
    char line[32], back[32];

    /* valgrind keeps descriptors of its own and refuses a change of
     * RLIMIT_NOFILE (daemon.max_files): nothing to check under it */
    if (pf_h_under_valgrind())
        pf_h_skip_because(s, "valgrind refuses daemon.max_files");
    pf_h_config_defaults(&c);
    c.workers_start = 2;
    c.workers_max = 2;
    c.daemon_extra = "max_files = 32;";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(pf_h_worker_pids(s, pids, 2), 2);
    for (int i = 0; i < 2; i++) {
        assert_true(pf_h_proc_fds(pids[i], &lowest) > 0);
        pf_h_set_nofile(pids[i], (rlim_t)lowest);
    }

    for (int i = 0; i < QUEUED_CLIENTS; i++) {
        int n = snprintf(line, sizeof(line), "client %d\n", i);

        fds[i] = pf_h_connect(s);
        assert_true(fds[i] >= 0);
        assert_int_equal(pf_h_send(fds[i], line, (size_t)n), 0);
    }
    assert_int_equal(pf_h_wait_log_count(s, "accept failed: Too many open files", 2, PF_H_WAIT_MS),
                     0);
    share = cpu_share(pids, 2);
    pf_h_note("workers without descriptors: %.1f%% of a CPU over %d ms", share * 100,
              CPU_WINDOW_MS);
    assert_true(share < CPU_MAX_SHARE);
    assert_true(cpu_share(&s->pid, 1) < CPU_MAX_SHARE);
    /* a second of tries every 100 ms: still one line per worker */
    assert_int_equal(pf_h_log_count(s, "accept failed: Too many open files; retrying every "
                                       "100 ms"),
                     2);
    assert_int_equal(pf_h_log_count(s, "accept still failing"), 0);
    assert_int_equal(pf_h_listen_queue(s), QUEUED_CLIENTS);

    for (int i = 0; i < 2; i++)
        pf_h_set_nofile(pids[i], MAX_FILES);
    for (int i = 0; i < QUEUED_CLIENTS; i++) { /* served in turn: each closes after */
        int n = snprintf(line, sizeof(line), "client %d\n", i);

        assert_int_equal(pf_h_recv(fds[i], back, (size_t)n), 0);
        assert_memory_equal(back, line, (size_t)n);
        close(fds[i]);
    }
    /* A worker says accept works again when it next accepts a client.
     * The listen socket wakes one waiting worker per connection
     * (EPOLLEXCLUSIVE), so one of the two may have taken every queued
     * client: new clients, each served, until the other has had one. */
    for (int64_t end = pf_time_now_ms() + PF_H_WAIT_MS;
         pf_h_log_count(s, "accept works again after") < 2 && pf_time_now_ms() < end;)
        assert_int_equal(pf_h_check_serves(s), 0);
    assert_int_equal(pf_h_log_count(s, "accept works again after"), 2);
    assert_int_equal(pf_h_check_serves(s), 0);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* Control clients hold the master's descriptors: with enough of them
 * connected (control.max_clients above what daemon.max_files leaves),
 * the master's accept() fails with EMFILE. It must not spin on its
 * listener (it did: 100% of a CPU), must say so once, must go on
 * supervising (workers serve), and once clients leave must take the
 * ones that waited and answer them. */
PF_H_TEST(test_control_out_of_descriptors)
{
    struct pf_h_config c;
    struct pf_addr addr;
    char token[256], reply[4096];
    int fds[64], n = 0, base, lowest, accepted;
    struct ctl *cl;
    double share;

    /* as test_workers_out_of_descriptors: daemon.max_files under valgrind */
    if (pf_h_under_valgrind())
        pf_h_skip_because(s, "valgrind refuses daemon.max_files");
    pf_h_config_defaults(&c);
    c.daemon_extra = "max_files = 32;";
    c.extra = "control = { listen = \"127.0.0.1:0\"; token_file = \"ctl.token\"; "
              "max_clients = 64; idle_timeout = 60; };";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    ctl_addr(s, &addr);
    ctl_token(s, token, sizeof(token));

    /* connect until the master has no descriptor left for the next one */
    base = pf_h_proc_fds(s->pid, &lowest);
    while (!pf_h_log_contains(s, "control: accept failed")) {
        int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

        assert_true(n < 60);
        fds[n] = ctl_connect(&addr);
        assert_true(fds[n] >= 0);
        n++;
        while (pf_h_proc_fds(s->pid, &lowest) < base + n &&
               !pf_h_log_contains(s, "control: accept failed") && pf_time_now_ms() < deadline)
            usleep(PF_H_POLL_MS * 1000);
        assert_true(pf_time_now_ms() < deadline);
    }
    accepted = n - 1;           /* the last one waits in the queue */
    for (int i = 0; i < 2; i++) /* and two more */
        assert_true((fds[n++] = ctl_connect(&addr)) >= 0);
    pf_h_note("the master took %d control clients before it ran out of descriptors", accepted);
    assert_true(accepted > 0 && accepted < MAX_FILES);

    share = cpu_share(&s->pid, 1);
    pf_h_note("master without descriptors: %.1f%% of a CPU over %d ms", share * 100, CPU_WINDOW_MS);
    assert_true(share < CPU_MAX_SHARE);
    assert_int_equal(pf_h_log_count(s, "control: accept failed: Too many open files"), 1);
    assert_int_equal(pf_h_check_serves(s), 0); /* the workers have descriptors */

    for (int i = 0; i < accepted; i++)
        close(fds[i]);
    for (int i = accepted; i < n; i++) { /* the ones that waited are answered */
        struct ctl w = {.fd = fds[i]};
        char line[300];

        snprintf(line, sizeof(line), "auth %s", token);
        assert_int_equal(ctl_call(&w, line, reply, sizeof(reply)), 0);
        assert_string_equal(reply, "{\"ok\":true}");
        assert_int_equal(ctl_call(&w, "status", reply, sizeof(reply)), 0);
        assert_non_null(strstr(reply, "{\"ok\":true"));
        close(fds[i]);
    }
    assert_int_equal(pf_h_wait_log(s, "control: accept works again after", PF_H_WAIT_MS), 0);
    cl = ctl_open(&addr, token);
    assert_non_null(cl);
    assert_int_equal(status_int(cl, "workers", "total"), 2);
    ctl_close(cl);
}

/* ---------------------------------------------------------------- fork */

/* A uid no account has and no process runs as: RLIMIT_NPROC counts every
 * process of the user, so the limit is the master's alone. Picked from
 * this process's id so that two test runs at once do not pick the same. */
static uid_t unused_uid(void)
{
    for (uid_t uid = 61000 + (uid_t)(getpid() % 2000); uid < 64000; uid++) {
        char path[300], want[64], line[256];
        bool used = false;
        struct dirent *e;
        DIR *d;

        if (getpwuid(uid) != NULL || getgrgid(uid) != NULL)
            continue;
        d = opendir("/proc");
        assert_non_null(d);
        snprintf(want, sizeof(want), "Uid:\t%lu\t", (unsigned long)uid);
        while (!used && (e = readdir(d)) != NULL) {
            FILE *f;

            if (e->d_name[0] < '1' || e->d_name[0] > '9')
                continue;
            snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
            if ((f = fopen(path, "r")) == NULL)
                continue;
            while (!used && fgets(line, sizeof(line), f))
                used = strncmp(line, want, strlen(want)) == 0;
            fclose(f);
        }
        closedir(d);
        if (!used)
            return uid;
    }
    fail_msg("no unused uid found");
    return 0;
}

/* Can uid execute path (every folder on the way searchable)? Tried in a
 * child that becomes uid. */
static bool uid_can_exec(uid_t uid, const char *path)
{
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
            _exit(2);
        _exit(access(path, X_OK) == 0 ? 0 : 1);
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* This binary as the launcher (main): become uid (its group too, no
 * other group) with RLIMIT_NPROC at nproc (the soft limit; the hard one
 * NPROC_RAISED, so that the limit can be raised later without privilege),
 * then exec the rest of argv. The limit is set first, while still root;
 * the switch to uid last. */
static int launch_limited(char **argv)
{
    uid_t uid = (uid_t)strtoul(argv[2], NULL, 10);
    rlim_t nproc = (rlim_t)strtoul(argv[3], NULL, 10);
    struct rlimit rl = {nproc, NPROC_RAISED};

    if (setrlimit(RLIMIT_NPROC, &rl) < 0 || setgroups(0, NULL) < 0 ||
        setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
        perror("launcher: cannot become the test user");
        return 126;
    }
    execvp(argv[4], argv + 4);
    perror("launcher: exec");
    return 127;
}

/* Raise pid's soft RLIMIT_NPROC to NPROC_RAISED (its hard limit), as
 * root; where root lacks CAP_SYS_RESOURCE (in some containers), which
 * prlimit() on another user's process needs, from a child that becomes
 * the process's own user (uid), which may. */
static void raise_nproc(pid_t pid, uid_t uid)
{
    struct rlimit rl = {NPROC_RAISED, NPROC_RAISED};
    pid_t child;
    int status;

    if (prlimit(pid, RLIMIT_NPROC, &rl, NULL) == 0)
        return;
    assert_int_equal(errno, EPERM);
    child = fork();
    if (child == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
            _exit(2);
        _exit(prlimit(pid, RLIMIT_NPROC, &rl, NULL) == 0 ? 0 : 1);
    }
    assert_true(child > 0);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(pf_h_exited_with(status, 0));
}

/* The master cannot fork all the workers it wants: it runs as a user
 * with RLIMIT_NPROC at NPROC_LIMIT (root is not held to the limit, so
 * this binary launches it as an unused uid), and is asked to scale to
 * more. It logs the failure once with its reason (EAGAIN), does not spin
 * (nor retry at each control request: 500 status requests later it has
 * tried about once a second), still answers status (which counts the
 * failures), its workers still serve, and once the limit is raised on
 * the running master (prlimit) the pool refills by itself. */
PF_H_TEST(test_fork_fails)
{
    char self[PATH_MAX], body[2048];
    struct pf_addr addr;
    char token[256];
    struct ctl *cl;
    json_t *j;
    int64_t failing_since;
    long long failures;
    double share;
    ssize_t len;
    mode_t mask;
    uid_t uid;
    int n;

    pf_h_skip_unless_root(s);
    /* Under valgrind 3.19 a master at its RLIMIT_NPROC (itself, its keeper
     * and two workers) dies of SIGSEGV about a second after its first
     * failed fork, with no report from valgrind; natively and under
     * ASan+UBSan it runs on, as this test checks. */
    if (pf_h_under_valgrind())
        pf_h_skip_because(s, "valgrind cannot run a master at its process limit");
    uid = unused_uid();
    if (!uid_can_exec(uid, PF_TEST_BINARY))
        pf_h_skip_because(s, "the build folder is not reachable by other users");
    len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    assert_true(len > 0);
    self[len] = '\0';
    /* the master writes its token into the folder */
    assert_int_equal(chown(s->dir, uid, uid), 0);
    assert_int_equal(chmod(s->dir, 0755), 0);
    n = snprintf(s->launcher, sizeof(s->launcher), "%s " LAUNCHER_FLAG " %lu %d", self,
                 (unsigned long)uid, NPROC_LIMIT);
    assert_true(n > 0 && (size_t)n < sizeof(s->launcher));
    n = snprintf(body, sizeof(body),
                 "listen = \"127.0.0.1:0\";\nprotocol = \"echo\";\n"
                 "workers = { start = 2; max = 8; stop_timeout = 5; };\n"
                 "daemon = { log_level = \"info\"; };\n%s",
                 PF_H_CTL_CONFIG);
    assert_true(n > 0 && (size_t)n < sizeof(body));
    mask = umask(022); /* the configuration readable by the master */
    assert_int_equal(pf_h_start(s, body), 0);
    umask(mask);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    ctl_addr(s, &addr);
    ctl_token(s, token, sizeof(token));
    cl = ctl_open(&addr, token);
    assert_non_null(cl);

    json_decref(ctl_json(cl, "scale "
                             "6"));
    assert_int_equal(pf_h_wait_log(s,
                                   "cannot start a worker: fork failed: Resource "
                                   "temporarily unavailable",
                                   PF_H_WAIT_MS),
                     0);
    failing_since = pf_time_now_ms();
    /* the master and the keeper count too */
    assert_int_equal(pf_h_wait_workers(s, NPROC_LIMIT - 2, PF_H_WAIT_MS), 0);
    share = cpu_share(&s->pid, 1);
    pf_h_note("master that cannot fork: %.1f%% of a CPU over %d ms", share * 100, CPU_WINDOW_MS);
    assert_true(share < CPU_MAX_SHARE);
    for (int i = 0; i < 500; i++) /* each wakes the master */
        assert_int_equal(status_int(cl, "workers", "target"), NPROC_SCALE);
    assert_int_equal(status_int(cl, "workers", "total"), NPROC_LIMIT - 2);
    failures = status_int(cl, "totals", "fork_failures");
    pf_h_note("%lld failed forks in %lld ms", failures,
              (long long)(pf_time_now_ms() - failing_since));
    assert_true(failures >= 1);
    assert_true(failures <= (pf_time_now_ms() - failing_since) / 1000 + 2);
    assert_int_equal(pf_h_log_count(s, "fork failed"), 1);
    assert_true(pf_h_log_contains(s, "2 of 6 workers running; retrying every 1000 ms"));
    for (int i = 0; i < 3; i++)
        assert_int_equal(pf_h_check_serves(s), 0);

    raise_nproc(s->pid, uid);
    assert_int_equal(pf_h_wait_workers(s, NPROC_SCALE, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_log(s, "fork works again: worker", PF_H_WAIT_MS), 0);
    j = ctl_json(cl, "status");
    assert_int_equal(pf_h_json_int(j, "workers", "total"), NPROC_SCALE);
    assert_int_equal(pf_h_json_int(j, "totals", "abnormal_exits"), 0);
    json_decref(j);
    assert_int_equal(pf_h_check_serves(s), 0);
    ctl_close(cl);
}

/* ---------------------------------------------------------------- logs */

/* Reload with this error log and access log; wait (bounded) until both
 * workers are of the new generation. */
static void reload_logs(struct pf_server *s, struct ctl *cl, const char *error_log,
                        const char *access_log, unsigned generation)
{
    struct pf_h_config c;
    char body[8192], http[512];
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    json_t *j, *w;
    size_t i;
    bool done = false;

    pf_h_config_defaults(&c);
    c.protocol = "http";
    c.error_log = error_log;
    snprintf(http, sizeof(http), "http = { root = \"www\"; access_log = \"%s\"; };\n%s", access_log,
             PF_H_CTL_CONFIG);
    c.extra = http;
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    j = ctl_json(cl, "reload");
    assert_int_equal(pf_h_json_int(j, NULL, "generation"), generation);
    json_decref(j);
    while (!done) {
        assert_true(pf_time_now_ms() < deadline);
        j = ctl_json(cl, "workers");
        w = json_object_get(j, "workers");
        done = json_array_size(w) == 2;
        for (i = 0; done && i < json_array_size(w); i++)
            done = pf_h_json_int(json_array_get(w, i), NULL, "generation") == generation;
        json_decref(j);
        if (!done)
            usleep(PF_H_POLL_MS * 1000);
    }
}

/* error_log and http.access_log on /dev/full, where every write fails
 * with ENOSPC, set by a reload mid-run (a server started that way would
 * leave the harness no log line to find its address in). Serving goes
 * on, no worker exits abnormally, the master keeps answering and
 * supervising (a worker recycled through it is replaced, and the master
 * logs that into /dev/full), and once the logs are files again, lines
 * arrive there. */
PF_H_TEST(test_logs_on_dev_full)
{
    struct pf_h_config c;
    struct pf_addr addr;
    char token[256], cmd[64], *text;
    int n = pf_h_under_valgrind() ? 100 : 1000;
    pid_t pids[2];
    struct ctl *cl;
    json_t *j;
    int64_t deadline;

    pf_h_config_defaults(&c);
    start_http(s, &c, "access_log = \"access.log\";");
    ctl_addr(s, &addr);
    ctl_token(s, token, sizeof(token));
    cl = ctl_open(&addr, token);
    assert_non_null(cl);
    reload_logs(s, cl, "/dev/full", "/dev/full", 2);

    get_many(s, "full", n);
    assert_int_equal(pf_h_worker_pids(s, pids, 2), 2);
    snprintf(cmd, sizeof(cmd), "kill %ld", (long)pids[0]);
    json_decref(ctl_json(cl, cmd));
    assert_int_equal(pf_h_wait_pid_gone(pids[0], PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    get_many(s, "full-again", n / 10);
    wait_status_at_least(cl, "totals", "requests", n + n / 10);
    j = ctl_json(cl, "status");
    assert_int_equal(pf_h_json_int(j, "workers", "total"), 2);
    assert_int_equal(pf_h_json_int(j, "totals", "abnormal_exits"), 0);
    json_decref(j);
    assert_false(pf_h_log_contains(s, "is serving; older workers")); /* went to /dev/full */

    reload_logs(s, cl, "", "access.log", 3);
    assert_int_equal(get_hello(s, "after"), 0);
    /* the worker logs the request once it has answered it */
    for (deadline = pf_time_now_ms() + PF_H_WAIT_MS;; usleep(PF_H_POLL_MS * 1000)) {
        text = pf_h_read(s, "access.log");
        if ((text && strstr(text, "GET /hello.txt?after ")) || pf_time_now_ms() >= deadline)
            break;
        free(text);
    }
    assert_non_null(text);
    assert_non_null(strstr(text, "GET /hello.txt?after "));
    assert_null(strstr(text, "?full"));
    free(text);
    assert_true(pf_h_log_contains(s, "reload: generation 3 is serving"));
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
    ctl_close(cl);
}

/* A whole line ends with the Referer and User-Agent fields ("-" here)
 * and the request time in seconds ("0.001"). */
static bool access_line_whole(const char *line)
{
    static const char fields[] = "\"-\" \"-\" ";
    const char *secs = strrchr(line, ' ');
    size_t n = sizeof(fields) - 1;

    if (secs == NULL || (size_t)(secs + 1 - line) < n || strncmp(secs + 1 - n, fields, n) != 0)
        return false;
    secs++;
    return strlen(secs) >= 5 && strspn(secs, "0123456789.") == strlen(secs) &&
           secs[strlen(secs) - 4] == '.';
}

/* Every line of the access log is one record from its first byte (none
 * glued onto another); *cut counts those the full disk cut short, *after
 * those of requests "after-N". */
static void check_access_lines(const char *text, int *cut, int *after)
{
    static const char start[] = "127.0.0.1 - - [";
    const char *p = text;

    *cut = *after = 0;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len;
        char line[1024];

        assert_non_null(nl); /* the file ends with a whole line */
        len = (size_t)(nl - p);
        assert_true(len < sizeof(line));
        memcpy(line, p, len);
        line[len] = '\0';
        if (strncmp(line, start, sizeof(start) - 1) != 0 || strstr(line + 1, start) != NULL)
            fail_msg("access log line is not one record: \"%s\"", line);
        if (!access_line_whole(line))
            (*cut)++;
        else if (strstr(line, "?after-") != NULL)
            (*after)++;
        p = nl + 1;
    }
}

/* Write size bytes of 'x' as path. */
static void write_filler(const char *path, size_t size)
{
    char block[4096];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    assert_true(fd >= 0);
    memset(block, 'x', sizeof(block));
    for (size_t done = 0; done < size; done += sizeof(block))
        assert_int_equal(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
    close(fd);
}

/* Free blocks of the file system holding path. */
static unsigned long long free_blocks(const char *path)
{
    struct statvfs v;

    assert_int_equal(statvfs(path, &v), 0);
    return (unsigned long long)v.f_bavail;
}

/* Copy the file from to the path to (the log, off the small disk, for
 * the harness's checks at teardown). */
static void copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ssize_t n;

    assert_true(in >= 0 && out >= 0);
    while ((n = read(in, buf, sizeof(buf))) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

/* Real log files on a disk that fills up mid-run: a 64 KiB tmpfs holds
 * the daemon's log, the access log and a filler file (mounted in a
 * mount namespace of this test process, so nothing of it shows outside).
 * Requests fill the disk; more are served while it is full, by the same
 * workers (none died); once the filler is deleted, lines arrive again,
 * and none is glued onto the one the full disk cut (before the fix, the
 * next record continued the cut line). */
PF_H_TEST(test_logs_on_a_disk_that_fills)
{
    struct pf_h_config c;
    char small[PATH_MAX], filler[PATH_MAX + 16], log_path[PATH_MAX], *text;
    int full_n = pf_h_under_valgrind() ? 50 : 200, filled = 0, cut, after, status;
    pid_t before[2], now[2];
    int64_t deadline;

    pf_h_skip_unless_root(s);
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        pf_h_skip_because(s, "no private mount namespace (unshare, mount)");
    assert_int_equal(pf_h_path(small, s, "small"), 0);
    assert_int_equal(mkdir(small, 0755), 0);
    if (mount("tmpfs", small, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") < 0)
        pf_h_skip_because(s, "cannot mount a tmpfs here");
    snprintf(filler, sizeof(filler), "%s/filler", small);
    write_filler(filler, 32 * 1024);
    memcpy(log_path, s->log_path, sizeof(log_path));
    assert_int_equal(pf_h_path(s->log_path, s, "small/preforkd.log"), 0);

    pf_h_config_defaults(&c);
    start_http(s, &c, "access_log = \"small/access.log\";");
    assert_int_equal(pf_h_worker_pids(s, before, 2), 2);
    while (free_blocks(small) > 0) {
        char q[32];

        assert_true(filled < 5000);
        snprintf(q, sizeof(q), "fill-%d", filled++);
        assert_int_equal(get_hello(s, q), 0);
    }
    pf_h_note("the disk filled up after %d requests", filled);
    get_many(s, "full", full_n);
    assert_int_equal(pf_h_worker_pids(s, now, 2), 2);
    assert_memory_equal(before, now, sizeof(before));

    assert_int_equal(unlink(filler), 0);
    get_many(s, "after", 50);
    for (deadline = pf_time_now_ms() + PF_H_WAIT_MS;; usleep(PF_H_POLL_MS * 1000)) {
        text = pf_h_read(s, "small/access.log");
        if ((text && strstr(text, "?after-49 ")) || pf_time_now_ms() >= deadline)
            break;
        free(text);
    }
    assert_non_null(text);
    check_access_lines(text, &cut, &after);
    free(text);
    pf_h_note("access log: %d line(s) cut by the full disk, %d of 50 lines after it", cut, after);
    assert_true(cut <= 1);
    assert_int_equal(after, 50);

    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
    copy_file(s->log_path, log_path);
    memcpy(s->log_path, log_path, sizeof(log_path));
    assert_int_equal(umount2(small, MNT_DETACH), 0);
}

/* ------------------------------------------------------------- memory */

/* n status requests: half on one authenticated connection, half each on
 * a new connection (connect, auth, status, reset). */
static void control_requests(const struct pf_addr *addr, const char *token, int n)
{
    static char reply[65536];
    struct ctl *cl = ctl_open(addr, token);

    assert_non_null(cl);
    for (int i = 0; i < n / 2; i++) {
        assert_int_equal(ctl_call(cl, "status", reply, sizeof(reply)), 0);
        assert_true(strncmp(reply, "{\"ok\":true", 10) == 0);
    }
    ctl_close(cl);
    for (int i = n / 2; i < n; i++) {
        cl = ctl_open(addr, token);
        assert_non_null(cl);
        assert_int_equal(ctl_call(cl, "status", reply, sizeof(reply)), 0);
        assert_true(strncmp(reply, "{\"ok\":true", 10) == 0);
        ctl_close(cl);
    }
}

/* n clients, one line each: with max_requests = 1 each worker leaves
 * after its client and is replaced. Waits (bounded) until status counts
 * the n respawns. */
static void respawns(const struct pf_server *s, struct ctl *cl, int n)
{
    long long want = status_int(cl, "totals", "respawns") + n;

    for (int i = 0; i < n; i++) {
        int fd = pf_h_connect(s);

        assert_true(fd >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd, "x\n"), 0);
        pf_h_close_reset(fd);
    }
    wait_status_at_least(cl, "totals", "respawns", want);
}

/* Print and check the growth from m0 to m1 (KiB). */
static void check_growth(const char *what, struct mem m0, struct mem m1, int64_t ms)
{
    pf_h_note("master after %s (%lld ms): VmRSS %ld -> %ld KiB (%+ld), Private_Dirty %ld -> "
              "%ld KiB (%+ld)",
              what, (long long)ms, m0.rss, m1.rss, m1.rss - m0.rss, m0.dirty, m1.dirty,
              m1.dirty - m0.dirty);
    /* valgrind's own memory in the process dominates what /proc reports:
     * the counts still run under it (for its own checks), the growth is
     * not judged */
    if (pf_h_under_valgrind())
        return;
    assert_true(m1.rss - m0.rss < MEM_SLACK_KIB);
    assert_true(m1.dirty - m0.dirty < MEM_SLACK_KIB);
}

#if defined(__SANITIZE_ADDRESS__)
#define EX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EX_ASAN 1
#endif
#endif

/* Start the memory test's server. In a sanitizer build (the server is
 * built like the tests), AddressSanitizer keeps freed memory in a
 * quarantine (256 MiB by default) to catch uses after free, so the
 * master's memory grows with every allocation by design (+327 MiB over
 * the control requests): its server runs with the quarantine off
 * (quarantine_size_mb=0 added to ASAN_OPTIONS), which measures the
 * server's own use and keeps every other check of the sanitizer. */
static void start_for_memory(struct pf_server *s, const struct pf_h_config *c)
{
#ifdef EX_ASAN
    const char *old = getenv("ASAN_OPTIONS");
    char *saved = old ? strdup(old) : NULL, opts[1024];

    snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=0", old ? old : "",
             old && *old ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    assert_int_equal(pf_h_start_pool(s, c), 0);
    if (saved) {
        setenv("ASAN_OPTIONS", saved, 1);
        free(saved);
    } else {
        unsetenv("ASAN_OPTIONS");
    }
#else
    assert_int_equal(pf_h_start_pool(s, c), 0);
#endif
}

/* The master's memory stays flat: VmRSS and Private_Dirty before and
 * after CTL_REQUESTS control requests, and before and after RESPAWNS
 * worker respawns (max_requests = 1: each worker exits normally after
 * one client, which is not a crash, so the crash backoff stays out of
 * it), each measured after a warm-up of a tenth of the count. Under
 * valgrind the counts are a tenth and a hundredth. */
PF_H_TEST(test_master_memory_flat)
{
    struct pf_h_config c;
    struct pf_addr addr;
    char token[256];
    int ctl_n = pf_h_under_valgrind() ? CTL_REQUESTS / 10 : CTL_REQUESTS;
    int respawn_n = pf_h_under_valgrind() ? RESPAWNS / 100 : RESPAWNS;
    struct mem m0, m1;
    struct ctl *cl;
    int64_t t0;

    pf_h_config_defaults(&c);
    c.workers_start = 4;
    c.workers_max = 8;
    c.max_requests = 1;
    c.log_level = "notice";
    /* The client that reads the status waits, idle, through thousands of
     * respawns: over a minute in the sanitizer build on a busy machine,
     * past control.idle_timeout's default. The master would close it;
     * this test is about memory, so the client may idle for ten minutes. */
    c.extra = "control = { listen = \"127.0.0.1:0\"; token_file = \"ctl.token\"; "
              "idle_timeout = 600; };\n";
    start_for_memory(s, &c);
    ctl_addr(s, &addr);
    ctl_token(s, token, sizeof(token));

    control_requests(&addr, token, ctl_n / 10);
    m0 = proc_mem(s->pid);
    t0 = pf_time_now_ms();
    control_requests(&addr, token, ctl_n);
    m1 = proc_mem(s->pid);
    check_growth("control requests", m0, m1, pf_time_now_ms() - t0);

    cl = ctl_open(&addr, token);
    assert_non_null(cl);
    respawns(s, cl, respawn_n / 10);
    m0 = proc_mem(s->pid);
    t0 = pf_time_now_ms();
    respawns(s, cl, respawn_n);
    m1 = proc_mem(s->pid);
    check_growth("worker respawns", m0, m1, pf_time_now_ms() - t0);
    assert_int_equal(status_int(cl, "totals", "abnormal_exits"), 0);
    assert_int_equal(status_int(cl, NULL, "respawn_backoff_ms"), 0);
    assert_int_equal(pf_h_wait_workers(s, 4, PF_H_WAIT_MS), 0);
    ctl_close(cl);
}

/* Run as the launcher of test_fork_fails (LAUNCHER_FLAG UID NPROC
 * COMMAND...), or the tests. */
int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_workers_out_of_descriptors),
        PF_H_CASE(test_control_out_of_descriptors),
        PF_H_CASE(test_fork_fails),
        PF_H_CASE(test_logs_on_dev_full),
        PF_H_CASE(test_master_memory_flat),
        /* last: it moves this process into a mount namespace of its own */
        PF_H_CASE(test_logs_on_a_disk_that_fills),
    };

    if (argc > 4 && strcmp(argv[1], LAUNCHER_FLAG) == 0)
        return launch_limited(argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
