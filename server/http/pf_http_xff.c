/* pf_http_xff: X-Forwarded-For read from the right, trusted hops skipped. */
#include "pf_http_xff.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "pf_addr.h"

/* A port: decimal 0..65535. */
static bool xff_port(const char *p, size_t n, uint16_t *port)
{
    unsigned v;

    if (pf_addr_parse_port(p, n, &v, NULL, 0) < 0)
        return false;
    *port = (uint16_t)v;
    return true;
}

/* One entry p[0..n), blanks trimmed, as an address with its port. */
static bool xff_entry(const char *p, size_t n, struct sockaddr_storage *out, socklen_t *len)
{
    const char *addr = p, *colon;
    size_t alen;
    uint16_t port = 0;

    while (n > 0 && (p[0] == ' ' || p[0] == '\t'))
        p++, n--;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    addr = p;
    alen = n;
    if (n > 0 && p[0] == '[') { /* [v6] or [v6]:port */
        const char *close = memchr(p, ']', n);

        if (close == NULL)
            return false;
        addr = p + 1;
        alen = (size_t)(close - addr);
        if (close + 1 < p + n &&
            (close[1] != ':' || !xff_port(close + 2, (size_t)(p + n - close - 2), &port)))
            return false;
    } else if ((colon = memchr(p, ':', n)) != NULL &&
               memchr(colon + 1, ':', n - (size_t)(colon - p) - 1) == NULL) {
        /* one colon: v4:port (an IPv6 address has two at least) */
        alen = (size_t)(colon - p);
        if (!xff_port(colon + 1, n - alen - 1, &port))
            return false;
    }
    if (pf_cidr_addr(addr, alen, out, len) < 0)
        return false;
    if (out->ss_family == AF_INET)
        ((struct sockaddr_in *)out)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)out)->sin6_port = htons(port);
    return true;
}

bool pf_http_xff_client(const char *buf, const struct pf_http_slice *lines, unsigned nlines,
                        const struct pf_cidr *nets, size_t nnets, const struct sockaddr *peer,
                        struct sockaddr_storage *out, socklen_t *out_len)
{
    struct sockaddr_storage one;
    socklen_t one_len;
    bool found = false;

    if (!pf_cidr_match(nets, nnets, peer))
        return false;
    for (unsigned l = nlines; l-- > 0;) {
        const char *v = buf + lines[l].off;
        size_t end = lines[l].len;

        for (;;) {
            const char *comma = end > 0 ? memrchr(v, ',', end) : NULL;
            size_t start = comma ? (size_t)(comma - v) + 1 : 0;

            if (!xff_entry(v + start, end - start, &one, &one_len))
                return found;
            *out = one;
            *out_len = one_len;
            found = true;
            if (!pf_cidr_match(nets, nnets, (struct sockaddr *)&one))
                return true;
            if (comma == NULL)
                break;
            end = start - 1;
        }
    }
    return found;
}
