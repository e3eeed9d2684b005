/* pf_proto_table: the table of protocol handlers, looked up by name. */
#include "pf_proto_table.h"

#include <string.h>

#include "pf_framed.h"
#include "pf_http_proto.h"

static const struct pf_proto *const protos[] = {&pf_http_proto, &pf_framed_echo, &pf_framed_msg};
#define PROTO_COUNT (sizeof(protos) / sizeof(protos[0]))

const struct pf_proto *pf_proto_table_find(const char *name)
{
    for (size_t i = 0; i < PROTO_COUNT; i++)
        if (strcmp(protos[i]->name, name) == 0)
            return protos[i];
    return NULL;
}

const char *pf_proto_table_names(void)
{
    return "http, echo, msg";
}
