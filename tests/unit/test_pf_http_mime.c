/* Unit tests for pf_http_mime: built-in types and mime.types loading. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_http_mime.h"

#define OCTET "application/octet-stream"
#define UTF8 "; charset=utf-8"

/* A name and the Content-Type it must get. */
struct mime_case {
    const char *name;
    const char *type;
};

/* Every built-in extension the handler relies on (a mis-sorted table
 * would lose some of them to the binary search). */
static const struct mime_case builtin_cases[] = {
    {"a.7z", "application/x-7z-compressed"},
    {"a.aac", "audio/aac"},
    {"a.apng", "image/apng"},
    {"a.atom", "application/atom+xml" UTF8},
    {"a.avif", "image/avif"},
    {"a.bmp", "image/bmp"},
    {"a.bz2", "application/x-bzip2"},
    {"a.css", "text/css" UTF8},
    {"a.csv", "text/csv" UTF8},
    {"a.eot", "application/vnd.ms-fontobject"},
    {"a.flac", "audio/flac"},
    {"a.gif", "image/gif"},
    {"a.gz", "application/gzip"},
    {"a.htm", "text/html" UTF8},
    {"a.html", "text/html" UTF8},
    {"a.ico", "image/x-icon"},
    {"a.ics", "text/calendar" UTF8},
    {"a.jpeg", "image/jpeg"},
    {"a.jpg", "image/jpeg"},
    {"a.js", "text/javascript" UTF8},
    {"a.json", "application/json" UTF8},
    {"a.jsonld", "application/ld+json" UTF8},
    {"a.m4a", "audio/mp4"},
    {"a.map", "application/json" UTF8},
    {"a.md", "text/markdown" UTF8},
    {"a.mjs", "text/javascript" UTF8},
    {"a.mov", "video/quicktime"},
    {"a.mp3", "audio/mpeg"},
    {"a.mp4", "video/mp4"},
    {"a.oga", "audio/ogg"},
    {"a.ogg", "audio/ogg"},
    {"a.ogv", "video/ogg"},
    {"a.opus", "audio/ogg"},
    {"a.otf", "font/otf"},
    {"a.pdf", "application/pdf"},
    {"a.png", "image/png"},
    {"a.rss", "application/rss+xml" UTF8},
    {"a.svg", "image/svg+xml" UTF8},
    {"a.tar", "application/x-tar"},
    {"a.tif", "image/tiff"},
    {"a.tiff", "image/tiff"},
    {"a.ttf", "font/ttf"},
    {"a.txt", "text/plain" UTF8},
    {"a.wasm", "application/wasm"},
    {"a.wav", "audio/wav"},
    {"a.webm", "video/webm"},
    {"a.webmanifest", "application/manifest+json" UTF8},
    {"a.webp", "image/webp"},
    {"a.woff", "font/woff"},
    {"a.woff2", "font/woff2"},
    {"a.xhtml", "application/xhtml+xml" UTF8},
    {"a.xml", "application/xml" UTF8},
    {"a.xz", "application/x-xz"},
    {"a.zip", "application/zip"},
    {"a.zst", "application/zstd"},
};

/* How the extension is found: case, paths, dots, no extension. */
static const struct mime_case name_cases[] = {
    {"INDEX.HTML", "text/html" UTF8},
    {"Photo.JpG", "image/jpeg"},
    {"dir/sub/app.Js", "text/javascript" UTF8},
    {"/abs/style.css", "text/css" UTF8},
    {"archive.tar.gz", "application/gzip"},
    {"a.min.js.map", "application/json" UTF8},
    {"README", OCTET},
    {"", OCTET},
    {".", OCTET},
    {"a.", OCTET},
    {".bashrc", OCTET},
    {".html", OCTET},
    {"dir/.html", OCTET},
    {".well-known/x.txt", "text/plain" UTF8},
    {"a.b/c", OCTET},
    {"a.html/c", OCTET},
    {"a.b/", OCTET},
    {"a/b.html/", OCTET},
    {"a.unknownext", OCTET},
    {"a.htmlx", OCTET},
    {"a.htm ", OCTET},
    {"a.0123456789012345678901234567890123456789", OCTET},
};

