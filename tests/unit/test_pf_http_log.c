/* Unit tests for pf_http_log: access log lines, combined and json, from a
 * table of entries (escaping of hostile bytes included); every json line
 * is also read back with jansson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_http_log.h"

#define T(s) ((struct pf_http_log_text){(s), sizeof(s) - 1})
#define NONE ((struct pf_http_log_text){NULL, 0})

/* 7 Dec 2026 08:47:15.123 at offset gmtoff. */
static struct tm when(long gmtoff)
{
    struct tm tm = {
        .tm_year = 126, .tm_mon = 11, .tm_mday = 7, .tm_hour = 8, .tm_min = 47, .tm_sec = 15};

    tm.tm_gmtoff = gmtoff;
    return tm;
}

/* An entry, its fields in the order of struct pf_http_log_entry. */
#define ENTRY(a_client, a_ms, a_line, a_ref, a_ua, a_host, a_status, a_bytes, a_dur, a_reqs) \
    { \
        .client = (a_client), .msec = (a_ms), .line = a_line, .referer = a_ref, \
        .user_agent = a_ua, .host = a_host, .status = (a_status), .body_bytes = (a_bytes), \
        .duration_ms = (a_dur), .connection_requests = (a_reqs) \
    }

struct line_case {
    const char *name;
    struct pf_http_log_entry e;
    const char *combined; /* the whole line, without '\n' */
    const char *json;
};

static const struct line_case cases[] = {
    {"ordinary GET",
     ENTRY("127.0.0.1", 123, T("GET /index.html HTTP/1.1"), NONE, T("curl/7.88.1"),
           T("localhost:8080"), 200, 1534, 2, 1),
     "127.0.0.1 - - [07/Dec/2026:08:47:15 +0000] \"GET /index.html HTTP/1.1\" 200 1534 \"-\" "
     "\"curl/7.88.1\" 0.002",
     "{\"time\":\"2026-12-07T08:47:15.123+00:00\",\"remote_addr\":\"127.0.0.1\","
     "\"request\":\"GET /index.html HTTP/1.1\",\"method\":\"GET\",\"uri\":\"/index.html\","
     "\"protocol\":\"HTTP/1.1\",\"status\":200,\"body_bytes_sent\":1534,\"referer\":null,"
     "\"user_agent\":\"curl/7.88.1\",\"host\":\"localhost:8080\",\"request_time\":0.002,"
     "\"connection_requests\":1}"},
    {"no request line, no body, long request time",
     ENTRY("::1", 5, NONE, NONE, NONE, NONE, 408, 0, 12345, 3),
     "::1 - - [07/Dec/2026:08:47:15 +0000] \"-\" 408 - \"-\" \"-\" 12.345",
     "{\"time\":\"2026-12-07T08:47:15.005+00:00\",\"remote_addr\":\"::1\",\"request\":null,"
     "\"method\":null,\"uri\":null,\"protocol\":null,\"status\":408,\"body_bytes_sent\":0,"
     "\"referer\":null,\"user_agent\":null,\"host\":null,\"request_time\":12.345,"
     "\"connection_requests\":3}"},
    {"hostile bytes: quote, backslash, control, invalid UTF-8, DEL",
     ENTRY("10.0.0.1", 0, T("GET /a\"b\\c\x01\xff\x7f HTTP/1.1"), T("\xc3\xa9\n"),
           T("ev\"il\" 200 1 \"-\" \"x"), T("h"), 404, 9, 0, 2),
     "10.0.0.1 - - [07/Dec/2026:08:47:15 +0000] \"GET /a\\x22b\\x5cc\\x01\\xff\\x7f HTTP/1.1\" "
     "404 9 \"\\xc3\\xa9\\x0a\" \"ev\\x22il\\x22 200 1 \\x22-\\x22 \\x22x\" 0.000",
     "{\"time\":\"2026-12-07T08:47:15.000+00:00\",\"remote_addr\":\"10.0.0.1\","
     "\"request\":\"GET /a\\\\x22b\\\\x5cc\\\\x01\\\\xff\\\\x7f HTTP/1.1\","
     "\"method\":\"GET\",\"uri\":\"/a\\\\x22b\\\\x5cc\\\\x01\\\\xff\\\\x7f\","
     "\"protocol\":\"HTTP/1.1\",\"status\":404,\"body_bytes_sent\":9,"
     "\"referer\":\"\\\\xc3\\\\xa9\\\\x0a\","
     "\"user_agent\":\"ev\\\\x22il\\\\x22 200 1 \\\\x22-\\\\x22 \\\\x22x\",\"host\":\"h\","
     "\"request_time\":0.000,\"connection_requests\":2}"},
    {"a refused line of one word; negative time as 0",
     ENTRY("127.0.0.1", 0, T("GARBAGE"), NONE, NONE, NONE, 400, 1028, -5, 1),
     "127.0.0.1 - - [07/Dec/2026:08:47:15 +0000] \"GARBAGE\" 400 1028 \"-\" \"-\" 0.000",
     "{\"time\":\"2026-12-07T08:47:15.000+00:00\",\"remote_addr\":\"127.0.0.1\","
     "\"request\":\"GARBAGE\",\"method\":\"GARBAGE\",\"uri\":null,\"protocol\":null,"
     "\"status\":400,\"body_bytes_sent\":1028,\"referer\":null,\"user_agent\":null,"
     "\"host\":null,\"request_time\":0.000,\"connection_requests\":1}"},
};

