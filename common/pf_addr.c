/* pf_addr: socket address parsing and formatting (see pf_addr.h).
 *
 * Parsing splits the text into a host part and a port part first, then
 * turns each into binary form with inet_pton and a strict decimal reader.
 * Nothing here performs I/O or name resolution.
 */
#include "pf_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ADDR_PORT_MAX 65535u

/* Host and port parts of an address text, as pointer and length pairs
 * into the caller's string (not NUL-terminated). */
struct addr_parts {
    const char *host;
    size_t host_len;
    const char *port;
    size_t port_len;
    int bracketed; /* the host was written as [v6] */
};

/* Write msg into err (always NUL-terminated, errlen 0 tolerated) and return
 * -1, so every failure path is a single "return addr_fail(...)". */
static int addr_fail(char *err, size_t errlen, const char *msg)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s", msg);
    return -1;
}

/* True when s[0..n) is non-empty and made of decimal digits only. */
static int addr_all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
    }
    return 1;
}

/* Strict on purpose: no sign, no spaces, no trailing bytes, so "+80" or
 * "80 " are refused rather than silently read as 80 the way strtoul
 * would. */
int pf_addr_parse_port(const char *s, size_t n, unsigned *port, char *err, size_t errlen)
{
    unsigned long v = 0;

    if (n == 0)
        return addr_fail(err, errlen, "missing port");
    if (!addr_all_digits(s, n))
        return addr_fail(err, errlen, "invalid port (decimal digits only)");
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > ADDR_PORT_MAX)
            return addr_fail(err, errlen, "port out of range (0-65535)");
    }
    *port = (unsigned)v;
    return 0;
}

/* Split "[v6]:port": the host is between the brackets, and ':' followed by
 * the port must come right after ']'. */
static int addr_split_bracketed(const char *text, struct addr_parts *p, char *err, size_t errlen)
{
    const char *close = strchr(text, ']');

    if (!close)
        return addr_fail(err, errlen, "missing ']' after IPv6 address");
    p->host = text + 1;
    p->host_len = (size_t)(close - p->host);
    p->bracketed = 1;
    if (close[1] == '\0')
        return addr_fail(err, errlen, "missing port");
    if (close[1] != ':')
        return addr_fail(err, errlen, "expected ':' and a port after ']'");
    p->port = close + 2;
    p->port_len = strlen(p->port);
    return 0;
}

/* Split a text without ':': a bare port ("8080") stands for every IPv4
 * address; something that looks like a host ("127.0.0.1", "localhost")
 * lacks its port. */
static int addr_split_bare(const char *text, struct addr_parts *p, char *err, size_t errlen)
{
    size_t n = strlen(text);

    if (strchr(text, '.') || (text[0] >= 'A' && text[0] <= 'Z') ||
        (text[0] >= 'a' && text[0] <= 'z'))
        return addr_fail(err, errlen, "missing port");
    p->host = "*";
    p->host_len = 1;
    p->port = text;
    p->port_len = n;
    return 0;
}

/* Split text into host and port; forms are listed in pf_addr.h. A second
 * ':' outside brackets means an IPv6 literal without brackets, which is
 * ambiguous ("::1:80") and refused. */
static int addr_split(const char *text, struct addr_parts *p, char *err, size_t errlen)
{
    const char *colon;

    memset(p, 0, sizeof(*p));
    if (text[0] == '[')
        return addr_split_bracketed(text, p, err, errlen);
    colon = strchr(text, ':');
    if (!colon)
        return addr_split_bare(text, p, err, errlen);
    if (strchr(colon + 1, ':'))
        return addr_fail(err, errlen, "IPv6 addresses need brackets, e.g. [::1]:8080");
    p->host = text;
    p->host_len = (size_t)(colon - text);
    p->port = colon + 1;
    p->port_len = strlen(p->port);
    return 0;
}

/* True when the host looks like a DNS name (letters, digits, '-', '.', with
 * at least one letter), so the error can say why it is refused. */
