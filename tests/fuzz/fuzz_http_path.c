/* fuzz_http_path: percent-decoding and request path normalisation
 * (server/http/pf_http_path.c), checked against a naive model and against the
 * property that matters: an accepted name can never leave the root.
 *
 * Input: byte 0 picks the size of the output buffer (so that 414 and the
 * edge of the buffer are reached), the rest is the request path.
 *
 * Invariants, abort() on any violation:
 *  - pf_http_path_normalize returns 0, 400, 404 or 414; on an error the
 *    output is "" and *dir_slash false;
 *  - an accepted name, read as "/" + name: starts with '/', holds no NUL,
 *    no "//", no "." or ".." segment, no hidden segment but ".well-known",
 *    and walking it segment by segment from a root never climbs above it;
 *  - status, name and dir_slash equal those of the model below, a segment
 *    stack written for clarity rather than speed;
 *  - pf_http_path_percent_decode equals the model's decoder, and decoding in
 *    place (dst == src) gives the same bytes.
 * The output buffer is a heap block of exactly the size passed, so any
 * write past it is an AddressSanitizer report.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz_check.h"
#include "pf_http_path.h"

#define MODEL_SEGS_MAX 4096

/* Output sizes byte 0 chooses from: tiny ones for 414, PATH_MAX-like. */
static const size_t out_sizes[] = {1, 2, 3, 8, 64, 256, 4096, 4096};

/* The model's result: status, and for 0 the segments kept and dir flag. */
struct model {
    int status;
    bool dir;
    char name[8192]; /* kept segments joined by '/' */
    size_t name_len;
    size_t seg_end[MODEL_SEGS_MAX]; /* end of each kept segment in name */
    size_t nsegs;
};

/* Value of a hex digit, or -1. */
static int model_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode the byte at src[*i] (raw or %XX) into *c and advance *i; false
 * for a malformed escape or a NUL, raw or decoded. */
static bool model_decode_one(const char *src, size_t len, size_t *i, char *c)
{
    if (src[*i] != '%') {
        *c = src[(*i)++];
        return *c != '\0';
    }
    if (*i + 2 >= len || model_hex(src[*i + 1]) < 0 || model_hex(src[*i + 2]) < 0)
        return false;
    *c = (char)(model_hex(src[*i + 1]) * 16 + model_hex(src[*i + 2]));
    *i += 3;
    return *c != '\0';
}

/* The length the joined name would have with one more segment of n bytes. */
static size_t model_len_with(const struct model *m, size_t n)
{
    return (m->nsegs ? m->name_len + 1 : 0) + n;
}

/* Judge a finished segment seg[0..n): vanish, pop, refuse or push, in the
 * order the header documents (dot-segments, then 414, then hidden). */
static int model_segment(struct model *m, const char *seg, size_t n, size_t out_size)
{
    if (n == 0 || (n == 1 && seg[0] == '.'))
        return 0;
    if (n == 2 && seg[0] == '.' && seg[1] == '.') {
        if (m->nsegs == 0)
            return 400;
        m->nsegs--;
        m->name_len = m->nsegs ? m->seg_end[m->nsegs - 1] : 0;
        return 0;
    }
    if (model_len_with(m, n) + 1 > out_size)
        return 414;
    if (seg[0] == '.' && !(n == 11 && memcmp(seg, ".well-known", 11) == 0))
        return 404;
    FUZZ_CHECK(m->nsegs < MODEL_SEGS_MAX && model_len_with(m, n) < sizeof(m->name),
               "model capacity");
    if (m->nsegs)
        m->name[m->name_len++] = '/';
    memcpy(m->name + m->name_len, seg, n);
    m->name_len += n;
    m->seg_end[m->nsegs++] = m->name_len;
    return 0;
}

/* The whole model: a raw leading '/', then decode and split on '/'
 * (decoded or raw), judging each segment as it ends. */
static void model_normalize(const char *path, size_t len, size_t out_size, struct model *m)
{
    static char seg[8192];
    size_t i = 1, n = 0;
    char c = 0;

    m->status = 0;
    m->dir = false;
    m->name_len = 0;
    m->nsegs = 0;
    if (len == 0 || path[0] != '/') {
        m->status = 400;
        return;
    }
    while (i < len) {
        if (!model_decode_one(path, len, &i, &c)) {
            m->status = 400;
            return;
        }
        if (c != '/') {
            seg[n++] = c;
            continue;
        }
        if ((m->status = model_segment(m, seg, n, out_size)) != 0)
            return;
        n = 0;
    }
    m->dir = n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.');
    m->status = model_segment(m, seg, n, out_size);
    if (m->status != 0)
        m->dir = false;
}

