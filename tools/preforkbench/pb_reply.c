/* pb_reply: recognise and judge one reply, fed in any pieces (see pb_reply.h).
 *
 * One state machine for the three protocols. Every verdict is reached at a
 * definite byte of the reply (the '\n' ending a line, the last body byte,
 * the first byte that differs from the expected echo, ...), never at a
 * piece boundary, which is what makes the result independent of how recv()
 * split the bytes: feeding stops exactly at that byte.
 *
 * HTTP lines are assembled in r->line without their line end; a '\r' is
 * only remembered (r->cr) and must be followed by '\n', so a line of
 * PB_REPLY_MAX_LINE bytes fits whether it ends in "\r\n" or "\n".
 */
#include "pb_reply.h"

#include <string.h>

enum reply_state {
    ST_STATUS,      /* http: assembling the status line */
    ST_HEADER,      /* http: header lines, up to the empty line */
    ST_BODY_LENGTH, /* http: Content-Length body, r->remaining bytes to come */
    ST_BODY_CLOSE,  /* http: body running to the end of the connection */
    ST_CHUNK_SIZE,  /* http: a chunk-size line */
    ST_CHUNK_DATA,  /* http: chunk data, r->remaining bytes to come */
    ST_CHUNK_END,   /* http: the empty line after a chunk's data */
    ST_TRAILER,     /* http: trailer lines after the last chunk, up to the empty line */
    ST_MATCH,       /* echo/msg: comparing with the expected bytes, r->pos matched */
    ST_DONE,        /* the reply is complete */
    ST_BAD,         /* malformed; nothing more is consumed */
};

/* msg: the big-endian length header in front of the payload. */
#define MSG_HEADER_LEN 4u

/* A piece of r->line: a header name, a value, a list element. */
struct span {
    const char *p;
    size_t n;
};

/* ---- Starting a reply ---------------------------------------------------- */

/* Forget everything learnt about the current HTTP reply. Also used after a
 * 1xx interim reply: the final reply that follows starts from scratch (its
 * headers alone decide its framing and the connection's fate), while
 * total_bytes keeps counting, since the interim bytes were received too.
 * line[] is not cleared: line_len says how much of it is valid, and
 * clearing 8 KiB per request would cost more than the parsing. */
static void http_next_reply(pb_reply_t *r)
{
    r->state = ST_STATUS;
    r->status_code = 0;
    r->close_after = false;
    r->body_bytes = 0;
    r->chunked = false;
    r->http10 = false;
    r->keep_alive_seen = false;
    r->length_seen = false;
    r->cr = false;
    r->remaining = 0;
    r->line_len = 0;
}

static void reply_start(pb_reply_t *r, pb_reply_proto_t proto, const unsigned char *expect,
                        size_t len)
{
    http_next_reply(r);
    r->proto = proto;
    r->expect = expect;
    r->expect_len = len;
    r->total_bytes = 0;
    r->head_request = false;
    r->pos = 0;
}

void pb_reply_start_http(pb_reply_t *r, bool head_request)
{
    reply_start(r, PB_REPLY_HTTP, NULL, 0);
    r->head_request = head_request;
}

void pb_reply_start_echo(pb_reply_t *r, const unsigned char *line, size_t len)
{
    reply_start(r, PB_REPLY_ECHO, line, len);
    r->state = len > 0 ? ST_MATCH : ST_DONE;
}

void pb_reply_start_msg(pb_reply_t *r, const unsigned char *payload, size_t len)
{
    reply_start(r, PB_REPLY_MSG, payload, len);
    r->state = ST_MATCH; /* even an empty payload has its 4-byte header */
}

/* ---- Small text helpers (ASCII only: HTTP syntax is not locale text) ----- */

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Does s equal the lower-case literal lit, ignoring case? */
static bool span_ieq(struct span s, const char *lit)
{
    size_t n = strlen(lit);

    if (s.n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(s.p[i]) != lit[i])
            return false;
    }
    return true;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* p[0..n) without leading and trailing spaces and tabs. */
