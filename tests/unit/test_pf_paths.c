/* Unit tests for pf_paths: an installed program's default configuration,
 * from where the program is, by GNUInstallDirs' rules (a table). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pf_paths.h"

#define FALLBACK "/usr/local/etc/preforkd/preforkd.conf"

static const struct {
    const char *exe, *bindir, *sysconfdir, *want;
} cases[] = {
    /* cmake --install --prefix DIR: DIR/etc */
    {"/tmp/p/sbin/preforkd", "sbin", "etc", "/tmp/p/etc/preforkd/preforkd.conf"},
    {"/home/me/pf/sbin/preforkctl", "sbin", "etc", "/home/me/pf/etc/preforkd/preforkd.conf"},
    {"/usr/local/sbin/preforkd", "sbin", "etc", "/usr/local/etc/preforkd/preforkd.conf"},
    /* the prefixes /usr and /: /etc */
    {"/usr/sbin/preforkd", "sbin", "etc", "/etc/preforkd/preforkd.conf"},
    {"/sbin/preforkd", "sbin", "etc", "/etc/preforkd/preforkd.conf"},
    /* /opt/P: /etc/opt/P */
    {"/opt/pf/sbin/preforkd", "sbin", "etc", "/etc/opt/pf/preforkd/preforkd.conf"},
    {"/opt/homebrew/x/sbin/preforkd", "sbin", "etc", "/opt/homebrew/x/etc/preforkd/preforkd.conf"},
    /* other folders as configured */
    {"/srv/pf/bin/preforkd", "bin", "conf", "/srv/pf/conf/preforkd/preforkd.conf"},
    {"/srv/pf/lib/x/sbin/preforkd", "lib/x/sbin", "etc", "/srv/pf/etc/preforkd/preforkd.conf"},
    {"/srv/pf/sbin/preforkd", "sbin", "/etc/pf", "/etc/pf/preforkd/preforkd.conf"},
    /* not an installed layout: the path compiled in */
    {"/src/build/server/preforkd", "sbin", "etc", FALLBACK},
    {"/src/build/tools/preforkctl/preforkctl", "sbin", "etc", FALLBACK},
    {"/x/notsbin/preforkd", "sbin", "etc", FALLBACK},
    {"/preforkd", "sbin", "etc", FALLBACK},
    {"preforkd", "sbin", "etc", FALLBACK},
    {"/srv/pf/sbin/preforkd", "/usr/sbin", "etc", FALLBACK},
    {"/srv/pf/sbin/preforkd", "", "etc", FALLBACK},
};

static void test_config_paths(void **state)
{
    char out[PATH_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pf_paths_config(cases[i].exe, cases[i].bindir, cases[i].sysconfdir, FALLBACK, out,
                        sizeof out);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("%s (%s, %s): %s, expected %s", cases[i].exe, cases[i].bindir,
                     cases[i].sysconfdir, out, cases[i].want);
    }
}

/* This test program is in no sbin folder: the fallback. */
static void test_this_process(void **state)
{
    char out[PATH_MAX];

    (void)state;
    assert_string_equal(pf_paths_default_config("sbin", "etc", FALLBACK, out, sizeof out),
                        FALLBACK);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_paths),
        cmocka_unit_test(test_this_process),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
