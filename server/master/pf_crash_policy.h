/* pf_crash_policy: how a reaped worker ended, as supervision sees it (pure).
 *
 * Only a crash feeds the crash backoff (pf_backoff_policy): an abnormal end
 * (a signal, a non-zero status) the master did not cause, of a worker that
 * could not start (status PF_WORKER_EXIT_INIT, even if it had been told to
 * stop meanwhile) or that died within PF_CRASH_POLICY_YOUNG_MS of its fork.
 * Older workers killed one by one (kill -9 by an operator, the OOM killer)
 * are replaced at once: backing off would only shrink the pool under the
 * same load. A crash is also "broken" when it is the worker's own fault:
 * it could not start, or a fault signal (SIGSEGV, SIGBUS, SIGABRT, SIGILL,
 * SIGFPE, SIGSYS) ended it; status and the log name the latest one. An
 * exec worker's program that never said READY=1 in time could not start
 * either; its own exit statuses are only its own (an exit 3 is not
 * preforkd's "could not start"). No clock, no I/O: the age is an
 * argument.
 */
#ifndef PF_CRASH_POLICY_H
#define PF_CRASH_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* A worker ending abnormally this soon after its fork counts as a crash
 * (one that could not start always does): a crash loop is workers that
 * cannot stay up, not an operator or the OOM killer ending old ones. */
#define PF_CRASH_POLICY_YOUNG_MS 1000

/* One reaped worker. */
struct pf_crash_policy_exit {
    int status;       /* its wait status */
    int64_t age_ms;   /* from its fork to its reaping */
    bool retiring;    /* the master had told it to stop */
    bool hung_killed; /* the master killed it as hung */
    bool program;     /* an exec worker past its execve: the status is the
                         program's own, and its exit 3 is no "could not start" */
    bool not_ready;   /* an exec worker killed for no READY=1 within
                         exec.ready_timeout: it could not start, however old */
};

enum pf_crash_policy_kind {
    PF_CRASH_POLICY_NONE = 0, /* a normal end, or one the master caused, or an old
                                 worker killed from outside: replaced, no backoff */
    PF_CRASH_POLICY_CRASH,    /* a crash: fed to the backoff */
    PF_CRASH_POLICY_BROKEN,   /* a crash of its own fault: fed to the backoff and
                                 counted as broken */
};

/* An abnormal end: killed by a signal, or a non-zero exit status. */
bool pf_crash_policy_abnormal(int status);

/* A signal a process gets for its own fault (a bad memory access, an
 * abort, an illegal instruction), as opposed to a kill from outside. */
bool pf_crash_policy_fault_signal(int sig);

enum pf_crash_policy_kind pf_crash_policy_classify(const struct pf_crash_policy_exit *e);

#endif
