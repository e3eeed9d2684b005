/* pf_crash_policy: a crash told apart from a kill (pure). */
#include "pf_crash_policy.h"

#include <signal.h>
#include <sys/wait.h>

#include "pf_worker.h"

bool pf_crash_policy_abnormal(int status)
{
    return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

bool pf_crash_policy_fault_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT || sig == SIGILL || sig == SIGFPE ||
           sig == SIGSYS;
}

enum pf_crash_policy_kind pf_crash_policy_classify(const struct pf_crash_policy_exit *e)
{
    bool init_failed = (WIFEXITED(e->status) && WEXITSTATUS(e->status) == PF_WORKER_EXIT_INIT &&
                        !e->program) ||
                       e->not_ready;
    bool young = e->age_ms < PF_CRASH_POLICY_YOUNG_MS;

    /* Workers the master stopped or killed (retired, hung) did not crash. */
    if (!pf_crash_policy_abnormal(e->status) || e->hung_killed || (e->retiring && !init_failed))
        return PF_CRASH_POLICY_NONE;
    if (!init_failed && !young)
        return PF_CRASH_POLICY_NONE;
    if (init_failed ||
        (WIFSIGNALED(e->status) && pf_crash_policy_fault_signal(WTERMSIG(e->status))))
        return PF_CRASH_POLICY_BROKEN;
    return PF_CRASH_POLICY_CRASH;
}
