/* pf_http_proto: HTTP/1.1 static files (docs/http.md).
 *
 * One connection at a time: read a request head (pipelined requests are
 * kept in the buffer), parse it strictly, answer from the document root,
 * and loop while the connection is kept alive. Request bodies are never
 * read (the parser refuses requests that have one).
 *
 * Speed: no allocation per request; the Date header and each file's
 * constant header lines are prepared in advance; a small file is sent with
 * its head in one send(); a large one as head (MSG_MORE) + sendfile().
 */
#include "pf_http_proto.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pf_episode.h"
#include "pf_http_access.h"
#include "pf_http_cond.h"
#include "pf_http_errpage.h"
#include "pf_http_file.h"
#include "pf_http_mime.h"
#include "pf_http_parse.h"
#include "pf_http_path.h"
#include "pf_http_response.h"
#include "pf_http_xff.h"
#include "pf_log.h"
#include "pf_net.h"
#include "pf_privs.h"
#include "pf_signals.h"
#include "pf_time.h"

/* After an error that closes the connection, read and drop what the
 * client still sends for at most this long before closing, so the error
 * response is not destroyed by a reset (close() with unread data). */
#define HTTP_LINGER_MS 1000
#define HTTP_LINGER_BYTES 65536

/* Response buffer: the largest head, then room for a small file. */
#define HTTP_HEAD_ROOM 4096
#define HTTP_OUT_SIZE (HTTP_HEAD_ROOM + PF_HTTP_SMALL_FILE)

struct http_state {
    const struct pf_config *cfg;
    struct pf_http_limits lim;
    struct pf_http_files files;
    struct pf_http_access access;
    struct pf_http_errpages pages; /* http.error_pages, read at start */
    struct pf_episode denied;      /* files refused with EACCES: told once a minute */
    char *in;                      /* request bytes; a head never exceeds max_header_bytes */
    size_t in_cap;
    size_t in_len;
    char out[HTTP_OUT_SIZE];
};

/* One connection being served. */
struct http_conn {
    struct http_state *h;
    struct pf_conn *c;
    char peer_ip[PF_ADDR_STRLEN];      /* the peer's address, without its port */
    char forwarded_ip[PF_ADDR_STRLEN]; /* the request's X-Forwarded-For client */
    const char *client_ip;             /* for the access log: peer_ip, or forwarded_ip for a
                              request that named its client (forwarded_for) */
    long requests;
    int64_t idle_deadline; /* no byte of the next request by then: close */
    int64_t head_deadline; /* the head begun must be whole by then (408); -1 not begun */
    bool closing;          /* handed back by a stopping keeper: the request that
                              came is answered with Connection: close */
    struct timespec began; /* the request being answered came then (realtime)... */
    int64_t began_ms;      /* ...and then (monotonic): its request time in the log */
};

/* http_read_head's answer when the connection was parked with the keeper. */
#define HTTP_PARKED (-2)

/* What the response said, for the caller's accounting and log. */
struct http_result {
    int status;
    uint64_t body_bytes;
    bool keep_alive; /* the connection may serve another request */
};

/* The document root must be a folder the workers can open files in, as
 * the user they will be: otherwise every request would get a 404 or a
 * 403 and nothing would say why. Said about the setting, with its file
 * and line. A configuration that leaves workers root unasked is refused
 * at start for that reason (pf_privs_plan): nothing to check here then. */
static int http_check(const struct pf_config *cfg, char *err, size_t errlen)
{
    struct pf_privs_plan plan;
    char why[PF_ERR_MAX];

    if (pf_privs_plan(cfg, geteuid(), &plan, why, sizeof(why)) < 0)
        return 0;
    if (pf_privs_check_folder(&plan, geteuid(), cfg->http.root, why, sizeof(why)) < 0)
        return pf_config_root_fail(cfg, why, err, errlen);
    return 0;
}

