/* pf_park: the worker's side of parking (docs/architecture.md, the keeper).
 *
 * While a connection has no bytes to read, its worker waits here
 * (pf_proto_await leads here): a moment for a hot connection, then it
 * parks the connection with the keeper: the descriptor and its state go
 * out on the park socket, and the worker is free. pf_park_policy makes
 * each decision; this module reads what it needs (the clock, whether
 * other clients wait, how many workers are idle) and acts.
 */
#ifndef PF_PARK_H
#define PF_PARK_H

#include <stddef.h>
#include <stdint.h>

#include "pf_proto.h"
#include "pf_slot.h"

struct pf_park {
    int park_fd;   /* SOCK_SEQPACKET to the keeper: parked connections go out */
    int ready_fd;  /* ...and come back here, readable (watched while lingering) */
    int yield_fd;  /* the ready queue's sending end: a readable connection
                      yielded goes out here, to the next idle worker */
    int listen_fd; /* the listening socket (watched while lingering) */
    const char *protocol;
    const struct pf_slot *slots; /* the scoreboard, to count idle workers */
    size_t nslots;
    struct pf_slot *self; /* counts the connections parked */
    int linger_ms;
    const _Atomic int *closing;     /* set: the keeper stops, parks no more */
    const _Atomic int *up;          /* set while a keeper runs */
    const _Atomic uint64_t *queued; /* readable connections in the keeper's
                                       queue, the ready socket being full */
    _Atomic int64_t *ready_waiting; /* connections in the ready socket */
};

/* pf_proto_await with the stop order known: see pf_proto.h. pk NULL or
 * park_fd < 0: a plain wait until deadline. */
enum pf_proto_wait pf_park_wait(const struct pf_park *pk, struct pf_conn *c, int64_t deadline,
                                const struct pf_handoff *state, bool stopping);

/* True once the keeper stops (the server stops gracefully): the request
 * being answered is the connection's last. pk may be NULL. */
bool pf_park_closing(const struct pf_park *pk);

/* Workers idle in the scoreboard (waiting for a connection), self not
 * counted. */
int pf_park_idle_workers(const struct pf_park *pk);

#endif
