/* Unit tests for pf_http_cond: dates, etags, conditionals, byte ranges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_http_cond.h"

#define M_1994 ((time_t)784111777) /* Sun, 06 Nov 1994 08:49:37 GMT */
#define ETAG "\"a-b\""
#define OFF_MAX ((off_t)INT64_MAX)

/* Parse s[0..strlen) from a heap block of exactly that length, so the
 * sanitizer catches a read past the slice. */
static int parse_exact(const char *s, time_t *t)
{
    size_t len = strlen(s);
    char *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, s, len);
    rc = pf_http_cond_date_parse(copy, len, t);
    free(copy);
    return rc;
}

/* One instant in the three forms (rfc850 NULL when its two-digit year
 * cannot name that year). */
struct date_case {
    time_t t;
    const char *imf;
    const char *rfc850;
    const char *asctime;
};

static const struct date_case date_cases[] = {
    {784111777, "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
     "Sun Nov  6 08:49:37 1994"},
    {0, "Thu, 01 Jan 1970 00:00:00 GMT", "Thursday, 01-Jan-70 00:00:00 GMT",
     "Thu Jan  1 00:00:00 1970"},
    {951782400, "Tue, 29 Feb 2000 00:00:00 GMT", "Tuesday, 29-Feb-00 00:00:00 GMT",
     "Tue Feb 29 00:00:00 2000"},
    {2147483647, "Tue, 19 Jan 2038 03:14:07 GMT", "Tuesday, 19-Jan-38 03:14:07 GMT",
     "Tue Jan 19 03:14:07 2038"},
    {2147483648, "Tue, 19 Jan 2038 03:14:08 GMT", "Tuesday, 19-Jan-38 03:14:08 GMT",
     "Tue Jan 19 03:14:08 2038"},
    {1700000000, "Tue, 14 Nov 2023 22:13:20 GMT", "Tuesday, 14-Nov-23 22:13:20 GMT",
     "Tue Nov 14 22:13:20 2023"},
    {3029529600, "Fri, 01 Jan 2066 00:00:00 GMT", "Friday, 01-Jan-66 00:00:00 GMT",
     "Fri Jan  1 00:00:00 2066"},
    {4102444799, "Thu, 31 Dec 2099 23:59:59 GMT", NULL, "Thu Dec 31 23:59:59 2099"},
    {-1, "Wed, 31 Dec 1969 23:59:59 GMT", NULL, "Wed Dec 31 23:59:59 1969"},
};

/* Format gives the IMF-fixdate; each of the three forms parses back. */
static void test_date_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
        const struct date_case *c = &date_cases[i];
        char out[PF_HTTP_DATE_LEN + 1];
        time_t t = 12345;

        pf_http_cond_date_format(c->t, out);
        assert_string_equal(out, c->imf);
        assert_int_equal(parse_exact(c->imf, &t), 0);
        assert_int_equal(t, c->t);
        t = 12345;
        assert_int_equal(parse_exact(c->asctime, &t), 0);
        assert_int_equal(t, c->t);
        if (c->rfc850) {
            t = 12345;
            assert_int_equal(parse_exact(c->rfc850, &t), 0);
            assert_int_equal(t, c->t);
        }
    }
}

/* The obsolete forms' variants: 2DIGIT day in asctime, the year pivot,
 * the leap second, the day name not checked against the date. */
