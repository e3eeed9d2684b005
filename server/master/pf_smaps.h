/* pf_smaps: a process's memory, from the text of /proc/PID/smaps_rollup
 * (pure: the caller reads the file, pf_stats_keeper for the keeper).
 *
 * smaps_rollup (Linux 4.14 and later) is a header line, then one
 * "Name:   N kB" line per figure summed over the process's mappings:
 *
 *   55c948e2f000-7ffe76c29000 ---p 00000000 00:00 0   [rollup]
 *   Rss:                1696 kB
 *   Pss:                 204 kB
 *   Pss_Dirty:           112 kB
 *   ...
 *
 * Rss (resident) and Pss (resident, each shared page divided among the
 * processes sharing it) are read and required: Pss is what the process
 * costs, and Rss less Pss what it shares with the master and the workers.
 * Private_Clean and Private_Dirty, summed, are its private memory (what
 * only it holds, gone with it: what workers.max_memory limits); a text
 * without them gives 0.
 */
#ifndef PF_SMAPS_H
#define PF_SMAPS_H

#include <stddef.h>
#include <stdint.h>

struct pf_smaps {
    uint64_t rss_kib;     /* Rss: resident, in KiB */
    uint64_t pss_kib;     /* Pss: proportional set size, in KiB */
    uint64_t private_kib; /* Private_Clean + Private_Dirty, in KiB */
};

/* Read the Rss, Pss and Private_ lines of text (len bytes, no NUL
 * needed). 0, or -1 when Rss or Pss is missing or any is not "N kB" (out
 * zeroed, the reason in err: "no Pss line", "Rss is not a number of kB"). */
int pf_smaps_parse(const char *text, size_t len, struct pf_smaps *out, char *err, size_t errlen);

#endif
