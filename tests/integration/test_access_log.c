/* Integration: the access log and the error log as an operator reads
 * them (docs/http.md, "Logs"): http.access_log_format "json" (one valid
 * object per line, whatever bytes a client sends) and "combined" with the
 * request time; refused requests keep their request line; a download
 * cut short logs the bytes really sent, and the error log says which path,
 * to whom and why; a file the workers may not read leaves one error-log
 * line; a document root the workers cannot use is refused by preforkd -t,
 * at start and at reload, naming the file, the line and the setting. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_time.h"

#define STR_ARGS(s) (s), (sizeof(s) - 1)
#define HUGE_SIZE ((off_t)64 << 20)
#define NOTES_BODY "notes\n"
#define NOBODY 65534 /* uid of "nobody" on Linux */

/* Start an http server with one worker on www (notes.txt in it) and the
 * http settings. As root, the workers run as nobody, so that file
 * permissions apply to them. */
static void start(struct pf_server *s, const char *settings)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.workers_start = c.workers_max = 1;
    if (geteuid() == 0) {
        c.daemon_extra = "user = \"nobody\";";
        c.daemon_user_set = true;
    }
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/notes.txt", NOTES_BODY, NULL), 0);
    assert_int_equal(pf_h_start_http(s, &c, settings), 0);
}

/* Send req on a new connection, expect a response with status, and
 * wait until the server closed the connection (after its log line). */
static void request_closed(struct pf_server *s, const char *req, size_t len, int status)
{
    struct pf_h_http r;
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    assert_int_equal(pf_h_http_exchange_len(fd, req, len, &r), 0);
    assert_int_equal(r.status, status);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
    close(fd);
}

/* The access log once it has n lines (bounded wait), as a string. */
static char *wait_lines(struct pf_server *s, int n)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;

    for (;;) {
        char *text = pf_h_read(s, "access.log");

        if (text != NULL && pf_h_count_lines(text) >= n)
            return text;
        free(text);
        if (pf_time_now_ms() >= deadline)
            fail_msg("the access log does not have %d lines", n);
        usleep(PF_H_POLL_MS * 1000);
    }
}

/* Line i (from 0) of text, without its '\n', into out. */
static void line_at(const char *text, int i, char *out, size_t size)
{
    for (; i > 0 && text; i--)
        text = strchr(text, '\n') ? strchr(text, '\n') + 1 : NULL;
    assert_non_null(text);
    size_t len = strcspn(text, "\n");
    assert_true(len < size);
    memcpy(out, text, len);
    out[len] = '\0';
}

/* ------------------------------------------------------------ json */

/* The object on line i, which must be valid JSON with every field. */
static json_t *json_line(const char *text, int i)
{
    static const char *const keys[] = {"time",
                                       "remote_addr",
                                       "request",
                                       "method",
                                       "uri",
                                       "protocol",
                                       "status",
                                       "body_bytes_sent",
                                       "referer",
                                       "user_agent",
                                       "host",
                                       "request_time",
                                       "connection_requests"};
    static char line[32768];
    json_error_t jerr;
    json_t *o;

    line_at(text, i, line, sizeof(line));
    o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        fail_msg("access log line %d is not JSON (%s): %s", i, jerr.text, line);
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        if (json_object_get(o, keys[k]) == NULL)
            fail_msg("line %d has no \"%s\": %s", i, keys[k], line);
    assert_int_equal(json_object_size(o), sizeof(keys) / sizeof(keys[0]));
    return o;
}

static void assert_json_str(json_t *o, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(o, key));

    if (want == NULL ? !json_is_null(json_object_get(o, key)) : got == NULL || strcmp(got, want))
        fail_msg("\"%s\": got %s, want %s", key, got ? got : "(not a string)",
                 want ? want : "null");
}

