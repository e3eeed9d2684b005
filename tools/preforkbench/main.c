/* preforkbench: the command line, the run, the reports, the exit status.
 * See docs/preforkbench.md and preforkbench(1). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb_engine.h"
#include "pb_opts.h"
#include "pb_report.h"
#include "pf_err.h"
#include "pf_opt.h"
#include "pf_version.h"

#define PB_EXIT_USAGE 2        /* bad options, or the run could not be made */
#define PB_PROGRESS_AUTO_S 3.0 /* --progress by default for runs longer than this */

/* Set by the SIGINT handler: the run stops early and still reports. The
 * only mutable global, as a handler can reach nothing else. */
static volatile sig_atomic_t pb_interrupted;

/* Where the reports go, opened before the run so a bad path costs no run. */
struct pb_outputs {
    FILE *json;          /* --json, or NULL */
    FILE *csv;           /* --csv, or NULL */
    bool text;           /* the text summary on stdout */
    bool progress;       /* the progress line on stderr */
    size_t progress_len; /* length of the progress line shown (to blank it) */
};

/* SIGINT: note it; SA_RESETHAND makes a second one end the program. */
static void pb_on_sigint(int sig)
{
    (void)sig;
    pb_interrupted = 1;
}

/* SIGINT to pb_on_sigint (not restarting: the wait returns at once),
 * SIGPIPE ignored (sockets also use MSG_NOSIGNAL; this covers stdout). */
static void pb_main_signals(void)
{
    struct sigaction sa = {.sa_handler = pb_on_sigint, .sa_flags = SA_RESETHAND};

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* A usage error: the reason, a hint, status 2. */
static int pb_main_usage_error(const char *why)
{
    pf_opt_usage_error(stderr, "preforkbench", why);
    return PB_EXIT_USAGE;
}

/* Open an output: "-" is stdout. NULL with a message if it cannot be. */
static FILE *pb_main_open(const char *option, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

    if (f == NULL)
        fprintf(stderr, "preforkbench: %s %s: %s\n", option, path, strerror(errno));
    return f;
}

/* Open --json and --csv, and decide on the text summary (not when -q, nor
 * when a report goes to stdout) and the progress line. 0 or -1. */
static int pb_main_outputs(const struct pb_opts *o, struct pb_outputs *out)
{
    bool to_stdout = (o->json_path && strcmp(o->json_path, "-") == 0) ||
                     (o->csv_path && strcmp(o->csv_path, "-") == 0);

    *out = (struct pb_outputs){.text = !o->quiet && !to_stdout};
    if (o->json_path && (out->json = pb_main_open("--json", o->json_path)) == NULL)
        return -1;
    if (o->csv_path && (out->csv = pb_main_open("--csv", o->csv_path)) == NULL)
        return -1;
    if (o->progress == PB_PROGRESS_AUTO)
        out->progress = isatty(STDERR_FILENO) && o->warmup_s + o->duration_s > PB_PROGRESS_AUTO_S;
    else
        out->progress = o->progress == PB_PROGRESS_ON;
    return 0;
}

/* The engine's progress callback: rewrite the one line on stderr. */
static void pb_main_progress(const struct pb_progress *p, void *arg)
{
    struct pb_outputs *out = arg;
    char line[160];
    size_t n;

    pb_report_progress_line(p, line, sizeof(line));
    n = strlen(line);
    fprintf(stderr, "\r%s%*s", line, out->progress_len > n ? (int)(out->progress_len - n) : 0, "");
    out->progress_len = n;
}

/* Blank the progress line, leaving the cursor at its start. */
static void pb_main_progress_clear(struct pb_outputs *out)
{
    if (out->progress_len > 0)
        fprintf(stderr, "\r%*s\r", (int)out->progress_len, "");
    out->progress_len = 0;
}

/* Close an output other than stdout; 0, or -1 with a message. */
static int pb_main_close(const char *option, const char *path, FILE *f)
{
    if (f == NULL || f == stdout || fclose(f) == 0)
        return 0;
    fprintf(stderr, "preforkbench: %s %s: %s\n", option, path, strerror(errno));
    return -1;
}

/* Every report asked for. 0, or -1 if one could not be written. */
static int pb_main_report(const struct pb_opts *o, struct pb_outputs *out,
                          const struct pb_result *r)
{
    int rc = 0;

    if (out->text)
        pb_report_text(stdout, o, r);
    if (out->json && pb_report_write_json(out->json, o, r) < 0) {
        fprintf(stderr, "preforkbench: --json %s: cannot write\n", o->json_path);
        rc = -1;
    }
    if (out->csv && pb_report_write_csv(out->csv, r) < 0) {
        fprintf(stderr, "preforkbench: --csv %s: cannot write\n", o->csv_path);
        rc = -1;
    }
    if (pb_main_close("--json", o->json_path, out->json) < 0 ||
        pb_main_close("--csv", o->csv_path, out->csv) < 0)
        rc = -1;
    out->json = out->csv = NULL;
    return rc;
}

/* Parse, open the outputs, run, report; the exit status. */
int main(int argc, char **argv)
{
    struct pb_opts o;
    struct pb_outputs out = {0};
    struct pb_result r;
    char err[PF_ERR_MAX];
    int rc;

    switch (pb_opts_parse(argc, argv, &o, err, sizeof(err))) {
    case PB_OPTS_HELP: pb_opts_usage(stdout); return EXIT_SUCCESS;
    case PB_OPTS_VERSION: printf("preforkbench %s\n", PF_VERSION); return EXIT_SUCCESS;
    case PB_OPTS_ERROR: return pb_main_usage_error(err);
    case PB_OPTS_RUN: break;
    }
    if (pb_main_outputs(&o, &out) < 0) {
        pb_main_close("--json", o.json_path, out.json);
        return PB_EXIT_USAGE;
    }
    pb_main_signals();
    rc = pb_engine_run(&o, &pb_interrupted, out.progress ? pb_main_progress : NULL, &out, &r, err,
                       sizeof(err));
    pb_main_progress_clear(&out);
    if (rc < 0) {
        fprintf(stderr, "preforkbench: %s\n", err);
        pb_main_close("--json", o.json_path, out.json);
        pb_main_close("--csv", o.csv_path, out.csv);
        return PB_EXIT_USAGE;
    }
    rc = pb_main_report(&o, &out, &r) < 0 ? PB_EXIT_USAGE : pb_report_exit_status(&r);
    pb_engine_result_free(&r);
    return rc;
}
