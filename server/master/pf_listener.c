/* pf_listener: open the listening socket, or adjust it in place. */
#include "pf_listener.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "pf_err.h"
#include "pf_log.h"
#include "pf_net.h"

/* TCP_DEFER_ACCEPT as configured (whole seconds, rounded up; 0 = off).
 * Only an optimisation: if the kernel refuses, connections are simply
 * handed over as they arrive. */
static void listener_defer(int fd, int ms)
{
    char err[PF_ERR_MAX];

    if (pf_net_defer_accept(fd, (ms + 999) / 1000, err, sizeof(err)) < 0)
        pf_log_warn("%s; connections are handed to workers as they arrive", err);
}

int pf_listener_open(const struct pf_config *cfg, char text[PF_ADDR_STRLEN], char *err,
                     size_t errlen)
{
    struct pf_addr bound;
    int fd = pf_net_listen(&cfg->listen_addr, cfg->backlog, err, errlen);

    if (fd < 0)
        return -1;
    if (cfg->defer_accept_ms > 0)
        listener_defer(fd, cfg->defer_accept_ms);
    pf_net_local_addr(fd, &bound);
    pf_addr_format((struct sockaddr *)&bound.ss, text, PF_ADDR_STRLEN);
    return fd;
}

void pf_listener_announce(const struct pf_config *cfg, const char *scheme, const char *text)
{
    pf_log_notice("listening on %s (protocol %s, backlog %d)", text, cfg->protocol, cfg->backlog);
    if (scheme)
        pf_log_notice("serving %s://%s/", scheme, text);
}

/* listen() again on a listening socket only sets its backlog (Linux). */
void pf_listener_tune(int fd, const struct pf_config *cfg)
{
    if (listen(fd, cfg->backlog) < 0)
        pf_log_warn("cannot set the backlog to %d: %s", cfg->backlog, strerror(errno));
    listener_defer(fd, cfg->defer_accept_ms);
    pf_log_notice("listening socket adjusted (backlog %d, defer_accept %d ms)", cfg->backlog,
                  cfg->defer_accept_ms);
}
