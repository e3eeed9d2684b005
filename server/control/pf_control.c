/* pf_control: control clients multiplexed in the master's loop. */
#include "pf_control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_control_render.h"
#include "pf_status_page.h"
#include "pf_err.h"
#include "pf_log.h"
#include "pf_net.h"
#include "pf_time.h"
#include "pf_token.h"

#define CTL_OUT_MAX (4u << 20) /* output buffered per client */
#define CTL_HTTP_HEAD_MAX 8192 /* metrics request head */
#define CTL_PENALTY_MIN_MS 100
#define CTL_PENALTY_MAX_MS 5000
/* Pause after accept() failed for lack of descriptors or memory: the
 * listener stays readable meanwhile, and polling it at once would spin. */
#define CTL_ACCEPT_PAUSE_MS 100

enum ctl_pending { CTL_PENDING_NONE = 0, CTL_PENDING_AUTH, CTL_PENDING_HTTP };

struct pf_control_client {
    int fd; /* -1: free entry */
    char peer[PF_ADDR_STRLEN];
    char in[PF_CONTROL_CMD_LINE_MAX];
    size_t in_len;
    char *out;
    size_t out_len, out_off, out_cap;
    bool authed;
    bool closing;     /* close once the output is flushed */
    bool http;        /* reading an HTTP request's headers */
    bool token_given; /* ...which had an Authorization header we read */
    bool token_ok;    /* ...carrying the token (Bearer, or Basic's password) */
    size_t http_bytes;
    char http_path[256];
    enum ctl_pending pending; /* waiting for the auth throttle */
    char pending_token[PF_TOKEN_MAX + 1];
    int64_t last_active;
};

/* ------------------------------------------------------------ clients */

static void ctl_drop(struct pf_control *c, struct pf_control_client *cl)
{
    close(cl->fd);
    free(cl->out);
    memset(cl, 0, sizeof(*cl));
    cl->fd = -1;
    c->nclients--;
}

/* Send what is buffered, as far as the socket takes it now. */
static void ctl_flush(struct pf_control *c, struct pf_control_client *cl)
{
    while (cl->out_off < cl->out_len) {
        ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            ctl_drop(c, cl);
            return;
        }
        cl->out_off += (size_t)n;
        cl->last_active = pf_time_now_ms();
    }
    cl->out_off = cl->out_len = 0;
    if (cl->closing)
        ctl_drop(c, cl);
}

/* Queue bytes for the client; one that lets its output pile up beyond
 * CTL_OUT_MAX (it does not read) is dropped. */
static void ctl_queue(struct pf_control *c, struct pf_control_client *cl, const char *data,
                      size_t len)
{
    size_t need = cl->out_len + len;

    if (need - cl->out_off > CTL_OUT_MAX) {
        pf_log_warn("control: client %s does not read its replies; closing", cl->peer);
        ctl_drop(c, cl);
        return;
    }
    if (need > cl->out_cap) {
        size_t cap = cl->out_cap ? cl->out_cap : 4096;
        char *p;

        while (cap < need)
            cap *= 2;
        p = realloc(cl->out, cap);
        if (p == NULL) {
            ctl_drop(c, cl);
            return;
        }
        cl->out = p;
        cl->out_cap = cap;
    }
    memcpy(cl->out + cl->out_len, data, len);
    cl->out_len = need;
    ctl_flush(c, cl);
}

/* Reply with one JSON line (the reference to j is taken). */
static void ctl_reply(struct pf_control *c, struct pf_control_client *cl, json_t *j)
{
    size_t len;
    char *line = pf_control_render_line(j, &len);

    if (line == NULL) {
        ctl_drop(c, cl);
        return;
    }
    ctl_queue(c, cl, line, len);
    free(line);
}

/* ------------------------------------------------------ authentication */

/* A failed attempt is logged, and the next attempt (from anyone) waits a
 * doubled penalty: guessing tokens gets slower with every guess. */
