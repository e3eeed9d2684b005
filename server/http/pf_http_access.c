/* pf_http_access: the access log file, one write() per line. */
#include "pf_http_access.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pf_err.h"
#include "pf_log.h"

int pf_http_access_open(struct pf_http_access *a, const char *path, enum pf_http_log_format format,
                        char *err, size_t errlen)
{
    a->fd = -1;
    a->path = path;
    a->failed = false;
    a->format = format;
    if (path[0] == '\0')
        return 0;
    a->fd = pf_log_open_append("access log", path, err, errlen);
    return a->fd < 0 ? -1 : 0;
}

/* After logrotate moved the file: new lines go to a new file by the name. */
void pf_http_access_reopen(struct pf_http_access *a)
{
    char err[PF_ERR_MAX];
    int old = a->fd;
    bool failed = a->failed;

    if (old < 0)
        return;
    if (pf_http_access_open(a, a->path, a->format, err, sizeof(err)) < 0) {
        pf_log_error("%s", err);
        a->fd = old;
        a->failed = failed;
        return;
    }
    close(old);
}

void pf_http_access_close(struct pf_http_access *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
}

/* at in the local time zone: localtime_r once a second, the
 * milliseconds added. */
static void access_time(const struct timespec *at, struct tm *tm, int *msec)
{
    static struct tm cached;
    static time_t cached_at = -1;

    if (at->tv_sec != cached_at) {
        localtime_r(&at->tv_sec, &cached);
        cached_at = at->tv_sec;
    }
    *tm = cached;
    *msec = (int)(at->tv_nsec / 1000000);
}

void pf_http_access_write(struct pf_http_access *a, struct pf_http_log_entry *e,
                          const struct timespec *at)
{
    char line[PF_HTTP_LOG_LINE_MAX];
    size_t len;

    if (a->fd < 0)
        return;
    access_time(at, &e->tm, &e->msec);
    len = pf_http_log_line(a->format, e, line, sizeof(line));
    /* A full disk must not stop serving: the line is dropped (or cut). */
    pf_log_write_line(a->fd, line, len, &a->failed);
}
