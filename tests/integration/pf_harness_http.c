/* pf_harness_http: HTTP clients of the server under test (protocol
 * "http"): start it on a folder, send requests, read responses (head and
 * body) and their header fields. Public functions are documented in
 * pf_harness_http.h; static helpers here. */
#include "pf_harness_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_net.h"
#include "pf_time.h"

int pf_h_start_http(struct pf_server *s, struct pf_h_config *c, const char *settings)
{
    char extra[4096];
    int n = snprintf(extra, sizeof(extra), "http = { root = \"www\"; %s };",
                     settings ? settings : "");

    if (n < 0 || (size_t)n >= sizeof(extra) || pf_h_mkdir(s, "www") < 0)
        return -1;
    c->protocol = "http";
    c->extra = extra;
    return pf_h_start_pool(s, c);
}

/* Receive the head up to its blank line, one byte at a time, so nothing
 * of a following response is taken. */
static int h_http_read_head(int fd, struct pf_h_http *r, int64_t deadline)
{
    r->head_len = 0;
    while (r->head_len < 4 || memcmp(r->head + r->head_len - 4, "\r\n\r\n", 4) != 0) {
        size_t got = 0;
        enum pf_io io;

        if (r->head_len == PF_H_HTTP_HEAD_MAX) {
            pf_h_note("response head longer than %d bytes", PF_H_HTTP_HEAD_MAX);
            return -1;
        }
        io = pf_net_recv_exact_until(fd, r->head + r->head_len, 1, deadline, &got);
        if (io != PF_IO_OK) {
            r->head[r->head_len] = '\0';
            pf_h_note("response head: %s after %zu bytes: \"%s\"", pf_net_io_name(io), r->head_len,
                      r->head);
            return -1;
        }
        r->head_len++;
    }
    r->head[r->head_len] = '\0';
    return 0;
}

/* Everything up to EOF into r->body (a response without Content-Length). */
static int h_http_read_to_eof(int fd, struct pf_h_http *r, int64_t deadline)
{
    size_t cap = 65536;

    r->body = malloc(cap + 1);
    r->body_len = 0;
    while (r->body != NULL) {
        size_t got = 0;
        enum pf_io io = pf_net_recv_some_until(fd, r->body + r->body_len, cap - r->body_len,
                                               deadline, &got);
        r->body_len += got;
        if (io == PF_IO_EOF)
            return 0;
        if (io != PF_IO_OK || r->body_len > PF_H_HTTP_BODY_MAX) {
            pf_h_note("body to EOF: %s after %zu bytes", pf_net_io_name(io), r->body_len);
            return -1;
        }
        if (r->body_len == cap) {
            char *nb = realloc(r->body, 2 * cap + 1);
            if (nb == NULL)
                return -1;
            r->body = nb;
            cap *= 2;
        }
    }
    return -1;
}

/* The body: none, Content-Length bytes, or up to EOF. */
static int h_http_read_body(int fd, bool no_body, struct pf_h_http *r, int64_t deadline)
{
    size_t got = 0;
    enum pf_io io;

    if (no_body || r->status == 304 || r->content_length == 0) {
        r->body = calloc(1, 1);
        return r->body != NULL ? 0 : -1;
    }
    if (r->content_length < 0)
        return h_http_read_to_eof(fd, r, deadline);
    if ((unsigned long long)r->content_length > PF_H_HTTP_BODY_MAX) {
        pf_h_note("Content-Length %lld too large for the harness", r->content_length);
        return -1;
    }
    r->body = malloc((size_t)r->content_length + 1);
    if (r->body == NULL)
        return -1;
    io = pf_net_recv_exact_until(fd, r->body, (size_t)r->content_length, deadline, &got);
    r->body_len = got;
    if (io != PF_IO_OK) {
        pf_h_note("body: %s after %zu of %lld bytes", pf_net_io_name(io), got, r->content_length);
        return -1;
    }
    return 0;
}

