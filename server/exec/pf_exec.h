/* pf_exec: an exec worker, the process that becomes the configured
 * program (protocol = "exec"; docs/exec.md is the contract).
 *
 * Forked like any worker, it does what the program must find done:
 * privileges dropped (and chroot), the working folder, the listening
 * socket on fd 3 (or 0) in blocking mode and every other descriptor
 * closed, stdin from /dev/null (fd 3 case), signals at their defaults and
 * none blocked, the parent-death signal set, the environment of
 * pf_exec_env; then execve(). The worker counts as started at the
 * execve: a failure before or at it is logged, kept as the slot's exit
 * reason and ends the process with PF_WORKER_EXIT_INIT (the master then
 * backs off as for any worker that cannot start).
 */
#ifndef PF_EXEC_H
#define PF_EXEC_H

#include "pf_proto.h"

/* The "exec" entry of the protocol table. */
extern const struct pf_proto pf_exec_proto;

#endif
