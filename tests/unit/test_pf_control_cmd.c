/* Unit tests for pf_control_cmd: command lines parsed, tokens compared. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_control_cmd.h"

/* A literal with its exact length, so cases may hold NUL bytes. */
#define L(s) s, sizeof(s) - 1

/* Parse line[0..len) from a heap copy of exactly len bytes with no NUL
 * after it, so a read past len is an AddressSanitizer error. */
static int parse_exact(const char *line, size_t len, struct pf_control_cmd *cmd, char *err,
                       size_t errlen)
{
    char *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, line, len);
    rc = pf_control_cmd_parse(copy, len, cmd, err, errlen);
    free(copy);
    return rc;
}

/* A line that must parse, and what it must give. */
struct valid_case {
    const char *line;
    size_t len;
    enum pf_control_cmd_verb verb;
    bool relative;
    long value;
    pid_t pid;
    const char *token; /* auth */
    const char *path;  /* GET */
};

static const struct valid_case valid_cases[] = {
    {L("auth s3cret"), PF_CONTROL_CMD_AUTH, false, 0, 0, "s3cret", ""},
    {L("auth !#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"), PF_CONTROL_CMD_AUTH, false, 0, 0,
     "!#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", ""},
    {L("status"), PF_CONTROL_CMD_STATUS, false, 0, 0, "", ""},
    {L("workers"), PF_CONTROL_CMD_WORKERS, false, 0, 0, "", ""},
    {L("events"), PF_CONTROL_CMD_EVENTS, false, 0, 0, "", ""},
    {L("config"), PF_CONTROL_CMD_CONFIG, false, 0, 0, "", ""},
    {L("reload"), PF_CONTROL_CMD_RELOAD, false, 0, 0, "", ""},
    {L("reopen"), PF_CONTROL_CMD_REOPEN, false, 0, 0, "", ""},
    {L("help"), PF_CONTROL_CMD_HELP, false, 0, 0, "", ""},
    {L("stop"), PF_CONTROL_CMD_STOP, false, 0, 0, "", ""},
    {L("stop fast"), PF_CONTROL_CMD_STOP_FAST, false, 0, 0, "", ""},
    {L("scale 1"), PF_CONTROL_CMD_SCALE, false, 1, 0, "", ""},
    {L("scale 8"), PF_CONTROL_CMD_SCALE, false, 8, 0, "", ""},
    {L("scale 4096"), PF_CONTROL_CMD_SCALE, false, 4096, 0, "", ""},
    {L("scale +3"), PF_CONTROL_CMD_SCALE, true, 3, 0, "", ""},
    {L("scale -2"), PF_CONTROL_CMD_SCALE, true, -2, 0, "", ""},
    {L("scale -4096"), PF_CONTROL_CMD_SCALE, true, -4096, 0, "", ""},
    {L("kill 1"), PF_CONTROL_CMD_KILL, false, 0, 1, "", ""},
    {L("upgrade"), PF_CONTROL_CMD_UPGRADE, false, 0, 0, "", ""},
    {L("kill 12345"), PF_CONTROL_CMD_KILL, false, 0, 12345, "", ""},
    {L("kill 2147483647"), PF_CONTROL_CMD_KILL, false, 0, 2147483647, "", ""},
    {L("GET /metrics HTTP/1.1"), PF_CONTROL_CMD_HTTP_GET, false, 0, 0, "", "/metrics"},
    {L("GET /metrics HTTP/1.0\r"), PF_CONTROL_CMD_HTTP_GET, false, 0, 0, "", "/metrics"},
    {L("GET /?a=b&c HTTP/1.1"), PF_CONTROL_CMD_HTTP_GET, false, 0, 0, "", "/?a=b&c"},
    {L("GET / HTTP/1.9"), PF_CONTROL_CMD_HTTP_GET, false, 0, 0, "", "/"},
    /* whitespace variants and a trailing \r */
    {L("status\r"), PF_CONTROL_CMD_STATUS, false, 0, 0, "", ""},
    {L("  status"), PF_CONTROL_CMD_STATUS, false, 0, 0, "", ""},
    {L("status  "), PF_CONTROL_CMD_STATUS, false, 0, 0, "", ""},
    {L("\tstatus\t\r"), PF_CONTROL_CMD_STATUS, false, 0, 0, "", ""},
    {L("stop \t fast"), PF_CONTROL_CMD_STOP_FAST, false, 0, 0, "", ""},
    {L(" scale\t+7 \r"), PF_CONTROL_CMD_SCALE, true, 7, 0, "", ""},
    {L("kill   99\t"), PF_CONTROL_CMD_KILL, false, 0, 99, "", ""},
    {L("\tauth  tok\t\r"), PF_CONTROL_CMD_AUTH, false, 0, 0, "tok", ""},
};

