/* fuzz_config: the configuration loader (common/pf_config.c, on top of
 * libconfig), on a real file: each input is written to preforkd.conf in a
 * temporary folder made once per process, then pf_config_load reads it.
 *
 * Inputs that contain "@include" are skipped: an include names any file
 * of the machine (a FIFO, /dev/stdin, a huge log), which is the
 * administrator's business, not a parser bug; the loader's include
 * handling has its unit tests (test_pf_config.c, test_includes; and
 * test_pf_config_text.c).
 *
 * Invariants, abort() on any violation (crashes and leaks are reported by
 * the sanitizers themselves):
 *  - pf_config_load returns 0 or -1;
 *  - on -1, the message is not empty, is one line (no control byte at
 *    all: a value quoted in it cannot break the line) and starts with the
 *    file's path followed by ':';
 *  - on 0, what the loader validates holds: workers 1 <= start <= max,
 *    min_spare <= max_spare, a known protocol and pool mode, the exec
 *    group's lists within their bounds and its program absolute, the
 *    error pages well formed (each status once, each file absolute), the
 *    resolved path is the file's, the document root and the token file
 *    are absolute, every string field is NUL-terminated within its array;
 *  - on 0, what -T prints (pf_config_dump) loads again, and prints the
 *    same text again (bar its first line, which names the file).
 */
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "pf_config.h"
#include "pf_config_dump.h"

/* The temporary folder and the file in it, made on the first input. */
static char fuzz_dir[PATH_MAX];
static char fuzz_file[PATH_MAX];
static char fuzz_real[PATH_MAX];
static char fuzz_again[PATH_MAX]; /* the dump of a loaded input */

/* Remove the file and the folder when the fuzzer exits normally. */
static void fuzz_cleanup(void)
{
    unlink(fuzz_file);
    unlink(fuzz_again);
    rmdir(fuzz_dir);
}

/* Make the temporary folder once, under $TMPDIR or /tmp. */
static void fuzz_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    FILE *f;

    if (fuzz_dir[0] != '\0')
        return;
    snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/pf_fuzz_config_XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(fuzz_dir) != NULL, "cannot make the temporary folder");
    snprintf(fuzz_file, sizeof(fuzz_file), "%s/preforkd.conf", fuzz_dir);
    snprintf(fuzz_again, sizeof(fuzz_again), "%s/again.conf", fuzz_dir);
    f = fopen(fuzz_file, "w");
    FUZZ_CHECK(f != NULL && fclose(f) == 0, "cannot write the configuration file");
    FUZZ_CHECK(realpath(fuzz_file, fuzz_real) != NULL, "cannot resolve the file's path");
    atexit(fuzz_cleanup);
}

/* Replace the file's contents with data[0..size). */
static void write_input(const uint8_t *data, size_t size)
{
    FILE *f = fopen(fuzz_file, "w");

    FUZZ_CHECK(f != NULL, "cannot open the configuration file");
    FUZZ_CHECK(fwrite(data, 1, size, f) == size, "cannot write the configuration file");
    FUZZ_CHECK(fclose(f) == 0, "cannot close the configuration file");
}

/* Does data[0..size) contain text? */
static bool input_has(const uint8_t *data, size_t size, const char *text)
{
    size_t n = strlen(text);

    for (size_t i = 0; n <= size && i <= size - n; i++)
        if (memcmp(data + i, text, n) == 0)
            return true;
    return false;
}

/* A failed load's message: one line, starting with "PATH:". */
static void check_message(const char *err)
{
    size_t plen = strlen(fuzz_file);

    FUZZ_CHECK(err[0] != '\0', "empty message");
    FUZZ_CHECK(strncmp(err, fuzz_file, plen) == 0 && err[plen] == ':',
               "message does not start with the file's path");
    for (const char *p = err; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f,
                   "message is not one line of text");
}

/* A char array field is a string: a NUL within its size. */
#define FIELD_IS_STRING(f) (memchr((f), '\0', sizeof(f)) != NULL)

/* http.error_pages: within its count, each entry "STATUS /file" with a
 * status from 400 to 599 given once. */
static void check_error_pages(const struct pf_config *c)
{
    int n = c->http.nerror_pages;
    bool seen[200] = {false};

    FUZZ_CHECK(n >= 0 && n <= PF_EXEC_LIST_MAX, "http.error_pages count out of range");
    for (int i = 0; i < n; i++) {
        const char *file, *e = pf_config_string_at(c->http.error_pages, n, i);
        int st = pf_config_error_page(e, &file);

        FUZZ_CHECK(e >= c->http.error_pages &&
                       e < c->http.error_pages + sizeof(c->http.error_pages),
                   "http.error_pages entry outside its field");
        FUZZ_CHECK(st >= 400 && st <= 599 && file[0] == '/',
                   "http.error_pages entry malformed or its file not absolute");
        FUZZ_CHECK(!seen[st - 400], "http.error_pages status given twice");
        seen[st - 400] = true;
    }
}