/* Master side, at start and on every reload: the root and the access log
 * are checked first, so a typo stops start-up (or fails the reload) with
 * a reason instead of workers failing one after another. Only then is the
 * MIME table rebuilt, which cannot fail (an unreadable file leaves the
 * built-in table alone): a failure therefore changes nothing. The table
 * is built before the fork and shared read-only by the workers. */
static int http_master_init(const struct pf_config *cfg, char *err, size_t errlen)
{
    struct pf_http_files probe;
    struct pf_http_access log;

    if (http_check(cfg, err, errlen) < 0)
        return -1;
    if (pf_http_file_init(&probe, cfg->http.root, cfg->http.index, 0, 0, err, errlen) < 0)
        return -1;
    pf_http_file_free(&probe);
    if (pf_http_access_open(&log, cfg->http.access_log, PF_HTTP_LOG_COMBINED, err, errlen) < 0)
        return -1;
    pf_http_access_close(&log);
    pf_http_mime_reset();
    if (cfg->http.mime_types[0] && pf_http_mime_load(cfg->http.mime_types) < 0)
        pf_log_info("mime types file %s not readable; using the built-in table",
                    cfg->http.mime_types);
    return 0;
}

static int http_worker_init(void **state, const struct pf_config *cfg, char *err, size_t errlen)
{
    struct http_state *h = calloc(1, sizeof(*h));

    if (h == NULL) {
        snprintf(err, errlen, "http: %s", strerror(ENOMEM));
        return -1;
    }
    h->cfg = cfg;
    h->lim = (struct pf_http_limits){cfg->http.max_request_line, cfg->http.max_header_bytes,
                                     (unsigned)cfg->http.max_headers};
    h->in_cap = cfg->http.max_header_bytes < 16384 ? 16384 : cfg->http.max_header_bytes;
    h->in = malloc(h->in_cap);
    if (h->in == NULL || pf_http_errpage_load(&h->pages, cfg, err, errlen) < 0 ||
        pf_http_file_init(&h->files, cfg->http.root, cfg->http.index, cfg->http.open_file_cache,
                          cfg->http.open_file_cache_valid_ms, err, errlen) < 0 ||
        pf_http_access_open(&h->access, cfg->http.access_log,
                            /* the name was checked when loaded */
                            (enum pf_http_log_format)
                                pf_http_log_format_parse(cfg->http.access_log_format),
                            err, errlen) < 0) {
        if (h->in == NULL)
            snprintf(err, errlen, "http: %s", strerror(ENOMEM));
        if (h->files.slots != NULL) /* set up before the access log failed */
            pf_http_file_free(&h->files);
        pf_http_errpage_free(&h->pages);
        free(h->in);
        free(h);
        return -1;
    }
    *state = h;
    return 0;
}

static void http_worker_exit(void *state)
{
    struct http_state *h = state;

    pf_http_file_free(&h->files);
    pf_http_access_close(&h->access);
    pf_http_errpage_free(&h->pages);
    free(h->in);
    free(h);
}

static void http_reopen(void *state)
{
    pf_http_access_reopen(&((struct http_state *)state)->access);
}

/* ---------------------------------------------------------- reading */

/* Wait for the client's bytes: until idle_deadline while no byte of the
 * request came, until head_deadline once it began. The worker may park
 * the connection meanwhile (pf_proto_await). A stop order does not end
 * the wait: closing an idle keep-alive connection races with a client
 * sending its next request at that moment, which would then fail. So a
 * stopping worker parks the connection (the next generation or the
 * stopping keeper answers it), or keeps waiting as long as it normally
 * would and answers with "Connection: close" (http_one_request asks
 * pf_proto_stop_requested). Returns 0 when bytes are ready, else what
 * http_read_head returns: 408 for a head begun and not finished in time,
 * -1 for an idle connection's silent close, HTTP_PARKED. */