/* The property that keeps a client inside the root, on "/" + name: no
 * empty, "." or hidden segment, and a walk from the root that goes down
 * one level per segment and up one per ".." never goes above it (and so
 * never meets a ".." at all, since nothing else goes up). */
static void check_confined(const char *name)
{
    size_t len = strlen(name);
    const char *seg = name;
    long depth = 0;

    FUZZ_CHECK(len == 0 || (name[0] != '/' && name[len - 1] != '/'),
               "name has a leading or trailing '/'");
    FUZZ_CHECK(strstr(name, "//") == NULL, "name has an empty segment");
    while (len > 0) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        bool dotdot = n == 2 && seg[0] == '.' && seg[1] == '.';

        FUZZ_CHECK(n > 0, "empty segment");
        FUZZ_CHECK(!(n == 1 && seg[0] == '.'), "\".\" segment");
        depth += dotdot ? -1 : 1;
        FUZZ_CHECK(depth >= 0, "resolving the name climbs above the root");
        FUZZ_CHECK(!dotdot, "\"..\" segment");
        FUZZ_CHECK(seg[0] != '.' || (n == 11 && memcmp(seg, ".well-known", 11) == 0),
                   "hidden segment");
        if (!end)
            break;
        seg = end + 1;
    }
}

/* Normalise with an exact-size heap output and compare with the model. */
static void check_normalize(const char *path, size_t len, size_t out_size)
{
    static struct model m;
    char *out = malloc(out_size);
    bool dir = true;
    int rc;

    FUZZ_CHECK(out != NULL, "out of memory");
    memset(out, 'x', out_size);
    rc = pf_http_path_normalize(path, len, out, out_size, &dir);
    FUZZ_CHECK(rc == 0 || rc == 400 || rc == 404 || rc == 414, "status out of range");
    FUZZ_CHECK(memchr(out, '\0', out_size) != NULL, "output not NUL-terminated");
    if (rc != 0) {
        FUZZ_CHECK(out[0] == '\0' && !dir, "an error leaves a name or dir_slash");
    } else {
        check_confined(out);
    }
    model_normalize(path, len, out_size, &m);
    FUZZ_CHECK(rc == m.status, "status differs from the model");
    if (rc == 0) {
        FUZZ_CHECK(strlen(out) == m.name_len && memcmp(out, m.name, m.name_len) == 0,
                   "name differs from the model");
        FUZZ_CHECK(dir == m.dir, "dir_slash differs from the model");
    }
    free(out);
}

/* pf_http_path_percent_decode against the model's decoder, out of place and
 * in place. */
static void check_decode(const uint8_t *data, size_t len)
{
    char *src = fuzz_dup(data, len), *dst = malloc(len ? len : 1), *model = malloc(len ? len : 1);
    size_t out_len = 0, in_len = 0, mlen = 0, i = 0;
    int rc, rc_in, mrc = 0;

    FUZZ_CHECK(dst && model, "out of memory");
    while (i < len && mrc == 0) {
        if (!model_decode_one(src, len, &i, &model[mlen++]))
            mrc = -1;
    }
    rc = pf_http_path_percent_decode(src, len, dst, &out_len);
    FUZZ_CHECK(rc == mrc, "decode status differs from the model");
    if (rc == 0)
        FUZZ_CHECK(out_len == mlen && memcmp(dst, model, mlen) == 0,
                   "decoded bytes differ from the model");
    rc_in = pf_http_path_percent_decode(src, len, src, &in_len);
    FUZZ_CHECK(rc_in == rc, "in-place decode status differs");
    if (rc == 0)
        FUZZ_CHECK(in_len == out_len && memcmp(src, dst, in_len) == 0, "in-place decode differs");
    free(src);
    free(dst);
    free(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t nsizes = sizeof(out_sizes) / sizeof(out_sizes[0]);
    char *path;

    if (size < 1 || size > 8000)
        return 0;
    path = fuzz_dup(data + 1, size - 1);
    check_normalize(path, size - 1, out_sizes[data[0] % nsizes]);
    free(path);
    check_decode(data + 1, size - 1);
    return 0;
}
