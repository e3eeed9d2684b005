/* pb_opts: preforkbench's command line into a validated struct pb_opts. */
#include "pb_opts.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pf_err.h"
#include "pf_opt.h"

/* Long-only options. */
enum {
    PB_OPT_CLOSE = 256,
    PB_OPT_JSON,
    PB_OPT_CSV,
    PB_OPT_PROGRESS,
    PB_OPT_NO_PROGRESS,
};

static const struct option pb_opt_long[] = {
    {"protocol", required_argument, NULL, 'p'},
    {"path", required_argument, NULL, 'u'},
    {"method", required_argument, NULL, 'm'},
    {"header", required_argument, NULL, 'H'},
    {"close", no_argument, NULL, PB_OPT_CLOSE},
    {"size", required_argument, NULL, 's'},
    {"connections", required_argument, NULL, 'c'},
    {"threads", required_argument, NULL, 't'},
    {"duration", required_argument, NULL, 'd'},
    {"requests", required_argument, NULL, 'n'},
    {"warmup", required_argument, NULL, 'w'},
    {"rate", required_argument, NULL, 'R'},
    {"timeout", required_argument, NULL, 'T'},
    {"json", required_argument, NULL, PB_OPT_JSON},
    {"csv", required_argument, NULL, PB_OPT_CSV},
    {"progress", no_argument, NULL, PB_OPT_PROGRESS},
    {"no-progress", no_argument, NULL, PB_OPT_NO_PROGRESS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Leading ':': a missing value is reported as ':' (not '?'), and getopt
 * prints nothing itself (the caller prints our reason). */
static const char pb_opt_short[] = ":p:u:m:H:s:c:t:d:n:w:R:T:qhV";

/* Which options were given (checked against the protocol at the end). */
struct pb_opt_seen {
    bool path, method, header, size;
};

/* Format a reason into err; returns PB_OPTS_ERROR for the caller's return. */
__attribute__((format(printf, 3, 4))) static pb_opts_action_t pb_opt_fail(char *err, size_t errlen,
                                                                          const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return PB_OPTS_ERROR;
}

/* The long name of the option whose getopt value is val ("connections"). */
static const char *pb_opt_name(int val)
{
    for (const struct option *l = pb_opt_long; l->name != NULL; l++)
        if (l->val == val)
            return l->name;
    return "?";
}

/* A whole decimal number in [min, max]: digits only, no sign, no blanks. */
static int pb_opt_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A decimal number in [min, max] (above min if min_open), finite. */
static int pb_opt_parse_real(const char *text, double min, bool min_open, double max, double *out)
{
    char *end;
    double v;

    if (!(isdigit((unsigned char)text[0]) || text[0] == '.'))
        return -1;
    errno = 0;
    v = strtod(text, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || (min_open && v == min) || v > max)
        return -1;
    *out = v;
    return 0;
}

/* -c, -t, -n, -s: a whole number within bounds, or a reason naming the option. */
static pb_opts_action_t pb_opt_count(int opt, const char *text, uint64_t min, uint64_t max,
                                     uint64_t *out, char *err, size_t errlen)
{
    if (pb_opt_parse_uint(text, min, max, out) == 0)
        return PB_OPTS_RUN;
    return pb_opt_fail(err, errlen,
                       "--%s: expected a whole number from %llu to %llu, not \"%.40s\"",
                       pb_opt_name(opt), (unsigned long long)min, (unsigned long long)max, text);
}

/* -d, -w, -T, -R: a decimal number within bounds, or a reason. */
static pb_opts_action_t pb_opt_number(int opt, const char *text, double min, bool min_open,
                                      double max, double *out, char *err, size_t errlen)
{
    if (pb_opt_parse_real(text, min, min_open, max, out) == 0)
        return PB_OPTS_RUN;
    return pb_opt_fail(err, errlen, "--%s: expected a number %s %g and at most %g, not \"%.40s\"",
                       pb_opt_name(opt), min_open ? "above" : "from", min, max, text);
}

/* -p: http, echo or msg. */
static pb_opts_action_t pb_opt_protocol(const char *text, struct pb_opts *o, char *err,
                                        size_t errlen)
{
    static const pb_proto_t all[] = {PB_PROTO_HTTP, PB_PROTO_ECHO, PB_PROTO_MSG};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(text, pb_opts_proto_name(all[i])) == 0) {
            o->proto = all[i];
            return PB_OPTS_RUN;
        }
    }
    return pb_opt_fail(err, errlen, "--protocol: expected http, echo or msg, not \"%.40s\"", text);
}