static int http_await(struct http_conn *hc)
{
    struct pf_handoff st;
    bool begun = hc->h->in_len > 0;

    pf_slot_set_state(hc->c->slot, begun ? PF_SLOT_READING : PF_SLOT_KEEPALIVE);
    switch (pf_proto_await(hc->c, begun ? hc->head_deadline : hc->idle_deadline,
                           pf_proto_state(&st, hc->h->in, hc->h->in_len, (uint64_t)hc->requests,
                                          hc->idle_deadline, hc->head_deadline, hc->closing))) {
    case PF_PROTO_READABLE: return 0;
    case PF_PROTO_PARKED: return HTTP_PARKED;
    case PF_PROTO_TIMEOUT: break;
    }
    return begun ? 408 : -1;
}

/* Drop n bytes from the front of the buffer; the rest moves up. */
static void http_drop(struct http_state *h, size_t n)
{
    h->in_len -= n;
    memmove(h->in, h->in + n, h->in_len);
}

/* Drop the request just answered, then any empty lines after it (RFC 9112
 * 2.2: a client may end a request with an extra CRLF). Until a byte of the
 * next request line comes, the connection is idle: it keeps the
 * keep-alive deadline, may be parked as idle, and is let go silently
 * instead of getting a 408. */
static void http_consume(struct http_state *h, size_t head_len)
{
    http_drop(h, head_len);
    http_drop(h, pf_http_parse_empty_lines(h->in, h->in_len));
}

/* The first bytes of a head came into an empty buffer: drop the empty
 * lines among them (as http_consume does); if something else came, the
 * head has begun: its deadline runs from now. */
static void http_begin_head(struct http_conn *hc)
{
    struct http_state *h = hc->h;

    http_drop(h, pf_http_parse_empty_lines(h->in, h->in_len));
    if (h->in_len > 0) {
        pf_slot_set_state(hc->c->slot, PF_SLOT_READING);
        if (hc->head_deadline < 0)
            hc->head_deadline = pf_time_deadline(h->cfg->http.header_timeout_ms);
    }
}

/* Receive until a whole head is buffered. Returns 0 with *head_len, an
 * HTTP status to answer before closing (408, 414, 431, 400), -1 to close
 * silently (client gone, idle timeout), or HTTP_PARKED. The header
 * deadline runs from the request's first byte (from accept for the first
 * request), so trickling bytes never extends it, nor does a park.
 *
 * On a new connection the request has usually arrived by the time it is
 * accepted, as on one the keeper handed back, so recv() is tried before
 * any wait (one system call). Between requests on a kept-alive connection
 * the client is typically still reading the last response (closed loop,
 * as browsers and wrk do), so waiting first saves a recv() that would
 * fail. */
