/* pf_http_response: response heads and error pages. */
#include "pf_http_response.h"

#include <string.h>

#include "pf_http_parse.h"

void pf_http_response_init(struct pf_http_response *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->overflow = false;
}

void pf_http_response_add(struct pf_http_response *b, const void *data, size_t len)
{
    if (b->overflow || len > b->cap - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

void pf_http_response_str(struct pf_http_response *b, const char *s)
{
    pf_http_response_add(b, s, strlen(s));
}

void pf_http_response_u64(struct pf_http_response *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    pf_http_response_add(b, tmp + i, sizeof(tmp) - i);
}

const char *pf_http_response_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* time() is a vDSO call on Linux: no system call per request. */
const char *pf_http_response_date(void)
{
    static char date[PF_HTTP_DATE_LEN + 1];
    static time_t at = -1;
    time_t now = time(NULL);

    if (now != at) {
        pf_http_cond_date_format(now, date);
        at = now;
    }
    return date;
}

/* "404 Not Found": the status line's end, and the error page's title. */
static void resp_status_text(struct pf_http_response *b, int status)
{
    pf_http_response_u64(b, (uint64_t)status);
    pf_http_response_add(b, " ", 1);
    pf_http_response_str(b, pf_http_response_reason(status));
}

void pf_http_response_begin(struct pf_http_response *b, int status)
{
    pf_http_response_str(b, "HTTP/1.1 ");
    resp_status_text(b, status);
    pf_http_response_str(b, "\r\nServer: preforkd\r\nDate: ");
    pf_http_response_add(b, pf_http_response_date(), PF_HTTP_DATE_LEN);
    pf_http_response_add(b, "\r\n", 2);
}

/* HTTP/1.1 keeps connections open by default, so only closing is said;
 * a 1.0 client must be told the connection stays open. */
void pf_http_response_end(struct pf_http_response *b, uint64_t content_length, bool keep_alive,
                          int version)
{
    if (content_length != PF_HTTP_NO_LENGTH) {
        pf_http_response_str(b, "Content-Length: ");
        pf_http_response_u64(b, content_length);
        pf_http_response_add(b, "\r\n", 2);
    }
    if (!keep_alive)
        pf_http_response_str(b, "Connection: close\r\n");
    else if (version == PF_HTTP_VERSION_10)
        pf_http_response_str(b, "Connection: keep-alive\r\n");
    pf_http_response_add(b, "\r\n", 2);
}

/* A tiny HTML page; it never contains anything the client sent. */
size_t pf_http_response_error(struct pf_http_response *b, int status, const char *extra,
                              bool keep_alive, int version, bool head_only)
{
    char body[256];
    struct pf_http_response bb;

    pf_http_response_init(&bb, body, sizeof(body));
    pf_http_response_str(&bb, "<!DOCTYPE html>\n<html><head><title>");
    resp_status_text(&bb, status);
    pf_http_response_str(&bb, "</title></head>\n<body><h1>");
    resp_status_text(&bb, status);
    pf_http_response_str(&bb, "</h1><hr><p>preforkd</p></body></html>\n");
    pf_http_response_begin(b, status);
    pf_http_response_str(b, "Content-Type: text/html; charset=utf-8\r\n");
    if (extra)
        pf_http_response_str(b, extra);
    pf_http_response_end(b, bb.len, keep_alive, version);
    if (!head_only)
        pf_http_response_add(b, body, bb.len);
    return bb.len;
}
