/* fuzz_http_log: access log lines (server/http/pf_http_log.c) from any
 * client bytes.
 *
 * Input: the request line, Referer, User-Agent and Host, separated by NUL
 * bytes (a missing one is absent); a field of one '-' byte is given as
 * absent too.
 *
 * Invariants, abort() on any violation:
 *  - both formats: one line, ending in '\n', every other byte printable
 *    ASCII, within PF_HTTP_LOG_LINE_MAX;
 *  - json: jansson reads the line as one object with the 13 documented
 *    keys, and its "request" value (when there is a request line) is
 *    exactly the text between the first two quotes of the combined line;
 *  - the request line's three parts, as split, lie inside it in order.
 */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz_check.h"
#include "pf_http_log.h"

#define FIELDS 4

/* Split data at NUL bytes into up to FIELDS texts. */
static void split_fields(const char *data, size_t size, struct pf_http_log_text *f)
{
    size_t start = 0, k = 0;

    for (size_t i = 0; i <= size && k < FIELDS; i++) {
        if (i < size && data[i] != '\0')
            continue;
        f[k].p = data + start;
        f[k].len = i - start;
        if (f[k].len == 1 && f[k].p[0] == '-')
            f[k] = (struct pf_http_log_text){NULL, 0};
        k++;
        start = i + 1;
    }
    for (; k < FIELDS; k++)
        f[k] = (struct pf_http_log_text){NULL, 0};
}

static void check_one_line(const char *out, size_t n)
{
    FUZZ_CHECK(n > 0 && n < PF_HTTP_LOG_LINE_MAX, "line length out of bounds");
    FUZZ_CHECK(out[n - 1] == '\n', "line does not end in a newline");
    for (size_t i = 0; i + 1 < n; i++)
        FUZZ_CHECK((unsigned char)out[i] >= 0x20 && (unsigned char)out[i] < 0x7f,
                   "a byte that is not printable ASCII");
}

static void check_split(struct pf_http_log_text line)
{
    struct pf_http_log_text m, t, p;

    pf_http_log_split(line, &m, &t, &p);
    if (line.p == NULL || line.len == 0)
        return;
    FUZZ_CHECK(m.p == line.p && m.len <= line.len, "method outside the line");
    if (t.p)
        FUZZ_CHECK(t.p >= m.p + m.len && t.p + t.len <= line.p + line.len, "target out of place");
    if (p.p)
        FUZZ_CHECK(t.p && p.p >= t.p + t.len && p.p + p.len == line.p + line.len,
                   "protocol out of place");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char combined[PF_HTTP_LOG_LINE_MAX], json[PF_HTTP_LOG_LINE_MAX];
    struct pf_http_log_text f[FIELDS];
    struct pf_http_log_entry e = {.client = "127.0.0.1", .status = 200, .connection_requests = 1};
    char *copy;
    size_t nc, nj;
    json_error_t jerr;
    json_t *o;

    if (size > 16384)
        return 0;
    copy = fuzz_dup(data, size);
    split_fields(copy, size, f);
    e.line = f[0];
    e.referer = f[1];
    e.user_agent = f[2];
    e.host = f[3];
    e.tm.tm_year = 126;
    e.tm.tm_mday = 7;
    e.duration_ms = (int64_t)size * 37;
    e.body_bytes = size;
    check_split(e.line);
    nc = pf_http_log_line(PF_HTTP_LOG_COMBINED, &e, combined, sizeof(combined));
    check_one_line(combined, nc);
    nj = pf_http_log_line(PF_HTTP_LOG_JSON, &e, json, sizeof(json));
    check_one_line(json, nj);
    o = json_loadb(json, nj, JSON_REJECT_DUPLICATES, &jerr);
    FUZZ_CHECK(o != NULL && json_is_object(o), "json line is not a JSON object");
    FUZZ_CHECK(json_object_size(o) == 13, "json line does not have the 13 keys");
    const char *req = json_string_value(json_object_get(o, "request"));
    const char *q = memchr(combined, '"', nc);
    const char *end = q ? memchr(q + 1, '"', nc - (size_t)(q + 1 - combined)) : NULL;
    FUZZ_CHECK(q && end, "combined line without a quoted request line");
    if (req)
        FUZZ_CHECK(strlen(req) == (size_t)(end - q - 1) && memcmp(req, q + 1, strlen(req)) == 0,
                   "json request differs from the combined one");
    else
        FUZZ_CHECK(end == q + 2 && q[1] == '-', "no json request but a combined one");
    json_decref(o);
    free(copy);
    return 0;
}
