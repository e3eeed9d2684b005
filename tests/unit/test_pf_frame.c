/* Unit tests for pf_frame: line and length framing over a byte stream. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pf_frame.h"

#define SMALL_MAX 64
#define MIB (1024u * 1024u)

/* Fixture: a reader with max SMALL_MAX, line or length framing. */
static int setup_reader(void **state, enum pf_frame_kind kind)
{
    struct pf_frame_reader *r = calloc(1, sizeof(*r));

    if (!r || pf_frame_init(r, kind, SMALL_MAX) != 0) {
        free(r);
        return -1;
    }
    *state = r;
    return 0;
}

static int setup_line(void **state)
{
    return setup_reader(state, PF_FRAME_LINE);
}

static int setup_length(void **state)
{
    return setup_reader(state, PF_FRAME_LENGTH);
}

static int teardown_reader(void **state)
{
    struct pf_frame_reader *r = *state;

    pf_frame_free(r);
    free(r);
    return 0;
}

/* Build a length frame (header + payload) into out; returns its size. */
static size_t make_length_frame(unsigned char *out, const void *payload, uint32_t n)
{
    pf_frame_put_length(out, n);
    if (n > 0)
        memcpy(out + PF_FRAME_HEADER_LEN, payload, n);
    return PF_FRAME_HEADER_LEN + (size_t)n;
}

/* Feed n bytes that must all fit and must yield want. */
static void feed_expect(struct pf_frame_reader *r, const void *data, size_t n,
                        enum pf_frame_status want)
{
    size_t used = (size_t)-1;

    assert_int_equal(pf_frame_feed(r, data, n, &used), want);
    assert_int_equal(used, n);
}

/* The ready frame must be exactly want[0..n). */
static void expect_frame(struct pf_frame_reader *r, const void *want, size_t n)
{
    size_t len = 0;
    const unsigned char *data;

    assert_int_equal(pf_frame_check(r), PF_FRAME_READY);
    data = pf_frame_data(r, &len);
    assert_int_equal(len, n);
    assert_memory_equal(data, want, n);
}

/* The ready frame must be want[0..n); then drop it. */
static void take_frame(struct pf_frame_reader *r, const void *want, size_t n)
{
    expect_frame(r, want, n);
    pf_frame_consume(r);
}

/* No whole frame yet, and n bytes buffered (0: at a frame boundary). */
static void expect_partial(struct pf_frame_reader *r, size_t n)
{
    assert_int_equal(pf_frame_check(r), PF_FRAME_NEED_MORE);
    assert_int_equal(pf_frame_pending(r), n);
}

/* Feed data one byte at a time through space/commit: NEED_MORE before the
 * last byte, want exactly at it. */
static void feed_bytewise(struct pf_frame_reader *r, const unsigned char *data, size_t n,
                          enum pf_frame_status want)
{
    for (size_t i = 0; i < n; i++) {
        size_t room = 0;
        unsigned char *p = pf_frame_space(r, &room);

        assert_non_null(p);
        assert_true(room >= 1);
        *p = data[i];
        assert_int_equal(pf_frame_commit(r, 1), i + 1 < n ? PF_FRAME_NEED_MORE : want);
    }
}

/* ---- line framing ---------------------------------------------------- */

/* A whole line in one feed is ready and returned with its '\n'. */
static void test_line_whole(void **state)
{
    struct pf_frame_reader *r = *state;

    assert_int_equal(pf_frame_check(r), PF_FRAME_NEED_MORE);
    feed_expect(r, "hello\n", 6, PF_FRAME_READY);
    expect_frame(r, "hello\n", 6);
    assert_int_equal(pf_frame_pending(r), 6);
    pf_frame_consume(r);
    expect_partial(r, 0);
}

/* Byte by byte: READY exactly at the '\n'; scanning resumes where it
 * stopped (scanned follows len), so the cost stays linear. */
static void test_line_bytewise(void **state)
{
    struct pf_frame_reader *r = *state;
    const char *line = "one byte at a time\n";
    size_t n = strlen(line);

    feed_bytewise(r, (const unsigned char *)line, n - 1, PF_FRAME_NEED_MORE);
    assert_int_equal(r->scanned, n - 1);
    feed_bytewise(r, (const unsigned char *)line + n - 1, 1, PF_FRAME_READY);
    expect_frame(r, line, n);
}

