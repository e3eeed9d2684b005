/* Unit tests for pf_procstat: /proc/PID/stat lines, a table of real and
 * hostile ones, and this process's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pf_procstat.h"

/* A line as Linux 6 writes it (52 fields), with comm and the kept fields
 * given. */
static void line(char *buf, size_t size, const char *comm, const char *utime, const char *stime,
                 const char *start, const char *rss)
{
    snprintf(buf, size,
             "4242 (%s) S 1 4242 4242 0 -1 4194560 1540 0 0 0 %s %s 0 0 20 0 1 0 %s 11276288 %s "
             "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
             comm, utime, stime, start, rss);
}

static void test_table(void **state)
{
    static const struct {
        const char *comm, *utime, *stime, *start, *rss;
        int rc;
        struct pf_procstat want;
        const char *err;
    } cases[] = {
        {"preforkd", "12", "7", "1234567", "687", 0, {12, 7, 1234567, 687}, NULL},
        {"a b) (c", "1", "2", "3", "4", 0, {1, 2, 3, 4}, NULL}, /* comm with ") (" */
        {"", "0", "0", "0", "0", 0, {0, 0, 0, 0}, NULL},
        {"x", "18446744073709551615", "0", "0", "0", 0, {UINT64_MAX, 0, 0, 0}, NULL},
        {"x", "18446744073709551616", "0", "0", "0", -1, {0, 0, 0, 0}, "field 14 is not"},
        {"x", "-1", "0", "0", "0", -1, {0, 0, 0, 0}, "field 14 is not a number"},
        {"x", "1", "abc", "0", "0", -1, {0, 0, 0, 0}, "field 15 is not a number"},
        {"x", "1", "2", "3x", "0", -1, {0, 0, 0, 0}, "field 22 is not a number"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512], err[128] = "";
        struct pf_procstat got;
        int rc;

        line(text, sizeof(text), cases[i].comm, cases[i].utime, cases[i].stime, cases[i].start,
             cases[i].rss);
        rc = pf_procstat_parse(text, strlen(text), &got, err, sizeof(err));
        if (rc != cases[i].rc || memcmp(&got, &cases[i].want, sizeof(got)) != 0 ||
            (cases[i].err && !strstr(err, cases[i].err)))
            fail_msg("case %zu: rc %d (%s), utime %llu stime %llu start %llu rss %llu", i, rc, err,
                     (unsigned long long)got.utime_ticks, (unsigned long long)got.stime_ticks,
                     (unsigned long long)got.start_ticks, (unsigned long long)got.rss_pages);
    }
}

/* Cut short, or no command at all: refused with why. */
static void test_short(void **state)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"", "no ')'"},
        {"4242 preforkd S 1", "no ')'"},
        {"4242 (x)", "field 3 is missing"},
        {"4242 (x) S 1 4242 4242 0 -1 4194560 1540 0 0 0 5 6 0 0 20 0 1 0 9",
         "field 23 is missing"},
        {"4242 (x) S 1 4242 4242 0 -1 4194560 1540 0 0 0 5 6 0 0 20 0 1 0 9 1 ", "field 24 is not"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[128] = "";
        struct pf_procstat got;

        if (pf_procstat_parse(cases[i].text, strlen(cases[i].text), &got, err, sizeof(err)) != -1 ||
            !strstr(err, cases[i].err) || got.rss_pages != 0)
            fail_msg("case %zu: \"%s\": err \"%s\", expected \"%s\"", i, cases[i].text, err,
                     cases[i].err);
    }
}

/* This process's own line: it has run, and is resident. */
static void test_self(void **state)
{
    char text[1024], err[128];
    struct pf_procstat got;
    int fd = open("/proc/self/stat", O_RDONLY);
    ssize_t n;

    (void)state;
    assert_true(fd >= 0);
    n = read(fd, text, sizeof(text));
    close(fd);
    assert_true(n > 0);
    assert_int_equal(pf_procstat_parse(text, (size_t)n, &got, err, sizeof(err)), 0);
    assert_true(got.rss_pages > 0);
    assert_true(got.start_ticks > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_short),
        cmocka_unit_test(test_self),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
