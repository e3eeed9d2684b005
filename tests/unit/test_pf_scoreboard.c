/* Unit tests for pf_scoreboard: creation, slot claim/release, the worker's
 * single-writer updates, sharing across fork(), and state names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_addr.h"
#include "pf_scoreboard.h"
#include "pf_time.h"

#define NSLOTS 8

/* Fixture: a scoreboard of NSLOTS slots. */
static int setup_board(void **state)
{
    struct pf_scoreboard *sb = calloc(1, sizeof(*sb));
    char err[256];

    if (sb == NULL || pf_scoreboard_create(sb, NSLOTS, err, sizeof(err)) != 0) {
        free(sb);
        return -1;
    }
    *state = sb;
    return 0;
}

/* Teardown: unmap the board. */
static int teardown_board(void **state)
{
    struct pf_scoreboard *sb = *state;

    pf_scoreboard_destroy(sb);
    free(sb);
    return 0;
}

/* The slot is all zero bytes (FREE, no pid, no counters, no client). */
static void assert_slot_zeroed(const struct pf_slot *s)
{
    static const struct pf_slot zero;

    assert_memory_equal(s, &zero, sizeof(zero));
    assert_int_equal(pf_slot_get_state(s), PF_SLOT_FREE);
}

/* Claim every slot, checking each index is new and STARTING with pid 0;
 * leaves the board full. */
static void claim_all(struct pf_scoreboard *sb)
{
    int seen[NSLOTS] = {0};

    for (int i = 0; i < NSLOTS; i++) {
        int idx = pf_scoreboard_claim(sb);

        assert_in_range(idx, 0, NSLOTS - 1);
        assert_int_equal(seen[idx], 0);
        seen[idx] = 1;
        assert_int_equal(pf_slot_get_state(&sb->slots[idx]), PF_SLOT_STARTING);
        assert_int_equal(atomic_load(&sb->slots[idx].pid), 0);
    }
}

/* Counter values of a slot, read in one place. */
static void assert_counters(const struct pf_slot *s, uint64_t conns, uint64_t reqs, uint64_t in,
                            uint64_t out)
{
    assert_int_equal(atomic_load(&s->connections), conns);
    assert_int_equal(atomic_load(&s->requests), reqs);
    assert_int_equal(atomic_load(&s->bytes_in), in);
    assert_int_equal(atomic_load(&s->bytes_out), out);
}

/* A fresh board has the requested slots, all FREE and zeroed. */
static void test_create_zeroed(void **state)
{
    struct pf_scoreboard *sb = *state;

    assert_non_null(sb->slots);
    assert_int_equal(sb->nslots, NSLOTS);
    for (size_t i = 0; i < NSLOTS; i++)
        assert_slot_zeroed(&sb->slots[i]);
}

