/* pf_slot: a worker's slot: its single-writer updates and the readers' copies. */
#include "pf_slot.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pf_addr.h"
#include "pf_time.h"

static const char *const state_names[PF_SLOT_STATE_COUNT] = {
    "free", "starting", "idle", "reading", "writing", "keepalive", "closing", "serving", "stopping",
};

const char *pf_slot_state_name(int state)
{
    if (state < 0 || state >= (int)(sizeof(state_names) / sizeof(state_names[0])))
        return "?";
    return state_names[state];
}

void pf_slot_set_state(struct pf_slot *s, enum pf_slot_state st)
{
    atomic_store_explicit(&s->state, st, memory_order_release);
}

int pf_slot_get_state(const struct pf_slot *s)
{
    return atomic_load_explicit(&s->state, memory_order_acquire);
}

/* A client taken: its address, the time, the count it adds to. The
 * client is recorded first, then the state flipped to busy, so a reader
 * that sees the worker busy sees this client's address. */
static void slot_take_client(struct pf_slot *s, const struct sockaddr *peer, socklen_t len,
                             _Atomic uint64_t *count)
{
    pf_slot_set_client(s, peer, len);
    atomic_store_explicit(&s->busy_since_ms, pf_time_now_ms(), memory_order_relaxed);
    atomic_fetch_add_explicit(count, 1, memory_order_relaxed);
    pf_slot_set_state(s, PF_SLOT_READING);
}

void pf_slot_begin_client(struct pf_slot *s, const struct sockaddr *peer, socklen_t len)
{
    slot_take_client(s, peer, len, &s->connections);
}

void pf_slot_resume_client(struct pf_slot *s, const struct sockaddr *peer, socklen_t len)
{
    slot_take_client(s, peer, len, &s->resumed);
}

void pf_slot_proxy_refused(struct pf_slot *s)
{
    atomic_fetch_add_explicit(&s->proxy_refused, 1, memory_order_relaxed);
}

void pf_slot_set_client(struct pf_slot *s, const struct sockaddr *client, socklen_t len)
{
    if (len > sizeof(s->client))
        len = sizeof(s->client);
    memcpy(&s->client, client, len);
}

void pf_slot_observe_client(struct pf_slot *s, const struct sockaddr *peer, socklen_t len)
{
    int state = pf_slot_get_state(s);

    if (state != PF_SLOT_IDLE && state != PF_SLOT_SERVING)
        return;
    if (peer == NULL) {
        atomic_store_explicit(&s->busy_since_ms, 0, memory_order_relaxed);
        pf_slot_set_state(s, PF_SLOT_IDLE);
        return;
    }
    pf_slot_set_client(s, peer, len);
    if (state == PF_SLOT_IDLE)
        atomic_store_explicit(&s->busy_since_ms, pf_time_now_ms(), memory_order_relaxed);
    pf_slot_set_state(s, PF_SLOT_SERVING);
}

#define SLOT_LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)

void pf_slot_add_totals(const struct pf_slot *s, struct pf_slot_totals *t)
{
    t->connections += SLOT_LOAD(s->connections);
    t->requests += SLOT_LOAD(s->requests);
    t->bytes_in += SLOT_LOAD(s->bytes_in);
    t->bytes_out += SLOT_LOAD(s->bytes_out);
    t->parked += SLOT_LOAD(s->parked);
    t->resumed += SLOT_LOAD(s->resumed);
    t->proxy_refused += SLOT_LOAD(s->proxy_refused);
    for (int i = 0; i <= PF_SLOT_DURATION_BUCKETS; i++)
        t->durations[i] += SLOT_LOAD(s->durations[i]);
    t->duration_sum_us += SLOT_LOAD(s->duration_sum_us);
    for (int i = 0; i < PF_SLOT_STATUS_CLASSES; i++)
        t->by_class[i] += SLOT_LOAD(s->by_class[i]);
}

void pf_slot_parked(struct pf_slot *s)
{
    atomic_fetch_add_explicit(&s->parked, 1, memory_order_relaxed);
}

/* The summary stays: an idle worker shows the last request it served. */
void pf_slot_end_client(struct pf_slot *s)
{
    atomic_store_explicit(&s->busy_since_ms, 0, memory_order_relaxed);
    atomic_store_explicit(&s->request_ms, 0, memory_order_relaxed);
    atomic_store_explicit(&s->request_us, 0, memory_order_relaxed);
    pf_slot_set_state(s, PF_SLOT_IDLE);
}

void pf_slot_add_request(struct pf_slot *s, uint64_t in, uint64_t out)
{
    atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bytes_in, in, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bytes_out, out, memory_order_relaxed);
}

const uint64_t pf_slot_duration_bounds_us[PF_SLOT_DURATION_BUCKETS] = {
    1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

int pf_slot_duration_bucket(uint64_t us)
{
    int i = 0;

    while (i < PF_SLOT_DURATION_BUCKETS && us > pf_slot_duration_bounds_us[i])
        i++;
    return i;
}

/* Microseconds on CLOCK_MONOTONIC (never 0: 0 means "none"). */
static int64_t slot_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + 1;
}

void pf_slot_begin_request(struct pf_slot *s, const char *summary, size_t len)
{
    int64_t now_us = slot_now_us(); /* one clock read for both start times */

    if (len >= sizeof(s->summary))
        len = sizeof(s->summary) - 1;
    memcpy(s->summary, summary, len);
    s->summary[len] = '\0';
    atomic_store_explicit(&s->request_ms, (now_us - 1) / 1000, memory_order_relaxed);
    atomic_store_explicit(&s->request_us, now_us, memory_order_relaxed);
}

/* The summary stays until the next request replaces it: with request_ms
 * back to 0 it names the last request served (the workers report shows
 * it without a running time, preforkctl(8)). */
void pf_slot_end_request(struct pf_slot *s, int status)
{
    int64_t began = atomic_load_explicit(&s->request_us, memory_order_relaxed);

    if (began > 0) {
        uint64_t took = (uint64_t)(slot_now_us() - began);

        atomic_fetch_add_explicit(&s->durations[pf_slot_duration_bucket(took)], 1,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&s->duration_sum_us, took, memory_order_relaxed);
    }
    if (status >= 100 && status < 600)
        atomic_fetch_add_explicit(&s->by_class[status / 100 - 1], 1, memory_order_relaxed);
    atomic_store_explicit(&s->request_us, 0, memory_order_relaxed);
    atomic_store_explicit(&s->last_status, status, memory_order_relaxed);
    atomic_store_explicit(&s->request_ms, 0, memory_order_relaxed);
}

void pf_slot_set_summary(struct pf_slot *s, const char *text)
{
    size_t len = strnlen(text, sizeof(s->summary) - 1);

    memcpy(s->summary, text, len);
    s->summary[len] = '\0';
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
