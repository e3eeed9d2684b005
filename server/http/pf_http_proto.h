/* pf_http_proto: the http protocol handler, HTTP/1.1 static files
 * (docs/http.md): the connection loop (keep-alive, pipelining, the
 * header timeout) that puts the http/ modules together. */
#ifndef PF_HTTP_PROTO_H
#define PF_HTTP_PROTO_H

#include "pf_proto.h"

extern const struct pf_proto pf_http_proto;

#endif
