/* fuzz_http_parse: the HTTP request head scanner and parser
 * (server/http/pf_http_parse.c), fed the way a worker feeds them: bytes in a
 * buffer, scanned for the end of the head as they arrive, then the
 * complete head parsed; pipelined requests one after the other.
 *
 * Input: byte 0 picks where the bytes are split between two scan calls,
 * byte 1 picks the limits (the defaults, or small ones within the bounds
 * the configuration allows), the rest is what a client sent.
 *
 * Invariants, abort() on any violation:
 *  - the scan's answer (MORE, DONE with head_len, ERROR with status) is
 *    the same whether the bytes come in one call, in two split at the
 *    position byte 0 gives, or one at a time (the header promises it
 *    does not depend on how the bytes were split);
 *  - DONE: head_len <= the bytes given and <= max_header_bytes, and the
 *    head ends with "\r\n\r\n"; ERROR: status 400, 414 or 431;
 *  - pf_http_parse returns 0, 400, 413, 414, 431, 501 or 505 with a
 *    non-empty reason; a head the scan accepted is never 414 (the scan
 *    checks the request line first);
 *  - on success: head_len as given, version 10 or 11, a known method whose
 *    name the method slice holds, header_count <= max_headers, Host
 *    present in HTTP/1.1, keep_alive as the version and Connection say,
 *    every slice inside the head and free of CR and LF, the target made of
 *    visible ASCII without '#', a path starting with '/' unless the
 *    target is "*" or an authority, path and query inside the target
 *    (or the "//" of an absolute-form target), field values without OWS
 *    at either end;
 *  - on an error, the slices already set still lie inside the head.
 * The request bytes are a heap block of exactly their size, so a read
 * past them is an AddressSanitizer report.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz_check.h"
#include "pf_http_parse.h"

#define PIPELINE_MAX 8

/* Limits byte 1 chooses from: NULL (the defaults) and values the
 * configuration accepts (max_request_line 64.., max_header_bytes 256..). */
static const struct pf_http_limits limit_sets[] = {
    {8192, 8192, 100},
    {64, 256, 1},
    {4096, 256, 4},
    {100, 1024, 10},
};

/* One scan's answer, comparable between feeding strategies. */
struct scan_answer {
    enum pf_http_scan_result res;
    size_t head_len; /* DONE */
    int status;      /* ERROR */
};

/* Scan buf[0..len) feeding it in prefixes: first cut bytes (when cut is
 * neither 0 nor len), then everything. step 1 feeds one byte at a time. */
static struct scan_answer scan_fed(const char *buf, size_t len, size_t cut, bool step,
                                   const struct pf_http_limits *lim)
{
    struct scan_answer a = {PF_HTTP_SCAN_MORE, 0, 0};
    struct pf_http_scan s;
    size_t have = step ? (len ? 1 : 0) : (cut > 0 && cut < len ? cut : len);

    pf_http_parse_scan_init(&s);
    for (;;) {
        a.res = pf_http_parse_head_scan(&s, buf, have, lim, &a.head_len, &a.status);
        if (a.res != PF_HTTP_SCAN_MORE || have == len)
            break;
        have = step ? have + 1 : len;
    }
    if (a.res != PF_HTTP_SCAN_DONE)
        a.head_len = 0;
    if (a.res != PF_HTTP_SCAN_ERROR)
        a.status = 0;
    return a;
}

/* Same answer from two feeding strategies? */
static bool scan_same(struct scan_answer x, struct scan_answer y)
{
    return x.res == y.res && x.head_len == y.head_len && x.status == y.status;
}

/* The scan answer for buf[0..len), checked three ways and for its bounds. */
static struct scan_answer check_scan(const char *buf, size_t len, uint8_t split,
                                     const struct pf_http_limits *lim)
{
    const struct pf_http_limits *l = lim ? lim : &limit_sets[0];
    struct scan_answer whole = scan_fed(buf, len, len, false, lim);
    struct scan_answer two = scan_fed(buf, len, len * split / 255, false, lim);

    FUZZ_CHECK(scan_same(whole, two), "scan answer depends on the split");
    if (len <= 2048)
        FUZZ_CHECK(scan_same(whole, scan_fed(buf, len, 0, true, lim)),
                   "scan answer differs byte by byte");
    if (whole.res == PF_HTTP_SCAN_DONE) {
        FUZZ_CHECK(whole.head_len >= 4 && whole.head_len <= len &&
                       whole.head_len <= l->max_header_bytes,
                   "head_len out of bounds");
        FUZZ_CHECK(memcmp(buf + whole.head_len - 4, "\r\n\r\n", 4) == 0,
                   "head does not end with CRLFCRLF");
    }
    if (whole.res == PF_HTTP_SCAN_ERROR)
        FUZZ_CHECK(whole.status == 400 || whole.status == 414 || whole.status == 431,
                   "scan status out of range");
    return whole;
}

/* A slice lies inside buf[0..head_len). */
static bool slice_inside(struct pf_http_slice s, size_t head_len)
{
    return (size_t)s.off + s.len <= head_len;
}

/* A slice holds no CR, LF or NUL (it never crosses a line). */
static bool slice_one_line(const char *buf, struct pf_http_slice s)
{
    for (size_t i = s.off; i < (size_t)s.off + s.len; i++)
        if (buf[i] == '\r' || buf[i] == '\n' || buf[i] == '\0')
            return false;
    return true;
}

/* b lies inside a (offsets). */
static bool slice_within(struct pf_http_slice b, struct pf_http_slice a)
{
    return b.off >= a.off && (size_t)b.off + b.len <= (size_t)a.off + a.len;
}

