/* pf_framed: read a frame, send it back, repeat (echo and msg). */
#include "pf_framed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pf_log.h"
#include "pf_net.h"
#include "pf_time.h"

int pf_framed_init(void **state, enum pf_frame_kind kind, size_t max, char *err, size_t errlen)
{
    struct pf_frame_reader *r = calloc(1, sizeof(*r));

    if (r == NULL || pf_frame_init(r, kind, max) < 0) {
        snprintf(err, errlen, "cannot allocate the frame buffer: %s", strerror(ENOMEM));
        free(r);
        return -1;
    }
    *state = r;
    return 0;
}

void pf_framed_exit(void *state)
{
    pf_frame_free(state);
    free(state);
}

/* Say why a receive ended the connection. A close at a message boundary is
 * the normal end of a session and is not worth a line above debug. */
static void framed_log_recv_end(const struct pf_conn *c, enum pf_io io, size_t pending)
{
    if (io == PF_IO_EOF && pending == 0)
        pf_log_debug("client %s closed the connection", c->peer_text);
    else if (io == PF_IO_EOF)
        pf_log_info("client %s closed the connection mid-message (%zu bytes pending)", c->peer_text,
                    pending);
    else if (io == PF_IO_TIMEOUT && pending == 0)
        pf_log_info("client %s idle for %d ms, closing", c->peer_text,
                    c->cfg->client.idle_timeout_ms);
    else if (io == PF_IO_TIMEOUT)
        pf_log_info("client %s stalled mid-message (%zu bytes in %d ms), closing", c->peer_text,
                    pending, c->cfg->client.read_timeout_ms);
    else
        pf_log_info("client %s: receive failed: %s", c->peer_text, strerror(errno));
}

/* One connection being served. */
struct framed_conn {
    struct pf_conn *c;
    struct pf_frame_reader *r;
    uint32_t served;       /* messages answered on it */
    int64_t idle_deadline; /* between messages: the next must begin by then */
    int64_t msg_deadline;  /* a message begun must be whole by then */
    bool closing;          /* handed back by a stopping keeper: answer what
                              came, then close at the next message boundary */
};

/* framed_read's answer when the connection was parked with the keeper. */
#define FRAMED_PARKED (-2)

/* Wait for the client's bytes: until idle_deadline between messages, until
 * msg_deadline once one began; the worker may park the connection
 * meanwhile (pf_proto_await). */
static enum pf_proto_wait framed_await(struct framed_conn *fc)
{
    struct pf_handoff st;
    bool begun = pf_frame_pending(fc->r) > 0;

    return pf_proto_await(fc->c, begun ? fc->msg_deadline : fc->idle_deadline,
                          pf_proto_state(&st, fc->r->buf, pf_frame_pending(fc->r), fc->served,
                                         fc->idle_deadline, fc->msg_deadline, fc->closing));
}

/* Receive until a whole frame is buffered. Returns its status, -1 when
 * the connection ended (already logged), or FRAMED_PARKED. */
static int framed_read(struct framed_conn *fc)
{
    struct pf_conn *c = fc->c;
    struct pf_frame_reader *r = fc->r;
    enum pf_frame_status st = pf_frame_check(r);

    while (st == PF_FRAME_NEED_MORE) {
        size_t room;
        unsigned char *space = pf_frame_space(r, &room);
        enum pf_io io = PF_IO_OK;
        ssize_t n;

        if (space == NULL) {
            pf_log_error("client %s: out of memory for a frame, closing", c->peer_text);
            return -1;
        }
        if (fc->closing && pf_frame_pending(r) == 0) {
            pf_log_debug("client %s: closed at a message boundary (stopping)", c->peer_text);
            return -1;
        }
        n = recv(c->fd, space, room, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            enum pf_proto_wait w = framed_await(fc);

            if (w == PF_PROTO_PARKED)
                return FRAMED_PARKED;
            if (w == PF_PROTO_READABLE)
                continue;
            io = PF_IO_TIMEOUT;
        } else if (n <= 0) {
            io = n == 0 ? PF_IO_EOF : PF_IO_ERROR;
        }
        if (io != PF_IO_OK) {
            framed_log_recv_end(c, io, pf_frame_pending(r));
            return -1;
        }
        if (pf_frame_pending(r) == 0) {
            fc->msg_deadline = pf_time_deadline(c->cfg->client.read_timeout_ms);
            pf_slot_set_state(c->slot, PF_SLOT_READING);
        }
        st = pf_frame_commit(r, (size_t)n);
    }
    return (int)st;
}