PF_H_TEST(test_json_lines)
{
    /* two requests on one connection, then hostile bytes */
    static const char two[] = "GET /notes.txt HTTP/1.1\r\nHost: example.org\r\n"
                              "User-Agent: t/1\r\nReferer: http://r/\r\n\r\n"
                              "GET /nothing HTTP/1.1\r\nHost: example.org\r\n"
                              "User-Agent: ev\"il\\\xff\xc3\x28\r\nConnection: close\r\n\r\n";
    static const char hostile[] = "GE\x01T /\x80\xff\"\\x HTTP/1.1\r\nHost: a\r\n\r\n";
    static const char nul[] = "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n";
    struct pf_h_http r;
    int fd;

    start(s, "access_log = \"access.log\"; access_log_format = \"json\";");
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_send(fd, two, sizeof(two) - 1), 0);
    assert_int_equal(pf_h_http_read(fd, false, &r), 0);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_http_read(fd, false, &r), 0);
    assert_int_equal(r.status, 404);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_expect_closed(fd, PF_H_WAIT_MS), 0);
    close(fd);
    request_closed(s, STR_ARGS(hostile), 400);
    request_closed(s, STR_ARGS(nul), 400);

    char *text = wait_lines(s, 4);
    assert_int_equal(pf_h_count_lines(text), 4);
    json_t *o = json_line(text, 0);
    assert_json_str(o, "remote_addr", "127.0.0.1");
    assert_json_str(o, "request", "GET /notes.txt HTTP/1.1");
    assert_json_str(o, "method", "GET");
    assert_json_str(o, "uri", "/notes.txt");
    assert_json_str(o, "protocol", "HTTP/1.1");
    assert_json_str(o, "referer", "http://r/");
    assert_json_str(o, "user_agent", "t/1");
    assert_json_str(o, "host", "example.org");
    assert_int_equal(json_integer_value(json_object_get(o, "status")), 200);
    assert_int_equal(json_integer_value(json_object_get(o, "body_bytes_sent")), strlen(NOTES_BODY));
    assert_int_equal(json_integer_value(json_object_get(o, "connection_requests")), 1);
    assert_true(json_is_number(json_object_get(o, "request_time")));
    assert_true(json_number_value(json_object_get(o, "request_time")) >= 0);
    const char *t = json_string_value(json_object_get(o, "time"));
    assert_non_null(t); /* 2026-12-07T08:47:15.123+00:00 */
    assert_int_equal(strlen(t), 29);
    assert_true(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[26] == ':');
    json_decref(o);
    o = json_line(text, 1);
    assert_json_str(o, "uri", "/nothing");
    assert_json_str(o, "referer", NULL);
    assert_json_str(o, "user_agent", "ev\\x22il\\x5c\\xff\\xc3(");
    assert_int_equal(json_integer_value(json_object_get(o, "status")), 404);
    assert_int_equal(json_integer_value(json_object_get(o, "connection_requests")), 2);
    json_decref(o);
    o = json_line(text, 2);
    assert_json_str(o, "request", "GE\\x01T /\\x80\\xff\\x22\\x5cx HTTP/1.1");
    assert_json_str(o, "protocol", "HTTP/1.1");
    assert_int_equal(json_integer_value(json_object_get(o, "status")), 400);
    json_decref(o);
    o = json_line(text, 3);
    assert_json_str(o, "request", "GET /a\\x00b HTTP/1.1");
    json_decref(o);
    free(text);
}

/* ------------------------------------------------------------ combined */

PF_H_TEST(test_combined_request_time)
{
    static const char req[] = "GET /notes.txt HTTP/1.0\r\nUser-Agent: t/1\r\n\r\n";
    char line[1024], tail[1024];

    start(s, "access_log = \"access.log\";");
    request_closed(s, STR_ARGS(req), 200);
    char *text = wait_lines(s, 1);
    line_at(text, 0, line, sizeof(line));
    free(text);
    /* the nine fields of the Combined Log Format, then the seconds */
    const char *br = strstr(line, "] ");
    assert_int_equal(strncmp(line, "127.0.0.1 - - [", 15), 0);
    assert_non_null(br);
    snprintf(tail, sizeof(tail), "\"GET /notes.txt HTTP/1.0\" 200 %zu \"-\" \"t/1\" ",
             strlen(NOTES_BODY));
    if (strncmp(br + 2, tail, strlen(tail)) != 0)
        fail_msg("line: %s", line);
    const char *secs = br + 2 + strlen(tail);
    assert_int_equal(strspn(secs, "0123456789."), strlen(secs));
    assert_true(strlen(secs) >= 5 && secs[strlen(secs) - 4] == '.');
}

