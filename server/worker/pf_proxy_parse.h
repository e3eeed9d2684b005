/* pf_proxy_parse: the PROXY protocol header, v1 and v2 (pure, no I/O).
 *
 * A load balancer in front of the server (HAProxy, nginx's stream
 * module, a cloud balancer) opens each connection with a header saying
 * who its client is; the server reads it before any protocol byte
 * (docs/protocols.md, "Behind a proxy"). Bytes in, one of three answers
 * out: more bytes needed, the header whole (its length and the client's
 * address), or an error with its reason. The version is told from the
 * first byte. The caller reads at most PF_PROXY_HEADER_MAX bytes.
 *
 * v1: "PROXY TCP4 SRC DST SPORT DPORT\r\n" (or TCP6), at most 107 bytes,
 *   single spaces, addresses of the family named, ports decimal 0..65535
 *   without leading zeros; "PROXY UNKNOWN...\r\n" names no client.
 * v2: the 12-byte signature, version 2, command LOCAL or PROXY, a family
 *   byte, a 16-bit length, then that many bytes: the addresses (TCP over
 *   IPv4: 12 bytes, over IPv6: 36) and TLVs, which are skipped. A header
 *   longer than PF_PROXY_HEADER_MAX is an error. LOCAL (a balancer's own
 *   health check), and PROXY with a family other than TCP over IPv4 or
 *   IPv6 (UNSPEC, UNIX, UDP), name no client.
 * A header that names no client is whole all the same: the connection's
 * own peer stays its client (h->local).
 */
#ifndef PF_PROXY_PARSE_H
#define PF_PROXY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PF_PROXY_V1_MAX 107      /* the longest v1 line, CRLF included */
#define PF_PROXY_V2_HEAD 16      /* signature, version and command, family, length */
#define PF_PROXY_HEADER_MAX 4096 /* the longest header read, v2 TLVs included */

enum pf_proxy_parse_result {
    PF_PROXY_MORE,  /* a valid start: more bytes are needed */
    PF_PROXY_DONE,  /* the header is whole */
    PF_PROXY_ERROR, /* not a PROXY header, or a broken one */
};

struct pf_proxy_header {
    int version;                 /* 1 or 2 */
    size_t len;                  /* bytes of the header: the protocol's bytes begin there */
    bool local;                  /* no client named: keep the connection's peer */
    struct sockaddr_storage src; /* the client (local false): AF_INET or AF_INET6 */
    socklen_t src_len;
};

/* Look at buf[0..len), the first bytes of a connection. PF_PROXY_DONE
 * fills *h; PF_PROXY_ERROR writes the reason into err. */
enum pf_proxy_parse_result pf_proxy_parse(const uint8_t *buf, size_t len, struct pf_proxy_header *h,
                                          char *err, size_t errlen);

#endif