/* Several lines in one feed come out one by one; the partial tail stays. */
static void test_line_pipelined(void **state)
{
    struct pf_frame_reader *r = *state;
    const char *in = "a\nbb\n\nccc\ndd";

    feed_expect(r, in, strlen(in), PF_FRAME_READY);
    take_frame(r, "a\n", 2);
    take_frame(r, "bb\n", 3);
    take_frame(r, "\n", 1);
    take_frame(r, "ccc\n", 4);
    expect_partial(r, 2);
    feed_expect(r, "d\n", 2, PF_FRAME_READY);
    expect_frame(r, "ddd\n", 4);
}

/* max bytes without '\n' is TOO_LONG, exactly at the max-th byte;
 * one byte fewer still waits. */
static void test_line_too_long(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char line[SMALL_MAX];

    memset(line, 'x', sizeof(line));
    feed_bytewise(r, line, SMALL_MAX, PF_FRAME_TOO_LONG);
    assert_int_equal(pf_frame_check(r), PF_FRAME_TOO_LONG);
    assert_int_equal(pf_frame_pending(r), SMALL_MAX);
}

/* A line of exactly max bytes, '\n' included, is accepted, and with it in
 * the buffer at its bound there is no room left (nor needed). */
static void test_line_max_exact(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char line[SMALL_MAX];
    size_t room = 99;

    memset(line, 'x', sizeof(line));
    line[SMALL_MAX - 1] = '\n';
    feed_expect(r, line, sizeof(line), PF_FRAME_READY);
    expect_frame(r, line, sizeof(line));
    assert_non_null(pf_frame_space(r, &room));
    assert_int_equal(room, 0);
    pf_frame_consume(r);
    assert_int_equal(pf_frame_pending(r), 0);
    assert_non_null(pf_frame_space(r, &room));
    assert_int_equal(room, SMALL_MAX);
}

/* A '\n' beyond max does not rescue a line: the first max bytes decide. */
static void test_line_newline_after_max(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char line[SMALL_MAX + 1];
    size_t used = 0;

    memset(line, 'x', sizeof(line));
    line[SMALL_MAX] = '\n';
    assert_int_equal(pf_frame_feed(r, line, sizeof(line), &used), PF_FRAME_TOO_LONG);
    assert_int_equal(used, SMALL_MAX);
}

/* A pipelined line that is too long is only reported when it reaches the
 * front; the line before it is still delivered. */
static void test_line_too_long_after_good(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char in[3 + SMALL_MAX];
    size_t used = 0;

    memcpy(in, "ok\n", 3);
    memset(in + 3, 'y', SMALL_MAX);
    assert_int_equal(pf_frame_feed(r, in, sizeof(in), &used), PF_FRAME_READY);
    assert_int_equal(used, SMALL_MAX); /* the buffer holds one whole line */
    take_frame(r, "ok\n", 3);
    assert_int_equal(pf_frame_check(r), PF_FRAME_NEED_MORE);
    feed_expect(r, in + used, sizeof(in) - used, PF_FRAME_TOO_LONG);
}

/* ---- length framing -------------------------------------------------- */

/* A whole frame in one feed is returned with its header. */
static void test_length_whole(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char frame[PF_FRAME_HEADER_LEN + 5];
    size_t n = make_length_frame(frame, "hello", 5);

    feed_expect(r, frame, n, PF_FRAME_READY);
    take_frame(r, "\0\0\0\5hello", 9);
    expect_partial(r, 0);
}

/* Byte by byte, header included: READY exactly at the last payload byte. */
static void test_length_bytewise(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char frame[PF_FRAME_HEADER_LEN + 10];
    size_t n = make_length_frame(frame, "0123456789", 10);

    feed_bytewise(r, frame, n, PF_FRAME_READY);
    expect_frame(r, frame, n);
}