/* ------------------------------------------------------------ refusals */

/* A request line that never ends (longer than max_request_line): 414,
 * and nothing to log but "-". */
static size_t endless_line(char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "GET /");

    memset(buf + n, 'a', size - n);
    return size;
}

PF_H_TEST(test_refusals_keep_request_line)
{
    static const char post[] = "POST / HTTP/1.1\r\nHost: t\r\nUser-Agent: curl/7.88.1\r\n"
                               "Content-Length: 1\r\nContent-Type: a/b\r\n\r\nx";
    static const char del[] = "DELETE /notes.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    static const char version[] = "GET /x HTTP/2.0\r\nHost: t\r\n\r\n";
    static const char badfield[] = "GET /y HTTP/1.1\r\nHost: t\r\nBad Field\r\n\r\n";
    char big[12000], line[1024];

    start(s, "access_log = \"access.log\";");
    request_closed(s, STR_ARGS(post), 413);
    request_closed(s, STR_ARGS(del), 405);
    request_closed(s, STR_ARGS(version), 505);
    request_closed(s, STR_ARGS(badfield), 400);
    /* a whole request line, then more header bytes than max_header_bytes */
    int n = snprintf(big, sizeof(big), "GET /z HTTP/1.1\r\nHost: t\r\nX: ");
    memset(big + n, 'a', sizeof(big) - (size_t)n);
    request_closed(s, big, sizeof(big), 431);
    request_closed(s, big, endless_line(big, sizeof(big)), 414);

    char *text = wait_lines(s, 6);
    static const char *const want[] = {
        "\"POST / HTTP/1.1\" 413 ", "\"DELETE /notes.txt HTTP/1.1\" 405 ",
        "\"GET /x HTTP/2.0\" 505 ", "\"GET /y HTTP/1.1\" 400 ",
        "\"GET /z HTTP/1.1\" 431 ", "\"-\" 414 ",
    };
    for (int i = 0; i < 6; i++) {
        line_at(text, i, line, sizeof(line));
        if (strstr(line, want[i]) == NULL)
            fail_msg("line %d: %s\nwant ... %s...", i, line, want[i]);
    }
    line_at(text, 0, line, sizeof(line)); /* the fields read before the refusal */
    assert_non_null(strstr(line, "\"-\" \"curl/7.88.1\" "));
    free(text);
}

/* ------------------------------------------------------------ aborted */

/* The whole line of the daemon's log that holds needle, into out. */
static void error_log_line(const struct pf_server *s, const char *needle, char *out, size_t size)
{
    char *log = pf_h_log_read(s);
    const char *at = log ? strstr(log, needle) : NULL;

    if (at == NULL)
        fail_msg("no \"%s\" in the log", needle);
    while (at > log && at[-1] != '\n')
        at--;
    snprintf(out, size, "%.*s", (int)strcspn(at, "\n"), at);
    free(log);
}

/* The bytes field (the 8th) of a combined line: a number, or -1 for "-". */
static long long bytes_field(const char *line)
{
    const char *p = strstr(line, "\" ");

    assert_non_null(p);
    p = strchr(p + 2, ' '); /* after the status */
    assert_non_null(p);
    return p[1] == '-' ? -1 : strtoll(p + 1, NULL, 10);
}