/* -u: an absolute path of visible ASCII (it goes into the request line). */
static pb_opts_action_t pb_opt_path(const char *text, struct pb_opts *o, char *err, size_t errlen)
{
    size_t n = strlen(text);

    if (text[0] != '/')
        return pb_opt_fail(err, errlen, "--path: must start with '/', not \"%.40s\"", text);
    if (n > PB_OPTS_MAX_PATH)
        return pb_opt_fail(err, errlen, "--path: longer than %d bytes", PB_OPTS_MAX_PATH);
    for (size_t i = 0; i < n; i++)
        if (text[i] <= ' ' || text[i] > '~')
            return pb_opt_fail(err, errlen,
                               "--path: only visible ASCII characters (no blanks; "
                               "percent-encode the others)");
    o->path = text;
    return PB_OPTS_RUN;
}

/* -m: GET or HEAD. */
static pb_opts_action_t pb_opt_method(const char *text, struct pb_opts *o, char *err, size_t errlen)
{
    if (strcmp(text, "GET") == 0 || strcmp(text, "HEAD") == 0) {
        o->head = text[0] == 'H';
        return PB_OPTS_RUN;
    }
    return pb_opt_fail(err, errlen, "--method: expected GET or HEAD, not \"%.40s\"", text);
}

/* -H "Name: value": a token before the ':', no CR or LF anywhere, at most
 * PB_OPTS_MAX_HEADERS of them. A Host header replaces the one sent by default. */
static pb_opts_action_t pb_opt_header(const char *text, struct pb_opts *o, char *err, size_t errlen)
{
    const char *colon = strchr(text, ':');
    size_t name_len = colon ? (size_t)(colon - text) : 0;

    if (o->nheaders == PB_OPTS_MAX_HEADERS)
        return pb_opt_fail(err, errlen, "--header: at most %d headers", PB_OPTS_MAX_HEADERS);
    if (colon == NULL)
        return pb_opt_fail(err, errlen, "--header: expected \"Name: value\", not \"%.40s\"", text);
    if (name_len == 0 || strcspn(text, " \t()<>@,;\"/[]?={}") < name_len)
        return pb_opt_fail(err, errlen, "--header: \"%.*s\" is not a header name",
                           (int)(name_len > 40 ? 40 : name_len), text);
    for (const char *p = text; *p; p++)
        if ((unsigned char)*p < ' ' && *p != '\t')
            return pb_opt_fail(err, errlen, "--header: control characters are not allowed");
    if (name_len == 4 && strncasecmp(text, "host", 4) == 0)
        o->host_header = true;
    o->headers[o->nheaders++] = text;
    return PB_OPTS_RUN;
}

/* One option of the options that take counts. */
static pb_opts_action_t pb_opt_counts(int c, const char *arg, struct pb_opts *o, char *err,
                                      size_t errlen)
{
    uint64_t v = 0;
    pb_opts_action_t rc;

    switch (c) {
    case 'c':
        rc = pb_opt_count(c, arg, 1, PB_OPTS_MAX_CONNECTIONS, &v, err, errlen);
        o->connections = (int)v;
        return rc;
    case 't':
        rc = pb_opt_count(c, arg, 1, PB_OPTS_MAX_THREADS, &v, err, errlen);
        o->threads = (int)v;
        return rc;
    case 'n': return pb_opt_count(c, arg, 1, UINT64_C(1) << 53, &o->requests, err, errlen);
    default:
        rc = pb_opt_count(c, arg, 0, PB_OPTS_MAX_SIZE, &v, err, errlen);
        o->size = (size_t)v;
        return rc;
    }
}

