/* Unit tests for pf_episode: sequences of failed and working attempts
 * with their times, each step with what it must ask the caller to log. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "pf_episode.h"

#define PERIOD 60000

enum op { FAIL, OK };

struct step {
    int64_t t;
    enum op op;
    int err;                   /* FAIL's errno */
    enum pf_episode_news news; /* what the step returns */
    uint64_t failures;         /* the episode's count after the step */
    int on;                    /* pf_episode_on after the step */
};

/* Run steps from a zeroed episode; total is every FAIL. */
static void run(const struct step *steps, size_t n)
{
    struct pf_episode e = {0};
    uint64_t total = 0;

    for (size_t i = 0; i < n; i++) {
        const struct step *s = &steps[i];
        enum pf_episode_news got = s->op == FAIL ? pf_episode_fail(&e, s->err, s->t, PERIOD)
                                                 : pf_episode_ok(&e);

        total += s->op == FAIL;
        if (got != s->news || e.failures != s->failures || pf_episode_on(&e) != (s->on != 0))
            fail_msg("step %zu (t %lld): news %d failures %llu on %d; expected %d %llu %d", i,
                     (long long)s->t, (int)got, (unsigned long long)e.failures,
                     (int)pf_episode_on(&e), (int)s->news, (unsigned long long)s->failures, s->on);
        assert_int_equal(e.total, total);
    }
}

/* A worker retrying accept() ten times a second: told once when it
 * begins, then once a period, and once when it ends; quiet otherwise. */
static void test_lasting_failure(void **state)
{
    static const struct step steps[] = {
        {0, OK, 0, PF_EPISODE_QUIET, 0, 0}, /* nothing going on */
        {1000, FAIL, EMFILE, PF_EPISODE_BEGAN, 1, 1},
        {1100, FAIL, EMFILE, PF_EPISODE_QUIET, 2, 1},
        {60999, FAIL, EMFILE, PF_EPISODE_QUIET, 3, 1}, /* a period after the last line: not yet */
        {61000, FAIL, EMFILE, PF_EPISODE_LASTS, 4, 1},
        {61100, FAIL, EMFILE, PF_EPISODE_QUIET, 5, 1},
        {121000, FAIL, EMFILE, PF_EPISODE_LASTS, 6, 1},
        {121500, OK, 0, PF_EPISODE_ENDED, 6, 0}, /* the count stays for the last line */
        {121600, OK, 0, PF_EPISODE_QUIET, 6, 0},
        {130000, FAIL, EMFILE, PF_EPISODE_BEGAN, 1, 1}, /* a new episode counts from 1 */
    };

    (void)state;
    run(steps, sizeof(steps) / sizeof(steps[0]));
}

/* Another reason is told at once, and the period counts from it. */
static void test_reason_changes(void **state)
{
    static const struct step steps[] = {
        {0, FAIL, EMFILE, PF_EPISODE_BEGAN, 1, 1},
        {100, FAIL, ENFILE, PF_EPISODE_CHANGED, 2, 1},
        {200, FAIL, ENFILE, PF_EPISODE_QUIET, 3, 1},
        {300, FAIL, EMFILE, PF_EPISODE_CHANGED, 4, 1},
        {60299, FAIL, EMFILE, PF_EPISODE_QUIET, 5, 1},
        {60300, FAIL, EMFILE, PF_EPISODE_LASTS, 6, 1},
        {60400, OK, 0, PF_EPISODE_ENDED, 6, 0},
    };

    (void)state;
    run(steps, sizeof(steps) / sizeof(steps[0]));
}

/* The episode's start is its first failure, kept after it ended. */
static void test_since(void **state)
{
    struct pf_episode e = {0};

    (void)state;
    pf_episode_fail(&e, EAGAIN, 5000, PERIOD);
    pf_episode_fail(&e, EAGAIN, 6000, PERIOD);
    assert_int_equal(pf_episode_ok(&e), PF_EPISODE_ENDED);
    assert_int_equal(e.since_ms, 5000);
    assert_int_equal(e.failures, 2);
    pf_episode_fail(&e, EAGAIN, 9000, PERIOD);
    assert_int_equal(e.since_ms, 9000);
    assert_int_equal(e.total, 3);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lasting_failure),
        cmocka_unit_test(test_reason_changes),
        cmocka_unit_test(test_since),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
