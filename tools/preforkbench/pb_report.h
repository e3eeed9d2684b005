/*
 * pb_report: a run's result as people and scripts read it
 * (docs/preforkbench.md, "Output"): the text summary, the --json object,
 * the --csv series, the progress line, the exit status.
 *
 * Pure formatting: a result and the options in, text out to the FILE or
 * buffer given. No clock, no other I/O, so tests can render fixed results.
 */
#ifndef PB_REPORT_H
#define PB_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "pb_opts.h"
#include "pb_result.h"

/* The name of a failure kind, as the report and the JSON spell it ("connect"). */
const char *pb_report_fail_name(pb_fail_t kind);

/* Failed requests of every kind. */
uint64_t pb_report_failed(const struct pb_counts *c);

/* A latency in microseconds for people: "142 us", "3.1 ms", "1.20 s". */
void pb_report_fmt_latency(double us, char *buf, size_t size);

/* A rate of bytes per second for people: "512 B/s", "63.2 MiB/s". */
void pb_report_fmt_rate(double bytes_per_s, char *buf, size_t size);

/* The text summary: the run line, totals, latency, failures by kind. */
void pb_report_text(FILE *out, const struct pb_opts *o, const struct pb_result *r);

/* The --json object (the caller owns it: json_decref). NULL if out of memory. */
json_t *pb_report_json(const struct pb_opts *o, const struct pb_result *r);

/* pb_report_json, indented, with a final newline. 0, or -1 on a write error. */
int pb_report_write_json(FILE *out, const struct pb_opts *o, const struct pb_result *r);

/* The --csv series: a header line, then one row per second. 0, or -1 on a
 * write error. */
int pb_report_write_csv(FILE *out, const struct pb_result *r);

/* The progress line, without line end or '\r', into buf. */
void pb_report_progress_line(const struct pb_progress *p, char *buf, size_t size);

/* 0 if every counted request was ok, 1 if any failed. */
int pb_report_exit_status(const struct pb_result *r);

#endif
