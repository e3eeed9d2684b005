/* Unit tests for pf_smaps: texts of /proc/PID/smaps_rollup, each with the
 * figures it gives or the reason it is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pf_err.h"
#include "pf_smaps.h"

/* What Linux 6.1 writes (the header line, then every figure). */
#define ROLLUP_HEAD "55c948e2f000-7ffe76c29000 ---p 00000000 00:00 0                  [rollup]\n"
#define ROLLUP_REST \
    "Pss_Dirty:           112 kB\n" \
    "Pss_Anon:            112 kB\n" \
    "Pss_File:             92 kB\n" \
    "Shared_Clean:       1544 kB\n" \
    "Private_Dirty:       112 kB\n" \
    "Swap:                  0 kB\n" \
    "SwapPss:               0 kB\n" \
    "Locked:                0 kB\n"

struct smaps_case {
    const char *name;
    const char *text;
    int rc;
    uint64_t rss, pss;
    const char *err; /* the reason, when refused */
};

static const struct smaps_case cases[] = {
    {"linux", ROLLUP_HEAD "Rss:                1696 kB\nPss:                 204 kB\n" ROLLUP_REST,
     0, 1696, 204, NULL},
    {"private not a number", "Rss: 9 kB\nPss: 8 kB\nPrivate_Dirty: x kB\n", -1, 0, 0,
     "Private_Dirty is not a number of kB"},
    {"older kernel, no Pss_ lines", ROLLUP_HEAD "Rss: 10 kB\nPss: 7 kB\nSwap: 0 kB\n", 0, 10, 7,
     NULL},
    {"order does not matter", "Pss:\t3 kB\nRss:\t5 kB\n", 0, 5, 3, NULL},
    {"no newline at the end", "Rss: 5 kB\nPss: 3 kB", 0, 5, 3, NULL},
    {"zero", "Rss: 0 kB\nPss: 0 kB\n", 0, 0, 0, NULL},
    {"the first line counts", "Rss: 5 kB\nPss: 3 kB\nRss: 9 kB\n", 0, 5, 3, NULL},
    {"CR LF", "Rss: 5 kB\r\nPss: 3 kB\r\n", 0, 5, 3, NULL},
    {"largest", "Rss: 18446744073709551615 kB\nPss: 1 kB\n", 0, UINT64_MAX, 1, NULL},
    {"Pss_Dirty is not Pss", "Rss: 5 kB\nPss_Dirty: 3 kB\n", -1, 0, 0, "no Pss line"},
    {"empty", "", -1, 0, 0, "no Rss line"},
    {"header only", ROLLUP_HEAD, -1, 0, 0, "no Rss line"},
    {"no unit", "Rss: 5\nPss: 3 kB\n", -1, 0, 0, "Rss is not a number of kB"},
    {"another unit", "Rss: 5 MB\nPss: 3 kB\n", -1, 0, 0, "Rss is not a number of kB"},
    {"no number", "Rss: kB\nPss: 3 kB\n", -1, 0, 0, "Rss is not a number of kB"},
    {"sign", "Rss: 5 kB\nPss: -3 kB\n", -1, 0, 0, "Pss is not a number of kB"},
    {"no blank before the unit", "Rss: 5kB\nPss: 3 kB\n", -1, 0, 0, "Rss is not a number of kB"},
    {"trailing text", "Rss: 5 kB x\nPss: 3 kB\n", -1, 0, 0, "Rss is not a number of kB"},
    {"overflow", "Rss: 18446744073709551616 kB\nPss: 1 kB\n", -1, 0, 0,
     "Rss is not a number of kB"},
    {"name in another case", "rss: 5 kB\nPss: 3 kB\n", -1, 0, 0, "no Rss line"},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct smaps_case *c = &cases[i];
        struct pf_smaps m = {99, 99, 99};
        char err[PF_ERR_MAX] = "";
        int rc = pf_smaps_parse(c->text, strlen(c->text), &m, err, sizeof(err));

        if (rc != c->rc || m.rss_kib != c->rss || m.pss_kib != c->pss)
            fail_msg("%s: rc %d rss %llu pss %llu (%s); expected %d %llu %llu", c->name, rc,
                     (unsigned long long)m.rss_kib, (unsigned long long)m.pss_kib, err, c->rc,
                     (unsigned long long)c->rss, (unsigned long long)c->pss);
        if (c->err && strcmp(err, c->err) != 0)
            fail_msg("%s: \"%s\", expected \"%s\"", c->name, err, c->err);
    }
}

/* Private memory: Private_Clean and Private_Dirty summed, 0 without them. */
static void test_private(void **state)
{
    static const struct {
        const char *text;
        uint64_t private_kib;
    } privates[] = {
        {ROLLUP_HEAD "Rss: 1696 kB\nPss: 204 kB\n" ROLLUP_REST, 112},
        {"Rss: 9 kB\nPss: 8 kB\nPrivate_Clean: 4 kB\nPrivate_Dirty: 3 kB\n", 7},
        {"Private_Clean:\t4 kB\nRss: 9 kB\nPss: 8 kB\n", 4},
        {"Rss: 9 kB\nPss: 8 kB\n", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(privates) / sizeof(privates[0]); i++) {
        struct pf_smaps m;
        char err[PF_ERR_MAX];

        assert_int_equal(pf_smaps_parse(privates[i].text, strlen(privates[i].text), &m, err,
                                        sizeof(err)),
                         0);
        assert_int_equal(m.private_kib, privates[i].private_kib);
    }
}

/* Only len bytes are read: a figure past them is not seen. */
static void test_length_bounds(void **state)
{
    static const char text[] = "Rss: 5 kB\nPss: 3 kB\n";
    struct pf_smaps m;
    char err[PF_ERR_MAX];

    (void)state;
    assert_int_equal(pf_smaps_parse(text, 10, &m, err, sizeof(err)), -1);
    assert_string_equal(err, "no Pss line");
    assert_int_equal(pf_smaps_parse(text, 17, &m, err, sizeof(err)), -1); /* "Pss: 3 k" */
    assert_string_equal(err, "Pss is not a number of kB");
    assert_int_equal(pf_smaps_parse(text, 19, &m, err, sizeof(err)), 0);
    assert_int_equal(m.pss_kib, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_private),
        cmocka_unit_test(test_length_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
