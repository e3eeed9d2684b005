/* pf_reload: the master's side of a reload (SIGHUP, "reload").
 *
 * 1. Read the configuration file again into a temporary; a bad file
 *    changes nothing (the error names FILE:LINE: SETTING).
 * 2. Keep the settings only a restart applies (named in the report).
 * 3. Prepare what can fail, in an order that lets a failure undo it all:
 *    bind the new listen address (the old socket stays open), open the
 *    new error log, run the protocol's master_init (which fails only
 *    before it changes anything).
 * 4. Apply: copy the new configuration over the running one, switch the
 *    protocol, the listening socket and the log, bump the generation.
 * 5. Roll over, pass after pass of the master's loop (pf_reload_tick):
 *    new-generation workers are forked first; an old one is retired
 *    (SIGQUIT: it finishes its client) only once a new one is accepting.
 *    An old listening socket is closed once the last worker of its
 *    generations is gone.
 */
#ifndef PF_RELOAD_H
#define PF_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "pf_config.h"
#include "pf_pool.h"
#include "pf_proto.h"
#include "pf_reload_policy.h"
#include "pf_status.h"

#define PF_RELOAD_OLD_LISTENERS 8 /* listen addresses still draining at once */

/* A listening socket replaced by a reload, kept until the workers of the
 * generations that used it (up to generation) are gone. */
struct pf_old_listener {
    int fd;
    unsigned generation;
    char text[PF_ADDR_STRLEN]; /* its address, for the log */
};

/* The master's state a reload changes (pointers into the master). */
struct pf_reloader {
    struct pf_config *cfg;         /* the running configuration, overwritten */
    const char *path;              /* the file to read again: -c as given */
    const struct pf_proto **proto; /* the master's protocol */
    struct pf_pool *pool;
    char *listen_text; /* PF_ADDR_STRLEN bytes: the bound address */
    struct pf_old_listener old[PF_RELOAD_OLD_LISTENERS];
    int nold;
    bool rolling; /* older workers not yet told to stop */
    /* The configuration before the last reload, while its roll-over runs:
     * what a rollback goes back to (NULL: none to go back to). */
    struct pf_config *prev;
    const struct pf_proto *prev_proto;
    uint64_t rollbacks;             /* reloads rolled back */
    struct pf_status_rollover last; /* the last reload's roll-over */
};

/* New workers of a reload that fail to start this many times, none of
 * them ready yet: the reload is rolled back. */
#define PF_RELOAD_ROLLBACK_FAILURES 2

/* Reload. 0 with the report filled, or -1 with the reason in err (the
 * running configuration, workers and sockets untouched). Logs either. */
int pf_reload_apply(struct pf_reloader *r, struct pf_status_reload *rep, char *err, size_t errlen);

/* Replace every worker by a new generation on the same configuration,
 * the way a reload does (new ones first, old ones finish their clients).
 * For what workers cannot do themselves: reopen root-owned logs once
 * they switched user or chroot. why starts the log line. */
void pf_reload_roll(struct pf_reloader *r, const char *why);

/* One pass of the roll-over, after reaping: close the old sockets nobody
 * uses any more; unless stopping, fork and retire as pf_reload_policy_rollover
 * says. */
void pf_reload_tick(struct pf_reloader *r, bool stopping);

/* How soon the master must look again (PF_WAKE_POLICY_SCOREBOARD_MS while rolling
 * over: a new worker's readiness is seen in the scoreboard, which sends
 * no signal), or -1. */
int pf_reload_wait_ms(const struct pf_reloader *r);

/* Close the old listening sockets (at exit, and in each new worker,
 * which must not hold them open). */
void pf_reload_close(struct pf_reloader *r);

#endif
