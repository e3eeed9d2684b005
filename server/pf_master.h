/* pf_master: the master process: bind, fork the pool, supervise.
 *
 * The loop sleeps in ppoll() with every signal unblocked only there, wakes on
 * a signal or the supervision tick, and handles what happened in one fixed
 * order: reap, terminate, quit, scale, refill.
 */
#ifndef PF_MASTER_H
#define PF_MASTER_H

#include "pf_config.h"

/* Run the master on a loaded configuration, read from path (as given with
 * -c: a reload reads it again). Binds, forks, supervises until stopped.
 * Returns the process exit status (0 after a requested stop, 1 when
 * start-up failed; the reason was already printed). */
int pf_master_run(struct pf_config *cfg, const char *path);

#endif