static void ctl_auth_penalize(struct pf_control *c, const struct pf_control_client *cl,
                              const char *why)
{
    c->auth_failures++;
    c->auth_penalty_ms = c->auth_penalty_ms ? c->auth_penalty_ms * 2 : CTL_PENALTY_MIN_MS;
    if (c->auth_penalty_ms > CTL_PENALTY_MAX_MS)
        c->auth_penalty_ms = CTL_PENALTY_MAX_MS;
    c->auth_not_before = pf_time_now_ms() + c->auth_penalty_ms;
    pf_log_warn("control: authentication failed from %s (%s)", cl->peer, why);
}

/* A failed attempt on the line protocol: answered, then closed. */
static void ctl_auth_failed(struct pf_control *c, struct pf_control_client *cl, const char *why)
{
    ctl_auth_penalize(c, cl, why);
    cl->closing = true;
    ctl_reply(c, cl, pf_control_render_error(why));
}

static void ctl_auth_ok(struct pf_control *c, struct pf_control_client *cl)
{
    c->auth_penalty_ms = 0;
    cl->authed = true;
    ctl_reply(c, cl, pf_control_render_ok(NULL));
}

/* Check a token now, or park it until the throttle allows. */
static void ctl_auth(struct pf_control *c, struct pf_control_client *cl, const char *token)
{
    if (pf_time_now_ms() < c->auth_not_before) {
        cl->pending = CTL_PENDING_AUTH;
        snprintf(cl->pending_token, sizeof(cl->pending_token), "%s", token);
        return;
    }
    if (pf_token_equal(c->token, token))
        ctl_auth_ok(c, cl);
    else
        ctl_auth_failed(c, cl, "authentication failed");
}

/* ----------------------------------------------------------- snapshots */

/* The master's status, with the control channel's own failure count. */
static void ctl_snapshot(struct pf_control *c, struct pf_status *st)
{
    c->ops.status(c->ops.ctx, st);
    st->auth_failures = c->auth_failures;
}

/* Every live worker, in an array the caller frees; NULL when out of
 * memory. */
static struct pf_status_worker *ctl_worker_list(struct pf_control *c, size_t *n)
{
    struct pf_status_worker *w = calloc((size_t)c->cfg->workers.max, sizeof(*w));

    *n = w ? c->ops.workers(c->ops.ctx, w, (size_t)c->cfg->workers.max) : 0;
    return w;
}

/* ------------------------------------------------------------ metrics */

/* An HTTP answer without a body, then close. */
static void ctl_http_status(struct pf_control *c, struct pf_control_client *cl, const char *status,
                            const char *extra)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\n%sContent-Length: 0\r\nConnection: close\r\n\r\n", status,
                     extra);

    cl->closing = true;
    ctl_queue(c, cl, head, (size_t)n);
}

/* An HTTP answer with a body (status "200 OK" and the like; extra: more
 * header lines, each ending in CRLF), then close. */
static void ctl_http_body(struct pf_control *c, struct pf_control_client *cl, const char *status,
                          const char *type, const char *extra, const char *body, size_t len)
{
    char head[768];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\n%s"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, type, extra, len);

    ctl_queue(c, cl, head, (size_t)n);
    if (cl->fd >= 0)
        ctl_queue(c, cl, body, len);
    if (cl->fd >= 0) {
        cl->closing = true; /* after the whole answer is queued */
        ctl_flush(c, cl);
    }
}

/* GET /health: 200 "ok" while the server serves; 503 with why while it
 * starts, stops or backs off after crashes (a load balancer stops sending
 * before a graceful stop). No token: it says nothing secret. */
static void ctl_http_health(struct pf_control *c, struct pf_control_client *cl)
{
    struct pf_status st;
    char text[64];
    int code, n;

    ctl_snapshot(c, &st);
    n = snprintf(text, sizeof(text), "%s\n", pf_control_render_health(&st, &code));
    ctl_http_body(c, cl, code == 200 ? "200 OK" : "503 Service Unavailable",
                  "text/plain; charset=utf-8", "", text, (size_t)n);
}

/* The answer 401 to a request without the token. Only a wrong token is
 * an authentication failure (logged, and slowing the next ones down): a
 * browser always asks first without one, and learns from the challenge
 * that it must log in. */
static void ctl_http_unauthorized(struct pf_control *c, struct pf_control_client *cl,
                                  const char *challenge)
{
    if (cl->token_given)
        ctl_auth_penalize(c, cl, "HTTP: wrong token");
    ctl_http_status(c, cl, "401 Unauthorized", challenge);
}

