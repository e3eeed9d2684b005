/*
 * pb_conn: one client connection of preforkbench and the request it
 * carries, as a small state machine (docs/preforkbench.md, "How it works",
 * "Connections"):
 *
 *   idle -> connecting -> active -> idle           (keep-alive: the next request)
 *                           |   -> closing -> idle (the server said Connection: close)
 *                           +-> failure: close -> idle
 *
 * It connects (non-blocking, TCP_NODELAY), sends the prebuilt request
 * (MSG_NOSIGNAL), feeds every recv() to pb_reply, judges the outcome (ok
 * or one failure kind) and handles its one timer in the thread's pb_timer
 * heap. What the run makes of a request that ended, and when the next one
 * starts, are the engine's to say: pb_conn asks it through two hooks
 * (pb_conn_next_fn, pb_conn_count_fn), so the measured window, -n, the
 * stop and the open-loop schedule stay in pb_engine.
 *
 * The I/O is in pb_conn_event and pb_conn_timers; the decisions they make
 * (what a send/recv result means, how a reply is judged, what happens to
 * the connection after it, how an outcome adds to the counters) are pure
 * functions below, for the unit tests.
 */
#ifndef PB_CONN_H
#define PB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pb_opts.h"
#include "pb_reply.h"
#include "pb_result.h"
#include "pb_timer.h"

#define PB_CONN_RECV_BUF (64 * 1024) /* one recv(): the thread's buffer size */
#define PB_CONN_OK (-1)              /* a request's outcome: ok, or a pb_fail_t */

/* Where a connection is in its request. */
enum pb_conn_state {
    PB_CONN_IDLE,       /* no request: waiting for its start (due time, back-off) */
    PB_CONN_CONNECTING, /* non-blocking connect in progress (EPOLLOUT tells) */
    PB_CONN_ACTIVE,     /* sending the request and/or receiving the reply */
    PB_CONN_CLOSING,    /* reply done, the server said it closes: wait for its FIN */
};

/* One client connection and the request it carries. */
struct pb_conn {
    int fd; /* -1 when closed */
    enum pb_conn_state state;
    bool want_out;     /* EPOLLOUT is registered (connecting, send blocked) */
    bool new_conn;     /* this request opened the connection */
    pb_timer_t timer;  /* deadline (in flight, closing) or start (idle) */
    int64_t start_ns;  /* latency origin: send or connect start, or due time */
    int64_t due_ns;    /* open loop: intended time of the current request */
    uint64_t seq;      /* requests started (tells a stale event) */
    size_t sent;       /* request bytes sent */
    uint64_t bytes_in; /* reply bytes received */
    pb_reply_t reply;
};

/* How a request ended, as handed to the engine's count hook. */
struct pb_conn_outcome {
    int kind;            /* PB_CONN_OK or a pb_fail_t */
    int code;            /* the http status of a complete reply, else 0 */
    int64_t start_ns;    /* the request's latency origin */
    uint64_t latency_ns; /* from start_ns to the end (0 if the end came first) */
    uint64_t bytes_out;  /* request bytes sent */
    uint64_t bytes_in;   /* reply bytes received */
    bool new_conn;       /* the request opened its connection */
};

/* The engine's answer to "when does c's next request start?", asked when a
 * request ended: a time (now or earlier: at once), or PB_TIMER_NEVER once
 * the run is over. backoff: a connect just failed. The open loop moves
 * c->due_ns on. */
typedef int64_t pb_conn_next_fn(void *arg, struct pb_conn *c, int64_t now, bool backoff);

/* A request ended at now: the engine counts it or not (measured part, -n). */
typedef void pb_conn_count_fn(void *arg, const struct pb_conn_outcome *out, int64_t now);

/* What every connection of a run sends and expects; fixed before the
 * threads start, shared (read only) by all of them. */
struct pb_conn_plan {
    const struct pb_opts *o;
    const unsigned char *req; /* the request, prebuilt (pb_engine_request) */
    size_t req_len;
    const unsigned char *expect; /* echo/msg: the bytes that must come back */
    size_t expect_len;
    int64_t timeout_ns; /* --timeout */
    bool open_loop;     /* --rate: latency from the due time */
};

