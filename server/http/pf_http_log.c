/* pf_http_log: access log lines, combined or json (see pf_http_log.h).
 *
 * Choices made here:
 *  - the time is formatted by hand from the struct tm (month names, zone
 *    offset), not with strftime, so no locale can change a line;
 *  - json writes null for an absent field (no request line, no Referer),
 *    where combined writes "-"; body_bytes_sent is 0 where combined
 *    writes "-" (CLF's %b);
 *  - the request time is whole milliseconds written as seconds ("0.002"),
 *    a negative one (a clock stepped back) as 0.
 */
#include "pf_http_log.h"

#include <stdbool.h>
#include <string.h>

#include "pf_http_response.h"

/* v in decimal, at least width digits (zeros in front). */
static void log_uint(struct pf_http_response *b, uint64_t v, int width)
{
    char tmp[24];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
        width--;
    } while (v || width > 0);
    pf_http_response_add(b, tmp + i, sizeof(tmp) - i);
}

/* Client bytes, cut at PF_HTTP_LOG_FIELD_MAX: printable ASCII but '"' and
 * '\' as is, every other byte as \xHH (its backslash doubled for json). */
static void log_escaped(struct pf_http_response *b, struct pf_http_log_text t, bool json)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = t.len > PF_HTTP_LOG_FIELD_MAX ? PF_HTTP_LOG_FIELD_MAX : t.len;

    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)t.p[i];

        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
            pf_http_response_add(b, (const char *)&ch, 1);
            continue;
        }
        if (json)
            pf_http_response_add(b, "\\", 1);
        char esc[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
        pf_http_response_add(b, esc, 4);
    }
}

static bool log_absent(struct pf_http_log_text t)
{
    return t.p == NULL || t.len == 0;
}

/* A quoted field: "text", or "-" (combined) / null (json) when absent. */
static void log_quoted(struct pf_http_response *b, struct pf_http_log_text t, bool json)
{
    if (log_absent(t)) {
        pf_http_response_str(b, json ? "null" : "\"-\"");
        return;
    }
    pf_http_response_add(b, "\"", 1);
    log_escaped(b, t, json);
    pf_http_response_add(b, "\"", 1);
}

/* "+hhmm" (combined) or "+hh:mm" (json) for the zone offset. */
static void log_zone(struct pf_http_response *b, long gmtoff, bool colon)
{
    unsigned long off = (unsigned long)(gmtoff < 0 ? -gmtoff : gmtoff) / 60;

    pf_http_response_add(b, gmtoff < 0 ? "-" : "+", 1);
    log_uint(b, off / 60, 2);
    if (colon)
        pf_http_response_add(b, ":", 1);
    log_uint(b, off % 60, 2);
}

/* "HH:MM:SS" */
static void log_clock(struct pf_http_response *b, const struct tm *tm)
{
    log_uint(b, (uint64_t)tm->tm_hour, 2);
    pf_http_response_add(b, ":", 1);
    log_uint(b, (uint64_t)tm->tm_min, 2);
    pf_http_response_add(b, ":", 1);
    log_uint(b, (uint64_t)tm->tm_sec, 2);
}

/* "[07/Dec/2026:08:47:15 +0000]" */
static void log_time_clf(struct pf_http_response *b, const struct tm *tm)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    pf_http_response_add(b, "[", 1);
    log_uint(b, (uint64_t)tm->tm_mday, 2);
    pf_http_response_add(b, "/", 1);
    pf_http_response_str(b, (unsigned)tm->tm_mon < 12 ? months[tm->tm_mon] : "???");
    pf_http_response_add(b, "/", 1);
    log_uint(b, (uint64_t)(tm->tm_year + 1900), 4);
    pf_http_response_add(b, ":", 1);
    log_clock(b, tm);
    pf_http_response_add(b, " ", 1);
    log_zone(b, tm->tm_gmtoff, false);
    pf_http_response_add(b, "]", 1);
}

/* "2026-12-07T08:47:15.123+00:00" (ISO 8601 / RFC 3339) */
static void log_time_iso(struct pf_http_response *b, const struct tm *tm, int msec)
{
    log_uint(b, (uint64_t)(tm->tm_year + 1900), 4);
    pf_http_response_add(b, "-", 1);
    log_uint(b, (uint64_t)(tm->tm_mon + 1), 2);
    pf_http_response_add(b, "-", 1);
    log_uint(b, (uint64_t)tm->tm_mday, 2);
    pf_http_response_add(b, "T", 1);
    log_clock(b, tm);
    pf_http_response_add(b, ".", 1);
    log_uint(b, (uint64_t)(msec < 0 || msec > 999 ? 0 : msec), 3);
    log_zone(b, tm->tm_gmtoff, true);
}

