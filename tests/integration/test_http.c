/* Integration: the http protocol against the real binary, over raw
 * sockets (docs/http.md). Each test writes its own document root in the
 * server's temp dir and asserts exact statuses, header fields and bodies. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_time.h"

#define INDEX_BODY "<!DOCTYPE html>\n<title>preforkd test</title>\n<p>home</p>\n"
#define DIR_BODY "<p>dir index</p>\n"
#define NOTES_BODY "notes: plain text\n"
#define WELL_KNOWN_BODY "well known\n"
#define OUTSIDE_BODY "outside the root: never served\n"
#define SMALL_SIZE 100        /* data.bin: kept in memory by the file cache */
#define LARGE_SIZE 40000      /* big.bin: above the in-memory size, sent with sendfile */
#define HUGE_SIZE (64L << 20) /* huge.bin, sparse: more than any socket buffers hold */
#define CLOSE_MS 5000         /* bound on any expected close */
#define OLD_DATE "Sun, 06 Nov 1994 08:49:37 GMT"
#define NOTES NOTES_BODY, strlen(NOTES_BODY) /* body, length */
#define REQ(path) "GET " path " HTTP/1.1\r\nHost: test\r\n\r\n"

static unsigned char small_data[SMALL_SIZE];
static unsigned char large_data[LARGE_SIZE];

/* ------------------------------------------------------------ the site */

/* Write a file of the site (name relative to the root), or fail. */
static void put(struct pf_server *s, const char *name, const void *buf, size_t len)
{
    char rel[PATH_MAX];

    snprintf(rel, sizeof(rel), "www/%s", name);
    assert_int_equal(pf_h_write_bytes(s, rel, buf, len), 0);
}

/* put() of a NUL-terminated text. */
static void put_text(struct pf_server *s, const char *name, const char *text)
{
    put(s, name, text, strlen(text));
}

/* The absolute path of a name under the root. */
static void site_path(const struct pf_server *s, const char *name, char out[PATH_MAX])
{
    char rel[PATH_MAX];

    snprintf(rel, sizeof(rel), "www/%s", name);
    assert_int_equal(pf_h_path(out, s, rel), 0);
}

/* The text files of the site. */
static const struct {
    const char *name, *text;
} site_texts[] = {
    {"index.html", INDEX_BODY},
    {"dir/index.html", DIR_BODY},
    {"notes.txt", NOTES_BODY},
    {".secret", "hidden\n"},
    {".well-known/x", WELL_KNOWN_BODY},
    {"style.css", "body { color: black; }\n"},
    {"app.js", "console.log(1);\n"},
    {"pic.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"},
    {"blob.pfunknown", "opaque\n"},
    {"noext", "no extension\n"},
    {"empty.txt", ""},
};

/* The document root every test starts from. */
static void make_site(struct pf_server *s)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0};

    pf_h_fill(small_data, sizeof(small_data), 11);
    pf_h_fill(large_data, sizeof(large_data), 12);
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_mkdir(s, "www/dir"), 0);
    assert_int_equal(pf_h_mkdir(s, "www/empty"), 0);
    assert_int_equal(pf_h_mkdir(s, "www/.well-known"), 0);
    for (size_t i = 0; i < sizeof(site_texts) / sizeof(site_texts[0]); i++)
        put_text(s, site_texts[i].name, site_texts[i].text);
    put(s, "img.png", png, sizeof(png));
    put(s, "data.bin", small_data, sizeof(small_data));
    put(s, "big.bin", large_data, sizeof(large_data));
    assert_int_equal(pf_h_write_file(s, "outside.txt", OUTSIDE_BODY, NULL), 0);
}

/* A sparse file of size bytes (zeros, no disk used) under the root. */
static void put_sparse(struct pf_server *s, const char *name, off_t size)
{
    char path[PATH_MAX];
    int fd;

    site_path(s, name, path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    close(fd);
}

/* Make the site and start an http server with c and the http settings. */
static void start_config(struct pf_server *s, struct pf_h_config *c, const char *settings)
{
    make_site(s);
    assert_int_equal(pf_h_start_http(s, c, settings), 0);
}

/* The harness defaults with exactly `workers` workers. */
static void config_workers(struct pf_h_config *c, int workers)
{
    pf_h_config_defaults(c);
    c->workers_start = c->workers_max = workers;
}

/* Make the site and start with `workers` workers and the test defaults. */
static void start(struct pf_server *s, int workers, const char *settings)
{
    struct pf_h_config c;

    config_workers(&c, workers);
    start_config(s, &c, settings);
}

/* A new client connection, or fail. */
static int connect_ok(struct pf_server *s)
{
    int fd = pf_h_connect(s);

    assert_true(fd >= 0);
    return fd;
}

/* ------------------------------------------------------------ checks */

/* The response's status must be status (the head is shown if not). */
static void assert_status(const struct pf_h_http *r, int status)
{
    if (r->status != status)
        fail_msg("status %d, expected %d; head:\n%s", r->status, status, r->head);
}

/* Exactly one field called name, of value want. */
static void assert_header(const struct pf_h_http *r, const char *name, const char *want)
{
    char v[1024];

    if (!pf_h_http_header(r, name, v, sizeof(v)))
        fail_msg("no %s field in:\n%s", name, r->head);
    if (strcmp(v, want) != 0)
        fail_msg("%s: \"%s\", expected \"%s\"; head:\n%s", name, v, want, r->head);
    assert_int_equal(pf_h_http_header_count(r, name), 1);
}

/* No field called name. */
static void assert_no_header(const struct pf_h_http *r, const char *name)
{
    if (pf_h_http_header_count(r, name) != 0)
        fail_msg("unexpected %s field in:\n%s", name, r->head);
}

/* Status, Content-Length and body (body NULL: only the status). */
static void assert_response(const struct pf_h_http *r, int status, const void *body, size_t len)
{
    char cl[32];

    assert_status(r, status);
    if (body == NULL)
        return;
    snprintf(cl, sizeof(cl), "%zu", len);
    assert_header(r, "Content-Length", cl);
    assert_int_equal(r->body_len, len);
    assert_memory_equal(r->body, body, len);
}

/* GET path on a new connection, the response into r (free it). */
static void get_once(struct pf_server *s, const char *path, struct pf_h_http *r)
{
    char req[2048];

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path);
    if (pf_h_http_once(s, req, r) < 0)
        fail_msg("GET %s: no complete response", path);
}

/* GET path on a new connection: expect status (and body, if not NULL). */
static void expect_get(struct pf_server *s, const char *path, int status, const char *body)
{
    struct pf_h_http r;

    get_once(s, path, &r);
    if (r.status != status)
        fail_msg("GET %s: status %d, expected %d; head:\n%s", path, r.status, status, r.head);
    if (body != NULL)
        assert_response(&r, status, body, strlen(body));
    pf_h_http_free(&r);
}

/* One expected answer to a GET: status, and body unless NULL. */
struct get_case {
    const char *path;
    int status;
    const char *body;
};

/* expect_get for each case of a table, each on a new connection. */
static void expect_gets(struct pf_server *s, const struct get_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        expect_get(s, cases[i].path, cases[i].status, cases[i].body);
}

#define EXPECT_GETS(s, table) expect_gets(s, table, sizeof(table) / sizeof(table[0]))

/* GET path on the open connection fd: expect status and body. */
static void expect_get_on(int fd, const char *path, int status, const void *body, size_t len)
{
    struct pf_h_http r;

    if (pf_h_http_get(fd, path, &r) < 0)
        fail_msg("GET %s: no complete response", path);
    assert_response(&r, status, body, len);
    pf_h_http_free(&r);
}

/* Send len raw bytes on a new connection: the answer must be status with
 * Connection: close, and the server must close the connection then. */
