/* pf_proto: the protocol handler interface.
 *
 * The server core knows nothing about protocols. A handler is a name plus
 * three functions; `protocol = "..."` in the config picks one
 * (master/pf_proto_table.c). A worker calls worker_init once after fork,
 * serve once per accepted connection, and worker_exit before it exits.
 *
 * serve() owns the connection until it returns (the worker closes the fd
 * afterwards). It must never exit the process and never let one client's
 * misbehaviour (reset, garbage, stall) escape as anything but a return:
 * a broken connection is logged at most once and given up.
 */
#ifndef PF_PROTO_H
#define PF_PROTO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "pf_config.h"
#include "pf_scoreboard.h"

/* One accepted connection, as a handler sees it. */
struct pf_conn {
    int fd; /* non-blocking, close-on-exec */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char peer_text[PF_ADDR_STRLEN]; /* for log lines */
    struct pf_slot *slot;           /* the worker's scoreboard slot */
    const struct pf_config *cfg;
    /* Signal mask for waits where the connection is idle between requests
     * (a keep-alive wait): it lets in the signals that stay blocked while
     * a request is in flight (SIGUSR1: reopen the logs now; SIGQUIT only
     * records the stop order, which pf_proto_stop_requested reports). */
    const sigset_t *idle_mask;
};

struct pf_proto {
    const char *name;
    /* Optional: checks and tables set up in the master before any fork
     * (shared read-only by every worker), at start and again on each
     * reload with the new configuration. A failure stops start-up or
     * fails the reload, so it must happen before anything is changed. */
    int (*master_init)(const struct pf_config *cfg, char *err, size_t errlen);
    /* Per-worker set-up (buffers); *state is handed back to serve. */
    int (*worker_init)(void **state, const struct pf_config *cfg, char *err, size_t errlen);
    void (*serve)(void *state, struct pf_conn *conn);
    void (*worker_exit)(void *state);
    /* Optional: reopen the protocol's own log files (SIGUSR1). */
    void (*reopen)(void *state);
    /* Optional: URL scheme for the "serving" log line at start ("http"). */
    const char *url_scheme;
};

/* Reopen the error log and the protocol's logs now, as the worker does on
 * SIGUSR1 between connections: for a handler that takes the signal while a
 * connection waits between requests. */
void pf_worker_reopen_logs(void);

/* True once the master ordered this worker to stop: reads the flag the
 * master writes in the slot, so it is free to ask on every request. */
bool pf_proto_stop_requested(const struct pf_conn *c);

#endif
