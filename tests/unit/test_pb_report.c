/* Unit tests for pb_report: the text summary, JSON, CSV and progress line
 * of a fixed result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_report.h"

#define US 1000u /* ns per microsecond */

/* A fixed run: 4 ok (100, 200, 300 us, 2 ms), 1 connect failure, 2 404s,
 * over 2.0 s, with a 2-row series. Heap-allocated: it holds histograms. */
struct fixture {
    struct pb_opts o;
    struct pb_result r;
    struct pb_second seconds[2];
};

/* Build the fixed run (options: -c 2 -u /x 127.0.0.1:8080). */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[128];
    char *argv[] = {"preforkbench", "-c", "2", "-u", "/x", "127.0.0.1:8080", NULL};

    if (f == NULL || pb_opts_parse(6, argv, &f->o, err, sizeof(err)) != PB_OPTS_RUN)
        return -1;
    pb_hist_init(&f->r.total.latency);
    for (int i = 0; i < 2; i++)
        pb_hist_init(&f->seconds[i].latency);
    pb_hist_record(&f->r.total.latency, 100 * US);
    pb_hist_record(&f->r.total.latency, 200 * US);
    pb_hist_record(&f->r.total.latency, 300 * US);
    pb_hist_record(&f->r.total.latency, 2000 * US);
    f->r.total.ok = 4;
    f->r.total.failed[PB_FAIL_CONNECT] = 1;
    f->r.total.failed[PB_FAIL_STATUS] = 2;
    f->r.total.status[200 - PB_STATUS_MIN] = 4;
    f->r.total.status[404 - PB_STATUS_MIN] = 2;
    f->r.total.unfinished = 1;
    f->r.total.bytes_in = 3 * 1024 * 1024;
    f->r.total.bytes_out = 600;
    f->r.total.connects = 3;
    f->r.elapsed_s = 2.0;
    f->seconds[0].ok = 3;
    f->seconds[0].failed[PB_FAIL_CONNECT] = 1;
    pb_hist_record(&f->seconds[0].latency, 100 * US);
    pb_hist_record(&f->seconds[0].latency, 200 * US);
    pb_hist_record(&f->seconds[0].latency, 300 * US);
    f->seconds[1].ok = 1;
    f->seconds[1].failed[PB_FAIL_STATUS] = 2;
    pb_hist_record(&f->seconds[1].latency, 2000 * US);
    f->r.seconds = f->seconds;
    f->r.nseconds = 2;
    *state = f;
    return 0;
}

/* Free the fixture. */
static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* The text summary of f, as a malloc'd string. */
static char *capture_text(const struct fixture *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    assert_non_null(m);
    pb_report_text(m, &f->o, &f->r);
    fclose(m);
    return buf;
}

/* The kinds are named as the JSON and the docs name them. */
static void test_fail_names(void **state)
{
    (void)state;
    assert_string_equal(pb_report_fail_name(PB_FAIL_CONNECT), "connect");
    assert_string_equal(pb_report_fail_name(PB_FAIL_SHORT), "short");
    assert_string_equal(pb_report_fail_name(PB_FAIL_STATUS), "status");
    assert_string_equal(pb_report_fail_name(PB_FAIL_KINDS), "?");
}

/* Latencies and byte rates in the unit that suits them. */
static void test_formats(void **state)
{
    char b[32];

    (void)state;
    pb_report_fmt_latency(142.4, b, sizeof(b));
    assert_string_equal(b, "142 us");
    pb_report_fmt_latency(3100, b, sizeof(b));
    assert_string_equal(b, "3.1 ms");
    pb_report_fmt_latency(1200000, b, sizeof(b));
    assert_string_equal(b, "1.20 s");
    pb_report_fmt_rate(512, b, sizeof(b));
    assert_string_equal(b, "512 B/s");
    pb_report_fmt_rate(63.2 * 1024 * 1024, b, sizeof(b));
    assert_string_equal(b, "63.2 MiB/s");
}

/* The summary of the fixed run, line by line. */
static void test_text(void **state)
{
    struct fixture *f = *state;
    char *t = capture_text(f);

    assert_non_null(strstr(t, "preforkbench: http GET /x on 127.0.0.1:8080, closed loop, "
                              "2 connections, 1 thread, keep-alive\n"));
    assert_non_null(strstr(t, "  2.00 s   ok 4   failed 3   2.0 req/s   in 1.5 MiB/s"
                              "   unfinished 1\n"));
    assert_non_null(strstr(t, "  latency  p50 "));
    assert_non_null(strstr(t, "   max 2.0 ms\n"));
    assert_non_null(strstr(t, "  failed   connect 1  reset 0  closed 0  short 0  timeout 0  "
                              "malformed 0  status 2\n"));
    assert_non_null(strstr(t, "  status    404 2\n"));
    assert_null(strstr(t, "interrupted"));
    free(t);
}

/* Open loop, --close, no ok request, interrupted. */
static void test_text_open_loop_no_ok(void **state)
{
    struct fixture *f = *state;
    char *t;

    f->o.rate = 200;
    f->o.close = true;
    f->r.total.ok = 0;
    pb_hist_init(&f->r.total.latency);
    f->r.interrupted = true;
    t = capture_text(f);
    assert_non_null(strstr(t, "open loop at 200 req/s, 2 connections, 1 thread, "
                              "new connection per request\n"));
    assert_non_null(strstr(t, "  latency  (no ok request)\n"));
    assert_non_null(strstr(t, "interrupted"));
    free(t);
}

