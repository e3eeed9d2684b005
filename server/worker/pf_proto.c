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

enum pf_proto_wait pf_proto_await(struct pf_conn *c, int64_t deadline,
                                  const struct pf_handoff *state)
{
    c->waits++;
    return pf_park_wait(c->park, c, deadline, state, pf_proto_stop_requested(c));
}
