/* fuzz_http_xff: X-Forwarded-For lines from any bytes
 * (server/http/pf_http_xff.c), read as a worker reads them from a request
 * that came through a trusted proxy: whatever a client wrote to the left
 * of what the proxies added.
 *
 * The first byte picks the peer (bit 0: trusted 127.0.0.1, else the
 * untrusted 203.0.113.1); the rest is cut at each '\n' into header lines
 * (at most PF_HTTP_FORWARDED_LINES, as the parser keeps).
 *
 * Invariants, abort() on any violation:
 *  - reading never goes outside the bytes given (AddressSanitizer, on an
 *    exact-size heap copy);
 *  - an untrusted peer is always its own client;
 *  - a client named is an IPv4 or IPv6 address of that family's length;
 *  - the same lines give the same answer (no state).
 */
#include <netinet/in.h>
#include <string.h>

#include "fuzz_check.h"
#include "pf_err.h"
#include "pf_http_xff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pf_http_slice lines[PF_HTTP_FORWARDED_LINES];
    struct sockaddr_storage peer, out, again;
    socklen_t peer_len, out_len = 0, again_len = 0;
    struct pf_cidr nets[2];
    char err[PF_ERR_MAX], *buf;
    unsigned n = 0;
    size_t start = 1;
    bool named, named2;

    if (size == 0)
        return 0;
    buf = fuzz_dup(data, size);
    FUZZ_CHECK(pf_cidr_parse("127.0.0.0/8", &nets[0], err, sizeof(err)) == 0, "trusted v4");
    FUZZ_CHECK(pf_cidr_parse("::1", &nets[1], err, sizeof(err)) == 0, "trusted v6");
    {
        const char *p = (data[0] & 1) ? "127.0.0.1" : "203.0.113.1";

        FUZZ_CHECK(pf_cidr_addr(p, strlen(p), &peer, &peer_len) == 0, "the peer");
    }
    for (size_t i = 1; i <= size && n < PF_HTTP_FORWARDED_LINES; i++)
        if (i == size || buf[i] == '\n') {
            lines[n++] = (struct pf_http_slice){(uint32_t)start, (uint32_t)(i - start)};
            start = i + 1;
        }
    named = pf_http_xff_client(buf, lines, n, nets, 2, (struct sockaddr *)&peer, &out, &out_len);
    if (!(data[0] & 1))
        FUZZ_CHECK(!named, "an untrusted peer named another client");
    if (named)
        FUZZ_CHECK((out.ss_family == AF_INET && out_len == sizeof(struct sockaddr_in)) ||
                       (out.ss_family == AF_INET6 && out_len == sizeof(struct sockaddr_in6)),
                   "a client that is not an internet address");
    named2 = pf_http_xff_client(buf, lines, n, nets, 2, (struct sockaddr *)&peer, &again,
                                &again_len);
    FUZZ_CHECK(named2 == named &&
                   (!named || (again_len == out_len && memcmp(&again, &out, out_len) == 0)),
               "another answer");
    free(buf);
    return 0;
}
