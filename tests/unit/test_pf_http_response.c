/* Unit tests for pf_http_response: head building and error pages. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The body of a response built in b (after its blank line). */
static const char *body_of(struct pf_http_response *b)
{
    const char *t = hbuf_text(b), *end = strstr(t, "\r\n\r\n");

    assert_non_null(end);
    return end + 4;
}

/* An error page: HTML type, the extra header, a body whose length matches
 * Content-Length; HEAD gets the same head without the body. */
static void test_error_page(void **state)
{
    char mem[4096], len_text[32];
    struct pf_http_response b;
    size_t body;
    const char *t;

    (void)state;
    pf_http_response_init(&b, mem, sizeof(mem));
    body = pf_http_response_error(&b, 405, "Allow: GET, HEAD\r\n", true, 11, false);
    t = hbuf_text(&b);
    assert_true(strncmp(t, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
    assert_non_null(strstr(t, "Content-Type: text/html; charset=utf-8\r\n"));
    assert_non_null(strstr(t, "Allow: GET, HEAD\r\n"));
    snprintf(len_text, sizeof(len_text), "Content-Length: %zu\r\n", body);
    assert_non_null(strstr(t, len_text));
    assert_int_equal(strlen(body_of(&b)), body);
    assert_non_null(strstr(body_of(&b), "<h1>405 Method Not Allowed</h1>"));

    pf_http_response_init(&b, mem, sizeof(mem));
    assert_int_equal(pf_http_response_error(&b, 405, NULL, false, 11, true), body);
    t = hbuf_text(&b);
    assert_non_null(strstr(t, "Connection: close\r\n"));
    assert_string_equal(body_of(&b), "");
}

/* The page of status built into mem: its body (checked to fit). */
static const char *page_of(int status, char *mem, size_t size)
{
    struct pf_http_response b;
    size_t body;
    const char *page;

    pf_http_response_init(&b, mem, size);
    body = pf_http_response_error(&b, status, NULL, false, 11, false);
    assert_false(b.overflow);
    assert_true(body > 0 && body <= PF_HTTP_ERROR_PAGE_MAX);
    page = body_of(&b);
    assert_int_equal(strlen(page), body);
    return page;
}

/* Every status's page is a whole HTML document of its own: its title and
 * heading, a sentence, a link home, an inline stylesheet and nothing to
 * fetch; it fits PF_HTTP_ERROR_PAGE_MAX. A status without an entry gets
 * "Unknown" and no sentence. */
static void test_error_page_content(void **state)
{
    static const int statuses[] = {301, 400, 403, 404, 405, 408, 413, 414,
                                   416, 431, 500, 501, 503, 505, 599};
    static const char *const absent[] = {"<link", "<script", "<img", "src=", "url(", "@import"};
    char mem[4096], want[128];

    (void)state;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        int st = statuses[i];
        const char *page = page_of(st, mem, sizeof(mem));

        assert_true(strncmp(page, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0);
        snprintf(want, sizeof(want), "<title>%d %s</title>", st, pf_http_response_reason(st));
        assert_non_null(strstr(page, want));
        snprintf(want, sizeof(want), "<h1>%d %s</h1>", st, pf_http_response_reason(st));
        assert_non_null(strstr(page, want));
        assert_true((strstr(page, "<main>\n<p></p>") == NULL) == (st != 599));
        assert_non_null(strstr(page, "<a href=\"/\">Back to the home page</a>"));
        assert_non_null(strstr(page, "<meta charset=\"utf-8\">"));
        assert_non_null(strstr(page, "<style>"));
        for (size_t k = 0; k < sizeof(absent) / sizeof(absent[0]); k++)
            assert_null(strstr(page, absent[k]));
        assert_string_equal(page + strlen(page) - 8, "</html>\n");
    }
    assert_non_null(strstr(page_of(404, mem, sizeof(mem)),
                           "<p>There is nothing at this address.</p>"));
    assert_non_null(strstr(page_of(599, mem, sizeof(mem)), "<h1>599 Unknown</h1>"));
}

/* s without its whitespace, into out. */
static void strip_space(const char *s, size_t n, char *out, size_t size)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 1 < size; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            out[k++] = s[i];
    out[k] = '\0';
}

/* The shipped site's stylesheet (etc/www/style.css, found from this
 * source file's path), whitespace removed, into out; false if not found. */
static bool shipped_stylesheet(char *out, size_t size)
{
    static const char self[] = "tests/unit/test_pf_http_response.c";
    const char *file = __FILE__;
    size_t n = strlen(file), got;
    char path[PATH_MAX], *text = malloc(size);
    FILE *f;

    assert_non_null(text);
    if (n < strlen(self) || strcmp(file + n - strlen(self), self) != 0)
        return free(text), false;
    snprintf(path, sizeof(path), "%.*setc/www/style.css", (int)(n - strlen(self)), file);
    f = fopen(path, "r");
    if (f == NULL)
        return free(text), false;
    got = fread(text, 1, size - 1, f);
    fclose(f);
    strip_space(text, got, out, size);
    free(text);
    return true;
}

/* The page's look is the shipped stylesheet's: every selector and every
 * declaration of its inline style, whitespace aside, is in style.css. */
static void test_error_page_look(void **state)
{
    char mem[4096], style[2048], sheet[8192];
    struct pf_http_response b;
    const char *page, *a, *z;

    (void)state;
    if (!shipped_stylesheet(sheet, sizeof(sheet)))
        skip();
    pf_http_response_init(&b, mem, sizeof(mem));
    pf_http_response_error(&b, 404, NULL, true, 11, false);
    page = body_of(&b);
    a = strstr(page, "<style>");
    z = strstr(page, "</style>");
    assert_true(a && z && z > a);
    a += strlen("<style>");
    strip_space(a, (size_t)(z - a), style, sizeof(style));
    for (char *tok = strtok(style, "{};"); tok; tok = strtok(NULL, "{};")) {
        if (strstr(sheet, tok) == NULL)
            fail_msg("\"%s\" of the error page's style is not in etc/www/style.css", tok);
    }
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
        cmocka_unit_test(test_error_page_content),
        cmocka_unit_test(test_error_page_look),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
