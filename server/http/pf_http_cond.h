/* pf_http_cond: dates, validators, conditional requests and byte ranges
 * for static files (pure, RFC 9110).
 */
#ifndef PF_HTTP_COND_H
#define PF_HTTP_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define PF_HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define PF_HTTP_ETAG_MAX 48

/* IMF-fixdate of t into out (PF_HTTP_DATE_LEN + 1 bytes). */
void pf_http_cond_date_format(time_t t, char out[PF_HTTP_DATE_LEN + 1]);

/* Parse an HTTP-date: IMF-fixdate, and the obsolete RFC 850 and asctime
 * forms (RFC 9110 5.6.7). 0 and *t, or -1 when invalid. */
int pf_http_cond_date_parse(const char *s, size_t len, time_t *t);

/* Strong entity tag from size and modification time (nanoseconds
 * included), quoted: "\"5f3a-17c3b2a9e1c4d2a0\"". Returns its length. */
size_t pf_http_cond_etag(char *out, size_t size, off_t file_size, const struct timespec *mtime);

/* RFC 9110 13.2.2 for GET/HEAD: true when the answer is 304 Not Modified.
 * If-None-Match (a list of tags, or "*"; weak comparison) takes precedence;
 * only when it is absent is If-Modified-Since compared with mtime (an
 * invalid date is ignored). Absent headers have len 0. */
bool pf_http_cond_not_modified(const char *inm, size_t inm_len, const char *ims, size_t ims_len,
                               const char *etag, time_t mtime);

enum pf_http_range {
    PF_HTTP_RANGE_NONE = 0,      /* no usable Range: answer 200 with the whole file */
    PF_HTTP_RANGE_OK,            /* one satisfiable range: 206, [*first, *last] */
    PF_HTTP_RANGE_UNSATISFIABLE, /* 416 with Content-Range: bytes star/size */
};

/* Evaluate a Range header against a file of size bytes. Only one range of
 * unit "bytes" is served ("a-b", "a-", "-n"); several ranges, another unit
 * or a syntax error give NONE (RFC 9110 allows ignoring Range). A valid
 * range starting at or past the end gives UNSATISFIABLE; b past the end is
 * clamped. If-Range (if if_range_len > 0) must match the strong etag or
 * equal the Last-Modified date exactly, else NONE. */
enum pf_http_range pf_http_cond_range(const char *range, size_t range_len, const char *if_range,
                                      size_t if_range_len, const char *etag, time_t mtime,
                                      off_t size, off_t *first, off_t *last);

#endif
