/* Unit tests for pf_config: defaults, every setting, and the one-line
 * "FILE:LINE: SETTING: REASON" error of each way a file can be wrong.
 *
 * Each test gets a fresh temporary folder (setup/teardown); load_text()
 * writes a configuration text to preforkd.conf in it and loads that file.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pf_addr.h"
#include "pf_config.h"
#include "pf_log.h"

struct fixture {
    char dir[64];        /* temporary folder, as created */
    char real[PATH_MAX]; /* the same, symlinks resolved (what dir fields hold) */
    char path[PATH_MAX]; /* dir/preforkd.conf */
    char err[PF_ERR_MAX];
    struct pf_config cfg;
};

/* Create the temporary folder each test works in. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/pf_config_test_XXXXXX");
    if (!mkdtemp(f->dir) || !realpath(f->dir, f->real)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/preforkd.conf", f->dir);
    *state = f;
    return 0;
}

/* nftw callback: remove one entry (contents come first, FTW_DEPTH). */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Remove the temporary folder and everything a test put in it, subfolders
 * included (symbolic links are removed, not followed). */
static int teardown(void **state)
{
    struct fixture *f = *state;

    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Write text to path (created or truncated). */
static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* Write text to the fixture's preforkd.conf and load it. */
static int load_text(struct fixture *f, const char *text)
{
    write_file(f->path, text);
    f->err[0] = '\0';
    return pf_config_load(&f->cfg, f->path, f->err, sizeof f->err);
}

/* Load text, expecting failure with an error that starts with
 * "<path>:<line>: <setting>: " and contains reason; one line only. */
static void expect_error(struct fixture *f, const char *text, int line, const char *setting,
                         const char *reason)
{
    char prefix[PATH_MAX + 128];

    snprintf(prefix, sizeof prefix, "%s:%d: %s: ", f->path, line, setting);
    assert_int_equal(load_text(f, text), -1);
    if (strncmp(f->err, prefix, strlen(prefix)) != 0 || !strstr(f->err, reason))
        fail_msg("config:\n%s\nerror:    %s\nexpected: %s...%s", text, f->err, prefix, reason);
    assert_null(strchr(f->err, '\n'));
}

/* Every field equals its documented default; root is the document root
 * expected: "www" as pf_config_defaults leaves it, or <config dir>/www once
 * a file is loaded. */
static void assert_defaults(const struct pf_config *c, const char *root)
{
    char buf[PF_ADDR_STRLEN];

    assert_string_equal(c->listen, "127.0.0.1:8080");
    assert_string_equal(pf_addr_format((const struct sockaddr *)&c->listen_addr.ss, buf,
                                       sizeof buf),
                        "127.0.0.1:8080");
    assert_int_equal(c->backlog, 511);
    assert_int_equal(c->defer_accept_ms, 1000);
    assert_string_equal(c->workers.mode, "static");
    assert_false(pf_config_dynamic(c));
    assert_int_equal(c->workers.min_spare, 2);
    assert_int_equal(c->workers.max_spare, 8);
    assert_int_equal(c->workers.max_spawn_rate, 32);
    assert_int_equal(c->workers.max_requests_jitter, 0);
    assert_int_equal(c->workers.max_lifetime_ms, 0);
    assert_int_equal(c->workers.request_timeout_ms, 0);
    assert_int_equal(c->workers.crash_limit, 5);
    assert_int_equal(c->workers.crash_window_ms, 10000);
    assert_int_equal(c->workers.backoff_max_ms, 30000);
    assert_string_equal(c->protocol, "http");
    assert_int_equal(c->workers.start, 4);
    assert_int_equal(c->workers.max, 64);
    assert_int_equal(c->workers.max_requests, 0);
    assert_int_equal(c->workers.graceful_timeout_ms, 30000);
    assert_int_equal(c->workers.stop_timeout_ms, 5000);
    assert_int_equal(c->client.read_timeout_ms, 30000);
    assert_int_equal(c->client.write_timeout_ms, 30000);
    assert_int_equal(c->client.idle_timeout_ms, 60000);
    assert_int_equal(c->echo.max_line, 8192);
    assert_int_equal(c->msg.max_message, 1048576);
    assert_string_equal(c->http.root, root);
    assert_string_equal(c->http.index, "index.html");
    assert_string_equal(c->http.server_name, "");
    assert_int_equal(c->http.keepalive_timeout_ms, 5000);
    assert_int_equal(c->http.keepalive_requests, 1000);
    assert_int_equal(c->http.header_timeout_ms, 10000);
    assert_int_equal(c->http.max_request_line, 8192);
    assert_int_equal(c->http.max_header_bytes, 8192);
    assert_int_equal(c->http.max_headers, 100);
    assert_string_equal(c->http.access_log, "");
    assert_string_equal(c->http.access_log_format, "combined");
    assert_string_equal(c->http.mime_types, "/etc/mime.types");
    assert_int_equal(c->http.open_file_cache, 64);
    assert_int_equal(c->http.open_file_cache_valid_ms, 1000);
    assert_int_equal(c->http.nerror_pages, 0);
    assert_string_equal(c->http.error_pages, "");
    assert_true(c->keeper.parking);
    assert_int_equal(c->keeper.linger_ms, 50);
    assert_int_equal(c->keeper.max_parked, 0);
    assert_string_equal(c->daemon.error_log, "");
    assert_int_equal(c->daemon.log_level, PF_LOG_INFO);
    assert_string_equal(c->daemon.pidfile, "");
    assert_string_equal(c->daemon.user, "");
    assert_string_equal(c->daemon.group, "");
    assert_string_equal(c->daemon.chroot, "");
    assert_int_equal(c->daemon.max_files, 0);
    assert_string_equal(c->control.listen, "");
    assert_true(strlen(c->control.token_file) >= strlen("preforkd.token"));
    assert_string_equal(c->control.token_file + strlen(c->control.token_file) -
                            strlen("preforkd.token"),
                        "preforkd.token");
    assert_int_equal(c->control.idle_timeout_ms, 60000);
    assert_int_equal(c->control.max_clients, 16);
    assert_string_equal(c->status.listen, "");
    assert_true(c->status.metrics_token);
    assert_int_equal(c->status.max_clients, 64);
    assert_false(c->proxy.protocol);
    assert_false(c->proxy.forwarded_for);
    assert_int_equal(c->proxy.ntrusted, 0);
    assert_string_equal(c->proxy.trusted, "");
    assert_int_equal(c->status.drain_delay_ms, 0);
}

/* The default document root once f's file is loaded: <its folder>/www. */
static const char *default_root(const struct fixture *f, char *buf, size_t size)
{
    snprintf(buf, size, "%s/www", f->real);
    return buf;
}

static void test_defaults_function(void **state)
{
    struct fixture *f = *state;

    memset(&f->cfg, 0x5a, sizeof f->cfg);
    pf_config_defaults(&f->cfg);
    assert_defaults(&f->cfg, "www"); /* no file, no folder: left relative */
    assert_string_equal(f->cfg.path, "");
    assert_string_equal(f->cfg.dir, "");
}

static void test_empty_file_gives_defaults(void **state)
{
    struct fixture *f = *state;
    char expected[2 * PATH_MAX], root[2 * PATH_MAX];

    assert_int_equal(load_text(f, ""), 0);
    assert_defaults(&f->cfg, default_root(f, root, sizeof root));
    snprintf(expected, sizeof expected, "%s/preforkd.conf", f->real);
    assert_string_equal(f->cfg.path, expected);
    assert_string_equal(f->cfg.dir, f->real);
}

static void test_comments_and_empty_groups_give_defaults(void **state)
{
    struct fixture *f = *state;
    char root[2 * PATH_MAX];

    assert_int_equal(load_text(f, "# nothing set\n// here\n/* either */\n"
                                  "workers = {};\nclient = {};\necho = {};\nmsg = {};\n"
                                  "http = {};\nkeeper = {};\ndaemon = {};\n"),
                     0);
    assert_defaults(&f->cfg, default_root(f, root, sizeof root));
}

static const char full_config[] = "listen = \"[::1]:9000\";\n"
                                  "backlog = 128;\n"
                                  "defer_accept = 2.5;\n"
                                  "protocol = \"msg\";\n"
                                  "workers = {\n"
                                  "  start = 8;\n"
                                  "  max = 16;\n"
                                  "  max_requests = 10000000000L;\n"
                                  "  graceful_timeout = 12;\n"
                                  "  stop_timeout = 2.5;\n"
                                  "  mode = \"dynamic\";\n"
                                  "  min_spare = 3;\n"
                                  "  max_spare = 5;\n"
                                  "  max_spawn_rate = 4;\n"
                                  "  max_requests_jitter = 100;\n"
                                  "  max_lifetime = 3600;\n"
                                  "  request_timeout = 90;\n"
                                  "  crash_limit = 3;\n"
                                  "  crash_window = 20;\n"
                                  "  backoff_max = 60;\n"
                                  "};\n"
                                  "client: {\n"
                                  "  read_timeout = 7;\n"
                                  "  write_timeout = 8.25;\n"
                                  "  idle_timeout = 0.5;\n"
                                  "};\n"
                                  "echo = { max_line = 2; };\n"
                                  "msg = { max_message = 0; };\n"
                                  "http = {\n"
                                  "  root = \"site\";\n"
                                  "  index = \"home.htm\";\n"
                                  "  server_name = \"www.example.org\";\n"
                                  "  keepalive_timeout = 2.5;\n"
                                  "  keepalive_requests = 10000000000L;\n"
                                  "  header_timeout = 3;\n"
                                  "  max_request_line = 64;\n"
                                  "  max_header_bytes = 1048576;\n"
                                  "  max_headers = 10000;\n"
                                  "  access_log = \"logs/access.log\";\n"
                                  "  access_log_format = \"json\";\n"
                                  "  mime_types = \"\";\n"
                                  "  open_file_cache = 0;\n"
                                  "  open_file_cache_valid = 0.25;\n"
                                  "  error_pages = (\"404 404.html\", \"503\t404.html\");\n"
                                  "};\n"
                                  "keeper = {\n"
                                  "  parking = false;\n"
                                  "  linger = 0.2;\n"
                                  "  max_parked = 1000;\n"
                                  "};\n"
                                  "status = {\n"
                                  "  listen = \"0.0.0.0:9145\";\n"
                                  "  metrics_token = false;\n"
                                  "  max_clients = 1024;\n"
                                  "  drain_delay = 2.5;\n"
                                  "};\n"
                                  "proxy = {\n"
                                  "  protocol = true;\n"
                                  "  trusted = [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\"];\n"
                                  "  forwarded_for = false;\n"
                                  "};\n"
                                  "daemon = {\n"
                                  "  error_log = \"logs/preforkd.log\";\n"
                                  "  log_level = \"debug\";\n"
                                  "};\n";

static void test_full_file(void **state)
{
    struct fixture *f = *state;
    char expected[2 * PATH_MAX], buf[PF_ADDR_STRLEN];
    const struct pf_config *c = &f->cfg;

    snprintf(expected, sizeof expected, "%s/404.html", f->dir);
    write_file(expected, "<p>gone</p>\n");
    assert_int_equal(load_text(f, full_config), 0);
    assert_string_equal(c->listen, "[::1]:9000");
    assert_int_equal(c->listen_addr.ss.ss_family, AF_INET6);
    assert_string_equal(pf_addr_format((const struct sockaddr *)&c->listen_addr.ss, buf,
                                       sizeof buf),
                        "[::1]:9000");
    assert_int_equal(c->backlog, 128);
    assert_int_equal(c->defer_accept_ms, 2500);
    assert_string_equal(c->protocol, "msg");
    assert_int_equal(c->workers.start, 8);
    assert_int_equal(c->workers.max, 16);
    assert_true(pf_config_dynamic(c));
    assert_int_equal(c->workers.min_spare, 3);
    assert_int_equal(c->workers.max_spare, 5);
    assert_int_equal(c->workers.max_spawn_rate, 4);
    assert_int_equal(c->workers.max_requests_jitter, 100);
    assert_int_equal(c->workers.max_lifetime_ms, 3600000);
    assert_int_equal(c->workers.request_timeout_ms, 90000);
    assert_int_equal(c->workers.crash_limit, 3);
    assert_int_equal(c->workers.crash_window_ms, 20000);
    assert_int_equal(c->workers.backoff_max_ms, 60000);
    assert_true(c->workers.max_requests == 10000000000L);
    assert_int_equal(c->workers.graceful_timeout_ms, 12000);
    assert_int_equal(c->workers.stop_timeout_ms, 2500);
    assert_int_equal(c->client.read_timeout_ms, 7000);
    assert_int_equal(c->client.write_timeout_ms, 8250);
    assert_int_equal(c->client.idle_timeout_ms, 500);
    assert_int_equal(c->echo.max_line, 2);
    assert_int_equal(c->msg.max_message, 0);
    snprintf(expected, sizeof expected, "%s/site", f->real);
    assert_string_equal(c->http.root, expected);
    assert_string_equal(c->http.index, "home.htm");
    assert_string_equal(c->http.server_name, "www.example.org");
    assert_int_equal(c->http.keepalive_timeout_ms, 2500);
    assert_true(c->http.keepalive_requests == 10000000000L);
    assert_int_equal(c->http.header_timeout_ms, 3000);
    assert_int_equal(c->http.max_request_line, 64);
    assert_int_equal(c->http.max_header_bytes, 1048576);
    assert_int_equal(c->http.max_headers, 10000);
    snprintf(expected, sizeof expected, "%s/logs/access.log", f->real);
    assert_string_equal(c->http.access_log, expected);
    assert_string_equal(c->http.access_log_format, "json");
    assert_string_equal(c->http.mime_types, "");
    assert_int_equal(c->http.open_file_cache, 0);
    assert_int_equal(c->http.open_file_cache_valid_ms, 250);
    assert_int_equal(c->http.nerror_pages, 2);
    snprintf(expected, sizeof expected, "404 %s/404.html", f->real);
    assert_string_equal(pf_config_string_at(c->http.error_pages, 2, 0), expected);
    snprintf(expected, sizeof expected, "503 %s/404.html", f->real);
    assert_string_equal(pf_config_string_at(c->http.error_pages, 2, 1), expected);
    assert_false(c->keeper.parking);
    assert_int_equal(c->keeper.linger_ms, 200);
    assert_int_equal(c->keeper.max_parked, 1000);
    assert_string_equal(c->status.listen, "0.0.0.0:9145"); /* any address, unlike control */
    assert_int_equal(c->status.listen_addr.ss.ss_family, AF_INET);
    assert_false(c->status.metrics_token);
    assert_int_equal(c->status.max_clients, 1024);
    assert_true(c->proxy.protocol);
    assert_false(c->proxy.forwarded_for);
    assert_int_equal(c->proxy.ntrusted, 3);
    assert_string_equal(pf_config_string_at(c->proxy.trusted, 3, 1), "10.0.0.0/8");
    assert_int_equal(c->proxy.trusted_nets[1].bits, 8);
    assert_int_equal(c->proxy.trusted_nets[2].family, AF_INET6);
    assert_int_equal(c->status.drain_delay_ms, 2500);
    snprintf(expected, sizeof expected, "%s/logs/preforkd.log", f->real);
    assert_string_equal(c->daemon.error_log, expected);
    assert_int_equal(c->daemon.log_level, PF_LOG_DEBUG);
}

/* A file of size bytes at dir/name. */
static void write_sized(const char *dir, const char *name, size_t size)
{
    char path[PATH_MAX];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    for (size_t i = 0; i < size; i++)
        assert_int_equal(fputc('x', fp), 'x');
    assert_int_equal(fclose(fp), 0);
}

/* http.error_pages at its bounds: 64 entries (statuses 400 to 463 and
 * 599), a file of exactly PF_HTTP_ERROR_PAGE_FILE_MAX bytes. */
static void test_error_pages_bounds(struct fixture *f)
{
    char text[4096], want[PATH_MAX + 16];
    size_t n = (size_t)snprintf(text, sizeof text, "http = { error_pages = [\"599 max.html\"");

    write_sized(f->dir, "max.html", PF_HTTP_ERROR_PAGE_FILE_MAX);
    for (int st = 400; st < 400 + PF_EXEC_LIST_MAX - 1; st++)
        n += (size_t)snprintf(text + n, sizeof text - n, ", \"%d max.html\"", st);
    snprintf(text + n, sizeof text - n, "]; };\n");
    assert_int_equal(load_text(f, text), 0);
    assert_int_equal(f->cfg.http.nerror_pages, PF_EXEC_LIST_MAX);
    snprintf(want, sizeof want, "462 %s/max.html", f->real);
    assert_string_equal(pf_config_string_at(f->cfg.http.error_pages, PF_EXEC_LIST_MAX, 63), want);
    snprintf(text + n, sizeof text - n, ", \"463 max.html\"]; };\n");
    expect_error(f, text, 1, "http.error_pages", "must have 0 to 64 entries (got 65)");
}

/* Upper bounds are accepted, and 64-bit (L) literals for any integer. */
static void test_bounds_accepted(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load_text(f, "backlog = 65535L;\n"
                                  "workers = { max = 4096; start = 4096; };\n"
                                  "echo = { max_line = 16777216; };\n"
                                  "msg = { max_message = 268435456L; };\n"
                                  "client = { idle_timeout = 86400; };\n"
                                  "http = {\n"
                                  "  max_request_line = 65536;\n"
                                  "  max_header_bytes = 1048576L;\n"
                                  "  max_headers = 10000;\n"
                                  "  open_file_cache = 4096;\n"
                                  "  keepalive_timeout = 86400;\n"
                                  "  header_timeout = 86400.0;\n"
                                  "  open_file_cache_valid = 86400;\n"
                                  "};\n"
                                  "keeper = { linger = 60; max_parked = 16777216; };\n"
                                  "status = { drain_delay = 3600; };\n"),
                     0);
    assert_int_equal(f->cfg.http.max_request_line, 65536);
    assert_int_equal(f->cfg.http.max_header_bytes, 1048576);
    assert_int_equal(f->cfg.http.max_headers, 10000);
    assert_int_equal(f->cfg.http.open_file_cache, 4096);
    assert_int_equal(f->cfg.http.keepalive_timeout_ms, 86400000);
    assert_int_equal(f->cfg.http.header_timeout_ms, 86400000);
    assert_int_equal(f->cfg.http.open_file_cache_valid_ms, 86400000);
    assert_int_equal(f->cfg.backlog, 65535);
    assert_int_equal(f->cfg.workers.max, 4096);
    assert_int_equal(f->cfg.workers.start, 4096);
    assert_int_equal(f->cfg.echo.max_line, 16777216);
    assert_int_equal(f->cfg.msg.max_message, 268435456);
    assert_int_equal(f->cfg.client.idle_timeout_ms, 86400000);
    assert_int_equal(f->cfg.keeper.linger_ms, 60000);
    assert_int_equal(f->cfg.keeper.max_parked, 16777216);
    assert_int_equal(f->cfg.status.drain_delay_ms, 3600000);
    test_error_pages_bounds(f);

    /* and the lower bounds of the http and keeper groups */
    assert_int_equal(load_text(f, "http = {\n"
                                  "  keepalive_requests = 1;\n"
                                  "  max_request_line = 64;\n"
                                  "  max_header_bytes = 256;\n"
                                  "  max_headers = 1;\n"
                                  "  open_file_cache = 0;\n"
                                  "  keepalive_timeout = 0.001;\n"
                                  "  header_timeout = 0.0001;\n"
                                  "};\n"
                                  "keeper = { linger = 0; max_parked = 0L; };\n"),
                     0);
    assert_int_equal(f->cfg.http.keepalive_requests, 1);
    assert_int_equal(f->cfg.http.max_request_line, 64);
    assert_int_equal(f->cfg.http.max_header_bytes, 256);
    assert_int_equal(f->cfg.http.max_headers, 1);
    assert_int_equal(f->cfg.http.open_file_cache, 0);
    assert_int_equal(f->cfg.http.keepalive_timeout_ms, 1);
    assert_int_equal(f->cfg.http.header_timeout_ms, 1);
    assert_int_equal(f->cfg.keeper.linger_ms, 0);
    assert_int_equal(f->cfg.keeper.max_parked, 0);
}

