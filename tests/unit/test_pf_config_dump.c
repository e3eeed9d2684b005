/* Unit tests for pf_config_dump: what -T writes is the configuration
 * loaded, in a file pf_config_load reads back into the same values (a
 * round trip), with every setting of pf_config's table, each value written
 * the way a file writes it. */
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pf_config.h"
#include "pf_config_dump.h"

struct fixture {
    char dir[64];
    char path[PATH_MAX + 16];  /* dir/a.conf, the file written by the test */
    char again[PATH_MAX + 16]; /* dir/b.conf, the first dump */
    char page[PATH_MAX + 16];  /* dir/404.html, an error page */
    char err[PF_ERR_MAX];
    struct pf_config cfg;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    FILE *fp;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/pf_config_dump_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/a.conf", f->dir);
    snprintf(f->again, sizeof f->again, "%s/b.conf", f->dir);
    snprintf(f->page, sizeof f->page, "%s/404.html", f->dir);
    fp = fopen(f->page, "w");
    if (!fp || fputs("gone\n", fp) < 0 || fclose(fp) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    unlink(f->path);
    unlink(f->again);
    unlink(f->page);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

/* The dump of c, without its first line (which names the file), in a
 * malloc'd string. */
static char *dump_body(const struct pf_config *c)
{
    char *text = NULL, *body;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);

    assert_non_null(mem);
    assert_int_equal(pf_config_dump(mem, c), 0);
    assert_int_equal(fclose(mem), 0);
    body = strdup(strchr(text, '\n') + 1);
    free(text);
    assert_non_null(body);
    return body;
}

/* Load text, dump it into b.conf, load b.conf, dump it again: both dumps
 * must be the same text. The first dump is returned (malloc'd). */
static char *round_trip(struct fixture *f, const char *text)
{
    char *first, *second;

    write_file(f->path, text);
    if (pf_config_load(&f->cfg, f->path, f->err, sizeof f->err) != 0)
        fail_msg("the test's file: %s", f->err);
    first = dump_body(&f->cfg);
    write_file(f->again, first);
    if (pf_config_load(&f->cfg, f->again, f->err, sizeof f->err) != 0)
        fail_msg("the dump does not load: %s\n%s", f->err, first);
    second = dump_body(&f->cfg);
    if (strcmp(first, second) != 0)
        fail_msg("the dumps differ:\n%s\n---\n%s", first, second);
    free(second);
    return first;
}

/* The defaults: every setting of the table is written, each once, in its
 * group (a setting added to the table is written with no change to the
 * dump), and the dump of the defaults loads back into them. */
static void test_defaults_every_setting(void **state)
{
    struct fixture *f = *state;
    struct pf_config_setting s;
    char *body = round_trip(f, "");
    size_t n = 0, lines = 0;

    for (size_t i = 0; pf_config_setting_at(i, &s); i++, n++) {
        char line[128];

        bool empty = s.empty_unset && ((const char *)&f->cfg + s.offset)[0] == '\0';

        snprintf(line, sizeof line, "\n%s%s%s = ", s.group ? "  " : "", empty ? "# " : "", s.name);
        if (!strstr(body, line))
            fail_msg("no line \"%s\" in:\n%s", line + 1, body);
    }
    for (const char *p = body; (p = strstr(p, " = ")) != NULL; p++)
        if (p[3] != '{')
            lines++;
    assert_int_equal(lines, n);
    free(body);
}

/* Each kind of value, written as a file writes it (one row: the file's
 * text, a line the dump must hold). */
static void test_values_written(void **state)
{
    static const struct {
        const char *text, *line;
    } cases[] = {
        {"workers = { stop_timeout = 0.05; };", "\n  stop_timeout = 0.05;\n"},
        {"workers = { stop_timeout = 1.5; };", "\n  stop_timeout = 1.5;\n"},
        {"workers = { stop_timeout = 0.0004; };", "\n  stop_timeout = 0.001;\n"},
        {"workers = { graceful_timeout = 86400; };", "\n  graceful_timeout = 86400;\n"},
        {"keeper = { linger = 0; };", "\n  linger = 0;\n"},
        {"workers = { max_requests = 3000000000; };", "\n  max_requests = 3000000000;\n"},
        {"msg = { max_message = 0; };", "\n  max_message = 0;\n"},
        {"keeper = { parking = FALSE; };", "\n  parking = false;\n"},
        {"status = { metrics_token = true; };", "\n  metrics_token = true;\n"},
        {"http = { server_name = \"q\\\"b\\\\s\"; };", "\n  server_name = \"q\\\"b\\\\s\";\n"},
        {"http = { server_name = \"t\\tn\\nc\\x01\"; };",
         "\n  server_name = \"t\\tn\\nc\\x01\";\n"},
        {"http = { server_name = \"caf\xc3\xa9\"; };", "\n  server_name = \"caf\xc3\xa9\";\n"},
        {"exec = { stop_signal = \"sigusr1\"; };", "\n  stop_signal = \"USR1\";\n"},
        {"daemon = { log_level = \"warn\"; };", "\n  log_level = \"warn\";\n"},
        {"exec = { env = (\"A=1\", \"B\", \"C=x \\\"y\\\"\"); };",
         "\n  env = [\"A=1\", \"B\", \"C=x \\\"y\\\"\"];\n"},
        {"exec = { env = []; };", "\n  env = [];\n"},
        {"exec = { command = [\"/bin/sh\", \"-c\", \"echo \\\\\"]; };",
         "\n  command = [\"/bin/sh\", \"-c\", \"echo \\\\\"];\n"},
        {"exec = { directory = \"/\"; };", "\n  directory = \"/\";\n"},
        {"", "\n  # directory = \"\";"},
        {"", "\n  # command = [];"},
        {"listen = \"[::1]:0\";", "\nlisten = \"[::1]:0\";\n"},
        {"daemon = { pidfile = \"/run/x.pid\"; };", "\n  pidfile = \"/run/x.pid\";\n"},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = round_trip(f, cases[i].text);

        if (!strstr(body, cases[i].line))
            fail_msg("%s: no \"%s\" in:\n%s", cases[i].text, cases[i].line, body);
        free(body);
    }
}

/* Paths as loaded: relative ones resolved against the file's folder, and
 * error pages' files too, so the dump loads from anywhere. */
static void test_paths_resolved(void **state)
{
    struct fixture *f = *state;
    char real[PATH_MAX], want[2 * PATH_MAX + 64];
    char *body = round_trip(f, "http = { root = \"site\"; error_pages = [\"404 404.html\"]; };\n"
                               "daemon = { error_log = \"log/e.log\"; };\n");

    assert_non_null(realpath(f->dir, real));
    snprintf(want, sizeof want, "\n  root = \"%s/site\";\n", real);
    assert_non_null(strstr(body, want));
    snprintf(want, sizeof want, "\n  error_pages = [\"404 %s/404.html\"];\n", real);
    assert_non_null(strstr(body, want));
    snprintf(want, sizeof want, "\n  error_log = \"%s/log/e.log\";\n", real);
    assert_non_null(strstr(body, want));
    free(body);
}

/* The first line names the file, quoted as a string (a path with a
 * newline cannot end the comment), or the command line. */
static void test_header(void **state)
{
    struct fixture *f = *state;
    struct pf_config c;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);

    (void)f;
    pf_config_defaults(&c);
    snprintf(c.path, sizeof c.path, "/etc/a\nb.conf");
    assert_int_equal(pf_config_dump(mem, &c), 0);
    assert_int_equal(fclose(mem), 0);
    assert_int_equal(strncmp(text,
                             "# preforkd -T: the effective configuration of "
                             "\"/etc/a\\nb.conf\"\n# ",
                             strlen("# preforkd -T: the effective configuration of "
                                    "\"/etc/a\\nb.conf\"\n# ")),
                     0);
    free(text);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_every_setting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths_resolved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