/* GET /metrics (the Prometheus text) or GET /status.json (the status
 * page's data: status, workers and recent events): a snapshot of the
 * master and its workers, rendered. */
static void ctl_http_snapshot(struct pf_control *c, struct pf_control_client *cl, bool metrics)
{
    struct pf_status st;
    struct pf_status_worker *w;
    size_t n, len = 0;
    char *body;

    ctl_snapshot(c, &st);
    if (metrics)
        c->ops.processes(c->ops.ctx, &st);
    w = ctl_worker_list(c, &n);
    body = metrics
               ? pf_control_render_metrics(&st, w, n, &len)
               : pf_control_render_line(pf_control_render_status_page(&st, w, n,
                                                                      c->ops.events(c->ops.ctx)),
                                        &len);
    free(w);
    if (body == NULL) {
        ctl_http_status(c, cl, "500 Internal Server Error", "");
        return;
    }
    ctl_http_body(c, cl, "200 OK",
                  metrics ? "text/plain; version=0.0.4; charset=utf-8" : "application/json",
                  "X-Content-Type-Options: nosniff\r\n", body, len);
    free(body);
}

/* The status page: one self-contained document (pf_status_page), which
 * asks for /status.json every second. Its policy allows nothing from
 * elsewhere and no framing. */
static void ctl_http_page(struct pf_control *c, struct pf_control_client *cl)
{
    ctl_http_body(c, cl, "200 OK", "text/html; charset=utf-8",
                  "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
                  "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
                  "frame-ancestors 'none'\r\nX-Content-Type-Options: nosniff\r\n"
                  "Referrer-Policy: no-referrer\r\n",
                  pf_status_page, pf_status_page_len);
}

/* What each path of the HTTP side answers, and who may ask: /health
 * anyone; /metrics the token holder (on the status listener, anyone when
 * status.metrics_token is off); the status page only on the control
 * listener, with the token. */
static void ctl_http_answer(struct pf_control *c, struct pf_control_client *cl)
{
    static const char basic[] = "WWW-Authenticate: Basic realm=\"preforkd\", charset=\"UTF-8\"\r\n";
    const char *path = cl->http_path;
    bool page = strcmp(path, "/status") == 0 || strcmp(path, "/status/") == 0;
    bool data = strcmp(path, "/status.json") == 0;

    if (strcmp(path, "/health") == 0) {
        ctl_http_health(c, cl);
    } else if (strcmp(path, "/metrics") == 0) {
        if (cl->token_ok || (c->status_only && !c->cfg->status.metrics_token))
            ctl_http_snapshot(c, cl, true);
        else
            ctl_http_unauthorized(c, cl, "WWW-Authenticate: Bearer\r\n");
    } else if ((page || data) && !c->status_only) {
        if (!cl->token_ok)
            ctl_http_unauthorized(c, cl, basic);
        else if (page)
            ctl_http_page(c, cl);
        else
            ctl_http_snapshot(c, cl, false);
    } else {
        ctl_http_status(c, cl, "404 Not Found", "");
    }
    if (cl->token_ok)
        c->auth_penalty_ms = 0;
}

/* One header line of an HTTP request; the empty line ends the head. */
static void ctl_http_header(struct pf_control *c, struct pf_control_client *cl, const char *line,
                            size_t len)
{
    static const char auth[] = "authorization:";
    char copy[PF_CONTROL_CMD_LINE_MAX], token[PF_TOKEN_MAX + 1];

    if (len == 0) {
        if (pf_time_now_ms() < c->auth_not_before)
            cl->pending = CTL_PENDING_HTTP;
        else
            ctl_http_answer(c, cl);
        return;
    }
    if (len <= sizeof(auth) - 1 || strncasecmp(line, auth, sizeof(auth) - 1) != 0)
        return;
    /* The line is not NUL-terminated in the buffer: parse a copy of it. */
    memcpy(copy, line, len);
    copy[len] = '\0';
    cl->token_given = true;
    /* the status listener may have no token (none asked): nothing matches */
    cl->token_ok = c->token[0] != '\0' &&
                   pf_token_from_authorization(copy + sizeof(auth) - 1, token, sizeof(token)) ==
                       0 &&
                   pf_token_equal(c->token, token);
}