/* The keeper group: parking is a boolean (libconfig reads true and false
 * in any case), linger a duration from 0 (park at once) to 60 seconds,
 * max_parked an integer from 0 (from the keeper's descriptor limit) to
 * 16777216. Each case sets one setting; the others keep their defaults. */
static void test_keeper_settings(void **state)
{
    static const struct {
        const char *text;
        bool parking;
        int linger_ms;
        long max_parked;
    } cases[] = {
        {"parking = true;", true, 50, 0},
        {"parking = false;", false, 50, 0},
        {"parking = FALSE;", false, 50, 0},
        {"parking = True;", true, 50, 0},
        {"linger = 0;", true, 0, 0},
        {"linger = 0.0;", true, 0, 0},
        {"linger = 0.0004;", true, 1, 0},
        {"linger = 0.05;", true, 50, 0},
        {"linger = 0.25;", true, 250, 0},
        {"linger = 1;", true, 1000, 0},
        {"linger = 60L;", true, 60000, 0},
        {"linger = 60.0;", true, 60000, 0},
        {"max_parked = 1;", true, 50, 1},
        {"max_parked = 100000;", true, 50, 100000},
        {"max_parked = 0x1000000;", true, 50, 16777216},
        {"parking = false; linger = 2; max_parked = 64;", false, 2000, 64},
    };
    struct fixture *f = *state;
    char text[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "keeper = { %s };\n", cases[i].text);
        if (load_text(f, text) != 0)
            fail_msg("%s: %s", cases[i].text, f->err);
        if (f->cfg.keeper.parking != cases[i].parking ||
            f->cfg.keeper.linger_ms != cases[i].linger_ms ||
            f->cfg.keeper.max_parked != cases[i].max_parked)
            fail_msg("%s: got parking %d, linger %d ms, max_parked %ld", cases[i].text,
                     f->cfg.keeper.parking, f->cfg.keeper.linger_ms, f->cfg.keeper.max_parked);
    }
}

/* The exec group: the program resolved (from PATH without a '/', from
 * the configuration's folder with one), the lists kept in order, the
 * readiness, signals by name in any spelling; exec workers park nothing. */