/* A zero-slot board cannot be mapped: -1 and a reason naming the count. */
static void test_create_zero_slots_fails(void **state)
{
    struct pf_scoreboard sb = {NULL, 0};
    char err[256] = "";

    (void)state;
    assert_int_equal(pf_scoreboard_create(&sb, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "cannot map the scoreboard (0 slots): Invalid argument");
    assert_null(sb.slots);
}

/* Destroy unmaps and resets; a second destroy is harmless. */
static void test_destroy_twice(void **state)
{
    struct pf_scoreboard sb;
    char err[256];

    (void)state;
    assert_int_equal(pf_scoreboard_create(&sb, 2, err, sizeof(err)), 0);
    pf_scoreboard_destroy(&sb);
    assert_null(sb.slots);
    assert_int_equal(sb.nslots, 0);
    pf_scoreboard_destroy(&sb);
    assert_null(sb.slots);
}

/* Claims hand out distinct indices until the board is full, then -1. */
static void test_claim_until_full(void **state)
{
    struct pf_scoreboard *sb = *state;

    claim_all(sb);
    assert_int_equal(pf_scoreboard_claim(sb), -1);
    assert_int_equal(pf_scoreboard_claim(sb), -1);
}

/* Release zeroes a used slot and makes it the one claimed next. */
static void test_release_reclaim(void **state)
{
    struct pf_scoreboard *sb = *state;
    struct pf_slot *s = &sb->slots[3];

    claim_all(sb);
    atomic_store(&s->pid, 4242);
    pf_slot_set_state(s, PF_SLOT_READING);
    pf_slot_add_request(s, 10, 20);
    pf_scoreboard_release(sb, 3);
    assert_slot_zeroed(s);
    assert_int_equal(pf_scoreboard_claim(sb), 3);
    assert_int_equal(pf_slot_get_state(s), PF_SLOT_STARTING);
    assert_counters(s, 0, 0, 0, 0);
    assert_int_equal(pf_scoreboard_claim(sb), -1);
}

/* A claim over a slot holding stale counters (state FREE set by hand)
 * starts it from zero: no last request of the worker it held before. */
static void test_claim_clears_stale(void **state)
{
    struct pf_scoreboard *sb = *state;
    struct pf_slot *s = &sb->slots[0];
    char out[PF_SLOT_SUMMARY_MAX];

    pf_slot_add_request(s, 5, 5);
    pf_slot_begin_request(s, "GET /", 5);
    pf_slot_end_request(s, 200);
    atomic_store(&s->pid, 99);
    assert_int_equal(pf_scoreboard_claim(sb), 0);
    assert_counters(s, 0, 0, 0, 0);
    assert_int_equal(atomic_load(&s->pid), 0);
    pf_slot_read_summary(s, out);
    assert_string_equal(out, "");
}

/* begin_client records the peer and BUSY (read back as text); end_client
 * goes IDLE with no client. */
static void test_client_cycle(void **state)
{
    struct pf_scoreboard *sb = *state;
    struct pf_slot *s = &sb->slots[pf_scoreboard_claim(sb)];
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(5555)};
    char text[PF_ADDR_STRLEN];
    int64_t before, after;

    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pf_slot_set_state(s, PF_SLOT_IDLE);
    pf_slot_read_client(s, text, sizeof(text));
    assert_string_equal(text, "");
    before = pf_time_now_ms();
    pf_slot_begin_client(s, (const struct sockaddr *)&peer, sizeof(peer));
    after = pf_time_now_ms();
    assert_int_equal(pf_slot_get_state(s), PF_SLOT_READING);
    assert_memory_equal(&s->client, &peer, sizeof(peer));
    assert_in_range(atomic_load(&s->busy_since_ms), before, after);
    assert_counters(s, 1, 0, 0, 0);
    pf_slot_read_client(s, text, sizeof(text));
    assert_string_equal(text, "127.0.0.1:5555");
    pf_slot_end_client(s);
    assert_int_equal(pf_slot_get_state(s), PF_SLOT_IDLE);
    assert_int_equal(atomic_load(&s->busy_since_ms), 0);
    pf_slot_read_client(s, text, sizeof(text));
    assert_string_equal(text, "");
    assert_counters(s, 1, 0, 0, 0);
}

/* Requests add one each and sum the byte counts; connections count
 * begin_client calls. */
static void test_counters(void **state)
{
    struct pf_scoreboard *sb = *state;
    struct pf_slot *s = &sb->slots[pf_scoreboard_claim(sb)];
    struct sockaddr_in peer = {.sin_family = AF_INET};

    pf_slot_begin_client(s, (const struct sockaddr *)&peer, sizeof(peer));
    pf_slot_add_request(s, 10, 20);
    pf_slot_add_request(s, 0, 0);
    pf_slot_add_request(s, 5, 7);
    pf_slot_end_client(s);
    pf_slot_begin_client(s, (const struct sockaddr *)&peer, sizeof(peer));
    pf_slot_add_request(s, UINT32_MAX, 1);
    assert_counters(s, 2, 4, 15ull + UINT32_MAX, 28);
}

