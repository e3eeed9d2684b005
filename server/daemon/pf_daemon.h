/* pf_daemon: leaving the terminal, and telling whoever waits how the
 * start-up went.
 *
 * An init script must see a start-up failure: `preforkd -d` returns only
 * once the daemon is ready (exit 0) or has failed (exit 1, the reason on
 * stderr). The launcher forks, the child calls setsid() and forks again
 * (the daemon can never regain a controlling terminal), and the daemon
 * keeps one end of a socket pair (a pipe that cannot raise SIGPIPE) to
 * the launcher, which blocks reading it.
 * The daemon writes one line there when the master is ready or failed
 * (pf_daemon_ready / pf_daemon_failed); EOF without a line means it died
 * first. The same report line goes to an old master during a binary
 * upgrade: the new master finds its end in PREFORKD_READY_FD.
 *
 * Report lines (one per start-up, then the pipe is closed):
 *   "OK <text>\n"     ready: text is "running as pid N, listening on ADDR"
 *   "ERR <reason>\n"  failed: the reason, as the operator should read it
 */
#ifndef PF_DAEMON_H
#define PF_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#define PF_DAEMON_READY_ENV "PREFORKD_READY_FD"
#define PF_DAEMON_REPORT_MAX 1024 /* longest report line, '\n' included */

/* Outcome of a report line (pure). */
enum pf_daemon_outcome {
    PF_DAEMON_PENDING, /* no complete line yet */
    PF_DAEMON_READY,
    PF_DAEMON_FAILED,
};

/* Detach (fork, setsid, fork, umask 027, chdir "/"). In the launcher it
 * never returns: it waits for the report and exits 0 or 1 (printing the
 * reason, or the ready text). In the daemon it returns 0, the report
 * pipe kept. -1 with the reason in err when the first fork failed (still
 * in the launcher, nothing started). */
int pf_daemon_detach(char *err, size_t errlen);

/* Point stdin, stdout and stderr at /dev/null (once the logs are open:
 * a detached daemon must not write to a terminal it left, nor get
 * SIGPIPE or EIO from one that went away). 0 or -1 with reason. */
int pf_daemon_null_stdio(char *err, size_t errlen);

/* Take the report pipe an old master handed over (PREFORKD_READY_FD),
 * and unset the variable. 0 (none, or taken), -1 malformed (err). */
int pf_daemon_take_ready_env(char *err, size_t errlen);

/* Is someone waiting for a report (a launcher or an old master)? */
bool pf_daemon_reporting(void);

/* Report success or failure once, then close the pipe (no-op when nobody
 * waits, or after the first report). */
void pf_daemon_ready(const char *text);
void pf_daemon_failed(const char *reason);

/* A start-up failure, said where the operator sees it: reported to
 * whoever waits (a -d launcher prints it; an old master logs it), else
 * on stderr as "preforkd: REASON" (the terminal, or the journal). */
void pf_daemon_fail_start(const char *reason);

/* Parse what was read from a report pipe so far (pure): the outcome,
 * with the text after "OK " or "ERR " copied into text. A line that is
 * neither counts as a failure quoting it. */
enum pf_daemon_outcome pf_daemon_parse_report(const char *buf, size_t len, char *text,
                                              size_t textlen);

#endif
