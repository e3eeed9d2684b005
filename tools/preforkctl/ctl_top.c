/* ctl_top: repeat status and workers, redraw. */
#include "ctl_top.h"

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "ctl_format.h"
#include "pf_time.h"

#define TOP_CLEAR "\033[H\033[2J"

static volatile sig_atomic_t top_stop;

/* SIGINT, SIGTERM: end after the current frame. */
static void top_on_signal(int sig)
{
    (void)sig;
    top_stop = 1;
}

/* A counter of the status reply and its value in the previous one. */
struct top_counter {
    const char *group, *sub, *key; /* status.group[.sub].key */
    int64_t last;                  /* -1 none */
};

/* What successive frames share. */
struct top_state {
    bool tty; /* stdout is a terminal */
    bool json;
    int frames;                  /* printed so far */
    int64_t last_ms;             /* monotonic time of the previous status; -1 none */
    struct top_counter requests; /* totals.requests */
    struct top_counter handed;   /* keeper.totals.handed: handoffs back to workers */
};

/* SIGINT and SIGTERM set top_stop; they are blocked except while waiting
 * between frames (ppoll), so none is lost between a check and a wait. */
static void top_signals(sigset_t *waitmask)
{
    struct sigaction sa = {.sa_handler = top_on_signal};
    sigset_t block;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, waitmask);
    sigdelset(waitmask, SIGINT);
    sigdelset(waitmask, SIGTERM);
}

/* Sleep until deadline (monotonic ms) or a signal. */
static void top_wait(int64_t deadline, const sigset_t *waitmask)
{
    while (!top_stop) {
        int ms = pf_time_left_ms(deadline);
        struct timespec ts = pf_time_timespec(ms);

        if (ms <= 0)
            return;
        ppoll(NULL, 0, &ts, waitmask);
    }
}

/* The terminal's size (0: unknown, do not cut). */
static void top_size(int *cols, int *rows)
{
    struct winsize ws;

    *cols = *rows = 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
        *cols = ws.ws_col;
        *rows = ws.ws_row;
    }
}

/* The counter's increase per second since the previous status, over
 * elapsed_ms (-1 before the second status, or when the counter is
 * missing or went back: a new master). */
static double top_rate(struct top_counter *c, const json_t *status, int64_t elapsed_ms)
{
    const json_t *v = json_object_get(status, c->group);
    int64_t value;
    double rate = -1;

    if (c->sub)
        v = json_object_get(v, c->sub);
    v = json_object_get(v, c->key);
    value = json_is_integer(v) ? json_integer_value(v) : -1;
    if (elapsed_ms > 0 && c->last >= 0 && value >= c->last)
        rate = (double)(value - c->last) * 1000.0 / (double)elapsed_ms;
    c->last = value;
    return rate;
}

/* One frame from the two replies. */
static void top_print(struct top_state *t, const json_t *status, const json_t *workers)
{
    int64_t now = pf_time_now_ms(), elapsed = t->last_ms >= 0 ? now - t->last_ms : -1;
    double rps = top_rate(&t->requests, status, elapsed);
    double hps = top_rate(&t->handed, status, elapsed);

    t->last_ms = now;
    if (t->tty) {
        int cols, rows;

        /* header, blank line, table: one line less than the screen, so
         * the cursor's line does not scroll the header away */
        top_size(&cols, &rows);
        fputs(TOP_CLEAR, stdout);
        ctl_print_top_header(stdout, status, time(NULL), rps, hps, cols);
        fputc('\n', stdout);
        ctl_print_workers(stdout, workers, cols, rows > 4 ? rows - 3 : 0);
    } else {
        if (t->frames > 0)
            fputc('\n', stdout);
        ctl_print_workers(stdout, workers, 0, 0);
    }
}

/* Ask for status and workers, print them. */
static int top_frame(struct ctl_conn *c, struct top_state *t, char *err, size_t errlen)
{
    const char *text;
    json_t *status = NULL, *workers = NULL;
    int rc = ctl_conn_request(c, "status", &text, &status, err, errlen);

    if (rc == CTL_EXIT_OK && t->json)
        printf("%s\n", text);
    if (rc == CTL_EXIT_OK)
        rc = ctl_conn_request(c, "workers", &text, &workers, err, errlen);
    if (rc == CTL_EXIT_OK && t->json)
        printf("%s\n", text);
    else if (rc == CTL_EXIT_OK)
        top_print(t, status, workers);
    if (rc == CTL_EXIT_OK)
        t->frames++;
    fflush(stdout);
    json_decref(status);
    json_decref(workers);
    return rc;
}

int ctl_top_run(struct ctl_conn *c, bool json, char *err, size_t errlen)
{
    struct top_state t = {.tty = isatty(STDOUT_FILENO),
                          .json = json,
                          .last_ms = -1,
                          .requests = {"totals", NULL, "requests", -1},
                          .handed = {"keeper", "totals", "handed", -1}};
    sigset_t waitmask;
    int64_t next = pf_time_now_ms();

    top_signals(&waitmask);
    while (!top_stop) {
        int rc = top_frame(c, &t, err, errlen);

        if (rc != CTL_EXIT_OK)
            return rc;
        next += CTL_TOP_INTERVAL_MS;
        if (next < pf_time_now_ms()) /* a slow reply: do not catch up in a burst */
            next = pf_time_now_ms() + CTL_TOP_INTERVAL_MS;
        top_wait(next, &waitmask);
    }
    return CTL_EXIT_OK;
}
