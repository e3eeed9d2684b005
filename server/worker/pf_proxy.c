/* pf_proxy: a connection's PROXY header read, within its deadline. */
#include "pf_proxy.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "pf_cidr.h"
#include "pf_net.h"

bool pf_proxy_expected(const struct pf_config *cfg, const struct sockaddr *peer)
{
    return cfg->proxy.protocol &&
           pf_cidr_match(cfg->proxy.trusted_nets, (size_t)cfg->proxy.ntrusted, peer);
}

int pf_proxy_timeout_ms(const struct pf_config *cfg)
{
    return strcmp(cfg->protocol, "http") == 0 ? cfg->http.header_timeout_ms
                                              : cfg->client.read_timeout_ms;
}

/* Wait until fd is readable or deadline passes: 0, or -1 with the reason. */
static int proxy_wait(int fd, int64_t deadline, size_t have, char *err, size_t errlen)
{
    int n = pf_net_wait(fd, POLLIN, deadline);

    if (n > 0)
        return 0;
    if (n == 0)
        snprintf(err, errlen, "no whole PROXY header in time (%zu bytes came)", have);
    else
        snprintf(err, errlen, "waiting for the PROXY header: %s", strerror(errno));
    return -1;
}

/* Take n bytes already looked at (they are in the socket: no wait). */
static int proxy_take(int fd, uint8_t *at, size_t n, int64_t deadline, char *err, size_t errlen)
{
    enum pf_io io = pf_net_recv_exact_until(fd, at, n, deadline, NULL);

    if (io == PF_IO_OK)
        return 0;
    snprintf(err, errlen, "reading the PROXY header: %s", pf_net_io_name(io));
    return -1;
}

int pf_proxy_read(int fd, int64_t deadline, struct pf_proxy_header *h, char *err, size_t errlen)
{
    uint8_t buf[PF_PROXY_HEADER_MAX];
    size_t have = 0; /* bytes taken from the socket, all the header's */

    for (;;) {
        ssize_t n = recv(fd, buf + have, sizeof(buf) - have, MSG_PEEK | MSG_DONTWAIT);

        if (n == 0) {
            snprintf(err, errlen, "closed before a whole PROXY header (%zu bytes came)", have);
            return -1;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            snprintf(err, errlen, "reading the PROXY header: %s", strerror(errno));
            return -1;
        }
        if (n > 0) {
            switch (pf_proxy_parse(buf, have + (size_t)n, h, err, errlen)) {
            case PF_PROXY_DONE:
                return proxy_take(fd, buf + have, h->len - have, deadline, err, errlen);
            case PF_PROXY_ERROR: return -1;
            case PF_PROXY_MORE: break;
            }
            /* every byte looked at is the header's: take them, so that the
             * next wait is for new ones (peeked bytes keep fd readable) */
            if (proxy_take(fd, buf + have, (size_t)n, deadline, err, errlen) < 0)
                return -1;
            have += (size_t)n;
        }
        if (proxy_wait(fd, deadline, have, err, errlen) < 0)
            return -1;
    }
}
