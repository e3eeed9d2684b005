/* pf_http_parse: strict HTTP/1.x request heads (see pf_http_parse.h).
 *
 * Choices the header leaves open, made here:
 *  - pf_http_parse_head_scan() reports a bare LF as soon as it sees one (400), so
 *    a client ending lines with LF alone gets its answer at once instead of
 *    waiting for a "\r\n\r\n" that never comes; a bare CR is left to
 *    pf_http_parse() (the scan only looks at LF bytes, with memchr).
 *  - Empty lines before the request line (RFC 9112 2.2), each a CRLF or a
 *    bare LF, belong to the head: they count toward max_header_bytes, so
 *    their number is bounded, while max_request_line is measured from the
 *    request line's first byte. The scan skips them as lines, the parse
 *    with pf_http_parse_empty_lines(); a bare LF is accepted there only,
 *    where it cannot end a line of the message.
 *  - Transfer-Encoding: its field lines form one list (RFC 9110 5.3);
 *    empty elements are skipped; a coding is a token with parameters
 *    "; name=value" of tokens (a quoted string is 400: no coding in use
 *    has one). The list must end in "chunked", applied once, else 400
 *    (RFC 9112 6.3: the body length cannot be known); ending in chunked
 *    it is 501, since request bodies are never read.
 *  - '#' in the request-target is 400: a fragment is never sent on the
 *    wire, and a proxy stripping it would see another path than we do.
 *  - absolute-form accepts the "http" scheme only (any case); "https" and
 *    others are 400, as is userinfo ("user@host"). "http://host" and
 *    "http://host?q" have path "/" (a slice of the "//" after the scheme).
 *  - "*" (OPTIONS) and authority-form (CONNECT) leave path (and
 *    target_host, which is for absolute-form only) empty. With an
 *    unknown method (501) the form of the target is not checked.
 *  - Host: empty value allowed (RFC 9110 7.2); otherwise uri-host[:port]
 *    with a non-empty host; ',' is refused in a reg-name even though the
 *    URI grammar allows it, so that no list-splitting proxy reads two hosts.
 *  - If-None-Match, If-Modified-Since, Range, If-Range, User-Agent and
 *    Referer are kept as one slice each, so a second copy of one is 400.
 *  - Content-Length is never converted to a number: any value with a
 *    non-zero digit is a body (413), however large.
 *  - Order of the final decisions: every 400 first (syntax, Host, TE with
 *    CL or in 1.0, TE not ending in chunked), then 501 (unknown method,
 *    then Transfer-Encoding), then 413. 414, 431 and 505 end the parse
 *    when they are found.
 *  - 414 also when the head limit is crossed before the request line has
 *    ended: the line cannot fit, whatever max_request_line says (with the
 *    default 8192/8192 a line too long would otherwise always be 431).
 *    The scan never looks past max_header_bytes, so the caller's buffer
 *    need not be larger, and its answer does not depend on how the bytes
 *    were split between calls.
 *  - On error, the fields parsed before it (method_text, version, target)
 *    stay set for the access log; *reason is "OK" on success.
 *
 * Bounds: pf_http_parse() first checks that the head ends with
 * "\r\n\r\n". Every scanning loop below stops at a CR, which is never in
 * any of the character classes, so no loop can run past buf[end - 4].
 */
#include "pf_http_parse.h"

#include <string.h>

/* Character classes, one bit each, in a 256-entry table built at compile
 * time (no locale, no <ctype.h>). */
#define C_TCHAR 0x01  /* token (RFC 9110 5.6.2) */
#define C_TARGET 0x02 /* request-target byte: VCHAR but '#' */
#define C_VALUE 0x04  /* field-value byte: VCHAR, obs-text, SP, HTAB */
#define C_HOST 0x08   /* reg-name / IPv4 byte: unreserved, sub-delims but ',', '%' */
#define C_DIGIT 0x10
#define C_HEX 0x20
#define C_OWS 0x40 /* SP, HTAB */

