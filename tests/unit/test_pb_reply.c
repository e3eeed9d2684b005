/* Unit tests for pb_reply: recognising one reply, fed in any pieces.
 *
 * Most cases are table rows (struct vec), each fed three ways: all at
 * once, one byte at a time, and split into two pieces at every position.
 * Every way must give the same verdict, status code, body length,
 * close_after and total_bytes, and (unless malformed) consume exactly the
 * reply, leaving pipelined bytes after it to the caller.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_reply.h"

/* One case: a reply as sent, and what must be made of it. */
struct vec {
    const char *name;
    pb_reply_proto_t proto;
    bool head;          /* http: the request was HEAD */
    const char *expect; /* echo/msg: the line / payload sent */
    const char *bytes;  /* the reply */
    size_t len;
    const char *extra; /* bytes the server sent after it, or NULL */
    bool eof;          /* the server closes after the bytes */
    pb_reply_status_t want;
    int code;      /* checked when DONE */
    uint64_t body; /* checked when DONE */
    bool close;    /* checked when DONE */
};

#define BYTES(s) .bytes = (s), .len = sizeof(s) - 1
#define DONE(c, b, cl) .want = PB_REPLY_DONE, .code = (c), .body = (b), .close = (cl)
#define MORE .want = PB_REPLY_MORE
#define BAD .want = PB_REPLY_MALFORMED

/* What one way of feeding made of a reply. */
struct outcome {
    pb_reply_status_t st;
    int code;
    uint64_t body;
    bool close;
    uint64_t total;
    size_t used; /* sum of *used over the pieces (not if malformed) */
};

/* The parser: 8 KiB of line buffer, kept off the stack. */
static pb_reply_t reply;

static void start(pb_reply_t *r, const struct vec *v)
{
    const unsigned char *e = (const unsigned char *)v->expect;

    if (v->proto == PB_REPLY_HTTP)
        pb_reply_start_http(r, v->head);
    else if (v->proto == PB_REPLY_ECHO)
        pb_reply_start_echo(r, e, strlen(v->expect));
    else
        pb_reply_start_msg(r, e, strlen(v->expect));
}

/* Feed buf[0..n): first `first` bytes (possibly none), then pieces of
 * `step` bytes, stopping at a verdict; then EOF if the vector says so. */
static struct outcome run(const struct vec *v, const unsigned char *buf, size_t n, size_t first,
                          size_t step)
{
    struct outcome o = {0};
    size_t piece = first;

    start(&reply, v);
    for (;;) {
        size_t len = piece < n - o.used ? piece : n - o.used;
        size_t used = SIZE_MAX;

        o.st = pb_reply_feed(&reply, buf + o.used, len, &used);
        if (o.st == PB_REPLY_MALFORMED)
            break;
        if (o.st == PB_REPLY_MORE)
            assert_int_equal(used, len);
        assert_true(used <= len);
        o.used += used;
        if (o.st != PB_REPLY_MORE || o.used == n)
            break;
        piece = step;
    }
    if (o.st == PB_REPLY_MORE && v->eof)
        o.st = pb_reply_eof(&reply);
    o.code = reply.status_code;
    o.body = reply.body_bytes;
    o.close = reply.close_after;
    o.total = reply.total_bytes;
    return o;
}

static void same_outcome(const struct vec *v, const char *how, size_t at, const struct outcome *got,
                         const struct outcome *want)
{
    if (got->st != want->st || got->code != want->code || got->body != want->body ||
        got->close != want->close || got->total != want->total ||
        (want->st != PB_REPLY_MALFORMED && got->used != want->used))
        fail_msg("%s: fed %s %zu: verdict %d code %d body %llu close %d total %llu used %zu,"
                 " all at once: %d %d %llu %d %llu %zu",
                 v->name, how, at, got->st, got->code, (unsigned long long)got->body, got->close,
                 (unsigned long long)got->total, got->used, want->st, want->code,
                 (unsigned long long)want->body, want->close, (unsigned long long)want->total,
                 want->used);
}