static void expect_refused(struct pf_server *s, const char *name, const char *req, size_t len,
                           int status)
{
    struct pf_h_http r;
    int fd = connect_ok(s);

    if (pf_h_http_exchange_len(fd, req, len, &r) < 0)
        fail_msg("%s: no complete response", name);
    if (r.status != status)
        fail_msg("%s: status %d, expected %d; head:\n%s", name, r.status, status, r.head);
    assert_header(&r, "Connection", "close");
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    if (pf_h_expect_closed(fd, CLOSE_MS) < 0)
        fail_msg("%s: the connection stayed open after %d", name, status);
    close(fd);
    pf_h_http_free(&r);
}

/* The head without its Date line (two responses may straddle a second). */
static void head_without_date(const struct pf_h_http *r, char *out, size_t size)
{
    const char *d = strstr(r->head, "\r\nDate: ");
    const char *end = d ? strstr(d + 2, "\r\n") : NULL;

    assert_non_null(end);
    snprintf(out, size, "%.*s%s", (int)(d - r->head), r->head, end);
}

/* The validators of a file under the root as the server must send them:
 * its mtime as an IMF-fixdate, and the strong tag "SIZE-MTIME" (hex; the
 * mtime in nanoseconds). */
static void file_validators(const struct pf_server *s, const char *name, char date[64],
                            char etag[64])
{
    char path[PATH_MAX];
    struct stat st;
    struct tm tm;

    site_path(s, name, path);
    assert_int_equal(stat(path, &st), 0);
    gmtime_r(&st.st_mtime, &tm);
    strftime(date, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(etag, 64, "\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
                 (unsigned long long)st.st_mtim.tv_nsec);
}

/* ------------------------------------------------------------ files */

PF_H_TEST(test_get_index)
{
    struct pf_h_http r;
    char v[128], lm[64], etag[64];

    start(s, 2, NULL);
    get_once(s, "/", &r);
    assert_response(&r, 200, INDEX_BODY, strlen(INDEX_BODY));
    assert_true(strncmp(r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_header(&r, "Accept-Ranges", "bytes");
    assert_header(&r, "Server", "preforkd");
    file_validators(s, "index.html", lm, etag);
    assert_header(&r, "Last-Modified", lm);
    assert_header(&r, "ETag", etag);
    assert_true(pf_h_http_header(&r, "Date", v, sizeof(v)));
    assert_int_equal(strlen(v), 29);
    assert_string_equal(v + 25, " GMT");
    assert_no_header(&r, "Connection"); /* HTTP/1.1 keep-alive is the default */
    pf_h_http_free(&r);
    get_once(s, "/index.html", &r); /* the same file by its name */
    assert_response(&r, 200, INDEX_BODY, strlen(INDEX_BODY));
    pf_h_http_free(&r);
}

PF_H_TEST(test_directories)
{
    struct pf_h_http r;

    start(s, 2, NULL);
    get_once(s, "/dir", &r);
    assert_status(&r, 301);
    assert_header(&r, "Location", "/dir/");
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_true(strstr(r.body, "301 Moved Permanently") != NULL);
    pf_h_http_free(&r);
    get_once(s, "/dir?a=1&b=%20", &r);
    assert_status(&r, 301);
    assert_header(&r, "Location", "/dir/?a=1&b=%20");
    pf_h_http_free(&r);
    expect_get(s, "/dir/", 200, DIR_BODY);
    expect_get(s, "/dir/?x=y", 200, DIR_BODY);
    expect_get(s, "/empty/", 404, NULL);
    get_once(s, "/missing.html", &r);
    assert_status(&r, 404);
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_true(strstr(r.body, "<title>404 Not Found</title>") != NULL);
    assert_true(r.body_len <= 2048); /* small: PF_HTTP_ERROR_PAGE_MAX */
    pf_h_http_free(&r);
    expect_get(s, "/notes.txt/", 404, NULL); /* a file asked as a folder */
}

/* A unix socket file at path (left in place when the socket closes). */
static void make_socket_file(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_true(strlen(path) < sizeof(a.sun_path));
    memcpy(a.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    close(fd);
}

PF_H_TEST(test_forbidden_files)
{
    char path[PATH_MAX];

    start(s, 2, NULL); /* files are looked up per request: add them now */
    site_path(s, "noread.txt", path);
    put_text(s, "noread.txt", "mode 000\n");
    assert_int_equal(chmod(path, 0), 0);
    site_path(s, "fifo", path);
    assert_int_equal(mkfifo(path, 0644), 0);
    site_path(s, "sock", path);
    make_socket_file(path);
    site_path(s, "null", path);
    bool have_dev = mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0;
    expect_get(s, "/noread.txt", 403, NULL); /* even though the server runs as root */
    expect_get(s, "/fifo", 403, NULL);
    if (have_dev)
        expect_get(s, "/null", 403, NULL);
    else
        pf_h_note("mknod not permitted here: the device case is not run");
    expect_get(s, "/notes.txt", 200, NOTES_BODY);
    expect_get(s, "/sock", 403, NULL); /* not a regular file either */
}

/* Expect Content-Type type for path. */
static void expect_type(struct pf_server *s, const char *path, const char *type)
{
    struct pf_h_http r;

    get_once(s, path, &r);
    assert_status(&r, 200);
    assert_header(&r, "Content-Type", type);
    pf_h_http_free(&r);
}

PF_H_TEST(test_content_types)
{
    static const char types[] = "# test types\n"
                                "application/x-pf-test pfzz pfyy\n"
                                "text/x-pf-text pftx\n"
                                "application/x-evil css\n";
    static const struct {
        const char *path, *type;
    } cases[] = {
        {"/index.html", "text/html; charset=utf-8"},
        {"/style.css", "text/css; charset=utf-8"}, /* built-in wins over mime.types */
        {"/app.js", "text/javascript; charset=utf-8"},
        {"/img.png", "image/png"},
        {"/pic.svg", "image/svg+xml; charset=utf-8"},
        {"/notes.txt", "text/plain; charset=utf-8"},
        {"/blob.pfunknown", "application/octet-stream"},
        {"/noext", "application/octet-stream"},
        {"/custom.pfzz", "application/x-pf-test"},
        {"/custom.PFYY", "application/x-pf-test"},
        {"/custom.pftx", "text/x-pf-text; charset=utf-8"},
    };

    assert_int_equal(pf_h_write_file(s, "mime.types", types, NULL), 0); /* read at start */
    start(s, 2, "mime_types = \"mime.types\";");
    put_text(s, "custom.pfzz", "z\n");
    put_text(s, "custom.PFYY", "y\n");
    put_text(s, "custom.pftx", "t\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_type(s, cases[i].path, cases[i].type);
}

/* HEAD then GET of path on one connection: same head but for Date, and
 * no body after the HEAD (else the GET's status line would be off). */
static void expect_head_like_get(int fd, const char *path)
{
    char req[256], h1[4096], h2[4096];
    struct pf_h_http head, get;

    snprintf(req, sizeof(req), "HEAD %s HTTP/1.1\r\nHost: test\r\n\r\n", path);
    assert_int_equal(pf_h_http_exchange(fd, req, &head), 0);
    assert_int_equal(pf_h_http_get(fd, path, &get), 0);
    assert_int_equal(head.status, get.status);
    assert_int_equal(head.content_length, get.content_length);
    assert_true(head.content_length >= 0);
    head_without_date(&head, h1, sizeof(h1));
    head_without_date(&get, h2, sizeof(h2));
    assert_string_equal(h1, h2);
    assert_int_equal(get.body_len, (size_t)get.content_length);
    pf_h_http_free(&head);
    pf_h_http_free(&get);
}

PF_H_TEST(test_head)
{
    static const char *const paths[] = {"/notes.txt", "/big.bin", "/missing", "/", "/empty.txt"};
    int fd;

    start(s, 2, NULL);
    fd = connect_ok(s);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        expect_head_like_get(fd, paths[i]);
    expect_get_on(fd, "/notes.txt", 200, NOTES);
    close(fd);
}

/* ------------------------------------------------------------ validators */

/* GET /notes.txt on fd with one more header line; expect 304 or 200. */
static void expect_cond(int fd, const char *fields, int status, const char *etag)
{
    char req[1024];
    struct pf_h_http r;

    snprintf(req, sizeof(req), "GET /notes.txt HTTP/1.1\r\nHost: test\r\n%s\r\n", fields);
    if (pf_h_http_exchange(fd, req, &r) < 0)
        fail_msg("with \"%s\": no complete response", fields);
    if (r.status != status)
        fail_msg("with \"%s\": status %d, expected %d", fields, r.status, status);
    if (status == 304) {
        assert_no_header(&r, "Content-Length");
        assert_header(&r, "ETag", etag);
        assert_int_equal(r.body_len, 0);
    } else {
        assert_response(&r, 200, NOTES);
    }
    pf_h_http_free(&r);
}

/* GET path on fd: its ETag and Last-Modified values. */
static void get_validators(int fd, const char *path, char etag[128], char lm[64])
{
    struct pf_h_http r;

    assert_int_equal(pf_h_http_get(fd, path, &r), 0);
    assert_status(&r, 200);
    assert_true(pf_h_http_header(&r, "ETag", etag, 128));
    assert_true(pf_h_http_header(&r, "Last-Modified", lm, 64));
    pf_h_http_free(&r);
}

PF_H_TEST(test_conditional)
{
    char etag[128], lm[64], f[512];
    int fd;

    start(s, 2, NULL);
    fd = connect_ok(s);
    get_validators(fd, "/notes.txt", etag, lm);
    snprintf(f, sizeof(f), "If-None-Match: %s\r\n", etag);
    expect_cond(fd, f, 304, etag);
    snprintf(f, sizeof(f), "If-None-Match: W/%s\r\n", etag);
    expect_cond(fd, f, 304, etag);
    snprintf(f, sizeof(f), "If-None-Match: \"other\", %s\r\n", etag);
    expect_cond(fd, f, 304, etag);
    expect_cond(fd, "If-None-Match: *\r\n", 304, etag);
    expect_cond(fd, "If-None-Match: \"other\"\r\n", 200, etag);
    snprintf(f, sizeof(f), "If-Modified-Since: %s\r\n", lm);
    expect_cond(fd, f, 304, etag);
    expect_cond(fd, "If-Modified-Since: " OLD_DATE "\r\n", 200, etag);
    expect_cond(fd, "If-Modified-Since: not a date\r\n", 200, etag);
    /* If-None-Match wins over If-Modified-Since, both ways. */
    snprintf(f, sizeof(f), "If-None-Match: \"other\"\r\nIf-Modified-Since: %s\r\n", lm);
    expect_cond(fd, f, 200, etag);
    snprintf(f, sizeof(f), "If-None-Match: %s\r\nIf-Modified-Since: " OLD_DATE "\r\n", etag);
    expect_cond(fd, f, 304, etag);
    expect_get_on(fd, "/notes.txt", 200, NOTES);
    close(fd);
}

/* GET path with fields on fd: expect a 206 of [first, last] of data (of
 * size bytes), or a 200 of all of it when first < 0. */
static void expect_range(int fd, const char *path, const char *fields, const unsigned char *data,
                         long size, long first, long last)
{
    char req[1024], cr[128];
    struct pf_h_http r;

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\n%s\r\n", path, fields);
    if (pf_h_http_exchange(fd, req, &r) < 0)
        fail_msg("%s with \"%s\": no complete response", path, fields);
    if (first < 0) {
        assert_no_header(&r, "Content-Range");
        assert_response(&r, 200, data, (size_t)size);
    } else {
        snprintf(cr, sizeof(cr), "bytes %ld-%ld/%ld", first, last, size);
        assert_response(&r, 206, data + first, (size_t)(last - first + 1));
        assert_header(&r, "Content-Range", cr);
    }
    pf_h_http_free(&r);
}

/* Range not satisfiable: 416 with Content-Range: bytes star/size. */
static void expect_416(int fd, const char *path, const char *range, long size)
{
    char req[512], cr[64];
    struct pf_h_http r;

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\nRange: %s\r\n\r\n", path, range);
    assert_int_equal(pf_h_http_exchange(fd, req, &r), 0);
    assert_status(&r, 416);
    snprintf(cr, sizeof(cr), "bytes */%ld", size);
    assert_header(&r, "Content-Range", cr);
    pf_h_http_free(&r);
}

PF_H_TEST(test_ranges)
{
    const unsigned char *d = small_data, *L = large_data;
    char etag[128], lm[64], f[512];
    int fd;

    start(s, 2, NULL);
    fd = connect_ok(s);
    expect_range(fd, "/data.bin", "Range: bytes=0-9\r\n", d, SMALL_SIZE, 0, 9);
    expect_range(fd, "/data.bin", "Range: bytes=-5\r\n", d, SMALL_SIZE, 95, 99);
    expect_range(fd, "/data.bin", "Range: bytes=5-\r\n", d, SMALL_SIZE, 5, 99);
    expect_range(fd, "/data.bin", "Range: bytes=90-1000\r\n", d, SMALL_SIZE, 90, 99);
    expect_range(fd, "/data.bin", "Range: bytes=0-1,5-6\r\n", d, SMALL_SIZE, -1, 0);
    expect_range(fd, "/data.bin", "Range: items=0-1\r\n", d, SMALL_SIZE, -1, 0);
    expect_416(fd, "/data.bin", "bytes=100-", SMALL_SIZE);
    expect_416(fd, "/data.bin", "bytes=200-300", SMALL_SIZE);
    expect_range(fd, "/big.bin", "Range: bytes=20000-20009\r\n", L, LARGE_SIZE, 20000, 20009);
    expect_range(fd, "/big.bin", "Range: bytes=-100\r\n", L, LARGE_SIZE, LARGE_SIZE - 100,
                 LARGE_SIZE - 1);
    expect_range(fd, "/big.bin", "Range: bytes=1-\r\n", L, LARGE_SIZE, 1, LARGE_SIZE - 1);
    expect_416(fd, "/big.bin", "bytes=40000-40001", LARGE_SIZE);
    expect_get_on(fd, "/empty.txt", 200, "", 0);
    expect_416(fd, "/empty.txt", "bytes=0-0", 0);
    get_validators(fd, "/data.bin", etag, lm);
    expect_range(fd, "/data.bin", "Range: bytes=0-9\r\nIf-Range: \"stale\"\r\n", d, SMALL_SIZE, -1,
                 0);
    snprintf(f, sizeof(f), "Range: bytes=0-9\r\nIf-Range: %s\r\n", etag);
    expect_range(fd, "/data.bin", f, d, SMALL_SIZE, 0, 9);
    snprintf(f, sizeof(f), "Range: bytes=0-9\r\nIf-Range: %s\r\n", lm);
    expect_range(fd, "/data.bin", f, d, SMALL_SIZE, 0, 9);
    expect_range(fd, "/data.bin", "Range: bytes=0-9\r\nIf-Range: " OLD_DATE "\r\n", d, SMALL_SIZE,
                 -1, 0);
    close(fd);
}

/* ------------------------------------------------------------ methods */

/* A method the server knows but does not allow: 405, connection kept. */
static void expect_405(int fd, const char *req)
{
    struct pf_h_http r;

    if (pf_h_http_exchange(fd, req, &r) < 0)
        fail_msg("%.20s: no complete response", req);
    assert_status(&r, 405);
    assert_header(&r, "Allow", "GET, HEAD");
    assert_no_header(&r, "Connection");
    pf_h_http_free(&r);
}

#define STR_ARGS(text) text, sizeof(text) - 1

PF_H_TEST(test_methods)
{
    static const char *const not_allowed[] = {
        "POST / HTTP/1.1\r\nHost: test\r\n\r\n",
        "PUT /notes.txt HTTP/1.1\r\nHost: test\r\n\r\n",
        "DELETE /notes.txt HTTP/1.1\r\nHost: test\r\n\r\n",
        "OPTIONS / HTTP/1.1\r\nHost: test\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n",
        "TRACE / HTTP/1.1\r\nHost: test\r\n\r\n",
        "PATCH / HTTP/1.1\r\nHost: test\r\n\r\n",
    };
    int fd;

    start(s, 2, NULL);
    fd = connect_ok(s); /* all on one connection: a 405 keeps it open */
    for (size_t i = 0; i < sizeof(not_allowed) / sizeof(not_allowed[0]); i++)
        expect_405(fd, not_allowed[i]);
    expect_get_on(fd, "/notes.txt", 200, NOTES);
    close(fd);
    expect_refused(s, "FOO", STR_ARGS("FOO / HTTP/1.1\r\nHost: test\r\n\r\n"), 501);
    expect_refused(s, "get", STR_ARGS("get / HTTP/1.1\r\nHost: test\r\n\r\n"), 501);
}

/* ------------------------------------------------------------ bad requests */

/* A request whose request line is line_len bytes long (CRLF excluded). */
static size_t long_line(char *buf, size_t size, size_t line_len)
{
    size_t pad = line_len - strlen("GET / HTTP/1.1");

    assert_true(line_len + 64 < size);
    memcpy(buf, "GET /", 5);
    memset(buf + 5, 'a', pad);
    return 5 + pad + (size_t)sprintf(buf + 5 + pad, " HTTP/1.1\r\nHost: test\r\n\r\n");
}

/* A request with nfields fields (Host included), each line field_len
 * bytes (CRLF excluded). */
static size_t many_fields(char *buf, size_t size, int nfields, size_t field_len)
{
    size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: test\r\n");

    for (int i = 1; i < nfields; i++) {
        assert_true(n + field_len + 8 < size);
        n += (size_t)sprintf(buf + n, "X-%04d: ", i);
        memset(buf + n, 'v', field_len - 8);
        n += field_len - 8;
        n += (size_t)sprintf(buf + n, "\r\n");
    }
    return n + (size_t)sprintf(buf + n, "\r\n");
}

#define MAX_LINE 128
#define MAX_HEAD 1024
#define MAX_FIELDS 10

PF_H_TEST(test_limits)
{
    char settings[256], buf[8192];
    size_t n;

    snprintf(settings, sizeof(settings),
             "max_request_line = %d; max_header_bytes = %d; max_headers = %d;", MAX_LINE, MAX_HEAD,
             MAX_FIELDS);
    start(s, 2, settings);
    long_line(buf, sizeof(buf), MAX_LINE); /* at the limit: served */
    struct pf_h_http r;
    assert_int_equal(pf_h_http_once(s, buf, &r), 0);
    assert_status(&r, 404);
    pf_h_http_free(&r);
    n = long_line(buf, sizeof(buf), MAX_LINE + 1);
    expect_refused(s, "request line over max_request_line", buf, n, 414);
    n = long_line(buf, sizeof(buf), 4 * MAX_LINE);
    expect_refused(s, "request line far over max_request_line", buf, n, 414);
    many_fields(buf, sizeof(buf), MAX_FIELDS, 20);
    assert_int_equal(pf_h_http_once(s, buf, &r), 0);
    assert_status(&r, 200);
    pf_h_http_free(&r);
    n = many_fields(buf, sizeof(buf), MAX_FIELDS + 1, 20);
    expect_refused(s, "more than max_headers fields", buf, n, 431);
    n = many_fields(buf, sizeof(buf), 3, MAX_HEAD / 2);
    expect_refused(s, "head over max_header_bytes", buf, n, 431);
    n = many_fields(buf, sizeof(buf), 2, 6000); /* far over, in one field */
    expect_refused(s, "one field over max_header_bytes", buf, n, 431);
}

/* One malformed request and the status it must get. */
struct bad_request {
    const char *name;
    const char *bytes;
    size_t len;
    int status;
};

#define BAD(name, text, status) \
    { \
        name, text, sizeof(text) - 1, status \
    }

static const struct bad_request bad_requests[] = {
    BAD("no version", "GET /\r\nHost: test\r\n\r\n", 400),
    BAD("two spaces", "GET  / HTTP/1.1\r\nHost: test\r\n\r\n", 400),
    BAD("lowercase version", "GET / http/1.1\r\nHost: test\r\n\r\n", 400),
    BAD("HTTP/1.2", "GET / HTTP/1.2\r\nHost: test\r\n\r\n", 505),
    BAD("HTTP/2.0", "GET / HTTP/2.0\r\nHost: test\r\n\r\n", 505),
    BAD("no Host in 1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
    BAD("two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    BAD("space before colon", "GET / HTTP/1.1\r\nHost : test\r\n\r\n", 400),
    BAD("Content-Length with a body",
        "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello", 413),
    BAD("chunked", "GET / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        501),
    BAD("Transfer-Encoding not ending in chunked",
        "GET / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\nxxxx", 400),
    BAD("Transfer-Encoding ending in chunked",
        "GET / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    BAD("Content-Length and Transfer-Encoding",
        "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        400),
    BAD("two Content-Length",
        "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", 400),
    BAD("obs-fold", "GET / HTTP/1.1\r\nHost: test\r\nX-A: a\r\n b\r\n\r\n", 400),
    BAD("NUL in a field", "GET / HTTP/1.1\r\nHost: test\r\nX-A: a\0b\r\n\r\n", 400),
    BAD("bare LF", "GET / HTTP/1.1\nHost: test\n\n", 400),
    BAD("bare LF after CRLF lines", "GET / HTTP/1.1\r\nHost: test\r\n\n", 400),
    BAD("control byte in target", "GET /a\tb HTTP/1.1\r\nHost: test\r\n\r\n", 400),
    BAD("relative target", "GET a.txt HTTP/1.1\r\nHost: test\r\n\r\n", 400),
};

PF_H_TEST(test_bad_requests)
{
    start(s, 2, NULL);
    for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
        const struct bad_request *b = &bad_requests[i];
        expect_refused(s, b->name, b->bytes, b->len, b->status);
    }
    expect_get(s, "/notes.txt", 200, NOTES_BODY);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* ------------------------------------------------------------ error pages */

/* r is the built-in page of status: its heading, a link home, the inline
 * style, nothing to fetch. */
static void assert_builtin_page(const struct pf_h_http *r, int status, const char *title)
{
    char h1[128];

    assert_status(r, status);
    assert_header(r, "Content-Type", "text/html; charset=utf-8");
    assert_non_null(r->body);
    snprintf(h1, sizeof(h1), "<h1>%s</h1>", title);
    if (strstr(r->body, h1) == NULL || strstr(r->body, "<a href=\"/\">") == NULL ||
        strstr(r->body, "<style>") == NULL || strstr(r->body, "<link") != NULL)
        fail_msg("not the built-in %d page:\n%s", status, r->body);
}

/* Error pages link home and carry the site's look inline, so they render
 * with no style.css under the root (this test's root has another one). */
PF_H_TEST(test_error_pages_builtin)
{
    struct pf_h_http r;

    start(s, 2, NULL);
    get_once(s, "/missing.html", &r);
    assert_builtin_page(&r, 404, "404 Not Found");
    pf_h_http_free(&r);
    assert_int_equal(
        pf_h_http_once(s, "GET / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n", &r),
        0);
    assert_builtin_page(&r, 400, "400 Bad Request");
    assert_header(&r, "Connection", "close");
    pf_h_http_free(&r);
}

#define PAGE_404 "<!DOCTYPE html>\n<title>custom</title>\n<p>no such page here</p>\n"
#define BIG_PAGE_SIZE 40000 /* above the response buffer: head and page in two sends */

/* http.error_pages: the configured file is the body of its status (GET),
 * its length the Content-Length (HEAD, no body); the connection stays
 * open or closes as with the built-in page; a page larger than the
 * response buffer is sent whole; statuses without a page keep the
 * built-in one. */
PF_H_TEST(test_error_pages_configured)
{
    static char big[BIG_PAGE_SIZE];
    struct pf_h_http r;
    char cl[32];
    int fd;

    pf_h_fill(big, sizeof(big), 13);
    assert_int_equal(pf_h_mkdir(s, "errors"), 0);
    assert_int_equal(pf_h_write_file(s, "errors/404.html", PAGE_404, NULL), 0);
    assert_int_equal(pf_h_write_bytes(s, "errors/big.html", big, sizeof(big)), 0);
    start(s, 2, "error_pages = [\"404 errors/404.html\", \"400 errors/big.html\"];");
    fd = connect_ok(s);
    assert_int_equal(pf_h_http_get(fd, "/missing.html", &r), 0);
    assert_response(&r, 404, PAGE_404, strlen(PAGE_404));
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_no_header(&r, "Connection"); /* a 404 keeps the connection */
    pf_h_http_free(&r);
    assert_int_equal(pf_h_http_exchange(fd, "HEAD /missing.html HTTP/1.1\r\nHost: test\r\n\r\n",
                                        &r),
                     0);
    assert_status(&r, 404);
    snprintf(cl, sizeof(cl), "%zu", strlen(PAGE_404));
    assert_header(&r, "Content-Length", cl);
    assert_int_equal(r.body_len, 0);
    pf_h_http_free(&r);
    expect_get_on(fd, "/notes.txt", 200, NOTES); /* still the same connection */
    assert_int_equal(pf_h_http_exchange(fd, "PUT / HTTP/1.1\r\nHost: test\r\n\r\n", &r), 0);
    assert_builtin_page(&r, 405, "405 Method Not Allowed"); /* none configured */
    pf_h_http_free(&r);
    assert_int_equal(pf_h_http_exchange(fd,
                                        "GET / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: "
                                        "x\r\n\r\n",
                                        &r),
                     0);
    assert_response(&r, 400, big, sizeof(big));
    assert_header(&r, "Connection", "close");
    pf_h_http_free(&r);
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_MS), 0);
    close(fd);
}

/* ------------------------------------------------------------ containment */

/* A path that must be refused with 400 and never leak a byte of /etc. */
static void expect_traversal_refused(struct pf_server *s, const char *path)
{
    struct pf_h_http r;

    get_once(s, path, &r);
    if (r.status != 400)
        fail_msg("GET %s: status %d, expected 400", path, r.status);
    assert_null(strstr(r.body, "root:"));
    assert_null(strstr(r.body, OUTSIDE_BODY));
    pf_h_http_free(&r);
}

PF_H_TEST(test_traversal)
{
    static const char *const paths[] = {
        "/../etc/passwd",        "/%2e%2e/%2e%2e/etc/passwd", "/a/../../x",          "/%00",
        "/..%2f..%2fetc/passwd", "/dir/../../outside.txt",    "/%2E%2E/outside.txt", "/x%zz",
        "/.%2e/outside.txt",
    };
    static const struct get_case inside[] = {
        {"/dir/../notes.txt", 200, NOTES_BODY}, /* stays inside: fine */
        {"/./dir//index.html", 200, DIR_BODY},
        {"/.secret", 404, NULL},
        {"/%2esecret", 404, NULL},
        {"/.well-known/x", 200, WELL_KNOWN_BODY},
    };

    start(s, 2, NULL);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        expect_traversal_refused(s, paths[i]);
    EXPECT_GETS(s, inside);
}

PF_H_TEST(test_symlinks)
{
    char path[PATH_MAX];
    static const struct {
        const char *name, *target;
    } links[] = {
        {"abs_out", "/etc/hostname"},
        {"rel_out", "../outside.txt"},
        {"etc", "/etc"},
        {"link.txt", "notes.txt"},
        {"linkdir", "dir"},
        {"deep", "dir/../notes.txt"},
    };
    static const struct get_case outside[] = {
        {"/abs_out", 403, NULL}, /* outside: refused, whatever the target */
        {"/rel_out", 403, NULL},
        {"/etc/passwd", 403, NULL},
        {"/etc/", 403, NULL},
    };
    static const struct get_case inside[] = {
        {"/link.txt", 200, NOTES_BODY}, /* inside: followed */
        {"/linkdir/", 200, DIR_BODY},
        {"/linkdir/index.html", 200, DIR_BODY},
        {"/deep", 200, NOTES_BODY},
    };
    /* Without openat2 (old kernels, valgrind) every link is refused. */
    static const struct get_case inside_strict[] = {
        {"/link.txt", 403, NULL},
        {"/linkdir/", 403, NULL},
        {"/linkdir/index.html", 403, NULL},
        {"/deep", 403, NULL},
    };

    start(s, 2, NULL);
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        site_path(s, links[i].name, path);
        assert_int_equal(symlink(links[i].target, path), 0);
    }
    EXPECT_GETS(s, outside);
    if (pf_h_log_contains(s, "openat2 is not available"))
        EXPECT_GETS(s, inside_strict);
    else
        EXPECT_GETS(s, inside);
}

/* ------------------------------------------------------------ connections */

/* Send request (for /notes.txt) on fd: the answer must be the notes with
 * Connection: close, and the server must close fd then (fd is closed). */
static void expect_notes_then_close(int fd, const char *request)
{
    struct pf_h_http r;

    if (pf_h_http_exchange(fd, request, &r) < 0)
        fail_msg("no complete response to %s", request);
    assert_response(&r, 200, NOTES);
    assert_header(&r, "Connection", "close");
    pf_h_http_free(&r);
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_MS), 0);
    close(fd);
}

PF_H_TEST(test_keepalive)
{
    struct pf_h_http r;
    struct pf_h_config c;
    int fd;

    config_workers(&c, 2);
    /* the classic model: the connection stays with one worker all along
       (with parking it may move between requests: test_keeper.c) */
    c.keeper_extra = "parking = false;";
    start_config(s, &c, NULL);
    fd = connect_ok(s);
    pid_t w = pf_h_worker_of_client(s, fd, PF_H_WAIT_MS);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(pf_h_http_get(fd, i % 2 ? "/notes.txt" : "/big.bin", &r), 0);
        if (i % 2)
            assert_response(&r, 200, NOTES);
        else
            assert_response(&r, 200, large_data, LARGE_SIZE);
        assert_no_header(&r, "Connection");
        pf_h_http_free(&r);
    }
    assert_int_equal(pf_h_worker_of_client(s, fd, PF_H_WAIT_MS), w);
    expect_notes_then_close(fd, "GET /notes.txt HTTP/1.1\r\nHost: test\r\n"
                                "Connection: close\r\n\r\n");
}

PF_H_TEST(test_http10)
{
    struct pf_h_http r;
    int fd;

    start(s, 2, NULL);
    expect_notes_then_close(connect_ok(s), "GET /notes.txt HTTP/1.0\r\n\r\n");
    fd = connect_ok(s);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pf_h_http_exchange(fd,
                                            "GET /notes.txt HTTP/1.0\r\n"
                                            "Connection: keep-alive\r\n\r\n",
                                            &r),
                         0);
        assert_response(&r, 200, NOTES);
        assert_header(&r, "Connection", "keep-alive");
        pf_h_http_free(&r);
    }
    expect_get_on(fd, "/", 200, INDEX_BODY, strlen(INDEX_BODY)); /* then 1.1 on it */
    close(fd);
}

PF_H_TEST(test_pipelining)
{
    static const char reqs[] =
        REQ("/notes.txt") "HEAD /index.html HTTP/1.1\r\nHost: test\r\n\r\n" REQ("/dir/")
            REQ("/big.bin");
    struct pf_h_http r;
    int fd;

    start(s, 2, NULL);
    fd = connect_ok(s);
    assert_int_equal(pf_h_send(fd, reqs, sizeof(reqs) - 1), 0); /* one send */
    assert_int_equal(pf_h_http_read(fd, false, &r), 0);
    assert_response(&r, 200, NOTES);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_http_read(fd, true, &r), 0);
    assert_status(&r, 200);
    assert_int_equal(r.content_length, (long long)strlen(INDEX_BODY));
    pf_h_http_free(&r);
    assert_int_equal(pf_h_http_read(fd, false, &r), 0);
    assert_response(&r, 200, DIR_BODY, strlen(DIR_BODY));
    pf_h_http_free(&r);
    assert_int_equal(pf_h_http_read(fd, false, &r), 0);
    assert_response(&r, 200, large_data, LARGE_SIZE);
    pf_h_http_free(&r);
    expect_get_on(fd, "/notes.txt", 200, NOTES);
    close(fd);
}