/* An empty response: what a failed exchange leaves (safe to print, free). */
static void h_http_reset(struct pf_h_http *r)
{
    r->status = -1;
    r->head[0] = '\0';
    r->head_len = 0;
    r->content_length = -1;
    r->body = NULL;
    r->body_len = 0;
}

int pf_h_http_read(int fd, bool no_body, struct pf_h_http *r)
{
    int64_t deadline = pf_time_deadline(PF_H_IO_MS);
    char cl[32];
    int rc;

    h_http_reset(r);
    if (h_http_read_head(fd, r, deadline) < 0)
        return -1;
    if (sscanf(r->head, "HTTP/1.1 %3d ", &r->status) != 1 || r->status < 100) {
        pf_h_note("not an HTTP/1.1 status line: \"%.60s\"", r->head);
        return -1;
    }
    if (pf_h_http_header(r, "Content-Length", cl, sizeof(cl)))
        r->content_length = strtoll(cl, NULL, 10);
    rc = h_http_read_body(fd, no_body, r, deadline);
    if (r->body != NULL)
        r->body[r->body_len] = '\0';
    return rc;
}

void pf_h_http_free(struct pf_h_http *r)
{
    free(r->body);
    r->body = NULL;
}

/* Call fn(value, vlen, arg) for each field called name; stops when it
 * returns false. */
static void h_http_each_field(const struct pf_h_http *r, const char *name,
                              bool (*fn)(const char *, size_t, void *), void *arg)
{
    size_t nlen = strlen(name);
    const char *line = strstr(r->head, "\r\n");

    while (line != NULL && line[2] != '\r') {
        const char *p = line + 2, *end = strstr(p, "\r\n");

        if (end == NULL)
            return;
        if ((size_t)(end - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
            const char *v = p + nlen + 1, *ve = end;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            if (!fn(v, (size_t)(ve - v), arg))
                return;
        }
        line = end;
    }
}

/* Where pf_h_http_header's callback copies the value. */
struct h_http_value {
    char *out;
    size_t size;
    bool found;
};

/* h_http_each_field callback: copy the first value, stop. */
static bool h_http_copy_value(const char *v, size_t len, void *arg)
{
    struct h_http_value *hv = arg;

    snprintf(hv->out, hv->size, "%.*s", (int)len, v);
    hv->found = true;
    return false;
}

bool pf_h_http_header(const struct pf_h_http *r, const char *name, char *value, size_t size)
{
    struct h_http_value hv = {.out = value, .size = size};

    if (size > 0)
        value[0] = '\0';
    h_http_each_field(r, name, h_http_copy_value, &hv);
    return hv.found;
}

/* h_http_each_field callback: count. */
static bool h_http_count_one(const char *v, size_t len, void *arg)
{
    (void)v;
    (void)len;
    ++*(int *)arg;
    return true;
}

int pf_h_http_header_count(const struct pf_h_http *r, const char *name)
{
    int n = 0;

    h_http_each_field(r, name, h_http_count_one, &n);
    return n;
}

int pf_h_http_exchange_len(int fd, const char *request, size_t len, struct pf_h_http *r)
{
    h_http_reset(r);
    if (pf_h_send(fd, request, len) < 0)
        return -1;
    return pf_h_http_read(fd, len >= 5 && memcmp(request, "HEAD ", 5) == 0, r);
}

int pf_h_http_exchange(int fd, const char *request, struct pf_h_http *r)
{
    return pf_h_http_exchange_len(fd, request, strlen(request), r);
}

int pf_h_http_get(int fd, const char *path, struct pf_h_http *r)
{
    char req[2048];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path);

    if (n < 0 || (size_t)n >= sizeof(req)) {
        h_http_reset(r);
        return -1;
    }
    return pf_h_http_exchange(fd, req, r);
}

int pf_h_http_once(const struct pf_server *s, const char *request, struct pf_h_http *r)
{
    int fd = pf_h_connect(s), rc;

    h_http_reset(r);
    if (fd < 0)
        return -1;
    rc = pf_h_http_exchange(fd, request, r);
    close(fd);
    return rc;
}
