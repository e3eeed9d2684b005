/* pf_proxy_parse: PROXY protocol v1 and v2 headers, parsed. */
#include "pf_proxy_parse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "pf_addr.h"
#include "pf_cidr.h"

static const uint8_t proxy_v2_sig[12] = {'\r', '\n', '\r', '\n', 0,   '\r',
                                         '\n', 'Q',  'U',  'I',  'T', '\n'};
static const char proxy_v1_sig[] = "PROXY ";

#define PROXY_V1_SIG_LEN (sizeof(proxy_v1_sig) - 1)

static enum pf_proxy_parse_result proxy_fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return PF_PROXY_ERROR;
}

/* ---------------------------------------------------------------- v1 */

/* The next field of a v1 line: from *p to the next space (or end),
 * which is consumed. False for an empty field. */
static bool v1_field(const char **p, const char *end, const char **f, size_t *n)
{
    const char *sp = memchr(*p, ' ', (size_t)(end - *p));

    *f = *p;
    *n = (size_t)((sp ? sp : end) - *p);
    *p = sp ? sp + 1 : end;
    return *n > 0;
}

/* A port: decimal 0..65535, no leading zero but "0" itself. */
static bool v1_port(const char *f, size_t n, uint16_t *port)
{
    unsigned v;

    if ((n > 1 && f[0] == '0') || pf_addr_parse_port(f, n, &v, NULL, 0) < 0)
        return false;
    *port = (uint16_t)v;
    return true;
}

/* The fields of "TCP4 SRC DST SPORT DPORT" in line[0..n) into h. */
static enum pf_proxy_parse_result v1_line(const char *line, size_t n, struct pf_proxy_header *h,
                                          char *err, size_t errlen)
{
    const char *p = line, *end = line + n, *f[5];
    size_t len[5];
    struct sockaddr_storage dst;
    socklen_t dst_len;
    uint16_t sport, dport;
    int af;

    if (!v1_field(&p, end, &f[0], &len[0]))
        return proxy_fail(err, errlen, "PROXY v1: no protocol");
    if (len[0] == 7 && memcmp(f[0], "UNKNOWN", 7) == 0) {
        h->local = true;
        return PF_PROXY_DONE;
    }
    if (len[0] == 4 && memcmp(f[0], "TCP4", 4) == 0)
        af = AF_INET;
    else if (len[0] == 4 && memcmp(f[0], "TCP6", 4) == 0)
        af = AF_INET6;
    else
        return proxy_fail(err, errlen, "PROXY v1: protocol must be TCP4, TCP6 or UNKNOWN");
    for (int i = 1; i < 5; i++)
        if (!v1_field(&p, end, &f[i], &len[i]))
            return proxy_fail(err, errlen, "PROXY v1: fewer than 5 fields");
    if (p != end || end[-1] == ' ')
        return proxy_fail(err, errlen, "PROXY v1: more than 5 fields");
    /* both addresses of the family the protocol names */
    if (pf_cidr_addr(f[1], len[1], &h->src, &h->src_len) < 0 || h->src.ss_family != af ||
        pf_cidr_addr(f[2], len[2], &dst, &dst_len) < 0 || dst.ss_family != af)
        return proxy_fail(err, errlen,
                          af == AF_INET ? "PROXY v1: not an IPv4 address"
                                        : "PROXY v1: not an IPv6 address");
    if (!v1_port(f[3], len[3], &sport) || !v1_port(f[4], len[4], &dport))
        return proxy_fail(err, errlen, "PROXY v1: a port must be a number from 0 to 65535");
    if (af == AF_INET)
        ((struct sockaddr_in *)&h->src)->sin_port = htons(sport);
    else
        ((struct sockaddr_in6 *)&h->src)->sin6_port = htons(sport);
    return PF_PROXY_DONE;
}

static enum pf_proxy_parse_result v1_parse(const uint8_t *buf, size_t len,
                                           struct pf_proxy_header *h, char *err, size_t errlen)
{
    size_t look = len < PF_PROXY_V1_MAX ? len : PF_PROXY_V1_MAX;
    size_t sig = look < PROXY_V1_SIG_LEN ? look : PROXY_V1_SIG_LEN;
    const uint8_t *lf;

