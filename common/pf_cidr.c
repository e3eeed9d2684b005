/* pf_cidr: trusted addresses and blocks, parsed and matched. */
#include "pf_cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* The first 12 bytes of an IPv4-mapped IPv6 address, ::ffff:a.b.c.d. */
static const uint8_t cidr_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Longest text of an IPv6 address inet_pton may read, NUL included. */
#define CIDR_TEXT_MAX 64

/* text[0..len) as an address of either family into addr: AF_INET or
 * AF_INET6, or 0 when it is neither. */
static int cidr_pton(const char *text, size_t len, uint8_t addr[16])
{
    char one[CIDR_TEXT_MAX];

    if (len == 0 || len >= sizeof(one) || memchr(text, '\0', len) != NULL)
        return 0;
    memcpy(one, text, len);
    one[len] = '\0';
    if (inet_pton(AF_INET, one, addr) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, one, addr) == 1)
        return AF_INET6;
    return 0;
}

/* The prefix length after '/': decimal, no sign, no leading zero, at
 * most max. -1 when it is not one. */
static int cidr_bits(const char *p, unsigned max)
{
    unsigned v = 0;

    if (*p == '\0' || (p[0] == '0' && p[1] != '\0') || strlen(p) > 3)
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    return v > max ? -1 : (int)v;
}

/* Do a and b agree on their first bits bits? */
static bool cidr_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;

    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((a[whole] ^ b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* An IPv4-mapped block (::ffff:a.b.c.d/96 and longer) as the IPv4 block
 * it is, since a mapped peer is matched as IPv4 (cidr_of). */
static void cidr_unmap(struct pf_cidr *c)
{
    if (c->family != AF_INET6 || c->bits < 96 ||
        memcmp(c->addr, cidr_mapped, sizeof(cidr_mapped)) != 0)
        return;
    memmove(c->addr, c->addr + 12, 4);
    memset(c->addr + 4, 0, 12);
    c->family = AF_INET;
    c->bits -= 96;
}

int pf_cidr_parse(const char *text, struct pf_cidr *out, char *err, size_t errlen)
{
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    unsigned max;
    int bits;

    memset(out, 0, sizeof(*out));
    out->family = cidr_pton(text, len, out->addr);
    if (out->family == 0) {
        snprintf(err, errlen, "not an IPv4 or IPv6 address: \"%.*s\"", (int)(len > 64 ? 64 : len),
                 text);
        return -1;
    }
    max = out->family == AF_INET ? 32 : 128;
    bits = slash ? cidr_bits(slash + 1, max) : (int)max;
    if (bits < 0) {
        snprintf(err, errlen, "prefix length must be a number from 0 to %u", max);
        return -1;
    }
    out->bits = (unsigned)bits;
    {
        uint8_t masked[16];

        /* bits past the prefix must be 0: compare with the block's start */
        memcpy(masked, out->addr, sizeof(masked));
        for (unsigned i = out->bits; i < max; i++)
            masked[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
        if (memcmp(masked, out->addr, max / 8) != 0) {
            char start[INET6_ADDRSTRLEN];

            inet_ntop(out->family, masked, start, sizeof(start));
            snprintf(err, errlen, "bits set past the /%u prefix (the block is %s/%u)", out->bits,
                     start, out->bits);
            return -1;
        }
    }
    cidr_unmap(out);
    return 0;
}

/* The address of sa as family and bytes; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) as the IPv4 one. 0 for another family. */
static int cidr_of(const struct sockaddr *sa, const uint8_t **addr)
{
    if (sa->sa_family == AF_INET) {
        *addr = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        return AF_INET;
    }
    if (sa->sa_family != AF_INET6)
        return 0;
    *addr = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    if (memcmp(*addr, cidr_mapped, sizeof(cidr_mapped)) == 0) {
        *addr += sizeof(cidr_mapped);
        return AF_INET;
    }
    return AF_INET6;
}

bool pf_cidr_match(const struct pf_cidr *nets, size_t n, const struct sockaddr *sa)
{
    const uint8_t *addr = NULL;
    int family = cidr_of(sa, &addr);

    for (size_t i = 0; family != 0 && i < n; i++)
        if (nets[i].family == family && cidr_prefix_eq(nets[i].addr, addr, nets[i].bits))
            return true;
    return false;
}

int pf_cidr_addr(const char *text, size_t len, struct sockaddr_storage *out, socklen_t *out_len)
{
    uint8_t addr[16];
    int family = cidr_pton(text, len, addr);

    memset(out, 0, sizeof(*out));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)out;

        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, addr, 4);
        *out_len = sizeof(*sin);
        return 0;
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, addr, 16);
        *out_len = sizeof(*sin6);
        return 0;
    }
    return -1;
}
