/* pf_http_mime: Content-Type from a file name's extension (see pf_http_mime.h).
 *
 * Two sorted tables searched by binary search on the lowercased extension:
 * the built-in one (static, always consulted first, so it wins), then the
 * entries added by pf_http_mime_load (heap, sorted once per load). A lookup
 * is one pass over the name to find and lowercase the extension, then a few
 * string compares; nothing is allocated.
 *
 * Choices where the contract is silent:
 *  - a '.' starting the last segment does not start an extension
 *    (".bashrc" has none), nor does a trailing '.' ("a." has none);
 *  - extensions longer than MIME_EXT_MAX bytes are unknown;
 *  - within mime.types files, the first mapping of an extension wins (also
 *    across several loads), the way built-ins win over files;
 *  - a loaded type that is textual (text/..., application/javascript,
 *    application/json, application/xml, image/svg+xml, or a +json / +xml
 *    suffix) gets "; charset=utf-8" like the built-ins;
 *  - a line longer than MIME_LINE_MAX, a type that is not "a/b" made of
 *    token characters, or entries past MIME_ENTRIES_MAX are skipped.
 */
#include "pf_http_mime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIME_DEFAULT "application/octet-stream"
#define MIME_CHARSET "; charset=utf-8"
#define MIME_EXT_MAX 31
#define MIME_TYPE_MAX 127
#define MIME_LINE_MAX 1024
#define MIME_ENTRIES_MAX 8192

#define MIME_UTF8(t) t MIME_CHARSET

/* A mapping. Built-in and loaded tables share the layout, so one binary
 * search serves both; seq orders loaded entries by arrival, so that
 * sorting keeps the first mapping of an extension (0 for built-ins). */
struct mime_entry {
    char ext[MIME_EXT_MAX + 1];
    const char *type;
    unsigned seq;
};

/* Sorted by ext (lowercase, strcmp order): a misplaced entry would be
 * missed by the search, which the unit test of every built-in catches. */
static const struct mime_entry mime_builtins[] = {
    {.ext = "7z", .type = "application/x-7z-compressed"},
    {.ext = "aac", .type = "audio/aac"},
    {.ext = "apng", .type = "image/apng"},
    {.ext = "atom", .type = MIME_UTF8("application/atom+xml")},
    {.ext = "avif", .type = "image/avif"},
    {.ext = "bmp", .type = "image/bmp"},
    {.ext = "bz2", .type = "application/x-bzip2"},
    {.ext = "css", .type = MIME_UTF8("text/css")},
    {.ext = "csv", .type = MIME_UTF8("text/csv")},
    {.ext = "eot", .type = "application/vnd.ms-fontobject"},
    {.ext = "flac", .type = "audio/flac"},
    {.ext = "gif", .type = "image/gif"},
    {.ext = "gz", .type = "application/gzip"},
    {.ext = "htm", .type = MIME_UTF8("text/html")},
    {.ext = "html", .type = MIME_UTF8("text/html")},
    {.ext = "ico", .type = "image/x-icon"},
    {.ext = "ics", .type = MIME_UTF8("text/calendar")},
    {.ext = "jpeg", .type = "image/jpeg"},
    {.ext = "jpg", .type = "image/jpeg"},
    {.ext = "js", .type = MIME_UTF8("text/javascript")},
    {.ext = "json", .type = MIME_UTF8("application/json")},
    {.ext = "jsonld", .type = MIME_UTF8("application/ld+json")},
    {.ext = "m4a", .type = "audio/mp4"},
    {.ext = "map", .type = MIME_UTF8("application/json")},
    {.ext = "md", .type = MIME_UTF8("text/markdown")},
    {.ext = "mjs", .type = MIME_UTF8("text/javascript")},
    {.ext = "mov", .type = "video/quicktime"},
    {.ext = "mp3", .type = "audio/mpeg"},
    {.ext = "mp4", .type = "video/mp4"},
    {.ext = "oga", .type = "audio/ogg"},
    {.ext = "ogg", .type = "audio/ogg"},
    {.ext = "ogv", .type = "video/ogg"},
    {.ext = "opus", .type = "audio/ogg"},
    {.ext = "otf", .type = "font/otf"},
    {.ext = "pdf", .type = "application/pdf"},
    {.ext = "png", .type = "image/png"},
    {.ext = "rss", .type = MIME_UTF8("application/rss+xml")},
    {.ext = "svg", .type = MIME_UTF8("image/svg+xml")},
    {.ext = "tar", .type = "application/x-tar"},
    {.ext = "tif", .type = "image/tiff"},
    {.ext = "tiff", .type = "image/tiff"},
    {.ext = "ttf", .type = "font/ttf"},
    {.ext = "txt", .type = MIME_UTF8("text/plain")},
    {.ext = "wasm", .type = "application/wasm"},
    {.ext = "wav", .type = "audio/wav"},
    {.ext = "webm", .type = "video/webm"},
    {.ext = "webmanifest", .type = MIME_UTF8("application/manifest+json")},
    {.ext = "webp", .type = "image/webp"},
    {.ext = "woff", .type = "font/woff"},
    {.ext = "woff2", .type = "font/woff2"},
    {.ext = "xhtml", .type = MIME_UTF8("application/xhtml+xml")},
    {.ext = "xml", .type = MIME_UTF8("application/xml")},
    {.ext = "xz", .type = "application/x-xz"},
    {.ext = "zip", .type = "application/zip"},
    {.ext = "zst", .type = "application/zstd"},
};