/* Every valid line gives its verb and arguments, and nothing else. */
static void test_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const struct valid_case *c = &valid_cases[i];
        struct pf_control_cmd cmd;
        char err[256] = "";

        if (parse_exact(c->line, c->len, &cmd, err, sizeof(err)) != 0)
            fail_msg("case %zu \"%s\": refused: %s", i, c->line, err);
        if (cmd.verb != c->verb || cmd.relative != c->relative || cmd.value != c->value ||
            cmd.pid != c->pid || strcmp(cmd.token, c->token) != 0 || strcmp(cmd.path, c->path) != 0)
            fail_msg("case %zu \"%s\": verb %d relative %d value %ld pid %d token \"%s\" "
                     "path \"%s\"",
                     i, c->line, (int)cmd.verb, cmd.relative, cmd.value, (int)cmd.pid, cmd.token,
                     cmd.path);
    }
}

/* A line that must be refused, and a part of the reason it must give. */
struct invalid_case {
    const char *line;
    size_t len;
    const char *error;
};

static const struct invalid_case invalid_cases[] = {
    {L(""), "empty command"},
    {L("   "), "empty command"},
    {L("\r"), "empty command"},
    {L(" \t \r"), "empty command"},
    {L("foo"), "unknown command \"foo\" (try help)"},
    {L("STATUS"), "unknown command \"STATUS\""},
    {L("Status"), "unknown command \"Status\""},
    {L("statusx"), "unknown command \"statusx\""},
    {L("status\r\r"), "unknown command \"status?\""},
    {L("\x01"), "unknown command \"?\""},
    {L("get /metrics HTTP/1.1"), "unknown command \"get\""},
    {L("GET"), "unknown command \"GET\""},
    {L("status now"), "status: takes no argument"},
    {L("workers 1"), "workers: takes no argument"},
    {L("events 10"), "events: takes no argument"},
    {L("config all"), "config: takes no argument"},
    {L("reload now"), "reload: takes no argument"},
    {L("reopen logs"), "reopen: takes no argument"},
    {L("help scale"), "help: takes no argument"},
    {L("stop now"), "stop: expected nothing or \"fast\""},
    {L("stop FAST"), "stop: expected nothing or \"fast\""},
    {L("stop fast now"), "stop: takes at most one argument"},
    {L("scale"), "scale: expected N, +N or -N"},
    {L("scale 0"), "scale: N must be between 1 and 4096"},
    {L("scale +0"), "scale: N must be between 1 and 4096"},
    {L("scale -0"), "scale: N must be between 1 and 4096"},
    {L("scale 4097"), "scale: N must be between 1 and 4096"},
    {L("scale 99999"), "scale: N must be between 1 and 4096"},
    {L("scale -99999999999999999999"), "scale: N must be between 1 and 4096"},
    {L("scale abc"), "scale: expected N, +N or -N"},
    {L("scale 1x"), "scale: expected N, +N or -N"},
    {L("scale 01"), "scale: expected N, +N or -N"},
    {L("scale +"), "scale: expected N, +N or -N"},
    {L("scale ++1"), "scale: expected N, +N or -N"},
    {L("scale 1.5"), "scale: expected N, +N or -N"},
    {L("scale 1 2"), "scale: takes one argument"},
    {L("kill"), "kill: expected a PID"},
    {L("kill 0"), "kill: PID must be between 1 and 2147483647"},
    {L("kill 2147483648"), "kill: PID must be between 1 and 2147483647"},
    {L("kill 99999999999"), "kill: PID must be between 1 and 2147483647"},
    {L("kill 18446744073709551621"), "kill: PID must be between 1 and 2147483647"}, /* 2^64+5 */
    {L("kill -5"), "kill: PID must be a decimal number"},
    {L("kill +5"), "kill: PID must be a decimal number"},
    {L("kill abc"), "kill: PID must be a decimal number"},
    {L("kill 007"), "kill: PID must be a decimal number"},
    {L("kill 12 13"), "kill: takes one argument"},
    {L("auth"), "auth: expected a token"},
    {L("auth  \t"), "auth: expected a token"},
    {L("auth my token"), "auth: token must not contain spaces"},
    {L("auth tok\x01"
       "en"),
     "auth: token must be printable ASCII"},
    {L("auth t\xc3\xb6k"), "auth: token must be printable ASCII"},
    {L("auth tok\x7f"), "auth: token must be printable ASCII"},
    {L("status\0"), "NUL byte"},
    {L("auth ab\0cd"), "NUL byte"},
    {L("\0status"), "NUL byte"},
    {L("GET "), "bad HTTP request line"},
    {L("GET  HTTP/1.1"), "bad HTTP request line"},
    {L("GET HTTP/1.1"), "bad HTTP request line"},
    {L("GET /metrics"), "bad HTTP request line"},
    {L("GET /metrics "), "bad HTTP request line"},
    {L("GET metrics HTTP/1.1"), "bad HTTP request line"},
    {L("GET /metrics HTTP/2.0"), "bad HTTP request line"},
    {L("GET /metrics HTTP/1."), "bad HTTP request line"},
    {L("GET /metrics HTTP/1.x"), "bad HTTP request line"},
    {L("GET /metrics HTTP/1.1 x"), "bad HTTP request line"},
    {L("GET /metrics  HTTP/1.1"), "bad HTTP request line"},
    {L("GET /a\tb HTTP/1.1"), "bad HTTP request line"},
};