/* Seconds with millisecond precision: "0.002". */
static void log_seconds(struct pf_http_response *b, int64_t ms)
{
    uint64_t v = ms < 0 ? 0 : (uint64_t)ms;

    log_uint(b, v / 1000, 1);
    pf_http_response_add(b, ".", 1);
    log_uint(b, v % 1000, 3);
}

static void log_combined(struct pf_http_response *b, const struct pf_http_log_entry *e)
{
    pf_http_response_str(b, e->client);
    pf_http_response_str(b, " - - ");
    log_time_clf(b, &e->tm);
    pf_http_response_add(b, " ", 1);
    log_quoted(b, e->line, false);
    pf_http_response_add(b, " ", 1);
    log_uint(b, (uint64_t)e->status, 1);
    pf_http_response_add(b, " ", 1);
    if (e->body_bytes == 0)
        pf_http_response_add(b, "-", 1);
    else
        log_uint(b, e->body_bytes, 1);
    pf_http_response_add(b, " ", 1);
    log_quoted(b, e->referer, false);
    pf_http_response_add(b, " ", 1);
    log_quoted(b, e->user_agent, false);
    pf_http_response_add(b, " ", 1);
    log_seconds(b, e->duration_ms);
}

/* ,"key": */
static void log_key(struct pf_http_response *b, const char *key)
{
    pf_http_response_str(b, ",\"");
    pf_http_response_str(b, key);
    pf_http_response_str(b, "\":");
}

static void log_json(struct pf_http_response *b, const struct pf_http_log_entry *e)
{
    struct pf_http_log_text method, target, protocol;
    struct pf_http_log_text client = {e->client, strlen(e->client)};

    pf_http_log_split(e->line, &method, &target, &protocol);
    pf_http_response_str(b, "{\"time\":\"");
    log_time_iso(b, &e->tm, e->msec);
    pf_http_response_add(b, "\"", 1);
    log_key(b, "remote_addr");
    log_quoted(b, client, true);
    log_key(b, "request");
    log_quoted(b, e->line, true);
    log_key(b, "method");
    log_quoted(b, method, true);
    log_key(b, "uri");
    log_quoted(b, target, true);
    log_key(b, "protocol");
    log_quoted(b, protocol, true);
    log_key(b, "status");
    log_uint(b, (uint64_t)e->status, 1);
    log_key(b, "body_bytes_sent");
    log_uint(b, e->body_bytes, 1);
    log_key(b, "referer");
    log_quoted(b, e->referer, true);
    log_key(b, "user_agent");
    log_quoted(b, e->user_agent, true);
    log_key(b, "host");
    log_quoted(b, e->host, true);
    log_key(b, "request_time");
    log_seconds(b, e->duration_ms);
    log_key(b, "connection_requests");
    log_uint(b, e->connection_requests < 0 ? 0 : (uint64_t)e->connection_requests, 1);
    pf_http_response_add(b, "}", 1);
}

int pf_http_log_format_parse(const char *name)
{
    if (strcmp(name, "combined") == 0)
        return PF_HTTP_LOG_COMBINED;
    if (strcmp(name, "json") == 0)
        return PF_HTTP_LOG_JSON;
    return -1;
}

size_t pf_http_log_line(enum pf_http_log_format f, const struct pf_http_log_entry *e, char *out,
                        size_t size)
{
    struct pf_http_response b;

    pf_http_response_init(&b, out, size - 1); /* room for the '\n' */
    if (f == PF_HTTP_LOG_JSON)
        log_json(&b, e);
    else
        log_combined(&b, e);
    out[b.len++] = '\n';
    return b.len;
}

void pf_http_log_split(struct pf_http_log_text line, struct pf_http_log_text *method,
                       struct pf_http_log_text *target, struct pf_http_log_text *protocol)
{
    const char *first = log_absent(line) ? NULL : memchr(line.p, ' ', line.len);
    const char *last = first;

    *method = line;
    *target = *protocol = (struct pf_http_log_text){NULL, 0};
    if (first == NULL)
        return;
    for (const char *q = line.p + line.len; q > first + 1; q--)
        if (q[-1] == ' ') {
            last = q - 1;
            break;
        }
    method->len = (size_t)(first - line.p);
    if (last > first) {
        *target = (struct pf_http_log_text){first + 1, (size_t)(last - first - 1)};
        *protocol = (struct pf_http_log_text){last + 1, line.len - (size_t)(last + 1 - line.p)};
    } else {
        *target = (struct pf_http_log_text){first + 1, line.len - (size_t)(first + 1 - line.p)};
    }
}
