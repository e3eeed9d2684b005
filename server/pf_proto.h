/* pf_proto: the protocol handler interface.
 *
 * The server core knows nothing about protocols. A handler is a name plus
 * three functions; `protocol = "..."` in the config picks one. A worker
 * calls worker_init once after fork, serve once per accepted connection,
 * and worker_exit before it exits.
 *
 * serve() owns the connection until it returns (the worker closes the fd
 * afterwards). It must never exit the process and never let one client's
 * misbehaviour (reset, garbage, stall) escape as anything but a return:
 * a broken connection is logged at most once and given up.
 */
#ifndef PF_PROTO_H
#define PF_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "pf_config.h"
#include "pf_scoreboard.h"

/* One accepted connection, as a handler sees it. */
struct pf_conn {
    int fd;                          /* non-blocking, close-on-exec */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char peer_text[PF_ADDR_STRLEN];  /* for log lines */
    struct pf_slot *slot;            /* the worker's scoreboard slot */
    const struct pf_config *cfg;
};

struct pf_proto {
    const char *name;
    /* Per-worker set-up (buffers); *state is handed back to serve. */
    int (*worker_init)(void **state, const struct pf_config *cfg, char *err, size_t errlen);
    void (*serve)(void *state, struct pf_conn *conn);
    void (*worker_exit)(void *state);
};

/* The handler named name, or NULL. */
const struct pf_proto *pf_proto_find(const char *name);

/* "echo, msg": the names known, for error messages. */
const char *pf_proto_names(void);

/* True once the worker has been told to stop (graceful stop or recycle).
 * Cheap enough for a handler to ask at every message boundary. */
bool pf_worker_stop_requested(void);

extern const struct pf_proto pf_proto_echo;
extern const struct pf_proto pf_proto_msg;

#endif