/* One thread's side of its connections: its epoll, receive buffer and
 * timer heap, and the engine's hooks. Used by that thread only. */
typedef struct pb_conn_ctx {
    const struct pb_conn_plan *plan;
    int epfd;
    unsigned char *rbuf;    /* PB_CONN_RECV_BUF bytes */
    pb_timer_heap_t timers; /* every connection, by timer */
    bool starting;          /* in a start: defer further starts */
    pb_conn_next_fn *next;
    pb_conn_count_fn *count;
    void *arg; /* the hooks' argument (the engine's thread) */
} pb_conn_ctx_t;

/* ---- the state machine (I/O) ---- */

/* c closed and idle, its timer unset and added to x's heap. 0, or -1 if
 * the heap is full. */
int pb_conn_init(pb_conn_ctx_t *x, struct pb_conn *c);

/* c's next request starts at start_ns (its first, set by the engine). */
void pb_conn_schedule(pb_conn_ctx_t *x, struct pb_conn *c, int64_t start_ns);

/* Handle every timer due at now: start a request, fail one (connect,
 * timeout), or give up waiting for a FIN. */
void pb_conn_timers(pb_conn_ctx_t *x, int64_t now);

/* epoll reported events on c's socket at now: act as its state says. */
void pb_conn_event(pb_conn_ctx_t *x, struct pb_conn *c, uint32_t events, int64_t now);

/* A request is on c (connecting or active): unfinished if the run ends. */
bool pb_conn_in_flight(const struct pb_conn *c);

/* Close c's socket, if open (which also leaves the epoll set). */
void pb_conn_close(struct pb_conn *c);

/* ---- the decisions (pure) ---- */

/* What a send() or recv() result means. */
typedef enum pb_conn_io {
    PB_CONN_IO_DATA,  /* n > 0: bytes moved */
    PB_CONN_IO_EOF,   /* n == 0: recv: the server closed */
    PB_CONN_IO_RETRY, /* EINTR: try again at once */
    PB_CONN_IO_WAIT,  /* EAGAIN / EWOULDBLOCK: wait for epoll */
    PB_CONN_IO_ERROR, /* any other errno (ECONNRESET, EPIPE...): fails as `reset` */
} pb_conn_io_t;

/* Classify the result n of send()/recv(), with errno err when n < 0. */
pb_conn_io_t pb_conn_io(ssize_t n, int err);

/* A complete reply's verdict: PB_CONN_OK, or PB_FAIL_STATUS for an http
 * status that is not 2xx or 3xx. */
int pb_conn_judge(bool http, int code);

/* The server closed before the reply was complete: PB_FAIL_CLOSED when no
 * byte of it had come (reply_bytes == 0), else PB_FAIL_SHORT. */
pb_fail_t pb_conn_eof_kind(uint64_t reply_bytes);

/* What becomes of the connection after a complete reply. */
typedef enum pb_conn_after {
    PB_CONN_KEEP,     /* keep-alive: the next request on it */
    PB_CONN_DROP,     /* close it; the next request opens a new one */
    PB_CONN_WAIT_FIN, /* the server said it closes: wait for its FIN */
} pb_conn_after_t;

/*
 * After a reply judged kind: http, the reply said it closes (close_after),
 * it ended with EOF (at_eof), --close (close_opt), the whole request was
 * sent (all_sent). WAIT_FIN for an ok http reply announcing the close
 * (so the server holds the TIME_WAIT); DROP after a failure, at EOF, with
 * --close, a close announced, or the request not wholly sent; else KEEP.
 */
pb_conn_after_t pb_conn_after(int kind, bool http, bool close_after, bool at_eof, bool close_opt,
                              bool all_sent);

/* The figures of c's request ending at now with kind and code. */
void pb_conn_outcome(const struct pb_conn *c, int64_t now, int kind, int code,
                     struct pb_conn_outcome *out);

/* Add a counted outcome to t: bytes, connects, the status code, ok (with
 * its latency) or its failure kind. */
void pb_conn_account(struct pb_counts *t, const struct pb_conn_outcome *out);

#endif
