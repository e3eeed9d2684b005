/* ctl_conn: connect, authenticate, and exchange lines for JSON replies. */
#include "ctl_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_err.h"
#include "pf_net.h"
#include "pf_time.h"

#define CONN_LINE_MAX 1023 /* longest command line the server takes, "\n" excluded */

/* Drop the previous reply line; the bytes after it stay. */
static void conn_consume(struct ctl_conn *c)
{
    if (c->used == 0)
        return;
    memmove(c->buf, c->buf + c->used, c->len - c->used);
    c->len -= c->used;
    c->used = 0;
}

/* Room for more bytes: double the buffer up to CTL_REPLY_MAX. */
static int conn_grow(struct ctl_conn *c, char *err, size_t errlen)
{
    size_t cap = c->cap ? c->cap * 2 : 4096;
    char *p;

    if (c->len < c->cap)
        return CTL_EXIT_OK;
    if (c->cap >= CTL_REPLY_MAX) {
        snprintf(err, errlen, "reply from %s longer than %u MiB", c->peer, CTL_REPLY_MAX >> 20);
        return CTL_EXIT_FAILED;
    }
    if (cap > CTL_REPLY_MAX)
        cap = CTL_REPLY_MAX;
    p = realloc(c->buf, cap);
    if (p == NULL) {
        snprintf(err, errlen, "%s", strerror(ENOMEM));
        return CTL_EXIT_FAILED;
    }
    c->buf = p;
    c->cap = cap;
    return CTL_EXIT_OK;
}

/* Why a send or receive stopped, in err. A connection closed (or reset)
 * before the authentication was answered is most likely one the server
 * refused at once: it had control.max_clients clients already. */
static int conn_io_failed(const struct ctl_conn *c, enum pf_io r, char *err, size_t errlen)
{
    int e = errno;

    if (r == PF_IO_EOF || (r == PF_IO_ERROR && (e == ECONNRESET || e == EPIPE)))
        snprintf(err, errlen, "%s closed the connection without a reply%s", c->peer,
                 c->authed ? "" : " (too many control clients?)");
    else if (r == PF_IO_TIMEOUT)
        snprintf(err, errlen, "no reply from %s within %g s", c->peer, c->timeout_ms / 1000.0);
    else
        snprintf(err, errlen, "connection to %s: %s", c->peer, strerror(e));
    return CTL_EXIT_UNREACHABLE;
}

/* One reply line, before deadline: c->buf[0..*len), NUL-terminated in
 * place of its "\n". */
static int conn_read_line(struct ctl_conn *c, int64_t deadline, size_t *len, char *err,
                          size_t errlen)
{
    size_t scanned = 0;

    conn_consume(c);
    for (;;) {
        char *nl = c->len > scanned ? memchr(c->buf + scanned, '\n', c->len - scanned) : NULL;
        size_t got = 0;
        enum pf_io r;
        int rc;

        if (nl != NULL) {
            *nl = '\0';
            *len = (size_t)(nl - c->buf);
            c->used = *len + 1;
            return CTL_EXIT_OK;
        }
        scanned = c->len;
        rc = conn_grow(c, err, errlen);
        if (rc != CTL_EXIT_OK)
            return rc;
        r = pf_net_recv_some_until(c->fd, c->buf + c->len, c->cap - c->len, deadline, &got);
        c->len += got;
        if (r != PF_IO_OK)
            return conn_io_failed(c, r, err, errlen);
    }
}

/* The reply text[0..len) as a JSON object with a boolean "ok". */
static int conn_parse(const struct ctl_conn *c, const char *text, size_t len, json_t **reply,
                      char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    const char *why;

    *reply = j;
    if (!json_is_object(j) || !json_is_boolean(json_object_get(j, "ok"))) {
        snprintf(err, errlen, "unexpected reply from %s: %.200s", c->peer, text);
        return CTL_EXIT_FAILED;
    }
    if (json_is_true(json_object_get(j, "ok")))
        return CTL_EXIT_OK;
    why = json_string_value(json_object_get(j, "error"));
    snprintf(err, errlen, "%s", why ? why : "the server refused without a reason");
    return CTL_EXIT_FAILED;
}

/* Send line and read its reply, both before deadline. */
static int conn_exchange(struct ctl_conn *c, const char *line, int64_t deadline, const char **text,
                         json_t **reply, char *err, size_t errlen)
{
    char out[CONN_LINE_MAX + 2];
    int n = snprintf(out, sizeof(out), "%s\n", line);
    size_t len = 0;
    enum pf_io r;
    int rc;

    *reply = NULL;
    *text = "";
    if (n < 0 || (size_t)n >= sizeof(out) || strchr(line, '\n')) {
        snprintf(err, errlen, "command line too long (at most %d bytes) or not one line",
                 CONN_LINE_MAX);
        return CTL_EXIT_USAGE;
    }
    r = pf_net_send_all_until(c->fd, out, (size_t)n, deadline);
    explicit_bzero(out, sizeof(out)); /* it may hold the token */
    if (r != PF_IO_OK)
        return conn_io_failed(c, r, err, errlen);
    rc = conn_read_line(c, deadline, &len, err, errlen);
    if (rc != CTL_EXIT_OK)
        return rc;
    *text = c->buf;
    return conn_parse(c, c->buf, len, reply, err, errlen);
}

int ctl_conn_open(struct ctl_conn *c, const struct ctl_target *t, int timeout_ms, char *err,
                  size_t errlen)
{
    char why[PF_ERR_MAX], line[CTL_TOKEN_MAX + 8];
    const char *text;
    json_t *reply;
    int rc;

    memset(c, 0, sizeof(*c));
    c->timeout_ms = timeout_ms;
    snprintf(c->peer, sizeof(c->peer), "%s", t->addr_text);
    c->fd = pf_net_connect(&t->addr, timeout_ms, why, sizeof(why));
    if (c->fd < 0) {
        snprintf(err, errlen, "%s \xe2\x80\x94 is preforkd running with control.listen set?", why);
        return CTL_EXIT_UNREACHABLE;
    }
    snprintf(line, sizeof(line), "auth %s", t->token);
    /* A failed authentication (anyone's) makes the server hold the next
     * one up to CTL_AUTH_THROTTLE_MS: that wait is not a timeout. */
    rc = conn_exchange(c, line, pf_time_deadline(timeout_ms + CTL_AUTH_THROTTLE_MS), &text, &reply,
                       err, errlen);
    explicit_bzero(line, sizeof(line));
    if (rc == CTL_EXIT_FAILED && json_is_false(json_object_get(reply, "ok"))) {
        snprintf(err, errlen, "authentication failed: wrong token? (token file %s)", t->token_file);
        rc = CTL_EXIT_AUTH;
    }
    json_decref(reply);
    c->authed = rc == CTL_EXIT_OK;
    if (rc != CTL_EXIT_OK)
        ctl_conn_close(c);
    return rc;
}

int ctl_conn_request(struct ctl_conn *c, const char *line, const char **text, json_t **reply,
                     char *err, size_t errlen)
{
    return conn_exchange(c, line, pf_time_deadline(c->timeout_ms), text, reply, err, errlen);
}

void ctl_conn_close(struct ctl_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = c->used = 0;
}
