/* pf_framed: read a frame, send it back, repeat (echo and msg). */
#include "pf_framed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The deadline for the next receive: between messages the client may stay
 * silent for idle_timeout; once a message has started it must be complete
 * within read_timeout of its first byte, however slowly it trickles. */
static int64_t framed_deadline(const struct pf_conn *c, int64_t msg_deadline,
                               const struct pf_frame_reader *r)
{
    if (pf_frame_pending(r) == 0)
        return pf_time_deadline(c->cfg->client.idle_timeout_ms);
    return msg_deadline;
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

/* Receive until a whole frame is buffered. Returns its status, or -1 when
 * the connection ended (already logged). */
static int framed_read(struct pf_conn *c, struct pf_frame_reader *r, int64_t *msg_deadline)
{
    enum pf_frame_status st = pf_frame_check(r);

    while (st == PF_FRAME_NEED_MORE) {
        size_t room, got;
        unsigned char *space = pf_frame_space(r, &room);
        enum pf_io io;

        if (space == NULL) {
            pf_log_error("client %s: out of memory for a frame, closing", c->peer_text);
            return -1;
        }
        io = pf_net_recv_some_until(c->fd, space, room, framed_deadline(c, *msg_deadline, r), &got);
        if (io != PF_IO_OK) {
            framed_log_recv_end(c, io, pf_frame_pending(r));
            return -1;
        }
        if (pf_frame_pending(r) == 0) {
            *msg_deadline = pf_time_deadline(c->cfg->client.read_timeout_ms);
            pf_slot_set_state(c->slot, PF_SLOT_READING);
        }
        st = pf_frame_commit(r, got);
    }
    return (int)st;
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
    int64_t msg_deadline = -1;

    pf_frame_reset(r);
    for (;;) {
        int st = framed_read(c, r, &msg_deadline);
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
        pf_slot_set_state(c->slot, pf_frame_pending(r) ? PF_SLOT_READING : PF_SLOT_KEEPALIVE);
        /* Bytes of the next message already here: its clock started now. */
        msg_deadline = pf_time_deadline(c->cfg->client.read_timeout_ms);
    }
}