/* Run a table of names through pf_http_mime_type. */
static void check_cases(const struct mime_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = pf_http_mime_type(cases[i].name);

        if (strcmp(got, cases[i].type) != 0)
            print_error("\"%s\": got \"%s\"\n", cases[i].name, got);
        assert_string_equal(got, cases[i].type);
    }
}

/* Every built-in entry is found by the binary search. */
static void test_builtins(void **state)
{
    (void)state;
    check_cases(builtin_cases, sizeof(builtin_cases) / sizeof(builtin_cases[0]));
}

/* Case-insensitivity, directories, dot-files, no extension. */
static void test_names(void **state)
{
    (void)state;
    check_cases(name_cases, sizeof(name_cases) / sizeof(name_cases[0]));
}

/* The temporary mime.types file a test writes and loads. */
struct mime_fixture {
    char path[64];
};

/* Fixture: an empty temporary file, the loaded table empty. */
static int setup_file(void **state)
{
    struct mime_fixture *fx = calloc(1, sizeof(*fx));
    int fd;

    if (!fx)
        return -1;
    strcpy(fx->path, "/tmp/pf_mime_XXXXXX");
    fd = mkstemp(fx->path);
    if (fd < 0) {
        free(fx);
        return -1;
    }
    close(fd);
    pf_http_mime_reset();
    *state = fx;
    return 0;
}

/* Remove the file and drop what was loaded. */
static int teardown_file(void **state)
{
    struct mime_fixture *fx = *state;

    unlink(fx->path);
    free(fx);
    pf_http_mime_reset();
    return 0;
}