static void test_date_variants(void **state)
{
    time_t t;

    (void)state;
    assert_int_equal(parse_exact("Sun Nov 06 08:49:37 1994", &t), 0);
    assert_int_equal(t, M_1994);
    assert_int_equal(parse_exact("Thursday, 01-Jan-69 00:00:00 GMT", &t), 0);
    assert_int_equal(t, (time_t)3124224000); /* 2069 */
    assert_int_equal(parse_exact("Thursday, 01-Jan-70 00:00:00 GMT", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(parse_exact("Friday, 31-Dec-99 23:59:59 GMT", &t), 0);
    assert_int_equal(t, (time_t)946684799); /* 1999 */
    assert_int_equal(parse_exact("Sat, 31 Dec 2016 23:59:60 GMT", &t), 0);
    assert_int_equal(t, (time_t)1483228800);
    assert_int_equal(parse_exact("Mon, 06 Nov 1994 08:49:37 GMT", &t), 0);
    assert_int_equal(t, M_1994);
    assert_int_equal(parse_exact("Sat, 29 Feb 2400 00:00:00 GMT", &t), 0);
    assert_int_equal(t, (time_t)13574563200);
}

/* Dates that must be refused, with the reason in a comment. */
static const char *const bad_dates[] = {
    "",
    "Sun",
    "1994",
    "2024-01-01T00:00:00Z",
    "Sun, 06 Nov 1994 08:49:37 GMT ", /* trailing garbage */
    " Sun, 06 Nov 1994 08:49:37 GMT", /* leading garbage */
    "Sun, 06 Nov 1994 08:49:37 GMTX",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sun, 06 Nov 1994 08:49:37 gmt",
    "Sux, 06 Nov 1994 08:49:37 GMT", /* bad day name */
    "sun, 06 Nov 1994 08:49:37 GMT", /* names are case-sensitive */
    "Sun, 06 Nox 1994 08:49:37 GMT", /* bad month name */
    "Sun, 06 nov 1994 08:49:37 GMT",
    "Sun, 00 Nov 1994 08:49:37 GMT", /* out-of-range fields */
    "Sun, 32 Jan 1994 08:49:37 GMT",
    "Sun, 31 Apr 1994 08:49:37 GMT",
    "Sun, 29 Feb 1900 08:49:37 GMT",
    "Sun, 30 Feb 2000 08:49:37 GMT",
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Sun, 06 Nov 1994 23:60:00 GMT",
    "Sun, 06 Nov 1994 23:59:61 GMT",
    "Sun, 6 Nov 1994 08:49:37 GMT", /* malformed fields */
    "Sun, 06 Nov 94 08:49:37 GMT",
    "Sun,06 Nov 1994 08:49:37 GMT",
    "Sun, 06-Nov-1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 8:49:37 GMT",
    "Sun, 06 Nov 1994 08-49-37 GMT",
    "Sun, 06 Nov 1994 08:49:3a GMT",
    "Sun, 06 Nov -994 08:49:37 GMT",
    "Sun, +6 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT\n",
    "Sunday, 06-Nov-94 08:49:37 GMT ", /* RFC 850 */
    "Sunday, 06 Nov 94 08:49:37 GMT",
    "Sundai, 06-Nov-94 08:49:37 GMT",
    "sunday, 06-Nov-94 08:49:37 GMT",
    "Sun, 06-Nov-94 08:49:37 GMT",
    "Sunday, 06-Nov-1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 UTC",
    "Sunday, 31-Nov-94 08:49:37 GMT",
    "Sunday 06-Nov-94 08:49:37 GMT",
    ", 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 94", /* asctime */
    "Sun Nov 6 08:49:37 1994",
    "Sun Nov  6 08:49:37 1994 ",
    "Sun Nov 6  08:49:37 1994",
    "Sun Nov x6 08:49:37 1994",
    "Sun Nov  6 08:49:37 1994 GMT",
    "Sun Nox  6 08:49:37 1994",
    "Sux Nov  6 08:49:37 1994",
    "Sun Nov  0 08:49:37 1994",
    "Sun Nov  6 25:49:37 1994",
};

/* Every bad date is refused and leaves a return of -1. */
static void test_date_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++) {
        time_t t;

        if (parse_exact(bad_dates[i], &t) != -1)
            print_error("accepted \"%s\"\n", bad_dates[i]);
        assert_int_equal(parse_exact(bad_dates[i], &t), -1);
    }
}

/* A NUL inside the slice is a byte like another: refused. */
static void test_date_embedded_nul(void **state)
{
    static const char s[] = "Sun, 06 Nov 1994 08:49:37 G\0T";
    time_t t;

    (void)state;
    assert_int_equal(pf_http_cond_date_parse(s, sizeof(s) - 1, &t), -1);
}

