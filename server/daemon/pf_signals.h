/* pf_signals: signal dispositions for master and worker.
 *
 * Handlers only record: they set sig_atomic_t flags and return. The master
 * keeps its signals blocked all the time except inside ppoll(), so a signal
 * can only arrive while the master sleeps, and the loop handles the flags
 * in one fixed order (see pf_master.c). Around fork() every signal is
 * blocked so none is handled by the wrong process; the child then resets
 * every disposition to default before unblocking.
 */
#ifndef PF_SIGNALS_H
#define PF_SIGNALS_H

#include <signal.h>

/* Tables indexed by signal number (exits counted per signal): 1..64, the
 * standard and the real-time signals of Linux. */
#define PF_SIGNALS_MAX 65

/* Flags set by the master's handlers (cleared by the master loop). */
extern volatile sig_atomic_t pf_signals_child;       /* SIGCHLD */
extern volatile sig_atomic_t pf_signals_terminate;   /* SIGTERM, SIGINT: fast stop */
extern volatile sig_atomic_t pf_signals_quit;        /* SIGQUIT: graceful stop */
extern volatile sig_atomic_t pf_signals_reconfigure; /* SIGHUP */
extern volatile sig_atomic_t pf_signals_reopen;      /* SIGUSR1 (master and worker) */
extern volatile sig_atomic_t pf_signals_upgrade;     /* SIGUSR2: binary upgrade */
extern volatile sig_atomic_t pf_signals_incr;        /* SIGTTIN deliveries */
extern volatile sig_atomic_t pf_signals_decr;        /* SIGTTOU deliveries */

/* Flags set by the worker's handlers. */
extern volatile sig_atomic_t pf_signals_worker_stop; /* SIGQUIT: finish and exit */

/* Install the master's handlers and block them; *wait_mask gets the mask to
 * hand to ppoll() (everything unblocked). 0 or -1 with errno. */
int pf_signals_master(sigset_t *wait_mask);

/* Block every signal, saving the previous mask (around fork()). */
void pf_signals_block_all(sigset_t *saved);
void pf_signals_restore(const sigset_t *saved);

/* In a new worker: reset every disposition to default, ignore SIGPIPE,
 * ignore the signals only the master acts on, install the SIGQUIT (stop)
 * and SIGUSR1 (reopen) handlers, keep those two blocked outside waits and
 * unblock everything else. *wait_mask is the mask for epoll_pwait/ppoll. */
int pf_signals_worker(sigset_t *wait_mask);

/* In an exec worker, just before the program is started: every signal
 * at its default disposition (none ignored) and none blocked, as a
 * program started from a shell expects. 0, or -1 with errno. */
int pf_signals_program(void);

#endif