/* Three frames (one empty) and half a fourth in one feed. */
static void test_length_pipelined(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char in[64];
    size_t n = 0;

    n += make_length_frame(in + n, "abc", 3);
    n += make_length_frame(in + n, NULL, 0);
    n += make_length_frame(in + n, "defgh", 5);
    n += make_length_frame(in + n, "xy", 2) - 1; /* last byte missing */
    feed_expect(r, in, n, PF_FRAME_READY);
    take_frame(r, "\0\0\0\3abc", 7);
    take_frame(r, "\0\0\0\0", 4);
    take_frame(r, "\0\0\0\5defgh", 9);
    expect_partial(r, 5);
    feed_expect(r, "y", 1, PF_FRAME_READY);
    expect_frame(r, "\0\0\0\2xy", 6);
}

/* A header announcing max + 1 is TOO_LONG at its 4th byte, before any
 * payload; three header bytes still wait. */
static void test_length_too_long(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char hdr[PF_FRAME_HEADER_LEN];

    pf_frame_put_length(hdr, SMALL_MAX + 1);
    feed_bytewise(r, hdr, sizeof(hdr), PF_FRAME_TOO_LONG);
    assert_int_equal(pf_frame_check(r), PF_FRAME_TOO_LONG);
}

/* 0xFFFFFFFF against max 1 MiB: TOO_LONG, no allocation attempted. */
static void test_length_all_ones(void **state)
{
    struct pf_frame_reader r;
    const unsigned char hdr[PF_FRAME_HEADER_LEN] = {0xff, 0xff, 0xff, 0xff};
    size_t cap;

    (void)state;
    assert_int_equal(pf_frame_init(&r, PF_FRAME_LENGTH, MIB), 0);
    cap = r.cap;
    feed_expect(&r, hdr, sizeof(hdr), PF_FRAME_TOO_LONG);
    assert_int_equal(r.cap, cap);
    pf_frame_free(&r);
}

/* A payload of exactly max is accepted and fills the buffer to its bound. */
static void test_length_max_exact(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char payload[SMALL_MAX];
    unsigned char frame[PF_FRAME_HEADER_LEN + SMALL_MAX];
    size_t n;
    size_t room = 99;

    memset(payload, 'p', sizeof(payload));
    n = make_length_frame(frame, payload, SMALL_MAX);
    feed_expect(r, frame, n, PF_FRAME_READY);
    expect_frame(r, frame, n);
    assert_non_null(pf_frame_space(r, &room));
    assert_int_equal(room, 0);
}

/* A zero-length message is a frame of just its header. */
static void test_length_zero(void **state)
{
    struct pf_frame_reader *r = *state;
    unsigned char hdr[PF_FRAME_HEADER_LEN];

    pf_frame_put_length(hdr, 0);
    feed_bytewise(r, hdr, sizeof(hdr), PF_FRAME_READY);
    expect_frame(r, "\0\0\0\0", 4);
    assert_int_equal(pf_frame_pending(r), 4);
    pf_frame_consume(r);
    expect_partial(r, 0);
}

/* ---- both framings --------------------------------------------------- */

/* Exact header bytes, both ways, and the round trip of extreme values. */
static void test_length_byte_order(void **state)
{
    unsigned char b[PF_FRAME_HEADER_LEN];
    static const unsigned char want258[] = {0x00, 0x00, 0x01, 0x02};
    static const unsigned char want_big[] = {0xde, 0xad, 0xbe, 0xef};

    (void)state;
    pf_frame_put_length(b, 258);
    assert_memory_equal(b, want258, 4);
    assert_int_equal(pf_frame_get_length(want258), 258);
    pf_frame_put_length(b, 0xdeadbeefu);
    assert_memory_equal(b, want_big, 4);
    assert_int_equal(pf_frame_get_length(want_big), 0xdeadbeefu);
    pf_frame_put_length(b, UINT32_MAX);
    assert_int_equal(pf_frame_get_length(b), UINT32_MAX);
    pf_frame_put_length(b, 0);
    assert_int_equal(pf_frame_get_length(b), 0);
}

/* Bounds: the line itself, or header + payload; no size_t wrap-around for
 * huge max (a length payload cannot exceed what 32 bits announce). */
