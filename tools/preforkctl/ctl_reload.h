/* ctl_reload: `preforkctl reload` waits for the roll-over it started.
 *
 * The server answers "reload" once the new configuration is in force; its
 * workers start after that. preforkctl then asks for status until the
 * last reload (status "last_reload") says how it ended: its workers serve,
 * or none of them started and the reload was rolled back (the previous
 * configuration runs again). The judgement of a status reply is pure, so
 * a test can feed it fixed replies.
 */
#ifndef CTL_RELOAD_H
#define CTL_RELOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ctl_conn.h"

/* How the reload to one generation stands in a status reply. */
enum ctl_reload_verdict {
    CTL_RELOAD_WAIT,        /* its workers are still starting */
    CTL_RELOAD_SERVING,     /* they serve */
    CTL_RELOAD_ROLLED_BACK, /* they did not start: rolled back */
    CTL_RELOAD_SUPERSEDED,  /* another reload (or roll) came after it */
    CTL_RELOAD_UNKNOWN,     /* the reply says nothing of it (an older server) */
};

/* The verdict on the reload to generation in status; msg gets the line
 * to print (for every verdict but WAIT). */
enum ctl_reload_verdict ctl_reload_judge(const json_t *status, long long generation, char *msg,
                                         size_t msglen);

/* Ask for status every 100 ms until the reload whose reply is reply is
 * judged, at most wait_ms; print the verdict's line (with json: reply,
 * with the last status's "last_reload" added, on one line). The exit
 * status: CTL_EXIT_OK when it serves (or cannot be told, or was followed
 * by another), CTL_EXIT_FAILED when rolled back or still starting at the
 * bound (err says which). */
int ctl_reload_wait(struct ctl_conn *c, json_t *reply, bool json, int wait_ms, char *err,
                    size_t errlen);

#endif
