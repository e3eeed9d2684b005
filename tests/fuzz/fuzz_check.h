/* fuzz_check: what the libFuzzer harnesses in tests/fuzz share.
 *
 * Each harness defines LLVMFuzzerTestOneInput (declared here, so that
 * -Wmissing-prototypes is satisfied) and states the invariants of the
 * module it drives with FUZZ_CHECK. A broken invariant prints what broke
 * and aborts, so libFuzzer reports it like any crash and saves the input.
 */
#ifndef PF_FUZZ_CHECK_H
#define PF_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with "invariant broken: WHAT (COND at FILE:LINE)" unless cond. */
#define FUZZ_CHECK(cond, what) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "invariant broken: %s (%s at %s:%d)\n", (what), #cond, __FILE__, \
                    __LINE__); \
            abort(); \
        } \
    } while (0)

/* A heap copy of data[0..size) with nothing after it (malloc(0) avoided),
 * so that AddressSanitizer reports a read even one byte past the end. */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);

    FUZZ_CHECK(p != NULL, "out of memory copying the input");
    for (size_t i = 0; i < size; i++)
        p[i] = (char)data[i];
    return p;
}

#endif