static void test_bound(void **state)
{
    (void)state;
    assert_int_equal(pf_frame_bound(PF_FRAME_LINE, 100), 100);
    assert_int_equal(pf_frame_bound(PF_FRAME_LENGTH, 100), 104);
    assert_int_equal(pf_frame_bound(PF_FRAME_LENGTH, 0), 4);
    assert_int_equal(pf_frame_bound(PF_FRAME_LINE, SIZE_MAX / 2), SIZE_MAX / 2);
#if SIZE_MAX > UINT32_MAX
    assert_int_equal(pf_frame_bound(PF_FRAME_LENGTH, SIZE_MAX / 2), (size_t)UINT32_MAX + 4);
    assert_int_equal(pf_frame_bound(PF_FRAME_LENGTH, SIZE_MAX), (size_t)UINT32_MAX + 4);
#else
    assert_int_equal(pf_frame_bound(PF_FRAME_LENGTH, SIZE_MAX / 2), SIZE_MAX / 2 + 4);
    assert_int_equal(pf_frame_bound(PF_FRAME_LENGTH, SIZE_MAX), SIZE_MAX);
#endif
}

/* A huge max starts with a small buffer, and a 0xFFFFFFFF header is
 * allowed there (it needs more, rather than being refused or wrapping). */
static void test_huge_max(void **state)
{
    struct pf_frame_reader r;
    const unsigned char hdr[PF_FRAME_HEADER_LEN] = {0xff, 0xff, 0xff, 0xff};

    (void)state;
    assert_int_equal(pf_frame_init(&r, PF_FRAME_LENGTH, SIZE_MAX / 2), 0);
    assert_true(r.cap <= 4096);
    feed_expect(&r, hdr, sizeof(hdr), PF_FRAME_NEED_MORE);
    pf_frame_free(&r);

    assert_int_equal(pf_frame_init(&r, PF_FRAME_LINE, SIZE_MAX / 2), 0);
    assert_true(r.cap <= 4096);
    feed_expect(&r, "x", 1, PF_FRAME_NEED_MORE);
    pf_frame_free(&r);
}

/* Grow from the small initial buffer to a 1 MiB frame received in 1000
 * byte pieces, doubling each time (the last step clamped to the bound), then give the memory back once the frame is consumed. */
static void run_growth(enum pf_frame_kind kind)
{
    struct pf_frame_reader r;
    size_t total = kind == PF_FRAME_LINE ? MIB : PF_FRAME_HEADER_LEN + MIB;
    unsigned char *frame = malloc(total);
    size_t off = 0;
    size_t initial, prev_cap;
    enum pf_frame_status st = PF_FRAME_NEED_MORE;

    assert_non_null(frame);
    for (size_t i = 0; i < total; i++)
        frame[i] = (unsigned char)('a' + i % 26);
    if (kind == PF_FRAME_LINE)
        frame[total - 1] = '\n';
    else
        pf_frame_put_length(frame, MIB);
    assert_int_equal(pf_frame_init(&r, kind, MIB), 0);
    initial = r.cap;
    prev_cap = initial;
    assert_true(initial <= 4096);
    while (off < total) {
        size_t room = 0;
        unsigned char *p = pf_frame_space(&r, &room);
        size_t n = total - off < 1000 ? total - off : 1000;

        assert_int_equal(st, PF_FRAME_NEED_MORE);
        assert_true(r.cap == prev_cap || r.cap == 2 * prev_cap || r.cap == total);
        prev_cap = r.cap;
        assert_non_null(p);
        assert_true(room >= 1);
        n = n < room ? n : room;
        memcpy(p, frame + off, n);
        off += n;
        st = pf_frame_commit(&r, n);
    }
    assert_int_equal(st, PF_FRAME_READY);
    assert_int_equal(r.cap, total);
    take_frame(&r, frame, total);
    assert_int_equal(pf_frame_pending(&r), 0);
    assert_int_equal(r.cap, initial);
    pf_frame_free(&r);
    free(frame);
}

static void test_growth_line(void **state)
{
    (void)state;
    run_growth(PF_FRAME_LINE);
}

static void test_growth_length(void **state)
{
    (void)state;
    run_growth(PF_FRAME_LENGTH);
}

/* pf_frame_feed stops at a READY frame even when more data would fit after
 * growing: the caller consumes and feeds the rest from data + used. */
