/* Unit tests for pf_token: creating, loading and refusing token files. */
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

#include "pf_token.h"

struct fixture {
    char dir[64];
    char path[128];
};

/* Fixture: an empty temp dir; path names a token file in it. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/pf_token.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/token", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[160];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    assert_int_equal(chmod(path, mode), 0);
}

/* Load must fail with an error naming the path and containing why. */
static void expect_refused(struct fixture *f, const char *why)
{
    char token[256], err[512];

    assert_int_equal(pf_token_load(f->path, token, sizeof(token), err, sizeof(err)), -1);
    assert_non_null(strstr(err, f->path));
    if (strstr(err, why) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, why);
}

/* A missing file is created 0600 with 64 hex digits; loading again gives
 * the same token; two creations give different tokens. */
static void test_create_and_reload(void **state)
{
    struct fixture *f = *state;
    char t1[256], t2[256], t3[256], err[512];
    struct stat st;

    assert_int_equal(pf_token_load(f->path, t1, sizeof(t1), err, sizeof(err)), 0);
    assert_int_equal(strlen(t1), PF_TOKEN_HEX_LEN);
    assert_int_equal(strspn(t1, "0123456789abcdef"), PF_TOKEN_HEX_LEN);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(pf_token_load(f->path, t2, sizeof(t2), err, sizeof(err)), 0);
    assert_string_equal(t1, t2);
    unlink(f->path);
    assert_int_equal(pf_token_load(f->path, t3, sizeof(t3), err, sizeof(err)), 0);
    assert_string_not_equal(t1, t3);
}

/* An operator's own token is read from the first line, trimmed. */
static void test_existing_token_trimmed(void **state)
{
    struct fixture *f = *state;
    char token[256], err[512];

    write_file(f->path, "  s3cret-Token \r\nsecond line ignored\n", 0600);
    assert_int_equal(pf_token_load(f->path, token, sizeof(token), err, sizeof(err)), 0);
    assert_string_equal(token, "s3cret-Token");
}

static void test_refuses_group_or_other_access(void **state)
{
    struct fixture *f = *state;

    write_file(f->path, "abc\n", 0640);
    expect_refused(f, "group or others");
    write_file(f->path, "abc\n", 0602);
    expect_refused(f, "group or others");
}

static void test_refuses_bad_content(void **state)
{
    struct fixture *f = *state;
    char longer[300];

    write_file(f->path, "\n", 0600);
    expect_refused(f, "one token");
    write_file(f->path, "two words\n", 0600);
    expect_refused(f, "one token");
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    write_file(f->path, longer, 0600);
    expect_refused(f, "one token");
}

/* Never through a symbolic link, never a directory. */
static void test_refuses_links_and_dirs(void **state)
{
    struct fixture *f = *state;
    char target[160];

    snprintf(target, sizeof(target), "%s/real", f->dir);
    write_file(target, "abc\n", 0600);
    assert_int_equal(symlink(target, f->path), 0);
    expect_refused(f, "symbolic links");
    unlink(f->path);
    assert_int_equal(mkdir(f->path, 0700), 0);
    expect_refused(f, "not a regular file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_token_trimmed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_group_or_other_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_bad_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_links_and_dirs, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
