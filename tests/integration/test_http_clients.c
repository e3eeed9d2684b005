/* Integration: real HTTP clients against the http protocol: curl and
 * Python's http.client (tests/integration/http_client.py), each run as a
 * bounded subprocess (curl --max-time, socket timeouts in the script, and
 * the harness's PF_H_WAIT_MS on the process). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_harness.h"

#define NOTES_BODY "notes: plain text\n"
#define DIR_BODY "<p>dir index</p>\n"
#define CURL_TIME "5" /* curl --max-time, seconds */
#define CLIENT_PY PF_TEST_SOURCE_DIR "/tests/integration/http_client.py"

/* Skip the test (cleanly: the fixture removes its temp dir) when program
 * is not installed. CI installs curl and python3 (tools/deps.sh). */
static void need_program(struct pf_server *s, const char *program)
{
    if (!pf_h_have_program(program)) {
        pf_h_note("%s not found in PATH: test skipped", program);
        s->passed = true;
        skip();
    }
}

/* The site and a server with two workers. */
static void start(struct pf_server *s)
{
    struct pf_h_config c;

    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_mkdir(s, "www/dir"), 0);
    assert_int_equal(pf_h_write_file(s, "www/notes.txt", NOTES_BODY, NULL), 0);
    assert_int_equal(pf_h_write_file(s, "www/dir/index.html", DIR_BODY, NULL), 0);
    pf_h_config_defaults(&c);
    assert_int_equal(pf_h_start_http(s, &c, NULL), 0);
}

/* "http://ADDR/path" into out. */
static void url(const struct pf_server *s, const char *path, char *out, size_t size)
{
    int n = snprintf(out, size, "http://%s%s", s->addr_text, path);

    assert_true(n > 0 && (size_t)n < size);
}

/* Run argv; it must exit 0. o holds its output (free it). */
static void run(struct pf_server *s, struct pf_h_output *o, char *const argv[])
{
    if (pf_h_run_cmd(s, o, argv) < 0 || !pf_h_exited_with(o->status, 0))
        fail_msg("%s failed (wait status %#x); stderr:\n%s", argv[0], (unsigned)o->status,
                 o->err ? o->err : "");
}

/* curl -sS --max-time T OPTS... URL-of-path (opts NULL-terminated; "-D -"
 * among them puts the head on stdout before the body). */
static void curl(struct pf_server *s, struct pf_h_output *o, const char *path,
                 const char *const opts[])
{
    char u[512];
    char *argv[16] = {"curl", "-sS", "--max-time", CURL_TIME};
    int n = 4;

    need_program(s, "curl");
    url(s, path, u, sizeof(u));
    for (size_t i = 0; opts[i] != NULL && n < 14; i++)
        argv[n++] = (char *)opts[i];
    argv[n++] = u;
    argv[n] = NULL;
    run(s, o, argv);
}

/* Options lists for curl(). */
#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* curl's stdout must start with status_line, hold every field line of
 * fields (NULL-terminated), and end its head with exactly body. */
static void assert_curl(const struct pf_h_output *o, const char *status_line,
                        const char *const fields[], const char *body)
{
    const char *end = strstr(o->out, "\r\n\r\n");

    if (strncmp(o->out, status_line, strlen(status_line)) != 0 || end == NULL)
        fail_msg("curl output does not start with \"%s\":\n%s", status_line, o->out);
    for (size_t i = 0; fields[i] != NULL; i++) {
        const char *f = strstr(o->out, fields[i]);
        if (f == NULL || f > end)
            fail_msg("no \"%s\" in the head:\n%s", fields[i], o->out);
    }
    assert_string_equal(end + 4, body);
}

PF_H_TEST(test_curl_get)
{
    static const char *const fields[] = {"\r\nContent-Type: text/plain; charset=utf-8\r\n",
                                         "\r\nContent-Length: 18\r\n", "\r\nServer: preforkd\r\n",
                                         "\r\nAccept-Ranges: bytes\r\n", NULL};
    struct pf_h_output o;

    start(s);
    curl(s, &o, "/notes.txt", OPTS("-D", "-"));
    assert_curl(&o, "HTTP/1.1 200 OK\r\n", fields, NOTES_BODY);
    pf_h_output_free(&o);
    curl(s, &o, "/dir", OPTS("-D", "-", "-L")); /* the redirect to /dir/, followed */
    assert_non_null(strstr(o.out, "HTTP/1.1 301 Moved Permanently\r\n"));
    assert_non_null(strstr(o.out, "\r\nLocation: /dir/\r\n"));
    assert_non_null(strstr(o.out, "\r\n\r\nHTTP/1.1 200 OK\r\n"));
    assert_string_equal(strstr(o.out, "\r\n\r\n" DIR_BODY), "\r\n\r\n" DIR_BODY);
    pf_h_output_free(&o);
}

PF_H_TEST(test_curl_head)
{
    static const char *const fields[] = {"\r\nContent-Length: 18\r\n", NULL};
    struct pf_h_output o;

    start(s);
    curl(s, &o, "/notes.txt", OPTS("-I")); /* the head alone */
    assert_curl(&o, "HTTP/1.1 200 OK\r\n", fields, "");
    pf_h_output_free(&o);
}