static void test_feed_stops_at_ready(void **state)
{
    struct pf_frame_reader r;
    size_t n = 10000;
    unsigned char *in = malloc(n);
    size_t used = 0;

    (void)state;
    assert_non_null(in);
    memset(in, 'y', n);
    memcpy(in, "x\n", 2);
    in[n - 1] = '\n';
    assert_int_equal(pf_frame_init(&r, PF_FRAME_LINE, 2 * n), 0);
    assert_int_equal(pf_frame_feed(&r, in, n, &used), PF_FRAME_READY);
    assert_true(used >= 2);
    assert_true(used < n);
    take_frame(&r, "x\n", 2);
    assert_int_equal(pf_frame_pending(&r), used - 2);
    feed_expect(&r, in + used, n - used, PF_FRAME_READY);
    expect_frame(&r, in + 2, n - 2);
    pf_frame_free(&r);
    free(in);
}

/* Pending is 0 only at a frame boundary; after a partial frame it is the
 * count buffered, which is how a caller tells an early close mid-message
 * from a clean one. */
static void test_pending_and_early_close(void **state)
{
    struct pf_frame_reader line, len;
    unsigned char frame[PF_FRAME_HEADER_LEN + 3];

    (void)state;
    assert_int_equal(pf_frame_init(&line, PF_FRAME_LINE, SMALL_MAX), 0);
    assert_int_equal(pf_frame_pending(&line), 0);
    feed_expect(&line, "done\npart", 9, PF_FRAME_READY);
    pf_frame_consume(&line);
    expect_partial(&line, 4); /* closed now: mid-message */
    feed_expect(&line, "\n", 1, PF_FRAME_READY);
    pf_frame_consume(&line);
    expect_partial(&line, 0); /* closed now: clean */
    pf_frame_free(&line);

    assert_int_equal(pf_frame_init(&len, PF_FRAME_LENGTH, SMALL_MAX), 0);
    make_length_frame(frame, "abc", 3);
    feed_expect(&len, frame, 2, PF_FRAME_NEED_MORE); /* half a header */
    expect_partial(&len, 2);
    feed_expect(&len, frame + 2, 3, PF_FRAME_NEED_MORE); /* header + 1 byte */
    expect_partial(&len, 5);
    feed_expect(&len, frame + 5, 2, PF_FRAME_READY);
    pf_frame_consume(&len);
    expect_partial(&len, 0);
    pf_frame_free(&len);
}

/* reset drops a half-received frame (a connection that ended mid-message)
 * and a grown buffer, and the reader parses the next connection's frame. */
static void test_reset(void **state)
{
    struct pf_frame_reader r;
    static unsigned char big[PF_FRAME_HEADER_LEN + 100000];

    (void)state;
    assert_int_equal(pf_frame_init(&r, PF_FRAME_LENGTH, sizeof(big)), 0);
    pf_frame_put_length(big, sizeof(big) - PF_FRAME_HEADER_LEN);
    feed_expect(&r, big, sizeof(big) - 1, PF_FRAME_NEED_MORE);
    assert_true(r.cap >= sizeof(big) - 1);
    pf_frame_reset(&r);
    expect_partial(&r, 0);
    assert_true(r.cap <= 4096);
    make_length_frame(big, "ok", 2);
    feed_expect(&r, big, PF_FRAME_HEADER_LEN + 2, PF_FRAME_READY);
    take_frame(&r, big, PF_FRAME_HEADER_LEN + 2);
    pf_frame_free(&r);
}

/* consume without a ready frame changes nothing; data reports length 0. */
static void test_consume_not_ready(void **state)
{
    struct pf_frame_reader *r = *state;
    size_t len = 99;

    feed_expect(r, "abc", 3, PF_FRAME_NEED_MORE);
    pf_frame_consume(r);
    assert_int_equal(pf_frame_pending(r), 3);
    pf_frame_data(r, &len);
    assert_int_equal(len, 0);
}

/* A line framing with max 0 refuses everything at once, without room. */
static void test_line_max_zero(void **state)
{
    struct pf_frame_reader r;
    size_t room = 99;

    (void)state;
    assert_int_equal(pf_frame_init(&r, PF_FRAME_LINE, 0), 0);
    assert_int_equal(pf_frame_check(&r), PF_FRAME_TOO_LONG);
    assert_non_null(pf_frame_space(&r, &room));
    assert_int_equal(room, 0);
    pf_frame_free(&r);
    pf_frame_free(&r); /* twice is harmless */
}

