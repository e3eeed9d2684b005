/* pf_conn_probe: which processes hold the service's client connections,
 * seen from outside (for exec workers, whose programs tell the master
 * nothing of their clients).
 *
 * Two looks, once a supervision tick:
 *  1. the kernel's socket table (NETLINK_SOCK_DIAG, filtered in the
 *     kernel on the local port): every TCP connection accepted from the
 *     listening socket, its inode and its peer;
 *  2. each worker's descriptors (/proc/PID/fd): a link "socket:[INODE]"
 *     naming one of those connections means the worker serves a client.
 * No cooperation from the program, no privilege beyond reading the
 * workers' /proc (the master's own children). A connection still in the
 * accept queue has no inode and belongs to nobody.
 */
#ifndef PF_CONN_PROBE_H
#define PF_CONN_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* One accepted connection: its socket's inode and its peer. */
struct pf_conn_seen {
    uint64_t inode;
    struct sockaddr_storage peer;
    socklen_t peer_len;
};

/* The connections of one listening address, sorted by inode. */
struct pf_conn_list {
    struct pf_conn_seen *v;
    size_t n, cap;
};

/* The TCP connections whose local address has the port (and family) of
 * listen, in every state but LISTEN, TIME_WAIT and CLOSE, into l
 * (emptied first). 0, or -1 with the reason in err (l is then empty). */
int pf_conn_probe_list(const struct sockaddr *listen, struct pf_conn_list *l, char *err,
                       size_t errlen);

/* How many of l's connections process pid holds, the first found into
 * *first (NULL when none). -1 with the reason in err and errno when its
 * descriptors cannot be read (ENOENT: it exited; EACCES: its /proc is not
 * ours to read). */
int pf_conn_probe_held(pid_t pid, const struct pf_conn_list *l, const struct pf_conn_seen **first,
                       char *err, size_t errlen);

/* The inode of a descriptor's link text "socket:[12345]"; 0 for any other
 * text (a file, a pipe, a malformed link). */
uint64_t pf_conn_probe_socket_inode(const char *link);

/* The connection of l with this inode, or NULL (binary search). */
const struct pf_conn_seen *pf_conn_probe_find(const struct pf_conn_list *l, uint64_t inode);

void pf_conn_list_free(struct pf_conn_list *l);

#endif
