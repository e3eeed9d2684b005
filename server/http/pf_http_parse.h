/* pf_http_parse: HTTP/1.x request heads, parsed strictly (pure, no I/O).
 *
 * Bytes in, a parsed request or a precise error out. Nothing is copied:
 * the request refers to the caller's buffer with slices. The parser is
 * strict on purpose (RFC 9110/9112): a request this server and a proxy in
 * front of it could read differently is refused, so no request can be
 * smuggled through. This server never reads request bodies, so any request
 * announcing one is refused too (the handler answers 413 or 501 and closes).
 *
 * Two steps, so that a client trickling bytes costs a scan, not a reparse:
 *   1. pf_http_parse_head_scan() on every arrival: finds the end of the head
 *      ("\r\n\r\n") incrementally and enforces the size limits early
 *      (414 for a request line, 431 for the head) before the end is seen;
 *   2. pf_http_parse() once on the complete head.
 *
 * Grammar enforced (anything else is an error with the status given):
 *  - line ends are CRLF; a bare LF or a bare CR anywhere is 400, except
 *    that empty lines (CRLF, or a bare LF) before the request line are
 *    skipped (RFC 9112 2.2): they are part of the head and count toward
 *    max_header_bytes;
 *  - request-line = method SP request-target SP HTTP-version, single SP;
 *    method = token (tchar+), else 400; a known method other than GET and
 *    HEAD parses fine (the handler answers 405); an unknown token is 501;
 *  - request-target: origin-form ("/path?query"), or absolute-form
 *    ("http://authority/path?query"; authority in req->target_host);
 *    "*" and authority-form are 400 except for OPTIONS/CONNECT (which then
 *    get 405); bytes must be visible ASCII (0x21-0x7E), else 400;
 *  - HTTP-version "HTTP/1.0" or "HTTP/1.1"; "HTTP/d.d" otherwise is 505;
 *    anything else (lowercase, missing digits, extra bytes) is 400;
 *  - field-name = token, no whitespace before ':' (400); field-value may
 *    hold VCHAR, SP, HTAB, obs-text (0x80-0xFF); any other control byte
 *    (NUL, CR, LF inside, DEL) is 400; a line starting with SP/HTAB
 *    (obs-fold) is 400; OWS around the value is trimmed;
 *  - Host: required in HTTP/1.1 (400 if missing), at most one (400),
 *    value must be a valid uri-host[:port] (400);
 *  - Content-Length: digits only, one header only (400 otherwise, also
 *    for a comma list); a value > 0 is a body: 413 (never read);
 *  - Transfer-Encoding: with Content-Length 400; in HTTP/1.0 400; its
 *    lines form one comma-separated list of codings (token, parameters
 *    "; name=value" of tokens), else 400; a list that does not end in
 *    "chunked", or applies it twice, 400 (RFC 9112 6.3); otherwise 501
 *    (request bodies not implemented);
 *  - Connection: comma-separated tokens, case-insensitive "close" and
 *    "keep-alive" recognised;
 *  - X-Forwarded-For: every line kept, in order, the last
 *    PF_HTTP_FORWARDED_LINES of them when there are more (its entries are
 *    read from the right: pf_http_xff); its value is not checked here;
 *  - limits: request line longer than max_request_line bytes (CRLF and
 *    empty lines before it not counted): 414; head longer than max_header_bytes (request line and
 *    final CRLF included) or more than max_headers fields: 431.
 */
#ifndef PF_HTTP_PARSE_H
#define PF_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The two versions served, as struct pf_http_request.version holds them. */
#define PF_HTTP_VERSION_10 10 /* HTTP/1.0 */
#define PF_HTTP_VERSION_11 11 /* HTTP/1.1 */

enum pf_http_method {
    PF_HTTP_GET = 0,
    PF_HTTP_HEAD,
    PF_HTTP_POST,
    PF_HTTP_PUT,
    PF_HTTP_DELETE,
    PF_HTTP_OPTIONS,
    PF_HTTP_TRACE,
    PF_HTTP_CONNECT,
    PF_HTTP_PATCH,
    PF_HTTP_METHOD_COUNT
};

