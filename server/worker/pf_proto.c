/* pf_proto: what every protocol handler may ask of the worker it runs in. */
#include "pf_proto.h"

#include "pf_park.h"
#include "pf_signals.h"

bool pf_proto_stop_requested(const struct pf_conn *c)
{
    return pf_signals_worker_stop ||
           atomic_load_explicit(&c->slot->stop_requested, memory_order_acquire) != 0 ||
           pf_park_closing(c->park);
}

const struct pf_handoff *pf_proto_state(struct pf_handoff *st, const void *bytes, size_t nbytes,
                                        uint64_t requests, int64_t idle_deadline,
                                        int64_t head_deadline, bool closing)
{
    if (nbytes > PF_HANDOFF_BYTES_MAX || closing)
        return NULL;
    *st = (struct pf_handoff){
        .flags = nbytes > 0 ? PF_HANDOFF_BEGUN : 0,
        .requests = requests > UINT32_MAX ? UINT32_MAX : (uint32_t)requests,
        .idle_deadline_ms = idle_deadline,
        .head_deadline_ms = nbytes > 0 ? head_deadline : -1,
        .bytes = bytes,
        .nbytes = nbytes,
    };
    return st;
}

enum pf_proto_wait pf_proto_await(struct pf_conn *c, int64_t deadline,
                                  const struct pf_handoff *state)
{
    c->waits++;
    return pf_park_wait(c->park, c, deadline, state, pf_proto_stop_requested(c));
}
