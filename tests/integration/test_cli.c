/* Integration: the command line, configuration errors and start-up. */
#include <errno.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_version.h"

/* A config whose line 3 holds an out-of-range workers.start. */
static const char bad_value_body[] = "listen = \"127.0.0.1:0\";\n"
                                     "protocol = \"echo\";\n"
                                     "workers = { start = 0; };\n";

/* A config whose line 4 holds a setting preforkd does not know. */
static const char unknown_setting_body[] = "listen = \"127.0.0.1:0\";\n"
                                           "protocol = \"echo\";\n"
                                           "workers = { start = 1; };\n"
                                           "colour = \"blue\";\n";

/* Write the harness's default test config as NAME; path gets its path. */
static void write_default_config(struct pf_server *s, const char *name, char *path)
{
    struct pf_h_config c;
    char body[4096];

    pf_h_config_defaults(&c);
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, name, body, path), 0);
}

/* Assert a failed run: exit 1, nothing on stdout, exactly one line on
 * stderr, holding every needle given (NULL-terminated). */
static void assert_one_error_line(const struct pf_h_output *o, ...)
{
    va_list ap;

    assert_true(pf_h_exited_with(o->status, 1));
    assert_string_equal(o->out, "");
    assert_int_equal(pf_h_count_lines(o->err), 1);
    va_start(ap, o);
    for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;) {
        if (strstr(o->err, needle) == NULL)
            fail_msg("stderr \"%s\" lacks \"%s\"", o->err, needle);
    }
    va_end(ap);
}

/* The three programs spell version and help alike (pf_opt.h): -V and
 * --version print "PROGRAM VERSION", -h and --help the usage, on stdout,
 * exit 0; an unknown option is named in one clean line and a hint to
 * --help on stderr, exit 2. preforkd and preforkctl still take -v, their
 * spelling before. */
PF_H_TEST(test_version_help_spelling)
{
    static const struct {
        const char *name;
        const char *path;
    } progs[] = {
        {"preforkd", PF_TEST_BINARY},
        {"preforkctl", PF_CTL_BINARY},
        {"preforkbench", PF_BENCH_BINARY},
    };
    static const char *const version[] = {"-V", "--version"}, *const help[] = {"-h", "--help"};
    static const char *const unknown[][2] = {{"-X", "-X"}, {"--frobnicate", "--frobnicate"}};
    struct pf_h_output o;
    char want[256];

    for (size_t p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
        for (size_t i = 0; i < 2; i++) {
            assert_int_equal(pf_h_run_cmd(s, &o,
                                          (char *const[]){(char *)progs[p].path, (char *)version[i],
                                                          NULL}),
                             0);
            snprintf(want, sizeof(want), "%s %s\n", progs[p].name, PF_VERSION);
            assert_true(pf_h_exited_with(o.status, 0));
            assert_string_equal(o.out, want);
            assert_string_equal(o.err, "");
            pf_h_output_free(&o);
            assert_int_equal(
                pf_h_run_cmd(s, &o, (char *const[]){(char *)progs[p].path, (char *)help[i], NULL}),
                0);
            snprintf(want, sizeof(want), "Usage: %s ", progs[p].name);
            assert_true(pf_h_exited_with(o.status, 0));
            assert_true(strncmp(o.out, want, strlen(want)) == 0);
            assert_non_null(strstr(o.out, "  -V, --version "));
            assert_non_null(strstr(o.out, "  -h, --help "));
            assert_string_equal(o.err, "");
            pf_h_output_free(&o);
            assert_int_equal(pf_h_run_cmd(s, &o,
                                          (char *const[]){(char *)progs[p].path,
                                                          (char *)unknown[i][0], NULL}),
                             0);
            snprintf(want, sizeof(want),
                     "%s: unknown option %s\nTry '%s --help' for more information.\n",
                     progs[p].name, unknown[i][1], progs[p].name);
            assert_true(pf_h_exited_with(o.status, 2));
            assert_string_equal(o.out, "");
            assert_string_equal(o.err, want);
            pf_h_output_free(&o);
        }
    }
    for (size_t p = 0; p < 2; p++) { /* -v, kept */
        assert_int_equal(pf_h_run_cmd(s, &o, (char *const[]){(char *)progs[p].path, "-v", NULL}),
                         0);
        snprintf(want, sizeof(want), "%s %s\n", progs[p].name, PF_VERSION);
        assert_string_equal(o.out, want);
        pf_h_output_free(&o);
    }
}

PF_H_TEST(test_unknown_option)
{
    struct pf_h_output o;

    assert_int_equal(pf_h_run(s, &o, "-c", s->config_path, "stray", (char *)NULL), 0);
    assert_true(pf_h_exited_with(o.status, 2));
    assert_string_equal(o.err, "preforkd: -c and a program: give one or the other\n"
                               "Try 'preforkd --help' for more information.\n");
    pf_h_output_free(&o);
}

/* Write the default test config as name, run -t -c arg: it must pass and
 * name the file by its absolute path on stdout. */
static void assert_syntax_ok(struct pf_server *s, const char *name, const char *arg)
{
    struct pf_h_output o;
    char path[PATH_MAX], expect[PATH_MAX + 64], *abs;

    write_default_config(s, name, path);
    abs = realpath(path, NULL);
    assert_non_null(abs);
    snprintf(expect, sizeof(expect), "preforkd: %s: syntax ok\n", abs);
    free(abs);
    assert_int_equal(pf_h_run(s, &o, "-t", "-c", arg, (char *)NULL), 0);
    assert_true(pf_h_exited_with(o.status, 0));
    assert_string_equal(o.out, expect);
    assert_string_equal(o.err, "");
    pf_h_output_free(&o);
}