/* A byte range of the request buffer; len 0 means absent (or empty). */
struct pf_http_slice {
    uint32_t off;
    uint32_t len;
};

/* X-Forwarded-For lines kept of one request: the last ones. */
#define PF_HTTP_FORWARDED_LINES 8

struct pf_http_limits {
    size_t max_request_line; /* default 8192 */
    size_t max_header_bytes; /* default 8192 */
    unsigned max_headers;    /* default 100 */
};

struct pf_http_request {
    enum pf_http_method method;
    int version;                      /* PF_HTTP_VERSION_10 or _11 */
    struct pf_http_slice method_text; /* as sent, for the access log */
    struct pf_http_slice target;      /* request-target as sent */
    struct pf_http_slice path;        /* path part, still percent-encoded */
    struct pf_http_slice query;       /* after '?', without it */
    struct pf_http_slice target_host; /* absolute-form authority, else len 0 */
    bool absolute_form;
    struct pf_http_slice host; /* Host header value */
    bool has_host;
    /* Headers the static file handler and the access log use. */
    struct pf_http_slice if_none_match;
    struct pf_http_slice if_modified_since;
    struct pf_http_slice range;
    struct pf_http_slice if_range;
    struct pf_http_slice user_agent;
    struct pf_http_slice referer;
    /* X-Forwarded-For, line by line in the order sent (the last
     * PF_HTTP_FORWARDED_LINES when more came); forwarded_lines of them */
    struct pf_http_slice forwarded_for[PF_HTTP_FORWARDED_LINES];
    unsigned forwarded_lines;
    bool conn_close;      /* Connection: close */
    bool conn_keep_alive; /* Connection: keep-alive */
    bool keep_alive;      /* what the client asked for, per version */
    unsigned header_count;
    size_t head_len; /* bytes of the whole head, final CRLF included */
};

/* State of the incremental end-of-head scan over a growing buffer. */
struct pf_http_scan {
    size_t scanned;    /* bytes already looked at */
    size_t line_start; /* start of the request line: bytes of empty lines before it */
    size_t line_end;   /* end of the request line once found, else 0 */
};

enum pf_http_scan_result {
    PF_HTTP_SCAN_MORE = 0, /* head not complete yet, limits not exceeded */
    PF_HTTP_SCAN_DONE,     /* head complete: *head_len bytes */
    PF_HTTP_SCAN_ERROR,    /* *status: 414 or 431 (or 400 for a bare CR/LF) */
};

/* Reset a scan for the next request (the buffer front is a new request). */
void pf_http_parse_scan_init(struct pf_http_scan *s);

/* Look at buf[0..len) (which extends what earlier calls saw) for the end of
 * the head. Linear overall: each byte is examined a bounded number of times. */
enum pf_http_scan_result pf_http_parse_head_scan(struct pf_http_scan *s, const char *buf,
                                                 size_t len, const struct pf_http_limits *lim,
                                                 size_t *head_len, int *status);

/* Parse a complete head buf[0..head_len). Returns 0 with req filled, or
 * the HTTP status of the error (400, 413, 414, 431, 501, 505) with a short
 * static reason in *reason (for the error page and the log). */
int pf_http_parse(const char *buf, size_t head_len, const struct pf_http_limits *lim,
                  struct pf_http_request *req, const char **reason);

/* Bytes of the whole empty lines (CRLF or bare LF) at the front of
 * buf[0..len): what a server skips before a request line (RFC 9112 2.2).
 * A lone CR at the end is not a whole line yet. */
size_t pf_http_parse_empty_lines(const char *buf, size_t len);

/* The request line at the front of buf[0..len) (after the empty lines a
 * client may send first), without its line end, when the line has ended
 * (LF, with or without CR) within len: for the access log of a request
 * refused before or while it was parsed. false when no line ended there
 * (nothing came, or a 414 for a line still going on). */
bool pf_http_parse_request_line(const char *buf, size_t len, struct pf_http_slice *line);

/* "GET", "HEAD", ... for a method. */
const char *pf_http_parse_method_name(enum pf_http_method m);

/* Case-insensitive comparison of a slice with a NUL-terminated string. */
bool pf_http_parse_slice_eq(const char *buf, struct pf_http_slice s, const char *text);

#endif