#define HTTP_ALPHA(c) (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z'))
#define HTTP_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define HTTP_HEX(c) (HTTP_DIGIT(c) || ((c) >= 'A' && (c) <= 'F') || ((c) >= 'a' && (c) <= 'f'))
#define HTTP_VCHAR(c) ((c) >= 0x21 && (c) <= 0x7E)
#define HTTP_WS(c) ((c) == ' ' || (c) == '\t')
#define HTTP_TSYM(c) \
    ((c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || (c) == '\'' || \
     (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' || (c) == '^' || (c) == '_' || \
     (c) == '`' || (c) == '|' || (c) == '~')
#define HTTP_HSYM(c) \
    ((c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' || (c) == '!' || (c) == '$' || \
     (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' || (c) == '*' || (c) == '+' || \
     (c) == ';' || (c) == '=' || (c) == '%')
#define HTTP_CLASS(c) \
    (((HTTP_ALPHA(c) || HTTP_DIGIT(c) || HTTP_TSYM(c)) ? C_TCHAR : 0) | \
     ((HTTP_VCHAR(c) && (c) != '#') ? C_TARGET : 0) | \
     ((HTTP_VCHAR(c) || (c) >= 0x80 || HTTP_WS(c)) ? C_VALUE : 0) | \
     ((HTTP_ALPHA(c) || HTTP_DIGIT(c) || HTTP_HSYM(c)) ? C_HOST : 0) | \
     (HTTP_DIGIT(c) ? C_DIGIT : 0) | (HTTP_HEX(c) ? C_HEX : 0) | (HTTP_WS(c) ? C_OWS : 0))
#define HTTP_R4(c) HTTP_CLASS(c), HTTP_CLASS((c) + 1), HTTP_CLASS((c) + 2), HTTP_CLASS((c) + 3)
#define HTTP_R16(c) HTTP_R4(c), HTTP_R4((c) + 4), HTTP_R4((c) + 8), HTTP_R4((c) + 12)
#define HTTP_R64(c) HTTP_R16(c), HTTP_R16((c) + 16), HTTP_R16((c) + 32), HTTP_R16((c) + 48)

static const unsigned char http_class[256] = {HTTP_R64(0), HTTP_R64(64), HTTP_R64(128),
                                              HTTP_R64(192)};

static const struct pf_http_limits http_default_limits = {8192, 8192, 100};

/* Method names, indexed by enum pf_http_method; matched case-sensitively. */
#define HTTP_LIT(s) s, sizeof(s) - 1
static const struct {
    const char *name;
    size_t len;
} http_methods[PF_HTTP_METHOD_COUNT] = {
    [PF_HTTP_GET] = {HTTP_LIT("GET")},       [PF_HTTP_HEAD] = {HTTP_LIT("HEAD")},
    [PF_HTTP_POST] = {HTTP_LIT("POST")},     [PF_HTTP_PUT] = {HTTP_LIT("PUT")},
    [PF_HTTP_DELETE] = {HTTP_LIT("DELETE")}, [PF_HTTP_OPTIONS] = {HTTP_LIT("OPTIONS")},
    [PF_HTTP_TRACE] = {HTTP_LIT("TRACE")},   [PF_HTTP_CONNECT] = {HTTP_LIT("CONNECT")},
    [PF_HTTP_PATCH] = {HTTP_LIT("PATCH")},
};

/* What the parser does with a header field it knows. */
enum http_field_kind {
    HF_SLICE, /* keep the value in the slice at 'slot', at most once */
    HF_HOST,
    HF_CONTENT_LENGTH,
    HF_TRANSFER_ENCODING,
    HF_CONNECTION,
    HF_FORWARDED_FOR, /* every line kept (the last PF_HTTP_FORWARDED_LINES) */
};

/* Known fields: lowercase name, its length (compared first), kind, and
 * for HF_SLICE the offset of its slice in struct pf_http_request. */
#define HTTP_FIELD(name, kind, slot) \
    { \
        HTTP_LIT(name), kind, slot \
    }
#define HTTP_SLOT(member) offsetof(struct pf_http_request, member)
static const struct http_field {
    const char *name;
    size_t len;
    enum http_field_kind kind;
    size_t slot;
} http_fields[] = {
    HTTP_FIELD("host", HF_HOST, 0),
    HTTP_FIELD("range", HF_SLICE, HTTP_SLOT(range)),
    HTTP_FIELD("referer", HF_SLICE, HTTP_SLOT(referer)),
    HTTP_FIELD("if-range", HF_SLICE, HTTP_SLOT(if_range)),
    HTTP_FIELD("connection", HF_CONNECTION, 0),
    HTTP_FIELD("user-agent", HF_SLICE, HTTP_SLOT(user_agent)),
    HTTP_FIELD("if-none-match", HF_SLICE, HTTP_SLOT(if_none_match)),
    HTTP_FIELD("content-length", HF_CONTENT_LENGTH, 0),
    HTTP_FIELD("transfer-encoding", HF_TRANSFER_ENCODING, 0),
    HTTP_FIELD("if-modified-since", HF_SLICE, HTTP_SLOT(if_modified_since)),
    HTTP_FIELD("x-forwarded-for", HF_FORWARDED_FOR, 0),
};
#define HTTP_FIELD_COUNT (sizeof(http_fields) / sizeof(http_fields[0]))

/* State of one pf_http_parse() call. */
struct http_parser {
    const char *buf;
    size_t end;  /* head_len */
    size_t pos;  /* start of the next line */
    size_t line; /* start of the request line, after any empty lines */
    const struct pf_http_limits *lim;
    struct pf_http_request *req;
    const char *reason;
    unsigned seen;     /* bit k: the HF_SLICE field http_fields[k] was present */
    bool method_known; /* else 501 once the head is otherwise valid */
    bool has_cl;       /* a Content-Length field was present */
    bool has_te;       /* a Transfer-Encoding field was present */
    bool te_chunked;   /* ...and its last coding so far is chunked */
    unsigned chunked;  /* times chunked appears among its codings */
    bool has_body;     /* Content-Length with a non-zero digit */
};

/* The limits to apply: the caller's, or the defaults for NULL. */
static const struct pf_http_limits *http_limits(const struct pf_http_limits *lim)
{
    return lim ? lim : &http_default_limits;
}

/* ASCII lowercase of one byte (no locale). */
static unsigned char http_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Case-insensitive compare of n bytes of s with lowercase text. */
static bool http_name_eq(const char *s, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (http_lower((unsigned char)s[i]) != (unsigned char)lower[i])
            return false;
    return true;
}

/* Is buf[off..off+len) all of class cls? */
static bool http_all(const char *buf, size_t off, size_t len, unsigned cls)
{
    for (size_t i = off; i < off + len; i++)
        if (!(http_class[(unsigned char)buf[i]] & cls))
            return false;
    return true;
}

/* A slice from offsets (callers ensure end <= head_len <= UINT32_MAX). */
static struct pf_http_slice http_slice(size_t off, size_t end)
{
    return (struct pf_http_slice){(uint32_t)off, (uint32_t)(end - off)};
}

/* ---- scan ---------------------------------------------------------- */

/* Start a scan over a buffer whose front is a new request. */
void pf_http_parse_scan_init(struct pf_http_scan *s)
{
    s->scanned = 0;
    s->line_start = 0;
    s->line_end = 0;
}

/* The length of the empty line at the front of buf[0..len): 2 for CRLF,
 * 1 for a bare LF, 0 when the front is not a whole empty line. */
static size_t http_empty_line(const char *buf, size_t len)
{
    if (len >= 1 && buf[0] == '\n')
        return 1;
    return len >= 2 && buf[0] == '\r' && buf[1] == '\n' ? 2 : 0;
}

size_t pf_http_parse_empty_lines(const char *buf, size_t len)
{
    size_t n = 0, k;

    while ((k = http_empty_line(buf + n, len - n)) > 0)
        n += k;
    return n;
}

/* Handle the LF at p: before the request line, an empty line moves
 * line_start past it; else 414 if it ends a too long request line
 * (checked first, so that the answer does not depend on how the bytes
 * arrived: see http_line_overflow), 400 if bare, 1 if it ends the head
 * ("\r\n\r\n"; the LF at p - 2 was checked already), else 0. line_end is
 * set just past the request line's LF. */
static int http_scan_lf(struct pf_http_scan *s, const char *buf, size_t p,
                        const struct pf_http_limits *lim)
{
    size_t line_len = p + 1 - s->line_start; /* with its LF */
    bool first = s->line_end == 0;
    bool cr = p > s->line_start && buf[p - 1] == '\r';

    if (first) {
        if (http_empty_line(buf + s->line_start, line_len) == line_len) {
            s->line_start = p + 1;
            return 0;
        }
        if (line_len - 1 - cr > lim->max_request_line)
            return 414; /* line_end stays 0: a repeated call says 414 again */
        s->line_end = p + 1;
    }
    if (!cr)
        return 400;
    return (!first && buf[p - 2] == '\n') ? 1 : 0;
}

/* With no LF in line[0..seen), is the request line already longer than
 * max? A CR at line[max] may still be the end of a line of exactly max
 * bytes. */
static bool http_line_overflow(const char *line, size_t seen, size_t max)
{
    return seen > max && (seen - max > 1 || line[max] != '\r');
}

/* Look for the end of the head in the new bytes only: memchr from LF to LF
 * (each byte looked at once over all calls), limits checked on the way.
 * Once the head limit is crossed, it is 414 if the request line has begun
 * and not ended, else 431 (empty lines count toward the head). */
enum pf_http_scan_result pf_http_parse_head_scan(struct pf_http_scan *s, const char *buf,
                                                 size_t len, const struct pf_http_limits *lim,
                                                 size_t *head_len, int *status)
{
    const struct pf_http_limits *l = http_limits(lim);
    size_t stop = len < l->max_header_bytes ? len : l->max_header_bytes;
    size_t i = s->scanned < stop ? s->scanned : stop;
    const char *lf;
    int r = 0;

    while (i < stop && (lf = memchr(buf + i, '\n', stop - i)) != NULL) {
        i = (size_t)(lf - buf);
        r = http_scan_lf(s, buf, i, l);
        if (r != 0)
            break;
        i++;
    }
    if (r == 0)
        i = stop;   /* no LF left before stop */
    s->scanned = i; /* on DONE or ERROR: the LF, so a repeated call agrees */
    if (r == 1) {
        *head_len = i + 1;
        return PF_HTTP_SCAN_DONE;
    }
    if (r == 0 && s->line_end == 0 && i > s->line_start &&
        (http_line_overflow(buf + s->line_start, i - s->line_start, l->max_request_line) ||
         len > l->max_header_bytes))
        r = 414;
    if (r == 0 && len > l->max_header_bytes)
        r = 431;
    if (r == 0)
        return PF_HTTP_SCAN_MORE;
    *status = r;
    return PF_HTTP_SCAN_ERROR;
}

/* ---- parse: helpers ------------------------------------------------ */

/* Record an error: returns status, keeps the reason. */
static int http_fail(struct http_parser *p, int status, const char *reason)
{
    p->reason = reason;
    return status;
}

/* 400 for an unexpected byte at i: a bare LF or bare CR is named as such,
 * anything else gets the caller's reason. */
static int http_bad_byte(struct http_parser *p, size_t i, const char *reason)
{
    if (p->buf[i] == '\n')
        return http_fail(p, 400, "bare LF");
    if (p->buf[i] == '\r' && p->buf[i + 1] != '\n')
        return http_fail(p, 400, "bare CR");
    return http_fail(p, 400, reason);
}

/* First index from i whose byte is not of class cls (stops at any CR). */
static size_t http_skip(const struct http_parser *p, size_t i, unsigned cls)
{
    while (http_class[(unsigned char)p->buf[i]] & cls)
        i++;
    return i;
}

/* Is buf[off..off+len) a valid port: digits only, at least min of them? */
static bool http_valid_port(const char *buf, size_t off, size_t len, size_t min)
{
    return len >= min && http_all(buf, off, len, C_DIGIT);
}

/* reg-name or IPv4address: C_HOST bytes, each '%' followed by two hex. */
static bool http_valid_reg_name(const char *buf, size_t off, size_t len)
{
    for (size_t i = off; i < off + len; i++) {
        if (!(http_class[(unsigned char)buf[i]] & C_HOST))
            return false;
        if (buf[i] == '%' && (off + len - i < 3 || !http_all(buf, i + 1, 2, C_HEX)))
            return false;
    }
    return true;
}

/* uri-host [ ":" port ] in buf[off..off+len): IP-literal ("[" hex, ':'
 * and '.' "]") or reg-name, never empty; port digits, at least min_port. */
static bool http_valid_authority(const char *buf, size_t off, size_t len, size_t min_port)
{
    size_t end = off + len, h = off;

    if (len > 0 && buf[off] == '[') {
        while (++h < end && buf[h] != ']')
            if (!(http_class[(unsigned char)buf[h]] & C_HEX) && buf[h] != ':' && buf[h] != '.')
                return false;
        if (h == end || h == off + 1)
            return false;
        h++;
    } else {
        while (h < end && buf[h] != ':')
            h++;
        if (h == off || !http_valid_reg_name(buf, off, h - off))
            return false;
    }
    if (h == end)
        return min_port == 0;
    return buf[h] == ':' && http_valid_port(buf, h + 1, end - h - 1, min_port);
}

/* ---- parse: request line ------------------------------------------ */

/* The method token up to its SP; the method enum, or unknown (501 later). */
static int http_parse_method(struct http_parser *p)
{
    size_t a = p->pos, e = http_skip(p, a, C_TCHAR), n = e - a;

    if (n == 0)
        return http_bad_byte(p, a, "empty method");
    if (p->buf[e] != ' ')
        return http_bad_byte(p, e, "invalid method");
    p->req->method_text = http_slice(a, e);
    for (int m = 0; m < PF_HTTP_METHOD_COUNT; m++) {
        if (http_methods[m].len == n && memcmp(http_methods[m].name, p->buf + a, n) == 0) {
            p->req->method = (enum pf_http_method)m;
            p->method_known = true;
            break;
        }
    }
    p->pos = e + 1;
    return 0;
}

/* The request-target up to its SP: visible ASCII but '#'. */
static int http_parse_target_bytes(struct http_parser *p)
{
    size_t t = p->pos, e = http_skip(p, t, C_TARGET);

    if (p->buf[e] == ' ' && e > t) {
        p->req->target = http_slice(t, e);
        p->pos = e + 1;
        return 0;
    }
    if (e == t && p->buf[e] == ' ')
        return http_fail(p, 400, "empty request target");
    if (p->buf[e] == '#')
        return http_fail(p, 400, "fragment in request target");
    if (p->buf[e] == '\r' && p->buf[e + 1] == '\n')
        return http_fail(p, 400, "missing HTTP version");
    return http_bad_byte(p, e, "invalid byte in request target");
}

/* "HTTP/1.0" or "HTTP/1.1" then CRLF; "HTTP/d.d" otherwise is 505. Then
 * the request line's length against max_request_line (414). */
static int http_parse_version(struct http_parser *p)
{
    const char *v = p->buf + p->pos;

    if (p->end - p->pos < 10 || memcmp(v, "HTTP/", 5) != 0 ||
        !(http_class[(unsigned char)v[5]] & C_DIGIT) || v[6] != '.' ||
        !(http_class[(unsigned char)v[7]] & C_DIGIT))
        return http_bad_byte(p, p->pos, "invalid HTTP version");
    if (v[8] != '\r' || v[9] != '\n')
        return http_bad_byte(p, p->pos + 8, "invalid HTTP version");
    if (p->pos + 8 - p->line > p->lim->max_request_line)
        return http_fail(p, 414, "request line too long");
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
        return http_fail(p, 505, "HTTP version not supported");
    p->req->version = v[7] == '1' ? PF_HTTP_VERSION_11 : PF_HTTP_VERSION_10;
    p->pos += 10;
    return 0;
}

/* Split the origin-form part buf[off..end) into path and query. */
static void http_split_path(struct http_parser *p, size_t off, size_t end)
{
    const char *q = memchr(p->buf + off, '?', end - off);
    size_t path_end = q ? (size_t)(q - p->buf) : end;

    p->req->path = http_slice(off, path_end);
    if (q)
        p->req->query = http_slice(path_end + 1, end);
}

/* absolute-form "http://authority[/path][?query]": no userinfo, a valid
 * authority; a missing path is "/" (the second '/' of "//"). */
static int http_parse_absolute(struct http_parser *p, size_t off, size_t end)
{
    size_t a = off + 7, e = a;

    if (end - off < 7 || !http_name_eq(p->buf + off, "http://", 7))
        return http_fail(p, 400, "invalid request target");
    while (e < end && p->buf[e] != '/' && p->buf[e] != '?')
        e++;
    if (!http_valid_authority(p->buf, a, e - a, 0))
        return http_fail(p, 400, "invalid authority in request target");
    p->req->target_host = http_slice(a, e);
    p->req->absolute_form = true;
    if (e < end && p->buf[e] == '/') {
        http_split_path(p, e, end);
    } else {
        p->req->path = http_slice(a - 1, a);
        if (e < end)
            p->req->query = http_slice(e + 1, end);
    }
    return 0;
}

/* The four target forms, by method: origin and absolute for all but
 * CONNECT, which takes authority-form only; "*" for OPTIONS only. */
static int http_check_target_form(struct http_parser *p)
{
    struct pf_http_slice t = p->req->target;
    size_t off = t.off, end = (size_t)t.off + t.len;
    enum pf_http_method m = p->req->method;

    if (!p->method_known)
        return 0;
    if (m == PF_HTTP_CONNECT) /* the authority stays in target only */
        return http_valid_authority(p->buf, off, t.len, 1)
                   ? 0
                   : http_fail(p, 400, "CONNECT needs host:port");
    if (p->buf[off] == '/') {
        http_split_path(p, off, end);
        return 0;
    }
    if (t.len == 1 && p->buf[off] == '*')
        return m == PF_HTTP_OPTIONS ? 0 : http_fail(p, 400, "'*' target needs OPTIONS");
    return http_parse_absolute(p, off, end);
}

/* request-line = method SP request-target SP HTTP-version CRLF, after
 * any empty lines. They lie before the head's final CRLFCRLF, which is
 * never taken for one (so every loop still stops at a CR before the end). */
static int http_parse_request_line(struct http_parser *p)
{
    int st;

    p->line = p->pos = pf_http_parse_empty_lines(p->buf, p->end - 4);
    st = http_parse_method(p);

    if (st == 0)
        st = http_parse_target_bytes(p);
    if (st == 0)
        st = http_parse_version(p);
    if (st == 0)
        st = http_check_target_form(p);
    return st;
}

/* ---- parse: header fields ----------------------------------------- */

/* Host: at most one, empty or a valid uri-host[:port]. */
static int http_on_host(struct http_parser *p, struct pf_http_slice v)
{
    if (p->req->has_host)
        return http_fail(p, 400, "duplicate Host");
    if (v.len > 0 && !http_valid_authority(p->buf, v.off, v.len, 0))
        return http_fail(p, 400, "invalid Host");
    p->req->has_host = true;
    p->req->host = v;
    return 0;
}

/* Content-Length: one header, 1*DIGIT; any non-zero digit means a body. */
static int http_on_content_length(struct http_parser *p, struct pf_http_slice v)
{
    if (p->has_cl)
        return http_fail(p, 400, "duplicate Content-Length");
    p->has_cl = true;
    if (v.len == 0 || !http_all(p->buf, v.off, v.len, C_DIGIT))
        return http_fail(p, 400, "invalid Content-Length");
    for (size_t i = v.off; i < (size_t)v.off + v.len; i++)
        p->has_body |= p->buf[i] != '0';
    return 0;
}

/* Call fn on each element of the comma-separated list v, OWS trimmed;
 * empty elements are skipped (RFC 9110 5.6.1). 0, or fn's status. */
static int http_each_element(struct http_parser *p, struct pf_http_slice v,
                             int (*fn)(struct http_parser *p, size_t a, size_t b))
{
    size_t end = (size_t)v.off + v.len, a = v.off;

    for (size_t i = a; i <= end; i++) {
        size_t b = i;
        int st;

        if (i < end && p->buf[i] != ',')
            continue;
        while (a < b && HTTP_WS(p->buf[a]))
            a++;
        while (b > a && HTTP_WS(p->buf[b - 1]))
            b--;
        if (b > a && (st = fn(p, a, b)) != 0)
            return st;
        a = i + 1;
    }
    return 0;
}

/* One Connection list element buf[a..b): a token. */
static int http_connection_token(struct http_parser *p, size_t a, size_t b)
{
    if (!http_all(p->buf, a, b - a, C_TCHAR))
        return http_fail(p, 400, "invalid Connection header");
    if (b - a == 5 && http_name_eq(p->buf + a, "close", 5))
        p->req->conn_close = true;
    if (b - a == 10 && http_name_eq(p->buf + a, "keep-alive", 10))
        p->req->conn_keep_alive = true;
    return 0;
}

/* Connection: a comma-separated list of tokens. */
static int http_on_connection(struct http_parser *p, struct pf_http_slice v)
{
    return http_each_element(p, v, http_connection_token);
}

/* A token at *i in buf[..b): true if there is one; *i moves past it. */
static bool http_token_at(const struct http_parser *p, size_t *i, size_t b)
{
    size_t a = *i;

    while (*i < b && (http_class[(unsigned char)p->buf[*i]] & C_TCHAR))
        (*i)++;
    return *i > a;
}

/* OWS, the byte c, OWS at *i in buf[..b): true if c is there; *i moves
 * past the OWS after it. */
static bool http_separator_at(const struct http_parser *p, size_t *i, size_t b, char c)
{
    while (*i < b && HTTP_WS(p->buf[*i]))
        (*i)++;
    if (*i == b || p->buf[*i] != c)
        return false;
    for ((*i)++; *i < b && HTTP_WS(p->buf[*i]); (*i)++)
        ;
    return true;
}

/* One transfer-coding buf[a..b): token *( OWS ";" OWS token BWS "=" BWS
 * token ). Whether it is chunked is kept: the last one decides. */
static int http_te_coding(struct http_parser *p, size_t a, size_t b)
{
    size_t i = a;

    if (!http_token_at(p, &i, b))
        return http_fail(p, 400, "invalid Transfer-Encoding");
    p->te_chunked = i - a == 7 && http_name_eq(p->buf + a, "chunked", 7);
    p->chunked += p->te_chunked;
    while (i < b)
        if (!http_separator_at(p, &i, b, ';') || !http_token_at(p, &i, b) ||
            !http_separator_at(p, &i, b, '=') || !http_token_at(p, &i, b))
            return http_fail(p, 400, "invalid Transfer-Encoding");
    return 0;
}

/* Transfer-Encoding: every field line continues one list of codings. */
static int http_on_transfer_encoding(struct http_parser *p, struct pf_http_slice v)
{
    p->has_te = true;
    return http_each_element(p, v, http_te_coding);
}

/* A field kept as one slice (index k in http_fields): at most once. */
static int http_on_slice(struct http_parser *p, size_t k, struct pf_http_slice v)
{
    if ((p->seen >> k) & 1u)
        return http_fail(p, 400, "duplicate header field");
    p->seen |= 1u << k;
    *(struct pf_http_slice *)(void *)((char *)p->req + http_fields[k].slot) = v;
    return 0;
}

/* X-Forwarded-For: a proxy adds a line of its own or appends to the
 * last one, so every line counts, in order; past the lines kept, the
 * first ones go (the entries read first are the last ones). */
static int http_on_forwarded_for(struct http_parser *p, struct pf_http_slice v)
{
    struct pf_http_request *r = p->req;

    if (r->forwarded_lines == PF_HTTP_FORWARDED_LINES) {
        memmove(&r->forwarded_for[0], &r->forwarded_for[1],
                (PF_HTTP_FORWARDED_LINES - 1) * sizeof(r->forwarded_for[0]));
        r->forwarded_lines--;
    }
    r->forwarded_for[r->forwarded_lines++] = v;
    return 0;
}

/* Act on the known field http_fields[k] with value v. */
static int http_on_field(struct http_parser *p, size_t k, struct pf_http_slice v)
{
    switch (http_fields[k].kind) {
    case HF_HOST: return http_on_host(p, v);
    case HF_CONTENT_LENGTH: return http_on_content_length(p, v);
    case HF_TRANSFER_ENCODING: return http_on_transfer_encoding(p, v);
    case HF_CONNECTION: return http_on_connection(p, v);
    case HF_FORWARDED_FOR: return http_on_forwarded_for(p, v);
    case HF_SLICE: break;
    }
    return http_on_slice(p, k, v);
}

/* Find the field named buf[name..name+n) (length first) and act on it. */
static int http_dispatch(struct http_parser *p, size_t name, size_t n, struct pf_http_slice v)
{
    for (size_t k = 0; k < HTTP_FIELD_COUNT; k++)
        if (http_fields[k].len == n && http_name_eq(p->buf + name, http_fields[k].name, n))
            return http_on_field(p, k, v);
    return 0;
}

/* The field value from i to CRLF, OWS trimmed; moves pos to the next line. */
static int http_field_value(struct http_parser *p, size_t i, struct pf_http_slice *v)
{
    size_t a = http_skip(p, i, C_OWS), e = http_skip(p, a, C_VALUE), b = e;

    if (p->buf[e] != '\r' || p->buf[e + 1] != '\n')
        return http_bad_byte(p, e, "invalid byte in header value");
    while (b > a && HTTP_WS(p->buf[b - 1]))
        b--;
    *v = http_slice(a, b);
    p->pos = e + 2;
    return 0;
}

/* field-line = field-name ":" OWS field-value OWS CRLF, at pos. */
static int http_parse_field(struct http_parser *p)
{
    size_t name = p->pos, colon = http_skip(p, name, C_TCHAR);
    struct pf_http_slice v;
    int st;

    if (colon == name && HTTP_WS(p->buf[name]))
        return http_fail(p, 400, "obs-fold or whitespace before field name");
    if (colon == name || p->buf[colon] != ':')
        return http_bad_byte(p, colon, "invalid header field name");
    if (++p->req->header_count > p->lim->max_headers)
        return http_fail(p, 431, "too many header fields");
    st = http_field_value(p, colon + 1, &v);
    return st ? st : http_dispatch(p, name, colon - name, v);
}

/* All field lines up to the empty line, which must end the head. */
static int http_parse_fields(struct http_parser *p)
{
    int st;

    while (p->buf[p->pos] != '\r')
        if ((st = http_parse_field(p)) != 0)
            return st;
    if (p->buf[p->pos + 1] != '\n')
        return http_fail(p, 400, "bare CR");
    if (p->pos + 2 != p->end)
        return http_fail(p, 400, "data after the end of the head");
    return 0;
}

/* ---- parse: decisions --------------------------------------------- */

/* Decisions needing the whole head: Host, Transfer-Encoding, 501, 413,
 * keep-alive. The order is every 400 first, then 501, then 413. A body
 * whose coding does not end in chunked has no length a recipient could
 * find (RFC 9112 6.3): 400. One ending in chunked could be read, but
 * request bodies are not implemented: 501. Both close the connection. */
static int http_finish(struct http_parser *p)
{
    struct pf_http_request *r = p->req;

    if (r->version == PF_HTTP_VERSION_11 && !r->has_host)
        return http_fail(p, 400, "missing Host");
    if (p->has_te && p->has_cl)
        return http_fail(p, 400, "Transfer-Encoding with Content-Length");
    if (p->has_te && r->version == PF_HTTP_VERSION_10)
        return http_fail(p, 400, "Transfer-Encoding in HTTP/1.0");
    if (p->has_te && !p->te_chunked)
        return http_fail(p, 400, "Transfer-Encoding does not end in chunked");
    if (p->chunked > 1)
        return http_fail(p, 400, "chunked applied more than once");
    if (!p->method_known)
        return http_fail(p, 501, "unknown method");
    if (p->has_te)
        return http_fail(p, 501, "Transfer-Encoding not implemented");
    if (p->has_body)
        return http_fail(p, 413, "request body not accepted");
    r->keep_alive = r->version == PF_HTTP_VERSION_11 ? !r->conn_close
                                                     : (r->conn_keep_alive && !r->conn_close);
    return 0;
}

/* The head must end with CRLFCRLF and fit the limits (and 32-bit slices). */
static int http_check_head(struct http_parser *p)
{
    if (p->end > p->lim->max_header_bytes || p->end > UINT32_MAX)
        return http_fail(p, 431, "request head too large");
    if (p->end < 4 || memcmp(p->buf + p->end - 4, "\r\n\r\n", 4) != 0)
        return http_fail(p, 400, "incomplete request head");
    return 0;
}

/* Parse a complete head in one pass: request line, field lines, then the
 * decisions that need the whole head. */
int pf_http_parse(const char *buf, size_t head_len, const struct pf_http_limits *lim,
                  struct pf_http_request *req, const char **reason)
{
    struct http_parser p = {
        .buf = buf, .end = head_len, .lim = http_limits(lim), .req = req, .reason = "OK"};
    int st;

    memset(req, 0, sizeof(*req));
    st = http_check_head(&p);
    if (st == 0)
        st = http_parse_request_line(&p);
    if (st == 0)
        st = http_parse_fields(&p);
    if (st == 0)
        st = http_finish(&p);
    if (st == 0)
        req->head_len = head_len;
    if (reason)
        *reason = p.reason;
    return st;
}

/* ---- small public helpers ----------------------------------------- */

bool pf_http_parse_request_line(const char *buf, size_t len, struct pf_http_slice *line)
{
    size_t start = pf_http_parse_empty_lines(buf, len);
    const char *lf = start < len ? memchr(buf + start, '\n', len - start) : NULL;
    size_t end;

    if (lf == NULL || len > UINT32_MAX)
        return false;
    end = (size_t)(lf - buf);
    if (end > start && buf[end - 1] == '\r')
        end--;
    *line = (struct pf_http_slice){(uint32_t)start, (uint32_t)(end - start)};
    return true;
}

/* The method's name; "UNKNOWN" for a value outside the enum. */
const char *pf_http_parse_method_name(enum pf_http_method m)
{
    return (unsigned)m < PF_HTTP_METHOD_COUNT ? http_methods[m].name : "UNKNOWN";
}

/* ASCII case-insensitive equality; text is read only up to its NUL. */
bool pf_http_parse_slice_eq(const char *buf, struct pf_http_slice s, const char *text)
{
    for (size_t i = 0; i < s.len; i++)
        if (text[i] == '\0' ||
            http_lower((unsigned char)buf[(size_t)s.off + i]) != http_lower((unsigned char)text[i]))
            return false;
    return text[s.len] == '\0';
}
