/* pf_master: the master process: bind, fork the pool, supervise.
 *
 * The loop sleeps in ppoll() with every signal unblocked only there, wakes on
 * a signal or the supervision tick, and handles what happened in one fixed
 * order: control clients, reap, terminate, quit, reload, reopen, upgrade,
 * scale, refill.
 *
 * Start-up is over when every worker of the first pool is accepting: the
 * master then reports "ready" to whoever waits (a -d launcher, an old
 * master during an upgrade, systemd). A worker that cannot start before
 * that fails the start-up with its reason.
 */
#ifndef PF_MASTER_H
#define PF_MASTER_H

#include "pf_config.h"
#include "pf_inherit.h"

struct pf_master_opts {
    const char *config;            /* absolute path of the file: reload and
                                      upgrade read it again */
    const char *exe;               /* the running binary, for an upgrade ("" unknown) */
    const char *args;              /* the command line's arguments, for the title ("" none) */
    struct pf_inherited inherited; /* sockets handed over; -1: bind them */
};

/* Run the master on a loaded configuration. Binds (or adopts the sockets
 * handed over), forks, supervises until stopped. Returns the process exit
 * status (0 after a requested stop, 1 when start-up failed; the reason
 * was already printed or reported). */
int pf_master_run(struct pf_config *cfg, const struct pf_master_opts *opts);

#endif