/* The result fed all at once must be what the vector says. */
static void expected_outcome(const struct vec *v, const struct outcome *o)
{
    bool ok = o->st == v->want;

    if (ok && o->st == PB_REPLY_DONE)
        ok = o->code == v->code && o->body == v->body && o->close == v->close;
    if (ok && o->st != PB_REPLY_MALFORMED)
        ok = o->total == v->len && o->used == v->len;
    if (!ok)
        fail_msg("%s: verdict %d (want %d) code %d (%d) body %llu (%llu) close %d (%d)"
                 " total %llu used %zu (%zu)",
                 v->name, o->st, v->want, o->code, v->code, (unsigned long long)o->body,
                 (unsigned long long)v->body, o->close, v->close, (unsigned long long)o->total,
                 o->used, v->len);
}

/* Feed v all three ways (two-piece splits every `stride` positions). */
static void check_vec_stride(const struct vec *v, size_t stride)
{
    size_t extra = v->extra ? strlen(v->extra) : 0, n = v->len + extra;
    unsigned char *buf = malloc(n + 1);
    struct outcome whole, o;

    assert_non_null(buf);
    memcpy(buf, v->bytes, v->len);
    memcpy(buf + v->len, v->extra ? v->extra : "", extra);
    whole = run(v, buf, n, n, n);
    expected_outcome(v, &whole);
    o = run(v, buf, n, 1, 1);
    same_outcome(v, "bytewise", 1, &o, &whole);
    o = run(v, buf, n, 0, 1);
    same_outcome(v, "bytewise after an empty piece", 0, &o, &whole);
    for (size_t k = 0; k <= n; k += stride) {
        o = run(v, buf, n, k, n);
        same_outcome(v, "split at", k, &o, &whole);
    }
    free(buf);
}

static void check_vec(const struct vec *v)
{
    check_vec_stride(v, 1);
}

static void check_table(const struct vec *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_vec(&t[i]);
}

#define CHECK_TABLE(t) check_table((t), sizeof(t) / sizeof((t)[0]))

/* ---- HTTP: well-formed, and cut short ------------------------------------ */

