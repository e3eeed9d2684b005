/* pf_park_policy: linger a moment for a hot connection, park the rest (pure). */
#include "pf_park_policy.h"

struct pf_park_policy_step pf_park_policy_decide(const struct pf_park_policy_view *v)
{
    int64_t left;

    if (!v->enabled)
        return (struct pf_park_policy_step){PF_PARK_POLICY_WAIT, -1};
    if (v->stopping || (v->others_waiting && v->idle_workers <= 0))
        return (struct pf_park_policy_step){PF_PARK_POLICY_PARK, 0};
    left = (int64_t)v->linger_ms - v->waited_ms;
    if (left <= 0)
        return (struct pf_park_policy_step){PF_PARK_POLICY_PARK, 0};
    return (struct pf_park_policy_step){PF_PARK_POLICY_WAIT, (int)left};
}