/* The number at key in j (integer or real). */
static double num(const json_t *j, const char *key)
{
    const json_t *v = json_object_get(j, key);

    if (!json_is_number(v))
        fail_msg("no number at \"%s\"", key);
    return json_number_value(v);
}

/* Every key of the documented object, with the fixed values. */
static void test_json(void **state)
{
    struct fixture *f = *state;
    json_t *j = pb_report_json(&f->o, &f->r), *lat, *err, *codes;

    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "target")), "127.0.0.1:8080");
    assert_string_equal(json_string_value(json_object_get(j, "protocol")), "http");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/x");
    assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
    assert_true(json_is_true(json_object_get(j, "keepalive")));
    assert_string_equal(json_string_value(json_object_get(j, "loop")), "closed");
    assert_true(num(j, "rate") == 0 && num(j, "connections") == 2 && num(j, "threads") == 1);
    assert_true(num(j, "duration_s") == 2.0 && num(j, "warmup_s") == 0);
    assert_true(num(j, "requests") == 7 && num(j, "ok") == 4 && num(j, "failed") == 3);
    assert_true(num(j, "unfinished") == 1 && num(j, "rps") == 2.0);
    assert_true(num(j, "bytes_in") == 3 * 1024 * 1024 && num(j, "bytes_out") == 600);
    assert_true(num(j, "connects") == 3);
    err = json_object_get(j, "errors");
    assert_int_equal(json_object_size(err), PB_FAIL_KINDS);
    assert_true(num(err, "connect") == 1 && num(err, "status") == 2 && num(err, "reset") == 0);
    codes = json_object_get(j, "status_codes");
    assert_int_equal(json_object_size(codes), 2);
    assert_true(num(codes, "200") == 4 && num(codes, "404") == 2);
    lat = json_object_get(j, "latency_us");
    assert_true(num(lat, "min") == 100.0 && num(lat, "max") == 2000.0);
    assert_true(num(lat, "mean") == 650.0);
    assert_true(num(lat, "p50") > 198 && num(lat, "p50") < 202);
    assert_true(num(lat, "p99") == 2000.0 && num(lat, "p99.9") == 2000.0);
    assert_true(json_object_get(lat, "p90") != NULL);
    json_decref(j);
}

/* Written as text: valid JSON, newline-terminated; echo has no path or method. */
static void test_json_echo_written(void **state)
{
    struct fixture *f = *state;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    json_error_t jerr;
    json_t *j;

    f->o.proto = PB_PROTO_ECHO;
    f->o.rate = 50;
    assert_int_equal(pb_report_write_json(m, &f->o, &f->r), 0);
    fclose(m);
    assert_true(len > 0 && buf[len - 1] == '\n');
    j = json_loads(buf, 0, &jerr);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "path")));
    assert_true(json_is_null(json_object_get(j, "method")));
    assert_string_equal(json_string_value(json_object_get(j, "loop")), "open");
    assert_true(num(j, "size") == 64);
    json_decref(j);
    free(buf);
}

/* The header and one row per second, failures by kind. */
static void test_csv(void **state)
{
    struct fixture *f = *state;
    char *buf = NULL, expect[512];
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    /* p50 is its bucket's midpoint: within 0.8 % of 200 us. */
    double p50 = (double)pb_hist_percentile(&f->seconds[0].latency, 50) / US;

    assert_true(p50 > 198 && p50 < 202);
    assert_int_equal(pb_report_write_csv(m, &f->r), 0);
    fclose(m);
    snprintf(expect, sizeof(expect),
             "second,ok,failed,connect,reset,closed,short,timeout,malformed,status,"
             "p50_us,p99_us,max_us\n"
             "1,3,1,1,0,0,0,0,0,0,%.1f,300.0,300.0\n"
             "2,1,2,0,0,0,0,0,0,2,2000.0,2000.0,2000.0\n",
             p50);
    assert_string_equal(buf, expect);
    free(buf);
}

/* No series (a run cut before its first second): the header only. */
static void test_csv_without_rows(void **state)
{
    struct fixture *f = *state;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    f->r.seconds = NULL;
    f->r.nseconds = 0;
    assert_int_equal(pb_report_write_csv(m, &f->r), 0);
    fclose(m);
    assert_int_equal(strchr(buf, '\n') - buf + 1, (long)len); /* the header only */
    free(buf);
}

/* The progress line, measuring and warming up. */
static void test_progress_line(void **state)
{
    struct pb_progress p = {.elapsed_s = 3.2, .planned_s = 10, .ok = 1530, .failed = 2, .rps = 510};
    char b[160];

    (void)state;
    pb_report_progress_line(&p, b, sizeof(b));
    assert_string_equal(b, "preforkbench: 3/10 s  ok 1530  failed 2  510.0 req/s");
    p.warmup = true;
    p.planned_s = 2;
    p.elapsed_s = 1;
    pb_report_progress_line(&p, b, sizeof(b));
    assert_string_equal(b, "preforkbench: warm-up 1/2 s");
}

/* 1 while anything failed, 0 once nothing did. */
static void test_exit_status(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(pb_report_exit_status(&f->r), 1);
    memset(f->r.total.failed, 0, sizeof(f->r.total.failed));
    assert_int_equal(pb_report_exit_status(&f->r), 0);
    assert_int_equal(pb_report_failed(&f->r.total), 0);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_names),
        cmocka_unit_test(test_formats),
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_open_loop_no_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_echo_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_without_rows, setup, teardown),
        cmocka_unit_test(test_progress_line),
        cmocka_unit_test_setup_teardown(test_exit_status, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