PF_H_TEST(test_aborted_download_logs_bytes_sent)
{
    static const char req[] = "GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    char path[PATH_MAX], line[1024], want[128], some[65536];
    int small = 4096, fd;

    start(s, "access_log = \"access.log\";");
    assert_int_equal(pf_h_path(path, s, "www/huge.bin"), 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, HUGE_SIZE), 0);
    close(fd);

    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    assert_int_equal(pf_h_send(fd, STR_ARGS(req)), 0);
    assert_int_equal(pf_h_recv(fd, some, sizeof(some)), 0); /* a little of it */
    pf_h_close_reset(fd);

    char *text = wait_lines(s, 1);
    line_at(text, 0, line, sizeof(line));
    free(text);
    assert_non_null(strstr(line, "\"GET /huge.bin HTTP/1.1\" 200 "));
    long long sent = bytes_field(line);
    if (sent <= 0 || sent >= HUGE_SIZE)
        fail_msg("bytes sent %lld, want between 0 and %lld: %s", sent, (long long)HUGE_SIZE, line);
    /* the error log: the path, the client, how far, why; at info, since a
     * client going away is not the server's fault */
    snprintf(want, sizeof(want), "failed after %lld of %lld bytes: ", sent, (long long)HUGE_SIZE);
    assert_int_equal(pf_h_wait_log(s, want, PF_H_WAIT_MS), 0);
    error_log_line(s, "http: sending /huge.bin to 127.0.0.1:", line, sizeof(line));
    if (strstr(line, "[info] worker[") == NULL || strstr(line, want) == NULL ||
        (strstr(line, strerror(ECONNRESET)) == NULL && strstr(line, strerror(EPIPE)) == NULL))
        fail_msg("error log line: %s", line);
    assert_int_equal(pf_h_log_count(s, "http: sending"), 1);
}

/* ------------------------------------------------------------ 403 */

PF_H_TEST(test_unreadable_file_logged)
{
    static const char req[] = "GET /secret.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    char path[PATH_MAX], line[1024];

    start(s, NULL);
    assert_int_equal(pf_h_write_file(s, "www/secret.txt", "secret\n", path), 0);
    /* readable by its owner only: not by the workers (nobody as root,
     * and with no bit at all when not root, where the owner is us) */
    assert_int_equal(chmod(path, geteuid() == 0 ? 0600 : 0), 0);
    for (int i = 0; i < 3; i++) {
        request_closed(s, STR_ARGS(req), 403);
    }
    assert_int_equal(pf_h_wait_log(s, "http: 403 for /secret.txt: Permission denied", PF_H_WAIT_MS),
                     0);
    error_log_line(s, "http: 403 for /secret.txt", line, sizeof(line));
    if (strstr(line, "[warn] worker[") == NULL)
        fail_msg("not at warn: %s", line);
    /* three refusals, one line: said at most once a minute */
    assert_int_equal(pf_h_log_count(s, "http: 403 for /secret.txt"), 1);
    struct pf_h_http r;
    assert_int_equal(pf_h_http_once(s, "GET /notes.txt HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
}

/* ------------------------------------------------------------ root */

/* Write preforkd.conf with http.root = root (on line 3, or not set when
 * root is NULL) and run preforkd -t on it: it must fail saying want. */
static void expect_t_refuses(struct pf_server *s, const char *root, const char *daemon,
                             const char *want)
{
    char body[1024], path[PATH_MAX];
    struct pf_h_output o;

    snprintf(body, sizeof(body),
             "listen = \"127.0.0.1:0\";\n"
             "protocol = \"http\";\n"
             "%s%s%s"
             "daemon = { %s };\n",
             root ? "http = { root = \"" : "", root ? root : "", root ? "\"; };\n" : "", daemon);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, path), 0);
    assert_int_equal(pf_h_run(s, &o, "-t", "-c", path, (char *)NULL), 0);
    if (pf_h_exited_with(o.status, 0) || strstr(o.err, want) == NULL)
        fail_msg("preforkd -t: status %d, stderr \"%s\"; want \"%s\"", o.status, o.err, want);
    pf_h_output_free(&o);
}

/* The daemon settings -t needs to get past the privileges plan. */
static const char *as_root(void)
{
    return geteuid() == 0 ? "user = \"root\";" : "";
}