static void test_exec_settings(void **state)
{
    struct fixture *f = *state;
    char want[PATH_MAX + 16];

    assert_int_equal(
        load_text(f, "protocol = \"exec\";\n"
                     "exec = {\n"
                     "  command = [\"sh\", \"-c\", \"exec cat\"];\n"
                     "  env = (\"A=1\", \"HOME\");\n"
                     "  listen_fd = 0; ready = \"notify\"; ready_timeout = 2.5;\n"
                     "  watchdog = 3; stop_signal = \"sigquit\"; hung_signal = \"USR1\";\n"
                     "};\n"),
        0);
    assert_true(pf_config_exec(&f->cfg));
    assert_int_equal(f->cfg.exec.argc, 3);
    assert_string_equal(pf_config_string_at(f->cfg.exec.command, 3, 0), "/usr/bin/sh");
    assert_string_equal(pf_config_string_at(f->cfg.exec.command, 3, 2), "exec cat");
    assert_null(pf_config_string_at(f->cfg.exec.command, 3, 3));
    assert_int_equal(f->cfg.exec.nenv, 2);
    assert_string_equal(pf_config_string_at(f->cfg.exec.env, 2, 1), "HOME");
    assert_int_equal(f->cfg.exec.listen_fd, 0);
    assert_string_equal(f->cfg.exec.ready, "notify");
    assert_int_equal(f->cfg.exec.ready_timeout_ms, 2500);
    assert_int_equal(f->cfg.exec.watchdog_ms, 3000);
    assert_int_equal(f->cfg.exec.stop_signal, SIGQUIT);
    assert_int_equal(f->cfg.exec.hung_signal, SIGUSR1);
    assert_false(f->cfg.keeper.parking);

    /* a path with '/' is relative to the configuration's folder */
    snprintf(want, sizeof want, "%s/run.sh", f->dir);
    write_file(want, "#!/bin/sh\n");
    assert_int_equal(chmod(want, 0755), 0);
    assert_int_equal(load_text(f, "exec = { command = [\"./run.sh\"]; };\n"), 0);
    snprintf(want, sizeof want, "%s/./run.sh", f->dir);
    assert_string_equal(f->cfg.exec.command, want);
    assert_false(pf_config_exec(&f->cfg));
    assert_true(f->cfg.keeper.parking); /* not exec: the group is only kept */
    assert_int_equal(f->cfg.exec.listen_fd, 3);
    /* a dynamic pool of programs: sized by who holds a client (pf_conn_probe) */
    assert_int_equal(load_text(f, "protocol = \"exec\";\nexec = { command = [\"/bin/true\"]; };\n"
                                  "workers = { mode = \"dynamic\"; };\n"),
                     0);
    assert_true(pf_config_dynamic(&f->cfg) && pf_config_exec(&f->cfg));
    assert_string_equal(f->cfg.exec.ready, "started");
    assert_int_equal(f->cfg.exec.stop_signal, SIGTERM);
    assert_int_equal(f->cfg.exec.hung_signal, SIGABRT);
}

/* The proxy group: the trusted list parsed (both families, blocks),
 * forwarded_for with http (its refusals are in invalid_cases). */
static void test_proxy_settings(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load_text(f, "proxy = {\n"
                                  "  protocol = true;\n"
                                  "  forwarded_for = true;\n"
                                  "  trusted = (\"192.168.0.0/16\", \"fd00::/8\");\n"
                                  "};\n"),
                     0);
    assert_true(f->cfg.proxy.protocol && f->cfg.proxy.forwarded_for);
    assert_int_equal(f->cfg.proxy.ntrusted, 2);
    assert_int_equal(f->cfg.proxy.trusted_nets[0].family, AF_INET);
    assert_int_equal(f->cfg.proxy.trusted_nets[0].bits, 16);
    assert_int_equal(f->cfg.proxy.trusted_nets[1].family, AF_INET6);
    /* echo and msg read the PROXY header too */
    assert_int_equal(load_text(f, "protocol = \"msg\";\n"
                                  "proxy = { protocol = true; trusted = [\"0.0.0.0/0\"]; };\n"),
                     0);
    /* a list alone switches nothing on */
    assert_int_equal(load_text(f, "proxy = { trusted = [\"127.0.0.1\"]; };\n"), 0);
    assert_false(f->cfg.proxy.protocol || f->cfg.proxy.forwarded_for);
}

/* The command line's program form: the defaults and what the options
 * say, the program resolved as exec.command is; each bad option named. */
static void test_from_line(void **state)
{
    static char *prog[] = {"sh", "-c", "exec cat"};
    static char *missing[] = {"no-such-program-here"};
    static const struct {
        struct pf_config_line line;
        const char *err;
    } bad[] = {
        {{NULL, "0", NULL, false, prog, 3},
         "-w: must be an integer between 1 and 4096 (got \"0\")"},
        {{NULL, "4x", NULL, false, prog, 3}, "-w: must be an integer between 1 and 4096"},
        {{"nowhere", NULL, NULL, false, prog, 3}, "-l: invalid address \"nowhere\""},
        {{NULL, NULL, "no-such-user-here", false, prog, 3}, "-u: no such user"},
        {{NULL, NULL, NULL, false, missing, 1}, "program \"no-such-program-here\": not found"},
    };
    struct pf_config c;
    char err[PF_ERR_MAX];
    struct pf_config_line ok = {"127.0.0.1:9000", "100", "root", true, prog, 3};

    (void)state;
    assert_int_equal(pf_config_from_line(&c,
                                         &(struct pf_config_line){.program = prog, .nprogram = 3},
                                         err, sizeof err),
                     0);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_int_equal(c.workers.start, 4);
    assert_true(pf_config_exec(&c));
    assert_string_equal(c.exec.command, "/usr/bin/sh");
    assert_string_equal(pf_config_string_at(c.exec.command, c.exec.argc, 2), "exec cat");
    assert_string_equal(c.exec.ready, "started");
    assert_true(c.exec.env_inherit);
    assert_false(c.keeper.parking);
    assert_string_equal(c.control.listen, "");
    assert_string_equal(c.path, "");
    assert_int_equal(pf_config_from_line(&c, &ok, err, sizeof err), 0);
    assert_int_equal(c.workers.start, 100);
    assert_int_equal(c.workers.max, 100);
    assert_string_equal(c.listen, "127.0.0.1:9000");
    assert_string_equal(c.daemon.user, "root");
    assert_string_equal(c.exec.ready, "notify");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pf_config_from_line(&c, &bad[i].line, err, sizeof err), -1);
        if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
            fail_msg("got \"%s\", want \"%s...\"", err, bad[i].err);
    }
}

/* A literal beyond 32 bits keeps its value, whatever libconfig's version
 * (1.5 wraps it around silently unless re-read). */
static void test_big_integer_literal(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load_text(f, "workers = { max_requests = 99999999999; };\n"), 0);
    assert_true(f->cfg.workers.max_requests == 99999999999L);
    assert_int_equal(load_text(f, "workers = { max_requests = 0x100000000; };\n"), 0);
    assert_true(f->cfg.workers.max_requests == 4294967296L);
    expect_error(f, "\nbacklog = 4294967807;\n", 2, "backlog",
                 "must be an integer between 1 and 65535");
    expect_error(f, "msg = {\n  max_message = 4294967296; # wraps to 0 in libconfig 1.5\n};\n", 2,
                 "msg.max_message", "must be an integer between 0 and 268435456");
    expect_error(f, "workers = { max_requests = -4294967295; };\n", 1, "workers.max_requests",
                 "must be an integer of at least 0 (got -4294967295)");
    assert_int_equal(load_text(f, "http = { keepalive_requests = 99999999999; };\n"), 0);
    assert_true(f->cfg.http.keepalive_requests == 99999999999L);
    expect_error(f, "http = {\n  max_request_line = 4294967360; # wraps to 64\n};\n", 2,
                 "http.max_request_line",
                 "must be an integer between 64 and 65536 (got 4294967360)");
    expect_error(f, "http = {\n\n  max_headers = 4294967297;\n};\n", 3, "http.max_headers",
                 "must be an integer between 1 and 10000 (got 4294967297)");
    expect_error(f, "http = { keepalive_requests = -4294967295; };\n", 1, "http.keepalive_requests",
                 "must be an integer of at least 1 (got -4294967295)");
}

static void test_durations(void **state)
{
    static const struct {
        const char *value;
        int ms;
    } cases[] = {
        {"1", 1000},   {"0.5", 500},   {"2.25", 2250},  {"0.0004", 1},       {"0.0006", 1},
        {"0.0024", 2}, {"10L", 10000}, {"1e2", 100000}, {"86400", 86400000}, {"86400.0", 86400000},
    };
    struct fixture *f = *state;
    char text[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "client = { read_timeout = %s; };\n", cases[i].value);
        if (load_text(f, text) != 0)
            fail_msg("%s: %s", cases[i].value, f->err);
        if (f->cfg.client.read_timeout_ms != cases[i].ms)
            fail_msg("%s: got %d ms, expected %d", cases[i].value, f->cfg.client.read_timeout_ms,
                     cases[i].ms);
    }
}

static void test_error_log_paths(void **state)
{
    struct fixture *f = *state;
    char expected[2 * PATH_MAX];

    assert_int_equal(load_text(f, "daemon = { error_log = \"/var/log/preforkd.log\"; };\n"), 0);
    assert_string_equal(f->cfg.daemon.error_log, "/var/log/preforkd.log");

    assert_int_equal(load_text(f, "daemon = { error_log = \"preforkd.log\"; };\n"), 0);
    snprintf(expected, sizeof expected, "%s/preforkd.log", f->real);
    assert_string_equal(f->cfg.daemon.error_log, expected);

    assert_int_equal(load_text(f, "daemon = { error_log = \"../up.log\"; };\n"), 0);
    snprintf(expected, sizeof expected, "%s/../up.log", f->real);
    assert_string_equal(f->cfg.daemon.error_log, expected);

    assert_int_equal(load_text(f, "daemon = { error_log = \"\"; };\n"), 0);
    assert_string_equal(f->cfg.daemon.error_log, "");
}

/* The daemon group's identity and process settings: names are looked up
 * while loading (root and its group 0 exist everywhere), a name the
 * system does not know is an error at its line, the chroot must be an
 * existing folder, and relative paths resolve like any. */
static void test_daemon_settings(void **state)
{
    struct fixture *f = *state;
    char expected[2 * PATH_MAX];

    assert_int_equal(load_text(f,
                               "daemon = { user = \"root\"; group = \"root\";\n"
                               "  pidfile = \"run.pid\"; chroot = \"/\"; max_files = 4096; };\n"),
                     0);
    assert_string_equal(f->cfg.daemon.user, "root");
    assert_int_equal(f->cfg.daemon.uid, 0);
    assert_int_equal(f->cfg.daemon.user_gid, 0);
    assert_string_equal(f->cfg.daemon.group, "root");
    assert_int_equal(f->cfg.daemon.group_gid, 0);
    snprintf(expected, sizeof expected, "%s/run.pid", f->real);
    assert_string_equal(f->cfg.daemon.pidfile, expected);
    assert_string_equal(f->cfg.daemon.chroot, "/");
    assert_int_equal(f->cfg.daemon.max_files, 4096);

    expect_error(f, "daemon = {\n  user = \"no-such-user-pf\"; };\n", 2, "daemon.user",
                 "no such user \"no-such-user-pf\"");
    expect_error(f, "daemon = {\n\n  group = \"no-such-group-pf\"; };\n", 3, "daemon.group",
                 "no such group \"no-such-group-pf\"");
    expect_error(f, "daemon = { chroot = \"missing\"; };\n", 1, "daemon.chroot",
                 "No such file or directory");
    expect_error(f, "daemon = { chroot = \"preforkd.conf\"; };\n", 1, "daemon.chroot",
                 "not a folder");
    expect_error(f, "daemon = { max_files = -1; };\n", 1, "daemon.max_files", "between 0 and");
    expect_error(f, "daemon = { user = 0; };\n", 1, "daemon.user", "must be a string");
}

