/* pf_addr: socket address parsing and formatting (pure, no I/O, no DNS).
 *
 * Accepted forms (port is decimal 0..65535, 0 = pick an ephemeral port):
 *   "127.0.0.1:8080"   IPv4 literal and port
 *   "[::1]:8080"       IPv6 literal in brackets and port
 *   "*:8080"           every IPv4 address (0.0.0.0)
 *   "[::]:8080"        every IPv6 address
 *   "localhost:8080"   127.0.0.1 (the one name resolved, without DNS)
 *   "8080"             a bare port: every IPv4 address
 * Anything else (names needing DNS, missing or out-of-range port, signs,
 * spaces, trailing bytes, IPv6 without brackets) is refused with a reason.
 * Names are refused on purpose: a daemon must not block or change its
 * address on a resolver answer at start or reload.
 */
#ifndef PF_ADDR_H
#define PF_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct pf_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* Longest text pf_addr_format produces, NUL included ("[v6]:65535"). */
#define PF_ADDR_STRLEN 64

/* Parse text into out. Returns 0, or -1 with a reason in err
 * (e.g. "port out of range (0-65535)"). */
int pf_addr_parse(const char *text, struct pf_addr *out, char *err, size_t errlen);

/* A decimal port 0..65535 from s[0..n) (not NUL-terminated) into *port:
 * digits only. 0, or -1 with the reason in err (which may be NULL). */
int pf_addr_parse_port(const char *s, size_t n, unsigned *port, char *err, size_t errlen);

/* "127.0.0.1:8080" or "[::1]:8080" into buf (PF_ADDR_STRLEN bytes suffice);
 * returns buf. An unknown family formats as "?". */
const char *pf_addr_format(const struct sockaddr *sa, char *buf, size_t size);

/* The address alone, as the access log shows a client: "a.b.c.d" or
 * "v6" (no brackets, no port); "?" for another family, or when size is
 * too small (INET6_ADDRSTRLEN is enough for any); nothing written when
 * size is 0. */
const char *pf_addr_format_ip(const struct sockaddr *sa, char *buf, size_t size);

/* Port in host byte order (0 for an unknown family). */
unsigned pf_addr_port(const struct sockaddr *sa);

/* True for 127.0.0.0/8 and ::1 (and ::ffff:127.x.y.z). */
bool pf_addr_is_loopback(const struct sockaddr *sa);

#endif
