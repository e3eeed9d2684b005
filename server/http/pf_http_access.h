/* pf_http_access: the access log file, one line per response, in the
 * format of http.access_log_format (the lines: pf_http_log.h).
 *
 * One write() per line on a file opened O_APPEND by each worker: the
 * kernel appends each write whole, so lines from many workers never
 * interleave.
 */
#ifndef PF_HTTP_ACCESS_H
#define PF_HTTP_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <time.h>

#include "pf_http_log.h"

struct pf_http_access {
    int fd;                         /* -1: off */
    const char *path;               /* owned by the configuration */
    bool failed;                    /* the last line was not written whole (pf_log_write_line) */
    enum pf_http_log_format format; /* the lines' format */
};

/* Open path for appending ("" = off), its lines to be written in format.
 * 0, or -1 with the reason in err. */
int pf_http_access_open(struct pf_http_access *a, const char *path, enum pf_http_log_format format,
                        char *err, size_t errlen);
void pf_http_access_reopen(struct pf_http_access *a);
void pf_http_access_close(struct pf_http_access *a);

/* Log one response: e as the caller filled it but its time, which is
 * at (CLOCK_REALTIME, when the request came) in the local time zone. */
void pf_http_access_write(struct pf_http_access *a, struct pf_http_log_entry *e,
                          const struct timespec *at);

#endif