/* Replace the fixture file's content with text. */
static void write_file(void **state, const char *text)
{
    struct mime_fixture *fx = *state;
    FILE *f = fopen(fx->path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Load the fixture file; returns pf_http_mime_load's result. */
static int load_file(void **state)
{
    struct mime_fixture *fx = *state;

    return pf_http_mime_load(fx->path);
}

static const char mime_types_text[] = "# a comment line: text/x-comment cmt\n"
                                      "\n"
                                      "   \t \n"
                                      "application/x-foo\tfoo  FOOBAR\n"
                                      "text/x-bar bar # trailing comment hidden\n"
                                      "application/evil html css png\n"
                                      "image/x-mixed png qoi\n"
                                      "application/x-first dup\n"
                                      "application/x-second dup\n"
                                      "notatype ignored\n"
                                      "bad/type/x ignored2\n"
                                      "/nosub ignored3\n"
                                      "audio/x-noext\n"
                                      "Application/X-Upper UPPER\n"
                                      "application/vnd.api+json apijson\n"
                                      "no-newline/at-end last";

/* Extra types are found, built-ins win, comments and bad lines skipped. */
static void test_load(void **state)
{
    write_file(state, mime_types_text);
    /* foo foobar bar qoi dup apijson upper last */
    assert_int_equal(load_file(state), 8);
    assert_string_equal(pf_http_mime_type("x.foo"), "application/x-foo");
    assert_string_equal(pf_http_mime_type("x.FooBar"), "application/x-foo");
    assert_string_equal(pf_http_mime_type("x.bar"), "text/x-bar" UTF8);
    assert_string_equal(pf_http_mime_type("x.qoi"), "image/x-mixed");
    assert_string_equal(pf_http_mime_type("x.dup"), "application/x-first");
    assert_string_equal(pf_http_mime_type("x.upper"), "application/x-upper");
    assert_string_equal(pf_http_mime_type("x.apijson"), "application/vnd.api+json" UTF8);
    assert_string_equal(pf_http_mime_type("x.last"), "no-newline/at-end");
    /* built-ins win */
    assert_string_equal(pf_http_mime_type("x.html"), "text/html" UTF8);
    assert_string_equal(pf_http_mime_type("x.png"), "image/png");
    /* comments and invalid types added nothing */
    assert_string_equal(pf_http_mime_type("x.cmt"), OCTET);
    assert_string_equal(pf_http_mime_type("x.trailing"), OCTET);
    assert_string_equal(pf_http_mime_type("x.hidden"), OCTET);
    assert_string_equal(pf_http_mime_type("x.ignored"), OCTET);
    assert_string_equal(pf_http_mime_type("x.ignored2"), OCTET);
    assert_string_equal(pf_http_mime_type("x.ignored3"), OCTET);
}

/* A second load adds only what is new; the first mapping stays. */
static void test_load_twice(void **state)
{
    write_file(state, "application/x-a aa\n");
    assert_int_equal(load_file(state), 1);
    write_file(state, "application/x-b aa bb\n");
    assert_int_equal(load_file(state), 1);
    assert_string_equal(pf_http_mime_type("x.aa"), "application/x-a");
    assert_string_equal(pf_http_mime_type("x.bb"), "application/x-b");
}

/* An over-long line is skipped whole; the next line still counts. */
static void test_load_long_line(void **state)
{
    size_t n = 5000;
    char *text = malloc(n + 64);

    assert_non_null(text);
    memcpy(text, "application/x-long ", 19);
    memset(text + 19, 'x', n - 19);
    strcpy(text + n, " tail\napplication/x-ok ok\n");
    write_file(state, text);
    free(text);
    assert_int_equal(load_file(state), 1);
    assert_string_equal(pf_http_mime_type("x.tail"), OCTET);
    assert_string_equal(pf_http_mime_type("x.ok"), "application/x-ok");
}

/* A file that cannot be opened: -1 and the table unchanged. */
static void test_load_missing(void **state)
{
    write_file(state, "application/x-kept kept\n");
    assert_int_equal(load_file(state), 1);
    assert_int_equal(pf_http_mime_load("/nonexistent/dir/mime.types"), -1);
    assert_int_equal(pf_http_mime_load("/"), -1);
    assert_string_equal(pf_http_mime_type("x.kept"), "application/x-kept");
}

/* Reset drops the loaded entries, keeps the built-ins; loading again works. */
static void test_reset(void **state)
{
    write_file(state, "application/x-foo foo\n");
    assert_int_equal(load_file(state), 1);
    pf_http_mime_reset();
    assert_string_equal(pf_http_mime_type("x.foo"), OCTET);
    assert_string_equal(pf_http_mime_type("x.css"), "text/css" UTF8);
    pf_http_mime_reset();
    assert_int_equal(load_file(state), 1);
    assert_string_equal(pf_http_mime_type("x.foo"), "application/x-foo");
}

/* An empty file and a comments-only file add nothing. */
static void test_load_empty(void **state)
{
    assert_int_equal(load_file(state), 0);
    write_file(state, "# nothing\n\n#text/plain foo\n");
    assert_int_equal(load_file(state), 0);
    assert_string_equal(pf_http_mime_type("x.foo"), OCTET);
}

/* The system's mime.types, when there is one, loads and changes no
 * built-in. */
static void test_load_system(void **state)
{
    (void)state;
    if (access("/etc/mime.types", R_OK) != 0)
        skip();
    assert_true(pf_http_mime_load("/etc/mime.types") > 0);
    check_cases(builtin_cases, sizeof(builtin_cases) / sizeof(builtin_cases[0]));
}

#define FILE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_file, teardown_file)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_names),
        FILE_TEST(test_load),
        FILE_TEST(test_load_twice),
        FILE_TEST(test_load_long_line),
        FILE_TEST(test_load_missing),
        FILE_TEST(test_reset),
        FILE_TEST(test_load_empty),
        FILE_TEST(test_load_system),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