static void test_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        static char out[PF_HTTP_LOG_LINE_MAX];
        struct pf_http_log_entry e = cases[i].e;
        size_t n;

        e.tm = when(0);
        n = pf_http_log_line(PF_HTTP_LOG_COMBINED, &e, out, sizeof(out));
        if (n != strlen(cases[i].combined) + 1 || out[n - 1] != '\n' ||
            memcmp(out, cases[i].combined, n - 1) != 0)
            fail_msg("%s (combined):\n got  %.*s\n want %s", cases[i].name, (int)n, out,
                     cases[i].combined);
        n = pf_http_log_line(PF_HTTP_LOG_JSON, &e, out, sizeof(out));
        if (n != strlen(cases[i].json) + 1 || out[n - 1] != '\n' ||
            memcmp(out, cases[i].json, n - 1) != 0)
            fail_msg("%s (json):\n got  %.*s\n want %s", cases[i].name, (int)n, out, cases[i].json);
    }
}

/* The zone offset, both forms, east and west, with minutes. */
static void test_zones(void **state)
{
    static const struct {
        long gmtoff;
        const char *clf, *iso;
    } zones[] = {
        {0, "+0000]", "+00:00\""},
        {3600, "+0100]", "+01:00\""},
        {-5 * 3600, "-0500]", "-05:00\""},
        {5 * 3600 + 1800, "+0530]", "+05:30\""},
        {-(3 * 3600 + 1800), "-0330]", "-03:30\""},
    };
    struct pf_http_log_entry e = {.client = "c", .status = 200};
    char out[PF_HTTP_LOG_LINE_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        e.tm = when(zones[i].gmtoff);
        pf_http_log_line(PF_HTTP_LOG_COMBINED, &e, out, sizeof(out));
        assert_non_null(strstr(out, zones[i].clf));
        pf_http_log_line(PF_HTTP_LOG_JSON, &e, out, sizeof(out));
        assert_non_null(strstr(out, zones[i].iso));
    }
}

/* The combined value of a field: the json value read back equals it. */
static void test_json_reads_back_as_combined(void **state)
{
    char line[256], out[PF_HTTP_LOG_LINE_MAX];
    struct pf_http_log_entry e = {.client = "c", .status = 200};
    json_error_t jerr;

    (void)state;
    for (int b = 0; b < 256; b++) {
        snprintf(line, sizeof(line), "GET /x%c HTTP/1.1", b ? b : 'z');
        e.tm = when(0);
        e.line = (struct pf_http_log_text){line, strlen(line)};
        e.user_agent = (struct pf_http_log_text){line + 4, 3};
        size_t n = pf_http_log_line(PF_HTTP_LOG_COMBINED, &e, out, sizeof(out));
        const char *q = strchr(out, '"');
        const char *end = strchr(q + 1, '"');
        assert_true(q != NULL && end != NULL && end < out + n);
        size_t jn = pf_http_log_line(PF_HTTP_LOG_JSON, &e, out + n, sizeof(out) - n);
        json_t *o = json_loadb(out + n, jn, JSON_REJECT_DUPLICATES, &jerr);
        if (o == NULL)
            fail_msg("byte 0x%02x: not JSON (%s): %s", b, jerr.text, out + n);
        const char *req = json_string_value(json_object_get(o, "request"));
        assert_non_null(req);
        assert_int_equal(strlen(req), (size_t)(end - q - 1));
        assert_memory_equal(req, q + 1, strlen(req));
        json_decref(o);
    }
}