    if (memcmp(buf, proxy_v1_sig, sig) != 0)
        return proxy_fail(err, errlen, "not a PROXY header");
    lf = memchr(buf, '\n', look);
    if (lf == NULL)
        return len >= PF_PROXY_V1_MAX
                   ? proxy_fail(err, errlen, "PROXY v1: no CRLF within 107 bytes")
                   : PF_PROXY_MORE;
    if (lf == buf || lf[-1] != '\r' || (size_t)(lf - buf) < PROXY_V1_SIG_LEN + 1)
        return proxy_fail(err, errlen, "PROXY v1: the line must end with CRLF");
    for (const uint8_t *p = buf; p < lf - 1; p++)
        if (*p < 0x20 || *p > 0x7e)
            return proxy_fail(err, errlen, "PROXY v1: a byte that is not printable");
    h->version = 1;
    h->len = (size_t)(lf - buf) + 1;
    return v1_line((const char *)buf + PROXY_V1_SIG_LEN, h->len - PROXY_V1_SIG_LEN - 2, h, err,
                   errlen);
}

/* ---------------------------------------------------------------- v2 */

/* The source address of a PROXY command over TCP (addr: the address
 * block, n bytes) into h. */
static enum pf_proxy_parse_result v2_addr(int af, const uint8_t *addr, size_t n,
                                          struct pf_proxy_header *h, char *err, size_t errlen)
{
    if (af == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&h->src;

        if (n < 12)
            return proxy_fail(err, errlen, "PROXY v2: IPv4 address block shorter than 12 bytes");
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, addr, 4);
        memcpy(&sin->sin_port, addr + 8, 2);
        h->src_len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h->src;

        if (n < 36)
            return proxy_fail(err, errlen, "PROXY v2: IPv6 address block shorter than 36 bytes");
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, addr, 16);
        memcpy(&sin6->sin6_port, addr + 32, 2);
        h->src_len = sizeof(*sin6);
    }
    return PF_PROXY_DONE;
}

static enum pf_proxy_parse_result v2_parse(const uint8_t *buf, size_t len,
                                           struct pf_proxy_header *h, char *err, size_t errlen)
{
    size_t sig = len < sizeof(proxy_v2_sig) ? len : sizeof(proxy_v2_sig), body;
    unsigned cmd, af, transport;

    if (memcmp(buf, proxy_v2_sig, sig) != 0)
        return proxy_fail(err, errlen, "not a PROXY header");
    if (len > 12 && (buf[12] >> 4) != 2)
        return proxy_fail(err, errlen, "PROXY v2: version must be 2");
    if (len > 12 && (buf[12] & 0xf) > 1)
        return proxy_fail(err, errlen, "PROXY v2: command must be LOCAL or PROXY");
    if (len > 13 && ((buf[13] >> 4) > 3 || (buf[13] & 0xf) > 2))
        return proxy_fail(err, errlen, "PROXY v2: unknown address family or transport");
    if (len < PF_PROXY_V2_HEAD)
        return PF_PROXY_MORE;
    body = (size_t)buf[14] << 8 | buf[15];
    if (PF_PROXY_V2_HEAD + body > PF_PROXY_HEADER_MAX)
        return proxy_fail(err, errlen, "PROXY v2: header longer than 4096 bytes");
    if (len < PF_PROXY_V2_HEAD + body)
        return PF_PROXY_MORE;
    h->version = 2;
    h->len = PF_PROXY_V2_HEAD + body;
    cmd = buf[12] & 0xf;
    af = buf[13] >> 4;
    transport = buf[13] & 0xf;
    if (cmd == 0 || transport != 1 || (af != 1 && af != 2)) {
        h->local = true; /* LOCAL, or a client that is not TCP over IP */
        return PF_PROXY_DONE;
    }
    return v2_addr(af == 1 ? AF_INET : AF_INET6, buf + PF_PROXY_V2_HEAD, body, h, err, errlen);
}

enum pf_proxy_parse_result pf_proxy_parse(const uint8_t *buf, size_t len, struct pf_proxy_header *h,
                                          char *err, size_t errlen)
{
    enum pf_proxy_parse_result r;

    memset(h, 0, sizeof(*h));
    if (len == 0)
        return PF_PROXY_MORE;
    if (buf[0] == proxy_v2_sig[0])
        r = v2_parse(buf, len, h, err, errlen);
    else
        r = v1_parse(buf, len, h, err, errlen);
    if (r != PF_PROXY_DONE) /* nothing half-filled is left to read */
        memset(h, 0, sizeof(*h));
    return r;
}
