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

/* The text after the first line (which names the file dumped). */
static const char *after_header(const char *text)
{
    const char *nl = strchr(text, '\n');

    assert_non_null(nl);
    return nl + 1;
}

/* Fail unless text holds needle. */
static void assert_has(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL)
        fail_msg("no \"%s\" in:\n%s", needle, text);
}

/* preforkd -T prints the effective configuration: the verdict on stderr,
 * on stdout every setting (defaults included) as loaded, which preforkd
 * loads again into the same configuration: -T of -T's output is the same
 * text (a round trip), for strings with quotes and backslashes, lists,
 * booleans, signals and decimal durations. Before: "unknown option -T". */
PF_H_TEST(test_dump_round_trip)
{
    struct pf_h_config c;
    struct pf_h_output o, again;
    char body[8192], path[PATH_MAX], dumped[PATH_MAX], want[PATH_MAX + 64];

    pf_h_config_defaults(&c);
    c.stop_timeout = 0.05;
    c.workers_extra = "max_requests_jitter = 3000000000;";
    c.keeper_extra = "parking = false; linger = 0.25;";
    c.extra = "http = { server_name = \"a\\\"b\\\\c\"; error_pages = [\"404 404.html\"]; };\n"
              "exec = { env = (\"A=1\", \"B=x y\"); stop_signal = \"SIGINT\"; };\n";
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "404.html", "gone\n", NULL), 0);
    assert_int_equal(pf_h_write_file(s, "a.conf", body, path), 0);

    assert_int_equal(pf_h_run(s, &o, "-T", "-c", path, (char *)NULL), 0);
    if (!pf_h_exited_with(o.status, 0))
        fail_msg("-T failed: %s", o.err);
    snprintf(want, sizeof(want), "preforkd: %s: syntax ok\n", path);
    assert_string_equal(o.err, want);
    snprintf(want, sizeof(want), "# preforkd -T: the effective configuration of \"%s\"\n", path);
    assert_int_equal(strncmp(o.out, want, strlen(want)), 0);
    assert_has(o.out, "\nbacklog = 511;\n"); /* a default */
    assert_has(o.out, "\n  stop_timeout = 0.05;\n");
    assert_has(o.out, "\n  linger = 0.25;\n");
    assert_has(o.out, "\n  parking = false;\n");
    assert_has(o.out, "\n  max_requests_jitter = 3000000000;\n");
    assert_has(o.out, "\n  server_name = \"a\\\"b\\\\c\";\n");
    assert_has(o.out, "\n  env = [\"A=1\", \"B=x y\"];\n");
    assert_has(o.out, "\n  stop_signal = \"INT\";\n");
    assert_has(o.out, "\n  error_pages = [\"404 /"); /* resolved */

    assert_int_equal(pf_h_write_file(s, "dumped.conf", o.out, dumped), 0);
    assert_int_equal(pf_h_run(s, &again, "-t", "-c", dumped, (char *)NULL), 0);
    if (!pf_h_exited_with(again.status, 0))
        fail_msg("-T's output does not load: %s", again.err);
    pf_h_output_free(&again);
    assert_int_equal(pf_h_run(s, &again, "-T", "-c", dumped, (char *)NULL), 0);
    assert_true(pf_h_exited_with(again.status, 0));
    assert_string_equal(after_header(again.out), after_header(o.out));
    pf_h_output_free(&again);
    pf_h_output_free(&o);
}

/* -T on a bad file says what -t says, and prints nothing. */
PF_H_TEST(test_dump_bad_file)
{
    struct pf_h_output o;
    char path[PATH_MAX], want[PATH_MAX + 128];

    assert_int_equal(pf_h_write_file(s, "bad.conf", "workers = { start = 0; };\n", path), 0);
    assert_int_equal(pf_h_run(s, &o, "-T", "-c", path, (char *)NULL), 0);
    snprintf(want, sizeof(want),
             "%s:1: workers.start: must be an integer between 1 and 64 (workers.max, by "
             "default) (got 0)",
             path);
    assert_refused(&o, want);
    pf_h_output_free(&o);
}

