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

/* Each status this server sends: its reason phrase, and the sentence its
 * error page says (none of it from the client). */
static const struct {
    int status;
    const char *reason, *text;
} resp_statuses[] = {
    {200, "OK", ""},
    {206, "Partial Content", ""},
    {301, "Moved Permanently", "This page has moved to another address."},
    {304, "Not Modified", ""},
    {400, "Bad Request", "The server could not understand the request."},
    {403, "Forbidden", "This file may not be served."},
    {404, "Not Found", "There is nothing at this address."},
    {405, "Method Not Allowed", "Only GET and HEAD requests are answered here."},
    {408, "Request Timeout", "The request took too long to arrive."},
    {413, "Content Too Large", "Requests with a body are not accepted."},
    {414, "URI Too Long", "The address asked for is too long."},
    {416, "Range Not Satisfiable", "The range asked for lies outside the file."},
    {431, "Request Header Fields Too Large", "The request's header fields are too large."},
    {500, "Internal Server Error", "The server met an unexpected error."},
    {501, "Not Implemented", "The request needs something this server does not implement."},
    {503, "Service Unavailable", "The server is too busy; try again in a moment."},
    {505, "HTTP Version Not Supported", "Only HTTP/1.0 and HTTP/1.1 are spoken here."},
};

/* The index of status in resp_statuses, or -1. */
static int resp_status_index(int status)
{
    for (size_t i = 0; i < sizeof(resp_statuses) / sizeof(resp_statuses[0]); i++)
        if (resp_statuses[i].status == status)
            return (int)i;
    return -1;
}

const char *pf_http_response_reason(int status)
{
    int i = resp_status_index(status);

    return i < 0 ? "Unknown" : resp_statuses[i].reason;
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

/* The error page's look: etc/www/style.css (the shipped site's
 * stylesheet) cut to what the page uses, inline, so that the page needs
 * no other file and looks the same whatever the root holds. */
#define RESP_STYLE \
    ":root{color-scheme:light dark;--fg:#1d2329;--bg:#fafaf7;--muted:#5c6670;" \
    "--accent:#1f6f5c;--rule:#d9ddd8}\n" \
    "@media (prefers-color-scheme:dark){:root{--fg:#e4e7e3;--bg:#15191c;" \
    "--muted:#9aa4ab;--accent:#6cc4a8;--rule:#2e353a}}\n" \
    "*{box-sizing:border-box}\n" \
    "body{margin:0 auto;max-width:42rem;padding:2rem 1.25rem;" \
    "font:1rem/1.6 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;" \
    "color:var(--fg);background:var(--bg)}\n" \
    "header{padding-bottom:1rem;border-bottom:1px solid var(--rule)}\n" \
    "h1{margin:0;font-size:1.6rem}\n" \
    "a{color:var(--accent)}\n" \
    "footer{margin-top:3rem;padding-top:1rem;border-top:1px solid var(--rule);" \
    "color:var(--muted);font-size:0.875rem}\n"

/* The built-in error page for status into b: a small HTML page of its own
 * (no stylesheet, image or script to fetch), with a link home. It never
 * contains anything the client sent. */
static void resp_error_page(struct pf_http_response *b, int status)
{
    int i = resp_status_index(status);

    pf_http_response_str(b,
                         "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                         "<meta name=\"viewport\" content=\"width=device-width, "
                         "initial-scale=1\">\n<title>");
    resp_status_text(b, status);
    pf_http_response_str(b, "</title>\n<style>\n" RESP_STYLE "</style>\n</head>\n<body>\n"
                            "<header><h1>");
    resp_status_text(b, status);
    pf_http_response_str(b, "</h1></header>\n<main>\n<p>");
    pf_http_response_str(b, i < 0 ? "" : resp_statuses[i].text);
    pf_http_response_str(b, "</p>\n<p><a href=\"/\">Back to the home page</a></p>\n</main>\n"
                            "<footer>preforkd</footer>\n</body>\n</html>\n");
}

void pf_http_response_error_head(struct pf_http_response *b, int status, const char *extra,
                                 bool keep_alive, int version, size_t body_len)
{
    pf_http_response_begin(b, status);
    pf_http_response_str(b, "Content-Type: text/html; charset=utf-8\r\n");
    if (extra)
        pf_http_response_str(b, extra);
    pf_http_response_end(b, body_len, keep_alive, version);
}

size_t pf_http_response_error(struct pf_http_response *b, int status, const char *extra,
                              bool keep_alive, int version, bool head_only)
{
    char body[PF_HTTP_ERROR_PAGE_MAX];
    struct pf_http_response bb;

    pf_http_response_init(&bb, body, sizeof(body));
    resp_error_page(&bb, status);
    pf_http_response_error_head(b, status, extra, keep_alive, version, bb.len);
    if (!head_only)
        pf_http_response_add(b, body, bb.len);
    return bb.len;
}
