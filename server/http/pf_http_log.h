/* pf_http_log: one access log line, in either format (pure, no I/O).
 *
 * combined: the Combined Log Format of Apache and nginx, then the request
 * time in seconds (millisecond precision) as a tenth field; the first
 * nine fields are exactly CLF, so tools that read CLF still parse it:
 *
 *   127.0.0.1 - - [07/Dec/2026:08:47:15 +0000] "GET / HTTP/1.1" 200 1234 "-" "curl/7.88.1" 0.002
 *
 * json: one object per line, always valid JSON, whatever the client sent:
 *
 *   {"time":"2026-12-07T08:47:15.123+00:00","remote_addr":"127.0.0.1",
 *    "request":"GET / HTTP/1.1","method":"GET","uri":"/","protocol":"HTTP/1.1",
 *    "status":200,"body_bytes_sent":1234,"referer":null,"user_agent":"curl/7.88.1",
 *    "host":"localhost","request_time":0.002,"connection_requests":1}
 *
 * Bytes from the client (the request line, Referer, User-Agent, Host) are
 * cut at PF_HTTP_LOG_FIELD_MAX bytes, and each byte that is not printable
 * ASCII, and '"' and '\', is written as the four characters \xHH, in both
 * formats: a hostile request can neither forge a line nor break the JSON,
 * and a JSON value, once decoded, reads exactly as the combined field.
 * (In the JSON text the backslash of \xHH is itself escaped: "\\xHH".)
 */
#ifndef PF_HTTP_LOG_H
#define PF_HTTP_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum pf_http_log_format {
    PF_HTTP_LOG_COMBINED = 0,
    PF_HTTP_LOG_JSON,
};

/* Bytes of a field; p NULL (or len 0) means absent: "-" or null. */
struct pf_http_log_text {
    const char *p;
    size_t len;
};

struct pf_http_log_entry {
    const char *client;           /* the client's address, without the port */
    struct tm tm;                 /* local time the request came; tm_gmtoff is the zone */
    int msec;                     /* 0..999, the milliseconds of that time */
    struct pf_http_log_text line; /* the request line without its CRLF; absent: none */
    struct pf_http_log_text referer, user_agent, host;
    int status;
    uint64_t body_bytes;      /* body bytes really sent */
    int64_t duration_ms;      /* request time */
    long connection_requests; /* this request's number on its connection, from 1 */
};

/* Longest part of one client-sent field that is logged. */
#define PF_HTTP_LOG_FIELD_MAX 512

/* A line never needs more: eight client fields (the request line and its
 * three parts, Referer, User-Agent, Host, the address), each at worst
 * five bytes per byte ("\\xHH" in JSON), and the rest. */
#define PF_HTTP_LOG_LINE_MAX (8 * 5 * PF_HTTP_LOG_FIELD_MAX + 1024)

/* "combined" or "json": the format, or -1 for another name. */
int pf_http_log_format_parse(const char *name);

/* Write e's line in format f, '\n' included, into out (size at least
 * PF_HTTP_LOG_LINE_MAX, which is never cut) and return its length. */
size_t pf_http_log_line(enum pf_http_log_format f, const struct pf_http_log_entry *e, char *out,
                        size_t size);

/* The parts of a request line, for the json format: the method up to the
 * first space, the protocol after the last one (when there are two or
 * more spaces), the target between; each absent when there is none. */
void pf_http_log_split(struct pf_http_log_text line, struct pf_http_log_text *method,
                       struct pf_http_log_text *target, struct pf_http_log_text *protocol);

#endif
