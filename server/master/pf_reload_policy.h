/* pf_reload_policy: the pure decisions of a configuration reload.
 *
 * A reload compares the running configuration with the one just loaded
 * (pf_reload_policy_diff): which settings changed, which of those cannot change
 * without a restart (they are kept as they are, and named to the
 * operator), and what the master must do about the rest (bind a new
 * listening socket, adjust the current one, reopen the error log, follow
 * a new workers.start). While the pool rolls over to the new generation,
 * pf_reload_policy_rollover says, from counts of workers, how many new ones to fork
 * and how many old ones to retire. No I/O here: the master side is
 * pf_reload.c.
 */
#ifndef PF_RELOAD_POLICY_H
#define PF_RELOAD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "pf_config.h"

/* What differs between the running configuration and the next one. */
struct pf_reload_policy_diff {
    struct pf_config_names applied; /* changed, and applied by the reload */
    struct pf_config_names restart; /* changed, but only a restart applies them */
    bool listen_moved;              /* another listen address: a new socket is bound */
    bool listen_tuned;              /* same address, another backlog or defer_accept */
    bool start_changed;             /* workers.start: the pool's target follows it */
    bool error_log_moved;           /* daemon.error_log names another file */
};

/* True for the settings a reload cannot apply: workers.max (the size of
 * the scoreboard, mapped before the first fork), keeper.parking and
 * keeper.max_parked (whether the keeper runs and how many connections it
 * holds, decided when it starts), the control channel's listen,
 * max_clients and token_file (bound, allocated and read once at start),
 * and daemon.pidfile, user, group, chroot and max_files (taken, looked up
 * and set once, as root, at start). */
bool pf_reload_policy_restart_only(const char *group, const char *name);

/* Compare cur (running) and next (just loaded) into d. The listen address
 * counts as changed when the parsed addresses differ, not the text
 * ("localhost:80" and "127.0.0.1:80" are the same socket). */
void pf_reload_policy_diff(const struct pf_config *cur, const struct pf_config *next,
                           struct pf_reload_policy_diff *d);

/* Copy into next the running values of every restart-only setting, so
 * that applying next leaves them as they are. */
void pf_reload_policy_keep_restart_only(const struct pf_config *cur, struct pf_config *next);

/* Rules that next (restart-only settings already kept) must meet against
 * what stays in force: workers.start, and in the dynamic mode
 * workers.max_spare, within the running workers.max. 0, or -1 with
 * "FILE: SETTING: REASON" in err (file: the path to name). */
int pf_reload_policy_check(const struct pf_config *next, const char *file, char *err,
                           size_t errlen);

/* "a, b, c" (or "" when empty) into buf; returns buf. */
const char *pf_reload_policy_join(const struct pf_config_names *l, char *buf, size_t size);

/* The pool during a roll-over, counted by the master. */
struct pf_reload_policy_rollover_counts {
    int target;     /* workers the pool keeps */
    int new_active; /* current generation, not told to stop (starting or ready) */
    int new_ready;  /* of those, accepting clients (idle or busy) */
    int old_active; /* older generations, not told to stop yet */
    int free_slots; /* scoreboard slots without a worker */
    int retiring;   /* told to stop and still running: slots about to free */
};

/* What to do now: fork this many new workers, retire this many old ones. */
struct pf_reload_policy_rollover_step {
    int spawn;
    int retire;
};

/* New workers first, into free slots, up to the target; an old worker is
 * retired only once a new one is ready to take its place (serving
 * capacity never drops below the target because of the reload). When no
 * slot is free and none is about to be, one old worker is retired to make
 * room (the roll-over then goes one for one). */
struct pf_reload_policy_rollover_step pf_reload_policy_rollover(
    const struct pf_reload_policy_rollover_counts *c);

#endif