/* ----------------------------------------------------------- commands */

/* A JSON array of the words of the help text. */
static json_t *ctl_help(void)
{
    char words[256], *save = NULL;
    json_t *list = json_array();

    snprintf(words, sizeof(words), "%s", pf_control_cmd_help());
    for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
        json_array_append_new(list, json_string(w));
    return json_pack("{s:o}", "commands", list);
}

static json_t *ctl_workers(struct pf_control *c)
{
    size_t n;
    struct pf_status_worker *w = ctl_worker_list(c, &n);
    json_t *j;

    if (w == NULL)
        return pf_control_render_error("out of memory");
    j = pf_control_render_workers(w, n);
    free(w);
    return j;
}
static json_t *ctl_status(struct pf_control *c)
{
    struct pf_status st;

    ctl_snapshot(c, &st);
    return pf_control_render_status(&st);
}

/* reload: the generation now in force and the settings changed, or why
 * nothing changed (a configuration error can be long: it names a path). */
static json_t *ctl_reload(struct pf_control *c)
{
    struct pf_status_reload rep;
    char err[PF_ERR_MAX];

    if (c->ops.reload(c->ops.ctx, &rep, err, sizeof(err)) < 0)
        return pf_control_render_error(err);
    return pf_control_render_reload(&rep);
}

/* "upgrade": the reply says the new master was started; whether it took
 * over shows in status (the pid) and in the log. */
static json_t *ctl_upgrade(struct pf_control *c)
{
    char err[PF_ERR_MAX];
    pid_t pid = c->ops.upgrade(c->ops.ctx, err, sizeof(err));

    if (pid < 0)
        return pf_control_render_error(err);
    return pf_control_render_ok(json_pack("{s:I,s:I}", "master", (json_int_t)getpid(), "new_master",
                                          (json_int_t)pid));
}

/* The reply to an authenticated command. */
static json_t *ctl_command(struct pf_control *c, const struct pf_control_cmd *cmd)
{
    char err[PF_ERR_MAX] = "";
    int from, to;

    switch (cmd->verb) {
    case PF_CONTROL_CMD_AUTH: return pf_control_render_ok(NULL);
    case PF_CONTROL_CMD_STATUS: return ctl_status(c);
    case PF_CONTROL_CMD_WORKERS: return ctl_workers(c);
    case PF_CONTROL_CMD_EVENTS: return pf_control_render_events(c->ops.events(c->ops.ctx));
    case PF_CONTROL_CMD_CONFIG: return pf_control_render_config(c->cfg);
    case PF_CONTROL_CMD_HELP: return pf_control_render_ok(ctl_help());
    case PF_CONTROL_CMD_REOPEN: c->ops.reopen(c->ops.ctx); return pf_control_render_ok(NULL);
    case PF_CONTROL_CMD_STOP:
    case PF_CONTROL_CMD_STOP_FAST:
        c->ops.stop(c->ops.ctx, cmd->verb == PF_CONTROL_CMD_STOP_FAST);
        return pf_control_render_ok(json_pack("{s:s}", "stopping",
                                              cmd->verb == PF_CONTROL_CMD_STOP_FAST ? "fast"
                                                                                    : "graceful"));
    case PF_CONTROL_CMD_SCALE:
        if (c->ops.scale(c->ops.ctx, cmd->relative, cmd->value, &from, &to, err, sizeof(err)) < 0)
            return pf_control_render_error(err);
        return pf_control_render_ok(json_pack("{s:i,s:i}", "previous", from, "target", to));
    case PF_CONTROL_CMD_RELOAD: return ctl_reload(c);
    case PF_CONTROL_CMD_UPGRADE: return ctl_upgrade(c);
    case PF_CONTROL_CMD_KILL:
        if (c->ops.kill_worker(c->ops.ctx, cmd->pid, err, sizeof(err)) < 0)
            return pf_control_render_error(err);
        return pf_control_render_ok(json_pack("{s:i}", "pid", (int)cmd->pid));
    case PF_CONTROL_CMD_HTTP_GET: break;
    }
    return pf_control_render_error("GET is for HTTP clients: send it as the first line");
}