/* Every slice of req, for the checks that apply to all of them. */
static size_t request_slices(const struct pf_http_request *r, struct pf_http_slice *out)
{
    const struct pf_http_slice all[] = {
        r->method_text, r->target,   r->path,          r->query,
        r->target_host, r->host,     r->if_none_match, r->if_modified_since,
        r->range,       r->if_range, r->user_agent,    r->referer,
    };

    size_t n = sizeof(all) / sizeof(all[0]);

    memcpy(out, all, sizeof(all));
    FUZZ_CHECK(r->forwarded_lines <= PF_HTTP_FORWARDED_LINES, "more X-Forwarded-For lines kept");
    for (unsigned i = 0; i < r->forwarded_lines; i++)
        out[n++] = r->forwarded_for[i];
    return n;
}

/* A field value as kept: no OWS at either end. */
static bool value_trimmed(const char *buf, struct pf_http_slice v)
{
    if (v.len == 0)
        return true;
    return buf[v.off] != ' ' && buf[v.off] != '\t' && buf[v.off + v.len - 1] != ' ' &&
           buf[v.off + v.len - 1] != '\t';
}

/* The request-target: visible ASCII, no '#'; path and query inside it. */
static void check_target(const char *buf, const struct pf_http_request *r)
{
    FUZZ_CHECK(r->target.len > 0, "empty target accepted");
    for (size_t i = r->target.off; i < (size_t)r->target.off + r->target.len; i++)
        FUZZ_CHECK(buf[i] >= 0x21 && buf[i] <= 0x7e && buf[i] != '#', "bad target byte");
    if (r->path.len > 0) {
        FUZZ_CHECK(buf[r->path.off] == '/', "path does not start with '/'");
        FUZZ_CHECK(slice_within(r->path, r->target), "path outside the target");
    } else {
        FUZZ_CHECK(r->method == PF_HTTP_OPTIONS || r->method == PF_HTTP_CONNECT,
                   "no path for a method that needs one");
    }
    if (r->query.len > 0)
        FUZZ_CHECK(slice_within(r->query, r->target), "query outside the target");
    FUZZ_CHECK(r->absolute_form == (r->target_host.len > 0),
               "target_host set without absolute-form");
}

/* Everything a successful parse promises. */
static void check_request(const char *buf, size_t head_len, const struct pf_http_request *r,
                          const struct pf_http_limits *l)
{
    FUZZ_CHECK(r->head_len == head_len, "head_len not the one given");
    FUZZ_CHECK(r->version == 10 || r->version == 11, "version out of range");
    FUZZ_CHECK((unsigned)r->method < PF_HTTP_METHOD_COUNT, "method out of range");
    FUZZ_CHECK(pf_http_parse_slice_eq(buf, r->method_text, pf_http_parse_method_name(r->method)),
               "method text is not the method's name");
    FUZZ_CHECK(r->header_count <= l->max_headers, "more header fields than allowed");
    FUZZ_CHECK(r->version == 10 || r->has_host, "HTTP/1.1 without Host accepted");
    FUZZ_CHECK(r->keep_alive ==
                   (r->version == 11 ? !r->conn_close : r->conn_keep_alive && !r->conn_close),
               "keep_alive not what version and Connection say");
    check_target(buf, r);
    FUZZ_CHECK(value_trimmed(buf, r->host) && value_trimmed(buf, r->user_agent) &&
                   value_trimmed(buf, r->referer) && value_trimmed(buf, r->range) &&
                   value_trimmed(buf, r->if_range) && value_trimmed(buf, r->if_none_match) &&
                   value_trimmed(buf, r->if_modified_since),
               "field value with OWS kept");
}

/* Parse buf[0..head_len) and check the result; scanned says the scan
 * found this head (so its request line fits). */
static void check_parse(const char *buf, size_t head_len, const struct pf_http_limits *lim,
                        bool scanned)
{
    const struct pf_http_limits *l = lim ? lim : &limit_sets[0];
    struct pf_http_request req;
    struct pf_http_slice slices[12 + PF_HTTP_FORWARDED_LINES];
    const char *reason = NULL;
    int st = pf_http_parse(buf, head_len, lim, &req, &reason);
    size_t n = request_slices(&req, slices);

    FUZZ_CHECK(st == 0 || st == 400 || st == 413 || st == 414 || st == 431 || st == 501 ||
                   st == 505,
               "parse status out of range");
    FUZZ_CHECK(reason != NULL && reason[0] != '\0', "no reason");
    FUZZ_CHECK(!(scanned && st == 414), "a scanned head is 414 in the parse");
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(slice_inside(slices[i], head_len), "slice outside the head");
        FUZZ_CHECK(slice_one_line(buf, slices[i]), "slice crosses a line");
    }
    if (st == 0)
        check_request(buf, head_len, &req, l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct pf_http_limits *lim;
    size_t len, off = 0;
    char *buf;

    if (size < 2)
        return 0;
    lim = (data[1] & 3) == 0 ? NULL : &limit_sets[data[1] & 3];
    len = size - 2;
    buf = fuzz_dup(data + 2, len);
    check_parse(buf, len, lim, false); /* any bytes at all, as a "head" */
    for (int k = 0; k < PIPELINE_MAX && off < len; k++) {
        char *req = fuzz_dup((const uint8_t *)buf + off, len - off);
        struct scan_answer a = check_scan(req, len - off, data[0], lim);

        if (a.res == PF_HTTP_SCAN_DONE) {
            char *head = fuzz_dup((const uint8_t *)req, a.head_len); /* exact bounds */

            check_parse(head, a.head_len, lim, true);
            free(head);
        }
        free(req);
        if (a.res != PF_HTTP_SCAN_DONE)
            break;
        off += a.head_len;
    }
    free(buf);
    return 0;
}
