/* fuzz_notify_parse: an sd_notify datagram from an exec worker
 * (server/exec/pf_notify_parse.c), parsed from any bytes, as the master
 * parses what arrives on its notify socket from any local process.
 *
 * Invariants, abort() on any violation:
 *  - parsing never reads outside the datagram (AddressSanitizer, on an
 *    exact-size heap copy);
 *  - a datagram taken says something (a flag or an ignored assignment),
 *    only known flags, and its STATUS text is NUL-terminated, printable
 *    ASCII, shorter than PF_NOTIFY_STATUS_MAX, and given only with the
 *    STATUS flag; ERRNO is in 0..4095;
 *  - a datagram refused says nothing and gives its reason;
 *  - taken or refused, the answer is the same the second time (no state).
 */
#include <string.h>

#include "fuzz_check.h"
#include "pf_err.h"
#include "pf_notify_parse.h"

#define ALL_FLAGS \
    (PF_NOTIFY_READY | PF_NOTIFY_STATUS | PF_NOTIFY_WATCHDOG | PF_NOTIFY_WATCHDOG_TRIGGER | \
     PF_NOTIFY_STOPPING | PF_NOTIFY_RELOADING | PF_NOTIFY_ERRNO | PF_NOTIFY_MAINPID)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *msg = fuzz_dup(data, size);
    struct pf_notify_msg m, again;
    char err[PF_ERR_MAX] = "", err2[PF_ERR_MAX] = "";
    int rc = pf_notify_parse(msg, size, &m, err, sizeof(err));

    if (rc == 0) {
        size_t n = strnlen(m.status, sizeof(m.status));

        FUZZ_CHECK(m.said != 0 || m.ignored > 0, "a datagram taken that says nothing");
        FUZZ_CHECK((m.said & ~ALL_FLAGS) == 0, "an unknown flag");
        FUZZ_CHECK(n < sizeof(m.status), "STATUS without its NUL");
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(m.status[i] >= 0x20 && m.status[i] < 0x7f, "STATUS not printable");
        FUZZ_CHECK(n == 0 || (m.said & PF_NOTIFY_STATUS), "STATUS text without the flag");
        FUZZ_CHECK(m.errno_value >= 0 && m.errno_value <= 4095, "ERRNO out of range");
        FUZZ_CHECK(m.errno_value == 0 || (m.said & PF_NOTIFY_ERRNO), "ERRNO without the flag");
    } else {
        FUZZ_CHECK(rc == -1, "neither taken nor refused");
        FUZZ_CHECK(m.said == 0 && m.ignored == 0, "a refused datagram that says something");
        FUZZ_CHECK(err[0] != '\0', "a refusal without its reason");
    }
    FUZZ_CHECK(pf_notify_parse(msg, size, &again, err2, sizeof(err2)) == rc, "another answer");
    FUZZ_CHECK(memcmp(&m, &again, sizeof(m)) == 0 && strcmp(err, err2) == 0, "another result");
    free(msg);
    return 0;
}
