/* fuzz_handoff: the state of a connection handed between processes
 * (common/pf_handoff.c), decoded from any bytes, as the keeper decodes
 * what a worker sends and a worker what the keeper sends back.
 *
 * Invariants, abort() on any violation:
 *  - decoding never reads outside the message (AddressSanitizer, on an
 *    exact-size heap copy);
 *  - a message that decodes gives a valid state: flags known, a protocol
 *    name with its NUL, deadlines >= -1, an internet address, bytes
 *    inside the message and at most PF_HANDOFF_BYTES_MAX;
 *  - the encoding is canonical: encoding what was decoded gives back the
 *    message, byte for byte.
 */
#include <string.h>
#include <sys/socket.h>

#include "fuzz_check.h"
#include "pf_err.h"
#include "pf_handoff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t again[PF_HANDOFF_MSG_MAX];
    uint8_t *msg = (uint8_t *)fuzz_dup(data, size);
    struct pf_handoff h;
    char err[PF_ERR_MAX];

    if (pf_handoff_decode(msg, size, &h, err, sizeof(err)) == 0) {
        size_t plen = strnlen(h.protocol, sizeof(h.protocol));

        FUZZ_CHECK((h.flags & ~PF_HANDOFF_FLAGS) == 0, "unknown flags decoded");
        FUZZ_CHECK(plen > 0 && plen < sizeof(h.protocol), "protocol name without its NUL");
        FUZZ_CHECK(h.idle_deadline_ms >= -1 && h.head_deadline_ms >= -1, "deadline below -1");
        FUZZ_CHECK(h.peer.ss_family == AF_INET || h.peer.ss_family == AF_INET6,
                   "not an internet address");
        FUZZ_CHECK(h.nbytes <= PF_HANDOFF_BYTES_MAX, "too many bytes");
        FUZZ_CHECK(h.nbytes == 0 || (h.bytes >= msg && h.bytes + h.nbytes == msg + size),
                   "bytes outside the message");
        FUZZ_CHECK(pf_handoff_encode(&h, again, sizeof(again)) == size,
                   "a decoded state encodes to another length");
        FUZZ_CHECK(memcmp(again, msg, size) == 0, "a decoded state encodes to other bytes");
    } else {
        FUZZ_CHECK(strncmp(err, "handoff: ", 9) == 0, "a refusal without its reason");
    }
    free(msg);
    return 0;
}
