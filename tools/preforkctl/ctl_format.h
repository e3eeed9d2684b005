/* ctl_format: human-readable output of the server's JSON replies (pure).
 *
 * No I/O but the FILE given, no clock but the times passed in: tests can
 * render fixed replies. Missing fields print as "?", so a reply from an
 * older or newer server still prints. Text that comes from clients (the
 * request summary) is printed with every byte outside printable ASCII
 * shown as '?', so it cannot drive the terminal.
 */
#ifndef CTL_FORMAT_H
#define CTL_FORMAT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Seconds as their two largest units: "3d4h", "4h12m", "12m5s", "42s";
 * "?" when negative. */
void ctl_fmt_duration(int64_t seconds, char *buf, size_t size);

/* A running time in ms: "0.3s", "2.3s" below a minute, else as
 * ctl_fmt_duration ("1m3s"). */
void ctl_fmt_running(int64_t ms, char *buf, size_t size);

/* A byte count with a binary unit: "512 B", "12.1 KiB", "3.0 GiB". */
void ctl_fmt_bytes(int64_t n, char *buf, size_t size);

/* text made safe for a terminal: bytes outside printable ASCII become '?'. */
void ctl_fmt_safe(const char *text, char *buf, size_t size);

/* The status reply as aligned "key: value" lines. started is printed in
 * local time. */
void ctl_print_status(FILE *out, const json_t *reply);

/* The workers reply as a table (SLOT PID GEN STATE AGE CONNS REQS PARKED
 * RESUMED CLIENT REQUEST); lines are cut to width columns, and at most rows lines are
 * printed, the last saying how many workers were left out (0: no limit). */
void ctl_print_workers(FILE *out, const json_t *reply, int width, int rows);

/* The events reply as one line per event, oldest first as in a log:
 *     2026-12-07T09:14:03.120Z warn    worker 4242 killed by signal 9 (Killed)
 * (the time as the server gives it, in UTC; the text made safe). */
void ctl_print_events(FILE *out, const json_t *reply);

/* The config reply as indented "key = value" lines, one group a block. */
void ctl_print_config(FILE *out, const json_t *reply);

/* The one-line confirmation of a command without a report of its own
 * (scale, reload, reopen, stop, kill, help), from its reply. */
void ctl_print_confirmation(FILE *out, const char *verb, const json_t *reply);

/* Lines of the header of `top`. */
#define CTL_TOP_HEADER_LINES 3

/* The header of `top`, in three lines that fit 80 columns even for a big
 * pool with large totals:
 *     14:02:07  pid 4242  up 3d4h  requests 25 (12.5/s)  STOPPING
 *     workers 3 (target 3): 2 idle, 1 busy, 0 waiting, 1 starting
 *     connections 10  keeper: 5 parked (2.0 handoffs/s)
 * clock, the master's pid, uptime, requests and their rate rps (per second; negative:
 * not known yet, then not shown), STOPPING while the server stops; the
 * workers (total, target, then idle, busy, waiting, and starting and
 * stopping when any, which add up to the total); the connections, and
 * with a keeper running parking the connections it holds and its
 * handoffs (back to a worker) per second hps. Each line is cut to width
 * columns (0: not cut). Returns the number of lines, CTL_TOP_HEADER_LINES. */
int ctl_print_top_header(FILE *out, const json_t *status, time_t now, double rps, double hps,
                         int width);

#endif