/* One complete line from a client. */
static void ctl_line(struct pf_control *c, struct pf_control_client *cl, const char *line,
                     size_t len)
{
    struct pf_control_cmd cmd;
    char err[PF_ERR_MAX];

    if (len > 0 && line[len - 1] == '\r' && cl->http)
        len--;
    if (cl->http) {
        ctl_http_header(c, cl, line, len);
        return;
    }
    if (c->status_only) { /* HTTP GET or nothing: no line protocol here */
        if (pf_control_cmd_parse(line, len, &cmd, err, sizeof(err)) == 0 &&
            cmd.verb == PF_CONTROL_CMD_HTTP_GET) {
            cl->http = true;
            snprintf(cl->http_path, sizeof(cl->http_path), "%s", cmd.path);
        } else {
            ctl_http_status(c, cl, "400 Bad Request", "");
        }
        return;
    }
    if (pf_control_cmd_parse(line, len, &cmd, err, sizeof(err)) < 0) {
        if (cl->authed)
            ctl_reply(c, cl, pf_control_render_error(err));
        else
            ctl_auth_failed(c, cl, "authenticate first: auth TOKEN");
        return;
    }
    if (!cl->authed && cmd.verb == PF_CONTROL_CMD_HTTP_GET) {
        cl->http = true;
        snprintf(cl->http_path, sizeof(cl->http_path), "%s", cmd.path);
    } else if (!cl->authed && cmd.verb == PF_CONTROL_CMD_AUTH) {
        ctl_auth(c, cl, cmd.token);
    } else if (!cl->authed) {
        ctl_auth_failed(c, cl, "authenticate first: auth TOKEN");
    } else {
        ctl_reply(c, cl, ctl_command(c, &cmd));
    }
}

/* Handle the complete lines buffered, unless parked or closing. */
static void ctl_lines(struct pf_control *c, struct pf_control_client *cl)
{
    while (cl->fd >= 0 && !cl->closing && cl->pending == CTL_PENDING_NONE) {
        char *nl = memchr(cl->in, '\n', cl->in_len);
        size_t len;

        if (nl == NULL)
            break;
        len = (size_t)(nl - cl->in);
        cl->http_bytes += len + 1;
        if (cl->http && cl->http_bytes > CTL_HTTP_HEAD_MAX) {
            ctl_http_status(c, cl, "431 Request Header Fields Too Large", "");
            return;
        }
        ctl_line(c, cl, cl->in, len);
        if (cl->fd < 0)
            return;
        cl->in_len -= len + 1;
        memmove(cl->in, nl + 1, cl->in_len);
    }
}

/* Bytes from a client. A full buffer without a newline is a line too
 * long: answered and closed, never grown. */
static void ctl_read(struct pf_control *c, struct pf_control_client *cl)
{
    ssize_t n = recv(cl->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len, MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        ctl_drop(c, cl);
        return;
    }
    cl->in_len += (size_t)n;
    cl->last_active = pf_time_now_ms();
    ctl_lines(c, cl);
    if (cl->fd >= 0 && !cl->closing && cl->in_len == sizeof(cl->in)) {
        if (cl->http) {
            ctl_http_status(c, cl, "431 Request Header Fields Too Large", "");
            return;
        }
        cl->closing = true;
        ctl_reply(c, cl, pf_control_render_error("line too long (at most 1023 bytes)"));
    }
}

/* --------------------------------------------------------- the server */

/* Bind at (or take inherited_fd), load the token, make room for the
 * clients; what is set up is undone on failure. */
