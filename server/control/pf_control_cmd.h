/* pf_control_cmd: control channel command lines, parsed (pure, no I/O).
 *
 * One command per line (docs/control-protocol.md). Words are separated by
 * single or repeated spaces or tabs; a trailing "\r" is ignored; verbs are
 * lowercase ASCII. Numbers are decimal, without leading zeros beyond "0",
 * within the ranges below. A line that is empty after trimming is an
 * error ("empty command").
 *
 *   auth TOKEN          TOKEN: 1..128 printable ASCII bytes without spaces
 *   status | workers | events | config | reload | reopen | upgrade | help
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
 * (PF_CONTROL_CMD_HTTP_GET) so the same port can answer a Prometheus scrape.
 */
#ifndef PF_CONTROL_CMD_H
#define PF_CONTROL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pf_token.h"

#define PF_CONTROL_CMD_LINE_MAX 1024 /* longest command line, "\n" included */

enum pf_control_cmd_verb {
    PF_CONTROL_CMD_AUTH = 0,
    PF_CONTROL_CMD_STATUS,
    PF_CONTROL_CMD_WORKERS,
    PF_CONTROL_CMD_CONFIG,
    PF_CONTROL_CMD_SCALE,
    PF_CONTROL_CMD_RELOAD,
    PF_CONTROL_CMD_REOPEN,
    PF_CONTROL_CMD_STOP,
    PF_CONTROL_CMD_STOP_FAST,
    PF_CONTROL_CMD_KILL,
    PF_CONTROL_CMD_UPGRADE,
    PF_CONTROL_CMD_HELP,
    PF_CONTROL_CMD_EVENTS,
    PF_CONTROL_CMD_HTTP_GET, /* "GET /path HTTP/1.x": the metrics endpoint */
};

struct pf_control_cmd {
    enum pf_control_cmd_verb verb;
    bool relative;                /* scale +N / -N */
    long value;                   /* scale: target, or signed delta when relative */
    pid_t pid;                    /* kill */
    char token[PF_TOKEN_MAX + 1]; /* auth */
    char path[256];               /* HTTP GET: the request target */
};

/* Parse line[0..len) (without its "\n"). 0, or -1 with the reason in err. */
int pf_control_cmd_parse(const char *line, size_t len, struct pf_control_cmd *cmd, char *err,
                         size_t errlen);

/* The verbs, space-separated in the order of "help". */
const char *pf_control_cmd_help(void);

#endif
