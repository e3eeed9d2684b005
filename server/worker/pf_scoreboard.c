/* pf_scoreboard: shared-memory slots, one per possible worker. */
#include "pf_scoreboard.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* Anonymous shared mapping: inherited by every fork, gone with the last
 * process, nothing in the file system to clean up after a crash. */
int pf_scoreboard_create(struct pf_scoreboard *sb, size_t nslots, char *err, size_t errlen)
{
    void *m = mmap(NULL, nslots * sizeof(struct pf_slot), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (m == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the scoreboard (%zu slots): %s", nslots, strerror(errno));
        return -1;
    }
    sb->slots = m;
    sb->nslots = nslots;
    return 0;
}

void pf_scoreboard_destroy(struct pf_scoreboard *sb)
{
    if (sb->slots)
        munmap(sb->slots, sb->nslots * sizeof(struct pf_slot));
    sb->slots = NULL;
    sb->nslots = 0;
}

int pf_scoreboard_claim(struct pf_scoreboard *sb)
{
    for (size_t i = 0; i < sb->nslots; i++) {
        if (atomic_load_explicit(&sb->slots[i].state, memory_order_relaxed) == PF_SLOT_FREE) {
            pf_scoreboard_release(sb, (int)i);
            atomic_store_explicit(&sb->slots[i].state, PF_SLOT_STARTING, memory_order_relaxed);
            return (int)i;
        }
    }
    return -1;
}

/* Zero a slot so the next worker in it starts from clean counters. Only
 * called when no process writes the slot (before fork, after reaping). */
void pf_scoreboard_release(struct pf_scoreboard *sb, int index)
{
    memset(&sb->slots[index], 0, sizeof(sb->slots[index]));
}
