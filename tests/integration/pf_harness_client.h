/* pf_harness_client: raw TCP clients of the server under test (protocols
 * echo and msg, or any bytes). They return 0 / -1 and print why, so they
 * are safe in client threads. Part of pf_harness.h, which includes it. */
#ifndef PF_HARNESS_CLIENT_H
#define PF_HARNESS_CLIENT_H

#include "pf_harness.h"

/* A blocking TCP client connected to the server, with SO_RCVTIMEO,
 * SO_SNDTIMEO and TCP_NODELAY (each send leaves at once) set; -1 on failure (errno kept, e.g. ECONNREFUSED). */
int pf_h_connect(const struct pf_server *s);

/* Send all len bytes (no SIGPIPE) within PF_H_IO_MS. 0 or -1. */
int pf_h_send(int fd, const void *buf, size_t len);

/* Receive exactly len bytes within PF_H_IO_MS. 0 or -1. */
int pf_h_recv(int fd, void *buf, size_t len);

/* Send len bytes and expect exactly them back (echo of a line, or of a
 * whole msg frame). 0, or -1 with the first difference printed. */
int pf_h_roundtrip(int fd, const void *buf, size_t len);

/* Send a line (which must end in '\n') and expect it back byte-exact. */
int pf_h_echo_roundtrip(int fd, const char *line);

/* A msg frame for payload into *frame (malloc'd; free it), *len its size. */
int pf_h_msg_frame(const void *payload, uint32_t plen, unsigned char **frame, size_t *len);

/* Send payload as a msg frame and expect the same frame back. 0 or -1. */
int pf_h_msg_roundtrip(int fd, const void *payload, uint32_t plen);

/* One request/reply in the server's protocol carrying text: a line
 * "text\n" for echo, a frame of text for msg. 0 or -1. */
int pf_h_exchange(const struct pf_server *s, int fd, const char *text);

/* A client that the server has served once (pf_h_exchange): a worker now
 * holds its connection. The fd, or -1. */
int pf_h_connect_served(const struct pf_server *s);

/* A new connection, one exchange, closed: "the server still serves". */
int pf_h_check_serves(const struct pf_server *s);

/* A new connection on which buf comes back byte-exact, then closed. */
int pf_h_roundtrip_once(const struct pf_server *s, const void *buf, size_t len);

/* Fill buf with bytes that depend on seed and position (distinct payloads
 * per client and exchange, so a crossed reply cannot pass). */
void pf_h_fill(void *buf, size_t len, unsigned seed);

/* Expect the server to close the connection within timeout_ms without
 * sending a byte first: EOF or a reset. 0, or -1 (data, or still open). */
int pf_h_expect_closed(int fd, int timeout_ms);

/* Close with SO_LINGER {1, 0}: the peer gets a reset, not a FIN. */
void pf_h_close_reset(int fd);

/* Run fn(index, arg) in n threads at once and join them; returns how many
 * returned non-zero (or could not start). */
int pf_h_run_clients(int n, int (*fn)(int index, void *arg), void *arg);

#endif
