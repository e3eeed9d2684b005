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
 * Only Rss (resident) and Pss (resident, each shared page divided among
 * the processes sharing it) are read: Pss is what the process costs, and
 * Rss less Pss what it shares with the master and the workers.
 */
#ifndef PF_SMAPS_H
#define PF_SMAPS_H

#include <stddef.h>
#include <stdint.h>

struct pf_smaps {
    uint64_t rss_kib; /* Rss: resident, in KiB */
    uint64_t pss_kib; /* Pss: proportional set size, in KiB */
};

/* Read the Rss and Pss lines of text (len bytes, no NUL needed). 0, or
 * -1 when either is missing or not "N kB" (out zeroed, the reason in err:
 * "no Pss line", "Rss is not a number of kB"). */
int pf_smaps_parse(const char *text, size_t len, struct pf_smaps *out, char *err, size_t errlen);

#endif
