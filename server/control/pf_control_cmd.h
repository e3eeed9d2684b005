/* pf_control_cmd: control channel command lines, parsed (pure, no I/O).
 *
 * One command per line (docs/control-protocol.md). Words are separated by
 * single or repeated spaces or tabs; a trailing "\r" is ignored; verbs are
 * lowercase ASCII. Numbers are decimal, without leading zeros beyond "0",
 * within the ranges below. A line that is empty after trimming is an
 * error ("empty command").
 *
 *   auth TOKEN          TOKEN: 1..128 printable ASCII bytes without spaces
 *   status | workers | config | reload | reopen | upgrade | help
 *   stop                graceful stop
 *   stop fast           fast stop
 *   scale N             absolute: 1..PF_WORKERS_HARD_MAX
 *   scale +N | scale -N relative: N in 1..PF_WORKERS_HARD_MAX
 *   kill PID            PID: 1..2^31-1 (recycle that worker gracefully)
 *
 * Anything else is an error with a message naming what was wrong, e.g.
 * "unknown command \"foo\" (try help)", "scale: expected N, +N or -N",
 * "status: takes no argument".
 * A line beginning with "GET " is recognised as an HTTP request line
 * (PF_CTL_HTTP_GET) so the same port can answer a Prometheus scrape.
 */
#ifndef PF_CONTROL_CMD_H
#define PF_CONTROL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PF_CTL_TOKEN_MAX 128
#define PF_CTL_LINE_MAX 1024   /* longest command line, "\n" included */

enum pf_ctl_verb {
    PF_CTL_AUTH = 0,
    PF_CTL_STATUS,
    PF_CTL_WORKERS,
    PF_CTL_CONFIG,
    PF_CTL_SCALE,
    PF_CTL_RELOAD,
    PF_CTL_REOPEN,
    PF_CTL_STOP,
    PF_CTL_STOP_FAST,
    PF_CTL_KILL,
    PF_CTL_UPGRADE,
    PF_CTL_HELP,
    PF_CTL_HTTP_GET,   /* "GET /path HTTP/1.x": the metrics endpoint */
};

struct pf_ctl_cmd {
    enum pf_ctl_verb verb;
    bool relative;               /* scale +N / -N */
    long value;                  /* scale: target, or signed delta when relative */
    pid_t pid;                   /* kill */
    char token[PF_CTL_TOKEN_MAX + 1]; /* auth */
    char path[256];              /* HTTP GET: the request target */
};

/* Parse line[0..len) (without its "\n"). 0, or -1 with the reason in err. */
int pf_ctl_parse(const char *line, size_t len, struct pf_ctl_cmd *cmd, char *err,
                 size_t errlen);

/* The verbs, space-separated in the order of "help". */
const char *pf_ctl_help_text(void);

/* Compare two tokens in time independent of where they differ (and of the
 * given token's length beyond the expected one's). */
bool pf_ctl_token_equal(const char *expected, const char *given);

#endif
