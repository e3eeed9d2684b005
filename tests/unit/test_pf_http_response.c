/* Unit tests for pf_http_response: head building and error pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pf_http_response.h"

/* The buffer's bytes as a NUL-terminated string (tests keep it short). */
static const char *hbuf_text(struct pf_http_response *b)
{
    static char copy[8192];

    memcpy(copy, b->p, b->len);
    copy[b->len] = '\0';
    return copy;
}

static void test_hbuf_appends_and_numbers(void **state)
{
    char mem[64];
    struct pf_http_response b;

    (void)state;
    pf_http_response_init(&b, mem, sizeof(mem));
    pf_http_response_str(&b, "n=");
    pf_http_response_u64(&b, 0);
    pf_http_response_add(&b, ",", 1);
    pf_http_response_u64(&b, 18446744073709551615u);
    assert_false(b.overflow);
    assert_string_equal(hbuf_text(&b), "n=0,18446744073709551615");
}

/* Overflow is sticky and never writes past cap. */
static void test_hbuf_overflow(void **state)
{
    char mem[8] = "........";
    struct pf_http_response b;

    (void)state;
    pf_http_response_init(&b, mem, 4);
    pf_http_response_str(&b, "abc");
    pf_http_response_str(&b, "de");
    assert_true(b.overflow);
    pf_http_response_str(&b, "f");
    assert_int_equal(b.len, 3);
    assert_memory_equal(mem, "abc.....", 8);
}

static void test_reasons(void **state)
{
    (void)state;
    assert_string_equal(pf_http_response_reason(200), "OK");
    assert_string_equal(pf_http_response_reason(304), "Not Modified");
    assert_string_equal(pf_http_response_reason(416), "Range Not Satisfiable");
    assert_string_equal(pf_http_response_reason(431), "Request Header Fields Too Large");
    assert_string_equal(pf_http_response_reason(505), "HTTP Version Not Supported");
    assert_string_equal(pf_http_response_reason(299), "Unknown");
}

/* Status line, Server, a 29-byte Date, then length and connection. */
static void test_head_keepalive_11(void **state)
{
    char mem[512];
    struct pf_http_response b;
    const char *t;

    (void)state;
    pf_http_response_init(&b, mem, sizeof(mem));
    pf_http_response_begin(&b, 200);
    pf_http_response_end(&b, 1234, true, 11);
    t = hbuf_text(&b);
    assert_true(strncmp(t, "HTTP/1.1 200 OK\r\nServer: preforkd\r\nDate: ", 41) == 0);
    assert_int_equal(strlen(pf_http_response_date()), PF_HTTP_DATE_LEN);
    assert_true(strstr(t, " GMT\r\nContent-Length: 1234\r\n\r\n") != NULL);
    assert_null(strstr(t, "Connection"));
}

/* 1.0 keep-alive must be said; closing is said in both versions; 304
 * carries no Content-Length. */
static void test_head_connection_and_no_length(void **state)
{
    char mem[512];
    struct pf_http_response b;

    (void)state;
    pf_http_response_init(&b, mem, sizeof(mem));
    pf_http_response_end(&b, 5, true, 10);
    assert_string_equal(hbuf_text(&b), "Content-Length: 5\r\nConnection: keep-alive\r\n\r\n");
    pf_http_response_init(&b, mem, sizeof(mem));
    pf_http_response_end(&b, PF_HTTP_NO_LENGTH, false, 11);
    assert_string_equal(hbuf_text(&b), "Connection: close\r\n\r\n");
}

/* An error page: HTML type, the extra header, a body whose length matches
 * Content-Length; HEAD gets the same head without the body. */
static void test_error_page(void **state)
{
    char mem[2048], len_text[32];
    struct pf_http_response b;
    size_t body;
    const char *t, *end;

    (void)state;
    pf_http_response_init(&b, mem, sizeof(mem));
    body = pf_http_response_error(&b, 405, "Allow: GET, HEAD\r\n", true, 11, false);
    t = hbuf_text(&b);
    assert_true(strncmp(t, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
    assert_non_null(strstr(t, "Content-Type: text/html; charset=utf-8\r\n"));
    assert_non_null(strstr(t, "Allow: GET, HEAD\r\n"));
    snprintf(len_text, sizeof(len_text), "Content-Length: %zu\r\n", body);
    assert_non_null(strstr(t, len_text));
    end = strstr(t, "\r\n\r\n");
    assert_non_null(end);
    assert_int_equal(strlen(end + 4), body);
    assert_non_null(strstr(end, "<h1>405 Method Not Allowed</h1>"));

    pf_http_response_init(&b, mem, sizeof(mem));
    assert_int_equal(pf_http_response_error(&b, 405, NULL, false, 11, true), body);
    t = hbuf_text(&b);
    assert_non_null(strstr(t, "Connection: close\r\n"));
    assert_string_equal(strstr(t, "\r\n\r\n"), "\r\n\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hbuf_appends_and_numbers),
        cmocka_unit_test(test_hbuf_overflow),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_head_keepalive_11),
        cmocka_unit_test(test_head_connection_and_no_length),
        cmocka_unit_test(test_error_page),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
