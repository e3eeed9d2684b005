/* pf_proto_table: the table of protocol handlers, looked up by name. */
#include "pf_proto_table.h"

#include <stdio.h>
#include <string.h>

#include "pf_exec.h"
#include "pf_framed.h"
#include "pf_http_proto.h"

static const struct pf_proto *const protos[] = {&pf_http_proto, &pf_framed_echo, &pf_framed_msg,
                                                &pf_exec_proto};
#define PROTO_COUNT (sizeof(protos) / sizeof(protos[0]))

const struct pf_proto *pf_proto_table_find(const char *name)
{
    for (size_t i = 0; i < PROTO_COUNT; i++)
        if (strcmp(protos[i]->name, name) == 0)
            return protos[i];
    return NULL;
}

/* Joined from the table once, so that a new handler is named in the
 * messages by being in the table. */
const char *pf_proto_table_names(void)
{
    static char names[PROTO_COUNT * (PF_PROTO_NAME_MAX + 2)];

    if (names[0] == '\0')
        for (size_t i = 0; i < PROTO_COUNT; i++)
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
                     protos[i]->name);
    return names;
}
