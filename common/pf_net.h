/* pf_net: small single-purpose socket helpers.
 *
 * Helpers that can fail write a one-line reason into the caller's err buffer
 * (anet style) so the caller decides how to report it. The I/O helpers work
 * on blocking and non-blocking sockets alike (they use MSG_DONTWAIT and wait
 * in poll), retry on EINTR, continue after short counts, never raise SIGPIPE,
 * and enforce one deadline over the whole operation, so a peer trickling one
 * byte at a time cannot stretch a timeout.
 */
#ifndef PF_NET_H
#define PF_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_addr.h"

/* Outcome of an I/O helper. */
enum pf_io {
    PF_IO_OK = 0,  /* everything asked for was moved */
    PF_IO_EOF,     /* the peer closed before everything was received */
    PF_IO_TIMEOUT, /* the deadline passed first */
    PF_IO_ERROR,   /* a socket error; errno says which (ECONNRESET, EPIPE...) */
};

const char *pf_net_io_name(enum pf_io r);

/* Create a TCP listening socket on addr: SO_REUSEADDR, close-on-exec,
 * non-blocking (workers wait for readiness, then accept), IPV6_V6ONLY for
 * IPv6. Returns the fd, or -1 with "cannot listen on ADDR: REASON" in err. */
int pf_net_listen(const struct pf_addr *addr, int backlog, char *err, size_t errlen);

/* Ask the kernel to queue a connection for accept() only once its first
 * data has arrived (TCP_DEFER_ACCEPT), waiting up to about `seconds` for it;
 * 0 turns it off again (a reload may, on a socket in use). 0 on success;
 * -1 with the reason in err. */
int pf_net_defer_accept(int fd, int seconds, char *err, size_t errlen);

/* The address a socket is bound to (tells the real port after port 0). */
int pf_net_local_addr(int fd, struct pf_addr *out);

/* Wait until fd is ready for events (POLLIN, POLLOUT) or the monotonic
 * deadline_ms passes: 1 ready, 0 timed out, -1 error (errno). EINTR just
 * waits again. */
int pf_net_wait(int fd, short events, int64_t deadline_ms);

/* Connect a blocking TCP client socket (close-on-exec) to addr within
 * timeout_ms. Used by tools and tests. Returns fd or -1 with reason in err. */
int pf_net_connect(const struct pf_addr *addr, int timeout_ms, char *err, size_t errlen);

/* Send all len bytes before deadline_ms (pf_time clock, -1 = none). */
enum pf_io pf_net_send_all_until(int fd, const void *buf, size_t len, int64_t deadline_ms);

/* send_all with extra send() flags (MSG_MORE: more follows, hold the
 * segment; the next send or sendfile completes it). *sent (may be NULL)
 * says how many bytes went out, also when it fails: what a client really
 * got. errno is the failure's when PF_IO_ERROR is returned. */
enum pf_io pf_net_send_flags_until(int fd, const void *buf, size_t len, int flags,
                                   int64_t deadline_ms, size_t *sent);

/* sendfile() len bytes of fd from offset to the socket; idle_timeout_ms
 * bounds each wait without progress (negative = none). *sent (may be
 * NULL) says how many bytes went out, also when it fails (PF_IO_EOF: the
 * file ended early). */
enum pf_io pf_net_sendfile(int sock, int fd, off_t offset, off_t len, int idle_timeout_ms,
                           off_t *sent);

/* Receive exactly len bytes before deadline_ms; *got (may be NULL) says how
 * many arrived, also on EOF/timeout/error. */
enum pf_io pf_net_recv_exact_until(int fd, void *buf, size_t len, int64_t deadline_ms, size_t *got);

/* Receive what is available, at least one byte, at most len, before
 * deadline_ms. *got is set to the count. */
enum pf_io pf_net_recv_some_until(int fd, void *buf, size_t len, int64_t deadline_ms, size_t *got);

/* Timeout forms of the above: timeout_ms from now, negative = no timeout. */
enum pf_io pf_net_send_all(int fd, const void *buf, size_t len, int timeout_ms);
enum pf_io pf_net_recv_exact(int fd, void *buf, size_t len, int timeout_ms, size_t *got);

/* Number of connections waiting in a TCP listening socket's accept queue
 * (Linux reports it in TCP_INFO's tcpi_unacked for a listener); -1 if unknown. */
int pf_net_accept_queue_len(int fd);

#endif