/* RFC 9112 2.2: empty lines (CRLF, or a bare LF) before a request line
 * are skipped, on a new connection and between pipelined requests; a
 * connection holding nothing but such lines is idle: let go silently at
 * keepalive_timeout, without the 408 a begun head would get (its
 * header_timeout here is far beyond the wait for the close). */
PF_H_TEST(test_empty_lines_before_request)
{
    static const char reqs[] =
        "\r\n" REQ("/notes.txt") "\r\n\r\n" REQ("/dir/") "\n\r\n" REQ("/notes.txt") "\r\n";
    struct pf_h_http r;
    int fd;

    start(s, 2, "keepalive_timeout = 0.5; header_timeout = 60;");
    assert_int_equal(pf_h_http_once(s, "\r\n\r\nGET /notes.txt HTTP/1.1\r\nHost: test\r\n\r\n", &r),
                     0);
    assert_response(&r, 200, NOTES);
    pf_h_http_free(&r);
    fd = connect_ok(s); /* pipelined, one send, an extra CRLF after the last */
    assert_int_equal(pf_h_send(fd, reqs, sizeof(reqs) - 1), 0);
    assert_int_equal(pf_h_http_read(fd, false, &r), 0);
    assert_response(&r, 200, NOTES);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_http_read(fd, false, &r), 0);
    assert_response(&r, 200, DIR_BODY, strlen(DIR_BODY));
    pf_h_http_free(&r);
    assert_int_equal(pf_h_http_read(fd, false, &r), 0);
    assert_response(&r, 200, NOTES);
    assert_no_header(&r, "Connection");
    pf_h_http_free(&r);
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_MS), 0); /* idle: no 408 */
    close(fd);
    fd = connect_ok(s); /* the extra CRLF on its own, once the response is read */
    expect_get_on(fd, "/notes.txt", 200, NOTES);
    assert_int_equal(pf_h_send(fd, "\r\n", 2), 0);
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_MS), 0);
    close(fd);
    fd = connect_ok(s); /* and a request after it is served */
    expect_get_on(fd, "/notes.txt", 200, NOTES);
    assert_int_equal(pf_h_send(fd, "\n", 1), 0);
    expect_get_on(fd, "/dir/", 200, DIR_BODY, strlen(DIR_BODY));
    close(fd);
}

