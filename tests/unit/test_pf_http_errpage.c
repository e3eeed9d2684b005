/* Unit tests for pf_http_errpage: the configured error pages, read into
 * memory at a worker's start, found by status; a file that went bad
 * since the configuration was loaded fails the start with its name. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pf_config.h"
#include "pf_http_errpage.h"

struct fixture {
    char dir[64];
    struct pf_config cfg;
    struct pf_http_errpages pages;
    char err[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/pf_errpage_test_XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    pf_config_defaults(&f->cfg);
    *state = f;
    return 0;
}

/* The files the tests make: every name below, then the folder. */
static const char *const names[] = {"404.html", "503.html", "empty.html", "big.html", "fifo"};

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX];

    pf_http_errpage_free(&f->pages);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* dir/name with len bytes of text (repeated as needed). */
static void put(struct fixture *f, const char *name, const char *text, size_t len)
{
    char path[PATH_MAX];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(fputc(text[i % strlen(text)], fp), text[i % strlen(text)]);
    assert_int_equal(fclose(fp), 0);
}

/* Set the configuration's entries: "STATUS name" each, name under dir
 * (as pf_config_load stores them: the path made absolute). */
static void set_pages(struct fixture *f, int n, const int *statuses, const char *const *files)
{
    size_t used = 0;

    memset(f->cfg.http.error_pages, 0, sizeof(f->cfg.http.error_pages));
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(f->cfg.http.error_pages + used,
                                 sizeof(f->cfg.http.error_pages) - used, "%d %s/%s", statuses[i],
                                 f->dir, files[i]) +
                1;
    f->cfg.http.nerror_pages = n;
}

/* Each configured page is in memory, byte for byte, found by its status;
 * other statuses have none; free empties the set (and may be repeated). */
static void test_load_and_find(void **state)
{
    static const int statuses[] = {404, 503, 400};
    static const char *const files[] = {"404.html", "503.html", "empty.html"};
    struct fixture *f = *state;
    const struct pf_http_errpage *pg;

    put(f, "404.html", "<p>not here</p>\n", 16);
    put(f, "503.html", "busy ", PF_HTTP_ERROR_PAGE_FILE_MAX); /* the largest allowed */
    put(f, "empty.html", "", 0);
    set_pages(f, 3, statuses, files);
    assert_int_equal(pf_http_errpage_load(&f->pages, &f->cfg, f->err, sizeof(f->err)), 0);
    assert_int_equal(f->pages.n, 3);
    pg = pf_http_errpage_find(&f->pages, 404);
    assert_non_null(pg);
    assert_int_equal(pg->len, 16);
    assert_memory_equal(pg->body, "<p>not here</p>\n", 16);
    pg = pf_http_errpage_find(&f->pages, 503);
    assert_non_null(pg);
    assert_int_equal(pg->len, PF_HTTP_ERROR_PAGE_FILE_MAX);
    assert_memory_equal(pg->body, "busy busy ", 10);
    pg = pf_http_errpage_find(&f->pages, 400);
    assert_non_null(pg);
    assert_int_equal(pg->len, 0);
    assert_null(pf_http_errpage_find(&f->pages, 500));
    assert_null(pf_http_errpage_find(&f->pages, 301));
    pf_http_errpage_free(&f->pages);
    assert_int_equal(f->pages.n, 0);
    assert_null(pf_http_errpage_find(&f->pages, 404));
    pf_http_errpage_free(&f->pages);
}

/* No entries: nothing read, nothing found. */
static void test_none(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(pf_http_errpage_load(&f->pages, &f->cfg, f->err, sizeof(f->err)), 0);
    assert_int_equal(f->pages.n, 0);
    assert_null(pf_http_errpage_find(&f->pages, 404));
}

/* A page file that is gone, grew past the bound, or is no longer a
 * regular file: the load fails naming it, and leaves nothing loaded. */
static void test_bad_files(void **state)
{
    static const struct {
        const char *file, *reason;
    } cases[] = {
        {"missing.html", "No such file or directory"},
        {"big.html", "more than 65536 bytes"},
        {"fifo", "not a regular file"},
    };
    struct fixture *f = *state;
    char path[PATH_MAX], want[PATH_MAX + 128];

    put(f, "404.html", "<p>ok</p>", 9);
    put(f, "big.html", "x", PF_HTTP_ERROR_PAGE_FILE_MAX + 1);
    snprintf(path, sizeof(path), "%s/fifo", f->dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const int statuses[] = {404, 500};
        const char *const files[] = {"404.html", cases[i].file};

        set_pages(f, 2, statuses, files);
        assert_int_equal(pf_http_errpage_load(&f->pages, &f->cfg, f->err, sizeof(f->err)), -1);
        snprintf(want, sizeof(want), "http.error_pages: %s/%s: %s", f->dir, cases[i].file,
                 cases[i].reason);
        assert_string_equal(f->err, want);
        assert_int_equal(f->pages.n, 0);
        assert_null(pf_http_errpage_find(&f->pages, 404));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_and_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
