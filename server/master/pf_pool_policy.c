/* pf_pool_policy: the pool's size, decided once a tick (pure). */
#include "pf_pool_policy.h"

/* The smaller of two counts. */
static int policy_min(int a, int b)
{
    return a < b ? a : b;
}

/* The larger of two counts. */
static int policy_max(int a, int b)
{
    return a > b ? a : b;
}

/* Rate 1 (a pool starts growing gently); first tick a period from now. */
void pf_pool_policy_init(struct pf_pool_policy_state *st, int64_t now_ms)
{
    st->spawn_rate = 1;
    st->next_tick_ms = now_ms + PF_POOL_POLICY_TICK_MS;
}

/* Anchored to the schedule (next += period) so wake-ups at odd times do
 * not drift it; after a stall longer than a period, restart from now
 * rather than running the missed ticks back to back. */
bool pf_pool_policy_tick_due(struct pf_pool_policy_state *st, int64_t now_ms)
{
    if (now_ms < st->next_tick_ms)
        return false;
    st->next_tick_ms += PF_POOL_POLICY_TICK_MS;
    if (st->next_tick_ms <= now_ms)
        st->next_tick_ms = now_ms + PF_POOL_POLICY_TICK_MS;
    return true;
}

/* Clamped to [0, period], so it can bound a ppoll() timeout as it is. */
int pf_pool_policy_tick_left_ms(const struct pf_pool_policy_state *st, int64_t now_ms)
{
    int64_t left = st->next_tick_ms - now_ms;

    return left <= 0 ? 0 : left > PF_POOL_POLICY_TICK_MS ? PF_POOL_POLICY_TICK_MS : (int)left;
}

/* Static mode: exactly towards the target; the rate is not used. */
static struct pf_pool_policy_decision policy_static(int target,
                                                    const struct pf_pool_policy_counts *n)
{
    struct pf_pool_policy_decision d = {0, 0, false};

    d.spawn = policy_max(0, target - n->active);
    d.retire = policy_max(0, n->active - target);
    return d;
}

/* Dynamic mode, short of spares: as many forks as the rate allows, within
 * the free slots and what brings the spares to max_spare (at least one
 * when no worker is left). The rate
 * doubles for the next tick, or falls back to 1 when nothing could be
 * forked (the pool is at its maximum: doubling would mean nothing). */
static int policy_grow(const struct pf_config *cfg, const struct pf_pool_policy_counts *n,
                       struct pf_pool_policy_state *st)
{
    int room = cfg->workers.max - policy_max(n->alive, n->active);
    int want = policy_max(cfg->workers.max_spare - n->spare, n->active == 0 ? 1 : 0);
    int spawn = policy_min(st->spawn_rate, policy_min(room, want));

    if (spawn <= 0) {
        st->spawn_rate = 1;
        return 0;
    }
    st->spawn_rate = policy_min(st->spawn_rate * 2, cfg->workers.max_spawn_rate);
    return spawn;
}

/* Dynamic mode: grow while short of spares (or without any worker, so
 * min_spare = 0 cannot leave the pool empty), shrink by one while above
 * max_spare (never below one worker), otherwise hold; the rate is back
 * to 1 whenever the pool is not short. */
static struct pf_pool_policy_decision policy_dynamic(const struct pf_config *cfg,
                                                     const struct pf_pool_policy_counts *n,
                                                     struct pf_pool_policy_state *st)
{
    struct pf_pool_policy_decision d = {0, 0, false};

    if (n->spare < cfg->workers.min_spare || n->active == 0) {
        d.spawn = policy_grow(cfg, n, st);
        return d;
    }
    st->spawn_rate = 1;
    if (n->spare > cfg->workers.max_spare && n->active > 1)
        d.retire = 1;
    return d;
}

/* The mode's decision, then "max reached", which both modes report: no
 * spare worker and every slot held. */
struct pf_pool_policy_decision pf_pool_policy_decide(const struct pf_config *cfg, int target,
                                                     const struct pf_pool_policy_counts *n,
                                                     struct pf_pool_policy_state *st)
{
    struct pf_pool_policy_decision d = pf_config_dynamic(cfg) ? policy_dynamic(cfg, n, st)
                                                              : policy_static(target, n);

    d.max_reached = n->spare == 0 && n->alive >= cfg->workers.max;
    return d;
}

int pf_pool_policy_scale(int target, int delta, int max)
{
    long t = (long)target + delta;

    if (t > max)
        t = max;
    return t < 1 ? 1 : (int)t;
}