/* A path longer than the field holds (PATH_MAX) is refused, not cut. */
static void test_error_log_too_long(void **state)
{
    struct fixture *f = *state;
    static char text[PATH_MAX + 64];
    char name[PATH_MAX];

    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(text, sizeof text, "daemon = {\n  error_log = \"/%s\";\n};\n", name);
    expect_error(f, text, 2, "daemon.error_log", "too long (at most 4095 bytes)");
    name[sizeof name - 10] = '\0'; /* fits alone, but not once joined to dir */
    snprintf(text, sizeof text, "daemon = {\n  error_log = \"%s\";\n};\n", name);
    expect_error(f, text, 2, "daemon.error_log", "too long");
}

/* http.root: the default ("www", not set in the file) resolves against the
 * folder of the configuration file, symlinks followed; an absolute root is
 * kept; a relative one is joined as written. */
static void test_http_root(void **state)
{
    static const struct {
        const char *value;
        int joined; /* expected: 0 = kept, 1 = the fixture's folder + it */
        const char *expected;
    } cases[] = {
        {"/srv/www", 0, "/srv/www"}, {"/", 0, "/"},
        {"/a/../b/", 0, "/a/../b/"}, {"site", 1, "/site"},
        {"www", 1, "/www"},          {"./pub/", 1, "/./pub/"},
        {"../www", 1, "/../www"},    {"a b/\xc3\xbc", 1, "/a b/\xc3\xbc"},
    };
    struct fixture *f = *state;
    char sub[PATH_MAX + 32], conf[PATH_MAX + 64], link[PATH_MAX + 32];
    char text[128], expected[2 * PATH_MAX];

    /* not set: <folder>/www, also when set to nothing else in its group */
    assert_int_equal(load_text(f, "http = { index = \"default.htm\"; };\n"), 0);
    snprintf(expected, sizeof expected, "%s/www", f->real);
    assert_string_equal(f->cfg.http.root, expected);

    /* the folder is the real file's, reached through a symbolic link */
    snprintf(sub, sizeof sub, "%s/etc", f->dir);
    snprintf(conf, sizeof conf, "%s/preforkd.conf", sub);
    snprintf(link, sizeof link, "%s/link.conf", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_file(conf, "protocol = \"http\";\n");
    assert_int_equal(symlink("etc/preforkd.conf", link), 0);
    assert_int_equal(pf_config_load(&f->cfg, link, f->err, sizeof f->err), 0);
    snprintf(expected, sizeof expected, "%s/etc/www", f->real);
    assert_string_equal(f->cfg.http.root, expected);
    snprintf(expected, sizeof expected, "%s/etc", f->real);
    assert_string_equal(f->cfg.dir, expected);

    /* set in the file */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "http = { root = \"%s\"; };\n", cases[i].value);
        if (load_text(f, text) != 0)
            fail_msg("%s: %s", cases[i].value, f->err);
        snprintf(expected, sizeof expected, "%s%s", cases[i].joined ? f->real : "",
                 cases[i].expected);
        if (strcmp(f->cfg.http.root, expected) != 0)
            fail_msg("%s: got %s, expected %s", cases[i].value, f->cfg.http.root, expected);
    }
}

/* access_log and mime_types are paths: "" stays "" (off / built-in table
 * only), absolute is kept, relative is joined to the file's folder. */
static void test_http_paths(void **state)
{
    struct fixture *f = *state;
    char expected[2 * PATH_MAX];

    assert_int_equal(load_text(f, "http = {\n"
                                  "  access_log = \"/var/log/preforkd/access.log\";\n"
                                  "  mime_types = \"/usr/local/etc/mime.types\";\n"
                                  "};\n"),
                     0);
    assert_string_equal(f->cfg.http.access_log, "/var/log/preforkd/access.log");
    assert_string_equal(f->cfg.http.mime_types, "/usr/local/etc/mime.types");

    assert_int_equal(load_text(f, "http = {\n"
                                  "  access_log = \"access.log\";\n"
                                  "  mime_types = \"../mime.types\";\n"
                                  "};\n"),
                     0);
    snprintf(expected, sizeof expected, "%s/access.log", f->real);
    assert_string_equal(f->cfg.http.access_log, expected);
    snprintf(expected, sizeof expected, "%s/../mime.types", f->real);
    assert_string_equal(f->cfg.http.mime_types, expected);

    assert_int_equal(load_text(f, "http = { access_log = \"\"; mime_types = \"\"; };\n"), 0);
    assert_string_equal(f->cfg.http.access_log, "");
    assert_string_equal(f->cfg.http.mime_types, "");

    /* index and server_name are kept as written, never joined */
    assert_int_equal(load_text(f,
                               "http = { index = \"start.html\"; server_name = \"h:8080\"; };\n"),
                     0);
    assert_string_equal(f->cfg.http.index, "start.html");
    assert_string_equal(f->cfg.http.server_name, "h:8080");
}

/* http.error_pages: "STATUS FILE" entries, the file relative to the
 * configuration's folder, stored as "STATUS /absolute/path"; every bad
 * entry named by its number, with the reason. */
static void test_http_error_pages(void **state)
{
    static const struct {
        const char *entries; /* inside error_pages = (...) */
        const char *reason;
    } bad[] = {
        {"\"600 a.html\"", "entry 1: must be \"STATUS FILE\", a status from 400 to 599"},
        {"\"399 a.html\"", "(got \"399 a.html\")"},
        {"\"404\"", "(got \"404\")"},
        {"\"404 \"", "(got \"404 \")"},
        {"\"404a.html\"", "(got \"404a.html\")"},
        {"\" 404 a.html\"", "(got \" 404 a.html\")"},
        {"\"40 a.html\"", "(got \"40 a.html\")"},
        {"\"4x4 a.html\"", "(got \"4x4 a.html\")"},
        {"\"404 a.html\", \"404 b.html\"", "entry 2: status 404 has a page already (entry 1)"},
        {"\"404 a.html\", \"500 none.html\"", "entry 2: \"none.html\": No such file or directory"},
        {"\"404 dir\"", "entry 1: \"dir\": not a regular file"},
        {"\"404 big.html\"", "entry 1: \"big.html\": 65537 bytes, more than the 65536"},
        {"\"404 a.html\", 5", "entry 2 must be a string (got an integer)"},
        {"\"404 a.html\", \"\"", "entry 2 must not be empty"},
    };
    struct fixture *f = *state;
    char path[PATH_MAX], text[512], want[PATH_MAX + 16];

    snprintf(path, sizeof path, "%s/a.html", f->dir);
    write_file(path, "<p>a</p>\n");
    snprintf(path, sizeof path, "%s/dir", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    write_sized(f->dir, "big.html", PF_HTTP_ERROR_PAGE_FILE_MAX + 1);
    snprintf(text, sizeof text,
             "http = { error_pages = [\"404\t  a.html\", \"500 %s/a.html\", "
             "\"451 dir/../a.html\"]; };\n",
             f->dir);
    assert_int_equal(load_text(f, text), 0);
    assert_int_equal(f->cfg.http.nerror_pages, 3);
    snprintf(want, sizeof want, "404 %s/a.html", f->real);
    assert_string_equal(pf_config_string_at(f->cfg.http.error_pages, 3, 0), want);
    snprintf(want, sizeof want, "500 %s/a.html", f->dir); /* absolute: kept as written */
    assert_string_equal(pf_config_string_at(f->cfg.http.error_pages, 3, 1), want);
    assert_int_equal(load_text(f, "http = { error_pages = (); };\n"), 0);
    assert_int_equal(f->cfg.http.nerror_pages, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "http = {\n  error_pages = (%s);\n};\n", bad[i].entries);
        expect_error(f, text, 2, "http.error_pages", bad[i].reason);
    }
    expect_error(f, "http = { error_pages = \"404 a.html\"; };\n", 1, "http.error_pages",
                 "must be a list of strings");
    if (geteuid() != 0) { /* root reads any file */
        snprintf(path, sizeof path, "%s/a.html", f->dir);
        assert_int_equal(chmod(path, 0), 0);
        expect_error(f, "http = { error_pages = [\"404 a.html\"]; };\n", 1, "http.error_pages",
                     "entry 1: \"a.html\": Permission denied");
    }
}

/* An http string longer than its field is refused, not cut: index and
 * server_name hold 255 bytes, the paths PATH_MAX - 1, joined included. */
static void test_http_too_long(void **state)
{
    static const char *const paths[] = {"root", "access_log", "mime_types"};
    static const char *const names[] = {"index", "server_name"};
    struct fixture *f = *state;
    static char text[PATH_MAX + 64];
    char value[PATH_MAX], setting[64];

    memset(value, 'a', sizeof value - 1);
    value[256] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(setting, sizeof setting, "http.%s", names[i]);
        snprintf(text, sizeof text, "http = {\n  %s = \"%s\";\n};\n", names[i], value);
        expect_error(f, text, 2, setting, "too long (at most 255 bytes)");
        snprintf(text, sizeof text, "http = { %s = \"%s\"; };\n", names[i], value + 1);
        assert_int_equal(load_text(f, text), 0);
    }
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        snprintf(setting, sizeof setting, "http.%s", paths[i]);
        memset(value, 'a', sizeof value - 1);
        value[sizeof value - 1] = '\0';
        snprintf(text, sizeof text, "http = {\n\n  %s = \"/%s\";\n};\n", paths[i], value);
        expect_error(f, text, 3, setting, "too long (at most 4095 bytes)");
        value[sizeof value - 10] = '\0'; /* fits alone, but not once joined to dir */
        snprintf(text, sizeof text, "http = {\n\n  %s = \"%s\";\n};\n", paths[i], value);
        expect_error(f, text, 3, setting, "too long");
    }
}

static void test_listen_port_zero(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load_text(f, "listen = \"127.0.0.1:0\";\n"), 0);
    assert_string_equal(f->cfg.listen, "127.0.0.1:0");
    assert_int_equal(f->cfg.listen_addr.ss.ss_family, AF_INET);
    assert_int_equal(pf_addr_port((const struct sockaddr *)&f->cfg.listen_addr.ss), 0);
}

static void test_log_levels(void **state)
{
    static const char *const names[] = {"debug", "info", "notice", "warn", "error"};
    static const int levels[] = {PF_LOG_DEBUG, PF_LOG_INFO, PF_LOG_NOTICE, PF_LOG_WARN,
                                 PF_LOG_ERROR};
    struct fixture *f = *state;
    char text[128];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(text, sizeof text, "daemon = { log_level = \"%s\"; };\n", names[i]);
        assert_int_equal(load_text(f, text), 0);
        assert_int_equal(f->cfg.daemon.log_level, levels[i]);
    }
}

/* One invalid file per case: the error must point at the right line and
 * setting, and say why. */
