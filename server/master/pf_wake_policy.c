/* pf_wake_policy: the master's one timeout, from every part's wait (pure). */
#include "pf_wake_policy.h"

#include "pf_pool_policy.h"
#include "pf_time.h"

int pf_wake_policy_ms(const struct pf_wake_policy_waits *w)
{
    int ms = w->stopping ? pf_time_sooner_ms(PF_POOL_POLICY_TICK_MS, w->stop_ms) : w->supervise_ms;

    ms = pf_time_sooner_ms(ms, w->control_ms);
    ms = pf_time_sooner_ms(ms, w->reload_ms);
    if (w->starting)
        ms = pf_time_sooner_ms(ms, PF_WAKE_POLICY_SCOREBOARD_MS);
    ms = pf_time_sooner_ms(ms, w->upgrade_ms);
    return pf_time_sooner_ms(ms, w->hung_ms);
}