PF_H_TEST(test_keepalive_requests)
{
    struct pf_h_http r;
    int fd;

    start(s, 2, "keepalive_requests = 3;");
    fd = connect_ok(s);
    for (int i = 1; i < 3; i++) {
        assert_int_equal(pf_h_http_get(fd, "/notes.txt", &r), 0);
        assert_response(&r, 200, NOTES);
        assert_no_header(&r, "Connection");
        pf_h_http_free(&r);
    }
    expect_notes_then_close(fd, REQ("/notes.txt")); /* the third: the last one */
}

PF_H_TEST(test_keepalive_timeout)
{
    int fd;

    start(s, 2, "keepalive_timeout = 0.5;");
    fd = connect_ok(s);
    expect_get_on(fd, "/notes.txt", 200, NOTES);
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_MS), 0); /* idle: let go, no response */
    close(fd);
    expect_get(s, "/notes.txt", 200, NOTES_BODY);
}

#define HEADER_TIMEOUT_MS 1000

/* Trickle a head one byte every 100 ms until the server answers or closes;
 * returns the fd (with the answer waiting in it). */
static int trickle(struct pf_server *s)
{
    static const char start_of_head[] = "GET /notes.txt HTTP/1.1\r\nHost: test\r\nX-Slow: ";
    int fd = connect_ok(s);

    assert_int_equal(pf_h_send(fd, STR_ARGS(start_of_head)), 0);
    for (int i = 0; i < 3 * HEADER_TIMEOUT_MS / 100; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) != 0 || pf_h_send(fd, "a", 1) < 0)
            break;
    }
    return fd;
}

