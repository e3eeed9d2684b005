/* ctl_commands: the commands of the command line: their arguments
 * checked, the line sent, the reply printed.
 *
 * Every command but top is one request and one reply
 * (docs/control-protocol.md); top (ctl_top) repeats status and workers.
 */
#ifndef CTL_COMMANDS_H
#define CTL_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl_conn.h"

#define CTL_COMMAND_LINE_MAX 128

struct ctl_command {
    const char *verb;                /* "status", ..., "top" */
    char line[CTL_COMMAND_LINE_MAX]; /* the line sent, without "\n" */
};

/* Check the command words args[0..n) (the verb, then its arguments) and
 * build the line. CTL_EXIT_OK, or CTL_EXIT_USAGE with the reason in err. */
int ctl_command_parse(int n, char *const args[], struct ctl_command *cmd, char *err, size_t errlen);

/* Send cmd on c and print the reply: as is when json, else for humans;
 * after a reload, wait up to wait_ms (0: not at all) for its roll-over
 * (ctl_reload). Returns the exit status; the reason of a failure is in
 * err. */
int ctl_command_run(struct ctl_conn *c, const struct ctl_command *cmd, bool json, int wait_ms,
                    char *err, size_t errlen);

/* The commands and their arguments, one per line, for --help. */
const char *ctl_command_help(void);

#endif
