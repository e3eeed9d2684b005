/* pf_notify_sock: the master's notify socket, where exec workers send
 * sd_notify datagrams (READY=1, STATUS=, WATCHDOG=1...).
 *
 * An AF_UNIX datagram socket in the abstract namespace (no file to create
 * or clean up, reachable from a chroot), its name given to each program
 * as NOTIFY_SOCKET ("@preforkd/PID/N"). SO_PASSCRED makes the kernel
 * attach each sender's pid, which the master matches against its
 * workers: any local process can send here, and only a current worker is
 * listened to. Non-blocking, read from the master's one ppoll; a datagram
 * cut (longer than PF_NOTIFY_MAX), without credentials, carrying
 * descriptors (closed at once) or that does not parse is dropped and
 * counted, never fatal.
 */
#ifndef PF_NOTIFY_SOCK_H
#define PF_NOTIFY_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_notify_parse.h"

struct pf_notify_sock {
    int fd;         /* -1: not open */
    char name[108]; /* for NOTIFY_SOCKET: '@' then the abstract name */
    uint64_t bad;   /* datagrams dropped: cut, no credentials, descriptors, unparsable */
};

/* Open it (name from the master's pid and a counter). 0, or -1 with the
 * reason in err. */
int pf_notify_sock_open(struct pf_notify_sock *n, char *err, size_t errlen);

void pf_notify_sock_close(struct pf_notify_sock *n);

/* Take one datagram: 1 with its sender's pid in *pid and the message in
 * *m; 0 when none is waiting; -1 for one dropped (counted in bad, the
 * reason in err, *pid the sender when known, else 0): call again. */
int pf_notify_sock_recv(struct pf_notify_sock *n, pid_t *pid, struct pf_notify_msg *m, char *err,
                        size_t errlen);

#endif
