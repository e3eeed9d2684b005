/* pf_http_xff: the client a request names in X-Forwarded-For, believed
 * as far as trusted proxies vouch for it (pure, no I/O).
 *
 * Each proxy appends the address it got the request from, so the list
 * reads, left to right, from the client to the last proxy before the
 * peer; anyone can write anything to its left. The rule (docs/http.md,
 * "Behind a proxy"): a peer that is not in proxy.trusted is the client,
 * whatever the header says. Otherwise the entries are read from the
 * right, lines last to first: a trusted entry is one more proxy and is
 * skipped; the first untrusted entry is the client. When every entry is
 * trusted, the leftmost is the client (as nginx's real_ip_recursive and
 * Apache's mod_remoteip read it). An entry that is not an address
 * ("unknown", empty, garbage) ends the walk: the last entry read before
 * it, trusted, is the client, or the peer when there is none.
 * An entry is an address, IPv4 or IPv6, with or without a port:
 * "192.0.2.1", "192.0.2.1:8080", "2001:db8::1", "[2001:db8::1]:8080";
 * blanks around it are skipped.
 */
#ifndef PF_HTTP_XFF_H
#define PF_HTTP_XFF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "pf_cidr.h"
#include "pf_http_parse.h"

/* The client of a request from peer whose X-Forwarded-For lines are
 * lines[0..nlines) (slices of buf), with nets[0..nnets) trusted. True
 * with the client in *out (port 0 when the entry has none), false when
 * the peer is the client. */
bool pf_http_xff_client(const char *buf, const struct pf_http_slice *lines, unsigned nlines,
                        const struct pf_cidr *nets, size_t nnets, const struct sockaddr *peer,
                        struct sockaddr_storage *out, socklen_t *out_len);

#endif