PF_H_TEST(test_curl_range)
{
    static const char *const fields[] = {"\r\nContent-Range: bytes 0-4/18\r\n",
                                         "\r\nContent-Length: 5\r\n", NULL};
    static const char *const tail[] = {"\r\nContent-Range: bytes 13-17/18\r\n", NULL};
    struct pf_h_output o;

    start(s);
    curl(s, &o, "/notes.txt", OPTS("-D", "-", "--range", "0-4"));
    assert_curl(&o, "HTTP/1.1 206 Partial Content\r\n", fields, "notes");
    pf_h_output_free(&o);
    curl(s, &o, "/notes.txt", OPTS("-D", "-", "--range", "-5"));
    assert_curl(&o, "HTTP/1.1 206 Partial Content\r\n", tail, "text\n");
    pf_h_output_free(&o);
}

PF_H_TEST(test_curl_not_modified)
{
    static const char *const none[] = {NULL};
    char etag[128], inm[160];
    struct pf_h_output o;
    struct pf_h_http r;

    start(s);
    assert_int_equal(pf_h_http_once(s, "GET /notes.txt HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    assert_true(pf_h_http_header(&r, "ETag", etag, sizeof(etag)));
    pf_h_http_free(&r);
    snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    curl(s, &o, "/notes.txt", OPTS("-D", "-", "-H", inm));
    assert_curl(&o, "HTTP/1.1 304 Not Modified\r\n", none, "");
    assert_null(strstr(o.out, "Content-Length"));
    pf_h_output_free(&o);
}

PF_H_TEST(test_curl_http10)
{
    static const char *const fields[] = {"\r\nConnection: close\r\n", "\r\nContent-Length: 18\r\n",
                                         NULL};
    struct pf_h_output o;

    start(s);
    curl(s, &o, "/notes.txt", OPTS("-D", "-", "--http1.0"));
    assert_curl(&o, "HTTP/1.1 200 OK\r\n", fields, NOTES_BODY);
    pf_h_output_free(&o);
}

PF_H_TEST(test_curl_reuses_connection)
{
    char u1[512], u2[512];
    char *argv[] = {"curl",      "-sS", "--max-time", CURL_TIME, "-o",
                    "/dev/null", "-o",  "/dev/null",  "-w",      "%{http_code} %{num_connects}\\n",
                    u1,          u2,    NULL};
    struct pf_h_output o;

    need_program(s, "curl");
    start(s);
    url(s, "/notes.txt", u1, sizeof(u1));
    url(s, "/dir/", u2, sizeof(u2));
    run(s, &o, argv);
    assert_string_equal(o.out, "200 1\n200 0\n"); /* the second made no new connection */
    pf_h_output_free(&o);
}

/* Lowercase hex of text (as Python's bytes.hex()). */
static void hex(const char *text, size_t len, char *out, size_t size)
{
    assert_true(2 * len < size);
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", (unsigned char)text[i]);
    out[2 * len] = '\0';
}

/* The line http_client.py prints for a GET. */
static void get_line(const char *path, int status, const char *reason, const char *body, size_t len,
                     char *out, size_t size)
{
    char h[2048];
    int n;

    hex(body, len, h, sizeof(h));
    n = snprintf(out, size, "GET %s %d %s %zu %s\n", path, status, reason, len, h);
    assert_true(n > 0 && (size_t)n < size);
}

/* Run http_client.py PORT cmd path [path2 path3]: its stdout in o. */
static void python(struct pf_server *s, struct pf_h_output *o, const char *cmd,
                   const char *const paths[])
{
    char port[16];
    char *argv[8] = {"python3", CLIENT_PY, port, (char *)cmd};
    int n = 4;

    need_program(s, "python3");
    snprintf(port, sizeof(port), "%u", s->port);
    for (size_t i = 0; paths[i] != NULL && n < 7; i++)
        argv[n++] = (char *)paths[i];
    argv[n] = NULL;
    run(s, o, argv);
}

PF_H_TEST(test_python_keepalive_and_404)
{
    static const char *const paths[] = {"/notes.txt", "/missing", "/dir/", NULL};
    char want[8192], line[2200];
    struct pf_h_output o;
    struct pf_h_http r;

    start(s);
    assert_int_equal(pf_h_http_once(s, "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 404);
    get_line("/notes.txt", 200, "OK", NOTES_BODY, strlen(NOTES_BODY), want, sizeof(want));
    get_line("/missing", 404, "Not Found", r.body, r.body_len, line, sizeof(line));
    strcat(want, line);
    get_line("/dir/", 200, "OK", DIR_BODY, strlen(DIR_BODY), line, sizeof(line));
    strcat(want, line);
    strcat(want, "connections=1\n"); /* one connection for the three */
    pf_h_http_free(&r);
    python(s, &o, "get", paths);
    assert_string_equal(o.out, want);
    pf_h_output_free(&o);
}

PF_H_TEST(test_python_head)
{
    static const char *const paths[] = {"/notes.txt", NULL};
    char want[1024];
    struct pf_h_output o;

    start(s);
    snprintf(want, sizeof(want), "HEAD /notes.txt 200 content-length=%zu body=0\n",
             strlen(NOTES_BODY));
    get_line("/notes.txt", 200, "OK", NOTES_BODY, strlen(NOTES_BODY), want + strlen(want),
             sizeof(want) - strlen(want));
    strcat(want, "connections=1\n");
    python(s, &o, "head", paths);
    assert_string_equal(o.out, want);
    pf_h_output_free(&o);
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_curl_get),
    PF_H_CASE(test_curl_head),
    PF_H_CASE(test_curl_range),
    PF_H_CASE(test_curl_not_modified),
    PF_H_CASE(test_curl_http10),
    PF_H_CASE(test_curl_reuses_connection),
    PF_H_CASE(test_python_keepalive_and_404),
    PF_H_CASE(test_python_head),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