/* Years outside 0000-9999 are clamped when formatting. */
static void test_date_format_clamp(void **state)
{
    char out[PF_HTTP_DATE_LEN + 1];

    (void)state;
    pf_http_cond_date_format((time_t)253402300799, out);
    assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
    pf_http_cond_date_format((time_t)253402300800, out);
    assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
    pf_http_cond_date_format((time_t)INT64_MAX, out);
    assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
    pf_http_cond_date_format((time_t)-62167219200, out);
    assert_string_equal(out, "Sat, 01 Jan 0000 00:00:00 GMT");
    pf_http_cond_date_format((time_t)-62167219201, out);
    assert_string_equal(out, "Sat, 01 Jan 0000 00:00:00 GMT");
    pf_http_cond_date_format((time_t)INT64_MIN, out);
    assert_string_equal(out, "Sat, 01 Jan 0000 00:00:00 GMT");
}

/* Deterministic xorshift64 for the property tests. */
static uint64_t rand_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* format then parse gives the time back, over the whole 0000-9999 span. */
static void test_date_round_trip_random(void **state)
{
    const int64_t lo = -62167219200;
    const int64_t span = 253402300799 - lo + 1;
    uint64_t seed = 0x2545f4914f6cdd1dull;

    (void)state;
    for (int i = 0; i < 20000; i++) {
        time_t t = (time_t)(lo + (int64_t)(rand_next(&seed) % (uint64_t)span));
        char out[PF_HTTP_DATE_LEN + 1];
        time_t back;

        pf_http_cond_date_format(t, out);
        assert_int_equal(strlen(out), PF_HTTP_DATE_LEN);
        assert_int_equal(parse_exact(out, &back), 0);
        assert_int_equal(back, t);
    }
}

/* Etag: quoted lowercase hex of size and nanosecond mtime. */
static void test_etag(void **state)
{
    struct timespec ts = {.tv_sec = 1712408726, .tv_nsec = 37910176};
    char out[PF_HTTP_ETAG_MAX];

    (void)state;
    assert_int_equal(pf_http_cond_etag(out, sizeof(out), 0x5f3a, &ts), 23);
    assert_string_equal(out, "\"5f3a-17c3b2a9e1c4d2a0\"");
    ts.tv_nsec++;
    assert_int_equal(pf_http_cond_etag(out, sizeof(out), 0x5f3a, &ts), 23);
    assert_string_equal(out, "\"5f3a-17c3b2a9e1c4d2a1\"");
    ts = (struct timespec){.tv_sec = 0, .tv_nsec = 0};
    assert_int_equal(pf_http_cond_etag(out, sizeof(out), 0, &ts), 5);
    assert_string_equal(out, "\"0-0\"");
    ts = (struct timespec){.tv_sec = 1, .tv_nsec = 1};
    assert_int_equal(pf_http_cond_etag(out, sizeof(out), 255, &ts), 13);
    assert_string_equal(out, "\"ff-3b9aca01\"");
    ts = (struct timespec){.tv_sec = 9223372036, .tv_nsec = 854775807};
    assert_int_equal(pf_http_cond_etag(out, sizeof(out), OFF_MAX, &ts), 35);
    assert_string_equal(out, "\"7fffffffffffffff-7fffffffffffffff\"");
}

/* A buffer one byte short gets "" and 0; an exact one gets the tag. */
static void test_etag_small_buffer(void **state)
{
    struct timespec ts = {.tv_sec = 1, .tv_nsec = 1};
    char out[16];

    (void)state;
    memset(out, 'x', sizeof(out));
    assert_int_equal(pf_http_cond_etag(out, 13, 255, &ts), 0);
    assert_string_equal(out, "");
    assert_int_equal(pf_http_cond_etag(out, 14, 255, &ts), 13);
    assert_string_equal(out, "\"ff-3b9aca01\"");
    assert_int_equal(pf_http_cond_etag(out, 0, 255, &ts), 0);
}

/* A conditional request and whether it must be answered 304. */
struct nm_case {
    const char *inm;
    const char *ims;
    const char *etag;
    time_t mtime;
    bool expect;
};