PF_H_TEST(test_check_good_config)
{
    char path[PATH_MAX];

    assert_int_equal(pf_h_path(path, s, "good.conf"), 0);
    assert_syntax_ok(s, "good.conf", path);
}

/* A relative -c path is reported absolute (the run's cwd is s->dir). */
PF_H_TEST(test_check_relative_path)
{
    assert_syntax_ok(s, "relative.conf", "relative.conf");
}

PF_H_TEST(test_check_bad_config)
{
    struct pf_h_output o;
    char path[PATH_MAX], where[PATH_MAX + 8];

    assert_int_equal(pf_h_write_file(s, "bad.conf", bad_value_body, path), 0);
    snprintf(where, sizeof(where), "%s:3:", path);
    assert_int_equal(pf_h_run(s, &o, "-t", "-c", path, (char *)NULL), 0);
    assert_one_error_line(&o, where, "workers.start", (char *)NULL);
    pf_h_output_free(&o);
}

PF_H_TEST(test_missing_config)
{
    struct pf_h_output o;
    char path[PATH_MAX];

    assert_int_equal(pf_h_path(path, s, "does-not-exist.conf"), 0);
    assert_int_equal(pf_h_run(s, &o, "-t", "-c", path, (char *)NULL), 0);
    assert_one_error_line(&o, path, (char *)NULL);
    pf_h_output_free(&o);

    assert_int_equal(pf_h_run(s, &o, "-c", path, (char *)NULL), 0);
    assert_one_error_line(&o, path, (char *)NULL);
    pf_h_output_free(&o);
}

/* Not only -t: a real start must refuse an unknown setting too. */
PF_H_TEST(test_unknown_setting)
{
    struct pf_h_output o;
    char path[PATH_MAX], where[PATH_MAX + 8];

    assert_int_equal(pf_h_write_file(s, "unknown.conf", unknown_setting_body, path), 0);
    snprintf(where, sizeof(where), "%s:4:", path);
    assert_int_equal(pf_h_run(s, &o, "-c", path, (char *)NULL), 0);
    assert_one_error_line(&o, where, "colour", (char *)NULL);
    pf_h_output_free(&o);
}

/* A listening socket on an ephemeral loopback port; *port gets the port. */
static int occupy_port(unsigned *port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

PF_H_TEST(test_address_in_use)
{
    struct pf_h_config c;
    struct pf_h_output o;
    char listen[64], body[4096], path[PATH_MAX], cannot[96];
    unsigned port;
    int busy = occupy_port(&port);

    snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
    snprintf(cannot, sizeof(cannot), "cannot listen on 127.0.0.1:%u", port);
    pf_h_config_defaults(&c);
    c.listen = listen;
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "busy.conf", body, path), 0);
    assert_int_equal(pf_h_run(s, &o, "-c", path, (char *)NULL), 0);
    close(busy);
    assert_one_error_line(&o, cannot, "Address already in use", (char *)NULL);
    pf_h_output_free(&o);
}

/* True if some line of text matches the extended regular expression re. */
static bool has_line_matching(const char *text, const char *re)
{
    regex_t rx;
    bool match;

    assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB), 0);
    match = regexec(&rx, text, 0, NULL, 0) == 0;
    regfree(&rx);
    return match;
}

/* Port 0 in the config: the log tells the real port, in the documented
 * line format, and the server answers there. */
PF_H_TEST(test_start_reports_port)
{
    struct pf_h_config c;
    char re[256], *log;
    int fd;

    pf_h_config_defaults(&c);
    assert_int_equal(pf_h_start_config(s, &c), 0);
    assert_true(s->port > 0);
    snprintf(re, sizeof(re),
             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}[+-][0-9]{4} "
             "\\[notice\\] master\\[%ld\\]: listening on 127\\.0\\.0\\.1:%u "
             "\\(protocol echo, backlog [0-9]+\\)$",
             (long)s->pid, s->port);
    log = pf_h_log_read(s);
    assert_non_null(log);
    if (!has_line_matching(log, re))
        fail_msg("no line of the log matches %s", re);
    free(log);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_echo_roundtrip(fd, "hello\n"), 0);
    close(fd);
}

PF_H_TEST(test_shipped_config)
{
    struct pf_h_output o;

    assert_int_equal(pf_h_run(s, &o, "-t", "-c", PF_TEST_SOURCE_DIR "/etc/preforkd.conf",
                              (char *)NULL),
                     0);
    if (!pf_h_exited_with(o.status, 0))
        fail_msg("etc/preforkd.conf rejected: %s", o.err);
    assert_non_null(strstr(o.out, "syntax ok"));
    pf_h_output_free(&o);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_version_help_spelling), PF_H_CASE(test_unknown_option),
        PF_H_CASE(test_check_good_config),     PF_H_CASE(test_check_bad_config),
        PF_H_CASE(test_missing_config),        PF_H_CASE(test_unknown_setting),
        PF_H_CASE(test_address_in_use),        PF_H_CASE(test_start_reports_port),
        PF_H_CASE(test_shipped_config),        PF_H_CASE(test_check_relative_path),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
