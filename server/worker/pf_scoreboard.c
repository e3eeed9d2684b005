/* pf_scoreboard: shared-memory slots, one per possible worker. */
#include "pf_scoreboard.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "pf_addr.h"
#include "pf_time.h"

static const char *const state_names[PF_SLOT_STATE_COUNT] = {
    "free", "starting", "idle", "reading", "writing", "keepalive", "closing", "stopping",
};

const char *pf_slot_state_name(int state)
{
    if (state < 0 || state >= (int)(sizeof(state_names) / sizeof(state_names[0])))
        return "?";
    return state_names[state];
}

/* Anonymous shared mapping: inherited by every fork, gone with the last
 * process, nothing in the file system to clean up after a crash. */
int pf_scoreboard_create(struct pf_scoreboard *sb, size_t nslots, char *err, size_t errlen)
{
    void *m = mmap(NULL, nslots * sizeof(struct pf_slot), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (m == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the scoreboard (%zu slots): %s", nslots,
                 strerror(errno));
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

void pf_slot_set_state(struct pf_slot *s, enum pf_slot_state st)
{
    atomic_store_explicit(&s->state, st, memory_order_release);
}

int pf_slot_get_state(const struct pf_slot *s)
{
    return atomic_load_explicit(&s->state, memory_order_acquire);
}

/* Record the client first, then flip to BUSY, so a reader that sees BUSY
 * sees this client's address. */
void pf_slot_begin_client(struct pf_slot *s, const struct sockaddr *peer, socklen_t len)
{
    if (len > sizeof(s->client))
        len = sizeof(s->client);
    memcpy(&s->client, peer, len);
    atomic_store_explicit(&s->busy_since_ms, pf_time_now_ms(), memory_order_relaxed);
    atomic_fetch_add_explicit(&s->connections, 1, memory_order_relaxed);
    pf_slot_set_state(s, PF_SLOT_READING);
}

void pf_slot_end_client(struct pf_slot *s)
{
    atomic_store_explicit(&s->busy_since_ms, 0, memory_order_relaxed);
    atomic_store_explicit(&s->request_ms, 0, memory_order_relaxed);
    s->summary[0] = '\0';
    pf_slot_set_state(s, PF_SLOT_IDLE);
}

void pf_slot_add_request(struct pf_slot *s, uint64_t in, uint64_t out)
{
    atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bytes_in, in, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bytes_out, out, memory_order_relaxed);
}

void pf_slot_begin_request(struct pf_slot *s, const char *summary, size_t len)
{
    if (len >= sizeof(s->summary))
        len = sizeof(s->summary) - 1;
    memcpy(s->summary, summary, len);
    s->summary[len] = '\0';
    atomic_store_explicit(&s->request_ms, pf_time_now_ms(), memory_order_relaxed);
}

/* The summary is cleared too: a report shows a request only while it runs. */
void pf_slot_end_request(struct pf_slot *s, int status)
{
    atomic_store_explicit(&s->last_status, status, memory_order_relaxed);
    atomic_store_explicit(&s->request_ms, 0, memory_order_relaxed);
    s->summary[0] = '\0';
}

void pf_slot_read_summary(const struct pf_slot *s, char out[PF_SLOT_SUMMARY_MAX])
{
    memcpy(out, s->summary, PF_SLOT_SUMMARY_MAX);
    out[PF_SLOT_SUMMARY_MAX - 1] = '\0';
}

/* Copied before formatting: a worker taking its next client may be
 * rewriting the address (the text is then that client's or a mix, which
 * a report tolerates; it is never read out of bounds). */
void pf_slot_read_client(const struct pf_slot *s, char *out, size_t size)
{
    struct sockaddr_storage ss;

    memcpy(&ss, &s->client, sizeof(ss));
    if (atomic_load_explicit(&s->busy_since_ms, memory_order_relaxed) == 0 || ss.ss_family == 0)
        out[0] = '\0';
    else
        pf_addr_format((struct sockaddr *)&ss, out, size);
}

/* Written by the worker once, just before it exits: nobody reads it
 * concurrently (the master reads after reaping). */
void pf_slot_set_exit_reason(struct pf_slot *s, const char *reason)
{
    snprintf(s->exit_reason, sizeof(s->exit_reason), "%s", reason);
}

/* Read after the worker is gone, but terminated anyway: the slot is
 * shared memory, and the master trusts nothing in it to be well formed. */
void pf_slot_read_exit_reason(const struct pf_slot *s, char out[PF_SLOT_REASON_MAX])
{
    memcpy(out, s->exit_reason, PF_SLOT_REASON_MAX);
    out[PF_SLOT_REASON_MAX - 1] = '\0';
}