static struct span span_trim(const char *p, size_t n)
{
    while (n > 0 && is_ows(p[0])) {
        p++;
        n--;
    }
    while (n > 0 && is_ows(p[n - 1]))
        n--;
    return (struct span){p, n};
}

/* Take the next element of a comma-separated list off the front of *list,
 * trimmed; false when none is left. Empty elements ("a, ,b") are skipped:
 * the list syntax allows them. */
static bool list_next(struct span *list, struct span *tok)
{
    while (list->n > 0) {
        const char *comma = memchr(list->p, ',', list->n);
        size_t len = comma ? (size_t)(comma - list->p) : list->n;

        *tok = span_trim(list->p, len);
        list->p += len;
        list->n -= len;
        if (comma) {
            list->p++;
            list->n--;
        }
        if (tok->n > 0)
            return true;
    }
    return false;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = ascii_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* ---- HTTP header fields -------------------------------------------------- */

/* "Name: value": a non-empty name of visible ASCII (no spaces, so an
 * obsolete folded continuation line, which starts with one, is refused
 * too), then the value without surrounding whitespace and without NUL. */
static bool header_split(const char *l, size_t n, struct span *name, struct span *value)
{
    const char *colon = memchr(l, ':', n);

    if (!colon || colon == l)
        return false;
    *name = (struct span){l, (size_t)(colon - l)};
    for (size_t i = 0; i < name->n; i++) {
        unsigned char c = (unsigned char)l[i];

        if (c <= 0x20 || c >= 0x7f)
            return false;
    }
    *value = span_trim(colon + 1, n - name->n - 1);
    return memchr(value->p, '\0', value->n) == NULL;
}

/* Decimal digits only: a sign, a space inside or a list ("5, 5") would
 * mean the server frames its replies in a way we cannot trust. A second
 * Content-Length must repeat the first, or the body's end is ambiguous. */
static bool header_length(pb_reply_t *r, struct span v)
{
    uint64_t n = 0;

    if (v.n == 0)
        return false;
    for (size_t i = 0; i < v.n; i++) {
        unsigned d = (unsigned)((unsigned char)v.p[i] - '0');

        if (d > 9 || n > (UINT64_MAX - d) / 10)
            return false;
        n = n * 10 + d;
    }
    if (r->length_seen && n != r->remaining)
        return false;
    r->length_seen = true;
    r->remaining = n;
    return true;
}

/* Only chunked is decoded, and it must be the last coding applied, once.
 * Any other final coding would make the body run to the end of the
 * connection with no framing at all; no server we measure does that, so it
 * is refused rather than guessed at. */
static bool header_te(pb_reply_t *r, struct span v)
{
    struct span tok;
    bool last_chunked = false;

    while (list_next(&v, &tok)) {
        if (last_chunked || r->chunked)
            return false; /* a coding after chunked, or chunked twice */
        last_chunked = span_ieq(tok, "chunked");
    }
    r->chunked = last_chunked;
    return last_chunked;
}

/* Connection is a list of tokens; only close and keep-alive matter. */
static void header_connection(pb_reply_t *r, struct span v)
{
    struct span tok;

    while (list_next(&v, &tok)) {
        if (span_ieq(tok, "close"))
            r->close_after = true;
        else if (span_ieq(tok, "keep-alive"))
            r->keep_alive_seen = true;
    }
}

static bool header_line(pb_reply_t *r)
{
    struct span name, value;

    if (!header_split(r->line, r->line_len, &name, &value))
        return false;
    if (span_ieq(name, "content-length"))
        return header_length(r, value);
    if (span_ieq(name, "transfer-encoding"))
        return header_te(r, value);
    if (span_ieq(name, "connection"))
        header_connection(r, value);
    return true;
}

/* ---- HTTP lines ---------------------------------------------------------- */

/* Called for each byte added to the status line: its first 9 bytes must be
 * "HTTP/1.0 " or "HTTP/1.1 ". Checking as they arrive makes a server that
 * does not speak HTTP at all malformed at once, instead of a timeout or a
 * "short" reply while we wait for a line end that may never come. */
static bool status_prefix_ok(const pb_reply_t *r)
{
    static const char prefix[] = "HTTP/1.? ";
    size_t i = r->line_len - 1;
    char c = r->line[i];

    if (i >= sizeof(prefix) - 1)
        return true;
    if (prefix[i] == '?')
        return c == '0' || c == '1';
    return c == prefix[i];
}

/* "HTTP/1.x NNN" then nothing, or a space and any reason phrase. */
static bool status_line(pb_reply_t *r)
{
    const char *l = r->line;
    int code = 0;

    if (r->line_len < 12 || (r->line_len > 12 && l[12] != ' '))
        return false;
    for (size_t i = 9; i < 12; i++) {
        if (l[i] < '0' || l[i] > '9')
            return false;
        code = code * 10 + (l[i] - '0');
    }
    r->status_code = code;
    r->http10 = l[7] == '0';
    r->state = ST_HEADER;
    return true;
}

/* The empty line after the headers: decide how the body is delimited. */
static void headers_done(pb_reply_t *r)
{
    int code = r->status_code;

    if (code >= 100 && code < 200 && code != 101) {
        http_next_reply(r); /* interim (100 Continue, 103): the real one follows */
        return;
    }
    if (r->http10 && !r->keep_alive_seen)
        r->close_after = true;
    if (code == 101) /* the connection switched protocols: no HTTP after it */
        r->close_after = true;
    if (r->head_request || code == 101 || code == 204 || code == 304) {
        r->state = ST_DONE; /* no body, whatever the headers announce */
    } else if (r->chunked) {
        r->state = ST_CHUNK_SIZE; /* chunked overrides any Content-Length */
    } else if (r->length_seen) {
        r->state = r->remaining > 0 ? ST_BODY_LENGTH : ST_DONE;
    } else {
        r->state = ST_BODY_CLOSE;
        r->close_after = true; /* only the close can end this body */
    }
}

/* Hex size, optional whitespace, optional ";extensions" (not interpreted). */
static bool chunk_size_line(pb_reply_t *r)
{
    const char *l = r->line;
    size_t n = r->line_len, i = 0;
    uint64_t size = 0;
    int d;

    for (; i < n && (d = hex_value(l[i])) >= 0; i++) {
        if (size > UINT64_MAX >> 4)
            return false;
        size = size << 4 | (uint64_t)d;
    }
    if (i == 0)
        return false;
    while (i < n && is_ows(l[i]))
        i++;
    if (i < n && l[i] != ';')
        return false;
    r->remaining = size;
    r->state = size > 0 ? ST_CHUNK_DATA : ST_TRAILER;
    return true;
}

/* A trailer field is checked like a header and otherwise ignored. */
static bool trailer_line(pb_reply_t *r)
{
    struct span name, value;

    if (r->line_len == 0) {
        r->state = ST_DONE;
        return true;
    }
    return header_split(r->line, r->line_len, &name, &value);
}

/* A complete line (r->line[0..line_len)) for the current state. */
static bool line_done(pb_reply_t *r)
{
    switch (r->state) {
    case ST_STATUS: return status_line(r);
    case ST_HEADER:
        if (r->line_len > 0)
            return header_line(r);
        headers_done(r);
        return true;
    case ST_CHUNK_SIZE: return chunk_size_line(r);
    case ST_CHUNK_END: r->state = ST_CHUNK_SIZE; return r->line_len == 0;
    case ST_TRAILER: return trailer_line(r);
    default: return false; /* not a line state: unreachable */
    }
}

/* Add one byte (not '\n') to the line being assembled. */
static bool line_add(pb_reply_t *r, unsigned char c)
{
    if (r->cr)
        return false; /* a bare '\r' inside a line */
    if (c == '\r') {
        r->cr = true;
        return true;
    }
    if (r->line_len == PB_REPLY_MAX_LINE)
        return false;
    r->line[r->line_len++] = (char)c;
    return r->state != ST_STATUS || status_prefix_ok(r);
}

/* Line states: take bytes up to and including the '\n', then act on the
 * line. Returns the bytes consumed. */
static size_t step_line(pb_reply_t *r, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && p[i] != '\n'; i++) {
        if (!line_add(r, p[i])) {
            r->state = ST_BAD;
            return i + 1;
        }
    }
    if (i == n)
        return n;
    if (!line_done(r))
        r->state = ST_BAD;
    r->line_len = 0;
    r->cr = false;
    return i + 1;
}

