/* Unit tests for pb_opts (preforkbench's command line) and for the request
 * bytes the options make (pb_engine_request, pure). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_engine.h"
#include "pb_opts.h"

#define MAX_ARGS 48

/* Parse the NULL-terminated words after the program name. */
static pb_opts_action_t parse(struct pb_opts *o, char *err, size_t errlen, ...)
{
    char *argv[MAX_ARGS] = {"preforkbench"};
    int argc = 1;
    va_list ap;

    va_start(ap, errlen);
    for (char *a; argc < MAX_ARGS - 1 && (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    err[0] = '\0';
    return pb_opts_parse(argc, argv, o, err, errlen);
}

/* Parse the words (NULL-terminated) expecting PB_OPTS_RUN. */
#define PARSE_OK(o, ...) \
    do { \
        char e_[256]; \
        pb_opts_action_t a_ = parse((o), e_, sizeof(e_), __VA_ARGS__, (char *)NULL); \
        if (a_ != PB_OPTS_RUN) \
            fail_msg("refused: %s", e_); \
    } while (0)

/* Parse the words expecting a usage error whose reason holds needle. */
#define PARSE_ERR(needle, ...) \
    do { \
        struct pb_opts o_; \
        char e_[256]; \
        pb_opts_action_t a_ = parse(&o_, e_, sizeof(e_), __VA_ARGS__, (char *)NULL); \
        if (a_ != PB_OPTS_ERROR || strstr(e_, (needle)) == NULL) \
            fail_msg("expected an error with \"%s\", got %d \"%s\"", (needle), a_, e_); \
    } while (0)

/* A bare HOST:PORT gets the defaults of the documented table. */
static void test_defaults(void **state)
{
    struct pb_opts o;

    (void)state;
    PARSE_OK(&o, "127.0.0.1:8080");
    assert_int_equal(o.proto, PB_PROTO_HTTP);
    assert_string_equal(o.path, "/");
    assert_false(o.head);
    assert_int_equal(o.nheaders, 0);
    assert_false(o.close);
    assert_int_equal(o.size, 64);
    assert_int_equal(o.connections, 8);
    assert_int_equal(o.threads, 1);
    assert_true(o.duration_s == 10.0);
    assert_int_equal(o.requests, 0);
    assert_true(o.warmup_s == 0.0);
    assert_true(o.rate == 0.0);
    assert_true(o.timeout_s == 5.0);
    assert_null(o.json_path);
    assert_null(o.csv_path);
    assert_int_equal(o.progress, PB_PROGRESS_AUTO);
    assert_false(o.quiet);
    assert_string_equal(o.target, "127.0.0.1:8080");
}

/* Every option by its long name lands in its field. */
static void test_every_long_option(void **state)
{
    struct pb_opts o;

    (void)state;
    PARSE_OK(&o, "--protocol", "http", "--path", "/a/b.html?x=1", "--method", "HEAD", "--header",
             "X-A: 1", "--header", "X-B:2", "--close", "--connections", "16", "--threads", "4",
             "--duration", "2.5", "--requests", "1000", "--warmup", "0.5", "--rate", "1500.5",
             "--timeout", "0.25", "--json", "out.json", "--csv", "-", "--no-progress", "--quiet",
             "[::1]:9000");
    assert_string_equal(o.path, "/a/b.html?x=1");
    assert_true(o.head);
    assert_int_equal(o.nheaders, 2);
    assert_string_equal(o.headers[1], "X-B:2");
    assert_true(o.close);
    assert_int_equal(o.connections, 16);
    assert_int_equal(o.threads, 4);
    assert_true(o.duration_s == 2.5);
    assert_int_equal(o.requests, 1000);
    assert_true(o.warmup_s == 0.5);
    assert_true(o.rate == 1500.5);
    assert_true(o.timeout_s == 0.25);
    assert_string_equal(o.json_path, "out.json");
    assert_string_equal(o.csv_path, "-");
    assert_int_equal(o.progress, PB_PROGRESS_OFF);
    assert_true(o.quiet);
    assert_string_equal(o.target, "[::1]:9000");
}

/* Short names work too, and options may follow HOST:PORT. */
static void test_short_options_and_order(void **state)
{
    struct pb_opts o;

    (void)state;
    /* Options may follow HOST:PORT. */
    PARSE_OK(&o, "localhost:7", "-p", "msg", "-s", "0", "-c", "3", "-t", "3", "-d", "1", "-n", "5",
             "-w", "0", "-R", "10", "-T", "1", "-q", "--progress");
    assert_int_equal(o.proto, PB_PROTO_MSG);
    assert_int_equal(o.size, 0);
    assert_int_equal(o.connections, 3);
    assert_int_equal(o.threads, 3);
    assert_int_equal(o.requests, 5);
    assert_true(o.rate == 10.0);
    assert_true(o.quiet);
    assert_int_equal(o.progress, PB_PROGRESS_ON);
    assert_string_equal(o.target, "127.0.0.1:7");
}

/* -h and -V win over a missing target, not over a bad option before them. */
static void test_help_and_version(void **state)
{
    struct pb_opts o;
    char err[64];

    (void)state;
    assert_int_equal(parse(&o, err, sizeof(err), "-h", (char *)NULL), PB_OPTS_HELP);
    assert_int_equal(parse(&o, err, sizeof(err), "--version", (char *)NULL), PB_OPTS_VERSION);
    assert_int_equal(parse(&o, err, sizeof(err), "-V", (char *)NULL), PB_OPTS_VERSION);
    assert_int_equal(parse(&o, err, sizeof(err), "-c", "0", "--help", (char *)NULL), PB_OPTS_ERROR);
}

/* A second parse starts afresh (getopt state and defaults). */
static void test_parse_twice(void **state)
{
    struct pb_opts o;

    (void)state;
    PARSE_OK(&o, "-c", "4", "-H", "A: b", "127.0.0.1:1");
    PARSE_OK(&o, "127.0.0.1:2");
    assert_int_equal(o.connections, 8);
    assert_int_equal(o.nheaders, 0);
    assert_string_equal(o.target, "127.0.0.1:2");
}

/* Whole numbers: zero, signs, junk and out-of-range refused, naming the option. */
static void test_counts_refused(void **state)
{
    (void)state;
    PARSE_ERR("--connections", "-c", "0", "127.0.0.1:1");
    PARSE_ERR("--connections", "-c", "-1", "127.0.0.1:1");
    PARSE_ERR("--connections", "-c", "x", "127.0.0.1:1");
    PARSE_ERR("--connections", "-c", "4x", "127.0.0.1:1");
    PARSE_ERR("--connections", "-c", "100001", "127.0.0.1:1");
    PARSE_ERR("--threads", "-t", "0", "127.0.0.1:1");
    PARSE_ERR("--threads", "-t", "3", "-c", "2", "127.0.0.1:1");
    PARSE_ERR("--requests", "-n", "0", "127.0.0.1:1");
    PARSE_ERR("--requests", "-n", "+5", "127.0.0.1:1");
    PARSE_ERR("--requests", "-n", "99999999999999999999999", "127.0.0.1:1");
}

/* Seconds and rates: zero, negatives, inf, nan, junk and units refused. */
static void test_times_refused(void **state)
{
    (void)state;
    PARSE_ERR("--rate", "-R", "0", "127.0.0.1:1");
    PARSE_ERR("--rate", "-R", "-5", "127.0.0.1:1");
    PARSE_ERR("--rate", "--rate", "fast", "127.0.0.1:1");
    PARSE_ERR("--duration", "-d", "0", "127.0.0.1:1");
    PARSE_ERR("--duration", "-d", "inf", "127.0.0.1:1");
    PARSE_ERR("--duration", "-d", "nan", "127.0.0.1:1");
    PARSE_ERR("--duration", "-d", "1e9", "127.0.0.1:1");
    PARSE_ERR("--duration", "-d", "", "127.0.0.1:1");
    PARSE_ERR("--warmup", "-w", "-1", "127.0.0.1:1");
    PARSE_ERR("--timeout", "-T", "0", "127.0.0.1:1");
    PARSE_ERR("--timeout", "-T", "2s", "127.0.0.1:1");
}

/* Sizes by protocol: echo from 1, msg from 0, both up to 16 MiB, none for http. */
static void test_sizes(void **state)
{
    struct pb_opts o;

    (void)state;
    PARSE_OK(&o, "-p", "echo", "-s", "1", "127.0.0.1:1");
    assert_int_equal(o.size, 1);
    PARSE_OK(&o, "-p", "msg", "-s", "16777216", "127.0.0.1:1");
    assert_int_equal(o.size, 16u << 20);
    PARSE_ERR("--size", "-p", "echo", "-s", "0", "127.0.0.1:1");
    PARSE_ERR("--size", "-p", "msg", "-s", "16777217", "127.0.0.1:1");
    PARSE_ERR("--size", "-p", "echo", "-s", "-3", "127.0.0.1:1");
    PARSE_ERR("--size", "-s", "10", "127.0.0.1:1"); /* http has no size */
}

/* Bad protocol, method and path; http-only options with echo or msg. */
static void test_http_options_refused(void **state)
{
    (void)state;
    PARSE_ERR("--protocol", "-p", "ftp", "127.0.0.1:1");
    PARSE_ERR("--method", "-m", "POST", "127.0.0.1:1");
    PARSE_ERR("--method", "-m", "get", "127.0.0.1:1");
    PARSE_ERR("--path", "-u", "index.html", "127.0.0.1:1");
    PARSE_ERR("--path", "-u", "/a b", "127.0.0.1:1");
    PARSE_ERR("--path", "-u", "/a\r\nX: y", "127.0.0.1:1");
    PARSE_ERR("--path", "-p", "echo", "-u", "/x", "127.0.0.1:1");
    PARSE_ERR("--method", "-p", "msg", "-m", "HEAD", "127.0.0.1:1");
    PARSE_ERR("--header", "-p", "echo", "-H", "A: b", "127.0.0.1:1");
}

/* Headers: a name and a colon, no control characters, at most 16; Host noted. */
static void test_headers(void **state)
{
    struct pb_opts o;
    char *argv[2 + 2 * 17 + 1] = {"preforkbench"};
    char err[256];
    int argc = 1;

    (void)state;
    PARSE_ERR("--header", "-H", "NoColon", "127.0.0.1:1");
    PARSE_ERR("--header", "-H", ": value", "127.0.0.1:1");
    PARSE_ERR("--header", "-H", "Bad Name: v", "127.0.0.1:1");
    PARSE_ERR("--header", "-H", "A: b\r\nC: d", "127.0.0.1:1");
    PARSE_OK(&o, "-H", "host: example", "127.0.0.1:1");
    assert_true(o.host_header);
    for (int i = 0; i < 16; i++) {
        argv[argc++] = "-H";
        argv[argc++] = "X-Many: 1";
    }
    argv[argc++] = "127.0.0.1:1";
    assert_int_equal(pb_opts_parse(argc, argv, &o, err, sizeof(err)), PB_OPTS_RUN);
    assert_int_equal(o.nheaders, 16);
    argv[argc - 1] = "-H";
    argv[argc++] = "X-One-Too-Many: 1";
    argv[argc++] = "127.0.0.1:1";
    assert_int_equal(pb_opts_parse(argc, argv, &o, err, sizeof(err)), PB_OPTS_ERROR);
    assert_non_null(strstr(err, "at most 16"));
}

/* HOST:PORT: exactly one, an address literal, a port above 0. */
static void test_target_refused(void **state)
{
    (void)state;
    PARSE_ERR("no HOST:PORT", "-c", "1");
    PARSE_ERR("one HOST:PORT", "127.0.0.1:1", "127.0.0.1:2");
    PARSE_ERR("HOST:PORT", "example.com:80");
    PARSE_ERR("HOST:PORT", "127.0.0.1:99999");
    PARSE_ERR("port 0", "127.0.0.1:0");
    PARSE_ERR("HOST:PORT", "::1:80");
}

/* getopt's complaints become reasons naming the option. */
static void test_getopt_errors(void **state)
{
    (void)state;
    PARSE_ERR("unknown option --bogus", "--bogus", "127.0.0.1:1");
    PARSE_ERR("unknown option -z", "-z", "127.0.0.1:1");
    PARSE_ERR("--connections: a value is needed", "127.0.0.1:1", "--connections");
    PARSE_ERR("-c: a value is needed", "127.0.0.1:1", "-c");
}

/* --csv bounded to an hour; --json and --csv not both on stdout. */
static void test_outputs_refused(void **state)
{
    struct pb_opts o;

    (void)state;
    PARSE_ERR("--csv", "--csv", "s.csv", "-d", "3601", "127.0.0.1:1");
    PARSE_OK(&o, "--csv", "s.csv", "-d", "3600", "127.0.0.1:1");
    PARSE_ERR("--csv", "--csv", "-", "--json", "-", "127.0.0.1:1");
}

/* ---- the request bytes ---- */

/* The request the options make, NUL-terminated for string compares. */
static char *request_of(const struct pb_opts *o, size_t *len)
{
    unsigned char *buf;
    char *s;

    assert_int_equal(pb_engine_request(o, &buf, len), 0);
    s = malloc(*len + 1);
    assert_non_null(s);
    memcpy(s, buf, *len);
    s[*len] = '\0';
    free(buf);
    return s;
}

/* The http request: method, path, Host (or the -H one), headers, close. */
static void test_request_http(void **state)
{
    struct pb_opts o;
    size_t len;
    char *r;

    (void)state;
    PARSE_OK(&o, "-u", "/x.html", "127.0.0.1:8080");
    r = request_of(&o, &len);
    assert_string_equal(r, "GET /x.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
    assert_int_equal(len, strlen(r));
    free(r);
    PARSE_OK(&o, "-m", "HEAD", "-H", "A: 1", "-H", "B: 2", "--close", "[::1]:80");
    r = request_of(&o, &len);
    assert_string_equal(r, "HEAD / HTTP/1.1\r\nHost: [::1]:80\r\nA: 1\r\nB: 2\r\n"
                           "Connection: close\r\n\r\n");
    free(r);
    PARSE_OK(&o, "-H", "Host: other", "127.0.0.1:80");
    r = request_of(&o, &len);
    assert_string_equal(r, "GET / HTTP/1.1\r\nHost: other\r\n\r\n");
    free(r);
}

/* The echo line: size bytes of printable filler, the last one a newline. */
static void test_request_echo(void **state)
{
    struct pb_opts o;
    size_t len;
    char *r;

    (void)state;
    PARSE_OK(&o, "-p", "echo", "-s", "1", "127.0.0.1:80");
    r = request_of(&o, &len);
    assert_int_equal(len, 1);
    assert_string_equal(r, "\n");
    free(r);
    PARSE_OK(&o, "-p", "echo", "-s", "100", "127.0.0.1:80");
    r = request_of(&o, &len);
    assert_int_equal(len, 100);
    assert_int_equal(r[99], '\n');
    for (size_t i = 0; i < 99; i++)
        assert_true(r[i] >= 'a' && r[i] <= 'z');
    free(r);
}

/* The msg frame: a big-endian length, then the payload. */
static void test_request_msg(void **state)
{
    struct pb_opts o;
    unsigned char *buf;
    size_t len;

    (void)state;
    PARSE_OK(&o, "-p", "msg", "-s", "70000", "127.0.0.1:80");
    assert_int_equal(pb_engine_request(&o, &buf, &len), 0);
    assert_int_equal(len, 70004);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[1], 1);
    assert_int_equal(buf[2], 0x11);
    assert_int_equal(buf[3], 0x70);
    free(buf);
    PARSE_OK(&o, "-p", "msg", "-s", "0", "127.0.0.1:80");
    assert_int_equal(pb_engine_request(&o, &buf, &len), 0);
    assert_int_equal(len, 4);
    assert_int_equal(buf[0] | buf[1] | buf[2] | buf[3], 0);
    free(buf);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_long_option),
        cmocka_unit_test(test_short_options_and_order),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_parse_twice),
        cmocka_unit_test(test_counts_refused),
        cmocka_unit_test(test_times_refused),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_http_options_refused),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_target_refused),
        cmocka_unit_test(test_getopt_errors),
        cmocka_unit_test(test_outputs_refused),
        cmocka_unit_test(test_request_http),
        cmocka_unit_test(test_request_echo),
        cmocka_unit_test(test_request_msg),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