static int ctl_open(struct pf_control *c, const char *listen, const struct pf_addr *at,
                    int inherited_fd, char *err, size_t errlen)
{
    struct pf_addr bound;

    c->listen_fd = -1;
    if (listen[0] == '\0') {
        if (inherited_fd >= 0)
            close(inherited_fd); /* the new configuration turned the listener off */
        return 0;
    }
    /* The status listener needs the token only for /metrics with
     * status.metrics_token: without it, no secret file is read or created
     * (a container's read-only configuration folder), and the token stays
     * empty, which matches no bearer token. */
    if ((!c->status_only || c->cfg->status.metrics_token) &&
        pf_token_load(c->cfg->control.token_file, c->token, sizeof(c->token), err, errlen) < 0)
        return -1;
    c->clients = calloc((size_t)c->max_clients, sizeof(*c->clients));
    if (c->clients == NULL) {
        snprintf(err, errlen, "%s: %s", c->status_only ? "status" : "control", strerror(ENOMEM));
        return -1;
    }
    for (int i = 0; i < c->max_clients; i++)
        c->clients[i].fd = -1;
    c->listen_fd = inherited_fd >= 0 ? inherited_fd : pf_net_listen(at, 64, err, errlen);
    if (c->listen_fd < 0) {
        pf_control_close(c);
        return -1;
    }
    pf_net_local_addr(c->listen_fd, &bound);
    pf_addr_format((struct sockaddr *)&bound.ss, c->bound, sizeof(c->bound));
    return 0;
}

int pf_control_init(struct pf_control *c, const struct pf_config *cfg,
                    const struct pf_control_ops *ops, int inherited_fd, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->ops = *ops;
    c->max_clients = cfg->control.max_clients;
    c->idle_timeout_ms = cfg->control.idle_timeout_ms;
    return ctl_open(c, cfg->control.listen, &cfg->control.listen_addr, inherited_fd, err, errlen);
}

int pf_control_init_status(struct pf_control *c, const struct pf_config *cfg,
                           const struct pf_control_ops *ops, int inherited_fd, char *err,
                           size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->ops = *ops;
    c->status_only = true;
    c->max_clients = cfg->status.max_clients;
    c->idle_timeout_ms = PF_CONTROL_STATUS_IDLE_MS;
    return ctl_open(c, cfg->status.listen, &cfg->status.listen_addr, inherited_fd, err, errlen);
}

void pf_control_close(struct pf_control *c)
{
    for (int i = 0; c->clients && i < c->max_clients; i++)
        if (c->clients[i].fd >= 0)
            ctl_drop(c, &c->clients[i]);
    free(c->clients);
    c->clients = NULL;
    if (c->listen_fd >= 0)
        close(c->listen_fd);
    c->listen_fd = -1;
    explicit_bzero(c->token, sizeof(c->token));
}

/* accept() found no descriptor (daemon.max_files reached, by control
 * clients or anything else the master holds) or no memory: stop polling
 * the listener for a moment (the waiting clients stay queued) and say
 * so once, then once a minute while it lasts. */
static void ctl_accept_failed(struct pf_control *c, int err)
{
    int64_t now = pf_time_now_ms();
    struct pf_episode *e = &c->accept_fail;

    c->accept_resume_ms = now + CTL_ACCEPT_PAUSE_MS;
    switch (pf_episode_fail(e, err, now, PF_EPISODE_PERIOD_MS)) {
    case PF_EPISODE_BEGAN:
    case PF_EPISODE_CHANGED:
        pf_log_warn("control: accept failed: %s (%d clients connected); retrying every %d ms "
                    "(logged again once a minute while it lasts)",
                    strerror(err), c->nclients, CTL_ACCEPT_PAUSE_MS);
        break;
    case PF_EPISODE_LASTS:
        pf_log_warn("control: accept still failing: %s; %llu failures in %lld s", strerror(err),
                    (unsigned long long)e->failures, (long long)((now - e->since_ms) / 1000));
        break;
    default: break;
    }
}

/* Take new clients; beyond max_clients a connection is closed at once so
 * the backlog never fills with clients that will not be served. */
