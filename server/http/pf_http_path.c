/* pf_http_path: request path to a name under the root (see pf_http_path.h).
 *
 * One pass over the request path: each byte is decoded (raw or %XX) and
 * fed to a segment builder that writes straight into out. A segment is
 * judged when it ends (at a raw or decoded '/', or at the end): empty and
 * "." segments vanish, ".." removes the last kept segment (400 when there
 * is none: climbing above the root is refused, not clamped), a hidden
 * segment is 404, anything else is kept. No allocation, no second pass
 * (except a backwards scan of out for each "..").
 *
 * Choices where the contract is silent:
 *  - the first byte must be a raw '/' ("%2fa" is 400, as origin-form is);
 *  - a raw NUL is refused like a decoded one (400), so out never holds one;
 *  - a hidden segment is refused where it appears, even if a later ".."
 *    would remove it ("/.git/../a" is 404): no legitimate client sends that;
 *  - ".well-known" is matched exactly (RFC 8615 paths are case-sensitive);
 *  - *dir_slash follows RFC 3986 5.2.4: the output ends in '/' when the
 *    last segment is empty, "." or "..", so "/a/." and "/a/.." set it too;
 *  - 414 is answered as soon as a segment does not fit, even if a later
 *    ".." would have removed it;
 *  - on any error out is "" (when size > 0) and *dir_slash is false.
 */
#include "pf_http_path.h"

#include <string.h>

#define PATH_WELL_KNOWN ".well-known"
#define PATH_WELL_KNOWN_LEN (sizeof(PATH_WELL_KNOWN) - 1)

/* The output under construction: kept segments out[0..len) joined by '/',
 * and the current segment, written from seg_start on while it fits. */
struct path_builder {
    char *out;
    size_t size;
    size_t len;       /* kept output, no trailing '/' */
    size_t seg_start; /* where the current segment's first byte goes */
    size_t seg_len;   /* bytes in the current segment (written or not) */
    bool all_dots;    /* the current segment is made of '.' only so far */
    bool overflow;    /* the current segment did not fit */
};

/* Value of a hex digit, or -1: a plain switch on ASCII, no locale. */
static int path_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode one byte of src[i..len) into *c: a raw byte or a %XX escape.
 * Returns the number of bytes consumed (1 or 3), or 0 for a malformed
 * escape or a NUL (raw or decoded). Never reads at or past len. */
static size_t path_decode_at(const char *src, size_t len, size_t i, char *c)
{
    int hi;
    int lo;

    if (src[i] != '%') {
        *c = src[i];
        return *c == '\0' ? 0 : 1;
    }
    if (len - i < 3)
        return 0;
    hi = path_hex(src[i + 1]);
    lo = path_hex(src[i + 2]);
    if (hi < 0 || lo < 0 || (hi | lo) == 0)
        return 0;
    *c = (char)(hi << 4 | lo);
    return 3;
}

/* The caller's dst is written at most one byte per decoded byte, which is
 * never ahead of the read position: that is what makes dst == src safe. */
int pf_http_path_percent_decode(const char *src, size_t len, char *dst, size_t *out_len)
{
    size_t i = 0;
    size_t o = 0;

    while (i < len) {
        char c;
        size_t used = path_decode_at(src, len, i, &c);

        if (used == 0)
            return -1;
        dst[o++] = c;
        i += used;
    }
    *out_len = o;
    return 0;
}

/* Start a new, empty segment after the kept output (a separator slot is
 * left when something is kept already). */
static void path_seg_begin(struct path_builder *b)
{
    b->seg_start = b->len > 0 ? b->len + 1 : 0;
    b->seg_len = 0;
    b->all_dots = true;
    b->overflow = false;
}

/* Append a decoded byte to the current segment, or note that it does not
 * fit (one byte is always kept free for the terminating NUL). */
static void path_seg_put(struct path_builder *b, char c)
{
    size_t pos = b->seg_start + b->seg_len;

    if (!b->overflow && pos + 1 < b->size)
        b->out[pos] = c;
    else
        b->overflow = true;
    b->seg_len++;
    b->all_dots = b->all_dots && c == '.';
}

/* ".." : drop the last kept segment; 400 when there is none, since the
 * request would climb above the root. */
static int path_pop(struct path_builder *b)
{
    const char *slash;

    if (b->len == 0)
        return 400;
    slash = memrchr(b->out, '/', b->len);
    b->len = slash ? (size_t)(slash - b->out) : 0;
    return 0;
}

/* A segment starting with '.' that is not ".well-known" (dot-segments are
 * handled before this is asked). */
static bool path_seg_hidden(const struct path_builder *b)
{
    const char *seg = b->out + b->seg_start;

    if (seg[0] != '.')
        return false;
    return b->seg_len != PATH_WELL_KNOWN_LEN ||
           memcmp(seg, PATH_WELL_KNOWN, PATH_WELL_KNOWN_LEN) != 0;
}

/* Judge the finished segment: vanish, pop, refuse or keep. Returns 0 or
 * the HTTP status. */
static int path_seg_end(struct path_builder *b)
{
    if (b->seg_len == 0 || (b->all_dots && b->seg_len == 1))
        return 0;
    if (b->all_dots && b->seg_len == 2)
        return path_pop(b);
    if (b->overflow)
        return 414;
    if (path_seg_hidden(b))
        return 404;
    if (b->seg_start > 0)
        b->out[b->len] = '/';
    b->len = b->seg_start + b->seg_len;
    return 0;
}

/* Decode path[1..len) into segments; *last_dir tells whether the last
 * segment was empty or a dot-segment (the output then ends in '/'). */
static int path_walk(struct path_builder *b, const char *path, size_t len, bool *last_dir)
{
    size_t i = 1;
    int rc;

    path_seg_begin(b);
    while (i < len) {
        char c;
        size_t used = path_decode_at(path, len, i, &c);

        if (used == 0)
            return 400;
        i += used;
        if (c != '/') {
            path_seg_put(b, c);
            continue;
        }
        rc = path_seg_end(b);
        if (rc != 0)
            return rc;
        path_seg_begin(b);
    }
    *last_dir = b->all_dots && b->seg_len <= 2;
    return path_seg_end(b);
}

int pf_http_path_normalize(const char *path, size_t len, char *out, size_t size, bool *dir_slash)
{
    struct path_builder b = {.out = out, .size = size};
    bool last_dir = false;
    int rc;

    *dir_slash = false;
    if (size == 0)
        return 414;
    out[0] = '\0';
    if (len == 0 || path[0] != '/')
        return 400;
    rc = path_walk(&b, path, len, &last_dir);
    if (rc != 0) {
        out[0] = '\0';
        return rc;
    }
    out[b.len] = '\0';
    *dir_slash = last_dir;
    return 0;
}
