/* ctl_top: `preforkctl top`, the workers table redrawn every second.
 *
 * On a terminal the screen is cleared (ANSI) before each frame, which
 * starts with a header (ctl_print_top_header, 80 columns): clock, uptime,
 * workers, totals, and the requests per second computed from two
 * successive status replies; lines are cut to the terminal's width.
 * Elsewhere (a pipe, a file) each frame is just the table, frames
 * separated by a blank line. With --json each frame is the status and
 * workers replies, one line each.
 *
 * When standard input is the terminal of the foreground job, it is read
 * key by key without echo (q quits) and its modes are restored on every
 * way out, and while suspended (Ctrl-Z); otherwise it is not touched.
 */
#ifndef CTL_TOP_H
#define CTL_TOP_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl_conn.h"

#define CTL_TOP_INTERVAL_MS 1000

/* Run until q, SIGINT or SIGTERM (CTL_EXIT_OK) or until the server goes
 * away or refuses (another exit status, the reason in err). */
int ctl_top_run(struct ctl_conn *c, bool json, char *err, size_t errlen);

#endif
