/* pf_cidr: addresses and CIDR blocks of trusted peers (pure, no I/O).
 *
 * proxy.trusted lists the peers whose PROXY header or X-Forwarded-For is
 * believed (docs/configuration.md, the proxy group). An entry is an
 * address ("127.0.0.1", "::1") or a block ("10.0.0.0/8", "fd00::/8"):
 * IPv4 in dotted quads, IPv6 as inet_pton reads it, no brackets, no
 * names (no DNS), no bits set past the prefix ("10.0.0.1/8" is refused,
 * it is a typo for a host or a block). An IPv4 client seen on an IPv6
 * socket (::ffff:10.1.2.3) matches the IPv4 entries, and an IPv4-mapped
 * entry (::ffff:10.0.0.0/104) is the IPv4 block it maps (10.0.0.0/8).
 */
#ifndef PF_CIDR_H
#define PF_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct pf_cidr {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network order; 4 bytes used for AF_INET */
    unsigned bits;    /* prefix length: 0..32 or 0..128 */
};

/* Parse one entry into out. 0, or -1 with the reason in err. */
int pf_cidr_parse(const char *text, struct pf_cidr *out, char *err, size_t errlen);

/* Does one of nets[0..n) hold the address of sa (AF_INET or AF_INET6;
 * any other family matches nothing)? */
bool pf_cidr_match(const struct pf_cidr *nets, size_t n, const struct sockaddr *sa);

/* An address alone, "192.0.2.1" or "2001:db8::1" (len bytes, not
 * NUL-terminated), into *out with port 0: 0, or -1 when it is not one. */
int pf_cidr_addr(const char *text, size_t len, struct sockaddr_storage *out, socklen_t *out_len);

#endif
