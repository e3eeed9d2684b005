/* Unit tests for pf_token: creating, loading and refusing token files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* An expected token, a given one, and whether they must match. */
struct token_case {
    const char *expected, *given;
    bool equal;
};

#define T128 \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct token_case token_cases[] = {
    {"s3cret", "s3cret", true},
    {"s3cret", "x3cret", false},  /* first byte */
    {"s3cret", "s3crex", false},  /* last byte */
    {"s3cret", "s3cre", false},   /* a prefix */
    {"s3cret", "s3crett", false}, /* longer */
    {"s3cret", "s3cret\x01", false},
    {"s3cret", "", false},
    {"", "", true},
    {"", "a", false},
    {"a", "A", false},
    {T128, T128, true},
    {T128, T128 "0", false},
    {T128, "0123456789abcdef", false},
};

/* Equal only when every byte and the length match. */
static void test_token_equal(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(token_cases) / sizeof(token_cases[0]); i++) {
        const struct token_case *c = &token_cases[i];

        if (pf_token_equal(c->expected, c->given) != c->equal)
            fail_msg("case %zu: \"%s\" vs \"%s\": expected %s", i, c->expected, c->given,
                     c->equal ? "equal" : "different");
    }
}

/* A given token shorter than the expected one is not read past its end:
 * its exact-size heap copy would make that an AddressSanitizer error. */
static void test_token_equal_short_given(void **state)
{
    char *given = malloc(2);

    (void)state;
    assert_non_null(given);
    memcpy(given, "s", 2);
    assert_false(pf_token_equal("s3cret", given));
    free(given);
}

/* Authorization header values: what token each carries, or NULL. */
static const struct {
    const char *value;
    const char *token;
} auth_cases[] = {
    {"Bearer s3cret", "s3cret"},
    {"  bearer \t s3cret  ", "s3cret"},
    {"Basic YWRtaW46czNjcmV0", "s3cret"},   /* admin:s3cret */
    {"BASIC OnMzY3JldA==", "s3cret"},       /* :s3cret, no user name */
    {"Basic dTpzM2NyZXQ6eA==", "s3cret:x"}, /* the first ':' ends the user */
    {"Basic dTphYg==", "ab"},
    {"Basic dTowMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMT"
     "IzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg==",
     T128},
    {"Basic dTowMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMT"
     "IzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjA=",
     NULL},                            /* a token of 129 bytes */
    {"Basic YWRtaW4=", NULL},          /* admin: no ':' */
    {"Basic YWRtaW46", NULL},          /* admin: an empty token */
    {"Basic dTpzM2NyZXQNCg==", NULL},  /* control bytes */
    {"Basic dTphAGI=", NULL},          /* a NUL */
    {"Basic YWRtaW46czNjcmV0=", NULL}, /* not a multiple of 4 */
    {"Basic YQ=b", NULL},              /* '=' inside */
    {"Basic ====", NULL},
    {"Basic YW*taW46czNjcmV0", NULL}, /* not the alphabet */
    {"Basic YWRta W46", NULL},        /* two words */
    {"Bearer a b", NULL},
    {"Bearer", NULL},
    {"Basic", NULL},
    {"", NULL},
    {"Digest s3cret", NULL},
    {"Basicx YWRtaW46czNjcmV0", NULL},
    {"Bearerx s3cret", NULL},
};

static void test_token_from_authorization(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
        char token[PF_TOKEN_MAX + 1] = "unchanged";
        int rc = pf_token_from_authorization(auth_cases[i].value, token, sizeof(token));

        if (auth_cases[i].token == NULL && rc != -1)
            fail_msg("case %zu \"%s\": accepted as \"%s\"", i, auth_cases[i].value, token);
        if (auth_cases[i].token && (rc != 0 || strcmp(token, auth_cases[i].token) != 0))
            fail_msg("case %zu \"%s\": rc %d token \"%s\"", i, auth_cases[i].value, rc, token);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_token_trimmed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_group_or_other_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_bad_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_links_and_dirs, setup, teardown),
        cmocka_unit_test(test_token_equal),
        cmocka_unit_test(test_token_equal_short_given),
        cmocka_unit_test(test_token_from_authorization),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
