/* Unit tests for pf_signals: the mask around fork() (everything blocked,
 * then exactly the previous mask back), the master's handlers recording
 * signals that arrive while it waits, and a new worker's dispositions.
 * The last two change the process's signal set-up for good, so each runs
 * in a forked child that reports by its exit status (cmocka's asserts do
 * not work across fork). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_signals.h"

/* Every standard signal blocked in mask (SIGKILL and SIGSTOP excepted:
 * the kernel never blocks them). */
static bool all_blocked(const sigset_t *mask)
{
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP && !sigismember(mask, s))
            return false;
    return true;
}

/* Run fn in a child; its exit status is the test's verdict (0: passed,
 * else the number of the check that failed), within 10 s. */
static void in_child(int (*fn)(void))
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10); /* a wait that never ends kills the child: the test fails */
        _exit(fn());
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Around fork(): every signal blocked, then the mask as it was. */
static void test_block_all_and_restore(void **state)
{
    sigset_t before, saved, now;

    (void)state;
    sigemptyset(&before);
    sigaddset(&before, SIGUSR2);
    sigprocmask(SIG_SETMASK, &before, NULL);
    pf_signals_block_all(&saved);
    sigprocmask(SIG_SETMASK, NULL, &now);
    assert_true(all_blocked(&now));
    pf_signals_restore(&saved);
    sigprocmask(SIG_SETMASK, NULL, &now);
    assert_true(sigismember(&now, SIGUSR2));
    assert_false(sigismember(&now, SIGTERM));
    assert_false(sigismember(&now, SIGCHLD));
    sigemptyset(&before);
    sigprocmask(SIG_SETMASK, &before, NULL);
}

/* The master: its signals stay blocked (pending, not handled) until it
 * waits with the wait mask; then each handler sets its flag, and two
 * SIGTTIN sent before the wait count once (standard signals do not queue). */
static int master_child(void)
{
    sigset_t wait_mask, pending;

    if (pf_signals_master(&wait_mask) < 0)
        return 1;
    raise(SIGTTIN);
    raise(SIGTTIN);
    raise(SIGHUP);
    raise(SIGCHLD);
    sigpending(&pending);
    if (pf_signals_incr || pf_signals_reconfigure || pf_signals_child ||
        !sigismember(&pending, SIGTTIN))
        return 2;
    /* One signal per wait: a handler blocks the master's other signals,
     * and the mask it returns to is the blocked one. Three pending kinds,
     * three waits, none lost. */
    for (int i = 0; i < 3; i++)
        sigsuspend(&wait_mask);
    sigpending(&pending);
    if (pf_signals_incr != 1 || pf_signals_reconfigure != 1 || pf_signals_child != 1 ||
        !sigisemptyset(&pending))
        return 3;
    if (sigismember(&wait_mask, SIGTERM) || sigismember(&wait_mask, SIGTTIN))
        return 4;
    return 0;
}

static void test_master_records_while_waiting(void **state)
{
    (void)state;
    in_child(master_child);
}

/* A new worker, set up the way pf_pool_spawn's child is (every signal
 * blocked, the master's handlers and flags inherited): the master's
 * handlers and flags are gone, the master's signals are ignored or
 * default, SIGQUIT and SIGUSR1 are handled and blocked outside waits,
 * and the wait mask lets everything in. */
static int worker_child(void)
{
    sigset_t wait_mask, saved, now;
    struct sigaction sa;

    if (pf_signals_master(&wait_mask) < 0)
        return 1;
    pf_signals_child = pf_signals_incr = 1;
    pf_signals_block_all(&saved);
    if (pf_signals_worker(&wait_mask) < 0)
        return 2;
    if (pf_signals_child || pf_signals_incr)
        return 3;
    sigprocmask(SIG_SETMASK, NULL, &now);
    if (!sigismember(&now, SIGQUIT) || !sigismember(&now, SIGUSR1) || sigismember(&now, SIGTERM) ||
        sigismember(&now, SIGCHLD) || !sigisemptyset(&wait_mask))
        return 4;
    sigaction(SIGTERM, NULL, &sa);
    if (sa.sa_handler != SIG_DFL)
        return 5;
    sigaction(SIGTTIN, NULL, &sa);
    if (sa.sa_handler != SIG_IGN)
        return 6;
    sigaction(SIGQUIT, NULL, &sa);
    if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
        return 7;
    return 0;
}

static void test_worker_dispositions(void **state)
{
    (void)state;
    in_child(worker_child);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_all_and_restore),
        cmocka_unit_test(test_master_records_while_waiting),
        cmocka_unit_test(test_worker_dispositions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
