/* pf_frame: message framing over a byte stream (pure, no I/O).
 *
 * TCP delivers a stream, not messages: one recv() may return half a message
 * or three of them. A frame reader owns a buffer; the caller receives bytes
 * into the free space the reader offers, commits how many arrived, and asks
 * whether a whole frame is buffered. Works the same when bytes arrive one at
 * a time or many frames at once (pipelining).
 *
 * Two framings:
 *   PF_FRAME_LINE    a line ending in '\n'; max counts the whole line,
 *                    '\n' included. A line that reaches max bytes without
 *                    a '\n' is PF_FRAME_TOO_LONG.
 *   PF_FRAME_LENGTH  a 4-byte unsigned length in network byte order, then
 *                    that many payload bytes (0 allowed); max bounds the
 *                    payload. A header announcing more than max is
 *                    PF_FRAME_TOO_LONG as soon as its 4 bytes are in.
 * A frame is returned whole, header or delimiter included, so an echo
 * server can send it back as is.
 */
#ifndef PF_FRAME_H
#define PF_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum pf_frame_kind {
    PF_FRAME_LINE,
    PF_FRAME_LENGTH,
};

enum pf_frame_status {
    PF_FRAME_NEED_MORE = 0, /* no whole frame buffered yet */
    PF_FRAME_READY,         /* pf_frame_data() returns a whole frame */
    PF_FRAME_TOO_LONG,      /* the frame in progress exceeds max: give up */
};

#define PF_FRAME_HEADER_LEN 4

struct pf_frame_reader {
    enum pf_frame_kind kind;
    size_t max; /* line: whole line; length: payload */
    unsigned char *buf;
    size_t cap;       /* allocated bytes; grows on demand up to the bound */
    size_t len;       /* bytes buffered */
    size_t scanned;   /* line: bytes already searched for '\n' */
    size_t frame_len; /* length of the ready frame, 0 when none */
};

/* Largest buffer a reader may grow to: a whole frame. */
size_t pf_frame_bound(enum pf_frame_kind kind, size_t max);

/* Prepare r; allocates a small initial buffer. Returns 0 or -1 (ENOMEM). */
int pf_frame_init(struct pf_frame_reader *r, enum pf_frame_kind kind, size_t max);
void pf_frame_free(struct pf_frame_reader *r);

/* Free space to receive into (at least 1 byte while the status is
 * NEED_MORE), growing the buffer toward the bound as needed; *room gets
 * its size. NULL (and errno ENOMEM) if growing failed. */
unsigned char *pf_frame_space(struct pf_frame_reader *r, size_t *room);

/* n bytes were written into the space; returns the status (as pf_frame_check). */
enum pf_frame_status pf_frame_commit(struct pf_frame_reader *r, size_t n);

/* Copy up to n bytes into the reader (convenience for tests and fuzzers).
 * Stops as soon as a frame is READY or TOO_LONG, so the caller can consume
 * it and feed the rest; *used gets the count copied. */
enum pf_frame_status pf_frame_feed(struct pf_frame_reader *r, const void *data, size_t n,
                                   size_t *used);

/* Status of the buffered bytes: is a whole frame at the front? */
enum pf_frame_status pf_frame_check(struct pf_frame_reader *r);

/* The ready frame (only valid after READY): pointer and whole length. */
const unsigned char *pf_frame_data(const struct pf_frame_reader *r, size_t *len);

/* Drop the ready frame, keeping any bytes after it (next frames). */
void pf_frame_consume(struct pf_frame_reader *r);

/* Drop every buffered byte and shrink a grown buffer (next connection). */
void pf_frame_reset(struct pf_frame_reader *r);

/* Bytes buffered (part of a frame or more). 0 means at a frame boundary. */
size_t pf_frame_pending(const struct pf_frame_reader *r);

/* Write the 4-byte network-order header for a payload of len bytes. */
void pf_frame_put_length(unsigned char out[PF_FRAME_HEADER_LEN], uint32_t len);
uint32_t pf_frame_get_length(const unsigned char in[PF_FRAME_HEADER_LEN]);

#endif
