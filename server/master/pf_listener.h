/* pf_listener: the service's listening socket, opened and adjusted.
 *
 * The master opens it before the first fork (every worker inherits it),
 * and a reload opens another one when the listen address changes, or
 * adjusts the one in use when only the backlog or defer_accept did.
 */
#ifndef PF_LISTENER_H
#define PF_LISTENER_H

#include "pf_addr.h"
#include "pf_config.h"

/* Bind and listen on cfg's address with its backlog and defer_accept
 * (a defer_accept the kernel refuses is a warning, not a failure).
 * Returns the fd, with the address really bound in text, or -1 with the
 * reason in err. */
int pf_listener_open(const struct pf_config *cfg, char text[PF_ADDR_STRLEN], char *err,
                     size_t errlen);

/* Log the address in use: "listening on ADDR (protocol P, backlog N)",
 * and "serving SCHEME://ADDR/" when scheme is not NULL. */
void pf_listener_announce(const struct pf_config *cfg, const char *scheme, const char *text);

/* Give the listening socket fd cfg's backlog and defer_accept, in place:
 * connections already queued stay, and so do the workers waiting on it. */
void pf_listener_tune(int fd, const struct pf_config *cfg);

#endif
