/* fuzz_proxy_parse: the first bytes of a connection from a trusted peer
 * (server/worker/pf_proxy_parse.c), parsed as a PROXY v1 or v2 header,
 * as a worker parses what a balancer, or whoever holds its address,
 * sends before any protocol byte.
 *
 * Invariants, abort() on any violation:
 *  - parsing never reads outside the bytes given (AddressSanitizer, on an
 *    exact-size heap copy);
 *  - a whole header is within the bytes given and at most
 *    PF_PROXY_HEADER_MAX (v1: at most 107, ending in CRLF; v2: at least
 *    16); it names a client of an internet family, with that family's
 *    length, or none (local);
 *  - the same header alone is the same answer (what follows it is the
 *    protocol's, never looked at), and cut by one byte it needs more;
 *  - more bytes needed only while fewer than PF_PROXY_HEADER_MAX came;
 *  - a refusal gives its reason and leaves nothing filled;
 *  - the answer is the same the second time (no state).
 */
#include <netinet/in.h>
#include <string.h>

#include "fuzz_check.h"
#include "pf_err.h"
#include "pf_proxy_parse.h"

static void check_done(const uint8_t *buf, size_t size, const struct pf_proxy_header *h)
{
    struct pf_proxy_header alone;
    char err[PF_ERR_MAX] = "";

    FUZZ_CHECK(h->len > 0 && h->len <= size && h->len <= PF_PROXY_HEADER_MAX,
               "a header longer than the bytes or the bound");
    FUZZ_CHECK(h->version == 1 || h->version == 2, "a version that is neither");
    if (h->version == 1)
        FUZZ_CHECK(h->len <= PF_PROXY_V1_MAX && buf[h->len - 2] == '\r' && buf[h->len - 1] == '\n',
                   "a v1 line too long or without its CRLF");
    else
        FUZZ_CHECK(h->len >= PF_PROXY_V2_HEAD, "a v2 header shorter than its fixed part");
    if (h->local)
        FUZZ_CHECK(h->src_len == 0, "a local header with a client");
    else if (h->src.ss_family == AF_INET)
        FUZZ_CHECK(h->src_len == sizeof(struct sockaddr_in), "an IPv4 client of another length");
    else
        FUZZ_CHECK(h->src.ss_family == AF_INET6 && h->src_len == sizeof(struct sockaddr_in6),
                   "a client that is not IPv4 or IPv6");
    FUZZ_CHECK(pf_proxy_parse(buf, h->len, &alone, err, sizeof(err)) == PF_PROXY_DONE &&
                   memcmp(&alone, h, sizeof(alone)) == 0,
               "the header alone is another answer");
    FUZZ_CHECK(pf_proxy_parse(buf, h->len - 1, &alone, err, sizeof(err)) == PF_PROXY_MORE,
               "the header cut by one byte is not waited for");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = (uint8_t *)fuzz_dup(data, size);
    struct pf_proxy_header h, again;
    char err[PF_ERR_MAX] = "", err2[PF_ERR_MAX] = "";
    enum pf_proxy_parse_result r = pf_proxy_parse(buf, size, &h, err, sizeof(err));

    switch (r) {
    case PF_PROXY_DONE: check_done(buf, size, &h); break;
    case PF_PROXY_MORE:
        FUZZ_CHECK(size < PF_PROXY_HEADER_MAX, "more bytes wanted past the bound");
        break;
    case PF_PROXY_ERROR: {
        static const struct pf_proxy_header zero;

        FUZZ_CHECK(err[0] != '\0', "a refusal without its reason");
        FUZZ_CHECK(memcmp(&h, &zero, sizeof(h)) == 0, "a refusal that fills the header");
        break;
    }
    default: FUZZ_CHECK(0, "an unknown answer");
    }
    FUZZ_CHECK(pf_proxy_parse(buf, size, &again, err2, sizeof(err2)) == r, "another answer");
    FUZZ_CHECK(memcmp(&h, &again, sizeof(h)) == 0 && strcmp(err, err2) == 0, "another result");
    free(buf);
    return 0;
}
