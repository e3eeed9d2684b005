/* Integration: the configuration as an operator meets it through the real
 * binary: the bounds its messages state, -T (the effective configuration,
 * loadable again), @include of a glob, a setting given twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_harness.h"

/* Run preforkd -t -c NAME (a file of s->dir holding body) into o. */
static void check_file(struct pf_server *s, const char *name, const char *body,
                       struct pf_h_output *o)
{
    char path[PATH_MAX];

    assert_int_equal(pf_h_write_file(s, name, body, path), 0);
    assert_int_equal(pf_h_run(s, o, "-t", "-c", path, (char *)NULL), 0);
}

/* A failed check: exit 1, nothing on stdout, one line on stderr equal to
 * "preforkd: " then want. */
static void assert_refused(const struct pf_h_output *o, const char *want)
{
    char line[PATH_MAX + 512];

    snprintf(line, sizeof(line), "preforkd: %s\n", want);
    assert_true(pf_h_exited_with(o->status, 1));
    assert_string_equal(o->out, "");
    assert_string_equal(o->err, line);
}

/* workers.start below and above the range that applies gets the same
 * range in its message (before: 0 said "between 1 and 4096", 100 said
 * "between 1 and 64 (workers.max)"). */
PF_H_TEST(test_bounds_one_range)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"listen = \"127.0.0.1:0\";\nworkers = { start = 0; };\n",
         "b.conf:2: workers.start: must be an integer between 1 and 64 (workers.max, by "
         "default) (got 0)"},
        {"listen = \"127.0.0.1:0\";\nworkers = { start = 100; };\n",
         "b.conf:2: workers.start: must be an integer between 1 and 64 (workers.max, by "
         "default) (got 100)"},
        {"workers = {\n  start = 0;\n  max = 16;\n};\n",
         "b.conf:2: workers.start: must be an integer between 1 and 16 (workers.max) (got 0)"},
        {"workers = {\n  start = 17;\n  max = 16;\n};\n",
         "b.conf:2: workers.start: must be an integer between 1 and 16 (workers.max) (got 17)"},
    };
    struct pf_h_output o;
    char want[PATH_MAX + 256], path[PATH_MAX];

    assert_int_equal(pf_h_path(path, s, ""), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_file(s, "b.conf", cases[i].body, &o);
        snprintf(want, sizeof(want), "%s%s", path, cases[i].want);
        assert_refused(&o, want);
        pf_h_output_free(&o);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_bounds_one_range),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
