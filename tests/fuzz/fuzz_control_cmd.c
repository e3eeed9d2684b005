/* fuzz_control_cmd: the control channel's command parser and its token
 * comparison (server/control/pf_control_cmd.c).
 *
 * Input: byte 0 picks the size of the error buffer (none, tiny, normal);
 * the rest is one command line as a client sends it (without its "\n").
 * The same rest, cut at its first NUL byte, is also two tokens for
 * pf_token_equal: the expected one before the NUL, the given one after.
 *
 * Invariants, abort() on any violation:
 *  - pf_control_cmd_parse returns 0 or -1; on -1 the message is NUL-terminated
 *    within the buffer, not empty (given room), and one line of printable
 *    text; a line is never read past its length;
 *  - on 0, the command is what docs/control-protocol.md allows: a known
 *    verb; auth: a token of 1..128 printable bytes without space that
 *    the line contains; scale: 1..PF_WORKERS_HARD_MAX, or a sign and that;
 *    kill: a pid >= 1; GET: a path starting with '/', without control
 *    bytes or spaces, that the line contains;
 *  - a trailing "\r" changes nothing: the line with one added parses to
 *    the same command or the same message;
 *  - pf_token_equal(expected, given) is strcmp(...) == 0, and never
 *    reads given past its NUL (each token is a heap block of exactly its
 *    size, NUL included);
 *  - pf_token_from_authorization, on the rest cut at its first NUL as an
 *    Authorization value, returns 0 or -1; on 0 the token is 1..128
 *    bytes without control bytes, for "Bearer" one found in the value,
 *    and "Bearer TOKEN" gives the same token back.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "fuzz_check.h"
#include "pf_config.h"
#include "pf_control_cmd.h"

/* Error buffer sizes byte 0 chooses from (0: no buffer at all). */
static const size_t err_sizes[] = {0, 1, 8, 256};

/* Is s (NUL-terminated) one line of printable ASCII? */
static bool printable_line(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

/* Does line[0..len) contain text? */
static bool line_has(const char *line, size_t len, const char *text)
{
    size_t n = strlen(text);

    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(line + i, text, n) == 0)
            return true;
    return false;
}

/* What a successful parse promises about the command. */
static void check_command(const char *line, size_t len, const struct pf_control_cmd *c)
{
    size_t n;

    FUZZ_CHECK((unsigned)c->verb <= PF_CONTROL_CMD_HTTP_GET, "verb out of range");
    switch (c->verb) {
    case PF_CONTROL_CMD_AUTH:
        n = strnlen(c->token, sizeof(c->token));
        FUZZ_CHECK(n >= 1 && n <= PF_TOKEN_MAX, "token length out of range");
        FUZZ_CHECK(printable_line(c->token) && !strchr(c->token, ' '), "token not printable");
        FUZZ_CHECK(line_has(line, len, c->token), "token not from the line");
        break;
    case PF_CONTROL_CMD_SCALE:
        FUZZ_CHECK(c->relative ? (c->value != 0 && c->value >= -PF_WORKERS_HARD_MAX &&
                                  c->value <= PF_WORKERS_HARD_MAX)
                               : (c->value >= 1 && c->value <= PF_WORKERS_HARD_MAX),
                   "scale value out of range");
        break;
    case PF_CONTROL_CMD_KILL: FUZZ_CHECK(c->pid >= 1, "pid out of range"); break;
    case PF_CONTROL_CMD_HTTP_GET:
        n = strnlen(c->path, sizeof(c->path));
        FUZZ_CHECK(n >= 1 && n < sizeof(c->path) && c->path[0] == '/', "GET path malformed");
        FUZZ_CHECK(printable_line(c->path) && !strchr(c->path, ' '), "GET path not printable");
        FUZZ_CHECK(line_has(line, len, c->path), "GET path not from the line");
        break;
    default: break;
    }
}

/* Parse line[0..len) with an error buffer of errlen bytes (exact heap
 * block, NULL for 0) and check the outcome. Returns the result and leaves
 * the command and message in cmd and msg (msg gets "" when none). */
