/* pf_exec_watch: the master's side of exec workers' notifications.
 *
 * The notify socket (pf_notify_sock) is read in the master's loop; each
 * datagram from a current worker is acted on:
 *   READY=1       a worker still starting counts as serving (exec.ready =
 *                 "notify"): start-up and reload wait for it
 *   STATUS=text   kept in its slot (`preforkctl workers`, status) and logged
 *   WATCHDOG=1    its last ping, for the watchdog
 *   STOPPING=1, RELOADING=1, ERRNO=n   logged
 *   MAINPID=      refused: a worker is the process preforkd started
 * Datagrams from any other process are ignored and counted (and logged
 * once per episode), bad ones dropped and counted. A worker that does not
 * say READY=1 within exec.ready_timeout is killed and counts as a worker
 * that could not start (the crash backoff sees it).
 */
#ifndef PF_EXEC_WATCH_H
#define PF_EXEC_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "pf_conn_probe.h"
#include "pf_episode.h"
#include "pf_notify_sock.h"
#include "pf_pool.h"

struct pf_exec_watch {
    struct pf_notify_sock sock;  /* fd -1: not exec workers */
    uint64_t messages;           /* datagrams acted on */
    uint64_t foreign;            /* from a process that is not a current worker */
    uint64_t refused;            /* MAINPID= */
    uint64_t not_ready;          /* workers killed for missing exec.ready_timeout */
    struct pf_episode strangers; /* foreign or bad datagrams, logged once an episode */
    struct pf_conn_list conns;   /* the last probe's client connections */
    bool sighted;                /* the last probe saw who serves (pf_exec_watch_probe) */
    int64_t probed_ms;           /* monotonic time of the last probe; 0 none */
    struct pf_episode blind;     /* probes that failed, logged once an episode */
};

/* Open the notify socket when cfg's workers are programs. 0, or -1 with
 * the reason in err. */
int pf_exec_watch_init(struct pf_exec_watch *w, const struct pf_config *cfg, char *err,
                       size_t errlen);

void pf_exec_watch_destroy(struct pf_exec_watch *w);

/* NOTIFY_SOCKET for the programs, or NULL when off. */
const char *pf_exec_watch_name(const struct pf_exec_watch *w);

/* The descriptor to poll for input, or -1. */
int pf_exec_watch_fd(const struct pf_exec_watch *w);

/* Read and act on what came (a bounded number per call). */
void pf_exec_watch_read(struct pf_exec_watch *w, struct pf_pool *p);

/* A look at who serves is reused this long (status asked many times a
 * second costs one look). */
#define PF_EXEC_WATCH_PROBE_REUSE_MS 250

/* Look who serves a client now (pf_conn_probe), unless the last look is
 * younger than PF_EXEC_WATCH_PROBE_REUSE_MS: each ready worker holding one of the
 * service's connections is "serving", with that client, the others
 * "idle". The look walks the kernel's whole table of TCP sockets (about
 * a microsecond per socket on the host), so it is taken only when
 * needed: at each tick of a dynamic pool, before it is sized, and when
 * an administrator asks (status, workers, metrics). A look that fails (no
 * sock_diag, /proc unreadable) leaves the states as they were, logs why
 * once an episode, and clears w->sighted: a dynamic pool then holds its
 * size rather than size it blind. */
void pf_exec_watch_probe(struct pf_exec_watch *w, struct pf_pool *p, int64_t now_ms);

/* Exec workers whose last probe failed: nobody knows who serves. */
bool pf_exec_watch_blind(const struct pf_exec_watch *w);

/* Kill the workers past their readiness deadline; the ms until the next
 * deadline, or -1 for none. */
int64_t pf_exec_watch_tick(struct pf_exec_watch *w, struct pf_pool *p, int64_t now_ms);

#endif
