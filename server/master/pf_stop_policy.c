/* pf_stop_policy: how a stop begins and when it must be over (pure). */
#include "pf_stop_policy.h"

int pf_stop_policy_drain_ms(int drain_delay_ms, bool upgraded, bool starting)
{
    return upgraded || starting || drain_delay_ms < 0 ? 0 : drain_delay_ms;
}

int64_t pf_stop_policy_fast_deadline(bool stopping, bool draining, int64_t deadline_ms,
                                     int64_t now_ms, int stop_timeout_ms)
{
    int64_t d = now_ms + stop_timeout_ms;

    return stopping && !draining && deadline_ms < d ? deadline_ms : d;
}