/* Durations fall in the first bucket whose bound holds them. */
static void test_duration_buckets(void **state)
{
    static const struct {
        uint64_t us;
        int bucket;
    } cases[] = {
        {0, 0},
        {1000, 0},
        {1001, 1},
        {5000, 1},
        {5001, 2},
        {999999, 8},
        {1000000, 8},
        {1000001, 9},
        {10000000, 11},
        {10000001, 12},
        {UINT64_MAX, PF_SLOT_DURATION_BUCKETS},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (pf_slot_duration_bucket(cases[i].us) != cases[i].bucket)
            fail_msg("%llu us: bucket %d, expected %d", (unsigned long long)cases[i].us,
                     pf_slot_duration_bucket(cases[i].us), cases[i].bucket);
    for (int i = 1; i < PF_SLOT_DURATION_BUCKETS; i++)
        assert_true(pf_slot_duration_bounds_us[i - 1] < pf_slot_duration_bounds_us[i]);
}

/* Each request that began is counted by its duration; each response by
 * its class (none for status 0, the framed protocols'), and the totals
 * add the slot's counters up. */
static void test_request_counts(void **state)
{
    struct pf_scoreboard *sb = *state;
    struct pf_slot *s = &sb->slots[pf_scoreboard_claim(sb)];
    struct pf_slot_totals t = {0};
    uint64_t n = 0;

    pf_slot_begin_request(s, "GET /", 5);
    pf_slot_end_request(s, 200);
    pf_slot_begin_request(s, "GET /x", 6);
    pf_slot_end_request(s, 404);
    pf_slot_end_request(s, 400); /* refused before it began: no duration */
    pf_slot_begin_request(s, "echo", 4);
    pf_slot_end_request(s, 0);
    pf_slot_add_request(s, 3, 4);
    pf_slot_add_totals(s, &t);
    pf_slot_add_totals(s, &t); /* added twice: doubled */
    for (int i = 0; i <= PF_SLOT_DURATION_BUCKETS; i++)
        n += t.durations[i];
    assert_int_equal(n, 6);
    assert_true(t.durations[0] >= 2); /* nothing took a millisecond here */
    assert_true(t.duration_sum_us < 6 * 1000000);
    assert_int_equal(t.by_class[1], 2);
    assert_int_equal(t.by_class[3], 4);
    assert_int_equal(t.by_class[0] + t.by_class[2] + t.by_class[4], 0);
    assert_int_equal(t.requests, 2);
    assert_int_equal(t.bytes_in, 6);
}

/* A request's summary and start time are set, cut to fit; its end clears
 * the start time and keeps the summary (and the status), the last request
 * an idle worker reports, through the end of the client too, until the
 * next request replaces it. */
static void test_request_summary(void **state)
{
    struct pf_scoreboard *sb = *state;
    struct pf_slot *s = &sb->slots[pf_scoreboard_claim(sb)];
    struct sockaddr_in peer = {.sin_family = AF_INET};
    char out[PF_SLOT_SUMMARY_MAX], longer[300];

    pf_slot_begin_client(s, (const struct sockaddr *)&peer, sizeof(peer));
    pf_slot_begin_request(s, "GET /index.html", 15);
    pf_slot_read_summary(s, out);
    assert_string_equal(out, "GET /index.html");
    assert_true(atomic_load(&s->request_ms) > 0);
    pf_slot_end_request(s, 404);
    pf_slot_read_summary(s, out);
    assert_string_equal(out, "GET /index.html");
    assert_int_equal(atomic_load(&s->request_ms), 0);
    assert_int_equal(atomic_load(&s->last_status), 404);
    pf_slot_end_client(s);
    pf_slot_read_summary(s, out);
    assert_string_equal(out, "GET /index.html");
    pf_slot_begin_client(s, (const struct sockaddr *)&peer, sizeof(peer));
    memset(longer, 'x', sizeof(longer));
    pf_slot_begin_request(s, longer, sizeof(longer));
    pf_slot_read_summary(s, out);
    assert_int_equal(strlen(out), PF_SLOT_SUMMARY_MAX - 1);
    pf_slot_end_client(s);
    pf_slot_read_summary(s, out);
    assert_int_equal(strlen(out), PF_SLOT_SUMMARY_MAX - 1);
    assert_int_equal(atomic_load(&s->request_ms), 0);
    assert_int_equal(atomic_load(&s->last_status), 404);
}

/* Other slots are untouched by updates to one slot. */
static void test_slots_independent(void **state)
{
    struct pf_scoreboard *sb = *state;

    pf_slot_set_state(&sb->slots[2], PF_SLOT_STOPPING);
    pf_slot_add_request(&sb->slots[2], 1, 1);
    for (size_t i = 0; i < NSLOTS; i++)
        if (i != 2)
            assert_slot_zeroed(&sb->slots[i]);
    assert_int_equal(pf_slot_get_state(&sb->slots[2]), PF_SLOT_STOPPING);
}

/* Child side of the fork test: act as the worker owning slot idx. */
_Noreturn static void child_work(struct pf_scoreboard *sb, int idx)
{
    struct pf_slot *s = &sb->slots[idx];

    atomic_store(&s->pid, getpid());
    pf_slot_set_state(s, PF_SLOT_IDLE);
    pf_slot_add_request(s, 11, 22);
    pf_slot_add_request(s, 3, 4);
    pf_slot_set_state(s, PF_SLOT_STOPPING);
    _exit(0);
}

/* The mapping is shared across fork(): the parent reads what a child wrote
 * into its slot after reaping it. */
static void test_shared_across_fork(void **state)
{
    struct pf_scoreboard *sb = *state;
    int idx = pf_scoreboard_claim(sb);
    int status = -1;
    pid_t pid;

    assert_true(idx >= 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child_work(sb, idx);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(atomic_load(&sb->slots[idx].pid), pid);
    assert_int_equal(pf_slot_get_state(&sb->slots[idx]), PF_SLOT_STOPPING);
    assert_counters(&sb->slots[idx], 0, 2, 14, 26);
}

/* Every state has its name; anything else is "?". */
static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(pf_slot_state_name(PF_SLOT_FREE), "free");
    assert_string_equal(pf_slot_state_name(PF_SLOT_STARTING), "starting");
    assert_string_equal(pf_slot_state_name(PF_SLOT_IDLE), "idle");
    assert_string_equal(pf_slot_state_name(PF_SLOT_READING), "reading");
    assert_string_equal(pf_slot_state_name(PF_SLOT_WRITING), "writing");
    assert_string_equal(pf_slot_state_name(PF_SLOT_KEEPALIVE), "keepalive");
    assert_string_equal(pf_slot_state_name(PF_SLOT_CLOSING), "closing");
    assert_string_equal(pf_slot_state_name(PF_SLOT_STATE_COUNT), "?");
    assert_string_equal(pf_slot_state_name(PF_SLOT_STOPPING), "stopping");
    assert_string_equal(pf_slot_state_name(-1), "?");
    assert_string_equal(pf_slot_state_name(PF_SLOT_STOPPING + 1), "?");
    assert_string_equal(pf_slot_state_name(1000), "?");
}

#define BOARD_TEST(f) cmocka_unit_test_setup_teardown(f, setup_board, teardown_board)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOARD_TEST(test_create_zeroed),          cmocka_unit_test(test_create_zero_slots_fails),
        cmocka_unit_test(test_destroy_twice),    BOARD_TEST(test_claim_until_full),
        BOARD_TEST(test_release_reclaim),        BOARD_TEST(test_claim_clears_stale),
        BOARD_TEST(test_client_cycle),           BOARD_TEST(test_counters),
        BOARD_TEST(test_request_summary),        BOARD_TEST(test_slots_independent),
        BOARD_TEST(test_shared_across_fork),     cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_duration_buckets), BOARD_TEST(test_request_counts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
