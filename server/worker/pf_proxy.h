/* pf_proxy: the PROXY header a trusted balancer sends before a
 * connection's first protocol byte, read by the worker that accepted it
 * (docs/protocols.md, "Behind a proxy").
 *
 * Only the header's bytes are taken from the socket: they are looked at
 * with MSG_PEEK and taken once known to be the header's (all of them
 * while more are needed, the header's length once it is whole), so the
 * protocol handler reads the rest as if nothing came before. The read is
 * bounded by a deadline: a peer that sends half a header, or none, holds
 * the worker no longer than that.
 */
#ifndef PF_PROXY_H
#define PF_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pf_config.h"
#include "pf_proxy_parse.h"

/* Must a connection from peer begin with a PROXY header? proxy.protocol
 * is on and peer is one of proxy.trusted. */
bool pf_proxy_expected(const struct pf_config *cfg, const struct sockaddr *peer);

/* How long the header may take from the accept: http.header_timeout for
 * http, client.read_timeout (a message begun) for echo and msg. */
int pf_proxy_timeout_ms(const struct pf_config *cfg);

/* Read the PROXY header of fd (non-blocking) before deadline (monotonic
 * ms) into *h. 0, or -1 with the reason in err: not a header or a broken
 * one, the peer closed, the deadline passed, a socket error. */
int pf_proxy_read(int fd, int64_t deadline, struct pf_proxy_header *h, char *err, size_t errlen);

#endif
