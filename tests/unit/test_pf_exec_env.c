/* Unit tests for pf_exec_env: exec.env entries checked, and the
 * environment a program is started with built from a table of settings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pf_err.h"
#include "pf_exec_env.h"

static const char *const parent[] = {"HOME=/root", "PATH=/opt/bin:/usr/bin", "LANG=C.UTF-8", NULL};
static const char *const parent_with_ours[] = {
    "HOME=/root", "LISTEN_FDS=9", "PATH=/opt/bin:/usr/bin", "NOTIFY_SOCKET=/elsewhere", NULL};

static void test_check(void **state)
{
    static const struct {
        const char *entry;
        const char *err; /* NULL: valid */
    } cases[] = {
        {"A=1", NULL},
        {"PYTHONUNBUFFERED=1", NULL},
        {"HOME", NULL},
        {"lower_case=ok", NULL},
        {"EMPTY=", NULL},
        {"X=a=b", NULL},
        {"", "\"\" is not NAME=value or NAME"},
        {"=1", "\"=1\" is not NAME=value or NAME"},
        {"1A=1", "\"1A=1\" is not NAME=value or NAME"},
        {"A-B=1", "\"A-B\" is not a variable name"},
        {"A B", "\"A B\" is not a variable name"},
        {"\x04HOME", "\"\\x04HOME\" is not a variable name"},
        {"A\tB=1", "\"A\\x09B\" is not a variable name"},
        {"LISTEN_FDS=2", "LISTEN_FDS is set by preforkd itself"},
        {"NOTIFY_SOCKET", "NOTIFY_SOCKET is set by preforkd itself"},
        {"SERVER_STARTER_PORT=x", "SERVER_STARTER_PORT is set by preforkd itself"},
        {"LISTEN_FDS_X=1", NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[PF_ERR_MAX] = "";
        int rc = pf_exec_env_check(cases[i].entry, err, sizeof(err));

        if (cases[i].err == NULL && rc != 0)
            fail_msg("\"%s\" refused: %s", cases[i].entry, err);
        if (cases[i].err && (rc != -1 || strncmp(err, cases[i].err, strlen(cases[i].err)) != 0))
            fail_msg("\"%s\": rc %d \"%s\", want \"%s\"", cases[i].entry, rc, err, cases[i].err);
    }
}

/* Build with in; the environment as one string, "A=1 B=2 ...". */
static void build(const struct pf_exec_env_in *in, char *out, size_t size)
{
    static char buf[4096];
    char *envp[64], err[PF_ERR_MAX];
    int n = pf_exec_env_build(in, buf, sizeof(buf), envp, 64, err, sizeof(err));

    if (n < 0)
        fail_msg("build: %s", err);
    assert_null(envp[n]);
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", envp[i]);
}

static void test_build(void **state)
{
    static const char *const env[] = {"A=1", "HOME", "NOPE"};
    static const char *const with_path[] = {"PATH"};
    static const struct {
        const char *what;
        struct pf_exec_env_in in;
        const char *want;
    } cases[] = {
        {"fd 3, notify, watchdog",
         {env, 3, parent, 3, 4242, "preforkd", "127.0.0.1:8000", "@preforkd-notify-7", 2000000, 1,
          2, 0},
         "A=1 HOME=/root PATH=" PF_EXEC_ENV_PATH " LISTEN_FDS=1 LISTEN_PID=4242 "
         "LISTEN_FDNAMES=preforkd NOTIFY_SOCKET=@preforkd-notify-7 WATCHDOG_USEC=2000000 "
         "WATCHDOG_PID=4242 PREFORKD_SLOT=1 PREFORKD_GENERATION=2 EINHORN_FD_0=3 "
         "EINHORN_FD_COUNT=1 SERVER_STARTER_PORT=127.0.0.1:8000=3"},
        {"fd 0 (FastCGI): no LISTEN_*; no notify, no watchdog; nothing inherited",
         {NULL, 0, parent, 0, 9, "preforkd", "[::1]:9000", NULL, 0, 0, 1, 0},
         "PATH=" PF_EXEC_ENV_PATH " PREFORKD_SLOT=0 PREFORKD_GENERATION=1 EINHORN_FD_0=0 "
         "EINHORN_FD_COUNT=1 SERVER_STARTER_PORT=[::1]:9000=0"},
        {"PATH inherited when listed",
         {with_path, 1, parent, 0, 9, "p", "h:1", NULL, 0, 0, 1, 0},
         "PATH=/opt/bin:/usr/bin PREFORKD_SLOT=0 PREFORKD_GENERATION=1 EINHORN_FD_0=0 "
         "EINHORN_FD_COUNT=1 SERVER_STARTER_PORT=h:1=0"},
        {"the whole environment (no file), preforkd's own variables not taken from it",
         {env, 1, parent_with_ours, 3, 5, "preforkd", "h:1", NULL, 0, 2, 3, 1},
         "HOME=/root PATH=/opt/bin:/usr/bin A=1 LISTEN_FDS=1 LISTEN_PID=5 LISTEN_FDNAMES=preforkd "
         "PREFORKD_SLOT=2 PREFORKD_GENERATION=3 EINHORN_FD_0=3 EINHORN_FD_COUNT=1 "
         "SERVER_STARTER_PORT=h:1=3"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char got[2048];

        build(&cases[i].in, got, sizeof(got));
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%s:\n got  %s\n want %s", cases[i].what, got, cases[i].want);
    }
}

/* Too small a buffer or array: refused, never cut. */
static void test_too_small(void **state)
{
    struct pf_exec_env_in in = {NULL, 0, parent, 3, 1, "p", "h:1", NULL, 0, 0, 1, 0};
    char buf[4096], *envp[64], err[PF_ERR_MAX];

    (void)state;
    assert_int_equal(pf_exec_env_build(&in, buf, 40, envp, 64, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than"));
    assert_int_equal(pf_exec_env_build(&in, buf, sizeof(buf), envp, 3, err, sizeof(err)), -1);
    assert_true(pf_exec_env_build(&in, buf, sizeof(buf), envp, 64, err, sizeof(err)) > 0);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_too_small),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
