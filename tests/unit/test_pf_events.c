/* Unit tests for pf_events: the ring's order, wrap-around and cut texts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pf_events.h"
#include "pf_log.h"

/* An empty ring keeps nothing. */
static void test_empty(void **state)
{
    static struct pf_events e;

    (void)state;
    assert_int_equal(pf_events_count(&e), 0);
    assert_null(pf_events_get(&e, 0));
}

/* Events come back newest first, with their numbers, times and levels. */
static void test_newest_first(void **state)
{
    static struct pf_events e;
    static const struct {
        int64_t t;
        int level;
        const char *text;
    } in[] = {
        {1000, PF_LOG_NOTICE, "reload: generation 2"},
        {2000, PF_LOG_WARN, "worker 12 killed by SIGKILL"},
        {3000, PF_LOG_ERROR, "workers keep failing"},
    };
    size_t n = sizeof(in) / sizeof(in[0]);

    (void)state;
    for (size_t i = 0; i < n; i++)
        pf_events_add(&e, in[i].t, in[i].level, in[i].text);
    assert_int_equal(pf_events_count(&e), n);
    for (size_t i = 0; i < n; i++) {
        const struct pf_event *ev = pf_events_get(&e, i);

        assert_non_null(ev);
        assert_int_equal(ev->seq, n - i);
        assert_int_equal(ev->time_ms, in[n - 1 - i].t);
        assert_int_equal(ev->level, in[n - 1 - i].level);
        assert_string_equal(ev->text, in[n - 1 - i].text);
    }
    assert_null(pf_events_get(&e, n));
}

/* Past PF_EVENTS_MAX the oldest go: the last PF_EVENTS_MAX stay, in
 * order, and the numbering goes on. */
static void test_wraps(void **state)
{
    static struct pf_events e;
    const size_t total = PF_EVENTS_MAX * 2 + 5;
    char text[32];

    (void)state;
    for (size_t i = 1; i <= total; i++) {
        snprintf(text, sizeof(text), "event %zu", i);
        pf_events_add(&e, (int64_t)i, PF_LOG_NOTICE, text);
    }
    assert_int_equal(e.added, total);
    assert_int_equal(pf_events_count(&e), PF_EVENTS_MAX);
    for (size_t i = 0; i < PF_EVENTS_MAX; i++) {
        const struct pf_event *ev = pf_events_get(&e, i);

        snprintf(text, sizeof(text), "event %zu", total - i);
        assert_int_equal(ev->seq, total - i);
        assert_string_equal(ev->text, text);
    }
    assert_null(pf_events_get(&e, PF_EVENTS_MAX));
}

/* Texts that fit are kept whole, to the last byte; longer ones are cut
 * and end in "...". */
static void test_cut(void **state)
{
    static struct pf_events e;
    static const size_t lens[] = {0,
                                  1,
                                  PF_EVENT_TEXT_MAX - 2,
                                  PF_EVENT_TEXT_MAX - 1,
                                  PF_EVENT_TEXT_MAX,
                                  PF_EVENT_TEXT_MAX * 3};
    char text[PF_EVENT_TEXT_MAX * 3 + 1];

    (void)state;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        const struct pf_event *ev;

        memset(text, 'x', lens[i]);
        text[lens[i]] = '\0';
        pf_events_add(&e, 0, PF_LOG_WARN, text);
        ev = pf_events_get(&e, 0);
        if (lens[i] < PF_EVENT_TEXT_MAX) {
            assert_string_equal(ev->text, text);
        } else {
            size_t kept = strlen(ev->text);

            assert_int_equal(kept, PF_EVENT_TEXT_MAX - 1);
            assert_memory_equal(ev->text, text, kept - 3);
            assert_string_equal(ev->text + kept - 3, "...");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_newest_first),
        cmocka_unit_test(test_wraps),
        cmocka_unit_test(test_cut),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