/* @include of a glob (conf.d/ then *.conf): every part, in sorted order, an empty glob
 * no error; an error inside a part names that part and its line; a group
 * given twice across files is named with where it was first given.
 * Before: "FILE:2: cannot open include file" for the glob, and
 * "FILE:3: duplicate setting name" for the group. */
PF_H_TEST(test_include_glob)
{
    struct pf_h_output o;
    char path[PATH_MAX], dir[PATH_MAX], want[3 * PATH_MAX];

    assert_int_equal(pf_h_mkdir(s, "conf.d"), 0);
    assert_int_equal(pf_h_mkdir(s, "empty.d"), 0);
    assert_int_equal(pf_h_write_file(s, "conf.d/20-pool.conf",
                                     "workers = {\n  start = 3;\n  max = 9;\n};\n", NULL),
                     0);
    assert_int_equal(pf_h_write_file(s, "conf.d/10-proto.conf", "protocol = \"echo\";\n", NULL), 0);
    assert_int_equal(pf_h_write_file(s, "main.conf",
                                     "listen = \"127.0.0.1:0\";\n"
                                     "@include \"conf.d/*.conf\"\n"
                                     "@include \"empty.d/*.conf\"\n"
                                     "daemon = { user = \"nobody\"; };\n",
                                     path),
                     0);
    assert_int_equal(pf_h_run(s, &o, "-T", "-c", path, (char *)NULL), 0);
    if (!pf_h_exited_with(o.status, 0))
        fail_msg("-T: %s", o.err);
    assert_has(o.out, "\nprotocol = \"echo\";\n");
    assert_has(o.out, "\n  start = 3;\n  max = 9;\n");
    pf_h_output_free(&o);

    /* an error in a part: that part's name and line */
    assert_int_equal(pf_h_write_file(s, "conf.d/20-pool.conf",
                                     "workers = {\n  start = 3;\n  colour = 9;\n};\n", NULL),
                     0);
    assert_int_equal(pf_h_run(s, &o, "-t", "-c", path, (char *)NULL), 0);
    assert_int_equal(pf_h_path(dir, s, "conf.d/20-pool.conf"), 0);
    snprintf(want, sizeof(want), "%s:3: workers.colour: unknown setting", dir);
    assert_refused(&o, want);
    pf_h_output_free(&o);

    /* the pool given twice: in a part, then in the main file */
    assert_int_equal(pf_h_write_file(s, "conf.d/20-pool.conf", "workers = { start = 3; };\n", NULL),
                     0);
    assert_int_equal(pf_h_write_file(s, "main.conf",
                                     "listen = \"127.0.0.1:0\";\n"
                                     "@include \"conf.d/*.conf\"\n"
                                     "workers = { max = 8; };\n",
                                     path),
                     0);
    assert_int_equal(pf_h_run(s, &o, "-t", "-c", path, (char *)NULL), 0);
    snprintf(want, sizeof(want), "%s:3: workers: given twice (first at %s:1)", path, dir);
    assert_refused(&o, want);
    pf_h_output_free(&o);

    /* a missing plain file: named, with the line of its @include */
    assert_int_equal(pf_h_write_file(s, "main.conf", "\n@include \"conf.d/none.conf\"\n", path), 0);
    assert_int_equal(pf_h_run(s, &o, "-t", "-c", path, (char *)NULL), 0);
    assert_int_equal(pf_h_path(dir, s, "conf.d/none.conf"), 0);
    snprintf(want, sizeof(want), "%s:2: @include: %s: No such file or directory", path, dir);
    assert_refused(&o, want);
    pf_h_output_free(&o);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_bounds_one_range),
        PF_H_CASE(test_dump_round_trip),
        PF_H_CASE(test_dump_bad_file),
        PF_H_CASE(test_include_glob),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
