/* pf_scoreboard: what every worker is doing, in shared memory.
 *
 * One mmap(MAP_SHARED|MAP_ANONYMOUS) array created by the master before the
 * first fork, one fixed slot per possible worker (workers.max). A worker
 * writes only its own slot, with relaxed atomic stores and no lock: a single
 * writer per slot needs none, and the master (the only reader) tolerates a
 * counter read a moment stale. The master owns slot allocation: it claims a
 * free slot before fork() and frees it after reaping the worker.
 */
#ifndef PF_SCOREBOARD_H
#define PF_SCOREBOARD_H

#include <stddef.h>

#include "pf_slot.h"

struct pf_scoreboard {
    struct pf_slot *slots;
    size_t nslots;
};

/* Map nslots zeroed slots shared with future children. 0 or -1 (reason in err). */
int pf_scoreboard_create(struct pf_scoreboard *sb, size_t nslots, char *err, size_t errlen);
void pf_scoreboard_destroy(struct pf_scoreboard *sb);

/* Index of a FREE slot claimed (set to STARTING with pid 0), or -1 if full. */
int pf_scoreboard_claim(struct pf_scoreboard *sb);

/* Return a slot to FREE and zero it (master, after reaping its worker). */
void pf_scoreboard_release(struct pf_scoreboard *sb, int index);

#endif
