/* pf_http_access: the access log, in Combined Log Format.
 *
 *   127.0.0.1 - - [21/Nov/2026:09:23:38 +0000] "GET / HTTP/1.1" 200 1234 "-" "curl/7.88.1"
 *
 * One write() per line on a file opened O_APPEND by each worker: the
 * kernel appends each write whole, so lines from many workers never
 * interleave. Bytes a client sent that are not printable ASCII, and '"'
 * and '\', are written as \xHH, so a hostile request cannot forge lines.
 */
#ifndef PF_HTTP_ACCESS_H
#define PF_HTTP_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_http_parse.h"

struct pf_http_access {
    int fd;           /* -1: off */
    const char *path; /* owned by the configuration */
    bool failed;      /* the last line was not written whole (pf_log_write_line) */
};

/* Open path for appending ("" = off). 0, or -1 with the reason in err. */
int pf_http_access_open(struct pf_http_access *a, const char *path, char *err, size_t errlen);
void pf_http_access_reopen(struct pf_http_access *a);
void pf_http_access_close(struct pf_http_access *a);

/* Log one response. req may be NULL when the head could not be parsed
 * (the request line is then logged as "-"); buf is the request buffer
 * the slices of req point into. */
void pf_http_access_write(struct pf_http_access *a, const char *client_ip, const char *buf,
                          const struct pf_http_request *req, int status, uint64_t body_bytes);

#endif