static int http_read_head(struct http_conn *hc, size_t *head_len, bool wait_first)
{
    struct http_state *h = hc->h;
    struct pf_http_scan scan;

    pf_http_parse_scan_init(&scan);
    for (;;) {
        int status;
        ssize_t n;

        if (h->in_len > 0) {
            switch (pf_http_parse_head_scan(&scan, h->in, h->in_len, &h->lim, head_len, &status)) {
            case PF_HTTP_SCAN_DONE: return 0;
            case PF_HTTP_SCAN_ERROR: return status;
            case PF_HTTP_SCAN_MORE: break;
            }
            if (h->in_len == h->in_cap)
                return 431;
        }
        if (wait_first && (status = http_await(hc)) != 0)
            return status;
        n = recv(hc->c->fd, h->in + h->in_len, h->in_cap - h->in_len, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return -1;
        wait_first = n < 0 ? errno != EINTR : true;
        if (n <= 0)
            continue;
        bool begun = h->in_len > 0;
        h->in_len += (size_t)n;
        if (!begun) /* the scan has looked at nothing yet: bytes may go */
            http_begin_head(hc);
    }
}

/* ---------------------------------------------------------- writing */

/* Send the response buffer; false if the client is gone or too slow. */
static bool http_send(struct http_conn *hc, const char *buf, size_t len, int flags)
{
    int64_t deadline = pf_time_deadline(hc->h->cfg->client.write_timeout_ms);
    enum pf_io io = pf_net_send_flags_until(hc->c->fd, buf, len, flags, deadline, NULL);

    if (io != PF_IO_OK)
        pf_log_info("client %s: response not sent (%s)", hc->c->peer_text, pf_net_io_name(io));
    return io == PF_IO_OK;
}

/* The head in b, then (unless head_only) a configured page: in one send
 * when it fits the buffer, else head (MSG_MORE) and page. */
static bool http_send_page(struct http_conn *hc, struct pf_http_response *b,
                           const struct pf_http_errpage *page, bool head_only)
{
    if (head_only)
        return http_send(hc, b->p, b->len, 0);
    if (page->len <= b->cap - b->len) {
        pf_http_response_add(b, page->body, page->len);
        return http_send(hc, b->p, b->len, 0);
    }
    return http_send(hc, b->p, b->len, MSG_MORE) && http_send(hc, page->body, page->len, 0);
}

/* An error page, the configured one for status (http.error_pages) or the
 * built-in one; the connection stays open only if keep_alive. */
static struct http_result http_error(struct http_conn *hc, int status, const char *extra,
                                     bool keep_alive, int version, bool head_only)
{
    const struct pf_http_errpage *page = pf_http_errpage_find(&hc->h->pages, status);
    struct pf_http_response b;
    size_t body;
    bool sent;

    pf_http_response_init(&b, hc->h->out, sizeof(hc->h->out));
    if (page == NULL) {
        body = pf_http_response_error(&b, status, extra, keep_alive, version, head_only);
        sent = http_send(hc, b.p, b.len, 0);
    } else {
        body = page->len;
        pf_http_response_error_head(&b, status, extra, keep_alive, version, body);
        sent = http_send_page(hc, &b, page, head_only);
    }
    return (struct http_result){status, head_only ? 0 : body, keep_alive && sent};
}

/* 301 to the same path with a slash added (a directory asked without). */
static struct http_result http_redirect_dir(struct http_conn *hc, const struct pf_http_request *req,
                                            bool keep)
{
    char extra[PF_HTTP_NAME_MAX + 64];
    const char *buf = hc->h->in;
    int n = snprintf(extra, sizeof(extra), "Location: %.*s/%s%.*s\r\n", (int)req->path.len,
                     buf + req->path.off, req->query.len ? "?" : "", (int)req->query.len,
                     buf + req->query.off);

    if (n < 0 || (size_t)n >= sizeof(extra))
        return http_error(hc, 414, NULL, false, req->version, req->method == PF_HTTP_HEAD);
    return http_error(hc, 301, extra, keep, req->version, req->method == PF_HTTP_HEAD);
}

/* A file's body stopped going out: one line in the error log with the
 * path, the client, how far it got and why. A client that went away
 * (reset, closed) or reads too slowly is an ordinary event, at info: a
 * browser cancelling a download or seeking in a video does it all day.
 * Anything else (the file shrank, a read error) is the server's, at warn. */
static void http_log_send_failure(const struct http_conn *hc, const struct pf_http_request *req,
                                  enum pf_io io, int err, uint64_t sent, off_t len)
{
    bool client = io == PF_IO_TIMEOUT ||
                  (io == PF_IO_ERROR && (err == EPIPE || err == ECONNRESET || err == ETIMEDOUT));
    const char *why = io == PF_IO_ERROR     ? strerror(err)
                      : io == PF_IO_TIMEOUT ? "no progress within client.write_timeout"
                                            : "the file ended early (changed while sent)";

    pf_log(client ? PF_LOG_INFO : PF_LOG_WARN,
           "http: sending %.*s to %s failed after %llu of %lld bytes: %s", (int)req->path.len,
           hc->h->in + req->path.off, hc->c->peer_text, (unsigned long long)sent, (long long)len,
           why);
}

/* The body part of a file response: [first, first+len) of the file, from
 * the cached copy (one send with the head) or with sendfile. *sent gets
 * the body bytes that really went out, also when it failed. */
static bool http_send_body(struct http_conn *hc, struct pf_http_response *b,
                           const struct pf_http_request *req, const struct pf_http_file *f,
                           off_t first, off_t len, uint64_t *sent)
{
    int64_t deadline = pf_time_deadline(hc->h->cfg->client.write_timeout_ms);
    size_t head = b->len, out = 0;
    off_t body = 0;
    enum pf_io io;

    if (f->body && (size_t)len <= b->cap - b->len) {
        pf_http_response_add(b, f->body + first, (size_t)len);
        io = pf_net_send_flags_until(hc->c->fd, b->p, b->len, 0, deadline, &out);
        body = out > head ? (off_t)(out - head) : 0;
    } else {
        io = pf_net_send_flags_until(hc->c->fd, b->p, b->len, MSG_MORE, deadline, &out);
        if (io == PF_IO_OK)
            io = pf_net_sendfile(hc->c->fd, f->fd, first, len, hc->h->cfg->client.write_timeout_ms,
                                 &body);
    }
    *sent = (uint64_t)body;
    if (io != PF_IO_OK)
        http_log_send_failure(hc, req, io, errno, *sent, len);
    return io == PF_IO_OK;
}

/* 200, 206, 304 or 416 for a file, per the conditional and Range headers. */
static struct http_result http_send_file(struct http_conn *hc, const struct pf_http_request *req,
                                         const struct pf_http_file *f, bool keep)
{
    const char *in = hc->h->in;
    bool head_only = req->method == PF_HTTP_HEAD;
    off_t first = 0, last = f->size - 1;
    int status = 200;
    struct pf_http_response b;

    if (pf_http_cond_not_modified(in + req->if_none_match.off, req->if_none_match.len,
                                  in + req->if_modified_since.off, req->if_modified_since.len,
                                  f->etag, f->mtime)) {
        status = 304;
        head_only = true;
    } else {
        switch (pf_http_cond_range(in + req->range.off, req->range.len, in + req->if_range.off,
                                   req->if_range.len, f->etag, f->mtime, f->size, &first, &last)) {
        case PF_HTTP_RANGE_OK: status = 206; break;
        case PF_HTTP_RANGE_NONE: break;
        case PF_HTTP_RANGE_UNSATISFIABLE: {
            char extra[64];

            snprintf(extra, sizeof(extra), "Content-Range: bytes */%lld\r\n", (long long)f->size);
            return http_error(hc, 416, extra, keep, req->version, head_only);
        }
        }
    }
    pf_http_response_init(&b, hc->h->out, sizeof(hc->h->out));
    pf_http_response_begin(&b, status);
    pf_http_response_add(&b, f->head_tail, f->head_tail_len);
    if (status == 206) {
        pf_http_response_str(&b, "Content-Range: bytes ");
        pf_http_response_u64(&b, (uint64_t)first);
        pf_http_response_add(&b, "-", 1);
        pf_http_response_u64(&b, (uint64_t)last);
        pf_http_response_add(&b, "/", 1);
        pf_http_response_u64(&b, (uint64_t)f->size);
        pf_http_response_add(&b, "\r\n", 2);
    }
    off_t len = f->size == 0 ? 0 : last - first + 1;
    pf_http_response_end(&b, status == 304 ? PF_HTTP_NO_LENGTH : (uint64_t)len, keep, req->version);
    if (head_only || len == 0) {
        if (!http_send(hc, b.p, b.len, 0))
            keep = false;
        return (struct http_result){status, 0, keep};
    }
    uint64_t sent = 0;
    if (!http_send_body(hc, &b, req, f, first, len, &sent))
        return (struct http_result){status, sent, false};
    return (struct http_result){status, sent, keep};
}

/* ------------------------------------------------------- the request */

/* An absolute-form target must name this server when server_name is set. */
static bool http_host_ok(const struct http_conn *hc, const struct pf_http_request *req)
{
    const char *name = hc->h->cfg->http.server_name;
    const char *auth = hc->h->in + req->target_host.off;
    size_t len = req->target_host.len, n = strlen(name);
    const char *colon = memchr(auth, ':', len);

    if (!req->absolute_form || name[0] == '\0')
        return true;
    if (colon)
        len = (size_t)(colon - auth);
    return len == n && strncasecmp(auth, name, n) == 0;
}

/* A file refused with EACCES (a 403 the operator did not mean: the
 * workers' user cannot read it, or search a folder on its way): said in
 * the error log at warn, the first time and then once a minute at most
 * with the count, whatever the number of requests. */
static void http_log_denied(struct http_conn *hc, const struct pf_http_request *req)
{
    struct pf_episode *e = &hc->h->denied;

    switch (pf_episode_fail(e, EACCES, pf_time_now_ms(), PF_EPISODE_PERIOD_MS)) {
    case PF_EPISODE_BEGAN:
    case PF_EPISODE_CHANGED:
    case PF_EPISODE_LASTS:
        pf_log_warn("http: 403 for %.*s: %s as uid %lu (%llu such refusal(s) by this worker; "
                    "said at most once a minute)",
                    (int)req->path.len, hc->h->in + req->path.off, strerror(EACCES),
                    (unsigned long)geteuid(), (unsigned long long)e->failures);
        break;
    default: break;
    }
}

/* Answer one parsed request. */
static struct http_result http_answer(struct http_conn *hc, const struct pf_http_request *req,
                                      bool keep)
{
    char name[PF_HTTP_NAME_MAX + 1];
    bool head_only = req->method == PF_HTTP_HEAD, dir_slash = false;
    const struct pf_http_file *f;
    int status;

    if (req->method != PF_HTTP_GET && req->method != PF_HTTP_HEAD)
        return http_error(hc, 405, "Allow: GET, HEAD\r\n", keep, req->version, false);
    if (!http_host_ok(hc, req))
        return http_error(hc, 400, NULL, false, req->version, head_only);
    status = pf_http_path_normalize(hc->h->in + req->path.off, req->path.len, name, sizeof(name),
                                    &dir_slash);
    if (status == 0)
        status = pf_http_file_get(&hc->h->files, name, dir_slash, &f);
    if (status == 403 && hc->h->files.open_errno == EACCES)
        http_log_denied(hc, req);
    if (status == 301)
        return http_redirect_dir(hc, req, keep);
    if (status != 0)
        return http_error(hc, status, NULL, keep && status < 500 && status != 400, req->version,
                          head_only);
    return http_send_file(hc, req, f, keep);
}

/* Read what the client still sends, briefly, then let the caller close:
 * a close() with unread bytes would reset the connection and could
 * destroy the error response before the client read it. */
static void http_linger(int fd, struct pf_slot *slot)
{
    char sink[4096];
    int64_t deadline = pf_time_deadline(HTTP_LINGER_MS);
    size_t total = 0, got;

    pf_slot_set_state(slot, PF_SLOT_CLOSING);
    shutdown(fd, SHUT_WR);
    while (total < HTTP_LINGER_BYTES &&
           pf_net_recv_some_until(fd, sink, sizeof(sink), deadline, &got) == PF_IO_OK)
        total += got;
}

/* Scoreboard: "GET /path" while the response goes out. */
static void http_begin_request(struct http_conn *hc, const struct pf_http_request *req)
{
    char summary[PF_SLOT_SUMMARY_MAX];
    const char *in = hc->h->in;
    size_t m = req->method_text.len, t = req->target.len;

    if (m > 16)
        m = 16;
    if (t > sizeof(summary) - m - 1)
        t = sizeof(summary) - m - 1;
    memcpy(summary, in + req->method_text.off, m);
    summary[m] = ' ';
    memcpy(summary + m + 1, in + req->target.off, t);
    pf_slot_begin_request(hc->c->slot, summary, m + 1 + t);
    pf_slot_set_state(hc->c->slot, PF_SLOT_WRITING);
}

/* proxy.forwarded_for: the client a request from a trusted proxy names
 * in X-Forwarded-For (pf_http_xff) is the one its access log line and
 * the slot show, for this request alone: the next request on the
 * connection may be another client's (a proxy reuses its connections). */
static void http_forwarded_client(struct http_conn *hc, const struct pf_http_request *req)
{
    const struct pf_config *cfg = hc->h->cfg;
    struct sockaddr_storage ss;
    socklen_t len;

    if (!cfg->proxy.forwarded_for ||
        !pf_http_xff_client(hc->h->in, req->forwarded_for, req->forwarded_lines,
                            cfg->proxy.trusted_nets, (size_t)cfg->proxy.ntrusted,
                            (struct sockaddr *)&hc->c->peer, &ss, &len))
        return;
    hc->client_ip = pf_addr_format_ip((struct sockaddr *)&ss, hc->forwarded_ip,
                                      sizeof(hc->forwarded_ip));
    pf_slot_set_client(hc->c->slot, (struct sockaddr *)&ss, len);
}

/* After a request whose client X-Forwarded-For named: the connection's
 * peer is its client again. */
static void http_forwarded_end(struct http_conn *hc)
{
    if (hc->client_ip == hc->peer_ip)
        return;
    hc->client_ip = hc->peer_ip;
    pf_slot_set_client(hc->c->slot, (struct sockaddr *)&hc->c->peer, hc->c->peer_len);
}

/* A request begins being answered now: the time the access log gives
 * it, and the start of its request time (no clock is read without an
 * access log). */
static void http_began(struct http_conn *hc)
{
    if (hc->h->access.fd < 0)
        return;
    clock_gettime(CLOCK_REALTIME, &hc->began);
    hc->began_ms = pf_time_now_ms();
}

/* A slice of the request buffer as access log text (absent when empty). */
static struct pf_http_log_text http_text(const char *buf, struct pf_http_slice s)
{
    return (struct pf_http_log_text){s.len ? buf + s.off : NULL, s.len};
}

/* The access log line of a response: the request line whenever one ended
 * within the len bytes received, refused or not, and the header fields
 * req holds (NULL: the head was not parsed; a head refused while parsed
 * keeps the fields read before the refusal). The client's address is
 * the connection's (hc->client_ip), in both formats. */
static void http_log(struct http_conn *hc, size_t len, const struct pf_http_request *req,
                     const struct http_result *r)
{
    static const struct pf_http_request none;
    const char *buf = hc->h->in;
    struct pf_http_slice line;
    struct pf_http_log_entry e = {.client = hc->client_ip,
                                  .status = r->status,
                                  .body_bytes = r->body_bytes,
                                  .connection_requests = hc->requests};

    if (hc->h->access.fd < 0)
        return;
    e.duration_ms = pf_time_now_ms() - hc->began_ms;
    if (req == NULL)
        req = &none;
    if (pf_http_parse_request_line(buf, len, &line))
        e.line = http_text(buf, line);
    e.referer = http_text(buf, req->referer);
    e.user_agent = http_text(buf, req->user_agent);
    e.host = http_text(buf, req->host);
    pf_http_access_write(&hc->h->access, &e, &hc->began);
}

/* Serve one request whose head is buffered; false when the connection
 * must close. */
static bool http_one_request(struct http_conn *hc, size_t head_len)
{
    struct http_state *h = hc->h;
    struct pf_http_request req;
    const char *reason = NULL;
    struct http_result r;
    int status;

    http_began(hc);
    status = pf_http_parse(h->in, head_len, &h->lim, &req, &reason);
    hc->requests++;
    if (status != 0) {
        pf_log_info("client %s: bad request (%d %s)", hc->c->peer_text, status,
                    reason ? reason : "");
        r = http_error(hc, status, NULL, false, PF_HTTP_VERSION_11, false);
    } else {
        bool keep = req.keep_alive && hc->requests < h->cfg->http.keepalive_requests &&
                    !hc->closing && !pf_proto_stop_requested(hc->c);

        http_forwarded_client(hc, &req);
        http_begin_request(hc, &req);
        r = http_answer(hc, &req, keep);
    }
    pf_slot_end_request(hc->c->slot, r.status);
    http_log(hc, head_len, &req, &r);
    pf_slot_add_request(hc->c->slot, head_len, r.body_bytes);
    http_forwarded_end(hc);
    if (!r.keep_alive && r.status >= 400)
        http_linger(hc->c->fd, hc->c->slot);
    http_consume(h, head_len);
    return r.keep_alive;
}

/* Where a connection starts: a new one (the header deadline from accept
 * serves as both deadlines for its first request), or one the keeper
 * handed back, from the state it travelled with. Returns 0, or 408 for a
 * head whose deadline passed while it was parked, 431 for bytes that no
 * longer fit (max_header_bytes lowered by a reload meanwhile). */
static int http_start(struct http_conn *hc)
{
    const struct pf_handoff *r = hc->c->resume;
    struct http_state *h = hc->h;

    h->in_len = 0;
    if (r == NULL) {
        hc->head_deadline = hc->idle_deadline = pf_time_deadline(h->cfg->http.header_timeout_ms);
        return 0;
    }
    hc->requests = (long)r->requests;
    hc->closing = (r->flags & PF_HANDOFF_CLOSE) != 0;
    hc->idle_deadline = r->idle_deadline_ms;
    hc->head_deadline = r->head_deadline_ms;
    if (r->nbytes > h->in_cap)
        return 431;
    memcpy(h->in, r->bytes, r->nbytes);
    h->in_len = r->nbytes;
    return (r->flags & PF_HANDOFF_EXPIRED) ? 408 : 0;
}

/* A head refused (or never finished): answer status, log it, close. */
static void http_refuse_head(struct http_conn *hc, int status)
{
    struct http_result r;

    http_began(hc);
    hc->requests++;
    r = http_error(hc, status, NULL, false, PF_HTTP_VERSION_11, false);
    pf_log_info("client %s: request head refused (%d)", hc->c->peer_text, status);
    pf_slot_end_request(hc->c->slot, r.status); /* counted by its class */
    http_log(hc, hc->h->in_len, NULL, &r);
    http_linger(hc->c->fd, hc->c->slot);
}

static void http_serve(void *state, struct pf_conn *c)
{
    struct http_conn hc = {.h = state, .c = c};
    size_t head_len;
    int status = http_start(&hc);

    hc.client_ip = pf_addr_format_ip((struct sockaddr *)&c->peer, hc.peer_ip, sizeof(hc.peer_ip));
    if (status == 0)
        status = http_read_head(&hc, &head_len, false);
    for (;;) {
        if (status < 0) /* closed, idle past its deadline, or parked */
            return;
        if (status > 0) {
            http_refuse_head(&hc, status);
            return;
        }
        if (!http_one_request(&hc, head_len))
            return;
        hc.idle_deadline = pf_time_deadline(hc.h->cfg->http.keepalive_timeout_ms);
        hc.head_deadline = hc.h->in_len > 0 ? pf_time_deadline(hc.h->cfg->http.header_timeout_ms)
                                            : -1;
        status = http_read_head(&hc, &head_len, hc.h->in_len == 0);
    }
}

const struct pf_proto pf_http_proto = {
    .name = "http",
    .master_init = http_master_init,
    .check = http_check,
    .worker_init = http_worker_init,
    .serve = http_serve,
    .worker_exit = http_worker_exit,
    .reopen = http_reopen,
    .url_scheme = "http",
};
