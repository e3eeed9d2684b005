/* fuzz_frame: line framing and length-prefix framing (common/pf_frame.c),
 * driven like a connection drives them and compared with a model that
 * cuts the whole stream into frames in one go.
 *
 * Input: byte 0 picks the framing (bit 0: line or length) and max (bits
 * 1-3, from 0 to "unbounded"); byte 1 seeds the chunk sizes the stream
 * arrives in; the rest is the stream.
 *
 * Each input is run twice through one reader: first received through
 * pf_frame_space/pf_frame_commit in chunks of varying size, then, after
 * pf_frame_reset, through pf_frame_feed one byte at a time (so a reader
 * reused after a reset is covered too).
 *
 * Invariants, abort() on any violation:
 *  - len <= cap <= pf_frame_bound(kind, max), scanned <= len, and
 *    pf_frame_pending equals the bytes received less those consumed;
 *  - while the status is NEED_MORE, pf_frame_space offers at least one
 *    byte and pf_frame_feed takes at least one;
 *  - every READY frame is, byte for byte, the model's next frame: a line
 *    is at most max bytes and ends with its only '\n'; a length frame is
 *    its 4-byte header plus the payload it announces, at most max;
 *  - TOO_LONG exactly where the model says the next frame is too long;
 *  - once the stream is in, the bytes left are the model's unfinished
 *    frame.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz_check.h"
#include "pf_frame.h"

/* max values byte 0 chooses from: empty, tiny, typical, unbounded. */
static const size_t max_values[] = {0, 1, 2, 3, 7, 64, 4096, SIZE_MAX};

/* What the model finds at a position of the stream. */
enum model_kind { MODEL_FRAME, MODEL_TOO_LONG, MODEL_UNFINISHED };

/* The frame the model finds at s[pos..n): its kind and, for a frame, its
 * whole length. A line is the bytes up to the first '\n' among the next
 * max; a length frame is a 4-byte big-endian length and that payload. */
static enum model_kind model_at(enum pf_frame_kind kind, size_t max, const uint8_t *s, size_t n,
                                size_t pos, size_t *len)
{
    size_t left = n - pos;
    uint64_t payload;

    if (kind == PF_FRAME_LINE) {
        size_t look = left < max ? left : max;
        const uint8_t *nl = memchr(s + pos, '\n', look);

        if (nl) {
            *len = (size_t)(nl - (s + pos)) + 1;
            return MODEL_FRAME;
        }
        return left >= max ? MODEL_TOO_LONG : MODEL_UNFINISHED;
    }
    if (left < 4)
        return MODEL_UNFINISHED;
    payload = (uint64_t)s[pos] << 24 | (uint64_t)s[pos + 1] << 16 | (uint64_t)s[pos + 2] << 8 |
              s[pos + 3];
    if (payload > (uint64_t)max)
        return MODEL_TOO_LONG;
    if (left - 4 < payload)
        return MODEL_UNFINISHED;
    *len = 4 + (size_t)payload;
    return MODEL_FRAME;
}

/* The reader's own invariants (pf_frame.c states them). */
static void check_reader(const struct pf_frame_reader *r, size_t pending)
{
    FUZZ_CHECK(r->len <= r->cap, "len beyond cap");
    FUZZ_CHECK(r->cap <= pf_frame_bound(r->kind, r->max), "cap beyond the bound");
    FUZZ_CHECK(r->scanned <= r->len, "scanned beyond len");
    FUZZ_CHECK(r->frame_len <= r->len, "frame beyond the buffered bytes");
    FUZZ_CHECK(pf_frame_pending(r) == pending, "pending is not received less consumed");
}