static void ctl_accept(struct pf_control *c)
{
    for (;;) {
        struct pf_addr peer = {.len = sizeof(peer.ss)};
        int fd = accept4(c->listen_fd, (struct sockaddr *)&peer.ss, &peer.len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct pf_control_client *cl = NULL;

        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM))
            ctl_accept_failed(c, errno);
        if (fd < 0)
            return;
        if (pf_episode_ok(&c->accept_fail) == PF_EPISODE_ENDED)
            pf_log_notice("control: accept works again after %llu failures in %.1f s",
                          (unsigned long long)c->accept_fail.failures,
                          (double)(pf_time_now_ms() - c->accept_fail.since_ms) / 1000.0);
        for (int i = 0; i < c->max_clients && !cl; i++)
            if (c->clients[i].fd < 0)
                cl = &c->clients[i];
        if (cl == NULL) {
            pf_log_warn("%s: %d clients already connected; refusing one",
                        c->status_only ? "status" : "control", c->max_clients);
            close(fd);
            continue;
        }
        cl->fd = fd;
        cl->last_active = pf_time_now_ms();
        pf_addr_format((struct sockaddr *)&peer.ss, cl->peer, sizeof(cl->peer));
        c->nclients++;
    }
}

int pf_control_pollfds(const struct pf_control *c, struct pollfd *fds, int max)
{
    int n = 0;

    if (c->listen_fd < 0 || max < 1)
        return 0;
    /* Paused after accept() failed: listed (the caller's order stays) but
     * not polled for input. */
    fds[n++] = (struct pollfd){.fd = c->listen_fd,
                               .events = pf_time_now_ms() < c->accept_resume_ms ? 0 : POLLIN};
    for (int i = 0; i < c->max_clients && n < max; i++) {
        const struct pf_control_client *cl = &c->clients[i];
        short ev = 0;

        if (cl->fd < 0)
            continue;
        if (!cl->closing && cl->pending == CTL_PENDING_NONE)
            ev |= POLLIN;
        if (cl->out_off < cl->out_len)
            ev |= POLLOUT;
        fds[n++] = (struct pollfd){.fd = cl->fd, .events = ev};
    }
    return n;
}

int pf_control_timeout_ms(const struct pf_control *c)
{
    int64_t now = pf_time_now_ms(), next = -1;

    for (int i = 0; c->listen_fd >= 0 && i < c->max_clients; i++) {
        const struct pf_control_client *cl = &c->clients[i];
        int64_t t;

        if (cl->fd < 0)
            continue;
        t = cl->pending ? c->auth_not_before : cl->last_active + c->idle_timeout_ms;
        if (next < 0 || t < next)
            next = t;
    }
    if (c->listen_fd >= 0 && c->accept_resume_ms > now && (next < 0 || c->accept_resume_ms < next))
        next = c->accept_resume_ms;
    if (next < 0)
        return -1;
    return next <= now ? 0 : (int)(next - now);
}

static struct pf_control_client *ctl_find(struct pf_control *c, int fd)
{
    for (int i = 0; i < c->max_clients; i++)
        if (c->clients[i].fd == fd)
            return &c->clients[i];
    return NULL;
}

/* Deadlines: parked authentications whose wait is over, idle clients. */
static void ctl_deadlines(struct pf_control *c)
{
    int64_t now = pf_time_now_ms();

    for (int i = 0; i < c->max_clients; i++) {
        struct pf_control_client *cl = &c->clients[i];
        enum ctl_pending p = cl->pending;

        if (cl->fd >= 0 && p != CTL_PENDING_NONE && now >= c->auth_not_before) {
            cl->pending = CTL_PENDING_NONE;
            if (p == CTL_PENDING_AUTH)
                ctl_auth(c, cl, cl->pending_token);
            else
                ctl_http_answer(c, cl);
            if (cl->fd >= 0)
                ctl_lines(c, cl);
        } else if (cl->fd >= 0 && !cl->pending && now - cl->last_active >= c->idle_timeout_ms) {
            pf_log_info("control: client %s idle; closing", cl->peer);
            ctl_drop(c, cl);
        }
    }
}

void pf_control_handle(struct pf_control *c, const struct pollfd *fds, int n)
{
    if (c->listen_fd < 0)
        return;
    for (int i = 0; i < n; i++) {
        struct pf_control_client *cl;

        if (fds[i].revents == 0)
            continue;
        if (fds[i].fd == c->listen_fd) {
            ctl_accept(c);
            continue;
        }
        cl = ctl_find(c, fds[i].fd);
        if (cl && (fds[i].revents & POLLOUT))
            ctl_flush(c, cl);
        if (cl && cl->fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            ctl_read(c, cl);
    }
    ctl_deadlines(c);
}
