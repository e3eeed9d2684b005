/* pf_control: the control channel, served inside the master's loop.
 *
 * A TCP listener on a loopback address; clients are non-blocking sockets
 * the master polls together with its signals (docs/control-protocol.md).
 * Every client is bounded: line length, output buffered, idle time, and
 * the number of clients; so no admin client, slow or hostile, can stall
 * supervision or grow the master without limit. Authentication: the first
 * line is "auth TOKEN" (or an HTTP GET with a bearer token, for metrics);
 * a failure closes the connection, is logged, and makes the next
 * authentication wait (doubling up to 5 s), which slows brute force down.
 *
 * The module knows nothing of the pool: each command calls the master
 * through pf_control_ops, the same functions the signals use.
 */
#ifndef PF_CONTROL_H
#define PF_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_config.h"
#include "pf_control_cmd.h"
#include "pf_episode.h"
#include "pf_events.h"
#include "pf_status.h"

/* What the master does for commands (ctx is the master). Functions that
 * can fail write a reason into err and return -1. */
struct pf_control_ops {
    void *ctx;
    void (*status)(void *ctx, struct pf_status *st);
    size_t (*workers)(void *ctx, struct pf_status_worker *out, size_t max);
    /* The processes' usage into st (master_process, workers_process): read
     * from /proc for the metrics alone, not for every status or health. */
    void (*processes)(void *ctx, struct pf_status *st);
    /* The recent events (pf_events), newest first. */
    const struct pf_events *(*events)(void *ctx);
    int (*scale)(void *ctx, bool relative, long value, int *from, int *to, char *err,
                 size_t errlen);
    int (*reload)(void *ctx, struct pf_status_reload *rep, char *err, size_t errlen);
    void (*reopen)(void *ctx);
    void (*stop)(void *ctx, bool fast);
    int (*kill_worker)(void *ctx, pid_t pid, char *err, size_t errlen);
    /* Start a binary upgrade: the new master's pid, or -1 (err). */
    pid_t (*upgrade)(void *ctx, char *err, size_t errlen);
};

struct pf_control_client;

struct pf_control {
    const struct pf_config *cfg;
    struct pf_control_ops ops;
    bool status_only;    /* the status listener: GET /health and /metrics, nothing else */
    int max_clients;     /* control.max_clients or status.max_clients */
    int idle_timeout_ms; /* control.idle_timeout, or PF_CONTROL_STATUS_IDLE_MS */
    int listen_fd;       /* -1: channel off */
    char token[PF_TOKEN_MAX + 1];
    struct pf_control_client *clients; /* cfg->control.max_clients entries */
    int nclients;
    int64_t auth_not_before; /* monotonic ms: next auth is handled then */
    int auth_penalty_ms;
    uint64_t auth_failures;
    char bound[PF_ADDR_STRLEN];    /* the address really bound */
    struct pf_episode accept_fail; /* accept() without a descriptor or memory */
    int64_t accept_resume_ms;      /* monotonic ms: the listener is not polled
                                          before then (after such a failure) */
};

/* Bind the listener and load the token (nothing when control.listen is
 * ""). inherited_fd >= 0 is a listening socket a binary upgrade handed
 * over: used instead of binding (closed when the channel is off). 0, or
 * -1 with the reason in err (start-up fails with it). The address bound
 * is in c->bound for the caller to announce. */
int pf_control_init(struct pf_control *c, const struct pf_config *cfg,
                    const struct pf_control_ops *ops, int inherited_fd, char *err, size_t errlen);

/* A status listener client (a health check) idle this long is closed. */
#define PF_CONTROL_STATUS_IDLE_MS 10000

/* The status listener (status.listen; nothing when ""): the same clients
 * and bounds, but read-only HTTP only: GET /health (no token) and GET
 * /metrics (the control token as a bearer when status.metrics_token).
 * inherited_fd as for pf_control_init. 0, or -1 with the reason. */
int pf_control_init_status(struct pf_control *c, const struct pf_config *cfg,
                           const struct pf_control_ops *ops, int inherited_fd, char *err,
                           size_t errlen);

/* Close the channel, listener and clients: at exit, in each new worker,
 * and in a master retiring after an upgrade (its successor answers on
 * the same socket, handed over). */
void pf_control_close(struct pf_control *c);

/* The descriptors to poll (listener and clients), into fds (at most max);
 * returns the count. */
int pf_control_pollfds(const struct pf_control *c, struct pollfd *fds, int max);

/* Milliseconds until the next control deadline (an idle client, a
 * deferred authentication, the end of a pause in accepting), or -1 when
 * there is none. */
int pf_control_timeout_ms(const struct pf_control *c);

/* Act on what poll reported for the descriptors pf_control_pollfds gave
 * (same order), and on expired deadlines. Never blocks. */
void pf_control_handle(struct pf_control *c, const struct pollfd *fds, int n);

#endif