/* One option of the options that take seconds or a rate. */
static pb_opts_action_t pb_opt_times(int c, const char *arg, struct pb_opts *o, char *err,
                                     size_t errlen)
{
    switch (c) {
    case 'd':
        return pb_opt_number(c, arg, 0, true, PB_OPTS_MAX_SECONDS, &o->duration_s, err, errlen);
    case 'w':
        return pb_opt_number(c, arg, 0, false, PB_OPTS_MAX_SECONDS, &o->warmup_s, err, errlen);
    case 'R': return pb_opt_number(c, arg, 0, true, PB_OPTS_MAX_RATE, &o->rate, err, errlen);
    default: return pb_opt_number(c, arg, 0, true, PB_OPTS_MAX_TIMEOUT, &o->timeout_s, err, errlen);
    }
}

/* getopt's complaint, in the words the three programs share. */
static pb_opts_action_t pb_opt_getopt_error(int c, char **argv, char *err, size_t errlen)
{
    pf_opt_complaint(c, argv, err, errlen);
    return PB_OPTS_ERROR;
}

/* One option c (with its value arg). PB_OPTS_RUN to go on. */
static pb_opts_action_t pb_opt_one(int c, const char *arg, struct pb_opts *o,
                                   struct pb_opt_seen *seen, char *err, size_t errlen)
{
    switch (c) {
    case 'p': return pb_opt_protocol(arg, o, err, errlen);
    case 'u': seen->path = true; return pb_opt_path(arg, o, err, errlen);
    case 'm': seen->method = true; return pb_opt_method(arg, o, err, errlen);
    case 'H': seen->header = true; return pb_opt_header(arg, o, err, errlen);
    case 's': seen->size = true; return pb_opt_counts(c, arg, o, err, errlen);
    case 'c':
    case 't':
    case 'n': return pb_opt_counts(c, arg, o, err, errlen);
    case 'd':
    case 'w':
    case 'R':
    case 'T': return pb_opt_times(c, arg, o, err, errlen);
    case PB_OPT_CLOSE: o->close = true; return PB_OPTS_RUN;
    case PB_OPT_JSON: o->json_path = arg; return PB_OPTS_RUN;
    case PB_OPT_CSV: o->csv_path = arg; return PB_OPTS_RUN;
    case PB_OPT_PROGRESS: o->progress = PB_PROGRESS_ON; return PB_OPTS_RUN;
    case PB_OPT_NO_PROGRESS: o->progress = PB_PROGRESS_OFF; return PB_OPTS_RUN;
    case 'q': o->quiet = true; return PB_OPTS_RUN;
    case 'h': return PB_OPTS_HELP;
    case 'V': return PB_OPTS_VERSION;
    default: return PB_OPTS_ERROR;
    }
}

/* HOST:PORT through pf_addr_parse; port 0 cannot be connected to. */
static pb_opts_action_t pb_opt_target(const char *text, struct pb_opts *o, char *err, size_t errlen)
{
    char why[PF_ERR_MAX];

    if (pf_addr_parse(text, &o->addr, why, sizeof(why)) < 0)
        return pb_opt_fail(err, errlen, "HOST:PORT \"%.60s\": %s", text, why);
    if (pf_addr_port((const struct sockaddr *)&o->addr.ss) == 0)
        return pb_opt_fail(err, errlen, "HOST:PORT \"%.60s\": port 0 cannot be connected to", text);
    pf_addr_format((const struct sockaddr *)&o->addr.ss, o->target, sizeof(o->target));
    return PB_OPTS_RUN;
}

/* Options valid one by one but not together. */
static pb_opts_action_t pb_opt_check(const struct pb_opts *o, const struct pb_opt_seen *seen,
                                     char *err, size_t errlen)
{
    const char *http_only = seen->path     ? "--path"
                            : seen->method ? "--method"
                            : seen->header ? "--header"
                                           : NULL;

    if (o->proto != PB_PROTO_HTTP && http_only != NULL)
        return pb_opt_fail(err, errlen, "%s: only with --protocol http", http_only);
    if (o->proto == PB_PROTO_HTTP && seen->size)
        return pb_opt_fail(err, errlen, "--size: only with --protocol echo or msg");
    if (o->proto == PB_PROTO_ECHO && o->size == 0)
        return pb_opt_fail(err, errlen, "--size: an echo line has at least 1 byte (its \\n)");
    if (o->threads > o->connections)
        return pb_opt_fail(err, errlen,
                           "--threads: %d threads for %d connections "
                           "(at most one thread per connection)",
                           o->threads, o->connections);
    if (o->csv_path != NULL && o->duration_s > PB_OPTS_MAX_CSV_SECONDS)
        return pb_opt_fail(err, errlen, "--csv: at most %g seconds of --duration",
                           PB_OPTS_MAX_CSV_SECONDS);
    if (o->csv_path != NULL && o->json_path != NULL && strcmp(o->csv_path, "-") == 0 &&
        strcmp(o->json_path, "-") == 0)
        return pb_opt_fail(err, errlen, "--csv: --json already writes to standard output");
    return PB_OPTS_RUN;
}