/* ---- Bodies and echoes --------------------------------------------------- */

/* Counted bytes: a Content-Length body or a chunk's data; or, for a
 * close-delimited body, everything until pb_reply_eof. */
static size_t step_body(pb_reply_t *r, size_t n)
{
    size_t take = n;

    if (r->state != ST_BODY_CLOSE) {
        if ((uint64_t)take > r->remaining)
            take = (size_t)r->remaining;
        r->remaining -= take;
        if (r->remaining == 0)
            r->state = r->state == ST_CHUNK_DATA ? ST_CHUNK_END : ST_DONE;
    }
    r->body_bytes += take;
    return take;
}

/* The whole expected reply's length. A msg payload longer than a 32-bit
 * header can announce cannot come back intact; its header can never match
 * (match_byte), so only the header is counted. */
static size_t match_len(const pb_reply_t *r)
{
    if (r->proto == PB_REPLY_ECHO)
        return r->expect_len;
    if ((uint64_t)r->expect_len > UINT32_MAX)
        return MSG_HEADER_LEN;
    return MSG_HEADER_LEN + r->expect_len;
}

/* The expected byte at position pos of the reply; -1 matches nothing. */
static int match_byte(const pb_reply_t *r, size_t pos)
{
    uint64_t len = r->expect_len;

    if (r->proto == PB_REPLY_ECHO)
        return r->expect[pos];
    if (pos >= MSG_HEADER_LEN)
        return r->expect[pos - MSG_HEADER_LEN];
    if (len > UINT32_MAX)
        return -1;
    return (int)((len >> (8 * (MSG_HEADER_LEN - 1 - pos))) & 0xff);
}

