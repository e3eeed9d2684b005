/* Unit tests for pf_http_path: percent-decoding and path normalisation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_http_path.h"

#define OUT_MAX 256

/* A request path and what normalising it must give: the status, and for
 * status 0 the name and the directory flag. */
struct path_case {
    const char *path;
    int status;
    const char *name;
    bool dir;
};

static const struct path_case path_cases[] = {
    /* valid normalisations */
    {"/", 0, "", true},
    {"/index.html", 0, "index.html", false},
    {"/a/b/c.txt", 0, "a/b/c.txt", false},
    {"/a/../b", 0, "b", false},
    {"/a/./b/", 0, "a/b", true},
    {"//a///b", 0, "a/b", false},
    {"/a/b/", 0, "a/b", true},
    {"/a/b/..", 0, "a", true},
    {"/a/.", 0, "a", true},
    {"/a/..", 0, "", true},
    {"/./", 0, "", true},
    {"/.", 0, "", true},
    {"//", 0, "", true},
    {"/a/b/../../c", 0, "c", false},
    {"/a/b/../c/./d", 0, "a/c/d", false},
    {"/%61%62c", 0, "abc", false},
    {"/a%20b.html", 0, "a b.html", false},
    {"/a%2fb", 0, "a/b", false},
    {"/a%2Fb%2f", 0, "a/b", true},
    {"/a%2f%2fb", 0, "a/b", false},
    {"/a/%2e/b", 0, "a/b", false},
    {"/a/b/%2e%2e/c", 0, "a/c", false},
    {"/a\\..\\b", 0, "a\\..\\b", false},
    {"/..a", 404, "", false},
    {"/a..", 0, "a..", false},
    {"/a.b/c..d", 0, "a.b/c..d", false},
    {"/%25", 0, "%", false},
    {"/%2525", 0, "%25", false},
    {"/a+b", 0, "a+b", false},
    {"/%ff%FE", 0, "\xff\xfe", false},
    {"/a?b", 0, "a?b", false},
    /* .well-known is the one hidden name served */
    {"/.well-known/acme-challenge/tok", 0, ".well-known/acme-challenge/tok", false},
    {"/.well-known/", 0, ".well-known", true},
    {"/%2ewell-known/x", 0, ".well-known/x", false},
    {"/a/.well-known", 0, "a/.well-known", false},
    /* hidden segments */
    {"/.git/config", 404, "", false},
    {"/.htpasswd", 404, "", false},
    {"/a/.env", 404, "", false},
    {"/%2egit/HEAD", 404, "", false},
    {"/...", 404, "", false},
    {"/.well-known2", 404, "", false},
    {"/.WELL-KNOWN/x", 404, "", false},
    {"/.git/../index.html", 404, "", false},
    /* traversal attempts */
    {"/../", 400, "", false},
    {"/..", 400, "", false},
    {"/a/../../b", 400, "", false},
    {"/%2e%2e/etc/passwd", 400, "", false},
    {"/%2E%2e/etc/passwd", 400, "", false},
    {"/..%2f..", 400, "", false},
    {"/%2e%2e%2f", 400, "", false},
    {"/.%2e/", 400, "", false},
    {"/a/%2e%2e/..", 400, "", false},
    {"/a/%2e%2e", 0, "", true},
    {"//../", 400, "", false},
    {"/./../", 400, "", false},
    {"/a/b/../../../etc/passwd", 400, "", false},
    {"/a%2f..%2f..%2fetc", 400, "", false},
    /* NUL and malformed escapes */
    {"/%00", 400, "", false},
    {"/a%00.html", 400, "", false},
    {"/%", 400, "", false},
    {"/%4", 400, "", false},
    {"/a%4g", 400, "", false},
    {"/%zz", 400, "", false},
    {"/%%41", 400, "", false},
    {"/a/%", 400, "", false},
    /* not starting with '/' */
    {"", 400, "", false},
    {"a/b", 400, "", false},
    {"%2fa", 400, "", false},
    {"*", 400, "", false},
};

