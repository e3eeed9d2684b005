/* pf_signals: handlers that only record, and the masks around them. */
#include "pf_signals.h"

#include <errno.h>
#include <string.h>

volatile sig_atomic_t pf_signals_child;
volatile sig_atomic_t pf_signals_terminate;
volatile sig_atomic_t pf_signals_quit;
volatile sig_atomic_t pf_signals_reconfigure;
volatile sig_atomic_t pf_signals_reopen;
volatile sig_atomic_t pf_signals_upgrade;
volatile sig_atomic_t pf_signals_incr;
volatile sig_atomic_t pf_signals_decr;
volatile sig_atomic_t pf_signals_worker_stop;

/* The master's only handler: record which signal came. Async-signal-safe:
 * it touches nothing but sig_atomic_t flags (no call, no errno). The
 * counts' read-modify-write cannot race: sa_mask blocks every master
 * signal while a handler runs, and the loop reads them only while blocked. */
static void master_handler(int signo)
{
    switch (signo) {
    case SIGCHLD: pf_signals_child = 1; break;
    case SIGTERM:
    case SIGINT: pf_signals_terminate = 1; break;
    case SIGQUIT: pf_signals_quit = 1; break;
    case SIGHUP: pf_signals_reconfigure = 1; break;
    case SIGUSR1: pf_signals_reopen = 1; break;
    case SIGUSR2: pf_signals_upgrade = 1; break;
    case SIGTTIN: pf_signals_incr++; break;
    case SIGTTOU: pf_signals_decr++; break;
    default: break;
    }
}

static const int master_signals[] = {SIGCHLD, SIGTERM, SIGINT,  SIGQUIT, SIGHUP,
                                     SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU};
#define MASTER_SIGNAL_COUNT (sizeof(master_signals) / sizeof(master_signals[0]))

/* Install master_handler for every signal the master acts on, ignore
 * SIGPIPE (a control client hanging up must not kill the master), and keep
 * them blocked: they are only let in by ppoll() with *wait_mask. */
int pf_signals_master(sigset_t *wait_mask)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = master_handler;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    for (size_t i = 0; i < MASTER_SIGNAL_COUNT; i++) {
        sigaddset(&sa.sa_mask, master_signals[i]);
        sigaddset(&block, master_signals[i]);
    }
    for (size_t i = 0; i < MASTER_SIGNAL_COUNT; i++)
        if (sigaction(master_signals[i], &sa, NULL) < 0)
            return -1;
    signal(SIGPIPE, SIG_IGN);
    if (sigprocmask(SIG_BLOCK, &block, wait_mask) < 0)
        return -1;
    for (size_t i = 0; i < MASTER_SIGNAL_COUNT; i++)
        sigdelset(wait_mask, master_signals[i]);
    return 0;
}

void pf_signals_block_all(sigset_t *saved)
{
    sigset_t all;

    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, saved);
}

void pf_signals_restore(const sigset_t *saved)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
}

/* A worker's handler for SIGQUIT and SIGUSR1: set the flag, nothing else
 * (the worker acts on it after its wait returns). */
static void worker_handler(int signo)
{
    if (signo == SIGQUIT)
        pf_signals_worker_stop = 1;
    else if (signo == SIGUSR1)
        pf_signals_reopen = 1;
}

/* Signals a worker ignores: the master alone decides how the pool stops or
 * scales, even when a terminal sends SIGINT or SIGHUP to the whole process
 * group, or someone signals the group with SIGTTIN (whose default action
 * would suspend the worker). SIGPIPE: a client gone mid-reply is an error
 * return, not a death. */
static const int worker_ignored[] = {SIGPIPE, SIGINT, SIGHUP, SIGTTIN, SIGTTOU, SIGUSR2};

/* Called in the child with every signal blocked (see pf_pool_spawn). The
 * master's handlers and flags must not survive into the worker: reset
 * every disposition, then opt in to what a worker handles. SIGTERM keeps
 * its default action: a fast stop ends a worker wherever it is. SIGQUIT
 * (stop) and SIGUSR1 (reopen logs) stay blocked while a client is served, so it can only be taken in the
 * waits that use *wait_mask: "finish the client you hold" needs no checks
 * sprinkled through the protocol code. */
/* Every disposition back to its default (the master's handlers and
 * ignored signals are inherited across fork). */
static void signals_default_all(struct sigaction *sa)
{
    memset(sa, 0, sizeof(*sa));
    sigemptyset(&sa->sa_mask);
    sa->sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, sa, NULL); /* EINVAL for the RT signals glibc owns */
}

int pf_signals_program(void)
{
    struct sigaction sa;
    sigset_t none;

    signals_default_all(&sa);
    sigemptyset(&none);
    return sigprocmask(SIG_SETMASK, &none, NULL);
}

int pf_signals_worker(sigset_t *wait_mask)
{
    struct sigaction sa;
    sigset_t block;

    signals_default_all(&sa);
    pf_signals_child = pf_signals_terminate = pf_signals_quit = pf_signals_reconfigure = 0;
    pf_signals_reopen = pf_signals_incr = pf_signals_decr = pf_signals_worker_stop = 0;
    sa.sa_handler = SIG_IGN;
    for (size_t i = 0; i < sizeof(worker_ignored) / sizeof(worker_ignored[0]); i++)
        sigaction(worker_ignored[i], &sa, NULL);
    sa.sa_handler = worker_handler;
    if (sigaction(SIGQUIT, &sa, NULL) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0)
        return -1;
    sigemptyset(&block);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGUSR1);
    sigemptyset(wait_mask);
    return sigprocmask(SIG_SETMASK, &block, NULL);
}