static const struct nm_case nm_cases[] = {
    {"", "", ETAG, M_1994, false},
    /* If-None-Match, weak comparison */
    {ETAG, "", ETAG, M_1994, true},
    {"W/" ETAG, "", ETAG, M_1994, true},
    {"\"x\"", "", ETAG, M_1994, false},
    {"\"x\", " ETAG, "", ETAG, M_1994, true},
    {"\"x\"," ETAG, "", ETAG, M_1994, true},
    {"\"x\" ,\t W/" ETAG " , \"y\"", "", ETAG, M_1994, true},
    {", ,\t" ETAG ",", "", ETAG, M_1994, true},
    {"\"x\", \"y\"", "", ETAG, M_1994, false},
    {"*", "", ETAG, M_1994, true},
    {"*", "", NULL, M_1994, true},
    {ETAG, "", NULL, M_1994, false},
    {"\"A-B\"", "", ETAG, M_1994, false},
    {"\"a-b \"", "", ETAG, M_1994, false},
    {"a-b", "", ETAG, M_1994, false},
    {"\"a-b", "", ETAG, M_1994, false},
    {ETAG " \"x\"", "", ETAG, M_1994, false},
    {ETAG "x", "", ETAG, M_1994, false},
    {"w/" ETAG, "", ETAG, M_1994, false},
    {"W" ETAG, "", ETAG, M_1994, false},
    {"\"x\", *", "", ETAG, M_1994, false},
    {"**", "", ETAG, M_1994, false},
    {ETAG ", \"bad", "", ETAG, M_1994, false},
    {"\"\"", "", ETAG, M_1994, false},
    /* If-None-Match present: If-Modified-Since ignored */
    {"\"x\"", "Sun, 06 Nov 1994 08:49:37 GMT", ETAG, M_1994, false},
    {ETAG, "Thu, 01 Jan 1970 00:00:00 GMT", ETAG, M_1994, true},
    {"\"bad", "Sun, 06 Nov 1994 08:49:37 GMT", ETAG, M_1994, false},
    /* If-Modified-Since alone: 304 when mtime <= date */
    {"", "Sun, 06 Nov 1994 08:49:37 GMT", ETAG, M_1994, true},
    {"", "Sun, 06 Nov 1994 08:49:38 GMT", ETAG, M_1994, true},
    {"", "Sun, 06 Nov 1994 08:49:36 GMT", ETAG, M_1994, false},
    {"", "Sunday, 06-Nov-94 08:49:37 GMT", ETAG, M_1994, true},
    {"", "Sun Nov  6 08:49:37 1994", ETAG, M_1994, true},
    {"", "Sun Nov  6 08:49:36 1994", ETAG, M_1994, false},
    {"", "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 00:00:00 GMT", ETAG, M_1994, false},
    {"", "not a date", ETAG, M_1994, false},
    {"", "Sun, 06 Nov 2094 08:49:37", ETAG, M_1994, false},
};

/* Every row of nm_cases; each header sits in an exact-length block. */
static void test_not_modified(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(nm_cases) / sizeof(nm_cases[0]); i++) {
        const struct nm_case *c = &nm_cases[i];
        size_t inm_len = strlen(c->inm);
        size_t ims_len = strlen(c->ims);
        char *inm = malloc(inm_len + 1);
        char *ims = malloc(ims_len + 1);
        bool got;

        assert_non_null(inm);
        assert_non_null(ims);
        memcpy(inm, c->inm, inm_len);
        memcpy(ims, c->ims, ims_len);
        got = pf_http_cond_not_modified(inm, inm_len, ims, ims_len, c->etag, c->mtime);
        free(inm);
        free(ims);
        if (got != c->expect)
            print_error("case %zu: INM '%s' IMS '%s': got %d\n", i, c->inm, c->ims, got);
        assert_int_equal(got, c->expect);
    }
}

/* A Range (and If-Range) against a size, and the verdict with bounds. */
struct range_case {
    const char *range;
    const char *if_range;
    off_t size;
    enum pf_http_range expect;
    off_t first;
    off_t last;
};

#define OK PF_HTTP_RANGE_OK
#define NONE PF_HTTP_RANGE_NONE
#define UNSAT PF_HTTP_RANGE_UNSATISFIABLE
#define HUGE_NUM "99999999999999999999999"