static const struct vec http_valid[] = {
    {"content-length",
     BYTES("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
           "Content-Type: text/plain\r\n\r\nhello"),
     DONE(200, 5, false)},
    {"content-length zero", BYTES("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
     DONE(200, 0, false)},
    {"name case, value whitespace",
     BYTES("HTTP/1.1 200 OK\r\ncontent-LENGTH:\t 3 \t\r\n"
           "X-Empty:\r\n\r\nabc"),
     DONE(200, 3, false)},
    {"same length twice",
     BYTES("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
           "Content-Length: 2\r\n\r\nok"),
     DONE(200, 2, false)},
    {"no reason phrase", BYTES("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), DONE(200, 0, false)},
    {"empty reason phrase", BYTES("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"),
     DONE(200, 0, false)},
    {"error status", BYTES("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"),
     DONE(404, 9, false)},
    {"body with line ends", BYTES("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n\r\n\n\r\r\n"),
     DONE(200, 6, false)},
    {"chunked",
     BYTES("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
     DONE(200, 11, false)},
    {"chunked extensions, trailers",
     BYTES("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
           "5;name=value\r\nhello\r\n"
           "A ; x=\"y\"\r\n0123456789\r\n"
           "00;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"),
     DONE(200, 15, false)},
    {"chunked upper-case hex, codings",
     BYTES("HTTP/1.1 200 OK\r\n"
           "Transfer-Encoding: gzip, chunked\r\n\r\n"
           "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"),
     DONE(200, 26, false)},
    {"chunked beats length",
     BYTES("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
           "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
     DONE(200, 3, false)},
    {"chunk data with line ends",
     BYTES("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           "4\r\n\r\n\r\n\r\n0\r\n\r\n"),
     DONE(200, 4, false)},
    {"close-delimited", BYTES("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc\r\ndef"),
     .eof = true, DONE(200, 8, true)},
    {"close-delimited empty", BYTES("HTTP/1.0 200 OK\r\n\r\n"), .eof = true, DONE(200, 0, true)},
    {"close-delimited keep-alive", BYTES("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nxy"),
     .eof = true, DONE(200, 2, true)},
    {"HEAD", BYTES("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), .head = true,
     DONE(200, 0, false)},
    {"HEAD chunked", BYTES("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), .head = true,
     DONE(200, 0, false)},
    {"HEAD without length", BYTES("HTTP/1.1 200 OK\r\n\r\n"), .head = true, DONE(200, 0, false)},
    {"204", BYTES("HTTP/1.1 204 No Content\r\n\r\n"), DONE(204, 0, false)},
    {"304 with length",
     BYTES("HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\n"
           "ETag: \"x\"\r\n\r\n"),
     DONE(304, 0, false)},
    {"100-continue then 200",
     BYTES("HTTP/1.1 100 Continue\r\n\r\n"
           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
     DONE(200, 2, false)},
    {"two interim replies",
     BYTES("HTTP/1.1 100 Continue\r\n\r\n"
           "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n"
           "Content-Length: 7\r\n\r\n"
           "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
           "Content-Length: 0\r\n\r\n"),
     DONE(200, 0, false)},
    {"interim then close-delimited",
     BYTES("HTTP/1.1 100 Continue\r\n\r\n"
           "HTTP/1.1 200 OK\r\n\r\nbody"),
     .eof = true, DONE(200, 4, true)},
    {"101 switching protocols",
     BYTES("HTTP/1.1 101 Switching Protocols\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
     DONE(101, 0, true)},
    {"HTTP/1.0", BYTES("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"), DONE(200, 2, true)},
    {"HTTP/1.0 keep-alive",
     BYTES("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
           "Content-Length: 2\r\n\r\nok"),
     DONE(200, 2, false)},
    {"Connection: close",
     BYTES("HTTP/1.1 200 OK\r\nConnection: close\r\n"
           "Content-Length: 2\r\n\r\nok"),
     DONE(200, 2, true)},
    {"Connection list with CLOSE",
     BYTES("HTTP/1.1 200 OK\r\nconnection: Upgrade,, CLOSE \r\n"
           "Content-Length: 0\r\n\r\n"),
     DONE(200, 0, true)},
    {"Connection: keep-alive",
     BYTES("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
           "Content-Length: 0\r\n\r\n"),
     DONE(200, 0, false)},
    {"Connection: closed is not close",
     BYTES("HTTP/1.1 200 OK\r\nConnection: closed\r\n"
           "Content-Length: 0\r\n\r\n"),
     DONE(200, 0, false)},
    {"keep-alive then close",
     BYTES("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
           "Connection: close\r\nContent-Length: 0\r\n\r\n"),
     DONE(200, 0, true)},
    {"bare LF", BYTES("HTTP/1.1 200 OK\nContent-Length: 2\nX: y\n\nok"), DONE(200, 2, false)},
    {"bare LF chunked",
     BYTES("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"
           "2\nok\n0\nX-T: 1\n\n"),
     DONE(200, 2, false)},
    {"mixed line ends", BYTES("HTTP/1.1 200 OK\nContent-Length: 0\r\n\n"), DONE(200, 0, false)},
    {"cut in status line", BYTES("HTTP/1."), .eof = true, MORE},
    {"cut in headers", BYTES("HTTP/1.1 200 OK\r\nContent-Le"), .eof = true, MORE},
    {"cut before the empty line", BYTES("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"), .eof = true,
     MORE},
    {"cut in body", BYTES("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"), .eof = true, MORE},
    {"cut in chunk", BYTES("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"),
     .eof = true, MORE},
    {"cut before last chunk",
     BYTES("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           "2\r\nok\r\n"),
     .eof = true, MORE},
    {"cut in trailers",
     BYTES("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           "0\r\nX: 1\r\n"),
     .eof = true, MORE},
    {"cut after interim", BYTES("HTTP/1.1 100 Continue\r\n\r\n"), .eof = true, MORE},
    {"no close yet", BYTES("HTTP/1.1 200 OK\r\n\r\nabc"), MORE},
};

/* ---- HTTP: malformed ------------------------------------------------------ */

#define OK_HEAD "HTTP/1.1 200 OK\r\n"
#define CHUNKED_HEAD OK_HEAD "Transfer-Encoding: chunked\r\n\r\n"

static const struct vec http_invalid[] = {
    {"garbage line", BYTES("garbage\r\n\r\n"), BAD},
    {"garbage without line end", BYTES("hello world"), BAD},
    {"echo of a request", BYTES("GET / HTTP/1.1\r\n\r\n"), BAD},
    {"empty line first", BYTES("\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), BAD},
    {"HTTP/2", BYTES("HTTP/2 200 OK\r\n\r\n"), BAD},
    {"HTTP/1.2", BYTES("HTTP/1.2 200 OK\r\n\r\n"), BAD},
    {"lower-case version", BYTES("http/1.1 200 OK\r\n\r\n"), BAD},
    {"non-digit status", BYTES("HTTP/1.1 2x0 OK\r\n\r\n"), BAD},
    {"two-digit status", BYTES("HTTP/1.1 20 OK\r\n\r\n"), BAD},
    {"four-digit status", BYTES("HTTP/1.1 2000 OK\r\n\r\n"), BAD},
    {"no status", BYTES("HTTP/1.1\r\n\r\n"), BAD},
    {"no status after space", BYTES("HTTP/1.1 \r\n\r\n"), BAD},
    {"two spaces", BYTES("HTTP/1.1  200 OK\r\n\r\n"), BAD},
    {"length letters", BYTES(OK_HEAD "Content-Length: abc\r\n\r\n"), BAD},
    {"length negative", BYTES(OK_HEAD "Content-Length: -1\r\n\r\n"), BAD},
    {"length plus sign", BYTES(OK_HEAD "Content-Length: +5\r\n\r\nhello"), BAD},
    {"length empty", BYTES(OK_HEAD "Content-Length: \r\n\r\n"), BAD},
    {"length inner space", BYTES(OK_HEAD "Content-Length: 1 2\r\n\r\n"), BAD},
    {"length list", BYTES(OK_HEAD "Content-Length: 5, 5\r\n\r\nhello"), BAD},
    {"length hex", BYTES(OK_HEAD "Content-Length: 0x5\r\n\r\nhello"), BAD},
    {"length overflow", BYTES(OK_HEAD "Content-Length: 18446744073709551616\r\n\r\n"), BAD},
    {"conflicting lengths",
     BYTES(OK_HEAD "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"
                   "hello!"),
     BAD},
    {"bad length in HEAD reply", BYTES(OK_HEAD "Content-Length: x\r\n\r\n"), .head = true, BAD},
    {"bad chunk size", BYTES(CHUNKED_HEAD "zz\r\nhello\r\n0\r\n\r\n"), BAD},
    {"empty chunk size", BYTES(CHUNKED_HEAD "\r\nhello\r\n0\r\n\r\n"), BAD},
    {"chunk size then junk", BYTES(CHUNKED_HEAD "5 x\r\nhello\r\n0\r\n\r\n"), BAD},
    {"negative chunk size", BYTES(CHUNKED_HEAD "-5\r\nhello\r\n0\r\n\r\n"), BAD},
    {"chunk size overflow", BYTES(CHUNKED_HEAD "10000000000000000\r\nx\r\n"), BAD},
    {"chunk data too long", BYTES(CHUNKED_HEAD "5\r\nhelloX\r\n0\r\n\r\n"), BAD},
    {"bad trailer", BYTES(CHUNKED_HEAD "0\r\nnot a trailer\r\n\r\n"), BAD},
    {"header without colon", BYTES(OK_HEAD "NoColon\r\nContent-Length: 0\r\n\r\n"), BAD},
    {"header name with space", BYTES(OK_HEAD "Bad Name: x\r\nContent-Length: 0\r\n\r\n"), BAD},
    {"space before colon", BYTES(OK_HEAD "Content-Length : 0\r\n\r\n"), BAD},
    {"empty header name", BYTES(OK_HEAD ": x\r\nContent-Length: 0\r\n\r\n"), BAD},
    {"folded header", BYTES(OK_HEAD "X: a\r\n  b\r\nContent-Length: 0\r\n\r\n"), BAD},
    {"control char in name", BYTES(OK_HEAD "X\001Y: z\r\nContent-Length: 0\r\n\r\n"), BAD},
    {"NUL in value", BYTES(OK_HEAD "X: a\0b\r\nContent-Length: 0\r\n\r\n"), BAD},
    {"bare CR in status line", BYTES("HTTP/1.1 200 OK\rX: y\r\n\r\n"), BAD},
    {"bare CR in header", BYTES(OK_HEAD "X: a\rb\r\nContent-Length: 0\r\n\r\n"), BAD},
    {"CR CR LF", BYTES(OK_HEAD "Content-Length: 0\r\r\n\r\n"), BAD},
    {"unsupported coding", BYTES(OK_HEAD "Transfer-Encoding: gzip\r\n\r\nxx"), BAD},
    {"chunked not last", BYTES(OK_HEAD "Transfer-Encoding: chunked, gzip\r\n\r\n"), BAD},
    {"chunked twice",
     BYTES(OK_HEAD "Transfer-Encoding: chunked\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
     BAD},
    {"empty coding", BYTES(OK_HEAD "Transfer-Encoding: \r\n\r\n"), BAD},
    {"garbage after interim", BYTES("HTTP/1.1 100 Continue\r\n\r\nxyz\r\n\r\n"), BAD},
};

/* ---- Pipelined bytes after a complete reply -------------------------------- */

#define NEXT "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

static const struct vec pipelined[] = {
    {"content-length", BYTES("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), .extra = NEXT,
     DONE(200, 2, false)},
    {"content-length zero", BYTES(NEXT), .extra = "garbage", DONE(200, 0, false)},
    {"chunked", BYTES(CHUNKED_HEAD "2\r\nok\r\n0\r\n\r\n"), .extra = NEXT, DONE(200, 2, false)},
    {"chunked with trailer", BYTES(CHUNKED_HEAD "0\r\nX: 1\r\n\r\n"), .extra = "\r\n",
     DONE(200, 0, false)},
    {"204", BYTES("HTTP/1.1 204 No Content\r\n\r\n"), .extra = "body!", DONE(204, 0, false)},
    {"304", BYTES("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"), .extra = "hello",
     DONE(304, 0, false)},
    {"HEAD", BYTES("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), .head = true, .extra = "hello",
     DONE(200, 0, false)},
    {"interim then final", BYTES("HTTP/1.1 100 Continue\r\n\r\n" NEXT), .extra = NEXT,
     DONE(200, 0, false)},
    {"bare LF", BYTES("HTTP/1.1 200 OK\nContent-Length: 1\n\nx"), .extra = "\n",
     DONE(200, 1, false)},
    {"echo", .proto = PB_REPLY_ECHO, .expect = "hello\n", BYTES("hello\n"), .extra = "hello\n",
     DONE(0, 0, false)},
    {"msg", .proto = PB_REPLY_MSG, .expect = "hi", BYTES("\0\0\0\2hi"), .extra = "\2hi",
     DONE(0, 0, false)},
    {"msg empty payload", .proto = PB_REPLY_MSG, .expect = "", BYTES("\0\0\0\0"), .extra = "x",
     DONE(0, 0, false)},
};

/* ---- echo and msg ----------------------------------------------------------- */

#define ECHO .proto = PB_REPLY_ECHO
#define MSG .proto = PB_REPLY_MSG

static const struct vec echo_msg[] = {
    {"echo exact", ECHO, .expect = "hello\n", BYTES("hello\n"), DONE(0, 0, false)},
    {"echo one byte", ECHO, .expect = "\n", BYTES("\n"), DONE(0, 0, false)},
    {"echo first byte differs", ECHO, .expect = "hello\n", BYTES("Hello\n"), BAD},
    {"echo last byte differs", ECHO, .expect = "hello\n", BYTES("hello\r"), BAD},
    {"echo short then close", ECHO, .expect = "hello\n", BYTES("hel"), .eof = true, MORE},
    {"echo no close yet", ECHO, .expect = "hello\n", BYTES("hello"), MORE},
    {"msg exact", MSG, .expect = "hello", BYTES("\0\0\0\5hello"), DONE(0, 0, false)},
    {"msg binary payload", MSG, .expect = "\001\377\n", BYTES("\0\0\0\3\001\377\n"),
     DONE(0, 0, false)},
    {"msg empty payload", MSG, .expect = "", BYTES("\0\0\0\0"), DONE(0, 0, false)},
    {"msg length too big", MSG, .expect = "hello", BYTES("\0\0\0\6hello!"), BAD},
    {"msg length too small", MSG, .expect = "hello", BYTES("\0\0\0\4hell"), BAD},
    {"msg length high byte", MSG, .expect = "hello", BYTES("\1\0\0\5hello"), BAD},
    {"msg length for empty payload", MSG, .expect = "", BYTES("\0\0\0\1x"), BAD},
    {"msg first payload byte differs", MSG, .expect = "hello", BYTES("\0\0\0\5Hello"), BAD},
    {"msg last payload byte differs", MSG, .expect = "hello", BYTES("\0\0\0\5hellO"), BAD},
    {"msg cut in header", MSG, .expect = "hello", BYTES("\0\0"), .eof = true, MORE},
    {"msg cut in payload", MSG, .expect = "hello", BYTES("\0\0\0\5he"), .eof = true, MORE},
    {"msg cut after header", MSG, .expect = "hello", BYTES("\0\0\0\5"), .eof = true, MORE},
};

static void test_http_valid(void **state)
{
    (void)state;
    CHECK_TABLE(http_valid);
}

static void test_http_invalid(void **state)
{
    (void)state;
    CHECK_TABLE(http_invalid);
}

static void test_pipelined(void **state)
{
    (void)state;
    CHECK_TABLE(pipelined);
}

static void test_echo_msg(void **state)
{
    (void)state;
    CHECK_TABLE(echo_msg);
}

/* ---- Long lines ------------------------------------------------------------- */

/* A reply whose status line (header == false) or one header line has
 * exactly content_len bytes before its line end (eol). */
static char *long_line_reply(bool header, size_t content_len, const char *eol, size_t *len)
{
    const char *status = "HTTP/1.1 200 OK";
    size_t cap = content_len + 256, n = 0;
    char *s = malloc(cap);

    assert_non_null(s);
    if (header) {
        n += (size_t)sprintf(s, "%s%s", status, eol);
        memcpy(s + n, "X-Pad: ", 7);
        memset(s + n + 7, 'p', content_len - 7);
    } else {
        memcpy(s, "HTTP/1.1 200 ", 13);
        memset(s + 13, 'r', content_len - 13);
    }
    n += content_len;
    n += (size_t)sprintf(s + n, "%sContent-Length: 2%s%sok", eol, eol, eol);
    *len = n;
    return s;
}

static void check_long_line(bool header, size_t content_len, const char *eol,
                            pb_reply_status_t want)
{
    struct vec v = {.name = header ? "long header line" : "long status line",
                    .want = want,
                    .code = 200,
                    .body = 2};
    char *s = long_line_reply(header, content_len, eol, &v.len);

    v.bytes = s;
    check_vec_stride(&v, 97); /* every split of 8 KiB would be slow under ASan */
    free(s);
}

static void test_long_lines(void **state)
{
    (void)state;
    for (int header = 0; header <= 1; header++) {
        check_long_line(header, PB_REPLY_MAX_LINE, "\r\n", PB_REPLY_DONE);
        check_long_line(header, PB_REPLY_MAX_LINE, "\n", PB_REPLY_DONE);
        check_long_line(header, PB_REPLY_MAX_LINE + 1, "\r\n", PB_REPLY_MALFORMED);
        check_long_line(header, PB_REPLY_MAX_LINE + 1, "\n", PB_REPLY_MALFORMED);
        check_long_line(header, 4 * PB_REPLY_MAX_LINE, "\r\n", PB_REPLY_MALFORMED);
    }
}

/* An over-long line is refused at its first byte past the limit, without
 * waiting for a line end that may never come. */
static void test_long_line_early(void **state)
{
    size_t n = PB_REPLY_MAX_LINE + 100, used;
    unsigned char *s = malloc(n);

    (void)state;
    assert_non_null(s);
    memcpy(s, OK_HEAD, strlen(OK_HEAD));
    memset(s + strlen(OK_HEAD), 'x', n - strlen(OK_HEAD));
    pb_reply_start_http(&reply, false);
    assert_int_equal(pb_reply_feed(&reply, s, n, &used), PB_REPLY_MALFORMED);
    free(s);
}

/* ---- EOF and reuse ---------------------------------------------------------- */

/* Nothing at all arrived: MORE, and total_bytes tells it apart from "short". */
static void test_eof_before_any_byte(void **state)
{
    static const unsigned char line[] = "hi\n";
    size_t used = 1;

    (void)state;
    pb_reply_start_http(&reply, false);
    assert_int_equal(pb_reply_eof(&reply), PB_REPLY_MORE);
    assert_int_equal(reply.total_bytes, 0);
    pb_reply_start_http(&reply, false);
    assert_int_equal(pb_reply_feed(&reply, line, 0, &used), PB_REPLY_MORE);
    assert_int_equal(used, 0);
    assert_int_equal(pb_reply_eof(&reply), PB_REPLY_MORE);
    assert_int_equal(reply.total_bytes, 0);
    pb_reply_start_echo(&reply, line, 3);
    assert_int_equal(pb_reply_eof(&reply), PB_REPLY_MORE);
    assert_int_equal(reply.total_bytes, 0);
    pb_reply_start_msg(&reply, line, 3);
    assert_int_equal(pb_reply_eof(&reply), PB_REPLY_MORE);
    assert_int_equal(reply.total_bytes, 0);
}

/* A verdict sticks: more bytes are not consumed, EOF does not change it. */
static void test_verdict_sticks(void **state)
{
    static const char ok[] = NEXT;
    static const char bad[] = "HTTP/1.1 200 OK\r\nNoColon\r\n";
    size_t used = 1;

    (void)state;
    pb_reply_start_http(&reply, false);
    assert_int_equal(pb_reply_feed(&reply, (const unsigned char *)ok, strlen(ok), &used),
                     PB_REPLY_DONE);
    assert_int_equal(pb_reply_feed(&reply, (const unsigned char *)ok, strlen(ok), &used),
                     PB_REPLY_DONE);
    assert_int_equal(used, 0);
    assert_int_equal(pb_reply_eof(&reply), PB_REPLY_DONE);
    assert_int_equal(reply.total_bytes, strlen(ok));
    pb_reply_start_http(&reply, false);
    assert_int_equal(pb_reply_feed(&reply, (const unsigned char *)bad, strlen(bad), &used),
                     PB_REPLY_MALFORMED);
    assert_int_equal(pb_reply_feed(&reply, (const unsigned char *)ok, strlen(ok), &used),
                     PB_REPLY_MALFORMED);
    assert_int_equal(pb_reply_eof(&reply), PB_REPLY_MALFORMED);
}

/* Starting again forgets the previous reply entirely (the engine reuses
 * one pb_reply_t per connection). */
static void test_restart(void **state)
{
    static const char first[] = "HTTP/1.0 404 No\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nabc\r\n0\r\n\r\n";
    static const char partial[] = "HTTP/1.1 200 OK\r\nContent-Le";
    static const char second[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
    size_t used;

    (void)state;
    pb_reply_start_http(&reply, false);
    assert_int_equal(pb_reply_feed(&reply, (const unsigned char *)first, strlen(first), &used),
                     PB_REPLY_DONE);
    assert_true(reply.close_after);
    pb_reply_start_http(&reply, false);
    assert_int_equal(pb_reply_feed(&reply, (const unsigned char *)partial, strlen(partial), &used),
                     PB_REPLY_MORE);
    pb_reply_start_http(&reply, false);
    assert_int_equal(pb_reply_feed(&reply, (const unsigned char *)second, strlen(second), &used),
                     PB_REPLY_DONE);
    assert_int_equal(reply.status_code, 200);
    assert_int_equal(reply.body_bytes, 1);
    assert_false(reply.close_after);
    assert_int_equal(reply.total_bytes, strlen(second));
}

/* A body larger than any buffer is counted, not stored. */
static void test_large_body(void **state)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n";
    static unsigned char piece[65536];
    uint64_t fed = 0;
    pb_reply_status_t st;
    size_t used;

    (void)state;
    pb_reply_start_http(&reply, false);
    assert_int_equal(pb_reply_feed(&reply, (const unsigned char *)head, strlen(head), &used),
                     PB_REPLY_MORE);
    do {
        st = pb_reply_feed(&reply, piece, sizeof(piece), &used);
        fed += used;
    } while (st == PB_REPLY_MORE);
    assert_int_equal(st, PB_REPLY_DONE);
    assert_int_equal(fed, 5000000);
    assert_int_equal(reply.body_bytes, 5000000);
    assert_int_equal(reply.total_bytes, strlen(head) + 5000000);
}

/* echo with an empty expected line is complete before any byte; a msg
 * payload too long for its 32-bit header can never match. */
static void test_degenerate_expectations(void **state)
{
    static const unsigned char byte[] = "\0";
    size_t used = 1;

    (void)state;
    pb_reply_start_echo(&reply, byte, 0);
    assert_int_equal(pb_reply_feed(&reply, byte, 1, &used), PB_REPLY_DONE);
    assert_int_equal(used, 0);
#if SIZE_MAX > UINT32_MAX
    pb_reply_start_msg(&reply, byte, (size_t)UINT32_MAX + 1);
    assert_int_equal(pb_reply_feed(&reply, byte, 1, &used), PB_REPLY_MALFORMED);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_valid),
        cmocka_unit_test(test_http_invalid),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_echo_msg),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_long_line_early),
        cmocka_unit_test(test_eof_before_any_byte),
        cmocka_unit_test(test_verdict_sticks),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_large_body),
        cmocka_unit_test(test_degenerate_expectations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