#define MIME_BUILTIN_COUNT (sizeof(mime_builtins) / sizeof(mime_builtins[0]))

/* The loaded table: sorted by (ext, seq) and deduplicated after each
 * load; mime_types owns every type string the entries point to. */
static struct mime_entry *mime_extras;
static size_t mime_extra_count;
static size_t mime_extra_cap;
static char **mime_types;
static size_t mime_type_count;
static size_t mime_type_cap;
static unsigned mime_seq;

/* ASCII lowercase, independent of the locale. */
static char mime_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Lowercased extension of name into ext (MIME_EXT_MAX + 1 bytes), in one
 * pass; false when there is none or it is too long. */
static bool mime_extension(const char *name, char ext[MIME_EXT_MAX + 1])
{
    const char *seg = name;
    const char *dot = NULL;
    const char *p;
    size_t n;

    for (p = name; *p; p++) {
        if (*p == '/') {
            seg = p + 1;
            dot = NULL;
        } else if (*p == '.' && p != seg) {
            dot = p;
        }
    }
    if (!dot)
        return false;
    n = (size_t)(p - dot - 1);
    if (n == 0 || n > MIME_EXT_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        ext[i] = mime_lower(dot[1 + i]);
    ext[n] = '\0';
    return true;
}

/* Binary search of a sorted table; the type, or NULL when ext is absent. */
static const char *mime_search(const struct mime_entry *table, size_t count, const char *ext)
{
    size_t lo = 0;
    size_t hi = count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ext, table[mid].ext);

        if (c == 0)
            return table[mid].type;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *pf_http_mime_type(const char *name)
{
    char ext[MIME_EXT_MAX + 1];
    const char *type;

    if (!name || !mime_extension(name, ext))
        return MIME_DEFAULT;
    type = mime_search(mime_builtins, MIME_BUILTIN_COUNT, ext);
    if (!type)
        type = mime_search(mime_extras, mime_extra_count, ext);
    return type ? type : MIME_DEFAULT;
}

/* RFC 9110 tchar: the bytes a media type's type and subtype are made of. */
static bool mime_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* True when t[0..n) is "type/subtype", both non-empty tokens. */
static bool mime_valid_type(const char *t, size_t n)
{
    size_t slashes = 0;

    if (n == 0 || n > MIME_TYPE_MAX || t[0] == '/' || t[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '/')
            slashes++;
        else if (!mime_tchar(t[i]))
            return false;
    }
    return slashes == 1;
}

/* True when s[0..n) ends with suffix. */
static bool mime_ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);

    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Whether a lowercased type is text that should carry a charset (the
 * rule the built-in table follows). */
static bool mime_textual(const char *t, size_t n)
{
    static const char *const exact[] = {
        "application/javascript",
        "application/json",
        "application/xml",
        "image/svg+xml",
    };

    if (n > 5 && memcmp(t, "text/", 5) == 0)
        return true;
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        if (strlen(exact[i]) == n && memcmp(t, exact[i], n) == 0)
            return true;
    }
    return mime_ends_with(t, n, "+json") || mime_ends_with(t, n, "+xml");
}

/* Room for one more item in a growable array (doubling from first).
 * Returns the array, moved or not, or NULL when it could not grow (the
 * old one is then still valid). */
static void *mime_grow(void *items, size_t *cap, size_t count, size_t item, size_t first)
{
    size_t n = *cap ? *cap * 2 : first;
    void *grown;

    if (count < *cap)
        return items;
    grown = realloc(items, n * item);
    if (grown)
        *cap = n;
    return grown;
}

/* Own a copy of t[0..n), lowercased, with the charset when textual;
 * recorded in mime_types so that reset frees it. NULL on failure. */
static const char *mime_store_type(const char *t, size_t n)
{
    char **types = mime_grow(mime_types, &mime_type_cap, mime_type_count, sizeof(*mime_types), 64);
    char *copy;
    size_t extra;

    if (!types)
        return NULL;
    mime_types = types;
    copy = malloc(n + sizeof(MIME_CHARSET));
    if (!copy)
        return NULL;
    for (size_t i = 0; i < n; i++)
        copy[i] = mime_lower(t[i]);
    extra = mime_textual(copy, n) ? sizeof(MIME_CHARSET) - 1 : 0;
    memcpy(copy + n, MIME_CHARSET, extra);
    copy[n + extra] = '\0';
    mime_types[mime_type_count++] = copy;
    return copy;
}

/* A load in progress: its entries wait after the table (pending), so the
 * table itself is unchanged until the whole file has been read. */