PF_H_TEST(test_header_timeout)
{
    struct pf_h_http r;
    int64_t t0;
    int silent, slow;

    start(s, 2, "header_timeout = 1;");
    t0 = pf_time_now_ms();
    silent = connect_ok(s);
    slow = trickle(s);
    assert_int_equal(pf_h_http_read(slow, false, &r), 0);
    assert_status(&r, 408);
    assert_header(&r, "Connection", "close");
    pf_h_http_free(&r);
    assert_int_equal(pf_h_expect_closed(slow, CLOSE_MS), 0);
    assert_int_equal(pf_h_expect_closed(silent, CLOSE_MS), 0);
    if (pf_time_now_ms() - t0 > 3 * HEADER_TIMEOUT_MS)
        fail_msg("closed after %lld ms; header_timeout is %d ms",
                 (long long)(pf_time_now_ms() - t0), HEADER_TIMEOUT_MS);
    close(slow);
    close(silent);
    expect_get(s, "/notes.txt", 200, NOTES_BODY);
}

/* Send a GET of path and read only its head and a few body bytes. */
static int start_download(struct pf_server *s, const char *path)
{
    char req[256], some[1000];
    struct pf_h_http r;
    int fd = connect_ok(s);

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path);
    assert_int_equal(pf_h_send(fd, req, strlen(req)), 0);
    assert_int_equal(pf_h_http_read(fd, true, &r), 0); /* head only */
    assert_status(&r, 200);
    assert_int_equal(r.content_length, HUGE_SIZE);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_recv(fd, some, sizeof(some)), 0);
    return fd;
}