static int addr_looks_like_name(const char *host)
{
    int letter = 0;

    for (const char *c = host; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
            letter = 1;
        else if (!((*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
            return 0;
    }
    return letter;
}

/* Copy a filled sockaddr_in or sockaddr_in6 into out, zeroing the rest. */
static void addr_store(struct pf_addr *out, const void *sa, size_t len)
{
    memset(out, 0, sizeof(*out));
    memcpy(&out->ss, sa, len);
    out->len = (socklen_t)len;
}

/* Fill out with an IPv4 address (network order) and port. */
static void addr_set_v4(struct pf_addr *out, const struct in_addr *ip, unsigned port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

    sin.sin_addr = *ip;
    addr_store(out, &sin, sizeof(sin));
}

/* Fill out with an IPv6 address and port. */
static void addr_set_v6(struct pf_addr *out, const struct in6_addr *ip, unsigned port)
{
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};

    sin6.sin6_addr = *ip;
    addr_store(out, &sin6, sizeof(sin6));
}

/* Turn a bracketed host into an IPv6 address. Scoped addresses
 * (fe80::1%eth0) are refused: the scope names an interface, which may not
 * exist at reload, and inet_pton does not read it anyway. */
static int addr_host_v6(const char *host, unsigned port, struct pf_addr *out, char *err,
                        size_t errlen)
{
    struct in6_addr ip6;

    if (host[0] == '\0')
        return addr_fail(err, errlen, "missing IPv6 address between brackets");
    if (strchr(host, '%'))
        return addr_fail(err, errlen, "scoped IPv6 addresses are not supported");
    if (inet_pton(AF_INET6, host, &ip6) != 1)
        return addr_fail(err, errlen, "invalid IPv6 address");
    addr_set_v6(out, &ip6, port);
    return 0;
}

/* Turn an unbracketed host into an IPv4 address: "*", "localhost" or a
 * dotted quad. Any other name is refused without asking a resolver. */
static int addr_host_v4(const char *host, unsigned port, struct pf_addr *out, char *err,
                        size_t errlen)
{
    struct in_addr ip4;

    if (host[0] == '\0')
        return addr_fail(err, errlen, "missing host before ':' (use * for every address)");
    if (strcmp(host, "*") == 0) {
        ip4.s_addr = htonl(INADDR_ANY);
    } else if (strcasecmp(host, "localhost") == 0) {
        ip4.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &ip4) != 1) {
        if (addr_looks_like_name(host))
            return addr_fail(err, errlen,
                             "host names are not resolved; use a numeric address or localhost");
        return addr_fail(err, errlen, "invalid IPv4 address");
    }
    addr_set_v4(out, &ip4, port);
    return 0;
}

/* Parse text (forms in pf_addr.h) into out; out is written only on success. */
int pf_addr_parse(const char *text, struct pf_addr *out, char *err, size_t errlen)
{
    struct addr_parts p;
    struct pf_addr result;
    char host[PF_ADDR_STRLEN];
    unsigned port;

    if (err && errlen > 0)
        err[0] = '\0';
    if (!text || text[0] == '\0')
        return addr_fail(err, errlen, "empty address");
    if (addr_split(text, &p, err, errlen) < 0)
        return -1;
    if (p.host_len >= sizeof(host))
        return addr_fail(err, errlen, "host part too long");
    memcpy(host, p.host, p.host_len);
    host[p.host_len] = '\0';
    if (pf_addr_parse_port(p.port, p.port_len, &port, err, errlen) < 0)
        return -1;
    if (p.bracketed ? addr_host_v6(host, port, &result, err, errlen)
                    : addr_host_v4(host, port, &result, err, errlen))
        return -1;
    *out = result;
    return 0;
}

const char *pf_addr_format_ip(const struct sockaddr *sa, char *buf, size_t size)
{
    int af = sa ? sa->sa_family : AF_UNSPEC;
    const void *addr =
        af == AF_INET    ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
        : af == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr
                         : NULL;

    if (size > 0 && (addr == NULL || inet_ntop(af, addr, buf, (socklen_t)size) == NULL))
        snprintf(buf, size, "?");
    return buf;
}

/* "a.b.c.d:port" or "[v6]:port"; "?" for another family. Truncated (still
 * NUL-terminated) when size is too small; nothing written when size is 0. */
const char *pf_addr_format(const struct sockaddr *sa, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN];

    if (size == 0)
        return buf;
    pf_addr_format_ip(sa, ip, sizeof(ip));
    if (sa && sa->sa_family == AF_INET)
        snprintf(buf, size, "%s:%u", ip, pf_addr_port(sa));
    else if (sa && sa->sa_family == AF_INET6)
        snprintf(buf, size, "[%s]:%u", ip, pf_addr_port(sa));
    else
        snprintf(buf, size, "?");
    return buf;
}

/* Port in host byte order; 0 for an unknown family. */
unsigned pf_addr_port(const struct sockaddr *sa)
{
    if (sa && sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
    if (sa && sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
    return 0;
}

/* Loopback: 127.0.0.0/8, ::1, and IPv4-mapped 127.x.y.z (what an IPv6
 * socket without V6ONLY reports for an IPv4 loopback client). */
bool pf_addr_is_loopback(const struct sockaddr *sa)
{
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}