/* Random frames fed in random-sized pieces (fixed seed) come out intact
 * and in order, and room is never 0 while more is needed. */
static void run_random_stream(enum pf_frame_kind kind, unsigned seed)
{
    enum { FRAMES = 400, MAXP = 300 };
    size_t max = kind == PF_FRAME_LINE ? MAXP + 1 : MAXP;
    unsigned char *stream = malloc(FRAMES * (MAXP + PF_FRAME_HEADER_LEN + 1));
    size_t *ends = malloc(FRAMES * sizeof(*ends));
    size_t total = 0, off = 0, got = 0, start = 0;
    struct pf_frame_reader r;

    assert_non_null(stream);
    assert_non_null(ends);
    srand(seed);
    for (int f = 0; f < FRAMES; f++) {
        size_t n = (size_t)rand() % (MAXP + 1);
        if (kind == PF_FRAME_LENGTH) {
            pf_frame_put_length(stream + total, (uint32_t)n);
            total += PF_FRAME_HEADER_LEN;
        }
        for (size_t i = 0; i < n; i++)
            stream[total++] = (unsigned char)('A' + rand() % 26);
        if (kind == PF_FRAME_LINE)
            stream[total++] = '\n';
        ends[f] = total;
    }
    assert_int_equal(pf_frame_init(&r, kind, max), 0);
    while (got < FRAMES) {
        enum pf_frame_status st = pf_frame_check(&r);
        if (st == PF_FRAME_READY) {
            expect_frame(&r, stream + start, ends[got] - start);
            start = ends[got++];
            pf_frame_consume(&r);
            continue;
        }
        assert_int_equal(st, PF_FRAME_NEED_MORE);
        size_t room = 0;
        unsigned char *p = pf_frame_space(&r, &room);
        assert_non_null(p);
        assert_true(room >= 1);
        size_t n = 1 + (size_t)rand() % 700;
        n = n < room ? n : room;
        n = n < total - off ? n : total - off;
        assert_true(n >= 1);
        memcpy(p, stream + off, n);
        off += n;
        pf_frame_commit(&r, n);
    }
    assert_int_equal(off, total);
    assert_int_equal(pf_frame_pending(&r), 0);
    pf_frame_free(&r);
    free(ends);
    free(stream);
}

static void test_random_line(void **state)
{
    (void)state;
    run_random_stream(PF_FRAME_LINE, 1);
    run_random_stream(PF_FRAME_LINE, 2);
}

static void test_random_length(void **state)
{
    (void)state;
    run_random_stream(PF_FRAME_LENGTH, 3);
    run_random_stream(PF_FRAME_LENGTH, 4);
}

#define LINE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_line, teardown_reader)
#define LENGTH_TEST(f) cmocka_unit_test_setup_teardown(f, setup_length, teardown_reader)

int main(void)
{
    const struct CMUnitTest tests[] = {
        LINE_TEST(test_line_whole),
        LINE_TEST(test_line_bytewise),
        LINE_TEST(test_line_pipelined),
        LINE_TEST(test_line_too_long),
        LINE_TEST(test_line_max_exact),
        LINE_TEST(test_line_newline_after_max),
        LINE_TEST(test_line_too_long_after_good),
        LINE_TEST(test_consume_not_ready),
        LENGTH_TEST(test_length_whole),
        LENGTH_TEST(test_length_bytewise),
        LENGTH_TEST(test_length_pipelined),
        LENGTH_TEST(test_length_too_long),
        LENGTH_TEST(test_length_max_exact),
        LENGTH_TEST(test_length_zero),
        LENGTH_TEST(test_consume_not_ready),
        cmocka_unit_test(test_length_all_ones),
        cmocka_unit_test(test_length_byte_order),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_huge_max),
        cmocka_unit_test(test_growth_line),
        cmocka_unit_test(test_growth_length),
        cmocka_unit_test(test_feed_stops_at_ready),
        cmocka_unit_test(test_pending_and_early_close),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_line_max_zero),
        cmocka_unit_test(test_random_line),
        cmocka_unit_test(test_random_length),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
