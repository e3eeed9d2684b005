/* Unit: how `preforkctl reload` judges a status reply while it waits for
 * the roll-over it started (ctl_reload_judge), from a table of replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_reload.h"

struct judge_case {
    const char *status;        /* the status reply */
    long long generation;      /* the reload's, from its reply */
    enum ctl_reload_verdict v; /* the verdict */
    const char *msg;           /* in the line printed ("" for WAIT) */
};

static const struct judge_case cases[] = {
    /* starting: wait */
    {"{\"generation\":4,\"last_reload\":{\"generation\":4,\"state\":\"rolling\","
     "\"serving_generation\":4,\"failed_starts\":1,\"reason\":\"exited with status 3\"}}",
     4, CTL_RELOAD_WAIT, ""},
    {"{\"generation\":4,\"last_reload\":{\"generation\":4,\"state\":\"serving\","
     "\"serving_generation\":4,\"failed_starts\":0,\"reason\":null}}",
     4, CTL_RELOAD_SERVING, "generation 4 is serving"},
    {"{\"generation\":5,\"last_reload\":{\"generation\":4,\"state\":\"rolled_back\","
     "\"serving_generation\":5,\"failed_starts\":2,\"reason\":\"no READY=1 within 1000 ms\"}}",
     4, CTL_RELOAD_ROLLED_BACK,
     "reload rolled back: 2 of generation 4's workers failed to start and none became ready "
     "(last: no READY=1 within 1000 ms); generation 5 runs the previous configuration"},
    /* a second reload came before this one's workers were ready */
    {"{\"generation\":5,\"last_reload\":{\"generation\":5,\"state\":\"rolling\"}}", 4,
     CTL_RELOAD_SUPERSEDED, "generation 4 was followed by generation 5"},
    /* a roll without a reload (log reopen) bumped the generation */
    {"{\"generation\":5,\"last_reload\":{\"generation\":4,\"state\":\"rolling\"}}", 4,
     CTL_RELOAD_SUPERSEDED, "generation 4 was followed by generation 5"},
    /* an older server: nothing to wait for */
    {"{\"generation\":4}", 4, CTL_RELOAD_UNKNOWN, "does not report"},
    {"{\"generation\":4,\"last_reload\":null}", 4, CTL_RELOAD_UNKNOWN, "does not report"},
    /* a reason with control bytes is made safe for the terminal */
    {"{\"generation\":3,\"last_reload\":{\"generation\":2,\"state\":\"rolled_back\","
     "\"serving_generation\":3,\"failed_starts\":2,\"reason\":\"bad\\u001b[2J\"}}",
     2, CTL_RELOAD_ROLLED_BACK, "(last: bad?[2J)"},
};

static void test_judge(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_error_t e;
        json_t *st = json_loads(cases[i].status, 0, &e);
        char msg[1024];
        enum ctl_reload_verdict v;

        if (st == NULL)
            fail_msg("case %zu: bad fixture: %s", i, e.text);
        v = ctl_reload_judge(st, cases[i].generation, msg, sizeof(msg));
        if (v != cases[i].v || !strstr(msg, cases[i].msg))
            fail_msg("case %zu: verdict %d \"%s\", expected %d with \"%s\"", i, (int)v, msg,
                     (int)cases[i].v, cases[i].msg);
        json_decref(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
