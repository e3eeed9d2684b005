/* pf_proto_table: the protocol handlers preforkd knows, by name.
 *
 * The one place that names every handler (http/, framed/): the worker
 * only sees the pf_proto the master picked for it, so adding a protocol
 * touches its own folder and this table.
 */
#ifndef PF_PROTO_TABLE_H
#define PF_PROTO_TABLE_H

#include "pf_proto.h"

/* The handler named name, or NULL. */
const struct pf_proto *pf_proto_table_find(const char *name);

/* "http, echo, msg": the names known, for error messages. */
const char *pf_proto_table_names(void);

#endif
