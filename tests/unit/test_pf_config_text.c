/* Unit tests for pf_config_text: which lines are @include lines, in which
 * lexical state each line ends (a table), and the map from the expanded
 * text's lines back to their files. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pf_config_text.h"

#define CODE PF_CONFIG_LEX_CODE
#define STR PF_CONFIG_LEX_STRING
#define COM PF_CONFIG_LEX_COMMENT

/* One line scanned from a state: what it is (1 include, 0 not, -1 a
 * malformed include), the name (or the reason), where the rest starts,
 * and the state at its end. */
static const struct {
    enum pf_config_lex from;
    const char *line;
    int rc;
    const char *name;
    size_t rest;
    enum pf_config_lex to;
} scan_cases[] = {
    {CODE, "@include \"a.conf\"", 1, "a.conf", 17, CODE},
    {CODE, "  \t@include\t\"conf.d/*.conf\"  # all", 1, "conf.d/*.conf", 27, CODE},
    {CODE, "@include \"a\\\"b\\\\c\"", 1, "a\"b\\c", 18, CODE},
    {CODE, "@include \"a\" /* open", 1, "a", 12, COM},
    {CODE, "@include \"a\" x = \"open", 1, "a", 12, STR},
    {CODE, "@include \"open", -1, "no closing quote on the line", 0, CODE},
    {CODE, "@include \"\"", -1, "empty file name", 0, CODE},
    {CODE, "@include\"a\"", 0, "", 0, CODE},   /* no blank: garbage to libconfig */
    {CODE, "@includes \"a\"", 0, "", 0, CODE}, /* "s" then a string */
    {CODE, "x = 1; @include \"a\"", 0, "", 0, CODE},
    {CODE, "# @include \"a\"", 0, "", 0, CODE},
    {CODE, "// x = \"", 0, "", 0, CODE},
    {CODE, "x = \"a # b\";", 0, "", 0, CODE},
    {CODE, "x = \"a \\\" /* b\";", 0, "", 0, CODE},
    {CODE, "x = \"open", 0, "", 0, STR},
    {CODE, "x = 1; /* a */ y = 2; /* b", 0, "", 0, COM},
    {CODE, "a/b = 1;", 0, "", 0, CODE},
    {STR, "@include \"a\"", 0, "", 0, STR}, /* inside a string: text */
    {STR, "end\"; /* c */", 0, "", 0, CODE},
    {STR, "a \\\" b", 0, "", 0, STR},
    {COM, "@include \"a\"", 0, "", 0, COM}, /* inside a comment: text */
    {COM, "end */ x = \"", 0, "", 0, STR},
    {COM, "* / still */", 0, "", 0, CODE},
};

static void test_scan(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof scan_cases / sizeof scan_cases[0]; i++) {
        enum pf_config_lex lex = scan_cases[i].from;
        char name[64] = "";
        size_t rest = 0;
        const char *line = scan_cases[i].line;
        int rc = pf_config_text_scan(line, strlen(line), &lex, name, sizeof name, &rest);

        if (rc != scan_cases[i].rc || (rc != 0 && strcmp(name, scan_cases[i].name) != 0) ||
            (rc == 1 && rest != scan_cases[i].rest) || (rc >= 0 && lex != scan_cases[i].to))
            fail_msg("case %zu: %s: rc %d name \"%s\" rest %zu state %d", i, line, rc, name, rest,
                     (int)lex);
    }
}

/* A NUL byte in a name is refused (found by fuzz_config_text: the name
 * was cut at it), and so is a name longer than the buffer. */
static void test_scan_nul_in_name(void **state)
{
    enum pf_config_lex lex = CODE;
    char name[32];
    size_t rest;

    (void)state;
    assert_int_equal(pf_config_text_scan("@include \"a\0b\"", 14, &lex, name, sizeof name, &rest),
                     -1);
    assert_string_equal(name, "a NUL byte in the file name");
    assert_int_equal(pf_config_text_scan("@include \"\0\"", 12, &lex, name, sizeof name, &rest),
                     -1);
}

/* A name longer than the buffer is refused, not cut. */
static void test_scan_long_name(void **state)
{
    enum pf_config_lex lex = CODE;
    char name[8];
    size_t rest;

    (void)state;
    assert_int_equal(pf_config_text_scan("@include \"123456789\"", 20, &lex, name, sizeof name,
                                         &rest),
                     -1);
    assert_string_equal(name, "file na"); /* "file name too long", cut to the buffer */
}

/* The expanded text and its map: an included file's lines in place of
 * the @include, the rest of that line after them. */
static void test_read_map(void **state)
{
    char dir[] = "/tmp/pf_config_text_XXXXXX", main_conf[PATH_MAX], inc[PATH_MAX],
         want[2 * PATH_MAX], line[64], err[256];
    struct pf_config_text t;
    unsigned at;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(main_conf, sizeof main_conf, "%s/main.conf", dir);
    snprintf(inc, sizeof inc, "%s/part.conf", dir);
    f = fopen(main_conf, "w");
    assert_non_null(f);
    fputs("a = 1;\n@include \"part.conf\" # c\nb = 2;", f); /* no final newline */
    fclose(f);
    f = fopen(inc, "w");
    assert_non_null(f);
    fputs("p = 1;\nq = 2;\n", f);
    fclose(f);

    assert_int_equal(pf_config_text_read(&t, main_conf, dir, err, sizeof err), 0);
    assert_string_equal(t.text, "a = 1;\np = 1;\nq = 2;\n # c\nb = 2;\n");
    assert_int_equal(t.nlines, 5);
    static const struct {
        unsigned n;
        int main_file;
        unsigned line;
    } map[] = {{1, 1, 1}, {2, 0, 1}, {3, 0, 2}, {4, 1, 2}, {5, 1, 3}, {9, 1, 3}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const char *file = pf_config_text_where(&t, map[i].n, &at);

        assert_string_equal(file, map[i].main_file ? main_conf : inc);
        assert_int_equal(at, map[i].line);
    }
    assert_string_equal(pf_config_text_line(&t, 3, line, sizeof line), "q = 2;");
    assert_string_equal(pf_config_text_line(&t, 6, line, sizeof line), "");
    pf_config_text_free(&t);

    /* a NUL byte is refused, with its line */
    f = fopen(inc, "w");
    assert_non_null(f);
    fwrite("p = 1;\nq\0 = 2;\n", 1, 16, f);
    fclose(f);
    assert_int_equal(pf_config_text_read(&t, main_conf, dir, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: a NUL byte (is this a text file?)", inc);
    assert_string_equal(err, want);
    pf_config_text_free(&t);

    unlink(inc);
    unlink(main_conf);
    rmdir(dir);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_scan_long_name),
        cmocka_unit_test(test_scan_nul_in_name),
        cmocka_unit_test(test_read_map),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
