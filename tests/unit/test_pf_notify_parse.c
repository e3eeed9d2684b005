/* Unit tests for pf_notify_parse: sd_notify datagrams from a table, what
 * each says or why it is refused; the STATUS text kept printable and cut. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pf_err.h"
#include "pf_notify_parse.h"

#define R PF_NOTIFY_READY
#define S PF_NOTIFY_STATUS
#define W PF_NOTIFY_WATCHDOG
#define WT PF_NOTIFY_WATCHDOG_TRIGGER
#define STOP PF_NOTIFY_STOPPING
#define REL PF_NOTIFY_RELOADING
#define E PF_NOTIFY_ERRNO
#define MP PF_NOTIFY_MAINPID

static const struct {
    const char *msg;
    unsigned said; /* what it says, when taken */
    unsigned ignored;
    const char *status; /* STATUS text kept, or NULL */
    const char *err;    /* NULL: taken; else the reason's start */
} cases[] = {
    {"READY=1", R, 0, NULL, NULL},
    {"READY=1\n", R, 0, NULL, NULL},
    {"READY=1\nSTATUS=serving on fd 3\n", R | S, 0, "serving on fd 3", NULL},
    {"STATUS=", S, 0, "", NULL},
    {"STATUS=a=b", S, 0, "a=b", NULL},
    {"STATUS=one\nSTATUS=two", S, 0, "two", NULL},
    {"STATUS=tab\there\x7f\x01", S, 0, "tab?here??", NULL},
    {"STATUS=caf\xc3\xa9", S, 0, "caf??", NULL},
    {"WATCHDOG=1", W, 0, NULL, NULL},
    {"WATCHDOG=trigger", WT, 0, NULL, NULL},
    {"STOPPING=1", STOP, 0, NULL, NULL},
    {"RELOADING=1\nMONOTONIC_USEC=123456", REL, 1, NULL, NULL},
    {"ERRNO=0", E, 0, NULL, NULL},
    {"ERRNO=4095", E, 0, NULL, NULL},
    {"MAINPID=4242", MP, 0, NULL, NULL},
    {"EXTEND_TIMEOUT_USEC=5000000", 0, 1, NULL, NULL},
    {"X_MY_OWN=1\nREADY=1", R, 1, NULL, NULL},
    {"\n\nREADY=1\n\n", R, 0, NULL, NULL},
    {"", 0, 0, NULL, "empty message"},
    {"\n", 0, 0, NULL, "no assignment"},
    {"READY", 0, 0, NULL, "line 1: not NAME=value"},
    {"READY=1\nbogus", 0, 0, NULL, "line 2: not NAME=value"},
    {"=1", 0, 0, NULL, "line 1: not NAME=value"},
    {"ready=1", 0, 0, NULL, "line 1: not NAME=value"},
    {"1READY=1", 0, 0, NULL, "line 1: not NAME=value"},
    {"READY=0", 0, 0, NULL, "line 1: READY takes 1"},
    {"READY=1 ", 0, 0, NULL, "line 1: READY takes 1"},
    {"WATCHDOG=2", 0, 0, NULL, "line 1: WATCHDOG takes 1 or trigger"},
    {"STOPPING=yes", 0, 0, NULL, "line 1: STOPPING takes 1"},
    {"RELOADING=", 0, 0, NULL, "line 1: RELOADING takes 1"},
    {"ERRNO=4096", 0, 0, NULL, "line 1: ERRNO takes a number"},
    {"ERRNO=-1", 0, 0, NULL, "line 1: ERRNO takes a number"},
    {"ERRNO=", 0, 0, NULL, "line 1: ERRNO takes a number"},
    {"ERRNO=99999999999", 0, 0, NULL, "line 1: ERRNO takes a number"},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pf_notify_msg m;
        char err[PF_ERR_MAX] = "";
        int rc = pf_notify_parse(cases[i].msg, strlen(cases[i].msg), &m, err, sizeof(err));

        if (cases[i].err) {
            if (rc != -1 || strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
                fail_msg("\"%s\": rc %d \"%s\", want -1 \"%s\"", cases[i].msg, rc, err,
                         cases[i].err);
            assert_int_equal(m.said, 0);
            continue;
        }
        if (rc != 0)
            fail_msg("\"%s\": refused: %s", cases[i].msg, err);
        if (m.said != cases[i].said || m.ignored != cases[i].ignored)
            fail_msg("\"%s\": said %#x ignored %u, want %#x %u", cases[i].msg, m.said, m.ignored,
                     cases[i].said, cases[i].ignored);
        if (cases[i].status)
            assert_string_equal(m.status, cases[i].status);
    }
}

/* The ERRNO value is kept. */
static void test_errno_value(void **state)
{
    struct pf_notify_msg m;
    char err[PF_ERR_MAX];

    (void)state;
    assert_int_equal(pf_notify_parse("ERRNO=13\nSTATUS=x", 17, &m, err, sizeof(err)), 0);
    assert_int_equal(m.errno_value, 13);
}

/* A NUL inside refuses the message; so does one over PF_NOTIFY_MAX; the
 * longest taken is exactly PF_NOTIFY_MAX. A long STATUS is cut to fit. */
static void test_bounds(void **state)
{
    static char big[PF_NOTIFY_MAX + 1];
    struct pf_notify_msg m;
    char err[PF_ERR_MAX];

    (void)state;
    assert_int_equal(pf_notify_parse("READY=1\0X=1", 11, &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "NUL"));
    memcpy(big, "STATUS=", 7);
    memset(big + 7, 'a', sizeof(big) - 7);
    assert_int_equal(pf_notify_parse(big, PF_NOTIFY_MAX + 1, &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer"));
    assert_int_equal(pf_notify_parse(big, PF_NOTIFY_MAX, &m, err, sizeof(err)), 0);
    assert_int_equal(strlen(m.status), PF_NOTIFY_STATUS_MAX - 1);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_errno_value),
        cmocka_unit_test(test_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