/* What a successful load promises about the configuration. */
static void check_config(const struct pf_config *c)
{
    FUZZ_CHECK(FIELD_IS_STRING(c->path) && FIELD_IS_STRING(c->dir) && FIELD_IS_STRING(c->listen) &&
                   FIELD_IS_STRING(c->protocol) && FIELD_IS_STRING(c->workers.mode) &&
                   FIELD_IS_STRING(c->http.root) && FIELD_IS_STRING(c->http.index) &&
                   FIELD_IS_STRING(c->http.server_name) && FIELD_IS_STRING(c->http.access_log) &&
                   FIELD_IS_STRING(c->http.mime_types) && FIELD_IS_STRING(c->control.listen) &&
                   FIELD_IS_STRING(c->control.token_file) && FIELD_IS_STRING(c->daemon.error_log) &&
                   FIELD_IS_STRING(c->daemon.pidfile) && FIELD_IS_STRING(c->daemon.user) &&
                   FIELD_IS_STRING(c->daemon.group) && FIELD_IS_STRING(c->daemon.chroot),
               "string field not terminated");
    FUZZ_CHECK(strcmp(c->path, fuzz_real) == 0, "path is not the file's");
    FUZZ_CHECK(c->workers.start >= 1 && c->workers.start <= c->workers.max &&
                   c->workers.max <= PF_WORKERS_HARD_MAX,
               "workers.start/max out of range");
    FUZZ_CHECK(c->workers.min_spare <= c->workers.max_spare, "min_spare above max_spare");
    FUZZ_CHECK(strcmp(c->protocol, "http") == 0 || strcmp(c->protocol, "echo") == 0 ||
                   strcmp(c->protocol, "msg") == 0 || strcmp(c->protocol, "exec") == 0,
               "unknown protocol accepted");
    /* exec: the program given, its lists within their counts and bytes,
     * each entry non-empty and terminated, the socket on 3 or 0 */
    FUZZ_CHECK(!pf_config_exec(c) || c->exec.argc >= 1, "exec without a program");
    FUZZ_CHECK(c->exec.argc >= 0 && c->exec.argc <= PF_EXEC_LIST_MAX && c->exec.nenv >= 0 &&
                   c->exec.nenv <= PF_EXEC_LIST_MAX,
               "exec list count out of range");
    for (int i = 0; i < c->exec.argc; i++) {
        const char *a = pf_config_string_at(c->exec.command, c->exec.argc, i);

        FUZZ_CHECK(a >= c->exec.command && a < c->exec.command + sizeof(c->exec.command) &&
                       a[0] != '\0',
                   "exec.command entry outside its field or empty");
    }
    FUZZ_CHECK(c->exec.argc == 0 || c->exec.command[0] == '/', "the program is not absolute");
    FUZZ_CHECK(c->exec.listen_fd == 3 || c->exec.listen_fd == 0, "exec.listen_fd not 3 or 0");
    FUZZ_CHECK(FIELD_IS_STRING(c->exec.directory) && FIELD_IS_STRING(c->exec.ready),
               "exec string field not terminated");
    FUZZ_CHECK(strcmp(c->workers.mode, "static") == 0 || strcmp(c->workers.mode, "dynamic") == 0,
               "unknown mode accepted");
    FUZZ_CHECK(c->http.root[0] == '/' && c->control.token_file[0] == '/',
               "root or token file not absolute");
    check_error_pages(c);
    FUZZ_CHECK(c->backlog >= 1 && c->backlog <= PF_BACKLOG_MAX, "backlog out of range");
}

/* The dump of c into a malloc'd string, and from its second line on
 * into *body. */
static char *dump_text(const struct pf_config *c, const char **body)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);

    FUZZ_CHECK(mem != NULL, "open_memstream failed");
    FUZZ_CHECK(pf_config_dump(mem, c) == 0, "pf_config_dump failed");
    FUZZ_CHECK(fclose(mem) == 0 && text != NULL, "the dump cannot be closed");
    *body = strchr(text, '\n');
    FUZZ_CHECK(*body != NULL, "the dump has no first line");
    return text;
}

/* -T's round trip: the dump of c loads, into a configuration whose dump
 * is the same text. */
static void check_dump(const struct pf_config *c)
{
    static struct pf_config again;
    static char err[PF_ERR_MAX];
    const char *first_body, *second_body;
    char *first = dump_text(c, &first_body), *second;
    FILE *f = fopen(fuzz_again, "w");

    FUZZ_CHECK(f != NULL && fputs(first, f) >= 0 && fclose(f) == 0, "cannot write the dump");
    if (pf_config_load(&again, fuzz_again, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n%s\n", err, first);
        FUZZ_CHECK(false, "the dump of a loaded configuration does not load");
    }
    second = dump_text(&again, &second_body);
    FUZZ_CHECK(strcmp(first_body, second_body) == 0, "the dump of the dump differs");
    free(first);
    free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pf_config cfg;
    static char err[PF_ERR_MAX];
    int rc;

    if (size > 16384 || input_has(data, size, "@include"))
        return 0;
    fuzz_setup();
    write_input(data, size);
    memset(err, 0, sizeof(err));
    rc = pf_config_load(&cfg, fuzz_file, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == -1, "result out of range");
    if (rc == 0) {
        check_config(&cfg);
        check_dump(&cfg);
    } else
        check_message(err);
    return 0;
}
