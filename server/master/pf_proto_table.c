/* pf_proto: the table of protocol handlers, looked up by name. */
#include "pf_proto.h"

#include <string.h>

#include "pf_signals.h"

static const struct pf_proto *const protos[] = {&pf_proto_http, &pf_proto_echo, &pf_proto_msg};
#define PROTO_COUNT (sizeof(protos) / sizeof(protos[0]))

const struct pf_proto *pf_proto_find(const char *name)
{
    for (size_t i = 0; i < PROTO_COUNT; i++)
        if (strcmp(protos[i]->name, name) == 0)
            return protos[i];
    return NULL;
}

const char *pf_proto_names(void)
{
    return "http, echo, msg";
}

bool pf_conn_stop_requested(const struct pf_conn *c)
{
    return pf_sig_worker_stop ||
           atomic_load_explicit(&c->slot->stop_requested, memory_order_acquire) != 0;
}