static const struct {
    const char *text;
    int line;
    const char *setting;
    const char *reason;
} invalid_cases[] = {
    /* top level */
    {"# c\nlisten = \"1.2.3:99\";\n", 2, "listen", "invalid address \"1.2.3:99\": "},
    {"listen = \"example.com:80\";\n", 1, "listen", "invalid address \"example.com:80\": "},
    {"listen = \"\";\n", 1, "listen", "invalid address \"\": "},
    {"listen = 8080;\n", 1, "listen", "must be a string (got an integer)"},
    {"workers = { mode = \"prefork\"; };\n", 1, "workers.mode",
     "unknown mode \"prefork\" (expected \"static\" or \"dynamic\")"},
    {"workers = {\n min_spare = 9;\n};\n", 2, "workers.min_spare",
     "must be an integer between 0 and 8 (workers.max_spare, by default) (got 9)"},
    {"workers = { mode = \"dynamic\";\n max = 4; };\n", 2, "workers.max",
     "must be an integer between 8 (workers.max_spare, by default) and 4096 (got 4)"},
    {"workers = { request_timeout = -5; };\n", 1, "workers.request_timeout", "(got -5)"},
    {"workers = { crash_limit = 0; };\n", 1, "workers.crash_limit", "(got 0)"},
    {"defer_accept = -1;\n", 1, "defer_accept",
     "must be 0 (off) or a number of seconds up to 86400 (got -1)"},
    {"defer_accept = 86401;\n", 1, "defer_accept", "(got 86401)"},
    {"defer_accept = \"1\";\n", 1, "defer_accept", "(got a string)"},
    {"\n\nbacklog = 0;\n", 3, "backlog", "must be an integer between 1 and 65535 (got 0)"},
    {"backlog = 65536;\n", 1, "backlog", "must be an integer between 1 and 65535 (got 65536)"},
    {"backlog = -1L;\n", 1, "backlog", "(got -1)"},
    {"backlog = \"511\";\n", 1, "backlog", "must be an integer between 1 and 65535 (got a string)"},
    {"backlog = 511.0;\n", 1, "backlog", "(got a decimal number)"},
    {"backlog = true;\n", 1, "backlog", "(got a boolean)"},
    {"backlog = [511];\n", 1, "backlog", "(got an array)"},
    {"backlog = (511);\n", 1, "backlog", "(got a list)"},
    {"backlog = { n = 1; };\n", 1, "backlog", "(got a group)"},
    {"protocol = \"https\";\n", 1, "protocol",
     "unknown protocol \"https\" (expected http, echo, msg or exec)"},
    {"protocol = \"ECHO\";\n", 1, "protocol", "unknown protocol \"ECHO\""},
    {"protocol = \"HTTP\";\n", 1, "protocol", "unknown protocol \"HTTP\""},
    {"protocol = \"\";\n", 1, "protocol",
     "unknown protocol \"\" (expected http, echo, msg or exec)"},
    {"protocol = 1;\n", 1, "protocol", "must be a string (got an integer)"},
    {"protocol = \"a\\nb\";\n", 1, "protocol", "unknown protocol \"a\\x0ab\""},
    {"listen = \"1.2.3.4:80\\r\";\n", 1, "listen", "invalid address \"1.2.3.4:80\\x0d\": "},
    /* groups */
    {"listen = \"*:1\";\nworkers = 3;\n", 2, "workers", "must be a group (got an integer)"},
    {"client = \"x\";\n", 1, "client", "must be a group (got a string)"},
    {"echo = (1, 2);\n", 1, "echo", "must be a group (got a list)"},
    {"msg = [1];\n", 1, "msg", "must be a group (got an array)"},
    {"daemon = true;\n", 1, "daemon", "must be a group (got a boolean)"},
    {"\nhttp = \"www\";\n", 2, "http", "must be a group (got a string)"},
    {"keeper = false;\n", 1, "keeper", "must be a group (got a boolean)"},
    /* workers */
    {"workers = {\n  start = 0;\n};\n", 2, "workers.start",
     "between 1 and 64 (workers.max, by default) (got 0)"},
    {"workers = {\n\n  max = 4097;\n};\n", 3, "workers.max",
     "between 4 (workers.start, by default) and 4096 (got 4097)"},
    {"workers = { max = 0; };\n", 1, "workers.max", "(got 0)"},
    {"workers = { start = \"4\"; };\n", 1, "workers.start", "(got a string)"},
    {"workers = {\n max_requests = -1;\n};\n", 2, "workers.max_requests",
     "must be an integer of at least 0 (got -1)"},
    {"workers = { max_requests = 1.5; };\n", 1, "workers.max_requests", "(got a decimal number)"},
    {"workers = {\n  graceful_timeout = 0;\n};\n", 2, "workers.graceful_timeout",
     "must be a number of seconds above 0 and at most 86400 (got 0)"},
    {"workers = { stop_timeout = -1.5; };\n", 1, "workers.stop_timeout", "(got -1.5)"},
    {"workers = { stop_timeout = \"5s\"; };\n", 1, "workers.stop_timeout",
     "must be a number of seconds above 0 and at most 86400 (got a string)"},
    /* client */
    {"client = {\n read_timeout = 86401;\n};\n", 2, "client.read_timeout", "(got 86401)"},
    {"client = {\n\n write_timeout = \"30\";\n};\n", 3, "client.write_timeout", "(got a string)"},
    {"client = { idle_timeout = 86400.5; };\n", 1, "client.idle_timeout", "(got 86400.5)"},
    {"client = { idle_timeout = 0.0; };\n", 1, "client.idle_timeout", "(got 0)"},
    {"client = { idle_timeout = true; };\n", 1, "client.idle_timeout", "(got a boolean)"},
    /* echo, msg */
    {"echo = {\n  max_line = 1;\n};\n", 2, "echo.max_line", "between 2 and 16777216 (got 1)"},
    {"echo = { max_line = 16777217; };\n", 1, "echo.max_line", "(got 16777217)"},
    {"msg = {\n  max_message = -1;\n};\n", 2, "msg.max_message",
     "between 0 and 268435456 (got -1)"},
    {"msg = { max_message = 268435457L; };\n", 1, "msg.max_message", "(got 268435457)"},
    /* http: strings and paths */
    {"http = {\n  root = 1;\n};\n", 2, "http.root", "must be a string (got an integer)"},
    {"http = { root = [\"www\"]; };\n", 1, "http.root", "must be a string (got an array)"},
    {"http = {\n\n  index = 5;\n};\n", 3, "http.index", "must be a string (got an integer)"},
    {"http = {\n  root = \"\";\n};\n", 2, "http.root", "must not be empty"},
    {"control = {\n  listen = \"0.0.0.0:99\";\n};\n", 2, "control.listen",
     "must be a loopback address"},
    {"control = { listen = \"[::]:1\"; };\n", 1, "control.listen", "must be a loopback address"},
    {"control = { listen = \"127.0.0.1\"; };\n", 1, "control.listen", "invalid address"},
    {"control = {\n\n  max_clients = 0;\n};\n", 3, "control.max_clients", "between 1 and 1024"},
    {"control = { token_file = \"\"; };\n", 1, "control.token_file", "must not be empty"},
    {"control = { idle_timeout = 0; };\n", 1, "control.idle_timeout", ""},
    {"status = { listen = \"127.0.0.1\"; };\n", 1, "status.listen", "invalid address"},
    {"status = {\n  listen = \"somewhere:80\";\n};\n", 2, "status.listen", "invalid address"},
    {"status = { max_clients = 0; };\n", 1, "status.max_clients", "between 1 and 1024"},
    {"status = { metrics_token = 1; };\n", 1, "status.metrics_token", ""},
    {"status = { drain_delay = -1; };\n", 1, "status.drain_delay", "between 0 and 3600"},
    {"status = { drain_delay = 3601; };\n", 1, "status.drain_delay", "between 0 and 3600"},
    {"status = { drain_delay = \"5s\"; };\n", 1, "status.drain_delay", ""},
    {"status = { health = true; };\n", 1, "status.health", "unknown setting"},
    {"http = { index = \"\"; };\n", 1, "http.index", "must be a file name"},
    {"http = {\n  index = \"a/b.html\";\n};\n", 2, "http.index", "must be a file name"},
    {"http = { index = \"..\"; };\n", 1, "http.index", "must be a file name"},
    {"http = {\n  server_name = true;\n};\n", 2, "http.server_name",
     "must be a string (got a boolean)"},
    {"http = {\n  access_log = false;\n};\n", 2, "http.access_log",
     "must be a string (got a boolean)"},
    {"http = {\n  access_log_format = \"clf\";\n};\n", 2, "http.access_log_format",
     "unknown format \"clf\" (expected combined or json)"},
    {"http = { access_log_format = \"JSON\"; };\n", 1, "http.access_log_format",
     "unknown format \"JSON\""},
    {"http = { access_log_format = 1; };\n", 1, "http.access_log_format",
     "must be a string (got an integer)"},
    {"http = {\n  mime_types = (\"a\");\n};\n", 2, "http.mime_types",
     "must be a string (got a list)"},
    {"http = { mime_types = { file = \"a\"; }; };\n", 1, "http.mime_types",
     "must be a string (got a group)"},
    /* http: durations */
    {"http = {\n  keepalive_timeout = 0;\n};\n", 2, "http.keepalive_timeout",
     "must be a number of seconds above 0 and at most 86400 (got 0)"},
    {"http = { keepalive_timeout = 86401; };\n", 1, "http.keepalive_timeout", "(got 86401)"},
    {"http = { keepalive_timeout = \"5\"; };\n", 1, "http.keepalive_timeout", "(got a string)"},
    {"http = {\n\n  header_timeout = -10;\n};\n", 3, "http.header_timeout",
     "must be a number of seconds above 0 and at most 86400 (got -10)"},
    {"http = { header_timeout = 86400.5; };\n", 1, "http.header_timeout", "(got 86400.5)"},
    {"http = { header_timeout = \"10s\"; };\n", 1, "http.header_timeout", "(got a string)"},
    {"http = {\n  open_file_cache_valid = 0.0;\n};\n", 2, "http.open_file_cache_valid",
     "must be a number of seconds above 0 and at most 86400 (got 0)"},
    {"http = { open_file_cache_valid = 100000; };\n", 1, "http.open_file_cache_valid",
     "(got 100000)"},
    {"http = { open_file_cache_valid = true; };\n", 1, "http.open_file_cache_valid",
     "(got a boolean)"},
    /* http: integers */
    {"http = {\n  keepalive_requests = 0;\n};\n", 2, "http.keepalive_requests",
     "must be an integer of at least 1 (got 0)"},
    {"http = { keepalive_requests = -1L; };\n", 1, "http.keepalive_requests", "(got -1)"},
    {"http = { keepalive_requests = 1.5; };\n", 1, "http.keepalive_requests",
     "(got a decimal number)"},
    {"http = { keepalive_requests = \"1000\"; };\n", 1, "http.keepalive_requests",
     "(got a string)"},
    {"http = {\n  max_request_line = 63;\n};\n", 2, "http.max_request_line",
     "must be an integer between 64 and 65536 (got 63)"},
    {"http = { max_request_line = 65537; };\n", 1, "http.max_request_line", "(got 65537)"},
    {"http = { max_request_line = 8192.0; };\n", 1, "http.max_request_line",
     "(got a decimal number)"},
    {"http = {\n  max_header_bytes = 255;\n};\n", 2, "http.max_header_bytes",
     "must be an integer between 256 and 1048576 (got 255)"},
    {"http = { max_header_bytes = 1048577L; };\n", 1, "http.max_header_bytes", "(got 1048577)"},
    {"http = { max_header_bytes = \"8k\"; };\n", 1, "http.max_header_bytes", "(got a string)"},
    {"http = {\n  max_headers = 0;\n};\n", 2, "http.max_headers",
     "must be an integer between 1 and 10000 (got 0)"},
    {"http = { max_headers = 10001; };\n", 1, "http.max_headers", "(got 10001)"},
    {"http = { max_headers = [100]; };\n", 1, "http.max_headers", "(got an array)"},
    {"http = {\n  open_file_cache = -1;\n};\n", 2, "http.open_file_cache",
     "must be an integer between 0 and 4096 (got -1)"},
    {"http = { open_file_cache = 4097; };\n", 1, "http.open_file_cache", "(got 4097)"},
    {"http = { open_file_cache = false; };\n", 1, "http.open_file_cache", "(got a boolean)"},
    /* keeper */
    {"keeper = {\n  parking = 1;\n};\n", 2, "keeper.parking",
     "must be true or false (got an integer)"},
    {"keeper = { parking = \"true\"; };\n", 1, "keeper.parking",
     "must be true or false (got a string)"},
    {"keeper = { parking = \"yes\"; };\n", 1, "keeper.parking", "(got a string)"},
    {"keeper = {\n\n  parking = 0.0;\n};\n", 3, "keeper.parking", "(got a decimal number)"},
    {"keeper = { parking = [true]; };\n", 1, "keeper.parking", "(got an array)"},
    {"keeper = { parking = { on = true; }; };\n", 1, "keeper.parking", "(got a group)"},
    {"keeper = {\n  linger = -1;\n};\n", 2, "keeper.linger",
     "must be a number of seconds between 0 and 60 (got -1)"},
    {"keeper = { linger = -0.001; };\n", 1, "keeper.linger", "(got -0.001)"},
    {"keeper = { linger = 61; };\n", 1, "keeper.linger",
     "must be a number of seconds between 0 and 60 (got 61)"},
    {"keeper = { linger = 60.001; };\n", 1, "keeper.linger", "(got 60.001)"},
    {"keeper = { linger = 86400; };\n", 1, "keeper.linger", "(got 86400)"},
    {"keeper = { linger = \"0.05\"; };\n", 1, "keeper.linger", "(got a string)"},
    {"keeper = { linger = false; };\n", 1, "keeper.linger", "(got a boolean)"},
    {"keeper = {\n  max_parked = -1;\n};\n", 2, "keeper.max_parked",
     "must be an integer between 0 and 16777216 (got -1)"},
    {"keeper = { max_parked = 16777217; };\n", 1, "keeper.max_parked", "(got 16777217)"},
    {"keeper = { max_parked = 4294967296; };\n", 1, "keeper.max_parked", "(got 4294967296)"},
    {"keeper = { max_parked = 1.5; };\n", 1, "keeper.max_parked", "(got a decimal number)"},
    {"keeper = { max_parked = \"0\"; };\n", 1, "keeper.max_parked", "(got a string)"},
    {"keeper = { max_parked = true; };\n", 1, "keeper.max_parked", "(got a boolean)"},
    {"keeper = { park = true; };\n", 1, "keeper.park", "unknown setting"},
    {"parking = true;\n", 1, "parking", "unknown setting"},
    /* exec */
    {"protocol = \"exec\";\n", 1, "protocol", "\"exec\" needs exec.command"},
    {"exec = {\n  command = \"/bin/true\";\n};\n", 2, "exec.command",
     "must be a list of strings, [\"a\", \"b\"] (got a string)"},
    {"exec = { command = []; };\n", 1, "exec.command", "must have 1 to 64 entries (got 0)"},
    {"exec = { command = [\"/bin/true\", \"\"]; };\n", 1, "exec.command",
     "entry 2 must not be empty"},
    {"exec = { command = (\"/bin/true\", 1); };\n", 1, "exec.command",
     "entry 2 must be a string (got an integer)"},
    {"exec = { command = [\"no-such-program-here\"]; };\n", 1, "exec.command",
     "program \"no-such-program-here\": not found in PATH"},
    {"exec = { command = [\"/no/such/file\"]; };\n", 1, "exec.command",
     "program \"/no/such/file\": No such file or directory"},
    {"exec = { command = [\"/proc/version\"]; };\n", 1, "exec.command",
     "program \"/proc/version\": not executable"},
    {"exec = { command = [\"/usr\"]; };\n", 1, "exec.command", "program \"/usr\": not a file"},
    {"exec = { env = [\"A=1\", \"LISTEN_FDS=2\"]; };\n", 1, "exec.env",
     "entry 2: LISTEN_FDS is set by preforkd itself"},
    {"exec = { env = [\"A B=1\"]; };\n", 1, "exec.env", "entry 1: \"A B\" is not a variable"},
    {"exec = {\n  listen_fd = 1;\n};\n", 2, "exec.listen_fd",
     "must be 3 (the systemd convention) or 0 (FastCGI), not 1"},
    {"exec = { listen_fd = 4; };\n", 1, "exec.listen_fd", "(got 4)"},
    {"exec = { ready = \"yes\"; };\n", 1, "exec.ready",
     "unknown readiness \"yes\" (expected \"started\" or \"notify\")"},
    {"exec = { stop_signal = \"STOP\"; hung_signal = \"SIGNOPE\"; };\n", 1, "exec.hung_signal",
     "unknown signal \"SIGNOPE\""},
    {"exec = { stop_signal = 15; };\n", 1, "exec.stop_signal", "must be a string"},
    {"exec = { watchdog = -1; };\n", 1, "exec.watchdog", "(got -1)"},
    /* daemon */
    {"daemon = {\n  error_log = 5;\n};\n", 2, "daemon.error_log",
     "must be a string (got an integer)"},
    {"daemon = {\n  log_level = \"verbose\";\n};\n", 2, "daemon.log_level",
     "unknown level \"verbose\" (expected debug, info, notice, warn or error)"},
    {"daemon = { log_level = 1; };\n", 1, "daemon.log_level", "must be a string"},
    /* unknown settings */
    {"listen = \"*:1\";\ncolour = \"blue\";\n", 2, "colour", "unknown setting"},
    {"workers = {\n  start = 1;\n  colour = 1;\n};\n", 3, "workers.colour", "unknown setting"},
    {"start = 4;\n", 1, "start", "unknown setting"},
    {"log_level = \"debug\";\n", 1, "log_level", "unknown setting"},
    {"echo = { max_message = 5; };\n", 1, "echo.max_message", "unknown setting"},
    {"workers = {\n  workers = { start = 1; };\n};\n", 2, "workers.workers", "unknown setting"},
    {"\nhttp = { port = 80; };\n", 2, "http.port", "unknown setting"},
    {"http = {\n  index = \"index.html\";\n  autoindex = true;\n};\n", 3, "http.autoindex",
     "unknown setting"},
    {"http = {\n  http = { root = \"www\"; };\n};\n", 2, "http.http", "unknown setting"},
    {"root = \"www\";\n", 1, "root", "unknown setting"},
    {"client = { keepalive_timeout = 5; };\n", 1, "client.keepalive_timeout", "unknown setting"},
    {"http = { max_line = 8192; };\n", 1, "http.max_line", "unknown setting"},
    {"daemon = { colour = \"blue\"; };\n", 1, "daemon.colour", "unknown setting"},
    /* cross-field: workers.start <= workers.max, the one range that
     * applies said for a value below it as for one above (bounds_cases) */
    {"workers = {\n  max = 8;\n  start = 9;\n};\n", 2, "workers.max",
     "must be an integer between 9 (workers.start) and 4096 (got 8)"},
    {"workers = {\n  start = 9;\n  max = 8;\n};\n", 2, "workers.start",
     "must be an integer between 1 and 8 (workers.max) (got 9)"},
    {"workers = {\n  max = 2;\n};\n", 2, "workers.max",
     "must be an integer between 4 (workers.start, by default) and 4096 (got 2)"},
    /* the first error in file order wins */
    {"backlog = 1;\nbacklog2 = 1;\nprotocol = \"x\";\n", 2, "backlog2", "unknown setting"},
    {"workers = {\n  start = 99999;\n};\nlisten = \"bad\";\n", 2, "workers.start", "(got 99999)"},
    {"http = {\n  max_headers = 0;\n  max_request_line = 1;\n};\n", 2, "http.max_headers",
     "(got 0)"},
    {"http = {\n  root = \"www\";\n  max_header_bytes = 1;\n};\nbacklog = 0;\n", 3,
     "http.max_header_bytes", "(got 1)"},
    /* the proxy group: each rule across settings blamed on the setting switched on */
    {"proxy = {\n  trusted = [\"10.0.0.1/8\"];\n};\n", 2, "proxy.trusted",
     "entry 1: bits set past the /8 prefix (the block is 10.0.0.0/8)"},
    {"proxy = { trusted = [\"::1\", \"proxy.example\"]; };\n", 1, "proxy.trusted",
     "entry 2: not an IPv4 or IPv6 address: \"proxy.example\""},
    {"proxy = { trusted = [\"10.0.0.0/33\"]; };\n", 1, "proxy.trusted",
     "entry 1: prefix length must be a number from 0 to 32"},
    {"proxy = { trusted = \"10.0.0.0/8\"; };\n", 1, "proxy.trusted", "must be a list of strings"},
    {"proxy = { trusted = [\"\"]; };\n", 1, "proxy.trusted", "entry 1 must not be empty"},
    {"proxy = { protocol = 1; };\n", 1, "proxy.protocol", "must be true or false"},
    {"proxy = { forwarded = true; };\n", 1, "proxy.forwarded", "unknown setting"},
    {"proxy = {\n  protocol = true;\n};\n", 2, "proxy.protocol",
     "trusts no address: list the balancers in proxy.trusted"},
    {"proxy = {\n  forwarded_for = true;\n  trusted = [];\n};\n", 2, "proxy.forwarded_for",
     "trusts no address: list the proxies in proxy.trusted"},
    {"protocol = \"echo\";\nproxy = {\n  forwarded_for = true;\n  trusted = [\"::1\"];\n};\n", 3,
     "proxy.forwarded_for", "applies to protocol \"http\" only (protocol is \"echo\")"},
    {"protocol = \"exec\";\nexec = { command = [\"/bin/true\"]; };\n"
     "proxy = {\n  protocol = true;\n  trusted = [\"::1\"];\n};\n",
     4, "proxy.protocol", "cannot apply to protocol \"exec\""},
};

