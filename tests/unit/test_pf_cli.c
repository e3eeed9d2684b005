/* Unit tests for pf_cli: every option alone and combined, long forms,
 * the -s names, and the lines that must be refused with a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pf_cli.h"

/* Parse a NULL-terminated list of words (argv[0] included). */
static void parse(struct pf_cli *cli, const char *const *words)
{
    char *argv[16];
    int argc = 0;

    while (words[argc] != NULL && argc < 15) {
        argv[argc] = (char *)words[argc];
        argc++;
    }
    argv[argc] = NULL;
    pf_cli_parse(cli, argc, argv);
}

#define PARSE(cli, ...) parse(cli, (const char *const[]){"preforkd", __VA_ARGS__, NULL})

static void test_defaults(void **state)
{
    struct pf_cli cli;

    (void)state;
    parse(&cli, (const char *const[]){"preforkd", NULL});
    assert_int_equal(cli.action, PF_CLI_RUN);
    assert_null(cli.config);
    assert_false(cli.daemon);
    assert_int_equal(cli.signo, 0);
}

static void test_config_and_modes(void **state)
{
    struct pf_cli cli;

    (void)state;
    PARSE(&cli, "-c", "a.conf", "-d");
    assert_int_equal(cli.action, PF_CLI_RUN);
    assert_string_equal(cli.config, "a.conf");
    assert_true(cli.daemon);
    PARSE(&cli, "--config=b.conf", "--daemon", "--foreground");
    assert_string_equal(cli.config, "b.conf");
    assert_false(cli.daemon); /* the last of -d and -f wins */
    PARSE(&cli, "-f", "-d");
    assert_true(cli.daemon);
    PARSE(&cli, "-cc.conf");
    assert_string_equal(cli.config, "c.conf");
}

static void test_test_help_version(void **state)
{
    struct pf_cli cli;

    (void)state;
    PARSE(&cli, "-t", "-c", "x.conf");
    assert_int_equal(cli.action, PF_CLI_TEST);
    assert_string_equal(cli.config, "x.conf");
    PARSE(&cli, "--test");
    assert_int_equal(cli.action, PF_CLI_TEST);
    PARSE(&cli, "-T", "-c", "x.conf");
    assert_int_equal(cli.action, PF_CLI_DUMP);
    assert_string_equal(cli.config, "x.conf");
    PARSE(&cli, "--test-print");
    assert_int_equal(cli.action, PF_CLI_DUMP);
    PARSE(&cli, "-t", "-T"); /* -T is -t and more */
    assert_int_equal(cli.action, PF_CLI_DUMP);
    PARSE(&cli, "-T", "-t");
    assert_int_equal(cli.action, PF_CLI_DUMP);
    PARSE(&cli, "-T", "--", "./worker");
    assert_int_equal(cli.action, PF_CLI_DUMP);
    PARSE(&cli, "--help", "-T");
    assert_int_equal(cli.action, PF_CLI_HELP);
    PARSE(&cli, "-V");
    assert_int_equal(cli.action, PF_CLI_VERSION);
    PARSE(&cli, "--version");
    assert_int_equal(cli.action, PF_CLI_VERSION);
    PARSE(&cli, "-v"); /* the spelling before, kept */
    assert_int_equal(cli.action, PF_CLI_VERSION);
    PARSE(&cli, "--help", "-t");
    assert_int_equal(cli.action, PF_CLI_HELP);
    PARSE(&cli, "-h", "--bogus"); /* help wins over a bad option */
    assert_int_equal(cli.action, PF_CLI_HELP);
}

/* Every -s name, short and long, and the signal it stands for. */
static void test_signals(void **state)
{
    static const struct {
        const char *name;
        int signo;
    } want[] = {{"stop", SIGTERM},
                {"quit", SIGQUIT},
                {"reload", SIGHUP},
                {"reopen", SIGUSR1},
                {"upgrade", SIGUSR2}};
    struct pf_cli cli;
    char opt[32];

    (void)state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        PARSE(&cli, "-s", want[i].name);
        assert_int_equal(cli.action, PF_CLI_SIGNAL);
        assert_int_equal(cli.signo, want[i].signo);
        assert_string_equal(cli.signame, want[i].name);
        snprintf(opt, sizeof(opt), "--signal=%s", want[i].name);
        PARSE(&cli, "-c", "y.conf", opt);
        assert_int_equal(cli.action, PF_CLI_SIGNAL);
        assert_int_equal(cli.signo, want[i].signo);
        assert_string_equal(cli.config, "y.conf");
        assert_int_equal(pf_cli_signal(want[i].name), want[i].signo);
    }
    assert_int_equal(pf_cli_signal("STOP"), 0);
    assert_int_equal(pf_cli_signal("kill"), 0);
    assert_int_equal(pf_cli_signal(""), 0);
}

