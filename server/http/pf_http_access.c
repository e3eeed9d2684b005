/* pf_http_access: Combined Log Format lines, one write() each. */
#include "pf_http_access.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pf_err.h"
#include "pf_http_response.h"
#include "pf_log.h"

/* Longest part of one client-sent field that is logged. */
#define ACCESS_FIELD_MAX 512

int pf_http_access_open(struct pf_http_access *a, const char *path, char *err, size_t errlen)
{
    a->fd = -1;
    a->path = path;
    a->failed = false;
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
    if (pf_http_access_open(a, a->path, err, sizeof(err)) < 0) {
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

/* "[21/Nov/2026:09:23:38 +0000]", formatted once a second. */
static const char *access_time(void)
{
    static char text[40];
    static time_t at = -1;
    time_t now = time(NULL);
    struct tm tm;

    if (now != at) {
        localtime_r(&now, &tm);
        strftime(text, sizeof(text), "[%d/%b/%Y:%H:%M:%S %z]", &tm);
        at = now;
    }
    return text;
}

/* Append client bytes, escaping what could break or forge a line. */
static void access_escaped(struct pf_http_response *b, const char *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    if (len > ACCESS_FIELD_MAX)
        len = ACCESS_FIELD_MAX;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];

        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
            pf_http_response_add(b, &p[i], 1);
        } else {
            char esc[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
            pf_http_response_add(b, esc, 4);
        }
    }
}

/* "value" or "-" for a header slice. */
static void access_quoted(struct pf_http_response *b, const char *buf, struct pf_http_slice s)
{
    pf_http_response_add(b, "\"", 1);
    if (s.len == 0)
        pf_http_response_add(b, "-", 1);
    else
        access_escaped(b, buf + s.off, s.len);
    pf_http_response_add(b, "\"", 1);
}

static void access_request_line(struct pf_http_response *b, const char *buf,
                                const struct pf_http_request *req)
{
    pf_http_response_add(b, "\"", 1);
    if (req == NULL) {
        pf_http_response_add(b, "-", 1);
    } else {
        access_escaped(b, buf + req->method_text.off, req->method_text.len);
        pf_http_response_add(b, " ", 1);
        access_escaped(b, buf + req->target.off, req->target.len);
        pf_http_response_str(b, req->version == PF_HTTP_VERSION_10 ? " HTTP/1.0" : " HTTP/1.1");
    }
    pf_http_response_add(b, "\" ", 2);
}

void pf_http_access_write(struct pf_http_access *a, const char *client_ip, const char *buf,
                          const struct pf_http_request *req, int status, uint64_t body_bytes)
{
    static const struct pf_http_slice none = {0, 0};
    char line[4 * 4 * ACCESS_FIELD_MAX + 512]; /* four fields, each escaped at worst 4x */
    struct pf_http_response b;

    if (a->fd < 0)
        return;
    pf_http_response_init(&b, line, sizeof(line) - 1);
    pf_http_response_str(&b, client_ip);
    pf_http_response_str(&b, " - - ");
    pf_http_response_str(&b, access_time());
    pf_http_response_add(&b, " ", 1);
    access_request_line(&b, buf, req);
    pf_http_response_u64(&b, (uint64_t)status);
    pf_http_response_add(&b, " ", 1);
    if (body_bytes == 0)
        pf_http_response_add(&b, "-", 1);
    else
        pf_http_response_u64(&b, body_bytes);
    pf_http_response_add(&b, " ", 1);
    access_quoted(&b, buf, req ? req->referer : none);
    pf_http_response_add(&b, " ", 1);
    access_quoted(&b, buf, req ? req->user_agent : none);
    line[b.len++] = '\n'; /* room kept by cap - 1 */
    /* A full disk must not stop serving: the line is dropped (or cut). */
    pf_log_write_line(a->fd, line, b.len, &a->failed);
}