PF_H_TEST(test_client_reset_mid_response)
{
    pid_t before, after;
    int fd;

    start(s, 1, NULL);
    put_sparse(s, "huge.bin", HUGE_SIZE);
    assert_int_equal(pf_h_worker_pids(s, &before, 1), 1);
    fd = start_download(s, "/huge.bin");
    pf_h_close_reset(fd);
    assert_int_equal(pf_h_wait_log(s, "http: sending /huge.bin to 127.0.0.1:", PF_H_WAIT_MS), 0);
    expect_get(s, "/notes.txt", 200, NOTES_BODY);
    assert_int_equal(pf_h_worker_pids(s, &after, 1), 1);
    assert_int_equal(before, after);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

PF_H_TEST(test_write_timeout_frees_worker)
{
    int64_t t0;
    int stuck;

    struct pf_h_config c;
    config_workers(&c, 1);
    c.write_timeout = 1;
    start_config(s, &c, NULL);
    put_sparse(s, "huge.bin", HUGE_SIZE);
    stuck = start_download(s, "/huge.bin"); /* then never reads again */
    t0 = pf_time_now_ms();
    expect_get(s, "/notes.txt", 200, NOTES_BODY); /* waits for the only worker */
    if (pf_time_now_ms() - t0 > 6000)
        fail_msg("the second client waited %lld ms; write_timeout is 1 s",
                 (long long)(pf_time_now_ms() - t0));
    assert_true(pf_h_log_contains(s, "bytes: no progress within client.write_timeout"));
    pf_h_close_reset(stuck);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* ------------------------------------------------------------ stopping */

/* The response on fd to a GET sent after a stop order: complete, and
 * saying Connection: close (RFC 9112 9.6: a server about to close says
 * so); then the server closes the connection. */
static void expect_last_response(int fd)
{
    struct pf_h_http r;

    if (pf_h_http_get(fd, "/notes.txt", &r) < 0)
        fail_msg("a request sent after the stop order got no complete response");
    assert_response(&r, 200, NOTES);
    assert_header(&r, "Connection", "close");
    pf_h_http_free(&r);
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_MS), 0);
}

