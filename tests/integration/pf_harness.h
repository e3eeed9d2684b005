/* pf_harness: start the real preforkd binary and talk to it, for the
 * integration tests.
 *
 * One struct pf_server per daemon under test: a private temp dir (config
 * file, log file, command outputs), the master's pid, the address it
 * really bound (configs always ask for port 0), and every worker pid seen
 * during the test, so teardown can prove none is left behind.
 *
 * Rules the harness keeps so that no test can hang or leak:
 *  - every wait polls a condition in a bounded loop (PF_H_POLL_MS steps);
 *    none sleeps as a way to synchronise;
 *  - the daemon's stdout and stderr go to a file, never a pipe, so nobody
 *    blocks on a full pipe; tests read the log with pf_h_log_*;
 *  - client sockets get send/receive timeouts, and the I/O helpers have
 *    their own deadline (PF_H_IO_MS);
 *  - the test process is a child subreaper (PR_SET_CHILD_SUBREAPER): a
 *    worker orphaned by a dead master becomes our child, so "no orphan is
 *    left" is checkable and we reap what the master could not.
 *
 * The client helpers return 0 / -1 and print why on stderr instead of
 * asserting, so they are safe in client threads (cmocka's asserts are
 * not). Tests assert on the returned value in the main thread.
 *
 * Typical test file:
 *     PF_H_TEST(test_something) {
 *         assert_int_equal(pf_h_start(s, body), 0);
 *         ...
 *     }
 *     static const struct CMUnitTest tests[] = { PF_H_CASE(test_something) };
 *     int main(void) { return cmocka_run_group_tests(tests, NULL, NULL); }
 *
 * The harness comes in parts, one concern each, all declared through this
 * header (which includes theirs):
 *   pf_harness.c         the fixture, configuration, the master's life cycle
 *   pf_harness_files.c   files in the test's temp dir
 *   pf_harness_log.c     the daemon's log
 *   pf_harness_cmd.c     programs run as children: preforkd as a command, others
 *   pf_harness_proc.c    processes and sockets as /proc and the kernel show them
 *   pf_harness_client.c  raw TCP clients (echo, msg)
 *   pf_harness_http.c    HTTP clients
 * pf_harness_ctl.h (preforkctl and preforkbench) is included on its own.
 */
#ifndef PF_HARNESS_H
#define PF_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <limits.h>
#include <sys/types.h>

#include <cmocka.h>

#include "pf_addr.h"

#define PF_H_POLL_MS 10     /* step of every polling loop */
#define PF_H_START_MS 10000 /* bound on "listening on" after spawn */
#define PF_H_WAIT_MS 10000  /* default bound of the wait helpers */
#define PF_H_IO_MS 10000    /* deadline of one client send or receive */
#define PF_H_STOP_MS 20000  /* bound on the master's exit in teardown */
#define PF_H_MAX_PIDS 512   /* worker pids remembered per server */

struct pf_server {
    pid_t pid;                  /* master; 0 if never started */
    bool reaped;                /* the master exited and we reaped it */
    int wait_status;            /* its waitpid status once reaped, -1 before */
    char dir[PATH_MAX];         /* private temp dir (mkdtemp) */
    char config_path[PATH_MAX]; /* dir/preforkd.conf */
    char log_path[PATH_MAX];    /* dir/preforkd.log: the daemon's stdout+stderr */
    struct pf_addr addr;        /* bound address, from the "listening on" line */
    char addr_text[PF_ADDR_STRLEN];
    unsigned port;
    char protocol[16];         /* as the listening line names it: "echo", "msg" */
    pid_t seen[PF_H_MAX_PIDS]; /* every worker pid observed, for teardown */
    int nseen;
    bool passed;             /* set by PF_H_TEST when the body returned */
    char launcher[PATH_MAX]; /* "" or words (split at spaces) that pf_h_start
                                    runs before PF_TEST_WRAPPER and the binary:
                                    a program that changes the user or limits
                                    of the master, then execs the rest */
};

/* Declare a test whose body gets the fixture's server as `s`. The wrapper
 * marks the test passed only when the body returned, so teardown keeps the
 * temp dir (and prints the log) of a failed test for debugging. */
#define PF_H_TEST(name) \
    static void name##_body(struct pf_server *s); \
    static void name(void **state) \
    { \
        struct pf_server *srv_ = *state; \
        name##_body(srv_); \
        srv_->passed = true; \
    } \
    static void name##_body(struct pf_server *s)

/* The cmocka table entry for a PF_H_TEST with the harness fixture. */
#define PF_H_CASE(name) cmocka_unit_test_setup_teardown(name, pf_h_setup, pf_h_teardown)

/* ---- fixture and life cycle ---- */

/* cmocka setup: allocate a server with its temp dir; nothing runs yet. */
int pf_h_setup(void **state);

/* cmocka teardown: pf_h_stop, then free. Non-zero fails the test. */
int pf_h_teardown(void **state);

