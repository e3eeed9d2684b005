/* Unit tests for pf_title's pure parts: the block found from the argv and
 * environment strings (laid out here in a buffer as exec lays them out,
 * with gaps where a real layout could have them), a title fitted into a
 * block of a given size (cut, NUL-padded, never a byte past it), and the
 * arguments joined. The process's own title is the integration test's
 * (test_titles). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pf_title.h"

#define MAXSTR 8

/* A layout: the strings of argv then environ, and where a gap (one byte)
 * comes before a string; -1 ends each list. */
struct layout {
    const char *argv[MAXSTR];
    const char *envp[MAXSTR];
    int gap_before_arg; /* index in argv; -1: none */
    int gap_before_env; /* index in envp; -1: none */
    size_t size;        /* expected block size */
    size_t nenv;        /* expected environment strings in it */
};

/* Lay the strings out in buf as exec does (each right after the one
 * before, a one-byte gap where asked), pointers into argv and envp. */
static void lay_out(const struct layout *l, char *buf, char **argv, char **envp)
{
    char *p = buf;
    int i;

    for (i = 0; l->argv[i] != NULL; i++) {
        if (i == l->gap_before_arg)
            *p++ = 'x';
        argv[i] = strcpy(p, l->argv[i]);
        p += strlen(p) + 1;
    }
    argv[i] = NULL;
    for (i = 0; l->envp[i] != NULL; i++) {
        if (i == l->gap_before_env)
            *p++ = 'x';
        envp[i] = strcpy(p, l->envp[i]);
        p += strlen(p) + 1;
    }
    envp[i] = NULL;
}

static void test_area_find(void **state)
{
    static const struct layout cases[] = {
        /* "preforkd\0-c\0a.conf\0" then "A=1\0B=22\0": all of it */
        {{"preforkd", "-c", "a.conf"}, {"A=1", "B=22"}, -1, -1, 9 + 3 + 7 + 4 + 5, 2},
        /* no environment */
        {{"preforkd"}, {NULL}, -1, -1, 9, 0},
        /* a gap before the second variable: the first only */
        {{"p", "-f"}, {"A=1", "B=2", "C=3"}, -1, 1, 2 + 3 + 4, 1},
        /* the environment elsewhere: the arguments only */
        {{"p", "-f"}, {"A=1"}, -1, 0, 2 + 3, 0},
        /* a gap among the arguments: up to it, and no environment */
        {{"p", "-c", "x"}, {"A=1"}, 2, -1, 2 + 3, 0},
        /* empty strings take their NUL */
        {{"p", ""}, {""}, -1, -1, 2 + 1 + 1, 1},
    };
    char buf[256], *argv[MAXSTR + 1], *envp[MAXSTR + 1];
    struct pf_title_area a;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(buf, 0, sizeof(buf));
        lay_out(&cases[i], buf, argv, envp);
        pf_title_area_find(argv, envp, &a);
        assert_ptr_equal(a.start, argv[0]);
        assert_int_equal(a.size, cases[i].size);
        assert_int_equal(a.nenv, cases[i].nenv);
    }
}

/* No argv, or no environment list at all. */
static void test_area_none(void **state)
{
    char buf[] = "p\0-f";
    char *argv[] = {buf, buf + 2, NULL}, *none[] = {NULL};
    struct pf_title_area a;

    (void)state;
    pf_title_area_find(none, NULL, &a);
    assert_null(a.start);
    assert_int_equal(a.size, 0);
    pf_title_area_find(NULL, NULL, &a);
    assert_null(a.start);
    pf_title_area_find(argv, NULL, &a);
    assert_int_equal(a.size, 5);
    assert_int_equal(a.nenv, 0);
}

/* A title fitted in a block of each size, within a larger buffer whose
 * bytes past the block must stay as they were. */
static void test_fill(void **state)
{
    static const struct {
        const char *title;
        size_t size;
        const char *shown; /* what the block then holds, up to its first NUL */
    } cases[] = {
        {"preforkd: master", 32, "preforkd: master"},
        {"preforkd: master", 17, "preforkd: master"}, /* exactly: the NUL last */
        {"preforkd: master", 16, "preforkd: maste"},  /* cut */
        {"preforkd: master", 1, ""},
        {"", 8, ""},
    };
    char buf[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].shown);

        memset(buf, '#', sizeof(buf));
        assert_int_equal(pf_title_fill(buf, cases[i].size, cases[i].title), len);
        assert_string_equal(buf, cases[i].shown);
        for (size_t k = len; k < cases[i].size; k++) /* padded: no old byte shows */
            assert_int_equal(buf[k], '\0');
        for (size_t k = cases[i].size; k < sizeof(buf); k++)
            assert_int_equal(buf[k], '#');
    }
    memset(buf, '#', sizeof(buf));
    assert_int_equal(pf_title_fill(buf, 0, "x"), 0); /* no block: nothing written */
    assert_int_equal(buf[0], '#');
}

static void test_join(void **state)
{
    static char *const args[] = {"-c", "/etc/preforkd/preforkd.conf", "-d"};
    static const struct {
        int n;
        size_t size;
        const char *want;
    } cases[] = {
        {3, 64, "-c /etc/preforkd/preforkd.conf -d"},
        {1, 64, "-c"},
        {0, 64, ""},
        {3, 8, "-c /etc"},                            /* cut inside a word */
        {2, 3, "-c"},                                 /* cut at the space */
        {3, 33, "-c /etc/preforkd/preforkd.conf -"},  /* cut in the last */
        {3, 34, "-c /etc/preforkd/preforkd.conf -d"}, /* exactly */
        {2, 1, ""},
    };
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(out, '#', sizeof(out));
        assert_int_equal(pf_title_join(out, cases[i].size, args, cases[i].n),
                         strlen(cases[i].want));
        assert_string_equal(out, cases[i].want);
    }
    assert_int_equal(pf_title_join(out, 0, args, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_area_find),
        cmocka_unit_test(test_area_none),
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_join),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