/* Client fields are cut at PF_HTTP_LOG_FIELD_MAX bytes; the worst line
 * (every field at most, every byte escaped) fits PF_HTTP_LOG_LINE_MAX and
 * stays valid JSON. */
static void test_worst_case(void **state)
{
    static char big[4 * PF_HTTP_LOG_FIELD_MAX], out[PF_HTTP_LOG_LINE_MAX];
    struct pf_http_log_text t = {big, sizeof(big)};
    struct pf_http_log_entry e = {.client = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
                                  .line = t,
                                  .referer = t,
                                  .user_agent = t,
                                  .host = t,
                                  .status = 999,
                                  .body_bytes = INT64_MAX, /* off_t's */
                                  .duration_ms = INT64_MAX,
                                  .connection_requests = 2147483647};
    json_error_t jerr;

    (void)state;
    memset(big, '"', sizeof(big));
    big[PF_HTTP_LOG_FIELD_MAX / 2] = ' '; /* the parts are cut one by one */
    big[sizeof(big) - PF_HTTP_LOG_FIELD_MAX / 2] = ' ';
    e.tm = when(0);
    size_t n = pf_http_log_line(PF_HTTP_LOG_JSON, &e, out, sizeof(out));
    assert_true(n < sizeof(out));
    assert_int_equal(out[n - 1], '\n');
    assert_int_equal(out[n - 2], '}');
    json_t *o = json_loadb(out, n, 0, &jerr);
    if (o == NULL)
        fail_msg("not JSON: %s", jerr.text);
    /* 511 quotes as \x22 and the space */
    assert_int_equal(strlen(json_string_value(json_object_get(o, "user_agent"))),
                     4 * PF_HTTP_LOG_FIELD_MAX - 3);
    json_decref(o);
    n = pf_http_log_line(PF_HTTP_LOG_COMBINED, &e, out, sizeof(out));
    assert_int_equal(out[n - 1], '\n');
    assert_null(memchr(out, '\n', n - 1));
}

static void test_split(void **state)
{
    static const struct {
        const char *line, *method, *target, *protocol; /* NULL: absent */
    } splits[] = {
        {"GET / HTTP/1.1", "GET", "/", "HTTP/1.1"},
        {"GET /a b HTTP/1.1", "GET", "/a b", "HTTP/1.1"},
        {"GET /", "GET", "/", NULL},
        {"GET", "GET", NULL, NULL},
        {"GET  HTTP/1.1", "GET", "", "HTTP/1.1"},
        {" x", "", "x", NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        struct pf_http_log_text m, t, p;
        struct pf_http_log_text line = {splits[i].line, strlen(splits[i].line)};
        const char *want[3] = {splits[i].method, splits[i].target, splits[i].protocol};
        const struct pf_http_log_text *got[3] = {&m, &t, &p};

        pf_http_log_split(line, &m, &t, &p);
        for (int k = 0; k < 3; k++) {
            if (want[k] == NULL) {
                assert_null(got[k]->p);
                continue;
            }
            assert_non_null(got[k]->p);
            if (got[k]->len != strlen(want[k]) || memcmp(got[k]->p, want[k], got[k]->len) != 0)
                fail_msg("\"%s\" part %d: got \"%.*s\", want \"%s\"", splits[i].line, k,
                         (int)got[k]->len, got[k]->p, want[k]);
        }
    }
    struct pf_http_log_text m, t, p;
    pf_http_log_split((struct pf_http_log_text){NULL, 0}, &m, &t, &p);
    assert_null(t.p);
    assert_null(p.p);
}

static void test_format_names(void **state)
{
    (void)state;
    assert_int_equal(pf_http_log_format_parse("combined"), PF_HTTP_LOG_COMBINED);
    assert_int_equal(pf_http_log_format_parse("json"), PF_HTTP_LOG_JSON);
    assert_int_equal(pf_http_log_format_parse("JSON"), -1);
    assert_int_equal(pf_http_log_format_parse(""), -1);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_zones),
        cmocka_unit_test(test_json_reads_back_as_combined),
        cmocka_unit_test(test_worst_case),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_format_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
