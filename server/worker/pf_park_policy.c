/* pf_park_policy: serve, wait, park or yield (pure). */
#include "pf_park_policy.h"

static struct pf_park_policy_step step(enum pf_park_policy_action a, int64_t wait_ms)
{
    return (struct pf_park_policy_step){a, (int)wait_ms};
}

struct pf_park_policy_step pf_park_policy_decide(const struct pf_park_policy_view *v)
{
    int64_t left;
    bool crowded = v->others_waiting > 0 && v->others_waiting > v->idle_workers;

    if (!v->enabled)
        return v->readable ? step(PF_PARK_POLICY_SERVE, 0) : step(PF_PARK_POLICY_WAIT, -1);
    if (v->stopping)
        return v->readable ? step(PF_PARK_POLICY_SERVE, 0) : step(PF_PARK_POLICY_PARK, 0);
    if (crowded && v->readable && v->turn >= PF_PARK_POLICY_TURN)
        return step(PF_PARK_POLICY_YIELD, 0);
    if (v->readable)
        return step(PF_PARK_POLICY_SERVE, 0);
    left = v->linger_ms - v->waited_ms;
    if (crowded || left <= 0)
        return step(PF_PARK_POLICY_PARK, 0);
    return step(PF_PARK_POLICY_WAIT, left);
}
