/* pf_hung_policy: the hung-worker decision (pure; see pf_hung.h). */
#include "pf_hung_policy.h"

#include "pf_scoreboard.h"

/* Serving a client: the states status counts as busy. Idle, keep-alive,
 * starting, stopping and free slots are not. */
static bool hung_serving(int state)
{
    return state == PF_SLOT_READING || state == PF_SLOT_WRITING || state == PF_SLOT_CLOSING;
}

/* A SIGTERM already sent is followed through whatever the slot says now
 * (a stopped process cannot update it); otherwise only a request in
 * progress in a worker nobody told to stop has a deadline. */
int64_t pf_hung_policy_due_ms(const struct pf_hung_policy_view *v,
                              const struct pf_hung_policy_limits *lim)
{
    if (v->kill_sent)
        return -1;
    if (v->term_ms > 0)
        return v->term_ms + lim->stop_timeout_ms;
    if (lim->request_timeout_ms <= 0 || v->stop_ordered || v->request_ms <= 0 ||
        !hung_serving(v->state))
        return -1;
    return v->request_ms + lim->request_timeout_ms;
}

/* Defined through pf_hung_policy_due_ms, so the master's wake-up time and its
 * decision can never disagree (no early wake that finds nothing to do). */
enum pf_hung_policy_action pf_hung_policy_decide(const struct pf_hung_policy_view *v,
                                                 int64_t now_ms,
                                                 const struct pf_hung_policy_limits *lim)
{
    int64_t due = pf_hung_policy_due_ms(v, lim);

    if (due < 0 || now_ms < due)
        return PF_HUNG_POLICY_NONE;
    return v->term_ms > 0 ? PF_HUNG_POLICY_KILL : PF_HUNG_POLICY_TERM;
}