static int parse_checked(const char *line, size_t len, size_t errlen, struct pf_control_cmd *cmd,
                         char *msg, size_t msgsize)
{
    char *err = errlen ? malloc(errlen) : NULL;
    int rc;

    FUZZ_CHECK(errlen == 0 || err != NULL, "out of memory");
    if (err)
        memset(err, 'x', errlen);
    rc = pf_control_cmd_parse(line, len, cmd, err, errlen);
    FUZZ_CHECK(rc == 0 || rc == -1, "result out of range");
    msg[0] = '\0';
    if (rc == 0)
        check_command(line, len, cmd);
    if (rc == -1 && err) {
        FUZZ_CHECK(memchr(err, '\0', errlen) != NULL, "message not NUL-terminated");
        FUZZ_CHECK(errlen == 1 || err[0] != '\0', "empty message");
        FUZZ_CHECK(printable_line(err), "message not one printable line");
        snprintf(msg, msgsize, "%s", err);
    }
    free(err);
    return rc;
}

/* The line, and the line with a "\r" added, give the same outcome. */
static void check_parse(const uint8_t *data, size_t len, size_t errlen)
{
    static struct pf_control_cmd a, b;
    static char ma[256], mb[256];
    char *line = fuzz_dup(data, len), *cr = malloc(len + 1);
    int ra, rb;

    FUZZ_CHECK(cr != NULL, "out of memory");
    memcpy(cr, line, len);
    cr[len] = '\r';
    ra = parse_checked(line, len, errlen, &a, ma, sizeof(ma));
    rb = parse_checked(cr, len + 1, errlen, &b, mb, sizeof(mb));
    if (len == 0 || line[len - 1] != '\r') {
        FUZZ_CHECK(ra == rb && strcmp(ma, mb) == 0, "a trailing CR changes the outcome");
        FUZZ_CHECK(ra != 0 || memcmp(&a, &b, sizeof(a)) == 0, "a trailing CR changes the command");
    }
    free(line);
    free(cr);
}

/* pf_token_equal against strcmp, the tokens cut at the first NUL. */
static void check_token_equal(const uint8_t *data, size_t len)
{
    const uint8_t *nul = memchr(data, '\0', len);
    size_t elen = nul ? (size_t)(nul - data) : len;
    size_t glen = nul ? strnlen((const char *)nul + 1, len - elen - 1) : 0;
    char *expected = malloc(elen + 1), *given = malloc(glen + 1);

    FUZZ_CHECK(expected && given, "out of memory");
    memcpy(expected, data, elen);
    expected[elen] = '\0';
    if (glen)
        memcpy(given, nul + 1, glen);
    given[glen] = '\0';
    FUZZ_CHECK(pf_token_equal(expected, given) == (strcmp(expected, given) == 0),
               "token comparison differs from strcmp");
    FUZZ_CHECK(pf_token_equal(expected, expected), "a token differs from itself");
    free(expected);
    free(given);
}

/* An Authorization value's token (Bearer, or Basic's password). */
static void check_authorization(const uint8_t *data, size_t len)
{
    size_t n = strnlen((const char *)data, len);
    char *value = malloc(n + 1), token[PF_TOKEN_MAX + 1], again[PF_TOKEN_MAX + 1];
    char bearer[PF_TOKEN_MAX + 8];
    int rc;

    FUZZ_CHECK(value != NULL, "out of memory");
    memcpy(value, data, n); /* a string of exactly its size: cut at the first NUL */
    value[n] = '\0';
    rc = pf_token_from_authorization(value, token, sizeof(token));

    FUZZ_CHECK(rc == 0 || rc == -1, "result out of range");
    if (rc == 0) {
        n = strlen(token);
        FUZZ_CHECK(n >= 1 && n <= PF_TOKEN_MAX, "token length out of range");
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK((unsigned char)token[i] >= 0x20 && token[i] != 0x7f,
                       "control byte in the token");
        FUZZ_CHECK(strncasecmp(value + strspn(value, " \t"), "Bearer", 6) != 0 ||
                       strstr(value, token) != NULL,
                   "a bearer token not from the value");
        if (strchr(token, ' ') == NULL && strchr(token, '\t') == NULL) {
            snprintf(bearer, sizeof(bearer), "Bearer %s", token);
            FUZZ_CHECK(pf_token_from_authorization(bearer, again, sizeof(again)) == 0 &&
                           strcmp(again, token) == 0,
                       "Bearer TOKEN does not give TOKEN back");
        }
    }
    free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    check_parse(data + 1, size - 1, err_sizes[data[0] & 3]);
    check_token_equal(data + 1, size - 1);
    check_authorization(data + 1, size - 1);
    return 0;
}