/* A READY frame: the model's next one, byte for byte, and well formed. */
static void check_frame(const struct pf_frame_reader *r, const uint8_t *s, size_t n, size_t pos)
{
    size_t len = 0, want = 0;
    const unsigned char *f = pf_frame_data(r, &len);

    FUZZ_CHECK(model_at(r->kind, r->max, s, n, pos, &want) == MODEL_FRAME,
               "READY where the model has no frame");
    FUZZ_CHECK(len == want && len > 0 && memcmp(f, s + pos, len) == 0,
               "frame differs from the model's");
    if (r->kind == PF_FRAME_LINE) {
        FUZZ_CHECK(len <= r->max && f[len - 1] == '\n' && memchr(f, '\n', len - 1) == NULL,
                   "line frame malformed");
    } else {
        FUZZ_CHECK(len >= PF_FRAME_HEADER_LEN && pf_frame_get_length(f) == len - 4 &&
                       len - 4 <= r->max,
                   "length frame malformed");
    }
}

/* Chunk sizes: a small xorshift generator seeded by byte 1, so that one
 * input always arrives the same way. */
struct chunker {
    uint32_t state;
    size_t limit;
};

/* The next chunk size, 1..limit. */
static size_t chunk_next(struct chunker *c)
{
    c->state ^= c->state << 13;
    c->state ^= c->state >> 17;
    c->state ^= c->state << 5;
    return 1 + c->state % c->limit;
}

/* Put up to want bytes of s[fed..n) into r: through the space it offers,
 * or through pf_frame_feed. Returns how many went in and the status. */
static size_t receive(struct pf_frame_reader *r, const uint8_t *s, size_t n, size_t fed,
                      size_t want, bool use_space, enum pf_frame_status *st)
{
    size_t k = want < n - fed ? want : n - fed, room = 0, used = 0;
    unsigned char *dst;

    if (!use_space) {
        *st = pf_frame_feed(r, s + fed, k, &used);
        FUZZ_CHECK(used > 0 || *st != PF_FRAME_NEED_MORE, "feed took nothing");
        return used;
    }
    dst = pf_frame_space(r, &room);
    FUZZ_CHECK(dst != NULL && room > 0, "no room while more is needed");
    k = k < room ? k : room;
    memcpy(dst, s + fed, k);
    *st = pf_frame_commit(r, k);
    return k;
}

/* Run the stream s[0..n) through r, consuming every frame, and compare
 * with the model all the way; the reader starts empty. */
static void drive(struct pf_frame_reader *r, const uint8_t *s, size_t n, struct chunker *ch,
                  bool use_space)
{
    enum pf_frame_status st = pf_frame_check(r);
    size_t fed = 0, pos = 0, len = 0;

    for (;;) {
        check_reader(r, fed - pos);
        if (st == PF_FRAME_READY) {
            check_frame(r, s, n, pos);
            pf_frame_data(r, &len);
            pos += len;
            pf_frame_consume(r);
            st = pf_frame_check(r);
            continue;
        }
        if (st == PF_FRAME_TOO_LONG) {
            FUZZ_CHECK(model_at(r->kind, r->max, s, n, pos, &len) == MODEL_TOO_LONG,
                       "TOO_LONG where the model has none");
            return;
        }
        FUZZ_CHECK(st == PF_FRAME_NEED_MORE, "status out of range");
        if (fed == n)
            break;
        fed += receive(r, s, n, fed, ch ? chunk_next(ch) : 1, use_space, &st);
    }
    FUZZ_CHECK(model_at(r->kind, r->max, s, n, pos, &len) == MODEL_UNFINISHED,
               "NEED_MORE at the end where the model has a whole frame or too long");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t limits[] = {1, 3, 64, 1 << 20};
    enum pf_frame_kind kind;
    struct pf_frame_reader r;
    struct chunker ch;
    uint8_t *stream;

    if (size < 2)
        return 0;
    kind = (data[0] & 1) ? PF_FRAME_LENGTH : PF_FRAME_LINE;
    ch.state = 0x9e3779b9u ^ (uint32_t)data[1] * 0x01000193u;
    ch.limit = limits[data[1] & 3];
    stream = (uint8_t *)fuzz_dup(data + 2, size - 2);
    FUZZ_CHECK(pf_frame_init(&r, kind, max_values[(data[0] >> 1) & 7]) == 0, "init failed");
    drive(&r, stream, size - 2, &ch, true);
    pf_frame_reset(&r);
    check_reader(&r, 0);
    drive(&r, stream, size - 2, NULL, false);
    pf_frame_free(&r);
    free(stream);
    return 0;
}