static const struct range_case range_cases[] = {
    {"bytes=0-0", "", 10, OK, 0, 0},
    {"bytes=0-9", "", 10, OK, 0, 9},
    {"bytes=3-5", "", 10, OK, 3, 5},
    {"bytes=0-999", "", 10, OK, 0, 9},
    {"bytes=5-", "", 10, OK, 5, 9},
    {"bytes=9-", "", 10, OK, 9, 9},
    {"bytes=9-9", "", 10, OK, 9, 9},
    {"bytes=000-001", "", 10, OK, 0, 1},
    {"bytes=-3", "", 10, OK, 7, 9},
    {"bytes=-10", "", 10, OK, 0, 9},
    {"bytes=-5", "", 3, OK, 0, 2},
    {"Bytes=0-1", "", 10, OK, 0, 1},
    {"BYTES=0-1", "", 10, OK, 0, 1},
    /* unsatisfiable */
    {"bytes=10-", "", 10, UNSAT, 0, 0},
    {"bytes=10-20", "", 10, UNSAT, 0, 0},
    {"bytes=5-", "", 5, UNSAT, 0, 0},
    {"bytes=-0", "", 10, UNSAT, 0, 0},
    {"bytes=0-0", "", 0, UNSAT, 0, 0},
    {"bytes=0-", "", 0, UNSAT, 0, 0},
    {"bytes=-5", "", 0, UNSAT, 0, 0},
    /* several ranges, other units, syntax errors: ignored */
    {"bytes=1-2,4-5", "", 10, NONE, 0, 0},
    {"bytes=0-1, 3-4", "", 10, NONE, 0, 0},
    {"bytes=0-1,", "", 10, NONE, 0, 0},
    {"bytes=0-1 ", "", 10, NONE, 0, 0},
    {"items=0-1", "", 10, NONE, 0, 0},
    {"items=0-1", "", 0, NONE, 0, 0},
    {"bytes=2-1", "", 10, NONE, 0, 0},
    {"bytes =0-1", "", 10, NONE, 0, 0},
    {"bytes= 0-1", "", 10, NONE, 0, 0},
    {"bytes=0 -1", "", 10, NONE, 0, 0},
    {"bytes=0- 1", "", 10, NONE, 0, 0},
    {"bytes=", "", 10, NONE, 0, 0},
    {"bytes=-", "", 10, NONE, 0, 0},
    {"bytes", "", 10, NONE, 0, 0},
    {"", "", 10, NONE, 0, 0},
    {"bytes=a-b", "", 10, NONE, 0, 0},
    {"bytes=1-2x", "", 10, NONE, 0, 0},
    {"bytes=+1-2", "", 10, NONE, 0, 0},
    {"bytes=--1", "", 10, NONE, 0, 0},
    {"bytes=1--2", "", 10, NONE, 0, 0},
    {"bytes=0x1-2", "", 10, NONE, 0, 0},
    {"bytes=1", "", 10, NONE, 0, 0},
    {"bytes\x1d"
     "0-1",
     "", 10, NONE, 0, 0},
    /* huge numbers saturate: right answers without overflow */
    {"bytes=0-" HUGE_NUM, "", 10, OK, 0, 9},
    {"bytes=" HUGE_NUM "-", "", 10, UNSAT, 0, 0},
    {"bytes=-" HUGE_NUM, "", 10, OK, 0, 9},
    {"bytes=" HUGE_NUM "-" HUGE_NUM, "", 10, UNSAT, 0, 0},
    {"bytes=9223372036854775806-", "", OFF_MAX, OK, 9223372036854775806, 9223372036854775806},
    {"bytes=9223372036854775807-", "", OFF_MAX, UNSAT, 0, 0},
    {"bytes=-9223372036854775807", "", OFF_MAX, OK, 0, 9223372036854775806},
    /* If-Range */
    {"bytes=0-1", ETAG, 10, OK, 0, 1},
    {"bytes=0-1", "W/" ETAG, 10, NONE, 0, 0},
    {"bytes=0-1", "\"x\"", 10, NONE, 0, 0},
    {"bytes=0-1", ETAG " ", 10, NONE, 0, 0},
    {"bytes=0-1", "\"a-b", 10, NONE, 0, 0},
    {"bytes=0-1", "Sun, 06 Nov 1994 08:49:37 GMT", 10, OK, 0, 1},
    {"bytes=0-1", "Sunday, 06-Nov-94 08:49:37 GMT", 10, OK, 0, 1},
    {"bytes=0-1", "Sun Nov  6 08:49:37 1994", 10, OK, 0, 1},
    {"bytes=0-1", "Sun, 06 Nov 1994 08:49:38 GMT", 10, NONE, 0, 0},
    {"bytes=0-1", "Sun, 06 Nov 1994 08:49:36 GMT", 10, NONE, 0, 0},
    {"bytes=0-1", "yesterday", 10, NONE, 0, 0},
    {"bytes=20-", ETAG, 10, UNSAT, 0, 0},
    {"bytes=20-", "\"x\"", 10, NONE, 0, 0},
    {"bytes=2-1", ETAG, 10, NONE, 0, 0},
};

