/* ctl_top: repeat status and workers, redraw. */
#include "ctl_top.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl_format.h"
#include "pf_time.h"

#define TOP_CLEAR "\033[H\033[2J"

static volatile sig_atomic_t top_stop;    /* SIGINT, SIGTERM, or q typed */
static volatile sig_atomic_t top_suspend; /* SIGTSTP (Ctrl-Z) with the keyboard read */

/* SIGINT, SIGTERM: end after the current frame; SIGTSTP: stop once the
 * terminal is given back its modes (top_keys_suspend). */
static void top_on_signal(int sig)
{
    if (sig == SIGTSTP)
        top_suspend = 1;
    else
        top_stop = 1;
}

/* The keyboard: standard input when it is the terminal of the foreground
 * job, switched to non-canonical mode without echo while top runs, so
 * that one key (q) quits without Enter and typed keys do not write over
 * the frame. Its modes are given back on every way out. */
struct top_keys {
    bool raw;             /* the terminal is in our mode: saved is to restore */
    bool watch;           /* poll it for keys (false after end of file) */
    struct termios saved; /* its modes before */
};

/* Our mode: keys one by one, not echoed; Ctrl-C still sends SIGINT. */
static void top_keys_raw(struct top_keys *k)
{
    struct termios raw = k->saved;

    raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    k->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    k->watch = k->raw;
}

/* Read the keyboard only in the foreground: a background job changing
 * the terminal's modes would be stopped (SIGTTOU), and reading it too. */
static void top_keys_open(struct top_keys *k)
{
    k->raw = k->watch = false;
    if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp() &&
        tcgetattr(STDIN_FILENO, &k->saved) == 0)
        top_keys_raw(k);
}

/* Give the terminal its modes back. */
static void top_keys_close(struct top_keys *k)
{
    if (k->raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &k->saved);
    k->raw = false;
}

/* Ctrl-Z: the terminal's modes back, stop; once continued (fg), ours
 * again. */
static void top_keys_suspend(struct top_keys *k)
{
    top_suspend = 0;
    top_keys_close(k);
    raise(SIGSTOP);
    top_keys_open(k);
}

/* Keys typed: q (or Q) ends top; others are ignored. End of file or an
 * error (the terminal hung up) ends the watch, not top. */
static void top_keys_read(struct top_keys *k)
{
    char buf[64];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

    if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
        k->watch = false;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == 'q' || buf[i] == 'Q')
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
    struct top_keys keys;
    int frames;                  /* printed so far */
    int64_t last_ms;             /* monotonic time of the previous status; -1 none */
    struct top_counter requests; /* totals.requests */
    struct top_counter handed;   /* keeper.totals.handed: handoffs back to workers */
};

/* SIGINT, SIGTERM and SIGTSTP are blocked except while waiting between
 * frames (ppoll), so none is lost between a check and a wait; they are
 * blocked before the keyboard is switched to our mode, so none can end
 * the process before its modes are given back. SIGINT and SIGTERM set
 * top_stop; SIGTSTP sets top_suspend when the keyboard is read (else it
 * stops the process as usual). */
static void top_signals(struct top_keys *k, sigset_t *waitmask)
{
    struct sigaction sa = {.sa_handler = top_on_signal};
    sigset_t block;

    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGTSTP);
    sigprocmask(SIG_BLOCK, &block, waitmask);
    sigdelset(waitmask, SIGINT);
    sigdelset(waitmask, SIGTERM);
    sigdelset(waitmask, SIGTSTP);
    top_keys_open(k);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (k->raw)
        sigaction(SIGTSTP, &sa, NULL);
}

/* Sleep until deadline (monotonic ms), a signal, or q; a suspension
 * (Ctrl-Z) returns at once, for a new frame once continued. */
static void top_wait(struct top_keys *k, int64_t deadline, const sigset_t *waitmask)
{
    while (!top_stop) {
        int ms = pf_time_left_ms(deadline);
        struct timespec ts = pf_time_timespec(ms);
        struct pollfd key = {.fd = k->watch ? STDIN_FILENO : -1, .events = POLLIN};

        if (ms <= 0)
            return;
        if (ppoll(&key, 1, &ts, waitmask) > 0)
            top_keys_read(k);
        if (top_suspend) {
            top_keys_suspend(k);
            return;
        }
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

        int header;

        /* header, blank line, table: one line less than the screen, so
         * the cursor's line does not scroll the header away */
        top_size(&cols, &rows);
        fputs(TOP_CLEAR, stdout);
        header = ctl_print_top_header(stdout, status, time(NULL), rps, hps, cols);
        fputc('\n', stdout);
        ctl_print_workers(stdout, workers, cols, rows > header + 3 ? rows - header - 2 : 0);
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
    int rc = CTL_EXIT_OK;

    top_signals(&t.keys, &waitmask);
    while (!top_stop && rc == CTL_EXIT_OK) {
        rc = top_frame(c, &t, err, errlen);
        next += CTL_TOP_INTERVAL_MS;
        if (next < pf_time_now_ms()) /* a slow reply: do not catch up in a burst */
            next = pf_time_now_ms() + CTL_TOP_INTERVAL_MS;
        if (rc == CTL_EXIT_OK)
            top_wait(&t.keys, next, &waitmask);
    }
    top_keys_close(&t.keys);
    return rc;
}
