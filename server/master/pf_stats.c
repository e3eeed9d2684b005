/* pf_stats: status and worker snapshots from the pool and scoreboard. */
#include "pf_stats.h"

#include <string.h>
#include <time.h>

#include "pf_addr.h"
#include "pf_time.h"

#define LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)

void pf_stats_pool(const struct pf_pool *p, struct pf_status *st)
{
    st->target = p->target;
    st->max = (int)p->sb.nslots;
    st->generation = p->generation;
    memset(st->by_state, 0, sizeof(st->by_state));
    st->connections = p->done_connections;
    st->requests = p->done_requests;
    st->bytes_in = p->done_bytes_in;
    st->bytes_out = p->done_bytes_out;
    for (size_t i = 0; i < p->sb.nslots; i++) {
        const struct pf_slot *s = &p->sb.slots[i];
        int state = pf_slot_get_state(s);

        if (p->children[i].pid <= 0)
            continue;
        if (p->children[i].retiring)
            state = PF_SLOT_STOPPING; /* as the workers list says */
        if (state > PF_SLOT_FREE && state < PF_SLOT_STATE_COUNT)
            st->by_state[state]++;
        st->connections += LOAD(s->connections);
        st->requests += LOAD(s->requests);
        st->bytes_in += LOAD(s->bytes_in);
        st->bytes_out += LOAD(s->bytes_out);
    }
    st->spawned = p->spawned;
    st->respawns = p->respawns;
    st->exits_abnormal = p->exits_abnormal;
    st->hung_killed = p->hung_killed;
    st->fork_failures = p->fork_fail.total;
    memcpy(st->exits_by_signal, p->exits_by_signal, sizeof(st->exits_by_signal));
}

/* One live slot into a worker entry. A worker told to stop is reported
 * "stopping" whatever its slot says: it finishes its client first. */
static void stats_worker(const struct pf_pool *p, size_t i, struct pf_status_worker *w,
                         int64_t now_s, int64_t now_ms)
{
    const struct pf_slot *s = &p->sb.slots[i];
    int64_t req = LOAD(s->request_ms);

    w->slot = (int)i;
    w->pid = p->children[i].pid;
    w->generation = p->children[i].generation;
    w->state = p->children[i].retiring ? PF_SLOT_STOPPING : pf_slot_get_state(s);
    w->age_s = now_s - LOAD(s->started_ms) / 1000;
    if (LOAD(s->started_ms) == 0)
        w->age_s = 0;
    w->connections = LOAD(s->connections);
    w->requests = LOAD(s->requests);
    w->bytes_in = LOAD(s->bytes_in);
    w->bytes_out = LOAD(s->bytes_out);
    pf_slot_read_client(s, w->client, sizeof(w->client));
    pf_slot_read_summary(s, w->request);
    w->request_ms = req ? now_ms - req : -1;
    w->last_status = LOAD(s->last_status);
}

size_t pf_stats_workers(const struct pf_pool *p, struct pf_status_worker *out, size_t max)
{
    int64_t now_s = (int64_t)time(NULL), now_ms = pf_time_now_ms();
    size_t n = 0;

    for (size_t i = 0; i < p->sb.nslots && n < max; i++)
        if (p->children[i].pid > 0)
            stats_worker(p, i, &out[n++], now_s, now_ms);
    return n;
}