/* Where a connection starts: a new one, or one the keeper handed back,
 * whose bytes of a message begun go back into the reader. False when it
 * ends at once (its message's deadline passed while it was parked;
 * logged). */
static bool framed_start(struct framed_conn *fc)
{
    const struct pf_handoff *h = fc->c->resume;
    size_t done = 0;

    pf_frame_reset(fc->r);
    fc->idle_deadline = pf_time_deadline(fc->c->cfg->client.idle_timeout_ms);
    fc->msg_deadline = -1;
    if (h == NULL)
        return true;
    fc->served = h->requests;
    fc->idle_deadline = h->idle_deadline_ms;
    fc->msg_deadline = h->head_deadline_ms;
    fc->closing = (h->flags & PF_HANDOFF_CLOSE) != 0;
    while (done < h->nbytes) {
        size_t room, n;
        unsigned char *space = pf_frame_space(fc->r, &room);

        if (space == NULL)
            return false;
        n = h->nbytes - done < room ? h->nbytes - done : room;
        memcpy(space, h->bytes + done, n);
        pf_frame_commit(fc->r, n);
        done += n;
    }
    if (h->flags & PF_HANDOFF_EXPIRED) {
        framed_log_recv_end(fc->c, PF_IO_TIMEOUT, h->nbytes);
        return false;
    }
    return true;
}

/* Tell the client nothing (the protocols have no error message), log why. */
static void framed_log_too_long(const struct pf_conn *c, const struct pf_frame_reader *r)
{
    if (r->kind == PF_FRAME_LINE)
        pf_log_warn("client %s: line longer than echo.max_line (%zu bytes), closing", c->peer_text,
                    r->max);
    else
        pf_log_warn("client %s: message length %u above msg.max_message (%zu), closing",
                    c->peer_text, pf_frame_get_length(r->buf), r->max);
}

/* Scoreboard: "echo 12 bytes" / "msg 100 bytes" while the reply goes out. */
static void framed_begin_reply(struct pf_conn *c, enum pf_frame_kind kind, size_t len)
{
    char summary[64];
    int n = snprintf(summary, sizeof(summary), "%s %zu bytes",
                     kind == PF_FRAME_LINE ? "echo" : "msg", len);

    pf_slot_begin_request(c->slot, summary, n > 0 ? (size_t)n : 0);
    pf_slot_set_state(c->slot, PF_SLOT_WRITING);
}

void pf_framed_serve(void *state, struct pf_conn *c)
{
    struct pf_frame_reader *r = state;
    struct framed_conn fc = {.c = c, .r = r};

    /* A session is one unit: the signals held while it is served (a stop
     * order, a log reopen) stay held between its messages too. */
    c->idle_mask = NULL;
    if (!framed_start(&fc))
        return;
    for (;;) {
        int st = framed_read(&fc);
        const unsigned char *frame;
        size_t len;
        enum pf_io io;

        if (st < 0)
            return;
        if (st == PF_FRAME_TOO_LONG) {
            framed_log_too_long(c, r);
            return;
        }
        frame = pf_frame_data(r, &len);
        framed_begin_reply(c, r->kind, len);
        io = pf_net_send_all(c->fd, frame, len, c->cfg->client.write_timeout_ms);
        if (io != PF_IO_OK) {
            pf_log_info("client %s: reply not sent (%s%s%s), closing", c->peer_text,
                        pf_net_io_name(io), io == PF_IO_ERROR ? ": " : "",
                        io == PF_IO_ERROR ? strerror(errno) : "");
            return;
        }
        pf_slot_add_request(c->slot, len, len);
        pf_slot_end_request(c->slot, 0);
        pf_frame_consume(r);
        fc.served++;
        pf_slot_set_state(c->slot, pf_frame_pending(r) ? PF_SLOT_READING : PF_SLOT_KEEPALIVE);
        /* Bytes of the next message already here: its clock started now. */
        fc.msg_deadline = pf_time_deadline(c->cfg->client.read_timeout_ms);
        fc.idle_deadline = pf_time_deadline(c->cfg->client.idle_timeout_ms);
    }
}