/* Normalise a string case into a fresh buffer of OUT_MAX bytes. */
static int normalize_str(const char *path, char *out, size_t size, bool *dir)
{
    return pf_http_path_normalize(path, strlen(path), out, size, dir);
}

/* Every row of path_cases. */
static void test_path_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
        const struct path_case *c = &path_cases[i];
        char out[OUT_MAX];
        bool dir = !c->dir;
        int rc = normalize_str(c->path, out, sizeof(out), &dir);

        if (rc != c->status || strcmp(out, c->name) != 0 || dir != c->dir)
            print_error("case %zu \"%s\": got %d \"%s\" dir=%d\n", i, c->path, rc, out, dir);
        assert_int_equal(rc, c->status);
        assert_string_equal(out, c->name);
        assert_int_equal(dir, c->dir);
    }
}

/* A raw NUL inside the slice is refused like a decoded one. */
static void test_path_raw_nul(void **state)
{
    static const char path[] = "/a\0b";
    char out[OUT_MAX];
    bool dir;

    (void)state;
    assert_int_equal(pf_http_path_normalize(path, sizeof(path) - 1, out, sizeof(out), &dir), 400);
    assert_string_equal(out, "");
}

/* Only path[0..len) is read: what follows the slice does not count. */
static void test_path_slice_only(void **state)
{
    static const char path[] = "/a/b/../../..?q=1";
    char out[OUT_MAX];
    bool dir;

    (void)state;
    assert_int_equal(pf_http_path_normalize(path, 2, out, sizeof(out), &dir), 0);
    assert_string_equal(out, "a");
    assert_false(dir);
    assert_int_equal(pf_http_path_normalize(path, 3, out, sizeof(out), &dir), 0);
    assert_string_equal(out, "a");
    assert_true(dir);
    assert_int_equal(pf_http_path_normalize(path, 11, out, sizeof(out), &dir), 0);
    assert_string_equal(out, "");
    assert_true(dir);
    assert_int_equal(pf_http_path_normalize(path, 13, out, sizeof(out), &dir), 400);
    assert_int_equal(pf_http_path_normalize(path, 14, out, sizeof(out), &dir), 404);
}

