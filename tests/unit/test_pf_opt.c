/* Unit tests for pf_opt: getopt_long's complaints in the wording the
 * three programs share, and the usage error's two lines. */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pf_opt.h"

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"json", no_argument, NULL, 'j'},
    {"timeout", required_argument, NULL, 256},
    {"token-file", required_argument, NULL, 't'},
    {NULL, 0, NULL, 0},
};

/* Run getopt_long over "prog" and words up to its first complaint; the
 * complaint's text, or "" when there was none. */
static void complaint_of(const char *const *words, char *err, size_t errlen)
{
    char *argv[8] = {"prog"};
    int argc = 1, c;

    for (; words[argc - 1] != NULL; argc++)
        argv[argc] = (char *)words[argc - 1];
    err[0] = '\0';
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:jt:", long_opts, NULL)) != -1)
        if (c == '?' || c == ':') {
            pf_opt_complaint(c, argv, err, errlen);
            return;
        }
}

static void test_complaints(void **state)
{
    static const struct {
        const char *words[4];
        const char *complaint;
    } cases[] = {
        {{"-x"}, "unknown option -x"},
        {{"-jx"}, "unknown option -x"},
        {{"-xj"}, "unknown option -x"},
        {{"-j", "-V"}, "unknown option -V"},
        {{"--colour"}, "unknown option --colour"},
        {{"--colour=red"}, "unknown option --colour"},
        {{"--t"}, "unknown option --t"}, /* ambiguous: timeout, token-file */
        {{"--json=yes"}, "--json: takes no value"},
        {{"-c"}, "-c: a value is needed"},
        {{"-jc"}, "-c: a value is needed"},
        {{"--config"}, "--config: a value is needed"},
        {{"--timeout"}, "--timeout: a value is needed"},
        {{"-c", "x", "-j"}, ""},
    };
    char err[128];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        complaint_of(cases[i].words, err, sizeof(err));
        if (strcmp(err, cases[i].complaint) != 0)
            fail_msg("%s: \"%s\", expected \"%s\"", cases[i].words[0], err, cases[i].complaint);
    }
}

static void test_usage_error(void **state)
{
    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

    (void)state;
    assert_non_null(f);
    pf_opt_usage_error(f, "prog", "unknown option -x");
    fclose(f);
    assert_string_equal(buf, "prog: unknown option -x\nTry 'prog --help' for more information.\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complaints),
        cmocka_unit_test(test_usage_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
