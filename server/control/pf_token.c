/* pf_token: load or create the control token file. */
#include "pf_token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_MAX 128

int pf_token_generate(char *token, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[PF_TOKEN_HEX_LEN / 2];
    size_t got = 0;

    if (size <= PF_TOKEN_HEX_LEN)
        return -1;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

        if (n < 0 && errno != EINTR)
            return -1;
        got += n > 0 ? (size_t)n : 0;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        token[2 * i] = hex[raw[i] >> 4];
        token[2 * i + 1] = hex[raw[i] & 15];
    }
    token[PF_TOKEN_HEX_LEN] = '\0';
    return 0;
}

static int token_fail(const char *path, const char *why, char *err, size_t errlen)
{
    snprintf(err, errlen, "control.token_file %s: %s", path, why);
    return -1;
}

/* Create the file with a fresh token; O_EXCL so that a file (or a link)
 * appearing meanwhile is never overwritten. */
static int token_create(const char *path, char *token, size_t size, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    char line[PF_TOKEN_HEX_LEN + 1];
    ssize_t n;

    if (fd < 0)
        return token_fail(path, strerror(errno), err, errlen);
    if (pf_token_generate(token, size) < 0) {
        close(fd);
        unlink(path);
        return token_fail(path, "cannot get random bytes", err, errlen);
    }
    memcpy(line, token, PF_TOKEN_HEX_LEN);
    line[PF_TOKEN_HEX_LEN] = '\n';
    n = write(fd, line, sizeof(line));
    if (close(fd) < 0 || n != (ssize_t)sizeof(line)) {
        unlink(path);
        return token_fail(path, "cannot write the new token", err, errlen);
    }
    return 0;
}

/* The first line of an open token file, trimmed, into token. */
static int token_read(int fd, const char *path, char *token, size_t size, char *err, size_t errlen)
{
    char buf[TOKEN_MAX + 64];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    size_t start, len;

    if (n < 0)
        return token_fail(path, strerror(errno), err, errlen);
    buf[n] = '\0';
    start = strspn(buf, " \t");
    len = strcspn(buf + start, "\r\n");
    while (len > 0 && (buf[start + len - 1] == ' ' || buf[start + len - 1] == '\t'))
        len--;
    if (len == 0 || len > TOKEN_MAX || len >= size || memchr(buf + start, ' ', len) ||
        memchr(buf + start, '\t', len))
        return token_fail(path,
                          "the first line must be one token of 1 to 128 characters, "
                          "without spaces",
                          err, errlen);
    memcpy(token, buf + start, len);
    token[len] = '\0';
    return 0;
}

int pf_token_load(const char *path, char *token, size_t size, char *err, size_t errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int rc;

    if (fd < 0 && errno == ENOENT)
        return token_create(path, token, size, err, errlen);
    if (fd < 0)
        return token_fail(path, strerror(errno), err, errlen);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return token_fail(path, "not a regular file", err, errlen);
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return token_fail(path, "readable or writable by group or others (chmod 600 it)", err,
                          errlen);
    }
    rc = token_read(fd, path, token, size, err, errlen);
    close(fd);
    return rc;
}

/* Equal tokens, in time that depends only on the expected token's length.
 * Why: the expected token is the secret; a comparison that stopped at the
 * first differing byte would let a client find it byte by byte by timing.
 * So the loop always runs over every byte of expected plus its terminating
 * NUL, ORs the differences together and never exits early. The given token
 * is read through an index that stops advancing on its NUL, so it is never
 * read past its end; when it is shorter, its NUL meets a byte of expected,
 * and when it is longer, expected's NUL meets a byte of it: either way the
 * length difference is folded into diff without a branch and without
 * scanning the rest of given (its strlen would take time in its length). */
bool pf_token_equal(const char *expected, const char *given)
{
    size_t elen = strlen(expected);
    size_t j = 0;
    volatile unsigned diff = 0;

    for (size_t i = 0; i <= elen; i++) {
        unsigned char g = (unsigned char)given[j];

        diff |= (unsigned)((unsigned char)expected[i] ^ g);
        j += (size_t)(g != 0);
    }
    return diff == 0;
}

/* The value of base64 digit c (RFC 4648, standard alphabet), or -1. */
static int token_b64_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode in[0..len) (padded to a multiple of 4) into out; its length,
 * or -1 when malformed or longer than size. */
static long token_b64_decode(const char *in, size_t len, unsigned char *out, size_t size)
{
    size_t n = 0;

    if (len == 0 || len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int d[4];
        int pad = 0;

        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + k];

            /* '=' only at the end, as the last one or two digits */
            if (c == '=' && i + 4 == len && k >= 2 && (k == 3 || in[i + 3] == '=')) {
                d[k] = 0;
                pad++;
            } else if ((d[k] = token_b64_digit(c)) < 0 || pad) {
                return -1;
            }
        }
        if (n + 3 - (size_t)pad > size)
            return -1;
        out[n++] = (unsigned char)(d[0] << 2 | d[1] >> 4);
        if (pad < 2)
            out[n++] = (unsigned char)((d[1] & 15) << 4 | d[2] >> 2);
        if (pad < 1)
            out[n++] = (unsigned char)((d[2] & 3) << 6 | d[3]);
    }
    return (long)n;
}

/* Copy the token text[0..len) into token, refusing an empty one, one too
 * long, or one with a control byte (a NUL included). */
static int token_copy(const char *text, size_t len, char *token, size_t size)
{
    if (len == 0 || len > PF_TOKEN_MAX || len >= size)
        return -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            return -1;
    memcpy(token, text, len);
    token[len] = '\0';
    return 0;
}

int pf_token_from_authorization(const char *value, char *token, size_t size)
{
    /* USER:TOKEN, base64 decoded: the token and a user name of up to 256 */
    unsigned char plain[PF_TOKEN_MAX + 258];
    const char *scheme, *cred, *end, *colon;
    size_t scheme_len;
    long n;

    scheme = value + strspn(value, " \t");
    scheme_len = strcspn(scheme, " \t");
    cred = scheme + scheme_len + strspn(scheme + scheme_len, " \t");
    end = cred + strcspn(cred, " \t");
    if (end[strspn(end, " \t")] != '\0') /* a third word */
        return -1;
    if (scheme_len == 6 && strncasecmp(scheme, "Bearer", 6) == 0)
        return token_copy(cred, (size_t)(end - cred), token, size);
    if (scheme_len != 5 || strncasecmp(scheme, "Basic", 5) != 0)
        return -1;
    n = token_b64_decode(cred, (size_t)(end - cred), plain, sizeof(plain));
    if (n < 0 || (colon = memchr(plain, ':', (size_t)n)) == NULL)
        return -1;
    colon++;
    return token_copy(colon, (size_t)((const char *)plain + n - colon), token, size);
}
