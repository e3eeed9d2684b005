/* pf_proto: what every protocol handler may ask of the worker it runs in. */
#include "pf_proto.h"

#include "pf_signals.h"

bool pf_proto_stop_requested(const struct pf_conn *c)
{
    return pf_signals_worker_stop ||
           atomic_load_explicit(&c->slot->stop_requested, memory_order_acquire) != 0;
}