/* Evaluate one row with every header in an exact-length heap block. */
static enum pf_http_range eval_case(const struct range_case *c, const char *etag, off_t *first,
                                    off_t *last)
{
    size_t rlen = strlen(c->range);
    size_t ilen = strlen(c->if_range);
    char *range = malloc(rlen + 1);
    char *if_range = malloc(ilen + 1);
    enum pf_http_range got;

    assert_non_null(range);
    assert_non_null(if_range);
    memcpy(range, c->range, rlen);
    memcpy(if_range, c->if_range, ilen);
    got = pf_http_cond_range(range, rlen, if_range, ilen, etag, M_1994, c->size, first, last);
    free(range);
    free(if_range);
    return got;
}

/* Every row of range_cases; bounds are written only for OK. */
static void test_range(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
        const struct range_case *c = &range_cases[i];
        off_t first = -7;
        off_t last = -7;
        enum pf_http_range got = eval_case(c, ETAG, &first, &last);

        if (got != c->expect)
            print_error("case %zu: Range '%s' If-Range '%s': got %d\n", i, c->range, c->if_range,
                        (int)got);
        assert_int_equal(got, c->expect);
        assert_int_equal(first, c->expect == OK ? c->first : -7);
        assert_int_equal(last, c->expect == OK ? c->last : -7);
    }
}

/* With no etag known, an If-Range tag never matches; a date still can. */
static void test_range_no_etag(void **state)
{
    static const struct range_case tag = {"bytes=0-1", ETAG, 10, NONE, 0, 0};
    static const struct range_case date = {
        "bytes=0-1", "Sun, 06 Nov 1994 08:49:37 GMT", 10, OK, 0, 1};
    off_t first;
    off_t last;

    (void)state;
    assert_int_equal(eval_case(&tag, NULL, &first, &last), NONE);
    assert_int_equal(eval_case(&date, NULL, &first, &last), OK);
    assert_int_equal(first, 0);
    assert_int_equal(last, 1);
}

/* Random bytes from a small alphabet into every parser: no read past the
 * slice (exact-length blocks), and the bounds of OK always inside the file. */
static void test_random_inputs(void **state)
{
    static const char alphabet[] = "bytes=-0123456789,  \"W/*GMTSunNov:";
    uint64_t seed = 0x853c49e6748fea9bull;

    (void)state;
    for (int i = 0; i < 50000; i++) {
        size_t len = rand_next(&seed) % 40;
        char *s = malloc(len ? len : 1);
        off_t size = (off_t)(rand_next(&seed) % 64);
        off_t first = -1;
        off_t last = -1;
        time_t t;

        assert_non_null(s);
        for (size_t k = 0; k < len; k++)
            s[k] = alphabet[rand_next(&seed) % (sizeof(alphabet) - 1)];
        if (len > 6 && rand_next(&seed) % 2)
            memcpy(s, "bytes=", 6);
        if (pf_http_cond_range(s, len, NULL, 0, ETAG, M_1994, size, &first, &last) == OK)
            assert_true(first >= 0 && first <= last && last < size);
        (void)pf_http_cond_range(s, len, s, len, ETAG, M_1994, size, &first, &last);
        (void)pf_http_cond_date_parse(s, len, &t);
        (void)pf_http_cond_not_modified(s, len, s, len, ETAG, M_1994);
        (void)pf_http_cond_not_modified(NULL, 0, s, len, ETAG, M_1994);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_round_trip),
        cmocka_unit_test(test_date_variants),
        cmocka_unit_test(test_date_invalid),
        cmocka_unit_test(test_date_embedded_nul),
        cmocka_unit_test(test_date_format_clamp),
        cmocka_unit_test(test_date_round_trip_random),
        cmocka_unit_test(test_etag),
        cmocka_unit_test(test_etag_small_buffer),
        cmocka_unit_test(test_not_modified),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_range_no_etag),
        cmocka_unit_test(test_random_inputs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
