/* pb_report: the text summary, JSON, CSV and progress line of a run. */
#include "pb_report.h"

#include <inttypes.h>
#include <string.h>

/* The percentiles the summary and the JSON report, with their JSON keys. */
static const struct {
    double pct;
    const char *key;
} pb_rep_pcts[] = {{50, "p50"}, {90, "p90"}, {99, "p99"}, {99.9, "p99.9"}};

#define PB_REP_NPCTS (sizeof(pb_rep_pcts) / sizeof(pb_rep_pcts[0]))

/* Nanoseconds to the microseconds every output uses. */
static double pb_rep_us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

/* "s" when n is not 1: "1 thread", "2 threads". */
static const char *pb_rep_plural(long long n)
{
    return n == 1 ? "" : "s";
}

/* ok per second of measured time (0 when no time elapsed). */
static double pb_rep_rps(const struct pb_result *r)
{
    return r->elapsed_s > 0 ? (double)r->total.ok / r->elapsed_s : 0.0;
}

/* The failure names, in pb_fail_t order. */
const char *pb_report_fail_name(pb_fail_t kind)
{
    static const char *const names[PB_FAIL_KINDS] = {
        "connect", "reset", "closed", "short", "timeout", "malformed", "status",
    };

    return (unsigned)kind < PB_FAIL_KINDS ? names[kind] : "?";
}

/* The sum over the kinds: what "failed" means everywhere. */
uint64_t pb_report_failed(const struct pb_counts *c)
{
    uint64_t n = 0;

    for (int k = 0; k < PB_FAIL_KINDS; k++)
        n += c->failed[k];
    return n;
}

/* Three significant-ish digits in the unit that suits the value. */
void pb_report_fmt_latency(double us, char *buf, size_t size)
{
    if (us < 1000.0)
        snprintf(buf, size, "%.0f us", us);
    else if (us < 1000000.0)
        snprintf(buf, size, "%.1f ms", us / 1000.0);
    else
        snprintf(buf, size, "%.2f s", us / 1000000.0);
}