/* Refused lines: the action is USAGE and the message names the problem. */
static void test_usage_errors(void **state)
{
    static const struct {
        const char *const words[5];
        const char *message;
    } cases[] = {
        {{"-s", "restart"},
         "-s: unknown signal \"restart\" (expected stop|quit|reload|reopen|"
         "upgrade)"},
        {{"-x"}, "unknown option -x"},
        {{"-xy"}, "unknown option -x"}, /* the first one */
        {{"--colour"}, "unknown option --colour"},
        {{"-c"}, "-c: a value is needed"},
        {{"--signal"}, "--signal: a value is needed"},
        {{"--version=2"}, "--version: takes no value"},
        {{"-c", "a.conf", "b.conf"}, "-c and a program: give one or the other"},
        {{"-s", "reload", "prog"}, "-s and a program: -s signals a master started with -c"},
        {{"-w", "2"}, "-l, -w, -u and --notify need a program to run"},
        {{"--notify", "-c", "a.conf"}, "-l, -w, -u and --notify need a program to run"},
        {{"-t", "-s", "reload"}, "-t and -s cannot be combined"},
        {{"-T", "-s", "reload"}, "-T and -s cannot be combined"},
        {{"-t", "-T", "-s", "stop"}, "-T and -s cannot be combined"},
    };
    struct pf_cli cli;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *w[8] = {"preforkd"};

        for (int j = 0; j < 5 && cases[i].words[j]; j++)
            w[j + 1] = cases[i].words[j];
        parse(&cli, w);
        assert_int_equal(cli.action, PF_CLI_USAGE);
        assert_string_equal(cli.message, cases[i].message);
    }
}

/* The program form: options up to the program's name, everything after
 * it the program's own (its -v is not preforkd's). */
static void test_program_form(void **state)
{
    struct pf_cli cli;

    (void)state;
    PARSE(&cli, "-w", "3", "-l", "127.0.0.1:9000", "--notify", "-u", "www", "python3", "app.py",
          "-v");
    assert_int_equal(cli.action, PF_CLI_RUN);
    assert_int_equal(cli.nprogram, 3);
    assert_string_equal(cli.program[0], "python3");
    assert_string_equal(cli.program[2], "-v");
    assert_string_equal(cli.workers, "3");
    assert_string_equal(cli.listen, "127.0.0.1:9000");
    assert_string_equal(cli.user, "www");
    assert_true(cli.notify);
    PARSE(&cli, "-t", "--", "./worker", "--flag");
    assert_int_equal(cli.action, PF_CLI_TEST);
    assert_int_equal(cli.nprogram, 2);
    assert_string_equal(cli.program[1], "--flag");
    PARSE(&cli, "-c", "a.conf");
    assert_int_equal(cli.nprogram, 0);
}

/* Parsing twice in one process starts afresh (getopt's state reset). */
static void test_parse_twice(void **state)
{
    struct pf_cli cli;

    (void)state;
    PARSE(&cli, "-c", "one.conf", "-x");
    assert_int_equal(cli.action, PF_CLI_USAGE);
    PARSE(&cli, "-c", "two.conf");
    assert_int_equal(cli.action, PF_CLI_RUN);
    assert_string_equal(cli.config, "two.conf");
}

/* The help text names every option and the exit statuses. */
static void test_usage_text(void **state)
{
    char buf[4096] = "";
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

    (void)state;
    assert_non_null(f);
    pf_cli_usage(f, "/etc/preforkd/preforkd.conf");
    fclose(f);
    for (const char *const *o =
             (const char *const[]){"--config", "--foreground", "--daemon", "--test", "--signal",
                                   "-V, --version", "-h, --help", "/etc/preforkd/preforkd.conf",
                                   "Exit status", NULL};
         *o; o++)
        if (strstr(buf, *o) == NULL)
            fail_msg("help text lacks %s", *o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),          cmocka_unit_test(test_config_and_modes),
        cmocka_unit_test(test_test_help_version), cmocka_unit_test(test_signals),
        cmocka_unit_test(test_usage_errors),      cmocka_unit_test(test_program_form),
        cmocka_unit_test(test_parse_twice),       cmocka_unit_test(test_usage_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