/* The three clients of a graceful stop: two idle between requests (one
 * will send again, one stays silent), one busy with half a head sent. */
struct stop_clients {
    int idle, silent, busy;
};

static void stop_clients_open(struct pf_server *s, struct stop_clients *k)
{
    static const char part[] = "GET /notes.txt HTTP/1.1\r\nHost: test\r\n";

    k->idle = connect_ok(s);
    expect_get_on(k->idle, "/notes.txt", 200, NOTES);
    k->silent = connect_ok(s);
    expect_get_on(k->silent, "/notes.txt", 200, NOTES);
    k->busy = connect_ok(s);
    assert_int_equal(pf_h_send(k->busy, part, sizeof(part) - 1), 0);
}

/* Once the stop began: the idle client's next request and the rest of the
 * busy one's head are answered with Connection: close; the silent client
 * is closed; the server exits cleanly, nothing killed. */
static void stop_clients_check(struct pf_server *s, struct stop_clients *k)
{
    struct pf_h_http r;
    int status;

    expect_last_response(k->idle); /* the next request on an idle connection */
    assert_int_equal(pf_h_http_exchange(k->busy, "\r\n", &r), 0); /* the rest of the head */
    assert_response(&r, 200, NOTES);
    assert_header(&r, "Connection", "close");
    pf_h_http_free(&r);
    assert_int_equal(pf_h_expect_closed(k->busy, CLOSE_MS), 0);
    assert_int_equal(pf_h_expect_closed(k->silent, CLOSE_MS), 0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    assert_false(pf_h_log_contains(s, "SIGKILL"));
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
    close(k->idle);
    close(k->silent);
    close(k->busy);
}

/* Graceful stop with keep-alive clients in the classic model (parking
 * off). An idle keep-alive connection is not cut under a client that may
 * be sending its next request at that very moment: the worker keeps
 * waiting as it normally would, answers the request that comes with
 * Connection: close, and a connection that stays silent ends at
 * keepalive_timeout as always (here 4 s, well within the graceful bound).
 * The busy one is finished, with Connection: close. */
PF_H_TEST(test_graceful_stop_idle_keepalive)
{
    struct stop_clients k;
    struct pf_h_config c;
    pid_t busy_worker;

    config_workers(&c, 3);
    c.graceful_timeout = 20;
    c.keeper_extra = "parking = false;";
    start_config(s, &c, "keepalive_timeout = 4; header_timeout = 30;");
    stop_clients_open(s, &k);
    busy_worker = pf_h_worker_of_client(s, k.busy, PF_H_WAIT_MS);
    assert_true(busy_worker > 0);
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(pf_h_wait_signal_pending(busy_worker, SIGQUIT, PF_H_WAIT_MS), 0);
    stop_clients_check(s, &k);
}

/* The same stop with parking on (the default): the three connections wait
 * in the keeper, no worker holds them. The stop goes keeper first: it
 * hands back the head begun at once, keeps watching the idle ones for its
 * grace (1 s), hands the one whose request comes to a worker (answered
 * with Connection: close), closes the silent one, and exits; then the
 * workers stop. Nothing is cut, nothing killed. */
PF_H_TEST(test_graceful_stop_parked)
{
    struct stop_clients k;
    struct pf_h_config c;

    config_workers(&c, 3);
    c.graceful_timeout = 20;
    start_config(s, &c, "keepalive_timeout = 30; header_timeout = 30;");
    stop_clients_open(s, &k);
    assert_int_equal(pf_h_wait_parked(s, k.idle, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_parked(s, k.silent, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_parked(s, k.busy, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    stop_clients_check(s, &k);
}

/* ------------------------------------------------------------ access log */

/* Send request on a new connection and wait until the server closed it
 * (the access log line is written before the close). */
static void request_until_closed(struct pf_server *s, const char *req, size_t len,
                                 struct pf_h_http *r)
{
    int fd = connect_ok(s);

    assert_int_equal(pf_h_http_exchange_len(fd, req, len, r), 0);
    assert_int_equal(pf_h_expect_closed(fd, CLOSE_MS), 0);
    close(fd);
}

/* The access log file (a name in the server's dir) as a string; free it. */
static char *read_access(struct pf_server *s, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    char *buf;
    FILE *f;

    assert_int_equal(pf_h_path(path, s, name), 0);
    f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    assert_int_equal(fstat(fileno(f), &st), 0);
    buf = calloc(1, (size_t)st.st_size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
    fclose(f);
    return buf;
}

/* Line `index` (from 0) of text must be the client part, a timestamp,
 * then exactly rest, then the request time (" 0.001"). */
static void assert_access_line(const char *text, int index, const char *rest)
{
    const char *line = text;

    for (int i = 0; i < index && line != NULL; i++)
        line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
    assert_non_null(line);
    const char *end = strchr(line, '\n'), *close_br = strstr(line, "] ");
    assert_non_null(end);
    const char *secs = end;
    while (secs > line && secs[-1] != ' ')
        secs--;
    if (strncmp(line, "127.0.0.1 - - [", 15) != 0 || close_br == NULL || close_br > end ||
        secs - line < 2 || end - secs < 5 || end[-4] != '.' ||
        strspn(secs, "0123456789.") != (size_t)(end - secs) ||
        (size_t)(secs - 1 - close_br - 2) != strlen(rest) ||
        strncmp(close_br + 2, rest, strlen(rest)) != 0)
        fail_msg("access log line %d:\n%.*s\nexpected ... %s SECONDS", index, (int)(end - line),
                 line, rest);
}

PF_H_TEST(test_access_log)
{
    static const char evil[] =
        "GET /a\"b HTTP/1.1\r\nHost: test\r\nReferer: http://r/\r\n"
        "User-Agent: ev\"il\t\xff\" 200 1 \"-\" \"x\r\nConnection: close\r\n\r\n";
    static const char head_req[] =
        "HEAD /notes.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    static const char notes_req[] = "GET /notes.txt HTTP/1.0\r\nUser-Agent: t/1\r\n\r\n";
    struct pf_h_http r;
    char want[512];

    start(s, 2, "access_log = \"access.log\";");
    request_until_closed(s, STR_ARGS(notes_req), &r);
    pf_h_http_free(&r);
    request_until_closed(s, STR_ARGS(evil), &r);
    assert_status(&r, 404);
    size_t evil_len = r.body_len;
    pf_h_http_free(&r);
    request_until_closed(s, STR_ARGS(head_req), &r);
    pf_h_http_free(&r);
    request_until_closed(s, STR_ARGS("GET / HTTP/9\r\nHost: test\r\n\r\n"), &r);
    size_t bad_len = r.body_len;
    pf_h_http_free(&r);
    char *log = read_access(s, "access.log");
    assert_non_null(log);
    assert_int_equal(pf_h_count_lines(log), 4);
    snprintf(want, sizeof(want), "\"GET /notes.txt HTTP/1.0\" 200 %zu \"-\" \"t/1\"",
             strlen(NOTES_BODY));
    assert_access_line(log, 0, want);
    snprintf(want, sizeof(want),
             "\"GET /a\\x22b HTTP/1.1\" 404 %zu \"http://r/\" "
             "\"ev\\x22il\\x09\\xff\\x22 200 1 \\x22-\\x22 \\x22x\"",
             evil_len);
    assert_access_line(log, 1, want);
    assert_access_line(log, 2, "\"HEAD /notes.txt HTTP/1.1\" 200 - \"-\" \"-\"");
    snprintf(want, sizeof(want), "\"GET / HTTP/9\" 400 %zu \"-\" \"-\"", bad_len);
    assert_access_line(log, 3, want);
    free(log);
}

/* Requests until one lands in the access log named name (a worker that
 * got SIGUSR1 writes to the new file). */
static void wait_access_reopened(struct pf_server *s, const char *name)
{
    static const char probe[] = "GET /probe HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    struct pf_h_http r;

    for (;;) {
        request_until_closed(s, STR_ARGS(probe), &r);
        pf_h_http_free(&r);
        char *log = read_access(s, name);
        bool done = log != NULL && strstr(log, "/probe") != NULL;
        free(log);
        if (done)
            return;
        if (pf_time_now_ms() >= deadline)
            fail_msg("no request logged in a new %s after SIGUSR1", name);
    }
}

PF_H_TEST(test_access_log_reopen)
{
    static const char req_one[] = "GET /one HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    static const char req_after[] =
        "GET /after HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    char from[PATH_MAX], to[PATH_MAX];
    struct pf_h_http r;

    start(s, 1, "access_log = \"access.log\";");
    request_until_closed(s, STR_ARGS(req_one), &r);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_path(from, s, "access.log"), 0);
    assert_int_equal(pf_h_path(to, s, "access.log.1"), 0);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(pf_h_signal(s, SIGUSR1), 0);
    wait_access_reopened(s, "access.log");
    request_until_closed(s, STR_ARGS(req_after), &r);
    pf_h_http_free(&r);
    char *old = read_access(s, "access.log.1"), *cur = read_access(s, "access.log");
    assert_non_null(old);
    assert_non_null(cur);
    assert_non_null(strstr(old, "\"GET /one HTTP/1.1\" 404"));
    assert_null(strstr(old, "/after"));
    assert_non_null(strstr(cur, "\"GET /after HTTP/1.1\" 404"));
    assert_null(strstr(cur, "/one"));
    free(old);
    free(cur);
}

/* ------------------------------------------------------------ load */

#define CONC_CLIENTS 16
#define CONC_REQUESTS 50

/* One keep-alive client: CONC_REQUESTS requests of various files on one
 * connection, each body checked. 0 or -1 (no cmocka asserts in threads). */
static int conc_client(int index, void *arg)
{
    static const char *const paths[] = {"/notes.txt", "/data.bin", "/big.bin", "/"};
    const void *bodies[] = {NOTES_BODY, small_data, large_data, INDEX_BODY};
    const size_t lens[] = {strlen(NOTES_BODY), SMALL_SIZE, LARGE_SIZE, strlen(INDEX_BODY)};
    int fd = pf_h_connect(arg), rc = 0;

    for (int i = 0; fd >= 0 && rc == 0 && i < CONC_REQUESTS; i++) {
        int k = (index + i) % 4;
        struct pf_h_http r;
        if (pf_h_http_get(fd, paths[k], &r) < 0 || r.status != 200 || r.body_len != lens[k] ||
            memcmp(r.body, bodies[k], lens[k]) != 0) {
            pf_h_note("client %d request %d (%s): wrong response (status %d)", index, i, paths[k],
                      r.status);
            rc = -1;
        }
        pf_h_http_free(&r);
    }
    if (fd >= 0)
        close(fd);
    return fd >= 0 ? rc : -1;
}

PF_H_TEST(test_concurrent_keepalive)
{
    start(s, CONC_CLIENTS, NULL);
    assert_int_equal(pf_h_run_clients(CONC_CLIENTS, conc_client, s), 0);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* ------------------------------------------------------------ cache, hosts */

PF_H_TEST(test_open_file_cache_valid)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    struct pf_h_http r;
    int64_t t0, deadline;

    start(s, 1, "open_file_cache_valid = 0.3;");
    put_text(s, "v.txt", "version 1\n");
    expect_get(s, "/v.txt", 200, "version 1\n");
    put_text(s, "v.tmp", "version 2, longer\n");
    site_path(s, "v.tmp", tmp);
    site_path(s, "v.txt", dst);
    assert_int_equal(rename(tmp, dst), 0);
    t0 = pf_time_now_ms();
    deadline = t0 + 3000;
    for (;;) {
        get_once(s, "/v.txt", &r);
        assert_status(&r, 200);
        bool fresh = strcmp(r.body, "version 2, longer\n") == 0;
        if (!fresh)
            assert_string_equal(r.body, "version 1\n"); /* stale, but whole */
        pf_h_http_free(&r);
        if (fresh)
            break;
        if (pf_time_now_ms() >= deadline)
            fail_msg("the replaced file still served stale after 3 s (valid = 0.3 s)");
        poll(NULL, 0, PF_H_POLL_MS); /* pace the polling */
    }
}

PF_H_TEST(test_server_name)
{
    struct pf_h_http r;

    start(s, 2, "server_name = \"example.com\";");
    assert_int_equal(pf_h_http_once(s,
                                    "GET http://example.com/notes.txt HTTP/1.1\r\n"
                                    "Host: example.com\r\n\r\n",
                                    &r),
                     0);
    assert_response(&r, 200, NOTES);
    pf_h_http_free(&r);
    assert_int_equal(pf_h_http_once(s,
                                    "GET http://EXAMPLE.com:8080/notes.txt HTTP/1.1\r\n"
                                    "Host: example.com\r\n\r\n",
                                    &r),
                     0);
    assert_response(&r, 200, NOTES);
    pf_h_http_free(&r);
    expect_refused(s, "another host",
                   STR_ARGS("GET http://other.org/notes.txt HTTP/1.1\r\nHost: other.org\r\n\r\n"),
                   400);
    expect_get(s, "/notes.txt", 200, NOTES_BODY); /* origin-form: any Host */
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_get_index),
    PF_H_CASE(test_directories),
    PF_H_CASE(test_forbidden_files),
    PF_H_CASE(test_content_types),
    PF_H_CASE(test_head),
    PF_H_CASE(test_conditional),
    PF_H_CASE(test_ranges),
    PF_H_CASE(test_methods),
    PF_H_CASE(test_limits),
    PF_H_CASE(test_bad_requests),
    PF_H_CASE(test_error_pages_builtin),
    PF_H_CASE(test_error_pages_configured),
    PF_H_CASE(test_traversal),
    PF_H_CASE(test_symlinks),
    PF_H_CASE(test_keepalive),
    PF_H_CASE(test_http10),
    PF_H_CASE(test_pipelining),
    PF_H_CASE(test_empty_lines_before_request),
    PF_H_CASE(test_keepalive_requests),
    PF_H_CASE(test_keepalive_timeout),
    PF_H_CASE(test_header_timeout),
    PF_H_CASE(test_client_reset_mid_response),
    PF_H_CASE(test_write_timeout_frees_worker),
    PF_H_CASE(test_graceful_stop_idle_keepalive),
    PF_H_CASE(test_graceful_stop_parked),
    PF_H_CASE(test_access_log),
    PF_H_CASE(test_access_log_reopen),
    PF_H_CASE(test_concurrent_keepalive),
    PF_H_CASE(test_open_file_cache_valid),
    PF_H_CASE(test_server_name),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