PF_H_TEST(test_root_checked_by_t)
{
    char want[2 * PATH_MAX + 128];

    assert_int_equal(pf_h_write_file(s, "file.txt", "x\n", NULL), 0);
    snprintf(want, sizeof(want), "preforkd.conf:3: http.root: \"%s/missing\": %s", s->dir,
             strerror(ENOENT));
    expect_t_refuses(s, "missing", as_root(), want);
    snprintf(want, sizeof(want), "preforkd.conf:3: http.root: \"%s/file.txt\": not a folder",
             s->dir);
    expect_t_refuses(s, "file.txt", as_root(), want);
    /* not set: the default, www beside the file, which is not there */
    snprintf(want, sizeof(want), "%s/preforkd.conf: http.root: \"%s/www\": %s", s->dir, s->dir,
             strerror(ENOENT));
    expect_t_refuses(s, NULL, as_root(), want);
}

PF_H_TEST(test_root_unsearchable_by_workers)
{
    char path[PATH_MAX], want[PATH_MAX + 128];

    assert_int_equal(pf_h_mkdir(s, "site"), 0);
    assert_int_equal(pf_h_path(path, s, "site"), 0);
    if (geteuid() == 0) {
        /* the workers will be nobody, who may not search a 0700 folder */
        assert_int_equal(chmod(path, 0700), 0);
        snprintf(want, sizeof(want),
                 "preforkd.conf:3: http.root: \"%s\": %s: the workers (uid %d, gid ", path,
                 strerror(EACCES), NOBODY);
        expect_t_refuses(s, "site", "user = \"nobody\";", want);
    } else {
        assert_int_equal(chmod(path, 0600), 0);
        snprintf(want, sizeof(want),
                 "preforkd.conf:3: http.root: \"%s\": %s: the workers (uid %lu)", path,
                 strerror(EACCES), (unsigned long)geteuid());
        expect_t_refuses(s, "site", "", want);
    }
    chmod(path, 0755);
}

PF_H_TEST(test_root_missing_stops_start)
{
    char body[512];
    int status;

    snprintf(body, sizeof(body),
             "listen = \"127.0.0.1:0\";\nprotocol = \"http\";\nhttp = { root = \"gone\"; };\n"
             "daemon = { %s };\ncontrol = { listen = \"\"; };\n",
             as_root());
    assert_int_equal(pf_h_start(s, body), -1);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    assert_true(pf_h_log_contains(s, "preforkd.conf:3: http.root: \""));
    assert_true(pf_h_log_contains(s, "/gone\": No such file or directory"));
}

PF_H_TEST(test_reload_with_bad_root_keeps_config)
{
    char body[1024];
    struct pf_h_http r;

    start(s, NULL);
    char *conf = pf_h_read(s, "preforkd.conf");
    assert_non_null(conf);
    char *at = strstr(conf, "root = \"www\"");
    assert_non_null(at);
    int line = 1;
    for (const char *p = conf; p < at; p++)
        line += *p == '\n';
    snprintf(body, sizeof(body), "%.*sroot = \"gone\"%s", (int)(at - conf), conf,
             at + strlen("root = \"www\""));
    free(conf);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    assert_int_equal(pf_h_signal(s, SIGHUP), 0);
    char want[PATH_MAX + 128];
    snprintf(want, sizeof(want), "reload failed, generation 1 stays in force: %s:%d: http.root: \"",
             s->config_path, line);
    assert_int_equal(pf_h_wait_log(s, want, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_http_once(s, "GET /notes.txt HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    pf_h_http_free(&r);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_json_lines),
        PF_H_CASE(test_combined_request_time),
        PF_H_CASE(test_refusals_keep_request_line),
        PF_H_CASE(test_aborted_download_logs_bytes_sent),
        PF_H_CASE(test_unreadable_file_logged),
        PF_H_CASE(test_root_checked_by_t),
        PF_H_CASE(test_root_unsearchable_by_workers),
        PF_H_CASE(test_root_missing_stops_start),
        PF_H_CASE(test_reload_with_bad_root_keeps_config),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
