/* pf_http_response: building response heads and error pages.
 *
 * Heads are assembled with memcpy appends into the caller's buffer, not
 * printf: this runs once per request. The Date value is formatted once a
 * second and reused.
 */
#ifndef PF_HTTP_RESPONSE_H
#define PF_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pf_http_cond.h"

/* An append-only byte buffer over caller memory; overflow is sticky. */
struct pf_http_response {
    char *p;
    size_t len;
    size_t cap;
    bool overflow;
};

void pf_http_response_init(struct pf_http_response *b, char *mem, size_t cap);
void pf_http_response_add(struct pf_http_response *b, const void *data, size_t len);
void pf_http_response_str(struct pf_http_response *b, const char *s);
void pf_http_response_u64(struct pf_http_response *b, uint64_t v);

/* "404 Not Found" style reason phrase; "Unknown" for others. */
const char *pf_http_response_reason(int status);

/* The current IMF-fixdate, reformatted only when the second changes. */
const char *pf_http_response_date(void);

/* Start a head: "HTTP/1.1 <status> <reason>\r\nServer: preforkd\r\nDate: ...\r\n". */
void pf_http_response_begin(struct pf_http_response *b, int status);

/* Content length meaning "send no Content-Length" (304 Not Modified). */
#define PF_HTTP_NO_LENGTH UINT64_MAX

/* End a head: Content-Length (unless PF_HTTP_NO_LENGTH), Connection (close, keep-alive for HTTP/1.0,
 * nothing for 1.1 keep-alive), blank line. */
void pf_http_response_end(struct pf_http_response *b, uint64_t content_length, bool keep_alive,
                          int version);

/* The built-in error page is at most this many bytes. */
#define PF_HTTP_ERROR_PAGE_MAX 2048

/* The head of an error response for status whose HTML body is body_len
 * bytes: Content-Type text/html (UTF-8), extra inserted as header lines
 * (may be NULL, each line ending in CRLF, e.g. "Allow: GET, HEAD\r\n"),
 * then pf_http_response_end. For a page the caller sends itself (a
 * configured one, http.error_pages). */
void pf_http_response_error_head(struct pf_http_response *b, int status, const char *extra,
                                 bool keep_alive, int version, size_t body_len);

/* A whole error response with the built-in page: the head above, then
 * (unless head_only) a small HTML page in the look of the shipped site's
 * stylesheet, with the status, a sentence and a link home ("/"). Returns
 * the body length (also for head_only: it is the Content-Length). */
size_t pf_http_response_error(struct pf_http_response *b, int status, const char *extra,
                              bool keep_alive, int version, bool head_only);

#endif
