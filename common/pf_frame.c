/* pf_frame: message framing over a byte stream (see pf_frame.h).
 *
 * Invariants kept by every function:
 *   len <= cap <= pf_frame_bound(kind, max)
 *   scanned <= len                            (line: bytes known '\n'-free)
 *   frame_len != 0 only while a whole frame is at the front of buf
 * Because the buffer may hold a whole frame, a full buffer is always READY
 * or TOO_LONG, never NEED_MORE: that is what lets pf_frame_space promise at
 * least one byte of room while more input is needed.
 */
#include "pf_frame.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Initial allocation: small, so idle connections stay cheap; the buffer
 * doubles toward the bound only when a frame needs it. */
#define FRAME_INITIAL_CAP 4096u

/* a + b, clamped to SIZE_MAX instead of wrapping. */
static size_t frame_add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* Largest payload a length frame can carry: max, but never more than a
 * 32-bit header can announce nor more than the bound can hold (so the
 * header + payload sum below can never overflow size_t). */
static size_t frame_payload_max(size_t max)
{
    size_t m = max;

    if ((uint64_t)m > UINT32_MAX)
        m = (size_t)UINT32_MAX;
    if (m > SIZE_MAX - PF_FRAME_HEADER_LEN)
        m = SIZE_MAX - PF_FRAME_HEADER_LEN;
    return m;
}

/* Whole-frame bound: the line itself, or header plus the largest payload. */
size_t pf_frame_bound(enum pf_frame_kind kind, size_t max)
{
    if (kind == PF_FRAME_LINE)
        return max;
    return frame_add_sat(PF_FRAME_HEADER_LEN, frame_payload_max(max));
}

/* Start with min(FRAME_INITIAL_CAP, bound) bytes; a zero bound (a line
 * framing with max 0, where everything is TOO_LONG) still gets a valid
 * pointer so pf_frame_space never returns NULL for it. */