/* The defaults of docs/preforkbench.md's option table. */
void pb_opts_defaults(struct pb_opts *o)
{
    *o = (struct pb_opts){
        .proto = PB_PROTO_HTTP,
        .path = "/",
        .size = 64,
        .connections = 8,
        .threads = 1,
        .duration_s = 10.0,
        .timeout_s = 5.0,
        .progress = PB_PROGRESS_AUTO,
    };
}

/* Every option in turn, then the one HOST:PORT, then the checks that
 * need several options at once. */
pb_opts_action_t pb_opts_parse(int argc, char **argv, struct pb_opts *o, char *err, size_t errlen)
{
    struct pb_opt_seen seen = {0};
    pb_opts_action_t rc = PB_OPTS_RUN;
    int c;

    pb_opts_defaults(o);
    optind = 0; /* glibc: a full reset, so every call starts afresh */
    opterr = 0;
    while (rc == PB_OPTS_RUN &&
           (c = getopt_long(argc, argv, pb_opt_short, pb_opt_long, NULL)) != -1)
        rc = (c == '?' || c == ':') ? pb_opt_getopt_error(c, argv, err, errlen)
                                    : pb_opt_one(c, optarg, o, &seen, err, errlen);
    if (rc != PB_OPTS_RUN)
        return rc;
    if (optind >= argc)
        return pb_opt_fail(err, errlen, "no HOST:PORT given");
    if (optind + 1 < argc)
        return pb_opt_fail(err, errlen, "one HOST:PORT only (\"%.40s\" is extra)",
                           argv[optind + 1]);
    rc = pb_opt_target(argv[optind], o, err, errlen);
    return rc == PB_OPTS_RUN ? pb_opt_check(o, &seen, err, errlen) : rc;
}

/* The protocol's name as -p spells it (the report prints it too). */
const char *pb_opts_proto_name(pb_proto_t proto)
{
    switch (proto) {
    case PB_PROTO_HTTP: return "http";
    case PB_PROTO_ECHO: return "echo";
    case PB_PROTO_MSG: return "msg";
    }
    return "?";
}

/* --help: the options in short; docs/preforkbench.md has the details. */
void pb_opts_usage(FILE *out)
{
    fputs("Usage: preforkbench [OPTIONS] HOST:PORT\n"
          "Drive load at a server and count the outcome of every request.\n"
          "\n"
          "  -p, --protocol http|echo|msg  what to send (default http)\n"
          "  -u, --path PATH        http: the URL path (default /)\n"
          "  -m, --method GET|HEAD  http: the method (default GET)\n"
          "  -H, --header \"N: v\"    http: an extra header (repeatable, at most 16)\n"
          "      --close            a new connection for every request\n"
          "  -s, --size BYTES       echo/msg: message size (default 64)\n"
          "  -c, --connections N    connections in all (default 8)\n"
          "  -t, --threads N        threads (default 1)\n"
          "  -d, --duration SECONDS measured part (default 10)\n"
          "  -n, --requests N       stop after N counted requests\n"
          "  -w, --warmup SECONDS   load before the measured part, not counted\n"
          "  -R, --rate N           open loop at N requests/s in all\n"
          "  -T, --timeout SECONDS  a reply not complete after this fails (default 5)\n"
          "      --json FILE        the summary as JSON (- = standard output)\n"
          "      --csv FILE         the per-second series as CSV (- = standard output)\n"
          "      --progress, --no-progress  the progress line on standard error\n"
          "  -q, --quiet            no text summary\n"
          "  -h, --help             print this help and exit\n"
          "  -V, --version          print the version and exit\n"
          "\n"
          "Exit status: 0 every counted request was ok; 1 some failed;\n"
          "2 bad options, or the run could not be made.\n",
          out);
}