static void test_invalid_settings(void **state)
{
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof invalid_cases / sizeof invalid_cases[0]; i++)
        expect_error(f, invalid_cases[i].text, invalid_cases[i].line, invalid_cases[i].setting,
                     invalid_cases[i].reason);
}

/* A setting bounded by another says one range, the one that applies,
 * whichever side of it the value is on: below and above give the same
 * words (before, workers.start = 0 said "between 1 and 4096" while 100
 * said "between 1 and 64 (workers.max)"). Each row: the settings around,
 * the setting, a value below, a value above, the range expected. */
static const struct {
    const char *around;
    const char *name;
    const char *low, *high;
    const char *range;
} bounds_cases[] = {
    {"", "start", "0", "100", "an integer between 1 and 64 (workers.max, by default)"},
    {"max = 8;", "start", "0", "9", "an integer between 1 and 8 (workers.max)"},
    {"max = 5000;", "start", "0", "4097", "an integer between 1 and 4096"},
    {"max = 0;", "start", "0", "4097", "an integer between 1 and 4096"},
    {"", "max", "3", "4097", "an integer between 4 (workers.start, by default) and 4096"},
    {"start = 1;", "max", "0", "4097", "an integer between 1 and 4096"},
    {"start = 10;", "max", "9", "4097", "an integer between 10 (workers.start) and 4096"},
    {"mode = \"dynamic\";", "max", "7", "4097",
     "an integer between 8 (workers.max_spare, by default) and 4096"},
    {"mode = \"dynamic\"; max_spare = 2; start = 3;", "max", "2", "4097",
     "an integer between 3 (workers.start) and 4096"},
    {"", "min_spare", "-1", "9", "an integer between 0 and 8 (workers.max_spare, by default)"},
    {"max_spare = 3;", "min_spare", "-1", "4", "an integer between 0 and 3 (workers.max_spare)"},
    {"", "max_spare", "1", "4097", "an integer between 2 (workers.min_spare, by default) and 4096"},
    {"mode = \"dynamic\"; max = 16;", "max_spare", "1", "17",
     "an integer between 2 (workers.min_spare, by default) and 16 (workers.max)"},
    {"min_spare = 0;", "max_spare", "0", "4097", "an integer between 1 and 4096"},
};