int pf_frame_init(struct pf_frame_reader *r, enum pf_frame_kind kind, size_t max)
{
    size_t bound = pf_frame_bound(kind, max);

    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->max = max;
    r->cap = bound < FRAME_INITIAL_CAP ? bound : FRAME_INITIAL_CAP;
    r->buf = malloc(r->cap > 0 ? r->cap : 1);
    if (!r->buf) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* Release the buffer; safe to call twice or after a failed init. */
void pf_frame_free(struct pf_frame_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->len = r->scanned = r->frame_len = 0;
}

/* Double the buffer, clamped to the bound. Only called when the buffer is
 * full and below the bound, so cap > 0 and the new size is larger. */
static int frame_grow(struct pf_frame_reader *r)
{
    size_t bound = pf_frame_bound(r->kind, r->max);
    size_t ncap = r->cap > bound / 2 ? bound : r->cap * 2;
    unsigned char *nbuf;

    nbuf = realloc(r->buf, ncap);
    if (!nbuf) {
        errno = ENOMEM;
        return -1;
    }
    r->buf = nbuf;
    r->cap = ncap;
    return 0;
}

/* Free space after the buffered bytes, growing when full and below the
 * bound. A full buffer at the bound holds a whole (or too long) frame, so
 * room 0 is only returned when the status is not NEED_MORE. */
unsigned char *pf_frame_space(struct pf_frame_reader *r, size_t *room)
{
    if (r->len == r->cap && r->cap < pf_frame_bound(r->kind, r->max)) {
        if (frame_grow(r) < 0) {
            *room = 0;
            return NULL;
        }
    }
    *room = r->cap - r->len;
    return r->buf + r->len;
}

/* Account for n bytes the caller wrote into the space. */
enum pf_frame_status pf_frame_commit(struct pf_frame_reader *r, size_t n)
{
    assert(n <= r->cap - r->len);
    if (n > r->cap - r->len)
        n = r->cap - r->len; /* caller bug; never run past the buffer */
    r->len += n;
    return pf_frame_check(r);
}

/* Copy data in chunks of the offered space until it is all in, or a frame
 * is READY or TOO_LONG, or growing fails (errno ENOMEM, status NEED_MORE).
 * Stopping at READY/TOO_LONG bounds the buffer: the caller consumes the
 * frame (or gives up) and feeds the rest, data + *used onwards. The last
 * chunk may carry bytes past the ready frame; they stay buffered as the
 * start of the next frames. */
enum pf_frame_status pf_frame_feed(struct pf_frame_reader *r, const void *data, size_t n,
                                   size_t *used)
{
    const unsigned char *src = data;
    enum pf_frame_status st = pf_frame_check(r);
    size_t done = 0;

    while (st == PF_FRAME_NEED_MORE && done < n) {
        size_t room;
        unsigned char *dst = pf_frame_space(r, &room);
        size_t chunk;

        if (!dst || room == 0)
            break;
        chunk = n - done < room ? n - done : room;
        memcpy(dst, src + done, chunk);
        done += chunk;
        st = pf_frame_commit(r, chunk);
    }
    if (used)
        *used = done;
    return st;
}

/* Line framing: search for '\n' among the first max bytes, resuming where
 * the last search stopped so byte-at-a-time input stays linear. */
static enum pf_frame_status frame_check_line(struct pf_frame_reader *r)
{
    size_t limit = r->len < r->max ? r->len : r->max;
    const unsigned char *nl;

    if (r->scanned < limit) {
        nl = memchr(r->buf + r->scanned, '\n', limit - r->scanned);
        if (nl) {
            r->frame_len = (size_t)(nl - r->buf) + 1;
            return PF_FRAME_READY;
        }
        r->scanned = limit;
    }
    return r->len >= r->max ? PF_FRAME_TOO_LONG : PF_FRAME_NEED_MORE;
}

/* Length framing: judge the header as soon as its 4 bytes are in, then
 * wait for the payload it announces. */
static enum pf_frame_status frame_check_length(struct pf_frame_reader *r)
{
    uint32_t payload;

    if (r->len < PF_FRAME_HEADER_LEN)
        return PF_FRAME_NEED_MORE;
    payload = pf_frame_get_length(r->buf);
    if ((uint64_t)payload > (uint64_t)frame_payload_max(r->max))
        return PF_FRAME_TOO_LONG;
    if (r->len - PF_FRAME_HEADER_LEN < (size_t)payload)
        return PF_FRAME_NEED_MORE;
    r->frame_len = PF_FRAME_HEADER_LEN + (size_t)payload;
    return PF_FRAME_READY;
}

/* Is a whole frame at the front? Cheap to call repeatedly: a found frame
 * is remembered in frame_len until consumed. */
enum pf_frame_status pf_frame_check(struct pf_frame_reader *r)
{
    if (r->frame_len > 0)
        return PF_FRAME_READY;
    if (r->kind == PF_FRAME_LINE)
        return frame_check_line(r);
    return frame_check_length(r);
}

/* The ready frame, header or '\n' included; length 0 when none is ready. */
const unsigned char *pf_frame_data(const struct pf_frame_reader *r, size_t *len)
{
    *len = r->frame_len;
    return r->buf;
}

/* Give memory back after a large frame once what is left fits in the
 * initial size, so one big message does not pin a big buffer for the rest
 * of a long connection. A failed shrink just keeps the larger buffer. */
static void frame_shrink(struct pf_frame_reader *r)
{
    size_t bound = pf_frame_bound(r->kind, r->max);
    size_t small = bound < FRAME_INITIAL_CAP ? bound : FRAME_INITIAL_CAP;
    unsigned char *nbuf;

    if (r->cap <= small || r->len > small || small == 0)
        return;
    nbuf = realloc(r->buf, small);
    if (nbuf) {
        r->buf = nbuf;
        r->cap = small;
    }
}

/* Drop the ready frame and move the bytes after it (pipelined frames) to
 * the front; they are scanned afresh by the next pf_frame_check. A no-op
 * when no frame is ready. */
void pf_frame_consume(struct pf_frame_reader *r)
{
    if (r->frame_len == 0)
        return;
    r->len -= r->frame_len;
    memmove(r->buf, r->buf + r->frame_len, r->len);
    r->frame_len = 0;
    r->scanned = 0;
    frame_shrink(r);
}

/* Forget every buffered byte (a new connection starts clean) and give a
 * grown buffer back. */
void pf_frame_reset(struct pf_frame_reader *r)
{
    r->len = 0;
    r->scanned = 0;
    r->frame_len = 0;
    frame_shrink(r);
}

/* Bytes buffered: 0 only at a frame boundary, so a close with pending > 0
 * came in the middle of a message. */
size_t pf_frame_pending(const struct pf_frame_reader *r)
{
    return r->len;
}

/* Big-endian (network order) 32-bit length, byte by byte: no alignment or
 * host-order assumptions. */
void pf_frame_put_length(unsigned char out[PF_FRAME_HEADER_LEN], uint32_t len)
{
    out[0] = (unsigned char)(len >> 24);
    out[1] = (unsigned char)(len >> 16);
    out[2] = (unsigned char)(len >> 8);
    out[3] = (unsigned char)len;
}

/* Inverse of pf_frame_put_length. */
uint32_t pf_frame_get_length(const unsigned char in[PF_FRAME_HEADER_LEN])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | (uint32_t)in[3];
}