/* out of exactly strlen(name) + 1 bytes fits; one less is 414. */
static void test_path_out_size(void **state)
{
    char out[16];
    bool dir;

    (void)state;
    assert_int_equal(normalize_str("/abc/def", out, 8, &dir), 0);
    assert_string_equal(out, "abc/def");
    assert_int_equal(normalize_str("/abc/def", out, 7, &dir), 414);
    assert_string_equal(out, "");
    assert_int_equal(normalize_str("/abc/", out, 4, &dir), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(normalize_str("/abcd", out, 4, &dir), 414);
    assert_int_equal(normalize_str("/", out, 1, &dir), 0);
    assert_string_equal(out, "");
    /* a segment that does not fit is 414 even if a later ".." drops it */
    assert_int_equal(normalize_str("/./a/..", out, 1, &dir), 414);
    assert_int_equal(normalize_str("/a", out, 1, &dir), 414);
    assert_int_equal(normalize_str("/", out, 0, &dir), 414);
    /* the escape takes 3 input bytes but one output byte */
    assert_int_equal(normalize_str("/%61%62", out, 3, &dir), 0);
    assert_string_equal(out, "ab");
}

/* A name of exactly the room left, after a '..' freed space. */
static void test_path_out_reuse(void **state)
{
    char out[6];
    bool dir;

    (void)state;
    assert_int_equal(normalize_str("/ab/../cdefg", out, sizeof(out), &dir), 0);
    assert_string_equal(out, "cdefg");
    assert_int_equal(normalize_str("/ab/cd", out, sizeof(out), &dir), 0);
    assert_string_equal(out, "ab/cd");
    assert_int_equal(normalize_str("/ab/cde", out, sizeof(out), &dir), 414);
}

/* Decoded strings, in place and not, and the errors. */
static void test_percent_decode(void **state)
{
    char buf[32];
    size_t n = 99;

    (void)state;
    assert_int_equal(pf_http_path_percent_decode("a%41%7a%7E", 10, buf, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "aAz~", 4);
    strcpy(buf, "%2f%2F/x%20");
    assert_int_equal(pf_http_path_percent_decode(buf, strlen(buf), buf, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "///x ", 5);
    assert_int_equal(pf_http_path_percent_decode("", 0, buf, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(pf_http_path_percent_decode("%00", 3, buf, &n), -1);
    assert_int_equal(pf_http_path_percent_decode("a\0", 2, buf, &n), -1);
    assert_int_equal(pf_http_path_percent_decode("%4", 2, buf, &n), -1);
    assert_int_equal(pf_http_path_percent_decode("%41", 2, buf, &n), -1);
    assert_int_equal(pf_http_path_percent_decode("%g1", 3, buf, &n), -1);
    assert_int_equal(pf_http_path_percent_decode("%1g", 3, buf, &n), -1);
    assert_int_equal(pf_http_path_percent_decode("%", 1, buf, &n), -1);
}

/* Pieces the random paths are made of: separators, dots, escapes of
 * both, NULs, bad escapes, ordinary names and hidden ones. */
static const char *const corpus_pieces[] = {
    "/",   "/",   "/",      ".",    "..",  "%2e", "%2E",        "%2f",  "%2F",
    "%00", "%",   "%4",     "%zz",  "a",   "b",   "index.html", ".git", ".well-known",
    "\\",  "%25", "%2e%2e", ".%2e", "%5c", "~",   "?",          "\xff",
};

/* Deterministic xorshift64, so a failure reproduces. */
static uint64_t corpus_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Assemble a random path of up to 12 pieces into buf; returns its length. */
static size_t corpus_path(uint64_t *seed, char *buf, size_t size)
{
    size_t npieces = sizeof(corpus_pieces) / sizeof(corpus_pieces[0]);
    size_t len = 0;
    size_t count = corpus_next(seed) % 13;

    if (corpus_next(seed) % 8 != 0)
        buf[len++] = '/';
    for (size_t i = 0; i < count; i++) {
        const char *p = corpus_pieces[corpus_next(seed) % npieces];
        size_t n = strlen(p);

        if (len + n > size)
            break;
        memcpy(buf + len, p, n);
        len += n;
    }
    return len;
}

/* The promise of a 0 result: no ".." or hidden segment (other than
 * .well-known), no leading '/', no "//", no NUL, no trailing '/'. */
static void check_name(const char *name, size_t out_len)
{
    const char *seg = name;

    assert_int_equal(strlen(name), out_len);
    assert_true(name[0] != '/');
    assert_null(strstr(name, "//"));
    if (out_len > 0)
        assert_true(name[out_len - 1] != '/');
    while (*seg) {
        size_t n = strcspn(seg, "/");

        assert_false(n == 2 && memcmp(seg, "..", 2) == 0);
        assert_false(n == 1 && seg[0] == '.');
        if (seg[0] == '.')
            assert_true(n == 11 && memcmp(seg, ".well-known", 11) == 0);
        seg += n + (seg[n] == '/');
    }
}

/* Property check over a fixed-seed corpus; each path sits in a heap block
 * of exactly its length so the sanitizer sees any read past it. */
static void test_path_property(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned ok = 0;

    (void)state;
    for (int i = 0; i < 20000; i++) {
        char tmp[128];
        char out[64];
        size_t len = corpus_path(&seed, tmp, sizeof(tmp));
        char *path = malloc(len ? len : 1);
        bool dir;
        int rc;

        assert_non_null(path);
        memcpy(path, tmp, len);
        rc = pf_http_path_normalize(path, len, out, sizeof(out), &dir);
        free(path);
        assert_true(rc == 0 || rc == 400 || rc == 404 || rc == 414);
        if (rc == 0) {
            check_name(out, strlen(out));
            ok++;
        } else {
            assert_string_equal(out, "");
        }
    }
    /* the corpus must reach the success path often enough to mean much */
    assert_true(ok > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_table),      cmocka_unit_test(test_path_raw_nul),
        cmocka_unit_test(test_path_slice_only), cmocka_unit_test(test_path_out_size),
        cmocka_unit_test(test_path_out_reuse),  cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_path_property),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