/* echo/msg: compare as the bytes arrive; the first difference is enough. */
static size_t step_match(pb_reply_t *r, const unsigned char *p, size_t n)
{
    size_t want = match_len(r) - r->pos;
    size_t take = n < want ? n : want;

    for (size_t i = 0; i < take; i++) {
        if (p[i] != match_byte(r, r->pos + i)) {
            r->pos += i;
            r->state = ST_BAD;
            return i + 1;
        }
    }
    r->pos += take;
    if (r->pos == match_len(r))
        r->state = ST_DONE;
    return take;
}

/* ---- Driving ------------------------------------------------------------- */

static pb_reply_status_t reply_verdict(const pb_reply_t *r)
{
    if (r->state == ST_DONE)
        return PB_REPLY_DONE;
    if (r->state == ST_BAD)
        return PB_REPLY_MALFORMED;
    return PB_REPLY_MORE;
}

/* Consume at least one of the n > 0 bytes at p in the current state. */
static size_t reply_step(pb_reply_t *r, const unsigned char *p, size_t n)
{
    switch (r->state) {
    case ST_BODY_LENGTH:
    case ST_BODY_CLOSE:
    case ST_CHUNK_DATA: return step_body(r, n);
    case ST_MATCH: return step_match(r, p, n);
    default: return step_line(r, p, n);
    }
}

/* Once DONE or MALFORMED the verdict sticks and no further byte is
 * consumed: bytes after a complete reply are the caller's business. */
pb_reply_status_t pb_reply_feed(pb_reply_t *r, const unsigned char *buf, size_t len, size_t *used)
{
    size_t off = 0;

    while (off < len && r->state != ST_DONE && r->state != ST_BAD) {
        size_t n = reply_step(r, buf + off, len - off);

        off += n;
        r->total_bytes += n;
    }
    if (used)
        *used = off;
    return reply_verdict(r);
}

/* Only a close-delimited body is completed by the close. A verdict already
 * reached stays (a caller reporting EOF after DONE or MALFORMED is told
 * what it already knew, not "short"). */
pb_reply_status_t pb_reply_eof(pb_reply_t *r)
{
    if (r->state == ST_BODY_CLOSE)
        r->state = ST_DONE;
    return reply_verdict(r);
}