static void test_bounds_agree(void **state)
{
    struct fixture *f = *state;
    char text[256], reason[256], setting[64];

    for (size_t i = 0; i < sizeof bounds_cases / sizeof bounds_cases[0]; i++) {
        const char *values[] = {bounds_cases[i].low, bounds_cases[i].high};

        snprintf(setting, sizeof setting, "workers.%s", bounds_cases[i].name);
        for (size_t v = 0; v < 2; v++) {
            /* the setting before the others: checked first, against
             * their values in the file */
            snprintf(text, sizeof text, "workers = {\n  %s = %s;\n  %s\n};\n", bounds_cases[i].name,
                     values[v], bounds_cases[i].around);
            snprintf(reason, sizeof reason, "must be %s (got %s)", bounds_cases[i].range,
                     values[v]);
            expect_error(f, text, 2, setting, reason);
        }
    }
}

/* A value quoted back in a message has its control bytes written as \xNN,
 * whichever setting it belongs to, so the message stays one line of text.
 * Found by tests/fuzz/fuzz_config: control.listen = "0crash_window9.<0x11>.&.1:9"
 * put the raw 0x11 into the message (as mode, user, group and chroot did). */
static void test_values_quoted_in_messages(void **state)
{
    static const struct {
        const char *text, *setting, *reason;
    } cases[] = {
        {"control = { listen = \"0crash_window9.\x11.&.1:9\"; };\n", "control.listen",
         "invalid address \"0crash_window9.\\x11.&.1:9\": "},
        {"control = { listen = \"a\\nb:1\"; };\n", "control.listen",
         "invalid address \"a\\x0ab:1\": "},
        {"control = { listen = \"0.0.0.0:1\\r\"; };\n", "control.listen", "invalid address"},
        {"workers = { mode = \"dyn\\namic\"; };\n", "workers.mode",
         "unknown mode \"dyn\\x0aamic\" (expected"},
        {"daemon = { user = \"no\\nuser\"; };\n", "daemon.user", "no such user \"no\\x0auser\""},
        {"daemon = { group = \"no\x1bgroup\"; };\n", "daemon.group",
         "no such group \"no\\x1bgroup\""},
        {"daemon = { chroot = \"/no\\nfolder\"; };\n", "daemon.chroot",
         "\"/no\\x0afolder\": No such file or directory"},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_error(f, cases[i].text, 1, cases[i].setting, cases[i].reason);
        for (const char *p = f->err; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                fail_msg("control byte 0x%02x in: %s", (unsigned char)*p, f->err);
    }
}

/* Parse errors come from libconfig: "FILE:LINE: REASON". */
static void test_syntax_errors(void **state)
{
    static const struct {
        const char *text;
        int line;
        const char *reason;
    } cases[] = {
        {"backlog = 1;\n\n\nprotocol = ;\n", 4, "syntax error"},
        {"workers = {\n  start = 1;\n  max = = 2;\n};\n", 3, "syntax error"},
        {"workers = {\n  start = 1;\n}};\n", 3, "syntax error"},
        {"# one\nlisten = 127.0.0.1:8080;\n", 2, "syntax error"},
    };
    struct fixture *f = *state;
    char prefix[PATH_MAX + 32];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(prefix, sizeof prefix, "%s:%d: ", f->path, cases[i].line);
        assert_int_equal(load_text(f, cases[i].text), -1);
        if (strncmp(f->err, prefix, strlen(prefix)) != 0 || !strstr(f->err, cases[i].reason))
            fail_msg("config:\n%s\nerror:    %s\nexpected: %s%s", cases[i].text, f->err, prefix,
                     cases[i].reason);
    }
}

/* A setting or group given twice is named, with where it was first given
 * (before: libconfig's "FILE:LINE: duplicate setting name", no name). */
static void test_given_twice(void **state)
{
    static const struct {
        const char *text;
        const char *error; /* after "PATH:" */
    } cases[] = {
        {"backlog = 1;\nprotocol = \"echo\";\nbacklog = 2;\n",
         "3: backlog: given twice (first at line 1)"},
        {"workers = {\n  start = 1;\n  start = 2;\n};\n",
         "3: workers.start: given twice (first at line 2)"},
        {"workers = { start = 2; };\n\nworkers = { max = 8; };\n",
         "3: workers: given twice (first at line 1)"},
        {"workers = {\n  start = 1;\n}\n\nworkers\n =\n {\n max = 2;\n };\n",
         "5: workers: given twice (first at line 1)"},
        {"http = {\n  root = \"a\";\n};\nworkers = { start = 1; };\nhttp = { index = \"i\"; };\n",
         "5: http: given twice (first at line 1)"},
        {"a = 1; a = 2;\n", "1: a: given twice (first at line 1)"},
        {"http = { root = \"x\"; index = \"a\"; root = \"y\"; };\n",
         "1: http.root: given twice (first at line 1)"},
        {"http = {\n  root = \"x\"; # root = \"y\"\n  index = \"a\"; root = \"y\";\n};\n",
         "3: http.root: given twice (first at line 2)"},
        {"workers = {\n  max : 4;\n  max:5;\n};\n",
         "3: workers.max: given twice (first at line 2)"},
    };
    struct fixture *f = *state;
    char want[PATH_MAX + 128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(want, sizeof want, "%s:%s", f->path, cases[i].error);
        assert_int_equal(load_text(f, cases[i].text), -1);
        if (strcmp(f->err, want) != 0)
            fail_msg("config:\n%s\nerror:    %s\nexpected: %s", cases[i].text, f->err, want);
    }
}

/* @include: a glob in sorted order (an empty one is no error), names
 * relative to the main file's folder at every depth, and every message
 * naming the file and line where the setting is written. */
static void test_includes(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX + 64], want[2 * PATH_MAX];

    snprintf(path, sizeof path, "%s/conf.d", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/empty.d", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/conf.d/20-workers.conf", f->dir);
    write_file(path, "workers = {\n  start = 3;\n};\n");
    snprintf(path, sizeof path, "%s/conf.d/10-http.conf", f->dir);
    write_file(path, "# the site\n@include \"http.inc\"\n");
    snprintf(path, sizeof path, "%s/http.inc", f->dir); /* the main file's folder */
    write_file(path, "http = { index = \"home.html\"; };\n");
    snprintf(path, sizeof path, "%s/conf.d/notes.txt", f->dir); /* not matched */
    write_file(path, "garbage garbage\n");

    assert_int_equal(load_text(f, "backlog = 7;\n@include \"conf.d/*.conf\" # every part\n"
                                  "@include \"empty.d/*.conf\"\nprotocol = \"echo\";\n"),
                     0);
    assert_int_equal(f->cfg.backlog, 7);
    assert_int_equal(f->cfg.workers.start, 3);
    assert_string_equal(f->cfg.http.index, "home.html");
    assert_string_equal(f->cfg.protocol, "echo");

    /* sorted: 10- before 20-, so the second one's error is the one given */
    snprintf(path, sizeof path, "%s/conf.d/30-more.conf", f->dir);
    write_file(path, "\nworkers = { max = 8; };\n");
    assert_int_equal(load_text(f, "@include \"conf.d/*.conf\"\n"), -1);
    snprintf(
        want, sizeof want,
        "%s/conf.d/30-more.conf:2: workers: given twice (first at %s/conf.d/20-workers.conf:1)",
        f->dir, f->dir);
    assert_string_equal(f->err, want);
    unlink(path);

    /* an error inside an included file names that file and its line */
    snprintf(path, sizeof path, "%s/conf.d/20-workers.conf", f->dir);
    write_file(path, "workers = {\n  start = 3;\n  colour = 1;\n};\n");
    assert_int_equal(load_text(f, "backlog = 7;\n@include \"conf.d/*.conf\"\nbacklog2 = 1;\n"), -1);
    snprintf(want, sizeof want, "%s/conf.d/20-workers.conf:3: workers.colour: unknown setting",
             f->dir);
    assert_string_equal(f->err, want);
    write_file(path, "workers = {\n  start = 3\n  max = = 4;\n};\n");
    assert_int_equal(load_text(f, "@include \"conf.d/20-workers.conf\"\n"), -1);
    snprintf(want, sizeof want, "%s/conf.d/20-workers.conf:3: syntax error", f->dir);
    assert_string_equal(f->err, want);
    /* and lines after an include are the main file's own */
    write_file(path, "workers = {\n  start = 3;\n};\n");
    expect_error(f, "\n@include \"conf.d/20-workers.conf\"\n\nbacklog = 0;\n", 4, "backlog",
                 "(got 0)");

    /* a missing plain file is an error naming the including line */
    assert_int_equal(load_text(f, "backlog = 7;\n@include \"conf.d/nope.conf\"\n"), -1);
    snprintf(want, sizeof want, "%s:2: @include: %s/conf.d/nope.conf: No such file or directory",
             f->path, f->dir);
    assert_string_equal(f->err, want);

    /* an include loop ends at the depth bound */
    snprintf(path, sizeof path, "%s/loop.conf", f->dir);
    write_file(path, "@include \"loop.conf\"\n");
    assert_int_equal(load_text(f, "@include \"loop.conf\"\n"), -1);
    assert_non_null(strstr(f->err, "loop.conf:1: @include \"loop.conf\": included files nested "
                                   "more than 10 deep"));

    /* an @include inside a string or a comment is text, not an include */
    assert_int_equal(load_text(f, "http = { server_name = \"a\n@include \\\"x\\\"\"; };\n/*\n"
                                  "@include \"conf.d/nope.conf\"\n*/\n"),
                     0);
    assert_string_equal(f->cfg.http.server_name, "a\n@include \"x\"");
}

static void test_missing_file(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX + 32], expected[PATH_MAX + 128];

    snprintf(path, sizeof path, "%s/missing.conf", f->dir);
    snprintf(expected, sizeof expected, "%s: cannot read: No such file or directory", path);
    assert_int_equal(pf_config_load(&f->cfg, path, f->err, sizeof f->err), -1);
    assert_string_equal(f->err, expected);
}

static void test_directory_is_not_a_file(void **state)
{
    struct fixture *f = *state;
    char expected[PATH_MAX + 128];

    snprintf(expected, sizeof expected, "%s: cannot read: Is a directory", f->dir);
    assert_int_equal(pf_config_load(&f->cfg, f->dir, f->err, sizeof f->err), -1);
    assert_string_equal(f->err, expected);
}

static void test_unreadable_file(void **state)
{
    struct fixture *f = *state;
    char expected[PATH_MAX + 128];

    if (geteuid() == 0)
        skip(); /* root reads a mode 000 file anyway */
    write_file(f->path, "backlog = 1;\n");
    assert_int_equal(chmod(f->path, 0), 0);
    snprintf(expected, sizeof expected, "%s: cannot read: Permission denied", f->path);
    assert_int_equal(pf_config_load(&f->cfg, f->path, f->err, sizeof f->err), -1);
    assert_string_equal(f->err, expected);
}

