/* pf_harness: the server under test: the fixture (its temp dir, and
 * teardown's checks that nothing is left behind), its configuration, and
 * the master's life cycle (start, signal, wait for its exit, stop); also
 * the notes and polling step every part of the harness uses. The other
 * parts are pf_harness_*.c. Public functions are documented in
 * pf_harness.h; static helpers here. */
#include "pf_harness.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pf_harness_internal.h"
#include "pf_time.h"

#define H_LEFTOVER_MS 3000 /* grace for workers still exiting at teardown */

void pf_h_note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("harness: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int pf_h_scaled_ms(int ms)
{
    const char *wrapper = getenv("PF_TEST_WRAPPER");

    return wrapper && *wrapper ? ms * 10 : ms;
}

/* One step of a bounded polling loop (not a synchronisation: every caller
 * re-checks its condition after it). */
void h_pause(void)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = PF_H_POLL_MS * 1000000L};

    nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- fixture */

/* Once per test process: become the subreaper of our descendants (orphaned
 * workers come to us, not to init), and survive writes to closed sockets. */
static void h_process_setup(void)
{
    static bool done;

    if (done)
        return;
    done = true;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        pf_h_note("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
    signal(SIGPIPE, SIG_IGN);
}

int pf_h_init(struct pf_server *s)
{
    const char *tmp = getenv("TMPDIR");

    h_process_setup();
    memset(s, 0, sizeof(*s));
    s->wait_status = -1;
    snprintf(s->dir, sizeof(s->dir), "%s/preforkd-it.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(s->dir) == NULL) {
        pf_h_note("mkdtemp %s: %s", s->dir, strerror(errno));
        s->dir[0] = '\0';
        return -1;
    }
    if (pf_h_path(s->config_path, s, "preforkd.conf") < 0 ||
        pf_h_path(s->log_path, s, "preforkd.log") < 0)
        return -1;
    return 0;
}

int pf_h_setup(void **state)
{
    struct pf_server *s = malloc(sizeof(*s));

    if (s == NULL || pf_h_init(s) < 0) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

int pf_h_teardown(void **state)
{
    struct pf_server *s = *state;
    int rc = pf_h_stop(s);

    free(s);
    return rc;
}

/* nftw callback removing the temp dir bottom-up. */
static int h_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Teardown's stop: SIGTERM a master still running and expect exit 0. */
static int h_stop_master(struct pf_server *s)
{
    int status;

    if (s->pid <= 0 || !pf_h_running(s))
        return 0;
    pf_h_worker_pids(s, NULL, 0); /* remember the last workers */
    kill(s->pid, SIGTERM);
    if (pf_h_wait_exit(s, PF_H_STOP_MS, &status) < 0)
        return -1;
    if (!pf_h_exited_with(status, 0)) {
        pf_h_note("master exited with wait status %#x on SIGTERM, not 0", (unsigned)status);
        return -1;
    }
    return 0;
}

/* True if pid is alive and still the master's child or ours (a pid reused
 * by an unrelated process is neither). */
static bool h_is_descendant(const struct pf_server *s, pid_t pid)
{
    char st;
    pid_t pp;

    return h_proc_stat(pid, &st, &pp) == 0 && st != 'Z' && (pp == s->pid || pp == getpid());
}

/* Every worker seen must be gone: orphans get a grace period to exit
 * (they are reaped), then are killed and reported. */
static int h_check_leftovers(struct pf_server *s)
{
    pid_t pids[PF_H_MAX_PIDS];
    int rc = 0;

    if (pf_h_reap_orphans(s, H_LEFTOVER_MS, NULL) < 0) {
        int n = h_our_children(s, pids, PF_H_MAX_PIDS);
        for (int i = 0; i < n; i++) {
            pf_h_note("worker %ld left running: killing it", (long)pids[i]);
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
        }
        rc = -1;
    }
    for (int i = 0; i < s->nseen; i++) {
        if (h_is_descendant(s, s->seen[i])) {
            pf_h_note("worker %ld is still alive after the stop", (long)s->seen[i]);
            rc = -1;
        }
    }
    return rc;
}

/* A sanitizer report anywhere in the log fails the test. */
static int h_check_sanitizers(const struct pf_server *s)
{
    static const char *const reports[] = {"AddressSanitizer", "LeakSanitizer", "runtime error",
                                          "UndefinedBehaviorSanitizer"};
    int rc = 0;

    for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
        if (pf_h_log_contains(s, reports[i])) {
            pf_h_note("the log holds a sanitizer report (\"%s\")", reports[i]);
            rc = -1;
        }
    }
    return rc;
}

int pf_h_stop(struct pf_server *s)
{
    int rc = 0;

    if (s->dir[0] == '\0')
        return 0;
    if (h_stop_master(s) < 0)
        rc = -1;
    if (h_check_leftovers(s) < 0)
        rc = -1;
    if (h_check_sanitizers(s) < 0)
        rc = -1;
    if (s->passed && rc == 0) {
        nftw(s->dir, h_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    } else {
        pf_h_note("test failed: keeping %s; end of its log:", s->dir);
        pf_h_log_dump(s, 40);
    }
    s->dir[0] = '\0';
    return rc;
}

void pf_h_skip_because(struct pf_server *s, const char *why)
{
    pf_h_note("test skipped: %s", why);
    s->passed = true;
    skip();
}

void pf_h_skip_unless_root(struct pf_server *s)
{
    if (geteuid() != 0)
        pf_h_skip_because(s, "not running as root");
}

bool pf_h_under_valgrind(void)
{
    const char *w = getenv("PF_TEST_WRAPPER");

    return w != NULL && strstr(w, "valgrind") != NULL;
}

/* ---------------------------------------------------------------- config */

void pf_h_config_defaults(struct pf_h_config *c)
{
    *c = (struct pf_h_config){
        .listen = "127.0.0.1:0",
        .protocol = "echo",
        .workers_start = 2,
        .workers_max = 16,
        .max_requests = 0,
        .graceful_timeout = 10,
        .stop_timeout = 5,
        .read_timeout = 5,
        .write_timeout = 5,
        .idle_timeout = 10,
        .max_line = 8192,
        .max_message = 1048576,
        .log_level = "info",
        .error_log = "",
        .extra = "",
    };
}

int pf_h_config_format(const struct pf_h_config *c, char *buf, size_t size)
{
    int n = snprintf(buf, size,
                     "# written by the integration test harness\n"
                     "listen = \"%s\";\n"
                     "protocol = \"%s\";\n"
                     "workers = { start = %d; max = %d; max_requests = %ld;\n"
                     "            graceful_timeout = %g; stop_timeout = %g; %s };\n"
                     "client = { read_timeout = %g; write_timeout = %g; idle_timeout = %g; };\n"
                     "echo = { max_line = %ld; };\n"
                     "msg = { max_message = %ld; };\n"
                     "daemon = { error_log = \"%s\"; log_level = \"%s\"; %s%s };\n"
                     "keeper = { %s };\n"
                     "%s\n",
                     c->listen, c->protocol, c->workers_start, c->workers_max, c->max_requests,
                     c->graceful_timeout, c->stop_timeout, c->workers_extra ? c->workers_extra : "",
                     c->read_timeout, c->write_timeout, c->idle_timeout, c->max_line,
                     c->max_message, c->error_log ? c->error_log : "", c->log_level,
                     /* preforkd refuses to leave workers root unless told */
                     geteuid() == 0 && !c->daemon_user_set ? "user = \"root\"; " : "",
                     c->daemon_extra ? c->daemon_extra : "", c->keeper_extra ? c->keeper_extra : "",
                     c->extra ? c->extra : "");

    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* ---------------------------------------------------------------- daemon */

/* Parse the address of the first "listening on ADDR " line in log. */
static int h_parse_listening(struct pf_server *s, const char *log)
{
    const char *p = strstr(log, "listening on ");
    char err[128];
    size_t n;

    if (p == NULL)
        return -1;
    p += strlen("listening on ");
    n = strcspn(p, " \n");
    if (n == 0 || n >= sizeof(s->addr_text) || p[n] != ' ')
        return -1; /* line not complete yet */
    memcpy(s->addr_text, p, n);
    s->addr_text[n] = '\0';
    if (sscanf(p + n, " (protocol %15[a-z0-9]", s->protocol) != 1)
        s->protocol[0] = '\0';
    if (pf_addr_parse(s->addr_text, &s->addr, err, sizeof(err)) < 0) {
        pf_h_note("cannot parse the address \"%s\": %s", s->addr_text, err);
        return -1;
    }
    s->port = pf_addr_port((struct sockaddr *)&s->addr.ss);
    return 0;
}

/* After spawn: poll the log for the listening line while the master lives. */
int pf_h_find_listening(struct pf_server *s)
{
    char *log = pf_h_log_read(s);
    int rc = log != NULL ? h_parse_listening(s, log) : -1;

    free(log);
    return rc;
}

static int h_wait_listening(struct pf_server *s)
{
    int64_t deadline = pf_time_now_ms() + PF_H_START_MS;

    for (;;) {
        char *log = pf_h_log_read(s);
        int found = log != NULL ? h_parse_listening(s, log) : -1;

        free(log);
        if (found == 0)
            return 0;
        if (!pf_h_running(s)) {
            pf_h_note("preforkd exited (wait status %#x) before listening",
                      (unsigned)s->wait_status);
            return -1;
        }
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("preforkd did not log \"listening on\" within %d ms", PF_H_START_MS);
            return -1;
        }
        h_pause();
    }
}

/* argv for the server: s->launcher and PF_TEST_WRAPPER (e.g. "valgrind
 * --leak-check=full --error-exitcode=99"), split at spaces, then the
 * binary and its config. The wrapper lets CI run the same tests with the
 * master and every worker under valgrind; with --error-exitcode a leak or
 * memory error turns into a non-zero exit status that the tests already
 * check. The launcher comes first, so that what it sets up (another user,
 * a limit) holds for the wrapper and the server alike. words holds
 * 2 * PATH_MAX bytes. */
/* argv for the server: the launcher and wrapper words, the binary, then
 * args (NULL: -c and the configuration file). */
static void h_server_argv(struct pf_server *s, char *words, char **argv, size_t max,
                          const char *const *args)
{
    const char *wrapper = getenv("PF_TEST_WRAPPER");
    size_t n = 0;

    snprintf(words, 2 * PATH_MAX, "%s %s", s->launcher, wrapper ? wrapper : "");
    for (char *save, *w = strtok_r(words, " ", &save); w && n + 4 < max;
         w = strtok_r(NULL, " ", &save))
        argv[n++] = w;
    argv[n++] = PF_TEST_BINARY;
    if (args == NULL) {
        argv[n++] = "-c";
        argv[n++] = s->config_path;
    }
    for (; args && *args && n + 1 < max; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
}

/* Spawn the server with argv (from h_server_argv) and wait until it listens. */
static int h_start_argv(struct pf_server *s, char **argv)
{
    s->reaped = false;
    s->wait_status = -1;
    s->pid = h_spawn(argv, s->dir, s->log_path, NULL);
    if (s->pid < 0) {
        s->pid = 0;
        return -1;
    }
    if (h_wait_listening(s) < 0) {
        pf_h_log_dump(s, 20);
        return -1;
    }
    return 0;
}

int pf_h_start(struct pf_server *s, const char *config_body)
{
    char words[2 * PATH_MAX], *argv[H_MAX_ARGS];

    h_server_argv(s, words, argv, H_MAX_ARGS, NULL);
    if (s->dir[0] == '\0' && pf_h_init(s) < 0)
        return -1;
    if (pf_h_write_file(s, "preforkd.conf", config_body, NULL) < 0)
        return -1;
    return h_start_argv(s, argv);
}

int pf_h_start_args(struct pf_server *s, const char *const *args)
{
    char words[2 * PATH_MAX], *argv[H_MAX_ARGS];

    h_server_argv(s, words, argv, H_MAX_ARGS, args);
    if (s->dir[0] == '\0' && pf_h_init(s) < 0)
        return -1;
    return h_start_argv(s, argv);
}

int pf_h_start_config(struct pf_server *s, const struct pf_h_config *c)
{
    char body[8192];

    if (pf_h_config_format(c, body, sizeof(body)) < 0) {
        pf_h_note("config body too long");
        return -1;
    }
    return pf_h_start(s, body);
}

int pf_h_start_pool(struct pf_server *s, const struct pf_h_config *c)
{
    if (pf_h_start_config(s, c) < 0)
        return -1;
    return pf_h_wait_workers(s, c->workers_start, PF_H_WAIT_MS);
}

bool pf_h_running(struct pf_server *s)
{
    int st;

    if (s->pid <= 0 || s->reaped)
        return false;
    if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
        s->reaped = true;
        s->wait_status = st;
        return false;
    }
    return true;
}

int pf_h_wait_exit(struct pf_server *s, int timeout_ms, int *status)
{
    int rc = 0;

    if (s->pid <= 0) {
        pf_h_note("no master to wait for");
        return -1;
    }
    if (!s->reaped) {
        pf_h_worker_pids(s, NULL, 0); /* remember who it leaves behind, if anyone */
        rc = h_wait_child(s->pid, timeout_ms, &s->wait_status);
        s->reaped = true;
    }
    if (status != NULL)
        *status = s->wait_status;
    return rc;
}

int pf_h_signal(struct pf_server *s, int sig)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    if (!pf_h_running(s)) {
        pf_h_note("cannot send signal %d: the master is not running", sig);
        return -1;
    }
    pf_h_worker_pids(s, NULL, 0); /* remember the workers before they change */
    if (kill(s->pid, sig) < 0) {
        pf_h_note("kill(%ld, %d): %s", (long)s->pid, sig, strerror(errno));
        return -1;
    }
    while (sig != SIGKILL && pf_h_signal_pending(s->pid, sig) && pf_h_pid_alive(s->pid)) {
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("signal %d still pending in the master after %d ms", sig, PF_H_WAIT_MS);
            return -1;
        }
        h_pause();
    }
    return 0;
}

int pf_h_stop_detached(struct pf_server *s, pid_t master)
{
    pid_t workers[64], saved = s->pid;
    int n;

    s->pid = master; /* pf_h_worker_pids lists the children of s->pid */
    n = pf_h_worker_pids(s, workers, 64);
    s->pid = saved;
    if (kill(master, SIGTERM) < 0 || pf_h_wait_pid_gone(master, PF_H_STOP_MS) < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (pf_h_wait_pid_gone(workers[i], PF_H_WAIT_MS) < 0)
            return -1;
    return 0;
}