/* Prepare s (temp dir, paths) without starting anything. 0 or -1. */
int pf_h_init(struct pf_server *s);

/* Stop the master if it still runs (SIGTERM, bounded wait, SIGKILL), then
 * check the log holds no sanitizer report and no worker is left alive;
 * reap what is left; remove the temp dir if the test passed, else keep it
 * and print its path and the end of the log. 0 when everything was clean. */
int pf_h_stop(struct pf_server *s);

/* Skip the test unless it runs as root (a skipped test passed: its temp
 * folder is removed). */
void pf_h_skip_unless_root(struct pf_server *s);

/* Is the server run under valgrind (PF_TEST_WRAPPER names it)? */
bool pf_h_under_valgrind(void);

/* Skip the test, saying why (a skipped test passed). */
void pf_h_skip_because(struct pf_server *s, const char *why);

/* ---- configuration ---- */

/* The settings tests vary, with test-friendly defaults (short timeouts). */
struct pf_h_config {
    const char *listen;        /* "127.0.0.1:0" */
    const char *protocol;      /* "echo" */
    int workers_start;         /* 2 */
    int workers_max;           /* 16 */
    long max_requests;         /* 0 */
    double graceful_timeout;   /* seconds; 10 */
    double stop_timeout;       /* 5 */
    double read_timeout;       /* 5 */
    double write_timeout;      /* 5 */
    double idle_timeout;       /* 10 */
    long max_line;             /* 8192 */
    long max_message;          /* 1048576 */
    const char *log_level;     /* "info" */
    const char *error_log;     /* "": the daemon's stderr, which is the test's log */
    const char *extra;         /* appended verbatim: groups added by later features */
    const char *workers_extra; /* appended inside workers = { }: "request_timeout = 1;" */
    const char *daemon_extra;  /* appended inside daemon = { }: "pidfile = \"x.pid\";" */
    const char *keeper_extra;  /* appended inside keeper = { }: "parking = false;" */
    bool daemon_user_set;      /* daemon_extra sets user: the harness adds no
                                  user = "root" when running as root */
};

void pf_h_config_defaults(struct pf_h_config *c);

/* Render c as a libconfig file body into buf. 0, or -1 if it does not fit. */
int pf_h_config_format(const struct pf_h_config *c, char *buf, size_t size);

/* ---- the daemon ---- */

/* Write body as the config file, spawn `preforkd -c CONFIG` in s->dir
 * with output to the log, and wait until it logs "listening on ADDR"; parse ADDR into
 * s->addr. 0, or -1 (the log is printed) if it exits or never listens. */
int pf_h_start(struct pf_server *s, const char *config_body);

/* Spawn `preforkd ARGS...` (NULL-terminated, no configuration file) in
 * s->dir and wait until it listens, as pf_h_start does. 0 or -1. */
int pf_h_start_args(struct pf_server *s, const char *const *args);

/* pf_h_start with a body rendered from c. */
int pf_h_start_config(struct pf_server *s, const struct pf_h_config *c);

/* pf_h_start_config, then wait for its c->workers_start workers. */
int pf_h_start_pool(struct pf_server *s, const struct pf_h_config *c);

/* Send sig to the master and wait (bounded) until it was delivered: it is
 * no longer pending in /proc. Two signals sent this way are therefore
 * handled in two separate passes of the master loop. 0 or -1. */
int pf_h_signal(struct pf_server *s, int sig);

/* True while the master runs (reaps it, recording its status, if it exited). */
bool pf_h_running(struct pf_server *s);

/* Wait up to timeout_ms for the master to exit; *status (may be NULL) gets
 * the waitpid status. On timeout: SIGKILL, reap, and return -1. */
int pf_h_wait_exit(struct pf_server *s, int timeout_ms, int *status);

/* Stop a master that is not the harness's child (detached with -d, or
 * the new master of a binary upgrade) with SIGTERM, and wait until it
 * and its workers are gone. 0 or -1. */
int pf_h_stop_detached(struct pf_server *s, pid_t master);

/* Point s (address, port, protocol) at the first "listening on ADDR
 * (protocol P" line of its log: for a server the harness did not start
 * (a daemon, one started as systemd would). 0, or -1 when there is none. */
int pf_h_find_listening(struct pf_server *s);

/* ---- notes and bounds ---- */

/* A bound of ms for how fast the server reacts, made 10 times as long when
 * the server runs under a wrapper (PF_TEST_WRAPPER: valgrind), which slows
 * every process start and exit by that much. */
int pf_h_scaled_ms(int ms);

/* Print a harness diagnostic ("harness: ...") on stderr. */
void pf_h_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The parts (see above). */
#include "pf_harness_files.h"
#include "pf_harness_log.h"
#include "pf_harness_cmd.h"
#include "pf_harness_proc.h"
#include "pf_harness_client.h"
#include "pf_harness_http.h"

#endif