/* A relative path: messages quote it as given, path and dir are absolute. */
static void test_relative_path(void **state)
{
    struct fixture *f = *state;
    char cwd[PATH_MAX], expected[2 * PATH_MAX], log[PATH_MAX], root[PATH_MAX];
    int rc, rc_bad;

    write_file(f->path, "daemon = { error_log = \"x.log\"; };\n");
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    rc = pf_config_load(&f->cfg, "preforkd.conf", f->err, sizeof f->err);
    memcpy(log, f->cfg.daemon.error_log, sizeof log);
    memcpy(root, f->cfg.http.root, sizeof root);
    write_file("bad.conf", "\nbacklog = 0;\n");
    rc_bad = pf_config_load(&f->cfg, "./bad.conf", f->err, sizeof f->err);
    assert_int_equal(chdir(cwd), 0);

    assert_int_equal(rc, 0);
    snprintf(expected, sizeof expected, "%s/x.log", f->real);
    assert_string_equal(log, expected);
    snprintf(expected, sizeof expected, "%s/www", f->real); /* the default, resolved */
    assert_string_equal(root, expected);
    assert_int_equal(rc_bad, -1);
    assert_string_equal(f->err,
                        "./bad.conf:2: backlog: must be an integer between 1 and 65535 (got 0)");
}

/* The shipped etc/preforkd.conf loads and holds exactly the defaults, its
 * root (etc/www, the site shipped beside it) included, and that site has an
 * index page. Found from this source file's path (absolute when CMake
 * compiles it). */
static void test_shipped_config(void **state)
{
    static const char self[] = "tests/unit/test_pf_config.c";
    struct fixture *f = *state;
    const char *file = __FILE__;
    size_t n = strlen(file);
    char path[PATH_MAX], etc[PATH_MAX], root[2 * PATH_MAX], index[3 * PATH_MAX];

    if (n < strlen(self) || strcmp(file + n - strlen(self), self) != 0)
        skip();
    snprintf(path, sizeof path, "%.*setc/preforkd.conf", (int)(n - strlen(self)), file);
    if (file[0] != '/' && access(path, R_OK) != 0)
        skip(); /* relative __FILE__, run from elsewhere */
    if (pf_config_load(&f->cfg, path, f->err, sizeof f->err) != 0)
        fail_msg("%s", f->err);
    snprintf(path, sizeof path, "%.*setc", (int)(n - strlen(self)), file);
    assert_non_null(realpath(path, etc));
    snprintf(root, sizeof root, "%s/www", etc);
    /* The differences from the defaults: the shipped file turns the
     * control channel on, so preforkctl -c etc/preforkd.conf works, keeps
     * a pidfile beside it, for preforkd -s, and lets root run it from the
     * checkout. */
    assert_string_equal(f->cfg.control.listen, "127.0.0.1:8099");
    f->cfg.control.listen[0] = '\0';
    snprintf(index, sizeof index, "%s/preforkd.pid", etc);
    assert_string_equal(f->cfg.daemon.pidfile, index);
    f->cfg.daemon.pidfile[0] = '\0';
    assert_string_equal(f->cfg.daemon.user, "root");
    f->cfg.daemon.user[0] = '\0';
    f->cfg.daemon.uid = 0;
    f->cfg.daemon.user_gid = 0;
    assert_defaults(&f->cfg, root);
    snprintf(index, sizeof index, "%s/%s", f->cfg.http.root, f->cfg.http.index);
    if (access(index, R_OK) != 0)
        fail_msg("%s: %s", index, strerror(errno));
}

/* The setting walker describes every setting, with the type and field the
 * loader uses: checked on a few of each kind, and for the field offsets. */
static void test_setting_walker(void **state)
{
    static const struct {
        const char *group, *name;
        enum pf_config_type type;
        size_t offset;
    } want[] = {
        {NULL, "backlog", PF_CONFIG_INT, offsetof(struct pf_config, backlog)},
        {NULL, "listen", PF_CONFIG_STRING, offsetof(struct pf_config, listen)},
        {"workers", "max_requests", PF_CONFIG_LONG,
         offsetof(struct pf_config, workers.max_requests)},
        {"workers", "graceful_timeout", PF_CONFIG_MS,
         offsetof(struct pf_config, workers.graceful_timeout_ms)},
        {"msg", "max_message", PF_CONFIG_SIZE, offsetof(struct pf_config, msg.max_message)},
        {"http", "root", PF_CONFIG_STRING, offsetof(struct pf_config, http.root)},
        {"keeper", "parking", PF_CONFIG_BOOL, offsetof(struct pf_config, keeper.parking)},
        {"keeper", "linger", PF_CONFIG_MS, offsetof(struct pf_config, keeper.linger_ms)},
        {"keeper", "max_parked", PF_CONFIG_LONG, offsetof(struct pf_config, keeper.max_parked)},
        {"control", "token_file", PF_CONFIG_STRING, offsetof(struct pf_config, control.token_file)},
        {"daemon", "log_level", PF_CONFIG_LOG_LEVEL, offsetof(struct pf_config, daemon.log_level)},
    };
    struct pf_config_setting f;
    size_t n = 0, found = 0;

    (void)state;
    for (; pf_config_setting_at(n, &f); n++) {
        for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
            bool same_group = (f.group == NULL && want[k].group == NULL) ||
                              (f.group && want[k].group && strcmp(f.group, want[k].group) == 0);

            if (!same_group || strcmp(f.name, want[k].name) != 0)
                continue;
            assert_int_equal(f.type, want[k].type);
            assert_int_equal(f.offset, want[k].offset);
            found++;
        }
        if (f.type == PF_CONFIG_STRING)
            assert_true(f.size > 1);
    }
    assert_int_equal(found, sizeof(want) / sizeof(want[0]));
    assert_true(n >= 30);
    assert_false(pf_config_setting_at(n, &f));
    assert_false(pf_config_setting_at(n + 1000, &f));
}

/* @include resolves against the configuration file's folder, and errors
 * in an included file name that file. */
static void test_include(void **state)
{
    struct fixture *f = *state;
    char inc[PATH_MAX + 32];

    snprintf(inc, sizeof inc, "%s/extra.conf", f->dir);
    write_file(inc, "# extra\nbacklog = 77;\n");
    assert_int_equal(load_text(f, "@include \"extra.conf\"\nprotocol = \"msg\";\n"), 0);
    assert_int_equal(f->cfg.backlog, 77);
    assert_string_equal(f->cfg.protocol, "msg");

    write_file(inc, "# extra\nbacklog = 99999999999;\n");
    assert_int_equal(load_text(f, "@include \"extra.conf\"\n"), -1);
    assert_non_null(strstr(f->err, "extra.conf:2: backlog: must be an integer between 1 and 65535 "
                                   "(got 99999999999)"));
}

/* A failed load must not need a valid err buffer to be safe. */
static void test_null_error_buffer(void **state)
{
    struct fixture *f = *state;

    write_file(f->path, "backlog = 0;\n");
    assert_int_equal(pf_config_load(&f->cfg, f->path, NULL, 0), -1);
}

/* A small err buffer is filled (truncated), never overrun. */
static void test_small_error_buffer(void **state)
{
    struct fixture *f = *state;
    char small[8];

    write_file(f->path, "backlog = 0;\n");
    memset(small, 'x', sizeof small);
    assert_int_equal(pf_config_load(&f->cfg, f->path, small, sizeof small), -1);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, f->path, sizeof small - 1);
}

/* pf_config_load_control reads control.listen and control.token_file
 * alone: errors elsewhere (an unknown setting, a bad value, even one in
 * the control group) do not matter, the two settings are checked and
 * resolved as pf_config_load does them. */
static void test_load_control(void **state)
{
    static const struct {
        const char *text;
        const char *listen;
        const char *token; /* relative: to the folder of the file */
    } cases[] = {
        {"bogus = 1;\nworkers = { start = 0; };\n"
         "control = { listen = \"127.0.0.1:9000\"; token_file = \"t/tok\"; };\n",
         "127.0.0.1:9000", "t/tok"},
        {"", "", "preforkd.token"},
        {"control = { idle_timeout = -1; bogus = 2; listen = \"[::1]:1\"; };\n", "[::1]:1",
         "preforkd.token"},
        {"http = { root = \"/no/such/folder\"; };\ncontrol = { token_file = \"/abs/tok\"; };\n", "",
         "/abs/tok"},
    };
    struct fixture *f = *state;
    char want[2 * PATH_MAX];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(f->path, cases[i].text);
        if (pf_config_load_control(&f->cfg, f->path, f->err, sizeof f->err) != 0)
            fail_msg("config:\n%s\nerror: %s", cases[i].text, f->err);
        assert_string_equal(f->cfg.control.listen, cases[i].listen);
        if (cases[i].token[0] == '/')
            snprintf(want, sizeof want, "%s", cases[i].token);
        else
            snprintf(want, sizeof want, "%s/%s", f->real, cases[i].token);
        assert_string_equal(f->cfg.control.token_file, want);
    }
    /* the whole load refuses the first file */
    assert_int_equal(load_text(f, cases[0].text), -1);
}

/* What pf_config_load_control refuses: a file libconfig cannot parse (no
 * setting can be read from it), and a wrong control setting. */
static void test_load_control_errors(void **state)
{
    static const struct {
        const char *text;
        const char *error; /* after "PATH:" */
    } cases[] = {
        {"control = { listen = \"127.0.0.1:1\"; };\nbogus = ;\n", "2: syntax error"},
        {"control = { listen = \"10.0.0.1:1\"; };\n",
         "1: control.listen: must be a loopback address"},
        {"\ncontrol = 5;\n", "2: control: must be a group (got an integer)"},
        {"control = { token_file = \"\"; };\n", "1: control.token_file: must not be empty"},
    };
    struct fixture *f = *state;
    char want[PATH_MAX + 128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(f->path, cases[i].text);
        snprintf(want, sizeof want, "%s:%s", f->path, cases[i].error);
        assert_int_equal(pf_config_load_control(&f->cfg, f->path, f->err, sizeof f->err), -1);
        if (strncmp(f->err, want, strlen(want)) != 0)
            fail_msg("config:\n%s\nerror:    %s\nexpected: %s", cases[i].text, f->err, want);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults_function),
        T(test_empty_file_gives_defaults),
        T(test_comments_and_empty_groups_give_defaults),
        T(test_full_file),
        T(test_bounds_accepted),
        T(test_big_integer_literal),
        T(test_durations),
        T(test_keeper_settings),
        T(test_exec_settings),
        T(test_proxy_settings),
        cmocka_unit_test(test_from_line),
        T(test_error_log_paths),
        T(test_error_log_too_long),
        T(test_daemon_settings),
        T(test_http_root),
        T(test_http_paths),
        T(test_http_error_pages),
        T(test_http_too_long),
        T(test_listen_port_zero),
        T(test_log_levels),
        T(test_invalid_settings),
        T(test_bounds_agree),
        T(test_given_twice),
        T(test_includes),
        T(test_values_quoted_in_messages),
        T(test_syntax_errors),
        T(test_missing_file),
        T(test_directory_is_not_a_file),
        T(test_unreadable_file),
        T(test_relative_path),
        T(test_shipped_config),
        cmocka_unit_test(test_setting_walker),
        T(test_include),
        T(test_null_error_buffer),
        T(test_small_error_buffer),
        T(test_load_control),
        T(test_load_control_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
