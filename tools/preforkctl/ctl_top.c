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

/* What successive frames share. */
struct top_state {
    bool tty; /* stdout is a terminal */
    bool json;
    int frames;            /* printed so far */
    int64_t last_ms;       /* monotonic time of the previous status; -1 none */
    int64_t last_requests; /* its totals.requests */
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

/* Requests per second since the previous status (-1 before the second). */
static double top_rate(struct top_state *t, const json_t *status)
{
    json_t *v = json_object_get(json_object_get(status, "totals"), "requests");
    int64_t now = pf_time_now_ms(), req = json_is_integer(v) ? json_integer_value(v) : -1;
    double rps = -1;

    if (t->last_ms >= 0 && now > t->last_ms && req >= t->last_requests && req >= 0)
        rps = (double)(req - t->last_requests) * 1000.0 / (double)(now - t->last_ms);
    t->last_ms = now;
    t->last_requests = req;
    return rps;
}

/* One frame from the two replies. */
static void top_print(struct top_state *t, const json_t *status, const json_t *workers)
{
    double rps = top_rate(t, status);

    if (t->tty) {
        int cols, rows;

        /* header, blank line, table: one line less than the screen, so
         * the cursor's line does not scroll the header away */
        top_size(&cols, &rows);
        fputs(TOP_CLEAR, stdout);
        ctl_print_top_header(stdout, status, time(NULL), rps, cols);
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
    struct top_state t = {.tty = isatty(STDOUT_FILENO), .json = json, .last_ms = -1};
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