/* Binary units, as preforkctl prints byte counts. */
void pb_report_fmt_rate(double bytes_per_s, char *buf, size_t size)
{
    static const char *const units[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
    size_t u = 0;

    while (bytes_per_s >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        bytes_per_s /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%.0f %s", bytes_per_s, units[u]);
    else
        snprintf(buf, size, "%.1f %s", bytes_per_s, units[u]);
}

/* "http GET /" or "echo 64 bytes": what each request is. */
static void pb_rep_what(const struct pb_opts *o, char *buf, size_t size)
{
    if (o->proto == PB_PROTO_HTTP)
        snprintf(buf, size, "http %s %s", o->head ? "HEAD" : "GET", o->path);
    else
        snprintf(buf, size, "%s %zu byte%s", pb_opts_proto_name(o->proto), o->size,
                 pb_rep_plural((long long)o->size));
}

/* The first line: what was run against what, and how. */
static void pb_rep_text_head(FILE *out, const struct pb_opts *o)
{
    char what[PB_OPTS_MAX_PATH + 32];

    pb_rep_what(o, what, sizeof(what));
    fprintf(out, "preforkbench: %s on %s, ", what, o->target);
    if (o->rate > 0)
        fprintf(out, "open loop at %g req/s", o->rate);
    else
        fprintf(out, "closed loop");
    fprintf(out, ", %d connection%s, %d thread%s, %s", o->connections,
            pb_rep_plural(o->connections), o->threads, pb_rep_plural(o->threads),
            o->close ? "new connection per request" : "keep-alive");
    if (o->warmup_s > 0)
        fprintf(out, ", %g s warm-up", o->warmup_s);
    fputc('\n', out);
}

/* The totals line, and the latency line of the ok requests. */
static void pb_rep_text_totals(FILE *out, const struct pb_result *r)
{
    const pb_hist_t *h = &r->total.latency;
    char rate[32], v[32];

    pb_report_fmt_rate(r->elapsed_s > 0 ? (double)r->total.bytes_in / r->elapsed_s : 0, rate,
                       sizeof(rate));
    fprintf(out, "  %.2f s   ok %" PRIu64 "   failed %" PRIu64 "   %.1f req/s   in %s",
            r->elapsed_s, r->total.ok, pb_report_failed(&r->total), pb_rep_rps(r), rate);
    if (r->total.unfinished > 0)
        fprintf(out, "   unfinished %" PRIu64, r->total.unfinished);
    fputc('\n', out);
    if (h->total == 0) {
        fprintf(out, "  latency  (no ok request)\n");
        return;
    }
    fprintf(out, "  latency ");
    for (size_t i = 0; i < PB_REP_NPCTS; i++) {
        pb_report_fmt_latency(pb_rep_us(pb_hist_percentile(h, pb_rep_pcts[i].pct)), v, sizeof(v));
        fprintf(out, "%s%s %s", i ? "   " : " ", pb_rep_pcts[i].key, v);
    }
    pb_report_fmt_latency(pb_rep_us(h->max), v, sizeof(v));
    fprintf(out, "   max %s\n", v);
}

/* The failures by kind, and the codes behind `status` failures if any. */
static void pb_rep_text_failures(FILE *out, const struct pb_result *r)
{
    fprintf(out, "  failed  ");
    for (int k = 0; k < PB_FAIL_KINDS; k++)
        fprintf(out, "%s%s %" PRIu64, k ? "  " : " ", pb_report_fail_name((pb_fail_t)k),
                r->total.failed[k]);
    fputc('\n', out);
    if (r->total.failed[PB_FAIL_STATUS] == 0)
        return;
    fprintf(out, "  status  ");
    for (int i = 0; i < PB_STATUS_CODES; i++) {
        int code = PB_STATUS_MIN + i;
        if (r->total.status[i] > 0 && (code < 200 || code > 399))
            fprintf(out, "  %d %" PRIu64, code, r->total.status[i]);
    }
    fputc('\n', out);
}

/* The summary of docs/preforkbench.md, "Output". */
void pb_report_text(FILE *out, const struct pb_opts *o, const struct pb_result *r)
{
    pb_rep_text_head(out, o);
    pb_rep_text_totals(out, r);
    pb_rep_text_failures(out, r);
    if (r->interrupted)
        fprintf(out, "  interrupted: the measured part was cut short\n");
}

/* json_object_set_new that remembers a failure in *ok. */
static void pb_rep_set(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (value == NULL || json_object_set_new(obj, key, value) < 0)
        *ok = false;
}

/* "errors": every kind, zeros included. */
static json_t *pb_rep_json_errors(const struct pb_counts *c, bool *ok)
{
    json_t *e = json_object();

    for (int k = 0; e != NULL && k < PB_FAIL_KINDS; k++)
        pb_rep_set(e, pb_report_fail_name((pb_fail_t)k), json_integer((json_int_t)c->failed[k]),
                   ok);
    return e;
}

/* "status_codes": the codes seen, as string keys ("200"). */
static json_t *pb_rep_json_codes(const struct pb_counts *c, bool *ok)
{
    json_t *s = json_object();
    char key[8];

    for (int i = 0; s != NULL && i < PB_STATUS_CODES; i++) {
        if (c->status[i] == 0)
            continue;
        snprintf(key, sizeof(key), "%d", PB_STATUS_MIN + i);
        pb_rep_set(s, key, json_integer((json_int_t)c->status[i]), ok);
    }
    return s;
}

/* "latency_us": min, mean, the percentiles, max; zeros when no ok. */
static json_t *pb_rep_json_latency(const pb_hist_t *h, bool *ok)
{
    json_t *l = json_object();
    bool empty = h->total == 0;

    if (l == NULL)
        return NULL;
    pb_rep_set(l, "min", json_real(empty ? 0 : pb_rep_us(h->min)), ok);
    pb_rep_set(l, "mean", json_real(pb_hist_mean(h) / 1000.0), ok);
    for (size_t i = 0; i < PB_REP_NPCTS; i++)
        pb_rep_set(l, pb_rep_pcts[i].key,
                   json_real(pb_rep_us(pb_hist_percentile(h, pb_rep_pcts[i].pct))), ok);
    pb_rep_set(l, "max", json_real(pb_rep_us(h->max)), ok);
    return l;
}

/* The run's settings: target to duration. */
static void pb_rep_json_settings(json_t *j, const struct pb_opts *o, const struct pb_result *r,
                                 bool *ok)
{
    bool http = o->proto == PB_PROTO_HTTP;

    pb_rep_set(j, "target", json_string(o->target), ok);
    pb_rep_set(j, "protocol", json_string(pb_opts_proto_name(o->proto)), ok);
    pb_rep_set(j, "path", http ? json_string(o->path) : json_null(), ok);
    pb_rep_set(j, "method", http ? json_string(o->head ? "HEAD" : "GET") : json_null(), ok);
    pb_rep_set(j, "keepalive", json_boolean(!o->close), ok);
    pb_rep_set(j, "loop", json_string(o->rate > 0 ? "open" : "closed"), ok);
    pb_rep_set(j, "rate", json_real(o->rate), ok);
    pb_rep_set(j, "connections", json_integer(o->connections), ok);
    pb_rep_set(j, "threads", json_integer(o->threads), ok);
    pb_rep_set(j, "size", json_integer((json_int_t)o->size), ok);
    pb_rep_set(j, "warmup_s", json_real(o->warmup_s), ok);
    pb_rep_set(j, "duration_s", json_real(r->elapsed_s), ok);
}

/* The counters: requests to connects. */
static void pb_rep_json_counts(json_t *j, const struct pb_result *r, bool *ok)
{
    const struct pb_counts *c = &r->total;
    uint64_t failed = pb_report_failed(c);

    pb_rep_set(j, "requests", json_integer((json_int_t)(c->ok + failed)), ok);
    pb_rep_set(j, "ok", json_integer((json_int_t)c->ok), ok);
    pb_rep_set(j, "failed", json_integer((json_int_t)failed), ok);
    pb_rep_set(j, "unfinished", json_integer((json_int_t)c->unfinished), ok);
    pb_rep_set(j, "rps", json_real(pb_rep_rps(r)), ok);
    pb_rep_set(j, "bytes_in", json_integer((json_int_t)c->bytes_in), ok);
    pb_rep_set(j, "bytes_out", json_integer((json_int_t)c->bytes_out), ok);
    pb_rep_set(j, "errors", pb_rep_json_errors(c, ok), ok);
    pb_rep_set(j, "status_codes", pb_rep_json_codes(c, ok), ok);
    pb_rep_set(j, "latency_us", pb_rep_json_latency(&c->latency, ok), ok);
    pb_rep_set(j, "connects", json_integer((json_int_t)c->connects), ok);
    pb_rep_set(j, "interrupted", json_boolean(r->interrupted), ok);
}

/* The object of docs/preforkbench.md, keys in its order. */
json_t *pb_report_json(const struct pb_opts *o, const struct pb_result *r)
{
    json_t *j = json_object();
    bool ok = j != NULL;

    if (ok)
        pb_rep_json_settings(j, o, r, &ok);
    if (ok)
        pb_rep_json_counts(j, r, &ok);
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Indented, keys in insertion order, newline-terminated; reals with 12
 * significant digits (nanosecond latencies, without binary noise). */
int pb_report_write_json(FILE *out, const struct pb_opts *o, const struct pb_result *r)
{
    const size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12);
    json_t *j = pb_report_json(o, r);
    int rc = j == NULL ? -1 : json_dumpf(j, out, flags);

    json_decref(j);
    if (rc == 0 && fputc('\n', out) == EOF)
        rc = -1;
    return rc == 0 && fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* One CSV row: second (from 1), counts, latency of its ok requests. */
static void pb_rep_csv_row(FILE *out, size_t index, const struct pb_second *s)
{
    const pb_hist_t *h = &s->latency;
    uint64_t failed = 0;

    for (int k = 0; k < PB_FAIL_KINDS; k++)
        failed += s->failed[k];
    fprintf(out, "%zu,%" PRIu64 ",%" PRIu64, index + 1, s->ok, failed);
    for (int k = 0; k < PB_FAIL_KINDS; k++)
        fprintf(out, ",%" PRIu64, s->failed[k]);
    fprintf(out, ",%.1f,%.1f,%.1f\n", pb_rep_us(pb_hist_percentile(h, 50)),
            pb_rep_us(pb_hist_percentile(h, 99)), pb_rep_us(h->max));
}

/* The series of docs/preforkbench.md: header, one row per second. */
int pb_report_write_csv(FILE *out, const struct pb_result *r)
{
    fprintf(out, "second,ok,failed");
    for (int k = 0; k < PB_FAIL_KINDS; k++)
        fprintf(out, ",%s", pb_report_fail_name((pb_fail_t)k));
    fprintf(out, ",p50_us,p99_us,max_us\n");
    for (size_t i = 0; r->seconds != NULL && i < r->nseconds; i++)
        pb_rep_csv_row(out, i, &r->seconds[i]);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* "preforkbench: 3.0/10 s  ok 1530  failed 0  510.0 req/s", or the warm-up. */
void pb_report_progress_line(const struct pb_progress *p, char *buf, size_t size)
{
    if (p->warmup)
        snprintf(buf, size, "preforkbench: warm-up %.0f/%g s", p->elapsed_s, p->planned_s);
    else
        snprintf(buf, size,
                 "preforkbench: %.0f/%g s  ok %" PRIu64 "  failed %" PRIu64 "  %.1f req/s",
                 p->elapsed_s, p->planned_s, p->ok, p->failed, p->rps);
}

/* docs/preforkbench.md, "Exit status": 1 as soon as one request failed. */
int pb_report_exit_status(const struct pb_result *r)
{
    return pb_report_failed(&r->total) > 0 ? 1 : 0;
}
