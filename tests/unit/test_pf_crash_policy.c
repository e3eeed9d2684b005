/* Unit tests for pf_crash_policy: which reaped workers are crashes (fed to
 * the backoff), which of those are broken (their own fault), and which are
 * only replaced, on a table of wait statuses, ages and what the master had
 * done to the worker. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>

#include "pf_crash_policy.h"
#include "pf_worker.h"

/* Wait statuses as waitpid() reports them. */
#define EXITED(code) (((code)&0xff) << 8)
#define KILLED(sig) ((sig)&0x7f)

#define YOUNG (PF_CRASH_POLICY_YOUNG_MS - 1)
#define OLD PF_CRASH_POLICY_YOUNG_MS

struct crash_case {
    const char *what;
    struct pf_crash_policy_exit e;
    enum pf_crash_policy_kind want;
};

static const struct crash_case cases[] = {
    {"exit 0, young", {EXITED(0), YOUNG, false, false, false, false}, PF_CRASH_POLICY_NONE},
    {"exit 0, old", {EXITED(0), OLD, false, false, false, false}, PF_CRASH_POLICY_NONE},
    {"exit 1, young", {EXITED(1), YOUNG, false, false, false, false}, PF_CRASH_POLICY_CRASH},
    {"exit 1, old: replaced only",
     {EXITED(1), OLD, false, false, false, false},
     PF_CRASH_POLICY_NONE},
    {"could not start, young",
     {EXITED(PF_WORKER_EXIT_INIT), YOUNG, false, false, false, false},
     PF_CRASH_POLICY_BROKEN},
    {"could not start, old",
     {EXITED(PF_WORKER_EXIT_INIT), OLD * 10, false, false, false, false},
     PF_CRASH_POLICY_BROKEN},
    {"could not start, told to stop meanwhile",
     {EXITED(PF_WORKER_EXIT_INIT), YOUNG, true, false, false, false},
     PF_CRASH_POLICY_BROKEN},
    {"SIGSEGV, young",
     {KILLED(SIGSEGV), YOUNG, false, false, false, false},
     PF_CRASH_POLICY_BROKEN},
    {"SIGSEGV, old: replaced only",
     {KILLED(SIGSEGV), OLD, false, false, false, false},
     PF_CRASH_POLICY_NONE},
    {"SIGBUS, young", {KILLED(SIGBUS), YOUNG, false, false, false, false}, PF_CRASH_POLICY_BROKEN},
    {"SIGABRT, young",
     {KILLED(SIGABRT), YOUNG, false, false, false, false},
     PF_CRASH_POLICY_BROKEN},
    {"SIGILL, young", {KILLED(SIGILL), YOUNG, false, false, false, false}, PF_CRASH_POLICY_BROKEN},
    {"SIGFPE, young", {KILLED(SIGFPE), YOUNG, false, false, false, false}, PF_CRASH_POLICY_BROKEN},
    {"SIGSYS, young", {KILLED(SIGSYS), YOUNG, false, false, false, false}, PF_CRASH_POLICY_BROKEN},
    {"SIGKILL from outside, young",
     {KILLED(SIGKILL), YOUNG, false, false, false, false},
     PF_CRASH_POLICY_CRASH},
    {"SIGKILL from outside, old (OOM killer)",
     {KILLED(SIGKILL), OLD, false, false, false, false},
     PF_CRASH_POLICY_NONE},
    {"SIGTERM from outside, young",
     {KILLED(SIGTERM), YOUNG, false, false, false, false},
     PF_CRASH_POLICY_CRASH},
    {"retired, then SIGKILL at the deadline",
     {KILLED(SIGKILL), YOUNG, true, false, false, false},
     PF_CRASH_POLICY_NONE},
    {"retired, exit 1", {EXITED(1), YOUNG, true, false, false, false}, PF_CRASH_POLICY_NONE},
    {"killed as hung", {KILLED(SIGTERM), YOUNG, false, true, false, false}, PF_CRASH_POLICY_NONE},
    {"killed as hung, SIGKILL",
     {KILLED(SIGKILL), OLD, false, true, false, false},
     PF_CRASH_POLICY_NONE},
    {"killed as hung, segfaulted on the way",
     {KILLED(SIGSEGV), YOUNG, false, true, false, false},
     PF_CRASH_POLICY_NONE},
    /* exec workers: the program's statuses are its own */
    {"program exit 3, young: a crash, not \"could not start\"",
     {EXITED(PF_WORKER_EXIT_INIT), YOUNG, false, false, true, false},
     PF_CRASH_POLICY_CRASH},
    {"program exit 3, old: replaced only",
     {EXITED(PF_WORKER_EXIT_INIT), OLD, false, false, true, false},
     PF_CRASH_POLICY_NONE},
    {"program exit 1, young", {EXITED(1), YOUNG, false, false, true, false}, PF_CRASH_POLICY_CRASH},
    {"program SIGSEGV, young",
     {KILLED(SIGSEGV), YOUNG, false, false, true, false},
     PF_CRASH_POLICY_BROKEN},
    {"no READY=1 in time, killed after 30 s: could not start",
     {KILLED(SIGKILL), OLD * 30, false, false, true, true},
     PF_CRASH_POLICY_BROKEN},
    {"no READY=1 in time, young",
     {KILLED(SIGKILL), YOUNG, false, false, true, true},
     PF_CRASH_POLICY_BROKEN},
    {"retired before READY=1, then killed at the deadline",
     {KILLED(SIGKILL), OLD, true, false, true, false},
     PF_CRASH_POLICY_NONE},
};

static void test_classify_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum pf_crash_policy_kind got = pf_crash_policy_classify(&cases[i].e);

        if (got != cases[i].want)
            fail_msg("%s: got %d, want %d", cases[i].what, (int)got, (int)cases[i].want);
    }
}

/* Abnormal: a signal or a non-zero status; 0 is the one normal end. */
static void test_abnormal(void **state)
{
    (void)state;
    assert_false(pf_crash_policy_abnormal(EXITED(0)));
    assert_true(pf_crash_policy_abnormal(EXITED(1)));
    assert_true(pf_crash_policy_abnormal(EXITED(255)));
    assert_true(pf_crash_policy_abnormal(KILLED(SIGTERM)));
    assert_true(pf_crash_policy_abnormal(KILLED(SIGKILL)));
}

/* Fault signals are the process's own doing; the rest come from outside. */
static void test_fault_signals(void **state)
{
    static const int faults[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGSYS};
    static const int outside[] = {SIGKILL, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGUSR1};

    (void)state;
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
        assert_true(pf_crash_policy_fault_signal(faults[i]));
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
        assert_false(pf_crash_policy_fault_signal(outside[i]));
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_table),
        cmocka_unit_test(test_abnormal),
        cmocka_unit_test(test_fault_signals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