/* Every invalid line is refused with its reason, which stays one short
 * line of text. */
static void test_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        const struct invalid_case *c = &invalid_cases[i];
        struct pf_control_cmd cmd;
        char err[256] = "";

        if (parse_exact(c->line, c->len, &cmd, err, sizeof(err)) != -1)
            fail_msg("case %zu \"%s\": accepted as verb %d", i, c->line, (int)cmd.verb);
        if (!strstr(err, c->error))
            fail_msg("case %zu \"%s\": error \"%s\", expected \"%s\"", i, c->line, err, c->error);
        if (strlen(err) > 80 || strchr(err, '\n'))
            fail_msg("case %zu: error not one short line: \"%s\"", i, err);
    }
}

/* Parse a line made of prefix and n copies of fill; 0 or -1, err filled. */
static int parse_built(const char *prefix, char fill, size_t n, const char *suffix,
                       struct pf_control_cmd *cmd, char *err, size_t errlen)
{
    size_t plen = strlen(prefix), slen = strlen(suffix);
    char *line = malloc(plen + n + slen);
    int rc;

    assert_non_null(line);
    memcpy(line, prefix, plen);
    memset(line + plen, fill, n);
    memcpy(line + plen + n, suffix, slen);
    rc = parse_exact(line, plen + n + slen, cmd, err, errlen);
    free(line);
    return rc;
}

/* A token of PF_TOKEN_MAX bytes fits; one more does not. */
static void test_auth_token_length(void **state)
{
    struct pf_control_cmd cmd;
    char err[256];

    (void)state;
    assert_int_equal(parse_built("auth ", 'k', PF_TOKEN_MAX, "", &cmd, err, sizeof(err)), 0);
    assert_int_equal(strlen(cmd.token), PF_TOKEN_MAX);
    assert_int_equal(cmd.token[PF_TOKEN_MAX - 1], 'k');
    assert_int_equal(parse_built("auth ", 'k', PF_TOKEN_MAX + 1, "", &cmd, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "auth: token longer than 128 bytes"));
}

