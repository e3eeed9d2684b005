/*
 * pb_reply: recognise one complete reply in the bytes a server sends, and
 * judge it, for the three protocols preforkbench speaks.
 *
 * Incremental and pure: the engine feeds whatever recv() returned, in any
 * pieces (one byte at a time gives the same verdict as all at once), and
 * learns when the reply is complete, how many of the fed bytes belonged to
 * it (the rest, if any, were sent early by the server and are an error for
 * these request/reply protocols), and whether it was well-formed. No
 * allocation: the expected echo/msg payload is compared as it arrives
 * against the caller's buffer, which must outlive the reply.
 *
 * - http: a status line "HTTP/1.x NNN reason\r\n", header lines, an empty
 *   line, then a body delimited by Content-Length, by chunked
 *   Transfer-Encoding, or (no length, HTTP/1.0 or "Connection: close") by
 *   the end of the connection. 1xx interim replies are skipped. A HEAD
 *   request's reply and 204/304 replies have no body. The body is counted,
 *   not stored. Header names are matched case-insensitively. Bare "\n"
 *   line ends are accepted as well as "\r\n".
 * - echo: exactly the line sent, its '\n' included.
 * - msg: a 4-byte big-endian length equal to the payload's length sent,
 *   then exactly the payload sent.
 */
#ifndef PB_REPLY_H
#define PB_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pb_reply_status {
    PB_REPLY_MORE,      /* incomplete: feed more bytes (or call pb_reply_eof) */
    PB_REPLY_DONE,      /* complete and well-formed (an HTTP error status is
                            still DONE: the caller reads status_code) */
    PB_REPLY_MALFORMED, /* not a valid reply, or not the expected bytes */
} pb_reply_status_t;

typedef enum pb_reply_proto {
    PB_REPLY_HTTP,
    PB_REPLY_ECHO,
    PB_REPLY_MSG,
} pb_reply_proto_t;

/* Longest HTTP status or header line accepted (longer: malformed). */
#define PB_REPLY_MAX_LINE 8192

typedef struct pb_reply {
    pb_reply_proto_t proto;
    /* echo/msg: the bytes expected back (the whole line / the payload). */
    const unsigned char *expect;
    size_t expect_len;

    /* Results, valid once DONE. */
    int status_code;      /* http: the final status; 0 for echo/msg */
    bool close_after;     /* http: the server will close the connection
                             ("Connection: close", or HTTP/1.0 without
                             "Connection: keep-alive") */
    uint64_t body_bytes;  /* http: body length received */
    uint64_t total_bytes; /* every byte of the reply, headers included */

    /* Parser state: private to pb_reply.c. */
    int state;
    bool head_request;
    bool chunked;
    bool http10;
    bool keep_alive_seen;
    bool length_seen;   /* http: a Content-Length was given (in remaining) */
    bool cr;            /* http: the line so far ended with '\r' */
    uint64_t remaining; /* body or chunk bytes still to come */
    size_t pos;         /* echo/msg: bytes matched so far */
    size_t line_len;    /* http: length of the line being assembled */
    char line[PB_REPLY_MAX_LINE];
} pb_reply_t;

/* Expect an HTTP reply; head_request: the request was HEAD (no body). */
void pb_reply_start_http(pb_reply_t *r, bool head_request);

/* Expect the echo of line[0..len) (the caller's line ends with '\n'). */
void pb_reply_start_echo(pb_reply_t *r, const unsigned char *line, size_t len);

/* Expect the msg echo of payload[0..len) (header + payload). */
void pb_reply_start_msg(pb_reply_t *r, const unsigned char *payload, size_t len);

/*
 * Feed len bytes. *used is set to how many of them were consumed: all of
 * them while MORE; up to the end of the reply when DONE (bytes after it are
 * left to the caller); unspecified when MALFORMED.
 */
pb_reply_status_t pb_reply_feed(pb_reply_t *r, const unsigned char *buf, size_t len, size_t *used);

/*
 * The server closed the connection. DONE when that ends a reply whose body
 * runs to the end of the connection; MORE otherwise (the reply is short:
 * the caller counts it as cut, and can tell "nothing at all arrived" by
 * total_bytes == 0).
 */
pb_reply_status_t pb_reply_eof(pb_reply_t *r);

#endif