struct mime_load {
    size_t pending;   /* entries parsed, at mime_extras[mime_extra_count..] */
    const char *type; /* the current line's stored type, once it has one */
};

/* Append ext[0..n) -> t[0..tn) unless the extension is too long, already
 * mapped (built-in or an earlier load), or the table is full. The type is
 * stored at the line's first added entry, so skipped lines cost nothing.
 * Returns -1 only on allocation failure. */
static int mime_add(struct mime_load *ld, const char *ext, size_t n, const char *t, size_t tn)
{
    size_t at = mime_extra_count + ld->pending;
    struct mime_entry *e;

    if (n > MIME_EXT_MAX || at >= MIME_ENTRIES_MAX)
        return 0;
    e = mime_grow(mime_extras, &mime_extra_cap, at, sizeof(*mime_extras), 256);
    if (!e)
        return -1;
    mime_extras = e;
    e += at;
    for (size_t i = 0; i < n; i++)
        e->ext[i] = mime_lower(ext[i]);
    e->ext[n] = '\0';
    if (mime_search(mime_builtins, MIME_BUILTIN_COUNT, e->ext) ||
        mime_search(mime_extras, mime_extra_count, e->ext))
        return 0;
    if (!ld->type && !(ld->type = mime_store_type(t, tn)))
        return -1;
    e->type = ld->type;
    e->seq = ++mime_seq;
    ld->pending++;
    return 0;
}

/* Length of the run at s of bytes that are (blank true) or are not
 * (blank false) white space; stops at the NUL. */
static size_t mime_span(const char *s, bool blank)
{
    size_t n = 0;

    while (s[n] && (strchr(" \t\r\n\v\f", s[n]) != NULL) == blank)
        n++;
    return n;
}

/* One line of a mime.types file: "type ext ext ...", '#' starts a comment.
 * Returns -1 only on allocation failure. */
static int mime_parse_line(struct mime_load *ld, char *line)
{
    char *hash = strchr(line, '#');
    const char *t;
    size_t tn;
    size_t n;

    if (hash)
        *hash = '\0';
    t = line + mime_span(line, true);
    tn = mime_span(t, false);
    if (!mime_valid_type(t, tn))
        return 0;
    ld->type = NULL;
    for (const char *p = t + tn;; p += n) {
        p += mime_span(p, true);
        n = mime_span(p, false);
        if (n == 0)
            return 0;
        if (mime_add(ld, p, n, t, tn) != 0)
            return -1;
    }
}

/* qsort order of loaded entries: by extension, then by arrival. */
static int mime_cmp(const void *a, const void *b)
{
    const struct mime_entry *x = a;
    const struct mime_entry *y = b;
    int c = strcmp(x->ext, y->ext);

    if (c != 0)
        return c;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Take the pending entries into the table: sort, then keep only the first
 * mapping of each extension (a file may map one twice). */
static void mime_commit(struct mime_load *ld)
{
    size_t count = mime_extra_count + ld->pending;
    size_t kept = 0;

    if (count == 0)
        return;
    qsort(mime_extras, count, sizeof(*mime_extras), mime_cmp);
    for (size_t i = 1; i < count; i++) {
        if (strcmp(mime_extras[i].ext, mime_extras[kept].ext) != 0)
            mime_extras[++kept] = mime_extras[i];
    }
    mime_extra_count = kept + 1;
}

/* Free the type strings stored after the first keep ones. */
static void mime_drop_types(size_t keep)
{
    while (mime_type_count > keep)
        free(mime_types[--mime_type_count]);
}

/* Consume the rest of an over-long line. */
static void mime_skip_line(FILE *f)
{
    int c;

    do
        c = getc(f);
    while (c != '\n' && c != EOF);
}

/* Read every line of f as pending entries; -1 on a read or allocation
 * error. Over-long lines are skipped whole. */
static int mime_read(struct mime_load *ld, FILE *f)
{
    char line[MIME_LINE_MAX + 2];

    while (fgets(line, sizeof(line), f)) {
        if (!strchr(line, '\n') && !feof(f)) {
            mime_skip_line(f);
            continue;
        }
        if (mime_parse_line(ld, line) != 0)
            return -1;
    }
    return ferror(f) ? -1 : 0;
}

int pf_http_mime_load(const char *path)
{
    struct mime_load ld = {0};
    size_t before = mime_extra_count;
    size_t types = mime_type_count;
    FILE *f = fopen(path, "re");
    int rc;

    if (!f)
        return -1;
    rc = mime_read(&ld, f);
    fclose(f);
    if (rc != 0) {
        mime_drop_types(types);
        return -1;
    }
    mime_commit(&ld);
    return (int)(mime_extra_count - before);
}

void pf_http_mime_reset(void)
{
    mime_drop_types(0);
    free(mime_types);
    free(mime_extras);
    mime_types = NULL;
    mime_extras = NULL;
    mime_type_cap = 0;
    mime_extra_cap = 0;
    mime_extra_count = 0;
    mime_seq = 0;
}