/* A target of sizeof(path) - 1 bytes fits; one more does not. */
static void test_get_path_length(void **state)
{
    struct pf_control_cmd cmd;
    char err[256];
    size_t max = sizeof(cmd.path) - 1;

    (void)state;
    assert_int_equal(parse_built("GET /", 'p', max - 1, " HTTP/1.1", &cmd, err, sizeof(err)), 0);
    assert_int_equal(strlen(cmd.path), max);
    assert_int_equal(parse_built("GET /", 'p', max, " HTTP/1.1", &cmd, err, sizeof(err)), -1);
    assert_string_equal(err, "bad HTTP request line");
}

/* A line of PF_CONTROL_CMD_LINE_MAX bytes or more (without "\n") is refused. */
static void test_line_too_long(void **state)
{
    struct pf_control_cmd cmd;
    char err[256];

    (void)state;
    assert_int_equal(parse_built("status", ' ', PF_CONTROL_CMD_LINE_MAX - 1 - 6, "", &cmd, err,
                                 sizeof(err)),
                     0);
    assert_int_equal(cmd.verb, PF_CONTROL_CMD_STATUS);
    assert_int_equal(parse_built("status", ' ', PF_CONTROL_CMD_LINE_MAX - 6, "", &cmd, err,
                                 sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "longer than"));
}

/* Only line[0..len) counts: what follows in memory is not read. */
static void test_len_bounds_the_line(void **state)
{
    struct pf_control_cmd cmd;
    char err[256];

    (void)state;
    assert_int_equal(pf_control_cmd_parse("status now", 6, &cmd, err, sizeof(err)), 0);
    assert_int_equal(cmd.verb, PF_CONTROL_CMD_STATUS);
    assert_int_equal(pf_control_cmd_parse("scale 12", 7, &cmd, err, sizeof(err)), 0);
    assert_int_equal(cmd.value, 1);
    assert_int_equal(pf_control_cmd_parse("stop fast", 5, &cmd, err, sizeof(err)), 0);
    assert_int_equal(cmd.verb, PF_CONTROL_CMD_STOP);
}

/* A small error buffer gets a truncated, terminated reason; none at all
 * is allowed too. */
static void test_small_error_buffer(void **state)
{
    struct pf_control_cmd cmd;
    char err[8];

    (void)state;
    memset(err, 'x', sizeof(err));
    assert_int_equal(pf_control_cmd_parse(L("bogus"), &cmd, err, sizeof(err)), -1);
    assert_int_equal(strlen(err), sizeof(err) - 1);
    assert_int_equal(pf_control_cmd_parse(L("bogus"), &cmd, NULL, 0), -1);
}

/* Fields of an earlier command do not leak into the next one. */
static void test_cmd_reset(void **state)
{
    struct pf_control_cmd cmd;
    char err[256];

    (void)state;
    assert_int_equal(pf_control_cmd_parse(L("auth abc"), &cmd, err, sizeof(err)), 0);
    assert_int_equal(pf_control_cmd_parse(L("scale -3"), &cmd, err, sizeof(err)), 0);
    assert_string_equal(cmd.token, "");
    assert_int_equal(pf_control_cmd_parse(L("status"), &cmd, err, sizeof(err)), 0);
    assert_false(cmd.relative);
    assert_int_equal(cmd.value, 0);
}

/* help lists every verb, each of which the parser knows. */
static void test_help_text(void **state)
{
    char words[128];
    char *save = NULL;
    int n = 0;

    (void)state;
    assert_string_equal(
        pf_control_cmd_help(),
        "auth status workers events config scale reload reopen stop kill upgrade help");
    snprintf(words, sizeof(words), "%s", pf_control_cmd_help());
    for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save), n++) {
        struct pf_control_cmd cmd;
        char err[256] = "";

        pf_control_cmd_parse(w, strlen(w), &cmd, err, sizeof(err));
        if (strstr(err, "unknown command"))
            fail_msg("help lists \"%s\", which is unknown", w);
    }
    assert_int_equal(n, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_auth_token_length),
        cmocka_unit_test(test_get_path_length),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_len_bounds_the_line),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_cmd_reset),
        cmocka_unit_test(test_help_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
