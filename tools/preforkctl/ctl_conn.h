/* ctl_conn: one connection to the control channel, and its protocol.
 *
 * Lines go out, one JSON line comes back per line (docs/control-protocol.md).
 * Nothing here can hang: connecting and every reply have a deadline, and a
 * reply is read line by line into a buffer bounded by CTL_REPLY_MAX.
 * Bytes after a reply's newline are kept for the next reply.
 *
 * Functions return an enum ctl_exit value: CTL_EXIT_OK, or the status the
 * program should exit with, the reason in err (without "preforkctl: ").
 */
#ifndef CTL_CONN_H
#define CTL_CONN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ctl_common.h"
#include "ctl_target.h"

struct ctl_conn {
    int fd;                    /* -1: not connected */
    int timeout_ms;            /* connect, and each reply */
    bool authed;               /* the server accepted the token */
    char peer[PF_ADDR_STRLEN]; /* for messages */
    char *buf;                 /* received bytes; a reply line starts at 0 */
    size_t len, cap;
    size_t used; /* bytes of the last reply line, "\n" included */
};

/* Connect to t->addr and authenticate with t->token. CTL_EXIT_OK, or
 * CTL_EXIT_UNREACHABLE (no server, no answer) or CTL_EXIT_AUTH. */
int ctl_conn_open(struct ctl_conn *c, const struct ctl_target *t, int timeout_ms, char *err,
                  size_t errlen);

/* Send line (without "\n") and read its reply: *text (the line as sent
 * by the server, without "\n"; valid until the next call) and *reply
 * (parsed; the caller releases it). CTL_EXIT_OK for {"ok":true},
 * CTL_EXIT_FAILED for ok:false (the server's error in err; *text and
 * *reply still set) or a reply that is not a JSON object with "ok",
 * CTL_EXIT_UNREACHABLE when the connection fails or times out. */
int ctl_conn_request(struct ctl_conn *c, const char *line, const char **text, json_t **reply,
                     char *err, size_t errlen);

void ctl_conn_close(struct ctl_conn *c);

#endif
